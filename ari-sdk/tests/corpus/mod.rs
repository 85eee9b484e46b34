//! Every recorded event line of the test corpora, for tests that run over all of them: the call flow of
//! Asterisk 22.10.1 (`shared/fixtures/asterisk-22.10.1/events.jsonl`, beside the checkout) and the SIP flows
//! of every version under `tests/fixtures/*/sip-events.jsonl`.
#![allow(dead_code, reason = "each test binary uses a different part")]

use ari_sdk::events::{EventPayload, ObjectKind};

/// The shared call-flow corpus.
pub const SHARED_EVENTS_JSONL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk-22.10.1/events.jsonl"
);

/// One corpus line and where it came from (`file:line`).
pub struct Line {
    /// `path:line`, for messages.
    pub place: String,
    /// The message as Asterisk sent it.
    pub text: String,
}

/// Every non-empty line of every corpus, in a fixed order.
pub fn lines() -> Vec<Line> {
    let mut files = vec![std::path::PathBuf::from(SHARED_EVENTS_JSONL)];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut sip: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| {
            entry
                .expect("fixture dir entry")
                .path()
                .join("sip-events.jsonl")
        })
        .filter(|path| path.is_file())
        .collect();
    sip.sort();
    files.extend(sip);
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (shared/ must sit beside the checkout)",
                path.display()
            )
        });
        for (n, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                out.push(Line {
                    place: format!("{}:{}", path.display(), n + 1),
                    text: line.to_owned(),
                });
            }
        }
    }
    out
}

/// The objects `event` routes to, sorted (kind, id).
pub fn objects<E: EventPayload>(event: &E) -> Vec<(ObjectKind, String)> {
    let mut found = Vec::new();
    event.for_each_object(&mut |o| found.push((o.kind, o.id.to_owned())));
    found.sort();
    found
}
