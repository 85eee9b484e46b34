//! The generated API's layout on the real spec versions of `specs/specs.lock` (imported into
//! `specs/` by `cargo xtask specs import ../shared/specs`): every operation of every version
//! placed once, and every curated body object and concern still matching the specs; and, on the
//! versions of `common/known.rs`, the handles and accessors the design names, every naming
//! override still needed, and the calls users write.

mod common;

use std::collections::BTreeSet;

use ari_codegen::curated::HANDLE_NAME_OVERRIDES;
use ari_codegen::emit::{layout, Layout, LayoutEntry};
use common::known::KNOWN_REST_OPERATIONS;

/// The layout of the known versions' union (the pinned facts are about those).
fn entries() -> (Vec<LayoutEntry>, Vec<(String, String)>) {
    let Layout { rest, not_rest } = layout(common::api_known()).expect("the known IR lays out");
    (rest, not_rest)
}

#[test]
fn every_operation_is_placed_exactly_once() {
    for (api, what) in [
        (common::api_all(), "every version of the lock"),
        (common::api_known(), "the known versions"),
    ] {
        let Layout { rest, not_rest } = layout(api).expect("the real IR lays out");
        assert_eq!(
            not_rest,
            [("events".to_owned(), "eventWebsocket".to_owned())],
            "{what}"
        );
        let operations: usize = api.resources.iter().map(|r| r.operations.len()).sum();
        let all: BTreeSet<(&str, &str)> = rest
            .iter()
            .map(|e| (e.resource.as_str(), e.nickname.as_str()))
            .chain(not_rest.iter().map(|(r, n)| (r.as_str(), n.as_str())))
            .collect();
        assert_eq!(rest.len() + not_rest.len(), operations, "{what}");
        assert_eq!(all.len(), operations, "{what}: distinct operations");
        let calls: BTreeSet<&str> = rest.iter().map(|e| e.call.as_str()).collect();
        assert_eq!(calls.len(), rest.len(), "{what}: every call is distinct");
    }
    let (rest, _) = entries();
    assert_eq!(rest.len(), KNOWN_REST_OPERATIONS);
}

fn starters(rest: &[LayoutEntry]) -> BTreeSet<String> {
    rest.iter()
        .map(|e| e.call.split(").").next().unwrap_or_default().to_owned() + ")")
        .collect()
}

#[test]
fn handles_and_accessors() {
    let (rest, _) = entries();
    let expected = [
        "client.application(application_name)",
        "client.applications()",
        "client.asterisk()",
        "client.bridge(bridge_id)",
        "client.bridges()",
        "client.channel(channel_id)",
        "client.channels()",
        "client.config_object(config_class, object_type, id)",
        "client.device_state(device_name)",
        "client.device_states()",
        "client.endpoint(tech, resource)",
        "client.endpoints()",
        "client.events_api()",
        "client.live_recording(recording_name)",
        "client.log_channel(log_channel_name)",
        "client.mailbox(mailbox_name)",
        "client.mailboxes()",
        "client.module(module_name)",
        "client.playback(playback_id)",
        "client.recordings()",
        "client.sound(sound_id)",
        "client.sounds()",
        "client.stored_recording(recording_name)",
    ];
    assert_eq!(
        starters(&rest),
        expected
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>()
    );
}

#[test]
fn every_naming_override_is_used() {
    let (rest, _) = entries();
    let starters = starters(&rest);
    for (template, name) in HANDLE_NAME_OVERRIDES {
        assert!(
            starters
                .iter()
                .any(|s| s.starts_with(&format!("client.{name}("))),
            "override {template} → {name} is stale"
        );
    }
}

