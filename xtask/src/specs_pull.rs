//! `cargo xtask specs pull`: copies the ARI spec files a live Asterisk serves.
//!
//! Asterisk serves `/ari/api-docs/resources.json` and every `api-docs/*.json` it lists. Two things
//! differ from the files Asterisk ships (and that `specs/` pins):
//!
//! - the server rewrites `basePath` to the address it was asked on (`http://127.0.0.1:PORT/ari`);
//!   every shipped file of every version says `http://localhost:8088/ari`, so [`pull`] puts that
//!   value back (and fails loudly if the served value is not of the rewritten form);
//! - the server parses each file and serialises it again, compactly. Key order and values are
//!   kept, whitespace is not. [`pull`] writes the files tab-indented, one value per line, which
//!   is the layout of the shipped files: for files upstream formatted regularly the bytes are
//!   identical, for the few with hand-made irregular whitespace only the whitespace differs.
//!   [`compare_dirs`] tells the two cases apart; `specs import` accepts both, since the lock
//!   pins each file's canonical JSON besides its bytes.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The `basePath` every shipped ARI spec file contains (all versions 16 … 23).
pub const SHIPPED_BASE_PATH: &str = "http://localhost:8088/ari";

/// One spec file as fetched from the server, `basePath` already restored.
#[derive(Debug, Clone)]
pub struct PulledFile {
    /// Path relative to the version directory: `resources.json` or `api-docs/<name>.json`.
    pub relative_path: String,
    /// The parsed document (key order kept).
    pub json: Value,
}

/// Everything [`fetch`] got from one server.
#[derive(Debug, Clone)]
pub struct PulledSpecs {
    /// The numeric Asterisk version (`22.10.1`), from `GET /asterisk/info`.
    pub version: String,
    /// The `basePath` the server put in its answers before it was restored.
    pub served_base_path: String,
    /// `resources.json` first, then the api-docs files in the order it lists them.
    pub files: Vec<PulledFile>,
}

/// Fetches the spec files from `url` (`http://host:port` or `http://host:port/ari`), writes them
/// into `out` (default: `target/specs-pull/asterisk-<version>` in the workspace) laid out like an
/// imported version directory (`resources.json` + `api-docs/*.json`), and prints what it did.
pub fn pull(url: &str, user: &str, password: &str, out: Option<&Path>) -> Result<()> {
    let specs = fetch(url, user, password)?;
    let out = match out {
        Some(dir) => dir.to_path_buf(),
        None => crate::workspace_root()
            .join("target")
            .join("specs-pull")
            .join(format!("asterisk-{}", specs.version)),
    };
    write_dir(&specs, &out)?;
    println!(
        "specs pull: {} files of Asterisk {} written to {}",
        specs.files.len(),
        specs.version,
        out.display()
    );
    println!(
        "specs pull: basePath {:?} (rewritten by the server) restored to the shipped {:?}",
        specs.served_base_path, SHIPPED_BASE_PATH
    );
    println!(
        "specs pull: Asterisk re-serialises what it serves; files are written tab-indented like \
         the shipped ones (same JSON; whitespace may differ where upstream's is irregular, which \
         `specs import` accepts and reports)"
    );
    Ok(())
}

/// Fetches `resources.json` and every file it lists, restoring `basePath`.
pub fn fetch(url: &str, user: &str, password: &str) -> Result<PulledSpecs> {
    let base = ari_base(url);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let get = |path: &str| -> Result<Value> {
        let url = format!("{base}/{path}");
        let response = client
            .get(&url)
            .basic_auth(user, Some(password))
            .send()
            .with_context(|| format!("could not reach ARI at {url}"))?;
        let status = response.status();
        let body = response
            .text()
            .with_context(|| format!("reading the answer of GET {url}"))?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            bail!("GET {url}: 401 Unauthorized: check the ARI user {user:?} and its password");
        }
        if !status.is_success() {
            bail!("GET {url}: HTTP {status}: {}", body.trim());
        }
        serde_json::from_str(&body).with_context(|| format!("GET {url}: the answer is not JSON"))
    };

    let info = get("asterisk/info")?;
    let full_version = info
        .pointer("/system/version")
        .and_then(Value::as_str)
        .context("GET asterisk/info: no system.version in the answer")?;
    let version = numeric_version(full_version)
        .with_context(|| format!("cannot read a version number from {full_version:?}"))?;

    let mut resources = get("api-docs/resources.json")?;
    let served_base_path = restore_base_path(&mut resources, "resources.json", None)?;
    let apis = resources
        .get("apis")
        .and_then(Value::as_array)
        .context("resources.json: no `apis` list")?;
    let mut listed = Vec::new();
    for (index, api) in apis.iter().enumerate() {
        let path = api
            .get("path")
            .and_then(Value::as_str)
            .with_context(|| format!("resources.json: apis[{index}] has no `path`"))?;
        listed.push(api_docs_file(path).with_context(|| format!("resources.json: apis[{index}]"))?);
    }

    let mut files = vec![PulledFile {
        relative_path: "resources.json".to_owned(),
        json: resources,
    }];
    for relative_path in listed {
        let mut json = get(&relative_path)?;
        restore_base_path(&mut json, &relative_path, Some(&served_base_path))?;
        files.push(PulledFile {
            relative_path,
            json,
        });
    }
    Ok(PulledSpecs {
        version,
        served_base_path,
        files,
    })
}

