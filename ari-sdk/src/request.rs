//! [`Request`]: a transport-independent description of one ARI call.
//!
//! Generated operations build a [`Request`] and hand it to the client's transport (the
//! `Client::execute_*` methods take one too, and choose how the response is read: JSON,
//! nothing, bytes). The description holds no credentials and nothing HTTP-client specific, so
//! every transport (HTTP, REST over the events WebSocket) sends the same value.
//!
//! ```
//! use ari_sdk::request::{Method, Request};
//!
//! let request = Request::new("channels.play", Method::Post)
//!     .segment("channels")
//!     .param("channelId", "chan/1+2")
//!     .segment("play")
//!     .query_list("media", ["sound:hello-world", "sound:beep"])
//!     .query_opt("lang", Some("en"))
//!     .query_opt("offsetms", None::<i64>)
//!     .errors(&[(404, "Channel not found")]);
//! assert_eq!(request.path(), "/channels/chan%2F1%2B2/play");
//! assert_eq!(request.path_template().to_string(), "/channels/{channelId}/play");
//! assert_eq!(request.encoded_query(), "media=sound:hello-world,sound:beep&lang=en");
//! ```
//!
//! A generated operation is a builder whose `IntoFuture` sends such a request:
//!
//! ```
//! use std::future::{Future, IntoFuture};
//! use std::pin::Pin;
//!
//! use ari_sdk::request::{Method, Request};
//! use ari_sdk::{Client, Result};
//!
//! #[must_use]
//! pub struct AnswerChannel {
//!     client: Client,
//!     channel_id: String,
//! }
//!
//! impl IntoFuture for AnswerChannel {
//!     type Output = Result<()>;
//!     type IntoFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;
//!
//!     fn into_future(self) -> Self::IntoFuture {
//!         Box::pin(async move {
//!             let request = Request::new("channels.answer", Method::Post)
//!                 .segment("channels")
//!                 .param("channelId", &self.channel_id)
//!                 .segment("answer")
//!                 .errors(&[(404, "Channel not found"), (409, "Channel not in a Stasis application")]);
//!             self.client.execute_void(request).await
//!         })
//!     }
//! }
//! ```

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Error, Result};

/// Bytes percent-encoded in a path segment: everything except RFC 3986 unreserved characters
/// and `:`/`@` (kept readable, e.g. `Stasis:probe1`, `box@default`). Asterisk decodes `+` as a
/// space, so it is always sent as `%2B`; `/`, `?`, `#`, `%`, `&`, spaces and non-ASCII bytes are
/// encoded too.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@');

/// Bytes percent-encoded in a query name or value: as [`PATH_SEGMENT`], but `/` and `,` stay
/// (commas separate `allowMultiple` values; both are legal in a query).
const QUERY_COMPONENT: &AsciiSet = &PATH_SEGMENT.remove(b'/').remove(b',');

