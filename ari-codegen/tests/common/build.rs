//! Builders of IR values for the snapshot tests that start from a hand-built IR.

use std::collections::BTreeSet;

use ari_codegen::ir::{Field, Model, TypeRef, Version, VersionSet};

/// The older of the two versions the snapshot IRs are available in.
pub const OLD: &[u32] = &[16, 30, 1];
/// The newer of the two versions the snapshot IRs are available in.
pub const NEW: &[u32] = &[22, 10, 1];

/// The version `parts` (e.g. `[22, 10, 1]`).
pub fn version(parts: &[u32]) -> Version {
    Version {
        parts: parts.to_vec(),
    }
}

/// The set of the versions `list`.
pub fn versions(list: &[&[u32]]) -> VersionSet {
    VersionSet(list.iter().map(|p| version(p)).collect::<BTreeSet<_>>())
}

/// [`OLD`] and [`NEW`].
pub fn all() -> VersionSet {
    versions(&[OLD, NEW])
}

/// A reference to the model `name`.
pub fn model_ref(name: &str) -> TypeRef {
    TypeRef::Model(name.into())
}

/// A model of every version, its fields sorted by wire name as the lowering sorts them.
pub fn model(wire: &str, rust: &str, description: &str, mut fields: Vec<Field>) -> Model {
    fields.sort_by(|a, b| a.wire_name.cmp(&b.wire_name));
    Model {
        wire_name: wire.into(),
        rust_name: rust.into(),
        description: description.into(),
        fields,
        defined_in: "fixture".into(),
        versions: all(),
    }
}
