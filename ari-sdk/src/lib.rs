//! `ari-sdk`: a typed client for the Asterisk REST Interface (ARI).
//!
//! The hand-written runtime is small: [`Client`] (configuration and the HTTP transport),
//! [`Error`], [`Timestamp`] (the spec's `Date`), and [`request`], the transport-independent
//! description of one call that generated operations build.
#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
mod client;
mod error;
mod event_payload;
pub mod events;
pub mod flows;
// Written by `cargo xtask codegen`; formatted by prettyplease, not rustfmt.
#[rustfmt::skip]
mod generated;
#[cfg(test)]
mod generated_tests;
pub mod request;
mod response;
mod timestamp;

pub use client::{Client, ClientBuilder};
pub use error::{BoxError, Error, Result};
pub use generated::events as event_types;
pub use generated::events::{Event, UnknownEvent};
pub use generated::{enums, models};
pub use response::{Binary, BinaryStream};
pub use timestamp::{ParseTimestampError, Timestamp};

/// The `reqwest` this crate is built on, for [`ClientBuilder::http_client`].
pub use reqwest;
/// The `time` crate that [`Timestamp`] wraps.
pub use time;
