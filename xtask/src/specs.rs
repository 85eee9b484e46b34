//! `cargo xtask specs …`: importing and inspecting Asterisk's spec files.
//!
//! The reusable parts (collecting, hashing and verifying files, loading and
//! lowering) live in `ari_codegen::lock` and `ari_codegen::load_union`; this
//! module is the command line and the copying.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ari_codegen::ir::Version;
/// The lock file's name inside a specs root (`specs.lock`).
pub use ari_codegen::lock::LOCK_FILE;
use ari_codegen::lock::{self, Lock, LockedVersion};
use clap::{Args, Subcommand};

/// Subcommands of `cargo xtask specs`.
// The doc comments of the clap types are the command's help text, written for a terminal.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Subcommand)]
pub enum SpecsCommand {
    /// Import spec files into specs/asterisk-<ver>/, verified against specs/specs.lock.
    Import(ImportArgs),
    /// Print what the imported specs contain: per version, the union, and what differs.
    Summary,
    /// Print what changed in the API from A to B, grouped by resource: operations, parameters,
    /// models and fields, events, enum values. A and B are imported versions (22.10.1) or spec
    /// directories (resources.json + api-docs/).
    Diff {
        /// The old side: a version pinned in specs/specs.lock, or a spec directory.
        a: String,
        /// The new side: a version pinned in specs/specs.lock, or a spec directory.
        b: String,
        /// Output format: text, markdown (release notes) or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Copy the spec files a live Asterisk serves into a version directory
    /// (`resources.json` + `api-docs/*.json`), `basePath` restored to the shipped value.
    Pull {
        /// ARI's address: `http://host:port` or `http://host:port/ari`.
        #[arg(long)]
        url: String,
        /// ARI user name.
        #[arg(long)]
        user: String,
        /// ARI password.
        #[arg(long)]
        password: String,
        /// Output directory (default: `target/specs-pull/asterisk-<version>`).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

/// Arguments of `cargo xtask specs import`.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Args)]
pub struct ImportArgs {
    /// A directory holding asterisk-<ver>/ subdirectories (like ../shared/specs), or, with
    /// --version, one version's directory: an Asterisk source tree's rest-api/ or an
    /// installed /usr/share/asterisk/rest-api.
    pub dir: PathBuf,
    /// The Asterisk version of a single version's directory, e.g. 22.10.1.
    #[arg(long)]
    pub version: Option<String>,
    /// Add a version that specs/specs.lock does not know yet (single version only; needs --commit).
    #[arg(long)]
    pub add_to_lock: bool,
    /// With --add-to-lock: the upstream git commit of the version's tag.
    #[arg(long)]
    pub commit: Option<String>,
    /// With --add-to-lock: the upstream git tag (default: the version).
    #[arg(long)]
    pub tag: Option<String>,
}

/// Runs one `specs` subcommand.
pub fn run(cmd: SpecsCommand) -> Result<()> {
    let specs_root = crate::workspace_root().join("specs");
    match cmd {
        SpecsCommand::Import(args) => import(&specs_root, &args).map(drop),
        SpecsCommand::Summary => summary(&specs_root),
        SpecsCommand::Diff { a, b, format } => crate::specs_diff::run(&specs_root, &a, &b, &format),
        SpecsCommand::Pull {
            url,
            user,
            password,
            out,
        } => crate::specs_pull::pull(&url, &user, &password, out.as_deref()),
    }
}

/// Prints the summary, then what the fixups did and any unknown keys.
fn summary(specs_root: &Path) -> Result<()> {
    let loaded = ari_codegen::load_specs(specs_root)?;
    let specs: Vec<_> = loaded.iter().map(|l| l.spec.clone()).collect();
    let api = ari_codegen::lower(&specs)?;
    print!("{}", ari_codegen::summary::render(&api));
    println!();
    println!("Fixups applied (version: places fixed):");
    for (fixup, places) in ari_codegen::fixups::applications(
        ari_codegen::fixups::ASTERISK,
        ari_codegen::applied(&loaded),
    ) {
        let places: Vec<String> = places.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        println!("  {fixup}: {}", places.join(", "));
    }
    let warnings: Vec<String> = loaded
        .iter()
        .flat_map(|l| l.spec.warnings.iter().map(ToString::to_string))
        .collect();
    println!();
    println!("Unknown keys and other warnings ({}):", warnings.len());
    for w in warnings {
        println!("  {w}");
    }
    Ok(())
}

/// The versions to import: (version, source directory).
fn sources(args: &ImportArgs) -> Result<Vec<(Version, PathBuf)>> {
    if !args.dir.is_dir() {
        bail!("{}: not a directory", args.dir.display());
    }
    if let Some(v) = &args.version {
        let version: Version = v.parse()?;
        return Ok(vec![(version, args.dir.clone())]);
    }
    let found = lock::imported_versions(&args.dir)?;
    if found.is_empty() {
        bail!(
            "{}: no asterisk-<ver>/ subdirectories; for a single version's directory pass --version V",
            args.dir.display()
        );
    }
    Ok(found)
}

/// What `specs import` did for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The version imported.
    pub version: Version,
    /// How many files were copied.
    pub files: usize,
    /// The files accepted because their JSON matches the lock although their bytes do not
    /// (only the formatting differs), keyed like the lock (`resources.json`,
    /// `api-docs/<name>.json`), each with its source path.
    pub reformatted: BTreeMap<String, PathBuf>,
    /// Whether this import added the version to the lock.
    pub added_to_lock: bool,
}

impl Imported {
    /// What `specs import` prints for this version: one line, then one per reformatted file.
    pub fn report(&self) -> String {
        let version = &self.version;
        let mut text = format!(
            "imported Asterisk {version} ({} files) into specs/asterisk-{version}/\n",
            self.files
        );
        for path in self.reformatted.values() {
            text.push_str(&format!(
                "  {}: same JSON as pinned, formatting differs\n",
                path.display()
            ));
        }
        text
    }
}

/// `cargo xtask specs import`: verifies every source file against `specs_root/specs.lock`
/// (or pins a new version with `--add-to-lock`), then copies each version into
/// `specs_root/asterisk-<ver>/`. Nothing is copied unless every file of every version passes.
pub fn import(specs_root: &Path, args: &ImportArgs) -> Result<Vec<Imported>> {
    let lock_path = specs_root.join(lock::LOCK_FILE);
    let mut lock = if lock_path.is_file() {
        Lock::read(&lock_path)?
    } else {
        Lock::default()
    };
    let sources = sources(args)?;
    if args.add_to_lock && sources.len() != 1 {
        bail!(
            "--add-to-lock adds one version at a time: pass that version's directory and --version"
        );
    }
    if !args.add_to_lock && (args.commit.is_some() || args.tag.is_some()) {
        bail!("--commit and --tag only apply with --add-to-lock");
    }

    // Verify everything before touching specs/.
    let mut plan: Vec<(Imported, BTreeMap<String, PathBuf>)> = Vec::new();
    let mut problems = Vec::new();
    for (version, dir) in &sources {
        let files = lock::collect_files(dir)?;
        let mut imported = Imported {
            version: version.clone(),
            files: files.len(),
            reformatted: BTreeMap::new(),
            added_to_lock: false,
        };
        match lock.get(version) {
            Some(locked) => match lock::verify(locked, dir, &files) {
                Ok(matched) => {
                    imported.reformatted = matched
                        .into_iter()
                        .filter(|(_, how)| *how == lock::Match::Json)
                        .map(|(rel, _)| {
                            let path = files[&rel].clone();
                            (rel, path)
                        })
                        .collect();
                }
                Err(err) => problems.push(err.to_string()),
            },
            None if args.add_to_lock => {
                let Some(commit) = args.commit.clone() else {
                    bail!("--add-to-lock needs --commit (the upstream commit of Asterisk {version})");
                };
                // Parse before pinning, so a broken spec never enters the lock.
                check_parses(version, &files)?;
                lock.versions.push(LockedVersion {
                    version: version.to_string(),
                    tag: args.tag.clone().unwrap_or_else(|| version.to_string()),
                    commit,
                    files: lock::hash_files(&files)?,
                });
                imported.added_to_lock = true;
            }
            None => bail!(
                "{}: Asterisk {version} is not in specs/specs.lock; to pin it, rerun with --version {version} \
                 --add-to-lock --commit <upstream commit>",
                dir.display()
            ),
        }
        plan.push((imported, files));
    }
    if !problems.is_empty() {
        bail!(
            "the spec files do not match specs/specs.lock; nothing was imported:\n{}",
            problems.join("\n")
        );
    }

    std::fs::create_dir_all(specs_root).with_context(|| specs_root.display().to_string())?;
    for (imported, files) in &plan {
        copy_version(specs_root, &imported.version, files)?;
        print!("{}", imported.report());
    }
    if plan.iter().any(|(imported, _)| imported.added_to_lock) {
        lock.write(&lock_path)?;
        println!("pinned in specs/specs.lock");
    }
    Ok(plan.into_iter().map(|(imported, _)| imported).collect())
}

/// Parses a version from its source files (through a temporary directory in
/// the normalised layout) so that --add-to-lock only pins specs the generator reads.
fn check_parses(version: &Version, files: &BTreeMap<String, PathBuf>) -> Result<()> {
    let tmp =
        std::env::temp_dir().join(format!("ari-specs-check-{}-{version}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| -> Result<()> {
        write_files(&tmp, files)?;
        ari_codegen::spec::load_version_dir(version.clone(), &tmp)?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn write_files(dir: &Path, files: &BTreeMap<String, PathBuf>) -> Result<()> {
    std::fs::create_dir_all(dir.join("api-docs")).with_context(|| dir.display().to_string())?;
    for (rel, src) in files {
        let dst = dir.join(rel);
        std::fs::copy(src, &dst)
            .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
    }
    Ok(())
}

/// Replaces `specs/asterisk-<ver>/` with the verified files (written to a
/// sibling temporary directory first, then renamed into place).
fn copy_version(
    specs_root: &Path,
    version: &Version,
    files: &BTreeMap<String, PathBuf>,
) -> Result<()> {
    let target = specs_root.join(format!("asterisk-{version}"));
    let staging = specs_root.join(format!(".import-asterisk-{version}"));
    let _ = std::fs::remove_dir_all(&staging);
    write_files(&staging, files)?;
    if target.exists() {
        std::fs::remove_dir_all(&target).with_context(|| target.display().to_string())?;
    }
    std::fs::rename(&staging, &target)
        .with_context(|| format!("{} → {}", staging.display(), target.display()))?;
    Ok(())
}
