//! STI certificate model over x509-parser: parsing of single certificates and
//! of chains (PEM bundle or concatenated DER, end-entity first) with size and
//! count limits; the facts a STIR/SHAKEN verifier needs (fingerprint, names,
//! validity, key, signature algorithm, TNAuthList, claim constraints, policies,
//! CRL distribution points); and the ATIS-1000080 profile checker, which lists
//! every fault with a stable snake_case identifier.
//!
//! Files: this one holds the model ([`StiCert`] and the facts it exposes); `name.rs`
//! the RFC 4514 names; `profile.rs` the profile checker and its fault table
//! ([`FaultKind`], [`ProfileFault`]); `parse.rs` chain parsing ([`parse_chain`], PEM).
//!
//! [`StiCert`] owns its DER bytes and everything extracted from them, so it has
//! no lifetime and can be cached. Parsing never fails because of a malformed
//! STIR extension: the extension's error is kept ([`StiCert::tn_auth_list`]) and
//! reported by the profile checker.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

mod name;
mod parse;
mod profile;

pub(crate) use parse::x509_text;
pub use parse::{ChainLimits, parse_chain, parse_chain_with_limits, pem_blocks};
pub use profile::{FaultKind, ProfileFault};

use name::{common_names, name_to_string};

use super::constraints::{
    ClaimConstraints, ConstraintsKind, OID_ENHANCED_JWT_CLAIM_CONSTRAINTS,
    OID_JWT_CLAIM_CONSTRAINTS,
};
use super::error::CertError;
use super::tnauthlist::{Coverage, OID_TN_AUTH_LIST, TnAuthList, TnEntry};

/// Default largest chain (PEM bundle or DER) accepted: 64 KiB.
pub const MAX_CHAIN_BYTES: usize = crate::limits::MAX_CHAIN_BYTES;

/// Default largest number of certificates in one chain.
pub const MAX_CHAIN_CERTS: usize = crate::limits::MAX_CHAIN_CERTS;

/// Largest single certificate accepted by [`StiCert::from_der`]: 64 KiB.
pub const MAX_CERT_DER: usize = 64 * 1024;

/// SHAKEN certificate policy OIDs (STI-PA certificate policy): the current
/// ones first, then the older one.
pub const SHAKEN_POLICY_OIDS: [&str; 3] = [
    "2.16.840.1.114569.1.1.3",
    "2.16.840.1.114569.1.1.4",
    "2.16.840.1.114569.1.1.1",
];

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
const OID_RSA_SHA256: &str = "1.2.840.113549.1.1.11";
const OID_RSA_SHA384: &str = "1.2.840.113549.1.1.12";
const OID_RSA_SHA512: &str = "1.2.840.113549.1.1.13";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";

const OID_EXT_SKI: &str = "2.5.29.14";
const OID_EXT_KEY_USAGE: &str = "2.5.29.15";
const OID_EXT_SAN: &str = "2.5.29.17";
const OID_EXT_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_EXT_NAME_CONSTRAINTS: &str = "2.5.29.30";
const OID_EXT_CRL_DP: &str = "2.5.29.31";
const OID_EXT_POLICIES: &str = "2.5.29.32";
const OID_EXT_POLICY_MAPPINGS: &str = "2.5.29.33";
const OID_EXT_AKI: &str = "2.5.29.35";
const OID_EXT_POLICY_CONSTRAINTS: &str = "2.5.29.36";
const OID_EXT_EKU: &str = "2.5.29.37";
const OID_EXT_INHIBIT_ANY_POLICY: &str = "2.5.29.54";

