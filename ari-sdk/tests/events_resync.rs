//! The resync after a gap, offline: a local WebSocket server stands in for the events socket and a local HTTP
//! stub for the REST API the resync reads (`GET /applications/{app}`, one `GET` per object to check). The live
//! counterparts (Asterisk restarted, the fault proxy) are in the live suite.

#[allow(
    dead_code,
    reason = "the shared stub server has helpers other test files use"
)]
mod events_support;
mod support;

use std::time::Duration;

use ari_sdk::events::{
    EndedInGap, EventStream, EventsBuilder, GapEnd, ObjectKind, RawEvent, ReconnectPolicy, Resync,
    StreamItem, WaitError,
};
use ari_sdk::Client;
use events_support::{assert_quiet, Accepted, TestServer};
use futures::StreamExt as _;
use support::{Reply, Response, Stub};

/// Guards against hangs only; never a performance threshold.
const HANG: Duration = Duration::from_secs(20);

const APP: &str = "probe-app";

/// A channel as Asterisk 22.10.1 describes it (`GET /channels/{id}`).
fn channel_json(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","name":"Local/wait@default-00000008;1","state":"Up","protocol_id":"","caller":{{"name":"","number":""}},"connected":{{"name":"","number":""}},"accountcode":"","dialplan":{{"context":"default","exten":"wait","priority":1,"app_name":"Wait","app_data":"30"}},"creationtime":"2026-11-26T05:06:00.284+0000","language":"en"}}"#
    )
}

