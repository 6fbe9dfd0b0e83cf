//! STI certificates (RFC 8226, ATIS-1000080): chain validation to trust anchors with CRLs,
//! and the certificate store that caches validated `x5u` chains.

pub mod chain;
pub mod store;

pub use chain::{TrustStore, ValidPath, parse_chain};
pub use store::CertStore;

use crate::error::Error;
use crate::key::VerifyingKey;

/// A validated STI certificate chain: what a verifier needs to trust a PASSporT signed
/// with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The end-entity public key.
    pub key: VerifyingKey,
    /// When the first certificate of the validated path expires (Unix seconds).
    pub not_after: i64,
    /// The chain as received (DER, end-entity first).
    pub chain: Vec<Vec<u8>>,
}

impl Credential {
    /// Parses and validates a chain (PEM bundle or DER) against `trust` at `now`.
    pub fn validate(trust: &TrustStore, chain: &[u8], now: i64) -> Result<Credential, Error> {
        let chain = parse_chain(chain)?;
        let path = trust.validate(&chain, now)?;
        Ok(Credential {
            key: path.key,
            not_after: path.not_after,
            chain,
        })
    }
}