/// Extensions this layer understands; a critical extension outside this list
/// is a profile fault (RFC 5280 §4.2: it must make the certificate unusable).
const KNOWN_EXTENSIONS: [&str; 15] = [
    OID_EXT_SKI,
    OID_EXT_KEY_USAGE,
    OID_EXT_SAN,
    OID_EXT_BASIC_CONSTRAINTS,
    OID_EXT_NAME_CONSTRAINTS,
    OID_EXT_CRL_DP,
    OID_EXT_POLICIES,
    OID_EXT_POLICY_MAPPINGS,
    OID_EXT_AKI,
    OID_EXT_POLICY_CONSTRAINTS,
    OID_EXT_EKU,
    OID_EXT_INHIBIT_ANY_POLICY,
    OID_TN_AUTH_LIST,
    OID_JWT_CLAIM_CONSTRAINTS,
    OID_ENHANCED_JWT_CLAIM_CONSTRAINTS,
];

/// Algorithm (and curve) of a subject public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA key on NIST P-256 (secp256r1).
    EcP256,
    /// ECDSA key on NIST P-384 (secp384r1).
    EcP384,
    /// ECDSA key on NIST P-521 (secp521r1).
    EcP521,
    /// EC key on another or unspecified curve (see [`PublicKeyInfo::curve_oid`]).
    EcOther,
    /// RSA key with its modulus size in bits.
    Rsa {
        /// Modulus size in bits (0 when the key does not parse).
        bits: usize,
    },
    /// Any other algorithm (see [`PublicKeyInfo::algorithm_oid`]).
    Other,
}

/// The subject public key of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    /// Decoded algorithm.
    pub algorithm: KeyAlgorithm,
    /// Dotted OID of the SubjectPublicKeyInfo algorithm.
    pub algorithm_oid: String,
    /// Dotted OID of the named curve, for EC keys with named-curve parameters.
    pub curve_oid: Option<String>,
    /// The raw subjectPublicKey bits: the SEC1 point (`04 ‖ x ‖ y` when
    /// uncompressed) for EC keys, the PKCS#1 RSAPublicKey DER for RSA.
    pub key: Vec<u8>,
}

/// Signature algorithm of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// ecdsa-with-SHA256 (the only one ATIS-1000080 allows).
    EcdsaSha256,
    /// ecdsa-with-SHA384.
    EcdsaSha384,
    /// ecdsa-with-SHA512.
    EcdsaSha512,
    /// sha256WithRSAEncryption.
    RsaPkcs1Sha256,
    /// sha384WithRSAEncryption.
    RsaPkcs1Sha384,
    /// sha512WithRSAEncryption.
    RsaPkcs1Sha512,
    /// RSASSA-PSS.
    RsaPss,
    /// Anything else, by dotted OID.
    Other(String),
}

impl SignatureAlgorithm {
    fn from_oid(oid: &str) -> Self {
        match oid {
            OID_ECDSA_SHA256 => Self::EcdsaSha256,
            OID_ECDSA_SHA384 => Self::EcdsaSha384,
            OID_ECDSA_SHA512 => Self::EcdsaSha512,
            OID_RSA_SHA256 => Self::RsaPkcs1Sha256,
            OID_RSA_SHA384 => Self::RsaPkcs1Sha384,
            OID_RSA_SHA512 => Self::RsaPkcs1Sha512,
            OID_RSA_PSS => Self::RsaPss,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Dotted OID of the algorithm.
    pub fn oid(&self) -> &str {
        match self {
            Self::EcdsaSha256 => OID_ECDSA_SHA256,
            Self::EcdsaSha384 => OID_ECDSA_SHA384,
            Self::EcdsaSha512 => OID_ECDSA_SHA512,
            Self::RsaPkcs1Sha256 => OID_RSA_SHA256,
            Self::RsaPkcs1Sha384 => OID_RSA_SHA384,
            Self::RsaPkcs1Sha512 => OID_RSA_SHA512,
            Self::RsaPss => OID_RSA_PSS,
            Self::Other(oid) => oid,
        }
    }
}

/// One raw certificate extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionInfo {
    /// Dotted OID.
    pub oid: String,
    /// The critical flag.
    pub critical: bool,
    /// The DER bytes inside `extnValue`.
    pub value: Vec<u8>,
}

/// The BasicConstraints extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraintsInfo {
    /// The critical flag.
    pub critical: bool,
    /// The cA boolean.
    pub ca: bool,
    /// pathLenConstraint, if present.
    pub path_len: Option<u32>,
}

