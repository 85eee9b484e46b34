//! Dial a second leg ([`Dial`], [`dial`](fn@dial)) and bridge it with the call ([`bridge_with`]).

use std::time::Duration;

use futures::StreamExt as _;
use tokio::time::Instant;

use super::runner::OwnChannels;
use super::{Call, CallError};
use crate::enums::BridgeType;
use crate::event_types::StasisStart;
use crate::events::{into_wait_result, unique_id, EventStream, StreamItem, WaitError};
use crate::flows::UNDO_TIMEOUT;
use crate::{ChannelHandle, Event};

/// What the caller hears while the second leg rings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ringback {
    /// Nothing (the caller's line stays as it is).
    None,
    /// A ringing indication to the caller (`POST /channels/{id}/ring`), stopped when the dial ends (the default).
    #[default]
    Ring,
    /// Music on hold of this class (`None`: the default class), stopped when the dial ends.
    Music(Option<String>),
}

/// Whom to dial and how; for [`Call::dial`] and [`dial`](fn@dial).
///
/// ```
/// use std::time::Duration;
/// use ari_sdk::app::{Dial, Ringback};
///
/// let bob = Dial::new("PJSIP/bob").timeout(Duration::from_secs(20)).ringback(Ringback::Ring);
/// # let _ = bob;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Dial {
    endpoint: String,
    timeout: Duration,
    ringback: Ringback,
    caller_id: Option<String>,
    variables: Vec<(String, String)>,
}

impl Dial {
    /// Dial `endpoint` (`PJSIP/bob`, `Local/exten@context`, …): 30 s to answer, ringback to the caller.
    pub fn new(endpoint: impl Into<String>) -> Dial {
        Dial {
            endpoint: endpoint.into(),
            timeout: Duration::from_secs(30),
            ringback: Ringback::default(),
            caller_id: None,
            variables: Vec::new(),
        }
    }

    setters! {
        /// How long the leg may ring (whole seconds, at least 1; default 30 s); then the outcome is
        /// [`DialOutcome::NoAnswer`].
        timeout(timeout: Duration) => timeout = timeout;

        /// What the caller hears meanwhile (default [`Ringback::Ring`]).
        ringback(ringback: Ringback) => ringback = ringback;

        /// The caller id the leg shows (`"Name" <number>`).
        caller_id(caller_id: impl Into<String>) => caller_id = Some(caller_id.into());
    }

    /// A channel variable to set on the leg.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }
}

/// The second leg of a call, answered: its handle and its event stream (from before it existed).
#[non_exhaustive]
pub struct Leg {
    /// The leg's channel.
    pub channel: ChannelHandle,
    /// Its events.
    pub events: EventStream<Event>,
}

impl std::fmt::Debug for Leg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leg")
            .field("channel", &self.channel.id())
            .finish_non_exhaustive()
    }
}

/// How a dial ended. Everything but `Answered` hung the leg up.
#[derive(Debug)]
#[non_exhaustive]
pub enum DialOutcome {
    /// The leg answered.
    Answered(Leg),
    /// The callee was busy (dial status `BUSY`).
    Busy {
        /// The Q.850 cause, when the leg's `ChannelDestroyed` told.
        cause: Option<i64>,
    },
    /// Nobody answered within the timeout (`NOANSWER`).
    NoAnswer {
        /// The Q.850 cause, when known.
        cause: Option<i64>,
    },
    /// The network was congested (`CONGESTION`).
    Congestion {
        /// The Q.850 cause, when known.
        cause: Option<i64>,
    },
    /// Any other failure (`CHANUNAVAIL`, `CANCEL`, the leg destroyed before a dial status, …).
    Failed {
        /// The dial status (`""` when none came).
        status: String,
        /// The Q.850 cause, when known.
        cause: Option<i64>,
        /// Its text, when known.
        cause_txt: Option<String>,
    },
}

impl DialOutcome {
    /// Whether the leg answered.
    pub fn is_answered(&self) -> bool {
        matches!(self, DialOutcome::Answered(_))
    }

    /// A short name: `answered`, `busy`, `no answer`, `congestion`, `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            DialOutcome::Answered(_) => "answered",
            DialOutcome::Busy { .. } => "busy",
            DialOutcome::NoAnswer { .. } => "no answer",
            DialOutcome::Congestion { .. } => "congestion",
            DialOutcome::Failed { .. } => "failed",
        }
    }

    fn from_status(status: &str, cause: Option<i64>, cause_txt: Option<String>) -> DialOutcome {
        match status {
            "BUSY" => DialOutcome::Busy { cause },
            "NOANSWER" => DialOutcome::NoAnswer { cause },
            "CONGESTION" => DialOutcome::Congestion { cause },
            // No dial status: judge by the Q.850 cause.
            "" => match cause {
                Some(17) => DialOutcome::Busy { cause },
                Some(18 | 19) => DialOutcome::NoAnswer { cause },
                Some(34 | 38 | 42) => DialOutcome::Congestion { cause },
                _ => DialOutcome::Failed {
                    status: String::new(),
                    cause,
                    cause_txt,
                },
            },
            other => DialOutcome::Failed {
                status: other.to_owned(),
                cause,
                cause_txt,
            },
        }
    }
}

