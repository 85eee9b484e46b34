//! The ari-sdk demo: a Stasis application that calls itself on a real Asterisk.
//!
//! `cargo xtask demo` runs it against the sandbox Asterisk (started and stopped around it).
//! Against another Asterisk:
//!
//! ```text
//! ARI_URL=http://127.0.0.1:8088/ari ARI_USER=asterisk ARI_PASSWORD=secret \
//!     cargo run -p ari-sdk --example demo
//! ```
//!
//! `ARI_TRANSPORT=websocket` sends every request as REST over the event WebSocket instead of
//! HTTP (`cargo xtask demo --transport websocket`). With `ARI_OUTBOUND_LISTEN=host:port` (and
//! `ARI_OUTBOUND_USER`, `ARI_OUTBOUND_PASSWORD`) the demo does not connect at all: it listens
//! there, Asterisk connects to it (outbound WebSocket, `ari_sdk::outbound`), and the events and
//! every request travel over that socket; only the recording download (binary, which Asterisk does
//! not send over a WebSocket) uses HTTP at `ARI_URL` (`cargo xtask demo --outbound`, which
//! configures the sandbox's `websocket_client` and `outbound_websocket` for it).
//! `ARI_APP` names the Stasis application (default `ari-sdk-demo`); `ARI_CONTEXT` the dialplan
//! context (default `ari-sdk`) holding two extensions of the sandbox's dialplan
//! (`xtask/src/asterisk/config.rs`): `stasis-<app>` enters the application named in the
//! extension; `echo` answers, plays hello-world, then echoes audio and DTMF.
//!
//! The call flow, printing each step and every event the application receives as it arrives:
//!
//! 1. connect the event stream for the application;
//! 2. originate a call into itself: `Local/stasis-<app>@<context>/n` with `app=<app>`, so both
//!    halves of the Local channel pair enter the application — the *callee* at once (from the
//!    dialplan), the *caller* once the callee answers;
//! 3. answer the callee;
//! 4. play `sound:hello-world` to the callee and wait for `PlaybackFinished`;
//! 5. key DTMF `4711#` on the caller and collect the digits on the callee (`ChannelDtmfReceived`);
//! 6. record the callee for three seconds while the caller plays a prompt to it, wait for
//!    `RecordingFinished`, and download the stored recording;
//! 7. originate a second call (`Local/echo@<context>/n`) and put it and the callee into a
//!    mixing bridge (`ChannelEnteredBridge`);
//! 8. key a digit on the caller until it comes back: callee → bridge → echo → bridge → callee
//!    → caller (`ChannelDtmfReceived` on the caller), so media crosses the bridge both ways;
//! 9. hang up both calls (`StasisEnd` for every channel);
//! 10. destroy the bridge and delete the stored recording.
//!
//! The SDK parts it shows: `client.events()` (the application's event stream, configured like the
//! client), handles (`client.channel(id)`, `client.bridge(id)`, …) and their per-object streams
//! (`.events()`), and the flows `originate_and_wait` and `play_and_wait`. Channel, playback,
//! bridge and recording ids are chosen here, so each object's event stream is taken *before* the
//! request that creates the object: no first event can be missed. Every wait is bounded; a
//! failure or timeout ends the demo with a message and exit status 1, Ctrl-C with 130 — in both
//! cases after removing what it created.

use std::fmt::Display;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ari_sdk::enums::{BridgeType, RecordIfExists};
use ari_sdk::event_types::ChannelDtmfReceived;
use ari_sdk::events::{EventStream, EventsHandle, StreamItem};
use ari_sdk::{Client, Event};
use futures::StreamExt as _;
use tokio::task::JoinHandle;

/// The longest any one request or wait may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the callee is recorded.
const RECORD_SECONDS: i64 = 3;
/// The digits the caller keys; `#` ends the input.
const DTMF: &str = "4711#";
const STEPS: u32 = 10;

