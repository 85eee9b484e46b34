//! Live coverage: which ARI operations the live suite really sent to Asterisk, and how they
//! ended.
//!
//! The live suite (`tests/`) appends one [`Record`] per request to a JSON-lines file per test
//! process in [`coverage_dir`]: every request the SDK sends (seen through its `ari_request`
//! tracing span: method, path template, status), every error a test asserted exactly (status
//! and ARI's message), and every events WebSocket it connected. [`report`] holds the records
//! against the operations of the IR (`ari_codegen::load_union` on the imported specs): an
//! operation is *succeeded* when a request answered 2xx, an *asserted error* when it never
//! succeeded but a test asserted the exact error Asterisk gave, *refused before sending* when it
//! never succeeded but a test asserted that the SDK's capability check refused it (and the SDK's
//! trace shows the refusal). Anything else is missing. [`wrongly_refused`] lists refusals of what
//! the server's version does serve. `cargo xtask live-coverage` prints the result and fails when
//! an operation is missing or was wrongly refused.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Environment variable naming the directory of record files (see [`coverage_dir`]).
pub const DIR_ENV: &str = "ARI_LIVE_COVERAGE_DIR";

/// Where the record files are: `$ARI_LIVE_COVERAGE_DIR`, else `<target>/live-coverage`
/// (`$CARGO_TARGET_DIR` or the workspace's `target/`).
pub fn coverage_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"));
    target.join("live-coverage")
}

/// What a record says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The SDK sent a request (its tracing span closed); `status` is what Asterisk answered,
    /// `None` when no answer came.
    Sent,
    /// A test asserted that the request failed with exactly `status` and `message`.
    AssertedError,
    /// A test connected the events WebSocket (`GET /events`, the `eventWebsocket` operation).
    WebSocket,
    /// The SDK's capability check refused the request before sending (its span closed with
    /// `refused`); `parameter` names the refused parameter, `None` for the operation itself.
    Refused,
    /// A test asserted that the capability check refused the request with the typed error
    /// (`ari_sdk::Error::Unsupported`); `message` says what the server answers without the check.
    AssertedRefusal,
}

/// One line of a record file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// What happened.
    pub kind: Kind,
    /// `GET`, `POST`, `PUT`, `DELETE`.
    pub method: String,
    /// The path template as the spec writes it, e.g. `/channels/{channelId}/answer`.
    pub path: String,
    /// The operation's id as the SDK names it in its span and errors: resource and nickname,
    /// e.g. `channels.answer`. Records are matched to the spec's operations by it.
    pub operation: String,
    /// The HTTP status (101 for an upgraded WebSocket).
    pub status: Option<u16>,
    /// ARI's message, for asserted errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For refusals: the refused optional parameter (its wire name); `None` when the operation
    /// itself was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The test that made the request (its thread's name).
    pub test: String,
    /// The transport that carried the request (`http`, `websocket`), as the SDK's span names it; for
    /// asserted errors, the transport the test process sends over. `None` in records of older runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
}

/// The transport name of REST over WebSocket in records.
pub const WEBSOCKET: &str = "websocket";

/// Where the operations suite run with REST over WebSocket (`ARI_TRANSPORT=websocket`) keeps its records: the
/// `websocket` subdirectory of [`coverage_dir`] (whose own report does not read it).
pub fn websocket_dir() -> PathBuf {
    coverage_dir().join(WEBSOCKET)
}

/// [`report`] of the REST operations over REST over WebSocket only: the records whose transport is
/// [`WEBSOCKET`], against every operation but the event WebSocket itself (which is no REST request). A
/// request the SDK sent over HTTP instead (binary downloads) does not count.
pub fn websocket_report(
    api: &ari_codegen::ir::Api,
    version: &ari_codegen::ir::Version,
    records: &[Record],
) -> Report {
    let over_websocket: Vec<Record> = records
        .iter()
        .filter(|r| r.kind != Kind::WebSocket && r.transport.as_deref() == Some(WEBSOCKET))
        .cloned()
        .collect();
    let mut report = report(api, version, &over_websocket);
    report
        .operations
        .retain(|id, _| !is_event_websocket(api, id));
    report.label = "live coverage (REST over WebSocket)";
    report
}

