//! A SIP peer of the test's own on a UDP socket on 127.0.0.1, for watching what Asterisk puts
//! on the wire (MESSAGE, REFER, OPTIONS) and for making a contact reachable or not.
//!
//! The live suite creates a PJSIP endpoint whose AOR's contact is this socket (through ARI's
//! dynamic configuration, see [`SipPeer::register_endpoint`]); Asterisk then sends its requests
//! for that endpoint here. The peer answers each request with the status set by
//! [`SipPeer::answer_with`] (200 by default; `None`: stay silent, so qualify fails) and keeps
//! every request it received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;

/// One SIP request as received.
#[derive(Debug, Clone)]
pub struct SipRequest {
    /// The method (`MESSAGE`, `REFER`, `OPTIONS`, …).
    pub method: String,
    /// The request URI.
    pub uri: String,
    /// Header lines as `(name, value)`, in order.
    pub headers: Vec<(String, String)>,
    /// The body (after the blank line).
    pub body: String,
}

impl SipRequest {
    /// The first header called `name` (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn parse(text: &str) -> Option<SipRequest> {
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let method = first.next()?.to_owned();
        let uri = first.next()?.to_owned();
        if first.next()? != "SIP/2.0" {
            return None;
        }
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Some(SipRequest {
            method,
            uri,
            headers,
            body: body.to_owned(),
        })
    }

    /// A response to this request with `status` (no body).
    fn response(&self, status: u16) -> String {
        let reason = match status {
            200 => "OK",
            202 => "Accepted",
            404 => "Not Found",
            _ => "Whatever",
        };
        let mut out = format!("SIP/2.0 {status} {reason}\r\n");
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            let value = if lower == "to" && !value.contains(";tag=") {
                format!("{value};tag=ari-sdk-peer")
            } else {
                value.clone()
            };
            if ["via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"]
                .contains(&lower.as_str())
            {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str("Content-Length: 0\r\n\r\n");
        out
    }
}

#[derive(Default)]
struct Shared {
    answer: Option<u16>,
    received: Vec<SipRequest>,
}

/// A SIP user agent on a UDP socket of 127.0.0.1 that answers every request and records it.
pub struct SipPeer {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl SipPeer {
    /// Binds a free UDP port on 127.0.0.1 and starts answering (200 to everything).
    pub async fn start() -> SipPeer {
        let socket = UdpSocket::bind(("127.0.0.1", 0))
            .await
            .expect("binding a UDP socket for the SIP peer");
        let port = socket.local_addr().expect("local address").port();
        let shared = Arc::new(Mutex::new(Shared {
            answer: Some(200),
            received: Vec::new(),
        }));
        let state = shared.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            loop {
                let Ok((len, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let text = String::from_utf8_lossy(&buf[..len]).into_owned();
                let Some(request) = SipRequest::parse(&text) else {
                    continue;
                };
                let answer = {
                    let mut state = state.lock().expect("peer state");
                    state.received.push(request.clone());
                    state.answer
                };
                if let Some(status) = answer {
                    let _ = socket
                        .send_to(request.response(status).as_bytes(), from)
                        .await;
                }
            }
        });
        SipPeer { port, shared, task }
    }

    /// The UDP port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The SIP URI of this peer for user `user`.
    pub fn contact(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.port)
    }

    /// From now on answer every request with `status`, or (None) with nothing at all.
    pub fn answer_with(&self, status: Option<u16>) {
        self.shared.lock().expect("peer state").answer = status;
    }

    /// Waits up to `timeout` for a request with `method` that satisfies `matches`; panics naming
    /// what was received instead.
    pub async fn wait_for(
        &self,
        method: &str,
        timeout: Duration,
        matches: impl Fn(&SipRequest) -> bool,
    ) -> SipRequest {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let state = self.shared.lock().expect("peer state");
                if let Some(found) = state
                    .received
                    .iter()
                    .find(|r| r.method == method && matches(r))
                {
                    return found.clone();
                }
                if tokio::time::Instant::now() >= deadline {
                    let seen: Vec<String> = state
                        .received
                        .iter()
                        .map(|r| format!("{} {}", r.method, r.uri))
                        .collect();
                    panic!(
                        "the SIP peer on 127.0.0.1:{} received no matching {method} within \
                         {timeout:?}; it received: {seen:?}",
                        self.port
                    );
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SipPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_and_answers_it() {
        let text = "MESSAGE sip:probe@127.0.0.1:5 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6;branch=z9\r\n\
                    From: <sip:a@x>;tag=1\r\nTo: <sip:probe@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 7 MESSAGE\r\n\
                    X-Probe: yes\r\nContent-Length: 5\r\n\r\nhello";
        let request = SipRequest::parse(text).unwrap();
        assert_eq!(request.method, "MESSAGE");
        assert_eq!(request.header("x-probe"), Some("yes"));
        assert_eq!(request.body, "hello");
        let response = request.response(202);
        assert!(response.starts_with("SIP/2.0 202 Accepted\r\n"));
        assert!(response.contains("To: <sip:probe@127.0.0.1>;tag=ari-sdk-peer\r\n"));
        assert!(response.contains("CSeq: 7 MESSAGE\r\n"));
        assert!(!response.contains("X-Probe"));
        assert!(SipRequest::parse("SIP/2.0 200 OK\r\n\r\n").is_none());
    }
}
