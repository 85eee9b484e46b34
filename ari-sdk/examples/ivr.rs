//! A small IVR: answer, play a greeting, wait for one digit — `1` plays a short message, `2` records three
//! seconds of the caller and downloads the recording, no key ends with a goodbye — then hang up and clean up.
//!
//! ```text
//! ARI_URL=http://127.0.0.1:8088/ari ARI_USER=asterisk ARI_PASSWORD=secret \
//!     cargo run -p ari-sdk --example ivr
//! ```
//!
//! `ARI_APP` names the Stasis application (default `ivr`); send calls to it from the dialplan with
//! `Stasis(ivr)` (the sandbox: `Local/stasis-ivr@ari-sdk`). `IVR_CALLS=N` stops after N calls (otherwise it
//! serves until Ctrl-C). Each call is handled in its own task and prints one line saying how it went.

use std::time::Duration;

use ari_sdk::enums::RecordIfExists;
use ari_sdk::event_types::{ChannelDtmfReceived, RecordingFailed, RecordingFinished};
use ari_sdk::events::unique_id;
use ari_sdk::flows::Incoming;
use ari_sdk::{Client, Event};

/// The longest any request or wait may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller has to press a key after the greeting.
const KEY_TIMEOUT: Duration = Duration::from_secs(5);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let client = Client::from_env()?;
    let app = std::env::var("ARI_APP").unwrap_or_else(|_| "ivr".to_owned());
    let calls: usize = std::env::var("IVR_CALLS").map_or(Ok(usize::MAX), |n| n.parse())?;
    // The application's event connection; every call's own stream comes from it.
    let events = client.events().app(&app).connect().await?;
    let mut incoming = client.incoming_calls()?;
    println!("ivr: application {app} is ready");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..calls {
        let call = tokio::select! {
            call = incoming.next_call(Duration::MAX) => call?,
            _ = tokio::signal::ctrl_c() => break,
        };
        let client = client.clone();
        tasks.spawn(async move {
            let id = call.channel.id().to_owned();
            match handle(&client, call).await {
                Ok(outcome) => println!("ivr: call {id}: {outcome}"),
                Err(err) => println!("ivr: call {id}: FAILED: {err}"),
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    events.handle().close();
    Ok(())
}

/// One call, from answer to hangup; the channel is hung up whatever happened.
async fn handle(client: &Client, call: Incoming) -> Result<String, BoxError> {
    let (channel, mut events) = (call.channel, call.events);
    let outcome = menu(client, &channel, &mut events).await;
    channel.hangup_and_wait(TIMEOUT).await?;
    outcome
}

async fn menu(
    client: &Client,
    channel: &ari_sdk::ChannelHandle,
    events: &mut ari_sdk::events::EventStream<Event>,
) -> Result<String, BoxError> {
    channel.answer().await?;
    // A key pressed during the greeting is kept in `events` and read below.
    channel
        .play_and_wait(["sound:hello-world"], TIMEOUT)
        .await?;
    let key = match events.next_of::<ChannelDtmfReceived>(KEY_TIMEOUT).await {
        Ok(dtmf) => Some(dtmf.digit),
        Err(err) if err.is_timeout() => None,
        Err(err) => return Err(err.into()),
    };
    match key.as_deref() {
        Some("1") => {
            channel.play_and_wait(["sound:digits/1"], TIMEOUT).await?;
            Ok("pressed 1: played digits/1".to_owned())
        }
        Some("2") => {
            let bytes = record(client, channel, 3).await?;
            Ok(format!("pressed 2: recorded 3 s, downloaded {bytes} bytes"))
        }
        other => {
            channel.play_and_wait(["sound:vm-goodbye"], TIMEOUT).await?;
            Ok(match other {
                Some(key) => format!("pressed {key}: not an option, said goodbye"),
                None => format!("no key within {KEY_TIMEOUT:?}: said goodbye"),
            })
        }
    }
}

/// Records `seconds` of what the caller says, downloads the recording and deletes it from the server.
///
/// A recording holds what the channel *receives*: a caller who sends no audio gives an empty (44-byte) WAV.
async fn record(
    client: &Client,
    channel: &ari_sdk::ChannelHandle,
    seconds: i64,
) -> Result<usize, BoxError> {
    let name = unique_id();
    let mut recording = client.live_recording(&name).events()?;
    channel
        .record(&name, "wav")
        .max_duration_seconds(seconds)
        .if_exists(RecordIfExists::Overwrite)
        .beep(true)
        .await?;
    let finished = recording
        .wait_for_map(
            "RecordingFinished or RecordingFailed",
            |event| match event {
                Event::RecordingFinished(RecordingFinished { recording, .. }) => {
                    Some(Ok(recording))
                }
                Event::RecordingFailed(RecordingFailed { recording, .. }) => Some(Err(recording)),
                _ => None,
            },
            TIMEOUT + Duration::from_secs(seconds as u64),
        )
        .await?;
    finished.map_err(|failed| format!("recording {name} failed: {:?}", failed.cause))?;
    let stored = client.stored_recording(&name);
    let file = stored.get_stored_file().await;
    stored.delete_stored().await?;
    Ok(file?.bytes.len())
}