/// Whether a dial status is final.
fn is_final(status: &str) -> bool {
    !matches!(status, "" | "RINGING" | "PROGRESS" | "PROCEEDING")
}

/// How long to wait, after a failed dial status, for the leg's end (for its cause).
const CAUSE_WAIT: Duration = Duration::from_secs(2);

/// Dials a second leg for the call on `caller` (its stream `caller_events`), in application `app`, and waits for the
/// outcome: answered, busy, no answer, congestion, failed. The leg is created in `app` (`POST /channels/create`),
/// then dialed (`POST /channels/{id}/dial`, with the caller as `caller`); the caller hears the ringback meanwhile.
///
/// Within an [`App`](super::App), use [`Call::dial`]: the runner then knows the leg is not an incoming call.
///
/// # Errors
///
/// [`CallError::Request`] when creating or dialing fails; [`CallError::Wait`] when the caller leaves the
/// application meanwhile ([`CallError::is_hangup`]; the leg is hung up) or no outcome comes within the dial timeout
/// plus 10 s.
pub async fn dial(
    caller: &ChannelHandle,
    caller_events: &mut EventStream<Event>,
    app: &str,
    spec: &Dial,
) -> Result<DialOutcome, CallError> {
    dial_in(caller, caller_events, app, spec, None).await
}

pub(crate) async fn dial_in(
    caller: &ChannelHandle,
    caller_events: &mut EventStream<Event>,
    app: &str,
    spec: &Dial,
    own: Option<&OwnChannels>,
) -> Result<DialOutcome, CallError> {
    let client = &caller.client;
    let leg = client.channel(unique_id());
    if let Some(own) = own {
        own.insert(leg.id());
    }
    let forget = || {
        if let Some(own) = own {
            own.remove(leg.id());
        }
    };
    let mut leg_events = leg.events()?;
    let mut create = client
        .channels()
        .create(&spec.endpoint, app)
        .channel_id(leg.id());
    if !spec.variables.is_empty() {
        create = create.variables(spec.variables.clone());
    }
    if let Err(e) = create.await {
        forget();
        return Err(e.into());
    }
    let timeout = spec.timeout;
    let deadline = Instant::now() + timeout + Duration::from_secs(10);
    let started = leg_events
        .wait_for_filter_map(
            leg_events.awaited(StasisStart::TYPE),
            |event| matches!(event, Event::StasisStart(_)).then_some(()),
            Duration::from_secs(10),
        )
        .await;
    if let Err(e) = started {
        forget();
        hang_up(&leg).await;
        return Err(e.into());
    }
    let dial = leg
        .dial()
        .timeout(i64::try_from(timeout.as_secs().max(1)).unwrap_or(i64::MAX))
        .caller(caller.id());
    if let Some(caller_id) = &spec.caller_id {
        // Through the channel's CALLERID function: the dial operation has no caller-id parameter.
        let _ = leg.set_channel_var("CALLERID(all)").value(caller_id).await;
    }
    // Before the request: the leg's end without a status, this long after, is the dial timeout.
    let dialed_at = Instant::now();
    if let Err(e) = dial.await {
        hang_up(&leg).await;
        return Err(e.into());
    }
    ringback(caller, &spec.ringback, true).await;
    let outcome = follow(caller_events, &mut leg_events, deadline, timeout).await;
    ringback(caller, &spec.ringback, false).await;
    match outcome {
        Ok(FollowEnd::Answered) => Ok(DialOutcome::Answered(Leg {
            channel: leg,
            events: leg_events,
        })),
        Ok(FollowEnd::Ended {
            status,
            cause,
            cause_txt,
            gone,
        }) => {
            if !gone {
                hang_up(&leg).await;
            }
            // Asterisk ends a dial that timed out without a NOANSWER status (22.10.1, measured).
            let status = match status {
                Some(status) => status,
                None if dialed_at.elapsed() >= timeout && cause.is_none() => "NOANSWER".to_owned(),
                None => String::new(),
            };
            Ok(DialOutcome::from_status(&status, cause, cause_txt))
        }
        Err(e) => {
            hang_up(&leg).await;
            Err(e)
        }
    }
}

