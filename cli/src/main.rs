//! The `cliauth` command: generate keys, sign and verify caller-ID tokens, decode them.
//!
//! Exit status (the README's table is the contract, checked by `cli/tests/readme.rs`):
//! 0 success (every token valid), 1 a token, certificate or message is invalid (including
//! an x5u that could not be fetched: that is the token's problem, SIP 436), 2 a usage,
//! input or output problem (with `--json`, also one `{"error":…,"kind":…}` object on
//! standard output). A closed standard output ends the command quietly.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use cliauth::cert::{Credential, TrustStore};
use cliauth::passport::{self, Dest, Header, Party, Passport, Rcd};
use cliauth::verify::Authority;
use cliauth::{
    Attest, Call, Claims, IdentityHeader, Ppt, Signer, SigningKey, Tn, Verdict, Verifier,
    VerifierConfig, VerifyingKey,
};
use serde_json::{Value, json};

mod batch;
mod cert;
mod isup;
mod out;
mod pcap;
mod sign_batch;

pub(crate) use out::{Out, UsageError, warn};

/// The largest input file the command reads (keys, certificates, Identity values, batch
/// files are read line by line); `cert inspect` has its own limit after decompression.
pub(crate) const MAX_INPUT_FILE: u64 = 64 * 1024 * 1024;

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
    ///
    /// Refuses to overwrite a file unless --force is given.
    Keygen {
        /// Where to write the private key (mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Where to write the public key (SubjectPublicKeyInfo PEM).
        #[arg(long = "pub")]
        public: Option<PathBuf>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Keys: print the public key of a private key.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Sign a PASSporT and print the Identity header value (or the token).
    Sign(SignArgs),
    /// Verify an Identity header value or token (or a batch of them).
    ///
    /// Exit status 0: every token valid; 1: a token invalid (an x5u that cannot be fetched
    /// included: SIP 436); 2: a usage, input or output problem (with --json or --batch,
    /// also one {"error":…,"kind":…} object on standard output).
    Verify(VerifyArgs),
    /// Verify every Identity header value of the SIP requests in a capture (pcap, pcapng).
    ///
    /// One JSON line per Identity value. Exit status 0: every value valid (or none found);
    /// 1: a value invalid; 2: a usage or input problem (not a capture, no key source).
    Pcap(pcap::PcapArgs),
    /// Print a token's header and claims as JSON, without verifying it.
    ///
    /// Exit status 0: decoded; 1: malformed (what could be decoded is still printed, with
    /// "problems"); 2: a usage or input problem. A compact-form value carries no header or
    /// claims: it is shown as "compact": true.
    Decode {
        /// A token or an Identity header value; `-` or nothing: standard input.
        input: Option<String>,
    },
    /// ISUP/BICC carriage: the compact token and the IAM.
    #[command(subcommand)]
    Isup(isup::IsupCmd),
    /// STI certificates: inspect them, or issue a test PKI.
    #[command(subcommand)]
    Cert(cert::CertCmd),
    /// Print a shell completion script.
    ///
    /// For example: cliauth completions bash >
    /// ~/.local/share/bash-completion/completions/cliauth
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per subcommand.
    ///
    /// With --out-dir: cliauth.1, cliauth-verify.1, … in that directory (for example
    /// ~/.local/share/man/man1).
    Man {
        /// Write all pages into this directory instead.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Print the public key (SubjectPublicKeyInfo PEM) of a private key (PEM or DER,
    /// PKCS#8 or SEC1; `-` reads standard input).
    Pub {
        /// The private key file.
        key: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PptArg {
    Shaken,
    Div,
    Rcd,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Form {
    Identity,
    Token,
    Compact,
}

#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// Private key, PEM (PKCS#8 or SEC1).
    #[arg(long)]
    key: PathBuf,
    /// URL of the signer's certificate.
    #[arg(long)]
    x5u: String,
    /// Calling number.
    #[arg(long, required_unless_present = "batch")]
    orig: Option<String>,
    /// Called number(s), comma-separated.
    #[arg(long, value_delimiter = ',', required_unless_present = "batch")]
    dest: Vec<String>,
    /// Attestation level (required for shaken).
    #[arg(long)]
    attest: Option<String>,
    /// Origination identifier (default: a new UUID).
    #[arg(long)]
    origid: Option<String>,
    /// Issued-at time, seconds since the epoch (default: now).
    #[arg(long, allow_negative_numbers = true, value_parser = non_negative)]
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
    /// Sign many calls: read one call per line from FILE (or standard input: no FILE or
    /// `-`), JSON lines or CSV with a header row; write one value per line, in order. A bad
    /// line writes nothing (exit 2). --attest, --ppt and --iat are defaults for the lines.
    /// See the README.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          conflicts_with_all = ["orig", "dest", "origid", "div", "rcd_name"])]
    batch: Option<PathBuf>,
    /// With --batch: write a SIPp injection file (`SEQUENTIAL`, then per call the Identity
    /// value split at `;` into fields, then orig and dest).
    #[arg(long, requires = "batch")]
    sipp: bool,
    /// With --batch: the input format (default: JSON if the first line starts with `{`).
    #[arg(long, value_enum, requires = "batch")]
    input_format: Option<sign_batch::InputFormat>,
    /// With --batch: signing threads (default: one per core).
    #[arg(long, requires = "batch", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
}

#[derive(clap::Args)]
pub(crate) struct VerifyArgs {
    /// The Identity header value (or a bare token).
    #[arg(long, conflicts_with = "identity_file")]
    identity: Option<String>,
    /// A file holding the Identity header value.
    #[arg(long)]
    identity_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keys: KeyArgs,
    /// The call's calling number, checked against orig.
    #[arg(long)]
    orig: Option<String>,
    /// The call's called number, checked against dest.
    #[arg(long)]
    dest: Option<String>,
    /// The current time, seconds since the epoch (default: the system clock).
    #[arg(long, allow_negative_numbers = true, value_parser = non_negative)]
    now: Option<i64>,
    /// Compact form only: the iat to rebuild the PASSporT with.
    #[arg(long, allow_negative_numbers = true, value_parser = non_negative)]
    iat: Option<i64>,
    /// Compact form only: the attestation to rebuild the PASSporT with.
    #[arg(long)]
    attest: Option<String>,
    /// Compact form only: the origid to rebuild the PASSporT with.
    #[arg(long)]
    origid: Option<String>,
    /// The call's SIP Call-ID: the same token again with the same Call-ID is a
    /// retransmission (accepted); with another Call-ID inside its freshness window it is a
    /// replay (exit 1, kind `replay`). Shared across processes with --state redis://….
    #[arg(long, value_name = "ID")]
    call_id: Option<String>,
    /// Print one JSON object per Identity value, one per line.
    #[arg(long)]
    json: bool,
    /// Verify many calls in one process: read one JSON request per line from FILE (or
    /// standard input: no FILE or `-`), write one JSON verdict per line. See the README.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          conflicts_with_all = ["identity", "identity_file", "orig", "dest", "iat", "attest", "origid", "call_id"])]
    batch: Option<PathBuf>,
}

/// How `verify`, `verify --batch` and `pcap` get the signer's key, and the verifier's
/// time window.
#[derive(clap::Args)]
pub(crate) struct KeyArgs {
    /// The signer's public key, PEM or DER (no certificate checks).
    #[arg(long, conflicts_with_all = ["cert", "trust_anchor"])]
    pub(crate) pubkey: Option<PathBuf>,
    /// The signer's certificate or chain, end-entity first. Its validity period, TNAuthList
    /// and claim constraints are always enforced; with --trust-anchor the chain is
    /// validated too (without, a warning on stderr says it was not).
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
    /// Before validating the chain (from --cert or --fetch), fetch the CRLs named by its
    /// CRL distribution points (https, the x5u fetch rules and deadline) and check it
    /// against them. A CRL that cannot be fetched or does not check is reported on stderr
    /// and the --crl files (if any) are used.
    #[arg(long, requires = "trust_anchor")]
    crl_fetch: bool,
    /// With --fetch or --crl-fetch: allow http:// and loopback URLs (for tests).
    #[arg(long)]
    allow_http_loopback: bool,
    /// With --fetch: the longest a verification waits for a chain being fetched, in
    /// milliseconds (default: the fetch deadline, 5000). A chain not there in time is
    /// 436 `certificate_pending`.
    #[arg(long, requires = "fetch", value_name = "MS",
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    fetch_budget: Option<u64>,
    /// Where verification state lives: `memory` (this process only, the default) or
    /// `redis://HOST:PORT` (shared with every process using the same Redis: tokens seen
    /// for a Call-ID, so a replay to another process is caught, and with --fetch the
    /// fetched chains, so each x5u is fetched once). Redis down: verification goes on
    /// with this process's state and a warning on stderr.
    #[arg(long, value_name = "URL", default_value = "memory")]
    state: String,
    /// Reject certificates with ATIS-1000080 profile faults (else they are reported).
    #[arg(long)]
    strict_profile: bool,
    /// Oldest iat accepted, seconds before now (0 or more).
    #[arg(long, default_value_t = 60, allow_negative_numbers = true, value_parser = non_negative)]
    max_age: i64,
    /// How far iat may be in the future, seconds (0 or more).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = non_negative)]
    max_future: i64,
    /// Accept http:// x5u URLs.
    #[arg(long)]
    allow_http_x5u: bool,
}

/// A number of seconds (a time or a duration) on the command line: 0 or more. Negative
/// numbers are parsed (not taken for options) so that the message says what is wrong.
pub(crate) fn non_negative(s: &str) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        Ok(_) => Err("must be 0 or more (seconds)".into()),
        Err(e) => Err(format!("not a whole number of seconds: {e}")),
    }
}

/// Whether the command line asks for JSON output (`--json`, or `verify --batch`, before any
/// `--`):
/// an exit-2 failure is then also reported as one JSON object on standard output.
fn wants_json(args: &[std::ffi::OsString]) -> bool {
    // `sign --batch` writes Identity values, not JSON: its errors are on standard error only.
    // `pcap` writes JSON lines: its errors are JSON objects too.
    if args.get(1).is_some_and(|a| a == "pcap") {
        return true;
    }
    let verify = args.get(1).is_some_and(|a| a == "verify");
    args.iter().skip(1).take_while(|a| *a != "--").any(|a| {
        a == "--json" || (verify && (a == "--batch" || a.to_string_lossy().starts_with("--batch=")))
    })
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = wants_json(&args);
    let mut out = Out::new();
    let result = match Cli::try_parse_from(&args) {
        Ok(cli) => run(cli.cmd, &mut out),
        // --help, --version: their text goes to standard output like any other.
        Err(e) if e.exit_code() == 0 => {
            out.raw(&e.render().to_string()).map(|()| ExitCode::SUCCESS)
        }
        Err(e) => {
            // clap's own message (with its usage line) on standard error.
            let text = e.render().to_string();
            let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
            if json {
                let msg = text
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                let _ = out.line(json!({"error": msg, "kind": "usage"}));
                let _ = out.flush();
            }
            return ExitCode::from(2);
        }
    };
    match result.and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => code,
        Err(e) => {
            warn(&e.msg);
            if json && e.kind != out::ErrKind::Output {
                let _ = out.line(json!({"error": e.msg, "kind": e.kind.as_str()}));
                let _ = out.flush();
            }
            ExitCode::from(2)
        }
    }
}

