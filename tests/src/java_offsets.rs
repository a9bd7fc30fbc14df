//! Reads a standalone offsets file as Kafka Connect writes it (a Java-serialized
//! `HashMap<byte[], byte[]>`), independently of ferry's own reader: just enough of Java
//! serialization for what `ObjectOutputStream` writes for that map.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// Where the map's entries start in Java's stream: magic, version, the HashMap class descriptor,
/// its two fields, and the block of capacity and size.
const ENTRIES_AT: usize = 0x51;

/// Keys (their JSON text) and values (parsed; `Null` for Java's null), or `None` if `bytes` are
/// not such a map.
pub fn read(bytes: &[u8]) -> Option<BTreeMap<String, Json>> {
    if !bytes.starts_with(&[0xAC, 0xED, 0x00, 0x05])
        || bytes.get(0x08..0x19)? != b"java.util.HashMap"
        || bytes.get(0x47..0x49)? != [0x77, 0x08]
    {
        return None;
    }
    let int = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(i32::from_be_bytes(b)).ok()
    };
    let size = int(0x4D)?;
    let mut pos = ENTRIES_AT;
    // Handles 0 and 1 are the HashMap's class and the map; arrays and byte[]'s class follow.
    let mut handles: Vec<Option<&[u8]>> = vec![None, None];
    let mut item = |pos: &mut usize| -> Option<Option<&[u8]>> {
        let code = *bytes.get(*pos)?;
        *pos += 1;
        match code {
            0x70 => Some(None),
            0x71 => {
                let h = int(*pos)?.checked_sub(0x7E_0000)?;
                *pos += 4;
                handles.get(h).copied().flatten().map(Some)
            }
            0x75 => {
                match *bytes.get(*pos)? {
                    // TC_CLASSDESC "[B", serialVersionUID, flags, no fields, end, no superclass.
                    0x72 => {
                        *pos += 1 + 2 + 2 + 8 + 1 + 2 + 1 + 1;
                        handles.push(None);
                    }
                    0x71 => *pos += 5,
                    _ => return None,
                }
                let len = int(*pos)?;
                let data = bytes.get(*pos + 4..*pos + 4 + len)?;
                *pos += 4 + len;
                handles.push(Some(data));
                Some(Some(data))
            }
            _ => None,
        }
    };
    let mut map = BTreeMap::new();
    for _ in 0..size {
        let key = item(&mut pos)??;
        let value = item(&mut pos)?;
        let value = match value {
            Some(v) => serde_json::from_slice(v).ok()?,
            None => Json::Null,
        };
        map.insert(String::from_utf8_lossy(key).into_owned(), value);
    }
    (bytes.get(pos..)? == [0x78]).then_some(map)
}

#[cfg(test)]
mod tests {
    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                "../../crates/runtime/tests/fixtures/java_offsets/",
                $name
            ))
            .as_slice()
        };
    }

    #[test]
    fn javas_files_are_read() {
        let many = super::read(fixture!("many.bin")).unwrap();
        assert_eq!(many.len(), 20);
        assert_eq!(
            many[r#"["conn-3",{"filename":"/data/3.txt"}]"#],
            serde_json::json!({"position": 300})
        );
        assert!(many[r#"["conn-5",{"filename":"/data/5.txt"}]"#].is_null());
        let shared = super::read(fixture!("shared.bin")).unwrap();
        assert_eq!(
            shared[r#"["same",{"p":1}]"#],
            serde_json::json!(["same", {"p": 1}])
        );
        assert_eq!(super::read(fixture!("empty.bin")).unwrap().len(), 0);
        assert_eq!(super::read(b"{}"), None);
    }
}
