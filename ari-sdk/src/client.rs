//! [`Client`] and [`ClientBuilder`]: configuration and the HTTP transport.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use futures::StreamExt as _;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::error::{Error, Result};
use crate::request::{encode_query_component, Method, Request};
use crate::response::{Binary, BinaryStream, ResponseFuture};

/// `User-Agent` sent unless configured otherwise.
const DEFAULT_USER_AGENT: &str = concat!("ari-sdk/", env!("CARGO_PKG_VERSION"));
/// Connect timeout of the HTTP client the builder makes.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Per-request timeout unless configured otherwise.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
    http: reqwest::Client,
    /// Normalised base URL without a trailing slash, e.g. `http://127.0.0.1:8088/ari`.
    base_url: String,
    credentials: Option<Credentials>,
    /// `Basic …` for [`AuthMode::Basic`].
    authorization: Option<HeaderValue>,
    /// `api_key=user:pass`, encoded, for [`AuthMode::ApiKey`].
    api_key_query: Option<String>,
    request_timeout: Option<Duration>,
    user_agent: String,
    /// Sent per request only when the caller supplied the HTTP client and set a user agent.
    user_agent_header: Option<HeaderValue>,
    tls: TlsSettings,
    /// The rustls configuration for `wss://` made from `tls`; `None` for the defaults.
    events_tls: Option<Arc<rustls::ClientConfig>>,
    /// The event connections made from this client, for the handles' per-object streams.
    event_registry: crate::events::Registry,
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

/// TLS settings, kept so the events WebSocket can connect the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    /// Extra trusted roots, each PEM (one or more certificates).
    pub(crate) root_certificates_pem: Vec<Vec<u8>>,
    /// Skip certificate verification.
    pub(crate) accept_invalid_certs: bool,
}

