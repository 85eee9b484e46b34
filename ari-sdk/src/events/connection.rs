//! The connection task: handshake, read loop with ping/pong deadline, reconnect with backoff, shutdown.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::{FutureExt as _, SinkExt as _, StreamExt as _};
use reqwest::header::{SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_PROTOCOL};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use super::config::{events_url, Settings};
use super::error::{body_text, EventsError};
use super::hub::Hub;
use super::payload::{EventPayload, RawEvent};
use super::rest::{self, InFlight, RestCall};
use super::resync::{self, ResyncSettings};
use super::stream::{deadline_after, Command, ConnectionState, EventStream, EventsHandle, Guard};

/// A byte stream a WebSocket runs on: the connection reqwest upgraded, or one the outbound listener accepted.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// The WebSocket of one connection.
pub(crate) type Ws = WebSocketStream<Box<dyn Io>>;

/// The WebSocket subprotocol ARI speaks.
pub(crate) const SUBPROTOCOL: &str = "ari";

/// Connects once, then spawns the task that keeps the connection.
pub(crate) async fn connect<E: EventPayload>(
    settings: Settings,
) -> Result<EventStream<E>, EventsError> {
    ensure_runtime()?;
    let ws = handshake(&settings).await?;
    let (_, stream) = spawn(Some(ws), settings, ConnectionState::Connected, |h| {
        h.subscribe()
    });
    Ok(stream)
}

/// Spawns the task for a connection accepted by the outbound listener, already upgraded: it is never redialled,
/// and its streams end when it is lost. The registered stream of all events is returned with the handle, and
/// what `prepare` made of the handle before the first event was read (the subscriptions of the application
/// runner, which must not miss a call's `StasisStart`).
pub(crate) fn adopt<E: EventPayload, T>(
    ws: Ws,
    settings: Settings,
    prepare: impl FnOnce(&EventsHandle<E>) -> T,
) -> (EventsHandle<E>, EventStream<E>, T) {
    let (handle, (stream, prepared)) = spawn(Some(ws), settings, ConnectionState::Connected, |h| {
        (h.subscribe(), prepare(h))
    });
    (handle, stream, prepared)
}

/// Spawns the task, which makes the first connection in the background.
pub(crate) fn start<E: EventPayload>(settings: Settings) -> Result<EventsHandle<E>, EventsError> {
    ensure_runtime()?;
    let initial = ConnectionState::Connecting {
        attempt: 1,
        last_error: None,
    };
    Ok(spawn(None, settings, initial, |_| ()).0)
}

fn ensure_runtime() -> Result<(), EventsError> {
    tokio::runtime::Handle::try_current()
        .map(drop)
        .map_err(|_| {
            EventsError::InvalidConfig("the event stream needs a Tokio runtime".to_owned())
        })
}

/// Spawns the connection task; `prepare` registers what must see every event (a stream of all events, …) before
/// it starts reading.
fn spawn<E: EventPayload, T>(
    ws: Option<Ws>,
    settings: Settings,
    initial: ConnectionState,
    prepare: impl FnOnce(&EventsHandle<E>) -> T,
) -> (EventsHandle<E>, T) {
    let mut hub = Hub::with_apps(settings.capacity, settings.apps.clone());
    if settings.resync.is_some() {
        hub = hub.tracking_objects();
    }
    let hub = Arc::new(hub);
    let (state_tx, state_rx) = watch::channel(initial);
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (rest_tx, rest_rx) = mpsc::unbounded_channel();
    let handle = EventsHandle {
        hub: Arc::clone(&hub),
        guard: Arc::new(Guard {
            commands: cmd_tx,
            rest: rest_tx,
        }),
        state: state_rx,
    };
    let prepared = prepare(&handle);
    let end = EndGuard {
        hub,
        state: state_tx,
        armed: true,
    };
    tokio::spawn(supervise(ws, settings, end, cmd_rx, rest_rx));
    (handle, prepared)
}

