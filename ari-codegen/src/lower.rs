//! Lowering one version's (fixed-up) spec into the IR shape.
//!
//! This is the per-version half of the `ir` stage: it validates everything
//! that needs the whole version (type names, model references across files,
//! path templates, the `Message`/`Event` hierarchy) and produces an
//! [`ir::Api`] whose version sets all hold this one version. Rust names are
//! left empty and enum types are keyed by *site* (`Channel.state`,
//! `channels.hangup.reason`); [`crate::union`] merges versions and then names
//! everything.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{pointer_push, Error};
use crate::ir::{self, TypeRef, Version, VersionSet};
use crate::spec::{self, AllowableValues, ErrorCode, ParamType, SpecVersion, ValueType};

/// The site key of a model field enum: `Channel.state`.
pub fn field_site(model: &str, field: &str) -> String {
    format!("{model}.{field}")
}

/// The site key of a parameter enum: `channels.hangup.reason`.
pub fn param_site(resource: &str, nickname: &str, param: &str) -> String {
    format!("{resource}.{nickname}.{param}")
}

struct Ctx<'a> {
    version: &'a Version,
    /// Model id → defining file stem.
    models: BTreeMap<&'a str, &'a str>,
    enums: BTreeMap<String, ir::Enum>,
}

impl Ctx<'_> {
    fn versions(&self) -> VersionSet {
        VersionSet::single(self.version.clone())
    }

    /// Parses a type name: primitives, `List[X]`, and model ids of this version.
    fn parse_type(&self, name: &str, allow_containers: bool) -> Result<TypeRef, String> {
        let name = name.trim();
        if let Some(inner) = name.strip_prefix("List[").and_then(|r| r.strip_suffix(']')) {
            return Ok(TypeRef::List(Box::new(self.parse_type(inner, false)?)));
        }
        Ok(match name {
            "string" => TypeRef::String,
            "boolean" => TypeRef::Boolean,
            "int" => TypeRef::Int,
            "long" => TypeRef::Long,
            "double" => TypeRef::Double,
            "Date" => TypeRef::Date,
            "object" => TypeRef::Object,
            "containers" if allow_containers => TypeRef::Object,
            _ if self.models.contains_key(name) => TypeRef::Model(name.to_string()),
            _ if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                return Err(format!(
                    "dangling model reference `{name}`: no model with this id in any file"
                ))
            }
            _ => return Err(format!("unknown type name `{name}`")),
        })
    }

    /// Registers an enum site and returns the type that refers to it. LIST
    /// values apply to the innermost `string` of `ty`.
    fn enum_site(
        &mut self,
        site: String,
        ty: TypeRef,
        allowable: &AllowableValues,
        description: &str,
    ) -> Result<TypeRef, String> {
        let Some(values) = &allowable.values else {
            return Err("allowableValues of valueType LIST without `values`".to_string());
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for v in values {
            if seen.insert(v.clone()) {
                out.push(ir::EnumValue {
                    wire: v.clone(),
                    rust_name: String::new(),
                    versions: self.versions(),
                });
            }
        }
        let replaced = replace_innermost_string(ty, &TypeRef::Enum(site.clone()))
            .ok_or_else(|| "allowableValues LIST on a type that is not a string".to_string())?;
        self.enums.insert(
            site.clone(),
            ir::Enum {
                rust_name: String::new(),
                description: description.to_string(),
                values: out,
                used_by: vec![site],
                from_prose: allowable.from_prose,
            },
        );
        Ok(replaced)
    }
}

fn replace_innermost_string(ty: TypeRef, with: &TypeRef) -> Option<TypeRef> {
    match ty {
        TypeRef::String => Some(with.clone()),
        TypeRef::List(inner) => {
            replace_innermost_string(*inner, with).map(|t| TypeRef::List(Box::new(t)))
        }
        _ => None,
    }
}

fn range_of(allowable: &AllowableValues) -> ir::Range {
    ir::Range {
        min: allowable.min,
        max: allowable.max,
    }
}

