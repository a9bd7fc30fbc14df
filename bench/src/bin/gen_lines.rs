//! Writes the benchmark input: `--count` lines, each exactly `--width` bytes (default 100)
//! followed by a newline. The content is deterministic: `line NNNNNNNNNN ` (the 1-based line
//! number, zero-padded) and then a repeating alphabet filler.

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};

use clap::Parser;

#[derive(Parser)]
#[command(about = "Generate a file of fixed-width numbered lines")]
struct Args {
    #[arg(long)]
    file: String,
    #[arg(long)]
    count: u64,
    /// bytes per line, newline not counted
    #[arg(long, default_value_t = 100)]
    width: usize,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    const FILLER: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let file = File::create(&args.file).map_err(|e| format!("cannot create {}: {e}", args.file))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(args.width + 1);
    for n in 1..=args.count {
        line.clear();
        write!(line, "line {n:010} ")?;
        if line.len() > args.width {
            return Err(format!("--width {} is too small for the line number", args.width).into());
        }
        let shift = (n % FILLER.len() as u64) as usize;
        while line.len() < args.width {
            line.push(FILLER[(line.len() + shift) % FILLER.len()]);
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(())
}
