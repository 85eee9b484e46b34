//! The capability check: what the Asterisk a [`Client`](crate::Client) talks to serves.
//!
//! The SDK covers the union of the ARI of several Asterisk versions
//! ([`availability::VERSIONS`](crate::availability::VERSIONS)); a server of one of them serves
//! only part of it. Asterisk answers an operation it does not have with its router's errors
//! (404 `Resource not found`, 405 `Invalid method`), which read like "object not found", and
//! silently ignores query and body parameters it does not know. So a client learns the server's
//! version once, from `GET /asterisk/info?only=system`, and then refuses — before sending
//! anything — an operation or a set optional parameter that version lacks, with
//! [`Error::Unsupported`] naming the operation or parameter, the server's version and the
//! versions that have it.
//!
//! # What it costs
//!
//! One request per client: the first request of a client (or of any of its clones) sends
//! `GET /asterisk/info` first, through the client's own transport (HTTP, or REST over the
//! WebSocket); requests made while it is under way wait for the same answer. The version is then
//! kept for the client's lifetime. The learning request is traced like any other
//! (`ari_request`, operation `asterisk.getInfo`), inside the span of the request that waited for it.
//!
//! # When learning fails
//!
//! If that `GET /asterisk/info` fails (no connection, a timeout, an error status, a body without
//! `system.version`), every request that waited for it fails with
//! [`Error::CapabilitiesUnknown`] (its `source` is the failure) and nothing of them is sent. A
//! failure is never kept: the client's next request tries again. Every wait stays bounded by the
//! client's [request timeout](crate::ClientBuilder::request_timeout), because the requests that
//! wait share one attempt instead of queueing behind each other.
//!
//! # Which versions are checked
//!
//! The server's version is mapped to the availability sets by its major version: the SDK was
//! generated from one release per branch (16.30.1, 18.26.4, …), and the releases of one branch
//! serve the same ARI (16.28.0 serves exactly the api-docs of 16.30.1, measured live). A server
//! of a branch the SDK was not generated from — a newer major, or a version that does not parse
//! — is not checked: nothing is refused (fail open), and [`Capabilities::checked_as`] is `None`.
//! Requests the table does not know (hand-built [`Request`]s on other paths) always pass.
//!
//! # Turning it off
//!
//! [`ClientBuilder::check_capabilities(false)`](crate::ClientBuilder::check_capabilities): no
//! `GET /asterisk/info` is sent and nothing is refused; the server answers what it lacks itself.
//! [`Client::supports`](crate::Client::supports) and [`Client::capabilities`](crate::Client::capabilities)
//! answer the same question for application code either way (learning the version if needed).
//!
//! Why the version and not the server's own `/ari/api-docs/*.json`: those would be authoritative
//! to the parameter, but cost twelve requests and about 250 KB of JSON per client before its first
//! call, and the availability sets the SDK carries are made from exactly those files.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use futures::future::{BoxFuture, FutureExt as _, Shared, WeakShared};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::generated::availability::{OPERATIONS, VERSIONS};
use crate::request::{Method, Request};

/// One REST operation's availability: a row of [`availability::OPERATIONS`](crate::availability::OPERATIONS),
/// the table generated from the specs' availability sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationAvailability {
    /// The resource (api-docs file), e.g. `channels`.
    pub resource: &'static str,
    /// The spec's nickname, e.g. `getChannelVars`.
    pub operation: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The spec's path template, e.g. `/channels/{channelId}/variables`.
    pub path: &'static str,
    /// The versions that serve it (a mask over [`availability::VERSIONS`](crate::availability::VERSIONS)).
    pub versions: u32,
    /// Query and body parameters that fewer versions know than the operation, with
    /// the mask of those that do (parameters missing here exist wherever it does).
    pub params: &'static [(&'static str, u32)],
}

/// What one server serves, known from its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    server_version: String,
    /// The index in [`VERSIONS`] of the server's branch, if the SDK was generated from it.
    bit: Option<u32>,
}

