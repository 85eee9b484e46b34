//! Failure modes of the event stream that once left a Stasis application stalled or misled, each
//! against a local WebSocket server standing in for Asterisk: every one must be visible. And the
//! health report that makes them visible to a readiness probe.

#[allow(
    dead_code,
    reason = "the shared stub server has helpers other test files use"
)]
mod events_support;

use std::time::Duration;

use ari_sdk::events::{
    ConnectionState, DecodeError, EventPayload, EventStream, EventsBuilder, EventsError, ObjectRef,
    RawEvent, ReconnectPolicy, StreamItem,
};
use ari_sdk::Event;
use events_support::{
    assert_quiet, connected, fast_reconnect, fixture_lines, probe_app, TestServer,
};
use futures::StreamExt as _;
use serde_json::Value;
use tokio::time::Instant;

/// Guards against hangs only; never a performance threshold.
const HANG: Duration = Duration::from_secs(20);

async fn next<E: EventPayload>(
    stream: &mut EventStream<E>,
    what: &str,
) -> Option<Result<StreamItem<E>, EventsError>> {
    tokio::time::timeout(HANG, stream.next())
        .await
        .unwrap_or_else(|_| panic!("{what}: the stream neither yielded nor ended within {HANG:?}"))
}

/// Reads `stream` to its end; returns the last error it yielded.
async fn end_error<E: EventPayload>(stream: &mut EventStream<E>, what: &str) -> EventsError {
    let mut last = None;
    while let Some(item) = next(stream, what).await {
        if let Err(e) = item {
            last = Some(e);
        }
    }
    last.unwrap_or_else(|| panic!("{what}: the stream ended without an error"))
}

/// A real event of type `kind` about a channel (recorded from Asterisk), its channel's id set to `id`.
fn real_channel_event(kind: &str, id: &str) -> String {
    let mut event: Value = fixture_lines()
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).expect("fixture JSON"))
        .find(|e| e["type"] == kind && e["channel"]["id"].is_string())
        .unwrap_or_else(|| panic!("no {kind} about a channel in the fixtures"));
    event["channel"]["id"] = Value::from(id);
    event.to_string()
}

/// A payload whose decoder panics on the message `"boom"`: a bug in user code on the connection
/// task.
#[derive(Debug, Clone)]
struct Fragile(RawEvent);

impl EventPayload for Fragile {
    fn decode(text: &str) -> Result<Self, DecodeError> {
        assert!(text != "boom", "a bug in a custom payload");
        RawEvent::decode(text).map(Fragile)
    }
    fn type_name(&self) -> &str {
        self.0.type_name()
    }
    fn for_each_object<'a>(&'a self, visit: &mut dyn FnMut(ObjectRef<'a>)) {
        self.0.for_each_object(visit);
    }
}

#[tokio::test]
async fn a_panicking_connection_task_ends_every_stream_with_an_error_and_closes() {
    let mut server = TestServer::start().await;
    let mut events = probe_app::<Fragile>(&server).await;
    let handle = events.handle().clone();
    let mut channel = handle.channel("c1");
    let mut conn = server.accept().await;
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    conn.send("boom").await;
    let error = end_error(&mut events, "the app stream").await;
    std::panic::set_hook(prev);
    assert!(matches!(error, EventsError::TaskEnded { .. }), "{error}");
    assert!(error.to_string().contains("panicked"), "{error}");
    assert!(matches!(
        end_error(&mut channel, "the channel stream").await,
        EventsError::TaskEnded { .. }
    ));
    assert!(
        matches!(
            handle.state(),
            ConnectionState::Closed {
                error: Some(EventsError::TaskEnded { .. })
            }
        ),
        "{:?}",
        handle.state()
    );
    // later subscriptions end at once too
    let mut late = handle.subscribe();
    assert!(matches!(
        end_error(&mut late, "a later stream").await,
        EventsError::TaskEnded { .. }
    ));
}

