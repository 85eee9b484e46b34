//! The decode seam between the event-stream runtime and the event type.
//!
//! The runtime (connection, reconnect, fan-out, per-object streams) is generic over any type that implements
//! [`EventPayload`]. The generated `Event` enum implements it; [`RawEvent`] is a `serde_json`-backed implementation
//! that needs no generated code.

use std::fmt;

use serde_json::{Map, Value};

/// The kinds of ARI object a per-object event stream can follow.
///
/// Every kind is identified by one string: `Channel.id`, `Bridge.id`, `Playback.id`, and for recordings
/// `LiveRecording.name` (a live recording has no `id`; its name is its identity in the REST API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A channel (`Channel.id`).
    Channel,
    /// A bridge (`Bridge.id`).
    Bridge,
    /// A playback (`Playback.id`).
    Playback,
    /// A live recording (`LiveRecording.name`).
    Recording,
}

impl ObjectKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ObjectKind; 4] = [
        ObjectKind::Channel,
        ObjectKind::Bridge,
        ObjectKind::Playback,
        ObjectKind::Recording,
    ];

    /// A lowercase name for messages and logs: `channel`, `bridge`, `playback`, `recording`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Channel => "channel",
            ObjectKind::Bridge => "bridge",
            ObjectKind::Playback => "playback",
            ObjectKind::Recording => "recording",
        }
    }

    pub(crate) const fn index(self) -> usize {
        match self {
            ObjectKind::Channel => 0,
            ObjectKind::Bridge => 1,
            ObjectKind::Playback => 2,
            ObjectKind::Recording => 3,
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object an event concerns: its kind and its id, borrowed from the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectRef<'a> {
    /// What kind of object.
    pub kind: ObjectKind,
    /// Its id (for recordings, the recording's name).
    pub id: &'a str,
}

impl<'a> ObjectRef<'a> {
    /// A reference to any kind of object.
    pub const fn new(kind: ObjectKind, id: &'a str) -> Self {
        ObjectRef { kind, id }
    }
    /// A channel, by `Channel.id`.
    pub const fn channel(id: &'a str) -> Self {
        ObjectRef::new(ObjectKind::Channel, id)
    }
    /// A bridge, by `Bridge.id`.
    pub const fn bridge(id: &'a str) -> Self {
        ObjectRef::new(ObjectKind::Bridge, id)
    }
    /// A playback, by `Playback.id`.
    pub const fn playback(id: &'a str) -> Self {
        ObjectRef::new(ObjectKind::Playback, id)
    }
    /// A live recording, by `LiveRecording.name`.
    pub const fn recording(name: &'a str) -> Self {
        ObjectRef::new(ObjectKind::Recording, name)
    }
}

/// A message from the server could not be decoded as an event.
///
/// Decoding failures never end a stream: the runtime reports them as a (non-terminal) error item, with the raw
/// text, and goes on with the next message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    type_name: Option<String>,
    message: String,
}

impl DecodeError {
    /// An error with a message (for example "missing field `type`").
    pub fn new(message: impl fmt::Display) -> Self {
        DecodeError {
            type_name: None,
            message: message.to_string(),
        }
    }

    /// An error while decoding a message whose `type` was read (for example a known event with a wrong shape).
    pub fn for_type(type_name: impl Into<String>, message: impl fmt::Display) -> Self {
        DecodeError {
            type_name: Some(type_name.into()),
            message: message.to_string(),
        }
    }

