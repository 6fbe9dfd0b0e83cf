//! JWT claim constraints carried in STI certificates: the RFC 8226
//! JWTClaimConstraints extension (id-pe 27, OID 1.3.6.1.5.5.7.1.27) and the
//! RFC 9118 EnhancedJWTClaimConstraints extension (id-pe 33, OID
//! 1.3.6.1.5.5.7.1.33): DER decoding and encoding (via rasn), validation, and
//! the check of a PASSporT's claims against them.
//!
//! # The ASN.1, as checked against the RFC texts
//!
//! Both modules are `DEFINITIONS EXPLICIT TAGS` (RFC 8226 Appendix A
//! `TN-Module-2016`; RFC 9118 Appendix A `EnhancedJWTClaimConstraints-2021`),
//! so the `[0]`/`[1]`/`[2]` tags wrap the full universal encoding of the field.
//!
//! RFC 8226 §8 / Appendix A:
//!
//! ```text
//! JWTClaimConstraints ::= SEQUENCE {
//!   mustInclude     [0] JWTClaimNames OPTIONAL,
//!     -- The listed claim names MUST appear in the PASSporT
//!     -- in addition to iat, orig, and dest.  If absent, iat, orig,
//!     -- and dest MUST appear in the PASSporT.
//!   permittedValues [1] JWTClaimPermittedValuesList OPTIONAL }
//!     -- If the claim name is present, the claim MUST contain one of
//!     -- the listed values.
//!   ( WITH COMPONENTS { ..., mustInclude PRESENT } |
//!     WITH COMPONENTS { ..., permittedValues PRESENT } )
//! JWTClaimPermittedValuesList ::= SEQUENCE SIZE (1..MAX) OF JWTClaimPermittedValues
//! JWTClaimPermittedValues ::= SEQUENCE {
//!   claim      JWTClaimName,
//!   permitted  SEQUENCE SIZE (1..MAX) OF UTF8String }
//! JWTClaimNames ::= SEQUENCE SIZE (1..MAX) OF JWTClaimName
//! JWTClaimName ::= IA5String
//! ```
//!
//! (Early drafts had `permitted ... OF IA5String`; the published RFC uses
//! UTF8String.)
//!
//! RFC 9118 §3 / Appendix A keeps the two components unchanged (the value list
//! is renamed `JWTClaimValuesList` / `JWTClaimValues { claim, values }`, same
//! encoding) and adds one:
//!
//! ```text
//! EnhancedJWTClaimConstraints ::= SEQUENCE {
//!   mustInclude     [0] JWTClaimNames OPTIONAL,
//!   permittedValues [1] JWTClaimValuesList OPTIONAL,
//!   mustExclude     [2] JWTClaimNames OPTIONAL }
//!     -- The listed claim names MUST NOT appear in the PASSporT.
//!   ( WITH COMPONENTS { ..., mustInclude PRESENT } |
//!     WITH COMPONENTS { ..., permittedValues PRESENT } |
//!     WITH COMPONENTS { ..., mustExclude PRESENT } )
//! ```
//!
//! Neither type has an extension marker, so unknown components are an error.
//!
//! # Checking claims
//!
//! Neither RFC defines how a non-string claim value is compared with the
//! UTF8String permitted values: "the claim MUST contain one of the listed
//! values". This module is strict (fails closed): a claim under
//! `permittedValues` must be a JSON string equal (byte for byte) to one of the
//! listed values; a number, boolean, null, array or object is reported as
//! [`CertError::ClaimValueNotPermitted`]. If a certificate lists the same claim
//! in several `permittedValues` entries, every entry must be satisfied. RFC 9118
//! §7 notes that a claim in both mustInclude and mustExclude makes every
//! PASSporT fail; that is what the check does. `iat`, `orig` and `dest` are
//! always required, as the mustInclude comment says.

use rasn::prelude::Ia5String;
use serde_json::Value;

use super::error::CertError;

/// Dotted OID of the RFC 8226 JWTClaimConstraints extension (id-pe 27).
pub const OID_JWT_CLAIM_CONSTRAINTS: &str = "1.3.6.1.5.5.7.1.27";

/// Dotted OID of the RFC 9118 EnhancedJWTClaimConstraints extension (id-pe 33).
pub const OID_ENHANCED_JWT_CLAIM_CONSTRAINTS: &str = "1.3.6.1.5.5.7.1.33";

/// Largest constraints DER value accepted (64 KiB).
pub const MAX_CONSTRAINTS_DER: usize = 64 * 1024;

/// Largest number of elements accepted in any one list of a constraints value.
pub const MAX_CONSTRAINT_ENTRIES: usize = 1024;

