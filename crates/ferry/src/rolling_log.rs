//! `logs/connect.log`, rolled every hour as Kafka's log4j setup does: the current hour is written
//! to `connect.log`; when the hour changes it is renamed `connect.log.YYYY-MM-DD-HH` (UTC).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct HourlyFile {
    dir: PathBuf,
    name: String,
    file: File,
    hour: u64,
}

fn current_hour() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 3600)
        .unwrap_or(0)
}

/// `YYYY-MM-DD-HH` for an hour count since the epoch (proleptic Gregorian, UTC).
fn hour_suffix(hours: u64) -> String {
    let days = (hours / 24) as i64;
    let hour = hours % 24;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}-{hour:02}")
}

impl HourlyFile {
    pub fn open(dir: PathBuf, name: &str) -> io::Result<HourlyFile> {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(name);
        // A file left by an earlier hour is rolled before writing this hour's lines.
        let hour = match std::fs::metadata(&path).and_then(|m| m.modified()) {
            Ok(modified) => modified
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() / 3600)
                .unwrap_or(0),
            Err(_) => current_hour(),
        };
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut rolling = HourlyFile {
            dir,
            name: name.to_string(),
            file,
            hour,
        };
        rolling.roll_if_due()?;
        Ok(rolling)
    }

    fn roll_if_due(&mut self) -> io::Result<()> {
        let now = current_hour();
        if now == self.hour {
            return Ok(());
        }
        let current = self.dir.join(&self.name);
        let rolled = self
            .dir
            .join(format!("{}.{}", self.name, hour_suffix(self.hour)));
        self.file.flush()?;
        std::fs::rename(&current, &rolled)?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&current)?;
        self.hour = now;
        Ok(())
    }
}

impl Write for HourlyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.roll_if_due()?;
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_the_utc_date_and_hour() {
        // 2026-11-22T03:00:00Z is 1_795_316_400 s after the epoch.
        assert_eq!(hour_suffix(1_795_316_400 / 3600), "2026-11-22-03");
        assert_eq!(hour_suffix(0), "1970-01-01-00");
        // 2024-02-29T23:00Z, a leap day.
        assert_eq!(hour_suffix(1_709_247_600 / 3600), "2024-02-29-23");
    }
}
