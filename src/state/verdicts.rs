//! The verdict cache and replay detector ([`VerdictCache`]): one structure, keyed by the
//! SHA-256 digest of a received token, that remembers which call each verified token
//! arrived with until the token's freshness window closes.
//!
//! * The same token again for the **same** call (a retransmission, a forked INVITE, a
//!   second hop inside one network) gets the cached verdict back after the cheap checks
//!   (the `iat` window against the new `now`, `orig`/`dest` against the call, the Identity
//!   parameters): no parse, no store lookup, no ECDSA verification.
//! * The same token for a **different** call inside its freshness window is a replay
//!   (RFC 8224 §12.1, the cut-and-paste attack): [`Error::Replay`] under
//!   [`OnReplay::Reject`] (the default), or the verdict with
//!   [`ReplayStatus::Replayed`] under [`OnReplay::Report`].
//!
//! Calls are told apart by their SIP Call-ID ([`Call::call_id`](crate::Call::call_id));
//! a verification without one neither reads nor writes the cache
//! ([`ReplayStatus::Unchecked`]). Only tokens that verified are recorded, so an attacker
//! cannot fill the cache with forgeries.
//!
//! **Bounded, and no eviction of live entries.** An entry lives until `iat + max_age`
//! (after that the freshness check rejects the token anyway) and is then pruned. At
//! capacity, expired entries are pruned first; if the cache is still full the new token
//! is verified in full as usual but **not recorded**, and its verdict says
//! [`ReplayStatus::Unrecorded`]. Evicting a live entry instead would let a flood of
//! genuine-but-unrelated tokens push out the entry that would catch a replay; refusing
//! the call would turn the flood into a denial of service. The host decides what an
//! unrecorded verdict means for its call; [`VerdictCache::stats`] counts them. Size the
//! cache for the peak call rate times the freshness window (1,000 calls/s × 70 s =
//! 70,000 entries; the default capacity is 1,000,000, about 300 MB at worst).
//!
//! **Shared across processes and machines.** A [`ReplayLedger`] (e.g. the Redis one,
//! feature `redis`) records each verified token's digest and call digest where every node
//! sees it, so a token replayed to another node is caught. The verdicts themselves stay
//! in each process (a node never trusts another node's verdict). When the ledger is
//! unreachable the cache goes on alone and says so: [`ReplayStatus::LocalOnly`] and
//! [`VerdictStats::ledger_errors`].

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Error;
use crate::verify::{ReplayStatus, Verdict};

/// A SHA-256 digest: of a token as received, or of a Call-ID.
pub type Digest = [u8; 32];

/// The SHA-256 digest of `data`.
pub fn digest(data: &[u8]) -> Digest {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// What a verification gets when its token was already verified for another call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnReplay {
    /// [`Error::Replay`] (kind `replay`, SIP 438, `verstat` `TN-Validation-Failed`).
    #[default]
    Reject,
    /// The verdict, with [`ReplayStatus::Replayed`]: the host decides.
    Report,
}

/// The default [`VerdictCache`] capacity, in entries.
pub const DEFAULT_VERDICT_CAPACITY: usize = 1_000_000;

/// What a ledger knew of a token before this sighting was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// Not seen before (now recorded).
    First,
    /// Seen before with the same call.
    SameCall,
    /// Seen before with another call: a replay.
    OtherCall,
    /// Not seen before, and not recorded: the ledger is full.
    Full,
}

/// Why a ledger could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("replay ledger unavailable: {0}")]
pub struct LedgerError(pub String);

/// Where verified tokens are recorded so that every node sees them: the shared half of
/// replay detection. Implementations must be atomic per token (two nodes recording the
/// same token for two calls at the same time: one gets [`Sighting::First`], the other
/// [`Sighting::OtherCall`]). Unwind-safe, so that a verifier holding one stays so.
pub trait ReplayLedger: Send + Sync + UnwindSafe + RefUnwindSafe + fmt::Debug {
    /// Records that the token with digest `token` verified for the call with digest `call`,
    /// to be remembered until `expires` (seconds since the Unix epoch; `now` is the
    /// verification time), and says what was known before.
    fn record(
        &self,
        token: &Digest,
        call: &Digest,
        expires: i64,
        now: i64,
    ) -> Result<Sighting, LedgerError>;
}

