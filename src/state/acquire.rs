//! Certificate acquisition: what a verifier with a fetcher does on a store miss.
//!
//! * **Single-flight**: one fetch per URL at a time; concurrent misses wait for it.
//! * **Negative cache**: a failed fetch (or a chain that does not validate) is remembered
//!   with back-off per URL, and per host for unreachable / timed-out hosts
//!   ([`NegativeCache`]); calls in the back-off window get the remembered error at once.
//! * **Lifetime floor**: a chain served with `no-store`, `no-cache` or `max-age=0` is kept
//!   for at least [`AcquirePolicy::min_ttl`] (default 60 s): caching a validated chain for a
//!   minute is harmless (the chain and its signatures do not change; revocation is checked
//!   against CRLs, not by refetching), while refetching on every call would put the
//!   repository's latency on every call and let one repository flood the verifier.
//! * **Stale-while-revalidate**: an entry past its lifetime but within the store's grace
//!   period is served while one background refresh runs ([`Acquirer::refresh`]).
//! * **Budget**: the caller waits at most its budget; the fetch then completes in the
//!   background and serves the next call ([`Acquired::Pending`]).
//!
//! Fetches run on a small bounded pool of worker threads ([`AcquirePolicy::workers`]),
//! started on the first fetch — never by a verifier without a fetcher — with a bounded
//! queue; when the queue is full a miss is [`Acquired::Pending`] at once. Workers exit once
//! the acquirer is dropped and their queue is empty.
//!
//! Time: every decision on the call path uses the caller's `now`, as everywhere in the
//! core. A background fetch ends later than the call that started it, so it inserts its
//! chain and records its failure at the time it ends, read from the acquirer's clock
//! ([`Acquirer::with_clock`]; by default the system clock, the caller's `now` plus the
//! fetch's duration being no better) — a failing repository is then contacted at most once
//! per back-off interval counted from the end of its last failure. The waiting itself (the
//! budget) is measured on the monotonic clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::negative::{Backoff, NegativeCache, host_of};
use crate::cert::store::ttl_from_cache_control;
use crate::cert::{CertStore, Credential};
use crate::error::Error;
use crate::fetch::Fetch;

/// The default floor on a fetched chain's cache lifetime, in seconds.
pub const DEFAULT_MIN_TTL: i64 = 60;

/// How an [`Acquirer`] fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquirePolicy {
    /// The time one fetch may take (connect, TLS, headers, body). Default 5 s. This is the
    /// fetch's deadline, not the caller's: the caller waits at most its own budget.
    pub fetch_timeout: Duration,
    /// The shortest cache lifetime given to a fetched chain, whatever its `Cache-Control`
    /// says (`no-store`, `max-age=0`), in seconds. Default [`DEFAULT_MIN_TTL`].
    pub min_ttl: i64,
    /// Back-off after failures, per URL and per host.
    pub backoff: Backoff,
    /// Worker threads fetching in the background. Default 16: fetches mostly wait on the
    /// network, and a few repositories timing out must not hold up the others.
    pub workers: usize,
    /// Fetches waiting for a worker at most; beyond, a miss is pending at once. Default 1024.
    pub queue: usize,
}

impl Default for AcquirePolicy {
    fn default() -> Self {
        AcquirePolicy {
            fetch_timeout: Duration::from_secs(5),
            min_ttl: DEFAULT_MIN_TTL,
            backoff: Backoff::default(),
            workers: 16,
            queue: 1024,
        }
    }
}

impl AcquirePolicy {
    /// The cache lifetime of a chain served with `cache_control`: its `max-age` (or the
    /// default 24 h), never less than [`min_ttl`](Self::min_ttl).
    pub fn ttl(&self, cache_control: Option<&str>) -> i64 {
        ttl_from_cache_control(cache_control).max(self.min_ttl)
    }
}

/// The outcome of [`Acquirer::acquire`].
#[derive(Debug, Clone)]
pub enum Acquired {
    /// The chain, fetched and validated (now in the store).
    Ready(Arc<Credential>),
    /// The fetch or the validation failed, now or within the back-off window.
    Failed(Error),
    /// Not there within the budget: the fetch goes on in the background.
    Pending,
}

type Outcome = Result<Arc<Credential>, Error>;

enum Start {
    Flight(Arc<Flight>),
    Done(Acquired),
}

/// One fetch in progress, waited on by every call that missed the same URL.
#[derive(Default)]
struct Flight {
    done: Mutex<Option<Outcome>>,
    cv: Condvar,
}

