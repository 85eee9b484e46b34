//! Naming: keywords, acronyms, mixed wire styles, and the collisions fixture.

mod common;

use common::named::wire_rust;
use common::{fixture, v};

fn api() -> ari_codegen::ir::Api {
    let loaded = ari_codegen::load_version(v("1.0.0"), &fixture("naming"), &[])
        .expect("naming fixture loads");
    ari_codegen::lower(&[loaded.spec]).expect("naming fixture lowers")
}

#[test]
fn type_names_acronyms_and_collisions() {
    let api = api();
    let models = wire_rust(api.all_models());
    assert_eq!(
        models,
        [
            ("RESTRequest", "RestRequest"),
            ("RTPstat", "RtpStat"),
            ("RtpStat", "RtpStat2"),
            ("Widget", "Widget"),
            ("WidgetState", "WidgetState"),
            ("Message", "Message"),
            ("Event", "Event"),
            ("RESTResponse", "RestResponse"),
        ]
    );
    // The enum's default name `WidgetState` is a model's: it yields.
    let names: Vec<&str> = api.enums.keys().map(String::as_str).collect();
    assert_eq!(names, ["WidgetState2"]);
    assert_eq!(api.enums["WidgetState2"].used_by, ["Widget.state"]);
}

#[test]
fn field_names_keywords_and_collisions() {
    let api = api();
    let fields = wire_rust(&api.models["Widget"].fields);
    assert_eq!(
        fields,
        [
            ("3pcc", "v3pcc"),
            ("ChannelId", "channel_id"),
            ("channelId", "channel_id_2"),
            ("channel_id", "channel_id_3"),
            ("in", "in_"),
            ("kind", "kind"),
            ("self", "self_"),
            ("state", "state"),
            ("type", "type_"),
        ]
    );
    assert_eq!(api.models["RESTRequest"].fields[0].rust_name, "kind");
    assert_eq!(api.events.message.fields[0].rust_name, "kind");
}

#[test]
fn variant_names() {
    let api = api();
    let variants = wire_rust(&api.enums["WidgetState2"].values);
    assert_eq!(
        variants,
        [
            ("in", "In"),
            ("In", "In2"),
            ("*", "Star"),
            ("#", "Pound"),
            ("Dialing Offhook", "DialingOffhook"),
            ("", "Empty"),
            ("Self", "Self_"),
            ("NOT_INUSE", "NotInuse"),
        ]
    );
}

#[test]
fn resource_operation_and_param_names() {
    let api = api();
    let res = &api.resources[0];
    assert_eq!(
        (res.wire_name.as_str(), res.rust_name.as_str()),
        ("deviceStates", "device_states")
    );
    // Sorted by (path, method); names claimed in nickname order.
    let ops = wire_rust(&res.operations);
    assert_eq!(
        ops,
        [
            ("getThing", "get_thing"),
            ("move", "move_to"),
            ("get_thing", "get_thing_2")
        ]
    );
    let mv = api.operation("deviceStates", "move").unwrap();
    let params = wire_rust(&mv.params);
    // Claimed in parameter order: the path param first.
    assert_eq!(
        params,
        [
            ("channelId", "channel_id"),
            ("channel_id", "channel_id_2"),
            ("type", "kind"),
            ("kind", "kind_2"),
            ("reason_code", "reason_code"),
            ("in", "in_"),
        ]
    );
}

#[test]
fn names_are_valid_identifiers() {
    let api = api();
    let mut all: Vec<String> = api.all_models().map(|m| m.rust_name.clone()).collect();
    all.extend(
        api.all_models()
            .flat_map(|m| m.fields.iter().map(|f| f.rust_name.clone())),
    );
    all.extend(
        api.enums
            .values()
            .flat_map(|e| e.values.iter().map(|v| v.rust_name.clone())),
    );
    all.extend(
        api.resources
            .iter()
            .flat_map(|r| r.operations.iter().map(|o| o.rust_name.clone())),
    );
    for name in all {
        assert!(
            syn::parse_str::<syn::Ident>(&name).is_ok(),
            "{name} is not an identifier"
        );
    }
}
