//! `cargo xtask asterisk up|down|status|restart|freeze|thaw`: a real Asterisk for the live tests.
//!
//! [`restart`], [`freeze`] and [`thaw`] are also called by the live fault tests.
//!
//! Asterisk comes from Debian unstable's packages in a cached debootstrap root (see `root.rs`),
//! outside the clone: `$ARI_SANDBOX_CACHE`, default `/var/cache/ari-sdk`. Each workspace runs
//! its own instance in that root (own configuration, port, run/spool/log/database
//! directories; see `config.rs`), so sibling clones can test at the same time. The instance is
//! `chroot <root> /usr/sbin/asterisk -f -U asterisk -G asterisk -C <its asterisk.conf>`, started
//! detached; its pid and passwords are kept in `<cache>/instances/<name>.json` (root only).
//!
//! Environment: `ARI_SANDBOX_CACHE` (cache directory), `ARI_SANDBOX_PORT` (fixed HTTP port
//! instead of a free one), `ARI_SANDBOX_MIRROR` (debootstrap mirror), `ARI_SANDBOX_SETTINGS`
//! (where the connection settings for the tests go; default `.sandbox/ari.json`).
//!
//! The commands are here; the instance's files, state and start in `instance.rs`, readiness
//! checks in `health.rs`, stopping in `stop.rs`, port choice in `ports.rs`.

mod config;
mod health;
mod instance;
pub use config::{
    outbound_websocket_section, websocket_client_section, OUTBOUND_ARI_CONF, OUTBOUND_CLIENT_CONF,
};
mod ports;
mod process;
mod progress;
#[cfg(test)]
mod readme_dialplan;
mod root;
pub mod server;
mod stop;

pub use server::{Server, SERVER_ENV};

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::settings::{settings_path, SandboxSettings};
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use rustix::process::Signal;
use serde::{Deserialize, Serialize};

use health::{
    get_json, http_client, ping, report_module_problems, wait_until_ready, START_TIMEOUT,
};
use instance::{
    config_fingerprint, now_unix, prepare_instance_dir, random_hex, spawn_asterisk, write_private,
};
use ports::{choose_port, choose_sip_ports, port_of};
use process::{is_alive, is_root, proc_stat, processes_with_arg, tail, unmount_all_under};
use stop::{stop_instance, stop_strays, wait_gone, wait_vanished};

/// `cargo xtask asterisk [--asterisk 22|16] <command>`.
#[derive(clap::Args)]
pub struct AsteriskArgs {
    /// Which sandbox Asterisk: 22 (22.10.1, Debian sid; the default) or 16 (16.28.0, Debian
    /// bullseye). Default: `ARI_SANDBOX_ASTERISK`, else 22.
    #[arg(long, global = true, value_enum)]
    pub asterisk: Option<Server>,
    /// What to do.
    #[command(subcommand)]
    pub command: AsteriskCommand,
}

/// Subcommands of `cargo xtask asterisk`.
#[derive(Subcommand)]
pub enum AsteriskCommand {
    /// Start this workspace's sandbox Asterisk (building the cached root if needed) and write
    /// the connection settings the live tests read. A second `up` reports the running one.
    Up,
    /// Stop this workspace's sandbox Asterisk; check that no process and no mount is left.
    Down,
    /// Show version, URL and uptime of this workspace's sandbox Asterisk.
    Status,
    /// Kill the running sandbox Asterisk (SIGKILL, like a crash) and start it again at once with the same
    /// configuration, port and passwords; waits until it answers ARI pings.
    Restart,
    /// Freeze the running sandbox Asterisk with SIGSTOP (its sockets stay open but nothing answers).
    Freeze,
    /// Resume a frozen sandbox Asterisk with SIGCONT.
    Thaw,
}

