//! The README's table of the sandbox dialplan lists exactly the extensions the config writer writes
//! (`config::extensions_conf`), so a new user reads what the sandbox really has.

use std::collections::BTreeSet;

/// Every extension name in `extensions.conf` as `cargo xtask asterisk up` writes it.
fn written_extensions() -> BTreeSet<String> {
    super::config::extensions_conf()
        .lines()
        .filter_map(|line| line.trim().strip_prefix("exten => "))
        .filter_map(|rest| rest.split(',').next())
        .map(str::to_owned)
        .collect()
}

/// The first column of the README table between the `sandbox-dialplan` markers.
fn readme_extensions() -> BTreeSet<String> {
    let readme =
        std::fs::read_to_string(crate::workspace_root().join("README.md")).expect("README.md");
    let begin = readme
        .find("<!-- sandbox-dialplan:begin -->")
        .expect("README.md has the sandbox-dialplan:begin marker");
    let end = readme
        .find("<!-- sandbox-dialplan:end -->")
        .expect("README.md has the sandbox-dialplan:end marker");
    readme[begin..end]
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_lists_every_extension_of_the_sandbox_dialplan() {
    let written = written_extensions();
    let listed = readme_extensions();
    assert!(
        written.len() >= 9,
        "the config writer's extensions: {written:?}"
    );
    let missing: Vec<_> = written.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&written).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README.md's sandbox dialplan table is out of date (xtask/src/asterisk/config.rs writes \
         {written:?}): missing {missing:?}, not written {extra:?}"
    );
}
