//! The C API from C: builds the examples in `examples/c/` with the system compiler
//! against `include/cliauth.h` and `libcliauth` as `scripts/install-c.sh` installs them
//! (into a scratch prefix), runs them and checks what they
//! print; runs them under valgrind (shared library) and under AddressSanitizer +
//! UndefinedBehaviorSanitizer (static library); checks that the header compiles cleanly as
//! C11 and C++17 and that it is what cbindgen generates from the sources.
//!
//! Needs `cc`, `c++` (with libasan/libubsan) and `valgrind` on the PATH. The library is
//! built here with `cargo build -p cliauth-capi` (a no-op when it is current) into the
//! same target directory and profile as this test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

mod common;

use common::{build_library, install, run_ok};

use cliauth_core::cert::testpki::{TestPki, TestPkiOptions};
use cliauth_core::key::pkcs8_pem;
use cliauth_core::{Attest, Call, Signer, SigningKey, Verifier};

/// The time every example runs at (inside the test PKI's validity).
const NOW: i64 = 1_700_000_000;
const X5U: &str = "https://cert.example.net/sp.pem";
const ORIG: &str = "12155551212";
const DEST: &str = "12155551213";
const EXAMPLES: [&str; 4] = ["sign", "verify", "threads", "reload"];

struct Setup {
    repo: PathBuf,
    include: PathBuf,
    /// `lib/` of the prefix the library was installed into for these tests.
    lib_dir: PathBuf,
    /// Scratch directory for keys, PKI and binaries.
    work: PathBuf,
    /// An Identity header signed with `key.pem` (verifiable with `pub.pem`).
    identity: String,
    /// An Identity header signed with the test PKI's end-entity key (`sp-key.pem`).
    sp_identity: String,
}

impl Setup {
    fn file(&self, name: &str) -> String {
        self.work.join(name).to_string_lossy().into_owned()
    }
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("capi/ is inside the repository")
            .to_path_buf();
        let built = build_library(&repo);
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capi-c-examples");
        std::fs::create_dir_all(&work).unwrap();
        // The examples link the installed library (scripts/install-c.sh): the shared one
        // under its soname, libcliauth.so.0.
        let prefix = work.join("prefix");
        install(&repo, &built, &prefix, &[]);
        let lib_dir = prefix.join("lib");

        // A bare key pair for the public-key examples.
        let (key, der) = SigningKey::generate().unwrap();
        std::fs::write(work.join("pub.pem"), key.verifying_key().to_pem().unwrap()).unwrap();
        std::fs::write(work.join("key.pem"), pkcs8_pem(&der)).unwrap();
        let identity = Signer::new(key, X5U)
            .unwrap()
            .sign_shaken(ORIG, &[DEST], Attest::A, Some("rust-signed"), NOW)
            .unwrap()
            .identity();

        // A test STI PKI for the store and chain examples.
        let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
        std::fs::write(work.join("root.pem"), &pki.root_pem).unwrap();
        std::fs::write(work.join("sp-chain.pem"), &pki.chain_pem).unwrap();
        std::fs::write(work.join("sp-key.pem"), &pki.ee_key_pem).unwrap();
        std::fs::write(
            work.join("crl-revoked.pem"),
            pki.ee_crl(true, NOW - 60, NOW + 7 * 86_400).unwrap(),
        )
        .unwrap();
        let sp_identity = Signer::from_pem(pki.ee_key_pem.as_bytes(), X5U)
            .unwrap()
            .sign_shaken(ORIG, &[DEST], Attest::B, Some("rust-signed"), NOW)
            .unwrap()
            .identity();

        let s = Setup {
            include: prefix.join("include"),
            repo,
            lib_dir,
            work,
            identity,
            sp_identity,
        };
        for ex in EXAMPLES {
            compile_example(&s, ex, Variant::Shared);
        }
        s
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// Linked against libcliauth.so with an rpath (plain, and for valgrind).
    Shared,
    /// Linked statically against libcliauth.a, with ASan and UBSan.
    Sanitized,
}

const STRICT: [&str; 5] = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"];

