//! The certificate store: validated `x5u` chains keyed by URL (sans-IO).
//!
//! The host fetches what the verifier asks for ([`Error::CertificateNeeded`]) and inserts
//! the PEM it got; the chain is validated once, at insertion, and the result is cached
//! until the cache lifetime (from Cache-Control, default 24 h) or the first certificate of
//! the path expires, whichever is first. After its lifetime an entry stays *stale* for a
//! grace period ([`CertStore::with_stale_grace`], default [`DEFAULT_STALE_GRACE`], never
//! past the chain's own expiry): [`CertStore::lookup`] still returns it, marked stale, so a
//! verifier with a fetcher can serve it while one refresh runs (stale-while-revalidate);
//! [`CertStore::get`] returns fresh entries only.
//!
//! The store is bounded: when full, the entry whose grace ends first goes (expired entries
//! first, naturally), found in O(log n) through an index ordered by that time. Lookups take
//! a read lock only, so many verifying threads share one store without contention.
//!
//! **Trust upkeep.** The trust anchors and CRLs live behind an `Arc` inside the same lock
//! as the entries, and [`CertStore::replace_trust`] swaps them at run time without stopping
//! verification. Every cached entry keeps the chain it was validated from, so the swap
//! *revalidates* each one against the new trust (outside the lock, while lookups go on
//! being served from the old state) and then, under one short write lock, installs the new
//! trust together with the revalidated entries and drops the entries the new trust refuses
//! (a removed anchor, a revoked certificate, an expired CRL under
//! [`CrlExpiry::FailClosed`](crate::cert::CrlExpiry::FailClosed)). A lookup sees either
//! the old trust and its entries or the new trust and its entries, never a mix; an insert
//! validated under the old trust while a swap ran is validated again before it is stored.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use crate::cert::{Credential, TrustStore};
use crate::error::Error;

/// The default cache lifetime of an inserted chain: 24 hours (ATIS-1000074).
pub const DEFAULT_TTL: i64 = 24 * 3600;

/// The default number of chains a store holds.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// How long an entry past its cache lifetime may still be served while it is refreshed:
/// 1 hour. The chain was validated and has not expired; a repository that is briefly
/// unreachable then does not fail calls.
pub const DEFAULT_STALE_GRACE: i64 = 3600;

struct Entry {
    cred: Arc<Credential>,
    expires: i64,
    stale_until: i64,
    seq: u64,
}

struct Entries {
    map: HashMap<String, Entry>,
    /// Eviction order: (end of grace, insertion number) → URL.
    order: BTreeMap<(i64, u64), String>,
    seq: u64,
    /// What the entries were validated against.
    trust: Arc<TrustStore>,
    /// Incremented by every [`CertStore::replace_trust`].
    generation: u64,
}

impl Entries {
    fn remove(&mut self, url: &str) {
        if let Some(old) = self.map.remove(url) {
            self.order.remove(&(old.stale_until, old.seq));
        }
    }
}

/// What [`CertStore::replace_trust`] did to the cached chains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSwap {
    /// Entries that validated against the new trust and stay.
    pub kept: usize,
    /// The URLs of the entries the new trust refuses, removed (a later call fetches them
    /// again), with the reason.
    pub dropped: Vec<(String, Error)>,
    /// The trust generation now in force (see [`CertStore::trust_generation`]).
    pub generation: u64,
}

/// What the store holds for a URL at a given time.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A chain within its cache lifetime.
    Fresh(Arc<Credential>),
    /// A chain past its cache lifetime but within the grace period: usable, refresh it.
    Stale(Arc<Credential>),
    /// Nothing usable.
    Miss,
}

