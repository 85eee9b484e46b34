//! The `spec` stage: a serde mirror of Asterisk's Swagger 1.1/1.2 dialect.
//!
//! Every key Asterisk's ARI specs use (16.30.1 … 23.4.1) has a field here,
//! including the irregular ones: the typo'd keys `descriptioni` and
//! `defalutValue`, the comment key `__note`, `_copyright`/`_author`/
//! `_svn_revision`, `since`, `requiresModules`, `upgrade`/`websocketProtocol`,
//! error codes written as strings, `defaultValue` as bool/int/string,
//! `subTypes`/`discriminator` (Swagger 1.2, events.json) and `allowableValues`
//! of kind `LIST` or `RANGE`. Fixing the defects is the job of
//! [`crate::fixups`]; this stage only reads faithfully.
//!
//! Parsing never panics. A key this mirror does not know is reported as a
//! [`Warning`] (file + JSON Pointer), not an error. Malformed input — bad JSON,
//! a value of the wrong type, a missing required key, an unknown enum word
//! such as a `paramType` of `header` — is an [`Error::Spec`] naming the file
//! and the JSON Pointer of the offending value. Checks that need the whole
//! version (type names, model references) happen in [`mod@crate::lower`].
//!
//! Implementation: `serde` derives, with `serde_path_to_error` tracking the
//! path of a failure and `serde_ignored` reporting unknown keys.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::error::{pointer_push, Error, Warning};
use crate::ir::Version;

/// `resources.json`: the Swagger resource listing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResourceListing {
    /// `_copyright`.
    #[serde(rename = "_copyright")]
    pub copyright: Option<String>,
    /// `_author`.
    #[serde(rename = "_author")]
    pub author: Option<String>,
    /// `_svn_revision`.
    #[serde(rename = "_svn_revision")]
    pub svn_revision: Option<String>,
    /// `apiVersion` (not bumped within a branch; useless for feature detection).
    #[serde(rename = "apiVersion")]
    pub api_version: Option<String>,
    /// `swaggerVersion`, `1.1` for Asterisk.
    #[serde(rename = "swaggerVersion")]
    pub swagger_version: String,
    /// `basePath`.
    #[serde(rename = "basePath")]
    pub base_path: Option<String>,
    /// The api-docs files, e.g. `/api-docs/channels.{format}`.
    pub apis: Vec<ResourceRef>,
}

/// One entry of [`ResourceListing::apis`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResourceRef {
    /// `/api-docs/channels.{format}`.
    pub path: String,
    /// E.g. `Channel resources`.
    pub description: Option<String>,
}

impl ResourceRef {
    /// The api-docs file stem this entry points at (`channels`), if the path
    /// has the usual `/api-docs/<stem>.{format}` shape.
    pub fn stem(&self) -> Option<&str> {
        let rest = self.path.strip_prefix("/api-docs/")?;
        let stem = rest.strip_suffix(".{format}")?;
        if stem.is_empty() || stem.contains('/') {
            None
        } else {
            Some(stem)
        }
    }
}

/// One api-docs file (`channels.json`, `events.json`, …): a Swagger API declaration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiDeclaration {
    /// `_copyright`.
    #[serde(rename = "_copyright")]
    pub copyright: Option<String>,
    /// `_author`.
    #[serde(rename = "_author")]
    pub author: Option<String>,
    /// `_svn_revision`.
    #[serde(rename = "_svn_revision")]
    pub svn_revision: Option<String>,
    /// `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: Option<String>,
    /// `swaggerVersion`: `1.1`, or `1.2` for events.json.
    #[serde(rename = "swaggerVersion")]
    pub swagger_version: String,
    /// `basePath`.
    #[serde(rename = "basePath")]
    pub base_path: Option<String>,
    /// `resourcePath`, e.g. `/api-docs/channels.{format}`.
    #[serde(rename = "resourcePath")]
    pub resource_path: Option<String>,
    /// `since` (20+): the versions that introduced the resource. Unordered upstream.
    pub since: Option<Vec<String>>,
    /// `requiresModules`: Asterisk modules the resource needs.
    #[serde(rename = "requiresModules")]
    pub requires_modules: Option<Vec<String>>,
    /// The paths and their operations.
    pub apis: Vec<ApiPath>,
    /// Models defined in this file. Model ids form one namespace across all files.
    #[serde(default)]
    pub models: BTreeMap<String, Model>,
}

/// One entry of [`ApiDeclaration::apis`]: a path template and its operations.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiPath {
    /// `/channels/{channelId}/answer`.
    pub path: String,
    /// E.g. `Answer a channel`.
    pub description: Option<String>,
    /// The operations on this path.
    pub operations: Vec<Operation>,
}

