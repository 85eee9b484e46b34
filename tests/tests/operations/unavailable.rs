//! Operations this Asterisk cannot perform: each test asserts the exact status and message it
//! answers with, and its name says why.
//!
//! - Mailboxes: `res_ari_mailboxes` needs `res_mwi_external`, which Debian's build does not
//!   ship, so the whole `/mailboxes` resource is missing ("Resource not found").
//! - Endpoints: this sandbox configures no channel driver with endpoints (no PJSIP, IAX2, …):
//!   the endpoint list is empty, and addressing one, or sending it a message or a REFER,
//!   finds none.

use ari_live_tests::{connect, expect_api_error};

#[tokio::test]
async fn mailboxes_list_get_update_delete_assert_404_no_res_mwi_external() {
    let ari = connect().await;
    let client = ari.suite_client().await;
    let name = ari.unique("mbox");
    expect_api_error!(client.mailboxes().list(), 404, "Resource not found");
    expect_api_error!(client.mailbox(&name).get(), 404, "Resource not found");
    expect_api_error!(
        client.mailbox(&name).update(1, 2),
        404,
        "Resource not found"
    );
    expect_api_error!(client.mailbox(&name).delete(), 404, "Resource not found");
}

#[tokio::test]
async fn endpoints_list_is_empty_and_get_by_tech_assert_404_no_endpoints_configured() {
    let ari = connect().await;
    let client = ari.suite_client().await;
    let endpoints = client.endpoints().list().await.expect("endpoints list");
    assert!(endpoints.is_empty(), "endpoints appeared: {endpoints:?}");
    expect_api_error!(
        client.endpoints().list_by_tech("Local"),
        404,
        "No Endpoints found - invalid tech Local"
    );
    expect_api_error!(
        client.endpoints().list_by_tech("PJSIP"),
        404,
        "No Endpoints found - invalid tech PJSIP"
    );
    expect_api_error!(
        client.endpoint("PJSIP", "alice").get(),
        404,
        "Endpoint not found"
    );
}

#[tokio::test]
async fn endpoints_send_message_assert_404_no_endpoints_configured() {
    let ari = connect().await;
    let client = ari.suite_client().await;
    expect_api_error!(
        client
            .endpoints()
            .send_message("pjsip:alice", "ari-sdk")
            .body("hello")
            .variables([("X-Probe", "1")]),
        404,
        "Endpoint not found"
    );
    expect_api_error!(
        client
            .endpoint("PJSIP", "alice")
            .send_message_to_endpoint("ari-sdk")
            .body("hello")
            .variables([("X-Probe", "1")]),
        404,
        "Endpoint not found"
    );
}

#[tokio::test]
async fn endpoints_refer_assert_404_no_endpoints_configured() {
    let ari = connect().await;
    let client = ari.suite_client().await;
    expect_api_error!(
        client
            .endpoints()
            .refer("pjsip:alice", "ari-sdk", "sip:bob@127.0.0.1")
            .to_self(false)
            .variables([("X-Probe", "1")]),
        404,
        "Endpoint not found"
    );
    expect_api_error!(
        client
            .endpoint("PJSIP", "alice")
            .refer_to_endpoint("ari-sdk", "sip:bob@127.0.0.1")
            .to_self(true)
            .variables([("X-Probe", "1")]),
        404,
        "Endpoint not found"
    );
}
