//! A small conference served by the application runner: every caller entering the app is answered, joins one
//! mixing bridge (made for the first caller, destroyed after the last leaves) and hears a join sound.
//!
//! ```text
//! ARI_URL=http://127.0.0.1:8088/ari ARI_USER=asterisk ARI_PASSWORD=secret \
//!     cargo run -p ari-sdk --example conference
//! ```
//!
//! `ARI_APP` names the Stasis application (default `conference`). Serves until Ctrl-C, then drains the calls.
//! The call logic is `examples/apps/conference.rs`, unit-tested against `ari_sdk::testkit` and live against
//! the sandbox with the same code.

use std::sync::Arc;
use std::time::Duration;

use ari_sdk::app::BoxError;
use ari_sdk::Client;

#[path = "apps/conference.rs"]
mod conference;
#[path = "apps/serving.rs"]
mod serving;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let name = serving::app_name("conference");
    let room = Arc::new(conference::Conference::new(
        client.clone(),
        format!("{name}-room"),
    ));
    println!("room: bridge {}", room.bridge_id());
    serving::serve_until_ctrl_c(client, name, move |call| {
        let room = Arc::clone(&room);
        async move {
            // At most four hours in the room.
            let size = room.join(call, Duration::from_secs(4 * 3600)).await?;
            Ok::<_, BoxError>(format!(
                "left a room of {size} ({} greeted so far)",
                room.greeted()
            ))
        }
    })
    .await
}
