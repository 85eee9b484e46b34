//! What changed between two versions of the API (`cargo xtask specs diff A B`): operations,
//! their parameters, models and their fields, events, and enum values, grouped by resource,
//! as text, Markdown (release notes) or JSON.
//!
//! Each side is one version lowered on its own (see [`mod@crate::lower`]), so a parameter's
//! `required`, type and default compare directly.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::ir::{self, Api, Model};

/// The changes from one API to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The old side's label (a version or a directory).
    pub from: String,
    /// The new side's label.
    pub to: String,
    /// One group per resource (api-docs file) with a change, in name order (the event types
    /// are in `events`, with the events resource's operations), then the enums (`enums`).
    pub groups: Vec<Group>,
}

/// The changes of one resource (or of the events, or of the enums).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The resource's wire name (`channels`), `events` or `enums`.
    pub name: String,
    /// Whether the resource itself is new or gone (`None`: it exists on both sides).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Kind>,
    /// The changes, in a stable order: operations, then models, then event types.
    pub changes: Vec<Change>,
}

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Only on the new side.
    Added,
    /// Only on the old side.
    Removed,
    /// On both sides, different.
    Changed,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
        }
    }
}

/// One changed item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What happened to it.
    pub kind: Kind,
    /// `operation`, `model`, `event` or `enum`.
    pub item: &'static str,
    /// Its name: `channels.getChannelVars`, `Channel`, `ChannelToneDetected`, `BridgeType`.
    pub name: String,
    /// A one-line description of the item: `GET /channels/{channelId}/variables` for an
    /// operation; empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub what: String,
    /// Changes inside it: parameters, fields, values, one line each
    /// (`parameter `reason_code` added (query, string, optional)`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// Output formats of [`Diff::render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text for a terminal.
    Text,
    /// Markdown, for release notes and CHANGELOG.md.
    Markdown,
    /// JSON (the [`Diff`] as serde writes it).
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown format `{other}` (text, markdown or json)")),
        }
    }
}

fn location(l: ir::ParamLocation) -> &'static str {
    match l {
        ir::ParamLocation::Path => "path",
        ir::ParamLocation::Query => "query",
        ir::ParamLocation::Body => "body",
    }
}

fn param_line(p: &ir::Param) -> String {
    format!(
        "{}, {}{}, {}",
        location(p.location),
        p.ty,
        if p.allow_multiple { " (multiple)" } else { "" },
        if p.required { "required" } else { "optional" }
    )
}

fn default_text(d: &Option<serde_json::Value>) -> String {
    match d {
        Some(v) => v.to_string(),
        None => "none".to_owned(),
    }
}

fn operation_details(old: &ir::Operation, new: &ir::Operation) -> Vec<String> {
    let mut out = Vec::new();
    if old.method != new.method || old.path != new.path {
        out.push(format!(
            "route {} {} → {} {}",
            old.method.as_str(),
            old.path,
            new.method.as_str(),
            new.path
        ));
    }
    if old.response != new.response {
        out.push(format!("response {} → {}", old.response, new.response));
    }
    for p in &new.params {
        match old.params.iter().find(|o| o.wire_name == p.wire_name) {
            None => out.push(format!(
                "parameter `{}` added ({})",
                p.wire_name,
                param_line(p)
            )),
            Some(o) => {
                let mut what = Vec::new();
                if o.required != p.required {
                    what.push(format!(
                        "{} → {}",
                        if o.required { "required" } else { "optional" },
                        if p.required { "required" } else { "optional" }
                    ));
                }
                if o.ty != p.ty || o.allow_multiple != p.allow_multiple {
                    what.push(format!(
                        "type {}{} → {}{}",
                        o.ty,
                        if o.allow_multiple { " (multiple)" } else { "" },
                        p.ty,
                        if p.allow_multiple { " (multiple)" } else { "" }
                    ));
                }
                if o.location != p.location {
                    what.push(format!(
                        "{} → {} parameter",
                        location(o.location),
                        location(p.location)
                    ));
                }
                if o.default != p.default {
                    what.push(format!(
                        "default {} → {}",
                        default_text(&o.default),
                        default_text(&p.default)
                    ));
                }
                if !what.is_empty() {
                    out.push(format!("parameter `{}`: {}", p.wire_name, what.join("; ")));
                }
            }
        }
    }
    for o in &old.params {
        if !new.params.iter().any(|p| p.wire_name == o.wire_name) {
            out.push(format!("parameter `{}` removed", o.wire_name));
        }
    }
    for e in &new.errors {
        if !old.errors.iter().any(|o| o.status == e.status) {
            out.push(format!("error {} added: {}", e.status, e.reason));
        }
    }
    for o in &old.errors {
        if !new.errors.iter().any(|e| e.status == o.status) {
            out.push(format!("error {} removed", o.status));
        }
    }
    out
}

