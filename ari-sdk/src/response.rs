//! Response bodies that are not JSON: [`Binary`] and [`BinaryStream`].

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;

use crate::error::Result;

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
/// [`Error::Transport`](crate::Error::Transport)). The client's request timeout covers reading
/// the whole body.
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
