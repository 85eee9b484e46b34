//! The public face of the event stream: items, gaps, state, streams, handles and waiters.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures::stream::{FusedStream, Stream};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Sleep};

use super::error::EventsError;
use super::hub::{Filter, Hub, SpawnFn, Spawned, SpawnedList, SubKey};
use super::payload::{EventPayload, ObjectKind};
use super::queue::Queue;
use super::resync::{EndedInGap, Resync};
use crate::Event;

/// One item of an event stream.
///
/// Besides events, a stream says explicitly when events may be missing: [`StreamItem::Gap`] after the connection
/// was lost and re-established, [`StreamItem::Lagged`] when this subscriber fell behind and its oldest buffered
/// events were dropped. Nothing is ever dropped without one of these.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamItem<E = Event> {
    /// An event, in the order the server sent it.
    Event(E),
    /// The connection was lost and is back: events the server sent in between are missing. Resynchronise state
    /// you depend on (for example list the channels of your application) before relying on it.
    Gap(Gap),
    /// This subscriber did not keep up: its `missed` oldest buffered events were dropped, right here.
    Lagged {
        /// How many events (or error items) were dropped.
        missed: u64,
    },
    /// What the resync after the last [`Gap`](StreamItem::Gap) found (streams of all events and of matching
    /// events; see [`Resync`]): the per-object streams it ended and the channels and bridges that appeared in the
    /// applications while the socket was down. Comes after the gap, once the state has been read (events
    /// received since the reconnect may come first). Connections made by
    /// [`Client::events`](crate::Client::events) resync unless [`EventsBuilder::resync`](super::EventsBuilder::resync)
    /// turned it off.
    Resync(Resync),
    /// The last item of a per-object stream whose object ended while the socket was down, found by the resync
    /// after the gap: its end event was never received, and the stream ends after this.
    EndedInGap(EndedInGap),
}

/// `timeout` from now, or a point decades away when that cannot be represented (`Duration::MAX` means "no
/// limit"; `Instant::now() + timeout` would panic).
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    let now = Instant::now();
    now.checked_add(timeout).unwrap_or_else(|| now + FAR)
}

impl<E> StreamItem<E> {
    /// The event, if this is one.
    pub fn as_event(&self) -> Option<&E> {
        match self {
            StreamItem::Event(e) => Some(e),
            _ => None,
        }
    }

    /// The event, if this is one.
    pub fn into_event(self) -> Option<E> {
        match self {
            StreamItem::Event(e) => Some(e),
            _ => None,
        }
    }

    /// Whether events may be missing at this point (a gap or lag), or were (a resync's findings, an object
    /// ended while the socket was down): anything but an event.
    pub fn is_loss(&self) -> bool {
        !matches!(self, StreamItem::Event(_))
    }
}

/// A period in which events could not be received: from losing a connection to having a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    start: Instant,
    end: Instant,
    lost_at: SystemTime,
    outages: u32,
}

impl Gap {
    pub(crate) fn new(start: Instant, lost_at: SystemTime, end: Instant) -> Self {
        Gap {
            start,
            end: end.max(start),
            lost_at,
            outages: 1,
        }
    }

    /// `self` came before `later`: one gap spanning both.
    pub(crate) fn merge(self, later: Gap) -> Gap {
        Gap {
            start: self.start.min(later.start),
            end: self.end.max(later.end),
            lost_at: self.lost_at.min(later.lost_at),
            outages: self.outages.saturating_add(later.outages),
        }
    }

    /// How long events could not be received (monotonic clock).
    pub fn duration(&self) -> Duration {
        self.end.saturating_duration_since(self.start)
    }

    /// Wall-clock time when the connection was lost (or when this subscriber subscribed, if that was later).
    pub fn lost_at(&self) -> SystemTime {
        self.lost_at
    }

    /// Wall-clock time when the new connection was established.
    pub fn reconnected_at(&self) -> SystemTime {
        self.lost_at + self.duration()
    }

    /// How many connection losses this gap covers: 1, or more when a subscriber that fell behind had the events
    /// between several outages dropped, which merges them into one gap.
    pub fn outages(&self) -> u32 {
        self.outages
    }
}

