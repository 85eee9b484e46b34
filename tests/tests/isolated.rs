//! Live tests that need the sandbox Asterisk to themselves: they restart it, freeze it, or flood it.
//!
//! `cargo xtask test` runs them in a step of their own after the main live suite
//! (`cargo test -p ari-live-tests --test isolated`), and skips them in the main step
//! (`--skip isolated::`). Within this binary they take turns (`EXCLUSIVE`), so a plain
//! `cargo test -p ari-live-tests` (which runs one test binary at a time) is safe too.
//!
//! They need the sandbox started by `cargo xtask asterisk up` in this workspace, and root (to
//! signal it): against any other Asterisk they fail and say so.

mod isolated {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use ari_live_tests::bounded::{describe, next_matching};
    use ari_live_tests::{connect, Ari};
    use ari_sdk::events::{ConnectionState, EventStream, EventsError, GapEnd, StreamItem};
    use ari_sdk::{Client, Event};
    use futures::StreamExt as _;
    use tokio::sync::mpsc;
    use tokio::time::Instant;

    /// One test at a time in this binary (each test has its own runtime; tokio's mutex works
    /// across them).
    static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// The bound: reconnected within this long of the port answering again.
    const RECONNECT_BOUND: Duration = Duration::from_secs(1);
    /// Guards against hangs only.
    const HANG: Duration = Duration::from_secs(60);

    /// Connects, and checks that the target is this workspace's sandbox (the tests signal its
    /// process); returns the target and its port.
    async fn sandbox() -> (Ari, u16) {
        let ari = connect().await;
        assert!(
            std::env::var_os("ARI_URL").is_none_or(|v| v.is_empty()),
            "the isolated live tests restart and freeze the Asterisk under test, so they run only \
             against the sandbox of `cargo xtask asterisk up` (as root), not against ARI_URL={}",
            ari.target.url
        );
        let settings = xtask::settings::read_settings()
            .expect("reading the sandbox settings")
            .expect("the sandbox settings file");
        let port = settings
            .url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no loopback port in the sandbox URL {}", settings.url));
        (ari, port)
    }

