//! The event stream against a local WebSocket server (no Asterisk needed).

mod events_support;

use std::time::Duration;

use ari_sdk::events::{
    unique_id, ConnectionState, EventStream, EventsBuilder, EventsError, EventsHandle, RawEvent,
    ReconnectPolicy, StreamItem, WaitError,
};
use events_support::{assert_quiet, fixture_lines, Accepted, TestServer};
use futures::StreamExt as _;
use serde_json::Value;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// Guards against hangs only; never a performance threshold.
const HANG: Duration = Duration::from_secs(30);

fn builder(server: &TestServer) -> EventsBuilder<RawEvent> {
    EventsBuilder::new(server.base_url()).app("probe-app")
}

/// The stream `builder` connects, and its handle.
async fn open(builder: EventsBuilder<RawEvent>) -> (EventStream<RawEvent>, EventsHandle<RawEvent>) {
    let events = builder.connect().await.unwrap();
    let handle = events.handle().clone();
    (events, handle)
}

/// Connects `builder` to `server`: the stream (to keep the connection open) and the upgrade request the
/// server accepted.
async fn handshake(
    server: &mut TestServer,
    builder: EventsBuilder<RawEvent>,
) -> (EventStream<RawEvent>, Accepted) {
    let events = builder.connect().await.unwrap();
    (events, server.accept().await)
}

/// A stream connected to `server` that reconnects fast, and its handle.
async fn reconnecting(server: &TestServer) -> (EventStream<RawEvent>, EventsHandle<RawEvent>) {
    open(builder(server).reconnect(fast_reconnect())).await
}

fn fast_reconnect() -> ReconnectPolicy {
    ReconnectPolicy::default()
        .initial_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(40))
        .jitter(0.0)
}

async fn next(
    stream: &mut EventStream<RawEvent>,
) -> Option<Result<StreamItem<RawEvent>, EventsError>> {
    tokio::time::timeout(HANG, stream.next())
        .await
        .expect("stream hung")
}

/// The error the next item of `stream` must be: `ReconnectGaveUp` after `attempts` attempts; its last error.
async fn gave_up(stream: &mut EventStream<RawEvent>, attempts: u32) -> EventsError {
    match next(stream).await {
        Some(Err(EventsError::ReconnectGaveUp {
            attempts: made,
            last_error,
        })) if made == attempts => *last_error,
        other => panic!("expected ReconnectGaveUp after {attempts} attempts, got {other:?}"),
    }
}

async fn next_event(stream: &mut EventStream<RawEvent>) -> RawEvent {
    match next(stream).await {
        Some(Ok(StreamItem::Event(e))) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// The type names of every item until the stream ends.
async fn collect_types(stream: &mut EventStream<RawEvent>) -> Vec<String> {
    let mut v = Vec::new();
    while let Some(item) = next(stream).await {
        v.push(item.unwrap().into_event().unwrap().type_name().to_owned());
    }
    v
}

/// The first connection state (the current one included) that satisfies `pred`, within [`HANG`].
async fn state_where(
    states: &mut tokio::sync::watch::Receiver<ConnectionState>,
    pred: impl FnMut(&ConnectionState) -> bool,
) -> ConnectionState {
    tokio::time::timeout(HANG, states.wait_for(pred))
        .await
        .expect("no such connection state within HANG")
        .expect("the connection task ended")
        .clone()
}

fn seq_event(n: usize) -> String {
    format!(r#"{{"type":"Seq","n":{n}}}"#)
}

fn seq_of(e: &RawEvent) -> u64 {
    e.get("n").and_then(Value::as_u64).expect("n")
}

#[tokio::test]
async fn connects_with_basic_auth_subprotocol_and_apps() {
    let mut server = TestServer::start().await;
    let with_header = builder(&server)
        .app("probe-b")
        .subscribe_all(true)
        .basic_auth("asterisk", "s3cret");
    let (_events, conn) = handshake(&mut server, with_header).await;
    assert_eq!(
        conn.uri,
        "/ari/events?app=probe-app,probe-b&subscribeAll=true"
    );
    assert_eq!(conn.headers["authorization"], "Basic YXN0ZXJpc2s6czNjcmV0");
    assert_eq!(conn.headers["sec-websocket-protocol"], "ari");

    let in_query = builder(&server)
        .basic_auth("asterisk", "s3cret")
        .credentials_in_query(true);
    let (_events, conn) = handshake(&mut server, in_query).await;
    assert_eq!(
        conn.uri,
        "/ari/events?app=probe-app&api_key=asterisk:s3cret"
    );
    assert!(!conn.headers.contains_key("authorization"));
}

#[tokio::test]
async fn handshake_rejections_are_clear_errors() {
    let server = TestServer::start().await;
    server.reject_with(401, "");
    let err = builder(&server)
        .basic_auth("asterisk", "wrong")
        .connect()
        .await
        .unwrap_err();
    assert!(err.is_unauthorized(), "{err}");
    assert!(err.to_string().contains("HTTP 401"), "{err}");

    server.reject_with(
        400,
        "<html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1>\
         <p>HTTP request to /ari/events: missing param app</p></body></html>",
    );
    let err = builder(&server).connect().await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("missing param app"), "{err}");

    // nothing listening
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = EventsBuilder::<RawEvent>::new(format!("http://127.0.0.1:{port}/ari"))
        .app("a")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, EventsError::Connect { .. }), "{err}");

    // invalid configuration: nothing is sent
    let err = EventsBuilder::<RawEvent>::new(server.base_url())
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, EventsError::InvalidConfig(_)), "{err}");
}

