//! The event stream reached from a [`Client`]: `client.events()` and the connection registered with it.

use std::time::Duration;

use super::{
    Awaited, EventStream, EventWaiter, EventsBuilder, EventsError, EventsHandle, ObjectKind,
};
use crate::{Client, Event};

impl Client {
    /// A builder for this client's event stream (`ws(s)://…/ari/events`), configured like the client: base URL,
    /// credentials (an `Authorization: Basic` header, or the `api_key` query parameter when the client was built
    /// with [`api_key`](crate::ClientBuilder::api_key)), TLS settings (extra root certificates,
    /// [`danger_accept_invalid_certs`](crate::ClientBuilder::danger_accept_invalid_certs)) and user agent. Events
    /// are decoded as the generated [`Event`].
    ///
    /// The connection it makes is registered with the client, so handles (`client.channel(id).events()`, …) and
    /// [`Client::event_connection`] can take subscriptions from it.
    ///
    /// The WebSocket upgrade is an HTTP request of the client's own HTTP stack, so the socket trusts exactly what
    /// REST trusts (the TLS back end, its store, extra roots), also for a client built with
    /// [`http_client`](crate::ClientBuilder::http_client).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use ari_sdk::events::StreamItem;
    /// use ari_sdk::{Client, Event};
    /// use futures::StreamExt as _;
    ///
    /// let client = Client::builder("http://127.0.0.1:8088/ari").basic_auth("asterisk", "secret").build()?;
    /// let mut events = client.events().apps(["my-app"]).subscribe_all(false).connect().await?;
    /// while let Some(item) = events.next().await {
    ///     match item? {
    ///         StreamItem::Event(Event::StasisStart(start)) => println!("call {} arrived", start.channel.id),
    ///         StreamItem::Gap(gap) => println!("reconnected after {:?}: resynchronise", gap.duration()),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> EventsBuilder<Event> {
        EventsBuilder::from_client(self)
    }

    /// The event connection registered with this client (made by [`Client::events`] and still open): for more
    /// subscriptions, its state, or closing it.
    ///
    /// # Errors
    ///
    /// [`EventsError::NoConnection`] when none is open; [`EventsError::AmbiguousConnection`] when more than one
    /// is (register only one, see [`EventsBuilder::register_with_client`]).
    pub fn event_connection(&self) -> Result<EventsHandle<Event>, EventsError> {
        self.event_registry().find()
    }

    /// The events of one object (exact id match) through the registered connection, ending by themselves when the
    /// object's life ends; see [`EventsHandle::object`]. Registered before this returns: take it before sending the
    /// request that creates the object.
    ///
    /// # Errors
    ///
    /// As [`Client::event_connection`].
    pub fn object_events(
        &self,
        kind: ObjectKind,
        id: impl Into<String>,
    ) -> Result<EventStream<Event>, EventsError> {
        Ok(self.event_connection()?.object(kind, id))
    }

    /// Waits for the next event matching `predicate`, for at most `timeout`, through the registered connection;
    /// see [`EventsHandle::wait_for`]. The subscription exists when this returns: call it, send the request that
    /// causes the event, then await the waiter. Without an event connection the waiter fails when awaited
    /// ([`WaitError::Stream`](super::WaitError::Stream) with [`EventsError::NoConnection`]), so one `?` covers
    /// every failure:
    ///
    /// ```no_run
    /// # async fn demo(client: ari_sdk::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use ari_sdk::Event;
    ///
    /// let pong = client.wait_for_event(
    ///     |e| matches!(e, Event::ChannelUserevent(u) if u.eventname == "pong"),
    ///     Duration::from_secs(5),
    /// );
    /// client.events_api().user_event("pong", "my-app").await?;
    /// let event = pong.await?;
    /// # let _ = event; Ok(()) }
    /// ```
    pub fn wait_for_event<F>(&self, predicate: F, timeout: Duration) -> EventWaiter<Event>
    where
        F: Fn(&Event) -> bool + Send + Sync + 'static,
    {
        match self.event_connection() {
            Ok(handle) => handle.wait_for(predicate, timeout),
            Err(error) => EventWaiter::failed(
                error,
                Awaited::new("an event matching the predicate"),
                timeout,
            ),
        }
    }
}
