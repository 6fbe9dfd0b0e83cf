//! Interoperability tests: the `cliauth` binary against PASSporT implementations we did
//! not write — Debian's `secsipidx` (Go, libsecsipid 1.2) and a PyJWT + cryptography peer
//! (`tests/interop/pyjwt_peer.py`). Keys also come from `openssl`.
//!
//! The peers are installed by `scripts/install-test-deps.sh`. A missing peer fails the test
//! with a message naming that script (no skip: a skipped test is not a passed one).
//! `CLIAUTH_PYTHON` overrides the interpreter (default `python3`).
//!
//! What secsipidx 1.2.0 (Debian 1.2.0-2+b4) actually does, found by running it:
//!
//! * Options take one dash (`-sign-full`, `-check`, …); `-h` lists them, `-version` prints
//!   `secsipidx v1.2.0` and exits 1 (not 0).
//! * Private keys (`-k` / `-fprvkey`): reads both SEC1 `EC PRIVATE KEY` (from
//!   `openssl ecparam -genkey -name prime256v1 -noout`) and PKCS#8 `PRIVATE KEY`. Given a
//!   public key instead it prints `error: Unable to parse ECDSA private key: …` and exits 255.
//! * `-sign-full -orig-tn O -dest-tn D -attest A -x5u URL -k KEY` prints exactly one line,
//!   `TOKEN;info=<URL>;alg=ES256;ppt=shaken`, exit 0. The header is compact JSON with sorted
//!   keys, `{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":URL}`, and so are the claims,
//!   `{"attest":…,"dest":{"tn":[D]},"iat":…,"orig":{"tn":O},"origid":…}`. But:
//!   - `origid` is a fresh random UUID unless `-orig-id` is given;
//!   - `iat` is always the current time: `-iat` is ignored by `-sign-full`;
//!   - `-dest-tn 2,3` becomes ONE tn `"2,3"` (no multi-destination);
//!   - `-attest` is not validated (`Z` is signed); default `-x5u` is
//!     `https://127.0.0.1/cert.pem`;
//!   - ECDSA uses a random nonce, so two runs give different signatures: the tokens are NOT
//!     deterministic, only their header and claims bytes are, for a given iat and origid.
//! * `-sign -header JSON -payload JSON -k KEY` signs the given JSON texts verbatim (key order
//!   kept) and prints the bare token; with `-json-parse` it re-serialises them sorted.
//! * `-check -identity VALUE -fpubkey PUB.pem -expire 60`: success prints `ok` on stdout,
//!   exit 0. Failure prints `error message: <text>` then `not-ok` on stdout, nothing on
//!   stderr, and the exit code is the library's negative error code modulo 256, e.g. bad
//!   signature → 5 (`failed to verify - origid (…) (-251) ECDSA verification failed`),
//!   stale → 24 (`expired token`), info ≠ x5u → 51, a bare token without `;info=` → 211
//!   (just `not-ok`), a value with parameters but no `info` → 209, string iat → 25.
//!   `-fpubkey` also accepts a certificate PEM; `-fidentity FILE` reads the value from a file.
//! * Expiry is checked against the machine's clock (there is no "now" option): a token is
//!   `expired token` when iat + expire < now. Without `-expire` (0) anything older than about
//!   a second is expired. An iat in the future is never rejected (tried now + 3600).
//! * It accepts extra claims and unsorted JSON (it verifies the received bytes), a header
//!   without `typ` or without `ppt`, claims without `origid`, and `attest` `Z`. It rejects a
//!   `ppt` other than `shaken` (`invalid value for ppt in json header`; with `;ppt=div` in the
//!   Identity parameters: `invalid value for ppt header parameter`) and a string `iat`.
//!   Identity parameters may come in any order, with spaces, quoted `ppt`, `info=` without
//!   `<>`, and without `alg`.
//!
//! PyJWT (2.x) keeps the claims in insertion order (only the header is sorted, and only when
//! `sort_headers` is on), so the peer's tokens are deliberately not in RFC 8225 deterministic
//! form: verifying them proves cliauth checks the bytes it received.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const CLIAUTH: &str = env!("CARGO_BIN_EXE_cliauth");
const X5U: &str = "https://cert.example.org/sti/cert.pem";
const ORIG: &str = "12025551000";
const DEST: &str = "12025552000";
const DEST2: &str = "12025553000";
const ORIGID: &str = "2d5e0f3a-7c41-4b8e-9f6d-1a2b3c4d5e6f";

// ---------------------------------------------------------------------------------------
// Peer availability

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Peer {
    Secsipidx,
    Openssl,
    PyJwt,
}

fn python() -> String {
    std::env::var("CLIAUTH_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn peer_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/pyjwt_peer.py")
}