/// How following a dial ended.
enum FollowEnd {
    Answered,
    /// A final status other than `ANSWER`, or the leg's end without one.
    Ended {
        status: Option<String>,
        cause: Option<i64>,
        cause_txt: Option<String>,
        /// Whether the leg has left the application already.
        gone: bool,
    },
}

/// Reads the leg's and the caller's events until the leg's dial ends. Its `Dial` events come on both streams
/// (the leg is their `peer`, the caller their `caller`); the leg's stream ends when it leaves the application,
/// and a `NOANSWER` may come after that, on the caller's. After a final status the leg's end (for its cause) is
/// awaited [`CAUSE_WAIT`] more, and after the leg's end its final status as long.
async fn follow(
    caller_events: &mut EventStream<Event>,
    leg_events: &mut EventStream<Event>,
    deadline: Instant,
    timeout: Duration,
) -> Result<FollowEnd, CallError> {
    let leg_awaited = leg_events.awaited("a final Dial status");
    let caller_awaited = caller_events.awaited("the end of the dial");
    let leg_id = leg_events
        .object()
        .map(|(_, id)| id.to_owned())
        .unwrap_or_default();
    let mut status: Option<String> = None;
    let mut cause: Option<i64> = None;
    let mut cause_txt: Option<String> = None;
    let mut gone = false;
    let mut deadline = deadline;
    loop {
        let leg_event = async {
            if gone {
                std::future::pending().await
            } else {
                leg_events.next().await
            }
        };
        let dial = tokio::select! {
            biased;
            item = leg_event => match item {
                None => None,
                item => match into_wait_result(item, &leg_awaited)? {
                    Some(Event::Dial(dial)) => Some(dial),
                    // A soft hangup request's `cause` is not a Q.850 cause (22.10.1 sends 32 there).
                    Some(Event::ChannelHangupRequest(request)) if request.soft != Some(true) => {
                        cause = request.cause.or(cause);
                        continue;
                    }
                    Some(Event::ChannelDestroyed(d)) => {
                        cause = Some(d.cause);
                        cause_txt = Some(d.cause_txt);
                        None
                    }
                    Some(Event::StasisEnd(_)) => None,
                    _ => continue,
                },
            },
            item = caller_events.next() => match into_wait_result(item, &caller_awaited)? {
                // The caller's stream ends when it leaves: a wait error saying so.
                Some(Event::Dial(dial)) => Some(dial),
                _ => continue,
            },
            () = tokio::time::sleep_until(deadline) => {
                if status.is_some() || gone {
                    return Ok(FollowEnd::Ended { status, cause, cause_txt, gone });
                }
                return Err(CallError::Wait(WaitError::Timeout {
                    awaited: leg_awaited,
                    timeout: timeout + Duration::from_secs(10),
                }));
            }
        };
        match dial {
            Some(dial) if dial.peer.id == leg_id => {
                if dial.dialstatus == "ANSWER" && !gone {
                    return Ok(FollowEnd::Answered);
                }
                if !is_final(&dial.dialstatus) || status.is_some() {
                    continue;
                }
                status = Some(dial.dialstatus);
            }
            Some(_) => continue,
            // The leg left the application.
            None => gone = true,
        }
        // Ended once both the final status and the leg's leaving came; after the first of them,
        // the other gets CAUSE_WAIT more.
        if gone && status.is_some() {
            return Ok(FollowEnd::Ended {
                status,
                cause,
                cause_txt,
                gone,
            });
        }
        deadline = Instant::now() + CAUSE_WAIT;
    }
}

/// Starts (`on`) or stops the ringback; failures only matter to the caller's ears, so they are logged.
async fn ringback(caller: &ChannelHandle, ringback: &Ringback, on: bool) {
    let result = match (ringback, on) {
        (Ringback::None, _) => return,
        (Ringback::Ring, true) => tokio::time::timeout(UNDO_TIMEOUT, caller.ring().send()).await,
        (Ringback::Ring, false) => {
            tokio::time::timeout(UNDO_TIMEOUT, caller.ring_stop().send()).await
        }
        (Ringback::Music(class), true) => {
            let mut moh = caller.start_moh();
            if let Some(class) = class {
                moh = moh.moh_class(class);
            }
            tokio::time::timeout(UNDO_TIMEOUT, moh.send()).await
        }
        (Ringback::Music(_), false) => {
            tokio::time::timeout(UNDO_TIMEOUT, caller.stop_moh().send()).await
        }
    };
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.is_not_found() => {}
        Ok(Err(e)) => {
            tracing::debug!(target: "ari_sdk::app", channel = %caller.id(), error = %e, "ringback")
        }
        Err(_) => {
            tracing::debug!(target: "ari_sdk::app", channel = %caller.id(), "ringback request timed out")
        }
    }
}

