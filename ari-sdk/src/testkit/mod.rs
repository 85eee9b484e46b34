#![doc = include_str!("README.md")]

mod server;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use state::{Reply, State};

use crate::Client;

/// How a dialed endpoint answers ([`FakeAsterisk::dial_answer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialAnswer {
    /// Answers at once (`Dial` status `ANSWER`); the default for every endpoint.
    Answer,
    /// Answers after this long.
    AnswerAfter(Duration),
    /// `BUSY`, then the leg is destroyed with cause 17.
    Busy,
    /// Rings until the dial's timeout (in fake seconds), then `NOANSWER`, cause 19.
    NoAnswer,
    /// `CONGESTION`, cause 34.
    Congestion,
}

/// One request the fake received ([`FakeAsterisk::requests`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SeenRequest {
    /// The operation it was routed to (`channels.play`), `None` when no operation has its path and method.
    pub operation: Option<String>,
    /// The HTTP method.
    pub method: String,
    /// The path below `/ari`, as sent (percent-encoded).
    pub path: String,
    /// The query's pairs, decoded.
    pub query: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl SeenRequest {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An error of the test kit itself (not of the application under test).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// Binding the loopback port failed.
    #[error("the fake Asterisk could not bind 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// No events socket carried the application in time.
    #[error("no events connection for application `{app}` within {timeout:?}")]
    NoApplication {
        /// The application.
        app: String,
        /// How long it was waited for.
        timeout: Duration,
    },
    /// The channel does not exist (any more).
    #[error("channel `{0}` does not exist in the fake")]
    NoChannel(String),
    /// A line of a replayed session is not JSON.
    #[error("line {line} of the replayed session is not JSON: {error}")]
    BadLine {
        /// The line number (from 1).
        line: usize,
        /// The parser's message.
        error: String,
    },
    /// Building the client failed.
    #[error("building a client for the fake: {0}")]
    Client(#[from] crate::Error),
}

/// A fake Asterisk on loopback; see the [module documentation](self).
///
/// Dropping it stops the server and closes its sockets.
pub struct FakeAsterisk {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeAsterisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeAsterisk")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeAsterisk {
    fn drop(&mut self) {
        self.task.abort();
        self.lock().close_sockets();
    }
}

/// The credentials the fake accepts.
const USER: &str = "testkit";
const PASSWORD: &str = "testkit";

impl FakeAsterisk {
    /// Starts a fake on a free port of 127.0.0.1. Must be called within a Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`TestkitError::Bind`] when no port can be bound.
    pub async fn start() -> Result<FakeAsterisk, TestkitError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(USER, PASSWORD)));
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state)));
        Ok(FakeAsterisk {
            address,
            state,
            task,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// ARI's base URL: `http://127.0.0.1:<port>/ari`.
    pub fn url(&self) -> String {
        format!("http://{}/ari", self.address)
    }

    /// A client of the fake with the credentials it accepts (`testkit`/`testkit`).
    ///
    /// # Errors
    ///
    /// [`TestkitError::Client`] as [`ClientBuilder::build`](crate::ClientBuilder::build).
    pub fn client(&self) -> Result<Client, TestkitError> {
        Ok(Client::builder(self.url())
            .basic_auth(USER, PASSWORD)
            .build()?)
    }

    /// How long each media item of a playback plays (default 100 ms).
    pub fn set_media_time(&self, time: Duration) {
        self.lock().media_time = time;
    }

    /// How long one second of Asterisk's lasts in the fake (default 100 ms): recordings' `maxDurationSeconds`
    /// and `maxSilenceSeconds`, dial timeouts, and a stored recording's length.
    pub fn set_second(&self, second: Duration) {
        self.lock().second = second.max(Duration::from_millis(1));
    }

    /// How endpoints whose channel name starts with `prefix` (`PJSIP/bob`) answer a dial; later calls win.
    pub fn dial_answer(&self, prefix: impl Into<String>, answer: DialAnswer) {
        self.lock().dial_answers.push((prefix.into(), answer));
    }

    /// Waits until an events connection carries `app`.
    ///
    /// # Errors
    ///
    /// [`TestkitError::NoApplication`] after `timeout`.
    pub async fn wait_for_app(&self, app: &str, timeout: Duration) -> Result<(), TestkitError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notify = {
                let state = self.lock();
                if state.has_app(app) {
                    return Ok(());
                }
                Arc::clone(&state.registered)
            };
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().has_app(app) {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(TestkitError::NoApplication {
                    app: app.to_owned(),
                    timeout,
                });
            }
        }
    }

    /// An incoming call: a ringing channel entering `app` with `args` (its `StasisStart`), as the dialplan's
    /// `Stasis(app,args…)` makes it. Waits (at most 5 s) for the application's events connection. Returns the
    /// channel's id.
    ///
    /// # Errors
    ///
    /// [`TestkitError::NoApplication`] when no connection carries `app`.
    pub async fn call(&self, app: &str, args: &[&str]) -> Result<String, TestkitError> {
        self.wait_for_app(app, Duration::from_secs(5)).await?;
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        let chan = self
            .lock()
            .new_channel(None, "PJSIP/caller", "Ring", Some(app), args);
        Ok(chan.id)
    }

    /// The caller keys `digits` on channel `id`: one `ChannelDtmfReceived` each, in order, `between` apart; a
    /// recording that terminates on a digit ends.
    ///
    /// # Errors
    ///
    /// [`TestkitError::NoChannel`] when the channel is gone (before or between the digits).
    pub async fn send_dtmf(
        &self,
        id: &str,
        digits: &str,
        between: Duration,
    ) -> Result<(), TestkitError> {
        for (n, digit) in digits.chars().enumerate() {
            if n > 0 {
                tokio::time::sleep(between).await;
            }
            let mut state = self.lock();
            if !state.channels.contains_key(id) {
                return Err(TestkitError::NoChannel(id.to_owned()));
            }
            state.dtmf(id, digit);
        }
        Ok(())
    }

    /// The far end hangs up channel `id` (cause 16): `ChannelHangupRequest`, its playbacks and recording end, it
    /// leaves its bridge, `StasisEnd`, `ChannelDestroyed`.
    ///
    /// # Errors
    ///
    /// [`TestkitError::NoChannel`] when the channel is gone.
    pub fn hang_up(&self, id: &str) -> Result<(), TestkitError> {
        let mut state = self.lock();
        if !state.channels.contains_key(id) {
            return Err(TestkitError::NoChannel(id.to_owned()));
        }
        state.end_channel(id, 16, "Normal Clearing", true);
        Ok(())
    }

    /// Sends `event` (a JSON object with its `type`) to `app` as it is; the fake adds `application`,
    /// `asterisk_id` and, when missing, `timestamp`.
    pub fn inject(&self, app: &str, event: Value) {
        self.lock().emit(app, event);
    }

    /// The next `times` requests of `operation` (`channels.play`, as in
    /// [`availability::OPERATIONS`](crate::availability::OPERATIONS)) fail with `status` and Asterisk's error
    /// body `{"message": message}`.
    pub fn fail(&self, operation: &str, status: u16, message: &str, times: usize) {
        if times > 0 {
            self.lock()
                .script(operation, Reply::message(status, message), Some(times));
        }
    }

    /// Every request of `operation` from now on answers `status` with `body` (JSON; `Value::Null` for none):
    /// for the operations the fake does not simulate, which answer 501 otherwise.
    pub fn respond(&self, operation: &str, status: u16, body: Value) {
        let reply = if body.is_null() {
            Reply::status_only(status)
        } else {
            Reply::json(status, body)
        };
        self.lock().script(operation, reply, None);
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.lock().requests.clone()
    }

    /// The requests of `operation` received so far.
    pub fn requests_of(&self, operation: &str) -> Vec<SeenRequest> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.operation.as_deref() == Some(operation))
            .cloned()
            .collect()
    }

    /// The events sent so far: (application, event).
    pub fn events_sent(&self) -> Vec<(String, Value)> {
        self.lock().sent.clone()
    }

    /// The channels that exist now, by id, as `GET /channels/{id}` shows them.
    pub fn channel_ids(&self) -> Vec<String> {
        self.lock().channels.keys().cloned().collect()
    }

    /// Channel `id`'s state (`Ring`, `Up`, …), or `None` when it does not exist.
    pub fn channel_state(&self, id: &str) -> Option<String> {
        self.lock().channels.get(id).map(|c| c.state.clone())
    }

    /// The stored recordings: name and length in (fake) seconds.
    pub fn stored_recordings(&self) -> Vec<(String, f64)> {
        self.lock()
            .stored
            .iter()
            .map(|(name, (_, seconds))| (name.clone(), *seconds))
            .collect()
    }

    /// Replays a recorded session (JSONL, as in the fixtures). Lines with a `type` are events, sent in order to
    /// `app` (their `application` replaced); lines with `method`, `path`, `status` and `response` are REST
    /// exchanges: the next request with that method and path (query included, decoded) gets the recorded
    /// answer instead of the simulated one. Returns the number of events sent.
    ///
    /// # Errors
    ///
    /// [`TestkitError::BadLine`] for a line that is not JSON (nothing of the session is used then).
    pub fn replay(&self, app: &str, jsonl: &str) -> Result<usize, TestkitError> {
        let mut lines = Vec::new();
        for (n, line) in jsonl.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line).map_err(|e| TestkitError::BadLine {
                line: n + 1,
                error: e.to_string(),
            })?;
            lines.push(value);
        }
        let mut state = self.lock();
        let mut events = 0;
        for value in lines {
            if value.get("type").is_some() {
                state.emit(app, value);
                events += 1;
            } else if let (Some(method), Some(path), Some(status)) = (
                value["method"].as_str(),
                value["path"].as_str(),
                value["status"].as_u64(),
            ) {
                let status = u16::try_from(status).unwrap_or(500);
                let body = value["response"].as_str().unwrap_or_default();
                let (route, query) = path.split_once('?').unwrap_or((path, ""));
                let decoded = percent_encoding::percent_decode_str(query)
                    .decode_utf8_lossy()
                    .into_owned();
                let key = if decoded.is_empty() {
                    route.to_owned()
                } else {
                    format!("{route}?{decoded}")
                };
                let reply = if body.is_empty() {
                    Reply::status_only(status)
                } else {
                    Reply {
                        status,
                        content_type: Some("application/json".to_owned()),
                        body: body.as_bytes().to_vec(),
                    }
                };
                state.load_rest(method, &key, reply);
            }
        }
        Ok(events)
    }
}
