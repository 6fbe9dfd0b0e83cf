//! `cert::parse_chain` (PEM bundle or concatenated DER) on arbitrary bytes, every accessor
//! and the profile checker on each certificate, and chain validation against the fixed
//! trust anchor in `fuzz/certs/` (with and without its CRLs).
//!
//! Invariants:
//! * an accepted chain has 1..=`MAX_CHAIN_CERTS` certificates; `Credential::validate`
//!   fails whenever `parse_chain` does, and otherwise agrees with `TrustStore::validate`
//!   on the parsed certificates (same key, same expiry; faults = `check_profile()` of the
//!   end entity);
//! * each certificate re-parses from its own DER to the same fingerprint; `sha256_hex` is
//!   the hex of `sha256`; `role` follows `is_ca`/`is_self_issued`; `extension(oid)` finds
//!   the first extension with that OID; `crl_urls` are the distribution points' URLs;
//! * a well-formed TNAuthList re-encodes to an equal list, and `spc`/`tn_entries`/`covers`
//!   agree with it; without one, `spc` is `None`, `tn_entries` empty and `covers` `No`;
//!   well-formed claim constraints re-encode to an equal value; `check_claims` fails when
//!   a constraints extension is malformed;
//! * a validated path's key is the end entity's public key, its expiry is at most the end
//!   entity's notAfter, and the end entity is valid at the validation time;
//! * validation at any time (also far outside `i64`'s useful range) returns.
#![no_main]

use cliauth::cert::sticert::CertRole;
use cliauth::cert::tnauthlist::OID_TN_AUTH_LIST;
use cliauth::cert::{
    ClaimConstraints, Coverage, Credential, StiCert, TnAuthList, TnEntry, TrustStore, parse_chain,
};
use cliauth::limits::MAX_CHAIN_CERTS;
use cliauth_fuzz::{CERT_NOW, trust, trust_with_crls};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fn check_constraints(c: Option<Result<&ClaimConstraints, &cliauth::cert::CertError>>) {
    if let Some(Ok(c)) = c {
        let der = c.to_der().expect("parsed constraints encode");
        let back = ClaimConstraints::from_der(c.kind(), &der).expect("re-encoding parses");
        assert_eq!(&back, c);
    }
}