impl Flight {
    fn wait(&self, budget: Duration) -> Option<Outcome> {
        let until = super::deadline_in(budget.saturating_sub(wake_slack(budget)));
        let mut g = self.done.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(r) = g.as_ref() {
                return Some(r.clone());
            }
            let left = until.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            g = self
                .cv
                .wait_timeout(g, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn finish(&self, r: Outcome) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        self.cv.notify_all();
    }
}

/// How much earlier than its budget a waiting call gives up, so that it is back on its
/// thread within the budget: the wake-up after a timed wait comes late by the kernel's
/// timer slack (50 µs by default on Linux) plus the scheduling delay. 100 µs, or a
/// twentieth of a budget shorter than 2 ms.
fn wake_slack(budget: Duration) -> Duration {
    (budget / 20).min(Duration::from_micros(100))
}

type Job = Box<dyn FnOnce() + Send>;

/// The bounded worker pool.
struct Pool {
    tx: Mutex<SyncSender<Job>>,
}

impl Pool {
    fn start(workers: usize, queue: usize) -> Pool {
        let (tx, rx) = sync_channel::<Job>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx: Arc<Mutex<Receiver<Job>>> = Arc::clone(&rx);
            // A worker that cannot be spawned leaves the others; with none, jobs wait in
            // the queue and calls get Pending until it is full.
            let _ = std::thread::Builder::new()
                .name(format!("cliauth-fetch-{i}"))
                .spawn(move || {
                    loop {
                        let job = {
                            let r = rx.lock().unwrap_or_else(|p| p.into_inner());
                            r.recv()
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        Pool { tx: Mutex::new(tx) }
    }

    fn submit(&self, job: Job) -> bool {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        match tx.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

/// Counters, for monitoring and the simulation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AcquireStats {
    /// Fetches started.
    pub fetches: u64,
    /// Fetches that failed (or whose chain did not validate).
    pub failures: u64,
    /// Misses that joined a fetch already running.
    pub joined: u64,
    /// Misses answered from the negative cache without a fetch.
    pub backed_off: u64,
    /// Calls that ran out of budget.
    pub pending: u64,
    /// Background refreshes of stale entries started.
    pub refreshes: u64,
}

#[derive(Default)]
struct Counters {
    fetches: AtomicU64,
    failures: AtomicU64,
    joined: AtomicU64,
    backed_off: AtomicU64,
    pending: AtomicU64,
    refreshes: AtomicU64,
}

/// A clock in seconds since the Unix epoch.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

struct Inner {
    clock: Clock,
    fetch: Arc<dyn Fetch>,
    store: Arc<CertStore>,
    policy: AcquirePolicy,
    negative: NegativeCache,
    flights: Mutex<HashMap<String, Arc<Flight>>>,
    pool: OnceLock<Pool>,
    stats: Counters,
}

/// Fetches missing chains into a store under [`AcquirePolicy`]. `Send + Sync`; one per
/// store, shared by the verifiers using it.
#[derive(Clone)]
pub struct Acquirer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Acquirer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acquirer")
            .field("fetch", &self.inner.fetch)
            .field("policy", &self.inner.policy)
            .field("started", &self.inner.pool.get().is_some())
            .finish()
    }
}

// The acquirer's shared state is behind mutexes that are never held across a call out, and
// every lock recovers from poisoning: it stays consistent across a caught panic.
impl std::panic::UnwindSafe for Acquirer {}
impl std::panic::RefUnwindSafe for Acquirer {}

impl Acquirer {
    /// An acquirer fetching with `fetch` into `store`. Starts no thread until the first
    /// fetch.
    pub fn new(fetch: Arc<dyn Fetch>, store: Arc<CertStore>, policy: AcquirePolicy) -> Acquirer {
        let negative = NegativeCache::new(policy.backoff);
        Acquirer {
            inner: Arc::new(Inner {
                fetch,
                store,
                policy,
                negative,
                flights: Mutex::new(HashMap::new()),
                pool: OnceLock::new(),
                stats: Counters::default(),
                clock: Arc::new(system_clock),
            }),
        }
    }

    /// Replaces the clock a background fetch reads when it ends (default: the system
    /// clock). Call before the first fetch; for simulations and tests.
    pub fn with_clock(mut self, clock: Clock) -> Acquirer {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.clock = clock;
        }
        self
    }

    /// The settings.
    pub fn policy(&self) -> &AcquirePolicy {
        &self.inner.policy
    }

    /// The store fetched chains go into.
    pub fn store(&self) -> &Arc<CertStore> {
        &self.inner.store
    }

    /// The negative cache.
    pub fn negative(&self) -> &NegativeCache {
        &self.inner.negative
    }

    /// The counters so far.
    pub fn stats(&self) -> AcquireStats {
        let c = &self.inner.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        AcquireStats {
            fetches: g(&c.fetches),
            failures: g(&c.failures),
            joined: g(&c.joined),
            backed_off: g(&c.backed_off),
            pending: g(&c.pending),
            refreshes: g(&c.refreshes),
        }
    }

    fn count(&self, f: impl FnOnce(&Counters) -> &AtomicU64) {
        f(&self.inner.stats).fetch_add(1, Ordering::Relaxed);
    }

    /// The chain of `url` for a call at `now` that may wait `budget`: from a fetch already
    /// running or a new one, or the remembered failure while `url` or its host is backed
    /// off. The store is not consulted (the verifier did that).
    pub fn acquire(&self, url: &str, now: i64, budget: Duration) -> Acquired {
        let flight = match self.flight(url, now, false) {
            Start::Flight(f) => f,
            Start::Done(a) => return a,
        };
        match flight.wait(budget) {
            Some(Ok(c)) => Acquired::Ready(c),
            Some(Err(e)) => Acquired::Failed(e),
            None => {
                self.count(|s| &s.pending);
                Acquired::Pending
            }
        }
    }

    /// Starts a background refresh of `url` (a stale entry being served) unless one is
    /// running or `url` is backed off. Never waits.
    pub fn refresh(&self, url: &str, now: i64) {
        let _ = self.flight(url, now, true);
    }

    /// The flight for `url`: the running one, or a new one submitted to the pool — unless
    /// the answer is already known. Decided under the flights lock, which a finished fetch
    /// leaves only after filling the store or the negative cache, so a miss racing with
    /// the end of a fetch never starts a second one.
    fn flight(&self, url: &str, now: i64, refresh: bool) -> Start {
        let i = &self.inner;
        if let Err(e) = i.fetch.check_url(url) {
            return Start::Done(Acquired::Failed(e.into()));
        }
        let mut flights = i.flights.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = flights.get(url) {
            if !refresh {
                self.count(|s| &s.joined);
            }
            return Start::Flight(Arc::clone(f));
        }
        if !refresh && let Some(c) = i.store.get(url, now) {
            return Start::Done(Acquired::Ready(c));
        }
        let host = host_of(url);
        if let Some(e) = i.negative.check(url, &host, now) {
            self.count(|s| &s.backed_off);
            return Start::Done(Acquired::Failed(e));
        }
        let flight = Arc::new(Flight::default());
        let me = self.clone();
        let (u, f) = (url.to_owned(), Arc::clone(&flight));
        let pool = i
            .pool
            .get_or_init(|| Pool::start(i.policy.workers, i.policy.queue));
        if !pool.submit(Box::new(move || me.run(&u, &host, now, &f))) {
            self.count(|s| &s.pending);
            return Start::Done(Acquired::Pending);
        }
        flights.insert(url.to_owned(), Arc::clone(&flight));
        self.count(|s| &s.fetches);
        if refresh {
            self.count(|s| &s.refreshes);
        }
        Start::Flight(flight)
    }

    /// One fetch, on a worker.
    fn run(&self, url: &str, host: &str, started: i64, flight: &Flight) {
        let i = &self.inner;
        let fetched = i.fetch.fetch(url, i.policy.fetch_timeout);
        // The end of the fetch, never before the call that started it.
        let now = (i.clock)().max(started);
        let outcome = match fetched {
            Ok(got) => {
                let ttl = i.policy.ttl(got.cache_control.as_deref());
                let r = i.store.insert(url, &got.body, now, Some(ttl));
                match &r {
                    Ok(_) => i.negative.succeeded(url, host),
                    Err(e) => {
                        i.negative.failed(url, host, e.clone(), false, now);
                    }
                }
                r
            }
            Err(e) => {
                let host_level = e.kind.is_host_level();
                let e = Error::from(e);
                i.negative.failed(url, host, e.clone(), host_level, now);
                Err(e)
            }
        };
        if outcome.is_err() {
            self.count(|s| &s.failures);
        }
        // Out of the map first, then wake the waiters: a call arriving in between finds
        // the store filled or the failure remembered.
        i.flights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(url);
        flight.finish(outcome);
    }
}
