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

/// Why a certificate chain is not acceptable: the typed detail of [`Error::Cert`].
///
/// `cert` fields name the certificate concerned by its subject (RFC 4514 form), or are
/// `None` when the validator does not say which certificate of the chain it was.
/// Times are Unix seconds; [`std::fmt::Display`] writes them as RFC 3339 (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertReason {
    /// No trust anchor is configured.
    NoTrustAnchors,
    /// No path leads from the end entity to a configured trust anchor.
    UnknownIssuer,
    /// A certificate of the path is explicitly distrusted.
    Distrusted,
    /// A certificate expired.
    Expired {
        /// The certificate's subject.
        cert: Option<String>,
        /// Its notAfter.
        not_after: i64,
        /// The verification time.
        now: i64,
    },
    /// A certificate is not valid yet.
    NotYetValid {
        /// The certificate's subject.
        cert: Option<String>,
        /// Its notBefore.
        not_before: i64,
        /// The verification time.
        now: i64,
    },
    /// A certificate is revoked by a configured CRL.
    Revoked {
        /// The certificate's subject.
        cert: Option<String>,
        /// Its serial number (hex), when known.
        serial: Option<String>,
    },
    /// A configured CRL is past its nextUpdate.
    CrlExpired {
        /// The CRL issuer's subject.
        issuer: Option<String>,
        /// The CRL's nextUpdate.
        next_update: i64,
        /// The verification time.
        now: i64,
    },
    /// A signature in the chain (or on a CRL) does not verify.
    BadSignature {
        /// The certificate (or CRL issuer) whose signature failed.
        cert: Option<String>,
    },
    /// The signature of a configured CRL does not verify.
    CrlBadSignature {
        /// The CRL issuer's subject.
        issuer: Option<String>,
    },
    /// A signature algorithm or key type in the chain is not supported.
    UnsupportedAlgorithm {
        /// What is not supported.
        what: String,
    },
    /// The end-entity certificate is a CA certificate.
    CaUsedAsEndEntity,
    /// A certificate used as an issuer is not a CA.
    EndEntityUsedAsCa {
        /// The certificate's subject.
        cert: Option<String>,
    },
    /// A pathLenConstraint is exceeded.
    PathLenExceeded {
        /// The CA whose constraint is exceeded.
        cert: Option<String>,
    },
    /// A certificate has a critical extension the validator does not process.
    UnsupportedCriticalExtension {
        /// The certificate's subject.
        cert: Option<String>,
        /// The extension's OID, when known.
        oid: Option<String>,
    },
    /// A keyUsage extension lacks the bit the certificate's role needs.
    KeyUsage {
        /// The certificate's subject.
        cert: Option<String>,
        /// The usage required: `digitalSignature` (end entity) or `keyCertSign` (CA).
        required: &'static str,
    },
    /// The issuer of a CRL may not sign CRLs.
    IssuerNotCrlSigner {
        /// The CRL issuer's subject.
        issuer: Option<String>,
    },
    /// Path building stopped: too many candidate issuers or signature checks.
    PathTooComplex,
    /// The chain holds no certificate.
    EmptyChain,
    /// The input holds no CRL.
    NoCrl,
    /// A certificate is not X.509 version 3.
    UnsupportedVersion {
        /// The certificate's subject, when it could be read.
        cert: Option<String>,
    },
    /// Certificate, trust anchor or CRL data cannot be parsed.
    Malformed {
        /// What was being parsed (`end entity`, `trust anchor`, `CRL`, …).
        what: &'static str,
        /// The parser's message.
        detail: String,
    },
    /// The validator refused the chain for a reason not listed above.
    Rejected {
        /// What it refused, in words.
        what: &'static str,
    },
    /// The end-entity certificate has ATIS-1000080 profile faults (strict mode).
    ProfileFaults(Vec<&'static str>),
    /// The end-entity certificate has no TNAuthList extension.
    NoTnAuthList,
    /// The end-entity certificate's TNAuthList cannot be decoded.
    TnAuthListMalformed(String),
    /// Test PKI generation failed (feature `testpki`).
    TestPki(String),
    /// A CRL fetched from a certificate's distribution point is not issued by that
    /// certificate's issuer (indirect CRLs are not supported).
    CrlWrongIssuer {
        /// The issuer expected: the certificate's issuer.
        expected: String,
        /// The CRL's issuer.
        found: String,
    },
    /// A CRL's thisUpdate is after the verification time.
    CrlNotYetValid {
        /// The CRL issuer's subject.
        issuer: Option<String>,
        /// The CRL's thisUpdate.
        this_update: i64,
        /// The verification time.
        now: i64,
    },
    /// A fetched CRL is older (earlier thisUpdate) than the CRL of the same issuer already
    /// in use: it is not installed (a rollback would resurrect revoked certificates).
    CrlOlder {
        /// The CRL issuer's subject.
        issuer: Option<String>,
        /// The fetched CRL's thisUpdate.
        this_update: i64,
        /// The thisUpdate of the CRL in use.
        in_use: i64,
    },
}