/// The state of the shared events connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConnectionState {
    /// The first connection is being made ([`EventsBuilder::start`](super::EventsBuilder::start) only:
    /// [`connect`](super::EventsBuilder::connect) returns once connected).
    Connecting {
        /// The attempt being made (1-based).
        attempt: u32,
        /// Why the previous attempt failed, from the second attempt on.
        last_error: Option<EventsError>,
    },
    /// Connected: events flow.
    Connected,
    /// The connection was lost; reconnecting.
    Reconnecting {
        /// The attempt about to be made (1-based).
        attempt: u32,
        /// Why the connection was lost (attempt 1) or why the previous attempt failed.
        last_error: EventsError,
    },
    /// Closed for good: every stream ends.
    Closed {
        /// `None` when closed on request (or when every handle was dropped); otherwise why it ended.
        error: Option<EventsError>,
    },
}

impl ConnectionState {
    /// Whether events currently flow.
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectionState::Connected)
    }

    /// Whether the connection is over for good.
    pub fn is_closed(&self) -> bool {
        matches!(self, ConnectionState::Closed { .. })
    }
}

/// One value saying how a connection is doing, for readiness probes and dashboards: see
/// [`EventsHandle::health`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Health {
    /// The connection state right now; [`Health::is_connected`] says whether events flow.
    pub state: ConnectionState,
    /// The applications this connection registers with Asterisk (while connected, Asterisk has them).
    pub apps: Vec<String>,
    /// How long ago the last message of any kind (event, pong, ...) arrived; `None` before the first.
    pub since_last_message: Option<Duration>,
    /// How long ago the last pong (the answer to this connection's pings) arrived; `None` before the first.
    pub since_last_pong: Option<Duration>,
    /// How many times a lost connection was re-established.
    pub reconnects: u64,
    /// Every open subscription: its buffer and how many items it lost by falling behind.
    pub subscribers: Vec<SubscriberHealth>,
}

/// One subscription in a [`Health`] report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriberHealth {
    /// A number identifying the subscription within its connection.
    pub id: u64,
    /// What it follows: `all`, `matching` (a filter), or an object (`channel <id>`, `bridge <id>`, ...).
    pub filter: String,
    /// Items waiting in its buffer.
    pub queued: usize,
    /// Items dropped because it fell behind, in all (each drop was reported as [`StreamItem::Lagged`]).
    pub dropped: u64,
}

impl Health {
    pub(crate) fn new(
        state: ConnectionState,
        apps: Vec<String>,
        last_message: Option<Instant>,
        last_pong: Option<Instant>,
        reconnects: u64,
        subscribers: Vec<SubscriberHealth>,
    ) -> Self {
        Health {
            state,
            apps,
            since_last_message: last_message.map(|t| t.elapsed()),
            since_last_pong: last_pong.map(|t| t.elapsed()),
            reconnects,
            subscribers,
        }
    }

    /// Whether events flow right now.
    pub fn is_connected(&self) -> bool {
        self.state.is_connected()
    }

    /// The events dropped over every subscriber (the sum of their `dropped`).
    pub fn dropped_total(&self) -> u64 {
        self.subscribers.iter().map(|s| s.dropped).sum()
    }
}

pub(crate) enum Command {
    Close,
}

/// Keeps the connection task alive: the task ends when every `Guard` is gone.
pub(crate) struct Guard {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    /// REST requests to send on the connection (REST over WebSocket).
    pub(crate) rest: super::rest::RestSender,
}

/// A cheap, cloneable handle to one events connection: makes subscriptions, observes the state, closes it.
///
/// The connection task runs while any handle or stream of it exists; when the last one is dropped it sends a
/// close frame and ends.
pub struct EventsHandle<E: EventPayload = Event> {
    pub(crate) hub: Arc<Hub<E>>,
    pub(crate) guard: Arc<Guard>,
    pub(crate) state: watch::Receiver<ConnectionState>,
}

impl<E: EventPayload> Clone for EventsHandle<E> {
    fn clone(&self) -> Self {
        EventsHandle {
            hub: Arc::clone(&self.hub),
            guard: Arc::clone(&self.guard),
            state: self.state.clone(),
        }
    }
}

