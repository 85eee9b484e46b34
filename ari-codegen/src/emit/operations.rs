//! REST operations: `handles.rs` (resource accessors, object handles and the `Client`
//! methods that make them) and `operations.rs` (one builder per operation, in one module per
//! resource). Where each operation goes is decided in [`super::ops_plan`].
//!
//! Every builder holds a client and its parameters; `into_request()` turns it into the
//! runtime's transport-independent `Request`, and `send()` / `.await` hand that to one of the
//! client's four send paths (JSON, void, binary, stream). The send paths are generic over the
//! response type only, so the per-operation code is plain data shuffling.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::ops_plan::{self, Handle, OpPlan, Plan};
use super::types::{rust_type, Place};
use super::{docs, ident, unraw, Cx, EmitError};
use crate::ir::{HttpMethod, Operation, Param, ParamLocation, PathSegment, ResponseType, TypeRef};

/// How a parameter is held and sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A path segment (a string).
    Path,
    /// One query value of this scalar type.
    Query(TypeRef),
    /// A list of query values (`allowMultiple`), sent comma-separated.
    QueryList(TypeRef),
    /// `variables`: name/value pairs, sent as `{"variables": {...}}`. `reported`: the spec
    /// documents that a value may also be an object with `value` and `report_events`
    /// (held as `crate::VariableValue`); otherwise values are strings.
    Variables { reported: bool },
    /// `fields` of a dynamic configuration object: attribute/value pairs, sent as
    /// `{"fields": [{"attribute": .., "value": ..}]}`.
    ConfigFields,
    /// `filter` of an application: free-form JSON that is the whole body
    /// (`{"allowed": [...], "disallowed": [...]}`).
    WholeBody,
    /// Any other body parameter: JSON of this type under its wire name.
    BodyField(TypeRef),
}

/// Decides how a parameter is held and sent (the body-parameter table lives here).
pub(crate) fn kind(op: &Operation, p: &Param) -> Result<Kind, EmitError> {
    let unsupported = |what: &str| EmitError::Operation {
        operation: op.nickname.clone(),
        message: format!("parameter {}: {what}", p.wire_name),
    };
    let scalar = |ty: &TypeRef| match ty {
        TypeRef::String
        | TypeRef::Boolean
        | TypeRef::Int
        | TypeRef::Long
        | TypeRef::Double
        | TypeRef::Date
        | TypeRef::Enum(_) => true,
        TypeRef::Object | TypeRef::List(_) | TypeRef::Model(_) => false,
    };
    Ok(match p.location {
        ParamLocation::Path => {
            if p.ty != TypeRef::String || p.allow_multiple {
                return Err(unsupported("a path parameter must be a single string"));
            }
            Kind::Path
        }
        ParamLocation::Query => {
            let (elem, list) = match (&p.ty, p.allow_multiple) {
                (TypeRef::List(inner), _) => (&**inner, true),
                (ty, multiple) => (ty, multiple),
            };
            if !scalar(elem) {
                return Err(unsupported(
                    "a query parameter must be a scalar or a list of scalars",
                ));
            }
            if list {
                Kind::QueryList(elem.clone())
            } else {
                Kind::Query(elem.clone())
            }
        }
        ParamLocation::Body => match (p.wire_name.as_str(), &p.ty) {
            ("variables", TypeRef::Object) => Kind::Variables {
                // The spec says so in the parameter's description, the only place it does.
                reported: p.description.contains("report_events"),
            },
            ("fields", TypeRef::Object) => Kind::ConfigFields,
            ("filter", TypeRef::Object) => Kind::WholeBody,
            (_, ty) => Kind::BodyField(ty.clone()),
        },
    })
}

fn path_of(cx: &Cx<'_>, ty: &TypeRef, what: &dyn Fn() -> String) -> Result<TokenStream, EmitError> {
    rust_type(cx, ty, Place::Elsewhere, what)
}

