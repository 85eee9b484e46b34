//! The runtime against a local stub HTTP server: what goes on the wire, and how every kind of
//! answer (or silence) becomes a value or an [`Error`]. The clients here turn the capability
//! check off (the stubs answer the request under test, not `GET /asterisk/info`); the check has
//! its own tests in `capabilities.rs`.

mod support;

use std::time::{Duration, Instant};

use ari_sdk::request::{Method, Request};
use ari_sdk::{Client, ClientBuilder, Error, Timestamp};
use futures::StreamExt as _;
use support::{refused_base_url, Reply, Response, Stub};

const ANSWER_ERRORS: &[(u16, &str)] = &[
    (404, "Channel not found"),
    (409, "Channel not in a Stasis application"),
    (412, "Channel in invalid state"),
];

/// What a generated `answer` operation builds.
fn answer(channel_id: &str) -> Request {
    Request::new("answer", Method::Post)
        .segment("channels")
        .param("channelId", channel_id)
        .segment("answer")
        .errors(ANSWER_ERRORS)
}

/// A client for `base_url` that does not probe the server's version first, set up by `configure`.
fn unchecked_client(
    base_url: impl Into<String>,
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Client {
    configure(Client::builder(base_url).check_capabilities(false))
        .build()
        .expect("client")
}

fn client(stub: &Stub) -> Client {
    stub.client(|b| {
        b.check_capabilities(false)
            .request_timeout(Duration::from_secs(5))
    })
}

#[tokio::test]
async fn void_request_on_the_wire() {
    let stub = Stub::always(Response::empty(204)).await;
    client(&stub)
        .execute_void(answer("chan-a"))
        .await
        .expect("answer");

    let seen = stub.only_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.target, "/ari/channels/chan-a/answer");
    assert_eq!(
        seen.header("authorization"),
        Some("Basic YXN0ZXJpc2s6c2VjcmV0")
    );
    assert_eq!(
        seen.header("user-agent"),
        Some(concat!("ari-sdk/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(seen.header("content-type"), None);
    assert!(seen.body.is_empty());
}

#[tokio::test]
async fn tricky_ids_arrive_intact() {
    let cases = [
        ("a/b", "a%2Fb"),
        ("what?", "what%3F"),
        ("#1", "%231"),
        ("100%", "100%25"),
        ("1+1", "1%2B1"),
        ("a&b", "a%26b"),
        ("two words", "two%20words"),
        ("ünï€😀", "%C3%BCn%C3%AF%E2%82%AC%F0%9F%98%80"),
        (
            "/ ? # % + & ü",
            "%2F%20%3F%20%23%20%25%20%2B%20%26%20%C3%BC",
        ),
        ("Stasis:probe1", "Stasis:probe1"),
        ("...", "..."),
    ];
    let stub = Stub::always(Response::empty(204)).await;
    let client = client(&stub);
    for (id, _) in cases {
        client.execute_void(answer(id)).await.expect(id);
    }
    let seen = stub.requests();
    assert_eq!(seen.len(), cases.len());
    for ((id, encoded), request) in cases.iter().zip(&seen) {
        assert_eq!(
            request.target,
            format!("/ari/channels/{encoded}/answer"),
            "{id}"
        );
        // What Asterisk recovers: each segment percent-decoded, '+' turned into a space.
        let segment = request.target.split('/').nth(3).expect("segment");
        let segment = segment.replace('+', " ");
        let decoded = percent_encoding::percent_decode_str(&segment)
            .decode_utf8()
            .expect("utf8");
        assert_eq!(decoded, *id);
    }
}

#[tokio::test]
async fn query_and_json_body_on_the_wire() {
    let stub = Stub::always(Response::json(
        200,
        r#"{"id":"chan-a","name":"Local/wait@default-00000008;1","state":"Down"}"#,
    ))
    .await;
    let mut variables = std::collections::BTreeMap::new();
    variables.insert("CALLERID(name)", "Alice");
    variables.insert("X_CUSTOM", "42");
    let request = Request::new("originate", Method::Post)
        .segment("channels")
        .query("endpoint", "Local/wait@default")
        .query("app", "probe-app")
        .query_list("appArgs", ["one", "two"])
        .query("channelId", "chan-a")
        .query_opt("label", None::<&str>)
        .query("callerId", "Alice <100>")
        .query("timeout", 30)
        .query("odd", "1+1=2 & #3 100% ü")
        .body_field("variables", &variables);
    let channel: serde_json::Value = client(&stub)
        .execute_json(request)
        .await
        .expect("originate");
    assert_eq!(channel["id"], "chan-a");

    let seen = stub.only_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.target,
        "/ari/channels?endpoint=Local/wait@default&app=probe-app&appArgs=one,two&channelId=chan-a\
         &callerId=Alice%20%3C100%3E&timeout=30&odd=1%2B1%3D2%20%26%20%233%20100%25%20%C3%BC"
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.json(),
        serde_json::json!({"variables": {"CALLERID(name)": "Alice", "X_CUSTOM": "42"}})
    );
}

#[tokio::test]
async fn api_key_mode_sends_the_query_parameter_not_the_header() {
    let stub = Stub::always(Response::json(200, r#"{"value":"bar"}"#)).await;
    let client = unchecked_client(&stub.base_url, |b| b.api_key("asterisk", "s3cr+t&:x"));
    let request = Request::new("getGlobalVar", Method::Get)
        .segment("asterisk")
        .segment("variable")
        .query("variable", "FOO");
    let value: serde_json::Value = client.execute_json(request).await.expect("get");
    assert_eq!(value["value"], "bar");
    client.execute_void(answer("c")).await.expect("answer");

    let seen = stub.requests();
    assert_eq!(
        seen[0].target,
        "/ari/asterisk/variable?variable=FOO&api_key=asterisk:s3cr%2Bt%26:x"
    );
    assert_eq!(
        seen[1].target,
        "/ari/channels/c/answer?api_key=asterisk:s3cr%2Bt%26:x"
    );
    assert!(seen.iter().all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn void_accepts_every_success_status_with_or_without_body() {
    let stub = Stub::scripted([
        Response::empty(204).into(),
        Response::empty(202).into(),
        Response::empty(200).into(),
        Response::json(200, r#"{"unexpected":"body"}"#).into(),
        Response::json(201, "not even json").into(),
    ])
    .await;
    let client = client(&stub);
    for _ in 0..5 {
        client.execute_void(answer("c")).await.expect("void");
    }
    assert_eq!(stub.requests().len(), 5);
}

#[tokio::test]
async fn not_found_is_an_api_error_with_message_and_spec_reason() {
    let stub = Stub::always(Response::json(404, r#"{"message":"Channel not found"}"#)).await;
    let err = client(&stub)
        .execute_void(answer("nosuch"))
        .await
        .expect_err("404");
    match &err {
        Error::Api {
            operation,
            status,
            message,
            reason,
            body,
        } => {
            assert_eq!(*operation, "answer");
            assert_eq!(*status, 404);
            assert_eq!(message.as_deref(), Some("Channel not found"));
            assert_eq!(*reason, Some("Channel not found"));
            assert_eq!(&body[..], br#"{"message":"Channel not found"}"#);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "`answer` failed with HTTP 404 Not Found: Channel not found"
    );
    assert_eq!(err.status(), Some(404));
    assert!(!err.is_outcome_unknown());
}

#[tokio::test]
async fn json_operations_report_api_errors_too() {
    let stub = Stub::always(Response::json(
        409,
        r#"{"message":"Channel not in Stasis application"}"#,
    ))
    .await;
    let err = client(&stub)
        .execute_json::<serde_json::Value>(answer("c"))
        .await
        .expect_err("409");
    assert_eq!(
        err.to_string(),
        "`answer` failed with HTTP 409 Conflict: Channel not in Stasis application \
         (documented reason: Channel not in a Stasis application)"
    );
}

#[tokio::test]
async fn allocation_failure_error_body() {
    let stub = Stub::always(Response::json(500, r#"{"error":"Allocation failed"}"#)).await;
    let request = Request::new("originate", Method::Post)
        .segment("channels")
        .query("endpoint", "Bogus/1")
        .errors(&[(400, "Invalid parameters for originating a channel.")]);
    let err = client(&stub)
        .execute_json::<serde_json::Value>(request)
        .await
        .expect_err("500");
    match &err {
        Error::Api {
            status: 500,
            message: Some(message),
            reason: None,
            ..
        } => assert_eq!(message, "Allocation failed"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "`originate` failed with HTTP 500 Internal Server Error: Allocation failed"
    );
}

#[tokio::test]
async fn html_error_page() {
    let page = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n\
                <title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n\
                <p>Invalid application provided in URI.</p>\r\n<hr />\r\n\
                <address>Asterisk Server</address>\r\n</body></html>\r\n";
    let stub = Stub::always(
        Response::empty(400)
            .header("Content-Type", "text/html")
            .body(page.as_bytes()),
    )
    .await;
    let request = Request::new("eventWebsocket", Method::Get).segment("events");
    let err = client(&stub).execute_void(request).await.expect_err("400");
    match &err {
        Error::Api {
            status: 400,
            message,
            body,
            ..
        } => {
            assert_eq!(
                message.as_deref(),
                Some("Invalid application provided in URI.")
            );
            assert_eq!(&body[..], page.as_bytes());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "`eventWebsocket` failed with HTTP 400 Bad Request: Invalid application provided in URI."
    );
}

#[tokio::test]
async fn unauthorized_and_redirects_are_api_errors() {
    let stub = Stub::scripted([
        Response::json(401, r#"{"message":"Authentication required"}"#)
            .header(
                "WWW-Authenticate",
                "Basic realm=\"Asterisk REST Interface\"",
            )
            .into(),
        Response::empty(302).header("Location", "/elsewhere").into(),
    ])
    .await;
    let client = client(&stub);
    let err = client.execute_void(answer("c")).await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    let err = client.execute_void(answer("c")).await.expect_err("302");
    assert_eq!(err.status(), Some(302));
    // The redirect was not followed.
    assert_eq!(stub.requests().len(), 2);
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code, reason = "fields are read through Debug")]
struct Channel {
    id: String,
    name: String,
}

#[tokio::test]
async fn undecodable_json_keeps_the_bytes() {
    let bodies: [&[u8]; 4] = [
        br#"{"id":5,"name":"x"}"#,
        br#"{"id":"chan-a","#,
        b"<html>surprise</html>",
        b"",
    ];
    let stub = Stub::scripted(bodies.map(|b| Response::empty(200).body(b).into())).await;
    let client = client(&stub);
    for expected in bodies {
        let request = Request::new("get", Method::Get)
            .segment("channels")
            .param("channelId", "chan-a");
        let err = client
            .execute_json::<Channel>(request)
            .await
            .expect_err("decode");
        match &err {
            Error::Decode {
                operation: "get",
                status: 200,
                body,
                ..
            } => assert_eq!(&body[..], expected),
            other => panic!("{other:?}"),
        }
        assert!(err
            .to_string()
            .starts_with("could not decode the response to `get` (HTTP 200"));
        assert!(std::error::Error::source(&err).is_some());
    }
}

#[tokio::test]
async fn connection_refused_is_not_sent() {
    let client = unchecked_client(refused_base_url().await, |b| {
        b.api_key("asterisk", "hunter2")
    });
    let err = client.execute_void(answer("c")).await.expect_err("refused");
    assert!(matches!(err, Error::NotSent { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("answer"));
    assert!(!err.is_outcome_unknown());
    // Neither the error nor its causes show the URL (which holds the api_key).
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("api_key"), "{text}");
    assert!(text.contains("Connection refused"), "{text}");
}

#[tokio::test]
async fn silent_server_times_out_with_outcome_unknown() {
    let stub = Stub::always(Reply::Hang).await;
    let client = unchecked_client(&stub.base_url, |b| {
        b.request_timeout(Duration::from_millis(300))
    });
    let started = Instant::now();
    let err = client.execute_void(answer("c")).await.expect_err("timeout");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("answer"));
    assert!(err.is_outcome_unknown());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        stub.requests().len(),
        1,
        "the request was sent before the timeout"
    );
}

#[tokio::test]
async fn hang_up_without_answer_is_a_transport_error() {
    let stub = Stub::always(Reply::HangUp).await;
    let err = client(&stub)
        .execute_void(answer("c"))
        .await
        .expect_err("hang up");
    assert!(
        matches!(
            err,
            Error::Transport {
                operation: "answer",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_outcome_unknown());
}

#[tokio::test]
async fn invalid_request_is_not_sent() {
    let stub = Stub::always(Response::empty(204)).await;
    let client = client(&stub);
    for id in ["", ".", ".."] {
        let err = client.execute_void(answer(id)).await.expect_err(id);
        assert!(
            matches!(
                err,
                Error::InvalidRequest {
                    operation: Some("answer"),
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert!(stub.requests().is_empty());
}

fn stored_file() -> Request {
    Request::new("getStoredFile", Method::Get)
        .segment("recordings")
        .segment("stored")
        .param("recordingName", "probe-rec")
        .segment("file")
        .errors(&[
            (403, "The recording file could not be opened"),
            (404, "Recording not found"),
        ])
}

/// The first bytes of a WAV file, then a non-UTF-8 tail.
fn wav_bytes(len: usize) -> Vec<u8> {
    let mut bytes = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    bytes.extend((0..len).map(|i| (i * 7 % 256) as u8));
    bytes
}

/// A 200 answer carrying `wav` as `audio/wav`.
fn wav_response(wav: &[u8]) -> Response {
    Response::empty(200)
        .header("Content-Type", "audio/wav")
        .body(wav)
}

#[tokio::test]
async fn binary_download_returns_bytes_and_content_type() {
    let wav = wav_bytes(4096);
    let stub = Stub::scripted([
        wav_response(&wav).into(),
        Response::json(404, r#"{"message":"Recording not found"}"#).into(),
    ])
    .await;
    let client = client(&stub);
    let file = client
        .execute_binary(stored_file())
        .await
        .expect("download");
    assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
    assert_eq!(&file.bytes[..], &wav[..]);
    assert_eq!(
        stub.requests()[0].target,
        "/ari/recordings/stored/probe-rec/file"
    );

    let err = client.execute_binary(stored_file()).await.expect_err("404");
    match err {
        Error::Api {
            status: 404,
            message: Some(message),
            reason: Some("Recording not found"),
            ..
        } => assert_eq!(message, "Recording not found"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn binary_download_can_be_streamed() {
    let wav = wav_bytes(300_000);
    let stub = Stub::always(wav_response(&wav)).await;
    let mut stream = client(&stub)
        .execute_stream(stored_file())
        .await
        .expect("stream");
    assert_eq!(stream.content_type(), Some("audio/wav"));
    assert_eq!(stream.content_length(), Some(wav.len() as u64));
    let mut received = Vec::new();
    while let Some(chunk) = stream.next().await {
        received.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(received, wav);
}

/// Starts downloading the stored file; the response head must arrive.
async fn download(client: &Client) -> ari_sdk::BinaryStream {
    client
        .execute_stream(stored_file())
        .await
        .expect("the response head arrives at once")
}

/// Reads `stream` until it ends or fails: the bytes received and the error it ended with, if any.
async fn drain(stream: &mut ari_sdk::BinaryStream) -> (Vec<u8>, Option<Error>) {
    let mut received = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => received.extend_from_slice(&chunk),
            Err(e) => return (received, Some(e)),
        }
    }
    (received, None)
}

#[tokio::test]
async fn streamed_download_that_keeps_delivering_outlives_the_request_timeout() {
    // 10 pieces 200 ms apart: about 2 s in total, more than twice the request timeout, but never
    // idle for long.
    let wav = wav_bytes(40_000);
    let stub = Stub::always(Reply::Trickle {
        response: wav_response(&wav),
        pieces: 10,
        every: Duration::from_millis(200),
    })
    .await;
    let client = unchecked_client(&stub.base_url, |b| {
        b.request_timeout(Duration::from_millis(800))
    });
    let started = Instant::now();
    let (received, error) = drain(&mut download(&client).await).await;
    assert!(error.is_none(), "the download was cut: {error:?}");
    assert_eq!(received, wav);
    assert!(started.elapsed() > Duration::from_millis(1600));
}

#[tokio::test]
async fn streamed_download_that_stalls_mid_body_ends_with_a_timeout() {
    // The stub sends the head and 1000 of 40 000 bytes, then nothing for 5 s.
    let wav = wav_bytes(40_000);
    let stub = Stub::always(Reply::StallAfter {
        response: wav_response(&wav),
        bytes: 1000,
    })
    .await;
    let client = unchecked_client(&stub.base_url, |b| {
        b.request_timeout(Duration::from_secs(10))
            .download_idle_timeout(Duration::from_millis(300))
    });
    let started = Instant::now();
    let mut stream = download(&client).await;
    let (received, error) = drain(&mut stream).await;
    let error = error.expect("a stalled download ends with an error");
    let elapsed = started.elapsed();
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "getStoredFile",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_outcome_unknown());
    assert!(
        std::error::Error::source(&error).is_some_and(|s| s
            .to_string()
            .contains("no data for the download idle timeout")),
        "{error:?}"
    );
    assert_eq!(received, wav[..1000]);
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert!(
        stream.next().await.is_none(),
        "the stream ends after its error"
    );
}

#[tokio::test]
async fn streamed_download_head_is_bounded_by_the_request_timeout() {
    let stub = Stub::always(Reply::Hang).await;
    let client = unchecked_client(&stub.base_url, |b| {
        b.request_timeout(Duration::from_millis(300))
            .download_idle_timeout(None)
    });
    let started = Instant::now();
    let error = client
        .execute_stream(stored_file())
        .await
        .expect_err("no head");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn timestamps_decode_from_a_real_response() {
    #[derive(serde::Deserialize, serde::Serialize)]
    struct Ping {
        ping: String,
        timestamp: Timestamp,
        asterisk_id: String,
    }
    let body = r#"{"ping":"pong","timestamp":"2026-11-26T05:05:59.052+0000","asterisk_id":"02:fc:00:00:00:01"}"#;
    let stub = Stub::always(Response::json(200, body)).await;
    let request = Request::new("ping", Method::Get)
        .segment("asterisk")
        .segment("ping");
    let ping: Ping = client(&stub).execute_json(request).await.expect("ping");
    assert_eq!(ping.timestamp.as_offset_date_time().millisecond(), 52);
    assert_eq!(serde_json::to_string(&ping).expect("encode"), body);
}

#[tokio::test]
async fn caller_supplied_http_client() {
    let stub = Stub::always(Response::empty(204)).await;
    let client = unchecked_client(&stub.base_url, |b| {
        b.http_client(reqwest::Client::new())
            .basic_auth("asterisk", "secret")
            .user_agent("my-app/1.0")
    });
    client.execute_void(answer("c")).await.expect("answer");
    let seen = stub.only_request();
    assert_eq!(
        seen.header("authorization"),
        Some("Basic YXN0ZXJpc2s6c2VjcmV0")
    );
    assert_eq!(seen.header("user-agent"), Some("my-app/1.0"));
}

#[tokio::test]
async fn custom_user_agent_and_clones_share_the_client() {
    let stub = Stub::always(Response::empty(204)).await;
    let client = unchecked_client(&stub.base_url, |b| b.user_agent("my-app/2.0"));
    let clone = client.clone();
    let (a, b) = tokio::join!(
        client.execute_void(answer("a")),
        clone.execute_void(answer("b"))
    );
    a.expect("a");
    b.expect("b");
    let seen = stub.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|r| r.header("user-agent") == Some("my-app/2.0")));
    assert!(seen.iter().all(|r| r.header("authorization").is_none()));
}

/// A self-signed CA certificate made for these tests (its key was thrown away).
#[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
const TEST_CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUfDactTR9OvZZCNnG5xsjb9ppcIowCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPYXJpLXNkayB0ZXN0IENBMCAXDTI2MTEyNjA1NDkzMloYDzIx
MjYxMTAyMDU0OTMyWjAaMRgwFgYDVQQDDA9hcmktc2RrIHRlc3QgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAARPdDCZk+9062RA5Vk+cz2KIjWBK4X5HeRsBfG6
U3dn4BHwJ0x1ia/2wOBisSf6FzJ7ObY02sVuJky9n0M6WE0/o1MwUTAdBgNVHQ4E
FgQU7p+VXcHYs7F2qDUovzdCfBm3RJcwHwYDVR0jBBgwFoAU7p+VXcHYs7F2qDUo
vzdCfBm3RJcwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAIdQ5Q
V0K3B8iOUMDRutW0+qwflrAfNevBynbNqCMMywIhAPS/NgVHPMThY1qcoVjAmIBJ
JeRqMHuXrxkDL5+s52y7
-----END CERTIFICATE-----
";

#[test]
fn builder_rejects_bad_configuration() {
    let mut cases: Vec<(ari_sdk::ClientBuilder, &str)> = vec![
        (Client::builder("not a url"), "not a valid URL"),
        (
            Client::builder("ftp://127.0.0.1/ari"),
            "scheme must be http or https",
        ),
        (
            Client::builder("ws://127.0.0.1:8088/ari"),
            "scheme must be http or https",
        ),
        (
            Client::builder("http://user:topsecret@127.0.0.1/ari"),
            "must not contain credentials",
        ),
        (
            Client::builder("http://127.0.0.1/ari?x=1"),
            "query or a fragment",
        ),
        (
            Client::builder("http://127.0.0.1/ari").basic_auth("a:b", "c"),
            "must not contain ':'",
        ),
        (
            Client::builder("http://127.0.0.1/ari")
                .http_client(reqwest::Client::new())
                .connect_timeout(Duration::from_secs(1)),
            "cannot be combined with http_client",
        ),
        (
            Client::builder("http://127.0.0.1/ari").user_agent("bad\nagent"),
            "user agent",
        ),
    ];
    if cfg!(any(feature = "rustls-tls", feature = "native-tls")) {
        cases.push((
            Client::builder("https://127.0.0.1/ari").add_root_certificate_pem("garbage"),
            "holds no certificate",
        ));
    } else {
        cases.push((Client::builder("https://127.0.0.1/ari"), "TLS needs"));
    }
    for (builder, expected) in cases {
        let err = builder.build().expect_err(expected);
        match &err {
            Error::InvalidRequest {
                operation: None,
                message,
            } => {
                assert!(message.contains(expected), "{message} / {expected}")
            }
            other => panic!("{other:?}"),
        }
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }
    #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
    Client::builder("https://pbx.example:8089/ari")
        .danger_accept_invalid_certs(true)
        .add_root_certificate_pem(TEST_CA_PEM)
        .connect_timeout(Duration::from_secs(1))
        .request_timeout(None)
        .build()
        .expect("valid TLS configuration");
}

#[test]
fn debug_output_never_shows_the_password() {
    for builder in [
        Client::builder("http://127.0.0.1:8088/ari").basic_auth("asterisk", "hunter2"),
        Client::builder("http://127.0.0.1:8088/ari").api_key("asterisk", "hunter2"),
    ] {
        let builder_text = format!("{builder:?}");
        let client = builder.build().expect("client");
        let client_text = format!("{client:?} {client:#?}");
        for text in [builder_text, client_text] {
            assert!(!text.contains("hunter2"), "{text}");
            // base64("asterisk:hunter2")
            assert!(!text.contains("YXN0ZXJpc2s6aHVudGVyMg"), "{text}");
            assert!(text.contains("asterisk"), "{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
    }
}

#[test]
fn client_and_futures_are_send_and_sync() {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync_clone::<Client>();
    send_sync_clone::<Request>();
    let client = Client::builder("http://127.0.0.1:8088/ari")
        .build()
        .expect("client");
    send(&client.execute_void(answer("c")));
    send(&client.execute_json::<serde_json::Value>(answer("c")));
    send(&client.execute_binary(answer("c")));
    send(&client.execute_stream(answer("c")));
    // What generated operations will return from IntoFuture.
    let _boxed: std::pin::Pin<Box<dyn std::future::Future<Output = ari_sdk::Result<()>> + Send>> =
        Box::pin(async move { client.execute_void(answer("c")).await });
}

const NOT_CONTROLLABLE: &str = r#"{"message":"Could not stop playback"}"#;

/// Asterisk's "not controllable yet" 500 is retried until the stop goes through.
#[tokio::test]
async fn stop_started_retries_the_not_yet_controllable_500_until_the_stop_goes_through() {
    let stub = Stub::scripted([
        Reply::Respond(Response::json(500, NOT_CONTROLLABLE)),
        Reply::Respond(Response::json(500, NOT_CONTROLLABLE)),
        Reply::Respond(Response::empty(204)),
    ])
    .await;
    client(&stub)
        .playback("pb-1")
        .stop_started(Duration::from_secs(2))
        .await
        .expect("stopped on the third try");
    let requests = stub.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(requests
        .iter()
        .all(|r| r.method == "DELETE" && r.target == "/ari/playbacks/pb-1"));
}

/// Any other answer comes back at once; a 500 that outlasts the bound is returned.
#[tokio::test]
async fn stop_started_returns_other_answers_at_once_and_a_lasting_500_after_its_bound() {
    let gone = Stub::always(Reply::Respond(Response::json(
        404,
        r#"{"message":"Playback not found"}"#,
    )))
    .await;
    let err = client(&gone)
        .playback("pb-2")
        .stop_started(Duration::from_secs(2))
        .await
        .expect_err("404");
    assert!(err.is_not_found(), "{err}");
    assert_eq!(gone.requests().len(), 1);

    let stuck = Stub::always(Reply::Respond(Response::json(500, NOT_CONTROLLABLE))).await;
    let began = Instant::now();
    let err = client(&stuck)
        .playback("pb-3")
        .stop_started(Duration::from_millis(200))
        .await
        .expect_err("still 500");
    assert_eq!(err.status(), Some(500), "{err}");
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert!(stuck.requests().len() >= 2, "it was retried");
}
