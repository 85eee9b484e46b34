//! Which Asterisk a sandbox runs: Debian unstable's 22.10.1 (the default) or Debian 11
//! bullseye's 16.28.0. Each has its own cached root next to the other and its own instance per
//! workspace; everything else (configuration generator, `up`/`down`/`restart`/`freeze`) is
//! shared.
//!
//! Chosen with `cargo xtask asterisk <command> --asterisk 16`, or for every command of a process
//! (the live tests' restarts and freezes too) with `ARI_SANDBOX_ASTERISK=16`.

use anyhow::{bail, Result};

/// The environment variable naming the sandbox Asterisk (`22` or `16`; default `22`).
pub const SERVER_ENV: &str = "ARI_SANDBOX_ASTERISK";

/// One of the sandbox's Asterisk builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Server {
    /// Asterisk 22.10.1 from Debian unstable (sid).
    #[default]
    #[value(name = "22")]
    Asterisk22,
    /// Asterisk 16.28.0 from Debian 11 (bullseye).
    #[value(name = "16")]
    Asterisk16,
}

impl Server {
    /// Every server, in the order `cargo xtask test` runs them.
    pub const ALL: [Server; 2] = [Server::Asterisk22, Server::Asterisk16];

    /// The server named by [`SERVER_ENV`], else the default.
    pub fn from_env() -> Result<Server> {
        match std::env::var(SERVER_ENV).ok().as_deref() {
            None | Some("") => Ok(Server::default()),
            Some(name) => Server::from_name(name),
        }
    }

    /// `22` or `16`.
    pub fn from_name(name: &str) -> Result<Server> {
        match name.trim() {
            "22" => Ok(Server::Asterisk22),
            "16" => Ok(Server::Asterisk16),
            other => bail!("{SERVER_ENV}={other:?}: the sandbox runs Asterisk 22 or 16"),
        }
    }

    /// The major version as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Server::Asterisk22 => "22",
            Server::Asterisk16 => "16",
        }
    }

    /// The Asterisk version its Debian package installs.
    pub fn version(self) -> &'static str {
        match self {
            Server::Asterisk22 => "22.10.1",
            Server::Asterisk16 => "16.28.0",
        }
    }

    /// The Debian suite its root is bootstrapped from.
    pub fn suite(self) -> &'static str {
        match self {
            Server::Asterisk22 => "sid",
            Server::Asterisk16 => "bullseye",
        }
    }

    /// The root's directory name in the cache.
    pub fn root_dir(self) -> &'static str {
        match self {
            Server::Asterisk22 => "root",
            Server::Asterisk16 => "root-bullseye",
        }
    }

    /// Appended to the workspace's instance name (`ws-1234abcd`, `ws-1234abcd-16`).
    pub fn instance_suffix(self) -> &'static str {
        match self {
            Server::Asterisk22 => "",
            Server::Asterisk16 => "-16",
        }
    }

    /// The settings file's name in `.sandbox/`.
    pub fn settings_file(self) -> &'static str {
        match self {
            Server::Asterisk22 => "ari.json",
            Server::Asterisk16 => "ari-16.json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_differ() {
        for server in Server::ALL {
            assert_eq!(Server::from_name(server.name()).unwrap(), server);
        }
        assert_ne!(Server::Asterisk22.root_dir(), Server::Asterisk16.root_dir());
        assert_ne!(
            Server::Asterisk22.settings_file(),
            Server::Asterisk16.settings_file()
        );
        assert!(Server::from_name("18").is_err());
    }
}
