//! Test-only support for the generated offline contract tests (`generated/contract.rs`): the
//! runner that checks each case on the wire, against the stub HTTP server of the transport
//! tests (`tests/support/mod.rs`).
//!
//! The test crates that compile snapshots of generated code (`tests/support/generated_env.rs`)
//! mount the same two files to run the contract tests the generator writes for its fixtures;
//! they supply their own [`recorded`].

pub(crate) mod runner;
#[path = "../../tests/support/mod.rs"]
pub(crate) mod stub;

pub(crate) use runner::{
    check, coverage, decode_as, template_match, Case, Decoded, Recorded, Response, ResponseType,
};

/// Real responses of Asterisk 22.10.1 (`../shared/fixtures/asterisk-22.10.1/rest.jsonl`), used
/// as the success body of the operations they fit; empty when the file is not there.
pub(crate) fn recorded() -> &'static [Recorded] {
    static RECORDED: std::sync::OnceLock<Vec<Recorded>> = std::sync::OnceLock::new();
    RECORDED.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/asterisk-22.10.1/rest.jsonl"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            return Vec::new();
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("rest.jsonl line");
                let full = v["path"].as_str().expect("path");
                Recorded {
                    method: v["method"].as_str().expect("method").to_owned(),
                    path: full.split('?').next().unwrap_or(full).to_owned(),
                    status: u16::try_from(v["status"].as_u64().expect("status")).expect("status"),
                    body: v["response"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    })
}
