//! `cliauth sign --batch` (issue #12 point 2): JSON lines and CSV in, one Identity value
//! per line out in input order, all or nothing on a bad line, the SIPp injection file.
//! The values are checked by verifying them (`verify --batch`) and by decoding their
//! claims; the SIPp fields are reassembled as SIPp's `[field0];[field1];…` would.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

const X5U: &str = "https://cert.example.net/sp.pem";

fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cliauth"));
    c.current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
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

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &["keygen", "--out", "key.pem", "--pub", "pub.pem"],
        None,
    );
    assert!(o.status.success());
    dir
}

fn sign(dir: &Path, extra: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut args = vec!["sign", "--key", "key.pem", "--x5u", X5U];
    args.extend_from_slice(extra);
    run_in(dir, &args, stdin)
}

/// Verifies each value (one per line) and returns the verdicts.
fn verify(dir: &Path, values: &[&str]) -> Vec<Value> {
    let reqs: String = values
        .iter()
        .map(|v| json!({"identity": v, "now": 1700000010}).to_string() + "\n")
        .collect();
    let o = run_in(
        dir,
        &["verify", "--batch", "-", "--pubkey", "pub.pem"],
        Some(reqs.as_bytes()),
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn calls(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({"orig": format!("1215555{:04}", i), "dest": "12155551213", "attest": "A",
                   "iat": 1700000000, "origid": format!("id-{i}")})
            .to_string()
                + "\n"
        })
        .collect()
}

#[test]
fn json_lines_in_order_on_several_threads() {
    let dir = setup();
    let n = 300;
    std::fs::write(dir.path().join("calls.jsonl"), calls(n)).unwrap();
    for threads in ["1", "3"] {
        let o = sign(
            dir.path(),
            &["--batch", "calls.jsonl", "--threads", threads],
            None,
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8(o.stdout).unwrap();
        let values: Vec<&str> = text.lines().collect();
        assert_eq!(values.len(), n);
        let verdicts = verify(dir.path(), &values);
        for (i, v) in verdicts.iter().enumerate() {
            assert_eq!(v["valid"], true, "{v}");
            assert_eq!(v["orig"], format!("1215555{:04}", i));
            assert_eq!(v["origid"], format!("id-{i}"));
            assert_eq!(v["x5u"], X5U);
        }
    }
}

#[test]
fn csv_with_header_and_several_dests_from_stdin() {
    let dir = setup();
    let csv = "orig,dest,attest,iat\n\
               +1 215 555 1212,\"12155551213,12155551214\",B,1700000000\n\
               \n\
               12155551299,12155551213,C,1700000005\n";
    let o = sign(dir.path(), &["--batch"], Some(csv.as_bytes()));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    let values: Vec<&str> = text.lines().collect();
    let v = verify(dir.path(), &values);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["attest"], "B");
    assert_eq!(v[0]["orig"], "12155551212");
    assert_eq!(v[0]["dest"], json!(["12155551213", "12155551214"]));
    assert_eq!(v[1]["attest"], "C");
    assert_eq!(v[1]["iat"], 1700000005);
    // A fresh origid for each call that has none.
    assert!(v[0]["origid"].as_str().is_some_and(|s| s.len() == 36));
    assert_ne!(v[0]["origid"], v[1]["origid"]);
}

