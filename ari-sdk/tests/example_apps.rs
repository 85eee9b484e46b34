//! The example apps' call logic (`examples/apps/`) against `ari_sdk::testkit`: the same handlers the examples
//! serve and the live tests run against the sandbox (`tests/tests/example_apps.rs`).

#[path = "../examples/apps/conference.rs"]
mod conference;
#[path = "../examples/apps/two_party.rs"]
mod two_party;
#[path = "../examples/apps/voicemail.rs"]
mod voicemail;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ari_sdk::app::{App, BoxError, Call, Dial, Shutdown, Side};
use ari_sdk::testkit::{DialAnswer, FakeAsterisk};
use tokio::sync::mpsc;
use voicemail::{Limits, Outcome};

/// The most any test here waits for anything.
const LIMIT: Duration = Duration::from_secs(10);

const LIMITS: Limits = Limits {
    message: Duration::from_secs(30),
    menu: Duration::from_millis(300),
};

/// Each call's outcome, or its error's text.
type Outcomes<T> = mpsc::UnboundedReceiver<Result<T, String>>;

/// Serves `handler` as application `name` on `fake`; each call's outcome comes out of the receiver.
fn serve<T, H, Fut>(fake: &FakeAsterisk, name: &str, handler: H) -> (Shutdown, Outcomes<T>)
where
    T: Clone + Send + 'static,
    H: Fn(Call) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, BoxError>> + Send + 'static,
{
    let app = App::new(fake.client().expect("a client"), name);
    let shutdown = app.shutdown_handle();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(app.serve(move |call| {
        let tx = tx.clone();
        let handled = handler(call);
        async move {
            let outcome = handled.await;
            let _ = tx.send(
                outcome
                    .as_ref()
                    .map(Clone::clone)
                    .map_err(|e| e.to_string()),
            );
            outcome.map(drop)
        }
    }));
    (shutdown, rx)
}

