//! Prompt and collect digits ([`Collect`], [`collect`](fn@collect)) and menus ([`Menu`]).

use std::time::Duration;

use futures::StreamExt as _;

use super::{Call, CallError};
use crate::enums::PlaybackState;
use crate::event_types::ChannelDtmfReceived;
use crate::events::{into_wait_result, unique_id, EventStream, WaitError};
use crate::flows::UNDO_TIMEOUT;
use crate::{ChannelHandle, Event};

/// What to play and how to collect digits; for [`Call::collect`] and [`collect`](fn@collect).
///
/// Defaults: no prompt, 1 digit, terminator `#`, 5 s for the first digit, 3 s between digits, barge-in on, the
/// prompt bounded by 5 minutes.
///
/// ```
/// use std::time::Duration;
/// use ari_sdk::app::Collect;
///
/// let pin = Collect::prompt(["sound:vm-password"])
///     .max_digits(4)
///     .terminators("#")
///     .first_digit_timeout(Duration::from_secs(10))
///     .inter_digit_timeout(Duration::from_secs(3));
/// # let _ = pin;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Collect {
    pub(crate) prompts: Vec<String>,
    lang: Option<String>,
    max_digits: usize,
    terminators: String,
    first_digit_timeout: Duration,
    inter_digit_timeout: Duration,
    barge_in: bool,
    prompt_timeout: Duration,
}

impl Default for Collect {
    fn default() -> Self {
        Collect {
            prompts: Vec::new(),
            lang: None,
            max_digits: 1,
            terminators: "#".to_owned(),
            first_digit_timeout: Duration::from_secs(5),
            inter_digit_timeout: Duration::from_secs(3),
            barge_in: true,
            prompt_timeout: Duration::from_secs(300),
        }
    }
}

impl Collect {
    /// Collect without a prompt.
    pub fn new() -> Collect {
        Collect::default()
    }

    /// Play `media` first (one or more media URIs, played in order as one playback: `sound:…`, `digits:…`, …).
    pub fn prompt(media: impl IntoIterator<Item = impl Into<String>>) -> Collect {
        Collect {
            prompts: media.into_iter().map(Into::into).collect(),
            ..Collect::default()
        }
    }

    setters! {
        /// The prompts' language (the play operation's `lang`).
        lang(lang: impl Into<String>) => lang = Some(lang.into());

        /// Stop after `n` digits (default 1); `0` means no limit (a terminator or a timeout ends it).
        max_digits(n: usize) => max_digits = n;

        /// The digits that end the input (default `#`; not part of the result); `""` for none.
        terminators(digits: impl Into<String>) => terminators = digits.into();

        /// How long to wait for the first digit after the prompt ended (default 5 s).
        first_digit_timeout(timeout: Duration) => first_digit_timeout = timeout;

        /// How long to wait for each further digit (default 3 s).
        inter_digit_timeout(timeout: Duration) => inter_digit_timeout = timeout;

        /// Whether the first digit stops the prompt (default `true`). Without barge-in, digits keyed during the
        /// prompt still count, and the prompt plays to its end unless the input is complete.
        barge_in(barge_in: bool) => barge_in = barge_in;

        /// The longest the prompt may play (default 5 minutes); after it the prompt is stopped and the helper fails.
        prompt_timeout(timeout: Duration) => prompt_timeout = timeout;
    }
}

/// What ended a digit collection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CollectEnd {
    /// [`Collect::max_digits`] digits were keyed.
    MaxDigits,
    /// This terminator was keyed (it is not in [`Collected::digits`]).
    Terminator(String),
    /// No digit within the first-digit timeout after the prompt.
    FirstDigitTimeout,
    /// No further digit within the inter-digit timeout.
    InterDigitTimeout,
}

/// How the prompt of a collection went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PromptOutcome {
    /// There was no prompt.
    None,
    /// It played to its end.
    Finished,
    /// A digit stopped it (barge-in), or the input was complete before it ended.
    Interrupted,
}

/// The result of a digit collection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Collected {
    /// The digits keyed, in order, without the terminator.
    pub digits: String,
    /// What ended the collection.
    pub ended_by: CollectEnd,
    /// How the prompt went.
    pub prompt: PromptOutcome,
    /// The prompt's playback id (stopped by a barge-in), when there was a prompt.
    pub playback: Option<String>,
}

/// The digits collected so far, against the limits of a [`Collect`].
struct Input<'a> {
    spec: &'a Collect,
    digits: String,
    playback: Option<String>,
}

