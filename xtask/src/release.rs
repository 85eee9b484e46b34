//! Release readiness of `ari-sdk`, as steps of `cargo xtask test`:
//!
//! - `cargo xtask msrv`: the crate builds with the Rust version its `rust-version` names, with
//!   dependencies resolved for that version (Cargo's `incompatible-rust-versions = "fallback"`,
//!   what a user on that Rust gets), in a copy of the workspace so `Cargo.lock` is untouched.
//!   The toolchain is installed with rustup when missing; when rustup cannot reach it, the step
//!   falls back to checking that every resolved dependency declares a `rust-version` the MSRV
//!   satisfies, and says that the compiler itself was not run.
//! - `cargo xtask native-tls`: builds and runs the transport tests with the `native-tls` back
//!   end instead of rustls (installing Debian's `libssl-dev` and `pkg-config` when missing).
//! - `cargo xtask package`: `cargo package -p ari-sdk` (which builds the packaged crate on its
//!   own, so nothing outside the crate directory is needed) and `cargo publish --dry-run`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run(what: &str, cmd: &mut Command) -> Result<()> {
    println!("  $ {what}");
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Every file git tracks in the workspace at `root`, relative to it.
pub fn tracked_files(root: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .current_dir(root)
        .output()
        .context("running git ls-files (copying the workspace needs a git checkout)")?;
    if !out.status.success() {
        bail!(
            "git ls-files failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
        .filter(|p| root.join(p).is_file())
        .collect())
}

/// Copies every tracked file of the workspace at `root` into `to` (emptied first).
pub fn copy_tracked(root: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("emptying {}", to.display()))?;
    }
    for rel in tracked_files(root)? {
        let dst = to.join(&rel);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
        }
        std::fs::copy(root.join(&rel), &dst)
            .with_context(|| format!("copying {} to {}", rel.display(), dst.display()))?;
    }
    Ok(())
}

