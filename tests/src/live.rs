//! Helpers for tests that drive ARI through the SDK: a [`Scene`] is one test's Stasis
//! application, its events (through the SDK's events WebSocket), an SDK [`Client`] whose
//! requests are recorded for live coverage, and a cleanup guard.

use std::time::Duration;

use ari_sdk::events::{EventStream, EventsBuilder, RawEvent, StreamItem};
use ari_sdk::request::{Method, Request};
use ari_sdk::{Client, Transport};
use futures::StreamExt as _;
use serde_json::Value;

use crate::{connect, coverage, Ari, Cleanup, JsonEvents, EVENT_TIMEOUT};

/// Environment variable choosing the transport of the operations suite: `http` (the default) or
/// `websocket` (REST over WebSocket).
pub const TRANSPORT_ENV: &str = "ARI_TRANSPORT";

/// The transport the operations suite sends REST over (`ARI_TRANSPORT`); panics on an unknown value.
pub fn suite_transport() -> Transport {
    match std::env::var(TRANSPORT_ENV).as_deref() {
        Err(_) | Ok("" | "http") => Transport::Http,
        Ok("websocket") => Transport::WebSocket,
        Ok(other) => panic!("{TRANSPORT_ENV}={other:?}: expected `http` or `websocket`"),
    }
}

/// Event connections that carry REST for clients of [`Ari::suite_client`]: open until the test
/// process ends.
static REST_CONNECTIONS: std::sync::Mutex<Vec<ari_sdk::events::EventsHandle<RawEvent>>> =
    std::sync::Mutex::new(Vec::new());

impl Ari {
    /// An `ari_sdk::Client` for the target, with the read/write user, over HTTP. Installs the
    /// live-coverage recorder first, so every request it sends is recorded.
    pub fn client(&self) -> Client {
        self.client_over(Transport::Http)
    }

    /// [`client`](Self::client) sending over `transport`. With [`Transport::WebSocket`] its
    /// requests need an event connection made from it ([`Ari::rest_events`]).
    pub fn client_over(&self, transport: Transport) -> Client {
        coverage::install();
        Client::builder(&self.target.url)
            .basic_auth(&self.target.user, &self.target.password)
            .transport(transport)
            .build()
            .expect("building the SDK client")
    }

    /// A client over the suite's transport ([`suite_transport`]), ready to send: with REST over
    /// WebSocket, an event connection for an application of its own carries its requests (kept
    /// open for the rest of the test process).
    pub async fn suite_client(&self) -> Client {
        let client = self.client_over(suite_transport());
        if client.transport() == Transport::WebSocket {
            let app = self.unique("rest");
            let events = self.rest_events(&client, &[&app]).await;
            REST_CONNECTIONS
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(events.stream.handle().clone());
        }
        client
    }

    /// Connects the event connection of `client` (registered with it, so it carries the client's
    /// REST over WebSocket) for `apps`, and waits until Asterisk lists every app.
    pub async fn rest_events(&self, client: &Client, apps: &[&str]) -> AppEvents {
        let stream = client
            .events()
            .with_event_type::<RawEvent>()
            .apps(apps.iter().copied())
            .connect()
            .await
            .unwrap_or_else(|e| {
                panic!("connecting the client's events WebSocket for {apps:?}: {e}")
            });
        self.registered(stream, apps).await
    }

    /// An SDK client for the read-only user; panics when the target has none.
    pub fn read_only_client(&self) -> Client {
        coverage::install();
        let (user, password) = self
            .target
            .read_only
            .clone()
            .expect("this test needs a read-only ARI user (ARI_READ_ONLY_USER/PASSWORD)");
        Client::builder(&self.target.url)
            .basic_auth(user, password)
            .build()
            .expect("building the SDK client")
    }

    /// Connects the SDK's events WebSocket for `apps` (recorded as the `eventWebsocket`
    /// operation) and waits until Asterisk lists every app.
    pub async fn sdk_events(&self, apps: &[&str]) -> AppEvents {
        let stream = EventsBuilder::<RawEvent>::new(&self.target.url)
            .basic_auth(&self.target.user, &self.target.password)
            .apps(apps.iter().copied())
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connecting the events WebSocket for {apps:?}: {e}"));
        self.registered(stream, apps).await
    }

    /// Records the connected `stream` as the `eventWebsocket` operation and waits until Asterisk
    /// lists every app.
    async fn registered(&self, stream: EventStream<RawEvent>, apps: &[&str]) -> AppEvents {
        coverage::record_websocket();
        self.wait_registered(apps).await;
        AppEvents {
            stream,
            seen: Vec::new(),
        }
    }
}

