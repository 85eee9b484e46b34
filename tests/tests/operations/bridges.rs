//! The `bridges` resource: creation, membership, variables, video source, music on hold.

use ari_live_tests::{expect_api_error, expect_api_error_eventually, expect_refused, Scene};
use ari_sdk::enums::{BridgeType, SnoopDirection};
use serde_json::json;

#[tokio::test]
async fn bridge_lifecycle_and_membership() {
    let mut scene = Scene::new("bridge").await;
    let client = scene.client.clone();
    let a = scene.channel("wait").await;
    let b = scene.channel("wait").await;

    // Created with a generated id, then with ours.
    let bridge = client
        .bridges()
        .create()
        .kind([BridgeType::Mixing, BridgeType::DtmfEvents])
        .name("ari-sdk mixing")
        .await
        .expect("create");
    scene.cleanup.bridge(&bridge.id);
    assert_eq!(bridge.name, "ari-sdk mixing");
    assert_eq!(bridge.bridge_type, BridgeType::Mixing);
    let own_id = scene.unique("bridge");
    scene.cleanup.bridge(&own_id);
    let own = client
        .bridge(&own_id)
        .create_with_id()
        .kind([BridgeType::Holding])
        .name("ari-sdk holding")
        .await
        .expect("createWithId");
    assert_eq!(
        (own.id.as_str(), own.bridge_type.clone()),
        (own_id.as_str(), BridgeType::Holding)
    );
    let id_by_create = scene.unique("bridge");
    scene.cleanup.bridge(&id_by_create);
    let created = client
        .bridges()
        .create()
        .bridge_id(&id_by_create)
        .await
        .expect("create with bridgeId");
    assert_eq!(created.id, id_by_create);
    let listed = client.bridges().list().await.expect("list");
    for id in [&bridge.id, &own_id, &id_by_create] {
        assert!(listed.iter().any(|br| &br.id == id), "{id} not listed");
    }

    let handle = client.bridge(&bridge.id);
    let add = || {
        handle
            .add_channel([a.clone(), b.clone()])
            .role("participant")
            .absorb_dtmf(false)
            .mute(false)
    };
    if scene.ari.major().await < 18 {
        // inhibitConnectedLineUpdates came with 18: refused before sending.
        expect_refused!(
            add().inhibit_connected_line_updates(true),
            parameter = "inhibitConnectedLineUpdates"
        );
        add().await
    } else {
        add().inhibit_connected_line_updates(true).await
    }
    .expect("addChannel");
    for channel in [&a, &b] {
        let entered = scene.channel_event("ChannelEnteredBridge", channel).await;
        assert_eq!(entered["bridge"]["id"], bridge.id.as_str());
    }
    let mut members = handle.get().await.expect("get").channels;
    members.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(members, expected);

    // Video source: set to a member, then cleared back to talker detection. (The bridge
    // snapshot GET reads is updated asynchronously: poll. Clearing publishes no new snapshot
    // of its own — GET keeps showing the old source until the bridge changes otherwise, here
    // by removing a member.)
    handle.set_video_source(&a).await.expect("setVideoSource");
    let with_source = bridge_until(&client, &bridge.id, |b| {
        b.video_mode.as_deref() == Some("single")
    })
    .await;
    assert_eq!(with_source.video_source_id.as_deref(), Some(a.as_str()));
    handle.clear_video_source().await.expect("clearVideoSource");

    handle
        .remove_channel([b.clone()])
        .await
        .expect("removeChannel");
    scene.channel_event("ChannelLeftBridge", &b).await;
    let cleared = bridge_until(&client, &bridge.id, |br| br.channels == [a.clone()]).await;
    assert_eq!(cleared.video_mode.as_deref(), Some("talker"));
    assert_eq!(cleared.video_source_id, None);
    expect_api_error!(
        handle.remove_channel([b.clone()]),
        422,
        "Channel not in this bridge"
    );
    expect_api_error!(
        handle.set_video_source(&b),
        422,
        "Channel not in this bridge"
    );

    // Music on hold in the holding bridge.
    let holding = client.bridge(&own_id);
    holding
        .add_channel([b.clone()])
        .await
        .expect("addChannel holding");
    scene.channel_event("ChannelEnteredBridge", &b).await;
    // Its member hears it (`ari-sdk-speech`, a class of the sandbox, plays spoken digits).
    let listen = std::time::Duration::from_millis(600);
    holding
        .start_moh()
        .moh_class("ari-sdk-speech")
        .await
        .expect("startMoh");
    let level = scene.audio_level(&b, SnoopDirection::Out, listen).await;
    assert!(level > 2.0, "bridge music on hold: {level}");
    holding.stop_moh().await.expect("stopMoh");
    let level = scene.audio_level(&b, SnoopDirection::Out, listen).await;
    assert!(level < 0.5, "after stopMoh: {level}");

    handle.destroy().await.expect("destroy");
    scene.channel_event("ChannelLeftBridge", &a).await;
    expect_api_error_eventually!(handle.get(), 404, "Bridge not found");
    expect_api_error!(handle.destroy(), 404, "Bridge not found");
    expect_api_error!(
        client.bridge("no-such-bridge").add_channel([a.clone()]),
        404,
        "Bridge not found"
    );
}

