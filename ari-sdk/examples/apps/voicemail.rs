//! The voicemail IVR's call logic, shared by the `voicemail` example, its unit test against
//! `ari_sdk::testkit` (`ari-sdk/tests/example_apps.rs`) and its live test (`tests/tests/example_apps.rs`).

use std::time::Duration;

use ari_sdk::app::{BoxError, Call, Menu, MenuOutcome, Record};

/// What the caller chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// `1`: leave a message.
    LeaveMessage,
    /// `2`: nothing, goodbye.
    Goodbye,
}

/// How a call went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A message was recorded and stored under this name, this many bytes of WAV.
    Message {
        /// The stored recording's name.
        name: String,
        /// Its file's size.
        bytes: usize,
    },
    /// The caller chose to leave.
    Goodbye,
    /// No valid choice after the retries.
    NoChoice,
}

/// How long the caller has for a message and for each menu choice.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest message.
    pub message: Duration,
    /// How long each menu offer waits for a key.
    pub menu: Duration,
}

/// The menu: `1` leaves a message, `2` says goodbye; two retries, each with its own prompt.
pub fn menu(timeout: Duration) -> Menu<Choice> {
    Menu::new(["sound:vm-intro"])
        .choice("1", Choice::LeaveMessage)
        .choice("2", Choice::Goodbye)
        .invalid(["sound:option-is-invalid"])
        .no_input(["sound:vm-nobodyavail"])
        .retries(2)
        .timeout(timeout)
}

/// Answers, offers the menu, records a message until `#` (with a beep, at most `limits.message`), confirms
/// it, hangs up. The stored message is left for the mailbox owner.
pub async fn voicemail(mut call: Call, limits: Limits) -> Result<Outcome, BoxError> {
    call.channel.answer().await?;
    let outcome = match call.menu(&menu(limits.menu)).await? {
        MenuOutcome::Chosen {
            branch: Choice::LeaveMessage,
            ..
        } => {
            let recorded = call
                .record(Record::new().beep(true).max_duration(limits.message))
                .await?;
            let file = recorded.stored.get_stored_file().await?;
            call.channel
                .play_and_wait(["sound:vm-msgsaved"], Duration::from_secs(10))
                .await?;
            Outcome::Message {
                name: recorded.recording.name,
                bytes: file.bytes.len(),
            }
        }
        MenuOutcome::Chosen {
            branch: Choice::Goodbye,
            ..
        } => {
            call.channel
                .play_and_wait(["sound:vm-goodbye"], Duration::from_secs(10))
                .await?;
            Outcome::Goodbye
        }
        _ => Outcome::NoChoice,
    };
    call.channel.hangup().await?;
    Ok(outcome)
}
