// Included (`include!`) at the root of the test crates that compile a snapshot of generated
// code: it provides the names the generated code expects to find at `crate::` when it sits
// in ari-sdk. The runtime's types are re-exported; `Client` is a local type (the generated
// handles add inherent methods to `crate::Client`, which needs a local type) that implements
// the transport seam, `ari_sdk::__private::Exchange`, which the generated builders send
// through: over ari-sdk's own HTTP client, or from canned answers (no network) so a test can
// see what the shared code does with a raw response. The contract harness is mounted from
// ari-sdk's sources, without recorded responses (a fixture's models are deliberately small).

pub use ari_sdk::{
    __private, capabilities, request, Binary, BinaryStream, Error, ResponseFuture, Result,
    Timestamp, VariableValue,
};

/// Stands in for `ari_sdk::Client`.
#[derive(Clone)]
pub enum Client {
    /// Sends over HTTP through ari-sdk's client.
    Http(ari_sdk::Client),
    /// Answers every request from this function, recording nothing on any wire.
    #[allow(dead_code, reason = "not every fixture test uses canned answers")]
    Canned(std::sync::Arc<dyn Fn(&request::Request) -> __private::RawResponse + Send + Sync>),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Client::Http(client) => client.fmt(f),
            Client::Canned(_) => f.write_str("Client::Canned"),
        }
    }
}

impl __private::Exchange for Client {
    fn exchange(
        &self,
        request: request::Request,
        kind: __private::ResponseKind,
    ) -> impl std::future::Future<Output = Result<__private::RawResponse>> + Send + 'static {
        let this = self.clone();
        async move {
            match this {
                Client::Http(client) => __private::Exchange::exchange(&client, request, kind).await,
                Client::Canned(answer) => {
                    tracing::Span::current().record("transport", "canned");
                    Ok(answer(&request))
                }
            }
        }
    }
}

/// Stands in for `ari_sdk::ClientBuilder`.
pub struct ClientBuilder(ari_sdk::ClientBuilder);

#[allow(dead_code, reason = "a fixture need not use every constructor")]
impl Client {
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder(ari_sdk::Client::builder(base_url))
    }

    /// A client whose every request is answered by `answer`.
    pub fn canned(
        answer: impl Fn(&request::Request) -> __private::RawResponse + Send + Sync + 'static,
    ) -> Client {
        Client::Canned(std::sync::Arc::new(answer))
    }
}

impl ClientBuilder {
    pub fn basic_auth(self, username: &str, password: &str) -> Self {
        ClientBuilder(self.0.basic_auth(username, password))
    }

    pub fn check_capabilities(self, check: bool) -> Self {
        ClientBuilder(self.0.check_capabilities(check))
    }

    pub fn build(self) -> Result<Client> {
        self.0.build().map(Client::Http)
    }
}

#[path = "../../src/contract_harness/runner.rs"]
#[allow(dead_code, reason = "a fixture need not have every kind of response")]
mod harness_runner;
#[path = "mod.rs"]
mod harness_stub;

/// The harness as ari-sdk mounts it, without recorded responses.
mod contract_harness {
    pub(crate) use super::harness_runner::*;
    pub(crate) use super::harness_stub as stub;

    pub(crate) fn recorded() -> &'static [Recorded] {
        &[]
    }
}

/// Stands in for `ari_sdk::events`: the trait the generated event structs implement, over the fixture's own
/// `Event`.
pub mod events {
    use crate::generated::events::Event;

    pub use ari_sdk::events::{ObjectKind, ObjectPath};

    /// Stands in for `ari_sdk::events::EventKind`.
    pub trait EventKind: Sized {
        /// The `type` on the wire.
        const TYPE: &'static str;
        /// The struct inside `event` when it is this kind, else `event` back.
        // Mirrors `ari_sdk::events::EventKind::from_event`, which hands the event back unboxed.
        #[allow(clippy::result_large_err)]
        fn from_event(event: Event) -> Result<Self, Event>;
        /// The struct inside `event` when it is this kind.
        fn from_ref(event: &Event) -> Option<&Self>;
    }
}
