//! Record what the caller says ([`Record`], [`record`](fn@record)).

use std::time::Duration;

use futures::StreamExt as _;

use super::{Call, CallError};
use crate::enums::{RecordIfExists, RecordTerminateOn};
use crate::events::{into_wait_result, unique_id, EventStream, StreamItem, WaitError};
use crate::models::LiveRecording;
use crate::{ChannelHandle, Event, StoredRecordingHandle};

/// How to record; for [`Call::record`] and [`record`](fn@record).
///
/// Defaults: a fresh name, `wav`, a beep first, terminated by `#`, no maximum duration or silence (set at least
/// one in practice), an existing recording of the same name overwritten, the whole wait bounded by the maximum
/// duration plus 30 s (10 minutes without one).
///
/// ```
/// use std::time::Duration;
/// use ari_sdk::app::Record;
///
/// let message = Record::new()
///     .max_duration(Duration::from_secs(60))
///     .max_silence(Duration::from_secs(3));
/// # let _ = message;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Record {
    name: Option<String>,
    format: String,
    beep: bool,
    max_duration: Option<Duration>,
    max_silence: Option<Duration>,
    terminate_on: RecordTerminateOn,
    if_exists: RecordIfExists,
    timeout: Option<Duration>,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            name: None,
            format: "wav".to_owned(),
            beep: true,
            max_duration: None,
            max_silence: None,
            terminate_on: RecordTerminateOn::Pound,
            if_exists: RecordIfExists::Overwrite,
            timeout: None,
        }
    }
}

impl Record {
    /// The defaults above.
    pub fn new() -> Record {
        Record::default()
    }

    setters! {
        /// The stored recording's name (default: a fresh unique one).
        name(name: impl Into<String>) => name = Some(name.into());

        /// The file format (default `wav`).
        format(format: impl Into<String>) => format = format.into();

        /// Whether a beep is played first (default `true`).
        beep(beep: bool) => beep = beep;

        /// Stop after this long (whole seconds, at least 1).
        max_duration(max: Duration) => max_duration = Some(max);

        /// Stop after this much silence (whole seconds, at least 1).
        max_silence(max: Duration) => max_silence = Some(max);

        /// Which DTMF ends the recording (default `#`).
        terminate_on(on: RecordTerminateOn) => terminate_on = on;

        /// What to do when a recording of that name exists (default: overwrite).
        if_exists(if_exists: RecordIfExists) => if_exists = if_exists;

        /// The longest the whole recording may take before the helper stops it and fails.
        timeout(timeout: Duration) => timeout = Some(timeout);
    }

    fn wait_limit(&self) -> Duration {
        self.timeout.unwrap_or(match self.max_duration {
            Some(max) => max + Duration::from_secs(30),
            None => Duration::from_secs(600),
        })
    }

    fn ends_on(&self, digit: &str) -> bool {
        match &self.terminate_on {
            RecordTerminateOn::None => false,
            RecordTerminateOn::Any => true,
            other => other.as_str() == digit,
        }
    }
}

/// Whole seconds, at least 1 (Asterisk takes seconds; 0 would mean "no limit").
fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs().max(1)).unwrap_or(i64::MAX)
}

/// What ended a recording, as far as the events tell.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordEnd {
    /// The caller keyed this terminating digit.
    Terminator(String),
    /// The channel left the application (hung up).
    HungUp,
    /// The maximum duration or the maximum silence (Asterisk does not say which).
    Limit,
}

/// A finished recording.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Recorded {
    /// The recording as it finished (`duration`, `talking_duration`, `silence_duration` in seconds, when the
    /// server reports them).
    pub recording: LiveRecording,
    /// The stored recording: download it with `get_stored_file()`, delete it with `delete_stored()`.
    pub stored: StoredRecordingHandle,
    /// What ended it.
    pub ended_by: RecordEnd,
}