/// The KeyUsage extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsageInfo {
    /// The critical flag.
    pub critical: bool,
    /// The bits, bit 0 = digitalSignature … bit 8 = decipherOnly.
    pub flags: u16,
}

impl KeyUsageInfo {
    /// KeyUsage bit for digitalSignature.
    pub const DIGITAL_SIGNATURE: u16 = 1;
    /// KeyUsage bit for keyCertSign.
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    /// KeyUsage bit for cRLSign.
    pub const CRL_SIGN: u16 = 1 << 6;
}

/// One CRL DistributionPoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CrlDistributionPoint {
    /// URIs of the `fullName` form of the distribution point name.
    pub urls: Vec<String>,
    /// Whether the distribution point has a cRLIssuer field.
    pub has_crl_issuer: bool,
}

/// Role of a certificate in a chain, as the profile checker sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertRole {
    /// Not a CA (no BasicConstraints, or cA false).
    EndEntity,
    /// A CA whose subject differs from its issuer.
    Intermediate,
    /// A CA whose subject equals its issuer (self-issued).
    Root,
}

/// An STI certificate: its DER bytes and the facts extracted from them.
#[derive(Debug, Clone)]
pub struct StiCert {
    der: Vec<u8>,
    sha256: [u8; 32],
    version: u32,
    serial: Vec<u8>,
    subject: String,
    issuer: String,
    subject_cns: Vec<String>,
    self_issued: bool,
    not_before: i64,
    not_after: i64,
    public_key: PublicKeyInfo,
    signature_algorithm: SignatureAlgorithm,
    tbs_signature_oid: String,
    extensions: Vec<ExtensionInfo>,
    basic_constraints: Option<BasicConstraintsInfo>,
    key_usage: Option<KeyUsageInfo>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    aki_present: bool,
    policies: Option<Vec<String>>,
    crl_distribution_points: Option<Vec<CrlDistributionPoint>>,
    tn_auth_list: Option<Result<TnAuthList, CertError>>,
    jwt_claim_constraints: Option<Result<ClaimConstraints, CertError>>,
    enhanced_jwt_claim_constraints: Option<Result<ClaimConstraints, CertError>>,
    malformed_extensions: Vec<(String, String)>,
    duplicate_extensions: Vec<String>,
}

fn public_key_info(cert: &X509Certificate<'_>) -> PublicKeyInfo {
    let spki = cert.public_key();
    let algorithm_oid = spki.algorithm.algorithm.to_id_string();
    let curve_oid = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p).ok())
        .map(|o| o.to_id_string());
    let algorithm = match algorithm_oid.as_str() {
        OID_EC_PUBLIC_KEY => match curve_oid.as_deref() {
            Some(OID_P256) => KeyAlgorithm::EcP256,
            Some(OID_P384) => KeyAlgorithm::EcP384,
            Some(OID_P521) => KeyAlgorithm::EcP521,
            _ => KeyAlgorithm::EcOther,
        },
        OID_RSA_ENCRYPTION => KeyAlgorithm::Rsa {
            bits: match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                    let m = rsa.modulus;
                    let lead = m.iter().take_while(|b| **b == 0).count();
                    match m.get(lead) {
                        Some(first) => (m.len() - lead) * 8 - first.leading_zeros() as usize,
                        None => 0,
                    }
                }
                _ => 0,
            },
        },
        _ => KeyAlgorithm::Other,
    };
    PublicKeyInfo {
        algorithm,
        algorithm_oid,
        curve_oid,
        key: spki.subject_public_key.data.to_vec(),
    }
}

