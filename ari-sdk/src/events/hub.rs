//! Fan-out from the connection task to the subscribers.
//!
//! The connection task decodes each message once and calls [`Hub::dispatch_event`]; the hub pushes it into the
//! bounded [`Queue`] of every subscriber it concerns. Pushing never waits, so a slow subscriber never slows the
//! connection or the other subscribers. Subscribing and unsubscribing take the same lock synchronously, which is
//! what makes subscribe-before-create safe: once `subscribe` returned, every later message is matched.
//!
//! Per-object subscriptions are indexed by `(kind, id)`, so dispatch costs one hash lookup per object an event
//! carries, however many objects are followed.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use tokio::time::Instant;

use super::error::EventsError;
use super::payload::{ends_by_default, EventPayload, ObjectKind, ObjectRef, RawEvent};
use super::queue::{Item, Queue};
use super::resync::Resync;
use super::stream::{ConnectionState, Gap, Health, SubscriberHealth};

pub(crate) type Predicate<E> = Box<dyn Fn(&E) -> bool + Send + Sync>;

/// Picks the events that start following an object, and the object.
pub(crate) type SpawnFn<E> = Box<dyn Fn(&E) -> Option<(ObjectKind, Box<str>)> + Send + Sync>;

/// A per-object subscription made by the hub while it dispatched the event that named the object: it holds
/// every later event of the object, and none before.
pub(crate) struct Spawned<E> {
    pub(crate) kind: ObjectKind,
    pub(crate) id: Box<str>,
    pub(crate) key: SubKey,
    pub(crate) queue: Arc<Queue<E>>,
}

/// Per-object subscriptions spawned for one broad subscription, in the order of the events that spawned them.
pub(crate) type SpawnedList<E> = Arc<Mutex<std::collections::VecDeque<Spawned<E>>>>;

pub(crate) enum Filter<E> {
    All,
    Matching(Predicate<E>),
    Object(ObjectKind, Box<str>),
    /// The events `spawn` picks; for each, a per-object subscription is registered before the next event is
    /// dispatched (dispatch runs on the one connection task) and appended to the list.
    Spawning(SpawnFn<E>, SpawnedList<E>),
}

/// Where a subscription is registered, to unregister it.
pub(crate) enum SubKey {
    Broad(u64),
    Object(u64, ObjectKind, Box<str>),
}

struct BroadSub<E> {
    id: u64,
    /// Shared so that dispatch can run it without holding the lock (a filter may use the hub itself: count its
    /// subscriptions, own one of its streams).
    predicate: Option<Arc<Predicate<E>>>,
    /// Shared for the same reason as `predicate`.
    spawn: Option<(Arc<SpawnFn<E>>, SpawnedList<E>)>,
    queue: Arc<Queue<E>>,
    since: Instant,
}

struct ObjectSub<E> {
    id: u64,
    queue: Arc<Queue<E>>,
    since: Instant,
    /// The sequence number of the last event delivered, so an event naming the object twice is delivered once.
    last_seq: u64,
}

struct Registry<E> {
    next_id: u64,
    seq: u64,
    broad: Vec<BroadSub<E>>,
    objects: Objects<E>,
    /// The channels (0) and bridges (1) events named and did not end, each with the sequence number of the first
    /// event that named it (kept only when the connection resyncs after gaps: see [`super::resync`]).
    known: [HashMap<Box<str>, u64>; 2],
    /// Set once the connection is over: later subscriptions end at once with this.
    closed: Option<Option<EventsError>>,
}

impl<E> Registry<E> {
    /// Adds subscription `id` on one object, its stream fed through `queue`; `last_seq` is the
    /// sequence number of the last event it must not get.
    fn add_object(
        &mut self,
        kind: ObjectKind,
        object_id: &str,
        id: u64,
        queue: Arc<Queue<E>>,
        since: Instant,
        last_seq: u64,
    ) {
        self.objects[kind.index()]
            .entry(object_id.into())
            .or_default()
            .push(ObjectSub {
                id,
                queue,
                since,
                last_seq,
            });
    }
}

