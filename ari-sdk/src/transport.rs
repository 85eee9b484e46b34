//! The transport seam: how a generated operation's [`Request`] reaches Asterisk and comes back.
//!
//! Generated builders know nothing of HTTP or WebSockets. Their `send()` calls one of the
//! `send_*` functions here (re-exported in `__private`), generic over [`Exchange`]: the one
//! thing a transport implements. An [`Exchange`] takes the transport-independent [`Request`]
//! and returns the raw response — status, content type, body — whatever the status. Everything
//! after that is shared and identical for every transport: the `ari_request` tracing span,
//! validation, turning a status outside 200–299 into [`Error::Api`] (with ARI's message and the
//! spec's reason), and decoding the body.
//!
//! [`Client`](crate::Client) implements [`Exchange`] (HTTP today); the generator's compiled
//! snapshot tests implement it for their own stand-in client. This mirrors how progenitor's
//! generated code calls a client trait instead of a concrete client.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::error::{Error, Result};
use crate::request::Request;
use crate::response::{Binary, BinaryStream, ResponseFuture};

/// What the caller does with a success body: tells the transport whether and how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// A JSON body, read whole.
    Json,
    /// No body is expected (the spec's `void`); one that arrives anyway is discarded, and a
    /// failure while discarding it does not fail the request.
    Empty,
    /// A binary body (the spec's `binary`), read whole.
    Binary,
    /// A binary body, delivered in chunks as they arrive ([`ResponseBody::Chunks`]).
    BinaryStream,
}

/// The chunks of a body that is still arriving.
pub type BodyChunks = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send + 'static>>;

/// A response body as a transport delivers it.
pub enum ResponseBody {
    /// The whole body (empty for [`ResponseKind::Empty`]).
    Full(Bytes),
    /// Chunks as they arrive; only for a success status and [`ResponseKind::BinaryStream`].
    Chunks {
        /// The length announced by the server, if any.
        content_length: Option<u64>,
        /// The chunks; a failure part-way is one error item.
        chunks: BodyChunks,
    },
}

/// The raw answer to one request, before any status check or decoding.
pub struct RawResponse {
    /// The status code (HTTP's, or the `status_code` of a `RESTResponse`).
    pub status: u16,
    /// The response's content type, if any.
    pub content_type: Option<String>,
    /// The body. For a status outside 200–299 a transport delivers it [`Full`](ResponseBody::Full)
    /// (empty when it could not be read: the status is what matters).
    pub body: ResponseBody,
}

/// The transport seam: sends one [`Request`] and returns Asterisk's raw answer.
///
/// An implementation reports a failure to get an answer as [`Error::NotSent`] (certainly not
/// processed), [`Error::Timeout`] or [`Error::Transport`] (outcome unknown), or
/// [`Error::InvalidRequest`] (refused before sending). Any status is a successful exchange: the
/// shared code around it turns error statuses into [`Error::Api`].
///
/// A request the [capability check](crate::capabilities) refuses closes its span with
/// `refused = true` (and `refused_parameter` naming the parameter, when it is one) and no
/// `transport` or `status`.
///
/// The future is polled inside the request's `ari_request` span: a transport records its
/// short name (`http`, `websocket`) in the span's `transport` field
/// (`tracing::Span::current().record("transport", …)`), so traces and the live coverage tell
/// which transport carried each request.
pub trait Exchange: Clone + Send + Sync + 'static {
    /// Sends `request` (already validated) and returns the answer, whatever its status.
    fn exchange(
        &self,
        request: Request,
        kind: ResponseKind,
    ) -> impl Future<Output = Result<RawResponse>> + Send + 'static;
}

/// Sends `request` and decodes a JSON success body as `T`: the send path of every generated
/// operation with a JSON response (compiled once per `T`, not per operation).
pub fn send_json<C, T>(client: C, request: Request) -> ResponseFuture<T>
where
    C: Exchange,
    T: DeserializeOwned + Send + 'static,
{
    ResponseFuture::new(execute_json(client, request))
}

/// Sends `request` that returns nothing (the spec's `void`): any 2xx status is success.
pub fn send_void<C: Exchange>(client: C, request: Request) -> ResponseFuture<()> {
    ResponseFuture::new(execute_void(client, request))
}

/// Sends `request` and returns the whole binary body with its content type.
pub fn send_binary<C: Exchange>(client: C, request: Request) -> ResponseFuture<Binary> {
    ResponseFuture::new(execute_binary(client, request))
}

