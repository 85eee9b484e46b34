//! `specs import` against a lock: a file whose bytes match passes; a file whose bytes differ
//! passes only when its canonical JSON matches (reported per file), else the import fails,
//! names the file and copies nothing.

#[path = "../../ari-codegen/tests/common/rewrite.rs"]
mod rewrite;

use std::path::{Path, PathBuf};

use ari_codegen::lock;
use rewrite::rewrite;
use xtask::specs::{import, ImportArgs};

/// Asterisk-dialect fixture spec files (ari-codegen's test fixture).
fn fixture() -> PathBuf {
    xtask::workspace_root().join("ari-codegen/tests/fixtures/dialect")
}

fn args(dir: &Path, version: &str) -> ImportArgs {
    ImportArgs {
        dir: dir.to_path_buf(),
        version: Some(version.to_owned()),
        add_to_lock: false,
        commit: None,
        tag: None,
    }
}

/// A scratch directory holding `specs/` (the fixture pinned as `version` and imported) and
/// `source/` (a copy of the fixture to edit and import again). Returns (specs root, source).
fn pinned(name: &str, version: &str) -> (PathBuf, PathBuf) {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("specs-import-{name}"));
    let _ = std::fs::remove_dir_all(&base);
    let (root, source) = (base.join("specs"), base.join("source"));
    std::fs::create_dir_all(source.join("api-docs")).unwrap();
    for (rel, path) in lock::collect_files(&fixture()).unwrap() {
        std::fs::copy(path, source.join(rel)).unwrap();
    }
    let pin = ImportArgs {
        add_to_lock: true,
        commit: Some("0123abcd".into()),
        ..args(&source, version)
    };
    let imported = import(&root, &pin).unwrap();
    assert!(imported[0].added_to_lock);
    assert!(imported[0].reformatted.is_empty());
    assert!(root.join("specs.lock").is_file());
    (root, source)
}

/// Imports `source` as `version`, expecting a failure that names `changed` (and only it), and
/// checks that the copy imported before is untouched.
fn assert_refused(root: &Path, source: &Path, version: &str, changed: &Path) {
    let imported = root.join(format!("asterisk-{version}/api-docs/playbacks.json"));
    let before = std::fs::read(&imported).unwrap();
    let err = format!("{:#}", import(root, &args(source, version)).unwrap_err());
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0], "the spec files do not match specs/specs.lock; nothing was imported:",
        "{err}"
    );
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[1].starts_with(&format!("{}: SHA-256 ", changed.display())),
        "{err}"
    );
    assert!(lines[1].ends_with("and neither does its JSON"), "{err}");
    assert_eq!(std::fs::read(&imported).unwrap(), before);
}

#[test]
fn whitespace_only_reformatting_imports_with_a_note() {
    let (root, source) = pinned("reformatted", "1.0.1");
    let lock_before = std::fs::read(root.join("specs.lock")).unwrap();
    let changed = source.join("api-docs/playbacks.json");
    rewrite(&changed, |bytes| {
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut text = serde_json::to_vec_pretty(&value).unwrap();
        text.extend_from_slice(b"\n\n");
        text
    });

    let imported = import(&root, &args(&source, "1.0.1")).unwrap();
    assert_eq!(imported.len(), 1);
    let keys: Vec<&str> = imported[0].reformatted.keys().map(String::as_str).collect();
    assert_eq!(keys, ["api-docs/playbacks.json"]);
    assert!(!imported[0].added_to_lock);
    assert_eq!(
        imported[0].report(),
        format!(
            "imported Asterisk 1.0.1 (7 files) into specs/asterisk-1.0.1/\n  \
             {}: same JSON as pinned, formatting differs\n",
            changed.display()
        )
    );
    // The file is imported as it is, the lock is not touched, and loading accepts it.
    assert_eq!(
        std::fs::read(root.join("asterisk-1.0.1/api-docs/playbacks.json")).unwrap(),
        std::fs::read(&changed).unwrap()
    );
    assert_eq!(std::fs::read(root.join("specs.lock")).unwrap(), lock_before);
    lock::verify_imported(&root).unwrap();
}

#[test]
fn a_changed_value_fails_naming_the_file() {
    let (root, source) = pinned("changed-value", "1.0.2");
    let changed = source.join("api-docs/playbacks.json");
    rewrite(&changed, |bytes| {
        let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let required = &mut value["apis"][0]["operations"][0]["parameters"][0]["required"];
        assert_eq!(*required, true);
        *required = false.into();
        // Reformatted as well: the JSON comparison must still see the change.
        serde_json::to_vec(&value).unwrap()
    });
    assert_refused(&root, &source, "1.0.2", &changed);
}

#[test]
fn a_flipped_byte_in_a_string_fails_naming_the_file() {
    let (root, source) = pinned("flipped-byte", "1.0.3");
    let changed = source.join("api-docs/playbacks.json");
    rewrite(&changed, |mut bytes| {
        let needle = b"Control a playback.";
        let at = bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("the fixture has this summary");
        bytes[at + 1] ^= 0x01; // "Control" → "Cnntrol": still valid JSON
        bytes
    });
    assert_refused(&root, &source, "1.0.3", &changed);
}
