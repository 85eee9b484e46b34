//! Helpers every Stasis application writes otherwise: accept a call, send a request and wait for the events it
//! causes, hang up and wait until the channel is gone.
//!
//! * [`Client::incoming_calls`](crate::Client::incoming_calls): every channel entering the application, as an
//!   [`Incoming`] — its handle, its `StasisStart` and its own event stream *positioned right after that
//!   `StasisStart`* (registered by the connection while it dispatched the `StasisStart`, so nothing the channel
//!   does next can be missed, however late the program takes the call).
//! * [`ChannelHandle::originate_and_wait`](crate::ChannelHandle::originate_and_wait): originate a channel and
//!   wait for its `StasisStart`; [`ChannelHandle::play_and_wait`](crate::ChannelHandle::play_and_wait),
//!   [`BridgeHandle::play_and_wait`](crate::BridgeHandle::play_and_wait) and
//!   [`PlaybackHandle::play_and_wait`](crate::PlaybackHandle::play_and_wait): play and wait for
//!   `PlaybackFinished` (a playback that ends in state `failed` is an error, [`FlowError::PlaybackFailed`]);
//!   [`ChannelHandle::hangup_and_wait`](crate::ChannelHandle::hangup_and_wait): hang up and wait until the
//!   channel has left the application ("already gone" counts as done).
//! * [`originate_and_wait`] and [`play_and_wait`]: the same waits on a stream you took yourself, for requests of
//!   any shape.
//!
//! # Errors name what was awaited
//!
//! A failed wait is [`FlowError::Wait`]: its [`WaitError`] names the event kind, the object and what is known
//! about it, e.g. `no PlaybackFinished of playback 3f2… (media sound:demo-congrats on channel:c-1) within 10s`.
//!
//! # What a helper leaves running when a wait fails
//!
//! A handle's helper undoes what it started when its wait fails (timeout, gap, lag, end of the stream), so
//! nothing it started keeps running unseen: `play_and_wait` stops the playback, `originate_and_wait` hangs up
//! the channel it originated (with a Local channel, that takes both halves). The undo is one request, bounded by
//! [`UNDO_TIMEOUT`]; what happened is in [`FlowError::Wait`]'s `undone` ([`Undone`]) and in its message. A
//! failed *request* undoes nothing: either nothing was created, or its fate is unknown
//! ([`Error::is_outcome_unknown`](crate::Error::is_outcome_unknown)). The free functions [`originate_and_wait`]
//! and [`play_and_wait`] undo nothing: they do not know what the request made.
//!
//! # Local channels: which half is which
//!
//! Originating `Local/exten@context` makes two channels: the one the originate names (`channelId`, the `;1`
//! half, which *calls*) and the other half (`otherChannelId`, `;2`, which runs `exten@context` — the *called*
//! side). With `app`, the `;1` half enters the application only when the `;2` half answers. If the dialplan
//! sends the `;2` half into Stasis (the sandbox's `stasis-<app>` extension), it arrives there first, ringing:
//! it is an incoming call that your program must answer before the `;1` half enters Stasis. Until a half is in
//! Stasis, channel operations on it fail with 409 "Channel not in Stasis application" — `send_dtmf` on the `;1`
//! half right after the originate is the classic case. `originate_and_wait` on the `;1` half therefore returns
//! [`FlowError::OtherHalfRinging`] at once in that situation instead of waiting for something only the caller
//! can cause.

use std::fmt;
use std::future::IntoFuture;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{FusedStream, Stream};
use futures::StreamExt as _;
use tokio::time::Instant;

use crate::enums::PlaybackState;
use crate::event_types::{ChannelDestroyed, PlaybackFinished, StasisStart};
use crate::events::{deadline_after, into_wait_result, SpawnedList};
use crate::events::{Awaited, EventStream, EventsError, ObjectKind, StreamItem, WaitError};
use crate::models::{Channel, Playback};
use crate::{ChannelHandle, Client, Event};

