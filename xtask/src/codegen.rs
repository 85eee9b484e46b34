//! `cargo xtask codegen [--check]`: writes (or checks) `ari-sdk/src/generated/`.
//!
//! Every write goes through [`ensure_file_contents`]. In check mode nothing is
//! written; every stale, missing or extra file is named and the command fails.
//! The `generated_code_is_fresh` test runs the same check, so `cargo test`
//! fails on stale output too.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ari_codegen::emit::GeneratedFile;

/// Where the generated code lives, relative to the workspace root.
pub const GENERATED_DIR: &str = "ari-sdk/src/generated";

/// Write the files, or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bring the files up to date.
    Write,
    /// Compare only; write nothing.
    Check,
}

/// A file that differs from what the generator produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The generator produces it, but it does not exist.
    Missing(PathBuf),
    /// It exists with other contents.
    Stale(PathBuf),
    /// It exists, but the generator does not produce it.
    Extra(PathBuf),
}

impl Change {
    /// The same change with its path relative to `base` (for messages).
    pub fn relative_to(&self, base: &Path) -> Change {
        let rel = |p: &PathBuf| p.strip_prefix(base).unwrap_or(p).to_owned();
        match self {
            Change::Missing(p) => Change::Missing(rel(p)),
            Change::Stale(p) => Change::Stale(rel(p)),
            Change::Extra(p) => Change::Extra(rel(p)),
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Missing(p) => write!(f, "missing: {}", p.display()),
            Change::Stale(p) => write!(f, "stale:   {}", p.display()),
            Change::Extra(p) => write!(f, "extra:   {}", p.display()),
        }
    }
}

/// Runs `cargo xtask codegen [--check]`.
pub fn run(check: bool) -> Result<()> {
    let root = crate::workspace_root();
    let mode = if check { Mode::Check } else { Mode::Write };
    let generated = generate(&root)?;
    let changes: Vec<Change> = sync(&root.join(GENERATED_DIR), &generated.files, mode)?
        .iter()
        .map(|c| c.relative_to(&root))
        .collect();
    println!(
        "codegen: {} files from {} spec versions ({}) in {} ms (load+lower+union {} ms, emit+render {} ms)",
        generated.files.len(),
        generated.versions.len(),
        generated.versions.join(", "),
        generated.total().as_millis(),
        generated.load.as_millis(),
        generated.emit.as_millis(),
    );
    match mode {
        Mode::Write => {
            for c in &changes {
                println!("  updated {c}");
            }
            if changes.is_empty() {
                println!("  {GENERATED_DIR} was already up to date");
            }
            Ok(())
        }
        Mode::Check if changes.is_empty() => {
            println!("  {GENERATED_DIR} is up to date");
            Ok(())
        }
        Mode::Check => {
            for c in &changes {
                eprintln!("  {c}");
            }
            bail!(
                "{} generated file(s) out of date; run `cargo xtask codegen`",
                changes.len()
            )
        }
    }
}

/// The output of one generation, with timings.
pub struct Generated {
    /// Every file of `src/generated/`.
    pub files: Vec<GeneratedFile>,
    /// The spec versions it came from.
    pub versions: Vec<String>,
    /// Time spent reading, lowering and merging the specs.
    pub load: Duration,
    /// Time spent emitting and rendering.
    pub emit: Duration,
}

impl Generated {
    /// Total generation time.
    pub fn total(&self) -> Duration {
        self.load + self.emit
    }
}

/// The imported specs (`specs/`, with `specs.lock` and `asterisk-*/`).
/// `ari_codegen::load_union` verifies them against the lock and says how to
/// import them when they are missing.
pub fn specs_dir(root: &Path) -> PathBuf {
    root.join("specs")
}