/// Percent-encodes one query name or value the way requests are sent.
pub(crate) fn encode_query_component(value: &str) -> impl fmt::Display + '_ {
    utf8_percent_encode(value, QUERY_COMPONENT)
}

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method name in upper case, e.g. `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(&'static str),
    /// A path parameter; `encoded` is already percent-encoded.
    Param {
        name: &'static str,
        encoded: String,
    },
}

/// One ARI call, described independently of the transport that sends it.
///
/// Built with chained methods that never fail: a problem (an empty path parameter, a body that
/// does not serialise) is remembered and reported as [`Error::InvalidRequest`] when the request
/// is executed, before anything is sent.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a Request does nothing until it is executed by a Client"]
pub struct Request {
    operation: &'static str,
    method: Method,
    segments: Vec<Segment>,
    query: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
    errors: &'static [(u16, &'static str)],
    invalid: Option<String>,
}

impl Request {
    /// Starts a request for `operation`, which names the call in errors and traces: generated
    /// operations pass their id, the resource and the spec's nickname (`"channels.answer"`),
    /// since nicknames such as `get` repeat across resources.
    pub fn new(operation: &'static str, method: Method) -> Self {
        Self {
            operation,
            method,
            segments: Vec::with_capacity(4),
            query: Vec::new(),
            body: None,
            errors: &[],
            invalid: None,
        }
    }

    /// Appends a literal path segment from the spec, e.g. `"channels"` (no slashes).
    pub fn segment(mut self, literal: &'static str) -> Self {
        self.segments.push(Segment::Literal(literal));
        self
    }

    /// Appends a path parameter `name` (its wire name, e.g. `"channelId"`) with `value`.
    ///
    /// The value is percent-encoded so that Asterisk receives it byte for byte: `/ ? # % & +`,
    /// spaces and non-ASCII characters included. An empty value, `.` or `..` cannot be sent
    /// (Asterisk would route to a different resource) and makes the request invalid.
    pub fn param(mut self, name: &'static str, value: impl AsRef<str>) -> Self {
        let value = value.as_ref();
        if value.is_empty() {
            self.invalidate(format!("path parameter `{name}` is empty"));
        } else if value == "." || value == ".." {
            self.invalidate(format!(
                "path parameter `{name}` is {value:?}, which URLs cannot carry"
            ));
        }
        self.segments.push(Segment::Param {
            name,
            encoded: utf8_percent_encode(value, PATH_SEGMENT).to_string(),
        });
        self
    }

    /// Adds query parameter `name` (its wire name) with `value` as text (`true`/`false` for
    /// booleans, decimal numbers, an enum's wire string).
    pub fn query(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// Adds query parameter `name` when `value` is `Some`.
    pub fn query_opt(self, name: &'static str, value: Option<impl fmt::Display>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// Adds an `allowMultiple` query parameter: the values joined by commas into one value, as
    /// Asterisk expects. Nothing is added when there are no values. (A value that itself
    /// contains a comma cannot be told apart from two values by Asterisk.)
    pub fn query_list<I>(mut self, name: &'static str, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        use fmt::Write as _;

        let mut joined = String::new();
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                joined.push(',');
            }
            let _ = write!(joined, "{value}");
        }
        if !joined.is_empty() {
            self.query.push((name, joined));
        }
        self
    }

    /// [`query_list`](Self::query_list) when `values` is `Some`.
    pub fn query_list_opt<I>(self, name: &'static str, values: Option<I>) -> Self
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        match values {
            Some(values) => self.query_list(name, values),
            None => self,
        }
    }

    /// Sets the whole JSON body.
    pub fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sets field `name` of the JSON object body (creating the object), e.g. the spec's body
    /// parameter `variables` becomes `{"variables": {...}}`.
    pub fn body_field(mut self, name: &'static str, value: impl serde::Serialize) -> Self {
        let value = match serde_json::to_value(value) {
            Ok(value) => value,
            Err(e) => {
                self.invalidate(format!("body field `{name}` cannot be serialised: {e}"));
                return self;
            }
        };
        match self
            .body
            .get_or_insert_with(|| serde_json::Value::Object(Default::default()))
        {
            serde_json::Value::Object(map) => {
                map.insert(name.to_owned(), value);
            }
            _ => self.invalidate(format!(
                "body field `{name}` cannot be set: the body is not a JSON object"
            )),
        }
        self
    }

    /// [`body_field`](Self::body_field) when `value` is `Some`.
    pub fn body_field_opt(self, name: &'static str, value: Option<impl serde::Serialize>) -> Self {
        match value {
            Some(value) => self.body_field(name, value),
            None => self,
        }
    }

    /// Sets the spec's documented error responses for this operation: `(status, reason)`
    /// pairs, used to fill [`Error::Api::reason`](Error::Api).
    pub fn errors(mut self, errors: &'static [(u16, &'static str)]) -> Self {
        self.errors = errors;
        self
    }

    fn invalidate(&mut self, message: String) {
        self.invalid.get_or_insert(message);
    }

    /// The operation's id, as given to [`Request::new`] (`channels.answer` for generated
    /// operations).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The percent-encoded path relative to the ARI base URL, e.g. `/channels/a%2Fb/answer`.
    pub fn path(&self) -> String {
        let mut path = String::with_capacity(64);
        for segment in &self.segments {
            path.push('/');
            match segment {
                Segment::Literal(literal) => path.push_str(literal),
                Segment::Param { encoded, .. } => path.push_str(encoded),
            }
        }
        path
    }

    /// The path as the spec writes it, e.g. `/channels/{channelId}/answer`; formatted lazily
    /// (it is what traces show instead of ids).
    pub fn path_template(&self) -> PathTemplate<'_> {
        PathTemplate(&self.segments)
    }

    /// The query parameters as `(wire name, value)` pairs, not encoded.
    pub fn query_pairs(&self) -> &[(&'static str, String)] {
        &self.query
    }

    /// The percent-encoded query string without the leading `?` (empty when there is none).
    pub fn encoded_query(&self) -> String {
        let mut out = String::new();
        self.write_encoded_query(&mut out);
        out
    }

    /// Appends the encoded query (`a=1&b=2`) to `out`, with a leading `&` when `out` already
    /// holds parameters.
    pub(crate) fn write_encoded_query(&self, out: &mut String) {
        use fmt::Write as _;

        for (name, value) in &self.query {
            if !out.is_empty() && !out.ends_with('?') {
                out.push('&');
            }
            let _ = write!(
                out,
                "{}={}",
                encode_query_component(name),
                encode_query_component(value)
            );
        }
    }

    /// The JSON body, if any.
    pub fn json_body(&self) -> Option<&serde_json::Value> {
        self.body.as_ref()
    }

    /// The spec's documented error responses for this operation.
    pub fn error_table(&self) -> &'static [(u16, &'static str)] {
        self.errors
    }

    /// The spec's reason for `status` on this operation, if documented.
    pub fn documented_reason(&self, status: u16) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(code, _)| *code == status)
            .map(|(_, reason)| *reason)
    }

    /// Fails with [`Error::InvalidRequest`] if building the request recorded a problem.
    pub fn validate(&self) -> Result<()> {
        match &self.invalid {
            Some(message) => Err(Error::invalid(Some(self.operation), message.clone())),
            None => Ok(()),
        }
    }
}

