//! [`App`]: one task per call, isolated, bounded, drained on shutdown.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::Instrument as _;

use super::BoxError;
use crate::enums::HangupReason;
use crate::event_types::StasisStart;
use crate::events::{EventStream, EventsError, EventsHandle, StreamItem};
use crate::flows::{Incoming, IncomingCalls, UNDO_TIMEOUT};
use crate::outbound::{Connection, Listener};
use crate::{ChannelHandle, Client, Event};

/// The tracing target of the runner's own log lines.
const TARGET: &str = "ari_sdk::app";

/// What a handler may return: `()` or `Result<(), E>` for any error `E` that converts into a [`BoxError`].
pub trait HandlerResult: Send + 'static {
    /// The outcome as a `Result`.
    fn into_result(self) -> Result<(), BoxError>;
}

impl HandlerResult for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError> + Send + 'static> HandlerResult for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// What the runner does with the channel when its handler returns an error or panics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnError {
    /// Hang the channel up (the default): a failed handler leaves no caller waiting in silence.
    #[default]
    HangUp,
    /// Leave the channel as it is (it stays in the application until it hangs up or is moved).
    Leave,
}

/// Triggers a graceful shutdown of an [`App`]; from [`App::shutdown_handle`]. Cheap to clone.
#[derive(Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("triggered", &self.is_triggered())
            .finish()
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            tx: Arc::new(watch::channel(false).0),
        }
    }
}

