//! The capability check against a counting stub server: what it refuses is never sent, it costs
//! one `GET /asterisk/info` per client (clones and concurrent first calls included), a failure to
//! learn is returned and retried, an unknown branch fails open, and it can be turned off. Over
//! HTTP and over REST on the event WebSocket. (Live, against 16.28.0 and 22.10.1, in `tests/`.)

mod support;

#[allow(
    dead_code,
    reason = "the support module serves several test binaries; this one uses part of it"
)]
mod events_support;

use std::time::Duration;

use ari_sdk::{Client, Error, Transport};
use events_support::joined;
use futures::StreamExt as _;
use serde_json::{json, Value};
use support::{Recorded, Response, Stub};
use tokio_tungstenite::tungstenite::Message;

const INFO_TARGET: &str = "/ari/asterisk/info?only=system";
const VERSION_16: &str = "16.28.0~dfsg-0+deb11u4";
/// Every wait of these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

fn info_body(version: &str) -> String {
    json!({"system": {"version": version, "entity_id": "00:11:22:33:44:55"}}).to_string()
}

/// A stub Asterisk of `version`: answers its info, `[]` to every GET, 204 to everything else.
async fn server(version: &str) -> Stub {
    let info = info_body(version);
    Stub::start(move |request: &Recorded| {
        if request.target == INFO_TARGET {
            Response::json(200, &info).into()
        } else if request.method == "GET" {
            Response::json(200, "[]").into()
        } else {
            Response::empty(204).into()
        }
    })
    .await
}

fn client(stub: &Stub) -> Client {
    stub.client(|b| b.request_timeout(LIMIT))
}

fn targets(stub: &Stub) -> Vec<String> {
    stub.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect()
}

fn info_requests(stub: &Stub) -> usize {
    stub.requests()
        .iter()
        .filter(|r| r.target.starts_with("/ari/asterisk/info"))
        .count()
}

