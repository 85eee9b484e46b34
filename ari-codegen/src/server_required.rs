//! Parameters the specs mark optional but Asterisk requires: made required in the generated API.
//!
//! Each entry was found by the live required-parameter sweep (`tests/tests/required_params.rs`), which calls
//! every operation with none of its optional parameters on the sandbox Asterisk and records each parameter the
//! server then demands (`400` with "… is required" or the like). Every entry cites that finding in
//! `tests/FINDINGS.md` ("Parameters Asterisk requires that the specs mark optional"); the sweep fails when
//! Asterisk demands a parameter missing here, or no longer demands one listed here, so the table and the live
//! server stay in agreement.
//!
//! [`apply`] runs on the union IR before emitting: the parameter becomes a positional argument of its builder,
//! and its documentation says why. It fails when an entry names an operation or parameter that does not exist,
//! or one the specs already require (the entry is then obsolete).

use crate::ir::Api;

/// Where each entry's finding is recorded.
pub const FINDING: &str =
    "tests/FINDINGS.md, \"Parameters Asterisk requires that the specs mark optional\"";

/// One parameter Asterisk requires although the specs mark it optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerRequired {
    /// The resource (api-docs file stem), e.g. `channels`.
    pub resource: &'static str,
    /// The operation's nickname, e.g. `sendDTMF`.
    pub operation: &'static str,
    /// The parameter's wire name, e.g. `dtmf`.
    pub param: &'static str,
    /// What Asterisk 22.10.1 answered without it (status 400).
    pub message: &'static str,
}

/// The parameters Asterisk requires beyond the specs, sorted by resource, operation, parameter.
pub const TABLE: &[ServerRequired] = &[
    ServerRequired {
        resource: "channels",
        operation: "mute",
        param: "direction",
        message: "Direction is required",
    },
    ServerRequired {
        resource: "channels",
        operation: "sendDTMF",
        param: "dtmf",
        message: "DTMF is required",
    },
    ServerRequired {
        resource: "channels",
        operation: "unmute",
        param: "direction",
        message: "Direction is required",
    },
];

/// Makes every [`TABLE`] parameter required in `api`, noting why in its description.
pub fn apply(api: &mut Api) -> Result<(), String> {
    apply_table(api, TABLE)
}

/// [`apply`] with any table (tests).
pub fn apply_table(api: &mut Api, table: &[ServerRequired]) -> Result<(), String> {
    for entry in table {
        let name = format!("{}.{} `{}`", entry.resource, entry.operation, entry.param);
        let op = api
            .operation_mut(entry.resource, entry.operation)
            .ok_or_else(|| format!("server-required table: no operation {name}"))?;
        let param = op
            .params
            .iter_mut()
            .find(|p| p.wire_name == entry.param)
            .ok_or_else(|| format!("server-required table: no parameter {name}"))?;
        if param.required {
            return Err(format!(
                "server-required table: {name} is already required by the specs; remove the entry"
            ));
        }
        param.required = true;
        let note = format!(
            "Required: the specs mark it optional, but Asterisk answers 400 \"{}\" without it ({FINDING}).",
            entry.message
        );
        param.description = if param.description.trim().is_empty() {
            note
        } else {
            format!("{} {note}", param.description.trim_end())
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_has_no_duplicates() {
        let keys: Vec<_> = TABLE
            .iter()
            .map(|e| (e.resource, e.operation, e.param))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }
}
