//! `cargo xtask test`: every check, in order, with the sandbox Asterisk stopped at the end.
//!
//! The live suite runs in two steps: the main one (tests in parallel against one Asterisk), then
//! the isolated tests (`tests/tests/isolated.rs`: restarts, freezes, bursts), which need the
//! sandbox to themselves and run one at a time.
//!
//! The steps are one list ([`steps`]); adding a check is adding one line there. A step can be
//! conditional (it runs only when a probe command succeeds, e.g. a subcommand that another
//! issue brings) and can be a cleanup step, which runs even after a failure.

use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use xtask::asterisk::{Server, SERVER_ENV};

/// Options of `cargo xtask test`.
#[derive(Args)]
pub struct TestArgs {
    /// Go on with the next checks after one fails (cleanup steps always run).
    #[arg(long)]
    keep_going: bool,
}

/// One check: a command line, and when to run it.
struct Step {
    name: String,
    program: Program,
    args: Vec<OsString>,
    env: Vec<(&'static str, OsString)>,
    /// Variables removed from the step's environment.
    env_removed: Vec<&'static str>,
    /// Run only if this `cargo xtask …` command line succeeds (a subcommand exists).
    only_if_xtask: Option<Vec<&'static str>>,
    /// Why the step is skipped outright, if it is.
    skip: Option<String>,
    /// Runs even after an earlier step failed.
    cleanup: bool,
    /// When it fails, show the end of the sandbox Asterisk's log (before `down` runs).
    show_sandbox_log: bool,
}

enum Program {
    Cargo,
    /// This very xtask binary (no rebuild, same code).
    Xtask,
}

impl Step {
    fn cargo(name: impl Into<String>, args: &[&str]) -> Self {
        Self::new(name.into(), Program::Cargo, args)
    }

    fn xtask(name: impl Into<String>, args: &[&str]) -> Self {
        Self::new(name.into(), Program::Xtask, args)
    }

    fn new(name: String, program: Program, args: &[&str]) -> Self {
        Self {
            name,
            program,
            args: args.iter().map(OsString::from).collect(),
            env: Vec::new(),
            env_removed: Vec::new(),
            only_if_xtask: None,
            skip: None,
            cleanup: false,
            show_sandbox_log: false,
        }
    }

    fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    fn env(mut self, key: &'static str, value: impl Into<OsString>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    /// Runs without these environment variables.
    fn without_env(mut self, keys: &[&'static str]) -> Self {
        self.env_removed.extend(keys);
        self
    }

    /// Runs only when `cargo xtask <probe>` succeeds (e.g. `["codegen", "--help"]`).
    fn if_xtask_has(mut self, probe: &[&'static str]) -> Self {
        self.only_if_xtask = Some(probe.to_vec());
        self
    }

    fn skip_because(mut self, reason: Option<String>) -> Self {
        self.skip = reason;
        self
    }

    fn always(mut self) -> Self {
        self.cleanup = true;
        self
    }

    fn sandbox_log_on_failure(mut self) -> Self {
        self.show_sandbox_log = true;
        self
    }
}

/// Variables that point the live tests at another Asterisk: `cargo xtask test` tests the
/// sandbox it starts, whatever the caller's environment says.
const TARGET_ENV: &[&str] = &[
    "ARI_URL",
    "ARI_USER",
    "ARI_PASSWORD",
    "ARI_READ_ONLY_USER",
    "ARI_READ_ONLY_PASSWORD",
    "ARI_CONTEXT",
    "ARI_EXPECT_VERSION",
    "ARI_APP_PREFIX",
];

/// The checks, in order: one line each (kept that way by `rustfmt::skip`); then the live part
/// once per sandbox Asterisk ([`live_steps`]).
#[rustfmt::skip]
fn steps() -> Vec<Step> {
    let mirror = std::env::var_os("ARI_SPECS_MIRROR").filter(|m| !m.is_empty());
    let no_mirror = mirror.is_none().then(|| "ARI_SPECS_MIRROR is not set: using the specs already imported".to_owned());
    let mut steps = vec![
        Step::xtask("specs import", &["specs", "import"]).arg(mirror.unwrap_or_default()).skip_because(no_mirror).if_xtask_has(&["specs", "import", "--help"]),
        Step::xtask("codegen --check", &["codegen", "--check"]).if_xtask_has(&["codegen", "--help"]),
        Step::cargo("fmt", &["fmt", "--all", "--check"]),
        Step::cargo("clippy", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
        Step::cargo("offline tests", &["test", "--workspace", "--exclude", "ari-live-tests"]),
        Step::cargo("clippy (testkit)", &["clippy", "-p", "ari-sdk", "--features", "testkit", "--all-targets", "--", "-D", "warnings"]),
        Step::cargo("testkit (fake Asterisk, example apps)", &["test", "-p", "ari-sdk", "--features", "testkit", "--test", "testkit", "--test", "example_apps"]),
        Step::cargo("testkit README (its IVR test)", &["test", "-p", "ari-sdk", "--features", "testkit", "--doc", "testkit"]),
        Step::cargo("contract coverage", &["test", "-p", "ari-sdk", "--lib", "generated::contract::coverage_of_every_operation", "--", "--exact", "--nocapture"]),
        Step::cargo("docs", &["doc", "-p", "ari-sdk", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"),
        Step::xtask("native-tls", &["native-tls"]),
        Step::xtask("msrv", &["msrv"]),
        Step::xtask("package", &["package"]),
    ];
    for server in Server::ALL {
        steps.extend(live_steps(server));
    }
    steps
}

/// The live part against one sandbox Asterisk: start it, the live suite, the isolated tests, the
/// coverage line (`live coverage (Asterisk 16.28.0): …`), the demo (on the default server), and
/// stop it (also after a failure). Every step names the server in `ARI_SANDBOX_ASTERISK`, so the
/// settings file, the fault tests' restarts and the coverage records are that server's.
#[rustfmt::skip]
fn live_steps(server: Server) -> Vec<Step> {
    let v = server.name();
    let settings = crate::workspace_root().join(".sandbox").join(server.settings_file());
    let coverage = xtask::live_coverage::coverage_dir().join(format!("asterisk-{v}"));
    let coverage_env = xtask::live_coverage::DIR_ENV;
    let with = |step: Step| step.env(SERVER_ENV, v).env(xtask::settings::SETTINGS_ENV, &settings).env(coverage_env, &coverage);
    let mut steps = vec![
        with(Step::xtask(format!("asterisk up ({v})"), &["asterisk", "up"])),
        with(Step::xtask(format!("live coverage reset ({v})"), &["live-coverage", "--reset"])),
        with(Step::cargo(format!("live tests ({v})"), &["test", "-p", "ari-live-tests", "--", "--test-threads=4", "--show-output", "--skip", "isolated::", "--skip", "the_ivr_example_", "--skip", "asterisk_demands_exactly_", "--skip", "one_runner_two_asterisks"])).without_env(TARGET_ENV).sandbox_log_on_failure(),
        with(Step::cargo(format!("live isolated tests ({v})"), &["test", "-p", "ari-live-tests", "--test", "isolated", "--", "--test-threads=1", "--show-output"])).without_env(TARGET_ENV).sandbox_log_on_failure(),
    ];
    if server == Server::default() {
        // REST over WebSocket came with 20.14/21.9/22.4: the operations suite once more over the
        // event socket, on the default server only, with its records in their own directory.
        let websocket_coverage = coverage.join(xtask::live_coverage::WEBSOCKET);
        // What the server demands of each operation called with no optional parameter, and the IVR example on
        // its three paths (key 1, key 2, no key).
        steps.push(with(Step::cargo(format!("live required-parameter sweep ({v})"), &["test", "-p", "ari-live-tests", "--test", "required_params", "--", "--nocapture"])).without_env(TARGET_ENV).sandbox_log_on_failure());
        steps.push(Step::cargo("ivr example: build", &["build", "-p", "ari-sdk", "--example", "ivr"]));
        steps.push(with(Step::cargo(format!("ivr example: live, key 1, key 2, no key ({v})"), &["test", "-p", "ari-live-tests", "--test", "ivr_example", "--", "--nocapture"])).without_env(TARGET_ENV).sandbox_log_on_failure());
        steps.push(with(Step::cargo(format!("live tests (REST over WebSocket, {v})"), &["test", "-p", "ari-live-tests", "--test", "operations", "--", "--test-threads=4", "--show-output"])).env(coverage_env, &websocket_coverage).env("ARI_TRANSPORT", "websocket").without_env(TARGET_ENV).sandbox_log_on_failure());
        steps.push(with(Step::xtask(format!("live coverage ({v})"), &["live-coverage", "--websocket"])));
        // One application runner on two Asterisks at once: the other sandbox comes up beside this one (its own
        // live steps follow, and stop it).
        let other = Server::ALL.into_iter().find(|s| *s != server).unwrap_or(server);
        let other_settings = crate::workspace_root().join(".sandbox").join(other.settings_file());
        steps.push(Step::xtask(format!("asterisk up ({}, beside {v})", other.name()), &["asterisk", "up"]).env(SERVER_ENV, other.name()).env(xtask::settings::SETTINGS_ENV, &other_settings));
        steps.push(with(Step::cargo(format!("live: one runner, two Asterisks ({v} + {})", other.name()), &["test", "-p", "ari-live-tests", "--test", "two_servers", "--", "--nocapture"])).env("ARI_SECOND_SANDBOX_SETTINGS", &other_settings).without_env(TARGET_ENV).sandbox_log_on_failure());
        steps.push(with(Step::xtask("demo", &["demo"])).without_env(TARGET_ENV));
        steps.push(with(Step::xtask("demo (REST over WebSocket)", &["demo", "--transport", "websocket"])).without_env(TARGET_ENV));
        steps.push(with(Step::xtask("demo (outbound WebSocket)", &["demo", "--outbound"])).without_env(TARGET_ENV));
    } else {
        steps.push(with(Step::xtask(format!("live coverage ({v})"), &["live-coverage"])));
    }
    steps.push(with(Step::xtask(format!("asterisk down ({v})"), &["asterisk", "down"])).always());
    steps
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
    NotRun,
}

/// Runs every step and prints a summary; fails if any step failed.
pub fn run(args: TestArgs) -> Result<()> {
    let started = Instant::now();
    let workspace = crate::workspace_root();
    let xtask_exe = std::env::current_exe().context("locating the xtask binary")?;
    let steps = steps();
    let mut results: Vec<(&str, Outcome, Duration)> = Vec::new();
    let mut failed = false;

    // Ctrl-C (or SIGTERM/SIGHUP) reaches the running step, which stops; this process lives on
    // to run the cleanup steps, so no sandbox Asterisk is left behind.
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = Arc::clone(&interrupted);
        ctrlc::set_handler(move || {
            if !interrupted.swap(true, Ordering::SeqCst) {
                eprintln!("\n==> interrupted: skipping to the cleanup steps");
            }
        })
        .context("installing the interrupt handler")?;
    }

    for step in &steps {
        let stop = failed && !args.keep_going || interrupted.load(Ordering::SeqCst);
        if stop && !step.cleanup {
            results.push((&step.name, Outcome::NotRun, Duration::ZERO));
            continue;
        }
        let step_started = Instant::now();
        if let Some(reason) = &step.skip {
            println!("\n==> {}: skipped ({reason})", step.name);
            results.push((&step.name, Outcome::Skipped(reason.clone()), Duration::ZERO));
            continue;
        }
        if let Some(probe) = &step.only_if_xtask {
            let available = Command::new(&xtask_exe)
                .args(probe)
                .current_dir(&workspace)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !available {
                let reason = format!(
                    "`cargo xtask {}` is not available yet",
                    probe
                        .iter()
                        .filter(|a| !a.starts_with('-'))
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                println!("\n==> {}: skipped ({reason})", step.name);
                results.push((&step.name, Outcome::Skipped(reason), Duration::ZERO));
                continue;
            }
        }
        let mut command = match step.program {
            Program::Cargo => crate::demo::cargo(),
            Program::Xtask => Command::new(&xtask_exe),
        };
        command.args(&step.args).current_dir(&workspace);
        for key in &step.env_removed {
            command.env_remove(key);
        }
        for (key, value) in &step.env {
            command.env(key, value);
        }
        let shown = step
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let prefix = match step.program {
            Program::Cargo => "cargo",
            Program::Xtask => "cargo xtask",
        };
        let env_shown: String = step
            .env
            .iter()
            .map(|(k, v)| format!("{k}={:?} ", v.to_string_lossy()))
            .collect();
        println!("\n==> {}: {env_shown}{prefix} {shown}", step.name);
        let outcome = match command.status() {
            Ok(status) if status.success() => Outcome::Passed,
            Ok(status) => Outcome::Failed(format!("exited with {status}")),
            Err(err) => Outcome::Failed(format!("could not start: {err}")),
        };
        let elapsed = step_started.elapsed();
        match &outcome {
            Outcome::Passed => println!("==> {}: ok in {:.1} s", step.name, elapsed.as_secs_f64()),
            Outcome::Failed(why) => {
                failed = true;
                println!(
                    "==> {}: FAILED ({why}) after {:.1} s",
                    step.name,
                    elapsed.as_secs_f64()
                );
                if step.show_sandbox_log {
                    let settings = step
                        .env
                        .iter()
                        .find(|(k, _)| *k == xtask::settings::SETTINGS_ENV)
                        .map(|(_, v)| std::path::PathBuf::from(v));
                    print_sandbox_log(settings);
                }
            }
            _ => {}
        }
        results.push((&step.name, outcome, elapsed));
    }

    println!("\n==> summary");
    let width = results
        .iter()
        .map(|(name, ..)| name.len())
        .max()
        .unwrap_or(0);
    let (mut ok, mut bad, mut skipped) = (0, 0, 0);
    for (name, outcome, elapsed) in &results {
        let (label, detail) = match outcome {
            Outcome::Passed => {
                ok += 1;
                ("ok", format!("{:>7.1} s", elapsed.as_secs_f64()))
            }
            Outcome::Failed(why) => {
                bad += 1;
                ("FAILED", format!("{:>7.1} s  {why}", elapsed.as_secs_f64()))
            }
            Outcome::Skipped(why) => {
                skipped += 1;
                ("skipped", format!("          {why}"))
            }
            Outcome::NotRun => (
                "not run",
                "          after an earlier failure or an interrupt".to_owned(),
            ),
        };
        println!("    {label:<8} {name:<width$} {detail}");
    }
    println!(
        "==> cargo xtask test: {ok} steps ok, {bad} failed, {skipped} skipped; {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
    if bad > 0 {
        bail!("{bad} step(s) failed");
    }
    if interrupted.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

/// Prints the end of the sandbox Asterisk's log, if a sandbox is recorded (in the settings file
/// `path`, else the default one).
fn print_sandbox_log(path: Option<std::path::PathBuf>) {
    let text = std::fs::read_to_string(path.unwrap_or_else(xtask::settings::settings_path));
    let Some(settings) = text
        .ok()
        .and_then(|t| serde_json::from_str::<xtask::settings::SandboxSettings>(&t).ok())
    else {
        return;
    };
    let path = settings.log_dir.join("messages.log");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    println!(
        "==> last lines of the sandbox Asterisk's log {}:",
        path.display()
    );
    for line in &lines[lines.len().saturating_sub(60)..] {
        println!("    {line}");
    }
}
