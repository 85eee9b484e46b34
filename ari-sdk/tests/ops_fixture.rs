//! Compiles the operations emitter's snapshot of its fixture IR (written by
//! `ari-codegen/tests/ops_snapshot.rs` into `tests/ops_fixture/`) and runs the contract tests
//! generated for it, with the same stub server and runner as ari-sdk's own contract tests.
//!
//! The generated code expects to sit in ari-sdk; `support/generated_env.rs` provides the names
//! it refers to.

include!("support/generated_env.rs");

#[path = "ops_fixture/mod.rs"]
#[rustfmt::skip]
#[allow(dead_code, reason = "responses.rs, the models' test table, is exercised in ari-sdk itself")]
pub mod generated;

pub use generated::handles::*;
pub use generated::{enums, models, operations};

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
    async fn responses_are_send_and_static() {
        // Nothing listens on port 1: the request is not sent, and the future can be spawned.
        let answer = client().channel("c").answer();
        let err = tokio::spawn(std::future::IntoFuture::into_future(answer))
            .await
            .expect("the task runs")
            .expect_err("nothing listens");
        assert!(
            matches!(
                err,
                ari_sdk::Error::NotSent {
                    operation: "answer",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = tokio::spawn(client().channels().list().send())
            .await
            .expect("the task runs")
            .expect_err("nothing listens");
        assert_eq!(err.operation(), Some("list"));
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
