//! Shared helpers for the live suite: connection settings, unique names, HTTP and events.
//!
//! Every live test starts with [`connect`]. It finds the Asterisk to test against — the
//! environment's `ARI_URL`, `ARI_USER`, `ARI_PASSWORD` when `ARI_URL` is set, else the settings
//! file written by `cargo xtask asterisk up` — and pings it. Without a reachable Asterisk the test
//! fails with a message saying how to start one: live tests never skip.
//!
//! Tests run in parallel against one Asterisk, so every application name and id comes from
//! [`Ari::unique`], and what a test creates is deleted by a [`Cleanup`] guard, even when the
//! test panics.

#![warn(missing_docs)]

pub mod app_rig;
pub mod bounded;
pub mod cleanup;
pub mod coverage;
pub mod live;
pub mod load;
pub mod proxy;
pub mod sip;

pub use bounded::{first_error, poll_until, within};
pub use cleanup::Cleanup;
pub use live::{connect_suite, encode, AppEvents, Scene};

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
pub use xtask::settings::SandboxSettings;

/// What a live test connects to.
#[derive(Debug, Clone)]
pub struct Target {
    /// ARI base URL, e.g. `http://127.0.0.1:8088/ari`.
    pub url: String,
    /// The read/write ARI user.
    pub user: String,
    /// Its password.
    pub password: String,
    /// A read-only ARI user and password, when known.
    pub read_only: Option<(String, String)>,
    /// Prefix for unique application names and ids.
    pub app_prefix: String,
    /// The dialplan context with the sandbox's test extensions.
    pub context: String,
    /// The Asterisk version the target must run (`22.10.1`), when known.
    pub expected_version: Option<String>,
    /// Where the settings came from, for messages.
    pub source: String,
}

const HOW_TO_START: &str = "Start the sandbox Asterisk with `cargo xtask asterisk up` (as root), \
     or point the live tests at another Asterisk with ARI_URL, ARI_USER and ARI_PASSWORD \
     (plus ARI_READ_ONLY_USER/ARI_READ_ONLY_PASSWORD, ARI_CONTEXT and ARI_EXPECT_VERSION).";

impl Target {
    /// The target from the environment or the sandbox settings file; panics (with how to start
    /// an Asterisk) when there is neither.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(url) = var("ARI_URL") {
            let read_only = var("ARI_READ_ONLY_USER").zip(var("ARI_READ_ONLY_PASSWORD"));
            return Self {
                url: url.trim_end_matches('/').to_owned(),
                user: var("ARI_USER").unwrap_or_else(|| {
                    panic!("ARI_URL is set but ARI_USER is not. {HOW_TO_START}")
                }),
                password: var("ARI_PASSWORD").unwrap_or_else(|| {
                    panic!("ARI_URL is set but ARI_PASSWORD is not. {HOW_TO_START}")
                }),
                read_only,
                app_prefix: var("ARI_APP_PREFIX").unwrap_or_else(|| "ari-sdk-test".to_owned()),
                context: var("ARI_CONTEXT").unwrap_or_else(|| "ari-sdk".to_owned()),
                expected_version: var("ARI_EXPECT_VERSION"),
                source: "the ARI_URL/ARI_USER/ARI_PASSWORD environment".to_owned(),
            };
        }
        let path = xtask::settings::settings_path();
        let settings = match xtask::settings::read_settings() {
            Ok(Some(settings)) => settings,
            Ok(None) => panic!(
                "No Asterisk to test against: ARI_URL is not set and there is no sandbox settings \
                 file at {}. {HOW_TO_START}",
                path.display()
            ),
            Err(err) => panic!("Cannot read the sandbox settings: {err:#}. {HOW_TO_START}"),
        };
        Self::from_settings(settings, &path)
    }

    /// The target a sandbox settings file (read from `path`) describes.
    pub fn from_settings(settings: SandboxSettings, path: &std::path::Path) -> Self {
        Self {
            url: settings.url,
            user: settings.user,
            password: settings.password,
            read_only: Some((settings.read_only_user, settings.read_only_password)),
            app_prefix: settings.app_prefix,
            context: settings.dialplan_context,
            expected_version: Some(settings.expected_version),
            source: format!("the sandbox settings file {}", path.display()),
        }
    }
}

/// A connection to the Asterisk under test.
#[derive(Debug, Clone)]
pub struct Ari {
    /// Where it is and who we are.
    pub target: Target,
    /// A plain HTTP client (no proxy: the target is local).
    pub http: reqwest::Client,
}

/// Finds the target, checks that it answers `GET /asterisk/ping`, and returns a connection.
///
/// Panics with instructions when no Asterisk answers.
pub async fn connect() -> Ari {
    connect_to(Target::from_env()).await
}

/// The environment variable naming the settings file of a second sandbox Asterisk, for the tests that use two
/// servers at once; `.sandbox/ari-16.json` of the workspace when unset.
pub const SECOND_SANDBOX_ENV: &str = "ARI_SECOND_SANDBOX_SETTINGS";