/// HTTP methods the dialect allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum HttpMethod {
    /// `GET`
    #[serde(rename = "GET")]
    Get,
    /// `POST`
    #[serde(rename = "POST")]
    Post,
    /// `PUT`
    #[serde(rename = "PUT")]
    Put,
    /// `DELETE`
    #[serde(rename = "DELETE")]
    Delete,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Operation {
    /// `httpMethod`.
    #[serde(rename = "httpMethod")]
    pub http_method: HttpMethod,
    /// `since` (20+): versions that introduced the operation; unordered and sometimes wrong upstream.
    pub since: Option<Vec<String>>,
    /// `summary`.
    pub summary: Option<String>,
    /// `notes`.
    pub notes: Option<String>,
    /// `nickname`; unique within a file only.
    pub nickname: String,
    /// `responseClass`: `void`, `binary`, a type name or `List[X]`.
    #[serde(rename = "responseClass")]
    pub response_class: String,
    /// `upgrade`: `websocket` on `GET /events`.
    pub upgrade: Option<String>,
    /// `websocketProtocol`: `ari` on `GET /events`.
    #[serde(rename = "websocketProtocol")]
    pub websocket_protocol: Option<String>,
    /// `parameters`.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// `errorResponses`.
    #[serde(rename = "errorResponses", default)]
    pub error_responses: Vec<ErrorResponse>,
}

/// Where a parameter travels (`paramType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// In the URL path.
    Path,
    /// In the query string.
    Query,
    /// The JSON body.
    Body,
}

/// One operation parameter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Parameter {
    /// `name`: the wire name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `descriptioni`: a typo for `description` (endpoints sendMessage); see the fixups.
    pub descriptioni: Option<String>,
    /// `paramType`.
    #[serde(rename = "paramType")]
    pub param_type: ParamType,
    /// `required`; missing on some path params upstream (see the fixups).
    pub required: Option<bool>,
    /// `allowMultiple`: a list sent as one comma-separated value.
    #[serde(rename = "allowMultiple")]
    pub allow_multiple: Option<bool>,
    /// `dataType`: a primitive, a model name, `List[X]`, or `containers`/`object` for bodies.
    #[serde(rename = "dataType")]
    pub data_type: String,
    /// `defaultValue`: a bool, number or string as the spec wrote it.
    #[serde(rename = "defaultValue")]
    pub default_value: Option<serde_json::Value>,
    /// `defalutValue`: a typo for `defaultValue` (16.x channels hangup); see the fixups.
    #[serde(rename = "defalutValue")]
    pub defalut_value: Option<serde_json::Value>,
    /// `allowableValues`.
    #[serde(rename = "allowableValues")]
    pub allowable_values: Option<AllowableValues>,
    /// `__note`: an upstream developer comment; carried, never used.
    #[serde(rename = "__note")]
    pub note: Option<String>,
}

/// The kind of an `allowableValues` constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ValueType {
    /// A list of allowed strings.
    #[serde(rename = "LIST")]
    List,
    /// A numeric range (`min`, `max`).
    #[serde(rename = "RANGE")]
    Range,
}

/// `allowableValues`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AllowableValues {
    /// `valueType`.
    #[serde(rename = "valueType")]
    pub value_type: ValueType,
    /// `values` (LIST).
    pub values: Option<Vec<String>>,
    /// `min` (RANGE).
    pub min: Option<f64>,
    /// `max` (RANGE).
    pub max: Option<f64>,
    /// Set by a fixup when the values were read from prose (or Asterisk's
    /// documentation), not from the spec's own `allowableValues`.
    #[serde(skip)]
    pub from_prose: bool,
}

/// An error code as written: a number, or (channels.move upstream) a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// `404`.
    Number(u64),
    /// `"404"`.
    Text(String),
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl Visitor<'_> for CodeVisitor {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an HTTP status code (a number, or a string of digits)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ErrorCode, E> {
                Ok(ErrorCode::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ErrorCode, E> {
                u64::try_from(v)
                    .map(ErrorCode::Number)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorCode, E> {
                Ok(ErrorCode::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(CodeVisitor)
    }
}

/// One documented error response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ErrorResponse {
    /// `code`.
    pub code: ErrorCode,
    /// `reason`.
    pub reason: String,
}

/// A model (`models.<id>`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Model {
    /// `id`; must equal the key it is stored under.
    pub id: String,
    /// `description`.
    pub description: Option<String>,
    /// `properties`; may be empty (e.g. `ApplicationRegistered`).
    pub properties: BTreeMap<String, Property>,
    /// `subTypes` (Swagger 1.2): the models deriving from this one.
    #[serde(rename = "subTypes")]
    pub sub_types: Option<Vec<String>>,
    /// `discriminator` (Swagger 1.2): the property naming the concrete subtype (`type`).
    pub discriminator: Option<String>,
}

