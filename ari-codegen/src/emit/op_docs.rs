//! The documentation of operations: spec prose turned into rustdoc, one paragraph per
//! parameter on its setter, and the full text on the accessor or handle method that starts
//! an operation (parameters, response, errors, availability).

use proc_macro2::TokenStream;

use super::ops_plan::OpPlan;
use super::params::{kind, Kind};
use super::{docs, Cx, EmitError};
use crate::ir::{Operation, Param, ResponseType, TypeRef};

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
pub(super) fn one_line(text: &str) -> String {
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
pub(super) fn setter_doc(cx: &Cx<'_>, op: &Operation, p: &Param, k: &Kind) -> TokenStream {
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
pub(super) struct Paths {
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
pub(super) fn op_doc(
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
        let name = format!("[`{0}`]({1}::{0})", &p.rust_name, paths.builder);
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
    format!("`{}`", p.rust_name)
}
