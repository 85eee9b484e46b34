//! The `fixups` stage: one small function per known upstream spec defect.
//!
//! A fixup runs on every version and repairs its defect wherever it finds it;
//! no fixup lists versions, so a newly imported Asterisk version needs no edit
//! here when it repeats a known defect (even in a new place). What each fixup
//! did is recorded per version ([`Applied`]; `cargo xtask specs summary`
//! prints where each one applied). Two checks keep the list honest:
//! - a fixup that applies in none of the imported versions is stale — the
//!   defect is gone upstream — and [`check_stale`] fails, naming it;
//! - a *new* defect is not repaired by anything, so lowering rejects the raw
//!   construct (a typo'd key, a string error code, a path parameter that is not
//!   required) with the file and JSON path.
//!
//! | fixup | upstream file | defect |
//! |---|---|---|
//! | `param_descriptioni` | `rest-api/api-docs/endpoints.json` | key `descriptioni` instead of `description` (sendMessage, sendMessageToEndpoint) |
//! | `hangup_defalut_value` | `rest-api/api-docs/channels.json` (16.x) | key `defalutValue` instead of `defaultValue` (hangup `reason`) |
//! | `string_error_codes` | `rest-api/api-docs/channels.json` | error codes `"404"`/`"409"` as strings (move) |
//! | `path_params_required` | `rest-api/api-docs/endpoints.json` | path params `tech`/`resource` without `required` |
//! | `bridge_type_prose` | `rest-api/api-docs/bridges.json` | bridge `type` values only in the description; also a comma-separated list without `allowMultiple` |
//! | `transfer_progress_states` | `rest-api/api-docs/channels.json` | transfer_progress `states` lists no values at all |
//! | `channel_state_values` | `rest-api/api-docs/channels.json` | Channel.state lists `Rsrved` (the server sends `Rsrvd`) and lacks `Mute` |
//! | `playback_state_paused` | `rest-api/api-docs/playbacks.json` | Playback.state lacks `paused`, which the server sends |

use crate::error::Error;
use crate::ir::Version;
use crate::spec::{AllowableValues, ErrorCode, ParamType, Parameter, SpecVersion, ValueType};

/// One fixup: a named, documented repair of one upstream defect.
#[derive(Debug, Clone, Copy)]
pub struct Fixup {
    /// Short name used in messages.
    pub name: &'static str,
    /// What upstream gets wrong, in one line.
    pub defect: &'static str,
    /// The upstream file that has the defect (in Asterisk's `rest-api/`), and where in it.
    pub upstream: &'static str,
    /// Repairs the spec; returns how many places it fixed, or why it could not.
    pub apply: fn(&mut SpecVersion) -> Result<usize, String>,
}

/// What one fixup did on one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The fixup's name.
    pub fixup: &'static str,
    /// How many places it fixed.
    pub count: usize,
}

/// The fixups for Asterisk's specs, in the order they run.
pub const ASTERISK: &[Fixup] = &[
    Fixup {
        name: "param_descriptioni",
        defect: "parameter key `descriptioni` is a typo of `description`",
        upstream:
            "rest-api/api-docs/endpoints.json: sendMessage, sendMessageToEndpoint `variables`",
        apply: param_descriptioni,
    },
    Fixup {
        name: "hangup_defalut_value",
        defect: "parameter key `defalutValue` is a typo of `defaultValue`",
        upstream: "rest-api/api-docs/channels.json: hangup `reason` (16.x)",
        apply: hangup_defalut_value,
    },
    Fixup {
        name: "string_error_codes",
        defect: "error response codes written as strings",
        upstream: "rest-api/api-docs/channels.json: move `errorResponses`",
        apply: string_error_codes,
    },
    Fixup {
        name: "path_params_required",
        defect: "path parameters without `required` (path params are always required)",
        upstream: "rest-api/api-docs/endpoints.json: `tech` and `resource` path parameters",
        apply: path_params_required,
    },
    Fixup {
        name: "bridge_type_prose",
        defect:
            "bridge `type` values exist only in the description, and the list lacks `allowMultiple`",
        upstream: "rest-api/api-docs/bridges.json: create, createWithId `type`",
        apply: bridge_type_prose,
    },
    Fixup {
        name: "transfer_progress_states",
        defect: "transfer_progress `states` documents no values",
        upstream: "rest-api/api-docs/channels.json: transfer_progress `states`",
        apply: transfer_progress_states,
    },
    Fixup {
        name: "channel_state_values",
        defect: "Channel.state lists `Rsrved` (the server sends `Rsrvd`) and lacks `Mute`",
        upstream: "rest-api/api-docs/channels.json: model Channel, property `state`",
        apply: channel_state_values,
    },
    Fixup {
        name: "playback_state_paused",
        defect: "Playback.state lacks `paused`",
        upstream: "rest-api/api-docs/playbacks.json: model Playback, property `state`",
        apply: playback_state_paused,
    },
];