impl Capabilities {
    /// The capabilities of a server that reports `version` (`system.version` of
    /// `GET /asterisk/info`, e.g. `16.28.0~dfsg-0+deb11u4`).
    pub fn for_version(version: &str) -> Capabilities {
        let major = |v: &str| {
            v.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|m| m.parse::<u32>().ok())
        };
        let bit = major(version).and_then(|server| {
            VERSIONS
                .iter()
                .position(|v| major(v) == Some(server))
                .and_then(|i| u32::try_from(i).ok())
        });
        Capabilities {
            server_version: version.to_owned(),
            bit,
        }
    }

    /// The version the server reported.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    /// The version of [`VERSIONS`] whose availability sets stand for this server (the release of
    /// its branch the SDK was generated from), or `None` when the SDK does not know its branch:
    /// then nothing is refused.
    pub fn checked_as(&self) -> Option<&'static str> {
        self.bit.and_then(|bit| VERSIONS.get(bit as usize).copied())
    }

    /// `Ok` when the server serves `request`'s operation and knows every query and body parameter
    /// set on it; [`Error::Unsupported`] otherwise. Requests the table does not know pass.
    pub fn check(&self, request: &Request) -> Result<()> {
        let Some(bit) = self.bit else {
            return Ok(());
        };
        let Some(op) = lookup(request) else {
            return Ok(());
        };
        let has = |mask: u32| mask & (1 << bit) != 0;
        if !has(op.versions) {
            return Err(self.unsupported(request, None, op.versions));
        }
        match op
            .params
            .iter()
            .find(|(name, mask)| !has(*mask) && sets(request, name))
        {
            Some((name, mask)) => Err(self.unsupported(request, Some(name), *mask)),
            None => Ok(()),
        }
    }

    /// Whether [`check`](Self::check) lets `request` through.
    pub fn supports(&self, request: &Request) -> bool {
        self.check(request).is_ok()
    }

    fn unsupported(&self, request: &Request, parameter: Option<&'static str>, mask: u32) -> Error {
        Error::Unsupported {
            operation: request.operation(),
            parameter,
            server_version: self.server_version.clone(),
            available_in: versions_of(mask),
        }
    }
}

/// The versions in `mask`.
fn versions_of(mask: u32) -> Vec<&'static str> {
    VERSIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| *v)
        .collect()
}

/// Whether `request` sets the query or body parameter `name`.
fn sets(request: &Request, name: &str) -> bool {
    request.query_pairs().iter().any(|(n, _)| *n == name)
        || request
            .json_body()
            .and_then(|b| b.as_object())
            .is_some_and(|b| b.contains_key(name))
}

/// The table entry of `request`'s method and path template.
fn lookup(request: &Request) -> Option<&'static OperationAvailability> {
    type Table = HashMap<(&'static str, &'static str), &'static OperationAvailability>;
    static BY_ROUTE: OnceLock<Table> = OnceLock::new();
    let table = BY_ROUTE.get_or_init(|| {
        OPERATIONS
            .iter()
            .map(|op| ((op.method, op.path), op))
            .collect()
    });
    let path = request.path_template().to_string();
    table
        .get(&(request.method().as_str(), path.as_str()))
        .copied()
}

/// The request that learns a server's version.
pub(crate) fn info_request() -> Request {
    Request::new("asterisk.getInfo", Method::Get)
        .segment("asterisk")
        .segment("info")
        .query("only", "system")
}

/// The part of `GET /asterisk/info?only=system` the check reads.
#[derive(Deserialize)]
pub(crate) struct Info {
    system: Option<SystemVersion>,
}

#[derive(Deserialize)]
struct SystemVersion {
    version: Option<String>,
}

impl Info {
    /// The capabilities of the server that answered, or the error of an answer without a version.
    pub(crate) fn capabilities(self) -> Result<Capabilities> {
        match self.system.and_then(|s| s.version) {
            Some(version) => Ok(Capabilities::for_version(&version)),
            None => Err(Error::invalid(
                Some("asterisk.getInfo"),
                "the answer to GET /asterisk/info?only=system has no system.version",
            )),
        }
    }
}

/// Learning the capabilities once; a failure is shared by every request that waited for it.
type Learning = BoxFuture<'static, Result<Capabilities, Arc<Error>>>;
/// One attempt at learning, shared by every request that waits for it.
type Attempt = Shared<Learning>;

/// A client's learned capabilities (shared by its clones): learned once, a failure never kept.
#[derive(Default)]
pub(crate) struct Learner {
    learned: OnceLock<Capabilities>,
    /// The attempt under way. Weak: the requests waiting for it keep it alive (and drive it), so
    /// an attempt every waiter gave up on is dropped, not left holding a client.
    attempt: Mutex<Option<WeakShared<Learning>>>,
}