/// A second Asterisk besides [`connect`]'s (see [`SECOND_SANDBOX_ENV`]): `cargo xtask asterisk up --asterisk 16`
/// next to the default sandbox. Panics with what to start when it is not there.
pub async fn connect_second() -> Ari {
    let path = std::env::var_os(SECOND_SANDBOX_ENV)
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            xtask::workspace_root()
                .join(".sandbox")
                .join(xtask::asterisk::Server::Asterisk16.settings_file())
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "this test needs a second Asterisk: no settings at {} ({e}); start it with              `cargo xtask asterisk up --asterisk 16` or name its settings file in {SECOND_SANDBOX_ENV}",
            path.display()
        )
    });
    let settings: SandboxSettings =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    connect_to(Target::from_settings(settings, &path)).await
}

/// Checks that `target` answers `GET /asterisk/ping` and returns a connection to it.
pub async fn connect_to(target: Target) -> Ari {
    bounded::watch_this_test();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("building an HTTP client");
    let ari = Ari { target, http };
    let url = ari.url("asterisk/ping");
    match ari.get("asterisk/ping").await {
        Ok(response) if response.status() == reqwest::StatusCode::OK => ari,
        Ok(response) => panic!(
            "GET {url} answered {} (settings from {}). {HOW_TO_START}",
            response.status(),
            ari.target.source
        ),
        Err(err) => panic!(
            "No Asterisk answers at {url} ({err}; settings from {}). {HOW_TO_START}",
            ari.target.source
        ),
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Ari {
    /// `<base>/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.target.url, path.trim_start_matches('/'))
    }

    /// A name no other test (in this or another run) uses: `<prefix>-<what>-<pid>-<n>`,
    /// at most 73 characters (ARI's limit for application names).
    pub fn unique(&self, what: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = format!(
            "{}-{what}-{}-{n}",
            self.target.app_prefix,
            std::process::id()
        );
        name.truncate(73);
        name
    }

    /// The major version of the Asterisk under test, as it reports itself
    /// (`GET /asterisk/info`): tests whose operation or behaviour differs between the versions
    /// the SDK covers branch on it (16 lacks some operations; see tests/FINDINGS.md).
    pub async fn major(&self) -> u32 {
        let info = self.get_json("asterisk/info").await;
        let version = numeric_version(info["system"]["version"].as_str().unwrap_or_default());
        version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or_else(|| panic!("GET /asterisk/info: no major version in {info}"))
    }

    /// A request with the read/write user's credentials.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .basic_auth(&self.target.user, Some(&self.target.password))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Result<reqwest::Response> {
        self.request(reqwest::Method::GET, path).send().await
    }

    /// `GET path`, expecting 200 and JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .get(path)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        expect_json(response, 200, &format!("GET {path}")).await
    }

    /// `POST path?query`.
    pub async fn post(&self, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
        self.request(reqwest::Method::POST, path)
            .query(query)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `POST path?query` with a JSON body.
    pub async fn post_json(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &Value,
    ) -> reqwest::Response {
        self.request(reqwest::Method::POST, path)
            .query(query)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DELETE {path}: {e}"))
    }

    /// Opens the events WebSocket for `apps` (subprotocol `ari`, Basic auth) and waits until
    /// Asterisk lists every app, so originating into them right away cannot race.
    pub async fn events(&self, apps: &[&str]) -> Events {
        let joined = apps.join(",");
        let socket = self
            .open_events_socket(&format!("app={joined}"))
            .await
            .unwrap_or_else(|e| panic!("connecting the events WebSocket for {joined}: {e}"));
        self.wait_registered(apps).await;
        Events {
            socket,
            seen: Vec::new(),
        }
    }

    /// Waits until Asterisk lists every app in `GET /applications/{app}` (it registers an app
    /// when its WebSocket is established), so originating into them right away cannot race;
    /// at most [`REGISTER_TIMEOUT`] for all of them (raw HTTP: not counted as coverage).
    pub async fn wait_registered(&self, apps: &[&str]) {
        let what = format!("applications {apps:?} listed in GET /applications/{{app}}");
        poll_until(
            &what,
            REGISTER_TIMEOUT,
            Duration::from_millis(20),
            || async {
                for app in apps {
                    let listed = self
                        .get(&format!("applications/{}", encode(app)))
                        .await
                        .is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
                    if !listed {
                        return None;
                    }
                }
                Some(())
            },
        )
        .await;
    }

    /// Opens `ws://…/ari/events?<query>` with the read/write user; the error keeps the HTTP
    /// answer when the upgrade is refused.
    pub async fn open_events_socket(
        &self,
        query: &str,
    ) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, tokio_tungstenite::tungstenite::Error>
    {
        let base = self
            .target
            .url
            .replacen("http://", "ws://", 1)
            .replacen("https://", "wss://", 1);
        let mut request = format!("{base}/events?{query}").into_client_request()?;
        let credentials = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.target.user, self.target.password));
        let headers = request.headers_mut();
        headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static("ari"));
        headers.insert(
            "Authorization",
            HeaderValue::from_str(&format!("Basic {credentials}")).expect("valid header"),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request).await?;
        let protocol = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        assert_eq!(
            protocol,
            Some("ari"),
            "the server must accept subprotocol `ari`"
        );
        Ok(socket)
    }

    /// A guard that deletes, when dropped, what was registered with it (see [`Cleanup`]).
    pub fn cleanup(&self) -> Cleanup {
        Cleanup::new(self)
    }
}

