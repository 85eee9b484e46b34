//! The dialect fixture: every key, type and irregularity of Asterisk's ARI
//! specs, read, fixed up (with Asterisk's own fixups) and lowered.

mod common;

use ari_codegen::fixups::Applied;
use ari_codegen::ir::{HttpMethod, ParamLocation, PathSegment, ResponseType, TypeRef, VersionSet};
use common::named::wire_rust;
use common::{fixture, fixture_fixups, v};
use serde_json::json;

fn load() -> ari_codegen::LoadedVersion {
    ari_codegen::load_version(v("1.0.0"), &fixture("dialect"), fixture_fixups())
        .expect("dialect fixture loads")
}

fn api() -> ari_codegen::ir::Api {
    ari_codegen::lower(&[load().spec]).expect("dialect fixture lowers")
}

fn model(name: &str) -> TypeRef {
    TypeRef::Model(name.to_string())
}

fn en(name: &str) -> TypeRef {
    TypeRef::Enum(name.to_string())
}

#[test]
fn unknown_keys_are_warnings_with_file_and_path() {
    let loaded = load();
    let warnings: Vec<String> = loaded
        .spec
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        warnings,
        ["dialect/api-docs/events.json: /models/RESTQueryStringParameter/x-fixture-unknown: unknown key `x-fixture-unknown` (ignored)"]
    );
}

#[test]
fn every_fixup_finds_its_defect() {
    let applied = load().fixups;
    let expect = [
        ("param_descriptioni", 1),
        ("hangup_defalut_value", 1),
        ("string_error_codes", 2),
        ("path_params_required", 2),
        ("bridge_type_prose", 1),
        ("transfer_progress_states", 1),
        ("channel_state_values", 2),
        ("playback_state_paused", 1),
    ];
    let expect: Vec<Applied> = expect
        .iter()
        .map(|(f, count)| Applied {
            fixup: f,
            count: *count,
        })
        .collect();
    assert_eq!(applied, expect);
}

#[test]
fn raw_irregularities_are_read_faithfully() {
    let spec = ari_codegen::spec::load_version_dir(v("1.0.0"), &fixture("dialect")).unwrap();
    let endpoints = &spec.file("endpoints").unwrap().decl;
    let send = &endpoints.apis[0].operations[0];
    assert_eq!(
        send.parameters[1]
            .descriptioni
            .as_deref()
            .map(|d| d.starts_with("The \"variables\"")),
        Some(true)
    );
    assert_eq!(send.parameters[1].description, None);
    let get = &endpoints.apis[1].operations[0];
    assert_eq!(get.parameters[0].required, None);
    assert_eq!(
        get.parameters[2].note.as_deref(),
        Some("an upstream developer's note")
    );
    let channels = &spec.file("channels").unwrap().decl;
    assert_eq!(channels.since.as_deref(), Some(&["12.0.0".to_string()][..]));
    assert_eq!(channels.requires_modules.as_ref().map(Vec::len), Some(2));
    assert_eq!(channels.copyright.as_deref(), Some("ari-sdk test fixture"));
    let hangup = &channels.apis[1].operations[0];
    assert_eq!(hangup.parameters[1].defalut_value, Some(json!("normal")));
    let mv = &channels.apis[2].operations[0];
    assert_eq!(
        mv.error_responses[0].code,
        ari_codegen::spec::ErrorCode::Text("409".into())
    );
    let events = &spec.file("events").unwrap().decl;
    assert_eq!(events.swagger_version, "1.2");
    assert_eq!(
        events.apis[0].operations[0].upgrade.as_deref(),
        Some("websocket")
    );
    assert_eq!(
        events.apis[0].operations[0].websocket_protocol.as_deref(),
        Some("ari")
    );
    assert_eq!(
        events.models["Message"].discriminator.as_deref(),
        Some("type")
    );
    assert_eq!(spec.listing.swagger_version, "1.1");
    assert_eq!(spec.listing.apis.len(), 6);
}