/// `id` percent-encoded as one path segment, exactly as the SDK encodes path parameters.
pub fn encode(id: &str) -> String {
    Request::new("raw", Method::Get)
        .param("id", id)
        .path()
        .trim_start_matches('/')
        .to_owned()
}

/// The mean absolute sample value of a 16-bit PCM WAV file (0.0 when it holds no samples);
/// panics when `bytes` is not such a file.
pub fn wav_level(bytes: &[u8]) -> f64 {
    assert!(
        bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
        "not a WAV file"
    );
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        if &bytes[at..at + 4] == b"data" {
            let end = (at + 8 + len).min(bytes.len());
            let samples: Vec<f64> = bytes[at + 8..end]
                .chunks_exact(2)
                .map(|c| f64::from(i16::from_le_bytes([c[0], c[1]])).abs())
                .collect();
            return samples.iter().sum::<f64>() / samples.len().max(1) as f64;
        }
        at += 8 + len + (len & 1);
    }
    panic!("the WAV file has no data chunk")
}

/// [`connect`], then [`Ari::suite_client`]: the connection and a client over the suite's
/// transport.
pub async fn connect_suite() -> (Ari, Client) {
    let ari = connect().await;
    let client = ari.suite_client().await;
    (ari, client)
}

/// The events of an SDK events WebSocket, as JSON, with everything received kept for failure
/// messages.
pub struct AppEvents {
    stream: EventStream<RawEvent>,
    seen: Vec<Value>,
}

impl AppEvents {
    /// The next event, or `None` after `timeout` (or when the stream ended).
    pub async fn next(&mut self, timeout: Duration) -> Option<Value> {
        let item = tokio::time::timeout(timeout, self.stream.next())
            .await
            .ok()??;
        match item.expect("reading the events WebSocket") {
            StreamItem::Event(event) => {
                let value = Value::Object(event.into_json());
                self.seen.push(value.clone());
                Some(value)
            }
            other => panic!("events were lost: {other:?}"),
        }
    }

    /// Waits (up to [`EVENT_TIMEOUT`]) for an event of type `kind` that also satisfies
    /// `matches`; panics listing the events seen when none comes.
    pub async fn wait_for(&mut self, kind: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_event(kind, EVENT_TIMEOUT, matches).await
    }

    /// Every event received so far.
    pub fn seen(&self) -> &[Value] {
        &self.seen
    }
}

impl JsonEvents for AppEvents {
    async fn next_event(&mut self, timeout: Duration) -> Option<Value> {
        self.next(timeout).await
    }

    fn seen_events(&self) -> &[Value] {
        &self.seen
    }
}

/// The channel variable [`Scene::settled`] sets.
const SETTLED_VARIABLE: &str = "ARI_SDK_SETTLED";

/// One test's stage: an SDK client, a Stasis application with its events, and cleanup.
pub struct Scene {
    /// The connection (raw HTTP helpers, settings).
    pub ari: Ari,
    /// The SDK client (recorded for coverage).
    pub client: Client,
    /// This test's Stasis application.
    pub app: String,
    /// The application's events.
    pub events: AppEvents,
    /// Deletes what the test registered, even when it panics.
    pub cleanup: Cleanup,
}

impl Scene {
    /// Connects, registers a unique application `<prefix>-<what>-…` and opens its events. The
    /// client sends over the suite's transport ([`suite_transport`]); with REST over WebSocket,
    /// on the application's own event connection.
    pub async fn new(what: &str) -> Scene {
        Scene::over(what, suite_transport()).await
    }

    /// [`Scene::new`] with a client that sends over `transport`.
    pub async fn over(what: &str, transport: Transport) -> Scene {
        let ari = connect().await;
        let client = ari.client_over(transport);
        let app = ari.unique(what);
        let events = match client.transport() {
            Transport::WebSocket => ari.rest_events(&client, &[&app]).await,
            _ => ari.sdk_events(&[&app]).await,
        };
        let cleanup = Cleanup::new(&ari);
        Scene {
            ari,
            client,
            app,
            events,
            cleanup,
        }
    }

    /// A unique name or id.
    pub fn unique(&self, what: &str) -> String {
        self.ari.unique(what)
    }

    /// A unique channel id made from `what` and the id of its Local other half (`<id>-2`), both
    /// registered for cleanup.
    pub fn local_ids(&mut self, what: &str) -> (String, String) {
        let id = self.unique(what);
        let other = format!("{id}-2");
        self.cleanup.channel(&id);
        self.cleanup.channel(&other);
        (id, other)
    }

    /// `Local/<exten>@<context>`.
    pub fn local(&self, exten: &str) -> String {
        format!("Local/{exten}@{}", self.ari.target.context)
    }

