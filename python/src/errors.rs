//! The exception classes and the mapping of library errors onto them: one class per family
//! of [`cliauth::Error`] kinds, every instance carrying `kind`, `sip_code`, `reason`,
//! `verstat` and `reason_header` (and `url` for [`CertificateNeeded`]).
//!
//! ```text
//! CliauthError
//! ├── VerificationError            (kind, sip_code, reason, verstat, reason_header)
//! │   ├── IdentityHeaderError      no_identity, identity_syntax
//! │   ├── BadIdentityInfo          bad_info, certificate_pending
//! │   ├── LimitExceeded            limit
//! │   ├── MalformedToken           token_format, json, duplicate_member, header,
//! │   │                            unsupported_ppt, claims
//! │   ├── InvalidSignature         signature
//! │   ├── StaleToken               stale, future
//! │   ├── NumberMismatch           orig_mismatch, dest_mismatch, tn
//! │   ├── CertificateNeeded        certificate_needed (url)
//! │   ├── CredentialError          unsupported_alg, key, cert_*
//! │   └── AuthorityError           tn_not_authorized, claim_constraint
//! ├── SigningError                 what cannot be signed (sign, tn, claims)
//! ├── InvalidKey                   an unreadable key, certificate or trust anchor
//! └── IsupError                    ISUP token or message errors
//! ```

use cliauth::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

create_exception!(
    cliauth,
    CliauthError,
    PyException,
    "The base class of every error cliauth raises. Attributes (when the error comes from \
     the library): kind, sip_code, reason, verstat, reason_header."
);
create_exception!(
    cliauth,
    VerificationError,
    CliauthError,
    "A token did not verify. kind is the stable error identifier (e.g. 'signature'), \
     sip_code the SIP response (403, 428, 436, 437, 438), reason its reason phrase, \
     verstat the verstat value ('TN-Validation-Failed' or 'No-TN-Validation'), \
     reason_header a ready Reason header value, call_id the call_id given to verify."
);
create_exception!(
    cliauth,
    IdentityHeaderError,
    VerificationError,
    "No Identity header, or one that does not follow the RFC 8224 grammar (428 / 438)."
);
create_exception!(
    cliauth,
    BadIdentityInfo,
    VerificationError,
    "The info parameter or x5u is missing, unusable or inconsistent, or its certificate was not fetched within the fetch budget (436)."
);
create_exception!(
    cliauth,
    LimitExceeded,
    VerificationError,
    "An input exceeded one of the library's size limits (438)."
);
create_exception!(
    cliauth,
    MalformedToken,
    VerificationError,
    "The token is malformed: JWS syntax, JSON, duplicate members, header, ppt or claims (438)."
);
create_exception!(
    cliauth,
    InvalidSignature,
    VerificationError,
    "The signature does not verify under the signer's key (438)."
);
create_exception!(
    cliauth,
    StaleToken,
    VerificationError,
    "iat is outside the freshness window: too old or too far in the future (403)."
);
create_exception!(
    cliauth,
    NumberMismatch,
    VerificationError,
    "orig or dest does not match the call's numbers, or a number given is invalid (438)."
);
create_exception!(
    cliauth,
    CertificateNeeded,
    VerificationError,
    "The verifier's certificate store has no chain for url: fetch it, give it to \
     Verifier.add_chain(url, pem), and verify again (436 if reported as is)."
);
create_exception!(
    cliauth,
    CredentialError,
    VerificationError,
    "The algorithm, key or certificate chain is not acceptable: untrusted, expired, \
     revoked, malformed, profile (437)."
);
create_exception!(
    cliauth,
    AuthorityError,
    VerificationError,
    "The certificate does not authorise the token: orig outside its TNAuthList, or a \
     claim constraint violated (438)."
);
create_exception!(
    cliauth,
    SigningError,
    CliauthError,
    "The data given cannot be signed (missing or invalid claims, uncanonical numbers)."
);
create_exception!(
    cliauth,
    InvalidKey,
    CliauthError,
    "A key, certificate, trust anchor or CRL cannot be read or is not usable."
);
create_exception!(
    cliauth,
    IsupError,
    CliauthError,
    "An ISUP compact token or message cannot be built, parsed or rebuilt."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CliauthError", py.get_type::<CliauthError>())?;
    m.add("VerificationError", py.get_type::<VerificationError>())?;
    m.add("IdentityHeaderError", py.get_type::<IdentityHeaderError>())?;
    m.add("BadIdentityInfo", py.get_type::<BadIdentityInfo>())?;
    m.add("LimitExceeded", py.get_type::<LimitExceeded>())?;
    m.add("MalformedToken", py.get_type::<MalformedToken>())?;
    m.add("InvalidSignature", py.get_type::<InvalidSignature>())?;
    m.add("StaleToken", py.get_type::<StaleToken>())?;
    m.add("NumberMismatch", py.get_type::<NumberMismatch>())?;
    m.add("CertificateNeeded", py.get_type::<CertificateNeeded>())?;
    m.add("CredentialError", py.get_type::<CredentialError>())?;
    m.add("AuthorityError", py.get_type::<AuthorityError>())?;
    m.add("SigningError", py.get_type::<SigningError>())?;
    m.add("InvalidKey", py.get_type::<InvalidKey>())?;
    m.add("IsupError", py.get_type::<IsupError>())?;
    Ok(())
}

