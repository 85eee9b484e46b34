//! [`Client`] and [`ClientBuilder`]: configuration and the HTTP transport.

mod http;
mod websocket;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

use futures::FutureExt as _;

use crate::capabilities::{self, Capabilities, Learner};
use crate::error::{Error, Result};
use crate::request::{encode_query_component, Request};
use crate::response::{Binary, BinaryStream};
use crate::transport::{self, Exchange, RawResponse, ResponseKind};

/// `User-Agent` sent unless configured otherwise.
const DEFAULT_USER_AGENT: &str = concat!("ari-sdk/", env!("CARGO_PKG_VERSION"));
/// Connect timeout of the HTTP client the builder makes.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Per-request timeout unless configured otherwise.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a streamed download may go without a byte unless configured otherwise.
const DEFAULT_DOWNLOAD_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one Asterisk's ARI.
///
/// Cheap to clone (an [`Arc`] inside); clones share the configuration and the connection pool.
///
/// ```no_run
/// # async fn demo() -> ari_sdk::Result<()> {
/// let client = ari_sdk::Client::builder("http://127.0.0.1:8088/ari")
///     .basic_auth("asterisk", "secret")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` for the client of an outbound connection, which has no HTTP endpoint.
    http: Option<reqwest::Client>,
    /// Normalised base URL without a trailing slash, e.g. `http://127.0.0.1:8088/ari`.
    base_url: String,
    credentials: Option<Credentials>,
    /// `Basic …` for [`AuthMode::Basic`].
    authorization: Option<HeaderValue>,
    /// `api_key=user:pass`, encoded, for [`AuthMode::ApiKey`].
    api_key_query: Option<String>,
    request_timeout: Option<Duration>,
    /// The longest a streamed download ([`ClientBuilder::download_idle_timeout`]) may go without a byte.
    download_idle_timeout: Option<Duration>,
    user_agent: String,
    /// Sent per request only when the caller supplied the HTTP client and set a user agent.
    user_agent_header: Option<HeaderValue>,
    tls: TlsSettings,
    /// The event connections made from this client, for the handles' per-object streams (and, with
    /// [`Transport::WebSocket`], the one that carries REST).
    event_registry: crate::events::Registry,
    transport: Transport,
    /// Whether requests pass the capability check ([`ClientBuilder::check_capabilities`]).
    check_capabilities: bool,
    /// The server's capabilities, learned once for this client and its clones.
    capabilities: Learner,
    /// The outbound connection this client's requests travel over, kept open while the client lives.
    connection: Option<crate::events::EventsHandle<crate::Event>>,
}

/// How a [`Client`] sends REST requests; set with [`ClientBuilder::transport`].
///
/// Every operation gives the same typed result and the same [`Error`] values over either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// One HTTP request per operation (the default).
    #[default]
    Http,
    /// REST over WebSocket (Asterisk 20.14.0, 21.9.0, 22.4.0 and later): each operation is a `RESTRequest`
    /// message on the client's event connection ([`Client::events`]), answered by the `RESTResponse` with the
    /// same `request_id`. Many requests may be in flight at once; each waits at most the
    /// [request timeout](ClientBuilder::request_timeout).
    ///
    /// - Open the event connection first: without one, requests fail as [`Error::NotSent`].
    ///   [`EventsBuilder::connect`](crate::events::EventsBuilder::connect) checks that the server answers
    ///   REST on the socket and fails with
    ///   [`EventsError::RestUnsupported`](crate::events::EventsError::RestUnsupported) when it does not.
    /// - Requests sent while the connection is reconnecting fail as [`Error::NotSent`]; requests in flight
    ///   when it is lost fail as [`Error::Transport`] (outcome unknown), at once.
    /// - Binary downloads (a stored recording's file) go over HTTP, with the same credentials and TLS:
    ///   Asterisk refuses them on the socket (406 "Not Acceptable. Use HTTP GET").
    /// - An application event filter (`applications.filter`) applies to the `RESTResponse` messages too:
    ///   a filter whose `allowed` list omits `RESTResponse`, or whose `disallowed` list names it, makes every
    ///   later request on that application's socket time out.
    WebSocket,
}

