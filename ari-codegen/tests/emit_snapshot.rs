//! Snapshot of the emitter on a small hand-built IR.
//!
//! The snapshot files are plain Rust (expect-test's `expect_file!`, not insta:
//! insta's `.snap` files carry a metadata header and could not be compiled),
//! and `ari-sdk/tests/emit_fixture.rs` compiles and exercises them. Update with
//! `UPDATE_EXPECT=1 cargo test -p ari-codegen --test emit_snapshot`.

#[path = "common/build.rs"]
mod build;

use std::collections::BTreeMap;

use ari_codegen::emit::{generate, EmitError};
use ari_codegen::ir::*;
use build::{all, model_ref, version, versions as vs, NEW, OLD};
use expect_test::expect_file;

fn field(wire: &str, rust: &str, ty: TypeRef, required: bool, description: &str) -> Field {
    Field {
        wire_name: wire.into(),
        rust_name: rust.into(),
        ty,
        required,
        description: description.into(),
        versions: all(),
    }
}

fn model(wire: &str, description: &str, fields: Vec<Field>) -> Model {
    build::model(wire, wire, description, fields)
}

fn value(wire: &str, rust: &str) -> EnumValue {
    EnumValue {
        wire: wire.into(),
        rust_name: rust.into(),
        versions: all(),
    }
}

