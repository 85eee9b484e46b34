//! Forward compatibility and robustness of the generated types, on the real
//! models and events: unknown event types, unknown enum values, unknown
//! fields, missing optional fields, Asterisk's timestamp shapes, malformed input.

use ari_sdk::enums::{ChannelState, PlaybackState};
use ari_sdk::event_types::ChannelStateChange;
use ari_sdk::models::{Channel, Playback};
use ari_sdk::Event;
use serde_json::{json, Value};

/// A channel as Asterisk 22.10.1 sends it (no caller_rdnis, channelvars, tenantid).
fn channel(state: &str) -> Value {
    json!({
        "id": "chan-a", "name": "Local/wait@default-00000008;1", "state": state,
        "protocol_id": "", "caller": {"name": "", "number": ""},
        "connected": {"name": "", "number": ""}, "accountcode": "",
        "dialplan": {"context": "default", "exten": "wait", "priority": 1,
                     "app_name": "", "app_data": ""},
        "creationtime": "2026-11-26T05:06:00.284+0000", "language": "en"
    })
}

fn state_change(state: &str, timestamp: &str) -> Value {
    json!({"type": "ChannelStateChange", "timestamp": timestamp, "channel": channel(state),
           "asterisk_id": "02:fc:00:00:00:01", "application": "probe-app"})
}

#[test]
fn unknown_event_type_keeps_the_raw_json() {
    let msg = json!({"type": "ChannelTeleported", "application": "app",
                     "timestamp": "2026-11-26T05:06:00.285+0000", "channel": channel("Up"),
                     "destination": {"planet": "Mars"}});
    let event: Event = serde_json::from_str(&msg.to_string()).unwrap();
    let Event::Unknown(unknown) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(unknown.type_name, "ChannelTeleported");
    assert_eq!(Value::Object(unknown.raw.clone()), msg);
    assert_eq!(event.type_name(), "ChannelTeleported");
    assert_eq!(event.application(), Some("app"));
    assert_eq!(serde_json::to_value(&event).unwrap(), msg);
}