/// Runs every fixup of `fixups` on `spec`, in order, and returns the ones that
/// fixed something (a fixup that finds nothing in this version is fine here;
/// [`check_stale`] looks at all versions together).
pub fn apply(spec: &mut SpecVersion, fixups: &[Fixup]) -> Result<Vec<Applied>, Error> {
    let version = spec.version.to_string();
    let mut applied = Vec::new();
    for fixup in fixups {
        let count = (fixup.apply)(spec).map_err(|message| Error::Fixup {
            fixup: fixup.name,
            version: version.clone(),
            message,
        })?;
        if count > 0 {
            applied.push(Applied {
                fixup: fixup.name,
                count,
            });
        }
    }
    Ok(applied)
}

/// Where each fixup of `fixups` applied: for every fixup, in order, the
/// versions (of `applied`, one entry per loaded version) and how many places.
pub fn applications<'a>(
    fixups: &[Fixup],
    applied: impl IntoIterator<Item = (&'a Version, &'a [Applied])> + Clone,
) -> Vec<(&'static str, Vec<(Version, usize)>)> {
    fixups
        .iter()
        .map(|f| {
            let places = applied
                .clone()
                .into_iter()
                .filter_map(|(version, done)| {
                    done.iter()
                        .find(|a| a.fixup == f.name)
                        .map(|a| (version.clone(), a.count))
                })
                .collect();
            (f.name, places)
        })
        .collect()
}

/// Fails on the first fixup of `fixups` that applied in none of the loaded
/// versions: its defect is gone upstream, so the fixup is dead code to delete.
pub fn check_stale<'a>(
    fixups: &[Fixup],
    applied: impl IntoIterator<Item = (&'a Version, &'a [Applied])> + Clone,
) -> Result<(), Error> {
    let versions: Vec<String> = applied
        .clone()
        .into_iter()
        .map(|(v, _)| v.to_string())
        .collect();
    for (name, places) in applications(fixups, applied) {
        if places.is_empty() {
            let fixup = fixups
                .iter()
                .find(|f| f.name == name)
                .expect("applications() keeps the fixups' names");
            return Err(Error::StaleFixup {
                fixup: name,
                versions: versions.join(", "),
                message: format!(
                    "found nothing to fix ({}; {}); the defect is gone upstream, so delete the fixup",
                    fixup.defect, fixup.upstream
                ),
            });
        }
    }
    Ok(())
}

/// Calls `f` on every operation parameter of the version, with the file stem and nickname.
fn for_each_param(spec: &mut SpecVersion, mut f: impl FnMut(&str, &str, &mut Parameter)) {
    for file in &mut spec.files {
        for api in &mut file.decl.apis {
            for op in &mut api.operations {
                for param in &mut op.parameters {
                    f(&file.stem, &op.nickname, param);
                }
            }
        }
    }
}

