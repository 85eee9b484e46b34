//! Merging per-version IRs into one union; the merged IR is then named by
//! [`crate::naming::assign`].
//!
//! Items are identified across versions by: resource wire name; (resource,
//! nickname) for operations; (operation, wire name) for params; status for
//! error responses; wire name for models and events; (model, wire name) for
//! fields; site key for enums. Each item's [`VersionSet`] is the union of the
//! versions it appears in.
//!
//! When an item's shape differs between versions (type, location, required,
//! default, allowMultiple, range, method, path, response type, the file
//! defining a model), every differing attribute becomes one line in
//! [`ir::Api::conflicts`] naming the values and their versions, and the
//! newest version's value is kept. Descriptions simply follow the newest
//! version and are not reported.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::ir::{self, Version, VersionSet};
use crate::naming;

/// Records every version's value of every tracked attribute.
#[derive(Default)]
struct Tracker {
    seen: BTreeMap<(String, &'static str), BTreeMap<String, VersionSet>>,
}

impl Tracker {
    fn note(&mut self, item: &str, attr: &'static str, value: String, version: &Version) {
        self.seen
            .entry((item.to_string(), attr))
            .or_default()
            .entry(value)
            .or_default()
            .insert(version.clone());
    }

    fn conflicts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for ((item, attr), values) in &self.seen {
            if values.len() > 1 {
                let mut parts: Vec<(&VersionSet, &String)> =
                    values.iter().map(|(v, s)| (s, v)).collect();
                parts.sort_by(|a, b| a.0.oldest().cmp(&b.0.oldest()));
                let text: Vec<String> = parts.iter().map(|(s, v)| format!("{v} in {s}")).collect();
                let newest = parts
                    .iter()
                    .max_by(|a, b| a.0.newest().cmp(&b.0.newest()))
                    .map(|p| p.1);
                out.push(format!(
                    "{item}: {attr} differs: {}; keeping {}",
                    text.join("; "),
                    newest.map(String::as_str).unwrap_or("")
                ));
            }
        }
        out
    }
}

fn default_repr(d: &Option<serde_json::Value>) -> String {
    match d {
        Some(v) => v.to_string(),
        None => "none".to_string(),
    }
}

fn range_repr(r: &Option<ir::Range>) -> String {
    match r {
        Some(r) => format!("{:?}..{:?}", r.min, r.max),
        None => "none".to_string(),
    }
}

/// Merges per-version IRs (each holding one version) into one union and
/// assigns every Rust name. See the module docs.
pub fn union(mut apis: Vec<ir::Api>) -> Result<ir::Api, Error> {
    if let Some(bad) = apis.iter().find(|a| a.versions.len() != 1) {
        return Err(Error::Naming(format!(
            "union expects per-version IRs, got one with {} versions",
            bad.versions.len()
        )));
    }
    apis.sort_by(|a, b| a.versions.cmp(&b.versions));
    for pair in apis.windows(2) {
        if pair[0].versions == pair[1].versions {
            return Err(Error::Naming(format!(
                "version {} is given twice",
                pair[0].versions[0]
            )));
        }
    }
    let mut tracker = Tracker::default();
    let mut iter = apis.into_iter();
    let Some(first) = iter.next() else {
        return Err(Error::Missing("no spec versions to lower".to_string()));
    };
    let mut acc = ir::Api {
        versions: Vec::new(),
        resources: Vec::new(),
        models: BTreeMap::new(),
        events: ir::EventTree {
            message: first.events.message.clone(),
            event: first.events.event.clone(),
            messages: Vec::new(),
            events: Vec::new(),
        },
        enums: BTreeMap::new(),
        conflicts: Vec::new(),
    };
    acc.events.message.versions = VersionSet::new();
    acc.events.message.fields.clear();
    acc.events.event.versions = VersionSet::new();
    acc.events.event.fields.clear();
    for api in std::iter::once(first).chain(iter) {
        merge_one(&mut acc, api, &mut tracker);
    }
    for m in acc.models.keys() {
        if acc
            .events
            .events
            .iter()
            .chain(acc.events.messages.iter())
            .any(|e| &e.wire_name == m)
        {
            acc.conflicts.push(format!(
                "model {m}: is an event in some versions and a plain model in others"
            ));
        }
    }
    acc.conflicts.extend(tracker.conflicts());
    acc.conflicts.sort();
    acc.conflicts.dedup();
    naming::assign::name_everything(&mut acc)?;
    Ok(acc)
}

