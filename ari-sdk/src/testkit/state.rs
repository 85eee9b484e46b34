//! The fake's state: channels, bridges, playbacks, recordings, the applications' sockets; the operations that
//! change it and the events they cause, shaped like Asterisk 22.10.1's (the recorded fixtures).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::server::HttpRequest;
use super::{DialAnswer, SeenRequest};
use crate::availability::OPERATIONS;

/// The id Asterisk reports itself with in every event (as in the fixtures).
const ASTERISK_ID: &str = "02:fc:00:00:00:01";

/// What the fake answers one request.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: u16, value: Value) -> Reply {
        Reply {
            status,
            content_type: Some("application/json".to_owned()),
            body: value.to_string().into_bytes(),
        }
    }

    /// Asterisk's error shape: `{"message": …}`.
    pub(crate) fn message(status: u16, message: &str) -> Reply {
        Reply::json(status, json!({ "message": message }))
    }

    /// A status without a body.
    pub(crate) fn status_only(status: u16) -> Reply {
        Reply {
            status,
            content_type: None,
            body: Vec::new(),
        }
    }

    fn empty() -> Reply {
        Reply::status_only(204)
    }
}

/// A channel of the fake.
#[derive(Debug, Clone)]
pub(crate) struct Chan {
    pub(crate) id: String,
    name: String,
    pub(crate) state: String,
    /// The application it is in.
    pub(crate) app: Option<String>,
    caller: (String, String),
    created: String,
    dialplan_app: (String, String),
    pub(crate) bridge: Option<String>,
    /// Playbacks queued on it, the first playing.
    playbacks: VecDeque<String>,
    pub(crate) recording: Option<String>,
    pub(crate) variables: BTreeMap<String, String>,
    /// MOH, ringing, silence…: what a test may check.
    pub(crate) sounds: BTreeSet<String>,
}

impl Chan {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": "",
            "caller": {"name": self.caller.0, "number": self.caller.1},
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {
                "context": "default", "exten": "s", "priority": 1,
                "app_name": self.dialplan_app.0, "app_data": self.dialplan_app.1
            },
            "creationtime": self.created,
            "language": "en",
        })
    }
}

#[derive(Debug, Clone)]
struct Bridge {
    id: String,
    name: String,
    kind: String,
    channels: Vec<String>,
    created: String,
    /// Applications that had a channel in it: they get its events.
    apps: BTreeSet<String>,
}

impl Bridge {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "technology": "simple_bridge",
            "bridge_type": self.kind,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": self.channels,
            "creationtime": self.created,
            "video_mode": "talker",
        })
    }
}

#[derive(Debug, Clone)]
struct Playback {
    id: String,
    media: Vec<String>,
    target: String,
    state: String,
}

impl Playback {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "media_uri": self.media.first().cloned().unwrap_or_default(),
            "target_uri": self.target,
            "language": "en",
            "state": self.state,
        })
    }
}

#[derive(Debug, Clone)]
struct LiveRec {
    name: String,
    format: String,
    channel: String,
    terminate_on: String,
    started: tokio::time::Instant,
}

/// What test code scripted for an operation.
#[derive(Debug, Clone)]
struct Scripted {
    reply: Reply,
    /// Answers this many more requests; `None`: every one.
    times: Option<usize>,
}

/// Everything the fake knows.
pub(crate) struct State {
    pub(crate) credentials: (String, String),
    sockets: HashMap<u64, (Vec<String>, mpsc::UnboundedSender<String>)>,
    next_socket: u64,
    pub(crate) channels: BTreeMap<String, Chan>,
    bridges: BTreeMap<String, Bridge>,
    playbacks: HashMap<String, Playback>,
    live: HashMap<String, LiveRec>,
    /// Stored recordings: name → (format, length in seconds).
    pub(crate) stored: BTreeMap<String, (String, f64)>,
    scripted: HashMap<String, VecDeque<Scripted>>,
    /// Answers of a recorded REST session: (method, path with query) → replies in order.
    recorded: HashMap<(String, String), VecDeque<Reply>>,
    pub(crate) requests: Vec<SeenRequest>,
    pub(crate) dial_answers: Vec<(String, DialAnswer)>,
    pub(crate) media_time: Duration,
    pub(crate) second: Duration,
    next_id: u64,
    /// Every event sent, for the test: (application, event).
    pub(crate) sent: Vec<(String, Value)>,
    /// Notified on every change of the sockets.
    pub(crate) registered: Arc<tokio::sync::Notify>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn now() -> String {
    crate::Timestamp::now_utc().to_string()
}

/// A WAV file of `seconds` of silence (8 kHz, 16 bit, mono), as Asterisk stores `wav` recordings.
pub(crate) fn wav(seconds: f64) -> Vec<u8> {
    // Whole samples only; a negative or NaN length is none.
    let samples = (seconds.max(0.0) * 8000.0) as u32;
    let data = samples * 2;
    let mut out = Vec::with_capacity(44 + data as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    out.resize(44 + data as usize, 0);
    out
}

/// How a path matches a spec template: the template's `{names}` bound to the decoded segments.
fn match_template(template: &str, path: &str) -> Option<HashMap<String, String>> {
    let want: Vec<&str> = template.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    if want.len() != got.len() {
        return None;
    }
    let mut bound = HashMap::new();
    for (w, g) in want.iter().zip(&got) {
        if let Some(name) = w.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            if g.is_empty() {
                return None;
            }
            bound.insert(
                name.to_owned(),
                percent_decode_str(g).decode_utf8_lossy().into_owned(),
            );
        } else if w != g {
            return None;
        }
    }
    Some(bound)
}

/// A routed request: the operation (`channels.play`) and the path's parameters.
struct Route<'a> {
    op: String,
    path: HashMap<String, String>,
    request: &'a HttpRequest,
}

