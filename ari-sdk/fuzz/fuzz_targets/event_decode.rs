//! Any bytes as one event message: neither decoder panics; where the typed `Event` decodes, the untyped
//! `RawEvent` decodes to the same type and objects, and decode → encode → decode is stable.
#![no_main]

use ari_sdk::events::{EventPayload, RawEvent};
use ari_sdk::Event;
use corpus::objects;
use libfuzzer_sys::fuzz_target;

/// The test suite's corpus helpers (only `objects` is used here).
#[path = "../../tests/corpus/mod.rs"]
mod corpus;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let raw = RawEvent::decode(text);
    let Ok(typed) = <Event as EventPayload>::decode(text) else {
        return;
    };
    let raw = raw.expect("the typed event decodes, so the raw one does");
    assert_eq!(EventPayload::type_name(&typed), raw.type_name());
    assert_eq!(objects(&typed), objects(&raw));
    let encoded = serde_json::to_string(&typed).expect("an event encodes");
    let again = <Event as EventPayload>::decode(&encoded).expect("an encoded event decodes");
    assert_eq!(again, typed);
});