/// Claims every PASSporT must carry whatever mustInclude says (RFC 8226 §8).
pub const ALWAYS_REQUIRED_CLAIMS: [&str; 3] = ["iat", "orig", "dest"];

mod asn {
    use rasn::prelude::*;

    /// RFC 8226 `JWTClaimPermittedValues` / RFC 9118 `JWTClaimValues`.
    #[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
    pub(super) struct ClaimValues {
        pub(super) claim: Ia5String,
        pub(super) values: Vec<Utf8String>,
    }

    /// RFC 8226 `JWTClaimConstraints`.
    #[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
    pub(super) struct JwtClaimConstraints {
        #[rasn(tag(explicit(context, 0)))]
        pub(super) must_include: Option<Vec<Ia5String>>,
        #[rasn(tag(explicit(context, 1)))]
        pub(super) permitted_values: Option<Vec<ClaimValues>>,
    }

    /// RFC 9118 `EnhancedJWTClaimConstraints`.
    #[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
    pub(super) struct EnhancedJwtClaimConstraints {
        #[rasn(tag(explicit(context, 0)))]
        pub(super) must_include: Option<Vec<Ia5String>>,
        #[rasn(tag(explicit(context, 1)))]
        pub(super) permitted_values: Option<Vec<ClaimValues>>,
        #[rasn(tag(explicit(context, 2)))]
        pub(super) must_exclude: Option<Vec<Ia5String>>,
    }
}

/// Which certificate extension a [`ClaimConstraints`] value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConstraintsKind {
    /// RFC 8226 JWTClaimConstraints (id-pe 27): mustInclude, permittedValues.
    JwtClaimConstraints,
    /// RFC 9118 EnhancedJWTClaimConstraints (id-pe 33): adds mustExclude.
    Enhanced,
}

impl ConstraintsKind {
    /// Dotted OID of the extension.
    pub fn oid(self) -> &'static str {
        match self {
            Self::JwtClaimConstraints => OID_JWT_CLAIM_CONSTRAINTS,
            Self::Enhanced => OID_ENHANCED_JWT_CLAIM_CONSTRAINTS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::JwtClaimConstraints => "JWTClaimConstraints",
            Self::Enhanced => "EnhancedJWTClaimConstraints",
        }
    }
}

/// One `permittedValues` entry: the claim and the values it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermittedValues {
    /// The claim name (IA5).
    pub claim: String,
    /// The permitted values (UTF-8), at least one.
    pub values: Vec<String>,
}

/// A decoded JWTClaimConstraints or EnhancedJWTClaimConstraints value.
///
/// An empty list means "component absent" (the ASN.1 forbids empty lists).
/// Invariants: at least one component present; `must_exclude` empty for
/// [`ConstraintsKind::JwtClaimConstraints`]; names are ASCII; no list longer
/// than [`MAX_CONSTRAINT_ENTRIES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimConstraints {
    kind: ConstraintsKind,
    must_include: Vec<String>,
    permitted_values: Vec<PermittedValues>,
    must_exclude: Vec<String>,
}

fn ia5_list(what: &'static str, list: Option<Vec<Ia5String>>) -> Result<Vec<String>, CertError> {
    match list {
        None => Ok(Vec::new()),
        Some(v) if v.is_empty() => Err(CertError::EmptySequence { what }),
        Some(v) => v
            .iter()
            .map(|s| {
                let b = s.as_iso646_bytes();
                if b.is_ascii() {
                    Ok(String::from_utf8_lossy(b).into_owned())
                } else {
                    Err(CertError::InvalidString {
                        what,
                        value: String::from_utf8_lossy(b).into_owned(),
                    })
                }
            })
            .collect(),
    }
}

fn values_list(list: Option<Vec<asn::ClaimValues>>) -> Result<Vec<PermittedValues>, CertError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    if list.is_empty() {
        return Err(CertError::EmptySequence {
            what: "permittedValues",
        });
    }
    list.into_iter()
        .map(|cv| {
            let claim = ia5_list("permittedValues claim", Some(vec![cv.claim]))?
                .pop()
                .unwrap_or_default();
            if cv.values.is_empty() {
                return Err(CertError::EmptySequence {
                    what: "permittedValues values",
                });
            }
            if cv.values.len() > MAX_CONSTRAINT_ENTRIES {
                return Err(CertError::TooManyEntries {
                    what: "permittedValues values",
                    count: cv.values.len(),
                    limit: MAX_CONSTRAINT_ENTRIES,
                });
            }
            Ok(PermittedValues {
                claim,
                values: cv.values,
            })
        })
        .collect()
}

