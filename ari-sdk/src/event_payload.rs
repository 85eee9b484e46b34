//! The generated [`Event`] on the event stream's decode seam ([`EventPayload`]).

use std::borrow::Cow;

use crate::events::{DecodeError, EventPayload, ObjectRef};
use crate::Event;

impl EventPayload for Event {
    /// Decodes with the fast `type` dispatch of `Event`'s `Deserialize`. On failure the
    /// error names the message's `type` when one can be read.
    fn decode(text: &str) -> Result<Self, DecodeError> {
        serde_json::from_str(text).map_err(|e| match type_of(text) {
            Some(t) => DecodeError::for_type(t, e),
            None => DecodeError::from(e),
        })
    }

    fn type_name(&self) -> &str {
        Event::type_name(self)
    }

    fn for_each_object<'a>(&'a self, visit: &mut dyn FnMut(ObjectRef<'a>)) {
        if let Event::Unknown(unknown) = self {
            // A type this SDK does not know: its raw JSON, by the table's top-level properties.
            let paths = Event::object_paths(&unknown.type_name);
            return crate::events::visit_paths(&unknown.raw, paths, visit);
        }
        // The typed accessors follow the same generated table, over the decoded fields.
        for id in self.channel_ids() {
            visit(ObjectRef::channel(id));
        }
        for id in self.bridge_ids() {
            visit(ObjectRef::bridge(id));
        }
        for id in self.playback_ids() {
            visit(ObjectRef::playback(id));
        }
        for name in self.recording_names() {
            visit(ObjectRef::recording(name));
        }
    }
}

/// The `type` of a message that failed to decode, if it has a readable one
/// (only used on the error path).
fn type_of(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct TypeOnly<'a> {
        #[serde(rename = "type", borrow)]
        type_name: Option<Cow<'a, str>>,
    }
    serde_json::from_str::<TypeOnly<'_>>(text)
        .ok()
        .and_then(|t| t.type_name)
        .map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::ObjectKind;

    #[test]
    fn decode_errors_name_the_type_when_readable() {
        let err = <Event as EventPayload>::decode(r#"{"type":"StasisStart","application":"a"}"#)
            .unwrap_err();
        assert_eq!(err.type_name(), Some("StasisStart"));
        assert!(err.message().contains("missing field"), "{err}");
        let err = <Event as EventPayload>::decode("[1]").unwrap_err();
        assert_eq!(err.type_name(), None);
        let err = <Event as EventPayload>::decode(r#"{"application":"a"}"#).unwrap_err();
        assert_eq!(err.type_name(), None);
        assert!(err.message().contains("missing field `type`"), "{err}");
    }

    #[test]
    fn unknown_types_are_not_errors_and_route_by_top_level_objects() {
        let e = <Event as EventPayload>::decode(
            r#"{"type":"Future","channel":{"id":"x"},"peer":{"id":"y"},"refer_to":{"bridge":{"id":"b"}},"playback":"p"}"#,
        )
        .expect("unknown type decodes");
        assert_eq!(EventPayload::type_name(&e), "Future");
        let mut got = Vec::new();
        e.for_each_object(&mut |o| got.push((o.kind, o.id.to_owned())));
        got.sort();
        assert_eq!(
            got,
            [
                (ObjectKind::Channel, "x".to_owned()),
                (ObjectKind::Channel, "y".to_owned())
            ]
        );
    }

    /// The table reaches nested objects: a transfer's channels and bridges sit in `refer_to` and
    /// `referred_by`, and the typed accessors and the table find the same ones.
    #[test]
    fn nested_objects_are_in_the_table() {
        let paths = Event::object_paths("ChannelTransfer");
        assert!(paths
            .iter()
            .any(|p| p.kind == ObjectKind::Channel && p.path == ["referred_by", "source_channel"]));
        assert!(paths
            .iter()
            .any(|p| p.kind == ObjectKind::Bridge && p.path == ["refer_to", "bridge"]));
        assert!(Event::object_paths("ApplicationReplaced").is_empty());
        assert!(Event::object_paths("StasisEnd")
            .iter()
            .all(|p| p.kind == ObjectKind::Channel));
    }
}
