//! Configuration of the events connection: URL, applications, authentication, TLS, timings.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::backoff::ReconnectPolicy;
use super::error::EventsError;
use super::payload::EventPayload;
use super::registry::Registry;
use super::stream::{EventStream, EventsHandle};
use crate::client::AuthMode;
use crate::request::encode_query_component;
use crate::{Client, Event};

/// The longest application name Asterisk accepts on the events WebSocket.
pub const MAX_APP_NAME_LEN: usize = 73;

/// Builds and opens an events connection: `ws(s)://host:port/ari/events?app=...`.
///
/// Usually made by [`Client::events`], which configures it like the client (base URL, credentials, TLS, user
/// agent), decodes the generated [`Event`] and registers the connection so handles can take per-object streams.
/// [`EventsBuilder::new`] makes one without a client, for any [`EventPayload`] type:
///
/// ```no_run
/// # async fn demo() -> Result<(), ari_sdk::events::EventsError> {
/// use ari_sdk::events::{EventsBuilder, RawEvent, StreamItem};
/// use futures::StreamExt;
///
/// let mut events = EventsBuilder::<RawEvent>::new("http://127.0.0.1:8088/ari")
///     .app("my-app")
///     .basic_auth("asterisk", "secret")
///     .connect()
///     .await?;
/// while let Some(item) = events.next().await {
///     match item? {
///         StreamItem::Event(event) => println!("{}", event.type_name()),
///         StreamItem::Gap(gap) => println!("reconnected; events may be missing for {:?}", gap.duration()),
///         StreamItem::Lagged { missed } => println!("too slow: {missed} events dropped"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "an events builder does nothing until `.connect()` is awaited"]
pub struct EventsBuilder<E = Event> {
    /// Where the connection's URL, credentials, user agent and TLS come from.
    source: Source,
    pub(crate) settings: Settings,
    /// The client's registry of connections, when made by [`Client::events`](crate::Client::events).
    registry: Option<Registry>,
    _event: PhantomData<fn() -> E>,
}

/// Where an events connection takes its URL, credentials, user agent and TLS from: always one parsed
/// [`Client`] configuration, either the client the builder was made from or one built at connect from what was
/// given to [`EventsBuilder::new`] and its setters.
#[derive(Clone)]
struct Source {
    /// The client of [`Client::events`]; `None` for [`EventsBuilder::new`].
    client: Option<Client>,
    /// The base URL given to [`EventsBuilder::new`] (the client's otherwise).
    base_url: String,
    /// Credentials set on the builder, replacing the client's.
    credentials: Option<(String, String)>,
    /// `credentials_in_query` as set on the builder.
    in_query: Option<bool>,
    /// A rustls configuration set on the builder.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Source {
    /// The client whose configuration the connection uses: the builder's own client when nothing was changed on
    /// the builder, else one built from the base URL with the builder's settings over the client's.
    fn resolve(&self) -> Result<Client, EventsError> {
        if let Some(client) = &self.client {
            if self.credentials.is_none() && self.in_query.is_none() && self.tls.is_none() {
                return Ok(client.clone());
            }
        }
        let base = http_base_url(&self.base_url)?;
        let mut builder = match &self.client {
            Some(client) => client.builder_like(),
            None => Client::builder(base),
        };
        let inherited = self.client.as_ref().and_then(|c| c.credentials()).map(|c| {
            (
                (c.username.clone(), c.password.clone()),
                c.mode == AuthMode::ApiKey,
            )
        });
        let credentials = self
            .credentials
            .clone()
            .or_else(|| inherited.as_ref().map(|(c, _)| c.clone()));
        let in_query = self.in_query.or(inherited.map(|(_, q)| q)).unwrap_or(false);
        if let Some((user, password)) = credentials {
            builder = if in_query {
                builder.api_key(user, password)
            } else {
                builder.basic_auth(user, password)
            };
        }
        if let Some(tls) = &self.tls {
            builder = builder.rustls_config(Arc::clone(tls));
        }
        builder
            .build()
            .map_err(|e| EventsError::InvalidConfig(e.to_string()))
    }
}

