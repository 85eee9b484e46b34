//! Outbound WebSocket: Asterisk connects to the application (Asterisk 20.15.0, 21.10.0, 22.5.0 and later).
//!
//! Asterisk's `websocket_client.conf` names the address of a [`Listener`] (`uri = ws://host:port/path`,
//! `protocols = ari`, `username`/`password`), and an `ari.conf` section `type = outbound_websocket` names the
//! applications served there. Asterisk then dials the listener and sends its events on that socket, and takes
//! REST requests on it (`RESTRequest`/`RESTResponse`). Each accepted socket becomes a [`Connection`]: a
//! [`Client`] whose operations travel over that socket (the same typed API and the same [`Error`](crate::Error)
//! values as over HTTP) and an [`EventStream`] with everything the inbound stream has (per-object streams through
//! the client's handles, [`StreamItem::Lagged`](crate::events::StreamItem::Lagged), health).
//!
//! Both of Asterisk's connection types arrive the same way:
//! - `connection_type = persistent`: one socket for the configured applications, redialled by Asterisk when it
//!   is lost; every call of those applications arrives on it.
//! - `connection_type = per_call_config`: one socket per call. A channel entering `Stasis(app)` makes Asterisk
//!   dial the listener and register an application named `<app>:<channel name>` on that socket only; the call's
//!   events arrive there, and Asterisk closes the socket after the call's `StasisEnd` (the connection's stream
//!   then ends without an error). One task per connection is one task per call.
//!
//! The listener checks each upgrade before anything else is done for it: a wrong or missing `Authorization`
//! (compared in constant time) is answered `401`, a request that is not a WebSocket upgrade, lacks the `ari`
//! subprotocol or is not HTTP at all `400`, and an upgrade beyond [`ListenerBuilder::max_connections`] `503`;
//! the socket is then closed. Each handshake, TLS included, must complete within
//! [`ListenerBuilder::handshake_timeout`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ari_sdk::events::StreamItem;
//! use ari_sdk::outbound::Listener;
//! use ari_sdk::Event;
//! use futures::StreamExt as _;
//!
//! let mut listener = Listener::builder("127.0.0.1:8765")
//!     .basic_auth("asterisk", "secret")
//!     .bind()
//!     .await?;
//! while let Some(connection) = listener.accept().await {
//!     tokio::spawn(async move {
//!         let (client, mut events) = connection.into_parts();
//!         while let Some(Ok(item)) = events.next().await {
//!             if let StreamItem::Event(Event::StasisStart(start)) = item {
//!                 let channel = client.channel(&start.channel.id);
//!                 let _ = channel.answer().await;
//!                 let _ = channel.play(["sound:hello-world"]).await;
//!             }
//!         }
//!     });
//! }
//! # Ok(()) }
//! ```
//!
//! Binary downloads (a stored recording's file) cannot travel over the socket (Asterisk answers 406) and an
//! outbound connection has no HTTP endpoint: they fail with [`Error::InvalidRequest`](crate::Error::InvalidRequest).

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use subtle::ConstantTimeEq as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use crate::events::config::Settings;
use crate::events::connection::{self, Io, Ws, SUBPROTOCOL};
use crate::events::{ConnectionState, EventStream, ReconnectPolicy};
use crate::flows::IncomingCalls;
use crate::{Client, Event};

/// The largest upgrade request head read (Asterisk's is a few hundred bytes).
const MAX_HEAD: usize = 8 * 1024;

/// The numbers of a listener and its connections (one copy in the builder, then in the accepting tasks).
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_connections: usize,
    handshake_timeout: Duration,
    request_timeout: Option<Duration>,
    ping_interval: Duration,
    pong_timeout: Duration,
    /// Each subscriber's buffer.
    buffer_capacity: usize,
}

/// Configures a [`Listener`]; from [`Listener::builder`].
#[must_use = "a ListenerBuilder does nothing until `.bind()` is awaited"]
pub struct ListenerBuilder {
    address: String,
    credentials: Option<(String, String)>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
}

impl fmt::Debug for ListenerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenerBuilder")
            .field("address", &self.address)
            .field("username", &self.credentials.as_ref().map(|c| &c.0))
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish()
    }
}

