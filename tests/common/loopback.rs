//! A loopback HTTPS test server for the fetch tests: listens on 127.0.0.1 only, answers
//! each path with a configurable reply (changeable while it runs), counts requests per
//! path, serves a bounded number of bytes per reply, and stops on drop or after
//! `SERVER_LIFETIME`. Its TLS certificate chains to a test CA that `ca_der` gives to the
//! fetcher as an extra root.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// No server lives longer than this, whatever its test does.
const SERVER_LIFETIME: Duration = Duration::from_secs(60);

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
            .push(DnType::CommonName, "cliauth loopback test TLS CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
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

/// The test CA's certificate (DER), to trust as an extra TLS root.
pub fn ca_der() -> Vec<u8> {
    tls().ca_der.clone()
}

/// What the server answers on a path.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    /// 200 with `content_type` and `body`.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            content_type: Some(content_type.to_owned()),
            body: body.into(),
        }
    }
}

type Routes = Arc<Mutex<HashMap<String, Reply>>>;

/// The server.
pub struct Server {
    pub port: u16,
    routes: Routes,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts an HTTPS server on 127.0.0.1 (any free port) with no routes (404).
    pub fn https() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Routes = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, hits, stop) = (Arc::clone(&routes), Arc::clone(&hits), Arc::clone(&stop));
            let config = Arc::clone(&tls().server);
            std::thread::spawn(move || {
                let born = Instant::now();
                while !stop.load(Ordering::SeqCst) && born.elapsed() < SERVER_LIFETIME {
                    match listener.accept() {
                        Ok((sock, _)) => {
                            let _ = serve(sock, Arc::clone(&config), &routes, &hits);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
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

    /// The https URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// Answers `path` with `reply` from now on.
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_owned(), reply);
    }

    /// How many requests for `path` were read.
    pub fn hits(&self, path: &str) -> usize {
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

fn serve(
    sock: TcpStream,
    config: Arc<rustls::ServerConfig>,
    routes: &Routes,
    hits: &Mutex<HashMap<String, usize>>,
) -> Option<()> {
    sock.set_nonblocking(false).ok()?;
    sock.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    sock.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    let conn = rustls::ServerConnection::new(config).ok()?;
    let mut s = rustls::StreamOwned::new(conn, sock);
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).ok()?;
        if n == 0 || req.len() > 16 * 1024 {
            return None;
        }
        req.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&req).lines().next()?.to_owned();
    let path = line.split(' ').nth(1)?.to_owned();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let reply = routes.lock().unwrap().get(&path).cloned().unwrap_or(Reply {
        status: 404,
        content_type: Some("text/plain".into()),
        body: b"not found\n".to_vec(),
    });
    let mut head = format!(
        "HTTP/1.1 {} Test\r\nConnection: close\r\nContent-Length: {}\r\n",
        reply.status,
        reply.body.len()
    );
    if let Some(ct) = &reply.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    for chunk in reply.body.chunks(16 * 1024) {
        if s.write_all(chunk).is_err() {
            break;
        }
    }
    s.conn.send_close_notify();
    let _ = s.flush();
    Some(())
}
