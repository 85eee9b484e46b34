//! [`Error`]: everything that can go wrong when calling ARI.

use bytes::Bytes;

/// A boxed error from the transport underneath (HTTP client, I/O, WebSocket).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from calling ARI.
///
/// The variants say what is known about the request's fate:
///
/// | variant | did Asterisk act on the request? |
/// |---|---|
/// | [`InvalidRequest`](Error::InvalidRequest) | no: it was refused before sending |
/// | [`NotSent`](Error::NotSent) | no: no connection could be made |
/// | [`Unsupported`](Error::Unsupported), [`CapabilitiesUnknown`](Error::CapabilitiesUnknown) | no: refused by the [capability check](crate::capabilities) |
/// | [`Timeout`](Error::Timeout), [`Transport`](Error::Transport) | unknown ([`Error::is_outcome_unknown`]) |
/// | [`Api`](Error::Api) | Asterisk answered with an error status |
/// | [`Decode`](Error::Decode) | yes: it answered success, but the body did not decode |
///
/// `Display` gives one line without the cause; [`std::error::Error::source`] chains to the
/// underlying error where there is one. No variant carries credentials or the request URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent: an empty path parameter, a body that
    /// does not serialise, or (from [`ClientBuilder::build`](crate::ClientBuilder::build)) an
    /// invalid base URL or configuration.
    #[error("{}invalid request: {message}", operation_prefix(*.operation))]
    InvalidRequest {
        /// The operation's id (`channels.answer`), or `None` for client configuration errors.
        operation: Option<&'static str>,
        /// What is wrong.
        message: String,
    },

    /// No connection to Asterisk could be made (refused, DNS failure, connect timeout, TLS
    /// handshake failure). The request was certainly not processed; it is safe to retry.
    #[error("`{operation}` was not sent: could not connect to Asterisk")]
    NotSent {
        /// The operation's id: its resource and the spec's nickname, e.g. `channels.answer`.
        operation: &'static str,
        /// The underlying error.
        source: BoxError,
    },

    /// The request timed out after it may have been sent. Asterisk may or may not have
    /// carried it out.
    #[error("`{operation}` timed out; Asterisk may or may not have carried it out")]
    Timeout {
        /// The operation's id: its resource and the spec's nickname, e.g. `channels.answer`.
        operation: &'static str,
        /// The underlying error.
        source: BoxError,
    },

    /// The connection failed after the request may have been sent (reset, closed early,
    /// protocol error). Asterisk may or may not have carried it out.
    #[error("`{operation}` failed in transit; Asterisk may or may not have carried it out")]
    Transport {
        /// The operation's id: its resource and the spec's nickname, e.g. `channels.answer`.
        operation: &'static str,
        /// The underlying error.
        source: BoxError,
    },

    /// Asterisk answered with a status that is not a success (any status outside 200–299,
    /// redirects included: they are not followed).
    #[error("{}", api_summary(.operation, *.status, .message.as_deref(), *.reason))]
    Api {
        /// The operation's id: its resource and the spec's nickname, e.g. `channels.answer`.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// ARI's own explanation: the `message` (or `error`) field of a JSON body, the text of
        /// an HTML error page, or a short plain-text body.
        message: Option<String>,
        /// What the spec says this status means for this operation, when it documents it.
        reason: Option<&'static str>,
        /// The raw response body.
        body: Bytes,
    },

    /// Refused before sending by the [capability check](crate::capabilities): the Asterisk the
    /// client talks to does not serve this operation, or does not know an optional parameter set
    /// on it. Nothing was sent.
    ///
    /// ```text
    /// `channels.getChannelVars` is not served by Asterisk 16.28.0~dfsg-0+deb11u4 (it is in 20.20.1, 22.10.1, 23.4.1); nothing was sent
    /// ```
    #[error(
        "`{operation}`{} is not served by Asterisk {server_version} (it is in {}); nothing was sent",
        parameter_note(*.parameter),
        .available_in.join(", ")
    )]
    Unsupported {
        /// The operation (the spec's nickname).
        operation: &'static str,
        /// The optional parameter the server does not know (its wire name), when the operation
        /// itself is served; `None` when the operation is not.
        parameter: Option<&'static str>,
        /// The version the server reported (`system.version` of `GET /asterisk/info`).
        server_version: String,
        /// The versions, of those the SDK was generated from
        /// ([`availability::VERSIONS`](crate::availability::VERSIONS)), that have it.
        available_in: Vec<&'static str>,
    },

    /// Refused before sending: the [capability check](crate::capabilities) could not learn the
    /// server's version, because its `GET /asterisk/info` failed (`source` is that error, shared
    /// by every request that waited for the same attempt). Nothing of this request was sent; the
    /// client's next request tries to learn the version again.
    #[error(
        "`{operation}` was not sent: the capability check could not learn the server's version"
    )]
    CapabilitiesUnknown {
        /// The operation (the spec's nickname).
        operation: &'static str,
        /// Why `GET /asterisk/info` failed.
        source: std::sync::Arc<Error>,
    },

    /// Asterisk answered success, but the body is not what the spec promises.
    #[error("could not decode the response to `{operation}` (HTTP {status}, {} bytes)", .body.len())]
    Decode {
        /// The operation's id: its resource and the spec's nickname, e.g. `channels.answer`.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The raw response body.
        body: Bytes,
        /// Why it did not decode.
        source: serde_json::Error,
    },
}