impl ListenerBuilder {
    /// The username and password Asterisk must send (`Authorization: Basic`, from `websocket_client.conf`'s
    /// `username`/`password`). Without them every upgrade is accepted: only for tests on loopback.
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((username.into(), password.into()));
        self
    }

    /// Accepts TLS (`wss://` in Asterisk's `uri`) with this rustls server configuration. Its ALPN list should be
    /// empty or offer `http/1.1` only.
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    setters! {
        /// How many connections may be open at once (default 256, at least 1); an upgrade beyond them is answered
        /// `503` and closed.
        max_connections(max: usize) => limits.max_connections = max.max(1);

        /// How long a peer has for the TLS and WebSocket handshakes (default 10 s).
        handshake_timeout(timeout: Duration) => limits.handshake_timeout = timeout.max(Duration::from_millis(1));

        /// The request timeout of each connection's [`Client`] (default 30 s; `None` for no limit), as
        /// [`ClientBuilder::request_timeout`](crate::ClientBuilder::request_timeout).
        request_timeout(timeout: impl Into<Option<Duration>>) => limits.request_timeout = timeout.into();

        /// How often each connection is pinged (default 5 s), as
        /// [`EventsBuilder::ping_interval`](crate::events::EventsBuilder::ping_interval).
        ping_interval(interval: Duration) => limits.ping_interval = interval.max(Duration::from_millis(1));

        /// How long after a ping a silent connection is declared dead (default 5 s), as
        /// [`EventsBuilder::pong_timeout`](crate::events::EventsBuilder::pong_timeout).
        pong_timeout(timeout: Duration) => limits.pong_timeout = timeout.max(Duration::from_millis(1));

        /// How many items each subscriber of a connection may have waiting (default 1024), as
        /// [`EventsBuilder::buffer_capacity`](crate::events::EventsBuilder::buffer_capacity).
        buffer_capacity(capacity: usize) => limits.buffer_capacity = capacity.max(1);
    }

    /// Binds the address and starts accepting. Must be called within a Tokio runtime.
    ///
    /// # Errors
    ///
    /// The I/O error of binding (address in use, not an address, …).
    pub async fn bind(self) -> std::io::Result<Listener> {
        let tcp = TcpListener::bind(&self.address).await?;
        let local_addr = tcp.local_addr()?;
        let authorization = self.credentials.as_ref().map(|(user, password)| {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {token}").into_bytes()
        });
        let limits = self.limits;
        let (sender, receiver) = mpsc::channel(limits.max_connections);
        let stats = Arc::new(Counters::default());
        let prepare_calls = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            prepare_calls: Arc::clone(&prepare_calls),
            authorization,
            tls: self.tls.map(tokio_rustls::TlsAcceptor::from),
            slots: Arc::new(Semaphore::new(limits.max_connections)),
            limits,
            stats: Arc::clone(&stats),
            sender,
        });
        let task = tokio::spawn(accept_loop(tcp, shared));
        Ok(Listener {
            local_addr,
            receiver,
            stats,
            prepare_calls,
            task,
        })
    }
}

