//! The ari-sdk demo: a Stasis application, written with the application runner (`ari_sdk::app::App`), that
//! calls itself on a real Asterisk.
//!
//! `cargo xtask demo` runs it against the sandbox Asterisk (started and stopped around it).
//! Against another Asterisk:
//!
//! ```text
//! ARI_URL=http://127.0.0.1:8088/ari ARI_USER=asterisk ARI_PASSWORD=secret \
//!     cargo run -p ari-sdk --example demo
//! ```
//!
//! `ARI_TRANSPORT=websocket` sends the application's requests as REST over the event WebSocket instead of
//! HTTP (`cargo xtask demo --transport websocket`). With `ARI_OUTBOUND_LISTEN=host:port` (and
//! `ARI_OUTBOUND_USER`, `ARI_OUTBOUND_PASSWORD`) the runner does not connect at all: it listens there
//! (`App::outbound`), Asterisk connects to it (outbound WebSocket, `ari_sdk::outbound`), and the calls' events
//! and requests travel over that socket; the originate that starts the demo and the recording download
//! (binary, which Asterisk does not send over a WebSocket) use HTTP at `ARI_URL` (`cargo xtask demo
//! --outbound`, which configures the sandbox's `websocket_client` and `outbound_websocket` for it).
//! `ARI_APP` names the Stasis application (default `ari-sdk-demo`); `ARI_CONTEXT` the dialplan context
//! (default `ari-sdk`) holding two extensions of the sandbox's dialplan (`xtask/src/asterisk/config.rs`):
//! `stasis-<app>` enters the application named in the extension; `echo` answers, plays hello-world, then
//! echoes audio and DTMF.
//!
//! The runner gives every channel entering the application its own task. The demo originates
//! `Local/stasis-<app>@<context>/n` into the application: the *callee* half enters from the dialplan (its task
//! runs the call flow below), the *caller* half with the argument `demo-caller` once the callee answers (its
//! task waits for its end). The steps, each printed with its result:
//!
//! 1. serve the application with the runner;
//! 2. originate the call into itself;
//! 3. answer the callee;
//! 4. play `sound:hello-world` to it (`play_and_wait`);
//! 5. collect digits on the callee (`Call::collect`, barge-in, `#` ends) while the caller keys `4711#`;
//! 6. record the callee for three seconds (`Call::record`) while the caller plays a prompt to it, and
//!    download the stored recording;
//! 7. dial `Local/echo@<context>` (`Call::dial`: the outcome is typed) and bridge it with the callee;
//! 8. key a digit on the caller until it comes back: callee → bridge → echo → bridge → callee → caller;
//! 9. hang up (the runner sees every call's task end);
//! 10. destroy the bridge, delete the recording, shut the runner down and print its report.
//!
//! Every wait is bounded; a failure or timeout ends the demo with a message and exit status 1, Ctrl-C with
//! 130 — the runner then hangs up what is left (its graceful shutdown).

use std::fmt::Display;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ari_sdk::app::{App, BoxError, Call, Collect, CollectEnd, Dial, DialOutcome, Record};
use ari_sdk::enums::{BridgeType, RecordTerminateOn};
use ari_sdk::event_types::ChannelDtmfReceived;
use ari_sdk::Client;
use futures::StreamExt as _;
use tokio::sync::oneshot;

