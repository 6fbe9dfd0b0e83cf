//! Shared verification state on Redis (feature `redis`): what N processes (Kamailio's
//! children) or N machines (a fleet of SBCs) share so that each `x5u` is fetched once per
//! lifetime for all of them and a token replayed to another node is caught.
//!
//! [`RedisState`] holds a small pool of connections to one Redis server and gives:
//! * a [`ReplayLedger`] ([`RedisState::ledger`]) for the [`VerdictCache`](super::VerdictCache):
//!   one key per verified token, `cliauth:r:<token digest>` → call digest, set with
//!   `SET … NX GET EX` (atomic: of two nodes recording one token for two calls, one sees
//!   the other's call), expiring with the token's freshness window;
//! * a [`Fetch`] wrapper ([`RedisState::shared_fetch`]) for the acquisition policy: before
//!   fetching an `x5u`, look for its body under `cliauth:c:<url>` (kept for the chain's
//!   cache lifetime) or a recent failure under `cliauth:n:<url>`; take a lock
//!   `cliauth:l:<url>` (`SET NX PX`, the fetch deadline) so only one node fetches while the
//!   others poll for its result; store what came back.
//!
//! **Nothing read from Redis is trusted**: a body from Redis is validated by each node
//! exactly like one from the network (the store's [`insert`](super::CertStore::insert)),
//! and the ledger holds only digests. A poisoned Redis can make a node fetch again or
//! report a replay; it cannot make a forged token verify.
//!
//! **Redis down never fails a call.** Every command has a short deadline
//! ([`RedisOptions::timeout`], default 50 ms); after a failure the server is not asked
//! again for [`RedisOptions::retry_after`] (default 1 s). Meanwhile the ledger answers an
//! error (the verdict cache goes on with its local state and says
//! [`ReplayStatus::LocalOnly`](crate::ReplayStatus::LocalOnly)) and the fetch wrapper
//! fetches directly. [`RedisState::stats`] counts the failures.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::{Client, Connection, Value};

use super::verdicts::{Digest, LedgerError, ReplayLedger, Sighting};
use crate::fetch::{Fetch, FetchError, FetchErrorKind, Fetched};

/// Settings of a [`RedisState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// The deadline of one connect or one command. Default 50 ms: a Redis slower than this
    /// is treated as down for the call.
    pub timeout: Duration,
    /// How long a failed server is left alone before it is tried again. Default 1 s.
    pub retry_after: Duration,
    /// How long a failed fetch is shared as failed (`cliauth:n:` keys), in seconds.
    /// Default 30, the first back-off step of [`Backoff`](super::Backoff).
    pub failure_ttl: u64,
    /// The shortest time a fetched chain is shared, in seconds, whatever its
    /// `Cache-Control` says. Default 60, as [`AcquirePolicy::min_ttl`](super::AcquirePolicy::min_ttl).
    pub min_ttl: u64,
    /// A prefix for every key (several deployments on one Redis). Default `cliauth:`.
    pub prefix: String,
    /// The most idle connections kept. Default 16.
    pub pool: usize,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            timeout: Duration::from_millis(50),
            retry_after: Duration::from_secs(1),
            failure_ttl: 30,
            min_ttl: 60,
            prefix: "cliauth:".into(),
            pool: 16,
        }
    }
}

/// Counters of a [`RedisState`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedisStats {
    /// Commands that failed (connect, timeout, protocol).
    pub errors: u64,
    /// Commands skipped because the server failed recently.
    pub skipped: u64,
    /// Chains served from Redis instead of the network.
    pub shared_hits: u64,
    /// Fetches made by this process (and shared).
    pub fetches: u64,
}

/// Why a Redis state could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redis: {0}")]
pub struct RedisError(String);

/// A connection pool to one Redis server, the source of the shared ledger and the shared
/// fetch; see the [module documentation](self). Cheap to share (`Arc`).
pub struct RedisState {
    client: Client,
    url: String,
    options: RedisOptions,
    idle: Mutex<Vec<Connection>>,
    down_until: Mutex<Option<Instant>>,
    errors: AtomicU64,
    skipped: AtomicU64,
    shared_hits: AtomicU64,
    fetches: AtomicU64,
}

impl fmt::Debug for RedisState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisState")
            .field("url", &self.url)
            .field("options", &self.options)
            .field("stats", &self.stats())
            .finish()
    }
}

