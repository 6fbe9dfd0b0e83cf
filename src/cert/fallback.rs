//! A second path validator for the real STI-CA hierarchies rustls-webpki refuses.
//!
//! webpki rejects three things found in deployed STI certificates, none of which makes a
//! chain untrustworthy:
//!
//! * a **critical certificatePolicies** extension (RFC 5280 §4.2.1.4 allows it; webpki
//!   does not process policies and refuses every critical extension it does not know);
//! * an ECDSA `AlgorithmIdentifier` with **NULL parameters** (RFC 5758 says "absent", some
//!   CAs wrote NULL);
//! * **P-521** CA keys (ring has no P-521), as in a major STI-CA's root.
//!
//! When webpki refuses a chain for one of these reasons (or finds no issuer, which is what
//! a P-521 anchor looks like to it), [`validate`] runs the whole RFC 5280 path check again
//! by itself: name chaining, signatures (ring for P-256/P-384/RSA, the RustCrypto `p521`
//! crate for P-521), validity at `now`, version 3, basicConstraints and pathLen, keyUsage,
//! critical extensions (only those listed in [`UNDERSTOOD_CRITICAL`]), and revocation by
//! the configured CRLs (signature, issuer, nextUpdate, serial). Policies are accepted, not
//! processed — ATIS-1000080 chains carry one SHAKEN policy and no policy constraints; a
//! chain with policyConstraints, policyMappings, inhibitAnyPolicy or nameConstraints marked
//! critical is still refused.

use x509_parser::certificate::X509Certificate;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo, X509Version};

use crate::error::{CertProblem, CertReason, Error};
use crate::key::VerifyingKey;

use super::path::ValidPath;

/// Critical extensions this validator processes or may safely ignore.
pub(crate) const UNDERSTOOD_CRITICAL: &[&str] = &[
    "2.5.29.14",          // subjectKeyIdentifier
    "2.5.29.15",          // keyUsage (checked)
    "2.5.29.17",          // subjectAltName (no name checks in STI)
    "2.5.29.19",          // basicConstraints (checked)
    "2.5.29.31",          // cRLDistributionPoints
    "2.5.29.32",          // certificatePolicies (accepted, not processed)
    "2.5.29.35",          // authorityKeyIdentifier
    "2.5.29.37",          // extKeyUsage (STI requires none)
    "1.3.6.1.5.5.7.1.1",  // authorityInfoAccess
    "1.3.6.1.5.5.7.1.26", // TNAuthList (checked by the verifier)
    "1.3.6.1.5.5.7.1.27", // JWTClaimConstraints (checked by the verifier)
    "1.3.6.1.5.5.7.1.33", // EnhancedJWTClaimConstraints (checked by the verifier)
];

/// At most this many issuer signatures are tried while building one path.
const MAX_SIGNATURE_CHECKS: usize = 64;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

/// The trust anchors and CRLs, as DER, that [`validate`] works from.
pub(crate) struct Inputs<'a> {
    pub anchors: &'a [Vec<u8>],
    pub crls: &'a [Vec<u8>],
    /// Accept a CRL past its nextUpdate (`CrlExpiry::Lenient`).
    pub ignore_crl_expiry: bool,
}

fn malformed(what: &'static str, detail: String) -> Error {
    Error::cert(
        CertProblem::Malformed,
        CertReason::Malformed { what, detail },
    )
}

fn subject(c: &X509Certificate<'_>) -> Option<String> {
    Some(c.subject().to_string())
}

fn parse<'a>(der: &'a [u8], what: &'static str) -> Result<X509Certificate<'a>, Error> {
    let (rest, x) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| malformed(what, super::sticert::x509_text(&e)))?;
    if !rest.is_empty() {
        return Err(malformed(
            what,
            "trailing data after the certificate".into(),
        ));
    }
    Ok(x)
}

