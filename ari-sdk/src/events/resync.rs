//! Resynchronisation after a gap: Asterisk does not replay the events it sent while the socket was down, so after
//! each reconnect the connection asks it what the applications hold now.
//!
//! After a reconnect, the connection task starts one resync (a task of its own, so that REST over this very
//! WebSocket works too; a newer reconnect aborts an unfinished one):
//!
//! 1. `GET /applications/{app}` for each application: the channels and bridges it holds now.
//! 2. Every per-object stream whose object was known alive before the loss (an event named it; for channels and
//!    bridges also one seen by any other stream of the connection) and had no event since, is checked: a channel
//!    or bridge still in an application is alive; otherwise one `GET` of the object says whether it is gone
//!    (`404`).
//! 3. Each stream of an object gone (or, for a channel on a connection without `subscribeAll`, no longer in any of
//!    its applications) yields [`StreamItem::EndedInGap`](super::StreamItem::EndedInGap) and ends.
//! 4. Every stream of all events gets one [`StreamItem::Resync`](super::StreamItem::Resync): the objects ended
//!    and the channels and bridges that appeared in the applications while no event could arrive.

use std::collections::HashSet;
use std::future::{Future, IntoFuture as _};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;

use super::hub::Hub;
use super::payload::{EventPayload, ObjectKind};
use crate::Client;

/// What a resync found, delivered as [`StreamItem::Resync`](super::StreamItem::Resync) to every stream of all
/// events, after the [`Gap`](super::Gap) it resolves (events received since the reconnect may come before it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Resync {
    /// Channels in the applications now that no event had named before the connection was lost: they entered
    /// while the socket was down (or right after the reconnect, before the state was read), and their
    /// `StasisStart` was not seen.
    pub appeared_channels: Vec<String>,
    /// Bridges in the applications now that no event had named before the connection was lost.
    pub appeared_bridges: Vec<String>,
    /// The per-object streams this resync ended, one entry per object.
    pub ended: Vec<EndedInGap>,
    /// Why the state could not be read (completely), when it could not: then only what was read was acted on, and
    /// streams of objects that could not be checked stay open.
    pub error: Option<String>,
}

/// The object of a per-object stream ended while the socket was down: its end event was never received. The last
/// item of that stream ([`StreamItem::EndedInGap`](super::StreamItem::EndedInGap)), also listed in the
/// [`Resync`] item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndedInGap {
    /// The object's kind.
    pub kind: ObjectKind,
    /// Its id (for recordings, the name).
    pub id: String,
    /// How it is known to have ended.
    pub reason: GapEnd,
}

/// How an object is known to have ended while the socket was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GapEnd {
    /// Asterisk no longer knows it (`404`).
    Gone,
    /// A channel that still exists but is in none of the connection's applications: it left them (its
    /// `StasisEnd` was missed).
    LeftApplication,
}

/// The channels and bridges one application holds.
#[derive(Debug, Default)]
pub(crate) struct AppObjects {
    pub(crate) channels: Vec<String>,
    pub(crate) bridges: Vec<String>,
}

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Where a resync reads the state from: the REST API.
pub(crate) trait StateSource: Send + Sync {
    /// The objects `app` holds; an application Asterisk does not know holds nothing.
    fn application(&self, app: String) -> BoxFuture<Result<AppObjects, String>>;
    /// Whether the object exists.
    fn exists(&self, kind: ObjectKind, id: String) -> BoxFuture<Result<bool, String>>;
}

/// How many times a resync's `GET` is tried when no answer came (a pooled connection to an Asterisk that just
/// restarted, say) or Asterisk answered 503; the requests only read, so trying again is safe.
const GET_ATTEMPTS: u32 = 3;

