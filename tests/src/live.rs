//! Helpers for tests that drive ARI through the SDK: a [`Scene`] is one test's Stasis
//! application, its events (through the SDK's events WebSocket), an SDK [`Client`] whose
//! requests are recorded for live coverage, and a cleanup guard.

use std::time::Duration;

use ari_sdk::events::{EventStream, EventsBuilder, RawEvent, StreamItem};
use ari_sdk::request::{Method, Request};
use ari_sdk::{Client, Transport};
use futures::StreamExt as _;
use serde_json::Value;

use crate::{connect, coverage, Ari, EVENT_TIMEOUT};

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
        for app in apps {
            self.wait_until_registered(app).await;
        }
        AppEvents {
            stream,
            seen: Vec::new(),
        }
    }

    /// Waits until `GET /applications/{app}` answers 200 (raw HTTP: not counted as coverage).
    pub async fn wait_until_registered(&self, app: &str) {
        let path = format!("applications/{}", encode(app));
        for _ in 0..200 {
            if self
                .get(&path)
                .await
                .map(|r| r.status() == reqwest::StatusCode::OK)
                .unwrap_or(false)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("application {app} never appeared in GET /applications");
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

    /// Waits (up to `timeout`) for an event of type `kind` that also satisfies `matches`;
    /// panics listing the events seen when none comes.
    pub async fn wait_for_within(
        &mut self,
        kind: &str,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(event) if event["type"] == kind && matches(&event) => return event,
                Some(_) => continue,
                None => {
                    let seen: Vec<String> = self.seen.iter().map(describe).collect();
                    panic!("no matching {kind} event within {timeout:?}; events seen: {seen:#?}");
                }
            }
        }
    }

    /// [`wait_for_within`](Self::wait_for_within) with [`EVENT_TIMEOUT`].
    pub async fn wait_for(&mut self, kind: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_within(kind, EVENT_TIMEOUT, matches).await
    }

    /// Every event received so far.
    pub fn seen(&self) -> &[Value] {
        &self.seen
    }
}

fn describe(event: &Value) -> String {
    let mut out = event["type"].as_str().unwrap_or("?").to_owned();
    for key in ["channel", "bridge", "playback", "recording"] {
        if let Some(id) = event[key]["id"].as_str().or(event[key]["name"].as_str()) {
            out.push_str(&format!(" {key}={id}"));
        }
    }
    out
}

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

    /// `Local/<exten>@<context>`.
    pub fn local(&self, exten: &str) -> String {
        format!("Local/{exten}@{}", self.ari.target.context)
    }

    /// Originates `Local/<exten>@<context>` into this scene's application with a unique
    /// channel id (the other half gets `<id>-2`), waits for its StasisStart and registers both
    /// halves for cleanup. Returns the id of the half in Stasis.
    pub async fn channel(&mut self, exten: &str) -> String {
        let id = self.unique("chan");
        let other = format!("{id}-2");
        self.cleanup.channel(&id);
        self.cleanup.channel(&other);
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

    /// Waits for the StasisStart of channel `id`.
    pub async fn stasis_start(&mut self, id: &str) -> Value {
        self.events
            .wait_for("StasisStart", |e| e["channel"]["id"] == id)
            .await
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
            .spy(direction)
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
        wav_level(&file.bytes)
    }

    /// Waits for an event of `kind` about channel `id`.
    pub async fn channel_event(&mut self, kind: &str, id: &str) -> Value {
        self.events
            .wait_for(kind, |e| e["channel"]["id"] == id)
            .await
    }
}

/// Deletes what a test registered when dropped (errors are ignored: already gone). Requests
/// go over raw HTTP, so they do not count as coverage.
pub struct Cleanup {
    ari: Ari,
    requests: Vec<(reqwest::Method, String)>,
}

impl Cleanup {
    /// An empty guard.
    pub fn new(ari: &Ari) -> Self {
        Cleanup {
            ari: ari.clone(),
            requests: Vec::new(),
        }
    }

    /// Sends `method path` (already encoded, relative to the base URL) at the end.
    pub fn request(&mut self, method: reqwest::Method, path: String) {
        self.requests.push((method, path));
    }

    /// Hang up this channel.
    pub fn channel(&mut self, id: &str) {
        self.request(reqwest::Method::DELETE, format!("channels/{}", encode(id)));
    }

    /// Destroy this bridge.
    pub fn bridge(&mut self, id: &str) {
        self.request(reqwest::Method::DELETE, format!("bridges/{}", encode(id)));
    }

    /// Cancel this live recording (if it still runs), then delete the stored recording of that
    /// name.
    pub fn recording(&mut self, name: &str) {
        self.request(
            reqwest::Method::DELETE,
            format!("recordings/live/{}", encode(name)),
        );
        self.stored_recording(name);
    }

    /// Delete this stored recording.
    pub fn stored_recording(&mut self, name: &str) {
        self.request(
            reqwest::Method::DELETE,
            format!("recordings/stored/{}", encode(name)),
        );
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.requests.is_empty() {
            return;
        }
        let target = self.ari.target.clone();
        let requests = std::mem::take(&mut self.requests);
        // A blocking client may not run on the async runtime's thread: use a thread of its own.
        let worker = std::thread::spawn(move || {
            let Ok(client) = reqwest::blocking::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(5))
                .build()
            else {
                return;
            };
            for (method, path) in requests {
                let _ = client
                    .request(method, format!("{}/{path}", target.url))
                    .basic_auth(&target.user, Some(&target.password))
                    .send();
            }
        });
        let _ = worker.join();
    }
}