// One thread: the event printer is woken before the flow that waits for the same event (it
// subscribed first), so each event line is printed before the step it completes goes on.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("demo: {message}");
            return ExitCode::from(2);
        }
    };
    let http = Client::builder(&settings.url)
        .basic_auth(&settings.user, &settings.password)
        .request_timeout(TIMEOUT)
        .transport(settings.transport)
        .build();
    let http = match http {
        Ok(client) => client,
        Err(err) => {
            eprintln!("demo: {}", chain(&err));
            return ExitCode::from(2);
        }
    };
    let (client, outbound_events) = match &settings.outbound {
        None => (http.clone(), None),
        Some(outbound) => match accept_outbound(outbound).await {
            Ok((client, events)) => (client, Some(events)),
            Err(message) => {
                eprintln!("demo: {message}");
                return ExitCode::FAILURE;
            }
        },
    };
    println!(
        "ari-sdk demo: Stasis application {} on {}",
        settings.app, settings.url
    );
    let mut demo = Demo::new(client, settings);
    demo.http = http;
    demo.outbound_events = outbound_events;

    let outcome = tokio::select! {
        result = demo.run() => result.map_err(Stop::Failed),
        _ = tokio::signal::ctrl_c() => Err(Stop::Interrupted),
    };
    if let Err(stop) = &outcome {
        match stop {
            Stop::Failed(message) => demo.say("FAIL", message),
            Stop::Interrupted => demo.say("INT", "interrupted (Ctrl-C): cleaning up"),
        }
        demo.clean_up().await;
    }
    let events = demo.finish().await;
    let elapsed = demo.clock.elapsed();
    match outcome {
        Ok(()) => {
            println!(
                "ari-sdk demo: done — {STEPS} steps in {elapsed:.1} s, {events} events received"
            );
            ExitCode::SUCCESS
        }
        Err(Stop::Failed(_)) => {
            eprintln!("ari-sdk demo: FAILED after {elapsed:.1} s (see the FAIL line above)");
            ExitCode::FAILURE
        }
        Err(Stop::Interrupted) => {
            eprintln!("ari-sdk demo: interrupted after {elapsed:.1} s");
            ExitCode::from(130)
        }
    }
}

/// Listens where `ARI_OUTBOUND_LISTEN` says and returns the client and event stream of the first
/// connection Asterisk opens.
async fn accept_outbound(outbound: &Outbound) -> Result<(Client, EventStream<Event>), String> {
    let mut listener = ari_sdk::outbound::Listener::builder(&outbound.listen)
        .basic_auth(&outbound.user, &outbound.password)
        .request_timeout(TIMEOUT)
        .bind()
        .await
        .map_err(|e| format!("listening on {}: {e}", outbound.listen))?;
    println!(
        "ari-sdk demo: waiting for Asterisk's outbound WebSocket connection on {}",
        listener.local_addr()
    );
    let limit = TIMEOUT * 3;
    let connection = tokio::time::timeout(limit, listener.accept())
        .await
        .map_err(|_| format!("Asterisk did not connect within {limit:?}"))?
        .ok_or("the listener stopped")?;
    println!(
        "ari-sdk demo: Asterisk connected from {} (path {})",
        connection.peer_addr(),
        connection.path()
    );
    Ok(connection.into_parts())
}

/// Where the demo listens for Asterisk's outbound WebSocket (`ARI_OUTBOUND_*`).
struct Outbound {
    listen: String,
    user: String,
    password: String,
}

/// Why the flow stopped early.
enum Stop {
    Failed(String),
    Interrupted,
}

