//! The outbound listener against a local stand-in for Asterisk's WebSocket client: what is accepted, what is
//! refused and how, and a connection's client and events. (Asterisk's own behaviour is tested live in `tests/`.)

use std::time::Duration;

use ari_sdk::events::StreamItem;
use ari_sdk::outbound::{Connection, Listener};
use ari_sdk::{Error, Event};
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

#[allow(
    dead_code,
    reason = "the support module serves several test binaries; this one uses part of it"
)]
mod events_support;

use events_support::assert_quiet;

/// How long nothing must happen where nothing may.
const QUIET: Duration = Duration::from_millis(200);
/// Every wait of these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

type Peer =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn listener() -> Listener {
    Listener::builder("127.0.0.1:0")
        .basic_auth("asterisk", "s3cret")
        .request_timeout(LIMIT)
        .bind()
        .await
        .expect("bind")
}

/// Connects like Asterisk does: `Authorization: Basic`, subprotocol `ari`.
async fn dial(
    listener: &Listener,
    password: &str,
) -> Result<Peer, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}/outbound-app", listener.local_addr())
        .into_client_request()
        .unwrap();
    let token = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("asterisk:{password}"),
    );
    let headers = request.headers_mut();
    headers.insert(
        "Authorization",
        HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
    );
    headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static("ari"));
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

async fn accept(listener: &mut Listener) -> Connection {
    tokio::time::timeout(LIMIT, listener.accept())
        .await
        .expect("accepted in time")
        .expect("listener open")
}

