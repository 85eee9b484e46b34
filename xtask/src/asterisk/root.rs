//! The cached Debian roots that Asterisk runs in (debootstrap + apt, under chroot): unstable
//! (sid) for 22.10.1, bullseye for 16.28.0 (see [`Server`]).
//!
//! Built once into `<cache>/root.partial`, then renamed to `<cache>/root` with a marker file, so an
//! interrupted build never looks finished. Later `up`s reuse it.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::process::{find_program, tail, unmount_all_under};
use super::progress::Progress;
use super::server::Server;

/// Bump when the packages or the way the root is built change: older roots are rebuilt.
pub const RECIPE: u32 = 1;
/// What is installed into the root (with `--no-install-recommends`).
pub const PACKAGES: &[&str] = &[
    "asterisk",
    "asterisk-core-sounds-en-gsm",
    "asterisk-moh-opsound-gsm",
];
/// Optional mirror for debootstrap (by default it uses its own default archive).
pub const MIRROR_ENV: &str = "ARI_SANDBOX_MIRROR";

const MARKER: &str = ".ari-sdk-root.json";
/// The archive served here is a dated copy whose Release files look expired.
const APT_VALIDITY: &str = "Acquire::Check-Valid-Until=false";

/// What the marker file in a finished root records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootMarker {
    /// [`RECIPE`] when it was built.
    pub recipe: u32,
    /// The Debian suite.
    pub suite: String,
    /// The packages installed.
    pub packages: Vec<String>,
    /// `dpkg-query`'s version of the `asterisk` package.
    pub asterisk_package: String,
    /// When it was built (seconds since the Unix epoch).
    pub built_unix: u64,
}

/// Reads the marker of a finished root of the current [`RECIPE`].
pub fn current_marker(root: &Path, server: Server) -> Option<RootMarker> {
    let text = std::fs::read_to_string(root.join(MARKER)).ok()?;
    let marker: RootMarker = serde_json::from_str(&text).ok()?;
    (marker.recipe == RECIPE && marker.suite == server.suite()).then_some(marker)
}

/// Builds the root unless a finished one of the current recipe exists. `in_use` says whether an
/// instance still runs from the existing root (then an outdated root is not replaced).
pub fn ensure_root(
    cache: &Path,
    root: &Path,
    in_use: bool,
    server: Server,
) -> Result<(RootMarker, bool)> {
    if let Some(marker) = current_marker(root, server) {
        return Ok((marker, false));
    }
    if root.exists() && in_use {
        bail!(
            "the sandbox root {} is from an older recipe but an Asterisk still runs from it; \
             stop it with `cargo xtask asterisk down` (in the workspace that started it) and retry",
            root.display()
        );
    }
    let started = Instant::now();
    let log = cache.join(format!("build-{}.log", server.root_dir()));
    let _ = std::fs::remove_file(&log);
    ensure_debootstrap(&log)?;

    let partial = cache.join(format!("{}.partial", server.root_dir()));
    if partial.exists() {
        unmount_all_under(&partial)?;
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("removing the unfinished {}", partial.display()))?;
    }
    println!(
        "asterisk up: building the sandbox root in {} (debootstrap {}, then {}; \
         about a minute, once; log: {})",
        root.display(),
        server.suite(),
        PACKAGES.join(" "),
        log.display()
    );
    let result = build(&partial, &log, server);
    // Whatever happened, leave nothing mounted below the cache.
    unmount_all_under(&partial)?;
    let marker = result?;

    if root.exists() {
        unmount_all_under(root)?;
        std::fs::remove_dir_all(root)
            .with_context(|| format!("removing the outdated {}", root.display()))?;
    }
    std::fs::rename(&partial, root)
        .with_context(|| format!("moving {} to {}", partial.display(), root.display()))?;
    println!(
        "asterisk up: sandbox root ready ({} {}) in {:.1} s",
        PACKAGES[0],
        marker.asterisk_package,
        started.elapsed().as_secs_f64()
    );
    Ok((marker, true))
}

