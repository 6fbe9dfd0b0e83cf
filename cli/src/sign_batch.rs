//! `cliauth sign --batch`: signs many calls in one process, for load tests (SIPp). One
//! call per input line — JSON lines or CSV with a header row — and one value per line on
//! output, in order; or, with `--sipp`, a SIPp injection file.
//!
//! All or nothing: the values are written to an anonymous temporary file (in `$TMPDIR`)
//! and copied to standard output only when every line has been signed. A bad line stops
//! the batch with `LINE N: …` on standard error and exit status 2; nothing is written to
//! standard output. Memory stays bounded whatever the number of calls: lines are read,
//! signed and written in chunks of [`CHUNK`] calls.
//!
//! Signing runs on `--threads` threads (default: one per core); each chunk is split
//! between them and written in input order.

use std::io::{BufRead, BufReader, Read, Seek, Write};

use cliauth::passport::{Dest, Party, Rcd};
use cliauth::{Attest, Claims, Ppt, Signer};
use serde_json::Value;

use crate::{Form, Out, PptArg, SignArgs, UsageError, canonical};

/// Calls read, signed and written at a time.
pub(crate) const CHUNK: usize = 4096;

/// The longest input line.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The members of a JSON line, and the columns of a CSV header.
const MEMBERS: &[&str] = &[
    "orig", "dest", "attest", "ppt", "iat", "origid", "div", "rcd_name",
];

/// The format of a batch file.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputFormat {
    /// One JSON object per line.
    Json,
    /// CSV with a header row naming the columns.
    Csv,
}

/// One call, checked, ready to sign.
struct Call {
    ppt: Ppt,
    claims: Claims,
}

/// The defaults the command line gives every line.
struct Defaults {
    attest: Option<String>,
    ppt: PptArg,
    iat: i64,
}

/// One line's members, as text (JSON numbers are taken as given).
#[derive(Default)]
struct Fields {
    orig: Option<String>,
    dest: Vec<String>,
    attest: Option<String>,
    ppt: Option<String>,
    iat: Option<i64>,
    origid: Option<String>,
    div: Option<String>,
    rcd_name: Option<String>,
}

fn from_json(line: &[u8]) -> Result<Fields, String> {
    let obj = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(o)) => o,
        Ok(_) => return Err("not a JSON object".into()),
        Err(e) => return Err(format!("not JSON: {e}")),
    };
    crate::batch::only_members(&obj, MEMBERS)?;
    let string = |name: &str| crate::batch::opt_string(&obj, name);
    let dest = match obj.get("dest") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or("dest must be a string or an array of strings")?,
        Some(_) => return Err("dest must be a string or an array of strings".into()),
    };
    let iat = match obj.get("iat") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(t) if t >= 0 => Some(t),
            _ => return Err("iat must be an integer, 0 or more".into()),
        },
    };
    Ok(Fields {
        orig: string("orig")?,
        dest,
        attest: string("attest")?,
        ppt: string("ppt")?,
        iat,
        origid: string("origid")?,
        div: string("div")?,
        rcd_name: string("rcd_name")?,
    })
}

/// Splits one CSV line into its fields (RFC 4180 quoting; a record spans one line).
fn csv_record(line: &[u8]) -> Result<Vec<String>, String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    match r.records().next() {
        Some(Ok(rec)) => Ok(rec.iter().map(str::to_owned).collect()),
        Some(Err(e)) => Err(format!("not CSV: {e}")),
        None => Ok(Vec::new()),
    }
}

/// The CSV header: the column names, each one of [`MEMBERS`], no duplicates.
fn csv_header(line: &[u8]) -> Result<Vec<String>, String> {
    let cols = csv_record(line)?;
    for (i, c) in cols.iter().enumerate() {
        if !MEMBERS.contains(&c.as_str()) {
            return Err(format!(
                "header: unknown column {} (known: {})",
                crate::out::quoted(c),
                MEMBERS.join(", ")
            ));
        }
        if cols[..i].contains(c) {
            return Err(format!("header: column {c} twice"));
        }
    }
    Ok(cols)
}

