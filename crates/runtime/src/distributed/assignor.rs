//! The leader's assignment of connectors and tasks to workers, incremental and cooperative
//! (KIP-415): members keep what they run; the leader revokes only what is gone or what unbalances
//! the group, hands out what nobody runs, and waits `scheduled.rebalance.max.delay.ms` before
//! giving away the work of a worker that left, in case it comes back.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::protocol::{Allocation, CONNECTOR_TASK};

/// One unit of work: a connector object (`task == -1`) or one of its tasks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Work {
    pub connector: String,
    pub task: i32,
}

impl Work {
    pub fn is_connector(&self) -> bool {
        self.task == CONNECTOR_TASK
    }
}

/// Every unit of work of an allocation.
pub fn flatten(a: &Allocation) -> BTreeSet<Work> {
    a.iter()
        .flat_map(|(c, tasks)| {
            tasks.iter().map(move |t| Work {
                connector: c.clone(),
                task: *t,
            })
        })
        .collect()
}

fn group(work: &BTreeSet<Work>) -> Allocation {
    let mut out = Allocation::new();
    for w in work {
        out.entry(w.connector.clone()).or_default().push(w.task);
    }
    out
}

/// What the leader decided for one member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberAssignment {
    pub assigned: Allocation,
    pub revoked: Allocation,
}

/// What the leader remembers between rounds: the work of members that left, and when it may be
/// given to others.
#[derive(Debug, Default)]
pub struct Assignor {
    /// The assignment of the last round, by member.
    previous: BTreeMap<String, BTreeSet<Work>>,
    /// Work of departed members, kept back until the deadline.
    lost: BTreeSet<Work>,
    deadline: Option<Instant>,
    /// Whether this worker has assigned before (a new leader has no memory of past rounds).
    has_led: bool,
}

/// The outcome of one round.
#[derive(Debug, PartialEq, Eq)]
pub struct Round {
    pub members: BTreeMap<String, MemberAssignment>,
    /// A follow-up rebalance is due after this long (lost work is waiting).
    pub delay: Option<Duration>,
}

impl Assignor {
    /// True until the first round this worker leads.
    pub fn is_new_leader(&self) -> bool {
        !self.has_led
    }

    /// A new leader's stand-in for the memory it lacks: work that the last statuses show on
    /// workers absent from the group, held back like the work of a member seen leaving.
    pub fn remember_lost(&mut self, work: BTreeSet<Work>) {
        self.lost.extend(work);
    }

