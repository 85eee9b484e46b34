//! A local WebSocket server on 127.0.0.1 standing in for Asterisk's `/ari/events`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// One accepted WebSocket connection and the upgrade request that opened it.
pub struct Accepted {
    pub ws: WebSocketStream<TcpStream>,
    pub uri: String,
    pub headers: HeaderMap,
}

impl Accepted {
    pub async fn send(&mut self, text: impl Into<String>) {
        self.ws
            .send(Message::text(text.into()))
            .await
            .expect("server send");
    }

    /// Reads until a close frame, skipping pings; `true` if one came.
    pub async fn expect_close(&mut self) -> bool {
        while let Some(msg) = self.ws.next().await {
            match msg {
                Ok(Message::Close(_)) => {
                    // reading on sends tungstenite's close reply and sees the end
                    while let Some(Ok(_)) = self.ws.next().await {}
                    return true;
                }
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
        false
    }
}

type Rejection = Option<(u16, String)>;

pub struct TestServer {
    pub addr: SocketAddr,
    accepted: mpsc::UnboundedReceiver<Accepted>,
    reject: Arc<Mutex<Rejection>>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, accepted) = mpsc::unbounded_channel();
        let reject: Arc<Mutex<Rejection>> = Arc::default();
        let reject2 = Arc::clone(&reject);
        let task = tokio::spawn(async move {
            let mut handshakes = tokio::task::JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let tx = tx.clone();
                let reject = reject2.lock().unwrap().clone();
                handshakes.spawn(async move {
                    let mut seen = None;
                    // The callback's signature is tungstenite's; its error type is what it is.
                    #[allow(clippy::result_large_err)]
                    let callback =
                        |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
                            seen = Some((req.uri().to_string(), req.headers().clone()));
                            if let Some((status, body)) = reject {
                                let mut e = ErrorResponse::new(Some(body));
                                *e.status_mut() = StatusCode::from_u16(status).unwrap();
                                return Err(e);
                            }
                            resp.headers_mut()
                                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("ari"));
                            Ok(resp)
                        };
                    if let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await {
                        let (uri, headers) = seen.unwrap();
                        let _ = tx.send(Accepted { ws, uri, headers });
                    }
                });
            }
        });
        TestServer {
            addr,
            accepted,
            reject,
            task,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/ari", self.addr)
    }

    /// Answers later upgrade requests with this HTTP status and body.
    pub fn reject_with(&self, status: u16, body: &str) {
        *self.reject.lock().unwrap() = Some((status, body.to_owned()));
    }

    /// Accepts later upgrade requests again.
    pub fn accept_all(&self) {
        *self.reject.lock().unwrap() = None;
    }

    /// The next accepted connection.
    pub async fn accept(&mut self) -> Accepted {
        tokio::time::timeout(Duration::from_secs(30), self.accepted.recv())
            .await
            .expect("no connection within 30 s")
            .expect("server task alive")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A handshake callback that accepts with the `ari` subprotocol.
// The callback's signature is tungstenite's; its error type is what it is.
#[allow(clippy::result_large_err)]
pub fn answer_ari(_: &Request, mut resp: Response) -> Result<Response, ErrorResponse> {
    resp.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("ari"));
    Ok(resp)
}

/// The real events of a call flow recorded from Asterisk 22.10.1.
pub fn fixture_lines() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/asterisk-22.10.1/events.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("shared fixtures beside the repository")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// A wss server of [`wss_server`].
#[allow(dead_code, reason = "not every test crate reads every field")]
pub struct WssServer {
    pub port: u16,
    /// Its certificate, PEM.
    pub pem: Vec<u8>,
    /// Its certificate, DER.
    pub cert: tokio_rustls::rustls::pki_types::CertificateDer<'static>,
    /// Ends once it has served every connection and each was closed.
    pub task: JoinHandle<()>,
}

/// A wss server on 127.0.0.1 with a throwaway self-signed certificate for `localhost`; serves
/// `connections` successful handshakes (failed TLS handshakes do not count), sending `first` on
/// each and keeping it open until the client closes it.
#[allow(dead_code, reason = "used by the TLS tests of some test crates only")]
pub async fn wss_server(connections: usize, first: &str) -> WssServer {
    use tokio_rustls::rustls;

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = certified.cert.pem().into_bytes();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let first = first.to_owned();
    let task = tokio::spawn(async move {
        let mut served = 0;
        let mut open = Vec::new();
        while served < connections {
            let (tcp, _) = listener.accept().await.unwrap();
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let mut ws = tokio_tungstenite::accept_hdr_async(tls, answer_ari)
                .await
                .unwrap();
            ws.send(Message::text(first.clone())).await.unwrap();
            served += 1;
            open.push(tokio::spawn(async move {
                while let Some(Ok(_)) = ws.next().await {}
            }));
        }
        for task in open {
            let _ = task.await;
        }
    });
    WssServer {
        port,
        pem,
        cert,
        task,
    }
}
