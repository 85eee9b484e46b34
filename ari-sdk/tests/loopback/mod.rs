//! A loopback stand-in for Asterisk's HTTP server, plain or TLS: REST requests get a `GET /asterisk/ping` answer
//! (`GET /asterisk/info`, which the capability check sends first, an Asterisk 22.10.1 one), and the events
//! upgrade (same port, same connection pool) gets a WebSocket that sends one event and answers every
//! `RESTRequest` the same way in a `RESTResponse`.

mod ca;

use std::sync::Arc;

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _,
};
use tokio_rustls::rustls;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The body of a ping answer.
pub const PING: &str =
    r#"{"asterisk_id":"loopback","ping":"pong","timestamp":"2026-12-01T00:00:00.000+0000"}"#;

/// The body of an info answer (what the capability check reads).
pub const INFO: &str = r#"{"system":{"version":"22.10.1","entity_id":"00:00:00:00:00:01"}}"#;

/// The answer to a request for `path` (below `/ari`, without the query).
fn body_for(path: &str) -> &'static str {
    if path.trim_start_matches('/') == "asterisk/info" {
        INFO
    } else {
        PING
    }
}

/// The event every WebSocket gets first.
pub const EVENT: &str =
    r#"{"type":"LoopbackHello","application":"a","timestamp":"2026-12-01T00:00:00.000+0000"}"#;

/// A running server; stops when dropped.
pub struct Loopback {
    /// Its port on 127.0.0.1.
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Loopback {
    /// Serves plain HTTP, or TLS with `tls`.
    pub async fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Loopback {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        // A client that does not trust the certificate fails here; that is the point.
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                let _ = serve(tls).await;
                            }
                        }
                        None => {
                            let _ = serve(tcp).await;
                        }
                    }
                });
            }
        });
        Loopback { port, task }
    }
}

/// A server configuration for `localhost` whose certificate is signed by a throwaway CA; returns it with the
/// CA's PEM.
pub fn tls_with_private_ca() -> (Arc<rustls::ServerConfig>, String) {
    ca::server_signed_by_a_new_ca(&["localhost"])
}

fn rest_response(request: &Value) -> String {
    json!({
        "type": "RESTResponse", "transaction_id": request["transaction_id"], "request_id": request["request_id"],
        "status_code": 200, "reason_phrase": "OK", "uri": request["uri"], "content_type": "application/json",
        "message_body": body_for(request["uri"].as_str().unwrap_or_default()), "application": "a", "timestamp": "2026-12-01T00:00:00.000+0000"
    })
    .to_string()
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: S) -> std::io::Result<()> {
    let mut reader = tokio::io::BufReader::new(io);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut key = None;
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "sec-websocket-key" => key = Some(value.trim().to_owned()),
                    "content-length" => content_length = value.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body).await?;
        let Some(key) = key else {
            let target = request_line.split(' ').nth(1).unwrap_or_default();
            let path = target.split('?').next().unwrap_or_default();
            let body = body_for(path.strip_prefix("/ari").unwrap_or(path));
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            reader.get_mut().write_all(answer.as_bytes()).await?;
            continue;
        };
        let mut io = reader.into_inner();
        let accept = derive_accept_key(key.as_bytes());
        io.write_all(
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: ari\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
        let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
        ws.send(Message::text(EVENT))
            .await
            .map_err(std::io::Error::other)?;
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else {
                    continue;
                };
                if value["type"] == "RESTRequest" {
                    ws.send(Message::text(rest_response(&value)))
                        .await
                        .map_err(std::io::Error::other)?;
                }
            }
        }
        return Ok(());
    }
}

/// Connects `client`'s event socket to the loopback server and pings over REST, each bounded by `limit`
/// (`what` names the connection in a failure); the event stream, still open.
pub async fn events_and_ping(
    client: &ari_sdk::Client,
    limit: std::time::Duration,
    what: &str,
) -> ari_sdk::events::EventStream {
    let events = tokio::time::timeout(limit, client.events().app("a").connect())
        .await
        .unwrap_or_else(|_| panic!("{what}: the event socket did not connect in time"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let ping = tokio::time::timeout(limit, client.asterisk().ping())
        .await
        .unwrap_or_else(|_| panic!("{what}: no ping answer in time"))
        .unwrap_or_else(|e| panic!("{what}: ping: {e}"));
    assert_eq!(ping.ping, "pong");
    events
}
