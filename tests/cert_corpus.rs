//! The real-certificate corpus (interop/sti-certs, 15,988 certificates from the
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
use cliauth::cert::{CertError, Coverage, FaultKind, StiCert, TnEntry, parse_chain};

/// `$CLIAUTH_INTEROP_DIR`, else `shared/interop` beside the crate's
/// repository (CI layout), else `/work/shared/interop`.
fn interop() -> PathBuf {
    if let Some(dir) = std::env::var_os("CLIAUTH_INTEROP_DIR") {
        return PathBuf::from(dir);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/interop");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/interop")
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
