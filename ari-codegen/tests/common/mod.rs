//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use ari_codegen::fixups::{Fixup, ASTERISK};
use ari_codegen::ir::{self, Version};
use ari_codegen::{spec, Error};

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `1.0.0`-style version.
pub fn v(s: &str) -> Version {
    s.parse().expect("test version")
}

/// Asterisk's fixups, re-targeted at the fixture version `1.0.0`.
pub fn fixture_fixups() -> Vec<Fixup> {
    ASTERISK
        .iter()
        .map(|f| Fixup {
            versions: &["1.0.0"],
            ..*f
        })
        .collect()
}

/// A minimal events.json (Message → Event → one event), for in-memory versions.
pub const EVENTS: &str = r#"{
  "swaggerVersion": "1.2",
  "apis": [],
  "models": {
    "Message": { "id": "Message", "discriminator": "type", "subTypes": ["Event"],
      "properties": { "type": { "type": "string", "required": true } } },
    "Event": { "id": "Event", "subTypes": ["Ping"],
      "properties": { "application": { "type": "string", "required": true }, "timestamp": { "type": "Date", "required": true } } },
    "Ping": { "id": "Ping", "properties": {} }
  }
}"#;

/// Parses an in-memory version of `things.json` (+ [`EVENTS`]) without fixups.
pub fn parse_things(things: &str) -> Result<spec::SpecVersion, Error> {
    let listing = r#"{"swaggerVersion":"1.1","apis":[{"path":"/api-docs/things.{format}"},{"path":"/api-docs/events.{format}"}]}"#;
    let mut files = BTreeMap::new();
    files.insert(
        "things".to_string(),
        ("things.json".to_string(), things.to_string()),
    );
    files.insert(
        "events".to_string(),
        ("events.json".to_string(), EVENTS.to_string()),
    );
    spec::parse_version(v("1.0.0"), ("resources.json", listing), &files)
}

/// Parses and lowers an in-memory `things.json` (no fixups).
pub fn lower_things(things: &str) -> Result<ir::Api, Error> {
    let spec = parse_things(things)?;
    ari_codegen::lower(&[spec])
}

/// The error text of lowering an in-memory `things.json`.
pub fn lower_err(things: &str) -> String {
    match lower_things(things) {
        Ok(_) => panic!("expected an error for:\n{things}"),
        Err(e) => e.to_string(),
    }
}