/// Reads a response, checking its status and that the body is JSON.
pub async fn expect_json(response: reqwest::Response, status: u16, what: &str) -> Value {
    let got = response.status();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(
        got.as_u16(),
        status,
        "{what}: unexpected status; body: {body}"
    );
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: body is not JSON ({e}): {body}"))
}

/// A stream of JSON events that keeps everything it received, for failure messages.
#[allow(async_fn_in_trait, reason = "implemented and used by these tests only")]
pub trait JsonEvents {
    /// The next event, or `None` after `timeout` (or when the stream ended).
    async fn next_event(&mut self, timeout: Duration) -> Option<Value>;

    /// Every event received so far.
    fn seen_events(&self) -> &[Value];

    /// The first event of type `kind` that also satisfies `matches` within `timeout`, skipping
    /// the others; `None` when none comes.
    async fn next_matching(
        &mut self,
        kind: &str,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_event(left).await {
                Some(event) if event["type"] == kind && matches(&event) => return Some(event),
                Some(_) => continue,
                None => return None,
            }
        }
    }

    /// [`next_matching`](Self::next_matching), panicking with the events seen when none comes.
    async fn wait_for_event(
        &mut self,
        kind: &str,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        match self.next_matching(kind, timeout, matches).await {
            Some(event) => event,
            None => {
                let seen: Vec<String> = self.seen_events().iter().map(describe_event).collect();
                panic!("no matching {kind} event within {timeout:?}; events seen: {seen:#?}");
            }
        }
    }
}

/// An event in one line for failure messages: its type and the ids of what it is about.
pub fn describe_event(event: &Value) -> String {
    let mut out = event["type"].as_str().unwrap_or("?").to_owned();
    for key in ["channel", "bridge", "playback", "recording"] {
        if let Some(id) = event[key]["id"].as_str().or(event[key]["name"].as_str()) {
            out.push_str(&format!(" {key}={id}"));
        }
    }
    out
}

/// Sends DTMF with `send` until the far end of `channel` (an extension that echoes digits, but
/// may not listen yet) sends one back: at most 20 tries, 700 ms each. Returns the
/// `ChannelDtmfReceived`; panics naming `what` when none comes.
pub async fn until_dtmf_echoed<F: std::future::Future<Output = ()>>(
    events: &mut impl JsonEvents,
    channel: &str,
    mut send: impl FnMut() -> F,
    what: &str,
) -> Value {
    for _ in 0..20 {
        send().await;
        let echoed = events
            .next_matching("ChannelDtmfReceived", Duration::from_millis(700), |e| {
                e["channel"]["id"] == channel
            })
            .await;
        if let Some(event) = echoed {
            return event;
        }
    }
    panic!("{what} never sent a DTMF digit back on channel {channel} (20 tries)");
}

/// The events of one WebSocket, with everything received kept for failure messages.
pub struct Events {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    seen: Vec<Value>,
}

impl Events {
    /// The next event, or `None` after `timeout` (or when the socket closed).
    pub async fn next(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??;
            match message.expect("reading the events WebSocket") {
                Message::Text(text) => {
                    let event: Value = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("event is not JSON ({e}): {}", text.as_str()));
                    self.seen.push(event.clone());
                    return Some(event);
                }
                Message::Ping(payload) => {
                    let _ = self.socket.send(Message::Pong(payload)).await;
                }
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// Waits (up to `timeout`) for an event of type `kind` that also satisfies `matches`;
    /// panics listing the events seen when none comes.
    pub async fn wait_for(
        &mut self,
        kind: &str,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        self.wait_for_event(kind, timeout, matches).await
    }

    /// Closes the socket politely.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

impl JsonEvents for Events {
    async fn next_event(&mut self, timeout: Duration) -> Option<Value> {
        self.next(timeout).await
    }

    fn seen_events(&self) -> &[Value] {
        &self.seen
    }
}

/// The numeric part of a version string: `22.10.1+dfsg+~cs6-1` → `22.10.1`.
pub fn numeric_version(full: &str) -> String {
    full.chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<String>()
        .trim_end_matches('.')
        .to_owned()
}

/// How long to wait for an event that should come at once.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long Asterisk may take to list an application once its WebSocket is connected.
pub const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);