/// A fixture API exercising every emitter path: required/optional/defaulted
/// fields, versioned fields and models, raw identifiers, enums (one with a
/// value named `Unknown`, one from prose), nested ids (a transfer), a
/// non-event message, awkward doc text.
pub fn fixture_api() -> Api {
    let mut models = BTreeMap::new();
    let mut channel = model(
        "Channel",
        "A specific communication connection between Asterisk and an Endpoint.",
        vec![
            field("id", "id", TypeRef::String, true, "Unique identifier of the channel.\n\nThis is the same as the Uniqueid field in AMI."),
            field("name", "name", TypeRef::String, true, "Name of the channel (i.e. SIP/foo-0000a7e3)"),
            field("state", "state", TypeRef::Enum("ChannelState".into()), true, ""),
            field("caller", "caller", model_ref("CallerID"), true, "Caller identification"),
            field("creationtime", "creationtime", TypeRef::Date, true, "Timestamp when channel was created"),
            field("channelvars", "channelvars", TypeRef::Object, false, "Channel variables"),
            field("caller_rdnis", "caller_rdnis", TypeRef::String, false, "The Caller ID RDNIS"),
            field("tenantid", "tenantid", TypeRef::String, true, "The Tenant ID for the channel"),
        ],
    );
    // Required, but only in the newer version: must come out optional.
    channel
        .fields
        .iter_mut()
        .find(|f| f.wire_name == "tenantid")
        .unwrap()
        .versions = vs(&[NEW]);
    models.insert("Channel".into(), channel);
    let mut caller = model(
        "CallerID",
        "Caller identification",
        vec![
            field("name", "name", TypeRef::String, true, ""),
            field("number", "number", TypeRef::String, true, ""),
        ],
    );
    caller.rust_name = "CallerId".into();
    models.insert("CallerID".into(), caller);
    models.insert(
        "Bridge".into(),
        model(
            "Bridge",
            "The merging of media from one or more channels.\n\nEveryone on the bridge receives the same audio.",
            vec![
                field("id", "id", TypeRef::String, true, "Unique identifier for this bridge"),
                field("bridge_type", "bridge_type", TypeRef::Enum("BridgeType".into()), true, "Type of bridge technology"),
                field("channels", "channels", TypeRef::List(Box::new(TypeRef::String)), true, "Ids of channels participating in this bridge"),
                field("video_source_id", "video_source_id", TypeRef::String, false, "The ID of the channel that is the source of video in this bridge, if one exists."),
            ],
        ),
    );
    models.insert(
        "Playback".into(),
        model(
            "Playback",
            "Object representing the playback of media to a channel",
            vec![
                field(
                    "id",
                    "id",
                    TypeRef::String,
                    true,
                    "ID for this playback operation",
                ),
                field(
                    "state",
                    "state",
                    TypeRef::Enum("PlaybackState".into()),
                    true,
                    "Current state of the playback operation.",
                ),
                field(
                    "target_uri",
                    "target_uri",
                    TypeRef::String,
                    true,
                    "URI for the channel or bridge to play the media on",
                ),
            ],
        ),
    );
    models.insert(
        "LiveRecording".into(),
        model(
            "LiveRecording",
            "A recording that is in progress",
            vec![
                field(
                    "name",
                    "name",
                    TypeRef::String,
                    true,
                    "Base name for the recording",
                ),
                field(
                    "duration",
                    "duration",
                    TypeRef::Int,
                    false,
                    "Duration in seconds of the recording",
                ),
            ],
        ),
    );
    models.insert(
        "LogChannel".into(),
        model(
            "LogChannel",
            "Details of an Asterisk log channel",
            vec![
                field(
                    "channel",
                    "channel",
                    TypeRef::String,
                    true,
                    "The log channel path",
                ),
                field(
                    "type",
                    "r#type",
                    TypeRef::String,
                    true,
                    "Types of logs for the log channel",
                ),
                field(
                    "status",
                    "status",
                    TypeRef::String,
                    true,
                    "Whether or not a log type is enabled",
                ),
            ],
        ),
    );
    models.insert("RTPstat".into(), {
        let mut m = model(
            "RTPstat",
            "A statistics of a RTP. See <https://example.invalid/rtp> and [RFC 3550] `txcount` *.",
            vec![
                field(
                    "txcount",
                    "txcount",
                    TypeRef::Int,
                    true,
                    "Number of packets transmitted.",
                ),
                field(
                    "local_ssrc",
                    "local_ssrc",
                    TypeRef::Long,
                    true,
                    "Our SSRC. Exceeds i32: http://example.invalid/ssrc.",
                ),
                field(
                    "rxjitter",
                    "rxjitter",
                    TypeRef::Double,
                    false,
                    "Jitter on received packets.",
                ),
            ],
        );
        m.rust_name = "RtpStat".into();
        m.versions = vs(&[NEW]);
        m
    });
    models.insert(
        "ReferTo".into(),
        model(
            "ReferTo",
            "Information about the target of a REFER",
            vec![
                field(
                    "requested_destination",
                    "requested_destination",
                    TypeRef::String,
                    true,
                    "",
                ),
                field(
                    "destination_channel",
                    "destination_channel",
                    model_ref("Channel"),
                    false,
                    "The Channel Object, that is to be replaced",
                ),
                field(
                    "bridge",
                    "bridge",
                    model_ref("Bridge"),
                    false,
                    "Bridge connecting both destination channels",
                ),
            ],
        ),
    );

    let message = model(
        "Message",
        "Base type for errors and events",
        vec![
            field(
                "type",
                "r#type",
                TypeRef::String,
                true,
                "Indicates the type of this message.",
            ),
            field(
                "asterisk_id",
                "asterisk_id",
                TypeRef::String,
                false,
                "The unique ID for the Asterisk instance that raised this event.",
            ),
        ],
    );
    let event = model(
        "Event",
        "Base type for asynchronous events from Asterisk.",
        vec![
            field(
                "application",
                "application",
                TypeRef::String,
                true,
                "Name of the application receiving the event.",
            ),
            field(
                "timestamp",
                "timestamp",
                TypeRef::Date,
                true,
                "Time at which this event was created.",
            ),
        ],
    );
    let missing = model(
        "MissingParams",
        "Error event sent when required params are missing.",
        vec![field(
            "params",
            "params",
            TypeRef::List(Box::new(TypeRef::String)),
            true,
            "A list of the missing parameters",
        )],
    );
    let mut transfer = model(
        "ChannelTransfer",
        "transfer on a channel.",
        vec![
            field(
                "refer_to",
                "refer_to",
                model_ref("ReferTo"),
                true,
                "Refer-To information with optionally both affected channels",
            ),
            field("state", "state", TypeRef::String, false, "Transfer State"),
        ],
    );
    transfer.versions = vs(&[NEW]);
    let events = vec![
        model(
            "ChannelEnteredBridge",
            "Notification that a channel has entered a bridge.",
            vec![
                field("bridge", "bridge", model_ref("Bridge"), true, ""),
                field("channel", "channel", model_ref("Channel"), false, ""),
            ],
        ),
        transfer,
        model(
            "Dial",
            "Dialing state has changed.",
            vec![
                field(
                    "caller",
                    "caller",
                    model_ref("Channel"),
                    false,
                    "The calling channel.",
                ),
                field(
                    "peer",
                    "peer",
                    model_ref("Channel"),
                    true,
                    "The dialed channel.",
                ),
                field(
                    "forwarded",
                    "forwarded",
                    model_ref("Channel"),
                    false,
                    "Channel that the caller has been forwarded to.",
                ),
                field(
                    "dialstatus",
                    "dialstatus",
                    TypeRef::String,
                    true,
                    "Current status of the dialing attempt to the peer.",
                ),
            ],
        ),
        model(
            "PlaybackStarted",
            "Event showing the start of a media playback operation.",
            vec![field(
                "playback",
                "playback",
                model_ref("Playback"),
                true,
                "Playback control object",
            )],
        ),
        model(
            "RecordingFinished",
            "Event showing the completion of a recording operation.",
            vec![field(
                "recording",
                "recording",
                model_ref("LiveRecording"),
                true,
                "Recording control object",
            )],
        ),
        model(
            "StasisStart",
            "Notification that a channel has entered a Stasis application.",
            vec![
                field(
                    "args",
                    "args",
                    TypeRef::List(Box::new(TypeRef::String)),
                    true,
                    "Arguments to the application",
                ),
                field("channel", "channel", model_ref("Channel"), true, ""),
                field(
                    "replace_channel",
                    "replace_channel",
                    model_ref("Channel"),
                    false,
                    "",
                ),
            ],
        ),
    ];

    let mut enums = BTreeMap::new();
    enums.insert(
        "ChannelState".into(),
        Enum {
            rust_name: "ChannelState".into(),
            description: "State of a channel".into(),
            values: vec![
                value("Down", "Down"),
                value("Rsrved", "Rsrved"),
                value("Up", "Up"),
                value("Dialing Offhook", "DialingOffhook"),
                value("Pre-ring", "PreRing"),
                value("Unknown", "Unknown"),
            ],
            used_by: vec!["Channel.state".into()],
            from_prose: false,
        },
    );
    let mut sfu = value("video_sfu", "VideoSfu");
    sfu.versions = vs(&[NEW]);
    enums.insert(
        "BridgeType".into(),
        Enum {
            rust_name: "BridgeType".into(),
            description: "Bridge type: mixing, holding, dtmf_events, proxy_media, video_sfu, …"
                .into(),
            values: vec![
                value("mixing", "Mixing"),
                value("holding", "Holding"),
                value("dtmf_events", "DtmfEvents"),
                sfu,
            ],
            used_by: vec!["Bridge.bridge_type".into(), "create.type".into()],
            from_prose: true,
        },
    );
    enums.insert(
        "PlaybackState".into(),
        Enum {
            rust_name: "PlaybackState".into(),
            description: String::new(),
            values: vec![
                value("queued", "Queued"),
                value("playing", "Playing"),
                value("done", "Done"),
            ],
            used_by: vec!["Playback.state".into()],
            from_prose: false,
        },
    );

    // Each path parameter is a required string parameter (operations need them).
    let op = |nickname: &str, method: HttpMethod, path: &str, response: ResponseType| {
        let path = PathTemplate::parse(path).unwrap();
        let params = path
            .params()
            .map(|p| Param {
                wire_name: p.to_owned(),
                rust_name: "channel_id".into(),
                location: ParamLocation::Path,
                ty: TypeRef::String,
                required: true,
                default: None,
                allow_multiple: false,
                range: None,
                description: "Channel's id".into(),
                versions: all(),
            })
            .collect();
        Operation {
            nickname: nickname.into(),
            rust_name: if nickname == "getVariable" {
                "get_variable".into()
            } else {
                nickname.into()
            },
            method,
            path,
            summary: String::new(),
            notes: None,
            params,
            response,
            errors: Vec::new(),
            is_websocket: false,
            versions: all(),
        }
    };
    let resources = vec![Resource {
        wire_name: "channels".into(),
        rust_name: "channels".into(),
        description: "Channel resources".into(),
        operations: vec![
            op(
                "list",
                HttpMethod::Get,
                "/channels",
                ResponseType::Json(TypeRef::List(Box::new(model_ref("Channel")))),
            ),
            op(
                "get",
                HttpMethod::Get,
                "/channels/{channelId}",
                ResponseType::Json(model_ref("Channel")),
            ),
            op(
                "hangup",
                HttpMethod::Delete,
                "/channels/{channelId}",
                ResponseType::Void,
            ),
            op(
                "getVariable",
                HttpMethod::Get,
                "/channels/{channelId}/variable",
                ResponseType::Json(TypeRef::Object),
            ),
        ],
        versions: all(),
    }];

    Api {
        versions: vec![version(OLD), version(NEW)],
        resources,
        models,
        events: EventTree {
            message,
            event,
            messages: vec![missing],
            events,
        },
        enums,
        conflicts: Vec::new(),
    }
}

