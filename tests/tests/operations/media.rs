//! `playbacks` and `recordings`, on channels and bridges: playback control, live recording
//! control, and stored recordings downloaded as WAV.

use std::time::Duration;

use ari_live_tests::{
    expect_api_error, expect_api_error_eventually, expect_refused, poll_until, Scene,
};
use ari_sdk::enums::{
    LiveRecordingState, PlaybackOperation, PlaybackState, RecordIfExists, RecordTerminateOn,
};
use futures::StreamExt as _;

/// A long sound (about 30 s), so a playback is still running while it is controlled.
const LONG_SOUND: &str = "sound:demo-congrats";

#[tokio::test]
async fn channel_playback_control_and_stop() {
    let mut scene = Scene::new("playback").await;
    let client = scene.client.clone();
    let id = scene.channel("wait").await;

    let playback_id = scene.unique("pb");
    let playback = client
        .channel(&id)
        .play([LONG_SOUND])
        .lang("en")
        .offsetms(0)
        .skipms(2000)
        .playback_id(&playback_id)
        .await
        .expect("play");
    assert_eq!(playback.id, playback_id);
    assert_eq!(playback.target_uri, format!("channel:{id}"));
    scene
        .object_event("PlaybackStarted", "playback", &playback_id)
        .await;
    let handle = client.playback(&playback_id);
    assert_eq!(
        handle.get().await.expect("get").state,
        PlaybackState::Playing
    );

    // Each control, and the state the playback is in after it where that is certain (forwarding
    // may reach the end of the sound; the restart starts it again).
    for (operation, state) in [
        (PlaybackOperation::Pause, Some(PlaybackState::Paused)),
        (PlaybackOperation::Unpause, Some(PlaybackState::Playing)),
        (PlaybackOperation::Forward, None),
        (PlaybackOperation::Reverse, None),
        (PlaybackOperation::Restart, Some(PlaybackState::Playing)),
    ] {
        handle
            .control(operation.clone())
            .await
            .unwrap_or_else(|e| panic!("control {operation:?}: {e}"));
        if let Some(state) = state {
            let now = handle.get().await.expect("get").state;
            assert_eq!(now, state, "after {operation:?}");
        }
    }

    handle.stop().await.expect("stop");
    let finished = scene
        .object_event("PlaybackFinished", "playback", &playback_id)
        .await;
    assert_eq!(finished["playback"]["state"], "done");
    expect_api_error_eventually!(handle.get(), 404, "Playback not found");
    expect_api_error!(
        handle.control(PlaybackOperation::Pause),
        404,
        "Playback not found"
    );
    expect_api_error!(handle.stop(), 404, "Playback not found");

    // A list of media plays in order, under the id we chose.
    let second = scene.unique("pb");
    let playback = client
        .channel(&id)
        .play_with_id(&second, ["sound:beep", "sound:hello-world"])
        .lang("en")
        .await
        .expect("playWithId");
    assert_eq!(playback.id, second);
    let continuing = scene
        .object_event("PlaybackContinuing", "playback", &second)
        .await;
    assert_eq!(continuing["playback"]["media_uri"], "sound:beep");
    assert_eq!(
        continuing["playback"]["next_media_uri"],
        "sound:hello-world"
    );
    scene
        .object_event("PlaybackFinished", "playback", &second)
        .await;
    // Media Asterisk cannot play is accepted (201), reported started, and then simply gone:
    // no PlaybackFinished, GET answers 404.
    let bad = client
        .channel(&id)
        .play(["nonsense:media"])
        .await
        .expect("play accepts any media URI");
    scene
        .object_event("PlaybackStarted", "playback", &bad.id)
        .await;
    expect_api_error_eventually!(client.playback(&bad.id).get(), 404, "Playback not found");
}

/// Sends the bridge playback `$play` with `announcer_format("ulaw")` where the server has that parameter
/// (it came with 20); on an `$old` server that call is refused before sending, and `$play` goes without it.
macro_rules! with_announcer_format {
    ($old:expr, $play:expr) => {
        if $old {
            expect_refused!(
                $play.announcer_format("ulaw"),
                parameter = "announcer_format"
            );
            $play.await
        } else {
            $play.announcer_format("ulaw").await
        }
    };
}

