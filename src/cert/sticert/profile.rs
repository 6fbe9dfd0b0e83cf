//! The ATIS-1000080 STI certificate profile checker: [`StiCert::check_profile`] and the
//! fault table ([`FaultKind`], [`ProfileFault`]).

use std::fmt;

use super::*;

/// `http://` or `https://` followed by a non-empty host (case-insensitive scheme).
fn is_http_url(url: &str) -> bool {
    let b = url.as_bytes();
    let skip = if b
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"https://"))
    {
        8
    } else if b
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"http://"))
    {
        7
    } else {
        return false;
    };
    b.get(skip).is_some_and(|c| *c != b'/')
}

impl StiCert {
    /// Check the certificate against the ATIS-1000080 STI certificate profile
    /// (see [`FaultKind`] for the rules). Returns every fault found; an empty
    /// list means the certificate conforms. Never fails.
    pub fn check_profile(&self) -> Vec<ProfileFault> {
        let mut faults = Vec::new();
        let mut fault =
            |kind: FaultKind, detail: String| faults.push(ProfileFault { kind, detail });
        let role = self.role();
        let is_ee = role == CertRole::EndEntity;

        if self.version != 3 {
            fault(FaultKind::NotV3, format!("version {}", self.version));
        }
        if self.signature_algorithm != SignatureAlgorithm::EcdsaSha256 {
            fault(
                FaultKind::SigAlgNotEcdsaSha256,
                format!("signature algorithm {}", self.signature_algorithm.oid()),
            );
        }
        if self.tbs_signature_oid != self.signature_algorithm.oid() {
            fault(
                FaultKind::SigAlgMismatch,
                format!(
                    "tbsCertificate.signature {} != signatureAlgorithm {}",
                    self.tbs_signature_oid,
                    self.signature_algorithm.oid()
                ),
            );
        }
        if self.public_key.algorithm != KeyAlgorithm::EcP256 {
            fault(
                FaultKind::KeyNotP256,
                format!(
                    "key {:?} ({}{})",
                    self.public_key.algorithm,
                    self.public_key.algorithm_oid,
                    self.public_key
                        .curve_oid
                        .as_deref()
                        .map(|c| format!(", curve {c}"))
                        .unwrap_or_default()
                ),
            );
        }

        // Serial: positive, at least 64 bits of CSPRNG output. Checked as
        // "at least 2^56", the threshold the public ATIS lints use, so that a
        // random 64-bit value with leading zero bits is not flagged.
        let neg = self.serial.first().is_some_and(|b| b & 0x80 != 0);
        let magnitude: &[u8] = {
            let lead = self.serial.iter().take_while(|b| **b == 0).count();
            &self.serial[lead..]
        };
        if neg || magnitude.is_empty() {
            fault(
                FaultKind::SerialNotPositive,
                format!("serial {}", self.serial_hex()),
            );
        } else if magnitude.len() < 8 {
            fault(
                FaultKind::SerialTooShort,
                format!(
                    "serial {} has {} significant bytes",
                    self.serial_hex(),
                    magnitude.len()
                ),
            );
        }

        for (oid, err) in &self.malformed_extensions {
            fault(FaultKind::ExtensionMalformed, format!("{oid}: {err}"));
        }
        for oid in &self.duplicate_extensions {
            fault(FaultKind::DuplicateExtension, oid.clone());
        }
        for ext in &self.extensions {
            if ext.critical && !KNOWN_EXTENSIONS.contains(&ext.oid.as_str()) {
                fault(FaultKind::UnknownCriticalExtension, ext.oid.clone());
            }
        }

        match self.basic_constraints {
            None => fault(FaultKind::BasicConstraintsMissing, String::new()),
            Some(bc) if !bc.critical => {
                fault(FaultKind::BasicConstraintsNotCritical, String::new())
            }
            Some(_) => {}
        }

        match self.key_usage {
            None => fault(FaultKind::KeyUsageMissing, String::new()),
            Some(ku) => {
                if !ku.critical {
                    fault(FaultKind::KeyUsageNotCritical, String::new());
                }
                if is_ee {
                    if ku.flags != KeyUsageInfo::DIGITAL_SIGNATURE {
                        fault(
                            FaultKind::EeKeyUsageNotDigitalSignatureOnly,
                            format!("key usage bits {:#06x}", ku.flags),
                        );
                    }
                } else {
                    let allowed = KeyUsageInfo::KEY_CERT_SIGN
                        | KeyUsageInfo::CRL_SIGN
                        | KeyUsageInfo::DIGITAL_SIGNATURE;
                    if ku.flags & KeyUsageInfo::KEY_CERT_SIGN == 0 || ku.flags & !allowed != 0 {
                        fault(
                            FaultKind::CaKeyUsageInvalid,
                            format!("key usage bits {:#06x}", ku.flags),
                        );
                    }
                }
            }
        }

        if self.subject_key_id.is_none() {
            fault(FaultKind::SkiMissing, String::new());
        }
        if role != CertRole::Root && self.authority_key_id.is_none() {
            let detail = if self.aki_present {
                "no keyIdentifier".to_owned()
            } else {
                String::new()
            };
            fault(FaultKind::AkiMissing, detail);
        }

        if role != CertRole::Root {
            match &self.policies {
                None => fault(FaultKind::PolicyMissing, String::new()),
                Some(p) => {
                    if p.len() != 1 {
                        fault(
                            FaultKind::PolicyCountNotOne,
                            format!("{} policies", p.len()),
                        );
                    }
                    for oid in p {
                        if !SHAKEN_POLICY_OIDS.contains(&oid.as_str()) {
                            fault(FaultKind::PolicyUnknown, oid.clone());
                        }
                    }
                }
            }
            match &self.crl_distribution_points {
                None => fault(FaultKind::CrlDpMissing, String::new()),
                Some(points) => {
                    if points.len() != 1 {
                        fault(
                            FaultKind::CrlDpNotOne,
                            format!("{} distribution points", points.len()),
                        );
                    }
                    for p in points {
                        if !p.urls.iter().any(|u| is_http_url(u)) {
                            fault(FaultKind::CrlDpNotHttp, p.urls.join(" "));
                        }
                        if !p.has_crl_issuer {
                            fault(FaultKind::CrlDpCrlIssuerMissing, p.urls.join(" "));
                        }
                    }
                }
            }
        }

        for c in [
            &self.jwt_claim_constraints,
            &self.enhanced_jwt_claim_constraints,
        ]
        .into_iter()
        .flatten()
        {
            if let Err(e) = c {
                fault(FaultKind::ClaimConstraintsMalformed, e.to_string());
            }
        }

        if is_ee {
            let mut spc = None;
            match &self.tn_auth_list {
                None => fault(FaultKind::TnAuthListMissing, String::new()),
                Some(Err(e)) => fault(FaultKind::TnAuthListMalformed, e.to_string()),
                Some(Ok(list)) => {
                    let entries = list.entries();
                    if !matches!(entries, [TnEntry::Spc(_)]) {
                        fault(
                            FaultKind::TnAuthListNotSingleSpc,
                            format!("{} entries, {} SPC", entries.len(), list.spcs().count()),
                        );
                    }
                    spc = list.spc();
                    if let Some(s) = spc
                        && (s.is_empty()
                            || !s
                                .bytes()
                                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()))
                    {
                        fault(FaultKind::SpcFormat, format!("SPC {s:?}"));
                    }
                }
            }
            let cn_ok = match (spc, self.subject_cns.as_slice()) {
                (Some(s), [cn]) => cn.strip_prefix("SHAKEN ") == Some(s),
                (None, [cn]) => cn.starts_with("SHAKEN "),
                _ => false,
            };
            if !cn_ok {
                fault(
                    FaultKind::SubjectCnNotShakenSpc,
                    format!(
                        "CN {:?}, expected \"SHAKEN {}\"",
                        self.subject_cns.join(" | "),
                        spc.unwrap_or("<SPC>")
                    ),
                );
            }
        }
        faults
    }
}

