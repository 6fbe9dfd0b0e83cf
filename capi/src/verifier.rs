//! Verification (the verification service): `cliauth_verifier`.
//!
//! A verifier gets its keys from one of three places: a public key or certificate in hand
//! (`cliauth_verifier_new_pubkey`, no chain checked), one chain validated beforehand
//! (`cliauth_verifier_new_chain`), or a certificate store keyed by `x5u`
//! (`cliauth_verifier_new_store`), where a miss is `CLIAUTH_CERTIFICATE_NEEDED` — or, with a
//! fetch callback set, a call to the callback, an insert into the store and one retry.
//!
//! The fetch callback is an implementation of the core's `Fetch` trait (`CallbackFetch`).
//! With a fetch budget set (`cliauth_verifier_set_fetch_budget`) it is driven by the core
//! acquisition policy (`cliauth_core::state::Acquirer`: single-flight per URL, negative
//! cache with back-off, lifetime floor, stale-while-revalidate) on the acquirer's worker
//! threads, and a call waits at most the budget (`CLIAUTH_CERTIFICATE_PENDING` after
//! that). Without a budget the callback keeps its original contract: called on the
//! verifying thread, then one retry.
//!
//! Thread safety: `cliauth_verifier_verify` may be called on one verifier from any number
//! of threads at once. The configuration functions (`cliauth_verifier_set_…`) must not run
//! concurrently with any other use of the same verifier: configure first, then share.

use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use cliauth_core::cert::{CertStore, Credential};
use cliauth_core::error::LimitKind;
use cliauth_core::fetch::{Fetch, FetchError, FetchErrorKind, Fetched};
use cliauth_core::limits::MAX_CHAIN_BYTES;
use cliauth_core::state::redis::{RedisOptions, RedisState};
use cliauth_core::state::{AcquirePolicy, Acquirer, OnReplay, VerdictCache};
use cliauth_core::verify::{BudgetOutcome, Verdict};
use cliauth_core::{Call, Claims, Error, Ppt, Verifier, VerifierConfig, VerifyingKey};

use crate::enums::cliauth_ppt;
use crate::ffi::{
    borrow, borrow_mut, bytes_arg, clear_handle, free_handle, guard, new_handle, opt_str_arg,
    str_arg,
};
use crate::result::{
    CLIAUTH_INVALID_PARAMETER, CLIAUTH_NULL_PARAMETER, CLIAUTH_OK, cliauth_result, from_error,
};
use crate::trust::{cliauth_store, cliauth_trust};
use crate::verdict::cliauth_verdict;

/// A fetch callback: called on a certificate store miss to get the certificate chain
/// published at `url`.
///
/// The callback writes the body (a PEM bundle or DER, end-entity first) into `buf`, which
/// has room for `buf_len` bytes (the library's maximum chain size, 64 KiB), stores its
/// length in `*out_len` and returns 0. Any other return value means the fetch failed. The
/// library validates what it gets and inserts it into the store with the default lifetime.
///
/// `userdata` is the pointer given to `cliauth_verifier_set_fetch_callback`. The callback
/// must not unwind (C++ exceptions, `longjmp`) through the library, and must not free or
/// configure the verifier. Once `cliauth_verifier_free` (or a later
/// `cliauth_verifier_set_fetch_callback`) has returned, the callback is never called again
/// with this `userdata`: those functions wait for calls in progress to return.
///
/// Two modes:
///
/// - **Without a fetch budget** (the default, as in earlier versions): the callback runs on
///   the thread that called `cliauth_verifier_verify`, possibly on several threads at
///   once if the verifier is shared, and possibly more than once for the same URL. A
///   failed fetch leaves the verdict `CLIAUTH_CERTIFICATE_NEEDED`; a `*out_len` larger
///   than `buf_len` gives `CLIAUTH_LIMIT`; otherwise the chain is inserted and the token
///   verified once more.
/// - **With a fetch budget** (`cliauth_verifier_set_fetch_budget`): the callback runs on
///   one of the library's worker threads (named `cliauth-fetch-N`, started at the first
///   fetch), never on the verifying thread, and at most once at a time per URL: concurrent
///   misses for one URL wait for one call. A failed fetch (or a chain that does not
///   validate) is remembered and the URL backed off (calls in the back-off window get
///   `CLIAUTH_BAD_INFO` at once, without a callback); a chain past its lifetime keeps
///   serving while one refresh runs. The callback should still bound its own time (a
///   few seconds): the caller stops waiting at the budget, but a callback that never
///   returns holds a worker. `userdata` must be safe to use from those threads.
pub type cliauth_fetch_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        url: *const c_char,
        buf: *mut u8,
        buf_len: usize,
        out_len: *mut usize,
    ) -> c_int,
