//! `cargo xtask live-coverage [--reset] [--dir DIR]`: the live suite's operation coverage.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use xtask::live_coverage::{self, Coverage};

/// Options of `cargo xtask live-coverage`.
#[derive(Args)]
pub struct LiveCoverageArgs {
    /// Delete the records instead (before a fresh run of the live suite).
    #[arg(long)]
    reset: bool,
    /// The records' directory; default `$ARI_LIVE_COVERAGE_DIR`, else `target/live-coverage`.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The Asterisk version the live suite ran against: its operations are the ones to cover.
    #[arg(long, default_value = xtask::settings::SANDBOX_ASTERISK_VERSION)]
    version: String,
    /// Also require the operations suite's run with REST over WebSocket (records in the `websocket`
    /// subdirectory) to cover every REST operation; without it, that report is printed when it has records.
    #[arg(long)]
    websocket: bool,
}

/// Prints every operation's coverage and the summary line; fails when one is not covered.
pub fn run(args: LiveCoverageArgs) -> Result<()> {
    let dir = args.dir.unwrap_or_else(live_coverage::coverage_dir);
    if args.reset {
        live_coverage::reset(&dir)?;
        println!("live coverage: records in {} deleted", dir.display());
        return Ok(());
    }
    let root = crate::workspace_root();
    let api = ari_codegen::load_union(&xtask::codegen::specs_dir(&root))
        .context("loading the operations of the imported specs")?;
    let version: ari_codegen::ir::Version = args.version.parse()?;
    if !api.versions.contains(&version) {
        bail!(
            "Asterisk {version} is not among the imported spec versions ({}); live coverage \
             needs the spec of the version the live suite ran against",
            ari_codegen::emit::version_list(&api.versions)
        );
    }
    let records = live_coverage::read_records(&dir)?;
    let report = live_coverage::report(&api, &version, &records);

    println!(
        "live coverage: {} records from {} (the live suite's test processes)",
        report.records,
        dir.display()
    );
    print_report(&report);
    let mut failures = check(&report, &dir);
    // Nothing the server's version serves may be refused by the capability check.
    match server_version() {
        Some(server) => {
            let wrong = live_coverage::wrongly_refused(&api, &server, &records);
            for line in &wrong {
                println!("  WRONGLY REFUSED: {line}");
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{} request(s) refused that Asterisk {server} serves",
                    wrong.len()
                ));
            }
        }
        None if records.iter().any(|r| r.kind == live_coverage::Kind::Refused) => failures.push(
            "refusals recorded, but no sandbox settings name the server's version to check them against"
                .to_owned(),
        ),
        None => {}
    }

    let websocket_dir = dir.join(live_coverage::WEBSOCKET);
    let websocket_records = live_coverage::read_records(&websocket_dir)?;
    if args.websocket || !websocket_records.is_empty() {
        let report = live_coverage::websocket_report(&api, &version, &websocket_records);
        println!(
            "live coverage (REST over WebSocket): {} records from {} (the operations suite with \
             ARI_TRANSPORT=websocket)",
            websocket_records.len(),
            websocket_dir.display()
        );
        print_report(&report);
        failures.extend(check(&report, &websocket_dir));
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("; "));
    }
    Ok(())
}

fn print_report(report: &live_coverage::Report) {
    for (id, coverage) in &report.operations {
        let detail = match coverage {
            Coverage::Succeeded(statuses) => format!("ok {}", join(statuses.iter())),
            Coverage::Refused(answers) => format!(
                "refused before sending (the server answers {})",
                answers.iter().cloned().collect::<Vec<_>>().join("; ")
            ),
            Coverage::AssertedErrors(errors) => {
                let errors: Vec<String> = errors
                    .iter()
                    .map(|(status, message)| format!("{status} {message:?}"))
                    .collect();
                format!("asserted error {}", errors.join("; "))
            }
            Coverage::Unasserted(statuses) => format!(
                "NOT COVERED: sent, answered {} but never succeeded nor asserted",
                join(statuses.iter().map(|s| match s {
                    Some(s) => s.to_string(),
                    None => "nothing".to_owned(),
                }))
            ),
            Coverage::Missing => "NOT COVERED: never sent".to_owned(),
        };
        println!(
            "  {:<36} {:<6} {:<58} {detail}",
            id.name, id.method, id.path
        );
    }
    for route in &report.unknown {
        println!("  note: requests of {route}, which match no spec operation");
    }
    for route in &report.unbacked {
        println!("  note: asserted error without a matching request in the trace: {route}");
    }
    for difference in &report.spec_differences {
        println!("  spec vs live: {difference}");
    }
    // Name the server the records came from: the version its settings file recorded.
    let summary = report.summary();
    let server = server_version().map(|version| -> String {
        version
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect()
    });
    match server {
        // The main report names the server; the REST-over-WebSocket one keeps its own label.
        Some(version) if report.label == "live coverage" => println!(
            "{}",
            summary.replacen(
                "live coverage:",
                &format!("live coverage (Asterisk {version}):"),
                1
            )
        ),
        _ => println!("{summary}"),
    }
}

/// The version the sandbox's settings file recorded for its server, as the server reported it.
fn server_version() -> Option<String> {
    xtask::settings::read_settings()
        .ok()
        .flatten()
        .map(|settings| settings.asterisk_version)
}

/// Why `report` (from the records in `dir`) falls short, if it does.
fn check(report: &live_coverage::Report, dir: &std::path::Path) -> Vec<String> {
    let mut failures = Vec::new();
    let uncovered = report.uncovered();
    if !uncovered.is_empty() {
        let names: Vec<&str> = uncovered.iter().map(|(id, _)| id.name.as_str()).collect();
        failures.push(format!(
            "{}: {} operation(s) not covered: {}",
            report.label,
            names.len(),
            names.join(", ")
        ));
    }
    if report.records == 0 {
        failures.push(format!(
            "{}: no records in {}: run the live suite first",
            report.label,
            dir.display()
        ));
    }
    failures
}

fn join(items: impl Iterator<Item = impl ToString>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}
