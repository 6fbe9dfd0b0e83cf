//! [`ValidPath`]: what a path validator (webpki in `chain.rs`, or the fallback validator in
//! `fallback.rs`) vouches for. Its own module so that neither validator imports the other
//! for it.

use crate::error::CertReason;
use crate::key::VerifyingKey;

/// The outcome of a successful chain validation. Only the validators make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPath {
    key: VerifyingKey,
    not_before: i64,
    not_after: i64,
    crl_faults: Vec<CertReason>,
}

impl ValidPath {
    /// A validated path's outcome; `pub(crate)`: only a validator may vouch for a path.
    pub(crate) fn new(key: VerifyingKey, not_before: i64, not_after: i64) -> ValidPath {
        ValidPath {
            key,
            not_before,
            not_after,
            crl_faults: Vec::new(),
        }
    }

    /// The same path with the expired CRLs that were tolerated
    /// ([`crate::cert::CrlExpiry::Lenient`]).
    pub(crate) fn with_crl_faults(mut self, faults: Vec<CertReason>) -> ValidPath {
        self.crl_faults = faults;
        self
    }

    /// The expired CRLs covering the path that were tolerated under
    /// [`crate::cert::CrlExpiry::Lenient`] (each a [`CertReason::CrlExpired`]); empty under
    /// the default policy, which rejects such a path instead.
    pub fn crl_faults(&self) -> &[CertReason] {
        &self.crl_faults
    }

    /// The end-entity certificate's public key (ECDSA P-256).
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// When the last certificate of the path (end entity or intermediate) becomes valid,
    /// seconds since the Unix epoch.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// When the first certificate of the path (end entity or intermediate) expires,
    /// seconds since the Unix epoch.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }
}
