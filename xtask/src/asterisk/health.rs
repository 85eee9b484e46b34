//! Whether a started Asterisk is ready (pings, fully booted, the modules ARI needs), the small
//! blocking HTTP client used for that, and the log excerpts errors carry.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::settings::SandboxSettings;
use anyhow::{bail, Context, Result};

use super::config;
use super::process::{self, tail};
use super::Sandbox;

/// How long Asterisk may take to answer its first ping.
pub(super) const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits for `GET /asterisk/ping` to answer 200 and for Asterisk to finish booting, checks the
/// modules ARI needs, and returns the version Asterisk reports.
pub(super) fn wait_until_ready(
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

pub(super) fn http_client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .context("building the HTTP client")
}

pub(super) fn ping(client: &reqwest::blocking::Client, settings: &SandboxSettings) -> Result<()> {
    let response = client
        .get(format!("{}/asterisk/ping", settings.url))
        .basic_auth(&settings.user, Some(&settings.password))
        .send()?;
    if response.status() != reqwest::StatusCode::OK {
        bail!("ping answered {}", response.status());
    }
    Ok(())
}

pub(super) fn get_json(
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
pub(super) fn report_module_problems(messages: &Path) {
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