/// Where the demo connects, from the environment.
struct Settings {
    url: String,
    user: String,
    password: String,
    app: String,
    context: String,
    transport: ari_sdk::Transport,
    /// Listen for Asterisk instead of connecting to it.
    outbound: Option<Outbound>,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        fn var(name: &str) -> Option<String> {
            std::env::var(name).ok().filter(|value| !value.is_empty())
        }
        let required = |name: &str, what: &str| {
            var(name).ok_or_else(|| {
                format!(
                    "{name} is not set: {what}. `cargo xtask demo` sets ARI_URL, ARI_USER and \
                     ARI_PASSWORD for the sandbox Asterisk it starts"
                )
            })
        };
        Ok(Settings {
            url: required("ARI_URL", "ARI's base URL, e.g. http://127.0.0.1:8088/ari")?,
            user: required("ARI_USER", "the ARI user")?,
            password: required("ARI_PASSWORD", "the ARI user's password")?,
            app: var("ARI_APP").unwrap_or_else(|| "ari-sdk-demo".to_owned()),
            context: var("ARI_CONTEXT").unwrap_or_else(|| "ari-sdk".to_owned()),
            transport: match var("ARI_TRANSPORT").as_deref() {
                None | Some("http") => ari_sdk::Transport::Http,
                Some("websocket") => ari_sdk::Transport::WebSocket,
                Some(other) => {
                    return Err(format!(
                        "ARI_TRANSPORT={other:?}: expected `http` or `websocket`"
                    ))
                }
            },
            outbound: match var("ARI_OUTBOUND_LISTEN") {
                None => None,
                Some(listen) => Some(Outbound {
                    listen,
                    user: required(
                        "ARI_OUTBOUND_USER",
                        "the user Asterisk sends to the listener",
                    )?,
                    password: required(
                        "ARI_OUTBOUND_PASSWORD",
                        "the password Asterisk sends to the listener",
                    )?,
                }),
            },
        })
    }
}

/// Seconds since the demo started, for the first column of every line.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn elapsed(self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }

    fn say(self, kind: &str, text: impl Display) {
        println!("{:>7.3}s  {kind:<5}  {text}", self.elapsed());
    }
}

/// What the demo created and has not removed yet: removed on failure or interrupt.
#[derive(Default)]
struct Leftovers {
    channels: Vec<String>,
    bridge: Option<String>,
    recording: Option<String>,
}

struct Demo {
    client: Client,
    /// The HTTP client, for the recording download over an outbound connection (which carries no binary).
    http: Client,
    /// The event stream of the outbound connection, when Asterisk connected to the demo.
    outbound_events: Option<EventStream<Event>>,
    settings: Settings,
    clock: Clock,
    /// Names this run's objects: `demo-<tag>-callee`, `demo-<tag>-bridge`, …
    tag: String,
    events: Option<EventsHandle<Event>>,
    printer: Option<JoinHandle<usize>>,
    leftovers: Leftovers,
}

impl Demo {
    fn new(client: Client, settings: Settings) -> Self {
        let unique = ari_sdk::events::unique_id();
        Demo {
            http: client.clone(),
            client,
            outbound_events: None,
            settings,
            clock: Clock(Instant::now()),
            tag: format!("demo-{}", &unique[unique.len() - 6..]),
            events: None,
            printer: None,
            leftovers: Leftovers::default(),
        }
    }

    fn say(&self, kind: &str, text: impl Display) {
        self.clock.say(kind, text);
    }

    fn step(&self, n: u32, text: impl Display) {
        self.say("step", format!("{n}/{STEPS} {text}"));
    }

    fn id(&self, role: &str) -> String {
        format!("{}-{role}", self.tag)
    }

