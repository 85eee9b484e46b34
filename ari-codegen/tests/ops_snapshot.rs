//! Snapshot of the operations emitter (`handles.rs`, `operations.rs`, `contract.rs`) on a
//! fixture IR: 57 operations of the real specs (summaries, notes, parameters, errors as
//! Asterisk 22.10.1 writes them; availability as 16.30.1 vs 22.10.1 differ), chosen to reach
//! every emitter path: handles with one and three path parameters, two objects with the same
//! parameter name (live/stored recordings), a name override (device states), keys that are not
//! objects (`/endpoints/{tech}`, `/events/user/{eventName}`), a resource with no accessor
//! (playbacks), a reserved accessor name (events), the WebSocket upgrade, enum and list
//! parameters, every body shape (variables, config fields, whole-body filter), void, binary
//! and JSON responses, versioned operations and parameters, and prose full of markup.
//!
//! The snapshot files are compiled and their generated contract tests run by
//! `ari-sdk/tests/ops_fixture.rs`. Update with
//! `UPDATE_EXPECT=1 cargo test -p ari-codegen --test ops_snapshot`.

#[path = "common/build.rs"]
mod build;

use std::collections::BTreeMap;

use ari_codegen::emit::{generate, EmitError};
use ari_codegen::ir::*;
use build::{all, model_ref, version, versions as vs, NEW, OLD};
use expect_test::expect_file;

fn new_only() -> VersionSet {
    vs(&[NEW])
}

#[allow(clippy::too_many_arguments)] // one call per spec parameter reads like the spec
fn param(
    wire: &str,
    rust: &str,
    location: ParamLocation,
    ty: TypeRef,
    required: bool,
    allow_multiple: bool,
    default: Option<serde_json::Value>,
    range: Option<Range>,
    description: &str,
    versions: VersionSet,
) -> Param {
    Param {
        wire_name: wire.into(),
        rust_name: rust.into(),
        location,
        ty,
        required,
        default,
        allow_multiple,
        range,
        description: description.into(),
        versions,
    }
}

