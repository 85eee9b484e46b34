//! REST over the event WebSocket: a [`Request`] goes out as a `RESTRequest` message on an event connection,
//! and the connection task completes it from the `RESTResponse` with the same `request_id`.
//!
//! The wire format is Asterisk's (`res/ari/ari_websocket_requests.c`, 20.14.0 / 21.9.0 / 22.4.0 and later):
//! `{"type":"RESTRequest","request_id","transaction_id","method","uri","query_strings":[{"name","value"}],
//! "content_type","message_body"}`, where `uri` is the path below `/ari` (its segments percent-encoded, which
//! Asterisk decodes as it does for HTTP), the query values travel unencoded, and a JSON body is a string in
//! `message_body`. The reply is `{"type":"RESTResponse","request_id",…,"status_code","reason_phrase",
//! "content_type","message_body"}`; a request Asterisk cannot parse is answered 400 with an empty `request_id`.
//! Asterisk answers a binary response (a recording's file) 406 "Not Acceptable. Use HTTP GET".
//!
//! Requests wait in a map owned by the connection task ([`InFlight`]). When the connection is lost the map is
//! dropped, so every request still in it fails at once as outcome-unknown; requests made while the task is
//! reconnecting fail as not sent. The caller bounds its wait with the client's request timeout.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::error::EventsError;
use crate::request::Request;

/// One request for the connection task to send.
pub(crate) struct RestCall {
    /// The `request_id` the reply will carry.
    pub(crate) request_id: String,
    /// The whole `RESTRequest` message.
    pub(crate) text: String,
    /// Where the answer goes; dropped unanswered when the connection is lost.
    pub(crate) reply: oneshot::Sender<Result<RestReply, NotConnected>>,
}

/// The sending side of a connection's REST channel.
pub(crate) type RestSender = mpsc::UnboundedSender<RestCall>;

/// A `RESTResponse`, as the transport seam needs it.
#[derive(Debug)]
pub(crate) struct RestReply {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
}

/// The connection was not up when the request reached the task (it was reconnecting): nothing was sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NotConnected;

/// Requests sent on one connection and not yet answered.
#[derive(Default)]
pub(crate) struct InFlight {
    calls: HashMap<String, oneshot::Sender<Result<RestReply, NotConnected>>>,
    /// Inserts since abandoned entries were last swept.
    inserts: usize,
}

impl InFlight {
    /// Remembers `call`'s reply channel; returns the message to send.
    pub(crate) fn insert(&mut self, call: RestCall) -> String {
        self.inserts += 1;
        // A caller that timed out dropped its receiver; its entry would wait for a reply that may never come.
        if self.inserts >= 1024 {
            self.inserts = 0;
            self.calls.retain(|_, reply| !reply.is_closed());
        }
        self.calls.insert(call.request_id, call.reply);
        call.text
    }

    /// Completes the request `text` answers, if `text` is a `RESTResponse`; `false` for anything else (an event).
    ///
    /// A `RESTResponse` that answers none of this connection's waiting requests (its caller timed out, or
    /// Asterisk could not parse a request) is logged and consumed: it is not an event.
    pub(crate) fn complete(&mut self, text: &str) -> bool {
        // Cheap test first: nearly every message is an event.
        if !text.contains("RESTResponse") {
            return false;
        }
        let Ok(wire) = serde_json::from_str::<WireResponse<'_>>(text) else {
            return false;
        };
        if wire.kind != "RESTResponse" {
            return false;
        }
        let reply = RestReply {
            status: wire.status_code,
            content_type: wire.content_type,
            body: wire.message_body.map(Bytes::from).unwrap_or_default(),
        };
        match self.calls.remove(wire.request_id.as_ref()) {
            // The caller may have given up meanwhile; nothing to do then.
            Some(waiting) => drop(waiting.send(Ok(reply))),
            None => tracing::debug!(
                request_id = %wire.request_id,
                status = reply.status,
                "a RESTResponse that answers no waiting request"
            ),
        }
        true
    }

    /// How many requests wait for their answer.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }
}

/// Answers `call` at once: the connection is not up.
pub(crate) fn refuse(call: RestCall) {
    drop(call.reply.send(Err(NotConnected)));
}

/// Checks that the server answers REST on the connection behind `sender`: sends `request` (a harmless read) and
/// waits at most `waited` for any `RESTResponse` to it. A server older than the feature ignores the message.
pub(crate) async fn probe(
    sender: &RestSender,
    request: &Request,
    waited: Duration,
) -> Result<(), EventsError> {
    let request_id = next_request_id();
    let text = encode(request, &request_id)
        .map_err(|e| EventsError::InvalidConfig(format!("internal: {e}")))?;
    let (reply, answer) = oneshot::channel();
    let lost = || EventsError::ClosedByServer {
        code: None,
        reason: String::new(),
    };
    sender
        .send(RestCall {
            request_id,
            text,
            reply,
        })
        .map_err(|_| lost())?;
    match tokio::time::timeout(waited, answer).await {
        Err(_) => Err(EventsError::RestUnsupported { waited }),
        Ok(Ok(Ok(_))) => Ok(()),
        Ok(_) => Err(lost()),
    }
}