impl Route<'_> {
    fn path(&self, name: &str) -> String {
        self.path.get(name).cloned().unwrap_or_default()
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.request.param(name)
    }

    /// The id the client chose: in the path (`…WithId` operations) or as the query parameter `name`.
    fn given_id(&self, name: &str) -> Option<String> {
        match self.path(name) {
            id if id.is_empty() => self.param(name).map(str::to_owned),
            id => Some(id),
        }
    }

    fn seconds(&self, name: &str) -> Option<u64> {
        self.param(name)
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|v| *v > 0)
    }
}

impl State {
    pub(crate) fn new(user: &str, password: &str) -> State {
        State {
            credentials: (user.to_owned(), password.to_owned()),
            sockets: HashMap::new(),
            next_socket: 0,
            channels: BTreeMap::new(),
            bridges: BTreeMap::new(),
            playbacks: HashMap::new(),
            live: HashMap::new(),
            stored: BTreeMap::new(),
            scripted: HashMap::new(),
            recorded: HashMap::new(),
            requests: Vec::new(),
            dial_answers: Vec::new(),
            media_time: Duration::from_millis(100),
            second: Duration::from_millis(100),
            next_id: 0,
            sent: Vec::new(),
            registered: Arc::new(tokio::sync::Notify::new()),
        }
    }

    pub(crate) fn unique(&mut self, what: &str) -> String {
        self.next_id += 1;
        format!("testkit-{what}-{}", self.next_id)
    }

    pub(crate) fn register(
        state: &Shared,
        apps: &[String],
        tx: mpsc::UnboundedSender<String>,
    ) -> u64 {
        let mut s = lock(state);
        s.next_socket += 1;
        let id = s.next_socket;
        s.sockets.insert(id, (apps.to_vec(), tx));
        s.registered.notify_waiters();
        id
    }

    pub(crate) fn unregister(state: &Shared, id: u64) {
        let mut s = lock(state);
        s.sockets.remove(&id);
        s.registered.notify_waiters();
    }

    /// Whether a socket carries `app`.
    pub(crate) fn has_app(&self, app: &str) -> bool {
        self.sockets
            .values()
            .any(|(apps, _)| apps.iter().any(|a| a == app))
    }

    /// Closes every events socket (as Asterisk does when it stops).
    pub(crate) fn close_sockets(&mut self) {
        self.sockets.clear();
    }

    /// Sends `event` (its `type` and fields) to `app`, with the envelope Asterisk adds.
    pub(crate) fn emit(&mut self, app: &str, mut event: Value) {
        if let Some(object) = event.as_object_mut() {
            object
                .entry("timestamp")
                .or_insert_with(|| Value::String(now()));
            object.insert("asterisk_id".to_owned(), json!(ASTERISK_ID));
            object.insert("application".to_owned(), json!(app));
        }
        let text = event.to_string();
        for (apps, tx) in self.sockets.values() {
            if apps.iter().any(|a| a == app) {
                let _ = tx.send(text.clone());
            }
        }
        self.sent.push((app.to_owned(), event));
    }

    /// Sends `event` to the application of channel `id`, with the channel as it is now under `channel`.
    fn emit_channel(&mut self, id: &str, mut event: Value) {
        let Some(chan) = self.channels.get(id) else {
            return;
        };
        let Some(app) = chan.app.clone() else {
            return;
        };
        event["channel"] = chan.to_json();
        self.emit(&app, event);
    }

    fn emit_bridge(&mut self, id: &str, event: Value) {
        let Some(bridge) = self.bridges.get(id) else {
            return;
        };
        for app in bridge.apps.clone() {
            self.emit(&app, event.clone());
        }
    }

