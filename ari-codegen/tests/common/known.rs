//! The one table of facts pinned about specific Asterisk versions.
//!
//! Tests take the set of versions from `specs/specs.lock` (see [`super::lock_versions`]); this
//! table only pins what was measured on the versions listed here. Facts about one version
//! (its counts, where each fixup applied) are checked for each row; facts about the union
//! (its counts, the differences between versions, which version has what) are checked on
//! the union of the rows' versions only, so a version added to the lock changes none of
//! them. A new version may get a row here once it has been reviewed; it never needs one.

/// What was measured on one version.
pub struct KnownVersion {
    /// The version, as in the lock.
    pub version: &'static str,
    /// Resources (api-docs files with operations, events included).
    pub resources: usize,
    /// Operations.
    pub operations: usize,
    /// Models of every kind (plain models, messages, events).
    pub models: usize,
    /// Event types.
    pub events: usize,
    /// Enums with at least one value in this version.
    pub enums: usize,
    /// Every fixup that applied to this version, in the fixups' order, with the number of
    /// places it fixed.
    pub fixups: &'static [(&'static str, usize)],
}

/// Where the fixups applied in 16.30.1.
const FIXUPS_16: &[(&str, usize)] = &[
    ("param_descriptioni", 2),
    ("hangup_defalut_value", 1),
    ("string_error_codes", 2),
    ("path_params_required", 5),
    ("bridge_type_prose", 2),
    ("channel_state_values", 2),
    ("playback_state_paused", 1),
];

/// Where the fixups applied in 18.26.4.
const FIXUPS_18: &[(&str, usize)] = &[
    ("param_descriptioni", 2),
    ("string_error_codes", 2),
    ("path_params_required", 7),
    ("bridge_type_prose", 2),
    ("channel_state_values", 2),
    ("playback_state_paused", 1),
];

/// Where the fixups applied in 20.20.1, 21.12.3, 22.10.1 and 23.4.1 (the same in each).
const FIXUPS_SINCE_20: &[(&str, usize)] = &[
    ("param_descriptioni", 2),
    ("string_error_codes", 2),
    ("path_params_required", 7),
    ("bridge_type_prose", 2),
    ("transfer_progress_states", 1),
    ("channel_state_values", 2),
    ("playback_state_paused", 1),
];

/// One row: the version, its counts (resources, operations, models, events, enums) and
/// where the fixups applied.
const fn row(
    version: &'static str,
    [resources, operations, models, events, enums]: [usize; 5],
    fixups: &'static [(&'static str, usize)],
) -> KnownVersion {
    KnownVersion {
        version,
        resources,
        operations,
        models,
        events,
        enums,
        fixups,
    }
}

/// The versions reviewed so far.
pub const KNOWN_VERSIONS: &[KnownVersion] = &[
    row("16.30.1", [11, 98, 70, 38, 17], FIXUPS_16),
    row("18.26.4", [11, 100, 70, 38, 17], FIXUPS_18),
    row("20.20.1", [11, 109, 84, 44, 18], FIXUPS_SINCE_20),
    row("21.12.3", [11, 102, 81, 42, 18], FIXUPS_SINCE_20),
    row("22.10.1", [11, 109, 85, 45, 18], FIXUPS_SINCE_20),
    row("23.4.1", [11, 109, 85, 45, 18], FIXUPS_SINCE_20),
];

/// Counts of the union of [`KNOWN_VERSIONS`]: resources, operations, models, events, enums.
pub const KNOWN_UNION: (usize, usize, usize, usize, usize) = (11, 109, 85, 45, 18);

/// REST operations of that union (every operation but the events WebSocket).
pub const KNOWN_REST_OPERATIONS: usize = 108;

/// The differences between [`KNOWN_VERSIONS`] that the union records (`Api::conflicts`).
pub const KNOWN_CONFLICTS: &[&str] = &[
    "param channels.externalMedia.external_host: required differs: true in {16.30.1, 18.26.4}; false in {20.20.1, 21.12.3, 22.10.1, 23.4.1}; keeping false",
    "param channels.hangup.reason: default differs: \"normal\" in {16.30.1}; none in {18.26.4, 20.20.1, 21.12.3, 22.10.1, 23.4.1}; keeping none",
];
