//! 500 calls at once through one Stasis application on the live Asterisk, with REST over HTTP and then over the
//! event WebSocket, side by side.
//!
//! `cargo xtask bench-load` (which starts the sandbox Asterisk when it is not running, and stops it after), or
//! `cargo bench -p ari-live-tests --bench load` with the sandbox up. The workload is
//! [`ari_live_tests::load`]'s: every call originated at once, answered, played a beep to its
//! `PlaybackFinished`, hung up; every call's own stream must hold its `StasisStart` … `StasisEnd`, the same
//! events as the application-wide stream, in the same order. Prints calls, wall time, events and events/s,
//! memory (resident before and after, per call, peak) and CPU seconds (this process and Asterisk), and the
//! ratios WebSocket / HTTP. It judges nothing but the events: a lost, duplicated or misordered event, or a
//! failed call, makes it exit non-zero. `ARI_LOAD_CALLS` changes the number of calls.

use std::time::Duration;

use ari_live_tests::load::{self, LoadPlan, LoadRun, Usage, Verdict};
use ari_live_tests::Target;
use ari_sdk::Transport;

/// Calls per run, all at once.
const CALLS: usize = 500;
/// The bound of one run, from connecting to the last call's end.
const RUN_LIMIT: Duration = Duration::from_secs(120);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let clean = runtime.block_on(run());
    if !clean {
        std::process::exit(1);
    }
}

async fn run() -> bool {
    let target = Target::from_env();
    let calls = std::env::var("ARI_LOAD_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CALLS);
    // The sandbox's Asterisk, whose CPU time is read too (not known for an Asterisk named by ARI_URL).
    let asterisk_pid = std::env::var_os("ARI_URL")
        .filter(|url| !url.is_empty())
        .is_none()
        .then(|| xtask::settings::read_settings().ok().flatten())
        .flatten()
        .map(|settings| settings.pid);
    println!(
        "bench-load: {calls} calls at once into one application on {} (Asterisk pid {}), each answered, played \
         {} to its end and hung up; REST over HTTP, then over WebSocket",
        target.url,
        asterisk_pid.map_or("unknown".to_owned(), |pid| pid.to_string()),
        load::SOUND,
    );
    let mut runs = Vec::new();
    for (transport, name) in [(Transport::Http, "http"), (Transport::WebSocket, "ws")] {
        let peak_reset = Usage::reset_peak();
        let plan = LoadPlan {
            app: format!("{}-load-{name}-{}", target.app_prefix, std::process::id()),
            target: target.clone(),
            calls,
            transport,
            limit: RUN_LIMIT,
            asterisk_pid,
        };
        let run = load::run(&plan).await;
        let verdict = run.verify();
        println!(
            "bench-load {transport:?}: {calls} calls in {:.2} s; lost {}, duplicated {}, misordered {}, failed calls {}{}",
            run.wall.as_secs_f64(),
            verdict.lost,
            verdict.duplicated,
            verdict.misordered,
            verdict.failed,
            if peak_reset { "" } else { " (peak RSS since the process started: /proc/self/clear_refs refused)" },
        );
        for problem in &verdict.problems {
            println!("  {problem}");
        }
        println!(
            "  application-wide event types: {:?}",
            run.app_event_types()
        );
        runs.push((run, verdict));
        // Let Asterisk forget the channels before the next run.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    print_table(&runs);
    runs.iter().all(|(_, verdict)| verdict.is_clean())
}

/// One number of a run, for one row of the table.
type Measure = Box<dyn Fn(&LoadRun, &Verdict) -> f64>;

/// The numbers of both runs side by side, with the ratio of the second to the first.
fn print_table(runs: &[(LoadRun, Verdict)]) {
    let rows: Vec<(&str, Measure)> = vec![
        ("calls", Box::new(|r, _| r.calls.len() as f64)),
        ("wall time, s", Box::new(|r, _| r.wall.as_secs_f64())),
        (
            "events, application-wide",
            Box::new(|r, _| r.app_event_count() as f64),
        ),
        (
            "events, per-channel streams",
            Box::new(|r, _| r.call_event_count() as f64),
        ),
        (
            "events/s (application-wide)",
            Box::new(|r, _| r.app_event_count() as f64 / r.wall.as_secs_f64()),
        ),
        (
            "calls/s",
            Box::new(|r, _| r.calls.len() as f64 / r.wall.as_secs_f64()),
        ),
        ("lost", Box::new(|_, v| v.lost as f64)),
        ("duplicated", Box::new(|_, v| v.duplicated as f64)),
        ("misordered", Box::new(|_, v| v.misordered as f64)),
        ("failed calls", Box::new(|_, v| v.failed as f64)),
        ("RSS before, MiB", Box::new(|r, _| mib(r.before.rss_kib))),
        ("RSS after, MiB", Box::new(|r, _| mib(r.after.rss_kib))),
        ("RSS peak, MiB", Box::new(|r, _| mib(r.after.peak_kib))),
        (
            "RSS after - before per call, KiB",
            Box::new(|r, _| per_call(r, r.after.rss_kib)),
        ),
        (
            "RSS peak - before per call, KiB",
            Box::new(|r, _| per_call(r, r.after.peak_kib)),
        ),
        (
            "CPU s (this process)",
            Box::new(|r, _| r.after.cpu_s - r.before.cpu_s),
        ),
        (
            "CPU ms per call (this process)",
            Box::new(|r, _| 1e3 * (r.after.cpu_s - r.before.cpu_s) / r.calls.len() as f64),
        ),
        ("CPU s (Asterisk)", Box::new(|r, _| asterisk_cpu(r))),
    ];
    let [(http, http_verdict), (ws, ws_verdict)] = runs else {
        return;
    };
    println!(
        "\nbench-load {:<34} {:>12} {:>12} {:>10}",
        "", "HTTP", "WebSocket", "WS/HTTP"
    );
    for (name, value) in rows {
        let (a, b) = (value(http, http_verdict), value(ws, ws_verdict));
        let ratio = if a == 0.0 {
            "-".to_owned()
        } else {
            format!("{:.3}x", b / a)
        };
        println!("bench-load {name:<34} {a:>12.2} {b:>12.2} {ratio:>10}");
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// KiB per call above the resident size before the run.
fn per_call(run: &LoadRun, kib: u64) -> f64 {
    kib.saturating_sub(run.before.rss_kib) as f64 / run.calls.len().max(1) as f64
}

/// Asterisk's CPU seconds during the run (NaN when unknown).
fn asterisk_cpu(run: &LoadRun) -> f64 {
    match (run.before.asterisk_cpu_s, run.after.asterisk_cpu_s) {
        (Some(before), Some(after)) => after - before,
        _ => f64::NAN,
    }
}