impl RedisState {
    /// A state on the server at `url` (`redis://HOST:PORT[/DB]`, `redis://:PASSWORD@HOST`,
    /// or `redis+unix:///path`). Only the URL is checked here: no connection is made until
    /// the first use, so a server that is down at start-up does not stop the verifier.
    pub fn open(url: &str, options: RedisOptions) -> Result<Arc<RedisState>, RedisError> {
        if url.len() > 1024 {
            return Err(RedisError("URL longer than 1024 bytes".into()));
        }
        let client = Client::open(url).map_err(|e| RedisError(format!("{url:?}: {e}")))?;
        Ok(Arc::new(RedisState {
            client,
            url: url.to_owned(),
            options,
            idle: Mutex::new(Vec::new()),
            down_until: Mutex::new(None),
            errors: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            shared_hits: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
        }))
    }

    /// The settings.
    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// The counters.
    pub fn stats(&self) -> RedisStats {
        RedisStats {
            errors: self.errors.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            shared_hits: self.shared_hits.load(Ordering::Relaxed),
            fetches: self.fetches.load(Ordering::Relaxed),
        }
    }

    /// The replay ledger on this server, for
    /// [`VerdictCache::with_ledger`](super::VerdictCache::with_ledger).
    pub fn ledger(self: &Arc<Self>) -> Arc<dyn ReplayLedger> {
        Arc::new(RedisLedger(Arc::clone(self)))
    }

    /// `inner` with the chains and failures shared through this server, for
    /// [`Verifier::with_fetch`](crate::Verifier::with_fetch).
    pub fn shared_fetch(self: &Arc<Self>, inner: Arc<dyn Fetch>) -> Arc<dyn Fetch> {
        Arc::new(SharedFetch {
            redis: Arc::clone(self),
            inner,
        })
    }

    /// Runs `f` on a pooled connection within the deadline; an error marks the server down.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> redis::RedisResult<T>) -> Option<T> {
        {
            let mut down = self
                .down_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match *down {
                Some(t) if Instant::now() < t => {
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                Some(_) => *down = None,
                None => {}
            }
        }
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut con = match pooled {
            Some(c) => c,
            None => match self.connect() {
                Ok(c) => c,
                Err(_) => {
                    self.failed();
                    return None;
                }
            },
        };
        match f(&mut con) {
            Ok(v) => {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < self.options.pool {
                    idle.push(con);
                }
                Some(v)
            }
            Err(_) => {
                // The connection may be mid-reply: drop it, and every idle one (the server
                // may have restarted).
                self.idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clear();
                self.failed();
                None
            }
        }
    }

    fn connect(&self) -> redis::RedisResult<Connection> {
        let con = self
            .client
            .get_connection_with_timeout(self.options.timeout)?;
        con.set_read_timeout(Some(self.options.timeout))?;
        con.set_write_timeout(Some(self.options.timeout))?;
        Ok(con)
    }

    fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            Some(super::deadline_in(self.options.retry_after));
    }

    fn key(&self, kind: &str, rest: &str) -> String {
        format!("{}{kind}:{rest}", self.options.prefix)
    }
}

fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The replay ledger on Redis.
#[derive(Debug)]
struct RedisLedger(Arc<RedisState>);

impl ReplayLedger for RedisLedger {
    fn record(
        &self,
        token: &Digest,
        call: &Digest,
        expires: i64,
        now: i64,
    ) -> Result<Sighting, LedgerError> {
        let r = &self.0;
        let key = r.key("r", &hex(token));
        let ttl = (expires.saturating_sub(now)).max(1);
        let call = hex(call);
        // SET NX GET (Redis ≥ 7.0): sets only when absent, and answers the old value.
        let old = r
            .with(|c| {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&call)
                    .arg("NX")
                    .arg("GET")
                    .arg("EX")
                    .arg(ttl)
                    .query::<Option<String>>(c)
            })
            .ok_or_else(|| LedgerError(format!("{} unreachable", r.url)))?;
        Ok(match old {
            None => Sighting::First,
            Some(old) if old == call => Sighting::SameCall,
            Some(_) => Sighting::OtherCall,
        })
    }
}

/// A fetcher whose results are shared through Redis.
#[derive(Debug)]
struct SharedFetch {
    redis: Arc<RedisState>,
    inner: Arc<dyn Fetch>,
}

/// What Redis holds for a URL.
enum Shared {
    Chain(Vec<u8>, i64),
    Failed(String),
    Nothing,
}

