//! The payloads of Kafka Connect's `connect` group protocol: member metadata (what a worker
//! tells the group when it joins) and assignments (what the leader hands each member).
//!
//! int16/int32/int64 big-endian; STRING = int16 length + UTF-8; ARRAY = int32 count (-1 = null);
//! NULLABLE_BYTES = int32 length (-1 = null). A task number of -1 stands for the connector itself.

use std::collections::BTreeMap;

/// The Connector object itself, in an assignment's task list.
pub const CONNECTOR_TASK: i32 = -1;

/// The sub-protocols a worker offers, named as Kafka names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    /// v0: eager; everything is revoked at every rebalance.
    Eager,
    /// v1: incremental cooperative (KIP-415).
    Compatible,
    /// v2: v1 with signed internal requests.
    Sessioned,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Eager => "default",
            Protocol::Compatible => "compatible",
            Protocol::Sessioned => "sessioned",
        }
    }

    pub fn version(self) -> i16 {
        match self {
            Protocol::Eager => 0,
            Protocol::Compatible => 1,
            Protocol::Sessioned => 2,
        }
    }

    pub fn from_name(name: &str) -> Option<Protocol> {
        match name {
            "default" | "eager" => Some(Protocol::Eager),
            "compatible" => Some(Protocol::Compatible),
            "sessioned" => Some(Protocol::Sessioned),
            _ => None,
        }
    }

    /// What a worker configured with `connect.protocol=self` offers, most preferred first.
    pub fn offered(self) -> Vec<Protocol> {
        match self {
            Protocol::Sessioned => vec![Protocol::Sessioned, Protocol::Compatible, Protocol::Eager],
            Protocol::Compatible => vec![Protocol::Compatible, Protocol::Eager],
            Protocol::Eager => vec![Protocol::Eager],
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed connect protocol payload: {0}")]
pub struct ProtocolError(pub String);

type Result<T> = std::result::Result<T, ProtocolError>;

/// Connectors and tasks, by connector name: the task numbers, with -1 for the connector object.
pub type Allocation = BTreeMap<String, Vec<i32>>;

/// What a worker says about itself when joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberMetadata {
    pub version: i16,
    pub url: String,
    pub config_offset: i64,
    /// What the worker runs now (v1 and later).
    pub allocation: Option<Assignment>,
}

/// What the leader hands a member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    pub version: i16,
    /// 0, or 1 = CONFIG_MISMATCH.
    pub error: i16,
    pub leader: String,
    pub leader_url: String,
    pub config_offset: i64,
    pub assigned: Allocation,
    pub revoked: Allocation,
    /// Milliseconds until a scheduled follow-up rebalance (0: none).
    pub delay: i32,
}

pub const CONFIG_MISMATCH: i16 = 1;

struct Writer(Vec<u8>);

