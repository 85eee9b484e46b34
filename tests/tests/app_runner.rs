//! Issue 13 against the real Asterisk: the application runner (`ari_sdk::app::App`) serving many calls at once,
//! isolating a panicking handler, and draining on shutdown.
//!
//! Every call is a Local channel: `Local/stasis@<context>` with `ARI_APP=<served app>` and `ARI_ARGS=<n>`, so its
//! `;2` half enters the served application with the argument `n`, ringing; its `;1` half enters a *driver*
//! application (a second runner, on its own client) once the served handler answers. The driver keys the digits
//! of call `n`, plays music on hold into the call (what the recording hears) and keys `#` until its call ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ari_live_tests::{connect, within, Ari};
use ari_sdk::app::{App, BoxError, Call, Collect, CollectEnd, Record, RecordEnd, Report};
use ari_sdk::Client;
use tokio::sync::mpsc;

/// The most any one of these tests waits for its calls.
const CALLS_LIMIT: Duration = Duration::from_secs(150);

/// The digits call `n` keys: three, never `#`.
fn digits_of(n: usize) -> String {
    format!("{:03}", n % 1000)
}

/// A served application and a driver application, each with its own client (and event connection).
struct Rig {
    ari: Ari,
    served: Client,
    served_app: String,
    driver: Client,
    driver_app: String,
}

impl Rig {
    async fn new(what: &str) -> Rig {
        let ari = connect().await;
        let served_app = ari.unique(what);
        let driver_app = ari.unique(&format!("{what}-drv"));
        Rig {
            served: ari.client(),
            driver: ari.client(),
            ari,
            served_app,
            driver_app,
        }
    }

    /// Starts the driver: for each call, key its digits, play audio into it, then key `#` every 700 ms until it
    /// ends.
    fn drive(&self) -> (ari_sdk::app::Shutdown, tokio::task::JoinHandle<Report>) {
        let app = App::new(self.driver.clone(), &self.driver_app).linger(Duration::from_secs(1));
        let shutdown = app.shutdown_handle();
        let task = tokio::spawn(async move {
            app.serve(|call: Call| async move {
                let n: usize = call
                    .args
                    .first()
                    .and_then(|a| a.parse().ok())
                    .ok_or("no call number")?;
                call.channel.send_dtmf(digits_of(n)).between(150).await?;
                // Music on hold (spoken digits, loud) is what the recording hears. Not a playback: a playback
                // holds the channel's command queue, and the `#` below would wait for its end.
                call.channel.start_moh().moh_class("ari-sdk-speech").await?;
                let mut events = call.events;
                for _ in 0..40 {
                    match events
                        .next_of::<ari_sdk::event_types::StasisEnd>(Duration::from_millis(700))
                        .await
                    {
                        Err(e) if e.is_timeout() => {
                            // 404/409: the call is ending.
                            let _ = call.channel.send_dtmf("#").await;
                        }
                        _ => return Ok::<_, BoxError>(()),
                    }
                }
                Err("the call did not end within 28 s".into())
            })
            .await
            .expect("the driver serves")
        });
        (shutdown, task)
    }

