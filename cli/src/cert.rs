//! `cliauth cert`: inspect STI certificates (PEM, DER, gzip-compressed bundles of any size)
//! and issue a test PKI.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use cliauth::cert::StiCert;
use cliauth::cert::sticert::pem_blocks;
use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::tnauthlist::TnEntry;
use serde_json::{Value, json};

use crate::{MAX_INPUT_FILE, Out, UsageError, read_file, write_private};

/// The largest input `cert inspect` reads from one file, after decompression: 64 MiB
/// (the 15,988 certificates of the public STI corpus are 25 MiB of PEM). A gzip file that
/// inflates to more is refused with an error as soon as the limit is reached.
pub(crate) const MAX_INSPECT_INPUT: u64 = MAX_INPUT_FILE;

#[derive(Subcommand)]
pub(crate) enum CertCmd {
    /// Describe certificates: one line (or JSON object) per certificate, with the profile
    /// faults.
    ///
    /// Files may be PEM bundles, DER, or gzip-compressed (at most 64 MiB after
    /// decompression). Exit status 1 when a certificate cannot be parsed, 2 when a file
    /// cannot be read or holds no certificate.
    Inspect {
        /// Certificate files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Issue a test PKI (root → intermediate → SHAKEN end-entity) into a directory.
    Issue {
        /// Where to write the files (created if missing).
        #[arg(long)]
        out_dir: PathBuf,
        /// Service provider code of the TNAuthList.
        #[arg(long, default_value = "1234")]
        spc: String,
        /// Leave the SPC out (with --tn or --range only).
        #[arg(long)]
        no_spc: bool,
        /// A telephone number for the TNAuthList. Repeatable.
        #[arg(long)]
        tn: Vec<String>,
        /// A telephone number range START:COUNT for the TNAuthList. Repeatable.
        #[arg(long)]
        range: Vec<String>,
        /// Validity in days from now (1 or more).
        #[arg(long, default_value_t = 365, allow_negative_numbers = true,
              value_parser = clap::value_parser!(i64).range(1..=36_500))]
        days: i64,
        /// Give the intermediate a P-384 key.
        #[arg(long)]
        p384_intermediate: bool,
    },
}

pub(crate) fn run(cmd: CertCmd, out: &mut Out) -> Result<ExitCode, UsageError> {
    match cmd {
        CertCmd::Inspect { files, json } => inspect(&files, json, out),
        CertCmd::Issue {
            out_dir,
            spc,
            no_spc,
            tn,
            range,
            days,
            p384_intermediate,
        } => {
            let ranges = range
                .iter()
                .map(|r| {
                    let (s, c) = r.split_once(':').ok_or_else(|| {
                        UsageError(format!(
                            "range {} is not START:COUNT",
                            crate::out::quoted(r)
                        ))
                    })?;
                    Ok((
                        s.to_owned(),
                        c.parse::<u64>().map_err(|e| {
                            UsageError(format!("range {}: {e}", crate::out::quoted(r)))
                        })?,
                    ))
                })
                .collect::<Result<Vec<_>, UsageError>>()?;
            let now = crate::now();
            let opts = TestPkiOptions {
                spc: (!no_spc).then_some(spc),
                tns: tn,
                ranges,
                not_before: now - 3600,
                not_after: now + days * 86_400,
                intermediate_p384: p384_intermediate,
                sti_profile: true,
                ..TestPkiOptions::default()
            };
            issue(&out_dir, &opts, now, out).map(|()| ExitCode::SUCCESS)
        }
    }
}

fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, UsageError> {
    let raw = read_file(path)?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_INSPECT_INPUT + 1)
            .read_to_end(&mut out)
            .map_err(|e| UsageError::input(format!("{}: gzip: {e}", path.display())))?;
        if out.len() as u64 > MAX_INSPECT_INPUT {
            return Err(UsageError::input(format!(
                "{}: more than {} MiB after decompression (the limit)",
                path.display(),
                MAX_INSPECT_INPUT >> 20
            )));
        }
        return Ok(out);
    }
    Ok(raw)
}

