//! The `fixups` stage: one small function per known upstream spec defect.
//!
//! Each [`Fixup`] names the Asterisk versions it applies to. It runs only on
//! those versions, and finding nothing to fix there is an error: the defect
//! is gone upstream and the fixup (or its version list) must be updated. A
//! version it does not claim keeps the defect, and lowering then rejects the
//! raw construct (e.g. a string error code) with the file and JSON path — so a
//! newly imported version fails loudly until the fixups are reviewed for it.
//!
//! | fixup | versions | defect |
//! |---|---|---|
//! | `param_descriptioni` | all six | key `descriptioni` instead of `description` (endpoints sendMessage, sendMessageToEndpoint) |
//! | `hangup_defalut_value` | 16.30.1 | key `defalutValue` instead of `defaultValue` (channels hangup `reason`) |
//! | `string_error_codes` | all six | error codes `"404"`/`"409"` as strings (channels move) |
//! | `path_params_required` | all six | path params `tech`/`resource` without `required` (endpoints) |
//! | `bridge_type_prose` | all six | bridge `type` values only in the description; also a comma-separated list without `allowMultiple` |
//! | `transfer_progress_states` | 20.20.1, 21.12.3, 22.10.1, 23.4.1 | transfer_progress `states` lists no values at all |
//! | `channel_state_values` | all six | Channel.state lists `Rsrved` (the server sends `Rsrvd`) and lacks `Mute` |
//! | `playback_state_paused` | all six | Playback.state lacks `paused`, which the server sends |

use crate::error::Error;
use crate::spec::{AllowableValues, ErrorCode, ParamType, Parameter, SpecVersion, ValueType};

/// One fixup: a named, documented repair of one upstream defect.
#[derive(Debug, Clone, Copy)]
pub struct Fixup {
    /// Short name used in messages.
    pub name: &'static str,
    /// What upstream gets wrong, in one line.
    pub defect: &'static str,
    /// The versions (`22.10.1`) this fixup applies to.
    pub versions: &'static [&'static str],
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

const ALL: &[&str] = &[
    "16.30.1", "18.26.4", "20.20.1", "21.12.3", "22.10.1", "23.4.1",
];

/// The fixups for Asterisk's specs, in the order they run.
pub const ASTERISK: &[Fixup] = &[
    Fixup {
        name: "param_descriptioni",
        defect: "parameter key `descriptioni` is a typo of `description`",
        versions: ALL,
        apply: param_descriptioni,
    },
    Fixup {
        name: "hangup_defalut_value",
        defect: "parameter key `defalutValue` is a typo of `defaultValue`",
        versions: &["16.30.1"],
        apply: hangup_defalut_value,
    },
    Fixup {
        name: "string_error_codes",
        defect: "error response codes written as strings",
        versions: ALL,
        apply: string_error_codes,
    },
    Fixup {
        name: "path_params_required",
        defect: "path parameters without `required` (path params are always required)",
        versions: ALL,
        apply: path_params_required,
    },
    Fixup {
        name: "bridge_type_prose",
        defect:
            "bridge `type` values exist only in the description, and the list lacks `allowMultiple`",
        versions: ALL,
        apply: bridge_type_prose,
    },
    Fixup {
        name: "transfer_progress_states",
        defect: "transfer_progress `states` documents no values",
        versions: &["20.20.1", "21.12.3", "22.10.1", "23.4.1"],
        apply: transfer_progress_states,
    },
    Fixup {
        name: "channel_state_values",
        defect: "Channel.state lists `Rsrved` (the server sends `Rsrvd`) and lacks `Mute`",
        versions: ALL,
        apply: channel_state_values,
    },
    Fixup {
        name: "playback_state_paused",
        defect: "Playback.state lacks `paused`",
        versions: ALL,
        apply: playback_state_paused,
    },
];

/// Runs every fixup of `fixups` that claims `spec.version`, in order.
/// A claimed fixup that fixes nothing is an [`Error::Fixup`].
pub fn apply(spec: &mut SpecVersion, fixups: &[Fixup]) -> Result<Vec<Applied>, Error> {
    let version = spec.version.to_string();
    let mut applied = Vec::new();
    for fixup in fixups {
        if !fixup.versions.contains(&version.as_str()) {
            continue;
        }
        let count = (fixup.apply)(spec).map_err(|message| Error::Fixup {
            fixup: fixup.name,
            version: version.clone(),
            message,
        })?;
        if count == 0 {
            return Err(Error::Fixup {
                fixup: fixup.name,
                version,
                message: format!(
                    "found nothing to fix ({}); the defect is gone upstream, so update the fixup's versions",
                    fixup.defect
                ),
            });
        }
        applied.push(Applied {
            fixup: fixup.name,
            count,
        });
    }
    Ok(applied)
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

/// `descriptioni` → `description` (endpoints sendMessage and sendMessageToEndpoint
/// `variables`, all six versions).
pub fn param_descriptioni(spec: &mut SpecVersion) -> Result<usize, String> {
    let mut count = 0;
    let mut conflict = None;
    for_each_param(spec, |stem, nick, p| {
        if let Some(text) = p.descriptioni.take() {
            if p.description.is_some() {
                conflict = Some(format!(
                    "{stem}.{nick}.{} has both description and descriptioni",
                    p.name
                ));
            }
            p.description = Some(text);
            count += 1;
        }
    });
    match conflict {
        Some(message) => Err(message),
        None => Ok(count),
    }
}

/// `defalutValue` → `defaultValue` (channels hangup `reason`, 16.30.1).
pub fn hangup_defalut_value(spec: &mut SpecVersion) -> Result<usize, String> {
    let mut count = 0;
    let mut conflict = None;
    for_each_param(spec, |stem, nick, p| {
        if let Some(value) = p.defalut_value.take() {
            if p.default_value.is_some() {
                conflict = Some(format!(
                    "{stem}.{nick}.{} has both defaultValue and defalutValue",
                    p.name
                ));
            }
            p.default_value = Some(value);
            count += 1;
        }
    });
    match conflict {
        Some(message) => Err(message),
        None => Ok(count),
    }
}

/// Error codes written as strings (`"404"`) become numbers (channels move, all six).
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
/// and `resource`, all six). An explicit `required: false` is left for
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
/// are read from that prose (16.30.1 lacks `sdp_label`), and the param becomes
/// `allowMultiple` since it is a comma-separated list (all six).
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

/// channels `transfer_progress` param `states` gets its values (20.20.1,
/// 21.12.3, 22.10.1, 23.4.1 — the operation is new in 20.13/21.8/22.3).
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
/// `Mute` (all six).
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
/// playback (all six).
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
