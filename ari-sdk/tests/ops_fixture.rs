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
            // Nothing listens: what is asserted is the request the operation itself makes.
            .check_capabilities(false)
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
        assert_eq!(request.operation(), "channels.play");
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
                    operation: "channels.answer",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = tokio::spawn(client().channels().list().send())
            .await
            .expect("the task runs")
            .expect_err("nothing listens");
        assert_eq!(err.operation(), Some("channels.list"));
        // The unique id names the operation in messages (`list` alone is in most resources).
        assert!(
            err.to_string().starts_with("`channels.list` was not sent"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn empty_ids_are_refused_before_sending() {
        let err = client().channel("").answer().await.expect_err("refused");
        assert!(
            matches!(
                err,
                ari_sdk::Error::InvalidRequest {
                    operation: Some("channels.answer"),
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

mod seam {
    //! The generated builders send through the transport seam; what the shared code makes of a
    //! raw answer (status check, ARI message, the spec's reason, decoding) does not depend on the
    //! transport. A canned transport answers here, with nothing on any wire.
    use bytes::Bytes;
    use futures::StreamExt as _;

    use super::__private::{RawResponse, ResponseBody};
    use super::Client;

    fn answer(status: u16, content_type: &str, body: &'static str) -> RawResponse {
        RawResponse {
            status,
            content_type: Some(content_type.to_owned()),
            body: ResponseBody::Full(Bytes::from_static(body.as_bytes())),
        }
    }

    #[tokio::test]
    async fn error_statuses_become_api_errors_with_the_spec_reason() {
        let client = Client::canned(|request| {
            assert_eq!(request.path(), "/channels/c%2F1/answer");
            answer(
                404,
                "application/json",
                r#"{"message":"Channel not found"}"#,
            )
        });
        let answer_op = client.channel("c/1").answer().into_request().operation();
        let err = client.channel("c/1").answer().await.expect_err("404");
        let ari_sdk::Error::Api {
            operation,
            status,
            message,
            reason,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*operation, answer_op);
        assert_eq!(*status, 404);
        assert_eq!(message.as_deref(), Some("Channel not found"));
        assert_eq!(*reason, Some("Channel not found"));

        // A status the spec does not document for the operation carries no reason.
        let client = Client::canned(|_| answer(418, "text/plain", "teapot"));
        let err = client.channel("c").answer().await.expect_err("418");
        assert!(
            matches!(&err, ari_sdk::Error::Api { status: 418, reason: None, message: Some(m), .. } if m == "teapot"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn success_bodies_are_decoded_or_kept() {
        let client = Client::canned(|_| answer(200, "application/json", "[]"));
        let channels = client.channels().list().await.expect("an empty list");
        assert!(channels.is_empty());

        let client = Client::canned(|_| answer(200, "application/json", "{not json"));
        let list_op = client.channels().list().into_request().operation();
        let err = client.channels().list().await.expect_err("undecodable");
        assert!(
            matches!(&err, ari_sdk::Error::Decode { operation, status: 200, body, .. } if *operation == list_op && body.as_ref() == b"{not json"),
            "{err:?}"
        );

        // A void operation ignores whatever body comes with a 2xx status.
        let client = Client::canned(|_| answer(204, "text/plain", "ignored"));
        client.channel("c").answer().await.expect("204 is success");

        // A binary body is kept whole, or streamed, with its content type.
        let client = Client::canned(|_| answer(200, "audio/wav", "RIFF"));
        let file = client
            .stored_recording("r")
            .get_stored_file()
            .await
            .expect("a file");
        assert_eq!(
            (file.bytes.as_ref(), file.content_type.as_deref()),
            (&b"RIFF"[..], Some("audio/wav"))
        );
        let mut stream = client
            .stored_recording("r")
            .get_stored_file()
            .stream()
            .await
            .expect("a stream");
        assert_eq!(stream.content_type(), Some("audio/wav"));
        assert_eq!(stream.content_length(), Some(4));
        let chunk = stream.next().await.expect("a chunk").expect("no error");
        assert_eq!(chunk.as_ref(), b"RIFF");
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn invalid_requests_never_reach_the_transport() {
        let client = Client::canned(|request| panic!("sent {}", request.operation()));
        let answer_op = client.channel("").answer().into_request().operation();
        let err = client.channel("").answer().await.expect_err("refused");
        assert!(
            matches!(err, ari_sdk::Error::InvalidRequest { operation: Some(op), .. } if op == answer_op),
            "{err:?}"
        );
    }
}
