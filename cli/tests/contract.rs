//! The command's contract (issue #9): no panic on a write error, exit statuses, one JSON
//! shape, batch mode, a test PKI that passes `--strict-profile`, `cert inspect` limits,
//! `decode` of malformed and compact values, `keygen`/`key pub`, man page and completions.
//! Every test drives the built `cliauth` binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const ORIG: &str = "12155551212";
const DEST: &str = "12155551213";
const IAT: &str = "1700000000";
const NOW: &str = "1700000010";
const ORIGID: &str = "123e4567-e89b-12d3-a456-426614174000";

fn cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cliauth"))
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = cmd();
    c.current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().unwrap();
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&input);
        });
    }
    child.wait_with_output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A directory with key.pem, pub.pem and id.txt (a SHAKEN Identity value, iat 1700000000).
struct Fixture {
    dir: tempfile::TempDir,
    id: String,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let o = run_in(
            dir.path(),
            &["keygen", "--out", "key.pem", "--pub", "pub.pem"],
            None,
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let id = Fixture::sign_in(dir.path(), &[]);
        std::fs::write(dir.path().join("id.txt"), &id).unwrap();
        Fixture { dir, id }
    }

    fn sign_in(dir: &Path, extra: &[&str]) -> String {
        let mut args = vec![
            "sign",
            "--key",
            "key.pem",
            "--x5u",
            "https://cert.example.net/sp.pem",
            "--orig",
            ORIG,
            "--dest",
            DEST,
            "--attest",
            "A",
            "--origid",
            ORIGID,
            "--iat",
            IAT,
        ];
        args.extend_from_slice(extra);
        let o = run_in(dir, &args, None);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        stdout(&o).trim().to_owned()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args, None)
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        run_in(self.path(), args, Some(input))
    }
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// Every subcommand that writes to standard output, with arguments that make it write,
/// and its exit status when the output is read.
fn every_subcommand(f: &Fixture) -> Vec<(Vec<String>, i32)> {
    let hex = {
        let o = f.run(&[
            "isup",
            "encode",
            "--identity",
            &f.id,
            "--calling",
            ORIG,
            "--called",
            DEST,
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        stdout(&o).trim().to_owned()
    };
    let iam = {
        let o = f.run(&["isup", "iam", "new", "--calling", ORIG, "--called", DEST]);
        assert_eq!(code(&o), 0);
        stdout(&o).trim().to_owned()
    };
    let iam_with = {
        let o = f.run(&["isup", "iam", "add", "--iam", &iam, "--identity", &f.id]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        stdout(&o).lines().next().unwrap().to_owned()
    };
    let o = f.run(&["cert", "issue", "--out-dir", "pki"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    std::fs::write(
        f.path().join("batch.jsonl"),
        format!(
            "{{\"identity\":\"{}\",\"orig\":\"{ORIG}\",\"now\":{NOW}}}\n",
            f.id
        ),
    )
    .unwrap();
    let verify = |extra: &[&str]| {
        let mut v: Vec<&str> = vec!["verify", "--identity-file", "id.txt", "--pubkey", "pub.pem"];
        v.extend_from_slice(&["--now", NOW]);
        v.extend_from_slice(extra);
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            s(&[
                "sign",
                "--key",
                "key.pem",
                "--x5u",
                "https://a.example/x.pem",
                "--orig",
                ORIG,
                "--dest",
                DEST,
                "--attest",
                "A",
            ]),
            0,
        ),
        (verify(&[]), 0),
        (verify(&["--json"]), 0),
        (verify(&["--orig", "12155550000"]), 1),
        (
            s(&["verify", "--batch", "batch.jsonl", "--pubkey", "pub.pem"]),
            0,
        ),
        (s(&["decode", &f.id]), 0),
        (s(&["key", "pub", "key.pem"]), 0),
        (
            s(&[
                "isup",
                "encode",
                "--identity",
                &f.id,
                "--calling",
                ORIG,
                "--called",
                DEST,
            ]),
            0,
        ),
        (s(&["isup", "decode", &hex]), 0),
        (s(&["isup", "decode", &hex, "--json"]), 0),
        (
            s(&[
                "isup",
                "to-identity",
                &hex,
                "--calling",
                ORIG,
                "--called",
                DEST,
            ]),
            0,
        ),
        (
            s(&["isup", "iam", "new", "--calling", ORIG, "--called", DEST]),
            0,
        ),
        (
            s(&["isup", "iam", "add", "--iam", &iam, "--identity", &f.id]),
            0,
        ),
        (s(&["isup", "iam", "take", "--iam", &iam_with]), 0),
        (s(&["cert", "inspect", "pki/sp-chain.pem"]), 0),
        (s(&["cert", "inspect", "--json", "pki/sp-chain.pem"]), 0),
        (s(&["cert", "issue", "--out-dir", "pki2"]), 0),
        (s(&["completions", "bash"]), 0),
        (s(&["man"]), 0),
        (s(&["--help"]), 0),
        (s(&["verify", "--help"]), 0),
        (s(&["--version"]), 0),
    ]
}

fn no_panic(o: &Output, what: &[String]) {
    let e = stderr(o);
    assert!(
        !e.contains("panicked") && code(o) != 101,
        "{what:?}: exit {}, stderr {e}",
        code(o)
    );
}

/// Point 1: a full disk is exit 2 with a message, never a panic.
#[test]
fn every_subcommand_on_dev_full_exits_2() {
    if !Path::new("/dev/full").exists() {
        panic!("/dev/full is needed for this test (Linux)");
    }
    let f = Fixture::new();
    for (args, _) in every_subcommand(&f) {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = cmd()
            .current_dir(f.path())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        no_panic(&o, &args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("standard output: No space left on device"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// Point 1: a closed pipe ends the command quietly, with the status of its results.
#[test]
fn every_subcommand_on_closed_pipe_is_quiet() {
    let f = Fixture::new();
    for (args, expect) in every_subcommand(&f) {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // closed before the command writes anything: EPIPE every time
        let o = cmd()
            .current_dir(f.path())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        no_panic(&o, &args);
        assert_eq!(code(&o), expect, "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

fn assert_usage_json(o: &Output, needle: &str) {
    assert_eq!(code(o), 2, "stdout {} stderr {}", stdout(o), stderr(o));
    let lines = json_lines(o);
    assert_eq!(lines.len(), 1, "{}", stdout(o));
    let obj = lines[0].as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["error", "kind"],
        "{}",
        stdout(o)
    );
    let msg = obj["error"].as_str().unwrap();
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
    assert!(stderr(o).contains(needle), "{}", stderr(o));
}

/// Point 2: input and usage problems exit 2 (with --json: one error object).
#[test]
fn usage_problems_exit_2() {
    let f = Fixture::new();
    let base = [
        "verify",
        "--identity-file",
        "id.txt",
        "--pubkey",
        "pub.pem",
        "--json",
    ];
    let with = |extra: &[&str]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        f.run(&v)
    };
    // A bad number given by the caller is not the token's fault.
    let o = with(&["--orig", "abc"]);
    assert_usage_json(&o, "--orig \"abc\"");
    assert_eq!(json_lines(&o)[0]["kind"], "usage");
    // Negative numbers: a clear usage error, not "unexpected argument".
    for opt in ["--max-age", "--max-future", "--now", "--iat"] {
        let o = with(&[opt, "-1"]);
        assert_usage_json(&o, "-1");
        assert!(
            !stderr(&o).contains("unexpected argument"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains(opt), "{}", stderr(&o));
    }
    let o = f.run(&["cert", "issue", "--out-dir", "x", "--days", "-1"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("'-1' for '--days"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("unexpected argument"),
        "{}",
        stderr(&o)
    );
    // No key source: the message names every way to give one.
    let o = f.run(&["verify", "--identity-file", "id.txt", "--json"]);
    for opt in ["--pubkey", "--cert", "--fetch", "--trust-anchor"] {
        assert_usage_json(&o, opt);
    }
    // A compact form without the data to rebuild it.
    let compact = Fixture::sign_in(f.path(), &["--form", "compact"]);
    let o = f.run(&[
        "verify",
        "--identity",
        &compact,
        "--pubkey",
        "pub.pem",
        "--orig",
        ORIG,
        "--dest",
        DEST,
        "--json",
    ]);
    for opt in ["--iat", "--attest", "--origid"] {
        assert_usage_json(&o, opt);
    }
    // ... and with it, valid.
    let o = f.run(&[
        "verify",
        "--identity",
        &compact,
        "--pubkey",
        "pub.pem",
        "--orig",
        ORIG,
        "--dest",
        DEST,
        "--iat",
        IAT,
        "--attest",
        "A",
        "--origid",
        ORIGID,
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // An unreadable file is kind "input".
    let o = f.run(&[
        "verify",
        "--identity-file",
        "missing.txt",
        "--pubkey",
        "pub.pem",
        "--json",
    ]);
    assert_usage_json(&o, "missing.txt");
    assert_eq!(json_lines(&o)[0]["kind"], "input");
    // An oversized Identity value is the token's problem (438 limit), however large.
    let big = "a".repeat(1 << 20);
    let o = f.run_stdin(&["verify", "--pubkey", "pub.pem", "--json"], big.as_bytes());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(json_lines(&o)[0]["kind"], "limit");
    // clap's own errors too.
    let o = f.run(&["verify", "--json", "--no-such-option"]);
    assert_usage_json(&o, "--no-such-option");
    // Without --json: nothing on standard output.
    let o = f.run(&[
        "verify",
        "--identity-file",
        "id.txt",
        "--pubkey",
        "pub.pem",
        "--orig",
        "abc",
    ]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
}

/// Point 2: a failed fetch is the token's problem: exit 1, SIP 436.
#[cfg(feature = "fetch")]
#[test]
fn failed_fetch_is_436_exit_1() {
    let f = Fixture::new();
    let o = f.run(&["cert", "issue", "--out-dir", "pki"]);
    assert_eq!(code(&o), 0);
    // Nothing listens on port 1 of the loopback: the connection is refused at once.
    let id = {
        let o = f.run(&[
            "sign",
            "--key",
            "pki/sp-key.pem",
            "--x5u",
            "http://127.0.0.1:1/sp.pem",
            "--orig",
            ORIG,
            "--dest",
            DEST,
            "--attest",
            "A",
        ]);
        stdout(&o).trim().to_owned()
    };
    let o = f.run(&[
        "verify",
        "--identity",
        &id,
        "--fetch",
        "--allow-http-loopback",
        "--trust-anchor",
        "pki/root.pem",
        "--json",
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v = &json_lines(&o)[0];
    assert_eq!(v["valid"], false);
    assert_eq!(v["sip_code"], 436, "{v}");
}

/// Point 3: one object per Identity value, one per line, in order; the fields a script
/// needs, `cert_faults` always present.
#[test]
fn one_json_object_per_value() {
    let f = Fixture::new();
    let div = Fixture::sign_in(f.path(), &["--ppt", "div", "--div", "12155559999"]);
    let both = format!("{},{}", f.id, div);
    let o = f.run(&[
        "verify",
        "--identity",
        &both,
        "--pubkey",
        "pub.pem",
        "--now",
        NOW,
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 2, "{}", stdout(&o));
    assert_eq!(v[0]["ppt"], "shaken");
    assert_eq!(v[0]["div"], serde_json::json!([]));
    assert_eq!(v[1]["ppt"], "div");
    assert_eq!(v[1]["div"], serde_json::json!(["12155559999"]));
    for obj in &v {
        for key in [
            "valid",
            "ppt",
            "attest",
            "orig",
            "dest",
            "div",
            "iat",
            "origid",
            "rcd",
            "crn",
            "x5u",
            "authority",
            "spc",
            "cert_faults",
            "verstat",
        ] {
            assert!(obj.get(key).is_some(), "{key} missing in {obj}");
        }
        assert_eq!(obj["authority"], "key");
        assert_eq!(obj["cert_faults"], serde_json::json!([]));
        assert_eq!(obj["spc"], Value::Null);
    }
    // One value gives one object, not an array; the same shape.
    let o = f.run(&[
        "verify",
        "--identity",
        &f.id,
        "--pubkey",
        "pub.pem",
        "--now",
        NOW,
        "--json",
    ]);
    let v = json_lines(&o);
    assert_eq!(v.len(), 1);
    assert!(v[0].is_object());
    // rcd claims.
    let rcd = Fixture::sign_in(f.path(), &["--ppt", "rcd", "--rcd-name", "Alice"]);
    let o = f.run(&[
        "verify",
        "--identity",
        &rcd,
        "--pubkey",
        "pub.pem",
        "--now",
        NOW,
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        json_lines(&o)[0]["rcd"],
        serde_json::json!({"nam": "Alice"})
    );
    // An invalid value in the middle: still one line each, in order, exit 1.
    let stale = {
        let o = f.run(&[
            "sign",
            "--key",
            "key.pem",
            "--x5u",
            "https://cert.example.net/sp.pem",
            "--orig",
            ORIG,
            "--dest",
            DEST,
            "--attest",
            "A",
            "--iat",
            "1600000000",
        ]);
        stdout(&o).trim().to_owned()
    };
    let three = format!("{},{},{}", f.id, stale, div);
    let o = f.run(&[
        "verify",
        "--identity",
        &three,
        "--pubkey",
        "pub.pem",
        "--now",
        NOW,
        "--json",
    ]);
    assert_eq!(code(&o), 1);
    let v = json_lines(&o);
    assert_eq!(
        v.iter().map(|o| o["valid"].clone()).collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!(v[1]["kind"], "stale");
}

/// Point 6: the PKI of `cert issue` passes --strict-profile, and its CRLs still work.
#[test]
fn issued_pki_passes_strict_profile() {
    let f = Fixture::new();
    let o = f.run(&["cert", "issue", "--out-dir", "pki"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = f.run(&[
        "cert",
        "inspect",
        "--json",
        "pki/sp-chain.pem",
        "pki/root.pem",
    ]);
    assert_eq!(code(&o), 0);
    let certs = json_lines(&o);
    assert_eq!(certs.len(), 3);
    for c in &certs {
        assert_eq!(c["faults"], serde_json::json!([]), "{c}");
    }
    let id = {
        let o = f.run(&[
            "sign",
            "--key",
            "pki/sp-key.pem",
            "--x5u",
            "https://cert.example.net/sp.pem",
            "--orig",
            ORIG,
            "--dest",
            DEST,
            "--attest",
            "A",
        ]);
        stdout(&o).trim().to_owned()
    };
    let verify = |extra: &[&str]| {
        let mut a = vec![
            "verify",
            "--identity",
            &id,
            "--cert",
            "pki/sp-chain.pem",
            "--trust-anchor",
            "pki/root.pem",
            "--strict-profile",
            "--json",
        ];
        a.extend_from_slice(extra);
        f.run(&a)
    };
    let o = verify(&[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v = &json_lines(&o)[0];
    assert_eq!(v["spc"], "1234");
    assert_eq!(v["authority"], "spc");
    assert_eq!(v["cert_faults"], serde_json::json!([]));
    let o = verify(&["--crl", "pki/crl.pem"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // The cRLIssuer of the distribution point does not hide the revocation.
    let o = verify(&["--crl", "pki/crl-revoked.pem"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert_eq!(json_lines(&o)[0]["kind"], "cert_revoked");
}

/// Point 3: batch mode, one verdict per line, bad lines reported and skipped.
#[test]
fn batch_mode() {
    let f = Fixture::new();
    let stale = f.id.clone();
    let input = format!(
        concat!(
            "{{\"identity\":\"{id}\",\"orig\":\"{o}\",\"dest\":\"{d}\",\"now\":{now},\"call_id\":\"a\"}}\n",
            "not json\n",
            "\n",
            "{{\"identity\":\"{id}\",\"now\":1800000000,\"call_id\":7}}\n",
            "{{\"identity\":\"{id}\",\"orgi\":\"{o}\"}}\n",
            "{{\"identity\":\"{id}\",\"orig\":\"abc\",\"now\":{now}}}\n",
            "{{\"identity\":\"{id}\",\"dest\":\"{d}\",\"now\":{now}}}\n",
        ),
        id = stale,
        o = ORIG,
        d = DEST,
        now = NOW
    );
    let o = f.run_stdin(
        &["verify", "--batch", "--pubkey", "pub.pem"],
        input.as_bytes(),
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 6, "{}", stdout(&o));
    assert_eq!(v[0]["line"], 1);
    assert_eq!(v[0]["valid"], true);
    assert_eq!(v[0]["call_id"], "a");
    assert_eq!(v[1]["line"], 2);
    assert_eq!(v[1]["kind"], "request");
    assert!(v[1]["error"].as_str().unwrap().contains("not JSON"));
    assert_eq!(v[2]["line"], 4);
    assert_eq!(v[2]["valid"], false);
    assert_eq!(v[2]["kind"], "stale");
    assert_eq!(v[2]["call_id"], 7);
    assert_eq!(v[3]["line"], 5);
    assert!(v[3]["error"].as_str().unwrap().contains("orgi"), "{}", v[3]);
    assert_eq!(v[4]["line"], 6);
    assert_eq!(v[4]["kind"], "request");
    assert!(
        v[4]["error"].as_str().unwrap().contains("orig \"abc\""),
        "{}",
        v[4]
    );
    assert_eq!(v[5]["line"], 7);
    assert_eq!(v[5]["valid"], true);
    // A compact-form value with the data to rebuild it; without: a request error.
    let compact = Fixture::sign_in(f.path(), &["--form", "compact"]);
    let input = format!(
        "{{\"identity\":\"{compact}\",\"orig\":\"{ORIG}\",\"dest\":\"{DEST}\",\"iat\":{IAT},\"attest\":\"A\",\"origid\":\"{ORIGID}\",\"now\":{NOW}}}\n{{\"identity\":\"{compact}\",\"orig\":\"{ORIG}\",\"dest\":\"{DEST}\"}}\n"
    );
    let o = f.run_stdin(
        &["verify", "--batch", "--pubkey", "pub.pem"],
        input.as_bytes(),
    );
    let v = json_lines(&o);
    assert_eq!(v[0]["valid"], true, "{}", v[0]);
    assert_eq!(v[1]["kind"], "request");
    let e = v[1]["error"].as_str().unwrap();
    assert!(
        e.contains("iat, attest, origid") && !e.contains("--"),
        "{e}"
    );
    // From a file; all valid: exit 0. Invalid verdicts only: exit 1.
    let many: String = (0..200)
        .map(|i| {
            format!(
                "{{\"identity\":\"{}\",\"now\":{NOW},\"call_id\":{i}}}\n",
                f.id
            )
        })
        .collect();
    std::fs::write(f.path().join("many.jsonl"), &many).unwrap();
    let o = f.run(&["verify", "--batch", "many.jsonl", "--pubkey", "pub.pem"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json_lines(&o);
    assert_eq!(v.len(), 200);
    assert!(
        v.iter()
            .enumerate()
            .all(|(i, o)| o["call_id"] == i && o["valid"] == true)
    );
    let o = f.run_stdin(
        &[
            "verify",
            "--batch",
            "-",
            "--pubkey",
            "pub.pem",
            "--now",
            "1800000000",
        ],
        many.replace(&format!(",\"now\":{NOW}"), "").as_bytes(),
    );
    assert_eq!(code(&o), 1);
    // A line over the limit is one error, and the next line is read.
    let long = format!(
        "{{\"identity\":\"{}\"}}\n{{\"identity\":\"{}\",\"now\":{NOW}}}\n",
        "x".repeat(70_000),
        f.id
    );
    let o = f.run_stdin(
        &["verify", "--batch", "--pubkey", "pub.pem"],
        long.as_bytes(),
    );
    let v = json_lines(&o);
    assert_eq!(v.len(), 2, "{}", stdout(&o));
    assert!(v[0]["error"].as_str().unwrap().contains("longer than"));
    assert_eq!(v[1]["valid"], true);
}

/// Point 7: a gzip bomb is refused within bounded memory.
#[test]
fn inspect_gzip_bomb_is_refused() {
    let f = Fixture::new();
    let path = f.path().join("bomb.pem.gz");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let zeros = vec![b'A'; 1 << 20];
        for _ in 0..256 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);
    // 256 MiB of address space: the old unlimited reader needed twice what it inflated.
    let o = Command::new("sh")
        .current_dir(f.path())
        .args([
            "-c",
            "ulimit -v 262144 && exec \"$0\" cert inspect bomb.pem.gz",
        ])
        .arg(env!("CARGO_BIN_EXE_cliauth"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("more than 64 MiB after decompression"),
        "{}",
        stderr(&o)
    );
}

/// Point 7: binary junk gives one clear error.
#[test]
fn inspect_junk_is_one_error() {
    let f = Fixture::new();
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 1)
        .collect();
    std::fs::write(f.path().join("junk.bin"), &junk).unwrap();
    std::fs::write(
        f.path().join("broken.pem"),
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n????\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let o = f.run(&["cert", "inspect", "junk.bin"]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("junk.bin: no certificate"),
        "{}",
        stderr(&o)
    );
    let o = f.run(&["cert", "inspect", "broken.pem"]);
    let out = stdout(&o) + &stderr(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
}

/// Point 7: decode shows what it can.
#[test]
fn decode_malformed_compact_and_stdin() {
    let f = Fixture::new();
    let (token, params) = f.id.split_once(';').unwrap();
    let broken = format!("{}.!!!;{params}", token.rsplit_once('.').unwrap().0);
    let o = f.run(&["decode", &broken]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["claims"]["orig"]["tn"], ORIG);
    assert_eq!(v["header"]["ppt"], "shaken");
    assert!(!v["problems"].as_array().unwrap().is_empty());
    let compact = Fixture::sign_in(f.path(), &["--form", "compact"]);
    let o = f.run(&["decode", &compact]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["compact"], true);
    assert!(v["note"].as_str().unwrap().contains("compact form"));
    for args in [&["decode"][..], &["decode", "-"][..]] {
        let o = f.run_stdin(args, f.id.as_bytes());
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["claims"]["origid"], ORIGID);
    }
}

/// Point 7: keygen refuses to overwrite; key pub prints the public key.
#[test]
fn keygen_force_and_key_pub() {
    let f = Fixture::new();
    let before = std::fs::read(f.path().join("key.pem")).unwrap();
    let o = f.run(&["keygen", "--out", "key.pem"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(f.path().join("key.pem")).unwrap(), before);
    let o = f.run(&["keygen", "--out", "new.pem", "--pub", "pub.pem"]);
    assert_eq!(code(&o), 2);
    assert!(!f.path().join("new.pem").exists());
    let o = f.run(&["key", "pub", "key.pem"]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string(f.path().join("pub.pem")).unwrap()
    );
    let o = f.run(&["keygen", "--out", "key.pem", "--pub", "pub.pem", "--force"]);
    assert_eq!(code(&o), 0);
    assert_ne!(std::fs::read(f.path().join("key.pem")).unwrap(), before);
    let o = f.run(&["key", "pub", "pub.pem"]);
    assert_eq!(code(&o), 2);
}

/// Point 8: completions and man pages from the clap definitions.
#[test]
fn man_and_completions() {
    let f = Fixture::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = f.run(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}");
        assert!(stdout(&o).contains("verify"), "{shell}");
    }
    let o = f.run(&["completions", "bash"]);
    assert!(stdout(&o).contains("--strict-profile"));
    let o = f.run(&["man"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).starts_with(".ie") || stdout(&o).contains(".TH cliauth"),
        "{}",
        &stdout(&o)[..200]
    );
    let o = f.run(&["man", "--out-dir", "man"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page: PathBuf = f.path().join("man/cliauth-verify.1");
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(text.contains("strict\\-profile"), "{text}");
    if Command::new("man").arg("--version").output().is_ok() {
        let o = Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}
