//! `cliauth sign --batch … --sipp` driven through a real SIPp (issue #12 point 2): SIPp
//! reads the injection file with `-inf`, its UAC scenario (the one the README shows)
//! rejoins `Identity: [field0];[field1];[field2];[field3]` and sends one INVITE per line
//! over UDP to a receiver in this test on 127.0.0.1, which answers 200 and collects the
//! INVITEs. Every Identity value received must verify (`cliauth verify --batch`) for the
//! numbers the INVITE carries, those numbers must be the input line's, and every input line
//! must arrive exactly once.
//!
//! SIPp (Debian's `sip-tester`) is installed by `scripts/install-kamailio-deps.sh`, which
//! `scripts/test.sh` runs; without it this test fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

const X5U: &str = "https://cert.example.net/sp.pem";
const CALLS: usize = 40;

/// The README's scenario (`Identity: [field0];[field1];[field2];[field3]`, numbers in
/// `[field4]` and `[field5]`), with the 200 and the ACK of a complete call.
const SCENARIO: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="cliauth sign --batch --sipp">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[field5]@[remote_ip]:[remote_port];user=phone SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field4]@[local_ip]>;tag=[call_number]
      To: <sip:[field5]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field4]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Identity: [field0];[field1];[field2];[field3]
      Content-Length: 0

    ]]>
  </send>

  <recv response="200"/>

  <send>
    <![CDATA[

      ACK sip:[field5]@[remote_ip]:[remote_port];user=phone SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field4]@[local_ip]>;tag=[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"#;

fn cliauth(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cliauth"))
        .current_dir(dir)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&input);
        });
    }
    child.wait_with_output().unwrap()
}

/// The value of the first header line `name:` of a message (SIPp writes one per line).
fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The user part of `<sip:user@host…>`.
fn user(v: &str) -> &str {
    let v = v.split_once("sip:").map_or(v, |(_, r)| r);
    v.split('@').next().unwrap_or(v)
}

/// Answers every INVITE with 200 and keeps it (by Call-ID); returns when `stop` is set.
fn receiver(sock: UdpSocket, stop: Arc<AtomicBool>) -> (BTreeMap<String, String>, usize) {
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut invites = BTreeMap::new();
    let mut acks = 0;
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, peer)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if msg.starts_with("ACK ") {
            acks += 1;
            continue;
        }
        if !msg.starts_with("INVITE ") {
            continue;
        }
        let h = |name| header(&msg, name).unwrap_or("").to_owned();
        let call_id = h("Call-ID");
        let reply = format!(
            "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=rx{}\r\nCall-ID: {}\r\n\
             CSeq: {}\r\nContact: <sip:rx@{}>\r\nContent-Length: 0\r\n\r\n",
            h("Via"),
            h("From"),
            h("To"),
            invites.len(),
            call_id,
            h("CSeq"),
            sock.local_addr().unwrap(),
        );
        sock.send_to(reply.as_bytes(), peer).unwrap();
        // A retransmitted INVITE (same Call-ID) counts once.
        invites.entry(call_id).or_insert(msg);
    }
    (invites, acks)
}