impl<E: EventPayload> fmt::Debug for EventsHandle<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsHandle")
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl<E: EventPayload> EventsHandle<E> {
    fn stream(&self, filter: Filter<E>) -> EventStream<E> {
        let object = match &filter {
            Filter::Object(kind, id) => Some((*kind, id.to_string())),
            _ => None,
        };
        let (key, queue) = self.hub.subscribe(filter);
        EventStream {
            key: Some(key),
            queue,
            handle: self.clone(),
            terminated: false,
            object,
        }
    }

    /// A stream of the events `spawn` picks; for each, the hub registers a per-object subscription at once
    /// and appends it to `list` (see [`Filter::Spawning`]).
    pub(crate) fn spawning(&self, spawn: SpawnFn<E>, list: SpawnedList<E>) -> EventStream<E> {
        self.stream(Filter::Spawning(spawn, list))
    }

    /// A new stream of every event, from now on.
    pub fn subscribe(&self) -> EventStream<E> {
        self.stream(Filter::All)
    }

    /// A new stream of the events for which `filter` returns true, from now on. The filter runs on the connection
    /// task, so only matching events take buffer space; keep it cheap. It runs without any lock of the connection
    /// held, so it may use the connection (count subscriptions, own one of its streams). A filter that panics ends its own stream
    /// with [`EventsError::FilterPanicked`]. Gaps and decode errors are delivered too.
    pub fn subscribe_matching<F>(&self, filter: F) -> EventStream<E>
    where
        F: Fn(&E) -> bool + Send + Sync + 'static,
    {
        self.stream(Filter::Matching(Box::new(filter)))
    }

    /// A stream of the events that concern one object: those carrying a `kind` object whose id is exactly `id`.
    ///
    /// Registered before this returns, so it may be taken *before* the request that creates the object is sent
    /// (with a client-chosen id, see [`unique_id`](super::unique_id)) and then sees the object's first events.
    /// Ends by itself right after the event that ends the object (see
    /// [`ends_by_default`](super::ends_by_default)), and when the connection closes. Gaps and decode errors are
    /// delivered too: after a gap the end event itself may have been missed.
    pub fn object(&self, kind: ObjectKind, id: impl Into<String>) -> EventStream<E> {
        self.stream(Filter::Object(kind, id.into().into_boxed_str()))
    }

    /// Events of the channel with this id, until `StasisEnd` or `ChannelDestroyed`.
    pub fn channel(&self, id: impl Into<String>) -> EventStream<E> {
        self.object(ObjectKind::Channel, id)
    }

    /// Events of the bridge with this id, until `BridgeDestroyed`.
    pub fn bridge(&self, id: impl Into<String>) -> EventStream<E> {
        self.object(ObjectKind::Bridge, id)
    }

    /// Events of the playback with this id, until `PlaybackFinished`.
    pub fn playback(&self, id: impl Into<String>) -> EventStream<E> {
        self.object(ObjectKind::Playback, id)
    }

    /// Events of the live recording with this name, until `RecordingFinished` or `RecordingFailed`.
    pub fn recording(&self, name: impl Into<String>) -> EventStream<E> {
        self.object(ObjectKind::Recording, name)
    }

    /// Waits for the next event matching `predicate`, for at most `timeout` from now.
    ///
    /// The subscription is registered when this is called, not when the returned future is first polled: call it,
    /// send the request that causes the event, then await the waiter.
    ///
    /// ```no_run
    /// # async fn demo(events: ari_sdk::events::EventsHandle<ari_sdk::events::RawEvent>) {
    /// use std::time::Duration;
    /// let id = ari_sdk::events::unique_id();
    /// let started = {
    ///     let id = id.clone();
    ///     events.wait_for(
    ///         move |e| e.type_name() == "StasisStart" && e.get("channel").and_then(|c| c.get("id")).and_then(|i| i.as_str()) == Some(id.as_str()),
    ///         Duration::from_secs(5),
    ///     )
    /// };
    /// // ... originate a channel with `channelId = id` here ...
    /// let event = started.await;
    /// # }
    /// ```
    pub fn wait_for<F>(&self, predicate: F, timeout: Duration) -> EventWaiter<E>
    where
        F: Fn(&E) -> bool + Send + Sync + 'static,
    {
        EventWaiter::new(
            self.subscribe_matching(predicate),
            Awaited::new("an event matching the predicate"),
            timeout,
        )
    }

    /// The current connection state.
    pub fn state(&self) -> ConnectionState {
        self.state.borrow().clone()
    }

    /// A receiver that observes every change of the connection state.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Asks the connection task to close: it sends a close frame, the state becomes `Closed { error: None }` and
    /// every stream ends after its buffered items. Returns immediately; see [`EventsHandle::closed`].
    pub fn close(&self) {
        // An error means the task is already gone, which is what was asked.
        let _ = self.guard.commands.send(Command::Close);
    }

    /// Waits until the connection is closed for good, and returns the final state.
    pub async fn closed(&self) -> ConnectionState {
        let mut rx = self.state.clone();
        // An error means the task ended, after publishing its final state.
        let _ = rx.wait_for(ConnectionState::is_closed).await;
        let state = rx.borrow().clone();
        state
    }

    /// How the connection is doing, in one value: connected or not, the applications it registers, how long
    /// since the last message and the last pong, how many reconnects, and per subscriber its buffer and its lag
    /// total. Cheap enough for a readiness probe.
    pub fn health(&self) -> Health {
        self.hub.health(self.state())
    }

    /// How many subscriptions are registered (for diagnostics and leak tests).
    pub fn subscription_count(&self) -> usize {
        self.hub.subscription_count()
    }
}

