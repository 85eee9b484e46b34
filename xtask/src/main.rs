//! `cargo xtask`: the project's automation, one subcommand per job.
//!
//! Each area lives in its own module with its own clap subcommand enum, so the
//! areas can grow independently.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod demo;
mod live_coverage_cmd;
mod test;

/// The sandbox lives in the library too: the live fault tests restart and freeze it.
use xtask::asterisk;
/// `codegen` lives in the library: the new-version test imports a version and regenerates.
use xtask::codegen;
/// `specs` (import, summary, pull) lives in the library: the live suite checks pull and import.
use xtask::specs;

/// Project automation for ari-sdk.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import, verify, pull and summarise Asterisk's ARI spec files.
    #[command(subcommand)]
    Specs(specs::SpecsCommand),
    /// Generate ari-sdk/src/generated/ from the imported specs (`--check`: only verify it is current).
    Codegen {
        /// Write nothing; fail and name every stale, missing or extra file.
        #[arg(long)]
        check: bool,
        /// Also append to CHANGELOG.md a section with the API changes of the version added to
        /// specs/specs.lock last (from the highest pinned version below it), unless it has one.
        #[arg(long, conflicts_with = "check")]
        changelog: bool,
    },
    /// The sandbox Asterisk the live tests run against (`--asterisk 22|16`): up, down, status,
    /// restart, freeze, thaw.
    Asterisk(asterisk::AsteriskArgs),
    /// Run the demo Stasis application (ari-sdk/examples/demo.rs) against the sandbox Asterisk,
    /// started and stopped around it, or against the Asterisk that ARI_URL names.
    Demo {
        /// How the demo sends REST: `http`, or `websocket` (REST over the event WebSocket).
        #[arg(long, default_value = "http", value_parser = ["http", "websocket"])]
        transport: String,
        /// Let the sandbox Asterisk connect to the demo instead (outbound WebSocket, persistent): the
        /// demo listens on 127.0.0.1 and every request goes over the socket Asterisk opened.
        #[arg(long, conflicts_with = "transport")]
        outbound: bool,
    },
    /// Run every check in order: specs import, codegen --check, fmt, clippy, offline tests,
    /// docs, native-tls, msrv, package, then the live suite against a sandbox Asterisk and the isolated live tests
    /// (restarts, freezes, bursts), the sandbox always stopped at the end.
    Test(test::TestArgs),
    /// Report which ARI operations the live suite sent and how they ended (from the records
    /// its test processes wrote); fails unless every operation is covered.
    LiveCoverage(live_coverage_cmd::LiveCoverageArgs),
    /// Check that ari-sdk builds with the Rust version its rust-version names (dependencies
    /// resolved for it), installing that toolchain with rustup when missing.
    Msrv,
    /// Build and run ari-sdk's transport tests with the native-tls back end instead of rustls.
    NativeTls,
    /// `cargo package -p ari-sdk` (the packaged crate builds on its own) and `cargo publish --dry-run`.
    Package {
        /// Package even with uncommitted changes (for trying it out; CI runs on a clean clone).
        #[arg(long)]
        allow_dirty: bool,
    },
    /// Benchmark the SDK against bare reqwest on the same requests to the sandbox Asterisk
    /// (start it first with `cargo xtask asterisk up`); prints both rates and the ratio.
    BenchLive,
    /// 500 calls at once through one application on the sandbox Asterisk, over HTTP and over
    /// WebSocket: lost and duplicated events, events/s, memory and CPU (starts the sandbox when it
    /// is not running, and stops it after).
    BenchLoad,
}

fn main() {
    let cli = Cli::parse();
    let result: Result<()> = match cli.command {
        Command::Specs(cmd) => specs::run(cmd),
        Command::Codegen { check, changelog } => codegen::run(check).and_then(|()| {
            if !changelog {
                return Ok(());
            }
            let root = workspace_root();
            let file = root.join("CHANGELOG.md");
            match xtask::specs_diff::append_changelog(&root.join("specs"), &file)? {
                Some(version) => println!(
                    "  {}: added the section for Asterisk {version}",
                    file.display()
                ),
                None => println!(
                    "  {}: already has the newest version's section",
                    file.display()
                ),
            }
            Ok(())
        }),
        Command::Asterisk(cmd) => asterisk::run(cmd),
        Command::Test(args) => test::run(args),
        Command::Demo {
            transport,
            outbound,
        } => match demo::run(&transport, outbound) {
            Ok(0) => Ok(()),
            Ok(code) => std::process::exit(code),
            Err(err) => Err(err),
        },
        Command::LiveCoverage(args) => live_coverage_cmd::run(args),
        Command::BenchLive => bench_live(),
        Command::BenchLoad => bench_load(),
        Command::Msrv => xtask::release::check_msrv(),
        Command::NativeTls => xtask::release::check_native_tls(),
        Command::Package { allow_dirty } => xtask::release::check_package(allow_dirty),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

/// `cargo xtask bench-live`: `cargo bench -p ari-live-tests --bench live` (release build).
fn bench_live() -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["bench", "-p", "ari-live-tests", "--bench", "live"])
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        anyhow::bail!("the live benchmark failed ({status})");
    }
    Ok(())
}

/// `cargo xtask bench-load`: `cargo bench -p ari-live-tests --bench load` (release build) against this
/// workspace's sandbox Asterisk — the running one (left running), or one started for the run and stopped
/// after, also when the benchmark fails.
fn bench_load() -> Result<()> {
    let started = if asterisk::running()?.is_some() {
        false
    } else {
        println!("bench-load: starting the sandbox Asterisk");
        asterisk::up()?;
        true
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["bench", "-p", "ari-live-tests", "--bench", "load"])
        .current_dir(workspace_root())
        .status();
    if started {
        println!("bench-load: stopping the sandbox Asterisk");
        asterisk::down()?;
    }
    let status = status?;
    if !status.success() {
        anyhow::bail!("the load benchmark failed ({status}): see the lines above");
    }
    Ok(())
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
