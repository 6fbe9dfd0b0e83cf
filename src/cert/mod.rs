//! STI certificates (RFC 8226, ATIS-1000080): the certificate model and its profile
//! checker, TNAuthList and claim constraints, chain validation to trust anchors with CRLs,
//! and the certificate store that caches validated `x5u` chains.
//!
//! A [`Credential`] is what the verifier keeps of a chain it validated: the end-entity key,
//! its parsed certificate (TNAuthList, constraints), the profile faults, and when the path
//! expires.

pub mod chain;
pub mod constraints;
pub mod error;
mod fallback;
pub mod sticert;
pub mod store;
#[cfg(feature = "testpki")]
pub mod testpki;
pub mod tnauthlist;

pub use chain::{TrustStore, ValidPath};
pub use constraints::{ClaimConstraints, ConstraintsKind, PermittedValues};
pub use error::CertError;
pub use sticert::{FaultKind, ProfileFault, StiCert, parse_chain};
pub use store::CertStore;
pub use tnauthlist::{Coverage, TnAuthList, TnEntry};

use crate::error::{CertProblem, Error, LimitKind};
use crate::key::VerifyingKey;

/// A validated STI certificate chain: what a verifier needs to trust a PASSporT signed
/// with it.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The end-entity public key.
    pub key: VerifyingKey,
    /// When the first certificate of the validated path expires (Unix seconds).
    pub not_after: i64,
    /// The chain as received, parsed: end-entity first.
    pub chain: Vec<StiCert>,
    /// The ATIS-1000080 profile faults of the end-entity certificate.
    pub faults: Vec<ProfileFault>,
}

impl Credential {
    /// Parses and validates a chain (PEM bundle or DER, end-entity first) against `trust`
    /// at `now`.
    pub fn validate(trust: &TrustStore, chain: &[u8], now: i64) -> Result<Credential, Error> {
        let chain = parse_chain(chain)?;
        let ders: Vec<&[u8]> = chain.iter().map(StiCert::der).collect();
        let path = trust.validate(&ders, now)?;
        let faults = chain[0].check_profile();
        Ok(Credential {
            key: path.key,
            not_after: path.not_after,
            chain,
            faults,
        })
    }

    /// The end-entity certificate.
    pub fn end_entity(&self) -> &StiCert {
        &self.chain[0]
    }

    /// The service provider code of the end-entity's TNAuthList, if any.
    pub fn spc(&self) -> Option<&str> {
        self.end_entity().spc()
    }

    /// The profile fault identifiers.
    pub fn fault_ids(&self) -> Vec<&'static str> {
        self.faults.iter().map(ProfileFault::id).collect()
    }
}

impl From<CertError> for Error {
    fn from(e: CertError) -> Error {
        match e {
            CertError::TooLarge { limit, .. } => Error::Limit {
                what: LimitKind::Chain,
                limit,
            },
            CertError::TooManyCertificates { limit } => Error::Limit {
                what: LimitKind::Chain,
                limit,
            },
            CertError::ClaimsNotObject
            | CertError::ClaimMissing { .. }
            | CertError::ClaimValueNotPermitted { .. }
            | CertError::ClaimExcluded { .. } => Error::ClaimConstraint(e.to_string()),
            other => Error::cert(CertProblem::Malformed, other.to_string()),
        }
    }
}
