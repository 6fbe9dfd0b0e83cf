//! The public API's contract (issue 9, points 4, 9, 10, 11): no panic is reachable through
//! any public constructor whatever its input; a pinned credential expires; every error's
//! message is readable text (no Rust `Debug` output); certificate failures carry typed
//! reasons.

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{Credential, StiCert, TrustStore, parse_chain};
use cliauth::isup::token::{CompactToken, ConvertOptions};
use cliauth::{
    Attest, Call, CertProblem, CertReason, Claims, Dest, Error, Header, IdentityHeader, Party,
    Passport, Ppt, Signer, SigningKey, Tn, Verifier, VerifyingKey,
};
use proptest::prelude::*;

const X5U: &str = "https://cert.example.net/sp.pem";

/// One short-lived PKI: CAs valid 1.6e9..2.5e9, the end entity 1.7e9..1.8e9.
fn short_pki() -> TestPki {
    TestPki::generate(&TestPkiOptions {
        ranges: vec![("12155551200".into(), 100)],
        ee_validity: Some((1_700_000_000, 1_800_000_000)),
        ..TestPkiOptions::default()
    })
    .unwrap()
}

fn sign_at(pki: &TestPki, iat: i64) -> String {
    Signer::new(
        SigningKey::from_pem_or_der(pki.ee_key_pem.as_bytes()).unwrap(),
        X5U,
    )
    .unwrap()
    .sign_shaken("12155551212", &["12155550100"], Attest::A, None, iat)
    .unwrap()
    .identity()
}

fn trust(pki: &TestPki) -> TrustStore {
    let mut t = TrustStore::new();
    t.add_anchors(pki.root_pem.as_bytes()).unwrap();
    t
}

// ---------------------------------------------------------------------------------------
// Point 9: a pinned credential expires.

#[test]
fn a_pinned_credential_expires_and_is_not_valid_before_its_time() {
    let p = short_pki();
    let cred = Credential::validate(&trust(&p), p.chain_pem.as_bytes(), 1_750_000_000).unwrap();
    assert!(cred.chain_verified());
    assert_eq!(cred.not_after(), 1_800_000_000);
    assert_eq!(cred.not_before(), 1_700_000_000);
    let v = Verifier::with_credential(cred);
    let call = Call::default();
    for ok in [1_700_000_000, 1_750_000_000, 1_800_000_000] {
        v.verify_identity(&sign_at(&p, ok), &call, ok).unwrap();
    }
    let late = 1_800_000_001;
    let e = v
        .verify_identity(&sign_at(&p, late), &call, late)
        .unwrap_err();
    assert_eq!((e.kind(), e.sip_code()), ("cert_expired", 437), "{e}");
    let Error::Cert {
        problem: CertProblem::Expired,
        reason:
            CertReason::Expired {
                cert: Some(subject),
                not_after,
                now,
            },
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(subject.contains("SHAKEN 1234"), "{subject}");
    assert_eq!((*not_after, *now), (1_800_000_000, late));
    let msg = e.to_string();
    assert!(msg.contains("expired at 2027-01-15T08:00:00Z"), "{msg}");
    assert!(msg.contains("SHAKEN 1234"), "{msg}");

    let early = 1_699_999_999;
    let e = v
        .verify_identity(&sign_at(&p, early), &call, early)
        .unwrap_err();
    assert_eq!((e.kind(), e.sip_code()), ("cert_not_yet_valid", 437), "{e}");
    assert!(
        e.to_string()
            .contains("not valid before 2023-11-14T22:13:20Z"),
        "{e}"
    );
}

#[test]
fn a_chain_taken_without_anchor_still_expires_and_checks_the_number() {
    let p = short_pki();
    let cred = Credential::without_chain_check(p.chain_pem.as_bytes()).unwrap();
    assert!(!cred.chain_verified());
    let v = Verifier::with_credential(cred);
    let t = 1_750_000_000;
    v.verify_identity(&sign_at(&p, t), &Call::default(), t)
        .unwrap();
    let late = 1_800_000_100;
    assert_eq!(
        v.verify_identity(&sign_at(&p, late), &Call::default(), late)
            .unwrap_err()
            .kind(),
        "cert_expired"
    );
    // A number outside the TNAuthList range.
    let id = Signer::new(
        SigningKey::from_pem_or_der(p.ee_key_pem.as_bytes()).unwrap(),
        X5U,
    )
    .unwrap()
    .sign_shaken("12155559999", &["12155550100"], Attest::A, None, t)
    .unwrap()
    .identity();
    assert_eq!(
        v.verify_identity(&id, &Call::default(), t)
            .unwrap_err()
            .kind(),
        "tn_not_authorized"
    );
}

// ---------------------------------------------------------------------------------------
// Point 11: typed reasons, ES384 is an unsupported algorithm, schemes are case-insensitive.

#[test]
fn certificate_failures_carry_typed_reasons() {
    let p = short_pki();
    let e = Credential::validate(&TrustStore::new(), p.chain_pem.as_bytes(), 1_750_000_000)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Cert {
                problem: CertProblem::Untrusted,
                reason: CertReason::NoTrustAnchors
            }
        ),
        "{e:?}"
    );
    let other = TestPki::generate(&TestPkiOptions {
        name: "other".into(),
        ..TestPkiOptions::default()
    })
    .unwrap();
    let e =
        Credential::validate(&trust(&other), p.chain_pem.as_bytes(), 1_750_000_000).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Cert {
                reason: CertReason::UnknownIssuer,
                ..
            }
        ),
        "{e:?}"
    );
    let e = Credential::validate(&trust(&p), p.chain_pem.as_bytes(), 1_900_000_000).unwrap_err();
    match &e {
        Error::Cert {
            problem: CertProblem::Expired,
            reason:
                CertReason::Expired {
                    cert: Some(s),
                    not_after: 1_800_000_000,
                    now: 1_900_000_000,
                },
        } => assert!(s.contains("SHAKEN 1234"), "{s}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn es384_token_is_unsupported_alg_whatever_the_signature_length() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(format!(
        r#"{{"alg":"ES384","ppt":"shaken","typ":"passport","x5u":"{X5U}"}}"#
    ));
    let claims = b64.encode(
        r#"{"attest":"A","dest":{"tn":["2"]},"iat":1700000000,"orig":{"tn":"1"},"origid":"x"}"#,
    );
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    for len in [64, 96] {
        let token = format!("{header}.{claims}.{}", b64.encode(vec![7u8; len]));
        let e = v
            .verify_token(&token, &Call::default(), 1_700_000_000)
            .unwrap_err();
        assert_eq!((e.kind(), e.sip_code()), ("unsupported_alg", 437), "{len}");
    }
}

