//! The one shape of Java object serialization that Kafka Connect's standalone offsets file holds:
//! a `java.util.HashMap<byte[], byte[]>` written by `ObjectOutputStream.writeObject`
//! (`FileOffsetBackingStore.save`), read back as `FileOffsetBackingStore.load` does through
//! `SafeObjectInputStream`, which accepts the classes `java.util.HashMap` and `[B` and no other.
//!
//! The writer produces exactly Java's bytes for the same entries in the same order (Java's own
//! order follows the identity hashes of its arrays, so it differs from run to run); the reader
//! takes any stream of that shape: any capacity, back-references to arrays, null keys and values,
//! block data in short or long form and split across blocks. Anything else is an error, never a
//! panic. No crate covers this: the Rust ones read Java serialization (`jaded`) but none writes
//! it, and the whole grammar needed here is a few type codes.
//!
//! Fixtures made by Java itself, and how they were made: `tests/fixtures/java_offsets/`.

/// The first bytes of every Java serialization stream: `STREAM_MAGIC`, `STREAM_VERSION` 5.
pub const STREAM_HEADER: [u8; 4] = [0xAC, 0xED, 0x00, 0x05];

const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_ARRAY: u8 = 0x75;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const TC_RESET: u8 = 0x79;
const TC_BLOCKDATALONG: u8 = 0x7A;
const TC_LONGSTRING: u8 = 0x7C;
const TC_PROXYCLASSDESC: u8 = 0x7D;

const SC_WRITE_METHOD: u8 = 0x01;
const SC_SERIALIZABLE: u8 = 0x02;
const SC_EXTERNALIZABLE: u8 = 0x04;

const BASE_HANDLE: u32 = 0x7E_0000;

const HASH_MAP: &str = "java.util.HashMap";
const HASH_MAP_UID: i64 = 362_498_820_763_181_265;
const BYTE_ARRAY: &str = "[B";
const BYTE_ARRAY_UID: i64 = -5_984_413_125_824_719_648;

const LOAD_FACTOR: f32 = 0.75;
const DEFAULT_CAPACITY: i32 = 16;
const MAXIMUM_CAPACITY: i32 = 1 << 30;
/// Superclass descriptors nested deeper than this are refused (a hostile file could otherwise
/// recurse until the stack overflows).
const MAX_DEPTH: usize = 16;

/// One entry of the map: key and value, each a byte array or Java's `null`.
pub type Entry = (Option<Vec<u8>>, Option<Vec<u8>>);
/// An entry to write, borrowed.
pub type EntryRef<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JavaSerializationError {
    #[error("not a Java serialization stream (it does not start with 0xACED0005)")]
    NotJavaStream,
    #[error("the stream ends early: {needed} more bytes needed at byte {offset}")]
    Truncated { offset: usize, needed: usize },
    #[error("at byte {offset}: {message}")]
    Invalid { offset: usize, message: String },
    #[error("a byte array of {0} bytes is too long for Java")]
    TooLong(usize),
}

