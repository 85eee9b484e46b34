//! `client.events()`: the event stream configured from a `Client` and registered with it (no Asterisk needed).

// Shared with tests/events.rs, which uses every helper; this file uses some.
#[allow(dead_code)]
mod events_support;

use std::time::Duration;

use ari_sdk::events::{EventsError, ObjectKind, RawEvent, StreamItem};
use ari_sdk::{Client, Event};
use events_support::{Accepted, TestServer};
use futures::StreamExt as _;

/// Guards against hangs only; never a performance threshold.
const HANG: Duration = Duration::from_secs(30);

fn client(server: &TestServer) -> Client {
    Client::builder(server.base_url())
        .basic_auth("asterisk", "s3cret")
        .user_agent("probe/1")
        .build()
        .unwrap()
}

/// A server, a client of it with a connected event stream for app `a`, and the server's side of
/// that connection.
async fn connected() -> (
    TestServer,
    Client,
    events_support::Accepted,
    ari_sdk::events::EventStream,
) {
    let mut server = TestServer::start().await;
    let client = client(&server);
    let events = client.events().app("a").connect().await.unwrap();
    let conn = server.accept().await;
    (server, client, conn, events)
}

/// A StasisStart recorded from Asterisk 22.10.1 (channel id `c1`).
const START: &str = r#"{"type":"StasisStart","timestamp":"2026-11-26T05:06:00.285+0000","args":["one","two"],"channel":{"id":"c1","name":"Local/wait@default-00000008;1","state":"Up","protocol_id":"","caller":{"name":"Alice","number":"100"},"connected":{"name":"Alice","number":"100"},"accountcode":"","dialplan":{"context":"default","exten":"wait","priority":1,"app_name":"Stasis","app_data":"a,one,two"},"creationtime":"2026-11-26T05:06:00.284+0000","language":"en"},"asterisk_id":"02:fc:00:00:00:01","application":"a"}"#;

