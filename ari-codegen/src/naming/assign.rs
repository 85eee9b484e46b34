//! The naming pass: gives every item of the merged IR its Rust name by the rules of
//! [`crate::naming`] — models and enums in one type-name scope (models first), fields,
//! resources, operations, parameters and enum values each in their own [`Scope`]; enum sites
//! are grouped (same values, curated names, shared defaults) and each group named once, and
//! every type reference is rewritten from its site key to the enum's name.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;
use crate::ir::{self, TypeRef};
use crate::naming::{self, Scope};

/// Names everything in `api` (merged by [`crate::union`]); fails when curated names contradict
/// each other.
pub fn name_everything(api: &mut ir::Api) -> Result<(), Error> {
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
