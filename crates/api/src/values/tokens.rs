//! The tokens of Kafka's `Values.Parser`: text split at `, : [ ] { } "` unless escaped with a
//! backslash, each delimiter a token of its own, with one token of look-ahead and positions to
//! rewind to.

/// Java's `String.trim`: strips every character up to U+0020.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

pub fn is_blank(s: &str) -> bool {
    java_trim(s).is_empty()
}

/// Kafka's `Values.Parser`: tokens of the text, with a look-ahead token and positions to rewind
/// to.
pub struct Tokens<'a> {
    pub text: &'a str,
    pos: usize,
    next: Option<&'a str>,
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a str) -> Self {
        Tokens {
            text,
            pos: 0,
            next: None,
        }
    }

    /// Where the look-ahead token (or else the next one) starts.
    pub fn mark(&self) -> usize {
        self.pos - self.next.map_or(0, str::len)
    }

    pub fn rewind(&mut self, pos: usize) {
        self.pos = pos;
        self.next = None;
    }

    pub fn has_next(&self) -> bool {
        self.next.is_some() || self.pos < self.text.len()
    }

    pub fn next(&mut self) -> &'a str {
        match self.next.take() {
            Some(t) => t,
            None => self.consume(),
        }
    }

    /// The text of the next `n` tokens, or `None` (nothing consumed) when there are fewer.
    pub fn next_n(&mut self, n: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind(start);
                return None;
            }
            self.next();
        }
        Some(&self.text[start..self.pos])
    }

    /// The text up to the next unescaped delimiter, or the delimiter itself.
    fn consume(&mut self) -> &'a str {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut escaped = false;
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'\\' => escaped = !escaped,
                b':' | b',' | b'{' | b'}' | b'[' | b']' | b'"' if !escaped => {
                    if start < self.pos {
                        return &self.text[start..self.pos];
                    }
                    self.pos += 1;
                    return &self.text[start..self.pos];
                }
                _ => escaped = false,
            }
            self.pos += 1;
        }
        &self.text[start..]
    }

    /// Whether the next token (blank ones skipped) is `expected`, spaces around it aside; if so
    /// it is consumed.
    pub fn can_consume(&mut self, expected: &str) -> bool {
        let mut token = match self.next {
            Some(t) => t,
            None if self.has_next() => self.consume(),
            None => return false,
        };
        while is_blank(token) && self.pos < self.text.len() {
            token = self.consume();
        }
        if java_trim(token) == expected {
            self.next = None;
            true
        } else {
            self.next = Some(token);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_unescaped_delimiters() {
        let mut t = Tokens::new(r#"{"a b":[1, x\:y]}"#);
        let mut all = Vec::new();
        while t.has_next() {
            all.push(t.next());
        }
        assert_eq!(
            all,
            ["{", "\"", "a b", "\"", ":", "[", "1", ",", " x\\:y", "]", "}"]
        );
        // Blank tokens are skipped when looking for a delimiter.
        let mut t = Tokens::new("[ ,]");
        assert!(t.can_consume("["));
        assert!(t.can_consume(","));
        assert_eq!(t.mark(), 3);
        assert_eq!(t.next_n(2), None);
        assert_eq!(t.next_n(1), Some("]"));
    }
}