/// The REST base URL for an events base URL: `ws://` → `http://`, `wss://` → `https://`, a trailing `/events`
/// removed (it is appended again).
fn http_base_url(base: &str) -> Result<String, EventsError> {
    let base = base.trim();
    let Some((scheme, rest)) = base.split_once("://") else {
        return Err(EventsError::InvalidConfig(
            "the base URL has no scheme (expected http://host:port/ari)".to_owned(),
        ));
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "http",
        "https" | "wss" => "https",
        other => {
            return Err(EventsError::InvalidConfig(format!(
                "base URL scheme `{other}` is not http, https, ws or wss"
            )))
        }
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix("/events").unwrap_or(rest);
    Ok(format!("{scheme}://{rest}"))
}

/// Everything the connection task needs, independent of the event type.
#[derive(Clone)]
pub(crate) struct Settings {
    /// The client whose configuration (URL, credentials, user agent, TLS, HTTP connection pool) the WebSocket
    /// upgrade goes through; `None` for a connection accepted by the [outbound listener](crate::outbound), which
    /// is never redialled: it ends when it is lost.
    pub(crate) client: Option<Client>,
    /// What the connection is called in logs and errors (the events URL with credentials redacted, or the peer
    /// of an accepted connection).
    pub(crate) label: String,
    pub(crate) apps: Vec<String>,
    pub(crate) subscribe_all: bool,
    pub(crate) reconnect: ReconnectPolicy,
    pub(crate) ping_interval: Duration,
    pub(crate) pong_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) capacity: usize,
    /// The request that checks at connect that the server answers REST over this socket, when the client sends
    /// REST over WebSocket.
    pub(crate) rest_probe: Option<crate::request::Request>,
    /// Where the resync after each reconnect reads the state; `None`: no resync.
    pub(crate) resync: Option<Arc<dyn super::resync::StateSource>>,
}

impl<E> Clone for EventsBuilder<E> {
    fn clone(&self) -> Self {
        EventsBuilder {
            source: self.source.clone(),
            settings: self.settings.clone(),
            registry: self.registry.clone(),
            _event: PhantomData,
        }
    }
}

impl<E> fmt::Debug for EventsBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        let source = &self.source;
        f.debug_struct("EventsBuilder")
            .field("base_url", &source.base_url)
            .field("client", &source.client)
            .field("apps", &s.apps)
            .field("subscribe_all", &s.subscribe_all)
            .field("username", &source.credentials.as_ref().map(|c| &c.0))
            .field("credentials_in_query", &source.in_query)
            .field("custom_tls", &source.tls.is_some())
            .field("reconnect", &s.reconnect)
            .field("ping_interval", &s.ping_interval)
            .field("pong_timeout", &s.pong_timeout)
            .field("connect_timeout", &s.connect_timeout)
            .field("capacity", &s.capacity)
            .field("registered_with_client", &self.registry.is_some())
            .field("resync", &s.resync.is_some())
            .finish()
    }
}

impl<E: EventPayload> EventsBuilder<E> {
    /// A builder for the ARI at `base_url`, the same base URL as the REST client's: `http://host:8088/ari`
    /// (`https://` gives `wss://`; `ws://`/`wss://` are accepted as they are). `/events` is appended unless the
    /// path already ends with it.
    ///
    /// At connect, a [`Client`] is built from the base URL and the builder's credentials and TLS settings, and
    /// the WebSocket upgrade goes through it, exactly as if it had been made by [`Client::events`].
    pub fn new(base_url: impl Into<String>) -> Self {
        EventsBuilder {
            source: Source {
                client: None,
                base_url: base_url.into(),
                credentials: None,
                in_query: None,
                tls: None,
            },
            settings: Settings {
                client: None,
                label: String::new(),
                apps: Vec::new(),
                subscribe_all: false,
                reconnect: ReconnectPolicy::default(),
                ping_interval: Duration::from_secs(5),
                pong_timeout: Duration::from_secs(5),
                connect_timeout: Duration::from_secs(10),
                close_timeout: Duration::from_secs(1),
                capacity: 1024,
                rest_probe: None,
                resync: None,
            },
            registry: None,
            _event: PhantomData,
        }
    }