/// The certificates of one file: DER (one certificate), or the CERTIFICATE blocks of a PEM
/// file. A file that is neither gives one error.
fn certificates(path: &Path, data: Vec<u8>) -> Result<Vec<Result<Vec<u8>, String>>, UsageError> {
    if data.first() == Some(&0x30) {
        return Ok(vec![Ok(data)]);
    }
    let no_cert = || {
        UsageError::input(format!(
            "{}: no certificate (neither DER nor PEM with a CERTIFICATE block)",
            path.display()
        ))
    };
    if !data.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(no_cert());
    }
    let mut ders = Vec::new();
    for b in pem_blocks(&data) {
        match b {
            Ok((label, der)) if label == "CERTIFICATE" => ders.push(Ok(der)),
            Ok(_) => {}
            Err(e) => {
                // A PEM error loses the reader's place: report it once and stop.
                ders.push(Err(format!("PEM: {e}")));
                break;
            }
        }
    }
    if ders.is_empty() {
        return Err(no_cert());
    }
    Ok(ders)
}

fn inspect(files: &[PathBuf], json: bool, out: &mut Out) -> Result<ExitCode, UsageError> {
    let mut failed = 0usize;
    for path in files {
        let data = read_maybe_gzip(path)?;
        for der in certificates(path, data)? {
            let obj = match der.and_then(|d| StiCert::from_der(&d).map_err(|e| e.to_string())) {
                Ok(c) => describe(&c),
                Err(e) => {
                    failed += 1;
                    json!({"file": path.display().to_string(), "error": e})
                }
            };
            if json {
                out.line(obj)?;
            } else {
                out.line(human(&obj))?;
            }
            if out.closed() {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn describe(c: &StiCert) -> Value {
    let tn: Vec<Value> = c
        .tn_entries()
        .into_iter()
        .map(|e| match e {
            TnEntry::One(t) => json!({"one": t}),
            TnEntry::Range { start, count } => json!({"range": {"start": start, "count": count}}),
            TnEntry::Spc(s) => json!({"spc": s}),
        })
        .collect();
    json!({
        "sha256": c.sha256_hex(),
        "subject": c.subject(),
        "issuer": c.issuer(),
        "is_ca": c.is_ca(),
        "spc": c.spc(),
        "tn": tn,
        "not_before": c.not_before(),
        "not_after": c.not_after(),
        "faults": c.check_profile().iter().map(|f| f.id()).collect::<Vec<_>>(),
    })
}

fn human(v: &Value) -> String {
    if let Some(e) = v.get("error") {
        return format!(
            "{}: error: {}",
            v["file"].as_str().unwrap_or(""),
            e.as_str().unwrap_or("")
        );
    }
    format!(
        "{} {} subject={} spc={} faults={}",
        &v["sha256"].as_str().unwrap_or("")[..16.min(v["sha256"].as_str().unwrap_or("").len())],
        if v["is_ca"] == true { "CA" } else { "EE" },
        crate::out::quoted(v["subject"].as_str().unwrap_or("")),
        v["spc"].as_str().unwrap_or("-"),
        v["faults"]
            .as_array()
            .map(|a| a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","))
            .unwrap_or_default()
    )
}

fn issue(dir: &Path, opts: &TestPkiOptions, now: i64, out: &mut Out) -> Result<(), UsageError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| UsageError::output(format!("{}: {e}", dir.display())))?;
    let pki = TestPki::generate(opts)?;
    let write = |name: &str, data: &str| {
        std::fs::write(dir.join(name), data)
            .map_err(|e| UsageError::output(format!("{}: {e}", dir.join(name).display())))
    };
    write("root.pem", &pki.root_pem)?;
    write("intermediate.pem", &pki.intermediate_pem)?;
    write("sp.pem", &pki.ee_pem)?;
    write("sp-chain.pem", &pki.chain_pem)?;
    write_private(&dir.join("root-key.pem"), pki.root_key_pem.as_bytes())?;
    write_private(
        &dir.join("intermediate-key.pem"),
        pki.intermediate_key_pem.as_bytes(),
    )?;
    write_private(&dir.join("sp-key.pem"), pki.ee_key_pem.as_bytes())?;
    write("crl.pem", &pki.ee_crl(false, now - 60, now + 7 * 86_400)?)?;
    write(
        "crl-revoked.pem",
        &pki.ee_crl(true, now - 60, now + 7 * 86_400)?,
    )?;
    out.line(format_args!(
        "test PKI in {}: root.pem (trust anchor), sp-chain.pem (x5u body), sp-key.pem (signing key), crl.pem, crl-revoked.pem",
        dir.display()
    ))
}