/// The kinds of ATIS-1000080 profile fault. [`FaultKind::id`] gives the stable
/// snake_case identifier.
///
/// Scope of each rule: "all" applies to every certificate, "non-root" to
/// end-entity and intermediate certificates, "EE" to end-entity certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FaultKind {
    /// All: the certificate is not X.509 v3.
    NotV3,
    /// All: the signature algorithm is not ecdsa-with-SHA256.
    SigAlgNotEcdsaSha256,
    /// All: tbsCertificate.signature differs from signatureAlgorithm (RFC 5280).
    SigAlgMismatch,
    /// All: the key is not an ECDSA P-256 key.
    KeyNotP256,
    /// All: the serial number is zero or negative.
    SerialNotPositive,
    /// All: the serial number is below 2^56 (fewer than 64 random bits).
    SerialTooShort,
    /// All: a known extension could not be decoded.
    ExtensionMalformed,
    /// All: an extension occurs more than once (RFC 5280).
    DuplicateExtension,
    /// All: a critical extension this layer does not understand.
    UnknownCriticalExtension,
    /// All: no BasicConstraints extension.
    BasicConstraintsMissing,
    /// All: BasicConstraints is not critical.
    BasicConstraintsNotCritical,
    /// All: no KeyUsage extension.
    KeyUsageMissing,
    /// All: KeyUsage is not critical.
    KeyUsageNotCritical,
    /// EE: KeyUsage is not exactly digitalSignature.
    EeKeyUsageNotDigitalSignatureOnly,
    /// CA: KeyUsage lacks keyCertSign or has bits other than keyCertSign,
    /// cRLSign, digitalSignature.
    CaKeyUsageInvalid,
    /// All: no SubjectKeyIdentifier.
    SkiMissing,
    /// Non-root: no AuthorityKeyIdentifier keyIdentifier.
    AkiMissing,
    /// Non-root: no CertificatePolicies extension.
    PolicyMissing,
    /// Non-root: CertificatePolicies does not hold exactly one policy.
    PolicyCountNotOne,
    /// Non-root: a policy OID is not a SHAKEN certificate policy.
    PolicyUnknown,
    /// Non-root: no CRLDistributionPoints extension.
    CrlDpMissing,
    /// Non-root: CRLDistributionPoints does not hold exactly one point.
    CrlDpNotOne,
    /// Non-root: a distribution point has no HTTP URL (`http://` or
    /// `https://`; the STI-PA publishes its CRL over https).
    CrlDpNotHttp,
    /// Non-root: a distribution point has no cRLIssuer.
    CrlDpCrlIssuerMissing,
    /// All: a JWTClaimConstraints / EnhancedJWTClaimConstraints extension is malformed.
    ClaimConstraintsMalformed,
    /// EE: no TNAuthList extension.
    TnAuthListMissing,
    /// EE: the TNAuthList extension does not decode as a TNAuthorizationList.
    TnAuthListMalformed,
    /// EE: the TNAuthList is not exactly one SPC entry.
    TnAuthListNotSingleSpc,
    /// EE: the SPC has characters other than digits and uppercase letters
    /// (ATIS-1000080 v005).
    SpcFormat,
    /// EE: the subject has not exactly one CN equal to `SHAKEN <SPC>`.
    SubjectCnNotShakenSpc,
}

