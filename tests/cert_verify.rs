//! Verification with certificate chains: generated test PKIs for every failure mode, the
//! certificate store (miss → fetch → insert → hit, expiry, eviction, threads), number
//! authority from the TNAuthList, claim constraints, strict and lenient profile modes.

use std::sync::Arc;

use cliauth::cert::constraints::{ClaimConstraints, ConstraintsKind, PermittedValues};
use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, Credential, TrustStore};
use cliauth::verify::Authority;
use cliauth::{
    Attest, Call, Claims, Error, Party, Ppt, Signer, SigningKey, Verifier, VerifierConfig,
};

const NOW: i64 = 1_800_000_000;
const X5U: &str = "https://cert.example.net/sp.pem";

fn pki(opts: TestPkiOptions) -> TestPki {
    TestPki::generate(&opts).unwrap()
}

fn trust(pki: &TestPki) -> TrustStore {
    let mut t = TrustStore::new();
    assert_eq!(t.add_anchors(pki.root_pem.as_bytes()).unwrap(), 1);
    t
}

fn signer(pki: &TestPki) -> Signer {
    Signer::new(
        SigningKey::from_pem_or_der(pki.ee_key_pem.as_bytes()).unwrap(),
        X5U,
    )
    .unwrap()
}

fn identity(pki: &TestPki, orig: &str, attest: Attest) -> String {
    signer(pki)
        .sign_shaken(orig, &["12155550100"], attest, None, NOW)
        .unwrap()
        .identity()
}

/// Validates the PKI's chain against `trust` at NOW and returns the error kind.
fn chain_error(trust: &TrustStore, chain: &str) -> Error {
    Credential::validate(trust, chain.as_bytes(), NOW).unwrap_err()
}

fn verify_with_chain(
    pki: &TestPki,
    id: &str,
    config: VerifierConfig,
) -> Result<cliauth::Verdict, Error> {
    let cred = Credential::validate(&trust(pki), pki.chain_pem.as_bytes(), NOW)?;
    Verifier::with_credential(cred)
        .with_config(config)
        .verify_identity(id, &Call::default(), NOW)
}

#[test]
fn correct_chain_verifies_with_spc_authority() {
    let p = pki(TestPkiOptions::default());
    let id = identity(&p, "12155551212", Attest::A);
    let v = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap();
    assert_eq!(v.authority(), &Authority::Spc("1234".into()));
    assert_eq!(v.spc(), Some("1234"));
    assert_eq!(v.attest(), Some(Attest::A));
}

