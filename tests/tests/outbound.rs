//! Outbound WebSocket, live: the sandbox Asterisk dials a [`Listener`] of the test.
//!
//! Each test writes `websocket_client` and `outbound_websocket` sections into the files the sandbox's
//! `websocket_client.conf` and `ari.conf` include (`cargo xtask asterisk up` writes them empty), reloads
//! `res_websocket_client` and `res_ari` through ARI, and empties them again at the end. Asterisk then connects to
//! the test's listener on 127.0.0.1. Within this binary the tests take turns (`EXCLUSIVE`): the configuration
//! is the sandbox's. They need the sandbox of `cargo xtask asterisk up` in this workspace (they write its
//! configuration files, as root); against any other Asterisk they fail and say so. On a server without the
//! feature (before 20.15.0 / 21.10.0 / 22.5.0: the 16.28.0 sandbox) they check that it is absent.

#[path = "../../ari-sdk/tests/loopback/ca.rs"]
mod ca;

mod outbound {
    use super::ca;
    use std::collections::BTreeSet;
    use std::future::IntoFuture as _;
    use std::time::Duration;

    use ari_live_tests::{connect, poll_until, within, Ari, Cleanup, SandboxSettings};
    use ari_sdk::events::{EventStream, StreamItem};
    use ari_sdk::outbound::{Connection, Listener};
    use ari_sdk::{Client, Error, Event, Transport};
    use futures::StreamExt as _;

    /// One test at a time in this binary.
    static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// Guards against hangs only.
    const LIMIT: Duration = Duration::from_secs(30);

    /// The username Asterisk sends to the listener.
    const USER: &str = "ari-sdk-outbound";

    struct Sandbox {
        ari: Ari,
        settings: SandboxSettings,
        client: Client,
    }

    /// The sandbox, or `None` after checking that its Asterisk has no outbound WebSocket.
    async fn sandbox() -> Option<Sandbox> {
        let ari = connect().await;
        assert!(
            std::env::var_os("ARI_URL").is_none_or(|v| v.is_empty()),
            "the outbound WebSocket tests write the configuration of the Asterisk under test, so they run only \
             against the sandbox of `cargo xtask asterisk up`, not against ARI_URL={}",
            ari.target.url
        );
        let settings = xtask::settings::read_settings()
            .expect("the sandbox settings")
            .expect("the sandbox settings file (run `cargo xtask asterisk up` as root)");
        let client = ari.client();
        let version = settings.asterisk_version.clone();
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if major < 20 {
            // No res_websocket_client before 20.15: the module is not there to configure.
            let err = client
                .module("res_websocket_client.so")
                .get_module()
                .await
                .expect_err("no outbound WebSocket before 20.15");
            assert_eq!(err.status(), Some(404), "{err}");
            eprintln!("Asterisk {version}: no outbound WebSocket (res_websocket_client: 404), as expected");
            return None;
        }
        Some(Sandbox {
            ari,
            settings,
            client,
        })
    }

    impl Sandbox {
        /// Writes `clients` (websocket_client sections) and `sections` (outbound_websocket sections) and reloads
        /// both modules.
        async fn configure(&self, clients: &str, sections: &str) {
            self.settings
                .write_outbound_config(clients, sections)
                .expect("writing the outbound configuration");
            for module in ["res_websocket_client.so", "res_ari.so"] {
                self.client
                    .module(module)
                    .reload_module()
                    .await
                    .unwrap_or_else(|e| panic!("reloading {module}: {e}"));
            }
        }

        /// Empties the test configuration again (Asterisk drops its outbound connections).
        async fn unconfigure(&self) {
            self.configure("", "").await;
        }

        fn local(&self) -> String {
            format!("Local/wait@{}", self.ari.target.context)
        }
    }