/// How many answers of 401 or 403 in a row end the connection: credentials that are refused (a wrong password, a
/// user removed from `ari.conf`) do not get better by retrying. Asterisk answers 401 for both; a 403 would come
/// from a proxy in front of it. 404 and 503 (ARI still loading) are retried as the policy allows.
const REFUSED_ATTEMPTS: u32 = 3;

/// How long a connection must have lasted for the backoff to start again from its first step after it is lost. A
/// server that accepts the upgrade and then closes at once is reconnected to with a growing delay, not every
/// `initial_delay`.
const HEALTHY_AFTER: Duration = Duration::from_secs(10);

/// Publishes the end of a connection task that did not finish: when dropped armed (the task's future was dropped
/// unfinished — its runtime was shut down, even before the task first ran), every stream ends with
/// [`EventsError::TaskEnded`] and the state becomes `Closed`. It is the task's argument, not a local of it, so it
/// is dropped with a future that was never polled too.
struct EndGuard<E: EventPayload> {
    hub: Arc<Hub<E>>,
    state: watch::Sender<ConnectionState>,
    armed: bool,
}

impl<E: EventPayload> Drop for EndGuard<E> {
    fn drop(&mut self) {
        if self.armed {
            let reason = "its Tokio runtime was shut down".to_owned();
            finish(
                &self.state,
                &self.hub,
                Some(EventsError::TaskEnded { reason }),
            );
        }
    }
}

/// Runs the connection task so that its end is always published: when [`run`] panics (a custom payload's decoder,
/// say) or is dropped unfinished (see [`EndGuard`]), every stream ends with [`EventsError::TaskEnded`] and the
/// state becomes `Closed`, instead of streams pending forever on a state that still says `Connected`.
async fn supervise<E: EventPayload>(
    ws: Option<Ws>,
    settings: Settings,
    mut end: EndGuard<E>,
    commands: mpsc::UnboundedReceiver<Command>,
    rest: mpsc::UnboundedReceiver<RestCall>,
) {
    let outcome = AssertUnwindSafe(run(ws, settings, &end.hub, &end.state, commands, rest))
        .catch_unwind()
        .await;
    end.armed = false;
    if let Err(panic) = outcome {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        tracing::error!(%message, "ARI events connection task panicked");
        let reason = format!("it panicked: {message}");
        finish(
            &end.state,
            &end.hub,
            Some(EventsError::TaskEnded { reason }),
        );
    }
}

/// One connection attempt: an HTTP/1.1 upgrade request with the `ari` subprotocol through the client's own HTTP
/// stack (its connection pool, TLS back end and trust store, credentials and user agent), then the WebSocket on
/// the upgraded connection. `Sec-WebSocket-Accept` and the subprotocol of the answer are checked.
pub(crate) async fn handshake(settings: &Settings) -> Result<Ws, EventsError> {
    let Some(client) = &settings.client else {
        return Err(EventsError::InvalidConfig(
            "an accepted connection cannot be dialled again".to_owned(),
        ));
    };
    let target = events_url(client, settings)?;
    let url = target.redacted;
    let connect_error = |source: BoxedError| EventsError::Connect {
        url: url.clone(),
        source,
    };
    let key = generate_key();
    let request = client
        .upgrade_request(target.http, &key, SUBPROTOCOL)
        .map_err(|e| EventsError::InvalidConfig(e.to_string()))?;
    let attempt = async {
        let response = request
            .send()
            .await
            .map_err(|e| connect_error(Arc::new(e.without_url())))?;
        let status = response.status();
        if status != reqwest::StatusCode::SWITCHING_PROTOCOLS {
            let body = response.bytes().await.unwrap_or_default();
            return Err(EventsError::Rejected {
                url: url.clone(),
                status: status.as_u16(),
                message: body_text(&body),
            });
        }
        let headers = response.headers();
        let accept = headers.get(SEC_WEBSOCKET_ACCEPT).map(|v| v.as_bytes());
        if accept != Some(derive_accept_key(key.as_bytes()).as_bytes()) {
            return Err(connect_error(message(
                "the server's Sec-WebSocket-Accept does not match the key sent",
            )));
        }
        let protocol = headers.get(SEC_WEBSOCKET_PROTOCOL).map(|v| v.as_bytes());
        if protocol != Some(SUBPROTOCOL.as_bytes()) {
            return Err(connect_error(message(
                "the server did not accept the `ari` WebSocket subprotocol",
            )));
        }
        let upgraded = response
            .upgrade()
            .await
            .map_err(|e| connect_error(Arc::new(e.without_url())))?;
        let io: Box<dyn Io> = Box::new(upgraded);
        Ok(
            WebSocketStream::from_raw_socket(io, Role::Client, Some(WebSocketConfig::default()))
                .await,
        )
    };
    match tokio::time::timeout(settings.connect_timeout, attempt).await {
        Err(_) => Err(EventsError::ConnectTimeout {
            url: url.clone(),
            after: settings.connect_timeout,
        }),
        Ok(result) => result,
    }
}