impl SharedFetch {
    fn look(&self, chain_key: &str, fail_key: &str) -> Option<Shared> {
        let (body, ttl, failure) = self.redis.with(|c| {
            redis::pipe()
                .cmd("GET")
                .arg(chain_key)
                .cmd("TTL")
                .arg(chain_key)
                .cmd("GET")
                .arg(fail_key)
                .query::<(Option<Vec<u8>>, i64, Option<String>)>(c)
        })?;
        Some(match (body, failure) {
            (Some(body), _) if ttl > 0 => Shared::Chain(body, ttl),
            (_, Some(f)) => Shared::Failed(f),
            _ => Shared::Nothing,
        })
    }

    fn answer(&self, shared: Shared, url: &str) -> Option<Result<Fetched, FetchError>> {
        match shared {
            Shared::Chain(body, ttl) => {
                self.redis.shared_hits.fetch_add(1, Ordering::Relaxed);
                Some(Ok(Fetched {
                    body,
                    cache_control: Some(format!("max-age={ttl}")),
                }))
            }
            Shared::Failed(why) => Some(Err(FetchError::new(
                FetchErrorKind::Unreachable,
                format!("fetch {url}: failed recently on another node: {why}"),
            ))),
            Shared::Nothing => None,
        }
    }

    fn fetch_and_share(
        &self,
        url: &str,
        timeout: Duration,
        chain_key: &str,
        fail_key: &str,
    ) -> Result<Fetched, FetchError> {
        self.redis.fetches.fetch_add(1, Ordering::Relaxed);
        let got = self.inner.fetch(url, timeout);
        let o = &self.redis.options;
        match &got {
            Ok(f) => {
                let ttl = u64::try_from(crate::cert::store::ttl_from_cache_control(
                    f.cache_control.as_deref(),
                ))
                .unwrap_or(0)
                .max(o.min_ttl);
                self.redis.with(|c| {
                    redis::cmd("SET")
                        .arg(chain_key)
                        .arg(&f.body)
                        .arg("EX")
                        .arg(ttl)
                        .query::<()>(c)
                });
            }
            Err(e) => {
                let why = e.to_string();
                self.redis.with(|c| {
                    redis::cmd("SET")
                        .arg(fail_key)
                        .arg(&why)
                        .arg("EX")
                        .arg(o.failure_ttl.max(1))
                        .query::<()>(c)
                });
            }
        }
        got
    }
}

impl Fetch for SharedFetch {
    fn check_url(&self, url: &str) -> Result<(), FetchError> {
        self.inner.check_url(url)
    }

    /// CRLs are not shared: fetched by the inner fetcher under its rules.
    fn fetch_crl(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        self.inner.fetch_crl(url, timeout)
    }

    fn fetch(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        // The URL rules first: a refused URL touches neither Redis nor the network.
        self.inner.check_url(url)?;
        let deadline = super::deadline_in(timeout);
        let r = &self.redis;
        let (chain_key, fail_key, lock_key) = (r.key("c", url), r.key("n", url), r.key("l", url));
        match self.look(&chain_key, &fail_key) {
            // Redis down: fetch alone.
            None => return self.fetch_and_share(url, timeout, &chain_key, &fail_key),
            Some(shared) => {
                if let Some(answer) = self.answer(shared, url) {
                    return answer;
                }
            }
        }
        let lock_ms = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let locked = r.with(|c| {
            redis::cmd("SET")
                .arg(&lock_key)
                .arg(std::process::id())
                .arg("NX")
                .arg("PX")
                .arg(lock_ms)
                .query::<Value>(c)
        });
        match locked {
            None => self.fetch_and_share(url, timeout, &chain_key, &fail_key),
            Some(Value::Okay) => {
                let got = self.fetch_and_share(url, timeout, &chain_key, &fail_key);
                r.with(|c| redis::cmd("DEL").arg(&lock_key).query::<()>(c));
                got
            }
            Some(_) => {
                // Another node is fetching: wait for its result until the deadline.
                while Instant::now() + Duration::from_millis(20) < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                    match self.look(&chain_key, &fail_key) {
                        None => break,
                        Some(shared) => {
                            if let Some(answer) = self.answer(shared, url) {
                                return answer;
                            }
                        }
                    }
                    let held = r.with(|c| redis::cmd("EXISTS").arg(&lock_key).query::<bool>(c));
                    if held != Some(true) {
                        // The holder gave up without a result: fetch ourselves.
                        return self.fetch_and_share(
                            url,
                            deadline.saturating_duration_since(Instant::now()),
                            &chain_key,
                            &fail_key,
                        );
                    }
                }
                Err(FetchError::new(
                    FetchErrorKind::TimedOut,
                    format!(
                        "fetch {url}: another node is fetching it and had no result within {} ms",
                        timeout.as_millis()
                    ),
                ))
            }
        }
    }
}
