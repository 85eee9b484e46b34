//! One subscriber's bounded buffer.
//!
//! Holds at most `capacity` items. When a new item arrives at a full buffer the *oldest* item is dropped and
//! counted; the count is handed to the subscriber as a `Lagged` item in the place of the dropped items, so order
//! is kept and nothing disappears silently. Gap markers (after a reconnect) are not items: they are attached to the
//! position where they happened and merged when a subscriber falls so far behind that the items between two gaps
//! were dropped. Memory is bounded by `capacity` items and by `max_bytes` of their wire size (an item bigger than
//! that on its own is still kept, alone), plus one small marker per item.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::error::EventsError;
use super::resync::{EndedInGap, Resync};
use super::stream::{Gap, StreamItem};

/// What the subscriber missed right before an item (or at the end of the buffer).
#[derive(Debug, Default)]
struct Missed {
    gap: Option<Gap>,
    lagged: u64,
}

impl Missed {
    fn is_empty(&self) -> bool {
        self.gap.is_none() && self.lagged == 0
    }

    /// `self` happened before `later`.
    fn then(self, later: Missed) -> Missed {
        let gap = match (self.gap, later.gap) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, b) => a.or(b),
        };
        Missed {
            gap,
            lagged: self.lagged.saturating_add(later.lagged),
        }
    }
}

/// A buffered item.
pub(crate) enum Item<E> {
    Event(Arc<E>),
    Error(EventsError),
    /// What a resync after a gap found (broad subscribers).
    Resync(Arc<Resync>),
    /// The object of a per-object stream ended while the socket was down (its last item).
    EndedInGap(EndedInGap),
}

struct Slot<E> {
    missed: Missed,
    item: Item<E>,
    /// The item's size on the wire, counted against `max_bytes`.
    bytes: usize,
}

enum End {
    Open,
    /// Ends after the buffered items, with `None`.
    Finished,
    /// Ends after the buffered items, with this error and then `None`.
    Failed(EventsError),
    /// The end was delivered.
    Done,
}

struct State<E> {
    slots: VecDeque<Slot<E>>,
    /// The sum of the buffered slots' `bytes`.
    bytes: usize,
    /// How many items were dropped since the queue was made (the subscriber's lag total).
    dropped: u64,
    tail: Missed,
    waker: Option<Waker>,
    end: End,
}

pub(crate) struct Queue<E> {
    capacity: usize,
    max_bytes: usize,
    state: Mutex<State<E>>,
}

/// The default bound on the wire size of what one subscriber may have waiting: 16 MiB. Asterisk's events are
/// small (a few KiB); this keeps a stalled subscriber of a connection carrying unusually large messages (up to the
/// 64 MiB message limit each) from holding gigabytes.
pub(crate) const DEFAULT_MAX_BYTES: usize = 16 << 20;

impl<E: Clone> Queue<E> {
    #[cfg(test)]
    pub(crate) fn new(capacity: usize) -> Self {
        Queue::with_limits(capacity, DEFAULT_MAX_BYTES)
    }

