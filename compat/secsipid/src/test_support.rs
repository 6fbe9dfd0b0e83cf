//! Shared helpers of the unit tests: a lock for tests that touch the process-wide
//! options, temporary directories, and a key/certificate fixture.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use cliauth::SigningKey;
use cliauth::cert::testpki::{TestPki, TestPkiOptions};

/// A `redis-server` on a free loopback port (the workspace's test helper).
#[path = "../../../tests/support/redis_server.rs"]
pub mod redis_server;

static LOCK: Mutex<()> = Mutex::new(());

/// Serialises the tests that read or write the options (and reset them).
pub fn lock() -> MutexGuard<'static, ()> {
    let g = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    crate::options::reset();
    g
}

/// A new empty directory under the system temporary directory.
pub fn tempdir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "cliauth-secsipid-{}-{name}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A test PKI written to files: the end-entity key (private and public), its
/// certificate chain, and an unrelated public key.
pub struct Fixture {
    /// The directory holding the files.
    pub dir: PathBuf,
    /// The end-entity private key, PKCS#8 PEM.
    pub prv_pem: String,
    /// The end-entity public key, SPKI PEM.
    pub pub_pem: String,
    paths: Vec<String>,
}

impl Fixture {
    /// A new fixture in a new directory.
    pub fn new() -> Fixture {
        Fixture::with(&TestPkiOptions::default())
    }

    /// A fixture from a PKI with `opts`.
    pub fn with(opts: &TestPkiOptions) -> Fixture {
        let dir = tempdir("fixture");
        let pki = TestPki::generate(opts).unwrap();
        let key = SigningKey::from_pem_or_der(pki.ee_key_pem.as_bytes()).unwrap();
        let pub_pem = key.verifying_key().to_pem().unwrap();
        let (other, _) = SigningKey::generate().unwrap();
        let files = [
            ("prv.pem", pki.ee_key_pem.clone()),
            ("pub.pem", pub_pem.clone()),
            ("chain.pem", pki.chain_pem.clone()),
            ("other-pub.pem", other.verifying_key().to_pem().unwrap()),
        ];
        let mut paths = Vec::new();
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            paths.push(p.to_str().unwrap().to_owned());
        }
        Fixture {
            dir,
            prv_pem: pki.ee_key_pem.clone(),
            pub_pem,
            paths,
        }
    }

    /// The signing key.
    pub fn key(&self) -> SigningKey {
        SigningKey::from_pem_or_der(self.prv_pem.as_bytes()).unwrap()
    }
    /// Path of the private key.
    pub fn prv_path(&self) -> &str {
        &self.paths[0]
    }
    /// Path of the public key.
    pub fn pub_path(&self) -> &str {
        &self.paths[1]
    }
    /// Path of the certificate chain (end entity, intermediate).
    pub fn cert_path(&self) -> &str {
        &self.paths[2]
    }
    /// Path of an unrelated public key.
    pub fn other_pub_path(&self) -> &str {
        &self.paths[3]
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
