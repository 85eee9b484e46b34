//! A new Asterisk version needs no hand edit: the maintainers' workflow, rehearsed on a copy
//! of the workspace with a synthetic version made from a real one.
//!
//! The test copies every tracked file of the workspace (and the imported specs) into a scratch
//! directory, derives `99.1.0` from the imported 23.4.1 — a new resource, a new event, a new
//! enum value, a new optional parameter, and a known upstream defect (`descriptioni`) on that
//! new parameter — then does what a maintainer does: `specs import DIR --version 99.1.0
//! --add-to-lock --commit C` and `codegen`, through the same library functions the commands
//! run. It checks that each new item is in the generated code with `Available in: 99.1.0.` in
//! its docs, that the generator's layout still places every operation once, and that the only
//! files that changed are `specs/specs.lock` and `ari-sdk/src/generated/`. Then it runs the
//! version-dependent offline tests against the copy's specs (`ARI_SPECS_ROOT`), and
//! `cargo check -p ari-sdk` on the copy, so the regenerated crate is proven to compile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use xtask::codegen::{self, Mode, GENERATED_DIR};
use xtask::specs::{self, ImportArgs};

const NEW: &str = "99.1.0";
const BASE: &str = "23.4.1";

fn workspace() -> PathBuf {
    xtask::workspace_root()
}

fn copy_file(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("{} → {}: {e}", from.display(), to.display()));
}

/// Every file under `dir`, relative, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_owned();
            // Imported specs (specs/asterisk-*/) are git-ignored copies, not workspace files.
            if path.is_dir() && rel.parent() == Some(Path::new("specs")) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, value: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap() + "\n").unwrap();
}

/// `rest-api/` of the synthetic version, made from the imported `BASE`.
fn synthetic_version(specs: &Path, out: &Path) {
    let base = specs.join(format!("asterisk-{BASE}"));
    copy_file(&base.join("resources.json"), &out.join("resources.json"));
    for entry in std::fs::read_dir(base.join("api-docs")).unwrap() {
        let path = entry.unwrap().path();
        copy_file(&path, &out.join("api-docs").join(path.file_name().unwrap()));
    }

    // A new resource: widgets.json with one operation and one model, listed in resources.json.
    let mut resources = read_json(&out.join("resources.json"));
    resources["apis"].as_array_mut().unwrap().push(json!({
        "path": "/api-docs/widgets.{format}",
        "description": "Widget resources"
    }));
    write_json(&out.join("resources.json"), &resources);
    let api_version = resources["apiVersion"].clone();
    write_json(
        &out.join("api-docs/widgets.json"),
        &json!({
            "_copyright": "synthetic, made by xtask/tests/new_version.rs",
            "apiVersion": api_version,
            "swaggerVersion": "1.1",
            "basePath": "http://localhost:8088/ari",
            "resourcePath": "/api-docs/widgets.{format}",
            "apis": [{
                "path": "/widgets",
                "description": "Widgets",
                "operations": [{
                    "httpMethod": "GET",
                    "summary": "List every widget.",
                    "nickname": "list",
                    "responseClass": "List[Widget]"
                }]
            }],
            "models": {
                "Widget": {
                    "id": "Widget",
                    "description": "A widget the synthetic version adds.",
                    "properties": {
                        "id": { "type": "string", "required": true, "description": "The widget's id." }
                    }
                }
            }
        }),
    );

    // A new event type.
    let events_path = out.join("api-docs/events.json");
    let mut events = read_json(&events_path);
    let models = events["models"].as_object_mut().unwrap();
    models["Event"]["subTypes"]
        .as_array_mut()
        .unwrap()
        .push(json!("WidgetFlipped"));
    models.insert(
        "WidgetFlipped".into(),
        json!({
            "id": "WidgetFlipped",
            "description": "A widget was flipped.",
            "properties": {
                "widget_id": { "type": "string", "required": true, "description": "The widget." }
            }
        }),
    );
    write_json(&events_path, &events);

    // A new enum value (snoop `spy`: `sideways`) and a new optional parameter on answer,
    // whose description sits under the known typo `descriptioni`.
    let channels_path = out.join("api-docs/channels.json");
    let mut channels = read_json(&channels_path);
    let mut added_value = 0;
    let mut added_param = 0;
    for api in channels["apis"].as_array_mut().unwrap() {
        for op in api["operations"].as_array_mut().unwrap() {
            let nickname = op["nickname"].as_str().unwrap().to_owned();
            // (`get_mut`: indexing a missing key mutably would insert `null`.)
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            if nickname == "snoopChannel" {
                for p in params.iter_mut().filter(|p| p["name"] == "spy") {
                    p["allowableValues"]["values"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!("sideways"));
                    added_value += 1;
                }
            }
            if nickname == "answer" {
                params.push(json!({
                    "name": "widgetMode",
                    "descriptioni": "How the widget answers.",
                    "paramType": "query",
                    "required": false,
                    "allowMultiple": false,
                    "dataType": "string"
                }));
                added_param += 1;
            }
        }
    }
    assert_eq!(
        (added_value, added_param),
        (1, 1),
        "{BASE}'s channels.json changed shape"
    );
    write_json(&channels_path, &channels);
}

