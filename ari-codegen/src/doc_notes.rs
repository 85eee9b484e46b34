//! What the specs do not say but a new user needs, added to the generated documentation of an operation or a
//! parameter: how Local channel halves behave, what a recording captures, when an operation answers 409.
//!
//! Each note was observed on the sandbox Asterisk (tests/FINDINGS.md) and is appended to the spec's own text.
//! [`apply`] fails when a note names an operation or parameter that does not exist, so a note cannot outlive
//! what it documents.

use crate::ir::Api;

/// A note on one operation (`param: None`) or one of its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocNote {
    /// The resource (api-docs file stem), e.g. `channels`.
    pub resource: &'static str,
    /// The operation's nickname.
    pub operation: &'static str,
    /// The parameter's wire name, or `None` for the operation.
    pub param: Option<&'static str>,
    /// The note (rustdoc Markdown).
    pub note: &'static str,
}

const LOCAL_HALVES: &str = "Local channels (`Local/exten@context`) come in two halves: the channel this \
    originate names (`channelId`, the `;1` half, the caller) and the other half (`otherChannelId`, `;2`), which \
    runs `exten@context`. With `app`, the `;1` half enters the application only when the `;2` half answers; if \
    the dialplan sends the `;2` half into Stasis, it arrives there first, ringing, and must be answered before \
    the `;1` half enters. Until a half is in Stasis, channel operations on it (`send_dtmf`, `play`, …) answer \
    409 \"Channel not in Stasis application\". Hanging up one half hangs up the other. See \
    `ChannelHandle::originate_and_wait` and `Client::incoming_calls`.";

const OTHER_CHANNEL_ID: &str =
    "With a Local channel this is the `;2` half, the one that runs the dialplan \
    extension (and enters Stasis first when that extension runs `Stasis`).";

const RECORD_AUDIO: &str = "What is recorded is the audio Asterisk receives from this channel (what its far \
    end sends), not what is played to it. A channel nobody sends audio to — for example the `;2` half of a \
    Local channel whose `;1` half is silent — records nothing: a 44-byte WAV (the header only), reported as a \
    success. To record a caller, record the channel the caller is on; to record both directions, snoop \
    (`snoop_channel` with `spy=both`) and record the snoop channel, or record a bridge.";

const NOT_IN_STASIS: &str =
    "Answers 409 \"Channel not in Stasis application\" while the channel is not in an \
    application — for the `;1` half of an originated Local channel, until the other half answers.";

/// The notes, in the order they are applied.
pub const NOTES: &[DocNote] = &[
    DocNote {
        resource: "channels",
        operation: "originate",
        param: None,
        note: LOCAL_HALVES,
    },
    DocNote {
        resource: "channels",
        operation: "originate",
        param: Some("otherChannelId"),
        note: OTHER_CHANNEL_ID,
    },
    DocNote {
        resource: "channels",
        operation: "originateWithId",
        param: None,
        note: LOCAL_HALVES,
    },
    DocNote {
        resource: "channels",
        operation: "originateWithId",
        param: Some("otherChannelId"),
        note: OTHER_CHANNEL_ID,
    },
    DocNote {
        resource: "channels",
        operation: "create",
        param: Some("otherChannelId"),
        note: OTHER_CHANNEL_ID,
    },
    DocNote {
        resource: "channels",
        operation: "record",
        param: None,
        note: RECORD_AUDIO,
    },
    DocNote {
        resource: "channels",
        operation: "sendDTMF",
        param: None,
        note: NOT_IN_STASIS,
    },
];

/// Appends every [`NOTES`] entry to its operation's notes or its parameter's description.
pub fn apply(api: &mut Api) -> Result<(), String> {
    for entry in NOTES {
        let op = api
            .operation_mut(entry.resource, entry.operation)
            .ok_or_else(|| {
                format!(
                    "doc notes: no operation {}.{}",
                    entry.resource, entry.operation
                )
            })?;
        let text = match entry.param {
            None => op.notes.get_or_insert_with(String::new),
            Some(name) => {
                &mut op
                    .params
                    .iter_mut()
                    .find(|p| p.wire_name == name)
                    .ok_or_else(|| {
                        format!(
                            "doc notes: no parameter {}.{} `{name}`",
                            entry.resource, entry.operation
                        )
                    })?
                    .description
            }
        };
        if text.trim().is_empty() {
            *text = entry.note.to_owned();
        } else {
            *text = format!("{}\n\n{}", text.trim_end(), entry.note);
        }
    }
    Ok(())
}
