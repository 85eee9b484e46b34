//! The SDK against bare `reqwest`, on the same requests to the live Asterisk, interleaved.
//!
//! `cargo xtask bench-live` (or `cargo bench -p ari-live-tests --bench live`, with the
//! sandbox up: `cargo xtask asterisk up`) sends, round after round, the same two workloads
//! through both: `GET /asterisk/info`, and a bridge created and destroyed
//! (`POST /bridges?type=mixing` + `DELETE /bridges/{id}`). Both share one `reqwest::Client`
//! (so one keep-alive connection, served by one Asterisk thread), set the same request timeout
//! and decode the same typed models, so the difference is the SDK's own work (request
//! description, percent-encoding, tracing span, boxed future, error mapping). Calls alternate
//! one by one, each pair in alternating order, and are timed one by one; the report gives each
//! side's requests per second, the ratio of total times SDK / bare (target ≤ 1.05) and the
//! ratio of median call times (robust against a noisy machine). No thresholds: it prints, it
//! does not judge.
//!
//! Then the same two workloads through the SDK over its two transports, interleaved the same way: HTTP
//! against REST over WebSocket (`Transport::WebSocket`, every request a `RESTRequest` on the event
//! socket of an application of its own), with both rates and the ratio WebSocket / HTTP.

use std::time::{Duration, Instant};

use ari_live_tests::Target;
use ari_sdk::enums::BridgeType;
use ari_sdk::models::{AsteriskInfo, Bridge};

/// Pairs of `GET /asterisk/info` (one through each side, in alternating order).
const INFO_PAIRS: usize = 4000;
/// Pairs of bridge create+destroy cycles.
const BRIDGE_PAIRS: usize = 1500;
/// The per-request timeout both sides set (the SDK's default).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Bare {
    http: reqwest::Client,
    base: String,
    authorization: reqwest::header::HeaderValue,
}

impl Bare {
    async fn info(&self) -> AsteriskInfo {
        let response = self
            .http
            .get(format!("{}/asterisk/info", self.base))
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .expect("GET /asterisk/info");
        assert!(response.status().is_success());
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("AsteriskInfo")
    }

    async fn bridge_cycle(&self) {
        let response = self
            .http
            .post(format!("{}/bridges?type=mixing", self.base))
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .expect("POST /bridges");
        assert!(response.status().is_success());
        let bridge: Bridge =
            serde_json::from_slice(&response.bytes().await.expect("body")).expect("Bridge");
        let response = self
            .http
            .delete(format!("{}/bridges/{}", self.base, bridge.id))
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .expect("DELETE /bridges/{id}");
        assert_eq!(response.status().as_u16(), 204);
        let _ = response.bytes().await;
    }
}

async fn sdk_info(client: &ari_sdk::Client) -> AsteriskInfo {
    client.asterisk().get_info().await.expect("getInfo")
}

async fn sdk_bridge_cycle(client: &ari_sdk::Client) {
    let bridge = client
        .bridges()
        .create()
        .kind([BridgeType::Mixing])
        .await
        .expect("bridges create");
    client.bridge(&bridge.id).destroy().await.expect("destroy");
}

/// One workload's timings: every call through each side, measured one by one.
#[derive(Default)]
struct Workload {
    requests_per_call: usize,
    /// The side the ratio is about (the SDK; REST over WebSocket).
    sdk: Vec<Duration>,
    /// The side it is compared with (bare reqwest; the SDK over HTTP).
    bare: Vec<Duration>,
}

impl Workload {
    fn report(&mut self, name: &str) {
        self.report_as(name, "SDK", "bare reqwest", "SDK/bare");
    }

    fn report_as(&mut self, name: &str, first: &str, second: &str, ratio: &str) {
        let total = |times: &[Duration]| times.iter().sum::<Duration>().as_secs_f64();
        let median = |times: &mut Vec<Duration>| {
            times.sort();
            times[times.len() / 2].as_secs_f64()
        };
        let requests = (self.requests_per_call * self.sdk.len()) as f64;
        let (sdk, bare) = (total(&self.sdk), total(&self.bare));
        let (sdk_median, bare_median) = (median(&mut self.sdk), median(&mut self.bare));
        println!(
            "bench-live {name:<22} {first} {:>6.0} req/s  {second} {:>6.0} req/s  ratio {ratio} {:.3}x \
             (median call {:.1} µs vs {:.1} µs: {:.3}x)",
            requests / sdk,
            requests / bare,
            sdk / bare,
            sdk_median * 1e6,
            bare_median * 1e6,
            sdk_median / bare_median,
        );
    }
}

