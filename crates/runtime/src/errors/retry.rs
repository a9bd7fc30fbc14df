//! Retries of a record's stages (KIP-298): a converter or transform that fails with a retriable
//! error is tried again, waiting 300 ms and then twice as long each time up to
//! `errors.retry.delay.max.ms`, until `errors.retry.timeout` has passed (0, the default: never;
//! -1: without end). What still fails then is handled by the tolerance.

use std::time::{Duration, Instant};

use ferry_api::Props;
use tokio::sync::watch;

use super::Failure;

pub const RETRY_TIMEOUT: &str = "errors.retry.timeout";
pub const RETRY_DELAY_MAX: &str = "errors.retry.delay.max.ms";

/// Kafka's first pause between attempts.
const FIRST_DELAY: Duration = Duration::from_millis(300);
/// How often a long pause looks whether the task is asked to stop.
const STOP_CHECK: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// How long to go on trying; `None`: not at all. `Duration::MAX`: without end.
    timeout: Option<Duration>,
    delay_max: Duration,
}

fn millis(props: &Props, key: &str) -> Option<i64> {
    props.get(key).and_then(|v| v.trim().parse().ok())
}

impl RetryPolicy {
    pub fn from_config(props: &Props) -> RetryPolicy {
        let timeout = match millis(props, RETRY_TIMEOUT).unwrap_or(0) {
            0 => None,
            t if t < 0 => Some(Duration::MAX),
            t => Some(Duration::from_millis(t as u64)),
        };
        let delay_max =
            Duration::from_millis(millis(props, RETRY_DELAY_MAX).unwrap_or(60_000).max(0) as u64);
        RetryPolicy { timeout, delay_max }
    }

    /// Whether a failed stage is ever tried again (if not, its input need not be kept).
    pub fn enabled(&self) -> bool {
        self.timeout.is_some()
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not retriable, the
    /// timeout passes or the task is asked to stop; returns its last result. Blocks the thread
    /// while it waits (the loops run stages in `block_in_place`, or wrap this in it).
    pub fn run<T, F: AsRef<Failure>>(
        &self,
        stop: &watch::Receiver<bool>,
        mut attempt: impl FnMut() -> Result<T, F>,
    ) -> Result<T, F> {
        let Some(timeout) = self.timeout else {
            return attempt();
        };
        let started = Instant::now();
        let mut delay = FIRST_DELAY;
        loop {
            let failed = match attempt() {
                Err(f) if f.as_ref().error.is_retriable() => f,
                done => return done,
            };
            let failure = failed.as_ref();
            let elapsed = started.elapsed();
            if elapsed >= timeout || *stop.borrow() {
                return Err(failed);
            }
            let wait = delay.min(self.delay_max).min(timeout - elapsed);
            tracing::warn!(
                stage = failure.stage.name(),
                class = %failure.class,
                retry_in_ms = wait.as_millis() as u64,
                "a retriable error; trying again ({RETRY_TIMEOUT}): {}",
                failure.error.trace()
            );
            sleep_unless_stopped(wait, stop);
            delay = delay.saturating_mul(2);
        }
    }
}

impl AsRef<Failure> for Failure {
    fn as_ref(&self) -> &Failure {
        self
    }
}

/// A source's failure carries the record's topic along.
impl AsRef<Failure> for (Failure, String) {
    fn as_ref(&self) -> &Failure {
        &self.0
    }
}

fn sleep_unless_stopped(wait: Duration, stop: &watch::Receiver<bool>) {
    let until = Instant::now() + wait;
    tokio::task::block_in_place(|| {
        while !*stop.borrow() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(STOP_CHECK));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::{failure, Stage};
    use ferry_api::ConnectError;

    fn props(timeout: &str, delay_max: &str) -> Props {
        [
            (RETRY_TIMEOUT.to_string(), timeout.to_string()),
            (RETRY_DELAY_MAX.to_string(), delay_max.to_string()),
        ]
        .into()
    }

    fn retriable() -> Failure {
        failure(
            Stage::ValueConverter,
            "C",
            ConnectError::Retriable("not yet".into()),
        )
    }

    #[test]
    fn by_default_nothing_is_tried_again() {
        let (_tx, stop) = watch::channel(false);
        let policy = RetryPolicy::from_config(&Props::new());
        assert!(!policy.enabled());
        let mut attempts = 0;
        let result: Result<(), Failure> = policy.run(&stop, || {
            attempts += 1;
            Err(retriable())
        });
        assert!(result.is_err());
        assert_eq!(attempts, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_retriable_failure_is_tried_again_until_it_succeeds() {
        let (_tx, stop) = watch::channel(false);
        let policy = RetryPolicy::from_config(&props("5000", "10"));
        let mut attempts = 0;
        let started = Instant::now();
        let result = policy.run(&stop, || {
            attempts += 1;
            if attempts < 4 {
                Err(retriable())
            } else {
                Ok(attempts)
            }
        });
        assert_eq!(result.ok(), Some(4));
        // Three pauses of at most errors.retry.delay.max.ms (10 ms) each.
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn other_failures_and_the_timeout_end_the_retries() {
        let (_tx, stop) = watch::channel(false);
        let policy = RetryPolicy::from_config(&props("200", "50"));
        let mut attempts = 0;
        let result: Result<(), Failure> = policy.run(&stop, || {
            attempts += 1;
            Err(failure(
                Stage::Transformation,
                "T",
                ConnectError::Data("bad".into()),
            ))
        });
        assert!(result.is_err());
        assert_eq!(attempts, 1, "a data error is not retried");
        let started = Instant::now();
        let result: Result<(), Failure> = policy.run(&stop, || Err(retriable()));
        assert!(result.is_err());
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }
}
