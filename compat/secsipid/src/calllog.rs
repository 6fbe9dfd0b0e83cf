//! The optional call log: with `CLIAUTH_SECSIPID_LOG=/path/file` in the environment,
//! every ABI call appends `cliauth-secsipid pid=<pid> <function> ret=<code>`.
//!
//! The variable is read once per process (the first call); the file is opened in append
//! mode, so processes forked after the first call keep writing whole lines to it.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock, PoisonError};

/// The environment variable naming the log file.
pub const ENV: &str = "CLIAUTH_SECSIPID_LOG";

static LOG: OnceLock<Option<Mutex<File>>> = OnceLock::new();

/// Logs one call, when logging is on.
pub fn call(function: &str, ret: i32) {
    let log = LOG.get_or_init(|| {
        let path = std::env::var_os(ENV)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
            .map(Mutex::new)
    });
    if let Some(f) = log {
        let line = format!(
            "cliauth-secsipid pid={} {function} ret={ret}\n",
            std::process::id()
        );
        let mut f = f.lock().unwrap_or_else(PoisonError::into_inner);
        // One write call per line: appends from several processes do not interleave.
        let _ = f.write_all(line.as_bytes());
    }
}