/// A listener for Asterisk's outbound WebSocket connections; see the [module documentation](self).
///
/// Accepting runs in a background task from [`bind`](ListenerBuilder::bind) on; dropping the listener stops it
/// (connections already accepted go on).
pub struct Listener {
    local_addr: SocketAddr,
    receiver: mpsc::Receiver<Connection>,
    stats: Arc<Counters>,
    /// Set by the application runner: connections accepted from then on carry [`PreparedCalls`].
    prepare_calls: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("local_addr", &self.local_addr)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    /// Starts configuring a listener on `address` (`"127.0.0.1:8765"`; port 0 picks a free port, see
    /// [`local_addr`](Self::local_addr)).
    pub fn builder(address: impl Into<String>) -> ListenerBuilder {
        ListenerBuilder {
            address: address.into(),
            credentials: None,
            tls: None,
            limits: Limits {
                max_connections: 256,
                handshake_timeout: Duration::from_secs(10),
                request_timeout: Some(Duration::from_secs(30)),
                ping_interval: Duration::from_secs(5),
                pong_timeout: Duration::from_secs(5),
                buffer_capacity: 1024,
            },
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The next connection Asterisk opened and the listener accepted; `None` once the listener has stopped (its
    /// socket failed).
    pub async fn accept(&mut self) -> Option<Connection> {
        self.receiver.recv().await
    }

    /// What the listener has done so far.
    pub fn stats(&self) -> ListenerStats {
        self.stats.snapshot()
    }

    /// From now on, each accepted connection subscribes the application runner's streams before it reads its
    /// first event (a per-call connection's `StasisStart` comes right after the upgrade).
    pub(crate) fn prepare_calls(&self) {
        self.prepare_calls.store(true, Ordering::Relaxed);
    }
}

/// The application runner's subscriptions on one connection, registered before its first event was read.
pub(crate) struct PreparedCalls {
    /// The connection's `StasisEnd`s.
    pub(crate) ends: EventStream<Event>,
    /// The channels entering its applications.
    pub(crate) incoming: IncomingCalls,
}

/// Counts of a [`Listener`]'s work; from [`Listener::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenerStats {
    /// Connections accepted (handshake completed).
    pub accepted: u64,
    /// Upgrades refused with 401 (wrong or missing credentials).
    pub unauthorized: u64,
    /// Requests refused with 400 (not a WebSocket upgrade, no `ari` subprotocol, not HTTP).
    pub bad_requests: u64,
    /// Upgrades refused with 503 (too many connections open).
    pub over_limit: u64,
    /// Sockets dropped before a request was read: TLS failures, handshake timeouts, peers that hung up.
    pub failed_handshakes: u64,
    /// Connections open now.
    pub open: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    unauthorized: AtomicU64,
    bad_requests: AtomicU64,
    over_limit: AtomicU64,
    failed_handshakes: AtomicU64,
    open: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> ListenerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ListenerStats {
            accepted: get(&self.accepted),
            unauthorized: get(&self.unauthorized),
            bad_requests: get(&self.bad_requests),
            over_limit: get(&self.over_limit),
            failed_handshakes: get(&self.failed_handshakes),
            open: get(&self.open),
        }
    }
}

/// One WebSocket connection Asterisk opened to a [`Listener`].
///
/// The connection lives while its [`Client`] or any of its event streams (or their handles) does; it ends when
/// Asterisk closes it (per-call connections after the call), and then its streams end.
pub struct Connection {
    client: Client,
    events: EventStream<Event>,
    peer_addr: SocketAddr,
    path: String,
    prepared: Option<PreparedCalls>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("peer_addr", &self.peer_addr)
            .field("path", &self.path)
            .field("state", &self.events.handle().state())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The client whose requests travel over this connection (REST over WebSocket).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The stream of all events on this connection. More subscriptions (per object, filtered) come from
    /// [`EventStream::handle`] or the client's handles (`client.channel(id).events()`).
    pub fn events(&mut self) -> &mut EventStream<Event> {
        &mut self.events
    }

    /// The client and the stream of all events.
    pub fn into_parts(self) -> (Client, EventStream<Event>) {
        (self.client, self.events)
    }

