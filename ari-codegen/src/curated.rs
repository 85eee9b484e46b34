//! The SDK's own choices about the generated API, in one place: what the specs do not say and a
//! reviewer of the generated code would want to find and change without reading the emitters.
//!
//! The tables that name spec sites (enum sites, handle templates, body parameters, concerned
//! models) are checked against the real specs by the codegen tests, so an entry that stops
//! matching anything is noticed; a reserved name is never taken (a resource accessor that would
//! take one gets `_api` appended, anything else is an emitter error).
//! Kept apart from these choices:
//! - upstream defects and how they are repaired: [`crate::fixups`] (each fixup names the upstream
//!   file it repairs);
//! - word-level naming rules (acronyms, symbols in enum values, Rust keywords): [`crate::naming`];
//! - hand-written notes added to generated docs: [`crate::doc_notes`]; server behaviour the specs
//!   do not describe (parameters a server requires): [`crate::server_required`].

/// Curated enum names: site key → enum name. A site key is `Model.field` or
/// `resource.nickname.param`. Entries sharing a name also join their sites
/// into one enum. Every entry must match a site of the real specs (checked by
/// the real-spec test), so a stale entry is noticed.
pub const ENUM_NAMES: &[(&str, &str)] = &[
    // The bridge's type as reported, and the prose list of type attributes on create.
    ("Bridge.bridge_type", "BridgeType"),
    ("bridges.create.type", "BridgeType"),
    ("bridges.createWithId.type", "BridgeType"),
    // A device state as reported and as set.
    ("DeviceState.state", "DeviceStateValue"),
    ("deviceStates.update.deviceState", "DeviceStateValue"),
    // Audio directions for mute/unmute/externalMedia ({both, in, out}).
    ("channels.mute.direction", "MediaDirection"),
    // Snoop spy/whisper ({none, both, out, in}).
    ("channels.snoopChannel.spy", "SnoopDirection"),
    // The `only` filter of GET /asterisk/info names sections of AsteriskInfo.
    ("asterisk.getInfo.only", "InfoSection"),
    // playbacks control `operation`.
    ("playbacks.control.operation", "PlaybackOperation"),
    // transfer_progress `states` takes one state.
    ("channels.transfer_progress.states", "TransferProgressState"),
];

/// Handle base names the rule does not get right, by owner path template. An entry that
/// matches no object is ignored by the emitter and reported by the real-spec test.
pub const HANDLE_NAME_OVERRIDES: &[(&str, &str)] = &[
    // The object read and written here is a device state; `client.device(..)` would suggest
    // an endpoint.
    ("/deviceStates/{deviceName}", "device_state"),
    // A sorcery object of the dynamic configuration; the rule would say `dynamic`.
    (
        "/asterisk/config/dynamic/{configClass}/{objectType}/{id}",
        "config_object",
    ),
];

/// Methods the hand-written runtime defines (or reserves) on `Client`: no accessor or handle
/// may take these names.
pub const RESERVED_CLIENT_METHODS: &[&str] = &[
    "builder",
    "base_url",
    "execute_json",
    "execute_void",
    "execute_binary",
    "execute_stream",
    "transport",
    "events",
    "clone",
];

/// Names a builder reserves for itself (its client field and its own methods).
pub const RESERVED_BUILDER_NAMES: &[&str] =
    &["client", "send", "stream", "into_request", "parts", "new"];

/// How a body parameter of JSON type `object` is taken and sent, where a plain typed field
/// would be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyObject {
    /// Channel variables: name → value pairs sent as `{"variables": {..}}`; a value may also
    /// be `{value, report_events}` where the parameter's description says so.
    Variables,
    /// Dynamic configuration fields: `(attribute, value)` pairs sent as
    /// `{"fields": [{"attribute": .., "value": ..}]}`.
    ConfigFields,
    /// The whole JSON body is the parameter (an application's event filter).
    WholeBody,
}

/// Body parameters of type `object`, by wire name, and how each is taken. Any other body
/// parameter is a JSON field of its declared type.
pub const BODY_OBJECTS: &[(&str, BodyObject)] = &[
    ("variables", BodyObject::Variables),
    ("fields", BodyObject::ConfigFields),
    ("filter", BodyObject::WholeBody),
];

/// An object kind whose ids an event "concerns": every event gets accessors returning the
/// objects of this kind it carries (nested ones included) and their ids, and the runtime routes
/// events to per-object streams by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concern {
    /// The model's wire name, e.g. `Channel`.
    pub model: &'static str,
    /// The field identifying an object, e.g. `id` (`name` for live recordings).
    pub id_field: &'static str,
    /// The accessor returning the objects, e.g. `channels`.
    pub models_accessor: &'static str,
    /// The accessor returning their ids, e.g. `channel_ids`.
    pub ids_accessor: &'static str,
    /// The noun in the accessors' docs, e.g. `live recording`.
    pub noun: &'static str,
    /// The runtime's `ObjectKind` variant, e.g. `Recording`.
    pub object_kind: &'static str,
}

/// The object kinds events are routed by.
pub const CONCERNS: &[Concern] = &[
    Concern {
        model: "Channel",
        id_field: "id",
        models_accessor: "channels",
        ids_accessor: "channel_ids",
        noun: "channel",
        object_kind: "Channel",
    },
    Concern {
        model: "Bridge",
        id_field: "id",
        models_accessor: "bridges",
        ids_accessor: "bridge_ids",
        noun: "bridge",
        object_kind: "Bridge",
    },
    Concern {
        model: "Playback",
        id_field: "id",
        models_accessor: "playbacks",
        ids_accessor: "playback_ids",
        noun: "playback",
        object_kind: "Playback",
    },
    Concern {
        model: "LiveRecording",
        id_field: "name",
        models_accessor: "recordings",
        ids_accessor: "recording_names",
        noun: "live recording",
        object_kind: "Recording",
    },
];