>;

/// Where the verifier's keys come from, kept to rebuild it when the settings change.
enum Source {
    Key(VerifyingKey),
    Pinned(Credential),
    Store(Arc<CertStore>),
}

impl Source {
    fn verifier(&self, config: &VerifierConfig) -> Verifier {
        let v = match self {
            Source::Key(k) => Verifier::with_key(k.clone()),
            Source::Pinned(c) => Verifier::with_credential(c.clone()),
            Source::Store(s) => Verifier::with_store(Arc::clone(s)),
        };
        v.with_config(config.clone())
    }
}

/// What a call to the fetch callback gave.
enum Got {
    Body(Vec<u8>),
    /// The callback returned non-zero.
    Failed,
    /// The callback reported more than the buffer holds.
    TooLarge,
    /// The URL has a NUL byte, or the callback was removed: not called.
    NotCalled,
}

/// The fetch callback as a core [`Fetch`] implementation.
struct CallbackFetch {
    callback: unsafe extern "C" fn(*mut c_void, *const c_char, *mut u8, usize, *mut usize) -> c_int,
    userdata: *mut c_void,
    /// Read-locked for each call of the callback; [`close`](Self::close) write-locks it
    /// (waiting for calls in progress) and clears it: no call after that.
    open: RwLock<bool>,
}

// SAFETY: the callback and its userdata may be used from any thread: the caller of
// `cliauth_verifier_set_fetch_callback` guarantees it for the verifying threads (without
// a budget) and, as documented on `cliauth_fetch_callback`, for the library's worker
// threads (with a budget). The struct itself holds no other unsynchronised state.
unsafe impl Send for CallbackFetch {}
// SAFETY: as above; `open` is a lock.
unsafe impl Sync for CallbackFetch {}

impl std::fmt::Debug for CallbackFetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackFetch")
            .field(
                "open",
                &*self.open.read().unwrap_or_else(PoisonError::into_inner),
            )
            .finish_non_exhaustive()
    }
}

