//! Typed waits on the generated [`Event`]: wait for one event kind and get that struct back, or filter-map.
//!
//! ```no_run
//! # async fn demo(mut events: ari_sdk::events::EventStream) -> Result<(), ari_sdk::events::WaitError> {
//! use std::time::Duration;
//! use ari_sdk::event_types::{ChannelDtmfReceived, PlaybackFinished};
//!
//! // The next ChannelDtmfReceived of this stream, as that struct (no `matches!` + re-match):
//! let dtmf: ChannelDtmfReceived = events.next_of(Duration::from_secs(5)).await?;
//! // The next one with a given digit:
//! let two = events.next_of_where(|d: &ChannelDtmfReceived| d.digit == "2", Duration::from_secs(5)).await?;
//! // Any mapping: the first digit or the end of a playback, whichever comes first.
//! let what = events
//!     .wait_for_map("ChannelDtmfReceived or PlaybackFinished", |event| match event {
//!         ari_sdk::Event::ChannelDtmfReceived(d) => Some(Some(d.digit)),
//!         ari_sdk::Event::PlaybackFinished(_) => Some(None),
//!         _ => None,
//!     }, Duration::from_secs(5))
//!     .await?;
//! # let _ = (dtmf, two, what); Ok(()) }
//! ```
//!
//! Every error names what was awaited — the event kind and, on a per-object stream, the object
//! ([`Awaited`]) — e.g. "no ChannelDtmfReceived of channel c-1 within 5s".

use std::time::Duration;

use crate::events::{Awaited, EventStream, EventWaiter, EventsHandle, WaitError};
use crate::Event;

/// One variant of [`Event`] as its own type: every event struct of [`event_types`](crate::event_types)
/// implements it (generated), which is what the typed waits ([`EventStream::next_of`]) are built on.
pub trait EventKind: Sized + Send + 'static {
    /// The `type` of this event on the wire, e.g. `StasisStart`.
    const TYPE: &'static str;
    /// The struct inside `event` when it is this kind, else `event` back.
    // Handing the event back unboxed: boxing it would cost an allocation per event that is not this kind.
    #[allow(clippy::result_large_err)]
    fn from_event(event: Event) -> Result<Self, Event>;
    /// The struct inside `event` when it is this kind.
    fn from_ref(event: &Event) -> Option<&Self>;
}

impl EventStream<Event> {
    /// Reads this stream until an event of kind `T` arrives, for at most `timeout`, and returns it as `T`;
    /// other events are consumed. Errors name `T` and this stream's object.
    pub async fn next_of<T: EventKind>(&mut self, timeout: Duration) -> Result<T, WaitError> {
        let awaited = self.awaited(T::TYPE);
        self.wait_for_filter_map(awaited, |event| T::from_event(event).ok(), timeout)
            .await
    }

    /// Reads this stream until an event of kind `T` satisfies `predicate`, for at most `timeout`; other events
    /// are consumed.
    pub async fn next_of_where<T, F>(
        &mut self,
        mut predicate: F,
        timeout: Duration,
    ) -> Result<T, WaitError>
    where
        T: EventKind,
        F: FnMut(&T) -> bool,
    {
        let awaited = self.awaited(format!("{} matching the predicate", T::TYPE));
        self.wait_for_filter_map(
            awaited,
            |event| T::from_event(event).ok().filter(|e| predicate(e)),
            timeout,
        )
        .await
    }

    /// Reads this stream until `f` maps an event to `Some`, for at most `timeout`, and returns the value; errors
    /// name `what` (and this stream's object).
    pub async fn wait_for_map<T, F>(
        &mut self,
        what: impl Into<String>,
        f: F,
        timeout: Duration,
    ) -> Result<T, WaitError>
    where
        F: FnMut(Event) -> Option<T>,
    {
        let awaited = self.awaited(what);
        self.wait_for_filter_map(awaited, f, timeout).await
    }
}

impl EventsHandle<Event> {
    /// Waits for the next event of kind `T` that satisfies `predicate`, for at most `timeout` from now; the
    /// subscription is registered when this is called (see [`EventsHandle::wait_for`]), and its errors name `T`.
    /// The waiter yields the whole [`Event`]; use `T::from_event` or the stream's [`EventStream::next_of`] for
    /// the struct.
    pub fn wait_for_kind<T, F>(&self, predicate: F, timeout: Duration) -> EventWaiter<Event>
    where
        T: EventKind,
        F: Fn(&T) -> bool + Send + Sync + 'static,
    {
        self.wait_for(
            move |event| T::from_ref(event).is_some_and(&predicate),
            timeout,
        )
        .describe(Awaited::new(T::TYPE))
    }
}
