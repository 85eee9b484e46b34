//! [`CallError`]: why a call helper did not get its result.

use crate::events::{EventsError, WaitError};
use crate::flows::FlowError;
use crate::models::{LiveRecording, Playback};

/// Why a helper of [`Call`](super::Call) failed. Outcomes that are part of a call's normal life (no digit
/// pressed, a busy callee, a recording ended by `#`) are results, not errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// A request failed.
    #[error(transparent)]
    Request(#[from] crate::Error),
    /// There is no event connection to follow the call on.
    #[error(transparent)]
    Events(#[from] EventsError),
    /// A wait failed: it ran out of time, events may have been lost, or the stream ended (the channel left the
    /// application — [`CallError::is_hangup`]). The message names what was awaited.
    #[error(transparent)]
    Wait(#[from] WaitError),
    /// A helper of [`flows`](crate::flows) failed.
    #[error(transparent)]
    Flow(Box<FlowError>),
    /// A prompt ended in state `failed` (for example the sound does not exist).
    #[error("prompt {} ({}) on {} failed", .0.id, .0.media_uri, .0.target_uri)]
    PromptFailed(Box<Playback>),
    /// The recording failed (`RecordingFailed`); `cause` says why when Asterisk does.
    #[error("recording {} on {} failed: {}", .0.name, .0.target_uri, .0.cause.as_deref().unwrap_or("no cause given"))]
    RecordingFailed(Box<LiveRecording>),
    /// The input was refused before anything was sent.
    #[error("{0}")]
    Invalid(String),
}

impl From<FlowError> for CallError {
    fn from(error: FlowError) -> Self {
        CallError::Flow(Box::new(error))
    }
}

impl CallError {
    /// Whether the call's channel left the application (hung up, or moved) while the helper waited.
    pub fn is_hangup(&self) -> bool {
        match self {
            CallError::Wait(WaitError::Ended { .. }) => true,
            CallError::Flow(flow) => matches!(flow.wait_error(), Some(WaitError::Ended { .. })),
            _ => false,
        }
    }

    /// Whether a wait ran out of time.
    pub fn is_timeout(&self) -> bool {
        match self {
            CallError::Wait(wait) => wait.is_timeout(),
            CallError::Flow(flow) => flow.is_timeout(),
            _ => false,
        }
    }
}