impl CallbackFetch {
    /// Calls the callback for `url`, unless it was closed.
    fn get(&self, url: &str) -> Got {
        let Ok(url) = CString::new(url) else {
            return Got::NotCalled;
        };
        let open = self.open.read().unwrap_or_else(PoisonError::into_inner);
        if !*open {
            return Got::NotCalled;
        }
        let mut buf = vec![0u8; MAX_CHAIN_BYTES];
        let mut len = 0usize;
        // SAFETY: `callback` and `userdata` were registered together by the caller of
        // `cliauth_verifier_set_fetch_callback`, who guarantees the callback may be called
        // with its userdata (from this thread: see `cliauth_fetch_callback`) until `close`
        // — which cannot run while `open` is read-locked here. `url` is a NUL-terminated
        // string, `buf` holds `buf.len()` writable bytes and `len` is a writable size_t,
        // all alive for the call.
        let rc = unsafe {
            (self.callback)(
                self.userdata,
                url.as_ptr(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            )
        };
        drop(open);
        if rc != 0 {
            return Got::Failed;
        }
        if len > buf.len() {
            return Got::TooLarge;
        }
        buf.truncate(len);
        Got::Body(buf)
    }

    /// Never calls the callback again; waits for the calls in progress to return.
    fn close(&self) {
        *self.open.write().unwrap_or_else(PoisonError::into_inner) = false;
    }
}

impl Fetch for CallbackFetch {
    /// The callback cannot be interrupted: `timeout` is not enforced here (the caller
    /// waits at most its budget all the same).
    fn fetch(&self, url: &str, _timeout: Duration) -> Result<Fetched, FetchError> {
        match self.get(url) {
            Got::Body(body) => Ok(Fetched {
                body,
                cache_control: None,
            }),
            Got::Failed => Err(FetchError::new(
                FetchErrorKind::Response,
                format!("fetch {url}: the fetch callback reported failure"),
            )),
            Got::TooLarge => Err(FetchError::new(
                FetchErrorKind::Response,
                format!(
                    "fetch {url}: the fetch callback's chain exceeds the limit of \
                     {MAX_CHAIN_BYTES} bytes"
                ),
            )),
            Got::NotCalled => Err(FetchError::new(
                FetchErrorKind::Refused,
                format!("fetch {url:?}: no fetch callback (removed, or a NUL in the URL)"),
            )),
        }
    }
}

/// Verifies PASSporTs in Identity headers.
///
/// Thread-safe for verification: share one verifier between threads. Configure it
/// (`cliauth_verifier_set_…`) before sharing.
pub struct cliauth_verifier {
    source: Source,
    config: VerifierConfig,
    inner: Verifier,
    fetch: Option<Arc<CallbackFetch>>,
    /// A fetch budget was set: misses go to `acquirer` (made when a callback is set).
    budget: bool,
    /// The acquisition policy around `fetch`, kept across reconfigurations.
    acquirer: Option<Acquirer>,
    /// The verdict cache (`cliauth_verifier_set_verdict_cache`).
    verdicts: Option<Arc<VerdictCache>>,
    /// The shared state (`cliauth_verifier_set_shared_state`).
    shared: Option<Arc<RedisState>>,
}

impl cliauth_verifier {
    fn new(source: Source) -> cliauth_verifier {
        let config = VerifierConfig::default();
        cliauth_verifier {
            inner: source.verifier(&config),
            source,
            config,
            fetch: None,
            budget: false,
            acquirer: None,
            verdicts: None,
            shared: None,
        }
    }

    fn reconfigure(&mut self, change: impl FnOnce(&mut VerifierConfig)) {
        change(&mut self.config);
        self.rebuild();
    }

    /// Makes `inner` from the settings: with the acquirer when a budget and a callback
    /// are set.
    fn rebuild(&mut self) {
        let mut inner = self.source.verifier(&self.config);
        if let (true, Some(fetch), Source::Store(store)) = (self.budget, &self.fetch, &self.source)
        {
            let shared = &self.shared;
            let acquirer = self.acquirer.get_or_insert_with(|| {
                let mut fetch: Arc<dyn Fetch> = Arc::clone(fetch) as Arc<dyn Fetch>;
                if let Some(redis) = shared {
                    fetch = redis.shared_fetch(fetch);
                }
                Acquirer::new(fetch, Arc::clone(store), AcquirePolicy::default())
            });
            inner = inner.with_acquirer(acquirer.clone());
        }
        inner.set_verdict_cache(self.verdicts.clone());
        self.inner = inner;
    }

    /// Replaces the fetch callback: the old one is closed (no call after this returns).
    fn set_fetch(&mut self, fetch: Option<CallbackFetch>) {
        if let Some(old) = self.fetch.take() {
            old.close();
        }
        self.acquirer = None;
        self.fetch = fetch.map(Arc::new);
        self.rebuild();
    }

    /// Verifies, fetching and retrying once on a store miss when a callback is set.
    fn verify(&self, identity: &str, call: &Call<'_>, now: i64) -> Result<Verdict, Error> {
        self.with_fetch(now, || self.inner.verify_identity(identity, call, now))
    }