/// Polls `GET /bridges/{id}` until `ready` holds; panics with the last state after a while.
async fn bridge_until(
    client: &ari_sdk::Client,
    id: &str,
    ready: impl Fn(&ari_sdk::models::Bridge) -> bool,
) -> ari_sdk::models::Bridge {
    let ready = &ready;
    ari_live_tests::poll_until(
        &format!("bridge {id} in the awaited state"),
        ari_live_tests::EVENT_TIMEOUT,
        std::time::Duration::from_millis(50),
        || async move {
            let bridge = client.bridge(id).get().await.expect("get bridge");
            ready(&bridge).then_some(bridge)
        },
    )
    .await
}

#[tokio::test]
async fn bridge_variables_read_back() {
    let mut scene = Scene::new("bridgevars").await;
    let client = scene.client.clone();
    let id = scene.unique("bridge");
    scene.cleanup.bridge(&id);
    let bridge = client.bridge(&id);
    if scene.ari.major().await < 20 {
        // Bridge variables came with 20: Asterisk 16 has no such routes and no `variables` on
        // create. Each is refused before sending (and the routes answer 404 without the check).
        expect_refused!(
            bridge
                .create_with_id()
                .variables([("ARI_SDK_CREATED", "at creation")]),
            parameter = "variables"
        );
        let created = bridge.create_with_id().await.expect("createWithId");
        assert_eq!(created.id, id);
        expect_refused!(bridge.get_bridge_var("ARI_SDK_CREATED"));
        expect_refused!(bridge.set_bridge_var("ARI_SDK_ONE").value("1"));
        expect_refused!(bridge.get_bridge_vars(["ARI_SDK_ONE"]));
        expect_refused!(bridge.set_bridge_vars([("ARI_SDK_A", "1")]));
        return;
    }
    let created = bridge
        .create_with_id()
        .variables([("ARI_SDK_CREATED", "at creation")])
        .await
        .expect("createWithId with variables");
    assert_eq!(created.id, id);
    assert_eq!(
        bridge
            .get_bridge_var("ARI_SDK_CREATED")
            .await
            .expect("get")
            .value,
        "at creation"
    );

    bridge
        .set_bridge_var("ARI_SDK_ONE")
        .value("one/ü & two")
        .await
        .expect("setBridgeVar");
    assert_eq!(
        bridge
            .get_bridge_var("ARI_SDK_ONE")
            .await
            .expect("get")
            .value,
        "one/ü & two"
    );
    bridge
        .set_bridge_vars([("ARI_SDK_A", "1"), ("ARI_SDK_B", "b b")])
        .await
        .expect("setBridgeVars");
    let vars = bridge
        .get_bridge_vars(["ARI_SDK_A", "ARI_SDK_B", "ARI_SDK_ONE"])
        .await
        .expect("getBridgeVars");
    assert_eq!(
        vars.variables,
        json!({"ARI_SDK_A": "1", "ARI_SDK_B": "b b", "ARI_SDK_ONE": "one/ü & two"})
    );
    expect_api_error!(
        bridge.get_bridge_var("ARI_SDK_NEVER_SET"),
        404,
        "Provided variable was not found"
    );
    expect_api_error!(
        client.bridge("no-such-bridge").get_bridge_vars(["X"]),
        404,
        "Provided bridge was not found"
    );
    bridge.destroy().await.expect("destroy");
}