    /// Originates call `n`: its `;2` half enters the served app with argument `n`.
    async fn originate(&self, n: usize) {
        self.driver
            .channels()
            .originate(format!("Local/stasis@{}/n", self.ari.target.context))
            .app(&self.driver_app)
            .app_args(n.to_string())
            .variables([
                ("ARI_APP", self.served_app.clone()),
                ("ARI_ARGS", n.to_string()),
            ])
            .await
            .unwrap_or_else(|e| panic!("originating call {n}: {e}"));
    }
}

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
    let n: usize = call
        .args
        .first()
        .and_then(|a| a.parse().ok())
        .ok_or("no call number")?;
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
    let (driver_shutdown, driver) = rig.drive();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let app = App::new(rig.served.clone(), &rig.served_app).max_calls(CALLS);
    let shutdown = app.shutdown_handle();
    let served = tokio::spawn(async move {
        app.serve(move |call| serve_call(call, Some(PANICS), tx.clone()))
            .await
            .expect("the served app serves")
    });
    rig.ari
        .wait_registered(&[&rig.served_app, &rig.driver_app])
        .await;

    let originate = (0..CALLS).map(|n| rig.originate(n));
    within(
        "originating 50 calls",
        CALLS_LIMIT,
        futures::future::join_all(originate),
    )
    .await;
    let mut outcomes = BTreeMap::new();
    within("49 calls' outcomes", CALLS_LIMIT, async {
        while outcomes.len() < CALLS - 1 {
            let (n, outcome) = rx.recv().await.expect("the handlers' results");
            outcomes.insert(n, outcome);
        }
    })
    .await;
    shutdown.trigger();
    let report = within("the served app's shutdown", CALLS_LIMIT, served)
        .await
        .expect("served app task");
    driver_shutdown.trigger();
    let driver_report = within("the driver's shutdown", CALLS_LIMIT, driver)
        .await
        .expect("driver task");
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
        // The driver plays audio into the call: more than a WAV header, at most the 15 s limit (8 kHz, 16 bit).
        assert!(
            outcome.wav_bytes > 44,
            "call {n}: an empty recording: {outcome:?}"
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
    let (driver_shutdown, driver) = rig.drive();
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let (started_tx, mut started_rx) = mpsc::unbounded_channel();
    let app =
        App::new(rig.served.clone(), &rig.served_app).shutdown_deadline(Duration::from_secs(60));
    let shutdown = app.shutdown_handle();
    let gate = Arc::clone(&release);
    let served = tokio::spawn(async move {
        app.serve(move |call: Call| {
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
        })
        .await
        .expect("the served app serves")
    });
    rig.ari
        .wait_registered(&[&rig.served_app, &rig.driver_app])
        .await;
    for n in 0..CALLS {
        rig.originate(n).await;
    }
    within("4 calls in their handlers", CALLS_LIMIT, async {
        for _ in 0..CALLS {
            started_rx.recv().await.expect("a started call");
        }
    })
    .await;
    shutdown.trigger();
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
    // Refused: hung up with reason `congestion` (22.10.1 reports that as cause 32 in the hangup request).
    println!("the late call was refused: cause {:?}", refused.cause);
    assert_eq!(refused.channel.id, late.id());
    assert!(
        !served.is_finished(),
        "serve returned while calls were running"
    );
    release.add_permits(CALLS);
    let report = within("the drain", CALLS_LIMIT, served)
        .await
        .expect("served app task");
    driver_shutdown.trigger();
    let _ = within("the driver's shutdown", CALLS_LIMIT, driver).await;
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
    let (driver_shutdown, driver) = rig.drive();
    let (started_tx, mut started_rx) = mpsc::unbounded_channel();
    let app = App::new(rig.served.clone(), &rig.served_app).shutdown_deadline(deadline);
    let shutdown = app.shutdown_handle();
    let served = tokio::spawn(async move {
        app.serve(move |mut call: Call| {
            let started = started_tx.clone();
            async move {
                call.channel.answer().await?;
                let _ = started.send(());
                // Far longer than the deadline: only the hangup ends it.
                let got = call
                    .collect(
                        Collect::new()
                            .max_digits(0)
                            .terminators("")
                            .first_digit_timeout(Duration::from_secs(100)),
                    )
                    .await;
                match got {
                    Err(e) if e.is_hangup() => Ok::<_, BoxError>(()),
                    other => Err(format!("expected the hangup, got {other:?}").into()),
                }
            }
        })
        .await
        .expect("the served app serves")
    });
    rig.ari
        .wait_registered(&[&rig.served_app, &rig.driver_app])
        .await;
    for n in 0..CALLS {
        rig.originate(n).await;
    }
    within("3 calls in their handlers", CALLS_LIMIT, async {
        for _ in 0..CALLS {
            started_rx.recv().await.expect("a started call");
        }
    })
    .await;
    shutdown.trigger();
    let report = within("the shutdown", CALLS_LIMIT, served)
        .await
        .expect("served app task");
    driver_shutdown.trigger();
    let _ = within("the driver's shutdown", CALLS_LIMIT, driver).await;
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
