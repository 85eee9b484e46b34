//! Runs the generated contract cases (`generated/contract.rs`) against the stub server.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::contract_harness::stub::{self, Recorded as Seen};

/// What the stub answers.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// The transport tests' stub, answering whatever reply is current, and the requests it has
/// seen since the last [`Stub::take_seen`].
struct Stub {
    stub: stub::Stub,
    reply: Arc<Mutex<Reply>>,
    taken: usize,
}

impl Stub {
    async fn start(reply: Reply) -> Stub {
        let current = Arc::new(Mutex::new(reply));
        let shared = current.clone();
        let stub = stub::Stub::start(move |_| {
            let reply = shared.lock().expect("reply").clone();
            let mut response = stub::Response::empty(reply.status).body(&reply.body);
            if let Some(ct) = &reply.content_type {
                response = response.header("content-type", ct);
            }
            stub::Reply::Respond(response)
        })
        .await;
        Stub {
            stub,
            reply: current,
            taken: 0,
        }
    }

    fn url(&self) -> &str {
        &self.stub.base_url
    }

    fn set_reply(&self, reply: Reply) {
        *self.reply.lock().expect("reply") = reply;
    }

    fn take_seen(&mut self) -> Vec<Seen> {
        let all = self.stub.requests();
        let new = all[self.taken..].to_vec();
        self.taken = all.len();
        new
    }
}

/// The future a case's call returns.
pub(crate) type CallFuture = Pin<Box<dyn Future<Output = crate::Result<Decoded>> + Send>>;

/// How an operation answers on success.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Response {
    /// No body.
    Void,
    /// Bytes with a content type.
    Binary,
    /// JSON; `minimal` is a valid body with only the required fields, used when no recorded
    /// response of a real Asterisk exists for the operation.
    Json { minimal: &'static str },
}

/// One operation's contract, as generated from the IR.
pub(crate) struct Case {
    pub resource: &'static str,
    pub operation: &'static str,
    pub method: &'static str,
    /// The spec's path template.
    pub template: &'static str,
    /// The exact percent-encoded path expected on the wire (below the base URL).
    pub path: &'static str,
    /// The path's segments after decoding: what Asterisk must see.
    pub segments: &'static [&'static str],
    /// The exact percent-encoded query string expected (without `?`).
    pub query: &'static str,
    /// The query's `(name, value)` pairs after decoding.
    pub query_pairs: &'static [(&'static str, &'static str)],
    /// The expected JSON body.
    pub body: Option<&'static str>,
    pub response: Response,
    /// The spec's `(status, reason)` error table.
    pub errors: &'static [(u16, &'static str)],
    /// Calls the operation through the SDK with every parameter set.
    pub call: fn(crate::Client) -> CallFuture,
}

/// What a call gave back, with the request description its builder made.
pub(crate) enum Decoded {
    Void {
        request: crate::request::Request,
    },
    Json {
        request: crate::request::Request,
        value: Value,
    },
    Binary {
        request: crate::request::Request,
        bytes: Vec<u8>,
        content_type: Option<String>,
        streamed: Vec<u8>,
        streamed_content_type: Option<String>,
    },
}

impl Decoded {
    /// A decoded JSON response, serialised back for comparison with what the stub sent.
    pub fn json<T: serde::Serialize>(request: crate::request::Request, value: &T) -> Decoded {
        Decoded::Json {
            request,
            value: serde_json::to_value(value).expect("a decoded response serialises"),
        }
    }

    /// A binary response read whole and, in a second call, streamed.
    pub async fn binary(
        request: crate::request::Request,
        whole: crate::Binary,
        mut streamed: crate::BinaryStream,
    ) -> crate::Result<Decoded> {
        let streamed_content_type = streamed.content_type().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = streamed.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok(Decoded::Binary {
            request,
            bytes: whole.bytes.to_vec(),
            content_type: whole.content_type.clone(),
            streamed: bytes,
            streamed_content_type,
        })
    }

    fn request(&self) -> &crate::request::Request {
        match self {
            Decoded::Void { request }
            | Decoded::Json { request, .. }
            | Decoded::Binary { request, .. } => request,
        }
    }
}

/// One operation's declared JSON response type (a row of the generated `RESPONSE_TYPES`).
pub(crate) struct ResponseType {
    /// HTTP method.
    pub method: &'static str,
    /// The spec's path template, e.g. `/channels/{channelId}`.
    pub path: &'static str,
    /// The operation's nickname.
    pub operation: &'static str,
    /// The Rust type, for messages.
    pub type_name: &'static str,
    /// Decodes a body as that type and serialises it back to JSON.
    pub decode: fn(&str) -> Result<serde_json::Value, serde_json::Error>,
}

/// Decodes `body` as `T` and serialises it back to JSON (a [`ResponseType::decode`]).
pub(crate) fn decode_as<T>(body: &str) -> Result<serde_json::Value, serde_json::Error>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    serde_json::to_value(serde_json::from_str::<T>(body)?)
}

