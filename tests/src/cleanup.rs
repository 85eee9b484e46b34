//! Cleanup that never blocks a runtime thread.
//!
//! A [`Cleanup`] guard collects the requests that undo what a test created (hang up, destroy,
//! delete). When it is dropped — at the end of the test, or while a failing test unwinds — it
//! hands them to one worker thread of the test process, which sends them with a blocking HTTP
//! client (5 s timeout each), and returns at once: `Drop` runs on the test's Tokio runtime
//! thread, which must keep driving the test's other futures (its event connection among them).
//! The test's thread waits for the worker when it ends, after its runtime is gone (see
//! [`watch_this_test`](crate::bounded::watch_this_test)), so nothing is left behind when the
//! process exits.
//!
//! Requests go over raw HTTP, so they do not count as coverage; errors are ignored (the object
//! may be gone already).

use std::sync::mpsc;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::{encode, Ari, Target};

/// One guard's requests.
struct Job {
    target: Target,
    requests: Vec<(reqwest::Method, String)>,
}

struct Worker {
    jobs: Mutex<mpsc::Sender<Job>>,
    /// Jobs handed over and not finished yet.
    pending: Mutex<usize>,
    idle: Condvar,
}

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("live-test-cleanup".to_owned())
            .spawn(move || run(rx))
            .expect("starting the cleanup worker");
        Worker {
            jobs: Mutex::new(tx),
            pending: Mutex::new(0),
            idle: Condvar::new(),
        }
    })
}

fn run(jobs: mpsc::Receiver<Job>) {
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .ok();
    for job in jobs {
        if let Some(client) = &client {
            for (method, path) in job.requests {
                let _ = client
                    .request(method, format!("{}/{path}", job.target.url))
                    .basic_auth(&job.target.user, Some(&job.target.password))
                    .send();
            }
        }
        let worker = worker();
        let mut pending = worker
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *pending = pending.saturating_sub(1);
        worker.idle.notify_all();
    }
}

/// Waits (at most `limit`) until the worker has sent every request handed to it so far.
pub(crate) fn flush(limit: Duration) {
    let Some(worker) = WORKER_STARTED.get().map(|()| worker()) else {
        return;
    };
    let deadline = Instant::now() + limit;
    let mut pending = worker
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    while *pending > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            eprintln!(
                "live-test cleanup: {} cleanup jobs not done within {limit:?}",
                *pending
            );
            return;
        }
        pending = worker
            .idle
            .wait_timeout(pending, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// Set once a job was handed over (so `flush` does not start a worker for nothing).
static WORKER_STARTED: OnceLock<()> = OnceLock::new();

/// Undoes what a test registered, when dropped, without blocking (see the module docs).
pub struct Cleanup {
    target: Target,
    requests: Vec<(reqwest::Method, String)>,
}

impl Cleanup {
    /// An empty guard for `ari`'s target.
    pub fn new(ari: &Ari) -> Self {
        Cleanup {
            target: ari.target.clone(),
            requests: Vec::new(),
        }
    }

    /// Sends `method path` (already encoded, relative to the base URL) at the end.
    pub fn request(&mut self, method: reqwest::Method, path: String) {
        self.requests.push((method, path));
    }

    /// Hang up this channel.
    pub fn channel(&mut self, id: &str) {
        self.request(reqwest::Method::DELETE, format!("channels/{}", encode(id)));
    }

    /// Destroy this bridge.
    pub fn bridge(&mut self, id: &str) {
        self.request(reqwest::Method::DELETE, format!("bridges/{}", encode(id)));
    }

    /// Cancel this live recording (if it still runs), then delete the stored recording of that
    /// name.
    pub fn recording(&mut self, name: &str) {
        self.request(
            reqwest::Method::DELETE,
            format!("recordings/live/{}", encode(name)),
        );
        self.stored_recording(name);
    }

    /// Delete this stored recording.
    pub fn stored_recording(&mut self, name: &str) {
        self.request(
            reqwest::Method::DELETE,
            format!("recordings/stored/{}", encode(name)),
        );
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.requests.is_empty() {
            return;
        }
        let job = Job {
            target: self.target.clone(),
            requests: std::mem::take(&mut self.requests),
        };
        let worker = worker();
        let _ = WORKER_STARTED.set(());
        *worker
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        let sent = worker
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job);
        if sent.is_err() {
            // The worker is gone (it cannot be, short of a panic in it): nothing will run the job.
            let mut pending = worker
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *pending = pending.saturating_sub(1);
        }
    }
}
