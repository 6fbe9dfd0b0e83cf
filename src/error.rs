//! The error type of the library and its mapping to SIP: status code, reason text and
//! `verstat` value (RFC 8224 §6.2.2, ATIS-1000074).
//!
//! Every failure the library reports is an [`Error`]. Each variant has a stable identifier
//! ([`Error::kind`]) that test vectors, the C API and the `cliauth` command use, and maps to
//! the SIP response a verification service sends ([`Error::sip_code`], [`Error::reason`]).

use crate::tn::TnError;

/// The SIP-facing classification of an error: status code and reason phrase.
///
/// These are the codes of RFC 8224 §6.2.2 (and 403 of RFC 8224 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SipStatus {
    /// 403 Stale Date: the `iat` claim is outside the freshness window.
    StaleDate,
    /// 428 Use Identity Header: an Identity header was required but absent.
    UseIdentityHeader,
    /// 436 Bad Identity Info: the certificate URL is unusable or cannot be dereferenced.
    BadIdentityInfo,
    /// 437 Unsupported Credential: algorithm or credential not supported or not trusted.
    UnsupportedCredential,
    /// 438 Invalid Identity Header: signature, header or claims are invalid.
    InvalidIdentityHeader,
}

impl SipStatus {
    /// The numeric SIP status code.
    pub fn code(self) -> u16 {
        match self {
            SipStatus::StaleDate => 403,
            SipStatus::UseIdentityHeader => 428,
            SipStatus::BadIdentityInfo => 436,
            SipStatus::UnsupportedCredential => 437,
            SipStatus::InvalidIdentityHeader => 438,
        }
    }

    /// The reason phrase that goes with the code (RFC 8224).
    pub fn reason(self) -> &'static str {
        match self {
            SipStatus::StaleDate => "Stale Date",
            SipStatus::UseIdentityHeader => "Use Identity Header",
            SipStatus::BadIdentityInfo => "Bad Identity Info",
            SipStatus::UnsupportedCredential => "Unsupported Credential",
            SipStatus::InvalidIdentityHeader => "Invalid Identity Header",
        }
    }
}

/// The `verstat` parameter value (ATIS-1000074 §5.3.1) a verification service puts on the
/// P-Asserted-Identity or From header after verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verstat {
    /// The token verified and the calling number is authenticated.
    TnValidationPassed,
    /// A token was present but failed verification.
    TnValidationFailed,
    /// No verification was performed (for example no Identity header).
    NoTnValidation,
}

impl Verstat {
    /// The parameter value as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verstat::TnValidationPassed => "TN-Validation-Passed",
            Verstat::TnValidationFailed => "TN-Validation-Failed",
            Verstat::NoTnValidation => "No-TN-Validation",
        }
    }
}

