//! Helpers every Stasis application writes otherwise: send a request and wait for the events it causes.
//!
//! Each takes the stream of the object the request creates — taken *before* the request is sent, with a
//! client-chosen id (see [`unique_id`](crate::events::unique_id)) — and the request as anything that can be awaited
//! (a generated operation builder, or any future of a [`Result`](crate::Result)). The request is sent, then the
//! stream is read until the outcome, within one timeout for both:
//!
//! * [`originate_and_wait`]: the channel's `StasisStart`, or the failure (`ChannelDestroyed` before it, the REST
//!   error, a gap, the timeout);
//! * [`play_and_wait`]: the playback's `PlaybackFinished`.
//!
//! The handles wrap them (`client.channel(id).originate_and_wait(...)`, `client.channel(id).play_and_wait(...)`).
//! For waiting on any event, see [`EventsHandle::wait_for`](crate::events::EventsHandle::wait_for),
//! [`EventStream::wait_for`](crate::events::EventStream::wait_for) and
//! [`Client::wait_for_event`](crate::Client::wait_for_event).

use std::fmt;
use std::future::IntoFuture;
use std::time::Duration;

use futures::StreamExt as _;
use tokio::time::Instant;

use crate::event_types::{ChannelDestroyed, PlaybackFinished, StasisStart};
use crate::events::deadline_after;
use crate::events::{EventStream, EventsError, StreamItem, WaitError};
use crate::Event;

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
    /// have been missed), or the stream ended.
    #[error(transparent)]
    Wait(#[from] WaitError),
    /// The channel was destroyed before it entered the Stasis application (busy, no answer, congestion, hung up…);
    /// `cause` and `cause_txt` say why.
    #[error(
        "channel {} was destroyed before it entered Stasis: {} (cause {})",
        .0.channel.id, .0.cause_txt, .0.cause
    )]
    ChannelDestroyed(Box<ChannelDestroyed>),
}

impl FlowError {
    /// The Q.850 hangup cause, for [`FlowError::ChannelDestroyed`].
    pub fn hangup_cause(&self) -> Option<i64> {
        match self {
            FlowError::ChannelDestroyed(destroyed) => Some(destroyed.cause),
            _ => None,
        }
    }
}

/// A channel that entered the Stasis application: the response to the request that created it, the `StasisStart`,
/// and the channel's stream, positioned right after the `StasisStart` (nothing missed, nothing consumed beyond it).
#[non_exhaustive]
pub struct Started<T> {
    /// What the request returned (for an originate, the [`Channel`](crate::models::Channel) as created).
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

/// Sends `request`, which creates the channel `channel_events` follows (an originate or create with the
/// `channelId` the stream was taken for, into one of the connection's applications), and waits for the
/// channel's `StasisStart`, for at most `timeout` in all.
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
    mut channel_events: EventStream<Event>,
    request: R,
    timeout: Duration,
) -> Result<Started<T>, FlowError>
where
    R: IntoFuture<Output = crate::Result<T>>,
{
    let deadline = deadline_after(timeout);
    let response = tokio::time::timeout_at(deadline, request.into_future())
        .await
        .map_err(|_| WaitError::Timeout(timeout))??;
    loop {
        match next_event(&mut channel_events, deadline, timeout).await? {
            Event::StasisStart(start) => {
                return Ok(Started {
                    response,
                    start,
                    events: channel_events,
                })
            }
            Event::ChannelDestroyed(destroyed) => {
                return Err(FlowError::ChannelDestroyed(Box::new(destroyed)))
            }
            _ => {}
        }
    }
}

/// Sends `request`, which starts the playback `playback_events` follows (a play with the `playbackId` the stream
/// was taken for), and waits for its `PlaybackFinished`, for at most `timeout` in all. Returns what the request
/// returned and the `PlaybackFinished` (whose `playback.state` says how it ended, e.g. `done` or `failed`).
///
/// Fails with [`FlowError::Request`] when the request fails, [`FlowError::Wait`] on timeout, gap, lag or the end
/// of the stream.
pub async fn play_and_wait<R, T>(
    mut playback_events: EventStream<Event>,
    request: R,
    timeout: Duration,
) -> Result<(T, PlaybackFinished), FlowError>
where
    R: IntoFuture<Output = crate::Result<T>>,
{
    let deadline = deadline_after(timeout);
    let response = tokio::time::timeout_at(deadline, request.into_future())
        .await
        .map_err(|_| WaitError::Timeout(timeout))??;
    loop {
        if let Event::PlaybackFinished(finished) =
            next_event(&mut playback_events, deadline, timeout).await?
        {
            return Ok((response, finished));
        }
    }
}

/// The next event of `stream` before `deadline`; losses, errors (even an undecodable message) and the end are
/// [`WaitError`]s.
async fn next_event(
    stream: &mut EventStream<Event>,
    deadline: Instant,
    timeout: Duration,
) -> Result<Event, WaitError> {
    match tokio::time::timeout_at(deadline, stream.next()).await {
        Err(_) => Err(WaitError::Timeout(timeout)),
        Ok(None) => Err(WaitError::Ended),
        Ok(Some(Ok(StreamItem::Event(event)))) => Ok(event),
        Ok(Some(Ok(StreamItem::Gap(gap)))) => Err(WaitError::Gap(gap)),
        Ok(Some(Ok(StreamItem::Lagged { missed }))) => Err(WaitError::Lagged { missed }),
        // Even an undecodable message: it may have been the awaited event.
        Ok(Some(Err(e))) => Err(WaitError::Stream(e)),
    }
}