/// The stored (field) type of a parameter, before `Option` for optional ones.
fn stored_type(cx: &Cx<'_>, op: &Operation, p: &Param, k: &Kind) -> Result<TokenStream, EmitError> {
    let what = || format!("{}.{}", op.nickname, p.wire_name);
    Ok(match k {
        Kind::Path => quote!(String),
        Kind::Query(ty) => path_of(cx, ty, &what)?,
        Kind::QueryList(ty) => {
            let t = path_of(cx, ty, &what)?;
            quote!(Vec<#t>)
        }
        Kind::Variables { reported: false } => quote!(std::collections::BTreeMap<String, String>),
        Kind::Variables { reported: true } => {
            quote!(std::collections::BTreeMap<String, crate::VariableValue>)
        }
        Kind::ConfigFields => quote!(Vec<(String, String)>),
        Kind::WholeBody => quote!(serde_json::Value),
        Kind::BodyField(ty) => path_of(cx, ty, &what)?,
    })
}

/// Whether values of this scalar type are taken with `impl Into<T>`.
fn takes_into(ty: &TypeRef) -> bool {
    matches!(ty, TypeRef::String | TypeRef::Enum(_))
}

/// The argument type (in a constructor or setter) and the expression converting the argument
/// `name` into the stored type. Generic parameters, if any, are returned too.
fn argument(
    cx: &Cx<'_>,
    op: &Operation,
    p: &Param,
    k: &Kind,
    name: &Ident,
) -> Result<(TokenStream, TokenStream, TokenStream), EmitError> {
    let what = || format!("{}.{}", op.nickname, p.wire_name);
    let none = TokenStream::new();
    Ok(match k {
        Kind::Path => (quote!(impl Into<String>), quote!(#name.into()), none),
        Kind::Query(ty) => {
            let t = path_of(cx, ty, &what)?;
            if takes_into(ty) {
                (quote!(impl Into<#t>), quote!(#name.into()), none)
            } else {
                (t, quote!(#name), none)
            }
        }
        Kind::QueryList(ty) => {
            let t = path_of(cx, ty, &what)?;
            if takes_into(ty) {
                (
                    quote!(impl IntoIterator<Item = impl Into<#t>>),
                    quote!(#name.into_iter().map(Into::into).collect()),
                    none,
                )
            } else {
                (
                    quote!(impl IntoIterator<Item = #t>),
                    quote!(#name.into_iter().collect()),
                    none,
                )
            }
        }
        Kind::Variables { reported: false } | Kind::ConfigFields => (
            quote!(impl IntoIterator<Item = (K, V)>),
            quote!(#name.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            quote!(K: Into<String>, V: Into<String>),
        ),
        Kind::Variables { reported: true } => (
            quote!(impl IntoIterator<Item = (K, V)>),
            quote!(#name.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            quote!(K: Into<String>, V: Into<crate::VariableValue>),
        ),
        Kind::WholeBody => (quote!(serde_json::Value), quote!(#name), none),
        Kind::BodyField(ty) => {
            let t = path_of(cx, ty, &what)?;
            (t, quote!(#name), none)
        }
    })
}

/// The request-building call for one parameter, moving `self.<field>` in.
fn request_part(p: &Param, k: &Kind, field: &Ident) -> TokenStream {
    let wire = p.wire_name.as_str();
    let required = p.required || p.location == ParamLocation::Path;
    match (k, required) {
        (Kind::Path, _) => quote!(.param(#wire, self.#field)),
        (Kind::Query(_), true) => quote!(.query(#wire, self.#field)),
        (Kind::Query(_), false) => quote!(.query_opt(#wire, self.#field)),
        (Kind::QueryList(_), true) => quote!(.query_list(#wire, self.#field)),
        (Kind::QueryList(_), false) => quote!(.query_list_opt(#wire, self.#field)),
        (Kind::Variables { .. } | Kind::BodyField(_), true) => {
            quote!(.body_field(#wire, self.#field))
        }
        (Kind::Variables { .. } | Kind::BodyField(_), false) => {
            quote!(.body_field_opt(#wire, self.#field))
        }
        (Kind::ConfigFields, true) => quote!(.body_field(#wire, config_fields(self.#field))),
        (Kind::ConfigFields, false) => {
            quote!(.body_field_opt(#wire, self.#field.map(config_fields)))
        }
        // Whole bodies are set after the chain (see `builder`).
        (Kind::WholeBody, _) => TokenStream::new(),
    }
}

fn method_tokens(m: HttpMethod) -> TokenStream {
    match m {
        HttpMethod::Get => quote!(crate::request::Method::Get),
        HttpMethod::Post => quote!(crate::request::Method::Post),
        HttpMethod::Put => quote!(crate::request::Method::Put),
        HttpMethod::Delete => quote!(crate::request::Method::Delete),
    }
}

/// What `send()` returns, and through which function of the transport seam.
struct Output {
    /// `T` of `ResponseFuture<T>`.
    ty: TokenStream,
    /// `send_json`, `send_void`, `send_binary` of `crate::__private`.
    send: Ident,
}

fn output(cx: &Cx<'_>, op: &Operation) -> Result<Output, EmitError> {
    let id = |s: &str| Ident::new(s, Span::call_site());
    Ok(match &op.response {
        ResponseType::Void => Output {
            ty: quote!(()),
            send: id("send_void"),
        },
        ResponseType::Binary => Output {
            ty: quote!(crate::Binary),
            send: id("send_binary"),
        },
        ResponseType::Json(ty) => Output {
            ty: path_of(cx, ty, &|| format!("response of {}", op.nickname))?,
            send: id("send_json"),
        },
    })
}

/// Spec prose as rustdoc: the HTML line breaks some notes use (`<br />`) become paragraph
/// breaks (Markdown would join plain line breaks), the rest is escaped.
fn prose(text: &str) -> String {
    let text = text
        .replace("<br />", "\n\n")
        .replace("<br/>", "\n\n")
        .replace("<br>", "\n\n");
    docs::escape(&text)
}

/// One line of prose for a list item: escaped, newlines folded.
fn one_line(text: &str) -> String {
    prose(text)
        .lines()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn default_text(p: &Param) -> Option<String> {
    p.default.as_ref().map(|d| match d {
        serde_json::Value::String(s) => format!("Default: `{}`.", s.replace('`', "'")),
        other => format!("Default: `{other}`."),
    })
}

fn range_text(p: &Param) -> Option<String> {
    let r = p.range.as_ref()?;
    let num = |v: f64| {
        if v.fract() == 0.0 {
            format!("{}", v as i64)
        } else {
            v.to_string()
        }
    };
    match (r.min, r.max) {
        (Some(min), Some(max)) => Some(format!("Allowed range: {} to {}.", num(min), num(max))),
        (Some(min), None) => Some(format!("Minimum: {}.", num(min))),
        (None, Some(max)) => Some(format!("Maximum: {}.", num(max))),
        (None, None) => None,
    }
}

/// Where and how a parameter travels, for docs.
fn wire_text(p: &Param, k: &Kind) -> String {
    let w = &p.wire_name;
    match k {
        Kind::Path => format!("path parameter `{w}`"),
        Kind::Query(_) => format!("query parameter `{w}`"),
        Kind::QueryList(_) => format!("query parameter `{w}`, values sent comma-separated"),
        Kind::Variables { .. } => {
            format!("JSON body `{{\"{w}\": {{\"name\": \"value\", ...}}}}`")
        }
        Kind::ConfigFields => {
            format!("JSON body `{{\"{w}\": [{{\"attribute\": ..., \"value\": ...}}]}}`")
        }
        Kind::WholeBody => "whole JSON body".to_owned(),
        Kind::BodyField(_) => format!("JSON body field `{w}`"),
    }
}

fn param_description(p: &Param) -> String {
    if p.description.trim().is_empty() {
        format!("The `{}` parameter.", p.wire_name)
    } else {
        sentence(one_line(&p.description))
    }
}

/// Ends `text` with a full stop unless it already ends a sentence.
fn sentence(mut text: String) -> String {
    if !text.ends_with(['.', '!', '?', ':', ')']) {
        text.push('.');
    }
    text
}

/// The enum a parameter takes its values from, as a rustdoc link from a module directly in
/// `generated/` (or from a resource module of `operations.rs`, which imports `enums`).
fn enum_text(cx: &Cx<'_>, k: &Kind) -> Option<String> {
    let (Kind::Query(TypeRef::Enum(name)) | Kind::QueryList(TypeRef::Enum(name))) = k else {
        return None;
    };
    let e = cx.api.enums.get(name)?;
    Some(format!("Values: [`{0}`](super::enums::{0}).", e.rust_name))
}

/// The paragraphs documenting one parameter on its setter.
fn setter_doc(cx: &Cx<'_>, op: &Operation, p: &Param, k: &Kind) -> TokenStream {
    let mut paras = vec![param_description(p)];
    let mut facts = vec![format!("Sent as the {}.", wire_text(p, k))];
    facts.extend(enum_text(cx, k));
    facts.extend(default_text(p));
    facts.extend(range_text(p));
    paras.push(facts.join(" "));
    match k {
        Kind::Variables { reported: false } => paras.push(
            "Takes `(name, value)` pairs (a `HashMap<String, String>` will do) and replaces any \
             set before."
                .to_owned(),
        ),
        Kind::Variables { reported: true } => paras.push(
            "Takes `(name, value)` pairs and replaces any set before; a value is a string or a \
             [`VariableValue`](crate::VariableValue) (`VariableValue::reported(value)` sends \
             `{\"value\": ..., \"report_events\": true}`)."
                .to_owned(),
        ),
        Kind::ConfigFields => paras.push(
            "Takes `(attribute, value)` pairs and replaces any set before; to send back what \
             `get_object` read: `.fields(tuples.iter().map(|t| (&t.attribute, &t.value)))`."
                .to_owned(),
        ),
        Kind::WholeBody => paras.push(
            "Any JSON value, sent as the request body, e.g. \
             `serde_json::json!({\"allowed\": [{\"type\": \"StasisStart\"}]})`."
                .to_owned(),
        ),
        _ => {}
    }
    paras.extend(docs::availability(&p.versions, &op.versions));
    docs::doc_attrs(paras)
}

/// Rustdoc paths from `handles.rs` and from a resource module of `operations.rs`.
pub(crate) struct Paths {
    /// Path to the builder type, e.g. `super::operations::channels::Play`.
    pub builder: String,
    /// Prefix for models from the documenting module, e.g. `super::models`.
    pub models: &'static str,
}

fn response_text(cx: &Cx<'_>, op: &Operation, paths: &Paths) -> String {
    let model_link = |name: &str| match cx.api.models.get(name) {
        Some(m) => format!("[`{0}`]({1}::{0})", m.rust_name, paths.models),
        None => format!("`{name}`"),
    };
    match &op.response {
        ResponseType::Void => "Returns `()`: Asterisk answers with no body (204, or 202 when it accepts the request for later).".to_owned(),
        ResponseType::Binary => format!(
            "Returns the body as [`Binary`](crate::Binary) (bytes and content type); [`stream`]({}::stream) delivers it in chunks instead.",
            paths.builder
        ),
        ResponseType::Json(TypeRef::Model(m)) => format!("Returns the {}.", model_link(m)),
        ResponseType::Json(TypeRef::List(inner)) => match &**inner {
            TypeRef::Model(m) => format!("Returns a list of {}.", model_link(m)),
            _ => "Returns a list.".to_owned(),
        },
        ResponseType::Json(_) => "Returns the JSON value.".to_owned(),
    }
}

/// The full documentation of an operation, on the accessor or handle method that starts it.
pub(crate) fn op_doc(
    cx: &Cx<'_>,
    plan: &OpPlan<'_>,
    paths: &Paths,
) -> Result<TokenStream, EmitError> {
    let op = plan.op;
    let mut paras = Vec::new();
    paras.push(if op.summary.trim().is_empty() {
        format!("The `{}` operation.", op.nickname)
    } else {
        prose(&op.summary)
    });
    if let Some(notes) = op.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        paras.push(prose(notes));
    }
    paras.push(format!(
        "HTTP: `{} {}` (operation `{}`).",
        op.method.as_str(),
        op.path,
        op.nickname
    ));

    let mut lines = vec!["# Parameters".to_owned()];
    let item = |name: String, p: &Param, k: &Kind, how: &str| {
        let mut line = format!(
            "- {name} ({how}; {}): {}",
            wire_text(p, k),
            param_description(p)
        );
        for fact in enum_text(cx, k)
            .into_iter()
            .chain(default_text(p))
            .chain(range_text(p))
            .chain(docs::availability(&p.versions, &op.versions))
        {
            line.push(' ');
            line.push_str(&fact);
        }
        line
    };
    for p in &plan.owner_params {
        lines.push(item(name_of(p), p, &kind(op, p)?, "from the handle"));
    }
    for p in &plan.positional {
        lines.push(item(name_of(p), p, &kind(op, p)?, "required"));
    }
    for p in &plan.optional {
        let name = format!("[`{0}`]({1}::{0})", unraw(&p.rust_name), paths.builder);
        lines.push(item(name, p, &kind(op, p)?, "optional setter"));
    }
    if lines.len() == 1 {
        lines.push("None.".to_owned());
    }
    paras.push(lines.join("\n"));

    paras.push(response_text(cx, op, paths));

    if !op.errors.is_empty() {
        let mut lines = vec![
            "# Errors".to_owned(),
            "[`Error::Api`](crate::Error::Api) with the spec's reason for these statuses:"
                .to_owned(),
        ];
        for e in &op.errors {
            let mut line = format!("- {}: {}", e.status, one_line(&e.reason));
            if let Some(av) = docs::availability(&e.versions, &op.versions) {
                line.push(' ');
                line.push_str(&av);
            }
            lines.push(line);
        }
        paras.push(lines.join("\n"));
    }
    paras.extend(docs::availability(&op.versions, &cx.all));
    Ok(docs::doc_attrs(paras))
}

fn name_of(p: &Param) -> String {
    format!("`{}`", unraw(&p.rust_name))
}

/// `operations.rs`: one module per resource with the builders of its operations.
pub(crate) fn emit_operations(cx: &Cx<'_>, plan: &Plan<'_>) -> Result<TokenStream, EmitError> {
    let mut modules = Vec::new();
    let mut uses_enums = false;
    let mut uses_models = false;
    for rp in &plan.resources {
        let mut items = Vec::new();
        let mut needs_config_fields = false;
        let ops = rp
            .accessor
            .iter()
            .flat_map(|a| a.ops.iter().map(move |o| (o, a.type_name.clone())))
            .chain(
                rp.handles
                    .iter()
                    .flat_map(|h| h.ops.iter().map(move |o| (o, h.type_name.clone()))),
            );
        for (op_plan, owner_type) in ops {
            for p in &op_plan.op.params {
                let k = kind(op_plan.op, p)?;
                needs_config_fields |= k == Kind::ConfigFields;
                uses_enums |= matches!(
                    &k,
                    Kind::Query(TypeRef::Enum(_)) | Kind::QueryList(TypeRef::Enum(_))
                );
                uses_enums |= matches!(&k, Kind::BodyField(TypeRef::Enum(_)));
            }
            uses_models |=
                matches!(&op_plan.op.response, ResponseType::Json(t) if mentions_model(t));
            items.push(builder(cx, &rp.resource.wire_name, op_plan, &owner_type)?);
        }
        if needs_config_fields {
            items.push(quote! {
                /// `(attribute, value)` pairs as the JSON list of `ConfigTuple`s Asterisk expects.
                fn config_fields(fields: Vec<(String, String)>) -> Vec<serde_json::Value> {
                    fields
                        .into_iter()
                        .map(|(attribute, value)| serde_json::json!({ "attribute": attribute, "value": value }))
                        .collect()
                }
            });
        }
        let module = ident(&rp.module, || {
            format!("module of resource {}", rp.resource.wire_name)
        })?;
        let doc = format!(
            " Builders of the `{}` resource's operations{}",
            rp.resource.wire_name,
            if rp.resource.description.trim().is_empty() {
                ".".to_owned()
            } else {
                format!(": {}", one_line(&rp.resource.description))
            }
        );
        modules.push(quote! {
            #[doc = #doc]
            pub mod #module {
                #(#items)*
            }
        });
    }
    let mut index = String::from(
        "| Operation | HTTP | Call | Builder |\n\
         |---|---|---|---|\n",
    );
    for e in ops_plan::layout_entries(plan) {
        index.push_str(&format!(
            "| `{}.{}` | `{}` | [`{}`](crate::{}) | [`{}`](crate::operations::{}) |\n",
            e.resource, e.nickname, e.http, e.call, e.starter, e.builder, e.builder
        ));
    }
    let index = index.lines().map(|l| format!(" {l}"));
    let not_rest = plan.websocket.iter().map(|(r, o)| {
        format!(
            " Not here: `{}.{}` (`{} {}`), the WebSocket upgrade of the event stream, which the events API opens.",
            r.wire_name,
            o.nickname,
            o.method.as_str(),
            o.path
        )
    });
    let enums_import = uses_enums.then(|| {
        quote!(
            use super::enums;
        )
    });
    let models_import = uses_models.then(|| {
        quote!(
            use super::models;
        )
    });
    Ok(quote! {
        //! One builder per REST operation, in one module per resource.
        //!
        //! A builder is made by a method of a resource accessor or an object handle (see the
        //! crate root), which takes the required parameters. Each optional parameter has a
        //! chained setter. Send it with `.await` (every builder implements
        //! [`IntoFuture`](std::future::IntoFuture)) or with `send()`; `into_request()` gives the
        //! transport-independent [`Request`](crate::request::Request) instead.
        //!
        //! # Every operation
        //!
        //! The spec's name, its HTTP method and path, the call that makes it (required arguments
        //! named), and its builder. (The links assume ari-sdk's re-exports: handles and
        //! accessors at the crate root, this module as `crate::operations`.)
        //!
        #(#![doc = #index])*
        #(#![doc = ""] #![doc = #not_rest])*

        // The resource modules name models and enums as `super::models::…`.
        #enums_import
        #models_import

        #(#modules)*
    })
}

fn mentions_model(t: &TypeRef) -> bool {
    match t {
        TypeRef::Model(_) => true,
        TypeRef::List(inner) => mentions_model(inner),
        _ => false,
    }
}

/// One builder: struct, constructor, setters, request, send, `IntoFuture`.
/// The builder of one operation of `resource` (its wire name, `channels`).
fn builder(
    cx: &Cx<'_>,
    resource: &str,
    plan: &OpPlan<'_>,
    owner_type: &str,
) -> Result<TokenStream, EmitError> {
    let op = plan.op;
    let name = ident(&plan.builder, || format!("builder of {}", op.nickname))?;
    let id = op.id(resource);
    let out = output(cx, op)?;
    let out_ty = &out.ty;
    let send_path = &out.send;

    // Fields, in spec order; constructor arguments in the order the starter passes them.
    let mut fields = Vec::new();
    let mut new_inits = Vec::new();
    for p in &op.params {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let ty = stored_type(cx, op, p, &k)?;
        let required = p.required || p.location == ParamLocation::Path;
        if required {
            fields.push(quote!(#f: #ty,));
            new_inits.push(quote!(#f,));
        } else {
            fields.push(quote!(#f: Option<#ty>,));
            new_inits.push(quote!(#f: None,));
        }
    }
    let mut new_args = Vec::new();
    for p in plan.owner_params.iter().chain(&plan.positional) {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let ty = stored_type(cx, op, p, &k)?;
        new_args.push(quote!(#f: #ty));
    }

    // Setters.
    let mut setters = Vec::new();
    for p in &plan.optional {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let (arg_ty, conv, generics) = argument(cx, op, p, &k, &f)?;
        let generics = (!generics.is_empty()).then(|| quote!(<#generics>));
        let doc = setter_doc(cx, op, p, &k);
        setters.push(quote! {
            #doc
            pub fn #f #generics(mut self, #f: #arg_ty) -> Self {
                self.#f = Some(#conv);
                self
            }
        });
    }

    // The request.
    let method = method_tokens(op.method);
    let mut chain = Vec::new();
    for s in op.path.segments() {
        match s {
            PathSegment::Literal(l) => chain.push(quote!(.segment(#l))),
            PathSegment::Param(w) => {
                let p = op.path_param(w).expect("checked by the plan");
                let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
                chain.push(request_part(p, &Kind::Path, &f));
            }
        }
    }
    let mut whole_body = None;
    for p in op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
    {
        let k = kind(op, p)?;
        let f = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        if k == Kind::WholeBody {
            if whole_body.is_some()
                || op
                    .params
                    .iter()
                    .filter(|q| q.location == ParamLocation::Body)
                    .count()
                    > 1
            {
                return Err(EmitError::Operation {
                    operation: op.nickname.clone(),
                    message: "a whole-body parameter cannot share the body".to_owned(),
                });
            }
            whole_body = Some(if p.required {
                quote!(let request = request.body(self.#f);)
            } else {
                quote! {
                    let request = match self.#f {
                        Some(body) => request.body(body),
                        None => request,
                    };
                }
            });
        } else {
            chain.push(request_part(p, &k, &f));
        }
    }
    let errors = op.errors.iter().map(|e| {
        let status = e.status;
        let reason = e.reason.as_str();
        quote!((#status, #reason))
    });

    let handle_path = format!(
        "super::super::handles::{owner_type}::{}",
        unraw(&op.rust_name)
    );
    let summary = if op.summary.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", one_line(&op.summary))
    };
    let doc = docs::doc_attrs([
        format!(
            "`{} {}`{summary}",
            op.method.as_str(),
            op.path
        ),
        format!(
            "Made by [`{owner_type}::{0}`]({handle_path}), which documents the operation. Set optional parameters with the methods below, then send it with `.await` or [`send`](Self::send).",
            unraw(&op.rust_name)
        ),
    ]);
    let stream = matches!(op.response, ResponseType::Binary).then(|| {
        quote! {
            /// Sends the request and delivers the body in chunks as they arrive, once the
            /// status and headers are in.
            pub fn stream(self) -> crate::ResponseFuture<crate::BinaryStream> {
                let (client, request) = self.parts();
                crate::__private::send_stream(client, request)
            }
        }
    });
    let new_doc = format!(" A builder with the required parameters and no optional ones (see [`{owner_type}`](super::super::handles::{owner_type})).");
    Ok(quote! {
        #doc
        #[derive(Debug, Clone)]
        #[must_use = "an operation is sent only when awaited or sent with .send()"]
        pub struct #name {
            client: crate::Client,
            #(#fields)*
        }

        impl #name {
            #[doc = #new_doc]
            pub(crate) fn new(client: crate::Client, #(#new_args),*) -> Self {
                Self { client, #(#new_inits)* }
            }

            #(#setters)*

            /// The call as a transport-independent [`Request`](crate::request::Request): what
            /// [`send`](Self::send) hands to the client's transport.
            pub fn into_request(self) -> crate::request::Request {
                self.parts().1
            }

            fn parts(self) -> (crate::Client, crate::request::Request) {
                let request = crate::request::Request::new(#id, #method)
                    #(#chain)*
                    .errors(&[#(#errors),*]);
                #whole_body
                (self.client, request)
            }

            /// Sends the request; the same as `.await` on the builder.
            pub fn send(self) -> crate::ResponseFuture<#out_ty> {
                let (client, request) = self.parts();
                crate::__private::#send_path(client, request)
            }

            #stream
        }

        impl std::future::IntoFuture for #name {
            type Output = crate::Result<#out_ty>;
            type IntoFuture = crate::ResponseFuture<#out_ty>;

            fn into_future(self) -> Self::IntoFuture {
                self.send()
            }
        }
    })
}

/// A method (on an accessor or handle) that starts an operation.
fn starter(
    cx: &Cx<'_>,
    rp_module: &Ident,
    plan: &OpPlan<'_>,
    from_handle: &[TokenStream],
) -> Result<TokenStream, EmitError> {
    let op = plan.op;
    let method = ident(&op.rust_name, || format!("operation {}", op.nickname))?;
    let builder = ident(&plan.builder, || format!("builder of {}", op.nickname))?;
    let builder_path = format!("super::operations::{}::{}", rp_module, plan.builder);
    let doc = op_doc(
        cx,
        plan,
        &Paths {
            builder: builder_path,
            models: "super::models",
        },
    )?;
    let mut args = Vec::new();
    let mut convs = Vec::new();
    let mut generics = Vec::new();
    for p in &plan.positional {
        let k = kind(op, p)?;
        let a = ident(&p.rust_name, || format!("{}.{}", op.nickname, p.wire_name))?;
        let (ty, conv, g) = argument(cx, op, p, &k, &a)?;
        args.push(quote!(#a: #ty));
        convs.push(conv);
        if !g.is_empty() {
            generics.push(g);
        }
    }
    if generics.len() > 1 {
        return Err(EmitError::Operation {
            operation: op.nickname.clone(),
            message: "more than one required key/value parameter".to_owned(),
        });
    }
    let generics = (!generics.is_empty()).then(|| quote!(<#(#generics),*>));
    Ok(quote! {
        #doc
        pub fn #method #generics(&self, #(#args),*) -> super::operations::#rp_module::#builder {
            super::operations::#rp_module::#builder::new(self.client.clone(), #(#from_handle,)* #(#convs),*)
        }
    })
}

/// `handles.rs`: accessors, handles, and the `Client` methods making them.
pub(crate) fn emit_handles(cx: &Cx<'_>, plan: &Plan<'_>) -> Result<TokenStream, EmitError> {
    let mut client_methods = Vec::new();
    let mut items = Vec::new();
    for rp in &plan.resources {
        let module = ident(&rp.module, || {
            format!("module of resource {}", rp.resource.wire_name)
        })?;
        if let Some(acc) = &rp.accessor {
            let m = ident(&acc.method, || {
                format!("accessor of {}", rp.resource.wire_name)
            })?;
            let t = ident(&acc.type_name, || {
                format!("accessor of {}", rp.resource.wire_name)
            })?;
            let desc = if rp.resource.description.trim().is_empty() {
                String::new()
            } else {
                format!(" ({})", one_line(&rp.resource.description))
            };
            let renamed = (acc.method != unraw(&rp.resource.rust_name)).then(|| {
                format!(
                    "Named `{}` because `Client::{}` is taken by the runtime.",
                    acc.method,
                    unraw(&rp.resource.rust_name)
                )
            });
            let mut paras = vec![format!(
                "The `{}` resource{desc}: its operations that address no single object.",
                rp.resource.wire_name
            )];
            paras.extend(renamed.clone());
            paras.extend(docs::availability(&rp.resource.versions, &cx.all));
            let method_doc = docs::doc_attrs(paras.clone());
            client_methods.push(quote! {
                #method_doc
                pub fn #m(&self) -> #t {
                    #t { client: self.clone() }
                }
            });
            let starters = acc
                .ops
                .iter()
                .map(|o| starter(cx, &module, o, &[]))
                .collect::<Result<Vec<_>, _>>()?;
            paras.push(format!(
                "Made by [`Client::{0}`](crate::Client::{0}).",
                acc.method
            ));
            let type_doc = docs::doc_attrs(paras);
            items.push(quote! {
                #type_doc
                #[derive(Debug, Clone)]
                pub struct #t {
                    client: crate::Client,
                }

                impl #t {
                    #(#starters)*
                }
            });
        }
        for h in &rp.handles {
            items.push(handle(
                cx,
                &module,
                rp.resource.wire_name.as_str(),
                h,
                &mut client_methods,
            )?);
        }
    }
    let websocket_note = if plan.websocket.is_empty() {
        String::new()
    } else {
        let list = plan
            .websocket
            .iter()
            .map(|(r, o)| {
                format!(
                    "`{}.{}` (`{} {}`)",
                    r.wire_name,
                    o.nickname,
                    o.method.as_str(),
                    o.path
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!("\n\nNot here: {list}, the WebSocket upgrade of the event stream, which the events API opens.")
    };
    let module_doc = format!(
        "How a [`Client`](crate::Client) reaches every REST operation: resource accessors \
         (`client.channels()`) for the operations that address no single object, and handles \
         (`client.channel(id)`) for the operations on one object.\n\n\
         Making an accessor or a handle sends nothing and costs a client clone (a reference \
         count); their methods return the operation builders of [`operations`](super::operations).{websocket_note}"
    );
    let module_doc = module_doc.lines().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    Ok(quote! {
        #(#![doc = #module_doc])*

        impl crate::Client {
            #(#client_methods)*
        }

        #(#items)*
    })
}

fn handle(
    cx: &Cx<'_>,
    module: &Ident,
    resource: &str,
    h: &Handle<'_>,
    client_methods: &mut Vec<TokenStream>,
) -> Result<TokenStream, EmitError> {
    let m = ident(&h.method, || format!("handle of {}", h.key))?;
    let t = ident(&h.type_name, || format!("handle of {}", h.key))?;
    let tmpl = &h.key;
    // The model read at the key, if any.
    let model = h
        .ops
        .iter()
        .find_map(|o| match (&o.op.method, &o.op.response) {
            (HttpMethod::Get, ResponseType::Json(TypeRef::Model(name))) if o.op.path == h.key => {
                cx.api.models.get(name)
            }
            _ => None,
        });
    let what = match model {
        Some(m) => format!("one [`{0}`](super::models::{0})", m.rust_name),
        None => "one object".to_owned(),
    };
    let fields: Vec<Ident> = h
        .params
        .iter()
        .map(|p| ident(&p.rust_name, || format!("{resource}.{}", p.wire_name)))
        .collect::<Result<_, _>>()?;
    let param_list = h
        .params
        .iter()
        .map(|p| format!("`{}`", p.wire_name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut paras = vec![format!(
        "A handle on {what} of the `{resource}` resource, at `{tmpl}`: every operation on it."
    )];
    let ctor_doc = docs::doc_attrs([
        paras[0].clone(),
        format!("Takes the object's {param_list}. Making a handle sends nothing."),
    ]);
    client_methods.push(quote! {
        #ctor_doc
        pub fn #m(&self, #(#fields: impl Into<String>),*) -> #t {
            #t { client: self.clone(), #(#fields: #fields.into()),* }
        }
    });
    paras.push(format!(
        "Made by [`Client::{0}`](crate::Client::{0}).",
        h.method
    ));
    let type_doc = docs::doc_attrs(paras);

    let getters = ops_plan::handle_getters(h)
        .into_iter()
        .map(|(g, p)| {
            let g = ident(&g, || format!("getter of {}", h.type_name))?;
            let f = ident(&p.rust_name, || format!("{resource}.{}", p.wire_name))?;
            let doc = format!(" The `{}` this handle addresses.", p.wire_name);
            Ok(quote! {
                #[doc = #doc]
                pub fn #g(&self) -> &str {
                    &self.#f
                }
            })
        })
        .collect::<Result<Vec<_>, EmitError>>()?;
    let from_handle: Vec<TokenStream> = fields.iter().map(|f| quote!(self.#f.clone())).collect();
    let starters = h
        .ops
        .iter()
        .map(|o| starter(cx, module, o, &from_handle))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quote! {
        #type_doc
        #[derive(Debug, Clone)]
        pub struct #t {
            /// The client requests go through (also for the hand-written extensions, such as `events()`).
            pub(crate) client: crate::Client,
            #(#fields: String,)*
        }

        impl #t {
            #(#getters)*
            #(#starters)*
        }
    })
}
