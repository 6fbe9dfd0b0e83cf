//! Verification (the verification service): `cliauth_verifier`.
//!
//! A verifier gets its keys from one of three places: a public key or certificate in hand
//! (`cliauth_verifier_new_pubkey`, no chain checked), one chain validated beforehand
//! (`cliauth_verifier_new_chain`), or a certificate store keyed by `x5u`
//! (`cliauth_verifier_new_store`), where a miss is `CLIAUTH_CERTIFICATE_NEEDED` — or, with a
//! fetch callback set, a call to the callback, an insert into the store and one retry.
//!
//! Thread safety: `cliauth_verifier_verify` may be called on one verifier from any number
//! of threads at once. The configuration functions (`cliauth_verifier_set_…`) must not run
//! concurrently with any other use of the same verifier: configure first, then share.

use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::Arc;

use cliauth_core::cert::{CertStore, Credential};
use cliauth_core::error::LimitKind;
use cliauth_core::limits::MAX_CHAIN_BYTES;
use cliauth_core::verify::Verdict;
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

/// A fetch callback: called by `cliauth_verifier_verify` on a certificate store miss to
/// get the certificate chain published at `url`.
///
/// The callback writes the body (a PEM bundle or DER, end-entity first) into `buf`, which
/// has room for `buf_len` bytes (the library's maximum chain size, 64 KiB), stores its
/// length in `*out_len` and returns 0. Any other return value means the fetch failed: the
/// verdict stays `CLIAUTH_CERTIFICATE_NEEDED`. A `*out_len` larger than `buf_len` (a chain
/// that does not fit) gives `CLIAUTH_LIMIT`. The library validates what it gets, inserts it
/// into the store with the default lifetime and verifies once more.
///
/// `userdata` is the pointer given to `cliauth_verifier_set_fetch_callback`. The callback
/// runs on the thread that called `cliauth_verifier_verify`, possibly on several threads at
/// once if the verifier is shared, and possibly more than once for the same URL; it must
/// not unwind (C++ exceptions, `longjmp`) through the library, and must not free the
/// verifier.
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

struct Fetch {
    callback: unsafe extern "C" fn(*mut c_void, *const c_char, *mut u8, usize, *mut usize) -> c_int,
    userdata: *mut c_void,
}

impl Fetch {
    /// Calls the callback for `url`: `None` when it reports failure.
    fn get(&self, url: &str) -> Option<Result<Vec<u8>, Error>> {
        let url = CString::new(url).ok()?;
        let mut buf = vec![0u8; MAX_CHAIN_BYTES];
        let mut len = 0usize;
        // SAFETY: `callback` and `userdata` were registered together by the caller of
        // `cliauth_verifier_set_fetch_callback`, who guarantees the callback may be called
        // with its userdata; `url` is a NUL-terminated string, `buf` holds `buf.len()`
        // writable bytes and `len` is a writable size_t, all alive for the call.
        let rc = unsafe {
            (self.callback)(
                self.userdata,
                url.as_ptr(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            )
        };
        if rc != 0 {
            return None;
        }
        if len > buf.len() {
            return Some(Err(Error::Limit {
                what: LimitKind::Chain,
                limit: MAX_CHAIN_BYTES,
            }));
        }
        buf.truncate(len);
        Some(Ok(buf))
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
    fetch: Option<Fetch>,
}

impl cliauth_verifier {
    fn new(source: Source) -> cliauth_verifier {
        let config = VerifierConfig::default();
        cliauth_verifier {
            inner: source.verifier(&config),
            source,
            config,
            fetch: None,
        }
    }

    fn reconfigure(&mut self, change: impl FnOnce(&mut VerifierConfig)) {
        change(&mut self.config);
        self.inner = self.source.verifier(&self.config);
    }

    /// Verifies, fetching and retrying once on a store miss when a callback is set.
    fn verify(&self, identity: &str, call: &Call<'_>, now: i64) -> Result<Verdict, Error> {
        self.with_fetch(now, || self.inner.verify_identity(identity, call, now))
    }

    /// Runs `verify`; on a store miss with a fetch callback set, fetches, inserts and runs
    /// it once more.
    fn with_fetch(
        &self,
        now: i64,
        verify: impl Fn() -> Result<Verdict, Error>,
    ) -> Result<Verdict, Error> {
        let first = verify();
        let (Err(Error::CertificateNeeded { url }), Some(fetch), Source::Store(store)) =
            (&first, &self.fetch, &self.source)
        else {
            return first;
        };
        let Some(chain) = fetch.get(url) else {
            return first;
        };
        store.insert(url, &chain?, now, None)?;
        verify()
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
/// while the callback is set, and be safe to use from every thread that verifies.
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
        v.fetch = callback.map(|callback| Fetch { callback, userdata });
        Ok(())
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
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(verdict_out) };
        // SAFETY: as above.
        let verifier = unsafe { borrow(verifier)? };
        if verdict_out.is_null() || identity.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        // SAFETY: the strings are NULL (checked, or meaning "absent") or NUL-terminated.
        let args = unsafe { (str_arg(identity), opt_str_arg(orig), opt_str_arg(dest)) };
        let verdict = match args {
            (Ok(identity), Ok(orig), Ok(dest)) => {
                let call = Call {
                    orig,
                    dest,
                    call_id: None,
                };
                cliauth_verdict::new(verifier.verify(identity, &call, now))
            }
            _ => cliauth_verdict::invalid_utf8(),
        };
        // SAFETY: `verdict_out` is valid for writes (caller's guarantee).
        unsafe { hand_out(verdict_out, verdict) }
    })
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
