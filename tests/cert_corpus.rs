//! The real-certificate corpus (tests/data/interop/sti-certs, 15,988 certificates from the
//! public STIR/SHAKEN ecosystem) and the libstirshaken reference certificates:
//! every certificate must parse, TNAuthLists must yield their SPC/TN entries or
//! a kept error, and the profile checker must run on all of them.
//!
//! Run with `cargo test --release --test corpus -- --nocapture` for the timing
//! and the statistics.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use cliauth::cert::sticert::{CertRole, KeyAlgorithm, pem_blocks};
use cliauth::cert::{CertError, Coverage, FaultKind, StiCert, TnEntry, TrustStore, parse_chain};

/// The third-party data in the repository: `tests/data/interop/` (origin and licences in
/// its README.md).
fn interop() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/interop")
}

fn gunzip(path: &PathBuf) -> Vec<u8> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[derive(Default)]
struct Stats {
    certs: usize,
    parse_errors: Vec<String>,
    roles: BTreeMap<&'static str, usize>,
    ee_with_tnauthlist: usize,
    ee_tnauthlist_ok: usize,
    ee_tnauthlist_malformed: usize,
    ee_without_tnauthlist: usize,
    ee_spc_only: usize,
    ee_with_tn_entries: usize,
    malformed_reasons: BTreeMap<String, usize>,
    faults: BTreeMap<&'static str, usize>,
    certs_without_faults: usize,
    keys: BTreeMap<String, usize>,
    sig_algs: BTreeMap<String, usize>,
    with_claim_constraints: usize,
}

