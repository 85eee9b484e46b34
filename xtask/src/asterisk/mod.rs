//! `cargo xtask asterisk up|down|status|restart|freeze|thaw`: a real Asterisk for the live tests.
//!
//! [`restart`], [`freeze`] and [`thaw`] are also called by the live fault tests.
//!
//! Asterisk comes from Debian unstable's packages in a cached debootstrap root (see [`root`]),
//! outside the clone: `$ARI_SANDBOX_CACHE`, default `/var/cache/ari-sdk`. Each workspace runs
//! its own instance in that root (own configuration, port, run/spool/log/database
//! directories; see [`config`]), so sibling clones can test at the same time. The instance is
//! `chroot <root> /usr/sbin/asterisk -f -U asterisk -G asterisk -C <its asterisk.conf>`, started
//! detached; its pid and passwords are kept in `<cache>/instances/<name>.json` (root only).
//!
//! Environment: `ARI_SANDBOX_CACHE` (cache directory), `ARI_SANDBOX_PORT` (fixed HTTP port
//! instead of a free one), `ARI_SANDBOX_MIRROR` (debootstrap mirror), `ARI_SANDBOX_SETTINGS`
//! (where the connection settings for the tests go; default `.sandbox/ari.json`).

mod config;
pub use config::{
    outbound_websocket_section, websocket_client_section, OUTBOUND_ARI_CONF, OUTBOUND_CLIENT_CONF,
};
mod process;
mod progress;
#[cfg(test)]
mod readme_dialplan;
mod root;
pub mod server;

pub use server::{Server, SERVER_ENV};

use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::settings::{settings_path, SandboxSettings};
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use rustix::process::Signal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use process::{is_alive, is_root, proc_stat, processes_with_arg, tail, unmount_all_under};

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
    require_root("restart")?;
    let sandbox = Sandbox::from_env()?;
    let _lock = sandbox.lock()?;
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

/// The port of `http://127.0.0.1:PORT/ari`.
fn port_of(url: &str) -> Option<u16> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    authority.rsplit_once(':')?.1.parse().ok()
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

/// Starts Asterisk in the root with the instance's configuration, output to `out`, in its own process group (a
/// Ctrl-C meant for cargo does not reach it; `down` stops it).
///
/// Descriptors this process inherited without close-on-exec (e.g. the lock of
/// `flock /tmp/ari-build.lock cargo xtask asterisk up`) would otherwise live as long as Asterisk
/// and keep such a lock held: the root's bash closes every one of them before it execs Asterisk.
fn spawn_asterisk(sandbox: &Sandbox, config: &str, out: File) -> Result<std::process::Child> {
    let script = format!(
        "{}exec /usr/sbin/asterisk -f -U asterisk -G asterisk -C \"$0\"",
        close_inherited_fds()
    );
    let mut command = root::in_root(&sandbox.root, &["/bin/bash", "-c", &script, config]);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .context("starting chroot … /usr/sbin/asterisk")
}

/// `exec N>&- ` for every descriptor above 2 open in this process (the shell ignores ones
/// already closed by close-on-exec).
fn close_inherited_fds() -> String {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return String::new();
    };
    let mut fds: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    fds.sort_unstable();
    fds.iter().map(|fd| format!("exec {fd}>&- ; ")).collect()
}

/// Cache directory override.
const CACHE_ENV: &str = "ARI_SANDBOX_CACHE";
/// Fixed HTTP port override.
const PORT_ENV: &str = "ARI_SANDBOX_PORT";
const DEFAULT_CACHE: &str = "/var/cache/ari-sdk";
/// How long Asterisk may take to answer its first ping.
const START_TIMEOUT: Duration = Duration::from_secs(60);

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