/// The longest a helper's undo request (stopping a playback, hanging up a channel) may take.
pub const UNDO_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a helper that sends a request and waits for what it causes did not get there.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The request failed; nothing was awaited.
    #[error(transparent)]
    Request(#[from] crate::Error),
    /// There is no event connection to wait on (see [`Client::event_connection`](crate::Client::event_connection)).
    #[error(transparent)]
    Events(#[from] EventsError),
    /// Waiting failed: the timeout ran out, the connection was interrupted or the subscriber lagged (the event may
    /// have been missed), or the stream ended. `error` names what was awaited; `undone` says what the helper did
    /// about what it had started (see the [module docs](self)).
    #[error("{error}{undone}")]
    Wait {
        /// What was awaited, and why it did not come.
        error: WaitError,
        /// What the helper undid.
        undone: Undone,
    },
    /// The channel was destroyed before it entered the Stasis application (busy, no answer, congestion, hung up…);
    /// `cause` and `cause_txt` say why.
    #[error(
        "channel {} was destroyed before it entered Stasis: {} (cause {})",
        .0.channel.id, .0.cause_txt, .0.cause
    )]
    ChannelDestroyed(Box<ChannelDestroyed>),
    /// The playback ended in state `failed` (for example the sound does not exist); this is its final state.
    #[error(
        "playback {} of {} on {} failed (state {})",
        .0.id, .0.media_uri, .0.target_uri, .0.state
    )]
    PlaybackFailed(Box<Playback>),
    /// `originate_and_wait` was waiting for the `;1` half of a Local channel, but the other half entered a Stasis
    /// application first and is ringing there: the `;1` half enters Stasis only once the other half is answered.
    /// Answer it (`client.channel(&other.channel.id).answer()`), then wait for this half; or wait for the other
    /// half instead (see the [module docs](self)).
    #[error(
        "channel {channel} cannot enter Stasis yet: its other Local half {} entered application {} first and is \
         ringing ({}); {channel} enters Stasis only once {} is answered — answer it first, or wait for it instead",
        .other.channel.id, .other.application, .other.channel.state, .other.channel.id
    )]
    OtherHalfRinging {
        /// The channel that was awaited (the `;1` half).
        channel: String,
        /// The other half's `StasisStart`.
        other: Box<StasisStart>,
    },
}

impl FlowError {
    /// The Q.850 hangup cause, for [`FlowError::ChannelDestroyed`].
    pub fn hangup_cause(&self) -> Option<i64> {
        match self {
            FlowError::ChannelDestroyed(destroyed) => Some(destroyed.cause),
            _ => None,
        }
    }

    /// The wait error, for [`FlowError::Wait`].
    pub fn wait_error(&self) -> Option<&WaitError> {
        match self {
            FlowError::Wait { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Whether a wait ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.wait_error().is_some_and(WaitError::is_timeout)
    }
}

impl From<WaitError> for FlowError {
    fn from(error: WaitError) -> Self {
        FlowError::Wait {
            error,
            undone: Undone::Nothing,
        }
    }
}

/// What a helper did, after its wait failed, about the object it had started.
#[derive(Debug)]
#[non_exhaustive]
pub enum Undone {
    /// Nothing (the free functions, or nothing was started).
    Nothing,
    /// It stopped or hung up the object: `what` names it (`playback p-1`).
    Stopped(String),
    /// The object was already gone (404).
    AlreadyGone(String),
    /// Undoing failed too: the object may still be running.
    Failed {
        /// The object.
        what: String,
        /// Why.
        error: Box<crate::Error>,
    },
    /// Undoing took longer than [`UNDO_TIMEOUT`]: the object may still be running.
    TimedOut(String),
}

impl fmt::Display for Undone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undone::Nothing => Ok(()),
            Undone::Stopped(what) => write!(f, "; {what} was stopped"),
            Undone::AlreadyGone(what) => write!(f, "; {what} was already gone"),
            Undone::Failed { what, error } => write!(f, "; stopping {what} failed too: {error}"),
            Undone::TimedOut(what) => {
                write!(f, "; stopping {what} took longer than {UNDO_TIMEOUT:?}")
            }
        }
    }
}