/// The REST API after the gap: the application holds channels c2 and c4 and bridge b9; c1 and playback p1 are
/// gone; c3 still exists outside the application. Anything else is answered 599 (and shows in the requests).
async fn rest_after_the_gap(app_status: u16) -> Stub {
    Stub::start(move |request| {
        let target = request.target.as_str();
        let reply = match target {
            "/ari/applications/probe-app" if app_status == 200 => Response::json(
                200,
                r#"{"name":"probe-app","channel_ids":["c2","c4"],"bridge_ids":["b9"],"endpoint_ids":[],"device_names":[],"events_allowed":[],"events_disallowed":[]}"#,
            ),
            "/ari/applications/probe-app" => {
                Response::json(app_status, r#"{"message":"Internal Server Error"}"#)
            }
            "/ari/channels/c1" | "/ari/playbacks/p1" => {
                Response::json(404, r#"{"message":"not found"}"#)
            }
            "/ari/channels/c3" => Response::json(200, &channel_json("c3")),
            _ => Response::empty(599),
        };
        Reply::Respond(reply)
    })
    .await
}

/// The client the resync reads through. The stub serves only the resync's reads (the tests count
/// them exactly), so the capability check, tested in `capabilities.rs`, is off.
fn rest_client(stub: &Stub) -> Client {
    stub.client(|b| b.check_capabilities(false))
}

async fn next(stream: &mut EventStream<RawEvent>, what: &str) -> StreamItem<RawEvent> {
    match tokio::time::timeout(HANG, stream.next()).await {
        Ok(Some(Ok(item))) => item,
        Ok(Some(Err(e))) => panic!("{what}: stream error {e}"),
        Ok(None) => panic!("{what}: the stream ended"),
        Err(_) => panic!("{what}: nothing within {HANG:?}"),
    }
}

async fn ends(stream: &mut EventStream<RawEvent>, what: &str) {
    match tokio::time::timeout(HANG, stream.next()).await {
        Ok(None) => {}
        Ok(other) => panic!("{what}: expected the end, got {other:?}"),
        Err(_) => panic!("{what}: did not end within {HANG:?}"),
    }
}

fn fast() -> ReconnectPolicy {
    ReconnectPolicy::default()
        .initial_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(40))
        .jitter(0.0)
}

/// The event stream of [`APP`] on `server`, reconnecting fast and, when `resync`, resyncing through `rest`.
async fn connect(server: &TestServer, rest: &Stub, resync: bool) -> EventStream<RawEvent> {
    EventsBuilder::<RawEvent>::new(server.base_url())
        .app(APP)
        .reconnect(fast())
        .resync_with(&rest_client(rest))
        .resync(resync)
        .connect()
        .await
        .expect("connect")
}

/// Connects (see [`connect`]) with a stream of channel c1 taken first, and delivers c1's `StasisStart` on the
/// first connection: the whole stream, c1's stream (its start still unread) and the connection.
async fn c1_started(
    server: &mut TestServer,
    rest: &Stub,
    resync: bool,
) -> (EventStream<RawEvent>, EventStream<RawEvent>, Accepted) {
    let mut all = connect(server, rest, resync).await;
    let c1 = all.handle().channel("c1");
    let mut conn = server.accept().await;
    conn.send(event("StasisStart", "channel", "c1")).await;
    next_event(&mut all, "the start").await;
    (all, c1, conn)
}

/// Asserts that the next item of `stream` is an event.
async fn next_event(stream: &mut EventStream<RawEvent>, what: &str) {
    let item = next(stream, what).await;
    assert!(matches!(item, StreamItem::Event(_)), "{what}: {item:?}");
}

/// Drops the connection, accepts the reconnect and asserts that `stream` reports the gap.
async fn lose(
    conn: Accepted,
    server: &mut TestServer,
    stream: &mut EventStream<RawEvent>,
) -> Accepted {
    drop(conn);
    let conn = server.accept().await;
    let item = next(stream, "the gap").await;
    assert!(matches!(item, StreamItem::Gap(_)), "the gap: {item:?}");
    conn
}

fn event(kind: &str, object: &str, id: &str) -> String {
    format!(r#"{{"type":"{kind}","application":"{APP}","{object}":{{"id":"{id}"}}}}"#)
}

fn ended(kind: ObjectKind, id: &str, reason: GapEnd) -> (ObjectKind, String, GapEnd) {
    (kind, id.to_owned(), reason)
}

fn triples(list: &[EndedInGap]) -> Vec<(ObjectKind, String, GapEnd)> {
    list.iter()
        .map(|e| (e.kind, e.id.clone(), e.reason))
        .collect()
}

#[tokio::test]
async fn after_a_reconnect_streams_of_objects_gone_end_and_objects_that_appeared_are_reported() {
    let rest = rest_after_the_gap(200).await;
    let mut server = TestServer::start().await;
    let mut all = connect(&server, &rest, true).await;
    let handle = all.handle().clone();
    let mut c1 = handle.channel("c1");
    let mut c2 = handle.channel("c2");
    let mut p1 = handle.playback("p1");
    // Taken before any event named c5: nothing says it ever existed, so nothing is checked or ended.
    let mut c5 = handle.channel("c5");
    let mut conn = server.accept().await;
    for id in ["c1", "c2", "c3"] {
        conn.send(event("StasisStart", "channel", id)).await;
    }
    conn.send(event("PlaybackStarted", "playback", "p1")).await;
    // c3's stream is taken after its StasisStart: the connection saw c3 alive before the loss all the same.
    let last = handle.wait_for(|e| e.type_name() == "PlaybackStarted", HANG);
    last.await.expect("the events before the loss");
    let mut c3 = handle.channel("c3");
    for _ in 0..4 {
        next_event(&mut all, "events").await;
    }

    let _conn = lose(conn, &mut server, &mut all).await;
    let StreamItem::Resync(resync) = next(&mut all, "the resync").await else {
        panic!("the item after the gap is not the resync");
    };
    let want = vec![
        ended(ObjectKind::Channel, "c1", GapEnd::Gone),
        ended(ObjectKind::Channel, "c3", GapEnd::LeftApplication),
        ended(ObjectKind::Playback, "p1", GapEnd::Gone),
    ];
    assert_eq!(triples(&resync.ended), want, "{resync:?}");
    assert_eq!(resync.appeared_channels, ["c4"], "{resync:?}");
    assert_eq!(resync.appeared_bridges, ["b9"], "{resync:?}");
    assert_eq!(resync.error, None);

    // c1 and p1 saw their start before the loss; c3's stream was taken after it.
    for stream in [&mut c1, &mut p1, &mut c2] {
        next_event(stream, "start").await;
    }
    for (stream, id, reason) in [
        (&mut c1, "c1", GapEnd::Gone),
        (&mut c3, "c3", GapEnd::LeftApplication),
        (&mut p1, "p1", GapEnd::Gone),
    ] {
        assert!(matches!(next(stream, id).await, StreamItem::Gap(_)), "{id}");
        match next(stream, id).await {
            StreamItem::EndedInGap(e) => {
                assert_eq!((e.id.as_str(), e.reason), (id, reason), "{id}");
            }
            other => panic!("{id}: expected EndedInGap, got {other:?}"),
        }
        ends(stream, id).await;
    }
    // c2 is still in the application; c5 was never seen: both stay open.
    for (stream, id) in [(&mut c2, "c2"), (&mut c5, "c5")] {
        assert!(matches!(next(stream, id).await, StreamItem::Gap(_)), "{id}");
        let what = format!("{id}: the stream yielded or ended after the gap");
        assert_quiet(Duration::from_millis(200), stream.next(), &what).await;
    }
    let mut targets: Vec<String> = rest.requests().into_iter().map(|r| r.target).collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "/ari/applications/probe-app",
            "/ari/channels/c1",
            "/ari/channels/c3",
            "/ari/playbacks/p1"
        ],
        "c2 (in the application) and c5 (never seen) are not asked for"
    );
    assert_eq!(handle.subscription_count(), 3, "all, c2 and c5");
}

