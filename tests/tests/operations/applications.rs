//! `applications` and `events`: subscriptions, event filters, user events, claiming a
//! broadcast channel. (`events.eventWebsocket` is every test's events connection.)

use ari_live_tests::{expect_api_error, expect_refused, Scene};
use serde_json::json;

#[tokio::test]
async fn applications_list_get_subscribe_unsubscribe() {
    let mut scene = Scene::new("apps").await;
    let client = scene.client.clone();
    let apps = client.applications().list().await.expect("list");
    assert!(apps.iter().any(|a| a.name == scene.app), "{apps:?}");

    let app = client.application(&scene.app);
    let got = app.get().await.expect("get");
    assert_eq!(got.name, scene.app);
    assert!(got.bridge_ids.is_empty() && got.device_names.is_empty());

    // Subscribe to a bridge this application did not make: its events arrive.
    let bridge_id = scene.unique("subbridge");
    scene.cleanup.bridge(&bridge_id);
    let device = format!("Stasis:{}", scene.unique("subdevice"));
    client
        .bridge(&bridge_id)
        .create_with_id()
        .await
        .expect("create bridge");
    let subscribed = app
        .subscribe([
            format!("bridge:{bridge_id}"),
            format!("deviceState:{device}"),
        ])
        .await
        .expect("subscribe");
    assert_eq!(subscribed.bridge_ids, vec![bridge_id.clone()]);
    assert_eq!(subscribed.device_names, vec![device.clone()]);
    client
        .device_state(&device)
        .update(ari_sdk::enums::DeviceStateValue::Inuse)
        .await
        .expect("device state");
    let changed = scene
        .events
        .wait_for("DeviceStateChanged", |e| {
            e["device_state"]["name"] == device.as_str()
        })
        .await;
    assert_eq!(changed["device_state"]["state"], "INUSE");

    let unsubscribed = app
        .unsubscribe([
            format!("bridge:{bridge_id}"),
            format!("deviceState:{device}"),
        ])
        .await
        .expect("unsubscribe");
    assert!(unsubscribed.bridge_ids.is_empty() && unsubscribed.device_names.is_empty());
    expect_api_error!(
        app.unsubscribe([format!("bridge:{bridge_id}")]),
        422,
        "Event source was not subscribed to"
    );
    expect_api_error!(
        app.subscribe(["bridge:no-such-bridge"]),
        422,
        "Event source does not exist"
    );
    client
        .device_state(&device)
        .delete()
        .await
        .expect("delete device");
    client.bridge(&bridge_id).destroy().await.expect("destroy");
    expect_api_error!(
        client.application("no-such-application").get(),
        404,
        "Application not found"
    );
}

#[tokio::test]
async fn event_filter_holds_back_disallowed_events() {
    let mut scene = Scene::new("filter").await;
    let client = scene.client.clone();
    let app = client.application(&scene.app);

    let filtered = app
        .filter()
        .filter(json!({"disallowed": [{"type": "ChannelUserevent"}]}))
        .await
        .expect("filter");
    assert_eq!(
        filtered.events_disallowed,
        vec![json!({"type": "ChannelUserevent"})]
    );
    assert!(filtered.events_allowed.is_empty());
    assert_eq!(
        app.get().await.expect("get").events_disallowed,
        vec![json!({"type": "ChannelUserevent"})]
    );
    // Filters apply when events are delivered, which is asynchronous: the held-back event is
    // followed by an allowed one through the same application queue (a variable set on a
    // channel of the application) and the filter stays until that one has arrived.
    let channel = scene.channel("wait").await;
    client
        .events_api()
        .user_event("held-back", &scene.app)
        .source([format!("channel:{channel}")])
        .await
        .expect("userEvent while disallowed");
    client
        .channel(&channel)
        .set_channel_var("ARI_SDK_MARKER")
        .value("1")
        .await
        .expect("marker");
    scene
        .events
        .wait_for("ChannelVarset", |e| e["variable"] == "ARI_SDK_MARKER")
        .await;

    // An empty filter allows everything again; the next user event arrives, the first never did.
    let reset = app.filter().filter(json!({})).await.expect("filter reset");
    assert!(reset.events_allowed.is_empty() && reset.events_disallowed.is_empty());
    client
        .events_api()
        .user_event("let-through", &scene.app)
        .await
        .expect("userEvent after reset");
    scene
        .events
        .wait_for("ChannelUserevent", |e| e["eventname"] == "let-through")
        .await;
    assert!(
        scene
            .events
            .seen()
            .iter()
            .all(|e| e["eventname"] != "held-back"),
        "a disallowed event was delivered"
    );

    // Allowed lists work the same way. Over REST over WebSocket the answers are messages of the
    // application too, which the filter applies to: the list must allow them (see the
    // `websocket` module for what happens otherwise).
    let mut types = vec![json!({"type": "ChannelUserevent"})];
    if client.transport() == ari_sdk::Transport::WebSocket {
        types.push(json!({"type": "RESTResponse"}));
    }
    let allowed = app
        .filter()
        .filter(json!({ "allowed": types }))
        .await
        .expect("filter allowed");
    assert_eq!(allowed.events_allowed, types);
    expect_api_error!(
        client.application("no-such-application").filter(),
        404,
        "Application not found"
    );
}