/// Sends one undo request (bounded by [`UNDO_TIMEOUT`]) and says how it went.
async fn undo<F>(what: String, request: F) -> Undone
where
    F: IntoFuture<Output = crate::Result<()>>,
{
    match tokio::time::timeout(UNDO_TIMEOUT, request.into_future()).await {
        Ok(Ok(())) => Undone::Stopped(what),
        Ok(Err(e)) if e.is_not_found() => Undone::AlreadyGone(what),
        Ok(Err(e)) => Undone::Failed {
            what,
            error: Box::new(e),
        },
        Err(_) => Undone::TimedOut(what),
    }
}

/// A channel that entered the Stasis application: the response to the request that created it, the `StasisStart`,
/// and the channel's stream, positioned right after the `StasisStart` (nothing missed, nothing consumed beyond it).
#[non_exhaustive]
pub struct Started<T> {
    /// What the request returned (for an originate, the [`Channel`] as created).
    pub response: T,
    /// The channel's `StasisStart`.
    pub start: StasisStart,
    /// The channel's events from here on; it ends by itself at `StasisEnd` or `ChannelDestroyed`.
    pub events: EventStream<Event>,
}

impl<T: fmt::Debug> fmt::Debug for Started<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Started")
            .field("response", &self.response)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

/// A channel that entered one of the connection's applications (an incoming call, typically ringing): its
/// handle, its `StasisStart`, and its event stream positioned right after the `StasisStart`.
#[non_exhaustive]
pub struct Incoming {
    /// The channel.
    pub channel: ChannelHandle,
    /// Its `StasisStart` (application, arguments, the channel as it entered: state, caller, dialplan).
    pub start: StasisStart,
    /// The channel's events after the `StasisStart`; ends by itself at `StasisEnd` or `ChannelDestroyed`.
    pub events: EventStream<Event>,
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("channel", &self.channel.id())
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

/// The channels entering the connection's applications, each as an [`Incoming`]; from
/// [`Client::incoming_calls`](crate::Client::incoming_calls).
///
/// A [`Stream`] of `Result<StreamItem<Incoming>, EventsError>`: calls in order, plus [`StreamItem::Gap`] and
/// [`StreamItem::Lagged`] when calls may have been missed. [`next_call`](Self::next_call) waits for one call with a
/// timeout. Each call's own stream is registered when the connection dispatches its `StasisStart`, before any
/// later event, so a call taken late has missed nothing; calls never taken are unsubscribed when this is dropped.
pub struct IncomingCalls {
    client: Client,
    stream: EventStream<Event>,
    spawned: SpawnedList<Event>,
}

impl fmt::Debug for IncomingCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingCalls").finish_non_exhaustive()
    }
}

impl IncomingCalls {
    pub(crate) fn new(
        client: Client,
        stream: EventStream<Event>,
        spawned: SpawnedList<Event>,
    ) -> Self {
        IncomingCalls {
            client,
            stream,
            spawned,
        }
    }

    /// The next call, within `timeout`. A gap or lag is an error: a call may have been missed.
    pub async fn next_call(&mut self, timeout: Duration) -> Result<Incoming, WaitError> {
        let awaited = Awaited::new("StasisStart of an incoming call");
        let deadline = deadline_after(timeout);
        loop {
            match tokio::time::timeout_at(deadline, self.next()).await {
                Err(_) => return Err(WaitError::Timeout { awaited, timeout }),
                Ok(item) => match into_wait_result(item, &awaited)? {
                    Some(call) => return Ok(call),
                    None => continue,
                },
            }
        }
    }