fn field_line(f: &ir::Field) -> String {
    format!(
        "{}, {}",
        f.ty,
        if f.required { "required" } else { "optional" }
    )
}

fn model_details(old: &Model, new: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for f in &new.fields {
        match old.fields.iter().find(|o| o.wire_name == f.wire_name) {
            None => out.push(format!("field `{}` added ({})", f.wire_name, field_line(f))),
            Some(o) if o.ty != f.ty || o.required != f.required => out.push(format!(
                "field `{}`: {} → {}",
                f.wire_name,
                field_line(o),
                field_line(f)
            )),
            Some(_) => {}
        }
    }
    for o in &old.fields {
        if !new.fields.iter().any(|f| f.wire_name == o.wire_name) {
            out.push(format!("field `{}` removed", o.wire_name));
        }
    }
    out
}

fn compare<'a, T>(
    old: &BTreeMap<String, &'a T>,
    new: &BTreeMap<String, &'a T>,
    mut changed: impl FnMut(&'a T, &'a T) -> Vec<String>,
) -> Vec<(Kind, String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, n) in new {
        match old.get(name) {
            None => out.push((Kind::Added, name.clone(), Vec::new())),
            Some(o) => {
                let details = changed(o, n);
                if !details.is_empty() {
                    out.push((Kind::Changed, name.clone(), details));
                }
            }
        }
    }
    for name in old.keys() {
        if !new.contains_key(name) {
            out.push((Kind::Removed, name.clone(), Vec::new()));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

fn models_of<'a>(api: &'a Api, resource: &str) -> BTreeMap<String, &'a Model> {
    api.models
        .values()
        .filter(|m| m.defined_in == resource)
        .map(|m| (m.wire_name.clone(), m))
        .collect()
}

fn ops(r: Option<&ir::Resource>) -> BTreeMap<String, &ir::Operation> {
    r.map(|r| {
        r.operations
            .iter()
            .map(|op| (format!("{}.{}", r.wire_name, op.nickname), op))
            .collect()
    })
    .unwrap_or_default()
}

fn events(api: &Api) -> BTreeMap<String, &Model> {
    api.events
        .events
        .iter()
        .chain(api.events.messages.iter())
        .chain([&api.events.message, &api.events.event])
        .map(|m| (m.wire_name.clone(), m))
        .collect()
}

fn enums(api: &Api) -> BTreeMap<String, &ir::Enum> {
    api.enums.iter().map(|(k, v)| (k.clone(), v)).collect()
}

/// Compares `old` and `new` (each one version's IR), labelled `from` and `to`.
pub fn diff(from: &str, old: &Api, to: &str, new: &Api) -> Diff {
    let mut names: Vec<String> = old
        .resources
        .iter()
        .chain(&new.resources)
        .map(|r| r.wire_name.clone())
        .chain(
            old.models
                .values()
                .chain(new.models.values())
                .map(|m| m.defined_in.clone()),
        )
        .chain(["events".to_owned()])
        .collect();
    names.sort();
    names.dedup();
    let mut groups = Vec::new();
    for name in names {
        let o = old.resources.iter().find(|r| r.wire_name == name);
        let n = new.resources.iter().find(|r| r.wire_name == name);
        let resource = match (o, n) {
            (None, Some(_)) => Some(Kind::Added),
            (Some(_), None) => Some(Kind::Removed),
            _ => None,
        };
        let (old_ops, new_ops) = (ops(o), ops(n));
        let mut changes: Vec<Change> = compare(&old_ops, &new_ops, operation_details)
            .into_iter()
            .map(|(kind, name, details)| {
                let op = new_ops
                    .get(&name)
                    .or_else(|| old_ops.get(&name))
                    .expect("on one side");
                Change {
                    kind,
                    item: "operation",
                    what: format!("{} {}", op.method.as_str(), op.path),
                    name,
                    details,
                }
            })
            .collect();
        changes.extend(
            compare(
                &models_of(old, &name),
                &models_of(new, &name),
                model_details,
            )
            .into_iter()
            .map(|(kind, name, details)| Change {
                kind,
                item: "model",
                name,
                what: String::new(),
                details,
            }),
        );
        if name == "events" {
            // The event types live in events.json too.
            changes.extend(
                compare(&events(old), &events(new), model_details)
                    .into_iter()
                    .map(|(kind, name, details)| Change {
                        kind,
                        item: "event",
                        name,
                        what: String::new(),
                        details,
                    }),
            );
        }
        if !changes.is_empty() || resource.is_some() {
            groups.push(Group {
                name,
                resource,
                changes,
            });
        }
    }

    let changes: Vec<Change> = compare(&enums(old), &enums(new), |o, n| {
        let mut out = Vec::new();
        for v in &n.values {
            if !o.values.iter().any(|x| x.wire == v.wire) {
                out.push(format!("value `{}` added", v.wire));
            }
        }
        for v in &o.values {
            if !n.values.iter().any(|x| x.wire == v.wire) {
                out.push(format!("value `{}` removed", v.wire));
            }
        }
        out
    })
    .into_iter()
    .map(|(kind, name, mut details)| {
        if kind == Kind::Added {
            let values: Vec<String> = new.enums[&name]
                .values
                .iter()
                .map(|v| format!("`{}`", v.wire))
                .collect();
            details.push(format!("values {}", values.join(", ")));
        }
        Change {
            kind,
            item: "enum",
            name,
            what: String::new(),
            details,
        }
    })
    .collect();
    if !changes.is_empty() {
        groups.push(Group {
            name: "enums".into(),
            resource: None,
            changes,
        });
    }
    Diff {
        from: from.to_owned(),
        to: to.to_owned(),
        groups,
    }
}

