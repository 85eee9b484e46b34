//! Channels entering and leaving Stasis applications, seen on the events WebSocket.

use std::time::Duration;

use ari_live_tests::{
    connect, expect_json, poll_until, until_dtmf_echoed, Ari, Cleanup, Events, EVENT_TIMEOUT,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The sandbox, a unique application `what`-…, its event socket (raw, over plain HTTP) and a cleanup guard.
async fn stage(what: &str) -> (Ari, String, Events, Cleanup) {
    let ari = connect().await;
    let app = ari.unique(what);
    let events = ari.events(&[&app]).await;
    let cleanup = ari.cleanup();
    (ari, app, events, cleanup)
}

/// `POST /channels` over plain HTTP: originates `Local/{exten}@` the sandbox's context with the further
/// `query` parameters (and the JSON `body`, if any); the new channel (status 200 asserted).
async fn originate(ari: &Ari, exten: &str, query: &[(&str, &str)], body: Option<&Value>) -> Value {
    let endpoint = format!("Local/{exten}@{}", ari.target.context);
    let mut all = vec![("endpoint", endpoint.as_str())];
    all.extend_from_slice(query);
    let response = match body {
        Some(body) => ari.post_json("channels", &all, body).await,
        None => ari.post("channels", &all).await,
    };
    expect_json(response, 200, &format!("POST /channels {all:?}")).await
}

/// The `StasisStart` of channel `id`, within [`EVENT_TIMEOUT`].
async fn stasis_start(events: &mut Events, id: &str) -> Value {
    events
        .wait_for("StasisStart", EVENT_TIMEOUT, |e| e["channel"]["id"] == id)
        .await
}

/// `DELETE /channels/{id}` over plain HTTP (204 asserted); the channel's `StasisEnd`, within [`EVENT_TIMEOUT`].
async fn hang_up(ari: &Ari, events: &mut Events, id: &str) -> Value {
    let response = ari.delete(&format!("channels/{id}")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    events
        .wait_for("StasisEnd", EVENT_TIMEOUT, |e| e["channel"]["id"] == id)
        .await
}

#[tokio::test]
async fn originate_into_stasis_then_hang_up() {
    let (ari, app, mut events, mut cleanup) = stage("originate").await;
    let id = ari.unique("chan");
    let other = ari.unique("chan2");
    cleanup.channel(&id);
    cleanup.channel(&other);

    let query = [
        ("app", app.as_str()),
        ("appArgs", "first,second"),
        ("channelId", id.as_str()),
        ("otherChannelId", other.as_str()),
    ];
    let channel = originate(&ari, "wait", &query, None).await;
    assert_eq!(channel["id"], id.as_str());

    let start = stasis_start(&mut events, &id).await;
    assert_eq!(start["application"], app.as_str());
    assert_eq!(start["args"], json!(["first", "second"]));
    assert_eq!(start["channel"]["state"], "Up");
    assert!(start["timestamp"].is_string());

    let listed = ari.get_json(&format!("channels/{id}")).await;
    assert_eq!(listed["id"], id.as_str());

    let end = hang_up(&ari, &mut events, &id).await;
    assert_eq!(end["application"], app.as_str());

    // Asterisk sends StasisEnd before it destroys the channel: the GET may still find it for a
    // moment (measured: 200 once in a CI run), so poll until it answers something else.
    let gone = poll_until(
        "the hung-up channel no longer found",
        EVENT_TIMEOUT,
        Duration::from_millis(20),
        || async {
            let response = ari
                .get(&format!("channels/{id}"))
                .await
                .expect("GET channel");
            (response.status() != StatusCode::OK).then_some(response.status())
        },
    )
    .await;
    assert_eq!(gone, StatusCode::NOT_FOUND);
    events.close().await;
}

#[tokio::test]
async fn dialplan_enters_stasis_by_variable_and_by_extension() {
    let ari = connect().await;
    let by_variable = ari.unique("byvar");
    let by_extension = ari.unique("byexten");
    let mut events = ari.events(&[&by_variable, &by_extension]).await;
    let mut cleanup = ari.cleanup();
    let context = ari.target.context.clone();

    // `stasis`: the application comes from the channel variable ARI_APP.
    let id = ari.unique("var");
    cleanup.channel(&id);
    let query = [
        ("context", context.as_str()),
        ("extension", "stasis"),
        ("channelId", id.as_str()),
    ];
    let variables = json!({"variables": {"ARI_APP": by_variable, "ARI_ARGS": "x"}});
    originate(&ari, "wait", &query, Some(&variables)).await;
    let start = stasis_start(&mut events, &id).await;
    assert_eq!(start["application"], by_variable.as_str());
    assert_eq!(start["args"], json!(["x"]));

    // `stasis-<app>`: the application comes from the extension.
    let id2 = ari.unique("exten");
    cleanup.channel(&id2);
    let extension = format!("stasis-{by_extension}");
    let query = [
        ("context", context.as_str()),
        ("extension", extension.as_str()),
        ("channelId", id2.as_str()),
    ];
    originate(&ari, "wait", &query, None).await;
    let start = stasis_start(&mut events, &id2).await;
    assert_eq!(start["application"], by_extension.as_str());

    for channel in [&id, &id2] {
        hang_up(&ari, &mut events, channel).await;
    }
    events.close().await;
}

#[tokio::test]
async fn echo_extension_sends_dtmf_back() {
    let (ari, app, mut events, mut cleanup) = stage("echo").await;
    let id = ari.unique("echochan");
    cleanup.channel(&id);
    let query = [("app", app.as_str()), ("channelId", id.as_str())];
    originate(&ari, "echo", &query, None).await;
    stasis_start(&mut events, &id).await;

    // The far end plays hello-world first (it does not listen meanwhile), then echoes: send the
    // digit until it comes back, a bounded number of times.
    let echoed = until_dtmf_echoed(
        &mut events,
        &id,
        || async {
            let response = ari
                .post(
                    &format!("channels/{id}/dtmf"),
                    &[("dtmf", "7"), ("duration", "100")],
                )
                .await;
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
        },
        "the echo extension",
    )
    .await;
    assert_eq!(echoed["digit"], "7");

    hang_up(&ari, &mut events, &id).await;
    events.close().await;
}
