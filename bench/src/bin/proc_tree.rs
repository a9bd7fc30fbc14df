//! A process and its descendants, read from `/proc`, so that a worker whose work is split over
//! several processes (ferry and the JVM of its Java plugin host) is measured as a whole, and one
//! of a single process (Kafka Connect's JVM) the same way.
//!
//! `proc_tree --pid P` prints one line per process of P's tree (P first, then its descendants,
//! parents before children): `PID PPID NAME RSS_KB HWM_KB CPU_S`, where RSS_KB is `VmRSS`,
//! HWM_KB `VmHWM` and CPU_S the process's `utime + stime` plus `cutime + cstime` (the children it
//! has reaped: a child that ended still counts) in seconds. Summed over the tree, CPU_S is what
//! the whole tree has used, each process counted once.
//!
//! `proc_tree --pid P --interval-ms 100` samples the tree every interval until P exits, one line
//! per sample: `at US TOTAL_RSS_KB TOTAL_CPU_S PID:NAME:RSS_KB:CPU_S...` (US: µs since the epoch); the
//! peak of TOTAL_RSS_KB over a stretch of time is the tree's peak resident set, to within the
//! interval.

use std::error::Error;
use std::io::Write;
use std::time::Duration;

use clap::Parser;
use ferry_bench::{epoch_us, process_tree};

#[derive(Parser)]
#[command(about = "A process and its descendants: resident set and CPU, once or sampled")]
struct Args {
    /// the process at the root of the tree
    #[arg(long)]
    pid: u32,
    /// sample every this many ms until the process exits (0: print the tree once)
    #[arg(long, default_value_t = 0)]
    interval_ms: u64,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let out = std::io::stdout();
    let mut out = out.lock();
    if args.interval_ms == 0 {
        let tree = process_tree(args.pid);
        if tree.is_empty() {
            return Err(format!("no process {}", args.pid).into());
        }
        for p in tree {
            writeln!(
                out,
                "{} {} {} {} {} {:.2}",
                p.pid, p.ppid, p.name, p.rss_kb, p.hwm_kb, p.cpu_seconds
            )?;
        }
        return Ok(());
    }
    let interval = Duration::from_millis(args.interval_ms);
    loop {
        let at = epoch_us();
        let tree = process_tree(args.pid);
        if tree.is_empty() {
            return Ok(());
        }
        let rss: u64 = tree.iter().map(|p| p.rss_kb).sum();
        let cpu: f64 = tree.iter().map(|p| p.cpu_seconds).sum();
        let mut line = format!("at {at} {rss} {cpu:.2}");
        for p in &tree {
            line.push_str(&format!(
                " {}:{}:{}:{:.2}",
                p.pid, p.name, p.rss_kb, p.cpu_seconds
            ));
        }
        writeln!(out, "{line}")?;
        out.flush()?;
        std::thread::sleep(interval);
    }
}
