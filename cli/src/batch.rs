//! `cliauth verify --batch`: many verifications in one process, for test rigs. One JSON
//! request per input line, one JSON verdict per Identity value on output, in order, each
//! flushed as it is written (a rig may drive the command as a co-process).
//!
//! A request: `{"identity": "…", "orig": "…", "dest": "…", "now": 1700000000,
//! "call_id": …}`; only `identity` is required; `iat`, `attest` and `origid` rebuild a
//! compact-form value. Unknown members are refused (a typo must not pass unnoticed).
//! A verdict is the `verify --json` object plus `line` (1-based) and, when the request
//! had one, `call_id` (echoed as given). A line that is not a valid request gives
//! `{"line": N, "error": "…", "kind": "request"}` and the batch goes on. Blank lines are
//! skipped.
//!
//! Exit status: 0 every verdict valid, 1 some verdict invalid, 2 some line was not a
//! valid request (or the input could not be read).

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::{CallData, Out, Setup, UsageError, VerifyArgs, result_json, verifier, verify_all};

/// The longest request line (an Identity header field is at most 32 KiB).
pub(crate) const MAX_REQUEST_LINE: usize = 64 * 1024;

/// The members a request may have.
const MEMBERS: &[&str] = &[
    "identity", "orig", "dest", "now", "call_id", "iat", "attest", "origid",
];

/// Reads one line of at most [`MAX_REQUEST_LINE`] bytes. `Ok(None)` at the end of the
/// input; `Ok(Some(Err(())))` for a line that was too long (its rest is skipped).
fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<Result<(), ()>>> {
    buf.clear();
    let n = r.take(MAX_REQUEST_LINE as u64 + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_REQUEST_LINE && buf.last() != Some(&b'\n') {
        // Skip to the end of this line.
        let mut skip = Vec::new();
        loop {
            skip.clear();
            let n = r.take(64 * 1024).read_until(b'\n', &mut skip)?;
            if n == 0 || skip.last() == Some(&b'\n') {
                break;
            }
        }
        return Ok(Some(Err(())));
    }
    Ok(Some(Ok(())))
}

/// One parsed request.
struct Request {
    identity: String,
    orig: Option<String>,
    dest: Option<String>,
    now: Option<i64>,
    iat: Option<i64>,
    attest: Option<String>,
    origid: Option<String>,
    call_id: Option<String>,
}

/// Refuses a JSON request object with a member not in `known` (batch requests of
/// `verify --batch` and `sign --batch`).
pub(crate) fn only_members(obj: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown member {} (known: {})",
            json!(k),
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// The string member `name` of a request object: absent or `null` is `None`, any other
/// type an error naming the member.
pub(crate) fn opt_string(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

fn parse_request(obj: &Map<String, Value>) -> Result<Request, String> {
    only_members(obj, MEMBERS)?;
    let string = |name: &str| opt_string(obj, name);
    let time = |name: &str| -> Result<Option<i64>, String> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_i64() {
                Some(t) if t >= 0 => Ok(Some(t)),
                _ => Err(format!("{name} must be an integer, 0 or more")),
            },
        }
    };
    Ok(Request {
        identity: string("identity")?.ok_or("identity is required")?,
        orig: string("orig")?,
        dest: string("dest")?,
        now: time("now")?,
        iat: time("iat")?,
        attest: string("attest")?,
        origid: string("origid")?,
        // Any JSON value is echoed; a string is also the call's Call-ID.
        call_id: obj
            .get("call_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Runs a batch from `src` (`-`: standard input).
pub(crate) fn run(a: &VerifyArgs, src: &Path, out: &mut Out) -> Result<ExitCode, UsageError> {
    let default_now = a.now.unwrap_or_else(crate::now);
    let setup = verifier(&a.keys, default_now)?;
    let stdin = std::io::stdin();
    let mut reader: Box<dyn BufRead> = if src.as_os_str() == "-" {
        Box::new(stdin.lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(src).map_err(
            |e| UsageError::input(format!("{}: {e}", src.display())),
        )?))
    };
    let mut status = 0u8;
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    while !out.closed() {
        let got = next_line(&mut *reader, &mut buf)
            .map_err(|e| UsageError::input(format!("{}: {e}", src.display())))?;
        let Some(got) = got else { break };
        line_no += 1;
        let mut call_id = None;
        let outcome = match got {
            Err(()) => Err(format!("longer than {MAX_REQUEST_LINE} bytes")),
            Ok(()) if buf.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(()) => match serde_json::from_slice::<Value>(&buf) {
                Err(e) => Err(format!("not JSON: {e}")),
                Ok(Value::Object(obj)) => {
                    call_id = obj.get("call_id").cloned();
                    parse_request(&obj).and_then(|r| verify_one(&setup, &r, default_now))
                }
                Ok(_) => Err("not a JSON object".to_owned()),
            },
        };
        match outcome {
            Ok(results) => {
                for r in &results {
                    if r.is_err() {
                        status = status.max(1);
                    }
                    let mut v = result_json(r);
                    v["line"] = json!(line_no);
                    if let Some(id) = &call_id {
                        v["call_id"] = id.clone();
                    }
                    out.line(v)?;
                }
            }
            Err(msg) => {
                status = 2;
                let mut v = json!({"line": line_no, "error": msg, "kind": "request"});
                if let Some(id) = &call_id {
                    v["call_id"] = id.clone();
                }
                out.line(v)?;
            }
        }
        out.flush()?;
    }
    crate::State::report(&setup);
    Ok(ExitCode::from(status))
}

fn verify_one(
    setup: &Setup,
    r: &Request,
    default_now: i64,
) -> Result<Vec<Result<cliauth::Verdict, cliauth::Error>>, String> {
    let d = CallData {
        orig: r.orig.as_deref(),
        dest: r.dest.as_deref(),
        iat: r.iat,
        attest: r.attest.as_deref(),
        origid: r.origid.as_deref(),
        call_id: r.call_id.as_deref(),
        batch: true,
    };
    d.check().map_err(|e| e.msg)?;
    verify_all(setup, r.identity.trim(), &d, r.now.unwrap_or(default_now)).map_err(|e| e.msg)
}
