//! Many calls at once through one Stasis application: the workload of `cargo xtask bench-load` (500 calls) and of
//! the live suite's `load` test (100 calls).
//!
//! One client, one event connection for one application, and `calls` calls originated all at once. Every call is
//! a Local channel `Local/stasis-<app>@<context>/n` whose `;2` half enters the application ringing; its `;1` half
//! waits in the dialplan (`wait` extension) once the `;2` half answers. Each call's task takes the `;2` half's
//! own stream before originating (subscribe before create, with the ids chosen here), waits for its
//! `StasisStart`, answers, plays `sound:beep` to the end (`PlaybackFinished`) and hangs up; the stream then ends
//! by itself at the channel's end. Meanwhile one task reads the application-wide stream.
//!
//! Afterwards [`LoadRun::verify`] holds every channel's own stream against what the application-wide stream
//! saw of that channel: it must begin with `StasisStart`, end with `StasisEnd`, contain the answer's
//! `ChannelStateChange`, and list exactly the same events in the same order. An event one side has and the
//! other lacks, an expected event missing, a `Lagged`, `Gap` or resync item, or a stream that failed is *lost*;
//! an event seen twice on one stream is *duplicated*; the same events in another order are *misordered*.
//!
//! [`Usage`] reads this process's memory (`VmRSS`, `VmHWM`) and CPU time, and Asterisk's CPU time when its pid
//! is known, from `/proc`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ari_sdk::events::{EventPayload as _, EventStream, ObjectKind, StreamItem};
use ari_sdk::{Client, Event, Transport};
use futures::StreamExt as _;
use tokio::time::Instant;

use crate::Target;

/// The sound each call plays (about half a second).
pub const SOUND: &str = "sound:beep";

/// The event types every call's own stream must contain: its start, the answer, its end.
const EXPECTED: [&str; 3] = ["StasisStart", "ChannelStateChange", "StasisEnd"];

/// How many items each subscriber may buffer, per call: the application-wide stream receives a burst of about
/// eight events per call (start, state change, playback started and finished, hangup request, end, …) while the
/// calls' tasks also compete for the two cores; the default of 1024 would be the burst of ~120 calls.
const BUFFER_PER_CALL: usize = 32;

/// This process's (and optionally Asterisk's) resource use at one moment, from `/proc`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Resident set size, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size since the process started or [`Usage::reset_peak`], KiB (`VmHWM`).
    pub peak_kib: u64,
    /// User + system CPU time of this process, seconds.
    pub cpu_s: f64,
    /// User + system CPU time of the Asterisk process, seconds, when its pid is known and readable.
    pub asterisk_cpu_s: Option<f64>,
}

impl Usage {
    /// Reads the numbers now; `asterisk_pid` is the Asterisk process to read the CPU time of.
    pub fn now(asterisk_pid: Option<u32>) -> Usage {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Usage {
            rss_kib: kib("VmRSS:"),
            peak_kib: kib("VmHWM:"),
            cpu_s: cpu_seconds("self").unwrap_or(0.0),
            asterisk_cpu_s: asterisk_pid.and_then(|pid| cpu_seconds(&pid.to_string())),
        }
    }

    /// Resets this process's peak resident set size (`VmHWM`) to the current one (writes `5` to
    /// `/proc/self/clear_refs`), so the next run's peak is its own; returns whether the kernel took it.
    pub fn reset_peak() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }
}

/// User + system CPU time of `/proc/<pid>`, seconds: fields 14 and 15 of its `stat` (after the parenthesised
/// command name, which may contain spaces), in clock ticks.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name: state (field 3), …, utime (field 14), stime (field 15).
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / rustix::param::clock_ticks_per_second() as f64)
}

/// What one call's own stream delivered, and how the call went.
#[derive(Debug, Default)]
pub struct CallRecord {
    /// The `;2` half's channel id (the channel in the application).
    pub channel: String,
    /// The events of its own stream, in order, until the stream ended.
    pub events: Vec<Event>,
    /// Items that were not events (gaps, lags, resync findings), described.
    pub losses: Vec<String>,
    /// The step that failed, if one did.
    pub failure: Option<String>,
}