fn run(cmd: Cmd, out: &mut Out) -> Result<ExitCode, UsageError> {
    match cmd {
        Cmd::Keygen {
            out: o,
            public,
            force,
        } => keygen(&o, public.as_deref(), force).map(|()| ExitCode::SUCCESS),
        Cmd::Key(KeyCmd::Pub { key }) => key_pub(&key, out).map(|()| ExitCode::SUCCESS),
        Cmd::Sign(a) if a.batch.is_some() => sign_batch::run(a, out).map(|()| ExitCode::SUCCESS),
        Cmd::Sign(a) => sign(a, out).map(|()| ExitCode::SUCCESS),
        Cmd::Verify(a) => match &a.batch {
            Some(src) => batch::run(&a, src, out),
            None => verify(a, out),
        },
        Cmd::Decode { input } => decode(input.as_deref(), out),
        Cmd::Pcap(a) => pcap::run(a, out),
        Cmd::Cert(c) => cert::run(c, out),
        Cmd::Isup(c) => isup::run(c, out),
        Cmd::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cliauth", &mut buf);
            out.raw(&String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Man { out_dir } => man(out_dir.as_deref(), out).map(|()| ExitCode::SUCCESS),
    }
}

/// The man page(s), generated from the clap definitions.
fn man(dir: Option<&Path>, out: &mut Out) -> Result<(), UsageError> {
    let cmd = Cli::command();
    match dir {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut buf)
                .map_err(|e| UsageError::output(format!("man page: {e}")))?;
            out.raw(&String::from_utf8_lossy(&buf))
        }
        Some(d) => {
            std::fs::create_dir_all(d)
                .map_err(|e| UsageError::output(format!("{}: {e}", d.display())))?;
            clap_mangen::generate_to(cmd, d)
                .map_err(|e| UsageError::output(format!("{}: {e}", d.display())))
        }
    }
}