    /// A builder configured from `client`: the upgrade goes through the client's HTTP stack, with its base URL,
    /// credentials (Basic, or `api_key` in the query when the client uses
    /// [`api_key`](crate::ClientBuilder::api_key)), TLS (extra roots,
    /// [`danger_accept_invalid_certs`](crate::ClientBuilder::danger_accept_invalid_certs), the TLS back end and
    /// its trust store) and user agent; the connection is registered with the client.
    pub(crate) fn from_client(client: &Client) -> Self {
        let mut builder = EventsBuilder::new(client.base_url());
        builder.source.client = Some(client.clone());
        if client.transport() == crate::Transport::WebSocket {
            builder.settings.rest_probe = Some(client.asterisk().ping().into_request());
        }
        builder.registry = Some(client.event_registry().clone());
        builder.settings.resync = Some(Arc::new(client.clone()));
        builder
    }

    /// The same configuration for another event type, e.g. [`RawEvent`](super::RawEvent) for untyped JSON. The
    /// connection stays registered with the client, but per-object streams of handles
    /// (`client.channel(id).events()`) only use a connection of the generated [`Event`].
    pub fn with_event_type<E2: EventPayload>(self) -> EventsBuilder<E2> {
        EventsBuilder {
            source: self.source,
            settings: self.settings,
            registry: self.registry,
            _event: PhantomData,
        }
    }

    /// Whether the connection is registered with the [`Client`] it was made from (default: yes, for a builder from
    /// [`Client::events`]; a builder from [`EventsBuilder::new`] has no client). Handles of that client
    /// (`client.channel(id).events()`, `client.bridge(id).events()`, ...) take their per-object streams from the one
    /// registered connection that is open; register only one.
    pub fn register_with_client(mut self, yes: bool) -> Self {
        if !yes {
            self.registry = None;
        }
        self
    }

    /// Adds one Stasis application to receive events for.
    pub fn app(mut self, name: impl Into<String>) -> Self {
        self.settings.apps.push(name.into());
        self
    }

