//! Error type of the STI certificate layer: everything that can go wrong while
//! parsing STI certificates and chains, decoding or encoding the RFC 8226 /
//! RFC 9118 certificate extensions (TNAuthList, JWTClaimConstraints,
//! EnhancedJWTClaimConstraints), and checking PASSporT claims against claim
//! constraints.
//!
//! Profile faults (ATIS-1000080) are *not* errors: they are reported as a list
//! by the profile checker in `sticert/profile.rs`.

use thiserror::Error;

/// Errors of the STI certificate layer.
///
/// Every fallible function of this layer returns this type; none of them panics
/// on hostile input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CertError {
    /// The input is larger than the configured limit.
    #[error("{what} too large: {len} bytes, limit {limit}")]
    TooLarge {
        /// What was being parsed.
        what: &'static str,
        /// Size of the input in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },

    /// A chain holds more certificates than the configured limit.
    #[error("too many certificates in chain: limit {limit}")]
    TooManyCertificates {
        /// The maximum number of certificates accepted.
        limit: usize,
    },

    /// No certificate was found in the input.
    #[error("no certificate found")]
    NoCertificate,

    /// A PEM block could not be read (bad armour, bad base64, truncated).
    #[error("PEM: {0}")]
    Pem(String),

    /// A PEM block has a label other than `CERTIFICATE`.
    #[error("unexpected PEM label {0:?} (expected CERTIFICATE)")]
    UnexpectedPemLabel(String),

    /// The certificate is not a well-formed X.509 DER structure.
    #[error("X.509: {0}")]
    X509(String),

    /// Bytes follow the DER value where none are allowed.
    #[error("{what}: {count} trailing byte(s) after the DER value")]
    TrailingData {
        /// What was being parsed.
        what: &'static str,
        /// Number of unexpected bytes.
        count: usize,
    },

    /// An ASN.1 value could not be decoded (bad tag, bad length, truncated, ...).
    #[error("{what}: ASN.1 decoding failed: {detail}")]
    Asn1Decode {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's message.
        detail: String,
    },

    /// An ASN.1 value could not be encoded.
    #[error("{what}: ASN.1 encoding failed: {detail}")]
    Asn1Encode {
        /// What was being encoded.
        what: &'static str,
        /// The encoder's message.
        detail: String,
    },

    /// A `SEQUENCE SIZE (1..MAX)` was empty.
    #[error("{what} must not be empty")]
    EmptySequence {
        /// Which sequence was empty.
        what: &'static str,
    },

    /// A sequence holds more elements than this layer accepts.
    #[error("{what}: {count} entries exceed the limit of {limit}")]
    TooManyEntries {
        /// Which sequence.
        what: &'static str,
        /// Number of entries found.
        count: usize,
        /// The limit.
        limit: usize,
    },

    /// A TelephoneNumber is empty, longer than 15 characters, or has a
    /// character outside `0-9 # *`.
    #[error("invalid TelephoneNumber {value:?}: {reason}")]
    InvalidTelephoneNumber {
        /// The offending value (lossy if it was not ASCII).
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },

    /// A TelephoneNumberRange count is below 2 or does not fit in 64 bits.
    #[error("invalid TelephoneNumberRange count {0} (must be 2..=2^64-1)")]
    InvalidRangeCount(String),

    /// A string field holds a character its ASN.1 type does not allow.
    #[error("{what}: invalid character in {value:?}")]
    InvalidString {
        /// Which field.
        what: &'static str,
        /// The offending value (lossy).
        value: String,
    },

    /// A JWTClaimConstraints / EnhancedJWTClaimConstraints value has none of
    /// its optional components (the ASN.1 requires at least one).
    #[error("{what} has none of its components")]
    EmptyConstraints {
        /// Which extension.
        what: &'static str,
    },

    /// An RFC 8226 JWTClaimConstraints value cannot carry `mustExclude`.
    #[error("mustExclude is only defined for EnhancedJWTClaimConstraints (RFC 9118)")]
    MustExcludeNotAllowed,

    /// The PASSporT claims are not a JSON object.
    #[error("PASSporT claims are not a JSON object")]
    ClaimsNotObject,

    /// A claim the certificate requires (mustInclude, or iat/orig/dest) is absent.
    #[error("claim constraint violated: required claim {claim:?} is absent")]
    ClaimMissing {
        /// The missing claim name.
        claim: String,
    },

    /// A claim restricted by permittedValues has a value that is not listed.
    #[error(
        "claim constraint violated: claim {claim:?} has a value that is not permitted: {value}"
    )]
    ClaimValueNotPermitted {
        /// The claim name.
        claim: String,
        /// The value found, as compact JSON.
        value: String,
    },

    /// A claim listed in mustExclude (RFC 9118) is present.
    #[error("claim constraint violated: claim {claim:?} is excluded but present")]
    ClaimExcluded {
        /// The claim name.
        claim: String,
    },
}

impl CertError {
    /// Build an [`CertError::Asn1Decode`] from any displayable decoder error.
    pub(crate) fn decode(what: &'static str, err: impl core::fmt::Display) -> Self {
        let mut detail = err.to_string();
        // Keep messages bounded: decoder messages may quote input.
        if detail.len() > 300 {
            let mut cut = 300;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
            detail.push('…');
        }
        CertError::Asn1Decode { what, detail }
    }

    /// Build an [`CertError::Asn1Encode`] from any displayable encoder error.
    pub(crate) fn encode(what: &'static str, err: impl core::fmt::Display) -> Self {
        CertError::Asn1Encode {
            what,
            detail: err.to_string(),
        }
    }
}
