//! The example apps' call logic (`examples/apps/`) against `ari_sdk::testkit`: the same handlers the examples
//! serve and the live tests run against the sandbox (`tests/tests/example_apps.rs`).

#[path = "../examples/apps/voicemail.rs"]
mod voicemail;

use std::time::Duration;

use ari_sdk::app::{App, BoxError, Shutdown};
use ari_sdk::testkit::FakeAsterisk;
use tokio::sync::mpsc;
use voicemail::{Limits, Outcome};

/// The most any test here waits for anything.
const LIMIT: Duration = Duration::from_secs(10);

const LIMITS: Limits = Limits {
    message: Duration::from_secs(30),
    menu: Duration::from_millis(300),
};

/// Serves the voicemail app on a fresh fake; each call's outcome comes out of the receiver.
async fn voicemail_on_a_fake() -> (
    FakeAsterisk,
    Shutdown,
    mpsc::UnboundedReceiver<Result<Outcome, String>>,
) {
    let fake = FakeAsterisk::start().await.expect("the fake");
    let app = App::new(fake.client().expect("a client"), "voicemail");
    let shutdown = app.shutdown_handle();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(app.serve(move |call| {
        let tx = tx.clone();
        async move {
            let outcome = voicemail::voicemail(call, LIMITS).await;
            let _ = tx.send(
                outcome
                    .as_ref()
                    .map(Clone::clone)
                    .map_err(|e| e.to_string()),
            );
            outcome.map(drop)
        }
    }));
    (fake, shutdown, rx)
}

/// Polls `done` every 10 ms until it holds, at most [`LIMIT`].
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "{what} within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A call into the voicemail app on a fresh fake whose caller keys `digits`; its outcome.
async fn caller_keys(digits: &str) -> Result<(FakeAsterisk, Shutdown, String, Outcome), BoxError> {
    let (fake, shutdown, mut rx) = voicemail_on_a_fake().await;
    let caller = fake.call("voicemail", &[]).await?;
    fake.send_dtmf(&caller, digits, Duration::ZERO).await?;
    let outcome = outcome(&mut rx).await;
    Ok((fake, shutdown, caller, outcome))
}

async fn outcome(rx: &mut mpsc::UnboundedReceiver<Result<Outcome, String>>) -> Outcome {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("the call's outcome within 10 s")
        .expect("the handler's result")
        .expect("the handler succeeded")
}

/// The media of every play request, in order.
fn played(fake: &FakeAsterisk) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| {
            matches!(
                r.operation.as_deref(),
                Some("channels.play" | "channels.playWithId")
            )
        })
        .flat_map(|r| {
            r.query
                .into_iter()
                .filter(|(k, _)| k == "media")
                .map(|(_, v)| v)
        })
        .collect()
}

#[tokio::test]
async fn voicemail_key_1_records_a_message_until_the_pound_key() -> Result<(), BoxError> {
    let (fake, shutdown, mut rx) = voicemail_on_a_fake().await;
    let caller = fake.call("voicemail", &[]).await?;
    fake.send_dtmf(&caller, "1", Duration::ZERO).await?;
    // Until the recording runs, then a few (fake) seconds of message.
    until("a record request", || {
        !fake.requests_of("channels.record").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.send_dtmf(&caller, "#", Duration::ZERO).await?;
    let Outcome::Message { name, bytes } = outcome(&mut rx).await else {
        panic!("not a message");
    };
    let record = &fake.requests_of("channels.record")[0];
    assert_eq!(record.param("name"), Some(name.as_str()));
    assert_eq!(record.param("beep"), Some("true"));
    assert_eq!(record.param("terminateOn"), Some("#"));
    assert_eq!(record.param("maxDurationSeconds"), Some("30"));
    // 300 ms at the fake's 100 ms per second: about 3 s of 8 kHz 16-bit audio after the 44-byte header.
    assert!(
        (44 + 40_000..=44 + 64_000).contains(&bytes),
        "{bytes} bytes"
    );
    assert_eq!(played(&fake), ["sound:vm-intro", "sound:vm-msgsaved"]);
    assert_eq!(fake.channel_state(&caller), None, "hung up");
    shutdown.trigger();
    Ok(())
}

#[tokio::test]
async fn voicemail_key_2_says_goodbye_and_an_invalid_key_then_silence_ends_without_a_choice(
) -> Result<(), BoxError> {
    let (fake, shutdown, _, outcome) = caller_keys("2").await?;
    assert_eq!(outcome, Outcome::Goodbye);
    assert_eq!(played(&fake), ["sound:vm-intro", "sound:vm-goodbye"]);
    assert!(fake.requests_of("channels.record").is_empty());
    assert!(fake.stored_recordings().is_empty());
    shutdown.trigger();

    let (fake, shutdown, caller, outcome) = caller_keys("9").await?;
    assert_eq!(outcome, Outcome::NoChoice);
    let media = played(&fake);
    assert_eq!(media.first().map(String::as_str), Some("sound:vm-intro"));
    for retry_prompt in ["sound:option-is-invalid", "sound:vm-nobodyavail"] {
        assert!(
            media.iter().any(|m| m == retry_prompt),
            "{retry_prompt}: {media:?}"
        );
    }
    assert_eq!(fake.channel_state(&caller), None, "hung up");
    shutdown.trigger();
    Ok(())
}

#[tokio::test]
async fn voicemail_a_failing_answer_hangs_the_call_up() -> Result<(), BoxError> {
    let (fake, shutdown, mut rx) = voicemail_on_a_fake().await;
    fake.fail("channels.answer", 500, "Internal Server Error", 1);
    let caller = fake.call("voicemail", &[]).await?;
    let error = tokio::time::timeout(LIMIT, rx.recv())
        .await?
        .expect("a result")
        .expect_err("the answer failed");
    assert!(error.contains("500"), "{error}");
    // The runner hung the channel up after the handler's error.
    until("the hangup", || fake.channel_state(&caller).is_none()).await;
    assert_eq!(fake.requests_of("channels.hangup").len(), 1);
    shutdown.trigger();
    Ok(())
}
