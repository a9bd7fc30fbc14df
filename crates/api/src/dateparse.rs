//! Parsing text with a `java.text.SimpleDateFormat` pattern as Java does by default: leniently,
//! in UTC. Each field is read as `SimpleDateFormat.subParse` reads it (spaces and tabs before a
//! field skipped; numbers as its `DecimalFormat` reads them: an optional `-`, digits, an optional
//! exponent `E`, stopping at a `.`; at most as many digits as the pattern letters when a numeric
//! field follows at once), and the fields are then resolved as `GregorianCalendar.computeTime`
//! resolves them: a value out of range rolls over (hour 24, day 30 of February, month 13,
//! minute 75), the most recently read of the day fields wins, and dates before 1582-10-15 are
//! Julian. Text after the pattern is left unread.

use crate::calendar::{self, DaySpec, MILLIS_PER_DAY};
use crate::dateformat::{Token, DAYS_FROM_SUNDAY, MONTHS};

/// The calendar fields a pattern sets, each with the order it was set in (0: not set), as
/// `java.text.CalendarBuilder` keeps them.
#[derive(Debug, Clone, Copy)]
enum F {
    Year,
    Month,
    DayOfMonth,
    DayOfYear,
    DayOfWeek,
    AmPm,
    Hour,
    HourOfDay,
    Minute,
    Second,
    Millisecond,
    ZoneOffset,
    DstOffset,
}

#[derive(Debug, Default, Clone)]
struct Fields {
    value: [i32; 13],
    stamp: [u32; 13],
    next: u32,
}

impl Fields {
    fn set(&mut self, f: F, v: i32) {
        self.next += 1;
        self.stamp[f as usize] = self.next;
        self.value[f as usize] = v;
    }

    fn get(&self, f: F) -> i32 {
        self.value[f as usize]
    }

    fn stamp(&self, f: F) -> u32 {
        self.stamp[f as usize]
    }

    fn is_set(&self, f: F) -> bool {
        self.stamp(f) != 0
    }

    /// Milliseconds since the epoch, as `GregorianCalendar.computeTime` computes them in lenient
    /// mode in UTC.
    fn millis(&self) -> i64 {
        let year = if self.is_set(F::Year) {
            self.get(F::Year)
        } else {
            1970
        };
        // Calendar.selectFields for the day: the day of the month or of the year, whichever was
        // set last; else the weekday alone (its first day in the month); else the 1st.
        let (dom, doy) = (self.stamp(F::DayOfMonth), self.stamp(F::DayOfYear));
        let month = self.get(F::Month);
        let spec = if dom == 0 && doy == 0 {
            if self.is_set(F::DayOfWeek) {
                DaySpec::MonthWeekday {
                    month,
                    weekday: self.get(F::DayOfWeek),
                }
            } else {
                DaySpec::MonthDay { month, day: 1 }
            }
        } else if dom >= doy {
            DaySpec::MonthDay {
                month,
                day: self.get(F::DayOfMonth),
            }
        } else {
            DaySpec::YearDay(self.get(F::DayOfYear))
        };
        // The hour: HOUR_OF_DAY, or HOUR with AM_PM, whichever was set last.
        let (hod, hour, am_pm) = (
            self.stamp(F::HourOfDay),
            self.stamp(F::Hour),
            self.stamp(F::AmPm),
        );
        let twelve = if hour != 0 && am_pm != 0 {
            hour.max(am_pm)
        } else {
            0
        };
        let mut best = twelve.max(hod);
        if best == 0 {
            best = hour.max(am_pm);
        }
        let hours = if best == 0 {
            0
        } else if best == hod {
            i64::from(self.get(F::HourOfDay))
        } else {
            i64::from(self.get(F::Hour)) + 12 * i64::from(self.get(F::AmPm))
        };
        let time = ((hours * 60 + i64::from(self.get(F::Minute))) * 60
            + i64::from(self.get(F::Second)))
            * 1000
            + i64::from(self.get(F::Millisecond));
        let day = calendar::resolve_day(year, spec, time.div_euclid(MILLIS_PER_DAY));
        // Java's long arithmetic wraps for years far out of range; so does this.
        let local = day
            .wrapping_mul(MILLIS_PER_DAY)
            .wrapping_add(time.rem_euclid(MILLIS_PER_DAY));
        let offset = i64::from(self.get(F::ZoneOffset)) + i64::from(self.get(F::DstOffset));
        local.wrapping_sub(offset)
    }
}

