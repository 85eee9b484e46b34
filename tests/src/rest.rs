//! The few REST calls the event-stream tests make, through the SDK.
//!
//! Until the generated operations land they are built with the runtime's public escape hatch,
//! [`Request`] sent by `Client::execute_*`; each function is one call, so switching to the
//! generated API changes only their bodies.

use ari_sdk::models::{Bridge, Channel, LiveRecording, Playback};
use ari_sdk::request::{Method, Request};
use ari_sdk::{Client, Result};

/// `POST /channels/{channelId}`: originates `endpoint` with the client-chosen `id` into `app`.
pub async fn originate(client: &Client, id: &str, endpoint: &str, app: &str) -> Result<Channel> {
    let request = Request::new("originateWithId", Method::Post)
        .segment("channels")
        .param("channelId", id)
        .query("endpoint", endpoint)
        .query("app", app);
    client.execute_json(request).await
}

/// `DELETE /channels/{channelId}`.
pub async fn hangup(client: &Client, id: &str) -> Result<()> {
    let request = Request::new("hangup", Method::Delete)
        .segment("channels")
        .param("channelId", id);
    client.execute_void(request).await
}

/// `POST /channels/{channelId}/answer`.
pub async fn answer(client: &Client, id: &str) -> Result<()> {
    let request = Request::new("answer", Method::Post)
        .segment("channels")
        .param("channelId", id)
        .segment("answer");
    client.execute_void(request).await
}

/// `POST /channels/{channelId}/play/{playbackId}`.
pub async fn play(client: &Client, channel: &str, playback: &str, media: &str) -> Result<Playback> {
    let request = Request::new("playWithId", Method::Post)
        .segment("channels")
        .param("channelId", channel)
        .segment("play")
        .param("playbackId", playback)
        .query("media", media);
    client.execute_json(request).await
}

/// `POST /channels/{channelId}/variable`.
pub async fn set_variable(client: &Client, channel: &str, name: &str, value: &str) -> Result<()> {
    let request = Request::new("setChannelVar", Method::Post)
        .segment("channels")
        .param("channelId", channel)
        .segment("variable")
        .query("variable", name)
        .query("value", value);
    client.execute_void(request).await
}

/// `POST /channels/{channelId}/record`: a wav recording named `name`.
pub async fn record(client: &Client, channel: &str, name: &str) -> Result<LiveRecording> {
    let request = Request::new("record", Method::Post)
        .segment("channels")
        .param("channelId", channel)
        .segment("record")
        .query("name", name)
        .query("format", "wav")
        .query("ifExists", "overwrite");
    client.execute_json(request).await
}

/// `POST /recordings/live/{recordingName}/stop`.
pub async fn stop_recording(client: &Client, name: &str) -> Result<()> {
    let request = Request::new("stop", Method::Post)
        .segment("recordings")
        .segment("live")
        .param("recordingName", name)
        .segment("stop");
    client.execute_void(request).await
}

/// `DELETE /recordings/stored/{recordingName}`.
pub async fn delete_stored_recording(client: &Client, name: &str) -> Result<()> {
    let request = Request::new("deleteStored", Method::Delete)
        .segment("recordings")
        .segment("stored")
        .param("recordingName", name);
    client.execute_void(request).await
}

/// `POST /bridges/{bridgeId}`: a mixing bridge with the client-chosen `id`.
pub async fn create_bridge(client: &Client, id: &str) -> Result<Bridge> {
    let request = Request::new("createWithId", Method::Post)
        .segment("bridges")
        .param("bridgeId", id)
        .query("type", "mixing");
    client.execute_json(request).await
}

/// `POST /bridges/{bridgeId}/addChannel`.
pub async fn add_to_bridge(client: &Client, bridge: &str, channel: &str) -> Result<()> {
    let request = Request::new("addChannel", Method::Post)
        .segment("bridges")
        .param("bridgeId", bridge)
        .segment("addChannel")
        .query("channel", channel);
    client.execute_void(request).await
}

/// `DELETE /bridges/{bridgeId}`.
pub async fn destroy_bridge(client: &Client, id: &str) -> Result<()> {
    let request = Request::new("destroy", Method::Delete)
        .segment("bridges")
        .param("bridgeId", id);
    client.execute_void(request).await
}

/// `POST /events/user/{eventName}?application=app` with the variable `n`: one `ChannelUserevent`
/// to `app`.
pub async fn user_event(client: &Client, app: &str, name: &str, n: u64) -> Result<()> {
    let request = Request::new("userEvent", Method::Post)
        .segment("events")
        .segment("user")
        .param("eventName", name)
        .query("application", app)
        .body(serde_json::json!({ "variables": { "n": n.to_string() } }));
    client.execute_void(request).await
}