/// A response recorded from a real Asterisk: `(method, path without query, status, body)`.
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub body: String,
}

/// Whether `path` (no query) fits `template` (`/channels/{channelId}`); the number of literal
/// segments when it does (more literals = a better match).
pub(crate) fn template_match(template: &str, path: &str) -> Option<usize> {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut literals = 0;
    for (t, p) in t.iter().zip(&p) {
        if t.starts_with('{') && t.ends_with('}') {
            if p.is_empty() {
                return None;
            }
        } else if t == p {
            literals += 1;
        } else {
            return None;
        }
    }
    Some(literals)
}

/// The recorded success response for `case`: one whose path fits the case's template better
/// than any other operation's (so `POST /channels/create` is not taken for
/// `POST /channels/{channelId}`).
fn recorded_for(case: &Case, all: &[Case]) -> Option<&'static Recorded> {
    crate::contract_harness::recorded().iter().find(|r| {
        if r.method != case.method || !(200..300).contains(&r.status) {
            return false;
        }
        let Some(mine) = template_match(case.template, &r.path) else {
            return false;
        };
        all.iter()
            .filter(|c| c.method == case.method && c.template != case.template)
            .all(|c| template_match(c.template, &r.path).is_none_or(|theirs| theirs < mine))
    })
}

const WAV: &[u8] = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00";

fn success_reply(case: &Case, all: &[Case]) -> (Reply, &'static str) {
    match (case.response, recorded_for(case, all)) {
        (Response::Binary, _) => (
            Reply {
                status: 200,
                content_type: Some("audio/wav".to_owned()),
                body: WAV.to_vec(),
            },
            "binary",
        ),
        (Response::Void, Some(r)) => (
            Reply {
                status: r.status,
                content_type: None,
                body: r.body.clone().into_bytes(),
            },
            "void (recorded status)",
        ),
        (Response::Void, None) => (
            Reply {
                status: 204,
                content_type: None,
                body: Vec::new(),
            },
            "void",
        ),
        (Response::Json { .. }, Some(r)) if !r.body.is_empty() => (
            Reply {
                status: r.status,
                content_type: Some("application/json".to_owned()),
                body: r.body.clone().into_bytes(),
            },
            "recorded JSON",
        ),
        (Response::Json { minimal }, _) => (
            Reply {
                status: 200,
                content_type: Some("application/json".to_owned()),
                body: minimal.as_bytes().to_vec(),
            },
            "minimal JSON",
        ),
    }
}

fn decode(text: &str) -> String {
    percent_decode_str(text)
        .decode_utf8()
        .unwrap_or_else(|e| panic!("{text:?} does not decode to UTF-8: {e}"))
        .into_owned()
}

/// Asserts that `seen` is exactly the request `case` describes.
fn assert_wire(case: &Case, seen: &Seen) {
    let what = format!("{}.{}", case.resource, case.operation);
    assert_eq!(seen.method, case.method, "{what}: method");
    let target = seen
        .target
        .strip_prefix("/ari")
        .unwrap_or_else(|| panic!("{what}: target {} is not below /ari", seen.target));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    assert_eq!(path, case.path, "{what}: path on the wire");
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    assert_eq!(
        segments, case.segments,
        "{what}: path segments after decoding"
    );
    assert_eq!(query, case.query, "{what}: query string on the wire");
    let pairs: Vec<(String, String)> = if query.is_empty() {
        Vec::new()
    } else {
        query
            .split('&')
            .map(|pair| {
                let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(n), decode(v))
            })
            .collect()
    };
    let expected: Vec<(String, String)> = case
        .query_pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(pairs, expected, "{what}: query after decoding");
    match case.body {
        Some(body) => {
            let want: Value = serde_json::from_str(body).expect("the expected body is JSON");
            let got: Value = serde_json::from_slice(&seen.body)
                .unwrap_or_else(|e| panic!("{what}: the body is not JSON ({e})"));
            assert_eq!(got, want, "{what}: JSON body");
            assert_eq!(
                seen.header("content-type"),
                Some("application/json"),
                "{what}: content type"
            );
        }
        None => assert!(seen.body.is_empty(), "{what}: unexpected body"),
    }
    assert_eq!(
        seen.header("authorization"),
        Some("Basic Y29udHJhY3Q6c2VjcmV0"),
        "{what}: credentials"
    );
}

/// How a case ended, for the coverage summary.
pub(crate) struct Outcome {
    /// What the success response was: `recorded JSON`, `minimal JSON`, `void`, `binary`, ….
    pub response: &'static str,
    /// How many documented error statuses were checked.
    pub errors: usize,
}

fn client(stub: &Stub) -> crate::Client {
    crate::Client::builder(stub.url())
        .basic_auth("contract", "secret")
        // The contract is the wire format of each operation; the stub serves every operation and
        // answers no `GET /asterisk/info` (the check has its own test, `tests/capabilities.rs`).
        .check_capabilities(false)
        .build()
        .expect("a client for the stub")
}

