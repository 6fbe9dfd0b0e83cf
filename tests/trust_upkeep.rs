//! Trust upkeep (issue #10 point 7): replacing trust anchors and CRLs at run time
//! (`CertStore::replace_trust`), the expired-CRL policy (`CrlExpiry`), and the CRL refresher
//! (`CrlRefresher`) fetching from the certificates' CRL distribution points — through a test
//! double of the `Fetch` trait, and through the ureq fetcher against a loopback HTTPS server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, CrlExpiry, CrlPolicy, CrlRefresher, TrustStore};
use cliauth::error::{CertProblem, CertReason};
use cliauth::fetch::{Fetch, FetchError, FetchErrorKind, Fetched};
use cliauth::{Attest, Call, Error, Signer, SigningKey, Verifier};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const X5U: &str = "https://cert.example.net/sp.pem";
const EE_CRL: &str = "https://crl.example.net/int.crl";
const INT_CRL: &str = "https://crl.example.net/root.crl";

fn pki(name: &str) -> TestPki {
    TestPki::generate(&TestPkiOptions {
        name: name.into(),
        crl_url: EE_CRL.into(),
        intermediate_crl_url: Some(INT_CRL.into()),
        ..TestPkiOptions::default()
    })
    .unwrap()
}

fn trust(anchors: &[&TestPki], crls: &[&str]) -> TrustStore {
    let mut t = TrustStore::new();
    for p in anchors {
        t.add_anchors(p.root_pem.as_bytes()).unwrap();
    }
    for c in crls {
        t.add_crls(c.as_bytes()).unwrap();
    }
    t
}