/// Lowers one version. See the module docs for what is left for the union step.
pub fn lower_version(spec: &SpecVersion) -> Result<ir::Api, Error> {
    let version = &spec.version;
    // One global model namespace across files.
    let mut models: BTreeMap<&str, &str> = BTreeMap::new();
    for file in &spec.files {
        for id in file.decl.models.keys() {
            if let Some(first) = models.insert(id.as_str(), file.stem.as_str()) {
                return Err(Error::spec(
                    &file.display,
                    pointer_push("/models", id),
                    format!(
                        "model `{id}` is also defined in {first}.json (one namespace across files)"
                    ),
                ));
            }
        }
    }
    let mut ctx = Ctx {
        version,
        models,
        enums: BTreeMap::new(),
    };

    let hierarchy = Hierarchy::build(spec)?;

    // Models and events.
    let mut plain = BTreeMap::new();
    let mut lowered: BTreeMap<String, ir::Model> = BTreeMap::new();
    for file in &spec.files {
        for (id, model) in &file.decl.models {
            let m = lower_model(&mut ctx, file, id, model)?;
            lowered.insert(id.clone(), m);
        }
    }
    let mut take = |id: &str| lowered.remove(id);
    let message = take("Message")
        .ok_or_else(|| Error::Missing(format!("{version}: no `Message` model in any file")))?;
    let event = take("Event")
        .ok_or_else(|| Error::Missing(format!("{version}: no `Event` model in any file")))?;
    let mut messages = Vec::new();
    for id in &hierarchy.message_subtypes {
        if id != "Event" {
            messages.extend(take(id));
        }
    }
    let mut events = Vec::new();
    for id in &hierarchy.event_subtypes {
        events.extend(take(id));
    }
    for (id, m) in lowered {
        plain.insert(id, m);
    }
    messages.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
    events.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));

    // Resources.
    let mut resources = Vec::new();
    for (i, file) in spec.files.iter().enumerate() {
        let mut operations = Vec::new();
        let mut nicknames = BTreeSet::new();
        for (a, api) in file.decl.apis.iter().enumerate() {
            ir::PathTemplate::parse(&api.path)
                .map_err(|m| Error::spec(&file.display, format!("/apis/{a}/path"), m))?;
            for (o, op) in api.operations.iter().enumerate() {
                let base = format!("/apis/{a}/operations/{o}");
                if !nicknames.insert(op.nickname.clone()) {
                    return Err(Error::spec(
                        &file.display,
                        format!("{base}/nickname"),
                        format!("nickname `{}` is used twice in this file", op.nickname),
                    ));
                }
                operations.push(lower_operation(&mut ctx, file, a, api, &base, op)?);
            }
        }
        if operations.is_empty() {
            continue;
        }
        operations.sort_by(|x: &ir::Operation, y: &ir::Operation| {
            (&x.path, x.method).cmp(&(&y.path, y.method))
        });
        let description = spec
            .listing
            .apis
            .get(i)
            .and_then(|r| r.description.clone())
            .unwrap_or_default();
        resources.push(ir::Resource {
            wire_name: file.stem.clone(),
            rust_name: String::new(),
            description,
            operations,
            versions: ctx.versions(),
        });
    }
    resources.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));

    Ok(ir::Api {
        versions: vec![version.clone()],
        resources,
        models: plain,
        events: ir::EventTree {
            message,
            event,
            messages,
            events,
        },
        enums: ctx.enums,
        conflicts: Vec::new(),
    })
}

/// The `subTypes` hierarchy under `Message`.
struct Hierarchy {
    message_subtypes: Vec<String>,
    event_subtypes: Vec<String>,
}

impl Hierarchy {
    fn build(spec: &SpecVersion) -> Result<Self, Error> {
        let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
        let mut children: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let all: BTreeSet<&str> = spec
            .files
            .iter()
            .flat_map(|f| f.decl.models.keys().map(String::as_str))
            .collect();
        for file in &spec.files {
            for (id, model) in &file.decl.models {
                let base = pointer_push("/models", id);
                if let Some(d) = &model.discriminator {
                    if !model.properties.contains_key(d) {
                        return Err(Error::spec(
                            &file.display,
                            format!("{base}/discriminator"),
                            format!("discriminator `{d}` is not a property of `{id}`"),
                        ));
                    }
                }
                for (i, sub) in model.sub_types.iter().flatten().enumerate() {
                    let pointer = format!("{base}/subTypes/{i}");
                    let Some(sub) = all.get(sub.as_str()) else {
                        return Err(Error::spec(
                            &file.display,
                            pointer,
                            format!("dangling model reference `{sub}`: no model with this id in any file"),
                        ));
                    };
                    if let Some(other) = parent.insert(sub, id) {
                        return Err(Error::spec(
                            &file.display,
                            pointer,
                            format!("`{sub}` is already a subtype of `{other}`"),
                        ));
                    }
                    children
                        .entry(id.as_str())
                        .or_default()
                        .push(sub.to_string());
                }
            }
        }
        let message_subtypes = children.get("Message").cloned().unwrap_or_default();
        let event_subtypes = children.get("Event").cloned().unwrap_or_default();
        if all.contains("Event") && parent.get("Event") != Some(&"Message") {
            return Err(Error::Missing(format!(
                "{}: `Event` is not listed in the subTypes of `Message`",
                spec.version
            )));
        }
        // Only two levels are known: Message → {Event, MissingParams}, Event → events.
        for (id, p) in &parent {
            if *p != "Message" && *p != "Event" {
                return Err(Error::Missing(format!(
                    "{}: `{id}` derives from `{p}`; only Message and Event may have subTypes",
                    spec.version
                )));
            }
        }
        Ok(Hierarchy {
            message_subtypes,
            event_subtypes,
        })
    }
}