/// Writes `specs` into `dir` (replacing a previous `resources.json` and `api-docs/`).
pub fn write_dir(specs: &PulledSpecs, dir: &Path) -> Result<()> {
    let api_docs = dir.join("api-docs");
    if api_docs.exists() {
        std::fs::remove_dir_all(&api_docs)
            .with_context(|| format!("removing the old {}", api_docs.display()))?;
    }
    std::fs::create_dir_all(&api_docs)
        .with_context(|| format!("creating {}", api_docs.display()))?;
    for file in &specs.files {
        let path = dir.join(&file.relative_path);
        std::fs::write(&path, to_shipped_layout(&file.json))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Serialises JSON the way Asterisk's shipped spec files are laid out: tab indentation, one
/// member or element per line, `"key": value`, a final newline.
pub fn to_shipped_layout(json: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(json, &mut serializer)
        .expect("serialising a serde_json::Value into memory cannot fail");
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    text
}

/// How one pulled file compares with a reference copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Byte for byte the same.
    Identical,
    /// Same JSON (values and key order); only whitespace differs.
    SameJson,
    /// The JSON differs (the message names the first difference).
    Different(String),
    /// Only in the pulled directory.
    OnlyPulled,
    /// Only in the reference directory.
    OnlyReference,
}

/// Compares every `resources.json` and `api-docs/*.json` in `pulled` and `reference`.
///
/// Returns `(relative path, comparison)` pairs sorted by path.
pub fn compare_dirs(pulled: &Path, reference: &Path) -> Result<Vec<(String, Comparison)>> {
    let mut names = std::collections::BTreeSet::new();
    for dir in [pulled, reference] {
        names.extend(spec_files(dir)?);
    }
    let mut results = Vec::new();
    for name in names {
        let a = pulled.join(&name);
        let b = reference.join(&name);
        let comparison = match (a.exists(), b.exists()) {
            (true, false) => Comparison::OnlyPulled,
            (false, _) => Comparison::OnlyReference,
            (true, true) => {
                let a_bytes =
                    std::fs::read(&a).with_context(|| format!("reading {}", a.display()))?;
                let b_bytes =
                    std::fs::read(&b).with_context(|| format!("reading {}", b.display()))?;
                if a_bytes == b_bytes {
                    Comparison::Identical
                } else {
                    let a_json: Value = serde_json::from_slice(&a_bytes)
                        .with_context(|| format!("parsing {}", a.display()))?;
                    let b_json: Value = serde_json::from_slice(&b_bytes)
                        .with_context(|| format!("parsing {}", b.display()))?;
                    let (a_text, b_text) = (to_shipped_layout(&a_json), to_shipped_layout(&b_json));
                    if a_text == b_text {
                        Comparison::SameJson
                    } else {
                        Comparison::Different(first_difference(&a_text, &b_text))
                    }
                }
            }
        };
        results.push((name, comparison));
    }
    Ok(results)
}

/// `http://h:p`, `http://h:p/` and `http://h:p/ari/` all mean `http://h:p/ari`.
fn ari_base(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    if trimmed.ends_with("/ari") {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/ari")
    }
}

/// `22.10.1+dfsg+~cs6…-1` → `22.10.1`; `GIT-master-abc` → None.
fn numeric_version(full: &str) -> Option<String> {
    let end = full
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(full.len());
    let version = full[..end].trim_end_matches('.');
    (version.split('.').count() >= 2 && !version.is_empty()).then(|| version.to_owned())
}

/// `/api-docs/asterisk.{format}` → `api-docs/asterisk.json`, refusing anything that is not a
/// plain file name under `api-docs/`.
fn api_docs_file(listed_path: &str) -> Result<String> {
    let relative = listed_path
        .trim_start_matches('/')
        .replace("{format}", "json");
    let name = relative
        .strip_prefix("api-docs/")
        .with_context(|| format!("listed path {listed_path:?} is not under /api-docs/"))?;
    let plain = !name.is_empty()
        && name.ends_with(".json")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !name.contains("..");
    if !plain {
        bail!("listed path {listed_path:?} does not name a plain .json file");
    }
    Ok(relative)
}

/// Puts [`SHIPPED_BASE_PATH`] back into `doc` and returns the value the server had written.
/// With `expected`, the served value must equal it (every file of one answer is rewritten alike).
fn restore_base_path(doc: &mut Value, file: &str, expected: Option<&str>) -> Result<String> {
    let object = doc
        .as_object_mut()
        .with_context(|| format!("{file}: the document is not a JSON object"))?;
    let served = object
        .get("basePath")
        .and_then(Value::as_str)
        .with_context(|| format!("{file}: no string `basePath`"))?
        .to_owned();
    let rewritten_form = (served.starts_with("http://") || served.starts_with("https://"))
        && served.ends_with("/ari");
    if !rewritten_form {
        bail!(
            "{file}: basePath {served:?} is not of the form the server writes \
             (<scheme>://<host:port>/ari); cannot restore the shipped {SHIPPED_BASE_PATH:?}"
        );
    }
    if let Some(expected) = expected {
        if served != expected {
            bail!("{file}: basePath {served:?} differs from resources.json's {expected:?}");
        }
    }
    object.insert(
        "basePath".to_owned(),
        Value::String(SHIPPED_BASE_PATH.to_owned()),
    );
    Ok(served)
}

fn spec_files(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    if dir.join("resources.json").exists() {
        names.push("resources.json".to_owned());
    }
    let api_docs = dir.join("api-docs");
    if api_docs.is_dir() {
        for entry in std::fs::read_dir(&api_docs)
            .with_context(|| format!("listing {}", api_docs.display()))?
        {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") {
                names.push(format!("api-docs/{name}"));
            }
        }
    }
    Ok(names)
}