impl Shutdown {
    /// Starts the shutdown: no new call is taken, running ones get until the deadline.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Whether [`trigger`](Self::trigger) was called.
    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once the shutdown is triggered.
    pub async fn triggered(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`: `wait_for` cannot fail while we hold it.
        let _ = rx.wait_for(|triggered| *triggered).await;
    }
}

/// Why [`App::serve`] stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stopped {
    /// A shutdown was triggered (or the `serve_until` future resolved).
    #[default]
    Shutdown,
    /// A server's event connection ended for good (closed, or it gave up reconnecting); the others were drained
    /// like at a shutdown.
    ConnectionClosed {
        /// The server's base URL.
        server: String,
        /// The last error the connection reported, if any.
        error: Option<String>,
    },
}

/// What an [`App`] did, returned by [`App::serve`] when it stops.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// Calls whose handler was started.
    pub calls: u64,
    /// Handlers that returned `Ok`.
    pub succeeded: u64,
    /// Handlers that returned an error.
    pub failed: u64,
    /// Handlers that panicked.
    pub panicked: u64,
    /// Handlers cancelled because they still ran [`App::linger`] after their channel left the application, or
    /// after the shutdown deadline.
    pub cancelled: u64,
    /// Calls refused (hung up, cause `congestion`): beyond [`App::max_calls`], or arriving during the shutdown.
    pub rejected: u64,
    /// Channels still in a handler at the shutdown deadline, hung up by the runner.
    pub hung_up_at_shutdown: u64,
    /// Broadcast channels this runner claimed ([`App::claim_broadcasts`]).
    pub claimed: u64,
    /// Broadcast channels another application claimed first (409).
    pub claims_lost: u64,
    /// Why serving stopped.
    pub stopped: Stopped,
    /// From the start of the shutdown to the last handler's end.
    pub drain_time: Duration,
}

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    cancelled: AtomicU64,
    rejected: AtomicU64,
    hung_up_at_shutdown: AtomicU64,
    claimed: AtomicU64,
    claims_lost: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A call handed to an [`App`]'s handler: the channel that entered the application, its own event stream, the
/// Stasis arguments and the client of the server it is on.
#[non_exhaustive]
pub struct Call {
    /// The channel (its handle talks to the server the call is on).
    pub channel: ChannelHandle,
    /// The channel's `StasisStart`.
    pub start: StasisStart,
    /// The arguments given to `Stasis(app,args…)` (or to the originate's `appArgs`).
    pub args: Vec<String>,
    /// The channel's events, right after its `StasisStart`; ends by itself at `StasisEnd` or `ChannelDestroyed`.
    pub events: EventStream<Event>,
    /// The client of the server this call is on.
    pub client: Client,
    pub(crate) context: CallContext,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("channel", &self.channel.id())
            .field("args", &self.args)
            .field("server", &self.client.base_url())
            .finish_non_exhaustive()
    }
}

impl Call {
    /// Makes a call from a channel taken some other way (for example from
    /// [`Client::incoming_calls`](crate::Client::incoming_calls)), for the helpers; `app` is the application it is
    /// in (dialed legs are created there).
    pub fn from_incoming(client: Client, app: impl Into<String>, incoming: Incoming) -> Call {
        let Incoming {
            channel,
            start,
            events,
            ..
        } = incoming;
        Call {
            channel,
            args: start.args.clone(),
            start,
            events,
            client,
            context: CallContext {
                app: app.into(),
                own: OwnChannels::default(),
            },
        }
    }

    /// The channel's id.
    pub fn id(&self) -> &str {
        self.channel.id()
    }

    /// The application the call is in.
    pub fn app(&self) -> &str {
        &self.context.app
    }
}

/// What the helpers of a [`Call`] need from its runner.
#[derive(Clone)]
pub(crate) struct CallContext {
    pub(crate) app: String,
    /// Channels the helpers create in the application (dialed legs): not incoming calls.
    pub(crate) own: OwnChannels,
}

/// Ids of channels a server's helpers created themselves, so the runner does not take them for incoming calls.
#[derive(Clone, Default)]
pub(crate) struct OwnChannels(Arc<Mutex<HashSet<String>>>);

impl OwnChannels {
    pub(crate) fn insert(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned());
    }

    pub(crate) fn remove(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
    }
}

type Handler =
    Arc<dyn Fn(Call) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>> + Send + Sync>;

/// Serves a Stasis application: one task per call (see the [module docs](super)).
///
/// ```no_run
/// # async fn demo(client: ari_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use ari_sdk::app::App;
///
/// let app = App::new(client, "my-app").max_calls(1000).shutdown_deadline(Duration::from_secs(30));
/// let shutdown = app.shutdown_handle();
/// tokio::spawn(async move {
///     let _ = tokio::signal::ctrl_c().await;
///     shutdown.trigger();
/// });
/// let report = app
///     .serve(|call| async move {
///         call.channel.answer().await?;
///         call.channel.play_and_wait(["sound:hello-world"], Duration::from_secs(10)).await?;
///         call.channel.hangup().await?;
///         Ok::<_, ari_sdk::app::BoxError>(())
///     })
///     .await?;
/// println!("{report:?}");
/// # Ok(()) }
/// ```
#[must_use = "an App does nothing until served"]
pub struct App {
    name: String,
    servers: Vec<Client>,
    listeners: Vec<Listener>,
    max_calls: usize,
    on_error: OnError,
    linger: Duration,
    shutdown_deadline: Duration,
    claim: bool,
    shutdown: Shutdown,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("name", &self.name)
            .field(
                "servers",
                &self
                    .servers
                    .iter()
                    .map(Client::base_url)
                    .collect::<Vec<_>>(),
            )
            .field(
                "listeners",
                &self
                    .listeners
                    .iter()
                    .map(Listener::local_addr)
                    .collect::<Vec<_>>(),
            )
            .field("max_calls", &self.max_calls)
            .field("on_error", &self.on_error)
            .field("linger", &self.linger)
            .field("shutdown_deadline", &self.shutdown_deadline)
            .field("claim", &self.claim)
            .finish()
    }
}

impl App {
    /// An application named `name` on the server `client` talks to.
    ///
    /// The runner uses the client's event connection when one is open (it must carry `name`), else it connects
    /// one for `name` when served, and closes it when done.
    pub fn new(client: Client, name: impl Into<String>) -> App {
        App {
            servers: vec![client],
            ..App::outbound_only(name.into())
        }
    }

