//! The events a real SIP call flow made Asterisk send (recorded by the live suite's `sip.rs`
//! with `ARI_RECORD_SIP_EVENTS`, one file per Asterisk version under `tests/fixtures/`, 22.10.1
//! and 16.28.0): each line decodes to its typed variant, never the fallback, and serialises
//! back to the same JSON.

use ari_sdk::Event;
use serde_json::Value;

/// The event types only a SIP endpoint produces; every corpus must hold each of them.
const SIP_TYPES: &[&str] = &[
    "ContactStatusChange",
    "PeerStatusChange",
    "EndpointStateChange",
    "TextMessageReceived",
];

/// Asterisk 20 and later also report a REFER on a leg with ARI transfer handling.
const SIP_TYPES_20: &[&str] = &["ChannelTransfer"];

fn corpora() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
        let path = entry.unwrap().path().join("sip-events.jsonl");
        if path.is_file() {
            let text = std::fs::read_to_string(&path).unwrap();
            found.push((path.display().to_string(), text));
        }
    }
    found.sort();
    found
}

#[test]
fn every_recorded_sip_event_decodes_typed_and_round_trips() {
    let corpora = corpora();
    assert!(!corpora.is_empty(), "no tests/fixtures/*/sip-events.jsonl");
    for (path, text) in &corpora {
        let mut types = std::collections::BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            let want: Value = serde_json::from_str(line).unwrap();
            let event: Event = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{path}:{}: {e}\n{line}", n + 1));
            assert!(
                !matches!(event, Event::Unknown(_)),
                "{path}:{}: fell back to Unknown",
                n + 1
            );
            assert_eq!(Some(event.type_name()), want["type"].as_str());
            assert_eq!(
                serde_json::to_value(&event).unwrap(),
                want,
                "{path}:{}: round trip differs",
                n + 1
            );
            types.insert(event.type_name().to_owned());
        }
        let major: u32 = path
            .rsplit("asterisk-")
            .next()
            .and_then(|rest| rest.split('.').next())
            .and_then(|m| m.parse().ok())
            .unwrap_or_else(|| panic!("{path}: no asterisk-<version> directory"));
        let newer: &[&str] = if major >= 20 { SIP_TYPES_20 } else { &[] };
        for kind in SIP_TYPES.iter().chain(newer) {
            assert!(types.contains(*kind), "{path} has no {kind}: {types:?}");
        }
    }
}

#[test]
fn sip_events_carry_their_typed_fields() {
    for (path, text) in corpora() {
        for line in text.lines() {
            match serde_json::from_str::<Event>(line).unwrap() {
                Event::ContactStatusChange(e) => {
                    assert!(!e.contact_info.uri.is_empty(), "{path}: {line}");
                    assert_eq!(e.endpoint.technology, "PJSIP");
                }
                Event::PeerStatusChange(e) => {
                    assert!(!e.peer.peer_status.is_empty(), "{path}: {line}");
                }
                Event::EndpointStateChange(e) => assert_eq!(e.endpoint.technology, "PJSIP"),
                Event::TextMessageReceived(e) => {
                    assert!(!e.message.body.is_empty(), "{path}: {line}");
                }
                Event::ChannelTransfer(e) => {
                    assert!(
                        e.refer_to.requested_destination.destination.is_some(),
                        "{path}: {line}"
                    );
                    assert!(
                        e.referred_by.source_channel.name.starts_with("PJSIP/"),
                        "{path}: {line}"
                    );
                }
                _ => {}
            }
        }
    }
}
