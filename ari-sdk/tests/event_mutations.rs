//! A bounded property test over hostile event messages: every recorded corpus line, structurally mutated by a
//! seeded generator (keys reordered or duplicated, `type` last or twice, values of the wrong JSON type, deep
//! nesting, numbers no integer type holds), goes through both decoders. Properties: nothing panics; where the
//! typed [`Event`] decodes, the untyped [`RawEvent`] decodes too, to the same type and the same objects; and
//! decode → encode → decode gives the same event.
//!
//! Seeded (`ARI_MUTATION_SEED` overrides the seed, `ARI_MUTATION_ROUNDS` the rounds per line), so a failure
//! names the seed and the case and reruns identically; the default runs in well under a second.

mod corpus;

use ari_sdk::events::{EventPayload, RawEvent};
use ari_sdk::Event;
use serde_json::{Map, Value};

const DEFAULT_SEED: u64 = 0x0A21_5EED;
const DEFAULT_ROUNDS: usize = 24;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Values of every JSON type, including numbers outside `i64`/`u64`/`f64`.
fn wrong_value(rng: &mut fastrand::Rng) -> Value {
    let raw = [
        "null",
        "true",
        "0",
        "-1",
        "1.5",
        "\"\"",
        "\"x\"",
        "[]",
        "{}",
        "[1,\"a\",{}]",
        "{\"id\":7}",
        "18446744073709551616",
        "-9223372036854775809",
        "1e400",
        "-1e400",
        "1e-400",
        "123456789012345678901234567890",
    ];
    // `1e400` is not representable: serde_json rejects it, which is one of the cases to survive, so such values
    // are spliced in as text (see `Text`), and only the representable ones become `Value`s here.
    serde_json::from_str(raw[rng.usize(..raw.len())]).unwrap_or(Value::Null)
}

/// A message as text, possibly with things a `serde_json::Value` cannot hold (duplicate keys, huge numbers).
fn render(object: &Map<String, Value>, extra: &[(String, String)]) -> String {
    let mut out = String::from("{");
    let mut first = true;
    let mut push = |out: &mut String, key: &str, value: &str| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        out.push_str(&Value::from(key).to_string());
        out.push(':');
        out.push_str(value);
    };
    for (key, value) in object {
        push(&mut out, key, &value.to_string());
    }
    for (key, value) in extra {
        push(&mut out, key, value);
    }
    out.push('}');
    out
}

/// A random path to a value inside `value` (object keys and array indices), possibly empty.
fn random_path(value: &Value, rng: &mut fastrand::Rng) -> Vec<PathStep> {
    let mut path = Vec::new();
    let mut at = value;
    loop {
        let next = match at {
            Value::Object(map) if !map.is_empty() && rng.u8(..4) != 0 => {
                let (key, inner) = map.iter().nth(rng.usize(..map.len())).expect("in range");
                Some((PathStep::Key(key.clone()), inner))
            }
            Value::Array(items) if !items.is_empty() && rng.u8(..4) != 0 => {
                let i = rng.usize(..items.len());
                Some((PathStep::Index(i), &items[i]))
            }
            _ => None,
        };
        match next {
            Some((step, inner)) => {
                path.push(step);
                at = inner;
            }
            None => return path,
        }
    }
}

enum PathStep {
    Key(String),
    Index(usize),
}

fn at_path<'a>(value: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
    path.iter().fold(value, |at, step| match step {
        PathStep::Key(key) => &mut at[key.as_str()],
        PathStep::Index(i) => &mut at[*i],
    })
}

fn nested(depth: usize) -> String {
    let mut s = String::new();
    for i in 0..depth {
        s.push_str(if i % 2 == 0 { "{\"a\":" } else { "[" });
    }
    s.push('1');
    for i in (0..depth).rev() {
        s.push(if i % 2 == 0 { '}' } else { ']' });
    }
    s
}

