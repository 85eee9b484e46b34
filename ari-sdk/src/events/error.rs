//! Errors of the event stream.

use std::sync::Arc;
use std::time::Duration;

use super::payload::DecodeError;

/// A boxed, shareable underlying error (I/O, TLS, WebSocket protocol).
pub type BoxError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Something went wrong with the event stream.
///
/// Cheap to clone: the same error is handed to every subscriber and kept in the [connection
/// state](super::ConnectionState).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum EventsError {
    /// The configuration cannot work (bad base URL, no application, an application name that is empty, too long
    /// or contains a comma). Caught before anything is sent.
    #[error("invalid event stream configuration: {0}")]
    InvalidConfig(String),

    /// The server could not be reached, or the TLS or WebSocket handshake failed at the transport level.
    #[error("could not connect to {url}: {source}")]
    Connect {
        /// The events URL (credentials redacted).
        url: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },

    /// Connecting (TCP, TLS and WebSocket handshake together) took longer than the connect timeout.
    #[error("connecting to {url} timed out after {after:?}")]
    ConnectTimeout {
        /// The events URL (credentials redacted).
        url: String,
        /// The timeout that ran out.
        after: Duration,
    },

    /// The server answered the WebSocket upgrade with an HTTP error: 401 (bad credentials), 400 (for example no
    /// `app`), 404 (wrong base URL or ARI disabled), ...
    #[error("the server refused the event WebSocket at {url}: HTTP {status}{}", fmt_message(.message))]
    Rejected {
        /// The events URL (credentials redacted).
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The body's text (HTML tags removed, shortened), possibly empty.
        message: String,
    },

    /// Nothing (no pong, no event) arrived within the pong deadline after a ping: the connection is presumed
    /// dead (for example the server is frozen, or a network path dropped without a reset).
    #[error("no answer to a ping within {timeout:?}: the connection is presumed dead")]
    PingTimeout {
        /// The pong deadline that ran out.
        timeout: Duration,
    },

    /// The server closed the WebSocket: with a close frame, or by closing the TCP connection (then there is no
    /// code).
    #[error("the server closed the event WebSocket{}", fmt_close(*.code, .reason))]
    ClosedByServer {
        /// The close code, if the server sent one.
        code: Option<u16>,
        /// The close reason, possibly empty.
        reason: String,
    },

    /// The established connection failed (I/O error, protocol violation, oversized message).
    #[error("the event WebSocket failed: {0}")]
    Transport(#[source] BoxError),

    /// One message could not be decoded. Not terminal: the stream goes on with the next message.
    #[error("{error}")]
    Decode {
        /// Why it could not be decoded.
        #[source]
        error: DecodeError,
        /// The message as received.
        text: Arc<str>,
    },

    /// Reconnecting was given up after the configured number of attempts; the stream is over.
    #[error("gave up reconnecting after {attempts} attempt(s); last error: {last_error}")]
    ReconnectGaveUp {
        /// How many reconnect attempts were made.
        attempts: u32,
        /// Why the last one failed (or why the connection was lost, if no attempt was allowed).
        last_error: Box<EventsError>,
    },

    /// Another connection registered this application with Asterisk, which told this one with an
    /// `ApplicationReplaced` event: Asterisk now sends the application's events there. The policy is to give up:
    /// the `ApplicationReplaced` event is delivered, then every stream ends with this error and the state becomes
    /// [`Closed`](super::ConnectionState::Closed). Taking the application back would make two clients take it
    /// from each other in turn, each losing events; connect again deliberately if this client should own it.
    #[error("application {app} was taken over by another connection (ApplicationReplaced); this connection gave up")]
    ApplicationReplaced {
        /// The application's name.
        app: String,
    },

    /// The connection task ended without closing the stream: it panicked (for example a custom
    /// [`EventPayload`](super::EventPayload) decoder did) or the Tokio runtime it ran on was shut down. The
    /// connection is over: every stream ends with this and the state becomes
    /// [`Closed`](super::ConnectionState::Closed).
    #[error("the event connection task ended unexpectedly: {reason}")]
    TaskEnded {
        /// What happened: `it panicked: …` or `its Tokio runtime was shut down`.
        reason: String,
    },

    /// A subscription's filter closure panicked; that subscription is over (the others are unaffected).
    #[error("the subscription's filter panicked")]
    FilterPanicked,

    /// A per-object stream was asked of a client (`client.channel(id).events()`) that has no open event connection
    /// with the generated `Event` type: connect one first with `client.events().apps([...]).connect()`.
    #[error(
        "no event connection is open on this client: connect one with client.events().apps([..]).connect() first"
    )]
    NoConnection,

    /// A per-object stream was asked of a client with more than one open event connection, so which one should
    /// carry it is ambiguous. Take it from the [`EventsHandle`](super::EventsHandle) of the connection you mean,
    /// or build the others with [`EventsBuilder::register_with_client(false)`](super::EventsBuilder::register_with_client).
    #[error(
        "{count} event connections are open on this client: take the stream from the EventsHandle of the one you \
         mean, or build the others with register_with_client(false)"
    )]
    AmbiguousConnection {
        /// How many connections are open.
        count: usize,
    },

    /// The client sends REST over WebSocket ([`Transport::WebSocket`](crate::Transport::WebSocket)), but the
    /// server did not answer a `RESTRequest` on the new event connection within the connect timeout: it predates
    /// REST over WebSocket (Asterisk 20.14.0, 21.9.0, 22.4.0), which older servers silently ignore. The
    /// connection was closed.
    #[error(
        "the server did not answer a RESTRequest on the event WebSocket within {waited:?}: REST over WebSocket \
         needs Asterisk 20.14.0, 21.9.0, 22.4.0 or later (use Transport::Http with this server)"
    )]
    RestUnsupported {
        /// How long the answer was waited for.
        waited: Duration,
    },
}

