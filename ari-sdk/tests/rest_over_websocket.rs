//! REST over WebSocket against a local stand-in for Asterisk's event socket: correlation of many requests in
//! flight, the same `Error` values as over HTTP, the per-request timeout, a socket lost with requests in
//! flight, and a server that predates the feature. (Asterisk's own behaviour is tested live in `tests/`.)

#[allow(
    dead_code,
    reason = "the support module serves several test binaries; this one uses part of it"
)]
mod events_support;

use std::time::Duration;

use ari_sdk::events::{EventStream, EventsBuilder, EventsError, ReconnectPolicy};
use ari_sdk::{Client, Error, Transport};
use events_support::{joined, Accepted, TestServer};
use futures::StreamExt as _;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Every wait of these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

fn client(server: &TestServer, timeout: Duration) -> Client {
    Client::builder(server.base_url())
        // The tests script every message on the socket; the check over the socket is tested in
        // `capabilities.rs`.
        .check_capabilities(false)
        .basic_auth("u", "p")
        .transport(Transport::WebSocket)
        .request_timeout(timeout)
        .build()
        .expect("client")
}

/// The next `RESTRequest` the client sent.
async fn next_request(ws: &mut Accepted) -> Option<Value> {
    loop {
        match tokio::time::timeout(LIMIT, ws.ws.next()).await {
            Err(_) => panic!("no request within {LIMIT:?}"),
            Ok(Some(Ok(Message::Text(text)))) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("JSON");
                assert_eq!(value["type"], "RESTRequest", "{value}");
                return Some(value);
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(_) => return None,
        }
    }
}

fn response(request: &Value, status: u16, body: Option<Value>) -> String {
    let mut reply = json!({
        "type": "RESTResponse", "transaction_id": request["transaction_id"], "request_id": request["request_id"],
        "status_code": status, "reason_phrase": "whatever", "uri": request["uri"],
        "application": "a", "timestamp": "2026-12-01T00:00:00.000+0000"
    });
    if let Some(body) = body {
        reply["content_type"] = json!("application/json");
        reply["message_body"] = json!(body.to_string());
    }
    reply.to_string()
}

/// Accepts the connection and answers the probe `connect` sends.
async fn accept_and_answer_probe(server: &mut TestServer) -> Accepted {
    let mut ws = server.accept().await;
    let probe = next_request(&mut ws).await.expect("the probe");
    assert_eq!(
        (probe["method"].as_str(), probe["uri"].as_str()),
        (Some("GET"), Some("asterisk/ping"))
    );
    ws.send(response(&probe, 200, Some(json!({"ping": "pong"}))))
        .await;
    ws
}

/// Connects the event connection `events` (made from a client) to `server`, answering its probe.
async fn connect(server: &mut TestServer, events: EventsBuilder) -> (Accepted, EventStream) {
    let connecting = tokio::spawn(events.connect());
    let ws = accept_and_answer_probe(server).await;
    (ws, connecting.await.expect("task").expect("connected"))
}

#[tokio::test]
async fn many_requests_in_flight_complete_from_their_own_response() {
    let mut server = TestServer::start().await;
    let client = client(&server, LIMIT);
    let (mut ws, _events) = connect(&mut server, client.events().app("a")).await;

    const N: usize = 50;
    let calls: Vec<_> = (0..N)
        .map(|i| tokio::spawn(client.channel(format!("chan {i}/x")).get().send()))
        .collect();
    let mut requests = Vec::new();
    for _ in 0..N {
        requests.push(next_request(&mut ws).await.expect("a request"));
    }
    // Answer in reverse order, with an event between two answers: each request gets its own.
    for (n, request) in requests.iter().rev().enumerate() {
        let uri = request["uri"].as_str().expect("uri");
        assert!(uri.starts_with("channels/chan%20"), "{uri}");
        let id = uri
            .trim_start_matches("channels/")
            .replace("%20", " ")
            .replace("%2F", "/");
        if n == 7 {
            ws.send(json!({"type": "StasisStart", "application": "a", "timestamp": "2026-12-01T00:00:00.000+0000",
                "args": [], "channel": {"id": "other", "name": "n", "state": "Up", "caller": {"name": "", "number": ""},
                "connected": {"name": "", "number": ""}, "accountcode": "", "dialplan": {"context": "c", "exten": "e",
                "priority": 1, "app_name": "", "app_data": ""}, "creationtime": "2026-12-01T00:00:00.000+0000",
                "language": "en", "protocol_id": ""}}).to_string()).await;
        }
        if id.ends_with("3/x") {
            ws.send(response(
                request,
                404,
                Some(json!({"message": "Channel not found"})),
            ))
            .await;
            continue;
        }
        let channel = json!({"id": id, "name": "PJSIP/x", "state": "Up", "caller": {"name": "", "number": ""},
            "connected": {"name": "", "number": ""}, "accountcode": "", "dialplan": {"context": "c", "exten": "e",
            "priority": 1, "app_name": "", "app_data": ""}, "creationtime": "2026-12-01T00:00:00.000+0000",
            "language": "en", "protocol_id": ""});
        ws.send(response(request, 200, Some(channel))).await;
    }
    for (i, call) in calls.into_iter().enumerate() {
        let result = joined(LIMIT, call).await;
        let want = format!("chan {i}/x");
        if want.ends_with("3/x") {
            let err = result.expect_err("404");
            assert!(
                matches!(&err, Error::Api { status: 404, message: Some(m), reason: Some(r), .. }
                    if m == "Channel not found" && *r == "Channel not found"),
                "{err:?}"
            );
        } else {
            assert_eq!(result.expect("a channel").id, want);
        }
    }
}