fn exercise(cert: &StiCert) {
    let der = cert.der();
    let again = StiCert::from_der(der).expect("a certificate re-parses from its DER");
    assert_eq!(again.sha256(), cert.sha256());
    let hex: String = cert.sha256().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(cert.sha256_hex(), hex);

    // Only versions 1, 2 and 3 parse (regression test `sticert_accepts_unknown_x509_version`);
    // the profile checker reports anything but 3.
    assert!(
        (1..=3).contains(&cert.version()),
        "version {}",
        cert.version()
    );
    if cert.version() != 3 {
        assert!(cert.check_profile().iter().any(|f| f.id() == "not_v3"));
    }
    let _ = (
        cert.serial(),
        cert.serial_hex(),
        cert.subject(),
        cert.issuer(),
    );
    let _ = cert.subject_common_names();
    let role = cert.role();
    match (cert.is_ca(), cert.is_self_issued()) {
        (false, _) => assert_eq!(role, CertRole::EndEntity),
        (true, false) => assert_eq!(role, CertRole::Intermediate),
        (true, true) => assert_eq!(role, CertRole::Root),
    }
    assert_eq!(
        cert.is_valid_at(cert.not_before()),
        cert.not_before() <= cert.not_after()
    );
    assert!(
        !cert.is_valid_at(cert.not_before().saturating_sub(1)) || cert.not_before() == i64::MIN
    );
    let _ = (cert.public_key(), cert.signature_algorithm().oid());
    let tbs = cert.tbs_der();
    let sig = cert.signature_value();
    assert!(tbs.len() + sig.len() < der.len());
    for (i, e) in cert.extensions().iter().enumerate() {
        let first = cert
            .extension(&e.oid)
            .expect("an extension is found by its OID");
        let at = cert
            .extensions()
            .iter()
            .position(|x| x.oid == e.oid)
            .unwrap();
        assert!(at <= i);
        assert_eq!(first, &cert.extensions()[at]);
    }
    let _ = (cert.basic_constraints(), cert.key_usage());
    let _ = (cert.subject_key_id(), cert.authority_key_id());
    let _ = cert.policy_oids();
    let urls: usize = cert
        .crl_distribution_points()
        .iter()
        .map(|p| p.urls.len())
        .sum();
    assert_eq!(cert.crl_urls().len(), urls);
    let _ = (cert.malformed_extensions(), cert.duplicate_extensions());

    // TNAuthList.
    match cert.tn_auth_list() {
        Some(Ok(list)) => {
            assert!(cert.extension(OID_TN_AUTH_LIST).is_some());
            let der = list.to_der().expect("a parsed TNAuthList encodes");
            assert_eq!(TnAuthList::from_der(&der).as_ref(), Ok(list));
            assert_eq!(cert.spc(), list.spc());
            let entries: Vec<&TnEntry> = list.tn_entries().collect();
            assert_eq!(cert.tn_entries(), entries);
            for e in entries {
                if let TnEntry::One(tn) = e {
                    assert_eq!(cert.covers(tn), Coverage::Tn);
                }
            }
            for probe in ["12155551212", "1234", "*"] {
                assert_eq!(cert.covers(probe), list.covers(probe));
            }
        }
        other => {
            if other.is_none() {
                assert!(cert.extension(OID_TN_AUTH_LIST).is_none());
            }
            assert_eq!(cert.spc(), None);
            assert!(cert.tn_entries().is_empty());
            assert_eq!(cert.covers("12155551212"), Coverage::No);
        }
    }

    // Claim constraints.
    check_constraints(cert.jwt_claim_constraints());
    check_constraints(cert.enhanced_jwt_claim_constraints());
    let claims = json!({"iat": 1, "orig": {"tn": "12155551212"}, "dest": {"tn": ["12155551213"]}});
    let checked = cert.check_claims(&claims);
    let malformed = [
        cert.jwt_claim_constraints(),
        cert.enhanced_jwt_claim_constraints(),
    ]
    .into_iter()
    .flatten()
    .find_map(Result::err);
    if let Some(e) = malformed {
        // The first malformed extension is reported (unless a well-formed one before it
        // already failed).
        assert!(checked.is_err(), "malformed constraints ignored: {e}");
    }
    let _ = cert.check_claims(&json!(null));

    // Profile.
    for f in cert.check_profile() {
        assert!(!f.id().is_empty());
        assert!(!f.kind.description().is_empty());
        let _ = f.to_string();
    }
}

fn validate(store: &TrustStore, chain: &[StiCert], ders: &[&[u8]], now: i64) {
    match store.validate(ders, now) {
        Ok(path) => {
            let ee = &chain[0];
            assert_eq!(path.key().point(), ee.public_key().key.as_slice());
            assert!(path.not_after() <= ee.not_after());
            assert!(ee.is_valid_at(now), "validated outside the validity period");
        }
        Err(e) => {
            let _ = (e.kind(), e.sip_code(), e.reason(), e.to_string());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let parsed = parse_chain(data);
    let credential = Credential::validate(trust(), data, CERT_NOW);
    let chain = match parsed {
        Ok(chain) => chain,
        Err(e) => {
            assert!(
                credential.is_err(),
                "validated a chain that does not parse: {e}"
            );
            return;
        }
    };
    assert!(!chain.is_empty() && chain.len() <= MAX_CHAIN_CERTS);
    for cert in &chain {
        exercise(cert);
    }

    let ders: Vec<&[u8]> = chain.iter().map(StiCert::der).collect();
    let direct = trust().validate(&ders, CERT_NOW);
    match (&credential, &direct) {
        (Ok(c), Ok(p)) => {
            assert_eq!(c.key(), p.key());
            assert_eq!(c.not_after(), p.not_after());
            assert_eq!(c.not_before(), p.not_before());
            assert!(!c.chain().is_empty());
            assert_eq!(c.faults(), chain[0].check_profile().as_slice());
            assert_eq!(c.spc(), chain[0].spc());
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("Credential::validate {credential:?} but TrustStore::validate {direct:?}"),
    }
    validate(trust(), &chain, &ders, CERT_NOW);
    validate(trust_with_crls(), &chain, &ders, CERT_NOW);
    for now in [i64::MIN, -1, 0, i64::MAX] {
        validate(trust(), &chain, &ders, now);
    }
});