#[tokio::test]
async fn configured_from_the_client_basic_auth_user_agent_and_typed_events() {
    let mut server = TestServer::start().await;
    let client = client(&server);
    let mut events = client
        .events()
        .apps(["a", "b"])
        .subscribe_all(true)
        .connect()
        .await
        .unwrap();
    let mut conn = server.accept().await;
    assert_eq!(conn.uri, "/ari/events?app=a,b&subscribeAll=true");
    assert_eq!(conn.headers["authorization"], "Basic YXN0ZXJpc2s6czNjcmV0");
    assert_eq!(conn.headers["sec-websocket-protocol"], "ari");
    assert_eq!(conn.headers["user-agent"], "probe/1");

    conn.send(START).await;
    let item = tokio::time::timeout(HANG, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match item {
        StreamItem::Event(Event::StasisStart(start)) => assert_eq!(start.channel.id, "c1"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn api_key_mode_puts_the_credentials_in_the_query() {
    let mut server = TestServer::start().await;
    let client = Client::builder(server.base_url())
        .api_key("asterisk", "s3:cret&")
        .build()
        .unwrap();
    let _events = client.events().app("a").connect().await.unwrap();
    let conn = server.accept().await;
    // the same encoding as the REST requests of the client (Asterisk splits at the first `:`)
    assert_eq!(conn.uri, "/ari/events?app=a&api_key=asterisk:s3:cret%26");
    assert!(!conn.headers.contains_key("authorization"));
}

#[tokio::test]
async fn the_client_knows_its_one_open_connection() {
    let mut server = TestServer::start().await;
    let client = client(&server);
    assert!(matches!(
        client.event_connection(),
        Err(EventsError::NoConnection)
    ));
    assert!(matches!(
        client.object_events(ObjectKind::Channel, "c1"),
        Err(EventsError::NoConnection)
    ));

    let events = client.events().app("a").connect().await.unwrap();
    let mut conn = server.accept().await;
    let handle = client.event_connection().expect("registered");
    assert_eq!(handle.subscription_count(), 1);

    // A per-object stream through the client, taken before the object exists.
    let mut channel = client.object_events(ObjectKind::Channel, "c1").unwrap();
    assert_eq!(handle.subscription_count(), 2);
    conn.send(START).await;
    conn.send(START.replace("StasisStart", "StasisEnd")).await;
    let mut seen = Vec::new();
    while let Some(item) = tokio::time::timeout(HANG, channel.next()).await.unwrap() {
        seen.push(item.unwrap().into_event().unwrap().type_name().to_owned());
    }
    assert_eq!(seen, ["StasisStart", "StasisEnd"]);
    assert_eq!(handle.subscription_count(), 1, "the ended stream is gone");

    // A connection not registered, and one of another event type, do not make it ambiguous.
    let _other = client
        .events()
        .app("b")
        .register_with_client(false)
        .connect()
        .await
        .unwrap();
    let _raw = client
        .events()
        .app("c")
        .with_event_type::<RawEvent>()
        .connect()
        .await
        .unwrap();
    assert!(client.event_connection().is_ok());

    // Two registered connections of `Event`: ambiguous.
    let second = client.events().app("d").connect().await.unwrap();
    match client.event_connection() {
        Err(e @ EventsError::AmbiguousConnection { count: 2 }) => {
            assert!(e.to_string().contains("2 event connections"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    drop(second);
    assert!(
        client.event_connection().is_ok(),
        "a dropped one no longer counts"
    );

    // The registry never keeps a connection open: dropping the stream and the handle closes it.
    drop(handle);
    drop(channel);
    drop(events);
    assert!(tokio::time::timeout(HANG, conn.expect_close())
        .await
        .unwrap());
    assert!(matches!(
        client.event_connection(),
        Err(EventsError::NoConnection)
    ));

    // A closed connection does not count even while its handle is held.
    let events = client.events().app("a").connect().await.unwrap();
    let handle = events.handle().clone();
    handle.close();
    handle.closed().await;
    assert!(matches!(
        client.event_connection(),
        Err(EventsError::NoConnection)
    ));
}

#[tokio::test]
async fn start_registers_before_connecting() {
    let mut server = TestServer::start().await;
    let client = client(&server);
    let handle = client.events().app("a").start().unwrap();
    let mut early = client.object_events(ObjectKind::Channel, "c1").unwrap();
    let mut conn = server.accept().await;
    conn.send(START).await;
    let first = tokio::time::timeout(HANG, early.next()).await.unwrap();
    assert!(matches!(
        first,
        Some(Ok(StreamItem::Event(Event::StasisStart(_))))
    ));
    handle.close();
}

/// `originate_and_wait` on `stream` with an originate that succeeds but no `StasisStart` after it: the
/// error it ends with, after `timeout`.
async fn unanswered_originate(
    stream: ari_sdk::events::EventStream<Event>,
    timeout: Duration,
) -> ari_sdk::flows::FlowError {
    let originate = async { Ok::<_, ari_sdk::Error>(()) };
    ari_sdk::flows::originate_and_wait(stream, originate, timeout)
        .await
        .unwrap_err()
}

/// Connects the event socket of the client `builder` makes and reads its first event.
async fn first_event_over(builder: ari_sdk::ClientBuilder) {
    let client = builder.build().unwrap();
    let mut events = client.events().app("a").connect().await.unwrap();
    let first = tokio::time::timeout(HANG, events.next()).await.unwrap();
    assert!(matches!(first, Some(Ok(StreamItem::Event(_)))), "{first:?}");
    events.handle().close();
}

#[tokio::test]
async fn wss_uses_the_clients_tls_settings() {
    let events_support::WssServer {
        port,
        pem,
        task: server,
        ..
    } = events_support::wss_server(2, START).await;
    let base = format!("https://localhost:{port}/ari");

    // Without the certificate: the TLS handshake fails.
    let plain = Client::builder(base.as_str()).build().unwrap();
    let err = plain.events().app("a").connect().await.unwrap_err();
    assert!(matches!(err, EventsError::Connect { .. }), "{err}");

    // The client's extra root certificate is trusted by the event socket too.
    let trusting = Client::builder(base.as_str()).add_root_certificate_pem(pem);
    first_event_over(trusting).await;
    // And so is "accept invalid certificates".
    let careless = Client::builder(base.as_str()).danger_accept_invalid_certs(true);
    first_event_over(careless).await;
    tokio::time::timeout(HANG, server).await.unwrap().unwrap();
}

/// The first recorded event of `kind` about `id` (a channel or playback id of the fixture).
fn recorded(kind: &str, id: &str) -> String {
    events_support::fixture_lines()
        .into_iter()
        .find(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["type"] == kind
                && (v["channel"]["id"] == id
                    || v["playback"]["id"] == id
                    || v["bridge"]["id"] == id
                    || v["recording"]["name"] == id)
        })
        .unwrap_or_else(|| panic!("no recorded {kind} for {id}"))
}

mod flows {
    use super::*;
    use ari_sdk::events::WaitError;
    use ari_sdk::flows::{originate_and_wait, play_and_wait, FlowError};

    /// The wait error `err` carries, if it is [`FlowError::Wait`].
    fn wait_error(err: &FlowError) -> Option<&WaitError> {
        match err {
            FlowError::Wait { error, .. } => Some(error),
            _ => None,
        }
    }

    #[tokio::test]
    async fn originate_and_wait_returns_the_start_and_the_positioned_stream() {
        let (_server, client, mut conn, _events) = connected().await;
        let stream = client.object_events(ObjectKind::Channel, "chan-b").unwrap();
        let request = async {
            // the server's events may come before the REST answer: the stream buffers them
            conn.send(recorded("ChannelStateChange", "chan-b")).await;
            conn.send(recorded("StasisStart", "chan-b")).await;
            conn.send(recorded("StasisEnd", "chan-b")).await;
            Ok::<_, ari_sdk::Error>("created")
        };
        let started = originate_and_wait(stream, request, HANG).await.unwrap();
        assert_eq!(started.response, "created");
        assert_eq!(started.start.channel.id, "chan-b");
        let mut rest = started.events;
        let next = tokio::time::timeout(HANG, rest.next()).await.unwrap();
        assert!(
            matches!(next, Some(Ok(StreamItem::Event(Event::StasisEnd(_))))),
            "{next:?}"
        );
    }

    #[tokio::test]
    async fn originate_and_wait_reports_the_destroyed_channel_the_request_error_and_the_timeout() {
        let (_server, client, mut conn, _events) = connected().await;
        let stream = client.object_events(ObjectKind::Channel, "chan-c").unwrap();
        conn.send(recorded("ChannelDestroyed", "chan-c")).await;
        let err = originate_and_wait(stream, async { Ok::<_, ari_sdk::Error>(()) }, HANG)
            .await
            .unwrap_err();
        assert!(matches!(err, FlowError::ChannelDestroyed(_)), "{err}");
        assert!(err.hangup_cause().is_some());
        assert!(
            err.to_string()
                .contains("chan-c was destroyed before it entered Stasis"),
            "{err}"
        );

        let stream = client.object_events(ObjectKind::Channel, "x").unwrap();
        let failing = async {
            Err::<(), _>(ari_sdk::Error::InvalidRequest {
                operation: Some("originate"),
                message: "nope".into(),
            })
        };
        let err = originate_and_wait(stream, failing, HANG).await.unwrap_err();
        assert!(matches!(err, FlowError::Request(_)), "{err}");

        let handle = client.event_connection().unwrap();
        let before = handle.subscription_count();
        let stream = client.object_events(ObjectKind::Channel, "never").unwrap();
        let err = unanswered_originate(stream, Duration::from_millis(50)).await;
        assert!(
            matches!(wait_error(&err), Some(WaitError::Timeout { .. })),
            "{err}"
        );
        assert_eq!(handle.subscription_count(), before, "nothing leaks");
    }

    #[tokio::test]
    async fn play_and_wait_returns_the_finished_event() {
        let (_server, client, mut conn, _events) = connected().await;
        let stream = client.object_events(ObjectKind::Playback, "pb-1").unwrap();
        conn.send(recorded("PlaybackStarted", "pb-1")).await;
        conn.send(recorded("PlaybackFinished", "pb-1")).await;
        let (response, finished) =
            play_and_wait(stream, async { Ok::<_, ari_sdk::Error>(7) }, HANG)
                .await
                .unwrap();
        assert_eq!(response, 7);
        assert_eq!(finished.playback.id, "pb-1");
    }

    #[tokio::test]
    async fn a_gap_while_waiting_is_an_error_not_a_silent_loss() {
        let mut server = TestServer::start().await;
        let client = client(&server);
        let _events = client
            .events()
            .app("a")
            .reconnect(
                ari_sdk::events::ReconnectPolicy::default()
                    .initial_delay(Duration::from_millis(10)),
            )
            .connect()
            .await
            .unwrap();
        let conn = server.accept().await;
        let stream = client.object_events(ObjectKind::Channel, "chan-b").unwrap();
        drop(conn); // the connection is lost, then made again: StasisStart may have been missed
        let _again = server.accept().await;
        let err = originate_and_wait(stream, async { Ok::<_, ari_sdk::Error>(()) }, HANG)
            .await
            .unwrap_err();
        assert!(
            matches!(wait_error(&err), Some(WaitError::Gap { .. })),
            "{err}"
        );
    }
}

#[tokio::test]
async fn handles_give_per_object_streams_that_end_by_themselves() {
    let mut server = TestServer::start().await;
    let client = client(&server);
    assert!(matches!(
        client.channel("chan-b").events(),
        Err(EventsError::NoConnection)
    ));
    let events = client.events().app("a").connect().await.unwrap();
    let mut conn = server.accept().await;
    let handle = events.handle().clone();
    let mut streams = vec![
        ("channel", client.channel("chan-b").events().unwrap()),
        ("bridge", client.bridge("bridge-1").events().unwrap()),
        ("playback", client.playback("pb-1").events().unwrap()),
        (
            "recording",
            client.live_recording("probe-rec").events().unwrap(),
        ),
    ];
    assert_eq!(handle.subscription_count(), 5);
    for (kind, id) in [
        ("StasisStart", "chan-b"),
        ("StasisEnd", "chan-b"),
        ("BridgeCreated", "bridge-1"),
        ("BridgeDestroyed", "bridge-1"),
        ("PlaybackStarted", "pb-1"),
        ("PlaybackFinished", "pb-1"),
        ("RecordingStarted", "probe-rec"),
        ("RecordingFinished", "probe-rec"),
    ] {
        conn.send(recorded(kind, id)).await;
    }
    let mut seen = Vec::new();
    for (what, stream) in &mut streams {
        let mut types = Vec::new();
        while let Some(item) = tokio::time::timeout(HANG, stream.next()).await.unwrap() {
            types.push(item.unwrap().into_event().unwrap().type_name().to_owned());
        }
        seen.push(format!("{what}: {}", types.join(" ")));
    }
    assert_eq!(
        seen,
        [
            "channel: StasisStart StasisEnd",
            "bridge: BridgeCreated BridgeDestroyed",
            "playback: PlaybackStarted PlaybackFinished",
            "recording: RecordingStarted RecordingFinished",
        ]
    );
    assert_eq!(handle.subscription_count(), 1, "nothing leaks");
}

/// Issue 14: what a new user's first IVR needs from the event side, without an Asterisk.
mod first_ivr {
    use super::*;
    use ari_sdk::event_types::{ChannelDtmfReceived, ChannelVarset};
    use ari_sdk::events::WaitError;

    /// An event of `kind` about channel `id` (the channel as in the recorded [`START`]), with `extra` fields.
    fn channel_event(kind: &str, id: &str, extra: serde_json::Value) -> String {
        let mut event: serde_json::Value = serde_json::from_str(START).unwrap();
        event["type"] = kind.into();
        event["channel"]["id"] = id.into();
        for (k, v) in extra.as_object().unwrap() {
            event[k] = v.clone();
        }
        event.to_string()
    }

    /// Sends, in order, events of channel `id` of the given types with the given extra fields.
    async fn send_channel_events<const N: usize>(
        conn: &mut Accepted,
        id: &str,
        events: [(&str, serde_json::Value); N],
    ) {
        for (kind, extra) in events {
            conn.send(channel_event(kind, id, extra)).await;
        }
    }

    #[tokio::test]
    async fn a_typed_wait_returns_the_variant_and_skips_others() {
        let (_server, client, mut conn, _events) = connected().await;
        let mut stream = client.channel("c7").events().unwrap();
        send_channel_events(
            &mut conn,
            "c7",
            [
                (
                    "ChannelVarset",
                    serde_json::json!({"variable": "X", "value": "1"}),
                ),
                (
                    "ChannelDtmfReceived",
                    serde_json::json!({"digit": "2", "duration_ms": 100}),
                ),
                (
                    "ChannelDtmfReceived",
                    serde_json::json!({"digit": "#", "duration_ms": 100}),
                ),
            ],
        )
        .await;
        let dtmf: ChannelDtmfReceived = stream.next_of(HANG).await.unwrap();
        assert_eq!(dtmf.digit, "2");
        let hash = stream
            .next_of_where(|d: &ChannelDtmfReceived| d.digit == "#", HANG)
            .await
            .unwrap();
        assert_eq!(hash.duration_ms, 100);
        conn.send(channel_event(
            "ChannelVarset",
            "c7",
            serde_json::json!({"variable": "Y", "value": "2"}),
        ))
        .await;
        let value = stream
            .wait_for_map(
                "ChannelVarset of Y",
                |e| match e {
                    Event::ChannelVarset(ChannelVarset {
                        variable, value, ..
                    }) if variable == "Y" => Some(value),
                    _ => None,
                },
                HANG,
            )
            .await
            .unwrap();
        assert_eq!(value, "2");
    }

    #[tokio::test]
    async fn wait_errors_name_the_event_kind_and_the_object() {
        let (_server, client, _conn, _events) = connected().await;
        let mut stream = client.channel("c-quiet").events().unwrap();
        let err = stream
            .next_of::<ChannelDtmfReceived>(Duration::from_millis(20))
            .await
            .unwrap_err();
        assert!(err.is_timeout());
        assert_eq!(
            err.to_string(),
            "no ChannelDtmfReceived of channel c-quiet within 20ms"
        );
        assert_eq!(
            err.awaited().object(),
            Some((ObjectKind::Channel, "c-quiet"))
        );

        // The flow helpers too: which channel was awaited, for what.
        let stream = client.channel("c-never").events().unwrap();
        let err = unanswered_originate(stream, Duration::from_millis(20)).await;
        assert_eq!(
            err.to_string(),
            "no StasisStart of channel c-never within 20ms"
        );
    }

    #[tokio::test]
    async fn wait_for_event_needs_one_question_mark() {
        let server = TestServer::start().await;
        let client = client(&server);
        // No connection: the waiter itself says so when awaited.
        let waiter = client.wait_for_event(|e| e.type_name() == "X", HANG);
        let err: WaitError = waiter.await.unwrap_err();
        assert!(
            matches!(
                err,
                WaitError::Stream {
                    error: EventsError::NoConnection,
                    ..
                }
            ),
            "{err}"
        );
        async fn one_question_mark(client: &Client) -> Result<Event, WaitError> {
            let event = client
                .wait_for_event(|e| e.type_name() == "X", Duration::from_millis(10))
                .await?;
            Ok(event)
        }
        assert!(one_question_mark(&client).await.is_err());
    }

    #[tokio::test]
    async fn an_incoming_call_taken_late_has_missed_nothing_after_its_stasis_start() {
        let (_server, client, mut conn, mut all) = connected().await;
        let mut calls = client.incoming_calls().unwrap();
        send_channel_events(
            &mut conn,
            "in-1",
            [
                ("StasisStart", serde_json::json!({})),
                (
                    "ChannelVarset",
                    serde_json::json!({"variable": "FIRST", "value": "1"}),
                ),
                ("ChannelStateChange", serde_json::json!({})),
            ],
        )
        .await;
        // Everything has been dispatched (the app stream saw it all) before the program takes the call.
        for _ in 0..3 {
            tokio::time::timeout(HANG, all.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
        let call = calls.next_call(HANG).await.unwrap();
        assert_eq!(call.channel.id(), "in-1");
        assert_eq!(call.start.channel.id, "in-1");
        let mut events = call.events;
        let first: ChannelVarset = events.next_of(HANG).await.unwrap();
        assert_eq!(first.variable, "FIRST", "the first event after StasisStart");
        let next = tokio::time::timeout(HANG, events.next()).await.unwrap();
        assert!(
            matches!(
                next,
                Some(Ok(StreamItem::Event(Event::ChannelStateChange(_))))
            ),
            "{next:?}"
        );

        // A stream taken the old way at that moment would have missed both.
        let handle = client.event_connection().unwrap();
        let before = handle.subscription_count();
        conn.send(channel_event("StasisStart", "in-2", serde_json::json!({})))
            .await;
        tokio::time::timeout(HANG, all.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(
            handle.subscription_count(),
            before + 1,
            "in-2's stream exists before anyone takes it"
        );
        drop(calls);
        assert_eq!(
            handle.subscription_count(),
            before - 1,
            "dropping the calls drops untaken streams and itself"
        );
    }
}