fn crl_points(
    points: &[x509_parser::extensions::CRLDistributionPoint<'_>],
) -> Vec<CrlDistributionPoint> {
    points
        .iter()
        .map(|p| CrlDistributionPoint {
            urls: match &p.distribution_point {
                Some(DistributionPointName::FullName(names)) => names
                    .iter()
                    .filter_map(|n| match n {
                        GeneralName::URI(u) => Some((*u).to_owned()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            has_crl_issuer: p.crl_issuer.as_ref().is_some_and(|v| !v.is_empty()),
        })
        .collect()
}

impl StiCert {
    /// Parse one DER certificate (no trailing bytes).
    ///
    /// Malformed STIR extensions (TNAuthList, claim constraints) do not make
    /// this fail; their errors are kept and exposed.
    ///
    /// # Errors
    /// [`CertError::TooLarge`] above [`MAX_CERT_DER`], [`CertError::X509`] when
    /// x509-parser rejects the structure, [`CertError::TrailingData`].
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let (cert, rest) = Self::parse_prefix(der)?;
        if !rest.is_empty() {
            return Err(CertError::TrailingData {
                what: "certificate",
                count: rest.len(),
            });
        }
        Ok(cert)
    }

    /// Parse the certificate at the front of `input`; returns the remainder.
    pub(super) fn parse_prefix(input: &[u8]) -> Result<(Self, &[u8]), CertError> {
        let (rest, x509) =
            X509Certificate::from_der(input).map_err(|e| CertError::X509(x509_text(&e)))?;
        let len = input.len() - rest.len();
        if len > MAX_CERT_DER {
            return Err(CertError::TooLarge {
                what: "certificate",
                len,
                limit: MAX_CERT_DER,
            });
        }
        // RFC 5280 §4.1.2.1 knows v1 (0), v2 (1) and v3 (2) only.
        if x509.version().0 > 2 {
            return Err(CertError::X509(format!(
                "unknown X.509 version field value {}",
                x509.version().0
            )));
        }
        Ok((Self::from_parsed(&input[..len], &x509), rest))
    }

    fn from_parsed(der: &[u8], x509: &X509Certificate<'_>) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(digest.as_ref());
        let tbs = &x509.tbs_certificate;

        let mut out = StiCert {
            der: der.to_vec(),
            sha256,
            version: x509.version().0.saturating_add(1),
            serial: x509.raw_serial().to_vec(),
            subject: name_to_string(x509.subject()),
            issuer: name_to_string(x509.issuer()),
            subject_cns: common_names(x509.subject()),
            self_issued: x509.subject().as_raw() == x509.issuer().as_raw(),
            not_before: x509.validity().not_before.timestamp(),
            not_after: x509.validity().not_after.timestamp(),
            public_key: public_key_info(x509),
            signature_algorithm: SignatureAlgorithm::from_oid(
                &x509.signature_algorithm.algorithm.to_id_string(),
            ),
            tbs_signature_oid: tbs.signature.algorithm.to_id_string(),
            extensions: Vec::new(),
            basic_constraints: None,
            key_usage: None,
            subject_key_id: None,
            authority_key_id: None,
            aki_present: false,
            policies: None,
            crl_distribution_points: None,
            tn_auth_list: None,
            jwt_claim_constraints: None,
            enhanced_jwt_claim_constraints: None,
            malformed_extensions: Vec::new(),
            duplicate_extensions: Vec::new(),
        };

        for ext in x509.extensions() {
            let oid = ext.oid.to_id_string();
            let first = !out.extensions.iter().any(|e| e.oid == oid);
            if !first {
                if !out.duplicate_extensions.contains(&oid) {
                    out.duplicate_extensions.push(oid.clone());
                }
            } else {
                out.absorb_extension(&oid, ext);
            }
            out.extensions.push(ExtensionInfo {
                oid,
                critical: ext.critical,
                value: ext.value.to_vec(),
            });
        }
        out
    }

    /// Record the facts of the first occurrence of an extension.
    fn absorb_extension(&mut self, oid: &str, ext: &x509_parser::extensions::X509Extension<'_>) {
        match oid {
            OID_TN_AUTH_LIST => {
                self.tn_auth_list = Some(TnAuthList::from_der(ext.value));
                return;
            }
            OID_JWT_CLAIM_CONSTRAINTS => {
                self.jwt_claim_constraints = Some(ClaimConstraints::from_der(
                    ConstraintsKind::JwtClaimConstraints,
                    ext.value,
                ));
                return;
            }
            OID_ENHANCED_JWT_CLAIM_CONSTRAINTS => {
                self.enhanced_jwt_claim_constraints = Some(ClaimConstraints::from_der(
                    ConstraintsKind::Enhanced,
                    ext.value,
                ));
                return;
            }
            OID_EXT_AKI => self.aki_present = true,
            OID_EXT_POLICIES => self.policies = Some(Vec::new()),
            OID_EXT_CRL_DP => self.crl_distribution_points = Some(Vec::new()),
            _ => {}
        }
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(bc) => {
                self.basic_constraints = Some(BasicConstraintsInfo {
                    critical: ext.critical,
                    ca: bc.ca,
                    path_len: bc.path_len_constraint,
                });
            }
            ParsedExtension::KeyUsage(ku) => {
                self.key_usage = Some(KeyUsageInfo {
                    critical: ext.critical,
                    flags: ku.flags,
                });
            }
            ParsedExtension::SubjectKeyIdentifier(kid) => {
                self.subject_key_id = Some(kid.0.to_vec());
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                self.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            ParsedExtension::CertificatePolicies(pols) => {
                self.policies = Some(pols.iter().map(|p| p.policy_id.to_id_string()).collect());
            }
            ParsedExtension::CRLDistributionPoints(dps) => {
                self.crl_distribution_points = Some(crl_points(&dps.points));
            }
            ParsedExtension::ParseError { error } => {
                self.malformed_extensions
                    .push((oid.to_owned(), error.to_string()));
            }
            _ => {}
        }
    }

    /// The certificate's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the DER bytes.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// SHA-256 of the DER bytes, lowercase hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// X.509 version number (1, 2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Serial number: the raw two's-complement INTEGER content bytes.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// Serial number as colon-separated hex.
    pub fn serial_hex(&self) -> String {
        self.serial
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Subject DN, RFC 4514 style (last RDN first, e.g. `CN=SHAKEN 1234, O=X, C=US`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Issuer DN, RFC 4514 style.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The subject's commonName values, in certificate order.
    pub fn subject_common_names(&self) -> &[String] {
        &self.subject_cns
    }

    /// Whether subject and issuer are byte-identical.
    pub fn is_self_issued(&self) -> bool {
        self.self_issued
    }

    /// Whether BasicConstraints says cA = TRUE.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|bc| bc.ca)
    }

    /// End-entity, intermediate or root (self-issued CA).
    pub fn role(&self) -> CertRole {
        match (self.is_ca(), self.self_issued) {
            (false, _) => CertRole::EndEntity,
            (true, false) => CertRole::Intermediate,
            (true, true) => CertRole::Root,
        }
    }

    /// notBefore, unix seconds.
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// notAfter, unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// Whether `unix_time` lies within notBefore..=notAfter.
    pub fn is_valid_at(&self, unix_time: i64) -> bool {
        self.not_before <= unix_time && unix_time <= self.not_after
    }

    /// The subject public key.
    pub fn public_key(&self) -> &PublicKeyInfo {
        &self.public_key
    }

    /// The certificate's signature algorithm (outer `signatureAlgorithm`).
    pub fn signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.signature_algorithm
    }

    /// The signature value (for ECDSA: the DER `Ecdsa-Sig-Value`).
    pub fn signature_value(&self) -> Vec<u8> {
        X509Certificate::from_der(&self.der)
            .map(|(_, c)| c.signature_value.data.to_vec())
            .unwrap_or_default()
    }

    /// The DER of the TBSCertificate (what the issuer signed).
    pub fn tbs_der(&self) -> Vec<u8> {
        X509Certificate::from_der(&self.der)
            .map(|(_, c)| c.tbs_certificate.as_ref().to_vec())
            .unwrap_or_default()
    }

    /// All extensions, raw, in certificate order (duplicates included).
    pub fn extensions(&self) -> &[ExtensionInfo] {
        &self.extensions
    }

    /// The first extension with this dotted OID.
    pub fn extension(&self, oid: &str) -> Option<&ExtensionInfo> {
        self.extensions.iter().find(|e| e.oid == oid)
    }

    /// BasicConstraints, if present and well-formed.
    pub fn basic_constraints(&self) -> Option<BasicConstraintsInfo> {
        self.basic_constraints
    }

    /// KeyUsage, if present and well-formed.
    pub fn key_usage(&self) -> Option<KeyUsageInfo> {
        self.key_usage
    }

    /// SubjectKeyIdentifier value, if present.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }

    /// AuthorityKeyIdentifier keyIdentifier, if present.
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    /// Certificate policy OIDs (empty when the extension is absent or malformed).
    pub fn policy_oids(&self) -> &[String] {
        self.policies.as_deref().unwrap_or(&[])
    }

    /// CRL distribution points (empty when the extension is absent or malformed).
    pub fn crl_distribution_points(&self) -> &[CrlDistributionPoint] {
        self.crl_distribution_points.as_deref().unwrap_or(&[])
    }

    /// All CRL distribution point URLs, in order.
    pub fn crl_urls(&self) -> Vec<&str> {
        self.crl_distribution_points()
            .iter()
            .flat_map(|p| p.urls.iter().map(String::as_str))
            .collect()
    }

    /// The TNAuthList: `None` when the extension is absent, `Some(Err(..))`
    /// with the decoding error when it is malformed.
    pub fn tn_auth_list(&self) -> Option<Result<&TnAuthList, &CertError>> {
        self.tn_auth_list.as_ref().map(Result::as_ref)
    }

    /// The (first) SPC of a well-formed TNAuthList.
    pub fn spc(&self) -> Option<&str> {
        self.tn_auth_list
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .and_then(TnAuthList::spc)
    }

    /// The TelephoneNumber entries (`one`, `range`) of a well-formed TNAuthList.
    pub fn tn_entries(&self) -> Vec<&TnEntry> {
        match &self.tn_auth_list {
            Some(Ok(l)) => l.tn_entries().collect(),
            _ => Vec::new(),
        }
    }

    /// Number authority for `canonical_tn` (see [`TnAuthList::covers`]);
    /// [`Coverage::No`] when the TNAuthList is absent or malformed.
    pub fn covers(&self, canonical_tn: &str) -> Coverage {
        match &self.tn_auth_list {
            Some(Ok(l)) => l.covers(canonical_tn),
            _ => Coverage::No,
        }
    }

    /// The RFC 8226 JWTClaimConstraints extension, if present.
    pub fn jwt_claim_constraints(&self) -> Option<Result<&ClaimConstraints, &CertError>> {
        self.jwt_claim_constraints.as_ref().map(Result::as_ref)
    }

    /// The RFC 9118 EnhancedJWTClaimConstraints extension, if present.
    pub fn enhanced_jwt_claim_constraints(&self) -> Option<Result<&ClaimConstraints, &CertError>> {
        self.enhanced_jwt_claim_constraints
            .as_ref()
            .map(Result::as_ref)
    }

    /// Check PASSporT claims against every claim-constraints extension of
    /// this certificate. A malformed constraints extension fails the check
    /// (its decoding error is returned): constraints that cannot be read cannot
    /// be enforced.
    ///
    /// # Errors
    /// The first violation (see [`ClaimConstraints::check`]) or decoding error.
    pub fn check_claims(&self, claims: &serde_json::Value) -> Result<(), CertError> {
        for c in [
            &self.jwt_claim_constraints,
            &self.enhanced_jwt_claim_constraints,
        ]
        .into_iter()
        .flatten()
        {
            match c {
                Ok(c) => c.check(claims)?,
                Err(e) => return Err(e.clone()),
            }
        }
        Ok(())
    }

    /// Known extensions that x509-parser could not decode: `(oid, error)`.
    pub fn malformed_extensions(&self) -> &[(String, String)] {
        &self.malformed_extensions
    }

    /// OIDs of extensions that occur more than once.
    pub fn duplicate_extensions(&self) -> &[String] {
        &self.duplicate_extensions
    }
}
