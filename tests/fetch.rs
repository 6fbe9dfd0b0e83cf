//! The blocking x5u fetcher (feature `fetch`) against a local server on 127.0.0.1: one
//! test per ATIS rule, then a verifier that fetches, caches and reuses a chain.
//!
//! Every server here listens on 127.0.0.1 only, serves a bounded number of bytes, and stops
//! by itself (on drop, or after `SERVER_LIFETIME`). No test names any address but
//! 127.0.0.1 / localhost in a URL it fetches; the rules that refuse other addresses are
//! checked by `Fetcher::check_url`, which does no I/O, and by the unit tests of the
//! address classifier in `src/fetch.rs`.
#![cfg(feature = "fetch")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, TrustStore};
use cliauth::fetch::{FetchConfig, Fetcher};
use cliauth::{Attest, Call, Error, Signer, SigningKey, Verifier, VerifierConfig};

const NOW: i64 = 1_800_000_000;
const PEM_CHAIN: &str = "application/pem-certificate-chain";
/// No server lives longer than this, whatever its test does.
const SERVER_LIFETIME: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// The TLS identity of the test server: a CA (given to the fetcher as an extra root) and a
// server certificate for 127.0.0.1 and localhost.

struct TlsIdentity {
    ca_der: Vec<u8>,
    server: Arc<rustls::ServerConfig>,
}

fn tls() -> &'static TlsIdentity {
    static TLS: OnceLock<TlsIdentity> = OnceLock::new();
    TLS.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(DnType::CommonName, "cliauth fetch test TLS CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();

        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "cliauth fetch test server");
        let leaf_cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        TlsIdentity {
            ca_der: ca_cert.der().to_vec(),
            server: Arc::new(server),
        }
    })
}

// ---------------------------------------------------------------------------------------
// The test server

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stall {
    /// Read the request, then say nothing.
    BeforeHeaders,
    /// Send the headers and part of the body, then say nothing.
    MidBody,
}

/// What the server answers to every request.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    cache_control: Option<String>,
    location: Option<String>,
    body: Vec<u8>,
    /// Send a Content-Length header (else the body ends when the connection closes).
    content_length: bool,
    stall: Option<(Stall, Duration)>,
}

impl Reply {
    fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            content_type: Some(PEM_CHAIN.to_owned()),
            cache_control: None,
            location: None,
            body: body.into(),
            content_length: true,
            stall: None,
        }
    }

    fn status(status: u16) -> Reply {
        Reply {
            status,
            ..Reply::ok("nothing here\n")
        }
    }
}

struct Server {
    port: u16,
    /// TCP connections accepted.
    accepted: Arc<AtomicUsize>,
    /// Requests read completely.
    requests: Arc<AtomicUsize>,
    /// The request lines seen.
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn https(reply: Reply) -> Server {
        Server::start(reply, true)
    }

    fn http(reply: Reply) -> Server {
        Server::start(reply, false)
    }