/// Compiles `examples/c/<name>.c`; returns the binary. Each variant is built once.
fn compile_example(s: &Setup, name: &str, variant: Variant) -> PathBuf {
    static BUILT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let suffix = match variant {
        Variant::Shared => "",
        Variant::Sanitized => "-asan",
    };
    let bin = s.work.join(format!("{name}{suffix}"));
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if built.contains(&bin) {
        return bin;
    }
    let src = s.repo.join("examples/c").join(format!("{name}.c"));
    let mut cmd = Command::new("cc");
    cmd.args(STRICT)
        .arg("-g")
        .arg("-I")
        .arg(&s.include)
        .arg(&src)
        .arg("-o")
        .arg(&bin)
        .arg("-pthread");
    match variant {
        Variant::Shared => {
            cmd.arg("-L")
                .arg(&s.lib_dir)
                .arg("-lcliauth")
                .arg(format!("-Wl,-rpath,{}", s.lib_dir.display()));
        }
        Variant::Sanitized => {
            cmd.args([
                "-fsanitize=address,undefined",
                "-fno-sanitize-recover=all",
                "-fno-omit-frame-pointer",
            ])
            .arg(s.lib_dir.join("libcliauth.a"))
            // What a Rust staticlib needs from the system on Linux (see capi/README.md).
            .args(["-lpthread", "-ldl", "-lm", "-lrt", "-lutil"]);
        }
    }
    run_ok(&mut cmd);
    built.push(bin.clone());
    bin
}

/// One run of an example: arguments and the exit code it must end with.
struct Run {
    example: &'static str,
    args: Vec<String>,
    code: i32,
}

fn run(example: &'static str, args: &[&str], code: i32) -> Run {
    Run {
        example,
        args: args.iter().map(|a| a.to_string()).collect(),
        code,
    }
}

