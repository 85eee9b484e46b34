//! `ari_sdk::testkit` itself: Asterisk's answers to what no operation has, scripted failures, the request log,
//! dial outcomes, and the replay of a recorded session (the fixtures of Asterisk 22.10.1).

use std::time::Duration;

use ari_sdk::app::{dial, Dial, DialOutcome};
use ari_sdk::events::StreamItem;
use ari_sdk::testkit::{DialAnswer, FakeAsterisk};
use ari_sdk::Event;
use futures::StreamExt as _;

const LIMIT: Duration = Duration::from_secs(10);

async fn raw(fake: &FakeAsterisk, method: reqwest::Method, path: &str) -> (u16, String) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .request(method, format!("{}{path}", fake.url()))
        .basic_auth("testkit", Some("testkit"))
        .send()
        .await
        .expect("the fake answers");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_as_asterisk_does() {
    let fake = FakeAsterisk::start().await.expect("fake");
    assert_eq!(
        raw(&fake, reqwest::Method::GET, "/nothing/here").await,
        (404, r#"{"message":"Resource not found"}"#.to_owned())
    );
    assert_eq!(
        raw(&fake, reqwest::Method::PATCH, "/channels").await,
        (405, r#"{"message":"Invalid method"}"#.to_owned())
    );
    let (status, body) = raw(&fake, reqwest::Method::GET, "/channels/nosuch").await;
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"message":"Channel not found"}"#)
    );
    // A known operation the fake does not simulate says so.
    let (status, body) = raw(&fake, reqwest::Method::GET, "/deviceStates").await;
    assert_eq!(status, 501, "{body}");
    assert!(body.contains("deviceStates.list"), "{body}");
    // Garbage gets a status, not a panic.
    let (status, _) = raw(
        &fake,
        reqwest::Method::POST,
        "/channels/%ff%fe/play?media=%",
    )
    .await;
    assert_eq!(status, 404);
    let unauthorized = reqwest::Client::new()
        .get(format!("{}/channels", fake.url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(unauthorized.status().as_u16(), 401);
}

#[tokio::test]
async fn scripted_failures_and_answers_and_the_request_log() {
    let fake = FakeAsterisk::start().await.expect("fake");
    let client = fake.client().expect("client");
    fake.fail("channels.list", 503, "ARI is loading", 1);
    let err = client.channels().list().await.expect_err("scripted 503");
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(err.to_string().contains("ARI is loading"), "{err}");
    assert!(client
        .channels()
        .list()
        .await
        .expect("then the model")
        .is_empty());
    fake.respond(
        "deviceStates.list",
        200,
        serde_json::json!([{"name": "Custom:x", "state": "BUSY"}]),
    );
    let states = client
        .device_states()
        .list()
        .await
        .expect("scripted answer");
    assert_eq!(states.len(), 1);
    let log = fake.requests_of("channels.list");
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", "/channels")
    );
}

/// The dial helper from `call`'s channel, in application `dialer`.
async fn dial_from(
    call: &mut ari_sdk::flows::Incoming,
    spec: Dial,
) -> Result<DialOutcome, ari_sdk::app::CallError> {
    let channel = call.channel.clone();
    dial(&channel, &mut call.events, "dialer", &spec).await
}

#[tokio::test]
async fn dial_outcomes_follow_the_scripted_endpoints() {
    let fake = FakeAsterisk::start().await.expect("fake");
    fake.dial_answer("PJSIP/busy", DialAnswer::Busy);
    fake.dial_answer("PJSIP/away", DialAnswer::NoAnswer);
    let client = fake.client().expect("client");
    let _events = client
        .events()
        .app("dialer")
        .connect()
        .await
        .expect("events");
    let mut calls = client.incoming_calls().expect("calls");
    let caller = fake.call("dialer", &[]).await.expect("call");
    let mut incoming = calls.next_call(LIMIT).await.expect("the caller");
    assert_eq!(incoming.channel.id(), caller);
    let busy = dial_from(&mut incoming, Dial::new("PJSIP/busy")).await;
    assert!(
        matches!(busy, Ok(DialOutcome::Busy { cause: Some(17) })),
        "{busy:?}"
    );
    let away = dial_from(
        &mut incoming,
        Dial::new("PJSIP/away").timeout(Duration::from_secs(2)),
    )
    .await;
    assert!(matches!(away, Ok(DialOutcome::NoAnswer { .. })), "{away:?}");
    let answered = dial_from(&mut incoming, Dial::new("PJSIP/bob")).await;
    let Ok(DialOutcome::Answered(leg)) = answered else {
        panic!("{answered:?}");
    };
    assert_eq!(fake.channel_state(leg.channel.id()).as_deref(), Some("Up"));
}

#[tokio::test]
async fn a_recorded_session_replays_its_events_in_order() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/asterisk-22.10.1/sip-events.jsonl"
    );
    let session = std::fs::read_to_string(path).expect("the fixture");
    let fake = FakeAsterisk::start().await.expect("fake");
    let client = fake.client().expect("client");
    let mut events = client
        .events()
        .app("replayed")
        .connect()
        .await
        .expect("events");
    fake.wait_for_app("replayed", LIMIT)
        .await
        .expect("registered");
    let sent = fake.replay("replayed", &session).expect("replay");
    assert!(sent > 0);
    let types: Vec<String> = session
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["type"].as_str().map(str::to_owned))
        .collect();
    let mut got = Vec::new();
    tokio::time::timeout(LIMIT, async {
        while got.len() < types.len() {
            match events.next().await {
                Some(Ok(StreamItem::Event(event))) => got.push(event),
                Some(Ok(_)) => {}
                other => panic!("the stream: {other:?}"),
            }
        }
    })
    .await
    .expect("every replayed event within 10 s");
    let got_types: Vec<&str> = got.iter().map(Event::type_name).collect();
    assert_eq!(got_types, types);
    assert!(fake.replay("x", "not json").is_err());
}
