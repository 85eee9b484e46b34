//! `ari-sdk`: a typed client for the Asterisk REST Interface (ARI).
//!
//! The hand-written runtime is small: [`Client`] (configuration and the HTTP transport),
//! [`Error`], [`Timestamp`] (the spec's `Date`), and [`request`], the transport-independent
//! description of one call that generated operations build.
#![warn(missing_docs)]

mod client;
mod error;
pub mod events;
pub mod request;
mod response;
mod timestamp;

pub use client::{Client, ClientBuilder};
pub use error::{BoxError, Error, Result};
pub use response::{Binary, BinaryStream};
pub use timestamp::{ParseTimestampError, Timestamp};

/// The `reqwest` this crate is built on, for [`ClientBuilder::http_client`].
pub use reqwest;
/// The `time` crate that [`Timestamp`] wraps.
pub use time;