/// Where two-digit years go: `SimpleDateFormat`'s default century starts 80 years before the
/// formatter was made.
#[derive(Debug, Clone, Copy)]
pub struct Century {
    start_year: i32,
    start_millis: i64,
}

impl Century {
    /// The century starting 80 years before the instant `now` (milliseconds since the epoch),
    /// as `Calendar.add(YEAR, -80)` moves it (February 29th becomes the 28th).
    pub fn before(now: i64) -> Century {
        let days = now.div_euclid(MILLIS_PER_DAY);
        let day = calendar::Day::of(days);
        let start_year = i32::try_from(day.year_of_era - 80).unwrap_or(1900);
        let leap = |y: i32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let dom = if day.month == 2 && day.day == 29 && !leap(start_year) {
            28
        } else {
            day.day as i32
        };
        let spec = DaySpec::MonthDay {
            month: day.month as i32 - 1,
            day: dom,
        };
        let start_millis = calendar::resolve_day(start_year, spec, 0) * MILLIS_PER_DAY
            + now.rem_euclid(MILLIS_PER_DAY);
        Century {
            start_year,
            start_millis,
        }
    }
}

/// Parses `text` from character `start` with a compiled pattern: the milliseconds and the
/// character index after the last one read, or `None` where Java's parse fails.
pub fn parse(tokens: &[Token], text: &str, start: usize, century: Century) -> Option<(i64, usize)> {
    let mut p = Parser {
        text: text.chars().collect(),
        fields: Fields::default(),
        ambiguous_year: false,
        century,
    };
    let mut pos = start;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Literal(lit) => {
                for c in lit.chars() {
                    let t = *p.text.get(pos)?;
                    if t != c && !(is_space_separator(t) && is_space_separator(c)) {
                        return None;
                    }
                    pos += 1;
                }
            }
            Token::Field(letter, count) => {
                let obey = matches!(tokens.get(i + 1), Some(Token::Field(next, n))
                    if "ydHhkKmsSDu".contains(*next) || (*next == 'M' && *n <= 2));
                pos = p.field(pos, *letter, *count, obey)?;
            }
        }
    }
    let mut millis = p.fields.millis();
    if p.ambiguous_year && millis < century.start_millis {
        p.fields.value[F::Year as usize] = p.fields.get(F::Year).wrapping_add(100);
        millis = p.fields.millis();
    }
    Some((millis, pos))
}

/// Characters of Unicode's space separator category, which a lenient parse takes for each other.
fn is_space_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

struct Parser {
    text: Vec<char>,
    fields: Fields,
    ambiguous_year: bool,
    century: Century,
}

