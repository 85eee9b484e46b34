//! Snapshot of the operations emitter (`handles.rs`, `operations.rs`, `contract.rs`) on a
//! fixture API that starts as spec files: `tests/fixtures/ops/asterisk-{16.30.1,22.10.1}/`,
//! run through the whole pipeline (load → fixups → lower → union → naming → emit). The two
//! directories hold 57 operations of the real specs (summaries, notes, parameters, errors as
//! Asterisk 22.10.1 writes them; availability as 16.30.1 vs 22.10.1 differ) and small models,
//! chosen to reach every emitter path: handles with one and three path parameters, two objects
//! with the same parameter name (live/stored recordings), a name override (device states), keys
//! that are not objects (`/endpoints/{tech}`, `/events/user/{eventName}`), a resource with no
//! accessor (playbacks), a reserved accessor name (events), the WebSocket upgrade, enum and list
//! parameters, every body shape (variables, config fields, whole-body filter), void, binary
//! and JSON responses, versioned operations and parameters, and prose full of markup.
//!
//! The snapshot files are compiled and their generated contract tests run by
//! `ari-sdk/tests/ops_fixture.rs`. Update with
//! `UPDATE_EXPECT=1 cargo test -p ari-codegen --test ops_snapshot`.

mod common;

use ari_codegen::emit::{generate, EmitError};
use ari_codegen::ir::*;
use expect_test::expect_file;

/// The fixture API from its spec directories.
pub fn fixture_api() -> Api {
    common::snapshot_api("ops")
}

#[test]
fn snapshot() {
    let files = generate(&fixture_api()).expect("fixture emits");
    for f in &files {
        let path = format!("../../ari-sdk/tests/ops_fixture/{}", f.path);
        expect_file![path].assert_eq(&f.contents);
    }
}

#[test]
fn deterministic() {
    assert_eq!(generate(&fixture_api()), generate(&fixture_api()));
}

#[test]
fn a_placeholder_without_its_parameter_is_an_error() {
    let mut api = fixture_api();
    let op = api.resources[0]
        .operations
        .iter_mut()
        .find(|op| op.path.params().next().is_some())
        .unwrap();
    op.params.retain(|p| p.location != ParamLocation::Path);
    let err = generate(&api).unwrap_err();
    assert!(matches!(err, EmitError::Operation { .. }), "{err}");
    assert!(
        err.to_string().contains("is not among its parameters"),
        "{err}"
    );
}

#[test]
fn handle_name_collisions_are_errors() {
    let mut api = fixture_api();
    // Two handles called `channel`: rename the bridge's id parameter to `channelId`.
    for r in &mut api.resources {
        for op in &mut r.operations {
            if op.path.as_str().starts_with("/bridges/{bridgeId}") {
                op.path =
                    PathTemplate::parse(&op.path.as_str().replace("{bridgeId}", "{channelId}"))
                        .unwrap();
                for p in &mut op.params {
                    if p.wire_name == "bridgeId" {
                        p.wire_name = "channelId".into();
                    }
                }
            }
        }
    }
    // Same base in two resources: both are qualified (bridges_channel, channels_channel).
    let files = generate(&api).expect("qualified names do not collide");
    let handles = files.iter().find(|f| f.path == "handles.rs").unwrap();
    assert!(handles.contents.contains("pub struct BridgesChannelHandle"));
    assert!(handles
        .contents
        .contains("pub struct ChannelsChannelHandle"));
}

#[test]
fn reserved_parameter_names_are_errors() {
    let mut api = fixture_api();
    let op = api.resources[0]
        .operations
        .iter_mut()
        .find(|op| !op.params.is_empty())
        .unwrap();
    op.params.last_mut().unwrap().rust_name = "send".into();
    let err = generate(&api).unwrap_err();
    assert!(err.to_string().contains("send"), "{err}");
}
