//! Hand-written additions to the generated handles: per-object event streams, and the helpers built on them.
//!
//! `client.channel(id).events()`, `client.bridge(id).events()`, `client.playback(id).events()` and
//! `client.live_recording(name).events()` subscribe through the event connection registered with the client
//! ([`Client::events`](crate::Client::events)). The subscription exists when `events()` returns, so with a
//! client-chosen id ([`unique_id`]) it is taken *before* the request that creates the object, and sees its first
//! event. Each stream matches the id exactly and ends by itself when the object's life ends.

use crate::events::{EventStream, EventsError, ObjectKind};
use crate::generated::handles::{BridgeHandle, ChannelHandle, LiveRecordingHandle, PlaybackHandle};
use crate::Event;
use std::time::Duration;

impl ChannelHandle {
    /// The events of this channel — those carrying a channel whose id is exactly this handle's — from now on,
    /// through the client's event connection. Ends by itself after `StasisEnd` or `ChannelDestroyed` (and when the
    /// connection closes); dropping it unsubscribes. Gaps and lags are reported in it
    /// ([`StreamItem`](crate::events::StreamItem)).
    ///
    /// Take it before the originate when the id is yours, and no event of the channel is missed:
    ///
    /// ```no_run
    /// # async fn demo(client: ari_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use ari_sdk::events::unique_id;
    /// use futures::StreamExt as _;
    ///
    /// let channel = client.channel(unique_id());
    /// let mut events = channel.events()?; // subscribed from here on
    /// channel.originate_with_id("PJSIP/alice").app("my-app").await?;
    /// while let Some(item) = events.next().await {
    ///     println!("{:?}", item?);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`EventsError::NoConnection`] when the client has no open event connection (connect one first with
    /// `client.events().apps([...]).connect()`), [`EventsError::AmbiguousConnection`] when it has several.
    pub fn events(&self) -> Result<EventStream<Event>, EventsError> {
        self.client.object_events(ObjectKind::Channel, self.id())
    }
}

impl BridgeHandle {
    /// The events of this bridge (exact id match) from now on, through the client's event connection; ends by
    /// itself after `BridgeDestroyed`. See [`ChannelHandle::events`] for taking it before the bridge exists.
    ///
    /// # Errors
    ///
    /// As [`ChannelHandle::events`].
    pub fn events(&self) -> Result<EventStream<Event>, EventsError> {
        self.client.object_events(ObjectKind::Bridge, self.id())
    }
}

impl PlaybackHandle {
    /// The events of this playback (exact id match) from now on, through the client's event connection; ends by
    /// itself after `PlaybackFinished`.
    ///
    /// # Errors
    ///
    /// As [`ChannelHandle::events`].
    pub fn events(&self) -> Result<EventStream<Event>, EventsError> {
        self.client.object_events(ObjectKind::Playback, self.id())
    }

    /// Stops this playback like [`stop`](Self::stop), riding out a moment in Asterisk's playback start: the
    /// playback turns `playing` (and `PlaybackStarted` is sent) just before it can be controlled, and a stop in
    /// between answers 500 `Could not stop playback` although the playback then plays on. A 500 is therefore
    /// retried every 10 ms for up to `within`; any other answer (success, 404 for a playback already gone) is
    /// returned as it comes.
    ///
    /// # Errors
    ///
    /// As [`stop`](Self::stop); the last 500 when it still answers so after `within`.
    pub async fn stop_started(&self, within: Duration) -> crate::Result<()> {
        let started = tokio::time::Instant::now();
        loop {
            match self.stop().await {
                Err(e) if e.status() == Some(500) && started.elapsed() < within => {
                    tokio::time::sleep(STOP_RETRY_INTERVAL).await;
                }
                answer => return answer,
            }
        }
    }
}

/// How long [`PlaybackHandle::stop_started`] waits between two stops.
const STOP_RETRY_INTERVAL: Duration = Duration::from_millis(10);

impl LiveRecordingHandle {
    /// The events of this live recording (exact name match) from now on, through the client's event connection;
    /// ends by itself after `RecordingFinished` or `RecordingFailed`.
    ///
    /// # Errors
    ///
    /// As [`ChannelHandle::events`].
    pub fn events(&self) -> Result<EventStream<Event>, EventsError> {
        self.client.object_events(ObjectKind::Recording, self.id())
    }
}