    /// Loads the REST records of a recorded session (`{"method", "path", "status", "response"}` lines).
    pub(crate) fn load_rest(&mut self, method: &str, path: &str, reply: Reply) {
        self.recorded
            .entry((method.to_owned(), path.to_owned()))
            .or_default()
            .push_back(reply);
    }

    pub(crate) fn script(&mut self, op: &str, reply: Reply, times: Option<usize>) {
        self.scripted
            .entry(op.to_owned())
            .or_default()
            .push_back(Scripted { reply, times });
    }

    fn take_scripted(&mut self, op: &str) -> Option<Reply> {
        let queue = self.scripted.get_mut(op)?;
        let first = queue.front_mut()?;
        let reply = first.reply.clone();
        match &mut first.times {
            Some(n) if *n <= 1 => {
                queue.pop_front();
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(reply)
    }

    /// Answers one HTTP request (never panics: whatever a client sends gets a status).
    pub(crate) fn handle(state: &Shared, request: &HttpRequest) -> Reply {
        let mut matched_path = false;
        let mut route = None;
        for op in OPERATIONS {
            if let Some(bound) = match_template(op.path, &request.path) {
                matched_path = true;
                if op.method.eq_ignore_ascii_case(&request.method) {
                    route = Some(Route {
                        op: format!("{}.{}", op.resource, op.operation),
                        path: bound,
                        request,
                    });
                    break;
                }
            }
        }
        let mut s = lock(state);
        let full = if request.query.is_empty() {
            request.path.clone()
        } else {
            let query: Vec<String> = request
                .query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{}?{}", request.path, query.join("&"))
        };
        s.requests.push(SeenRequest {
            operation: route.as_ref().map(|r| r.op.clone()),
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            body: request.json(),
        });
        let recorded = s
            .recorded
            .get_mut(&(request.method.clone(), full))
            .and_then(VecDeque::pop_front);
        if let Some(reply) = recorded {
            return reply;
        }
        let Some(route) = route else {
            return if matched_path {
                Reply::message(405, "Invalid method")
            } else {
                Reply::message(404, "Resource not found")
            };
        };
        if let Some(reply) = s.take_scripted(&route.op) {
            return reply;
        }
        drop(s);
        State::operate(state, &route)
    }

    fn operate(state: &Shared, route: &Route<'_>) -> Reply {
        let mut s = lock(state);
        match route.op.as_str() {
            "asterisk.getInfo" => Reply::json(
                200,
                json!({
                    "build": {"os": "Linux", "kernel": "testkit", "machine": "testkit", "options": "",
                              "date": "2026-01-01 00:00:00 UTC", "user": "testkit"},
                    "system": {"version": "22.10.1", "entity_id": ASTERISK_ID},
                    "config": {"name": "", "default_language": "en", "setid": {"user": "", "group": ""}},
                    "status": {"startup_time": now(), "last_reload_time": now()},
                }),
            ),
            "asterisk.ping" => Reply::json(
                200,
                json!({"ping": "pong", "timestamp": now(), "asterisk_id": ASTERISK_ID}),
            ),
            "applications.list" => {
                let names: BTreeSet<String> = s
                    .sockets
                    .values()
                    .flat_map(|(apps, _)| apps.clone())
                    .collect();
                let apps: Vec<Value> = names.iter().map(|n| s.application(n)).collect();
                Reply::json(200, Value::Array(apps))
            }
            "applications.get" => {
                let name = route.path("applicationName");
                if s.has_app(&name) {
                    Reply::json(200, s.application(&name))
                } else {
                    Reply::message(404, "Application not found")
                }
            }
            "channels.list" => Reply::json(
                200,
                Value::Array(s.channels.values().map(Chan::to_json).collect()),
            ),
            "channels.originate" | "channels.originateWithId" | "channels.create" => {
                s.originate(route)
            }
            "bridges.list" => Reply::json(
                200,
                Value::Array(s.bridges.values().map(Bridge::to_json).collect()),
            ),
            "bridges.create" | "bridges.createWithId" => {
                let id = route
                    .given_id("bridgeId")
                    .unwrap_or_else(|| s.unique("bridge"));
                let bridge = s.bridges.entry(id.clone()).or_insert_with(|| Bridge {
                    id: id.clone(),
                    name: route.param("name").unwrap_or_default().to_owned(),
                    kind: route.param("type").unwrap_or("mixing").to_owned(),
                    channels: Vec::new(),
                    created: now(),
                    apps: BTreeSet::new(),
                });
                Reply::json(200, bridge.to_json())
            }
            // Every other operation on one channel or one bridge: 404 for an unknown one, as Asterisk answers.
            op if op.starts_with("channels.") || op.starts_with("bridges.") => {
                let channel = op.starts_with("channels.");
                let (id, exists) = if channel {
                    let id = route.path("channelId");
                    let exists = s.channels.contains_key(&id);
                    (id, exists)
                } else {
                    let id = route.path("bridgeId");
                    let exists = s.bridges.contains_key(&id);
                    (id, exists)
                };
                drop(s);
                match (exists, channel) {
                    (false, true) => Reply::message(404, "Channel not found"),
                    (false, false) => Reply::message(404, "Bridge not found"),
                    (true, true) => State::channel_op(state, route, &id),
                    (true, false) => State::bridge_op(state, route, &id),
                }
            }
            "playbacks.get" => match s.playbacks.get(&route.path("playbackId")) {
                Some(p) => Reply::json(200, p.to_json()),
                None => Reply::message(404, "Playback not found"),
            },
            "playbacks.stop" => {
                let id = route.path("playbackId");
                if !s.playbacks.contains_key(&id) {
                    return Reply::message(404, "Playback not found");
                }
                s.finish_playback(&id, "done");
                drop(s);
                State::start_next(state, &id);
                Reply::empty()
            }
            "recordings.getLive" => match s.live.get(&route.path("recordingName")) {
                Some(r) => Reply::json(200, s.live_json(r, "recording")),
                None => Reply::message(404, "Recording not found"),
            },
            "recordings.stop" => {
                let name = route.path("recordingName");
                if !s.live.contains_key(&name) {
                    return Reply::message(404, "Recording not found");
                }
                s.finish_recording(&name);
                Reply::empty()
            }
            "recordings.cancel" => {
                let name = route.path("recordingName");
                match s.live.remove(&name) {
                    Some(rec) => {
                        if let Some(chan) = s.channels.get_mut(&rec.channel) {
                            chan.recording = None;
                        }
                        Reply::empty()
                    }
                    None => Reply::message(404, "Recording not found"),
                }
            }
            "recordings.listStored" => Reply::json(
                200,
                Value::Array(
                    s.stored
                        .iter()
                        .map(|(name, (format, _))| json!({"name": name, "format": format}))
                        .collect(),
                ),
            ),
            "recordings.getStored" => match s.stored.get(&route.path("recordingName")) {
                Some((format, _)) => Reply::json(
                    200,
                    json!({"name": route.path("recordingName"), "format": format}),
                ),
                None => Reply::message(404, "Recording not found"),
            },
            "recordings.getStoredFile" => match s.stored.get(&route.path("recordingName")) {
                Some((_, seconds)) => Reply {
                    status: 200,
                    content_type: Some("audio/wav".to_owned()),
                    body: wav(*seconds),
                },
                None => Reply::message(404, "Recording not found"),
            },
            "recordings.deleteStored" => match s.stored.remove(&route.path("recordingName")) {
                Some(_) => Reply::empty(),
                None => Reply::message(404, "Recording not found"),
            },
            "events.userEvent" => {
                let app = route.param("application").unwrap_or_default().to_owned();
                if !s.has_app(&app) {
                    return Reply::message(404, "Application not found");
                }
                let name = route.path("eventName");
                s.emit(
                    &app,
                    json!({"type": "ChannelUserevent", "eventname": name, "userevent": {}}),
                );
                Reply::empty()
            }
            other => Reply::message(
                501,
                &format!(
                    "{other} is not simulated by ari_sdk::testkit: script its answer with FakeAsterisk::respond"
                ),
            ),
        }
    }

    fn application(&self, name: &str) -> Value {
        let channel_ids: Vec<&String> = self
            .channels
            .values()
            .filter(|c| c.app.as_deref() == Some(name))
            .map(|c| &c.id)
            .collect();
        json!({
            "name": name, "channel_ids": channel_ids, "bridge_ids": [], "endpoint_ids": [],
            "device_names": [], "events_allowed": [], "events_disallowed": []
        })
    }

    fn live_json(&self, rec: &LiveRec, state: &str) -> Value {
        let seconds = rec.started.elapsed().as_secs_f64() / self.second.as_secs_f64().max(1e-9);
        json!({
            "name": rec.name, "format": rec.format, "state": state,
            "target_uri": format!("channel:{}", rec.channel),
            "duration": seconds as i64, "talking_duration": 0, "silence_duration": seconds as i64,
        })
    }

    /// A new channel; in `app` (with `args`) it gets a `StasisStart`.
    pub(crate) fn new_channel(
        &mut self,
        id: Option<String>,
        endpoint: &str,
        state: &str,
        app: Option<&str>,
        args: Vec<String>,
    ) -> Chan {
        let id = id.unwrap_or_else(|| self.unique("channel"));
        self.next_id += 1;
        let chan = Chan {
            id: id.clone(),
            name: format!("{endpoint}-{:08x}", self.next_id),
            state: state.to_owned(),
            app: app.map(str::to_owned),
            caller: (String::new(), String::new()),
            created: now(),
            dialplan_app: match app {
                Some(app) => ("Stasis".to_owned(), {
                    let mut data = vec![app.to_owned()];
                    data.extend(args.iter().cloned());
                    data.join(",")
                }),
                None => (String::new(), String::new()),
            },
            bridge: None,
            playbacks: VecDeque::new(),
            recording: None,
            variables: BTreeMap::new(),
            sounds: BTreeSet::new(),
        };
        self.channels.insert(id.clone(), chan.clone());
        if app.is_some() {
            self.emit_channel(&id, json!({"type": "StasisStart", "args": args}));
        }
        chan
    }

    fn originate(&mut self, route: &Route<'_>) -> Reply {
        let Some(endpoint) = route.param("endpoint").map(str::to_owned) else {
            return Reply::message(400, "Endpoint parameter is required");
        };
        let id = route.given_id("channelId");
        if id.as_ref().is_some_and(|id| self.channels.contains_key(id)) {
            return Reply::message(409, "Channel with given unique ID already exists");
        }
        let app = route.param("app").map(str::to_owned);
        if app.is_none() && route.param("extension").is_none() {
            return Reply::message(400, "Application or extension must be specified");
        }
        let args: Vec<String> = route
            .param("appArgs")
            .map(|a| a.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        let create = route.op == "channels.create";
        let state = if create { "Down" } else { "Up" };
        let chan = self.new_channel(id, &endpoint, state, app.as_deref(), args);
        Reply::json(200, chan.to_json())
    }

    fn channel_op(state: &Shared, route: &Route<'_>, id: &str) -> Reply {
        let mut s = lock(state);
        match route.op.as_str() {
            "channels.get" => Reply::json(200, s.channels[id].to_json()),
            "channels.hangup" => {
                s.end_channel(id, 16, "Normal Clearing", false);
                Reply::empty()
            }
            "channels.answer" => {
                s.set_state(id, "Up");
                Reply::empty()
            }
            "channels.ring" => {
                s.set_state(id, "Ringing");
                s.sound(id, "ringing", true);
                Reply::empty()
            }
            op if sound_switch(op).is_some() => {
                if let Some((sound, on)) = sound_switch(op) {
                    s.sound(id, sound, on);
                }
                Reply::empty()
            }
            "channels.mute" | "channels.unmute" | "channels.hold" | "channels.unhold"
            | "channels.sendDTMF" | "channels.continueInDialplan" => Reply::empty(),
            "channels.setChannelVar" => {
                let Some(name) = route.param("variable").map(str::to_owned) else {
                    return Reply::message(400, "Variable name is required");
                };
                let value = route.param("value").unwrap_or_default().to_owned();
                if let Some(chan) = s.channels.get_mut(id) {
                    chan.variables.insert(name.clone(), value.clone());
                }
                s.emit_channel(
                    id,
                    json!({"type": "ChannelVarset", "variable": name, "value": value}),
                );
                Reply::empty()
            }
            "channels.getChannelVar" => {
                let name = route.param("variable").unwrap_or_default();
                match s.channels[id].variables.get(name) {
                    Some(value) => Reply::json(200, json!({ "value": value })),
                    None => Reply::message(404, "Provided variable was not found"),
                }
            }
            "channels.play" | "channels.playWithId" => {
                let target = format!("channel:{id}");
                let reply = s.queue_playback(route, &target);
                if let Some(playback) = s.playbacks.get(&route_playback_id(route, &reply)) {
                    let playback = playback.id.clone();
                    if let Some(chan) = s.channels.get_mut(id) {
                        chan.playbacks.push_back(playback.clone());
                        if chan.playbacks.len() == 1 {
                            drop(s);
                            State::start_playback(state, &playback);
                        }
                    }
                }
                reply
            }
            "channels.record" => s.record(route, id, state),
            "channels.dial" => {
                let caller = route.param("caller").map(str::to_owned);
                let timeout = route.seconds("timeout").unwrap_or(30);
                drop(s);
                State::dial(state, id, caller, timeout);
                Reply::empty()
            }
            other => Reply::message(
                501,
                &format!(
                    "{other} is not simulated by ari_sdk::testkit: script its answer with FakeAsterisk::respond"
                ),
            ),
        }
    }

    fn bridge_op(state: &Shared, route: &Route<'_>, id: &str) -> Reply {
        let mut s = lock(state);
        match route.op.as_str() {
            "bridges.get" => Reply::json(200, s.bridges[id].to_json()),
            "bridges.destroy" => {
                let members = s.bridges[id].channels.clone();
                for channel in members {
                    s.leave_bridge(&channel);
                }
                let destroyed = s.bridges[id].to_json();
                s.emit_bridge(id, json!({"type": "BridgeDestroyed", "bridge": destroyed}));
                s.bridges.remove(id);
                Reply::empty()
            }
            "bridges.addChannel" => {
                let channels = route.request.params("channel");
                if channels.is_empty() {
                    return Reply::message(400, "Missing parameter channel");
                }
                if let Some(missing) = channels.iter().find(|c| !s.channels.contains_key(*c)) {
                    return Reply::message(400, &format!("Channel not found: {missing}"));
                }
                if channels.iter().any(|c| s.channels[c].app.is_none()) {
                    return Reply::message(422, "Channel not in Stasis application");
                }
                for channel in channels {
                    if s.channels[&channel].bridge.as_deref() == Some(id) {
                        continue;
                    }
                    s.leave_bridge(&channel);
                    let app = s.channels[&channel].app.clone().unwrap_or_default();
                    if let Some(bridge) = s.bridges.get_mut(id) {
                        bridge.channels.push(channel.clone());
                        bridge.apps.insert(app);
                    }
                    if let Some(chan) = s.channels.get_mut(&channel) {
                        chan.bridge = Some(id.to_owned());
                    }
                    let bridge = s.bridges[id].to_json();
                    s.emit_channel(
                        &channel,
                        json!({"type": "ChannelEnteredBridge", "bridge": bridge}),
                    );
                }
                Reply::empty()
            }
            "bridges.removeChannel" => {
                let channels = route.request.params("channel");
                if channels.is_empty() {
                    return Reply::message(400, "Missing parameter channel");
                }
                if channels
                    .iter()
                    .any(|c| s.channels.get(c).and_then(|c| c.bridge.as_deref()) != Some(id))
                {
                    return Reply::message(422, "Channel not in this bridge");
                }
                for channel in channels {
                    s.leave_bridge(&channel);
                }
                Reply::empty()
            }
            "bridges.play" | "bridges.playWithId" => {
                let target = format!("bridge:{id}");
                let reply = s.queue_playback(route, &target);
                let playback = route_playback_id(route, &reply);
                if s.playbacks.contains_key(&playback) {
                    drop(s);
                    State::start_playback(state, &playback);
                }
                reply
            }
            "bridges.startMoh" | "bridges.stopMoh" => Reply::empty(),
            other => Reply::message(
                501,
                &format!(
                    "{other} is not simulated by ari_sdk::testkit: script its answer with FakeAsterisk::respond"
                ),
            ),
        }
    }

    fn set_state(&mut self, id: &str, state: &str) {
        let changed = match self.channels.get_mut(id) {
            Some(chan) if chan.state != state => {
                chan.state = state.to_owned();
                true
            }
            _ => false,
        };
        if changed {
            self.emit_channel(id, json!({"type": "ChannelStateChange"}));
        }
    }

    fn sound(&mut self, id: &str, sound: &str, on: bool) {
        if let Some(chan) = self.channels.get_mut(id) {
            if on {
                chan.sounds.insert(sound.to_owned());
            } else {
                chan.sounds.remove(sound);
            }
        }
    }

    fn queue_playback(&mut self, route: &Route<'_>, target: &str) -> Reply {
        let media = route.request.params("media");
        if media.is_empty() {
            return Reply::message(400, "Missing parameter media");
        }
        let id = route
            .given_id("playbackId")
            .unwrap_or_else(|| self.unique("playback"));
        if self.playbacks.contains_key(&id) {
            return Reply::message(409, "Playback with given unique ID already exists");
        }
        let playback = Playback {
            id: id.clone(),
            media,
            target: target.to_owned(),
            state: "queued".to_owned(),
        };
        let json = playback.to_json();
        self.playbacks.insert(id, playback);
        Reply::json(201, json)
    }

    /// The application(s) a playback's events go to.
    fn emit_playback(&mut self, id: &str, kind: &str) {
        let Some(playback) = self.playbacks.get(id) else {
            return;
        };
        let event = json!({"type": kind, "playback": playback.to_json()});
        if let Some(channel) = playback.target.strip_prefix("channel:") {
            let channel = channel.to_owned();
            if let Some(app) = self.channels.get(&channel).and_then(|c| c.app.clone()) {
                self.emit(&app, event);
            }
        } else if let Some(bridge) = playback.target.strip_prefix("bridge:") {
            let bridge = bridge.to_owned();
            self.emit_bridge(&bridge, event);
        }
    }

    /// Starts a queued playback: `PlaybackStarted`, then `PlaybackFinished` after its media's time.
    fn start_playback(state: &Shared, id: &str) {
        let mut s = lock(state);
        let Some(playback) = s.playbacks.get_mut(id) else {
            return;
        };
        if playback.state != "queued" {
            return;
        }
        playback.state = "playing".to_owned();
        let length = s.media_time * u32::try_from(s.playbacks[id].media.len()).unwrap_or(1);
        s.emit_playback(id, "PlaybackStarted");
        let state = Arc::clone(state);
        let id = id.to_owned();
        tokio::spawn(async move {
            tokio::time::sleep(length).await;
            let playing = lock(&state)
                .playbacks
                .get(&id)
                .is_some_and(|p| p.state == "playing");
            if playing {
                lock(&state).finish_playback(&id, "done");
                State::start_next(&state, &id);
            }
        });
    }

    /// `PlaybackFinished` in `end` state; the playback is gone then (404), as in Asterisk.
    fn finish_playback(&mut self, id: &str, end: &str) {
        if let Some(playback) = self.playbacks.get_mut(id) {
            playback.state = end.to_owned();
        }
        self.emit_playback(id, "PlaybackFinished");
    }

    /// After playback `id` ended: removes it and starts the next one queued on its channel.
    fn start_next(state: &Shared, id: &str) {
        let next = {
            let mut s = lock(state);
            let Some(playback) = s.playbacks.remove(id) else {
                return;
            };
            let channel = playback
                .target
                .strip_prefix("channel:")
                .map(str::to_owned)
                .unwrap_or_default();
            s.channels.get_mut(&channel).and_then(|chan| {
                chan.playbacks.retain(|p| p != id);
                chan.playbacks.front().cloned()
            })
        };
        if let Some(next) = next {
            State::start_playback(state, &next);
        }
    }

    fn record(&mut self, route: &Route<'_>, id: &str, shared: &Shared) -> Reply {
        let Some(name) = route.param("name").map(str::to_owned) else {
            return Reply::message(400, "Recording name is required");
        };
        let Some(format) = route.param("format").map(str::to_owned) else {
            return Reply::message(400, "Recording format is required");
        };
        if self.live.contains_key(&name) {
            return Reply::message(409, "Recording with the same name is in progress");
        }
        if self.stored.contains_key(&name) && route.param("ifExists") == Some("fail") {
            return Reply::message(422, "Recording with the same name already exists");
        }
        if self.channels[id].recording.is_some() {
            return Reply::message(409, "Channel is already recording");
        }
        let limit = [
            route.seconds("maxDurationSeconds"),
            route.seconds("maxSilenceSeconds"),
        ]
        .into_iter()
        .flatten()
        .min();
        let rec = LiveRec {
            name: name.clone(),
            format,
            channel: id.to_owned(),
            terminate_on: route.param("terminateOn").unwrap_or("none").to_owned(),
            started: tokio::time::Instant::now(),
        };
        let json = self.live_json(&rec, "queued");
        self.live.insert(name.clone(), rec);
        if let Some(chan) = self.channels.get_mut(id) {
            chan.recording = Some(name.clone());
        }
        let started = self.live_json(&self.live[&name], "recording");
        if let Some(app) = self.channels[id].app.clone() {
            self.emit(
                &app,
                json!({"type": "RecordingStarted", "recording": started}),
            );
        }
        if let Some(seconds) = limit {
            let wait = self.second * u32::try_from(seconds).unwrap_or(u32::MAX);
            let generation = self.live[&name].started;
            let name = name.clone();
            let state = Arc::clone(shared);
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let mut s = lock(&state);
                if s.live.get(&name).is_some_and(|r| r.started == generation) {
                    s.finish_recording(&name);
                }
            });
        }
        Reply::json(201, json)
    }

    /// Ends a live recording: `RecordingFinished`, and it is stored.
    pub(crate) fn finish_recording(&mut self, name: &str) {
        let Some(rec) = self.live.remove(name) else {
            return;
        };
        let seconds = rec.started.elapsed().as_secs_f64() / self.second.as_secs_f64().max(1e-9);
        let finished = self.live_json(&rec, "done");
        self.stored
            .insert(name.to_owned(), (rec.format.clone(), seconds));
        let app = self.channels.get_mut(&rec.channel).and_then(|chan| {
            chan.recording = None;
            chan.app.clone()
        });
        if let Some(app) = app {
            self.emit(
                &app,
                json!({"type": "RecordingFinished", "recording": finished}),
            );
        }
    }

    /// A digit the far end of channel `id` keyed: `ChannelDtmfReceived`, and a recording ending on it ends.
    pub(crate) fn dtmf(&mut self, id: &str, digit: char) {
        self.emit_channel(
            id,
            json!({"type": "ChannelDtmfReceived", "digit": digit.to_string(), "duration_ms": 100}),
        );
        let ends = self
            .channels
            .get(id)
            .and_then(|c| c.recording.clone())
            .filter(|name| {
                let on = &self.live[name].terminate_on;
                on == "any" || on.contains(digit)
            });
        if let Some(name) = ends {
            self.finish_recording(&name);
        }
    }

    fn leave_bridge(&mut self, channel: &str) {
        let Some(bridge) = self.channels.get_mut(channel).and_then(|c| c.bridge.take()) else {
            return;
        };
        if let Some(b) = self.bridges.get_mut(&bridge) {
            b.channels.retain(|c| c != channel);
        }
        if let Some(b) = self.bridges.get(&bridge) {
            let json = b.to_json();
            self.emit_channel(
                channel,
                json!({"type": "ChannelLeftBridge", "bridge": json}),
            );
        }
    }

    /// The channel's end: its playbacks and recording end, it leaves its bridge, `StasisEnd`,
    /// `ChannelDestroyed`. `requested`: the far end hung up (a `ChannelHangupRequest` first).
    pub(crate) fn end_channel(&mut self, id: &str, cause: i64, cause_txt: &str, requested: bool) {
        if !self.channels.contains_key(id) {
            return;
        }
        if requested {
            self.emit_channel(id, json!({"type": "ChannelHangupRequest", "cause": cause}));
        }
        let playbacks: Vec<String> = self.channels[id].playbacks.iter().cloned().collect();
        for playback in playbacks {
            if self
                .playbacks
                .get(&playback)
                .is_some_and(|p| p.state == "playing")
            {
                self.finish_playback(&playback, "done");
            }
            self.playbacks.remove(&playback);
        }
        if let Some(name) = self.channels[id].recording.clone() {
            self.finish_recording(&name);
        }
        self.leave_bridge(id);
        if self.channels[id].app.is_some() {
            self.emit_channel(id, json!({"type": "StasisEnd"}));
        }
        self.emit_channel(
            id,
            json!({"type": "ChannelDestroyed", "cause": cause, "cause_txt": cause_txt}),
        );
        self.channels.remove(id);
    }

    /// A dialed leg's progress, as the endpoint's scripted answer has it.
    fn dial(state: &Shared, id: &str, caller: Option<String>, timeout: u64) {
        let (answer, second) = {
            let s = lock(state);
            let name = s.channels[id].name.clone();
            let answer = s
                .dial_answers
                .iter()
                .rev()
                .find(|(prefix, _)| name.starts_with(prefix.as_str()))
                .map(|(_, a)| a.clone())
                .unwrap_or(DialAnswer::Answer);
            (answer, s.second)
        };
        let state = Arc::clone(state);
        let id = id.to_owned();
        tokio::spawn(async move {
            let dial_event = |s: &mut State, status: &str| {
                let Some(peer) = s.channels.get(&id).map(Chan::to_json) else {
                    return;
                };
                let mut event = json!({
                    "type": "Dial", "dialstatus": status, "forward": "", "dialstring": "", "peer": peer
                });
                if let Some(caller) = caller.as_ref().and_then(|c| s.channels.get(c)) {
                    event["caller"] = caller.to_json();
                }
                let app = s.channels.get(&id).and_then(|c| c.app.clone());
                if let Some(app) = app {
                    s.emit(&app, event);
                }
            };
            dial_event(&mut lock(&state), "");
            let (status, cause, txt, after) = match answer {
                DialAnswer::Answer => ("ANSWER", 0, "", Duration::ZERO),
                DialAnswer::AnswerAfter(d) => ("ANSWER", 0, "", d),
                DialAnswer::Busy => ("BUSY", 17, "User busy", Duration::ZERO),
                DialAnswer::Congestion => (
                    "CONGESTION",
                    34,
                    "Circuit/channel congestion",
                    Duration::ZERO,
                ),
                DialAnswer::NoAnswer => (
                    "NOANSWER",
                    19,
                    "No user responding",
                    second * u32::try_from(timeout).unwrap_or(u32::MAX),
                ),
            };
            tokio::time::sleep(after).await;
            let mut s = lock(&state);
            dial_event(&mut s, status);
            if status == "ANSWER" {
                s.set_state(&id, "Up");
            } else {
                s.end_channel(&id, cause, txt, true);
            }
        });
    }
}

/// What a channel operation switches on or off: `(sound, on)`.
fn sound_switch(op: &str) -> Option<(&'static str, bool)> {
    Some(match op {
        "channels.ringStop" => ("ringing", false),
        "channels.startMoh" => ("moh", true),
        "channels.stopMoh" => ("moh", false),
        "channels.startSilence" => ("silence", true),
        "channels.stopSilence" => ("silence", false),
        _ => return None,
    })
}

/// The playback id a play request created (from its reply).
fn route_playback_id(route: &Route<'_>, reply: &Reply) -> String {
    match route.path("playbackId") {
        id if !id.is_empty() => id,
        _ => serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}
