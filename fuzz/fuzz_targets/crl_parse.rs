//! `TrustStore::add_crls` on arbitrary bytes (PEM `X509 CRL` blocks or one DER CRL), then
//! validation of the fixed chain in `fuzz/certs/` against the anchor and those CRLs.
//!
//! Invariants:
//! * an accepted input adds at least one CRL and is accepted again, with the same count,
//!   by a fresh store; a rejected input is a `Limit` or a malformed-certificate error;
//! * validating the fixed chain then returns: success (with the end entity's key) or a
//!   typed certificate error — never a panic, whatever the CRLs say;
//! * a rejected input adds nothing: the store validates the chain exactly as a store with
//!   the anchor alone does (regression test `trust_store_add_crls_is_not_atomic`).
#![no_main]

use cliauth::Error;
use std::sync::OnceLock;

use cliauth::cert::{StiCert, TrustStore, ValidPath, parse_chain};
use cliauth::error::{CertProblem, LimitKind};
use cliauth_fuzz::{ANCHOR_PEM, CERT_NOW, CHAIN_PEM, trust};
use libfuzzer_sys::fuzz_target;

fn store() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_anchors(ANCHOR_PEM).expect("fixed anchor loads");
    t
}

/// The fixed chain, and how the anchor alone validates it.
fn fixed() -> &'static (Vec<StiCert>, Result<ValidPath, Error>) {
    static FIXED: OnceLock<(Vec<StiCert>, Result<ValidPath, Error>)> = OnceLock::new();
    FIXED.get_or_init(|| {
        let chain = parse_chain(CHAIN_PEM).expect("fixed chain parses");
        let ders: Vec<&[u8]> = chain.iter().map(StiCert::der).collect();
        let plain = trust().validate(&ders, CERT_NOW);
        (chain, plain)
    })
}

fuzz_target!(|data: &[u8]| {
    let (chain, plain) = fixed();
    let ders: Vec<&[u8]> = chain.iter().map(StiCert::der).collect();

    let mut t = store();
    let added = t.add_crls(data);
    let result = t.validate(&ders, CERT_NOW);
    match &added {
        Ok(n) => {
            assert!(*n >= 1);
            assert_eq!(store().add_crls(data).as_ref(), Ok(n));
        }
        Err(e) => {
            assert!(
                matches!(
                    e,
                    Error::Limit {
                        what: LimitKind::Crl,
                        ..
                    } | Error::Cert {
                        problem: CertProblem::Malformed,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert_eq!(&result, plain, "a rejected CRL input changed the store");
        }
    }
    match result {
        Ok(path) => assert_eq!(path.key().point(), chain[0].public_key().key.as_slice()),
        Err(e) => assert!(matches!(e, Error::Cert { .. }), "{e:?}"),
    }
});
