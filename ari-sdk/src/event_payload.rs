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
    fn unknown_types_are_not_errors_and_visit_nothing() {
        let e = <Event as EventPayload>::decode(r#"{"type":"Future","channel":{"id":"x"}}"#)
            .expect("unknown type decodes");
        assert_eq!(EventPayload::type_name(&e), "Future");
        let mut n = 0;
        e.for_each_object(&mut |_| n += 1);
        assert_eq!(n, 0);
    }

    /// The seam's contract lists, per kind, the property names whose objects are
    /// visited; check every event of the recorded corpus against it.
    #[test]
    fn visits_what_the_contract_lists_on_the_corpus() {
        use crate::events::payload::{BRIDGE_FIELDS as BRIDGE, CHANNEL_FIELDS as CHANNEL};
        let text = crate::events::payload::recorded_events();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            let mut want: Vec<(ObjectKind, String)> = Vec::new();
            let mut add = |kind, keys: &[&str], id: &str| {
                for k in keys {
                    if let Some(s) = v.get(*k).and_then(|o| o.get(id)).and_then(|s| s.as_str()) {
                        want.push((kind, s.to_owned()));
                    }
                }
            };
            add(ObjectKind::Channel, CHANNEL, "id");
            add(ObjectKind::Bridge, BRIDGE, "id");
            add(ObjectKind::Playback, &["playback"], "id");
            add(ObjectKind::Recording, &["recording"], "name");
            let event = <Event as EventPayload>::decode(line).expect("decodes");
            let mut got: Vec<(ObjectKind, String)> = Vec::new();
            event.for_each_object(&mut |o| got.push((o.kind, o.id.to_owned())));
            want.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
            got.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
            assert_eq!(got, want, "{line}");
        }
    }
}
