//! The certificate store: validated `x5u` chains keyed by URL (sans-IO).
//!
//! The host fetches what the verifier asks for ([`Error::CertificateNeeded`]) and inserts
//! the PEM it got; the chain is validated once, at insertion, and the result is cached
//! until the cache lifetime (from Cache-Control, default 24 h) or the first certificate of
//! the path expires, whichever is first. The store is bounded: when full, expired entries
//! go first, then the one that would expire soonest. Lookups take a read lock only, so
//! many verifying threads share one store without contention.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::cert::{Credential, TrustStore};
use crate::error::Error;

/// The default cache lifetime of an inserted chain: 24 hours (ATIS-1000074).
pub const DEFAULT_TTL: i64 = 24 * 3600;

/// The default number of chains a store holds.
pub const DEFAULT_CAPACITY: usize = 10_000;

struct Entry {
    cred: Arc<Credential>,
    expires: i64,
}

/// Validated certificate chains by `x5u` URL. `Send + Sync`; share it with `Arc`.
pub struct CertStore {
    trust: TrustStore,
    entries: RwLock<HashMap<String, Entry>>,
    capacity: usize,
    default_ttl: i64,
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
    /// A store validating against `trust`, with [`DEFAULT_CAPACITY`] and [`DEFAULT_TTL`].
    pub fn new(trust: TrustStore) -> CertStore {
        CertStore {
            trust,
            entries: RwLock::new(HashMap::new()),
            capacity: DEFAULT_CAPACITY,
            default_ttl: DEFAULT_TTL,
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
        let mut map = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity && !map.contains_key(url) {
            map.retain(|_, e| e.expires > now);
            while map.len() >= self.capacity {
                let Some(victim) = map
                    .iter()
                    .min_by_key(|(_, e)| e.expires)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                map.remove(&victim);
            }
        }
        map.insert(
            url.to_owned(),
            Entry {
                cred: Arc::clone(&cred),
                expires,
            },
        );
        Ok(cred)
    }

    /// The valid chain stored for `url`, if there is one that has not expired at `now`.
    pub fn get(&self, url: &str, now: i64) -> Option<Arc<Credential>> {
        let map = self.entries.read().unwrap_or_else(|p| p.into_inner());
        map.get(url)
            .filter(|e| e.expires > now)
            .map(|e| Arc::clone(&e.cred))
    }

    /// Removes the entry for `url`.
    pub fn remove(&self, url: &str) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(url);
    }

    /// Removes every entry (for example after new CRLs were loaded into a new store).
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// How many entries are held (expired ones included until they are evicted).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
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