/// Validates `chain` (end entity first) against the anchors and CRLs of `inputs` at `now`.
pub(crate) fn validate(inputs: &Inputs<'_>, chain: &[&[u8]], now: i64) -> Result<ValidPath, Error> {
    let (ee_der, rest) = chain
        .split_first()
        .ok_or_else(|| Error::cert(CertProblem::Malformed, CertReason::EmptyChain))?;
    let ee = parse(ee_der, "end entity")?;
    let intermediates = rest
        .iter()
        .map(|d| parse(d, "intermediate"))
        .collect::<Result<Vec<_>, _>>()?;
    let anchors = inputs
        .anchors
        .iter()
        .map(|d| parse(d, "trust anchor"))
        .collect::<Result<Vec<_>, _>>()?;

    check_common(&ee, now)?;
    if ee
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca)
    {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::CaUsedAsEndEntity,
        ));
    }
    if let Ok(Some(ku)) = ee.key_usage()
        && !ku.value.digital_signature()
    {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::KeyUsage {
                cert: subject(&ee),
                required: "digitalSignature",
            },
        ));
    }
    let key = VerifyingKey::from_spki(ee.public_key())?;

    let mut search = Search {
        intermediates: &intermediates,
        anchors: &anchors,
        now,
        budget: MAX_SIGNATURE_CHECKS,
        error: None,
        used: vec![false; intermediates.len()],
        path: Vec::new(),
    };
    let Some(anchor) = search.extend(&ee, 0) else {
        return Err(search
            .error
            .unwrap_or_else(|| Error::cert(CertProblem::Untrusted, CertReason::UnknownIssuer)));
    };
    let path = search.path;

    // Revocation: each certificate of the path against the CRLs of its issuer.
    let mut not_after = ee.validity().not_after.timestamp();
    let mut not_before = ee.validity().not_before.timestamp();
    let mut below = &ee;
    for &idx in &path {
        let Some(issuer) = intermediates.get(idx) else {
            return Err(Error::cert(
                CertProblem::Untrusted,
                CertReason::UnknownIssuer,
            ));
        };
        check_revocation(inputs, below, issuer, now)?;
        not_after = not_after.min(issuer.validity().not_after.timestamp());
        not_before = not_before.max(issuer.validity().not_before.timestamp());
        below = issuer;
    }
    let Some(anchor) = anchors.get(anchor) else {
        return Err(Error::cert(
            CertProblem::Untrusted,
            CertReason::UnknownIssuer,
        ));
    };
    check_revocation(inputs, below, anchor, now)?;
    Ok(ValidPath::new(key, not_before, not_after))
}

struct Search<'s, 'a> {
    intermediates: &'s [X509Certificate<'a>],
    anchors: &'s [X509Certificate<'a>],
    now: i64,
    budget: usize,
    /// The most telling error seen while searching (anything but "no issuer").
    error: Option<Error>,
    used: Vec<bool>,
    /// Indices into `intermediates`, from the end entity's issuer upwards.
    path: Vec<usize>,
}

impl Search<'_, '_> {
    /// Finds an issuer for `cert`: an anchor (returns its index) or an intermediate that
    /// itself leads to an anchor. `below` counts the non-self-issued intermediates already
    /// in the path under `cert`'s issuer.
    fn extend(&mut self, cert: &X509Certificate<'_>, below: u32) -> Option<usize> {
        let issuer_name = cert.issuer().as_raw();
        for (i, anchor) in self.anchors.iter().enumerate() {
            if anchor.subject().as_raw() != issuer_name {
                continue;
            }
            if self.check_signature(cert, anchor) {
                return Some(i);
            }
        }
        for i in 0..self.intermediates.len() {
            let ca = &self.intermediates[i];
            if self.used[i] || ca.subject().as_raw() != issuer_name {
                continue;
            }
            if let Err(e) = check_ca(ca, below, self.now) {
                self.note(e);
                continue;
            }
            if !self.check_signature(cert, ca) {
                continue;
            }
            self.used[i] = true;
            self.path.push(i);
            let self_issued = ca.subject().as_raw() == ca.issuer().as_raw();
            if let Some(anchor) = self.extend(ca, below + u32::from(!self_issued)) {
                return Some(anchor);
            }
            self.path.pop();
            self.used[i] = false;
        }
        None
    }

    fn check_signature(
        &mut self,
        cert: &X509Certificate<'_>,
        issuer: &X509Certificate<'_>,
    ) -> bool {
        if self.budget == 0 {
            self.note(Error::cert(
                CertProblem::Invalid,
                CertReason::PathTooComplex,
            ));
            return false;
        }
        self.budget -= 1;
        match verify_signature(
            issuer.public_key(),
            &cert.signature_algorithm,
            cert.tbs_certificate.as_ref(),
            &cert.signature_value.data,
        ) {
            Ok(()) => true,
            Err(e) => {
                self.note(e);
                false
            }
        }
    }