fn is_event_websocket(api: &ari_codegen::ir::Api, id: &OperationId) -> bool {
    api.resources.iter().any(|r| {
        r.operations.iter().any(|op| {
            op.is_websocket && op.path.as_str() == id.path && op.method.as_str() == id.method
        })
    })
}

/// Appends `record` to this process's file in [`coverage_dir`].
pub fn append(record: &Record) -> Result<()> {
    let dir = coverage_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{}.jsonl", std::process::id()));
    let mut line = serde_json::to_string(record)?;
    line.push('\n');
    // One write per line in append mode: lines from threads of one process never interleave.
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.write_all(line.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Every record in the `*.jsonl` files of `dir` (none when it does not exist).
pub fn read_records(dir: &Path) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(records),
        Err(err) => return Err(err).with_context(|| format!("reading {}", dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a coverage record", file.display(), n + 1))?;
            records.push(record);
        }
    }
    Ok(records)
}

/// Removes every record file of `dir`.
pub fn reset(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("removing {}", dir.display())),
    }
}

/// One operation of the spec, as the report knows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OperationId {
    /// `resource.nickname`, e.g. `channels.answer`.
    pub name: String,
    /// `GET`, `POST`, ….
    pub method: String,
    /// The spec's path template.
    pub path: String,
}

/// How one operation was covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Asterisk answered 2xx (or upgraded the WebSocket); the statuses seen.
    Succeeded(BTreeSet<u16>),
    /// Never succeeded; the capability check refused it before sending (the server's version
    /// lacks it), asserted by a test: what the test recorded (the server's own answer).
    Refused(BTreeSet<String>),
    /// Never succeeded; these `(status, message)` errors were asserted exactly.
    AssertedErrors(BTreeSet<(u16, String)>),
    /// Sent, but neither succeeded nor asserted: the statuses seen (`None`: no answer).
    Unasserted(BTreeSet<Option<u16>>),
    /// Never sent.
    Missing,
}

/// The outcome of [`report`].
#[derive(Debug, Clone)]
pub struct Report {
    /// Every operation of the IR with its coverage, by name.
    pub operations: BTreeMap<OperationId, Coverage>,
    /// Records that match no operation of the IR (`id (METHOD path)`): an unknown id, or a
    /// known id on a route that is not its own.
    pub unknown: BTreeSet<String>,
    /// Asserted errors with no matching request the SDK sent (`METHOD path status`): an
    /// assertion that did not go through the SDK.
    pub unbacked: BTreeSet<String>,
    /// Statuses Asterisk answered that the spec does not describe, one line each: error
    /// statuses the operation does not document, and success statuses other than the usual
    /// ones (204 for `void`, 200 for a body; Swagger 1.x names no success status).
    pub spec_differences: BTreeSet<String>,
    /// How many records were read.
    pub records: usize,
    /// The start of the summary line.
    pub label: &'static str,
}

impl Report {
    /// Operations that succeeded.
    pub fn succeeded(&self) -> usize {
        self.count(|c| matches!(c, Coverage::Succeeded(_)))
    }

    /// Operations refused before sending (and never succeeded).
    pub fn refused(&self) -> usize {
        self.count(|c| matches!(c, Coverage::Refused(_)))
    }

    /// Operations covered by asserted errors only.
    pub fn asserted_errors(&self) -> usize {
        self.count(|c| matches!(c, Coverage::AssertedErrors(_)))
    }

    /// Operations covered any way.
    pub fn covered(&self) -> usize {
        self.succeeded() + self.refused() + self.asserted_errors()
    }

    /// Operations not covered (missing or unasserted), by name.
    pub fn uncovered(&self) -> Vec<(&OperationId, &Coverage)> {
        self.operations
            .iter()
            .filter(|(_, c)| matches!(c, Coverage::Missing | Coverage::Unasserted(_)))
            .collect()
    }

    fn count(&self, f: impl Fn(&Coverage) -> bool) -> usize {
        self.operations.values().filter(|c| f(c)).count()
    }