fn merge_one(acc: &mut ir::Api, api: ir::Api, tracker: &mut Tracker) {
    // `union` checked that every per-version IR holds exactly one version.
    let version = api.versions[0].clone();
    acc.versions.push(version.clone());
    acc.versions.sort();

    for res in api.resources {
        let slot = match acc
            .resources
            .iter()
            .position(|r| r.wire_name == res.wire_name)
        {
            Some(i) => &mut acc.resources[i],
            None => {
                acc.resources.push(ir::Resource {
                    operations: Vec::new(),
                    versions: VersionSet::new(),
                    ..res.clone()
                });
                acc.resources.last_mut().expect("just pushed")
            }
        };
        slot.versions.insert(version.clone());
        slot.description = res.description;
        for op in res.operations {
            merge_operation(&res.wire_name, &mut slot.operations, op, &version, tracker);
        }
        slot.operations
            .sort_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
    }
    acc.resources.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));

    for (name, model) in api.models {
        let slot = acc
            .models
            .entry(name)
            .or_insert_with(|| empty_model(&model));
        merge_model(slot, model, &version, tracker);
    }
    let ir::EventTree {
        message,
        event,
        messages,
        events,
    } = api.events;
    let tree = &mut acc.events;
    for (slot, base) in [(&mut tree.message, message), (&mut tree.event, event)] {
        merge_model(slot, base, &version, tracker);
    }
    for (slot, subtypes) in [(&mut tree.messages, messages), (&mut tree.events, events)] {
        merge_model_list(slot, subtypes, &version, tracker);
    }

    for (site, e) in api.enums {
        let slot = acc.enums.entry(site).or_insert_with(|| ir::Enum {
            values: Vec::new(),
            ..e.clone()
        });
        slot.description = e.description;
        slot.from_prose |= e.from_prose;
        for v in e.values {
            match slot.values.iter_mut().find(|x| x.wire == v.wire) {
                Some(x) => x.versions.extend(&v.versions),
                None => slot.values.push(v),
            }
        }
    }
}

fn empty_model(m: &ir::Model) -> ir::Model {
    ir::Model {
        fields: Vec::new(),
        versions: VersionSet::new(),
        ..m.clone()
    }
}

fn merge_model_list(
    acc: &mut Vec<ir::Model>,
    models: Vec<ir::Model>,
    version: &Version,
    tracker: &mut Tracker,
) {
    for model in models {
        let i = match acc.iter().position(|m| m.wire_name == model.wire_name) {
            Some(i) => i,
            None => {
                acc.push(empty_model(&model));
                acc.len() - 1
            }
        };
        merge_model(&mut acc[i], model, version, tracker);
    }
    acc.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
}

fn merge_model(slot: &mut ir::Model, model: ir::Model, version: &Version, tracker: &mut Tracker) {
    let item = format!("model {}", model.wire_name);
    tracker.note(&item, "defined in", model.defined_in.clone(), version);
    slot.versions.insert(version.clone());
    slot.description = model.description;
    slot.defined_in = model.defined_in;
    for field in model.fields {
        let fitem = format!("field {}.{}", model.wire_name, field.wire_name);
        tracker.note(&fitem, "type", field.ty.to_string(), version);
        tracker.note(&fitem, "required", field.required.to_string(), version);
        match slot
            .fields
            .iter_mut()
            .find(|f| f.wire_name == field.wire_name)
        {
            Some(f) => {
                f.versions.insert(version.clone());
                f.ty = field.ty;
                f.required = field.required;
                f.description = field.description;
            }
            None => slot.fields.push(field),
        }
    }
    slot.fields.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
}

fn merge_operation(
    resource: &str,
    ops: &mut Vec<ir::Operation>,
    op: ir::Operation,
    version: &Version,
    tracker: &mut Tracker,
) {
    let item = format!("operation {resource}.{}", op.nickname);
    tracker.note(&item, "method", op.method.to_string(), version);
    tracker.note(&item, "path", op.path.to_string(), version);
    tracker.note(&item, "response", op.response.to_string(), version);
    tracker.note(&item, "websocket", op.is_websocket.to_string(), version);
    for p in &op.params {
        let pitem = format!("param {resource}.{}.{}", op.nickname, p.wire_name);
        tracker.note(&pitem, "location", p.location.to_string(), version);
        tracker.note(&pitem, "type", p.ty.to_string(), version);
        tracker.note(&pitem, "required", p.required.to_string(), version);
        tracker.note(&pitem, "default", default_repr(&p.default), version);
        tracker.note(
            &pitem,
            "allowMultiple",
            p.allow_multiple.to_string(),
            version,
        );
        tracker.note(&pitem, "range", range_repr(&p.range), version);
    }
    let Some(slot) = ops.iter_mut().find(|o| o.nickname == op.nickname) else {
        ops.push(op);
        return;
    };
    slot.versions.insert(version.clone());
    slot.method = op.method;
    slot.path = op.path;
    slot.summary = op.summary;
    slot.notes = op.notes;
    slot.response = op.response;
    slot.is_websocket = op.is_websocket;
    // The newest version's parameter order, then parameters only older versions have.
    let mut old = std::mem::take(&mut slot.params);
    let mut params = Vec::new();
    for mut p in op.params {
        if let Some(i) = old.iter().position(|x| x.wire_name == p.wire_name) {
            let prev = old.remove(i);
            let mut versions = prev.versions;
            versions.insert(version.clone());
            p.versions = versions;
        }
        params.push(p);
    }
    params.extend(old);
    // Path params stay first, in path order.
    let path_order: Vec<&str> = slot.path.params().collect();
    params.sort_by_key(
        |p| match path_order.iter().position(|n| *n == p.wire_name) {
            Some(i) if p.location == ir::ParamLocation::Path => i,
            _ => usize::MAX,
        },
    );
    slot.params = params;
    for e in op.errors {
        match slot.errors.iter_mut().find(|x| x.status == e.status) {
            Some(x) => {
                x.versions.insert(version.clone());
                x.reason = e.reason;
            }
            None => slot.errors.push(e),
        }
    }
    slot.errors.sort_by_key(|e| e.status);
}