/// Java's bytes for a `HashMap<byte[], byte[]>` filled by `put` with `entries`, in this order
/// (keys are not checked for duplicates: a Java map of arrays may hold equal ones).
pub fn write_byte_map<'a, I>(entries: I) -> Result<Vec<u8>, JavaSerializationError>
where
    I: IntoIterator<Item = EntryRef<'a>>,
{
    let entries: Vec<_> = entries.into_iter().collect();
    let size =
        i32::try_from(entries.len()).map_err(|_| JavaSerializationError::TooLong(entries.len()))?;
    let (capacity, threshold) = hash_map_table(size);
    let mut out = Vec::with_capacity(128 + entries.len() * 96);
    out.extend_from_slice(&STREAM_HEADER);
    out.push(TC_OBJECT);
    out.push(TC_CLASSDESC); // handle 0
    put_utf(&mut out, HASH_MAP);
    out.extend_from_slice(&HASH_MAP_UID.to_be_bytes());
    out.push(SC_WRITE_METHOD | SC_SERIALIZABLE);
    out.extend_from_slice(&2u16.to_be_bytes());
    out.push(b'F');
    put_utf(&mut out, "loadFactor");
    out.push(b'I');
    put_utf(&mut out, "threshold");
    // No class annotation, and no superclass descriptor: AbstractMap is not serializable.
    out.push(TC_ENDBLOCKDATA);
    out.push(TC_NULL);
    // Handle 1, the map: its serializable fields, then what its writeObject adds.
    out.extend_from_slice(&LOAD_FACTOR.to_be_bytes());
    out.extend_from_slice(&threshold.to_be_bytes());
    out.push(TC_BLOCKDATA);
    out.push(8);
    out.extend_from_slice(&capacity.to_be_bytes());
    out.extend_from_slice(&size.to_be_bytes());
    let mut next_handle = BASE_HANDLE + 2;
    let mut array_class: Option<u32> = None;
    for (key, value) in entries {
        for item in [key, value] {
            let Some(bytes) = item else {
                out.push(TC_NULL);
                continue;
            };
            let len = i32::try_from(bytes.len())
                .map_err(|_| JavaSerializationError::TooLong(bytes.len()))?;
            out.push(TC_ARRAY);
            match array_class {
                Some(handle) => {
                    out.push(TC_REFERENCE);
                    out.extend_from_slice(&handle.to_be_bytes());
                }
                None => {
                    out.push(TC_CLASSDESC);
                    put_utf(&mut out, BYTE_ARRAY);
                    out.extend_from_slice(&BYTE_ARRAY_UID.to_be_bytes());
                    out.push(SC_SERIALIZABLE);
                    out.extend_from_slice(&0u16.to_be_bytes());
                    out.push(TC_ENDBLOCKDATA);
                    out.push(TC_NULL);
                    array_class = Some(next_handle);
                    next_handle += 1;
                }
            }
            next_handle += 1; // the array itself
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
    out.push(TC_ENDBLOCKDATA);
    Ok(out)
}

/// The table length and `threshold` field of a `new HashMap<>()` after `size` calls of `put`
/// (an empty map has no table yet: threshold 0, and `writeObject` reports the default capacity).
fn hash_map_table(size: i32) -> (i32, i32) {
    if size == 0 {
        return (DEFAULT_CAPACITY, 0);
    }
    let mut capacity = DEFAULT_CAPACITY;
    while capacity < MAXIMUM_CAPACITY && size > capacity / 4 * 3 {
        capacity *= 2;
    }
    let threshold = if capacity == MAXIMUM_CAPACITY {
        i32::MAX
    } else {
        capacity / 4 * 3
    };
    (capacity, threshold)
}

fn put_utf(out: &mut Vec<u8>, s: &str) {
    // Only the fixed ASCII names above are written, for which modified UTF-8 is UTF-8.
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The entries of a serialized `HashMap<byte[], byte[]>`, in the order of the stream.
pub fn read_byte_map(bytes: &[u8]) -> Result<Vec<Entry>, JavaSerializationError> {
    if bytes.len() < 2 || bytes[..2] != STREAM_HEADER[..2] {
        return Err(JavaSerializationError::NotJavaStream);
    }
    let mut r = Reader {
        bytes,
        pos: 2,
        handles: Vec::new(),
        block_left: 0,
    };
    let version = r.u16()?;
    if version != 5 {
        return Err(r.invalid_at(2, format!("stream version {version}, not 5")));
    }
    let entries = loop {
        let at = r.pos;
        match r.u8()? {
            TC_RESET => r.handles.clear(),
            TC_OBJECT => break r.hash_map()?,
            TC_NULL => return Err(r.invalid_at(at, "the stream holds null, not a HashMap".into())),
            code => {
                return Err(r.invalid_at(
                    at,
                    format!("expected a HashMap object, found {}", describe(code)),
                ))
            }
        }
    };
    if r.pos != bytes.len() {
        return Err(r.invalid(format!("{} bytes follow the map", bytes.len() - r.pos)));
    }
    Ok(entries)
}

#[derive(Debug, Clone)]
struct ClassDesc {
    name: String,
    uid: i64,
    flags: u8,
    /// Type code and name of each serializable field, in stream order.
    fields: Vec<(u8, String)>,
    has_super: bool,
}

#[derive(Debug, Clone)]
enum Handle {
    /// Assigned when a descriptor starts; filled in once it is read.
    Pending,
    Class(ClassDesc),
    Map,
    Bytes(std::ops::Range<usize>),
    Text,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    handles: Vec<Handle>,
    /// Bytes left in the current block of block data.
    block_left: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], JavaSerializationError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(JavaSerializationError::Truncated {
                offset: self.pos,
                needed: n.saturating_sub(self.bytes.len() - self.pos),
            })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], JavaSerializationError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, JavaSerializationError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, JavaSerializationError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, JavaSerializationError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, JavaSerializationError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn invalid(&self, message: String) -> JavaSerializationError {
        self.invalid_at(self.pos, message)
    }

    fn invalid_at(&self, offset: usize, message: String) -> JavaSerializationError {
        JavaSerializationError::Invalid { offset, message }
    }

    /// A length-prefixed (modified) UTF-8 string, as in class and field names.
    fn utf(&mut self, len: usize) -> Result<String, JavaSerializationError> {
        let at = self.pos;
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec())
            .map_err(|_| self.invalid_at(at, "a name that is not UTF-8".into()))
    }

    fn new_handle(&mut self, h: Handle) -> usize {
        self.handles.push(h);
        self.handles.len() - 1
    }

    fn handle(&mut self) -> Result<Handle, JavaSerializationError> {
        let at = self.pos;
        let raw = u32::from_be_bytes(self.array()?);
        raw.checked_sub(BASE_HANDLE)
            .and_then(|i| self.handles.get(i as usize))
            .cloned()
            .ok_or_else(|| self.invalid_at(at, format!("a reference to unknown handle {raw:#x}")))
    }

    /// A class descriptor (new, or a reference to one read before); `None` for `TC_NULL`.
    fn class_desc(&mut self, depth: usize) -> Result<Option<ClassDesc>, JavaSerializationError> {
        if depth > MAX_DEPTH {
            return Err(self.invalid("class descriptors nested too deep".into()));
        }
        let at = self.pos;
        match self.u8()? {
            TC_NULL => Ok(None),
            TC_REFERENCE => match self.handle()? {
                Handle::Class(c) => Ok(Some(c)),
                _ => Err(self.invalid_at(at, "a reference to something not a class".into())),
            },
            TC_CLASSDESC => {
                let len = self.u16()? as usize;
                let name = self.utf(len)?;
                let uid = self.i64()?;
                let handle = self.new_handle(Handle::Pending);
                let flags = self.u8()?;
                let count = self.u16()?;
                let mut fields = Vec::new();
                for _ in 0..count {
                    let code = self.u8()?;
                    let len = self.u16()? as usize;
                    let field = self.utf(len)?;
                    if matches!(code, b'L' | b'[') {
                        self.type_name()?;
                    }
                    fields.push((code, field));
                }
                self.skip_annotation("a class annotation")?;
                let has_super = self.class_desc(depth + 1)?.is_some();
                let desc = ClassDesc {
                    name,
                    uid,
                    flags,
                    fields,
                    has_super,
                };
                self.handles[handle] = Handle::Class(desc.clone());
                Ok(Some(desc))
            }
            TC_PROXYCLASSDESC => Err(self.invalid_at(at, "a proxy class".into())),
            code => Err(self.invalid_at(
                at,
                format!("expected a class descriptor, found {}", describe(code)),
            )),
        }
    }

    /// The type of an object field (a string object), which only takes a handle.
    fn type_name(&mut self) -> Result<(), JavaSerializationError> {
        let at = self.pos;
        match self.u8()? {
            TC_STRING => {
                let len = self.u16()? as usize;
                self.take(len)?;
            }
            TC_LONGSTRING => {
                let len = u64::from_be_bytes(self.array()?);
                let len = usize::try_from(len)
                    .map_err(|_| self.invalid_at(at, "a string too long".into()))?;
                self.take(len)?;
            }
            TC_REFERENCE => {
                return match self.handle()? {
                    Handle::Text => Ok(()),
                    _ => Err(self.invalid_at(at, "a field type that is not a string".into())),
                }
            }
            code => {
                return Err(self.invalid_at(
                    at,
                    format!("expected a field's type name, found {}", describe(code)),
                ))
            }
        }
        self.new_handle(Handle::Text);
        Ok(())
    }

    /// Skips block data up to `TC_ENDBLOCKDATA`; an object there is an error.
    fn skip_annotation(&mut self, what: &str) -> Result<(), JavaSerializationError> {
        loop {
            let at = self.pos;
            match self.u8()? {
                TC_ENDBLOCKDATA => return Ok(()),
                TC_BLOCKDATA => {
                    let n = self.u8()? as usize;
                    self.take(n)?;
                }
                TC_BLOCKDATALONG => {
                    let n = self.block_long_len(at)?;
                    self.take(n)?;
                }
                code => {
                    return Err(self.invalid_at(
                        at,
                        format!("{what} holds {}, not only data", describe(code)),
                    ))
                }
            }
        }
    }

    fn block_long_len(&mut self, at: usize) -> Result<usize, JavaSerializationError> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| self.invalid_at(at, format!("a block of {n} bytes")))
    }

    /// `n` bytes of block data, which may run across several blocks of either form.
    fn block_bytes(&mut self, n: usize) -> Result<Vec<u8>, JavaSerializationError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.block_left == 0 {
                let at = self.pos;
                self.block_left = match self.u8()? {
                    TC_BLOCKDATA => self.u8()? as usize,
                    TC_BLOCKDATALONG => self.block_long_len(at)?,
                    code => {
                        return Err(self.invalid_at(
                            at,
                            format!(
                                "expected the map's capacity and size, found {}",
                                describe(code)
                            ),
                        ))
                    }
                };
                continue;
            }
            let k = self.block_left.min(n - out.len());
            out.extend_from_slice(self.take(k)?);
            self.block_left -= k;
        }
        Ok(out)
    }

    /// A `HashMap` object, after its `TC_OBJECT`.
    fn hash_map(&mut self) -> Result<Vec<Entry>, JavaSerializationError> {
        let at = self.pos;
        let Some(desc) = self.class_desc(0)? else {
            return Err(self.invalid_at(at, "an object without a class".into()));
        };
        if desc.name != HASH_MAP {
            return Err(self.invalid_at(
                at,
                format!("an object of class {}, not {HASH_MAP}", desc.name),
            ));
        }
        if desc.uid != HASH_MAP_UID {
            return Err(self.invalid_at(
                at,
                format!(
                    "{HASH_MAP} with serialVersionUID {}, not {HASH_MAP_UID}",
                    desc.uid
                ),
            ));
        }
        let wanted = SC_WRITE_METHOD | SC_SERIALIZABLE;
        if desc.flags & wanted != wanted || desc.flags & SC_EXTERNALIZABLE != 0 || desc.has_super {
            return Err(self.invalid_at(
                at,
                format!(
                    "{HASH_MAP} described with flags {:#04x}{}",
                    desc.flags,
                    if desc.has_super {
                        " and a superclass"
                    } else {
                        ""
                    }
                ),
            ));
        }
        self.new_handle(Handle::Map);
        for (code, name) in &desc.fields {
            let size = match code {
                b'B' | b'Z' => 1,
                b'C' | b'S' => 2,
                b'I' | b'F' => 4,
                b'J' | b'D' => 8,
                _ => return Err(self.invalid(format!("{HASH_MAP} with an object field {name}"))),
            };
            self.take(size)?;
        }
        let head = self.block_bytes(8)?;
        let size = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        let size =
            usize::try_from(size).map_err(|_| self.invalid(format!("a map of {size} entries")))?;
        // Each entry takes at least two bytes (two TC_NULLs): no allocation beyond the input.
        let mut entries = Vec::with_capacity(size.min((self.bytes.len() - self.pos) / 2));
        for _ in 0..size {
            let key = self.bytes_or_null()?;
            let value = self.bytes_or_null()?;
            entries.push((key, value));
        }
        // Like Java, skip any further data of writeObject's, up to its end marker.
        let rest = self.block_left;
        self.take(rest)?;
        self.block_left = 0;
        self.skip_annotation("the map's data after its entries")?;
        Ok(entries)
    }

    /// A byte array (new or a reference) or null.
    fn bytes_or_null(&mut self) -> Result<Option<Vec<u8>>, JavaSerializationError> {
        if self.block_left > 0 {
            return Err(self.invalid(format!(
                "{} bytes of block data where a key or value was expected",
                self.block_left
            )));
        }
        let at = self.pos;
        match self.u8()? {
            TC_NULL => Ok(None),
            TC_REFERENCE => match self.handle()? {
                Handle::Bytes(range) => Ok(Some(self.bytes[range].to_vec())),
                _ => Err(self.invalid_at(at, "a reference to something not a byte array".into())),
            },
            TC_ARRAY => {
                let class_at = self.pos;
                match self.class_desc(0)? {
                    Some(c) if c.name == BYTE_ARRAY && c.uid == BYTE_ARRAY_UID => {}
                    Some(c) if c.name == BYTE_ARRAY => {
                        return Err(self.invalid_at(
                            class_at,
                            format!(
                                "byte[] with serialVersionUID {}, not {BYTE_ARRAY_UID}",
                                c.uid
                            ),
                        ))
                    }
                    Some(c) => {
                        return Err(self.invalid_at(
                            class_at,
                            format!("an array of class {}, not byte[]", c.name),
                        ))
                    }
                    None => {
                        return Err(self.invalid_at(class_at, "an array without a class".into()))
                    }
                }
                let len_at = self.pos;
                let len = self.i32()?;
                let len = usize::try_from(len)
                    .map_err(|_| self.invalid_at(len_at, format!("an array of length {len}")))?;
                let start = self.pos;
                self.take(len)?;
                self.new_handle(Handle::Bytes(start..start + len));
                Ok(Some(self.bytes[start..start + len].to_vec()))
            }
            code => Err(self.invalid_at(
                at,
                format!("expected a byte array or null, found {}", describe(code)),
            )),
        }
    }
}