    /// The summary line, e.g. `live coverage: 109/109 operations (94 succeeded, 11 refused
    /// before sending, 4 asserted errors)` (without the refusals when there are none).
    pub fn summary(&self) -> String {
        let refused = match self.refused() {
            0 => String::new(),
            n => format!("{n} refused before sending, "),
        };
        format!(
            "{}: {}/{} operations ({} succeeded, {refused}{} asserted errors)",
            self.label,
            self.covered(),
            self.operations.len(),
            self.succeeded(),
            self.asserted_errors()
        )
    }
}

/// Holds `records` against the operations of `api` that exist in `version` (the Asterisk
/// the live suite ran against: operations of other versions cannot be sent to it).
pub fn report(
    api: &ari_codegen::ir::Api,
    version: &ari_codegen::ir::Version,
    records: &[Record],
) -> Report {
    let mut by_id: BTreeMap<String, (OperationId, &ari_codegen::ir::Operation)> = BTreeMap::new();
    for resource in &api.resources {
        for op in resource
            .operations
            .iter()
            .filter(|o| o.versions.contains(version))
        {
            let id = OperationId {
                name: op.id(&resource.wire_name),
                method: op.method.as_str().to_owned(),
                path: op.path.to_string(),
            };
            by_id.insert(id.name.clone(), (id, op));
        }
    }

    let mut succeeded: BTreeMap<&OperationId, BTreeSet<u16>> = BTreeMap::new();
    let mut asserted: BTreeMap<&OperationId, BTreeSet<(u16, String)>> = BTreeMap::new();
    let mut refused: BTreeSet<&OperationId> = BTreeSet::new();
    let mut asserted_refusals: BTreeMap<&OperationId, BTreeSet<String>> = BTreeMap::new();
    let mut sent: BTreeMap<&OperationId, BTreeSet<Option<u16>>> = BTreeMap::new();
    let mut unknown = BTreeSet::new();
    let mut unbacked = BTreeSet::new();
    for record in records {
        // The id names the operation; its route must be the spec's too.
        let Some((id, _)) = by_id
            .get(&record.operation)
            .filter(|(id, _)| id.method == record.method && id.path == record.path)
        else {
            unknown.insert(format!(
                "{} ({} {})",
                record.operation, record.method, record.path
            ));
            continue;
        };
        match record.kind {
            Kind::Sent => {
                sent.entry(id).or_default().insert(record.status);
                if let Some(status) = record.status.filter(|s| (200..300).contains(s)) {
                    succeeded.entry(id).or_default().insert(status);
                }
            }
            Kind::WebSocket => {
                if let Some(status) = record.status.filter(|s| *s == 101) {
                    succeeded.entry(id).or_default().insert(status);
                }
            }
            Kind::AssertedError => {
                if let Some(status) = record.status {
                    asserted
                        .entry(id)
                        .or_default()
                        .insert((status, record.message.clone().unwrap_or_default()));
                }
            }
            // A refused parameter says nothing about the operation, which the server has.
            Kind::Refused if record.parameter.is_none() => {
                refused.insert(id);
            }
            Kind::AssertedRefusal if record.parameter.is_none() => {
                asserted_refusals
                    .entry(id)
                    .or_default()
                    .insert(record.message.clone().unwrap_or_default());
            }
            Kind::Refused | Kind::AssertedRefusal => {}
        }
    }
    // An asserted refusal counts only when the SDK's own trace shows the refusal.
    asserted_refusals.retain(|id, _| {
        let backed = refused.contains(id);
        if !backed {
            unbacked.insert(format!("{} {} refused", id.method, id.path));
        }
        backed
    });

    // An asserted error counts only when the SDK's own trace shows a request with that status.
    for (id, errors) in &mut asserted {
        errors.retain(|(status, _)| {
            let backed = sent.get(id).is_some_and(|s| s.contains(&Some(*status)));
            if !backed {
                unbacked.insert(format!("{} {} {status}", id.method, id.path));
            }
            backed
        });
    }

    let mut spec_differences = BTreeSet::new();
    for (id, statuses) in &sent {
        let Some((_, op)) = by_id.get(&id.name) else {
            continue;
        };
        for status in statuses.iter().flatten() {
            let status = *status;
            if (200..300).contains(&status) {
                let (usual, what) = match op.response {
                    ari_codegen::ir::ResponseType::Void => (204, "no body"),
                    _ => (200, "a body"),
                };
                if status != usual {
                    spec_differences.insert(format!(
                        "{} answered {status} for success (the spec promises {what}, usually {usual})",
                        id.name
                    ));
                }
            } else if !op.errors.iter().any(|e| e.status == status) {
                let documented: Vec<String> =
                    op.errors.iter().map(|e| e.status.to_string()).collect();
                spec_differences.insert(format!(
                    "{} answered {status}, which the spec does not document (it lists {})",
                    id.name,
                    if documented.is_empty() {
                        "no error status".to_owned()
                    } else {
                        documented.join(", ")
                    }
                ));
            }
        }
    }

    let mut operations = BTreeMap::new();
    for (id, _) in by_id.values() {
        let coverage = if let Some(statuses) = succeeded.get(id) {
            Coverage::Succeeded(statuses.clone())
        } else if let Some(answers) = asserted_refusals.get(id) {
            Coverage::Refused(answers.clone())
        } else if let Some(errors) = asserted.get(id).filter(|e| !e.is_empty()) {
            Coverage::AssertedErrors(errors.clone())
        } else if let Some(statuses) = sent.get(id) {
            Coverage::Unasserted(statuses.clone())
        } else {
            Coverage::Missing
        };
        operations.insert(id.clone(), coverage);
    }
    Report {
        operations,
        unknown,
        unbacked,
        spec_differences,
        records: records.len(),
        label: "live coverage",
    }
}