    /// The message's `type`, when it could be read.
    pub fn type_name(&self) -> Option<&str> {
        self.type_name.as_deref()
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.type_name {
            Some(t) => write!(f, "cannot decode `{t}` event: {}", self.message),
            None => write!(f, "cannot decode event: {}", self.message),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        DecodeError::new(e)
    }
}

/// What the event-stream runtime needs from an event type. **The generated `Event` enum implements this.**
///
/// # Contract for the implementation (notes for the code generator)
///
/// * [`decode`](EventPayload::decode) turns one WebSocket text message (one JSON object) into a value. It must
///   never panic. An unknown `type` is *not* an error: it decodes to the fallback variant that keeps the type name
///   and the raw JSON. Only malformed JSON, a missing/non-string `type`, or a known type with the wrong shape are
///   errors. The runtime calls it exactly once per message, on the connection task, so it should be fast.
/// * [`type_name`](EventPayload::type_name) is the wire `type` (`"StasisStart"`, or the unknown name kept by the
///   fallback).
/// * [`for_each_object`](EventPayload::for_each_object) calls `visit` once for every channel, bridge, playback and
///   live recording **embedded in the event as an object** (a property whose type is `Channel`, `Bridge`,
///   `Playback` or `LiveRecording`, at the top level or nested in another model such as a transfer's
///   `refer_to`), with that object's `id` (`name` for `LiveRecording`). Optional properties are visited only when
///   present. Order does not matter; repeating an id is harmless. Ids that only appear inside strings
///   (`Playback.target_uri = "channel:…"`) or as other types (`Channel.caller` is a `CallerID`, not a channel)
///   are *not* visited: per-object streams are exact. Where those objects are, per event type, is one table the
///   generator emits from the specs, [`Event::object_paths`](crate::Event::object_paths) (walk a JSON message
///   by it with [`RawEvent`]); the generated `Event` and [`RawEvent`] both route by it. For a type the SDK does
///   not know, the table lists every top-level property that holds such an object in some known type.
/// * [`ends_object`](EventPayload::ends_object) says whether this event ends the life of one of the objects it
///   visited, which closes that object's per-object streams right after delivering the event. The default
///   ([`ends_by_default`]) is right for every current Asterisk event, so the generator need not override it.
///
/// The type must be `Clone` (a value is cloned once per extra subscriber that receives it) and `Send + Sync`
/// (it is shared between the connection task and subscribers behind an `Arc`).
///
/// ```
/// use ari_sdk::events::{DecodeError, EventPayload, ObjectRef};
///
/// #[derive(Clone, Debug)]
/// enum MyEvent {
///     StasisEnd { channel_id: String },
///     Unknown { type_name: String },
/// }
///
/// impl EventPayload for MyEvent {
///     fn decode(text: &str) -> Result<Self, DecodeError> {
///         let v: serde_json::Value = serde_json::from_str(text)?;
///         let t = v["type"].as_str().ok_or_else(|| DecodeError::new("missing field `type`"))?;
///         Ok(match t {
///             "StasisEnd" => MyEvent::StasisEnd {
///                 channel_id: v["channel"]["id"]
///                     .as_str()
///                     .ok_or_else(|| DecodeError::for_type(t, "missing field `channel`"))?
///                     .to_owned(),
///             },
///             other => MyEvent::Unknown { type_name: other.to_owned() },
///         })
///     }
///     fn type_name(&self) -> &str {
///         match self {
///             MyEvent::StasisEnd { .. } => "StasisEnd",
///             MyEvent::Unknown { type_name } => type_name,
///         }
///     }
///     fn for_each_object<'a>(&'a self, visit: &mut dyn FnMut(ObjectRef<'a>)) {
///         if let MyEvent::StasisEnd { channel_id } = self {
///             visit(ObjectRef::channel(channel_id));
///         }
///     }
/// }
/// ```
pub trait EventPayload: Clone + Send + Sync + 'static {
    /// Decodes one text message from the events WebSocket.
    fn decode(text: &str) -> Result<Self, DecodeError>;

    /// The event's wire `type`.
    fn type_name(&self) -> &str;

    /// Calls `visit` for every channel, bridge, playback and live recording the event carries (see the trait docs).
    fn for_each_object<'a>(&'a self, visit: &mut dyn FnMut(ObjectRef<'a>));

    /// Whether this event ends the life of `object` (one of the objects it visited). Defaults to
    /// [`ends_by_default`]`(self.type_name(), object.kind)`.
    fn ends_object(&self, object: ObjectRef<'_>) -> bool {
        ends_by_default(self.type_name(), object.kind)
    }
}

/// The events after which an object of `kind` is gone for a Stasis application:
///
/// | kind | ending events |
/// |---|---|
/// | channel | `StasisEnd`, `ChannelDestroyed` |
/// | bridge | `BridgeDestroyed` |
/// | playback | `PlaybackFinished` |
/// | recording | `RecordingFinished`, `RecordingFailed` |
///
/// Each of these events carries exactly one object of that kind, so "the object of this kind in the event" is
/// unambiguous.
pub fn ends_by_default(type_name: &str, kind: ObjectKind) -> bool {
    match kind {
        ObjectKind::Channel => matches!(type_name, "StasisEnd" | "ChannelDestroyed"),
        ObjectKind::Bridge => type_name == "BridgeDestroyed",
        ObjectKind::Playback => type_name == "PlaybackFinished",
        ObjectKind::Recording => matches!(type_name, "RecordingFinished" | "RecordingFailed"),
    }
}

/// Where one kind of object sits in a message: a row of the object table the generator emits from the specs
/// ([`Event::object_paths`](crate::Event::object_paths)), which the typed and the untyped event both route by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectPath {
    /// The kind of object found there.
    pub kind: ObjectKind,
    /// The property names from the message down to the object, e.g. `["channel"]` or
    /// `["refer_to", "destination_channel"]`; an array on the way is looked through.
    pub path: &'static [&'static str],
    /// The object's identifying property: `id`, or `name` for a live recording.
    pub key: &'static str,
}