#[tokio::test]
async fn bridge_playback() {
    let mut scene = Scene::new("bridgeplay").await;
    let client = scene.client.clone();
    let (bridge_id, bridge) = scene.bridge_with_channel("wait").await;

    let play = || {
        bridge
            .play([LONG_SOUND])
            .lang("en")
            .offsetms(500)
            .skipms(1000)
    };
    let old = scene.ari.major().await < 20;
    let first = with_announcer_format!(old, play()).expect("bridge play");
    assert_eq!(first.target_uri, format!("bridge:{bridge_id}"));
    let handle = client.playback(&first.id);
    let got = handle.get().await.expect("get");
    assert!(
        matches!(got.state, PlaybackState::Queued | PlaybackState::Playing),
        "{got:?}"
    );
    handle.stop().await.expect("stop");
    expect_api_error_eventually!(handle.get(), 404, "Playback not found");

    let chosen = scene.unique("pb");
    let play_with_id = || bridge.play_with_id(&chosen, ["sound:beep"]);
    let second = with_announcer_format!(old, play_with_id()).expect("bridge playWithId");
    assert_eq!(second.id, chosen);
    assert_eq!(second.target_uri, format!("bridge:{bridge_id}"));
    bridge.destroy().await.expect("destroy");
}

/// Polls until the live recording `name` is in `state`.
async fn live_state(client: &ari_sdk::Client, name: &str, state: LiveRecordingState) {
    let state = &state;
    poll_until(
        &format!("live recording {name} in state {state:?}"),
        ari_live_tests::EVENT_TIMEOUT,
        Duration::from_millis(50),
        || async move {
            let now = client
                .live_recording(name)
                .get_live()
                .await
                .expect("getLive")
                .state;
            (now == *state).then_some(())
        },
    )
    .await;
}

/// Checks that `bytes` is a RIFF/WAVE file with a `fmt ` chunk and a `data` chunk holding
/// `min_data` bytes or more; returns the data chunk's length.
fn assert_wav(bytes: &[u8], min_data: usize) -> usize {
    assert!(bytes.len() > 44, "{} bytes is no WAV file", bytes.len());
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let mut at = 12;
    let mut data = None;
    let mut fmt = false;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        if id == b"fmt " {
            fmt = true;
            let format = u16::from_le_bytes([bytes[at + 8], bytes[at + 9]]);
            assert_eq!(format, 1, "PCM");
        }
        if id == b"data" {
            data = Some(len);
            break;
        }
        at += 8 + len + (len & 1);
    }
    assert!(fmt, "no fmt chunk");
    let data = data.expect("no data chunk");
    assert!(data >= min_data, "only {data} bytes of audio");
    data
}