#[test]
fn snapshot() {
    let files = generate(&fixture_api()).expect("fixture emits");
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "mod.rs",
            "availability.rs",
            "contract.rs",
            "enums.rs",
            "events.rs",
            "handles.rs",
            "models.rs",
            "operations.rs",
            "responses.rs"
        ]
    );
    for f in &files {
        let expect = match f.path.as_str() {
            "mod.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/mod.rs"],
            "availability.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/availability.rs"],
            "enums.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/enums.rs"],
            "events.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/events.rs"],
            "models.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/models.rs"],
            "responses.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/responses.rs"],
            "contract.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/contract.rs"],
            "handles.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/handles.rs"],
            "operations.rs" => expect_file!["../../ari-sdk/tests/emit_fixture/operations.rs"],
            other => panic!("unexpected file {other}"),
        };
        expect.assert_eq(&f.contents);
    }
}

#[test]
fn deterministic() {
    assert_eq!(generate(&fixture_api()), generate(&fixture_api()));
}

#[test]
fn header_names_command_and_versions() {
    for f in generate(&fixture_api()).unwrap() {
        assert!(
            f.contents.starts_with(
                "// @generated by `cargo xtask codegen` from Asterisk's ARI specs, versions 16.30.1, 22.10.1.\n"
            ),
            "{}",
            f.path
        );
    }
}