fn from_csv(header: &[String], line: &[u8]) -> Result<Fields, String> {
    let rec = csv_record(line)?;
    if rec.len() != header.len() {
        return Err(format!(
            "{} fields, the header has {}",
            rec.len(),
            header.len()
        ));
    }
    let mut f = Fields::default();
    for (name, v) in header.iter().zip(rec) {
        if v.is_empty() {
            continue;
        }
        match name.as_str() {
            "orig" => f.orig = Some(v),
            // Several numbers: one field, comma-separated (quoted).
            "dest" => f.dest = v.split(',').map(|d| d.trim().to_owned()).collect(),
            "attest" => f.attest = Some(v),
            "ppt" => f.ppt = Some(v),
            "iat" => match v.parse::<i64>() {
                Ok(t) if t >= 0 => f.iat = Some(t),
                _ => return Err("iat must be an integer, 0 or more".into()),
            },
            "origid" => f.origid = Some(v),
            "div" => f.div = Some(v),
            _ => f.rcd_name = Some(v),
        }
    }
    Ok(f)
}

/// Checks one line's call data and builds its claims (everything [`Signer::sign`] checks,
/// so that signing cannot fail afterwards).
fn build(f: Fields, d: &Defaults) -> Result<Call, String> {
    let msg = |e: UsageError| e.msg;
    let orig = canonical("orig", f.orig.as_deref().ok_or("orig is required")?).map_err(msg)?;
    if f.dest.is_empty() {
        return Err("dest is required".into());
    }
    let dest = f
        .dest
        .iter()
        .map(|t| canonical("dest", t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(msg)?;
    let mut claims = Claims::new(
        Party::Tn(orig),
        Dest {
            tn: dest,
            uri: Vec::new(),
        },
        f.iat.unwrap_or(d.iat),
    );
    claims.attest = f
        .attest
        .or_else(|| d.attest.clone())
        .as_deref()
        .map(str::parse::<Attest>)
        .transpose()
        .map_err(|e| format!("attest: {e}"))?;
    let ppt = match f.ppt.as_deref() {
        None => d.ppt,
        Some("shaken") => PptArg::Shaken,
        Some("div") => PptArg::Div,
        Some("rcd") => PptArg::Rcd,
        Some(p) => {
            return Err(format!(
                "ppt {}: not one of shaken, div, rcd",
                crate::out::quoted(p)
            ));
        }
    };
    if f.origid.as_deref() == Some("") {
        return Err("origid is empty".into());
    }
    let ppt = match ppt {
        PptArg::Shaken => {
            if claims.attest.is_none() {
                return Err("attest is required for ppt shaken".into());
            }
            claims.origid = Some(
                f.origid
                    .unwrap_or_else(cliauth::passport::claims::new_origid),
            );
            Ppt::Shaken
        }
        PptArg::Div => {
            let div = f.div.as_deref().ok_or("div is required for ppt div")?;
            claims.div = Some(Party::Tn(canonical("div", div).map_err(msg)?));
            claims.origid = f.origid;
            Ppt::Div
        }
        PptArg::Rcd => {
            if f.rcd_name.is_none() {
                return Err("rcd_name is required for ppt rcd".into());
            }
            claims.origid = f.origid;
            Ppt::Rcd
        }
    };
    if ppt != Ppt::Div && f.div.is_some() {
        return Err("div goes with ppt div".into());
    }
    if let Some(n) = f.rcd_name {
        claims.rcd = Some(Rcd::name(n));
    }
    claims.check_for(Some(ppt)).map_err(|e| e.to_string())?;
    Ok(Call { ppt, claims })
}

/// Reads one line of at most [`MAX_LINE`] bytes into `buf` (without its line end).
/// `Ok(false)` at the end of the input.
fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> Result<bool, String> {
    buf.clear();
    let n = r
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', buf)
        .map_err(|e| format!("read error: {e}"))?;
    if n == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    if buf.len() > MAX_LINE {
        return Err(format!("longer than {MAX_LINE} bytes"));
    }
    Ok(true)
}

/// One output line for a signed call. (`build` checked everything `sign` checks: an
/// error here would be a bug, and still stops the batch cleanly.)
fn format_one(
    signer: &Signer,
    form: Form,
    sipp: bool,
    c: &Call,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let s = signer
        .sign(Some(c.ppt), &c.claims)
        .map_err(|e| e.to_string())?;
    let value = match form {
        Form::Identity => s.identity(),
        Form::Token => s.into_token(),
        Form::Compact => s.compact_identity(),
    };
    out.extend_from_slice(value.as_bytes());
    if sipp {
        out.push(b';');
        out.extend_from_slice(c.claims.orig.as_str().as_bytes());
        out.push(b';');
        out.extend_from_slice(c.claims.dest.tn.join(",").as_bytes());
    }
    out.push(b'\n');
    Ok(())
}

/// Signs `calls` on up to `threads` threads; the output lines in order, or the index in
/// `calls` of the first call that failed and why.
fn sign_chunk(
    signer: &Signer,
    form: Form,
    sipp: bool,
    calls: &[Call],
    threads: usize,
) -> Result<Vec<u8>, (usize, String)> {
    let per = calls.len().div_ceil(threads.max(1)).max(1);
    let mut parts: Vec<Result<Vec<u8>, (usize, String)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = calls
            .chunks(per)
            .enumerate()
            .map(|(k, part)| {
                s.spawn(move || {
                    let mut buf = Vec::with_capacity(part.len() * 512);
                    for (i, c) in part.iter().enumerate() {
                        format_one(signer, form, sipp, c, &mut buf)
                            .map_err(|m| (k * per + i, m))?;
                    }
                    Ok(buf)
                })
            })
            .collect();
        for h in handles {
            parts.push(
                h.join()
                    .unwrap_or_else(|_| Err((0, "a signing thread failed".into()))),
            );
        }
    });
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&p?);
    }
    Ok(all)
}

