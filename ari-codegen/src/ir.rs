//! The normalised intermediate representation (IR) of the ARI specs.
//!
//! One [`Api`] holds the union of every imported Asterisk version. Every item
//! that may be missing from some versions carries a [`VersionSet`] naming the
//! versions it exists in. All collections are ordered deterministically
//! (sorted `Vec`s or `BTreeMap`s), so emitting the same IR twice gives
//! byte-identical output.
//!
//! Names: every item keeps its *wire* name exactly as the spec spells it (used
//! for serde renames, query keys, JSON body keys and the `type` discriminator)
//! and a *Rust* name produced by the `naming` module (snake_case for fields,
//! params and operations; UpperCamelCase for types and variants; a keyword
//! renamed or given a trailing `_`, never a raw identifier).

use std::collections::{BTreeMap, BTreeSet};

/// An Asterisk version such as `22.10.1`, ordered numerically.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Numeric components, e.g. `[22, 10, 1]`.
    pub parts: Vec<u32>,
}

/// The set of versions an item exists in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionSet(pub BTreeSet<Version>);

/// The whole lowered API: the union of all imported versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// Every version lowered into this IR, ascending.
    pub versions: Vec<Version>,
    /// REST resources (one per api-docs file with operations), sorted by name.
    pub resources: Vec<Resource>,
    /// Every model that is neither `Message` nor one of its descendants, by wire name.
    pub models: BTreeMap<String, Model>,
    /// The event hierarchy (`Message`, `Event`, and all subtypes).
    pub events: EventTree,
    /// Every enum (from `allowableValues` lists and from prose fixups), by Rust name.
    pub enums: BTreeMap<String, Enum>,
    /// Type changes between versions that were detected while merging.
    /// Each is a human-readable report line; the merge keeps the newest type.
    pub conflicts: Vec<String>,
}

/// One REST resource, e.g. `channels`.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The api-docs file stem, e.g. `channels`, `deviceStates`.
    pub wire_name: String,
    /// snake_case Rust name, e.g. `channels`, `device_states`.
    pub rust_name: String,
    /// Description from resources.json.
    pub description: String,
    /// Operations, sorted by (path, method).
    pub operations: Vec<Operation>,
    /// Versions this resource exists in.
    pub versions: VersionSet,
}

/// HTTP methods used by ARI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

/// One REST operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The spec's `nickname`, e.g. `getChannelVars`; unique within its resource
    /// (13 nicknames such as `list`, `get`, `create` repeat across resources).
    pub nickname: String,
    /// snake_case Rust name, e.g. `get_channel_vars`.
    pub rust_name: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// The path template as the spec writes it, e.g. `/channels/{channelId}/answer`.
    pub path: PathTemplate,
    /// `summary`.
    pub summary: String,
    /// `notes`, if any.
    pub notes: Option<String>,
    /// Parameters in spec order: path params first as they appear in the path, then the rest.
    pub params: Vec<Param>,
    /// What a successful call returns.
    pub response: ResponseType,
    /// Error responses, sorted by status.
    pub errors: Vec<ErrorResponse>,
    /// `true` for the WebSocket upgrade operation (`GET /events`), which is not a REST call.
    pub is_websocket: bool,
    /// Versions this operation exists in.
    pub versions: VersionSet,
}

impl Operation {
    /// The operation's id, unique across the API: its resource's wire name and its nickname,
    /// e.g. `channels.get` (nicknames such as `get` repeat across resources).
    pub fn id(&self, resource: &str) -> String {
        format!("{resource}.{}", self.nickname)
    }

    /// The path parameter named `wire` in the template (`channelId`), if the operation has it.
    pub fn path_param(&self, wire: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.wire_name == wire)
    }
}

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSegment {
    /// A literal segment such as `channels`.
    Literal(String),
    /// A parameter segment; the string is the param's wire name, e.g. `channelId`.
    Param(String),
}

/// A path template such as `/channels/{channelId}/answer`, parsed once: its text and its
/// segments cannot disagree, since [`PathTemplate::parse`] is the only way to make one.
/// Ordered and compared by its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathTemplate {
    text: String,
    segments: Vec<PathSegment>,
}

