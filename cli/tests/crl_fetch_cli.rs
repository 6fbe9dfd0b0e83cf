//! `cliauth verify --crl-fetch`: before the chain is validated, the CRLs named by its CRL
//! distribution points are fetched (the x5u rules; `--allow-http-loopback` admits this
//! test's plain-HTTP server on 127.0.0.1) and the chain is checked against them — with
//! `--cert` and with `--fetch`.
#![cfg(feature = "fetch")]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::{Attest, Signer, SigningKey};
use serde_json::Value;

const CLIAUTH: &str = env!("CARGO_BIN_EXE_cliauth");
const NOW: i64 = 1_800_000_000;
const ORIG: &str = "12155551212";
const DEST: &str = "12155550100";

type Routes = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

/// A plain-HTTP server on 127.0.0.1 answering each path with a (content type, body), 404
/// otherwise; counts requests per path; stops on drop or after 30 s.
struct Server {
    port: u16,
    routes: Routes,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Routes = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, hits, stop) = (Arc::clone(&routes), Arc::clone(&hits), Arc::clone(&stop));
            std::thread::spawn(move || {
                let born = Instant::now();
                while !stop.load(Ordering::SeqCst) && born.elapsed() < Duration::from_secs(30) {
                    let Ok((mut sock, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    let _ = sock.set_nonblocking(false);
                    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
                        match sock.read(&mut buf) {
                            Ok(n) if n > 0 => req.extend_from_slice(&buf[..n]),
                            _ => break,
                        }
                    }
                    let text = String::from_utf8_lossy(&req);
                    let path = text.split(' ').nth(1).unwrap_or("").to_owned();
                    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
                    let (status, ct, body) = match routes.lock().unwrap().get(&path) {
                        Some((ct, body)) => ("200 OK", ct.clone(), body.clone()),
                        None => ("404 Not Found", "text/plain".into(), b"no\n".to_vec()),
                    };
                    let mut response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    response.extend_from_slice(&body);
                    let _ = sock.write_all(&response);
                }
            })
        };
        Server {
            port,
            routes,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn route(&self, path: &str, ct: &str, body: impl Into<Vec<u8>>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.into(), (ct.into(), body.into()));
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
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

struct World {
    server: Server,
    pki: TestPki,
    dir: tempfile::TempDir,
}

fn world(tag: &str) -> World {
    let server = Server::start();
    let pki = TestPki::generate(&TestPkiOptions {
        name: format!("crl-fetch {tag}"),
        crl_url: server.url("/int.crl"),
        ..TestPkiOptions::default()
    })
    .unwrap();
    server.route(
        "/sp.pem",
        "application/pem-certificate-chain",
        pki.chain_pem.clone(),
    );
    World {
        server,
        pki,
        dir: tempfile::tempdir().unwrap(),
    }
}

/// Runs `cliauth verify --json --crl-fetch --allow-http-loopback` with `source` (the
/// options saying where the chain comes from) and `extra` options.
fn verify(w: &World, source: &[&str], extra: &[&str]) -> (i32, Value, String) {
    let identity = Signer::new(
        SigningKey::from_pem_or_der(w.pki.ee_key_pem.as_bytes()).unwrap(),
        w.server.url("/sp.pem"),
    )
    .unwrap()
    .sign_shaken(ORIG, &[DEST], Attest::A, None, NOW)
    .unwrap()
    .identity();
    let root = w.dir.path().join("root.pem");
    std::fs::write(&root, &w.pki.root_pem).unwrap();
    let chain = w.dir.path().join("chain.pem");
    std::fs::write(&chain, &w.pki.chain_pem).unwrap();
    let args: Vec<String> = source
        .iter()
        .map(|a| a.replace("CHAIN", chain.to_str().unwrap()))
        .collect();
    let out = Command::new(CLIAUTH)
        .args(["verify", "--json", "--crl-fetch", "--allow-http-loopback"])
        .arg("--trust-anchor")
        .arg(&root)
        .args(&args)
        .args(extra)
        .args(["--identity", &identity])
        .args(["--orig", ORIG, "--dest", DEST])
        .args(["--now", &NOW.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), json, stderr)
}

#[test]
fn a_fetched_crl_revokes_the_chain_given_with_cert_or_fetched() {
    let w = world("revoked");
    w.server.route(
        "/int.crl",
        "application/pkix-crl",
        w.pki.ee_crl(true, NOW - 60, NOW + 86_400).unwrap(),
    );
    for source in [&["--cert", "CHAIN"][..], &["--fetch"][..]] {
        let (code, json, stderr) = verify(&w, source, &[]);
        assert_eq!(code, 1, "{source:?}: {json} {stderr}");
        assert_eq!(json["kind"], "cert_revoked", "{source:?}: {json}");
        assert_eq!(json["sip_code"], 437, "{json}");
    }
    assert_eq!(w.server.hits("/int.crl"), 2);
    assert_eq!(w.server.hits("/sp.pem"), 1);
}

#[test]
fn a_good_crl_lets_the_chain_verify() {
    let w = world("good");
    w.server.route(
        "/int.crl",
        "application/pkix-crl",
        w.pki.ee_crl(false, NOW - 60, NOW + 86_400).unwrap(),
    );
    for source in [&["--cert", "CHAIN"][..], &["--fetch"][..]] {
        let (code, json, stderr) = verify(&w, source, &[]);
        assert_eq!(code, 0, "{source:?}: {json} {stderr}");
        assert_eq!(json["valid"], true, "{json}");
        assert!(stderr.is_empty(), "{stderr}");
    }
}

/// A CRL that cannot be used is reported on stderr; the chain is checked against the CRLs
/// at hand (here an expired `--crl` file: fail closed, 437 crl_expired).
#[test]
fn an_unusable_crl_is_reported_and_the_files_are_used() {
    let w = world("unusable");
    w.server
        .route("/int.crl", "application/pkix-crl", b"not a CRL".to_vec());
    let expired = w.dir.path().join("expired.crl");
    std::fs::write(
        &expired,
        w.pki.ee_crl(false, NOW - 864_000, NOW - 86_400).unwrap(),
    )
    .unwrap();
    let (code, json, stderr) = verify(
        &w,
        &["--cert", "CHAIN"],
        &["--crl", expired.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["sip_code"], 437, "{json}");
    assert!(
        json["error"].as_str().unwrap().contains("expired"),
        "{json}"
    );
    assert!(
        stderr.contains("--crl-fetch") && stderr.contains("/int.crl"),
        "{stderr}"
    );
    // Without --crl, the unusable CRL leaves no CRL: the chain verifies (with the warning).
    let (code, json, stderr) = verify(&w, &["--cert", "CHAIN"], &[]);
    assert_eq!(code, 0, "{json}");
    assert!(stderr.contains("CRL"), "{stderr}");
}