/// Runs one `asterisk` subcommand (for the server `--asterisk` names, which then also holds for
/// everything this process does).
pub fn run(args: AsteriskArgs) -> Result<()> {
    if let Some(server) = args.asterisk {
        std::env::set_var(SERVER_ENV, server.name());
    }
    match args.command {
        AsteriskCommand::Up => up(),
        AsteriskCommand::Down => down(),
        AsteriskCommand::Status => status(),
        AsteriskCommand::Restart => {
            let restarted = restart()?;
            let client = http_client()?;
            let settings = crate::settings::read_settings()?.context("no settings file")?;
            let deadline = Instant::now() + START_TIMEOUT;
            while ping(&client, &settings).is_err() {
                if Instant::now() >= deadline {
                    bail!(
                        "the restarted Asterisk (pid {}) does not answer ARI pings; see {}",
                        restarted.pid,
                        restarted.log_dir.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            println!(
                "asterisk restart: pid {} stopped, pid {} answers ARI pings {:.2} s after the restart",
                restarted.old_pid,
                restarted.pid,
                restarted.started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        AsteriskCommand::Freeze => {
            let pid = freeze()?;
            println!("asterisk freeze: sent SIGSTOP to pid {pid}");
            Ok(())
        }
        AsteriskCommand::Thaw => {
            let pid = thaw()?;
            println!("asterisk thaw: sent SIGCONT to pid {pid}");
            Ok(())
        }
    }
}

/// What [`restart`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Restarted {
    /// The process that was stopped.
    pub old_pid: u32,
    /// The process started in its place.
    pub pid: u32,
    /// When the new process was started (it answers shortly after).
    pub started: Instant,
    /// The instance's log directory, for messages when the new process does not come up.
    pub log_dir: PathBuf,
}

/// Kills this workspace's running sandbox Asterisk (SIGKILL: a crash, its connections reset by the kernel) and
/// starts it again at once with the same configuration, port and passwords, like a service manager restarting a
/// crashed server. (A SIGTERM shutdown does not close ARI WebSockets gracefully either, and takes from half a
/// second to several.) Updates the recorded pid (state and settings files). Returns as soon as the
/// new process is started, without waiting for it to answer, so a caller can measure how it comes back.
///
/// Needs root, like `cargo xtask asterisk up`, and a running sandbox.
pub fn restart() -> Result<Restarted> {
    let (sandbox, _lock) = Sandbox::locked("restart")?;
    let mut state = running_state(&sandbox)?;
    let old_pid = state.pid;
    // SIGKILL works on a frozen process too; the kernel resets its connections.
    process::send_signal(old_pid, Signal::KILL);
    if !wait_gone(old_pid, state.start_ticks, Duration::from_secs(10)) {
        bail!("could not stop Asterisk pid {old_pid} for the restart");
    }
    // The main thread is a zombie before the other threads have exited and closed the sockets: wait until the
    // HTTP port is free, or the new process could not bind it.
    let port = port_of(&state.settings.url)
        .with_context(|| format!("no port in the sandbox URL {}", state.settings.url))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        if Instant::now() >= deadline {
            bail!("port {port} still answers 10 s after Asterisk pid {old_pid} was killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out_path = sandbox.log_dir().join("asterisk.out");
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)
        .with_context(|| format!("opening {}", out_path.display()))?;
    let started = Instant::now();
    let child = spawn_asterisk(&sandbox, &state.config, out)?;
    let pid = child.id();
    state.pid = pid;
    state.start_ticks = proc_stat(pid).map(|s| s.start_ticks).unwrap_or(0);
    state.started_unix = now_unix();
    state.settings.pid = pid;
    sandbox.write_state(&state)?;
    write_settings(&state.settings)?;
    Ok(Restarted {
        old_pid,
        pid,
        started,
        log_dir: sandbox.log_dir(),
    })
}

/// Freezes this workspace's running sandbox Asterisk with SIGSTOP: its sockets stay open, the kernel still
/// accepts connections, but nothing answers (a half-open peer). Returns its pid. Undo with [`thaw`];
/// `cargo xtask asterisk down` thaws before stopping.
pub fn freeze() -> Result<u32> {
    signal_running("freeze", Signal::STOP)
}

/// Resumes a sandbox Asterisk frozen by [`freeze`] (SIGCONT). Returns its pid.
pub fn thaw() -> Result<u32> {
    signal_running("thaw", Signal::CONT)
}

fn signal_running(what: &str, signal: Signal) -> Result<u32> {
    require_root(what)?;
    let sandbox = Sandbox::from_env()?;
    let state = running_state(&sandbox)?;
    process::send_signal(state.pid, signal);
    Ok(state.pid)
}

/// The recorded state of the running instance, or an error saying how to start one.
fn running_state(sandbox: &Sandbox) -> Result<State> {
    match sandbox.read_state()? {
        Some(state) if is_alive(state.pid, state.start_ticks) => Ok(state),
        _ => bail!(
            "no sandbox Asterisk is running for this workspace (instance {}); start one with \
             `cargo xtask asterisk up`",
            sandbox.instance
        ),
    }
}

fn require_root(what: &str) -> Result<()> {
    if !is_root() {
        bail!(
            "`cargo xtask asterisk {what}` must run as root: it builds a Debian root with \
             debootstrap and runs Asterisk in it with chroot. Run it as root (e.g. `sudo -E cargo \
             xtask asterisk {what}`), or point the live tests at another Asterisk with \
             ARI_URL, ARI_USER and ARI_PASSWORD."
        );
    }
    Ok(())
}

/// Where things are for this workspace's instance.
struct Sandbox {
    server: Server,
    cache: PathBuf,
    root: PathBuf,
    instance: String,
    workspace: PathBuf,
}

/// The running instance, as recorded by `up` (root-only file: it holds the passwords).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    pid: u32,
    start_ticks: u64,
    started_unix: u64,
    /// `asterisk.conf` of the instance, as Asterisk sees it (its `-C` argument).
    config: String,
    /// The workspace that started it.
    workspace: PathBuf,
    /// The root it runs in (absent in state files of older `up`s: the sid root).
    #[serde(default)]
    root: Option<PathBuf>,
    /// [`config_fingerprint`] of the configuration it was started with (absent in state files of
    /// older `up`s: such an instance counts as stale).
    #[serde(default)]
    config_fingerprint: Option<String>,
    settings: SandboxSettings,
}

/// `cargo xtask asterisk up`: starts this workspace's sandbox Asterisk (building the cached root
/// first if needed) and writes the settings file; reports a running one instead.
pub fn up() -> Result<()> {
    let started = Instant::now();
    let (sandbox, _lock) = Sandbox::locked("up")?;
    let client = http_client()?;

    // No root yet: no instance can run from it either.
    let fingerprint = root::module_dir(&sandbox.root).ok().and_then(|module_dir| {
        let modules = root::available_modules(&sandbox.root, &module_dir).ok()?;
        Some(config_fingerprint(&sandbox, &module_dir, &modules))
    });
    if let Some(state) = sandbox.read_state()? {
        let stale = fingerprint.is_none() || state.config_fingerprint != fingerprint;
        if is_alive(state.pid, state.start_ticks) && stale {
            println!(
                "asterisk up: instance {} (pid {}) runs a configuration this workspace no longer \
                 writes; restarting it",
                sandbox.instance, state.pid
            );
            stop_instance(&sandbox, &state)?;
        } else if is_alive(state.pid, state.start_ticks) {
            if ping(&client, &state.settings).is_ok() {
                write_settings(&state.settings)?;
                println!(
                    "asterisk up: already running (instance {}, pid {}, up {}) — nothing to do",
                    sandbox.instance,
                    state.pid,
                    format_duration(now_unix().saturating_sub(state.started_unix))
                );
                print_connection(&state.settings);
                println!(
                    "asterisk up: done in {:.2} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            println!(
                "asterisk up: pid {} does not answer ARI pings; stopping it and starting afresh",
                state.pid
            );
            stop_instance(&sandbox, &state)?;
        }
        std::fs::remove_file(sandbox.state_path()).ok();
    }

    let port = choose_port()?;
    let sip_ports = choose_sip_ports()?;
    let (marker, built) = root::ensure_root(
        &sandbox.cache,
        &sandbox.root,
        sandbox.root_in_use(),
        sandbox.server,
    )?;
    if !built {
        println!(
            "asterisk up: reusing the sandbox root {} (asterisk {})",
            sandbox.root.display(),
            marker.asterisk_package
        );
    }
    let module_dir = root::module_dir(&sandbox.root)?;
    let modules = root::available_modules(&sandbox.root, &module_dir)?;

    // Anything still running with this instance's configuration lost its state file: stop it.
    stop_strays(&sandbox.config_inside())?;

    let password = random_hex(16)?;
    let read_only_password = random_hex(16)?;
    prepare_instance_dir(
        &sandbox,
        &module_dir,
        &modules,
        port,
        sip_ports,
        &password,
        &read_only_password,
    )?;

    let config = sandbox.config_inside();
    let out_path = sandbox.log_dir().join("asterisk.out");
    let out =
        File::create(&out_path).with_context(|| format!("creating {}", out_path.display()))?;
    let mut child = spawn_asterisk(&sandbox, &config, out)?;
    let pid = child.id();
    let start_ticks = proc_stat(pid).map(|s| s.start_ticks).unwrap_or(0);
    let mut settings = SandboxSettings {
        url: format!("http://127.0.0.1:{port}/ari"),
        user: config::ARI_USER.to_owned(),
        password,
        read_only_user: config::ARI_READ_ONLY_USER.to_owned(),
        read_only_password,
        app_prefix: config::APP_PREFIX.to_owned(),
        dialplan_context: config::CONTEXT.to_owned(),
        asterisk_version: String::new(),
        expected_version: sandbox.server.version().to_owned(),
        instance: sandbox.instance.clone(),
        pid,
        log_dir: sandbox.log_dir(),
    };
    let mut state = State {
        pid,
        start_ticks,
        started_unix: now_unix(),
        config: config.clone(),
        workspace: sandbox.workspace.clone(),
        root: Some(sandbox.root.clone()),
        config_fingerprint: Some(config_fingerprint(&sandbox, &module_dir, &modules)),
        settings: settings.clone(),
    };
    sandbox.write_state(&state)?;

    let ready = wait_until_ready(&sandbox, &client, &mut child, &settings, port);
    let info = match ready {
        Ok(info) => info,
        Err(err) => {
            // Leave nothing behind: stop what was started, then report with the log.
            let _ = stop_instance(&sandbox, &state);
            std::fs::remove_file(sandbox.state_path()).ok();
            return Err(err);
        }
    };
    let _ = child.try_wait();
    settings.asterisk_version = info;
    state.settings = settings.clone();
    sandbox.write_state(&state)?;
    write_settings(&settings)?;

    report_module_problems(&sandbox.log_dir().join("messages.log"));
    if !settings
        .asterisk_version
        .starts_with(sandbox.server.version())
    {
        println!(
            "asterisk up: WARNING: Asterisk reports {} but the sandbox is meant to run {}; \
             the live tests will say so",
            settings.asterisk_version,
            sandbox.server.version()
        );
    }
    println!(
        "asterisk up: Asterisk {} ready on 127.0.0.1:{port} (instance {}, pid {pid})",
        settings.asterisk_version, sandbox.instance
    );
    print_connection(&settings);
    println!(
        "asterisk up: done in {:.2} s ({})",
        started.elapsed().as_secs_f64(),
        if built {
            "cold: root built"
        } else {
            "warm: cached root"
        }
    );
    Ok(())
}

/// `cargo xtask asterisk down`: stops this workspace's sandbox Asterisk and checks that no process
/// and no mount of it is left.
pub fn down() -> Result<()> {
    let started = Instant::now();
    let (sandbox, _lock) = Sandbox::locked("down")?;
    let state = sandbox.read_state()?;
    match &state {
        Some(state) => {
            stop_instance(&sandbox, state)?;
            wait_vanished(state.pid, state.start_ticks);
            println!(
                "asterisk down: stopped Asterisk pid {} (instance {})",
                state.pid, sandbox.instance
            );
        }
        None => println!(
            "asterisk down: no sandbox Asterisk was recorded for this workspace (instance {})",
            sandbox.instance
        ),
    }
    stop_strays(&sandbox.config_inside())?;
    std::fs::remove_file(sandbox.state_path()).ok();
    if let Ok(Some(settings)) = crate::settings::read_settings() {
        if settings.instance == sandbox.instance {
            std::fs::remove_file(settings_path()).ok();
        }
    }

    // Verify: nothing of this instance runs, nothing is mounted below the cache.
    let left = processes_with_arg(&sandbox.config_inside());
    if !left.is_empty() {
        bail!("processes of this sandbox are still running: {left:?}");
    }
    unmount_all_under(&sandbox.cache)?;
    println!(
        "asterisk down: done in {:.2} s; no Asterisk process of this instance and no mount under {} left",
        started.elapsed().as_secs_f64(),
        sandbox.cache.display()
    );
    Ok(())
}

fn status() -> Result<()> {
    require_root("status")?;
    let sandbox = Sandbox::from_env()?;
    let Some(state) = sandbox.read_state()? else {
        bail!(
            "no sandbox Asterisk is running for this workspace (instance {}); start one with \
             `cargo xtask asterisk up`",
            sandbox.instance
        );
    };
    if !is_alive(state.pid, state.start_ticks) {
        bail!(
            "the sandbox Asterisk (pid {}) is gone; `cargo xtask asterisk up` starts a new one \
             (last log lines:\n{})",
            state.pid,
            tail(&sandbox.log_dir().join("messages.log"), 20)
        );
    }
    let client = http_client()?;
    let settings = &state.settings;
    let info = get_json(&client, settings, "asterisk/info")
        .context("Asterisk runs but ARI does not answer")?;
    let version = info
        .pointer("/system/version")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("?");
    let startup = info
        .pointer("/status/startup_time")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("?");
    println!(
        "Asterisk {version} (instance {}, pid {})",
        sandbox.instance, state.pid
    );
    println!("URL:      {}", settings.url);
    println!(
        "Users:    {} (read/write), {} (read-only)",
        settings.user, settings.read_only_user
    );
    println!(
        "Uptime:   {} (started {startup})",
        format_duration(now_unix().saturating_sub(state.started_unix))
    );
    println!("Settings: {}", settings_path().display());
    println!("Logs:     {}", sandbox.log_dir().display());
    println!("Root:     {}", sandbox.root.display());
    println!("Started from workspace {}", state.workspace.display());
    Ok(())
}

fn write_settings(settings: &SandboxSettings) -> Result<()> {
    let path = settings_path();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    write_private(&path, &serde_json::to_string_pretty(settings)?)
}

fn print_connection(settings: &SandboxSettings) {
    println!("ARI_URL={}", settings.url);
    println!("ARI_USER={}", settings.user);
    println!("ARI_PASSWORD={}", settings.password);
    println!("ARI_SANDBOX_SETTINGS={}", settings_path().display());
}

fn format_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// This workspace's sandbox Asterisk, if it is running and answers ARI pings: its settings.
/// Needs root (the state file is readable by root only).
pub fn running() -> Result<Option<SandboxSettings>> {
    let sandbox = Sandbox::from_env()?;
    let Some(state) = sandbox.read_state()? else {
        return Ok(None);
    };
    if !is_alive(state.pid, state.start_ticks) {
        return Ok(None);
    }
    let client = http_client()?;
    Ok(ping(&client, &state.settings)
        .is_ok()
        .then_some(state.settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(5), "5s");
        assert_eq!(format_duration(65), "1m 05s");
        assert_eq!(format_duration(3725), "1h 02m 05s");
    }
}
