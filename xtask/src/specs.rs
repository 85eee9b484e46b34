//! `cargo xtask specs …`: importing and inspecting Asterisk's spec files.

use anyhow::Result;
use clap::Subcommand;

/// Subcommands of `cargo xtask specs`.
#[derive(Subcommand)]
pub enum SpecsCommand {
    /// Print what the imported specs contain.
    Summary,
}

/// Runs one `specs` subcommand.
pub fn run(cmd: SpecsCommand) -> Result<()> {
    match cmd {
        SpecsCommand::Summary => {
            anyhow::bail!("specs summary: not built yet (generator-core issue)")
        }
    }
}
