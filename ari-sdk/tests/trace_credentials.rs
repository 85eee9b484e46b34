//! No credential in any log: with everything at TRACE, the `log` crate's records (reqwest, hyper's stack,
//! rustls, tungstenite) bridged into `tracing`, an event-socket connect and a REST call over each transport
//! leave neither the password, its Base64 form, nor the `api_key` parameter in the output.
//!
//! One test in this binary: it installs the process-wide subscriber and the `log` bridge.

#[path = "support/captured.rs"]
mod captured;
mod loopback;

use std::time::Duration;

use ari_sdk::{Client, Transport};
use base64::Engine as _;
use captured::Captured;
use loopback::Loopback;

const USER: &str = "asterisk";
const PASSWORD: &str = "Hunter2-Secret";
const LIMIT: Duration = Duration::from_secs(10);

/// Connects the event socket and makes one REST call, over `transport`, with the credentials in a header or
/// (`api_key`) in the query; over `https` when `ca` is given.
async fn exercise(port: u16, ca: Option<&str>, transport: Transport, api_key: bool) {
    let scheme = if ca.is_some() { "https" } else { "http" };
    let mut builder = Client::builder(format!("{scheme}://localhost:{port}/ari"))
        .request_timeout(LIMIT)
        .transport(transport);
    builder = if api_key {
        builder.api_key(USER, PASSWORD)
    } else {
        builder.basic_auth(USER, PASSWORD)
    };
    if let Some(pem) = ca {
        builder = builder.add_root_certificate_pem(pem.as_bytes().to_vec());
    }
    let client = builder.build().expect("client");
    let events = loopback::events_and_ping(&client, LIMIT, "the traced client").await;
    events.handle().close();
    tokio::time::timeout(LIMIT, events.handle().closed())
        .await
        .expect("closed");
}

#[test]
fn no_credential_is_ever_logged_at_trace() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    tracing_log::LogTracer::init().expect("the only logger");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let plain = Loopback::start(None).await;
        let (tls, ca) = loopback::tls_with_private_ca();
        let secure = Loopback::start(Some(tls)).await;
        for transport in [Transport::Http, Transport::WebSocket] {
            for api_key in [false, true] {
                exercise(plain.port, None, transport, api_key).await;
                exercise(secure.port, Some(&ca), transport, api_key).await;
            }
        }
    });
    log::trace!(target: "bridge_check", "a record of the log crate");
    drop(runtime);

    let output = captured.text();
    // The capture is real: the log bridge, the crate's own spans and the dependencies' records are all in it.
    assert!(
        output.contains("a record of the log crate"),
        "no log bridge"
    );
    assert!(
        output.contains("ari_request"),
        "no request spans:\n{output}"
    );
    assert!(output.contains("transport=\"websocket\"") || output.contains("transport=websocket"));
    assert!(
        output.contains("rustls"),
        "no rustls records (TLS ran):\n{output}"
    );
    assert!(
        output.contains("tungstenite"),
        "no tungstenite records:\n{output}"
    );

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    for secret in [PASSWORD, basic.as_str(), "api_key=asterisk", "api_key="] {
        let leaked: Vec<&str> = output.lines().filter(|l| l.contains(secret)).collect();
        // The redacted form of the events URL (`api_key=***`) is the only mention of the parameter allowed.
        let leaked: Vec<&&str> = leaked
            .iter()
            .filter(|l| secret != "api_key=" || l.replace("api_key=***", "").contains("api_key="))
            .collect();
        assert!(leaked.is_empty(), "`{secret}` logged:\n{leaked:#?}");
    }
}
