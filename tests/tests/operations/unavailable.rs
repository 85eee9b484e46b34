//! Operations this Asterisk cannot perform: each test asserts the exact status and message it
//! answers with, and its name says why.
//!
//! - Mailboxes: `res_ari_mailboxes` needs `res_mwi_external`, which Debian's build does not
//!   ship, so the whole `/mailboxes` resource is missing ("Resource not found").
//!
//! (Endpoints, messages, REFERs and RTP statistics run for real over SIP: see `sip.rs`.)

use ari_live_tests::{connect_suite, expect_api_error};

#[tokio::test]
async fn mailboxes_list_get_update_delete_assert_404_no_res_mwi_external() {
    let (ari, client) = connect_suite().await;
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
