//! The fake's network side: HTTP/1.1 requests and the events WebSocket on one loopback port.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use futures::{SinkExt as _, StreamExt as _};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::state::{Reply, State};

/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// The largest request body read.
const MAX_BODY: usize = 1024 * 1024;

/// One parsed HTTP request.
pub(crate) struct HttpRequest {
    pub(crate) method: String,
    /// The path below `/ari`, percent-encoded as sent.
    pub(crate) path: String,
    /// The query's pairs, decoded.
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl HttpRequest {
    /// The first value of query parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `name`, comma-separated values split.
    pub(crate) fn params(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The JSON body, if any.
    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Decodes a query string's pairs (`+` is a space, as form encoding has it).
fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// Accepts connections until the listener fails (it is dropped with the fake's task).
pub(crate) async fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            // Errors end this connection only.
            let _ = connection(stream, state).await;
        });
    }
}

/// Reads one request head; `Ok(None)` when the peer closed.
async fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<Option<usize>> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(end + 4));
        }
        if buffer.len() > MAX_HEAD {
            return Err(std::io::Error::other("request head too large"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn connection(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        let Some(head_len) = read_head(&mut stream, &mut buffer).await? else {
            return Ok(());
        };
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        if !matches!(
            parsed.parse(&buffer[..head_len]),
            Ok(httparse::Status::Complete(_))
        ) {
            write_reply(&mut stream, &Reply::message(400, "Bad request")).await?;
            return Ok(());
        }
        let method = parsed.method.unwrap_or("GET").to_owned();
        let target = parsed.path.unwrap_or("/").to_owned();
        let header_map: HashMap<String, String> = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        buffer.drain(..head_len);
        let length: usize = header_map
            .get("content-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if length > MAX_BODY {
            write_reply(&mut stream, &Reply::message(413, "Request body too large")).await?;
            return Ok(());
        }
        while buffer.len() < length {
            let mut chunk = [0u8; 8192];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let body: Vec<u8> = buffer.drain(..length).collect();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let request = HttpRequest {
            method,
            path: path.strip_prefix("/ari").unwrap_or(path).to_owned(),
            query: decode_query(query),
            headers: header_map,
            body,
        };
        let authorized = authorized(&request, &state);
        let upgrade = request
            .headers
            .get("upgrade")
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        if upgrade && request.path == "/events" {
            if !authorized {
                write_reply(&mut stream, &Reply::message(401, "Authentication required")).await?;
                return Ok(());
            }
            return events_socket(stream, request, state).await;
        }
        let reply = if authorized {
            State::handle(&state, &request)
        } else {
            Reply::message(401, "Authentication required")
        };
        write_reply(&mut stream, &reply).await?;
    }
}

/// Basic credentials or `api_key=user:password`, as the fake was given them.
fn authorized(request: &HttpRequest, state: &Arc<Mutex<State>>) -> bool {
    let (user, password) = {
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.credentials.clone()
    };
    let expected = format!("{user}:{password}");
    if request.param("api_key") == Some(expected.as_str()) {
        return true;
    }
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(&expected)
    );
    request.headers.get("authorization") == Some(&basic)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    if let Some(content_type) = &reply.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nServer: ari-sdk-testkit\r\n\r\n",
        reply.body.len()
    ));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&reply.body).await?;
    stream.flush().await
}

/// The events WebSocket: the applications of `app=` get their events on it until either side closes.
async fn events_socket(
    mut stream: TcpStream,
    request: HttpRequest,
    state: Arc<Mutex<State>>,
) -> std::io::Result<()> {
    let apps = request.params("app");
    let Some(key) = request.headers.get("sec-websocket-key").cloned() else {
        write_reply(&mut stream, &Reply::message(400, "Bad request")).await?;
        return Ok(());
    };
    if apps.is_empty() {
        let reply = Reply::json(400, json!({"message": "Missing parameter app"}));
        write_reply(&mut stream, &reply).await?;
        return Ok(());
    }
    let accept = derive_accept_key(key.trim().as_bytes());
    let protocol = if request
        .headers
        .get("sec-websocket-protocol")
        .is_some_and(|p| p.split(',').any(|t| t.trim() == "ari"))
    {
        "Sec-WebSocket-Protocol: ari\r\n"
    } else {
        ""
    };
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n{protocol}\r\n"
    );
    stream.write_all(response.as_bytes()).await?;
    stream.flush().await?;
    let ws = WebSocketStream::from_raw_socket(stream, Role::Server, None).await;
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let id = State::register(&state, &apps, tx);
    let writer = async {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::text(text)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    };
    let reader = async {
        while let Some(Ok(message)) = source.next().await {
            if message.is_close() {
                break;
            }
        }
    };
    tokio::select! {
        () = writer => {}
        () = reader => {}
    }
    State::unregister(&state, id);
    Ok(())
}