/// Runs `pairs` pairs of `first` and `second` (alternating which goes first), each call timed.
async fn interleave<F, G, Fa, Fb>(
    pairs: usize,
    requests_per_call: usize,
    first: F,
    second: G,
) -> Workload
where
    F: Fn() -> Fa,
    G: Fn() -> Fb,
    Fa: std::future::Future<Output = ()>,
    Fb: std::future::Future<Output = ()>,
{
    let mut workload = Workload {
        requests_per_call,
        ..Workload::default()
    };
    for pair in 0..pairs {
        for first_turn in [pair % 2 == 0, pair % 2 == 1] {
            let started = Instant::now();
            if first_turn {
                first().await;
                workload.sdk.push(started.elapsed());
            } else {
                second().await;
                workload.bare.push(started.elapsed());
            }
        }
    }
    workload
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let target = Target::from_env();
    // One reqwest::Client, so one pool: both sides take turns on the same keep-alive
    // connection (and so the same Asterisk HTTP thread).
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client");
    let client = ari_sdk::Client::builder(&target.url)
        .basic_auth(&target.user, &target.password)
        .http_client(http.clone())
        .build()
        .expect("SDK client");
    let credentials = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", target.user, target.password),
    );
    let bare = Bare {
        http,
        base: target.url.clone(),
        authorization: reqwest::header::HeaderValue::from_str(&format!("Basic {credentials}"))
            .expect("header"),
    };
    println!(
        "bench-live: {} against {} ({INFO_PAIRS} GET /asterisk/info and {BRIDGE_PAIRS} bridge create+destroy per side, interleaved call by call)",
        env!("CARGO_PKG_NAME"),
        target.url
    );

    // Warm up both pools and Asterisk.
    for _ in 0..50 {
        sdk_info(&client).await;
        bare.info().await;
        sdk_bridge_cycle(&client).await;
        bare.bridge_cycle().await;
    }

    let mut info = interleave(
        INFO_PAIRS,
        1,
        || async { drop(std::hint::black_box(sdk_info(&client).await)) },
        || async { drop(std::hint::black_box(bare.info().await)) },
    )
    .await;
    let mut bridges = interleave(
        BRIDGE_PAIRS,
        2,
        || sdk_bridge_cycle(&client),
        || bare.bridge_cycle(),
    )
    .await;
    info.report("GET /asterisk/info");
    bridges.report("bridge create+destroy");

    // The SDK over its two transports: HTTP (the client above) and REST over WebSocket.
    let websocket = ari_sdk::Client::builder(&target.url)
        .basic_auth(&target.user, &target.password)
        .transport(ari_sdk::Transport::WebSocket)
        .build()
        .expect("SDK client over WebSocket");
    let app = format!("{}-bench-live-{}", target.app_prefix, std::process::id());
    let events = websocket
        .events()
        .app(&app)
        .connect()
        .await
        .expect("the event socket that carries REST");
    for _ in 0..50 {
        sdk_info(&websocket).await;
        sdk_bridge_cycle(&websocket).await;
    }
    let mut info = interleave(
        INFO_PAIRS,
        1,
        || async { drop(std::hint::black_box(sdk_info(&websocket).await)) },
        || async { drop(std::hint::black_box(sdk_info(&client).await)) },
    )
    .await;
    let mut bridges = interleave(
        BRIDGE_PAIRS,
        2,
        || sdk_bridge_cycle(&websocket),
        || sdk_bridge_cycle(&client),
    )
    .await;
    info.report_as(
        "GET /asterisk/info",
        "REST over WebSocket",
        "HTTP",
        "WebSocket/HTTP",
    );
    bridges.report_as(
        "bridge create+destroy",
        "REST over WebSocket",
        "HTTP",
        "WebSocket/HTTP",
    );
    events.handle().close();
}
