//! A progress line for the long steps of building the sandbox root (debootstrap, apt-get), whose
//! output goes to a log file: what runs, for how long, and the newest line of its log.
//!
//! On a terminal the line is rewritten in place every half second; otherwise (CI logs, pipes)
//! a line is printed every 15 s. Either way a final line says how long the step took.

use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Shows progress until dropped.
pub struct Progress {
    what: String,
    started: Instant,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts showing `what` (e.g. "debootstrap") with its elapsed time and the newest line of
    /// `log`.
    pub fn start(what: &str, log: &Path) -> Progress {
        let started = Instant::now();
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let terminal = std::io::stdout().is_terminal();
        let thread = {
            let (what, log, stop) = (what.to_owned(), log.to_path_buf(), Arc::clone(&stop));
            std::thread::spawn(move || show(&what, &log, started, terminal, &stop))
        };
        Progress {
            what: what.to_owned(),
            started,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        let (lock, condvar) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        condvar.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        println!(
            "asterisk up: {} finished after {:.1} s",
            self.what,
            self.started.elapsed().as_secs_f64()
        );
    }
}

fn show(what: &str, log: &Path, started: Instant, terminal: bool, stop: &(Mutex<bool>, Condvar)) {
    let interval = if terminal {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(15)
    };
    let (lock, condvar) = stop;
    let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
    // The flag is checked before every wait: a stop that came before the first wait counts.
    while !*stopped {
        let (guard, _) = condvar
            .wait_timeout(stopped, interval)
            .unwrap_or_else(|e| e.into_inner());
        stopped = guard;
        if *stopped {
            break;
        }
        let line = format!(
            "asterisk up: {what}: {:.0} s — {}",
            started.elapsed().as_secs_f64(),
            last_line(log)
        );
        let mut out = std::io::stdout().lock();
        if terminal {
            // Rewrite the line in place, cut to the terminal's width so it never wraps.
            let width = terminal_width().saturating_sub(1).max(20);
            let _ = write!(out, "\r\x1b[2K{}", truncate(&line, width));
        } else {
            let _ = writeln!(out, "{}", truncate(&line, 160));
        }
        let _ = out.flush();
    }
    if terminal {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\r\x1b[2K");
        let _ = out.flush();
    }
}

/// The newest non-empty line of `log` (apt's `\r` progress counts as a line end), without
/// control characters; "" when there is none yet.
fn last_line(log: &Path) -> String {
    let Ok(mut file) = std::fs::File::open(log) else {
        return String::new();
    };
    let len = file.seek(SeekFrom::End(0)).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(4096)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    newest_line(&String::from_utf8_lossy(&bytes))
}

fn newest_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(|line| line.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|line| line.trim().to_owned())
        .rfind(|line| !line.is_empty())
        .unwrap_or_default()
}

fn truncate(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_owned();
    }
    let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn terminal_width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .map(|size| usize::from(size.ws_col))
        .ok()
        .filter(|&cols| cols > 0)
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_line_skips_blanks_and_carriage_returns() {
        assert_eq!(newest_line("a\nb\n\n"), "b");
        assert_eq!(newest_line("Get:1 x\rProgress 40%\r"), "Progress 40%");
        assert_eq!(
            newest_line("I: Retrieving libc6\x07\n  \n"),
            "I: Retrieving libc6"
        );
        assert_eq!(newest_line(""), "");
    }

    #[test]
    fn lines_are_cut_to_width() {
        assert_eq!(truncate("abcdef", 10), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }

    #[test]
    fn stops_promptly() {
        let dir = std::env::temp_dir().join(format!("ari-sdk-progress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        std::fs::write(&log, "one\ntwo\n").unwrap();
        assert_eq!(last_line(&log), "two");
        let started = Instant::now();
        drop(Progress::start("a step", &log));
        assert!(started.elapsed() < Duration::from_secs(2));
        std::fs::remove_dir_all(&dir).ok();
    }
}
