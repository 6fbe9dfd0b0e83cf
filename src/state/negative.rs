//! The negative cache: failed fetches remembered per URL and per host, with exponential
//! back-off, so a failing repository is contacted at most once per back-off interval.
//! Pure data with `now` passed in; bounded, with O(log n) eviction.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::error::Error;

/// Back-off settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure, in seconds. Default 30.
    pub base: i64,
    /// The longest wait, in seconds; each further failure doubles the wait up to this.
    /// Default 600.
    pub max: i64,
    /// The most URLs and hosts remembered (each). Default 10,000.
    pub capacity: usize,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: 30,
            max: 600,
            capacity: 10_000,
        }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row (1-based).
    pub fn wait(&self, failures: u32) -> i64 {
        let shift = failures.saturating_sub(1).min(30);
        self.base
            .max(0)
            .saturating_mul(1 << shift)
            .min(self.max.max(0))
    }
}

#[derive(Debug, Clone)]
struct Failure {
    error: Error,
    failures: u32,
    retry_at: i64,
    seq: u64,
}

/// One bounded map of failures, evicting the entry whose back-off ends first.
#[derive(Debug, Default)]
struct Failures {
    map: HashMap<String, Failure>,
    order: BTreeMap<(i64, u64), String>,
    seq: u64,
}

impl Failures {
    fn record(&mut self, key: &str, error: Error, now: i64, b: &Backoff) -> i64 {
        let failures = match self.map.remove(key) {
            Some(old) => {
                self.order.remove(&(old.retry_at, old.seq));
                old.failures.saturating_add(1)
            }
            None => 1,
        };
        while self.map.len() >= b.capacity.max(1) {
            let Some((_, victim)) = self.order.pop_first() else {
                break;
            };
            self.map.remove(&victim);
        }
        self.seq += 1;
        let retry_at = now.saturating_add(b.wait(failures));
        self.order.insert((retry_at, self.seq), key.to_owned());
        self.map.insert(
            key.to_owned(),
            Failure {
                error,
                failures,
                retry_at,
                seq: self.seq,
            },
        );
        retry_at
    }

    fn clear(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.order.remove(&(old.retry_at, old.seq));
        }
    }

    fn active(&self, key: &str, now: i64) -> Option<&Failure> {
        self.map.get(key).filter(|f| f.retry_at > now)
    }
}

/// Failed fetches by URL and by host. `Send + Sync`.
#[derive(Debug)]
pub struct NegativeCache {
    backoff: Backoff,
    inner: Mutex<(Failures, Failures)>,
}

impl NegativeCache {
    /// An empty cache with `backoff`.
    pub fn new(backoff: Backoff) -> NegativeCache {
        NegativeCache {
            backoff,
            inner: Mutex::new((Failures::default(), Failures::default())),
        }
    }

    /// The back-off settings.
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// Why `url` (on `host`) must not be fetched at `now`, if it is backed off: the error
    /// of its last failure, or a host-level refusal.
    pub fn check(&self, url: &str, host: &str, now: i64) -> Option<Error> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = g.0.active(url, now) {
            return Some(f.error.clone());
        }
        g.1.active(host, now).map(|f| {
            Error::BadInfo(format!(
                "host {host} backed off for {} s after {} failure(s): {}",
                f.retry_at - now,
                f.failures,
                f.error
            ))
        })
    }

    /// Records a failed fetch of `url`; a host-level failure (unreachable, timed out) backs
    /// off the whole `host` too. Returns when `url` may be tried again.
    pub fn failed(&self, url: &str, host: &str, error: Error, host_level: bool, now: i64) -> i64 {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if host_level {
            g.1.record(host, error.clone(), now, &self.backoff);
        }
        g.0.record(url, error, now, &self.backoff)
    }

    /// Records a successful fetch: `url` and its host are forgotten.
    pub fn succeeded(&self, url: &str, host: &str) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0.clear(url);
        g.1.clear(host);
    }

    /// How many URLs and hosts are remembered.
    pub fn len(&self) -> (usize, usize) {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (g.0.map.len(), g.1.map.len())
    }
}

/// The host part of an `x5u` URL (`scheme://host[:port]/…` → `host[:port]`), lower-cased;
/// the whole string when it has no `://`.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or("").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> Error {
        Error::BadInfo(s.into())
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let b = Backoff::default();
        assert_eq!(
            (1..=7).map(|n| b.wait(n)).collect::<Vec<_>>(),
            [30, 60, 120, 240, 480, 600, 600]
        );
        assert_eq!(b.wait(u32::MAX), 600);
    }

    #[test]
    fn url_and_host_back_off() {
        let n = NegativeCache::new(Backoff::default());
        let (u, h) = ("https://a.example/x.pem", "a.example");
        assert!(n.check(u, h, 0).is_none());
        assert_eq!(n.failed(u, h, err("404"), false, 100), 130);
        assert_eq!(n.check(u, h, 129), Some(err("404")));
        assert!(n.check(u, h, 130).is_none());
        // Not host-level: the host's other URLs are still fetched.
        assert!(n.check("https://a.example/y.pem", h, 101).is_none());
        // The second failure in a row waits twice as long.
        assert_eq!(n.failed(u, h, err("404"), false, 130), 190);
        // Host-level: every URL of the host waits.
        n.failed(u, h, err("timed out"), true, 200);
        let d = n
            .check("https://a.example/z.pem", h, 201)
            .unwrap()
            .to_string();
        assert!(d.contains("host a.example backed off"), "{d}");
        assert!(d.contains("timed out"), "{d}");
        n.succeeded(u, h);
        assert!(n.check("https://a.example/z.pem", h, 201).is_none());
        assert!(n.check(u, h, 201).is_none());
    }

    #[test]
    fn bounded_and_evicts_the_earliest_retry() {
        let n = NegativeCache::new(Backoff {
            capacity: 3,
            ..Backoff::default()
        });
        for (i, t) in [(0, 50), (1, 10), (2, 30), (3, 40)] {
            n.failed(&format!("u{i}"), "h", err("x"), false, t);
        }
        assert_eq!(n.len(), (3, 0));
        // u1 (retry at 40) went first.
        assert!(n.check("u1", "h", 41).is_none());
        assert!(n.check("u0", "h", 41).is_some());
        assert!(n.check("u2", "h", 41).is_some());
        assert!(n.check("u3", "h", 41).is_some());
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://Cert.Example:8443/a/b.pem"),
            "cert.example:8443"
        );
        assert_eq!(host_of("https://cert.example"), "cert.example");
        assert_eq!(host_of("junk"), "junk");
    }
}
