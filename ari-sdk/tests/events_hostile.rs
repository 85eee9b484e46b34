//! Hostile input on the event WebSocket, from a local server standing in for Asterisk: binary frames, invalid
//! UTF-8, a frame over the size limit, a ping flood. Nothing panics, good events still arrive after each, and a
//! connection given up for a bad frame comes back with a `Gap`.

#[allow(
    dead_code,
    reason = "the shared stub server has helpers other test files use"
)]
mod events_support;

use std::time::Duration;

use ari_sdk::events::{EventStream, EventsError, RawEvent, StreamItem};
use events_support::{connected, TestServer};
use futures::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

/// Guards against hangs only; never a performance threshold.
const HANG: Duration = Duration::from_secs(20);

async fn next(
    stream: &mut EventStream<RawEvent>,
    what: &str,
) -> Result<StreamItem<RawEvent>, EventsError> {
    tokio::time::timeout(HANG, stream.next())
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {HANG:?}"))
        .unwrap_or_else(|| panic!("{what}: the stream ended"))
}

/// The next item must be the event of type `kind`.
async fn expect_event(stream: &mut EventStream<RawEvent>, kind: &str) {
    match next(stream, kind).await {
        Ok(StreamItem::Event(e)) => assert_eq!(e.type_name(), kind),
        other => panic!("expected the {kind} event, got {other:?}"),
    }
}

#[tokio::test]
async fn binary_frames_and_invalid_utf8_are_items_not_failures() {
    let mut server = TestServer::start().await;
    let mut events = connected(&server).await;
    let mut asterisk = server.accept().await;
    // A JSON event in a binary frame is an event; bytes that are not UTF-8 are one decode error item.
    asterisk
        .ws
        .send(Message::binary(br#"{"type":"InBinary"}"#.to_vec()))
        .await
        .expect("send");
    asterisk
        .ws
        .send(Message::binary(vec![0xff, 0xfe, b'{', 0x80]))
        .await
        .expect("send");
    asterisk
        .ws
        .send(Message::binary(Vec::new()))
        .await
        .expect("send");
    asterisk.send(r#"{"type":"After"}"#).await;
    expect_event(&mut events, "InBinary").await;
    match next(&mut events, "the invalid UTF-8").await {
        Err(EventsError::Decode { error, .. }) => {
            assert!(error.message().contains("not UTF-8"), "{error}")
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(
        matches!(
            next(&mut events, "the empty binary frame").await,
            Err(EventsError::Decode { .. })
        ),
        "an empty message is not an event"
    );
    // No reconnect in between: the good event follows directly, no Gap.
    expect_event(&mut events, "After").await;
}

#[tokio::test]
async fn a_frame_over_the_size_limit_drops_the_connection_and_the_stream_comes_back_with_a_gap() {
    let mut server = TestServer::start().await;
    let mut events = connected(&server).await;
    let mut asterisk = server.accept().await;
    asterisk.send(r#"{"type":"Before"}"#).await;
    expect_event(&mut events, "Before").await;
    // 17 MiB in one frame: over the client's frame limit (16 MiB), refused from the frame's header, so the
    // client never buffers it. The send fails once the client hangs up; that is expected.
    let huge = format!(r#"{{"type":"Huge","pad":"{}"}}"#, "x".repeat(17 << 20));
    let _ = tokio::time::timeout(HANG, asterisk.ws.send(Message::text(huge))).await;
    let mut fresh = server.accept().await;
    fresh.send(r#"{"type":"AfterReconnect"}"#).await;
    let mut saw_gap = false;
    loop {
        match next(&mut events, "the reconnect after the huge frame").await {
            Ok(StreamItem::Gap(_)) => saw_gap = true,
            Ok(StreamItem::Event(e)) => {
                assert_eq!(e.type_name(), "AfterReconnect");
                break;
            }
            // The loss itself may be reported (non-terminal) before the gap.
            Err(e) => assert!(!saw_gap, "an error after the gap: {e:?}"),
            Ok(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_gap, "the reconnect after a refused frame is a gap");
    drop(asterisk);
}

#[tokio::test]
async fn a_ping_flood_neither_stalls_nor_drops_the_connection() {
    let mut server = TestServer::start().await;
    let mut events = connected(&server).await;
    let asterisk = server.accept().await;
    let (mut to_client, mut from_client) = asterisk.ws.split();
    // Read the client's pongs as they come, so its replies never fill the socket.
    let pongs = tokio::spawn(async move {
        let mut pongs = 0u32;
        while let Some(Ok(message)) = from_client.next().await {
            pongs += u32::from(message.is_pong());
        }
        pongs
    });
    const PINGS: u32 = 20_000;
    for i in 0..PINGS {
        to_client
            .feed(Message::Ping(i.to_be_bytes().to_vec().into()))
            .await
            .expect("ping");
    }
    to_client
        .send(Message::text(r#"{"type":"AfterFlood"}"#))
        .await
        .expect("event");
    // Pings are not items: the event is next, on the same connection (no Gap).
    expect_event(&mut events, "AfterFlood").await;
    to_client
        .send(Message::text(r#"{"type":"Still"}"#))
        .await
        .expect("event");
    expect_event(&mut events, "Still").await;
    drop(events);
    drop(to_client);
    let pongs = tokio::time::timeout(HANG, pongs)
        .await
        .expect("reader ends")
        .expect("reader");
    // tungstenite answers the latest ping it has read, so a flood gets at most one pong per ping.
    assert!((1..=PINGS).contains(&pongs), "{pongs} pongs");
}