    /// An application served on the outbound WebSocket connections Asterisk opens to `listener` (see
    /// [`outbound`](crate::outbound)); `name` is the application configured in Asterisk's `outbound_websocket`
    /// section.
    ///
    /// Both connection types are served: a `persistent` connection carries many calls, each in its own task as
    /// on an inbound connection; a `per_call_config` connection carries one call (its application is
    /// `<name>:<channel name>`), and Asterisk closes it after the call. Each call's handles talk over the
    /// connection it arrived on. More listeners or inbound servers: [`listener`](Self::listener),
    /// [`server`](Self::server).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use ari_sdk::app::{App, BoxError};
    /// use ari_sdk::outbound::Listener;
    ///
    /// let listener = Listener::builder("127.0.0.1:8765").basic_auth("asterisk", "secret").bind().await?;
    /// let report = App::outbound(listener, "per-call-app")
    ///     .serve(|call| async move {
    ///         call.channel.answer().await?;
    ///         call.channel.hangup().await?;
    ///         Ok::<_, BoxError>(())
    ///     })
    ///     .await?;
    /// println!("served {} calls", report.calls);
    /// # Ok(()) }
    /// ```
    pub fn outbound(listener: Listener, name: impl Into<String>) -> App {
        App::outbound_only(name.into()).listener(listener)
    }

    /// Serves the outbound WebSocket connections Asterisk opens to `listener` as well (see
    /// [`outbound`](Self::outbound)).
    pub fn listener(mut self, listener: Listener) -> Self {
        // From now on, connections subscribe the runner's streams before their first event.
        listener.prepare_calls();
        self.listeners.push(listener);
        self
    }

    fn outbound_only(name: String) -> App {
        App {
            name,
            servers: Vec::new(),
            listeners: Vec::new(),
            max_calls: 1000,
            on_error: OnError::default(),
            linger: Duration::from_secs(5),
            shutdown_deadline: Duration::from_secs(30),
            claim: false,
            shutdown: Shutdown::default(),
        }
    }

    /// Serves the application on one more Asterisk as well; its calls' handles talk to that server.
    pub fn server(mut self, client: Client) -> Self {
        self.servers.push(client);
        self
    }

    setters! {
        /// At most `n` handlers at once, over every server (default 1000); a call beyond that is hung up with cause
        /// `congestion`. `0` is taken as 1.
        max_calls(n: usize) => max_calls = n.max(1);

        /// What to do with the channel when a handler fails or panics (default [`OnError::HangUp`]).
        on_error(policy: OnError) => on_error = policy;

        /// How long a handler may keep running after its channel left the application before it is cancelled
        /// (default 5 s): time to clean up what it created.
        linger(linger: Duration) => linger = linger;

        /// How long a shutdown waits for running handlers before it hangs up their channels (default 30 s).
        shutdown_deadline(deadline: Duration) => shutdown_deadline = deadline;

        /// Claim the channels `StasisBroadcast` offers to this application (`CallBroadcast` → `POST /events/claim`);
        /// the first claim wins, so several instances of the application can share one Asterisk's calls. Asterisk
        /// 20.20.1, 22.10.1 and 23.4.1 have it (21.12.3 and older do not: nothing is offered there).
        claim_broadcasts(claim: bool) => claim = claim;
    }

    /// A handle that starts a graceful shutdown of this application once it is served.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Serves calls with `handler` until a shutdown is triggered ([`shutdown_handle`](Self::shutdown_handle)) or
    /// an event connection ends for good; then drains (see the [module docs](super)) and reports.
    ///
    /// # Errors
    ///
    /// [`EventsError`] when a server's event connection cannot be made (nothing was served then).
    pub async fn serve<H, Fut>(self, handler: H) -> Result<Report, EventsError>
    where
        H: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerResult,
    {
        self.serve_until(handler, std::future::pending::<()>())
            .await
    }

    /// [`serve`](Self::serve), with a shutdown when `signal` resolves as well (for example
    /// `tokio::signal::ctrl_c()`).
    ///
    /// # Errors
    ///
    /// As [`serve`](Self::serve).
    pub async fn serve_until<H, Fut, S>(
        mut self,
        handler: H,
        signal: S,
    ) -> Result<Report, EventsError>
    where
        H: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerResult,
        S: Future + Send,
    {
        let mut servers = Vec::with_capacity(self.servers.len());
        for client in &self.servers {
            let mut server = ServerConn::open(client.clone(), &self.name).await?;
            // Right after connecting, not in the dispatcher's task: the application is registered now, and a
            // call originated by someone who saw it must find the subscriptions in place.
            server.prepared = Some(subscribe(&server.client, &server.handle, self.claim)?);
            servers.push(server);
        }
        let listeners = std::mem::take(&mut self.listeners);
        let shared = self.shared(handler);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut dispatchers = tokio::task::JoinSet::new();
        for server in servers {
            dispatchers.spawn(dispatch(
                Arc::clone(&shared),
                server,
                self.claim,
                stop_rx.clone(),
            ));
        }
        for listener in listeners {
            dispatchers.spawn(serve_listener(
                Arc::clone(&shared),
                listener,
                stop_rx.clone(),
            ));
        }
        let stopped = tokio::select! {
            _ = signal => Stopped::Shutdown,
            () = self.shutdown.triggered() => Stopped::Shutdown,
            Some(ended) = dispatchers.join_next() => match ended {
                Ok(stopped) => stopped,
                Err(e) => Stopped::ConnectionClosed { server: String::new(), error: Some(e.to_string()) },
            },
        };
        let report = drain(&shared, self.shutdown_deadline, stopped).await;
        stop_tx.send_replace(true);
        while dispatchers.join_next().await.is_some() {}
        Ok(report)
    }

