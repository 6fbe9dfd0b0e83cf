//! `cliauth verify --fetch`: the chain comes from the token's x5u, served by a plain-HTTP
//! server on 127.0.0.1 (std only, bounded in time), and is validated against
//! `--trust-anchor`. Needs the `fetch` feature (a default feature of the command).
#![cfg(feature = "fetch")]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::{Attest, Signer, SigningKey};
use serde_json::Value;

const CLIAUTH: &str = env!("CARGO_BIN_EXE_cliauth");
const NOW: i64 = 1_800_000_000;
const ORIG: &str = "12155551212";
const DEST: &str = "12155550100";

/// A plain-HTTP server on 127.0.0.1 answering every request with one fixed response.
struct Server {
    port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(status: &str, content_type: &str, body: &[u8]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(body);
        let thread = {
            let (requests, stop) = (Arc::clone(&requests), Arc::clone(&stop));
            std::thread::spawn(move || {
                let born = Instant::now();
                while !stop.load(Ordering::SeqCst) && born.elapsed() < Duration::from_secs(30) {
                    let Ok((mut sock, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    let _ = sock.set_nonblocking(false);
                    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = sock.set_write_timeout(Some(Duration::from_secs(5)));
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
                        match sock.read(&mut buf) {
                            Ok(n) if n > 0 => req.extend_from_slice(&buf[..n]),
                            _ => break,
                        }
                    }
                    requests.fetch_add(1, Ordering::SeqCst);
                    let _ = sock.write_all(&response);
                }
            })
        };
        Server {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/sti/sp.pem", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs `cliauth verify --fetch --allow-http-loopback` on a token whose x5u is `x5u`;
/// returns the exit code and the JSON printed.
fn verify(pki: &TestPki, x5u: &str, dir: &tempfile::TempDir) -> (i32, Value) {
    let (identity, root) = token_at(pki, x5u, dir, NOW);
    let (code, json, _) = verify_with(&identity, &root, &["--now", &NOW.to_string()]);
    (code, json)
}

#[test]
fn verify_fetches_the_chain_from_x5u() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let server = Server::start(
        "200 OK",
        "application/pem-certificate-chain",
        pki.chain_pem.as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = verify(&pki, &server.url(), &dir);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["valid"], true, "{json}");
    assert_eq!(json["spc"], "1234", "{json}");
    assert_eq!(json["x5u"], server.url().as_str());
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn verify_reports_a_failed_fetch_as_436() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let server = Server::start("404 Not Found", "text/plain", b"no such chain\n");
    let dir = tempfile::tempdir().unwrap();
    let (code, json) = verify(&pki, &server.url(), &dir);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["valid"], false, "{json}");
    assert_eq!(json["sip_code"], 436, "{json}");
    assert_eq!(json["kind"], "bad_info", "{json}");
    assert!(
        json["error"].as_str().unwrap().contains("HTTP status 404"),
        "{json}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;

/// Runs `cliauth verify --fetch --allow-http-loopback --json` on `identity` with `extra`
/// arguments; returns the exit code, the JSON printed and standard error.
fn verify_with(identity: &str, root: &std::path::Path, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::new(CLIAUTH)
        .args(["verify", "--fetch", "--allow-http-loopback", "--json"])
        .arg("--trust-anchor")
        .arg(root)
        .args(["--identity", identity])
        .args(["--orig", ORIG, "--dest", DEST])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// A token signed now (the Redis keys expire in real time) for `x5u`, and the root file.
fn fresh_token(pki: &TestPki, x5u: &str, dir: &tempfile::TempDir) -> (String, PathBuf) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    token_at(pki, x5u, dir, now)
}

/// A token for `x5u` issued at `iat`, and the trust anchor written into `dir`.
fn token_at(pki: &TestPki, x5u: &str, dir: &tempfile::TempDir, iat: i64) -> (String, PathBuf) {
    let identity = Signer::new(
        SigningKey::from_pem_or_der(pki.ee_key_pem.as_bytes()).unwrap(),
        x5u,
    )
    .unwrap()
    .sign_shaken(ORIG, &[DEST], Attest::A, None, iat)
    .unwrap()
    .identity();
    let root = dir.path().join("root.pem");
    std::fs::write(&root, &pki.root_pem).unwrap();
    (identity, root)
}

#[test]
fn processes_sharing_redis_fetch_once_and_catch_a_replay() {
    let redis = redis_server::RedisServer::start();
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let server = Server::start(
        "200 OK",
        "application/pem-certificate-chain",
        pki.chain_pem.as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let (identity, root) = fresh_token(&pki, &server.url(), &dir);
    let state = redis.url();
    let run =
        |call_id: &str| verify_with(&identity, &root, &["--state", &state, "--call-id", call_id]);
    // Two processes, the same call (a retransmission through another node): both pass.
    let (code, json, _) = run("call-1@example.net");
    assert_eq!(
        (code, &json["replay"]),
        (0, &Value::from("first")),
        "{json}"
    );
    let (code, json, _) = run("call-1@example.net");
    assert_eq!(code, 0, "{json}");
    // One fetch for both processes: the second read the chain from Redis.
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    // A third process, another Call-ID: a replay.
    let (code, json, _) = run("call-2@example.net");
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["kind"], "replay", "{json}");
    assert_eq!(json["sip_code"], 438, "{json}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    // Without shared state, each process fetches for itself and sees no replay.
    let (code, _, _) = verify_with(&identity, &root, &["--call-id", "call-3"]);
    let (code2, json, _) = verify_with(&identity, &root, &["--call-id", "call-4"]);
    assert_eq!((code, code2), (0, 0), "{json}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);
}

#[test]
fn redis_down_does_not_fail_the_call() {
    let mut redis = redis_server::RedisServer::start();
    let state = redis.url();
    redis.kill();
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let server = Server::start(
        "200 OK",
        "application/pem-certificate-chain",
        pki.chain_pem.as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let (identity, root) = fresh_token(&pki, &server.url(), &dir);
    let (code, json, stderr) =
        verify_with(&identity, &root, &["--state", &state, "--call-id", "c"]);
    assert_eq!(code, 0, "{json} {stderr}");
    assert_eq!(json["replay"], "local_only", "{json}");
    assert!(stderr.contains("could not be reached"), "{stderr}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn state_and_budget_options_are_checked() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (identity, root) = fresh_token(&pki, "http://127.0.0.1:9/x.pem", &dir);
    for extra in [
        &["--state", "postgres://db"][..],
        &["--fetch-budget", "0"][..],
        &["--fetch-budget", "-5"][..],
    ] {
        let (code, json, _) = verify_with(&identity, &root, extra);
        assert_eq!(code, 2, "{extra:?}: {json}");
        assert!(json["error"].is_string(), "{json}");
    }
}
