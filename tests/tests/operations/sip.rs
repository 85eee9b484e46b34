//! Real SIP on loopback: the sandbox's PJSIP endpoints `bob` and `alice` call each other over
//! two UDP transports on 127.0.0.1 (see the sandbox's `pjsip.conf`), and endpoints the tests
//! create at run time (ARI's dynamic configuration) point at a SIP peer of the test's own
//! ([`SipPeer`]), which sees what Asterisk puts on the wire.
//!
//! Endpoints, messages, REFERs, RTP statistics, transfers and contact/peer/endpoint state
//! events. Every new event type seen here is appended to the fixture corpus when
//! `ARI_RECORD_SIP_EVENTS` names a file (see `ari-sdk/tests/fixtures/`).

use std::io::Write as _;
use std::time::Duration;

use ari_live_tests::sip::SipPeer;
use ari_live_tests::{expect_api_error, expect_refused, Scene, EVENT_TIMEOUT};
use serde_json::Value;

/// The endpoint calls leave from (transport a).
const CALLER: &str = "bob";
/// The endpoint calls from `bob` arrive as (transport b).
const CALLEE: &str = "alice";

/// Appends `event` to the file named by `ARI_RECORD_SIP_EVENTS` (one JSON object a line).
fn record(event: &Value) {
    let Some(path) = std::env::var_os("ARI_RECORD_SIP_EVENTS").filter(|p| !p.is_empty()) else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.to_string_lossy()));
    writeln!(file, "{event}").expect("writing the SIP event corpus");
}

/// Waits for `kind` matching `matches`, records it, and returns it.
async fn recorded(scene: &mut Scene, kind: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let event = scene.events.wait_for(kind, matches).await;
    record(&event);
    event
}

/// A real SIP call: `PJSIP/stasis-<app>@bob` leaves on transport a, arrives on transport b as
/// `PJSIP/alice-…` in extension `stasis-<app>` (so in this scene's application), is answered
/// there, and the originated channel enters the application too. Returns (caller, callee).
async fn sip_call(scene: &mut Scene) -> (String, String) {
    let id = scene.unique("sip");
    scene.cleanup.channel(&id);
    let endpoint = format!("PJSIP/stasis-{}@{CALLER}", scene.app);
    scene
        .client
        .channels()
        .originate(&endpoint)
        .app(&scene.app)
        .channel_id(&id)
        .await
        .unwrap_or_else(|e| panic!("originating {endpoint}: {e}"));
    let incoming = scene
        .events
        .wait_for("StasisStart", |e| {
            e["channel"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(&format!("PJSIP/{CALLEE}-")))
        })
        .await;
    let callee = incoming["channel"]["id"]
        .as_str()
        .expect("channel id")
        .to_owned();
    scene.cleanup.channel(&callee);
    assert_eq!(
        incoming["channel"]["dialplan"]["exten"],
        format!("stasis-{}", scene.app)
    );
    scene
        .client
        .channel(&callee)
        .answer()
        .await
        .expect("answer the SIP call");
    scene.stasis_start(&id).await;
    (id, callee)
}

#[tokio::test]
async fn endpoints_get_and_list_by_tech_show_the_sip_endpoints() {
    let scene = Scene::new("endpoints").await;
    let client = scene.client.clone();
    let all = client.endpoints().list().await.expect("endpoints list");
    for name in [CALLER, CALLEE] {
        assert!(
            all.iter()
                .any(|e| e.technology == "PJSIP" && e.resource == name),
            "PJSIP/{name} is not listed: {all:?}"
        );
    }
    let pjsip = client
        .endpoints()
        .list_by_tech("PJSIP")
        .await
        .expect("listByTech PJSIP");
    assert!(pjsip.iter().all(|e| e.technology == "PJSIP"), "{pjsip:?}");
    let mut names: Vec<&str> = pjsip.iter().map(|e| e.resource.as_str()).collect();
    names.sort_unstable();
    assert!(
        names.contains(&CALLER) && names.contains(&CALLEE),
        "{names:?}"
    );

    let bob = client
        .endpoint("PJSIP", CALLER)
        .get()
        .await
        .expect("get PJSIP/bob");
    assert_eq!(
        (bob.technology.as_str(), bob.resource.as_str()),
        ("PJSIP", CALLER)
    );

    expect_api_error!(
        client.endpoints().list_by_tech("NoSuchTech"),
        404,
        "No Endpoints found - invalid tech NoSuchTech"
    );
    expect_api_error!(
        client.endpoint("PJSIP", "nobody-here").get(),
        404,
        "Endpoint not found"
    );
}