    /// Adds Stasis applications (one connection serves them all; each event names its `application`).
    pub fn apps<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.apps.extend(names.into_iter().map(Into::into));
        self
    }

    /// Subscribes the applications to all event sources (`subscribeAll=true`), not only their own channels.
    pub fn subscribe_all(mut self, yes: bool) -> Self {
        self.settings.subscribe_all = yes;
        self
    }

    /// The ARI user and password, sent as an `Authorization: Basic` header. On a builder from
    /// [`Client::events`] this replaces the client's credentials for this connection (the upgrade then goes
    /// through a client built like that one, with these credentials).
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.source.credentials = Some((username.into(), password.into()));
        self
    }

    /// Sends the credentials as the `api_key=user:password` query parameter instead of a header. Only for servers
    /// or proxies that need it: URLs end up in logs more often than headers do.
    pub fn credentials_in_query(mut self, yes: bool) -> Self {
        self.source.in_query = Some(yes);
        self
    }

    /// The rustls configuration for `wss://` (needs the `rustls-tls` feature; without this, the TLS back end's
    /// defaults apply: the webpki roots with rustls, the platform's store with `native-tls`). Usually not needed:
    /// [`ClientBuilder::add_root_certificate_pem`](crate::ClientBuilder::add_root_certificate_pem) on the client
    /// applies to REST and the event socket alike.
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.source.tls = Some(config);
        self
    }

    setters! {
        /// How to reconnect after losing the connection (default: [`ReconnectPolicy::default`]).
        reconnect(policy: ReconnectPolicy) => settings.reconnect = policy;

        /// How often a WebSocket ping is sent (default 5 s; zero is taken as 1 ms).
        ping_interval(interval: Duration) => settings.ping_interval = interval.max(Duration::from_millis(1));

        /// How long after a ping the connection is declared dead if nothing at all has arrived (default 5 s; zero is
        /// taken as 1 ms). A frozen server is detected within `ping_interval + pong_timeout` of its last message.
        pong_timeout(timeout: Duration) => settings.pong_timeout = timeout.max(Duration::from_millis(1));

        /// The limit for one connection attempt: TCP, TLS and the WebSocket handshake (default 10 s).
        connect_timeout(timeout: Duration) => settings.connect_timeout = timeout.max(Duration::from_millis(1));

        /// How many items each subscriber may have waiting before the oldest are dropped and reported as
        /// [`StreamItem::Lagged`](super::StreamItem::Lagged) (default 1024; at least 1).
        buffer_capacity(capacity: usize) => settings.capacity = capacity.max(1);
    }

    /// Whether to resync after each reconnect (default: yes for a builder from
    /// [`Client::events`](crate::Client::events), which reads the state through that client; no for
    /// [`EventsBuilder::new`], which has no REST client — see [`resync_with`](Self::resync_with)).
    ///
    /// Asterisk does not replay the events it sent while the socket was down. A resync asks it, right after the
    /// reconnect, what the applications hold (`GET /applications/{app}`, and one `GET` per followed object that
    /// is in none of them): every per-object stream whose object ended meanwhile yields
    /// [`StreamItem::EndedInGap`](super::StreamItem::EndedInGap) and ends, and every broad stream gets a
    /// [`StreamItem::Resync`](super::StreamItem::Resync) listing those and the channels and bridges that
    /// appeared in the applications while no event could arrive. `false` turns it off: then only the
    /// [`Gap`](super::StreamItem::Gap) says events may be missing, and a stream whose end event was missed stays
    /// open.
    pub fn resync(mut self, yes: bool) -> Self {
        if !yes {
            self.settings.resync = None;
        }
        self
    }

    /// Resyncs after each reconnect (see [`resync`](Self::resync)), reading the state through `client`.
    pub fn resync_with(mut self, client: &Client) -> Self {
        self.settings.resync = Some(Arc::new(client.clone()));
        self
    }

    /// The events URL this builder connects to, with credentials redacted; an error if the configuration is
    /// invalid.
    pub fn url(&self) -> Result<String, EventsError> {
        let client = self.source.resolve()?;
        Ok(events_url(&client, &self.settings)?.redacted)
    }

    /// The settings with the client the connection goes through.
    fn resolved(self) -> Result<(Settings, Option<Registry>), EventsError> {
        let client = self.source.resolve()?;
        let mut settings = self.settings;
        settings.label = events_url(&client, &settings)?.redacted;
        settings.client = Some(client);
        Ok((settings, self.registry))
    }

    /// Connects (once; an error here is returned as it is, for example a 401 or an unreachable server) and starts
    /// the connection task, which from then on reconnects by itself. Returns the stream of all events; more
    /// subscriptions come from [`EventStream::handle`]. Must be called within a Tokio runtime (otherwise an
    /// [`EventsError::InvalidConfig`]).
    ///
    /// For a client that sends REST over WebSocket ([`Transport::WebSocket`](crate::Transport::WebSocket)) this
    /// connection carries the client's requests, and `connect` first checks that the server answers one (`GET
    /// /asterisk/ping`) within the connect timeout: [`EventsError::RestUnsupported`] when it does not.
    pub async fn connect(self) -> Result<EventStream<E>, EventsError> {
        let (settings, registry) = self.resolved()?;
        let probe = settings.rest_probe.clone();
        let waited = settings.connect_timeout;
        let stream = super::connection::connect(settings).await?;
        if let Some(request) = probe {
            let sender = &stream.handle().guard.rest;
            if let Err(error) = super::rest::probe(sender, &request, waited).await {
                stream.handle().close();
                return Err(error);
            }
        }
        if let Some(registry) = &registry {
            registry.register(stream.handle());
        }
        Ok(stream)
    }

    /// Starts the connection task without waiting: the first connection is made in the background, retried
    /// under the reconnect policy (state [`Connecting`](super::ConnectionState::Connecting)), so an application
    /// may start before Asterisk does. Subscriptions taken from the handle before the connection is up see every
    /// event from the first one. Only configuration errors are returned here; connection errors show in the
    /// state, and as the final error of every stream if the policy gives up. Must be called within a Tokio
    /// runtime.
    pub fn start(self) -> Result<EventsHandle<E>, EventsError> {
        let (settings, registry) = self.resolved()?;
        let handle = super::connection::start(settings)?;
        if let Some(registry) = &registry {
            registry.register(&handle);
        }
        Ok(handle)
    }
}