#[test]
fn unknown_enum_values_keep_their_string() {
    for state in ["Rsrvd", "Unknown (7)", "Mute", "Up", "SomethingNew"] {
        let ch: Channel = serde_json::from_value(channel(state)).unwrap();
        assert_eq!(ch.state.as_str(), state);
        assert_eq!(ch.state.to_string(), state);
        assert_eq!(serde_json::to_value(&ch).unwrap(), channel(state));
    }
    let ch: Channel = serde_json::from_value(channel("Unknown (7)")).unwrap();
    assert_eq!(ch.state, ChannelState::Other("Unknown (7)".into()));
    let ch: Channel = serde_json::from_value(channel("Up")).unwrap();
    assert_eq!(ch.state, ChannelState::Up);

    let pb: Playback = serde_json::from_value(json!({
        "id": "pb-1", "media_uri": "sound:hello-world", "target_uri": "channel:chan-a",
        "language": "en", "state": "paused"
    }))
    .unwrap();
    assert_eq!(pb.state.as_str(), "paused");
    assert_eq!(
        "playing".parse::<PlaybackState>(),
        Ok(PlaybackState::Playing)
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let mut ch = channel("Up");
    ch["hologram"] = json!({"enabled": true, "layers": [1, 2, 3]});
    let decoded: Channel = serde_json::from_value(ch).unwrap();
    assert_eq!(decoded.id, "chan-a");
    let mut msg = state_change("Up", "2026-11-26T05:06:00.285+0000");
    msg["new_top_level"] = json!(42);
    assert!(matches!(
        serde_json::from_value::<Event>(msg).unwrap(),
        Event::ChannelStateChange(_)
    ));
}

#[test]
fn optional_fields_may_be_missing_and_stay_missing() {
    let decoded: Channel = serde_json::from_value(channel("Up")).unwrap();
    assert_eq!(decoded.caller_rdnis, None);
    assert_eq!(decoded.channelvars, None);
    assert_eq!(decoded.tenantid, None);
    assert_eq!(serde_json::to_value(&decoded).unwrap(), channel("Up"));

    let mut with = channel("Up");
    with["channelvars"] = json!({"FOO": "bar"});
    with["tenantid"] = json!("t1");
    let decoded: Channel = serde_json::from_value(with.clone()).unwrap();
    assert_eq!(decoded.channelvars, Some(json!({"FOO": "bar"})));
    assert_eq!(decoded.tenantid.as_deref(), Some("t1"));
    assert_eq!(serde_json::to_value(&decoded).unwrap(), with);

    // `asterisk_id` is optional on every message.
    let mut msg = state_change("Up", "2026-11-26T05:06:00.285+0000");
    msg.as_object_mut().unwrap().remove("asterisk_id");
    let event: Event = serde_json::from_value(msg).unwrap();
    assert_eq!(event.asterisk_id(), None);
}

#[test]
fn asterisk_timestamps() {
    for (wire, written, unix) in [
        (
            "2026-11-26T05:06:00.285+0000",
            "2026-11-26T05:06:00.285+0000",
            1_795_669_560,
        ),
        (
            "2026-11-26T05:06:00+0000",
            "2026-11-26T05:06:00.000+0000",
            1_795_669_560,
        ),
        (
            "2026-11-26T00:06:00.285-0500",
            "2026-11-26T00:06:00.285-0500",
            1_795_669_560,
        ),
        (
            "2026-11-26T01:36:00-0330",
            "2026-11-26T01:36:00.000-0330",
            1_795_669_560,
        ),
    ] {
        let event: Event = serde_json::from_value(state_change("Up", wire)).unwrap();
        let t = event.timestamp().expect("events carry a timestamp");
        assert_eq!(t.as_offset_date_time().unix_timestamp(), unix, "{wire}");
        assert_eq!(t.to_string(), written);
        let Event::ChannelStateChange(ChannelStateChange { timestamp, .. }) = &event else {
            panic!()
        };
        assert_eq!(timestamp, t);
    }
    let bad = state_change("Up", "26/11/2026 05:06");
    let err = serde_json::from_value::<Event>(bad).unwrap_err();
    assert!(err.to_string().contains("invalid timestamp"), "{err}");
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let cases = [
        "",
        "   ",
        "null",
        "true",
        "[]",
        "[1, 2]",
        "\"ChannelStateChange\"",
        "{",
        "{}",
        "{\"type\": 1}",
        "{\"type\": [\"StasisStart\"]}",
        "{\"application\": \"a\", \"timestamp\": \"2026-11-26T05:06:00.285+0000\"}",
        "{\"type\": \"ChannelStateChange\"}",
        "{\"type\": \"ChannelStateChange\", \"channel\": 5}",
        "{\"type\": \"StasisStart\", \"application\": \"a\", \"timestamp\": \"2026-11-26T05:06:00.285+0000\", \"args\": {}, \"channel\": {}}",
        "{\"a\": {\"b\": [1, 2}, \"type\": \"Dial\"}",
        "{\"type\": \"Nope\", \"x\": ",
        "{\"type\": \"ChannelStateChange\"}}",
        "\u{0}",
    ];
    for text in cases {
        assert!(serde_json::from_str::<Event>(text).is_err(), "{text:?}");
        assert!(
            serde_json::from_slice::<Event>(text.as_bytes()).is_err(),
            "{text:?}"
        );
    }
    // Deep nesting is refused by serde_json's recursion limit, not a stack overflow.
    let deep = format!(
        "{{\"type\": \"Nope\", \"x\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(serde_json::from_str::<Event>(&deep).is_err());
    // Invalid UTF-8.
    assert!(serde_json::from_slice::<Event>(b"{\"type\": \"\xff\"}").is_err());
}

#[test]
fn every_event_type_is_listed_once() {
    let mut names = Event::TYPE_NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Event::TYPE_NAMES.len());
    for t in [
        "StasisStart",
        "MissingParams",
        "RESTResponse",
        "ChannelTransfer",
        "CallBroadcast",
    ] {
        assert!(Event::TYPE_NAMES.contains(&t), "{t}");
    }
}

#[test]
fn messages_outside_the_event_hierarchy() {
    let rest = json!({"type": "RESTResponse", "transaction_id": "t", "request_id": "r",
        "status_code": 204, "reason_phrase": "No Content", "uri": "channels/x/answer",
        "timestamp": "2026-11-26T05:06:00.285+0000", "asterisk_id": "02:fc:00:00:00:01",
        "application": "probe-app"});
    let event: Event = serde_json::from_value(rest.clone()).unwrap();
    assert!(matches!(&event, Event::RestResponse(r) if r.status_code == 204));
    assert_eq!(serde_json::to_value(&event).unwrap(), rest);

    let missing = json!({"type": "MissingParams", "params": ["app"]});
    let event: Event = serde_json::from_value(missing.clone()).unwrap();
    assert!(matches!(&event, Event::MissingParams(m) if m.params == ["app"]));
    assert_eq!(event.application(), None);
    assert_eq!(serde_json::to_value(&event).unwrap(), missing);
}