/// A process-wide unique `request_id`.
pub(crate) fn next_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("ari-sdk-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The `RESTRequest` message for `request`.
pub(crate) fn encode(request: &Request, request_id: &str) -> Result<String, serde_json::Error> {
    let path = request.path();
    let message_body = request.json_body().map(serde_json::to_string).transpose()?;
    let wire = WireRequest {
        kind: "RESTRequest",
        request_id,
        transaction_id: request_id,
        method: request.method().as_str(),
        uri: path.strip_prefix('/').unwrap_or(&path),
        query_strings: request
            .query_pairs()
            .iter()
            .map(|(name, value)| QueryString { name, value })
            .collect(),
        content_type: message_body.as_ref().map(|_| "application/json"),
        message_body,
    };
    serde_json::to_string(&wire)
}

#[derive(Serialize)]
struct WireRequest<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    request_id: &'a str,
    transaction_id: &'a str,
    method: &'static str,
    uri: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    query_strings: Vec<QueryString<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_body: Option<String>,
}

#[derive(Serialize)]
struct QueryString<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Deserialize)]
struct WireResponse<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    request_id: Cow<'a, str>,
    status_code: u16,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    message_body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Method;

    #[test]
    fn requests_are_encoded_as_asterisk_reads_them() {
        let request = Request::new("play", Method::Post)
            .segment("channels")
            .param("channelId", "a/b+c d")
            .segment("play")
            .query_list("media", ["sound:hello-world", "sound:beep"])
            .query("lang", "en&x=1");
        let text = encode(&request, "id-1").expect("encodes");
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            value,
            serde_json::json!({
                "type": "RESTRequest", "request_id": "id-1", "transaction_id": "id-1",
                "method": "POST", "uri": "channels/a%2Fb%2Bc%20d/play",
                "query_strings": [
                    {"name": "media", "value": "sound:hello-world,sound:beep"},
                    {"name": "lang", "value": "en&x=1"}
                ]
            })
        );

        let request = Request::new("create", Method::Post)
            .segment("bridges")
            .body_field("variables", serde_json::json!({"a": "b"}));
        let value: serde_json::Value =
            serde_json::from_str(&encode(&request, "id-2").expect("encodes")).expect("JSON");
        assert_eq!(value["content_type"], "application/json");
        assert_eq!(value["message_body"], r#"{"variables":{"a":"b"}}"#);
        assert!(value.get("query_strings").is_none());
    }

    fn call(id: &str) -> (RestCall, oneshot::Receiver<Result<RestReply, NotConnected>>) {
        let (reply, rx) = oneshot::channel();
        let call = RestCall {
            request_id: id.to_owned(),
            text: format!("text of {id}"),
            reply,
        };
        (call, rx)
    }

    #[test]
    fn replies_complete_their_own_request_only() {
        let mut in_flight = InFlight::default();
        let (a, mut rx_a) = call("a");
        let (b, mut rx_b) = call("b");
        assert_eq!(in_flight.insert(a), "text of a");
        in_flight.insert(b);

        // Events are not consumed, even when they mention RESTResponse.
        assert!(!in_flight.complete(r#"{"type":"StasisStart","application":"x"}"#));
        assert!(!in_flight
            .complete(r#"{"type":"ChannelUserevent","eventname":"RESTResponse","userevent":{}}"#));
        assert!(!in_flight.complete("not JSON, RESTResponse"));

        assert!(in_flight.complete(
            r#"{"type":"RESTResponse","transaction_id":"b","request_id":"b","status_code":404,
                "reason_phrase":"Not Found","uri":"channels/x","content_type":"application/json",
                "message_body":"{\"message\":\"Channel not found\"}"}"#
        ));
        assert!(rx_a.try_recv().is_err(), "a is still waiting");
        let reply = rx_b.try_recv().expect("b answered").expect("connected");
        assert_eq!(reply.status, 404);
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        assert_eq!(reply.body.as_ref(), br#"{"message":"Channel not found"}"#);

        // A reply without a body, and one that answers nobody (consumed, not an event).
        assert!(in_flight.complete(
            r#"{"type":"RESTResponse","request_id":"a","status_code":204,"reason_phrase":"No Content"}"#
        ));
        let reply = rx_a.try_recv().expect("a answered").expect("connected");
        assert_eq!((reply.status, reply.body.len()), (204, 0));
        assert!(in_flight.complete(
            r#"{"type":"RESTResponse","transaction_id":"","request_id":"","status_code":400,"reason_phrase":"x","uri":""}"#
        ));
        assert_eq!(in_flight.len(), 0);
    }

    #[test]
    fn dropping_the_map_fails_what_waits_and_abandoned_entries_are_swept() {
        let mut in_flight = InFlight::default();
        let (a, mut rx) = call("a");
        in_flight.insert(a);
        drop(in_flight);
        assert!(matches!(
            rx.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));

        let mut in_flight = InFlight::default();
        for i in 0..2048 {
            let (c, rx) = call(&i.to_string());
            in_flight.insert(c);
            drop(rx);
        }
        assert!(in_flight.len() <= 1024, "{}", in_flight.len());
    }
}