    async fn run(&mut self) -> Result<(), String> {
        let app = self.settings.app.clone();
        let context = self.settings.context.clone();
        let client = self.client.clone();
        // Handles address one object by id; making them sends nothing. The ids are ours, so
        // each object's event stream can be taken before the request that creates the object.
        let caller = client.channel(self.id("caller"));
        let callee = client.channel(self.id("callee"));
        let echo = client.channel(self.id("echo"));
        let bridge = client.bridge(self.id("bridge"));
        let (caller_id, callee_id, echo_id) = (caller.id(), callee.id(), echo.id());
        let bridge_id = bridge.id();

        self.step(1, format!("connect the event stream for application {app}"));
        // Configured like the client (URL, credentials, TLS) and registered with it, so the
        // handles' `events()` subscribe through this connection. This first stream has every
        // event: the printer shows them.
        // Over an outbound connection, the stream is the one of the socket Asterisk opened.
        let all = match self.outbound_events.take() {
            Some(events) => events,
            None => client
                .events()
                .app(&app)
                .connect()
                .await
                .map_err(failed("connecting the event stream"))?,
        };
        self.events = Some(all.handle().clone());
        self.printer = Some(tokio::spawn(print_events(all, self.clock)));
        // With REST over WebSocket (ARI_TRANSPORT=websocket) this request, like every later one,
        // travels on the event connection just made.
        let info = client
            .asterisk()
            .get_info()
            .await
            .map_err(failed("GET /asterisk/info"))?;
        let version = info.system.map(|s| s.version).unwrap_or_else(|| "?".into());
        self.say("ok", format!("connected to Asterisk {version}"));

        let endpoint = format!("Local/stasis-{app}@{context}/n");
        self.step(2, format!("originate {endpoint} → {app}: a call to itself"));
        let mut caller_events = caller.events().map_err(failed("subscribing"))?;
        self.leftovers
            .channels
            .extend([caller_id.to_owned(), callee_id.to_owned()]);
        // One request makes both halves: the caller (this id) and the callee (`otherChannelId`),
        // which enters the application from the dialplan at once; wait for that.
        let started = callee
            .originate_and_wait(
                caller
                    .originate_with_id(&endpoint)
                    .app(&app)
                    .app_args("demo")
                    .caller_id("ari-sdk demo <4711>")
                    .other_channel_id(callee_id)
                    .timeout(10),
                TIMEOUT,
            )
            .await
            .map_err(failed("originate"))?;
        // The callee's events from its StasisStart on, until it is gone.
        let mut callee_events = started.events;
        self.say(
            "ok",
            format!("incoming call {callee_id} is in {app}, ringing"),
        );

        self.step(3, format!("answer {callee_id}"));
        callee.answer().await.map_err(failed("answer"))?;
        wait(&mut caller_events, "StasisStart of the caller", |e| {
            matches!(e, Event::StasisStart(_))
        })
        .await?;
        self.say(
            "ok",
            format!("answered; the caller {caller_id} is in {app} too"),
        );

        self.step(4, format!("play sound:hello-world to {callee_id}"));
        let hello = client.playback(self.id("hello"));
        let started = Instant::now();
        hello
            .play_and_wait(
                callee.play_with_id(hello.id(), ["sound:hello-world"]),
                TIMEOUT,
            )
            .await
            .map_err(failed("play hello-world"))?;
        self.say(
            "ok",
            format!("played in {:.1} s", started.elapsed().as_secs_f64()),
        );

        self.step(
            5,
            format!("{caller_id} keys {DTMF}; collect it on {callee_id}"),
        );
        caller.send_dtmf(DTMF).await.map_err(failed("send DTMF"))?;
        let mut digits = String::new();
        loop {
            let dtmf = callee_events
                .next_of::<ChannelDtmfReceived>(TIMEOUT)
                .await
                .map_err(|err| err.to_string())?;
            if dtmf.digit == "#" {
                break;
            }
            digits.push_str(&dtmf.digit);
            if digits.len() > DTMF.len() {
                return Err(format!("received more digits than were sent: {digits}"));
            }
        }
        if digits != DTMF.trim_end_matches('#') {
            return Err(format!("collected {digits:?}, but {DTMF:?} was keyed"));
        }
        self.say("ok", format!("collected {digits} (ended by #)"));

        let recording = client.live_recording(self.id("recording"));
        let name = recording.id().to_owned();
        let prompt = client.playback(self.id("prompt"));
        self.step(
            6,
            format!(
                "record {callee_id} for {RECORD_SECONDS} s while {caller_id} plays a prompt to it"
            ),
        );
        let mut recording_events = recording.events().map_err(failed("subscribing"))?;
        caller
            .play_with_id(prompt.id(), ["sound:demo-congrats"])
            .await
            .map_err(failed("play the prompt"))?;
        self.leftovers.recording = Some(name.clone());
        callee
            .record(&name, "wav")
            .max_duration_seconds(RECORD_SECONDS)
            .if_exists(RecordIfExists::Overwrite)
            .await
            .map_err(failed("record"))?;
        let end = wait(&mut recording_events, "the end of the recording", |e| {
            matches!(e, Event::RecordingFinished(_) | Event::RecordingFailed(_))
        })
        .await?;
        if let Event::RecordingFailed(failed) = end {
            return Err(format!(
                "recording {name} failed: {}",
                failed.recording.cause.unwrap_or_default()
            ));
        }
        // The prompt is longer than the recording: stop it (it may have ended already).
        let _ = prompt.stop().await;
        let stored = client.stored_recording(&name);
        let meta = stored
            .get_stored()
            .await
            .map_err(failed("get the stored recording"))?;
        // Binary: over HTTP when the demo runs on an outbound connection (Asterisk answers 406 on a socket).
        let file = self
            .http
            .stored_recording(&name)
            .get_stored_file()
            .await
            .map_err(failed("download the stored recording"))?;
        self.say(
            "ok",
            format!(
                "stored recording {} ({}): downloaded {} bytes of {}",
                meta.name,
                meta.format,
                file.bytes.len(),
                file.content_type.as_deref().unwrap_or("unknown type")
            ),
        );

        let echo_endpoint = format!("Local/echo@{context}/n");
        self.step(
            7,
            format!("originate {echo_endpoint}; bridge it with {callee_id}"),
        );
        self.leftovers.channels.push(echo_id.to_owned());
        let started = echo
            .originate_and_wait(
                echo.originate_with_id(&echo_endpoint)
                    .app(&app)
                    .app_args("echo")
                    .timeout(10),
                TIMEOUT,
            )
            .await
            .map_err(failed("originate the second call"))?;
        let mut echo_events = started.events;
        let mut bridge_events = bridge.events().map_err(failed("subscribing"))?;
        self.leftovers.bridge = Some(bridge_id.to_owned());
        bridge
            .create_with_id()
            .kind([BridgeType::Mixing])
            .name("ari-sdk demo")
            .await
            .map_err(failed("create the bridge"))?;
        bridge
            .add_channel([callee_id, echo_id])
            .await
            .map_err(failed("add the channels to the bridge"))?;
        let mut entered = 0;
        while entered < 2 {
            wait(&mut bridge_events, "ChannelEnteredBridge", |e| {
                matches!(e, Event::ChannelEnteredBridge(_))
            })
            .await?;
            entered += 1;
        }
        self.say(
            "ok",
            format!("{callee_id} and {echo_id} are in {bridge_id}"),
        );

        // Media flows: a digit keyed on the caller crosses the bridge to the echo call, which
        // sends it back the same way. The far end plays hello-world before it echoes, so key
        // the digit again every 500 ms until it returns.
        self.step(
            8,
            format!("{caller_id} keys 5 until it comes back through {bridge_id} from the echo"),
        );
        let deadline = Instant::now() + TIMEOUT;
        loop {
            caller.send_dtmf("5").await.map_err(failed("send DTMF"))?;
            let echoed = caller_events
                .wait_for(
                    |e| matches!(e, Event::ChannelDtmfReceived(d) if d.digit == "5"),
                    Duration::from_millis(500),
                )
                .await;
            match echoed {
                Ok(_) => break,
                Err(err) if err.is_timeout() && Instant::now() < deadline => {}
                Err(err) => return Err(format!("waiting for the echoed digit: {err}")),
            }
        }
        self.say(
            "ok",
            "the digit came back: the two calls talk through the bridge",
        );

        self.step(
            9,
            format!("hang up {caller_id} (and with it {callee_id}) and {echo_id}"),
        );
        caller.hangup().await.map_err(failed("hang up"))?;
        echo.hangup().await.map_err(failed("hang up"))?;
        for (id, stream) in [
            (caller_id, &mut caller_events),
            (callee_id, &mut callee_events),
            (echo_id, &mut echo_events),
        ] {
            wait(stream, &format!("StasisEnd of {id}"), |e| {
                matches!(e, Event::StasisEnd(_))
            })
            .await?;
        }
        self.leftovers.channels.clear();
        self.say("ok", "every channel has left the application");

        self.step(
            10,
            format!("destroy {bridge_id}; delete the stored recording"),
        );
        bridge
            .destroy()
            .await
            .map_err(failed("destroy the bridge"))?;
        wait(&mut bridge_events, "BridgeDestroyed", |e| {
            matches!(e, Event::BridgeDestroyed(_))
        })
        .await?;
        self.leftovers.bridge = None;
        stored
            .delete_stored()
            .await
            .map_err(failed("delete the stored recording"))?;
        match stored.get_stored().await {
            Err(err) if err.status() == Some(404) => {}
            Ok(_) => return Err(format!("{name} is still stored after DELETE")),
            Err(err) => return Err(failed("check the deletion")(err)),
        }
        self.leftovers.recording = None;
        self.say("ok", "nothing of the demo is left on the server");
        Ok(())
    }

