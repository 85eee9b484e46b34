//! Every ARI operation, called through the generated SDK against the real Asterisk.
//!
//! Each test asserts the effect of what it calls where this Asterisk can perform it, and the
//! exact status and message where it cannot (the test's name says so). The SDK's requests are
//! recorded (see `ari_live_tests::coverage`); `cargo xtask live-coverage` reports them against
//! the specs' 109 operations.

mod applications;
mod asterisk;
mod bridges;
mod channels;
mod media;
mod sip;
mod tricky_ids;
mod unavailable;
mod websocket;
