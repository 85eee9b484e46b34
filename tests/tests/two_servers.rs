//! Issue 13 against two real Asterisks at once: one application runner (`App::new(a).server(b)`) serving the
//! same application on the default sandbox and on a second one (`cargo xtask asterisk up --asterisk 16`, or the
//! settings file named in `ARI_SECOND_SANDBOX_SETTINGS`), each call's handles talking to the server the call is
//! on. `cargo xtask test` runs it in its own step with both sandboxes up.
//!
//! Each server gets calls from its own keying driver (see `app_rig`): calls `0..3` on the first server, `100..103`
//! on the second. The handler collects its call's digits, reads its channel and the server's version through
//! `call.client`, checks that the other server does not know the channel, and hangs up.

use ari_live_tests::app_rig::{
    answer_and_collect_three, digits_of, originate_all, outcomes, Rig, Served,
};
use ari_live_tests::connect_second;
use ari_sdk::app::{App, BoxError, Call};
use ari_sdk::Client;

/// What a handler saw on one call.
#[derive(Debug)]
struct Seen {
    digits: String,
    /// The base URL of the client the call was handed.
    server: String,
    /// `GET /asterisk/info` through that client.
    version: String,
    /// `GET /channels/{id}` of the call's channel on the other server: its status.
    on_the_other: Option<u16>,
}

const PER_SERVER: usize = 3;
/// The call numbers of the second server start here.
const SECOND: usize = 100;

async fn handle(
    mut call: Call,
    clients: [Client; 2],
    results: tokio::sync::mpsc::UnboundedSender<(usize, Seen)>,
) -> Result<(), BoxError> {
    let (n, digits) = answer_and_collect_three(&mut call).await?;
    let channel = call.channel.get().await?;
    let info = call.client.asterisk().get_info().await?;
    let version = info.system.map(|s| s.version).unwrap_or_default();
    let other = clients
        .iter()
        .find(|c| c.base_url() != call.client.base_url())
        .ok_or("no other server")?;
    let on_the_other = other
        .channel(&channel.id)
        .get()
        .await
        .err()
        .and_then(|e| e.status());
    call.channel.hangup().await?;
    let _ = results.send((
        n,
        Seen {
            digits,
            server: call.client.base_url().to_owned(),
            version,
            on_the_other,
        },
    ));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_runner_two_asterisks_each_call_on_its_own_server() {
    let first = Rig::new("two-servers").await;
    let mut second = Rig::on(connect_second().await, "two-servers");
    // The same application on both servers.
    second.served_app = first.served_app.clone();
    let (url_a, url_b) = (first.ari.target.url.clone(), second.ari.target.url.clone());
    assert_ne!(url_a, url_b, "two different servers");
    let (version_a, version_b) = (
        first
            .ari
            .target
            .expected_version
            .clone()
            .unwrap_or_default(),
        second
            .ari
            .target
            .expected_version
            .clone()
            .unwrap_or_default(),
    );

    let drivers = [first.keying_driver(), second.keying_driver()];
    let clients = [first.served.clone(), second.served.clone()];
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let served = Served::start(
        App::new(first.served.clone(), &first.served_app).server(second.served.clone()),
        move |call| handle(call, clients.clone(), tx.clone()),
    );
    first.registered().await;
    second.registered().await;

    let originate = (0..PER_SERVER)
        .map(|n| first.originate(n))
        .chain((SECOND..SECOND + PER_SERVER).map(|n| second.originate(n)));
    originate_all("originating the calls on both servers", originate).await;
    let seen = outcomes(&mut rx, 2 * PER_SERVER, "every call's outcome").await;
    let report = served.stop().await;
    for driver in drivers {
        let driver_report = driver.stop().await;
        assert_eq!(driver_report.calls, PER_SERVER as u64, "{driver_report:?}");
    }
    println!("served on {url_a} and {url_b}: {report:?}");

    for (n, outcome) in &seen {
        println!("call {n}: {outcome:?}");
        let (url, version) = if *n < SECOND {
            (&url_a, &version_a)
        } else {
            (&url_b, &version_b)
        };
        assert_eq!(outcome.digits, digits_of(*n), "call {n}: {outcome:?}");
        assert_eq!(&outcome.server, url, "call {n}: {outcome:?}");
        assert!(
            outcome.version.starts_with(version.as_str()),
            "call {n}: its client talks to Asterisk {version}: {outcome:?}"
        );
        assert_eq!(outcome.on_the_other, Some(404), "call {n}: {outcome:?}");
    }
    assert_eq!(
        (report.calls, report.succeeded),
        (2 * PER_SERVER as u64, 2 * PER_SERVER as u64),
        "{report:?}"
    );
}