/// Runs `cmd` (a `cargo metadata --format-version 1 …` command line) and parses its output.
fn metadata(cmd: &mut Command) -> Result<serde_json::Value> {
    let out = cmd.output().context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// `ari-sdk`'s `rust-version`, from `cargo metadata`.
fn msrv(root: &Path) -> Result<String> {
    let meta = metadata(
        cargo()
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .current_dir(root),
    )?;
    meta["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "ari-sdk"))
        .and_then(|p| p["rust_version"].as_str())
        .map(str::to_owned)
        .context("ari-sdk has no rust-version in Cargo.toml")
}

/// `1.85` → `1.85.0` (rustup's toolchain name).
fn toolchain(version: &str) -> String {
    if version.split('.').count() == 2 {
        format!("{version}.0")
    } else {
        version.to_owned()
    }
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Whether `required` (a dependency's rust-version) is at most `msrv`.
fn satisfied_by(required: &str, msrv: &str) -> bool {
    let (mut r, mut m) = (version_parts(required), version_parts(msrv));
    r.resize(3, 0);
    m.resize(3, 0);
    r <= m
}

fn has_toolchain(tc: &str) -> bool {
    Command::new("rustup")
        .args(["run", tc, "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The package ids `name` needs to build (itself and its normal and build dependencies,
/// transitively; not dev-dependencies, which users never build), from `cargo metadata`.
fn build_closure(meta: &serde_json::Value, name: &str) -> std::collections::BTreeSet<String> {
    let nodes: std::collections::BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let root = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name && p["source"].is_null())
        .and_then(|p| p["id"].as_str());
    let mut seen = std::collections::BTreeSet::new();
    let mut stack: Vec<&str> = root.into_iter().collect();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.to_owned()) {
            continue;
        }
        for dep in nodes
            .get(id)
            .and_then(|n| n["deps"].as_array())
            .into_iter()
            .flatten()
        {
            let for_building = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if let (true, Some(pkg)) = (for_building, dep["pkg"].as_str()) {
                stack.push(pkg);
            }
        }
    }
    seen
}

/// `cargo xtask msrv`.
pub fn check_msrv() -> Result<()> {
    let root = crate::workspace_root();
    let version = msrv(&root)?;
    let tc = toolchain(&version);
    let work = root.join("target/msrv");
    let copy = work.join("workspace");
    copy_tracked(&root, &copy)?;
    let installed = has_toolchain(&tc) || {
        println!("  installing Rust {tc} with rustup (minimal profile)");
        Command::new("rustup")
            .args(["toolchain", "install", &tc, "--profile", "minimal"])
            .status()
            .is_ok_and(|s| s.success())
            && has_toolchain(&tc)
    };
    // Resolve the copy's dependencies for the MSRV, as a user on that Rust would.
    let cargo_for = |tc: Option<&str>| {
        let mut c = match tc {
            Some(tc) => {
                let mut c = Command::new("rustup");
                c.args(["run", tc, "cargo"]);
                c
            }
            None => cargo(),
        };
        c.current_dir(&copy)
            .env("CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS", "fallback")
            .env("CARGO_TARGET_DIR", work.join("target"))
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO")
            .env_remove("RUSTC");
        c
    };
    let with = installed.then_some(tc.as_str());
    run(
        "cargo generate-lockfile (dependencies resolved for the MSRV)",
        cargo_for(with).arg("generate-lockfile"),
    )?;
    // Every resolved package must accept the MSRV.
    let meta = metadata(cargo_for(with).args(["metadata", "--format-version", "1", "--locked"]))?;
    let needed = build_closure(&meta, "ari-sdk");
    let too_new: Vec<String> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| needed.contains(id)))
        .filter_map(|p| {
            let required = p["rust_version"].as_str()?;
            (!satisfied_by(required, &version)).then(|| {
                format!(
                    "{} {} needs Rust {required}",
                    p["name"].as_str().unwrap_or("?"),
                    p["version"].as_str().unwrap_or("?")
                )
            })
        })
        .collect();
    if !too_new.is_empty() {
        bail!(
            "ari-sdk's dependencies, resolved for Rust {version}, still need a newer Rust:\n  {}",
            too_new.join("\n  ")
        );
    }
    if !installed {
        bail!(
            "Rust {tc} is not installed and rustup could not install it: only the dependencies' \
             rust-version declarations were checked (all accept {version}), and clippy's \
             `incompatible_msrv` lint (in the clippy step) checks the standard library APIs \
             used; the compiler of Rust {version} was NOT run"
        );
    }
    run(
        &format!("cargo +{tc} check -p ari-sdk --all-features"),
        cargo_for(Some(&tc)).args(["check", "-p", "ari-sdk", "--all-features", "--locked"]),
    )?;
    println!("msrv: ari-sdk builds with Rust {tc} (all features, dependencies resolved for it)");
    Ok(())
}

/// Whether `pkg-config` finds OpenSSL (what the `native-tls` back end links on Linux).
fn has_openssl() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status()
        .is_ok_and(|s| s.success())
}

/// `cargo xtask native-tls`.
pub fn check_native_tls() -> Result<()> {
    let root = crate::workspace_root();
    if !has_openssl() {
        if !rustix::process::geteuid().is_root() {
            bail!("the native-tls build needs OpenSSL's development files: apt-get install libssl-dev pkg-config (as root)");
        }
        run(
            "apt-get install -y --no-install-recommends libssl-dev pkg-config",
            Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "libssl-dev",
                    "pkg-config",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    run(
        "cargo test -p ari-sdk --no-default-features --features native-tls --test transport --test one_stack --test trace_credentials",
        cargo().current_dir(&root).args([
            "test",
            "-p",
            "ari-sdk",
            "--no-default-features",
            "--features",
            "native-tls",
            "--test",
            "transport",
            // REST and wss through one stack: both trust the extra roots, neither trusts anything else.
            "--test",
            "one_stack",
            "--test",
            "trace_credentials",
        ]),
    )
}

/// `cargo xtask package [--allow-dirty]`.
pub fn check_package(allow_dirty: bool) -> Result<()> {
    let root = crate::workspace_root();
    let dirty: &[&str] = if allow_dirty { &["--allow-dirty"] } else { &[] };
    run(
        "cargo package -p ari-sdk",
        cargo()
            .current_dir(&root)
            .args(["package", "-p", "ari-sdk"])
            .args(dirty),
    )?;
    run(
        "cargo publish --dry-run -p ari-sdk --no-verify",
        cargo()
            .current_dir(&root)
            .args(["publish", "--dry-run", "-p", "ari-sdk", "--no-verify"])
            .args(dirty),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(satisfied_by("1.85", "1.85"));
        assert!(satisfied_by("1.70.0", "1.85"));
        assert!(!satisfied_by("1.88.0", "1.85"));
        assert!(!satisfied_by("1.85.1", "1.85"));
        assert!(satisfied_by("1.9", "1.85"));
        assert_eq!(toolchain("1.85"), "1.85.0");
        assert_eq!(toolchain("1.85.1"), "1.85.1");
    }

    #[test]
    fn the_msrv_is_read_from_the_manifest() {
        let v = msrv(&crate::workspace_root()).unwrap();
        assert!(satisfied_by(&v, "1.200") && satisfied_by("1.56", &v), "{v}");
    }
}
