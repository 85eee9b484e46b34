//! Records what the live suite really sends, for `cargo xtask live-coverage`.
//!
//! [`install`] puts a tracing subscriber in place for the test process. It watches the one
//! `ari_request` span the SDK opens per request (fields `operation`, `method`, `path` — the
//! path template — `status` and `transport`) and appends a [`Record`] for each when it closes. Errors a
//! test asserts exactly go through [`check_api_error`] (or the [`expect_api_error!`] macro),
//! which records them too; connecting the events WebSocket is recorded by
//! [`record_websocket`]. A span the SDK's capability check closed as refused becomes a
//! [`Kind::Refused`] record (nothing was sent); a test asserts the refusal with [`check_refused`]
//! (or [`expect_refused!`]), which also asks the server itself, without the check, and records
//! what it answers. Records go to `xtask::live_coverage::coverage_dir()`, one file per
//! test process.
//!
//! [`expect_api_error!`]: crate::expect_api_error
//! [`expect_refused!`]: crate::expect_refused

use std::fmt;
use std::sync::Once;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
pub use xtask::live_coverage::{Kind, Record};

/// The SDK's span per request.
const SPAN_NAME: &str = "ari_request";

/// Installs the recording subscriber once per process (later calls do nothing).
///
/// Panics if another global subscriber is already installed: the records would be lost.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // `ARI_TEST_LOG=ari_sdk=debug` (targets syntax) also prints the SDK's log lines, for debugging a test.
        let log = std::env::var("ARI_TEST_LOG").ok().map(|targets| {
            let targets: tracing_subscriber::filter::Targets = targets
                .parse()
                .unwrap_or_else(|e| panic!("ARI_TEST_LOG={targets:?}: {e}"));
            tracing_subscriber::fmt::layer()
                .with_test_writer()
                .with_filter(targets)
        });
        let subscriber = tracing_subscriber::registry()
            .with(RecordingLayer)
            .with(log);
        tracing::subscriber::set_global_default(subscriber)
            .expect("installing the live-coverage tracing subscriber");
    });
}

/// Appends `record`; a failure to write fails the test (coverage must not be lost silently).
pub fn append(record: &Record) {
    if let Err(err) = xtask::live_coverage::append(record) {
        panic!("recording live coverage: {err:#}");
    }
}

/// The running test's name (libtest names each test's thread after it).
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed thread>")
        .to_owned()
}

/// Records that the events WebSocket (`GET /events`) was connected: Asterisk answered 101.
pub fn record_websocket() {
    append(&Record {
        kind: Kind::WebSocket,
        method: "GET".into(),
        path: "/events".into(),
        operation: "events.eventWebsocket".into(),
        status: Some(101),
        message: None,
        parameter: None,
        test: test_name(),
        transport: Some(suite_transport_name().to_owned()),
    });
}

/// The name of the transport this test process sends REST over, as the SDK's span names it.
pub fn suite_transport_name() -> &'static str {
    match crate::live::suite_transport() {
        ari_sdk::Transport::WebSocket => "websocket",
        _ => "http",
    }
}

/// Asserts that `result` is [`ari_sdk::Error::Api`] with exactly `status` and ARI's
/// `message`, and records the assertion for `request` (from the builder's `into_request()`).
/// Returns the error for further checks.
#[track_caller]
pub fn check_api_error<T: fmt::Debug>(
    request: &ari_sdk::request::Request,
    result: ari_sdk::Result<T>,
    status: u16,
    message: &str,
) -> ari_sdk::Error {
    check_api(request, result, status, Some(message))
}

/// [`check_api_error`] for an error that comes without a body (so without ARI's message): asserts
/// [`ari_sdk::Error::Api`] with exactly `status` and no message, and records it as `(no body)`.
#[track_caller]
pub fn check_api_status<T: fmt::Debug>(
    request: &ari_sdk::request::Request,
    result: ari_sdk::Result<T>,
    status: u16,
) -> ari_sdk::Error {
    check_api(request, result, status, None)
}

/// The route of `request` (`METHOD /path/{template}`) and the error `result` must be; a success
/// panics, naming the route and what was `expected` instead.
#[track_caller]
fn failure<T: fmt::Debug>(
    request: &ari_sdk::request::Request,
    result: ari_sdk::Result<T>,
    expected: &str,
) -> (String, ari_sdk::Error) {
    let route = format!("{} {}", request.method(), request.path_template());
    match result {
        Ok(value) => panic!("{route}: expected {expected}, got success: {value:?}"),
        Err(error) => (route, error),
    }
}

