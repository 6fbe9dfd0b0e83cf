//! `cliauth pcap FILE`: verifies every Identity header value of every SIP request in a
//! packet capture (pcap or pcapng), one JSON line per value.
//!
//! The capture is read, sliced and reassembled into SIP messages by the library part of
//! this crate (`cliauth_cli::capture`, bounded as its documentation says), and the
//! requests are parsed by `cliauth_cli::sip`; this module verifies their Identity values
//! and prints the results.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use cliauth_cli::capture::{self, End, Message, Reassembly};
use cliauth_cli::sip::{self, DestFrom, OrigFrom};
use serde_json::{Value, json};

use crate::{CallData, KeyArgs, Out, Setup, UsageError, result_json, verifier, verify_all, warn};

/// `cliauth pcap` options.
#[derive(clap::Args)]
pub(crate) struct PcapArgs {
    /// The capture file (pcap or pcapng); `-` reads standard input.
    file: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
    /// The time to verify at, seconds since the epoch (default: each packet's own time).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::non_negative)]
    now: Option<i64>,
    /// Where the calling number comes from.
    #[arg(long, value_enum, default_value = "auto")]
    orig_from: OrigFrom,
    /// Where the called number comes from.
    #[arg(long, value_enum, default_value = "to")]
    dest_from: DestFrom,
}

/// What was seen, for the summary.
#[derive(Default)]
struct Stats {
    frames: u64,
    sip_requests: u64,
    with_identity: u64,
    malformed_sip: u64,
    values: u64,
    valid: u64,
    invalid: BTreeMap<String, u64>,
}

/// Runs `cliauth pcap`.
pub(crate) fn run(a: PcapArgs, out: &mut Out) -> Result<ExitCode, UsageError> {
    let name = a.file.display().to_string();
    let input: Box<dyn Read> = if a.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&a.file).map_err(|e| UsageError::input(format!("{name}: {e}")))?,
        )
    };
    // Set up now: a missing key or an unreadable key file is an error before any packet.
    // A --cert chain validated with --trust-anchor is validated again at the first
    // Identity value's packet time (unless --now is given).
    let mut setup = Some(verifier(&a.keys, a.now.unwrap_or_else(crate::now))?);
    if a.now.is_none() && a.keys.cert.is_some() && !a.keys.trust_anchor.is_empty() {
        setup = None;
    }
    let mut v = Verify {
        a: &a,
        setup,
        stats: Stats::default(),
        status: 0,
    };
    let mut re = Reassembly::new();
    let mut failed: Option<UsageError> = None;
    let end = capture::read_frames(input, |f| {
        if out.closed() {
            return ControlFlow::Break(());
        }
        v.stats.frames += 1;
        match re.frame(&f, &mut |m| v.message(out, m)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })
    .map_err(|e| UsageError::input(format!("{name}: {e}")))?;
    if let Some(e) = failed {
        return Err(e);
    }
    if let End::Truncated(e) = end {
        warn(format_args!(
            "{name}: capture ends with an unreadable packet or block: {e}"
        ));
    }
    if std::io::stdout().is_terminal() {
        v.summary(re.counters());
    }
    Ok(ExitCode::from(v.status))
}

/// The verification side: the verifier (set up at the first Identity value) and the
/// results so far.
struct Verify<'a> {
    a: &'a PcapArgs,
    setup: Option<Setup>,
    stats: Stats,
    status: u8,
}

impl Verify<'_> {
    fn message(&mut self, out: &mut Out, m: Message<'_>) -> Result<(), UsageError> {
        let req = match sip::parse(m.bytes) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(_) => {
                self.stats.malformed_sip += 1;
                return Ok(());
            }
        };
        self.stats.sip_requests += 1;
        if req.first("identity").is_none() {
            return Ok(());
        }
        self.stats.with_identity += 1;
        let time = m.time.as_secs() as f64 + f64::from(m.time.subsec_micros()) / 1e6;
        let now = self
            .a
            .now
            .unwrap_or_else(|| i64::try_from(m.time.as_secs()).unwrap_or(i64::MAX));
        if self.setup.is_none() {
            self.setup = Some(verifier(&self.a.keys, now)?);
        }
        let Some(setup) = &self.setup else {
            return Ok(());
        };
        let orig = req.orig(self.a.orig_from);
        let dest = req.dest(self.a.dest_from);
        let call = CallData {
            orig: orig.as_ref().filter(|n| n.is_tn).map(|n| n.text.as_str()),
            dest: dest.as_ref().filter(|n| n.is_tn).map(|n| n.text.as_str()),
            iat: None,
            attest: None,
            origid: None,
            call_id: None,
            batch: true,
        };
        let call_id = req.first("call-id").map(str::to_owned);
        let mut index = 0u64;
        for value in req.all("identity") {
            let results = match verify_all(setup, value, &call, now) {
                Ok(r) => r.iter().map(result_json).collect::<Vec<_>>(),
                // A compact-form value: the request does not carry what rebuilds it.
                Err(e) => vec![json!({
                    "valid": false,
                    "sip_code": 438,
                    "reason": "Invalid Identity Header",
                    "error": e.msg,
                    "kind": "compact",
                    "verstat": "No-TN-Validation",
                })],
            };
            for mut r in results {
                self.stats.values += 1;
                if r["valid"] == Value::Bool(true) {
                    self.stats.valid += 1;
                } else {
                    self.status = 1;
                    let k = format!("{} {}", r["sip_code"], r["kind"].as_str().unwrap_or(""));
                    *self.stats.invalid.entry(k).or_default() += 1;
                }
                r["frame"] = json!(m.frame);
                r["time"] = json!(time);
                r["call_id"] = json!(call_id);
                r["method"] = json!(req.method());
                r["index"] = json!(index);
                r["orig"] = json!(orig.as_ref().map(|n| &n.text));
                r["dest"] = json!(dest.as_ref().map(|n| vec![&n.text]).unwrap_or_default());
                index += 1;
                out.line(r)?;
            }
        }
        Ok(())
    }

    fn summary(&self, c: capture::Counters) {
        let s = &self.stats;
        let mut t = String::new();
        let mut row = |k: &str, n: u64| t.push_str(&format!("  {k:<32} {n:>10}\n"));
        row("frames", s.frames);
        row("frames not decoded", c.undecoded);
        row("SIP requests", s.sip_requests);
        row("  with Identity", s.with_identity);
        row("malformed SIP messages", s.malformed_sip + c.malformed_sip);
        row("TCP streams reset or dropped", c.tcp_resets);
        row("Identity values", s.values);
        row("  valid", s.valid);
        for (k, n) in &s.invalid {
            row(&format!("  invalid {k}"), *n);
        }
        warn(format_args!("summary\n{}", t.trim_end()));
    }
}
