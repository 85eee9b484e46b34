//! `specs/specs.lock`: which spec files each Asterisk version consists of, pinned by SHA-256.
//!
//! The lock names, per version, the upstream git tag and commit and, for every
//! file (`resources.json` and `api-docs/<name>.json`), two SHA-256 digests: of
//! its bytes and of its [canonical JSON](canonical_json). The files themselves
//! are imported into `specs/asterisk-<ver>/` (git-ignored) and verified against
//! the lock on import and again whenever they are loaded.
//!
//! A file passes when its bytes match, or else when its canonical JSON does:
//! a live Asterisk serves its spec files re-serialised (`cargo xtask specs pull`),
//! which keeps every key, value and key order but not upstream's whitespace.
//! The lock file's content is JSON, but its name is not `*.json`: only
//! Asterisk's own spec files are named so, and those are never committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ir::Version;

/// The command that brings the pinned versions in, for error messages.
pub const IMPORT_HINT: &str = "cargo xtask specs import ../shared/specs";

/// The lock file's name inside the specs directory.
pub const LOCK_FILE: &str = "specs.lock";

/// The whole lock file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// One entry per version, ascending by version.
    pub versions: Vec<LockedVersion>,
}

/// One pinned version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedVersion {
    /// The Asterisk version, e.g. `22.10.1`.
    pub version: String,
    /// The upstream git tag.
    pub tag: String,
    /// The upstream commit the tag points at (abbreviated).
    pub commit: String,
    /// Every file, keyed by its path inside the version directory:
    /// `resources.json`, `api-docs/channels.json`, ….
    pub files: BTreeMap<String, PinnedFile>,
}

/// The digests pinning one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedFile {
    /// SHA-256 (lowercase hex) of the file's bytes.
    pub sha256: String,
    /// SHA-256 (lowercase hex) of the file's [`canonical_json`].
    pub canonical_sha256: String,
}

impl PinnedFile {
    /// Pins `bytes`, which must be JSON (`file` names them in the error).
    pub fn of(file: &Path, bytes: &[u8]) -> Result<PinnedFile, Error> {
        Ok(PinnedFile {
            sha256: sha256_hex(bytes),
            canonical_sha256: sha256_hex(&canonical_json(file, bytes)?),
        })
    }
}

/// How a file compared with its [`PinnedFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Byte for byte the pinned file.
    Bytes,
    /// The bytes differ, the canonical JSON does not: only formatting differs.
    Json,
}

impl Lock {
    /// Reads a lock file.
    pub fn read(path: &Path) -> Result<Lock, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let lock: Lock = serde_json::from_str(&text)
            .map_err(|e| Error::Lock(format!("{}: not a valid lock file: {e}", path.display())))?;
        for v in &lock.versions {
            v.version
                .parse::<Version>()
                .map_err(|e| Error::Lock(format!("{}: {e}", path.display())))?;
        }
        Ok(lock)
    }

    /// The lock as written to disk: versions ascending, keys sorted, two-space
    /// indentation, trailing newline. Same lock, same bytes.
    pub fn to_text(&self) -> String {
        let mut sorted = self.clone();
        sorted.versions.sort_by_key(|v| {
            v.version
                .parse::<Version>()
                .unwrap_or_else(|_| Version::new(vec![]))
        });
        let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the lock (see [`Lock::to_text`]).
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, self.to_text()).map_err(|e| Error::io(path, e))
    }

    /// The entry for a version.
    pub fn get(&self, version: &Version) -> Option<&LockedVersion> {
        let wanted = version.to_string();
        self.versions.iter().find(|v| v.version == wanted)
    }
}

/// The spec files of one version found in `dir`, keyed by their path inside a
/// version directory (`resources.json`, `api-docs/channels.json`).
///
/// Two layouts are accepted: `dir/resources.json` + `dir/api-docs/*.json`
/// (an Asterisk source tree's `rest-api/`, or an imported `specs/asterisk-<ver>/`),
/// and the flat layout of an installed `/usr/share/asterisk/rest-api`
/// (`dir/resources.json` beside `dir/*.json`). Files not ending in `.json` are ignored.
pub fn collect_files(dir: &Path) -> Result<BTreeMap<String, PathBuf>, Error> {
    let listing = dir.join("resources.json");
    if !listing.is_file() {
        return Err(Error::Missing(format!(
            "{}: no resources.json (expected an ARI spec directory)",
            dir.display()
        )));
    }
    let mut files = BTreeMap::new();
    files.insert("resources.json".to_string(), listing);
    let docs = dir.join("api-docs");
    let (scan, flat) = if docs.is_dir() {
        (docs, false)
    } else {
        (dir.to_path_buf(), true)
    };
    let entries = std::fs::read_dir(&scan).map_err(|e| Error::io(&scan, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&scan, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !name.ends_with(".json") || !path.is_file() || (flat && name == "resources.json") {
            continue;
        }
        files.insert(format!("api-docs/{name}"), path);
    }
    Ok(files)
}

/// The canonical form of a JSON document: parsed with `serde_json` and written
/// back compactly (no whitespace outside strings). Key order is kept, not sorted:
/// Asterisk keeps it when it re-serialises, so sorting is not needed to accept
/// what a live server serves, and a file whose keys were reordered is not the
/// file upstream tagged — the lock should notice, as it notices any other edit.
/// (`serde_json` also writes numbers and string escapes in one spelling each:
/// `1.50` and `1.5`, `"\u0041"` and `"A"` are the same JSON.)
///
/// Fails, naming `file`, on bytes that are not one JSON document.
pub fn canonical_json(file: &Path, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::Lock(format!("{}: not valid JSON: {e}", file.display())))?;
    serde_json::to_vec(&value)
        .map_err(|e| Error::Lock(format!("{}: cannot serialise: {e}", file.display())))
}