/// Loads the union IR of every spec version and renders every generated file.
pub fn generate(root: &Path) -> Result<Generated> {
    let specs = specs_dir(root);
    let start = Instant::now();
    let api = ari_codegen::load_for_codegen(&specs)
        .with_context(|| format!("loading the specs under {}", specs.display()))?;
    let load = start.elapsed();
    let start = Instant::now();
    let files = ari_codegen::emit::generate(&api).context("emitting the generated code")?;
    let emit = start.elapsed();
    Ok(Generated {
        files,
        versions: api
            .versions
            .iter()
            .map(ari_codegen::emit::version_string)
            .collect(),
        load,
        emit,
    })
}

/// Brings `dir` in line with `files` (or, in check mode, reports how it
/// differs): every generated file written, every other file removed.
pub fn sync(dir: &Path, files: &[GeneratedFile], mode: Mode) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for f in files {
        changes.extend(ensure_file_contents(
            &dir.join(&f.path),
            Some(&f.contents),
            mode,
        )?);
    }
    let wanted: std::collections::BTreeSet<PathBuf> =
        files.iter().map(|f| dir.join(&f.path)).collect();
    for existing in list_files(dir)? {
        if !wanted.contains(&existing) {
            changes.extend(ensure_file_contents(&existing, None, mode)?);
        }
    }
    Ok(changes)
}

/// The one place that writes generated files: makes `path` hold `contents`
/// (`None`: not exist). Returns the change needed, if any; writes only in
/// [`Mode::Write`].
pub fn ensure_file_contents(
    path: &Path,
    contents: Option<&str>,
    mode: Mode,
) -> Result<Option<Change>> {
    let current = match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let change = match (&current, contents) {
        (None, None) => return Ok(None),
        // Line endings are not content: a checkout that turned `\n` into `\r\n` is fresh.
        (Some(have), Some(want)) if same_text(have, want) => return Ok(None),
        (None, Some(_)) => Change::Missing(path.to_owned()),
        (Some(_), Some(_)) => Change::Stale(path.to_owned()),
        (Some(_), None) => Change::Extra(path.to_owned()),
    };
    if mode == Mode::Write {
        match contents {
            Some(want) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                std::fs::write(path, want)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            None => std::fs::remove_file(path)
                .with_context(|| format!("removing {}", path.display()))?,
        }
    }
    Ok(Some(change))
}

/// Whether `have` is `want` up to line endings (`\r\n` vs `\n`).
fn same_text(have: &[u8], want: &str) -> bool {
    if have == want.as_bytes() {
        return true;
    }
    let normalise = |b: &[u8]| -> Vec<u8> {
        let mut out = Vec::with_capacity(b.len());
        for (i, c) in b.iter().enumerate() {
            if *c == b'\r' && b.get(i + 1) == Some(&b'\n') {
                continue;
            }
            out.push(*c);
        }
        out
    };
    normalise(have) == normalise(want.as_bytes())
}

/// Text defects in generated Rust source: doubled words and escaped backticks in doc
/// comments, trailing whitespace, tabs. One line per finding, `file:line: what`.
pub fn text_defects(file: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", n + 1);
        if line.ends_with([' ', '\t']) {
            out.push(format!("{at}: trailing whitespace"));
        }
        if line.contains('\t') {
            out.push(format!("{at}: tab"));
        }
        let trimmed = line.trim_start();
        let Some(doc) = trimmed
            .strip_prefix("///")
            .or_else(|| trimmed.strip_prefix("//!"))
            .or_else(|| {
                trimmed
                    .strip_prefix("#[doc = \"")
                    .and_then(|d| d.strip_suffix("\"]"))
            })
        else {
            continue;
        };
        if doc.contains("\\`") {
            out.push(format!("{at}: escaped backtick in docs (shows as \\`)"));
        }
        // Two neighbouring words, letters only, the same up to case and trailing punctuation.
        for pair in doc.split(' ').collect::<Vec<_>>().windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.len() > 1
                && a.chars().all(char::is_alphabetic)
                && a.eq_ignore_ascii_case(b.trim_end_matches([',', '.', ';', ':']))
            {
                out.push(format!("{at}: doubled word `{a} {a}`"));
            }
        }
    }
    out
}