/// Serves the voicemail app on a fresh fake.
async fn voicemail_on_a_fake() -> (FakeAsterisk, Shutdown, Outcomes<Outcome>) {
    let fake = FakeAsterisk::start().await.expect("the fake");
    let (shutdown, rx) = serve(&fake, "voicemail", |call| {
        voicemail::voicemail(call, LIMITS)
    });
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

async fn outcome<T>(rx: &mut Outcomes<T>) -> T {
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

/// How long a bridged call may last in these tests.
const TALK: Duration = Duration::from_secs(10);

/// Serves the two-party app on `fake`, dialing the endpoint each call names as its first argument (3 fake
/// seconds of ringing).
fn two_party_on(fake: &FakeAsterisk) -> (Shutdown, Outcomes<two_party::Outcome>) {
    serve(fake, "two-party", |call| {
        let callee = call.args.first().cloned().unwrap_or_default();
        two_party::two_party(
            call,
            Dial::new(callee).timeout(Duration::from_secs(3)),
            TALK,
        )
    })
}

/// Whether bridge `id` exists on `fake` (polled through its REST API).
async fn bridge_exists(fake: &FakeAsterisk, id: &str) -> bool {
    let client = fake.client().expect("a client");
    match client.bridge(id).get().await {
        Ok(_) => true,
        Err(e) if e.is_not_found() => false,
        Err(e) => panic!("GET bridge {id}: {e}"),
    }
}

/// The channels in bridge `id`, sorted.
async fn members_of(fake: &FakeAsterisk, id: &str) -> Vec<String> {
    let client = fake.client().expect("a client");
    let mut channels = client.bridge(id).get().await.expect("the bridge").channels;
    channels.sort();
    channels
}

#[tokio::test]
async fn two_party_answered_is_bridged_until_the_callee_hangs_up() -> Result<(), BoxError> {
    let fake = FakeAsterisk::start().await?;
    let (shutdown, mut rx) = two_party_on(&fake);
    let caller = fake.call("two-party", &["PJSIP/bob"]).await?;
    until("the two legs bridged", || {
        fake.requests_of("bridges.addChannel").len() == 1
    })
    .await;
    let callee = fake
        .channel_ids()
        .into_iter()
        .find(|id| *id != caller)
        .expect("the dialed leg");
    let bridge_id = fake.requests_of("bridges.createWithId")[0]
        .path
        .rsplit('/')
        .next()
        .expect("a bridge id")
        .to_owned();
    let mut both = vec![caller.clone(), callee.clone()];
    both.sort();
    assert_eq!(members_of(&fake, &bridge_id).await, both);
    assert_eq!(fake.channel_state(&callee).as_deref(), Some("Up"));

    fake.hang_up(&callee)?;
    let ended = outcome(&mut rx).await;
    assert_eq!(
        ended,
        two_party::Outcome::Bridged {
            first_to_leave: Side::Callee,
            bridge_id: bridge_id.clone(),
        }
    );
    assert_eq!(fake.channel_state(&caller), None, "the caller hung up");
    assert!(
        !bridge_exists(&fake, &bridge_id).await,
        "the bridge destroyed"
    );
    shutdown.trigger();
    Ok(())
}

#[tokio::test]
async fn two_party_busy_and_no_answer_hang_the_caller_up_without_a_bridge() -> Result<(), BoxError>
{
    let fake = FakeAsterisk::start().await?;
    fake.dial_answer("PJSIP/busy", DialAnswer::Busy);
    fake.dial_answer("PJSIP/away", DialAnswer::NoAnswer);
    let (shutdown, mut rx) = two_party_on(&fake);
    for (endpoint, expected) in [("PJSIP/busy", "busy"), ("PJSIP/away", "no answer")] {
        let caller = fake.call("two-party", &[endpoint]).await?;
        assert_eq!(
            outcome(&mut rx).await,
            two_party::Outcome::NotConnected(expected),
            "{endpoint}"
        );
        assert_eq!(fake.channel_state(&caller), None, "{endpoint}: hung up");
    }
    assert_eq!(fake.requests_of("channels.dial").len(), 2);
    assert!(fake.requests_of("bridges.createWithId").is_empty());
    assert!(fake.channel_ids().is_empty(), "{:?}", fake.channel_ids());
    shutdown.trigger();
    Ok(())
}

#[tokio::test]
async fn conference_three_callers_share_one_bridge_gone_after_the_last_leaves(
) -> Result<(), BoxError> {
    let fake = FakeAsterisk::start().await?;
    let room = Arc::new(conference::Conference::new(fake.client()?, "room"));
    let (shutdown, mut rx) = serve(&fake, "conference", {
        let room = Arc::clone(&room);
        move |call| {
            let room = Arc::clone(&room);
            async move { room.join(call, TALK).await }
        }
    });
    let mut callers = Vec::new();
    for _ in 0..3 {
        callers.push(fake.call("conference", &[]).await?);
    }
    until("three callers greeted", || room.greeted() == 3).await;
    let mut all = callers.clone();
    all.sort();
    assert_eq!(members_of(&fake, room.bridge_id()).await, all);
    assert_eq!(
        fake.requests_of("bridges.createWithId").len(),
        1,
        "one bridge"
    );
    // Each caller heard the join sound on its own channel.
    let mut greeted: Vec<String> = fake
        .requests_of("channels.playWithId")
        .into_iter()
        .filter(|r| r.param("media") == Some(conference::JOIN_SOUND))
        .map(|r| r.path.split('/').nth(2).expect("a channel id").to_owned())
        .collect();
    greeted.sort();
    assert_eq!(greeted, all);

    let mut sizes = Vec::new();
    for (left, caller) in callers.iter().enumerate() {
        fake.hang_up(caller)?;
        sizes.push(outcome(&mut rx).await);
        let mut staying = callers[left + 1..].to_vec();
        staying.sort();
        if staying.is_empty() {
            until("nothing else", || {
                fake.requests_of("bridges.destroy").len() == 1
            })
            .await;
            assert!(
                !bridge_exists(&fake, room.bridge_id()).await,
                "the bridge destroyed"
            );
        } else {
            assert_eq!(members_of(&fake, room.bridge_id()).await, staying);
            assert!(fake.requests_of("bridges.destroy").is_empty());
        }
    }
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 2, 3], "each caller's room size on joining");
    shutdown.trigger();
    Ok(())
}