/// One load run: what every call's stream and the application-wide stream saw, with the time and resources used.
#[derive(Debug)]
pub struct LoadRun {
    /// The transport REST went over.
    pub transport: Transport,
    /// The application's name.
    pub app: String,
    /// From the first origination to the last call's stream end and the application-wide stream's last
    /// `StasisEnd`.
    pub wall: Duration,
    /// One record per call.
    pub calls: Vec<CallRecord>,
    /// The application-wide stream's events, in order.
    pub app_events: Vec<Event>,
    /// Its items that were not events, described.
    pub app_losses: Vec<String>,
    /// Resources before the calls were originated (after connecting).
    pub before: Usage,
    /// Resources after the run (before disconnecting).
    pub after: Usage,
}

/// The counts [`LoadRun::verify`] found, with the first few problems described.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Expected events missing from a stream, events one stream has and the other lacks, loss items.
    pub lost: usize,
    /// Events seen more than once on one stream.
    pub duplicated: usize,
    /// Channels whose own stream had the same events as the application-wide stream in another order.
    pub misordered: usize,
    /// Calls whose task failed (a request, a bounded wait).
    pub failed: usize,
    /// The first problems, described (at most 20).
    pub problems: Vec<String>,
}

impl Verdict {
    /// Whether nothing was lost, duplicated, misordered or failed.
    pub fn is_clean(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.misordered == 0 && self.failed == 0
    }

    fn note(&mut self, problem: String) {
        if self.problems.len() < 20 {
            self.problems.push(problem);
        }
    }
}

/// An event's identity for counting: its whole JSON (type, timestamp and every field).
fn key(event: &Event) -> String {
    serde_json::to_string(event)
        .unwrap_or_else(|e| format!("{} (not encodable: {e})", event.type_name()))
}

/// The ids of the channels `event` concerns.
fn channels_of(event: &Event) -> Vec<String> {
    let mut ids = Vec::new();
    event.for_each_object(&mut |object| {
        if object.kind == ObjectKind::Channel {
            ids.push(object.id.to_owned());
        }
    });
    ids
}

/// Whether `event` concerns channel `id`.
fn concerns(event: &Event, id: &str) -> bool {
    channels_of(event).iter().any(|c| c == id)
}

/// Counts the events of `events` seen more than once.
fn duplicates(events: &[Event]) -> usize {
    let mut seen = HashSet::new();
    events.iter().filter(|e| !seen.insert(key(e))).count()
}

impl LoadRun {
    /// Events the application-wide stream received.
    pub fn app_event_count(&self) -> usize {
        self.app_events.len()
    }

    /// Events all the calls' own streams received together.
    pub fn call_event_count(&self) -> usize {
        self.calls.iter().map(|c| c.events.len()).sum()
    }

    /// Holds every call's own stream against the application-wide stream (see the module documentation).
    pub fn verify(&self) -> Verdict {
        let mut verdict = Verdict::default();
        verdict.lost += self.app_losses.len();
        for loss in &self.app_losses {
            verdict.note(format!("application-wide stream: {loss}"));
        }
        // The application-wide events of each channel, up to and including its StasisEnd.
        let ids: HashSet<&str> = self.calls.iter().map(|c| c.channel.as_str()).collect();
        let mut per_channel: HashMap<&str, Vec<Event>> = HashMap::new();
        let mut ended: HashSet<&str> = HashSet::new();
        for event in &self.app_events {
            for id in channels_of(event) {
                if let Some(&id) = ids.get(id.as_str()) {
                    if !ended.contains(id) {
                        per_channel.entry(id).or_default().push(event.clone());
                    }
                    if event.type_name() == "StasisEnd" {
                        ended.insert(id);
                    }
                }
            }
        }
        for call in &self.calls {
            let id = call.channel.as_str();
            if let Some(failure) = &call.failure {
                verdict.failed += 1;
                verdict.note(format!("channel {id}: {failure}"));
            }
            verdict.lost += call.losses.len();
            for loss in &call.losses {
                verdict.note(format!("channel {id}: its stream yielded {loss}"));
            }
            let own = &call.events;
            let wide = per_channel.get(id).map(Vec::as_slice).unwrap_or_default();
            for (name, events) in [("own", own.as_slice()), ("application-wide", wide)] {
                let twice = duplicates(events);
                if twice > 0 {
                    verdict.duplicated += twice;
                    verdict.note(format!(
                        "channel {id}: {twice} duplicated event(s) on the {name} stream"
                    ));
                }
                for expected in EXPECTED {
                    if !events.iter().any(|e| e.type_name() == expected) {
                        verdict.lost += 1;
                        verdict.note(format!("channel {id}: no {expected} on the {name} stream"));
                    }
                }
            }
            if own.first().map(Event::type_name) != Some("StasisStart")
                || own.last().map(Event::type_name) != Some("StasisEnd")
                || own.iter().any(|e| !concerns(e, id))
            {
                verdict.misordered += 1;
                verdict.note(format!(
                    "channel {id}: its own stream is not StasisStart … StasisEnd of this channel: {:?}",
                    own.iter().map(Event::type_name).collect::<Vec<_>>()
                ));
            }
            let own_keys: Vec<String> = own.iter().map(key).collect();
            let wide_keys: Vec<String> = wide.iter().map(key).collect();
            let (own_set, wide_set): (HashSet<&String>, HashSet<&String>) =
                (own_keys.iter().collect(), wide_keys.iter().collect());
            let only_own = own_set.difference(&wide_set).count();
            let only_wide = wide_set.difference(&own_set).count();
            if only_own + only_wide > 0 {
                verdict.lost += only_own + only_wide;
                verdict.note(format!(
                    "channel {id}: {only_wide} event(s) only on the application-wide stream, {only_own} only on \
                     its own (own {:?}, application-wide {:?})",
                    own.iter().map(Event::type_name).collect::<Vec<_>>(),
                    wide.iter().map(Event::type_name).collect::<Vec<_>>()
                ));
            } else if own_keys != wide_keys {
                verdict.misordered += 1;
                verdict.note(format!(
                    "channel {id}: the two streams disagree on the order (own {:?}, application-wide {:?})",
                    own.iter().map(Event::type_name).collect::<Vec<_>>(),
                    wide.iter().map(Event::type_name).collect::<Vec<_>>()
                ));
            }
        }
        verdict
    }

