//! The HTTP transport (reqwest): one [`Request`] as one HTTP exchange.

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};

use super::Inner;
use crate::error::{Error, Result};
use crate::request::{Method, Request};
use crate::transport::{RawResponse, ResponseBody, ResponseKind};

/// Sends `request` over HTTP and returns the answer, whatever its status.
pub(super) async fn exchange(
    inner: &Inner,
    request: Request,
    kind: ResponseKind,
) -> Result<RawResponse> {
    let operation = request.operation();
    tracing::Span::current().record("transport", "http");

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
    let Some(http) = &inner.http else {
        return Err(Error::invalid(
            Some(operation),
            "this client has no HTTP endpoint (it belongs to an outbound WebSocket connection)",
        ));
    };
    let mut builder = http.request(method, url);
    if let Some(authorization) = &inner.authorization {
        builder = builder.header(AUTHORIZATION, authorization.clone());
    }
    if let Some(user_agent) = &inner.user_agent_header {
        builder = builder.header(USER_AGENT, user_agent.clone());
    }
    // A streamed download is bounded per chunk (`idle_limited`), not in total: reqwest's own
    // timeout would also cover the body. Its head is bounded below, by the request timeout.
    let streamed = matches!(kind, ResponseKind::BinaryStream);
    if let (Some(timeout), false) = (inner.request_timeout, streamed) {
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

    let response = match (inner.request_timeout, streamed) {
        (Some(limit), true) => tokio::time::timeout(limit, builder.send())
            .await
            .map_err(|_| Error::Timeout {
                operation,
                source: format!("no response within the request timeout ({limit:?})").into(),
            })?,
        _ => builder.send().await,
    }
    .map_err(|e| send_error(operation, e))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = if !status.is_success() {
        // The status is what matters; a body that cannot be read is reported as empty.
        ResponseBody::Full(response.bytes().await.unwrap_or_else(|_| Bytes::new()))
    } else {
        match kind {
            ResponseKind::Empty => {
                // Drain the (normally empty) body so the connection can be reused; the request
                // has succeeded whatever happens while draining.
                let _ = response.bytes().await;
                ResponseBody::Full(Bytes::new())
            }
            ResponseKind::Json | ResponseKind::Binary => ResponseBody::Full(
                response
                    .bytes()
                    .await
                    .map_err(|e| body_error(operation, e))?,
            ),
            ResponseKind::BinaryStream => {
                let content_length = response
                    .headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                let chunks = response
                    .bytes_stream()
                    .map(move |chunk| chunk.map_err(|e| body_error(operation, e)));
                ResponseBody::Chunks {
                    content_length,
                    chunks: Box::pin(idle_limited(
                        Box::pin(chunks),
                        inner.download_idle_timeout,
                        operation,
                    )),
                }
            }
        }
    };
    Ok(RawResponse {
        status: status.as_u16(),
        content_type,
        body,
    })
}

/// `chunks`, failing with one [`Error::Timeout`] (and then ending) when no chunk arrives within `idle`
/// of the previous one; every other error also ends the stream after it is yielded.
fn idle_limited(
    chunks: impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static,
    idle: Option<Duration>,
    operation: &'static str,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    futures::stream::unfold(Some(chunks), move |chunks| async move {
        let mut chunks = chunks?;
        let next = match idle {
            // `timeout` saturates: a huge limit waits forever instead of overflowing.
            Some(limit) => match tokio::time::timeout(limit, chunks.next()).await {
                Ok(next) => next,
                Err(_) => {
                    let error = Error::Timeout {
                        operation,
                        source: format!(
                            "the download stalled: no data for the download idle timeout ({limit:?})"
                        )
                        .into(),
                    };
                    return Some((Err(error), None));
                }
            },
            None => chunks.next().await,
        }?;
        let keep = next.is_ok().then_some(chunks);
        Some((next, keep))
    })
}

/// The WebSocket upgrade request for `url` (`Sec-WebSocket-Key` `key`, subprotocol `protocol`), with the same
/// credentials and user agent as every REST request of this client. HTTP/1.1: an upgrade does not exist in
/// HTTP/2.
pub(super) fn upgrade_request(
    inner: &Inner,
    url: reqwest::Url,
    key: &str,
    protocol: &str,
) -> Result<reqwest::RequestBuilder> {
    use reqwest::header::{
        CONNECTION, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
    };
    let value = |v: &str| {
        HeaderValue::from_str(v)
            .map_err(|_| Error::invalid(None, format!("`{v}` is not a valid header value")))
    };
    let Some(http) = &inner.http else {
        return Err(Error::invalid(
            None,
            "this client has no HTTP endpoint (it belongs to an outbound WebSocket connection)",
        ));
    };
    let mut builder = http
        .get(url)
        .version(reqwest::Version::HTTP_11)
        .header(CONNECTION, HeaderValue::from_static("Upgrade"))
        .header(UPGRADE, HeaderValue::from_static("websocket"))
        .header(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"))
        .header(SEC_WEBSOCKET_KEY, value(key)?)
        .header(SEC_WEBSOCKET_PROTOCOL, value(protocol)?);
    if let Some(authorization) = &inner.authorization {
        builder = builder.header(AUTHORIZATION, authorization.clone());
    }
    if let Some(user_agent) = &inner.user_agent_header {
        builder = builder.header(USER_AGENT, user_agent.clone());
    }
    Ok(builder)
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
    } else {
        body_error(operation, error)
    }
}

/// Classifies a failure after the request went out: while waiting for the response or reading
/// a success response's body. URLs are stripped: they may carry the api_key.
fn body_error(operation: &'static str, error: reqwest::Error) -> Error {
    let error = error.without_url();
    let source = Box::new(error);
    if source.is_timeout() {
        Error::Timeout { operation, source }
    } else {
        Error::Transport { operation, source }
    }
}