#[test]
fn calls_users_write() {
    let (rest, _) = entries();
    let call = |resource: &str, nickname: &str| {
        rest.iter()
            .find(|e| e.resource == resource && e.nickname == nickname)
            .unwrap_or_else(|| panic!("{resource}.{nickname}"))
            .call
            .clone()
    };
    for (resource, nickname, expected) in [
        (
            "channels",
            "originate",
            "client.channels().originate(endpoint)",
        ),
        (
            "channels",
            "originateWithId",
            "client.channel(channel_id).originate_with_id(endpoint)",
        ),
        ("channels", "play", "client.channel(channel_id).play(media)"),
        (
            "channels",
            "playWithId",
            "client.channel(channel_id).play_with_id(playback_id, media)",
        ),
        (
            "channels",
            "move",
            "client.channel(channel_id).move_to(app)",
        ),
        (
            "channels",
            "setChannelVars",
            "client.channel(channel_id).set_channel_vars(variables)",
        ),
        ("bridges", "create", "client.bridges().create()"),
        (
            "bridges",
            "createWithId",
            "client.bridge(bridge_id).create_with_id()",
        ),
        (
            "bridges",
            "addChannel",
            "client.bridge(bridge_id).add_channel(channel)",
        ),
        (
            "bridges",
            "setVideoSource",
            "client.bridge(bridge_id).set_video_source(channel_id)",
        ),
        (
            "endpoints",
            "listByTech",
            "client.endpoints().list_by_tech(tech)",
        ),
        (
            "endpoints",
            "sendMessage",
            "client.endpoints().send_message(to, from)",
        ),
        (
            "events",
            "userEvent",
            "client.events_api().user_event(event_name, application)",
        ),
        (
            "events",
            "claimChannel",
            "client.events_api().claim_channel(channel_id, application)",
        ),
        (
            "recordings",
            "getStoredFile",
            "client.stored_recording(recording_name).get_stored_file()",
        ),
        (
            "recordings",
            "copyStored",
            "client.stored_recording(recording_name).copy_stored(destination_recording_name)",
        ),
        (
            "asterisk",
            "updateObject",
            "client.config_object(config_class, object_type, id).update_object()",
        ),
        (
            "asterisk",
            "addLog",
            "client.log_channel(log_channel_name).add_log(configuration)",
        ),
        (
            "mailboxes",
            "update",
            "client.mailbox(mailbox_name).update(old_messages, new_messages)",
        ),
        (
            "deviceStates",
            "update",
            "client.device_state(device_name).update(device_state)",
        ),
        (
            "playbacks",
            "control",
            "client.playback(playback_id).control(operation)",
        ),
    ] {
        assert_eq!(call(resource, nickname), expected, "{resource}.{nickname}");
    }
}

/// The `variables` bodies whose values may be objects with `value` and `report_events` (typed
/// `VariableValue` by the emitter): the spec says so in the parameter's description, on these
/// operations of the known versions and no others.
#[test]
fn variables_that_take_reported_values() {
    let api = common::api_known();
    let mut reported = BTreeSet::new();
    let mut plain = BTreeSet::new();
    for r in &api.resources {
        for op in &r.operations {
            for p in op.params.iter().filter(|p| {
                p.wire_name == "variables" && p.location == ari_codegen::ir::ParamLocation::Body
            }) {
                let id = op.id(&r.wire_name);
                if p.description.contains("report_events") {
                    reported.insert(id);
                } else {
                    plain.insert(id);
                }
            }
        }
    }
    let set = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(
        reported,
        set(&[
            "bridges.create",
            "bridges.createWithId",
            "bridges.setBridgeVars",
            "channels.create",
            "channels.externalMedia",
            "channels.originate",
            "channels.originateWithId",
            "channels.setChannelVars",
        ])
    );
    assert_eq!(
        plain,
        set(&[
            "endpoints.refer",
            "endpoints.referToEndpoint",
            "endpoints.sendMessage",
            "endpoints.sendMessageToEndpoint",
            "events.userEvent",
        ])
    );
}

#[test]
fn every_curated_body_object_and_concern_matches_the_specs() {
    use ari_codegen::curated::{BODY_OBJECTS, CONCERNS};
    use ari_codegen::ir::{ParamLocation, TypeRef};
    let api = common::api_all();
    for (wire, object) in BODY_OBJECTS {
        let uses = api
            .resources
            .iter()
            .flat_map(|r| &r.operations)
            .flat_map(|o| &o.params)
            .filter(|p| {
                p.location == ParamLocation::Body && p.wire_name == *wire && p.ty == TypeRef::Object
            })
            .count();
        assert!(uses > 0, "body object {wire} ({object:?}) is stale");
    }
    for concern in CONCERNS {
        let model = api.models.get(concern.model);
        let id = model.and_then(|m| m.fields.iter().find(|f| f.wire_name == concern.id_field));
        assert!(
            id.is_some_and(|f| f.ty == TypeRef::String),
            "concern {}.{} is stale (no such string field)",
            concern.model,
            concern.id_field
        );
    }
}