fn peer_present(p: Peer) -> Result<(), String> {
    let out = match p {
        Peer::Secsipidx => Command::new("secsipidx").arg("-version").output(),
        Peer::Openssl => Command::new("openssl").arg("version").output(),
        Peer::PyJwt => Command::new(python())
            .args([
                "-c",
                "import jwt, cryptography.hazmat.primitives.asymmetric.ec",
            ])
            .output(),
    };
    match out {
        Err(e) => Err(format!("{p:?}: cannot run: {e}")),
        // `secsipidx -version` exits 1 even when it works: judge it by what it prints.
        Ok(o) if !o.status.success() && p != Peer::Secsipidx => Err(format!(
            "{p:?}: not usable (exit {:?}): {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(o) => {
            if p == Peer::Secsipidx && !String::from_utf8_lossy(&o.stdout).contains("secsipidx") {
                return Err("secsipidx -version did not name secsipidx".into());
            }
            if p == Peer::PyJwt && !peer_script().is_file() {
                return Err(format!("{} is missing", peer_script().display()));
            }
            Ok(())
        }
    }
}

/// Panics, naming the install script, when a peer is missing: a test that cannot run its
/// peer fails (there is no skip that passes).
fn require(test: &str, peers: &[Peer]) {
    let missing: Vec<String> = peers
        .iter()
        .filter_map(|&p| peer_present(p).err())
        .collect();
    assert!(
        missing.is_empty(),
        "{test}: interop peer missing: {}\nrun scripts/install-test-deps.sh (as root) to install \
         secsipidx, openssl, PyJWT and cryptography",
        missing.join("; ")
    );
}

// ---------------------------------------------------------------------------------------
// Processes, files, time

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "cliauth-interop-{}-{tag}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn p(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }
    fn describe(&self) -> String {
        format!(
            "{}\n  exit: {:?}\n  stdout: {}\n  stderr: {}",
            self.what,
            self.code,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
    /// Asserts exit 0 and returns stdout trimmed.
    fn expect_ok(&self) -> String {
        assert!(self.ok(), "command failed:\n{}", self.describe());
        self.stdout.trim().to_owned()
    }
}

fn run_with<I, S>(prog: &str, args: I, stdin: Option<&str>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let what = format!(
        "{prog} {}",
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut cmd = Command::new(prog);
    cmd.args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    if let Some(input) = stdin {
        use std::io::Write;
        let mut si = child.stdin.take().expect("stdin");
        si.write_all(input.as_bytes()).expect("write stdin");
    }
    let out: Output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
    Run {
        what,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run<I, S>(prog: &str, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_with(prog, args, None)
}

fn cliauth<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(CLIAUTH, args)
}

fn pyjwt<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut all: Vec<std::ffi::OsString> = vec![peer_script().into_os_string()];
    all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
    run(&python(), all)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// `cliauth keygen` into DIR/NAME.pem and DIR/NAME.pub.pem; returns (key, pub).
fn cliauth_keygen(dir: &TempDir, name: &str) -> (String, String) {
    let key = dir.p(&format!("{name}.pem"));
    let public = dir.p(&format!("{name}.pub.pem"));
    cliauth(["keygen", "--out", &key, "--pub", &public]).expect_ok();
    let k = std::fs::read_to_string(&key).expect("read key");
    assert!(
        k.starts_with("-----BEGIN PRIVATE KEY-----"),
        "cliauth keygen should write PKCS#8 PEM, got:\n{k}"
    );
    let p = std::fs::read_to_string(&public).expect("read pub");
    assert!(p.starts_with("-----BEGIN PUBLIC KEY-----"), "pub:\n{p}");
    (key, public)
}

/// An openssl SEC1 ("EC PRIVATE KEY") P-256 key and its SPKI public key.
fn openssl_sec1_key(dir: &TempDir, name: &str) -> (String, String) {
    let key = dir.p(&format!("{name}.sec1.pem"));
    let public = dir.p(&format!("{name}.pub.pem"));
    run(
        "openssl",
        [
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            &key,
        ],
    )
    .expect_ok();
    run("openssl", ["ec", "-in", &key, "-pubout", "-out", &public]).expect_ok();
    let k = std::fs::read_to_string(&key).expect("read key");
    assert!(
        k.contains("-----BEGIN EC PRIVATE KEY-----"),
        "not SEC1:\n{k}"
    );
    (key, public)
}

/// `pyjwt_peer.py keygen`: returns (pkcs8 key, sec1 key, pub).
fn pyjwt_keygen(dir: &TempDir, name: &str) -> (String, String, String) {
    let sub = dir.path(name);
    pyjwt([OsStr::new("keygen"), sub.as_os_str()]).expect_ok();
    let f = |n: &str| sub.join(n).to_string_lossy().into_owned();
    (f("key-pkcs8.pem"), f("key-sec1.pem"), f("pub.pem"))
}

/// secsipidx -check; Ok(()) on `ok`, Err(description) otherwise.
fn secsipidx_check(identity: &str, pubkey: &str, expire: i64) -> Result<(), String> {
    let r = run(
        "secsipidx",
        [
            "-check",
            "-identity",
            identity,
            "-fpubkey",
            pubkey,
            "-expire",
            &expire.to_string(),
        ],
    );
    let last = r
        .stdout
        .trim()
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_owned();
    match (r.ok(), last.as_str()) {
        (true, "ok") => Ok(()),
        (false, "not-ok") => Err(r.describe()),
        _ => panic!(
            "secsipidx -check gave an unexpected answer:\n{}",
            r.describe()
        ),
    }
}

/// secsipidx -sign-full; returns the Identity value.
fn secsipidx_sign_full(key: &str, attest: &str, origid: Option<&str>) -> String {
    let mut args = vec![
        "-sign-full",
        "-orig-tn",
        ORIG,
        "-dest-tn",
        DEST,
        "-attest",
        attest,
        "-x5u",
        X5U,
        "-k",
        key,
    ];
    if let Some(id) = origid {
        args.extend(["-orig-id", id]);
    }
    let out = run("secsipidx", &args).expect_ok();
    assert_eq!(
        out.lines().count(),
        1,
        "secsipidx should print one line: {out:?}"
    );
    out
}

/// The token part of an Identity value.
fn token_of(identity: &str) -> &str {
    identity.split(';').next().unwrap_or("").trim()
}

/// The three dot-separated parts of a token.
fn parts(token: &str) -> (String, String, String) {
    let v: Vec<&str> = token.split('.').collect();
    assert_eq!(v.len(), 3, "not a compact JWS: {token:?}");
    (v[0].to_owned(), v[1].to_owned(), v[2].to_owned())
}

fn decoded_claims(token: &str) -> String {
    let (_, c, _) = parts(token);
    String::from_utf8(b64url_decode(&c)).expect("claims are UTF-8")
}

// ---------------------------------------------------------------------------------------
// base64url (no padding)

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64url_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn b64url_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64
            .iter()
            .position(|&x| x == c)
            .unwrap_or_else(|| panic!("bad base64url char {:?} in {s:?}", c as char));
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// A small JSON reader (tests use std only)

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> Json {
        let mut p = JsonParser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.s.len(), "trailing data after JSON in {text:?}");
        v
    }
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&Json::Null),
            _ => &Json::Null,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn int(&self) -> Option<i64> {
        match self {
            Json::Num(n) => n.parse().ok(),
            _ => None,
        }
    }
    fn strs(&self) -> Vec<String> {
        match self {
            Json::Arr(v) => v
                .iter()
                .filter_map(|x| x.str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn peek(&self) -> u8 {
        *self
            .s
            .get(self.i)
            .unwrap_or_else(|| panic!("JSON ends early"))
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.peek() as char,
            c as char,
            "JSON: expected {:?} at {}",
            c as char,
            self.i
        );
        self.i += 1;
    }
    fn lit(&mut self, word: &str, v: Json) -> Json {
        assert!(
            self.s[self.i..].starts_with(word.as_bytes()),
            "JSON: bad literal at {}",
            self.i
        );
        self.i += word.len();
        v
    }
    fn value(&mut self) -> Json {
        self.ws();
        match self.peek() {
            b'{' => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.peek() == b'}' {
                    self.i += 1;
                    return Json::Obj(m);
                }
                loop {
                    self.ws();
                    let k = self.string();
                    self.eat(b':');
                    let v = self.value();
                    m.push((k, v));
                    self.ws();
                    match self.peek() {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Json::Obj(m);
                        }
                        c => panic!("JSON: unexpected {:?} in object", c as char),
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.peek() == b']' {
                    self.i += 1;
                    return Json::Arr(v);
                }
                loop {
                    v.push(self.value());
                    self.ws();
                    match self.peek() {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Json::Arr(v);
                        }
                        c => panic!("JSON: unexpected {:?} in array", c as char),
                    }
                }
            }
            b'"' => Json::Str(self.string()),
            b't' => self.lit("true", Json::Bool(true)),
            b'f' => self.lit("false", Json::Bool(false)),
            b'n' => self.lit("null", Json::Null),
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                assert!(self.i > start, "JSON: unexpected byte at {start}");
                Json::Num(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
            }
        }
    }
    fn string(&mut self) -> String {
        assert_eq!(self.peek(), b'"', "JSON: expected string at {}", self.i);
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek();
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek();
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
                            self.i += 4;
                            let cp = u32::from_str_radix(hex, 16).expect("\\u escape");
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        String::from_utf8(out).expect("JSON string is UTF-8")
    }
}

/// `cliauth verify … --json`: returns (exit code, parsed object).
fn cliauth_verify_json(args: &[&str]) -> (Option<i32>, Json, Run) {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    all.push("--json");
    let r = cliauth(&all);
    let line = r.stdout.trim();
    assert!(
        line.starts_with('{'),
        "verify --json should print one JSON object:\n{}",
        r.describe()
    );
    let j = Json::parse(line);
    (r.code, j, r)
}

fn assert_valid(j: &Json, r: &Run) {
    assert_eq!(
        r.code,
        Some(0),
        "expected exit 0 (valid):\n{}",
        r.describe()
    );
    assert_eq!(
        j.get("valid"),
        &Json::Bool(true),
        "expected valid:\n{}",
        r.describe()
    );
}

fn assert_invalid_438(j: &Json, r: &Run) {
    assert_eq!(
        r.code,
        Some(1),
        "expected exit 1 (invalid):\n{}",
        r.describe()
    );
    assert_eq!(j.get("valid"), &Json::Bool(false), "{}", r.describe());
    assert_eq!(j.get("sip_code").int(), Some(438), "{}", r.describe());
    assert_eq!(
        j.get("reason").str(),
        Some("Invalid Identity Header"),
        "{}",
        r.describe()
    );
    assert!(
        j.get("error").str().is_some_and(|e| !e.is_empty()),
        "error text expected:\n{}",
        r.describe()
    );
}

// ---------------------------------------------------------------------------------------
// cliauth signs → secsipidx verifies

#[test]
fn secsipidx_accepts_cliauth_token_signed_with_cliauth_pkcs8_key() {
    require(
        "secsipidx_accepts_cliauth_token_signed_with_cliauth_pkcs8_key",
        &[Peer::Secsipidx],
    );
    let dir = TempDir::new("pkcs8");
    let (key, public) = cliauth_keygen(&dir, "a");
    let iat = now().to_string();
    let id = cliauth([
        "sign", "--key", &key, "--x5u", X5U, "--orig", ORIG, "--dest", DEST, "--attest", "A",
        "--iat", &iat,
    ])
    .expect_ok();
    assert_eq!(id.lines().count(), 1, "one line expected: {id:?}");
    assert!(
        id.ends_with(&format!(";info=<{X5U}>;alg=ES256;ppt=shaken")),
        "Identity value parameters: {id}"
    );
    secsipidx_check(&id, &public, 60)
        .unwrap_or_else(|e| panic!("secsipidx rejected cliauth's token {id}:\n{e}"));

    // secsipidx also takes the value from a file; a value with two destinations still passes.
    let id2 = cliauth([
        "sign",
        "--key",
        &key,
        "--x5u",
        X5U,
        "--orig",
        ORIG,
        "--dest",
        &format!("{DEST},{DEST2}"),
        "--attest",
        "B",
    ])
    .expect_ok();
    let f = dir.p("identity.txt");
    std::fs::write(&f, format!("{id2}\n")).unwrap();
    let r = run(
        "secsipidx",
        [
            "-check",
            "-fidentity",
            &f,
            "-fpubkey",
            &public,
            "-expire",
            "60",
        ],
    );
    assert!(r.ok() && r.stdout.trim() == "ok", "{}", r.describe());
}

#[test]
fn secsipidx_accepts_cliauth_token_signed_with_openssl_sec1_key() {
    require(
        "secsipidx_accepts_cliauth_token_signed_with_openssl_sec1_key",
        &[Peer::Secsipidx, Peer::Openssl],
    );
    let dir = TempDir::new("sec1");
    let (key, public) = openssl_sec1_key(&dir, "o");
    let id = cliauth([
        "sign",
        "--key",
        &key,
        "--x5u",
        X5U,
        "--orig",
        "+1 (202) 555-1000",
        "--dest",
        DEST,
        "--attest",
        "C",
        "--origid",
        ORIGID,
    ])
    .expect_ok();
    secsipidx_check(&id, &public, 60)
        .unwrap_or_else(|e| panic!("secsipidx rejected cliauth's SEC1-signed token {id}:\n{e}"));
    // The number went out canonical (RFC 8224 §8.3), as secsipidx would sign it.
    let claims = Json::parse(&decoded_claims(token_of(&id)));
    assert_eq!(
        claims.get("orig").get("tn").str(),
        Some(ORIG),
        "claims: {claims:?}"
    );

    // The same openssl key used by secsipidx: cliauth verifies with the openssl public key.
    let s = secsipidx_sign_full(&key, "C", Some(ORIGID));
    let (_, j, r) = cliauth_verify_json(&["--identity", &s, "--pubkey", &public]);
    assert_valid(&j, &r);
}

#[test]
fn secsipidx_applies_its_expiry_to_cliauth_iat() {
    // Proves --iat really lands in the token as an integer secsipidx reads.
    require(
        "secsipidx_applies_its_expiry_to_cliauth_iat",
        &[Peer::Secsipidx],
    );
    let dir = TempDir::new("iat");
    let (key, public) = cliauth_keygen(&dir, "a");
    let sign = |iat: i64| {
        cliauth([
            "sign",
            "--key",
            &key,
            "--x5u",
            X5U,
            "--orig",
            ORIG,
            "--dest",
            DEST,
            "--attest",
            "A",
            "--iat",
            &iat.to_string(),
        ])
        .expect_ok()
    };
    let fresh = sign(now() - 5);
    secsipidx_check(&fresh, &public, 60).unwrap_or_else(|e| panic!("fresh token rejected:\n{e}"));
    let old = sign(now() - 600);
    let err = secsipidx_check(&old, &public, 60)
        .expect_err("secsipidx should find a 600 s old token expired");
    assert!(err.contains("expired"), "expected 'expired token':\n{err}");
}

// ---------------------------------------------------------------------------------------
// secsipidx signs → cliauth verifies

#[test]
fn cliauth_verifies_secsipidx_sign_full() {
    require(
        "cliauth_verifies_secsipidx_sign_full",
        &[Peer::Secsipidx, Peer::Openssl],
    );
    let dir = TempDir::new("ssxfull");
    let (key, public) = openssl_sec1_key(&dir, "s");
    let t0 = now();
    let id = secsipidx_sign_full(&key, "A", Some(ORIGID));
    let t1 = now();
    let (_, j, r) = cliauth_verify_json(&[
        "--identity",
        &id,
        "--pubkey",
        &public,
        "--orig",
        ORIG,
        "--dest",
        DEST,
        "--now",
        &t1.to_string(),
    ]);
    assert_valid(&j, &r);
    assert_eq!(j.get("attest").str(), Some("A"), "{}", r.describe());
    assert_eq!(j.get("orig").str(), Some(ORIG), "{}", r.describe());
    assert_eq!(
        j.get("dest").strs(),
        vec![DEST.to_owned()],
        "{}",
        r.describe()
    );
    assert_eq!(j.get("origid").str(), Some(ORIGID), "{}", r.describe());
    assert_eq!(j.get("ppt").str(), Some("shaken"), "{}", r.describe());
    assert_eq!(j.get("x5u").str(), Some(X5U), "{}", r.describe());
    let iat = j.get("iat").int().expect("iat is an integer");
    assert!((t0..=t1).contains(&iat), "iat {iat} not in [{t0}, {t1}]");

    // The same value through the other inputs: --identity-file, stdin; plain output.
    let f = dir.p("id.txt");
    std::fs::write(&f, format!("{id}\r\n")).unwrap();
    let r = cliauth(["verify", "--identity-file", &f, "--pubkey", &public]);
    assert_eq!(r.code, Some(0), "--identity-file:\n{}", r.describe());
    let r = run_with(
        CLIAUTH,
        ["verify", "--pubkey", &public],
        Some(&format!("{id}\n")),
    );
    assert_eq!(r.code, Some(0), "stdin:\n{}", r.describe());

    // The number check: a different calling number is a mismatch (438).
    let (_, j, r) = cliauth_verify_json(&[
        "--identity",
        &id,
        "--pubkey",
        &public,
        "--orig",
        "12025559999",
        "--dest",
        DEST,
    ]);
    assert_invalid_438(&j, &r);
}

#[test]
fn cliauth_rejects_tampered_secsipidx_token() {
    require(
        "cliauth_rejects_tampered_secsipidx_token",
        &[Peer::Secsipidx, Peer::Openssl],
    );
    let dir = TempDir::new("tamper");
    let (key, public) = openssl_sec1_key(&dir, "s");
    let id = secsipidx_sign_full(&key, "A", Some(ORIGID));
    let (h, c, s) = parts(token_of(&id));
    let params = &id[token_of(&id).len()..];

    // Change one byte of the claims: the orig number's last digit 0 → 1. Still valid JSON
    // with valid claims, so only the signature can catch it.
    let mut claims = b64url_decode(&c);
    let needle = format!("\"{ORIG}\"");
    let pos = claims
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("orig in claims")
        + needle.len()
        - 2;
    assert_eq!(claims[pos], b'0');
    claims[pos] = b'1';
    let tampered = format!("{h}.{}.{s}{params}", b64url_encode(&claims));

    // Sanity: secsipidx itself rejects the tampered value and accepts the original.
    secsipidx_check(&id, &public, 60).expect("secsipidx accepts its own token");
    assert!(
        secsipidx_check(&tampered, &public, 60).is_err(),
        "secsipidx accepted {tampered}"
    );

    let (_, j, r) = cliauth_verify_json(&["--identity", &tampered, "--pubkey", &public]);
    assert_invalid_438(&j, &r);
    let r = cliauth(["verify", "--identity", &tampered, "--pubkey", &public]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(
        r.stdout
            .trim_start()
            .starts_with("438 Invalid Identity Header"),
        "plain output should be 'SIPCODE reason: detail':\n{}",
        r.describe()
    );

    // One signature byte changed.
    let mut sig = b64url_decode(&s);
    assert_eq!(sig.len(), 64, "secsipidx signature is raw r||s");
    sig[10] ^= 0x01;
    let bad_sig = format!("{h}.{c}.{}{params}", b64url_encode(&sig));
    let (_, j, r) = cliauth_verify_json(&["--identity", &bad_sig, "--pubkey", &public]);
    assert_invalid_438(&j, &r);
}

#[test]
fn cliauth_rejects_secsipidx_token_with_wrong_key_or_bad_attest() {
    require(
        "cliauth_rejects_secsipidx_token_with_wrong_key_or_bad_attest",
        &[Peer::Secsipidx, Peer::Openssl],
    );
    let dir = TempDir::new("ssxwrong");
    let (key, public) = openssl_sec1_key(&dir, "s");
    let (_, other_pub) = openssl_sec1_key(&dir, "other");
    let id = secsipidx_sign_full(&key, "A", None);
    let (_, j, r) = cliauth_verify_json(&["--identity", &id, "--pubkey", &other_pub]);
    assert_invalid_438(&j, &r);

    // secsipidx signs any attest; cliauth must refuse "Z" (RFC 8588: A, B or C).
    let z = secsipidx_sign_full(&key, "Z", None);
    let (_, j, r) = cliauth_verify_json(&["--identity", &z, "--pubkey", &public]);
    assert_invalid_438(&j, &r);
}

#[test]
fn cliauth_freshness_window_on_secsipidx_token() {
    require(
        "cliauth_freshness_window_on_secsipidx_token",
        &[Peer::Secsipidx, Peer::Openssl],
    );
    let dir = TempDir::new("fresh");
    let (key, public) = openssl_sec1_key(&dir, "s");
    let id = secsipidx_sign_full(&key, "B", None);
    let iat = Json::parse(&decoded_claims(token_of(&id)))
        .get("iat")
        .int()
        .expect("iat");
    let verify = |now: i64, max_age: Option<i64>| {
        let n = now.to_string();
        let m = max_age.map(|a| a.to_string());
        let mut args = vec![
            "--identity",
            id.as_str(),
            "--pubkey",
            public.as_str(),
            "--now",
            &n,
        ];
        if let Some(m) = &m {
            args.extend(["--max-age", m.as_str()]);
        }
        cliauth_verify_json(&args)
    };
    let (_, j, r) = verify(iat + 59, None);
    assert_valid(&j, &r);
    let (_, j, r) = verify(iat + 120, None);
    assert_eq!(
        r.code,
        Some(1),
        "120 s old must be stale:\n{}",
        r.describe()
    );
    assert_eq!(
        j.get("sip_code").int(),
        Some(403),
        "stale → 403:\n{}",
        r.describe()
    );
    let (_, j, r) = verify(iat + 120, Some(300));
    assert_valid(&j, &r);
    let (_, j, r) = verify(iat - 5, None);
    assert_valid(&j, &r);
    let (_, j, r) = verify(iat - 600, None);
    assert_eq!(
        r.code,
        Some(1),
        "600 s in the future must fail:\n{}",
        r.describe()
    );
    assert_eq!(j.get("valid"), &Json::Bool(false));
}

#[test]
fn cliauth_verifies_secsipidx_verbatim_unsorted_token_with_extra_claims() {
    // `secsipidx -sign` signs the JSON text as given: unsorted keys, an unknown claim, and
    // a bare token (no Identity parameters), which `cliauth verify --identity` accepts.
    require(
        "cliauth_verifies_secsipidx_verbatim_unsorted_token_with_extra_claims",
        &[Peer::Secsipidx, Peer::Openssl],
    );
    let dir = TempDir::new("verbatim");
    let (key, public) = openssl_sec1_key(&dir, "s");
    let iat = now();
    let header = format!(r#"{{"typ":"passport","x5u":"{X5U}","alg":"ES256","ppt":"shaken"}}"#);
    let payload = format!(
        r#"{{"origid":"{ORIGID}","orig":{{"tn":"{ORIG}"}},"iat":{iat},"zzz":{{"note":"extra"}},"dest":{{"tn":["{DEST}","{DEST2}"]}},"attest":"B"}}"#
    );
    let token = run(
        "secsipidx",
        [
            "-sign", "-header", &header, "-payload", &payload, "-k", &key,
        ],
    )
    .expect_ok();
    assert_eq!(
        decoded_claims(&token),
        payload,
        "secsipidx -sign should keep the text"
    );
    let (_, j, r) = cliauth_verify_json(&[
        "--identity",
        &token,
        "--pubkey",
        &public,
        "--now",
        &iat.to_string(),
        "--orig",
        ORIG,
        "--dest",
        DEST2,
    ]);
    assert_valid(&j, &r);
    assert_eq!(j.get("attest").str(), Some("B"));
    assert_eq!(
        j.get("dest").strs(),
        vec![DEST.to_owned(), DEST2.to_owned()]
    );
    assert_eq!(j.get("origid").str(), Some(ORIGID));
    assert_eq!(j.get("iat").int(), Some(iat));
}

#[test]
fn cliauth_json_bytes_match_secsipidx_and_compact_form_interoperates() {
    // Deterministic JSON (RFC 8225 §9): for the same iat/origid, cliauth's header and claims
    // bytes equal secsipidx's (which sorts and compacts). So a compact-form signature from
    // cliauth verifies in secsipidx over the bytes secsipidx would rebuild.
    require(
        "cliauth_json_bytes_match_secsipidx_and_compact_form_interoperates",
        &[Peer::Secsipidx, Peer::Openssl],
    );
    let dir = TempDir::new("bytes");
    let (key, public) = openssl_sec1_key(&dir, "s");
    let s = secsipidx_sign_full(&key, "A", Some(ORIGID));
    let (sh, sc, _) = parts(token_of(&s));
    let iat = Json::parse(&String::from_utf8(b64url_decode(&sc)).unwrap())
        .get("iat")
        .int()
        .expect("iat");
    let common = |form: &str| {
        cliauth([
            "sign",
            "--key",
            &key,
            "--x5u",
            X5U,
            "--orig",
            ORIG,
            "--dest",
            DEST,
            "--attest",
            "A",
            "--origid",
            ORIGID,
            "--iat",
            &iat.to_string(),
            "--form",
            form,
        ])
        .expect_ok()
    };
    let token = common("token");
    assert!(
        !token.contains(';'),
        "--form token prints the bare token: {token}"
    );
    let (ch, cc, _) = parts(&token);
    assert_eq!(
        String::from_utf8(b64url_decode(&ch)).unwrap(),
        String::from_utf8(b64url_decode(&sh)).unwrap(),
        "header JSON differs from secsipidx's"
    );
    assert_eq!(
        String::from_utf8(b64url_decode(&cc)).unwrap(),
        String::from_utf8(b64url_decode(&sc)).unwrap(),
        "claims JSON differs from secsipidx's"
    );
    assert_eq!((ch.as_str(), cc.as_str()), (sh.as_str(), sc.as_str()));

    let compact = common("compact");
    assert!(
        compact.starts_with(".."),
        "compact form starts with '..': {compact}"
    );
    assert!(
        compact.contains(&format!(";info=<{X5U}>")),
        "compact form keeps info: {compact}"
    );
    let sig = compact[2..].split(';').next().unwrap();
    let rebuilt = format!("{sh}.{sc}.{sig};info=<{X5U}>;alg=ES256;ppt=shaken");
    secsipidx_check(&rebuilt, &public, 60)
        .unwrap_or_else(|e| panic!("compact signature over rebuilt bytes rejected:\n{e}"));
}

// ---------------------------------------------------------------------------------------
// PyJWT

#[test]
fn cliauth_verifies_pyjwt_unsorted_token() {
    require("cliauth_verifies_pyjwt_unsorted_token", &[Peer::PyJwt]);
    let dir = TempDir::new("pyjwt-in");
    let (pkcs8, sec1, public) = pyjwt_keygen(&dir, "py");
    let iat: i64 = 1_700_000_000;
    let iat_s = iat.to_string();
    for key in [&pkcs8, &sec1] {
        let token = pyjwt([
            "sign",
            "--key",
            key,
            "--x5u",
            X5U,
            "--orig",
            ORIG,
            "--dest",
            &format!("{DEST},{DEST2}"),
            "--attest",
            "B",
            "--iat",
            &iat_s,
            "--origid",
            ORIGID,
        ])
        .expect_ok();
        let claims = decoded_claims(&token);
        assert!(
            claims.starts_with("{\"orig\""),
            "the PyJWT peer should produce unsorted claims, got {claims}"
        );
        for input in [
            token.clone(),
            format!("{token};info=<{X5U}>;alg=ES256;ppt=shaken"),
        ] {
            let (_, j, r) = cliauth_verify_json(&[
                "--identity",
                &input,
                "--pubkey",
                &public,
                "--now",
                &(iat + 2).to_string(),
                "--orig",
                ORIG,
                "--dest",
                DEST,
            ]);
            assert_valid(&j, &r);
            assert_eq!(j.get("attest").str(), Some("B"), "{}", r.describe());
            assert_eq!(j.get("orig").str(), Some(ORIG), "{}", r.describe());
            assert_eq!(
                j.get("dest").strs(),
                vec![DEST.to_owned(), DEST2.to_owned()],
                "{}",
                r.describe()
            );
            assert_eq!(j.get("origid").str(), Some(ORIGID), "{}", r.describe());
            assert_eq!(j.get("iat").int(), Some(iat), "{}", r.describe());
            assert_eq!(j.get("x5u").str(), Some(X5U), "{}", r.describe());
        }
    }

    // Unknown extra claims are signed content, not a reason to reject.
    let token = pyjwt([
        "sign",
        "--key",
        &pkcs8,
        "--x5u",
        X5U,
        "--orig",
        ORIG,
        "--dest",
        DEST,
        "--attest",
        "A",
        "--iat",
        &iat_s,
        "--origid",
        ORIGID,
        "--extra",
        r#"{"zz":{"k":[1,2]},"aa":"x"}"#,
    ])
    .expect_ok();
    let (_, j, r) =
        cliauth_verify_json(&["--identity", &token, "--pubkey", &public, "--now", &iat_s]);
    assert_valid(&j, &r);

    // A PyJWT token under another key is refused.
    let (_, _, other_pub) = pyjwt_keygen(&dir, "other");
    let (_, j, r) = cliauth_verify_json(&[
        "--identity",
        &token,
        "--pubkey",
        &other_pub,
        "--now",
        &iat_s,
    ]);
    assert_invalid_438(&j, &r);
}

#[test]
fn pyjwt_verifies_cliauth_token_and_claims_match() {
    require(
        "pyjwt_verifies_cliauth_token_and_claims_match",
        &[Peer::PyJwt],
    );
    let dir = TempDir::new("pyjwt-out");
    let (key, public) = cliauth_keygen(&dir, "a");
    let (_, py_sec1, py_pub) = pyjwt_keygen(&dir, "py");
    let iat: i64 = 1_700_000_123;
    for (k, p) in [(&key, &public), (&py_sec1, &py_pub)] {
        let id = cliauth([
            "sign",
            "--key",
            k,
            "--x5u",
            X5U,
            "--orig",
            ORIG,
            "--dest",
            &format!("{DEST},{DEST2}"),
            "--attest",
            "B",
            "--iat",
            &iat.to_string(),
            "--origid",
            ORIGID,
        ])
        .expect_ok();
        let out = pyjwt(["verify", "--pub", p, "--token", &id, "--header"]).expect_ok();
        let expected = format!(
            r#"{{"claims":{{"attest":"B","dest":{{"tn":["{DEST}","{DEST2}"]}},"iat":{iat},"orig":{{"tn":"{ORIG}"}},"origid":"{ORIGID}"}},"header":{{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"{X5U}"}}}}"#
        );
        assert_eq!(out, expected, "PyJWT's view of cliauth's token");
        let bare = cliauth([
            "sign",
            "--key",
            k,
            "--x5u",
            X5U,
            "--orig",
            ORIG,
            "--dest",
            DEST,
            "--attest",
            "C",
            "--iat",
            &iat.to_string(),
            "--origid",
            ORIGID,
            "--form",
            "token",
        ])
        .expect_ok();
        let out = pyjwt(["verify", "--pub", p, "--token", &bare]).expect_ok();
        assert_eq!(
            out,
            format!(
                r#"{{"attest":"C","dest":{{"tn":["{DEST}"]}},"iat":{iat},"orig":{{"tn":"{ORIG}"}},"origid":"{ORIGID}"}}"#
            )
        );
    }
}

// ---------------------------------------------------------------------------------------
// The peers really check: key A signs, key B must not verify

#[test]
fn peers_reject_cliauth_token_under_a_different_key() {
    require(
        "peers_reject_cliauth_token_under_a_different_key",
        &[Peer::Secsipidx, Peer::PyJwt],
    );
    let dir = TempDir::new("wrongkey");
    let (key_a, pub_a) = cliauth_keygen(&dir, "a");
    let (_, pub_b) = cliauth_keygen(&dir, "b");
    let id = cliauth([
        "sign",
        "--key",
        &key_a,
        "--x5u",
        X5U,
        "--orig",
        ORIG,
        "--dest",
        DEST,
        "--attest",
        "A",
        "--iat",
        &now().to_string(),
    ])
    .expect_ok();

    // Positive controls with key A.
    secsipidx_check(&id, &pub_a, 60).unwrap_or_else(|e| panic!("secsipidx, key A:\n{e}"));
    pyjwt(["verify", "--pub", &pub_a, "--token", &id]).expect_ok();

    // Key B.
    let err = secsipidx_check(&id, &pub_b, 60).expect_err("secsipidx accepted key B");
    assert!(
        err.contains("verif"),
        "expected a signature failure:\n{err}"
    );
    let r = pyjwt(["verify", "--pub", &pub_b, "--token", &id]);
    assert_eq!(r.code, Some(1), "PyJWT accepted key B:\n{}", r.describe());
    assert!(r.stderr.contains("Signature"), "{}", r.describe());

    // And cliauth agrees with both peers.
    let (_, j, r) = cliauth_verify_json(&["--identity", &id, "--pubkey", &pub_b]);
    assert_invalid_438(&j, &r);
}
