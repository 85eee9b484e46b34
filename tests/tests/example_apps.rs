//! The example apps' call logic (`ari-sdk/examples/apps/`) live against the sandbox: the same handlers the
//! examples serve and the unit tests run against `ari_sdk::testkit` (`ari-sdk/tests/example_apps.rs`).
//!
//! Calls come from the `app_rig` (a Local channel whose `;2` half enters the served app); the test keys the
//! caller's digits on the `;1` half.

#[path = "../../ari-sdk/examples/apps/conference.rs"]
mod conference;
#[path = "../../ari-sdk/examples/apps/two_party.rs"]
mod two_party;
#[path = "../../ari-sdk/examples/apps/voicemail.rs"]
mod voicemail;

use std::sync::Arc;
use std::time::Duration;

use ari_live_tests::app_rig::{call_number, outcomes, Rig, Served, CALLS_LIMIT};
use ari_live_tests::{poll_until, within};
use ari_sdk::app::{BoxError, Dial, Side};
use ari_sdk::Client;
use voicemail::{Limits, Outcome};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voicemail_live_a_message_until_pound_and_a_goodbye() {
    let rig = Rig::new("voicemail").await;
    let (driver, mut callers) = rig.holding_driver();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let limits = Limits {
        message: Duration::from_secs(10),
        menu: Duration::from_secs(5),
    };
    let served = Served::start(rig.app(), move |call| {
        let tx = tx.clone();
        async move {
            let outcome = voicemail::voicemail(call, limits).await?;
            let _ = tx.send(outcome);
            Ok::<_, BoxError>(())
        }
    });
    rig.registered().await;

    // Call 0: `1`, then `#` every 700 ms until the message is saved.
    rig.originate(0).await;
    let caller = within("the first caller", CALLS_LIMIT, callers.recv())
        .await
        .expect("a caller");
    caller.send_dtmf("1").await.expect("keying 1");
    let message = within("the message's outcome", CALLS_LIMIT, async {
        loop {
            tokio::select! {
                outcome = rx.recv() => return outcome.expect("an outcome"),
                () = tokio::time::sleep(Duration::from_millis(700)) => {
                    // 404/409 once the call is ending.
                    let _ = caller.send_dtmf("#").await;
                }
            }
        }
    })
    .await;
    let Outcome::Message { name, bytes } = &message else {
        panic!("not a message: {message:?}");
    };
    // A WAV (its header at least), at most the 10 s limit of 8 kHz 16-bit audio.
    assert!((44..=44 + 10 * 16_000).contains(bytes), "{message:?}");
    rig.served
        .stored_recording(name)
        .delete_stored()
        .await
        .expect("the stored message, deleted");

    // Call 1: `2`.
    rig.originate(1).await;
    let caller = within("the second caller", CALLS_LIMIT, callers.recv())
        .await
        .expect("a caller");
    caller.send_dtmf("2").await.expect("keying 2");
    let goodbye = within("the goodbye's outcome", CALLS_LIMIT, rx.recv())
        .await
        .expect("an outcome");
    assert_eq!(goodbye, Outcome::Goodbye);

    let report = served.stop().await;
    let driver_report = driver.stop().await;
    println!("served: {report:?}\ndriver: {driver_report:?}");
    assert_eq!((report.calls, report.succeeded), (2, 2), "{report:?}");
}

/// How long a bridged call or a conference caller may last in these tests.
const TALK: Duration = Duration::from_secs(60);

