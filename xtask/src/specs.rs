//! `cargo xtask specs …`: importing and inspecting Asterisk's spec files.

use anyhow::Result;
use clap::Subcommand;

/// Subcommands of `cargo xtask specs`.
#[derive(Subcommand)]
pub enum SpecsCommand {
    /// Print what the imported specs contain.
    Summary,
    /// Copy the spec files a live Asterisk serves into a version directory
    /// (`resources.json` + `api-docs/*.json`), `basePath` restored to the shipped value.
    Pull {
        /// ARI's address: `http://host:port` or `http://host:port/ari`.
        #[arg(long)]
        url: String,
        /// ARI user name.
        #[arg(long)]
        user: String,
        /// ARI password.
        #[arg(long)]
        password: String,
        /// Output directory (default: `target/specs-pull/asterisk-<version>`).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

/// Runs one `specs` subcommand.
pub fn run(cmd: SpecsCommand) -> Result<()> {
    match cmd {
        SpecsCommand::Summary => {
            anyhow::bail!("specs summary: not built yet (generator-core issue)")
        }
        SpecsCommand::Pull {
            url,
            user,
            password,
            out,
        } => crate::specs_pull::pull(&url, &user, &password, out.as_deref()),
    }
}