#[tokio::test]
async fn what_the_server_lacks_is_refused_and_never_sent() {
    let stub = server(VERSION_16).await;
    let client = client(&stub);

    // An operation 16 does not have.
    let err = client
        .channel("c1")
        .get_channel_vars(["A"])
        .await
        .expect_err("16 has no getChannelVars");
    match &err {
        Error::Unsupported {
            operation,
            parameter,
            server_version,
            available_in,
        } => {
            assert_eq!((*operation, *parameter), ("channels.getChannelVars", None));
            assert_eq!(server_version, VERSION_16);
            assert_eq!(available_in, &["20.20.1", "22.10.1", "23.4.1"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "`channels.getChannelVars` is not served by Asterisk 16.28.0~dfsg-0+deb11u4 (it is in 20.20.1, \
         22.10.1, 23.4.1); nothing was sent"
    );
    // An optional parameter 16 does not know, on an operation it has.
    let err = client
        .channel("c1")
        .hangup()
        .reason_code("16")
        .await
        .expect_err("16 knows no reason_code");
    assert!(
        matches!(&err, Error::Unsupported { operation: "channels.hangup", parameter: Some("reason_code"), available_in, .. }
            if available_in.first() == Some(&"18.26.4")),
        "{err:?}"
    );
    let err = client
        .bridges()
        .create()
        .variables([("A", "1")])
        .await
        .expect_err("16 knows no bridge variables");
    assert!(
        matches!(
            &err,
            Error::Unsupported {
                operation: "bridges.create",
                parameter: Some("variables"),
                ..
            }
        ),
        "{err:?}"
    );
    // The stub saw the one info request and nothing else.
    assert_eq!(targets(&stub), [format!("GET {INFO_TARGET}")]);

    // What 16 has goes out: the same operation without the parameter, and a plain list.
    client.channel("c1").hangup().await.expect("hangup");
    client.channels().list().await.expect("list");
    assert_eq!(
        targets(&stub),
        [
            format!("GET {INFO_TARGET}"),
            "DELETE /ari/channels/c1".to_owned(),
            "GET /ari/channels".to_owned()
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_info_request_per_client_for_concurrent_and_sequential_calls_and_clones() {
    let stub = server("22.10.1").await;
    let client = client(&stub);

    // Twenty first calls at once, on the client and on clones, from tasks on two threads.
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let client = if i % 2 == 0 {
                client.clone()
            } else {
                client.clone().clone()
            };
            tokio::spawn(async move { client.channels().list().await })
        })
        .collect();
    for call in calls {
        joined(LIMIT, call).await.expect("list");
    }
    // Then sequential calls, on the client and a clone made afterwards.
    let late_clone = client.clone();
    for _ in 0..5 {
        client.channels().list().await.expect("list");
        late_clone.bridges().list().await.expect("list");
    }
    let seen = targets(&stub);
    assert_eq!(info_requests(&stub), 1, "{seen:#?}");
    assert_eq!(seen[0], format!("GET {INFO_TARGET}"), "learned first");
    assert_eq!(seen.len(), 1 + 20 + 10, "{seen:#?}");

    // Another client learns for itself.
    let other = Client::builder(&stub.base_url).build().expect("client");
    other.channels().list().await.expect("list");
    assert_eq!(info_requests(&stub), 2);
}

#[tokio::test]
async fn a_failure_to_learn_is_returned_for_that_call_and_the_next_call_retries() {
    let stub = Stub::scripted([
        Response::json(500, r#"{"message":"Internal Server Error"}"#).into(),
        Response::json(200, &info_body("22.10.1")).into(),
        Response::json(200, "[]").into(),
    ])
    .await;
    let client = client(&stub);
    let err = client.channels().list().await.expect_err("info failed");
    match &err {
        Error::CapabilitiesUnknown { operation, source } => {
            assert_eq!(*operation, "channels.list");
            assert!(
                matches!(
                    &**source,
                    Error::Api {
                        operation: "asterisk.getInfo",
                        status: 500,
                        ..
                    }
                ),
                "{source:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "`channels.list` was not sent: the capability check could not learn the server's version"
    );
    assert_eq!(targets(&stub), [format!("GET {INFO_TARGET}")]);
    // Not kept: the next call learns and is sent.
    client.channels().list().await.expect("list");
    assert_eq!(
        targets(&stub),
        [
            format!("GET {INFO_TARGET}"),
            format!("GET {INFO_TARGET}"),
            "GET /ari/channels".to_owned()
        ]
    );

    // No server at all: the cause is the info request's NotSent.
    let nobody = Client::builder(support::refused_base_url().await)
        .build()
        .expect("client");
    let err = nobody.channels().list().await.expect_err("nobody listens");
    assert!(
        matches!(&err, Error::CapabilitiesUnknown { source, .. }
            if matches!(&**source, Error::NotSent { operation: "asterisk.getInfo", .. })),
        "{err:?}"
    );
    assert!(!err.is_outcome_unknown());

    // A success without a version is a failure too (and also not kept).
    let stub = Stub::always(Response::json(200, r#"{"build":{}}"#)).await;
    let fresh = Client::builder(&stub.base_url).build().expect("client");
    let err = fresh.channels().list().await.expect_err("no version");
    assert!(
        matches!(&err, Error::CapabilitiesUnknown { source, .. }
            if matches!(&**source, Error::InvalidRequest { operation: Some("asterisk.getInfo"), .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unknown_branch_is_not_checked_and_the_check_can_be_turned_off() {
    // A newer major than the SDK knows: fail open.
    let stub = server("30.0.0").await;
    let client = client(&stub);
    assert_eq!(
        client.capabilities().await.expect("learned").checked_as(),
        None
    );
    client
        .channel("c1")
        .set_channel_var("A")
        .report_events(true)
        .await
        .expect("sent");
    assert_eq!(
        targets(&stub),
        [
            format!("GET {INFO_TARGET}"),
            "POST /ari/channels/c1/variable?variable=A&report_events=true".to_owned()
        ]
    );

    // Off: nothing is learned, everything is sent.
    let stub = server(VERSION_16).await;
    let unchecked = Client::builder(&stub.base_url)
        .check_capabilities(false)
        .build()
        .expect("client");
    unchecked
        .channel("c1")
        .hangup()
        .reason_code("16")
        .await
        .expect("sent unchecked");
    assert_eq!(
        targets(&stub),
        ["DELETE /ari/channels/c1?reason_code=16".to_owned()]
    );
    // `supports` still answers (learning the version once).
    let vars = unchecked
        .channel("c1")
        .get_channel_vars(["A"])
        .into_request();
    assert!(!unchecked.supports(&vars).await.expect("learned"));
    let list = unchecked.channels().list().into_request();
    assert!(unchecked.supports(&list).await.expect("known"));
    let capabilities = unchecked.capabilities().await.expect("known");
    assert_eq!(
        (capabilities.server_version(), capabilities.checked_as()),
        (VERSION_16, Some("16.30.1"))
    );
    assert_eq!(info_requests(&stub), 1);
}

/// The next `RESTRequest` on the socket.
async fn next_request(ws: &mut events_support::Accepted) -> Value {
    loop {
        match tokio::time::timeout(LIMIT, ws.ws.next()).await {
            Err(_) => panic!("no request within {LIMIT:?}"),
            Ok(Some(Ok(Message::Text(text)))) => {
                return serde_json::from_str(text.as_str()).expect("JSON")
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(other) => panic!("socket: {other:?}"),
        }
    }
}

fn rest_response(request: &Value, status: u16, body: Value) -> String {
    json!({
        "type": "RESTResponse", "transaction_id": request["transaction_id"],
        "request_id": request["request_id"], "status_code": status, "reason_phrase": "x",
        "uri": request["uri"], "content_type": "application/json",
        "message_body": body.to_string()
    })
    .to_string()
}

#[tokio::test]
async fn over_rest_on_the_websocket_the_version_is_learned_on_the_socket() {
    let mut server = events_support::TestServer::start().await;
    let client = Client::builder(server.base_url())
        .basic_auth("u", "p")
        .transport(Transport::WebSocket)
        .request_timeout(LIMIT)
        .build()
        .expect("client");
    let connecting = tokio::spawn(client.events().app("a").connect());
    let mut ws = server.accept().await;
    let probe = next_request(&mut ws).await;
    assert_eq!(probe["uri"], "asterisk/ping");
    ws.send(rest_response(&probe, 200, json!({"ping": "pong"})))
        .await;
    let _events = connecting.await.expect("task").expect("connected");

    let refused = tokio::spawn({
        let client = client.clone();
        async move { client.channel("c1").get_channel_vars(["A"]).await }
    });
    let info = next_request(&mut ws).await;
    assert_eq!(
        (&info["method"], &info["uri"], &info["query_strings"]),
        (
            &json!("GET"),
            &json!("asterisk/info"),
            &json!([{"name": "only", "value": "system"}])
        )
    );
    ws.send(rest_response(
        &info,
        200,
        json!({"system": {"version": VERSION_16}}),
    ))
    .await;
    let err = joined(LIMIT, refused).await.expect_err("refused");
    assert!(
        matches!(
            &err,
            Error::Unsupported {
                operation: "channels.getChannelVars",
                ..
            }
        ),
        "{err:?}"
    );
    // The next thing on the socket is the supported request: the refused one never went out.
    let listing = tokio::spawn({
        let client = client.clone();
        async move { client.channels().list().await }
    });
    let next = next_request(&mut ws).await;
    assert_eq!(next["uri"], "channels");
    ws.send(rest_response(&next, 200, json!([]))).await;
    let channels = joined(LIMIT, listing).await.expect("list");
    assert!(channels.is_empty());
}

#[tokio::test]
async fn a_websocket_client_without_a_socket_learns_over_http_for_its_download() {
    // A REST-over-WebSocket client downloads over HTTP (Asterisk answers 406 on the socket); with no
    // event connection open, the version is learned over HTTP too instead of failing the download.
    let stub = Stub::scripted([
        Response::json(200, &info_body("22.10.1")).into(),
        Response::empty(200)
            .header("Content-Type", "audio/wav")
            .body(b"RIFF")
            .into(),
    ])
    .await;
    let client = stub.client(|b| b.request_timeout(LIMIT).transport(Transport::WebSocket));
    tokio::time::timeout(LIMIT, client.stored_recording("r1").get_stored_file())
        .await
        .expect("bounded")
        .expect("downloaded over HTTP");
    assert_eq!(
        targets(&stub),
        [
            "GET /ari/asterisk/info?only=system",
            "GET /ari/recordings/stored/r1/file"
        ]
    );
}
