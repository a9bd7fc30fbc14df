//! Which source records the broker has acknowledged, and which offsets may therefore be committed.
//!
//! Records are tracked per source partition in the order they were sent, in groups: the records
//! of one partition within one polled batch form one group, which keeps only the offset of its
//! last record. Only fully acknowledged groups at the front of a partition's queue are
//! committable, so an offset is never committed while an earlier record of the same partition may
//! still be lost. Grouping keeps memory per batch, not per record, at the price of committing at
//! batch boundaries.

use std::collections::VecDeque;
use std::sync::Arc;

use ferry_api::OffsetMap;

/// Identifies a submitted record's group: partition slot in the high bits, group sequence below.
pub type RecordId = usize;

const SEQ_BITS: u32 = 40;
const SEQ_MASK: usize = (1 << SEQ_BITS) - 1;

struct Group {
    /// Records of the group not yet acknowledged.
    pending: usize,
    /// The offset of the group's last record.
    offset: OffsetMap,
    batch: u64,
}

struct PartitionQueue {
    partition: Arc<OffsetMap>,
    /// Sequence number of `groups[0]`.
    base: usize,
    groups: VecDeque<Group>,
}

/// Tracks submitted records until their offsets are committed.
#[derive(Default)]
pub struct SubmittedRecords {
    partitions: Vec<PartitionQueue>,
    outstanding: usize,
    batch: u64,
    last_slot: usize,
}

impl SubmittedRecords {
    /// Starts a new batch: records submitted from now on form new groups.
    pub fn begin_batch(&mut self) {
        self.batch += 1;
    }

    fn slot(&mut self, partition: &Arc<OffsetMap>) -> usize {
        let matches = |q: &PartitionQueue| {
            Arc::ptr_eq(&q.partition, partition) || *q.partition == **partition
        };
        if self.partitions.get(self.last_slot).is_some_and(matches) {
            return self.last_slot;
        }
        let slot = match self.partitions.iter().position(matches) {
            Some(slot) => slot,
            None => {
                self.partitions.push(PartitionQueue {
                    partition: partition.clone(),
                    base: 0,
                    groups: VecDeque::new(),
                });
                self.partitions.len() - 1
            }
        };
        self.last_slot = slot;
        slot
    }

    /// Registers a record about to be sent; its id comes back with the broker's acknowledgement.
    pub fn submit(&mut self, partition: &Arc<OffsetMap>, offset: OffsetMap) -> RecordId {
        let slot = self.slot(partition);
        let batch = self.batch;
        let queue = &mut self.partitions[slot];
        match queue.groups.back_mut() {
            Some(group) if group.batch == batch => {
                group.pending += 1;
                group.offset = offset;
            }
            _ => queue.groups.push_back(Group {
                pending: 1,
                offset,
                batch,
            }),
        }
        self.outstanding += 1;
        let seq = (queue.base + queue.groups.len() - 1) & SEQ_MASK;
        (slot << SEQ_BITS) | seq
    }

    /// Marks a record acknowledged by the broker.
    pub fn ack(&mut self, id: RecordId) {
        let slot = id >> SEQ_BITS;
        let seq = id & SEQ_MASK;
        if let Some(queue) = self.partitions.get_mut(slot) {
            let index = seq.wrapping_sub(queue.base) & SEQ_MASK;
            if let Some(group) = queue.groups.get_mut(index) {
                if group.pending > 0 {
                    group.pending -= 1;
                    self.outstanding -= 1;
                }
            }
        }
    }

    /// Records sent but not yet acknowledged.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// Removes the acknowledged groups at the front of every partition and returns the newest
    /// offset of each. A source without offsets (an empty partition, like standard input) yields none.
    pub fn take_committable(&mut self) -> Vec<(Arc<OffsetMap>, OffsetMap)> {
        let mut out = Vec::new();
        for queue in &mut self.partitions {
            let mut last = None;
            while queue.groups.front().is_some_and(|g| g.pending == 0) {
                last = queue.groups.pop_front().map(|g| g.offset);
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
        let ids: Vec<_> = (1..=4)
            .map(|i| {
                s.begin_batch();
                s.submit(&p, pos(i))
            })
            .collect();
        s.ack(ids[0]);
        s.ack(ids[2]);
        assert_eq!(s.take_committable(), vec![(p.clone(), pos(1))]);
        assert!(
            s.take_committable().is_empty(),
            "record 2 still holds back 3"
        );
        s.ack(ids[1]);
        assert_eq!(s.take_committable(), vec![(p.clone(), pos(3))]);
        assert_eq!(s.outstanding(), 1);
        s.ack(ids[3]);
        assert_eq!(s.outstanding(), 0);
        assert_eq!(s.take_committable(), vec![(p, pos(4))]);
    }

    #[test]
    fn a_batch_commits_only_when_all_its_records_are_acknowledged() {
        let mut s = SubmittedRecords::default();
        let p = part("a");
        s.begin_batch();
        let ids: Vec<_> = (1..=3).map(|i| s.submit(&p, pos(i))).collect();
        s.ack(ids[0]);
        s.ack(ids[2]);
        assert!(s.take_committable().is_empty());
        s.ack(ids[1]);
        assert_eq!(s.take_committable(), vec![(p, pos(3))]);
    }

    #[test]
    fn partitions_advance_independently() {
        let mut s = SubmittedRecords::default();
        let (a, b) = (part("a"), part("b"));
        s.begin_batch();
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
