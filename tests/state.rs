//! The certificate acquisition policy (`cliauth::state`) with a counting test fetcher (no
//! network): cheap checks before any fetch, single-flight, negative cache and back-off
//! per URL and per host, the lifetime floor, stale-while-revalidate and the budget.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, TrustStore};
use cliauth::fetch::{Fetch, FetchError, FetchErrorKind, Fetched};
use cliauth::state::AcquirePolicy;
use cliauth::{Attest, BudgetOutcome, Call, Error, Signer, SigningKey, Verifier, VerifierConfig};

const NOW: i64 = 1_800_000_000;

/// What the test fetcher answers for a URL.
#[derive(Debug, Clone)]
enum Answer {
    Chain(Option<&'static str>),
    Garbage,
    Fail(FetchErrorKind),
}

/// Counts fetches per URL; each takes `delay`.
#[derive(Debug)]
struct Counting {
    chain: Vec<u8>,
    answer: Mutex<Answer>,
    delay: Duration,
    calls: Mutex<Vec<String>>,
    running: AtomicUsize,
    max_running: AtomicUsize,
}

impl Counting {
    fn new(chain: &str, delay: Duration) -> Arc<Counting> {
        Arc::new(Counting {
            chain: chain.as_bytes().to_vec(),
            answer: Mutex::new(Answer::Chain(None)),
            delay,
            calls: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
            max_running: AtomicUsize::new(0),
        })
    }
    fn set(&self, a: Answer) {
        *self.answer.lock().unwrap() = a;
    }
    fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
    fn count_for(&self, url: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|u| *u == url)
            .count()
    }
}

impl Fetch for Counting {
    fn fetch(&self, url: &str, _: Duration) -> Result<Fetched, FetchError> {
        self.calls.lock().unwrap().push(url.to_owned());
        let n = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_running.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        self.running.fetch_sub(1, Ordering::SeqCst);
        match self.answer.lock().unwrap().clone() {
            Answer::Chain(cc) => Ok(Fetched {
                body: self.chain.clone(),
                cache_control: cc.map(str::to_owned),
            }),
            Answer::Garbage => Ok(Fetched {
                body: b"not a chain".to_vec(),
                cache_control: None,
            }),
            Answer::Fail(kind) => Err(FetchError::new(kind, format!("fetch {url}: failed"))),
        }
    }
}

struct World {
    pki: TestPki,
}

impl World {
    fn new() -> World {
        World {
            pki: TestPki::generate(&TestPkiOptions {
                name: "cliauth state test".into(),
                ..TestPkiOptions::default()
            })
            .unwrap(),
        }
    }
    fn store(&self) -> Arc<CertStore> {
        let mut t = TrustStore::new();
        t.add_anchors(self.pki.root_pem.as_bytes()).unwrap();
        Arc::new(CertStore::new(t))
    }
    fn identity(&self, x5u: &str, orig: &str, iat: i64) -> String {
        Signer::new(
            SigningKey::from_pem_or_der(self.pki.ee_key_pem.as_bytes()).unwrap(),
            x5u,
        )
        .unwrap()
        .sign_shaken(orig, &["12155550100"], Attest::A, None, iat)
        .unwrap()
        .identity()
    }
    fn verifier(&self, f: &Arc<Counting>, budget: Duration) -> Verifier {
        Verifier::with_store(self.store())
            .with_fetch(f.clone())
            .with_config(VerifierConfig {
                fetch_budget: budget,
                ..VerifierConfig::default()
            })
    }
}

const URL: &str = "https://cert.example.net/sp.pem";
const ORIG: &str = "12155551212";

fn call() -> Call<'static> {
    Call::new(ORIG, "12155550100")
}

