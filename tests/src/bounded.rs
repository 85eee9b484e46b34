//! Waits that end: every wait of the live suite is bounded in total and names what it waited
//! for, and a per-process watchdog ends a test binary whose test outlives [`TEST_LIMIT`],
//! naming the test and the last thing it waited for — so the suite fails, it never hangs.
//!
//! * [`within`]: one future, at most `limit`; panics naming `what`.
//! * [`poll_until`]: an attempt repeated until it yields a value, at most `limit` in all (each
//!   attempt is cut at the deadline too, so a slow request cannot stretch it).
//! * [`first_error`]: a request repeated until it fails — for what Asterisk forgets a moment
//!   after it answered (a hung-up channel, a stopped playback).
//! * [`watch_this_test`] (called by [`connect`](crate::connect)): registers the running test
//!   with the watchdog, and makes the test's thread wait, when it ends, for the cleanup requests
//!   its [`Cleanup`](crate::Cleanup) guards handed to the cleanup worker.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

/// The longest a single live test may run before the watchdog ends its test binary (override
/// with `ARI_TEST_LIMIT_SECS`). Far above the slowest test (the isolated restart test, about
/// 30 s on a loaded machine), far below "hung".
pub const TEST_LIMIT: Duration = Duration::from_secs(240);

/// Awaits `fut` for at most `limit`; panics saying that `what` did not happen in time.
pub async fn within<F: Future>(what: &str, limit: Duration, fut: F) -> F::Output {
    phase(what);
    match tokio::time::timeout(limit, fut).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: not done within {limit:?}"),
    }
}

/// Runs `attempt` every `every` until it returns `Some`, for at most `limit` in all (an attempt
/// still running at the deadline is cut); panics saying that `what` did not happen in time.
pub async fn poll_until<T, F, Fut>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut attempt: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    phase(what);
    let deadline = tokio::time::Instant::now() + limit;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        match tokio::time::timeout_at(deadline, attempt()).await {
            Ok(Some(value)) => return value,
            Ok(None) if tokio::time::Instant::now() + every < deadline => {
                tokio::time::sleep(every).await;
            }
            _ => panic!("{what}: not done within {limit:?} ({attempts} attempts)"),
        }
    }
}

/// A running test: when it started and what it last waited for.
struct Running {
    started: Instant,
    phase: String,
}

static RUNNING: Mutex<BTreeMap<String, Running>> = Mutex::new(BTreeMap::new());

fn running() -> std::sync::MutexGuard<'static, BTreeMap<String, Running>> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Ends this test's registration (and waits for its cleanup) when the test's thread ends,
/// which is after the test's runtime is gone: blocking there blocks no runtime.
struct TestGuard {
    name: String,
}

impl Drop for TestGuard {
    fn drop(&mut self) {
        crate::cleanup::flush(Duration::from_secs(20));
        running().remove(&self.name);
    }
}

thread_local! {
    static GUARD: RefCell<Option<TestGuard>> = const { RefCell::new(None) };
}

/// Registers the running test (named after its thread, as libtest names them) with the
/// watchdog, started on first use. Threads of a Tokio runtime are not tests: ignored.
pub fn watch_this_test() {
    let Some(name) = test_thread_name() else {
        return;
    };
    GUARD.with(|guard| {
        let mut guard = guard.borrow_mut();
        if guard.is_none() {
            running().insert(
                name.clone(),
                Running {
                    started: Instant::now(),
                    phase: "connecting".to_owned(),
                },
            );
            *guard = Some(TestGuard { name });
        }
    });
    static WATCHDOG: Once = Once::new();
    WATCHDOG.call_once(|| {
        let limit = std::env::var("ARI_TEST_LIMIT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or(TEST_LIMIT, Duration::from_secs);
        std::thread::Builder::new()
            .name("live-test-watchdog".to_owned())
            .spawn(move || watchdog(limit))
            .expect("starting the live-test watchdog");
    });
}

fn test_thread_name() -> Option<String> {
    let thread = std::thread::current();
    let name = thread.name()?;
    (!name.starts_with("tokio-runtime")).then(|| name.to_owned())
}

/// Notes what the running test waits for now, for the watchdog's message.
fn phase(what: &str) {
    if let Some(name) = test_thread_name() {
        if let Some(test) = running().get_mut(&name) {
            what.clone_into(&mut test.phase);
        }
    }
}

fn watchdog(limit: Duration) {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let overdue: Vec<String> = running()
            .iter()
            .filter(|(_, test)| test.started.elapsed() > limit)
            .map(|(name, test)| {
                format!(
                    "{name}: running for {:?}, last waiting for: {}",
                    test.started.elapsed(),
                    test.phase
                )
            })
            .collect();
        if !overdue.is_empty() {
            eprintln!(
                "live-test watchdog: a test ran longer than {limit:?}; stopping this test binary \
                 so the suite fails instead of hanging:\n  {}",
                overdue.join("\n  ")
            );
            std::process::exit(101);
        }
    }
}