impl Parser {
    /// One field at `start`: the index after it, or `None`.
    fn field(&mut self, start: usize, letter: char, count: usize, obey: bool) -> Option<usize> {
        let mut pos = start;
        while matches!(self.text.get(pos)?, ' ' | '\t') {
            pos += 1;
        }
        let limit = if obey { start + count } else { self.text.len() };
        if obey && limit > self.text.len() {
            return None;
        }
        let number = |pos: usize| read_number(&self.text[..limit], pos);
        match letter {
            'y' => {
                let (mut v, end) = number(pos)?;
                let digits = |i: usize| self.text.get(i).is_some_and(char::is_ascii_digit);
                if count <= 2 && end - pos == 2 && digits(pos) && digits(pos + 1) {
                    let ambiguous = self.century.start_year % 100;
                    self.ambiguous_year = v == ambiguous;
                    v += self.century.start_year / 100 * 100 + if v < ambiguous { 100 } else { 0 };
                }
                self.fields.set(F::Year, v);
                Some(end)
            }
            'M' if count <= 2 => {
                let (v, end) = number(pos)?;
                self.fields.set(F::Month, v.wrapping_sub(1));
                Some(end)
            }
            'M' => {
                let (i, end) = self
                    .names(start, &MONTHS)
                    .or_else(|| self.names(start, &MONTHS.map(|m| &m[..3])))?;
                self.fields.set(F::Month, i as i32);
                Some(end)
            }
            'E' => {
                let (i, end) = self
                    .names(start, &DAYS_FROM_SUNDAY)
                    .or_else(|| self.names(start, &DAYS_FROM_SUNDAY.map(|d| &d[..3])))?;
                self.fields.set(F::DayOfWeek, i as i32 + 1);
                Some(end)
            }
            'a' => {
                let (i, end) = self.names(start, &["AM", "PM"])?;
                self.fields.set(F::AmPm, i as i32);
                Some(end)
            }
            'Z' | 'z' => self.zone(start, pos),
            'X' => self.iso_zone(pos, count),
            _ => {
                let (v, end) = number(pos)?;
                let (field, v) = match letter {
                    'd' => (F::DayOfMonth, v),
                    'D' => (F::DayOfYear, v),
                    'H' => (F::HourOfDay, v),
                    'k' => (F::HourOfDay, if v == 24 { 0 } else { v }),
                    'K' => (F::Hour, v),
                    'h' => (F::Hour, if v == 12 { 0 } else { v }),
                    'm' => (F::Minute, v),
                    's' => (F::Second, v),
                    'S' => (F::Millisecond, v),
                    // 'u', the ISO day of the week (1 Monday .. 7 Sunday)
                    _ => (
                        F::DayOfWeek,
                        if v == 7 {
                            1
                        } else if (1..7).contains(&v) {
                            v + 1
                        } else {
                            v
                        },
                    ),
                };
                self.fields.set(field, v);
                Some(end)
            }
        }
    }

    /// The longest of `names` at `pos`, ignoring case: its index and the index after it.
    fn names(&self, pos: usize, names: &[&str]) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (i, name) in names.iter().enumerate() {
            let len = name.chars().count();
            if len > best.map_or(0, |(_, l)| l) && self.matches_ignoring_case(pos, name) {
                best = Some((i, len));
            }
        }
        best.map(|(i, len)| (i, pos + len))
    }

    fn matches_ignoring_case(&self, pos: usize, s: &str) -> bool {
        let mut i = pos;
        for c in s.chars() {
            match self.text.get(i) {
                Some(t) if t.to_lowercase().eq(c.to_lowercase()) => i += 1,
                _ => return false,
            }
        }
        true
    }

    /// `z` and `Z`: `+hhmm`/`-hhmm`, `GMT` with or without `+h:mm`, `+hh:mm`, `+hhmm`, or the
    /// names of UTC (`UTC`, `Coordinated Universal Time`). Other zone names are not read.
    fn zone(&mut self, start: usize, pos: usize) -> Option<usize> {
        let sign = match self.text.get(pos)? {
            '+' => 1,
            '-' => -1,
            _ => 0,
        };
        if sign != 0 {
            return self.numeric_zone(pos + 1, sign, 0, false);
        }
        if pos == start && self.matches_ignoring_case(start, "GMT") {
            let after = start + 3;
            let sign = match self.text.get(after) {
                Some('+') => 1,
                Some('-') => -1,
                _ => {
                    self.fields.set(F::ZoneOffset, 0);
                    self.fields.set(F::DstOffset, 0);
                    return Some(after);
                }
            };
            return self.numeric_zone(after + 1, sign, 0, true);
        }
        // UTC's own names leave the offset to the formatter's zone, UTC; "GMT" after spaces is
        // read as the name of the GMT zone, also of offset 0.
        [
            "Coordinated Universal Time",
            "UTC",
            "Greenwich Mean Time",
            "GMT",
        ]
        .iter()
        .find(|name| self.matches_ignoring_case(pos, name))
        .map(|name| pos + name.len())
    }

    /// `X`: `Z`, or `+hh` (`X`), `+hhmm` (`XX`), `+hh:mm` (`XXX`).
    fn iso_zone(&mut self, pos: usize, count: usize) -> Option<usize> {
        let sign = match self.text.get(pos)? {
            'Z' => {
                self.fields.set(F::ZoneOffset, 0);
                self.fields.set(F::DstOffset, 0);
                return Some(pos + 1);
            }
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        self.numeric_zone(pos + 1, sign, count, count == 3)
    }

    /// An offset as `SimpleDateFormat.subParseNumericZone` reads it: `hh` (or `h` when a colon
    /// may follow and the count is 0), then unless `count` is 1 `mm`, after a `:` if `colon`.
    fn numeric_zone(
        &mut self,
        start: usize,
        sign: i32,
        count: usize,
        colon: bool,
    ) -> Option<usize> {
        let digit = |i: usize| {
            self.text
                .get(i)
                .and_then(|c| c.to_digit(10))
                .map(|d| d as i32)
        };
        let mut i = start;
        let mut hours = digit(i)?;
        i += 1;
        self.text.get(i)?;
        if let Some(d) = digit(i) {
            hours = hours * 10 + d;
            i += 1;
        } else if count > 0 || !colon {
            return None;
        }
        if hours > 23 {
            return None;
        }
        let mut minutes = 0;
        if count != 1 {
            if colon {
                if self.text.get(i)? != &':' {
                    return None;
                }
                i += 1;
            }
            minutes = digit(i)? * 10 + digit(i + 1)?;
            i += 2;
            if minutes > 59 {
                return None;
            }
        }
        self.fields
            .set(F::ZoneOffset, sign * (hours * 60 + minutes) * 60_000);
        self.fields.set(F::DstOffset, 0);
        Some(i)
    }
}