/// The events URL of `settings` on `client`'s ARI: `…/events?app=a,b[&subscribeAll=true]`, plus the `api_key`
/// parameter when the client sends its credentials in the query; an error when an application name is invalid.
pub(crate) fn events_url(client: &Client, settings: &Settings) -> Result<UpgradeUrl, EventsError> {
    let invalid = |m: String| Err(EventsError::InvalidConfig(m));
    if settings.apps.is_empty() {
        return invalid("at least one application name is required".to_owned());
    }
    for app in &settings.apps {
        if app.is_empty() {
            return invalid("an application name is empty".to_owned());
        }
        if app.len() > MAX_APP_NAME_LEN {
            return invalid(format!(
                "application name `{app}` is {} bytes long; Asterisk accepts at most {MAX_APP_NAME_LEN}",
                app.len()
            ));
        }
        if app.contains(',') {
            return invalid(format!(
                "application name `{app}` contains a comma, which separates names on the wire"
            ));
        }
        if app.chars().any(char::is_control) {
            return invalid(format!(
                "application name {app:?} contains a control character"
            ));
        }
    }
    let base = client.base_url();
    let mut url = String::with_capacity(base.len() + 64);
    url.push_str(base);
    url.push_str("/events?app=");
    for (i, app) in settings.apps.iter().enumerate() {
        if i > 0 {
            url.push(',');
        }
        url.push_str(&encode_query_component(app).to_string());
    }
    if settings.subscribe_all {
        url.push_str("&subscribeAll=true");
    }
    let ws = if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        format!("ws://{}", url.strip_prefix("http://").unwrap_or(&url))
    };
    let redacted = match client.api_key_query() {
        Some(api_key) => {
            url.push('&');
            url.push_str(api_key);
            format!("{ws}&api_key=***")
        }
        None => ws,
    };
    // The message of a URL parse error never contains the URL (and so no api_key).
    let http = reqwest::Url::parse(&url)
        .map_err(|e| EventsError::InvalidConfig(format!("cannot form the events URL: {e}")))?;
    Ok(UpgradeUrl { http, redacted })
}

/// The URL of an events connection.
pub(crate) struct UpgradeUrl {
    /// The `http(s)://` URL the upgrade request goes to, with the `api_key` parameter if credentials go in the
    /// query.
    pub(crate) http: reqwest::Url,
    /// The `ws(s)://` form with credentials redacted, for errors and logs.
    pub(crate) redacted: String,
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::RawEvent;

    fn b(url: &str) -> EventsBuilder<RawEvent> {
        EventsBuilder::new(url)
    }

