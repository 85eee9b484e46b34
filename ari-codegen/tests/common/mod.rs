//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod known;
pub mod named;
pub mod rewrite;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use ari_codegen::fixups::{Fixup, ASTERISK};
use ari_codegen::ir::{self, Version};
use ari_codegen::{spec, Error, LoadedVersion};

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

/// The snapshot fixture `name` (`tests/fixtures/<name>/asterisk-<version>/`) at `version`,
/// loaded and fixed up with Asterisk's fixups.
pub fn snapshot_version(name: &str, version: &str) -> LoadedVersion {
    let dir = fixture(name).join(format!("asterisk-{version}"));
    ari_codegen::load_version(v(version), &dir, fixture_fixups())
        .unwrap_or_else(|e| panic!("{name} fixture {version} loads: {e}"))
}

/// The snapshot fixture `name` at the two versions the snapshots are made of (16.30.1 and
/// 22.10.1), through the whole pipeline: fixups, lowering, the union and naming.
pub fn snapshot_api(name: &str) -> ir::Api {
    let specs = ["16.30.1", "22.10.1"].map(|version| snapshot_version(name, version).spec);
    ari_codegen::lower(&specs).unwrap_or_else(|e| panic!("{name} fixture lowers: {e}"))
}

/// Asterisk's fixups (they run on every version, fixtures included).
pub fn fixture_fixups() -> &'static [Fixup] {
    ASTERISK
}

/// The workspace's `specs/` (the lock and the imported versions), or `$ARI_SPECS_ROOT`
/// (the new-version test points these tests at a copy with one more version).
pub fn specs_root() -> PathBuf {
    match std::env::var_os("ARI_SPECS_ROOT") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs"),
    }
}

/// Every version pinned in `specs/specs.lock`, loaded and fixed up (stale fixups fail).
/// Missing specs are a failure that says how to import them, never a skip.
pub fn loaded() -> &'static [LoadedVersion] {
    static LOADED: OnceLock<Vec<LoadedVersion>> = OnceLock::new();
    LOADED.get_or_init(|| match ari_codegen::load_specs(&specs_root()) {
        Ok(l) => l,
        Err(e) => panic!(
            "{e}\n\nThese tests need every Asterisk spec version that specs/specs.lock pins, \
             imported into specs/asterisk-*/.\n\
             Import them from the workspace root with: cargo xtask specs import ../shared/specs"
        ),
    })
}

/// The versions of `specs/specs.lock`, in order.
pub fn lock_versions() -> Vec<String> {
    loaded()
        .iter()
        .map(|l| l.spec.version.to_string())
        .collect()
}

/// The union IR of `versions`.
fn lower_loaded<'a>(versions: impl IntoIterator<Item = &'a LoadedVersion>) -> ir::Api {
    let specs: Vec<_> = versions.into_iter().map(|l| l.spec.clone()).collect();
    ari_codegen::lower(&specs).unwrap_or_else(|e| panic!("lowering the real specs: {e}"))
}

/// The union IR of every version in the lock.
pub fn api_all() -> &'static ir::Api {
    static API: OnceLock<ir::Api> = OnceLock::new();
    API.get_or_init(|| lower_loaded(loaded()))
}

/// The versions of [`known::KNOWN_VERSIONS`], loaded; each must be in the lock.
pub fn loaded_known() -> Vec<&'static LoadedVersion> {
    known::KNOWN_VERSIONS
        .iter()
        .map(|k| {
            loaded()
                .iter()
                .find(|l| l.spec.version.to_string() == k.version)
                .unwrap_or_else(|| {
                    panic!(
                        "{} is in tests/common/known.rs but not in specs/specs.lock ({})",
                        k.version,
                        lock_versions().join(", ")
                    )
                })
        })
        .collect()
}

/// The union IR of the versions in [`known::KNOWN_VERSIONS`] only: what the pinned facts
/// about the union are checked on, whatever else the lock adds.
pub fn api_known() -> &'static ir::Api {
    static API: OnceLock<ir::Api> = OnceLock::new();
    API.get_or_init(|| lower_loaded(loaded_known()))
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