#[tokio::test]
async fn sip_call_has_rtp_statistics_and_shows_on_its_endpoint() {
    let mut scene = Scene::new("sipcall").await;
    let client = scene.client.clone();
    let (caller, callee) = sip_call(&mut scene).await;

    // The endpoint lists the call's channel.
    let bob = client.endpoint("PJSIP", CALLER).get().await.expect("get");
    assert!(bob.channel_ids.contains(&caller), "{bob:?}");

    // Audio flows both ways: play to each side, then both count sent and received packets.
    client
        .channel(&caller)
        .play(["sound:hello-world"])
        .await
        .expect("play");
    client
        .channel(&callee)
        .play(["sound:hello-world"])
        .await
        .expect("play");
    let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
    loop {
        let a = client
            .channel(&caller)
            .rtpstatistics()
            .await
            .expect("rtpstatistics caller");
        let b = client
            .channel(&callee)
            .rtpstatistics()
            .await
            .expect("rtpstatistics callee");
        assert_eq!(a.channel_uniqueid, caller);
        assert_eq!(b.channel_uniqueid, callee);
        // The two legs are the two ends of one RTP stream pair.
        if a.txcount > 20 && a.rxcount > 20 && b.txcount > 20 && b.rxcount > 20 {
            assert_eq!(a.local_ssrc, b.remote_ssrc, "{a:?} / {b:?}");
            assert_eq!(a.remote_ssrc, b.local_ssrc, "{a:?} / {b:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "RTP did not flow within {EVENT_TIMEOUT:?}: {a:?} / {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.channel(&caller).hangup().await.expect("hangup");
    scene.channel_event("StasisEnd", &callee).await;
}

#[tokio::test]
async fn send_message_arrives_as_text_message_received() {
    // A MESSAGE to bob leaves on transport a and arrives on transport b as a message from alice:
    // an application subscribed to PJSIP/alice gets it as TextMessageReceived.
    let mut scene = Scene::new("sipmsg").await;
    let client = scene.client.clone();
    client
        .application(&scene.app)
        .subscribe([format!("endpoint:PJSIP/{CALLEE}")])
        .await
        .expect("subscribe to PJSIP/alice");
    let body = scene.unique("hello");
    client
        .endpoints()
        .send_message(format!("pjsip:{CALLER}"), "ari-sdk")
        .body(&body)
        .variables([("X-ARI-SDK", "send-message")])
        .await
        .expect("sendMessage");
    let got = recorded(&mut scene, "TextMessageReceived", |e| {
        e["message"]["body"] == body.as_str()
    })
    .await;
    assert_eq!(got["endpoint"]["resource"], CALLEE);
    assert_eq!(got["endpoint"]["technology"], "PJSIP");

    let body = scene.unique("again");
    client
        .endpoint("PJSIP", CALLER)
        .send_message_to_endpoint("ari-sdk")
        .body(&body)
        .await
        .expect("sendMessageToEndpoint");
    let got = scene
        .events
        .wait_for("TextMessageReceived", |e| {
            e["message"]["body"] == body.as_str()
        })
        .await;
    assert_eq!(got["endpoint"]["resource"], CALLEE);
}

/// Creates a PJSIP endpoint `name` (memory wizard, see the sandbox's sorcery.conf) whose AOR's
/// contact is `peer`, qualified every second; removed again by the returned guard's `delete`.
async fn peer_endpoint(scene: &mut Scene, name: &str, peer: &SipPeer) {
    let client = scene.client.clone();
    client
        .config_object("res_pjsip", "aor", name)
        .update_object()
        .fields([
            ("contact", peer.contact(name).as_str()),
            ("qualify_frequency", "1"),
            ("qualify_timeout", "0.5"),
        ])
        .await
        .expect("create the AOR");
    client
        .config_object("res_pjsip", "endpoint", name)
        .update_object()
        .fields([
            ("transport", "transport-a"),
            ("context", scene.ari.target.context.as_str()),
            ("aors", name),
            ("disallow", "all"),
            ("allow", "ulaw"),
        ])
        .await
        .expect("create the endpoint");
    for (kind, id) in [("endpoint", name), ("aor", name)] {
        scene.cleanup.request(
            reqwest::Method::DELETE,
            format!(
                "asterisk/config/dynamic/res_pjsip/{kind}/{}",
                ari_live_tests::encode(id)
            ),
        );
    }
}

#[tokio::test]
async fn send_message_and_refer_reach_the_sip_peer() {
    let mut scene = Scene::new("sippeer").await;
    let client = scene.client.clone();
    let peer = SipPeer::start().await;
    let name = scene.unique("peer");
    peer_endpoint(&mut scene, &name, &peer).await;

    // sendMessage: a SIP MESSAGE with the body and each variable as a header.
    client
        .endpoints()
        .send_message(format!("pjsip:{name}"), "ari-sdk")
        .body("one")
        .variables([("X-ARI-SDK", "one")])
        .await
        .expect("sendMessage");
    let message = peer
        .wait_for("MESSAGE", EVENT_TIMEOUT, |r| r.body == "one")
        .await;
    assert_eq!(message.header("X-ARI-SDK"), Some("one"), "{message:?}");
    client
        .endpoint("PJSIP", &name)
        .send_message_to_endpoint("ari-sdk")
        .body("two")
        .variables([("X-ARI-SDK", "two")])
        .await
        .expect("sendMessageToEndpoint");
    let message = peer
        .wait_for("MESSAGE", EVENT_TIMEOUT, |r| r.body == "two")
        .await;
    assert_eq!(message.header("X-ARI-SDK"), Some("two"), "{message:?}");

    if scene.ari.major().await < 18 {
        // Sending a REFER to an endpoint came with 18: refused before sending. (Without the
        // check, 16 routes `/endpoints/refer` to `/endpoints/{tech}`, GET only: 405 `Invalid
        // method`; it has no `/endpoints/{tech}/{resource}/refer`: 404.)
        expect_refused!(client.endpoints().refer(
            format!("pjsip:{name}"),
            "ari-sdk",
            "sip:carol@127.0.0.1"
        ));
        expect_refused!(client
            .endpoint("PJSIP", &name)
            .refer_to_endpoint("ari-sdk", "sip:dave@127.0.0.1"));
        return;
    }

    // refer: an out-of-dialog REFER whose Refer-To is the given URI.
    client
        .endpoints()
        .refer(format!("pjsip:{name}"), "ari-sdk", "sip:carol@127.0.0.1")
        .to_self(false)
        .variables([("X-ARI-SDK", "refer")])
        .await
        .expect("refer");
    let refer = peer
        .wait_for("REFER", EVENT_TIMEOUT, |r| {
            r.header("Refer-To")
                .is_some_and(|v| v.contains("carol@127.0.0.1"))
        })
        .await;
    assert_eq!(refer.header("X-ARI-SDK"), Some("refer"), "{refer:?}");
    client
        .endpoint("PJSIP", &name)
        .refer_to_endpoint("ari-sdk", "sip:dave@127.0.0.1")
        .await
        .expect("referToEndpoint");
    peer.wait_for("REFER", EVENT_TIMEOUT, |r| {
        r.header("Refer-To")
            .is_some_and(|v| v.contains("dave@127.0.0.1"))
    })
    .await;

    expect_api_error!(
        client
            .endpoint("PJSIP", "nobody-here")
            .send_message_to_endpoint("ari-sdk")
            .body("x"),
        404,
        "Endpoint not found"
    );
}

#[tokio::test]
async fn contact_peer_and_endpoint_state_follow_qualify() {
    // The peer stays silent at first (its contact is unreachable); once it answers OPTIONS,
    // Asterisk reports the contact, the peer and the endpoint as reachable/online, and when it
    // falls silent again, as unreachable/offline.
    let mut scene = Scene::new("sipstate").await;
    let client = scene.client.clone();
    let peer = SipPeer::start().await;
    peer.answer_with(None);
    let name = scene.unique("qualify");
    peer_endpoint(&mut scene, &name, &peer).await;
    client
        .application(&scene.app)
        .subscribe([format!("endpoint:PJSIP/{name}")])
        .await
        .expect("subscribe to the endpoint");
    peer.wait_for("OPTIONS", EVENT_TIMEOUT, |_| true).await;

    peer.answer_with(Some(200));
    let reachable = status_changes(&mut scene, &name, "Reachable", "online").await;
    assert_eq!(reachable[0]["contact_info"]["aor"], name.as_str());
    assert_eq!(reachable[0]["contact_info"]["uri"], peer.contact(&name));
    assert_eq!(reachable[1]["endpoint"]["technology"], "PJSIP");

    peer.answer_with(None);
    status_changes(&mut scene, &name, "Unreachable", "offline").await;
}

/// Waits for the three events of endpoint `name` becoming `status` (its contact and peer:
/// `Reachable`, `Unreachable`) and its endpoint `state` (`online`, `offline`); returns them in
/// that order.
async fn status_changes(scene: &mut Scene, name: &str, status: &str, state: &str) -> Vec<Value> {
    let is_ours = |e: &Value| e["endpoint"]["resource"] == name;
    all_of(
        scene,
        &[
            ("ContactStatusChange", &|e| {
                is_ours(e) && e["contact_info"]["contact_status"] == status
            }),
            ("PeerStatusChange", &|e| {
                is_ours(e) && e["peer"]["peer_status"] == status
            }),
            ("EndpointStateChange", &|e| {
                is_ours(e) && e["endpoint"]["state"] == state
            }),
        ],
    )
    .await
}

/// A predicate on an event's JSON.
type Matcher<'a> = &'a dyn Fn(&Value) -> bool;

/// Waits (up to [`EVENT_TIMEOUT`] in all) until one event of each `(type, matcher)` has come,
/// in any order; records and returns them in the order asked for.
async fn all_of(scene: &mut Scene, wanted: &[(&str, Matcher<'_>)]) -> Vec<Value> {
    let mut found: Vec<Option<Value>> = vec![None; wanted.len()];
    let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
    while found.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(event) = scene.events.next(left).await else {
            let missing: Vec<&str> = wanted
                .iter()
                .zip(&found)
                .filter(|(_, f)| f.is_none())
                .map(|((kind, _), _)| *kind)
                .collect();
            panic!(
                "within {EVENT_TIMEOUT:?} no matching {missing:?}; events seen: {:#?}",
                scene.events.seen()
            );
        };
        for ((kind, matches), slot) in wanted.iter().zip(found.iter_mut()) {
            if slot.is_none() && event["type"] == *kind && matches(&event) {
                record(&event);
                *slot = Some(event.clone());
            }
        }
    }
    found.into_iter().flatten().collect()
}

#[tokio::test]
async fn redirect_of_a_sip_call_is_a_refer_seen_as_channel_transfer() {
    // With PJSIP_TRANSFER_HANDLING()=ari-only on the receiving channel, a REFER is not carried
    // out by Asterisk but reported to the application as ChannelTransfer. Redirecting the
    // calling leg makes Asterisk send that REFER over the SIP dialog to the other leg.
    let mut scene = Scene::new("siptransfer").await;
    let client = scene.client.clone();
    let (caller, callee) = sip_call(&mut scene).await;
    if scene.ari.major().await < 20 {
        // ARI transfer handling (PJSIP_TRANSFER_HANDLING, ChannelTransfer, transfer_progress)
        // came with 20: 16 carries a REFER out itself and reports nothing to the application.
        // transfer_progress is refused before sending.
        expect_refused!(client
            .channel(&callee)
            .transfer_progress("channel_answered"));
        return;
    }
    client
        .channel(&callee)
        .set_channel_var("PJSIP_TRANSFER_HANDLING()")
        .value("ari-only")
        .await
        .expect("set PJSIP_TRANSFER_HANDLING()");
    client
        .channel(&caller)
        .redirect("PJSIP/sip:transfer-target@127.0.0.1")
        .await
        .expect("redirect");
    let transfer = recorded(&mut scene, "ChannelTransfer", |e| {
        e["refer_to"]["requested_destination"].is_object()
    })
    .await;
    assert_eq!(
        transfer["refer_to"]["requested_destination"]["destination"], "transfer-target",
        "{transfer}"
    );
    assert_eq!(
        transfer["referred_by"]["source_channel"]["id"],
        callee.as_str(),
        "{transfer}"
    );
    client
        .channel(&callee)
        .transfer_progress("channel_answered")
        .await
        .expect("transfer_progress");
}
