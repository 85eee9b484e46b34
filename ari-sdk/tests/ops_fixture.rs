//! Compiles the operations emitter's snapshot of its fixture IR (written by
//! `ari-codegen/tests/ops_snapshot.rs` into `tests/ops_fixture/`) and runs the contract tests
//! generated for it, with the same stub server and runner as ari-sdk's own contract tests.
//!
//! The generated code expects to sit in ari-sdk: it refers to `crate::Client` (and adds
//! inherent methods to it), `crate::request`, `crate::ResponseFuture`, … So this crate provides
//! those names: the runtime's types re-exported, and a local `Client` wrapping ari-sdk's (an
//! inherent `impl` needs a local type) with the four send paths the builders call.

use ari_sdk::request::Request;
pub use ari_sdk::{
    __private, request, Binary, BinaryStream, Error, ResponseFuture, Result, Timestamp,
};
use serde::de::DeserializeOwned;

/// Stands in for `ari_sdk::Client`.
#[derive(Debug, Clone)]
pub struct Client(ari_sdk::Client);

/// Stands in for `ari_sdk::ClientBuilder`.
pub struct ClientBuilder(ari_sdk::ClientBuilder);

impl Client {
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder(ari_sdk::Client::builder(base_url))
    }

    fn send_json<T: DeserializeOwned + Send + 'static>(self, r: Request) -> ResponseFuture<T> {
        ResponseFuture::new(async move { self.0.execute_json(r).await })
    }

    fn send_void(self, r: Request) -> ResponseFuture<()> {
        ResponseFuture::new(async move { self.0.execute_void(r).await })
    }

    fn send_binary(self, r: Request) -> ResponseFuture<Binary> {
        ResponseFuture::new(async move { self.0.execute_binary(r).await })
    }

    fn send_stream(self, r: Request) -> ResponseFuture<BinaryStream> {
        ResponseFuture::new(async move { self.0.execute_stream(r).await })
    }
}

impl ClientBuilder {
    pub fn basic_auth(self, username: &str, password: &str) -> Self {
        ClientBuilder(self.0.basic_auth(username, password))
    }

    pub fn build(self) -> Result<Client> {
        self.0.build().map(Client)
    }
}

#[path = "ops_fixture/mod.rs"]
#[rustfmt::skip]
#[allow(dead_code, reason = "responses.rs, the models' test table, is exercised in ari-sdk itself")]
pub mod generated;

pub use generated::handles::*;
pub use generated::{enums, models, operations};

#[path = "../src/contract_harness/runner.rs"]
mod harness_runner;
#[path = "../src/contract_harness/stub.rs"]
mod harness_stub;

/// The harness as ari-sdk mounts it, without recorded responses: the fixture's models are
/// deliberately small, so the minimal bodies the generator writes are the responses here.
mod contract_harness {
    pub(crate) use super::harness_runner::*;
    pub(crate) use super::harness_stub as stub;

    pub(crate) fn recorded() -> &'static [Recorded] {
        &[]
    }
}

mod api_shape {
    //! The public shape, as a user writes it.
    use super::{enums, Client};

    fn client() -> Client {
        Client::builder("http://127.0.0.1:1/ari")
            .basic_auth("u", "p")
            .build()
            .expect("client")
    }

    #[test]
    fn builders_describe_requests() {
        let client = client();
        let channel = client.channel("chan/1");
        assert_eq!(channel.id(), "chan/1");
        let request = channel
            .play(["sound:hello-world", "sound:beep"])
            .lang("en")
            .skipms(500)
            .into_request();
        assert_eq!(request.operation(), "play");
        assert_eq!(request.path(), "/channels/chan%2F1/play");
        assert_eq!(
            request.encoded_query(),
            "media=sound:hello-world,sound:beep&lang=en&skipms=500"
        );

        // Setting a parameter twice keeps the last value.
        let request = client
            .bridges()
            .create()
            .kind([enums::BridgeType::Mixing])
            .kind(["holding", "dtmf_events"])
            .name("conf")
            .into_request();
        assert_eq!(
            request.encoded_query(),
            "type=holding,dtmf_events&name=conf"
        );

        let endpoint = client.endpoint("PJSIP", "alice");
        assert_eq!((endpoint.tech(), endpoint.resource()), ("PJSIP", "alice"));
        let object = client.config_object("res_pjsip", "endpoint", "alice");
        let request = object
            .update_object()
            .fields([("max_contacts", "1")])
            .into_request();
        assert_eq!(
            request.json_body(),
            Some(&serde_json::json!({"fields": [{"attribute": "max_contacts", "value": "1"}]}))
        );
        assert_eq!(object.id(), "alice");

        // Operations whose key is not an object sit on the accessor.
        let request = client.endpoints().list_by_tech("PJSIP").into_request();
        assert_eq!(request.path(), "/endpoints/PJSIP");
        let request = client
            .events_api()
            .user_event("my event", "app")
            .variables([("a", "b")])
            .into_request();
        assert_eq!(request.path(), "/events/user/my%20event");
        assert_eq!(
            request.json_body(),
            Some(&serde_json::json!({"variables": {"a": "b"}}))
        );

        // Without the optional filter, there is no body at all.
        let request = client.application("app").filter().into_request();
        assert_eq!(request.json_body(), None);
        // With it, the filter is the whole body.
        let filter = serde_json::json!({"allowed": [{"type": "StasisStart"}]});
        let request = client
            .application("app")
            .filter()
            .filter(filter.clone())
            .into_request();
        assert_eq!(request.json_body(), Some(&filter));
    }

    #[tokio::test]
    async fn empty_ids_are_refused_before_sending() {
        let err = client().channel("").answer().await.expect_err("refused");
        assert!(
            matches!(
                err,
                ari_sdk::Error::InvalidRequest {
                    operation: Some("answer"),
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