impl Error {
    /// The operation's id (its resource and the spec's nickname, e.g. `channels.answer`), when
    /// the error belongs to one.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::InvalidRequest { operation, .. } => *operation,
            Error::NotSent { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Api { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Unsupported { operation, .. }
            | Error::CapabilitiesUnknown { operation, .. } => Some(operation),
        }
    }

    /// The HTTP status Asterisk answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `true` when Asterisk answered 404 Not Found: the object (channel, bridge, playback, recording…) does not
    /// exist — never did, or is already gone (a hung-up channel, the other half of a Local channel that went with
    /// it, a finished playback).
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(404)
    }

    /// `true` when Asterisk answered 409 Conflict: the object is not in a state for this operation — most often
    /// "Channel not in Stasis application" (the channel has not entered, or has left, the application).
    pub fn is_conflict(&self) -> bool {
        self.api_status() == Some(409)
    }

    /// `true` when Asterisk answered 400 Bad Request: a parameter is missing or invalid (ARI's message says which).
    pub fn is_bad_request(&self) -> bool {
        self.api_status() == Some(400)
    }

    /// `true` when Asterisk answered 412 Precondition Failed (e.g. a channel not in a bridge, a recording not in
    /// the state the operation needs).
    pub fn is_precondition_failed(&self) -> bool {
        self.api_status() == Some(412)
    }

    /// `true` when Asterisk answered 422 Unprocessable Entity (e.g. a recording format it cannot write).
    pub fn is_unprocessable(&self) -> bool {
        self.api_status() == Some(422)
    }

    /// ARI's own message for an [`Error::Api`] (e.g. `Channel not found`), when it sent one.
    pub fn api_message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// The status of an [`Error::Api`] only (a [`Decode`](Error::Decode) error answered success).
    fn api_status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `true` when Asterisk may or may not have carried out the request
    /// ([`Timeout`](Error::Timeout), [`Transport`](Error::Transport)): retrying a
    /// non-idempotent operation could perform it twice.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Transport { .. })
    }

    pub(crate) fn invalid(operation: Option<&'static str>, message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            operation,
            message: message.into(),
        }
    }

    /// Builds [`Error::Api`] from a non-success response.
    pub(crate) fn from_status(
        operation: &'static str,
        errors: &'static [(u16, &'static str)],
        status: u16,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Self {
        let reason = errors
            .iter()
            .find(|(code, _)| *code == status)
            .map(|(_, reason)| *reason);
        Error::Api {
            operation,
            status,
            message: error_message(content_type, &body),
            reason,
            body,
        }
    }
}

/// `` parameter `x` `` for a refused parameter, nothing for a refused operation.
fn parameter_note(parameter: Option<&str>) -> String {
    parameter
        .map(|p| format!(" parameter `{p}`"))
        .unwrap_or_default()
}

fn operation_prefix(operation: Option<&'static str>) -> String {
    match operation {
        Some(operation) => format!("`{operation}`: "),
        None => String::new(),
    }
}

fn api_summary(
    operation: &str,
    status: u16,
    message: Option<&str>,
    reason: Option<&str>,
) -> String {
    use std::fmt::Write as _;

    let mut out = format!("`{operation}` failed with HTTP {status}");
    if let Some(phrase) = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        out.push(' ');
        out.push_str(phrase);
    }
    match (message, reason) {
        (Some(message), Some(reason)) if message.trim() != reason.trim() => {
            let _ = write!(out, ": {message} (documented reason: {reason})");
        }
        (Some(message), _) => {
            let _ = write!(out, ": {message}");
        }
        (None, Some(reason)) => {
            let _ = write!(out, " (documented reason: {reason})");
        }
        (None, None) => {}
    }
    out
}