#[test]
fn resources_and_operations() {
    let api = api();
    let names = wire_rust(&api.resources);
    assert_eq!(
        names,
        [
            ("bridges", "bridges"),
            ("channels", "channels"),
            ("endpoints", "endpoints"),
            ("events", "events"),
            ("playbacks", "playbacks"),
            ("recordings", "recordings")
        ]
    );
    let channels = api.resource("channels").unwrap();
    assert_eq!(channels.description, "Channel resources");
    let ops: Vec<(&str, HttpMethod, &str)> = channels
        .operations
        .iter()
        .map(|o| (o.path.as_str(), o.method, o.nickname.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("/channels", HttpMethod::Get, "list"),
            ("/channels", HttpMethod::Post, "originate"),
            ("/channels/{channelId}", HttpMethod::Delete, "hangup"),
            ("/channels/{channelId}/dial", HttpMethod::Put, "dial"),
            ("/channels/{channelId}/move", HttpMethod::Post, "move"),
            (
                "/channels/{channelId}/rtp_statistics",
                HttpMethod::Get,
                "rtpstatistics"
            ),
            (
                "/channels/{channelId}/snoop/{snoopId}",
                HttpMethod::Post,
                "snoopChannelWithId"
            ),
            (
                "/channels/{channelId}/transfer_progress",
                HttpMethod::Post,
                "transfer_progress"
            ),
        ]
    );
    let all = VersionSet::single(v("1.0.0"));
    assert!(channels.operations.iter().all(|o| o.versions == all));
    assert!(api.conflicts.is_empty());
}

#[test]
fn parameters_types_defaults_and_order() {
    let api = api();
    let originate = api.operation("channels", "originate").unwrap();
    assert_eq!(originate.summary, "Create a new channel (originate).");
    assert_eq!(
        originate.notes.as_deref(),
        Some("The new channel is created immediately.")
    );
    assert_eq!(originate.response, ResponseType::Json(model("Channel")));
    type Row<'a> = (
        &'a str,
        ParamLocation,
        &'a TypeRef,
        bool,
        bool,
        Option<&'a serde_json::Value>,
    );
    let p: Vec<Row> = originate
        .params
        .iter()
        .map(|p| {
            (
                p.rust_name.as_str(),
                p.location,
                &p.ty,
                p.required,
                p.allow_multiple,
                p.default.as_ref(),
            )
        })
        .collect();
    assert_eq!(
        p,
        [
            (
                "endpoint",
                ParamLocation::Query,
                &TypeRef::String,
                true,
                false,
                None
            ),
            (
                "priority",
                ParamLocation::Query,
                &TypeRef::Long,
                false,
                false,
                None
            ),
            (
                "timeout",
                ParamLocation::Query,
                &TypeRef::Int,
                false,
                false,
                Some(&json!(30))
            ),
            (
                "early",
                ParamLocation::Query,
                &TypeRef::Boolean,
                false,
                false,
                Some(&json!(false))
            ),
            (
                "formats",
                ParamLocation::Query,
                &TypeRef::String,
                false,
                true,
                None
            ),
            (
                "variables",
                ParamLocation::Body,
                &TypeRef::Object,
                false,
                false,
                None
            ),
        ]
    );
    assert_eq!(originate.errors.len(), 1);
    assert_eq!(
        (
            originate.errors[0].status,
            originate.errors[0].reason.as_str()
        ),
        (400, "Invalid parameters for originating a channel.")
    );

    // Path params first, in path order; then the rest in spec order.
    let snoop = api.operation("channels", "snoopChannelWithId").unwrap();
    let order: Vec<&str> = snoop.params.iter().map(|p| p.wire_name.as_str()).collect();
    assert_eq!(order, ["channelId", "snoopId", "spy", "whisper"]);
    assert_eq!(
        snoop.path.segments(),
        [
            PathSegment::Literal("channels".into()),
            PathSegment::Param("channelId".into()),
            PathSegment::Literal("snoop".into()),
            PathSegment::Param("snoopId".into())
        ]
    );
    assert_eq!(
        snoop.path.to_string(),
        "/channels/{channelId}/snoop/{snoopId}"
    );
    assert_eq!(snoop.params[2].ty, en("SnoopChannelWithIdSpy"));
    assert_eq!(snoop.params[3].ty, en("SnoopChannelWithIdSpy"));
    assert_eq!(snoop.params[2].default, Some(json!("none")));

    let dial = api.operation("channels", "dial").unwrap();
    let range = dial.params[1].range.as_ref().unwrap();
    assert_eq!((range.min, range.max), (Some(0.0), Some(60.0)));

    // Typo'd keys, fixed up.
    let hangup = api.operation("channels", "hangup").unwrap();
    assert_eq!(hangup.params[1].default, Some(json!("normal")));
    assert_eq!(hangup.params[1].ty, en("HangupReason"));
    assert_eq!(hangup.response, ResponseType::Void);
    let errors: Vec<u16> = hangup.errors.iter().map(|e| e.status).collect();
    assert_eq!(errors, [400, 404]);
    let send = api.operation("endpoints", "sendMessage").unwrap();
    assert!(send.params[1]
        .description
        .starts_with("The \"variables\" key"));
    assert_eq!(send.method, HttpMethod::Put);

    // String error codes, fixed up; the `move` keyword.
    let mv = api.operation("channels", "move").unwrap();
    assert_eq!(mv.rust_name, "move_to");
    let errors: Vec<u16> = mv.errors.iter().map(|e| e.status).collect();
    assert_eq!(errors, [404, 409]);

    // Path params without `required`, fixed up.
    let get = api.operation("endpoints", "get").unwrap();
    let req: Vec<(&str, ParamLocation, bool)> = get
        .params
        .iter()
        .map(|p| (p.wire_name.as_str(), p.location, p.required))
        .collect();
    assert_eq!(
        req,
        [
            ("tech", ParamLocation::Path, true),
            ("resource", ParamLocation::Path, true),
            ("formats", ParamLocation::Query, false)
        ]
    );

    // binary, List[X], websocket upgrade, body `object`.
    assert_eq!(
        api.operation("recordings", "getStoredFile")
            .unwrap()
            .response,
        ResponseType::Binary
    );
    assert_eq!(
        api.operation("bridges", "list").unwrap().response,
        ResponseType::Json(TypeRef::List(Box::new(model("Bridge"))))
    );
    let ws = api.operation("events", "eventWebsocket").unwrap();
    assert!(ws.is_websocket);
    assert_eq!(ws.response, ResponseType::Json(model("Message")));
    assert!(ws.params[0].required && ws.params[0].allow_multiple);
    let user = api.operation("events", "userEvent").unwrap();
    assert!(!user.is_websocket);
    assert_eq!(user.params[2].ty, TypeRef::Object);
    assert_eq!(user.params[2].location, ParamLocation::Body);
}

