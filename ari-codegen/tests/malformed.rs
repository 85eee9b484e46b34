//! Malformed specs: each is an error naming the file and the JSON path, with
//! the exact text asserted. And no input makes the parser panic.

mod common;

use std::collections::BTreeMap;

use ari_codegen::fixups;
use ari_codegen::spec;
use common::{lower_err, parse_things, v, EVENTS};

/// An operation on `/things/{thingId}` with the given parameters JSON.
fn op_with(params: &str) -> String {
    format!(
        r#"{{"swaggerVersion":"1.1","apis":[{{"path":"/things/{{thingId}}","operations":[{{"httpMethod":"GET","nickname":"get","responseClass":"void","parameters":[{{"name":"thingId","paramType":"path","required":true,"dataType":"string"}}{params}]}}]}}]}}"#
    )
}

/// A model `Thing` with the given properties JSON.
fn model_with(props: &str) -> String {
    format!(
        r#"{{"swaggerVersion":"1.1","apis":[],"models":{{"Thing":{{"id":"Thing","properties":{{{props}}}}}}}}}"#
    )
}

fn parse_err(text: &str) -> String {
    match spec::parse_declaration("channels.json", text, &mut Vec::new()) {
        Ok(_) => panic!("expected a parse error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_json() {
    assert_eq!(
        parse_err("{\"swaggerVersion\": \"1.1\",\n \"apis\": [}"),
        "channels.json: /apis/0: invalid JSON: expected value at line 2 column 11"
    );
    assert_eq!(
        parse_err(""),
        "channels.json: invalid JSON: EOF while parsing a value at line 1 column 0"
    );
    assert_eq!(
        parse_err("{\"swaggerVersion\":\"1.1\",\"apis\":[]} trailing"),
        "channels.json: invalid JSON: trailing characters at line 1 column 36"
    );
}

#[test]
fn wrong_type() {
    let text = op_with(
        r#",{"name":"a","paramType":"query","dataType":"string"},{"name":"b","paramType":"query","dataType":5}"#,
    );
    assert_eq!(
        parse_err(&text),
        "channels.json: /apis/0/operations/0/parameters/2/dataType: invalid type: integer `5`, expected a string"
    );
    assert_eq!(
        parse_err("[]"),
        "channels.json: invalid length 0, expected struct ApiDeclaration with 11 elements"
    );
    let text = op_with(r#",{"name":"a","paramType":"query","dataType":"string","required":"yes"}"#);
    assert_eq!(
        parse_err(&text),
        "channels.json: /apis/0/operations/0/parameters/1/required: invalid type: string \"yes\", expected a boolean"
    );
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/x","operations":[{"httpMethod":"GET","nickname":"x","responseClass":"void","errorResponses":[{"code":true,"reason":"r"}]}]}]}"#;
    assert_eq!(
        parse_err(text),
        "channels.json: /apis/0/operations/0/errorResponses/0/code: invalid type: boolean `true`, expected an HTTP status code (a number, or a string of digits)"
    );
}

#[test]
fn missing_required_key() {
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/x","operations":[{"httpMethod":"GET","responseClass":"void"}]}]}"#;
    assert_eq!(
        parse_err(text),
        "channels.json: /apis/0/operations/0: missing field `nickname`"
    );
    assert_eq!(
        parse_err(r#"{"apis":[]}"#),
        "channels.json: missing field `swaggerVersion`"
    );
    assert_eq!(
        parse_err(&model_with(r#""size":{"description":"no type"}"#)),
        "channels.json: /models/Thing/properties/size: missing field `type`"
    );
}

#[test]
fn unknown_enum_words() {
    let text = op_with(r#",{"name":"h","paramType":"header","dataType":"string"}"#);
    assert_eq!(
        parse_err(&text),
        "channels.json: /apis/0/operations/0/parameters/1/paramType: unknown variant `header`, expected one of `path`, `query`, `body`"
    );
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/x","operations":[{"httpMethod":"PATCH","nickname":"x","responseClass":"void"}]}]}"#;
    assert_eq!(
        parse_err(text),
        "channels.json: /apis/0/operations/0/httpMethod: unknown variant `PATCH`, expected one of `GET`, `POST`, `PUT`, `DELETE`"
    );
    let text =
        model_with(r#""s":{"type":"string","allowableValues":{"valueType":"SET","values":["a"]}}"#);
    assert_eq!(
        parse_err(&text),
        "channels.json: /models/Thing/properties/s/allowableValues/valueType: unknown variant `SET`, expected `LIST` or `RANGE`"
    );
}

#[test]
fn unknown_type_name() {
    let text = op_with(
        r#",{"name":"a","paramType":"query","dataType":"string"},{"name":"b","paramType":"query","dataType":"strin"}"#,
    );
    assert_eq!(
        lower_err(&text),
        "things.json: /apis/0/operations/0/parameters/2/dataType: unknown type name `strin`"
    );
    assert_eq!(
        lower_err(&model_with(r#""size":{"type":"List[integer]"}"#)),
        "things.json: /models/Thing/properties/size/type: unknown type name `integer`"
    );
    // `containers` is a body type only.
    assert_eq!(
        lower_err(&op_with(
            r#",{"name":"c","paramType":"query","dataType":"containers"}"#
        )),
        "things.json: /apis/0/operations/0/parameters/1/dataType: unknown type name `containers`"
    );
}

#[test]
fn dangling_model_reference() {
    assert_eq!(
        lower_err(&model_with(r#""owner":{"type":"Chanel"}"#)),
        "things.json: /models/Thing/properties/owner/type: dangling model reference `Chanel`: no model with this id in any file"
    );
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/x","operations":[{"httpMethod":"GET","nickname":"x","responseClass":"List[Thingy]"}]}]}"#;
    assert_eq!(
        lower_err(text),
        "things.json: /apis/0/operations/0/responseClass: dangling model reference `Thingy`: no model with this id in any file"
    );
    let text = r#"{"swaggerVersion":"1.1","apis":[],"models":{"Thing":{"id":"Thing","properties":{},"subTypes":["Nope"]}}}"#;
    assert_eq!(
        lower_err(text),
        "things.json: /models/Thing/subTypes/0: dangling model reference `Nope`: no model with this id in any file"
    );
}

#[test]
fn structural_errors() {
    assert_eq!(
        lower_err(
            r#"{"swaggerVersion":"1.1","apis":[],"models":{"Thing":{"id":"Thang","properties":{}}}}"#
        ),
        "things.json: /models/Thing/id: model id `Thang` differs from its key `Thing`"
    );
    assert_eq!(
        lower_err(r#"{"swaggerVersion":"1.1","apis":[],"models":{"Ping":{"id":"Ping","properties":{}}}}"#),
        "events.json: /models/Ping: model `Ping` is also defined in things.json (one namespace across files)"
    );
    assert_eq!(
        lower_err(&op_with(r#",{"name":"a","paramType":"body","dataType":"object"},{"name":"b","paramType":"body","dataType":"object"}"#)),
        "things.json: /apis/0/operations/0/parameters/2/paramType: a second body parameter (at most one per operation)"
    );
    assert_eq!(
        lower_err(&op_with(r#",{"name":"other","paramType":"path","required":true,"dataType":"string"}"#)),
        "things.json: /apis/0/operations/0/parameters/1/name: path parameter `other` does not appear in the path `/things/{thingId}`"
    );
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/things/{thingId}","operations":[{"httpMethod":"GET","nickname":"get","responseClass":"void"}]}]}"#;
    assert_eq!(
        lower_err(text),
        "things.json: /apis/0/path: placeholder `{thingId}` has no path parameter in operation `get`"
    );
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"things","operations":[]}]}"#;
    assert_eq!(
        lower_err(text),
        "things.json: /apis/0/path: path `things` does not start with `/`"
    );
    assert_eq!(
        lower_err(&op_with(
            r#",{"name":"thingId","paramType":"query","dataType":"string"}"#
        )),
        "things.json: /apis/0/operations/0/parameters/1/name: parameter `thingId` is listed twice"
    );
    assert_eq!(
        lower_err(&model_with(r#""s":{"type":"string","allowableValues":{"valueType":"LIST"}}"#)),
        "things.json: /models/Thing/properties/s/allowableValues: allowableValues of valueType LIST without `values`"
    );
    assert_eq!(
        lower_err(&model_with(r#""n":{"type":"int","allowableValues":{"valueType":"LIST","values":["1"]}}"#)),
        "things.json: /models/Thing/properties/n/allowableValues: allowableValues LIST on a type that is not a string"
    );
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/x","operations":[{"httpMethod":"GET","nickname":"x","responseClass":"void","errorResponses":[{"code":99,"reason":"r"}]}]}]}"#;
    assert_eq!(
        lower_err(text),
        "things.json: /apis/0/operations/0/errorResponses/0/code: 99 is not an HTTP status code"
    );
}

#[test]
fn unfixed_defects_are_rejected_by_lowering() {
    let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/x","operations":[{"httpMethod":"GET","nickname":"x","responseClass":"void","errorResponses":[{"code":"404","reason":"r"}]}]}]}"#;
    assert_eq!(
        lower_err(text),
        "things.json: /apis/0/operations/0/errorResponses/0/code: error code is the string \"404\", not a number (not fixed up for 1.0.0)"
    );
    assert_eq!(
        lower_err(&op_with(r#",{"name":"tech","paramType":"path","dataType":"string"}"#).replace("{thingId}", "{thingId}/{tech}")),
        "things.json: /apis/0/operations/0/parameters/1: path parameter `tech` lacks `required: true` (not fixed up for 1.0.0)"
    );
    assert_eq!(
        lower_err(&op_with(r#",{"name":"a","paramType":"query","dataType":"string","descriptioni":"typo"}"#)),
        "things.json: /apis/0/operations/0/parameters/1/descriptioni: `descriptioni` (typo of `description`) is not fixed up for 1.0.0"
    );
    assert_eq!(
        lower_err(&op_with(r#",{"name":"a","paramType":"query","dataType":"string","defalutValue":"x"}"#)),
        "things.json: /apis/0/operations/0/parameters/1/defalutValue: `defalutValue` (typo of `defaultValue`) is not fixed up for 1.0.0"
    );
}

#[test]
fn listing_errors() {
    let mut files = BTreeMap::new();
    files.insert(
        "events".to_string(),
        ("events.json".to_string(), EVENTS.to_string()),
    );
    let listing = r#"{"swaggerVersion":"1.1","apis":[{"path":"/api-docs/events.{format}"},{"path":"/api-docs/things.{format}"}]}"#;
    let err = spec::parse_version(v("1.0.0"), ("resources.json", listing), &files).unwrap_err();
    assert_eq!(
        err.to_string(),
        "resources.json: /apis/1/path: lists `things` but there is no things.json"
    );
    let listing = r#"{"swaggerVersion":"1.1","apis":[{"path":"/things.json"}]}"#;
    let err = spec::parse_version(v("1.0.0"), ("resources.json", listing), &files).unwrap_err();
    assert_eq!(
        err.to_string(),
        "resources.json: /apis/0/path: `/things.json` is not of the form /api-docs/<name>.{format}"
    );
}

#[test]
fn fixup_that_finds_nothing_anywhere_is_stale() {
    // A version without the defect: the fixup runs, fixes nothing, and that is fine for it alone.
    let mut spec = parse_things(&op_with("")).unwrap();
    let fixup = fixups::ASTERISK[2];
    assert_eq!(fixup.name, "string_error_codes");
    assert_eq!(fixups::apply(&mut spec, &[fixup]).unwrap(), []);
    // Across every loaded version it applied nowhere: stale, named with what it looked for.
    let version = spec.version.clone();
    let none: Vec<fixups::Applied> = Vec::new();
    let err = fixups::check_stale(&[fixup], [(&version, none.as_slice())]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "fixup `string_error_codes` applies to none of the imported versions (1.0.0): found nothing to fix \
         (error response codes written as strings; rest-api/api-docs/channels.json: move `errorResponses`); \
         the defect is gone upstream, so delete the fixup"
    );
    // One version with the defect is enough.
    let with_defect = r#"{"swaggerVersion":"1.1","apis":[{"path":"/things","operations":[{"httpMethod":"GET","nickname":"list","responseClass":"void","errorResponses":[{"code":"404","reason":"x"}]}]}]}"#;
    let mut spec = parse_things(with_defect).unwrap();
    let applied = fixups::apply(&mut spec, &[fixup]).unwrap();
    assert_eq!(
        applied,
        [fixups::Applied {
            fixup: "string_error_codes",
            count: 1
        }]
    );
    let other: Vec<fixups::Applied> = Vec::new();
    let older: ari_codegen::ir::Version = "0.9.0".parse().unwrap();
    fixups::check_stale(
        &[fixup],
        [(&older, other.as_slice()), (&version, applied.as_slice())],
    )
    .unwrap();
    let places = fixups::applications(
        &[fixup],
        [(&older, other.as_slice()), (&version, applied.as_slice())],
    );
    assert_eq!(places, [("string_error_codes", vec![(version.clone(), 1)])]);
}

/// Truncations and byte flips of a real-shaped file never panic: each is Ok or an error.
#[test]
fn never_panics() {
    let text = std::fs::read_to_string(common::fixture("dialect/api-docs/channels.json")).unwrap();
    let bytes = text.as_bytes();
    let mut errors = 0;
    let mut run = |candidate: &[u8]| {
        if let Ok(s) = std::str::from_utf8(candidate) {
            if spec::parse_declaration("channels.json", s, &mut Vec::new()).is_err() {
                errors += 1;
            }
            let _ = common::lower_things(s);
        }
    };
    for cut in (0..bytes.len()).step_by(7) {
        run(&bytes[..cut]);
    }
    let replacements = [b'"', b'{', b'}', b'[', b']', b',', b':', b'0', b'x', b' '];
    for (i, at) in (0..bytes.len()).step_by(13).enumerate() {
        let mut mutated = bytes.to_vec();
        mutated[at] = replacements[i % replacements.len()];
        run(&mutated);
    }
    let deep = "[".repeat(10_000);
    run(deep.as_bytes());
    run(format!("{{\"swaggerVersion\":\"1.1\",\"apis\":[],\"models\":{{\"T\":{{\"id\":\"T\",\"properties\":{{\"x\":{{\"type\":\"{}\"}}}}}}}}}}", "List[".repeat(5_000)).as_bytes());
    assert!(errors > 100, "the mutations should mostly fail: {errors}");
}
