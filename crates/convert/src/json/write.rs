//! Compact JSON output, byte for byte as Kafka's Jackson writer produces it.

use base64::Engine as _;
use ferry_api::text::{push_java_double, push_java_float};

/// A string in double quotes. Like Jackson: `"` and `\` escaped, control characters as `\b \t \n
/// \f \r` or `\u00XX` (upper-case hex), everything else (including `/` and non-ASCII) as is.
pub fn string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0C => b"\\f",
            b'\r' => b"\\r",
            0..=0x1F => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xF)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

pub fn integer(out: &mut Vec<u8>, v: impl itoa::Integer) {
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(v).as_bytes());
}

/// A double as Java's `Double.toString`; NaN and infinities as quoted strings, as Jackson does.
pub fn double(out: &mut Vec<u8>, v: f64) {
    let mut s = String::new();
    push_java_double(&mut s, v);
    if v.is_finite() {
        out.extend_from_slice(s.as_bytes());
    } else {
        string(out, &s);
    }
}

/// A float as Java's `Float.toString`; NaN and infinities as quoted strings.
pub fn float(out: &mut Vec<u8>, v: f32) {
    let mut s = String::new();
    push_java_float(&mut s, v);
    if v.is_finite() {
        out.extend_from_slice(s.as_bytes());
    } else {
        string(out, &s);
    }
}

/// Bytes as a quoted base64 string (standard alphabet, padded, no line breaks).
pub fn base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_like_jackson() {
        assert_eq!(s(|o| string(o, "a\"b\\c/d")), r#""a\"b\\c/d""#);
        assert_eq!(s(|o| string(o, "\n\t\r\u{8}\u{c}")), r#""\n\t\r\b\f""#);
        assert_eq!(s(|o| string(o, "\u{1}\u{1f}")), r#""\u0001\u001F""#);
        assert_eq!(s(|o| string(o, "é😀\u{7f}")), "\"é😀\u{7f}\"");
    }

    #[test]
    fn numbers() {
        assert_eq!(s(|o| integer(o, -42i32)), "-42");
        assert_eq!(s(|o| double(o, 12.34)), "12.34");
        assert_eq!(s(|o| double(o, 1e20)), "1.0E20");
        assert_eq!(s(|o| double(o, f64::NAN)), "\"NaN\"");
        assert_eq!(s(|o| float(o, 12.34)), "12.34");
        assert_eq!(s(|o| float(o, f32::NEG_INFINITY)), "\"-Infinity\"");
    }

    #[test]
    fn base64_padded() {
        assert_eq!(s(|o| base64(o, &[0x30, 0x39])), "\"MDk=\"");
        assert_eq!(s(|o| base64(o, &[])), "\"\"");
        assert_eq!(s(|o| base64(o, b"test-string")), "\"dGVzdC1zdHJpbmc=\"");
    }
}