#[test]
fn prose_enums() {
    let api = api();
    let create = api.operation("bridges", "create").unwrap();
    let kind = &create.params[0];
    assert_eq!(
        (kind.wire_name.as_str(), kind.rust_name.as_str()),
        ("type", "kind")
    );
    assert_eq!(kind.ty, en("BridgeType"));
    assert!(kind.allow_multiple, "a comma-separated list");
    let bridge_type = &api.enums["BridgeType"];
    assert!(bridge_type.from_prose);
    assert_eq!(
        bridge_type.used_by,
        ["Bridge.bridge_type", "bridges.create.type"]
    );
    let values = wire_rust(&bridge_type.values);
    assert_eq!(
        values,
        [
            ("mixing", "Mixing"),
            ("holding", "Holding"),
            ("dtmf_events", "DtmfEvents")
        ]
    );
    assert_eq!(
        api.models["Bridge"].field("bridge_type").unwrap().ty,
        en("BridgeType")
    );

    let states = &api
        .operation("channels", "transfer_progress")
        .unwrap()
        .params[1];
    assert_eq!(states.ty, en("TransferProgressState"));
    let e = &api.enums["TransferProgressState"];
    assert!(e.from_prose);
    let wires: Vec<&str> = e.values.iter().map(|v| v.wire.as_str()).collect();
    assert_eq!(
        wires,
        [
            "channel_progress",
            "channel_answered",
            "channel_unavailable",
            "channel_declined"
        ]
    );
}

#[test]
fn enums_from_allowable_values() {
    let api = api();
    let names: Vec<&str> = api.enums.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "BridgeType",
            "ChannelState",
            "ContactStatus",
            "EndpointState",
            "HangupReason",
            "PlaybackOperation",
            "PlaybackState",
            "RecordIfExists",
            "RecordTerminateOn",
            "SnoopChannelWithIdSpy",
            "TransferProgressState"
        ]
    );
    let variants = |name: &str| wire_rust(&api.enums[name].values);
    assert_eq!(
        variants("ChannelState"),
        [
            ("Down", "Down"),
            ("Rsrvd", "Rsrvd"),
            ("Up", "Up"),
            ("Dialing Offhook", "DialingOffhook"),
            ("Pre-ring", "PreRing"),
            ("Mute", "Mute")
        ]
    );
    assert_eq!(
        variants("RecordTerminateOn"),
        [
            ("none", "None"),
            ("any", "Any"),
            ("*", "Star"),
            ("#", "Pound")
        ]
    );
    assert_eq!(
        variants("PlaybackState"),
        [
            ("queued", "Queued"),
            ("playing", "Playing"),
            ("paused", "Paused"),
            ("done", "Done"),
            ("failed", "Failed")
        ]
    );
    assert_eq!(
        api.enums["SnoopChannelWithIdSpy"].used_by,
        [
            "channels.snoopChannelWithId.spy",
            "channels.snoopChannelWithId.whisper"
        ]
    );
    assert_eq!(
        api.enums["ContactStatus"].used_by,
        ["ContactInfo.contact_status"]
    );
    assert_eq!(
        api.enums["ChannelState"].description,
        "Allowed values of Channel.state."
    );
    assert_eq!(
        api.enums["HangupReason"].description,
        "Reason for hanging up the channel"
    );
}