#[tokio::test]
async fn user_events_reach_the_socket() {
    let mut scene = Scene::new("userevent").await;
    let client = scene.client.clone();
    let channel = scene.channel("wait").await;
    client
        .events_api()
        .user_event("ari-sdk-probe", &scene.app)
        .source([format!("channel:{channel}")])
        .variables([("greeting", "hello world"), ("n", "1")])
        .await
        .expect("userEvent");
    let event = scene
        .events
        .wait_for("ChannelUserevent", |e| e["eventname"] == "ari-sdk-probe")
        .await;
    // Asterisk adds the event's name to the variables it echoes back.
    assert_eq!(
        event["userevent"],
        json!({"greeting": "hello world", "n": "1", "eventname": "ari-sdk-probe"})
    );
    assert_eq!(event["channel"]["id"], channel.as_str());
    assert_eq!(event["application"], scene.app.as_str());
    expect_api_error!(
        client.events_api().user_event("x", "no-such-application"),
        404,
        "Application not found"
    );
    expect_api_error!(
        client
            .events_api()
            .user_event("x", &scene.app)
            .source(["channel:no-such-channel"]),
        422,
        "Event source was not found"
    );
}

#[tokio::test]
async fn claim_channel_from_a_broadcast() {
    let mut scene = Scene::new("claim").await;
    let client = scene.client.clone();
    if scene.ari.major().await < 20 {
        // Broadcasting a channel (StasisBroadcast, CallBroadcast, claimChannel) came with 20:
        // refused before sending.
        expect_refused!(client
            .events_api()
            .claim_channel("no-such-channel", &scene.app));
        return;
    }
    // The `broadcast` extension offers its channel (the `;2` half) to the applications matching
    // ARI_BROADCAST_FILTER; this application claims it and gets it in Stasis.
    let (id, other) = scene.local_ids("bcast");
    client
        .channels()
        .originate(scene.local("broadcast"))
        .app(&scene.app)
        .channel_id(&id)
        .other_channel_id(&other)
        .variables([("ARI_BROADCAST_FILTER", format!("^{}$", scene.app))])
        .await
        .expect("originate");
    let offered = scene
        .events
        .wait_for("CallBroadcast", |e| e["channel"]["id"] == other.as_str())
        .await;
    assert_eq!(offered["application"], scene.app.as_str());

    client
        .events_api()
        .claim_channel(&other, &scene.app)
        .await
        .expect("claimChannel");
    // The winner gets the channel straight away: StasisStart (from within StasisBroadcast; no
    // CallClaimed event reaches the winning application).
    let start = scene.stasis_start(&other).await;
    assert_eq!(start["application"], scene.app.as_str());
    assert_eq!(start["channel"]["dialplan"]["app_name"], "StasisBroadcast");
    let app = client.application(&scene.app).get().await.expect("get app");
    assert!(app.channel_ids.contains(&other), "{app:?}");
    assert!(
        scene
            .events
            .seen()
            .iter()
            .all(|e| e["type"] != "CallClaimed"),
        "a CallClaimed event reached the winner"
    );

    expect_api_error!(
        client.events_api().claim_channel(&other, &scene.app),
        409,
        "Channel has already been claimed by another application"
    );
    expect_api_error!(
        client
            .events_api()
            .claim_channel("no-such-channel", &scene.app),
        404,
        "Channel not found or not in broadcast state"
    );
}
