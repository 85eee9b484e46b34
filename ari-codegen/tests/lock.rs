//! specs/specs.lock: hashing, canonical JSON, verification (a flipped byte names
//! the file, reformatting alone passes as a JSON match), and the imported-specs
//! check that `load_union` runs.

mod common;

use std::path::{Path, PathBuf};

use ari_codegen::lock::{self, Lock, LockedVersion, Match};
use common::rewrite::rewrite;

/// A fresh scratch directory under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lock-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("api-docs")).unwrap();
    for (rel, path) in lock::collect_files(from).unwrap() {
        std::fs::copy(path, to.join(rel)).unwrap();
    }
}

fn locked(dir: &Path) -> LockedVersion {
    LockedVersion {
        version: "1.0.0".into(),
        tag: "1.0.0".into(),
        commit: "0123abcd".into(),
        files: lock::hash_files(&lock::collect_files(dir).unwrap()).unwrap(),
    }
}

#[test]
fn sha256_of_known_bytes() {
    assert_eq!(
        lock::sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn canonical_json_is_compact_and_keeps_key_order() {
    let file = Path::new("x.json");
    let canonical = lock::canonical_json(
        file,
        b"{\n\t\"b\": [ 1, 2.50 ],\n\t\"a\": \"\\u0041 b\"\n}\n",
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(canonical).unwrap(),
        r#"{"b":[1,2.5],"a":"A b"}"#
    );
    let err = lock::canonical_json(file, b"{\"a\": 1,}")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("x.json: not valid JSON: "), "{err}");
    let err = lock::canonical_json(file, b"{} {}")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("x.json: not valid JSON: "), "{err}");
}

#[test]
fn the_lock_is_not_named_like_a_spec_file() {
    assert_eq!(lock::LOCK_FILE, "specs.lock");
    let committed = common::specs_root();
    let pinned = Lock::read(&committed.join(lock::LOCK_FILE)).unwrap();
    // Every version with pinned facts is in the lock; the lock may hold more.
    for known in common::known::KNOWN_VERSIONS {
        assert!(
            pinned.versions.iter().any(|v| v.version == known.version),
            "{} is not in the lock",
            known.version
        );
    }
    assert!(!committed.join("lock.json").exists());
}

#[test]
fn reformatted_json_passes_as_a_json_match_and_nothing_else_does() {
    let dir = scratch("reformatted").join("asterisk-1.0.0");
    copy_dir(&common::fixture("dialect"), &dir);
    let pinned = locked(&dir);
    let verify = || lock::verify(&pinned, &dir, &lock::collect_files(&dir).unwrap());
    let matched = verify().unwrap();
    assert_eq!(matched.len(), 7);
    assert!(matched.values().all(|m| *m == Match::Bytes), "{matched:?}");

    // Whitespace only: compact, as a server would serve it.
    let file = dir.join("api-docs/playbacks.json");
    let original = std::fs::read(&file).unwrap();
    rewrite(&file, |bytes| {
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        serde_json::to_vec(&value).unwrap()
    });
    let matched = verify().unwrap();
    assert_eq!(matched["api-docs/playbacks.json"], Match::Json);
    assert_eq!(
        matched.values().filter(|m| **m == Match::Bytes).count(),
        6,
        "{matched:?}"
    );

    // Same keys and values, other key order: not the pinned file.
    std::fs::write(&file, &original).unwrap();
    rewrite(&file, |bytes| {
        let text = String::from_utf8(bytes).unwrap();
        text.replacen(
            "\t\"apiVersion\": \"2.0.0\",\n\t\"swaggerVersion\": \"1.1\",",
            "\t\"swaggerVersion\": \"1.1\",\n\t\"apiVersion\": \"2.0.0\",",
            1,
        )
        .into_bytes()
    });
    let err = verify().unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: SHA-256 ", file.display())),
        "{err}"
    );
    assert!(err.ends_with("and neither does its JSON"), "{err}");
}

