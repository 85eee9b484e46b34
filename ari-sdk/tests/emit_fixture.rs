//! Compiles the emitter's snapshot of a small fixture API (spec files run through the whole
//! pipeline by `ari-codegen/tests/emit_snapshot.rs`) and checks the behaviour of every
//! emitter path on it, independent of what the real specs contain.

// The generated code refers to `crate::Timestamp`, `crate::__private`, `crate::Client`, ….
include!("support/generated_env.rs");

#[path = "emit_fixture/mod.rs"]
#[rustfmt::skip]
pub mod generated;

use generated::enums::{BridgeType, ChannelState, PlaybackState};
use generated::events::Event;
use generated::models::Channel;
use serde_json::{json, Value};

fn channel_json(id: &str) -> Value {
    json!({
        "id": id, "name": "PJSIP/a-1", "state": "Up",
        "caller": {"name": "", "number": "100"},
        "creationtime": "2026-11-26T05:06:00.284+0000"
    })
}

fn decode(v: &Value) -> Event {
    serde_json::from_str(&v.to_string()).expect("decodes")
}

#[test]
fn typed_decode_and_round_trip() {
    let msg = json!({
        "type": "Dial", "application": "app", "timestamp": "2026-11-26T05:06:00.285+0000",
        "asterisk_id": "02:fc", "dialstatus": "RINGING",
        "caller": channel_json("a"), "peer": channel_json("b")
    });
    let event = decode(&msg);
    let Event::Dial(dial) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(dial.peer.id, "b");
    assert_eq!(dial.peer.state, ChannelState::Up);
    assert_eq!(event.type_name(), "Dial");
    assert_eq!(event.application(), Some("app"));
    assert_eq!(event.asterisk_id(), Some("02:fc"));
    assert_eq!(
        event.timestamp().map(ToString::to_string).as_deref(),
        Some("2026-11-26T05:06:00.285+0000")
    );
    assert_eq!(event.channel_ids(), ["a", "b"]);
    assert!(event.bridge_ids().is_empty());
    assert_eq!(serde_json::to_value(&event).unwrap(), msg);
}

#[test]
fn type_anywhere_in_the_object() {
    // Asterisk sends some events (ChannelVarset) with keys before `type`.
    let msg = json!({
        "application": "app", "timestamp": "2026-11-26T05:06:00.285+0000",
        "args": ["x", "y"], "type": "StasisStart", "channel": channel_json("c")
    });
    let text = msg.to_string();
    assert!(text.find("\"type\"") > text.find("\"args\""), "{text}");
    let event: Event = serde_json::from_str(&text).unwrap();
    let Event::StasisStart(start) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(start.args, ["x", "y"]);
    assert_eq!(start.application, "app");
    assert_eq!(serde_json::to_value(&event).unwrap(), msg);
    // From a non-borrowing source too.
    let from_reader: Event = serde_json::from_reader(text.as_bytes()).unwrap();
    assert_eq!(from_reader, event);
    // And from an already-parsed value.
    assert_eq!(serde_json::from_value::<Event>(msg).unwrap(), event);
}

#[test]
fn nested_ids_and_versioned_events() {
    let msg = json!({
        "type": "ChannelTransfer", "application": "app", "timestamp": "2026-11-26T05:06:00.285+0000",
        "refer_to": {"requested_destination": "200", "destination_channel": channel_json("t"),
                     "bridge": {"id": "br", "bridge_type": "mixing", "channels": []}}
    });
    let event = decode(&msg);
    assert_eq!(event.channel_ids(), ["t"]);
    assert_eq!(event.bridge_ids(), ["br"]);
    assert_eq!(serde_json::to_value(&event).unwrap(), msg);

    let rec = decode(&json!({"type": "RecordingFinished", "application": "a",
        "timestamp": "2026-11-26T05:06:00+0000", "recording": {"name": "r1"}}));
    assert_eq!(rec.recording_names(), ["r1"]);
    let pb = decode(&json!({"type": "PlaybackStarted", "application": "a",
        "timestamp": "2026-11-26T05:06:00.1-0330",
        "playback": {"id": "p1", "state": "paused", "target_uri": "channel:x"}}));
    assert_eq!(pb.playback_ids(), ["p1"]);
    let Event::PlaybackStarted(p) = &pb else {
        panic!()
    };
    assert_eq!(p.playback.state, PlaybackState::from("paused"));
    assert_eq!(p.playback.state.as_str(), "paused");
    assert_eq!(
        pb.timestamp()
            .unwrap()
            .as_offset_date_time()
            .offset()
            .as_hms(),
        (-3, -30, 0)
    );
}

#[test]
fn messages_that_are_not_events() {
    let msg = json!({"type": "MissingParams", "params": ["app"]});
    let event = decode(&msg);
    assert!(matches!(&event, Event::MissingParams(m) if m.params == ["app"]));
    assert_eq!(event.application(), None);
    assert_eq!(event.timestamp(), None);
    assert_eq!(serde_json::to_value(&event).unwrap(), msg);
}