/// Runs `sign --batch`.
pub(crate) fn run(a: SignArgs, out: &mut Out) -> Result<(), UsageError> {
    let src = a.batch.clone().unwrap_or_else(|| "-".into());
    let signer = Signer::from_pem(&crate::read_file(&a.key)?, a.x5u.clone())
        .map_err(|e| UsageError::input(format!("{}: {e}", a.key.display())))?;
    if a.sipp && a.x5u.contains(';') {
        return Err(UsageError(
            "--sipp: the x5u URL contains `;`, which SIPp takes for a field separator".into(),
        ));
    }
    let defaults = Defaults {
        attest: a.attest.clone(),
        ppt: a.ppt,
        iat: a.iat.unwrap_or_else(crate::now),
    };
    let threads = a.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let name = if src.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        src.display().to_string()
    };
    let (mut reader, size): (Box<dyn BufRead>, Option<u64>) = if src.as_os_str() == "-" {
        (Box::new(BufReader::new(std::io::stdin().lock())), None)
    } else {
        let f = std::fs::File::open(&src).map_err(|e| UsageError::input(format!("{name}: {e}")))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(256 * 1024, f)), size)
    };
    let progress = progress_bar(size);
    let mut tmp =
        tempfile::tempfile().map_err(|e| UsageError::output(format!("temporary file: {e}")))?;
    let mut tmp_w = std::io::BufWriter::with_capacity(256 * 1024, &mut tmp);
    let tmp_err = |e: std::io::Error| UsageError::output(format!("temporary file: {e}"));
    if a.sipp {
        tmp_w.write_all(b"SEQUENTIAL\n").map_err(tmp_err)?;
    }
    let bad = |n: u64, msg: String| UsageError::input(format!("{name} line {n}: {msg}"));
    let mut format = a.input_format;
    let mut header: Option<Vec<String>> = None;
    let mut line = Vec::new();
    let mut line_no = 0u64;
    let mut bytes = 0u64;
    let mut calls = Vec::with_capacity(CHUNK);
    let mut call_lines = Vec::with_capacity(CHUNK);
    let mut total = 0u64;
    loop {
        let more = next_line(&mut *reader, &mut line).map_err(|m| bad(line_no + 1, m))?;
        if more {
            line_no += 1;
            bytes += line.len() as u64 + 1;
            if !line.iter().all(u8::is_ascii_whitespace) {
                let fmt = *format.get_or_insert(if line.trim_ascii_start().starts_with(b"{") {
                    InputFormat::Json
                } else {
                    InputFormat::Csv
                });
                let fields = match (fmt, &header) {
                    (InputFormat::Json, _) => Some(from_json(&line)),
                    (InputFormat::Csv, None) => {
                        header = Some(csv_header(&line).map_err(|m| bad(line_no, m))?);
                        None
                    }
                    (InputFormat::Csv, Some(h)) => Some(from_csv(h, &line)),
                };
                if let Some(f) = fields {
                    let call = f
                        .and_then(|f| build(f, &defaults))
                        .map_err(|m| bad(line_no, m))?;
                    calls.push(call);
                    call_lines.push(line_no);
                }
            }
        }
        if calls.len() >= CHUNK || (!more && !calls.is_empty()) {
            let data = sign_chunk(&signer, a.form, a.sipp, &calls, threads)
                .map_err(|(i, m)| bad(call_lines.get(i).copied().unwrap_or(0), m))?;
            tmp_w.write_all(&data).map_err(tmp_err)?;
            total += calls.len() as u64;
            calls.clear();
            call_lines.clear();
            if let Some(p) = &progress {
                p.set_position(if size.is_some() { bytes } else { total });
            }
        }
        if !more {
            break;
        }
    }
    tmp_w.flush().map_err(tmp_err)?;
    drop(tmp_w);
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    // Every line signed: now the output.
    tmp.rewind().map_err(tmp_err)?;
    let mut r = BufReader::with_capacity(256 * 1024, tmp);
    loop {
        let chunk = r.fill_buf().map_err(tmp_err)?;
        if chunk.is_empty() || out.closed() {
            break;
        }
        let n = chunk.len();
        out.bytes(chunk)?;
        r.consume(n);
    }
    Ok(())
}

/// A progress bar on standard error when it is a terminal: by bytes of a file, or by
/// calls from standard input.
fn progress_bar(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(match size {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "signing {bar:40} {percent}% {elapsed} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("signing {pos} calls {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_and_quoting() {
        let h = csv_header(b"orig,dest,attest").unwrap();
        let f = from_csv(&h, b"12155551212,\"12155551213,12155551214\",A").unwrap();
        assert_eq!(f.dest, ["12155551213", "12155551214"]);
        assert!(from_csv(&h, b"1,2").is_err());
        assert!(csv_header(b"orig,nope").is_err());
        assert!(csv_header(b"orig,orig").is_err());
    }

    #[test]
    fn bounded_lines() {
        let long = vec![b'x'; MAX_LINE + 10];
        let mut r: &[u8] = &long;
        let mut buf = Vec::new();
        assert!(next_line(&mut r, &mut buf).is_err());
        let mut r: &[u8] = b"ab\r\ncd";
        assert!(next_line(&mut r, &mut buf).unwrap());
        assert_eq!(buf, b"ab");
        assert!(next_line(&mut r, &mut buf).unwrap());
        assert_eq!(buf, b"cd");
        assert!(!next_line(&mut r, &mut buf).unwrap());
    }
}