    /// The per-channel stream spawned for `start`; streams spawned before it belong to `StasisStart`s that were
    /// dropped (lag) and are unsubscribed.
    fn take_spawned(&self, start: StasisStart) -> Incoming {
        let channel = self.client.channel(&start.channel.id);
        let mut stale = Vec::new();
        let mut found = None;
        {
            let mut list = self
                .spawned
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            while let Some(spawned) = list.pop_front() {
                if *spawned.id == *start.channel.id {
                    found = Some(spawned);
                    break;
                }
                stale.push(spawned);
            }
        }
        // Unsubscribing takes the hub's lock, which the connection task holds while it appends to the list: never
        // with the list locked.
        for spawned in stale {
            drop(EventStream::from_spawned(self.stream.handle(), spawned));
        }
        let events = match found {
            Some(spawned) => EventStream::from_spawned(self.stream.handle(), spawned),
            // Not reached: the hub registers the stream before it queues the StasisStart. Should it happen, a
            // stream from now on is the best there is.
            None => self.stream.handle().channel(start.channel.id.clone()),
        };
        Incoming {
            channel,
            start,
            events,
        }
    }
}

impl Stream for IncomingCalls {
    type Item = Result<StreamItem<Incoming>, EventsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let item = match Pin::new(&mut this.stream).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            };
            return Poll::Ready(match item {
                None => None,
                Some(Err(e)) => Some(Err(e)),
                Some(Ok(StreamItem::Event(Event::StasisStart(start)))) => {
                    Some(Ok(StreamItem::Event(this.take_spawned(start))))
                }
                Some(Ok(StreamItem::Event(_))) => continue,
                Some(Ok(StreamItem::Gap(gap))) => Some(Ok(StreamItem::Gap(gap))),
                Some(Ok(StreamItem::Lagged { missed })) => Some(Ok(StreamItem::Lagged { missed })),
                Some(Ok(StreamItem::Resync(resync))) => Some(Ok(StreamItem::Resync(resync))),
                Some(Ok(StreamItem::EndedInGap(ended))) => Some(Ok(StreamItem::EndedInGap(ended))),
            });
        }
    }
}

impl FusedStream for IncomingCalls {
    fn is_terminated(&self) -> bool {
        self.stream.is_terminated()
    }
}

impl Drop for IncomingCalls {
    fn drop(&mut self) {
        let untaken: Vec<_> = self
            .spawned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
            .collect();
        // As in `take_spawned`: unsubscribe with the list unlocked.
        for spawned in untaken {
            drop(EventStream::from_spawned(self.stream.handle(), spawned));
        }
    }
}

/// Sends `request`, which creates the channel `channel_events` follows (an originate or create with the
/// `channelId` or `otherChannelId` the stream was taken for, into one of the connection's applications), and waits
/// for the channel's `StasisStart`, for at most `timeout` in all. Undoes nothing on failure; prefer
/// [`ChannelHandle::originate_and_wait`](crate::ChannelHandle::originate_and_wait).
///
/// Fails with [`FlowError::Request`] when the request fails, [`FlowError::ChannelDestroyed`] when the channel is
/// destroyed first, [`FlowError::Wait`] on timeout, gap, lag or the end of the stream.
///
/// ```no_run
/// # async fn demo(client: ari_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use ari_sdk::events::{unique_id, ObjectKind};
///
/// let id = unique_id();
/// let events = client.object_events(ObjectKind::Channel, &id)?; // before the request is sent
/// # let originate = async { Ok::<(), ari_sdk::Error>(()) };
/// // `originate` is the request creating channel `id` in the app, e.g. the generated originate builder
/// let started = ari_sdk::flows::originate_and_wait(events, originate, Duration::from_secs(10)).await?;
/// println!("{} entered {}", started.start.channel.id, started.start.application);
/// # Ok(()) }
/// ```
pub async fn originate_and_wait<R, T>(
    channel_events: EventStream<Event>,
    request: R,
    timeout: Duration,
) -> Result<Started<T>, FlowError>
where
    R: IntoFuture<Output = crate::Result<T>>,
{
    let (response, awaited, deadline) =
        send_awaiting(&channel_events, StasisStart::TYPE, request, timeout).await?;
    Waiting::new(channel_events, None, deadline, timeout, awaited)
        .started(response)
        .await
        .map_err(FlowError::from_step)
}