impl CertReason {
    /// A stable snake_case identifier of the reason (finer than [`CertProblem`]).
    pub fn id(&self) -> &'static str {
        match self {
            CertReason::NoTrustAnchors => "no_trust_anchors",
            CertReason::UnknownIssuer => "unknown_issuer",
            CertReason::Distrusted => "distrusted",
            CertReason::Expired { .. } => "expired",
            CertReason::NotYetValid { .. } => "not_yet_valid",
            CertReason::Revoked { .. } => "revoked",
            CertReason::CrlExpired { .. } => "crl_expired",
            CertReason::BadSignature { .. } => "bad_signature",
            CertReason::CrlBadSignature { .. } => "crl_bad_signature",
            CertReason::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            CertReason::CaUsedAsEndEntity => "ca_used_as_end_entity",
            CertReason::EndEntityUsedAsCa { .. } => "end_entity_used_as_ca",
            CertReason::PathLenExceeded { .. } => "path_len_exceeded",
            CertReason::UnsupportedCriticalExtension { .. } => "unsupported_critical_extension",
            CertReason::KeyUsage { .. } => "key_usage",
            CertReason::IssuerNotCrlSigner { .. } => "issuer_not_crl_signer",
            CertReason::PathTooComplex => "path_too_complex",
            CertReason::EmptyChain => "empty_chain",
            CertReason::NoCrl => "no_crl",
            CertReason::UnsupportedVersion { .. } => "unsupported_version",
            CertReason::Malformed { .. } => "malformed",
            CertReason::Rejected { .. } => "rejected",
            CertReason::ProfileFaults(_) => "profile_faults",
            CertReason::NoTnAuthList => "no_tnauthlist",
            CertReason::TnAuthListMalformed(_) => "tnauthlist_malformed",
            CertReason::TestPki(_) => "test_pki",
            CertReason::CrlWrongIssuer { .. } => "crl_wrong_issuer",
            CertReason::CrlNotYetValid { .. } => "crl_not_yet_valid",
            CertReason::CrlOlder { .. } => "crl_older",
        }
    }
}

/// "certificate <subject>" or "a certificate of the chain".
struct Which<'a>(&'a Option<String>);

impl std::fmt::Display for Which<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(s) => write!(f, "certificate \"{s}\""),
            None => f.write_str("a certificate of the chain"),
        }
    }
}

/// A Unix time as RFC 3339 (UTC).
struct At(i64);

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::rfc3339::format(self.0))
    }
}

