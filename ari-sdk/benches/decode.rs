//! Decoding the recorded event corpus (`shared/fixtures/asterisk-22.10.1/events.jsonl`)
//! as the typed [`ari_sdk::Event`] and as `serde_json::Value`, side by side.
//!
//! `cargo bench -p ari-sdk` runs both as criterion benchmarks (events/s as
//! element throughput), then measures them interleaved, pass by pass, and
//! prints events/s for each and the ratio typed / Value (higher is better;
//! the target is ≥ 1.0).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ari_sdk::Event;
use criterion::{Criterion, Throughput};

const EVENTS_JSONL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk-22.10.1/events.jsonl"
);

fn corpus() -> Vec<String> {
    std::fs::read_to_string(EVENTS_JSONL)
        .unwrap_or_else(|e| panic!("{EVENTS_JSONL}: {e}"))
        .lines()
        .map(str::to_owned)
        .collect()
}

fn decode_value(lines: &[String]) {
    for line in lines {
        black_box(serde_json::from_str::<serde_json::Value>(black_box(line)).expect("json"));
    }
}

fn decode_event(lines: &[String]) {
    for line in lines {
        black_box(serde_json::from_str::<Event>(black_box(line)).expect("event"));
    }
}

fn criterion_benches(c: &mut Criterion, lines: &[String]) {
    let mut group = c.benchmark_group("events.jsonl");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("serde_json::Value", |b| b.iter(|| decode_value(lines)));
    group.bench_function("ari_sdk::Event", |b| b.iter(|| decode_event(lines)));
    group.finish();
}

/// Interleaved passes over the corpus; the median pass time of each decoder.
fn side_by_side(lines: &[String], budget: Duration) -> (Duration, Duration) {
    let mut value = Vec::new();
    let mut event = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget || value.len() < 20 {
        let t = Instant::now();
        decode_value(lines);
        value.push(t.elapsed());
        let t = Instant::now();
        decode_event(lines);
        event.push(t.elapsed());
    }
    value.sort();
    event.sort();
    (value[value.len() / 2], event[event.len() / 2])
}

fn main() {
    let lines = corpus();
    // Every line must decode typed, or the comparison is meaningless.
    for line in &lines {
        let e: Event = serde_json::from_str(line).expect("corpus decodes");
        assert!(!matches!(e, Event::Unknown(_)), "{line}");
    }

    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &lines);
    c.final_summary();

    // `cargo test --benches` runs this binary with `--bench` absent: keep it short then.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let budget = if bench_mode {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(50)
    };
    let (value, event) = side_by_side(&lines, budget);
    let n = lines.len() as f64;
    let value_rate = n / value.as_secs_f64();
    let event_rate = n / event.as_secs_f64();
    println!(
        "\nevents.jsonl ({} messages), median pass, interleaved:\n  serde_json::Value  {:>12.0} events/s\n  ari_sdk::Event     {:>12.0} events/s\n  ratio typed/Value  {:>12.2}x",
        lines.len(),
        value_rate,
        event_rate,
        event_rate / value_rate
    );
}