/// Hangs a channel up, bounded by [`UNDO_TIMEOUT`]; one already gone is fine.
pub(crate) async fn hang_up(channel: &ChannelHandle) {
    let _ = tokio::time::timeout(UNDO_TIMEOUT, channel.hangup().send()).await;
}

/// Which side of a bridged call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Side {
    /// The call's own channel.
    Caller,
    /// The dialed leg.
    Callee,
}

/// How a bridged call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeEnd {
    /// The side that left first (the other was hung up by the helper).
    pub first_to_leave: Side,
    /// The bridge the two talked in (destroyed by the helper).
    pub bridge_id: String,
}

/// Bridges the call on `caller` (its stream `caller_events`) with an answered `leg` in a new mixing bridge and
/// waits until either side leaves (hangs up), at most `limit`; then hangs up the other side and destroys the
/// bridge.
///
/// # Errors
///
/// [`CallError::Request`] when the bridge cannot be made (both sides are hung up then); [`CallError::Wait`] when
/// `limit` passes (both sides are hung up and the bridge destroyed) or events are lost.
pub async fn bridge_with(
    caller: &ChannelHandle,
    caller_events: &mut EventStream<Event>,
    leg: Leg,
    limit: Duration,
) -> Result<BridgeEnd, CallError> {
    let client = &caller.client;
    let Leg {
        channel: callee,
        events: mut callee_events,
    } = leg;
    let bridge = client.bridge(unique_id());
    let made = async {
        bridge.create_with_id().kind([BridgeType::Mixing]).await?;
        bridge.add_channel([caller.id(), callee.id()]).await
    }
    .await;
    if let Err(e) = made {
        hang_up(&callee).await;
        hang_up(caller).await;
        let _ = tokio::time::timeout(UNDO_TIMEOUT, bridge.destroy().send()).await;
        return Err(e.into());
    }
    let caller_awaited = caller_events.awaited("the end of the bridged call");
    let callee_awaited = callee_events.awaited("the end of the bridged call");
    let deadline = Instant::now() + limit;
    let left: Result<Side, CallError> = loop {
        tokio::select! {
            item = caller_events.next() => if let Some(end) = ended(item, &caller_awaited, Side::Caller) {
                break end;
            },
            item = callee_events.next() => if let Some(end) = ended(item, &callee_awaited, Side::Callee) {
                break end;
            },
            () = tokio::time::sleep_until(deadline) => break Err(CallError::Wait(WaitError::Timeout {
                awaited: caller_awaited.clone(),
                timeout: limit,
            })),
        }
    };
    hang_up(&callee).await;
    hang_up(caller).await;
    let _ = tokio::time::timeout(UNDO_TIMEOUT, bridge.destroy().send()).await;
    Ok(BridgeEnd {
        first_to_leave: left?,
        bridge_id: bridge.id().to_owned(),
    })
}

/// `Some` when `item` ends one side of a bridged call: it left (`Ok`), or its events were lost (`Err`).
fn ended(
    item: Option<Result<StreamItem<Event>, crate::events::EventsError>>,
    awaited: &crate::events::Awaited,
    side: Side,
) -> Option<Result<Side, CallError>> {
    match item {
        None
        | Some(Ok(StreamItem::Event(
            Event::StasisEnd(_) | Event::ChannelDestroyed(_) | Event::ChannelHangupRequest(_),
        ))) => Some(Ok(side)),
        Some(Ok(StreamItem::Event(_))) => None,
        other => match into_wait_result(other, awaited) {
            // A resync report: nothing to decide on.
            Ok(_) => None,
            // The side ended while the connection was down.
            Err(WaitError::EndedInGap { .. }) => Some(Ok(side)),
            Err(e) => Some(Err(e.into())),
        },
    }
}

impl Call {
    /// Dials a second leg for this call; see [`dial`](fn@dial). The runner knows the leg is not an incoming call.
    ///
    /// # Errors
    ///
    /// As [`dial`](fn@dial).
    pub async fn dial(&mut self, spec: Dial) -> Result<DialOutcome, CallError> {
        let context = self.context.clone();
        dial_in(
            &self.channel,
            &mut self.events,
            &context.app,
            &spec,
            Some(&context.own),
        )
        .await
    }

    /// Bridges this call with an answered `leg` until either side hangs up (at most `limit`); see [`bridge_with`].
    ///
    /// # Errors
    ///
    /// As [`bridge_with`].
    pub async fn bridge_with(&mut self, leg: Leg, limit: Duration) -> Result<BridgeEnd, CallError> {
        bridge_with(&self.channel, &mut self.events, leg, limit).await
    }
}