#[test]
fn sti_cert_corpus() {
    let dir = interop().join("sti-certs");
    let pem = gunzip(&dir.join("certs.pem.gz"));
    let index = String::from_utf8(gunzip(&dir.join("index.csv.gz"))).unwrap();
    // sha256 -> lint_clean
    let mut expected: HashMap<String, bool> = HashMap::new();
    for line in index.lines().skip(1) {
        let sha = line.split(',').next().unwrap().to_owned();
        let clean = line.ends_with(",1");
        expected.insert(sha, clean);
    }

    let start = Instant::now();
    let mut st = Stats::default();
    let mut seen = HashSet::new();
    let mut clean_vs_ours = [[0usize; 2]; 2]; // [lint_clean][ours_clean]
    let mut faults_on_lint_clean: BTreeMap<&'static str, usize> = BTreeMap::new();
    for block in pem_blocks(&pem) {
        let (label, der) = block.expect("PEM block");
        assert_eq!(label, "CERTIFICATE");
        st.certs += 1;
        let cert = match StiCert::from_der(&der) {
            Ok(c) => c,
            Err(e) => {
                st.parse_errors.push(e.to_string());
                continue;
            }
        };
        let sha = cert.sha256_hex();
        let lint_clean = *expected
            .get(&sha)
            .unwrap_or_else(|| panic!("sha256 {sha} not in index.csv"));
        seen.insert(sha);

        let role = cert.role();
        *st.roles
            .entry(match role {
                CertRole::EndEntity => "end-entity",
                CertRole::Intermediate => "intermediate CA",
                CertRole::Root => "root CA",
            })
            .or_default() += 1;
        *st.keys
            .entry(format!("{:?}", cert.public_key().algorithm))
            .or_default() += 1;
        *st.sig_algs
            .entry(format!("{:?}", cert.signature_algorithm()))
            .or_default() += 1;
        if cert.jwt_claim_constraints().is_some() || cert.enhanced_jwt_claim_constraints().is_some()
        {
            st.with_claim_constraints += 1;
        }

        if role == CertRole::EndEntity {
            match cert.tn_auth_list() {
                None => st.ee_without_tnauthlist += 1,
                Some(Ok(list)) => {
                    st.ee_with_tnauthlist += 1;
                    st.ee_tnauthlist_ok += 1;
                    // A well-formed list yields its SPC or its TN entries.
                    assert!(
                        cert.spc().is_some() || !cert.tn_entries().is_empty(),
                        "{}",
                        cert.subject()
                    );
                    if let Some(spc) = cert.spc() {
                        assert!(list.entries().contains(&TnEntry::Spc(spc.to_owned())));
                    }
                    if cert.tn_entries().is_empty() {
                        st.ee_spc_only += 1;
                        // With no TN entries, any number is SPC-only covered.
                        assert_eq!(
                            cert.covers("12025551000"),
                            Coverage::SpcOnly(cert.spc().unwrap().to_owned())
                        );
                    } else {
                        st.ee_with_tn_entries += 1;
                    }
                }
                Some(Err(e)) => {
                    st.ee_with_tnauthlist += 1;
                    st.ee_tnauthlist_malformed += 1;
                    let reason = match e {
                        CertError::Asn1Decode { detail, .. } => {
                            format!("asn1: {}", detail.split(':').next().unwrap_or(""))
                        }
                        other => format!("{other}"),
                    };
                    *st.malformed_reasons.entry(reason).or_default() += 1;
                    assert!(cert.spc().is_none());
                    assert_eq!(cert.covers("12025551000"), Coverage::No);
                }
            }
        }

        let faults = cert.check_profile();
        if faults.is_empty() {
            st.certs_without_faults += 1;
        }
        clean_vs_ours[usize::from(lint_clean)][usize::from(faults.is_empty())] += 1;
        let mut kinds: Vec<FaultKind> = faults.iter().map(|f| f.kind).collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            *st.faults.entry(k.id()).or_default() += 1;
            if lint_clean {
                *faults_on_lint_clean.entry(k.id()).or_default() += 1;
            }
        }
        // Every fault renders.
        for f in &faults {
            assert!(!f.to_string().is_empty());
        }
    }
    let elapsed = start.elapsed();

    println!("corpus: {} certificates in {:.3?}", st.certs, elapsed);
    println!("parse errors: {}", st.parse_errors.len());
    for e in st.parse_errors.iter().take(10) {
        println!("  {e}");
    }
    println!("roles: {:?}", st.roles);
    println!(
        "end-entity: {} with TNAuthList ({} well-formed: {} SPC-only, {} with TN entries; {} malformed), {} without",
        st.ee_with_tnauthlist,
        st.ee_tnauthlist_ok,
        st.ee_spc_only,
        st.ee_with_tn_entries,
        st.ee_tnauthlist_malformed,
        st.ee_without_tnauthlist
    );
    println!("malformed TNAuthList reasons: {:#?}", st.malformed_reasons);
    println!("keys: {:?}", st.keys);
    println!("signature algorithms: {:?}", st.sig_algs);
    println!("with claim constraints: {}", st.with_claim_constraints);
    println!(
        "certificates without profile fault: {}",
        st.certs_without_faults
    );
    println!(
        "index lint_clean vs ours: clean/clean {} clean/faulty {} faulty/clean {} faulty/faulty {}",
        clean_vs_ours[1][1], clean_vs_ours[1][0], clean_vs_ours[0][1], clean_vs_ours[0][0]
    );
    println!("our faults on certificates the report calls lint-clean: {faults_on_lint_clean:?}");
    let mut by_count: Vec<_> = st.faults.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("faults (certificates affected):");
    for (id, n) in &by_count {
        println!("  {n:>6}  {id}");
    }

    assert_eq!(st.certs, 15_988);
    assert!(st.parse_errors.is_empty(), "{:?}", &st.parse_errors[..]);
    assert_eq!(seen.len(), expected.len(), "every index entry seen once");
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 10.0, "corpus pass took {elapsed:?}");
    }
}