/// The longest message taken from an error body (in characters).
const MAX_MESSAGE_CHARS: usize = 1000;

/// Extracts a human-readable message from an error body: ARI's JSON `{"message": …}` or
/// `{"error": …}`, the text of an HTML error page, or short plain text.
fn error_message(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    let is_html = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html"))
        || text.starts_with('<');
    let message = if text.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        field("message").or_else(|| field("error"))?
    } else if is_html {
        ["p", "h1", "title"]
            .iter()
            .find_map(|tag| html_element_text(text, tag))?
    } else {
        text.to_owned()
    };
    let message = message.trim();
    if message.is_empty() {
        return None;
    }
    Some(message.chars().take(MAX_MESSAGE_CHARS).collect())
}

/// The text inside the first `<tag>…</tag>` of `html`, inner tags removed, entities decoded and
/// whitespace collapsed; `None` when missing or empty.
fn html_element_text(html: &str, tag: &str) -> Option<String> {
    // ASCII lowercasing keeps byte offsets, and every offset used below sits on an ASCII byte.
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut from = 0;
    let start = loop {
        let at = from + lower[from..].find(&open)?;
        let after = at + open.len();
        match lower.as_bytes().get(after) {
            Some(b'>') => break after + 1,
            Some(b) if b.is_ascii_whitespace() => break after + lower[after..].find('>')? + 1,
            _ => from = after,
        }
    };
    let end = start + lower[start..].find(&format!("</{tag}"))?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASTERISK_HTML_400: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n\
        <html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n\
        <p>Invalid application provided in URI.</p>\r\n<hr />\r\n\
        <address>Asterisk Server</address>\r\n</body></html>\r\n";

    fn msg(content_type: Option<&str>, body: &str) -> Option<String> {
        error_message(content_type, body.as_bytes())
    }

    #[test]
    fn json_message_and_error_fields() {
        assert_eq!(
            msg(
                Some("application/json"),
                r#"{"message":"Channel not found"}"#
            )
            .as_deref(),
            Some("Channel not found")
        );
        assert_eq!(
            msg(None, r#"{"error":"Allocation failed"}"#).as_deref(),
            Some("Allocation failed")
        );
        assert_eq!(
            msg(None, r#"{"message":"a","error":"b"}"#).as_deref(),
            Some("a")
        );
        assert_eq!(msg(None, r#"{"message":42}"#), None);
        assert_eq!(msg(None, r#"{"other":"x"}"#), None);
        assert_eq!(msg(None, r#"{"message":"#), None);
        assert_eq!(msg(None, ""), None);
        assert_eq!(error_message(None, &[0xff, 0xfe, 0x00]), None);
    }

    #[test]
    fn html_pages() {
        assert_eq!(
            msg(Some("text/html"), ASTERISK_HTML_400).as_deref(),
            Some("Invalid application provided in URI.")
        );
        assert_eq!(
            msg(
                None,
                "<html><title>502 Bad Gateway</title><P class=x>a &amp; <b>b</b>\n c</P></html>"
            )
            .as_deref(),
            Some("a & b c")
        );
        assert_eq!(
            msg(None, "<html><head><title>Oops</title></head><p></p></html>").as_deref(),
            Some("Oops")
        );
        assert_eq!(msg(Some("text/html"), "<html><pre>x</pre></html>"), None);
        assert_eq!(msg(Some("text/html"), "<p>unterminated"), None);
        assert_eq!(msg(Some("text/html"), "<p"), None);
        assert_eq!(
            msg(Some("text/html"), "<p>ünïcödé <i>ok</i></p>").as_deref(),
            Some("ünïcödé ok")
        );
    }

    #[test]
    fn plain_text_is_capped() {
        assert_eq!(
            msg(Some("text/plain"), "  no such thing \n").as_deref(),
            Some("no such thing")
        );
        let long = "é".repeat(5000);
        assert_eq!(
            msg(None, &long).map(|m| m.chars().count()),
            Some(MAX_MESSAGE_CHARS)
        );
    }

    #[test]
    fn api_display() {
        let errors: &'static [(u16, &'static str)] = &[
            (404, "Channel not found"),
            (409, "Channel not in a Stasis application"),
        ];
        let e = Error::from_status(
            "answer",
            errors,
            404,
            Some("application/json"),
            Bytes::from_static(br#"{"message":"Channel not found"}"#),
        );
        assert_eq!(
            e.to_string(),
            "`answer` failed with HTTP 404 Not Found: Channel not found"
        );
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.operation(), Some("answer"));
        assert!(!e.is_outcome_unknown());

        let e = Error::from_status(
            "answer",
            errors,
            409,
            None,
            Bytes::from_static(b"{\"message\":\"Nope\"}"),
        );
        assert_eq!(
            e.to_string(),
            "`answer` failed with HTTP 409 Conflict: Nope (documented reason: Channel not in a Stasis application)"
        );
        let e = Error::from_status("answer", errors, 409, None, Bytes::new());
        assert_eq!(
            e.to_string(),
            "`answer` failed with HTTP 409 Conflict (documented reason: Channel not in a Stasis application)"
        );
        let e = Error::from_status("answer", errors, 599, None, Bytes::new());
        assert_eq!(e.to_string(), "`answer` failed with HTTP 599");
        match e {
            Error::Api {
                reason: None,
                message: None,
                ..
            } => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn status_predicates() {
        let api = |status| Error::from_status("hangup", &[], status, None, Bytes::new());
        assert!(api(404).is_not_found());
        assert!(!api(404).is_conflict());
        assert!(api(409).is_conflict());
        assert!(api(400).is_bad_request());
        assert!(api(412).is_precondition_failed());
        assert!(api(422).is_unprocessable());
        assert!(!api(500).is_not_found());
        let decode = Error::Decode {
            operation: "get",
            status: 404,
            body: Bytes::new(),
            source: serde_json::from_str::<u8>("x").unwrap_err(),
        };
        assert!(!decode.is_not_found(), "only an API error is a 404 answer");
        let e = Error::from_status(
            "hangup",
            &[],
            404,
            None,
            Bytes::from_static(br#"{"message":"Channel not found"}"#),
        );
        assert_eq!(e.api_message(), Some("Channel not found"));
        assert!(!Error::invalid(None, "x").is_not_found());
    }

    #[test]
    fn other_displays() {
        assert_eq!(
            Error::invalid(Some("answer"), "path parameter `channelId` is empty").to_string(),
            "`answer`: invalid request: path parameter `channelId` is empty"
        );
        assert_eq!(
            Error::invalid(None, "bad URL").to_string(),
            "invalid request: bad URL"
        );
        let e = Error::Timeout {
            operation: "answer",
            source: "deadline".into(),
        };
        assert!(e.is_outcome_unknown());
        assert_eq!(
            e.to_string(),
            "`answer` timed out; Asterisk may or may not have carried it out"
        );
        assert_eq!(
            std::error::Error::source(&e)
                .map(|s| s.to_string())
                .as_deref(),
            Some("deadline")
        );
    }

    #[test]
    fn capability_check_displays() {
        let e = Error::Unsupported {
            operation: "channels.getChannelVars",
            parameter: None,
            server_version: "16.28.0~dfsg-0+deb11u4".into(),
            available_in: vec!["20.20.1", "22.10.1", "23.4.1"],
        };
        assert_eq!(
            e.to_string(),
            "`channels.getChannelVars` is not served by Asterisk 16.28.0~dfsg-0+deb11u4 (it is in 20.20.1, \
             22.10.1, 23.4.1); nothing was sent"
        );
        assert_eq!(e.operation(), Some("channels.getChannelVars"));
        assert!(!e.is_outcome_unknown() && e.status().is_none());
        let e = Error::Unsupported {
            operation: "channels.create",
            parameter: Some("variables"),
            server_version: "21.12.3".into(),
            available_in: vec!["20.20.1", "22.10.1", "23.4.1"],
        };
        assert_eq!(
            e.to_string(),
            "`channels.create` parameter `variables` is not served by Asterisk 21.12.3 (it is in 20.20.1, \
             22.10.1, 23.4.1); nothing was sent"
        );
        let e = Error::CapabilitiesUnknown {
            operation: "channels.list",
            source: std::sync::Arc::new(Error::Timeout {
                operation: "asterisk.getInfo",
                source: "deadline".into(),
            }),
        };
        assert_eq!(
            e.to_string(),
            "`channels.list` was not sent: the capability check could not learn the server's version"
        );
        assert!(!e.is_outcome_unknown());
        assert_eq!(
            std::error::Error::source(&e)
                .map(|s| s.to_string())
                .as_deref(),
            Some("`asterisk.getInfo` timed out; Asterisk may or may not have carried it out")
        );
    }
}
