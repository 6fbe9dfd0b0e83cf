//! STI certificates (RFC 8226, ATIS-1000080): the certificate model and its profile
//! checker, TNAuthList and claim constraints, chain validation to trust anchors with CRLs,
//! and the certificate store that caches validated `x5u` chains.
//!
//! A [`Credential`] is what the verifier keeps of a chain it validated: the end-entity key,
//! its parsed certificate (TNAuthList, constraints), the profile faults, and when the path
//! expires.

pub mod chain;
pub mod constraints;
pub mod crl;
pub mod error;
mod fallback;
pub mod path;
pub mod sticert;
pub mod store;
#[cfg(feature = "testpki")]
pub mod testpki;
pub mod tnauthlist;

pub use chain::{CrlExpiry, CrlInfo, TrustStore};
pub use constraints::{ClaimConstraints, ConstraintsKind, PermittedValues};
pub use crl::{CrlPolicy, CrlRefreshReport, CrlRefresher};
pub use error::CertError;
pub use path::ValidPath;
pub use sticert::{FaultKind, ProfileFault, StiCert, parse_chain};
pub use store::{CertStore, TrustSwap};
pub use tnauthlist::{Coverage, TnAuthList, TnEntry};

use crate::error::{CertProblem, CertReason, Error, LimitKind};
use crate::key::VerifyingKey;

/// A validated STI certificate chain: what a verifier needs to trust a PASSporT signed
/// with it.
///
/// The fields are private: a `Credential` exists only when [`Credential::validate`]
/// accepted a chain, so it always holds at least one certificate and its key is the
/// end-entity's key.
#[derive(Debug, Clone)]
pub struct Credential {
    key: VerifyingKey,
    not_before: i64,
    not_after: i64,
    chain: Vec<StiCert>,
    faults: Vec<ProfileFault>,
    crl_faults: Vec<CertReason>,
    chain_verified: bool,
}

impl Credential {
    /// Parses and validates a chain (PEM bundle or DER, end-entity first) against `trust`
    /// at `now`.
    pub fn validate(trust: &TrustStore, chain: &[u8], now: i64) -> Result<Credential, Error> {
        let chain = parse_chain(chain)?;
        Credential::from_parsed(trust, chain, now)
    }

    fn from_parsed(trust: &TrustStore, chain: Vec<StiCert>, now: i64) -> Result<Credential, Error> {
        let ders: Vec<&[u8]> = chain.iter().map(StiCert::der).collect();
        let path = trust.validate(&ders, now)?;
        // `parse_chain` never returns an empty chain; checked again so that no input
        // can reach an index panic.
        let faults = match chain.first() {
            Some(ee) => ee.check_profile(),
            None => return Err(CertError::NoCertificate.into()),
        };
        Ok(Credential {
            key: path.key().clone(),
            not_before: path.not_before(),
            not_after: path.not_after(),
            crl_faults: path.crl_faults().to_vec(),
            chain,
            faults,
            chain_verified: true,
        })
    }

    /// Validates this credential's chain again, against `trust` at `now` (after the trust
    /// anchors or CRLs changed): the chain as received, without parsing it again.
    pub fn revalidate(&self, trust: &TrustStore, now: i64) -> Result<Credential, Error> {
        Credential::from_parsed(trust, self.chain.clone(), now)
    }

    /// A credential from a certificate (or chain, end-entity first) whose path to a trust
    /// anchor is **not** checked: for a certificate obtained out of band when no trust
    /// anchor is at hand. What needs no chain is still enforced at each verification: the
    /// validity period of every certificate given, and the end-entity's TNAuthList (number
    /// authority) and claim constraints. [`Credential::chain_verified`] is `false`.
    pub fn without_chain_check(chain: &[u8]) -> Result<Credential, Error> {
        let chain = parse_chain(chain)?;
        let Some(ee) = chain.first() else {
            return Err(CertError::NoCertificate.into());
        };
        let key = VerifyingKey::from_cert_der(ee.der())?;
        let not_before = chain
            .iter()
            .map(StiCert::not_before)
            .max()
            .unwrap_or(i64::MIN);
        let not_after = chain
            .iter()
            .map(StiCert::not_after)
            .min()
            .unwrap_or(i64::MAX);
        let faults = ee.check_profile();
        Ok(Credential {
            key,
            not_before,
            not_after,
            chain,
            faults,
            crl_faults: Vec::new(),
            chain_verified: false,
        })
    }

    /// Whether the chain was validated to a trust anchor ([`Credential::validate`]), or
    /// taken as given ([`Credential::without_chain_check`]).
    pub fn chain_verified(&self) -> bool {
        self.chain_verified
    }

    /// The end-entity public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// When the last certificate of the validated path to become valid becomes valid
    /// (Unix seconds): before it, the credential is not usable.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// When the first certificate of the validated path expires (Unix seconds).
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// The chain as received, parsed: end-entity first (never empty).
    pub fn chain(&self) -> &[StiCert] {
        &self.chain
    }

    /// The ATIS-1000080 profile faults of the end-entity certificate.
    pub fn faults(&self) -> &[ProfileFault] {
        &self.faults
    }

    /// The end-entity certificate.
    pub fn end_entity(&self) -> &StiCert {
        // Non-empty by construction (see `validate`).
        &self.chain[0]
    }

    /// The service provider code of the end-entity's TNAuthList, if any.
    pub fn spc(&self) -> Option<&str> {
        self.end_entity().spc()
    }

    /// The expired CRLs covering the chain that were tolerated when it was validated
    /// ([`CrlExpiry::Lenient`]; each a [`CertReason::CrlExpired`]).
    pub fn crl_faults(&self) -> &[CertReason] {
        &self.crl_faults
    }

    /// The profile fault identifiers, then `crl_expired` for each tolerated expired CRL.
    pub fn fault_ids(&self) -> Vec<&'static str> {
        self.faults
            .iter()
            .map(ProfileFault::id)
            .chain(self.crl_faults.iter().map(CertReason::id))
            .collect()
    }

    /// Checks that every certificate of the validated path is valid at `now`: a
    /// credential kept for a long time (pinned, or cached) expires like its certificates.
    pub fn check_time(&self, now: i64) -> Result<(), Error> {
        if now > self.not_after {
            let cert = self
                .chain
                .iter()
                .find(|c| c.not_after() == self.not_after)
                .map(|c| c.subject().to_owned());
            return Err(Error::cert(
                CertProblem::Expired,
                CertReason::Expired {
                    cert,
                    not_after: self.not_after,
                    now,
                },
            ));
        }
        if now < self.not_before {
            let cert = self
                .chain
                .iter()
                .find(|c| c.not_before() == self.not_before)
                .map(|c| c.subject().to_owned());
            return Err(Error::cert(
                CertProblem::NotYetValid,
                CertReason::NotYetValid {
                    cert,
                    not_before: self.not_before,
                    now,
                },
            ));
        }
        Ok(())
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
            other => Error::cert(
                CertProblem::Malformed,
                CertReason::Malformed {
                    what: "certificate chain",
                    detail: other.to_string(),
                },
            ),
        }
    }
}
