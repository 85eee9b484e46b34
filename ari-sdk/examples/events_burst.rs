//! Burst measurement: how many events per second one events connection sustains.
//!
//! Local mode (default): a WebSocket server on 127.0.0.1 sends the recorded Asterisk 22.10.1 events (cycled) as
//! fast as it can; the SDK decodes and fans them out.
//!
//! ```text
//! cargo run --release -p ari-sdk --example events_burst -- [events=200000] [extra_subscribers=0]
//! ```
//!
//! Live mode (`ARI_URL=http://127.0.0.1:8088/ari`, `ARI_USER`, `ARI_PASSWORD`; loopback only): registers an
//! application on the events socket, then generates `ChannelUserevent`s with pipelined
//! `POST /ari/events/user/burst?application=...` requests over a few keep-alive connections, and measures how
//! fast they arrive.
//!
//! Prints events/s, and any loss the stream reported (lag, gaps). Uses `RawEvent`; swap in the generated `Event`
//! to measure typed decoding.

use std::time::{Duration, Instant};

use ari_sdk::events::{EventStream, EventsBuilder, RawEvent, StreamItem};
use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/asterisk-22.10.1/events.jsonl"
);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let total: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200_000);
    let extra: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(0);
    match std::env::var("ARI_URL") {
        Ok(url) => live(&url, total).await,
        Err(_) => local(total, extra).await,
    }
}

struct Tally {
    events: u64,
    lagged: u64,
    gaps: u32,
    errors: u64,
}

/// Reads until `total` events (counting lag as delivered-or-lost) or `limit`.
async fn consume(
    stream: &mut EventStream<RawEvent>,
    total: u64,
    limit: Duration,
    want: impl Fn(&RawEvent) -> bool,
) -> Tally {
    let mut t = Tally {
        events: 0,
        lagged: 0,
        gaps: 0,
        errors: 0,
    };
    let deadline = tokio::time::Instant::now() + limit;
    while t.events + t.lagged < total {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) | Ok(None) => break,
            Ok(Some(Ok(StreamItem::Event(e)))) => {
                if want(&e) {
                    t.events += 1;
                }
            }
            Ok(Some(Ok(StreamItem::Lagged { missed }))) => t.lagged += missed,
            Ok(Some(Ok(StreamItem::Gap(_)))) => t.gaps += 1,
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) => t.errors += 1,
        }
    }
    t
}

fn report(label: &str, t: &Tally, elapsed: Duration) {
    println!(
        "{label}: {} events in {:.3} s = {:.0} events/s (lagged {}, gaps {}, errors {})",
        t.events,
        elapsed.as_secs_f64(),
        t.events as f64 / elapsed.as_secs_f64(),
        t.lagged,
        t.gaps,
        t.errors
    );
}

async fn local(total: u64, extra: usize) -> Result<(), Box<dyn std::error::Error>> {
    let lines: Vec<String> = std::fs::read_to_string(FIXTURE)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let bytes: usize = lines.iter().map(String::len).sum();
    println!(
        "local burst: {total} events cycled from {} recorded ones (avg {} bytes), {extra} extra subscriber(s)",
        lines.len(),
        bytes / lines.len().max(1)
    );
    // the decoding share of the cost: the same messages decoded without any socket
    let start = Instant::now();
    for i in 0..total as usize {
        let _ = std::hint::black_box(<RawEvent as ari_sdk::events::EventPayload>::decode(
            &lines[i % lines.len()],
        ));
    }
    let elapsed = start.elapsed();
    println!(
        "decode only: {total} events in {:.3} s = {:.0} events/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut ws = tokio_tungstenite::accept_hdr_async(tcp, answer_ari).await?;
        let _ = go_rx.await;
        for i in 0..total as usize {
            ws.feed(tokio_tungstenite::tungstenite::Message::text(
                lines[i % lines.len()].clone(),
            ))
            .await?;
        }
        ws.flush().await?;
        // keep the connection until the client closes it
        while let Some(Ok(_)) = ws.next().await {}
        Ok::<_, tokio_tungstenite::tungstenite::Error>(())
    });

    let mut events = EventsBuilder::<RawEvent>::new(format!("http://{addr}/ari"))
        .app("burst")
        .buffer_capacity(65_536)
        .connect()
        .await?;
    let handle = events.handle().clone();
    let others: Vec<_> = (0..extra)
        .map(|_| {
            let mut s = handle.subscribe();
            tokio::spawn(
                async move { consume(&mut s, total, Duration::from_secs(120), |_| true).await },
            )
        })
        .collect();
    let start = Instant::now();
    let _ = go_tx.send(());
    let tally = consume(&mut events, total, Duration::from_secs(120), |_| true).await;
    report("main subscriber", &tally, start.elapsed());
    for (i, o) in others.into_iter().enumerate() {
        let t = o.await?;
        report(&format!("extra subscriber {i}"), &t, start.elapsed());
    }
    handle.close();
    drop(events);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    Ok(())
}