#[test]
fn bad_identifiers_are_errors() {
    let mut api = fixture_api();
    api.models.get_mut("Bridge").unwrap().fields[0].rust_name = "type".into();
    assert!(matches!(generate(&api), Err(EmitError::InvalidIdent { name, .. }) if name == "type"));
}

#[test]
fn unknown_references_are_errors() {
    let mut api = fixture_api();
    api.models.get_mut("Bridge").unwrap().fields[0].ty = TypeRef::Model("Nope".into());
    let err = generate(&api).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Bridge.bridge_type refers to unknown model \"Nope\""
    );
}

#[test]
fn enum_value_collisions_are_errors() {
    let mut api = fixture_api();
    api.enums.get_mut("PlaybackState").unwrap().values[1].rust_name = "Queued".into();
    assert!(matches!(generate(&api), Err(EmitError::Collision(_))));
}

#[test]
fn a_value_named_other_moves_the_fallback() {
    let mut api = fixture_api();
    api.enums
        .get_mut("PlaybackState")
        .unwrap()
        .values
        .push(value("other", "Other"));
    let files = generate(&api).unwrap();
    let enums = &files
        .iter()
        .find(|f| f.path == "enums.rs")
        .unwrap()
        .contents;
    assert!(enums.contains("Unlisted(String)"), "{enums}");
}
