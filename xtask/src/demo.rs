//! `cargo xtask demo`: the demo Stasis application (`ari-sdk/examples/demo.rs`) against a real
//! Asterisk.
//!
//! Without `ARI_URL` it starts this workspace's sandbox Asterisk (building the cached root on
//! the first run, with a progress line), runs the demo against it, and stops it again — also
//! when the demo fails or is interrupted. A sandbox that was already running is used and left
//! running. With `ARI_URL` (and `ARI_USER`, `ARI_PASSWORD`) set, the demo runs against that
//! Asterisk and no sandbox is involved. The exit status is the demo's.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::asterisk;

/// Exit status after an interrupt (as a shell reports SIGINT).
const INTERRUPTED: i32 = 130;

/// Runs the demo; returns its exit status.
/// `transport` (`http` or `websocket`) reaches the demo as `ARI_TRANSPORT`; with `outbound` the sandbox
/// Asterisk is configured to connect to the demo (see [`run_on_sandbox`]).
pub fn run(transport: &str, outbound: bool) -> Result<i32> {
    let started = Instant::now();
    let interrupt = Interrupt::install()?;

    // Build first: a compile error needs no Asterisk, and the run below starts at once.
    println!("demo: building the demo (cargo build -p ari-sdk --example demo)");
    let built = cargo()
        .args(["build", "-p", "ari-sdk", "--example", "demo"])
        .status()
        .context("starting cargo build")?;
    if interrupt.happened() {
        return Ok(INTERRUPTED);
    }
    if !built.success() {
        bail!("building the demo failed ({built})");
    }

    let external = std::env::var_os("ARI_URL").filter(|url| !url.is_empty());
    let code = if let Some(url) = external {
        println!(
            "demo: ARI_URL is set: running against {} (no sandbox)",
            url.to_string_lossy()
        );
        if outbound {
            bail!("`cargo xtask demo --outbound` configures the sandbox Asterisk to connect to the demo: unset ARI_URL");
        }
        run_demo(Vec::new(), transport, &interrupt)?
    } else {
        with_sandbox(transport, outbound, &interrupt)?
    };
    let verdict = match code {
        0 => "ok".to_owned(),
        INTERRUPTED => "interrupted".to_owned(),
        code => format!("FAILED (exit status {code})"),
    };
    println!(
        "demo: {verdict} — {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
    Ok(code)
}

/// Runs the demo against this workspace's sandbox Asterisk, starting and stopping it unless it
/// was already running.
fn with_sandbox(transport: &str, outbound: bool, interrupt: &Interrupt) -> Result<i32> {
    if !rustix::process::geteuid().is_root() {
        bail!(
            "`cargo xtask demo` starts the sandbox Asterisk, which needs root (debootstrap and \
             chroot): run it as root, or point it at another Asterisk with ARI_URL, ARI_USER and \
             ARI_PASSWORD"
        );
    }
    if let Some(settings) = asterisk::running()? {
        println!(
            "demo: this workspace's sandbox Asterisk is already running (pid {}): using it, and \
             leaving it running",
            settings.pid
        );
        return run_on_sandbox(&settings, transport, outbound, interrupt);
    }

    println!(
        "demo: starting the sandbox Asterisk (the first run builds its cached Debian root: \
         1–2 minutes)"
    );
    let up = asterisk::up();
    let code = match &up {
        Ok(()) if !interrupt.happened() => match xtask::settings::read_settings() {
            Ok(Some(settings)) => run_on_sandbox(&settings, transport, outbound, interrupt),
            Ok(None) => Err(anyhow::anyhow!(
                "the sandbox started but wrote no settings file ({})",
                xtask::settings::settings_path().display()
            )),
            Err(err) => Err(err),
        },
        Ok(()) => Ok(INTERRUPTED),
        Err(_) => Ok(if interrupt.happened() { INTERRUPTED } else { 1 }),
    };

    println!("demo: stopping the sandbox Asterisk");
    let down = asterisk::down();
    up.context("starting the sandbox Asterisk")?;
    let code = code?;
    down.context("stopping the sandbox Asterisk")?;
    Ok(code)
}

/// The ARI-side name of the demo's outbound connection (websocket_client and outbound_websocket sections).
const OUTBOUND_ID: &str = "ari-sdk-demo-outbound";
/// The Stasis application the outbound connection serves.
const OUTBOUND_APP: &str = "ari-sdk-demo-outbound";
/// The user Asterisk authenticates with at the demo's listener.
const OUTBOUND_USER: &str = "ari-sdk-demo";

/// Runs the demo on the sandbox. With `outbound`: picks a free port on 127.0.0.1, configures the sandbox's
/// outbound WebSocket (persistent, to that port, with fresh credentials) and reloads res_websocket_client and
/// res_ari, runs the demo listening there (`ARI_OUTBOUND_LISTEN`, `ARI_OUTBOUND_USER`,
/// `ARI_OUTBOUND_PASSWORD`), and removes the configuration again.
fn run_on_sandbox(
    settings: &xtask::settings::SandboxSettings,
    transport: &str,
    outbound: bool,
    interrupt: &Interrupt,
) -> Result<i32> {
    if !outbound {
        return run_demo(sandbox_env(settings), transport, interrupt);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("finding a free port for the demo's listener")?
        .port();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let password = format!("{nanos:x}{:x}", std::process::id());
    let uri = format!("ws://127.0.0.1:{port}/demo");
    println!("demo: the sandbox Asterisk will connect to the demo at {uri} (outbound WebSocket, persistent)");
    settings.write_outbound_config(
        &asterisk::websocket_client_section(
            OUTBOUND_ID,
            &uri,
            "persistent",
            OUTBOUND_USER,
            &password,
            "reconnect_interval = 200\n",
        ),
        &asterisk::outbound_websocket_section(OUTBOUND_ID, OUTBOUND_APP, &settings.user),
    )?;
    reload_outbound_modules(settings)?;
    let mut env = sandbox_env(settings);
    env.extend([
        ("ARI_APP", OUTBOUND_APP.into()),
        ("ARI_OUTBOUND_LISTEN", format!("127.0.0.1:{port}").into()),
        ("ARI_OUTBOUND_USER", OUTBOUND_USER.into()),
        ("ARI_OUTBOUND_PASSWORD", password.into()),
    ]);
    let code = run_demo(env, "websocket", interrupt);
    let cleared = settings
        .write_outbound_config("", "")
        .and_then(|()| reload_outbound_modules(settings));
    let code = code?;
    cleared.context("removing the demo's outbound configuration")?;
    Ok(code)
}

/// Reloads res_websocket_client and res_ari through ARI, so they read the outbound configuration.
fn reload_outbound_modules(settings: &xtask::settings::SandboxSettings) -> Result<()> {
    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(20))
        .build()?;
    for module in ["res_websocket_client.so", "res_ari.so"] {
        let response = http
            .put(format!("{}/asterisk/modules/{module}", settings.url))
            .basic_auth(&settings.user, Some(&settings.password))
            .send()
            .with_context(|| format!("reloading {module}"))?;
        if !response.status().is_success() {
            bail!("reloading {module}: HTTP {}", response.status());
        }
    }
    Ok(())
}

/// The variables that point the demo at the sandbox.
fn sandbox_env(settings: &xtask::settings::SandboxSettings) -> Vec<(&'static str, OsString)> {
    vec![
        ("ARI_URL", settings.url.clone().into()),
        ("ARI_USER", settings.user.clone().into()),
        ("ARI_PASSWORD", settings.password.clone().into()),
        ("ARI_CONTEXT", settings.dialplan_context.clone().into()),
    ]
}

/// `cargo run -q -p ari-sdk --example demo` with `env` added; returns its exit status.
fn run_demo(
    env: Vec<(&'static str, OsString)>,
    transport: &str,
    interrupt: &Interrupt,
) -> Result<i32> {
    if interrupt.happened() {
        return Ok(INTERRUPTED);
    }
    println!("demo: cargo run -q -p ari-sdk --example demo\n");
    let mut command = cargo();
    command.args(["run", "-q", "-p", "ari-sdk", "--example", "demo"]);
    command.envs(env).env("ARI_TRANSPORT", transport);
    let mut child = command.spawn().context("starting cargo run")?;
    // `cargo run` execs the example in its place: this pid becomes the demo's.
    interrupt.child.store(child.id(), Ordering::SeqCst);
    let status = child.wait();
    interrupt.child.store(0, Ordering::SeqCst);
    println!();
    Ok(exit_code(status.context("waiting for the demo")?))
}

fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    }
}