/// (resource, operation).
type Op = (&'static str, Operation);

#[allow(clippy::too_many_arguments)] // one call per spec operation reads like the spec
fn op(
    resource: &'static str,
    nickname: &str,
    rust: &str,
    method: HttpMethod,
    path: &str,
    response: ResponseType,
    summary: &str,
    notes: Option<String>,
    is_websocket: bool,
    versions: VersionSet,
    params: Vec<Param>,
    errors: &[(u16, &str)],
) -> Op {
    (
        resource,
        Operation {
            nickname: nickname.into(),
            rust_name: rust.into(),
            method,
            path: PathTemplate::parse(path).expect("a well-formed template"),
            summary: summary.into(),
            notes,
            params,
            response,
            errors: errors
                .iter()
                .map(|(status, reason)| ErrorResponse {
                    status: *status,
                    reason: (*reason).into(),
                    versions: versions.clone(),
                })
                .collect(),
            is_websocket,
            versions,
        },
    )
}

fn field(wire: &str, ty: TypeRef, required: bool) -> Field {
    Field {
        wire_name: wire.into(),
        rust_name: if wire == "type" {
            "kind".into()
        } else {
            wire.into()
        },
        ty,
        required,
        description: String::new(),
        versions: all(),
    }
}

fn model(wire: &str, rust: &str, fields: Vec<Field>) -> Model {
    build::model(wire, rust, &format!("The {wire} model."), fields)
}

fn enumeration(name: &str, values: &[&str], used_by: &str) -> Enum {
    Enum {
        rust_name: name.into(),
        description: String::new(),
        values: values
            .iter()
            .map(|w| EnumValue {
                wire: (*w).into(),
                rust_name: w
                    .split(['_', ' '])
                    .map(|part| {
                        let lower = part.to_lowercase();
                        let mut c = lower.chars();
                        c.next()
                            .map(|f| f.to_uppercase().chain(c).collect::<String>())
                            .unwrap_or_default()
                    })
                    .collect(),
                versions: all(),
            })
            .collect(),
        used_by: vec![used_by.into()],
        from_prose: false,
    }
}

fn models() -> BTreeMap<String, Model> {
    use TypeRef::*;
    let list = |t: TypeRef| List(Box::new(t));
    [
        model(
            "Application",
            "Application",
            vec![
                field("name", String, true),
                field("channel_ids", list(String), true),
                field("events_allowed", list(Object), true),
            ],
        ),
        model(
            "AsteriskInfo",
            "AsteriskInfo",
            vec![
                field("build", Object, false),
                field("system", Object, false),
            ],
        ),
        model(
            "ConfigTuple",
            "ConfigTuple",
            vec![
                field("attribute", String, true),
                field("value", String, true),
            ],
        ),
        model(
            "Module",
            "Module",
            vec![field("name", String, true), field("use_count", Int, true)],
        ),
        model(
            "Bridge",
            "Bridge",
            vec![
                field("id", String, true),
                field("bridge_type", Enum("BridgeType".into()), true),
                field("channels", list(String), true),
                field("creationtime", Date, true),
                field("name", String, false),
            ],
        ),
        model(
            "Channel",
            "Channel",
            vec![
                field("id", String, true),
                field("name", String, true),
                field("caller", model_ref("CallerID"), true),
                field("channelvars", Object, false),
            ],
        ),
        model(
            "CallerID",
            "CallerId",
            vec![field("name", String, true), field("number", String, true)],
        ),
        model("Variable", "Variable", vec![field("value", String, true)]),
        model(
            "Playback",
            "Playback",
            vec![field("id", String, true), field("state", String, true)],
        ),
        model(
            "DeviceState",
            "DeviceState",
            vec![
                field("name", String, true),
                field("state", Enum("DeviceStateValue".into()), true),
            ],
        ),
        model(
            "Endpoint",
            "Endpoint",
            vec![
                field("technology", String, true),
                field("resource", String, true),
                field("channel_ids", list(String), true),
            ],
        ),
        model(
            "LiveRecording",
            "LiveRecording",
            vec![field("name", String, true), field("duration", Int, false)],
        ),
        model(
            "StoredRecording",
            "StoredRecording",
            vec![field("name", String, true), field("format", String, true)],
        ),
        model(
            "Sound",
            "Sound",
            vec![field("id", String, true), field("text", String, false)],
        ),
    ]
    .into_iter()
    .map(|m| (m.wire_name.clone(), m))
    .collect()
}

fn enums() -> BTreeMap<String, Enum> {
    [
        enumeration(
            "BridgeType",
            &["mixing", "holding", "dtmf_events", "proxy_media"],
            "bridges.create.type",
        ),
        enumeration(
            "DeviceStateValue",
            &["NOT_INUSE", "INUSE", "BUSY", "INVALID"],
            "deviceStates.update.deviceState",
        ),
        enumeration(
            "HangupReason",
            &["normal", "busy", "congestion"],
            "channels.hangup.reason",
        ),
        enumeration(
            "InfoSection",
            &["build", "system", "config", "status"],
            "asterisk.getInfo.only",
        ),
        enumeration(
            "MediaDirection",
            &["both", "in", "out"],
            "channels.mute.direction",
        ),
        enumeration(
            "PlaybackOperation",
            &["restart", "pause", "unpause", "reverse", "forward"],
            "playbacks.control.operation",
        ),
        enumeration(
            "SnoopDirection",
            &["none", "both", "out", "in"],
            "channels.snoopChannel.spy",
        ),
    ]
    .into_iter()
    .map(|e| (e.rust_name.clone(), e))
    .collect()
}

/// The parameters of `originate` and `originateWithId` (the same but for `channelId`: a path parameter of
/// the second, an optional query parameter of the first).
#[rustfmt::skip] // one call per spec parameter, with the spec's own text
fn originate_params(with_id: bool) -> Vec<Param> {
    let channel_id = |location, required| param("channelId", "channel_id", location, TypeRef::String, required, false, None, None, "The unique id to assign the channel on creation.", all());
    let mut params = Vec::new();
    if with_id {
        params.push(channel_id(ParamLocation::Path, true));
    }
    params.extend([
        param("endpoint", "endpoint", ParamLocation::Query, TypeRef::String, true, false, None, None, "Endpoint to call.", all()),
        param("extension", "extension", ParamLocation::Query, TypeRef::String, false, false, None, None, "The extension to dial after the endpoint answers. Mutually exclusive with 'app'.", all()),
        param("context", "context", ParamLocation::Query, TypeRef::String, false, false, None, None, "The context to dial after the endpoint answers. If omitted, uses 'default'. Mutually exclusive with 'app'.", all()),
        param("priority", "priority", ParamLocation::Query, TypeRef::Long, false, false, None, None, "The priority to dial after the endpoint answers. If omitted, uses 1. Mutually exclusive with 'app'.", all()),
        param("label", "label", ParamLocation::Query, TypeRef::String, false, false, None, None, "The label to dial after the endpoint answers. Will supersede 'priority' if provided. Mutually exclusive with 'app'.", all()),
        param("app", "app", ParamLocation::Query, TypeRef::String, false, false, None, None, "The application that is subscribed to the originated channel. When the channel is answered, it will be passed to this Stasis application. Mutually exclusive with 'context', 'extension', 'priority', and 'label'.", all()),
        param("appArgs", "app_args", ParamLocation::Query, TypeRef::String, false, false, None, None, "The application arguments to pass to the Stasis application provided by 'app'. Mutually exclusive with 'context', 'extension', 'priority', and 'label'.", all()),
        param("callerId", "caller_id", ParamLocation::Query, TypeRef::String, false, false, None, None, "CallerID to use when dialing the endpoint or extension.", all()),
        param("timeout", "timeout", ParamLocation::Query, TypeRef::Int, false, false, Some(serde_json::json!(30)), None, "Timeout (in seconds) before giving up dialing, or -1 for no timeout.", all()),
        param("variables", "variables", ParamLocation::Body, TypeRef::Object, false, false, None, None, "The \"variables\" key in the body object holds variable key/value pairs to set on the channel on creation. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in channel events (defaults to false). Other keys in the body object are interpreted as query parameters. Ex. { \"endpoint\": \"SIP/Alice\", \"variables\": { \"CALLERID(name)\": \"Alice\", \"Call_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }", all()),
    ]);
    if !with_id {
        params.push(channel_id(ParamLocation::Query, false));
    }
    params.extend([
        param("otherChannelId", "other_channel_id", ParamLocation::Query, TypeRef::String, false, false, None, None, "The unique id to assign the second channel when using local channels.", all()),
        param("originator", "originator", ParamLocation::Query, TypeRef::String, false, false, None, None, "The unique id of the channel which is originating this one.", all()),
        param("formats", "formats", ParamLocation::Query, TypeRef::String, false, false, None, None, "The format name capability list to use if originator is not specified. Ex. \"ulaw,slin16\".  Format names can be found with \"core show codecs\".", all()),
    ]);
    params
}

#[rustfmt::skip] // one call per spec operation, with the spec's own text
fn operations() -> Vec<Op> {
    vec![
    op("applications", "filter", "filter", HttpMethod::Put, "/applications/{applicationName}/eventFilter", ResponseType::Json(model_ref("Application")), "Filter application events types.", Some("Allowed and/or disallowed event type filtering can be done. The body (parameter) should specify a JSON key/value object that describes the type of event filtering needed. One, or both of the following keys can be designated:<br /><br />\"allowed\" - Specifies an allowed list of event types<br />\"disallowed\" - Specifies a disallowed list of event types<br /><br />Further, each of those key's value should be a JSON array that holds zero, or more JSON key/value objects. Each of these objects must contain the following key with an associated value:<br /><br />\"type\" - The type name of the event to filter<br /><br />The value must be the string name (case sensitive) of the event type that needs filtering. For example:<br /><br />{ \"allowed\": [ { \"type\": \"StasisStart\" }, { \"type\": \"StasisEnd\" } ] }<br /><br />As this specifies only an allowed list, then only those two event type messages are sent to the application. No other event messages are sent.<br /><br />The following rules apply:<br /><br />* If the body is empty, both the allowed and disallowed filters are set empty.<br />* If both list types are given then both are set to their respective values (note, specifying an empty array for a given type sets that type to empty).<br />* If only one list type is given then only that type is set. The other type is not updated.<br />* An empty \"allowed\" list means all events are allowed.<br />* An empty \"disallowed\" list means no events are disallowed.<br />* Disallowed events take precedence over allowed events if the event type is specified in both lists.".into()), false, all(),
        vec![
        param("applicationName", "application_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Application's name", all()),
        param("filter", "filter", ParamLocation::Body, TypeRef::Object, false, false, None, None, "Specify which event types to allow/disallow", all()),
        ],
        &[(400, "Bad request."), (404, "Application does not exist.")]),
    op("applications", "get", "get", HttpMethod::Get, "/applications/{applicationName}", ResponseType::Json(model_ref("Application")), "Get details of an application.", None, false, all(),
        vec![
        param("applicationName", "application_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Application's name", all()),
        ],
        &[(404, "Application does not exist.")]),
    op("applications", "list", "list", HttpMethod::Get, "/applications", ResponseType::Json(TypeRef::List(Box::new(model_ref("Application")))), "List all applications.", None, false, all(),
        vec![

        ],
        &[]),
    op("applications", "subscribe", "subscribe", HttpMethod::Post, "/applications/{applicationName}/subscription", ResponseType::Json(model_ref("Application")), "Subscribe an application to a event source.", Some("Returns the state of the application after the subscriptions have changed".into()), false, all(),
        vec![
        param("applicationName", "application_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Application's name", all()),
        param("eventSource", "event_source", ParamLocation::Query, TypeRef::String, true, true, None, None, "URI for event source (channel:{channelId}, bridge:{bridgeId}, endpoint:{tech}[/{resource}], deviceState:{deviceName}", all()),
        ],
        &[(400, "Missing parameter."), (404, "Application does not exist."), (422, "Event source does not exist.")]),
    op("asterisk", "getInfo", "get_info", HttpMethod::Get, "/asterisk/info", ResponseType::Json(model_ref("AsteriskInfo")), "Gets Asterisk system information.", None, false, all(),
        vec![
        param("only", "only", ParamLocation::Query, TypeRef::Enum("InfoSection".into()), false, true, None, None, "Filter information returned", all()),
        ],
        &[]),
    op("asterisk", "updateObject", "update_object", HttpMethod::Put, "/asterisk/config/dynamic/{configClass}/{objectType}/{id}", ResponseType::Json(TypeRef::List(Box::new(model_ref("ConfigTuple")))), "Create or update a dynamic configuration object.", None, false, all(),
        vec![
        param("configClass", "config_class", ParamLocation::Path, TypeRef::String, true, false, None, None, "The configuration class containing dynamic configuration objects.", all()),
        param("objectType", "object_type", ParamLocation::Path, TypeRef::String, true, false, None, None, "The type of configuration object to create or update.", all()),
        param("id", "id", ParamLocation::Path, TypeRef::String, true, false, None, None, "The unique identifier of the object to create or update.", all()),
        param("fields", "fields", ParamLocation::Body, TypeRef::Object, false, false, None, None, "The body object should have a value that is a list of ConfigTuples, which provide the fields to update. Ex. [ { \"attribute\": \"directmedia\", \"value\": \"false\" } ]", all()),
        ],
        &[(400, "Bad request body"), (403, "Could not create or update object"), (404, "{configClass|objectType} not found")]),
    op("asterisk", "deleteObject", "delete_object", HttpMethod::Delete, "/asterisk/config/dynamic/{configClass}/{objectType}/{id}", ResponseType::Void, "Delete a dynamic configuration object.", None, false, all(),
        vec![
        param("configClass", "config_class", ParamLocation::Path, TypeRef::String, true, false, None, None, "The configuration class containing dynamic configuration objects.", all()),
        param("objectType", "object_type", ParamLocation::Path, TypeRef::String, true, false, None, None, "The type of configuration object to delete.", all()),
        param("id", "id", ParamLocation::Path, TypeRef::String, true, false, None, None, "The unique identifier of the object to delete.", all()),
        ],
        &[(403, "Could not delete object"), (404, "{configClass|objectType|id} not found")]),
    op("asterisk", "getObject", "get_object", HttpMethod::Get, "/asterisk/config/dynamic/{configClass}/{objectType}/{id}", ResponseType::Json(TypeRef::List(Box::new(model_ref("ConfigTuple")))), "Retrieve a dynamic configuration object.", None, false, all(),
        vec![
        param("configClass", "config_class", ParamLocation::Path, TypeRef::String, true, false, None, None, "The configuration class containing dynamic configuration objects.", all()),
        param("objectType", "object_type", ParamLocation::Path, TypeRef::String, true, false, None, None, "The type of configuration object to retrieve.", all()),
        param("id", "id", ParamLocation::Path, TypeRef::String, true, false, None, None, "The unique identifier of the object to retrieve.", all()),
        ],
        &[(404, "{configClass|objectType|id} not found")]),
    op("asterisk", "addLog", "add_log", HttpMethod::Post, "/asterisk/logging/{logChannelName}", ResponseType::Void, "Adds a log channel.", None, false, all(),
        vec![
        param("logChannelName", "log_channel_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "The log channel to add", all()),
        param("configuration", "configuration", ParamLocation::Query, TypeRef::String, true, false, None, None, "levels of the log channel", all()),
        ],
        &[(400, "Bad request body"), (409, "Log channel could not be created.")]),
    op("asterisk", "deleteLog", "delete_log", HttpMethod::Delete, "/asterisk/logging/{logChannelName}", ResponseType::Void, "Deletes a log channel.", None, false, all(),
        vec![
        param("logChannelName", "log_channel_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Log channels name", all()),
        ],
        &[(404, "Log channel does not exist.")]),
    op("asterisk", "getModule", "get_module", HttpMethod::Get, "/asterisk/modules/{moduleName}", ResponseType::Json(model_ref("Module")), "Get Asterisk module information.", None, false, all(),
        vec![
        param("moduleName", "module_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Module's name", all()),
        ],
        &[(404, "Module could not be found in running modules."), (409, "Module information could not be retrieved.")]),
    op("asterisk", "reloadModule", "reload_module", HttpMethod::Put, "/asterisk/modules/{moduleName}", ResponseType::Void, "Reload an Asterisk module.", None, false, all(),
        vec![
        param("moduleName", "module_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Module's name", all()),
        ],
        &[(404, "Module not found in running modules."), (409, "Module could not be reloaded.")]),
    op("asterisk", "setGlobalVar", "set_global_var", HttpMethod::Post, "/asterisk/variable", ResponseType::Void, "Set the value of a global variable.", None, false, all(),
        vec![
        param("variable", "variable", ParamLocation::Query, TypeRef::String, true, false, None, None, "The variable to set", all()),
        param("value", "value", ParamLocation::Query, TypeRef::String, false, false, None, None, "The value to set the variable to", all()),
        ],
        &[(400, "Missing variable parameter.")]),
    op("bridges", "create", "create", HttpMethod::Post, "/bridges", ResponseType::Json(model_ref("Bridge")), "Create a new bridge.", Some("This bridge persists until it has been shut down, or Asterisk has been shut down.".into()), false, all(),
        vec![
        param("type", "kind", ParamLocation::Query, TypeRef::Enum("BridgeType".into()), false, true, None, None, "Comma separated list of bridge type attributes (mixing, holding, dtmf_events, proxy_media, video_sfu, video_single, sdp_label).", all()),
        param("bridgeId", "bridge_id", ParamLocation::Query, TypeRef::String, false, false, None, None, "Unique ID to give to the bridge being created.", all()),
        param("name", "name", ParamLocation::Query, TypeRef::String, false, false, None, None, "Name to give to the bridge being created.", all()),
        param("variables", "variables", ParamLocation::Body, TypeRef::Object, false, false, None, None, "The \"variables\" key in the body object holds variable key/value pairs to set on the bridge on creation. Each variable is an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in bridge events (defaults to false).   Ex. { \"name\": \"SupportBridge\", \"variables\": {  \"Bridge_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }", new_only()),
        ],
        &[(409, "Bridge with the same bridgeId already exists")]),
    op("bridges", "createWithId", "create_with_id", HttpMethod::Post, "/bridges/{bridgeId}", ResponseType::Json(model_ref("Bridge")), "Create a new bridge.", Some("This bridge persists until it has been shut down, or Asterisk has been shut down.".into()), false, all(),
        vec![
        param("bridgeId", "bridge_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Unique ID to give to the bridge being created.", all()),
        param("type", "kind", ParamLocation::Query, TypeRef::Enum("BridgeType".into()), false, true, None, None, "Comma separated list of bridge type attributes (mixing, holding, dtmf_events, proxy_media, video_sfu, video_single, sdp_label) to set.", all()),
        param("name", "name", ParamLocation::Query, TypeRef::String, false, false, None, None, "Set the name of the bridge.", all()),
        param("variables", "variables", ParamLocation::Body, TypeRef::Object, false, false, None, None, "The \"variables\" key in the body object holds variable key/value pairs to set on the bridge on creation. Each variable is an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in bridge events (defaults to false).   Ex. { \"name\": \"SupportBridge\", \"variables\": {  \"Bridge_State\": { \"value\": \"WaitingForAgent\", \"report_events\": true } } }", new_only()),
        ],
        &[(409, "Bridge with the same bridgeId already exists")]),
    op("bridges", "destroy", "destroy", HttpMethod::Delete, "/bridges/{bridgeId}", ResponseType::Void, "Shut down a bridge.", Some("If any channels are in this bridge, they will be removed and resume whatever they were doing beforehand.".into()), false, all(),
        vec![
        param("bridgeId", "bridge_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Bridge's id", all()),
        ],
        &[(404, "Bridge not found")]),
    op("bridges", "get", "get", HttpMethod::Get, "/bridges/{bridgeId}", ResponseType::Json(model_ref("Bridge")), "Get bridge details.", None, false, all(),
        vec![
        param("bridgeId", "bridge_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Bridge's id", all()),
        ],
        &[(404, "Bridge not found")]),
    op("bridges", "addChannel", "add_channel", HttpMethod::Post, "/bridges/{bridgeId}/addChannel", ResponseType::Void, "Add a channel to a bridge.", None, false, all(),
        vec![
        param("bridgeId", "bridge_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Bridge's id", all()),
        param("channel", "channel", ParamLocation::Query, TypeRef::String, true, true, None, None, "Ids of channels to add to bridge", all()),
        param("role", "role", ParamLocation::Query, TypeRef::String, false, false, None, None, "Channel's role in the bridge", all()),
        param("absorbDTMF", "absorb_dtmf", ParamLocation::Query, TypeRef::Boolean, false, false, Some(serde_json::json!(false)), None, "Absorb DTMF coming from this channel, preventing it to pass through to the bridge", all()),
        param("mute", "mute", ParamLocation::Query, TypeRef::Boolean, false, false, Some(serde_json::json!(false)), None, "Mute audio from this channel, preventing it to pass through to the bridge", all()),
        param("inhibitConnectedLineUpdates", "inhibit_connected_line_updates", ParamLocation::Query, TypeRef::Boolean, false, false, Some(serde_json::json!(false)), None, "Do not present the identity of the newly connected channel to other bridge members", new_only()),
        ],
        &[(400, "Channel not found"), (404, "Bridge not found"), (409, "Bridge not in Stasis application; Channel currently recording"), (422, "Channel not in Stasis application")]),
    op("bridges", "setVideoSource", "set_video_source", HttpMethod::Post, "/bridges/{bridgeId}/videoSource/{channelId}", ResponseType::Void, "Set a channel as the video source in a multi-party mixing bridge. This operation has no effect on bridges with two or fewer participants.", None, false, all(),
        vec![
        param("bridgeId", "bridge_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Bridge's id", all()),
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        ],
        &[(404, "Bridge or Channel not found"), (409, "Channel not in Stasis application"), (422, "Channel not in this Bridge")]),
    op("bridges", "setBridgeVars", "set_bridge_vars", HttpMethod::Post, "/bridges/{bridgeId}/variables", ResponseType::Void, "Set the values of multiple bridge variables or functions.", None, false, new_only(),
        vec![
        param("bridgeId", "bridge_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Bridge's id", new_only()),
        param("variables", "variables", ParamLocation::Body, TypeRef::Object, true, false, None, None, "The \"variables\" key in the body object holds variable key/value pairs to set on the bridge. Each variable value may be either a string or an object containing \"value\" (string) and optional \"report_events\" (boolean) to include updates for that variable in bridge events (defaults to false). Ex. { \"variables\": { \"Bridge_State\": \"WaitingForAgent\", \"Support_Level\": { \"value\": \"Premium\", \"report_events\": true } } }", new_only()),
        ],
        &[(400, "Missing variables parameter."), (404, "Bridge not found"), (409, "Bridge not in a Stasis application")]),
    op("bridges", "startMoh", "start_moh", HttpMethod::Post, "/bridges/{bridgeId}/moh", ResponseType::Void, "Play music on hold to a bridge or change the MOH class that is playing.", None, false, all(),
        vec![
        param("bridgeId", "bridge_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Bridge's id", all()),
        param("mohClass", "moh_class", ParamLocation::Query, TypeRef::String, false, false, None, None, "Channel's id", all()),
        ],
        &[(404, "Bridge not found"), (409, "Bridge not in Stasis application")]),
    op("channels", "answer", "answer", HttpMethod::Post, "/channels/{channelId}/answer", ResponseType::Void, "Answer a channel.", None, false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        ],
        &[(404, "Channel not found"), (409, "Channel not in a Stasis application"), (412, "Channel in invalid state")]),
    op("channels", "hangup", "hangup", HttpMethod::Delete, "/channels/{channelId}", ResponseType::Void, "Delete (i.e. hangup) a channel.", None, false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("reason_code", "reason_code", ParamLocation::Query, TypeRef::String, false, false, None, None, "The reason code for hanging up the channel for detail use. Mutually exclusive with 'reason'. See detail hangup codes at here. https://docs.asterisk.org/Configuration/Miscellaneous/Hangup-Cause-Mappings/", new_only()),
        param("reason", "reason", ParamLocation::Query, TypeRef::Enum("HangupReason".into()), false, false, None, None, "Reason for hanging up the channel for simple use. Mutually exclusive with 'reason_code'.", all()),
        ],
        &[(400, "Invalid reason for hangup provided"), (404, "Channel not found")]),
    op("channels", "originate", "originate", HttpMethod::Post, "/channels", ResponseType::Json(model_ref("Channel")), "Create a new channel (originate).", Some("The new channel is created immediately and a snapshot of it returned. If a Stasis application is provided it will be automatically subscribed to the originated channel for further events and updates.".into()), false, all(),
        originate_params(false),
        &[(400, "Invalid parameters for originating a channel."), (409, "Channel with given unique ID already exists.")]),
    op("channels", "originateWithId", "originate_with_id", HttpMethod::Post, "/channels/{channelId}", ResponseType::Json(model_ref("Channel")), "Create a new channel (originate with id).", Some("The new channel is created immediately and a snapshot of it returned. If a Stasis application is provided it will be automatically subscribed to the originated channel for further events and updates.".into()), false, all(),
        originate_params(true),
        &[(400, "Invalid parameters for originating a channel."), (409, "Channel with given unique ID already exists.")]),
    op("channels", "play", "play", HttpMethod::Post, "/channels/{channelId}/play", ResponseType::Json(model_ref("Playback")), "Start playback of media.", Some("The media URI may be any of a number of URI's. Currently sound:, recording:, number:, digits:, characters:, and tone: URI's are supported. This operation creates a playback resource that can be used to control the playback of media (pause, rewind, fast forward, etc.)".into()), false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("media", "media", ParamLocation::Query, TypeRef::String, true, true, None, None, "Media URIs to play.", all()),
        param("lang", "lang", ParamLocation::Query, TypeRef::String, false, false, None, None, "For sounds, selects language for sound.", all()),
        param("offsetms", "offsetms", ParamLocation::Query, TypeRef::Int, false, false, None, None, "Number of milliseconds to skip before playing. Only applies to the first URI if multiple media URIs are specified.", all()),
        param("skipms", "skipms", ParamLocation::Query, TypeRef::Int, false, false, Some(serde_json::json!(3000)), None, "Number of milliseconds to skip for forward/reverse operations.", all()),
        param("playbackId", "playback_id", ParamLocation::Query, TypeRef::String, false, false, None, None, "Playback ID.", all()),
        ],
        &[(404, "Channel not found"), (409, "Channel not in a Stasis application"), (412, "Channel in invalid state")]),
    op("channels", "playWithId", "play_with_id", HttpMethod::Post, "/channels/{channelId}/play/{playbackId}", ResponseType::Json(model_ref("Playback")), "Start playback of media and specify the playbackId.", Some("The media URI may be any of a number of URI's. Currently sound:, recording:, number:, digits:, characters:, and tone: URI's are supported. This operation creates a playback resource that can be used to control the playback of media (pause, rewind, fast forward, etc.)".into()), false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("playbackId", "playback_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Playback ID.", all()),
        param("media", "media", ParamLocation::Query, TypeRef::String, true, true, None, None, "Media URIs to play.", all()),
        param("lang", "lang", ParamLocation::Query, TypeRef::String, false, false, None, None, "For sounds, selects language for sound.", all()),
        param("offsetms", "offsetms", ParamLocation::Query, TypeRef::Int, false, false, None, None, "Number of milliseconds to skip before playing. Only applies to the first URI if multiple media URIs are specified.", all()),
        param("skipms", "skipms", ParamLocation::Query, TypeRef::Int, false, false, Some(serde_json::json!(3000)), None, "Number of milliseconds to skip for forward/reverse operations.", all()),
        ],
        &[(404, "Channel not found"), (409, "Channel not in a Stasis application"), (412, "Channel in invalid state")]),
    op("channels", "move", "move_to", HttpMethod::Post, "/channels/{channelId}/move", ResponseType::Void, "Move the channel from one Stasis application to another.", None, false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("app", "app", ParamLocation::Query, TypeRef::String, true, false, None, None, "The channel will be passed to this Stasis application.", all()),
        param("appArgs", "app_args", ParamLocation::Query, TypeRef::String, false, false, None, None, "The application arguments to pass to the Stasis application provided by 'app'.", all()),
        ],
        &[(404, "Channel not found"), (409, "Channel not in a Stasis application")]),
    op("channels", "getChannelVar", "get_channel_var", HttpMethod::Get, "/channels/{channelId}/variable", ResponseType::Json(model_ref("Variable")), "Get the value of a channel variable or function.", None, false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("variable", "variable", ParamLocation::Query, TypeRef::String, true, false, None, None, "The channel variable or function to get", all()),
        ],
        &[(400, "Missing variable parameter."), (404, "Channel or variable not found"), (409, "Channel not in a Stasis application")]),
    op("channels", "sendDTMF", "send_dtmf", HttpMethod::Post, "/channels/{channelId}/dtmf", ResponseType::Void, "Send provided DTMF to a given channel.", None, false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("dtmf", "dtmf", ParamLocation::Query, TypeRef::String, false, false, None, None, "DTMF To send.", all()),
        param("before", "before", ParamLocation::Query, TypeRef::Int, false, false, Some(serde_json::json!(0)), None, "Amount of time to wait before DTMF digits (specified in milliseconds) start.", all()),
        param("between", "between", ParamLocation::Query, TypeRef::Int, false, false, Some(serde_json::json!(100)), None, "Amount of time in between DTMF digits (specified in milliseconds).", all()),
        param("duration", "duration", ParamLocation::Query, TypeRef::Int, false, false, Some(serde_json::json!(100)), None, "Length of each DTMF digit (specified in milliseconds).", all()),
        param("after", "after", ParamLocation::Query, TypeRef::Int, false, false, Some(serde_json::json!(0)), None, "Amount of time to wait after DTMF digits (specified in milliseconds) end.", all()),
        ],
        &[(400, "DTMF is required"), (404, "Channel not found"), (409, "Channel not in a Stasis application"), (412, "Channel in invalid state")]),
    op("channels", "list", "list", HttpMethod::Get, "/channels", ResponseType::Json(TypeRef::List(Box::new(model_ref("Channel")))), "List all active channels in Asterisk.", None, false, all(),
        vec![

        ],
        &[]),
    op("channels", "mute", "mute", HttpMethod::Post, "/channels/{channelId}/mute", ResponseType::Void, "Mute a channel.", None, false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("direction", "direction", ParamLocation::Query, TypeRef::Enum("MediaDirection".into()), false, false, Some(serde_json::json!("both")), None, "Direction in which to mute audio", all()),
        ],
        &[(404, "Channel not found"), (409, "Channel not in a Stasis application"), (412, "Channel in invalid state")]),
    op("channels", "snoopChannel", "snoop_channel", HttpMethod::Post, "/channels/{channelId}/snoop", ResponseType::Json(model_ref("Channel")), "Start snooping.", Some("Snoop (spy/whisper) on a specific channel.".into()), false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("spy", "spy", ParamLocation::Query, TypeRef::Enum("SnoopDirection".into()), false, false, Some(serde_json::json!("none")), None, "Direction of audio to spy on", all()),
        param("whisper", "whisper", ParamLocation::Query, TypeRef::Enum("SnoopDirection".into()), false, false, Some(serde_json::json!("none")), None, "Direction of audio to whisper into", all()),
        param("app", "app", ParamLocation::Query, TypeRef::String, true, false, None, None, "Application the snooping channel is placed into", all()),
        param("appArgs", "app_args", ParamLocation::Query, TypeRef::String, false, false, None, None, "The application arguments to pass to the Stasis application", all()),
        param("snoopId", "snoop_id", ParamLocation::Query, TypeRef::String, false, false, None, None, "Unique ID to assign to snooping channel", all()),
        ],
        &[(400, "Invalid parameters"), (404, "Channel not found")]),
    op("channels", "startMoh", "start_moh", HttpMethod::Post, "/channels/{channelId}/moh", ResponseType::Void, "Play music on hold to a channel.", Some("Using media operations such as /play on a channel playing MOH in this manner will suspend MOH without resuming automatically. If continuing music on hold is desired, the stasis application must reinitiate music on hold.".into()), false, all(),
        vec![
        param("channelId", "channel_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Channel's id", all()),
        param("mohClass", "moh_class", ParamLocation::Query, TypeRef::String, false, false, None, None, "Music on hold class to use", all()),
        ],
        &[(404, "Channel not found"), (409, "Channel not in a Stasis application"), (412, "Channel in invalid state")]),
    op("deviceStates", "get", "get", HttpMethod::Get, "/deviceStates/{deviceName}", ResponseType::Json(model_ref("DeviceState")), "Retrieve the current state of a device.", None, false, all(),
        vec![
        param("deviceName", "device_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Name of the device", all()),
        ],
        &[]),
    op("deviceStates", "update", "update", HttpMethod::Put, "/deviceStates/{deviceName}", ResponseType::Void, "Change the state of a device controlled by ARI. (Note - implicitly creates the device state).", None, false, all(),
        vec![
        param("deviceName", "device_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Name of the device", all()),
        param("deviceState", "device_state", ParamLocation::Query, TypeRef::Enum("DeviceStateValue".into()), true, false, None, None, "Device state value", all()),
        ],
        &[(404, "Device name is missing"), (409, "Uncontrolled device specified")]),
    op("deviceStates", "delete", "delete", HttpMethod::Delete, "/deviceStates/{deviceName}", ResponseType::Void, "Destroy a device-state controlled by ARI.", None, false, all(),
        vec![
        param("deviceName", "device_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Name of the device", all()),
        ],
        &[(404, "Device name is missing"), (409, "Uncontrolled device specified")]),
    op("deviceStates", "list", "list", HttpMethod::Get, "/deviceStates", ResponseType::Json(TypeRef::List(Box::new(model_ref("DeviceState")))), "List all ARI controlled device states.", None, false, all(),
        vec![

        ],
        &[]),
    op("endpoints", "get", "get", HttpMethod::Get, "/endpoints/{tech}/{resource}", ResponseType::Json(model_ref("Endpoint")), "Details for an endpoint.", None, false, all(),
        vec![
        param("tech", "tech", ParamLocation::Path, TypeRef::String, true, false, None, None, "Technology of the endpoint", all()),
        param("resource", "resource", ParamLocation::Path, TypeRef::String, true, false, None, None, "ID of the endpoint", all()),
        ],
        &[(400, "Invalid parameters for sending a message."), (404, "Endpoints not found")]),
    op("endpoints", "list", "list", HttpMethod::Get, "/endpoints", ResponseType::Json(TypeRef::List(Box::new(model_ref("Endpoint")))), "List all endpoints.", None, false, all(),
        vec![

        ],
        &[]),
    op("endpoints", "listByTech", "list_by_tech", HttpMethod::Get, "/endpoints/{tech}", ResponseType::Json(TypeRef::List(Box::new(model_ref("Endpoint")))), "List available endoints for a given endpoint technology.", None, false, all(),
        vec![
        param("tech", "tech", ParamLocation::Path, TypeRef::String, true, false, None, None, "Technology of the endpoints (pjsip,iax2,...)", all()),
        ],
        &[(404, "Endpoints not found")]),
    op("endpoints", "sendMessage", "send_message", HttpMethod::Put, "/endpoints/sendMessage", ResponseType::Void, "Send a message to some technology URI or endpoint.", None, false, all(),
        vec![
        param("to", "to", ParamLocation::Query, TypeRef::String, true, false, None, None, "The endpoint resource or technology specific URI to send the message to. Valid resources are pjsip, and xmpp.", all()),
        param("from", "from", ParamLocation::Query, TypeRef::String, true, false, None, None, "The endpoint resource or technology specific identity to send this message from. Valid resources are pjsip, and xmpp.", all()),
        param("body", "body", ParamLocation::Query, TypeRef::String, false, false, None, None, "The body of the message", all()),
        param("variables", "variables", ParamLocation::Body, TypeRef::Object, false, false, None, None, "", all()),
        ],
        &[(400, "Invalid parameters for sending a message."), (404, "Endpoint not found")]),
    op("endpoints", "sendMessageToEndpoint", "send_message_to_endpoint", HttpMethod::Put, "/endpoints/{tech}/{resource}/sendMessage", ResponseType::Void, "Send a message to some endpoint in a technology.", None, false, all(),
        vec![
        param("tech", "tech", ParamLocation::Path, TypeRef::String, true, false, None, None, "Technology of the endpoint", all()),
        param("resource", "resource", ParamLocation::Path, TypeRef::String, true, false, None, None, "ID of the endpoint", all()),
        param("from", "from", ParamLocation::Query, TypeRef::String, true, false, None, None, "The endpoint resource or technology specific identity to send this message from. Valid resources are pjsip and xmpp.", all()),
        param("body", "body", ParamLocation::Query, TypeRef::String, false, false, None, None, "The body of the message", all()),
        param("variables", "variables", ParamLocation::Body, TypeRef::Object, false, false, None, None, "", all()),
        ],
        &[(400, "Invalid parameters for sending a message."), (404, "Endpoint not found")]),
    op("events", "eventWebsocket", "event_websocket", HttpMethod::Get, "/events", ResponseType::Json(model_ref("Message")), "WebSocket connection for events.", None, true, all(),
        vec![
        param("app", "app", ParamLocation::Query, TypeRef::String, true, true, None, None, "Applications to subscribe to.", all()),
        param("subscribeAll", "subscribe_all", ParamLocation::Query, TypeRef::Boolean, false, false, None, None, "Subscribe to all Asterisk events. If provided, the applications listed will be subscribed to all events, effectively disabling the application specific subscriptions. Default is 'false'.", all()),
        ],
        &[]),
    op("events", "userEvent", "user_event", HttpMethod::Post, "/events/user/{eventName}", ResponseType::Void, "Generate a user event.", None, false, all(),
        vec![
        param("eventName", "event_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "Event name", all()),
        param("application", "application", ParamLocation::Query, TypeRef::String, true, false, None, None, "The name of the application that will receive this event", all()),
        param("source", "source", ParamLocation::Query, TypeRef::String, false, true, None, None, "URI for event source (channel:{channelId}, bridge:{bridgeId}, endpoint:{tech}/{resource}, deviceState:{deviceName}", all()),
        param("variables", "variables", ParamLocation::Body, TypeRef::Object, false, false, None, None, "The \"variables\" key in the body object holds custom key/value pairs to add to the user event. Ex. { \"variables\": { \"key\": \"value\" } }", all()),
        ],
        &[(404, "Application does not exist."), (422, "Event source not found."), (400, "Invalid even tsource URI or userevent data.")]),
    op("events", "claimChannel", "claim_channel", HttpMethod::Post, "/events/claim", ResponseType::Void, "Claim a broadcast channel for this application.", Some("Atomically claims a channel that is in broadcast state. Only the first claim succeeds.".into()), false, new_only(),
        vec![
        param("channelId", "channel_id", ParamLocation::Query, TypeRef::String, true, false, None, None, "The ID of the channel to claim", new_only()),
        param("application", "application", ParamLocation::Query, TypeRef::String, true, false, None, None, "The name of the application claiming the channel", new_only()),
        ],
        &[(404, "Channel not found or not in broadcast state."), (409, "Channel has already been claimed by another application.")]),
    op("recordings", "getLive", "get_live", HttpMethod::Get, "/recordings/live/{recordingName}", ResponseType::Json(model_ref("LiveRecording")), "List live recordings.", None, false, all(),
        vec![
        param("recordingName", "recording_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "The name of the recording", all()),
        ],
        &[(404, "Recording not found")]),
    op("recordings", "stop", "stop", HttpMethod::Post, "/recordings/live/{recordingName}/stop", ResponseType::Void, "Stop a live recording and store it.", None, false, all(),
        vec![
        param("recordingName", "recording_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "The name of the recording", all()),
        ],
        &[(404, "Recording not found")]),
    op("recordings", "getStored", "get_stored", HttpMethod::Get, "/recordings/stored/{recordingName}", ResponseType::Json(model_ref("StoredRecording")), "Get a stored recording's details.", None, false, all(),
        vec![
        param("recordingName", "recording_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "The name of the recording", all()),
        ],
        &[(404, "Recording not found")]),
    op("recordings", "getStoredFile", "get_stored_file", HttpMethod::Get, "/recordings/stored/{recordingName}/file", ResponseType::Binary, "Get the file associated with the stored recording.", None, false, all(),
        vec![
        param("recordingName", "recording_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "The name of the recording", all()),
        ],
        &[(403, "The recording file could not be opened"), (404, "Recording not found")]),
    op("recordings", "copyStored", "copy_stored", HttpMethod::Post, "/recordings/stored/{recordingName}/copy", ResponseType::Json(model_ref("StoredRecording")), "Copy a stored recording.", None, false, all(),
        vec![
        param("recordingName", "recording_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "The name of the recording to copy", all()),
        param("destinationRecordingName", "destination_recording_name", ParamLocation::Query, TypeRef::String, true, false, None, None, "The destination name of the recording", all()),
        ],
        &[(404, "Recording not found"), (409, "A recording with the same name already exists on the system")]),
    op("recordings", "deleteStored", "delete_stored", HttpMethod::Delete, "/recordings/stored/{recordingName}", ResponseType::Void, "Delete a stored recording.", None, false, all(),
        vec![
        param("recordingName", "recording_name", ParamLocation::Path, TypeRef::String, true, false, None, None, "The name of the recording", all()),
        ],
        &[(404, "Recording not found")]),
    op("playbacks", "get", "get", HttpMethod::Get, "/playbacks/{playbackId}", ResponseType::Json(model_ref("Playback")), "Get a playback's details.", None, false, all(),
        vec![
        param("playbackId", "playback_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Playback's id", all()),
        ],
        &[(404, "The playback cannot be found")]),
    op("playbacks", "control", "control", HttpMethod::Post, "/playbacks/{playbackId}/control", ResponseType::Void, "Control a playback.", None, false, all(),
        vec![
        param("playbackId", "playback_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Playback's id", all()),
        param("operation", "operation", ParamLocation::Query, TypeRef::Enum("PlaybackOperation".into()), true, false, None, None, "Operation to perform on the playback.", all()),
        ],
        &[(400, "The provided operation parameter was invalid"), (404, "The playback cannot be found"), (409, "The operation cannot be performed in the playback's current state")]),
    op("playbacks", "stop", "stop", HttpMethod::Delete, "/playbacks/{playbackId}", ResponseType::Void, "Stop a playback.", None, false, all(),
        vec![
        param("playbackId", "playback_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Playback's id", all()),
        ],
        &[(404, "The playback cannot be found")]),
    op("sounds", "get", "get", HttpMethod::Get, "/sounds/{soundId}", ResponseType::Json(model_ref("Sound")), "Get a sound's details.", None, false, all(),
        vec![
        param("soundId", "sound_id", ParamLocation::Path, TypeRef::String, true, false, None, None, "Sound's id", all()),
        ],
        &[]),
    op("sounds", "list", "list", HttpMethod::Get, "/sounds", ResponseType::Json(TypeRef::List(Box::new(model_ref("Sound")))), "List all sounds.", None, false, all(),
        vec![
        param("lang", "lang", ParamLocation::Query, TypeRef::String, false, false, None, None, "Lookup sound for a specific language.", all()),
        param("format", "format", ParamLocation::Query, TypeRef::String, false, false, None, None, "Lookup sound in a specific format.", all()),
        ],
        &[]),
    ]
}

/// The fixture API.
pub fn fixture_api() -> Api {
    let mut resources: Vec<Resource> = Vec::new();
    for (resource, op) in operations() {
        if resources.last().is_none_or(|r| r.wire_name != resource) {
            resources.push(Resource {
                wire_name: resource.into(),
                rust_name: match resource {
                    "deviceStates" => "device_states".into(),
                    other => other.into(),
                },
                description: format!("{resource} resources"),
                operations: Vec::new(),
                versions: all(),
            });
        }
        resources.last_mut().unwrap().operations.push(op);
    }
    for r in &mut resources {
        r.operations
            .sort_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
    }
    resources.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
    let base = |wire: &str, fields: Vec<Field>| model(wire, wire, fields);
    Api {
        versions: vec![version(OLD), version(NEW)],
        resources,
        models: models(),
        events: EventTree {
            message: base("Message", vec![field("type", TypeRef::String, true)]),
            event: base("Event", vec![field("application", TypeRef::String, true)]),
            messages: Vec::new(),
            // One event per object kind, so every id accessor of `Event` has something to find.
            events: vec![
                base(
                    "StasisStart",
                    vec![field("channel", model_ref("Channel"), true)],
                ),
                base(
                    "BridgeCreated",
                    vec![field("bridge", model_ref("Bridge"), true)],
                ),
                base(
                    "PlaybackStarted",
                    vec![field("playback", model_ref("Playback"), true)],
                ),
                base(
                    "RecordingStarted",
                    vec![field("recording", model_ref("LiveRecording"), true)],
                ),
            ],
        },
        enums: enums(),
        conflicts: Vec::new(),
    }
}

#[test]
fn snapshot() {
    let files = generate(&fixture_api()).expect("fixture emits");
    for f in &files {
        let path = format!("../../ari-sdk/tests/ops_fixture/{}", f.path);
        expect_file![path].assert_eq(&f.contents);
    }
}

#[test]
fn deterministic() {
    assert_eq!(generate(&fixture_api()), generate(&fixture_api()));
}

#[test]
fn a_placeholder_without_its_parameter_is_an_error() {
    let mut api = fixture_api();
    let op = api.resources[0]
        .operations
        .iter_mut()
        .find(|op| op.path.params().next().is_some())
        .unwrap();
    op.params.retain(|p| p.location != ParamLocation::Path);
    let err = generate(&api).unwrap_err();
    assert!(matches!(err, EmitError::Operation { .. }), "{err}");
    assert!(
        err.to_string().contains("is not among its parameters"),
        "{err}"
    );
}

#[test]
fn handle_name_collisions_are_errors() {
    let mut api = fixture_api();
    // Two handles called `channel`: rename the bridge's id parameter to `channelId`.
    for r in &mut api.resources {
        for op in &mut r.operations {
            if op.path.as_str().starts_with("/bridges/{bridgeId}") {
                op.path =
                    PathTemplate::parse(&op.path.as_str().replace("{bridgeId}", "{channelId}"))
                        .unwrap();
                for p in &mut op.params {
                    if p.wire_name == "bridgeId" {
                        p.wire_name = "channelId".into();
                    }
                }
            }
        }
    }
    // Same base in two resources: both are qualified (bridges_channel, channels_channel).
    let files = generate(&api).expect("qualified names do not collide");
    let handles = files.iter().find(|f| f.path == "handles.rs").unwrap();
    assert!(handles.contents.contains("pub struct BridgesChannelHandle"));
    assert!(handles
        .contents
        .contains("pub struct ChannelsChannelHandle"));
}

#[test]
fn reserved_parameter_names_are_errors() {
    let mut api = fixture_api();
    let op = api.resources[0]
        .operations
        .iter_mut()
        .find(|op| !op.params.is_empty())
        .unwrap();
    op.params.last_mut().unwrap().rust_name = "send".into();
    let err = generate(&api).unwrap_err();
    assert!(err.to_string().contains("send"), "{err}");
}
