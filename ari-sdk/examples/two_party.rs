//! A two-party call served by the application runner: each caller is answered, a second leg is dialed
//! (`ARI_CALLEE`, default `PJSIP/bob`; 30 s of ringing at most), and both talk in a bridge until either hangs up.
//!
//! ```text
//! ARI_URL=http://127.0.0.1:8088/ari ARI_USER=asterisk ARI_PASSWORD=secret ARI_CALLEE=PJSIP/bob \
//!     cargo run -p ari-sdk --example two_party
//! ```
//!
//! `ARI_APP` names the Stasis application (default `two-party`). Serves until Ctrl-C, then drains the calls.
//! The call logic is `examples/apps/two_party.rs`, unit-tested against `ari_sdk::testkit` and live against the
//! sandbox with the same code.

use std::time::Duration;

use ari_sdk::app::{BoxError, Dial};
use ari_sdk::Client;

#[path = "apps/serving.rs"]
mod serving;
#[path = "apps/two_party.rs"]
mod two_party;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let callee = std::env::var("ARI_CALLEE").unwrap_or_else(|_| "PJSIP/bob".to_owned());
    serving::serve_until_ctrl_c(
        Client::from_env()?,
        serving::app_name("two-party"),
        move |call| {
            let callee = Dial::new(callee.clone()).timeout(Duration::from_secs(30));
            // At most four hours of talk.
            two_party::two_party(call, callee, Duration::from_secs(4 * 3600))
        },
    )
    .await
}
