//! `cargo xtask specs diff A B [--format text|markdown|json]`: what changed in the API from
//! A to B, and the CHANGELOG.md section `cargo xtask codegen --changelog` appends for a
//! newly added version.
//!
//! A and B are imported versions (`22.10.1`, verified against `specs/specs.lock`) or spec
//! directories (`resources.json` + `api-docs/`, e.g. an Asterisk source tree's `rest-api/`).
//! Each is read, fixed up and lowered on its own; `ari_codegen::diff` compares them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ari_codegen::diff::{self, Diff, Format};
use ari_codegen::ir::{Api, Version};
use ari_codegen::lock::{self, Lock};

/// One side of a diff: its label and its IR.
pub struct Side {
    /// What the output calls it: the version, or the directory as given.
    pub label: String,
    /// The side's version lowered on its own.
    pub api: Api,
}

/// Loads `what` (a version imported under `specs_root`, or a spec directory).
pub fn load_side(specs_root: &Path, what: &str) -> Result<Side> {
    let as_dir = PathBuf::from(what);
    let (version, dir) = if as_dir.is_dir() {
        // The version only orders the IR; take it from an `asterisk-<ver>` name when there is one.
        let name = as_dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let version = name
            .strip_prefix("asterisk-")
            .and_then(|v| v.parse::<Version>().ok())
            .unwrap_or_else(|| "0".parse().expect("a version"));
        (version, as_dir)
    } else {
        let version: Version = what.parse().with_context(|| {
            format!("`{what}` is neither a directory nor a version like 22.10.1")
        })?;
        let lock = Lock::read(&specs_root.join(lock::LOCK_FILE))?;
        let Some(locked) = lock.get(&version) else {
            bail!(
                "Asterisk {version} is not in specs/specs.lock (pinned: {}); pass a spec directory instead",
                lock.versions
                    .iter()
                    .map(|v| v.version.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let dir = specs_root.join(format!("asterisk-{version}"));
        if !dir.is_dir() {
            bail!(
                "{} is missing; run `cargo xtask specs import ../shared/specs` first",
                dir.display()
            );
        }
        lock::verify(locked, &dir, &lock::collect_files(&dir)?)?;
        (version, dir)
    };
    let loaded = ari_codegen::load_version(version, &dir, ari_codegen::fixups::ASTERISK)
        .with_context(|| format!("reading the specs in {}", dir.display()))?;
    let api = ari_codegen::lower(&[loaded.spec])?;
    Ok(Side {
        label: what.to_owned(),
        api,
    })
}

/// The diff from `a` to `b`.
pub fn diff(specs_root: &Path, a: &str, b: &str) -> Result<Diff> {
    let old = load_side(specs_root, a)?;
    let new = load_side(specs_root, b)?;
    Ok(diff::diff(&old.label, &old.api, &new.label, &new.api))
}

/// `cargo xtask specs diff A B --format F`: prints the diff.
pub fn run(specs_root: &Path, a: &str, b: &str, format: &str) -> Result<()> {
    let format: Format = format.parse().map_err(anyhow::Error::msg)?;
    print!("{}", diff(specs_root, a, b)?.render(format));
    Ok(())
}

/// The heading of a version's CHANGELOG.md section.
pub fn changelog_heading(version: &str) -> String {
    format!("## ARI changes in Asterisk {version}")
}

/// For the version added to the lock last, appends to `changelog` (created when missing) a
/// section with the diff from the highest pinned version below it, unless the section is
/// there already. Returns the version when it wrote a section.
pub fn append_changelog(specs_root: &Path, changelog: &Path) -> Result<Option<String>> {
    let lock = Lock::read(&specs_root.join(lock::LOCK_FILE))?;
    let Some(newest) = lock.versions.last() else {
        bail!("specs/specs.lock pins no version");
    };
    let new: Version = newest.version.parse()?;
    let previous = lock
        .versions
        .iter()
        .filter_map(|v| v.version.parse::<Version>().ok())
        .filter(|v| *v < new)
        .max();
    let Some(previous) = previous else {
        bail!("no pinned version below {new} to compare it with");
    };
    let existing = match std::fs::read_to_string(changelog) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "# Changelog\n".to_owned(),
        Err(e) => return Err(e).with_context(|| changelog.display().to_string()),
    };
    let heading = changelog_heading(&new.to_string());
    if existing.lines().any(|l| l.trim_end() == heading) {
        return Ok(None);
    }
    let d = diff(specs_root, &previous.to_string(), &new.to_string())?;
    let mut text = existing;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&heading);
    text.push_str("\n\n");
    text.push_str(&d.render(Format::Markdown));
    std::fs::write(changelog, text).with_context(|| changelog.display().to_string())?;
    Ok(Some(new.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ari_codegen::diff::Kind;

    fn specs_root() -> PathBuf {
        crate::workspace_root().join("specs")
    }

    fn names(d: &Diff, kind: Kind, item: &str) -> Vec<String> {
        d.groups
            .iter()
            .flat_map(|g| &g.changes)
            .filter(|c| c.kind == kind && c.item == item)
            .map(|c| c.name.clone())
            .collect()
    }

    /// 22 adds 7 operations and 3 events to 21 (as the pinned counts say: 102 → 109, 42 → 45).
    #[test]
    fn from_21_to_22() {
        let d = diff(&specs_root(), "21.12.3", "22.10.1").unwrap();
        let ops = names(&d, Kind::Added, "operation");
        assert_eq!(
            ops,
            [
                "bridges.getBridgeVar",
                "bridges.getBridgeVars",
                "bridges.setBridgeVar",
                "bridges.setBridgeVars",
                "channels.getChannelVars",
                "channels.setChannelVars",
                "events.claimChannel",
            ]
        );
        assert!(names(&d, Kind::Removed, "operation").is_empty());
        let events = names(&d, Kind::Added, "event");
        assert_eq!(
            events,
            ["CallBroadcast", "CallClaimed", "ChannelToneDetected"]
        );
        // Grouped by resource, in name order, the event types with the events resource.
        let groups: Vec<&str> = d.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(groups, ["asterisk", "bridges", "channels", "events"]);
        let text = d.render(Format::Text);
        assert!(
            text.starts_with("ARI changes from 21.12.3 to 22.10.1: 7 operations added, "),
            "{text}"
        );
        for op in &ops {
            assert!(
                text.contains(&format!("added    operation {op}  ")),
                "{op} in:\n{text}"
            );
        }
        for event in &events {
            assert!(
                text.contains(&format!("added    event {event}\n")),
                "{event} in:\n{text}"
            );
        }
        let md = d.render(Format::Markdown);
        assert!(md.contains("\n### `channels`\n\n"), "{md}");
        assert!(md.contains("- Added operation `channels.getChannelVars` (`GET /channels/{channelId}/variables`)\n"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&d.render(Format::Json)).unwrap();
        assert_eq!(json["from"], "21.12.3");
        assert_eq!(
            json["groups"][0]["name"].as_str().map(|s| !s.is_empty()),
            Some(true)
        );
    }

    /// 21 lacks what 20 has: the variables operations, claimChannel, CallBroadcast/CallClaimed.
    #[test]
    fn from_20_to_21_shows_what_21_lacks() {
        let d = diff(&specs_root(), "20.20.1", "21.12.3").unwrap();
        let removed = names(&d, Kind::Removed, "operation");
        assert_eq!(removed.len(), 109 - 102, "{removed:?}");
        for op in ["channels.getChannelVars", "events.claimChannel"] {
            assert!(removed.contains(&op.to_owned()), "{op}: {removed:?}");
        }
        let events = names(&d, Kind::Removed, "event");
        for e in ["CallBroadcast", "CallClaimed"] {
            assert!(events.contains(&e.to_owned()), "{e}: {events:?}");
        }
        assert!(names(&d, Kind::Added, "operation").is_empty());
    }

    #[test]
    fn a_version_against_itself_has_no_changes() {
        let d = diff(&specs_root(), "22.10.1", "22.10.1").unwrap();
        assert!(d.groups.is_empty());
        assert_eq!(
            d.render(Format::Text),
            "ARI changes from 22.10.1 to 22.10.1: no changes\n"
        );
    }

    #[test]
    fn parameter_changes_are_reported() {
        // 16 → 18: hangup gains reason_code and loses its `reason` default; externalMedia's
        // external_host stays required.
        let d = diff(&specs_root(), "16.30.1", "18.26.4").unwrap();
        let change = |name: &str| {
            d.groups
                .iter()
                .flat_map(|g| &g.changes)
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("{name} changed"))
        };
        let hangup = change("channels.hangup");
        assert_eq!(hangup.kind, Kind::Changed);
        assert!(
            hangup
                .details
                .iter()
                .any(|d| d.starts_with("parameter `reason_code` added (query, ")),
            "{:?}",
            hangup.details
        );
        assert!(
            hangup
                .details
                .contains(&"parameter `reason`: default \"normal\" → none".to_owned()),
            "{:?}",
            hangup.details
        );
        assert_eq!(change("BridgeType").details, ["value `sdp_label` added"]);
    }

    #[test]
    fn changelog_gets_one_section_for_the_newest_version() {
        let tmp = std::env::temp_dir().join(format!("xtask-changelog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let specs = tmp.join("specs");
        std::fs::create_dir_all(&specs).unwrap();
        // A lock that pinned 21.12.3 and then added 22.10.1, with both imported.
        let real = Lock::read(&specs_root().join(lock::LOCK_FILE)).unwrap();
        let mut pinned = Lock::default();
        for v in ["21.12.3", "22.10.1"] {
            let version: Version = v.parse().unwrap();
            pinned.versions.push(real.get(&version).unwrap().clone());
            let dir = specs.join(format!("asterisk-{v}"));
            for (rel, path) in
                lock::collect_files(&specs_root().join(format!("asterisk-{v}"))).unwrap()
            {
                let to = dir.join(rel);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(path, to).unwrap();
            }
        }
        pinned.write(&specs.join(lock::LOCK_FILE)).unwrap();
        let changelog = tmp.join("CHANGELOG.md");
        assert_eq!(
            append_changelog(&specs, &changelog).unwrap().as_deref(),
            Some("22.10.1")
        );
        let text = std::fs::read_to_string(&changelog).unwrap();
        assert!(
            text.starts_with("# Changelog\n\n## ARI changes in Asterisk 22.10.1\n\nARI changes from 21.12.3 to 22.10.1: 7 operations added, "),
            "{text}"
        );
        assert!(
            text.contains("- Added event `ChannelToneDetected`\n"),
            "{text}"
        );
        // Once only.
        assert_eq!(append_changelog(&specs, &changelog).unwrap(), None);
        assert_eq!(std::fs::read_to_string(&changelog).unwrap(), text);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn errors_name_the_side() {
        let err = diff(&specs_root(), "9.9.9", "22.10.1")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Asterisk 9.9.9 is not in specs/specs.lock"),
            "{err}"
        );
        let err = diff(&specs_root(), "not a version", "22.10.1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("neither a directory nor a version"), "{err}");
    }
}