pub(crate) struct Hub<E> {
    capacity: usize,
    max_bytes: usize,
    registry: Mutex<Registry<E>>,
    /// Whether the channels and bridges events name are tracked (`Registry::known`), for resyncs.
    track_known: bool,
    /// What the connection task observed, for [`Health`].
    pub(crate) stats: Stats,
}

/// What the connection task observed, for [`Health`].
#[derive(Default)]
pub(crate) struct Stats {
    apps: Vec<String>,
    seen: Mutex<Seen>,
}

#[derive(Default, Clone, Copy)]
struct Seen {
    last_message: Option<Instant>,
    last_pong: Option<Instant>,
    reconnects: u64,
}

impl Stats {
    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A message (of any kind) arrived; `pong` when it was a pong.
    pub(crate) fn message(&self, pong: bool) {
        let now = Instant::now();
        let mut seen = self.seen();
        seen.last_message = Some(now);
        if pong {
            seen.last_pong = Some(now);
        }
    }

    /// A lost connection was re-established.
    pub(crate) fn reconnected(&self) {
        self.seen().reconnects += 1;
    }
}

impl<E: EventPayload> Hub<E> {
    #[cfg(test)]
    pub(crate) fn new(capacity: usize) -> Self {
        Hub::with_apps(capacity, Vec::new())
    }

    /// A hub for a connection registering `apps`.
    pub(crate) fn with_apps(capacity: usize, apps: Vec<String>) -> Self {
        Hub {
            capacity,
            max_bytes: super::queue::DEFAULT_MAX_BYTES,
            track_known: false,
            stats: Stats {
                apps,
                seen: Mutex::default(),
            },
            registry: Mutex::new(Registry {
                next_id: 1,
                seq: 0,
                broad: Vec::new(),
                objects: Default::default(),
                known: Default::default(),
                closed: None,
            }),
        }
    }

    /// The same hub, tracking the channels and bridges events name, for resyncs after gaps.
    pub(crate) fn tracking_objects(mut self) -> Self {
        self.track_known = true;
        self
    }

    /// The sequence number of the last message dispatched.
    pub(crate) fn seq(&self) -> u64 {
        self.lock().seq
    }

    /// The objects of per-object streams a resync after a reconnect at `seq` must check: known alive before the
    /// loss (an event named it at or before `seq`: for its own stream, or for channels and bridges, for any) and
    /// named by no event since.
    pub(crate) fn resync_candidates(&self, seq: u64) -> Vec<(ObjectKind, String)> {
        let reg = self.lock();
        let mut out = Vec::new();
        for kind in ObjectKind::ALL {
            for (id, subs) in &reg.objects[kind.index()] {
                if subs.iter().any(|s| s.last_seq > seq) {
                    continue;
                }
                let seen_by_stream = subs.iter().any(|s| s.last_seq > 0);
                let seen_by_any = known_index(kind)
                    .and_then(|k| reg.known[k].get(id))
                    .is_some_and(|first| *first <= seq);
                if seen_by_stream || seen_by_any {
                    out.push((kind, id.to_string()));
                }
            }
        }
        out
    }

    /// After a resync at `seq` read that the applications hold `channels` and `bridges`: returns those no event
    /// named at or before `seq` (sorted: they appeared during the gap), and forgets known objects the
    /// applications no longer hold that no event named since.
    pub(crate) fn forget_known_before(
        &self,
        seq: u64,
        channels: &std::collections::HashSet<String>,
        bridges: &std::collections::HashSet<String>,
    ) -> (Vec<String>, Vec<String>) {
        let mut reg = self.lock();
        let mut appeared = [Vec::new(), Vec::new()];
        for (k, now) in [channels, bridges].into_iter().enumerate() {
            let known = &mut reg.known[k];
            appeared[k] = now
                .iter()
                .filter(|id| known.get(id.as_str()).is_none_or(|first| *first > seq))
                .cloned()
                .collect();
            appeared[k].sort();
            known.retain(|id, first| *first > seq || now.contains(&**id));
            for id in now {
                known.entry(id.as_str().into()).or_insert(seq);
            }
        }
        let [channels, bridges] = appeared;
        (channels, bridges)
    }