    /// How the sandbox is pointed at a listener of the test.
    struct Point<'a> {
        /// The configuration's id (websocket_client and outbound_websocket sections).
        id: &'a str,
        /// `persistent` or `per_call_config`.
        kind: &'a str,
        /// `ws://127.0.0.1:<port><path>`, or `wss://` with `tls`.
        path: &'a str,
        /// The password Asterisk sends; the listener's own when `None`.
        wrong_password: Option<&'a str>,
        /// More websocket_client lines.
        extra: &'a str,
    }

    impl Sandbox {
        /// Binds a listener (`tune` adds settings; Basic credentials of [`USER`] and a fresh password), points the
        /// sandbox's outbound WebSocket at it for a unique application, and returns both.
        async fn listen(
            &self,
            point: Point<'_>,
            tune: impl FnOnce(ari_sdk::outbound::ListenerBuilder) -> ari_sdk::outbound::ListenerBuilder,
        ) -> (Listener, String) {
            let password = self.ari.unique("pw");
            let builder = Listener::builder("127.0.0.1:0")
                .basic_auth(USER, &password)
                .request_timeout(Duration::from_secs(10));
            let listener = tune(builder).bind().await.expect("bind");
            let app = self.ari.unique(point.id.trim_start_matches("ari-sdk-"));
            let scheme = if point.extra.contains("tls_enabled = yes") {
                "wss"
            } else {
                "ws"
            };
            let uri = format!(
                "{scheme}://127.0.0.1:{}{}",
                listener.local_addr().port(),
                point.path
            );
            let password = point.wrong_password.unwrap_or(&password);
            self.configure(
                &ws_client(point.id, &uri, point.kind, password, point.extra),
                &outbound(point.id, &app, &self.ari.target.user),
            )
            .await;
            (listener, app)
        }
    }

    /// A `websocket_client` section for [`USER`], reconnecting every 200 ms.
    fn ws_client(id: &str, uri: &str, kind: &str, password: &str, extra: &str) -> String {
        let extra = if extra.contains("reconnect_interval") {
            extra.to_owned()
        } else {
            format!("reconnect_interval = 200\n{extra}")
        };
        xtask::asterisk::websocket_client_section(id, uri, kind, USER, password, &extra)
    }

    /// An `outbound_websocket` section serving `app`.
    fn outbound(id: &str, app: &str, ari_user: &str) -> String {
        xtask::asterisk::outbound_websocket_section(id, app, ari_user)
    }

    async fn accept(listener: &mut Listener, what: &str) -> Connection {
        within(what, LIMIT, listener.accept())
            .await
            .expect("the listener is open")
    }

    /// The next event on `events` matching `want`, within [`LIMIT`].
    async fn event(
        events: &mut EventStream<Event>,
        what: &str,
        want: impl Fn(&Event) -> bool,
    ) -> Event {
        within(what, LIMIT, async {
            loop {
                match events.next().await {
                    Some(Ok(StreamItem::Event(event))) if want(&event) => return event,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => panic!("{what}: the stream failed: {e}"),
                    None => panic!("{what}: the stream ended"),
                }
            }
        })
        .await
    }

    /// Waits for the end of `events` (without an error), within [`LIMIT`]; returns the events seen until then.
    async fn end(events: &mut EventStream<Event>, what: &str) -> Vec<Event> {
        within(what, LIMIT, async {
            let mut seen = Vec::new();
            loop {
                match events.next().await {
                    Some(Ok(StreamItem::Event(event))) => seen.push(event),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => panic!("{what}: ended with an error: {e}"),
                    None => return seen,
                }
            }
        })
        .await
    }

    #[tokio::test]
    async fn persistent_a_call_arrives_and_is_handled_over_the_socket() {
        let _turn = EXCLUSIVE.lock().await;
        let Some(sandbox) = sandbox().await else {
            return;
        };
        let point = Point {
            id: "ari-sdk-out-p",
            kind: "persistent",
            path: "/persistent",
            wrong_password: None,
            extra: "",
        };
        let (mut listener, app) = sandbox.listen(point, |b| b).await;
        let mut connection = accept(&mut listener, "Asterisk's persistent connection").await;
        assert_eq!(connection.path(), "/persistent");
        let client = connection.client().clone();
        assert_eq!(client.transport(), Transport::WebSocket);

        let mut cleanup = Cleanup::new(&sandbox.ari);
        let id = sandbox.ari.unique("chan");
        cleanup.channel(&id);
        cleanup.channel(&format!("{id}-2"));
        // Originated over HTTP into the outbound application; everything else goes over the socket.
        sandbox
            .client
            .channels()
            .originate(sandbox.local())
            .app(&app)
            .channel_id(&id)
            .other_channel_id(format!("{id}-2"))
            .await
            .expect("originate into the outbound application");
        let events = connection.events();
        event(
            events,
            "StasisStart on the socket",
            |e| matches!(e, Event::StasisStart(s) if s.channel.id == id),
        )
        .await;
        client
            .channel(&id)
            .answer()
            .await
            .expect("answer over the socket");
        let playback = client
            .channel(&id)
            .play(["sound:hello-world"])
            .await
            .expect("play over the socket");
        event(
            events,
            "PlaybackStarted on the socket",
            |e| matches!(e, Event::PlaybackStarted(p) if p.playback.id == playback.id),
        )
        .await;
        client
            .channel(&id)
            .hangup()
            .await
            .expect("hangup over the socket");
        event(
            events,
            "StasisEnd on the socket",
            |e| matches!(e, Event::StasisEnd(s) if s.channel.id == id),
        )
        .await;
        // The channel is gone: the same typed error over the socket as over HTTP.
        let channel = client.channel(&id);
        let err =
            ari_live_tests::first_error("the channel gone after StasisEnd", || channel.get()).await;
        assert!(matches!(err, Error::Api { status: 404, .. }), "{err:?}");

        // Removing the configuration makes Asterisk close the connection: the stream ends.
        sandbox.unconfigure().await;
        end(
            connection.events(),
            "the connection closed after the configuration went",
        )
        .await;
        let stats = listener.stats();
        assert_eq!(
            (stats.unauthorized, stats.bad_requests),
            (0, 0),
            "{stats:?}"
        );
    }

    #[tokio::test]
    async fn per_call_ten_concurrent_calls_arrive_as_ten_connections() {
        const CALLS: usize = 10;
        let _turn = EXCLUSIVE.lock().await;
        let Some(sandbox) = sandbox().await else {
            return;
        };
        let point = Point {
            id: "ari-sdk-out-c",
            kind: "per_call_config",
            path: "/per-call",
            wrong_password: None,
            extra: "",
        };
        let (mut listener, app) = sandbox
            .listen(point, |b| b.max_connections(CALLS + 2))
            .await;

        let mut cleanup = Cleanup::new(&sandbox.ari);
        let ids: Vec<String> = (0..CALLS)
            .map(|i| sandbox.ari.unique(&format!("call{i}")))
            .collect();
        for id in &ids {
            cleanup.channel(id);
            cleanup.channel(&format!("{id}-2"));
        }
        // Ten calls at once, each entering Stasis(app) from the dialplan.
        let originated = futures::future::join_all(ids.iter().map(|id| {
            sandbox
                .client
                .channels()
                .originate(sandbox.local())
                .extension(format!("stasis-{app}"))
                .context(&sandbox.ari.target.context)
                .channel_id(id)
                .other_channel_id(format!("{id}-2"))
                .into_future()
        }))
        .await;
        for result in originated {
            result.expect("originate");
        }

        let mut calls = Vec::new();
        for n in 0..CALLS {
            let connection = accept(&mut listener, &format!("per-call connection {}", n + 1)).await;
            let prefix = format!("{app}:");
            calls.push(tokio::spawn(async move {
                let (client, mut events) = connection.into_parts();
                let start = event(&mut events, "StasisStart on a per-call connection", |e| {
                    matches!(e, Event::StasisStart(_))
                })
                .await;
                let application = start.application().unwrap_or_default().to_owned();
                let Event::StasisStart(start) = start else {
                    unreachable!()
                };
                let id = start.channel.id.clone();
                assert!(
                    application.starts_with(&prefix),
                    "the per-call application is `<app>:<channel name>`, got {application}"
                );
                client
                    .channel(&id)
                    .hangup()
                    .await
                    .expect("hangup over the per-call socket");
                let rest = end(
                    &mut events,
                    "the per-call connection closed after the hangup",
                )
                .await;
                for event in &rest {
                    for other in event.channel_ids() {
                        // its own channel, or the other half of its own Local channel (`<id>-2`)
                        assert!(
                            other.starts_with(id.as_str()),
                            "a per-call connection saw another call: {event:?}"
                        );
                    }
                }
                (id, application, rest.len())
            }));
        }
        let mut seen = BTreeSet::new();
        let mut applications = BTreeSet::new();
        for call in calls {
            let (id, application, after) =
                within("a per-call task", LIMIT, call).await.expect("task");
            eprintln!(
                "per-call connection: {id} as {application}, {after} events after StasisStart"
            );
            seen.insert(id);
            applications.insert(application);
        }
        assert_eq!(seen, ids.iter().cloned().collect::<BTreeSet<_>>());
        assert_eq!(applications.len(), CALLS, "one application per call");
        poll_until(
            "every per-call slot given back",
            LIMIT,
            Duration::from_millis(50),
            || async { (listener.stats().open == 0).then_some(()) },
        )
        .await;
        assert_eq!(listener.stats().accepted, CALLS as u64);
        sandbox.unconfigure().await;
    }

    #[tokio::test]
    async fn wss_with_a_ca_only_the_sandbox_was_given() {
        let _turn = EXCLUSIVE.lock().await;
        let Some(sandbox) = sandbox().await else {
            return;
        };
        let (tls, ca) = ca::server_signed_by_a_new_ca(&["127.0.0.1", "localhost"]);
        let ca_file = "ari-sdk-outbound-ca.pem";
        std::fs::write(sandbox.settings.etc_dir().join(ca_file), &ca).expect("writing the CA");
        let tls_options = format!(
            "tls_enabled = yes\nca_list_file = {}/{ca_file}\nverify_server_cert = yes\nverify_server_hostname = yes\n",
            sandbox.settings.etc_dir_inside()
        );
        let point = Point {
            id: "ari-sdk-out-s",
            kind: "persistent",
            path: "/tls",
            wrong_password: None,
            extra: &tls_options,
        };
        let (mut listener, _app) = sandbox.listen(point, |b| b.tls(tls)).await;
        let mut connection = accept(&mut listener, "Asterisk's wss connection").await;
        let ping = connection
            .client()
            .asterisk()
            .ping()
            .await
            .expect("REST over wss");
        assert!(!ping.asterisk_id.is_empty());
        sandbox.unconfigure().await;
        end(
            connection.events(),
            "the wss connection closed after the configuration went",
        )
        .await;
        assert_eq!(
            listener.stats().failed_handshakes,
            0,
            "{:?}",
            listener.stats()
        );
    }

    /// The resident set size of process `pid` in KiB (`VmRSS`).
    fn rss_kib(pid: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    #[tokio::test]
    async fn wrong_credentials_are_refused_and_the_retries_cost_nothing() {
        const WARM_UP: u64 = 20;
        const MEASURED: u64 = 200;
        let _turn = EXCLUSIVE.lock().await;
        let Some(sandbox) = sandbox().await else {
            return;
        };
        let point = Point {
            id: "ari-sdk-out-w",
            kind: "persistent",
            path: "/wrong",
            wrong_password: Some("a-wrong-password"),
            extra: "reconnect_interval = 20\n",
        };
        let (mut listener, _app) = sandbox.listen(point, |b| b).await;
        let refused = |n: u64| {
            let stats = listener.stats();
            (stats.unauthorized >= n).then_some(stats)
        };
        poll_until(
            "Asterisk's first refused attempts",
            LIMIT,
            Duration::from_millis(20),
            || async { refused(WARM_UP) },
        )
        .await;
        let asterisk_pid = sandbox.settings.pid.to_string();
        let (ours_before, asterisk_before) = (rss_kib("self"), rss_kib(&asterisk_pid));
        poll_until(
            "Asterisk's retries",
            Duration::from_secs(120),
            Duration::from_millis(50),
            || async { refused(WARM_UP + MEASURED) },
        )
        .await;
        let (ours_after, asterisk_after) = (rss_kib("self"), rss_kib(&asterisk_pid));
        sandbox.unconfigure().await;
        let stats = listener.stats();
        eprintln!(
            "{} refused attempts ({} measured): listener process RSS {ours_before} -> {ours_after} KiB, \
             Asterisk RSS {asterisk_before} -> {asterisk_after} KiB; {stats:?}",
            stats.unauthorized, MEASURED
        );
        assert_eq!(
            (stats.accepted, stats.open, stats.bad_requests),
            (0, 0, 0),
            "{stats:?}"
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(200), listener.accept())
                .await
                .is_err(),
            "a refused connection reached the application"
        );
        // A refusal keeps nothing: the listener's memory does not follow the number of attempts.
        assert!(
            ours_after.saturating_sub(ours_before) < 2048,
            "the listener grew by {} KiB over {MEASURED} refusals",
            ours_after - ours_before
        );
        assert!(
            asterisk_after.saturating_sub(asterisk_before) < 4096,
            "Asterisk grew by {} KiB over {MEASURED} refused attempts",
            asterisk_after - asterisk_before
        );
    }

    /// What the runner's handler saw on one call.
    #[derive(Debug)]
    struct Served {
        digits: String,
        application: String,
        server: String,
        transport: Transport,
    }

    /// The application runner on an outbound listener: `calls` calls, each a Local channel whose `;2` half enters
    /// the outbound application (served by `App::outbound`) and whose `;1` half enters an inbound driver that keys
    /// the call's digits. The handler answers, collects 3 digits over the socket and hangs up. Checks each call's
    /// digits, transport and application (`app` or `app:<channel name>`) and the runner's report; returns how many
    /// connections the calls came on.
    /// [`runner_on`] with its turn and sandbox, a `kind` connection configured as `id` at `/<id>`; `None` on a
    /// server without outbound WebSocket (checked there).
    async fn runner_test(id: &str, kind: &str, calls: usize) -> Option<usize> {
        let _turn = EXCLUSIVE.lock().await;
        let sandbox = sandbox().await?;
        let path = format!("/{id}");
        let point = Point {
            id,
            kind,
            path: &path,
            wrong_password: None,
            extra: "",
        };
        Some(runner_on(&sandbox, point, calls).await)
    }

    async fn runner_on(sandbox: &Sandbox, point: Point<'_>, calls: usize) -> usize {
        use ari_live_tests::app_rig::{
            answer_and_collect_three, digits_of, originate_all, outcomes, Rig, Served as Running,
        };
        use ari_sdk::app::{App, BoxError, Call};

        let persistent = point.kind == "persistent";
        let (listener, app) = sandbox
            .listen(point, |b| b.max_connections(calls + 2))
            .await;
        let mut rig = Rig::new("outbound-runner").await;
        rig.served_app = app.clone();
        let driver = rig.keying_driver();
        rig.ari.wait_registered(&[&rig.driver_app]).await;
        if persistent {
            // The application exists once Asterisk's connection is up (per call: only during each call).
            rig.ari.wait_registered(&[&app]).await;
        }
        let address = listener.local_addr();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let served = Running::start(
            App::outbound(listener, &app).max_calls(calls),
            move |mut call: Call| {
                let tx = tx.clone();
                async move {
                    let (n, digits) = answer_and_collect_three(&mut call).await?;
                    call.channel.hangup().await?;
                    let _ = tx.send((
                        n,
                        Served {
                            digits,
                            application: call.app().to_owned(),
                            server: call.client.base_url().to_owned(),
                            transport: call.client.transport(),
                        },
                    ));
                    Ok::<_, BoxError>(())
                }
            },
        );
        originate_all(
            "originating the calls",
            (0..calls).map(|n| rig.originate(n)),
        )
        .await;
        let outcomes = outcomes(&mut rx, calls, "every call's outcome").await;
        let report = served.stop().await;
        let driver_report = driver.stop().await;
        eprintln!("outbound runner on {address}: {report:?}\ndriver: {driver_report:?}");
        sandbox.unconfigure().await;
        for (n, outcome) in &outcomes {
            assert_eq!(outcome.digits, digits_of(*n), "call {n}: {outcome:?}");
            assert_eq!(outcome.transport, Transport::WebSocket, "call {n}");
            assert!(
                outcome.server.starts_with("outbound:127.0.0.1:"),
                "call {n}: {outcome:?}"
            );
            assert!(
                outcome.application == app || outcome.application.starts_with(&format!("{app}:")),
                "call {n}: {outcome:?}"
            );
        }
        assert_eq!(
            (report.calls, report.succeeded),
            (calls as u64, calls as u64),
            "{report:?}"
        );
        assert_eq!(
            (
                report.failed,
                report.panicked,
                report.cancelled,
                report.rejected
            ),
            (0, 0, 0, 0),
            "{report:?}"
        );
        assert_eq!(driver_report.calls, calls as u64, "{driver_report:?}");
        let connections: BTreeSet<&str> = outcomes.values().map(|o| o.server.as_str()).collect();
        connections.len()
    }

    #[tokio::test]
    async fn runner_per_call_serves_ten_calls_each_on_its_own_connection() {
        let connections = runner_test("ari-sdk-out-rc", "per_call_config", 10).await;
        assert!(
            connections.is_none_or(|n| n == 10),
            "one connection per call"
        );
    }

    #[tokio::test]
    async fn runner_persistent_serves_calls_on_one_connection() {
        let connections = runner_test("ari-sdk-out-rp", "persistent", 5).await;
        assert!(
            connections.is_none_or(|n| n == 1),
            "every call on the persistent connection"
        );
    }
}