/// Refusals (from the SDK's trace) of what `server` serves according to the specs, one line
/// each: an operation, or an optional parameter, whose availability includes the server's
/// branch. `server` is the server's version as it reported it (`16.28.0~dfsg-0+deb11u4`); it
/// stands for the spec version of the same major. A server of a branch the specs do not have is
/// not checked by the SDK, so every refusal is wrong then.
pub fn wrongly_refused(
    api: &ari_codegen::ir::Api,
    server: &str,
    records: &[Record],
) -> BTreeSet<String> {
    let major = |v: &str| {
        v.split(|c: char| !c.is_ascii_digit())
            .next()
            .map(str::to_owned)
    };
    let branch = api
        .versions
        .iter()
        .find(|v| major(&v.to_string()) == major(server));
    let mut wrong = BTreeSet::new();
    for record in records.iter().filter(|r| r.kind == Kind::Refused) {
        let op = api
            .resources
            .iter()
            .flat_map(|r| &r.operations)
            .find(|op| op.method.as_str() == record.method && op.path.as_str() == record.path);
        let served = match (branch, op, &record.parameter) {
            (None, _, _) | (_, None, _) => true,
            (Some(branch), Some(op), None) => op.versions.contains(branch),
            (Some(branch), Some(op), Some(parameter)) => op
                .params
                .iter()
                .any(|p| &p.wire_name == parameter && p.versions.contains(branch)),
        };
        if served {
            let what = match &record.parameter {
                Some(parameter) => format!(" (parameter {parameter})"),
                None => String::new(),
            };
            wrong.insert(format!(
                "{} {}{what} was refused, but Asterisk {server} serves it (test {})",
                record.method, record.path, record.test
            ));
        }
    }
    wrong
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SANDBOX_ASTERISK_VERSION;

    /// An operation id and the route it is sent on.
    type Route = (&'static str, &'static str, &'static str);
    const ASTERISK_GET_INFO: Route = ("asterisk.getInfo", "GET", "/asterisk/info");
    const BRIDGES_LIST: Route = ("bridges.list", "GET", "/bridges");
    const EVENTS_EVENT_WEBSOCKET: Route = ("events.eventWebsocket", "GET", "/events");
    const MAILBOXES_LIST: Route = ("mailboxes.list", "GET", "/mailboxes");
    const NOWHERE_GET: Route = ("nowhere.get", "GET", "/nowhere");
    const SOUNDS_LIST: Route = ("sounds.list", "GET", "/sounds");
    /// A known id on a route that is not its own.
    const SOUNDS_LIST_ELSEWHERE: Route = ("sounds.list", "GET", "/sounds/x");

    /// A record of `route`'s operation.
    fn record(kind: Kind, (id, method, path): Route, status: Option<u16>) -> Record {
        Record {
            kind,
            method: method.into(),
            path: path.into(),
            operation: id.into(),
            status,
            message: (kind == Kind::AssertedError).then(|| "Nope".to_owned()),
            parameter: None,
            test: "t".into(),
            transport: Some("http".into()),
        }
    }

    fn api() -> ari_codegen::ir::Api {
        let root = crate::workspace_root().join("specs");
        ari_codegen::load_union(&root).expect("the imported specs load")
    }

    #[test]
    fn outcomes_are_classified() {
        let api = api();
        let records = vec![
            record(Kind::Sent, ASTERISK_GET_INFO, Some(200)),
            record(Kind::Sent, ASTERISK_GET_INFO, Some(500)),
            record(Kind::Sent, MAILBOXES_LIST, Some(404)),
            record(Kind::AssertedError, MAILBOXES_LIST, Some(404)),
            // Asserted without a request the SDK traced: does not count.
            record(Kind::AssertedError, SOUNDS_LIST, Some(404)),
            // Sent, failed, never asserted: does not count.
            record(Kind::Sent, BRIDGES_LIST, Some(500)),
            record(Kind::WebSocket, EVENTS_EVENT_WEBSOCKET, Some(101)),
            record(Kind::Sent, NOWHERE_GET, Some(404)),
            // A known id on another route is no record of it.
            record(Kind::Sent, SOUNDS_LIST_ELSEWHERE, Some(200)),
        ];
        let version: ari_codegen::ir::Version = SANDBOX_ASTERISK_VERSION.parse().unwrap();
        let report = report(&api, &version, &records);
        // Every operation of the sandbox's version, and nothing of other versions.
        let operations = ari_codegen::summary::counts(&api, Some(&version)).operations;
        assert_eq!(report.operations.len(), operations);
        assert_eq!(report.succeeded(), 2);
        assert_eq!(report.asserted_errors(), 1);
        assert_eq!(report.covered(), 3);
        assert_eq!(report.uncovered().len(), operations - 3);
        assert!(report.unknown.contains("nowhere.get (GET /nowhere)"));
        assert!(report.unknown.contains("sounds.list (GET /sounds/x)"));
        assert!(report.unbacked.contains("GET /sounds 404"));
        // asterisk.getInfo documents no 500; mailboxes.list no 404.
        assert!(report
            .spec_differences
            .iter()
            .any(|d| d.starts_with("asterisk.getInfo answered 500")));
        assert!(report
            .spec_differences
            .iter()
            .any(|d| d.starts_with("mailboxes.list answered 404")));
        let bridges = report
            .operations
            .iter()
            .find(|(id, _)| id.name == "bridges.list")
            .map(|(_, c)| c.clone());
        assert_eq!(bridges, Some(Coverage::Unasserted([Some(500)].into())));
        assert_eq!(
            report.summary(),
            format!("live coverage: 3/{operations} operations (2 succeeded, 1 asserted errors)")
        );
        // An operation the version lacks is not expected live: 16.30.1 has no getChannelVars.
        let old: ari_codegen::ir::Version = "16.30.1".parse().unwrap();
        let report_old = super::report(&api, &old, &records);
        assert!(report_old
            .operations
            .keys()
            .all(|id| id.name != "channels.getChannelVars"));
        assert!(report
            .operations
            .keys()
            .any(|id| id.name == "channels.getChannelVars"));
    }

    #[test]
    fn refusals_count_when_asserted_and_traced_and_wrong_ones_are_named() {
        let api = api();
        let refused = |kind, route: Route, parameter: Option<&str>| Record {
            message: (kind == Kind::AssertedRefusal).then(|| "404 Resource not found".to_owned()),
            parameter: parameter.map(str::to_owned),
            transport: None,
            ..record(kind, route, None)
        };
        let vars = "/channels/{channelId}/variables";
        let get_vars: Route = ("channels.getChannelVars", "GET", vars);
        let set_vars: Route = ("channels.setChannelVars", "POST", vars);
        let hangup: Route = ("channels.hangup", "DELETE", "/channels/{channelId}");
        let records = vec![
            refused(Kind::Refused, get_vars, None),
            refused(Kind::AssertedRefusal, get_vars, None),
            // Asserted without the SDK's trace of a refusal: does not count.
            refused(Kind::AssertedRefusal, set_vars, None),
            // A refused parameter does not make its operation refused.
            refused(Kind::Refused, hangup, Some("reason_code")),
            refused(Kind::AssertedRefusal, hangup, Some("reason_code")),
            record(Kind::Sent, ASTERISK_GET_INFO, Some(200)),
        ];
        let version: ari_codegen::ir::Version = SANDBOX_ASTERISK_VERSION.parse().unwrap();
        let report = report(&api, &version, &records);
        assert_eq!(
            (
                report.succeeded(),
                report.refused(),
                report.asserted_errors()
            ),
            (1, 1, 0)
        );
        let get_vars = report
            .operations
            .iter()
            .find(|(id, _)| id.name == "channels.getChannelVars");
        assert_eq!(
            get_vars.map(|(_, c)| c.clone()),
            Some(Coverage::Refused(
                ["404 Resource not found".to_owned()].into()
            ))
        );
        assert!(report
            .unbacked
            .contains("POST /channels/{channelId}/variables refused"));
        let operations = report.operations.len();
        assert_eq!(
            report.summary(),
            format!("live coverage: 2/{operations} operations (1 succeeded, 1 refused before sending, 0 asserted errors)")
        );

        // 16 has neither getChannelVars nor hangup's reason_code: nothing wrong.
        assert!(wrongly_refused(&api, "16.28.0~dfsg-0+deb11u4", &records).is_empty());
        // 18 has reason_code, 22 has both.
        let wrong = wrongly_refused(&api, "18.26.4", &records);
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(
            wrong.iter().all(|w| w.contains("(parameter reason_code)")),
            "{wrong:?}"
        );
        assert_eq!(wrongly_refused(&api, "22.10.1", &records).len(), 2);
        // A branch the specs do not have is not checked by the SDK: any refusal is wrong.
        assert_eq!(wrongly_refused(&api, "30.0.0", &records).len(), 2);
    }

    #[test]
    fn the_websocket_report_counts_requests_over_the_socket_only() {
        let api = api();
        let over = |kind, route, status, transport: &str| Record {
            transport: Some(transport.to_owned()),
            ..record(kind, route, status)
        };
        let records = vec![
            over(Kind::Sent, ASTERISK_GET_INFO, Some(200), WEBSOCKET),
            // Sent over HTTP (a binary download): does not count over the socket.
            over(Kind::Sent, BRIDGES_LIST, Some(200), "http"),
            over(Kind::Sent, MAILBOXES_LIST, Some(404), WEBSOCKET),
            over(Kind::AssertedError, MAILBOXES_LIST, Some(404), WEBSOCKET),
            // The socket itself is no REST operation.
            over(
                Kind::WebSocket,
                EVENTS_EVENT_WEBSOCKET,
                Some(101),
                WEBSOCKET,
            ),
        ];
        let version: ari_codegen::ir::Version = SANDBOX_ASTERISK_VERSION.parse().unwrap();
        let report = websocket_report(&api, &version, &records);
        assert_eq!(report.operations.len(), 108);
        assert_eq!((report.succeeded(), report.asserted_errors()), (1, 1));
        assert_eq!(
            report.summary(),
            "live coverage (REST over WebSocket): 2/108 operations (1 succeeded, 1 asserted errors)"
        );
    }

    #[test]
    fn records_round_trip_through_files() {
        let dir = std::env::temp_dir().join(format!("ari-live-coverage-{}", std::process::id()));
        reset(&dir).expect("reset");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let records = [
            record(Kind::Sent, ASTERISK_GET_INFO, Some(200)),
            record(Kind::AssertedError, MAILBOXES_LIST, Some(404)),
        ];
        let text: String = records
            .iter()
            .map(|r| serde_json::to_string(r).expect("json") + "\n")
            .collect();
        std::fs::write(dir.join("1.jsonl"), text).expect("write");
        std::fs::write(dir.join("ignored.txt"), "not a record").expect("write");
        assert_eq!(read_records(&dir).expect("read"), records);
        reset(&dir).expect("reset");
        assert!(read_records(&dir).expect("read").is_empty());
    }
}
