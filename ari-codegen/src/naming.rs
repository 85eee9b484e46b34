//! Rust names for spec items. The one place that decides them.
//!
//! Every item keeps its wire name (the IR's `wire_name`/`wire` fields, sent
//! as-is for query keys, JSON keys and serde renames); this module only
//! derives the Rust identifier.
//!
//! # Words
//! Names are split into words by [`heck`] (case changes, `_`, `-`, spaces),
//! after two adjustments:
//! - a known acronym glued to a lowercase word is split off first
//!   ([`KNOWN_ACRONYMS`]): `RTPstat` → `RTP stat` → `RtpStat`/`rtp_stat`
//!   (heck alone would read `RT Pstat`). `RESTRequest` needs no help:
//!   `RestRequest`.
//! - symbols that carry meaning in enum values are spelled out
//!   ([`SYMBOL_WORDS`]): `*` → `Star`, `#` → `Pound`.
//!
//! Mixed wire styles all land on one Rust style: `channelId` and `channel_id`
//! → `channel_id`; `reason_code` stays `reason_code`.
//!
//! # Keywords
//! No raw identifiers are produced (emit code never needs `r#`):
//! `type` → `kind`, `move` → `move_to` (a channel *moves to* another app),
//! any other keyword gets a trailing `_` (`in` → `in_`, `Self` → `Self_`).
//! A name starting with a digit gets a `v`/`V` prefix; an empty one becomes
//! `empty`/`Empty`.
//!
//! # Handles and builders
//! An object handle is named from its path: the one path parameter less an
//! `Id`/`Name` suffix ([`object_name_from_param`]), or else the path word before
//! its parameters in the singular ([`object_name_from_literal`]); its type is
//! that name + `Handle` ([`handle_type`]). Builders and accessors are the
//! UpperCamelCase of their method ([`method_type`]). Where
//! these names go, and how clashes between them are qualified, is the
//! emitter's plan (`emit/ops_plan.rs`); the SDK's overrides are in
//! [`crate::curated`].
//!
//! # Collisions
//! Within one scope (the fields of a model, the params of an operation, the
//! operations of a resource, the variants of an enum, all type names) a
//! [`Scope`] hands out names in a deterministic order (spec order for params,
//! wire-name order otherwise). When a name is taken, the next candidate is
//! tried (`type` → `kind`, then `type_`), then numeric suffixes (`channel_id_2`,
//! `RtpStat2`).
//!
//! # Enum names
//! Every `allowableValues` LIST (and every enum a fixup recovers from prose) is
//! a *site*: a model field (`Channel.state`) or an operation parameter
//! (`channels.hangup.reason`). Sites are grouped into one enum when
//! 1. they are parameters with the same wire name whose value sets overlap
//!    (`mute.direction`, `unmute.direction`, `externalMedia.direction`), or
//! 2. they are parameters of the same operation with identical value sets
//!    (`snoopChannel.spy` and `.whisper`), or
//! 3. they get the same default name (below) and their value sets overlap, or
//! 4. [`ENUM_NAMES`] names them together (`Bridge.bridge_type` with the
//!    prose enum of `bridges.create.type`).
//!
//! A site's default name:
//! - field `Model.field`: `{Model}{Field}` (`ChannelState`, `PlaybackState`),
//!   or just `{Field}` when the field's first word repeats the model's first
//!   word (`Bridge.bridge_type` → `BridgeType`, `ContactInfo.contact_status` →
//!   `ContactStatus`);
//! - parameter `resource.nickname.param`: `{Nickname}{Param}` (`HangupReason`,
//!   `RecordIfExists`, `ExternalMediaTransport`), or just `{Param}` when the
//!   param's first word repeats the nickname's first word.
//!
//! A group's name is, in order: the [`ENUM_NAMES`] entry of any of its sites;
//! the shared default name if all sites agree; the longest run of trailing
//! words common to all default names (`MuteDirection`/`UnmuteDirection` →
//! `Direction`); else the default name of its first site (fields before
//! params, then by site key). The name then goes through the type-name
//! [`Scope`], after all model names, so a clash with a model gets a suffix.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::curated::ENUM_NAMES;