/// A stream of events from the shared connection: all of them, the matching ones, or one object's.
///
/// Implements [`futures::Stream`] with items `Result<StreamItem<E>, EventsError>`. Errors are
/// [`EventsError::Decode`] for one undecodable message (the stream goes on) or, last, the reason the connection
/// ended (for example [`EventsError::ReconnectGaveUp`]). Then the stream yields `None`. Dropping the stream
/// unregisters it.
pub struct EventStream<E: EventPayload = Event> {
    pub(crate) key: Option<SubKey>,
    pub(crate) queue: Arc<Queue<E>>,
    pub(crate) handle: EventsHandle<E>,
    pub(crate) terminated: bool,
    /// The object a per-object stream follows, named in wait errors.
    pub(crate) object: Option<(ObjectKind, String)>,
}

impl<E: EventPayload> fmt::Debug for EventStream<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("queued", &self.queue.len())
            .field("terminated", &self.terminated)
            .finish_non_exhaustive()
    }
}

impl<E: EventPayload> EventStream<E> {
    /// The handle of the connection this stream belongs to: more subscriptions, state, close.
    pub fn handle(&self) -> &EventsHandle<E> {
        &self.handle
    }

    /// The stream of a per-object subscription the hub registered itself.
    pub(crate) fn from_spawned(handle: &EventsHandle<E>, spawned: Spawned<E>) -> Self {
        EventStream {
            key: Some(spawned.key),
            queue: spawned.queue,
            handle: handle.clone(),
            terminated: false,
            object: Some((spawned.kind, spawned.id.into())),
        }
    }

    /// How many items wait in this stream's buffer (never more than the configured capacity).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The object this stream follows, for a per-object stream ([`EventsHandle::object`]).
    pub fn object(&self) -> Option<(ObjectKind, &str)> {
        self.object.as_ref().map(|(kind, id)| (*kind, id.as_str()))
    }

    /// What a wait on this stream is for: `what`, of this stream's object if it follows one.
    pub(crate) fn awaited(&self, what: impl Into<String>) -> Awaited {
        let awaited = Awaited::new(what);
        match &self.object {
            Some((kind, id)) => awaited.of(*kind, id.clone()),
            None => awaited,
        }
    }

    /// Reads this stream until an event matches `predicate`, for at most `timeout`. Non-matching events are
    /// consumed. A gap or lag is an error ([`WaitError::Gap`], [`WaitError::Lagged`]): the event may have been
    /// among the missing ones. The error names the object this stream follows; for an event kind in it too, use
    /// the typed waits of `EventStream<Event>` ([`next_of`](EventStream::next_of),
    /// [`wait_for_map`](EventStream::wait_for_map)) or [`wait_for_described`](Self::wait_for_described).
    pub async fn wait_for<F>(&mut self, predicate: F, timeout: Duration) -> Result<E, WaitError>
    where
        F: FnMut(&E) -> bool,
    {
        let awaited = self.awaited("an event matching the predicate");
        self.wait_for_described(awaited, predicate, timeout).await
    }

    /// [`wait_for`](Self::wait_for), with errors naming `awaited`.
    pub async fn wait_for_described<F>(
        &mut self,
        awaited: Awaited,
        mut predicate: F,
        timeout: Duration,
    ) -> Result<E, WaitError>
    where
        F: FnMut(&E) -> bool,
    {
        self.wait_for_filter_map(awaited, |event| predicate(&event).then_some(event), timeout)
            .await
    }

