//! A test STI PKI generator (feature `testpki`): root → intermediate → end-entity
//! certificate with a TNAuthList, optional claim constraints, STI policy, CRL distribution
//! point, key identifiers; and CRLs revoking the end-entity. For tests, demos and the
//! `cliauth cert issue` command — never for production keys.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber,
};
use ring::rand::{SecureRandom, SystemRandom};

use crate::cert::constraints::ClaimConstraints;
use crate::cert::tnauthlist::{TnAuthList, TnEntry};
use crate::error::{CertProblem, Error};

/// The STI certificate policy OID (ATIS-1000080 v004: 2.16.840.1.114569.1.1.3).
pub const STI_POLICY_OID: &[u64] = &[2, 16, 840, 1, 114569, 1, 1, 3];

const OID_TN_AUTH_LIST: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 26];
const OID_CERT_POLICIES: &[u64] = &[2, 5, 29, 32];
const OID_CRL_DP: &[u64] = &[2, 5, 29, 31];
const OID_CN: &[u64] = &[2, 5, 4, 3];
const OID_O: &[u64] = &[2, 5, 4, 10];

/// What to put in a test PKI.
#[derive(Debug, Clone)]
pub struct TestPkiOptions {
    /// The service provider code of the end-entity TNAuthList (and its `SHAKEN <SPC>` CN).
    pub spc: Option<String>,
    /// Single telephone numbers in the TNAuthList.
    pub tns: Vec<String>,
    /// Telephone number ranges (start, count) in the TNAuthList.
    pub ranges: Vec<(String, u64)>,
    /// Leave the TNAuthList out entirely.
    pub no_tnauthlist: bool,
    /// Validity of all three certificates (Unix seconds).
    pub not_before: i64,
    /// Validity end of all three certificates (Unix seconds).
    pub not_after: i64,
    /// The end-entity validity, when it differs from the CAs'.
    pub ee_validity: Option<(i64, i64)>,
    /// Give the intermediate a P-384 key (it then signs with ECDSA-SHA384).
    pub intermediate_p384: bool,
    /// Make the intermediate a non-CA certificate (basicConstraints CA:false).
    pub intermediate_not_ca: bool,
    /// A JWTClaimConstraints or EnhancedJWTClaimConstraints extension for the end entity.
    pub claim_constraints: Option<ClaimConstraints>,
    /// The CRL distribution point URL of the end-entity certificate.
    pub crl_url: String,
    /// Common-name prefix for the CAs (to tell PKIs apart).
    pub name: String,
    /// Give the intermediate a certificatePolicies extension too, and mark it critical in
    /// the intermediate and the end entity (as some deployed STI-CAs do).
    pub critical_policies: bool,
    /// Add to the end entity a critical extension with this OID (an empty SEQUENCE) that
    /// no validator understands.
    pub ee_unknown_critical: Option<Vec<u64>>,
    /// Follow the ATIS-1000080 profile in the intermediate too (certificatePolicies and a
    /// CRL distribution point), and give every CRL distribution point a cRLIssuer naming
    /// the CRL's issuer: a PKI with no profile fault (`cliauth cert issue`).
    pub sti_profile: bool,
    /// A CRL distribution point URL for the intermediate (where the root's CRL is
    /// published); without `sti_profile` the intermediate has none by default.
    pub intermediate_crl_url: Option<String>,
}

impl Default for TestPkiOptions {
    fn default() -> Self {
        TestPkiOptions {
            spc: Some("1234".into()),
            tns: Vec::new(),
            ranges: Vec::new(),
            no_tnauthlist: false,
            not_before: 1_600_000_000,
            not_after: 2_500_000_000,
            ee_validity: None,
            intermediate_p384: false,
            intermediate_not_ca: false,
            claim_constraints: None,
            crl_url: "https://crl.example.net/sti.crl".into(),
            name: "cliauth test".into(),
            critical_policies: false,
            ee_unknown_critical: None,
            sti_profile: false,
            intermediate_crl_url: None,
        }
    }
}