    /// The address Asterisk connected from.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The request path of the upgrade (the path of Asterisk's `uri`, with its query), e.g. `/ari-app`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The application runner's subscriptions, when the listener was given to it before this connection came.
    pub(crate) fn take_prepared(&mut self) -> Option<PreparedCalls> {
        self.prepared.take()
    }
}

/// What every accepting task needs.
struct Shared {
    /// Whether connections are prepared for the application runner ([`Listener::prepare_calls`]).
    prepare_calls: Arc<AtomicBool>,
    /// The expected `Authorization` header value.
    authorization: Option<Vec<u8>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    slots: Arc<Semaphore>,
    limits: Limits,
    stats: Arc<Counters>,
    sender: mpsc::Sender<Connection>,
}

async fn accept_loop(tcp: TcpListener, shared: Arc<Shared>) {
    // The number of sockets in their handshake is bounded too: each costs a task and a small buffer.
    let handshakes = Arc::new(Semaphore::new(
        shared.limits.max_connections.saturating_mul(4),
    ));
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: pause instead of spinning.
                tracing::warn!(%error, "ARI outbound listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&handshakes).try_acquire_owned() else {
            shared
                .stats
                .failed_handshakes
                .fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let limit = shared.limits.handshake_timeout;
            match tokio::time::timeout(limit, handshake(stream, peer, &shared)).await {
                Ok(Ok(Some(connection))) => {
                    drop(permit);
                    // The application may have stopped accepting; the connection then closes.
                    let _ = shared.sender.send(connection).await;
                }
                Ok(Ok(None)) => {}
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "ARI outbound listener: handshake failed");
                    shared
                        .stats
                        .failed_handshakes
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    tracing::debug!(%peer, "ARI outbound listener: handshake timed out");
                    shared
                        .stats
                        .failed_handshakes
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

/// TLS if configured, then the upgrade; `Ok(None)` when the request was answered with an error status.
async fn handshake(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
) -> std::io::Result<Option<Connection>> {
    let _ = stream.set_nodelay(true);
    let io: Box<dyn Io> = match &shared.tls {
        Some(acceptor) => Box::new(acceptor.accept(stream).await?),
        None => Box::new(stream),
    };
    upgrade(io, peer, shared).await
}

/// Why an upgrade request is refused.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    BadRequest(&'static str),
    Unauthorized,
}

/// The parts of an upgrade request that matter.
#[derive(Debug)]
struct Upgrade {
    path: String,
    key: String,
}

/// Checks a request head: a `GET` WebSocket upgrade (version 13) offering the `ari` subprotocol, with the
/// expected credentials.
fn check_request(head: &[u8], authorization: Option<&[u8]>) -> Result<Upgrade, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Refusal::BadRequest("not an HTTP request")),
    }
    if request.method != Some("GET") {
        return Err(Refusal::BadRequest("not a GET"));
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let has_token = |name: &str, token: &str| {
        request
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .filter_map(|h| std::str::from_utf8(h.value).ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if !has_token("connection", "upgrade") || !has_token("upgrade", "websocket") {
        return Err(Refusal::BadRequest("not a WebSocket upgrade"));
    }
    if header("sec-websocket-version") != Some(b"13") {
        return Err(Refusal::BadRequest("not WebSocket version 13"));
    }
    let Some(key) = header("sec-websocket-key").and_then(|k| std::str::from_utf8(k).ok()) else {
        return Err(Refusal::BadRequest("no Sec-WebSocket-Key"));
    };
    if let Some(expected) = authorization {
        let given = header("authorization").unwrap_or_default();
        if !bool::from(given.ct_eq(expected)) {
            return Err(Refusal::Unauthorized);
        }
    }
    // Checked after the credentials: a peer without them learns nothing about the protocol.
    if !has_token("sec-websocket-protocol", SUBPROTOCOL) {
        return Err(Refusal::BadRequest("the `ari` subprotocol is not offered"));
    }
    Ok(Upgrade {
        path: request.path.unwrap_or("/").to_owned(),
        key: key.trim().to_owned(),
    })
}

/// Reads the request head (nothing after it: a client waits for the 101 before it sends frames).
async fn read_head(io: &mut Box<dyn Io>) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        let n = io.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            if end + 4 != head.len() {
                // Bytes after the head: not a client waiting for the answer.
                return Ok(Some(Vec::new()));
            }
            return Ok(Some(head));
        }
        if head.len() > MAX_HEAD {
            return Ok(Some(Vec::new()));
        }
    }
}

async fn refuse(io: &mut Box<dyn Io>, status: &str, extra: &str) -> std::io::Result<()> {
    let response =
        format!("HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n");
    io.write_all(response.as_bytes()).await?;
    io.shutdown().await
}

