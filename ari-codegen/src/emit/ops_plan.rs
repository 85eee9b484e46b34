//! Where every REST operation lives in the generated API, decided from the IR.
//!
//! # Handles and resource accessors
//! An operation's *owner key* is its path up to and including the first run of
//! path parameters: `/channels/{channelId}/play/{playbackId}` → `/channels/{channelId}`,
//! `/endpoints/{tech}/{resource}/sendMessage` → `/endpoints/{tech}/{resource}`.
//!
//! An owner key names an *object* — and gets a handle such as `ChannelHandle` — when the API
//! can read or delete the object at exactly that path: a `GET` there returns a single model,
//! or a `DELETE` exists there. Every operation whose owner key is an object is a method of that
//! object's handle; its owner's path parameters come from the handle, the rest of its path
//! parameters are positional. Every other operation (no path parameter, or a key that is not
//! an object: `GET /endpoints/{tech}`, `POST /events/user/{eventName}`) is a method of its
//! resource's accessor (`client.channels()`), with all its path parameters positional.
//!
//! # Names
//! - A handle's base name comes from its path parameter with a trailing `Id`/`Name` removed
//!   (`channelId` → `channel`, `logChannelName` → `log_channel`); for several parameters, from
//!   the singular of the literal before them (`/endpoints/{tech}/{resource}` → `endpoint`).
//!   When two objects would share a base, both are qualified by the literal before their
//!   parameters (`/recordings/live/{recordingName}` → `live_recording`, `stored_recording`).
//!   [`HANDLE_NAME_OVERRIDES`] names the rest. The client method is the base
//!   (`client.channel(id)`), the type `{Base}Handle`.
//! - A resource accessor is the resource's Rust name (`client.device_states()`, type
//!   `DeviceStates`), with `_api` appended when the name is reserved on the client
//!   ([`RESERVED_CLIENT_METHODS`]): `events` is the event-stream builder, so the `events`
//!   resource is `client.events_api()`. A resource whose every operation belongs to a handle
//!   (playbacks) has no accessor.
//! - Operations keep the IR's Rust name (`xxxWithId` stays `xxx_with_id`, next to `xxx`), and
//!   their builder type is its UpperCamelCase form in the resource's module
//!   (`operations::channels::PlayWithId`).
//! - The WebSocket upgrade (`eventWebsocket`) is not a REST call: it is the event stream's job
//!   and is listed in [`Plan::websocket`] instead.

use std::collections::{BTreeMap, BTreeSet};

use super::{Cx, EmitError};
use crate::curated::{HANDLE_NAME_OVERRIDES, RESERVED_BUILDER_NAMES, RESERVED_CLIENT_METHODS};
use crate::ir::{
    HttpMethod, Operation, Param, ParamLocation, PathSegment, PathTemplate, Resource, ResponseType,
    TypeRef,
};
use crate::naming;

/// The placement of every operation.
pub(crate) struct Plan<'a> {
    /// Per resource, in IR order.
    pub resources: Vec<ResourcePlan<'a>>,
    /// Operations that are not REST calls (the events WebSocket upgrade), with their resource.
    pub websocket: Vec<(&'a Resource, &'a Operation)>,
}

/// One resource's accessor, handles and builders.
pub(crate) struct ResourcePlan<'a> {
    pub resource: &'a Resource,
    /// The module of its builders, e.g. `channels`.
    pub module: String,
    /// `client.<accessor>()`, e.g. `channels`, `events_api`; `None` when it has no operations.
    pub accessor: Option<Accessor<'a>>,
    /// Its objects, in order of first appearance.
    pub handles: Vec<Handle<'a>>,
}

/// A resource accessor: the operations that address no single object.
pub(crate) struct Accessor<'a> {
    /// Client method name.
    pub method: String,
    /// Type name.
    pub type_name: String,
    pub ops: Vec<OpPlan<'a>>,
}

/// A handle on one object.
pub(crate) struct Handle<'a> {
    /// The owner key, e.g. `/channels/{channelId}`.
    pub key: PathTemplate,
    /// Client method name, e.g. `channel`.
    pub method: String,
    /// Type name, e.g. `ChannelHandle`.
    pub type_name: String,
    /// The owner's path parameters (from the first operation on it), in path order.
    pub params: Vec<&'a Param>,
    pub ops: Vec<OpPlan<'a>>,
}