    /// Runs `verify`; without a budget, on a store miss with a fetch callback set, calls
    /// it on this thread, inserts and runs `verify` once more. (With a budget the miss
    /// went to the acquirer inside `verify`.)
    fn with_fetch(
        &self,
        now: i64,
        verify: impl Fn() -> Result<Verdict, Error>,
    ) -> Result<Verdict, Error> {
        let first = verify();
        let (Err(Error::CertificateNeeded { url }), Some(fetch), Source::Store(store), false) =
            (&first, &self.fetch, &self.source, self.budget)
        else {
            return first;
        };
        let chain = match fetch.get(url) {
            Got::Body(chain) => chain,
            Got::TooLarge => {
                return Err(Error::Limit {
                    what: LimitKind::Chain,
                    limit: MAX_CHAIN_BYTES,
                });
            }
            Got::Failed | Got::NotCalled => return first,
        };
        store.insert(url, &chain, now, None)?;
        verify()
    }
}

impl Drop for cliauth_verifier {
    fn drop(&mut self) {
        // Background fetches may still hold the callback: stop them calling it, and wait
        // for a call in progress, before the caller frees its userdata.
        if let Some(f) = &self.fetch {
            f.close();
        }
    }
}

/// Creates a verifier that checks every token against one key, whatever its `x5u` says:
/// `pem`/`len` is a `PUBLIC KEY` (SubjectPublicKeyInfo) or a `CERTIFICATE` (its key is
/// used, the certificate is not validated), PEM or DER. On success `*verifier_out` is a
/// new verifier to release with `cliauth_verifier_free`; on failure it is set to NULL.
/// Errors: `CLIAUTH_KEY`, `CLIAUTH_LIMIT`.
///
/// # Safety
///
/// `pem` must point to `len` readable bytes; `verifier_out` must be valid for writing a
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_new_pubkey(
    pem: *const u8,
    len: usize,
    verifier_out: *mut *mut cliauth_verifier,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(verifier_out) };
        // SAFETY: as above.
        let pem = unsafe { bytes_arg(pem, len)? };
        if verifier_out.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        let key = VerifyingKey::from_pem_or_der(pem).map_err(|e| from_error(&e))?;
        let verifier = cliauth_verifier::new(Source::Key(key));
        // SAFETY: `verifier_out` is valid for writes (caller's guarantee).
        unsafe { new_handle(verifier_out, verifier) }
    })
}

/// Creates a verifier that looks up each token's `x5u` in `store` (shared, not copied:
/// chains inserted later, by any thread, are seen; the verifier keeps the store alive).
/// On success `*verifier_out` is a new verifier; on failure it is set to NULL.
///
/// # Safety
///
/// `store` must be a live store; `verifier_out` must be valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_new_store(
    store: *const cliauth_store,
    verifier_out: *mut *mut cliauth_verifier,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(verifier_out) };
        // SAFETY: as above.
        let store = unsafe { borrow(store)? };
        if verifier_out.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        let verifier = cliauth_verifier::new(Source::Store(Arc::clone(&store.inner)));
        // SAFETY: `verifier_out` is valid for writes (caller's guarantee).
        unsafe { new_handle(verifier_out, verifier) }
    })
}

/// Creates a verifier that checks every token against one certificate chain, whatever its
/// `x5u` says: `chain`/`len` (a PEM bundle or DER, end-entity first, as an `x5u` URL
/// serves it) is validated now against `trust` at time `now`. The certificate's
/// TNAuthList and claim constraints are still checked for every token. On success
/// `*verifier_out` is a new verifier; on failure it is set to NULL. Errors: the
/// `CLIAUTH_CERT_…` codes, `CLIAUTH_KEY`, `CLIAUTH_LIMIT`.
///
/// # Safety
///
/// `trust` must be a live trust; `chain` must point to `len` readable bytes;
/// `verifier_out` must be valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_new_chain(
    trust: *const cliauth_trust,
    chain: *const u8,
    len: usize,
    now: i64,
    verifier_out: *mut *mut cliauth_verifier,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(verifier_out) };
        // SAFETY: as above.
        let (trust, chain) = unsafe { (borrow(trust)?, bytes_arg(chain, len)?) };
        if verifier_out.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        let trust = trust.build().map_err(|e| from_error(&e))?;
        let cred = Credential::validate(&trust, chain, now).map_err(|e| from_error(&e))?;
        let verifier = cliauth_verifier::new(Source::Pinned(cred));
        // SAFETY: `verifier_out` is valid for writes (caller's guarantee).
        unsafe { new_handle(verifier_out, verifier) }
    })
}

/// Sets the oldest `iat` accepted, in seconds before `now` (default 60, as ATIS-1000074
/// recommends). Negative values give `CLIAUTH_INVALID_PARAMETER`.
///
/// # Safety
///
/// `verifier` must be a live verifier that no other thread is using during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_max_age(
    verifier: *mut cliauth_verifier,
    seconds: i64,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        if seconds < 0 {
            return Err(CLIAUTH_INVALID_PARAMETER);
        }
        v.reconfigure(|c| c.max_age = seconds);
        Ok(())
    })
}

