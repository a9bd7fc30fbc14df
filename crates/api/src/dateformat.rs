//! A `java.text.SimpleDateFormat` pattern in UTC, as TimestampRouter, TimestampConverter and
//! `Values.parseString` ([`crate::values`]) use it: `yyyy`/`yy`, `M`/`MM`/`MMM`/`MMMM`, `d`,
//! `D`, `H`, `h`, `k`, `K`, `m`, `s`, `S`, `a`, `E`, `Z`, `X`, `z`, `u`, quoted literals (`'T'`,
//! `''`) and any other character as itself. Dates are those of Java's `GregorianCalendar`:
//! Julian before 1582-10-15, Gregorian from it (the crate's `calendar` module); text is parsed
//! leniently, as Java does by default (the crate's `dateparse` module).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::calendar::{Day, MILLIS_PER_DAY};
use crate::dateparse::{self, Century};

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub const DAYS_FROM_SUNDAY: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A compiled pattern: pattern letters with their counts, and literal text.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Field(char, usize),
    Literal(String),
}

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct DateFormat {
    tokens: Vec<Token>,
    /// Where two-digit years fall: the 100 years from 80 years before the format was made.
    century: Century,
}

impl DateFormat {
    /// Reads a pattern; an unknown pattern letter or an unclosed quote is an error, as in Java.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut tokens = Vec::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    push_literal(&mut tokens, "'");
                    i += 2;
                    continue;
                }
                let mut lit = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("Unterminated quote in pattern {pattern}")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            lit.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            lit.push(*ch);
                            i += 1;
                        }
                    }
                }
                push_literal(&mut tokens, &lit);
            } else if c.is_ascii_alphabetic() {
                if !"yMdDHhkKmsSaEZXzu".contains(c) {
                    return Err(format!("Illegal pattern character '{c}'"));
                }
                let mut n = 1;
                while chars.get(i + n) == Some(&c) {
                    n += 1;
                }
                tokens.push(Token::Field(c, n));
                i += n;
            } else {
                push_literal(&mut tokens, &c.to_string());
                i += 1;
            }
        }
        if let Some(Token::Field(_, n)) = tokens
            .iter()
            .find(|t| matches!(t, Token::Field('X', n) if *n > 3))
        {
            return Err(format!("invalid ISO 8601 format: length={n}"));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ok(DateFormat {
            tokens,
            century: Century::before(now),
        })
    }

    /// Formats milliseconds since the epoch, in UTC, as `SimpleDateFormat.format` does (the
    /// Julian date before 1582-10-15; years of the era, so 1 BC is year 1).
    pub fn format(&self, millis: i64) -> String {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let ms = millis.rem_euclid(MILLIS_PER_DAY);
        let day = Day::of(days);
        let (y, mo, d) = (day.year_of_era, day.month, day.day);
        let (h, mi, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        let mut out = String::new();
        for t in &self.tokens {
            match t {
                Token::Literal(l) => out.push_str(l),
                Token::Field(c, n) => {
                    let n = *n;
                    match c {
                        'y' if n == 2 => pad(&mut out, y.rem_euclid(100), 2),
                        'y' => pad(&mut out, y, n),
                        'u' => pad(&mut out, (day.day_of_week + 5) % 7 + 1, n),
                        'M' if n >= 4 => out.push_str(MONTHS[(mo - 1) as usize]),
                        'M' if n == 3 => out.push_str(&MONTHS[(mo - 1) as usize][..3]),
                        'M' => pad(&mut out, i64::from(mo), n),
                        'd' => pad(&mut out, i64::from(d), n),
                        'D' => pad(&mut out, day.day_of_year, n),
                        'H' => pad(&mut out, h, n),
                        'k' => pad(&mut out, if h == 0 { 24 } else { h }, n),
                        'K' => pad(&mut out, h % 12, n),
                        'h' => pad(&mut out, if h % 12 == 0 { 12 } else { h % 12 }, n),
                        'm' => pad(&mut out, mi, n),
                        's' => pad(&mut out, s, n),
                        'S' => pad(&mut out, milli, n),
                        'a' => out.push_str(if h < 12 { "AM" } else { "PM" }),
                        'E' => {
                            let name = DAYS_FROM_SUNDAY[(day.day_of_week - 1) as usize];
                            out.push_str(if n >= 4 { name } else { &name[..3] })
                        }
                        'Z' => out.push_str("+0000"),
                        'X' => out.push('Z'),
                        'z' => out.push_str(if n >= 4 {
                            "Coordinated Universal Time"
                        } else {
                            "UTC"
                        }),
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// Parses text as Java's `DateFormat.parse(String)` does: leniently, from the start, leaving
    /// any text after the pattern unread; into milliseconds since the epoch (UTC unless the text
    /// names an offset).
    pub fn parse(&self, text: &str) -> Result<i64, String> {
        match self.parse_from(text, 0) {
            Some((millis, end)) if end > 0 => Ok(millis),
            _ => Err(format!("Unparseable date: \"{text}\"")),
        }
    }

    /// Parses from character `start` as `SimpleDateFormat.parse(String, ParsePosition)` does:
    /// the milliseconds and the character index after the text read, or `None`.
    pub fn parse_from(&self, text: &str, start: usize) -> Option<(i64, usize)> {
        dateparse::parse(&self.tokens, text, start, self.century)
    }
}

fn push_literal(tokens: &mut Vec<Token>, lit: &str) {
    if let Some(Token::Literal(prev)) = tokens.last_mut() {
        prev.push_str(lit);
    } else {
        tokens.push(Token::Literal(lit.to_string()));
    }
}

fn pad(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    let digits = v.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let f = DateFormat::new("yyyyMMdd").unwrap();
        assert_eq!(f.format(1_483_425_001_864), "20170103");
        assert_eq!(f.parse("20170103").unwrap(), 1_483_401_600_000);
        let f = DateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").unwrap();
        assert_eq!(f.format(1_483_425_001_864), "2017-01-03T06:30:01.864Z");
        assert_eq!(
            f.parse("2017-01-03T06:30:01.864Z").unwrap(),
            1_483_425_001_864
        );
        let f = DateFormat::new("yyyy MMM dd HH:mm:ss Z").unwrap();
        assert_eq!(f.format(0), "1970 Jan 01 00:00:00 +0000");
        assert_eq!(f.parse("1970 Jan 01 02:00:00 +0200").unwrap(), 0);
        let f = DateFormat::new("EEE, d MMM yyyy hh:mm a").unwrap();
        assert_eq!(f.format(1_483_425_001_864), "Tue, 3 Jan 2017 06:30 AM");
        assert!(DateFormat::new("yyyy-bb").is_err());
        assert!(DateFormat::new("'open").is_err());
        assert!(DateFormat::new("yyyy").unwrap().parse("abc").is_err());
        assert_eq!(
            DateFormat::new("XXXX").unwrap_err(),
            "invalid ISO 8601 format: length=4"
        );
    }

    /// Values Java's SimpleDateFormat (UTC) gives: Julian dates before 1582-10-15, both ways.
    #[test]
    fn julian_before_the_cutover() {
        let f = DateFormat::new("yyyy-MM-dd HH:mm:ss").unwrap();
        for (text, millis) in [
            ("1969-07-20 20:17:40", -14_182_940_000),
            ("1900-01-01 00:00:00", -2_208_988_800_000),
            ("1582-10-15 00:00:00", -12_219_292_800_000),
            ("1582-10-04 23:59:59", -12_219_292_801_000),
            ("1500-06-15 12:00:00", -14_816_606_400_000),
        ] {
            assert_eq!(f.parse(text), Ok(millis), "{text}");
            assert_eq!(f.format(millis), text);
        }
        // TimestampConverter's Date of 1500-06-15 12:00: the day, floored.
        assert_eq!(
            (-14_816_606_400_000i64).div_euclid(MILLIS_PER_DAY),
            -171_489
        );
        // The days 1582 skipped count on from Julian 1582-10-04: the 10th is the 20th.
        assert_eq!(f.parse("1582-10-10 00:00:00"), Ok(-12_218_860_800_000));
        let f = DateFormat::new("yyyy-MM-dd D EEE u").unwrap();
        assert_eq!(f.format(-12_219_292_800_000), "1582-10-15 278 Fri 5");
        assert_eq!(f.format(-12_219_292_801_000), "1582-10-04 277 Thu 4");
        // Years of the era: 2 BC (astronomical -1) is year 2; year -5 is 6 BC.
        let f = DateFormat::new("y-MM-dd").unwrap();
        assert_eq!(f.format(-62_198_755_200_000), "2-01-03");
        assert_eq!(f.parse("-5-01-01"), Ok(-62_325_158_400_000));
        assert_eq!(f.parse("0-01-01"), Ok(-62_167_392_000_000));
    }

    /// Java's lenient parse: fields roll over, text after the pattern is ignored, numbers take
    /// any number of digits (but a pattern's width before another number), a sign, an exponent.
    #[test]
    fn lenient_as_java() {
        let f = DateFormat::new("yyyy-MM-dd HH:mm:ss").unwrap();
        for (text, millis, end) in [
            ("2024-03-05 10:20:30xyz", 1_709_634_030_000, 19),
            ("2024-3-5 1:2:3", 1_709_600_523_000, 14),
            ("2024-01-01 10:75:00", 1_704_107_700_000, 19),
            ("2023-12-31 24:00:00", 1_704_067_200_000, 19),
            ("2024-02-30 10:00:00", 1_709_287_200_000, 19),
            ("2024-13-01 00:00:00", 1_735_689_600_000, 19),
            (" 2024-01-01  10:20:30", 1_704_104_430_000, 21),
            ("2024-01-01 10:-20:30", 1_704_102_030_000, 20),
            ("2024-01-01 10:20:3E2", 1_704_104_700_000, 20),
            ("2024-01-01 10:20:35E-1", 1_704_104_403_000, 22),
            ("2024-01-01 10:20:3.9", 1_704_104_403_000, 18),
            ("2147483647-12-31 00:00:00", -6_019_000_061_391_806_464, 25),
        ] {
            assert_eq!(f.parse_from(text, 0), Some((millis, end)), "{text}");
        }
        assert!(f.parse("2024-01-01 10:20").is_err());
        assert!(f.parse("+2024-01-01 10:20:30").is_err());
        let cases: [(&str, &str, i64); 12] = [
            ("yyyyMMdd", "2024011", 1_704_067_200_000),
            ("yyyy-MM-dd kk", "2024-05-01 24", 1_714_521_600_000),
            ("yyyy-MM-dd hh a", "2024-05-01 12 pm", 1_714_564_800_000),
            ("yyyy-MM-dd hh a", "2024-05-01 12 AM", 1_714_521_600_000),
            ("yyyy-MM-dd D", "2024-05-01 40", 1_707_436_800_000),
            ("EEE yyyy-MM", "Wed 2024-05", 1_714_521_600_000),
            ("yyyy-MM-dd EEE", "2024-05-01 Sun", 1_714_521_600_000),
            ("yyyy-u", "2024-3", 1_704_240_000_000),
            ("MMM d yyyy", "jan 5 2024", 1_704_412_800_000),
            (
                "yyyy-MM-dd HH:mm Z",
                "2024-01-01 10:00 +0200",
                1_704_096_000_000,
            ),
            (
                "yyyy-MM-dd HH:mm z",
                "2024-01-01 10:00 utc",
                1_704_103_200_000,
            ),
            (
                "yyyy-MM-dd HH:mm XXX",
                "2024-01-01 10:00 +02:00",
                1_704_096_000_000,
            ),
        ];
        for (pattern, text, millis) in cases {
            let f = DateFormat::new(pattern).unwrap();
            assert_eq!(f.parse(text), Ok(millis), "{pattern} {text}");
        }
        let zone = DateFormat::new("yyyy-MM-dd HH:mm Z").unwrap();
        assert!(zone.parse("2024-01-01 10:00 +02:00").is_err());
        assert!(zone.parse("2024-01-01 10:00 Z").is_err());
    }

    /// Two-digit years fall in the century from 80 years before the format was made (here
    /// 2026-05-01, so 1946-05-01 to 2046-04-30), as `set2DigitYearStart` shows in Java.
    #[test]
    fn two_digit_years() {
        let mut f = DateFormat::new("yy-MM-dd").unwrap();
        f.century = Century::before(1_777_593_600_000);
        for (text, millis) in [
            ("45-01-01", 2_366_841_600_000),
            ("46-04-30", 2_408_659_200_000),
            ("46-05-02", -746_928_000_000),
            ("99-12-31", 946_598_400_000),
            ("00-01-01", 946_684_800_000),
            ("2024-01-01", 1_704_067_200_000),
            ("7-01-01", -61_946_467_200_000),
        ] {
            assert_eq!(f.parse(text), Ok(millis), "{text}");
        }
    }
}