/// Counters of a [`VerdictCache`], for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerdictStats {
    /// Verdicts served from the cache (same token, same call).
    pub hits: u64,
    /// Tokens recorded after a full verification.
    pub recorded: u64,
    /// Replays detected (locally or through the ledger).
    pub replays: u64,
    /// Verified tokens not recorded because the cache (or the ledger) was full.
    pub unrecorded: u64,
    /// Ledger calls that failed (the cache went on alone).
    pub ledger_errors: u64,
    /// Entries held now.
    pub entries: usize,
}

struct Entry {
    call: Digest,
    expires: i64,
    verdict: Arc<Verdict>,
}

#[derive(Default)]
struct Shard {
    map: HashMap<Digest, Entry>,
    /// (expiry, token digest): pruning in expiry order, O(log n) each.
    by_expiry: BTreeSet<(i64, Digest)>,
}

impl Shard {
    fn prune(&mut self, now: i64, max: usize) {
        for _ in 0..max {
            let Some(&(expires, key)) = self.by_expiry.first() else {
                return;
            };
            if expires >= now {
                return;
            }
            self.by_expiry.pop_first();
            self.map.remove(&key);
        }
    }
}

const SHARDS: usize = 16;

/// A lookup's answer.
pub(crate) enum Found {
    /// Nothing live for this token.
    Nothing,
    /// The verdict cached for the same call.
    Same(Arc<Verdict>),
    /// The token verified before for another call.
    Other(Arc<Verdict>),
}

/// The verdict cache and replay detector; see the [module documentation](self). Share one
/// between the verifiers of a process (`Arc`); it is `Send + Sync`.
pub struct VerdictCache {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    on_replay: OnReplay,
    ledger: Option<Arc<dyn ReplayLedger>>,
    hits: AtomicU64,
    recorded: AtomicU64,
    replays: AtomicU64,
    unrecorded: AtomicU64,
    ledger_errors: AtomicU64,
}

impl fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerdictCache")
            .field("capacity", &self.capacity())
            .field("on_replay", &self.on_replay)
            .field("ledger", &self.ledger)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Default for VerdictCache {
    fn default() -> Self {
        VerdictCache::new(DEFAULT_VERDICT_CAPACITY)
    }
}

