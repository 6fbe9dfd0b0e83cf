//! Result codes: `cliauth_result`, one value per error kind of the library plus the
//! C API's own failures, and the functions that describe them.
//!
//! The values are fixed numbers that never change meaning (new ones are only added):
//! 0 is success, 1–29 are token and call errors, 30–49 certificate chain errors, 99 an
//! error kind this build does not know, 100 and up errors of the C API itself.
//!
//! The type is a `uint32_t` with `#define`d values rather than a C `enum`, so that any
//! integer a caller passes to `cliauth_result_text` and friends is checked, not trusted.

use std::ffi::{CStr, c_char};

use cliauth_core::Error;

use crate::ffi::guard_or;

pub use crate::codes::*;

/// Everything known about one result code: value, stable kind identifier (as
/// `Error::kind` in Rust), description, SIP status code.
struct Info {
    code: cliauth_result,
    kind: &'static CStr,
    text: &'static CStr,
    sip: u16,
}

const fn info(code: cliauth_result, kind: &'static CStr, text: &'static CStr, sip: u16) -> Info {
    Info {
        code,
        kind,
        text,
        sip,
    }
}

/// The table of all result codes.
fn table() -> &'static [Info] {
    #[rustfmt::skip]
    const TABLE: &[Info] = &[
        info(CLIAUTH_OK, c"ok", c"success", 0),
        info(CLIAUTH_NO_IDENTITY, c"no_identity", c"no Identity header", 428),
        info(CLIAUTH_IDENTITY_SYNTAX, c"identity_syntax", c"malformed Identity header", 438),
        info(CLIAUTH_BAD_INFO, c"bad_info", c"bad or missing certificate URL (info/x5u)", 436),
        info(CLIAUTH_LIMIT, c"limit", c"input exceeds a size limit", 438),
        info(CLIAUTH_TOKEN_FORMAT, c"token_format", c"malformed token", 438),
        info(CLIAUTH_JSON, c"json", c"invalid JSON in the token", 438),
        info(CLIAUTH_DUPLICATE_MEMBER, c"duplicate_member", c"duplicate JSON member in the token", 438),
        info(CLIAUTH_UNSUPPORTED_ALG, c"unsupported_alg", c"unsupported signature algorithm (only ES256)", 437),
        info(CLIAUTH_HEADER, c"header", c"invalid PASSporT header", 438),
        info(CLIAUTH_UNSUPPORTED_PPT, c"unsupported_ppt", c"unsupported or inconsistent ppt", 438),
        info(CLIAUTH_CLAIMS, c"claims", c"invalid claims", 438),
        info(CLIAUTH_SIGNATURE, c"signature", c"signature does not verify", 438),
        info(CLIAUTH_STALE, c"stale", c"iat is too old", 403),
        info(CLIAUTH_FUTURE, c"future", c"iat is too far in the future", 403),
        info(CLIAUTH_ORIG_MISMATCH, c"orig_mismatch", c"orig does not match the calling number", 438),
        info(CLIAUTH_DEST_MISMATCH, c"dest_mismatch", c"dest does not include the called number", 438),
        info(CLIAUTH_TN, c"tn", c"invalid telephone number", 438),
        info(CLIAUTH_KEY, c"key", c"unusable key or certificate", 437),
        info(CLIAUTH_CERTIFICATE_NEEDED, c"certificate_needed", c"certificate needed: fetch the x5u URL, insert it and retry", 436),
        info(CLIAUTH_SIGN, c"sign", c"cannot sign: incomplete or inconsistent data", 438),
        info(CLIAUTH_TN_NOT_AUTHORIZED, c"tn_not_authorized", c"the certificate does not authorise orig", 438),
        info(CLIAUTH_CLAIM_CONSTRAINT, c"claim_constraint", c"a claim violates the certificate's claim constraints", 438),
        info(CLIAUTH_CERTIFICATE_PENDING, c"certificate_pending", c"certificate still being fetched: not there within the fetch budget", 436),
        info(CLIAUTH_REPLAY, c"replay", c"token already used by another call (replay)", 438),
        info(CLIAUTH_CERT_UNTRUSTED, c"cert_untrusted", c"certificate chain not trusted", 437),
        info(CLIAUTH_CERT_EXPIRED, c"cert_expired", c"certificate expired", 437),
        info(CLIAUTH_CERT_NOT_YET_VALID, c"cert_not_yet_valid", c"certificate not yet valid", 437),
        info(CLIAUTH_CERT_REVOKED, c"cert_revoked", c"certificate revoked", 437),
        info(CLIAUTH_CERT_SIGNATURE, c"cert_signature", c"bad signature in the certificate chain", 437),
        info(CLIAUTH_CERT_INVALID, c"cert_invalid", c"invalid certificate chain", 437),
        info(CLIAUTH_CERT_MALFORMED, c"cert_malformed", c"malformed certificate", 437),
        info(CLIAUTH_CERT_PROFILE, c"cert_profile", c"certificate violates the STI profile", 437),
        info(CLIAUTH_CERT_NO_TNAUTHLIST, c"cert_no_tnauthlist", c"certificate has no usable TNAuthList", 437),
        info(CLIAUTH_ISUP, c"isup", c"ISUP compact token cannot be built, decoded or rebuilt", 438),
        info(CLIAUTH_UNKNOWN_ERROR, c"unknown", c"error unknown to this version of the C API", 438),
        info(CLIAUTH_NULL_PARAMETER, c"null_parameter", c"a required pointer argument is NULL", 0),
        info(CLIAUTH_PANIC, c"panic", c"internal error (panic) in libcliauth", 0),
        info(CLIAUTH_INVALID_UTF8, c"invalid_utf8", c"a string argument is not valid UTF-8", 438),
        info(CLIAUTH_BUFFER_TOO_SMALL, c"buffer_too_small", c"the output buffer is too small", 0),
        info(CLIAUTH_INVALID_PARAMETER, c"invalid_parameter", c"an argument is out of range", 0),
    ];
    TABLE
}

