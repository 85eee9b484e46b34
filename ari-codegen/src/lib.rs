//! `ari-codegen`: turns Asterisk's ARI Swagger specs into Rust.
//!
//! Stages, each pure and separately tested:
//! [`spec`] (serde mirror of the dialect) → [`fixups`] (known upstream defects) →
//! [`mod@lower`] + [`mod@union`] (the normalised multi-version [`ir`], named by
//! [`naming::assign`] with the rules of [`naming`]) →
//! [`emit`] (IR → tokens) → [`render`] (tokens → formatted text).
//!
//! The entry point for code generation is [`load_union`]: it verifies the
//! imported specs against `specs/specs.lock`, parses every version, applies
//! the fixups, lowers, and merges them into one [`ir::Api`].
#![warn(missing_docs)]

pub mod curated;
pub mod diff;
pub mod doc_notes;
pub mod emit;
pub mod error;
pub mod fixups;
pub mod ir;
pub mod lock;
pub mod lower;
pub mod naming;
pub mod render;
pub mod server_required;
pub mod spec;
pub mod summary;
pub mod union;

use std::path::Path;

pub use error::{Error, Warning};

/// One version, read and fixed up, with what was done to it.
#[derive(Debug, Clone)]
pub struct LoadedVersion {
    /// The parsed, fixed-up spec.
    pub spec: spec::SpecVersion,
    /// The fixups that ran on it.
    pub fixups: Vec<fixups::Applied>,
}

/// Reads one version directory (`resources.json` + `api-docs/*.json`) and
/// applies `fixups`. No lock verification.
pub fn load_version(
    version: ir::Version,
    dir: &Path,
    fixups: &[fixups::Fixup],
) -> Result<LoadedVersion, Error> {
    let mut spec = spec::load_version_dir(version, dir)?;
    let applied = fixups::apply(&mut spec, fixups)?;
    Ok(LoadedVersion {
        spec,
        fixups: applied,
    })
}

/// Verifies the imported specs under `specs_root` (the workspace's `specs/`)
/// against its lock file and loads every version with the Asterisk fixups.
/// Fails, naming `cargo xtask specs import ../shared/specs`, when the pinned
/// versions are not imported.
/// A fixup that applies in none of the versions is an [`Error::StaleFixup`].
pub fn load_specs(specs_root: &Path) -> Result<Vec<LoadedVersion>, Error> {
    let dirs = lock::verify_imported(specs_root)?;
    let loaded = dirs
        .into_iter()
        .map(|(version, dir)| load_version(version, &dir, fixups::ASTERISK))
        .collect::<Result<Vec<_>, _>>()?;
    fixups::check_stale(fixups::ASTERISK, applied(&loaded))?;
    Ok(loaded)
}

/// `(version, fixups applied)` of each loaded version, for
/// [`fixups::applications`] and [`fixups::check_stale`].
pub fn applied(
    loaded: &[LoadedVersion],
) -> impl Iterator<Item = (&ir::Version, &[fixups::Applied])> + Clone {
    loaded
        .iter()
        .map(|l| (&l.spec.version, l.fixups.as_slice()))
}

/// Lowers fixed-up versions into one union IR.
pub fn lower(versions: &[spec::SpecVersion]) -> Result<ir::Api, Error> {
    let per_version = versions
        .iter()
        .map(lower::lower_version)
        .collect::<Result<Vec<_>, _>>()?;
    union::union(per_version)
}

/// [`load_union`], then the parameters Asterisk requires beyond the specs ([`server_required`]) and the
/// documentation the specs lack ([`doc_notes`]): the IR the generated code is emitted from.
pub fn load_for_codegen(specs_root: &Path) -> Result<ir::Api, Error> {
    let mut api = load_union(specs_root)?;
    server_required::apply(&mut api).map_err(Error::Curated)?;
    doc_notes::apply(&mut api).map_err(Error::Curated)?;
    Ok(api)
}

/// Loads every imported `specs/asterisk-*/` directory under `specs_root`
/// (verified against `specs_root/specs.lock`), parses, fixes up, lowers and
/// merges them into one [`ir::Api`].
pub fn load_union(specs_root: &Path) -> Result<ir::Api, Error> {
    let loaded = load_specs(specs_root)?;
    let specs: Vec<spec::SpecVersion> = loaded.into_iter().map(|l| l.spec).collect();
    lower(&specs)
}