#[test]
fn expired_and_not_yet_valid_certificates() {
    let expired = pki(TestPkiOptions {
        ee_validity: Some((NOW - 1000, NOW - 10)),
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&expired), &expired.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_expired", 437));

    let future = pki(TestPkiOptions {
        ee_validity: Some((NOW + 100, NOW + 1000)),
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&future), &future.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_not_yet_valid", 437));
}

#[test]
fn wrong_root_is_untrusted() {
    let a = pki(TestPkiOptions::default());
    let b = pki(TestPkiOptions {
        name: "other".into(),
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&b), &a.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_untrusted", 437));
    let e = chain_error(&TrustStore::new(), &a.chain_pem);
    assert_eq!(e.kind(), "cert_untrusted");
    // Without the intermediate the path cannot be built either.
    let e = chain_error(&trust(&a), &a.ee_pem);
    assert_eq!(e.kind(), "cert_untrusted");
}

#[test]
fn broken_signature_is_rejected() {
    let p = pki(TestPkiOptions::default());
    let chain = cliauth::cert::parse_chain(p.chain_pem.as_bytes()).unwrap();
    let mut ee = chain[0].der().to_vec();
    // The signature BIT STRING ends the certificate: change one byte of s.
    let n = ee.len();
    ee[n - 3] ^= 0x01;
    let pem = format!(
        "{}{}",
        pem::encode(&pem::Pem::new("CERTIFICATE", ee)),
        p.intermediate_pem
    );
    let e = chain_error(&trust(&p), &pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_signature", 437), "{e}");
}

#[test]
fn revoked_certificates() {
    let p = pki(TestPkiOptions::default());
    let mut t = trust(&p);
    t.add_crls(p.ee_crl(true, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    let e = chain_error(&t, &p.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_revoked", 437));

    // A CRL that does not list the certificate lets it through.
    let mut t = trust(&p);
    t.add_crls(p.ee_crl(false, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    Credential::validate(&t, p.chain_pem.as_bytes(), NOW).unwrap();

    // The root revoking the intermediate.
    let mut t = trust(&p);
    t.add_crls(p.root_crl(true, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    assert_eq!(chain_error(&t, &p.chain_pem).kind(), "cert_revoked");

    // A CRL from another PKI does not verify and must not be trusted blindly.
    let other = pki(TestPkiOptions {
        name: "other".into(),
        ..TestPkiOptions::default()
    });
    let mut t = trust(&p);
    assert!(
        t.add_crls(b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
            .is_err()
    );
    t.add_crls(
        other
            .ee_crl(true, NOW - 100, NOW + 3600)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    Credential::validate(&t, p.chain_pem.as_bytes(), NOW).unwrap();
}

#[test]
fn non_ca_intermediate_is_rejected() {
    let p = pki(TestPkiOptions {
        intermediate_not_ca: true,
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&p), &p.chain_pem);
    assert_eq!(e.sip_code(), 437);
    assert!(matches!(e.kind(), "cert_invalid" | "cert_untrusted"), "{e}");
}

#[test]
fn p384_intermediate_is_accepted() {
    let p = pki(TestPkiOptions {
        intermediate_p384: true,
        ..TestPkiOptions::default()
    });
    let id = identity(&p, "12155551212", Attest::B);
    let v = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap();
    assert_eq!(v.attest(), Some(Attest::B));
}

#[test]
fn missing_tnauthlist_is_rejected() {
    let p = pki(TestPkiOptions {
        no_tnauthlist: true,
        ..TestPkiOptions::default()
    });
    let id = identity(&p, "12155551212", Attest::A);
    let e = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap_err();
    assert_eq!((e.kind(), e.sip_code()), ("cert_no_tnauthlist", 437));
}

#[test]
fn number_authority_from_tn_entries() {
    let p = pki(TestPkiOptions {
        spc: None,
        tns: vec!["12025550000".into()],
        ranges: vec![("12155551200".into(), 100)],
        ..TestPkiOptions::default()
    });
    for orig in ["12155551200", "12155551299", "12025550000"] {
        let id = identity(&p, orig, Attest::A);
        let v = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap();
        assert_eq!(v.authority(), &Authority::Tn, "{orig}");
    }
    for orig in ["12155551300", "12155551199", "12025550001", "1215555120"] {
        let id = identity(&p, orig, Attest::A);
        let e = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap_err();
        assert_eq!(
            (e.kind(), e.sip_code()),
            ("tn_not_authorized", 438),
            "{orig}"
        );
    }
}

#[test]
fn claim_constraints_are_enforced() {
    let constraints = ClaimConstraints::new(
        ConstraintsKind::Enhanced,
        vec!["origid".into()],
        vec![PermittedValues {
            claim: "attest".into(),
            values: vec!["A".into()],
        }],
        vec!["div".into()],
    )
    .unwrap();
    let p = pki(TestPkiOptions {
        claim_constraints: Some(constraints),
        ..TestPkiOptions::default()
    });
    let ok = identity(&p, "12155551212", Attest::A);
    verify_with_chain(&p, &ok, VerifierConfig::default()).unwrap();
    let bad = identity(&p, "12155551212", Attest::B);
    let e = verify_with_chain(&p, &bad, VerifierConfig::default()).unwrap_err();
    assert_eq!((e.kind(), e.sip_code()), ("claim_constraint", 438));

    let mut div = Claims::shaken("12155551212", &["12155550100"], Attest::A, "x", NOW);
    div.div = Some(Party::Tn("12155550199".into()));
    let id = signer(&p).sign(Some(Ppt::Div), &div).unwrap().identity();
    let e = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap_err();
    assert_eq!(e.kind(), "claim_constraint");
}

#[test]
fn strict_and_lenient_profile() {
    let p = pki(TestPkiOptions::default());
    let id = identity(&p, "12155551212", Attest::A);
    let v = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap();
    // rcgen cannot add a cRLIssuer to the distribution point: one fault, reported.
    let faults = v.cert_faults();
    assert!(!faults.is_empty());
    let strict = VerifierConfig {
        strict_profile: true,
        ..VerifierConfig::default()
    };
    let e = verify_with_chain(&p, &id, strict).unwrap_err();
    assert_eq!((e.kind(), e.sip_code()), ("cert_profile", 437));
    for f in faults {
        assert!(e.to_string().contains(f), "{e} lacks {f}");
    }
}

#[test]
fn store_miss_insert_hit_expire() {
    let p = pki(TestPkiOptions::default());
    let store = Arc::new(CertStore::new(trust(&p)));
    let v = Verifier::with_store(Arc::clone(&store));
    let id = identity(&p, "12155551212", Attest::A);
    let e = v.verify_identity(&id, &Call::default(), NOW).unwrap_err();
    assert_eq!(e, Error::CertificateNeeded { url: X5U.into() });
    assert_eq!(e.sip_code(), 436);

    store
        .insert(X5U, p.chain_pem.as_bytes(), NOW, Some(30))
        .unwrap();
    assert_eq!(store.len(), 1);
    assert_eq!(
        v.verify_identity(&id, &Call::default(), NOW).unwrap().spc(),
        Some("1234")
    );
    // The cache lifetime passes: the chain must be fetched again.
    let id_later = signer(&p)
        .sign_shaken("12155551212", &["12155550100"], Attest::A, None, NOW + 40)
        .unwrap()
        .identity();
    assert_eq!(
        v.verify_identity(&id_later, &Call::default(), NOW + 40)
            .unwrap_err()
            .kind(),
        "certificate_needed"
    );

    // A chain that does not validate is not stored, and evicts what was there.
    let other = pki(TestPkiOptions {
        name: "other".into(),
        ..TestPkiOptions::default()
    });
    store
        .insert(X5U, p.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    assert!(
        store
            .insert(X5U, other.chain_pem.as_bytes(), NOW, None)
            .is_err()
    );
    assert!(store.get(X5U, NOW).is_none());
}

#[test]
fn store_is_bounded() {
    let p = pki(TestPkiOptions::default());
    let store = CertStore::new(trust(&p)).with_capacity(3);
    for i in 0..10 {
        store
            .insert(
                &format!("https://c.example/{i}.pem"),
                p.chain_pem.as_bytes(),
                NOW,
                Some(100 + i),
            )
            .unwrap();
        assert!(store.len() <= 3);
    }
    // The entries that would expire last survive.
    assert!(store.get("https://c.example/9.pem", NOW).is_some());
    assert!(store.get("https://c.example/0.pem", NOW).is_none());
}

#[test]
fn store_shared_across_threads() {
    let p = pki(TestPkiOptions::default());
    let store = Arc::new(CertStore::new(trust(&p)));
    store
        .insert(X5U, p.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    let v = Arc::new(Verifier::with_store(Arc::clone(&store)));
    let id = Arc::new(identity(&p, "12155551212", Attest::A));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (v, id, store, chain) = (
                Arc::clone(&v),
                Arc::clone(&id),
                Arc::clone(&store),
                p.chain_pem.clone(),
            );
            std::thread::spawn(move || {
                for j in 0..20 {
                    v.verify_identity(&id, &Call::default(), NOW).unwrap();
                    store
                        .insert(
                            &format!("https://c.example/{i}/{j}"),
                            chain.as_bytes(),
                            NOW,
                            None,
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.len(), 81);
}

#[test]
fn chain_limits() {
    let p = pki(TestPkiOptions::default());
    let many = p.intermediate_pem.repeat(11);
    let e = chain_error(&trust(&p), &format!("{}{}", p.ee_pem, many));
    assert_eq!(e.kind(), "limit");
    let huge = "A".repeat(cliauth::limits::MAX_CHAIN_BYTES + 1);
    assert_eq!(chain_error(&trust(&p), &huge).kind(), "limit");
    assert_eq!(chain_error(&trust(&p), "").sip_code(), 437);
    assert_eq!(chain_error(&trust(&p), "junk").sip_code(), 437);
}

/// The failure modes again, on PKIs whose intermediate and end entity mark
/// certificatePolicies critical: rustls-webpki refuses those, so every check here runs in
/// the fallback validator (src/cert/fallback.rs), which must be as strict as webpki.
#[test]
fn critical_policies_chains_take_the_fallback_validator_and_stay_strict() {
    let crit = |o: TestPkiOptions| {
        pki(TestPkiOptions {
            critical_policies: true,
            ..o
        })
    };
    let p = crit(TestPkiOptions::default());
    let ee = &cliauth::cert::parse_chain(p.ee_pem.as_bytes()).unwrap()[0];
    assert!(ee.extension("2.5.29.32").unwrap().critical);

    // A correct chain verifies, with the SPC as authority.
    let id = identity(&p, "12155551212", Attest::A);
    let v = verify_with_chain(&p, &id, VerifierConfig::default()).unwrap();
    assert_eq!(v.spc(), Some("1234"));
    // Also through the store, and with a non-revoking CRL of each CA.
    let mut t = trust(&p);
    t.add_crls(p.ee_crl(false, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    t.add_crls(p.root_crl(false, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    let cred = Credential::validate(&t, p.chain_pem.as_bytes(), NOW).unwrap();
    assert_eq!(cred.spc(), Some("1234"));
    let store = CertStore::new(t);
    store
        .insert(X5U, p.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    assert!(store.get(X5U, NOW).is_some());

    // Validity of the end entity.
    let expired = crit(TestPkiOptions {
        ee_validity: Some((NOW - 1000, NOW - 10)),
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&expired), &expired.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_expired", 437), "{e}");
    let future = crit(TestPkiOptions {
        ee_validity: Some((NOW + 100, NOW + 1000)),
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&future), &future.chain_pem);
    assert_eq!(e.kind(), "cert_not_yet_valid", "{e}");
    // … and of the CAs (all three share the validity unless ee_validity is set).
    let old = crit(TestPkiOptions {
        not_before: NOW - 2000,
        not_after: NOW - 1000,
        ee_validity: Some((NOW - 2000, NOW + 1000)),
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&old), &old.chain_pem);
    assert_eq!(e.kind(), "cert_expired", "{e}");

    // Another root, no root, no intermediate.
    let other = crit(TestPkiOptions {
        name: "other".into(),
        ..TestPkiOptions::default()
    });
    assert_eq!(
        chain_error(&trust(&other), &p.chain_pem).kind(),
        "cert_untrusted"
    );
    assert_eq!(
        chain_error(&TrustStore::new(), &p.chain_pem).kind(),
        "cert_untrusted"
    );
    assert_eq!(chain_error(&trust(&p), &p.ee_pem).kind(), "cert_untrusted");
    // Same names, other keys: the other PKI's intermediate does not sign our end entity.
    let twin = crit(TestPkiOptions::default());
    let mixed = format!("{}{}", p.ee_pem, twin.intermediate_pem);
    let e = chain_error(&trust(&p), &mixed);
    assert_eq!(e.sip_code(), 437);
    assert!(
        matches!(e.kind(), "cert_signature" | "cert_untrusted"),
        "{e}"
    );

    // A broken end-entity signature.
    let mut der = ee.der().to_vec();
    let n = der.len();
    der[n - 3] ^= 0x01;
    let broken = format!(
        "{}{}",
        pem::encode(&pem::Pem::new("CERTIFICATE", der)),
        p.intermediate_pem
    );
    let e = chain_error(&trust(&p), &broken);
    assert_eq!((e.kind(), e.sip_code()), ("cert_signature", 437), "{e}");

    // Revocation: of the end entity by the intermediate, of the intermediate by the root.
    let mut t = trust(&p);
    t.add_crls(p.ee_crl(true, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    assert_eq!(chain_error(&t, &p.chain_pem).kind(), "cert_revoked");
    let mut t = trust(&p);
    t.add_crls(p.root_crl(true, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    assert_eq!(chain_error(&t, &p.chain_pem).kind(), "cert_revoked");
    // A CRL past its nextUpdate is not trusted to say "not revoked".
    let mut t = trust(&p);
    t.add_crls(p.ee_crl(false, NOW - 7200, NOW - 3600).unwrap().as_bytes())
        .unwrap();
    let e = chain_error(&t, &p.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_invalid", 437), "{e}");
    // A revoking CRL of a same-named CA with another key is not believed (bad signature).
    let mut t = trust(&p);
    t.add_crls(twin.ee_crl(true, NOW - 100, NOW + 3600).unwrap().as_bytes())
        .unwrap();
    let e = chain_error(&t, &p.chain_pem);
    assert_eq!(e.kind(), "cert_signature", "{e}");

    // A non-CA intermediate.
    let not_ca = crit(TestPkiOptions {
        intermediate_not_ca: true,
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&not_ca), &not_ca.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_invalid", 437), "{e}");

    // A P-384 intermediate is fine.
    let p384 = crit(TestPkiOptions {
        intermediate_p384: true,
        ..TestPkiOptions::default()
    });
    Credential::validate(&trust(&p384), p384.chain_pem.as_bytes(), NOW).unwrap();

    // A critical extension nobody understands (policyConstraints) is still refused.
    let unknown = crit(TestPkiOptions {
        ee_unknown_critical: Some(vec![2, 5, 29, 36]),
        ..TestPkiOptions::default()
    });
    let e = chain_error(&trust(&unknown), &unknown.chain_pem);
    assert_eq!((e.kind(), e.sip_code()), ("cert_invalid", 437), "{e}");
    assert!(e.to_string().contains("2.5.29.36"), "{e}");
}

/// A 1,000-certificate chain is refused with a typed limit error before any certificate is
/// validated, whichever way it arrives: as a PEM bundle (over the 64 KiB size limit), as
/// DER certificates handed to the validator, or through the store.
#[test]
fn a_thousand_certificate_chain_is_refused_quickly() {
    use cliauth::error::LimitKind;
    use std::time::{Duration, Instant};

    let p = pki(TestPkiOptions::default());
    let t = trust(&p);
    let pem = format!("{}{}", p.ee_pem, p.intermediate_pem.repeat(999));
    let chain = cliauth::cert::parse_chain(p.chain_pem.as_bytes()).unwrap();
    let mut ders: Vec<&[u8]> = vec![chain[0].der()];
    ders.extend(std::iter::repeat_n(chain[1].der(), 999));
    assert_eq!(ders.len(), 1000);
    let der_bundle: Vec<u8> = ders.concat();
    let store = CertStore::new(trust(&p));

    let is_chain_limit = |e: &Error| {
        matches!(
            e,
            Error::Limit {
                what: LimitKind::Chain,
                ..
            }
        )
    };
    let start = Instant::now();
    let e = chain_error(&t, &pem);
    assert!(is_chain_limit(&e), "PEM: {e:?}");
    let e = Credential::validate(&t, &der_bundle, NOW).unwrap_err();
    assert!(is_chain_limit(&e), "DER bundle: {e:?}");
    let e = t.validate(&ders, NOW).unwrap_err();
    assert!(is_chain_limit(&e), "DER list: {e:?}");
    let e = store.insert(X5U, pem.as_bytes(), NOW, None).unwrap_err();
    assert!(is_chain_limit(&e), "store: {e:?}");
    assert!(store.is_empty());
    // Refused before any parsing or signature work: far below one ECDSA verification per
    // certificate (a debug build takes about 60 µs for one).
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_millis(200), "{elapsed:?}");
}