    fn shared<H, Fut>(&self, handler: H) -> Arc<Shared>
    where
        H: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerResult,
    {
        let handler: Handler = Arc::new(move |call| {
            let fut = handler(call);
            Box::pin(async move { fut.await.into_result() })
        });
        Arc::new(Shared {
            name: self.name.clone(),
            handler,
            max_calls: self.max_calls,
            on_error: self.on_error,
            linger: self.linger,
            shutdown: self.shutdown.clone(),
            counters: Counters::default(),
            active: watch::channel(0).0,
            live: Mutex::new(HashMap::new()),
            next_call: AtomicU64::new(0),
        })
    }
}

/// Counts a call in, or refuses it (shutdown, `max_calls`: hung up with cause `congestion`); `app` is the
/// application the call is in.
fn admit(
    shared: &Arc<Shared>,
    client: &Client,
    app: String,
    own: OwnChannels,
    incoming: Incoming,
) -> Option<(u64, Call, tracing::Span)> {
    let id = incoming.channel.id().to_owned();
    let refuse = if shared.shutdown.is_triggered() {
        Some("shutting down")
    } else if *shared.active.borrow() >= shared.max_calls {
        Some("max_calls reached")
    } else {
        None
    };
    if let Some(why) = refuse {
        bump(&shared.counters.rejected);
        tracing::warn!(target: TARGET, channel = %id, why, "call refused");
        let channel = incoming.channel;
        tokio::spawn(async move {
            let hangup = channel.hangup().reason(HangupReason::Congestion).send();
            let _ = tokio::time::timeout(UNDO_TIMEOUT, hangup).await;
        });
        return None;
    }
    shared.active.send_modify(|n| *n += 1);
    bump(&shared.counters.calls);
    let number = shared.next_call.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!(
        target: TARGET,
        "call",
        app = %app,
        channel = %id,
        server = %client.base_url()
    );
    let mut call = Call::from_incoming(client.clone(), app, incoming);
    call.context.own = own;
    Some((number, call, span))
}

/// The shutdown: no new calls, running ones until `deadline`, then hang up the rest; the report.
async fn drain(shared: &Arc<Shared>, deadline: Duration, stopped: Stopped) -> Report {
    shared.shutdown.trigger();
    let drain_started = Instant::now();
    tracing::info!(target: TARGET, app = %shared.name, reason = ?stopped, "shutting down");
    let mut active = shared.active.subscribe();
    let drained = tokio::time::timeout(deadline, active.wait_for(|n| *n == 0))
        .await
        .is_ok();
    if !drained {
        hang_up_the_rest(shared).await;
        let left = tokio::time::timeout(UNDO_TIMEOUT, active.wait_for(|n| *n == 0))
            .await
            .is_ok();
        if !left {
            for call in shared.live_calls() {
                call.abort.abort();
            }
            let _ = tokio::time::timeout(UNDO_TIMEOUT, active.wait_for(|n| *n == 0)).await;
        }
    }
    let drain_time = drain_started.elapsed();
    let c = &shared.counters;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    Report {
        calls: load(&c.calls),
        succeeded: load(&c.succeeded),
        failed: load(&c.failed),
        panicked: load(&c.panicked),
        cancelled: load(&c.cancelled),
        rejected: load(&c.rejected),
        hung_up_at_shutdown: load(&c.hung_up_at_shutdown),
        claimed: load(&c.claimed),
        claims_lost: load(&c.claims_lost),
        stopped,
        drain_time,
    }
}

/// Hangs up every channel still in a handler, concurrently, each bounded by [`UNDO_TIMEOUT`].
async fn hang_up_the_rest(shared: &Shared) {
    let calls = shared.live_calls();
    let hangups = calls.into_iter().map(|call| async move {
        tracing::warn!(target: TARGET, channel = %call.channel.id(), "shutdown deadline passed: hanging up");
        bump(&shared.counters.hung_up_at_shutdown);
        let _ = tokio::time::timeout(UNDO_TIMEOUT, call.channel.hangup().send()).await;
    });
    futures::future::join_all(hangups).await;
}

struct Shared {
    name: String,
    handler: Handler,
    max_calls: usize,
    on_error: OnError,
    linger: Duration,
    shutdown: Shutdown,
    counters: Counters,
    /// Handlers running now.
    active: watch::Sender<usize>,
    live: Mutex<HashMap<u64, LiveCall>>,
    next_call: AtomicU64,
}

#[derive(Clone)]
struct LiveCall {
    channel: ChannelHandle,
    abort: tokio::task::AbortHandle,
}

impl Shared {
    fn live_calls(&self) -> Vec<LiveCall> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
}

/// Takes the connections of an outbound listener until `stop`, each served like a server of its own; returns
/// why it stopped (the listener's end stops the application).
async fn serve_listener(
    shared: Arc<Shared>,
    mut listener: Listener,
    mut stop: watch::Receiver<bool>,
) -> Stopped {
    let address = listener.local_addr();
    let each = stop.clone();
    let mut connections = tokio::task::JoinSet::new();
    let stopped = loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break Stopped::Shutdown,
            accepted = listener.accept() => match accepted {
                Some(connection) => {
                    connections.spawn(dispatch(
                        Arc::clone(&shared),
                        ServerConn::outbound(connection),
                        false,
                        each.clone(),
                    ));
                }
                None => break Stopped::ConnectionClosed {
                    server: format!("outbound listener {address}"),
                    error: Some("the listener stopped accepting".to_owned()),
                },
            },
            // A connection's end (a per-call connection after its call) is no reason to stop.
            Some(_) = connections.join_next() => {}
        }
    };
    // Each connection's dispatcher stops with `stop` (after the drain) or when Asterisk closes it.
    while connections.join_next().await.is_some() {}
    stopped
}

