//! Merging per-version IRs into one union, then naming everything.
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

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;
use crate::ir::{self, TypeRef, Version, VersionSet};
use crate::naming::{self, Scope};

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
    name_everything(&mut acc)?;
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

// ---------------------------------------------------------------------------
// Naming

fn name_everything(api: &mut ir::Api) -> Result<(), Error> {
    // Type names: models first (wire-name order), then enums.
    let mut types = Scope::new();
    let mut model_names: Vec<String> = api.all_models().map(|m| m.wire_name.clone()).collect();
    model_names.sort();
    let mut model_rust = BTreeMap::new();
    for wire in &model_names {
        model_rust.insert(wire.clone(), types.claim_camel(wire));
    }
    let set_model = |m: &mut ir::Model| {
        if let Some(n) = model_rust.get(&m.wire_name) {
            m.rust_name = n.clone();
        }
        let mut scope = Scope::new();
        for f in &mut m.fields {
            f.rust_name = scope.claim_snake(&f.wire_name);
        }
    };
    api.models.values_mut().for_each(set_model);
    set_model(&mut api.events.message);
    set_model(&mut api.events.event);
    api.events.messages.iter_mut().for_each(set_model);
    api.events.events.iter_mut().for_each(set_model);

    let mut res_scope = Scope::new();
    for res in &mut api.resources {
        res.rust_name = res_scope.claim_snake(&res.wire_name);
        let mut op_scope = Scope::new();
        let mut order: Vec<usize> = (0..res.operations.len()).collect();
        order.sort_by(|a, b| {
            res.operations[*a]
                .nickname
                .cmp(&res.operations[*b].nickname)
        });
        for i in order {
            let op = &mut res.operations[i];
            op.rust_name = op_scope.claim_snake(&op.nickname);
            let mut scope = Scope::new();
            for p in &mut op.params {
                p.rust_name = scope.claim_snake(&p.wire_name);
            }
        }
    }

    let renames = name_enums(api, &mut types)?;
    let rewrite = |ty: &mut TypeRef| rewrite_enum(ty, &renames);
    for res in &mut api.resources {
        for op in &mut res.operations {
            for p in &mut op.params {
                rewrite(&mut p.ty);
            }
            if let ir::ResponseType::Json(ty) = &mut op.response {
                rewrite(ty);
            }
        }
    }
    let fix_model = |m: &mut ir::Model| m.fields.iter_mut().for_each(|f| rewrite(&mut f.ty));
    api.models.values_mut().for_each(fix_model);
    fix_model(&mut api.events.message);
    fix_model(&mut api.events.event);
    api.events.messages.iter_mut().for_each(fix_model);
    api.events.events.iter_mut().for_each(fix_model);
    Ok(())
}

fn rewrite_enum(ty: &mut TypeRef, renames: &BTreeMap<String, String>) {
    match ty {
        TypeRef::Enum(site) => {
            if let Some(n) = renames.get(site) {
                *site = n.clone();
            }
        }
        TypeRef::List(inner) => rewrite_enum(inner, renames),
        _ => {}
    }
}

/// A site: its key, whether it is a field, and its parts.
struct Site {
    key: String,
    is_field: bool,
    /// (resource, nickname) for params.
    op: Option<(String, String)>,
    /// Field or param wire name.
    member: String,
    default_name: String,
    values: BTreeSet<String>,
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut root = i;
    while parent[root] != root {
        root = parent[root];
    }
    let mut cur = i;
    while parent[cur] != root {
        let next = parent[cur];
        parent[cur] = root;
        cur = next;
    }
    root
}

fn join(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[hi] = lo;
    }
}

