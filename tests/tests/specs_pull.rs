//! `cargo xtask specs pull` against the live Asterisk gives the spec files Asterisk ships.

use std::path::PathBuf;

use ari_live_tests::numeric_version;
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

    let reference = reference_dir(&version);
    let results = compare_dirs(&out, &reference).expect("comparing");
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
}