#[tokio::test]
async fn a_wait_on_a_stream_whose_object_ended_in_the_gap_says_so() {
    let rest = rest_after_the_gap(200).await;
    let mut server = TestServer::start().await;
    let (all, mut c1, conn) = c1_started(&mut server, &rest, true).await;
    next_event(&mut c1, "c1").await;
    let _conn = lose(conn, &mut server, &mut c1).await;
    let error = c1
        .wait_for(|e| e.type_name() == "ChannelDtmfReceived", HANG)
        .await
        .expect_err("the channel is gone");
    match &error {
        WaitError::EndedInGap { ended, .. } => {
            assert_eq!((ended.id.as_str(), ended.reason), ("c1", GapEnd::Gone));
        }
        other => panic!("expected EndedInGap, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("channel c1 ended while the events socket was down"),
        "{error}"
    );
    drop(all);
}

#[tokio::test]
async fn a_resync_that_cannot_read_the_state_says_why_and_ends_nothing() {
    let rest = rest_after_the_gap(500).await;
    let mut server = TestServer::start().await;
    let (mut all, mut c1, conn) = c1_started(&mut server, &rest, true).await;
    let _conn = lose(conn, &mut server, &mut all).await;
    let StreamItem::Resync(Resync { ended, error, .. }) = next(&mut all, "the resync").await else {
        panic!("the item after the gap is not the resync");
    };
    assert!(ended.is_empty());
    let error = error.expect("the resync says it failed");
    assert!(
        error.contains("reading application probe-app") && error.contains("500"),
        "{error}"
    );
    next_event(&mut c1, "c1").await;
    assert!(matches!(next(&mut c1, "c1").await, StreamItem::Gap(_)));
    let what = "c1 stays open when its state could not be read";
    assert_quiet(Duration::from_millis(200), c1.next(), what).await;
}

#[tokio::test]
async fn resync_off_gives_the_gap_only() {
    let rest = rest_after_the_gap(200).await;
    let mut server = TestServer::start().await;
    let (mut all, mut c1, conn) = c1_started(&mut server, &rest, false).await;
    let mut conn = lose(conn, &mut server, &mut all).await;
    conn.send(event("ChannelVarset", "channel", "c1")).await;
    // The next item is the event: no resync item came between.
    next_event(&mut all, "the event").await;
    next_event(&mut c1, "c1").await;
    assert!(matches!(next(&mut c1, "c1").await, StreamItem::Gap(_)));
    next_event(&mut c1, "c1").await;
    assert!(rest.requests().is_empty(), "no state was read");
}
