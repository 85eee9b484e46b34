//! Replays every exchange recorded from a real Asterisk 22.10.1 (`rest.jsonl` in the shared
//! fixtures) through the runtime and a stub server: the request line the runtime writes must
//! equal the recorded one byte for byte, and the recorded answer must become the right value or
//! error.

mod support;

use std::path::PathBuf;

use ari_sdk::request::{Method, Request};
use ari_sdk::Error;
use support::{Response, Stub};

#[derive(Debug, serde::Deserialize)]
struct Exchange {
    method: String,
    path: String,
    body: Option<serde_json::Value>,
    status: u16,
    /// `None` for binary bodies, which the recording did not keep.
    response: Option<String>,
}

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/asterisk-22.10.1/rest.jsonl")
}

fn load() -> Vec<Exchange> {
    let path = fixture_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the shared fixtures sit beside the repository)",
            path.display()
        )
    });
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("fixture line"))
        .collect()
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .expect("utf8")
        .into_owned()
}

/// Rebuilds the request a generated operation would make: every path segment goes through
/// `param` (so literal segments must survive encoding unchanged too), every query value is
/// decoded first and re-encoded by the runtime.
fn request_for(exchange: &Exchange) -> Request {
    let method = match exchange.method.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => panic!("method {other}"),
    };
    let (path, query) = exchange
        .path
        .split_once('?')
        .unwrap_or((exchange.path.as_str(), ""));
    let mut request = Request::new("replay", method);
    for segment in path.split('/').skip(1) {
        request = request.param("segment", decode(segment));
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').expect("name=value");
        request = request.query(leak(&decode(name)), decode(value));
    }
    if let Some(body) = &exchange.body {
        request = request.body(body.clone());
    }
    request.errors(&[(404, "Not found (replay)")])
}

#[tokio::test]
async fn every_recorded_exchange_replays() {
    let exchanges = load();
    assert!(exchanges.len() >= 70, "only {} exchanges", exchanges.len());
    let wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00".to_vec();
    let replies = exchanges.iter().map(|e| {
        let body = e
            .response
            .as_deref()
            .map(str::as_bytes)
            .unwrap_or(if e.status < 300 { &wav } else { b"" });
        let content_type = if e.response.is_none() {
            "audio/wav"
        } else {
            "application/json"
        };
        Response::empty(e.status)
            .header("Content-Type", content_type)
            .body(body)
            .into()
    });
    let stub = Stub::scripted(replies.collect::<Vec<_>>()).await;
    // The stub answers the recorded exchanges in order, and nothing else.
    let client = stub.client(|b| b.check_capabilities(false));

    let (mut json, mut void, mut binary, mut errors) = (0, 0, 0, 0);
    for exchange in &exchanges {
        let request = request_for(exchange);
        let what = format!("{} {}", exchange.method, exchange.path);
        let success = (200..300).contains(&exchange.status);
        match (&exchange.response, success) {
            (None, true) => {
                let file = client.execute_binary(request).await.expect(&what);
                assert_eq!(&file.bytes[..], &wav[..], "{what}");
                assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
                binary += 1;
            }
            (Some(body), true) if body.is_empty() => {
                client.execute_void(request).await.expect(&what);
                void += 1;
            }
            (Some(body), true) => {
                let value: serde_json::Value = client.execute_json(request).await.expect(&what);
                let expected: serde_json::Value = serde_json::from_str(body).expect("fixture JSON");
                assert_eq!(value, expected, "{what}");
                json += 1;
            }
            (response, false) => {
                let err = client.execute_void(request).await.expect_err(&what);
                let expected_message = response
                    .as_deref()
                    .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                    .and_then(|v| {
                        v.get("message")
                            .or_else(|| v.get("error"))
                            .and_then(|m| m.as_str())
                            .map(str::to_owned)
                    });
                match err {
                    Error::Api {
                        operation: "replay",
                        status,
                        message,
                        reason,
                        ..
                    } => {
                        assert_eq!(status, exchange.status, "{what}");
                        assert_eq!(message, expected_message, "{what}");
                        let documented = (status == 404).then_some("Not found (replay)");
                        assert_eq!(reason, documented, "{what}");
                    }
                    other => panic!("{what}: {other:?}"),
                }
                errors += 1;
            }
        }
    }

    let seen = stub.requests();
    assert_eq!(seen.len(), exchanges.len());
    for (exchange, request) in exchanges.iter().zip(&seen) {
        assert_eq!(request.method, exchange.method);
        assert_eq!(request.target, format!("/ari{}", exchange.path));
        match &exchange.body {
            Some(body) => assert_eq!(&request.json(), body, "{}", exchange.path),
            None => assert!(request.body.is_empty(), "{}", exchange.path),
        }
    }
    // Every kind of answer occurs in the recording.
    assert!(
        json > 0 && void > 0 && binary > 0 && errors > 0,
        "{json} {void} {binary} {errors}"
    );
    eprintln!(
        "replayed {} exchanges: {json} JSON, {void} void, {binary} binary, {errors} errors",
        exchanges.len()
    );
}