#[track_caller]
fn check_api<T: fmt::Debug>(
    request: &ari_sdk::request::Request,
    result: ari_sdk::Result<T>,
    status: u16,
    message: Option<&str>,
) -> ari_sdk::Error {
    let expected = format!("HTTP {status} {message:?}");
    let (route, error) = failure(request, result, &expected);
    match &error {
        ari_sdk::Error::Api {
            status: got_status,
            message: got_message,
            operation,
            ..
        } => {
            assert_eq!(
                (*got_status, got_message.as_deref()),
                (status, message),
                "{route} ({operation}): unexpected error: {error}"
            );
            assert_eq!(*operation, request.operation());
        }
        other => panic!("{route}: expected HTTP {status} {message:?}, got {other:?}"),
    }
    append(&Record {
        kind: Kind::AssertedError,
        method: request.method().to_string(),
        path: request.path_template().to_string(),
        operation: request.operation().to_owned(),
        status: Some(status),
        message: Some(message.unwrap_or("(no body)").to_owned()),
        parameter: None,
        test: test_name(),
        transport: Some(suite_transport_name().to_owned()),
    });
    error
}

/// Sends an operation builder and asserts it fails with exactly `status` and ARI's message
/// (see [`check_api_error`]); evaluates to the [`ari_sdk::Error`].
///
/// ```no_run
/// # async fn demo(client: ari_sdk::Client) {
/// use ari_live_tests::expect_api_error;
///
/// expect_api_error!(client.mailboxes().list(), 404, "Resource not found");
/// # }
/// ```
#[macro_export]
macro_rules! expect_api_error {
    ($call:expr, $status:expr, $message:expr $(,)?) => {{
        let call = $call;
        let request = ::std::clone::Clone::clone(&call).into_request();
        let result = call.await;
        $crate::coverage::check_api_error(&request, result, $status, $message)
    }};
}

/// [`expect_api_error!`] for a state Asterisk reaches asynchronously (an object that is
/// going away): sends the builder again every 50 ms while it succeeds, up to
/// [`EVENT_TIMEOUT`](crate::EVENT_TIMEOUT), then asserts the error as [`expect_api_error!`]
/// does.
#[macro_export]
macro_rules! expect_api_error_eventually {
    ($call:expr, $status:expr, $message:expr $(,)?) => {{
        let call = $call;
        let request = ::std::clone::Clone::clone(&call).into_request();
        let deadline = ::tokio::time::Instant::now() + $crate::EVENT_TIMEOUT;
        let result = loop {
            let result = ::std::clone::Clone::clone(&call).await;
            if result.is_err() || ::tokio::time::Instant::now() >= deadline {
                break result;
            }
            ::tokio::time::sleep(::std::time::Duration::from_millis(50)).await;
        };
        $crate::coverage::check_api_error(&request, result, $status, $message)
    }};
}

/// Asserts that `result` is [`ari_sdk::Error::Unsupported`] for `request` (from the builder's
/// `into_request()`): the capability check refused it before sending, naming `parameter` (`None`:
/// the operation itself), the server's own version and versions that do not include the server's
/// branch. For a refused operation it then sends the same request to the server itself, without
/// the SDK (a plain HTTP request), and asserts the router's answer for a route it does not have
/// (404 `Resource not found`, or 405 `Invalid method` where the path exists for other methods):
/// the refusal is the server's truth, not only the SDK's table. Records the assertion.
pub async fn check_refused<T: fmt::Debug>(
    request: &ari_sdk::request::Request,
    result: ari_sdk::Result<T>,
    parameter: Option<&str>,
) -> ari_sdk::Error {
    let (route, error) = failure(request, result, "a refusal before sending");
    let ari = crate::connect().await;
    let info = ari.get_json("asterisk/info").await;
    let reported = info["system"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let major = |v: &str| v.split('.').next().map(str::to_owned);
    match &error {
        ari_sdk::Error::Unsupported {
            operation,
            parameter: got,
            server_version,
            available_in,
        } => {
            assert_eq!(*operation, request.operation(), "{route}: {error}");
            assert_eq!(*got, parameter, "{route}: {error}");
            assert_eq!(server_version, &reported, "{route}: {error}");
            assert!(!available_in.is_empty(), "{route}: {error}");
            assert!(
                available_in.iter().all(|v| major(v) != major(&reported)),
                "{route}: refused although the server's branch has it: {error}"
            );
        }
        other => panic!("{route}: expected a refusal before sending, got {other:?}"),
    }
    let answer = match parameter {
        Some(_) => "(a parameter: the server would ignore it)".to_owned(),
        None => {
            let method = match request.method() {
                ari_sdk::request::Method::Get => reqwest::Method::GET,
                ari_sdk::request::Method::Post => reqwest::Method::POST,
                ari_sdk::request::Method::Put => reqwest::Method::PUT,
                _ => reqwest::Method::DELETE,
            };
            let mut path = request.path();
            if !request.query_pairs().is_empty() {
                path = format!("{path}?{}", request.encoded_query());
            }
            let mut raw = ari.request(method, &path);
            if let Some(body) = request.json_body() {
                raw = raw
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_string());
            }
            let response = raw
                .send()
                .await
                .unwrap_or_else(|e| panic!("{route} unchecked: {e}"));
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let message = body["message"].as_str().unwrap_or_default().to_owned();
            assert!(
                matches!((status, message.as_str()), (404, "Resource not found") | (405, "Invalid method")),
                "{route}: the check refused it, but Asterisk {reported} answers {status} {message:?} without the check"
            );
            format!("{status} {message}")
        }
    };
    append(&Record {
        kind: Kind::AssertedRefusal,
        method: request.method().to_string(),
        path: request.path_template().to_string(),
        operation: request.operation().to_owned(),
        status: None,
        message: Some(answer),
        parameter: parameter.map(str::to_owned),
        test: test_name(),
        transport: Some(suite_transport_name().to_owned()),
    });
    error
}

