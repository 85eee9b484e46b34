//! The event stream through the fault proxy (`ari_live_tests::proxy`) to the real Asterisk: a
//! partition while a channel is hung up and another enters the application on the far side, a
//! stall found by the ping deadline, a slow link. Only this test's own connection goes through the
//! proxy, so these run in the parallel live step.

use std::net::SocketAddr;
use std::time::Duration;

use ari_live_tests::bounded::next_matching;
use ari_live_tests::proxy::FaultProxy;
use ari_live_tests::{connect, Ari};
use ari_sdk::events::{ConnectionState, EventStream, GapEnd, ReconnectPolicy, StreamItem};
use ari_sdk::{Client, Event};
use futures::StreamExt as _;

/// Guards against hangs only.
const HANG: Duration = Duration::from_secs(30);

fn upstream(ari: &Ari) -> SocketAddr {
    let host_port = ari
        .target
        .url
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| {
            panic!(
                "the fault proxy needs an http:// target, not {}",
                ari.target.url
            )
        });
    host_port
        .parse()
        .unwrap_or_else(|e| panic!("the target {host_port} is not an address: {e}"))
}

/// A client whose every connection goes through `proxy`.
fn proxied_client(ari: &Ari, proxy: &FaultProxy) -> Client {
    Client::builder(proxy.url_for(&ari.target.url))
        .basic_auth(&ari.target.user, &ari.target.password)
        .build()
        .expect("building the proxied client")
}

/// What each test starts from: the sandbox, a client straight to it, a fault proxy in front of it, a
/// client through the proxy, and a unique application name (`what`-…).
async fn rig(what: &str) -> (Ari, Client, FaultProxy, Client, String) {
    let ari = connect().await;
    let direct = ari.client();
    let proxy = FaultProxy::start(upstream(&ari)).await;
    let proxied = proxied_client(&ari, &proxy);
    let app = ari.unique(what);
    (ari, direct, proxy, proxied, app)
}

fn fast() -> ReconnectPolicy {
    ReconnectPolicy::default()
        .initial_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(200))
}

async fn wait_state(events: &EventStream, what: &str, want: impl Fn(&ConnectionState) -> bool) {
    let mut states = events.handle().watch_state();
    tokio::time::timeout(HANG, states.wait_for(|s| want(s)))
        .await
        .unwrap_or_else(|_| panic!("no {what} state within {HANG:?}"))
        .expect("the connection task ended");
}