/// What the configuration writer makes of this sandbox, apart from what differs per start
/// (ports, passwords): when it differs from a running instance's, that instance was started by an
/// older configuration writer and `up` restarts it.
fn config_fingerprint(
    sandbox: &Sandbox,
    module_dir: &str,
    modules: &std::collections::BTreeSet<String>,
) -> String {
    let files = config::all_files(
        &sandbox.instance_inside(),
        module_dir,
        0,
        config::SipPorts { a: 0, b: 0 },
        "",
        "",
        modules,
    );
    let mut digest = Sha256::new();
    for (name, text) in files {
        digest.update(name.as_bytes());
        digest.update([0]);
        digest.update(text.as_bytes());
        digest.update([0]);
    }
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Sandbox {
    fn from_env() -> Result<Self> {
        let server = Server::from_env()?;
        let cache = match std::env::var_os(CACHE_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => PathBuf::from(DEFAULT_CACHE),
        };
        if !cache.is_absolute() {
            bail!(
                "{CACHE_ENV} must be an absolute path, not {}",
                cache.display()
            );
        }
        let workspace = crate::workspace_root();
        let canonical = workspace
            .canonicalize()
            .unwrap_or_else(|_| workspace.clone());
        let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
        let instance = format!(
            "ws-{}{}",
            digest[..4]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            server.instance_suffix()
        );
        Ok(Self {
            server,
            root: cache.join(server.root_dir()),
            cache,
            instance,
            workspace,
        })
    }

    /// The instance directory as Asterisk sees it.
    fn instance_inside(&self) -> String {
        format!("/var/lib/ari-sdk/{}", self.instance)
    }

    fn instance_dir(&self) -> PathBuf {
        root::inside(&self.root, &self.instance_inside())
    }

    fn config_inside(&self) -> String {
        format!("{}/etc/asterisk.conf", self.instance_inside())
    }

    fn state_path(&self) -> PathBuf {
        self.cache
            .join("instances")
            .join(format!("{}.json", self.instance))
    }

    fn log_dir(&self) -> PathBuf {
        self.instance_dir().join("log")
    }

    fn read_state(&self) -> Result<Option<State>> {
        read_state_file(&self.state_path())
    }

    fn write_state(&self, state: &State) -> Result<()> {
        let path = self.state_path();
        std::fs::create_dir_all(path.parent().expect("state file has a parent"))?;
        write_private(&path, &serde_json::to_string_pretty(state)?)
    }

    /// Whether any instance (of any workspace) runs from this sandbox's cached root.
    fn root_in_use(&self) -> bool {
        let Ok(entries) = std::fs::read_dir(self.cache.join("instances")) else {
            return false;
        };
        let sid_root = self.cache.join(Server::Asterisk22.root_dir());
        entries.flatten().any(|entry| {
            matches!(read_state_file(&entry.path()), Ok(Some(state))
                if is_alive(state.pid, state.start_ticks)
                    && state.root.as_ref().unwrap_or(&sid_root) == &self.root)
        })
    }

    /// Takes the cache's lock, so concurrent `up`/`down` runs (from any clone) take turns.
    fn lock(&self) -> Result<File> {
        std::fs::create_dir_all(&self.cache)
            .with_context(|| format!("creating the cache directory {}", self.cache.display()))?;
        let path = self.cache.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        use rustix::fs::{flock, FlockOperation};
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            println!("asterisk: waiting for another `cargo xtask asterisk` run to finish…");
            flock(&file, FlockOperation::LockExclusive)
                .with_context(|| format!("locking {}", path.display()))?;
        }
        Ok(file)
    }

    /// A command inside the root talking to this instance's control socket.
    fn remote(&self, config: &str, cli: &str) -> Command {
        let mut command = root::in_root(
            &self.root,
            &["/usr/sbin/asterisk", "-n", "-C", config, "-rx", cli],
        );
        command.stdin(Stdio::null());
        command
    }
}

fn read_state_file(path: &Path) -> Result<Option<State>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(serde_json::from_str(&text).ok()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
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

/// `cargo xtask asterisk up`: starts this workspace's sandbox Asterisk (building the cached root
/// first if needed) and writes the settings file; reports a running one instead.
pub fn up() -> Result<()> {
    let started = Instant::now();
    require_root("up")?;
    let sandbox = Sandbox::from_env()?;
    let _lock = sandbox.lock()?;
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

/// Waits for `GET /asterisk/ping` to answer 200 and for Asterisk to finish booting, checks the
/// modules ARI needs, and returns the version Asterisk reports.
fn wait_until_ready(
    sandbox: &Sandbox,
    client: &reqwest::blocking::Client,
    child: &mut std::process::Child,
    settings: &SandboxSettings,
    port: u16,
) -> Result<String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let mut last_error;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "Asterisk failed to start: it exited ({status}) before answering ARI pings.\n{}",
                log_report(sandbox)
            );
        }
        match ping(client, settings) {
            Ok(()) => break,
            Err(err) => last_error = format!("{err:#}"),
        }
        if Instant::now() >= deadline {
            let busy =
                tail(&sandbox.log_dir().join("messages.log"), 200).contains("Unable to bind");
            let hint = if busy {
                format!("\nIts HTTP server could not bind 127.0.0.1:{port}: the port is busy.")
            } else {
                String::new()
            };
            bail!(
                "Asterisk failed to start: no answer to GET {}/asterisk/ping within {} s \
                 (last: {last_error}).{hint}\n{}",
                settings.url,
                START_TIMEOUT.as_secs(),
                log_report(sandbox)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let (status, output) = process::run_with_timeout(
        &mut sandbox.remote(&sandbox.config_inside(), "core waitfullybooted"),
        Duration::from_secs(30),
    )?;
    if !matches!(status, Some(s) if s.success()) {
        bail!(
            "Asterisk answered pings but did not finish booting (core waitfullybooted: {}).\n{}",
            output.trim(),
            log_report(sandbox)
        );
    }

    let info = get_json(client, settings, "asterisk/info")?;
    let version = info
        .pointer("/system/version")
        .and_then(serde_json::Value::as_str)
        .context("GET /asterisk/info: no system.version")?
        .to_owned();

    let modules = get_json(client, settings, "asterisk/modules")?;
    let running: std::collections::BTreeSet<&str> = modules
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|m| m.get("status").and_then(|s| s.as_str()) == Some("Running"))
                .filter_map(|m| m.get("name").and_then(|n| n.as_str()))
                .map(|n| n.trim_end_matches(".so"))
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&str> = config::REQUIRED_MODULES
        .iter()
        .copied()
        .filter(|m| !running.contains(m))
        .collect();
    if !missing.is_empty() {
        bail!(
            "Asterisk started but these modules the ARI work needs are not running: {}.\n{}",
            missing.join(", "),
            log_report(sandbox)
        );
    }
    Ok(version)
}