/// Moves every parameter's typo'd key (`typo`, taken by `take`) to the correct key
/// (`correct`, reached by `slot`); a parameter with both is an error.
fn rename_param_key<T>(
    spec: &mut SpecVersion,
    (typo, correct): (&str, &str),
    take: fn(&mut Parameter) -> Option<T>,
    slot: fn(&mut Parameter) -> &mut Option<T>,
) -> Result<usize, String> {
    let mut count = 0;
    let mut conflict = None;
    for_each_param(spec, |stem, nick, p| {
        if let Some(value) = take(p) {
            let name = p.name.clone();
            let target = slot(p);
            if target.is_some() {
                conflict = Some(format!(
                    "{stem}.{nick}.{name} has both {correct} and {typo}"
                ));
            }
            *target = Some(value);
            count += 1;
        }
    });
    match conflict {
        Some(message) => Err(message),
        None => Ok(count),
    }
}

/// `descriptioni` → `description` (endpoints sendMessage and sendMessageToEndpoint
/// `variables`).
pub fn param_descriptioni(spec: &mut SpecVersion) -> Result<usize, String> {
    rename_param_key(
        spec,
        ("descriptioni", "description"),
        |p| p.descriptioni.take(),
        |p| &mut p.description,
    )
}

/// `defalutValue` → `defaultValue` (channels hangup `reason`; seen in 16.x).
pub fn hangup_defalut_value(spec: &mut SpecVersion) -> Result<usize, String> {
    rename_param_key(
        spec,
        ("defalutValue", "defaultValue"),
        |p| p.defalut_value.take(),
        |p| &mut p.default_value,
    )
}

/// Error codes written as strings (`"404"`) become numbers (channels move).
pub fn string_error_codes(spec: &mut SpecVersion) -> Result<usize, String> {
    let mut count = 0;
    for file in &mut spec.files {
        for api in &mut file.decl.apis {
            for op in &mut api.operations {
                for err in &mut op.error_responses {
                    if let ErrorCode::Text(text) = &err.code {
                        let number: u64 = text.trim().parse().map_err(|_| {
                            format!(
                                "{}.{}: error code {text:?} is not a number",
                                file.stem, op.nickname
                            )
                        })?;
                        err.code = ErrorCode::Number(number);
                        count += 1;
                    }
                }
            }
        }
    }
    Ok(count)
}

/// Path parameters without `required` get `required: true` (endpoints `tech`
/// and `resource`). An explicit `required: false` is left for
/// lowering to reject.
pub fn path_params_required(spec: &mut SpecVersion) -> Result<usize, String> {
    let mut count = 0;
    for_each_param(spec, |_, _, p| {
        if p.param_type == ParamType::Path && p.required.is_none() {
            p.required = Some(true);
            count += 1;
        }
    });
    Ok(count)
}

/// Reads the values of a parenthesised, comma-separated list that follows
/// `marker` in `text`: `"attributes (mixing, holding)."` → `[mixing, holding]`.
fn prose_list(text: &str, marker: &str) -> Option<Vec<String>> {
    let start = text.find(marker)? + marker.len();
    let rest = &text[start..];
    let end = rest.find(')')?;
    let values: Vec<String> = rest[..end]
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty()
        || values
            .iter()
            .any(|v| !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        None
    } else {
        Some(values)
    }
}

/// Bridges `create`/`createWithId` param `type`: the description says
/// "Comma separated list of bridge type attributes (mixing, holding,
/// dtmf_events, proxy_media, video_sfu, video_single[, sdp_label])" — the values
/// are read from that prose (older versions lack `sdp_label`), and the param becomes
/// `allowMultiple` since it is a comma-separated list.
pub fn bridge_type_prose(spec: &mut SpecVersion) -> Result<usize, String> {
    let Some(file) = spec.file_mut("bridges") else {
        return Ok(0);
    };
    let mut count = 0;
    for api in &mut file.decl.apis {
        for op in &mut api.operations {
            for p in &mut op.parameters {
                if p.name != "type" || p.allowable_values.is_some() {
                    continue;
                }
                let Some(values) = p
                    .description
                    .as_deref()
                    .and_then(|d| prose_list(d, "bridge type attributes ("))
                else {
                    continue;
                };
                p.allowable_values = Some(AllowableValues {
                    value_type: ValueType::List,
                    values: Some(values),
                    min: None,
                    max: None,
                    from_prose: true,
                });
                p.allow_multiple = Some(true);
                count += 1;
            }
        }
    }
    Ok(count)
}

