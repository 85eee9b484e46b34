//! The text of `cargo xtask specs summary`: counts per version and for the
//! union, and every item that is not in every version.

use std::fmt::Write as _;

use crate::ir::{self, Version, VersionSet};

/// Counts for one version (or the union, with `version = None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Resources (api-docs files with operations, events.json included).
    pub resources: usize,
    /// Operations, total.
    pub operations: usize,
    /// Operations per resource, by resource wire name.
    pub operations_per_resource: Vec<(String, usize)>,
    /// Models of every kind: plain models, `Message`, `Event`, `Message` subtypes and events.
    pub models: usize,
    /// Event types (`Event` subtypes).
    pub events: usize,
    /// Enums.
    pub enums: usize,
}

/// Counts what exists in `version`, or everything when `version` is `None`.
pub fn counts(api: &ir::Api, version: Option<&Version>) -> Counts {
    let has = |set: &VersionSet| version.is_none_or(|v| set.contains(v));
    let mut operations_per_resource = Vec::new();
    let mut resources = 0;
    for r in api.resources.iter().filter(|r| has(&r.versions)) {
        resources += 1;
        let n = r.operations.iter().filter(|o| has(&o.versions)).count();
        operations_per_resource.push((r.wire_name.clone(), n));
    }
    Counts {
        resources,
        operations: operations_per_resource.iter().map(|(_, n)| n).sum(),
        operations_per_resource,
        models: api.all_models().filter(|m| has(&m.versions)).count(),
        events: api
            .events
            .events
            .iter()
            .filter(|m| has(&m.versions))
            .count(),
        enums: api
            .enums
            .values()
            .filter(|e| e.values.iter().any(|v| has(&v.versions)))
            .count(),
    }
}

fn write_counts(out: &mut String, title: &str, c: &Counts) {
    let _ = writeln!(
        out,
        "{title}: {} resources, {} operations, {} models, {} events, {} enums",
        c.resources, c.operations, c.models, c.events, c.enums
    );
    for (r, n) in &c.operations_per_resource {
        let _ = writeln!(out, "  {r}: {n} operations");
    }
}

/// Every item whose version set differs from its parent's (top-level items:
/// from the set of all versions), as `kind name: {versions}` lines.
pub fn partial_items(api: &ir::Api) -> Vec<String> {
    let all: VersionSet = api.versions.iter().cloned().collect();
    let mut out = Vec::new();
    let mut line = |kind: &str, name: String, set: &VersionSet, parent: &VersionSet| {
        if set != parent {
            out.push(format!("{kind} {name}: {set}"));
        }
    };
    for r in &api.resources {
        line("resource", r.wire_name.clone(), &r.versions, &all);
        for o in &r.operations {
            let name = format!("{}.{}", r.wire_name, o.nickname);
            line("operation", name, &o.versions, &r.versions);
            for p in &o.params {
                let name = format!("{}.{}.{}", r.wire_name, o.nickname, p.wire_name);
                line("param", name, &p.versions, &o.versions);
            }
            for e in &o.errors {
                let name = format!("{}.{} {}", r.wire_name, o.nickname, e.status);
                line("error response", name, &e.versions, &o.versions);
            }
        }
    }
    let tree = &api.events;
    let groups: [(&str, Vec<&ir::Model>); 3] = [
        ("model", api.models.values().collect()),
        (
            "message",
            [&tree.message, &tree.event]
                .into_iter()
                .chain(tree.messages.iter())
                .collect(),
        ),
        ("event", tree.events.iter().collect()),
    ];
    for (kind, models) in groups {
        for m in models {
            line(kind, m.wire_name.clone(), &m.versions, &all);
            for f in &m.fields {
                let name = format!("{}.{}", m.wire_name, f.wire_name);
                line("field", name, &f.versions, &m.versions);
            }
        }
    }
    for e in api.enums.values() {
        let mut enum_set = VersionSet::new();
        for v in &e.values {
            enum_set.extend(&v.versions);
        }
        line("enum", e.rust_name.clone(), &enum_set, &all);
        for v in &e.values {
            line(
                "enum value",
                format!("{}.{}", e.rust_name, v.wire),
                &v.versions,
                &enum_set,
            );
        }
    }
    out
}

/// The full summary text.
pub fn render(api: &ir::Api) -> String {
    let mut out = String::new();
    for v in &api.versions {
        write_counts(&mut out, &format!("Asterisk {v}"), &counts(api, Some(v)));
        out.push('\n');
    }
    let versions: Vec<String> = api.versions.iter().map(ToString::to_string).collect();
    write_counts(
        &mut out,
        &format!(
            "Union of {} versions ({})",
            versions.len(),
            versions.join(", ")
        ),
        &counts(api, None),
    );
    out.push('\n');
    let partial = partial_items(api);
    let _ = writeln!(
        out,
        "Not in every version ({} items; children are listed only where they differ from their parent):",
        partial.len()
    );
    for l in &partial {
        let _ = writeln!(out, "  {l}");
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "Differences between versions ({}):",
        api.conflicts.len()
    );
    for c in &api.conflicts {
        let _ = writeln!(out, "  {c}");
    }
    out
}
