//! Who is in a bridge, as a stream of membership changes ([`members`]).

use std::collections::BTreeSet;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

use super::{Call, CallError};
use crate::events::{into_wait_result, EventStream, StreamItem};
use crate::{BridgeHandle, Event};

/// One change of a bridge's membership; every change carries the members after it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MembershipChange {
    /// A channel entered the bridge.
    Joined {
        /// The channel's id.
        channel: String,
        /// The members now.
        members: BTreeSet<String>,
    },
    /// A channel left the bridge.
    Left {
        /// The channel's id.
        channel: String,
        /// The members now.
        members: BTreeSet<String>,
    },
    /// The bridge was destroyed (the last item).
    Destroyed,
}

/// The members of a bridge and their changes: from [`members`].
///
/// A [`Stream`] of `Result<MembershipChange, CallError>`; a gap or lag in the bridge's events is an error
/// ([`CallError::Wait`]), because the membership may then be wrong: take a new [`members`] to start again from the
/// server's view.
pub struct Members {
    current: BTreeSet<String>,
    events: EventStream<Event>,
    done: bool,
}

impl std::fmt::Debug for Members {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Members")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

/// Subscribes application `app` to `bridge` (`POST /applications/{app}/subscription`, so its events arrive even
/// when none of the application's channels is in it — without that, Asterisk sends a bridge's events only through
/// the application's channels, and the `BridgeDestroyed` of an empty bridge never arrives), takes the bridge's
/// stream, then reads its members (`GET /bridges/{id}`): the changes that follow are applied to that snapshot, and
/// an event the snapshot already contains (a channel that entered between the two) is no change.
///
/// # Errors
///
/// [`CallError::Events`] without an event connection, [`CallError::Request`] when the subscription fails or the
/// bridge cannot be read (404: no such bridge).
pub async fn members(bridge: &BridgeHandle, app: &str) -> Result<Members, CallError> {
    let events = bridge.events()?;
    bridge
        .client
        .application(app)
        .subscribe([format!("bridge:{}", bridge.id())])
        .await?;
    let snapshot = bridge.get().await?;
    Ok(Members {
        current: snapshot.channels.into_iter().collect(),
        events,
        done: false,
    })
}

impl Members {
    /// The members now.
    pub fn current(&self) -> &BTreeSet<String> {
        &self.current
    }

    /// The next change, for at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`CallError::Wait`] on timeout, lost events, or the end of the stream after [`MembershipChange::Destroyed`].
    pub async fn next_change(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<MembershipChange, CallError> {
        use futures::StreamExt as _;
        let awaited = self.events.awaited("a membership change");
        let item = tokio::time::timeout(timeout, self.next())
            .await
            .map_err(|_| crate::events::WaitError::Timeout {
                awaited: awaited.clone(),
                timeout,
            })?;
        match item {
            Some(result) => result,
            None => Err(crate::events::WaitError::Ended { awaited }.into()),
        }
    }

    fn apply(&mut self, event: Event) -> Option<MembershipChange> {
        match event {
            Event::ChannelEnteredBridge(entered) => {
                let channel = entered.channel?.id;
                self.current
                    .insert(channel.clone())
                    .then(|| MembershipChange::Joined {
                        channel,
                        members: self.current.clone(),
                    })
            }
            Event::ChannelLeftBridge(left) => {
                let channel = left.channel.id;
                self.current
                    .remove(&channel)
                    .then(|| MembershipChange::Left {
                        channel,
                        members: self.current.clone(),
                    })
            }
            Event::BridgeDestroyed(_) => {
                self.current.clear();
                Some(MembershipChange::Destroyed)
            }
            _ => None,
        }
    }
}

impl Stream for Members {
    type Item = Result<MembershipChange, CallError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            let item = match Pin::new(&mut this.events).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            };
            match item {
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Some(Ok(StreamItem::Event(event))) => {
                    if let Some(change) = this.apply(event) {
                        if change == MembershipChange::Destroyed {
                            this.done = true;
                        }
                        return Poll::Ready(Some(Ok(change)));
                    }
                }
                other => {
                    let awaited = this.events.awaited("the bridge's membership changes");
                    if let Err(e) = into_wait_result(other, &awaited) {
                        return Poll::Ready(Some(Err(e.into())));
                    }
                }
            }
        }
    }
}

impl Call {
    /// The members of `bridge` and their changes, with this call's application subscribed to it; see
    /// [`members`](fn@members).
    ///
    /// # Errors
    ///
    /// As [`members`](fn@members).
    pub async fn members(&self, bridge: &BridgeHandle) -> Result<Members, CallError> {
        members(bridge, self.app()).await
    }
}