/// Validated certificate chains by `x5u` URL. `Send + Sync`; share it with `Arc`.
pub struct CertStore {
    entries: RwLock<Entries>,
    /// Serialises [`CertStore::replace_trust`] calls.
    swap: Mutex<()>,
    capacity: usize,
    default_ttl: i64,
    stale_grace: i64,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("anchors", &self.trust().anchor_count())
            .field("entries", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl CertStore {
    /// A store validating against `trust`, with [`DEFAULT_CAPACITY`], [`DEFAULT_TTL`] and
    /// [`DEFAULT_STALE_GRACE`].
    pub fn new(trust: TrustStore) -> CertStore {
        CertStore {
            entries: RwLock::new(Entries {
                map: HashMap::new(),
                order: BTreeMap::new(),
                seq: 0,
                trust: Arc::new(trust),
                generation: 0,
            }),
            swap: Mutex::new(()),
            capacity: DEFAULT_CAPACITY,
            default_ttl: DEFAULT_TTL,
            stale_grace: DEFAULT_STALE_GRACE,
        }
    }

    /// Sets the maximum number of chains held (at least 1).
    pub fn with_capacity(mut self, capacity: usize) -> CertStore {
        self.capacity = capacity.max(1);
        self
    }

    /// Sets the lifetime of entries inserted without an explicit one.
    pub fn with_default_ttl(mut self, seconds: i64) -> CertStore {
        self.default_ttl = seconds;
        self
    }

    /// Sets how long an entry past its lifetime is still returned as
    /// [`Lookup::Stale`] (0: never).
    pub fn with_stale_grace(mut self, seconds: i64) -> CertStore {
        self.stale_grace = seconds.max(0);
        self
    }

    /// The maximum number of chains held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The trust anchors and CRLs chains are validated against now (a snapshot: a later
    /// [`CertStore::replace_trust`] does not change the returned value).
    pub fn trust(&self) -> Arc<TrustStore> {
        Arc::clone(&self.read().trust)
    }

    /// How many times the trust was replaced since the store was made.
    pub fn trust_generation(&self) -> u64 {
        self.read().generation
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }

    fn trust_and_generation(&self) -> (Arc<TrustStore>, u64) {
        let e = self.read();
        (Arc::clone(&e.trust), e.generation)
    }

    /// Validates a chain (PEM bundle or DER, end-entity first) without storing it.
    pub fn validate(&self, chain: &[u8], now: i64) -> Result<Credential, Error> {
        Credential::validate(&self.trust(), chain, now)
    }

    /// Replaces the trust anchors and CRLs at run time, without stopping verification, and
    /// revalidates every cached chain against them at `now`: those the new trust accepts
    /// stay (with their lifetimes), the others are removed. Lookups are served from the old
    /// state while the revalidation runs (without holding the lock), then the new trust
    /// and the revalidated entries are installed at once under one short write lock.
    /// Concurrent calls are serialised. The cost is one chain validation per cached entry.
    pub fn replace_trust(&self, trust: TrustStore, now: i64) -> TrustSwap {
        let _one_at_a_time = self.swap.lock().unwrap_or_else(|p| p.into_inner());
        self.swap_locked(trust, now)
    }

    /// Changes the trust in force with `change` (applied to a copy of it) and swaps the
    /// result in as [`CertStore::replace_trust`] does; atomic with respect to other
    /// `update_trust`/`replace_trust` calls (no change is lost). When `change` fails,
    /// nothing changes and its error is returned.
    pub fn update_trust(
        &self,
        now: i64,
        change: impl FnOnce(&mut TrustStore) -> Result<(), Error>,
    ) -> Result<TrustSwap, Error> {
        let _one_at_a_time = self.swap.lock().unwrap_or_else(|p| p.into_inner());
        let mut trust = (*self.trust()).clone();
        change(&mut trust)?;
        Ok(self.swap_locked(trust, now))
    }

    fn swap_locked(&self, trust: TrustStore, now: i64) -> TrustSwap {
        let new = Arc::new(trust);
        let (snapshot, last_seq): (Vec<(String, u64, Arc<Credential>)>, u64) = {
            let e = self.read();
            (
                e.map
                    .iter()
                    .map(|(u, x)| (u.clone(), x.seq, Arc::clone(&x.cred)))
                    .collect(),
                e.seq,
            )
        };
        let checked: Vec<(String, u64, Result<Credential, Error>)> = snapshot
            .into_iter()
            .map(|(url, seq, cred)| (url, seq, cred.revalidate(&new, now)))
            .collect();
        let mut report = TrustSwap::default();
        let mut e = self.write();
        for (url, seq, result) in checked {
            if e.map.get(&url).is_none_or(|x| x.seq != seq) {
                continue; // replaced or removed meanwhile: see below
            }
            match result {
                Ok(cred) => {
                    if let Some(x) = e.map.get_mut(&url) {
                        x.cred = Arc::new(cred);
                    }
                    report.kept += 1;
                }
                Err(err) => {
                    e.remove(&url);
                    report.dropped.push((url, err));
                }
            }
        }
        // Entries inserted while the revalidation ran were validated under the old trust:
        // validate them again now (few: only the inserts of that window).
        let late: Vec<(String, Arc<Credential>)> = e
            .map
            .iter()
            .filter(|(_, x)| x.seq > last_seq)
            .map(|(u, x)| (u.clone(), Arc::clone(&x.cred)))
            .collect();
        for (url, cred) in late {
            match cred.revalidate(&new, now) {
                Ok(c) => {
                    if let Some(x) = e.map.get_mut(&url) {
                        x.cred = Arc::new(c);
                    }
                    report.kept += 1;
                }
                Err(err) => {
                    e.remove(&url);
                    report.dropped.push((url, err));
                }
            }
        }
        e.trust = new;
        e.generation += 1;
        report.generation = e.generation;
        report
    }

    /// Validates the chain fetched from `url` and stores it for `ttl` seconds (`None`: the
    /// default lifetime). A chain that does not validate is not stored, and an entry for
    /// `url` that was there before is removed.
    pub fn insert(
        &self,
        url: &str,
        chain: &[u8],
        now: i64,
        ttl: Option<i64>,
    ) -> Result<Arc<Credential>, Error> {
        // Validated without the lock; stored only if the trust did not change meanwhile
        // (else validated again under the new trust).
        let (cred, mut e) = loop {
            let (trust, generation) = self.trust_and_generation();
            let result = Credential::validate(&trust, chain, now);
            let mut e = self.write();
            if e.generation != generation {
                continue;
            }
            match result {
                Ok(c) => break (Arc::new(c), e),
                Err(err) => {
                    e.remove(url);
                    return Err(err);
                }
            }
        };
        let expires = now
            .saturating_add(ttl.unwrap_or(self.default_ttl).max(0))
            .min(cred.not_after());
        let stale_until = expires
            .saturating_add(self.stale_grace)
            .min(cred.not_after())
            .max(expires);
        e.remove(url);
        while e.map.len() >= self.capacity {
            let Some((_, victim)) = e.order.pop_first() else {
                break;
            };
            e.map.remove(&victim);
        }
        e.seq += 1;
        let seq = e.seq;
        e.order.insert((stale_until, seq), url.to_owned());
        e.map.insert(
            url.to_owned(),
            Entry {
                cred: Arc::clone(&cred),
                expires,
                stale_until,
                seq,
            },
        );
        Ok(cred)
    }

    /// The valid chain stored for `url`, if there is one that has not expired at `now`.
    pub fn get(&self, url: &str, now: i64) -> Option<Arc<Credential>> {
        match self.lookup(url, now) {
            Lookup::Fresh(c) => Some(c),
            _ => None,
        }
    }

    /// The chain stored for `url` at `now`: fresh, stale (past its lifetime, within the
    /// grace period), or a miss.
    pub fn lookup(&self, url: &str, now: i64) -> Lookup {
        let e = self.read();
        match e.map.get(url) {
            Some(x) if x.expires > now => Lookup::Fresh(Arc::clone(&x.cred)),
            Some(x) if x.stale_until > now => Lookup::Stale(Arc::clone(&x.cred)),
            _ => Lookup::Miss,
        }
    }

    /// Removes the entry for `url`.
    pub fn remove(&self, url: &str) {
        self.write().remove(url);
    }

    /// Removes every entry ([`CertStore::replace_trust`] revalidates them instead).
    pub fn clear(&self) {
        let mut e = self.write();
        e.map.clear();
        e.order.clear();
    }

    /// How many entries are held (expired ones included until they are evicted).
    pub fn len(&self) -> usize {
        self.read().map.len()
    }

    /// The credentials held now (fresh, stale or expired), for the CRL refresher to find
    /// the distribution points of the certificates in use.
    pub fn credentials(&self) -> Vec<Arc<Credential>> {
        self.read()
            .map
            .values()
            .map(|x| Arc::clone(&x.cred))
            .collect()
    }

    /// Whether the store holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cache lifetime for a fetched chain from its `Cache-Control` header: `max-age` when
/// present (`no-store`/`no-cache` give 0), else [`DEFAULT_TTL`].
pub fn ttl_from_cache_control(cache_control: Option<&str>) -> i64 {
    let Some(cc) = cache_control else {
        return DEFAULT_TTL;
    };
    let mut ttl = None;
    for directive in cc.split(',') {
        let d = directive.trim();
        let lower = d.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return 0;
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            ttl = v.trim_matches('"').parse::<i64>().ok().map(|s| s.max(0));
        }
    }
    ttl.unwrap_or(DEFAULT_TTL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control() {
        assert_eq!(ttl_from_cache_control(None), DEFAULT_TTL);
        assert_eq!(ttl_from_cache_control(Some("public, max-age=3600")), 3600);
        assert_eq!(ttl_from_cache_control(Some("max-age=\"60\"")), 60);
        assert_eq!(ttl_from_cache_control(Some("no-store")), 0);
        assert_eq!(ttl_from_cache_control(Some("private")), DEFAULT_TTL);
        assert_eq!(ttl_from_cache_control(Some("max-age=junk")), DEFAULT_TTL);
    }
}
