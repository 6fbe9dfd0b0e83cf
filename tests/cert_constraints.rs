//! JWTClaimConstraints (RFC 8226) and EnhancedJWTClaimConstraints (RFC 9118):
//! known-answer encodings, negative decoding tests, and claim checks.

use cliauth::cert::constraints::MAX_CONSTRAINTS_DER;
use cliauth::cert::{CertError, ClaimConstraints, ConstraintsKind, PermittedValues};
use serde_json::json;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn pv(claim: &str, values: &[&str]) -> PermittedValues {
    PermittedValues {
        claim: claim.into(),
        values: names(values),
    }
}

const ATTEST: &str = "61 74 74 65 73 74"; // "attest"

fn base_claims() -> serde_json::Value {
    json!({
        "attest": "A",
        "dest": {"tn": ["12155551213"]},
        "iat": 1_443_208_345,
        "orig": {"tn": "12155551212"},
        "origid": "123e4567-e89b-12d3-a456-426655440000"
    })
}

#[test]
fn known_answer_must_include() {
    let c = ClaimConstraints::new(
        ConstraintsKind::JwtClaimConstraints,
        names(&["attest"]),
        vec![],
        vec![],
    )
    .unwrap();
    let der = c.to_der().unwrap();
    assert_eq!(der, hex(&format!("30 0c a0 0a 30 08 16 06 {ATTEST}")));
    assert_eq!(
        ClaimConstraints::from_der_jwt_claim_constraints(&der).unwrap(),
        c
    );
}

#[test]
fn known_answer_permitted_values() {
    let c = ClaimConstraints::new(
        ConstraintsKind::JwtClaimConstraints,
        vec![],
        vec![pv("attest", &["A", "B"])],
        vec![],
    )
    .unwrap();
    let der = c.to_der().unwrap();
    assert_eq!(
        der,
        hex(&format!(
            "30 16 a1 14 30 12 30 10 16 06 {ATTEST} 30 06 0c 01 41 0c 01 42"
        ))
    );
    let back = ClaimConstraints::from_der_jwt_claim_constraints(&der).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.permitted_values()[0].values, ["A", "B"]);
}

#[test]
fn known_answer_enhanced_all_components() {
    let c = ClaimConstraints::new(
        ConstraintsKind::Enhanced,
        names(&["attest"]),
        vec![pv("attest", &["A", "B"])],
        names(&["rcd"]),
    )
    .unwrap();
    let der = c.to_der().unwrap();
    assert_eq!(
        der,
        hex(&format!(
            "30 2b a0 0a 30 08 16 06 {ATTEST} \
             a1 14 30 12 30 10 16 06 {ATTEST} 30 06 0c 01 41 0c 01 42 \
             a2 07 30 05 16 03 72 63 64"
        ))
    );
    let back = ClaimConstraints::from_der_enhanced(&der).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.must_exclude(), ["rcd"]);
    assert_eq!(back.kind(), ConstraintsKind::Enhanced);
    assert_eq!(back.kind().oid(), "1.3.6.1.5.5.7.1.33");
    // mustExclude alone
    let only =
        ClaimConstraints::new(ConstraintsKind::Enhanced, vec![], vec![], names(&["rcd"])).unwrap();
    assert_eq!(
        only.to_der().unwrap(),
        hex("30 09 a2 07 30 05 16 03 72 63 64")
    );
}

