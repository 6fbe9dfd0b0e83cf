//! The `cliauth` command: generate keys, sign and verify caller-ID tokens, decode them.
//!
//! Exit codes: 0 success (token valid), 1 token invalid, 2 usage or I/O error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use cliauth::cert::{Credential, TrustStore};
use cliauth::passport::{self, Dest, Header, Party, Passport, Rcd};
use cliauth::{
    Attest, Call, Claims, IdentityHeader, Ppt, Signer, SigningKey, Tn, Verdict, Verifier,
    VerifierConfig, VerifyingKey,
};
use serde_json::{Value, json};

mod cert;
mod isup;

#[derive(Parser)]
#[command(
    name = "cliauth",
    version,
    about = "Sign and verify STIR/SHAKEN caller-ID tokens (PASSporT, SIP Identity)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate an ECDSA P-256 key pair (PKCS#8 PEM).
    Keygen {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
        /// Where to write the public key (SubjectPublicKeyInfo PEM).
        #[arg(long = "pub")]
        public: Option<PathBuf>,
    },
    /// Sign a PASSporT and print the Identity header value (or the token).
    Sign(SignArgs),
    /// Verify an Identity header value or token. Exit 0 valid, 1 invalid, 2 usage error.
    Verify(VerifyArgs),
    /// Print a token's header and claims as JSON, without verifying it.
    Decode {
        /// A token or an Identity header value.
        input: String,
    },
    /// ISUP/BICC carriage: the compact token and the IAM.
    #[command(subcommand)]
    Isup(isup::IsupCmd),
    /// STI certificates: inspect them, or issue a test PKI.
    #[command(subcommand)]
    Cert(cert::CertCmd),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PptArg {
    Shaken,
    Div,
    Rcd,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Form {
    Identity,
    Token,
    Compact,
}

#[derive(clap::Args)]
struct SignArgs {
    /// Private key, PEM (PKCS#8 or SEC1).
    #[arg(long)]
    key: PathBuf,
    /// URL of the signer's certificate.
    #[arg(long)]
    x5u: String,
    /// Calling number.
    #[arg(long)]
    orig: String,
    /// Called number(s), comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    dest: Vec<String>,
    /// Attestation level (required for shaken).
    #[arg(long)]
    attest: Option<String>,
    /// Origination identifier (default: a new UUID).
    #[arg(long)]
    origid: Option<String>,
    /// Issued-at time, seconds since the epoch (default: now).
    #[arg(long)]
    iat: Option<i64>,
    /// PASSporT extension.
    #[arg(long, value_enum, default_value = "shaken")]
    ppt: PptArg,
    /// Diverted-to number (ppt div).
    #[arg(long)]
    div: Option<String>,
    /// Caller display name (rcd claim; required for ppt rcd).
    #[arg(long)]
    rcd_name: Option<String>,
    /// What to print.
    #[arg(long, value_enum, default_value = "identity")]
    form: Form,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The Identity header value (or a bare token).
    #[arg(long, conflicts_with = "identity_file")]
    identity: Option<String>,
    /// A file holding the Identity header value.
    #[arg(long)]
    identity_file: Option<PathBuf>,
    /// The signer's public key, PEM or DER (no certificate checks).
    #[arg(long, conflicts_with_all = ["cert", "trust_anchor"], required_unless_present_any = ["cert", "fetch"])]
    pubkey: Option<PathBuf>,
    /// The signer's certificate (alone: its key is used as is) or chain, end-entity first
    /// (with --trust-anchor: validated, TNAuthList and constraints enforced).
    #[arg(long, conflicts_with = "fetch")]
    cert: Option<PathBuf>,
    /// A trusted STI-CA root certificate (PEM or DER, may hold several). Repeatable.
    #[arg(long)]
    trust_anchor: Vec<PathBuf>,
    /// A CRL to check the chain against (PEM or DER). Repeatable.
    #[arg(long, requires = "trust_anchor")]
    crl: Vec<PathBuf>,
    /// Fetch the chain from the token's x5u (https) and validate it with --trust-anchor.
    #[arg(long, requires = "trust_anchor")]
    fetch: bool,
    /// With --fetch: allow http:// and loopback x5u URLs (for tests).
    #[arg(long, requires = "fetch")]
    allow_http_loopback: bool,
    /// Reject certificates with ATIS-1000080 profile faults (else they are reported).
    #[arg(long)]
    strict_profile: bool,
    /// The call's calling number, checked against orig.
    #[arg(long)]
    orig: Option<String>,
    /// The call's called number, checked against dest.
    #[arg(long)]
    dest: Option<String>,
    /// The current time, seconds since the epoch (default: the system clock).
    #[arg(long)]
    now: Option<i64>,
    /// Oldest iat accepted, seconds before now.
    #[arg(long, default_value_t = 60)]
    max_age: i64,
    /// How far iat may be in the future, seconds.
    #[arg(long, default_value_t = 10)]
    max_future: i64,
    /// Accept http:// x5u URLs.
    #[arg(long)]
    allow_http_x5u: bool,
    /// Compact form only: the iat to rebuild the PASSporT with.
    #[arg(long)]
    iat: Option<i64>,
    /// Compact form only: the attestation to rebuild the PASSporT with.
    #[arg(long)]
    attest: Option<String>,
    /// Compact form only: the origid to rebuild the PASSporT with.
    #[arg(long)]
    origid: Option<String>,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

/// A usage or I/O problem: exit code 2.
pub(crate) struct UsageError(pub(crate) String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(e: E) -> Self {
        UsageError(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Keygen { out, public } => keygen(&out, public.as_deref()).map(|()| ExitCode::SUCCESS),
        Cmd::Sign(a) => sign(a).map(|()| ExitCode::SUCCESS),
        Cmd::Verify(a) => verify(a),
        Cmd::Decode { input } => decode(&input).map(|()| ExitCode::SUCCESS),
        Cmd::Cert(c) => cert::run(c),
        Cmd::Isup(c) => isup::run(c),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(msg)) => {
            eprintln!("cliauth: {msg}");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, UsageError> {
    std::fs::read(path).map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn keygen(out: &Path, public: Option<&Path>) -> Result<(), UsageError> {
    let (key, der) = SigningKey::generate()?;
    write_private(out, cliauth::key::pkcs8_pem(&der).as_bytes())?;
    if let Some(p) = public {
        std::fs::write(p, key.verifying_key().to_pem()?)
            .map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
    }
    Ok(())
}

pub(crate) fn write_private(path: &Path, data: &[u8]) -> Result<(), UsageError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    f.write_all(data)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))
}

fn canonical(tn: &str) -> Result<String, UsageError> {
    Tn::parse(tn)
        .map(Tn::into_string)
        .map_err(|e| UsageError(format!("{tn:?}: {e}")))
}

fn sign(a: SignArgs) -> Result<(), UsageError> {
    let signer = Signer::from_pem(&read_file(&a.key)?, a.x5u)?;
    let dest = a
        .dest
        .iter()
        .map(|d| canonical(d))
        .collect::<Result<Vec<_>, _>>()?;
    let mut claims = Claims::new(
        Party::Tn(canonical(&a.orig)?),
        Dest {
            tn: dest,
            uri: Vec::new(),
        },
        a.iat.unwrap_or_else(now),
    );
    claims.attest = a.attest.as_deref().map(str::parse::<Attest>).transpose()?;
    let ppt = match a.ppt {
        PptArg::Shaken => {
            if claims.attest.is_none() {
                return Err(UsageError("--attest is required for ppt shaken".into()));
            }
            claims.origid = Some(a.origid.unwrap_or_else(passport::claims::new_origid));
            Ppt::Shaken
        }
        PptArg::Div => {
            let div = a
                .div
                .as_deref()
                .ok_or_else(|| UsageError("--div is required for ppt div".into()))?;
            claims.div = Some(Party::Tn(canonical(div)?));
            claims.origid = a.origid;
            Ppt::Div
        }
        PptArg::Rcd => {
            if a.rcd_name.is_none() {
                return Err(UsageError("--rcd-name is required for ppt rcd".into()));
            }
            claims.origid = a.origid;
            Ppt::Rcd
        }
    };
    if a.ppt != PptArg::Div && a.div.is_some() {
        return Err(UsageError("--div goes with --ppt div".into()));
    }
    if let Some(n) = a.rcd_name {
        claims.rcd = Some(Rcd::name(n));
    }
    let signed = signer.sign(Some(ppt), &claims)?;
    println!(
        "{}",
        match a.form {
            Form::Identity => signed.identity(),
            Form::Token => signed.token,
            Form::Compact => signed.compact_identity(),
        }
    );
    Ok(())
}

fn read_identity(a: &VerifyArgs) -> Result<String, UsageError> {
    let raw = if let Some(v) = &a.identity {
        v.clone()
    } else if let Some(p) = &a.identity_file {
        String::from_utf8(read_file(p)?)
            .map_err(|_| UsageError("identity file is not UTF-8".into()))?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .take(cliauth::limits::MAX_IDENTITY_HEADER_LEN as u64 + 1)
            .read_to_string(&mut s)
            .map_err(|e| UsageError(format!("stdin: {e}")))?;
        s
    };
    Ok(raw.trim().to_owned())
}

/// The verifier the command line asks for, or the reason every token fails (a configured
/// chain that does not validate is a verification failure, exit 1, not a usage error).
enum Setup {
    Ready(Verifier),
    ChainInvalid(cliauth::Error),
}

fn verifier(a: &VerifyArgs, now: i64) -> Result<Setup, UsageError> {
    let config = VerifierConfig {
        max_age: a.max_age,
        max_future: a.max_future,
        allow_http_x5u: a.allow_http_x5u || a.allow_http_loopback,
        strict_profile: a.strict_profile,
        ..VerifierConfig::default()
    };
    let key_only = a.pubkey.as_ref().or(if a.trust_anchor.is_empty() {
        a.cert.as_ref()
    } else {
        None
    });
    if let Some(p) = key_only {
        let key = VerifyingKey::from_pem_or_der(&read_file(p)?)?;
        return Ok(Setup::Ready(Verifier::with_key(key).with_config(config)));
    }
    if a.trust_anchor.is_empty() {
        return Err(UsageError(
            "--pubkey, --cert or --fetch with --trust-anchor is required".into(),
        ));
    }
    let mut trust = TrustStore::new();
    for p in &a.trust_anchor {
        trust
            .add_anchors(&read_file(p)?)
            .map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
    }
    for p in &a.crl {
        trust
            .add_crls(&read_file(p)?)
            .map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
    }
    if let Some(p) = &a.cert {
        return Ok(match Credential::validate(&trust, &read_file(p)?, now) {
            Ok(cred) => Setup::Ready(Verifier::with_credential(cred).with_config(config)),
            Err(e) => Setup::ChainInvalid(e),
        });
    }
    fetch_verifier(trust, config, a.allow_http_loopback).map(Setup::Ready)
}

#[cfg(feature = "fetch")]
fn fetch_verifier(
    trust: TrustStore,
    config: VerifierConfig,
    allow_http_loopback: bool,
) -> Result<Verifier, UsageError> {
    let fetcher = cliauth::fetch::Fetcher::new(cliauth::fetch::FetchConfig {
        allow_http_loopback,
        ..cliauth::fetch::FetchConfig::default()
    });
    // A one-shot command has nothing else to do: it waits for its fetch (up to the
    // fetch deadline) instead of the library's call-path budget.
    let config = VerifierConfig {
        fetch_budget: fetcher.config().timeout,
        ..config
    };
    Ok(
        Verifier::with_store(std::sync::Arc::new(cliauth::cert::CertStore::new(trust)))
            .with_config(config)
            .with_fetcher(fetcher),
    )
}

#[cfg(not(feature = "fetch"))]
fn fetch_verifier(_: TrustStore, _: VerifierConfig, _: bool) -> Result<Verifier, UsageError> {
    Err(UsageError(
        "this cliauth was built without the fetch feature".into(),
    ))
}

fn verify(a: VerifyArgs) -> Result<ExitCode, UsageError> {
    let now = a.now.unwrap_or_else(now);
    let setup = verifier(&a, now)?;
    let identity = read_identity(&a)?;
    let call = Call {
        orig: a.orig.as_deref(),
        dest: a.dest.as_deref(),
    };
    let results: Vec<Result<Verdict, cliauth::Error>> =
        match (&setup, IdentityHeader::parse_all(&identity)) {
            (_, Err(e)) => vec![Err(e)],
            (Setup::ChainInvalid(e), Ok(_)) => vec![Err(e.clone())],
            (Setup::Ready(verifier), Ok(values)) => values
                .iter()
                .map(|h| {
                    if h.is_compact() {
                        rebuild(h, &a)
                            .and_then(|p| verifier.verify_compact(&h.format(), &p, &call, now))
                    } else {
                        verifier.verify_parsed(h, &call, now)
                    }
                })
                .collect(),
        };
    let all_ok = results.iter().all(Result::is_ok);
    if a.json {
        let objs: Vec<Value> = results.iter().map(result_json).collect();
        let out = if objs.len() == 1 {
            objs.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(objs)
        };
        println!("{out}");
    } else {
        for r in &results {
            match r {
                Ok(v) => println!(
                    "valid: ppt={} attest={} orig={} dest={} origid={} verstat={}",
                    v.ppt().map_or("(none)", Ppt::as_str),
                    v.attest().map_or("-", Attest::as_str),
                    v.orig().as_str(),
                    v.dest().all().collect::<Vec<_>>().join(","),
                    v.origid().unwrap_or("-"),
                    v.verstat()
                ),
                Err(e) => println!("{} {}: {e}", e.sip_code(), e.reason()),
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Rebuilds the PASSporT of a compact-form value from the command line's call data.
fn rebuild(h: &IdentityHeader, a: &VerifyArgs) -> Result<Passport, cliauth::Error> {
    let need = |what: &str| {
        cliauth::Error::Claims(format!(
            "compact form: {what} is needed to rebuild the PASSporT"
        ))
    };
    let ppt = match h.ppt.as_deref() {
        None => Some(Ppt::Shaken),
        Some(p) => Some(p.parse::<Ppt>()?),
    };
    let x5u = h
        .info
        .clone()
        .ok_or_else(|| cliauth::Error::BadInfo("compact form without info".into()))?;
    let orig = Tn::parse(a.orig.as_deref().ok_or_else(|| need("--orig"))?)?;
    let dest = Tn::parse(a.dest.as_deref().ok_or_else(|| need("--dest"))?)?;
    let mut claims = Claims::new(
        Party::Tn(orig.into_string()),
        Dest::tns([dest.into_string()]),
        a.iat.ok_or_else(|| need("--iat"))?,
    );
    claims.attest = a.attest.as_deref().map(str::parse).transpose()?;
    claims.origid = a.origid.clone();
    Passport::new(Header::new(ppt, x5u), claims)
}

fn result_json(r: &Result<Verdict, cliauth::Error>) -> Value {
    match r {
        Ok(v) => json!({
            "valid": true,
            "attest": v.attest().map(Attest::as_str),
            "orig": v.orig().as_str(),
            "dest": v.dest().all().collect::<Vec<_>>(),
            "iat": v.iat(),
            "ppt": v.ppt().map(Ppt::as_str),
            "origid": v.origid(),
            "x5u": v.x5u(),
            "verstat": v.verstat().as_str(),
            "spc": v.spc(),
            "cert_faults": v.cert_faults(),
        }),
        Err(e) => json!({
            "valid": false,
            "sip_code": e.sip_code(),
            "reason": e.reason(),
            "error": e.to_string(),
            "kind": e.kind(),
            "verstat": e.verstat().as_str(),
        }),
    }
}

fn decode(input: &str) -> Result<(), UsageError> {
    let h = IdentityHeader::parse(input.trim())?;
    let d = passport::decode(&h.token)?;
    let mut out = json!({
        "header": Value::Object(d.header),
        "claims": Value::Object(d.claims),
        "signature": d.signature,
    });
    if h.info.is_some() || h.ppt.is_some() || h.alg.is_some() {
        out["identity_params"] = json!({"info": h.info, "alg": h.alg, "ppt": h.ppt});
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