#[test]
fn models_fields_and_types() {
    let api = api();
    let names: Vec<(&str, &str, &str)> = api
        .models
        .values()
        .map(|m| {
            (
                m.wire_name.as_str(),
                m.rust_name.as_str(),
                m.defined_in.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Bridge", "Bridge", "bridges"),
            ("CallerID", "CallerId", "channels"),
            ("Channel", "Channel", "channels"),
            ("ContactInfo", "ContactInfo", "events"),
            ("Endpoint", "Endpoint", "endpoints"),
            ("LiveRecording", "LiveRecording", "recordings"),
            ("Playback", "Playback", "playbacks"),
            (
                "RESTQueryStringParameter",
                "RestQueryStringParameter",
                "events"
            ),
            ("RESTRequest", "RestRequest", "events"),
            ("RTPstat", "RtpStat", "channels"),
        ]
    );
    let channel = &api.models["Channel"];
    let fields: Vec<(&str, &str, &TypeRef, bool)> = channel
        .fields
        .iter()
        .map(|f| {
            (
                f.wire_name.as_str(),
                f.rust_name.as_str(),
                &f.ty,
                f.required,
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("caller", "caller", &model("CallerID"), true),
            ("callerId", "caller_id", &TypeRef::String, false),
            ("channelvars", "channelvars", &TypeRef::Object, false),
            ("creationtime", "creationtime", &TypeRef::Date, true),
            ("id", "id", &TypeRef::String, true),
            ("protocol_id", "protocol_id", &TypeRef::String, true),
            ("state", "state", &en("ChannelState"), true),
        ]
    );
    let rtp: Vec<(&str, &TypeRef)> = api.models["RTPstat"]
        .fields
        .iter()
        .map(|f| (f.wire_name.as_str(), &f.ty))
        .collect();
    assert_eq!(
        rtp,
        [
            ("local_ssrc", &TypeRef::Long),
            ("rxjitter", &TypeRef::Double),
            ("txcount", &TypeRef::Int)
        ]
    );
    assert_eq!(
        api.models["Bridge"].field("channels").unwrap().ty,
        TypeRef::List(Box::new(TypeRef::String))
    );
    let req = &api.models["RESTRequest"];
    assert_eq!(req.field("type").unwrap().rust_name, "kind");
    assert_eq!(
        req.field("query_strings").unwrap().ty,
        TypeRef::List(Box::new(model("RESTQueryStringParameter")))
    );
    assert_eq!(api.models["RTPstat"].description, "A statistics of a RTP.");
}

#[test]
fn event_hierarchy() {
    let api = api();
    let tree = &api.events;
    let fields = |m: &ari_codegen::ir::Model| -> Vec<String> {
        m.fields.iter().map(|f| f.rust_name.clone()).collect()
    };
    assert_eq!(fields(&tree.message), ["asterisk_id", "kind"]);
    assert_eq!(fields(&tree.event), ["application", "timestamp"]);
    assert_eq!(tree.event.field("timestamp").unwrap().ty, TypeRef::Date);
    let messages: Vec<&str> = tree.messages.iter().map(|m| m.wire_name.as_str()).collect();
    assert_eq!(messages, ["MissingParams"]);
    let events = wire_rust(&tree.events);
    assert_eq!(
        events,
        [
            ("ApplicationRegistered", "ApplicationRegistered"),
            ("PlaybackStarted", "PlaybackStarted"),
            ("RESTResponse", "RestResponse"),
            ("StasisStart", "StasisStart")
        ]
    );
    assert!(tree.events[0].fields.is_empty(), "empty-property event");
    let start = api.event("StasisStart").unwrap();
    assert_eq!(
        start.field("channel").unwrap().ty,
        model("Channel"),
        "cross-file model reference"
    );
    assert_eq!(start.defined_in, "events");
    assert!(!api.models.contains_key("StasisStart") && !api.models.contains_key("Message"));
}

#[test]
fn lowering_is_deterministic() {
    let a = api();
    let b = api();
    assert_eq!(a, b);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}