impl FaultKind {
    /// Every fault kind, in declaration order.
    pub const ALL: [FaultKind; 30] = [
        Self::NotV3,
        Self::SigAlgNotEcdsaSha256,
        Self::SigAlgMismatch,
        Self::KeyNotP256,
        Self::SerialNotPositive,
        Self::SerialTooShort,
        Self::ExtensionMalformed,
        Self::DuplicateExtension,
        Self::UnknownCriticalExtension,
        Self::BasicConstraintsMissing,
        Self::BasicConstraintsNotCritical,
        Self::KeyUsageMissing,
        Self::KeyUsageNotCritical,
        Self::EeKeyUsageNotDigitalSignatureOnly,
        Self::CaKeyUsageInvalid,
        Self::SkiMissing,
        Self::AkiMissing,
        Self::PolicyMissing,
        Self::PolicyCountNotOne,
        Self::PolicyUnknown,
        Self::CrlDpMissing,
        Self::CrlDpNotOne,
        Self::CrlDpNotHttp,
        Self::CrlDpCrlIssuerMissing,
        Self::ClaimConstraintsMalformed,
        Self::TnAuthListMissing,
        Self::TnAuthListMalformed,
        Self::TnAuthListNotSingleSpc,
        Self::SpcFormat,
        Self::SubjectCnNotShakenSpc,
    ];