/// SHA-256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Pins every file of [`collect_files`] (each must be JSON).
pub fn hash_files(
    files: &BTreeMap<String, PathBuf>,
) -> Result<BTreeMap<String, PinnedFile>, Error> {
    files
        .iter()
        .map(|(rel, path)| {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            Ok((rel.clone(), PinnedFile::of(path, &bytes)?))
        })
        .collect()
}

/// Checks `files` (from [`collect_files`]) against a locked version. Every
/// problem is listed, one per line, each naming the file: a changed file, a
/// file the lock lists but `dir` lacks, a file `dir` has but the lock does not.
///
/// A file passes when its bytes match, or when its canonical JSON does; on
/// success the result says which, per file (keyed like `files`).
pub fn verify(
    locked: &LockedVersion,
    dir: &Path,
    files: &BTreeMap<String, PathBuf>,
) -> Result<BTreeMap<String, Match>, Error> {
    let mut problems = Vec::new();
    let mut matched = BTreeMap::new();
    for (rel, pinned) in &locked.files {
        let Some(path) = files.get(rel) else {
            problems.push(format!(
                "{}: missing (specs/specs.lock pins {rel} for Asterisk {})",
                dir.join(rel).display(),
                locked.version
            ));
            continue;
        };
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let actual = sha256_hex(&bytes);
        if actual == pinned.sha256 {
            matched.insert(rel.clone(), Match::Bytes);
            continue;
        }
        let same_json = canonical_json(path, &bytes)
            .is_ok_and(|canonical| sha256_hex(&canonical) == pinned.canonical_sha256);
        if same_json {
            matched.insert(rel.clone(), Match::Json);
        } else {
            problems.push(format!(
                "{}: SHA-256 {actual} does not match specs/specs.lock ({}) for Asterisk {}, \
                 and neither does its JSON",
                path.display(),
                pinned.sha256,
                locked.version
            ));
        }
    }
    for (rel, path) in files {
        if !locked.files.contains_key(rel) {
            problems.push(format!(
                "{}: not in specs/specs.lock for Asterisk {} (as {rel})",
                path.display(),
                locked.version
            ));
        }
    }
    if problems.is_empty() {
        Ok(matched)
    } else {
        Err(Error::Lock(problems.join("\n")))
    }
}

/// The versions imported under `specs_root` (`asterisk-<ver>/` directories), ascending.
pub fn imported_versions(specs_root: &Path) -> Result<Vec<(Version, PathBuf)>, Error> {
    let mut out = Vec::new();
    if !specs_root.is_dir() {
        return Ok(out);
    }
    let entries = std::fs::read_dir(specs_root).map_err(|e| Error::io(specs_root, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(specs_root, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(ver) = name.strip_prefix("asterisk-") else {
            continue;
        };
        if !entry.path().is_dir() {
            continue;
        }
        let version: Version = ver
            .parse()
            .map_err(|e| Error::Missing(format!("{}: {e}", entry.path().display())))?;
        out.push((version, entry.path()));
    }
    out.sort();
    Ok(out)
}

/// Checks that every locked version is imported under `specs_root`, that
/// nothing else is, and that every imported file matches the lock (by bytes, or
/// by canonical JSON: `specs import` has already reported those). Returns the
/// version directories, ascending.
pub fn verify_imported(specs_root: &Path) -> Result<Vec<(Version, PathBuf)>, Error> {
    let lock_path = specs_root.join(LOCK_FILE);
    if !lock_path.is_file() {
        return Err(Error::Missing(format!(
            "{}: no lock file",
            lock_path.display()
        )));
    }
    let lock = Lock::read(&lock_path)?;
    let imported = imported_versions(specs_root)?;
    let mut missing = Vec::new();
    for locked in &lock.versions {
        let version: Version = locked
            .version
            .parse()
            .map_err(|e| Error::Lock(format!("{}: {e}", lock_path.display())))?;
        if !imported.iter().any(|(v, _)| *v == version) {
            missing.push(
                specs_root
                    .join(format!("asterisk-{version}"))
                    .display()
                    .to_string(),
            );
        }
    }
    if !missing.is_empty() {
        return Err(Error::Missing(format!(
            "the pinned ARI specs are not imported ({} missing); run `{IMPORT_HINT}` first",
            missing.join(", ")
        )));
    }
    for (version, dir) in &imported {
        let locked = lock.get(version).ok_or_else(|| {
            Error::Lock(format!(
                "{}: Asterisk {version} is not in specs/specs.lock; import it with `cargo xtask specs import DIR --version {version} --add-to-lock --commit C`",
                dir.display()
            ))
        })?;
        verify(locked, dir, &collect_files(dir)?)?;
    }
    Ok(imported)
}