    /// Every change of the connection state, timestamped as it is observed.
    fn record_states(
        mut state: tokio::sync::watch::Receiver<ConnectionState>,
    ) -> mpsc::UnboundedReceiver<(Instant, ConnectionState)> {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while state.changed().await.is_ok() {
                let now = Instant::now();
                let current = state.borrow_and_update().clone();
                if tx.send((now, current)).is_err() {
                    return;
                }
            }
        });
        rx
    }

    /// Waits for a recorded state matching `want`; returns when it was observed.
    async fn wait_state(
        states: &mut mpsc::UnboundedReceiver<(Instant, ConnectionState)>,
        what: &str,
        want: impl Fn(&ConnectionState) -> bool,
    ) -> (Instant, ConnectionState) {
        let deadline = Instant::now() + HANG;
        loop {
            match tokio::time::timeout_at(deadline, states.recv()).await {
                Ok(Some((at, state))) if want(&state) => return (at, state),
                Ok(Some(_)) => {}
                Ok(None) => panic!("the connection task ended while waiting for {what}"),
                Err(_) => panic!("no {what} state within {HANG:?}"),
            }
        }
    }

    /// Polls the TCP port every 2 ms until it accepts a connection; returns when it did, and
    /// whether it was closed at the first try (else the measurement would mean nothing).
    async fn wait_port_open(port: u16) -> (Instant, bool) {
        let deadline = Instant::now() + HANG;
        let mut first = true;
        let mut closed_at_first = false;
        loop {
            let attempt = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
            let now = Instant::now();
            if attempt.is_ok() {
                return (now, closed_at_first);
            }
            if first {
                closed_at_first = true;
                first = false;
            }
            assert!(
                now < deadline,
                "port {port} did not answer within {HANG:?} of the restart"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn is_start_of(item: &StreamItem, id: &str) -> bool {
        matches!(item, StreamItem::Event(Event::StasisStart(s)) if s.channel.id == id)
    }

    /// The app works: a new originate into it is seen (StasisStart), then hung up.
    async fn originate_is_seen(ari: &Ari, client: &Client, events: &mut EventStream, app: &str) {
        let id = ari.unique("chk");
        let mut cleanup = ari.cleanup();
        cleanup.channel(&id);
        let endpoint = format!("Local/wait@{}", ari.target.context);
        ari.wait_registered(&[app]).await;
        client
            .channel(&id)
            .originate_with_id(&endpoint)
            .app(app)
            .await
            .unwrap_or_else(|e| panic!("originate: {e}"));
        next_matching(events, "StasisStart of a new originate", HANG, |i| {
            is_start_of(i, &id)
        })
        .await;
        client.channel(&id).hangup().await.expect("hang up");
        next_matching(
            events,
            "its StasisEnd",
            HANG,
            |i| matches!(i, StreamItem::Event(Event::StasisEnd(e)) if e.channel.id == id),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn asterisk_restarted_five_times_reconnects_within_a_second_of_the_port_answering() {
        let _turn = EXCLUSIVE.lock().await;
        let (ari, port) = sandbox().await;
        let client = ari.client();
        let app = ari.unique("restart");
        let mut events = client.events().app(&app).connect().await.expect("connect");
        let mut states = record_states(events.handle().watch_state());
        originate_is_seen(&ari, &client, &mut events, &app).await;

        let mut report = Vec::new();
        for round in 1..=5 {
            let began = Instant::now();
            let restarted = tokio::task::spawn_blocking(xtask::asterisk::restart)
                .await
                .expect("restart task")
                .unwrap_or_else(|e| panic!("restarting the sandbox Asterisk: {e:#}"));
            let (port_open, was_closed) = wait_port_open(port).await;
            // When ARI itself answers (Asterisk's HTTP server answers 404, then 503, while
            // res_ari loads): for the report only.
            let ari_ready = {
                let ari = ari.clone();
                tokio::spawn(async move {
                    loop {
                        if matches!(ari.get("asterisk/ping").await, Ok(r) if r.status() == 200) {
                            return Instant::now();
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                })
            };
            // Measure the reconnect from the moment the port opened. When it already answered at
            // the first poll (a fast start under load), that moment is unknown: measure from the new
            // process's start instead, which is earlier, so the bound below is only stricter.
            let port_open = if was_closed {
                port_open
            } else {
                Instant::from_std(restarted.started)
            };
            let (lost_at, lost) = wait_state(&mut states, "Reconnecting", |s| {
                matches!(s, ConnectionState::Reconnecting { .. })
            })
            .await;
            let (connected_at, _) =
                wait_state(&mut states, "Connected", ConnectionState::is_connected).await;
            let reconnect = connected_at.saturating_duration_since(port_open);
            let gap = match next_matching(&mut events, "the Gap item", HANG, |i| {
                matches!(i, StreamItem::Gap(_))
            })
            .await
            {
                StreamItem::Gap(gap) => gap,
                _ => unreachable!(),
            };
            let ari_ready = tokio::time::timeout(HANG, ari_ready)
                .await
                .expect("ARI never answered after the restart")
                .expect("probe task");
            let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
            let line = format!(
                "restart {round}: pid {} -> {}; connection lost {} after the kill ({}); port answered \
                 {} after the new process started{}, ARI {} after the port; Connected {} after the \
                 port answered; Gap item {}",
                restarted.old_pid,
                restarted.pid,
                ms(lost_at.saturating_duration_since(began)),
                match &lost {
                    ConnectionState::Reconnecting { last_error, .. } => last_error.to_string(),
                    _ => String::new(),
                },
                ms(port_open.into_std().saturating_duration_since(restarted.started)),
                if was_closed {
                    ""
                } else {
                    " (already open at the first poll: measured from the start)"
                },
                ms(ari_ready.saturating_duration_since(port_open)),
                ms(reconnect),
                ms(gap.duration()),
            );
            println!("{line}");
            report.push(line);
            assert!(
                reconnect <= RECONNECT_BOUND,
                "round {round}: reconnected {reconnect:?} after the port answered again, more than \
                 the required {RECONNECT_BOUND:?}"
            );
            originate_is_seen(&ari, &client, &mut events, &app).await;
        }
        println!("summary:\n  {}", report.join("\n  "));
        events.handle().close();
    }

    /// The bound for the resync: every stream of an object gone ends within this long of
    /// the reconnect.
    const RESYNC_BOUND: Duration = Duration::from_secs(1);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn asterisk_restarted_while_the_app_holds_five_channels_ends_their_streams_in_the_resync()
    {
        const CHANNELS: usize = 5;
        let _turn = EXCLUSIVE.lock().await;
        let (ari, _port) = sandbox().await;
        let client = ari.client();
        let app = ari.unique("resync");
        let mut events = client.events().app(&app).connect().await.expect("connect");
        let mut states = record_states(events.handle().watch_state());
        ari.wait_registered(&[&app]).await;
        let endpoint = format!("Local/wait@{}", ari.target.context);
        let mut cleanup = ari.cleanup();
        let mut streams = Vec::new();
        for n in 0..CHANNELS {
            let id = ari.unique(&format!("held{n}"));
            cleanup.channel(&id);
            let channel = client.channel(&id);
            let started = channel
                .originate_and_wait(channel.originate_with_id(&endpoint).app(&app), HANG)
                .await
                .unwrap_or_else(|e| panic!("channel {n} into the app: {e}"));
            streams.push((id, started.events));
        }

        // Each stream is read by a task of its own from before the restart, which notes when each
        // item arrived (the restart helper returns only once ARI answers, later than the reconnect).
        let readers: Vec<_> = streams
            .into_iter()
            .map(|(id, mut stream)| {
                tokio::spawn(async move {
                    let deadline = Instant::now() + HANG;
                    let mut seen = Vec::new();
                    let (ended, ended_at) = loop {
                        match tokio::time::timeout_at(deadline, stream.next()).await {
                            Ok(Some(Ok(StreamItem::EndedInGap(ended)))) => {
                                break (ended, Instant::now())
                            }
                            Ok(Some(Ok(item))) => seen.push(describe(&item)),
                            Ok(Some(Err(e))) => panic!("{id}: stream error {e}; seen {seen:?}"),
                            Ok(None) => panic!("{id}: ended without EndedInGap; seen {seen:?}"),
                            Err(_) => panic!("{id}: no EndedInGap within {HANG:?}; seen {seen:?}"),
                        }
                    };
                    let end = tokio::time::timeout(HANG, stream.next()).await;
                    assert!(
                        matches!(end, Ok(None)),
                        "{id}: the stream ends after EndedInGap, got {end:?}"
                    );
                    (id, ended, ended_at, seen)
                })
            })
            .collect();
        let resync_reader = tokio::spawn(async move {
            let item = next_matching(&mut events, "the Resync item", HANG, |i| {
                matches!(i, StreamItem::Resync(_))
            })
            .await;
            (item, Instant::now(), events)
        });

        let restarted = tokio::task::spawn_blocking(xtask::asterisk::restart)
            .await
            .expect("restart task")
            .unwrap_or_else(|e| panic!("restarting the sandbox Asterisk: {e:#}"));
        wait_state(&mut states, "Reconnecting", |s| {
            matches!(s, ConnectionState::Reconnecting { .. })
        })
        .await;
        let (connected_at, _) =
            wait_state(&mut states, "Connected", ConnectionState::is_connected).await;
        let (resync, resynced_at, mut events) = match resync_reader.await.expect("resync reader") {
            (StreamItem::Resync(resync), at, events) => (resync, at, events),
            _ => unreachable!(),
        };
        assert_eq!(resync.error, None, "{resync:?}");
        let mut ended_in_report: Vec<String> = resync.ended.iter().map(|e| e.id.clone()).collect();
        ended_in_report.sort_unstable();

        let mut ids = Vec::new();
        let mut report = Vec::new();
        for reader in readers {
            let (id, ended, ended_at, seen) = reader.await.expect("stream reader");
            assert_eq!(ended.id, id);
            assert_eq!(ended.reason, GapEnd::Gone, "{ended:?}");
            assert!(
                seen.iter().any(|s| s.starts_with("Gap(")),
                "{id}: a Gap came before: {seen:?}"
            );
            let after = ended_at.saturating_duration_since(connected_at);
            report.push(format!("{:.0} ms", after.as_secs_f64() * 1e3));
            assert!(
                after <= RESYNC_BOUND,
                "{id}: ended {after:?} after the reconnect, more than {RESYNC_BOUND:?}"
            );
            ids.push(id);
        }
        ids.sort_unstable();
        assert_eq!(
            ended_in_report, ids,
            "the resync ends every held channel: {resync:?}"
        );
        println!(
            "restart (pid {} -> {}): Resync item {:.0} ms after Connected; the {CHANNELS} streams \
             read EndedInGap {} after Connected",
            restarted.old_pid,
            restarted.pid,
            resynced_at
                .saturating_duration_since(connected_at)
                .as_secs_f64()
                * 1e3,
            report.join(", ")
        );
        originate_is_seen(&ari, &client, &mut events, &app).await;
        events.handle().close();
    }

    /// SIGCONTs the sandbox when dropped, so a failing test never leaves it frozen.
    struct Thaw;

    impl Drop for Thaw {
        fn drop(&mut self) {
            let _ = xtask::asterisk::thaw();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn asterisk_frozen_is_detected_within_the_ping_deadline_and_recovered() {
        const PING_INTERVAL: Duration = Duration::from_millis(1000);
        const PONG_TIMEOUT: Duration = Duration::from_millis(1000);
        /// Timer granularity and task wake-up on a loaded machine: the one allowance on top of
        /// the deadline the configuration promises.
        const SCHEDULING: Duration = Duration::from_millis(100);
        let _turn = EXCLUSIVE.lock().await;
        let (ari, _port) = sandbox().await;
        let client = ari.client();
        let app = ari.unique("freeze");
        let mut events = client
            .events()
            .app(&app)
            .ping_interval(PING_INTERVAL)
            .pong_timeout(PONG_TIMEOUT)
            .connect()
            .await
            .expect("connect");
        let mut states = record_states(events.handle().watch_state());
        originate_is_seen(&ari, &client, &mut events, &app).await;

        let thaw = Thaw;
        let stopped_at = Instant::now();
        let pid = tokio::task::spawn_blocking(xtask::asterisk::freeze)
            .await
            .expect("freeze task")
            .unwrap_or_else(|e| panic!("freezing the sandbox Asterisk: {e:#}"));
        let (detected_at, state) = wait_state(&mut states, "Reconnecting", |s| {
            matches!(s, ConnectionState::Reconnecting { .. })
        })
        .await;
        let detected = detected_at.saturating_duration_since(stopped_at);
        let ConnectionState::Reconnecting { last_error, .. } = &state else {
            unreachable!()
        };
        println!(
            "SIGSTOP to pid {pid}: detected after {:.0} ms ({last_error}); ping deadline {:?} + {:?}",
            detected.as_secs_f64() * 1e3,
            PING_INTERVAL,
            PONG_TIMEOUT
        );
        assert!(
            matches!(last_error, EventsError::PingTimeout { .. }),
            "the frozen server must be reported as a ping timeout, got: {last_error}"
        );
        let bound = PING_INTERVAL + PONG_TIMEOUT + SCHEDULING;
        assert!(
            detected <= bound,
            "the frozen server was detected after {detected:?}, later than the ping deadline \
             (interval {PING_INTERVAL:?} + pong timeout {PONG_TIMEOUT:?}, plus {SCHEDULING:?} for \
             scheduling)"
        );

        // Still frozen for a while: reconnect attempts hang in the handshake meanwhile.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!events.handle().state().is_connected());
        let thawed_at = Instant::now();
        drop(thaw);
        let (connected_at, _) =
            wait_state(&mut states, "Connected", ConnectionState::is_connected).await;
        let gap = match next_matching(&mut events, "the Gap item", HANG, |i| {
            matches!(i, StreamItem::Gap(_))
        })
        .await
        {
            StreamItem::Gap(gap) => gap,
            _ => unreachable!(),
        };
        println!(
            "SIGCONT: Connected again {:.0} ms later; Gap item: {:.0} ms",
            connected_at
                .saturating_duration_since(thawed_at)
                .as_secs_f64()
                * 1e3,
            gap.duration().as_secs_f64() * 1e3
        );
        originate_is_seen(&ari, &client, &mut events, &app).await;
        events.handle().close();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn burst_a_slow_consumer_lags_with_bounded_memory_while_a_fast_one_keeps_everything() {
        const TOTAL: u64 = 20_000;
        const CAPACITY: usize = 1024;
        const CONCURRENCY: usize = 16;
        let _turn = EXCLUSIVE.lock().await;
        let (ari, _port) = sandbox().await;
        let client = ari.client();
        let app = ari.unique("burst");
        let mut fast = client
            .events()
            .app(&app)
            .buffer_capacity(CAPACITY)
            .connect()
            .await
            .expect("connect");
        let handle = fast.handle().clone();
        let mut slow = handle.subscribe();

        let user_event_n = |e: &Event| -> Option<u64> {
            match e {
                Event::ChannelUserevent(u) if u.eventname == "burst" => u
                    .userevent
                    .get("n")
                    .and_then(|n| n.as_str())
                    .and_then(|n| n.parse().ok()),
                _ => None,
            }
        };

        let reader = tokio::spawn(async move {
            let mut seen = BTreeSet::new();
            let mut first = None;
            let mut last = Instant::now();
            while (seen.len() as u64) < TOTAL {
                match tokio::time::timeout(HANG, fast.next()).await {
                    Ok(Some(Ok(StreamItem::Event(e)))) => {
                        if let Some(n) = user_event_n(&e) {
                            first.get_or_insert_with(Instant::now);
                            last = Instant::now();
                            assert!(seen.insert(n), "event {n} delivered twice");
                        }
                    }
                    other => panic!(
                        "the fast consumer got {other:?} after {} events",
                        seen.len()
                    ),
                }
            }
            (seen, first.expect("events"), last)
        });

        let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<()>();
        let started = Instant::now();
        let senders: Vec<_> = (0..CONCURRENCY as u64)
            .map(|worker| {
                let client = client.clone();
                let app = app.clone();
                let sent = sent_tx.clone();
                tokio::spawn(async move {
                    let mut n = worker;
                    while n < TOTAL {
                        client
                            .events_api()
                            .user_event("burst", &app)
                            .variables([("n", n.to_string())])
                            .await
                            .unwrap_or_else(|e| panic!("POST /events/user (n={n}): {e}"));
                        let _ = sent.send(());
                        n += CONCURRENCY as u64;
                    }
                })
            })
            .collect();
        drop(sent_tx);
        // While the burst runs, the slow consumer reads nothing: its buffer never exceeds the
        // capacity.
        let mut max_queued = 0;
        while sent_rx.recv().await.is_some() {
            max_queued = max_queued.max(slow.queued());
            assert!(
                slow.queued() <= CAPACITY,
                "slow buffer {} > {CAPACITY}",
                slow.queued()
            );
        }
        for sender in senders {
            sender.await.expect("sender");
        }
        let posted = started.elapsed();
        let (seen, first, last) = tokio::time::timeout(HANG, reader)
            .await
            .expect("the fast consumer hung")
            .expect("fast consumer");
        assert_eq!(
            seen.len() as u64,
            TOTAL,
            "the fast consumer kept everything"
        );
        assert_eq!(seen.iter().next(), Some(&0));
        assert_eq!(seen.iter().next_back(), Some(&(TOTAL - 1)));

        // The slow consumer: one Lagged item for what did not fit, then the newest CAPACITY events.
        assert!(slow.queued() <= CAPACITY);
        let mut lagged = 0;
        let mut kept = 0;
        while lagged + kept < TOTAL {
            match tokio::time::timeout(HANG, slow.next()).await {
                Ok(Some(Ok(StreamItem::Lagged { missed }))) => lagged += missed,
                Ok(Some(Ok(StreamItem::Event(e)))) => {
                    if user_event_n(&e).is_some() {
                        kept += 1;
                    }
                }
                other => panic!("the slow consumer got {other:?}"),
            }
        }
        assert!(
            lagged > 0,
            "the slow consumer must have been told it lagged"
        );
        assert_eq!(kept, CAPACITY as u64, "it keeps the newest {CAPACITY}");
        assert_eq!(lagged + kept, TOTAL);
        let span = last.duration_since(first).max(Duration::from_millis(1));
        println!(
            "burst: {TOTAL} ChannelUserevent via {CONCURRENCY} concurrent POST /events/user in \
             {:.2} s; one connection delivered them at {:.0} events/s (first to last event); the \
             slow consumer (buffer {CAPACITY}, max queued {max_queued}) got Lagged {{ missed: {lagged} }} \
             and the newest {kept}",
            posted.as_secs_f64(),
            TOTAL as f64 / span.as_secs_f64()
        );
        handle.close();
    }
}