    /// Stable snake_case identifier.
    pub fn id(self) -> &'static str {
        match self {
            Self::NotV3 => "not_v3",
            Self::SigAlgNotEcdsaSha256 => "sig_alg_not_ecdsa_sha256",
            Self::SigAlgMismatch => "sig_alg_mismatch",
            Self::KeyNotP256 => "key_not_p256",
            Self::SerialNotPositive => "serial_not_positive",
            Self::SerialTooShort => "serial_too_short",
            Self::ExtensionMalformed => "extension_malformed",
            Self::DuplicateExtension => "duplicate_extension",
            Self::UnknownCriticalExtension => "unknown_critical_extension",
            Self::BasicConstraintsMissing => "basic_constraints_missing",
            Self::BasicConstraintsNotCritical => "basic_constraints_not_critical",
            Self::KeyUsageMissing => "key_usage_missing",
            Self::KeyUsageNotCritical => "key_usage_not_critical",
            Self::EeKeyUsageNotDigitalSignatureOnly => "ee_key_usage_not_digital_signature_only",
            Self::CaKeyUsageInvalid => "ca_key_usage_invalid",
            Self::SkiMissing => "ski_missing",
            Self::AkiMissing => "aki_missing",
            Self::PolicyMissing => "policy_missing",
            Self::PolicyCountNotOne => "policy_count_not_one",
            Self::PolicyUnknown => "policy_unknown",
            Self::CrlDpMissing => "crl_dp_missing",
            Self::CrlDpNotOne => "crl_dp_not_one",
            Self::CrlDpNotHttp => "crl_dp_not_http",
            Self::CrlDpCrlIssuerMissing => "crl_dp_crl_issuer_missing",
            Self::ClaimConstraintsMalformed => "claim_constraints_malformed",
            Self::TnAuthListMissing => "tnauthlist_missing",
            Self::TnAuthListMalformed => "tnauthlist_malformed",
            Self::TnAuthListNotSingleSpc => "tnauthlist_not_single_spc",
            Self::SpcFormat => "spc_format",
            Self::SubjectCnNotShakenSpc => "subject_cn_not_shaken_spc",
        }
    }

    /// Short human description of the rule that is broken.
    pub fn description(self) -> &'static str {
        match self {
            Self::NotV3 => "certificate is not X.509 version 3",
            Self::SigAlgNotEcdsaSha256 => "signature algorithm is not ecdsa-with-SHA256",
            Self::SigAlgMismatch => "inner and outer signature algorithms differ",
            Self::KeyNotP256 => "public key is not ECDSA P-256",
            Self::SerialNotPositive => "serial number is not a positive integer",
            Self::SerialTooShort => "serial number has fewer than 64 bits",
            Self::ExtensionMalformed => "an extension cannot be decoded",
            Self::DuplicateExtension => "an extension appears more than once",
            Self::UnknownCriticalExtension => "unrecognised critical extension",
            Self::BasicConstraintsMissing => "BasicConstraints extension missing",
            Self::BasicConstraintsNotCritical => "BasicConstraints extension not critical",
            Self::KeyUsageMissing => "KeyUsage extension missing",
            Self::KeyUsageNotCritical => "KeyUsage extension not critical",
            Self::EeKeyUsageNotDigitalSignatureOnly => {
                "end-entity KeyUsage is not digitalSignature only"
            }
            Self::CaKeyUsageInvalid => {
                "CA KeyUsage must have keyCertSign and only cRLSign/digitalSignature besides"
            }
            Self::SkiMissing => "SubjectKeyIdentifier missing",
            Self::AkiMissing => "AuthorityKeyIdentifier keyIdentifier missing",
            Self::PolicyMissing => "CertificatePolicies extension missing",
            Self::PolicyCountNotOne => "CertificatePolicies must hold exactly one policy",
            Self::PolicyUnknown => "certificate policy is not a SHAKEN policy OID",
            Self::CrlDpMissing => "CRLDistributionPoints extension missing",
            Self::CrlDpNotOne => "CRLDistributionPoints must hold exactly one point",
            Self::CrlDpNotHttp => "CRL distribution point has no HTTP(S) URL",
            Self::CrlDpCrlIssuerMissing => "CRL distribution point has no cRLIssuer",
            Self::ClaimConstraintsMalformed => "JWT claim constraints extension malformed",
            Self::TnAuthListMissing => "end-entity certificate has no TNAuthList",
            Self::TnAuthListMalformed => "TNAuthList is not a valid TNAuthorizationList",
            Self::TnAuthListNotSingleSpc => "TNAuthList must hold exactly one SPC entry",
            Self::SpcFormat => "SPC must be digits and uppercase letters only",
            Self::SubjectCnNotShakenSpc => "subject CN is not \"SHAKEN <SPC>\"",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One profile fault: its kind and the specifics found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFault {
    /// What rule is broken.
    pub kind: FaultKind,
    /// What was found (may be empty).
    pub detail: String,
}

impl ProfileFault {
    /// Stable snake_case identifier of the fault.
    pub fn id(&self) -> &'static str {
        self.kind.id()
    }
}

impl fmt::Display for ProfileFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.id(), self.kind.description())?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}