fn check_ascii(what: &'static str, s: &str) -> Result<(), CertError> {
    if s.is_ascii() {
        Ok(())
    } else {
        Err(CertError::InvalidString {
            what,
            value: s.chars().take(64).collect(),
        })
    }
}

fn check_len(what: &'static str, len: usize) -> Result<(), CertError> {
    if len > MAX_CONSTRAINT_ENTRIES {
        Err(CertError::TooManyEntries {
            what,
            count: len,
            limit: MAX_CONSTRAINT_ENTRIES,
        })
    } else {
        Ok(())
    }
}

fn to_ia5(what: &'static str, list: &[String]) -> Result<Option<Vec<Ia5String>>, CertError> {
    if list.is_empty() {
        return Ok(None);
    }
    list.iter()
        .map(|s| {
            Ia5String::from_iso646_bytes(s.as_bytes()).map_err(|_| CertError::InvalidString {
                what,
                value: s.chars().take(64).collect(),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn compact_json(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

impl ClaimConstraints {
    /// Build and validate a constraints value. Empty lists mean "absent".
    ///
    /// # Errors
    /// [`CertError::EmptyConstraints`] when all lists are empty,
    /// [`CertError::MustExcludeNotAllowed`] for mustExclude with
    /// [`ConstraintsKind::JwtClaimConstraints`], [`CertError::EmptySequence`] for
    /// a permittedValues entry without values, [`CertError::InvalidString`] for a
    /// non-ASCII claim name, [`CertError::TooManyEntries`] above
    /// [`MAX_CONSTRAINT_ENTRIES`].
    pub fn new(
        kind: ConstraintsKind,
        must_include: Vec<String>,
        permitted_values: Vec<PermittedValues>,
        must_exclude: Vec<String>,
    ) -> Result<Self, CertError> {
        if kind == ConstraintsKind::JwtClaimConstraints && !must_exclude.is_empty() {
            return Err(CertError::MustExcludeNotAllowed);
        }
        if must_include.is_empty() && permitted_values.is_empty() && must_exclude.is_empty() {
            return Err(CertError::EmptyConstraints { what: kind.name() });
        }
        check_len("mustInclude", must_include.len())?;
        check_len("permittedValues", permitted_values.len())?;
        check_len("mustExclude", must_exclude.len())?;
        for name in must_include.iter().chain(must_exclude.iter()) {
            check_ascii("JWTClaimName", name)?;
        }
        for pv in &permitted_values {
            check_ascii("JWTClaimName", &pv.claim)?;
            if pv.values.is_empty() {
                return Err(CertError::EmptySequence {
                    what: "permittedValues values",
                });
            }
            check_len("permittedValues values", pv.values.len())?;
        }
        Ok(Self {
            kind,
            must_include,
            permitted_values,
            must_exclude,
        })
    }

    /// Decode the DER value of an RFC 8226 JWTClaimConstraints extension.
    ///
    /// # Errors
    /// [`CertError::TooLarge`], [`CertError::Asn1Decode`],
    /// [`CertError::TrailingData`], or a validation error of [`Self::new`].
    pub fn from_der_jwt_claim_constraints(der: &[u8]) -> Result<Self, CertError> {
        let raw: asn::JwtClaimConstraints = decode_limited("JWTClaimConstraints", der)?;
        Self::new(
            ConstraintsKind::JwtClaimConstraints,
            ia5_list("mustInclude", raw.must_include)?,
            values_list(raw.permitted_values)?,
            Vec::new(),
        )
    }

    /// Decode the DER value of an RFC 9118 EnhancedJWTClaimConstraints extension.
    ///
    /// # Errors
    /// As [`Self::from_der_jwt_claim_constraints`].
    pub fn from_der_enhanced(der: &[u8]) -> Result<Self, CertError> {
        let raw: asn::EnhancedJwtClaimConstraints =
            decode_limited("EnhancedJWTClaimConstraints", der)?;
        Self::new(
            ConstraintsKind::Enhanced,
            ia5_list("mustInclude", raw.must_include)?,
            values_list(raw.permitted_values)?,
            ia5_list("mustExclude", raw.must_exclude)?,
        )
    }

    /// Decode the DER value of the extension identified by `kind`.
    ///
    /// # Errors
    /// As [`Self::from_der_jwt_claim_constraints`].
    pub fn from_der(kind: ConstraintsKind, der: &[u8]) -> Result<Self, CertError> {
        match kind {
            ConstraintsKind::JwtClaimConstraints => Self::from_der_jwt_claim_constraints(der),
            ConstraintsKind::Enhanced => Self::from_der_enhanced(der),
        }
    }

    /// Encode as DER, in the syntax of [`Self::kind`].
    ///
    /// # Errors
    /// [`CertError::Asn1Encode`] if rasn fails, [`CertError::InvalidString`] for
    /// a non-IA5 claim name.
    pub fn to_der(&self) -> Result<Vec<u8>, CertError> {
        let must_include = to_ia5("mustInclude", &self.must_include)?;
        let permitted_values = if self.permitted_values.is_empty() {
            None
        } else {
            Some(
                self.permitted_values
                    .iter()
                    .map(|pv| {
                        Ok(asn::ClaimValues {
                            claim: to_ia5("JWTClaimName", std::slice::from_ref(&pv.claim))?
                                .and_then(|mut v| v.pop())
                                .ok_or(CertError::EmptySequence {
                                    what: "permittedValues claim",
                                })?,
                            values: pv.values.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>, CertError>>()?,
            )
        };
        let what = self.kind.name();
        match self.kind {
            ConstraintsKind::JwtClaimConstraints => rasn::der::encode(&asn::JwtClaimConstraints {
                must_include,
                permitted_values,
            }),
            ConstraintsKind::Enhanced => rasn::der::encode(&asn::EnhancedJwtClaimConstraints {
                must_include,
                permitted_values,
                must_exclude: to_ia5("mustExclude", &self.must_exclude)?,
            }),
        }
        .map_err(|e| CertError::encode(what, e))
    }

    /// Which extension this value comes from.
    pub fn kind(&self) -> ConstraintsKind {
        self.kind
    }

    /// Claims that must be present (empty: component absent).
    pub fn must_include(&self) -> &[String] {
        &self.must_include
    }

    /// Claims whose values are restricted (empty: component absent).
    pub fn permitted_values(&self) -> &[PermittedValues] {
        &self.permitted_values
    }

    /// Claims that must be absent (RFC 9118 only; empty: component absent).
    pub fn must_exclude(&self) -> &[String] {
        &self.must_exclude
    }

    /// Check PASSporT claims (the decoded claims JSON object) against these
    /// constraints; returns the first violation.
    ///
    /// Order of checks: claims must be an object; `iat`, `orig`, `dest` and
    /// every mustInclude claim present; no mustExclude claim present; every
    /// permittedValues claim that is present has a permitted string value.
    ///
    /// # Errors
    /// [`CertError::ClaimsNotObject`], [`CertError::ClaimMissing`],
    /// [`CertError::ClaimExcluded`], [`CertError::ClaimValueNotPermitted`].
    pub fn check(&self, claims: &Value) -> Result<(), CertError> {
        match self.violations(claims).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// All violations of these constraints by `claims`, in the order of
    /// [`Self::check`] (empty when the claims conform).
    pub fn violations(&self, claims: &Value) -> Vec<CertError> {
        let Some(obj) = claims.as_object() else {
            return vec![CertError::ClaimsNotObject];
        };
        let mut out = Vec::new();
        let required = ALWAYS_REQUIRED_CLAIMS
            .iter()
            .copied()
            .chain(self.must_include.iter().map(String::as_str));
        let mut seen: Vec<&str> = Vec::new();
        for name in required {
            if !obj.contains_key(name) && !seen.contains(&name) {
                seen.push(name);
                out.push(CertError::ClaimMissing {
                    claim: name.to_owned(),
                });
            }
        }
        for name in &self.must_exclude {
            if obj.contains_key(name.as_str()) {
                out.push(CertError::ClaimExcluded {
                    claim: name.clone(),
                });
            }
        }
        for pv in &self.permitted_values {
            let Some(value) = obj.get(pv.claim.as_str()) else {
                continue;
            };
            let ok = value
                .as_str()
                .is_some_and(|s| pv.values.iter().any(|p| p == s));
            if !ok {
                out.push(CertError::ClaimValueNotPermitted {
                    claim: pv.claim.clone(),
                    value: compact_json(value),
                });
            }
        }
        out
    }
}

fn decode_limited<T: rasn::Decode>(what: &'static str, der: &[u8]) -> Result<T, CertError> {
    if der.len() > MAX_CONSTRAINTS_DER {
        return Err(CertError::TooLarge {
            what,
            len: der.len(),
            limit: MAX_CONSTRAINTS_DER,
        });
    }
    let (value, rest) =
        rasn::der::decode_with_remainder::<T>(der).map_err(|e| CertError::decode(what, e))?;
    if !rest.is_empty() {
        return Err(CertError::TrailingData {
            what,
            count: rest.len(),
        });
    }
    Ok(value)
}
