//! A stub HTTP/1.1 server on 127.0.0.1 for the contract tests: it records every request
//! exactly as it arrived (method, raw target, headers, body) and answers each with the
//! currently configured reply. Keep-alive connections are served until the client closes them.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the stub answers.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// One request as the stub received it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub method: String,
    /// The request target as sent: raw path and query, still percent-encoded.
    pub target: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
struct State {
    reply: Reply,
    seen: Vec<Seen>,
}

/// A running stub; stops when dropped.
pub(crate) struct Stub {
    url: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Stub {
    /// Starts a stub answering `reply`.
    pub async fn start(reply: Reply) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            reply,
            seen: Vec::new(),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, shared.clone()));
            }
        });
        Stub {
            url: format!("http://{addr}/ari"),
            state,
            task,
        }
    }

    /// The base URL to give the client (`http://127.0.0.1:PORT/ari`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers the following requests with `reply`.
    pub fn set_reply(&self, reply: Reply) {
        self.state.lock().expect("stub state").reply = reply;
    }

    /// The requests received so far, emptying the record.
    pub fn take_seen(&self) -> Vec<Seen> {
        std::mem::take(&mut self.state.lock().expect("stub state").seen)
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn serve(mut conn: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // The head.
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        // The body.
        while buf.len() < length {
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..length).collect();
        let reply = {
            let mut state = state.lock().expect("stub state");
            state.seen.push(Seen {
                method,
                target,
                headers,
                body,
            });
            state.reply.clone()
        };
        let mut response = format!("HTTP/1.1 {} Stub\r\n", reply.status);
        if reply.status != 204 {
            response.push_str(&format!("content-length: {}\r\n", reply.body.len()));
        }
        if let Some(ct) = &reply.content_type {
            response.push_str(&format!("content-type: {ct}\r\n"));
        }
        response.push_str("\r\n");
        let mut bytes = response.into_bytes();
        if reply.status != 204 {
            bytes.extend_from_slice(&reply.body);
        }
        if conn.write_all(&bytes).await.is_err() {
            return;
        }
    }
}