/// The states `POST /channels/{channelId}/transfer_progress` accepts. The spec's
/// description ("The state of the progress") names none; these are the values
/// documented in Asterisk's ARI transfer-handling guide and accepted by
/// res_ari_channels.
pub const TRANSFER_PROGRESS_STATES: &[&str] = &[
    "channel_progress",
    "channel_answered",
    "channel_unavailable",
    "channel_declined",
];

/// channels `transfer_progress` param `states` gets its values (the operation
/// is new in 20.13/21.8/22.3; older versions have nothing to fix).
pub fn transfer_progress_states(spec: &mut SpecVersion) -> Result<usize, String> {
    let Some(file) = spec.file_mut("channels") else {
        return Ok(0);
    };
    let mut count = 0;
    for api in &mut file.decl.apis {
        for op in api
            .operations
            .iter_mut()
            .filter(|o| o.nickname == "transfer_progress")
        {
            for p in op.parameters.iter_mut().filter(|p| p.name == "states") {
                if p.allowable_values.is_some() {
                    continue;
                }
                p.allowable_values = Some(AllowableValues {
                    value_type: ValueType::List,
                    values: Some(
                        TRANSFER_PROGRESS_STATES
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                    ),
                    min: None,
                    max: None,
                    from_prose: true,
                });
                count += 1;
            }
        }
    }
    Ok(count)
}

/// Edits the LIST values of `file`'s `model.property`; `edit` returns how many changes it made.
fn edit_model_list(
    spec: &mut SpecVersion,
    file: &str,
    model: &str,
    property: &str,
    edit: impl FnOnce(&mut Vec<String>) -> usize,
) -> usize {
    let values = spec
        .file_mut(file)
        .and_then(|f| f.decl.models.get_mut(model))
        .and_then(|m| m.properties.get_mut(property))
        .and_then(|p| p.allowable_values.as_mut())
        .filter(|a| a.value_type == ValueType::List)
        .and_then(|a| a.values.as_mut());
    match values {
        Some(values) => edit(values),
        None => 0,
    }
}

/// Channel.state: `Rsrved` → `Rsrvd` (what `ast_state2str` sends) and add
/// `Mute`.
pub fn channel_state_values(spec: &mut SpecVersion) -> Result<usize, String> {
    Ok(edit_model_list(
        spec,
        "channels",
        "Channel",
        "state",
        |values| {
            let mut changes = 0;
            for v in values.iter_mut() {
                if v == "Rsrved" {
                    *v = "Rsrvd".to_string();
                    changes += 1;
                }
            }
            if changes > 0 && !values.iter().any(|v| v == "Mute") {
                values.push("Mute".to_string());
                changes += 1;
            }
            changes
        },
    ))
}

/// Playback.state: add `paused`, which the server reports for a paused
/// playback.
pub fn playback_state_paused(spec: &mut SpecVersion) -> Result<usize, String> {
    Ok(edit_model_list(
        spec,
        "playbacks",
        "Playback",
        "state",
        |values| {
            if values.iter().any(|v| v == "paused") {
                0
            } else {
                let at = values
                    .iter()
                    .position(|v| v == "playing")
                    .map_or(values.len(), |i| i + 1);
                values.insert(at, "paused".to_string());
                1
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_list_reads_values() {
        assert_eq!(
            prose_list(
                "Comma separated list of bridge type attributes (mixing, holding) to set.",
                "attributes ("
            ),
            Some(vec!["mixing".to_string(), "holding".to_string()])
        );
        assert_eq!(prose_list("no list here", "attributes ("), None);
    }
}