    fn note(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }
}

/// What every certificate of the path must satisfy: version 3, valid at `now`, no critical
/// extension outside [`UNDERSTOOD_CRITICAL`].
fn check_common(c: &X509Certificate<'_>, now: i64) -> Result<(), Error> {
    if c.version() != X509Version::V3 {
        return Err(Error::cert(
            CertProblem::Malformed,
            CertReason::UnsupportedVersion { cert: subject(c) },
        ));
    }
    let validity = c.validity();
    if now < validity.not_before.timestamp() {
        return Err(Error::cert(
            CertProblem::NotYetValid,
            CertReason::NotYetValid {
                cert: subject(c),
                not_before: validity.not_before.timestamp(),
                now,
            },
        ));
    }
    if now > validity.not_after.timestamp() {
        return Err(Error::cert(
            CertProblem::Expired,
            CertReason::Expired {
                cert: subject(c),
                not_after: validity.not_after.timestamp(),
                now,
            },
        ));
    }
    for ext in c.extensions() {
        let oid = ext.oid.to_id_string();
        if ext.critical && !UNDERSTOOD_CRITICAL.contains(&oid.as_str()) {
            return Err(Error::cert(
                CertProblem::Invalid,
                CertReason::UnsupportedCriticalExtension {
                    cert: subject(c),
                    oid: Some(oid),
                },
            ));
        }
    }
    Ok(())
}

/// An intermediate CA: [`check_common`], cA true, pathLen not exceeded, keyCertSign.
fn check_ca(c: &X509Certificate<'_>, below: u32, now: i64) -> Result<(), Error> {
    check_common(c, now)?;
    let Some(bc) = c.basic_constraints().ok().flatten().filter(|b| b.value.ca) else {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::EndEntityUsedAsCa { cert: subject(c) },
        ));
    };
    if let Some(limit) = bc.value.path_len_constraint
        && below > limit
    {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::PathLenExceeded { cert: subject(c) },
        ));
    }
    if let Ok(Some(ku)) = c.key_usage()
        && !ku.value.key_cert_sign()
    {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::KeyUsage {
                cert: subject(c),
                required: "keyCertSign",
            },
        ));
    }
    Ok(())
}

/// Checks `cert` against every configured CRL of `issuer`: the CRL's signature must verify
/// with the issuer's key, the issuer must be allowed to sign CRLs, the CRL must not be past
/// its nextUpdate, and `cert`'s serial must not be listed.
fn check_revocation(
    inputs: &Inputs<'_>,
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    now: i64,
) -> Result<(), Error> {
    for der in inputs.crls {
        let Ok((_, crl)) = x509_parser::parse_x509_crl(der) else {
            continue; // validated when it was added
        };
        // `issuer` was chained to `cert` by name, so its subject is `cert`'s issuer.
        if crl.issuer().as_raw() != issuer.subject().as_raw() {
            continue;
        }
        check_crl(&crl, issuer, now, inputs.ignore_crl_expiry)?;
        let serial = cert.raw_serial();
        if crl
            .iter_revoked_certificates()
            .any(|r| r.raw_serial() == serial)
        {
            return Err(Error::cert(
                CertProblem::Revoked,
                CertReason::Revoked {
                    cert: subject(cert),
                    serial: Some(cert.raw_serial_as_string()),
                },
            ));
        }
    }
    Ok(())
}

/// Checks a CRL against its issuer: the issuer may sign CRLs (keyUsage cRLSign when
/// present), the signature verifies with its key, and (unless `ignore_expiry`) `now` is not
/// past its nextUpdate.
pub(crate) fn check_crl(
    crl: &CertificateRevocationList<'_>,
    issuer: &X509Certificate<'_>,
    now: i64,
    ignore_expiry: bool,
) -> Result<(), Error> {
    if let Ok(Some(ku)) = issuer.key_usage()
        && !ku.value.crl_sign()
    {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::IssuerNotCrlSigner {
                issuer: subject(issuer),
            },
        ));
    }
    verify_signature(
        issuer.public_key(),
        &crl.signature_algorithm,
        crl.tbs_cert_list.as_ref(),
        &crl.signature_value.data,
    )
    .map_err(|e| match e {
        Error::Cert {
            reason: CertReason::BadSignature { .. },
            ..
        } => Error::cert(
            CertProblem::Signature,
            CertReason::CrlBadSignature {
                issuer: subject(issuer),
            },
        ),
        e => e,
    })?;
    if let Some(next) = crl.next_update()
        && !ignore_expiry
        && now > next.timestamp()
    {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::CrlExpired {
                issuer: subject(issuer),
                next_update: next.timestamp(),
                now,
            },
        ));
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