/// Polls (every 20 ms, at most 10 s) until bridge `id` is gone.
async fn bridge_gone(client: &Client, id: &str, what: &str) {
    poll_until(
        what,
        Duration::from_secs(10),
        Duration::from_millis(20),
        || async {
            match client.bridge(id).get().await {
                Err(e) if e.is_not_found() => Some(()),
                _ => None,
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_party_live_answered_bridged_until_the_callee_hangs_up_busy_and_no_answer() {
    let rig = Rig::new("two-party").await;
    let context = rig.ari.target.context.clone();
    let (driver, _callers) = rig.holding_driver();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let served = Served::start(rig.app(), move |call| {
        let tx = tx.clone();
        let context = context.clone();
        async move {
            let n = call_number(&call)?;
            // Call 0: answers, hangs up after 2 s; call 1: busy; call 2: rings past the 3 s timeout.
            let callee = match n {
                0 => Dial::new(format!("Local/wait@{context}")).variable("_WAIT_SECONDS", "2"),
                1 => Dial::new(format!("Local/busy@{context}")),
                _ => Dial::new(format!("Local/ring@{context}")).timeout(Duration::from_secs(3)),
            };
            let outcome = two_party::two_party(call, callee, TALK).await?;
            let _ = tx.send((n, outcome));
            Ok::<_, BoxError>(())
        }
    });
    rig.registered().await;
    for n in 0..3 {
        rig.originate(n).await;
    }
    let outcomes = outcomes(&mut rx, 3, "the three two-party outcomes").await;
    let Some(two_party::Outcome::Bridged {
        first_to_leave,
        bridge_id,
    }) = outcomes.get(&0)
    else {
        panic!("call 0 (wait) not bridged: {outcomes:?}");
    };
    assert_eq!(*first_to_leave, Side::Callee, "{outcomes:?}");
    bridge_gone(&rig.served, bridge_id, "the two-party bridge gone").await;
    assert_eq!(
        outcomes.get(&1),
        Some(&two_party::Outcome::NotConnected("busy"))
    );
    assert_eq!(
        outcomes.get(&2),
        Some(&two_party::Outcome::NotConnected("no answer"))
    );

    let report = served.stop().await;
    let driver_report = driver.stop().await;
    println!("served: {report:?}\ndriver: {driver_report:?}");
    assert_eq!((report.calls, report.succeeded), (3, 3), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_live_three_callers_share_one_bridge_gone_after_the_last_leaves() {
    let rig = Rig::new("conference").await;
    let (driver, mut callers) = rig.holding_driver();
    let room = Arc::new(conference::Conference::new(
        rig.served.clone(),
        rig.ari.unique("room"),
    ));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (ids_tx, mut ids) = tokio::sync::mpsc::unbounded_channel();
    let served = Served::start(rig.app(), {
        let room = Arc::clone(&room);
        move |call| {
            let tx = tx.clone();
            let ids_tx = ids_tx.clone();
            let room = Arc::clone(&room);
            async move {
                let n = call_number(&call)?;
                let _ = ids_tx.send((n, call.id().to_owned()));
                let size = room.join(call, TALK).await?;
                let _ = tx.send((n, size));
                Ok::<_, BoxError>(())
            }
        }
    });
    rig.registered().await;
    for n in 0..3 {
        rig.originate(n).await;
    }
    let mut halves = Vec::new();
    for _ in 0..3 {
        let half = within(
            "the conference callers' driver halves",
            CALLS_LIMIT,
            callers.recv(),
        )
        .await
        .expect("a caller");
        halves.push(half);
    }
    let in_room = outcomes(&mut ids, 3, "the three callers in the app").await;
    poll_until(
        "three callers greeted",
        CALLS_LIMIT,
        Duration::from_millis(50),
        || async { (room.greeted() == 3).then_some(()) },
    )
    .await;
    let bridge = rig.served.bridge(room.bridge_id());
    let members = || async {
        let mut channels = bridge.get().await.expect("the room's bridge").channels;
        channels.sort();
        channels
    };
    let mut all: Vec<String> = in_room.values().cloned().collect();
    all.sort();
    assert_eq!(members().await, all);

    // The callers leave one by one: the bridge keeps the others, and is gone after the last.
    for (left, half) in halves.iter().enumerate() {
        half.hangup().await.expect("hanging a caller up");
        if left < 2 {
            poll_until(
                "the room one caller smaller",
                Duration::from_secs(10),
                Duration::from_millis(20),
                || async { (members().await.len() == 2 - left).then_some(()) },
            )
            .await;
        }
    }
    bridge_gone(
        &rig.served,
        room.bridge_id(),
        "the room's bridge gone after the last caller",
    )
    .await;
    let sizes = outcomes(&mut rx, 3, "the three callers' room sizes").await;
    let mut sizes: Vec<usize> = sizes.into_values().collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 2, 3], "each caller's room size on joining");

    let report = served.stop().await;
    let driver_report = driver.stop().await;
    println!("served: {report:?}\ndriver: {driver_report:?}");
    assert_eq!((report.calls, report.succeeded), (3, 3), "{report:?}");
}