/// Configures and builds a [`Client`]; from [`Client::builder`].
#[must_use = "a ClientBuilder does nothing until build() is called"]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    tls: TlsSettings,
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
            user_agent: None,
            http_client: None,
            tls: TlsSettings::default(),
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

    /// The normalised base URL, without a trailing slash.
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
        self.traced(&request, async {
            let response = self.dispatch(&request).await?;
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map_err(|e| body_error(request.operation(), e))?;
            decode_json(request.operation(), status, body)
        })
        .await
    }

    /// Sends `request` that returns nothing (the spec's `void`): any 2xx status (200, 202,
    /// 204), with or without a body, is success; a body is ignored.
    pub async fn execute_void(&self, request: Request) -> Result<()> {
        self.traced(&request, async {
            let response = self.dispatch(&request).await?;
            // Drain the (normally empty) body so the connection can be reused; the request has
            // succeeded whatever happens while draining.
            let _ = response.bytes().await;
            Ok(())
        })
        .await
    }

    /// Sends `request` and returns the whole binary body with its content type (the spec's
    /// `binary`).
    pub async fn execute_binary(&self, request: Request) -> Result<Binary> {
        self.traced(&request, async {
            let response = self.dispatch(&request).await?;
            let content_type = content_type(&response);
            let bytes = response
                .bytes()
                .await
                .map_err(|e| body_error(request.operation(), e))?;
            Ok(Binary {
                bytes,
                content_type,
            })
        })
        .await
    }

    /// Sends `request` and returns the binary body as a stream of chunks, once the status and
    /// headers have arrived.
    pub async fn execute_stream(&self, request: Request) -> Result<BinaryStream> {
        self.traced(&request, async {
            let response = self.dispatch(&request).await?;
            let content_type = content_type(&response);
            let content_length = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            let operation = request.operation();
            let chunks = response
                .bytes_stream()
                .map(move |chunk| chunk.map_err(|e| body_error(operation, e)));
            Ok(BinaryStream::new(content_type, content_length, chunks))
        })
        .await
    }

    /// [`execute_json`](Self::execute_json) as a [`ResponseFuture`] that owns the client: the one
    /// send path of every generated operation with a JSON response (compiled once per `T`).
    pub(crate) fn send_json<T>(self, request: Request) -> ResponseFuture<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        ResponseFuture::new(async move { self.execute_json(request).await })
    }

    /// [`execute_void`](Self::execute_void) as a [`ResponseFuture`].
    pub(crate) fn send_void(self, request: Request) -> ResponseFuture<()> {
        ResponseFuture::new(async move { self.execute_void(request).await })
    }

    /// [`execute_binary`](Self::execute_binary) as a [`ResponseFuture`].
    pub(crate) fn send_binary(self, request: Request) -> ResponseFuture<Binary> {
        ResponseFuture::new(async move { self.execute_binary(request).await })
    }

    /// [`execute_stream`](Self::execute_stream) as a [`ResponseFuture`].
    pub(crate) fn send_stream(self, request: Request) -> ResponseFuture<BinaryStream> {
        ResponseFuture::new(async move { self.execute_stream(request).await })
    }

    /// Runs `work` inside the request's span and records how it ended.
    async fn traced<T>(
        &self,
        request: &Request,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let span = tracing::debug_span!(
            "ari_request",
            operation = request.operation(),
            method = request.method().as_str(),
            path = %request.path_template(),
            status = tracing::field::Empty,
            elapsed = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = work.instrument(span.clone()).await;
        let elapsed = started.elapsed();
        span.record("elapsed", tracing::field::debug(elapsed));
        span.in_scope(|| match &result {
            Ok(_) => tracing::debug!("ARI request succeeded"),
            Err(error) => {
                let cause = causes(error);
                tracing::debug!(%error, %cause, "ARI request failed")
            }
        });
        result
    }

    /// Sends the request; returns the response when its status is 2xx, else [`Error::Api`].
    async fn dispatch(&self, request: &Request) -> Result<reqwest::Response> {
        request.validate()?;
        let operation = request.operation();
        let inner = &*self.inner;

        let mut url = String::with_capacity(inner.base_url.len() + 96);
        url.push_str(&inner.base_url);
        url.push_str(&request.path());
        if !request.query_pairs().is_empty() || inner.api_key_query.is_some() {
            url.push('?');
            request.write_encoded_query(&mut url);
            if let Some(api_key) = &inner.api_key_query {
                if !url.ends_with('?') {
                    url.push('&');
                }
                url.push_str(api_key);
            }
        }
        // The message of a URL parse error never contains the URL (and so no api_key).
        let url = reqwest::Url::parse(&url)
            .map_err(|e| Error::invalid(Some(operation), format!("cannot form the URL: {e}")))?;

        let method = match request.method() {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = inner.http.request(method, url);
        if let Some(authorization) = &inner.authorization {
            builder = builder.header(AUTHORIZATION, authorization.clone());
        }
        if let Some(user_agent) = &inner.user_agent_header {
            builder = builder.header(USER_AGENT, user_agent.clone());
        }
        if let Some(timeout) = inner.request_timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(body) = request.json_body() {
            let body = serde_json::to_vec(body).map_err(|e| {
                Error::invalid(Some(operation), format!("cannot serialise the body: {e}"))
            })?;
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }

        let response = builder.send().await.map_err(|e| send_error(operation, e))?;
        let status = response.status();
        tracing::Span::current().record("status", status.as_u16());
        if status.is_success() {
            return Ok(response);
        }
        let content_type = content_type(&response);
        // The status is what matters; a body that cannot be read is reported as empty.
        let body = response.bytes().await.unwrap_or_else(|_| Bytes::new());
        Err(Error::from_status(
            operation,
            request.error_table(),
            status.as_u16(),
            content_type.as_deref(),
            body,
        ))
    }

    /// The WebSocket URL (`ws://` or `wss://`) for `path` on this ARI (e.g. `/events`), with
    /// `query` (names and values encoded here) and, in api_key mode, the `api_key` parameter.
    ///
    /// It may contain the password: never log it.
    #[allow(dead_code, reason = "for the events WebSocket")]
    pub(crate) fn websocket_url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let base = &self.inner.base_url;
        let mut url = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.clone()
        };
        url.push_str(path);
        let mut separator = '?';
        for (name, value) in query {
            url.push(separator);
            separator = '&';
            url.push_str(&format!(
                "{}={}",
                encode_query_component(name),
                encode_query_component(value)
            ));
        }
        if let Some(api_key) = &self.inner.api_key_query {
            url.push(separator);
            url.push_str(api_key);
        }
        url
    }

    /// The `Authorization` header value in Basic mode (marked sensitive).
    #[allow(dead_code, reason = "for the events WebSocket")]
    pub(crate) fn authorization_header(&self) -> Option<&HeaderValue> {
        self.inner.authorization.as_ref()
    }

    /// The configured credentials and how they travel.
    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.inner.credentials.as_ref()
    }

    /// Extra roots and certificate checking, as configured on the builder.
    #[allow(dead_code, reason = "for the events WebSocket")]
    pub(crate) fn tls_settings(&self) -> &TlsSettings {
        &self.inner.tls
    }

    /// The `User-Agent` to send.
    pub(crate) fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    /// The rustls configuration for the events WebSocket (`None`: the defaults).
    pub(crate) fn events_tls_config(&self) -> Option<Arc<rustls::ClientConfig>> {
        self.inner.events_tls.clone()
    }

    /// The event connections made from this client.
    pub(crate) fn event_registry(&self) -> &crate::events::Registry {
        &self.inner.event_registry
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url)
            .field("credentials", &inner.credentials)
            .field("request_timeout", &inner.request_timeout)
            .field("user_agent", &inner.user_agent)
            .field("tls", &inner.tls)
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

    /// How long to wait for a TCP (and TLS) connection; default 10 s. Only for the HTTP
    /// client this builder makes.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long one request may take in total, reading the response body included; default
    /// 30 s, `None` for no limit. When it elapses the request fails with
    /// [`Error::Timeout`].
    pub fn request_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.request_timeout = timeout.into();
        self
    }

    /// The `User-Agent` header; default `ari-sdk/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
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

        let events_tls = crate::events::tls_config_for(&self.tls).map_err(invalid)?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                credentials: self.credentials,
                authorization,
                api_key_query,
                request_timeout: self.request_timeout,
                user_agent,
                user_agent_header,
                tls: self.tls,
                events_tls,
                event_registry: crate::events::Registry::default(),
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
            .field("user_agent", &self.user_agent)
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "<caller-supplied>"),
            )
            .field("tls", &self.tls)
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

