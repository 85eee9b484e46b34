//! Checks the generated models against real server responses
//! (`shared/fixtures/asterisk-22.10.1/rest.jsonl`), using the generated
//! table of each operation's declared response type, so the mapping from
//! method + path to type comes from the specs and is not maintained by hand.

use serde_json::Value;

use crate::generated::responses::{ResponseType, RESPONSE_TYPES};

const REST_JSONL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk-22.10.1/rest.jsonl"
);

/// Whether `path` (no query) fits `template` (`/channels/{channelId}`); the
/// number of literal segments when it does (more literals = a better match).
fn template_match(template: &str, path: &str) -> Option<usize> {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut literals = 0;
    for (t, p) in t.iter().zip(&p) {
        if t.starts_with('{') && t.ends_with('}') {
            if p.is_empty() {
                return None;
            }
        } else if t == p {
            literals += 1;
        } else {
            return None;
        }
    }
    Some(literals)
}

fn operation_for(method: &str, path: &str) -> Option<&'static ResponseType> {
    RESPONSE_TYPES
        .iter()
        .filter(|r| r.method == method)
        .filter_map(|r| template_match(r.path, path).map(|n| (n, r)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, r)| r)
}

#[test]
fn template_matching_prefers_literals() {
    assert_eq!(
        template_match("/channels/{channelId}", "/channels/create"),
        Some(1)
    );
    assert_eq!(
        template_match("/channels/create", "/channels/create"),
        Some(2)
    );
    assert_eq!(
        template_match("/channels/{channelId}", "/channels/a/b"),
        None
    );
    assert_eq!(template_match("/channels/{channelId}", "/channels/"), None);
}

#[test]
fn every_2xx_json_response_decodes_as_its_declared_type() {
    let text = std::fs::read_to_string(REST_JSONL)
        .unwrap_or_else(|e| panic!("{REST_JSONL}: {e} (shared/ must sit beside the checkout)"));
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let rec: Value = serde_json::from_str(line).expect("fixture line is JSON");
        let status = rec["status"].as_u64().expect("status");
        let body = rec["response"].as_str().unwrap_or("");
        if !(200..300).contains(&status) || body.is_empty() {
            continue;
        }
        let method = rec["method"].as_str().expect("method");
        let full = rec["path"].as_str().expect("path");
        let path = full.split('?').next().unwrap_or(full);
        let Some(op) = operation_for(method, path) else {
            failures.push(format!(
                "line {}: {method} {full}: no JSON operation matches",
                n + 1
            ));
            continue;
        };
        let expected: Value = serde_json::from_str(body).expect("response is JSON");
        match (op.decode)(body) {
            Ok(back) if back == expected => checked += 1,
            Ok(back) => failures.push(format!(
                "line {}: {method} {full} as {} ({}): re-serialised differs:\n  got  {back}\n  want {expected}",
                n + 1,
                op.type_name,
                op.operation
            )),
            Err(e) => failures.push(format!(
                "line {}: {method} {full} as {} ({}): {e}",
                n + 1,
                op.type_name,
                op.operation
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every 2xx response with a body in the recording (the rest are 204s and the binary download).
    assert_eq!(checked, 33);
    eprintln!("{checked} 2xx JSON responses decoded and re-serialised equal");
}