impl Writer {
    fn i16(&mut self, v: i16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn string(&mut self, s: &str) {
        self.i16(s.len() as i16);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn allocation(&mut self, a: &Allocation) {
        self.i32(a.len() as i32);
        for (connector, tasks) in a {
            self.string(connector);
            self.i32(tasks.len() as i32);
            for t in tasks {
                self.i32(*t);
            }
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(ProtocolError(format!(
                "needed {n} more bytes, {} left",
                self.0.len()
            )));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(
            self.take(2)?.try_into().unwrap_or_default(),
        ))
    }
    fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }
    fn string(&mut self) -> Result<String> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(String::new());
        }
        let bytes = self.take(len as usize)?;
        String::from_utf8(bytes.to_vec()).map_err(|e| ProtocolError(e.to_string()))
    }
    fn allocation(&mut self) -> Result<Option<Allocation>> {
        let count = self.i32()?;
        if count < 0 {
            return Ok(None);
        }
        let mut out = Allocation::new();
        for _ in 0..count {
            let connector = self.string()?;
            let n = self.i32()?.max(0);
            let mut tasks = Vec::with_capacity(n as usize);
            for _ in 0..n {
                tasks.push(self.i32()?);
            }
            out.entry(connector).or_default().extend(tasks);
        }
        Ok(Some(out))
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl MemberMetadata {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.i16(self.version);
        w.string(&self.url);
        w.i64(self.config_offset);
        if self.version >= 1 {
            match &self.allocation {
                Some(a) => {
                    let bytes = a.encode();
                    w.i32(bytes.len() as i32);
                    w.0.extend_from_slice(&bytes);
                }
                None => w.i32(-1),
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<MemberMetadata> {
        let mut r = Reader(bytes);
        let version = r.i16()?;
        let url = r.string()?;
        let config_offset = r.i64()?;
        let allocation = if version >= 1 && !r.is_empty() {
            let len = r.i32()?;
            if len < 0 {
                None
            } else {
                Some(Assignment::decode(r.take(len as usize)?)?)
            }
        } else {
            None
        };
        Ok(MemberMetadata {
            version,
            url,
            config_offset,
            allocation,
        })
    }
}

impl Assignment {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.i16(self.version);
        w.i16(self.error);
        w.string(&self.leader);
        w.string(&self.leader_url);
        w.i64(self.config_offset);
        w.allocation(&self.assigned);
        if self.version >= 1 {
            w.allocation(&self.revoked);
            w.i32(self.delay);
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Assignment> {
        let mut r = Reader(bytes);
        let version = r.i16()?;
        let error = r.i16()?;
        let leader = r.string()?;
        let leader_url = r.string()?;
        let config_offset = r.i64()?;
        let assigned = r.allocation()?.unwrap_or_default();
        // Missing trailing fields are tolerated, as in Kafka.
        let revoked = if version >= 1 && !r.is_empty() {
            r.allocation()?.unwrap_or_default()
        } else {
            Allocation::new()
        };
        let delay = if version >= 1 && !r.is_empty() {
            r.i32()?
        } else {
            0
        };
        Ok(Assignment {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            assigned,
            revoked,
            delay,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(items: &[(&str, &[i32])]) -> Allocation {
        items
            .iter()
            .map(|(c, t)| (c.to_string(), t.to_vec()))
            .collect()
    }

    #[test]
    fn v0_metadata_is_url_and_offset() {
        let m = MemberMetadata {
            version: 0,
            url: "http://a:8083/".into(),
            config_offset: 7,
            allocation: None,
        };
        let bytes = m.encode();
        let mut expected = vec![0, 0, 0, 14];
        expected.extend_from_slice(b"http://a:8083/");
        expected.extend_from_slice(&7i64.to_be_bytes());
        assert_eq!(bytes, expected);
        assert_eq!(MemberMetadata::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn v1_metadata_and_assignment_round_trip() {
        let a = Assignment {
            version: 1,
            error: 0,
            leader: "member-1".into(),
            leader_url: "http://a:8083/".into(),
            config_offset: 42,
            assigned: alloc(&[("src", &[-1, 0, 2])]),
            revoked: alloc(&[("sink", &[1])]),
            delay: 300,
        };
        assert_eq!(Assignment::decode(&a.encode()).unwrap(), a);
        let m = MemberMetadata {
            version: 1,
            url: "http://b:8083/".into(),
            config_offset: 42,
            allocation: Some(a),
        };
        assert_eq!(MemberMetadata::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn a_v1_assignment_without_its_trailing_fields_is_read() {
        let mut a = Assignment {
            version: 1,
            leader: "l".into(),
            assigned: alloc(&[("c", &[0])]),
            ..Assignment::default()
        };
        let mut bytes = a.encode();
        bytes.truncate(bytes.len() - 8);
        a.delay = 0;
        assert_eq!(Assignment::decode(&bytes).unwrap(), a);
        assert!(Assignment::decode(&bytes[..3]).is_err());
    }
}