    /// How many events of each type the application-wide stream received.
    pub fn app_event_types(&self) -> BTreeMap<&str, usize> {
        let mut types = BTreeMap::new();
        for event in &self.app_events {
            *types.entry(event.type_name()).or_default() += 1;
        }
        types
    }
}

/// What a load run needs to know.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Where Asterisk is.
    pub target: Target,
    /// The application's name (unique per run).
    pub app: String,
    /// How many calls, all at once.
    pub calls: usize,
    /// REST over HTTP or over the event WebSocket.
    pub transport: Transport,
    /// The bound of the whole run: connecting, every call, the application-wide stream's last `StasisEnd`.
    pub limit: Duration,
    /// The Asterisk process whose CPU time to read, when known.
    pub asterisk_pid: Option<u32>,
}

/// Runs `plan`: connects, originates every call at once, waits for every call's stream to end and for the
/// application-wide stream to see every `StasisEnd`, all within `plan.limit`; panics when connecting fails or a
/// wait outlives the bound (naming what it waited for). What went wrong in a call is in its [`CallRecord`].
pub async fn run(plan: &LoadPlan) -> LoadRun {
    let deadline = Instant::now() + plan.limit;
    let client = Client::builder(&plan.target.url)
        .basic_auth(&plan.target.user, &plan.target.password)
        .transport(plan.transport)
        .build()
        .expect("building the SDK client");
    let mut app_stream = match tokio::time::timeout_at(
        deadline,
        client
            .events()
            .app(&plan.app)
            .buffer_capacity(BUFFER_PER_CALL * plan.calls.max(32))
            .connect(),
    )
    .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => panic!(
            "connecting the event WebSocket of application {}: {e}",
            plan.app
        ),
        Err(_) => panic!(
            "connecting the event WebSocket of application {}: not done within {:?}",
            plan.app, plan.limit
        ),
    };
    let ari = crate::connect_to(plan.target.clone()).await;
    ari.wait_registered(&[&plan.app]).await;

    // Every id chosen here and every stream taken before anything is originated.
    let calls: Vec<(String, String, EventStream<Event>)> = (0..plan.calls)
        .map(|_| {
            let local = ari_sdk::events::unique_id();
            let channel = ari_sdk::events::unique_id();
            let stream = client
                .channel(&channel)
                .events()
                .expect("a per-channel stream from the client's event connection");
            (local, channel, stream)
        })
        .collect();
    let ids: Arc<HashSet<String>> = Arc::new(calls.iter().map(|(_, c, _)| c.clone()).collect());

    let before = Usage::now(plan.asterisk_pid);
    let started = Instant::now();

    // The application-wide stream, read until every call's channel has ended.
    let reader = {
        let ids = Arc::clone(&ids);
        tokio::spawn(async move {
            let (mut events, mut losses) = (Vec::new(), Vec::new());
            let mut ends = HashSet::new();
            while ends.len() < ids.len() {
                match tokio::time::timeout_at(deadline, app_stream.next()).await {
                    Ok(Some(Ok(StreamItem::Event(event)))) => {
                        if let Event::StasisEnd(end) = &event {
                            if ids.contains(&end.channel.id) {
                                ends.insert(end.channel.id.clone());
                            }
                        }
                        events.push(event);
                    }
                    Ok(Some(Ok(other))) => losses.push(format!("{other:?}")),
                    Ok(Some(Err(e))) => {
                        losses.push(format!("stream error: {e}"));
                        break;
                    }
                    Ok(None) => {
                        losses.push("the end of the stream".to_owned());
                        break;
                    }
                    Err(_) => {
                        losses.push(format!(
                            "no StasisEnd for {} of {} channels within the run's bound",
                            ids.len() - ends.len(),
                            ids.len()
                        ));
                        break;
                    }
                }
            }
            (events, losses, app_stream)
        })
    };

    let tasks: Vec<_> = calls
        .into_iter()
        .map(|(local, channel, stream)| {
            let client = client.clone();
            let plan = plan.clone();
            tokio::spawn(
                async move { call(&client, &plan, local, channel, stream, deadline).await },
            )
        })
        .collect();
    let mut records = Vec::with_capacity(tasks.len());
    for task in tasks {
        records.push(task.await.unwrap_or_else(|e| CallRecord {
            failure: Some(format!("the call's task failed: {e}")),
            ..CallRecord::default()
        }));
    }
    let (app_events, app_losses, app_stream) = reader.await.expect("the application-wide reader");
    let wall = started.elapsed();
    let after = Usage::now(plan.asterisk_pid);
    app_stream.handle().close();
    LoadRun {
        transport: plan.transport,
        app: plan.app.clone(),
        wall,
        calls: records,
        app_events,
        app_losses,
        before,
        after,
    }
}