/// `get()` until it has an answer other than 503, at most [`GET_ATTEMPTS`] times.
async fn get_retrying<T, F, Fut>(mut get: F) -> crate::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = crate::Result<T>>,
{
    let mut attempt = 1;
    loop {
        match get().await {
            Err(e)
                if attempt < GET_ATTEMPTS
                    && (matches!(e.status(), None | Some(503))
                        && !matches!(e, crate::Error::InvalidRequest { .. })) =>
            {
                tokio::time::sleep(Duration::from_millis(50) * attempt).await;
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

impl StateSource for Client {
    fn application(&self, app: String) -> BoxFuture<Result<AppObjects, String>> {
        let client = self.clone();
        Box::pin(async move {
            match get_retrying(|| client.application(&app).get().into_future()).await {
                Ok(found) => Ok(AppObjects {
                    channels: found.channel_ids,
                    bridges: found.bridge_ids,
                }),
                Err(e) if e.is_not_found() => Ok(AppObjects::default()),
                Err(e) => Err(format!("reading application {app}: {e}")),
            }
        })
    }

    fn exists(&self, kind: ObjectKind, id: String) -> BoxFuture<Result<bool, String>> {
        let client = self.clone();
        Box::pin(async move {
            let answer = get_retrying(|| async {
                match kind {
                    ObjectKind::Channel => client.channel(&id).get().await.map(drop),
                    ObjectKind::Bridge => client.bridge(&id).get().await.map(drop),
                    ObjectKind::Playback => client.playback(&id).get().await.map(drop),
                    ObjectKind::Recording => client.live_recording(&id).get_live().await.map(drop),
                }
            })
            .await;
            match answer {
                Ok(()) => Ok(true),
                Err(e) if e.is_not_found() => Ok(false),
                Err(e) => Err(format!("reading {kind} {id}: {e}")),
            }
        })
    }
}

/// How long one resync may take in all; past it, what was not read is reported in [`Resync::error`].
pub(crate) const RESYNC_LIMIT: Duration = Duration::from_secs(15);

/// How many object checks run at once.
const PARALLEL_CHECKS: usize = 16;

/// What the connection task needs to resync.
#[derive(Clone)]
pub(crate) struct ResyncSettings {
    pub(crate) source: Arc<dyn StateSource>,
    pub(crate) apps: Vec<String>,
    /// With `subscribeAll`, channels outside the applications are followed too: not being in one proves nothing.
    pub(crate) subscribe_all: bool,
}

/// One resync after the reconnect that left the hub at sequence number `seq` (every event dispatched so far came
/// before the loss).
pub(crate) async fn run<E: EventPayload>(hub: Arc<Hub<E>>, settings: ResyncSettings, seq: u64) {
    if hub.subscription_count() == 0 {
        return;
    }
    let mut report = Resync::default();
    let mut errors = Vec::new();
    let outcome = tokio::time::timeout(RESYNC_LIMIT, read(&hub, &settings, seq, &mut errors)).await;
    let state = match outcome {
        Ok(state) => state,
        Err(_) => {
            errors.push(format!("the state was not read within {RESYNC_LIMIT:?}"));
            None
        }
    };
    if let Some((channels, bridges, ended)) = state {
        (report.appeared_channels, report.appeared_bridges) =
            hub.forget_known_before(seq, &channels, &bridges);
        report.ended = ended;
    }
    if !errors.is_empty() {
        report.error = Some(errors.join("; "));
        tracing::warn!(error = ?report.error, "ARI events: resync after the gap incomplete");
    }
    tracing::debug!(
        ended = report.ended.len(),
        appeared_channels = report.appeared_channels.len(),
        appeared_bridges = report.appeared_bridges.len(),
        "ARI events: resynced after the gap"
    );
    hub.apply_resync(seq, report);
}

type State = (HashSet<String>, HashSet<String>, Vec<EndedInGap>);

/// Reads the applications and checks the candidates; `None` when the applications could not be read.
async fn read<E: EventPayload>(
    hub: &Hub<E>,
    settings: &ResyncSettings,
    seq: u64,
    errors: &mut Vec<String>,
) -> Option<State> {
    let mut channels = HashSet::new();
    let mut bridges = HashSet::new();
    for app in &settings.apps {
        match settings.source.application(app.clone()).await {
            Ok(objects) => {
                channels.extend(objects.channels);
                bridges.extend(objects.bridges);
            }
            Err(e) => {
                errors.push(e);
                return None;
            }
        }
    }
    let to_check: Vec<(ObjectKind, String)> = hub
        .resync_candidates(seq)
        .into_iter()
        .filter(|(kind, id)| match kind {
            ObjectKind::Channel => !channels.contains(id),
            ObjectKind::Bridge => !bridges.contains(id),
            _ => true,
        })
        .collect();
    let checks = futures::stream::iter(to_check)
        .map(|(kind, id)| {
            let source = Arc::clone(&settings.source);
            async move {
                let exists = source.exists(kind, id.clone()).await;
                (kind, id, exists)
            }
        })
        .buffer_unordered(PARALLEL_CHECKS)
        .collect::<Vec<_>>()
        .await;
    let mut ended = Vec::new();
    for (kind, id, exists) in checks {
        let reason = match exists {
            Err(e) => {
                errors.push(e);
                continue;
            }
            Ok(false) => GapEnd::Gone,
            // Alive but in none of the applications: a channel that left them (unless every channel is followed).
            Ok(true) if kind == ObjectKind::Channel && !settings.subscribe_all => {
                GapEnd::LeftApplication
            }
            Ok(true) => continue,
        };
        ended.push(EndedInGap { kind, id, reason });
    }
    ended.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    Some((channels, bridges, ended))
}
