//! A `java.text.SimpleDateFormat` pattern in UTC, as TimestampRouter and TimestampConverter use
//! it: `yyyy`/`yy`, `M`/`MM`/`MMM`/`MMMM`, `d`, `D`, `H`, `h`, `k`, `K`, `m`, `s`, `S`, `a`, `E`,
//! `Z`, `X`, `z`, quoted literals (`'T'`, `''`) and any other character as itself.

use ferry_api::logical::Date;

const MILLIS_PER_DAY: i64 = 86_400_000;
const MONTHS: [&str; 12] = [
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
const DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(char, usize),
    Literal(String),
}

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct DateFormat {
    tokens: Vec<Token>,
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
        Ok(DateFormat { tokens })
    }

    /// Formats milliseconds since the epoch, in UTC.
    pub fn format(&self, millis: i64) -> String {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let ms = millis.rem_euclid(MILLIS_PER_DAY);
        let (y, mo, d) = Date::to_ymd(i32::try_from(days).unwrap_or(i32::MAX));
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
                        'u' => pad(&mut out, (days + 3).rem_euclid(7) + 1, n),
                        'M' if n >= 4 => out.push_str(MONTHS[(mo - 1) as usize]),
                        'M' if n == 3 => out.push_str(&MONTHS[(mo - 1) as usize][..3]),
                        'M' => pad(&mut out, i64::from(mo), n),
                        'd' => pad(&mut out, i64::from(d), n),
                        'D' => {
                            let jan1 = Date::from_ymd(y as i32, 1, 1).map_or(0, i64::from);
                            pad(&mut out, days - jan1 + 1, n)
                        }
                        'H' => pad(&mut out, h, n),
                        'k' => pad(&mut out, if h == 0 { 24 } else { h }, n),
                        'K' => pad(&mut out, h % 12, n),
                        'h' => pad(&mut out, if h % 12 == 0 { 12 } else { h % 12 }, n),
                        'm' => pad(&mut out, mi, n),
                        's' => pad(&mut out, s, n),
                        'S' => pad(&mut out, milli, n),
                        'a' => out.push_str(if h < 12 { "AM" } else { "PM" }),
                        'E' => {
                            let name = DAYS[days.rem_euclid(7) as usize];
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

    /// Parses text into milliseconds since the epoch (UTC unless the text names an offset).
    pub fn parse(&self, text: &str) -> Result<i64, String> {
        let err = || format!("Unparseable date: \"{text}\"");
        let mut pos = 0;
        let (mut y, mut mo, mut d) = (1970i64, 1u32, 1u32);
        let (mut h, mut mi, mut s, mut ms) = (0i64, 0i64, 0i64, 0i64);
        let mut pm: Option<bool> = None;
        let mut twelve = false;
        let mut offset_ms = 0i64;
        for (i, t) in self.tokens.iter().enumerate() {
            match t {
                Token::Literal(l) => {
                    if !text[pos..].starts_with(l.as_str()) {
                        return Err(err());
                    }
                    pos += l.len();
                }
                Token::Field(c, n) => {
                    let next_numeric = matches!(
                        self.tokens.get(i + 1),
                        Some(Token::Field(nc, _)) if "yMdDHhkKmsSu".contains(*nc)
                    );
                    let width = if next_numeric { *n } else { usize::MAX };
                    let number = |pos: &mut usize| read_number(text, pos, *c == 'y', width);
                    match c {
                        'y' => {
                            let start = pos;
                            let v = number(&mut pos)?;
                            y = if *n <= 2 && pos - start == 2 {
                                2000 + v
                            } else {
                                v
                            };
                        }
                        'M' if *n >= 3 => {
                            let rest = &text[pos..];
                            let found = MONTHS.iter().enumerate().find_map(|(i, m)| {
                                if rest.starts_with(m) {
                                    Some((i, m.len()))
                                } else if rest.starts_with(&m[..3]) {
                                    Some((i, 3))
                                } else {
                                    None
                                }
                            });
                            let (i, len) = found.ok_or_else(err)?;
                            mo = i as u32 + 1;
                            pos += len;
                        }
                        'M' => mo = u32::try_from(number(&mut pos)?).map_err(|_| err())?,
                        'd' => d = u32::try_from(number(&mut pos)?).map_err(|_| err())?,
                        'D' => {
                            let v = number(&mut pos)?;
                            mo = 1;
                            d = 1;
                            ms += (v - 1) * MILLIS_PER_DAY;
                        }
                        'H' | 'k' => h = number(&mut pos)? % 24,
                        'h' | 'K' => {
                            h = number(&mut pos)? % 12;
                            twelve = true;
                        }
                        'm' => mi = number(&mut pos)?,
                        's' => s = number(&mut pos)?,
                        'S' => ms += number(&mut pos)?,
                        'u' => {
                            number(&mut pos)?;
                        }
                        'a' => {
                            let rest = text[pos..].to_ascii_uppercase();
                            if rest.starts_with("AM") {
                                pm = Some(false);
                            } else if rest.starts_with("PM") {
                                pm = Some(true);
                            } else {
                                return Err(err());
                            }
                            pos += 2;
                        }
                        'E' => {
                            let rest = &text[pos..];
                            let len = DAYS
                                .iter()
                                .find_map(|d| {
                                    if rest.starts_with(d) {
                                        Some(d.len())
                                    } else if rest.starts_with(&d[..3]) {
                                        Some(3)
                                    } else {
                                        None
                                    }
                                })
                                .ok_or_else(err)?;
                            pos += len;
                        }
                        'Z' | 'X' | 'z' => {
                            let rest = &text[pos..];
                            if let Some(r) = rest.strip_prefix('Z') {
                                pos = text.len() - r.len();
                            } else if let Some(r) =
                                rest.strip_prefix("UTC").or(rest.strip_prefix("GMT"))
                            {
                                pos = text.len() - r.len();
                            } else {
                                let sign = match rest.as_bytes().first() {
                                    Some(b'+') => 1,
                                    Some(b'-') => -1,
                                    _ => return Err(err()),
                                };
                                let digits: String = rest[1..]
                                    .chars()
                                    .take_while(|c| c.is_ascii_digit() || *c == ':')
                                    .collect();
                                pos += 1 + digits.len();
                                let plain = digits.replace(':', "");
                                let (hh, mm) = match plain.len() {
                                    2 => (&plain[..2], "0"),
                                    4 => (&plain[..2], &plain[2..]),
                                    _ => return Err(err()),
                                };
                                let hh: i64 = hh.parse().map_err(|_| err())?;
                                let mm: i64 = mm.parse().map_err(|_| err())?;
                                offset_ms = sign * (hh * 60 + mm) * 60_000;
                            }
                        }
                        _ => return Err(err()),
                    }
                }
            }
        }
        if twelve && pm == Some(true) || (!twelve && pm == Some(true) && h < 12) {
            h += 12;
        }
        let year = i32::try_from(y).map_err(|_| err())?;
        let days = Date::from_ymd(year, mo, d).ok_or_else(err)?;
        Ok(i64::from(days) * MILLIS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + ms - offset_ms)
    }
}

/// Digits at `pos` (at most `width` of them; a leading `-` when `signed`), moving past them.
fn read_number(text: &str, pos: &mut usize, signed: bool, width: usize) -> Result<i64, String> {
    let b = text.as_bytes();
    let mut p = *pos;
    let neg = signed && b.get(p) == Some(&b'-');
    if neg {
        p += 1;
    }
    let start = p;
    while p < b.len() && b[p].is_ascii_digit() && p - start < width {
        p += 1;
    }
    if p == start {
        return Err(format!("Unparseable date: \"{text}\""));
    }
    let v: i64 = text[start..p]
        .parse()
        .map_err(|_| format!("Unparseable date: \"{text}\""))?;
    *pos = p;
    Ok(if neg { -v } else { v })
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
    }
}