#[test]
fn verify_names_the_changed_missing_and_extra_files() {
    let dir = scratch("verify").join("asterisk-1.0.0");
    copy_dir(&common::fixture("dialect"), &dir);
    let pinned = locked(&dir);
    assert_eq!(pinned.files.len(), 7);
    lock::verify(&pinned, &dir, &lock::collect_files(&dir).unwrap()).unwrap();

    // Flip one byte.
    let changed = dir.join("api-docs/playbacks.json");
    let mut bytes = std::fs::read(&changed).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&changed, &bytes).unwrap();
    std::fs::remove_file(dir.join("api-docs/recordings.json")).unwrap();
    std::fs::write(dir.join("api-docs/extra.json"), "{}").unwrap();
    let err = lock::verify(&pinned, &dir, &lock::collect_files(&dir).unwrap())
        .unwrap_err()
        .to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!("{}: SHA-256 ", changed.display())),
        "{err}"
    );
    assert!(lines[0].ends_with(&format!(
        "does not match specs/specs.lock ({}) for Asterisk 1.0.0, and neither does its JSON",
        pinned.files["api-docs/playbacks.json"].sha256
    )));
    assert_eq!(
        lines[1],
        format!(
            "{}: missing (specs/specs.lock pins api-docs/recordings.json for Asterisk 1.0.0)",
            dir.join("api-docs/recordings.json").display()
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "{}: not in specs/specs.lock for Asterisk 1.0.0 (as api-docs/extra.json)",
            dir.join("api-docs/extra.json").display()
        )
    );
}

#[test]
fn flat_layout_of_an_installed_rest_api_dir() {
    let flat = scratch("flat");
    for (rel, path) in lock::collect_files(&common::fixture("dialect")).unwrap() {
        let name = rel.rsplit('/').next().unwrap();
        std::fs::copy(path, flat.join(name)).unwrap();
    }
    std::fs::write(flat.join("README"), "not json").unwrap();
    let files = lock::collect_files(&flat).unwrap();
    let keys: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "api-docs/bridges.json",
            "api-docs/channels.json",
            "api-docs/endpoints.json",
            "api-docs/events.json",
            "api-docs/playbacks.json",
            "api-docs/recordings.json",
            "resources.json"
        ]
    );
    assert_eq!(
        lock::hash_files(&files).unwrap(),
        locked(&common::fixture("dialect")).files
    );
}

#[test]
fn lock_text_is_deterministic() {
    let dir = common::fixture("dialect");
    let mut a = locked(&dir);
    a.version = "10.0.0".into();
    let b = locked(&dir);
    let lock1 = Lock {
        versions: vec![a.clone(), b.clone()],
    };
    let lock2 = Lock {
        versions: vec![b, a],
    };
    assert_eq!(lock1.to_text(), lock2.to_text());
    let text = lock1.to_text();
    assert!(text.find("\"1.0.0\"").unwrap() < text.find("\"10.0.0\"").unwrap());
    assert!(text.ends_with("}\n"));
    let path = scratch("roundtrip").join(lock::LOCK_FILE);
    lock1.write(&path).unwrap();
    assert_eq!(Lock::read(&path).unwrap().to_text(), text);
}

#[test]
fn imported_specs_must_match_the_lock() {
    let root = scratch("imported");
    let err = ari_codegen::load_union(&root).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: no lock file", root.join(lock::LOCK_FILE).display())
    );

    let dir = root.join("asterisk-1.0.0");
    copy_dir(&common::fixture("dialect"), &dir);
    Lock {
        versions: vec![locked(&dir)],
    }
    .write(&root.join(lock::LOCK_FILE))
    .unwrap();
    let versions = lock::verify_imported(&root).unwrap();
    assert_eq!(versions.len(), 1);

    std::fs::rename(&dir, root.join("moved")).unwrap();
    let err = lock::verify_imported(&root).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "the pinned ARI specs are not imported ({} missing); run `cargo xtask specs import ../shared/specs` first",
            dir.display()
        )
    );
    std::fs::rename(root.join("moved"), &dir).unwrap();
    std::fs::write(dir.join("api-docs/events.json"), "{}").unwrap();
    let err = lock::verify_imported(&root).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}: SHA-256",
            dir.join("api-docs/events.json").display()
        )),
        "{err}"
    );
}