impl std::fmt::Display for Verstat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which limit an input exceeded (see [`crate::limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// An Identity header value longer than [`crate::limits::MAX_IDENTITY_HEADER_LEN`].
    IdentityHeader,
    /// More Identity header values than [`crate::limits::MAX_IDENTITY_HEADERS`].
    IdentityCount,
    /// A token longer than [`crate::limits::MAX_TOKEN_LEN`].
    Token,
    /// JSON nested deeper than [`crate::limits::MAX_JSON_DEPTH`].
    JsonDepth,
    /// A JSON object or array with more than [`crate::limits::MAX_JSON_MEMBERS`] members.
    JsonMembers,
    /// A key or certificate input larger than [`crate::limits::MAX_KEY_INPUT_LEN`].
    KeyInput,
    /// A certificate chain larger than [`crate::limits::MAX_CHAIN_BYTES`] or with more than
    /// [`crate::limits::MAX_CHAIN_CERTS`] certificates.
    Chain,
    /// A CRL larger than [`crate::limits::MAX_CRL_BYTES`].
    Crl,
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LimitKind::IdentityHeader => "Identity header length",
            LimitKind::IdentityCount => "number of Identity headers",
            LimitKind::Token => "token length",
            LimitKind::JsonDepth => "JSON nesting depth",
            LimitKind::JsonMembers => "JSON members per object or array",
            LimitKind::KeyInput => "key or certificate size",
            LimitKind::Chain => "certificate chain size",
            LimitKind::Crl => "CRL size",
        })
    }
}

/// Which part of a compact JWS a token-level error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The JOSE header (first part).
    Header,
    /// The claims / payload (second part).
    Claims,
    /// The signature (third part).
    Signature,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Claims => "claims",
            Part::Signature => "signature",
        })
    }
}

/// What is wrong with a certificate chain (see [`Error::Cert`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertProblem {
    /// The chain does not lead to a configured trust anchor.
    Untrusted,
    /// A certificate in the chain has expired at `now`.
    Expired,
    /// A certificate in the chain is not yet valid at `now`.
    NotYetValid,
    /// A certificate in the chain is revoked by a configured CRL.
    Revoked,
    /// A signature in the chain does not verify, or uses an unsupported algorithm.
    Signature,
    /// The chain is structurally invalid (a CA used as end entity, path length, key usage,
    /// depth, an unsupported critical extension, …).
    Invalid,
    /// The certificate data cannot be parsed (bad PEM or DER, no certificate).
    Malformed,
    /// The end-entity certificate violates the STI profile (strict mode only).
    Profile,
    /// The end-entity certificate has no usable TNAuthList.
    NoTnAuthList,
}

impl CertProblem {
    /// The stable identifier used as [`Error::kind`].
    pub fn as_str(self) -> &'static str {
        match self {
            CertProblem::Untrusted => "cert_untrusted",
            CertProblem::Expired => "cert_expired",
            CertProblem::NotYetValid => "cert_not_yet_valid",
            CertProblem::Revoked => "cert_revoked",
            CertProblem::Signature => "cert_signature",
            CertProblem::Invalid => "cert_invalid",
            CertProblem::Malformed => "cert_malformed",
            CertProblem::Profile => "cert_profile",
            CertProblem::NoTnAuthList => "cert_no_tnauthlist",
        }
    }
}

impl std::fmt::Display for CertProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every error the library reports.
///
/// The variants are grouped by the layer that detects them; [`Error::kind`] gives a stable
/// identifier, [`Error::sip_status`] the SIP response a verification service should send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No Identity header (or an empty one) where one is required.
    #[error("no Identity header")]
    NoIdentity,
    /// The Identity header value does not follow the RFC 8224 grammar.
    #[error("malformed Identity header: {0}")]
    IdentitySyntax(String),
    /// The `info` parameter is missing, not a usable URL, or differs from the token's `x5u`.
    #[error("bad identity info: {0}")]
    BadInfo(String),
    /// An input exceeded one of the library's size limits.
    #[error("{what} exceeds the limit of {limit}")]
    Limit {
        /// Which limit.
        what: LimitKind,
        /// The limit's value (bytes, levels or members).
        limit: usize,
    },
    /// The token is not a well-formed compact JWS (parts, base64url, padding, whitespace).
    #[error("malformed token {part}: {detail}")]
    TokenFormat {
        /// Which part of the token.
        part: Part,
        /// What is wrong.
        detail: String,
    },
    /// A part of the token is not valid (strict) JSON.
    #[error("invalid JSON in token {part}: {detail}")]
    Json {
        /// Which part of the token.
        part: Part,
        /// What is wrong.
        detail: String,
    },
    /// A JSON object has the same member name twice.
    #[error("duplicate member {name:?} in token {part}")]
    DuplicateMember {
        /// Which part of the token.
        part: Part,
        /// The repeated member name.
        name: String,
    },
    /// The signature algorithm is not ES256 (in the token header or the `alg` parameter).
    #[error("unsupported algorithm {0:?} (only ES256 is accepted)")]
    UnsupportedAlg(String),
    /// The PASSporT header is invalid (wrong `typ`, missing or malformed `x5u`, …).
    #[error("invalid PASSporT header: {0}")]
    Header(String),
    /// The `ppt` extension is not one this library supports, or header and parameter disagree.
    #[error("unsupported or inconsistent ppt: {0}")]
    UnsupportedPpt(String),
    /// The claims are missing, mistyped or malformed.
    #[error("invalid claims: {0}")]
    Claims(String),
    /// The signature does not verify under the signer's key.
    #[error("signature does not verify")]
    Signature,
    /// `iat` is older than the freshness window allows.
    #[error("iat {iat} is {age} s old, more than the {max_age} s allowed")]
    Stale {
        /// The token's `iat`.
        iat: i64,
        /// `now - iat` in seconds.
        age: i64,
        /// The configured maximum age.
        max_age: i64,
    },
    /// `iat` lies further in the future than the configured clock skew allows.
    #[error("iat {iat} is {ahead} s in the future, more than the {max_skew} s allowed")]
    Future {
        /// The token's `iat`.
        iat: i64,
        /// `iat - now` in seconds.
        ahead: i64,
        /// The configured maximum future skew.
        max_skew: i64,
    },
    /// The token's `orig` does not match the calling number of the call.
    #[error("orig {token:?} does not match the calling number {call:?}")]
    OrigMismatch {
        /// The originating identity in the token.
        token: String,
        /// The calling number of the call (canonical).
        call: String,
    },
    /// None of the token's `dest` numbers matches the called number of the call.
    #[error("dest {token:?} does not include the called number {call:?}")]
    DestMismatch {
        /// The destination identities in the token.
        token: Vec<String>,
        /// The called number of the call (canonical).
        call: String,
    },
    /// A telephone number given by the caller (not the token) is invalid.
    #[error("invalid telephone number: {0}")]
    Tn(#[from] TnError),
    /// A key or certificate could not be read or is not an ECDSA P-256 key.
    #[error("unusable key or certificate: {0}")]
    Key(String),
    /// The certificate referenced by `x5u` is not in the store: fetch it, insert it, retry.
    #[error("certificate needed: {url}")]
    CertificateNeeded {
        /// The `x5u` URL to fetch.
        url: String,
    },
    /// The chain of `x5u` was not there within the verifier's fetch budget
    /// ([`VerifierConfig::fetch_budget`](crate::VerifierConfig::fetch_budget)): the fetch
    /// goes on in the background and serves a later call. SIP 436; when the verifier is
    /// configured to let such calls through ([`no_tn_validation`](Error::verstat)), the
    /// `verstat` is `No-TN-Validation` rather than `TN-Validation-Failed`.
    #[error("certificate pending: {url} not fetched within the {budget_ms} ms budget")]
    CertificatePending {
        /// The `x5u` URL being fetched.
        url: String,
        /// The call-path budget that ran out, in milliseconds.
        budget_ms: u64,
        /// Mark the call `No-TN-Validation` instead of rejecting it
        /// ([`BudgetOutcome::NoTnValidation`](crate::verify::BudgetOutcome::NoTnValidation)).
        no_tn_validation: bool,
    },
    /// The certificate chain behind `x5u` is not acceptable.
    #[error("{problem}: {detail}")]
    Cert {
        /// What kind of problem.
        problem: CertProblem,
        /// Details.
        detail: String,
    },
    /// The certificate's TNAuthList does not cover the token's `orig` number.
    #[error("the certificate does not authorise orig {tn:?}")]
    TnNotAuthorized {
        /// The originating number of the token.
        tn: String,
    },
    /// A claim violates a JWTClaimConstraints / EnhancedJWTClaimConstraints extension of
    /// the certificate (RFC 8226 §8, RFC 9118).
    #[error("claim constraint violated: {0}")]
    ClaimConstraint(String),
    /// The data to sign is incomplete or inconsistent (signing side only).
    #[error("cannot sign: {0}")]
    Sign(String),
}

impl Error {
    /// A stable, machine-readable identifier of the error kind (used by test vectors,
    /// the C API and `cliauth verify --json`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NoIdentity => "no_identity",
            Error::IdentitySyntax(_) => "identity_syntax",
            Error::BadInfo(_) => "bad_info",
            Error::Limit { .. } => "limit",
            Error::TokenFormat { .. } => "token_format",
            Error::Json { .. } => "json",
            Error::DuplicateMember { .. } => "duplicate_member",
            Error::UnsupportedAlg(_) => "unsupported_alg",
            Error::Header(_) => "header",
            Error::UnsupportedPpt(_) => "unsupported_ppt",
            Error::Claims(_) => "claims",
            Error::Signature => "signature",
            Error::Stale { .. } => "stale",
            Error::Future { .. } => "future",
            Error::OrigMismatch { .. } => "orig_mismatch",
            Error::DestMismatch { .. } => "dest_mismatch",
            Error::Tn(_) => "tn",
            Error::Key(_) => "key",
            Error::CertificateNeeded { .. } => "certificate_needed",
            Error::CertificatePending { .. } => "certificate_pending",
            Error::Sign(_) => "sign",
            Error::Cert { problem, .. } => problem.as_str(),
            Error::TnNotAuthorized { .. } => "tn_not_authorized",
            Error::ClaimConstraint(_) => "claim_constraint",
        }
    }

    /// The SIP response a verification service sends (or reports in a `Reason` header)
    /// for this error.
    ///
    /// | kinds | status |
    /// |---|---|
    /// | `no_identity` | 428 Use Identity Header |
    /// | `bad_info`, `certificate_needed`, `certificate_pending` | 436 Bad Identity Info |
    /// | `unsupported_alg`, `key`, `cert_*` | 437 Unsupported Credential |
    /// | `stale`, `future` | 403 Stale Date |
    /// | everything else | 438 Invalid Identity Header |
    pub fn sip_status(&self) -> SipStatus {
        match self {
            Error::NoIdentity => SipStatus::UseIdentityHeader,
            Error::BadInfo(_)
            | Error::CertificateNeeded { .. }
            | Error::CertificatePending { .. } => SipStatus::BadIdentityInfo,
            Error::UnsupportedAlg(_) | Error::Key(_) | Error::Cert { .. } => {
                SipStatus::UnsupportedCredential
            }
            Error::Stale { .. } | Error::Future { .. } => SipStatus::StaleDate,
            _ => SipStatus::InvalidIdentityHeader,
        }
    }

    /// The numeric SIP status code (403, 428, 436, 437 or 438).
    pub fn sip_code(&self) -> u16 {
        self.sip_status().code()
    }

    /// The SIP reason phrase that goes with [`Error::sip_code`].
    pub fn reason(&self) -> &'static str {
        self.sip_status().reason()
    }

    /// The `verstat` value to mark the caller with when the call is not rejected:
    /// `No-TN-Validation` when no verification took place (no Identity header, or a
    /// certificate still pending under [`BudgetOutcome::NoTnValidation`]), else
    /// `TN-Validation-Failed`.
    ///
    /// [`BudgetOutcome::NoTnValidation`]: crate::verify::BudgetOutcome::NoTnValidation
    pub fn verstat(&self) -> Verstat {
        match self {
            Error::NoIdentity => Verstat::NoTnValidation,
            Error::CertificatePending {
                no_tn_validation: true,
                ..
            } => Verstat::NoTnValidation,
            _ => Verstat::TnValidationFailed,
        }
    }

    /// A `Reason` header value reporting this error (RFC 8224 §6.2.2, ATIS-1000074),
    /// e.g. `SIP;cause=438;text="Invalid Identity Header"`.
    pub fn reason_header(&self) -> String {
        format!("SIP;cause={};text=\"{}\"", self.sip_code(), self.reason())
    }

    pub(crate) fn cert(problem: CertProblem, detail: impl Into<String>) -> Error {
        Error::Cert {
            problem,
            detail: detail.into(),
        }
    }

    pub(crate) fn claims(msg: impl Into<String>) -> Error {
        Error::Claims(msg.into())
    }

    pub(crate) fn format(part: Part, detail: impl Into<String>) -> Error {
        Error::TokenFormat {
            part,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_mapping() {
        assert_eq!(Error::NoIdentity.sip_code(), 428);
        assert_eq!(Error::NoIdentity.verstat(), Verstat::NoTnValidation);
        assert_eq!(Error::BadInfo("x".into()).sip_code(), 436);
        assert_eq!(Error::UnsupportedAlg("HS256".into()).sip_code(), 437);
        assert_eq!(Error::Signature.sip_code(), 438);
        assert_eq!(Error::Signature.reason(), "Invalid Identity Header");
        assert_eq!(Error::Signature.verstat(), Verstat::TnValidationFailed);
        let stale = Error::Stale {
            iat: 1,
            age: 100,
            max_age: 60,
        };
        assert_eq!(stale.sip_code(), 403);
        assert_eq!(stale.reason(), "Stale Date");
        assert_eq!(
            Error::Signature.reason_header(),
            "SIP;cause=438;text=\"Invalid Identity Header\""
        );
    }
}