/// Verifies `sig` over `message` with the issuer key `spki` and the signature algorithm
/// `alg`: ECDSA on P-256, P-384 and P-521 with SHA-256/384/512, and RSA PKCS#1 v1.5
/// (2048–8192 bits) with SHA-256/384/512.
pub(crate) fn verify_signature(
    spki: &SubjectPublicKeyInfo<'_>,
    alg: &AlgorithmIdentifier<'_>,
    message: &[u8],
    sig: &[u8],
) -> Result<(), Error> {
    use ring::signature as rs;

    let unsupported = |what: String| {
        Error::cert(
            CertProblem::Signature,
            CertReason::UnsupportedAlgorithm { what },
        )
    };
    let sig_oid = alg.algorithm.to_id_string();
    // RFC 5758 says the parameters are absent; NULL is tolerated, anything else is not.
    if alg
        .parameters
        .as_ref()
        .is_some_and(|p| p.tag() != x509_parser::der_parser::asn1_rs::Tag::Null)
    {
        return Err(unsupported(format!("{sig_oid} with parameters")));
    }
    let (ecdsa, hash) = match sig_oid.as_str() {
        "1.2.840.10045.4.3.2" => (true, Hash::Sha256),
        "1.2.840.10045.4.3.3" => (true, Hash::Sha384),
        "1.2.840.10045.4.3.4" => (true, Hash::Sha512),
        "1.2.840.113549.1.1.11" => (false, Hash::Sha256),
        "1.2.840.113549.1.1.12" => (false, Hash::Sha384),
        "1.2.840.113549.1.1.13" => (false, Hash::Sha512),
        other => return Err(unsupported(other.to_owned())),
    };
    let key_oid = spki.algorithm.algorithm.to_id_string();
    let key = &spki.subject_public_key.data;
    let bad = || {
        Error::cert(
            CertProblem::Signature,
            CertReason::BadSignature { cert: None },
        )
    };
    let ring_alg: &dyn rs::VerificationAlgorithm = if ecdsa {
        if key_oid != OID_EC_PUBLIC_KEY {
            return Err(unsupported(format!("ECDSA signature by a {key_oid} key")));
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string())
            .unwrap_or_default();
        match (curve.as_str(), hash) {
            (OID_P256, Hash::Sha256) => &rs::ECDSA_P256_SHA256_ASN1,
            (OID_P256, Hash::Sha384) => &rs::ECDSA_P256_SHA384_ASN1,
            (OID_P384, Hash::Sha256) => &rs::ECDSA_P384_SHA256_ASN1,
            (OID_P384, Hash::Sha384) => &rs::ECDSA_P384_SHA384_ASN1,
            (OID_P521, _) => return verify_p521(key, hash, message, sig).map_err(|()| bad()),
            (curve, hash) => {
                return Err(unsupported(format!(
                    "ECDSA on curve {curve} with {}",
                    hash.name()
                )));
            }
        }
    } else {
        if key_oid != OID_RSA_ENCRYPTION {
            return Err(unsupported(format!("RSA signature by a {key_oid} key")));
        }
        match hash {
            Hash::Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
            Hash::Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
            Hash::Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
        }
    };
    rs::UnparsedPublicKey::new(ring_alg, key)
        .verify(message, sig)
        .map_err(|_| bad())
}

fn verify_p521(key: &[u8], hash: Hash, message: &[u8], sig: &[u8]) -> Result<(), ()> {
    use p521::ecdsa::signature::hazmat::PrehashVerifier;
    let digest = ring::digest::digest(
        match hash {
            Hash::Sha256 => &ring::digest::SHA256,
            Hash::Sha384 => &ring::digest::SHA384,
            Hash::Sha512 => &ring::digest::SHA512,
        },
        message,
    );
    let vk = p521::ecdsa::VerifyingKey::from_sec1_bytes(key).map_err(|_| ())?;
    let sig = p521::ecdsa::Signature::from_der(sig).map_err(|_| ())?;
    vk.verify_prehash(digest.as_ref(), &sig).map_err(|_| ())
}