/// A model property.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Property {
    /// `type`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// `description`.
    pub description: Option<String>,
    /// `required`.
    pub required: Option<bool>,
    /// `allowableValues`.
    #[serde(rename = "allowableValues")]
    pub allowable_values: Option<AllowableValues>,
}

/// One api-docs file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecFile {
    /// The file stem, which is the resource's wire name: `channels`, `deviceStates`.
    pub stem: String,
    /// The file's display name used in messages (e.g. `asterisk-23.4.1/api-docs/channels.json`).
    pub display: String,
    /// The content.
    pub decl: ApiDeclaration,
}

/// One Asterisk version's complete spec: resources.json and every api-docs file it lists.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecVersion {
    /// The Asterisk version.
    pub version: Version,
    /// `resources.json`'s display name.
    pub listing_display: String,
    /// `resources.json`.
    pub listing: ResourceListing,
    /// The api-docs files in resources.json order.
    pub files: Vec<SpecFile>,
    /// Unknown keys and other non-fatal findings.
    pub warnings: Vec<Warning>,
}

impl SpecVersion {
    /// Looks up a file by stem (`channels`).
    pub fn file(&self, stem: &str) -> Option<&SpecFile> {
        self.files.iter().find(|f| f.stem == stem)
    }

    /// Looks up a file by stem for modification.
    pub fn file_mut(&mut self, stem: &str) -> Option<&mut SpecFile> {
        self.files.iter_mut().find(|f| f.stem == stem)
    }
}

/// Parses one JSON document into `T`, naming `file` and the JSON Pointer on
/// failure and collecting unknown keys into `warnings`.
pub fn parse_document<T: de::DeserializeOwned>(
    file: &str,
    text: &str,
    warnings: &mut Vec<Warning>,
) -> Result<T, Error> {
    let mut json = serde_json::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let mut unknown: Vec<String> = Vec::new();
    let result = {
        let tracked = serde_path_to_error::Deserializer::new(&mut json, &mut track);
        serde_ignored::deserialize(tracked, |path| unknown.push(ignored_pointer(&path)))
    };
    let value: T = match result {
        Ok(value) => value,
        Err(err) => {
            let pointer = tracked_pointer(&track.path());
            let message = if err.is_syntax() || err.is_eof() {
                format!("invalid JSON: {err}")
            } else {
                strip_position(&err.to_string())
            };
            return Err(Error::spec(file, pointer, message));
        }
    };
    if let Err(err) = json.end() {
        return Err(Error::spec(file, "", format!("invalid JSON: {err}")));
    }
    for pointer in unknown {
        let key = pointer
            .rsplit('/')
            .next()
            .unwrap_or("")
            .replace("~1", "/")
            .replace("~0", "~");
        warnings.push(Warning {
            file: file.to_string(),
            pointer: pointer.clone(),
            message: format!("unknown key `{key}` (ignored)"),
        });
    }
    Ok(value)
}

/// Parses `resources.json`.
pub fn parse_listing(
    file: &str,
    text: &str,
    warnings: &mut Vec<Warning>,
) -> Result<ResourceListing, Error> {
    parse_document(file, text, warnings)
}

/// Parses one api-docs file and checks what a single file can check on its
/// own: model ids match their keys, and at most one body parameter per operation.
pub fn parse_declaration(
    file: &str,
    text: &str,
    warnings: &mut Vec<Warning>,
) -> Result<ApiDeclaration, Error> {
    let decl: ApiDeclaration = parse_document(file, text, warnings)?;
    for (key, model) in &decl.models {
        if &model.id != key {
            let pointer = pointer_push(&pointer_push(&pointer_push("", "models"), key), "id");
            return Err(Error::spec(
                file,
                pointer,
                format!("model id `{}` differs from its key `{key}`", model.id),
            ));
        }
    }
    for (a, api) in decl.apis.iter().enumerate() {
        for (o, op) in api.operations.iter().enumerate() {
            let bodies: Vec<usize> = op
                .parameters
                .iter()
                .enumerate()
                .filter(|(_, p)| p.param_type == ParamType::Body)
                .map(|(i, _)| i)
                .collect();
            if bodies.len() > 1 {
                return Err(Error::spec(
                    file,
                    format!(
                        "/apis/{a}/operations/{o}/parameters/{}/paramType",
                        bodies[1]
                    ),
                    "a second body parameter (at most one per operation)",
                ));
            }
        }
    }
    Ok(decl)
}