impl std::fmt::Display for CertReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertReason::NoTrustAnchors => f.write_str("no trust anchors are configured"),
            CertReason::UnknownIssuer => {
                f.write_str("the chain does not lead to a configured trust anchor")
            }
            CertReason::Distrusted => f.write_str("a certificate of the chain is distrusted"),
            CertReason::Expired {
                cert,
                not_after,
                now,
            } => write!(
                f,
                "{} expired at {} (verification time {})",
                Which(cert),
                At(*not_after),
                At(*now)
            ),
            CertReason::NotYetValid {
                cert,
                not_before,
                now,
            } => write!(
                f,
                "{} is not valid before {} (verification time {})",
                Which(cert),
                At(*not_before),
                At(*now)
            ),
            CertReason::Revoked { cert, serial } => {
                write!(f, "{} is revoked", Which(cert))?;
                if let Some(s) = serial {
                    write!(f, " (serial {s})")?;
                }
                Ok(())
            }
            CertReason::CrlExpired {
                issuer,
                next_update,
                now,
            } => {
                match issuer {
                    Some(i) => write!(f, "the CRL of \"{i}\"")?,
                    None => f.write_str("a CRL")?,
                }
                write!(
                    f,
                    " expired at {} (verification time {})",
                    At(*next_update),
                    At(*now)
                )
            }
            CertReason::BadSignature { cert } => {
                write!(f, "the signature of {} does not verify", Which(cert))
            }
            CertReason::CrlBadSignature { issuer } => match issuer {
                Some(i) => write!(f, "the signature of the CRL of \"{i}\" does not verify"),
                None => f.write_str("the signature of a CRL does not verify"),
            },
            CertReason::UnsupportedAlgorithm { what } => {
                write!(f, "unsupported algorithm in the chain: {what}")
            }
            CertReason::CaUsedAsEndEntity => {
                f.write_str("the end-entity certificate is a CA certificate")
            }
            CertReason::EndEntityUsedAsCa { cert } => {
                write!(f, "{} issues certificates but is not a CA", Which(cert))
            }
            CertReason::PathLenExceeded { cert } => write!(
                f,
                "the path is longer than the pathLenConstraint of {} allows",
                Which(cert)
            ),
            CertReason::UnsupportedCriticalExtension { cert, oid } => {
                write!(f, "{} has a critical extension", Which(cert))?;
                if let Some(o) = oid {
                    write!(f, " {o}")?;
                }
                f.write_str(" that the validator does not process")
            }
            CertReason::KeyUsage { cert, required } => write!(
                f,
                "the keyUsage of {} does not allow {required}",
                Which(cert)
            ),
            CertReason::IssuerNotCrlSigner { issuer } => {
                write!(f, "{} signs a CRL but may not (no cRLSign)", Which(issuer))
            }
            CertReason::PathTooComplex => {
                f.write_str("path building gave up: too many candidate issuers")
            }
            CertReason::EmptyChain => f.write_str("empty certificate chain"),
            CertReason::NoCrl => f.write_str("no X509 CRL in the input"),
            CertReason::UnsupportedVersion { cert } => {
                write!(f, "{} is not an X.509 version 3 certificate", Which(cert))
            }
            CertReason::Malformed { what, detail } => write!(f, "{what}: {detail}"),
            CertReason::Rejected { what } => write!(f, "chain refused: {what}"),
            CertReason::ProfileFaults(ids) => {
                write!(f, "certificate profile faults: {}", ids.join(", "))
            }
            CertReason::NoTnAuthList => f.write_str("the certificate has no TNAuthList"),
            CertReason::TnAuthListMalformed(e) => write!(f, "malformed TNAuthList: {e}"),
            CertReason::TestPki(e) => write!(f, "test PKI: {e}"),
            CertReason::CrlWrongIssuer { expected, found } => write!(
                f,
                "the CRL is issued by \"{found}\", not by the certificate's issuer \"{expected}\""
            ),
            CertReason::CrlNotYetValid {
                issuer,
                this_update,
                now,
            } => write!(
                f,
                "the CRL of {} is not valid before {} (verification time {})",
                Which(issuer),
                At(*this_update),
                At(*now)
            ),
            CertReason::CrlOlder {
                issuer,
                this_update,
                in_use,
            } => write!(
                f,
                "the CRL of {} issued {} is older than the one in use (issued {})",
                Which(issuer),
                At(*this_update),
                At(*in_use)
            ),
        }
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
    /// The token verified before for another call (another SIP Call-ID) and is still
    /// inside its freshness window: a replay (RFC 8224 §12.1, the cut-and-paste attack),
    /// caught by the verifier's [`VerdictCache`](crate::state::VerdictCache) in this
    /// process or through its shared ledger. SIP 438 (the header is not valid for this
    /// call, as with an `orig`/`dest` mismatch), `verstat` `TN-Validation-Failed`.
    #[error(
        "replay: the token (iat {iat}) already verified for another call within its freshness window (seen by {detected})"
    )]
    Replay {
        /// The token's `iat`.
        iat: i64,
        /// Where the earlier sighting was found: "this process" or "shared ledger".
        detected: String,
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
    #[error("{problem}: {reason}")]
    Cert {
        /// What kind of problem.
        problem: CertProblem,
        /// Why, as data.
        reason: CertReason,
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
            Error::Replay { .. } => "replay",
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
    /// | everything else (`replay` too) | 438 Invalid Identity Header |
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

    pub(crate) fn cert(problem: CertProblem, reason: CertReason) -> Error {
        Error::Cert { problem, reason }
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