/// The longest any one request or wait may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the callee is recorded.
const RECORD: Duration = Duration::from_secs(3);
/// The digits the caller keys; `#` ends the input.
const DTMF: &str = "4711#";
const STEPS: u32 = 10;
/// The argument the caller half enters the application with.
const CALLER_ARG: &str = "demo-caller";

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("demo: {message}");
            return ExitCode::from(2);
        }
    };
    let build = |transport| {
        Client::builder(&settings.url)
            .basic_auth(&settings.user, &settings.password)
            .request_timeout(TIMEOUT)
            .transport(transport)
            .build()
    };
    let (client, http) = match (build(settings.transport), build(ari_sdk::Transport::Http)) {
        (Ok(client), Ok(http)) => (client, http),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("demo: {}", chain(&err));
            return ExitCode::from(2);
        }
    };
    let clock = Clock(Instant::now());
    println!(
        "ari-sdk demo: Stasis application {} on {}",
        settings.app, settings.url
    );
    let app = match &settings.outbound {
        None => App::new(client.clone(), &settings.app),
        Some(outbound) => {
            let listener = ari_sdk::outbound::Listener::builder(&outbound.listen)
                .basic_auth(&outbound.user, &outbound.password)
                .request_timeout(TIMEOUT)
                .bind()
                .await;
            match listener {
                Ok(listener) => {
                    println!(
                        "ari-sdk demo: listening for Asterisk's outbound WebSocket on {}",
                        listener.local_addr()
                    );
                    App::outbound(listener, &settings.app)
                }
                Err(e) => {
                    eprintln!("demo: listening on {}: {e}", outbound.listen);
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let app = app
        .max_calls(4)
        .linger(Duration::from_secs(2))
        .shutdown_deadline(TIMEOUT);
    let shutdown = app.shutdown_handle();
    let unique = ari_sdk::events::unique_id();
    let (done_tx, done_rx) = oneshot::channel();
    let flow = Arc::new(Flow {
        tag: format!("demo-{}", &unique[unique.len() - 6..]),
        context: settings.context.clone(),
        http: http.clone(),
        clock,
        done: Mutex::new(Some(done_tx)),
        leg: Mutex::new(None),
    });
    clock.step(
        1,
        format!(
            "serve application {} with the runner: one task per call",
            settings.app
        ),
    );
    let handler_flow = Arc::clone(&flow);
    let served = tokio::spawn(app.serve(move |call| {
        let flow = Arc::clone(&handler_flow);
        async move { flow.handle(call).await }
    }));
    let outcome = tokio::select! {
        result = start_and_wait(&flow, &client, &http, &settings.app, done_rx) => result.map_err(Some),
        _ = tokio::signal::ctrl_c() => Err(None),
    };
    if let Err(Some(message)) = &outcome {
        clock.say("FAIL", message);
    } else if outcome.is_err() {
        clock.say(
            "INT",
            "interrupted (Ctrl-C): the runner hangs up what is left",
        );
    }
    shutdown.trigger();
    let report = match tokio::time::timeout(TIMEOUT * 3, served).await {
        Ok(Ok(Ok(report))) => Some(report),
        Ok(Ok(Err(e))) => {
            clock.say("FAIL", format!("serving: {}", chain(&e)));
            None
        }
        _ => {
            clock.say("FAIL", "the runner did not stop within 30 s");
            None
        }
    };
    if let Some(report) = &report {
        clock.say(
            "ok",
            format!(
                "runner report: {} calls, {} succeeded, {} failed, {} panicked, drained in {:?}",
                report.calls, report.succeeded, report.failed, report.panicked, report.drain_time
            ),
        );
    }
    let elapsed = clock.elapsed();
    match (outcome, report) {
        (Ok(()), Some(report)) if report.failed == 0 && report.panicked == 0 => {
            println!(
                "ari-sdk demo: done — {STEPS} steps in {elapsed:.1} s, {} calls served",
                report.calls
            );
            ExitCode::SUCCESS
        }
        (Err(None), _) => {
            eprintln!("ari-sdk demo: interrupted after {elapsed:.1} s");
            ExitCode::from(130)
        }
        _ => {
            eprintln!("ari-sdk demo: FAILED after {elapsed:.1} s (see the FAIL line above)");
            ExitCode::FAILURE
        }
    }
}

/// Waits until Asterisk lists the application (the runner's connection is up, or Asterisk's outbound one),
/// originates the call, and waits for the callee's flow to report.
async fn start_and_wait(
    flow: &Flow,
    client: &Client,
    http: &Client,
    app: &str,
    done: oneshot::Receiver<Result<(), String>>,
) -> Result<(), String> {
    let deadline = Instant::now() + TIMEOUT * 3;
    while http.application(app).get().await.is_err() {
        if Instant::now() > deadline {
            return Err(format!("application {app} not registered within 30 s"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let endpoint = format!("Local/stasis-{app}@{}/n", flow.context);
    flow.clock
        .step(2, format!("originate {endpoint} → {app}: a call to itself"));
    // Over the client's transport; over an outbound connection the call has no socket yet: HTTP.
    let originator = if client.transport() == ari_sdk::Transport::WebSocket
        && client.event_connection().is_err()
    {
        http
    } else {
        client
    };
    originator
        .channels()
        .originate(endpoint)
        .app(app)
        .app_args(CALLER_ARG)
        .channel_id(flow.id("caller"))
        .other_channel_id(flow.id("callee"))
        .await
        .map_err(|e| format!("originate: {}", chain(&e)))?;
    match tokio::time::timeout(TIMEOUT * 6, done).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err("the callee's task ended without a result".to_owned()),
        Err(_) => Err("the call flow did not finish within 60 s".to_owned()),
    }
}

/// What every call's task shares.
struct Flow {
    /// Names this run's objects: `demo-<tag>-callee`, `demo-<tag>-bridge`, …
    tag: String,
    context: String,
    /// HTTP, for the recording download (an outbound connection carries no binary).
    http: Client,
    clock: Clock,
    done: Mutex<Option<oneshot::Sender<Result<(), String>>>>,
    /// The dialed echo leg, once there is one.
    leg: Mutex<Option<String>>,
}

impl Flow {
    fn id(&self, role: &str) -> String {
        format!("{}-{role}", self.tag)
    }

    /// The runner's handler: the caller half waits for its end, the callee half runs the flow.
    async fn handle(&self, call: Call) -> Result<(), BoxError> {
        if call.args.first().map(String::as_str) == Some(CALLER_ARG) {
            self.clock.say(
                "call",
                format!(
                    "{} (the caller) entered the application: its task waits for its end",
                    call.id()
                ),
            );
            let id = call.id().to_owned();
            let mut events = call.events;
            while events.next().await.is_some() {}
            self.clock.say("call", format!("{id} left the application"));
            return Ok(());
        }
        self.clock.say(
            "call",
            format!(
                "{} (the callee) entered the application: its task runs the flow",
                call.id()
            ),
        );
        let client = call.client.clone();
        let result = self.callee(call).await;
        if result.is_err() {
            self.clean_up(&client).await;
        }
        let message = result.as_ref().map(drop).map_err(|e| chain(e.as_ref()));
        if let Some(done) = self
            .done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            let _ = done.send(message);
        }
        result
    }

    /// After a failure: what the flow created besides the calls (the runner hangs the callee up).
    async fn clean_up(&self, client: &Client) {
        let leg = self
            .leg
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(leg) = leg {
            let _ = tokio::time::timeout(TIMEOUT, client.channel(leg).hangup().send()).await;
        }
        let bridge = client.bridge(self.id("bridge")).destroy().send();
        let _ = tokio::time::timeout(TIMEOUT, bridge).await;
    }

    async fn callee(&self, mut call: Call) -> Result<(), BoxError> {
        let clock = self.clock;
        let client = call.client.clone();
        let caller = client.channel(self.id("caller"));
        clock.step(3, format!("answer {}", call.id()));
        call.channel.answer().await?;

        clock.step(
            4,
            "play sound:hello-world to the callee and wait for PlaybackFinished",
        );
        let (playback, _) = call
            .channel
            .play_and_wait(["sound:hello-world"], TIMEOUT)
            .await?;
        clock.say("ok", format!("playback {} finished", playback.id));

        clock.step(
            5,
            format!("collect digits on the callee while the caller keys {DTMF}"),
        );
        let keying = async {
            caller.send_dtmf(DTMF).between(100).await?;
            Ok::<_, ari_sdk::Error>(())
        };
        let collect = call.collect(
            Collect::prompt(["sound:beep"])
                .max_digits(8)
                .first_digit_timeout(TIMEOUT)
                .inter_digit_timeout(Duration::from_secs(3)),
        );
        let (got, keyed) = tokio::join!(collect, keying);
        keyed?;
        let got = got?;
        if got.digits != "4711" || got.ended_by != CollectEnd::Terminator("#".into()) {
            return Err(format!("collected {:?}, ended by {:?}", got.digits, got.ended_by).into());
        }
        clock.say("ok", format!("collected {} (ended by #)", got.digits));

        clock.step(
            6,
            format!("record the callee for {RECORD:?} while the caller plays a prompt to it"),
        );
        let prompt = client.playback(self.id("prompt"));
        caller
            .play_with_id(prompt.id(), ["sound:demo-congrats"])
            .await?;
        let recorded = call
            .record(
                Record::new()
                    .beep(false)
                    .max_duration(RECORD)
                    .terminate_on(RecordTerminateOn::None),
            )
            .await?;
        // The prompt holds the caller's command queue (its DTMF would wait for its end): stopped. Gone already
        // when it was shorter than the recording.
        if let Err(e) = prompt.stop().await {
            if !e.is_not_found() {
                return Err(e.into());
            }
        }
        let name = recorded.recording.name.clone();
        let file = self.http.stored_recording(&name).get_stored_file().await?;
        clock.say(
            "ok",
            format!(
                "recording {name}: {:?}, downloaded {} bytes",
                recorded.ended_by,
                file.bytes.len()
            ),
        );

        let echo = format!("Local/echo@{}/n", self.context);
        clock.step(7, format!("dial {echo} and bridge it with the callee"));
        let DialOutcome::Answered(leg) = call.dial(Dial::new(&echo).timeout(TIMEOUT)).await? else {
            return Err(format!("{echo} did not answer").into());
        };
        *self
            .leg
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(leg.channel.id().to_owned());
        let bridge = client.bridge(self.id("bridge"));
        bridge
            .create_with_id()
            .kind([BridgeType::Mixing])
            .name("ari-sdk demo")
            .await?;
        bridge
            .add_channel([call.id().to_owned(), leg.channel.id().to_owned()])
            .await?;
        clock.say(
            "ok",
            format!(
                "bridge {} holds {} and {}",
                bridge.id(),
                call.id(),
                leg.channel.id()
            ),
        );

        clock.step(
            8,
            "key 5 on the caller until it comes back through the bridge and the echo",
        );
        let mut caller_events = caller.events()?;
        let mut echoed = false;
        for _ in 0..10 {
            caller.send_dtmf("5").await?;
            if caller_events
                .next_of::<ChannelDtmfReceived>(Duration::from_secs(1))
                .await
                .is_ok()
            {
                echoed = true;
                break;
            }
        }
        if !echoed {
            return Err("the digit did not come back within 10 tries".into());
        }
        clock.say(
            "ok",
            "the caller heard its own digit: media crossed the bridge both ways",
        );

        clock.step(
            9,
            "hang up the echo leg and the callee (the caller half ends with it)",
        );
        leg.channel.hangup().await?;
        call.channel.hangup().await?;

        clock.step(10, "destroy the bridge and delete the stored recording");
        bridge.destroy().await?;
        self.http.stored_recording(&name).delete_stored().await?;
        Ok(())
    }
}

/// Where the demo listens for Asterisk's outbound WebSocket (`ARI_OUTBOUND_*`).
struct Outbound {
    listen: String,
    user: String,
    password: String,
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

impl Clock {
    fn step(self, n: u32, text: impl Display) {
        self.say("step", format!("{n}/{STEPS} {text}"));
    }
}

/// The error and its sources, one line.
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
