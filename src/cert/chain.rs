//! Certificate chain validation to configured STI-CA trust anchors, with CRLs.
//!
//! Path building, signatures, validity periods, basicConstraints and pathLen, name
//! chaining and CRL checking are rustls-webpki's (on ring). Signature algorithms accepted
//! in the chain: ECDSA P-256 and P-384 with SHA-256 or SHA-384, and RSA PKCS#1 (2048–8192
//! bits, SHA-256/384/512) — real STI-CA hierarchies need all of them. The end-entity key
//! itself must be ECDSA P-256, since a PASSporT is ES256 only. On top of webpki this module
//! checks what it leaves out: every CA certificate in the path that carries a keyUsage
//! extension must allow keyCertSign; the end-entity's keyUsage, when present, must allow
//! digitalSignature. Chains webpki refuses only for a critical certificatePolicies, NULL
//! ECDSA parameters or a P-521 key go through the fallback validator (`fallback.rs`).

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator,
    KeyPurposeIdIter, OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder,
    UnknownStatusPolicy,
};

use std::sync::Arc;

use crate::error::{CertProblem, CertReason, Error, LimitKind};
use crate::key::VerifyingKey;
use crate::limits::{MAX_CHAIN_CERTS, MAX_CRL_BYTES};

pub use super::path::ValidPath;

/// Parses CRL input (PEM `X509 CRL` blocks or one DER CRL), all or nothing: DER, webpki's
/// form and the issuer and times of each.
#[allow(clippy::type_complexity)]
fn parse_crls(input: &[u8]) -> Result<Vec<(Vec<u8>, CertRevocationList<'static>, CrlInfo)>, Error> {
    if input.len() > MAX_CRL_BYTES {
        return Err(Error::Limit {
            what: LimitKind::Crl,
            limit: MAX_CRL_BYTES,
        });
    }
    let ders: Vec<Vec<u8>> = if crate::pemtext::is_pem(input) {
        crate::pemtext::blocks(input)
            .map_err(|e| malformed("CRL PEM", e))?
            .into_iter()
            .filter(|(label, _)| label == "X509 CRL")
            .map(|(_, der)| der)
            .collect()
    } else {
        vec![input.to_vec()]
    };
    if ders.is_empty() {
        return Err(Error::cert(CertProblem::Malformed, CertReason::NoCrl));
    }
    let mut out = Vec::with_capacity(ders.len());
    for der in ders {
        let crl = OwnedCertRevocationList::from_der(&der)
            .map_err(|e| malformed("CRL", webpki_text(&e)))?;
        let info = CrlInfo::of(&der)?;
        out.push((der, CertRevocationList::Owned(crl), info));
    }
    Ok(out)
}

/// The signature algorithms accepted inside a certificate chain.
static CHAIN_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
];

/// STI certificates carry no extended key usage requirement: accept any (or none).
struct AnyEku;

impl ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, _iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// What to do with a certificate covered by a CRL that is past its nextUpdate (an expired
/// CRL: the CA has published, or should have published, a newer one that may list more
/// revocations).
///
/// The default is [`CrlExpiry::FailClosed`]: an expired CRL says nothing about
/// revocations made since, and a verifier that accepted anyway could be kept accepting a
/// revoked certificate by anyone able to block its CRL refresh. Operators who prefer
/// availability to that guarantee choose [`CrlExpiry::Lenient`] and watch the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CrlExpiry {
    /// Reject a chain with a certificate whose issuer's CRL is expired: [`Error::Cert`]
    /// with [`CertReason::CrlExpired`] (SIP 437).
    #[default]
    FailClosed,
    /// Accept it (the certificates the expired CRL lists stay revoked), and report the
    /// expired CRL as a fault: [`ValidPath::crl_faults`], [`Credential::crl_faults`], and
    /// `crl_expired` among [`Credential::fault_ids`].
    ///
    /// [`Credential::crl_faults`]: crate::cert::Credential::crl_faults
    /// [`Credential::fault_ids`]: crate::cert::Credential::fault_ids
    Lenient,
}

