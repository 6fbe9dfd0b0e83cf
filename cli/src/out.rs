//! Where the command's output goes, and how it fails. Nothing in the command uses
//! `println!`/`eprintln!` (they panic on a write error): standard output goes through
//! [`Out`], standard error through [`warn`].
//!
//! A closed standard output (broken pipe: `cliauth … | head -1`) stops the output quietly;
//! the command still exits with the status its results call for (0 or 1). Any other write
//! error (a full disk, `/dev/full`) is an output error: a message on standard error and
//! exit status 2.

use std::fmt::Display;
use std::io::{self, Write};

/// What an exit-2 failure was about; its name is the `kind` of the `--json` error object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrKind {
    /// The command line: a missing or conflicting option, a bad value.
    Usage,
    /// An input the command was told to read (a file, standard input) is unreadable or
    /// unusable (not a key, too large).
    Input,
    /// Writing the output (standard output, or a file the command was told to write).
    Output,
}

impl ErrKind {
    /// The `kind` member of the `--json` error object.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrKind::Usage => "usage",
            ErrKind::Input => "input",
            ErrKind::Output => "output",
        }
    }
}

/// A usage, input or output problem: exit status 2.
pub(crate) struct UsageError {
    pub(crate) msg: String,
    pub(crate) kind: ErrKind,
}

/// A usage problem (kind `usage`) with this message.
#[allow(non_snake_case)]
pub(crate) fn UsageError(msg: String) -> UsageError {
    UsageError {
        msg,
        kind: ErrKind::Usage,
    }
}

impl UsageError {
    /// An input problem (kind `input`).
    pub(crate) fn input(msg: String) -> UsageError {
        UsageError {
            msg,
            kind: ErrKind::Input,
        }
    }
    /// An output problem (kind `output`).
    pub(crate) fn output(msg: String) -> UsageError {
        UsageError {
            msg,
            kind: ErrKind::Output,
        }
    }
}

impl<E: Display> From<E> for UsageError {
    fn from(e: E) -> Self {
        UsageError(e.to_string())
    }
}

/// Standard output, buffered. Call [`Out::finish`] at the end: an error of the final flush
/// counts like any other write error.
pub(crate) struct Out {
    inner: io::BufWriter<io::StdoutLock<'static>>,
    closed: bool,
}

impl Out {
    pub(crate) fn new() -> Out {
        Out {
            inner: io::BufWriter::new(io::stdout().lock()),
            closed: false,
        }
    }

    /// Whether the reader went away (broken pipe): everything further is dropped.
    pub(crate) fn closed(&self) -> bool {
        self.closed
    }

    fn check(&mut self, r: io::Result<()>) -> Result<(), UsageError> {
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(UsageError::output(format!("standard output: {e}"))),
        }
    }

    /// Writes `s` and a newline.
    pub(crate) fn line(&mut self, s: impl Display) -> Result<(), UsageError> {
        if self.closed {
            return Ok(());
        }
        let r = writeln!(self.inner, "{s}");
        self.check(r)
    }

    /// Writes `s` as is.
    pub(crate) fn raw(&mut self, s: &str) -> Result<(), UsageError> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.write_all(s.as_bytes());
        self.check(r)
    }

    /// Writes `b` as is.
    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<(), UsageError> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.write_all(b);
        self.check(r)
    }

    /// Pushes what is buffered to the reader.
    pub(crate) fn flush(&mut self) -> Result<(), UsageError> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.check(r)
    }
}

/// Writes a message to standard error; a failure to do so is ignored (there is nowhere
/// left to report it).
pub(crate) fn warn(msg: impl Display) {
    let _ = writeln!(io::stderr().lock(), "cliauth: {msg}");
}

/// `s` in double quotes, escaped as a JSON string (for messages that name a value).
pub(crate) fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