/// Reads a file the command was told to read (at most [`MAX_INPUT_FILE`] bytes); `-` is
/// standard input.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, UsageError> {
    read_limited(path, MAX_INPUT_FILE)
}

/// Reads at most the first `n` bytes of `path` (`-`: standard input).
pub(crate) fn read_prefix(path: &Path, n: u64) -> Result<Vec<u8>, UsageError> {
    let fail = |e: std::io::Error| UsageError::input(format!("{}: {e}", path.display()));
    let mut data = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(n)
            .read_to_end(&mut data)
            .map_err(fail)?;
    } else {
        std::fs::File::open(path)
            .map_err(fail)?
            .take(n)
            .read_to_end(&mut data)
            .map_err(fail)?;
    }
    Ok(data)
}

/// Reads `path` (`-`: standard input), refusing more than `limit` bytes.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, UsageError> {
    let data = read_prefix(path, limit + 1)?;
    if data.len() as u64 > limit {
        return Err(UsageError::input(format!(
            "{}: larger than {limit} bytes",
            path.display()
        )));
    }
    Ok(data)
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn keygen(out: &Path, public: Option<&Path>, force: bool) -> Result<(), UsageError> {
    if !force {
        for p in std::iter::once(out).chain(public) {
            if p.exists() {
                return Err(UsageError(format!(
                    "{}: exists (give --force to overwrite it)",
                    p.display()
                )));
            }
        }
    }
    let (key, der) = SigningKey::generate()?;
    write_private(out, cliauth::key::pkcs8_pem(&der).as_bytes())?;
    if let Some(p) = public {
        std::fs::write(p, key.verifying_key().to_pem()?)
            .map_err(|e| UsageError::output(format!("{}: {e}", p.display())))?;
    }
    Ok(())
}

