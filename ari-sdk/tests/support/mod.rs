//! A tiny HTTP/1.1 stub server on 127.0.0.1 for offline transport tests.
//!
//! Hand-written (about 150 lines) rather than a mock-server crate: it records the request
//! exactly as it arrived on the socket (the raw request target, not a re-parsed URL) and can
//! misbehave on purpose (hang, hang up).
//!
//! Each connection serves one request and closes. Every connection task ends by itself within
//! a few seconds, so a test can never leave a server running.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The longest a hanging connection is held open.
const HANG_FOR: Duration = Duration::from_secs(5);
/// The most a stub reads from one connection.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, …
    pub method: String,
    /// The raw request target, e.g. `/ari/channels/a%2Fb/answer?x=1`.
    pub target: String,
    /// Headers in arrival order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// What the stub does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this response.
    Respond(Response),
    /// Read the request, then say nothing (until [`HANG_FOR`] has passed).
    Hang,
    /// Read the request, then close the connection without answering.
    HangUp,
    /// Send the response's head, then its body in `pieces` equal parts with `every` between them.
    Trickle {
        response: Response,
        pieces: usize,
        every: Duration,
    },
    /// Send the response's head and the first `bytes` of its body, then say nothing (until [`HANG_FOR`]
    /// has passed).
    StallAfter { response: Response, bytes: usize },
}

/// A canned HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A response with no body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &str) -> Self {
        Self::empty(status)
            .header("Content-Type", "application/json")
            .body(body.as_bytes())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }
}

impl From<Response> for Reply {
    fn from(response: Response) -> Self {
        Reply::Respond(response)
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// A running stub server; stops when dropped.
pub struct Stub {
    /// `http://127.0.0.1:PORT/ari`.
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    accept: JoinHandle<()>,
}

impl Stub {
    /// A client of this stub as user `asterisk` (password `secret`), configured further by `configure`.
    pub fn client(
        &self,
        configure: impl FnOnce(ari_sdk::ClientBuilder) -> ari_sdk::ClientBuilder,
    ) -> ari_sdk::Client {
        configure(ari_sdk::Client::builder(&self.base_url).basic_auth("asterisk", "secret"))
            .build()
            .expect("client")
    }

    /// Starts a stub answering every request with `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen = requests.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(HANG_FOR * 2, serve(stream, &*handler, &seen)).await;
                });
            }
        });
        Stub {
            base_url: format!("http://127.0.0.1:{port}/ari"),
            requests,
            accept,
        }
    }

    /// Starts a stub giving `replies` in order, one per request (then 599).
    pub async fn scripted(replies: impl IntoIterator<Item = Reply>) -> Self {
        let queue = Mutex::new(replies.into_iter().collect::<VecDeque<_>>());
        Self::start(move |_| {
            queue
                .lock()
                .expect("queue")
                .pop_front()
                .unwrap_or(Reply::Respond(Response::empty(599)))
        })
        .await
    }

    /// Starts a stub giving the same `reply` to every request.
    pub async fn always(reply: impl Into<Reply>) -> Self {
        let reply = reply.into();
        Self::start(move |_| reply.clone()).await
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests").clone()
    }

    /// The one request received so far (panics unless there is exactly one).
    pub fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request: {requests:#?}"
        );
        requests.into_iter().next().expect("one request")
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve(mut stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Recorded>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    seen.lock().expect("requests").push(request.clone());
    match handler(&request) {
        Reply::Respond(response) => {
            let mut out = head(&response);
            out.extend_from_slice(&response.body);
            let _ = stream.write_all(&out).await;
            let _ = stream.shutdown().await;
        }
        Reply::Hang => tokio::time::sleep(HANG_FOR).await,
        Reply::HangUp => {}
        Reply::Trickle {
            response,
            pieces,
            every,
        } => {
            if stream.write_all(&head(&response)).await.is_err() {
                return;
            }
            let size = response.body.len().div_ceil(pieces.max(1)).max(1);
            for piece in response.body.chunks(size) {
                tokio::time::sleep(every).await;
                if stream.write_all(piece).await.is_err() {
                    return;
                }
            }
            let _ = stream.shutdown().await;
        }
        Reply::StallAfter { response, bytes } => {
            let mut out = head(&response);
            out.extend_from_slice(&response.body[..bytes.min(response.body.len())]);
            if stream.write_all(&out).await.is_ok() {
                tokio::time::sleep(HANG_FOR).await;
            }
        }
    }
}

/// The status line and headers of `response`, with its `Content-Length` and `Connection: close`.
fn head(response: &Response) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} Stub\r\n", response.status).into_bytes();
    for (name, value) in &response.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            response.body.len()
        )
        .as_bytes(),
    );
    out
}

/// Reads one request (head and a `Content-Length` body); `None` on anything unexpected.
async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > MAX_REQUEST_BYTES {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?.to_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length && body.len() <= MAX_REQUEST_BYTES {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

/// A `127.0.0.1` URL on which nothing listens (a port that was just free).
pub async fn refused_base_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/ari")
}