#[test]
fn url_schemes_compare_case_insensitively() {
    let (k, _) = SigningKey::generate().unwrap();
    let vk = k.verifying_key();
    for url in [
        "HTTPS://cert.example.net/sp.pem",
        "Https://cert.example.net/sp.pem",
    ] {
        let (k, _) = SigningKey::generate().unwrap();
        let vk = k.verifying_key();
        let s = Signer::new(k, url).unwrap();
        let id = s
            .sign_shaken("1", &["2"], Attest::A, None, 1_700_000_000)
            .unwrap()
            .identity();
        Verifier::with_key(vk.clone())
            .verify_identity(&id, &Call::default(), 1_700_000_000)
            .unwrap();
    }
    let s = Signer::new(k, "HTTP://cert.example.net/sp.pem").unwrap();
    let id = s
        .sign_shaken("1", &["2"], Attest::A, None, 1_700_000_000)
        .unwrap()
        .identity();
    assert_eq!(
        Verifier::with_key(vk)
            .verify_identity(&id, &Call::default(), 1_700_000_000)
            .unwrap_err()
            .kind(),
        "bad_info"
    );
}

// ---------------------------------------------------------------------------------------
// Point 4: readable messages.

/// Text that only Rust's `Debug` output has.
fn assert_readable(msg: &str) {
    for bad in ["{", "}", "::", "Some(", "None", "UnixTime", "Context("] {
        assert!(!msg.contains(bad), "Debug text {bad:?} in {msg:?}");
    }
}

