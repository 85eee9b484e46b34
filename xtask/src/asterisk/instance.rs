//! One workspace's sandbox instance: where its files are (the methods of [`Sandbox`]), the state
//! file `up` records ([`State`], root-only: it holds the passwords), its configuration
//! fingerprint, its fresh instance directory, and how Asterisk is started in the root. The two
//! structs are declared in the parent module, so their fields stay private to the sandbox code.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::process::is_alive;
use super::server::Server;
use super::{config, root};
use super::{Sandbox, State};

/// Cache directory override.
const CACHE_ENV: &str = "ARI_SANDBOX_CACHE";
const DEFAULT_CACHE: &str = "/var/cache/ari-sdk";

/// What the configuration writer makes of this sandbox, apart from what differs per start
/// (ports, passwords): when it differs from a running instance's, that instance was started by an
/// older configuration writer and `up` restarts it.
pub(super) fn config_fingerprint(
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
    pub(super) fn from_env() -> Result<Self> {
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

    pub(super) fn config_inside(&self) -> String {
        format!("{}/etc/asterisk.conf", self.instance_inside())
    }

    pub(super) fn state_path(&self) -> PathBuf {
        self.cache
            .join("instances")
            .join(format!("{}.json", self.instance))
    }

    pub(super) fn log_dir(&self) -> PathBuf {
        self.instance_dir().join("log")
    }

    pub(super) fn read_state(&self) -> Result<Option<State>> {
        read_state_file(&self.state_path())
    }

    pub(super) fn write_state(&self, state: &State) -> Result<()> {
        let path = self.state_path();
        std::fs::create_dir_all(path.parent().expect("state file has a parent"))?;
        write_private(&path, &serde_json::to_string_pretty(state)?)
    }

    /// Whether any instance (of any workspace) runs from this sandbox's cached root.
    pub(super) fn root_in_use(&self) -> bool {
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

    /// The sandbox of this workspace with the cache's lock held (see [`Self::lock`]), for the
    /// `what` command, which must run as root.
    pub(super) fn locked(what: &str) -> Result<(Self, File)> {
        super::require_root(what)?;
        let sandbox = Self::from_env()?;
        let lock = sandbox.lock()?;
        Ok((sandbox, lock))
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
    pub(super) fn remote(&self, config: &str, cli: &str) -> Command {
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

/// A fresh instance directory: configuration plus empty run/spool/log/db/cache directories,
/// owned by the root's `asterisk` user.
pub(super) fn prepare_instance_dir(
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

/// Writes a file readable by its owner only (it holds passwords).
pub(super) fn write_private(path: &Path, text: &str) -> Result<()> {
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

pub(super) fn random_hex(bytes: usize) -> Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

pub(super) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Starts Asterisk in the root with the instance's configuration, output to `out`, in its own process group (a
/// Ctrl-C meant for cargo does not reach it; `down` stops it).
///
/// Descriptors this process inherited without close-on-exec (e.g. the lock of
/// `flock /tmp/ari-build.lock cargo xtask asterisk up`) would otherwise live as long as Asterisk
/// and keep such a lock held: the root's bash closes every one of them before it execs Asterisk.
pub(super) fn spawn_asterisk(
    sandbox: &Sandbox,
    config: &str,
    out: File,
) -> Result<std::process::Child> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
