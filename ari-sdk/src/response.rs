//! What sending an operation gives back: [`ResponseFuture`], and the bodies that are not JSON,
//! [`Binary`] and [`BinaryStream`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;

use crate::error::Result;

/// The response to one operation, still on its way: a [`Future`] of [`Result<T>`](crate::Result).
///
/// Every generated operation builder is sent by `.await` (it implements
/// [`IntoFuture`](std::future::IntoFuture)) or by its `send()` method, and both give this
/// future. It is `Send + 'static`, so it can be spawned; dropping it abandons the request.
///
/// One boxed future type for every operation keeps the generated code small: the sending
/// logic is compiled once per response type, not once per operation.
#[must_use = "a ResponseFuture does nothing unless awaited"]
pub struct ResponseFuture<T> {
    inner: Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>,
}

impl<T> ResponseFuture<T> {
    /// Wraps `future` (for transports and tests that produce responses their own way).
    pub fn new(future: impl Future<Output = Result<T>> + Send + 'static) -> Self {
        Self {
            inner: Box::pin(future),
        }
    }
}

impl<T> Future for ResponseFuture<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().inner.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for ResponseFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// A binary response body (the spec's `binary`, e.g. a stored recording's file), read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Binary {
    /// The body.
    pub bytes: Bytes,
    /// The `Content-Type` Asterisk sent, e.g. `audio/wav`.
    pub content_type: Option<String>,
}

/// A binary response body delivered in chunks as it arrives; a [`Stream`] of
/// [`Result<Bytes>`](crate::Result).
///
/// A failure part-way yields one error ([`Error::Timeout`](crate::Error::Timeout) or
/// [`Error::Transport`](crate::Error::Transport)) and then the stream ends. The client's
/// [request timeout](crate::ClientBuilder::request_timeout) bounds only the wait for the response's
/// head; the body is bounded per chunk by the
/// [download idle timeout](crate::ClientBuilder::download_idle_timeout), so a long download that keeps
/// delivering is never cut, and one that stalls ends with [`Error::Timeout`](crate::Error::Timeout).
pub struct BinaryStream {
    content_type: Option<String>,
    content_length: Option<u64>,
    chunks: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
}

impl BinaryStream {
    pub(crate) fn new(
        content_type: Option<String>,
        content_length: Option<u64>,
        chunks: impl Stream<Item = Result<Bytes>> + Send + 'static,
    ) -> Self {
        Self {
            content_type,
            content_length,
            chunks: Box::pin(chunks),
        }
    }

    /// The `Content-Type` Asterisk sent, e.g. `audio/wav`.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body's length from `Content-Length`, when Asterisk sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
}

impl Stream for BinaryStream {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().chunks.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for BinaryStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BinaryStream")
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}