/// Calls `visit` for every object found in `json` at one of `paths` (objects whose path or key is missing or
/// of another JSON type are skipped).
pub(crate) fn visit_paths<'a>(
    json: &'a Map<String, Value>,
    paths: &[ObjectPath],
    visit: &mut dyn FnMut(ObjectRef<'a>),
) {
    fn walk<'a>(
        value: &'a Value,
        rest: &[&str],
        path: &ObjectPath,
        visit: &mut dyn FnMut(ObjectRef<'a>),
    ) {
        match value {
            Value::Array(items) => {
                for item in items {
                    walk(item, rest, path, visit);
                }
            }
            Value::Object(map) => match rest.split_first() {
                Some((step, rest)) => {
                    if let Some(inner) = map.get(*step) {
                        walk(inner, rest, path, visit);
                    }
                }
                None => {
                    if let Some(Value::String(id)) = map.get(path.key) {
                        visit(ObjectRef::new(path.kind, id));
                    }
                }
            },
            _ => {}
        }
    }
    for path in paths {
        if let Some((first, rest)) = path.path.split_first() {
            if let Some(value) = json.get(*first) {
                walk(value, rest, path, visit);
            }
        }
    }
}

/// A message's JSON where a repeated top-level `type` keeps its first value (as the typed `Event` reads it);
/// every other repeated key keeps its last, as `serde_json` does.
struct FirstType(Value);

impl<'de> serde::Deserialize<'de> for FirstType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> serde::de::Visitor<'de> for Top {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Value, A::Error> {
                let mut json = Map::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    if key != "type" || !json.contains_key("type") {
                        json.insert(key, value);
                    }
                }
                Ok(Value::Object(json))
            }
            // Anything but an object decodes as itself, to be refused with a clear message.
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Value::Array(Vec::new()))
            }
        }
        deserializer.deserialize_any(Top).map(FirstType)
    }
}

/// An untyped event: the message's JSON object and its `type`.
///
/// Useful before (or instead of) the typed `Event`: every message with a string `type` decodes. Objects are found by
/// the generated object table ([`Event::object_paths`](crate::Event::object_paths)), the same the typed `Event`
/// routes by, so both send a message to the same per-object streams.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    type_name: String,
    json: Map<String, Value>,
}

impl RawEvent {
    /// The message's `type`.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The whole JSON object.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }

    /// One top-level property.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.json.get(key)
    }

    /// The JSON object, by value.
    pub fn into_json(self) -> Map<String, Value> {
        self.json
    }
}

impl EventPayload for RawEvent {
    fn decode(text: &str) -> Result<Self, DecodeError> {
        let FirstType(value) = serde_json::from_str(text)?;
        let Value::Object(json) = value else {
            return Err(DecodeError::new("the message is not a JSON object"));
        };
        let type_name = match json.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(_) => return Err(DecodeError::new("field `type` is not a string")),
            None => return Err(DecodeError::new("missing field `type`")),
        };
        Ok(RawEvent { type_name, json })
    }

    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn for_each_object<'a>(&'a self, visit: &mut dyn FnMut(ObjectRef<'a>)) {
        visit_paths(
            &self.json,
            crate::Event::object_paths(&self.type_name),
            visit,
        );
    }
}