/// Every file under `dir`, recursively, sorted; empty if `dir` does not exist.
fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("listing {}", d.display())),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` fails when the committed generated code is stale, like
    /// `cargo xtask codegen --check`.
    #[test]
    fn generated_code_is_fresh() {
        let root = crate::workspace_root();
        let generated = generate(&root).expect("generation succeeds");
        let changes: Vec<Change> = sync(&root.join(GENERATED_DIR), &generated.files, Mode::Check)
            .expect("comparing the generated files")
            .iter()
            .map(|c| c.relative_to(&root))
            .collect();
        assert!(
            changes.is_empty(),
            "generated code is out of date; run `cargo xtask codegen`:\n{}",
            changes
                .iter()
                .map(|c| format!("  {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// The committed generated code has no text defects (doubled words, escaped backticks,
    /// trailing whitespace, tabs).
    #[test]
    fn generated_code_has_no_text_defects() {
        let dir = crate::workspace_root().join(GENERATED_DIR);
        let mut defects = Vec::new();
        let mut files = 0;
        for path in list_files(&dir).unwrap() {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.strip_prefix(&dir).unwrap().display().to_string();
            defects.extend(text_defects(&name, &text));
            files += 1;
        }
        assert!(files >= 8, "{files} generated files");
        assert!(defects.is_empty(), "{}", defects.join("\n"));
    }

    #[test]
    fn text_defects_are_found() {
        let text = "/// Sent as the the whole body.\n/// Values of \\`x\\`.\nfn f() {} \n/// A that that, fine: the theme.\n";
        assert_eq!(
            text_defects("f.rs", text),
            [
                "f.rs:1: doubled word `the the`",
                "f.rs:2: escaped backtick in docs (shows as \\`)",
                "f.rs:3: trailing whitespace",
                "f.rs:4: doubled word `that that`",
            ]
        );
    }

    #[test]
    fn line_endings_do_not_make_a_file_stale() {
        let dir = std::env::temp_dir().join(format!("xtask-codegen-crlf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.rs");
        std::fs::write(&path, "line one\r\nline two\r\n").unwrap();
        assert_eq!(
            ensure_file_contents(&path, Some("line one\nline two\n"), Mode::Check).unwrap(),
            None
        );
        assert_eq!(
            ensure_file_contents(&path, Some("line one\nline 2\n"), Mode::Check).unwrap(),
            Some(Change::Stale(path.clone()))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn sync_reports_and_fixes_every_kind_of_change() {
        let dir = std::env::temp_dir().join(format!("xtask-codegen-sync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.rs"), "old").unwrap();
        std::fs::write(dir.join("same.rs"), "same").unwrap();
        std::fs::write(dir.join("sub/extra.rs"), "x").unwrap();
        let files = [
            file("a.rs", "new"),
            file("b.rs", "b"),
            file("same.rs", "same"),
        ];

        let check = sync(&dir, &files, Mode::Check).unwrap();
        assert_eq!(
            check,
            [
                Change::Stale(dir.join("a.rs")),
                Change::Missing(dir.join("b.rs")),
                Change::Extra(dir.join("sub/extra.rs")),
            ]
        );
        // Check mode wrote nothing.
        assert_eq!(std::fs::read_to_string(dir.join("a.rs")).unwrap(), "old");
        assert!(!dir.join("b.rs").exists());
        assert!(dir.join("sub/extra.rs").exists());

        assert_eq!(sync(&dir, &files, Mode::Write).unwrap(), check);
        assert_eq!(std::fs::read_to_string(dir.join("a.rs")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(dir.join("b.rs")).unwrap(), "b");
        assert!(!dir.join("sub/extra.rs").exists());
        assert!(sync(&dir, &files, Mode::Check).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