/// One mutation of `line`, as text; `kind` names it for failure messages.
fn mutate(line: &Value, rng: &mut fastrand::Rng) -> (&'static str, String) {
    let object = line.as_object().expect("corpus lines are objects");
    let mut entries: Vec<(String, Value)> =
        object.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
    let any_key = |rng: &mut fastrand::Rng| keys[rng.usize(..keys.len())].clone();
    let map = |entries: Vec<(String, Value)>| entries.into_iter().collect::<Map<_, _>>();
    match rng.u8(..9) {
        0 => {
            rng.shuffle(&mut entries);
            ("keys reordered", render(&map(entries), &[]))
        }
        1 => {
            let t = entries.iter().position(|(k, _)| k == "type").expect("type");
            let ty = entries.remove(t);
            entries.push(ty);
            ("type last", render(&map(entries), &[]))
        }
        2 => {
            let other = if rng.bool() {
                object["type"].to_string()
            } else {
                "\"ChannelDestroyed\"".to_owned()
            };
            ("type twice", render(object, &[("type".to_owned(), other)]))
        }
        3 => {
            let key = any_key(rng);
            let value = if rng.bool() {
                object[&key].to_string()
            } else {
                wrong_value(rng).to_string()
            };
            ("key duplicated", render(object, &[(key, value)]))
        }
        4 | 5 => {
            let mut value = line.clone();
            let path = random_path(&value, rng);
            *at_path(&mut value, &path) = wrong_value(rng);
            ("value of another type", value.to_string())
        }
        6 => {
            let key = any_key(rng);
            let depth = [10, 100, 127, 128, 129, 500, 5000][rng.usize(..7)];
            let mut out = object.clone();
            out.remove(&key);
            ("deep nesting", render(&out, &[(key, nested(depth))]))
        }
        7 => {
            let key = any_key(rng);
            let huge = [
                "1e400",
                "-1e400",
                "18446744073709551616",
                "1e-400",
                "9".repeat(400).leak(),
            ];
            let mut out = object.clone();
            out.remove(&key);
            let value = huge[rng.usize(..huge.len())].to_owned();
            ("huge number", render(&out, &[(key, value)]))
        }
        _ => {
            let mut value = line.clone();
            let path = random_path(&value, rng);
            let target = at_path(&mut value, &path);
            if let Value::Object(map) = target {
                map.remove(&map.keys().next().cloned().unwrap_or_default());
            } else {
                *target = Value::Null;
            }
            ("field removed or nulled", value.to_string())
        }
    }
}

#[test]
fn mutated_corpus_lines_never_panic_and_both_decoders_agree() {
    let seed = setting("ARI_MUTATION_SEED", DEFAULT_SEED);
    let rounds = setting("ARI_MUTATION_ROUNDS", DEFAULT_ROUNDS as u64) as usize;
    let mut rng = fastrand::Rng::with_seed(seed);
    let lines = corpus::lines();
    let (mut cases, mut typed_ok, mut raw_only) = (0usize, 0usize, 0usize);
    for line in &lines {
        let original: Value = serde_json::from_str(&line.text).expect("corpus JSON");
        for round in 0..rounds {
            let (kind, text) = mutate(&original, &mut rng);
            cases += 1;
            let case = || {
                format!(
                    "seed {seed}, {} round {round}, {kind}: {text:.300}",
                    line.place
                )
            };
            let typed = <Event as EventPayload>::decode(&text);
            let raw = RawEvent::decode(&text);
            let Ok(typed) = typed else {
                raw_only += usize::from(raw.is_ok());
                continue;
            };
            typed_ok += 1;
            let raw = raw.unwrap_or_else(|e| {
                panic!(
                    "the typed event decodes, the raw does not ({e}); {}",
                    case()
                )
            });
            assert_eq!(
                EventPayload::type_name(&typed),
                raw.type_name(),
                "type; {}",
                case()
            );
            assert_eq!(
                corpus::objects(&typed),
                corpus::objects(&raw),
                "objects; {}",
                case()
            );
            let encoded = serde_json::to_string(&typed).expect("an event encodes");
            let again = <Event as EventPayload>::decode(&encoded)
                .unwrap_or_else(|e| panic!("re-decoding {encoded:.300} failed ({e}); {}", case()));
            assert_eq!(again, typed, "decode → encode → decode; {}", case());
            assert_eq!(
                serde_json::to_string(&again).expect("encodes"),
                encoded,
                "{}",
                case()
            );
        }
    }
    eprintln!(
        "{cases} mutated messages (seed {seed}): {typed_ok} decoded typed, {raw_only} only raw"
    );
    assert_eq!(cases, lines.len() * rounds);
    // Both outcomes are exercised: mutations that keep a valid event and ones that break it.
    assert!(
        typed_ok > cases / 10 && typed_ok < cases,
        "{typed_ok} of {cases}"
    );
}

/// Found by the `event_decode` fuzz target: a number with more digits than an `f64` holds must read
/// the same before and after a round trip (serde_json's exact float parsing, `float_roundtrip`).
#[test]
fn a_long_decimal_fraction_survives_decode_encode_decode() {
    for number in [
        "111111111.0111111111111111111111111111111111111",
        "0.30000000000000000444089209850062616169452667236328125",
        "2.2250738585072011e-308",
    ] {
        let text = format!(r#"{{"type":"ContactStatusChang&","t@imh]annel_ids":{number}}}"#);
        let typed = <Event as EventPayload>::decode(&text).expect("an unknown event decodes");
        let encoded = serde_json::to_string(&typed).expect("an event encodes");
        let again = <Event as EventPayload>::decode(&encoded).expect("an encoded event decodes");
        assert_eq!(again, typed, "decode → encode → decode of {number}");
    }
}