/// What the store knows of one configured CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlInfo {
    /// The issuer's name as DER (what a certificate's issuer field is compared with).
    pub issuer_raw: Vec<u8>,
    /// The issuer's name (RFC 4514 form).
    pub issuer: String,
    /// thisUpdate (Unix seconds).
    pub this_update: i64,
    /// nextUpdate (Unix seconds), when the CRL has one.
    pub next_update: Option<i64>,
}

impl CrlInfo {
    /// Reads the issuer and times of a DER CRL.
    pub(crate) fn of(der: &[u8]) -> Result<CrlInfo, Error> {
        let (_, crl) = x509_parser::parse_x509_crl(der)
            .map_err(|e| malformed("CRL", super::sticert::x509_text(&e)))?;
        Ok(CrlInfo {
            issuer_raw: crl.issuer().as_raw().to_vec(),
            issuer: crl.issuer().to_string(),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
        })
    }

    /// Whether the CRL is past its nextUpdate at `now`.
    pub fn expired_at(&self, now: i64) -> bool {
        self.next_update.is_some_and(|n| now > n)
    }
}

/// Trust anchors (STI-CA root certificates) and CRLs: what a chain is validated against.
///
/// Cloning is cheap (the parsed CRLs are shared): [`crate::cert::CrlRefresher`] builds a
/// new store from the current one with some CRLs replaced, and swaps it into the
/// [`crate::cert::CertStore`] with [`crate::cert::CertStore::replace_trust`].
#[derive(Debug, Default, Clone)]
pub struct TrustStore {
    anchors: Vec<TrustAnchor<'static>>,
    crls: Vec<Arc<CertRevocationList<'static>>>,
    /// The same anchors and CRLs as DER, for the fallback validator.
    anchor_ders: Vec<Vec<u8>>,
    crl_ders: Vec<Vec<u8>>,
    /// Issuer and times of each CRL (same order as `crls`).
    crl_info: Vec<CrlInfo>,
    crl_expiry: CrlExpiry,
}

impl TrustStore {
    /// An empty store: nothing validates until an anchor is added.
    pub fn new() -> TrustStore {
        TrustStore::default()
    }

    /// Adds the trust anchors in `input` (PEM bundle or one DER certificate); returns how
    /// many were added.
    pub fn add_anchors(&mut self, input: &[u8]) -> Result<usize, Error> {
        let certs = super::sticert::parse_chain(input)?;
        // All or nothing: a caller that sees an error must find the store unchanged.
        let mut anchors = Vec::with_capacity(certs.len());
        for cert in &certs {
            let cd = CertificateDer::from(cert.der());
            let ta = webpki::anchor_from_trusted_cert(&cd)
                .map_err(|e| malformed("trust anchor", webpki_text(&e)))?;
            anchors.push(ta.to_owned());
        }
        self.anchors.extend(anchors);
        self.anchor_ders
            .extend(certs.iter().map(|c| c.der().to_vec()));
        Ok(certs.len())
    }

    /// Adds the CRLs in `input` (PEM `X509 CRL` blocks or one DER CRL); returns how many
    /// were added. Each CRL's signature is checked when a chain is validated against it.
    pub fn add_crls(&mut self, input: &[u8]) -> Result<usize, Error> {
        let parsed = parse_crls(input)?;
        let n = parsed.len();
        for (der, crl, info) in parsed {
            self.crls.push(Arc::new(crl));
            self.crl_ders.push(der);
            self.crl_info.push(info);
        }
        Ok(n)
    }