/// A number at `pos` as `SimpleDateFormat`'s `DecimalFormat` (integers only, no grouping) reads
/// it, as Java's `Number.intValue` then gives it: the value and the index after it.
fn read_number(text: &[char], pos: usize) -> Option<(i32, usize)> {
    let rest = &text[pos.min(text.len())..];
    if rest.starts_with(&['N', 'a', 'N']) {
        return Some((0, pos + 3));
    }
    let negative = rest.first() == Some(&'-');
    let mut i = pos + usize::from(negative);
    if text.get(i) == Some(&'\u{221e}') {
        return Some((if negative { i32::MIN } else { i32::MAX }, i + 1));
    }
    let start = i;
    let mut digits = String::new();
    while let Some(d) = text.get(i).and_then(|c| c.to_digit(10)) {
        if d != 0 || !digits.is_empty() {
            digits.push(char::from(b'0' + d as u8));
        }
        i += 1;
    }
    if i == start {
        return None;
    }
    // An exponent: `E`, an optional `-` and digits; without digits the number ends before `E`.
    let mut exponent = 0i64;
    if text.get(i) == Some(&'E') {
        let minus = text.get(i + 1) == Some(&'-');
        let mut j = i + 1 + usize::from(minus);
        let exp_start = j;
        let mut e = String::new();
        while let Some(c) = text.get(j).filter(|c| c.is_ascii_digit()) {
            e.push(*c);
            j += 1;
        }
        if j > exp_start {
            if let Ok(v) = e.parse::<i64>() {
                // Java keeps the exponent as an int.
                exponent = i64::from(if minus { -v } else { v } as i32);
                i = j;
            }
        }
    }
    let significant = digits.trim_end_matches('0');
    let point = digits.len() as i64 + exponent;
    let value = if significant.is_empty() {
        0
    } else if point >= significant.len() as i64 && point <= 19 {
        let whole = format!(
            "{significant}{}",
            "0".repeat((point - significant.len() as i64) as usize)
        );
        match whole.parse::<i128>() {
            Ok(n) => {
                let n = if negative { -n } else { n };
                match i64::try_from(n) {
                    // Long.intValue keeps the low 32 bits.
                    Ok(n) => n as i32,
                    Err(_) => saturate(negative),
                }
            }
            Err(_) => saturate(negative),
        }
    } else {
        // A Double: a fraction, or too large for a long; intValue truncates and saturates.
        let d: f64 = format!("0.{significant}e{point}").parse().unwrap_or(0.0);
        (if negative { -d } else { d }) as i32
    };
    Some((value, i))
}

fn saturate(negative: bool) -> i32 {
    if negative {
        i32::MIN
    } else {
        i32::MAX
    }
}
