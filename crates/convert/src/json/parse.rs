//! A small JSON reader that keeps numbers as their text (so a Decimal keeps every digit) and
//! borrows strings from the input where it can. It accepts what Kafka's Jackson reader accepts:
//! standard JSON plus leading zeros in numbers; like Jackson it stops after the first value.

use std::borrow::Cow;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// The number as written (valid JSON number syntax, leading zeros allowed).
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<Member<'a>>),
}

/// One `"key": value` of an object, with where the value sits in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    pub key: Cow<'a, str>,
    pub value: Json<'a>,
    /// Byte range of the value's text in the input.
    pub span: (usize, usize),
}

impl<'a> Json<'a> {
    /// The value of `key` in an object (the last one, if repeated, as Jackson keeps the last).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.member(key).map(|m| &m.value)
    }

    pub fn member(&self, key: &str) -> Option<&Member<'a>> {
        match self {
            Json::Object(members) => members.iter().rev().find(|m| m.key == key),
            _ => None,
        }
    }

    /// Jackson's name for the node type, for messages (`OBJECT`, `ARRAY`, `STRING`, ...).
    pub fn node_type(&self) -> &'static str {
        match self {
            Json::Null => "NULL",
            Json::Bool(_) => "BOOLEAN",
            Json::Number(_) => "NUMBER",
            Json::String(_) => "STRING",
            Json::Array(_) => "ARRAY",
            Json::Object(_) => "OBJECT",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The number of distinct keys of an object (0 for anything else).
    #[cfg(test)]
    pub fn distinct_keys(&self) -> usize {
        match self {
            Json::Object(members) => members
                .iter()
                .enumerate()
                .filter(|(i, m)| !members[i + 1..].iter().any(|n| n.key == m.key))
                .count(),
            _ => 0,
        }
    }
}

/// Why the input is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// How deeply arrays and objects may nest (Jackson's default limit).
const MAX_DEPTH: usize = 1000;

/// Parses the first JSON value of `input`; `Ok(None)` when the input is empty or only whitespace.
pub fn parse(input: &[u8]) -> Result<Option<Json<'_>>, ParseError> {
    let Some(mut p) = Parser::start(input)? else {
        return Ok(None);
    };
    p.value(0).map(Some)
}

/// The first value of a document, with an object's members checked but not yet built.
pub enum Top<'a> {
    /// The root is an object: its keys and where each value sits in the input.
    Object(Vec<(Cow<'a, str>, (usize, usize))>),
    /// The root is something else.
    Other,
}

/// Reads the root of `input`. An object's member values are only checked, so that a caller can
/// build just the ones it needs with [`parse_span`]; `Ok(None)` for empty input.
pub fn parse_top(input: &[u8]) -> Result<Option<Top<'_>>, ParseError> {
    let Some(mut p) = Parser::start(input)? else {
        return Ok(None);
    };
    if p.peek() != Some(b'{') {
        return p.value(0).map(|_| Some(Top::Other));
    }
    p.pos += 1;
    let mut members = Vec::new();
    p.skip_ws();
    if p.peek() == Some(b'}') {
        return Ok(Some(Top::Object(members)));
    }
    loop {
        p.skip_ws();
        if p.peek() != Some(b'"') {
            return p.err("Expected a field name in double quotes");
        }
        let key = p.string()?;
        p.skip_ws();
        if p.peek() != Some(b':') {
            return p.err("Expected ':' after a field name");
        }
        p.pos += 1;
        p.skip_ws();
        let start = p.pos;
        p.skip_value(1)?;
        members.push((key, (start, p.pos)));
        p.skip_ws();
        match p.peek() {
            Some(b',') => p.pos += 1,
            Some(b'}') => return Ok(Some(Top::Object(members))),
            _ => return p.err("Expected ',' or '}' in an object"),
        }
    }
}

/// Builds the value at `span`, a range [`parse_top`] reported for the same `input`.
pub fn parse_span(input: &[u8], span: (usize, usize)) -> Result<Json<'_>, ParseError> {
    let bytes = input.get(span.0..span.1).unwrap_or_default();
    match parse(bytes) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(ParseError {
            message: "Unexpected end of input".to_string(),
            offset: span.0,
        }),
        Err(mut e) => {
            e.offset += span.0;
            Err(e)
        }
    }
}