    /// Replaces, for the issuer of each CRL in `input`, every CRL of that issuer by the
    /// new one (the others stay); returns how many were added. All or nothing. The CRLs'
    /// signatures are not checked here (see [`crate::cert::crl::check_crl`], which the
    /// refresher runs before calling this).
    pub fn replace_crls(&mut self, input: &[u8]) -> Result<usize, Error> {
        let parsed = parse_crls(input)?;
        let n = parsed.len();
        for (_, _, info) in &parsed {
            self.remove_crls_of(&info.issuer_raw);
        }
        for (der, crl, info) in parsed {
            self.crls.push(Arc::new(crl));
            self.crl_ders.push(der);
            self.crl_info.push(info);
        }
        Ok(n)
    }

    /// Removes every CRL whose issuer name (DER) is `issuer_raw`; returns how many.
    pub fn remove_crls_of(&mut self, issuer_raw: &[u8]) -> usize {
        let before = self.crls.len();
        let keep: Vec<bool> = self
            .crl_info
            .iter()
            .map(|i| i.issuer_raw != issuer_raw)
            .collect();
        let mut k = keep.iter();
        self.crls.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        self.crl_ders.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        self.crl_info.retain(|_| *k.next().unwrap_or(&true));
        before - self.crls.len()
    }

    /// Sets what an expired CRL does to the chains it covers (default
    /// [`CrlExpiry::FailClosed`]).
    pub fn set_crl_expiry(&mut self, policy: CrlExpiry) {
        self.crl_expiry = policy;
    }

    /// The expired-CRL policy.
    pub fn crl_expiry(&self) -> CrlExpiry {
        self.crl_expiry
    }

    /// The configured CRLs' issuers and times, in the order they were added.
    pub fn crls(&self) -> &[CrlInfo] {
        &self.crl_info
    }

    /// The configured CRLs as DER, in the same order as [`TrustStore::crls`].
    pub fn crl_ders(&self) -> &[Vec<u8>] {
        &self.crl_ders
    }

    /// The trust anchors as DER certificates, in the order they were added.
    pub fn anchor_ders(&self) -> &[Vec<u8>] {
        &self.anchor_ders
    }