/// Sends raw bytes and returns the status line of the answer.
async fn raw(listener: &Listener, bytes: &[u8]) -> String {
    let mut tcp = tokio::net::TcpStream::connect(listener.local_addr())
        .await
        .unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(LIMIT, tcp.read_to_end(&mut answer))
        .await
        .expect("answered and closed in time")
        .unwrap();
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn upgrade_head(extra: &str) -> Vec<u8> {
    format!(
        "GET /x HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_connection_carries_events_and_rest_and_ends_when_asterisk_closes() {
    let mut listener = listener().await;
    let mut peer = dial(&listener, "s3cret").await.expect("upgrade accepted");
    let mut connection = accept(&mut listener).await;
    assert_eq!(connection.path(), "/outbound-app");
    assert_eq!(listener.stats().accepted, 1);

    let start = json!({
        "type": "StasisStart", "application": "outapp:PJSIP/alice-00000001", "timestamp": "2026-12-01T00:00:00.000+0000",
        "args": [], "channel": {"id": "c1", "name": "PJSIP/alice-00000001", "state": "Ring", "protocol_id": "",
        "caller": {"name": "", "number": ""}, "connected": {"name": "", "number": ""}, "accountcode": "",
        "dialplan": {"context": "x", "exten": "s", "priority": 1, "app_name": "Stasis", "app_data": "outapp"},
        "creationtime": "2026-12-01T00:00:00.000+0000", "language": "en"}
    });
    peer.send(Message::text(start.to_string())).await.unwrap();
    let item = tokio::time::timeout(LIMIT, connection.events().next())
        .await
        .expect("event");
    match item {
        Some(Ok(StreamItem::Event(Event::StasisStart(start)))) => {
            assert_eq!(start.channel.id, "c1")
        }
        other => panic!("{other:?}"),
    }

    // REST over the connection: answered by the peer like Asterisk does.
    let client = connection.client().clone();
    let channel_events = client.channel("c1").events();
    let answer = tokio::spawn(async move { client.channel("c1").answer().await });
    // The capability check learns the server's version first, over the same connection.
    let info = next_request(&mut peer).await;
    assert_eq!(
        (info["method"].as_str(), info["uri"].as_str()),
        (Some("GET"), Some("asterisk/info"))
    );
    let reply = json!({
        "type": "RESTResponse", "transaction_id": info["transaction_id"], "request_id": info["request_id"],
        "status_code": 200, "reason_phrase": "OK", "uri": info["uri"], "content_type": "application/json",
        "message_body": json!({"system": {"version": "22.10.1"}}).to_string(),
        "application": "outapp", "timestamp": "2026-12-01T00:00:00.000+0000"
    });
    peer.send(Message::text(reply.to_string())).await.unwrap();
    let request = next_request(&mut peer).await;
    assert_eq!(request["type"], "RESTRequest");
    assert_eq!(
        (request["method"].as_str(), request["uri"].as_str()),
        (Some("POST"), Some("channels/c1/answer"))
    );
    let reply = json!({
        "type": "RESTResponse", "transaction_id": request["transaction_id"], "request_id": request["request_id"],
        "status_code": 204, "reason_phrase": "No Content", "uri": request["uri"],
        "application": "outapp", "timestamp": "2026-12-01T00:00:00.000+0000"
    });
    peer.send(Message::text(reply.to_string())).await.unwrap();
    tokio::time::timeout(LIMIT, answer)
        .await
        .expect("answered in time")
        .unwrap()
        .expect("204");
    drop(channel_events);

    // A binary download cannot travel over the socket, and there is no HTTP endpoint.
    let err = connection
        .client()
        .stored_recording("r")
        .get_stored_file()
        .await
        .expect_err("no HTTP");
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");

    // Asterisk closes (a per-call connection after StasisEnd): the stream ends without an error.
    peer.close(None).await.unwrap();
    let end = tokio::time::timeout(LIMIT, async {
        loop {
            match connection.events().next().await {
                None => return None,
                Some(Err(e)) => return Some(e),
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .expect("the stream ended");
    assert!(end.is_none(), "{end:?}");
    let open = ari_live_free_poll(|| listener.stats().open == 0).await;
    assert!(open, "the slot was not given back: {:?}", listener.stats());
}

/// Polls `done` every 10 ms for at most [`LIMIT`].
async fn ari_live_free_poll(done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test]
async fn wrong_credentials_missing_subprotocol_and_garbage_are_refused_and_nothing_else() {
    let mut listener = listener().await;
    let err = dial(&listener, "wrong").await.expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => assert_eq!(response.status(), 401),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        raw(&listener, &upgrade_head("")).await,
        "HTTP/1.1 401 Unauthorized"
    );
    let no_protocol = upgrade_head("Authorization: Basic YXN0ZXJpc2s6czNjcmV0\r\n");
    assert_eq!(
        raw(&listener, &no_protocol).await,
        "HTTP/1.1 400 Bad Request"
    );
    assert_eq!(
        raw(&listener, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").await,
        "HTTP/1.1 400 Bad Request"
    );
    assert_eq!(
        raw(&listener, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await,
        "HTTP/1.1 400 Bad Request"
    );
    let stats = listener.stats();
    assert_eq!(
        (
            stats.unauthorized,
            stats.bad_requests,
            stats.accepted,
            stats.open
        ),
        (2, 3, 0, 0),
        "{stats:?}"
    );
    // Nothing reached the application.
    assert_quiet(QUIET, listener.accept(), "a refused connection got through").await;
}

#[tokio::test]
async fn connections_beyond_the_limit_get_503() {
    let mut listener = Listener::builder("127.0.0.1:0")
        .max_connections(1)
        .bind()
        .await
        .unwrap();
    let first = dial(&listener, "any").await.expect("first accepted");
    let connection = accept(&mut listener).await;
    match dial(&listener, "any").await.expect_err("over the limit") {
        tokio_tungstenite::tungstenite::Error::Http(response) => assert_eq!(response.status(), 503),
        other => panic!("{other:?}"),
    }
    assert_eq!(listener.stats().over_limit, 1);
    // Once the first is over, there is room again.
    drop(first);
    drop(connection);
    assert!(
        ari_live_free_poll(|| listener.stats().open == 0).await,
        "{:?}",
        listener.stats()
    );
    let _again = dial(&listener, "any").await.expect("room again");
    let _connection = accept(&mut listener).await;
}

#[tokio::test]
async fn tls_listener() {
    use std::sync::Arc;
    let events_support::SelfSigned {
        cert,
        server_config,
        ..
    } = events_support::self_signed();
    let mut listener = Listener::builder("127.0.0.1:0")
        .basic_auth("asterisk", "s3cret")
        .tls(Arc::new(server_config))
        .bind()
        .await
        .unwrap();
    let client = events_support::trusting(cert);
    let mut request = format!("wss://localhost:{}/tls", listener.local_addr().port())
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_static("Basic YXN0ZXJpc2s6czNjcmV0"),
    );
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("ari"));
    let (_peer, _) = tokio_tungstenite::connect_async_tls_with_config(
        request,
        None,
        false,
        Some(tokio_tungstenite::Connector::Rustls(Arc::new(client))),
    )
    .await
    .expect("wss upgrade");
    let connection = accept(&mut listener).await;
    assert_eq!(connection.path(), "/tls");
    // A plain-text peer on the TLS port fails the handshake, counted, nothing else.
    let answer = raw(&listener, &upgrade_head("")).await;
    assert!(!answer.starts_with("HTTP/"), "{answer:?}");
    assert!(ari_live_free_poll(|| listener.stats().failed_handshakes == 1).await);
}

/// The next text message `peer` receives, as JSON (pings skipped), within [`LIMIT`].
async fn next_request<S, E>(peer: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, E>> + Unpin,
    E: std::fmt::Debug,
{
    loop {
        match tokio::time::timeout(LIMIT, peer.next())
            .await
            .expect("a request")
        {
            Some(Ok(Message::Text(text))) => break serde_json::from_str(text.as_str()).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    }
}