fn lookup(code: cliauth_result) -> Option<&'static Info> {
    table().iter().find(|i| i.code == code)
}

/// The result code of a library error.
pub(crate) fn from_error(e: &Error) -> cliauth_result {
    let kind = e.kind();
    table()
        .iter()
        .find(|i| {
            i.code != CLIAUTH_OK
                && i.code < CLIAUTH_NULL_PARAMETER
                && i.kind.to_bytes() == kind.as_bytes()
        })
        .map_or(CLIAUTH_UNKNOWN_ERROR, |i| i.code)
}

/// The reason phrase of a SIP status code this library uses ("" for anything else).
pub(crate) fn reason_of(sip: u16) -> &'static CStr {
    match sip {
        403 => c"Stale Date",
        428 => c"Use Identity Header",
        436 => c"Bad Identity Info",
        437 => c"Unsupported Credential",
        438 => c"Invalid Identity Header",
        _ => c"",
    }
}

/// A short English description of `result`, e.g. "iat is too old". Unknown values give
/// "unknown result code".
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn cliauth_result_text(result: cliauth_result) -> *const c_char {
    guard_or(c"unknown result code".as_ptr(), || {
        lookup(result)
            .map_or(c"unknown result code", |i| i.text)
            .as_ptr()
    })
}

/// The stable identifier of `result`: the library's error kind (`"stale"`,
/// `"cert_expired"`, …, the same as `cliauth verify --json` and the test vectors print),
/// `"ok"`, or for the C API's own codes `"null_parameter"`, `"panic"`, `"invalid_utf8"`,
/// `"buffer_too_small"`, `"invalid_parameter"`. Unknown values give `"unknown"`.
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn cliauth_result_kind(result: cliauth_result) -> *const c_char {
    guard_or(c"unknown".as_ptr(), || {
        lookup(result).map_or(c"unknown", |i| i.kind).as_ptr()
    })
}

/// The SIP status code a verification service answers with for `result` (RFC 8224
/// §6.2.2): 403, 428, 436, 437 or 438. 0 for `CLIAUTH_OK` and for the C API's own codes
/// that are programming errors rather than properties of the call (`NULL_PARAMETER`,
/// `PANIC`, `BUFFER_TOO_SMALL`, `INVALID_PARAMETER`); 438 for `INVALID_UTF8` (the header
/// or numbers cannot be valid) and for unknown values.
///
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn cliauth_result_sip_code(result: cliauth_result) -> u16 {
    guard_or(438, || lookup(result).map_or(438, |i| i.sip))
}