/// One operation's builder.
pub(crate) struct OpPlan<'a> {
    pub op: &'a Operation,
    /// Builder type name, e.g. `Play`.
    pub builder: String,
    /// Path parameters supplied by the handle (empty on an accessor).
    pub owner_params: Vec<&'a Param>,
    /// Constructor arguments: the other path parameters in path order, then the required query
    /// and body parameters in spec order.
    pub positional: Vec<&'a Param>,
    /// Chained setters, in spec order.
    pub optional: Vec<&'a Param>,
}

/// The owner key of an operation: its path through the first run of path parameters.
fn owner_key(op: &Operation) -> Option<PathTemplate> {
    let segments = op.path.segments();
    let first = segments
        .iter()
        .position(|s| matches!(s, PathSegment::Param(_)))?;
    let end = segments[first..]
        .iter()
        .position(|s| matches!(s, PathSegment::Literal(_)))
        .map_or(segments.len(), |n| first + n);
    Some(op.path.prefix(end))
}

/// Whether the API can read (a single model) or delete an object at exactly `key`.
fn is_object(resource: &Resource, key: &PathTemplate) -> bool {
    resource.operations.iter().any(|op| {
        !op.is_websocket
            && op.path == *key
            && match op.method {
                HttpMethod::Delete => true,
                HttpMethod::Get => matches!(op.response, ResponseType::Json(TypeRef::Model(_))),
                _ => false,
            }
    })
}

/// The literal right before the key's parameters.
fn last_literal(key: &PathTemplate) -> Option<&str> {
    key.segments().iter().rev().find_map(|s| match s {
        PathSegment::Literal(l) => Some(l.as_str()),
        PathSegment::Param(_) => None,
    })
}

/// The rule's base name for an object (before collision qualification).
fn base_name(key: &PathTemplate) -> String {
    if let Some((_, name)) = HANDLE_NAME_OVERRIDES
        .iter()
        .find(|(t, _)| *t == key.as_str())
    {
        return (*name).to_owned();
    }
    let params: Vec<&str> = key.params().collect();
    if let [param] = params.as_slice() {
        return naming::object_name_from_param(param);
    }
    naming::object_name_from_literal(last_literal(key).unwrap_or("object"))
}

/// Checks that each placeholder of an operation's path is one of its path parameters.
fn check_path_params(op: &Operation) -> Result<(), EmitError> {
    match op.path.params().find(|p| op.path_param(p).is_none()) {
        Some(p) => Err(EmitError::Operation {
            operation: op.nickname.clone(),
            message: format!("path parameter {p} is not among its parameters"),
        }),
        None => Ok(()),
    }
}

/// The path parameters of `op` named by `wires`, in that order (checked by
/// [`check_path_params`]).
fn path_params<'a, 'w>(op: &'a Operation, wires: impl Iterator<Item = &'w str>) -> Vec<&'a Param> {
    wires
        .map(|w| op.path_param(w).expect("checked by check_path_params"))
        .collect()
}

/// `owner` is the handle's key (`None` on an accessor), a prefix of the operation's path.
fn op_plan<'a>(op: &'a Operation, owner: Option<&PathTemplate>) -> Result<OpPlan<'a>, EmitError> {
    let owner_params = path_params(op, owner.into_iter().flat_map(PathTemplate::params));
    // Other path params in path order.
    let owned = owner.map_or(0, |k| k.params().count());
    let mut positional = path_params(op, op.path.params().skip(owned));
    let mut optional = Vec::new();
    for p in &op.params {
        if p.location == ParamLocation::Path {
            continue;
        }
        if p.required {
            positional.push(p);
        } else {
            optional.push(p);
        }
    }
    let builder = naming::method_type(&op.rust_name);
    // Names inside the builder: fields and setters.
    let mut seen = BTreeSet::new();
    for p in &op.params {
        let name = p.rust_name.as_str();
        if RESERVED_BUILDER_NAMES.contains(&name) || !seen.insert(name.to_owned()) {
            return Err(EmitError::Collision(format!(
                "operation {}: parameter {} would be named {name}, which is taken",
                op.nickname, p.wire_name
            )));
        }
    }
    Ok(OpPlan {
        op,
        builder,
        owner_params,
        positional,
        optional,
    })
}