#[test]
fn a_token_failing_the_cheap_checks_never_causes_a_fetch() {
    let w = World::new();
    let f = Counting::new(&w.pki.chain_pem, Duration::ZERO);
    let v = w.verifier(&f, Duration::from_secs(5));
    let id = w.identity(URL, ORIG, NOW);
    let kinds = [
        // Stale, from the future, another calling number, another called number.
        v.verify_identity(&id, &call(), NOW + 61)
            .unwrap_err()
            .kind(),
        v.verify_identity(&id, &call(), NOW - 11)
            .unwrap_err()
            .kind(),
        v.verify_identity(&id, &Call::new("12155559999", "12155550100"), NOW)
            .unwrap_err()
            .kind(),
        v.verify_identity(&id, &Call::new(ORIG, "12155559999"), NOW)
            .unwrap_err()
            .kind(),
        // An http x5u.
        v.verify_identity(
            &w.identity("http://cert.example.net/sp.pem", ORIG, NOW),
            &call(),
            NOW,
        )
        .unwrap_err()
        .kind(),
    ];
    assert_eq!(
        kinds,
        [
            "stale",
            "future",
            "orig_mismatch",
            "dest_mismatch",
            "bad_info"
        ]
    );
    assert_eq!(f.count(), 0);
    assert!(v.store().unwrap().is_empty());
    // A good one fetches once.
    v.verify_identity(&id, &call(), NOW).unwrap();
    assert_eq!(f.count(), 1);
}

#[test]
fn concurrent_misses_share_one_fetch() {
    let w = World::new();
    let f = Counting::new(&w.pki.chain_pem, Duration::from_millis(200));
    let v = w.verifier(&f, Duration::from_secs(2));
    let id = w.identity(URL, ORIG, NOW);
    std::thread::scope(|s| {
        for _ in 0..50 {
            s.spawn(|| v.verify_identity(&id, &call(), NOW).unwrap());
        }
    });
    assert_eq!(f.count(), 1);
    let stats = v.acquirer().unwrap().stats();
    assert_eq!(stats.fetches, 1);
    assert!(stats.joined >= 1, "{stats:?}");
}

#[test]
fn the_budget_gives_a_typed_outcome_and_the_fetch_serves_the_next_call() {
    let w = World::new();
    let f = Counting::new(&w.pki.chain_pem, Duration::from_millis(300));
    let v = w.verifier(&f, Duration::from_millis(50));
    let id = w.identity(URL, ORIG, NOW);
    let t = Instant::now();
    let e = v.verify_identity(&id, &call(), NOW).unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(
        e,
        Error::CertificatePending {
            url: URL.into(),
            budget_ms: 50,
            no_tn_validation: false
        }
    );
    assert_eq!(
        (e.sip_code(), e.verstat().as_str()),
        (436, "TN-Validation-Failed")
    );
    std::thread::sleep(Duration::from_millis(400));
    v.verify_identity(&id, &call(), NOW + 1).unwrap();
    assert_eq!(f.count(), 1);

    // Configured to let the call through unverified.
    let f = Counting::new(&w.pki.chain_pem, Duration::from_millis(300));
    let v = w.verifier(&f, Duration::ZERO).with_config(VerifierConfig {
        fetch_budget: Duration::ZERO,
        on_budget: BudgetOutcome::NoTnValidation,
        ..VerifierConfig::default()
    });
    let e = v.verify_identity(&id, &call(), NOW).unwrap_err();
    assert_eq!(
        (e.kind(), e.verstat().as_str()),
        ("certificate_pending", "No-TN-Validation")
    );
}

#[test]
fn failures_back_off_per_url_and_per_host() {
    let w = World::new();
    let f = Counting::new(&w.pki.chain_pem, Duration::ZERO);
    f.set(Answer::Fail(FetchErrorKind::Response));
    let v = w.verifier(&f, Duration::from_secs(2));
    let id = w.identity(URL, ORIG, NOW);
    // A 4xx-style failure: the URL waits 30 s, then 60 s.
    for t in [0, 1, 29] {
        assert_eq!(
            v.verify_identity(&id, &call(), NOW + t).unwrap_err().kind(),
            "bad_info"
        );
    }
    assert_eq!(f.count(), 1);
    let _ = v.verify_identity(&id, &call(), NOW + 30);
    assert_eq!(f.count(), 2);
    let _ = v.verify_identity(&id, &call(), NOW + 59);
    assert_eq!(f.count(), 2);
    // Not host-level: another URL of the same host is fetched.
    let other = "https://cert.example.net/other.pem";
    let _ = v.verify_identity(&w.identity(other, ORIG, NOW), &call(), NOW + 40);
    assert_eq!(f.count_for(other), 1);

    // A timeout backs off the whole host.
    f.set(Answer::Fail(FetchErrorKind::TimedOut));
    let slow = "https://slow.example.net/a.pem";
    let _ = v.verify_identity(&w.identity(slow, ORIG, NOW), &call(), NOW);
    let e = v
        .verify_identity(
            &w.identity("https://slow.example.net/b.pem", ORIG, NOW),
            &call(),
            NOW + 1,
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("host slow.example.net backed off"),
        "{e}"
    );
    assert_eq!(f.count_for("https://slow.example.net/b.pem"), 0);

    // A chain that does not validate is remembered too (437), without another fetch.
    f.set(Answer::Garbage);
    let bad = "https://bad.example.net/x.pem";
    let id = w.identity(bad, ORIG, NOW);
    let first = v.verify_identity(&id, &call(), NOW).unwrap_err();
    let again = v.verify_identity(&id, &call(), NOW + 10).unwrap_err();
    assert_eq!(first, again);
    assert_eq!(first.sip_code(), 437);
    assert_eq!(f.count_for(bad), 1);
}

