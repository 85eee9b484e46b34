//! Ids that fight URLs: `/ ? # % + &`, `%41`, spaces and non-ASCII in channel, bridge,
//! playback and recording ids — sent by the SDK as path segments and as query values — reach
//! Asterisk intact and read back byte for byte.
//!
//! Finding: Asterisk 22.10.1 keeps every one of them; nothing is rejected or mangled when it is
//! percent-encoded. A literal `+` is decoded as a space (in paths and queries alike), which is
//! why the SDK always sends `%2B`. A `/` in a recording name makes a sub-directory of the
//! recordings directory, and the stored recording is still listed and addressed by the whole
//! name.

use ari_live_tests::{encode, Scene};
use std::time::Duration;

/// How long a stop right after `PlaybackStarted` may ride out Asterisk's start-up window.
const STOP_WITHIN: Duration = Duration::from_secs(2);

const TRICKY: &[(&str, &str)] = &[
    ("slash", "a/b"),
    ("question", "a?b"),
    ("hash", "a#b"),
    ("percent", "a%b"),
    ("percent-hex", "a%41b"),
    ("plus", "a+b"),
    ("ampersand", "a&b=c"),
    ("space", "a b"),
    ("non-ascii", "ü€😀"),
    ("all", "/?#%+& ü"),
];

/// `<unique prefix>-<tricky>` ids, one per case.
fn ids(scene: &Scene, what: &str) -> Vec<(String, &'static str)> {
    TRICKY
        .iter()
        .map(|(label, tricky)| (format!("{}-{label}-{tricky}", scene.unique(what)), *tricky))
        .collect()
}

#[tokio::test]
async fn channel_ids() {
    let mut scene = Scene::new("trickychan").await;
    let client = scene.client.clone();
    let major = scene.ari.major().await;
    let mut unreadable = Vec::new();
    for (id, tricky) in ids(&scene, "chan") {
        let other = format!("{id};2");
        scene.cleanup.channel(&id);
        scene.cleanup.channel(&other);
        // channelId and otherChannelId travel in the query; the id then in the path.
        let made = client
            .channels()
            .originate(scene.local("wait"))
            .app(&scene.app)
            .channel_id(&id)
            .other_channel_id(&other)
            .await
            .unwrap_or_else(|e| panic!("originate {id:?}: {e}"));
        assert_eq!(made.id, id);
        let start = scene.stasis_start(&id).await;
        assert_eq!(start["channel"]["id"], id.as_str());
        assert_eq!(client.channel(&id).get().await.expect("get").id, id);
        assert_eq!(
            client.channel(&other).get().await.expect("get other").id,
            other
        );
        client
            .channel(&id)
            .set_channel_var("ARI_SDK_ID")
            .value(&id)
            .await
            .expect("set");
        if major < 20 {
            // Asterisk 16 accepts the variable (204) for some ids but does not read it back.
            let read = client.channel(&id).get_channel_var("ARI_SDK_ID").await;
            match read {
                Ok(variable) => assert_eq!(variable.value, id),
                Err(_) => {
                    ari_live_tests::expect_api_error!(
                        client.channel(&id).get_channel_var("ARI_SDK_ID"),
                        404,
                        "Provided variable was not found"
                    );
                    unreadable.push(tricky);
                }
            }
            client.channel(&id).hangup().await.expect("hangup");
            scene.channel_event("StasisEnd", &id).await;
            continue;
        }
        assert_eq!(
            client
                .channel(&id)
                .get_channel_var("ARI_SDK_ID")
                .await
                .unwrap_or_else(|e| panic!("get var on {id:?}: {e}"))
                .value,
            id
        );
        client.channel(&id).hangup().await.expect("hangup");
        scene.channel_event("StasisEnd", &id).await;
    }
    // Found on 16.28.0: for every one of these channels the variable set here (204) does not
    // read back (404), although `channel_variables_read_back` reads its variables back on the
    // same server; the cause is not isolated yet (tests/FINDINGS.md).
    let expected: Vec<&str> = if major < 20 {
        TRICKY.iter().map(|(_, t)| *t).collect()
    } else {
        Vec::new()
    };
    assert_eq!(
        unreadable, expected,
        "ids whose channel variable does not read back"
    );
}