fn read(name: &str) -> Vec<u8> {
    let p = interop().join("libstirshaken").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn libstirshaken_sp_pem_tnauthlist_is_malformed() {
    let chain = parse_chain(&read("sp.pem")).unwrap();
    assert_eq!(chain.len(), 1);
    let sp = &chain[0];
    assert_eq!(sp.role(), CertRole::EndEntity);
    // The extension holds an IA5String URL, not a TNAuthorizationList.
    let ext = sp.extension("1.3.6.1.5.5.7.1.26").unwrap();
    assert_eq!(ext.value[0], 0x16, "IA5String");
    let err = sp.tn_auth_list().unwrap().unwrap_err();
    assert!(matches!(err, CertError::Asn1Decode { .. }), "{err}");
    assert_eq!(sp.spc(), None);
    assert!(sp.tn_entries().is_empty());
    assert_eq!(sp.covers("12155551212"), Coverage::No);
    let ids: Vec<&str> = sp.check_profile().iter().map(|f| f.id()).collect();
    assert!(ids.contains(&"tnauthlist_malformed"), "{ids:?}");
    assert_eq!(sp.public_key().algorithm, KeyAlgorithm::EcP256);
    println!("sp.pem {}: {ids:?}", sp.subject());
}

#[test]
fn libstirshaken_other_certs_parse() {
    for name in ["ca.pem", "pa.pem", "wrongsp.pem", "sp.pem"] {
        let chain = parse_chain(&read(name)).unwrap();
        assert_eq!(chain.len(), 1, "{name}");
        let c = &chain[0];
        let faults: Vec<&str> = c.check_profile().iter().map(|f| f.id()).collect();
        println!(
            "{name}: role {:?}, subject {:?}, issuer {:?}, key {:?}, faults {faults:?}",
            c.role(),
            c.subject(),
            c.issuer(),
            c.public_key().algorithm
        );
    }
    // A bundle: end-entity first, then its issuer.
    let mut bundle = read("sp.pem");
    bundle.extend_from_slice(&read("ca.pem"));
    let chain = parse_chain(&bundle).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0].issuer(), chain[1].subject());
    assert!(chain[1].is_ca());
    // The same as concatenated DER.
    let mut der = chain[0].der().to_vec();
    der.extend_from_slice(chain[1].der());
    let again = parse_chain(&der).unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].sha256(), chain[0].sha256());
    assert_eq!(again[1].sha256(), chain[1].sha256());
}

/// Checks `cert`'s signature directly: `issuer`'s public key over `cert`'s TBSCertificate,
/// with `cert`'s signature algorithm. ECDSA P-256/P-384 with SHA-256/384 and RSA PKCS#1
/// go through ring; the ECDSA combinations ring lacks (SHA-512, P-521) through RustCrypto,
/// as a prehash verification of the digest (which the `ecdsa` crate truncates or pads to
/// the size of the curve order, as FIPS 186-4 requires). Returns the kind checked.
fn verify_signed_by(issuer: &StiCert, cert: &StiCert) -> Result<String, String> {
    use cliauth::cert::sticert::SignatureAlgorithm as S;
    use ring::signature as rs;
    use sha2::Digest;

    let key = &issuer.public_key().key;
    let key_alg = &issuer.public_key().algorithm;
    let sig_alg = cert.signature_algorithm();
    let tbs = cert.tbs_der();
    let sig = cert.signature_value();
    let by_ring: Option<(&dyn rs::VerificationAlgorithm, &str)> = match (key_alg, sig_alg) {
        (KeyAlgorithm::EcP256, S::EcdsaSha256) => {
            Some((&rs::ECDSA_P256_SHA256_ASN1, "P-256/SHA-256"))
        }
        (KeyAlgorithm::EcP256, S::EcdsaSha384) => {
            Some((&rs::ECDSA_P256_SHA384_ASN1, "P-256/SHA-384"))
        }
        (KeyAlgorithm::EcP384, S::EcdsaSha256) => {
            Some((&rs::ECDSA_P384_SHA256_ASN1, "P-384/SHA-256"))
        }
        (KeyAlgorithm::EcP384, S::EcdsaSha384) => {
            Some((&rs::ECDSA_P384_SHA384_ASN1, "P-384/SHA-384"))
        }
        (KeyAlgorithm::Rsa { .. }, S::RsaPkcs1Sha256) => {
            Some((&rs::RSA_PKCS1_2048_8192_SHA256, "RSA/SHA-256"))
        }
        (KeyAlgorithm::Rsa { .. }, S::RsaPkcs1Sha384) => {
            Some((&rs::RSA_PKCS1_2048_8192_SHA384, "RSA/SHA-384"))
        }
        (KeyAlgorithm::Rsa { .. }, S::RsaPkcs1Sha512) => {
            Some((&rs::RSA_PKCS1_2048_8192_SHA512, "RSA/SHA-512"))
        }
        _ => None,
    };
    if let Some((alg, kind)) = by_ring {
        return rs::UnparsedPublicKey::new(alg, key)
            .verify(&tbs, &sig)
            .map(|()| kind.to_owned())
            .map_err(|_| format!("{kind}: bad signature"));
    }
    let (digest, hash) = match sig_alg {
        S::EcdsaSha256 => (sha2::Sha256::digest(&tbs).to_vec(), "SHA-256"),
        S::EcdsaSha384 => (sha2::Sha384::digest(&tbs).to_vec(), "SHA-384"),
        S::EcdsaSha512 => (sha2::Sha512::digest(&tbs).to_vec(), "SHA-512"),
        other => return Err(format!("unsupported: {key_alg:?} key, {other:?} signature")),
    };
    macro_rules! prehash_verify {
        ($curve:ident, $name:literal) => {{
            use $curve::ecdsa::signature::hazmat::PrehashVerifier;
            let kind = format!("{}/{hash}", $name);
            let vk = $curve::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|e| format!("{kind}: bad key: {e}"))?;
            let sig = $curve::ecdsa::Signature::from_der(&sig)
                .map_err(|e| format!("{kind}: bad signature encoding: {e}"))?;
            vk.verify_prehash(&digest, &sig)
                .map_err(|e| format!("{kind}: bad signature: {e}"))?;
            Ok(kind)
        }};
    }
    match key_alg {
        KeyAlgorithm::EcP256 => prehash_verify!(p256, "P-256"),
        KeyAlgorithm::EcP384 => prehash_verify!(p384, "P-384"),
        KeyAlgorithm::EcP521 => prehash_verify!(p521, "P-521"),
        other => Err(format!("unsupported: {other:?} key, {sig_alg:?} signature")),
    }
}

