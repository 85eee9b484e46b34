//! `specs/lock.json`: which spec files each Asterisk version consists of, pinned by SHA-256.
//!
//! The lock names, per version, the upstream git tag and commit and the
//! SHA-256 of every file (`resources.json` and `api-docs/<name>.json`). The
//! files themselves are imported into `specs/asterisk-<ver>/` (git-ignored)
//! and verified against the lock on import and again whenever they are loaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ir::Version;

/// The command that brings the six pinned versions in, for error messages.
pub const IMPORT_HINT: &str = "cargo xtask specs import ../shared/specs";

/// The lock file's name inside the specs directory.
pub const LOCK_FILE: &str = "lock.json";

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
    /// SHA-256 (lowercase hex) of every file, keyed by its path inside the
    /// version directory: `resources.json`, `api-docs/channels.json`, ….
    pub files: BTreeMap<String, String>,
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

/// SHA-256 of a file as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(sha256_hex(&bytes))
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

/// Hashes every file of [`collect_files`].
pub fn hash_files(files: &BTreeMap<String, PathBuf>) -> Result<BTreeMap<String, String>, Error> {
    files
        .iter()
        .map(|(rel, path)| Ok((rel.clone(), sha256_file(path)?)))
        .collect()
}

/// Checks `files` (from [`collect_files`]) against a locked version. Every
/// problem is listed, one per line, each naming the file: a changed file, a
/// file the lock lists but `dir` lacks, a file `dir` has but the lock does not.
pub fn verify(
    locked: &LockedVersion,
    dir: &Path,
    files: &BTreeMap<String, PathBuf>,
) -> Result<(), Error> {
    let mut problems = Vec::new();
    for (rel, expected) in &locked.files {
        match files.get(rel) {
            None => problems.push(format!(
                "{}: missing (specs/lock.json pins {rel} for Asterisk {})",
                dir.join(rel).display(),
                locked.version
            )),
            Some(path) => {
                let actual = sha256_file(path)?;
                if &actual != expected {
                    problems.push(format!(
                        "{}: SHA-256 {actual} does not match specs/lock.json ({expected}) for Asterisk {}",
                        path.display(),
                        locked.version
                    ));
                }
            }
        }
    }
    for (rel, path) in files {
        if !locked.files.contains_key(rel) {
            problems.push(format!(
                "{}: not in specs/lock.json for Asterisk {} (as {rel})",
                path.display(),
                locked.version
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
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
/// nothing else is, and that every imported file matches the lock. Returns the
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
                "{}: Asterisk {version} is not in specs/lock.json; import it with `cargo xtask specs import DIR --version {version} --add-to-lock --commit C`",
                dir.display()
            ))
        })?;
        verify(locked, dir, &collect_files(dir)?)?;
    }
    Ok(imported)
}
