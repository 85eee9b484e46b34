//! Hand-written additions to the generated handles: per-object event streams, and the helpers built on them.
//!
//! `client.channel(id).events()`, `client.bridge(id).events()`, `client.playback(id).events()` and
//! `client.live_recording(name).events()` subscribe through the event connection registered with the client
//! ([`Client::events`](crate::Client::events)). The subscription exists when `events()` returns, so with a
//! client-chosen id ([`unique_id`]) it is taken *before* the request that creates the object, and sees its first
//! event. Each stream matches the id exactly and ends by itself when the object's life ends.

use std::future::IntoFuture;
use std::time::Duration;

use crate::event_types::PlaybackFinished;
use crate::events::{unique_id, EventStream, EventsError, ObjectKind};
use crate::flows::{self, FlowError, Started};
use crate::generated::handles::{BridgeHandle, ChannelHandle, LiveRecordingHandle, PlaybackHandle};
use crate::models::Playback;
use crate::Event;

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

    /// Subscribes to this channel, sends `request` — which must create this channel in one of the connection's
    /// applications: [`originate_with_id`](Self::originate_with_id), or an originate or create with this
    /// handle's id as `channelId` — and waits for its `StasisStart`, for at most `timeout` in all. See
    /// [`flows::originate_and_wait`].
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
    /// [`FlowError::Events`] without an event connection, [`FlowError::Request`] when the request fails,
    /// [`FlowError::ChannelDestroyed`] when the channel is gone before it entered Stasis (busy, no answer…),
    /// [`FlowError::Wait`] on timeout, gap or lag.
    pub async fn originate_and_wait<R, T>(
        &self,
        request: R,
        timeout: Duration,
    ) -> Result<Started<T>, FlowError>
    where
        R: IntoFuture<Output = crate::Result<T>>,
    {
        let events = self.events()?;
        flows::originate_and_wait(events, request, timeout).await
    }

    /// Plays `media` (for example `["sound:hello-world"]`) on this channel with a new playback id and waits for
    /// its `PlaybackFinished`, for at most `timeout`. For the optional parameters (language, offset, skip) use
    /// [`PlaybackHandle::play_and_wait`] with [`play_with_id`](Self::play_with_id).
    ///
    /// # Errors
    ///
    /// [`FlowError::Events`] without an event connection, [`FlowError::Request`] when the request fails,
    /// [`FlowError::Wait`] on timeout, gap or lag.
    pub async fn play_and_wait(
        &self,
        media: impl IntoIterator<Item = impl Into<String>>,
        timeout: Duration,
    ) -> Result<(Playback, PlaybackFinished), FlowError> {
        let playback = self.client.playback(unique_id());
        playback
            .play_and_wait(self.play_with_id(playback.id(), media), timeout)
            .await
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

    /// Plays `media` to the bridge with a new playback id and waits for its `PlaybackFinished`, for at most
    /// `timeout`.
    ///
    /// # Errors
    ///
    /// As [`ChannelHandle::play_and_wait`].
    pub async fn play_and_wait(
        &self,
        media: impl IntoIterator<Item = impl Into<String>>,
        timeout: Duration,
    ) -> Result<(Playback, PlaybackFinished), FlowError> {
        let playback = self.client.playback(unique_id());
        playback
            .play_and_wait(self.play_with_id(playback.id(), media), timeout)
            .await
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

    /// Subscribes to this playback, sends `request` — a play naming this playback's id, such as
    /// `channel.play_with_id(playback.id(), media).lang("en")` — and waits for its `PlaybackFinished`, for at most
    /// `timeout` in all. See [`flows::play_and_wait`].
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
        let events = self.events()?;
        flows::play_and_wait(events, request, timeout).await
    }
}

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