/// Sets how far `iat` may lie in the future, in seconds, for clocks running ahead
/// (default 10). Negative values give `CLIAUTH_INVALID_PARAMETER`.
///
/// # Safety
///
/// As for `cliauth_verifier_set_max_age`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_max_future(
    verifier: *mut cliauth_verifier,
    seconds: i64,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        if seconds < 0 {
            return Err(CLIAUTH_INVALID_PARAMETER);
        }
        v.reconfigure(|c| c.max_future = seconds);
        Ok(())
    })
}

/// Accepts `x5u` URLs with the `http` scheme when `allow` is true (default false:
/// ATIS-1000074 requires `https`).
///
/// # Safety
///
/// As for `cliauth_verifier_set_max_age`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_allow_http_x5u(
    verifier: *mut cliauth_verifier,
    allow: bool,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        v.reconfigure(|c| c.allow_http_x5u = allow);
        Ok(())
    })
}

/// Rejects certificates with ATIS-1000080 profile faults (`CLIAUTH_CERT_PROFILE`, 437)
/// when `strict` is true (default false: many real certificates carry faults).
///
/// # Safety
///
/// As for `cliauth_verifier_set_max_age`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_strict_profile(
    verifier: *mut cliauth_verifier,
    strict: bool,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        v.reconfigure(|c| c.strict_profile = strict);
        Ok(())
    })
}

/// Sets (or, with a NULL `callback`, removes) the fetch callback of a store verifier; see
/// `cliauth_fetch_callback`. `userdata` is passed to every call as is; it must stay valid
/// while the callback is set, and be safe to use from every thread that verifies — and,
/// with a fetch budget set, from the library's fetch worker threads. Replacing the
/// callback waits for calls of the previous one in progress; the previous one is never
/// called again (its userdata may be freed once this returns); with a budget, the
/// remembered fetch failures are forgotten.
/// A verifier without a store gives `CLIAUTH_INVALID_PARAMETER`.
///
/// # Safety
///
/// `verifier` must be a live verifier that no other thread is using during the call;
/// `callback`, if not NULL, must be a function of the documented type.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_fetch_callback(
    verifier: *mut cliauth_verifier,
    callback: cliauth_fetch_callback,
    userdata: *mut c_void,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        if !matches!(v.source, Source::Store(_)) {
            return Err(CLIAUTH_INVALID_PARAMETER);
        }
        v.set_fetch(callback.map(|callback| CallbackFetch {
            callback,
            userdata,
            open: RwLock::new(true),
        }));
        Ok(())
    })
}

/// What a call gets when its certificate chain was not fetched within the fetch budget:
/// always `CLIAUTH_CERTIFICATE_PENDING` (SIP 436); the outcome sets the verdict's verstat.
pub type cliauth_budget_outcome = u32;
/// Reject the call: verstat `TN-Validation-Failed` (answer 436 Bad Identity Info).
pub const CLIAUTH_BUDGET_REJECT: cliauth_budget_outcome = 0;
/// Let the call through unverified: verstat `No-TN-Validation`.
pub const CLIAUTH_BUDGET_NO_TN_VALIDATION: cliauth_budget_outcome = 1;

