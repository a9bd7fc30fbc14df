//! Shared bits of the benchmark programs.

/// The peak resident set size of this process in kB (`VmHWM` in `/proc/self/status`), or 0
/// where that is not available.
pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time this process has used so far, user + system, in seconds: `utime` + `stime` from
/// `/proc/self/stat` (clock ticks of 1/100 s, Linux's USER_HZ), the figure the scripts read for
/// the workers from `/proc/PID/stat`; 0 where that is not available.
pub fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // the command name (field 2) may hold spaces; fields after its ")" start at field 3
            let rest = &stat[stat.rfind(')')? + 1..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// Microseconds since the epoch.
pub fn epoch_us() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

/// One process as `/proc` shows it.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// `/proc/PID/comm`: `ferry`, `java`...
    pub name: String,
    /// `VmRSS` in kB
    pub rss_kb: u64,
    /// `VmHWM` (the peak resident set) in kB
    pub hwm_kb: u64,
    /// `utime + stime + cutime + cstime`, in seconds: its own CPU time and that of the children
    /// it has reaped
    pub cpu_seconds: f64,
}

/// A process, as `Proc`, or None when it is gone (or a kernel thread without memory figures).
pub fn read_proc(pid: u32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.rfind(')')?;
    let name = stat[stat.find('(')? + 1..close].to_string();
    // fields after the ")" start at field 3 (state): ppid is field 4, utime..cstime 14..17
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    let ppid = field(4)? as u32;
    let ticks = field(14)? + field(15)? + field(16)? + field(17)?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    };
    Some(Proc {
        pid,
        ppid,
        name,
        rss_kb: kb("VmRSS:"),
        hwm_kb: kb("VmHWM:"),
        // USER_HZ: /proc reports clock ticks of 1/100 s on Linux
        cpu_seconds: ticks as f64 / 100.0,
    })
}

/// The children of a process: the `children` file of each of its threads (a child belongs to
/// the thread that started it), or, where the kernel has no such files, every process whose
/// parent it is.
fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut have_files = false;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
                have_files = true;
                found.extend(
                    list.split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
    }
    if !have_files {
        if let Ok(all) = std::fs::read_dir("/proc") {
            for entry in all.flatten() {
                let Some(other) = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<u32>().ok())
                else {
                    continue;
                };
                if read_proc(other).is_some_and(|p| p.ppid == pid) {
                    found.push(other);
                }
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// A process and all its descendants, the process first and parents before their children;
/// empty when the process is gone.
pub fn process_tree(pid: u32) -> Vec<Proc> {
    let mut tree = Vec::new();
    let mut next = vec![pid];
    while let Some(p) = next.pop() {
        if let Some(proc) = read_proc(p) {
            let mut kids = children(p);
            kids.reverse();
            next.extend(kids);
            tree.push(proc);
        }
    }
    tree
}