#[tokio::test]
async fn real_events_arrive_in_order() {
    let mut server = TestServer::start().await;
    let mut events = builder(&server).connect().await.unwrap();
    let mut conn = server.accept().await;
    let lines = fixture_lines();
    for line in &lines {
        conn.send(line.clone()).await;
    }
    for line in &lines {
        let e = next_event(&mut events).await;
        let want: Value = serde_json::from_str(line).unwrap();
        assert_eq!(Value::Object(e.into_json()), want);
    }
    assert_eq!(events.queued(), 0);
}

#[tokio::test]
async fn undecodable_messages_are_reported_and_the_stream_goes_on() {
    let mut server = TestServer::start().await;
    let mut events = builder(&server).connect().await.unwrap();
    let mut conn = server.accept().await;
    conn.send("not json").await;
    conn.send(r#"{"no":"type"}"#).await;
    conn.send(seq_event(1)).await;
    for bad in ["not json", r#"{"no":"type"}"#] {
        match next(&mut events).await {
            Some(Err(EventsError::Decode { text, .. })) => assert_eq!(&*text, bad),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seq_of(&next_event(&mut events).await), 1);
}

#[tokio::test]
async fn server_close_reconnects_with_a_gap_and_observable_states() {
    let mut server = TestServer::start().await;
    let (mut events, handle) = reconnecting(&server).await;
    let channel = handle.channel("chan-a");
    let mut states = handle.watch_state();
    assert!(states.borrow().is_connected());

    let mut conn = server.accept().await;
    conn.send(seq_event(1)).await;
    assert_eq!(seq_of(&next_event(&mut events).await), 1);

    // "restart": the server closes, then refuses for a while
    server.reject_with(503, "starting");
    conn.ws.close(None).await.unwrap();
    drop(conn);
    let state = state_where(
        &mut states,
        |s| matches!(s, ConnectionState::Reconnecting { attempt, .. } if *attempt >= 3),
    )
    .await;
    match state {
        ConnectionState::Reconnecting { last_error, .. } => {
            assert_eq!(last_error.status(), Some(503))
        }
        other => panic!("{other:?}"),
    }

    server.accept_all();
    let mut conn = server.accept().await;
    state_where(&mut states, ConnectionState::is_connected).await;
    conn.send(seq_event(2)).await;

    match next(&mut events).await {
        Some(Ok(StreamItem::Gap(gap))) => {
            // attempts 1, 2 and 3 waited 20, 20 (the first 503 starts the backoff again: the server is
            // starting) and 40 ms before connecting
            assert!(gap.duration() >= Duration::from_millis(80), "{gap:?}");
            assert_eq!(gap.outages(), 1);
            assert!(gap.reconnected_at() >= gap.lost_at());
        }
        other => panic!("expected a gap, got {other:?}"),
    }
    assert_eq!(seq_of(&next_event(&mut events).await), 2);

    // the per-object stream learns about the gap too: its end event may have been missed
    let mut channel = channel;
    assert!(matches!(
        next(&mut channel).await,
        Some(Ok(StreamItem::Gap(_)))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_frozen_server_is_detected_within_the_ping_deadline_and_replaced() {
    let ping = Duration::from_secs(2);
    let pong = Duration::from_secs(3);
    let mut server = TestServer::start().await;
    let mut events = builder(&server)
        .ping_interval(ping)
        .pong_timeout(pong)
        .reconnect(fast_reconnect())
        .connect()
        .await
        .unwrap();
    let mut states = events.handle().watch_state();
    let mut frozen = server.accept().await;
    frozen.send(seq_event(1)).await;
    assert_eq!(seq_of(&next_event(&mut events).await), 1);
    let last_message = Instant::now();
    // From here on `frozen` is never read: like SIGSTOP, pings get no pongs and nothing else arrives.

    let state = state_where(&mut states, |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
    let detected_after = last_message.elapsed();
    assert!(
        matches!(
            &state,
            ConnectionState::Reconnecting {
                last_error: EventsError::PingTimeout { .. },
                ..
            }
        ),
        "{state:?}"
    );
    assert!(detected_after >= pong, "{detected_after:?}");
    assert!(detected_after <= ping + pong, "{detected_after:?}");

    // the replacement connection works, after a gap item
    let mut fresh = server.accept().await;
    fresh.send(seq_event(2)).await;
    assert!(matches!(
        next(&mut events).await,
        Some(Ok(StreamItem::Gap(_)))
    ));
    assert_eq!(seq_of(&next_event(&mut events).await), 2);
    drop(frozen);
}

#[tokio::test]
async fn a_slow_subscriber_lags_with_bounded_memory_while_a_fast_one_gets_everything() {
    const CAPACITY: usize = 16;
    const BATCH: usize = 8;
    const TOTAL: usize = 1000;
    let mut server = TestServer::start().await;
    let mut fast = builder(&server)
        .buffer_capacity(CAPACITY)
        .connect()
        .await
        .unwrap();
    let mut slow = fast.handle().subscribe();
    let mut conn = server.accept().await;

    let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        for n in 0..TOTAL {
            match next(&mut fast).await {
                Some(Ok(StreamItem::Event(e))) => assert_eq!(seq_of(&e), n as u64),
                other => panic!("fast subscriber got {other:?} at {n}"),
            }
            if (n + 1) % BATCH == 0 {
                ack_tx.send(()).unwrap();
            }
        }
        fast
    });
    for batch in 0..TOTAL / BATCH {
        for i in 0..BATCH {
            conn.send(seq_event(batch * BATCH + i)).await;
        }
        tokio::time::timeout(HANG, ack_rx.recv())
            .await
            .expect("hung")
            .unwrap();
        assert!(slow.queued() <= CAPACITY, "{}", slow.queued());
    }
    let fast = reader.await.unwrap();
    assert_eq!(fast.queued(), 0);

    assert_eq!(slow.queued(), CAPACITY);
    match next(&mut slow).await {
        Some(Ok(StreamItem::Lagged { missed })) => assert_eq!(missed, (TOTAL - CAPACITY) as u64),
        other => panic!("expected Lagged, got {other:?}"),
    }
    for n in TOTAL - CAPACITY..TOTAL {
        assert_eq!(seq_of(&next_event(&mut slow).await), n as u64);
    }
    assert_quiet(Duration::from_millis(50), slow.next(), "nothing more").await;
}

#[tokio::test]
async fn per_object_streams_match_ids_exactly_and_end_by_themselves() {
    let mut server = TestServer::start().await;
    let (_events, handle) = open(builder(&server)).await;
    let mut abc = handle.channel("abc");
    let mut abcd = handle.channel("abcd");
    let mut bridge = handle.bridge("abc");
    let mut playback = handle.playback("pb");
    assert_eq!(handle.subscription_count(), 5);
    let mut conn = server.accept().await;
    for line in [
        r#"{"type":"StasisStart","channel":{"id":"abcd"}}"#,
        r#"{"type":"StasisStart","channel":{"id":"abc"}}"#,
        r#"{"type":"StasisStart","channel":{"id":"ab"}}"#,
        r#"{"type":"ChannelEnteredBridge","channel":{"id":"abc"},"bridge":{"id":"abc"}}"#,
        r#"{"type":"PlaybackStarted","playback":{"id":"pb","target_uri":"channel:abc"}}"#,
        r#"{"type":"ChannelVarset","channel":{"id":"ABC"}}"#,
        r#"{"type":"PlaybackFinished","playback":{"id":"pb","target_uri":"channel:abc"}}"#,
        r#"{"type":"StasisEnd","channel":{"id":"abc"}}"#,
        r#"{"type":"ChannelDestroyed","channel":{"id":"abc"}}"#,
        r#"{"type":"BridgeDestroyed","bridge":{"id":"abc"}}"#,
    ] {
        conn.send(line).await;
    }
    assert_eq!(
        collect_types(&mut abc).await,
        ["StasisStart", "ChannelEnteredBridge", "StasisEnd"]
    );
    assert_eq!(
        collect_types(&mut bridge).await,
        ["ChannelEnteredBridge", "BridgeDestroyed"]
    );
    assert_eq!(
        collect_types(&mut playback).await,
        ["PlaybackStarted", "PlaybackFinished"]
    );
    assert_eq!(next_event(&mut abcd).await.type_name(), "StasisStart");
    assert_eq!(handle.subscription_count(), 2, "ended streams unregistered");
    drop(abcd);
    assert_eq!(
        handle.subscription_count(),
        1,
        "dropped streams unregistered"
    );
}

#[tokio::test]
async fn per_object_stream_over_a_real_call_flow() {
    let lines = fixture_lines();
    // what a channel stream for `chan-a` must see: every event carrying chan-a as a channel, up to its first
    // StasisEnd or ChannelDestroyed
    let channel_fields = ["channel", "peer", "caller", "forwarded", "replace_channel"];
    let mut want = Vec::new();
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap();
        let concerns = channel_fields
            .iter()
            .any(|f| v.get(f).and_then(|c| c.get("id")).and_then(Value::as_str) == Some("chan-a"));
        if concerns {
            want.push(line.clone());
            if matches!(v["type"].as_str(), Some("StasisEnd" | "ChannelDestroyed")) {
                break;
            }
        }
    }
    assert!(want.len() > 20, "the fixture exercises chan-a");

    let mut server = TestServer::start().await;
    let events = builder(&server).connect().await.unwrap();
    let mut chan = events.handle().channel("chan-a");
    let mut pb = events.handle().playback("pb-1");
    let mut conn = server.accept().await;
    for line in &lines {
        conn.send(line.clone()).await;
    }
    let mut got = Vec::new();
    while let Some(item) = next(&mut chan).await {
        got.push(Value::Object(
            item.unwrap().into_event().unwrap().into_json(),
        ));
    }
    let want: Vec<Value> = want
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got, want);

    let first_pb = collect_types(&mut pb).await;
    assert_eq!(
        first_pb.last().map(String::as_str),
        Some("PlaybackFinished")
    );
    assert!(
        first_pb.iter().all(|t| t.starts_with("Playback")),
        "{first_pb:?}"
    );
}

#[tokio::test]
async fn subscribe_before_create_sees_the_first_event_every_time() {
    let mut server = TestServer::start().await;
    let (_events, handle) = open(builder(&server)).await;
    let mut conn = server.accept().await;
    for _ in 0..50 {
        let id = unique_id();
        let mut stream = handle.channel(&id);
        let started = {
            let id = id.clone();
            handle.wait_for(
                move |e: &RawEvent| {
                    e.type_name() == "StasisStart"
                        && e.get("channel")
                            .and_then(|c| c.get("id"))
                            .and_then(Value::as_str)
                            == Some(id.as_str())
                },
                HANG,
            )
        };
        // "originate": the server's first events for the new channel
        conn.send(format!(
            r#"{{"type":"StasisStart","channel":{{"id":"{id}"}}}}"#
        ))
        .await;
        conn.send(format!(
            r#"{{"type":"StasisEnd","channel":{{"id":"{id}"}}}}"#
        ))
        .await;
        assert_eq!(started.await.unwrap().type_name(), "StasisStart");
        assert_eq!(
            collect_types(&mut stream).await,
            ["StasisStart", "StasisEnd"]
        );
    }
    assert_eq!(handle.subscription_count(), 1, "only the firehose is left");
}

#[tokio::test]
async fn wait_for_times_out_and_reports_losses() {
    let mut server = TestServer::start().await;
    let (mut events, handle) = reconnecting(&server).await;
    let mut conn = server.accept().await;

    let never = handle.wait_for(
        |e: &RawEvent| e.type_name() == "Never",
        Duration::from_millis(20),
    );
    assert!(matches!(never.await, Err(WaitError::Timeout { .. })));

    conn.send(seq_event(1)).await;
    conn.send(seq_event(2)).await;
    let two = events.wait_for(|e| seq_of(e) == 2, HANG).await.unwrap();
    assert_eq!(seq_of(&two), 2);

    let waiter = handle.wait_for(|e: &RawEvent| e.type_name() == "StasisStart", HANG);
    conn.ws.close(None).await.unwrap();
    drop(conn);
    let _conn = server.accept().await;
    assert!(matches!(waiter.await, Err(WaitError::Gap { .. })));
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection_and_ends_the_task() {
    let mut server = TestServer::start().await;
    let (events, handle) = open(builder(&server)).await;
    let per_object = handle.channel("x");
    let mut states = handle.watch_state();
    let mut conn = server.accept().await;

    let many: Vec<_> = (0..100).map(|i| handle.bridge(format!("b{i}"))).collect();
    assert_eq!(handle.subscription_count(), 102);
    drop(many);
    assert_eq!(handle.subscription_count(), 2);

    drop(events);
    drop(per_object);
    assert!(states.borrow().is_connected(), "a handle still keeps it");
    drop(handle);

    assert!(conn.expect_close().await, "the client sent a close frame");
    // the task publishes Closed and then ends, dropping the state sender
    let mut last = states.borrow().clone();
    while tokio::time::timeout(HANG, states.changed())
        .await
        .expect("task did not end")
        .is_ok()
    {
        last = states.borrow_and_update().clone();
    }
    assert!(
        matches!(last, ConnectionState::Closed { error: None }),
        "{last:?}"
    );
}

#[tokio::test]
async fn close_ends_every_stream() {
    let mut server = TestServer::start().await;
    let (mut events, handle) = open(builder(&server)).await;
    let mut chan = handle.channel("c");
    let mut conn = server.accept().await;
    conn.send(seq_event(1)).await;
    assert_eq!(seq_of(&next_event(&mut events).await), 1);
    handle.close();
    assert!(next(&mut events).await.is_none());
    assert!(next(&mut chan).await.is_none());
    assert!(matches!(
        handle.closed().await,
        ConnectionState::Closed { error: None }
    ));
    assert!(conn.expect_close().await);
    // subscribing afterwards gives a stream that is already over
    assert!(next(&mut handle.subscribe()).await.is_none());
}

#[tokio::test]
async fn reconnecting_gives_up_after_the_configured_attempts() {
    let mut server = TestServer::start().await;
    let mut events = builder(&server)
        .reconnect(fast_reconnect().max_attempts(Some(2)))
        .connect()
        .await
        .unwrap();
    let handle = events.handle().clone();
    let mut conn = server.accept().await;
    server.reject_with(503, "starting");
    conn.ws.close(None).await.unwrap();
    drop(conn);
    match next(&mut events).await {
        Some(Err(EventsError::ReconnectGaveUp {
            attempts,
            last_error,
        })) => {
            assert_eq!(attempts, 2);
            assert_eq!(last_error.status(), Some(503));
        }
        other => panic!("{other:?}"),
    }
    assert!(next(&mut events).await.is_none());
    assert!(matches!(
        handle.state(),
        ConnectionState::Closed {
            error: Some(EventsError::ReconnectGaveUp { .. })
        }
    ));
}

#[tokio::test]
async fn never_reconnect_ends_on_the_first_loss() {
    let mut server = TestServer::start().await;
    let mut events = builder(&server)
        .reconnect(ReconnectPolicy::never())
        .connect()
        .await
        .unwrap();
    let mut conn = server.accept().await;
    conn.ws
        .close(Some(CloseFrame {
            code: CloseCode::Away,
            reason: "restarting".into(),
        }))
        .await
        .unwrap();
    let last_error = gave_up(&mut events, 0).await;
    assert_eq!(
        last_error.to_string(),
        "the server closed the event WebSocket (code 1001: restarting)"
    );
}

#[tokio::test]
async fn wss_uses_the_given_tls_config() {
    use std::sync::Arc;

    // The client without our certificate fails the TLS handshake; the next one succeeds.
    let events_support::WssServer {
        port,
        cert,
        task: server,
        ..
    } = events_support::wss_server(1, &seq_event(7)).await;
    let base = format!("https://localhost:{port}/ari");
    // the default configuration (webpki roots) does not trust a self-signed certificate
    let err = EventsBuilder::<RawEvent>::new(base.as_str())
        .app("a")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, EventsError::Connect { .. }), "{err}");

    let mut events = EventsBuilder::<RawEvent>::new(base.as_str())
        .app("a")
        .tls_config(Arc::new(events_support::trusting(cert)))
        .connect()
        .await
        .unwrap();
    assert_eq!(seq_of(&next_event(&mut events).await), 7);
    events.handle().close();
    tokio::time::timeout(HANG, server)
        .await
        .expect("server ended")
        .unwrap();
}

#[tokio::test]
async fn start_connects_in_the_background_and_early_subscribers_see_the_first_events() {
    let mut server = TestServer::start().await;
    server.reject_with(503, "not yet");
    let handle = builder(&server)
        .reconnect(fast_reconnect())
        .start()
        .unwrap();
    let mut all = handle.subscribe();
    let mut chan = handle.channel("early");
    let mut states = handle.watch_state();
    let state = state_where(
        &mut states,
        |s| matches!(s, ConnectionState::Connecting { attempt, .. } if *attempt >= 2),
    )
    .await;
    match state {
        ConnectionState::Connecting {
            last_error: Some(e),
            ..
        } => assert_eq!(e.status(), Some(503)),
        other => panic!("{other:?}"),
    }
    server.accept_all();
    let mut conn = server.accept().await;
    conn.send(r#"{"type":"StasisStart","channel":{"id":"early"}}"#)
        .await;
    // no gap for the first connection: nothing existed to be missed
    assert_eq!(next_event(&mut all).await.type_name(), "StasisStart");
    assert_eq!(next_event(&mut chan).await.type_name(), "StasisStart");
    assert!(handle.state().is_connected());
}

#[tokio::test]
async fn start_gives_up_by_the_policy() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let handle = EventsBuilder::<RawEvent>::new(format!("http://127.0.0.1:{port}/ari"))
        .app("a")
        .reconnect(fast_reconnect().max_attempts(Some(1)))
        .start()
        .unwrap();
    let mut stream = handle.subscribe();
    let last_error = gave_up(&mut stream, 2).await;
    assert!(
        matches!(last_error, EventsError::Connect { .. }),
        "{last_error}"
    );
    assert!(matches!(
        handle.closed().await,
        ConnectionState::Closed { error: Some(_) }
    ));
}

#[test]
fn outside_a_tokio_runtime_is_an_error_not_a_panic() {
    let b = EventsBuilder::<RawEvent>::new("http://127.0.0.1:1/ari").app("a");
    let err = futures::executor::block_on(b.clone().connect()).unwrap_err();
    assert!(matches!(err, EventsError::InvalidConfig(_)), "{err}");
    assert!(matches!(b.start(), Err(EventsError::InvalidConfig(_))));
}
