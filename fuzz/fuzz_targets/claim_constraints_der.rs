//! `ClaimConstraints::from_der(kind, der)` for both kinds (RFC 8226 JWTClaimConstraints,
//! RFC 9118 EnhancedJWTClaimConstraints) on arbitrary bytes.
//!
//! Invariants, for an accepted value:
//! * it has the kind it was read as, at least one component, no `mustExclude` for the
//!   RFC 8226 kind, ASCII claim names, no list over `MAX_CONSTRAINT_ENTRIES`, no empty
//!   `permittedValues` value list; `ClaimConstraints::new` accepts its parts as they are;
//! * `to_der()` succeeds and parses back (same kind) to an equal value, and encoding that
//!   again gives the same bytes, which are the input's (but for the non-DER forms the
//!   decoder wrongly accepts, as in `tnauthlist_der`);
//! * `check` is the first of `violations`; a non-object is `ClaimsNotObject`; claims built
//!   to satisfy the constraints (every required claim present, every restricted claim at
//!   a permitted value, every excluded claim absent) pass exactly when the constraints are
//!   satisfiable that way (no required claim excluded, no claim restricted to disjoint
//!   value lists).
#![no_main]

use cliauth::cert::CertError;
use cliauth::cert::constraints::{ALWAYS_REQUIRED_CLAIMS, MAX_CONSTRAINT_ENTRIES};
use cliauth::cert::{ClaimConstraints, ConstraintsKind};
use cliauth_fuzz::der_canonical;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn check_value(c: &ClaimConstraints, kind: ConstraintsKind) -> Vec<u8> {
    assert_eq!(c.kind(), kind);
    assert!(
        !(c.must_include().is_empty()
            && c.permitted_values().is_empty()
            && c.must_exclude().is_empty())
    );
    if kind == ConstraintsKind::JwtClaimConstraints {
        assert!(c.must_exclude().is_empty());
    }
    for list in [c.must_include(), c.must_exclude()] {
        assert!(list.len() <= MAX_CONSTRAINT_ENTRIES);
        assert!(list.iter().all(|n| n.is_ascii()));
    }
    assert!(c.permitted_values().len() <= MAX_CONSTRAINT_ENTRIES);
    for pv in c.permitted_values() {
        assert!(pv.claim.is_ascii());
        assert!(!pv.values.is_empty() && pv.values.len() <= MAX_CONSTRAINT_ENTRIES);
    }
    let rebuilt = ClaimConstraints::new(
        kind,
        c.must_include().to_vec(),
        c.permitted_values().to_vec(),
        c.must_exclude().to_vec(),
    );
    assert_eq!(rebuilt.as_ref(), Ok(c));

    let der = c.to_der().expect("an accepted value encodes");
    let back = ClaimConstraints::from_der(kind, &der).expect("the re-encoding parses");
    assert_eq!(&back, c);
    assert_eq!(back.to_der().as_ref(), Ok(&der));
    der
}

/// Claims meant to satisfy `c`, and whether they can: required claims present (a string),
/// restricted claims at a value every one of their `permittedValues` entries allows,
/// excluded claims absent.
fn satisfying_claims(c: &ClaimConstraints) -> (Value, bool) {
    let mut ok = true;
    let mut m = Map::new();
    let required = ALWAYS_REQUIRED_CLAIMS
        .iter()
        .copied()
        .chain(c.must_include().iter().map(String::as_str));
    for name in required {
        m.insert(name.to_owned(), Value::String("x".into()));
        if c.must_exclude().iter().any(|e| e == name) {
            ok = false;
        }
    }
    for pv in c.permitted_values() {
        if c.must_exclude().contains(&pv.claim) {
            // Absent: a restriction applies only to a present claim.
            continue;
        }
        // A value every entry for this claim permits.
        let all: Vec<_> = c
            .permitted_values()
            .iter()
            .filter(|p| p.claim == pv.claim)
            .collect();
        match pv
            .values
            .iter()
            .find(|v| all.iter().all(|p| p.values.contains(v)))
        {
            Some(v) => {
                m.insert(pv.claim.clone(), Value::String(v.clone()));
            }
            None => ok = false,
        }
    }
    for name in c.must_exclude() {
        m.remove(name);
    }
    (Value::Object(m), ok)
}

fuzz_target!(|data: &[u8]| {
    for kind in [
        ConstraintsKind::JwtClaimConstraints,
        ConstraintsKind::Enhanced,
    ] {
        let Ok(c) = ClaimConstraints::from_der(kind, data) else {
            continue;
        };
        let der = check_value(&c, kind);
        // Neither syntax has extension markers: the re-encoding is the input, but for the
        // BER forms DER forbids that the decoder tolerates on purpose (see `der_canonical`;
        // tests/regressions.rs `cert_extensions_accept_ber_only_encodings`).
        assert_eq!(
            Some(&der),
            der_canonical(data, &|_| None).as_ref(),
            "the re-encoding differs from the input in more than the tolerated ways"
        );

        assert_eq!(c.check(&Value::Null), Err(CertError::ClaimsNotObject));
        let (claims, satisfiable) = satisfying_claims(&c);
        let violations = c.violations(&claims);
        assert_eq!(
            c.check(&claims).err().as_ref(),
            violations.first(),
            "check is not the first violation"
        );
        assert_eq!(
            violations.is_empty(),
            satisfiable,
            "{claims} {violations:?}"
        );
        // The empty object misses at least iat, orig and dest.
        assert!(c.violations(&Value::Object(Map::new())).len() >= ALWAYS_REQUIRED_CLAIMS.len());
    }
});