/// One server: its client and its event connection.
struct ServerConn {
    client: Client,
    handle: EventsHandle<Event>,
    /// Whether the runner opened the connection itself (and closes it at the end).
    owned: bool,
    /// Subscriptions made before the connection's first event (outbound connections).
    prepared: Option<Subscriptions>,
    /// An outbound connection: when it ends, its calls have left (their handles talked over it).
    outbound: bool,
}

impl ServerConn {
    /// The client's open event connection, or a new one for `name`.
    async fn open(client: Client, name: &str) -> Result<ServerConn, EventsError> {
        match client.event_connection() {
            Ok(handle) => Ok(ServerConn {
                client,
                handle,
                owned: false,
                prepared: None,
                outbound: false,
            }),
            Err(EventsError::NoConnection) => {
                let stream = client.events().app(name).connect().await?;
                let handle = stream.handle().clone();
                Ok(ServerConn {
                    client,
                    handle,
                    owned: true,
                    prepared: None,
                    outbound: false,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// A connection accepted by an outbound listener (Asterisk closes it; the runner does not).
    fn outbound(mut connection: Connection) -> ServerConn {
        let prepared = connection.take_prepared().map(|p| Subscriptions {
            ends: p.ends,
            incoming: p.incoming,
            broadcasts: None,
        });
        // The stream of all events is not needed: the client and the handle keep the connection.
        let (client, events) = connection.into_parts();
        let handle = events.handle().clone();
        ServerConn {
            client,
            handle,
            owned: false,
            prepared,
            outbound: true,
        }
    }
}

/// The subscriptions of one server, taken in this order: the ends before the calls, so a call's `StasisEnd` is
/// never read before its `StasisStart`.
struct Subscriptions {
    ends: EventStream<Event>,
    incoming: IncomingCalls,
    broadcasts: Option<EventStream<Event>>,
}

fn subscribe(
    client: &Client,
    handle: &EventsHandle<Event>,
    claim: bool,
) -> Result<Subscriptions, EventsError> {
    let ends = handle.subscribe_matching(|event| matches!(event, Event::StasisEnd(_)));
    let incoming = client.incoming_calls()?;
    let broadcasts =
        claim.then(|| handle.subscribe_matching(|event| matches!(event, Event::CallBroadcast(_))));
    Ok(Subscriptions {
        ends,
        incoming,
        broadcasts,
    })
}

/// Takes one server's calls until `stop`; returns why it stopped on its own.
async fn dispatch(
    shared: Arc<Shared>,
    server: ServerConn,
    claim: bool,
    mut stop: watch::Receiver<bool>,
) -> Stopped {
    let ServerConn {
        client,
        handle,
        owned,
        prepared,
        outbound,
    } = server;
    let subs = match prepared {
        Some(subs) => Ok(subs),
        None => subscribe(&client, &handle, claim),
    };
    let stopped = match subs {
        Ok(subs) => {
            Dispatcher {
                shared,
                client: client.clone(),
                own: OwnChannels::default(),
                left: HashMap::new(),
                done: mpsc::unbounded_channel(),
                outbound,
            }
            .run(subs, &mut stop)
            .await
        }
        Err(e) => Stopped::ConnectionClosed {
            server: client.base_url().to_owned(),
            error: Some(e.to_string()),
        },
    };
    if owned {
        handle.close();
    }
    stopped
}

/// A finished call: its channel id and call number.
type Finished = (String, u64);

struct Dispatcher {
    shared: Arc<Shared>,
    client: Client,
    own: OwnChannels,
    /// Running calls of this server: channel id → (call number, "the channel left" signal).
    left: HashMap<String, (u64, oneshot::Sender<()>)>,
    /// Finished calls (channel id, call number), reported by their supervisors.
    done: (
        mpsc::UnboundedSender<Finished>,
        mpsc::UnboundedReceiver<Finished>,
    ),
    /// An outbound connection: its end is expected (per-call) and means its calls have left.
    outbound: bool,
}

impl Dispatcher {
    async fn run(mut self, mut subs: Subscriptions, stop: &mut watch::Receiver<bool>) -> Stopped {
        let base = self.client.base_url().to_owned();
        let mut last_error: Option<String> = None;
        let mut ends_open = true;
        loop {
            let broadcast = async {
                match subs.broadcasts.as_mut() {
                    Some(stream) => stream.next().await,
                    None => std::future::pending().await,
                }
            };
            let end = async {
                if ends_open {
                    subs.ends.next().await
                } else {
                    std::future::pending().await
                }
            };
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return Stopped::Shutdown,
                item = subs.incoming.next() => match item {
                    None => {
                        let stopped = Stopped::ConnectionClosed { server: base, error: last_error };
                        if self.outbound {
                            // Its calls' handles talked over it: they have left (their linger starts).
                            tracing::debug!(target: TARGET, reason = ?stopped, "outbound connection ended");
                            for (_, (_, left)) in self.left.drain() {
                                let _ = left.send(());
                            }
                        } else {
                            // Let the other servers' calls and this one's drain; the caller stops us.
                            tracing::warn!(target: TARGET, reason = ?stopped, "event connection ended");
                        }
                        return stopped;
                    }
                    Some(Err(e)) => {
                        tracing::warn!(target: TARGET, server = %base, error = %e, "event stream error");
                        last_error = Some(e.to_string());
                    }
                    Some(Ok(StreamItem::Event(incoming))) => self.take(incoming),
                    Some(Ok(loss)) => {
                        tracing::warn!(target: TARGET, server = %base, loss = ?loss, "incoming calls may have been missed");
                    }
                },
                Some((id, call)) = self.done.1.recv() => {
                    if self.left.get(&id).is_some_and(|(n, _)| *n == call) {
                        self.left.remove(&id);
                    }
                }
                item = end => match item {
                    None => ends_open = false,
                    Some(Ok(StreamItem::Event(Event::StasisEnd(end)))) => {
                        if let Some((_, left)) = self.left.remove(&end.channel.id) {
                            let _ = left.send(());
                        }
                    }
                    Some(_) => {}
                },
                item = broadcast => match item {
                    None => subs.broadcasts = None,
                    Some(Ok(StreamItem::Event(Event::CallBroadcast(offer)))) => self.claim(offer.channel.id),
                    Some(_) => {}
                },
            }
        }
    }

    fn claim(&self, channel: String) {
        let client = self.client.clone();
        let shared = Arc::clone(&self.shared);
        if shared.shutdown.is_triggered() {
            return;
        }
        tokio::spawn(async move {
            let claim = client
                .events_api()
                .claim_channel(&channel, &shared.name)
                .send();
            match tokio::time::timeout(UNDO_TIMEOUT, claim).await {
                Ok(Ok(())) => bump(&shared.counters.claimed),
                Ok(Err(e)) if e.is_conflict() || e.is_not_found() => {
                    bump(&shared.counters.claims_lost)
                }
                Ok(Err(e)) => {
                    tracing::warn!(target: TARGET, channel = %channel, error = %e, "claiming a broadcast channel failed");
                }
                Err(_) => {
                    tracing::warn!(target: TARGET, channel = %channel, "claiming a broadcast channel timed out");
                }
            }
        });
    }

    fn take(&mut self, incoming: Incoming) {
        let id = incoming.channel.id().to_owned();
        if self.own.remove(&id) {
            // A leg a helper created (a dial): its helper follows it.
            return;
        }
        let shared = &self.shared;
        let app = incoming.start.application.clone();
        let Some((number, call, span)) =
            admit(shared, &self.client, app, self.own.clone(), incoming)
        else {
            return;
        };
        let (left_tx, left_rx) = oneshot::channel();
        self.left.insert(id.clone(), (number, left_tx));
        let done = self.done.0.clone();
        tokio::spawn(supervise(
            Arc::clone(shared),
            number,
            call,
            left_rx,
            span,
            done,
        ));
    }
}

/// Runs one call's handler in its own task and deals with how it ends.
async fn supervise(
    shared: Arc<Shared>,
    number: u64,
    call: Call,
    left: oneshot::Receiver<()>,
    span: tracing::Span,
    done: mpsc::UnboundedSender<Finished>,
) {
    let channel = call.channel.clone();
    let id = channel.id().to_owned();
    let mut task = tokio::spawn((shared.handler)(call).instrument(span.clone()));
    shared
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(
            number,
            LiveCall {
                channel: channel.clone(),
                abort: task.abort_handle(),
            },
        );
    let left = async {
        if left.await.is_err() {
            // The dispatcher is gone without a word about this channel: never "left".
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        result = &mut task => result,
        () = left => match tokio::time::timeout(shared.linger, &mut task).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(target: TARGET, parent: &span, channel = %id, linger = ?shared.linger,
                    "the channel left the application; cancelling its handler");
                task.abort();
                task.await
            }
        },
    };
    let failure = match result {
        Ok(Ok(())) => {
            bump(&shared.counters.succeeded);
            None
        }
        Ok(Err(error)) => {
            bump(&shared.counters.failed);
            tracing::error!(target: TARGET, parent: &span, channel = %id, error = %error, "call handler failed");
            Some(())
        }
        Err(e) if e.is_panic() => {
            bump(&shared.counters.panicked);
            let message = panic_message(e.into_panic());
            tracing::error!(target: TARGET, parent: &span, channel = %id, panic = %message, "call handler panicked");
            Some(())
        }
        Err(_) => {
            bump(&shared.counters.cancelled);
            None
        }
    };
    if failure.is_some() && shared.on_error == OnError::HangUp {
        match tokio::time::timeout(UNDO_TIMEOUT, channel.hangup().send()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.is_not_found() => {}
            Ok(Err(e)) => {
                tracing::warn!(target: TARGET, parent: &span, channel = %id, error = %e, "hanging up after the failure failed");
            }
            Err(_) => {
                tracing::warn!(target: TARGET, parent: &span, channel = %id, "hanging up after the failure timed out");
            }
        }
    }
    shared
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&number);
    let _ = done.send((id, number));
    shared.active.send_modify(|n| *n = n.saturating_sub(1));
}

/// The text of a panic payload (`&str` or `String`; anything else is named as such).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_owned(),
            Err(_) => "a panic with a non-string payload".to_owned(),
        },
    }
}
