//! 100 calls at once through one Stasis application on the live Asterisk, on both transports: every
//! call answered, played to its `PlaybackFinished` and hung up; every call's own stream holds its
//! `StasisStart` … `StasisEnd`, the same events as the application-wide stream, in the same order —
//! nothing lost, nothing duplicated. The 500-call version with its numbers is `cargo xtask bench-load`.

use std::time::Duration;

use ari_live_tests::load::{self, LoadPlan};
use ari_live_tests::{connect, Target};
use ari_sdk::{Client, Transport};

/// Calls per run, all at once.
const CALLS: usize = 100;
/// The bound of one run, from connecting to the last call's end (a run takes about 1 s idle here).
const RUN_LIMIT: Duration = Duration::from_secs(120);

async fn hundred_calls(transport: Transport, name: &str) {
    let target = Target::from_env();
    let plan = LoadPlan {
        app: format!(
            "{}-load100-{name}-{}",
            target.app_prefix,
            std::process::id()
        ),
        target,
        calls: CALLS,
        transport,
        limit: RUN_LIMIT,
        asterisk_pid: None,
    };
    let run = load::run(&plan).await;
    let verdict = run.verify();
    assert_eq!(run.calls.len(), CALLS, "calls run");
    assert!(
        verdict.is_clean(),
        "{name}: lost {}, duplicated {}, misordered {}, failed calls {}: {:#?}",
        verdict.lost,
        verdict.duplicated,
        verdict.misordered,
        verdict.failed,
        verdict.problems
    );
    // Every call's StasisStart and StasisEnd reached the application-wide stream.
    let types = run.app_event_types();
    for end in ["StasisStart", "StasisEnd"] {
        assert_eq!(
            types.get(end).copied(),
            Some(CALLS),
            "{name}: {end} events application-wide: {types:?}"
        );
    }
    eprintln!(
        "{name}: {CALLS} calls in {:.2} s, {} application-wide events: {types:?}",
        run.wall.as_secs_f64(),
        run.app_event_count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_at_once_lose_and_duplicate_nothing_over_http() {
    hundred_calls(Transport::Http, "http").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_at_once_lose_and_duplicate_nothing_over_websocket() {
    let major = connect().await.major().await;
    if major < 20 {
        // REST over WebSocket came with 20.14/21.9/22.4: before it, connecting says so instead of stalling.
        let target = Target::from_env();
        let client = Client::builder(&target.url)
            .basic_auth(&target.user, &target.password)
            .transport(Transport::WebSocket)
            .build()
            .expect("building the SDK client");
        let app = format!("{}-load100-ws-{}", target.app_prefix, std::process::id());
        let err = tokio::time::timeout(
            Duration::from_secs(30),
            client.events().app(&app).connect(),
        )
        .await
        .expect(
            "connecting with REST over WebSocket to an Asterisk without it: an answer within 30 s",
        )
        .expect_err("Asterisk {major} has no REST over WebSocket");
        assert!(
            err.to_string()
                .contains("REST over WebSocket needs Asterisk"),
            "{err}"
        );
        eprintln!("Asterisk {major}: no REST over WebSocket, as expected: {err}");
        return;
    }
    hundred_calls(Transport::WebSocket, "ws").await;
}