impl PathTemplate {
    /// Parses a template: it starts with `/`, has no empty segment, and each `{name}`
    /// placeholder fills a whole segment. `Err` names the problem.
    pub fn parse(text: &str) -> Result<Self, String> {
        if !text.starts_with('/') {
            return Err(format!("path `{text}` does not start with `/`"));
        }
        let mut segments = Vec::new();
        for seg in text.split('/').skip(1) {
            if seg.is_empty() {
                return Err(format!("path `{text}` has an empty segment"));
            }
            let placeholder = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
            match placeholder {
                Some(name) if !name.is_empty() && !name.contains(['{', '}']) => {
                    segments.push(PathSegment::Param(name.to_owned()));
                }
                None if !seg.contains(['{', '}']) => {
                    segments.push(PathSegment::Literal(seg.to_owned()));
                }
                _ => return Err(format!("path `{text}` has a malformed placeholder `{seg}`")),
            }
        }
        Ok(PathTemplate {
            text: text.to_owned(),
            segments,
        })
    }

    /// The template as the spec writes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// The template of the first `len` segments (`/channels/{channelId}` of
    /// `/channels/{channelId}/play`).
    pub fn prefix(&self, len: usize) -> PathTemplate {
        let segments = self.segments[..len.min(self.segments.len())].to_vec();
        let mut text = String::new();
        for s in &segments {
            match s {
                PathSegment::Literal(l) => {
                    text.push('/');
                    text.push_str(l);
                }
                PathSegment::Param(p) => {
                    text.push_str("/{");
                    text.push_str(p);
                    text.push('}');
                }
            }
        }
        PathTemplate { text, segments }
    }

    /// The placeholders' wire names, in order (`channelId`, `snoopId`).
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            PathSegment::Param(p) => Some(p.as_str()),
            PathSegment::Literal(_) => None,
        })
    }
}

impl std::fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamLocation {
    /// In the URL path (always required).
    Path,
    /// In the query string.
    Query,
    /// The JSON request body.
    Body,
}

/// One operation parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The spec's name, sent on the wire as-is.
    pub wire_name: String,
    /// snake_case Rust name.
    pub rust_name: String,
    /// Path, query or body.
    pub location: ParamLocation,
    /// The parameter's type (for `allowMultiple`, the element type; see `allow_multiple`).
    pub ty: TypeRef,
    /// Required (path params always are).
    pub required: bool,
    /// `defaultValue`, normalised to JSON (bool/int/string as the spec wrote it).
    pub default: Option<serde_json::Value>,
    /// `allowMultiple`: the value is a list sent as one comma-separated query value.
    pub allow_multiple: bool,
    /// `allowableValues` of kind RANGE, if any (LIST values become an enum in `ty`).
    pub range: Option<Range>,
    /// Description (after fixups).
    pub description: String,
    /// Versions this parameter exists in (a subset of its operation's).
    pub versions: VersionSet,
}

/// A numeric range constraint (`allowableValues` of kind RANGE).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Minimum, inclusive.
    pub min: Option<f64>,
    /// Maximum, inclusive.
    pub max: Option<f64>,
}

/// A type reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeRef {
    /// `string`
    String,
    /// `boolean`
    Boolean,
    /// `int` (carried as i64 in Rust).
    Int,
    /// `long` (i64).
    Long,
    /// `double` (f64).
    Double,
    /// `Date`: an Asterisk timestamp.
    Date,
    /// `object` or `containers`: free-form JSON.
    Object,
    /// `List[X]`
    List(Box<TypeRef>),
    /// A model, by wire name (`Channel`, `RTPstat`, ...).
    Model(String),
    /// An enum, by its Rust name (key of [`Api::enums`]).
    Enum(String),
}

/// What a successful operation returns.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseType {
    /// No body (`void`): 204, 202 or 200 with an empty body.
    Void,
    /// Raw bytes (`binary`), e.g. a recording file.
    Binary,
    /// A JSON value of this type.
    Json(TypeRef),
}

/// One documented error response of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResponse {
    /// HTTP status code.
    pub status: u16,
    /// The spec's reason text.
    pub reason: String,
    /// Versions in which the operation documents this status.
    pub versions: VersionSet,
}

/// A model (object type).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Wire name / spec id, e.g. `RTPstat`.
    pub wire_name: String,
    /// UpperCamelCase Rust name, e.g. `RtpStat`.
    pub rust_name: String,
    /// Description.
    pub description: String,
    /// Fields, sorted by wire name. For events: only the event's own fields
    /// (the inherited ones are in [`EventTree`]).
    pub fields: Vec<Field>,
    /// The api-docs file (resource) that defines it, e.g. `channels`.
    pub defined_in: String,
    /// Versions this model exists in.
    pub versions: VersionSet,
}