#[tokio::test]
async fn the_runtime_of_the_connection_task_dropped_ends_every_stream() {
    let mut server = TestServer::start().await;
    let url = server.base_url();
    // The connection is made on a runtime of its own, which is then dropped with the task on it.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let other = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let events = runtime.block_on(async {
            EventsBuilder::<RawEvent>::new(url)
                .app("probe-app")
                .connect()
                .await
                .expect("connect")
        });
        tx.send(events).expect("hand over the stream");
        drop(runtime);
    });
    let _conn = server.accept().await;
    let mut events = rx.await.expect("the stream");
    other.join().expect("the other runtime's thread");
    let error = end_error(&mut events, "the stream of a dropped runtime").await;
    assert!(matches!(error, EventsError::TaskEnded { .. }), "{error}");
    assert!(
        events.handle().state().is_closed(),
        "{:?}",
        events.handle().state()
    );
}

#[tokio::test]
async fn huge_durations_neither_panic_nor_stop_the_connection() {
    let mut server = TestServer::start().await;
    let mut events = EventsBuilder::<Event>::new(server.base_url())
        .app("probe-app")
        .ping_interval(Duration::MAX)
        .pong_timeout(Duration::MAX)
        .connect()
        .await
        .expect("connect");
    let handle = events.handle().clone();
    let mut conn = server.accept().await;
    let waiter = handle.wait_for(|e| e.type_name() == "Two", Duration::MAX);
    let channel = handle.channel("c1");
    conn.send(r#"{"type":"One"}"#).await;
    conn.send(r#"{"type":"Two"}"#).await;
    conn.send(real_channel_event("StasisStart", "c1")).await;
    let got = events
        .wait_for(|e| e.type_name() == "One", Duration::MAX)
        .await
        .expect("wait_for with Duration::MAX");
    assert_eq!(got.type_name(), "One");
    let got = tokio::time::timeout(HANG, waiter)
        .await
        .expect("hung")
        .expect("waiter");
    assert_eq!(got.type_name(), "Two");

    // flows: the overall timeout of a helper may be "no limit" too
    let started = ari_sdk::flows::originate_and_wait(
        channel,
        async { Ok::<_, ari_sdk::Error>("sent") },
        Duration::MAX,
    );
    let started = tokio::time::timeout(HANG, started)
        .await
        .expect("hung")
        .expect("started");
    assert_eq!(started.start.channel.id, "c1");
    assert!(handle.state().is_connected());
}

#[tokio::test(start_paused = true)]
async fn a_gap_starts_at_the_last_message_received() {
    let ping = Duration::from_secs(2);
    let pong = Duration::from_secs(3);
    let mut server = TestServer::start().await;
    let mut events = EventsBuilder::<RawEvent>::new(server.base_url())
        .app("probe-app")
        .ping_interval(ping)
        .pong_timeout(pong)
        .reconnect(fast_reconnect())
        .connect()
        .await
        .expect("connect");
    let mut frozen = server.accept().await;
    frozen.send(r#"{"type":"Last"}"#).await;
    assert!(matches!(
        next(&mut events, "the last event").await,
        Some(Ok(StreamItem::Event(_)))
    ));
    let last_message = Instant::now();
    // From here on `frozen` is never read: pings get no pongs, nothing else arrives.
    let mut fresh = server.accept().await;
    fresh.send(r#"{"type":"After"}"#).await;
    let reconnected = Instant::now();
    match next(&mut events, "the gap").await {
        Some(Ok(StreamItem::Gap(gap))) => {
            // Events may be missing from the last message on, not only from when the loss was
            // detected (up to ping interval + pong deadline later).
            let from_last = reconnected.duration_since(last_message);
            assert!(
                gap.duration() + Duration::from_millis(100) >= from_last,
                "the gap {:?} understates the time since the last message {from_last:?}",
                gap.duration()
            );
        }
        other => panic!("expected a gap, got {other:?}"),
    }
    drop(frozen);
}

#[tokio::test]
async fn a_permanent_401_is_retried_a_bounded_number_of_times_then_ends_the_stream() {
    for status in [401, 403] {
        let mut server = TestServer::start().await;
        let mut events = EventsBuilder::<RawEvent>::new(server.base_url())
            .app("probe-app")
            .reconnect(fast_reconnect())
            .connect()
            .await
            .expect("connect");
        let conn = server.accept().await;
        server.reject_with(status, "Authentication required");
        drop(conn);
        let error = end_error(&mut events, "a stream whose credentials stopped working").await;
        match &error {
            EventsError::ReconnectGaveUp {
                attempts,
                last_error,
            } => {
                assert_eq!(last_error.status(), Some(status), "{error}");
                assert!(*attempts <= 3, "{error}");
            }
            other => panic!("HTTP {status}: expected a terminal error, got {other}"),
        }
        assert!(events.handle().state().is_closed());
    }
}

#[tokio::test]
async fn a_503_while_asterisk_starts_is_still_retried() {
    let mut server = TestServer::start().await;
    let mut events = connected(&server).await;
    let mut states = events.handle().watch_state();
    let conn = server.accept().await;
    server.reject_with(503, "starting");
    drop(conn);
    tokio::time::timeout(
        HANG,
        states.wait_for(
            |s| matches!(s, ConnectionState::Reconnecting { attempt, .. } if *attempt >= 8),
        ),
    )
    .await
    .expect("the 503s were not retried")
    .expect("state");
    server.accept_all();
    let mut conn = server.accept().await;
    conn.send(r#"{"type":"Back"}"#).await;
    assert!(matches!(
        next(&mut events, "the gap").await,
        Some(Ok(StreamItem::Gap(_)))
    ));
}

#[tokio::test]
async fn a_server_that_accepts_then_closes_is_not_hammered() {
    let mut server = TestServer::start().await;
    let events = EventsBuilder::<RawEvent>::new(server.base_url())
        .app("probe-app")
        .reconnect(
            ReconnectPolicy::default()
                .initial_delay(Duration::from_millis(50))
                .max_delay(Duration::from_millis(800))
                .jitter(0.0),
        )
        .connect()
        .await
        .expect("connect");
    // Every connection is accepted, then closed at once: each "succeeds", none is healthy.
    let window = Duration::from_secs(3);
    let start = Instant::now();
    let mut accepted = 0;
    while let Ok(conn) = tokio::time::timeout_at(start + window, server.accept()).await {
        accepted += 1;
        drop(conn);
    }
    // Resetting the backoff on every upgrade reconnects every 50 ms: about 60 times in 3 s.
    // Growing it (50, 100, 200, 400, 800, 800 ... ms) connects about 7 times.
    assert!(
        accepted <= 15,
        "{accepted} connections in {window:?}: the backoff was reset by connections that were never healthy"
    );
    drop(events);
}

#[tokio::test]
async fn application_replaced_is_delivered_then_ends_the_connection() {
    let mut server = TestServer::start().await;
    let mut events = connected(&server).await;
    let mut conn = server.accept().await;
    conn.send(r#"{"type":"ApplicationReplaced","application":"probe-app","timestamp":"2024-01-01T00:00:00.000+0000"}"#)
        .await;
    match next(&mut events, "the ApplicationReplaced event").await {
        Some(Ok(StreamItem::Event(e))) => assert_eq!(e.type_name(), "ApplicationReplaced"),
        other => panic!("expected the event, got {other:?}"),
    }
    match next(&mut events, "the end").await {
        Some(Err(EventsError::ApplicationReplaced { app })) => assert_eq!(app, "probe-app"),
        other => panic!("expected ApplicationReplaced, got {other:?}"),
    }
    assert!(next(&mut events, "the end").await.is_none());
    assert!(matches!(
        events.handle().state(),
        ConnectionState::Closed {
            error: Some(EventsError::ApplicationReplaced { .. })
        }
    ));
    // the connection is given up, not re-established
    assert_quiet(
        Duration::from_millis(300),
        server.accept(),
        "the connection was re-established after ApplicationReplaced",
    )
    .await;
}

#[tokio::test]
async fn a_filter_may_use_and_own_streams_of_its_own_connection() {
    let mut server = TestServer::start().await;
    let events = probe_app::<RawEvent>(&server).await;
    let handle = events.handle().clone();
    let owned = handle.subscribe();
    let counting = handle.clone();
    // The filter counts the connection's subscriptions and owns one of its streams.
    let mut filtered = handle.subscribe_matching(move |e| {
        let _owned = &owned;
        counting.subscription_count() > 0 && e.type_name() == "Wanted"
    });
    let mut conn = server.accept().await;
    conn.send(r#"{"type":"Other"}"#).await;
    conn.send(r#"{"type":"Wanted"}"#).await;
    match next(&mut filtered, "the filtered stream").await {
        Some(Ok(StreamItem::Event(e))) => assert_eq!(e.type_name(), "Wanted"),
        other => panic!("{other:?}"),
    }
    // Dropping the filtered stream drops the filter, and with it the stream it owns.
    let before = handle.subscription_count();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        drop(filtered);
        let _ = tx.send(());
    });
    tokio::time::timeout(HANG, rx)
        .await
        .expect("dropping a filter that owns a stream of its hub deadlocked")
        .expect("the dropping thread");
    assert_eq!(handle.subscription_count(), before - 2);
    drop(events);
}

#[tokio::test]
async fn an_event_whose_shape_changed_is_routed_by_its_ids_and_still_ends_its_object() {
    let mut server = TestServer::start().await;
    let events = probe_app::<Event>(&server).await;
    let handle = events.handle().clone();
    let mut c1 = handle.channel("c1");
    let mut c2 = handle.channel("c2");
    let mut conn = server.accept().await;
    // A StasisEnd whose channel has changed shape: `name` is a number, required fields are gone.
    let changed =
        r#"{"type":"StasisEnd","application":"probe-app","channel":{"id":"c1","name":5}}"#;
    conn.send(changed).await;
    conn.send(real_channel_event("ChannelVarset", "c2")).await;
    match next(&mut c1, "c1's stream").await {
        Some(Err(EventsError::Decode { text, .. })) => {
            assert_eq!(&*text, changed, "the raw JSON is kept")
        }
        other => panic!("c1: expected the decode error, got {other:?}"),
    }
    assert!(
        next(&mut c1, "c1's end").await.is_none(),
        "the channel's stream ends: its StasisEnd came, even if undecodable"
    );
    match next(&mut c2, "c2's stream").await {
        Some(Ok(StreamItem::Event(e))) => assert_eq!(e.type_name(), "ChannelVarset"),
        other => panic!("c2 saw another channel's undecodable event: {other:?}"),
    }
    drop(events);
}

#[tokio::test]
async fn health_reports_connection_apps_last_message_reconnects_and_lag() {
    let mut server = TestServer::start().await;
    let mut events = EventsBuilder::<RawEvent>::new(server.base_url())
        .apps(["probe-app", "other-app"])
        .buffer_capacity(2)
        .reconnect(fast_reconnect())
        .connect()
        .await
        .expect("connect");
    let handle = events.handle().clone();
    let before = handle.health();
    assert!(before.is_connected());
    assert_eq!(before.apps, ["probe-app", "other-app"]);
    assert_eq!(before.since_last_message, None);
    assert_eq!(before.reconnects, 0);
    let _channel = handle.channel("c1");

    let mut conn = server.accept().await;
    let last = handle.wait_for(|e| e.get("n") == Some(&Value::from(4)), HANG);
    for n in 0..5 {
        conn.send(format!(r#"{{"type":"Seq","n":{n}}}"#)).await;
    }
    // Once the last one is here, all five were dispatched: the app stream (capacity 2, unread) dropped 3.
    last.await.expect("the last event");
    let health = handle.health();
    assert!(health.since_last_message.is_some(), "{health:?}");
    let all = health
        .subscribers
        .iter()
        .find(|s| s.filter == "all")
        .expect("the app stream");
    assert_eq!(all.dropped, 3, "{health:?}");
    assert_eq!(health.dropped_total(), 3);
    assert!(
        health
            .subscribers
            .iter()
            .any(|s| s.filter == "channel c1" && s.dropped == 0),
        "{health:?}"
    );
    assert!(matches!(
        next(&mut events, "the lag").await,
        Some(Ok(StreamItem::Lagged { missed: 3 }))
    ));
    for _ in 0..2 {
        assert!(matches!(
            next(&mut events, "the newest two").await,
            Some(Ok(StreamItem::Event(_)))
        ));
    }

    drop(conn);
    let _fresh = server.accept().await;
    let mut states = handle.watch_state();
    tokio::time::timeout(HANG, states.wait_for(ConnectionState::is_connected))
        .await
        .expect("reconnected")
        .expect("state");
    assert!(matches!(
        next(&mut events, "the gap").await,
        Some(Ok(StreamItem::Gap(_)))
    ));
    assert_eq!(handle.health().reconnects, 1);
}