async fn live(url: &str, total: u64) -> Result<(), Box<dyn std::error::Error>> {
    use base64::Engine as _;
    let user = std::env::var("ARI_USER").unwrap_or_else(|_| "asterisk".into());
    let pass = std::env::var("ARI_PASSWORD").unwrap_or_else(|_| "asterisk".into());
    let rest = url
        .strip_prefix("http://")
        .ok_or("live mode needs an http:// ARI_URL")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, "ari"));
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err("live mode only targets a loopback ARI_URL".into());
    }
    let app = format!("burst-{}", ari_sdk::events::unique_id());
    let mut events = EventsBuilder::<RawEvent>::new(url)
        .app(app.as_str())
        .basic_auth(user.as_str(), pass.as_str())
        .buffer_capacity(65_536)
        .connect()
        .await?;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    const CONNECTIONS: u64 = 4;
    const BATCH: u64 = 100;
    println!("live burst: {total} user events to {app} over {CONNECTIONS} pipelined connections");
    let start = Instant::now();
    let mut senders = Vec::new();
    for c in 0..CONNECTIONS {
        let share = total / CONNECTIONS + u64::from(c < total % CONNECTIONS);
        let request = format!(
            "POST /{path}/events/user/burst?application={app} HTTP/1.1\r\nHost: {authority}\r\n\
             Authorization: Basic {auth}\r\nContent-Length: 0\r\n\r\n"
        );
        let authority = authority.to_owned();
        senders.push(tokio::spawn(async move {
            let tcp = TcpStream::connect(authority.as_str()).await?;
            let (r, mut w) = tcp.into_split();
            let mut r = BufReader::new(r);
            let mut sent = 0;
            let mut failed = 0u64;
            while sent < share {
                let n = BATCH.min(share - sent);
                w.write_all(request.repeat(n as usize).as_bytes()).await?;
                for _ in 0..n {
                    if read_status(&mut r).await? >= 300 {
                        failed += 1;
                    }
                }
                sent += n;
            }
            Ok::<_, std::io::Error>(failed)
        }));
    }
    let tally = consume(&mut events, total, Duration::from_secs(120), |e| {
        e.type_name() == "ChannelUserevent"
    })
    .await;
    let elapsed = start.elapsed();
    let mut failed = 0;
    for s in senders {
        failed += s.await??;
    }
    report("live", &tally, elapsed);
    if failed > 0 {
        println!("{failed} requests failed");
    }
    events.handle().close();
    Ok(())
}

/// Accepts the upgrade with the `ari` subprotocol.
// The callback's signature is tungstenite's; its error type is what it is.
#[allow(clippy::result_large_err)]
fn answer_ari(
    _: &tokio_tungstenite::tungstenite::handshake::server::Request,
    mut resp: tokio_tungstenite::tungstenite::handshake::server::Response,
) -> Result<
    tokio_tungstenite::tungstenite::handshake::server::Response,
    tokio_tungstenite::tungstenite::handshake::server::ErrorResponse,
> {
    resp.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("ari"),
    );
    Ok(resp)
}

/// Reads one HTTP/1.1 response, returns its status.
async fn read_status(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<u16> {
    let mut line = String::new();
    r.read_line(&mut line).await?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).await?;
    Ok(status)
}