/// Sets the fetch budget of a store verifier: on a store miss, the call waits at most
/// `budget_ms` milliseconds (0: not at all) for the chain; when it is not there in time the
/// verdict is `CLIAUTH_CERTIFICATE_PENDING` (`certificate_pending`, SIP 436, verstat as
/// `outcome` says: `CLIAUTH_BUDGET_REJECT` or `CLIAUTH_BUDGET_NO_TN_VALIDATION`) while the
/// fetch completes in the background and serves the next call.
///
/// Setting a budget switches the fetch callback to the background mode described at
/// `cliauth_fetch_callback`: worker threads, one fetch per URL at a time, failures
/// remembered with back-off (a failed fetch or an invalid chain is then
/// `CLIAUTH_BAD_INFO`), a lifetime floor and stale-while-revalidate. It may be called
/// before or after `cliauth_verifier_set_fetch_callback`, and again to change the budget
/// (the fetch state is kept). Worker threads start at the first fetch: in a program that
/// forks (e.g. Kamailio), create the verifier in the child, or fork before the first
/// verification.
///
/// Errors: `CLIAUTH_INVALID_PARAMETER` for a verifier without a store or an unknown
/// `outcome`.
///
/// # Safety
///
/// As for `cliauth_verifier_set_max_age`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_fetch_budget(
    verifier: *mut cliauth_verifier,
    budget_ms: u32,
    outcome: cliauth_budget_outcome,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        if !matches!(v.source, Source::Store(_)) {
            return Err(CLIAUTH_INVALID_PARAMETER);
        }
        let outcome = match outcome {
            CLIAUTH_BUDGET_REJECT => BudgetOutcome::Reject,
            CLIAUTH_BUDGET_NO_TN_VALIDATION => BudgetOutcome::NoTnValidation,
            _ => return Err(CLIAUTH_INVALID_PARAMETER),
        };
        v.budget = true;
        v.reconfigure(|c| {
            c.fetch_budget = Duration::from_millis(u64::from(budget_ms));
            c.on_budget = outcome;
        });
        Ok(())
    })
}

/// Gives the verifier a verdict cache of `capacity` tokens (0 removes it): verifications
/// with a Call-ID (`cliauth_verifier_verify_call`) remember each token that verified, with
/// its Call-ID, for its freshness window. The same token again with the same Call-ID (a
/// retransmission, a forked INVITE) is answered from the cache without verifying the
/// signature again (`cliauth_verdict_replay` gives `"repeat"`); with another Call-ID it is
/// a replay: `CLIAUTH_REPLAY` (SIP 438), or, with `report_replays` non-zero, a valid
/// verdict marked `"replayed"`. At capacity new tokens are verified but not recorded
/// (`"unrecorded"`): live entries are never evicted, so a flood cannot make a replay pass.
/// With shared state set (`cliauth_verifier_set_shared_state`) replays are also caught
/// across processes and machines.
///
/// # Safety
///
/// As for `cliauth_verifier_set_max_age`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_verdict_cache(
    verifier: *mut cliauth_verifier,
    capacity: usize,
    report_replays: c_int,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        v.verdicts = (capacity > 0).then(|| {
            let on_replay = if report_replays != 0 {
                OnReplay::Report
            } else {
                OnReplay::Reject
            };
            verdict_cache(capacity, on_replay, v.shared.as_ref())
        });
        v.rebuild();
        Ok(())
    })
}

fn verdict_cache(
    capacity: usize,
    on_replay: OnReplay,
    shared: Option<&Arc<RedisState>>,
) -> Arc<VerdictCache> {
    let cache = VerdictCache::new(capacity).with_on_replay(on_replay);
    Arc::new(match shared {
        Some(r) => cache.with_ledger(r.ledger()),
        None => cache,
    })
}

/// Shares the verifier's state through the Redis server at `url` (`redis://HOST:PORT`,
/// `redis://:PASSWORD@HOST:PORT/DB`), or stops sharing it (`url` NULL or empty): the
/// verdict cache's replay records (a token replayed to another process or machine is
/// caught) and, for a store verifier with a fetch budget, the fetched chains (each `x5u`
/// fetched once for all processes; every process still validates what it reads). No
/// connection is made here; when Redis is unreachable verification goes on with this
/// process's state (`cliauth_verdict_replay` says `"local_only"`), and no call fails
/// because of it. Call it before `cliauth_verifier_set_verdict_cache` or again after it;
/// a verdict cache set before is replaced (empty).
///
/// Errors: `CLIAUTH_INVALID_PARAMETER` for a URL that is not a Redis URL.
///
/// # Safety
///
/// As for `cliauth_verifier_set_max_age`; `url` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_set_shared_state(
    verifier: *mut cliauth_verifier,
    url: *const c_char,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees exclusive access to a live verifier.
        let v = unsafe { borrow_mut(verifier)? };
        // SAFETY: `url` is NULL or NUL-terminated (caller's guarantee).
        let url = unsafe { opt_str_arg(url) }.map_err(|_| crate::result::CLIAUTH_INVALID_UTF8)?;
        v.shared = match url {
            None | Some("") => None,
            Some(u) => Some(
                RedisState::open(u, RedisOptions::default())
                    .map_err(|_| CLIAUTH_INVALID_PARAMETER)?,
            ),
        };
        if let Some(old) = &v.verdicts {
            v.verdicts = Some(verdict_cache(
                old.capacity(),
                old.on_replay(),
                v.shared.as_ref(),
            ));
        }
        // The acquirer is made again around the (un)shared fetch.
        v.acquirer = None;
        v.rebuild();
        Ok(())
    })
}