fn first_difference(a: &str, b: &str) -> String {
    for (number, (line_a, line_b)) in a.lines().zip(b.lines()).enumerate() {
        if line_a != line_b {
            return format!(
                "line {}: pulled {:?}, reference {:?}",
                number + 1,
                line_a.trim(),
                line_b.trim()
            );
        }
    }
    format!(
        "one is a prefix of the other ({} vs {} lines)",
        a.lines().count(),
        b.lines().count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_forms() {
        assert_eq!(
            ari_base("http://127.0.0.1:8088"),
            "http://127.0.0.1:8088/ari"
        );
        assert_eq!(
            ari_base("http://127.0.0.1:8088/"),
            "http://127.0.0.1:8088/ari"
        );
        assert_eq!(
            ari_base("http://127.0.0.1:8088/ari/"),
            "http://127.0.0.1:8088/ari"
        );
    }

    #[test]
    fn versions() {
        assert_eq!(
            numeric_version("22.10.1+dfsg+~cs6.17.60671434-1").as_deref(),
            Some("22.10.1")
        );
        assert_eq!(numeric_version("20.5.0").as_deref(), Some("20.5.0"));
        assert_eq!(numeric_version("GIT-master-1234"), None);
    }

    #[test]
    fn listed_paths() {
        assert_eq!(
            api_docs_file("/api-docs/channels.{format}").unwrap(),
            "api-docs/channels.json"
        );
        assert!(api_docs_file("/api-docs/../etc/passwd.json").is_err());
        assert!(api_docs_file("/other/channels.{format}").is_err());
    }

    #[test]
    fn base_path_is_restored_and_checked() {
        let mut doc: Value =
            serde_json::from_str(r#"{"a":1,"basePath":"http://127.0.0.1:5/ari","b":[]}"#).unwrap();
        let served = restore_base_path(&mut doc, "x.json", None).unwrap();
        assert_eq!(served, "http://127.0.0.1:5/ari");
        assert_eq!(
            to_shipped_layout(&doc),
            "{\n\t\"a\": 1,\n\t\"basePath\": \"http://localhost:8088/ari\",\n\t\"b\": []\n}\n"
        );
        let mut odd: Value = serde_json::from_str(r#"{"basePath":"/somewhere"}"#).unwrap();
        assert!(restore_base_path(&mut odd, "x.json", None).is_err());
        let mut other: Value = serde_json::from_str(r#"{"basePath":"http://h:1/ari"}"#).unwrap();
        assert!(restore_base_path(&mut other, "x.json", Some("http://h:2/ari")).is_err());
    }
}