    #[test]
    fn urls() {
        let cases = [
            (
                "http://127.0.0.1:8088/ari",
                "ws://127.0.0.1:8088/ari/events?app=a",
            ),
            (
                "http://127.0.0.1:8088/ari/",
                "ws://127.0.0.1:8088/ari/events?app=a",
            ),
            (
                "HTTPS://pbx.example:8089/ari",
                "wss://pbx.example:8089/ari/events?app=a",
            ),
            ("ws://h:1/ari/events", "ws://h:1/ari/events?app=a"),
            ("wss://h", "wss://h/events?app=a"),
            (
                "  http://[::1]:8088/x/ari ",
                "ws://[::1]:8088/x/ari/events?app=a",
            ),
        ];
        for (base, want) in cases {
            assert_eq!(b(base).app("a").url().unwrap(), want, "{base}");
        }
        let u = b("http://h:8088/ari")
            .apps(["a b", "ü/x", "c"])
            .subscribe_all(true)
            .url()
            .unwrap();
        assert_eq!(
            u,
            "ws://h:8088/ari/events?app=a%20b,%C3%BC/x,c&subscribeAll=true"
        );
    }

    #[test]
    fn credentials_go_in_a_header_unless_asked() {
        let basic = b("http://h/ari").app("a").basic_auth("asterisk", "se:cret");
        let client = basic.source.resolve().unwrap();
        let url = events_url(&client, &basic.settings).unwrap();
        assert_eq!(url.http.as_str(), "http://h/ari/events?app=a");
        assert_eq!(
            client
                .authorization_header()
                .map(|v| v.to_str().expect("ascii")),
            Some("Basic YXN0ZXJpc2s6c2U6Y3JldA==")
        );
        let query = b("http://h/ari")
            .app("a")
            .basic_auth("ast risk", "p&w")
            .credentials_in_query(true);
        let client = query.source.resolve().unwrap();
        let url = events_url(&client, &query.settings).unwrap();
        assert_eq!(
            url.http.as_str(),
            "http://h/ari/events?app=a&api_key=ast%20risk:p%26w"
        );
        assert_eq!(url.redacted, "ws://h/ari/events?app=a&api_key=***");
        assert!(client.authorization_header().is_none());
        assert!(!format!("{:?}", b("http://h/ari").basic_auth("u", "hunter2")).contains("hunter2"));
    }

    #[test]
    fn a_builder_from_a_client_uses_that_client_unless_changed() {
        let client = Client::builder("https://pbx.example/ari")
            .api_key("u", "p")
            .build()
            .unwrap();
        let same = client.events().app("a");
        let resolved = same.source.resolve().unwrap();
        assert!(resolved.same_as(&client));
        assert_eq!(
            same.url().unwrap(),
            "wss://pbx.example/ari/events?app=a&api_key=***"
        );
        let header = client.events().app("a").credentials_in_query(false);
        let resolved = header.source.resolve().unwrap();
        assert!(!resolved.same_as(&client));
        assert_eq!(resolved.base_url(), "https://pbx.example/ari");
        assert!(resolved.authorization_header().is_some());
    }

    #[test]
    fn invalid_configurations_are_errors() {
        let long = "x".repeat(74);
        let bad = [
            b("http://h/ari"),
            b("http://h/ari").app(""),
            b("http://h/ari").app(long.as_str()),
            b("http://h/ari").app("a,b"),
            b("http://h/ari").app("a\nb"),
            b("h:8088/ari").app("a"),
            b("ftp://h/ari").app("a"),
            b("http://u:p@h/ari").app("a"),
            b("http://h/ari?x=1").app("a"),
            b("http://h h/ari").app("a"),
        ];
        for builder in bad {
            let e = builder.url().unwrap_err();
            assert!(
                matches!(e, EventsError::InvalidConfig(_)),
                "{builder:?}: {e}"
            );
        }
        assert!(b("http://h/ari").app("x".repeat(73)).url().is_ok());
    }
}