#[tokio::test]
async fn channel_recording_control_and_stored_wav() {
    let mut scene = Scene::new("record").await;
    let client = scene.client.clone();
    // `echo` plays hello-world to us, then echoes: there is audio to record.
    let id = scene.channel("echo").await;
    let name = scene.unique("rec");
    let copy = format!("{name}-copy");
    scene.cleanup.recording(&name);
    scene.cleanup.stored_recording(&copy);

    let live = client
        .channel(&id)
        .record(&name, "wav")
        .max_duration_seconds(30)
        .max_silence_seconds(0)
        .if_exists(RecordIfExists::Overwrite)
        .beep(false)
        .terminate_on(RecordTerminateOn::None)
        .await
        .expect("record");
    assert_eq!(
        (live.name.as_str(), live.format.as_str()),
        (name.as_str(), "wav")
    );
    assert_eq!(live.target_uri, format!("channel:{id}"));
    scene
        .object_event("RecordingStarted", "recording", &name)
        .await;
    let recording = client.live_recording(&name);
    assert_eq!(
        recording.get_live().await.expect("getLive").state,
        LiveRecordingState::Recording
    );
    expect_api_error!(
        client
            .channel(&id)
            .record(&name, "wav")
            .if_exists(RecordIfExists::Fail),
        409,
        &format!("Recording '{name}' already exists and can not be overwritten")
    );

    tokio::time::sleep(Duration::from_millis(700)).await;
    recording.pause().await.expect("pause");
    live_state(&client, &name, LiveRecordingState::Paused).await;
    recording.unpause().await.expect("unpause");
    live_state(&client, &name, LiveRecordingState::Recording).await;
    recording.mute().await.expect("mute");
    recording.unmute().await.expect("unmute");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    recording.stop().await.expect("stop");
    let finished = scene
        .object_event("RecordingFinished", "recording", &name)
        .await;
    assert_eq!(finished["recording"]["state"], "done");
    expect_api_error_eventually!(recording.get_live(), 404, "Recording not found");

    // Stored: listed, readable, downloadable as WAV (8 kHz 16-bit: 1.5 s or more of audio).
    let stored = client.stored_recording(&name);
    let info = stored.get_stored().await.expect("getStored");
    assert_eq!(
        (info.name.as_str(), info.format.as_str()),
        (name.as_str(), "wav")
    );
    let all = client.recordings().list_stored().await.expect("listStored");
    assert!(all.iter().any(|r| r.name == name), "{name} not listed");
    let file = stored.get_stored_file().await.expect("getStoredFile");
    assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
    let audio = assert_wav(&file.bytes, 16_000);
    // The same bytes as a stream of chunks.
    let mut stream = stored.get_stored_file().stream().await.expect("stream");
    let mut streamed = Vec::new();
    while let Some(chunk) = stream.next().await {
        streamed.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(streamed, file.bytes);
    if client.transport() == ari_sdk::Transport::WebSocket {
        // The client fetched the file over HTTP (see `Transport::WebSocket`): on the socket
        // Asterisk refuses a binary body with 406 ("Not Acceptable.  Use HTTP GET") and no body.
        let request = stored.get_stored_file().into_request();
        let result = client.execute_void(request.clone()).await;
        ari_live_tests::coverage::check_api_status(&request, result, 406);
    }

    let copied = stored.copy_stored(&copy).await.expect("copyStored");
    assert_eq!(copied.name, copy);
    let copy_file = client
        .stored_recording(&copy)
        .get_stored_file()
        .await
        .expect("copy's file");
    assert_eq!(assert_wav(&copy_file.bytes, 0), audio);
    expect_api_error!(
        stored.copy_stored(&copy),
        409,
        "A recording with the same name already exists on the system"
    );

    stored.delete_stored().await.expect("deleteStored");
    client
        .stored_recording(&copy)
        .delete_stored()
        .await
        .expect("deleteStored copy");
    expect_api_error!(stored.get_stored(), 404, "Recording not found");
    expect_api_error!(stored.get_stored_file(), 404, "Recording not found");
    expect_api_error!(stored.delete_stored(), 404, "Recording not found");
}

#[tokio::test]
async fn cancelled_recording_leaves_nothing() {
    let mut scene = Scene::new("cancel").await;
    let client = scene.client.clone();
    let id = scene.channel("echo").await;
    let name = scene.unique("rec");
    scene.cleanup.recording(&name);
    client
        .channel(&id)
        .record(&name, "wav")
        .await
        .expect("record");
    scene
        .object_event("RecordingStarted", "recording", &name)
        .await;
    // Cancelling deletes the file; right after RecordingStarted the file may not exist yet,
    // and then Asterisk answers 500 "Recording operation failed" although it did cancel.
    // Give it a moment to open the file.
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.live_recording(&name).cancel().await.expect("cancel");
    expect_api_error_eventually!(
        client.live_recording(&name).get_live(),
        404,
        "Recording not found"
    );
    expect_api_error!(
        client.stored_recording(&name).get_stored(),
        404,
        "Recording not found"
    );
    expect_api_error!(
        client.live_recording(&name).cancel(),
        404,
        "Recording not found"
    );
}

/// Asterisk marks a playback `playing` and sends `PlaybackStarted` a moment before the playback
/// can be controlled: a stop inside that moment answers 500 "Could not stop playback" and the
/// sound plays on. `PlaybackHandle::stop_started` rides that out; every playback here is stopped
/// the instant its `PlaybackStarted` arrives, and must end stopped, not played to its end.
#[tokio::test]
async fn stop_right_after_playback_started() {
    let mut scene = Scene::new("stopearly").await;
    let client = scene.client.clone();
    let channel = scene.channel("wait").await;
    let mut refused = 0;
    for round in 0..20 {
        let playback_id = scene.unique(&format!("early{round}"));
        client
            .channel(&channel)
            .play([LONG_SOUND])
            .playback_id(&playback_id)
            .await
            .expect("play");
        scene
            .object_event("PlaybackStarted", "playback", &playback_id)
            .await;
        let handle = client.playback(&playback_id);
        match handle.stop().await {
            Ok(()) => {}
            Err(e) if e.status() == Some(500) => {
                refused += 1;
                handle
                    .stop_started(Duration::from_secs(2))
                    .await
                    .unwrap_or_else(|e| panic!("stop_started after a 500: {e}"));
            }
            Err(e) => panic!("stop of {playback_id}: {e}"),
        }
        let finished = scene
            .object_event("PlaybackFinished", "playback", &playback_id)
            .await;
        // The wait is bounded by 10 s (`EVENT_TIMEOUT`): a sound that was not stopped would finish
        // only after its ~30 s.
        assert_eq!(finished["playback"]["state"], "done", "{finished}");
    }
    eprintln!("stops refused with 500 right after PlaybackStarted: {refused} of 20");
}

#[tokio::test]
async fn bridge_recording() {
    let mut scene = Scene::new("bridgerec").await;
    let client = scene.client.clone();
    // The bridge's audio is a playback into the bridge that runs for the whole recording: the
    // channel itself is silent (`wait`). (A channel's own greeting raced the recording's start.)
    let (bridge_id, bridge) = scene.bridge_with_channel("wait").await;
    let name = scene.unique("rec");
    scene.cleanup.recording(&name);

    let record = || {
        bridge
            .record(&name, "wav")
            .max_duration_seconds(10)
            .max_silence_seconds(0)
            .if_exists(RecordIfExists::Fail)
            .beep(false)
            .terminate_on(RecordTerminateOn::None)
    };
    let live = if scene.ari.major().await < 20 {
        // recorder_format came with 20: refused before sending.
        expect_refused!(
            record().recorder_format("ulaw"),
            parameter = "recorder_format"
        );
        record().await
    } else {
        record().recorder_format("ulaw").await
    }
    .expect("bridge record");
    assert_eq!(live.target_uri, format!("bridge:{bridge_id}"));
    live_state(&client, &name, LiveRecordingState::Recording).await;
    let playback_id = scene.unique("bridgepb");
    bridge
        .play([LONG_SOUND])
        .playback_id(&playback_id)
        .await
        .expect("play into the bridge");
    scene
        .object_event("PlaybackStarted", "playback", &playback_id)
        .await;
    // 1 s of a playing sound is 16,000 bytes of 8 kHz 16-bit audio; half of it is asserted.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    client.live_recording(&name).stop().await.expect("stop");
    client
        .playback(&playback_id)
        .stop_started(Duration::from_secs(2))
        .await
        .expect("stop the bridge's playback");
    let stored = poll_until(
        &format!("the bridge recording {name} stored"),
        ari_live_tests::EVENT_TIMEOUT,
        Duration::from_millis(50),
        || async { client.stored_recording(&name).get_stored().await.ok() },
    )
    .await;
    assert_eq!(stored.format, "wav");
    let file = client
        .stored_recording(&name)
        .get_stored_file()
        .await
        .expect("file");
    assert_wav(&file.bytes, 8_000);
    client
        .stored_recording(&name)
        .delete_stored()
        .await
        .expect("delete");
    bridge.destroy().await.expect("destroy");
}