type BoxedError = super::error::BoxError;

fn message(text: &'static str) -> BoxedError {
    Arc::new(std::io::Error::other(text))
}

/// How a connection ended.
enum Ended {
    /// Close requested, or every handle dropped.
    Shutdown,
    /// Over for good with this error (the application was taken over by another connection).
    Terminal(EventsError),
    /// Lost: reconnect.
    Lost(EventsError),
}

/// The connection task: keeps a connection, reconnecting as the policy allows, until shut down or given up.
async fn run<E: EventPayload>(
    first: Option<Ws>,
    settings: Settings,
    hub: &Arc<Hub<E>>,
    state: &watch::Sender<ConnectionState>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut rest: mpsc::UnboundedReceiver<RestCall>,
) {
    // The resync after the last reconnect, while it runs; replacing it (a newer reconnect) or the end of this
    // function aborts it.
    let mut resyncing = AbortOnDrop(None);
    let url = settings.label.clone();
    let (mut ws, mut step) = match first {
        Some(ws) => (ws, 0),
        None => match establish(&settings, hub, state, &mut commands, &mut rest, None, 0).await {
            Some(connected) => connected,
            None => return,
        },
    };
    state.send_replace(ConnectionState::Connected);
    tracing::info!(%url, "ARI events connected");
    loop {
        let connected_at = Instant::now();
        let mut last = LastMessage::now();
        let lost = match drive(&mut ws, &settings, hub, &mut commands, &mut rest, &mut last).await {
            Ended::Shutdown => {
                finish(state, hub, None);
                close_gracefully(&mut ws, settings.close_timeout).await;
                tracing::info!(%url, "ARI events connection closed");
                return;
            }
            Ended::Terminal(error) => {
                tracing::error!(%url, %error, "ARI events connection ends");
                finish(state, hub, Some(error));
                close_gracefully(&mut ws, settings.close_timeout).await;
                return;
            }
            Ended::Lost(error) => error,
        };
        drop(ws);
        if settings.client.is_none() {
            // An accepted connection is not redialled: its end is the end of its streams, without an error when
            // the server closed it.
            tracing::info!(%url, reason = %lost, "ARI outbound connection ended");
            let error = match lost {
                EventsError::ClosedByServer { .. } => None,
                other => Some(other),
            };
            finish(state, hub, error);
            return;
        }
        // Events may be missing from the last message received on, not only from when the loss was noticed
        // (which, for a connection that went silent, is up to ping interval + pong deadline later).
        let (lost_start, lost_at) = (last.at, last.wall);
        // A connection that did not last is no sign of recovery: the backoff goes on growing.
        let first_step = if connected_at.elapsed() >= HEALTHY_AFTER {
            1
        } else {
            step.saturating_add(1)
        };
        tracing::warn!(%url, error = %lost, "ARI events connection lost; reconnecting");
        (ws, step) = match establish(
            &settings,
            hub,
            state,
            &mut commands,
            &mut rest,
            Some(lost),
            first_step,
        )
        .await
        {
            Some(connected) => connected,
            None => return,
        };
        let now = Instant::now();
        hub.stats.reconnected();
        state.send_replace(ConnectionState::Connected);
        hub.dispatch_gap(lost_start, lost_at, now);
        if let Some(source) = &settings.resync {
            let resync = ResyncSettings {
                source: Arc::clone(source),
                apps: settings.apps.clone(),
                subscribe_all: settings.subscribe_all,
            };
            let task = tokio::spawn(resync::run(Arc::clone(hub), resync, hub.seq()));
            resyncing.replace(task);
        }
        tracing::info!(%url, gap = ?now.duration_since(lost_start), "ARI events reconnected");
    }
}