impl VerdictCache {
    /// An empty cache holding at most `capacity` tokens (at least 16), rejecting replays.
    pub fn new(capacity: usize) -> VerdictCache {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        VerdictCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard,
            on_replay: OnReplay::Reject,
            ledger: None,
            hits: AtomicU64::new(0),
            recorded: AtomicU64::new(0),
            replays: AtomicU64::new(0),
            unrecorded: AtomicU64::new(0),
            ledger_errors: AtomicU64::new(0),
        }
    }

    /// Sets what a replay gets.
    pub fn with_on_replay(mut self, on_replay: OnReplay) -> VerdictCache {
        self.on_replay = on_replay;
        self
    }

    /// Records verified tokens in `ledger` too, so that other processes and machines
    /// sharing it catch a token replayed to them.
    pub fn with_ledger(mut self, ledger: Arc<dyn ReplayLedger>) -> VerdictCache {
        self.ledger = Some(ledger);
        self
    }

    /// What a replay gets.
    pub fn on_replay(&self) -> OnReplay {
        self.on_replay
    }

    /// The most tokens held.
    pub fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }

    /// The counters.
    pub fn stats(&self) -> VerdictStats {
        VerdictStats {
            hits: self.hits.load(Ordering::Relaxed),
            recorded: self.recorded.load(Ordering::Relaxed),
            replays: self.replays.load(Ordering::Relaxed),
            unrecorded: self.unrecorded.load(Ordering::Relaxed),
            ledger_errors: self.ledger_errors.load(Ordering::Relaxed),
            entries: self.len(),
        }
    }

    /// The number of tokens held (expired ones included until they are pruned).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every verdict (for example after the trust anchors changed: a cached
    /// verdict was reached under the old trust). Replays of forgotten tokens are still
    /// caught by a shared ledger, not by this process.
    pub fn clear(&self) {
        for s in self.shards.iter() {
            let mut s = lock(s);
            s.map.clear();
            s.by_expiry.clear();
        }
    }

    /// Removes the entries whose freshness window closed before `now`.
    pub fn prune(&self, now: i64) {
        for s in self.shards.iter() {
            lock(s).prune(now, usize::MAX);
        }
    }

    fn shard(&self, token: &Digest) -> &Mutex<Shard> {
        &self.shards[usize::from(token[0]) % SHARDS]
    }

    /// What the cache holds for `token` at `now`, seen from the call `call`.
    pub(crate) fn find(&self, token: &Digest, call: &Digest, now: i64) -> Found {
        let shard = lock(self.shard(token));
        match shard.map.get(token) {
            Some(e) if e.expires >= now => {
                if e.call == *call {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    Found::Same(Arc::clone(&e.verdict))
                } else {
                    Found::Other(Arc::clone(&e.verdict))
                }
            }
            _ => Found::Nothing,
        }
    }

    /// What a replay of `verdict`'s token gets under this cache's policy.
    pub(crate) fn replay(&self, verdict: &Verdict, detected: &str) -> Result<ReplayStatus, Error> {
        self.replays.fetch_add(1, Ordering::Relaxed);
        match self.on_replay {
            OnReplay::Reject => Err(Error::Replay {
                iat: verdict.iat(),
                detected: detected.to_owned(),
            }),
            OnReplay::Report => Ok(ReplayStatus::Replayed),
        }
    }

    /// Records a token that just verified for `call`; says what the token's replay status
    /// is (or the replay error, from the ledger).
    pub(crate) fn record(
        &self,
        token: &Digest,
        call: &Digest,
        verdict: &Verdict,
        expires: i64,
        now: i64,
    ) -> Result<ReplayStatus, Error> {
        let mut status = ReplayStatus::First;
        if let Some(ledger) = &self.ledger {
            match ledger.record(token, call, expires, now) {
                Ok(Sighting::First) | Ok(Sighting::SameCall) => {}
                Ok(Sighting::OtherCall) => return self.replay(verdict, "shared ledger"),
                Ok(Sighting::Full) => status = ReplayStatus::Unrecorded,
                Err(_) => {
                    self.ledger_errors.fetch_add(1, Ordering::Relaxed);
                    status = ReplayStatus::LocalOnly;
                }
            }
        }
        let mut shard = lock(self.shard(token));
        // Amortised upkeep: every insert prunes a couple of expired entries.
        shard.prune(now, 2);
        if let Some(e) = shard.map.get(token)
            && e.expires >= now
        {
            // Another thread recorded the same token meanwhile.
            if e.call == *call {
                return Ok(status);
            }
            drop(shard);
            return self.replay(verdict, "this process");
        }
        if shard.map.len() >= self.per_shard {
            shard.prune(now, usize::MAX);
        }
        if shard.map.len() >= self.per_shard {
            self.unrecorded.fetch_add(1, Ordering::Relaxed);
            return Ok(ReplayStatus::Unrecorded);
        }
        if let Some(old) = shard.map.insert(
            *token,
            Entry {
                call: *call,
                expires,
                verdict: Arc::new(verdict.clone()),
            },
        ) {
            shard.by_expiry.remove(&(old.expires, *token));
        }
        shard.by_expiry.insert((expires, *token));
        self.recorded.fetch_add(1, Ordering::Relaxed);
        if status == ReplayStatus::Unrecorded {
            self.unrecorded.fetch_add(1, Ordering::Relaxed);
        }
        Ok(status)
    }
}

fn lock(m: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A [`ReplayLedger`] in this process's memory: what the Redis ledger does, for tests and
/// for several verifier caches in one process that must share replay detection.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    seen: Mutex<HashMap<Digest, (Digest, i64)>>,
    capacity: usize,
}

impl MemoryLedger {
    /// An empty ledger holding at most `capacity` tokens.
    pub fn new(capacity: usize) -> MemoryLedger {
        MemoryLedger {
            seen: Mutex::new(HashMap::new()),
            capacity,
        }
    }
}

impl ReplayLedger for MemoryLedger {
    fn record(
        &self,
        token: &Digest,
        call: &Digest,
        expires: i64,
        now: i64,
    ) -> Result<Sighting, LedgerError> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        match seen.get(token) {
            Some((c, e)) if *e >= now => {
                return Ok(if c == call {
                    Sighting::SameCall
                } else {
                    Sighting::OtherCall
                });
            }
            _ => {}
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, (_, e)| *e >= now);
            if seen.len() >= self.capacity {
                return Ok(Sighting::Full);
            }
        }
        seen.insert(*token, (*call, expires));
        Ok(Sighting::First)
    }
}