impl Input<'_> {
    /// Takes one digit; `Some` when it ends the input.
    fn push(&mut self, digit: &str) -> Option<CollectEnd> {
        if !digit.is_empty() && self.spec.terminators.contains(digit) {
            return Some(CollectEnd::Terminator(digit.to_owned()));
        }
        self.digits.push_str(digit);
        (self.spec.max_digits > 0 && self.digits.chars().count() >= self.spec.max_digits)
            .then_some(CollectEnd::MaxDigits)
    }

    fn done(self, ended_by: CollectEnd, prompt: PromptOutcome) -> Collected {
        Collected {
            digits: self.digits,
            ended_by,
            prompt,
            playback: self.playback,
        }
    }
}

/// Stops a playback, bounded by [`UNDO_TIMEOUT`]; one that already ended is fine, one that has only just started
/// is stopped once it can be ([`PlaybackHandle::stop_started`](crate::PlaybackHandle::stop_started)).
pub(crate) async fn stop_playback(playback: &crate::PlaybackHandle) {
    let _ = tokio::time::timeout(UNDO_TIMEOUT, playback.stop_started(UNDO_TIMEOUT)).await;
}

/// Plays the prompts of `spec` (if any) and collects digits from `events`, the channel's own stream (for a call
/// of an [`App`](super::App): `call.events`). Digits keyed during the prompt count; with barge-in the first one
/// stops the prompt.
///
/// # Errors
///
/// [`CallError::Request`] when the play request fails, [`CallError::PromptFailed`] when the prompt ends in state
/// `failed`, [`CallError::Wait`] when the channel leaves the application ([`CallError::is_hangup`]), events are
/// lost, or the prompt outlasts [`Collect::prompt_timeout`] (it is stopped then).
pub async fn collect(
    channel: &ChannelHandle,
    events: &mut EventStream<Event>,
    spec: &Collect,
) -> Result<Collected, CallError> {
    let mut input = Input {
        spec,
        digits: String::new(),
        playback: None,
    };
    let mut prompt = PromptOutcome::None;
    let awaited = events.awaited(ChannelDtmfReceived::TYPE);
    if !spec.prompts.is_empty() {
        let playback = channel.client.playback(unique_id());
        let mut playback_events = playback.events()?;
        input.playback = Some(playback.id().to_owned());
        let mut play = channel.play_with_id(playback.id(), spec.prompts.clone());
        if let Some(lang) = &spec.lang {
            play = play.lang(lang);
        }
        play.await?;
        prompt = PromptOutcome::Finished;
        let deadline = tokio::time::Instant::now() + spec.prompt_timeout;
        let mut playing = true;
        while playing {
            tokio::select! {
                biased;
                item = events.next() => {
                    if let Some(Event::ChannelDtmfReceived(dtmf)) = into_wait_result(item, &awaited)? {
                        let ended = input.push(&dtmf.digit);
                        if spec.barge_in || ended.is_some() {
                            stop_playback(&playback).await;
                            prompt = PromptOutcome::Interrupted;
                            playing = false;
                        }
                        if let Some(ended) = ended {
                            return Ok(input.done(ended, prompt));
                        }
                    }
                }
                item = playback_events.next() => match item {
                    Some(Ok(crate::events::StreamItem::Event(Event::PlaybackFinished(finished)))) => {
                        if finished.playback.state == PlaybackState::Failed {
                            return Err(CallError::PromptFailed(Box::new(finished.playback)));
                        }
                        playing = false;
                    }
                    // The playback's stream ended without its PlaybackFinished (connection closed): the channel
                    // stream says what happens next.
                    None => playing = false,
                    Some(_) => {}
                },
                () = tokio::time::sleep_until(deadline) => {
                    stop_playback(&playback).await;
                    return Err(CallError::Wait(WaitError::Timeout {
                        awaited: playback_events.awaited("PlaybackFinished of the prompt"),
                        timeout: spec.prompt_timeout,
                    }));
                }
            }
        }
    }
    loop {
        let (timeout, on_timeout) = if input.digits.is_empty() {
            (spec.first_digit_timeout, CollectEnd::FirstDigitTimeout)
        } else {
            (spec.inter_digit_timeout, CollectEnd::InterDigitTimeout)
        };
        match events.next_of::<ChannelDtmfReceived>(timeout).await {
            Ok(dtmf) => {
                if let Some(ended) = input.push(&dtmf.digit) {
                    return Ok(input.done(ended, prompt));
                }
            }
            Err(e) if e.is_timeout() => return Ok(input.done(on_timeout, prompt)),
            Err(e) => return Err(e.into()),
        }
    }
}

/// An IVR menu: a prompt, digits → branch, retries with invalid-input and no-input prompts; for [`Call::menu`].
///
/// ```
/// use ari_sdk::app::Menu;
///
/// #[derive(Clone, Debug, PartialEq)]
/// enum Branch { Sales, Support, Operator }
///
/// let menu = Menu::new(["sound:press-1", "sound:for-sales"])
///     .choice("1", Branch::Sales)
///     .choice("2", Branch::Support)
///     .choice("0", Branch::Operator)
///     .retries(2)
///     .invalid(["sound:option-is-invalid"])
///     .no_input(["sound:are-you-still-there"]);
/// # let _ = menu;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Menu<T> {
    collect: Collect,
    choices: Vec<(String, T)>,
    retries: u32,
    invalid: Vec<String>,
    no_input: Vec<String>,
}