/// One model field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Wire name (JSON key).
    pub wire_name: String,
    /// snake_case Rust name.
    pub rust_name: String,
    /// Type.
    pub ty: TypeRef,
    /// `required: true` in the spec. Note the server omits some required fields
    /// in practice (see ARI-FACTS); the emitter decides how lenient to be.
    pub required: bool,
    /// Description.
    pub description: String,
    /// Versions this field exists in (a subset of its model's).
    pub versions: VersionSet,
}

/// The `Message` → `Event` → concrete events hierarchy from events.json.
#[derive(Debug, Clone, PartialEq)]
pub struct EventTree {
    /// The `Message` base model (fields: `type`, `asterisk_id`).
    pub message: Model,
    /// The `Event` base model (fields: `application`, `timestamp`).
    pub event: Model,
    /// Direct `Message` subtypes that are not `Event` (e.g. `MissingParams`), sorted by wire name.
    pub messages: Vec<Model>,
    /// Concrete `Event` subtypes (e.g. `StasisStart`), sorted by wire name; their
    /// `type` discriminator value is the wire name.
    pub events: Vec<Model>,
}

/// An enumeration of allowed string values.
#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    /// UpperCamelCase Rust name, e.g. `PlaybackState`, `BridgeType`.
    pub rust_name: String,
    /// Description (what it is and where it is used).
    pub description: String,
    /// Values, in first-seen spec order.
    pub values: Vec<EnumValue>,
    /// Where the enum is used, sorted: `Model.field` for model fields and
    /// `resource.nickname.param` (e.g. `channels.hangup.reason`) for operation
    /// parameters (nicknames alone repeat across resources).
    pub used_by: Vec<String>,
    /// `true` when the values come from prose (a fixup), not an `allowableValues` list.
    pub from_prose: bool,
}

/// One enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    /// The wire string, e.g. `dtmf_events`.
    pub wire: String,
    /// UpperCamelCase variant name, e.g. `DtmfEvents`.
    pub rust_name: String,
    /// Versions in which the value is allowed.
    pub versions: VersionSet,
}

impl Version {
    /// Builds a version from its numeric components.
    pub fn new(parts: impl Into<Vec<u32>>) -> Self {
        Version {
            parts: parts.into(),
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// The error of parsing a [`Version`] from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVersionError(pub String);

impl std::fmt::Display for ParseVersionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a version like 22.10.1 (dot-separated numbers)",
            self.0
        )
    }
}

impl std::error::Error for ParseVersionError {}

impl std::str::FromStr for Version {
    type Err = ParseVersionError;

    /// Parses `22.10.1` (one or more dot-separated decimal numbers).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_string());
        if s.is_empty() {
            return Err(err());
        }
        let parts = s
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    Err(err())
                } else {
                    p.parse::<u32>().map_err(|_| err())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Version { parts })
    }
}

impl VersionSet {
    /// The empty set.
    pub fn new() -> Self {
        VersionSet(BTreeSet::new())
    }

    /// A set holding one version.
    pub fn single(version: Version) -> Self {
        let mut set = BTreeSet::new();
        set.insert(version);
        VersionSet(set)
    }

    /// Adds a version; returns `true` if it was not there yet.
    pub fn insert(&mut self, version: Version) -> bool {
        self.0.insert(version)
    }

    /// Adds every version of `other`.
    pub fn extend(&mut self, other: &VersionSet) {
        self.0.extend(other.0.iter().cloned());
    }

    /// The union of two sets.
    pub fn union(&self, other: &VersionSet) -> VersionSet {
        VersionSet(self.0.union(&other.0).cloned().collect())
    }

    /// The intersection of two sets.
    pub fn intersection(&self, other: &VersionSet) -> VersionSet {
        VersionSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// `true` if the set holds `version`.
    pub fn contains(&self, version: &Version) -> bool {
        self.0.contains(version)
    }

    /// `true` if every version of `all` is in the set.
    pub fn contains_all(&self, all: &[Version]) -> bool {
        all.iter().all(|v| self.0.contains(v))
    }

    /// Number of versions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` if no version is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The versions, ascending.
    pub fn iter(&self) -> impl Iterator<Item = &Version> {
        self.0.iter()
    }

    /// The newest version in the set, if any.
    pub fn newest(&self) -> Option<&Version> {
        self.0.iter().next_back()
    }

    /// The oldest version in the set, if any.
    pub fn oldest(&self) -> Option<&Version> {
        self.0.iter().next()
    }
}

impl FromIterator<Version> for VersionSet {
    fn from_iter<I: IntoIterator<Item = Version>>(iter: I) -> Self {
        VersionSet(iter.into_iter().collect())
    }
}

impl std::fmt::Display for VersionSet {
    /// Formats as `{20.20.1, 22.10.1, 23.4.1}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{v}")?;
        }
        f.write_str("}")
    }
}