/// A task aborted when replaced or dropped.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl AbortOnDrop {
    fn replace(&mut self, task: tokio::task::JoinHandle<()>) {
        if let Some(old) = self.0.replace(task) {
            old.abort();
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// When the last message (of any kind, pongs included) arrived on a connection.
struct LastMessage {
    at: Instant,
    wall: SystemTime,
}

impl LastMessage {
    fn now() -> Self {
        LastMessage {
            at: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}

/// Makes connection attempts with backoff until one succeeds (`Some`, with the backoff step of its wait), the
/// policy gives up, the credentials are refused [`REFUSED_ATTEMPTS`] times in a row, or shutdown is asked for
/// (`None`, after closing the hub). `lost` is why the previous connection ended; `None` for the first connection,
/// whose first attempt is made at once and whose retries follow the same policy. `first_step` is the backoff step
/// of the first wait (ignored for the first connection).
async fn establish<E: EventPayload>(
    settings: &Settings,
    hub: &Hub<E>,
    state: &watch::Sender<ConnectionState>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    rest: &mut mpsc::UnboundedReceiver<RestCall>,
    lost: Option<EventsError>,
    first_step: u32,
) -> Option<(Ws, u32)> {
    let initial = lost.is_none();
    let mut last_error = lost;
    let mut failures: u32 = 0;
    let mut refused: u32 = 0;
    // The backoff step of the next wait: 0 (no wait) only for the first connection's first attempt. It goes back to
    // 1 when the server starts answering while ARI is not ready yet (see `is_starting`), so a restarting Asterisk
    // is reconnected to soon after its port opens, however long it was down.
    let mut step: u32 = if initial { 0 } else { first_step.max(1) };
    loop {
        // The first connection's first attempt is always made; every other attempt is a retry the policy allows.
        let retries = if initial {
            failures.saturating_sub(1)
        } else {
            failures
        };
        let must_try = initial && failures == 0;
        let may_retry = settings
            .reconnect
            .attempt_limit()
            .is_none_or(|max| retries < max)
            && refused < REFUSED_ATTEMPTS;
        if !must_try && !may_retry {
            let last = last_error.unwrap_or(EventsError::ClosedByServer {
                code: None,
                reason: String::new(),
            });
            let error = EventsError::ReconnectGaveUp {
                attempts: failures,
                last_error: Box::new(last),
            };
            tracing::error!(%error, "ARI events: giving up");
            finish(state, hub, Some(error));
            return None;
        }
        let attempt = failures + 1;
        let delay = if initial {
            state.send_replace(ConnectionState::Connecting {
                attempt,
                last_error: last_error.clone(),
            });
            if step == 0 {
                Duration::ZERO
            } else {
                settings.reconnect.delay(step, fastrand::f64())
            }
        } else {
            state.send_replace(ConnectionState::Reconnecting {
                attempt,
                last_error: last_error.clone().unwrap_or(EventsError::ClosedByServer {
                    code: None,
                    reason: String::new(),
                }),
            });
            settings.reconnect.delay(step, fastrand::f64())
        };
        if disconnected(tokio::time::sleep(delay), commands, rest)
            .await
            .is_none()
        {
            finish(state, hub, None);
            return None;
        }
        match disconnected(handshake(settings), commands, rest).await {
            None => {
                finish(state, hub, None);
                return None;
            }
            Some(Ok(ws)) => return Some((ws, step)),
            Some(Err(error)) => {
                tracing::debug!(attempt, %error, "ARI events connection attempt failed");
                failures += 1;
                refused = if matches!(error.status(), Some(401 | 403)) {
                    refused + 1
                } else {
                    0
                };
                step = next_step(step, last_error.as_ref(), &error);
                last_error = Some(error);
            }
        }
    }
}

/// Awaits `work` while there is no connection: REST requests are refused at once (not sent), and `None` is
/// returned as soon as shutdown is asked for.
async fn disconnected<F: std::future::Future>(
    work: F,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    rest: &mut mpsc::UnboundedReceiver<RestCall>,
) -> Option<F::Output> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            biased;
            command = commands.recv() => match command {
                None | Some(Command::Close) => return None,
            },
            Some(call) = rest.recv() => rest::refuse(call),
            output = &mut work => return Some(output),
        }
    }
}

/// Whether the server answered the upgrade but its ARI is not ready: Asterisk's HTTP server answers 404 before
/// `res_ari` is loaded and 503 while it starts.
fn is_starting(error: &EventsError) -> bool {
    matches!(error.status(), Some(404 | 503))
}

/// The backoff step after an attempt failed with `error` (the one before failed with `previous`): one more, or 1
/// again when the server has just started answering while its ARI is not ready.
fn next_step(step: u32, previous: Option<&EventsError>, error: &EventsError) -> u32 {
    if is_starting(error) && !previous.is_some_and(is_starting) {
        1
    } else {
        step.saturating_add(1)
    }
}

fn finish<E: EventPayload>(
    state: &watch::Sender<ConnectionState>,
    hub: &Hub<E>,
    error: Option<EventsError>,
) {
    state.send_replace(ConnectionState::Closed {
        error: error.clone(),
    });
    hub.close(error);
}

/// Reads one connection until it is lost or shutdown is asked for, pinging on a fixed interval. After a ping, if
/// nothing at all arrives within the pong timeout, the connection is declared dead.
async fn drive<E: EventPayload>(
    ws: &mut Ws,
    settings: &Settings,
    hub: &Hub<E>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    rest: &mut mpsc::UnboundedReceiver<RestCall>,
    last: &mut LastMessage,
) -> Ended {
    // REST requests sent on this connection and not answered yet; dropped with it, which fails them.
    let mut in_flight = InFlight::default();
    // A sleep reset after each ping rather than an interval: an interval of `Duration::MAX` would overflow.
    let ping = tokio::time::sleep_until(deadline_after(settings.ping_interval));
    tokio::pin!(ping);
    let deadline = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(deadline);
    let mut awaiting_pong = false;
    let mut ping_seq: u64 = 0;

    loop {
        tokio::select! {
            biased;
            command = commands.recv() => match command {
                None | Some(Command::Close) => return Ended::Shutdown,
            },
            message = ws.next() => {
                awaiting_pong = false;
                if let Some(Ok(received)) = &message {
                    *last = LastMessage::now();
                    hub.stats.message(received.is_pong());
                }
                match message {
                    Some(Ok(Message::Text(text))) => {
                        if !in_flight.complete(text.as_str()) {
                            dispatch_text(hub, text.as_str());
                            if let Some(app) = replaced_app(text.as_str()) {
                                return Ended::Terminal(EventsError::ApplicationReplaced { app });
                            }
                        }
                    }
                    Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                        Ok(text) => dispatch_text(hub, text),
                        Err(_) => hub.dispatch_undecodable(
                            EventsError::Decode {
                                error: super::DecodeError::new("a binary message that is not UTF-8"),
                                text: String::from_utf8_lossy(&bytes).into(),
                            },
                            None,
                        ),
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(frame))) => {
                        // tungstenite queued the close reply; flush it, briefly.
                        let _ = tokio::time::timeout(settings.close_timeout, ws.flush()).await;
                        return Ended::Lost(EventsError::ClosedByServer {
                            code: frame.as_ref().map(|f| u16::from(f.code)),
                            reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                        });
                    }
                    None | Some(Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed)) => {
                        return Ended::Lost(EventsError::ClosedByServer { code: None, reason: String::new() });
                    }
                    Some(Err(e)) => return Ended::Lost(EventsError::Transport(Arc::new(e))),
                }
            }
            Some(call) = rest.recv() => {
                let text = in_flight.insert(call);
                match tokio::time::timeout(settings.pong_timeout, ws.send(Message::text(text))).await {
                    Err(_) => return Ended::Lost(EventsError::Transport(Arc::new(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "sending a REST request on the event WebSocket timed out",
                    )))),
                    Ok(Err(e)) => return Ended::Lost(EventsError::Transport(Arc::new(e))),
                    Ok(Ok(())) => {}
                }
            }
            () = &mut ping => {
                ping.as_mut().reset(deadline_after(settings.ping_interval));
                ping_seq = ping_seq.wrapping_add(1);
                if !awaiting_pong {
                    awaiting_pong = true;
                    deadline.as_mut().reset(deadline_after(settings.pong_timeout));
                }
                let payload = ping_seq.to_be_bytes().to_vec();
                match tokio::time::timeout(settings.pong_timeout, ws.send(Message::Ping(payload.into()))).await {
                    Err(_) => return Ended::Lost(EventsError::PingTimeout { timeout: settings.pong_timeout }),
                    Ok(Err(e)) => return Ended::Lost(EventsError::Transport(Arc::new(e))),
                    Ok(Ok(())) => {}
                }
            }
            () = &mut deadline, if awaiting_pong => {
                return Ended::Lost(EventsError::PingTimeout { timeout: settings.pong_timeout });
            }
        }
    }
}

