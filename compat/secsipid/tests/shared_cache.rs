//! `SharedCache` across real processes: this test binary starts copies of itself (the
//! ignored test `child_check`, one process each), every one with its own instance of the
//! library, pointed at one `redis-server` (started here on a free loopback port, Debian
//! package `redis-server`, installed by scripts/install-test-deps.sh; missing, the test
//! fails) and checking an Identity header whose key is at an `http://127.0.0.1` URL
//! served here, which counts its requests.
//!
//! Two processes checking at once download the key once (the server answers slowly, so
//! the second finds the first's Redis lock and waits for its result); a third, later,
//! takes it from Redis; with Redis killed, a fourth still verifies, downloading directly.

#[path = "../../../tests/support/redis_server.rs"]
mod redis_server;

use std::ffi::{CString, c_char};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::ptr::null_mut;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cliauth::SigningKey;
use cliauth_secsipid::*;
use redis_server::RedisServer;

const ENV_IDENTITY: &str = "CLIAUTH_SHARED_TEST_IDENTITY";
const ENV_REDIS: &str = "CLIAUTH_SHARED_TEST_REDIS";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Serves `body` as a 200 on a loopback port, each answer after `delay`, counting the
/// requests; returns the URL of the key and the count.
fn key_server(body: String, delay: Duration) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let n = Arc::clone(&count);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            n.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut req = [0u8; 2048];
                let _ = s.read(&mut req);
                std::thread::sleep(delay);
                let _ = write!(
                    s,
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (format!("http://{addr}/sp-pub.pem"), count)
}

/// The Identity header value signed by a new key whose public key `key_server` serves.
fn identity(x5u: &str, dir: &std::path::Path, prv_pem: &[u8]) -> String {
    let key_file = dir.join("prv.pem");
    std::fs::write(&key_file, prv_pem).unwrap();
    let (o, d, a, id, x, k) = (
        c("12155551212"),
        c("12155551213"),
        c("A"),
        c(""),
        c(x5u),
        c(key_file.to_str().unwrap()),
    );
    let mut out: *mut c_char = null_mut();
    // SAFETY: valid C strings and a writable output pointer.
    let n = unsafe {
        SecSIPIDGetIdentity(
            o.as_ptr().cast_mut(),
            d.as_ptr().cast_mut(),
            a.as_ptr().cast_mut(),
            id.as_ptr().cast_mut(),
            x.as_ptr().cast_mut(),
            k.as_ptr().cast_mut(),
            &mut out,
        )
    };
    assert!(n > 0, "SecSIPIDGetIdentity: {n}");
    // SAFETY: a NUL-terminated malloc'ed string from the library, freed once.
    let s = unsafe { std::ffi::CStr::from_ptr(out) }
        .to_str()
        .unwrap()
        .to_owned();
    // SAFETY: as above.
    unsafe { libc::free(out.cast()) };
    s
}

/// Starts one child process checking `identity` with `SharedCache` = `redis`.
fn spawn_child(identity: &str, redis: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_check",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_IDENTITY, identity)
        .env(ENV_REDIS, redis)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start a child process")
}

/// What a child reported: its check's code and its shared-cache counters.
#[derive(Debug, PartialEq, Eq)]
struct Report {
    pid: u32,
    ret: i32,
    fetches: u64,
    shared_hits: u64,
    errors: u64,
}

fn report(out: Output) -> Report {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The harness prints "test child_check ... " before the child's own line.
    let line = stdout
        .lines()
        .find_map(|l| l.find("CHILD pid=").map(|i| &l[i..]))
        .unwrap_or_else(|| panic!("no CHILD line in:\n{stdout}"));
    let field = |name: &str| -> i64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing in {line}"))
            .parse()
            .unwrap()
    };
    Report {
        pid: u32::try_from(field("pid")).unwrap(),
        ret: i32::try_from(field("ret")).unwrap(),
        fetches: u64::try_from(field("fetches")).unwrap(),
        shared_hits: u64::try_from(field("shared_hits")).unwrap(),
        errors: u64::try_from(field("errors")).unwrap(),
    }
}

/// A child process: sets `SharedCache`, checks the Identity value downloading the key
/// from its `info` URL, prints `CHILD pid=… ret=… fetches=… shared_hits=… errors=…`.
#[test]
#[ignore = "a child process of two_processes_download_once (started by it)"]
fn child_check() {
    let identity = std::env::var(ENV_IDENTITY).expect("started by two_processes_download_once");
    let redis = std::env::var(ENV_REDIS).unwrap();
    let (name, url) = (c("SharedCache"), c(&redis));
    // SAFETY: valid C strings.
    let set = unsafe { SecSIPIDOptSetS(name.as_ptr().cast_mut(), url.as_ptr().cast_mut()) };
    assert_eq!(set, 0, "SecSIPIDOptSetS(SharedCache)");
    let (v, empty) = (c(&identity), c(""));
    // SAFETY: valid C strings; "" downloads the key from `info`.
    let ret =
        unsafe { SecSIPIDCheckFull(v.as_ptr().cast_mut(), 0, 60, empty.as_ptr().cast_mut(), 5) };
    let s = url::shared_stats().expect("the shared cache was used");
    println!(
        "CHILD pid={} ret={ret} fetches={} shared_hits={} errors={}",
        std::process::id(),
        s.fetches,
        s.shared_hits,
        s.errors
    );
}

#[test]
fn two_processes_download_once() {
    let mut redis = RedisServer::start();
    let (key, pkcs8) = SigningKey::generate().unwrap();
    let pub_pem = key.verifying_key().to_pem().unwrap();
    let prv_pem = pem_of(&pkcs8);
    let dir = std::env::temp_dir().join(format!("cliauth-secsipid-shared-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The key server takes 600 ms to answer: the two processes overlap.
    let (x5u, requests) = key_server(pub_pem, Duration::from_millis(600));
    let id = identity(&x5u, &dir, prv_pem.as_bytes());

    let (a, b) = (
        spawn_child(&id, &redis.url()),
        spawn_child(&id, &redis.url()),
    );
    let (a, b) = (
        report(a.wait_with_output().unwrap()),
        report(b.wait_with_output().unwrap()),
    );
    assert_ne!(a.pid, b.pid);
    assert_eq!((a.ret, b.ret), (0, 0), "{a:?} {b:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 1, "{a:?} {b:?}");
    // One of them downloaded, the other took the body from Redis.
    assert_eq!(a.fetches + b.fetches, 1, "{a:?} {b:?}");
    assert_eq!(a.shared_hits + b.shared_hits, 1, "{a:?} {b:?}");
    assert_eq!(a.errors + b.errors, 0, "{a:?} {b:?}");

    // A later process: from Redis.
    let later = report(spawn_child(&id, &redis.url()).wait_with_output().unwrap());
    assert_eq!(
        (later.ret, later.fetches, later.shared_hits),
        (0, 0, 1),
        "{later:?}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);

    // Redis killed: the check goes on, downloading directly.
    redis.kill();
    let alone = report(spawn_child(&id, &redis.url()).wait_with_output().unwrap());
    assert_eq!(
        (alone.ret, alone.fetches, alone.shared_hits),
        (0, 1, 0),
        "{alone:?}"
    );
    assert!(alone.errors >= 1, "{alone:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// PKCS#8 DER as PEM.
fn pem_of(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()))
}