    /// Removes what a failed or interrupted run left behind (best effort, each request bounded).
    async fn clean_up(&mut self) {
        let leftovers = std::mem::take(&mut self.leftovers);
        for id in &leftovers.channels {
            match self.client.channel(id).hangup().await {
                Ok(()) => self.say("clean", format!("hung up {id}")),
                Err(err) if err.status() == Some(404) => {}
                Err(err) => self.say("clean", format!("hanging up {id}: {}", chain(&err))),
            }
        }
        if let Some(id) = &leftovers.bridge {
            match self.client.bridge(id).destroy().await {
                Ok(()) => self.say("clean", format!("destroyed {id}")),
                Err(err) if err.status() == Some(404) => {}
                Err(err) => self.say("clean", format!("destroying {id}: {}", chain(&err))),
            }
        }
        if let Some(name) = &leftovers.recording {
            let _ = self.client.live_recording(name).stop().await;
            match self.client.stored_recording(name).delete_stored().await {
                Ok(()) => self.say("clean", format!("deleted the recording {name}")),
                Err(err) if err.status() == Some(404) => {}
                Err(err) => self.say("clean", format!("deleting {name}: {}", chain(&err))),
            }
        }
    }

    /// Closes the event stream and waits (briefly) for the printer to print what is left;
    /// returns how many events it printed.
    async fn finish(&mut self) -> usize {
        if let Some(events) = self.events.take() {
            events.close();
        }
        let Some(printer) = self.printer.take() else {
            return 0;
        };
        match tokio::time::timeout(Duration::from_secs(2), printer).await {
            Ok(Ok(count)) => count,
            _ => 0,
        }
    }
}