/// A generated test PKI, PEM encoded.
pub struct TestPki {
    /// The root (trust anchor) certificate.
    pub root_pem: String,
    /// The root's private key (PKCS#8).
    pub root_key_pem: String,
    /// The intermediate certificate.
    pub intermediate_pem: String,
    /// The intermediate's private key (PKCS#8).
    pub intermediate_key_pem: String,
    /// The end-entity (service provider) certificate.
    pub ee_pem: String,
    /// The end-entity's private key (PKCS#8): the PASSporT signing key.
    pub ee_key_pem: String,
    /// End-entity then intermediate: what an `x5u` URL serves.
    pub chain_pem: String,
    ee_serial: Vec<u8>,
    intermediate: rcgen::Certificate,
    intermediate_key: KeyPair,
    intermediate_serial: Vec<u8>,
    root: rcgen::Certificate,
    root_key: KeyPair,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

fn err(e: impl std::fmt::Display) -> Error {
    Error::cert(
        CertProblem::Invalid,
        crate::error::CertReason::TestPki(e.to_string()),
    )
}

fn time(t: i64) -> Result<time::OffsetDateTime, Error> {
    time::OffsetDateTime::from_unix_timestamp(t).map_err(err)
}

fn serial() -> Result<Vec<u8>, Error> {
    let mut s = vec![0u8; 16];
    SystemRandom::new()
        .fill(&mut s)
        .map_err(|_| err("no randomness"))?;
    s[0] &= 0x7f;
    s[0] |= 0x01;
    Ok(s)
}

fn ca_params(cn: &str, opts: &TestPkiOptions) -> Result<CertificateParams, Error> {
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "cliauth test PKI");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = time(opts.not_before)?;
    p.not_after = time(opts.not_after)?;
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    p.serial_number = Some(SerialNumber::from(serial()?));
    Ok(p)
}

/// DER of a certificatePolicies extension value naming one policy OID.
fn policies_der(oid: &[u64]) -> Vec<u8> {
    let oid = yasna::models::ObjectIdentifier::from_slice(oid);
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| w.next().write_oid(&oid));
        })
    })
}

/// A cRLDistributionPoints extension (RFC 5280 §4.2.1.13) with one distribution point: a
/// full name (the URL) and a cRLIssuer (the directory name CN=`cn`, O=`o`), as
/// ATIS-1000080 asks.
fn crl_dp_with_issuer(url: &str, cn: &str, o: &str) -> CustomExtension {
    use yasna::Tag;
    let attr = |w: yasna::DERWriter<'_>, oid: &[u64], v: &str| {
        w.write_set(|w| {
            w.next().write_sequence(|w| {
                w.next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(oid));
                w.next().write_utf8_string(v);
            })
        })
    };
    let der = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                // distributionPoint [0] { fullName [0] { uniformResourceIdentifier [6] } }
                w.next().write_tagged(Tag::context(0), |w| {
                    w.write_tagged_implicit(Tag::context(0), |w| {
                        w.write_sequence(|w| {
                            w.next()
                                .write_tagged_implicit(Tag::context(6), |w| w.write_ia5_string(url))
                        })
                    })
                });
                // cRLIssuer [2] { directoryName [4] Name }
                w.next().write_tagged_implicit(Tag::context(2), |w| {
                    w.write_sequence(|w| {
                        w.next().write_tagged(Tag::context(4), |w| {
                            w.write_sequence(|w| {
                                attr(w.next(), OID_CN, cn);
                                attr(w.next(), OID_O, o);
                            })
                        })
                    })
                });
            })
        })
    });
    CustomExtension::from_oid_content(OID_CRL_DP, der)
}

/// A certificatePolicies extension naming the STI policy.
fn policies(critical: bool) -> CustomExtension {
    let mut ext =
        CustomExtension::from_oid_content(OID_CERT_POLICIES, policies_der(STI_POLICY_OID));
    ext.set_criticality(critical);
    ext
}