/// Runs one case: a success exchange checked on the wire and in the decoded value, then one
/// exchange per documented error status, checked for the spec's reason. Panics on a mismatch.
pub(crate) async fn check(case: &Case, all: &[Case]) -> Outcome {
    let what = format!("{}.{}", case.resource, case.operation);
    let (reply, source) = success_reply(case, all);
    let mut stub = Stub::start(reply.clone()).await;
    let decoded = (case.call)(client(&stub))
        .await
        .unwrap_or_else(|e| panic!("{what}: the call failed: {e:?}"));

    // The request description the builder made.
    let request = decoded.request();
    assert_eq!(request.operation(), what, "{what}: operation id");
    assert_eq!(request.method().as_str(), case.method, "{what}: method");
    assert_eq!(
        request.path_template().to_string(),
        case.template,
        "{what}: path template"
    );
    assert_eq!(request.error_table(), case.errors, "{what}: error table");

    // The wire.
    let seen = stub.take_seen();
    let expected_requests = if matches!(case.response, Response::Binary) {
        2
    } else {
        1
    };
    assert_eq!(seen.len(), expected_requests, "{what}: requests sent");
    for s in &seen {
        assert_wire(case, s);
    }

    // The decoded response.
    match &decoded {
        Decoded::Void { .. } => assert!(matches!(case.response, Response::Void), "{what}"),
        Decoded::Json { value, .. } => {
            let sent: Value = serde_json::from_slice(&reply.body).expect("the reply is JSON");
            assert_eq!(
                value, &sent,
                "{what}: the decoded response does not serialise back to the {source} body"
            );
        }
        Decoded::Binary {
            bytes,
            content_type,
            streamed,
            streamed_content_type,
            ..
        } => {
            assert_eq!(bytes, &reply.body, "{what}: binary body");
            assert_eq!(content_type.as_deref(), Some("audio/wav"), "{what}");
            assert_eq!(streamed, &reply.body, "{what}: streamed body");
            assert_eq!(
                streamed_content_type.as_deref(),
                Some("audio/wav"),
                "{what}"
            );
        }
    }

    // Every documented error status carries the spec's reason.
    for (status, reason) in case.errors {
        let message = format!("contract {status}");
        stub.set_reply(Reply {
            status: *status,
            content_type: Some("application/json".to_owned()),
            body: serde_json::json!({ "message": message })
                .to_string()
                .into_bytes(),
        });
        match (case.call)(client(&stub)).await {
            Err(crate::Error::Api {
                operation,
                status: got,
                message: got_message,
                reason: got_reason,
                ..
            }) => {
                assert_eq!(operation, what, "{what} {status}: operation id");
                assert_eq!(got, *status, "{what}: status");
                assert_eq!(
                    got_message.as_deref(),
                    Some(message.as_str()),
                    "{what} {status}"
                );
                assert_eq!(got_reason, Some(*reason), "{what} {status}: reason");
            }
            Err(other) => panic!("{what} {status}: expected an API error, got {other:?}"),
            Ok(_) => panic!("{what} {status}: expected an API error, got success"),
        }
        stub.take_seen();
    }
    Outcome {
        response: source,
        errors: case.errors.len(),
    }
}

/// Runs every case and checks that the operations exercised, plus those covered elsewhere
/// (`not_rest`), are exactly `operations`; prints `contract coverage: N/M operations`.
pub(crate) async fn coverage(
    operations: &[(&str, &str)],
    not_rest: &[(&str, &str, &str)],
    cases: &[Case],
) {
    let all: BTreeSet<(&str, &str)> = operations.iter().copied().collect();
    assert_eq!(all.len(), operations.len(), "operations are listed once");
    let mut covered: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut sources: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut errors = 0;
    for case in cases {
        let outcome = check(case, cases).await;
        *sources.entry(outcome.response).or_default() += 1;
        errors += outcome.errors;
        assert!(
            covered.insert((case.resource, case.operation)),
            "{}.{} has two cases",
            case.resource,
            case.operation
        );
    }
    let rest = covered.len();
    for (resource, operation, why) in not_rest {
        assert!(
            covered.insert((resource, operation)),
            "{resource}.{operation} is both REST and not"
        );
        println!("contract: {resource}.{operation} is {why}");
    }
    let missing: Vec<_> = all.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&all).collect();
    let n = covered.intersection(&all).count();
    let detail = sources
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "contract coverage: {n}/{} operations ({rest} REST calls checked on the wire with every \
         parameter set, responses: {detail}; {errors} documented error statuses checked; {} \
         covered by the event stream)",
        all.len(),
        not_rest.len()
    );
    assert!(
        missing.is_empty(),
        "operations without a contract test: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "contract tests of unknown operations: {unknown:?}"
    );
}
