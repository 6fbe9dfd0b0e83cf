//! One signer and its test PKI, for the verdict-cache and shared-state tests
//! (tests/verdicts.rs, tests/redis_state.rs): SHAKEN tokens from `ORIG` to `DEST` for `URL`,
//! and empty certificate stores trusting the PKI's root.
#![allow(dead_code)]

use std::sync::Arc;

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, TrustStore};
use cliauth::{Attest, Call, Signer, SigningKey};

pub const URL: &str = "https://cert.example.net/sp.pem";
pub const ORIG: &str = "12155551212";
pub const DEST: &str = "12155550100";

/// A call from `ORIG` to `DEST` with the Call-ID `id`.
pub fn call(id: &str) -> Call<'_> {
    Call::new(ORIG, DEST).with_call_id(id)
}

pub struct World {
    pub pki: TestPki,
    pub signer: Signer,
}

impl World {
    /// A new PKI named `name` and a signer for `URL` with its end-entity key.
    pub fn new(name: &str) -> World {
        let pki = TestPki::generate(&TestPkiOptions {
            name: name.into(),
            ..TestPkiOptions::default()
        })
        .unwrap();
        let signer = Signer::new(
            SigningKey::from_pem_or_der(pki.ee_key_pem.as_bytes()).unwrap(),
            URL,
        )
        .unwrap();
        World { pki, signer }
    }

    /// An empty store trusting the PKI's root.
    pub fn empty_store(&self) -> Arc<CertStore> {
        let mut t = TrustStore::new();
        t.add_anchors(self.pki.root_pem.as_bytes()).unwrap();
        Arc::new(CertStore::new(t))
    }

    /// A SHAKEN Identity value from `ORIG` to `DEST` with `origid`, issued at `iat`.
    pub fn identity(&self, origid: &str, iat: i64) -> String {
        self.signer
            .sign_shaken(ORIG, &[DEST], Attest::A, Some(origid), iat)
            .unwrap()
            .identity()
    }
}