/// Sends `request` and returns the binary body as a stream of chunks, once the status and
/// headers have arrived.
pub fn send_stream<C: Exchange>(client: C, request: Request) -> ResponseFuture<BinaryStream> {
    ResponseFuture::new(execute_stream(client, request))
}

pub(crate) async fn execute_json<C, T>(client: C, request: Request) -> Result<T>
where
    C: Exchange,
    T: DeserializeOwned,
{
    execute(client, request, ResponseKind::Json, |operation, raw| {
        decode_json(operation, raw.status, full_body(raw.body))
    })
    .await
}

pub(crate) async fn execute_void<C: Exchange>(client: C, request: Request) -> Result<()> {
    execute(client, request, ResponseKind::Empty, |_, _| Ok(())).await
}

pub(crate) async fn execute_binary<C: Exchange>(client: C, request: Request) -> Result<Binary> {
    execute(client, request, ResponseKind::Binary, |_, raw| {
        Ok(Binary {
            bytes: full_body(raw.body),
            content_type: raw.content_type,
        })
    })
    .await
}

pub(crate) async fn execute_stream<C: Exchange>(
    client: C,
    request: Request,
) -> Result<BinaryStream> {
    execute(client, request, ResponseKind::BinaryStream, |_, raw| {
        Ok(match raw.body {
            ResponseBody::Full(bytes) => {
                let length = bytes.len() as u64;
                let chunks = futures::stream::iter((!bytes.is_empty()).then_some(Ok(bytes)));
                BinaryStream::new(raw.content_type, Some(length), chunks)
            }
            ResponseBody::Chunks {
                content_length,
                chunks,
            } => BinaryStream::new(raw.content_type, content_length, chunks),
        })
    })
    .await
}

/// The shared path of every request, whatever the transport: the span, validation, the
/// exchange, the status check, then `finish` on a success answer.
async fn execute<C, T>(
    client: C,
    request: Request,
    kind: ResponseKind,
    finish: impl FnOnce(&'static str, RawResponse) -> Result<T>,
) -> Result<T>
where
    C: Exchange,
{
    let operation = request.operation();
    let errors = request.error_table();
    // The target stays `ari_sdk::client` whatever the transport: what users filter on.
    let span = tracing::debug_span!(
        target: "ari_sdk::client",
        "ari_request",
        operation,
        method = request.method().as_str(),
        path = %request.path_template(),
        transport = tracing::field::Empty,
        status = tracing::field::Empty,
        elapsed = tracing::field::Empty,
        refused = tracing::field::Empty,
        refused_parameter = tracing::field::Empty,
    );
    let started = Instant::now();
    let work = async {
        request.validate()?;
        let raw = client.exchange(request, kind).await?;
        tracing::Span::current().record("status", raw.status);
        if !(200..300).contains(&raw.status) {
            let body = match raw.body {
                ResponseBody::Full(bytes) => bytes,
                // A transport should not stream an error body; read it if one does.
                ResponseBody::Chunks { chunks, .. } => collect(chunks).await.unwrap_or_default(),
            };
            return Err(Error::from_status(
                operation,
                errors,
                raw.status,
                raw.content_type.as_deref(),
                body,
            ));
        }
        finish(operation, raw)
    };
    let result = work.instrument(span.clone()).await;
    span.record("elapsed", tracing::field::debug(started.elapsed()));
    if let Err(Error::Unsupported { parameter, .. }) = &result {
        // Refused by the capability check: nothing was sent (traces and the live coverage tell
        // a refusal from a request that got no answer).
        span.record("refused", true);
        if let Some(parameter) = parameter {
            span.record("refused_parameter", *parameter);
        }
    }
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!(target: "ari_sdk::client", "ARI request succeeded"),
        Err(error) => {
            let cause = causes(error);
            tracing::debug!(target: "ari_sdk::client", %error, %cause, "ARI request failed")
        }
    });
    result
}

/// The bytes of a body delivered whole (a streamed one here is a transport's mistake: empty).
fn full_body(body: ResponseBody) -> Bytes {
    match body {
        ResponseBody::Full(bytes) => bytes,
        ResponseBody::Chunks { .. } => Bytes::new(),
    }
}

async fn collect(mut chunks: BodyChunks) -> Result<Bytes> {
    let mut out = BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out.freeze())
}

/// Decodes a success body as `T`, keeping the bytes on failure.
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