/// Groups enum sites, names the groups (see [`crate::naming`]), and replaces
/// `api.enums` (keyed by site) with enums keyed by Rust name. Returns site → name.
fn name_enums(api: &mut ir::Api, types: &mut Scope) -> Result<BTreeMap<String, String>, Error> {
    let by_site = std::mem::take(&mut api.enums);
    // Sites in canonical order: fields first, then params, each by key.
    let mut sites: Vec<Site> = Vec::new();
    for (key, e) in &by_site {
        let values = e.values.iter().map(|v| v.wire.clone()).collect();
        let parts: Vec<&str> = key.splitn(3, '.').collect();
        let site = match parts.as_slice() {
            [model, field] => Site {
                key: key.clone(),
                is_field: true,
                op: None,
                member: field.to_string(),
                default_name: naming::field_enum_name(model, field),
                values,
            },
            [resource, nickname, param] => Site {
                key: key.clone(),
                is_field: false,
                op: Some((resource.to_string(), nickname.to_string())),
                member: param.to_string(),
                default_name: naming::param_enum_name(nickname, param),
                values,
            },
            _ => return Err(Error::Naming(format!("malformed enum site key `{key}`"))),
        };
        sites.push(site);
    }
    sites.sort_by(|a, b| (!a.is_field, &a.key).cmp(&(!b.is_field, &b.key)));

    let n = sites.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (&sites[i], &sites[j]);
            let overlap = !a.values.is_disjoint(&b.values);
            let both_params = !a.is_field && !b.is_field;
            let rule1 = both_params && a.member == b.member && overlap;
            let rule2 = both_params && a.op == b.op && a.values == b.values;
            let rule3 = a.default_name == b.default_name && overlap;
            let rule4 = matches!(
                (naming::curated_enum_name(&a.key), naming::curated_enum_name(&b.key)),
                (Some(x), Some(y)) if x == y
            );
            if rule1 || rule2 || rule3 || rule4 {
                join(&mut parent, i, j);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }

    let mut renames = BTreeMap::new();
    let mut out = BTreeMap::new();
    // Groups in order of their first (canonical) site.
    for members in groups.values() {
        let curated: BTreeSet<&str> = members
            .iter()
            .filter_map(|&i| naming::curated_enum_name(&sites[i].key))
            .collect();
        if curated.len() > 1 {
            let keys: Vec<&str> = members.iter().map(|&i| sites[i].key.as_str()).collect();
            return Err(Error::Naming(format!(
                "enum sites {} are one enum but ENUM_NAMES gives them different names: {}",
                keys.join(", "),
                curated.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        let defaults: Vec<String> = members
            .iter()
            .map(|&i| sites[i].default_name.clone())
            .collect();
        let wanted = if let Some(name) = curated.into_iter().next() {
            name.to_string()
        } else if defaults.iter().all(|d| *d == defaults[0]) {
            defaults[0].clone()
        } else {
            naming::common_suffix_name(&defaults).unwrap_or_else(|| defaults[0].clone())
        };
        let name = types.claim(&[wanted], false);

        let mut values: Vec<ir::EnumValue> = Vec::new();
        let mut used_by = Vec::new();
        let mut description = String::new();
        let mut from_prose = false;
        for &i in members {
            let e = &by_site[&sites[i].key];
            used_by.push(sites[i].key.clone());
            renames.insert(sites[i].key.clone(), name.clone());
            if description.is_empty() {
                description = e.description.clone();
            }
            from_prose |= e.from_prose;
            for v in &e.values {
                match values.iter_mut().find(|x| x.wire == v.wire) {
                    Some(x) => x.versions.extend(&v.versions),
                    None => values.push(v.clone()),
                }
            }
        }
        if description.is_empty() {
            description = format!("Allowed values of {}.", used_by[0]);
        }
        let mut scope = Scope::new();
        for v in &mut values {
            v.rust_name = scope.claim_camel(&v.wire);
        }
        used_by.sort();
        out.insert(
            name.clone(),
            ir::Enum {
                rust_name: name,
                description,
                values,
                used_by,
                from_prose,
            },
        );
    }
    api.enums = out;
    Ok(renames)
}
