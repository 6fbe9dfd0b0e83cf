//! What a verifier remembers, and the policy around it: the certificate store
//! ([`CertStore`], fresh and stale entries, bounded with O(log n) eviction), the negative
//! cache of failed fetches ([`NegativeCache`], back-off per URL and per host), and the
//! acquisition policy that turns a store miss into at most one fetch per URL within the
//! call's budget ([`Acquirer`]: single-flight, stale-while-revalidate, a floor on the cache
//! lifetime, a small lazily started worker pool).
//!
//! The store and the negative cache are plain data with `now` passed in. The acquirer is
//! the one place that waits and starts threads, and only for a verifier given a fetcher
//! ([`Verifier::with_fetch`](crate::Verifier::with_fetch)): without one, a miss is still
//! [`Error::CertificateNeeded`](crate::Error::CertificateNeeded) for the host to handle.
//!
//! The verdict cache ([`VerdictCache`]) remembers verified tokens per call for the
//! freshness window: repeats for the same call skip the signature, the same token for
//! another call is a replay; its [`ReplayLedger`] shares that across processes.
//!
//! Shared across processes and machines (feature `redis`): [`redis::RedisState`] gives the
//! verdict cache a shared [`ReplayLedger`] and the acquirer a shared fetch (each `x5u`
//! fetched once for all nodes; every node still validates what it loads).

mod acquire;
mod negative;
#[cfg(feature = "redis")]
pub mod redis;
pub mod verdicts;

pub use crate::cert::CertStore;
pub use crate::cert::store::{DEFAULT_STALE_GRACE, Lookup};
pub use acquire::{AcquirePolicy, AcquireStats, Acquired, Acquirer, Clock, DEFAULT_MIN_TTL};
pub use negative::{Backoff, NegativeCache, host_of};
pub use verdicts::{
    DEFAULT_VERDICT_CAPACITY, Digest, LedgerError, MemoryLedger, OnReplay, ReplayLedger, Sighting,
    VerdictCache, VerdictStats,
};

/// The instant `d` from now, saturating: a duration too long for the clock (a budget or
/// timeout of `Duration::MAX`) means "about a century", never an overflow panic.
pub fn deadline_in(d: std::time::Duration) -> std::time::Instant {
    let now = std::time::Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(std::time::Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    #[test]
    fn a_deadline_too_far_for_the_clock_saturates() {
        let now = Instant::now();
        assert!(super::deadline_in(Duration::MAX) > now + Duration::from_secs(86_400));
        let soon = super::deadline_in(Duration::from_millis(5));
        assert!(soon >= now + Duration::from_millis(5));
    }
}
