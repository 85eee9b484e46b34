//! `cargo xtask specs pull` against the live Asterisk gives the spec files Asterisk ships, and
//! `cargo xtask specs import` accepts what it pulled against the committed lock.

use std::path::PathBuf;

use ari_live_tests::numeric_version;
use xtask::specs::{import, ImportArgs, LOCK_FILE};
use xtask::specs_pull::{compare_dirs, pull, Comparison};

/// Where reference copies of the shipped spec files are: `$ARI_SPECS_MIRROR`, the workspace's
/// imported `specs/`, or `../shared/specs` beside the workspace.
fn reference_dir(version: &str) -> PathBuf {
    let workspace = xtask::workspace_root();
    let mut candidates = Vec::new();
    if let Some(mirror) = std::env::var_os("ARI_SPECS_MIRROR").filter(|m| !m.is_empty()) {
        candidates.push(PathBuf::from(mirror));
    }
    candidates.push(workspace.join("specs"));
    candidates.push(workspace.join("..").join("shared").join("specs"));
    let name = format!("asterisk-{version}");
    candidates
        .iter()
        .map(|dir| dir.join(&name))
        .find(|dir| dir.join("resources.json").is_file())
        .unwrap_or_else(|| {
            panic!(
                "no reference copy of {name} in {candidates:?}: set ARI_SPECS_MIRROR to a \
                 directory holding asterisk-<version>/ spec directories"
            )
        })
}

#[test]
fn specs_pull_matches_the_shipped_files() {
    // `pull` uses a blocking client: no async runtime here. `connect` needs one, so ping first
    // on a small runtime of our own (same failure message when Asterisk is not there).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ari = runtime.block_on(ari_live_tests::connect());
    let info = runtime.block_on(ari.get_json("asterisk/info"));
    drop(runtime);
    let version = numeric_version(info["system"]["version"].as_str().expect("version"));

    let out = std::env::temp_dir().join(format!("ari-specs-pull-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    pull(
        &ari.target.url,
        &ari.target.user,
        &ari.target.password,
        Some(&out),
    )
    .expect("specs pull");

    if version == "16.28.0" {
        // The 16 sandbox runs a version the lock does not pin (its branch is pinned at 16.30.1):
        // the pull is compared with 16.30.1 (printed: what 16.28.0 serves differently), and
        // `specs import` refuses it, naming the version.
        let reference = reference_dir("16.30.1");
        let results = compare_dirs(&out, &reference).expect("comparing");
        for (name, comparison) in &results {
            println!("specs pull (16.28.0) vs 16.30.1: {name}: {comparison:?}");
        }
        assert!(results.len() >= 10, "too few files compared: {results:?}");
        let imported = import_against_the_lock(&out, &version);
        let _ = std::fs::remove_dir_all(&out);
        let err = imported.expect_err("16.28.0 is not in the lock");
        assert!(err.contains("16.28.0"), "{err}");
        return;
    }
    let reference = reference_dir(&version);
    let results = compare_dirs(&out, &reference).expect("comparing");
    let imported = import_against_the_lock(&out, &version);
    let _ = std::fs::remove_dir_all(&out);
    assert!(results.len() >= 10, "too few files compared: {results:?}");
    let mut identical = 0;
    for (name, comparison) in &results {
        println!(
            "specs pull vs {}: {name}: {comparison:?}",
            reference.display()
        );
        match comparison {
            Comparison::Identical => identical += 1,
            // Asterisk re-serialises the JSON it serves: where upstream's whitespace is
            // irregular only the whitespace may differ. Where the shipped file is laid out
            // regularly, the pulled bytes must be identical.
            Comparison::SameJson => {
                let shipped = std::fs::read_to_string(reference.join(name)).expect("read");
                let value: serde_json::Value = serde_json::from_str(&shipped).expect("json");
                assert_ne!(
                    xtask::specs_pull::to_shipped_layout(&value),
                    shipped,
                    "{name}: the shipped file is laid out regularly, so the pull must match byte for byte"
                );
            }
            other => panic!("{name}: pulled file differs from the shipped one: {other:?}"),
        }
    }
    assert!(identical > 0, "no file was byte-identical: {results:?}");

    // `specs import` takes the pulled directory as it is: the byte-identical files match the
    // lock's SHA-256, the others (and only those) its canonical JSON, each reported.
    let imported = imported.unwrap_or_else(|err| {
        panic!("specs import --version {version} of the pulled files failed: {err}")
    });
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].version.to_string(), version);
    assert_eq!(imported[0].files, results.len());
    let same_json: Vec<&str> = results
        .iter()
        .filter(|(_, comparison)| *comparison == Comparison::SameJson)
        .map(|(name, _)| name.as_str())
        .collect();
    let reformatted: Vec<&str> = imported[0].reformatted.keys().map(String::as_str).collect();
    assert_eq!(reformatted, same_json);
    assert_eq!(identical + reformatted.len(), results.len());
}

/// Runs `specs import DIR --version V` on the pulled directory into a scratch specs root that
/// holds a copy of the workspace's committed lock (the workspace's `specs/` is left alone).
fn import_against_the_lock(
    pulled: &std::path::Path,
    version: &str,
) -> Result<Vec<xtask::specs::Imported>, String> {
    let root = std::env::temp_dir().join(format!("ari-specs-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("scratch specs root");
    let lock = xtask::workspace_root().join("specs").join(LOCK_FILE);
    std::fs::copy(&lock, root.join(LOCK_FILE))
        .unwrap_or_else(|err| panic!("copying {}: {err}", lock.display()));
    let args = ImportArgs {
        dir: pulled.to_path_buf(),
        version: Some(version.to_owned()),
        add_to_lock: false,
        commit: None,
        tag: None,
    };
    let result = import(&root, &args).map_err(|err| format!("{err:#}"));
    let _ = std::fs::remove_dir_all(&root);
    result
}