impl<T: Clone> Menu<T> {
    /// A menu that plays `prompt` (barge-in on) and waits 5 s for a choice; 2 retries.
    pub fn new(prompt: impl IntoIterator<Item = impl Into<String>>) -> Menu<T> {
        Menu {
            collect: Collect::prompt(prompt),
            choices: Vec::new(),
            retries: 2,
            invalid: Vec::new(),
            no_input: Vec::new(),
        }
    }

    /// Keying `digits` (one or more; ended by `#` or by reaching the longest choice's length) chooses `branch`.
    pub fn choice(mut self, digits: impl Into<String>, branch: T) -> Self {
        self.choices.push((digits.into(), branch));
        self
    }

    setters! {
        /// How many times the menu is offered again after an invalid choice or no input (default 2).
        retries(retries: u32) => retries = retries;

        /// Played after an invalid choice, before the menu again.
        invalid(media: impl IntoIterator<Item = impl Into<String>>) => invalid = media.into_iter().map(Into::into).collect();

        /// Played when nothing was keyed, before the menu again.
        no_input(media: impl IntoIterator<Item = impl Into<String>>) => no_input = media.into_iter().map(Into::into).collect();
    }

    /// How long to wait for the first digit after the prompt (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.collect = self.collect.first_digit_timeout(timeout);
        self
    }

    /// How long to wait between the digits of a multi-digit choice (default 3 s).
    pub fn inter_digit_timeout(mut self, timeout: Duration) -> Self {
        self.collect = self.collect.inter_digit_timeout(timeout);
        self
    }

    fn branch(&self, digits: &str) -> Option<T> {
        self.choices
            .iter()
            .find(|(choice, _)| choice == digits)
            .map(|(_, branch)| branch.clone())
    }
}

/// Why a menu attempt chose nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MenuMiss {
    /// These digits are no choice.
    Invalid(String),
    /// Nothing was keyed in time.
    NoInput,
}

/// The result of a [`Menu`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MenuOutcome<T> {
    /// A choice was made.
    Chosen {
        /// Its branch.
        branch: T,
        /// The digits keyed.
        digits: String,
        /// On which offer of the menu (1 = the first).
        attempt: u32,
    },
    /// Every offer missed; `misses` holds what happened on each, in order.
    Failed {
        /// One entry per offer of the menu.
        misses: Vec<MenuMiss>,
    },
}

impl Call {
    /// Plays the prompt (if any) and collects digits from this call; see [`collect`](fn@collect).
    ///
    /// # Errors
    ///
    /// As [`collect`](fn@collect).
    pub async fn collect(&mut self, spec: Collect) -> Result<Collected, CallError> {
        collect(&self.channel, &mut self.events, &spec).await
    }

    /// Offers `menu` until a choice is made or the retries are used up.
    ///
    /// # Errors
    ///
    /// As [`collect`](fn@collect); also when an invalid/no-input prompt cannot be played.
    pub async fn menu<T: Clone>(&mut self, menu: &Menu<T>) -> Result<MenuOutcome<T>, CallError> {
        let longest = menu
            .choices
            .iter()
            .map(|(digits, _)| digits.chars().count())
            .max()
            .unwrap_or(1);
        let spec = menu.collect.clone().max_digits(longest);
        let mut misses = Vec::new();
        for attempt in 1..=menu.retries.saturating_add(1) {
            let got = collect(&self.channel, &mut self.events, &spec).await?;
            let miss = match got.ended_by {
                CollectEnd::FirstDigitTimeout if got.digits.is_empty() => MenuMiss::NoInput,
                _ => match menu.branch(&got.digits) {
                    Some(branch) => {
                        return Ok(MenuOutcome::Chosen {
                            branch,
                            digits: got.digits,
                            attempt,
                        })
                    }
                    None if got.digits.is_empty() => MenuMiss::NoInput,
                    None => MenuMiss::Invalid(got.digits),
                },
            };
            let sorry = match miss {
                MenuMiss::NoInput => &menu.no_input,
                MenuMiss::Invalid(_) => &menu.invalid,
            };
            misses.push(miss);
            if !sorry.is_empty() {
                // Not interrupted: a digit keyed now stays in the call's stream, and the next offer starts with
                // it (its prompt stops at once).
                self.channel
                    .play_and_wait(sorry.clone(), spec.prompt_timeout)
                    .await?;
            }
        }
        Ok(MenuOutcome::Failed { misses })
    }
}