async fn upgrade(
    mut io: Box<dyn Io>,
    peer: SocketAddr,
    shared: &Shared,
) -> std::io::Result<Option<Connection>> {
    let Some(head) = read_head(&mut io).await? else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the peer closed before sending a request",
        ));
    };
    let stats = &shared.stats;
    let request = match check_request(&head, shared.authorization.as_deref()) {
        Ok(request) => request,
        Err(Refusal::Unauthorized) => {
            stats.unauthorized.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%peer, "ARI outbound listener: refused (401)");
            refuse(
                &mut io,
                "401 Unauthorized",
                "WWW-Authenticate: Basic realm=\"ari\"\r\n",
            )
            .await?;
            return Ok(None);
        }
        Err(Refusal::BadRequest(why)) => {
            stats.bad_requests.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%peer, why, "ARI outbound listener: refused (400)");
            refuse(&mut io, "400 Bad Request", "").await?;
            return Ok(None);
        }
    };
    let Ok(slot) = Arc::clone(&shared.slots).try_acquire_owned() else {
        stats.over_limit.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%peer, "ARI outbound listener: refused (503, connection limit)");
        refuse(&mut io, "503 Service Unavailable", "").await?;
        return Ok(None);
    };
    let accept = derive_accept_key(request.key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n"
    );
    io.write_all(response.as_bytes()).await?;
    io.flush().await?;
    let ws: Ws =
        WebSocketStream::from_raw_socket(io, Role::Server, Some(WebSocketConfig::default())).await;
    let label = format!("outbound connection from {peer}");
    let settings = Settings {
        client: None,
        label,
        apps: Vec::new(),
        subscribe_all: false,
        reconnect: ReconnectPolicy::default(),
        ping_interval: shared.limits.ping_interval,
        pong_timeout: shared.limits.pong_timeout,
        connect_timeout: shared.limits.handshake_timeout,
        close_timeout: Duration::from_secs(1),
        capacity: shared.limits.buffer_capacity,
        rest_probe: None,
        // Never redialled: there is no gap to resync after.
        resync: None,
    };
    let prepare = shared.prepare_calls.load(Ordering::Relaxed);
    let timeout = shared.limits.request_timeout;
    let (handle, events, (client, prepared)) = connection::adopt::<Event, _>(ws, settings, |h| {
        let client = Client::over_connection(h, timeout, peer);
        // The ends first, so a call's `StasisEnd` is never read before its `StasisStart`. The connection was
        // registered with the client just now: `incoming_calls` finds it.
        let prepared = prepare
            .then(|| {
                let ends = h.subscribe_matching(|event| matches!(event, Event::StasisEnd(_)));
                let incoming = client.incoming_calls().ok()?;
                Some(PreparedCalls { ends, incoming })
            })
            .flatten();
        (client, prepared)
    });
    stats.accepted.fetch_add(1, Ordering::Relaxed);
    stats.open.fetch_add(1, Ordering::Relaxed);
    tracing::info!(%peer, path = %request.path, "ARI outbound connection accepted");
    // The slot is free again when the connection's task has ended.
    let mut state = handle.watch_state();
    let counters = Arc::clone(stats);
    tokio::spawn(async move {
        let _ = state
            .wait_for(|s| matches!(s, ConnectionState::Closed { .. }))
            .await;
        counters.open.fetch_sub(1, Ordering::Relaxed);
        drop(slot);
    });
    Ok(Some(Connection {
        client,
        events,
        peer_addr: peer,
        path: request.path,
        prepared,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn head(extra: &str) -> Vec<u8> {
        format!(
            "GET /app HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n{extra}\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn requests_are_checked_credentials_first() {
        let auth = b"Basic dTpw".as_slice();
        let good = head("Authorization: Basic dTpw\r\nSec-WebSocket-Protocol: ari\r\n");
        let upgrade = check_request(&good, Some(auth)).unwrap();
        assert_eq!((upgrade.path.as_str(), upgrade.key.as_str()), ("/app", KEY));
        let cases: [(Vec<u8>, Refusal); 6] = [
            (
                head("Authorization: Basic dTpx\r\nSec-WebSocket-Protocol: ari\r\n"),
                Refusal::Unauthorized,
            ),
            (
                head("Sec-WebSocket-Protocol: ari\r\n"),
                Refusal::Unauthorized,
            ),
            // without credentials, the missing subprotocol is not revealed
            (head(""), Refusal::Unauthorized),
            (
                head("Authorization: Basic dTpw\r\nSec-WebSocket-Protocol: chat\r\n"),
                Refusal::BadRequest("the `ari` subprotocol is not offered"),
            ),
            (
                b"\x16\x03\x01garbage\r\n\r\n".to_vec(),
                Refusal::BadRequest("not an HTTP request"),
            ),
            (
                b"POST / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                Refusal::BadRequest("not a GET"),
            ),
        ];
        for (request, want) in cases {
            assert_eq!(
                check_request(&request, Some(auth)).unwrap_err(),
                want,
                "{}",
                String::from_utf8_lossy(&request)
            );
        }
        assert!(check_request(&head("Sec-WebSocket-Protocol: x, ari\r\n"), None).is_ok());
    }
}
