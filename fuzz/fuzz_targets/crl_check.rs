//! `cert::crl::check_crl` (the check of a CRL fetched from a distribution point) on
//! arbitrary bytes, against the intermediate of the fixed chain in `fuzz/certs/` as the
//! expected issuer, then `TrustStore::replace_crls` with what it accepted.
//!
//! Invariants:
//! * a rejected input is a `Limit` or a certificate error (malformed, wrong issuer, bad
//!   signature, not yet valid, expired, issuer not a CRL signer) — never a panic;
//! * an accepted input returns a DER CRL whose issuer is the intermediate's subject and
//!   whose times bracket `CERT_NOW`; `replace_crls` accepts that DER, and the store then
//!   holds exactly one CRL of that issuer.
#![no_main]

use cliauth::Error;
use cliauth::cert::crl::check_crl;
use cliauth::cert::{StiCert, TrustStore, parse_chain};
use cliauth_fuzz::{ANCHOR_PEM, CERT_NOW, CHAIN_PEM};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn issuer() -> &'static StiCert {
    static ISSUER: OnceLock<StiCert> = OnceLock::new();
    ISSUER.get_or_init(|| {
        let chain = parse_chain(CHAIN_PEM).expect("fixed chain parses");
        chain.into_iter().nth(1).expect("fixed chain has an intermediate")
    })
}

fuzz_target!(|data: &[u8]| {
    let issuer = issuer();
    match check_crl(data, issuer.der(), CERT_NOW) {
        Ok((der, info)) => {
            assert_eq!(info.issuer, issuer.subject());
            assert!(info.this_update <= CERT_NOW);
            assert!(!info.expired_at(CERT_NOW));
            let mut t = TrustStore::new();
            t.add_anchors(ANCHOR_PEM).expect("fixed anchor loads");
            assert_eq!(t.replace_crls(&der), Ok(1));
            assert_eq!(t.replace_crls(&der), Ok(1));
            assert_eq!(t.crls().len(), 1);
        }
        Err(e) => assert!(
            matches!(e, Error::Limit { .. } | Error::Cert { .. }),
            "{e:?}"
        ),
    }
});