impl TestPki {
    /// Generates a PKI as `opts` describe.
    pub fn generate(opts: &TestPkiOptions) -> Result<TestPki, Error> {
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut root_params = ca_params(&format!("{} root", opts.name), opts)?;
        root_params.use_authority_key_identifier_extension = false;
        let root = root_params.self_signed(&root_key).map_err(err)?;

        let int_alg = if opts.intermediate_p384 {
            &rcgen::PKCS_ECDSA_P384_SHA384
        } else {
            &rcgen::PKCS_ECDSA_P256_SHA256
        };
        let intermediate_key = KeyPair::generate_for(int_alg).map_err(err)?;
        let mut int_params = ca_params(&format!("{} intermediate", opts.name), opts)?;
        if opts.intermediate_not_ca {
            int_params.is_ca = IsCa::ExplicitNoCa;
            int_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
        if opts.critical_policies {
            int_params.custom_extensions.push(policies(true));
        } else if opts.sti_profile {
            int_params.custom_extensions.push(policies(false));
        }
        if opts.sti_profile {
            int_params.custom_extensions.push(crl_dp_with_issuer(
                &opts.crl_url,
                &format!("{} root", opts.name),
                "cliauth test PKI",
            ));
        }
        if let (Some(url), false) = (&opts.intermediate_crl_url, opts.sti_profile) {
            int_params.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![url.clone()],
            }];
        }
        let intermediate_serial = int_params
            .serial_number
            .as_ref()
            .map(|s| s.to_bytes())
            .unwrap_or_default();
        let intermediate = int_params
            .signed_by(&intermediate_key, &root, &root_key)
            .map_err(err)?;

        let ee_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
        let mut ee = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        let cn = match &opts.spc {
            Some(spc) => format!("SHAKEN {spc}"),
            None => "SHAKEN".into(),
        };
        ee.distinguished_name.push(DnType::CommonName, cn);
        ee.distinguished_name
            .push(DnType::OrganizationName, "cliauth test SP");
        ee.is_ca = IsCa::ExplicitNoCa;
        ee.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let (nb, na) = opts
            .ee_validity
            .unwrap_or((opts.not_before, opts.not_after));
        ee.not_before = time(nb)?;
        ee.not_after = time(na)?;
        ee.key_identifier_method = KeyIdMethod::Sha256;
        ee.use_authority_key_identifier_extension = true;
        let ee_serial = serial()?;
        ee.serial_number = Some(SerialNumber::from(ee_serial.clone()));
        if opts.sti_profile {
            ee.custom_extensions.push(crl_dp_with_issuer(
                &opts.crl_url,
                &format!("{} intermediate", opts.name),
                "cliauth test PKI",
            ));
        } else {
            ee.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![opts.crl_url.clone()],
            }];
        }
        ee.custom_extensions.push(policies(opts.critical_policies));
        if let Some(oid) = &opts.ee_unknown_critical {
            let mut ext = CustomExtension::from_oid_content(oid, vec![0x30, 0x00]);
            ext.set_criticality(true);
            ee.custom_extensions.push(ext);
        }
        if !opts.no_tnauthlist {
            let mut entries = Vec::new();
            if let Some(spc) = &opts.spc {
                entries.push(TnEntry::Spc(spc.clone()));
            }
            for (start, count) in &opts.ranges {
                entries.push(TnEntry::Range {
                    start: start.clone(),
                    count: *count,
                });
            }
            for tn in &opts.tns {
                entries.push(TnEntry::One(tn.clone()));
            }
            let list = TnAuthList::new(entries).map_err(err)?;
            ee.custom_extensions.push(CustomExtension::from_oid_content(
                OID_TN_AUTH_LIST,
                list.to_der().map_err(err)?,
            ));
        }
        if let Some(c) = &opts.claim_constraints {
            let oid: Vec<u64> = c
                .kind()
                .oid()
                .split('.')
                .map(|p| p.parse().map_err(err))
                .collect::<Result<_, _>>()?;
            ee.custom_extensions.push(CustomExtension::from_oid_content(
                &oid,
                c.to_der().map_err(err)?,
            ));
        }
        let ee_cert = ee
            .signed_by(&ee_key, &intermediate, &intermediate_key)
            .map_err(err)?;

        Ok(TestPki {
            root_pem: root.pem(),
            root_key_pem: root_key.serialize_pem(),
            intermediate_pem: intermediate.pem(),
            intermediate_key_pem: intermediate_key.serialize_pem(),
            chain_pem: format!("{}{}", ee_cert.pem(), intermediate.pem()),
            ee_pem: ee_cert.pem(),
            ee_key_pem: ee_key.serialize_pem(),
            ee_serial,
            intermediate,
            intermediate_key,
            intermediate_serial,
            root,
            root_key,
        })
    }

    /// A CRL issued by the intermediate (the end-entity's issuer), valid from
    /// `this_update` to `next_update`, revoking the end-entity certificate when `revoke_ee`.
    pub fn ee_crl(
        &self,
        revoke_ee: bool,
        this_update: i64,
        next_update: i64,
    ) -> Result<String, Error> {
        let revoked = if revoke_ee {
            vec![self.ee_serial.clone()]
        } else {
            Vec::new()
        };
        crl(
            &self.intermediate,
            &self.intermediate_key,
            revoked,
            this_update,
            next_update,
        )
    }

    /// A CRL issued by the root, revoking the intermediate when `revoke_intermediate`.
    pub fn root_crl(
        &self,
        revoke_intermediate: bool,
        this_update: i64,
        next_update: i64,
    ) -> Result<String, Error> {
        let revoked = if revoke_intermediate {
            vec![self.intermediate_serial.clone()]
        } else {
            Vec::new()
        };
        crl(
            &self.root,
            &self.root_key,
            revoked,
            this_update,
            next_update,
        )
    }
}

