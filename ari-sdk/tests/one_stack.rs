//! One connection stack: the event socket's upgrade is a request of the client's own HTTP stack, so REST and
//! `wss://` trust the same roots, and the answer to the upgrade is checked like a WebSocket client must.
//! (`cargo xtask native-tls` runs this file with the `native-tls` back end too.)

mod loopback;

use std::time::Duration;

use ari_sdk::events::{EventsBuilder, EventsError, RawEvent, StreamItem};
use ari_sdk::{Client, Error, Transport};
use futures::StreamExt as _;
use loopback::Loopback;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Every wait of these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

/// A server that answers the upgrade with `answer` (after reading the request head).
async fn answering(answer: &'static str) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tcp.write_all(answer.as_bytes()).await;
            // keep the socket open until the client gives up
            let _ = tcp.read(&mut buf).await;
        }
    });
    port
}

async fn connect_error(port: u16) -> EventsError {
    let result = tokio::time::timeout(
        LIMIT,
        EventsBuilder::<RawEvent>::new(format!("http://127.0.0.1:{port}/ari"))
            .app("a")
            .connect(),
    )
    .await
    .expect("bounded");
    result.expect_err("refused")
}

/// Asserts that connecting to `port` fails as a connection error whose message contains `message`.
async fn connect_fails_with(port: u16, message: &str) {
    let err = connect_error(port).await;
    assert!(matches!(err, EventsError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains(message), "{err}");
}

#[tokio::test]
async fn the_upgrade_answer_is_checked() {
    let wrong_accept = answering(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\nSec-WebSocket-Protocol: ari\r\n\r\n",
    )
    .await;
    connect_fails_with(wrong_accept, "Sec-WebSocket-Accept does not match").await;

    // An answer that is not an upgrade at all is a rejection with its status.
    let not_upgraded = answering("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
    let err = connect_error(not_upgraded).await;
    assert_eq!(err.status(), Some(200), "{err:?}");
}

#[tokio::test]
async fn an_upgrade_without_the_ari_subprotocol_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            // A correct WebSocket server that does not speak `ari`: it answers without a subprotocol.
            let _ = tokio_tungstenite::accept_async(tcp).await;
        }
    });
    connect_fails_with(port, "did not accept the `ari` WebSocket subprotocol").await;
}

fn client(port: u16, root: Option<&str>, transport: Transport) -> Client {
    let mut builder = Client::builder(format!("https://localhost:{port}/ari"))
        .basic_auth("asterisk", "secret")
        .request_timeout(LIMIT)
        .transport(transport);
    if let Some(pem) = root {
        builder = builder.add_root_certificate_pem(pem.as_bytes().to_vec());
    }
    builder.build().expect("client")
}

#[tokio::test]
async fn rest_and_wss_trust_the_extra_roots_and_nothing_else() {
    let (tls, ca_pem) = loopback::tls_with_private_ca();
    let server = Loopback::start(Some(tls)).await;

    // With the throwaway CA among the extra roots: REST over HTTPS, the wss event socket, and REST over it.
    let trusting = client(server.port, Some(&ca_pem), Transport::Http);
    let ping = trusting.asterisk().ping().await.expect("REST over https");
    assert_eq!(ping.asterisk_id, "loopback");
    let mut events = tokio::time::timeout(LIMIT, trusting.events().app("a").connect())
        .await
        .expect("bounded")
        .expect("wss with the extra root");
    match tokio::time::timeout(LIMIT, events.next())
        .await
        .expect("an event")
    {
        Some(Ok(StreamItem::Event(event))) => {
            assert_eq!(
                ari_sdk::events::EventPayload::type_name(&event),
                "LoopbackHello"
            )
        }
        other => panic!("{other:?}"),
    }
    events.handle().close();
    let over_ws = client(server.port, Some(&ca_pem), Transport::WebSocket);
    let what = "wss with the extra root, REST over it";
    let events = loopback::events_and_ping(&over_ws, LIMIT, what).await;
    events.handle().close();

    // Without it, both fail the same way: the CA is in no store the back end trusts (webpki roots with rustls,
    // the platform's store with native-tls).
    let untrusting = client(server.port, None, Transport::Http);
    let err = untrusting.asterisk().ping().await.expect_err("untrusted");
    // The first request on the wire is the capability check's `GET /asterisk/info`: it is not sent.
    assert!(
        matches!(&err, Error::CapabilitiesUnknown { source, .. }
            if matches!(&**source, Error::NotSent { .. })),
        "{err:?}"
    );
    let err = tokio::time::timeout(LIMIT, untrusting.events().app("a").connect())
        .await
        .expect("bounded")
        .expect_err("untrusted");
    assert!(matches!(err, EventsError::Connect { .. }), "{err:?}");
    let chain = format!("{:?}", std::error::Error::source(&err));
    assert!(chain.to_lowercase().contains("certificate"), "{chain}");
}