/// Reads `stream` until an event matches, for at most [`TIMEOUT`].
async fn wait(
    stream: &mut EventStream<Event>,
    what: &str,
    predicate: impl FnMut(&Event) -> bool,
) -> Result<Event, String> {
    stream
        .wait_for(predicate, TIMEOUT)
        .await
        .map_err(|err| format!("waiting for {what}: {err}"))
}

/// Prints every item of the application's event stream, one line each, until it ends.
async fn print_events(mut stream: EventStream<Event>, clock: Clock) -> usize {
    let mut count = 0;
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamItem::Event(event)) => {
                count += 1;
                clock.say(
                    "event",
                    format!("{:<21} {}", event.type_name(), describe(&event)),
                );
            }
            Ok(StreamItem::Gap(gap)) => clock.say(
                "gap",
                format!(
                    "the connection was lost for {:.1} s: events may be missing",
                    gap.duration().as_secs_f64()
                ),
            ),
            Ok(StreamItem::Lagged { missed }) => clock.say(
                "lag",
                format!("{missed} events dropped: the printer fell behind"),
            ),
            Ok(_) => {}
            Err(err) => clock.say("error", chain(&err)),
        }
    }
    count
}

/// The ids an event is about and its most telling fields, on one line.
fn describe(event: &Event) -> String {
    match event {
        Event::StasisStart(e) => {
            format!("{} ({}) args={:?}", e.channel.id, e.channel.state, e.args)
        }
        Event::ChannelDialplan(e) => format!(
            "{} {}/{}/{} {}({})",
            e.channel.id,
            e.channel.dialplan.context,
            e.channel.dialplan.exten,
            e.channel.dialplan.priority,
            e.dialplan_app,
            e.dialplan_app_data
        ),
        Event::Dial(e) => format!(
            "{} {}",
            e.peer.id,
            if e.dialstatus.is_empty() {
                "dialing"
            } else {
                &e.dialstatus
            }
        ),
        Event::ChannelCallerId(e) => format!(
            "{} caller {:?} <{}>",
            e.channel.id, e.channel.caller.name, e.channel.caller.number
        ),
        Event::ChannelConnectedLine(e) => format!(
            "{} connected to {:?} <{}>",
            e.channel.id, e.channel.connected.name, e.channel.connected.number
        ),
        Event::ChannelStateChange(e) => format!("{} ({})", e.channel.id, e.channel.state),
        Event::ChannelDtmfReceived(e) => {
            format!("{} digit {} ({} ms)", e.channel.id, e.digit, e.duration_ms)
        }
        Event::ChannelHangupRequest(e) => e.channel.id.clone(),
        Event::ChannelDestroyed(e) => {
            format!("{} cause {} ({})", e.channel.id, e.cause, e.cause_txt)
        }
        Event::ChannelEnteredBridge(e) => format!(
            "{} → {}",
            e.channel.as_ref().map_or("?", |c| c.id.as_str()),
            e.bridge.id
        ),
        Event::ChannelLeftBridge(e) => format!("{} ← {}", e.channel.id, e.bridge.id),
        Event::ChannelVarset(e) => format!(
            "{} {}={}",
            e.channel.as_ref().map_or("(global)", |c| c.id.as_str()),
            e.variable,
            e.value
        ),
        Event::PlaybackStarted(e) => playback(&e.playback),
        Event::PlaybackContinuing(e) => playback(&e.playback),
        Event::PlaybackFinished(e) => playback(&e.playback),
        Event::RecordingStarted(e) => recording(&e.recording),
        Event::RecordingFinished(e) => recording(&e.recording),
        Event::RecordingFailed(e) => recording(&e.recording),
        Event::BridgeCreated(e) => format!("{} ({})", e.bridge.id, e.bridge.bridge_type),
        Event::BridgeDestroyed(e) => format!("{} ({})", e.bridge.id, e.bridge.bridge_type),
        other => {
            let ids: Vec<&str> = other
                .channel_ids()
                .into_iter()
                .chain(other.bridge_ids())
                .chain(other.playback_ids())
                .chain(other.recording_names())
                .collect();
            ids.join(" ")
        }
    }
}

fn playback(p: &ari_sdk::models::Playback) -> String {
    format!("{} {} on {} ({})", p.id, p.media_uri, p.target_uri, p.state)
}

fn recording(r: &ari_sdk::models::LiveRecording) -> String {
    let mut text = format!("{} ({}, {})", r.name, r.format, r.state);
    if let Some(seconds) = r.duration {
        text.push_str(&format!(" {seconds} s"));
    }
    if let Some(cause) = &r.cause {
        text.push_str(&format!(" cause: {cause}"));
    }
    text
}

/// Turns an error into "`what`: error: cause: cause".
fn failed<E: std::error::Error>(what: &'static str) -> impl Fn(E) -> String {
    move |err| format!("{what}: {}", chain(&err))
}

/// An error with its chain of causes, on one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