#[test]
fn sipp_sends_every_injected_identity_and_each_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = cliauth(d, &["keygen", "--out", "key.pem", "--pub", "pub.pem"], None);
    assert!(o.status.success());

    // Distinct calling numbers (each input line is recognised by it), several called
    // numbers and attestation levels.
    let input: Vec<(String, String, &str)> = (0..CALLS)
        .map(|i| {
            (
                format!("1215555{:04}", 1000 + i),
                format!("1303555{:04}", i % 7),
                ["A", "B", "C"][i % 3],
            )
        })
        .collect();
    let lines: String = input
        .iter()
        .map(|(orig, dest, attest)| {
            json!({"orig": orig, "dest": dest, "attest": attest, "iat": 1700000000}).to_string()
                + "\n"
        })
        .collect();
    std::fs::write(d.join("calls.jsonl"), lines).unwrap();
    let o = cliauth(
        d,
        &[
            "sign",
            "--key",
            "key.pem",
            "--x5u",
            X5U,
            "--batch",
            "calls.jsonl",
            "--sipp",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(d.join("calls.csv"), &o.stdout).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        CALLS + 1,
        "SEQUENTIAL and one line per call"
    );
    std::fs::write(d.join("uac.xml"), SCENARIO).unwrap();

    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rx = sock.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let recv = {
        let stop = stop.clone();
        std::thread::spawn(move || receiver(sock, stop))
    };
    // A free local port for SIPp (not 5060: other tests may run a SIP server there).
    let sipp_port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let n = CALLS.to_string();
    let sipp = Command::new("sipp")
        .current_dir(d)
        .args([
            &rx.to_string(),
            "-sf",
            "uac.xml",
            "-inf",
            "calls.csv",
            "-i",
            "127.0.0.1",
            "-p",
            &sipp_port.to_string(),
            "-m",
            &n,
            "-r",
            "200",
            "-l",
            "20",
            "-recv_timeout",
            "5000",
            "-timeout",
            "60s",
            "-timeout_error",
            "-trace_err",
            "-error_file",
            "sipp.err",
            "-nostdin",
        ])
        .stdin(Stdio::null())
        .output();
    stop.store(true, Ordering::Relaxed);
    let (invites, acks) = recv.join().unwrap();
    let sipp = sipp.unwrap_or_else(|e| {
        panic!("sipp could not be run ({e}): scripts/install-kamailio-deps.sh installs sip-tester")
    });
    let errors = std::fs::read_to_string(d.join("sipp.err")).unwrap_or_default();
    assert_eq!(
        sipp.status.code(),
        Some(0),
        "sipp failed\nstdout: {}\nstderr: {}\nerrors: {errors}",
        String::from_utf8_lossy(&sipp.stdout),
        String::from_utf8_lossy(&sipp.stderr)
    );
    assert_eq!(invites.len(), CALLS, "INVITEs received (by Call-ID)");
    assert_eq!(acks, CALLS, "ACKs received");

    // Verify every received Identity value for the numbers its INVITE carries.
    let mut reqs = String::new();
    let mut carried = Vec::new();
    for (call_id, msg) in &invites {
        let identity = header(msg, "Identity").expect("an Identity header");
        let orig = user(header(msg, "From").unwrap()).to_owned();
        let dest = user(header(msg, "To").unwrap()).to_owned();
        reqs.push_str(
            &(json!({"identity": identity, "orig": orig, "dest": dest,
                     "now": 1700000010, "call_id": call_id})
            .to_string()
                + "\n"),
        );
        carried.push((orig, dest));
    }
    let o = cliauth(
        d,
        &["verify", "--batch", "-", "--pubkey", "pub.pem"],
        Some(reqs.as_bytes()),
    );
    let verdicts: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), CALLS);
    assert_eq!(o.status.code(), Some(0), "{verdicts:?}");
    let want: BTreeMap<&str, (&str, &str)> = input
        .iter()
        .map(|(o, d, a)| (o.as_str(), (d.as_str(), *a)))
        .collect();
    let mut seen = BTreeSet::new();
    for (v, (orig, dest)) in verdicts.iter().zip(&carried) {
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["verstat"], "TN-Validation-Passed", "{v}");
        assert_eq!(v["x5u"], X5U);
        let (want_dest, want_attest) = want[orig.as_str()];
        assert_eq!(v["orig"], orig.as_str());
        assert_eq!(dest, want_dest, "the INVITE's To is the line's dest");
        assert_eq!(v["dest"], json!([want_dest]));
        assert_eq!(v["attest"], want_attest);
        assert!(seen.insert(orig.clone()), "{orig} twice");
    }
    assert_eq!(seen.len(), CALLS, "every input line arrived once");

    // The check has teeth: the first value does not verify for another called number.
    let (_, first) = invites.iter().next().unwrap();
    let wrong = json!({"identity": header(first, "Identity").unwrap(),
                       "orig": user(header(first, "From").unwrap()),
                       "dest": "13035559999", "now": 1700000010})
    .to_string();
    let o = cliauth(
        d,
        &["verify", "--batch", "-", "--pubkey", "pub.pem"],
        Some(wrong.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false, "{v}");
}
