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

use crate::error::{CertProblem, CertReason, Error, LimitKind};
use crate::key::VerifyingKey;
use crate::limits::{MAX_CHAIN_CERTS, MAX_CRL_BYTES};

pub use super::path::ValidPath;

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

/// Trust anchors (STI-CA root certificates) and CRLs: what a chain is validated against.
#[derive(Debug, Default)]
pub struct TrustStore {
    anchors: Vec<TrustAnchor<'static>>,
    crls: Vec<CertRevocationList<'static>>,
    /// The same anchors and CRLs as DER, for the fallback validator.
    anchor_ders: Vec<Vec<u8>>,
    crl_ders: Vec<Vec<u8>>,
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
        if input.len() > MAX_CRL_BYTES {
            return Err(Error::Limit {
                what: LimitKind::Crl,
                limit: MAX_CRL_BYTES,
            });
        }
        let ders = if crate::pemtext::is_pem(input) {
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
        // All or nothing: a caller that sees an error must find the store unchanged.
        let mut crls = Vec::with_capacity(ders.len());
        for der in &ders {
            let crl = OwnedCertRevocationList::from_der(der)
                .map_err(|e| malformed("CRL", webpki_text(&e)))?;
            crls.push(CertRevocationList::Owned(crl));
        }
        let n = ders.len();
        self.crls.extend(crls);
        self.crl_ders.extend(ders);
        Ok(n)
    }

    /// How many trust anchors are configured.
    pub fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    /// Validates `chain` (DER certificates, end-entity first, then intermediates in any
    /// order) at `now` (seconds since the Unix epoch). Returns the end-entity key and the
    /// time at which the first certificate of the validated path expires.
    pub fn validate(&self, chain: &[&[u8]], now: i64) -> Result<ValidPath, Error> {
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
        let crl_refs: Vec<&CertRevocationList<'_>> = self.crls.iter().collect();
        let revocation = if crl_refs.is_empty() {
            None
        } else {
            Some(
                RevocationOptionsBuilder::new(&crl_refs)
                    .map_err(|_| Error::cert(CertProblem::Malformed, CertReason::NoCrl))?
                    .with_depth(RevocationCheckDepth::Chain)
                    .with_status_policy(UnknownStatusPolicy::Allow)
                    .with_expiration_policy(ExpirationPolicy::Enforce)
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