pub mod assign;

/// Acronyms that upstream glues to the next lowercase word (`RTPstat`).
pub const KNOWN_ACRONYMS: &[&str] = &["RTP"];

/// Symbols in enum values and the word each stands for.
pub const SYMBOL_WORDS: &[(char, &str)] = &[
    ('*', "star"),
    ('#', "pound"),
    ('+', "plus"),
    ('&', "and"),
    ('@', "at"),
];

/// Rust keywords (strict, reserved and edition-2024 `gen`) that cannot be plain identifiers.
pub const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Preferred replacements for keywords that are common wire names.
const KEYWORD_RENAMES: &[(&str, &str)] = &[("type", "kind"), ("move", "move_to")];

/// `true` if `ident` is a Rust keyword.
pub fn is_keyword(ident: &str) -> bool {
    KEYWORDS.contains(&ident)
}

/// Rewrites symbols and known acronyms so heck splits words as intended.
fn prepare(wire: &str) -> String {
    let mut s = String::with_capacity(wire.len() + 8);
    for c in wire.chars() {
        match SYMBOL_WORDS.iter().find(|(sym, _)| *sym == c) {
            Some((_, word)) => {
                s.push(' ');
                s.push_str(word);
                s.push(' ');
            }
            None => s.push(c),
        }
    }
    for acronym in KNOWN_ACRONYMS {
        let mut out = String::with_capacity(s.len() + 2);
        let mut rest = s.as_str();
        while let Some(i) = rest.find(acronym) {
            let end = i + acronym.len();
            let before_ok = rest[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_uppercase());
            let after_lower = rest[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase());
            out.push_str(&rest[..end]);
            if before_ok && after_lower {
                out.push('_');
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        s = out;
    }
    s
}

/// The words of a wire name, lowercased: `RTPstat` → `["rtp", "stat"]`.
pub fn words(wire: &str) -> Vec<String> {
    prepare(wire)
        .to_snake_case()
        .split('_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The snake_case candidate names for a field, parameter, operation or
/// resource, best first: `channelId` → `[channel_id]`, `type` → `[kind, type_]`.
pub fn snake_candidates(wire: &str) -> Vec<String> {
    let base = words(wire).join("_");
    let base = if base.is_empty() {
        "empty".to_string()
    } else if base.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{base}")
    } else {
        base
    };
    if is_keyword(&base) {
        let mut out = Vec::new();
        if let Some((_, rename)) = KEYWORD_RENAMES.iter().find(|(k, _)| *k == base) {
            out.push((*rename).to_string());
        }
        out.push(format!("{base}_"));
        out
    } else {
        vec![base]
    }
}

/// The snake_case name, ignoring collisions: `channelId` → `channel_id`.
pub fn snake(wire: &str) -> String {
    snake_candidates(wire).remove(0)
}

/// The UpperCamelCase name for a type or variant, ignoring collisions:
/// `RTPstat` → `RtpStat`, `dtmf_events` → `DtmfEvents`, `*` → `Star`.
pub fn camel(wire: &str) -> String {
    let base = prepare(wire).to_upper_camel_case();
    if base.is_empty() {
        "Empty".to_string()
    } else if base.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{base}")
    } else if is_keyword(&base) {
        format!("{base}_")
    } else {
        base
    }
}

/// A set of names in use; hands out unique names deterministically.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    used: BTreeSet<String>,
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Self {
        Scope::default()
    }

    /// Marks `name` as taken (e.g. a name reserved by the runtime).
    pub fn reserve(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    /// `true` if `name` is taken.
    pub fn is_taken(&self, name: &str) -> bool {
        self.used.contains(name)
    }

    /// Takes the first free candidate; if all are taken, the first candidate
    /// with the smallest free numeric suffix (`_2`, `_3`, … when `snake`, else `2`, `3`, …).
    pub fn claim(&mut self, candidates: &[String], snake: bool) -> String {
        for candidate in candidates {
            if self.used.insert(candidate.clone()) {
                return candidate.clone();
            }
        }
        let first = candidates.first().map(String::as_str).unwrap_or("item");
        let mut n = 2u32;
        loop {
            let name = if snake {
                format!("{first}_{n}")
            } else {
                format!("{first}{n}")
            };
            if self.used.insert(name.clone()) {
                return name;
            }
            n += 1;
        }
    }

    /// Claims a snake_case name for `wire`.
    pub fn claim_snake(&mut self, wire: &str) -> String {
        self.claim(&snake_candidates(wire), true)
    }

    /// Claims an UpperCamelCase name for `wire`.
    pub fn claim_camel(&mut self, wire: &str) -> String {
        self.claim(&[camel(wire)], false)
    }
}

/// The default enum name of a model-field site (see the module docs).
pub fn field_enum_name(model: &str, field: &str) -> String {
    site_enum_name(model, field)
}

/// The default enum name of a parameter site (see the module docs).
pub fn param_enum_name(nickname: &str, param: &str) -> String {
    site_enum_name(nickname, param)
}

/// `Owner` + `Name`, or `Name` alone when it has several words and already starts with the owner's
/// first word (one rule for model fields and operation parameters).
fn site_enum_name(owner: &str, name: &str) -> String {
    let owner_words = words(owner);
    let name_words = words(name);
    if name_words.len() > 1 && owner_words.first() == name_words.first() {
        camel(name)
    } else {
        format!("{}{}", camel(owner), camel(name))
    }
}

/// The longest run of trailing words shared by all `names` (UpperCamelCase),
/// e.g. `MuteDirection`, `UnmuteDirection` → `Direction`; `None` if none.
pub fn common_suffix_name(names: &[String]) -> Option<String> {
    let split: Vec<Vec<String>> = names.iter().map(|n| words(n)).collect();
    let shortest = split.iter().map(Vec::len).min()?;
    let mut common = 0;
    while common < shortest {
        let word = &split[0][split[0].len() - 1 - common];
        if split.iter().all(|w| &w[w.len() - 1 - common] == word) {
            common += 1;
        } else {
            break;
        }
    }
    if common == 0 {
        return None;
    }
    let first = &split[0];
    let tail = first[first.len() - common..].join("_");
    Some(camel(&tail))
}

/// The handle name for an object keyed by one path parameter: the parameter less an `Id`/`Name`
/// suffix, snake_case (`channelId` → `channel`, `deviceName` → `device`, `recordingName` →
/// `recording`).
pub fn object_name_from_param(param: &str) -> String {
    let stem = ["Id", "Name", "_id", "_name"]
        .iter()
        .find_map(|s| param.strip_suffix(s).filter(|stem| !stem.is_empty()))
        .unwrap_or(param);
    snake(stem)
}

/// The handle name for an object keyed by the path literal before its parameters: that word
/// in the singular, snake_case (`variables` → `variable`, `mailboxes` → `mailbox`).
pub fn object_name_from_literal(literal: &str) -> String {
    snake(&singular(literal))
}

/// A plural path word in the singular (`channels` → `channel`, `mailboxes` → `mailbox`); a word
/// without a plural ending is kept.
pub fn singular(word: &str) -> String {
    for suffix in ["xes", "ches", "shes", "sses"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            return format!("{stem}{}", &suffix[..suffix.len() - 2]);
        }
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

/// The handle type for a handle method: `device_state` → `DeviceStateHandle`.
pub fn handle_type(method: &str) -> String {
    format!("{}Handle", camel(method))
}

/// The type named after a method: an operation's builder (`play_with_id` → `PlayWithId`) or a
/// resource accessor (`device_states` → `DeviceStates`).
pub fn method_type(method: &str) -> String {
    camel(method)
}

/// The curated name for a site key, if [`ENUM_NAMES`] has one.
pub fn curated_enum_name(site: &str) -> Option<&'static str> {
    ENUM_NAMES.iter().find(|(s, _)| *s == site).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_builder_and_accessor_names() {
        type Rule = fn(&str) -> String;
        let cases: [(Rule, &str, &str); 11] = [
            (object_name_from_param, "channelId", "channel"),
            (object_name_from_param, "recordingName", "recording"),
            (object_name_from_param, "playback_id", "playback"),
            // A suffix alone is the name.
            (object_name_from_param, "Id", "id"),
            (object_name_from_literal, "variables", "variable"),
            (object_name_from_literal, "mailboxes", "mailbox"),
            (object_name_from_literal, "matches", "match_"),
            (singular, "sound", "sound"),
            (method_type, "play_with_id", "PlayWithId"),
            (handle_type, "device_state", "DeviceStateHandle"),
            (method_type, "device_states", "DeviceStates"),
        ];
        for (rule, input, expected) in cases {
            assert_eq!(rule(input), expected, "{input}");
        }
    }

    #[test]
    fn words_split_known_acronyms() {
        assert_eq!(words("RTPstat"), ["rtp", "stat"]);
        assert_eq!(words("RESTRequest"), ["rest", "request"]);
        assert_eq!(words("channelId"), ["channel", "id"]);
        assert_eq!(words("XRTPstat"), ["xrt", "pstat"]);
    }

    #[test]
    fn camel_and_snake() {
        assert_eq!(camel("RTPstat"), "RtpStat");
        assert_eq!(camel("RESTRequest"), "RestRequest");
        assert_eq!(camel("Dialing Offhook"), "DialingOffhook");
        assert_eq!(camel("Pre-ring"), "PreRing");
        assert_eq!(camel("*"), "Star");
        assert_eq!(camel("#"), "Pound");
        assert_eq!(camel(""), "Empty");
        assert_eq!(camel("Self"), "Self_");
        assert_eq!(camel("3pcc"), "V3pcc");
        assert_eq!(snake("type"), "kind");
        assert_eq!(snake("move"), "move_to");
        assert_eq!(snake("in"), "in_");
        assert_eq!(snake("reason_code"), "reason_code");
        assert_eq!(snake("channelId"), "channel_id");
        assert_eq!(snake("transfer_progress"), "transfer_progress");
        assert_eq!(snake("deviceStates"), "device_states");
    }

    #[test]
    fn enum_default_names() {
        assert_eq!(field_enum_name("Channel", "state"), "ChannelState");
        assert_eq!(field_enum_name("Bridge", "bridge_type"), "BridgeType");
        assert_eq!(
            field_enum_name("ContactInfo", "contact_status"),
            "ContactStatus"
        );
        assert_eq!(param_enum_name("hangup", "reason"), "HangupReason");
        assert_eq!(param_enum_name("record", "ifExists"), "RecordIfExists");
        assert_eq!(
            param_enum_name("externalMedia", "connection_type"),
            "ExternalMediaConnectionType"
        );
        assert_eq!(
            common_suffix_name(&["MuteDirection".into(), "UnmuteDirection".into()]),
            Some("Direction".into())
        );
        assert_eq!(
            common_suffix_name(&["SnoopSpy".into(), "SnoopWhisper".into()]),
            None
        );
    }

    #[test]
    fn scope_resolves_collisions() {
        let mut scope = Scope::new();
        assert_eq!(scope.claim_snake("kind"), "kind");
        assert_eq!(scope.claim_snake("type"), "type_");
        assert_eq!(scope.claim_snake("channelId"), "channel_id");
        assert_eq!(scope.claim_snake("channel_id"), "channel_id_2");
        assert_eq!(scope.claim_snake("ChannelId"), "channel_id_3");
        let mut types = Scope::new();
        assert_eq!(types.claim_camel("RTPstat"), "RtpStat");
        assert_eq!(types.claim_camel("RtpStat"), "RtpStat2");
    }
}