/// Our validator's error reduced to its problem and typed reason (no message text is
/// parsed), e.g. `cert_invalid/unsupported_critical_extension`.
fn webpki_kind(e: &cliauth::Error) -> String {
    match e {
        cliauth::Error::Cert { problem, reason } => format!("{}/{}", problem.as_str(), reason.id()),
        other => format!("{other}"),
    }
}

/// The critical extensions of `cert` that rustls-webpki does not process (it processes
/// keyUsage, subjectAltName, basicConstraints, nameConstraints, cRLDistributionPoints and
/// extKeyUsage, and rejects any other critical extension).
fn critical_unknown_to_webpki(cert: &StiCert) -> Vec<&str> {
    const PROCESSED: [&str; 6] = [
        "2.5.29.15",
        "2.5.29.17",
        "2.5.29.19",
        "2.5.29.30",
        "2.5.29.31",
        "2.5.29.37",
    ];
    cert.extensions()
        .iter()
        .filter(|e| e.critical && !PROCESSED.contains(&e.oid.as_str()))
        .map(|e| e.oid.as_str())
        .collect()
}

/// Whether the outer signatureAlgorithm carries explicit NULL parameters (RFC 5758 §3.2:
/// for ecdsa-with-SHA* the parameters field MUST be absent).
fn signature_alg_has_null_params(cert: &StiCert) -> bool {
    let (_, x) = x509_parser::parse_x509_certificate(cert.der()).unwrap();
    x.signature_algorithm
        .parameters
        .as_ref()
        .is_some_and(|p| p.tag() == x509_parser::der_parser::asn1_rs::Tag::Null)
}

/// `max(not_before) + 1` over `certs`, if that is before every `not_after`.
fn common_time(certs: &[&StiCert]) -> Option<i64> {
    let t = certs.iter().map(|c| c.not_before()).max()? + 1;
    (t < certs.iter().map(|c| c.not_after()).min()?).then_some(t)
}

