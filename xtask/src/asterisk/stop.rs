//! Stopping an instance and whatever is left of it: the recorded process (`core stop now`, then
//! SIGTERM, then SIGKILL) and stray processes that lost their state file.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use rustix::process::Signal;

use super::process::{self, is_alive, proc_stat, processes_with_arg};
use super::{Sandbox, State};

/// Stops the recorded process: `core stop now`, then SIGTERM, then SIGKILL.
pub(super) fn stop_instance(sandbox: &Sandbox, state: &State) -> Result<()> {
    let (pid, ticks) = (state.pid, state.start_ticks);
    if !is_alive(pid, ticks) {
        process::reap(pid);
        return Ok(());
    }
    // A frozen instance (`freeze`, a fault test that failed half-way) answers nothing until resumed.
    process::send_signal(pid, Signal::CONT);
    let _ = process::run_with_timeout(
        &mut sandbox.remote(&state.config, "core stop now"),
        Duration::from_secs(10),
    );
    if wait_gone(pid, ticks, Duration::from_secs(10)) {
        return Ok(());
    }
    println!("asterisk: pid {pid} ignored `core stop now`; sending SIGTERM");
    process::send_signal(pid, Signal::TERM);
    if wait_gone(pid, ticks, Duration::from_secs(5)) {
        return Ok(());
    }
    println!("asterisk: pid {pid} ignored SIGTERM; sending SIGKILL");
    process::send_signal(pid, Signal::KILL);
    if wait_gone(pid, ticks, Duration::from_secs(5)) {
        return Ok(());
    }
    bail!("could not stop Asterisk pid {pid}")
}

/// After the process ended: waits (up to 10 s) until its parent has reaped it, so not even a
/// zombie entry is left for `pgrep` to find. Asterisk outlives the `up` that started it, so
/// its parent is then the system's init, which reaps on its own schedule.
pub(super) fn wait_vanished(pid: u32, ticks: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while matches!(proc_stat(pid), Some(stat) if stat.start_ticks == ticks) {
        process::reap(pid);
        if Instant::now() >= deadline {
            println!("asterisk: note: pid {pid} has exited but its parent has not reaped it yet (zombie)");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops processes (left by a lost state file) that run with this instance's configuration.
pub(super) fn stop_strays(config: &str) -> Result<()> {
    let strays = processes_with_arg(config);
    if strays.is_empty() {
        return Ok(());
    }
    println!("asterisk: stopping leftover processes of this instance: {strays:?}");
    for signal in [Signal::TERM, Signal::KILL] {
        for pid in processes_with_arg(config) {
            process::send_signal(pid, signal);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !processes_with_arg(config).is_empty() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let left = processes_with_arg(config);
    if !left.is_empty() {
        bail!("could not stop leftover processes {left:?} of this sandbox");
    }
    Ok(())
}

pub(super) fn wait_gone(pid: u32, ticks: u64, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        process::reap(pid);
        if !is_alive(pid, ticks) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}
