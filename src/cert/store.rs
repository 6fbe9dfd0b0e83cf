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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

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

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Eviction order: (end of grace, insertion number) → URL.
    order: BTreeMap<(i64, u64), String>,
    seq: u64,
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
    trust: TrustStore,
    entries: RwLock<Entries>,
    capacity: usize,
    default_ttl: i64,
    stale_grace: i64,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("anchors", &self.trust.anchor_count())
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
            trust,
            entries: RwLock::new(Entries::default()),
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

    /// The trust anchors and CRLs chains are validated against.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Validates a chain (PEM bundle or DER, end-entity first) without storing it.
    pub fn validate(&self, chain: &[u8], now: i64) -> Result<Credential, Error> {
        Credential::validate(&self.trust, chain, now)
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
        let cred = match self.validate(chain, now) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                self.remove(url);
                return Err(e);
            }
        };
        let expires = now
            .saturating_add(ttl.unwrap_or(self.default_ttl).max(0))
            .min(cred.not_after());
        let stale_until = expires
            .saturating_add(self.stale_grace)
            .min(cred.not_after())
            .max(expires);
        let mut e = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = e.map.remove(url) {
            e.order.remove(&(old.stale_until, old.seq));
        }
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
        let e = self.entries.read().unwrap_or_else(|p| p.into_inner());
        match e.map.get(url) {
            Some(x) if x.expires > now => Lookup::Fresh(Arc::clone(&x.cred)),
            Some(x) if x.stale_until > now => Lookup::Stale(Arc::clone(&x.cred)),
            _ => Lookup::Miss,
        }
    }

    /// Removes the entry for `url`.
    pub fn remove(&self, url: &str) {
        let mut e = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = e.map.remove(url) {
            e.order.remove(&(old.stale_until, old.seq));
        }
    }

    /// Removes every entry (for example after new CRLs were loaded into a new store).
    pub fn clear(&self) {
        let mut e = self.entries.write().unwrap_or_else(|p| p.into_inner());
        e.map.clear();
        e.order.clear();
    }

    /// How many entries are held (expired ones included until they are evicted).
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .len()
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