/// The one value that fills `input[span]`, whitespace around it allowed; an error when anything
/// else follows it.
pub fn parse_exact(input: &[u8], span: (usize, usize)) -> Result<Json<'_>, ParseError> {
    let bytes = input.get(span.0..span.1).unwrap_or_default();
    let shift = |mut e: ParseError| {
        e.offset += span.0;
        e
    };
    let Some(mut p) = Parser::start(bytes).map_err(shift)? else {
        return Err(ParseError {
            message: "Unexpected end of input".to_string(),
            offset: span.0,
        });
    };
    let value = p.value(0).map_err(shift)?;
    p.skip_ws();
    if p.pos != bytes.len() {
        return Err(ParseError {
            message: "Unexpected content after the value".to_string(),
            offset: span.0 + p.pos,
        });
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    /// A parser at the first value of `input`, or `None` when there is none.
    fn start(input: &'a [u8]) -> Result<Option<Parser<'a>>, ParseError> {
        let text = std::str::from_utf8(input).map_err(|e| ParseError {
            message: "Invalid UTF-8 in JSON".to_string(),
            offset: e.valid_up_to(),
        })?;
        let mut p = Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        };
        // A UTF-8 byte order mark is skipped, as Jackson does.
        if p.bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            p.pos = 3;
        }
        p.skip_ws();
        if p.pos >= p.bytes.len() {
            return Ok(None);
        }
        Ok(Some(p))
    }

    /// Checks one value without building it.
    fn skip_value(&mut self, depth: usize) -> Result<(), ParseError> {
        match self.peek() {
            Some(b'{') | Some(b'[') => {
                if depth + 1 > MAX_DEPTH {
                    return self.err("Document nesting depth exceeds the maximum allowed (1000)");
                }
                let close = if self.peek() == Some(b'{') {
                    b'}'
                } else {
                    b']'
                };
                let is_object = close == b'}';
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(close) {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_ws();
                    if is_object {
                        if self.peek() != Some(b'"') {
                            return self.err("Expected a field name in double quotes");
                        }
                        self.skip_string()?;
                        self.skip_ws();
                        if self.peek() != Some(b':') {
                            return self.err("Expected ':' after a field name");
                        }
                        self.pos += 1;
                        self.skip_ws();
                    }
                    self.skip_value(depth + 1)?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(c) if c == close => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return self.err("Expected ',' or a closing bracket"),
                    }
                }
            }
            Some(b'"') => self.skip_string(),
            _ => self.value(depth).map(|_| ()),
        }
    }

    /// Checks a string without building it (the input is valid UTF-8 already).
    fn skip_string(&mut self) -> Result<(), ParseError> {
        self.pos += 1;
        loop {
            // Plain characters in one tight scan; only quotes, escapes and control characters
            // need a look.
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            self.pos += rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(rest.len());
            match self.peek() {
                None => return self.err("Unexpected end of input in a string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 1
                        }
                        Some(b'u') => {
                            self.pos += 1;
                            self.hex4()?;
                        }
                        _ => return self.err("Unrecognized character escape"),
                    }
                }
                Some(c) if c < 0x20 => {
                    return self.err("Illegal unquoted control character in a string")
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            offset: self.pos,
        })
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, ParseError> {
        match self.peek() {
            None => self.err("Unexpected end of input"),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(c) => self.err(format!("Unexpected character '{}'", char::from(c))),
        }
    }

    fn literal(&mut self, word: &str, v: Json<'a>) -> Result<Json<'a>, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            self.err("Unrecognized token")
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json<'a>, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.digits() == 0 {
            return self.err("Expected a digit");
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.err("Expected a digit after the decimal point");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.err("Expected a digit in the exponent");
            }
        }
        Ok(Json::Number(&self.text[start..self.pos]))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        // at the opening quote
        self.pos += 1;
        let start = self.pos;
        // fast path: no escapes
        loop {
            match self.peek() {
                None => return self.err("Unexpected end of input in a string"),
                Some(b'"') => {
                    let s = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => {
                    return self.err("Illegal unquoted control character in a string")
                }
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                None => return self.err("Unexpected end of input in a string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return self.err("Unexpected end of input in an escape");
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            out.push(c);
                        }
                        _ => return self.err("Unrecognized character escape"),
                    }
                }
                Some(c) if c < 0x20 => {
                    return self.err("Illegal unquoted control character in a string")
                }
                Some(_) => {
                    // copy one UTF-8 character
                    let rest = &self.text[self.pos..];
                    let end = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
                    out.push_str(&rest[..end]);
                    self.pos += end;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let Some(h) = self.text.get(self.pos..self.pos + 4) else {
            return self.err("Unexpected end of input in a \\u escape");
        };
        let v = u32::from_str_radix(h, 16).or_else(|_| self.err("Invalid \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }

    /// After `\u`: a character, joining a surrogate pair; a lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.bytes[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn array(&mut self, depth: usize) -> Result<Json<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return self.err("Document nesting depth exceeds the maximum allowed (1000)");
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return self.err("Expected ',' or ']' in an array"),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return self.err("Document nesting depth exceeds the maximum allowed (1000)");
        }
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return self.err("Expected a field name in double quotes");
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return self.err("Expected ':' after a field name");
            }
            self.pos += 1;
            self.skip_ws();
            let start = self.pos;
            let value = self.value(depth)?;
            members.push(Member {
                key,
                value,
                span: (start, self.pos),
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return self.err("Expected ',' or '}' in an object"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Json<'_> {
        parse(s.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(p("null"), Json::Null);
        assert_eq!(p(" true "), Json::Bool(true));
        assert_eq!(p("-12.5e+3"), Json::Number("-12.5e+3"));
        assert_eq!(p("0012"), Json::Number("0012"));
        assert_eq!(p("\"a\\u00e9\\n\""), Json::String("aé\n".into()));
        assert_eq!(p("\"\\ud83d\\ude00\""), Json::String("😀".into()));
        assert_eq!(p("\"plain\""), Json::String(Cow::Borrowed("plain")));
    }

    #[test]
    fn containers_and_spans() {
        let text = r#"{"schema": {"type":"int32"}, "payload": [1, 2]}"#;
        let j = p(text);
        let m = j.member("schema").unwrap();
        assert_eq!(&text[m.span.0..m.span.1], r#"{"type":"int32"}"#);
        assert_eq!(
            j.get("payload"),
            Some(&Json::Array(vec![Json::Number("1"), Json::Number("2")]))
        );
        assert_eq!(j.distinct_keys(), 2);
        let dup = p(r#"{"a":1,"a":2}"#);
        assert_eq!(dup.get("a"), Some(&Json::Number("2")));
        assert_eq!(dup.distinct_keys(), 1);
    }

    #[test]
    fn empty_and_trailing() {
        assert_eq!(parse(b"").unwrap(), None);
        assert_eq!(parse(b"  \n").unwrap(), None);
        // like Jackson, content after the first value is not read
        assert_eq!(parse(b"1 x").unwrap(), Some(Json::Number("1")));
    }

    #[test]
    fn top_level_members_are_checked_lazily() {
        let text = br#"{"schema": {"type":"int32"}, "payload": [1, "a\"b"]}"#;
        let Some(Top::Object(members)) = parse_top(text).unwrap() else {
            panic!()
        };
        let keys: Vec<_> = members.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, vec!["schema", "payload"]);
        let payload = parse_span(text, members[1].1).unwrap();
        assert_eq!(
            payload,
            Json::Array(vec![Json::Number("1"), Json::String("a\"b".into())])
        );
        assert!(matches!(parse_top(b"[1]").unwrap(), Some(Top::Other)));
        assert!(parse_top(b"").unwrap().is_none());
        for bad in [
            &br#"{"a": [1,}"#[..],
            br#"{"a": "x\q"}"#,
            br#"{"a": {"b" 1}}"#,
            br#"{"a": 01.}"#,
            br#"{"a": 1"#,
        ] {
            assert!(parse_top(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn errors() {
        for bad in [
            "{",
            "[1,]",
            "{\"a\" 1}",
            "tru",
            "01.",
            "\"\u{1}\"",
            "'a'",
            "NaN",
            "{a:1}",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = "[".repeat(2000);
        assert!(parse(deep.as_bytes()).is_err());
        assert!(parse(&[b'"', 0xFF, b'"']).is_err());
    }
}
