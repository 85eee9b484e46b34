//! Editing a file in a test, with proof that the edit did something. Shared by this crate's
//! tests (`mod common`) and xtask's (mounted with `#[path]`).

use std::path::Path;

/// Rewrites `path` as `edit` says, asserting the bytes changed.
pub fn rewrite(path: &Path, edit: impl FnOnce(Vec<u8>) -> Vec<u8>) {
    let before = std::fs::read(path).unwrap();
    let after = edit(before.clone());
    assert_ne!(
        before,
        after,
        "{}: the edit changed nothing",
        path.display()
    );
    std::fs::write(path, after).unwrap();
}
