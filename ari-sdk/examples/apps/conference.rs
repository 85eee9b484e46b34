//! The small conference's logic, shared by the `conference` example, its unit test against `ari_sdk::testkit`
//! (`ari-sdk/tests/example_apps.rs`) and its live test (`tests/tests/example_apps.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ari_sdk::app::{BoxError, Call};
use ari_sdk::enums::BridgeType;
use ari_sdk::Client;
use tokio::sync::Mutex;

/// The sound each caller hears on joining.
pub const JOIN_SOUND: &str = "sound:confbridge-join";

/// One conference room: a mixing bridge made when the first caller joins and destroyed after the last leaves.
/// Shared by every call of the app (one `Arc<Conference>`).
#[derive(Debug)]
pub struct Conference {
    client: Client,
    bridge_id: String,
    /// How many callers are in the room; the bridge exists while this is not zero.
    callers: Mutex<usize>,
    /// How many callers have heard the join sound.
    greeted: AtomicUsize,
}

impl Conference {
    /// A room whose bridge, while it exists, has id `bridge_id`.
    pub fn new(client: Client, bridge_id: impl Into<String>) -> Conference {
        Conference {
            client,
            bridge_id: bridge_id.into(),
            callers: Mutex::new(0),
            greeted: AtomicUsize::new(0),
        }
    }

    /// The id of the room's bridge.
    pub fn bridge_id(&self) -> &str {
        &self.bridge_id
    }

    /// Answers the caller, adds it to the room (making the bridge for the first caller), plays it the join
    /// sound and keeps it until it hangs up (at most `limit`); then it leaves the room (the last one out
    /// destroys the bridge). Returns how many callers the room had once this one was in.
    pub async fn join(&self, mut call: Call, limit: Duration) -> Result<usize, BoxError> {
        call.channel.answer().await?;
        let bridge = self.client.bridge(&self.bridge_id);
        let size = {
            let mut callers = self.callers.lock().await;
            if *callers == 0 {
                bridge
                    .create_with_id()
                    .kind([BridgeType::Mixing])
                    .name("conference")
                    .await?;
            }
            *callers += 1;
            *callers
        };
        let stayed = async {
            bridge.add_channel([call.id()]).await?;
            call.channel
                .play_and_wait([JOIN_SOUND], Duration::from_secs(10))
                .await?;
            self.greeted.fetch_add(1, Ordering::SeqCst);
            call.events
                .next_of::<ari_sdk::event_types::StasisEnd>(limit)
                .await?;
            Ok::<_, BoxError>(())
        }
        .await;
        self.leave().await?;
        stayed.map(|()| size)
    }

    /// How many callers have heard the join sound since the room was made.
    pub fn greeted(&self) -> usize {
        self.greeted.load(Ordering::SeqCst)
    }

    /// One caller out; the last destroys the bridge.
    async fn leave(&self) -> Result<(), BoxError> {
        let mut callers = self.callers.lock().await;
        *callers = callers.saturating_sub(1);
        if *callers == 0 {
            self.client.bridge(&self.bridge_id).destroy().await?;
        }
        Ok(())
    }
}