/// Verifies one Identity header value as `cliauth_verifier_verify` does, for the call
/// whose SIP Call-ID is `call_id` (NULL: none, the verdict cache is not used); see
/// `cliauth_verifier_set_verdict_cache`.
///
/// # Safety
///
/// As for `cliauth_verifier_verify`; `call_id` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_verify_call(
    verifier: *const cliauth_verifier,
    identity: *const c_char,
    orig: *const c_char,
    dest: *const c_char,
    call_id: *const c_char,
    now: i64,
    verdict_out: *mut *mut cliauth_verdict,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(verdict_out) };
        // SAFETY: as above.
        let verifier = unsafe { borrow(verifier)? };
        if verdict_out.is_null() || identity.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        // SAFETY: the strings are NULL (checked, or meaning "absent") or NUL-terminated.
        let args = unsafe {
            (
                str_arg(identity),
                opt_str_arg(orig),
                opt_str_arg(dest),
                opt_str_arg(call_id),
            )
        };
        let verdict = match args {
            (Ok(identity), Ok(orig), Ok(dest), Ok(call_id)) => {
                let call = Call {
                    orig,
                    dest,
                    call_id,
                };
                cliauth_verdict::new(verifier.verify(identity, &call, now))
            }
            _ => cliauth_verdict::invalid_utf8(),
        };
        // SAFETY: `verdict_out` is valid for writes (caller's guarantee).
        unsafe { hand_out(verdict_out, verdict) }
    })
}

/// Verifies one Identity header value (`token;info=<…>;alg=ES256;ppt=shaken`, optionally
/// with the `Identity:` header name, or a bare token) for a call from `orig` to `dest` at
/// time `now` (seconds since the Unix epoch).
///
/// `orig`: the calling number (From / P-Asserted-Identity user part) or NULL not to check
/// it; `dest`: the called number (Request-URI / To user part) or NULL not to check it.
///
/// Returns the verdict's result, and stores in `*verdict_out` a new verdict — for success
/// and failure alike — with the SIP code, reason and verstat to act on, and on success the
/// token's claims; release it with `cliauth_verdict_free`. Only when the result is
/// `CLIAUTH_NULL_PARAMETER` or `CLIAUTH_PANIC` is `*verdict_out` NULL (if `verdict_out`
/// itself is not NULL).
///
/// Thread-safe: any number of threads may verify with one verifier at once. Each verdict
/// belongs to the thread that got it (do not share verdicts without your own locking).
///
/// # Safety
///
/// `verifier` must be a live verifier; `identity` a NUL-terminated string; `orig` and
/// `dest` NULL or NUL-terminated strings; `verdict_out` valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_verify(
    verifier: *const cliauth_verifier,
    identity: *const c_char,
    orig: *const c_char,
    dest: *const c_char,
    now: i64,
    verdict_out: *mut *mut cliauth_verdict,
) -> cliauth_result {
    // SAFETY: forwarded from the caller (no Call-ID: NULL).
    unsafe {
        cliauth_verifier_verify_call(
            verifier,
            identity,
            orig,
            dest,
            std::ptr::null(),
            now,
            verdict_out,
        )
    }
}