/// Sends `request`, which starts the playback `playback_events` follows (a play with the `playbackId` the stream
/// was taken for), and waits for its `PlaybackFinished`, for at most `timeout` in all. Returns what the request
/// returned and the `PlaybackFinished`. Undoes nothing on failure; prefer
/// [`PlaybackHandle::play_and_wait`](crate::PlaybackHandle::play_and_wait).
///
/// Fails with [`FlowError::Request`] when the request fails, [`FlowError::PlaybackFailed`] when the playback ends
/// in state `failed`, [`FlowError::Wait`] on timeout, gap, lag or the end of the stream.
pub async fn play_and_wait<R, T>(
    mut playback_events: EventStream<Event>,
    request: R,
    timeout: Duration,
) -> Result<(T, PlaybackFinished), FlowError>
where
    R: IntoFuture<Output = crate::Result<T>>,
{
    let (response, awaited, deadline) =
        send_awaiting(&playback_events, PlaybackFinished::TYPE, request, timeout).await?;
    let finished = finished_within(&mut playback_events, awaited, deadline, timeout).await?;
    Ok((response, finished))
}

/// Starts a helper of at most `timeout` in all that waits for `kind` on `events`: sends `request`
/// within it. Returns what the request returned, what is awaited, and the helper's deadline.
async fn send_awaiting<R, T>(
    events: &EventStream<Event>,
    kind: &str,
    request: R,
    timeout: Duration,
) -> Result<(T, Awaited, Instant), FlowError>
where
    R: IntoFuture<Output = crate::Result<T>>,
{
    let deadline = deadline_after(timeout);
    let awaited = events.awaited(kind);
    let response = send_within(request, deadline, &awaited, timeout).await?;
    Ok((response, awaited, deadline))
}

/// Sends `request`, before `deadline`.
async fn send_within<R, T>(
    request: R,
    deadline: Instant,
    awaited: &Awaited,
    timeout: Duration,
) -> Result<T, FlowError>
where
    R: IntoFuture<Output = crate::Result<T>>,
{
    match tokio::time::timeout_at(deadline, request.into_future()).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(WaitError::Timeout {
            awaited: awaited.clone(),
            timeout,
        }
        .into()),
    }
}

/// Waits for `PlaybackFinished` on `events`; a `failed` end is [`FlowError::PlaybackFailed`].
async fn finished_within(
    events: &mut EventStream<Event>,
    awaited: Awaited,
    deadline: Instant,
    timeout: Duration,
) -> Result<PlaybackFinished, FlowError> {
    let left = deadline.saturating_duration_since(Instant::now());
    let finished: PlaybackFinished = events
        .wait_for_filter_map(
            awaited,
            |event| match event {
                Event::PlaybackFinished(finished) => Some(finished),
                _ => None,
            },
            left,
        )
        .await
        .map_err(|e| retimed(e, timeout))?;
    if finished.playback.state == PlaybackState::Failed {
        return Err(FlowError::PlaybackFailed(Box::new(finished.playback)));
    }
    Ok(finished)
}

/// A timeout error reports the helper's whole timeout, not what was left of it.
fn retimed(error: WaitError, timeout: Duration) -> WaitError {
    match error {
        WaitError::Timeout { awaited, .. } => WaitError::Timeout { awaited, timeout },
        other => other,
    }
}

/// One step of waiting for a channel to enter Stasis.
enum StepError {
    Wait(WaitError),
    Flow(FlowError),
}

impl FlowError {
    fn from_step(e: StepError) -> FlowError {
        match e {
            StepError::Wait(e) => e.into(),
            StepError::Flow(e) => e,
        }
    }
}

/// Waiting for a channel's `StasisStart`, watching the other Local half if known.
struct Waiting {
    own: EventStream<Event>,
    other: Option<EventStream<Event>>,
    deadline: Instant,
    timeout: Duration,
    awaited: Awaited,
}

