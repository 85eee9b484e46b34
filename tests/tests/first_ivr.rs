//! Issue 14 against the real Asterisk: what surprised a new user writing a first IVR, each as a test.
//!
//! Playback helpers that say which playback timed out and stop it, a failed playback reported as a failure,
//! `originate_and_wait` that does not deadlock a sequential program, incoming calls with a stream right after
//! their StasisStart, hang-up helpers that treat "already gone" as done, and `send_dtmf` that takes its digits.

use std::time::Duration;

use ari_live_tests::{connect, first_error, Ari, Cleanup, EVENT_TIMEOUT};
use ari_sdk::event_types::{ChannelDtmfReceived, ChannelVarset, StasisStart};
use ari_sdk::events::{unique_id, EventStream};
use ari_sdk::flows::{FlowError, Started, Undone};
use ari_sdk::models::Channel;
use ari_sdk::{ChannelHandle, Client};

async fn connected(ari: &Ari, client: &Client, app: &str) -> EventStream {
    let events = client
        .events()
        .app(app)
        .connect()
        .await
        .expect("connecting the event stream");
    ari.wait_registered(&[app]).await;
    events
}

/// One test's stage: the connection, an SDK client, a fresh application its event stream
/// serves (registered with Asterisk) and cleanup.
async fn stage(what: &str) -> (Ari, Client, String, EventStream, Cleanup) {
    let ari = connect().await;
    let client = ari.client();
    let app = ari.unique(what);
    let events = connected(&ari, &client, &app).await;
    let cleanup = ari.cleanup();
    (ari, client, app, events, cleanup)
}

/// Originates `Local/wait@<context>` into `app` and returns the channel in Stasis (answered),
/// registered with `cleanup`.
async fn waiting_channel(
    ari: &Ari,
    client: &Client,
    app: &str,
    cleanup: &mut Cleanup,
) -> ChannelHandle {
    let channel = client.channel(unique_id());
    cleanup.channel(channel.id());
    channel
        .originate_and_wait(
            channel
                .originate_with_id(format!("Local/wait@{}", ari.target.context))
                .app(app),
            EVENT_TIMEOUT,
        )
        .await
        .expect("originate into the app");
    channel
}

/// Calls `Local/stasis-<app>@<context>/n` (both halves registered with `cleanup`) and waits for the
/// half named with `otherChannelId`, which enters `app` first, ringing: returns (first, second) and
/// what the wait returned for `second`.
async fn local_call(
    ari: &Ari,
    client: &Client,
    cleanup: &mut Cleanup,
    app: &str,
) -> (ChannelHandle, ChannelHandle, Started<Channel>) {
    let first = client.channel(unique_id());
    let second = client.channel(unique_id());
    cleanup.channel(first.id());
    cleanup.channel(second.id());
    let started = second
        .originate_and_wait(
            first
                .originate_with_id(format!("Local/stasis-{app}@{}/n", ari.target.context))
                .app(app)
                .other_channel_id(second.id()),
            EVENT_TIMEOUT,
        )
        .await
        .expect("the other half enters the app");
    (first, second, started)
}

/// [`local_call`], then answers the callee (second half) and waits for the caller (first half)
/// to enter `app` too: returns (caller, callee), both up in Stasis.
async fn answered_local_call(
    ari: &Ari,
    client: &Client,
    cleanup: &mut Cleanup,
    app: &str,
) -> (ChannelHandle, ChannelHandle) {
    let (caller, callee, _) = local_call(ari, client, cleanup, app).await;
    let mut caller_events = caller.events().expect("caller stream");
    callee.answer().await.expect("answer");
    caller_events
        .next_of::<StasisStart>(EVENT_TIMEOUT)
        .await
        .expect("caller in Stasis");
    (caller, callee)
}

