//! Calls for the application runner's live tests (`ari_sdk::app`): a *served* application (the code under test)
//! and a *driver* application, each served by its own `App` on its own client.
//!
//! Every call is a Local channel `Local/stasis@<context>` with `ARI_APP=<served app>` and `ARI_ARGS=<n>`: its
//! `;2` half enters the served application with the argument `n`, ringing; its `;1` half enters the driver
//! application (with the same argument) once the served side answers. Whatever the driver does to its `;1` half
//! (DTMF, music on hold) reaches the served `;2` half.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use ari_sdk::app::{App, BoxError, Call, Report, Shutdown};
use ari_sdk::{ChannelHandle, Client};
use tokio::sync::mpsc;

use crate::{connect, within, Ari};

/// The most a rig waits for its calls.
pub const CALLS_LIMIT: Duration = Duration::from_secs(150);

/// The digits call `n` keys in [`Rig::keying_driver`]: three, never `#`.
pub fn digits_of(n: usize) -> String {
    format!("{:03}", n % 1000)
}

/// The call number of a driver or served call (its Stasis argument).
pub fn call_number(call: &Call) -> Result<usize, BoxError> {
    Ok(call
        .args
        .first()
        .and_then(|a| a.parse().ok())
        .ok_or("no call number")?)
}

/// Answers `call` and collects the three digits [`Rig::keying_driver`] keys (a beep as the prompt, 20 s for the
/// first digit); returns the call number and the digits.
pub async fn answer_and_collect_three(call: &mut Call) -> Result<(usize, String), BoxError> {
    let n = call_number(call)?;
    call.channel.answer().await?;
    let got = call
        .collect(
            ari_sdk::app::Collect::prompt(["sound:beep"])
                .max_digits(3)
                .first_digit_timeout(Duration::from_secs(20)),
        )
        .await?;
    Ok((n, got.digits))
}

/// Originates the calls `originations` makes, all at once, within [`CALLS_LIMIT`].
pub async fn originate_all<F: Future>(what: &str, originations: impl IntoIterator<Item = F>) {
    within(what, CALLS_LIMIT, futures::future::join_all(originations)).await;
}

/// The handlers' `(call number, outcome)` reports until `count` calls have reported, within [`CALLS_LIMIT`].
pub async fn outcomes<T>(
    reports: &mut mpsc::UnboundedReceiver<(usize, T)>,
    count: usize,
    what: &str,
) -> BTreeMap<usize, T> {
    let mut outcomes = BTreeMap::new();
    within(what, CALLS_LIMIT, async {
        while outcomes.len() < count {
            let (n, outcome) = reports.recv().await.expect("the handlers' results");
            outcomes.insert(n, outcome);
        }
    })
    .await;
    outcomes
}

/// A running `App`: stop it with [`Served::stop`].
pub struct Served {
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<Report>,
}

impl Served {
    /// Serves `app` with `handler` in a task.
    pub fn start<H, Fut>(app: App, handler: H) -> Served
    where
        H: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let shutdown = app.shutdown_handle();
        let task = tokio::spawn(async move { app.serve(handler).await.expect("serving the app") });
        Served { shutdown, task }
    }

    /// Triggers the shutdown and waits (bounded) for the report.
    pub async fn stop(self) -> Report {
        self.shutdown.trigger();
        within("the app's shutdown", CALLS_LIMIT, self.task)
            .await
            .expect("the app's task")
    }

    /// Whether `serve` has returned.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The shutdown handle.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Waits (bounded) for the report without triggering a shutdown.
    pub async fn report(self) -> Report {
        within("the app's report", CALLS_LIMIT, self.task)
            .await
            .expect("the app's task")
    }
}

/// A served application and a driver application, each with its own client (and event connection).
pub struct Rig {
    /// The target.
    pub ari: Ari,
    /// The served application's client.
    pub served: Client,
    /// The served application's name.
    pub served_app: String,
    /// The driver's client.
    pub driver: Client,
    /// The driver application's name.
    pub driver_app: String,
}

impl Rig {
    /// Connects; names both applications after `what`.
    pub async fn new(what: &str) -> Rig {
        Rig::on(connect().await, what)
    }

    /// A rig on the Asterisk `ari` talks to; names both applications after `what`.
    pub fn on(ari: Ari, what: &str) -> Rig {
        let served_app = ari.unique(what);
        let driver_app = ari.unique(&format!("{what}-drv"));
        Rig {
            served: ari.client(),
            driver: ari.client(),
            ari,
            served_app,
            driver_app,
        }
    }

    /// The served application on the served client.
    pub fn app(&self) -> App {
        App::new(self.served.clone(), &self.served_app)
    }

    /// Serves the driver application with `handler`.
    pub fn drive_with<H, Fut>(&self, handler: H) -> Served
    where
        H: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        Served::start(
            App::new(self.driver.clone(), &self.driver_app).linger(Duration::from_secs(1)),
            handler,
        )
    }

    /// A driver that, for each call `n`, keys [`digits_of`]`(n)`, plays music on hold into the call (what a
    /// recording hears) and keys `#` every 700 ms until the call ends.
    pub fn keying_driver(&self) -> Served {
        self.drive_with(|call: Call| async move {
            let n = call_number(&call)?;
            call.channel.send_dtmf(digits_of(n)).between(150).await?;
            // Music on hold (spoken digits, loud), not a playback: a playback holds the channel's command
            // queue, and the `#` below would wait for its end.
            call.channel.start_moh().moh_class("ari-sdk-speech").await?;
            let mut events = call.events;
            for _ in 0..40 {
                match events
                    .next_of::<ari_sdk::event_types::StasisEnd>(Duration::from_millis(700))
                    .await
                {
                    Err(e) if e.is_timeout() => {
                        // 404/409 when the call is ending.
                        let _ = call.channel.send_dtmf("#").await;
                    }
                    _ => return Ok(()),
                }
            }
            Err("the call did not end within 28 s".into())
        })
    }

    /// A driver that keeps each call until it ends (at most 100 s) and hands its `;1` half to the test through
    /// the returned receiver, so the test keys what it wants when it wants.
    pub fn holding_driver(&self) -> (Served, mpsc::UnboundedReceiver<ChannelHandle>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let served = self.drive_with(move |call: Call| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(call.channel.clone());
                let mut events = call.events;
                match events
                    .next_of::<ari_sdk::event_types::StasisEnd>(Duration::from_secs(100))
                    .await
                {
                    Err(e) if e.is_timeout() => Err(e.into()),
                    _ => Ok(()),
                }
            }
        });
        (served, rx)
    }

    /// Waits until Asterisk lists both applications.
    pub async fn registered(&self) {
        self.ari
            .wait_registered(&[&self.served_app, &self.driver_app])
            .await;
    }

    /// Originates call `n`: its `;2` half enters the served app with argument `n`, its `;1` half the driver app.
    /// Returns the `;1` half's id.
    pub async fn originate(&self, n: usize) -> String {
        let id = ari_sdk::events::unique_id();
        self.driver
            .channels()
            .originate(format!("Local/stasis@{}/n", self.ari.target.context))
            .app(&self.driver_app)
            .app_args(n.to_string())
            .channel_id(&id)
            .variables([
                ("ARI_APP", self.served_app.clone()),
                ("ARI_ARGS", n.to_string()),
            ])
            .await
            .unwrap_or_else(|e| panic!("originating call {n}: {e}"));
        id
    }
}
