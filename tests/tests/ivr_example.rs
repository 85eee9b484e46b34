//! `ari-sdk/examples/ivr.rs`, run as its own process against the sandbox, on its three paths: key 1, key 2
//! (a three-second recording, downloaded) and no key (the timeout path).
//!
//! The example binary must be built first (`cargo build -p ari-sdk --example ivr`; `cargo xtask test` does it
//! in the step before). This test is the IVR's caller: it originates `Local/stasis-<ivr app>@<context>` into
//! its own application, so the `;2` half rings in the IVR and the `;1` half — the caller — enters this test's
//! application once the IVR answers; then it keys the digit (or nothing), plays audio towards the IVR (so the
//! recording is not silent) and waits until the IVR hangs up. The IVR's output must say what it did.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ari_live_tests::{connect, EVENT_TIMEOUT};
use ari_sdk::events::unique_id;

/// The example's binary: `<target>/debug/examples/ivr`.
fn example_binary() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| xtask::workspace_root().join("target"));
    let path = target.join("debug").join("examples").join("ivr");
    assert!(
        path.exists(),
        "{} does not exist: build it with `cargo build -p ari-sdk --example ivr`",
        path.display()
    );
    path
}

/// Kills the IVR process if the test ends early.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ivr_example_answers_key_1_key_2_and_no_key() {
    let ari = connect().await;
    let client = ari.client();
    let ivr_app = ari.unique("ivr");
    let caller_app = ari.unique("ivr-caller");
    let _events = client
        .events()
        .app(&caller_app)
        .connect()
        .await
        .expect("events");
    ari.wait_registered(&[&caller_app]).await;

    let mut child = Command::new(example_binary())
        .env("ARI_URL", &ari.target.url)
        .env("ARI_USER", &ari.target.user)
        .env("ARI_PASSWORD", &ari.target.password)
        .env("ARI_APP", &ivr_app)
        .env("IVR_CALLS", "3")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the ivr example");
    let stdout = child.stdout.take().expect("stdout");
    let mut ivr = Running(child);
    let (lines_tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("  | {line}");
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = lines
        .recv_timeout(EVENT_TIMEOUT)
        .expect("the IVR says it is ready");
    assert_eq!(ready, format!("ivr: application {ivr_app} is ready"));

    let endpoint = format!("Local/stasis-{ivr_app}@{}/n", ari.target.context);
    let calls = [Some("1"), Some("2"), None].map(|key| {
        let client = client.clone();
        let (endpoint, app) = (endpoint.clone(), caller_app.clone());
        tokio::spawn(async move {
            let caller = client.channel(unique_id());
            // The IVR's half rings in the IVR; this half enters `app` once the IVR answers.
            let started = caller
                .originate_and_wait(caller.originate_with_id(&endpoint).app(&app), EVENT_TIMEOUT)
                .await
                .unwrap_or_else(|e| panic!("calling the IVR: {e}"));
            let other = started.response.id.clone();
            if let Some(key) = key {
                caller.send_dtmf(key).await.expect("keying the digit");
            }
            if key == Some("2") {
                // Something to record: the IVR's recording holds what its channel receives.
                let _ = caller.play(["sound:demo-congrats"]).await;
            }
            let mut events = started.events;
            // The IVR hangs up: this half leaves the application.
            let left = events
                .next_of::<ari_sdk::event_types::StasisEnd>(Duration::from_secs(30))
                .await;
            left.unwrap_or_else(|e| panic!("the IVR did not hang up: {e}"));
            (key, other)
        })
    });
    let mut keys = Vec::new();
    for call in calls {
        keys.push(call.await.expect("call task").0);
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut outcomes = Vec::new();
    while outcomes.len() < 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the IVR reported {outcomes:?} only"));
        assert!(!line.contains("FAILED"), "{line}");
        outcomes.push(line);
    }
    let said = |part: &str| outcomes.iter().filter(|l| l.contains(part)).count();
    assert_eq!(said("pressed 1: played digits/1"), 1, "{outcomes:?}");
    assert_eq!(said("no key within 5s: said goodbye"), 1, "{outcomes:?}");
    let recorded = outcomes
        .iter()
        .find_map(|l| {
            l.split("pressed 2: recorded 3 s, downloaded ")
                .nth(1)?
                .strip_suffix(" bytes")?
                .parse::<usize>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no recording line in {outcomes:?}"));
    println!("the IVR recorded {recorded} bytes");
    assert!(
        recorded > 44 + 8000,
        "the recording holds audio (more than a header and half a second)"
    );
    let status = tokio::task::spawn_blocking(move || {
        let until = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = ivr.0.try_wait().expect("waiting for the IVR") {
                return Some(status);
            }
            if Instant::now() > until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .expect("join");
    let status = status.expect("the IVR exits after its three calls");
    assert!(status.success(), "the IVR exited with {status}");
    assert_eq!(keys, [Some("1"), Some("2"), None]);
}
