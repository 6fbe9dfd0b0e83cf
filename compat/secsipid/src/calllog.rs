//! The optional call log: with `CLIAUTH_SECSIPID_LOG=/path/file` in the environment,
//! every ABI call appends `cliauth-secsipid pid=<pid> <function> ret=<code>`; and
//! warnings about dangerous settings, written once per process to stderr and to the log.
//!
//! The variable is read once per process (the first call); the file is opened in append
//! mode, so processes forked after the first call keep writing whole lines to it.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock, PoisonError};

/// The environment variable naming the log file.
pub const ENV: &str = "CLIAUTH_SECSIPID_LOG";

static LOG: OnceLock<Option<Mutex<File>>> = OnceLock::new();

/// The warnings already given in this process (by id).
static WARNED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// Writes `cliauth-secsipid pid=<pid> <message>` to stderr and to the call log (when it is
/// on), the first time warning `id` is given in this process. Returns whether it wrote.
pub fn warn_once(id: &'static str, message: &str) -> bool {
    {
        let mut warned = WARNED.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.contains(&id) {
            return false;
        }
        warned.push(id);
    }
    let line = format!("cliauth-secsipid pid={} {message}\n", std::process::id());
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(f) = log() {
        let mut f = f.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = f.write_all(line.as_bytes());
    }
    true
}

/// The call log file, when logging is on.
fn log() -> Option<&'static Mutex<File>> {
    LOG.get_or_init(|| {
        let path = std::env::var_os(ENV)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
            .map(Mutex::new)
    })
    .as_ref()
}

/// Writes `cliauth-secsipid pid=<pid> <message>` to the call log, when logging is on
/// (nothing to stderr).
pub fn note(message: &str) {
    if let Some(f) = log() {
        let line = format!("cliauth-secsipid pid={} {message}\n", std::process::id());
        let mut f = f.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = f.write_all(line.as_bytes());
    }
}

/// Logs one call, when logging is on.
pub fn call(function: &str, ret: i32) {
    if let Some(f) = log() {
        let line = format!(
            "cliauth-secsipid pid={} {function} ret={ret}\n",
            std::process::id()
        );
        let mut f = f.lock().unwrap_or_else(PoisonError::into_inner);
        // One write call per line: appends from several processes do not interleave.
        let _ = f.write_all(line.as_bytes());
    }
}