/// Records `channel` as `spec` says and waits until the recording is stored. `events` is the channel's own stream
/// (`call.events`): it is read meanwhile, so the terminating digit (and any other event of the channel during the
/// recording) is consumed and does not reach the next prompt.
///
/// A recording holds what the channel *receives* — what its far end says, not what is played to it.
///
/// # Errors
///
/// [`CallError::Request`] when the record request fails, [`CallError::RecordingFailed`] on `RecordingFailed`,
/// [`CallError::Wait`] when no `RecordingFinished` comes within the limit (the recording is stopped then) or events
/// were lost.
pub async fn record(
    channel: &ChannelHandle,
    events: &mut EventStream<Event>,
    spec: &Record,
) -> Result<Recorded, CallError> {
    let name = spec.name.clone().unwrap_or_else(unique_id);
    let client = &channel.client;
    let live = client.live_recording(&name);
    let mut recording_events = live.events()?;
    let mut request = channel
        .record(&name, &spec.format)
        .beep(spec.beep)
        .if_exists(spec.if_exists.clone())
        .terminate_on(spec.terminate_on.clone());
    if let Some(max) = spec.max_duration {
        request = request.max_duration_seconds(seconds(max));
    }
    if let Some(max) = spec.max_silence {
        request = request.max_silence_seconds(seconds(max));
    }
    request.await?;
    let limit = spec.wait_limit();
    let deadline = tokio::time::Instant::now() + limit;
    let awaited = recording_events.awaited("RecordingFinished");
    let mut hung_up = false;
    let mut channel_open = true;
    // Which digit ended the recording: a terminating digit whose event lies between RecordingStarted and
    // RecordingFinished (by the events' timestamps). The channel's stream is polled first, so every digit
    // dispatched before the RecordingFinished has been read when it is handled.
    let mut digits: Vec<(crate::Timestamp, String)> = Vec::new();
    let mut started_at: Option<crate::Timestamp> = None;
    loop {
        let channel_event = async {
            if channel_open {
                events.next().await
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            biased;
            item = channel_event => match item {
                Some(Ok(StreamItem::Event(Event::ChannelDtmfReceived(dtmf)))) if spec.ends_on(&dtmf.digit) => {
                    digits.push((dtmf.timestamp, dtmf.digit));
                }
                Some(Ok(StreamItem::Event(Event::StasisEnd(_) | Event::ChannelDestroyed(_)))) => hung_up = true,
                None => channel_open = false,
                Some(_) => {}
            },
            item = recording_events.next() => match into_wait_result(item, &awaited)? {
                Some(Event::RecordingStarted(started)) => started_at = Some(started.timestamp),
                Some(Event::RecordingFinished(finished)) => {
                    let terminator = digits.into_iter().find(|(at, _)| {
                        started_at.is_none_or(|started| *at >= started) && *at <= finished.timestamp
                    });
                    let ended_by = match terminator {
                        Some((_, digit)) => RecordEnd::Terminator(digit),
                        None if hung_up => RecordEnd::HungUp,
                        None => RecordEnd::Limit,
                    };
                    return Ok(Recorded {
                        recording: finished.recording,
                        stored: client.stored_recording(&name),
                        ended_by,
                    });
                }
                Some(Event::RecordingFailed(failed)) => {
                    return Err(CallError::RecordingFailed(Box::new(failed.recording)));
                }
                _ => {}
            },
            () = tokio::time::sleep_until(deadline) => {
                let _ = tokio::time::timeout(crate::flows::UNDO_TIMEOUT, live.stop().send()).await;
                return Err(CallError::Wait(WaitError::Timeout { awaited, timeout: limit }));
            }
        }
    }
}

impl Call {
    /// Records this call; see [`record`](fn@record).
    ///
    /// # Errors
    ///
    /// As [`record`](fn@record).
    pub async fn record(&mut self, spec: Record) -> Result<Recorded, CallError> {
        record(&self.channel, &mut self.events, &spec).await
    }
}