#[tokio::test]
async fn bridge_ids() {
    let mut scene = Scene::new("trickybridge").await;
    let client = scene.client.clone();
    for (id, tricky) in ids(&scene, "bridge") {
        scene.cleanup.bridge(&id);
        // In the path.
        let made = client
            .bridge(&id)
            .create_with_id()
            .await
            .expect("createWithId");
        assert_eq!(made.id, id);
        assert_eq!(client.bridge(&id).get().await.expect("get").id, id);
        assert!(client
            .bridges()
            .list()
            .await
            .expect("list")
            .iter()
            .any(|b| b.id == id));
        client.bridge(&id).destroy().await.expect("destroy");
        // In the query.
        let by_query = format!("{id}-q");
        scene.cleanup.bridge(&by_query);
        let made = client
            .bridges()
            .create()
            .bridge_id(&by_query)
            .await
            .expect("create");
        assert_eq!(made.id, by_query);
        assert_eq!(
            client.bridge(&by_query).get().await.expect("get").id,
            by_query
        );
        if tricky.contains('+') {
            // Unencoded, the `+` would arrive as a space: the bridge is not found.
            let raw = encode(&by_query).replace("%2B", "+");
            let response = scene
                .ari
                .get(&format!("bridges/{raw}"))
                .await
                .expect("raw GET");
            assert_eq!(response.status().as_u16(), 404, "{raw}");
        }
        client.bridge(&by_query).destroy().await.expect("destroy");
    }
}

#[tokio::test]
async fn playback_ids() {
    let mut scene = Scene::new("trickyplay").await;
    let client = scene.client.clone();
    let channel = scene.channel("wait").await;
    for (id, _) in ids(&scene, "pb") {
        let playback = client
            .channel(&channel)
            .play_with_id(&id, ["sound:demo-congrats"])
            .await
            .unwrap_or_else(|e| panic!("playWithId {id:?}: {e}"));
        assert_eq!(playback.id, id);
        let started = scene.object_event("PlaybackStarted", "playback", &id).await;
        assert_eq!(started["playback"]["id"], id.as_str());
        assert_eq!(client.playback(&id).get().await.expect("get").id, id);
        // Right after PlaybackStarted Asterisk may not let it be stopped yet: `stop_started`.
        client
            .playback(&id)
            .stop_started(STOP_WITHIN)
            .await
            .expect("stop");
        scene
            .object_event("PlaybackFinished", "playback", &id)
            .await;
        // The query form: `playbackId` on play.
        let by_query = format!("{id}-q");
        let playback = client
            .channel(&channel)
            .play(["sound:demo-congrats"])
            .playback_id(&by_query)
            .await
            .expect("play with playbackId");
        assert_eq!(playback.id, by_query);
        assert_eq!(
            client.playback(&by_query).get().await.expect("get").id,
            by_query
        );
        client
            .playback(&by_query)
            .stop_started(STOP_WITHIN)
            .await
            .expect("stop");
    }
}

#[tokio::test]
async fn recording_names() {
    let mut scene = Scene::new("trickyrec").await;
    let client = scene.client.clone();
    let channel = scene.channel("wait").await;
    for (name, _) in ids(&scene, "rec") {
        scene.cleanup.recording(&name);
        // The name travels in the query when recording, in the path afterwards.
        let live = client
            .channel(&channel)
            .record(&name, "wav")
            .await
            .unwrap_or_else(|e| panic!("record {name:?}: {e}"));
        assert_eq!(live.name, name);
        scene
            .object_event("RecordingStarted", "recording", &name)
            .await;
        assert_eq!(
            client
                .live_recording(&name)
                .get_live()
                .await
                .expect("getLive")
                .name,
            name
        );
        client.live_recording(&name).stop().await.expect("stop");
        scene
            .object_event("RecordingFinished", "recording", &name)
            .await;
        let stored = client.stored_recording(&name);
        assert_eq!(stored.get_stored().await.expect("getStored").name, name);
        let listed = client.recordings().list_stored().await.expect("listStored");
        assert!(listed.iter().any(|r| r.name == name), "{name:?} not listed");
        let file = stored.get_stored_file().await.expect("file");
        assert_eq!(&file.bytes[..4], b"RIFF");
        let copy = format!("{name}-copy");
        scene.cleanup.stored_recording(&copy);
        assert_eq!(stored.copy_stored(&copy).await.expect("copy").name, copy);
        client
            .stored_recording(&copy)
            .delete_stored()
            .await
            .expect("delete copy");
        stored.delete_stored().await.expect("delete");
    }
}