    fn start(reply: Reply, tls: bool) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (accepted, requests, seen, stop) = (
                Arc::clone(&accepted),
                Arc::clone(&requests),
                Arc::clone(&seen),
                Arc::clone(&stop),
            );
            let config = tls.then(|| Arc::clone(&self::tls().server));
            std::thread::spawn(move || {
                let born = Instant::now();
                while !stop.load(Ordering::SeqCst) && born.elapsed() < SERVER_LIFETIME {
                    match listener.accept() {
                        Ok((sock, _)) => {
                            accepted.fetch_add(1, Ordering::SeqCst);
                            serve(sock, config.clone(), &reply, &stop, (&requests, &seen));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Server {
            port,
            accepted,
            requests,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
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

/// Sleeps for `d`, or less if the server is stopped.
fn nap(d: Duration, stop: &AtomicBool) {
    let until = Instant::now() + d;
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Where a server counts the requests it read and keeps their request lines.
type Log<'a> = (&'a AtomicUsize, &'a Mutex<Vec<String>>);

/// Serves one connection (one request). The request is logged as soon as it has been
/// read, before the reply goes out, so a client that got its answer always finds it in
/// the log.
fn serve(
    sock: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    reply: &Reply,
    stop: &AtomicBool,
    log: Log<'_>,
) -> Option<()> {
    sock.set_nonblocking(false).ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    sock.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    match tls {
        Some(config) => {
            let conn = rustls::ServerConnection::new(config).ok()?;
            let mut s = rustls::StreamOwned::new(conn, sock);
            let done = exchange(&mut s, reply, stop, log);
            s.conn.send_close_notify();
            let _ = s.flush();
            done
        }
        None => {
            let mut s = sock;
            exchange(&mut s, reply, stop, log)
        }
    }
}

fn exchange(
    s: &mut impl ReadWrite,
    reply: &Reply,
    stop: &AtomicBool,
    (requests, seen): Log<'_>,
) -> Option<()> {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).ok()?;
        if n == 0 || req.len() > 16 * 1024 {
            return None;
        }
        req.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&req)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    seen.lock().unwrap().push(line);
    requests.fetch_add(1, Ordering::SeqCst);
    if let Some((Stall::BeforeHeaders, d)) = reply.stall {
        nap(d, stop);
        return Some(());
    }
    let mut head = format!("HTTP/1.1 {} Test\r\nConnection: close\r\n", reply.status);
    if let Some(ct) = &reply.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if let Some(cc) = &reply.cache_control {
        head.push_str(&format!("Cache-Control: {cc}\r\n"));
    }
    if let Some(loc) = &reply.location {
        head.push_str(&format!("Location: {loc}\r\n"));
    }
    if reply.content_length {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    head.push_str("\r\n");
    if s.write_all(head.as_bytes()).is_err() {
        return Some(());
    }
    if let Some((Stall::MidBody, d)) = reply.stall {
        let _ = s.write_all(&reply.body[..reply.body.len().min(10)]);
        let _ = s.flush();
        nap(d, stop);
        return Some(());
    }
    for chunk in reply.body.chunks(16 * 1024) {
        if stop.load(Ordering::SeqCst) || s.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = s.flush();
    Some(())
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

// ---------------------------------------------------------------------------------------
// Helpers

/// A fetcher for the local server: its CA trusted, its port allowed, loopback admitted.
fn local_fetcher(server: &Server) -> Fetcher {
    Fetcher::new(local_config(server))
}

fn local_config(server: &Server) -> FetchConfig {
    FetchConfig {
        allow_http_loopback: true,
        allowed_ports: vec![server.port],
        extra_roots: vec![tls().ca_der.clone()],
        ..FetchConfig::default()
    }
}

/// The detail of a refusal (every refusal is BadInfo, SIP 436).
fn refusal(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(e @ Error::BadInfo(_)) => {
            assert_eq!(e.sip_code(), 436);
            let Error::BadInfo(d) = e else { unreachable!() };
            d
        }
        other => panic!("expected a BadInfo refusal, got {other:?}"),
    }
}

fn chain_body() -> Vec<u8> {
    b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec()
}

// ---------------------------------------------------------------------------------------
// One test per rule

#[test]
fn good_fetch_returns_body_and_cache_control() {
    let body = chain_body();
    let server = Server::https(Reply {
        cache_control: Some("public, max-age=600".into()),
        ..Reply::ok(body.clone())
    });
    let got = local_fetcher(&server)
        .fetch(&server.url("https", "/sti/sp.pem"))
        .unwrap();
    assert_eq!(got.body, body);
    assert_eq!(got.cache_control.as_deref(), Some("public, max-age=600"));
    assert_eq!(server.requests(), 1);
    assert_eq!(
        server.seen.lock().unwrap().as_slice(),
        ["GET /sti/sp.pem HTTP/1.1"]
    );

    let plain = Server::https(Reply::ok(body.clone()));
    let got = local_fetcher(&plain)
        .fetch(&plain.url("https", "/x.pem"))
        .unwrap();
    assert_eq!(got.cache_control, None);
}

#[test]
fn http_is_refused_without_connecting() {
    let server = Server::http(Reply::ok(chain_body()));
    let f = Fetcher::new(FetchConfig {
        allowed_ports: vec![server.port],
        ..FetchConfig::default()
    });
    let d = refusal(f.fetch(&server.url("http", "/sp.pem")));
    assert!(d.contains("scheme http is not allowed (https only)"), "{d}");
    assert!(refusal(f.check_url("http://cert.example.net/sp.pem")).contains("https only"));
    assert_eq!(server.accepted(), 0);

    // allow_http_loopback admits http, to a loopback peer only.
    let got = local_fetcher(&server)
        .fetch(&server.url("http", "/sp.pem"))
        .unwrap();
    assert_eq!(got.body, chain_body());
    let d = refusal(local_fetcher(&server).check_url("http://8.8.8.8/sp.pem"));
    assert!(d.contains("http is allowed only to a loopback host"), "{d}");
}

#[test]
fn port_outside_the_list_is_refused_without_connecting() {
    let server = Server::https(Reply::ok(chain_body()));
    let f = Fetcher::new(FetchConfig {
        extra_roots: vec![tls().ca_der.clone()],
        ..FetchConfig::default()
    });
    let d = refusal(f.fetch(&server.url("https", "/sp.pem")));
    assert!(
        d.contains(&format!(
            "port {} is not allowed (allowed: 443, 8443)",
            server.port
        )),
        "{d}"
    );
    let d = refusal(f.fetch(&format!("https://localhost:{}/sp.pem", server.port)));
    assert!(d.contains("is not allowed"), "{d}");
    assert_eq!(server.accepted(), 0);
    for url in [
        "https://cert.example.net:8080/sp.pem",
        "https://cert.example.net:80/sp.pem",
    ] {
        assert!(refusal(f.check_url(url)).contains("is not allowed"));
    }
    assert!(f.check_url("https://cert.example.net:8443/sp.pem").is_ok());
}

#[test]
fn userinfo_query_and_fragment_are_refused_without_connecting() {
    let server = Server::https(Reply::ok(chain_body()));
    let f = local_fetcher(&server);
    let p = server.port;
    for (url, rule) in [
        (format!("https://user@127.0.0.1:{p}/sp.pem"), "has userinfo"),
        (format!("https://u:pw@127.0.0.1:{p}/sp.pem"), "has userinfo"),
        (format!("https://127.0.0.1:{p}/sp.pem?v=1"), "has a query"),
        (format!("https://127.0.0.1:{p}/sp.pem?"), "has a query"),
        (
            format!("https://127.0.0.1:{p}/sp.pem#frag"),
            "has a fragment",
        ),
    ] {
        let d = refusal(f.fetch(&url));
        assert!(d.contains(rule), "{url}: {d}");
    }
    let long = format!(
        "https://127.0.0.1:{p}/{}",
        "a".repeat(cliauth::limits::MAX_URL_LEN)
    );
    assert!(refusal(f.fetch(&long)).contains("bytes long"));
    assert_eq!(server.accepted(), 0);
}

#[test]
fn redirect_is_refused_and_not_followed() {
    let server = Server::https(Reply {
        location: Some("https://127.0.0.1:1/elsewhere.pem".into()),
        ..Reply::status(302)
    });
    let d = refusal(local_fetcher(&server).fetch(&server.url("https", "/sp.pem")));
    assert!(
        d.contains("redirect (HTTP status 302) to https://127.0.0.1:1/elsewhere.pem refused"),
        "{d}"
    );
    assert_eq!(server.requests(), 1);

    let server = Server::https(Reply {
        location: Some("/other.pem".into()),
        ..Reply::status(301)
    });
    let d = refusal(local_fetcher(&server).fetch(&server.url("https", "/sp.pem")));
    assert!(d.contains("redirect (HTTP status 301)"), "{d}");
    assert_eq!(server.requests(), 1);
}

#[test]
fn status_other_than_200_is_refused() {
    for status in [404, 500, 203, 206] {
        let server = Server::https(Reply::status(status));
        let d = refusal(local_fetcher(&server).fetch(&server.url("https", "/sp.pem")));
        assert!(
            d.contains(&format!("HTTP status {status}, expected 200")),
            "{status}: {d}"
        );
    }
}

#[test]
fn content_type_must_be_pem_certificate_chain() {
    for ct in [Some("text/plain"), Some("application/x-pem-file"), None] {
        let server = Server::https(Reply {
            content_type: ct.map(str::to_owned),
            ..Reply::ok(chain_body())
        });
        let d = refusal(local_fetcher(&server).fetch(&server.url("https", "/sp.pem")));
        assert!(
            d.contains("expected application/pem-certificate-chain"),
            "{ct:?}: {d}"
        );
    }
    for ct in [
        "application/pem-certificate-chain; charset=utf-8",
        "Application/PEM-Certificate-Chain",
    ] {
        let server = Server::https(Reply {
            content_type: Some(ct.into()),
            ..Reply::ok(chain_body())
        });
        assert!(
            local_fetcher(&server)
                .fetch(&server.url("https", "/sp.pem"))
                .is_ok(),
            "{ct}"
        );
    }
    // The rule can be switched off.
    let server = Server::https(Reply {
        content_type: Some("text/plain".into()),
        ..Reply::ok(chain_body())
    });
    let f = Fetcher::new(FetchConfig {
        require_content_type: false,
        ..local_config(&server)
    });
    assert!(f.fetch(&server.url("https", "/sp.pem")).is_ok());
}

#[test]
fn body_over_the_limit_is_refused_while_reading() {
    // Announced: refused on the Content-Length.
    let server = Server::https(Reply::ok(vec![b'A'; 70 * 1024]));
    let d = refusal(local_fetcher(&server).fetch(&server.url("https", "/sp.pem")));
    assert!(
        d.contains("Content-Length 71680 exceeds the limit of 65536 bytes"),
        "{d}"
    );

    // Not announced: the server would send 8 MiB; reading stops past the limit.
    let server = Server::https(Reply {
        content_length: false,
        ..Reply::ok(vec![b'A'; 8 * 1024 * 1024])
    });
    let f = Fetcher::new(FetchConfig {
        max_body: 1000,
        ..local_config(&server)
    });
    let t = Instant::now();
    let d = refusal(f.fetch(&server.url("https", "/sp.pem")));
    assert!(
        d.contains("the body exceeds the limit of 1000 bytes"),
        "{d}"
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());

    // Exactly at the limit is fine.
    let server = Server::https(Reply {
        content_length: false,
        ..Reply::ok(vec![b'A'; 1000])
    });
    let f = Fetcher::new(FetchConfig {
        max_body: 1000,
        ..local_config(&server)
    });
    assert_eq!(
        f.fetch(&server.url("https", "/sp.pem")).unwrap().body.len(),
        1000
    );
}

#[test]
fn a_stalled_server_times_out() {
    for stall in [Stall::BeforeHeaders, Stall::MidBody] {
        let server = Server::https(Reply {
            stall: Some((stall, Duration::from_secs(4))),
            ..Reply::ok(vec![b'A'; 1000])
        });
        let f = Fetcher::new(FetchConfig {
            timeout: Duration::from_millis(500),
            ..local_config(&server)
        });
        let t = Instant::now();
        let d = refusal(f.fetch(&server.url("https", "/sp.pem")));
        assert!(d.contains("timed out after 500 ms"), "{stall:?}: {d}");
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(2),
            "{stall:?}: {took:?}"
        );
    }
}

#[test]
fn loopback_peer_is_refused_by_default_without_connecting() {
    let server = Server::https(Reply::ok(chain_body()));
    let f = Fetcher::new(FetchConfig {
        allowed_ports: vec![server.port],
        extra_roots: vec![tls().ca_der.clone()],
        ..FetchConfig::default()
    });
    let d = refusal(f.fetch(&server.url("https", "/sp.pem")));
    assert!(
        d.contains("127.0.0.1, a loopback (127.0.0.0/8) address"),
        "{d}"
    );
    // A name resolving to a loopback address: refused after the (local) lookup.
    let d = refusal(f.fetch(&format!("https://localhost:{}/sp.pem", server.port)));
    assert!(d.contains("localhost resolves to"), "{d}");
    assert!(d.contains("loopback"), "{d}");
    assert_eq!(server.accepted(), 0);

    // Other non-public literals are refused without any I/O.
    for (url, class) in [
        ("https://10.0.0.1/sp.pem", "private"),
        ("https://169.254.169.254/sp.pem", "link-local"),
        ("https://100.64.0.1/sp.pem", "CGNAT"),
        ("https://0.0.0.0/sp.pem", "unspecified"),
        ("https://224.0.0.1/sp.pem", "multicast"),
        ("https://[fd00::1]/sp.pem", "unique-local"),
        ("https://[::ffff:10.0.0.1]/sp.pem", "IPv4-mapped"),
        ("https://[fe80::1]/sp.pem", "link-local"),
    ] {
        let d = refusal(Fetcher::new(FetchConfig::default()).check_url(url));
        assert!(d.contains(class), "{url}: {d}");
    }
    // allow_http_loopback admits loopback, and nothing else private.
    let lo = local_fetcher(&server);
    let d = refusal(lo.check_url(&format!("https://10.0.0.1:{}/sp.pem", server.port)));
    assert!(d.contains("private"), "{d}");
    assert!(lo.fetch(&server.url("https", "/sp.pem")).is_ok());
    assert!(
        lo.fetch(&format!("https://localhost:{}/sp.pem", server.port))
            .is_ok()
    );
}

#[test]
fn tls_certificate_must_chain_to_a_trusted_root() {
    let server = Server::https(Reply::ok(chain_body()));
    let f = Fetcher::new(FetchConfig {
        extra_roots: Vec::new(),
        ..local_config(&server)
    });
    let d = refusal(f.fetch(&server.url("https", "/sp.pem")));
    assert!(d.contains("invalid peer certificate: UnknownIssuer"), "{d}");
    assert_eq!(server.requests(), 0);
}

// ---------------------------------------------------------------------------------------
// End to end: a verifier that fetches on a store miss

struct Sti {
    pki: TestPki,
}

impl Sti {
    fn new(name: &str) -> Sti {
        Sti {
            pki: TestPki::generate(&TestPkiOptions {
                name: name.to_owned(),
                ..TestPkiOptions::default()
            })
            .unwrap(),
        }
    }

    fn store(&self) -> Arc<CertStore> {
        let mut t = TrustStore::new();
        t.add_anchors(self.pki.root_pem.as_bytes()).unwrap();
        Arc::new(CertStore::new(t))
    }

    fn identity(&self, x5u: &str) -> String {
        Signer::new(
            SigningKey::from_pem_or_der(self.pki.ee_key_pem.as_bytes()).unwrap(),
            x5u,
        )
        .unwrap()
        .sign_shaken("12155551212", &["12155550100"], Attest::A, None, NOW)
        .unwrap()
        .identity()
    }
}

#[test]
fn verifier_fetches_on_a_miss_then_uses_the_cache() {
    let sti = Sti::new("cliauth fetch test");
    let server = Server::https(Reply::ok(sti.pki.chain_pem.clone()));
    let x5u = server.url("https", "/sti/sp.pem");
    let store = sti.store();
    let v = Verifier::with_store(Arc::clone(&store)).with_fetcher(local_fetcher(&server));
    assert!(v.has_fetcher());
    let id = sti.identity(&x5u);
    let call = Call::new("12155551212", "12155550100");

    let verdict = v.verify_identity(&id, &call, NOW).unwrap();
    assert_eq!(verdict.spc(), Some("1234"));
    assert_eq!(verdict.attest(), Some(Attest::A));
    assert_eq!(server.requests(), 1);
    assert!(store.get(&x5u, NOW).is_some());

    // The second verification is served from the store: no request.
    let verdict = v.verify_identity(&id, &call, NOW + 30).unwrap();
    assert_eq!(verdict.spc(), Some("1234"));
    assert_eq!(server.requests(), 1);

    // Without a fetcher, a miss is still CertificateNeeded.
    let bare = Verifier::with_store(sti.store());
    assert!(!bare.has_fetcher());
    assert_eq!(
        bare.verify_identity(&id, &call, NOW).unwrap_err(),
        Error::CertificateNeeded { url: x5u.clone() }
    );
}

#[test]
fn verifier_honours_cache_control() {
    let sti = Sti::new("cliauth fetch test");
    let server = Server::https(Reply {
        cache_control: Some("no-store".into()),
        ..Reply::ok(sti.pki.chain_pem.clone())
    });
    let x5u = server.url("https", "/sp.pem");
    let v = Verifier::with_store(sti.store()).with_fetcher(local_fetcher(&server));
    let id = sti.identity(&x5u);
    // no-store: kept for the 60 s floor all the same, so fetched once per floor lifetime.
    for t in [0, 1, 30, 59] {
        v.verify_identity(&id, &Call::default(), NOW + t).unwrap();
    }
    assert_eq!(server.requests(), 1);
    // Past the floor the entry is stale: still served, and refreshed once in the
    // background.
    let lenient = VerifierConfig {
        max_age: 3600,
        ..VerifierConfig::default()
    };
    let v = v.with_config(lenient.clone());
    v.verify_identity(&id, &Call::default(), NOW + 61).unwrap();
    v.verify_identity(&id, &Call::default(), NOW + 62).unwrap();
    wait_for(|| server.requests() == 2);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.requests(), 2);

    let server = Server::https(Reply {
        cache_control: Some("max-age=600".into()),
        ..Reply::ok(sti.pki.chain_pem.clone())
    });
    let x5u = server.url("https", "/sp.pem");
    let v = Verifier::with_store(sti.store())
        .with_fetcher(local_fetcher(&server))
        .with_config(lenient);
    let id = sti.identity(&x5u);
    v.verify_identity(&id, &Call::default(), NOW).unwrap();
    v.verify_identity(&id, &Call::default(), NOW + 599).unwrap();
    assert_eq!(server.requests(), 1);
    // Expired: served stale while one refresh runs.
    v.verify_identity(&id, &Call::default(), NOW + 601).unwrap();
    wait_for(|| server.requests() == 2);
}

/// Waits up to 5 s for `cond`.
fn wait_for(cond: impl Fn() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "condition not met in 5 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn verifier_reports_fetch_and_validation_failures() {
    let sti = Sti::new("cliauth fetch test");
    let server = Server::https(Reply::status(404));
    let x5u = server.url("https", "/sp.pem");
    let v = Verifier::with_store(sti.store()).with_fetcher(local_fetcher(&server));
    let err = v
        .verify_identity(&sti.identity(&x5u), &Call::default(), NOW)
        .unwrap_err();
    assert_eq!((err.sip_code(), err.kind()), (436, "bad_info"));
    assert!(err.to_string().contains("HTTP status 404"), "{err}");

    // A chain from another PKI does not validate: 437, and nothing is stored.
    let other = Sti::new("other PKI");
    let server = Server::https(Reply::ok(other.pki.chain_pem.clone()));
    let x5u = server.url("https", "/sp.pem");
    let store = sti.store();
    let v = Verifier::with_store(Arc::clone(&store)).with_fetcher(local_fetcher(&server));
    let err = v
        .verify_identity(&sti.identity(&x5u), &Call::default(), NOW)
        .unwrap_err();
    assert_eq!((err.sip_code(), err.kind()), (437, "cert_untrusted"));
    assert!(store.is_empty());
}

// ---------------------------------------------------------------------------------------
// Deadlines and the call-path budget against hostile servers

/// A TLS server that sends its handshake one byte every `drip` (a real rustls handshake,
/// trickled), or, with `silent`, accepts the connection and never says anything.
struct Trickle {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Trickle {
    fn start(drip: Duration, silent: bool) -> Trickle {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (acc, st) = (Arc::clone(&accepted), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let born = Instant::now();
            let mut conns = Vec::new();
            while !st.load(Ordering::SeqCst) && born.elapsed() < SERVER_LIFETIME {
                if let Ok((sock, _)) = listener.accept() {
                    acc.fetch_add(1, Ordering::SeqCst);
                    sock.set_nonblocking(true).unwrap();
                    let conn = rustls::ServerConnection::new(Arc::clone(&tls().server)).unwrap();
                    conns.push((sock, conn, Vec::<u8>::new()));
                }
                for (sock, conn, pending) in conns.iter_mut() {
                    if silent {
                        continue;
                    }
                    // Take in whatever the client sent, queue our handshake bytes...
                    let _ = conn.read_tls(sock);
                    let _ = conn.process_new_packets();
                    while conn.wants_write() {
                        if conn.write_tls(pending).is_err() {
                            break;
                        }
                    }
                    // ...and send one of them.
                    if !pending.is_empty() && sock.write(&pending[..1]).unwrap_or(0) == 1 {
                        pending.remove(0);
                    }
                }
                nap(drip, &st);
            }
        });
        Trickle {
            port,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/sp.pem", self.port)
    }

    fn config(&self, timeout: Duration) -> FetchConfig {
        FetchConfig {
            allow_http_loopback: true,
            allowed_ports: vec![self.port],
            extra_roots: vec![tls().ca_der.clone()],
            timeout,
            ..FetchConfig::default()
        }
    }
}

impl Drop for Trickle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_tls_handshake_trickled_byte_by_byte_ends_at_the_deadline() {
    // One byte every 100 ms: each read completes well within any per-read timeout, so
    // only a deadline over the whole handshake stops it.
    let server = Trickle::start(Duration::from_millis(100), false);
    let f = Fetcher::new(server.config(Duration::from_millis(1500)));
    let t = Instant::now();
    let d = refusal(f.fetch(&server.url()));
    let took = t.elapsed();
    assert!(d.contains("timed out after 1500 ms"), "{d}");
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_millis(2500),
        "{took:?}"
    );
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    // The same through the trait, with a shorter deadline than the configured one.
    let t = Instant::now();
    let e =
        cliauth::fetch::Fetch::fetch(&f, &server.url(), Duration::from_millis(400)).unwrap_err();
    assert_eq!(e.kind, cliauth::fetch::FetchErrorKind::TimedOut);
    assert!(e.detail.contains("timed out after 400 ms"), "{}", e.detail);
    assert!(
        t.elapsed() < Duration::from_millis(1200),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn a_server_that_never_answers_ends_at_the_deadline() {
    let server = Trickle::start(Duration::from_millis(20), true);
    let f = Fetcher::new(server.config(Duration::from_millis(500)));
    let t = Instant::now();
    let d = refusal(f.fetch(&server.url()));
    assert!(d.contains("timed out after 500 ms"), "{d}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn the_call_path_waits_only_its_budget_and_failures_are_remembered() {
    let sti = Sti::new("cliauth fetch test");
    let server = Trickle::start(Duration::from_millis(100), false);
    let v = Verifier::with_store(sti.store())
        .with_fetcher(Fetcher::new(server.config(Duration::from_millis(800))))
        .with_config(VerifierConfig {
            fetch_budget: Duration::from_millis(100),
            on_budget: cliauth::BudgetOutcome::NoTnValidation,
            ..VerifierConfig::default()
        });
    let id = sti.identity(&server.url());
    let call = Call::new("12155551212", "12155550100");
    // Eight concurrent calls: each waits about the budget; one connection between them.
    let waits: Vec<(Duration, Error)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    let t = Instant::now();
                    let e = v.verify_identity(&id, &call, NOW).unwrap_err();
                    (t.elapsed(), e)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (took, e) in &waits {
        assert!(*took < Duration::from_millis(400), "{took:?}");
        assert_eq!(e.kind(), "certificate_pending", "{e}");
        assert_eq!(
            (e.sip_code(), e.verstat().as_str()),
            (436, "No-TN-Validation")
        );
    }
    // The fetch goes on in the background and times out at its deadline.
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    // Remembered: the next calls fail at once, without a connection.
    let t = Instant::now();
    let e = v.verify_identity(&id, &call, NOW + 1).unwrap_err();
    assert!(t.elapsed() < Duration::from_millis(50), "{:?}", t.elapsed());
    assert_eq!(e.kind(), "bad_info");
    assert!(e.to_string().contains("timed out after 800 ms"), "{e}");
    // After the back-off (30 s) one new attempt.
    let _ = v.verify_identity(&id, &call, NOW + 31);
    wait_for(|| server.accepted.load(Ordering::SeqCst) == 2);
}