fn lower_model(
    ctx: &mut Ctx<'_>,
    file: &spec::SpecFile,
    id: &str,
    model: &spec::Model,
) -> Result<ir::Model, Error> {
    let base = pointer_push("/models", id);
    let mut fields = Vec::new();
    for (name, prop) in &model.properties {
        let pointer = pointer_push(&pointer_push(&base, "properties"), name);
        let ty = ctx
            .parse_type(&prop.type_name, false)
            .map_err(|m| Error::spec(&file.display, format!("{pointer}/type"), m))?;
        let description = prop.description.clone().unwrap_or_default();
        let ty = match &prop.allowable_values {
            Some(a) if a.value_type == ValueType::List => ctx
                .enum_site(field_site(id, name), ty, a, &description)
                .map_err(|m| Error::spec(&file.display, format!("{pointer}/allowableValues"), m))?,
            Some(_) => {
                return Err(Error::spec(
                    &file.display,
                    format!("{pointer}/allowableValues"),
                    "a RANGE on a model property is not supported",
                ))
            }
            None => ty,
        };
        fields.push(ir::Field {
            wire_name: name.clone(),
            rust_name: String::new(),
            ty,
            required: prop.required.unwrap_or(false),
            description,
            versions: ctx.versions(),
        });
    }
    Ok(ir::Model {
        wire_name: id.to_string(),
        rust_name: String::new(),
        description: model.description.clone().unwrap_or_default(),
        fields,
        defined_in: file.stem.clone(),
        versions: ctx.versions(),
    })
}