    /// Reads this stream until `f` maps an event to `Some`, for at most `timeout`, and returns that value;
    /// events mapped to `None` are consumed. Errors name `awaited`.
    pub async fn wait_for_filter_map<T, F>(
        &mut self,
        awaited: Awaited,
        mut f: F,
        timeout: Duration,
    ) -> Result<T, WaitError>
    where
        F: FnMut(E) -> Option<T>,
    {
        use futures::StreamExt as _;
        let deadline = deadline_after(timeout);
        loop {
            let Ok(item) = tokio::time::timeout_at(deadline, self.next()).await else {
                return Err(WaitError::Timeout { awaited, timeout });
            };
            if let Some(event) = into_wait_result(item, &awaited)? {
                if let Some(value) = f(event) {
                    return Ok(value);
                }
            }
        }
    }
}

/// What one stream item means to a wait: an event (`Some`), nothing to decide on (`None`: a resync report), or
/// the end of the wait.
pub(crate) fn into_wait_result<E>(
    item: Option<Result<StreamItem<E>, EventsError>>,
    awaited: &Awaited,
) -> Result<Option<E>, WaitError> {
    let awaited = || awaited.clone();
    match item {
        Some(Ok(StreamItem::Event(e))) => Ok(Some(e)),
        Some(Ok(StreamItem::Resync(_))) => Ok(None),
        Some(Ok(StreamItem::Gap(gap))) => Err(WaitError::Gap {
            awaited: awaited(),
            gap,
        }),
        Some(Ok(StreamItem::Lagged { missed })) => Err(WaitError::Lagged {
            awaited: awaited(),
            missed,
        }),
        Some(Ok(StreamItem::EndedInGap(ended))) => Err(WaitError::EndedInGap {
            awaited: awaited(),
            ended,
        }),
        Some(Err(error)) => Err(WaitError::Stream {
            awaited: awaited(),
            error,
        }),
        None => Err(WaitError::Ended { awaited: awaited() }),
    }
}

impl<E: EventPayload> Stream for EventStream<E> {
    type Item = Result<StreamItem<E>, EventsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.terminated {
            return Poll::Ready(None);
        }
        let poll = this.queue.poll_pop(cx);
        if let Poll::Ready(None) = poll {
            this.terminated = true;
            if let Some(key) = this.key.take() {
                this.handle.hub.unsubscribe(&key);
            }
        }
        poll
    }
}

impl<E: EventPayload> FusedStream for EventStream<E> {
    fn is_terminated(&self) -> bool {
        self.terminated
    }
}

impl<E: EventPayload> Drop for EventStream<E> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.handle.hub.unsubscribe(&key);
        }
    }
}

/// What a wait was for: an event kind (or a description), the object it concerns, and details such as a
/// playback's media. Every [`WaitError`] names it, e.g. "no PlaybackFinished of playback p-1 (media
/// sound:demo-congrats on channel:c-1) within 10s".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaited(Box<AwaitedParts>);

/// [`Awaited`]'s contents, boxed so that errors carrying it stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AwaitedParts {
    what: String,
    object: Option<(ObjectKind, String)>,
    detail: Option<String>,
}

impl Awaited {
    /// A wait for `what`: an event kind (`PlaybackFinished`) or a short description (`the digit 5`).
    pub fn new(what: impl Into<String>) -> Self {
        Awaited(Box::new(AwaitedParts {
            what: what.into(),
            object: None,
            detail: None,
        }))
    }

    /// The same wait, concerning the object `kind` `id`.
    pub fn of(mut self, kind: ObjectKind, id: impl Into<String>) -> Self {
        self.0.object = Some((kind, id.into()));
        self
    }

    /// The same wait with `detail` (shown in parentheses), e.g. a playback's media.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// What was awaited: an event kind or a description.
    pub fn what(&self) -> &str {
        &self.0.what
    }

    /// The object the awaited event concerns, if one.
    pub fn object(&self) -> Option<(ObjectKind, &str)> {
        self.0
            .object
            .as_ref()
            .map(|(kind, id)| (*kind, id.as_str()))
    }

