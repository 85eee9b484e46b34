// Included (`include!`) at the root of the test crates that compile a snapshot of generated
// code: it provides the names the generated code expects to find at `crate::` when it sits
// in ari-sdk. The runtime's types are re-exported; `Client` is a local wrapper of ari-sdk's
// (the generated handles add inherent methods to `crate::Client`, which needs a local type)
// with the four send paths the generated builders call. The contract harness is mounted from
// ari-sdk's sources, without recorded responses (a fixture's models are deliberately small).

pub use ari_sdk::{
    __private, request, Binary, BinaryStream, Error, ResponseFuture, Result, Timestamp,
};

/// Stands in for `ari_sdk::Client`.
#[derive(Debug, Clone)]
pub struct Client(ari_sdk::Client);

/// Stands in for `ari_sdk::ClientBuilder`.
pub struct ClientBuilder(ari_sdk::ClientBuilder);

#[allow(dead_code, reason = "a fixture need not have every kind of response")]
impl Client {
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder(ari_sdk::Client::builder(base_url))
    }

    fn send_json<T>(self, request: request::Request) -> ResponseFuture<T>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        ResponseFuture::new(async move { self.0.execute_json(request).await })
    }

    fn send_void(self, request: request::Request) -> ResponseFuture<()> {
        ResponseFuture::new(async move { self.0.execute_void(request).await })
    }

    fn send_binary(self, request: request::Request) -> ResponseFuture<Binary> {
        ResponseFuture::new(async move { self.0.execute_binary(request).await })
    }

    fn send_stream(self, request: request::Request) -> ResponseFuture<BinaryStream> {
        ResponseFuture::new(async move { self.0.execute_stream(request).await })
    }
}

impl ClientBuilder {
    pub fn basic_auth(self, username: &str, password: &str) -> Self {
        ClientBuilder(self.0.basic_auth(username, password))
    }

    pub fn build(self) -> Result<Client> {
        self.0.build().map(Client)
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

    /// Stands in for `ari_sdk::events::EventKind`.
    pub trait EventKind: Sized {
        /// The `type` on the wire.
        const TYPE: &'static str;
        /// The struct inside `event` when it is this kind, else `event` back.
        fn from_event(event: Event) -> Result<Self, Event>;
        /// The struct inside `event` when it is this kind.
        fn from_ref(event: &Event) -> Option<&Self>;
    }
}
