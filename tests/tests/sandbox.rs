//! The Asterisk under test answers, is the version we build for, and enforces ARI's access rules.

use ari_live_tests::{connect, expect_json, numeric_version};
use reqwest::StatusCode;

#[tokio::test]
async fn ping_and_info() {
    let ari = connect().await;
    let ping = ari.get_json("asterisk/ping").await;
    assert_eq!(ping["ping"], "pong", "ping answer: {ping}");
    assert!(ping["asterisk_id"].is_string(), "ping answer: {ping}");
    assert!(ping["timestamp"].is_string(), "ping answer: {ping}");

    let info = ari.get_json("asterisk/info").await;
    let version = info["system"]["version"]
        .as_str()
        .unwrap_or_else(|| panic!("no system.version in {info}"));
    println!("Asterisk version: {version} (at {})", ari.target.url);
    let numeric = numeric_version(version);
    assert!(
        numeric.split('.').count() >= 2,
        "unreadable version {version:?}"
    );
    if let Some(expected) = &ari.target.expected_version {
        assert_eq!(
            numeric, *expected,
            "Asterisk reports {version}, expected {expected}"
        );
    }
    assert!(info["status"]["startup_time"].is_string(), "info: {info}");
}

#[tokio::test]
async fn wrong_password_gets_401() {
    let ari = connect().await;
    let response = ari
        .http
        .get(ari.url("asterisk/info"))
        .basic_auth(&ari.target.user, Some("certainly-not-the-password"))
        .send()
        .await
        .expect("GET asterisk/info");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get("WWW-Authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        challenge.starts_with("Basic"),
        "WWW-Authenticate: {challenge:?}"
    );

    // No credentials at all: the same.
    let response = ari
        .http
        .get(ari.url("asterisk/info"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn read_only_user_gets_403_on_post() {
    let ari = connect().await;
    let (user, password) = ari.target.read_only.clone().unwrap_or_else(|| {
        panic!("this test needs a read-only ARI user: set ARI_READ_ONLY_USER and ARI_READ_ONLY_PASSWORD")
    });
    let variable = ari.unique("ro").replace('-', "_").to_uppercase();
    let query = [("variable", variable.as_str()), ("value", "1")];

    // Reading is allowed.
    let response = ari
        .http
        .get(ari.url("asterisk/info"))
        .basic_auth(&user, Some(&password))
        .send()
        .await
        .expect("GET asterisk/info");
    assert_eq!(response.status(), StatusCode::OK);

    // Writing is not.
    let response = ari
        .http
        .post(ari.url("asterisk/variable"))
        .basic_auth(&user, Some(&password))
        .query(&query)
        .send()
        .await
        .expect("POST asterisk/variable");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The same write by the read/write user works, so the 403 is about the user.
    let response = ari.post("asterisk/variable", &query).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let value = ari
        .get_json(&format!("asterisk/variable?variable={variable}"))
        .await;
    assert_eq!(value["value"], "1");
}

#[tokio::test]
async fn events_socket_without_app_is_refused() {
    let ari = connect().await;
    match ari.open_events_socket("").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 400)
        }
        Err(other) => panic!("expected HTTP 400, got {other}"),
        Ok(_) => panic!("the events socket opened without an app"),
    }
}

#[tokio::test]
async fn modules_ari_work_needs_are_running() {
    let ari = connect().await;
    let modules = ari.get_json("asterisk/modules").await;
    let running: Vec<&str> = modules
        .as_array()
        .expect("a list of modules")
        .iter()
        .filter(|m| m["status"] == "Running")
        .filter_map(|m| m["name"].as_str())
        .collect();
    for needed in [
        "res_ari.so",
        "res_ari_channels.so",
        "res_ari_bridges.so",
        "res_ari_events.so",
        "res_ari_playbacks.so",
        "res_ari_recordings.so",
        "res_ari_sounds.so",
        "res_ari_device_states.so",
        "res_ari_endpoints.so",
        "res_ari_applications.so",
        "res_ari_asterisk.so",
        "res_stasis.so",
        "res_stasis_playback.so",
        "res_stasis_recording.so",
        "res_stasis_snoop.so",
        "res_stasis_answer.so",
        "res_stasis_device_state.so",
        "app_stasis.so",
        "bridge_simple.so",
        "bridge_softmix.so",
        "bridge_holding.so",
        "bridge_native_rtp.so",
        "chan_bridge_media.so",
        "res_musiconhold.so",
        "format_gsm.so",
        "format_wav.so",
        "app_echo.so",
        "app_playback.so",
        "app_dial.so",
        "app_record.so",
        "res_http_websocket.so",
    ] {
        assert!(running.contains(&needed), "module {needed} is not running");
    }

    // The sounds the dialplan plays are installed.
    let sound = ari
        .get("sounds/hello-world")
        .await
        .expect("GET sounds/hello-world");
    let sound = expect_json(sound, 200, "GET sounds/hello-world").await;
    assert_eq!(sound["id"], "hello-world");
}
