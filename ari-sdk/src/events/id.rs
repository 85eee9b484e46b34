//! Client-chosen ids for subscribe-before-create.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new id for a channel, bridge, playback or recording that the client names itself (`channelId` of
/// originate/create, `bridgeId`, `playbackId`, a recording `name`), so its event stream can be taken before the
/// request is sent.
///
/// Unique within the process (a counter) and, in practice, across processes and restarts (milliseconds since
/// 1970 plus 64 random bits). Only `[0-9a-f-]`, so it needs no escaping in a URL path, and short (at most 46
/// characters). Example: `19abf3c2d41-0-5f0c6a9e2b7d4c13`.
///
/// No id it makes is a prefix of another (the last part always has 16 digits). That matters: Asterisk refuses
/// to create a channel whose id is a prefix of an existing channel's (`POST /channels/abc` answers 409 "Channel
/// with given unique ID already exists" while `abc-1` exists), so ids that extend one another can fail to
/// originate depending on the order they are created in.
pub fn unique_id() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{millis:x}-{n:x}-{:016x}", fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_plain() {
        let ids: Vec<String> = (0..10_000).map(|_| unique_id()).collect();
        let set: HashSet<&String> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
        for id in &ids {
            assert!(id.len() <= 46, "{id}");
            assert!(
                id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'),
                "{id}"
            );
        }
        // prefix-free, including across a change in the counter's number of digits
        let mut sorted = ids.clone();
        sorted.sort();
        for pair in sorted.windows(2) {
            assert!(!pair[1].starts_with(&pair[0]), "{} / {}", pair[0], pair[1]);
        }
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..1000).map(|_| unique_id()).collect::<Vec<_>>()))
            .collect();
        let mut all = HashSet::new();
        for t in threads {
            for id in t.join().unwrap() {
                assert!(all.insert(id));
            }
        }
    }
}