/// Sends an operation builder and asserts that the capability check refuses it before sending
/// (see [`check_refused`]); evaluates to the [`ari_sdk::Error`]. With `parameter = "name"`, the
/// refusal must name that optional parameter.
///
/// ```no_run
/// # async fn demo(client: ari_sdk::Client) {
/// use ari_live_tests::expect_refused;
///
/// // On Asterisk 16: getChannelVars came with 20, hangup's reason_code with 18.
/// expect_refused!(client.channel("c").get_channel_vars(["A"]));
/// expect_refused!(client.channel("c").hangup().reason_code("16"), parameter = "reason_code");
/// # }
/// ```
#[macro_export]
macro_rules! expect_refused {
    ($call:expr $(,)?) => {{
        let call = $call;
        let request = ::std::clone::Clone::clone(&call).into_request();
        let result = call.await;
        $crate::coverage::check_refused(&request, result, None).await
    }};
    ($call:expr, parameter = $parameter:expr $(,)?) => {{
        let call = $call;
        let request = ::std::clone::Clone::clone(&call).into_request();
        let result = call.await;
        $crate::coverage::check_refused(&request, result, Some($parameter)).await
    }};
}

/// What the layer keeps per `ari_request` span.
#[derive(Default)]
struct Fields {
    operation: String,
    method: String,
    path: String,
    status: Option<u16>,
    transport: Option<String>,
    /// Set when the capability check refused the request.
    refused: bool,
    refused_parameter: Option<String>,
    test: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "operation" => self.operation = value.to_owned(),
            "method" => self.method = value.to_owned(),
            "path" => self.path = value.to_owned(),
            "transport" => self.transport = Some(value.to_owned()),
            "refused_parameter" => self.refused_parameter = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "refused" {
            self.refused = value;
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "status" {
            self.status = u16::try_from(value).ok();
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "status" {
            self.status = u16::try_from(value).ok();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `path` is recorded with `%` (Display), which reaches visitors as debug.
        let text = format!("{value:?}");
        match field.name() {
            "operation" => self.operation = text,
            "method" => self.method = text,
            "path" => self.path = text,
            "status" => self.status = text.parse().ok(),
            "transport" => self.transport = Some(text.trim_matches('"').to_owned()),
            "refused" => self.refused = text == "true",
            "refused_parameter" => self.refused_parameter = Some(text.trim_matches('"').to_owned()),
            _ => {}
        }
    }
}

struct RecordingLayer;

impl<S> Layer<S> for RecordingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != SPAN_NAME {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields {
            test: test_name(),
            ..Fields::default()
        };
        attrs.record(&mut fields);
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &SpanRecord<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<Fields>() {
            values.record(fields);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(fields) = span.extensions_mut().remove::<Fields>() else {
            return;
        };
        append(&Record {
            // A refused request was not sent: nothing reached Asterisk.
            kind: if fields.refused {
                Kind::Refused
            } else {
                Kind::Sent
            },
            method: fields.method,
            path: fields.path,
            operation: fields.operation,
            status: fields.status,
            message: None,
            parameter: fields.refused_parameter,
            test: fields.test,
            transport: fields.transport,
        });
    }
}