    /// The details, if any.
    pub fn details(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

impl fmt::Display for Awaited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.what)?;
        if let Some((kind, id)) = &self.0.object {
            write!(f, " of {kind} {id}")?;
        }
        if let Some(detail) = &self.0.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// Why waiting for an event did not produce it. Every case names what was awaited ([`WaitError::awaited`]).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// No matching event within the timeout.
    #[error("no {awaited} within {timeout:?}")]
    Timeout {
        /// What was awaited.
        awaited: Awaited,
        /// How long.
        timeout: Duration,
    },
    /// The connection was lost and re-established in the meantime: the event may have been missed.
    #[error(
        "the events connection was interrupted for {:?} while waiting for {awaited}; it may have been missed",
        .gap.duration()
    )]
    Gap {
        /// What was awaited.
        awaited: Awaited,
        /// The interruption.
        gap: Gap,
    },
    /// The subscriber fell behind and events were dropped: the event may have been among them.
    #[error(
        "{missed} events were dropped (the subscriber fell behind) while waiting for {awaited}"
    )]
    Lagged {
        /// What was awaited.
        awaited: Awaited,
        /// How many events were dropped.
        missed: u64,
    },
    /// The stream yielded an error (an undecodable message, the connection ended, or there is no connection).
    #[error("while waiting for {awaited}: {error}")]
    Stream {
        /// What was awaited.
        awaited: Awaited,
        /// The stream's error.
        #[source]
        error: EventsError,
    },
    /// The stream ended (the connection was closed, or the object's life ended) without a match.
    #[error("the event stream ended before {awaited}")]
    Ended {
        /// What was awaited.
        awaited: Awaited,
    },
    /// The object whose stream was read ended while the socket was down (found by the resync after a gap).
    #[error("{} {} ended while the events socket was down, before {awaited}", .ended.kind, .ended.id)]
    EndedInGap {
        /// What was awaited.
        awaited: Awaited,
        /// The object and how it ended.
        ended: EndedInGap,
    },
}

impl WaitError {
    /// What was awaited.
    pub fn awaited(&self) -> &Awaited {
        match self {
            WaitError::Timeout { awaited, .. }
            | WaitError::Gap { awaited, .. }
            | WaitError::Lagged { awaited, .. }
            | WaitError::Stream { awaited, .. }
            | WaitError::Ended { awaited }
            | WaitError::EndedInGap { awaited, .. } => awaited,
        }
    }

    /// Whether the wait ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, WaitError::Timeout { .. })
    }

    /// Whether events may have been missed (a gap or lag): the awaited event may have come unseen.
    pub fn is_loss(&self) -> bool {
        matches!(self, WaitError::Gap { .. } | WaitError::Lagged { .. })
    }
}

/// A pending wait ([`EventsHandle::wait_for`], [`Client::wait_for_event`](crate::Client::wait_for_event)): a
/// future of the first matching event.
///
/// The subscription exists from the moment this was created. A waiter made without an event connection yields
/// that error ([`WaitError::Stream`] with [`EventsError::NoConnection`]) when awaited, so one `?` handles both.
#[must_use = "a waiter does nothing unless awaited"]
pub struct EventWaiter<E: EventPayload = Event> {
    stream: Option<EventStream<E>>,
    error: Option<EventsError>,
    awaited: Awaited,
    deadline: Instant,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<E: EventPayload> fmt::Debug for EventWaiter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWaiter")
            .field("awaited", &self.awaited)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<E: EventPayload> EventWaiter<E> {
    pub(crate) fn new(stream: EventStream<E>, awaited: Awaited, timeout: Duration) -> Self {
        EventWaiter {
            stream: Some(stream),
            error: None,
            awaited,
            deadline: deadline_after(timeout),
            timeout,
            sleep: None,
        }
    }

    /// A waiter that fails with `error` when awaited.
    pub(crate) fn failed(error: EventsError, awaited: Awaited, timeout: Duration) -> Self {
        EventWaiter {
            stream: None,
            error: Some(error),
            awaited,
            deadline: deadline_after(timeout),
            timeout,
            sleep: None,
        }
    }

    /// What this waiter waits for (named in its errors).
    pub fn awaited(&self) -> &Awaited {
        &self.awaited
    }

    /// The same waiter, with errors naming `awaited`.
    pub fn describe(mut self, awaited: Awaited) -> Self {
        self.awaited = awaited;
        self
    }
}

impl<E: EventPayload> Future for EventWaiter<E> {
    type Output = Result<E, WaitError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(stream) = this.stream.as_mut() else {
            let error = this.error.take().unwrap_or(EventsError::NoConnection);
            return Poll::Ready(Err(WaitError::Stream {
                awaited: this.awaited.clone(),
                error,
            }));
        };
        while let Poll::Ready(item) = Pin::new(&mut *stream).poll_next(cx) {
            match into_wait_result(item, &this.awaited) {
                Ok(None) => continue,
                Ok(Some(event)) => return Poll::Ready(Ok(event)),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(WaitError::Timeout {
                awaited: this.awaited.clone(),
                timeout: this.timeout,
            })),
            Poll::Pending => Poll::Pending,
        }
    }
}