impl Diff {
    /// How many items of `item` (`operation`, `model`, `event`, `enum`) were `kind`.
    pub fn count(&self, kind: Kind, item: &str) -> usize {
        self.groups
            .iter()
            .flat_map(|g| &g.changes)
            .filter(|c| c.kind == kind && c.item == item)
            .count()
    }

    /// One line of totals: `7 operations added, 3 events added, …`.
    pub fn totals(&self) -> String {
        let mut parts = Vec::new();
        for item in ["operation", "model", "event", "enum"] {
            for kind in [Kind::Added, Kind::Removed, Kind::Changed] {
                let n = self.count(kind, item);
                if n > 0 {
                    parts.push(format!(
                        "{n} {item}{} {}",
                        if n == 1 { "" } else { "s" },
                        kind.word()
                    ));
                }
            }
        }
        if parts.is_empty() {
            "no changes".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// The diff in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).expect("a Diff serialises") + "\n",
            Format::Text => self.text(),
            Format::Markdown => self.markdown(),
        }
    }

    fn text(&self) -> String {
        self.render_as(&Style {
            header_end: "\n",
            group: |g| {
                let resource = g
                    .resource
                    .map(|kind| format!(" (resource {})", kind.word()))
                    .unwrap_or_default();
                format!("\n{}{resource}\n", g.name)
            },
            change: |c| format!("  {:<8} {} {}", c.kind.word(), c.item, c.name),
            what: |what| format!("  {what}"),
            detail: "             ",
        })
    }

    /// Markdown; headings start at `###` so it drops into a CHANGELOG.md section.
    fn markdown(&self) -> String {
        self.render_as(&Style {
            header_end: ".\n",
            group: |g| {
                let resource = match g.resource {
                    Some(Kind::Added) => " (new resource)",
                    Some(_) => " (resource removed)",
                    None => "",
                };
                format!("\n### `{}`{resource}\n\n", g.name)
            },
            change: |c| {
                let kind = capitalise(c.kind.word());
                format!("- {kind} {} `{}`", c.item, c.name)
            },
            what: |what| format!(" (`{what}`)"),
            detail: "  - ",
        })
    }

    /// The summary line, then each group's heading and its changes with their details, each
    /// part written as `style` says.
    fn render_as(&self, style: &Style) -> String {
        let mut out = format!(
            "ARI changes from {} to {}: {}{}",
            self.from,
            self.to,
            self.totals(),
            style.header_end
        );
        for g in &self.groups {
            out.push_str(&(style.group)(g));
            for c in &g.changes {
                out.push_str(&(style.change)(c));
                if !c.what.is_empty() {
                    out.push_str(&(style.what)(&c.what));
                }
                out.push('\n');
                for d in &c.details {
                    let _ = writeln!(out, "{}{d}", style.detail);
                }
            }
        }
        out
    }
}

/// How [`Diff::render_as`] writes each part: the text and Markdown forms differ only here.
struct Style {
    /// After the summary line's totals.
    header_end: &'static str,
    /// A group's heading, its blank lines included.
    group: fn(&Group) -> String,
    /// The start of a change's line.
    change: fn(&Change) -> String,
    /// What changed, after the line's start (only when there is something to say).
    what: fn(&str) -> String,
    /// Before each detail line.
    detail: &'static str,
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
