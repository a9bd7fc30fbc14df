//! The frames of the plugin host protocol (docs/design/java-host-protocol.md) and the binary
//! encoding of their record bodies, in Java's `DataOutputStream` conventions.

use std::io::{self, Read, Write};

/// Protocol version both sides speak.
pub const PROTOCOL: u64 = 1;
/// Frames above this size are a protocol error.
const MAX_FRAME: u32 = 256 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request = 1,
    Reply = 2,
    ErrorReply = 3,
    Event = 4,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Request,
            2 => Kind::Reply,
            3 => Kind::ErrorReply,
            4 => Kind::Event,
            _ => return None,
        })
    }
}

/// Message types; the table in java-host-protocol.md says what each carries.
pub mod msg {
    pub const HELLO: u16 = 1;
    pub const SCAN: u16 = 2;
    pub const DESCRIBE: u16 = 3;
    pub const VALIDATE: u16 = 4;
    pub const START_CONNECTOR: u16 = 10;
    pub const TASK_CONFIGS: u16 = 11;
    pub const STOP_CONNECTOR: u16 = 12;
    pub const ALTER_OFFSETS: u16 = 13;
    pub const REQUEST_TASK_RECONFIGURATION: u16 = 14;
    pub const RAISE_ERROR: u16 = 15;
    pub const START_SOURCE_TASK: u16 = 20;
    pub const POLL: u16 = 21;
    pub const COMMIT: u16 = 22;
    pub const STOP_TASK: u16 = 23;
    pub const SNAPSHOT_PROGRESS: u16 = 24;
    pub const READ_OFFSETS: u16 = 30;
    pub const START_SINK_TASK: u16 = 40;
    pub const OPEN: u16 = 41;
    pub const CLOSE: u16 = 42;
    pub const PUT: u16 = 43;
    pub const PRE_COMMIT: u16 = 44;
    pub const SINK_CONTEXT: u16 = 45;
    pub const REPORT_ERRANT: u16 = 46;
}

#[derive(Debug)]
pub struct Frame {
    pub kind: Kind,
    pub ty: u16,
    pub body: Vec<u8>,
}

pub fn write_frame(out: &mut impl Write, kind: Kind, ty: u16, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len() + 3)
        .ok()
        .filter(|len| *len <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut head = [0u8; 7];
    head[..4].copy_from_slice(&len.to_be_bytes());
    head[4] = kind as u8;
    head[5..].copy_from_slice(&ty.to_be_bytes());
    out.write_all(&head)?;
    out.write_all(body)?;
    out.flush()
}

/// The next frame; `Ok(None)` when the peer closed the connection between frames.
pub fn read_frame(input: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len);
    if !(3..=MAX_FRAME).contains(&len) {
        return Err(invalid(format!("a frame of {len} bytes")));
    }
    let mut head = [0u8; 3];
    input.read_exact(&mut head)?;
    let kind = Kind::from_u8(head[0]).ok_or_else(|| invalid(format!("frame kind {}", head[0])))?;
    let ty = u16::from_be_bytes([head[1], head[2]]);
    let mut body = vec![0u8; len as usize - 3];
    input.read_exact(&mut body)?;
    Ok(Some(Frame { kind, ty, body }))
}

fn invalid(what: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the plugin host sent {what}, which the protocol does not allow"),
    )
}

/// Writes a binary body.
#[derive(Default)]
pub struct Encoder {
    pub buf: Vec<u8>,
}

impl Encoder {
    pub fn i8(&mut self, v: i8) {
        self.buf.push(v as u8);
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn str(&mut self, v: &str) {
        self.i32(len_i32(v.len()));
        self.buf.extend_from_slice(v.as_bytes());
    }
    pub fn bytes(&mut self, v: Option<&[u8]>) {
        match v {
            None => self.i32(-1),
            Some(b) => {
                self.i32(len_i32(b.len()));
                self.buf.extend_from_slice(b);
            }
        }
    }
}

/// Lengths above 2 GiB cannot be in a frame (256 MiB at most), so saturating is never reached.
fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// Reads a binary body.
pub struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder { buf }
    }

    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(invalid("a record batch cut short".to_string()));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub fn i8(&mut self) -> io::Result<i8> {
        Ok(self.take(1)?[0] as i8)
    }
    pub fn i32(&mut self) -> io::Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn i64(&mut self) -> io::Result<i64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(i64::from_be_bytes(a))
    }
    pub fn str(&mut self) -> io::Result<String> {
        let len = self.i32()?;
        let len = usize::try_from(len).map_err(|_| invalid(format!("a string of length {len}")))?;
        String::from_utf8(self.take(len)?.to_vec())
            .map_err(|_| invalid("a string that is not UTF-8".to_string()))
    }
    pub fn bytes(&mut self) -> io::Result<Option<Vec<u8>>> {
        let len = self.i32()?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| invalid(format!("bytes of length {len}")))?;
        Ok(Some(self.take(len)?.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_eof_between_frames_is_a_clean_end() {
        let mut out = Vec::new();
        write_frame(&mut out, Kind::Request, msg::POLL, b"abc").unwrap();
        write_frame(&mut out, Kind::Event, msg::RAISE_ERROR, b"").unwrap();
        let mut input = &out[..];
        let first = read_frame(&mut input).unwrap().unwrap();
        assert_eq!(
            (first.kind, first.ty, &first.body[..]),
            (Kind::Request, 21, &b"abc"[..])
        );
        let second = read_frame(&mut input).unwrap().unwrap();
        assert_eq!(
            (second.kind, second.ty, second.body.len()),
            (Kind::Event, 15, 0)
        );
        assert!(read_frame(&mut input).unwrap().is_none());
    }

    #[test]
    fn a_frame_cut_short_is_an_error_not_an_end() {
        let mut out = Vec::new();
        write_frame(&mut out, Kind::Reply, 1, b"abcdef").unwrap();
        let mut input = &out[..out.len() - 2];
        assert!(read_frame(&mut input).is_err());
    }

    #[test]
    fn binary_values_round_trip_with_null_bytes() {
        let mut e = Encoder::default();
        e.str("topic");
        e.i32(-1);
        e.i64(1 << 40);
        e.bytes(None);
        e.bytes(Some(b"v"));
        e.i8(2);
        let mut d = Decoder::new(&e.buf);
        assert_eq!(d.str().unwrap(), "topic");
        assert_eq!(d.i32().unwrap(), -1);
        assert_eq!(d.i64().unwrap(), 1 << 40);
        assert_eq!(d.bytes().unwrap(), None);
        assert_eq!(d.bytes().unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(d.i8().unwrap(), 2);
        assert!(d.is_empty());
        assert!(d.i8().is_err());
    }
}