#[tokio::test]
async fn a_playback_wait_that_times_out_names_the_playback_and_its_media_and_stops_it() {
    let (ari, client, app, _events, mut cleanup) = stage("ivr-timeout").await;
    let channel = waiting_channel(&ari, &client, &app, &mut cleanup).await;

    let playback = client.playback(unique_id());
    // demo-congrats lasts about 8 s: far longer than the wait.
    let err = playback
        .play_and_wait(
            channel.play_with_id(playback.id(), ["sound:demo-congrats"]),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    println!("{err}");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "no PlaybackFinished of playback {} (media sound:demo-congrats on channel:{}) within 300ms; playback {} \
             was stopped",
            playback.id(),
            channel.id(),
            playback.id()
        )
    );
    assert!(
        matches!(
            err,
            FlowError::Wait {
                undone: Undone::Stopped(_),
                ..
            }
        ),
        "{err:?}"
    );
    // Asterisk answers the stop before its playback thread ends and forgets the playback: until then a GET
    // shows it `done` (1 loop run in 20). A playback still playing would answer for the whole bound.
    let gone = first_error("the stopped playback forgotten", || playback.get()).await;
    assert!(gone.is_not_found(), "the playback no longer runs: {gone}");
}

#[tokio::test]
async fn a_failed_playback_is_an_error_naming_the_media() {
    let (ari, client, app, _events, mut cleanup) = stage("ivr-failed").await;
    let channel = waiting_channel(&ari, &client, &app, &mut cleanup).await;

    let err = channel
        .play_and_wait(["sound:does-not-exist"], EVENT_TIMEOUT)
        .await
        .unwrap_err();
    println!("{err}");
    let FlowError::PlaybackFailed(playback) = &err else {
        panic!("expected PlaybackFailed, got {err:?}");
    };
    assert_eq!(playback.media_uri, "sound:does-not-exist");
    assert_eq!(playback.target_uri, format!("channel:{}", channel.id()));
    assert!(err.to_string().contains("sound:does-not-exist"), "{err}");

    // A sound that exists still succeeds.
    let (_, finished) = channel
        .play_and_wait(["sound:beep"], EVENT_TIMEOUT)
        .await
        .expect("sound:beep plays");
    assert_eq!(finished.playback.state, ari_sdk::enums::PlaybackState::Done);
}