impl EventsError {
    /// The HTTP status, for [`EventsError::Rejected`].
    pub fn status(&self) -> Option<u16> {
        match self {
            EventsError::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the server rejected the credentials (HTTP 401).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// Whether this error ends the stream it was yielded from. Only [`EventsError::Decode`] is not terminal.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, EventsError::Decode { .. })
    }
}

fn fmt_message(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn fmt_close(code: Option<u16>, reason: &str) -> String {
    match (code, reason.is_empty()) {
        (None, _) => String::new(),
        (Some(c), true) => format!(" (code {c})"),
        (Some(c), false) => format!(" (code {c}: {reason})"),
    }
}

/// Turns an HTTP error body (Asterisk sends small HTML pages) into one short line of text.
pub(crate) fn body_text(body: &[u8]) -> String {
    const MAX: usize = 300;
    let raw = String::from_utf8_lossy(body);
    let mut text = String::with_capacity(raw.len().min(MAX));
    let mut in_tag = false;
    let mut last_space = true;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    text.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    text.push(' ');
                    last_space = true;
                }
            }
            c => {
                text.push(c);
                last_space = false;
            }
        }
        if text.len() >= MAX {
            text.push('…');
            break;
        }
    }
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_bodies_become_one_line() {
        let html = b"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>HTTP request to /ari/events: missing param app</p>\r\n<hr />\r\n<address>Asterisk Server</address>\r\n</body></html>\r\n";
        assert_eq!(
            body_text(html),
            "400 Bad Request Bad Request HTTP request to /ari/events: missing param app Asterisk Server"
        );
        assert_eq!(body_text(b""), "");
        assert_eq!(body_text(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
        assert!(body_text(&[b'x'; 10_000]).chars().count() <= 301);
    }

    #[test]
    fn display_is_clear() {
        let e = EventsError::Rejected {
            url: "ws://127.0.0.1:8088/ari/events?app=a".into(),
            status: 401,
            message: String::new(),
        };
        assert!(e.is_unauthorized());
        assert_eq!(
            e.to_string(),
            "the server refused the event WebSocket at ws://127.0.0.1:8088/ari/events?app=a: HTTP 401"
        );
        let c = EventsError::ClosedByServer {
            code: Some(1001),
            reason: "restart".into(),
        };
        assert_eq!(
            c.to_string(),
            "the server closed the event WebSocket (code 1001: restart)"
        );
    }
}