/// Decodes a success body as `T`, keeping the bytes on failure (transport-independent).
pub(crate) fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: Bytes,
) -> Result<T> {
    serde_json::from_slice(&body).map_err(|source| Error::Decode {
        operation,
        status,
        body,
        source,
    })
}

/// The Display of every cause of `error`, joined by `: ` (empty when there is none).
fn causes(error: &Error) -> String {
    let mut out = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

fn content_type(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Classifies a failure to get a response. URLs are stripped: they may carry the api_key.
fn send_error(operation: &'static str, error: reqwest::Error) -> Error {
    let error = error.without_url();
    if error.is_builder() {
        Error::invalid(Some(operation), error.to_string())
    } else if error.is_connect() {
        // Connecting failed (this includes the connect timeout): nothing was sent.
        Error::NotSent {
            operation,
            source: Box::new(error),
        }
    } else if error.is_timeout() {
        Error::Timeout {
            operation,
            source: Box::new(error),
        }
    } else {
        Error::Transport {
            operation,
            source: Box::new(error),
        }
    }
}

/// Classifies a failure while reading a success response's body.
fn body_error(operation: &'static str, error: reqwest::Error) -> Error {
    let error = error.without_url();
    if error.is_timeout() {
        Error::Timeout {
            operation,
            source: Box::new(error),
        }
    } else {
        Error::Transport {
            operation,
            source: Box::new(error),
        }
    }
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
        let err = super::ClientBuilder::from_lookup(env(&[])).err().unwrap();
        assert!(
            err.to_string()
                .contains("ARI_URL (ARI's base URL, e.g. http://127.0.0.1:8088/ari) is not set"),
            "{err}"
        );
        let err = super::ClientBuilder::from_lookup(env(&[("ARI_URL", "http://127.0.0.1:1/ari")]))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("ARI_USER (the ARI user) is not set"),
            "{err}"
        );
        let err = super::ClientBuilder::from_lookup(env(&[
            ("ARI_URL", "http://127.0.0.1:1/ari"),
            ("ARI_USER", "u"),
            ("ARI_PASSWORD", " "),
        ]))
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .contains("ARI_PASSWORD (the ARI user's password) is empty"),
            "{err}"
        );
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

    #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
    #[test]
    fn websocket_url_tls() {
        let c = client("https://pbx.example:8089/ari");
        assert_eq!(
            c.websocket_url("/events", &[("app", "a,b"), ("subscribeAll", "true")]),
            "wss://pbx.example:8089/ari/events?app=a,b&subscribeAll=true&api_key=asterisk:p@ss:w%2Brd%26x"
        );
    }

    #[test]
    fn websocket_url() {
        let c = client("http://h:8088/ari");
        assert_eq!(
            c.websocket_url("/events", &[("app", "a")]),
            "ws://h:8088/ari/events?app=a&api_key=asterisk:p@ss:w%2Brd%26x"
        );
        let c = Client::builder("http://h:8088/ari")
            .basic_auth("u", "p")
            .build()
            .expect("client");
        assert_eq!(
            c.websocket_url("/events", &[("app", "x y")]),
            "ws://h:8088/ari/events?app=x%20y"
        );
        assert_eq!(c.websocket_url("/events", &[]), "ws://h:8088/ari/events");
        assert_eq!(
            c.authorization_header().map(|v| v.to_str().expect("ascii")),
            Some("Basic dTpw")
        );
        assert!(c.authorization_header().is_some_and(|v| v.is_sensitive()));
        assert_eq!(c.credentials().map(|c| c.mode), Some(AuthMode::Basic));
        assert!(c.user_agent().starts_with("ari-sdk/"));
        assert_eq!(c.tls_settings(), &TlsSettings::default());
    }
}
