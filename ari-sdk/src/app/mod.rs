//! Stasis applications without the plumbing: one task per call, and the call-control helpers every application
//! writes otherwise.
//!
//! [`App`] serves a Stasis application: every channel that enters it (its `StasisStart`) gets its own task running
//! your handler with a [`Call`] — the channel's handle, its own event stream positioned right after the
//! `StasisStart`, the Stasis arguments, and the client of the server the call is on.
//!
//! ```no_run
//! # async fn demo(client: ari_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use ari_sdk::app::{App, BoxError, Collect};
//!
//! let report = App::new(client, "ivr")
//!     .max_calls(100)
//!     .serve(|mut call| async move {
//!         call.channel.answer().await?;
//!         let pin = call.collect(Collect::prompt(["sound:vm-password"]).max_digits(4)).await?;
//!         println!("{} keyed {}", call.id(), pin.digits);
//!         call.channel.hangup().await?;
//!         Ok::<_, BoxError>(())
//!     })
//!     .await?;
//! println!("served {} calls", report.calls);
//! # Ok(()) }
//! ```
//!
//! # What the runner guarantees
//!
//! * **Isolation**: each handler runs in its own task. An error it returns or a panic is logged with the call's
//!   channel id (`tracing`, target `ari_sdk::app`) and the channel is hung up ([`App::on_error`] chooses); other
//!   calls are not disturbed.
//! * **The task ends with the call**: when the channel leaves the application (`StasisEnd`), the handler's stream
//!   ends (its waits fail with [`WaitError::Ended`](crate::events::WaitError::Ended)); a handler still running
//!   [`App::linger`] after that (5 s by default) is cancelled.
//! * **Bounded concurrency**: at most [`App::max_calls`] handlers run at once; a call beyond that is hung up with
//!   cause `congestion` and counted in [`Report::rejected`].
//! * **Graceful shutdown** ([`Shutdown::trigger`], or the future given to [`App::serve_until`]): no new call is
//!   taken (new ones are hung up), running handlers get until [`App::shutdown_deadline`] to finish, then what is
//!   left is hung up and, after at most [`UNDO_TIMEOUT`](crate::flows::UNDO_TIMEOUT) more, cancelled.
//! * **One span per call**: `tracing` span `call` with fields `app`, `channel` and `server`; every request a
//!   handler sends is logged inside it.
//! * **Several servers**: [`App::server`] adds another Asterisk; each call's handles talk to the server the call
//!   is on (they hold that server's [`Client`](crate::Client)).
//! * **Outbound WebSocket**: [`App::outbound`] (or [`App::listener`]) serves the connections Asterisk opens to
//!   an [`outbound::Listener`](crate::outbound::Listener), persistent ones (many calls each) and per-call ones
//!   (one connection is one call) alike; each call's handles talk over the connection it came on.
//! * **Scaling out**: with [`App::claim_broadcasts`], the runner claims channels offered by `StasisBroadcast`
//!   (`CallBroadcast`, `POST /events/claim`; first claim wins), so several instances share one Asterisk's calls.
//!
//! # Helpers
//!
//! [`Call::collect`] (prompt and collect digits, with barge-in), [`Call::record`], [`Call::dial`] and
//! [`Call::bridge_with`], [`Call::menu`], and [`members`] (who is in a bridge, as a stream of changes). Each is
//! also a free function ([`collect`](fn@collect), [`record`](fn@record), [`dial`](fn@dial)) for programs that
//! take their calls some other way.

mod collect;
mod dial;
mod error;
mod members;
mod record;
mod runner;

pub use collect::{
    collect, Collect, CollectEnd, Collected, Menu, MenuMiss, MenuOutcome, PromptOutcome,
};
pub use dial::{bridge_with, dial, BridgeEnd, Dial, DialOutcome, Leg, Ringback, Side};
pub use error::CallError;
pub use members::{members, Members, MembershipChange};
pub use record::{record, Record, RecordEnd, Recorded};
pub use runner::{App, Call, OnError, Report, Shutdown, Stopped};

/// The error type a handler may return (anything `?` converts into it).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
