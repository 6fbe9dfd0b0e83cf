//! Shared state on a real `redis-server` (Debian package, installed by
//! scripts/install-test-deps.sh), started by each test on a free loopback port: the replay
//! ledger across verifiers that share nothing else, one fetch per `x5u` for all of them,
//! nothing from Redis trusted, and verification going on when Redis dies.
//!
//! Each `RedisState` here stands for one process (its own pool, its own store, its own
//! verdict cache); the command-line tests (cli/tests/state.rs) run real processes.
#![cfg(feature = "redis")]

#[path = "support/redis_server.rs"]
mod redis_server;

#[path = "support/caller.rs"]
mod caller;

use caller::{World, call};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::fetch::{Fetch, FetchError, Fetched};
use cliauth::state::redis::{RedisOptions, RedisState};
use cliauth::state::{AcquirePolicy, VerdictCache};
use cliauth::{ReplayStatus, Verifier, VerifierConfig};

use redis_server::RedisServer;

/// Serves one chain, counting fetches, each taking `delay`.
#[derive(Debug)]
struct Counting {
    body: Mutex<Vec<u8>>,
    delay: Duration,
    count: AtomicUsize,
}

impl Counting {
    fn new(body: &str, delay: Duration) -> Arc<Counting> {
        Arc::new(Counting {
            body: Mutex::new(body.as_bytes().to_vec()),
            delay,
            count: AtomicUsize::new(0),
        })
    }
    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl Fetch for Counting {
    fn fetch(&self, _: &str, _: Duration) -> Result<Fetched, FetchError> {
        self.count.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        Ok(Fetched {
            body: self.body.lock().unwrap().clone(),
            cache_control: Some("max-age=600".into()),
        })
    }
}

/// One "process": its own Redis pool, store, acquirer and verdict cache.
fn node(w: &World, redis: &str, fetch: &Arc<Counting>) -> (Verifier, Arc<RedisState>) {
    let state = RedisState::open(redis, RedisOptions::default()).unwrap();
    let cache = Arc::new(VerdictCache::default().with_ledger(state.ledger()));
    let shared = state.shared_fetch(Arc::clone(fetch) as Arc<dyn Fetch>);
    let v = Verifier::with_store(w.empty_store())
        .with_config(VerifierConfig {
            fetch_budget: Duration::from_secs(5),
            ..VerifierConfig::default()
        })
        .with_fetch_policy(shared, AcquirePolicy::default())
        .with_verdict_cache(cache);
    (v, state)
}

/// A token issued now (the Redis keys expire in real time).
fn identity(w: &World, origid: &str) -> String {
    w.identity(origid, now())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn a_token_verified_on_one_node_is_a_replay_on_another() {
    let redis = RedisServer::start();
    let w = World::new("cliauth redis test");
    let f = Counting::new(&w.pki.chain_pem, Duration::ZERO);
    let (a, _) = node(&w, &redis.url(), &f);
    let (b, _) = node(&w, &redis.url(), &f);
    let id = identity(&w, "r-1");
    let first = a.verify_identity(&id, &call("call-1"), now()).unwrap();
    assert_eq!(first.replay_status(), ReplayStatus::First);
    // The same call through the other node (a second hop, a fork): accepted.
    let hop = b.verify_identity(&id, &call("call-1"), now()).unwrap();
    assert_eq!(hop.replay_status(), ReplayStatus::First);
    // Another call, on a third node that never saw the token: a replay, found in Redis.
    let (c, _) = node(&w, &redis.url(), &f);
    let e = c.verify_identity(&id, &call("call-2"), now()).unwrap_err();
    assert_eq!(e.kind(), "replay");
    assert!(e.to_string().contains("shared ledger"), "{e}");
}

#[test]
fn nodes_sharing_redis_fetch_each_x5u_once() {
    let redis = RedisServer::start();
    let w = World::new("cliauth redis test");
    let f = Counting::new(&w.pki.chain_pem, Duration::from_millis(300));
    // Eight cold nodes at once.
    let nodes: Vec<_> = (0..8).map(|_| node(&w, &redis.url(), &f)).collect();
    let id = Arc::new(identity(&w, "r-2"));
    std::thread::scope(|s| {
        for (i, (v, _)) in nodes.iter().enumerate() {
            let id = Arc::clone(&id);
            s.spawn(move || {
                let call_id = format!("node-{i}");
                // Distinct calls per node, so that no replay hides a failure.
                let c = call(&call_id);
                let res = v.verify_identity(&id, &c, now());
                assert!(
                    res.is_ok() || matches!(&res, Err(e) if e.kind() == "replay"),
                    "{res:?}"
                );
            });
        }
    });
    assert_eq!(f.count(), 1, "one fetch for all nodes");
    let hits: u64 = nodes.iter().map(|(_, s)| s.stats().shared_hits).sum();
    assert_eq!(hits, 7, "the other seven read the chain from Redis");
    // A ninth node, later: no fetch either.
    let (late, state) = node(&w, &redis.url(), &f);
    late.verify_identity(&identity(&w, "r-3"), &call("late"), now())
        .unwrap();
    assert_eq!(f.count(), 1);
    assert_eq!(state.stats().shared_hits, 1);
}

#[test]
fn what_comes_from_redis_is_validated() {
    let redis = RedisServer::start();
    let w = World::new("cliauth redis test");
    // Another PKI's chain, not under this verifier's trust anchor, placed in Redis.
    let other = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let f = Counting::new(&other.chain_pem, Duration::ZERO);
    let (a, _) = node(&w, &redis.url(), &f);
    let (b, _) = node(&w, &redis.url(), &f);
    let id = identity(&w, "r-4");
    assert_eq!(
        a.verify_identity(&id, &call("x"), now())
            .unwrap_err()
            .kind(),
        "cert_untrusted"
    );
    assert_eq!(
        b.verify_identity(&id, &call("y"), now())
            .unwrap_err()
            .kind(),
        "cert_untrusted"
    );
    assert_eq!(f.count(), 1);
}

#[test]
fn verification_goes_on_when_redis_dies() {
    let mut redis = RedisServer::start();
    let w = World::new("cliauth redis test");
    let f = Counting::new(&w.pki.chain_pem, Duration::ZERO);
    let (a, state) = node(&w, &redis.url(), &f);
    a.verify_identity(&identity(&w, "r-5"), &call("before"), now())
        .unwrap();
    redis.kill();
    let started = Instant::now();
    let id = identity(&w, "r-6");
    let v = a.verify_identity(&id, &call("after"), now()).unwrap();
    assert_eq!(v.replay_status(), ReplayStatus::LocalOnly);
    // The local cache still catches a replay to this node.
    assert_eq!(
        a.verify_identity(&id, &call("again"), now())
            .unwrap_err()
            .kind(),
        "replay"
    );
    assert!(state.stats().errors >= 1, "{:?}", state.stats());
    // A fresh node with Redis down fetches directly and verifies.
    let (b, _) = node(&w, &redis.url(), &f);
    b.verify_identity(&identity(&w, "r-7"), &call("b"), now())
        .unwrap();
    assert_eq!(f.count(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "Redis down cost {:?}",
        started.elapsed()
    );
}

#[test]
fn a_bad_redis_url_is_an_error_not_a_panic() {
    for url in [
        "",
        "http://x",
        "redis://",
        "redis://[::1",
        &"x".repeat(5000),
    ] {
        let _ = RedisState::open(url, RedisOptions::default());
    }
    assert!(RedisState::open("http://127.0.0.1/", RedisOptions::default()).is_err());
}