/// One call: originate, `StasisStart`, answer, play to the end, hang up, then the stream to its end; every step
/// before `deadline`.
async fn call(
    client: &Client,
    plan: &LoadPlan,
    local: String,
    channel: String,
    mut stream: EventStream<Event>,
    deadline: Instant,
) -> CallRecord {
    let mut record = CallRecord {
        channel: channel.clone(),
        ..CallRecord::default()
    };
    let handle = client.channel(&channel);
    let steps = async {
        client
            .channels()
            .originate(format!(
                "Local/stasis-{}@{}/n",
                plan.app, plan.target.context
            ))
            .extension("wait")
            .context(&plan.target.context)
            .priority(1)
            .channel_id(&local)
            .other_channel_id(&channel)
            .await
            .map_err(|e| format!("originate: {e}"))?;
        read(&mut stream, &mut record, |e| {
            matches!(e, Event::StasisStart(_))
        })
        .await
        .ok_or("its stream ended before its StasisStart")?;
        handle.answer().await.map_err(|e| format!("answer: {e}"))?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        handle
            .play_and_wait([SOUND], remaining)
            .await
            .map_err(|e| format!("play {SOUND}: {e}"))?;
        handle.hangup().await.map_err(|e| format!("hangup: {e}"))?;
        // The stream ends by itself after the channel's StasisEnd.
        read(&mut stream, &mut record, |_| false).await;
        Ok::<(), String>(())
    };
    match tokio::time::timeout_at(deadline, steps).await {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => record.failure = Some(failure),
        Err(_) => {
            record.failure = Some(format!(
                "not done within the run's bound of {:?} (events so far: {:?})",
                plan.limit,
                record
                    .events
                    .iter()
                    .map(Event::type_name)
                    .collect::<Vec<_>>()
            ));
        }
    }
    record
}

/// Reads `stream` into `record` until an event `until` accepts (returned as `Some`) or the stream's end (`None`).
async fn read(
    stream: &mut EventStream<Event>,
    record: &mut CallRecord,
    until: impl Fn(&Event) -> bool,
) -> Option<()> {
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamItem::Event(event)) => {
                let done = until(&event);
                record.events.push(event);
                if done {
                    return Some(());
                }
            }
            Ok(other) => record.losses.push(format!("{other:?}")),
            Err(e) => record.losses.push(format!("stream error: {e}")),
        }
    }
    None
}