fn tampered(identity: &str) -> String {
    // Change one character of the signature (the third part of the token).
    let sig_end = identity.find(';').unwrap();
    let mut bytes = identity.as_bytes().to_vec();
    let i = sig_end - 10;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// Every run the memory checkers go through: each example, each verification mode, a
/// failing verification.
fn all_runs(s: &Setup, threads_n: &str) -> Vec<Run> {
    let now = NOW.to_string();
    let later = (NOW + 1).to_string();
    let bad = tampered(&s.identity);
    vec![
        run("sign", &[&s.file("key.pem"), X5U, ORIG, DEST, &now], 0),
        run(
            "verify",
            &[
                "pubkey",
                &s.file("pub.pem"),
                &s.identity,
                ORIG,
                DEST,
                &later,
            ],
            0,
        ),
        run(
            "verify",
            &["pubkey", &s.file("pub.pem"), &bad, ORIG, DEST, &later],
            3,
        ),
        run(
            "verify",
            &[
                "store",
                &s.file("root.pem"),
                &s.file("sp-chain.pem"),
                &s.sp_identity,
                ORIG,
                DEST,
                &now,
            ],
            0,
        ),
        run(
            "verify",
            &[
                "chain",
                &s.file("root.pem"),
                &s.file("sp-chain.pem"),
                &s.sp_identity,
                ORIG,
                DEST,
                &now,
            ],
            0,
        ),
        run(
            "threads",
            &[&s.file("key.pem"), &s.file("pub.pem"), threads_n],
            0,
        ),
        run(
            "reload",
            &[
                &s.file("root.pem"),
                &s.file("sp-chain.pem"),
                &s.file("crl-revoked.pem"),
                &s.sp_identity,
                ORIG,
                DEST,
                &now,
            ],
            0,
        ),
        run(
            "verify",
            &[
                "budget",
                &s.file("root.pem"),
                &s.file("sp-chain.pem"),
                &s.sp_identity,
                ORIG,
                DEST,
                &now,
            ],
            0,
        ),
    ]
}

fn exec(s: &Setup, r: &Run) -> (i32, String, String) {
    let out = Command::new(compile_example(s, r.example, Variant::Shared))
        .args(&r.args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The value of the first `key: value` line after the `== heading` line (or from the
/// start when `heading` is empty).
fn field(out: &str, heading: &str, key: &str) -> Option<String> {
    let mut lines = out.lines();
    if !heading.is_empty() {
        lines.find(|l| *l == format!("== {heading}"))?;
    }
    let prefix = format!("{key}: ");
    for l in lines {
        if !heading.is_empty() && l.starts_with("== ") {
            return None;
        }
        if let Some(v) = l.strip_prefix(&prefix) {
            return Some(v.to_owned());
        }
    }
    None
}

#[test]
fn sign_example_output_verifies_in_rust() {
    let s = setup();
    let (code, out, err) = exec(s, &all_runs(s, "1")[0]);
    assert_eq!(code, 0, "{out}{err}");
    let identity = field(&out, "", "identity").unwrap();
    let needed: usize = field(&out, "", "needed").unwrap().parse().unwrap();
    assert_eq!(needed, identity.len());
    assert!(identity.ends_with(";info=<https://cert.example.net/sp.pem>;alg=ES256;ppt=shaken"));
    assert_eq!(field(&out, "", "token").unwrap().split('.').count(), 3);
    assert!(field(&out, "", "compact").unwrap().starts_with(".."));
    assert_eq!(field(&out, "", "bad number").unwrap(), "tn 438");

    let public = std::fs::read(s.work.join("pub.pem")).unwrap();
    let verifier =
        Verifier::with_key(cliauth_core::VerifyingKey::from_pem_or_der(&public).unwrap());
    let call = Call::new(ORIG, DEST);
    let v = verifier.verify_identity(&identity, &call, NOW + 1).unwrap();
    assert_eq!(v.attest(), Some(Attest::A));
    assert_eq!(v.origid(), Some("c-example"));
    let div = field(&out, "", "div").unwrap();
    let v = verifier.verify_identity(&div, &call, NOW).unwrap();
    assert_eq!(
        v.claims().div.as_ref().map(|d| d.as_str()),
        Some("12155550000")
    );
    let rcd = field(&out, "", "rcd").unwrap();
    let v = verifier.verify_identity(&rcd, &call, NOW).unwrap();
    let nam = v.claims().rcd.as_ref().and_then(|r| r.nam.as_deref());
    assert_eq!(nam, Some("Alice Example"));
    let div_o = field(&out, "", "div-o").unwrap();
    let v = verifier.verify_identity(&div_o, &call, NOW).unwrap();
    assert_eq!(v.ppt(), Some(cliauth_core::Ppt::DivO));
    let opt = v.claims().opt.as_deref().unwrap();
    assert_eq!(
        verifier.verify_token(opt, &call, NOW).unwrap().attest(),
        Some(Attest::A)
    );
}

#[test]
fn verify_example_with_a_public_key() {
    let s = setup();
    let runs = all_runs(s, "1");
    let (code, out, err) = exec(s, &runs[1]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(field(&out, "pubkey", "result").unwrap(), "ok (0)");
    assert_eq!(
        field(&out, "pubkey", "verstat").unwrap(),
        "TN-Validation-Passed"
    );
    assert_eq!(field(&out, "pubkey", "attest").unwrap(), "A");
    // The verdict cache: first, a retransmission, a replay.
    for (call, want) in [
        ("call 0", "ok/first"),
        ("call 1", "ok/repeat"),
        ("call 2", "replay/"),
    ] {
        assert_eq!(field(&out, "replay", call).unwrap(), want, "{out}");
    }
    assert_eq!(field(&out, "pubkey", "ppt").unwrap(), "shaken");
    assert_eq!(field(&out, "pubkey", "orig").unwrap(), ORIG);
    assert_eq!(field(&out, "pubkey", "dest[0]").unwrap(), DEST);
    assert_eq!(field(&out, "pubkey", "origid").unwrap(), "rust-signed");
    assert_eq!(field(&out, "pubkey", "iat").unwrap(), NOW.to_string());
    assert_eq!(field(&out, "pubkey", "spc").unwrap(), "(none)");
    assert!(
        out.contains("parse: info=https://cert.example.net/sp.pem alg=ES256 ppt=shaken compact=no")
    );

    // A changed signature: 438 with the reason, and a failure verstat.
    let (code, out, _) = exec(s, &runs[2]);
    assert_eq!(code, 3);
    assert_eq!(field(&out, "pubkey", "result").unwrap(), "signature (12)");
    assert_eq!(
        field(&out, "pubkey", "sip").unwrap(),
        "438 Invalid Identity Header"
    );
    assert_eq!(
        field(&out, "pubkey", "reason-header").unwrap(),
        "SIP;cause=438;text=\"Invalid Identity Header\""
    );
    assert_eq!(
        field(&out, "pubkey", "verstat").unwrap(),
        "TN-Validation-Failed"
    );

    // The wrong calling number, and a header that is not one.
    let mut r = run("verify", &[], 3);
    r.args = runs[1].args.clone();
    r.args[3] = "12155559999".into();
    let (code, out, _) = exec(s, &r);
    assert_eq!(code, 3);
    assert_eq!(
        field(&out, "pubkey", "result").unwrap(),
        "orig_mismatch (15)"
    );
    r.args = runs[1].args.clone();
    r.args[2] = "not an identity header;;".into();
    let (code, out, _) = exec(s, &r);
    assert_eq!(code, 3);
    assert_eq!(field(&out, "", "parse").unwrap(), "identity_syntax");
    assert_eq!(
        field(&out, "pubkey", "result").unwrap(),
        "identity_syntax (2)"
    );
}

#[test]
fn verify_example_with_a_store_and_fetch_callback() {
    let s = setup();
    let (code, out, err) = exec(s, &all_runs(s, "1")[3]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(field(&out, "", "anchors").unwrap(), "1");
    // Without a callback: the sans-IO miss, with the URL to fetch.
    assert_eq!(
        field(&out, "no callback", "result").unwrap(),
        "certificate_needed (19)"
    );
    assert_eq!(
        field(&out, "no callback", "sip").unwrap(),
        "436 Bad Identity Info"
    );
    assert_eq!(field(&out, "no callback", "needed-url").unwrap(), X5U);
    // With the callback: fetched once, then served from the store.
    assert_eq!(out.matches(&format!("fetch: {X5U}\n")).count(), 1, "{out}");
    assert_eq!(field(&out, "", "fetches").unwrap(), "1");
    for heading in ["with callback", "cached"] {
        assert_eq!(field(&out, heading, "result").unwrap(), "ok (0)", "{out}");
        assert_eq!(field(&out, heading, "attest").unwrap(), "B");
        assert_eq!(field(&out, heading, "spc").unwrap(), "1234");
        assert_eq!(field(&out, heading, "x5u").unwrap(), X5U);
    }
    assert_eq!(
        field(&out, "an hour later", "result").unwrap(),
        "stale (13)"
    );
    assert_eq!(
        field(&out, "an hour later", "sip").unwrap(),
        "403 Stale Date"
    );
}

/// A fetch budget: the slow callback runs on a worker thread; calls over the budget get
/// `certificate_pending` (436) with the configured verstat; the background fetch then
/// serves; one fetch in all (the retries while it ran joined it).
#[test]
fn verify_example_with_a_fetch_budget() {
    let s = setup();
    let runs = all_runs(s, "1");
    let budget = runs
        .iter()
        .find(|r| r.args.first().is_some_and(|a| a == "budget"))
        .unwrap();
    let (code, out, err) = exec(s, budget);
    assert_eq!(code, 0, "{out}{err}");
    for (heading, verstat) in [
        ("over budget", "TN-Validation-Failed"),
        ("over budget, let through", "No-TN-Validation"),
    ] {
        assert_eq!(
            field(&out, heading, "result").unwrap(),
            "certificate_pending (23)",
            "{out}"
        );
        assert_eq!(
            field(&out, heading, "sip").unwrap(),
            "436 Bad Identity Info"
        );
        assert_eq!(field(&out, heading, "verstat").unwrap(), verstat);
    }
    assert_eq!(
        field(&out, "after the background fetch", "result").unwrap(),
        "ok (0)",
        "{out}"
    );
    assert_eq!(
        field(&out, "after the background fetch", "spc").unwrap(),
        "1234"
    );
    assert_eq!(
        out.matches(&format!("fetch: {X5U} (in the background)\n"))
            .count(),
        1,
        "{out}"
    );
    assert_eq!(field(&out, "", "fetches").unwrap(), "1");
}

#[test]
fn verify_example_with_a_pinned_chain() {
    let s = setup();
    let (code, out, err) = exec(s, &all_runs(s, "1")[4]);
    assert_eq!(code, 0, "{out}{err}");
    // 90 s after iat: accepted with the 120 s window the example sets.
    assert_eq!(field(&out, "chain", "result").unwrap(), "ok (0)", "{out}");
    assert_eq!(field(&out, "chain", "spc").unwrap(), "1234");
    // Strict profile mode: accepted, or rejected with 437 for the test PKI's faults.
    let strict = field(&out, "chain, strict profile", "result").unwrap();
    if strict != "ok (0)" {
        assert_eq!(strict, "cert_profile (37)");
        assert_eq!(
            field(&out, "chain, strict profile", "sip").unwrap(),
            "437 Unsupported Credential"
        );
    }
}

#[test]
fn threads_share_one_signer_and_verifier() {
    let s = setup();
    let (code, out, err) = exec(s, &all_runs(s, "250")[5]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "threads: 4 x 250 verified, 0 failed");
}

/// `cliauth_store_replace_trust`: a reload adding a CRL that revokes the cached chain drops
/// it (the verifier sharing the store misses, an insert is refused as revoked); a reload
/// without it lets the chain in again — no new store, no new verifier.
#[test]
fn reload_replaces_the_trust_of_a_running_store() {
    let s = setup();
    let r = all_runs(s, "1")
        .into_iter()
        .find(|r| r.example == "reload")
        .unwrap();
    let (code, out, err) = exec(s, &r);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(field(&out, "before", "result").unwrap(), "ok (0)", "{out}");
    assert_eq!(field(&out, "reload with the CRL", "kept").unwrap(), "0");
    assert_eq!(field(&out, "reload with the CRL", "dropped").unwrap(), "1");
    assert_eq!(
        field(&out, "after", "result").unwrap(),
        "certificate_needed (19)"
    );
    assert_eq!(field(&out, "after", "insert").unwrap(), "cert_revoked");
    assert_eq!(
        field(&out, "reload without the CRL", "dropped").unwrap(),
        "0"
    );
    assert_eq!(field(&out, "again", "result").unwrap(), "ok (0)", "{out}");
}

#[test]
fn valgrind_finds_no_errors_or_leaks() {
    let s = setup();
    assert!(
        Command::new("valgrind").arg("--version").output().is_ok(),
        "valgrind not found: install it (scripts/install-test-deps.sh)"
    );
    for r in all_runs(s, "20") {
        let bin = compile_example(s, r.example, Variant::Shared);
        let out = Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "--quiet",
            ])
            .arg(&bin)
            .args(&r.args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(r.code),
            "valgrind {} {:?}:\n{err}",
            r.example,
            r.args
        );
        assert!(!err.contains("definitely lost"), "{err}");
        assert!(
            !err.contains("Invalid read") && !err.contains("Invalid write"),
            "{err}"
        );
    }
}

#[test]
fn asan_and_ubsan_find_nothing() {
    let s = setup();
    for r in all_runs(s, "50") {
        let bin = compile_example(s, r.example, Variant::Sanitized);
        let out = Command::new(&bin)
            .args(&r.args)
            .env("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
            .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(r.code),
            "{} {:?} (sanitized):\n{err}",
            r.example,
            r.args
        );
        for bad in ["AddressSanitizer", "LeakSanitizer", "runtime error"] {
            assert!(!err.contains(bad), "{} {:?}:\n{err}", r.example, r.args);
        }
    }
}

/// The header on its own, with every warning an error, in C11 and in C++17 (linked and
/// run, to check the `extern "C"` block).
#[test]
fn header_compiles_strictly_as_c11_and_cxx17() {
    let s = setup();
    let program = r#"#include "cliauth.h"
#include <stdio.h>
#include <string.h>
int main(void) {
    cliauth_result r = CLIAUTH_CERTIFICATE_NEEDED;
    cliauth_trust *trust = NULL;
    if (cliauth_trust_new(&trust) != CLIAUTH_OK) return 1;
    cliauth_trust_free(trust);
    if (cliauth_verifier_verify(NULL, "x", NULL, NULL, 0, NULL) != CLIAUTH_NULL_PARAMETER) return 2;
    if (cliauth_result_sip_code(r) != 436) return 3;
    if (strcmp(cliauth_result_reason(CLIAUTH_STALE), "Stale Date") != 0) return 4;
    printf("%s %s\n", cliauth_version(), cliauth_result_kind(r));
    return 0;
}
"#;
    let c_src = s.work.join("header_c11.c");
    let cxx_src = s.work.join("header_cxx17.cpp");
    std::fs::write(&c_src, program).unwrap();
    std::fs::write(&cxx_src, program).unwrap();
    for (compiler, std_flag, src, bin) in [
        ("cc", "-std=c11", &c_src, s.work.join("header_c11")),
        ("c++", "-std=c++17", &cxx_src, s.work.join("header_cxx17")),
    ] {
        run_ok(
            Command::new(compiler)
                .args([std_flag, "-Wall", "-Wextra", "-Werror", "-pedantic"])
                .arg("-I")
                .arg(&s.include)
                .arg(src)
                .arg("-o")
                .arg(&bin)
                .arg("-L")
                .arg(&s.lib_dir)
                .arg("-lcliauth")
                .arg(format!("-Wl,-rpath,{}", s.lib_dir.display())),
        );
        let out = run_ok(&mut Command::new(&bin));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{} certificate_needed", env!("CARGO_PKG_VERSION"))
        );
    }
}

/// `include/cliauth.h` is what cbindgen makes of the sources. Fails when cbindgen is not
/// installed (`scripts/install-test-deps.sh` installs it: `cargo install cbindgen --version 0.29.4 --locked`):
/// an unchecked header is not a passed check.
#[test]
fn header_is_current() {
    let s = setup();
    assert!(
        Command::new("cbindgen").arg("--version").output().is_ok(),
        "cbindgen not found: the header freshness check needs it; install it with \
         `cargo install cbindgen --version 0.29.4 --locked` (scripts/install-test-deps.sh does)"
    );
    run_ok(Command::new("bash").arg(s.repo.join("capi/check-header.sh")));
}
