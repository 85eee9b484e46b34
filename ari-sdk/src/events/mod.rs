//! The ARI event stream: one WebSocket connection, many subscribers, and a clear account of anything missed.
//!
//! ```text
//!  server ──ws──▶ connection task ──decode once──▶ hub ──▶ bounded queue ──▶ EventStream (all events)
//!                 (ping/pong deadline,                 ├─▶ bounded queue ──▶ EventStream (matching a filter)
//!                  reconnect + backoff)                └─▶ bounded queue ──▶ EventStream (one channel/bridge/…)
//! ```
//!
//! * [`EventsBuilder`] configures the connection (base URL, applications, `subscribeAll`, credentials, TLS,
//!   reconnect policy, ping timing, buffer size) and [`connect`](EventsBuilder::connect)s once; from then on a
//!   task keeps the connection and reconnects with exponential backoff and jitter ([`ReconnectPolicy`]).
//!   [`Client::events`](crate::Client::events) makes one configured like the client, typed to the generated
//!   [`Event`](crate::Event), and registers the connection with the client so that handles
//!   (`client.channel(id).events()`, `client.bridge(id)`, `client.playback(id)`, `client.live_recording(name)`)
//!   take per-object streams from it.
//! * Every stream is a [`futures::Stream`] of `Result<`[`StreamItem`]`<E>, `[`EventsError`]`>`: events in
//!   order, plus [`StreamItem::Gap`] after each reconnect (with its duration) and [`StreamItem::Lagged`] when a
//!   subscriber fell behind its bounded buffer. Nothing is dropped silently, memory stays bounded, and a slow
//!   subscriber never blocks the connection or the others.
//! * [`EventsHandle`] makes more subscriptions: all events, the ones matching a filter, or one object's
//!   ([`channel`](EventsHandle::channel), [`bridge`](EventsHandle::bridge), [`playback`](EventsHandle::playback),
//!   [`recording`](EventsHandle::recording)), which end by themselves when the object's life ends. They are
//!   registered synchronously, so with a [`unique_id`] they can be taken before the object is created.
//! * After each reconnect the connection resyncs (connections of [`Client::events`](crate::Client::events),
//!   unless turned off with [`EventsBuilder::resync`]): it reads what the applications hold, ends the per-object
//!   streams of objects that ended while the socket was down with [`StreamItem::EndedInGap`], and reports them
//!   and the channels and bridges that appeared meanwhile in a [`StreamItem::Resync`].
//! * The state of the connection is observable ([`ConnectionState`], [`EventsHandle::watch_state`]); the task
//!   ends, with a close frame, on [`EventsHandle::close`] or when every handle and stream has been dropped.
//! * The runtime is generic over the event type through [`EventPayload`], which the generated `Event`
//!   implements; [`RawEvent`] is an untyped implementation.

mod attach;
mod backoff;
pub(crate) mod config;
pub(crate) mod connection;
mod error;
mod hub;
mod id;
pub(crate) mod payload;
mod queue;
mod registry;
pub(crate) mod rest;
mod resync;
mod stream;

pub use crate::typed_waits::EventKind;
pub use backoff::ReconnectPolicy;
pub use config::{EventsBuilder, MAX_APP_NAME_LEN};
pub use error::{BoxError, EventsError};
pub(crate) use hub::SpawnedList;
pub use id::unique_id;
pub(crate) use payload::visit_paths;
pub use payload::{
    ends_by_default, DecodeError, EventPayload, ObjectKind, ObjectPath, ObjectRef, RawEvent,
};
pub(crate) use registry::Registry;
pub use resync::{EndedInGap, GapEnd, Resync};
pub(crate) use stream::{deadline_after, into_wait_result};
pub use stream::{
    Awaited, ConnectionState, EventStream, EventWaiter, EventsHandle, Gap, Health, StreamItem,
    SubscriberHealth, WaitError,
};
