//! A voicemail IVR served by the application runner: answer, a menu (`1`: leave a message, recorded after a beep
//! until `#`, at most 60 s; `2`: goodbye; retries with "invalid" / "no input" prompts), then hang up.
//!
//! ```text
//! ARI_URL=http://127.0.0.1:8088/ari ARI_USER=asterisk ARI_PASSWORD=secret \
//!     cargo run -p ari-sdk --example voicemail
//! ```
//!
//! `ARI_APP` names the Stasis application (default `voicemail`). Serves until Ctrl-C, then drains the calls.
//! The call logic is `examples/apps/voicemail.rs`, unit-tested against `ari_sdk::testkit` and live against the
//! sandbox with the same code.

use std::time::Duration;

use ari_sdk::app::BoxError;
use ari_sdk::Client;

#[path = "apps/serving.rs"]
mod serving;
#[path = "apps/voicemail.rs"]
mod voicemail;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let limits = voicemail::Limits {
        message: Duration::from_secs(60),
        menu: Duration::from_secs(5),
    };
    serving::serve_until_ctrl_c(
        Client::from_env()?,
        serving::app_name("voicemail"),
        move |call| voicemail::voicemail(call, limits),
    )
    .await
}