#[test]
fn no_store_is_kept_for_the_floor_and_stale_entries_are_refreshed_once() {
    let w = World::new();
    let f = Counting::new(&w.pki.chain_pem, Duration::from_millis(50));
    f.set(Answer::Chain(Some("no-store")));
    let v = Verifier::with_store(w.store())
        .with_fetch_policy(
            f.clone(),
            AcquirePolicy {
                min_ttl: 120,
                ..AcquirePolicy::default()
            },
        )
        .with_config(VerifierConfig {
            max_age: 3600,
            fetch_budget: Duration::from_secs(2),
            ..VerifierConfig::default()
        });
    let id = w.identity(URL, ORIG, NOW);
    for t in [0, 10, 60, 119] {
        v.verify_identity(&id, &call(), NOW + t).unwrap();
    }
    assert_eq!(f.count(), 1);
    // Stale: served at once while a single refresh runs.
    for t in [120, 121, 122] {
        let s = Instant::now();
        v.verify_identity(&id, &call(), NOW + t).unwrap();
        assert!(s.elapsed() < Duration::from_millis(40), "{:?}", s.elapsed());
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(f.count(), 2);
    assert_eq!(v.acquirer().unwrap().stats().refreshes, 1);
    // Refreshed at NOW + 120: fresh until NOW + 240.
    v.verify_identity(&id, &call(), NOW + 239).unwrap();
    assert_eq!(f.count(), 2);
}

#[test]
fn a_full_queue_is_pending_at_once() {
    let w = World::new();
    let f = Counting::new(&w.pki.chain_pem, Duration::from_millis(300));
    let v = Verifier::with_store(w.store())
        .with_fetch_policy(
            f.clone(),
            AcquirePolicy {
                workers: 1,
                queue: 1,
                ..AcquirePolicy::default()
            },
        )
        .with_config(VerifierConfig {
            fetch_budget: Duration::ZERO,
            ..VerifierConfig::default()
        });
    let kinds: Vec<&str> = (0..5)
        .map(|i| {
            let url = format!("https://r{i}.example.net/sp.pem");
            let e = v
                .verify_identity(&w.identity(&url, ORIG, NOW), &call(), NOW)
                .unwrap_err();
            e.kind()
        })
        .collect();
    assert!(
        kinds.iter().all(|k| *k == "certificate_pending"),
        "{kinds:?}"
    );
    std::thread::sleep(Duration::from_millis(800));
    // One running and one queued at most: the other three were never started.
    assert!(f.count() <= 2, "{}", f.count());
    assert_eq!(f.max_running.load(Ordering::SeqCst), 1);
}

#[test]
fn the_store_is_bounded_and_evicts_the_earliest_expiry() {
    let w = World::new();
    let s = CertStore::new({
        let mut t = TrustStore::new();
        t.add_anchors(w.pki.root_pem.as_bytes()).unwrap();
        t
    })
    .with_capacity(3)
    .with_stale_grace(0);
    let chain = w.pki.chain_pem.as_bytes();
    for (url, ttl) in [("a", 300), ("b", 100), ("c", 200), ("d", 400)] {
        s.insert(url, chain, NOW, Some(ttl)).unwrap();
    }
    assert_eq!(s.len(), 3);
    assert!(s.get("b", NOW).is_none());
    for u in ["a", "c", "d"] {
        assert!(s.get(u, NOW).is_some(), "{u}");
    }
    // Re-inserting an entry does not evict another.
    s.insert("a", chain, NOW, Some(50)).unwrap();
    assert_eq!(s.len(), 3);
    s.insert("e", chain, NOW, Some(500)).unwrap();
    assert!(s.get("a", NOW).is_none());
}