/// The doc lines (`///`) right above the first line of `text` containing `needle` (after
/// the first line containing `after`, when given), skipping attributes.
fn docs_above<'a>(text: &'a str, after: Option<&str>, needle: &str, file: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let from = match after {
        Some(after) => lines
            .iter()
            .position(|l| l.contains(after))
            .unwrap_or_else(|| panic!("{file}: no line contains {after:?}")),
        None => 0,
    };
    let at = from
        + lines[from..]
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{file}: no line contains {needle:?}"));
    let mut docs = Vec::new();
    for line in lines[..at].iter().rev() {
        let t = line.trim();
        if t.starts_with("#[") {
            continue;
        }
        if let Some(doc) = t.strip_prefix("///") {
            docs.push(doc.trim());
        } else {
            break;
        }
    }
    docs.reverse();
    docs
}

fn assert_new(generated: &BTreeMap<String, String>, file: &str, after: Option<&str>, needle: &str) {
    let text = &generated[file];
    let docs = docs_above(text, after, needle, file);
    let availability = format!("Available in: {NEW}.");
    assert!(
        docs.contains(&availability.as_str()),
        "{file}: `{needle}` is not documented as {availability:?}: {docs:?}"
    );
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

#[test]
fn a_new_version_needs_no_edit_but_the_lock_and_generated_code() {
    let root = workspace();
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("new-version");
    let _ = std::fs::remove_dir_all(&scratch);
    let copy = scratch.join("workspace");
    xtask::release::copy_tracked(&root, &copy).expect("copying the workspace");
    // The imported specs (git-ignored) come along, as in a clone after `specs import`.
    let lock = ari_codegen::lock::Lock::read(&root.join("specs/specs.lock")).unwrap();
    for v in &lock.versions {
        let dir = format!("specs/asterisk-{}", v.version);
        for (rel, path) in ari_codegen::lock::collect_files(&root.join(&dir)).unwrap_or_else(|e| {
            panic!("{e}\nimport the specs first: cargo xtask specs import ../shared/specs")
        }) {
            copy_file(&path, &copy.join(&dir).join(rel));
        }
    }
    let before = snapshot(&copy);
    let rest_api = scratch.join("asterisk-99/rest-api");
    synthetic_version(&copy.join("specs"), &rest_api);

    // 1. specs import DIR --version 99.1.0 --add-to-lock --commit C
    let imported = specs::import(
        &copy.join("specs"),
        &ImportArgs {
            dir: rest_api.clone(),
            version: Some(NEW.into()),
            add_to_lock: true,
            commit: Some("0000000000000000000000000000000000000000".into()),
            tag: None,
        },
    )
    .expect("importing the synthetic version");
    assert_eq!(imported.len(), 1);
    assert!(imported[0].added_to_lock);

    // 2. codegen
    let generated = codegen::generate(&copy).expect("codegen on the new version");
    assert_eq!(generated.versions.last().map(String::as_str), Some(NEW));
    codegen::sync(&copy.join(GENERATED_DIR), &generated.files, Mode::Write).unwrap();
    let files: BTreeMap<String, String> = generated
        .files
        .iter()
        .map(|f| (f.path.clone(), f.contents.clone()))
        .collect();

    // Each new item is generated and documented as new.
    assert_new(&files, "handles.rs", None, "pub struct Widgets {"); // the new resource
    assert_new(&files, "handles.rs", Some("impl Widgets {"), "pub fn list("); // its operation
    assert_new(&files, "models.rs", None, "pub struct Widget {"); // its model
    assert_new(&files, "events.rs", None, "pub struct WidgetFlipped {"); // the new event
    assert_new(
        &files,
        "enums.rs",
        Some("pub enum SnoopDirection {"),
        "Sideways,",
    ); // the new enum value
    assert_new(&files, "operations.rs", None, "pub fn widget_mode("); // the new optional parameter
                                                                      // The known defect was fixed up: the parameter's description came from `descriptioni`.
    let docs = docs_above(
        &files["operations.rs"],
        None,
        "pub fn widget_mode(",
        "operations.rs",
    );
    assert!(docs.contains(&"How the widget answers."), "{docs:?}");
    // The fixup summary shows where it applied, now including the new version.
    let loaded = ari_codegen::load_specs(&copy.join("specs")).unwrap();
    let places = ari_codegen::fixups::applications(
        ari_codegen::fixups::ASTERISK,
        ari_codegen::applied(&loaded),
    );
    let descriptioni = &places
        .iter()
        .find(|(name, _)| *name == "param_descriptioni")
        .unwrap()
        .1;
    assert_eq!(
        descriptioni.last(),
        Some(&(NEW.parse().unwrap(), 3)),
        "the two upstream places and the new parameter"
    );
    // The layout still places every operation once.
    let api = ari_codegen::load_union(&copy.join("specs")).unwrap();
    let layout = ari_codegen::emit::layout(&api).unwrap();
    let operations: usize = api.resources.iter().map(|r| r.operations.len()).sum();
    assert_eq!(layout.rest.len() + layout.not_rest.len(), operations);
    assert!(layout
        .rest
        .iter()
        .any(|e| e.call == "client.widgets().list()"));

    // 3. Nothing but the lock and the generated code changed.
    let after = snapshot(&copy);
    let changed: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| k.display().to_string())
        .filter(|k| !k.starts_with(&format!("specs/asterisk-{NEW}/")))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        changed.contains(&"specs/specs.lock".to_owned()),
        "{changed:?}"
    );
    assert!(
        changed.iter().any(|c| c.starts_with(GENERATED_DIR)),
        "{changed:?}"
    );
    let others: Vec<&String> = changed
        .iter()
        .filter(|c| *c != "specs/specs.lock" && !c.starts_with(&format!("{GENERATED_DIR}/")))
        .collect();
    assert!(
        others.is_empty(),
        "files other than the lock and generated code changed: {others:?}"
    );

    // 4. The offline tests that depend on the versions pass on the copy's specs, unchanged,
    //    and the regenerated crate compiles (the copy shares this workspace's target dir, so
    //    only the workspace's own crates are rebuilt).
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let run = |args: &[&str], dir: &Path| {
        let log = scratch.join("cargo.log");
        let mut child = cargo()
            .args(args)
            .current_dir(dir)
            .env("ARI_SPECS_ROOT", copy.join("specs"))
            .env("CARGO_TARGET_DIR", &target)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(scratch.join("cargo.err")).unwrap())
            .spawn()
            .unwrap();
        // Bounded: a build of the workspace's own crates takes well under this.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "`cargo {}` in {} did not finish within 600 s",
                    args.join(" "),
                    dir.display()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        assert!(
            status.success(),
            "`cargo {}` in {} failed ({status}):\n{}\n{}",
            args.join(" "),
            dir.display(),
            std::fs::read_to_string(&log).unwrap_or_default(),
            std::fs::read_to_string(scratch.join("cargo.err")).unwrap_or_default()
        );
    };
    run(
        &[
            "test",
            "-q",
            "-p",
            "ari-codegen",
            "--test",
            "real_specs",
            "--test",
            "real_operations",
            "--test",
            "lock",
        ],
        &root,
    );
    run(&["check", "-q", "-p", "ari-sdk"], &copy);
    std::fs::remove_dir_all(&scratch).unwrap();
}