#[test]
fn utf8_permitted_values_round_trip() {
    let c = ClaimConstraints::new(
        ConstraintsKind::Enhanced,
        vec![],
        vec![pv("nam", &["Café Zoë", "日本"])],
        vec![],
    )
    .unwrap();
    let back = ClaimConstraints::from_der_enhanced(&c.to_der().unwrap()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn rfc8226_rejects_must_exclude() {
    // [2] is not a component of the RFC 8226 type (no extension marker).
    let der = hex("30 09 a2 07 30 05 16 03 72 63 64");
    let e = ClaimConstraints::from_der_jwt_claim_constraints(&der).unwrap_err();
    assert!(
        matches!(
            e,
            CertError::Asn1Decode { .. } | CertError::EmptyConstraints { .. }
        ),
        "{e}"
    );
    assert_eq!(
        ClaimConstraints::new(
            ConstraintsKind::JwtClaimConstraints,
            vec![],
            vec![],
            names(&["rcd"])
        ),
        Err(CertError::MustExcludeNotAllowed)
    );
}

#[test]
fn rejects_empty_and_malformed() {
    // No component at all.
    for kind in [
        ConstraintsKind::JwtClaimConstraints,
        ConstraintsKind::Enhanced,
    ] {
        let e = ClaimConstraints::from_der(kind, &hex("30 00")).unwrap_err();
        assert!(
            matches!(
                e,
                CertError::EmptyConstraints { .. } | CertError::Asn1Decode { .. }
            ),
            "{e}"
        );
        assert!(matches!(
            ClaimConstraints::new(kind, vec![], vec![], vec![]),
            Err(CertError::EmptyConstraints { .. })
        ));
    }
    // Empty JWTClaimNames.
    let e = ClaimConstraints::from_der_enhanced(&hex("30 04 a0 02 30 00")).unwrap_err();
    assert!(matches!(e, CertError::EmptySequence { .. }), "{e}");
    // Empty permitted values.
    let e = ClaimConstraints::from_der_enhanced(&hex(&format!(
        "30 10 a1 0e 30 0c 30 0a 16 06 {ATTEST} 30 00"
    )))
    .unwrap_err();
    assert!(matches!(e, CertError::EmptySequence { .. }), "{e}");
    assert!(matches!(
        ClaimConstraints::new(
            ConstraintsKind::Enhanced,
            vec![],
            vec![pv("attest", &[])],
            vec![]
        ),
        Err(CertError::EmptySequence { .. })
    ));
    // IMPLICIT-style encoding: the [0] holds the IA5String, not a SEQUENCE.
    let e = ClaimConstraints::from_der_enhanced(&hex(&format!("30 0a a0 08 16 06 {ATTEST}")))
        .unwrap_err();
    assert!(matches!(e, CertError::Asn1Decode { .. }), "{e}");
    // Permitted value as IA5String instead of UTF8String (early draft syntax).
    let e = ClaimConstraints::from_der_enhanced(&hex(&format!(
        "30 13 a1 11 30 0f 30 0d 16 06 {ATTEST} 30 03 16 01 41"
    )))
    .unwrap_err();
    assert!(matches!(e, CertError::Asn1Decode { .. }), "{e}");
    // Truncation and trailing data.
    let good = hex("30 09 a2 07 30 05 16 03 72 63 64");
    for cut in 0..good.len() {
        assert!(ClaimConstraints::from_der_enhanced(&good[..cut]).is_err());
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(
        ClaimConstraints::from_der_enhanced(&trailing),
        Err(CertError::TrailingData { .. })
    ));
    // Huge lengths.
    for der in ["30 84 ff ff ff ff a2", "30 09 a2 84 7f ff ff ff 30"] {
        assert!(matches!(
            ClaimConstraints::from_der_enhanced(&hex(der)),
            Err(CertError::Asn1Decode { .. })
        ));
    }
    // Size limit.
    assert!(matches!(
        ClaimConstraints::from_der_enhanced(&vec![0u8; MAX_CONSTRAINTS_DER + 1]),
        Err(CertError::TooLarge { .. })
    ));
    // Non-ASCII claim name.
    assert!(matches!(
        ClaimConstraints::new(ConstraintsKind::Enhanced, names(&["é"]), vec![], vec![]),
        Err(CertError::InvalidString { .. })
    ));
}

#[test]
fn check_passes_conforming_claims() {
    let c = ClaimConstraints::new(
        ConstraintsKind::Enhanced,
        names(&["attest", "origid"]),
        vec![pv("attest", &["A", "B"])],
        names(&["rcd"]),
    )
    .unwrap();
    assert_eq!(c.check(&base_claims()), Ok(()));
    assert!(c.violations(&base_claims()).is_empty());
    // permittedValues only constrains a claim that is present.
    let c = ClaimConstraints::new(
        ConstraintsKind::JwtClaimConstraints,
        vec![],
        vec![pv("crn", &["Rent due"])],
        vec![],
    )
    .unwrap();
    assert_eq!(c.check(&base_claims()), Ok(()));
}

#[test]
fn check_must_include() {
    let c = ClaimConstraints::new(
        ConstraintsKind::JwtClaimConstraints,
        names(&["rcd"]),
        vec![],
        vec![],
    )
    .unwrap();
    assert_eq!(
        c.check(&base_claims()),
        Err(CertError::ClaimMissing {
            claim: "rcd".into()
        })
    );
    // iat, orig, dest are always required.
    let mut claims = base_claims();
    claims.as_object_mut().unwrap().remove("iat");
    claims
        .as_object_mut()
        .unwrap()
        .insert("rcd".into(), json!({"nam": "x"}));
    assert_eq!(
        c.check(&claims),
        Err(CertError::ClaimMissing {
            claim: "iat".into()
        })
    );
}

#[test]
fn check_must_exclude() {
    let c =
        ClaimConstraints::new(ConstraintsKind::Enhanced, vec![], vec![], names(&["rcd"])).unwrap();
    let mut claims = base_claims();
    claims
        .as_object_mut()
        .unwrap()
        .insert("rcd".into(), json!({"nam": "Example"}));
    assert_eq!(
        c.check(&claims),
        Err(CertError::ClaimExcluded {
            claim: "rcd".into()
        })
    );
    // A claim in both lists makes every PASSporT fail (RFC 9118 §7).
    let both = ClaimConstraints::new(
        ConstraintsKind::Enhanced,
        names(&["rcd"]),
        vec![],
        names(&["rcd"]),
    )
    .unwrap();
    assert!(both.check(&base_claims()).is_err());
    assert!(both.check(&claims).is_err());
}

#[test]
fn check_permitted_values() {
    let c = ClaimConstraints::new(
        ConstraintsKind::JwtClaimConstraints,
        vec![],
        vec![pv("attest", &["A"])],
        vec![],
    )
    .unwrap();
    let mut claims = base_claims();
    claims["attest"] = json!("B");
    assert_eq!(
        c.check(&claims),
        Err(CertError::ClaimValueNotPermitted {
            claim: "attest".into(),
            value: "\"B\"".into()
        })
    );
    // Case matters; no trimming.
    claims["attest"] = json!("a");
    assert!(c.check(&claims).is_err());
    claims["attest"] = json!("A ");
    assert!(c.check(&claims).is_err());
    // Non-string values never match (fail closed), arrays included.
    for v in [
        json!(["A"]),
        json!(1),
        json!(null),
        json!({"A": 1}),
        json!(true),
    ] {
        claims["attest"] = v.clone();
        assert!(
            matches!(
                c.check(&claims),
                Err(CertError::ClaimValueNotPermitted { .. })
            ),
            "{v}"
        );
    }
    // Two entries for the same claim: both must be satisfied.
    let c = ClaimConstraints::new(
        ConstraintsKind::Enhanced,
        vec![],
        vec![pv("attest", &["A", "B"]), pv("attest", &["B", "C"])],
        vec![],
    )
    .unwrap();
    claims["attest"] = json!("B");
    assert_eq!(c.check(&claims), Ok(()));
    claims["attest"] = json!("A");
    assert!(c.check(&claims).is_err());
}

#[test]
fn check_reports_all_violations() {
    let c = ClaimConstraints::new(
        ConstraintsKind::Enhanced,
        names(&["rph"]),
        vec![pv("attest", &["C"])],
        names(&["origid"]),
    )
    .unwrap();
    let v = c.violations(&base_claims());
    assert_eq!(v.len(), 3, "{v:?}");
    assert!(matches!(v[0], CertError::ClaimMissing { .. }));
    assert!(matches!(v[1], CertError::ClaimExcluded { .. }));
    assert!(matches!(v[2], CertError::ClaimValueNotPermitted { .. }));
    assert_eq!(c.check(&json!([1, 2])), Err(CertError::ClaimsNotObject));
    assert_eq!(c.check(&json!("x")), Err(CertError::ClaimsNotObject));
}