fn reason(e: &Error) -> &CertReason {
    match e {
        Error::Cert { reason, .. } => reason,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

fn identity(p: &TestPki, x5u: &str) -> String {
    Signer::new(
        SigningKey::from_pem_or_der(p.ee_key_pem.as_bytes()).unwrap(),
        x5u,
    )
    .unwrap()
    .sign_shaken("12155551212", &["12155550100"], Attest::A, None, NOW)
    .unwrap()
    .identity()
}

fn call() -> Call<'static> {
    Call::new("12155551212", "12155550100")
}

// ---------------------------------------------------------------------------------------
// Replacing the trust

#[test]
fn replacing_the_trust_revalidates_cached_chains_and_drops_the_refused() {
    let (a, b) = (pki("upkeep A"), pki("upkeep B"));
    let store = CertStore::new(trust(&[&a, &b], &[]));
    store
        .insert("https://a/", a.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    store
        .insert("https://b/", b.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    assert_eq!(store.trust_generation(), 0);

    // B's root removed: B's chain goes, A's stays.
    let swap = store.replace_trust(trust(&[&a], &[]), NOW);
    assert_eq!(swap.kept, 1);
    assert_eq!(swap.generation, 1);
    assert_eq!(swap.dropped.len(), 1, "{swap:?}");
    assert_eq!(swap.dropped[0].0, "https://b/");
    assert!(matches!(
        reason(&swap.dropped[0].1),
        CertReason::UnknownIssuer
    ));
    assert!(store.get("https://a/", NOW).is_some());
    assert!(store.get("https://b/", NOW).is_none());
    assert_eq!(store.trust().anchor_count(), 1);
    // And B no longer validates on insert.
    let e = store
        .insert("https://b/", b.chain_pem.as_bytes(), NOW, None)
        .unwrap_err();
    assert_eq!(e.sip_code(), 437);

    // A CRL revoking A's end entity: A's cached chain goes too.
    let revoking = a.ee_crl(true, NOW - 60, NOW + 7 * DAY).unwrap();
    let swap = store.replace_trust(trust(&[&a], &[&revoking]), NOW);
    assert_eq!(swap.kept, 0);
    assert!(matches!(
        reason(&swap.dropped[0].1),
        CertReason::Revoked { .. }
    ));
    assert!(store.is_empty());
    assert_eq!(store.trust_generation(), 2);
}

#[test]
fn update_trust_changes_a_copy_and_a_failed_change_changes_nothing() {
    let a = pki("upkeep update");
    let store = CertStore::new(trust(&[&a], &[]));
    store
        .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    let e = store
        .update_trust(NOW, |t| t.add_crls(b"not a CRL").map(drop))
        .unwrap_err();
    assert_eq!(e.kind(), "cert_malformed");
    assert_eq!(store.trust_generation(), 0);
    assert!(store.trust().crls().is_empty());
    let crl = a.ee_crl(false, NOW - 60, NOW + DAY).unwrap();
    let swap = store
        .update_trust(NOW, |t| t.add_crls(crl.as_bytes()).map(drop))
        .unwrap();
    assert_eq!((swap.kept, swap.dropped.len()), (1, 0));
    assert_eq!(store.trust().crls().len(), 1);
    assert_eq!(store.trust().anchor_count(), 1, "the anchors are kept");
}

/// Verifying threads and inserting threads run while another thread swaps, over and over,
/// between a trust that accepts the chain and one whose CRL revokes it. Every verification
/// gets either a verdict or "certificate needed" (the entry was dropped) — never another
/// error — and right after each swap to the revoking trust the chain is absent, even though
/// inserters keep inserting it: an insert validated under the old trust is never stored
/// under the new one.
#[test]
fn verification_never_sees_a_torn_state_while_the_trust_is_swapped() {
    let a = pki("upkeep threads");
    let ok_crl = a.ee_crl(false, NOW - 60, NOW + 7 * DAY).unwrap();
    let revoking = a.ee_crl(true, NOW - 30, NOW + 7 * DAY).unwrap();
    let store = Arc::new(CertStore::new(trust(&[&a], &[&ok_crl])));
    store
        .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    let verifier = Arc::new(Verifier::with_store(Arc::clone(&store)));
    let id = identity(&a, X5U);
    let stop = Arc::new(AtomicBool::new(false));
    let (verified, needed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));

    let mut threads = Vec::new();
    for _ in 0..3 {
        let (v, id, stop) = (Arc::clone(&verifier), id.clone(), Arc::clone(&stop));
        let (verified, needed) = (Arc::clone(&verified), Arc::clone(&needed));
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match v.verify_identity(&id, &call(), NOW) {
                    Ok(_) => verified.fetch_add(1, Ordering::SeqCst),
                    Err(Error::CertificateNeeded { .. }) => needed.fetch_add(1, Ordering::SeqCst),
                    Err(e) => panic!("torn state: {e:?}"),
                };
            }
        }));
    }
    for _ in 0..2 {
        let (store, chain, stop) = (Arc::clone(&store), a.chain_pem.clone(), Arc::clone(&stop));
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match store.insert(X5U, chain.as_bytes(), NOW, None) {
                    Ok(_) => {}
                    Err(Error::Cert {
                        problem: CertProblem::Revoked,
                        ..
                    }) => {}
                    Err(e) => panic!("unexpected insert error: {e:?}"),
                }
            }
        }));
    }
    for round in 0..40 {
        let swap = store.replace_trust(trust(&[&a], &[&revoking]), NOW);
        assert!(
            store.get(X5U, NOW).is_none(),
            "round {round}: a revoked chain is cached after the swap ({swap:?})"
        );
        store.replace_trust(trust(&[&a], &[&ok_crl]), NOW);
        store
            .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
            .unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.trust_generation(), 80);
    assert!(verified.load(Ordering::SeqCst) > 0);
    assert!(needed.load(Ordering::SeqCst) > 0, "the swaps were seen");
}

// ---------------------------------------------------------------------------------------
// The expired-CRL policy

