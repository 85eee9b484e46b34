//! Every message Asterisk 22.10.1 sent in the recorded call flow
//! (`shared/fixtures/asterisk-22.10.1/events.jsonl`, 271 lines) decodes to its
//! typed variant and serialises back to the same JSON.

use ari_sdk::Event;
use serde_json::{Map, Value};

const EVENTS_JSONL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk-22.10.1/events.jsonl"
);

fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(EVENTS_JSONL)
        .unwrap_or_else(|e| panic!("{EVENTS_JSONL}: {e} (shared/ must sit beside the checkout)"));
    text.lines().map(str::to_owned).collect()
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The ids of the objects under `keys` that are present in `v`.
fn ids(v: &Value, keys: &[&str], id: &str) -> Vec<String> {
    let mut out: Vec<String> = keys
        .iter()
        .filter_map(|k| v.get(*k))
        .filter_map(|o| str_at(o, id))
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

fn sorted(v: Vec<&str>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().map(str::to_owned).collect();
    v.sort();
    v
}

#[test]
fn every_line_decodes_typed_and_round_trips() {
    let lines = corpus();
    assert_eq!(lines.len(), 271);
    let mut typed = 0;
    let mut type_not_first = 0;
    for (n, line) in lines.iter().enumerate() {
        let want: Value = serde_json::from_str(line).unwrap();
        let event: Event =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}\n{line}", n + 1));
        assert!(
            !matches!(event, Event::Unknown(_)),
            "line {}: fell back to Unknown",
            n + 1
        );
        typed += 1;
        if want.as_object().unwrap().keys().next().map(String::as_str) != Some("type") {
            type_not_first += 1;
        }

        // Re-serialises to an equal JSON value.
        let back = serde_json::to_value(&event).unwrap();
        assert_eq!(back, want, "line {}: round trip differs", n + 1);

        // The accessors agree with the raw JSON.
        assert_eq!(
            Some(event.type_name()),
            str_at(&want, "type"),
            "line {}",
            n + 1
        );
        assert_eq!(event.application(), str_at(&want, "application"));
        assert_eq!(event.asterisk_id(), str_at(&want, "asterisk_id"));
        assert_eq!(
            event.timestamp().map(ToString::to_string).as_deref(),
            str_at(&want, "timestamp")
        );
        let channel_keys = ["channel", "peer", "caller", "forwarded", "replace_channel"];
        assert_eq!(
            sorted(event.channel_ids()),
            ids(&want, &channel_keys, "id"),
            "line {}",
            n + 1
        );
        assert_eq!(
            sorted(event.bridge_ids()),
            ids(&want, &["bridge"], "id"),
            "line {}",
            n + 1
        );
        assert_eq!(
            sorted(event.playback_ids()),
            ids(&want, &["playback"], "id")
        );
        assert_eq!(
            sorted(event.recording_names()),
            ids(&want, &["recording"], "name")
        );
    }
    assert_eq!(typed, 271);
    // Both dispatch paths are exercised by the real traffic.
    assert!(
        type_not_first > 0 && type_not_first < 271,
        "{type_not_first}"
    );
}

#[test]
fn every_type_in_the_corpus_is_a_known_type() {
    for line in corpus() {
        let v: Value = serde_json::from_str(&line).unwrap();
        let t = str_at(&v, "type").unwrap();
        assert!(Event::TYPE_NAMES.contains(&t), "{t}");
    }
}

/// The same messages with `type` moved to the end (the buffering path) and
/// from a reader (no borrowed strings) decode to the same events.
#[test]
fn key_order_and_input_kind_do_not_matter() {
    for line in corpus() {
        let direct: Event = serde_json::from_str(&line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        let obj = v.as_object().unwrap();
        let mut last: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| *k != "type")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        last.insert("type".into(), obj["type"].clone());
        let moved = serde_json::to_string(&last).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&moved).unwrap(), direct);
        assert_eq!(
            serde_json::from_reader::<_, Event>(line.as_bytes()).unwrap(),
            direct
        );
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), direct);
    }
}

#[test]
fn decoding_every_truncation_never_panics() {
    // A message cut anywhere is an error, never a panic.
    let lines = corpus();
    for line in lines.iter().take(40) {
        for cut in (0..line.len()).step_by(7) {
            if line.is_char_boundary(cut) {
                assert!(serde_json::from_str::<Event>(&line[..cut]).is_err());
            }
        }
    }
}
