//! The example apps' call logic (`ari-sdk/examples/apps/`) live against the sandbox: the same handlers the
//! examples serve and the unit tests run against `ari_sdk::testkit` (`ari-sdk/tests/example_apps.rs`).
//!
//! Calls come from the `app_rig` (a Local channel whose `;2` half enters the served app); the test keys the
//! caller's digits on the `;1` half.

#[path = "../../ari-sdk/examples/apps/voicemail.rs"]
mod voicemail;

use std::time::Duration;

use ari_live_tests::app_rig::{Rig, Served, CALLS_LIMIT};
use ari_live_tests::within;
use ari_sdk::app::BoxError;
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