impl Waiting {
    fn new(
        own: EventStream<Event>,
        other: Option<EventStream<Event>>,
        deadline: Instant,
        timeout: Duration,
        awaited: Awaited,
    ) -> Self {
        Waiting {
            own,
            other,
            deadline,
            timeout,
            awaited,
        }
    }

    async fn started<T>(mut self, response: T) -> Result<Started<T>, StepError> {
        loop {
            let next = tokio::time::timeout_at(self.deadline, async {
                match &mut self.other {
                    Some(other) => tokio::select! {
                        biased;
                        item = self.own.next() => (true, item),
                        item = other.next() => (false, item),
                    },
                    None => (true, self.own.next().await),
                }
            })
            .await;
            let Ok((own, item)) = next else {
                return Err(StepError::Wait(WaitError::Timeout {
                    awaited: self.awaited.clone(),
                    timeout: self.timeout,
                }));
            };
            if !own {
                match item {
                    Some(Ok(StreamItem::Event(Event::StasisStart(other))))
                        if other.channel.state.as_str() != "Up" =>
                    {
                        let channel = self
                            .awaited
                            .object()
                            .map(|(_, id)| id.to_owned())
                            .unwrap_or_default();
                        return Err(StepError::Flow(FlowError::OtherHalfRinging {
                            channel,
                            other: Box::new(other),
                        }));
                    }
                    // The other half's end or losses do not decide this half's fate.
                    None => self.other = None,
                    _ => {}
                }
                continue;
            }
            let Some(event) = into_wait_result(item, &self.awaited).map_err(StepError::Wait)?
            else {
                continue;
            };
            match event {
                Event::StasisStart(start) => {
                    return Ok(Started {
                        response,
                        start,
                        events: self.own,
                    });
                }
                Event::ChannelDestroyed(destroyed) => {
                    return Err(StepError::Flow(FlowError::ChannelDestroyed(Box::new(
                        destroyed,
                    ))))
                }
                _ => {}
            }
        }
    }
}