/// How credentials travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMode {
    /// `Authorization: Basic …` header.
    Basic,
    /// `api_key=user:pass` query parameter.
    ApiKey,
}

/// ARI credentials. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) mode: AuthMode,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("mode", &self.mode)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// TLS settings as configured on the builder.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    /// Extra trusted roots, each PEM (one or more certificates).
    pub(crate) root_certificates_pem: Vec<Vec<u8>>,
    /// Skip certificate verification.
    pub(crate) accept_invalid_certs: bool,
    /// A complete rustls configuration to use instead (from [`EventsBuilder::tls_config`]).
    ///
    /// [`EventsBuilder::tls_config`]: crate::events::EventsBuilder::tls_config
    pub(crate) rustls: Option<Arc<rustls::ClientConfig>>,
}

impl PartialEq for TlsSettings {
    fn eq(&self, other: &Self) -> bool {
        self.root_certificates_pem == other.root_certificates_pem
            && self.accept_invalid_certs == other.accept_invalid_certs
            && match (&self.rustls, &other.rustls) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for TlsSettings {}

/// Configures and builds a [`Client`]; from [`Client::builder`].
#[must_use = "a ClientBuilder does nothing until build() is called"]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    download_idle_timeout: Option<Duration>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    tls: TlsSettings,
    transport: Transport,
    check_capabilities: bool,
}

impl Client {
    /// Starts configuring a client for the ARI at `base_url`, e.g.
    /// `http://127.0.0.1:8088/ari` (include Asterisk's `/ari` prefix; `https://` for TLS).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credentials: None,
            connect_timeout: None,
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            download_idle_timeout: Some(DEFAULT_DOWNLOAD_IDLE_TIMEOUT),
            user_agent: None,
            http_client: None,
            tls: TlsSettings::default(),
            transport: Transport::Http,
            check_capabilities: true,
        }
    }

    /// A client configured from the environment: `ARI_URL` (ARI's base URL, e.g.
    /// `http://127.0.0.1:8088/ari`), `ARI_USER` and `ARI_PASSWORD` (Basic authentication) — the variables
    /// `cargo xtask asterisk up` prints for the sandbox Asterisk. For more settings use
    /// [`ClientBuilder::from_env`].
    ///
    /// ```no_run
    /// # fn demo() -> ari_sdk::Result<()> {
    /// let client = ari_sdk::Client::from_env()?;
    /// # let _ = client; Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the first variable that is missing, empty or not Unicode, or what is
    /// wrong with the URL.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env()?.build()
    }

    /// The normalised base URL, without a trailing slash; for the client of an
    /// [outbound connection](crate::outbound::Connection) `outbound:<address Asterisk connected from>`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends `request` and decodes a JSON response body as `T` (any 2xx status).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] before sending; [`Error::NotSent`], [`Error::Timeout`] or
    /// [`Error::Transport`] when the exchange fails; [`Error::Api`] for a status outside
    /// 200–299; [`Error::Decode`] when the body is not a `T`. The same holds for every
    /// `execute_*` method (without `Decode` where nothing is decoded).
    pub async fn execute_json<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        transport::execute_json(self.clone(), request).await
    }

    /// Sends `request` that returns nothing (the spec's `void`): any 2xx status (200, 202,
    /// 204), with or without a body, is success; a body is ignored.
    pub async fn execute_void(&self, request: Request) -> Result<()> {
        transport::execute_void(self.clone(), request).await
    }

    /// Sends `request` and returns the whole binary body with its content type (the spec's
    /// `binary`).
    pub async fn execute_binary(&self, request: Request) -> Result<Binary> {
        transport::execute_binary(self.clone(), request).await
    }

    /// Sends `request` and returns the binary body as a stream of chunks, once the status and
    /// headers have arrived.
    pub async fn execute_stream(&self, request: Request) -> Result<BinaryStream> {
        transport::execute_stream(self.clone(), request).await
    }

    /// The one place every request of this client passes on its way to the transport, after
    /// validation and inside its `ari_request` span, with [`Request::operation`] at hand: checks
    /// that depend on this client or its server belong here, before the transport is chosen.
    ///
    /// The capability check is here: it holds for every transport, and learns the server's
    /// version through the same one.
    async fn send_request(self, request: Request, kind: ResponseKind) -> Result<RawResponse> {
        if self.inner.check_capabilities {
            self.capabilities_for(request.operation())
                .await?
                .check(&request)?;
        }
        self.send_unchecked(request, kind).await
    }

    /// [`send_request`](Self::send_request) without the capability check: the transport choice.
    async fn send_unchecked(self, request: Request, kind: ResponseKind) -> Result<RawResponse> {
        let inner = &*self.inner;
        if inner.http.is_none() && websocket::needs_http(kind) {
            return Err(Error::invalid(
                Some(request.operation()),
                "a binary download cannot travel over an outbound WebSocket connection (Asterisk answers 406 on \
                 the socket) and the connection has no HTTP endpoint: download it with an HTTP client",
            ));
        }
        match inner.transport {
            Transport::WebSocket if !websocket::needs_http(kind) => {
                let sender = inner
                    .event_registry
                    .rest_sender()
                    .map_err(|e| Error::NotSent {
                        operation: request.operation(),
                        source: Box::new(e),
                    })?;
                websocket::exchange(&sender, inner.request_timeout, request).await
            }
            Transport::Http | Transport::WebSocket => http::exchange(inner, request, kind).await,
        }
    }

    /// The capabilities of the server this client talks to: its version, and what that version
    /// serves (see [`capabilities`](crate::capabilities)). Learned once per client and its clones
    /// with `GET /asterisk/info` (also when the check is [turned off](ClientBuilder::check_capabilities)),
    /// then answered from memory.
    ///
    /// # Errors
    ///
    /// [`Error::CapabilitiesUnknown`] (operation `asterisk.getInfo`) when that request fails; the next
    /// call tries again.
    pub async fn capabilities(&self) -> Result<Capabilities> {
        self.capabilities_for("asterisk.getInfo").await
    }

    /// Whether the server this client talks to serves `request` — its operation and every optional
    /// parameter set on it — as the capability check decides it; `request` is what an operation
    /// builder's `into_request()` returns. Nothing of `request` is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: ari_sdk::Client) -> ari_sdk::Result<()> {
    /// let channel = client.channel("my-channel-id");
    /// // getChannelVars came with Asterisk 20.
    /// if client.supports(&channel.get_channel_vars(["A", "B"]).into_request()).await? {
    ///     let variables = channel.get_channel_vars(["A", "B"]).await?;
    /// #   let _ = variables;
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::CapabilitiesUnknown`] when the server's version cannot be learned (see
    /// [`capabilities`](Self::capabilities)).
    pub async fn supports(&self, request: &Request) -> Result<bool> {
        Ok(self
            .capabilities_for(request.operation())
            .await?
            .supports(request))
    }

    /// The server's capabilities, learned once through this client's own transport; a failure
    /// to learn is [`Error::CapabilitiesUnknown`] for `operation`, the one that waited.
    async fn capabilities_for(&self, operation: &'static str) -> Result<Capabilities> {
        let client = self.clone();
        self.inner
            .capabilities
            .get(move || {
                async move {
                    let info: capabilities::Info =
                        transport::execute_json(Learning(client), capabilities::info_request())
                            .await?;
                    info.capabilities()
                }
                .boxed()
            })
            .await
            .map_err(|source| Error::CapabilitiesUnknown { operation, source })
    }

    /// How this client sends REST requests.
    pub fn transport(&self) -> Transport {
        self.inner.transport
    }

    /// The `api_key=user:pass` query parameter (encoded) in api_key mode. It contains the password: never log it.
    pub(crate) fn api_key_query(&self) -> Option<&str> {
        self.inner.api_key_query.as_deref()
    }

    /// The `Authorization` header value in Basic mode (marked sensitive).
    #[cfg(test)]
    pub(crate) fn authorization_header(&self) -> Option<&HeaderValue> {
        self.inner.authorization.as_ref()
    }

    /// The configured credentials and how they travel.
    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.inner.credentials.as_ref()
    }

    /// A builder with this client's configuration (base URL, credentials, timeouts, user agent, TLS settings,
    /// transport), for a client that differs in a setting or two. A caller-supplied
    /// [`http_client`](ClientBuilder::http_client) is not carried over.
    pub(crate) fn builder_like(&self) -> ClientBuilder {
        let inner = &*self.inner;
        ClientBuilder {
            base_url: inner.base_url.clone(),
            credentials: inner.credentials.clone(),
            connect_timeout: None,
            request_timeout: inner.request_timeout,
            download_idle_timeout: inner.download_idle_timeout,
            user_agent: Some(inner.user_agent.clone()),
            http_client: None,
            tls: inner.tls.clone(),
            transport: inner.transport,
            check_capabilities: inner.check_capabilities,
        }
    }

    /// The client of an outbound connection: every request travels over `connection` (REST over WebSocket),
    /// each waiting at most `request_timeout`.
    pub(crate) fn over_connection(
        connection: &crate::events::EventsHandle<crate::Event>,
        request_timeout: Option<Duration>,
        peer: std::net::SocketAddr,
    ) -> Client {
        let event_registry = crate::events::Registry::default();
        event_registry.register(connection);
        Client {
            inner: Arc::new(Inner {
                http: None,
                base_url: format!("outbound:{peer}"),
                credentials: None,
                authorization: None,
                api_key_query: None,
                request_timeout,
                download_idle_timeout: Some(DEFAULT_DOWNLOAD_IDLE_TIMEOUT),
                user_agent: DEFAULT_USER_AGENT.to_owned(),
                user_agent_header: None,
                tls: TlsSettings::default(),
                event_registry,
                transport: Transport::WebSocket,
                connection: Some(connection.clone()),
                // The check holds here too: the version is learned over the connection.
                check_capabilities: true,
                capabilities: Learner::default(),
            }),
        }
    }

    /// Whether `other` is this client or a clone of it.
    #[cfg(test)]
    pub(crate) fn same_as(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A `GET` of `url` asking to upgrade to a WebSocket with `key` (`Sec-WebSocket-Key`) and `protocol`,
    /// through this client's HTTP stack: its connection pool, TLS back end and trust store, credentials and user
    /// agent, exactly as a REST request.
    pub(crate) fn upgrade_request(
        &self,
        url: reqwest::Url,
        key: &str,
        protocol: &str,
    ) -> Result<reqwest::RequestBuilder> {
        http::upgrade_request(&self.inner, url, key, protocol)
    }

    /// The event connections made from this client.
    pub(crate) fn event_registry(&self) -> &crate::events::Registry {
        &self.inner.event_registry
    }
}

impl Exchange for Client {
    fn exchange(
        &self,
        request: Request,
        kind: ResponseKind,
    ) -> impl Future<Output = Result<RawResponse>> + Send + 'static {
        self.clone().send_request(request, kind)
    }
}

/// How the capability check learns the server's version: a request that skips the check itself, on
/// the client's own transport — except that a REST-over-WebSocket client with no event connection
/// open (yet) learns over HTTP, the way its binary downloads travel, so a download is not refused
/// for want of a socket it does not use.
#[derive(Clone)]
struct Learning(Client);

impl Exchange for Learning {
    fn exchange(
        &self,
        request: Request,
        kind: ResponseKind,
    ) -> impl Future<Output = Result<RawResponse>> + Send + 'static {
        let client = self.0.clone();
        async move {
            let inner = &*client.inner;
            let no_socket = matches!(inner.transport, Transport::WebSocket)
                && inner.http.is_some()
                && inner.event_registry.rest_sender().is_err();
            if no_socket {
                return http::exchange(inner, request, kind).await;
            }
            client.send_unchecked(request, kind).await
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url)
            .field("credentials", &inner.credentials)
            .field("request_timeout", &inner.request_timeout)
            .field("download_idle_timeout", &inner.download_idle_timeout)
            .field("user_agent", &inner.user_agent)
            .field("tls", &inner.tls)
            .field("transport", &inner.transport)
            .field("check_capabilities", &inner.check_capabilities)
            .field("outbound_connection", &inner.connection.is_some())
            .finish_non_exhaustive()
    }
}

/// The environment variables [`Client::from_env`] reads, with what each one is.
const ENV_VARS: [(&str, &str); 3] = [
    ("ARI_URL", "ARI's base URL, e.g. http://127.0.0.1:8088/ari"),
    ("ARI_USER", "the ARI user"),
    ("ARI_PASSWORD", "the ARI user's password"),
];

impl ClientBuilder {
    /// A builder configured from `ARI_URL`, `ARI_USER` and `ARI_PASSWORD` (see [`Client::from_env`]), for
    /// further settings before [`build`](Self::build).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the first variable that is missing, empty or not Unicode.
    pub fn from_env() -> Result<ClientBuilder> {
        Self::from_lookup(|name| std::env::var(name))
    }

    /// [`from_env`](Self::from_env) over any lookup (tests give their own).
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> std::result::Result<String, std::env::VarError>,
    ) -> Result<ClientBuilder> {
        let mut values = ENV_VARS.iter().map(|(name, what)| match lookup(name) {
            Ok(value) if !value.trim().is_empty() => Ok(value),
            Ok(_) => Err(Error::invalid(
                None,
                format!("the environment variable {name} ({what}) is empty"),
            )),
            Err(std::env::VarError::NotPresent) => Err(Error::invalid(
                None,
                format!(
                    "the environment variable {name} ({what}) is not set; `cargo xtask asterisk up` prints \
                     ARI_URL, ARI_USER and ARI_PASSWORD for the sandbox Asterisk"
                ),
            )),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::invalid(
                None,
                format!("the environment variable {name} ({what}) is not valid Unicode"),
            )),
        });
        let mut next = || values.next().expect("three variables");
        let url = next()?;
        let user = next()?;
        let password = next()?;
        Ok(Client::builder(url).basic_auth(user, password))
    }

    /// Authenticates with HTTP Basic (`Authorization` header): the usual way. Replaces
    /// [`api_key`](Self::api_key).
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: password.into(),
            mode: AuthMode::Basic,
        });
        self
    }

    /// Authenticates with the `api_key=username:password` query parameter instead of a
    /// header (for proxies that strip `Authorization`). The password then travels in URLs,
    /// which this crate never logs. Replaces [`basic_auth`](Self::basic_auth).
    pub fn api_key(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: password.into(),
            mode: AuthMode::ApiKey,
        });
        self
    }

    setters! {
        /// How long to wait for a TCP (and TLS) connection; default 10 s. Only for the HTTP
        /// client this builder makes.
        connect_timeout(timeout: Duration) => connect_timeout = Some(timeout);

        /// How long one request may take in total, reading the response body included; default
        /// 30 s, `None` for no limit. When it elapses the request fails with
        /// [`Error::Timeout`].
        ///
        /// A streamed download ([`BinaryStream`], e.g. a stored recording's file read with `.stream()`) is
        /// the exception: the request timeout bounds only the wait for the response's head, and the body
        /// is bounded by the [download idle timeout](Self::download_idle_timeout) instead, so a long
        /// recording that keeps arriving is never cut.
        request_timeout(timeout: impl Into<Option<Duration>>) => request_timeout = timeout.into();

        /// How long a streamed download ([`BinaryStream`]) may go without receiving a byte; default 30 s,
        /// `None` for no limit. The clock restarts with every chunk, so a download of any length succeeds
        /// as long as it keeps delivering; one that stalls longer ends with one [`Error::Timeout`] item
        /// (and then the stream's end). Downloads read whole ([`Binary`]) stay under the
        /// [request timeout](Self::request_timeout).
        download_idle_timeout(timeout: impl Into<Option<Duration>>) => download_idle_timeout = timeout.into();

        /// The `User-Agent` header; default `ari-sdk/<version>`.
        user_agent(user_agent: impl Into<String>) => user_agent = Some(user_agent.into());
    }

    /// Sends through this `reqwest::Client` (shared pool, proxies, your TLS setup) instead of
    /// one the builder makes. Its own connect timeout and TLS settings then apply: combining it
    /// with [`connect_timeout`](Self::connect_timeout) or the TLS options is an error at
    /// [`build`](Self::build). The request timeout, credentials and an explicit
    /// [`user_agent`](Self::user_agent) are still applied per request. It should not follow
    /// redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Trusts the CA certificate(s) in `pem` (PEM, one or more certificates) in addition to
    /// the built-in roots, e.g. for an Asterisk with a private CA. Applies to the event
    /// WebSocket (`wss://`, from [`Client::events`]) too.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.root_certificates_pem.push(pem.into());
        self
    }

    /// Accepts any server certificate, even invalid or self-signed. Dangerous: anyone on the
    /// path can read the credentials. For tests only. Applies to the event WebSocket
    /// (`wss://`, from [`Client::events`]) too.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.tls.accept_invalid_certs = accept;
        self
    }

    /// Uses this rustls configuration for TLS (an events builder's
    /// [`tls_config`](crate::events::EventsBuilder::tls_config)); replaces the other TLS options.
    pub(crate) fn rustls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls.rustls = Some(config);
        self
    }

    setters! {
        /// How requests travel: [`Transport::Http`] (the default) or [`Transport::WebSocket`] (REST over the
        /// event connection).
        transport(transport: Transport) => transport = transport;

        /// Whether to refuse, before sending, what the server does not serve (default `true`): an
        /// operation its version does not have, or an optional parameter it does not know, fails with
        /// [`Error::Unsupported`]. The client then learns the server's version with one
        /// `GET /asterisk/info` before its first request (shared by its clones and by requests made
        /// meanwhile). With `false` nothing is learned or refused, and the server answers what it
        /// lacks itself (404 `Resource not found`, 405, or an ignored parameter). See
        /// [`capabilities`](crate::capabilities).
        check_capabilities(check: bool) => check_capabilities = check;
    }

    /// Checks the configuration and builds the client.
    ///
    /// Fails with [`Error::InvalidRequest`] when the base URL is not an `http`/`https` URL,
    /// contains credentials, a query or a fragment; when the username contains `:`; when a
    /// certificate does not parse; or when settings conflict with
    /// [`http_client`](Self::http_client).
    pub fn build(self) -> Result<Client> {
        let invalid = |message: String| Error::invalid(None, message);
        let base_url = normalise_base_url(&self.base_url)?;

        let (authorization, api_key_query) = match &self.credentials {
            None => (None, None),
            Some(credentials) => {
                if credentials.username.contains(':') {
                    return Err(invalid("the username must not contain ':'".into()));
                }
                match credentials.mode {
                    AuthMode::Basic => {
                        let token = base64::engine::general_purpose::STANDARD
                            .encode(format!("{}:{}", credentials.username, credentials.password));
                        let mut value = HeaderValue::from_str(&format!("Basic {token}"))
                            .map_err(|_| invalid("the credentials cannot form a header".into()))?;
                        value.set_sensitive(true);
                        (Some(value), None)
                    }
                    AuthMode::ApiKey => {
                        let query = format!(
                            "api_key={}:{}",
                            encode_query_component(&credentials.username),
                            encode_query_component(&credentials.password)
                        );
                        (None, Some(query))
                    }
                }
            }
        };

        let user_agent = self
            .user_agent
            .clone()
            .unwrap_or_else(|| DEFAULT_USER_AGENT.to_owned());
        let user_agent_value = HeaderValue::from_str(&user_agent)
            .map_err(|_| invalid("the user agent is not a valid header value".into()))?;

        let (http, user_agent_header) = match self.http_client {
            Some(client) => {
                if self.connect_timeout.is_some() || self.tls != TlsSettings::default() {
                    return Err(invalid(
                        "connect_timeout and TLS options cannot be combined with http_client: \
                         configure them on the supplied reqwest::Client"
                            .into(),
                    ));
                }
                let header = self.user_agent.is_some().then_some(user_agent_value);
                (client, header)
            }
            None => {
                let builder = reqwest::Client::builder()
                    .user_agent(user_agent_value)
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .redirect(reqwest::redirect::Policy::none());
                let builder = configure_tls(builder, &self.tls, base_url.starts_with("https:"))?;
                let client = builder
                    .build()
                    .map_err(|e| invalid(format!("cannot build the HTTP client: {e}")))?;
                (client, None)
            }
        };

        Ok(Client {
            inner: Arc::new(Inner {
                http: Some(http),
                base_url,
                credentials: self.credentials,
                authorization,
                api_key_query,
                request_timeout: self.request_timeout,
                download_idle_timeout: self.download_idle_timeout,
                user_agent,
                user_agent_header,
                tls: self.tls,
                event_registry: crate::events::Registry::default(),
                transport: self.transport,
                check_capabilities: self.check_capabilities,
                capabilities: Learner::default(),
                connection: None,
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("download_idle_timeout", &self.download_idle_timeout)
            .field("user_agent", &self.user_agent)
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "<caller-supplied>"),
            )
            .field("tls", &self.tls)
            .field("transport", &self.transport)
            .field("check_capabilities", &self.check_capabilities)
            .finish()
    }
}

/// Checks the base URL and returns it without a trailing slash.
fn normalise_base_url(input: &str) -> Result<String> {
    let invalid = |message: &str| Err(Error::invalid(None, format!("base URL: {message}")));
    // Error messages never repeat the URL: it might contain a password.
    let url = match reqwest::Url::parse(input.trim()) {
        Ok(url) => url,
        Err(e) => return invalid(&format!("not a valid URL ({e})")),
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        return invalid(&format!(
            "the scheme must be http or https, not `{}`",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return invalid("must not contain credentials; use basic_auth() or api_key()");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return invalid("must not have a query or a fragment");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
fn configure_tls(
    mut builder: reqwest::ClientBuilder,
    tls: &TlsSettings,
    _https: bool,
) -> Result<reqwest::ClientBuilder> {
    if let Some(config) = &tls.rustls {
        #[cfg(feature = "rustls-tls")]
        {
            return Ok(builder.use_preconfigured_tls((**config).clone()));
        }
        #[cfg(not(feature = "rustls-tls"))]
        {
            let _ = config;
            return Err(Error::invalid(
                None,
                "a rustls configuration (EventsBuilder::tls_config) needs the `rustls-tls` feature of ari-sdk",
            ));
        }
    }
    #[cfg(feature = "native-tls")]
    {
        builder = builder.use_native_tls();
    }
    #[cfg(not(feature = "native-tls"))]
    {
        builder = builder.use_rustls_tls();
    }
    for pem in &tls.root_certificates_pem {
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| Error::invalid(None, format!("a root certificate does not parse: {e}")))?;
        if certificates.is_empty() {
            return Err(Error::invalid(
                None,
                "a root certificate PEM holds no certificate",
            ));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    if tls.accept_invalid_certs {
        builder = builder.danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

#[cfg(not(any(feature = "rustls-tls", feature = "native-tls")))]
fn configure_tls(
    builder: reqwest::ClientBuilder,
    tls: &TlsSettings,
    https: bool,
) -> Result<reqwest::ClientBuilder> {
    if https || *tls != TlsSettings::default() {
        return Err(Error::invalid(
            None,
            "TLS needs the `rustls-tls` or `native-tls` feature of ari-sdk",
        ));
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    #[test]
    fn from_env_names_the_missing_variable_and_reads_all_three() {
        use std::env::VarError;
        let env = |set: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                set.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
                    .ok_or(VarError::NotPresent)
            }
        };
        let missing: [(&'static [(&'static str, &'static str)], &str); 3] = [
            (
                &[],
                "ARI_URL (ARI's base URL, e.g. http://127.0.0.1:8088/ari) is not set",
            ),
            (
                &[("ARI_URL", "http://127.0.0.1:1/ari")],
                "ARI_USER (the ARI user) is not set",
            ),
            (
                &[
                    ("ARI_URL", "http://127.0.0.1:1/ari"),
                    ("ARI_USER", "u"),
                    ("ARI_PASSWORD", " "),
                ],
                "ARI_PASSWORD (the ARI user's password) is empty",
            ),
        ];
        for (set, message) in missing {
            let err = super::ClientBuilder::from_lookup(env(set)).err().unwrap();
            assert!(err.to_string().contains(message), "{err}");
        }
        let client = super::ClientBuilder::from_lookup(env(&[
            ("ARI_URL", "http://127.0.0.1:1/ari/"),
            ("ARI_USER", "u"),
            ("ARI_PASSWORD", "p"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:1/ari");
        let credentials = client.credentials().expect("basic auth");
        assert_eq!(
            (credentials.username.as_str(), credentials.password.as_str()),
            ("u", "p")
        );
    }

    use super::*;

    fn client(base: &str) -> Client {
        Client::builder(base)
            .api_key("asterisk", "p@ss:w+rd&x")
            .build()
            .expect("client")
    }

    #[test]
    fn base_url_is_normalised() {
        assert_eq!(
            client("http://127.0.0.1:8088/ari/").base_url(),
            "http://127.0.0.1:8088/ari"
        );
        assert_eq!(
            client("http://127.0.0.1:80/").base_url(),
            "http://127.0.0.1"
        );
        assert_eq!(
            normalise_base_url(" https://pbx.example:443/ari/ ").expect("url"),
            "https://pbx.example/ari"
        );
    }

    #[cfg(not(any(feature = "rustls-tls", feature = "native-tls")))]
    #[test]
    fn https_needs_a_tls_feature() {
        let err = Client::builder("https://pbx.example/ari")
            .build()
            .expect_err("no TLS");
        assert!(err.to_string().contains("TLS needs"), "{err}");
    }

    #[test]
    fn credentials_and_user_agent() {
        let c = client("http://h:8088/ari");
        assert_eq!(c.api_key_query(), Some("api_key=asterisk:p@ss:w%2Brd%26x"));
        let c = Client::builder("http://h:8088/ari")
            .basic_auth("u", "p")
            .build()
            .expect("client");
        assert_eq!(c.api_key_query(), None);
        assert_eq!(
            c.authorization_header().map(|v| v.to_str().expect("ascii")),
            Some("Basic dTpw")
        );
        assert!(c.authorization_header().is_some_and(|v| v.is_sensitive()));
        assert_eq!(c.credentials().map(|c| c.mode), Some(AuthMode::Basic));
    }
}