    /// How many trust anchors are configured.
    pub fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    /// Validates `chain` (DER certificates, end-entity first, then intermediates in any
    /// order) at `now` (seconds since the Unix epoch). Returns the end-entity key and the
    /// time at which the first certificate of the validated path expires; under
    /// [`CrlExpiry::Lenient`], also the expired CRLs that cover the chain
    /// ([`ValidPath::crl_faults`]).
    pub fn validate(&self, chain: &[&[u8]], now: i64) -> Result<ValidPath, Error> {
        match self.validate_path(chain, now) {
            Ok(path) if self.crl_expiry == CrlExpiry::Lenient => {
                let faults = self.expired_crls_for(chain, now);
                Ok(path.with_crl_faults(faults))
            }
            Ok(path) => Ok(path),
            // webpki does not say whose CRL expired: name it from what the store knows.
            Err(Error::Cert {
                problem,
                reason:
                    CertReason::CrlExpired {
                        issuer: None,
                        next_update,
                        now: at,
                    },
            }) => {
                let issuer = self
                    .crl_info
                    .iter()
                    .find(|i| i.next_update == Some(next_update))
                    .map(|i| i.issuer.clone());
                Err(Error::cert(
                    problem,
                    CertReason::CrlExpired {
                        issuer,
                        next_update,
                        now: at,
                    },
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// The expired CRLs (as [`CertReason::CrlExpired`]) issued by the issuer of a
    /// certificate of `chain`.
    fn expired_crls_for(&self, chain: &[&[u8]], now: i64) -> Vec<CertReason> {
        let issuers: Vec<Vec<u8>> = chain
            .iter()
            .filter_map(|der| {
                let (_, x) = x509_parser::parse_x509_certificate(der).ok()?;
                Some(x.issuer().as_raw().to_vec())
            })
            .collect();
        self.crl_info
            .iter()
            .filter(|i| i.expired_at(now) && issuers.contains(&i.issuer_raw))
            .map(|i| CertReason::CrlExpired {
                issuer: Some(i.issuer.clone()),
                next_update: i.next_update.unwrap_or(i64::MIN),
                now,
            })
            .collect()
    }

    fn validate_path(&self, chain: &[&[u8]], now: i64) -> Result<ValidPath, Error> {
        let (ee_der, rest) = chain
            .split_first()
            .ok_or_else(|| Error::cert(CertProblem::Malformed, CertReason::EmptyChain))?;
        if chain.len() > MAX_CHAIN_CERTS {
            return Err(Error::Limit {
                what: LimitKind::Chain,
                limit: MAX_CHAIN_CERTS,
            });
        }
        if self.anchors.is_empty() {
            return Err(Error::cert(
                CertProblem::Untrusted,
                CertReason::NoTrustAnchors,
            ));
        }
        let ee_cd = CertificateDer::from(*ee_der);
        let ee = match EndEntityCert::try_from(&ee_cd) {
            Ok(ee) => ee,
            Err(e) if wants_fallback(&e) => return self.validate_fallback(chain, now, e),
            Err(e) => return Err(map_webpki(e, chain)),
        };
        let intermediates: Vec<CertificateDer<'_>> =
            rest.iter().map(|d| CertificateDer::from(*d)).collect();
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.max(0) as u64));
        let crl_refs: Vec<&CertRevocationList<'_>> = self.crls.iter().map(|c| &**c).collect();
        let revocation = if crl_refs.is_empty() {
            None
        } else {
            Some(
                RevocationOptionsBuilder::new(&crl_refs)
                    .map_err(|_| Error::cert(CertProblem::Malformed, CertReason::NoCrl))?
                    .with_depth(RevocationCheckDepth::Chain)
                    .with_status_policy(UnknownStatusPolicy::Allow)
                    .with_expiration_policy(match self.crl_expiry {
                        CrlExpiry::FailClosed => ExpirationPolicy::Enforce,
                        CrlExpiry::Lenient => ExpirationPolicy::Ignore,
                    })
                    .build(),
            )
        };
        let path = match ee.verify_for_usage(
            CHAIN_ALGS,
            &self.anchors,
            &intermediates,
            time,
            AnyEku,
            revocation,
            None,
        ) {
            Ok(path) => path,
            Err(e) if wants_fallback(&e) => return self.validate_fallback(chain, now, e),
            Err(e) => return Err(map_webpki(e, chain)),
        };

        // What webpki leaves to us: key usage, and the earliest expiry in the path.
        let mut not_after = i64::MAX;
        let mut not_before = i64::MIN;
        let (_, ee_x509) = x509_parser::parse_x509_certificate(ee_der)
            .map_err(|e| malformed("end entity", super::sticert::x509_text(&e)))?;
        if let Ok(Some(ku)) = ee_x509.key_usage()
            && !ku.value.digital_signature()
        {
            return Err(Error::cert(
                CertProblem::Invalid,
                CertReason::KeyUsage {
                    cert: Some(ee_x509.subject().to_string()),
                    required: "digitalSignature",
                },
            ));
        }
        not_after = not_after.min(ee_x509.validity().not_after.timestamp());
        not_before = not_before.max(ee_x509.validity().not_before.timestamp());
        let key = VerifyingKey::from_spki(ee_x509.public_key())?;
        for ca in path.intermediate_certificates() {
            let ca_der = ca.der();
            let (_, x) = x509_parser::parse_x509_certificate(ca_der.as_ref())
                .map_err(|e| malformed("intermediate", super::sticert::x509_text(&e)))?;
            if let Ok(Some(ku)) = x.key_usage()
                && !ku.value.key_cert_sign()
            {
                return Err(Error::cert(
                    CertProblem::Invalid,
                    CertReason::KeyUsage {
                        cert: Some(x.subject().to_string()),
                        required: "keyCertSign",
                    },
                ));
            }
            not_after = not_after.min(x.validity().not_after.timestamp());
            not_before = not_before.max(x.validity().not_before.timestamp());
        }
        Ok(ValidPath::new(key, not_before, not_after))
    }

    /// Runs the fallback validator on a chain webpki refused with `refusal`; when the
    /// fallback finds no path either, webpki's "unknown issuer" stands.
    fn validate_fallback(
        &self,
        chain: &[&[u8]],
        now: i64,
        refusal: webpki::Error,
    ) -> Result<ValidPath, Error> {
        let inputs = super::fallback::Inputs {
            anchors: &self.anchor_ders,
            crls: &self.crl_ders,
            ignore_crl_expiry: self.crl_expiry == CrlExpiry::Lenient,
        };
        super::fallback::validate(&inputs, chain, now).map_err(|e| match e {
            Error::Cert {
                problem: CertProblem::Untrusted,
                ..
            } if matches!(refusal, webpki::Error::UnknownIssuer) => map_webpki(refusal, chain),
            e => e,
        })
    }
}

/// Whether webpki refused for a reason the fallback validator handles (see
/// [`super::fallback`]): a critical extension it does not know, a signature algorithm or
/// key it does not support, or no issuer (a P-521 anchor looks like that).
fn wants_fallback(e: &webpki::Error) -> bool {
    use webpki::Error as W;
    matches!(
        e,
        W::UnsupportedCriticalExtension
            | W::UnsupportedSignatureAlgorithmContext(_)
            | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | W::UnsupportedCrlSignatureAlgorithmContext(_)
            | W::UnknownIssuer
    )
}

fn malformed(what: &'static str, detail: String) -> Error {
    Error::cert(
        CertProblem::Malformed,
        CertReason::Malformed { what, detail },
    )
}

/// A webpki error in words (its `Display` is its `Debug`).
fn webpki_text(e: &webpki::Error) -> String {
    let (_, reason) = webpki_reason(e, &[]);
    reason.to_string()
}

/// The subject of the first certificate of `chain` for which `pred` holds.
fn find_subject(
    chain: &[&[u8]],
    pred: impl Fn(&x509_parser::certificate::X509Certificate<'_>) -> bool,
) -> Option<String> {
    chain.iter().find_map(|der| {
        let (_, x) = x509_parser::parse_x509_certificate(der).ok()?;
        pred(&x).then(|| x.subject().to_string())
    })
}

/// webpki's refusal as a problem and a typed reason; `chain` (end entity first) is used
/// to name the certificate concerned where webpki does not.
#[allow(deprecated)]
fn webpki_reason(e: &webpki::Error, chain: &[&[u8]]) -> (CertProblem, CertReason) {
    use webpki::Error as W;
    let secs = |t: &UnixTime| i64::try_from(t.as_secs()).unwrap_or(i64::MAX);
    let rejected = |what| (CertProblem::Invalid, CertReason::Rejected { what });
    let unsupported = |what: &str| {
        (
            CertProblem::Signature,
            CertReason::UnsupportedAlgorithm { what: what.into() },
        )
    };
    let bad_der = |what: &'static str| {
        (
            CertProblem::Malformed,
            CertReason::Malformed {
                what: "certificate",
                detail: what.into(),
            },
        )
    };
    match e {
        W::UnknownIssuer => (CertProblem::Untrusted, CertReason::UnknownIssuer),
        W::CertDistrusted => (CertProblem::Untrusted, CertReason::Distrusted),
        W::CertExpired { time, not_after } => {
            let (now, na) = (secs(time), secs(not_after));
            let cert = find_subject(chain, |x| x.validity().not_after.timestamp() == na);
            (
                CertProblem::Expired,
                CertReason::Expired {
                    cert,
                    not_after: na,
                    now,
                },
            )
        }
        W::CertNotValidYet { time, not_before } => {
            let (now, nb) = (secs(time), secs(not_before));
            let cert = find_subject(chain, |x| x.validity().not_before.timestamp() == nb);
            (
                CertProblem::NotYetValid,
                CertReason::NotYetValid {
                    cert,
                    not_before: nb,
                    now,
                },
            )
        }
        W::CertRevoked => (
            CertProblem::Revoked,
            CertReason::Revoked {
                cert: None,
                serial: None,
            },
        ),
        W::CrlExpired { time, next_update } => (
            CertProblem::Invalid,
            CertReason::CrlExpired {
                issuer: None,
                next_update: secs(next_update),
                now: secs(time),
            },
        ),
        W::InvalidSignatureForPublicKey => (
            CertProblem::Signature,
            CertReason::BadSignature { cert: None },
        ),
        W::InvalidCrlSignatureForPublicKey => (
            CertProblem::Signature,
            CertReason::CrlBadSignature { issuer: None },
        ),
        W::UnsupportedSignatureAlgorithmContext(_) | W::UnsupportedSignatureAlgorithm => {
            unsupported("signature algorithm")
        }
        W::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey => {
            unsupported("signature algorithm for the issuer's key")
        }
        W::UnsupportedCrlSignatureAlgorithmContext(_) | W::UnsupportedCrlSignatureAlgorithm => {
            unsupported("CRL signature algorithm")
        }
        W::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_)
        | W::UnsupportedCrlSignatureAlgorithmForPublicKey => {
            unsupported("CRL signature algorithm for the issuer's key")
        }
        W::SignatureAlgorithmMismatch => unsupported("inner and outer signature algorithms differ"),
        W::BadDer => bad_der("bad DER"),
        W::BadDerTime => bad_der("bad DER time"),
        W::TrailingData(_) => bad_der("trailing data"),
        W::UnsupportedCertVersion => (
            CertProblem::Malformed,
            CertReason::UnsupportedVersion { cert: None },
        ),
        W::CaUsedAsEndEntity => (CertProblem::Invalid, CertReason::CaUsedAsEndEntity),
        W::EndEntityUsedAsCa => (
            CertProblem::Invalid,
            CertReason::EndEntityUsedAsCa { cert: None },
        ),
        W::PathLenConstraintViolated => (
            CertProblem::Invalid,
            CertReason::PathLenExceeded { cert: None },
        ),
        W::UnsupportedCriticalExtension => (
            CertProblem::Invalid,
            CertReason::UnsupportedCriticalExtension {
                cert: None,
                oid: None,
            },
        ),
        W::IssuerNotCrlSigner => (
            CertProblem::Invalid,
            CertReason::IssuerNotCrlSigner { issuer: None },
        ),
        W::MaximumPathBuildCallsExceeded
        | W::MaximumPathDepthExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => {
            (CertProblem::Invalid, CertReason::PathTooComplex)
        }
        W::InvalidCertValidity => rejected("a validity period ends before it starts"),
        W::NameConstraintViolation => rejected("a name constraint is violated"),
        W::MalformedExtensions | W::ExtensionValueInvalid => rejected("a malformed extension"),
        W::MalformedNameConstraint | W::InvalidNetworkMaskConstraint => {
            rejected("a malformed name constraint")
        }
        W::InvalidSerialNumber => rejected("an invalid serial number"),
        W::UnsupportedNameType => rejected("an unsupported name type"),
        W::EmptyEkuExtension => rejected("an empty extendedKeyUsage"),
        W::UnknownRevocationStatus => rejected("unknown revocation status"),
        W::InvalidCrlNumber
        | W::UnsupportedCrlVersion
        | W::UnsupportedDeltaCrl
        | W::UnsupportedIndirectCrl
        | W::UnsupportedRevocationReason
        | W::UnsupportedRevocationReasonsPartitioning
        | W::UnsupportedCrlIssuingDistributionPoint => rejected("an unsupported CRL"),
        _ => rejected("an unsupported certificate feature"),
    }
}

fn map_webpki(e: webpki::Error, chain: &[&[u8]]) -> Error {
    let (problem, reason) = webpki_reason(&e, chain);
    Error::cert(problem, reason)
}