#[test]
fn an_expired_crl_fails_closed_by_default() {
    let a = pki("upkeep expired");
    let expired = a.ee_crl(false, NOW - 8 * DAY, NOW - DAY).unwrap();
    let t = trust(&[&a], &[&expired]);
    assert_eq!(t.crl_expiry(), CrlExpiry::FailClosed);
    let store = CertStore::new(t);
    let e = store
        .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
        .unwrap_err();
    assert_eq!(e.sip_code(), 437);
    match reason(&e) {
        CertReason::CrlExpired {
            issuer,
            next_update,
            now,
        } => {
            assert!(
                issuer
                    .as_deref()
                    .unwrap()
                    .contains("upkeep expired intermediate")
            );
            assert_eq!((*next_update, *now), (NOW - DAY, NOW));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("expired"), "{e}");
}

#[test]
fn an_expired_crl_is_a_reported_fault_when_lenient() {
    let a = pki("upkeep lenient");
    let expired = a.ee_crl(false, NOW - 8 * DAY, NOW - DAY).unwrap();
    let mut t = trust(&[&a], &[&expired]);
    t.set_crl_expiry(CrlExpiry::Lenient);
    let store = Arc::new(CertStore::new(t));
    let cred = store
        .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    assert!(
        cred.fault_ids().contains(&"crl_expired"),
        "{:?}",
        cred.fault_ids()
    );
    assert!(matches!(cred.crl_faults(), [CertReason::CrlExpired { .. }]));
    let verdict = Verifier::with_store(Arc::clone(&store))
        .verify_identity(&identity(&a, X5U), &call(), NOW)
        .unwrap();
    assert!(verdict.cert_faults().contains(&"crl_expired"));

    // Lenient about the date, not about the content: a revoked certificate stays revoked.
    let expired_revoking = a.ee_crl(true, NOW - 8 * DAY, NOW - DAY).unwrap();
    let mut t = trust(&[&a], &[&expired_revoking]);
    t.set_crl_expiry(CrlExpiry::Lenient);
    let e = CertStore::new(t)
        .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
        .unwrap_err();
    assert!(matches!(reason(&e), CertReason::Revoked { .. }));
}

// ---------------------------------------------------------------------------------------
// The CRL refresher with a test double

/// Serves fixed bodies by URL and counts fetches.
#[derive(Debug, Default)]
struct Crls {
    bodies: Mutex<HashMap<String, Vec<u8>>>,
    fetches: Mutex<HashMap<String, usize>>,
}

impl Crls {
    fn serve(&self, url: &str, body: impl Into<Vec<u8>>) {
        self.bodies.lock().unwrap().insert(url.into(), body.into());
    }
    fn fetches(&self, url: &str) -> usize {
        self.fetches.lock().unwrap().get(url).copied().unwrap_or(0)
    }
}

impl Fetch for Crls {
    fn fetch(&self, url: &str, _: Duration) -> Result<Fetched, FetchError> {
        panic!("a chain fetch for {url}: the refresher must use fetch_crl");
    }
    fn fetch_crl(&self, url: &str, _: Duration) -> Result<Fetched, FetchError> {
        *self.fetches.lock().unwrap().entry(url.into()).or_default() += 1;
        match self.bodies.lock().unwrap().get(url) {
            Some(b) => Ok(Fetched {
                body: b.clone(),
                cache_control: None,
            }),
            None => Err(FetchError::new(FetchErrorKind::Response, "HTTP status 404")),
        }
    }
}

struct Rig {
    pki: TestPki,
    store: Arc<CertStore>,
    crls: Arc<Crls>,
    refresher: CrlRefresher,
}

fn rig(name: &str) -> Rig {
    let pki = pki(name);
    let store = Arc::new(CertStore::new(trust(&[&pki], &[])));
    store
        .insert(X5U, pki.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    let crls = Arc::new(Crls::default());
    let refresher = CrlRefresher::new(Arc::clone(&store), crls.clone()).with_policy(CrlPolicy {
        max_age: 30 * DAY,
        ..CrlPolicy::default()
    });
    Rig {
        pki,
        store,
        crls,
        refresher,
    }
}

#[test]
fn the_refresher_fetches_the_distribution_points_in_use_and_drops_revoked_chains() {
    let r = rig("upkeep refresh");
    r.crls.serve(
        EE_CRL,
        r.pki.ee_crl(false, NOW - 60, NOW + 7 * DAY).unwrap(),
    );
    r.crls.serve(
        INT_CRL,
        r.pki.root_crl(false, NOW - 60, NOW + 7 * DAY).unwrap(),
    );
    let report = r.refresher.refresh_due(NOW);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let mut installed = report.installed.clone();
    installed.sort();
    assert_eq!(installed, vec![EE_CRL.to_owned(), INT_CRL.to_owned()]);
    assert_eq!(report.swap.as_ref().unwrap().kept, 1);
    assert_eq!(r.store.trust().crls().len(), 2);
    // Next due an hour before nextUpdate (refresh_ahead).
    assert_eq!(report.next_due, Some(NOW + 7 * DAY - 3600));

    // Not due: no fetch.
    let report = r.refresher.refresh_due(NOW + DAY);
    assert!(report.installed.is_empty() && report.failed.is_empty());
    assert_eq!(r.crls.fetches(EE_CRL), 1);

    // Due again: the new CRL revokes the end entity; the cached chain is dropped and the
    // CRL of the same issuer is replaced, not added.
    let later = NOW + 7 * DAY - 3000;
    r.crls.serve(
        EE_CRL,
        r.pki.ee_crl(true, later - 60, later + 7 * DAY).unwrap(),
    );
    let report = r.refresher.refresh_due(later);
    assert_eq!(r.crls.fetches(EE_CRL), 2);
    let swap = report.swap.unwrap();
    assert_eq!(swap.dropped.len(), 1);
    assert!(matches!(
        reason(&swap.dropped[0].1),
        CertReason::Revoked { .. }
    ));
    assert!(r.store.get(X5U, later).is_none());
    assert_eq!(r.store.trust().crls().len(), 2);
    let e = r
        .store
        .insert(X5U, r.pki.chain_pem.as_bytes(), later, None)
        .unwrap_err();
    assert_eq!(e.kind(), "cert_revoked");
}

/// Runs one refresh of the end entity's distribution point serving `body` and returns
/// the error it reports; the trust must be unchanged, and the point is retried only after
/// `retry_after`.
fn refused(r: &Rig, body: Vec<u8>) -> Error {
    r.crls.serve(EE_CRL, body);
    r.crls.serve(INT_CRL, b"garbage".to_vec());
    let before = r.store.trust().crls().len();
    let report = r.refresher.refresh_due(NOW);
    assert!(report.installed.is_empty(), "{:?}", report.installed);
    assert_eq!(r.store.trust().crls().len(), before);
    assert_eq!(r.store.trust_generation(), 0);
    assert!(r.store.get(X5U, NOW).is_some(), "the cached chain stays");
    let n = r.crls.fetches(EE_CRL);
    r.refresher.refresh_due(NOW + 299);
    assert_eq!(r.crls.fetches(EE_CRL), n, "retried before retry_after");
    r.refresher.refresh_due(NOW + 300);
    assert_eq!(
        r.crls.fetches(EE_CRL),
        n + 1,
        "not retried after retry_after"
    );
    report
        .failed
        .into_iter()
        .find(|(u, _)| u == EE_CRL)
        .map(|(_, e)| e)
        .expect("the end entity's distribution point failed")
}

#[test]
fn a_crl_signed_by_another_key_is_refused() {
    let r = rig("upkeep badsig");
    // Same names, other keys: the issuer matches, the signature does not.
    let twin = pki("upkeep badsig");
    let e = refused(
        &r,
        twin.ee_crl(false, NOW - 60, NOW + DAY)
            .unwrap()
            .into_bytes(),
    );
    assert!(
        matches!(reason(&e), CertReason::CrlBadSignature { .. }),
        "{e:?}"
    );
}

#[test]
fn a_crl_from_another_issuer_is_refused() {
    let r = rig("upkeep wrongissuer");
    let other = pki("upkeep elsewhere");
    let e = refused(
        &r,
        other
            .ee_crl(false, NOW - 60, NOW + DAY)
            .unwrap()
            .into_bytes(),
    );
    match reason(&e) {
        CertReason::CrlWrongIssuer { expected, found } => {
            assert!(expected.contains("upkeep wrongissuer intermediate"));
            assert!(found.contains("upkeep elsewhere intermediate"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_is_refused() {
    let r = rig("upkeep garbage");
    let e = refused(&r, b"\x30\x03\x02\x01\x00 not a CRL".to_vec());
    assert_eq!(e.kind(), "cert_malformed");
    let r = rig("upkeep garbage pem");
    let e = refused(
        &r,
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n".to_vec(),
    );
    assert_eq!(e.kind(), "cert_malformed");
}

#[test]
fn an_oversize_crl_is_refused() {
    let r = rig("upkeep oversize");
    let mut body = r
        .pki
        .ee_crl(false, NOW - 60, NOW + DAY)
        .unwrap()
        .into_bytes();
    body.resize(cliauth::limits::MAX_CRL_BYTES + 1, b'\n');
    let e = refused(&r, body);
    assert!(matches!(e, Error::Limit { .. }), "{e:?}");
}

#[test]
fn an_expired_or_future_crl_is_refused() {
    let r = rig("upkeep stale");
    let e = refused(
        &r,
        r.pki
            .ee_crl(false, NOW - 8 * DAY, NOW - 1)
            .unwrap()
            .into_bytes(),
    );
    assert!(matches!(reason(&e), CertReason::CrlExpired { .. }), "{e:?}");
    let r = rig("upkeep future");
    let e = refused(
        &r,
        r.pki
            .ee_crl(false, NOW + 600, NOW + DAY)
            .unwrap()
            .into_bytes(),
    );
    assert!(
        matches!(reason(&e), CertReason::CrlNotYetValid { .. }),
        "{e:?}"
    );
}

#[test]
fn an_older_crl_does_not_replace_a_newer_one() {
    let r = rig("upkeep rollback");
    r.crls
        .serve(EE_CRL, r.pki.ee_crl(true, NOW - 60, NOW + 7 * DAY).unwrap());
    r.refresher.refresh_due(NOW);
    assert_eq!(r.store.trust().crls().len(), 1);
    // An older CRL (not revoking) must not resurrect the revoked certificate.
    r.crls.serve(
        EE_CRL,
        r.pki.ee_crl(false, NOW - 3600, NOW + 7 * DAY).unwrap(),
    );
    let later = NOW + 7 * DAY;
    let report = r.refresher.refresh_due(later - 3600);
    let (_, e) = report.failed.iter().find(|(u, _)| u == EE_CRL).unwrap();
    assert!(matches!(reason(e), CertReason::CrlOlder { .. }), "{e:?}");
    let e = r
        .store
        .insert(X5U, r.pki.chain_pem.as_bytes(), NOW + 60, None)
        .unwrap_err();
    assert_eq!(e.kind(), "cert_revoked");
}

#[test]
fn refresh_for_chain_repairs_an_expired_crl_under_fail_closed() {
    let a = pki("upkeep repair");
    let expired = a.ee_crl(false, NOW - 8 * DAY, NOW - DAY).unwrap();
    let store = Arc::new(CertStore::new(trust(&[&a], &[&expired])));
    assert!(
        store
            .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
            .is_err()
    );
    let crls = Arc::new(Crls::default());
    crls.serve(EE_CRL, a.ee_crl(false, NOW - 60, NOW + DAY).unwrap());
    crls.serve(INT_CRL, a.root_crl(false, NOW - 60, NOW + DAY).unwrap());
    let refresher = CrlRefresher::new(Arc::clone(&store), crls.clone());
    let report = refresher
        .refresh_for_chain(a.chain_pem.as_bytes(), NOW)
        .unwrap();
    assert_eq!(report.installed.len(), 2, "{:?}", report.failed);
    store
        .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
        .unwrap();

    // A chain that does not lead to an anchor fetches nothing.
    let stranger = pki("upkeep stranger");
    let e = refresher
        .refresh_for_chain(stranger.chain_pem.as_bytes(), NOW)
        .unwrap_err();
    assert_eq!(e.kind(), "cert_untrusted");
    assert_eq!(crls.fetches(EE_CRL), 1);
}

// ---------------------------------------------------------------------------------------
// Through the ureq fetcher, on a loopback HTTPS server

#[cfg(feature = "fetch")]
#[path = "common/loopback.rs"]
mod loopback;

#[cfg(feature = "fetch")]
mod over_https {
    use super::*;
    use cliauth::fetch::{FetchConfig, Fetcher};

    use super::loopback::{self, Reply, Server};

    const PKIX_CRL: &str = "application/pkix-crl";

    fn fetcher(s: &Server) -> Arc<Fetcher> {
        Arc::new(Fetcher::new(FetchConfig {
            allow_http_loopback: true,
            allowed_ports: vec![s.port],
            extra_roots: vec![loopback::ca_der()],
            ..FetchConfig::default()
        }))
    }

    fn der(pem: &str) -> Vec<u8> {
        pem::parse(pem).unwrap().into_contents()
    }

    #[test]
    fn a_crl_is_fetched_with_its_media_type_and_installed() {
        let server = Server::https();
        let a = TestPki::generate(&TestPkiOptions {
            name: "upkeep https".into(),
            crl_url: server.url("/int.crl"),
            ..TestPkiOptions::default()
        })
        .unwrap();
        let store = Arc::new(CertStore::new(trust(&[&a], &[])));
        store
            .insert(X5U, a.chain_pem.as_bytes(), NOW, None)
            .unwrap();
        let refresher = CrlRefresher::new(Arc::clone(&store), fetcher(&server));

        // The x5u media type is not a CRL's.
        let crl = der(&a.ee_crl(true, NOW - 60, NOW + DAY).unwrap());
        server.route(
            "/int.crl",
            Reply::ok("application/pem-certificate-chain", crl.clone()),
        );
        let report = refresher.refresh_due(NOW);
        let (_, e) = &report.failed[0];
        assert!(
            e.to_string().contains("expected application/pkix-crl"),
            "{e}"
        );
        assert_eq!(e.sip_code(), 436);

        server.route("/int.crl", Reply::ok(PKIX_CRL, crl));
        let report = refresher.refresh_due(NOW + 300);
        assert_eq!(
            report.installed,
            vec![server.url("/int.crl")],
            "{:?}",
            report.failed
        );
        assert!(store.get(X5U, NOW + 300).is_none(), "revoked, dropped");
        assert_eq!(server.hits("/int.crl"), 2);
    }

    #[test]
    fn an_oversize_body_is_refused_while_reading() {
        let server = Server::https();
        server.route(
            "/big.crl",
            Reply::ok(PKIX_CRL, vec![0u8; cliauth::limits::MAX_CRL_BYTES + 1]),
        );
        let e = fetcher(&server)
            .fetch_crl(&server.url("/big.crl"), Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(e.kind, FetchErrorKind::Response);
        assert!(e.detail.contains("exceeds the limit"), "{e}");
    }

    #[test]
    fn the_x5u_url_rules_apply() {
        let f = Fetcher::new(FetchConfig::default());
        for url in [
            "http://crl.example.net/a.crl",
            "https://127.0.0.1/a.crl",
            "https://crl.example.net:8080/a.crl",
            "ldap://crl.example.net/a.crl",
        ] {
            let e = f.fetch_crl(url, Duration::from_secs(1)).unwrap_err();
            assert_eq!(e.kind, FetchErrorKind::Refused, "{url}: {e}");
        }
    }
}