/// A cargo command in the workspace, without the variables `cargo run` set for this process
/// (`CARGO_MANIFEST_DIR` & co.): build scripts that watch them (ring's does) would otherwise
/// rebuild after every plain `cargo build`, and the other way round.
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(crate::workspace_root());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let set_by_cargo_run = key.starts_with("CARGO_PKG_")
            || matches!(
                &*key,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if set_by_cargo_run {
            command.env_remove(&*key);
        }
    }
    command
}

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP: remembered, so the sandbox is still stopped, and passed
/// on to the running demo as SIGINT, which makes it clean up and exit (a Ctrl-C on the terminal
/// reaches it directly as well; a second one changes nothing).
struct Interrupt {
    flag: Arc<AtomicBool>,
    child: Arc<AtomicU32>,
}

impl Interrupt {
    fn install() -> Result<Self> {
        let flag = Arc::new(AtomicBool::new(false));
        let child = Arc::new(AtomicU32::new(0));
        {
            let (flag, child) = (Arc::clone(&flag), Arc::clone(&child));
            ctrlc::set_handler(move || {
                if !flag.swap(true, Ordering::SeqCst) {
                    eprintln!("\ndemo: interrupted — stopping the demo, then the sandbox");
                }
                let pid = child.load(Ordering::SeqCst);
                if let Some(pid) = i32::try_from(pid)
                    .ok()
                    .and_then(rustix::process::Pid::from_raw)
                {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
                }
            })
            .context("installing the interrupt handler")?;
        }
        Ok(Interrupt { flag, child })
    }

    fn happened(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}