fn lower_operation(
    ctx: &mut Ctx<'_>,
    file: &spec::SpecFile,
    api_index: usize,
    api: &spec::ApiPath,
    base: &str,
    op: &spec::Operation,
) -> Result<ir::Operation, Error> {
    let err = |pointer: String, message: String| Error::spec(&file.display, pointer, message);
    let path = ir::PathTemplate::parse(&api.path)
        .map_err(|m| err(format!("/apis/{api_index}/path"), m))?;
    let placeholders: Vec<&str> = path.params().collect();

    let mut path_params: BTreeMap<&str, ir::Param> = BTreeMap::new();
    let mut others = Vec::new();
    let mut names = BTreeSet::new();
    for (k, p) in op.parameters.iter().enumerate() {
        let pp = format!("{base}/parameters/{k}");
        if !names.insert(p.name.as_str()) {
            return Err(err(
                format!("{pp}/name"),
                format!("parameter `{}` is listed twice", p.name),
            ));
        }
        for (present, typo, correct) in [
            (p.descriptioni.is_some(), "descriptioni", "description"),
            (p.defalut_value.is_some(), "defalutValue", "defaultValue"),
        ] {
            if present {
                return Err(err(
                    format!("{pp}/{typo}"),
                    format!(
                        "`{typo}` (typo of `{correct}`) is not fixed up for {}",
                        ctx.version
                    ),
                ));
            }
        }
        let location = match p.param_type {
            ParamType::Path => ir::ParamLocation::Path,
            ParamType::Query => ir::ParamLocation::Query,
            ParamType::Body => ir::ParamLocation::Body,
        };
        let required = match (location, p.required) {
            (ir::ParamLocation::Path, Some(true)) => true,
            (ir::ParamLocation::Path, None) => {
                return Err(err(
                    pp,
                    format!(
                        "path parameter `{}` lacks `required: true` (not fixed up for {})",
                        p.name, ctx.version
                    ),
                ))
            }
            (ir::ParamLocation::Path, Some(false)) => {
                return Err(err(
                    format!("{pp}/required"),
                    format!("path parameter `{}` cannot be optional", p.name),
                ))
            }
            (_, r) => r.unwrap_or(false),
        };
        let ty = ctx
            .parse_type(&p.data_type, location == ir::ParamLocation::Body)
            .map_err(|m| err(format!("{pp}/dataType"), m))?;
        let description = p.description.clone().unwrap_or_default();
        let mut range = None;
        let ty = match &p.allowable_values {
            Some(a) if a.value_type == ValueType::List => ctx
                .enum_site(
                    param_site(&file.stem, &op.nickname, &p.name),
                    ty,
                    a,
                    &description,
                )
                .map_err(|m| err(format!("{pp}/allowableValues"), m))?,
            Some(a) => {
                if !matches!(ty, TypeRef::Int | TypeRef::Long | TypeRef::Double) {
                    return Err(err(
                        format!("{pp}/allowableValues"),
                        format!("a RANGE on the non-numeric type `{}`", p.data_type),
                    ));
                }
                range = Some(range_of(a));
                ty
            }
            None => ty,
        };
        let param = ir::Param {
            wire_name: p.name.clone(),
            rust_name: String::new(),
            location,
            ty,
            required,
            default: p.default_value.clone(),
            allow_multiple: p.allow_multiple.unwrap_or(false),
            range,
            description,
            versions: ctx.versions(),
        };
        if location == ir::ParamLocation::Path {
            if !placeholders.contains(&p.name.as_str()) {
                return Err(err(
                    format!("{pp}/name"),
                    format!(
                        "path parameter `{}` does not appear in the path `{}`",
                        p.name, api.path
                    ),
                ));
            }
            path_params.insert(p.name.as_str(), param);
        } else {
            others.push(param);
        }
    }
    let mut params = Vec::new();
    for name in &placeholders {
        match path_params.remove(name) {
            Some(p) => params.push(p),
            None => {
                return Err(err(
                    format!("/apis/{api_index}/path"),
                    format!(
                        "placeholder `{{{name}}}` has no path parameter in operation `{}`",
                        op.nickname
                    ),
                ))
            }
        }
    }
    params.extend(others);

    let response = match op.response_class.trim() {
        "void" => ir::ResponseType::Void,
        "binary" => ir::ResponseType::Binary,
        other => ir::ResponseType::Json(
            ctx.parse_type(other, false)
                .map_err(|m| err(format!("{base}/responseClass"), m))?,
        ),
    };

    let mut errors: Vec<ir::ErrorResponse> = Vec::new();
    for (e, resp) in op.error_responses.iter().enumerate() {
        let pointer = format!("{base}/errorResponses/{e}/code");
        let status = match &resp.code {
            ErrorCode::Number(n) => *n,
            ErrorCode::Text(t) => {
                return Err(err(
                    pointer,
                    format!(
                        "error code is the string {t:?}, not a number (not fixed up for {})",
                        ctx.version
                    ),
                ))
            }
        };
        let status = u16::try_from(status)
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| {
                err(
                    pointer.clone(),
                    format!("{status} is not an HTTP status code"),
                )
            })?;
        if errors.iter().any(|x| x.status == status) {
            return Err(err(pointer, format!("status {status} is listed twice")));
        }
        errors.push(ir::ErrorResponse {
            status,
            reason: resp.reason.clone(),
            versions: ctx.versions(),
        });
    }
    errors.sort_by_key(|e| e.status);

    Ok(ir::Operation {
        nickname: op.nickname.clone(),
        rust_name: String::new(),
        method: match op.http_method {
            spec::HttpMethod::Get => ir::HttpMethod::Get,
            spec::HttpMethod::Post => ir::HttpMethod::Post,
            spec::HttpMethod::Put => ir::HttpMethod::Put,
            spec::HttpMethod::Delete => ir::HttpMethod::Delete,
        },
        path,
        summary: op.summary.clone().unwrap_or_default(),
        notes: op.notes.clone(),
        params,
        response,
        errors,
        is_websocket: op.upgrade.as_deref() == Some("websocket"),
        versions: ctx.versions(),
    })
}