/// Acceptance test: every CA certificate of the corpus that issued other corpus
/// certificates validates them at a time inside both validity periods.
///
/// "X issued C": C's issuer name is X's subject name, C is not X, and C's AKI equals X's
/// SKI when both are present. End-entity certificates go through our validator, with X as
/// the only trust anchor; CA certificates are checked directly (X's key over C's TBS),
/// since our validator takes only ECDSA P-256 end-entity keys. For each CA-to-CA relation
/// X → Y, one end entity that Y issued is then validated as the two-level chain [E, Y]
/// under X, which exercises Y as an intermediate (the anchor's own extensions are never
/// parsed). The self-signatures of the self-issued CAs are checked too.
#[test]
fn every_ca_validates_what_it_issued() {
    let pem = gunzip(&interop().join("sti-certs").join("certs.pem.gz"));
    let start = Instant::now();
    let certs: Vec<StiCert> = pem_blocks(&pem)
        .map(|b| StiCert::from_der(&b.expect("PEM block").1).expect("parses"))
        .collect();
    assert_eq!(certs.len(), 15_988);
    let parsed = start.elapsed();

    let mut by_issuer: HashMap<&str, Vec<&StiCert>> = HashMap::new();
    for c in &certs {
        by_issuer.entry(c.issuer()).or_default().push(c);
    }
    let issued_by = |x: &StiCert| -> Vec<&StiCert> {
        by_issuer
            .get(x.subject())
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| c.sha256() != x.sha256())
            .filter(|c| match (c.authority_key_id(), x.subject_key_id()) {
                (Some(aki), Some(ski)) => aki == ski,
                _ => true,
            })
            .collect()
    };
    let short = |c: &StiCert| c.sha256_hex()[..16].to_owned();

    let cas: Vec<&StiCert> = certs.iter().filter(|c| c.is_ca()).collect();
    let mut issuing_cas = 0usize;
    let mut name_only: Vec<String> = Vec::new(); // relations matched without AKI and SKI both
    let mut ee_ok = 0usize;
    let mut ee_covered: HashSet<&[u8; 32]> = HashSet::new();
    // EE sha256 -> (issuer sha256, why) for every EE relation our validator refused.
    let mut ee_refused: BTreeMap<String, (String, String)> = BTreeMap::new();
    // Per CA: the first end entity it issued, and the first that validated under it alone.
    let mut first_ee: HashMap<&[u8; 32], &StiCert> = HashMap::new();
    let mut first_valid_ee: HashMap<&[u8; 32], &StiCert> = HashMap::new();
    let mut ca_ok: BTreeMap<String, usize> = BTreeMap::new();
    let mut ca_relations: Vec<(&StiCert, &StiCert)> = Vec::new();
    let mut failures: Vec<String> = Vec::new(); // anything unexplained
    for &x in &cas {
        let issued = issued_by(x);
        if issued.is_empty() {
            continue;
        }
        issuing_cas += 1;
        let mut trust = TrustStore::new();
        assert_eq!(trust.add_anchors(x.der()).unwrap(), 1, "{}", x.subject());
        for c in issued {
            if c.authority_key_id().is_none() || x.subject_key_id().is_none() {
                name_only.push(format!("{} -> {}", short(x), short(c)));
            }
            let Some(t) = common_time(&[x, c]) else {
                failures.push(format!("{} -> {}: no validity overlap", short(x), short(c)));
                continue;
            };
            if c.is_ca() {
                match verify_signed_by(x, c) {
                    Ok(kind) => *ca_ok.entry(kind).or_default() += 1,
                    Err(e) => failures.push(format!("{} -> CA {}: {e}", short(x), short(c))),
                }
                ca_relations.push((x, c));
                continue;
            }
            ee_covered.insert(c.sha256());
            first_ee.entry(x.sha256()).or_insert(c);
            match trust.validate(&[c.der()], t) {
                Ok(path) => {
                    assert!(path.not_after() >= t);
                    ee_ok += 1;
                    first_valid_ee.entry(x.sha256()).or_insert(c);
                }
                Err(e) => {
                    // Tell a refused signature from a wrong one.
                    let direct = match verify_signed_by(x, c) {
                        Ok(kind) => format!("signature verifies directly ({kind})"),
                        Err(d) => d,
                    };
                    let why = format!("{} [{direct}]", webpki_kind(&e));
                    ee_refused.insert(c.sha256_hex(), (x.sha256_hex(), why));
                }
            }
        }
    }

    // Two-level chains: X → Y → E, validated as [E, Y] under X alone, with an E that Y
    // validates alone when there is one.
    let mut chains_ok: Vec<String> = Vec::new();
    // reason -> "X -> Y -> E" (short hashes) for every chain our validator refused.
    let mut chains_refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for &(x, y) in &ca_relations {
        let Some(&e) = first_valid_ee
            .get(y.sha256())
            .or_else(|| first_ee.get(y.sha256()))
        else {
            continue;
        };
        let path = format!("{} -> {} -> {}", short(x), short(y), short(e));
        let mut trust = TrustStore::new();
        trust.add_anchors(x.der()).unwrap();
        let Some(t) = common_time(&[x, y, e]) else {
            failures.push(format!("{path}: no common validity"));
            continue;
        };
        let err = match trust.validate(&[e.der(), y.der()], t) {
            Ok(_) => {
                chains_ok.push(path);
                continue;
            }
            Err(err) => webpki_kind(&err),
        };
        let policies_critical = |c: &StiCert| critical_unknown_to_webpki(c) == ["2.5.29.32"];
        let reason = match err.as_str() {
            "cert_invalid/unsupported_critical_extension" if policies_critical(e) => {
                // webpki parses the end entity first: say whether the intermediate
                // would be refused for the same reason.
                if policies_critical(y) {
                    "critical certificatePolicies in the end entity (and in the intermediate)"
                } else {
                    "critical certificatePolicies in the end entity"
                }
            }
            "cert_invalid/unsupported_critical_extension" if policies_critical(y) => {
                "critical certificatePolicies in the intermediate"
            }
            "cert_signature/unsupported_algorithm" if signature_alg_has_null_params(y) => {
                "NULL parameters in the intermediate's ECDSA AlgorithmIdentifier"
            }
            _ => {
                failures.push(format!("{path}: refused: {err}"));
                continue;
            }
        };
        chains_refused
            .entry(reason.to_owned())
            .or_default()
            .push(path);
    }

    // Self-signatures of the self-issued CAs.
    let mut self_signed: BTreeMap<String, usize> = BTreeMap::new();
    for &x in cas.iter().filter(|c| c.is_self_issued()) {
        match verify_signed_by(x, x) {
            Ok(kind) => *self_signed.entry(kind).or_default() += 1,
            Err(e) => failures.push(format!("self-signature of {}: {e}", short(x))),
        }
    }
    let elapsed = start.elapsed();

    // Explain every refusal of an end entity by a property of the certificate.
    let mut refusals: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut null_params: Vec<&str> = Vec::new();
    for (ee, (ca, why)) in &ee_refused {
        let cert = certs.iter().find(|c| &c.sha256_hex() == ee).unwrap();
        let reason = if why
            .starts_with("cert_invalid/unsupported_critical_extension [signature verifies")
            && critical_unknown_to_webpki(cert) == ["2.5.29.32"]
        {
            "critical certificatePolicies"
        } else if why.starts_with("cert_signature/unsupported_algorithm [signature verifies")
            && signature_alg_has_null_params(cert)
        {
            null_params.push(ee);
            "NULL parameters in the ECDSA AlgorithmIdentifier"
        } else {
            failures.push(format!("EE {ee} (by CA {ca}) refused: {why}"));
            continue;
        };
        *refusals
            .entry(reason)
            .or_default()
            .entry(ca[..16].to_owned())
            .or_default() += 1;
    }

    let ee_relations = ee_ok + ee_refused.len();
    let ca_checked: usize = ca_ok.values().sum();
    println!(
        "CAs: {} in the corpus, {issuing_cas} issued corpus certificates; {} distinct end entities have an issuer in the corpus",
        cas.len(),
        ee_covered.len()
    );
    println!(
        "end-entity relations: {ee_relations} ({ee_ok} validated, {} refused); CA relations: {} ({ca_checked} verified: {ca_ok:?})",
        ee_refused.len(),
        ca_relations.len()
    );
    println!("end entities refused, by reason and issuing CA: {refusals:#?}");
    println!("end entities refused for NULL parameters: {null_params:?}");
    println!(
        "two-level chains: {} validated, refused: {chains_refused:#?}",
        chains_ok.len()
    );
    println!("self-signatures of self-issued CAs: {self_signed:?}");
    println!("relations matched on names alone (no AKI or no SKI): {name_only:?}");
    println!("time: parsing {parsed:.3?}, total {elapsed:.3?}");
    assert!(failures.is_empty(), "unexplained: {failures:#?}");

    // What the corpus (report of 18 Aug 2025) gives: a change means the relation matching,
    // our validator or the corpus changed.
    assert_eq!(cas.len(), 52);
    assert_eq!(issuing_cas, 49);
    // End entities issued under two CA certificates of the same name and key count twice.
    assert_eq!(ee_covered.len(), 15_933);
    assert_eq!(ee_relations, 16_017);
    // Every end entity validates under the CA that issued it.
    assert_eq!(ee_ok, 16_017);
    assert!(ee_refused.is_empty());
    assert_eq!(ca_relations.len(), 26);
    // NetNumber SHAKEN Root CA 1 (2dd1386c…) has a P-521 key: it signed its intermediate
    // with ecdsa-with-SHA384 and itself with ecdsa-with-SHA512.
    let kinds = |v: &[(&str, usize)]| -> BTreeMap<String, usize> {
        v.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    };
    assert_eq!(
        ca_ok,
        kinds(&[
            ("P-256/SHA-256", 23),
            ("P-384/SHA-384", 1),
            ("P-521/SHA-384", 1),
            ("RSA/SHA-256", 1),
        ])
    );
    assert_eq!(
        self_signed,
        kinds(&[
            ("P-256/SHA-256", 16),
            ("P-384/SHA-384", 1),
            ("P-521/SHA-512", 1),
            ("RSA/SHA-256", 1),
        ])
    );
    // A CA certificate without SKI or AKI, matched on the name; its signature verifies.
    assert_eq!(name_only, ["6d2bee73a01c1c9f -> 99e9a67644a30ebc"]);

    // Three kinds of real certificates that rustls-webpki refuses validate through the
    // fallback validator (src/cert/fallback.rs); the signatures themselves verify:
    // 1. ecdsa-with-SHA256 with explicit NULL parameters (RFC 5758 §3.2 says absent): one
    //    Ribbon-issued end entity (ff4a083e…, Empire SHAKEN 087H) and T-Mobile's two
    //    production sub-CAs (4378a3f1…, a22dda81…).
    // 2. A critical certificatePolicies (the SHAKEN policy), which RFC 5280 §4.2.1.4
    //    allows: all 76 end entities of NetNumber SHAKEN Root Intermediate CA 1
    //    (e4498037…), 5 of Martini Security SHAKEN G1 (46e98b15…), and both intermediates.
    // 3. The P-521 key of NetNumber SHAKEN Root CA 1 (2dd1386c…), which ring cannot use.
    let null_params_ee = certs
        .iter()
        .find(|c| c.sha256_hex().starts_with("ff4a083ed7527187"))
        .unwrap();
    assert!(signature_alg_has_null_params(null_params_ee));
    assert!(null_params.is_empty() && refusals.is_empty());
    assert_eq!(chains_ok.len(), 26, "{chains_refused:#?}");
    for path in [
        "d54b8c44268da3ea -> 4378a3f136510465 -> 7f653e1545341608",
        "d54b8c44268da3ea -> a22dda815630c32b -> a3bffabdf710ee8f",
        "6077e368b0a0e4b6 -> 46e98b1599688c83 -> 200d370a7a5109b7",
        "2dd1386ca717f31d -> e449803766edf02a -> 02217803d9a4a17e",
    ] {
        assert!(chains_ok.iter().any(|p| p == path), "{path} validates");
    }
}