impl std::fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl HttpMethod {
    /// The method as sent on the wire: `GET`, `POST`, `PUT`, `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for TypeRef {
    /// Formats in the spec's own notation: `string`, `List[Channel]`, enums as `enum Name`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeRef::String => f.write_str("string"),
            TypeRef::Boolean => f.write_str("boolean"),
            TypeRef::Int => f.write_str("int"),
            TypeRef::Long => f.write_str("long"),
            TypeRef::Double => f.write_str("double"),
            TypeRef::Date => f.write_str("Date"),
            TypeRef::Object => f.write_str("object"),
            TypeRef::List(inner) => write!(f, "List[{inner}]"),
            TypeRef::Model(name) => f.write_str(name),
            TypeRef::Enum(name) => write!(f, "enum {name}"),
        }
    }
}

impl std::fmt::Display for ResponseType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseType::Void => f.write_str("void"),
            ResponseType::Binary => f.write_str("binary"),
            ResponseType::Json(ty) => write!(f, "{ty}"),
        }
    }
}

impl std::fmt::Display for ParamLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Body => "body",
        })
    }
}

impl Api {
    /// Looks up a resource by its wire name (`channels`).
    pub fn resource(&self, wire_name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.wire_name == wire_name)
    }

    /// Looks up an operation by resource and nickname (`channels`, `getChannelVars`).
    pub fn operation(&self, resource: &str, nickname: &str) -> Option<&Operation> {
        self.resource(resource)?
            .operations
            .iter()
            .find(|o| o.nickname == nickname)
    }

    /// [`Api::operation`], for changing it.
    pub fn operation_mut(&mut self, resource: &str, nickname: &str) -> Option<&mut Operation> {
        self.resources
            .iter_mut()
            .find(|r| r.wire_name == resource)?
            .operations
            .iter_mut()
            .find(|o| o.nickname == nickname)
    }

    /// Looks up any model by wire name: plain models, `Message`, `Event`, and every subtype.
    pub fn any_model(&self, wire_name: &str) -> Option<&Model> {
        if let Some(m) = self.models.get(wire_name) {
            return Some(m);
        }
        let tree = &self.events;
        if tree.message.wire_name == wire_name {
            return Some(&tree.message);
        }
        if tree.event.wire_name == wire_name {
            return Some(&tree.event);
        }
        tree.messages
            .iter()
            .chain(tree.events.iter())
            .find(|m| m.wire_name == wire_name)
    }

    /// Every model of the API: plain models, then `Message`, `Event`, the
    /// `Message` subtypes and the events, each group in wire-name order.
    pub fn all_models(&self) -> impl Iterator<Item = &Model> {
        let tree = &self.events;
        self.models
            .values()
            .chain(std::iter::once(&tree.message))
            .chain(std::iter::once(&tree.event))
            .chain(tree.messages.iter())
            .chain(tree.events.iter())
    }

    /// Looks up an event (a concrete `Event` subtype) by wire name.
    pub fn event(&self, wire_name: &str) -> Option<&Model> {
        self.events.events.iter().find(|m| m.wire_name == wire_name)
    }
}

impl Operation {
    /// Looks up a parameter by wire name.
    pub fn param(&self, wire_name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.wire_name == wire_name)
    }
}

impl Model {
    /// Looks up a field by wire name.
    pub fn field(&self, wire_name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.wire_name == wire_name)
    }
}

impl Enum {
    /// Looks up a value by its wire string.
    pub fn value(&self, wire: &str) -> Option<&EnumValue> {
        self.values.iter().find(|v| v.wire == wire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_parse_once() {
        let t = PathTemplate::parse("/channels/{channelId}/snoop/{snoopId}").unwrap();
        assert_eq!(t.to_string(), "/channels/{channelId}/snoop/{snoopId}");
        assert_eq!(t.params().collect::<Vec<_>>(), ["channelId", "snoopId"]);
        assert_eq!(t.segments().len(), 4);
        assert_eq!(t.prefix(2).as_str(), "/channels/{channelId}");
        assert_eq!(t.prefix(2).segments(), &t.segments()[..2]);
        assert_eq!(t.prefix(9), t);
        for (bad, why) in [
            ("channels", "does not start with `/`"),
            ("/channels//x", "empty segment"),
            ("/channels/{}", "malformed placeholder `{}`"),
            ("/channels/x{id}", "malformed placeholder `x{id}`"),
            ("/channels/{a{b}", "malformed placeholder"),
        ] {
            let err = PathTemplate::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