/// A request's path template (see [`Request::path_template`]).
#[derive(Debug, Clone, Copy)]
pub struct PathTemplate<'a>(&'a [Segment]);

impl fmt::Display for PathTemplate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in self.0 {
            match segment {
                Segment::Literal(literal) => write!(f, "/{literal}")?,
                Segment::Param { name, .. } => write!(f, "/{{{name}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::percent_decode_str;

    fn answer(id: &str) -> Request {
        Request::new("answer", Method::Post)
            .segment("channels")
            .param("channelId", id)
            .segment("answer")
    }

    #[test]
    fn tricky_path_params_are_encoded_and_decode_back() {
        let cases = [
            ("plain-id_1.2~x", "plain-id_1.2~x"),
            ("a/b", "a%2Fb"),
            ("a?b", "a%3Fb"),
            ("a#b", "a%23b"),
            ("100%", "100%25"),
            ("a+b", "a%2Bb"),
            ("a&b=c", "a%26b%3Dc"),
            ("two words", "two%20words"),
            ("ünï€😀", "%C3%BCn%C3%AF%E2%82%AC%F0%9F%98%80"),
            ("Stasis:probe1", "Stasis:probe1"),
            ("box@default", "box@default"),
            ("...", "..."),
            (
                "semi;colon,comma'quote\"",
                "semi%3Bcolon%2Ccomma%27quote%22",
            ),
            ("tab\tnl\n", "tab%09nl%0A"),
        ];
        for (raw, encoded) in cases {
            let request = answer(raw);
            request.validate().expect(raw);
            assert_eq!(
                request.path(),
                format!("/channels/{encoded}/answer"),
                "{raw}"
            );
            let decoded = percent_decode_str(encoded).decode_utf8().expect("utf8");
            assert_eq!(decoded, raw);
            // Asterisk's legacy decoder turns '+' into a space: none may remain on the wire.
            assert!(!encoded.contains('+'));
        }
    }

    #[test]
    fn unsendable_path_params_are_invalid() {
        for raw in ["", ".", ".."] {
            let err = answer(raw).validate().expect_err(raw);
            match err {
                Error::InvalidRequest {
                    operation: Some("answer"),
                    ref message,
                } => assert!(message.contains("channelId"), "{message}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn query_values() {
        let request = Request::new("originate", Method::Post)
            .segment("channels")
            .query("endpoint", "Local/wait@default")
            .query("callerId", "Alice <100>")
            .query("timeout", 30)
            .query("early", true)
            .query_opt("label", None::<&str>)
            .query_opt("priority", Some(1))
            .query("odd", "a+b&c=d#e%f ü")
            .query_list("appArgs", ["one", "two"])
            .query_list("empty", Vec::<String>::new())
            .query_list_opt("none", None::<Vec<&str>>)
            .query_list_opt("some", Some(&["x".to_owned()]));
        assert_eq!(
            request.encoded_query(),
            "endpoint=Local/wait@default&callerId=Alice%20%3C100%3E&timeout=30&early=true\
             &priority=1&odd=a%2Bb%26c%3Dd%23e%25f%20%C3%BC&appArgs=one,two&some=x"
        );
        assert_eq!(
            request.query_pairs()[1],
            ("callerId", "Alice <100>".to_owned())
        );
        assert_eq!(request.path(), "/channels");
        assert_eq!(Request::new("x", Method::Get).encoded_query(), "");
    }

    #[test]
    fn body_fields() {
        let mut vars = std::collections::BTreeMap::new();
        vars.insert("CALLERID(name)", "Alice");
        let request = Request::new("originate", Method::Post)
            .segment("channels")
            .body_field("variables", &vars)
            .body_field_opt("absent", None::<u8>)
            .body_field_opt("present", Some(1));
        request.validate().expect("valid");
        assert_eq!(
            request.json_body(),
            Some(&serde_json::json!({"variables": {"CALLERID(name)": "Alice"}, "present": 1}))
        );

        let bad_key: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
        let err = Request::new("x", Method::Post)
            .body_field("m", bad_key)
            .validate()
            .expect_err("non-string keys");
        assert!(err.to_string().contains("body field `m`"), "{err}");

        let err = Request::new("x", Method::Post)
            .body(serde_json::json!([1]))
            .body_field("m", 1)
            .validate()
            .expect_err("array body");
        assert!(err.to_string().contains("not a JSON object"), "{err}");
    }

    #[test]
    fn template_reasons_and_metadata() {
        let request = answer("x").errors(&[(404, "Channel not found"), (409, "Not in Stasis")]);
        assert_eq!(request.operation(), "answer");
        assert_eq!(request.method(), Method::Post);
        assert_eq!(request.method().to_string(), "POST");
        assert_eq!(
            request.path_template().to_string(),
            "/channels/{channelId}/answer"
        );
        assert_eq!(request.documented_reason(409), Some("Not in Stasis"));
        assert_eq!(request.documented_reason(500), None);
        assert_eq!(request.error_table().len(), 2);
        assert!(request.json_body().is_none());
    }

    #[test]
    fn first_problem_is_reported() {
        let err = Request::new("x", Method::Get)
            .param("a", "")
            .param("b", "..")
            .validate()
            .expect_err("invalid");
        assert!(err.to_string().contains("`a`"), "{err}");
    }
}