/// Verifies a compact-form Identity header value (`..signature;info=<…>;alg=ES256;ppt=…`,
/// RFC 8224 §7), whose header and claims the caller rebuilt from the signalling: `ppt` is
/// the extension (`CLIAUTH_PPT_BASE`, `_SHAKEN`, `_DIV`, `_DIV_O` or `_RCD`), the header's
/// `x5u` is the value's `info` parameter, and `claims_json` is the claims object (e.g.
/// `{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"12155551212"},"origid":"…"}`),
/// read with the same strict JSON rules and limits as a received token. The PASSporT is
/// rebuilt as deterministic JSON and its signature checked. A full-form value is verified
/// as by `cliauth_verifier_verify` (the claims are then ignored). `orig`, `dest`, `now`,
/// the verdict and the result are as for `cliauth_verifier_verify`; bad `claims_json` gives
/// a verdict with its error (e.g. `CLIAUTH_JSON`, `CLIAUTH_CLAIMS`, `CLIAUTH_LIMIT`). An
/// unknown `ppt` is `CLIAUTH_INVALID_PARAMETER`, like a NULL argument a programming error:
/// then no verdict is made and `*verdict_out` is NULL.
///
/// # Safety
///
/// As for `cliauth_verifier_verify`; `claims_json` must be a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_verify_compact(
    verifier: *const cliauth_verifier,
    identity: *const c_char,
    ppt: cliauth_ppt,
    claims_json: *const c_char,
    orig: *const c_char,
    dest: *const c_char,
    now: i64,
    verdict_out: *mut *mut cliauth_verdict,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(verdict_out) };
        // SAFETY: as above.
        let verifier = unsafe { borrow(verifier)? };
        if verdict_out.is_null() || identity.is_null() || claims_json.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        let ppt = crate::enums::ppt_from_c(ppt).ok_or(CLIAUTH_INVALID_PARAMETER)?;
        // SAFETY: the strings are NULL (checked, or meaning "absent") or NUL-terminated.
        let args = unsafe {
            (
                str_arg(identity),
                str_arg(claims_json),
                opt_str_arg(orig),
                opt_str_arg(dest),
            )
        };
        let verdict = match args {
            (Ok(identity), Ok(claims), Ok(orig), Ok(dest)) => {
                let call = Call {
                    orig,
                    dest,
                    call_id: None,
                };
                cliauth_verdict::new(verify_compact(verifier, identity, ppt, claims, &call, now))
            }
            _ => cliauth_verdict::invalid_utf8(),
        };
        // SAFETY: `verdict_out` is valid for writes (caller's guarantee).
        unsafe { hand_out(verdict_out, verdict) }
    })
}

/// Stores `verdict` in `*verdict_out` and returns its result as the call's.
///
/// # Safety
///
/// `verdict_out` must be valid for writing a pointer.
unsafe fn hand_out(
    verdict_out: *mut *mut cliauth_verdict,
    verdict: cliauth_verdict,
) -> Result<(), cliauth_result> {
    let result = verdict.result();
    // SAFETY: the caller's guarantee.
    unsafe { new_handle(verdict_out, verdict) }?;
    if result == CLIAUTH_OK {
        Ok(())
    } else {
        Err(result)
    }
}

fn verify_compact(
    verifier: &cliauth_verifier,
    identity: &str,
    ppt: Option<Ppt>,
    claims_json: &str,
    call: &Call<'_>,
    now: i64,
) -> Result<Verdict, Error> {
    use cliauth_core::error::Part;
    use cliauth_core::passport::{Header, Passport, json::parse_object};

    let h = cliauth_core::IdentityHeader::parse(identity)?;
    if !h.is_compact() {
        return verifier.verify(identity, call, now);
    }
    let x5u = h.info.as_deref().ok_or_else(|| {
        Error::BadInfo("a compact-form value needs its info parameter (the x5u)".into())
    })?;
    let claims = Claims::from_json(parse_object(claims_json.as_bytes(), Part::Claims)?)?;
    let passport = Passport::new(Header::new(ppt, x5u), claims)?;
    verifier.with_fetch(now, || {
        verifier
            .inner
            .verify_compact(identity, &passport, call, now)
    })
}

/// Releases a verifier. NULL is a no-op. Its store, if any, lives on while other
/// verifiers or the store handle still refer to it.
///
/// # Safety
///
/// `verifier` must be NULL or a verifier not yet freed, and no other thread may be using
/// it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verifier_free(verifier: *mut cliauth_verifier) {
    guard(|| {
        // SAFETY: the caller hands back a live handle exactly once.
        unsafe { free_handle(verifier) };
        Ok(())
    });
}
