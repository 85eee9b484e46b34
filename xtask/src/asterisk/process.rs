//! Small process, file-system and privilege helpers for the sandbox (Linux `/proc` based).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rustix::process::{Pid, Signal};

/// Whether this process runs with effective uid 0.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The kernel's view of one process: `/proc/<pid>/stat`'s state letter and start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// `R`, `S`, `D`, `Z`, …
    pub state: char,
    /// Start time in clock ticks after boot (field 22); with the pid it names one process.
    pub start_ticks: u64,
}

/// Reads `/proc/<pid>/stat`; `None` when there is no such process.
pub fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain anything: split after it.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let start_ticks = fields.get(19)?.parse().ok()?;
    Some(ProcStat { state, start_ticks })
}

/// Whether `pid` is still the process that started at `start_ticks`, and not a zombie.
pub fn is_alive(pid: u32, start_ticks: u64) -> bool {
    matches!(proc_stat(pid), Some(stat) if stat.start_ticks == start_ticks && stat.state != 'Z' && stat.state != 'X')
}

/// Sends `signal` to `pid` (errors such as "no such process" are ignored).
pub fn send_signal(pid: u32, signal: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Collects `pid`'s exit status if it is a child of this process (no effect otherwise).
pub fn reap(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::NOHANG);
    }
}

/// Processes (not zombies) whose command line contains `needle` as one argument.
pub fn processes_with_arg(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let matches = cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == needle.as_bytes());
        let zombie = matches!(proc_stat(pid), Some(stat) if stat.state == 'Z');
        if matches && !zombie {
            found.push(pid);
        }
    }
    found
}

/// Mount points at or below `dir`, from `/proc/mounts`.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string("/proc/mounts") else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| line.split(' ').nth(1))
        .map(|field| PathBuf::from(unescape_mount_path(field)))
        .filter(|mount| mount.starts_with(dir))
        .collect()
}

/// `/proc/mounts` writes space, tab, newline and backslash as `\040`-style octal escapes.
fn unescape_mount_path(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let octal = std::str::from_utf8(&bytes[i + 1..i + 4]).ok();
            if let Some(value) = octal.and_then(|o| u8::from_str_radix(o, 8).ok()) {
                out.push(value);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unmounts everything at or below `dir` (deepest first) and fails if anything stays mounted.
pub fn unmount_all_under(dir: &Path) -> Result<()> {
    let mut mounts = mounts_under(dir);
    if mounts.is_empty() {
        return Ok(());
    }
    mounts.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    for mount in &mounts {
        eprintln!("unmounting {}", mount.display());
        let _ = Command::new("umount").arg(mount).status();
    }
    let left = mounts_under(dir);
    if !left.is_empty() {
        anyhow::bail!(
            "still mounted under {}: {}; unmount them by hand (umount -l PATH) and retry",
            dir.display(),
            left.iter()
                .map(|m| m.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Runs `command` with its output captured, killing it after `timeout`.
///
/// Returns the exit status (None when it timed out) and the combined output.
pub fn run_with_timeout(
    command: &mut Command,
    timeout: Duration,
) -> Result<(Option<ExitStatus>, String)> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut output = out_thread.join().unwrap_or_default();
    output.extend(err_thread.join().unwrap_or_default());
    Ok((status, String::from_utf8_lossy(&output).into_owned()))
}

/// The last `lines` lines of a text file ("" when it cannot be read).
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Whether `program` is found on `PATH` (or in the sbin directories root's PATH usually has).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_stat_is_readable() {
        let stat = proc_stat(std::process::id()).expect("own /proc entry");
        assert!(is_alive(std::process::id(), stat.start_ticks));
        assert!(!is_alive(std::process::id(), stat.start_ticks + 1));
    }

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path(r"/a\040b/c"), "/a b/c");
        assert_eq!(unescape_mount_path(r"/plain"), "/plain");
        assert_eq!(unescape_mount_path(r"/end\"), r"/end\");
    }

    #[test]
    fn timeout_kills() {
        let (status, _) =
            run_with_timeout(Command::new("sleep").arg("5"), Duration::from_millis(100)).unwrap();
        assert!(status.is_none());
        let (status, out) =
            run_with_timeout(Command::new("echo").arg("hi"), Duration::from_secs(5)).unwrap();
        assert!(status.unwrap().success());
        assert_eq!(out.trim(), "hi");
    }
}