#[tokio::test]
async fn a_request_without_an_answer_times_out() {
    let mut server = TestServer::start().await;
    let client = client(&server, Duration::from_millis(300));
    let (mut ws, _events) = connect(&mut server, client.events().app("a")).await;

    let call = tokio::spawn(client.channel("c").answer().send());
    let request = next_request(&mut ws).await.expect("the request");
    assert_eq!(request["method"], "POST");
    let err = joined(LIMIT, call).await.expect_err("timeout");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_outcome_unknown());
    // A late answer is consumed without harm, and the connection goes on serving.
    ws.send(response(&request, 204, None)).await;
    let call = tokio::spawn(client.channel("c").answer().send());
    let request = next_request(&mut ws).await.expect("the request");
    ws.send(response(&request, 204, None)).await;
    joined(LIMIT, call).await.expect("answered");
}

#[tokio::test]
async fn requests_in_flight_when_the_socket_drops_fail_as_outcome_unknown() {
    let mut server = TestServer::start().await;
    let client = client(&server, Duration::from_secs(60));
    let events = client.events().app("a").reconnect(ReconnectPolicy::never());
    let (mut ws, _events) = connect(&mut server, events).await;

    let calls: Vec<_> = (0..5)
        .map(|_| tokio::spawn(client.channel("c").answer().send()))
        .collect();
    for _ in 0..5 {
        next_request(&mut ws).await.expect("a request");
    }
    let _ = ws.ws.close(None).await;
    drop(ws);
    for call in calls {
        // Far sooner than the 60 s request timeout: the loss fails them at once.
        let err = joined(LIMIT, call).await.expect_err("lost");
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert!(err.is_outcome_unknown(), "{err:?}");
    }
    // Afterwards there is no connection to send on: not sent.
    let err = tokio::time::timeout(LIMIT, client.channel("c").answer())
        .await
        .expect("bounded")
        .expect_err("no connection");
    assert!(matches!(err, Error::NotSent { .. }), "{err:?}");
}

#[tokio::test]
async fn without_an_event_connection_nothing_is_sent() {
    let server = TestServer::start().await;
    let err = client(&server, LIMIT)
        .asterisk()
        .ping()
        .await
        .expect_err("no connection");
    assert!(matches!(err, Error::NotSent { .. }), "{err:?}");
    assert!(err.to_string().contains("was not sent"), "{err}");
}

#[tokio::test]
async fn a_server_that_ignores_rest_requests_is_refused_at_connect() {
    let mut server = TestServer::start().await;
    let client = client(&server, LIMIT);
    let connecting = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .events()
                .app("a")
                .connect_timeout(Duration::from_millis(500))
                .connect()
                .await
        }
    });
    // An Asterisk older than 20.14/21.9/22.4 reads the message and ignores it.
    let mut ws = server.accept().await;
    let probe = next_request(&mut ws).await.expect("the probe");
    assert_eq!(probe["uri"], "asterisk/ping");
    let err = joined(LIMIT, connecting).await.expect_err("unsupported");
    assert!(
        matches!(err, EventsError::RestUnsupported { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("22.4.0"), "{err}");
    // The connection was closed.
    assert!(ws.expect_close().await);
}
