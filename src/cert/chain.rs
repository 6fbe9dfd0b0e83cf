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

use crate::error::{CertProblem, Error, LimitKind};
use crate::key::VerifyingKey;
use crate::limits::{MAX_CHAIN_CERTS, MAX_CRL_BYTES};

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

pub(crate) fn is_pem(input: &[u8]) -> bool {
    input.windows(11).any(|w| w == b"-----BEGIN ")
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
                .map_err(|e| Error::cert(CertProblem::Malformed, format!("trust anchor: {e}")))?;
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
        let ders = if is_pem(input) {
            pem::parse_many(input)
                .map_err(|e| Error::cert(CertProblem::Malformed, format!("bad PEM: {e}")))?
                .into_iter()
                .filter(|b| b.tag() == "X509 CRL")
                .map(pem::Pem::into_contents)
                .collect()
        } else {
            vec![input.to_vec()]
        };
        if ders.is_empty() {
            return Err(Error::cert(
                CertProblem::Malformed,
                "no X509 CRL in the input",
            ));
        }
        // All or nothing: a caller that sees an error must find the store unchanged.
        let mut crls = Vec::with_capacity(ders.len());
        for der in &ders {
            let crl = OwnedCertRevocationList::from_der(der)
                .map_err(|e| Error::cert(CertProblem::Malformed, format!("CRL: {e}")))?;
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
            .ok_or_else(|| Error::cert(CertProblem::Malformed, "empty certificate chain"))?;
        if chain.len() > MAX_CHAIN_CERTS {
            return Err(Error::Limit {
                what: LimitKind::Chain,
                limit: MAX_CHAIN_CERTS,
            });
        }
        if self.anchors.is_empty() {
            return Err(Error::cert(
                CertProblem::Untrusted,
                "no trust anchors configured",
            ));
        }
        let ee_cd = CertificateDer::from(*ee_der);
        let ee = match EndEntityCert::try_from(&ee_cd) {
            Ok(ee) => ee,
            Err(e) if wants_fallback(&e) => return self.validate_fallback(chain, now, e),
            Err(e) => return Err(map_webpki(e)),
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
                    .map_err(|_| Error::cert(CertProblem::Invalid, "no CRLs"))?
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
            Err(e) => return Err(map_webpki(e)),
        };

        // What webpki leaves to us: key usage, and the earliest expiry in the path.
        let mut not_after = i64::MAX;
        let (_, ee_x509) = x509_parser::parse_x509_certificate(ee_der)
            .map_err(|e| Error::cert(CertProblem::Malformed, format!("end entity: {e}")))?;
        if let Ok(Some(ku)) = ee_x509.key_usage()
            && !ku.value.digital_signature()
        {
            return Err(Error::cert(
                CertProblem::Invalid,
                "end-entity keyUsage does not allow digitalSignature",
            ));
        }
        not_after = not_after.min(ee_x509.validity().not_after.timestamp());
        let key = VerifyingKey::from_spki(ee_x509.public_key())?;
        for ca in path.intermediate_certificates() {
            let ca_der = ca.der();
            let (_, x) = x509_parser::parse_x509_certificate(ca_der.as_ref())
                .map_err(|e| Error::cert(CertProblem::Malformed, format!("intermediate: {e}")))?;
            if let Ok(Some(ku)) = x.key_usage()
                && !ku.value.key_cert_sign()
            {
                return Err(Error::cert(
                    CertProblem::Invalid,
                    format!("CA {} keyUsage does not allow keyCertSign", x.subject()),
                ));
            }
            not_after = not_after.min(x.validity().not_after.timestamp());
        }
        Ok(ValidPath { key, not_after })
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
            } if matches!(refusal, webpki::Error::UnknownIssuer) => map_webpki(refusal),
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

/// The outcome of a successful chain validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPath {
    /// The end-entity certificate's public key (ECDSA P-256).
    pub key: VerifyingKey,
    /// When the first certificate of the path (end entity or intermediate) expires,
    /// seconds since the Unix epoch.
    pub not_after: i64,
}

fn map_webpki(e: webpki::Error) -> Error {
    use webpki::Error as W;
    let problem = match &e {
        W::UnknownIssuer | W::CertDistrusted => CertProblem::Untrusted,
        W::CertExpired { .. } => CertProblem::Expired,
        W::CertNotValidYet { .. } => CertProblem::NotYetValid,
        W::CertRevoked => CertProblem::Revoked,
        W::InvalidSignatureForPublicKey
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | W::SignatureAlgorithmMismatch => CertProblem::Signature,
        W::BadDer | W::BadDerTime | W::TrailingData(_) | W::UnsupportedCertVersion => {
            CertProblem::Malformed
        }
        _ => CertProblem::Invalid,
    };
    Error::cert(problem, format!("{e:?}"))
}
