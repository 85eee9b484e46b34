//! The two-party call's logic, shared by the `two_party` example, its unit test against `ari_sdk::testkit`
//! (`ari-sdk/tests/example_apps.rs`) and its live test (`tests/tests/example_apps.rs`).

use std::time::Duration;

use ari_sdk::app::{BoxError, Call, Dial, DialOutcome, Side};

/// How a two-party call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The second leg answered; both talked in a bridge until this side hung up (the other was hung up then,
    /// the bridge destroyed).
    Bridged {
        /// The side that hung up first.
        first_to_leave: Side,
        /// The bridge they talked in.
        bridge_id: String,
    },
    /// The second leg did not answer: `busy`, `no answer`, `congestion` or `failed` (the
    /// [`DialOutcome::name`]); the caller was hung up.
    NotConnected(&'static str),
}

/// Answers the caller, dials `callee` (the caller hears the ringback), and bridges both until either hangs up,
/// at most `limit`; a callee that does not answer ends the call.
pub async fn two_party(mut call: Call, callee: Dial, limit: Duration) -> Result<Outcome, BoxError> {
    call.channel.answer().await?;
    match call.dial(callee).await? {
        DialOutcome::Answered(leg) => {
            let end = call.bridge_with(leg, limit).await?;
            Ok(Outcome::Bridged {
                first_to_leave: end.first_to_leave,
                bridge_id: end.bridge_id,
            })
        }
        other => {
            call.channel.hangup().await?;
            Ok(Outcome::NotConnected(other.name()))
        }
    }
}