/// Places every operation of the IR.
pub(crate) fn plan<'a>(cx: &Cx<'a>) -> Result<Plan<'a>, EmitError> {
    let api = cx.api;
    let mut websocket = Vec::new();
    // (resource index, key) of every object, in order.
    let mut objects: Vec<(usize, PathTemplate)> = Vec::new();
    for (ri, res) in api.resources.iter().enumerate() {
        for op in &res.operations {
            if op.is_websocket {
                websocket.push((res, op));
                continue;
            }
            check_path_params(op)?;
            if let Some(key) = owner_key(op) {
                if is_object(res, &key) && !objects.iter().any(|(i, k)| *i == ri && *k == key) {
                    objects.push((ri, key));
                }
            }
        }
    }

    // Names of objects: rule, then qualification of shared bases.
    let bases: Vec<String> = objects.iter().map(|(_, k)| base_name(k)).collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &bases {
        *count.entry(b.as_str()).or_default() += 1;
    }
    let names: Vec<String> = objects
        .iter()
        .zip(&bases)
        .map(|((_, key), base)| {
            if count[base.as_str()] > 1 {
                let qualifier = naming::snake(last_literal(key).unwrap_or("object"));
                format!("{qualifier}_{base}")
            } else {
                base.clone()
            }
        })
        .collect();

    let mut client_names: BTreeMap<String, String> = RESERVED_CLIENT_METHODS
        .iter()
        .map(|m| ((*m).to_owned(), "the runtime".to_owned()))
        .collect();
    let mut type_names: BTreeMap<String, String> = BTreeMap::new();
    let mut claim = |method: &str, type_name: &str, what: String| -> Result<(), EmitError> {
        if let Some(other) = client_names.insert(method.to_owned(), what.clone()) {
            return Err(EmitError::Collision(format!(
                "client method {method} is wanted by {what} and {other}"
            )));
        }
        if let Some(other) = type_names.insert(type_name.to_owned(), what.clone()) {
            return Err(EmitError::Collision(format!(
                "type {type_name} is wanted by {what} and {other}"
            )));
        }
        Ok(())
    };

    let mut resources = Vec::new();
    for (ri, res) in api.resources.iter().enumerate() {
        let mut handles: Vec<Handle<'a>> = Vec::new();
        for ((i, key), name) in objects.iter().zip(&names) {
            if *i != ri {
                continue;
            }
            let type_name = naming::handle_type(name);
            claim(name, &type_name, format!("the object {key}"))?;
            handles.push(Handle {
                key: key.clone(),
                method: name.clone(),
                type_name,
                params: Vec::new(),
                ops: Vec::new(),
            });
        }
        let mut accessor_ops = Vec::new();
        for op in &res.operations {
            if op.is_websocket {
                continue;
            }
            let key = owner_key(op);
            match key
                .as_ref()
                .and_then(|k| handles.iter_mut().find(|h| h.key == *k))
            {
                Some(handle) => {
                    let plan = op_plan(op, Some(&handle.key))?;
                    if handle.params.is_empty() {
                        handle.params = plan.owner_params.clone();
                    }
                    handle.ops.push(plan);
                }
                None => accessor_ops.push(op_plan(op, None)?),
            }
        }
        let accessor = if accessor_ops.is_empty() {
            None
        } else {
            let base = res.rust_name.to_owned();
            let method = if RESERVED_CLIENT_METHODS.contains(&base.as_str()) {
                format!("{base}_api")
            } else {
                base
            };
            let type_name = naming::method_type(&method);
            claim(
                &method,
                &type_name,
                format!("the resource {}", res.wire_name),
            )?;
            Some(Accessor {
                method,
                type_name,
                ops: accessor_ops,
            })
        };
        // Builder names and method names are unique within the resource.
        let mut builders = BTreeMap::new();
        let all_ops = accessor
            .iter()
            .flat_map(|a| a.ops.iter())
            .chain(handles.iter().flat_map(|h| h.ops.iter()));
        for p in all_ops {
            if let Some(other) = builders.insert(p.builder.clone(), p.op.nickname.clone()) {
                return Err(EmitError::Collision(format!(
                    "operations {other} and {} of {} both get the builder {}",
                    p.op.nickname, res.wire_name, p.builder
                )));
            }
        }
        for h in &handles {
            let getters = handle_getters(h);
            for p in &h.ops {
                if getters.iter().any(|(g, _)| *g == p.op.rust_name) {
                    return Err(EmitError::Collision(format!(
                        "operation {} clashes with a getter of {}",
                        p.op.nickname, h.type_name
                    )));
                }
            }
        }
        resources.push(ResourcePlan {
            resource: res,
            module: res.rust_name.to_owned(),
            accessor,
            handles,
        });
    }
    Ok(Plan {
        resources,
        websocket,
    })
}