/// The application named by an `ApplicationReplaced` message (read apart from the payload type, which may not
/// know it).
fn replaced_app(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        application: String,
    }
    if !text.contains("ApplicationReplaced") {
        return None;
    }
    let probe: Probe = serde_json::from_str(text).ok()?;
    (probe.kind == "ApplicationReplaced").then_some(probe.application)
}

fn dispatch_text<E: EventPayload>(hub: &Hub<E>, text: &str) {
    match E::decode(text) {
        Ok(event) => hub.dispatch_event(Arc::new(event), text.len()),
        Err(error) => {
            tracing::warn!(%error, "undecodable ARI event");
            // Still JSON with a type? Then it can be routed by the ids it names.
            let raw = RawEvent::decode(text).ok();
            hub.dispatch_undecodable(
                EventsError::Decode {
                    error,
                    text: text.into(),
                },
                raw.as_ref(),
            );
        }
    }
}

/// Sends a close frame and waits (briefly) for the server's.
async fn close_gracefully(ws: &mut Ws, limit: Duration) {
    let _ = tokio::time::timeout(limit, async {
        if ws.close(None).await.is_ok() {
            // Until the server's close frame; then dropping the socket ends the TCP connection.
            while let Some(Ok(message)) = ws.next().await {
                if message.is_close() {
                    break;
                }
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_again_when_the_server_answers_but_is_not_ready() {
        let refused = EventsError::ConnectTimeout {
            url: String::new(),
            after: Duration::from_secs(1),
        };
        let rejected = |status| EventsError::Rejected {
            url: String::new(),
            status,
            message: String::new(),
        };
        assert_eq!(next_step(5, Some(&refused), &refused), 6);
        assert_eq!(next_step(5, Some(&refused), &rejected(404)), 1);
        assert_eq!(next_step(5, None, &rejected(503)), 1);
        // still loading: the sequence goes on growing
        assert_eq!(next_step(1, Some(&rejected(404)), &rejected(503)), 2);
        // bad credentials do not get better by retrying sooner
        assert_eq!(next_step(5, Some(&refused), &rejected(401)), 6);
        assert_eq!(next_step(u32::MAX, Some(&refused), &refused), u32::MAX);
    }
}
