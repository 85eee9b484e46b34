//! One `tracing` span per request with operation, method, path template, status and elapsed,
//! and never a credential in what is logged; a request the capability check refuses is traced as
//! refused, and the check's own `GET /asterisk/info` as a request of its own. (The first test
//! turns the check off: it counts the spans of the requests it makes.)

#[path = "support/captured.rs"]
mod captured;
mod support;

use ari_sdk::request::{Method, Request};
use ari_sdk::Client;
use captured::Captured;
use support::{refused_base_url, Response, Stub};
use tracing_subscriber::fmt::format::FmtSpan;

/// A subscriber that writes everything, span closes included, into the returned buffer.
fn capture() -> (Captured, impl tracing::Subscriber + Send + Sync) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    (captured, subscriber)
}

fn answer(id: &str) -> Request {
    Request::new("answer", Method::Post)
        .segment("channels")
        .param("channelId", id)
        .segment("answer")
        .errors(&[(404, "Channel not found")])
}

/// A client of `base_url` as `asterisk`/`hunter2`, sent as `api_key` or by basic auth.
fn client_of(base_url: &str, api_key: bool) -> Client {
    let builder = Client::builder(base_url).check_capabilities(false);
    let builder = if api_key {
        builder.api_key("asterisk", "hunter2")
    } else {
        builder.basic_auth("asterisk", "hunter2")
    };
    builder.build().expect("client")
}

#[tokio::test]
async fn spans_carry_the_request_and_never_credentials() {
    let (captured, subscriber) = capture();
    // `#[tokio::test]` runs everything on this thread, so a thread-local default sees it all.
    let _guard = tracing::subscriber::set_default(subscriber);

    let stub = Stub::scripted([
        Response::empty(204).into(),
        Response::json(404, r#"{"message":"Channel not found"}"#).into(),
        Response::empty(204).into(),
    ])
    .await;
    let basic = client_of(&stub.base_url, false);
    basic.execute_void(answer("chan-a")).await.expect("answer");
    basic.execute_void(answer("nosuch")).await.expect_err("404");
    let api_key = client_of(&stub.base_url, true);
    api_key
        .execute_void(answer("chan-b"))
        .await
        .expect("answer");
    let refused = client_of(&refused_base_url().await, true);
    refused
        .execute_void(answer("chan-c"))
        .await
        .expect_err("refused");
    drop(_guard);

    let text = captured.text();
    let lines: Vec<&str> = text.lines().collect();
    let closes: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("ari_request{") && l.contains("ari_sdk::client: close"))
        .collect();
    assert_eq!(closes.len(), 4, "one span per request:\n{text}");
    for line in &closes {
        assert!(line.contains("ari_request"), "{line}");
        assert!(line.contains("operation=\"answer\""), "{line}");
        assert!(line.contains("method=\"POST\""), "{line}");
        assert!(line.contains("path=/channels/{channelId}/answer"), "{line}");
        assert!(line.contains("elapsed="), "{line}");
    }
    for line in &closes {
        assert!(line.contains("transport=\"http\""), "{line}");
    }
    assert!(closes[0].contains("status=204"), "{}", closes[0]);
    assert!(closes[1].contains("status=404"), "{}", closes[1]);
    assert!(!closes[3].contains("status="), "{}", closes[3]);
    assert!(text.contains("ARI request succeeded"), "{text}");
    assert!(text.contains("Channel not found"), "{text}");
    assert!(text.contains("was not sent"), "{text}");
    assert!(
        text.contains("Connection refused"),
        "the cause is logged too:\n{text}"
    );
    // Ids are not in the span fields (the path template is), and no credential is anywhere.
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("YXN0ZXJpc2s6aHVudGVyMg"), "{text}");
    assert!(!text.contains("api_key"), "{text}");
}

#[tokio::test]
async fn a_refused_request_is_traced_as_refused_and_the_learning_request_as_its_own() {
    let (captured, subscriber) = capture();
    let _guard = tracing::subscriber::set_default(subscriber);

    let stub = Stub::always(Response::json(
        200,
        r#"{"system":{"version":"16.28.0~dfsg-0+deb11u4"}}"#,
    ))
    .await;
    let client = Client::builder(&stub.base_url).build().expect("client");
    let vars = Request::new("getChannelVars", Method::Get)
        .segment("channels")
        .param("channelId", "c1")
        .segment("variables")
        .query("variables", "A");
    client
        .execute_json::<serde_json::Value>(vars)
        .await
        .expect_err("refused");
    let hangup = Request::new("hangup", Method::Delete)
        .segment("channels")
        .param("channelId", "c1")
        .query("reason_code", "16");
    client.execute_void(hangup).await.expect_err("refused");
    drop(_guard);

    let text = captured.text();
    let closes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ari_request{") && l.contains("ari_sdk::client: close"))
        .collect();
    assert_eq!(closes.len(), 3, "learning, then two refusals:\n{text}");
    // The learning request closes first, nested in the request that waited for it.
    assert!(
        closes[0].contains("operation=\"asterisk.getInfo\""),
        "{}",
        closes[0]
    );
    assert!(closes[0].contains("path=/asterisk/info"), "{}", closes[0]);
    assert!(closes[0].contains("status=200"), "{}", closes[0]);
    assert!(closes[0].contains("transport=\"http\""), "{}", closes[0]);
    for (line, operation) in closes[1..].iter().zip(["getChannelVars", "hangup"]) {
        assert!(
            line.contains(&format!("operation=\"{operation}\"")),
            "{line}"
        );
        assert!(line.contains("refused=true"), "{line}");
        assert!(!line.contains("transport="), "nothing was sent: {line}");
        assert!(!line.contains("status="), "nothing was answered: {line}");
    }
    assert!(!closes[1].contains("refused_parameter"), "{}", closes[1]);
    assert!(
        closes[2].contains("refused_parameter=\"reason_code\""),
        "{}",
        closes[2]
    );
    assert_eq!(stub.requests().len(), 1);
}