    /// `running`: what each current member reports it runs. `configured`: every connector with
    /// its task count. Returns each member's additions and revocations.
    pub fn assign(
        &mut self,
        running: &BTreeMap<String, Allocation>,
        configured: &BTreeMap<String, usize>,
        max_delay: Duration,
        now: Instant,
    ) -> Round {
        self.has_led = true;
        let wanted: BTreeSet<Work> = configured
            .iter()
            .flat_map(|(c, n)| {
                std::iter::once(Work {
                    connector: c.clone(),
                    task: CONNECTOR_TASK,
                })
                .chain((0..*n as i32).map(move |t| Work {
                    connector: c.clone(),
                    task: t,
                }))
            })
            .collect();
        let mut held: BTreeMap<String, BTreeSet<Work>> = running
            .iter()
            .map(|(m, a)| (m.clone(), flatten(a)))
            .collect();
        let mut revoked: BTreeMap<String, BTreeSet<Work>> = BTreeMap::new();

        // Work that is no longer configured, or held twice, is revoked.
        let mut seen = BTreeSet::new();
        for (member, work) in held.iter_mut() {
            let drop: Vec<Work> = work
                .iter()
                .filter(|w| !wanted.contains(*w) || !seen.insert((*w).clone()))
                .cloned()
                .collect();
            for w in drop {
                work.remove(&w);
                revoked.entry(member.clone()).or_default().insert(w);
            }
        }

        // Work of members that left is held back for a while.
        let departed: Vec<String> = self
            .previous
            .keys()
            .filter(|m| !running.contains_key(*m))
            .cloned()
            .collect();
        for m in departed {
            if let Some(work) = self.previous.remove(&m) {
                self.lost.extend(work);
            }
        }
        self.lost
            .retain(|w| wanted.contains(w) && !seen.contains(w));
        let mut delay = None;
        if !self.lost.is_empty() {
            let deadline = *self.deadline.get_or_insert(now + max_delay);
            if now < deadline {
                delay = Some(deadline - now);
            } else {
                self.lost.clear();
                self.deadline = None;
            }
        } else {
            self.deadline = None;
        }

        let mut unassigned: Vec<Work> = wanted
            .iter()
            .filter(|w| !seen.contains(*w) && !self.lost.contains(*w))
            .cloned()
            .collect();

        // Balance connectors and tasks separately: nobody holds more than its fair share.
        let members: Vec<String> = held.keys().cloned().collect();
        let mut added: BTreeMap<String, BTreeSet<Work>> = BTreeMap::new();
        if !members.is_empty() {
            for connectors in [true, false] {
                let total = wanted
                    .iter()
                    .filter(|w| w.is_connector() == connectors)
                    .count();
                let n = members.len();
                let ceil = total.div_ceil(n);
                // Revoke the excess above the fair share from each member; it is reassigned in the
                // follow-up round, once the member has let it go.
                for m in &members {
                    let mine: Vec<Work> = held[m]
                        .iter()
                        .filter(|w| w.is_connector() == connectors)
                        .cloned()
                        .collect();
                    if mine.len() > ceil {
                        for w in mine.into_iter().skip(ceil) {
                            held.get_mut(m).map(|h| h.remove(&w));
                            revoked.entry(m.clone()).or_default().insert(w);
                        }
                    }
                }
                let pending_revocation: BTreeSet<Work> =
                    revoked.values().flatten().cloned().collect();
                let mut todo: Vec<Work> = unassigned
                    .iter()
                    .filter(|w| w.is_connector() == connectors && !pending_revocation.contains(*w))
                    .cloned()
                    .collect();
                unassigned.retain(|w| w.is_connector() != connectors);
                // Hand out to the least loaded member each time.
                while let Some(w) = todo.pop() {
                    let count = |m: &String| {
                        held[m]
                            .iter()
                            .filter(|x| x.is_connector() == connectors)
                            .count()
                            + added.get(m).map_or(0, |a| {
                                a.iter().filter(|x| x.is_connector() == connectors).count()
                            })
                    };
                    let Some(target) = members
                        .iter()
                        .min_by_key(|m| (count(m), (*m).clone()))
                        .cloned()
                    else {
                        break;
                    };
                    added.entry(target).or_default().insert(w);
                }
            }
        }

        let mut out = BTreeMap::new();
        for m in &members {
            let mut now_held = held[m].clone();
            now_held.extend(added.get(m).cloned().unwrap_or_default());
            self.previous.insert(m.clone(), now_held);
            out.insert(
                m.clone(),
                MemberAssignment {
                    assigned: group(&added.remove(m).unwrap_or_default()),
                    revoked: group(&revoked.remove(m).unwrap_or_default()),
                },
            );
        }
        Round {
            members: out,
            delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(items: &[(&str, usize)]) -> BTreeMap<String, usize> {
        items.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    }

    fn running(items: &[(&str, Allocation)]) -> BTreeMap<String, Allocation> {
        items
            .iter()
            .map(|(m, a)| (m.to_string(), a.clone()))
            .collect()
    }

    fn count(a: &Allocation) -> usize {
        a.values().map(Vec::len).sum()
    }

    /// Applies a round to what members run, as workers do.
    fn apply(run: &mut BTreeMap<String, Allocation>, round: &Round) {
        for (m, a) in &round.members {
            let mine = run.entry(m.clone()).or_default();
            let mut work = flatten(mine);
            work.retain(|w| !flatten(&a.revoked).contains(w));
            work.extend(flatten(&a.assigned));
            *mine = group(&work);
        }
    }

    #[test]
    fn new_work_is_spread_evenly() {
        let mut assignor = Assignor::default();
        let run = running(&[
            ("a", Allocation::new()),
            ("b", Allocation::new()),
            ("c", Allocation::new()),
        ]);
        let round = assignor.assign(
            &run,
            &configured(&[("x", 3), ("y", 3)]),
            Duration::ZERO,
            Instant::now(),
        );
        let sizes: Vec<usize> = round.members.values().map(|m| count(&m.assigned)).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 8, "2 connectors and 6 tasks");
        assert!(sizes.iter().all(|s| (2..=3).contains(s)), "{sizes:?}");
        assert!(round.members.values().all(|m| m.revoked.is_empty()));
    }

    #[test]
    fn a_joining_worker_gets_work_by_revocation_then_assignment() {
        let mut assignor = Assignor::default();
        let mut run = running(&[("a", Allocation::new())]);
        let cfg = configured(&[("x", 4)]);
        let r1 = assignor.assign(&run, &cfg, Duration::ZERO, Instant::now());
        apply(&mut run, &r1);
        assert_eq!(count(&run["a"]), 5);
        run.insert("b".into(), Allocation::new());
        let r2 = assignor.assign(&run, &cfg, Duration::ZERO, Instant::now());
        assert_eq!(
            count(&r2.members["a"].revoked),
            2,
            "a gives up its excess tasks: {r2:?}"
        );
        apply(&mut run, &r2);
        let r3 = assignor.assign(&run, &cfg, Duration::ZERO, Instant::now());
        apply(&mut run, &r3);
        assert_eq!(count(&run["a"]) + count(&run["b"]), 5);
        assert!(count(&run["b"]) >= 2, "{run:?}");
    }

    #[test]
    fn a_departed_workers_work_waits_for_the_delay() {
        let mut assignor = Assignor::default();
        let mut run = running(&[("a", Allocation::new()), ("b", Allocation::new())]);
        let cfg = configured(&[("x", 2)]);
        let t0 = Instant::now();
        let r = assignor.assign(&run, &cfg, Duration::from_secs(10), t0);
        apply(&mut run, &r);
        let lost = count(&run["b"]);
        run.remove("b");
        let r = assignor.assign(
            &run,
            &cfg,
            Duration::from_secs(10),
            t0 + Duration::from_secs(1),
        );
        assert!(r.members["a"].assigned.is_empty(), "held back: {r:?}");
        assert_eq!(
            r.delay,
            Some(Duration::from_secs(10)),
            "the delay runs from when the departure is seen"
        );
        let r = assignor.assign(
            &run,
            &cfg,
            Duration::from_secs(10),
            t0 + Duration::from_secs(11),
        );
        assert_eq!(count(&r.members["a"].assigned), lost);
        assert_eq!(r.delay, None);
    }

    #[test]
    fn a_new_leader_holds_back_work_it_is_told_was_lost() {
        let mut assignor = Assignor::default();
        assert!(assignor.is_new_leader());
        let x0 = Work {
            connector: "x".into(),
            task: 0,
        };
        assignor.remember_lost([x0.clone()].into());
        let mut run = running(&[("a", Allocation::new())]);
        let t0 = Instant::now();
        let delay = Duration::from_secs(4);
        let r = assignor.assign(&run, &configured(&[("x", 1)]), delay, t0);
        assert!(!assignor.is_new_leader());
        assert_eq!(r.delay, Some(delay));
        assert_eq!(
            r.members["a"].assigned.get("x"),
            Some(&vec![-1]),
            "only the connector object, whose status named no absent worker"
        );
        apply(&mut run, &r);
        let r = assignor.assign(&run, &configured(&[("x", 1)]), delay, t0 + delay);
        assert_eq!(r.members["a"].assigned.get("x"), Some(&vec![0]));
    }

    #[test]
    fn deleted_connectors_are_revoked() {
        let mut assignor = Assignor::default();
        let mut a = Allocation::new();
        a.insert("gone".into(), vec![-1, 0]);
        let run = running(&[("a", a)]);
        let r = assignor.assign(&run, &configured(&[]), Duration::ZERO, Instant::now());
        assert_eq!(count(&r.members["a"].revoked), 2);
    }
}

#[cfg(test)]
mod failover_tests {
    use super::*;

    #[test]
    fn a_dead_workers_work_moves_at_once_with_no_delay_configured() {
        let mut assignor = Assignor::default();
        let cfg: BTreeMap<String, usize> = [("x".to_string(), 1)].into();
        let mut run: BTreeMap<String, Allocation> = [
            ("a".into(), Allocation::new()),
            ("b".into(), Allocation::new()),
            ("c".into(), Allocation::new()),
        ]
        .into();
        let t0 = Instant::now();
        let r = assignor.assign(&run, &cfg, Duration::ZERO, t0);
        for (m, a) in &r.members {
            run.insert(m.clone(), a.assigned.clone());
        }
        let holder = run
            .iter()
            .find(|(_, a)| !a.is_empty())
            .map(|(m, _)| m.clone())
            .unwrap();
        let had: usize = run[&holder].values().map(Vec::len).sum();
        run.remove(&holder);
        let r = assignor.assign(&run, &cfg, Duration::ZERO, t0 + Duration::from_secs(1));
        let given: usize = r
            .members
            .values()
            .flat_map(|m| m.assigned.values())
            .map(Vec::len)
            .sum();
        assert_eq!(
            given, had,
            "the dead worker's work moves in the first round without it"
        );
        assert_eq!(r.delay, None);
    }
}