fn describe(code: u8) -> String {
    let name = match code {
        TC_NULL => "TC_NULL",
        TC_REFERENCE => "TC_REFERENCE",
        TC_CLASSDESC => "TC_CLASSDESC",
        TC_OBJECT => "TC_OBJECT",
        TC_STRING => "TC_STRING",
        TC_ARRAY => "TC_ARRAY",
        0x76 => "TC_CLASS",
        TC_BLOCKDATA => "TC_BLOCKDATA",
        TC_ENDBLOCKDATA => "TC_ENDBLOCKDATA",
        TC_RESET => "TC_RESET",
        TC_BLOCKDATALONG => "TC_BLOCKDATALONG",
        0x7B => "TC_EXCEPTION",
        TC_LONGSTRING => "TC_LONGSTRING",
        TC_PROXYCLASSDESC => "TC_PROXYCLASSDESC",
        0x7E => "TC_ENUM",
        _ => return format!("the unknown type code {code:#04x}"),
    };
    format!("{name} ({code:#04x})")
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/fixtures/java_offsets/", $name)).as_slice()
        };
    }

    fn text(b: &Option<Vec<u8>>) -> String {
        b.as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_else(|| "null".into())
    }

    fn refs(entries: &[Entry]) -> Vec<EntryRef<'_>> {
        entries
            .iter()
            .map(|(k, v)| (k.as_deref(), v.as_deref()))
            .collect()
    }

    /// Each fixture read, then written again in the order read, gives Java's bytes back.
    #[test]
    fn java_fixtures_round_trip_byte_for_byte() {
        for (name, bytes, expected) in [
            ("empty", fixture!("empty.bin"), 0),
            ("one", fixture!("one.bin"), 1),
            ("null_value", fixture!("null_value.bin"), 1),
            ("many", fixture!("many.bin"), 20),
            ("null_key", fixture!("null_key.bin"), 1),
        ] {
            let entries = read_byte_map(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(entries.len(), expected, "{name}");
            assert_eq!(write_byte_map(refs(&entries)).unwrap(), bytes, "{name}");
        }
    }

    #[test]
    fn the_writer_makes_javas_bytes_for_one_offset() {
        let key = br#"["local-file-source",{"filename":"/tmp/test.txt"}]"#.as_slice();
        let value = br#"{"position":1234}"#.as_slice();
        assert_eq!(
            write_byte_map([(Some(key), Some(value))]).unwrap(),
            fixture!("one.bin")
        );
        assert_eq!(
            write_byte_map(std::iter::empty()).unwrap(),
            fixture!("empty.bin")
        );
        let gone = br#"["gone",{"filename":"/tmp/gone.txt"}]"#.as_slice();
        assert_eq!(
            write_byte_map([(Some(gone), None)]).unwrap(),
            fixture!("null_value.bin")
        );
    }

    /// `ferry_many.bin` is this writer's output for the entries of `many.txt` in sorted order;
    /// Java read it back as exactly `many.txt` (see the fixtures' README).
    #[test]
    fn the_writer_still_makes_the_file_java_read() {
        let listing = std::str::from_utf8(fixture!("many.txt")).unwrap();
        let entries: Vec<EntryRef> = listing
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('\t').unwrap();
                (Some(k.as_bytes()), (v != "null").then_some(v.as_bytes()))
            })
            .collect();
        assert_eq!(write_byte_map(entries).unwrap(), fixture!("ferry_many.bin"));
    }

    #[test]
    fn javas_entries_are_read_with_nulls() {
        let mut lines: Vec<String> = read_byte_map(fixture!("many.bin"))
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{}\t{}", text(k), text(v)))
            .collect();
        lines.sort();
        let java = std::str::from_utf8(fixture!("many.txt")).unwrap();
        assert_eq!(lines, java.lines().collect::<Vec<_>>());

        let one = read_byte_map(fixture!("null_value.bin")).unwrap();
        assert_eq!(text(&one[0].0), r#"["gone",{"filename":"/tmp/gone.txt"}]"#);
        assert_eq!(one[0].1, None);
        let null_key = read_byte_map(fixture!("null_key.bin")).unwrap();
        assert_eq!(null_key[0].0, None);
        assert_eq!(text(&null_key[0].1), r#"{"position":1}"#);
    }

    #[test]
    fn a_back_reference_to_an_array_is_the_same_bytes() {
        let entries = read_byte_map(fixture!("shared.bin")).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(text(&entries[0].0), r#"["same",{"p":1}]"#);
        assert_eq!(entries[0].0, entries[0].1);
    }

    /// The 8 bytes of capacity and size at offset 0x47 of a one-entry fixture, as one short block.
    const BLOCK_AT: usize = 0x47;

    #[test]
    fn block_data_in_long_form_or_split_is_read() {
        let java = fixture!("one.bin");
        assert_eq!(&java[BLOCK_AT..BLOCK_AT + 2], &[TC_BLOCKDATA, 8]);
        let expected = read_byte_map(java).unwrap();
        let payload = &java[BLOCK_AT + 2..BLOCK_AT + 10];

        let mut long = java[..BLOCK_AT].to_vec();
        long.push(TC_BLOCKDATALONG);
        long.extend_from_slice(&8i32.to_be_bytes());
        long.extend_from_slice(payload);
        long.extend_from_slice(&java[BLOCK_AT + 10..]);
        assert_eq!(read_byte_map(&long).unwrap(), expected);

        let mut split = java[..BLOCK_AT].to_vec();
        split.extend_from_slice(&[TC_BLOCKDATA, 3]);
        split.extend_from_slice(&payload[..3]);
        split.push(TC_BLOCKDATALONG);
        split.extend_from_slice(&5i32.to_be_bytes());
        split.extend_from_slice(&payload[3..]);
        split.extend_from_slice(&java[BLOCK_AT + 10..]);
        assert_eq!(read_byte_map(&split).unwrap(), expected);

        // Any capacity: Java's reader ignores it.
        let mut big = java.to_vec();
        big[BLOCK_AT + 2..BLOCK_AT + 6].copy_from_slice(&1024i32.to_be_bytes());
        assert_eq!(read_byte_map(&big).unwrap(), expected);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        for bytes in [
            fixture!("many.bin"),
            fixture!("shared.bin"),
            fixture!("null_key.bin"),
        ] {
            for n in 0..bytes.len() {
                assert!(read_byte_map(&bytes[..n]).is_err(), "cut at {n}");
            }
        }
    }

    #[test]
    fn corrupted_bytes_are_errors_not_panics() {
        let java = fixture!("many.bin");
        for i in 0..java.len() {
            for b in [0x00, 0x70, 0x71, 0x75, 0x7A, 0xFF] {
                let mut bad = java.to_vec();
                bad[i] = b;
                let _ = read_byte_map(&bad);
            }
        }
    }

    #[test]
    fn other_shapes_get_clear_errors() {
        let err = |b: &[u8]| read_byte_map(b).unwrap_err().to_string();
        assert!(err(b"{}").contains("not a Java serialization stream"));
        assert!(err(&[0xAC, 0xED, 0x00, 0x04]).contains("version 4"));
        assert!(err(&[0xAC, 0xED, 0x00, 0x05, TC_NULL]).contains("null, not a HashMap"));
        assert!(err(&[0xAC, 0xED, 0x00, 0x05, TC_STRING]).contains("TC_STRING"));

        // Another class of the same name length, renamed in place.
        let mut other = fixture!("one.bin").to_vec();
        other[0x08..0x19].copy_from_slice(b"java.util.TreeMa_");
        assert!(
            err(&other).contains("class java.util.TreeMa_"),
            "{}",
            err(&other)
        );

        let mut uid = fixture!("one.bin").to_vec();
        uid[0x19] ^= 1;
        assert!(err(&uid).contains("serialVersionUID"), "{}", err(&uid));

        let mut trailing = fixture!("one.bin").to_vec();
        trailing.push(0);
        assert!(err(&trailing).contains("1 bytes follow the map"));

        let mut huge = fixture!("one.bin").to_vec();
        huge[BLOCK_AT + 6..BLOCK_AT + 10].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(
            err(&huge).contains("found TC_ENDBLOCKDATA"),
            "{}",
            err(&huge)
        );
    }

    #[test]
    fn hash_map_tables_grow_as_javas() {
        assert_eq!(hash_map_table(0), (16, 0));
        assert_eq!(hash_map_table(1), (16, 12));
        assert_eq!(hash_map_table(12), (16, 12));
        assert_eq!(hash_map_table(13), (32, 24));
        assert_eq!(hash_map_table(20), (32, 24));
        assert_eq!(hash_map_table(25), (64, 48));
    }
}