fn crl(
    issuer: &rcgen::Certificate,
    key: &KeyPair,
    revoked: Vec<Vec<u8>>,
    this_update: i64,
    next_update: i64,
) -> Result<String, Error> {
    let params = CertificateRevocationListParams {
        this_update: time(this_update)?,
        next_update: time(next_update)?,
        crl_number: SerialNumber::from(serial()?),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .into_iter()
            .map(|s| -> Result<RevokedCertParams, Error> {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from(s),
                    revocation_time: time(this_update)?,
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
            })
            .collect::<Result<_, _>>()?,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params
        .signed_by(issuer, key)
        .map_err(err)?
        .pem()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::StiCert;
    use crate::cert::sticert::pem_blocks;

    /// `sti_profile` (what `cliauth cert issue` asks for) gives three certificates without
    /// an ATIS-1000080 profile fault; without it, the intermediate lacks its policy and
    /// CRL distribution point.
    #[test]
    fn sti_profile_pki_has_no_profile_fault() {
        let faults = |opts: &TestPkiOptions| -> Vec<Vec<&'static str>> {
            let pki = TestPki::generate(opts).unwrap();
            [&pki.ee_pem, &pki.intermediate_pem, &pki.root_pem]
                .iter()
                .map(|pem| {
                    let (_, der) = pem_blocks(pem.as_bytes()).next().unwrap().unwrap();
                    let c = StiCert::from_der(&der).unwrap();
                    c.check_profile().iter().map(|f| f.id()).collect()
                })
                .collect()
        };
        let strict = faults(&TestPkiOptions {
            sti_profile: true,
            ..TestPkiOptions::default()
        });
        assert_eq!(strict, vec![Vec::<&str>::new(); 3]);
        let lax = faults(&TestPkiOptions::default());
        assert!(lax[1].contains(&"policy_missing"), "{lax:?}");
        assert!(lax[0].contains(&"crl_dp_crl_issuer_missing"), "{lax:?}");
    }
}