fn every_cert_reason() -> Vec<CertReason> {
    let s = || Some("CN=SHAKEN 1234, O=Example".to_owned());
    vec![
        CertReason::NoTrustAnchors,
        CertReason::UnknownIssuer,
        CertReason::Distrusted,
        CertReason::Expired {
            cert: s(),
            not_after: 1_800_000_000,
            now: 1_900_000_000,
        },
        CertReason::Expired {
            cert: None,
            not_after: i64::MAX,
            now: i64::MIN,
        },
        CertReason::NotYetValid {
            cert: s(),
            not_before: 1_800_000_000,
            now: 0,
        },
        CertReason::Revoked {
            cert: s(),
            serial: Some("01:02".into()),
        },
        CertReason::Revoked {
            cert: None,
            serial: None,
        },
        CertReason::CrlExpired {
            issuer: s(),
            next_update: 1,
            now: 2,
        },
        CertReason::BadSignature { cert: s() },
        CertReason::CrlBadSignature { issuer: None },
        CertReason::UnsupportedAlgorithm {
            what: "ECDSA on curve 1.2.3 with SHA-512".into(),
        },
        CertReason::CaUsedAsEndEntity,
        CertReason::EndEntityUsedAsCa { cert: s() },
        CertReason::PathLenExceeded { cert: None },
        CertReason::UnsupportedCriticalExtension {
            cert: s(),
            oid: Some("1.2.3".into()),
        },
        CertReason::KeyUsage {
            cert: s(),
            required: "keyCertSign",
        },
        CertReason::IssuerNotCrlSigner { issuer: s() },
        CertReason::PathTooComplex,
        CertReason::EmptyChain,
        CertReason::NoCrl,
        CertReason::UnsupportedVersion { cert: None },
        CertReason::Malformed {
            what: "end entity",
            detail: "bad DER".into(),
        },
        CertReason::Rejected {
            what: "a malformed extension",
        },
        CertReason::ProfileFaults(vec!["ski_missing", "crl_dp_missing"]),
        CertReason::NoTnAuthList,
        CertReason::TnAuthListMalformed("bad tag".into()),
        CertReason::TestPki("x".into()),
    ]
}