/// Reads `stream` until an item `want` accepts, for at most `limit` in all; panics naming `what`
/// and the items it skipped on a stream error, at the stream's end and at the deadline.
pub async fn next_matching(
    stream: &mut ari_sdk::events::EventStream,
    what: &str,
    limit: Duration,
    mut want: impl FnMut(&ari_sdk::events::StreamItem) -> bool,
) -> ari_sdk::events::StreamItem {
    use futures::StreamExt as _;

    phase(what);
    let deadline = tokio::time::Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(item))) if want(&item) => return item,
            Ok(Some(Ok(item))) => seen.push(describe(&item)),
            Ok(Some(Err(e))) => panic!("{what}: stream error {e}; seen {seen:?}"),
            Ok(None) => panic!("{what}: the stream ended; seen {seen:?}"),
            Err(_) => panic!("no {what} within {limit:?}; seen {seen:?}"),
        }
    }
}

/// A stream item in a few words: an event's type, a gap's length, a lag's count.
pub fn describe(item: &ari_sdk::events::StreamItem) -> String {
    use ari_sdk::events::StreamItem;

    match item {
        StreamItem::Event(e) => e.type_name().to_owned(),
        StreamItem::Gap(g) => format!("Gap({:?})", g.duration()),
        StreamItem::Lagged { missed } => format!("Lagged({missed})"),
        other => format!("{other:?}"),
    }
}

/// Repeats the request `attempt` every 20 ms, for at most [`EVENT_TIMEOUT`](crate::EVENT_TIMEOUT)
/// in all, until it fails, and returns that error (`what` names what the failure means). Asterisk
/// answers a hangup or a stop before it forgets the channel or playback: a GET right after may
/// still find it.
pub async fn first_error<T, Fut>(what: &str, attempt: impl Fn() -> Fut) -> ari_sdk::Error
where
    Fut: std::future::IntoFuture<Output = Result<T, ari_sdk::Error>>,
{
    poll_until(
        what,
        crate::EVENT_TIMEOUT,
        Duration::from_millis(20),
        || {
            let request = attempt().into_future();
            async move { request.await.err() }
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    #[should_panic(expected = "the answer: not done within 10ms")]
    async fn within_names_what_it_waited_for() {
        within(
            "the answer",
            Duration::from_millis(10),
            std::future::pending::<()>(),
        )
        .await;
    }

    #[tokio::test]
    #[should_panic(expected = "the flag: not done within 50ms")]
    async fn poll_until_is_bounded_in_total_even_when_an_attempt_never_ends() {
        let mut first = true;
        poll_until(
            "the flag",
            Duration::from_millis(50),
            Duration::from_millis(1),
            || {
                let hang = std::mem::take(&mut first);
                async move {
                    if hang {
                        std::future::pending::<()>().await;
                    }
                    None::<()>
                }
            },
        )
        .await;
    }

    #[tokio::test]
    async fn poll_until_returns_the_first_value() {
        let mut n = 0;
        let got = poll_until(
            "three",
            Duration::from_secs(5),
            Duration::from_millis(1),
            || {
                n += 1;
                let n = n;
                async move { (n == 3).then_some(n) }
            },
        )
        .await;
        assert_eq!(got, 3);
    }
}