    /// Originates `Local/<exten>@<context>` into this scene's application with a unique
    /// channel id (the other half gets `<id>-2`), waits for its StasisStart and registers both
    /// halves for cleanup. Returns the id of the half in Stasis.
    pub async fn channel(&mut self, exten: &str) -> String {
        let (id, other) = self.local_ids("chan");
        let channel = self
            .client
            .channels()
            .originate(self.local(exten))
            .app(&self.app)
            .channel_id(&id)
            .other_channel_id(&other)
            .await
            .unwrap_or_else(|e| panic!("originating {exten}: {e}"));
        assert_eq!(channel.id, id);
        self.stasis_start(&id).await;
        id
    }

    /// A new bridge holding a channel to `exten` (as [`Self::channel`]), both cleaned up with
    /// the scene: the bridge's id and its handle.
    pub async fn bridge_with_channel(&mut self, exten: &str) -> (String, ari_sdk::BridgeHandle) {
        let id = self.channel(exten).await;
        let bridge_id = self.unique("bridge");
        self.cleanup.bridge(&bridge_id);
        let bridge = self.client.bridge(&bridge_id);
        bridge.create_with_id().await.expect("create bridge");
        bridge.add_channel([id]).await.expect("addChannel");
        (bridge_id, bridge)
    }

    /// Waits for the StasisStart of channel `id`.
    pub async fn stasis_start(&mut self, id: &str) -> Value {
        self.events
            .wait_for("StasisStart", |e| e["channel"]["id"] == id)
            .await
    }

    /// Waits until every operation sent to channel `id` so far has taken effect.
    ///
    /// Asterisk answers mute, unmute, hold, unhold, startMoh, stopMoh (and more) with 204 as
    /// soon as it has *queued* the command on the channel's command queue; the channel's thread
    /// runs it later, under load a good while later — a listen started right after the answer
    /// hears the audio from before (this is why a muted leg was once heard at 37.5). Setting a
    /// variable goes through the same queue, in order, and its `ChannelVarset` event says it
    /// ran: once that event is here, every command queued before it has run.
    pub async fn settled(&mut self, id: &str) {
        let mark = self.unique("settled");
        self.client
            .channel(id)
            .set_channel_var(SETTLED_VARIABLE)
            .value(&mark)
            .await
            .unwrap_or_else(|e| panic!("setChannelVar {SETTLED_VARIABLE} on {id}: {e}"));
        self.events
            .wait_for("ChannelVarset", |e| {
                e["variable"] == SETTLED_VARIABLE && e["value"] == mark.as_str()
            })
            .await;
    }

    /// How loud the audio of channel `id` is in `direction` (`Out`: what Asterisk sends it;
    /// `In`: what it receives), over `window`: the mean absolute sample value of a recording
    /// made through a snoop channel (0 for silence, hundreds for speech). The snoop channel and
    /// the recording are removed afterwards.
    pub async fn audio_level(
        &mut self,
        id: &str,
        direction: ari_sdk::enums::SnoopDirection,
        window: Duration,
    ) -> f64 {
        let client = self.client.clone();
        let snoop = client
            .channel(id)
            .snoop_channel(&self.app)
            .spy(direction.clone())
            .await
            .expect("snoopChannel");
        self.cleanup.channel(&snoop.id);
        self.stasis_start(&snoop.id).await;
        let name = self.unique("level");
        self.cleanup.recording(&name);
        client
            .channel(&snoop.id)
            .record(&name, "wav")
            .await
            .expect("record the snoop channel");
        tokio::time::sleep(window).await;
        client.live_recording(&name).stop().await.expect("stop");
        self.events
            .wait_for("RecordingFinished", |e| {
                e["recording"]["name"] == name.as_str()
            })
            .await;
        let file = client
            .stored_recording(&name)
            .get_stored_file()
            .await
            .expect("getStoredFile");
        client
            .stored_recording(&name)
            .delete_stored()
            .await
            .expect("deleteStored");
        client
            .channel(&snoop.id)
            .hangup()
            .await
            .expect("hangup snoop");
        let level = wav_level(&file.bytes);
        println!("audio level of {id} ({direction:?}, {window:?}): {level:.1}");
        level
    }

    /// Waits for an event of `kind` about channel `id`.
    pub async fn channel_event(&mut self, kind: &str, id: &str) -> Value {
        self.object_event(kind, "channel", id).await
    }

    /// Waits for an event of type `kind` about the `object` (`channel`, `bridge`, `playback`,
    /// `recording`: the event's property) whose id is `id` — its `name` for a recording.
    pub async fn object_event(&mut self, kind: &str, object: &str, id: &str) -> Value {
        let key = if object == "recording" { "name" } else { "id" };
        self.events.wait_for(kind, |e| e[object][key] == id).await
    }
}