    /// Ends the streams of the objects `report` found ended (those named by no event after `seq`) with
    /// [`Item::EndedInGap`], then gives `report` to every broad subscriber.
    pub(crate) fn apply_resync(&self, seq: u64, report: Resync) {
        let mut reg = self.lock();
        for ended in &report.ended {
            let kind = ended.kind;
            if let Some(k) = known_index(kind) {
                reg.known[k].remove(ended.id.as_str());
            }
            let map = &mut reg.objects[kind.index()];
            let Some(subs) = map.get_mut(ended.id.as_str()) else {
                continue;
            };
            subs.retain(|sub| {
                if sub.last_seq > seq {
                    return true;
                }
                sub.queue.push_sized(Item::EndedInGap(ended.clone()), 0);
                sub.queue.finish(None);
                false
            });
            if subs.is_empty() {
                map.remove(ended.id.as_str());
            }
        }
        let report = Arc::new(report);
        for sub in &reg.broad {
            sub.queue.push_sized(Item::Resync(Arc::clone(&report)), 0);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry<E>> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn subscribe(&self, filter: Filter<E>) -> (SubKey, Arc<Queue<E>>) {
        let queue = Arc::new(Queue::with_limits(self.capacity, self.max_bytes));
        let since = Instant::now();
        let mut reg = self.lock();
        let id = reg.next_id;
        reg.next_id += 1;
        if let Some(closed) = &reg.closed {
            queue.finish(closed.clone());
            return (SubKey::Broad(id), queue);
        }
        let key = match filter {
            Filter::All | Filter::Matching(_) | Filter::Spawning(..) => {
                let (predicate, spawn) = match filter {
                    Filter::Matching(p) => (Some(Arc::new(p)), None),
                    Filter::Spawning(f, list) => (None, Some((Arc::new(f), list))),
                    _ => (None, None),
                };
                reg.broad.push(BroadSub {
                    id,
                    predicate,
                    spawn,
                    queue: Arc::clone(&queue),
                    since,
                });
                SubKey::Broad(id)
            }
            Filter::Object(kind, object_id) => {
                reg.add_object(kind, &object_id, id, Arc::clone(&queue), since, 0);
                SubKey::Object(id, kind, object_id)
            }
        };
        (key, queue)
    }

    pub(crate) fn unsubscribe(&self, key: &SubKey) {
        let mut reg = self.lock();
        match key {
            SubKey::Broad(id) => {
                let removed = reg
                    .broad
                    .iter()
                    .position(|s| s.id == *id)
                    .map(|at| reg.broad.remove(at));
                // The filter (user code, which may own streams of this hub) is dropped without the lock.
                drop(reg);
                drop(removed);
            }
            SubKey::Object(id, kind, object_id) => {
                let map = &mut reg.objects[kind.index()];
                if let Some(subs) = map.get_mut(object_id) {
                    subs.retain(|s| s.id != *id);
                    if subs.is_empty() {
                        map.remove(object_id);
                    }
                }
            }
        }
    }

    pub(crate) fn subscription_count(&self) -> usize {
        let reg = self.lock();
        reg.broad.len()
            + reg
                .objects
                .iter()
                .flat_map(|m| m.values())
                .map(Vec::len)
                .sum::<usize>()
    }

    /// A snapshot of the connection's health (the state is added by the handle).
    pub(crate) fn health(&self, state: ConnectionState) -> Health {
        let seen = *self.stats.seen();
        let subscribers: Vec<SubscriberHealth> = {
            let reg = self.lock();
            let broad = reg.broad.iter().map(|s| {
                let filter = if s.predicate.is_some() {
                    "matching"
                } else {
                    "all"
                };
                subscriber_health(s.id, filter.to_owned(), &s.queue)
            });
            let objects = ObjectKind::ALL.iter().flat_map(|kind| {
                reg.objects[kind.index()]
                    .iter()
                    .flat_map(move |(id, subs)| {
                        subs.iter().map(move |s| {
                            subscriber_health(s.id, format!("{} {id}", kind.as_str()), &s.queue)
                        })
                    })
            });
            broad.chain(objects).collect()
        };
        Health::new(
            state,
            self.stats.apps.clone(),
            seen.last_message,
            seen.last_pong,
            seen.reconnects,
            subscribers,
        )
    }

    /// Delivers one decoded event to every subscriber it concerns.
    ///
    /// Filters run without the lock (on a snapshot of the broad subscriptions: one taken while this runs sees the
    /// next event first), so a filter may use the hub — count its subscriptions, own one of its streams. Only the
    /// connection task dispatches, so order is kept.
    pub(crate) fn dispatch_event(&self, event: Arc<E>, bytes: usize) {
        type Broad<E> = (
            u64,
            Option<Arc<Predicate<E>>>,
            Option<(Arc<SpawnFn<E>>, SpawnedList<E>)>,
            Arc<Queue<E>>,
        );
        let broad: Vec<Broad<E>> = self
            .lock()
            .broad
            .iter()
            .map(|s| {
                (
                    s.id,
                    s.predicate.clone(),
                    s.spawn.clone(),
                    Arc::clone(&s.queue),
                )
            })
            .collect();
        let mut panicked = Vec::new();
        let mut spawned: Vec<(SpawnedList<E>, ObjectKind, Box<str>)> = Vec::new();
        for (id, predicate, spawn, queue) in &broad {
            let wanted = match (predicate, spawn) {
                (None, None) => true,
                (Some(p), _) => match catch_unwind(AssertUnwindSafe(|| p(&event))) {
                    Ok(w) => w,
                    Err(_) => {
                        panicked.push(*id);
                        false
                    }
                },
                (None, Some((spawn, list))) => {
                    match catch_unwind(AssertUnwindSafe(|| spawn(&event))) {
                        Ok(Some((kind, object_id))) => {
                            spawned.push((Arc::clone(list), kind, object_id));
                            true
                        }
                        Ok(None) => false,
                        Err(_) => {
                            panicked.push(*id);
                            false
                        }
                    }
                }
            };
            if wanted {
                queue.push_sized(Item::Event(Arc::clone(&event)), bytes);
            }
        }
        // The last reference to a filter unsubscribed meanwhile may be here: dropped without the lock.
        drop(broad);

        let mut guard = self.lock();
        let reg = &mut *guard;
        let removed: Vec<BroadSub<E>> = if panicked.is_empty() {
            Vec::new()
        } else {
            let (gone, kept) = std::mem::take(&mut reg.broad)
                .into_iter()
                .partition(|s| panicked.contains(&s.id));
            reg.broad = kept;
            gone
        };
        for sub in &removed {
            sub.queue.finish(Some(EventsError::FilterPanicked));
        }
        reg.seq += 1;
        let seq = reg.seq;
        if self.track_known {
            let ev: &E = &event;
            track(
                &mut reg.known,
                seq,
                &mut |visit| ev.for_each_object(visit),
                &|object| ev.ends_object(object),
            );
        }
        for (list, kind, object_id) in spawned {
            let id = reg.next_id;
            reg.next_id += 1;
            let queue = Arc::new(Queue::with_limits(self.capacity, self.max_bytes));
            // Not the event that spawned it: the new stream starts right after it (`seq`).
            reg.add_object(
                kind,
                &object_id,
                id,
                Arc::clone(&queue),
                Instant::now(),
                seq,
            );
            list.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back(Spawned {
                    kind,
                    id: object_id.clone(),
                    key: SubKey::Object(id, kind, object_id),
                    queue,
                });
        }

        if reg.objects.iter().all(HashMap::is_empty) {
            drop(guard);
            drop(removed);
            return;
        }
        let ev: &E = &event;
        deliver_to_objects(
            &mut reg.objects,
            seq,
            &mut |visit| ev.for_each_object(visit),
            &|object| ev.ends_object(object),
            &|| Item::Event(Arc::clone(&event)),
            bytes,
        );
        drop(guard);
        drop(removed);
    }

    /// Delivers a non-terminal error for a message that could not be decoded as `E`.
    ///
    /// When the message is still JSON with a `type` (`raw`: a known event whose shape changed, say), it is routed
    /// by the ids that can be read: every broad subscriber gets the error (its filter cannot judge an event it does
    /// not have), and a per-object subscriber only if the message names its object — and its stream then ends if
    /// the message's type ends the object ([`ends_by_default`]), so a stream whose end event failed to decode still
    /// ends. Otherwise (not JSON) every subscriber gets it: it may have concerned any. The error keeps the text.
    pub(crate) fn dispatch_undecodable(&self, error: EventsError, raw: Option<&RawEvent>) {
        let bytes = match &error {
            EventsError::Decode { text, .. } => text.len(),
            _ => 0,
        };
        let mut guard = self.lock();
        let Some(raw) = raw else {
            for q in all_queues(&guard) {
                q.push_sized(Item::Error(error.clone()), bytes);
            }
            return;
        };
        let reg = &mut *guard;
        for sub in &reg.broad {
            sub.queue.push_sized(Item::Error(error.clone()), bytes);
        }
        reg.seq += 1;
        let seq = reg.seq;
        deliver_to_objects(
            &mut reg.objects,
            seq,
            &mut |visit| raw.for_each_object(visit),
            &|object| ends_by_default(raw.type_name(), object.kind),
            &|| Item::Error(error.clone()),
            bytes,
        );
    }

    /// Tells every subscriber that events may be missing between `lost` (when the connection was lost) and `now`.
    pub(crate) fn dispatch_gap(&self, lost: Instant, lost_at: SystemTime, now: Instant) {
        let reg = self.lock();
        let gap_for = |since: Instant| {
            let start = lost.max(since);
            let shifted = lost_at + start.saturating_duration_since(lost);
            Gap::new(start, shifted, now)
        };
        for sub in &reg.broad {
            sub.queue.push_gap(gap_for(sub.since));
        }
        for subs in reg.objects.iter().flat_map(|m| m.values()) {
            for sub in subs {
                sub.queue.push_gap(gap_for(sub.since));
            }
        }
    }

    /// Ends every stream (after its buffered items, with `error` if any) and every later subscription.
    pub(crate) fn close(&self, error: Option<EventsError>) {
        let mut reg = self.lock();
        for q in all_queues(&reg) {
            q.finish(error.clone());
        }
        let broad = std::mem::take(&mut reg.broad);
        for m in &mut reg.objects {
            m.clear();
        }
        reg.closed = Some(error);
        // Filters are dropped without the lock.
        drop(reg);
        drop(broad);
    }
}

/// The per-object subscriptions, by kind, then id.
type Objects<E> = [HashMap<Box<str>, Vec<ObjectSub<E>>>; 4];

/// Where `Registry::known` keeps objects of `kind`: channels and bridges only.
fn known_index(kind: ObjectKind) -> Option<usize> {
    match kind {
        ObjectKind::Channel => Some(0),
        ObjectKind::Bridge => Some(1),
        _ => None,
    }
}

/// Records the channels and bridges of one message (at `seq`) in `known`: added when named, removed when ended.
fn track<'a>(
    known: &mut [HashMap<Box<str>, u64>; 2],
    seq: u64,
    visit_all: &mut VisitAll<'_, 'a>,
    ends: &dyn Fn(ObjectRef<'a>) -> bool,
) {
    visit_all(&mut |object| {
        let Some(k) = known_index(object.kind) else {
            return;
        };
        if ends(object) {
            known[k].remove(object.id);
        } else if !known[k].contains_key(object.id) {
            known[k].insert(object.id.into(), seq);
        }
    });
}

/// Calls its argument for every object of one message (`for_each_object` of the payload).
type VisitAll<'f, 'a> = dyn FnMut(&mut dyn FnMut(ObjectRef<'a>)) + 'f;

/// Pushes `item()` to every subscriber of the objects `visit_all` visits (once per message, even for an object
/// named twice: `seq`), ends the streams of the objects for which `ends` holds, and forgets those subscriptions.
fn deliver_to_objects<'a, E: Clone>(
    objects: &mut Objects<E>,
    seq: u64,
    visit_all: &mut VisitAll<'_, 'a>,
    ends: &dyn Fn(ObjectRef<'a>) -> bool,
    item: &dyn Fn() -> Item<E>,
    bytes: usize,
) {
    let mut ended: Vec<(ObjectKind, Box<str>)> = Vec::new();
    visit_all(&mut |object| {
        let Some(subs) = objects[object.kind.index()].get_mut(object.id) else {
            return;
        };
        let ends = ends(object);
        for sub in subs.iter_mut() {
            if sub.last_seq != seq {
                sub.last_seq = seq;
                sub.queue.push_sized(item(), bytes);
            }
            if ends {
                sub.queue.finish(None);
            }
        }
        if ends {
            ended.push((object.kind, object.id.into()));
        }
    });
    for (kind, id) in ended {
        objects[kind.index()].remove(&id);
    }
}

fn subscriber_health<E: Clone>(id: u64, filter: String, queue: &Queue<E>) -> SubscriberHealth {
    let (queued, dropped) = queue.load();
    SubscriberHealth {
        id,
        filter,
        queued,
        dropped,
    }
}

fn all_queues<E>(reg: &Registry<E>) -> impl Iterator<Item = &Arc<Queue<E>>> {
    reg.broad.iter().map(|s| &s.queue).chain(
        reg.objects
            .iter()
            .flat_map(|m| m.values())
            .flat_map(|subs| subs.iter().map(|s| &s.queue)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{RawEvent, StreamItem};

    fn raw(json: &str) -> Arc<RawEvent> {
        Arc::new(RawEvent::decode(json).unwrap())
    }

    fn drain(q: &Queue<RawEvent>) -> Vec<String> {
        let (items, ended) = q.ready_items();
        let mut out: Vec<String> = items
            .into_iter()
            .map(|item| match item {
                Ok(StreamItem::Event(e)) => e.type_name().to_owned(),
                Ok(other) => format!("{other:?}"),
                Err(e) => format!("err {e}"),
            })
            .collect();
        if ended {
            out.push("end".into());
        }
        out
    }

    #[test]
    fn exact_ids_and_auto_end() {
        let hub = Hub::<RawEvent>::new(16);
        let (_k1, abc) = hub.subscribe(Filter::Object(ObjectKind::Channel, "abc".into()));
        let (_k2, abcd) = hub.subscribe(Filter::Object(ObjectKind::Channel, "abcd".into()));
        let (_k3, bridge_abc) = hub.subscribe(Filter::Object(ObjectKind::Bridge, "abc".into()));
        hub.dispatch_event(raw(r#"{"type":"StasisStart","channel":{"id":"abcd"}}"#), 0);
        hub.dispatch_event(raw(r#"{"type":"ChannelVarset","channel":{"id":"abc"}}"#), 0);
        hub.dispatch_event(raw(r#"{"type":"StasisStart","channel":{"id":"ab"}}"#), 0);
        hub.dispatch_event(
            raw(r#"{"type":"Dial","caller":{"id":"abc"},"peer":{"id":"abc"}}"#),
            0,
        );
        hub.dispatch_event(raw(r#"{"type":"StasisEnd","channel":{"id":"abc"}}"#), 0);
        hub.dispatch_event(
            raw(r#"{"type":"ChannelDestroyed","channel":{"id":"abc"}}"#),
            0,
        );
        assert_eq!(drain(&abc), ["ChannelVarset", "Dial", "StasisEnd", "end"]);
        assert_eq!(drain(&abcd), ["StasisStart"]);
        assert!(drain(&bridge_abc).is_empty());
        assert_eq!(
            hub.subscription_count(),
            2,
            "the ended subscription is gone"
        );
    }

    #[test]
    fn a_panicking_filter_ends_only_its_subscription() {
        let hub = Hub::<RawEvent>::new(16);
        let (_k1, bad) = hub.subscribe(Filter::Matching(Box::new(|e: &RawEvent| {
            assert!(e.type_name() != "Boom", "user bug");
            true
        })));
        let (_k2, all) = hub.subscribe(Filter::All);
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        hub.dispatch_event(raw(r#"{"type":"A"}"#), 0);
        hub.dispatch_event(raw(r#"{"type":"Boom"}"#), 0);
        hub.dispatch_event(raw(r#"{"type":"C"}"#), 0);
        std::panic::set_hook(prev);
        let b = drain(&bad);
        assert_eq!(b[0], "A");
        assert!(b[1].starts_with("err the subscription's filter panicked"));
        assert_eq!(b[2], "end");
        assert_eq!(drain(&all), ["A", "Boom", "C"]);
    }

    #[test]
    fn a_spawning_subscription_follows_the_object_from_right_after_the_spawning_event() {
        let hub = Hub::<RawEvent>::new(16);
        let list: SpawnedList<RawEvent> = Arc::default();
        let spawn: SpawnFn<RawEvent> = Box::new(|e: &RawEvent| {
            (e.type_name() == "StasisStart").then(|| {
                let id = e
                    .get("channel")
                    .and_then(|c| c.get("id"))
                    .and_then(|i| i.as_str());
                (ObjectKind::Channel, id.unwrap_or_default().into())
            })
        });
        let (_k, starts) = hub.subscribe(Filter::Spawning(spawn, Arc::clone(&list)));
        hub.dispatch_event(raw(r#"{"type":"ChannelVarset","channel":{"id":"c1"}}"#), 0);
        hub.dispatch_event(raw(r#"{"type":"StasisStart","channel":{"id":"c1"}}"#), 0);
        // Dispatched before anyone could react to the StasisStart: still in the spawned stream.
        hub.dispatch_event(
            raw(r#"{"type":"ChannelStateChange","channel":{"id":"c1"}}"#),
            0,
        );
        hub.dispatch_event(
            raw(r#"{"type":"ChannelDtmfReceived","channel":{"id":"c2"}}"#),
            0,
        );
        hub.dispatch_event(raw(r#"{"type":"StasisEnd","channel":{"id":"c1"}}"#), 0);
        assert_eq!(drain(&starts), ["StasisStart"]);
        let spawned = list
            .lock()
            .unwrap()
            .pop_front()
            .expect("one spawned subscription");
        assert_eq!(&*spawned.id, "c1");
        assert_eq!(
            drain(&spawned.queue),
            ["ChannelStateChange", "StasisEnd", "end"]
        );
        assert_eq!(
            hub.subscription_count(),
            1,
            "the ended per-object subscription is gone"
        );
    }

    #[test]
    fn unsubscribe_and_close() {
        let hub = Hub::<RawEvent>::new(16);
        let (k1, _q1) = hub.subscribe(Filter::Object(ObjectKind::Playback, "p".into()));
        let (k2, _q2) = hub.subscribe(Filter::All);
        assert_eq!(hub.subscription_count(), 2);
        hub.unsubscribe(&k1);
        hub.unsubscribe(&k2);
        assert_eq!(hub.subscription_count(), 0);
        let (_k, q) = hub.subscribe(Filter::All);
        hub.close(Some(EventsError::FilterPanicked));
        assert_eq!(drain(&q)[1], "end");
        let (_k, late) = hub.subscribe(Filter::Object(ObjectKind::Bridge, "b".into()));
        assert_eq!(
            drain(&late).len(),
            2,
            "a late subscription ends at once with the error"
        );
        assert_eq!(hub.subscription_count(), 0);
    }
}
