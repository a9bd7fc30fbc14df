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