fn key_pub(path: &Path, out: &mut Out) -> Result<(), UsageError> {
    let key = SigningKey::from_pem_or_der(&read_file(path)?)
        .map_err(|e| UsageError::input(format!("{}: {e}", path.display())))?;
    let pem = key.verifying_key().to_pem()?;
    out.raw(&pem)?;
    if !pem.ends_with('\n') {
        out.raw("\n")?;
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
        .map_err(|e| UsageError::output(format!("{}: {e}", path.display())))?;
    f.write_all(data)
        .map_err(|e| UsageError::output(format!("{}: {e}", path.display())))
}

/// A telephone number given on the command line as `what`, in canonical form; a bad one
/// is a usage error.
pub(crate) fn canonical(what: &str, tn: &str) -> Result<String, UsageError> {
    Tn::parse(tn)
        .map(Tn::into_string)
        .map_err(|e| UsageError(format!("{what} {}: {e}", out::quoted(tn))))
}

fn sign(a: SignArgs, out: &mut Out) -> Result<(), UsageError> {
    let signer = Signer::from_pem(&read_file(&a.key)?, a.x5u)
        .map_err(|e| UsageError::input(format!("{}: {e}", a.key.display())))?;
    let dest = a
        .dest
        .iter()
        .map(|d| canonical("--dest", d))
        .collect::<Result<Vec<_>, _>>()?;
    let mut claims = Claims::new(
        Party::Tn(canonical("--orig", a.orig.as_deref().unwrap_or_default())?),
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
            claims.div = Some(Party::Tn(canonical("--div", div)?));
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
    out.line(match a.form {
        Form::Identity => signed.identity(),
        Form::Token => signed.into_token(),
        Form::Compact => signed.compact_identity(),
    })
}

fn read_identity(a: &VerifyArgs) -> Result<String, UsageError> {
    let raw = if let Some(v) = &a.identity {
        v.clone()
    } else {
        let p = a.identity_file.as_deref().unwrap_or(Path::new("-"));
        // At most one byte over the limit: the parser then reports the limit (438 `limit`,
        // the token's problem, whatever the length).
        let data = read_prefix(p, cliauth::limits::MAX_IDENTITY_HEADER_LEN as u64 + 1)?;
        String::from_utf8(data)
            .map_err(|_| UsageError::input(format!("{}: not UTF-8 text", p.display())))?
    };
    Ok(raw.trim().to_owned())
}

/// The verifier the command line asks for, or the reason every token fails (a configured
/// chain that does not validate is a verification failure, exit 1, not a usage error).
pub(crate) enum Setup {
    Ready(Verifier),
    ChainInvalid(cliauth::Error),
}

/// The verifier the key options describe, with its verdict cache (used for calls with a
/// Call-ID) in memory or on the Redis of `--state`.
pub(crate) fn verifier(a: &KeyArgs, now: i64) -> Result<Setup, UsageError> {
    let state = State::open(&a.state)?;
    Ok(match key_verifier(a, now, &state)? {
        Setup::Ready(v) => Setup::Ready(v.with_verdict_cache(state.verdict_cache())),
        other => other,
    })
}

/// Where `--state` keeps verification state.
pub(crate) enum State {
    Memory,
    #[cfg(feature = "redis")]
    Redis(std::sync::Arc<cliauth::state::redis::RedisState>),
}

impl State {
    fn open(url: &str) -> Result<State, UsageError> {
        if url == "memory" {
            return Ok(State::Memory);
        }
        #[cfg(feature = "redis")]
        if url.starts_with("redis://") || url.starts_with("redis+unix://") {
            let options = cliauth::state::redis::RedisOptions {
                // A one-shot command can afford a slower Redis than a call path.
                timeout: std::time::Duration::from_millis(500),
                ..Default::default()
            };
            return cliauth::state::redis::RedisState::open(url, options)
                .map(State::Redis)
                .map_err(|e| UsageError(format!("--state: {e}")));
        }
        Err(UsageError(format!(
            "--state {url:?}: expected memory or redis://HOST:PORT"
        )))
    }

    fn verdict_cache(&self) -> std::sync::Arc<cliauth::state::VerdictCache> {
        let cache = cliauth::state::VerdictCache::new(100_000);
        std::sync::Arc::new(match self {
            State::Memory => cache,
            #[cfg(feature = "redis")]
            State::Redis(r) => cache.with_ledger(r.ledger()),
        })
    }

    /// Says on stderr when the shared state could not be used.
    pub(crate) fn report(setup: &Setup) {
        if let Setup::Ready(v) = setup
            && let Some(c) = v.verdict_cache()
            && c.stats().ledger_errors > 0
        {
            warn(
                "warning: the --state Redis could not be reached: replays were checked against this process only",
            );
        }
    }
}

fn key_verifier(a: &KeyArgs, now: i64, state: &State) -> Result<Setup, UsageError> {
    let config = VerifierConfig {
        max_age: a.max_age,
        max_future: a.max_future,
        allow_http_x5u: a.allow_http_x5u || a.allow_http_loopback,
        strict_profile: a.strict_profile,
        ..VerifierConfig::default()
    };
    if let Some(p) = &a.pubkey {
        let key = VerifyingKey::from_pem_or_der(&read_file(p)?)
            .map_err(|e| UsageError::input(format!("{}: {e}", p.display())))?;
        return Ok(Setup::Ready(Verifier::with_key(key).with_config(config)));
    }
    if let (Some(p), true) = (&a.cert, a.trust_anchor.is_empty()) {
        // No anchor: the chain is not checked, but what needs no chain is (validity
        // period, TNAuthList, claim constraints).
        let cred = Credential::without_chain_check(&read_file(p)?)
            .map_err(|e| UsageError::input(format!("{}: {e}", p.display())))?;
        warn(
            "warning: no --trust-anchor: the certificate chain was not checked \
             (validity period and TNAuthList are)",
        );
        return Ok(Setup::Ready(
            Verifier::with_credential(cred).with_config(config),
        ));
    }
    if a.trust_anchor.is_empty() {
        return Err(UsageError(
            "no key to verify with: give --pubkey KEY, --cert CERT (with --trust-anchor ROOT: \
             a validated chain), or --fetch with --trust-anchor ROOT"
                .into(),
        ));
    }
    if a.cert.is_none() && !a.fetch {
        return Err(UsageError(
            "--trust-anchor needs --cert CHAIN or --fetch (where the chain comes from)".into(),
        ));
    }
    if a.allow_http_loopback && !a.fetch && !a.crl_fetch {
        return Err(UsageError(
            "--allow-http-loopback needs --fetch or --crl-fetch".into(),
        ));
    }
    let mut trust = TrustStore::new();
    for p in &a.trust_anchor {
        trust
            .add_anchors(&read_file(p)?)
            .map_err(|e| UsageError::input(format!("{}: {e}", p.display())))?;
    }
    for p in &a.crl {
        trust
            .add_crls(&read_file(p)?)
            .map_err(|e| UsageError::input(format!("{}: {e}", p.display())))?;
    }
    if let Some(p) = &a.cert {
        let chain = read_file(p)?;
        let trust = if a.crl_fetch {
            crl_fetch(trust, &chain, now, a.allow_http_loopback)?
        } else {
            trust
        };
        return Ok(match Credential::validate(&trust, &chain, now) {
            Ok(cred) => Setup::Ready(Verifier::with_credential(cred).with_config(config)),
            Err(e) => Setup::ChainInvalid(e),
        });
    }
    fetch_verifier(trust, config, a, now, state).map(Setup::Ready)
}

/// `--crl-fetch` with `--cert`: the trust with the CRLs of `chain`'s distribution points.
#[cfg(feature = "fetch")]
fn crl_fetch(
    trust: TrustStore,
    chain: &[u8],
    now: i64,
    allow_http_loopback: bool,
) -> Result<TrustStore, UsageError> {
    let store = std::sync::Arc::new(cliauth::cert::CertStore::new(trust));
    let fetcher = cli_fetcher(allow_http_loopback);
    let refresher = cliauth::cert::CrlRefresher::new(std::sync::Arc::clone(&store), fetcher);
    report_crl_fetch(refresher.refresh_for_chain(chain, now));
    Ok((*store.trust()).clone())
}

#[cfg(not(feature = "fetch"))]
fn crl_fetch(_: TrustStore, _: &[u8], _: i64, _: bool) -> Result<TrustStore, UsageError> {
    Err(UsageError(
        "this cliauth was built without the fetch feature".into(),
    ))
}

#[cfg(feature = "fetch")]
fn cli_fetcher(allow_http_loopback: bool) -> std::sync::Arc<cliauth::fetch::Fetcher> {
    std::sync::Arc::new(cliauth::fetch::Fetcher::new(cliauth::fetch::FetchConfig {
        allow_http_loopback,
        ..cliauth::fetch::FetchConfig::default()
    }))
}

/// Warns on stderr about the distribution points that failed (the chain is then checked
/// against the CRLs at hand; a chain that does not validate reports its own error).
#[cfg(feature = "fetch")]
fn report_crl_fetch(r: Result<cliauth::cert::CrlRefreshReport, cliauth::Error>) {
    if let Ok(report) = r {
        for (url, e) in &report.failed {
            warn(format!("--crl-fetch: {url}: {e}"));
        }
    }
}

/// `--fetch --crl-fetch`: a fetcher that, once it has the x5u chain, fetches the CRLs of
/// its distribution points into the store's trust before the store validates the chain.
#[cfg(feature = "fetch")]
#[derive(Debug)]
struct CrlFirst {
    inner: std::sync::Arc<dyn cliauth::fetch::Fetch>,
    refresher: cliauth::cert::CrlRefresher,
    now: i64,
}

#[cfg(feature = "fetch")]
impl cliauth::fetch::Fetch for CrlFirst {
    fn fetch(
        &self,
        url: &str,
        timeout: std::time::Duration,
    ) -> Result<cliauth::fetch::Fetched, cliauth::fetch::FetchError> {
        let got = cliauth::fetch::Fetch::fetch(&*self.inner, url, timeout)?;
        report_crl_fetch(self.refresher.refresh_for_chain(&got.body, self.now));
        Ok(got)
    }
    fn check_url(&self, url: &str) -> Result<(), cliauth::fetch::FetchError> {
        cliauth::fetch::Fetch::check_url(&*self.inner, url)
    }
}

#[cfg(feature = "fetch")]
fn fetch_verifier(
    trust: TrustStore,
    config: VerifierConfig,
    a: &KeyArgs,
    now: i64,
    state: &State,
) -> Result<Verifier, UsageError> {
    use std::sync::Arc;
    let crl_fetch = a.crl_fetch;
    let fetcher = cli_fetcher(a.allow_http_loopback);
    let timeout = fetcher.config().timeout;
    let policy = cliauth::state::AcquirePolicy {
        fetch_timeout: timeout,
        ..cliauth::state::AcquirePolicy::default()
    };
    // A one-shot command has nothing else to do: by default it waits for its fetch (up to
    // the fetch deadline, CRLs included) instead of the library's call-path budget.
    let config = VerifierConfig {
        fetch_budget: a.fetch_budget.map_or(
            timeout * if crl_fetch { 4 } else { 1 },
            std::time::Duration::from_millis,
        ),
        ..config
    };
    // With --state redis://…, the chains are shared through Redis.
    let fetch: Arc<dyn cliauth::fetch::Fetch> = match state {
        State::Memory => fetcher.clone(),
        #[cfg(feature = "redis")]
        State::Redis(r) => r.shared_fetch(fetcher.clone()),
    };
    let store = Arc::new(cliauth::cert::CertStore::new(trust));
    let verifier = Verifier::with_store(Arc::clone(&store)).with_config(config);
    Ok(if crl_fetch {
        let refresher = cliauth::cert::CrlRefresher::new(store, fetcher);
        verifier.with_fetch_policy(
            Arc::new(CrlFirst {
                inner: fetch,
                refresher,
                now,
            }),
            policy,
        )
    } else {
        verifier.with_fetch_policy(fetch, policy)
    })
}

#[cfg(not(feature = "fetch"))]
fn fetch_verifier(
    _: TrustStore,
    _: VerifierConfig,
    _: &KeyArgs,
    _: i64,
    _: &State,
) -> Result<Verifier, UsageError> {
    Err(UsageError(
        "this cliauth was built without the fetch feature".into(),
    ))
}

/// The call data a verification is checked against, and what a compact-form value needs
/// to rebuild its PASSporT: from the command line, or from one batch request.
pub(crate) struct CallData<'a> {
    pub(crate) orig: Option<&'a str>,
    pub(crate) dest: Option<&'a str>,
    pub(crate) iat: Option<i64>,
    pub(crate) attest: Option<&'a str>,
    pub(crate) origid: Option<&'a str>,
    /// The SIP Call-ID (verdict cache and replay detection).
    pub(crate) call_id: Option<&'a str>,
    /// Name the data as batch request members (`orig`) rather than options (`--orig`).
    pub(crate) batch: bool,
}

impl CallData<'_> {
    fn name(&self, what: &'static str) -> String {
        if self.batch {
            what.to_owned()
        } else {
            format!("--{what}")
        }
    }

    /// Checks the numbers (a bad number is the caller's error, not the token's).
    pub(crate) fn check(&self) -> Result<(), UsageError> {
        if let Some(o) = self.orig {
            canonical(&self.name("orig"), o)?;
        }
        if let Some(d) = self.dest {
            canonical(&self.name("dest"), d)?;
        }
        Ok(())
    }
}