fn build(partial: &Path, log: &Path, server: Server) -> Result<RootMarker> {
    let mut debootstrap = Command::new("debootstrap");
    debootstrap
        .args(["--variant=minbase", server.suite()])
        .arg(partial);
    if let Some(mirror) = std::env::var_os(MIRROR_ENV).filter(|m| !m.is_empty()) {
        debootstrap.arg(mirror);
    }
    run_logged(&mut debootstrap, log, "debootstrap")?;

    // No service may start inside the root while packages install.
    let policy = partial.join("usr/sbin/policy-rc.d");
    std::fs::write(&policy, "#!/bin/sh\nexit 101\n")
        .with_context(|| format!("writing {}", policy.display()))?;
    set_mode(&policy, 0o755)?;

    run_logged(
        &mut in_root(partial, &["apt-get", "-o", APT_VALIDITY, "update"]),
        log,
        "apt-get update (in the root)",
    )?;
    let mut install = vec![
        "apt-get",
        "-o",
        APT_VALIDITY,
        "install",
        "-y",
        "--no-install-recommends",
    ];
    install.extend(PACKAGES);
    run_logged(
        &mut in_root(partial, &install),
        log,
        "apt-get install (in the root)",
    )?;
    run_logged(
        &mut in_root(partial, &["apt-get", "clean"]),
        log,
        "apt-get clean",
    )?;

    let output = in_root(partial, &["dpkg-query", "-W", "-f=${Version}", "asterisk"])
        .output()
        .context("running dpkg-query in the root")?;
    let asterisk_package = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || asterisk_package.is_empty() {
        bail!(
            "the asterisk package is not installed in {}",
            partial.display()
        );
    }
    let marker = RootMarker {
        recipe: RECIPE,
        suite: server.suite().to_owned(),
        packages: PACKAGES.iter().map(|p| p.to_string()).collect(),
        asterisk_package,
        built_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    std::fs::write(
        partial.join(MARKER),
        serde_json::to_string_pretty(&marker).expect("marker serialises"),
    )
    .context("writing the root's marker file")?;
    Ok(marker)
}

/// Installs debootstrap with apt-get when it is missing (refreshing the package lists first).
fn ensure_debootstrap(log: &Path) -> Result<()> {
    if find_program("debootstrap").is_some() {
        return Ok(());
    }
    if find_program("apt-get").is_none() {
        bail!("debootstrap is not installed and there is no apt-get to install it: install debootstrap");
    }
    println!("asterisk up: installing debootstrap (apt-get update && apt-get install debootstrap)");
    run_logged(
        Command::new("apt-get").arg("update"),
        log,
        "apt-get update (installing debootstrap)",
    )?;
    run_logged(
        Command::new("apt-get")
            .args(["install", "-y", "debootstrap"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        log,
        "apt-get install debootstrap",
    )?;
    if find_program("debootstrap").is_none() {
        bail!("apt-get installed debootstrap but it is not on PATH (looked in PATH and /usr/sbin)");
    }
    Ok(())
}

/// A command run inside `root` with a clean environment.
pub fn in_root(root: &Path, argv: &[&str]) -> Command {
    let mut command = Command::new("chroot");
    command
        .arg(root)
        .args(argv)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8")
        .env("DEBIAN_FRONTEND", "noninteractive");
    for proxy in [
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
    ] {
        if let Some(value) = std::env::var_os(proxy) {
            command.env(proxy, value);
        }
    }
    command
}

/// Runs `command` with its output appended to `log`; on failure the error shows the log's tail
/// and, when the output says so, that the package archive could not be reached.
fn run_logged(command: &mut Command, log: &Path, what: &str) -> Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let progress = Progress::start(what, log);
    let status = command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .with_context(|| format!("starting {what}"));
    drop(progress);
    let status = status?;
    if status.success() {
        return Ok(());
    }
    let last = tail(log, 25);
    let unreachable = [
        "Temporary failure resolving",
        "Could not resolve",
        "Failed getting release file",
        "Couldn't download",
        "Unable to connect",
        "Failed to fetch",
        "Connection failed",
        "Network is unreachable",
        "Connection refused",
        "Could not connect",
    ]
    .iter()
    .any(|needle| last.contains(needle));
    let hint = if unreachable {
        format!(
            "\nDebian's package archive looks unreachable from this machine. Check the network \
             (and proxy variables); `{MIRROR_ENV}=URL` makes debootstrap use another mirror."
        )
    } else {
        String::new()
    };
    bail!(
        "{what} failed ({status}). Last lines of {}:\n{last}{hint}",
        log.display()
    )
}

/// The module directory inside the root, as Asterisk sees it: `/usr/lib/<triplet>/asterisk/modules`
/// (22 on sid) or `/usr/lib/asterisk/modules` (16 on bullseye).
pub fn module_dir(root: &Path) -> Result<String> {
    let lib = root.join("usr/lib");
    let mut found = Vec::new();
    if lib.join("asterisk/modules/res_ari.so").is_file() {
        found.push("/usr/lib/asterisk/modules".to_owned());
    }
    for entry in std::fs::read_dir(&lib).with_context(|| format!("listing {}", lib.display()))? {
        let entry = entry?;
        if entry.path().join("asterisk/modules/res_ari.so").is_file() {
            found.push(format!(
                "/usr/lib/{}/asterisk/modules",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found.dedup();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!(
            "no Asterisk modules (res_ari.so) under {}/asterisk/modules or {}/*/asterisk/modules: \
             the root is broken; remove {} and run `cargo xtask asterisk up` again",
            lib.display(),
            lib.display(),
            root.display()
        ),
        more => bail!("Asterisk modules in several places: {more:?}"),
    }
}

/// Names (without `.so`) of the module files in `module_dir` (a path inside `root`).
pub fn available_modules(root: &Path, module_dir: &str) -> Result<BTreeSet<String>> {
    let dir = inside(root, module_dir);
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".so") {
            names.insert(stem.to_owned());
        }
    }
    Ok(names)
}

/// The host path of `path_in_root` (an absolute path as seen inside the chroot).
pub fn inside(root: &Path, path_in_root: &str) -> PathBuf {
    root.join(path_in_root.trim_start_matches('/'))
}

/// The uid and gid of `user` according to the root's `/etc/passwd`.
pub fn user_ids(root: &Path, user: &str) -> Result<(u32, u32)> {
    let passwd = root.join("etc/passwd");
    let text = std::fs::read_to_string(&passwd)
        .with_context(|| format!("reading {}", passwd.display()))?;
    for line in text.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() >= 4 && fields[0] == user {
            let uid = fields[2].parse().context("uid in passwd")?;
            let gid = fields[3].parse().context("gid in passwd")?;
            return Ok((uid, gid));
        }
    }
    bail!(
        "no user {user:?} in {}: the asterisk package did not install cleanly",
        passwd.display()
    )
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {:o} {}", mode, path.display()))
}
