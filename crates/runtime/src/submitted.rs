//! Which source records the broker has acknowledged, and which offsets may therefore be committed.
//!
//! Records are tracked per source partition in the order they were sent. Only the acknowledged
//! prefix of each partition is committable: an offset is never committed while an earlier record
//! of the same partition may still be lost.

use std::collections::VecDeque;
use std::sync::Arc;

use ferry_api::OffsetMap;

/// Identifies a submitted record: partition slot in the high bits, sequence in the low bits.
pub type RecordId = usize;

const SEQ_BITS: u32 = 40;
const SEQ_MASK: usize = (1 << SEQ_BITS) - 1;

struct PartitionQueue {
    partition: Arc<OffsetMap>,
    /// Sequence number of `entries[0]`.
    base: usize,
    entries: VecDeque<(OffsetMap, bool)>,
}

/// Tracks submitted records until their offsets are committed.
#[derive(Default)]
pub struct SubmittedRecords {
    partitions: Vec<PartitionQueue>,
    outstanding: usize,
}

impl SubmittedRecords {
    /// Registers a record about to be sent; its id comes back with the broker's acknowledgement.
    pub fn submit(&mut self, partition: &Arc<OffsetMap>, offset: OffsetMap) -> RecordId {
        let slot = match self
            .partitions
            .iter()
            .position(|q| Arc::ptr_eq(&q.partition, partition) || *q.partition == **partition)
        {
            Some(slot) => slot,
            None => {
                self.partitions.push(PartitionQueue {
                    partition: partition.clone(),
                    base: 0,
                    entries: VecDeque::new(),
                });
                self.partitions.len() - 1
            }
        };
        let queue = &mut self.partitions[slot];
        let seq = (queue.base + queue.entries.len()) & SEQ_MASK;
        queue.entries.push_back((offset, false));
        self.outstanding += 1;
        (slot << SEQ_BITS) | seq
    }

    /// Marks a record acknowledged by the broker.
    pub fn ack(&mut self, id: RecordId) {
        let slot = id >> SEQ_BITS;
        let seq = id & SEQ_MASK;
        if let Some(queue) = self.partitions.get_mut(slot) {
            let index = seq.wrapping_sub(queue.base) & SEQ_MASK;
            if let Some(entry) = queue.entries.get_mut(index) {
                if !entry.1 {
                    entry.1 = true;
                    self.outstanding -= 1;
                }
            }
        }
    }

    /// Records sent but not yet acknowledged.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// Removes the acknowledged prefix of every partition and returns the newest offset of each.
    /// Records with an empty partition (a source without offsets, like standard input) are dropped.
    pub fn take_committable(&mut self) -> Vec<(Arc<OffsetMap>, OffsetMap)> {
        let mut out = Vec::new();
        for queue in &mut self.partitions {
            let mut last = None;
            while queue.entries.front().is_some_and(|e| e.1) {
                last = queue.entries.pop_front().map(|e| e.0);
                queue.base = (queue.base + 1) & SEQ_MASK;
            }
            if let Some(offset) = last {
                if !queue.partition.is_empty() {
                    out.push((queue.partition.clone(), offset));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(n: u64) -> OffsetMap {
        let mut m = OffsetMap::new();
        m.insert("position".into(), n.into());
        m
    }

    fn part(name: &str) -> Arc<OffsetMap> {
        let mut m = OffsetMap::new();
        m.insert("filename".into(), name.into());
        Arc::new(m)
    }

    #[test]
    fn only_the_acknowledged_prefix_is_committable() {
        let mut s = SubmittedRecords::default();
        let p = part("a");
        let ids: Vec<_> = (1..=4).map(|i| s.submit(&p, pos(i))).collect();
        s.ack(ids[0]);
        s.ack(ids[2]);
        assert_eq!(s.take_committable(), vec![(p.clone(), pos(1))]);
        assert!(s.take_committable().is_empty(), "record 2 still holds back 3");
        s.ack(ids[1]);
        assert_eq!(s.take_committable(), vec![(p.clone(), pos(3))]);
        assert_eq!(s.outstanding(), 1);
        s.ack(ids[3]);
        s.ack(ids[3]);
        assert_eq!(s.outstanding(), 0);
        assert_eq!(s.take_committable(), vec![(p, pos(4))]);
    }

    #[test]
    fn partitions_advance_independently() {
        let mut s = SubmittedRecords::default();
        let (a, b) = (part("a"), part("b"));
        let a1 = s.submit(&a, pos(1));
        let b1 = s.submit(&b, pos(10));
        let equal_but_distinct = part("b");
        let b2 = s.submit(&equal_but_distinct, pos(20));
        s.ack(b1);
        s.ack(b2);
        assert_eq!(s.take_committable(), vec![(b, pos(20))]);
        s.ack(a1);
        assert_eq!(s.take_committable(), vec![(a, pos(1))]);
    }
}