/// The verification family of an error.
fn verification_type<'py>(py: Python<'py>, e: &Error) -> Bound<'py, PyType> {
    match e {
        Error::NoIdentity | Error::IdentitySyntax(_) => py.get_type::<IdentityHeaderError>(),
        Error::BadInfo(_) | Error::CertificatePending { .. } => py.get_type::<BadIdentityInfo>(),
        Error::Limit { .. } => py.get_type::<LimitExceeded>(),
        Error::TokenFormat { .. }
        | Error::Json { .. }
        | Error::DuplicateMember { .. }
        | Error::Header(_)
        | Error::UnsupportedPpt(_)
        | Error::Claims(_) => py.get_type::<MalformedToken>(),
        Error::Signature => py.get_type::<InvalidSignature>(),
        Error::Stale { .. } | Error::Future { .. } => py.get_type::<StaleToken>(),
        Error::OrigMismatch { .. } | Error::DestMismatch { .. } | Error::Tn(_) => {
            py.get_type::<NumberMismatch>()
        }
        Error::CertificateNeeded { .. } => py.get_type::<CertificateNeeded>(),
        Error::UnsupportedAlg(_) | Error::Key(_) | Error::Cert { .. } => {
            py.get_type::<CredentialError>()
        }
        Error::TnNotAuthorized { .. } | Error::ClaimConstraint(_) => {
            py.get_type::<AuthorityError>()
        }
        _ => py.get_type::<VerificationError>(),
    }
}

/// An exception of type `ty` for `e`, with the SIP mapping as attributes.
fn with_attrs(py: Python<'_>, ty: Bound<'_, PyType>, e: &Error, call_id: Option<&str>) -> PyErr {
    let err = PyErr::from_type(ty, e.to_string());
    let v = err.value(py);
    let set = || -> PyResult<()> {
        v.setattr("kind", e.kind())?;
        v.setattr("sip_code", e.sip_code())?;
        v.setattr("reason", e.reason())?;
        v.setattr("verstat", e.verstat().as_str())?;
        v.setattr("reason_header", e.reason_header())?;
        v.setattr("call_id", call_id)?;
        let url = match e {
            Error::CertificateNeeded { url } => Some(url.as_str()),
            _ => None,
        };
        v.setattr("url", url)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(failed) => failed,
    }
}

/// A verification error (from `Verifier.verify*`, `add_chain`).
pub(crate) fn verification(py: Python<'_>, e: &Error, call_id: Option<&str>) -> PyErr {
    with_attrs(py, verification_type(py, e), e, call_id)
}

/// An error while building a key, signer or verifier.
pub(crate) fn key(py: Python<'_>, e: &Error) -> PyErr {
    match e {
        Error::Key(_) | Error::Cert { .. } | Error::Limit { .. } => {
            with_attrs(py, py.get_type::<InvalidKey>(), e, None)
        }
        _ => signing(py, e),
    }
}

/// An error while signing.
pub(crate) fn signing(py: Python<'_>, e: &Error) -> PyErr {
    match e {
        Error::Key(_) => with_attrs(py, py.get_type::<InvalidKey>(), e, None),
        _ => with_attrs(py, py.get_type::<SigningError>(), e, None),
    }
}

/// An ISUP error (any displayable error of `cliauth::isup`).
pub(crate) fn isup(e: impl std::fmt::Display) -> PyErr {
    IsupError::new_err(e.to_string())
}
