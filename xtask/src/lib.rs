//! The parts of `cargo xtask` that other crates of the workspace use too.
//!
//! The live suite (`tests/`) reads the sandbox's connection settings with
//! [`settings`], checks `cargo xtask specs pull` and the import of what it
//! pulled through [`specs_pull`] and [`specs`], and restarts and freezes the
//! sandbox Asterisk through [`asterisk`] (the fault tests), so these live in
//! this library next to the `xtask` binary.

#![warn(missing_docs)]

pub mod asterisk;
pub mod codegen;
pub mod live_coverage;
pub mod release;
pub mod settings;
pub mod specs;
pub mod specs_diff;
pub mod specs_pull;

/// The workspace root (the parent of the `xtask` crate's directory).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
