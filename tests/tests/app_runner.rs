//! Issue 13 against the real Asterisk: the application runner (`ari_sdk::app::App`) serving many calls at once,
//! isolating a panicking handler, and draining on shutdown.
//!
//! Every call is a Local channel: `Local/stasis@<context>` with `ARI_APP=<served app>` and `ARI_ARGS=<n>`, so its
//! `;2` half enters the served application with the argument `n`, ringing; its `;1` half enters a *driver*
//! application (a second runner, on its own client) once the served handler answers. The driver keys the digits
//! of call `n`, plays music on hold into the call (what the recording hears) and keys `#` until its call ends.

use std::sync::Arc;
use std::time::Duration;

use ari_live_tests::app_rig::{
    call_number, digits_of, originate_all, outcomes, Rig, Served, CALLS_LIMIT,
};
use ari_live_tests::within;
use ari_sdk::app::{BoxError, Call, Collect, CollectEnd, Record, RecordEnd};
use tokio::sync::mpsc;

/// What the served handler found on one call.
#[derive(Debug)]
struct Outcome {
    digits: String,
    ended_by: CollectEnd,
    recording_end: RecordEnd,
    wav_bytes: usize,
    duration: Option<i64>,
}

/// The served handler: answer, prompt + collect 3 digits, record until `#`, download and delete the recording,
/// hang up. Call `panic_on` panics after collecting.
async fn serve_call(
    mut call: Call,
    panic_on: Option<usize>,
    results: mpsc::UnboundedSender<(usize, Outcome)>,
) -> Result<(), BoxError> {
    let n = call_number(&call)?;
    call.channel.answer().await?;
    let got = call
        .collect(
            Collect::prompt(["sound:beep"])
                .max_digits(3)
                .first_digit_timeout(Duration::from_secs(20))
                .inter_digit_timeout(Duration::from_secs(10)),
        )
        .await?;
    if Some(n) == panic_on {
        panic!("call {n} panics on purpose");
    }
    let recorded = call
        .record(
            Record::new()
                .beep(false)
                .max_duration(Duration::from_secs(15)),
        )
        .await?;
    let file = recorded.stored.get_stored_file().await?;
    recorded.stored.delete_stored().await?;
    call.channel.hangup().await?;
    let _ = results.send((
        n,
        Outcome {
            digits: got.digits,
            ended_by: got.ended_by,
            recording_end: recorded.ended_by,
            wav_bytes: file.bytes.len(),
            duration: recorded.recording.duration,
        },
    ));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_each_get_their_own_task_and_a_panicking_one_disturbs_no_other() {
    const CALLS: usize = 50;
    const PANICS: usize = 13;
    let rig = Rig::new("app50").await;
    let driver = rig.keying_driver();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let served = Served::start(rig.app().max_calls(CALLS), move |call| {
        serve_call(call, Some(PANICS), tx.clone())
    });
    rig.registered().await;

    originate_all("originating 50 calls", (0..CALLS).map(|n| rig.originate(n))).await;
    let outcomes = outcomes(&mut rx, CALLS - 1, "49 calls' outcomes").await;
    let report = served.stop().await;
    let driver_report = driver.stop().await;
    println!("served: {report:?}\ndriver: {driver_report:?}");

    for n in (0..CALLS).filter(|n| *n != PANICS) {
        let outcome = outcomes
            .get(&n)
            .unwrap_or_else(|| panic!("no outcome for call {n}"));
        assert_eq!(outcome.digits, digits_of(n), "call {n}: {outcome:?}");
        assert_eq!(
            outcome.ended_by,
            CollectEnd::MaxDigits,
            "call {n}: {outcome:?}"
        );
        assert_eq!(
            outcome.recording_end,
            RecordEnd::Terminator("#".into()),
            "call {n}: {outcome:?}"
        );
        // A stored WAV (its 44-byte header at least; a `#` keyed right as the recording starts gives no audio —
        // seen once in a full run: call 16, 44 bytes), at most the 15 s limit (8 kHz, 16 bit). The audio itself is
        // checked by the record helper's own test.
        assert!(
            outcome.wav_bytes >= 44,
            "call {n}: not a WAV file: {outcome:?}"
        );
        assert!(
            outcome.wav_bytes <= 44 + 15 * 16_000,
            "call {n}: longer than the limit: {outcome:?}"
        );
        assert!(
            outcome.duration.is_some_and(|d| d <= 15),
            "call {n}: {outcome:?}"
        );
    }
    assert!(
        !outcomes.contains_key(&PANICS),
        "the panicking call reported a result"
    );
    assert_eq!(report.calls, CALLS as u64, "{report:?}");
    assert_eq!(report.succeeded, CALLS as u64 - 1, "{report:?}");
    assert_eq!(report.panicked, 1, "{report:?}");
    assert_eq!(
        (report.failed, report.cancelled, report.rejected),
        (0, 0, 0),
        "{report:?}"
    );
    assert_eq!(report.hung_up_at_shutdown, 0, "{report:?}");
    // Every driver call ended because its served half hung up — also the one whose handler panicked.
    assert_eq!(driver_report.calls, CALLS as u64, "{driver_report:?}");
    assert_eq!(driver_report.succeeded, CALLS as u64, "{driver_report:?}");
}

#[tokio::test]
async fn a_shutdown_lets_running_calls_finish_and_refuses_new_ones() {
    const CALLS: usize = 4;
    let rig = Rig::new("app-drain").await;
    let driver = rig.keying_driver();
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let (started_tx, mut started_rx) = mpsc::unbounded_channel();
    let gate = Arc::clone(&release);
    let served = Served::start(
        rig.app().shutdown_deadline(Duration::from_secs(60)),
        move |call: Call| {
            let gate = Arc::clone(&gate);
            let started = started_tx.clone();
            async move {
                call.channel.answer().await?;
                let _ = started.send(call.id().to_owned());
                // Held until the test lets it go, after the shutdown began.
                let _permit = gate.acquire().await?;
                call.channel
                    .play_and_wait(["sound:beep"], Duration::from_secs(10))
                    .await?;
                call.channel.hangup().await?;
                Ok::<_, BoxError>(())
            }
        },
    );
    rig.registered().await;
    for n in 0..CALLS {
        rig.originate(n).await;
    }
    within("4 calls in their handlers", CALLS_LIMIT, async {
        for _ in 0..CALLS {
            started_rx.recv().await.expect("a started call");
        }
    })
    .await;
    served.shutdown().trigger();
    // A call arriving now is refused.
    let late = rig.served.channel(ari_sdk::events::unique_id());
    let mut late_events = late.events().expect("the late call's events");
    rig.driver
        .channels()
        .originate(format!(
            "Local/stasis-{}@{}/n",
            rig.served_app, rig.ari.target.context
        ))
        .app(&rig.driver_app)
        // Asterisk takes otherChannelId only together with channelId.
        .channel_id(ari_sdk::events::unique_id())
        .other_channel_id(late.id())
        .await
        .expect("originating the late call");
    let refused = late_events
        .next_of::<ari_sdk::event_types::ChannelHangupRequest>(Duration::from_secs(20))
        .await
        .expect("the late call is hung up");
    // Refused: hung up with reason `congestion` (22.10.1's soft hangup request says `cause` 32 — not a Q.850 cause).
    println!("the late call was refused: cause {:?}", refused.cause);
    assert_eq!(refused.channel.id, late.id());
    assert!(
        !served.is_finished(),
        "serve returned while calls were running"
    );
    release.add_permits(CALLS);
    let report = served.report().await;
    let _ = driver.stop().await;
    println!("{report:?}");
    assert_eq!(report.calls, CALLS as u64, "{report:?}");
    assert_eq!(report.succeeded, CALLS as u64, "{report:?}");
    assert_eq!(report.rejected, 1, "{report:?}");
    assert_eq!(report.hung_up_at_shutdown, 0, "{report:?}");
}

#[tokio::test]
async fn a_shutdown_hangs_up_what_is_still_running_at_the_deadline() {
    const CALLS: usize = 3;
    let deadline = Duration::from_secs(2);
    let rig = Rig::new("app-deadline").await;
    let driver = rig.keying_driver();
    let (started_tx, mut started_rx) = mpsc::unbounded_channel();
    let served = Served::start(
        rig.app().shutdown_deadline(deadline),
        move |mut call: Call| {
            let started = started_tx.clone();
            async move {
                call.channel.answer().await?;
                let _ = started.send(());
                // Far longer than the deadline: only the hangup ends it.
                let forever = Collect::new()
                    .max_digits(0)
                    .terminators("")
                    .first_digit_timeout(Duration::from_secs(100));
                match call.collect(forever).await {
                    Err(e) if e.is_hangup() => Ok::<_, BoxError>(()),
                    other => Err(format!("expected the hangup, got {other:?}").into()),
                }
            }
        },
    );
    rig.registered().await;
    for n in 0..CALLS {
        rig.originate(n).await;
    }
    within("3 calls in their handlers", CALLS_LIMIT, async {
        for _ in 0..CALLS {
            started_rx.recv().await.expect("a started call");
        }
    })
    .await;
    let report = served.stop().await;
    let _ = driver.stop().await;
    println!("{report:?}");
    assert_eq!(report.hung_up_at_shutdown, CALLS as u64, "{report:?}");
    assert_eq!(
        report.succeeded, CALLS as u64,
        "each handler saw its hangup: {report:?}"
    );
    // The contract: the deadline, then at most one bounded hangup round.
    assert!(
        report.drain_time >= deadline
            && report.drain_time <= deadline + ari_sdk::flows::UNDO_TIMEOUT,
        "{report:?}"
    );
}

#[tokio::test]
async fn two_runner_instances_share_broadcast_calls_each_claimed_by_exactly_one() {
    const CALLS: usize = 20;
    let rig = Rig::new("claim-a").await;
    if rig.ari.major().await < 20 {
        // StasisBroadcast, CallBroadcast and POST /events/claim came with 20 (20.20.1, 22.10.1, 23.4.1; not 21).
        let refused = rig
            .served
            .events_api()
            .claim_channel("no-such-channel", &rig.served_app)
            .await
            .unwrap_err();
        // The capability check refuses it before sending (Asterisk itself answers 404 "Resource not
        // found": asserted by the live coverage of events.claimChannel on 16).
        assert!(
            matches!(
                &refused,
                ari_sdk::Error::Unsupported {
                    operation: "events.claimChannel",
                    ..
                }
            ),
            "{refused}"
        );
        return;
    }
    let app_b = rig.ari.unique("claim-b");
    let (driver, _halves) = rig.holding_driver();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = |who: &'static str| {
        let tx = tx.clone();
        move |call: Call| {
            let tx = tx.clone();
            async move {
                call.channel.answer().await?;
                let _ = tx.send((who, call.id().to_owned()));
                call.channel.hangup().await?;
                Ok::<_, BoxError>(())
            }
        }
    };
    let a = Served::start(rig.app().claim_broadcasts(true), handler("a"));
    let b = Served::start(
        ari_sdk::app::App::new(rig.ari.client(), &app_b).claim_broadcasts(true),
        handler("b"),
    );
    rig.registered().await;
    rig.ari.wait_registered(&[&app_b]).await;
    // App names are letters, digits and dashes: literal in a regular expression.
    let filter = format!("^({}|{app_b})$", rig.served_app);
    for _ in 0..CALLS {
        rig.driver
            .channels()
            .originate(format!("Local/broadcast@{}/n", rig.ari.target.context))
            .app(&rig.driver_app)
            .channel_id(ari_sdk::events::unique_id())
            .variables([("ARI_BROADCAST_FILTER", filter.clone())])
            .await
            .expect("originating a broadcast call");
    }
    let mut served = Vec::new();
    within("20 broadcast calls served", CALLS_LIMIT, async {
        while served.len() < CALLS {
            served.push(rx.recv().await.expect("served calls"));
        }
    })
    .await;
    let report_a = a.stop().await;
    let report_b = b.stop().await;
    let _ = driver.stop().await;
    println!("a: {report_a:?}\nb: {report_b:?}");
    let ids: std::collections::BTreeSet<&str> = served.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids.len(), CALLS, "a call was served twice: {served:?}");
    let by_a = served.iter().filter(|(who, _)| *who == "a").count() as u64;
    println!(
        "instance a served {by_a}, instance b {}",
        CALLS as u64 - by_a
    );
    assert_eq!(
        (report_a.calls, report_b.calls),
        (by_a, CALLS as u64 - by_a)
    );
    assert_eq!(
        report_a.claimed + report_b.claimed,
        CALLS as u64,
        "{report_a:?} {report_b:?}"
    );
    // Every offer went to both: the loser's claim was refused (409, or 404 once the winner had it).
    assert_eq!(
        report_a.claims_lost + report_b.claims_lost,
        CALLS as u64,
        "{report_a:?} {report_b:?}"
    );
    assert_eq!(
        (report_a.claimed, report_b.claimed),
        (report_a.calls, report_b.calls)
    );
}