#[test]
fn every_error_kind_displays_without_debug_text() {
    for r in every_cert_reason() {
        assert!(!r.id().is_empty());
        assert_readable(&r.to_string());
        assert_readable(
            &Error::Cert {
                problem: CertProblem::Invalid,
                reason: r,
            }
            .to_string(),
        );
    }
    // Errors produced by the library itself, one per kind the verifier returns.
    let p = short_pki();
    let t = trust(&p);
    let mut produced: Vec<Error> = vec![
        Credential::validate(&t, p.chain_pem.as_bytes(), 1_900_000_000).unwrap_err(),
        Credential::validate(&t, p.chain_pem.as_bytes(), 1_000_000_000).unwrap_err(),
        Credential::validate(&TrustStore::new(), p.chain_pem.as_bytes(), 1_750_000_000)
            .unwrap_err(),
        Credential::validate(&t, p.ee_pem.as_bytes(), 1_750_000_000).unwrap_err(),
        Credential::validate(&t, b"junk", 1_750_000_000).unwrap_err(),
        Credential::validate(&t, &[0x30, 0x03, 0x02, 0x01, 0x00], 1_750_000_000).unwrap_err(),
        TrustStore::new().add_crls(b"not a crl").unwrap_err(),
        TrustStore::new()
            .add_anchors(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .unwrap_err(),
    ];
    let v =
        Verifier::with_credential(Credential::without_chain_check(p.chain_pem.as_bytes()).unwrap());
    for (id, now) in [
        (sign_at(&p, 1_900_000_000), 1_900_000_000),
        (sign_at(&p, 1_750_000_000), 1_750_000_500),
        (sign_at(&p, 1_750_000_000), 1_749_000_000),
        ("x.y.z".into(), 1_750_000_000),
        ("".into(), 1_750_000_000),
        (
            format!("{};info=<https://other/>", sign_at(&p, 1_750_000_000)),
            1_750_000_000,
        ),
    ] {
        produced.push(
            v.verify_identity(&id, &Call::new("1", "2"), now)
                .unwrap_err(),
        );
    }
    for e in &produced {
        assert_readable(&e.to_string());
    }
    let kinds: Vec<&str> = produced.iter().map(Error::kind).collect();
    for k in [
        "cert_expired",
        "cert_not_yet_valid",
        "cert_untrusted",
        "cert_malformed",
        "stale",
        "future",
    ] {
        assert!(kinds.contains(&k), "{k} not produced: {kinds:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Point 10: no panic through any public constructor; invariants hold.

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_constructor_panics_on_hostile_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let t = TrustStore::new();
        let _ = parse_chain(&bytes);
        let _ = StiCert::from_der(&bytes);
        let _ = Credential::validate(&t, &bytes, 1_700_000_000);
        if let Ok(c) = Credential::without_chain_check(&bytes) {
            // Invariant: never an empty chain.
            prop_assert!(!c.chain().is_empty());
            let _ = c.end_entity();
            let v = Verifier::with_credential(c);
            let _ = v.verify_identity(&text, &Call::default(), 0);
        }
        let mut t2 = TrustStore::new();
        let _ = t2.add_anchors(&bytes);
        let _ = t2.add_crls(&bytes);
        let _ = t2.validate(&[&bytes], 0);
        let _ = t2.validate(&[], 0);
        let _ = CompactToken::decode(&bytes);
        let _ = CompactToken::from_identity(&text, &Call::default(), &ConvertOptions::default());
        let _ = SigningKey::from_pem_or_der(&bytes);
        let _ = VerifyingKey::from_pem_or_der(&bytes);
        let _ = VerifyingKey::from_point(&bytes);
        let _ = Signer::from_pem(&bytes, text.as_ref());
        let _ = IdentityHeader::parse(&text);
        let _ = IdentityHeader::parse_all(&text);
        let _ = Passport::parse(&text);
        let _ = Tn::parse(&text);
        let _ = text.parse::<Ppt>();
        let _ = text.parse::<Attest>();
        let _ = cliauth::passport::decode(&text);
    }

    #[test]
    fn signing_hostile_claims_never_panics(
        orig in ".{0,40}", dest in proptest::collection::vec(".{0,20}", 0..4),
        x5u in ".{0,60}", iat in any::<i64>(), origid in ".{0,20}",
        opt in proptest::option::of(".{0,60}"), uri in any::<bool>(),
    ) {
        let (k, der) = SigningKey::generate().unwrap();
        let vk = k.verifying_key();
        let _ = Signer::from_pem(&der, x5u.as_str());
        let s = Signer::new(k, X5U).unwrap();
        let orig = if uri { Party::Uri(orig) } else { Party::Tn(orig) };
        let mut claims = Claims::new(orig, Dest::tns(dest.clone()), iat);
        claims.origid = Some(origid);
        claims.opt = opt;
        claims.attest = Some(Attest::B);
        for ppt in [None, Some(Ppt::Shaken), Some(Ppt::Div), Some(Ppt::DivO), Some(Ppt::Rcd)] {
            if let Ok(signed) = s.sign(ppt, &claims) {
                let _ = signed.compact_identity();
                let v = Verifier::with_key(vk.clone());
                let r = v.verify_identity(&signed.identity(), &Call::default(), iat);
                if let Ok(verdict) = r {
                    prop_assert_eq!(verdict.claims().iat, iat);
                    prop_assert_eq!(verdict.header().ppt, ppt);
                }
            }
        }
        // A Passport assembled by hand (public fields) signs or fails cleanly.
        let p = Passport { header: Header::new(Some(Ppt::Shaken), x5u), claims };
        let (k, _) = SigningKey::generate().unwrap();
        let _ = p.sign(&k);
        let _ = p.header_json();
        let _ = p.rebuild("..AAAA");
    }
}

/// A `Credential`, `Verdict`, `ValidPath`, `Signed` or `CompactToken` cannot be built by
/// hand: their fields are private (checked by the doc tests of these types, which must
/// fail to compile; this test keeps the accessors in use).
#[test]
fn accessors_expose_what_the_fields_held() {
    let p = short_pki();
    let t = trust(&p);
    let ders: Vec<Vec<u8>> = parse_chain(p.chain_pem.as_bytes())
        .unwrap()
        .iter()
        .map(|c| c.der().to_vec())
        .collect();
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let path = t.validate(&refs, 1_750_000_000).unwrap();
    assert_eq!(path.not_after(), 1_800_000_000);
    assert_eq!(path.not_before(), 1_700_000_000);
    let cred = Credential::validate(&t, p.chain_pem.as_bytes(), 1_750_000_000).unwrap();
    assert_eq!(cred.key(), path.key());
    assert_eq!(cred.chain().len(), 2);
    let verdict = Verifier::with_credential(cred)
        .verify_identity(&sign_at(&p, 1_750_000_000), &Call::default(), 1_750_000_000)
        .unwrap();
    assert_eq!(verdict.claims().attest, Some(Attest::A));
    assert_eq!(verdict.header().x5u, X5U);
    assert!(verdict.credential().is_some());
    assert_eq!(verdict.authority(), &cliauth::verify::Authority::Tn);
    let (k, _) = SigningKey::generate().unwrap();
    let signed = Signer::new(k, X5U)
        .unwrap()
        .sign_shaken("1", &["2"], Attest::C, None, 5)
        .unwrap();
    assert_eq!(signed.x5u(), X5U);
    assert_eq!(signed.ppt(), Some(Ppt::Shaken));
    assert_eq!(signed.token().matches('.').count(), 2);
    let c = CompactToken::from_identity(
        &signed.identity(),
        &Call::default(),
        &ConvertOptions::default(),
    )
    .unwrap()
    .token;
    assert_eq!(CompactToken::decode(c.as_bytes()).unwrap(), c);
    assert_eq!(c.describe()["version"], 2);
}