#[tokio::test]
async fn originate_and_wait_on_the_first_local_half_does_not_deadlock_a_sequential_program() {
    let (ari, client, app, _events, mut cleanup) = stage("ivr-seq").await;

    // The obvious use: call into your own application and wait for your half. The other half enters the app
    // first, ringing, and this half can only follow once that one is answered — by this very program.
    let caller = client.channel(unique_id());
    cleanup.channel(caller.id());
    let mut caller_events = caller.events().expect("caller stream");
    let err = caller
        .originate_and_wait(
            caller
                .originate_with_id(format!("Local/stasis-{app}@{}/n", ari.target.context))
                .app(&app),
            Duration::from_secs(60),
        )
        .await
        .unwrap_err();
    println!("{err}");
    let FlowError::OtherHalfRinging { channel, other } = &err else {
        panic!("expected OtherHalfRinging at once, got {err:?}");
    };
    assert_eq!(channel, caller.id());
    assert_eq!(other.application, app);
    cleanup.channel(&other.channel.id);
    // Following the error's advice: answer the other half; then this half enters Stasis.
    client
        .channel(&other.channel.id)
        .answer()
        .await
        .expect("answer the other half");
    let start: StasisStart = caller_events
        .next_of(EVENT_TIMEOUT)
        .await
        .expect("the caller enters");
    assert_eq!(start.channel.id, caller.id());

    // And the documented other use: wait for the other half (named otherChannelId), which enters first.
    let (first, second, started) = local_call(&ari, &client, &mut cleanup, &app).await;
    assert_eq!(started.start.channel.id, second.id());

    // An originate for some other channel is refused before anything is sent.
    let err = caller
        .originate_and_wait(first.originate_with_id("Local/wait@x"), EVENT_TIMEOUT)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FlowError::Request(ari_sdk::Error::InvalidRequest { .. })
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_incoming_call_taken_late_still_has_every_event_after_its_stasis_start() {
    let (ari, client, app, mut all, mut cleanup) = stage("ivr-incoming").await;
    let mut calls = client.incoming_calls().expect("incoming calls");

    let caller = client.channel(unique_id());
    let callee = client.channel(unique_id());
    cleanup.channel(caller.id());
    cleanup.channel(callee.id());
    caller
        .originate_with_id(format!("Local/stasis-{app}@{}/n", ari.target.context))
        .app(&app)
        .other_channel_id(callee.id())
        .await
        .expect("originate");
    // Something happens to the call right after it entered, before the program looks at it.
    let started = all
        .next_of_where(|s: &StasisStart| s.channel.id == callee.id(), EVENT_TIMEOUT)
        .await
        .expect("StasisStart of the callee");
    assert_eq!(started.channel.id, callee.id());
    callee
        .set_channel_var("ARI_SDK_FIRST")
        .value("early")
        .await
        .expect("set a variable");
    all.next_of_where(
        |v: &ChannelVarset| v.variable == "ARI_SDK_FIRST",
        EVENT_TIMEOUT,
    )
    .await
    .expect("the ChannelVarset was dispatched");

    let call = calls
        .next_call(EVENT_TIMEOUT)
        .await
        .expect("the incoming call");
    assert_eq!(call.channel.id(), callee.id());
    let mut events = call.events;
    let first = events
        .next_of::<ChannelVarset>(EVENT_TIMEOUT)
        .await
        .expect("the call's own stream has the ChannelVarset");
    assert_eq!(
        (first.variable.as_str(), first.value.as_str()),
        ("ARI_SDK_FIRST", "early")
    );

    // Answer, key a digit on the caller once it is in, hear it on the call's stream.
    let mut caller_events = caller.events().expect("caller stream");
    call.channel.answer().await.expect("answer");
    caller_events
        .next_of::<StasisStart>(EVENT_TIMEOUT)
        .await
        .expect("caller in Stasis");
    caller
        .send_dtmf("1")
        .await
        .expect("send DTMF with its digits");
    let dtmf: ChannelDtmfReceived = events.next_of(EVENT_TIMEOUT).await.expect("the digit");
    assert_eq!(dtmf.digit, "1");
}

#[tokio::test]
async fn hangup_and_wait_waits_until_gone_and_treats_already_gone_as_done() {
    let (ari, client, app, _events, mut cleanup) = stage("ivr-hangup").await;
    let (caller, callee) = answered_local_call(&ari, &client, &mut cleanup, &app).await;

    caller
        .hangup_and_wait(EVENT_TIMEOUT)
        .await
        .expect("hang up the caller");
    // It returns once the caller has left the application (StasisEnd); Asterisk destroys the
    // channel a moment later (a GET found it once under load), so the 404 is polled for.
    let err = first_error("the caller gone after hangup_and_wait", || caller.get()).await;
    assert!(
        err.is_not_found(),
        "the caller is gone after hangup_and_wait: {err}"
    );
    // Hanging up one half takes the other: a plain hangup is then a 404 (the other half may take a moment
    // to follow, and a hangup answers 204 before Asterisk has destroyed the channel: repeated, bounded,
    // until the 404) …
    let err = first_error("the callee gone with its other half", || callee.hangup()).await;
    assert!(err.is_not_found(), "{err}");
    assert!(!err.is_conflict());
    // … and hangup_and_wait counts it as done.
    callee
        .hangup_and_wait(EVENT_TIMEOUT)
        .await
        .expect("already gone is done");
    client
        .channel(unique_id())
        .hangup_and_wait(EVENT_TIMEOUT)
        .await
        .expect("a channel that never existed is gone too");
}

#[tokio::test]
async fn a_recording_holds_what_the_channel_receives_and_a_silent_leg_gives_a_44_byte_wav() {
    let (ari, client, app, _events, mut cleanup) = stage("ivr-rec").await;
    let (caller, callee) = answered_local_call(&ari, &client, &mut cleanup, &app).await;

    let mut sizes = Vec::new();
    for with_audio in [false, true] {
        let name = unique_id();
        cleanup.recording(&name);
        let mut recording = client.live_recording(&name).events().expect("stream");
        if with_audio {
            caller
                .play(["sound:demo-congrats"])
                .await
                .expect("play to the caller");
        }
        callee
            .record(&name, "wav")
            .max_duration_seconds(1)
            .await
            .expect("record the callee");
        recording
            .next_of::<ari_sdk::event_types::RecordingFinished>(EVENT_TIMEOUT)
            .await
            .expect("RecordingFinished");
        let file = client
            .stored_recording(&name)
            .get_stored_file()
            .await
            .expect("download");
        sizes.push(file.bytes.len());
    }
    println!(
        "recorded bytes: silent leg {}, with audio {}",
        sizes[0], sizes[1]
    );
    assert_eq!(
        sizes[0], 44,
        "nothing sent to the callee: the WAV header only"
    );
    assert!(
        sizes[1] > 44 + 8000,
        "audio played to the caller reaches the callee's recording"
    );
}
