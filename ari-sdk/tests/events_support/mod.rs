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
    let SelfSigned {
        pem,
        cert,
        server_config,
    } = self_signed();
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

/// A throwaway self-signed certificate for `localhost` and a rustls server configuration serving it.
pub struct SelfSigned {
    /// The certificate, PEM.
    pub pem: Vec<u8>,
    /// The certificate, DER.
    pub cert: tokio_rustls::rustls::pki_types::CertificateDer<'static>,
    /// A server configuration with that certificate and no client authentication.
    pub server_config: tokio_rustls::rustls::ServerConfig,
}

/// A new [`SelfSigned`] certificate and server configuration.
pub fn self_signed() -> SelfSigned {
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
    SelfSigned {
        pem,
        cert,
        server_config,
    }
}

/// A rustls client configuration that trusts exactly `cert` (a test server's self-signed certificate).
#[allow(dead_code, reason = "used by the TLS tests of some test crates only")]
pub fn trusting(
    cert: tokio_rustls::rustls::pki_types::CertificateDer<'static>,
) -> tokio_rustls::rustls::ClientConfig {
    use tokio_rustls::rustls;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Asserts that `pending` (the next item of a stream, the next connection, …) does not complete
/// within `quiet`; `what` says what must not happen.
#[allow(dead_code, reason = "not every test crate waits for silence")]
pub async fn assert_quiet(quiet: Duration, pending: impl std::future::IntoFuture, what: &str) {
    assert!(
        tokio::time::timeout(quiet, pending).await.is_err(),
        "{what}"
    );
}

/// What the spawned `task` returned; it must end within `limit` and not panic.
#[allow(dead_code, reason = "not every test crate spawns its calls")]
pub async fn joined<T>(limit: Duration, task: JoinHandle<T>) -> T {
    tokio::time::timeout(limit, task)
        .await
        .expect("the task did not end in time")
        .expect("the task panicked")
}

/// A connection of `probe-app` to `server`, with the default settings.
#[allow(dead_code, reason = "not every test crate connects this way")]
pub async fn probe_app<E: ari_sdk::events::EventPayload>(
    server: &TestServer,
) -> ari_sdk::events::EventStream<E> {
    ari_sdk::events::EventsBuilder::<E>::new(server.base_url())
        .app("probe-app")
        .connect()
        .await
        .expect("connect")
}

/// A reconnect policy that retries within tens of milliseconds, for tests.
#[allow(dead_code, reason = "not every test crate reconnects")]
pub fn fast_reconnect() -> ari_sdk::events::ReconnectPolicy {
    ari_sdk::events::ReconnectPolicy::default()
        .initial_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(40))
        .jitter(0.0)
}

/// A connection to `server` for `probe-app` that reconnects fast.
#[allow(dead_code, reason = "not every test crate connects this way")]
pub async fn connected(
    server: &TestServer,
) -> ari_sdk::events::EventStream<ari_sdk::events::RawEvent> {
    ari_sdk::events::EventsBuilder::<ari_sdk::events::RawEvent>::new(server.base_url())
        .app("probe-app")
        .reconnect(fast_reconnect())
        .connect()
        .await
        .expect("connect")
}