/// Originates a Local channel with `id` into `app` over the direct client.
async fn originate(ari: &Ari, direct: &Client, id: &str, app: &str) {
    let endpoint = format!("Local/wait@{}", ari.target.context);
    direct
        .channel(id)
        .originate_with_id(&endpoint)
        .app(app)
        .await
        .unwrap_or_else(|e| panic!("originating {id}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_while_a_channel_hangs_up_and_another_enters_is_resolved_by_the_resync() {
    let (ari, direct, proxy, proxied, app) = rig("cut").await;
    let mut events = proxied
        .events()
        .app(&app)
        .reconnect(fast())
        .connect()
        .await
        .expect("connect through the proxy");
    ari.wait_registered(&[&app]).await;
    let mut cleanup = ari.cleanup();
    let (hung, entered) = (ari.unique("hung"), ari.unique("entered"));
    cleanup.channel(&hung);
    cleanup.channel(&entered);

    let mut hung_stream = events.handle().channel(&hung);
    originate(&ari, &direct, &hung, &app).await;
    next_matching(
        &mut hung_stream,
        "StasisStart of the channel to hang up",
        HANG,
        |i| matches!(i, StreamItem::Event(Event::StasisStart(_))),
    )
    .await;

    proxy.cut();
    wait_state(&events, "Reconnecting", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
    // On the far side of the cut: Asterisk still has the application (it saw no close).
    direct
        .channel(&hung)
        .hangup()
        .await
        .unwrap_or_else(|e| panic!("hanging up {hung}: {e}"));
    originate(&ari, &direct, &entered, &app).await;
    let listed = std::sync::Mutex::new(None);
    let what = "the entered channel listed in its application, the hung-up one gone";
    let waited = tokio::time::timeout(HANG, async {
        loop {
            let found = direct.application(&app).get().await;
            let done = found.as_ref().is_ok_and(|found| {
                found.channel_ids.contains(&entered) && !found.channel_ids.contains(&hung)
            });
            *listed.lock().unwrap() = Some(found.map(|f| f.channel_ids));
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "{what}: not within {HANG:?}; last listed {:?}; connection {:?}",
        listed.lock().unwrap(),
        events.handle().state()
    );
    assert!(
        !events.handle().state().is_connected(),
        "the connection must still be cut"
    );

    proxy.restore();
    let resync = match next_matching(&mut events, "the Resync item", HANG, |i| {
        matches!(i, StreamItem::Resync(_))
    })
    .await
    {
        StreamItem::Resync(resync) => resync,
        _ => unreachable!(),
    };
    assert_eq!(resync.error, None, "{resync:?}");
    assert!(
        resync.appeared_channels.contains(&entered),
        "the channel that entered during the cut is reported: {resync:?}"
    );
    assert!(
        resync
            .ended
            .iter()
            .any(|e| e.id == hung && e.reason == GapEnd::Gone),
        "the channel hung up during the cut is reported ended: {resync:?}"
    );
    match next_matching(
        &mut hung_stream,
        "EndedInGap of the hung-up channel",
        HANG,
        |i| matches!(i, StreamItem::EndedInGap(_)),
    )
    .await
    {
        StreamItem::EndedInGap(ended) => assert_eq!(ended.id, hung),
        _ => unreachable!(),
    }
    let end = tokio::time::timeout(HANG, hung_stream.next()).await;
    assert!(
        matches!(end, Ok(None)),
        "the stream ends after EndedInGap: {end:?}"
    );
    println!(
        "partition: the resync reported appeared channels {:?} (entered: {entered}) and ended {:?}",
        resync.appeared_channels,
        resync
            .ended
            .iter()
            .map(|e| format!("{} {} {:?}", e.kind, e.id, e.reason))
            .collect::<Vec<_>>()
    );

    // Events flow again through the proxy: the entered channel's hangup is seen.
    let mut entered_stream = events.handle().channel(&entered);
    direct
        .channel(&entered)
        .hangup()
        .await
        .unwrap_or_else(|e| panic!("hanging up {entered}: {e}"));
    next_matching(
        &mut entered_stream,
        "StasisEnd of the entered channel",
        HANG,
        |i| matches!(i, StreamItem::Event(Event::StasisEnd(_))),
    )
    .await;
    events.handle().close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_link_is_found_by_the_ping_deadline_and_a_slow_one_still_delivers_in_order() {
    const PING: Duration = Duration::from_millis(300);
    let (ari, direct, proxy, proxied, app) = rig("stall").await;
    let mut events = proxied
        .events()
        .app(&app)
        .ping_interval(PING)
        .pong_timeout(PING)
        .connect_timeout(Duration::from_secs(1))
        .reconnect(fast())
        .connect()
        .await
        .expect("connect through the proxy");
    ari.wait_registered(&[&app]).await;

    proxy.stall();
    wait_state(&events, "Reconnecting after the stall", |s| {
        matches!(
            s,
            ConnectionState::Reconnecting {
                last_error: ari_sdk::events::EventsError::PingTimeout { .. },
                ..
            }
        )
    })
    .await;
    proxy.slow(Duration::from_millis(20));
    wait_state(
        &events,
        "Connected over the slow link",
        ConnectionState::is_connected,
    )
    .await;
    next_matching(&mut events, "the Gap item", HANG, |i| {
        matches!(i, StreamItem::Gap(_))
    })
    .await;

    ari.wait_registered(&[&app]).await;
    let mut cleanup = ari.cleanup();
    let id = ari.unique("slow");
    cleanup.channel(&id);
    let mut stream = events.handle().channel(&id);
    originate(&ari, &direct, &id, &app).await;
    next_matching(&mut stream, "StasisStart over the slow link", HANG, |i| {
        matches!(i, StreamItem::Event(Event::StasisStart(_)))
    })
    .await;
    direct.channel(&id).hangup().await.expect("hang up");
    next_matching(&mut stream, "StasisEnd over the slow link", HANG, |i| {
        matches!(i, StreamItem::Event(Event::StasisEnd(_)))
    })
    .await;
    proxy.restore();
    events.handle().close();
}