/// `cargo xtask asterisk down`: stops this workspace's sandbox Asterisk and checks that no process
/// and no mount of it is left.
pub fn down() -> Result<()> {
    let started = Instant::now();
    require_root("down")?;
    let sandbox = Sandbox::from_env()?;
    let _lock = sandbox.lock()?;
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

/// Stops the recorded process: `core stop now`, then SIGTERM, then SIGKILL.
fn stop_instance(sandbox: &Sandbox, state: &State) -> Result<()> {
    let (pid, ticks) = (state.pid, state.start_ticks);
    if !is_alive(pid, ticks) {
        process::reap(pid);
        return Ok(());
    }
    // A frozen instance (`freeze`, a fault test that failed half-way) answers nothing until resumed.
    process::send_signal(pid, Signal::CONT);
    let _ = process::run_with_timeout(
        &mut sandbox.remote(&state.config, "core stop now"),
        Duration::from_secs(10),
    );
    if wait_gone(pid, ticks, Duration::from_secs(10)) {
        return Ok(());
    }
    println!("asterisk: pid {pid} ignored `core stop now`; sending SIGTERM");
    process::send_signal(pid, Signal::TERM);
    if wait_gone(pid, ticks, Duration::from_secs(5)) {
        return Ok(());
    }
    println!("asterisk: pid {pid} ignored SIGTERM; sending SIGKILL");
    process::send_signal(pid, Signal::KILL);
    if wait_gone(pid, ticks, Duration::from_secs(5)) {
        return Ok(());
    }
    bail!("could not stop Asterisk pid {pid}")
}

/// After the process ended: waits (up to 10 s) until its parent has reaped it, so not even a
/// zombie entry is left for `pgrep` to find. Asterisk outlives the `up` that started it, so
/// its parent is then the system's init, which reaps on its own schedule.
fn wait_vanished(pid: u32, ticks: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while matches!(proc_stat(pid), Some(stat) if stat.start_ticks == ticks) {
        process::reap(pid);
        if Instant::now() >= deadline {
            println!("asterisk: note: pid {pid} has exited but its parent has not reaped it yet (zombie)");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops processes (left by a lost state file) that run with this instance's configuration.
fn stop_strays(config: &str) -> Result<()> {
    let strays = processes_with_arg(config);
    if strays.is_empty() {
        return Ok(());
    }
    println!("asterisk: stopping leftover processes of this instance: {strays:?}");
    for signal in [Signal::TERM, Signal::KILL] {
        for pid in processes_with_arg(config) {
            process::send_signal(pid, signal);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !processes_with_arg(config).is_empty() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let left = processes_with_arg(config);
    if !left.is_empty() {
        bail!("could not stop leftover processes {left:?} of this sandbox");
    }
    Ok(())
}

fn wait_gone(pid: u32, ticks: u64, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        process::reap(pid);
        if !is_alive(pid, ticks) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A fresh instance directory: configuration plus empty run/spool/log/db/cache directories,
/// owned by the root's `asterisk` user.
fn prepare_instance_dir(
    sandbox: &Sandbox,
    module_dir: &str,
    modules: &std::collections::BTreeSet<String>,
    port: u16,
    sip_ports: config::SipPorts,
    password: &str,
    read_only_password: &str,
) -> Result<()> {
    let dir = sandbox.instance_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("removing the old {}", dir.display()))?;
    }
    for sub in ["etc", "lib", "spool/recording", "run", "log", "cache"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("creating {}", dir.join(sub).display()))?;
    }
    let files = config::all_files(
        &sandbox.instance_inside(),
        module_dir,
        port,
        sip_ports,
        password,
        read_only_password,
        modules,
    );
    for (name, text) in files {
        let path = dir.join("etc").join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let (uid, gid) = root::user_ids(&sandbox.root, "asterisk")?;
    chown_tree(&dir, uid, gid)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750))?;
    Ok(())
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("chown {}", path.display()))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// `ARI_SANDBOX_PORT` when set (and free), else a free loopback port.
fn choose_port() -> Result<u16> {
    if let Some(value) = std::env::var_os(PORT_ENV).filter(|v| !v.is_empty()) {
        let port: u16 = value
            .to_string_lossy()
            .parse()
            .with_context(|| format!("{PORT_ENV}={value:?} is not a port number"))?;
        return match TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => Ok(port),
            Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => bail!(
                "port {port} on 127.0.0.1 ({PORT_ENV}) is busy: another program listens there. \
                 Free it, choose another port, or unset {PORT_ENV} to use a free one"
            ),
            Err(err) => Err(err).with_context(|| format!("checking port {port} on 127.0.0.1")),
        };
    }
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).context("finding a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// Two distinct free UDP ports on 127.0.0.1 for the SIP transports.
fn choose_sip_ports() -> Result<config::SipPorts> {
    let a = std::net::UdpSocket::bind(("127.0.0.1", 0)).context("finding a free UDP port")?;
    let b = std::net::UdpSocket::bind(("127.0.0.1", 0)).context("finding a free UDP port")?;
    Ok(config::SipPorts {
        a: a.local_addr()?.port(),
        b: b.local_addr()?.port(),
    })
}

fn http_client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .context("building the HTTP client")
}

fn ping(client: &reqwest::blocking::Client, settings: &SandboxSettings) -> Result<()> {
    let response = client
        .get(format!("{}/asterisk/ping", settings.url))
        .basic_auth(&settings.user, Some(&settings.password))
        .send()?;
    if response.status() != reqwest::StatusCode::OK {
        bail!("ping answered {}", response.status());
    }
    Ok(())
}

fn get_json(
    client: &reqwest::blocking::Client,
    settings: &SandboxSettings,
    path: &str,
) -> Result<serde_json::Value> {
    let url = format!("{}/{path}", settings.url);
    let response = client
        .get(&url)
        .basic_auth(&settings.user, Some(&settings.password))
        .send()
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {url}: {status}");
    }
    let body = response
        .text()
        .with_context(|| format!("GET {url}: reading the body"))?;
    serde_json::from_str(&body).with_context(|| format!("GET {url}: not JSON"))
}

/// The last lines of the instance's logs, for error messages.
fn log_report(sandbox: &Sandbox) -> String {
    let mut report = String::new();
    for name in ["messages.log", "asterisk.out"] {
        let path = sandbox.log_dir().join(name);
        let text = tail(&path, 30);
        if !text.trim().is_empty() {
            report.push_str(&format!(
                "--- last lines of {} ---\n{text}\n",
                path.display()
            ));
        }
    }
    if report.is_empty() {
        report = format!("(nothing in {})", sandbox.log_dir().display());
    }
    report
}

/// Prints module-loader complaints from the start-up log (optional modules that failed).
fn report_module_problems(messages: &Path) {
    let text = tail(messages, 5000);
    let problems: Vec<&str> = text
        .lines()
        .filter(|line| {
            line.contains("loader.c") && (line.contains("ERROR") || line.contains("WARNING"))
        })
        .collect();
    for line in problems.iter().take(10) {
        println!("asterisk up: module loader: {line}");
    }
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

/// Writes a file readable by its owner only (it holds passwords).
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn random_hex(bytes: usize) -> Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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
    fn ports_of_urls() {
        assert_eq!(port_of("http://127.0.0.1:41234/ari"), Some(41234));
        assert_eq!(port_of("http://127.0.0.1/ari"), None);
        assert_eq!(port_of("nonsense"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(5), "5s");
        assert_eq!(format_duration(65), "1m 05s");
        assert_eq!(format_duration(3725), "1h 02m 05s");
    }

    #[test]
    fn instance_names_are_per_workspace_and_stable() {
        let a = Sandbox::from_env().unwrap();
        let b = Sandbox::from_env().unwrap();
        assert_eq!(a.instance, b.instance);
        assert!(a.instance.starts_with("ws-") && a.instance.len() == 11);
        assert_eq!(
            a.config_inside(),
            format!("/var/lib/ari-sdk/{}/etc/asterisk.conf", a.instance)
        );
        assert!(a.workspace.join("Cargo.toml").is_file());
    }

    #[test]
    fn passwords_are_random() {
        let a = random_hex(16).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_hex(16).unwrap());
    }
}
