//! The event connections a [`Client`](crate::Client) knows about, so that handles (`client.channel(id)`) can take
//! per-object streams without being handed an [`EventsHandle`].
//!
//! Every connection made from [`Client::events`](crate::Client::events) is registered here when it is made
//! ([`EventsBuilder::connect`](super::EventsBuilder::connect) or [`start`](super::EventsBuilder::start)). The
//! registry holds weak references only: it never keeps a connection open, and a connection that was closed, gave
//! up, or whose every handle and stream was dropped no longer counts.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::watch;

use super::error::EventsError;
use super::hub::Hub;
use super::payload::EventPayload;
use super::rest::RestSender;
use super::stream::{ConnectionState, EventsHandle, Guard};

/// A reference to a connection that does not keep it open.
struct WeakHandle<E: EventPayload> {
    hub: Weak<Hub<E>>,
    guard: Weak<Guard>,
    state: watch::Receiver<ConnectionState>,
}

impl<E: EventPayload> WeakHandle<E> {
    fn upgrade(&self) -> Option<EventsHandle<E>> {
        if self.state.borrow().is_closed() {
            return None;
        }
        Some(EventsHandle {
            hub: self.hub.upgrade()?,
            guard: self.guard.upgrade()?,
            state: self.state.clone(),
        })
    }
}

/// One registered connection, of any event type.
trait Entry: Send + Sync {
    fn is_live(&self) -> bool;
    fn as_any(&self) -> &dyn Any;
    /// The connection's REST channel, while it is open.
    fn rest(&self) -> Option<RestSender>;
}

impl<E: EventPayload> Entry for WeakHandle<E> {
    fn is_live(&self) -> bool {
        self.guard.strong_count() > 0 && !self.state.borrow().is_closed()
    }

    fn rest(&self) -> Option<RestSender> {
        if self.state.borrow().is_closed() {
            return None;
        }
        Some(self.guard.upgrade()?.rest.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The connections of one client (shared by its clones).
#[derive(Clone, Default)]
pub(crate) struct Registry {
    entries: Arc<Mutex<Vec<Box<dyn Entry>>>>,
}

impl Registry {
    /// Records a new connection (and forgets the ones that are over).
    pub(crate) fn register<E: EventPayload>(&self, handle: &EventsHandle<E>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|e| e.is_live());
        entries.push(Box::new(WeakHandle {
            hub: Arc::downgrade(&handle.hub),
            guard: Arc::downgrade(&handle.guard),
            state: handle.state.clone(),
        }));
    }

    /// The one open connection whose events are `E`.
    pub(crate) fn find<E: EventPayload>(&self) -> Result<EventsHandle<E>, EventsError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|e| e.is_live());
        let mut open: Vec<EventsHandle<E>> = entries
            .iter()
            .filter_map(|e| e.as_any().downcast_ref::<WeakHandle<E>>())
            .filter_map(WeakHandle::upgrade)
            .collect();
        match open.len() {
            0 => Err(EventsError::NoConnection),
            1 => Ok(open.remove(0)),
            count => Err(EventsError::AmbiguousConnection { count }),
        }
    }
}

impl Registry {
    /// The REST channel of the one open connection, whatever its event type (REST over WebSocket).
    pub(crate) fn rest_sender(&self) -> Result<RestSender, EventsError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|e| e.is_live());
        let mut open: Vec<RestSender> = entries.iter().filter_map(|e| e.rest()).collect();
        match open.len() {
            0 => Err(EventsError::NoConnection),
            1 => Ok(open.remove(0)),
            count => Err(EventsError::AmbiguousConnection { count }),
        }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Registry")
            .field(
                "connections",
                &entries.iter().filter(|e| e.is_live()).count(),
            )
            .finish()
    }
}