#[test]
fn a_bad_line_writes_nothing_and_names_the_line() {
    let dir = setup();
    // 5000 good lines (more than one chunk is signed before the bad one is read), then a
    // bad one.
    let mut input = calls(5000);
    input.push_str("{\"orig\":\"12155551212\",\"dest\":\"abc\",\"attest\":\"A\"}\n");
    std::fs::write(dir.path().join("calls.jsonl"), &input).unwrap();
    let o = sign(dir.path(), &["--batch", "calls.jsonl"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "half-written output");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("calls.jsonl line 5001: dest \"abc\""), "{err}");

    for (bad, want) in [
        (
            "{\"orig\":\"1\",\"dest\":\"2\",\"attest\":\"A\",\"x\":1}",
            "unknown member \"x\"",
        ),
        (
            "{\"orig\":\"12155551212\",\"dest\":\"12155551213\"}",
            "attest is required",
        ),
        (
            "{\"orig\":\"12155551212\",\"dest\":\"12155551213\",\"attest\":\"Z\"}",
            "attest",
        ),
        (
            "{\"orig\":\"12155551212\",\"dest\":[1],\"attest\":\"A\"}",
            "dest must be",
        ),
        (
            "{\"orig\":\"12155551212\",\"dest\":\"12155551213\",\"attest\":\"A\",\"iat\":-1}",
            "iat",
        ),
        (
            "{\"orig\":\"12155551212\",\"dest\":\"12155551213\",\"ppt\":\"nope\"}",
            "ppt",
        ),
        ("[1]", "not a JSON object"),
    ] {
        let input = format!("{}{bad}\n", calls(2));
        let o = sign(dir.path(), &["--batch", "-"], Some(input.as_bytes()));
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(o.stdout.is_empty(), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("standard input line 3: ") && err.contains(want),
            "{bad}: {err}"
        );
    }
    // CSV: an unknown column, a short row, an over-long line.
    for (input, want) in [
        (
            "orig,dst\n1,2\n".to_owned(),
            "line 1: header: unknown column \"dst\"",
        ),
        (
            "orig,dest,attest\n12155551212,12155551213\n".to_owned(),
            "line 2: 2 fields",
        ),
        (
            format!("orig,dest,attest\n{}\n", "1".repeat(70_000)),
            "line 2: longer than",
        ),
    ] {
        let o = sign(dir.path(), &["--batch", "-"], Some(input.as_bytes()));
        assert_eq!(o.status.code(), Some(2));
        assert!(o.stdout.is_empty());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn sipp_injection_file_reassembles_the_identity_value() {
    let dir = setup();
    std::fs::write(dir.path().join("calls.jsonl"), calls(3)).unwrap();
    let o = sign(dir.path(), &["--batch", "calls.jsonl", "--sipp"], None);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("SEQUENTIAL"));
    let mut values = Vec::new();
    for (i, line) in lines.enumerate() {
        // SIPp splits at every `;`.
        let f: Vec<&str> = line.split(';').collect();
        assert_eq!(f.len(), 6, "{line}");
        assert_eq!(f[1], format!("info=<{X5U}>"));
        assert_eq!(f[2], "alg=ES256");
        assert_eq!(f[3], "ppt=shaken");
        assert_eq!(f[4], format!("1215555{:04}", i));
        assert_eq!(f[5], "12155551213");
        // The scenario's `Identity: [field0];[field1];[field2];[field3]`.
        values.push(f[..4].join(";"));
    }
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let v = verify(dir.path(), &refs);
    assert_eq!(v.len(), 3);
    assert!(v.iter().all(|v| v["valid"] == true));
    // An x5u with `;` cannot be carried in SIPp fields.
    let o = run_in(
        dir.path(),
        &[
            "sign",
            "--key",
            "key.pem",
            "--x5u",
            "https://c.example/a;b",
            "--batch",
            "calls.jsonl",
            "--sipp",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

#[test]
fn command_line_defaults_and_forms() {
    let dir = setup();
    let input = "{\"orig\":\"12155551212\",\"dest\":\"12155551213\"}\n";
    let o = sign(
        dir.path(),
        &[
            "--batch",
            "-",
            "--attest",
            "B",
            "--iat",
            "1700000000",
            "--form",
            "compact",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with(".."), "{out}");
    // --orig with --batch is a usage error.
    let o = sign(
        dir.path(),
        &["--batch", "-", "--orig", "12155551212"],
        Some(b""),
    );
    assert_eq!(o.status.code(), Some(2));
}