/// The SIP reason phrase that goes with `cliauth_result_sip_code(result)`, e.g.
/// "Stale Date"; "" when the SIP code is 0.
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn cliauth_result_reason(result: cliauth_result) -> *const c_char {
    guard_or(c"".as_ptr(), || {
        reason_of(cliauth_result_sip_code(result)).as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cliauth_core::error::{CertProblem, LimitKind, Part};
    use cliauth_core::tn::Tn;

    /// One error of every variant the library has (as of this writing).
    fn one_of_each() -> Vec<Error> {
        let mut v = vec![
            Error::NoIdentity,
            Error::IdentitySyntax("x".into()),
            Error::BadInfo("x".into()),
            Error::Limit {
                what: LimitKind::Token,
                limit: 1,
            },
            Error::TokenFormat {
                part: Part::Header,
                detail: "x".into(),
            },
            Error::Json {
                part: Part::Claims,
                detail: "x".into(),
            },
            Error::DuplicateMember {
                part: Part::Claims,
                name: "x".into(),
            },
            Error::UnsupportedAlg("x".into()),
            Error::Header("x".into()),
            Error::UnsupportedPpt("x".into()),
            Error::Claims("x".into()),
            Error::Signature,
            Error::Stale {
                iat: 0,
                age: 1,
                max_age: 0,
            },
            Error::Future {
                iat: 1,
                ahead: 1,
                max_skew: 0,
            },
            Error::OrigMismatch {
                token: "1".into(),
                call: "2".into(),
            },
            Error::DestMismatch {
                token: vec!["1".into()],
                call: "2".into(),
            },
            Error::Tn(Tn::parse("x").unwrap_err()),
            Error::Key("x".into()),
            Error::CertificateNeeded { url: "x".into() },
            Error::Replay {
                iat: 1,
                detected: "x".into(),
            },
            Error::CertificatePending {
                url: "x".into(),
                budget_ms: 1,
                no_tn_validation: false,
            },
            Error::Sign("x".into()),
            Error::TnNotAuthorized { tn: "1".into() },
            Error::ClaimConstraint("x".into()),
        ];
        for problem in [
            CertProblem::Untrusted,
            CertProblem::Expired,
            CertProblem::NotYetValid,
            CertProblem::Revoked,
            CertProblem::Signature,
            CertProblem::Invalid,
            CertProblem::Malformed,
            CertProblem::Profile,
            CertProblem::NoTnAuthList,
        ] {
            v.push(Error::Cert {
                problem,
                reason: cliauth_core::CertReason::UnknownIssuer,
            });
        }
        v
    }

    fn text(p: *const c_char) -> &'static str {
        // SAFETY: every string these functions return is a static C string.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap()
    }

    #[test]
    fn every_error_has_its_code_and_sip_mapping() {
        for e in one_of_each() {
            let code = from_error(&e);
            assert_ne!(code, CLIAUTH_UNKNOWN_ERROR, "{e:?}");
            assert_eq!(text(cliauth_result_kind(code)), e.kind());
            assert_eq!(cliauth_result_sip_code(code), e.sip_code(), "{e:?}");
            assert_eq!(text(cliauth_result_reason(code)), e.reason(), "{e:?}");
        }
    }

    /// Every kind string the library's source names (in `Error::kind` and
    /// `CertProblem::as_str`) has a code: catches a new error kind added to the library
    /// without a C result code.
    #[test]
    fn every_kind_in_the_library_source_has_a_code() {
        let src = include_str!("../../src/error.rs");
        let mut kinds = Vec::new();
        for (start, end) in [
            ("pub fn kind(&self)", "pub fn sip_status"),
            ("impl CertProblem", "impl std::fmt::Display for CertProblem"),
        ] {
            let from = src.find(start).expect("kind function");
            let to = from + src[from..].find(end).expect("end of kind function");
            for line in src[from..to].lines() {
                if let Some((_, rest)) = line.split_once("=> \"") {
                    kinds.push(rest.split('"').next().unwrap().to_owned());
                }
            }
        }
        assert!(kinds.len() >= 31, "{kinds:?}");
        for k in kinds {
            assert!(
                table().iter().any(|i| i.kind.to_str() == Ok(k.as_str())),
                "error kind {k:?} has no cliauth_result code"
            );
        }
    }

    #[test]
    fn codes_are_unique_and_described() {
        for (n, a) in table().iter().enumerate() {
            for b in &table()[n + 1..] {
                assert_ne!(a.code, b.code);
                assert_ne!(a.kind, b.kind);
            }
        }
        assert_eq!(text(cliauth_result_text(12345)), "unknown result code");
        assert_eq!(text(cliauth_result_kind(12345)), "unknown");
        assert_eq!(cliauth_result_sip_code(CLIAUTH_OK), 0);
        assert_eq!(text(cliauth_result_reason(CLIAUTH_OK)), "");
        assert_eq!(text(cliauth_result_reason(CLIAUTH_STALE)), "Stale Date");
        assert_eq!(cliauth_result_sip_code(CLIAUTH_INVALID_UTF8), 438);
    }
}
