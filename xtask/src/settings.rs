//! The connection settings that `cargo xtask asterisk up` writes and the live suite reads.
//!
//! The file is JSON, at [`settings_path`]: `ARI_SANDBOX_SETTINGS` when set, else
//! `.sandbox/ari.json` in the workspace (git-ignored) — `.sandbox/ari-16.json` for the
//! Asterisk 16 sandbox (`ARI_SANDBOX_ASTERISK=16`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The Asterisk version the default sandbox is built to run (Debian unstable's package).
pub const SANDBOX_ASTERISK_VERSION: &str = "22.10.1";

/// Environment variable naming the settings file, overriding [`settings_path`]'s default.
pub const SETTINGS_ENV: &str = "ARI_SANDBOX_SETTINGS";

/// How to reach the sandbox Asterisk, as written by `cargo xtask asterisk up`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSettings {
    /// ARI's base URL, e.g. `http://127.0.0.1:41234/ari` (no trailing slash).
    pub url: String,
    /// The ARI user allowed to read and write.
    pub user: String,
    /// That user's password (generated anew by every `up`).
    pub password: String,
    /// An ARI user with `read_only = yes`: writes answer 403.
    pub read_only_user: String,
    /// The read-only user's password.
    pub read_only_password: String,
    /// Prefix for Stasis application names made by tests (they add a unique suffix).
    pub app_prefix: String,
    /// The dialplan context holding the test extensions (`stasis`, `stasis-<app>`,
    /// `wait`, `echo`, `dtmf`, `ring`, `busy`, `congestion`).
    pub dialplan_context: String,
    /// The version Asterisk reports in `GET /asterisk/info` (`system.version`).
    pub asterisk_version: String,
    /// The version this sandbox is meant to run ([`SANDBOX_ASTERISK_VERSION`]).
    pub expected_version: String,
    /// The sandbox instance's name (one instance per workspace).
    pub instance: String,
    /// Process id of the Asterisk started by `up`.
    pub pid: u32,
    /// Asterisk's log directory on the host, for looking at what happened.
    pub log_dir: PathBuf,
}

impl SandboxSettings {
    /// The instance's configuration directory on the host (next to [`log_dir`](Self::log_dir)).
    pub fn etc_dir(&self) -> PathBuf {
        self.log_dir
            .parent()
            .map(|instance| instance.join("etc"))
            .unwrap_or_else(|| PathBuf::from("etc"))
    }

    /// The same directory as Asterisk sees it inside its root (for paths in its configuration).
    pub fn etc_dir_inside(&self) -> String {
        format!("/var/lib/ari-sdk/{}/etc", self.instance)
    }

    /// Writes the outbound WebSocket configuration: `clients` (`websocket_client` sections) into the file
    /// `websocket_client.conf` includes, `sections` (`outbound_websocket` sections) into the one `ari.conf`
    /// includes, and touches both including files so a reload of `res_websocket_client` and `res_ari` reads
    /// them. Empty strings remove the configuration.
    pub fn write_outbound_config(&self, clients: &str, sections: &str) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let etc = self.etc_dir();
        for (name, text) in [
            (crate::asterisk::OUTBOUND_CLIENT_CONF, clients),
            (crate::asterisk::OUTBOUND_ARI_CONF, sections),
        ] {
            std::fs::write(
                etc.join(name),
                format!("; Written for an outbound WebSocket.\n{text}"),
            )
            .with_context(|| format!("writing {name} in {} (as root?)", etc.display()))?;
        }
        for name in ["websocket_client.conf", "ari.conf"] {
            std::fs::File::options()
                .append(true)
                .open(etc.join(name))
                .and_then(|file| file.set_modified(std::time::SystemTime::now()))
                .with_context(|| format!("touching {name} in {}", etc.display()))?;
        }
        Ok(())
    }
}

/// Where the settings file is: `$ARI_SANDBOX_SETTINGS`, else
/// `<workspace>/.sandbox/<file of the sandbox ARI_SANDBOX_ASTERISK names>` (`ari.json` for 22,
/// `ari-16.json` for 16).
pub fn settings_path() -> PathBuf {
    match std::env::var_os(SETTINGS_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => {
            let server = crate::asterisk::Server::from_env().unwrap_or_default();
            crate::workspace_root()
                .join(".sandbox")
                .join(server.settings_file())
        }
    }
}

/// Reads the settings file; `Ok(None)` when there is none.
pub fn read_settings() -> anyhow::Result<Option<SandboxSettings>> {
    let path = settings_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(anyhow::anyhow!("reading {}: {err}", path.display())),
    };
    let settings = serde_json::from_str(&text)
        .map_err(|err| anyhow::anyhow!("parsing {}: {err}", path.display()))?;
    Ok(Some(settings))
}
