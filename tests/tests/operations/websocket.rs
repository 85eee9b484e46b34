//! REST over WebSocket as such, whatever transport the rest of the suite uses: many requests in
//! flight on one socket, the same results and errors as over HTTP, and how Asterisk's event
//! filters treat the answers.

use std::time::Duration;

use ari_live_tests::{connect, Ari, Scene};
use ari_sdk::events::EventsError;
use ari_sdk::{Error, Transport};
use serde_json::json;

/// Whether the server has no REST over WebSocket (it came with 20.14/21.9/22.4; the sandbox's 16.28.0
/// lacks it). There, what a user gets is checked instead: connecting a WebSocket-transport client
/// fails with `RestUnsupported`, it does not hang.
async fn lacks_rest_over_websocket(ari: &Ari) -> bool {
    if ari.major().await >= 20 {
        return false;
    }
    let client = ari.client_over(Transport::WebSocket);
    let app = ari.unique("ws-old");
    let error = client
        .events()
        .app(&app)
        .connect()
        .await
        .expect_err("REST over WebSocket connected to a server older than the feature");
    assert!(
        matches!(error, EventsError::RestUnsupported { .. }),
        "expected RestUnsupported, got {error}"
    );
    true
}

/// A scene whose client sends REST over the WebSocket, or `None` where the server lacks it (what a
/// user gets there is checked by [`lacks_rest_over_websocket`]).
async fn websocket_scene(what: &str) -> Option<Scene> {
    if lacks_rest_over_websocket(&connect().await).await {
        return None;
    }
    Some(Scene::over(what, Transport::WebSocket).await)
}

#[tokio::test]
async fn the_same_results_and_errors_as_over_http() {
    let Some(scene) = websocket_scene("ws-same").await else {
        return;
    };
    let ws = scene.client.clone();
    let http = scene.ari.client();
    assert_eq!(ws.transport(), Transport::WebSocket);

    let over_ws = ws.application(&scene.app).get().await.expect("get over WS");
    let over_http = http
        .application(&scene.app)
        .get()
        .await
        .expect("get over HTTP");
    assert_eq!(over_ws, over_http);

    let missing = format!("{}-none", scene.app);
    let ws_error = ws
        .channel(&missing)
        .get()
        .await
        .expect_err("no such channel");
    let http_error = http
        .channel(&missing)
        .get()
        .await
        .expect_err("no such channel");
    match (&ws_error, &http_error) {
        (
            Error::Api {
                operation: op_ws,
                status: status_ws,
                message: message_ws,
                reason: reason_ws,
                ..
            },
            Error::Api {
                operation,
                status,
                message,
                reason,
                ..
            },
        ) => {
            assert_eq!(
                (op_ws, status_ws, message_ws, reason_ws),
                (operation, status, message, reason)
            );
            assert_eq!(*status, 404);
            assert_eq!(message.as_deref(), Some("Channel not found"));
        }
        other => panic!("expected two API errors, got {other:?}"),
    }
    assert_eq!(ws_error.to_string(), http_error.to_string());
}

#[tokio::test]
async fn many_requests_in_flight_on_one_socket() {
    let Some(scene) = websocket_scene("ws-many").await else {
        return;
    };
    let client = scene.client.clone();
    let bridges: Vec<String> = (0..50).map(|_| scene.unique("br")).collect();
    let mut cleanup = ari_live_tests::Cleanup::new(&scene.ari);
    for id in &bridges {
        cleanup.bridge(id);
    }
    // 50 creations, 50 reads and 100 pings at once; each answer goes to its own request.
    let creates: Vec<_> = bridges
        .iter()
        .map(|id| tokio::spawn(client.bridge(id).create_with_id().name(id.as_str()).send()))
        .collect();
    let pings: Vec<_> = (0..100)
        .map(|_| tokio::spawn(client.asterisk().ping().send()))
        .collect();
    for (id, create) in bridges.iter().zip(creates) {
        let bridge = create.await.expect("task").expect("createWithId");
        assert_eq!((&bridge.id, &bridge.name), (id, id));
    }
    for ping in pings {
        ping.await.expect("task").expect("ping");
    }
    let reads: Vec<_> = bridges
        .iter()
        .map(|id| tokio::spawn(client.bridge(id).get().send()))
        .collect();
    for (id, read) in bridges.iter().zip(reads) {
        assert_eq!(&read.await.expect("task").expect("get").id, id);
    }
    for id in &bridges {
        client.bridge(id).destroy().await.expect("destroy");
    }
}

#[tokio::test]
async fn an_event_filter_applies_to_the_answers_too() {
    // Asterisk sends a RESTResponse as a message of the application, through its event filter
    // (`res/ari/ari_websockets.c`): a filter that does not allow RESTResponse swallows the
    // answers, starting with the one to the request that set it.
    let ari = connect().await;
    if lacks_rest_over_websocket(&ari).await {
        return;
    }
    let client = ari.client_over(Transport::WebSocket);
    let app = ari.unique("ws-filter");
    let _events = ari.rest_events(&client, &[&app]).await;
    let quick = ari_sdk::Client::builder(&ari.target.url)
        .basic_auth(&ari.target.user, &ari.target.password)
        .transport(Transport::WebSocket)
        .request_timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    // `quick` shares nothing with `client`: give it the same socket by connecting it too.
    let _quick_events = ari.rest_events(&quick, &[&format!("{app}-q")]).await;
    let err = quick
        .application(format!("{app}-q"))
        .filter()
        .filter(json!({"allowed": [{"type": "StasisStart"}]}))
        .await
        .expect_err("the answer is filtered out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // The filter did take effect: it reads back through the other socket.
    let read = client
        .application(format!("{app}-q"))
        .get()
        .await
        .expect("get over WS");
    assert_eq!(read.events_allowed, vec![json!({"type": "StasisStart"})]);
    // Reset over HTTP; the socket answers again.
    ari.client()
        .application(format!("{app}-q"))
        .filter()
        .filter(json!({}))
        .await
        .expect("reset over HTTP");
    quick.asterisk().ping().await.expect("answered again");
}
