//! Checks the generated models against real server responses
//! (`shared/fixtures/asterisk-22.10.1/rest.jsonl`), using the generated
//! table of each operation's declared response type, so the mapping from
//! method + path to type comes from the specs and is not maintained by hand.

use serde_json::Value;

use crate::contract_harness::{recorded, template_match, ResponseType};
use crate::generated::responses::RESPONSE_TYPES;

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
    let records = recorded();
    assert!(
        !records.is_empty(),
        "no recorded responses: shared/fixtures/asterisk-22.10.1/rest.jsonl must sit beside the checkout"
    );
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, rec) in records.iter().enumerate() {
        let body = rec.body.as_str();
        if !(200..300).contains(&rec.status) || body.is_empty() {
            continue;
        }
        let (method, path) = (rec.method.as_str(), rec.path.as_str());
        let Some(op) = operation_for(method, path) else {
            failures.push(format!(
                "line {}: {method} {path}: no JSON operation matches",
                n + 1
            ));
            continue;
        };
        let expected: Value = serde_json::from_str(body).expect("response is JSON");
        match (op.decode)(body) {
            Ok(back) if back == expected => checked += 1,
            Ok(back) => failures.push(format!(
                "line {}: {method} {path} as {} ({}): re-serialised differs:\n  got  {back}\n  want {expected}",
                n + 1,
                op.type_name,
                op.operation
            )),
            Err(e) => failures.push(format!(
                "line {}: {method} {path} as {} ({}): {e}",
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