/// Verifies every Identity value of `identity`, in order. A compact-form value without the
/// call data to rebuild it is a usage error.
pub(crate) fn verify_all(
    setup: &Setup,
    identity: &str,
    d: &CallData<'_>,
    now: i64,
) -> Result<Vec<Result<Verdict, cliauth::Error>>, UsageError> {
    let (verifier, values) = match (setup, IdentityHeader::parse_all(identity)) {
        (_, Err(e)) => return Ok(vec![Err(e)]),
        (Setup::ChainInvalid(e), Ok(_)) => return Ok(vec![Err(e.clone())]),
        (Setup::Ready(v), Ok(values)) => (v, values),
    };
    let call = Call {
        orig: d.orig,
        dest: d.dest,
        call_id: d.call_id,
    };
    let mut results = Vec::with_capacity(values.len());
    for h in &values {
        results.push(if h.is_compact() {
            rebuild(h, d)?.and_then(|p| verifier.verify_compact(&h.format(), &p, &call, now))
        } else {
            verifier.verify_parsed(h, &call, now)
        });
    }
    Ok(results)
}

fn verify(a: VerifyArgs, out: &mut Out) -> Result<ExitCode, UsageError> {
    let now = a.now.unwrap_or_else(now);
    let d = CallData {
        orig: a.orig.as_deref(),
        dest: a.dest.as_deref(),
        iat: a.iat,
        attest: a.attest.as_deref(),
        origid: a.origid.as_deref(),
        call_id: a.call_id.as_deref(),
        batch: false,
    };
    d.check()?;
    let setup = verifier(&a.keys, now)?;
    let identity = read_identity(&a)?;
    let results = verify_all(&setup, &identity, &d, now)?;
    State::report(&setup);
    for r in &results {
        if a.json {
            out.line(result_json(r))?;
        } else {
            match r {
                Ok(v) => out.line(format_args!(
                    "valid: ppt={} attest={} orig={} dest={} origid={} verstat={}",
                    v.ppt().map_or("(none)", Ppt::as_str),
                    v.attest().map_or("-", Attest::as_str),
                    v.orig().as_str(),
                    v.dest().all().collect::<Vec<_>>().join(","),
                    v.origid().unwrap_or("-"),
                    v.verstat()
                ))?,
                Err(e) => out.line(format_args!("{} {}: {e}", e.sip_code(), e.reason()))?,
            }
        }
    }
    Ok(if results.iter().all(Result::is_ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Rebuilds the PASSporT of a compact-form value from the call data. Missing call data is
/// a usage error; a value that cannot be rebuilt (unknown `ppt`, no `info`) is the token's.
fn rebuild(
    h: &IdentityHeader,
    d: &CallData<'_>,
) -> Result<Result<Passport, cliauth::Error>, UsageError> {
    let ppt = match h.ppt.as_deref() {
        None => Ppt::Shaken,
        Some(p) => match p.parse::<Ppt>() {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        },
    };
    let mut missing = Vec::new();
    if d.orig.is_none() {
        missing.push(d.name("orig"));
    }
    if d.dest.is_none() {
        missing.push(d.name("dest"));
    }
    if d.iat.is_none() {
        missing.push(d.name("iat"));
    }
    if ppt == Ppt::Shaken {
        if d.attest.is_none() {
            missing.push(d.name("attest"));
        }
        if d.origid.is_none() {
            missing.push(d.name("origid"));
        }
    }
    let (Some(orig), Some(dest), Some(iat), true) = (d.orig, d.dest, d.iat, missing.is_empty())
    else {
        return Err(UsageError(format!(
            "a compact-form Identity value carries no claims: give {} to rebuild them",
            missing.join(", ")
        )));
    };
    let attest = d
        .attest
        .map(str::parse::<Attest>)
        .transpose()
        .map_err(|e| UsageError(format!("{}: {e}", d.name("attest"))))?;
    let Some(x5u) = h.info.clone() else {
        return Ok(Err(cliauth::Error::BadInfo(
            "compact form without info".into(),
        )));
    };
    let mut claims = Claims::new(
        Party::Tn(canonical(&d.name("orig"), orig)?),
        Dest::tns([canonical(&d.name("dest"), dest)?]),
        iat,
    );
    claims.attest = attest;
    claims.origid = d.origid.map(str::to_owned);
    Ok(Passport::new(Header::new(Some(ppt), x5u), claims))
}

/// The `authority` member: how the certificate authorises `orig`.
fn authority(a: &Authority) -> &'static str {
    match a {
        Authority::KeyInHand => "key",
        Authority::Tn => "tn",
        Authority::Spc(_) => "spc",
    }
}

/// The JSON object of one verification result (the README's field list).
pub(crate) fn result_json(r: &Result<Verdict, cliauth::Error>) -> Value {
    match r {
        Ok(v) => {
            let claims = v.claims().to_json();
            json!({
                "valid": true,
                "ppt": v.ppt().map(Ppt::as_str),
                "attest": v.attest().map(Attest::as_str),
                "orig": v.orig().as_str(),
                "dest": v.dest().all().collect::<Vec<_>>(),
                "div": v.claims().div.iter().map(Party::as_str).collect::<Vec<_>>(),
                "iat": v.iat(),
                "origid": v.origid(),
                "rcd": claims.get("rcd"),
                "crn": claims.get("crn"),
                "x5u": v.x5u(),
                "authority": authority(v.authority()),
                "spc": v.spc(),
                "cert_faults": v.cert_faults(),
                "verstat": v.verstat().as_str(),
                "replay": v.replay_status().as_str(),
            })
        }
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

/// The base64url alphabet without padding (JWS).
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// One part of a token for display: base64url-decoded JSON, or why not.
fn decode_part(part: &str) -> Result<Value, String> {
    let bytes = B64
        .decode(part)
        .map_err(|e| format!("not base64url: {e}"))?;
    serde_json::from_slice::<Value>(&bytes).map_err(|e| format!("not JSON: {e}"))
}

fn decode(input: Option<&str>, out: &mut Out) -> Result<ExitCode, UsageError> {
    let text = match input {
        Some(s) if s != "-" => s.to_owned(),
        _ => {
            let data = read_prefix(
                Path::new("-"),
                cliauth::limits::MAX_IDENTITY_HEADER_LEN as u64 + 1,
            )?;
            String::from_utf8(data)
                .map_err(|_| UsageError::input("standard input: not UTF-8 text".into()))?
        }
    };
    let mut doc = serde_json::Map::new();
    let mut problems: Vec<String> = Vec::new();
    // A value the Identity parser refuses (say, a bad character in the signature) is
    // still shown: its token is what precedes the first `;`.
    let (token, h) = match IdentityHeader::parse(text.trim()) {
        Ok(h) => (h.token.clone(), Some(h)),
        Err(e) => {
            problems.push(e.to_string());
            let t = text.trim();
            let t = t.strip_prefix("Identity:").unwrap_or(t);
            (t.split(';').next().unwrap_or("").trim().to_owned(), None)
        }
    };
    let parts: Vec<&str> = token.split('.').collect();
    if token.starts_with("..") {
        doc.insert("compact".into(), json!(true));
        doc.insert(
            "note".into(),
            json!("compact form: the header and claims are not carried; the verifier rebuilds them from the call (verify --orig --dest --iat --attest --origid)"),
        );
        doc.insert(
            "signature".into(),
            json!(parts.get(2).copied().unwrap_or("")),
        );
    } else if parts.len() != 3 {
        problems.push(format!(
            "{} dot-separated parts, a token has 3",
            parts.len()
        ));
    } else {
        match passport::decode(&token) {
            Ok(d) => {
                doc.insert("header".into(), Value::Object(d.header));
                doc.insert("claims".into(), Value::Object(d.claims));
                doc.insert("signature".into(), json!(d.signature));
            }
            Err(e) => {
                // Show what can be shown, and say what is wrong.
                if h.is_some() {
                    problems.push(e.to_string());
                }
                for (name, part) in [("header", parts[0]), ("claims", parts[1])] {
                    match decode_part(part) {
                        Ok(v) => {
                            doc.insert(name.into(), v);
                        }
                        Err(why) => problems.push(format!("{name}: {why}")),
                    }
                }
                doc.insert("signature".into(), json!(parts[2]));
            }
        }
    }
    if let Some(h) = &h
        && (h.info.is_some() || h.ppt.is_some() || h.alg.is_some())
    {
        doc.insert(
            "identity_params".into(),
            json!({"info": h.info, "alg": h.alg, "ppt": h.ppt}),
        );
    }
    if !problems.is_empty() {
        doc.insert("problems".into(), json!(problems));
    }
    out.line(serde_json::to_string_pretty(&Value::Object(doc))?)?;
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