impl ChannelHandle {
    /// Subscribes to this channel (and to the other half of a Local channel), sends `originate` — which must
    /// create this channel: `channel.originate_with_id(endpoint)` on this handle, or an originate naming this
    /// handle's id as `otherChannelId` (the `;2` half of a Local channel) — and waits for this channel's
    /// `StasisStart`, for at most `timeout` in all.
    ///
    /// When this channel is the `;1` half of a Local channel and the other half enters a Stasis application
    /// first, ringing (its dialplan runs `Stasis`), this channel can only enter Stasis once the other half is
    /// answered: instead of waiting for what only the caller can do, this fails at once with
    /// [`FlowError::OtherHalfRinging`]. On a failed wait it hangs the channel up (see the
    /// [policy](crate::flows#what-a-helper-leaves-running-when-a-wait-fails)).
    ///
    /// ```no_run
    /// # async fn demo(client: ari_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use ari_sdk::events::unique_id;
    ///
    /// let channel = client.channel(unique_id());
    /// let started = channel
    ///     .originate_and_wait(channel.originate_with_id("PJSIP/alice").app("my-app"), Duration::from_secs(30))
    ///     .await?;
    /// let mut events = started.events; // the rest of the channel's life
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`FlowError::Events`] without an event connection, [`FlowError::Request`] when the request fails (also when
    /// it creates neither this channel nor its other half), [`FlowError::ChannelDestroyed`] when the channel is gone
    /// before it entered Stasis (busy, no answer…), [`FlowError::OtherHalfRinging`] as above, [`FlowError::Wait`]
    /// on timeout, gap or lag.
    pub async fn originate_and_wait(
        &self,
        originate: crate::operations::channels::OriginateWithId,
        timeout: Duration,
    ) -> Result<Started<Channel>, FlowError> {
        let deadline = deadline_after(timeout);
        let mut request = originate.into_request();
        let own_path =
            crate::request::Request::new("channels.originateWithId", crate::request::Method::Post)
                .segment("channels")
                .param("channelId", self.id())
                .path();
        let query = |name: &str| {
            request
                .query_pairs()
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        let endpoint = query("endpoint").unwrap_or_default();
        let named_other = query("otherChannelId");
        let is_local = endpoint
            .get(..6)
            .is_some_and(|t| t.eq_ignore_ascii_case("local/"));
        let other_id = if request.path() == own_path {
            match named_other {
                Some(other) => Some(other),
                None if is_local => {
                    let other = crate::events::unique_id();
                    request = request.query("otherChannelId", &other);
                    Some(other)
                }
                None => None,
            }
        } else if named_other.as_deref() == Some(self.id()) {
            // This is the `;2` half: it enters Stasis from the dialplan; nothing to watch.
            None
        } else {
            return Err(crate::Error::invalid(
                Some("channels.originateWithId"),
                format!(
                    "originate_and_wait on channel {} was given an originate that creates neither it nor names it \
                     otherChannelId",
                    self.id()
                ),
            )
            .into());
        };
        let own = self.events()?;
        let other = other_id.map(|id| own.handle().channel(id));
        let awaited = own.awaited(StasisStart::TYPE);
        let response: Channel = send_within(
            self.client.execute_json(request),
            deadline,
            &awaited,
            timeout,
        )
        .await?;
        let waiting = Waiting::new(own, other, deadline, timeout, awaited);
        match waiting.started(response).await {
            Ok(started) => Ok(started),
            Err(StepError::Flow(e)) => Err(e),
            Err(StepError::Wait(error)) => {
                let undone = undo(format!("channel {}", self.id()), self.hangup()).await;
                Err(FlowError::Wait { error, undone })
            }
        }
    }

    /// Hangs this channel up and waits until it has left the application (its `StasisEnd` or `ChannelDestroyed`),
    /// for at most `timeout`. A channel that is already gone (404: never existed, already hung up, or taken down
    /// with the other half of its Local channel) counts as done.
    ///
    /// # Errors
    ///
    /// [`FlowError::Events`] without an event connection, [`FlowError::Request`] when the hangup fails otherwise,
    /// [`FlowError::Wait`] when the channel is still there after `timeout`.
    pub async fn hangup_and_wait(&self, timeout: Duration) -> Result<(), FlowError> {
        let deadline = deadline_after(timeout);
        let mut events = self.events()?;
        let awaited = events.awaited("StasisEnd or ChannelDestroyed");
        match send_within(self.hangup(), deadline, &awaited, timeout).await {
            Ok(()) => {}
            Err(FlowError::Request(e)) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let ended = events
            .wait_for_filter_map(awaited, |_| None::<()>, left)
            .await;
        match ended {
            Err(WaitError::Ended { .. }) => Ok(()),
            Err(error) => match self.get().await {
                // Not in our application (so no StasisEnd came), but gone.
                Err(e) if e.is_not_found() => Ok(()),
                _ => Err(retimed(error, timeout).into()),
            },
            Ok(()) => Ok(()),
        }
    }
}

/// Defines `play_and_wait(media, timeout)` on the handles that play media with a playback id
/// (`play_with_id`): the same method, documented per handle.
macro_rules! play_and_wait_on_a_new_id {
    ($($(#[$doc:meta])* $handle:ty;)*) => {$(
        impl $handle {
            $(#[$doc])*
            pub async fn play_and_wait(
                &self,
                media: impl IntoIterator<Item = impl Into<String>>,
                timeout: Duration,
            ) -> Result<(Playback, PlaybackFinished), FlowError> {
                let playback = self.client.playback(crate::events::unique_id());
                playback
                    .play_and_wait(self.play_with_id(playback.id(), media), timeout)
                    .await
            }
        }
    )*};
}

play_and_wait_on_a_new_id! {
    /// Plays `media` (for example `["sound:hello-world"]`) on this channel with a new playback id and waits for
    /// its `PlaybackFinished`, for at most `timeout`. For the optional parameters (language, offset, skip) use
    /// [`PlaybackHandle::play_and_wait`](crate::PlaybackHandle::play_and_wait) with [`play_with_id`](Self::play_with_id).
    ///
    /// # Errors
    ///
    /// [`FlowError::Events`] without an event connection, [`FlowError::Request`] when the request fails,
    /// [`FlowError::PlaybackFailed`] when the playback ends in state `failed` (e.g. no such sound),
    /// [`FlowError::Wait`] on timeout, gap or lag — after stopping the playback.
    crate::ChannelHandle;

    /// Plays `media` to the bridge with a new playback id and waits for its `PlaybackFinished`, for at most
    /// `timeout`.
    ///
    /// # Errors
    ///
    /// As [`ChannelHandle::play_and_wait`].
    crate::BridgeHandle;
}

impl crate::PlaybackHandle {
    /// Subscribes to this playback, sends `request` — a play naming this playback's id, such as
    /// `channel.play_with_id(playback.id(), media).lang("en")` — and waits for its `PlaybackFinished`, for at most
    /// `timeout` in all. A wait that fails stops the playback (see the
    /// [policy](crate::flows#what-a-helper-leaves-running-when-a-wait-fails)); its error names the playback, its
    /// media and its target.
    ///
    /// ```no_run
    /// # async fn demo(client: ari_sdk::Client, channel: ari_sdk::ChannelHandle) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use ari_sdk::events::unique_id;
    ///
    /// let playback = client.playback(unique_id());
    /// let (_, finished) = playback
    ///     .play_and_wait(channel.play_with_id(playback.id(), ["sound:hello-world"]).lang("en"), Duration::from_secs(30))
    ///     .await?;
    /// println!("playback {} ended: {:?}", finished.playback.id, finished.playback.state);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`ChannelHandle::play_and_wait`].
    pub async fn play_and_wait<R>(
        &self,
        request: R,
        timeout: Duration,
    ) -> Result<(Playback, PlaybackFinished), FlowError>
    where
        R: IntoFuture<Output = crate::Result<Playback>>,
    {
        let mut events = self.events()?;
        let (response, awaited, deadline): (Playback, _, _) =
            send_awaiting(&events, PlaybackFinished::TYPE, request, timeout).await?;
        let awaited = awaited.detail(format!(
            "media {} on {}",
            response.media_uri, response.target_uri
        ));
        match finished_within(&mut events, awaited, deadline, timeout).await {
            Ok(finished) => Ok((response, finished)),
            Err(FlowError::Wait { error, .. }) => {
                let undone = undo(
                    format!("playback {}", self.id()),
                    self.stop_started(UNDO_TIMEOUT),
                )
                .await;
                Err(FlowError::Wait { error, undone })
            }
            Err(e) => Err(e),
        }
    }
}

impl Client {
    /// Every channel entering this client's event connection's applications from now on, each with its handle,
    /// its `StasisStart` and its own event stream positioned right after the `StasisStart`. Take it before the
    /// calls come (typically right after connecting the events).
    ///
    /// ```no_run
    /// # async fn demo(client: ari_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    ///
    /// let _events = client.events().app("ivr").connect().await?;
    /// let mut calls = client.incoming_calls()?;
    /// let call = calls.next_call(Duration::from_secs(60)).await?;
    /// call.channel.answer().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Client::event_connection`].
    pub fn incoming_calls(&self) -> Result<IncomingCalls, EventsError> {
        let handle = self.event_connection()?;
        let spawned = SpawnedList::default();
        let stream = handle.spawning(
            Box::new(|event: &Event| match event {
                Event::StasisStart(start) => Some((
                    ObjectKind::Channel,
                    start.channel.id.clone().into_boxed_str(),
                )),
                _ => None,
            }),
            std::sync::Arc::clone(&spawned),
        );
        Ok(IncomingCalls::new(self.clone(), stream, spawned))
    }
}