/// Builds a [`SpecVersion`] from in-memory texts: `listing` is
/// (display name, resources.json text); `files` maps each api-docs file stem
/// to (display name, text). Every resource listed must have a file; a file
/// not listed is reported as a warning and ignored.
pub fn parse_version(
    version: Version,
    listing: (&str, &str),
    files: &BTreeMap<String, (String, String)>,
) -> Result<SpecVersion, Error> {
    let mut warnings = Vec::new();
    let (listing_display, listing_text) = listing;
    let parsed_listing = parse_listing(listing_display, listing_text, &mut warnings)?;
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, entry) in parsed_listing.apis.iter().enumerate() {
        let pointer = format!("/apis/{i}/path");
        let stem = entry.stem().ok_or_else(|| {
            Error::spec(
                listing_display,
                pointer.clone(),
                format!(
                    "`{}` is not of the form /api-docs/<name>.{{format}}",
                    entry.path
                ),
            )
        })?;
        if !seen.insert(stem.to_string()) {
            return Err(Error::spec(
                listing_display,
                pointer,
                format!("`{stem}` is listed twice"),
            ));
        }
        let (display, text) = files.get(stem).ok_or_else(|| {
            Error::spec(
                listing_display,
                pointer.clone(),
                format!("lists `{stem}` but there is no {stem}.json"),
            )
        })?;
        let decl = parse_declaration(display, text, &mut warnings)?;
        out.push(SpecFile {
            stem: stem.to_string(),
            display: display.clone(),
            decl,
        });
    }
    for (stem, (display, _)) in files {
        if !seen.contains(stem) {
            warnings.push(Warning {
                file: display.clone(),
                pointer: String::new(),
                message: format!("not listed in {listing_display}; ignored"),
            });
        }
    }
    Ok(SpecVersion {
        version,
        listing_display: listing_display.to_string(),
        listing: parsed_listing,
        files: out,
        warnings,
    })
}

/// Reads and parses one imported version directory laid out as
/// `<dir>/resources.json` + `<dir>/api-docs/*.json` (the layout of an Asterisk
/// source tree's `rest-api/` and of `specs/asterisk-<ver>/`). Display names
/// are relative to the directory's parent, e.g. `asterisk-23.4.1/api-docs/channels.json`.
pub fn load_version_dir(version: Version, dir: &Path) -> Result<SpecVersion, Error> {
    let prefix = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let display = |rel: &str| {
        if prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{prefix}/{rel}")
        }
    };
    let listing_path = dir.join("resources.json");
    let listing_text = read_to_string(&listing_path)?;
    let docs = dir.join("api-docs");
    let mut files = BTreeMap::new();
    let entries = std::fs::read_dir(&docs).map_err(|e| Error::io(&docs, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&docs, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json") {
            let text = read_to_string(&entry.path())?;
            files.insert(
                stem.to_string(),
                (display(&format!("api-docs/{name}")), text),
            );
        }
    }
    parse_version(version, (&display("resources.json"), &listing_text), &files)
}

fn read_to_string(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::spec(
            path.display().to_string(),
            "",
            format!("not UTF-8 (byte offset {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Converts a `serde_path_to_error` path into a JSON Pointer.
fn tracked_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer = match segment {
            Segment::Seq { index } => format!("{pointer}/{index}"),
            Segment::Map { key } => pointer_push(&pointer, key),
            Segment::Enum { variant } => pointer_push(&pointer, variant),
            Segment::Unknown => pointer_push(&pointer, "?"),
        };
    }
    pointer
}

/// Converts a `serde_ignored` path into a JSON Pointer.
fn ignored_pointer(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}/{index}", ignored_pointer(parent)),
        P::Map { parent, key } => pointer_push(&ignored_pointer(parent), key),
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            ignored_pointer(parent)
        }
    }
}

/// serde_json appends " at line L column C" to data errors; the JSON Pointer
/// says more, and the position would make messages depend on formatting.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_of_wrong_type() {
        let text = r#"{"swaggerVersion":"1.1","apis":[{"path":"/x","operations":[{"httpMethod":"GET","nickname":"x","responseClass":"void","parameters":[{"name":"a","paramType":"query","dataType":5}]}]}]}"#;
        let err = parse_declaration("x.json", text, &mut Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json: /apis/0/operations/0/parameters/0/dataType: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn stem_of_resource_ref() {
        let r = ResourceRef {
            path: "/api-docs/deviceStates.{format}".into(),
            description: None,
        };
        assert_eq!(r.stem(), Some("deviceStates"));
    }
}
