//! `ari-sdk`: a typed client for the Asterisk REST Interface (ARI).
//!
//! The hand-written runtime is small: [`Client`] (configuration and the HTTP transport),
//! [`Error`], [`Timestamp`] (the spec's `Date`), and [`request`], the transport-independent
//! description of one call that generated operations build.
#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
mod client;
#[cfg(test)]
mod contract_harness;
mod error;
mod event_payload;
pub mod events;
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
pub use generated::handles::*;
pub use generated::{enums, models, operations};
pub use response::{Binary, BinaryStream, ResponseFuture};
pub use timestamp::{ParseTimestampError, Timestamp};