/// Where one operation sits in the generated API (see [`layout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutEntry {
    /// The resource's wire name, e.g. `channels`.
    pub resource: String,
    /// The spec's nickname, e.g. `play`.
    pub nickname: String,
    /// `POST /channels/{channelId}/play`.
    pub http: String,
    /// How a user calls it, required arguments named:
    /// `client.channel(channel_id).play(media)`.
    pub call: String,
    /// The builder type below `operations`, e.g. `channels::Play`.
    pub builder: String,
    /// The method that starts it, e.g. `ChannelHandle::play`.
    pub starter: String,
}

/// The generated API's layout (see [`layout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Every REST operation with the call that reaches it, in IR order.
    pub rest: Vec<LayoutEntry>,
    /// The operations that are not REST calls, `(resource, nickname)`: the events WebSocket.
    pub not_rest: Vec<(String, String)>,
}

/// Where every operation of `api` sits in the generated API.
pub fn layout(api: &crate::ir::Api) -> Result<Layout, EmitError> {
    let cx = Cx::new(api);
    let plan = plan(&cx)?;
    Ok(Layout {
        rest: layout_entries(&plan),
        not_rest: plan
            .websocket
            .iter()
            .map(|(r, o)| (r.wire_name.clone(), o.nickname.clone()))
            .collect(),
    })
}

pub(crate) fn layout_entries(plan: &Plan<'_>) -> Vec<LayoutEntry> {
    let names = |ps: &[&Param]| {
        ps.iter()
            .map(|p| p.rust_name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    for rp in &plan.resources {
        let mut entries: Vec<(usize, LayoutEntry)> = Vec::new();
        let mut push = |starter: String, owner: &str, o: &OpPlan<'_>| {
            let index = rp
                .resource
                .operations
                .iter()
                .position(|x| std::ptr::eq(x, o.op))
                .unwrap_or(usize::MAX);
            let method = o.op.method.as_str();
            entries.push((
                index,
                LayoutEntry {
                    resource: rp.resource.wire_name.clone(),
                    nickname: o.op.nickname.clone(),
                    http: format!("{method} {}", o.op.path),
                    call: format!("{starter}.{}({})", o.op.rust_name, names(&o.positional)),
                    builder: format!("{}::{}", rp.module, o.builder),
                    starter: format!("{owner}::{}", o.op.rust_name),
                },
            ));
        };
        if let Some(acc) = &rp.accessor {
            for o in &acc.ops {
                push(format!("client.{}()", acc.method), &acc.type_name, o);
            }
        }
        for h in &rp.handles {
            for o in &h.ops {
                push(
                    format!("client.{}({})", h.method, names(&h.params)),
                    &h.type_name,
                    o,
                );
            }
        }
        entries.sort_by_key(|(i, _)| *i);
        out.extend(entries.into_iter().map(|(_, e)| e));
    }
    out
}

/// A handle's getters: `id()` for one parameter, else one per parameter (its Rust name).
pub(crate) fn handle_getters<'a>(h: &Handle<'a>) -> Vec<(String, &'a Param)> {
    match h.params.as_slice() {
        [single] => vec![("id".to_owned(), *single)],
        many => many.iter().map(|p| (p.rust_name.to_owned(), *p)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: &str) -> PathTemplate {
        PathTemplate::parse(t).unwrap()
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name(&key("/channels/{channelId}")), "channel");
        assert_eq!(
            base_name(&key("/asterisk/logging/{logChannelName}")),
            "log_channel"
        );
        assert_eq!(base_name(&key("/endpoints/{tech}/{resource}")), "endpoint");
        assert_eq!(base_name(&key("/mailboxes/{mailboxName}")), "mailbox");
        // `box` is a reserved word: the naming rules give it a trailing `_`.
        assert_eq!(base_name(&key("/x/boxes/{a}/{b}")), "box_");
        assert_eq!(
            base_name(&key("/deviceStates/{deviceName}")),
            "device_state"
        );
        assert_eq!(base_name(&key("/things/{Name}")), "name");
    }

    #[test]
    fn templates() {
        let k = key("/asterisk/config/dynamic/{configClass}/{objectType}/{id}");
        assert_eq!(k.prefix(3).to_string(), "/asterisk/config/dynamic");
        assert_eq!(last_literal(&k), Some("dynamic"));
    }
}