impl Learner {
    /// The capabilities, learning them with `learn` unless they are known or being learned.
    ///
    /// The mutex is held only to look at and replace the attempt, never across an await.
    pub(crate) async fn get(
        &self,
        learn: impl FnOnce() -> BoxFuture<'static, Result<Capabilities>>,
    ) -> Result<Capabilities, Arc<Error>> {
        if let Some(known) = self.learned.get() {
            return Ok(known.clone());
        }
        let attempt: Attempt = {
            let mut slot = self.attempt.lock().unwrap_or_else(PoisonError::into_inner);
            // Under the lock: a finished attempt stores its answer under it too, so an answer is
            // never missed between this look and starting a new attempt.
            if let Some(known) = self.learned.get() {
                return Ok(known.clone());
            }
            match slot.as_ref().and_then(WeakShared::upgrade) {
                Some(attempt) => attempt,
                None => {
                    let fresh = learn().map(|r| r.map_err(Arc::new)).boxed().shared();
                    *slot = fresh.downgrade();
                    fresh
                }
            }
        };
        let result = attempt.clone().await;
        let mut slot = self.attempt.lock().unwrap_or_else(PoisonError::into_inner);
        match &result {
            Ok(known) => {
                // Ignoring the error: another waiter of the same attempt stored it first.
                let _ = self.learned.set(known.clone());
            }
            Err(_) => {
                // Forget the failed attempt (unless a newer one took its place): the next request
                // tries again.
                if slot
                    .as_ref()
                    .and_then(WeakShared::upgrade)
                    .is_some_and(|current| Shared::ptr_eq(&current, &attempt))
                {
                    *slot = None;
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn channel_vars() -> Request {
        Request::new("getChannelVars", Method::Get)
            .segment("channels")
            .param("channelId", "c1")
            .segment("variables")
            .query("variables", "A")
    }

    /// A request on `op`'s route, every path parameter `x`.
    fn bare(op: &OperationAvailability) -> Request {
        let method = match op.method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            _ => Method::Delete,
        };
        let mut request = Request::new(op.operation, method);
        for part in op.path.trim_start_matches('/').split('/') {
            let leaked =
                |text: &str| -> &'static str { Box::leak(text.to_owned().into_boxed_str()) };
            request = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => request.param(leaked(name), "x"),
                None => request.segment(leaked(part)),
            };
        }
        request
    }

    fn bit_of(major: &str) -> u32 {
        VERSIONS
            .iter()
            .position(|v| v.split('.').next() == Some(major))
            .expect("the SDK knows the branch") as u32
    }

    #[test]
    fn refuses_what_16_lacks_and_names_who_has_it() {
        let caps = Capabilities::for_version("16.28.0~dfsg-0+deb11u4");
        assert_eq!(caps.checked_as(), Some("16.30.1"));
        match caps.check(&channel_vars()) {
            Err(Error::Unsupported {
                operation,
                parameter,
                server_version,
                available_in,
            }) => {
                assert_eq!((operation, parameter), ("getChannelVars", None));
                assert_eq!(server_version, "16.28.0~dfsg-0+deb11u4");
                assert_eq!(available_in, ["20.20.1", "22.10.1", "23.4.1"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(!caps.supports(&channel_vars()));
        let current = Capabilities::for_version("22.10.1");
        assert_eq!(current.checked_as(), Some("22.10.1"));
        assert!(current.supports(&channel_vars()));
        // A release of a known branch other than the one generated from: checked as that branch.
        assert_eq!(
            Capabilities::for_version("22.4.0").checked_as(),
            Some("22.10.1")
        );
        // A branch the SDK does not know, or no version at all: nothing is refused.
        for unknown in ["30.0.0", "certified/18.9-cert1", "GIT-master-abc", ""] {
            let caps = Capabilities::for_version(unknown);
            assert_eq!(caps.checked_as(), None, "{unknown}");
            assert!(caps.supports(&channel_vars()), "{unknown}");
        }
        // Hand-built requests on routes the table does not know pass.
        let custom = Request::new("custom", Method::Get).segment("nowhere");
        assert!(caps.supports(&custom));
    }

    #[test]
    fn each_branch_passes_exactly_its_own_operations() {
        for version in VERSIONS {
            let major = version.split('.').next().unwrap();
            let caps = Capabilities::for_version(version);
            let bit = bit_of(major);
            let mut refused = 0;
            for op in OPERATIONS {
                let served = op.versions & (1 << bit) != 0;
                assert_eq!(
                    caps.supports(&bare(op)),
                    served,
                    "{version}: {} {}",
                    op.method,
                    op.path
                );
                refused += usize::from(!served);
            }
            if major == "16" {
                // The 11 operations 16 lacks (the union has 108 REST operations).
                assert_eq!((OPERATIONS.len(), refused), (108, 11));
            }
        }
    }

    #[test]
    fn an_optional_parameter_is_refused_only_when_set() {
        let caps = Capabilities::for_version("16.28.0");
        let bit = bit_of("16");
        let mut checked = 0;
        for op in OPERATIONS.iter().filter(|op| op.versions & (1 << bit) != 0) {
            for (param, mask) in op.params.iter().filter(|(_, m)| m & (1 << bit) == 0) {
                assert!(caps.supports(&bare(op)), "{} without {param}", op.path);
                for with in [
                    bare(op).query(param, "1"),
                    bare(op).body_field(param, serde_json::json!({"a": "b"})),
                ] {
                    match caps.check(&with) {
                        Err(Error::Unsupported {
                            parameter,
                            available_in,
                            ..
                        }) => {
                            assert_eq!(parameter, Some(*param));
                            assert_eq!(available_in, versions_of(*mask));
                        }
                        other => panic!("{} {param}: {other:?}", op.path),
                    }
                }
                // The newest server knows it.
                assert!(Capabilities::for_version(VERSIONS[VERSIONS.len() - 1])
                    .supports(&bare(op).query(param, "1")));
                checked += 1;
            }
        }
        assert!(checked > 0, "some parameter is newer than its operation");
    }

    #[test]
    fn info_without_a_version_is_an_error() {
        let info: Info = serde_json::from_str(r#"{"system":{"version":"16.28.0"}}"#).unwrap();
        assert_eq!(info.capabilities().unwrap().checked_as(), Some("16.30.1"));
        let info: Info = serde_json::from_str(r#"{"build":{}}"#).unwrap();
        assert!(info.capabilities().is_err());
    }

    #[tokio::test]
    async fn concurrent_waiters_share_one_attempt_and_a_failure_is_not_kept() {
        let learner = Learner::default();
        let attempts = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::watch::channel(false);
        let learn = |fail: bool| {
            let attempts = Arc::clone(&attempts);
            let mut released = released.clone();
            move || {
                async move {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    released.wait_for(|r| *r).await.expect("sender kept");
                    if fail {
                        Err(Error::invalid(
                            Some("asterisk.getInfo"),
                            "failed on purpose",
                        ))
                    } else {
                        Ok(Capabilities::for_version("16.28.0"))
                    }
                }
                .boxed()
            }
        };
        // Ten concurrent waiters of a failing attempt: one attempt, ten failures.
        let waiters: Vec<_> = (0..10).map(|_| learner.get(learn(true))).collect();
        let all = futures::future::join_all(waiters);
        let releaser = async {
            tokio::task::yield_now().await;
            release.send(true).expect("receivers kept");
        };
        let (results, ()) = tokio::join!(all, releaser);
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        assert!(results.iter().all(Result::is_err));
        // The failure was not kept: the next call tries again, and its answer is kept.
        let known = learner.get(learn(false)).await.expect("learned");
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
        assert_eq!(known.checked_as(), Some("16.30.1"));
        for _ in 0..5 {
            learner.get(learn(true)).await.expect("kept");
        }
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_attempt_every_waiter_gave_up_on_is_dropped() {
        let learner = Learner::default();
        let never = || futures::future::pending::<Result<Capabilities>>().boxed();
        let mut waiting = Box::pin(learner.get(never));
        assert!(futures::poll!(&mut waiting).is_pending());
        assert!(learner.attempt.lock().unwrap().is_some());
        drop(waiting);
        let slot = learner.attempt.lock().unwrap();
        assert!(slot.as_ref().and_then(WeakShared::upgrade).is_none());
    }
}