    /// A queue holding at most `capacity` items (at least 1) and `max_bytes` of their wire size.
    pub(crate) fn with_limits(capacity: usize, max_bytes: usize) -> Self {
        Queue {
            capacity: capacity.max(1),
            max_bytes,
            state: Mutex::new(State {
                bytes: 0,
                dropped: 0,
                slots: VecDeque::new(),
                tail: Missed::default(),
                waker: None,
                end: End::Open,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<E>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends an item of no counted size (see [`Queue::push_sized`]).
    #[cfg(test)]
    pub(crate) fn push(&self, item: Item<E>) {
        self.push_sized(item, 0);
    }

    /// Appends an item of `bytes` on the wire, dropping the oldest while the queue would hold more than `capacity`
    /// items or `max_bytes`. Wakes the subscriber.
    pub(crate) fn push_sized(&self, item: Item<E>, bytes: usize) {
        let waker = {
            let mut s = self.lock();
            if !matches!(s.end, End::Open) {
                return;
            }
            let mut before = std::mem::take(&mut s.tail);
            while s.slots.len() >= self.capacity
                || (!s.slots.is_empty() && s.bytes.saturating_add(bytes) > self.max_bytes)
            {
                let Some(oldest) = s.slots.pop_front() else {
                    break;
                };
                s.bytes -= oldest.bytes;
                s.dropped += 1;
                let dropped = oldest.missed.then(Missed {
                    gap: None,
                    lagged: 1,
                });
                match s.slots.front_mut() {
                    Some(front) => front.missed = dropped.then(std::mem::take(&mut front.missed)),
                    None => before = dropped.then(before),
                }
            }
            s.bytes += bytes;
            s.slots.push_back(Slot {
                missed: before,
                item,
                bytes,
            });
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Records a gap at the current end of the buffer.
    pub(crate) fn push_gap(&self, gap: Gap) {
        let waker = {
            let mut s = self.lock();
            if !matches!(s.end, End::Open) {
                return;
            }
            let tail = std::mem::take(&mut s.tail);
            s.tail = tail.then(Missed {
                gap: Some(gap),
                lagged: 0,
            });
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Ends the stream after what is buffered: with `None`, or with `error` and then `None`.
    pub(crate) fn finish(&self, error: Option<EventsError>) {
        let waker = {
            let mut s = self.lock();
            if !matches!(s.end, End::Open) {
                return;
            }
            s.end = match error {
                Some(e) => End::Failed(e),
                None => End::Finished,
            };
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// How many items are buffered.
    pub(crate) fn len(&self) -> usize {
        self.lock().slots.len()
    }

    /// How many items are buffered, and how many were dropped in all.
    pub(crate) fn load(&self) -> (usize, u64) {
        let s = self.lock();
        (s.slots.len(), s.dropped)
    }

    /// Whether the end was delivered.
    #[cfg(test)]
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.lock().end, End::Done)
    }

    pub(crate) fn poll_pop(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<StreamItem<E>, EventsError>>> {
        let mut s = self.lock();
        let s = &mut *s;
        if let Some(front) = s.slots.front_mut() {
            if let Some(missed) = take_missed(&mut front.missed) {
                return Poll::Ready(Some(Ok(missed)));
            }
            if let Some(slot) = s.slots.pop_front() {
                s.bytes -= slot.bytes;
                return Poll::Ready(Some(match slot.item {
                    Item::Event(e) => Ok(StreamItem::Event(Arc::unwrap_or_clone(e))),
                    Item::Error(e) => Err(e),
                    Item::Resync(r) => Ok(StreamItem::Resync(Arc::unwrap_or_clone(r))),
                    Item::EndedInGap(e) => Ok(StreamItem::EndedInGap(e)),
                }));
            }
        }
        if let Some(missed) = take_missed(&mut s.tail) {
            return Poll::Ready(Some(Ok(missed)));
        }
        match std::mem::replace(&mut s.end, End::Done) {
            End::Open => {
                s.end = End::Open;
                match &mut s.waker {
                    Some(w) => w.clone_from(cx.waker()),
                    None => s.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            End::Finished | End::Done => Poll::Ready(None),
            End::Failed(e) => Poll::Ready(Some(Err(e))),
        }
    }
}

fn take_missed<E>(missed: &mut Missed) -> Option<StreamItem<E>> {
    if missed.is_empty() {
        return None;
    }
    if let Some(gap) = missed.gap.take() {
        return Some(StreamItem::Gap(gap));
    }
    let n = std::mem::take(&mut missed.lagged);
    Some(StreamItem::Lagged { missed: n })
}

/// For the tests of the queue and of the hub: pops everything the queue holds right now, without
/// waiting, and says whether it has ended (rather than waiting for more).
#[cfg(test)]
impl<E: Clone> Queue<E> {
    pub(super) fn ready_items(&self) -> (Vec<Result<StreamItem<E>, EventsError>>, bool) {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut items = Vec::new();
        loop {
            match self.poll_pop(&mut cx) {
                Poll::Pending => return (items, false),
                Poll::Ready(None) => return (items, true),
                Poll::Ready(Some(item)) => items.push(item),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};
    use tokio::time::Instant;

    fn drain(q: &Queue<u32>) -> Vec<String> {
        let (items, ended) = q.ready_items();
        let mut out: Vec<String> = items
            .into_iter()
            .map(|item| match item {
                Ok(StreamItem::Event(e)) => e.to_string(),
                Ok(StreamItem::Gap(g)) => {
                    format!("gap{}x{}ms", g.outages(), g.duration().as_millis())
                }
                Ok(StreamItem::Lagged { missed }) => format!("lag{missed}"),
                Ok(other) => format!("{other:?}"),
                Err(e) => format!("err:{e}"),
            })
            .collect();
        out.push(if ended { "end" } else { "pending" }.to_owned());
        out
    }

    fn ev(n: u32) -> Item<u32> {
        Item::Event(Arc::new(n))
    }

    fn gap(start: Instant, ms: u64) -> Gap {
        Gap::new(
            start,
            SystemTime::UNIX_EPOCH,
            start + Duration::from_millis(ms),
        )
    }

    #[test]
    fn in_order_under_capacity() {
        let q = Queue::new(4);
        for i in 0..3 {
            q.push(ev(i));
        }
        assert_eq!(drain(&q), ["0", "1", "2", "pending"]);
        q.finish(None);
        q.push(ev(9));
        assert_eq!(drain(&q), ["end"]);
        assert!(q.is_done());
    }

    #[test]
    fn overflow_drops_oldest_and_reports_the_count_in_place() {
        let q = Queue::new(3);
        for i in 0..10 {
            q.push(ev(i));
            assert!(q.len() <= 3);
        }
        assert_eq!(drain(&q), ["lag7", "7", "8", "9", "pending"]);
        // a partially drained queue overflows again
        for i in 10..15 {
            q.push(ev(i));
        }
        assert_eq!(drain(&q), ["lag2", "12", "13", "14", "pending"]);
    }

    #[test]
    fn overflow_by_bytes_drops_oldest_too_and_keeps_an_oversized_item_alone() {
        let q = Queue::with_limits(1024, 350);
        for i in 0..10 {
            q.push_sized(ev(i), 100);
            assert!(
                q.len() <= 3,
                "{} items of 100 bytes buffered under a 350-byte bound",
                q.len()
            );
        }
        assert_eq!(drain(&q), ["lag7", "7", "8", "9", "pending"]);
        q.push_sized(ev(10), 100);
        q.push_sized(ev(11), 1000);
        assert_eq!(
            q.len(),
            1,
            "an item over the bound on its own is kept, alone"
        );
        q.push_sized(ev(12), 10);
        assert_eq!(drain(&q), ["lag2", "12", "pending"]);
    }

    #[test]
    fn capacity_one_still_reports() {
        let q = Queue::new(0); // clamped to 1
        for i in 0..5 {
            q.push(ev(i));
        }
        assert_eq!(drain(&q), ["lag4", "4", "pending"]);
    }

    #[test]
    fn gaps_keep_their_place_and_merge_when_in_between_was_dropped() {
        let t0 = Instant::now();
        let q = Queue::new(2);
        q.push(ev(1));
        q.push_gap(gap(t0, 100));
        q.push(ev(2));
        assert_eq!(drain(&q), ["1", "gap1x100ms", "2", "pending"]);

        q.push_gap(gap(t0, 50));
        assert_eq!(drain(&q), ["gap1x50ms", "pending"]);

        // subscriber asleep: two outages with events between them, all but the last 2 events dropped
        q.push(ev(1));
        q.push_gap(gap(t0, 10));
        q.push(ev(2));
        q.push_gap(gap(t0 + Duration::from_millis(20), 10));
        q.push(ev(3));
        q.push(ev(4));
        assert_eq!(drain(&q), ["gap2x30ms", "lag2", "3", "4", "pending"]);
    }

    #[test]
    fn errors_are_items_and_the_end_error_comes_last() {
        let q = Queue::new(8);
        q.push(ev(1));
        q.push(Item::Error(EventsError::FilterPanicked));
        q.push(ev(2));
        q.finish(Some(EventsError::PingTimeout {
            timeout: Duration::from_secs(1),
        }));
        let out = drain(&q);
        assert_eq!(out.len(), 5, "{out:?}");
        assert_eq!(out[0], "1");
        assert!(out[1].starts_with("err:the subscription"));
        assert_eq!(out[2], "2");
        assert!(out[3].starts_with("err:no answer to a ping"));
        assert_eq!(out[4], "end");
        assert_eq!(drain(&q), ["end"]);
    }
}
