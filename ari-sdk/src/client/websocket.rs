//! REST over WebSocket: one [`Request`] as a `RESTRequest` on the client's event connection, answered by the
//! matching `RESTResponse` (see `events/rest.rs` for the wire format and the connection task's part).

use std::time::Duration;

use crate::error::{BoxError, Error, Result};
use crate::events::rest::{self, RestCall, RestSender};
use crate::request::Request;
use crate::transport::{RawResponse, ResponseBody, ResponseKind};

/// Sends `request` on the event connection behind `sender` and waits at most `timeout` for its answer.
pub(crate) async fn exchange(
    sender: &RestSender,
    timeout: Option<Duration>,
    request: Request,
) -> Result<RawResponse> {
    let operation = request.operation();
    tracing::Span::current().record("transport", "websocket");
    let request_id = rest::next_request_id();
    let text = rest::encode(&request, &request_id).map_err(|e| {
        Error::invalid(
            Some(operation),
            format!("cannot serialise the request: {e}"),
        )
    })?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    let call = RestCall {
        request_id,
        text,
        reply,
    };
    if sender.send(call).is_err() {
        return Err(Error::NotSent {
            operation,
            source: message("the event connection that carries REST over WebSocket has closed"),
        });
    }
    let answer = match timeout {
        Some(limit) => match tokio::time::timeout(limit, answer).await {
            Ok(answer) => answer,
            Err(_) => {
                return Err(Error::Timeout {
                    operation,
                    source: message(&format!(
                        "no RESTResponse on the event WebSocket within {limit:?}"
                    )),
                })
            }
        },
        None => answer.await,
    };
    match answer {
        Ok(Ok(reply)) => Ok(RawResponse {
            status: reply.status,
            content_type: reply.content_type,
            body: ResponseBody::Full(reply.body),
        }),
        Ok(Err(rest::NotConnected)) => Err(Error::NotSent {
            operation,
            source: message("the event connection is reconnecting; the request was not sent"),
        }),
        // The connection task dropped the request: the socket was lost after it was sent.
        Err(_) => Err(Error::Transport {
            operation,
            source: message("the event WebSocket was lost with the request in flight"),
        }),
    }
}

/// Whether `kind`'s body needs HTTP: Asterisk does not send binary bodies over the socket.
pub(crate) fn needs_http(kind: ResponseKind) -> bool {
    matches!(kind, ResponseKind::Binary | ResponseKind::BinaryStream)
}

fn message(text: &str) -> BoxError {
    text.to_owned().into()
}
