//! `ari-sdk`: a typed client for the Asterisk REST Interface (ARI).
//!
//! The hand-written runtime is small: [`Client`] (configuration and the HTTP transport),
//! [`Error`], [`Timestamp`] (the spec's `Date`), and [`request`], the transport-independent
//! description of one call that generated operations build.
//!
//! # Calling ARI
//!
//! Every REST operation of the specs is generated (see [`operations`] for the full index):
//!
//! - resource accessors such as [`client.channels()`](Client::channels) and
//!   [`client.bridges()`](Client::bridges) hold the operations that address no single object
//!   (list, create, originate, …);
//! - handles such as [`client.channel(id)`](Client::channel) ([`ChannelHandle`]),
//!   [`client.bridge(id)`](Client::bridge) or
//!   [`client.stored_recording(name)`](Client::stored_recording) hold every operation on one
//!   object. Making either sends nothing.
//!
//! Required parameters are arguments; every optional parameter is a chained setter; the call is
//! sent by `.await` (or `.send()`), and returns the spec's model, `()` for operations without a
//! body, or [`Binary`] for a recording's file.
//!
//! ```no_run
//! # async fn demo() -> ari_sdk::Result<()> {
//! use ari_sdk::enums::BridgeType;
//! use ari_sdk::Client;
//!
//! let client = Client::builder("http://127.0.0.1:8088/ari")
//!     .basic_auth("asterisk", "secret")
//!     .build()?;
//! let info = client.asterisk().get_info().await?;
//!
//! let channel = client.channel("my-channel-id");
//! channel.answer().await?;
//! let playback = channel.play(["sound:hello-world"]).lang("en").await?;
//!
//! let bridge = client.bridges().create().kind([BridgeType::Mixing]).await?;
//! client.bridge(&bridge.id).add_channel([channel.id()]).await?;
//! client.playback(&playback.id).stop().await?;
//! # let _ = info; Ok(()) }
//! ```
//!
//! # Events
//!
//! A Stasis application lives on its event stream. [`client.events()`](Client::events) opens it,
//! configured like the client, and keeps it: reconnecting with backoff, detecting a frozen server
//! with pings, and saying explicitly when events may be missing (a
//! [`Gap`](events::StreamItem::Gap) after a reconnect, [`Lagged`](events::StreamItem::Lagged)
//! for a subscriber that fell behind its bounded buffer). Handles give the events of one object,
//! ending by themselves when the object is gone; [`flows`] has the waits every application writes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use ari_sdk::events::{unique_id, StreamItem};
//! use ari_sdk::{Client, Event};
//! use futures::StreamExt as _;
//!
//! let client = Client::builder("http://127.0.0.1:8088/ari")
//!     .basic_auth("asterisk", "secret")
//!     .build()?;
//! let mut events = client.events().apps(["my-app"]).subscribe_all(false).connect().await?;
//!
//! // Subscribe before create: the channel's stream exists before the originate is sent.
//! let channel = client.channel(unique_id());
//! let started = channel
//!     .originate_and_wait(channel.originate_with_id("PJSIP/alice").app("my-app"), Duration::from_secs(30))
//!     .await?;
//! channel.play_and_wait(["sound:hello-world"], Duration::from_secs(30)).await?;
//! channel.hangup().await?;
//!
//! while let Some(item) = events.next().await {
//!     match item? {
//!         StreamItem::Event(Event::StasisStart(start)) => println!("{} arrived", start.channel.id),
//!         StreamItem::Gap(gap) => println!("events may be missing for {:?}", gap.duration()),
//!         _ => {}
//!     }
//! }
//! # let _ = started; Ok(()) }
//! ```
#![warn(missing_docs)]

// The test support shared with the integration tests (`tests/support/mod.rs`, compiled into the
// contract harness too) names this crate `ari_sdk`, as the test crates do.
#[cfg(test)]
extern crate self as ari_sdk;

#[doc(hidden)]
#[macro_use]
mod setters;

pub mod __private;
pub mod app;
pub mod capabilities;
mod client;
#[cfg(test)]
mod contract_harness;
mod error;
mod event_payload;
pub mod events;
pub mod flows;
pub mod outbound;
// Written by `cargo xtask codegen`; formatted by prettyplease, not rustfmt.
#[rustfmt::skip]
mod generated;
#[cfg(test)]
mod generated_tests;
mod handles_ext;
pub mod request;
mod response;
mod timestamp;
mod transport;
mod typed_waits;
mod variable;

/// The crate README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;

pub use client::{Client, ClientBuilder, Transport};
pub use error::{BoxError, Error, Result};
pub use generated::events as event_types;
pub use generated::events::{Event, UnknownEvent};
pub use generated::handles::*;
pub use generated::{availability, enums, models, operations};
#[cfg(feature = "testkit")]
pub mod testkit;
pub use response::{Binary, BinaryStream, ResponseFuture};
pub use timestamp::{ParseTimestampError, Timestamp};
pub use variable::VariableValue;

/// The `reqwest` this crate is built on, for [`ClientBuilder::http_client`].
pub use reqwest;
/// The `time` crate that [`Timestamp`] wraps.
pub use time;