/// The events of a call flow recorded from Asterisk 22.10.1 (`../shared/fixtures`), one JSON text a line.
#[cfg(test)]
pub(crate) fn recorded_events() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/asterisk-22.10.1/events.jsonl"
    );
    std::fs::read_to_string(path).expect("shared fixtures beside the repository")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(e: &RawEvent) -> Vec<(ObjectKind, String)> {
        let mut v = Vec::new();
        e.for_each_object(&mut |r| v.push((r.kind, r.id.to_owned())));
        v
    }

    #[test]
    fn raw_event_decodes_and_finds_objects() {
        let e = RawEvent::decode(
            r#"{"type":"ChannelEnteredBridge","bridge":{"id":"b1"},"channel":{"id":"c1","caller":{"name":"x"}}}"#,
        )
        .unwrap();
        assert_eq!(e.type_name(), "ChannelEnteredBridge");
        assert_eq!(
            objects(&e),
            vec![
                (ObjectKind::Channel, "c1".to_owned()),
                (ObjectKind::Bridge, "b1".to_owned())
            ]
        );
        let r =
            RawEvent::decode(r#"{"type":"RecordingFinished","recording":{"name":"r1"}}"#).unwrap();
        assert_eq!(objects(&r), vec![(ObjectKind::Recording, "r1".to_owned())]);
        assert!(r.ends_object(ObjectRef::recording("r1")));
    }

    #[test]
    fn raw_event_rejects_bad_input_without_panicking() {
        for bad in [
            "",
            "null",
            "[]",
            "{}",
            r#"{"type":5}"#,
            "{\"type\":\"X\"",
            "\u{0}",
        ] {
            assert!(RawEvent::decode(bad).is_err(), "{bad:?}");
        }
        // wrong shapes inside are ignored, not errors
        let e = RawEvent::decode(r#"{"type":"StasisEnd","channel":"oops"}"#).unwrap();
        assert!(objects(&e).is_empty());
    }

    #[test]
    fn a_repeated_type_keeps_its_first_value_as_in_the_typed_event() {
        let text = r#"{"type":"ChannelVarset","variable":"V","value":"1","application":"a","timestamp":"2026-11-26T05:05:59.070+0000","type":"ChannelDestroyed"}"#;
        let raw = RawEvent::decode(text).unwrap();
        assert_eq!(raw.type_name(), "ChannelVarset");
        assert_eq!(raw.get("type"), Some(&Value::from("ChannelVarset")));
        let typed = <crate::Event as EventPayload>::decode(text).unwrap();
        assert_eq!(typed.type_name(), "ChannelVarset");
        let unknown = r#"{"type":"Future","type":"Other","x":1}"#;
        let typed = <crate::Event as EventPayload>::decode(unknown).unwrap();
        assert_eq!(typed.type_name(), "Future");
        assert_eq!(serde_json::to_value(&typed).unwrap()["type"], "Future");
        assert_eq!(RawEvent::decode(unknown).unwrap().type_name(), "Future");
    }

    #[test]
    fn default_ends_table() {
        use ObjectKind::*;
        assert!(ends_by_default("StasisEnd", Channel));
        assert!(ends_by_default("ChannelDestroyed", Channel));
        assert!(!ends_by_default("ChannelHangupRequest", Channel));
        assert!(!ends_by_default("StasisEnd", Bridge));
        assert!(ends_by_default("BridgeDestroyed", Bridge));
        assert!(ends_by_default("PlaybackFinished", Playback));
        assert!(!ends_by_default("PlaybackContinuing", Playback));
        assert!(ends_by_default("RecordingFinished", Recording));
        assert!(ends_by_default("RecordingFailed", Recording));
        assert!(!ends_by_default("RecordingStarted", Recording));
    }

    #[test]
    fn every_fixture_line_decodes_as_raw_event() {
        let text = recorded_events();
        let mut n = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let e = RawEvent::decode(line).unwrap();
            n += 1;
            let found = objects(&e);
            for (field, key, kind) in [
                ("channel", "id", ObjectKind::Channel),
                ("peer", "id", ObjectKind::Channel),
                ("bridge", "id", ObjectKind::Bridge),
                ("playback", "id", ObjectKind::Playback),
                ("recording", "name", ObjectKind::Recording),
            ] {
                if let Some(id) = e
                    .get(field)
                    .and_then(|o| o.get(key))
                    .and_then(Value::as_str)
                {
                    assert!(found.contains(&(kind, id.to_owned())), "{line}");
                }
            }
        }
        assert_eq!(n, 271);
    }
}