#[test]
fn unknown_type_keeps_raw_json() {
    let msg = json!({"a": 1, "type": "FutureThing", "application": "app", "nested": {"x": [1, 2]}});
    let event = decode(&msg);
    let Event::Unknown(u) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(u.type_name, "FutureThing");
    assert_eq!(Value::Object(u.raw.clone()), msg);
    // Order of keys is kept as received.
    assert_eq!(
        u.raw.keys().collect::<Vec<_>>(),
        ["a", "type", "application", "nested"]
    );
    assert_eq!(event.type_name(), "FutureThing");
    assert_eq!(event.application(), Some("app"));
    assert!(event.channel_ids().is_empty());
    assert_eq!(serde_json::to_value(&event).unwrap(), msg);
}

#[test]
fn unknown_fields_are_ignored_and_optional_fields_may_be_missing() {
    let mut ch = channel_json("x");
    ch["brand_new_field"] = json!({"deep": [1]});
    let channel: Channel = serde_json::from_value(ch).unwrap();
    assert_eq!(channel.channelvars, None);
    assert_eq!(channel.caller_rdnis, None);
    // Required in the spec but only in the newer version: optional.
    assert_eq!(channel.tenantid, None);
    let back = serde_json::to_value(&channel).unwrap();
    assert_eq!(back, channel_json("x"));
}

#[test]
fn missing_required_field_is_an_error() {
    let mut ch = channel_json("x");
    ch.as_object_mut().unwrap().remove("name");
    let err = serde_json::from_value::<Channel>(ch).unwrap_err();
    assert!(err.to_string().contains("missing field `name`"), "{err}");
    // Defaulted lists may be missing.
    let start = decode(&json!({"type": "StasisStart", "application": "a",
        "timestamp": "2026-11-26T05:06:00.285+0000", "channel": channel_json("c")}));
    assert!(matches!(start, Event::StasisStart(s) if s.args.is_empty()));
}

#[test]
fn open_enums() {
    for (wire, known) in [
        ("Up", true),
        // The spec's `Rsrved` is repaired by a fixup to what the server sends.
        ("Rsrvd", true),
        ("Rsrved", false),
        ("Unknown", true),
        ("Unknown (7)", false),
        ("Dialing Offhook", true),
    ] {
        let state: ChannelState = wire.parse().unwrap();
        assert_eq!(state.as_str(), wire);
        assert_eq!(state.to_string(), wire);
        assert_eq!(matches!(state, ChannelState::Other(_)), !known, "{wire}");
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json, json!(wire));
        assert_eq!(serde_json::from_value::<ChannelState>(json).unwrap(), state);
    }
    assert_eq!(
        ChannelState::from("Dialing Offhook"),
        ChannelState::DialingOffhook
    );
    assert_eq!(
        ChannelState::from(String::from("Pre-ring")),
        ChannelState::PreRing
    );
    assert_eq!(ChannelState::KNOWN.len(), 7);
    assert_eq!(BridgeType::from("video_sfu"), BridgeType::VideoSfu);
    assert!(serde_json::from_str::<ChannelState>("7").is_err());
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    for text in [
        "",
        "null",
        "[]",
        "\"StasisStart\"",
        "42",
        "{",
        "{}",
        r#"{"application": "a"}"#,
        r#"{"type": 7}"#,
        r#"{"type": null}"#,
        r#"{"type": "Dial"}"#,
        r#"{"type": "Dial", "application": 1}"#,
        r#"{"type": "StasisStart", "application": "a", "timestamp": "yesterday", "channel": {}}"#,
        r#"{"x": [1, 2, {"y": }], "type": "Dial"}"#,
        r#"{"type": "Unheard", "a": }"#,
        r#"[{"type": "Dial"}]"#,
    ] {
        assert!(serde_json::from_str::<Event>(text).is_err(), "{text}");
    }
    let err = serde_json::from_str::<Event>("{\"application\":\"a\"}").unwrap_err();
    assert!(err.to_string().contains("missing field `type`"), "{err}");
    let err = serde_json::from_str::<Event>("[]").unwrap_err();
    assert!(err.to_string().contains("an ARI message"), "{err}");
}

#[test]
fn response_table_covers_json_operations() {
    let table = generated::responses::RESPONSE_TYPES;
    let ops: Vec<_> = table
        .iter()
        .map(|r| (r.method, r.path, r.operation))
        .collect();
    assert_eq!(
        ops,
        [
            ("POST", "/bridges", "create"),
            ("GET", "/channels", "list"),
            ("GET", "/channels/{channelId}", "get"),
            ("GET", "/channels/{channelId}/variable", "getVariable")
        ]
    );
    assert_eq!(table[1].type_name, "Vec<super::models::Channel>");
    let body = json!([channel_json("a")]).to_string();
    assert_eq!(
        (table[1].decode)(&body).unwrap(),
        json!([channel_json("a")])
    );
    assert!((table[2].decode)(&body).is_err());
}
