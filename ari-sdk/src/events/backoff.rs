//! Reconnect policy: exponential backoff with jitter, bounded.

use std::time::Duration;

/// How the event stream reconnects after losing its connection.
///
/// Attempt `n` (1-based) waits `min(max_delay, initial_delay × multiplier^(n-1))`, reduced by a random fraction of
/// up to `jitter` (so with the default jitter of 0.5 the wait is between 50 % and 100 % of that value), then
/// connects. After `max_attempts` failed attempts in a row the stream ends with
/// [`EventsError::ReconnectGaveUp`](super::EventsError::ReconnectGaveUp); `None` means never give up.
///
/// The defaults (100 ms, doubling, at most 500 ms, jitter 0.5, unlimited) reconnect within about half a second of
/// the server answering again, however long it was down, which matters for a Stasis application: calls arriving
/// while it is disconnected get no answer. Attempts against a closed port are cheap.
///
/// When an attempt is answered with HTTP 404 or 503 after attempts that were not (the server is back but its ARI
/// is still loading, as when Asterisk restarts), the sequence starts again from `initial_delay`.
///
/// Two rules hold whatever the policy:
///
/// * **Refused credentials end the stream.** Three answers of 401 or 403 in a row (a wrong password, a removed
///   user) end it with [`EventsError::ReconnectGaveUp`](super::EventsError::ReconnectGaveUp) carrying the last
///   rejection, instead of retrying forever.
/// * **The sequence starts again only after a healthy connection.** After a connection that lasted at least 10 s
///   is lost, the next wait is `initial_delay` again; after a shorter one (a server that accepts the upgrade and
///   closes at once) the waits go on growing from where they were.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    initial_delay: Duration,
    max_delay: Duration,
    multiplier: f64,
    jitter: f64,
    max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            multiplier: 2.0,
            jitter: 0.5,
            max_attempts: None,
        }
    }
}

impl ReconnectPolicy {
    /// Never reconnect: the stream ends when the connection is lost.
    pub fn never() -> Self {
        ReconnectPolicy::default().max_attempts(Some(0))
    }

    setters! {
        /// The wait before the first attempt (default 100 ms).
        #[must_use]
        initial_delay(delay: Duration) => initial_delay = delay;

        /// The longest wait between two attempts (default 500 ms). A value below `initial_delay` caps it too.
        #[must_use]
        max_delay(delay: Duration) => max_delay = delay;

        /// The growth factor between attempts (default 2). Values below 1 (and NaN) are taken as 1.
        #[must_use]
        multiplier(multiplier: f64) => multiplier = if multiplier >= 1.0 { multiplier } else { 1.0 };
    }

    /// The largest fraction removed at random from each wait, in `0.0..=1.0` (default 0.5). Out-of-range values
    /// are clamped; NaN is taken as 0.
    #[must_use]
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self
    }

    /// How many failed attempts in a row are allowed before giving up; `None` (the default) never gives up,
    /// `Some(0)` never reconnects.
    #[must_use]
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The configured attempt limit.
    pub fn attempt_limit(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The wait before attempt `attempt` (1-based), given `random` in `0.0..1.0` (the jitter draw).
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let cap = self.max_delay.as_secs_f64();
        let exponent = attempt.saturating_sub(1).min(1024) as i32;
        let base = self.initial_delay.as_secs_f64() * self.multiplier.powi(exponent);
        let base = if base.is_finite() { base.min(cap) } else { cap };
        let random = if random.is_nan() {
            0.0
        } else {
            random.clamp(0.0, 1.0)
        };
        let secs = base * (1.0 - self.jitter * random);
        Duration::try_from_secs_f64(secs).unwrap_or(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let p = ReconnectPolicy::default();
        let seq: Vec<_> = (1..=7).map(|n| p.delay(n, 0.0)).collect();
        assert_eq!(
            seq,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(500),
                ms(500),
                ms(500),
                ms(500)
            ]
        );
        assert_eq!(p.delay(u32::MAX, 0.0), ms(500));
        assert_eq!(p.delay(0, 0.0), ms(100));
    }

    #[test]
    fn jitter_reduces_by_at_most_the_fraction() {
        let p = ReconnectPolicy::default().jitter(0.5);
        assert_eq!(p.delay(1, 1.0), ms(50));
        assert_eq!(p.delay(1, 0.5), ms(75));
        for i in 0..1000 {
            let d = p.delay(3, fastrand::f64());
            assert!(d >= ms(200) && d <= ms(400), "{i}: {d:?}");
        }
        let none = ReconnectPolicy::default().jitter(0.0);
        assert_eq!(none.delay(2, 0.99), ms(200));
    }

    #[test]
    fn odd_settings_stay_bounded() {
        let p = ReconnectPolicy::default()
            .multiplier(f64::NAN)
            .jitter(7.0)
            .initial_delay(Duration::from_secs(5))
            .max_delay(ms(10));
        assert_eq!(p.delay(1, 0.0), ms(10));
        assert_eq!(p.delay(9, 1.0), Duration::ZERO);
        let huge = ReconnectPolicy::default()
            .multiplier(1e300)
            .max_delay(Duration::MAX);
        assert!(huge.delay(50, 0.0) <= Duration::MAX);
        assert_eq!(
            ReconnectPolicy::never().attempt_limit(),
            Some(0),
            "never() reconnects zero times"
        );
    }
}
