//! Trust anchors and CRLs (`cliauth_trust`), the certificate store (`cliauth_store`) that
//! caches validated `x5u` chains, and replacing a store's trust at run time
//! (`cliauth_store_replace_trust`).

use std::ffi::{c_char, c_int};
use std::sync::Arc;

use cliauth_core::Error;
use cliauth_core::cert::{CertStore, CrlExpiry, TrustStore};

use crate::ffi::{
    borrow, borrow_mut, bytes_arg, clear_handle, free_handle, guard, new_handle, str_arg, write_out,
};
use crate::result::{CLIAUTH_NULL_PARAMETER, cliauth_result, from_error};

/// Trust anchors (STI-CA root certificates) and CRLs, to validate chains against.
///
/// A trust is configuration: build it, then create stores and verifiers from it (they
/// take copies, so the trust may be freed or changed afterwards without affecting them).
/// Not thread-safe while being modified; reading it from several threads at once
/// (`cliauth_store_new`, `cliauth_verifier_new_chain`) is safe.
pub struct cliauth_trust {
    /// The accepted anchor inputs, in order.
    anchors: Vec<Vec<u8>>,
    /// The accepted CRL inputs, in order.
    crls: Vec<Vec<u8>>,
    /// Accept chains covered by an expired CRL (reported as a fault).
    crl_lenient: bool,
}

impl cliauth_trust {
    /// A new `TrustStore` with everything added so far.
    pub(crate) fn build(&self) -> Result<TrustStore, Error> {
        let mut t = TrustStore::new();
        for a in &self.anchors {
            t.add_anchors(a)?;
        }
        for c in &self.crls {
            t.add_crls(c)?;
        }
        if self.crl_lenient {
            t.set_crl_expiry(CrlExpiry::Lenient);
        }
        Ok(t)
    }
}

/// Creates an empty trust: nothing validates until an anchor is added. On success
/// `*trust_out` is a new trust to release with `cliauth_trust_free`.
///
/// # Safety
///
/// `trust_out` must be valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_trust_new(trust_out: *mut *mut cliauth_trust) -> cliauth_result {
    guard(|| {
        let trust = cliauth_trust {
            anchors: Vec::new(),
            crls: Vec::new(),
            crl_lenient: false,
        };
        // SAFETY: the caller guarantees `trust_out` is valid for writes (NULL is checked).
        unsafe { new_handle(trust_out, trust) }
    })
}

/// Adds the trust anchors in `pem`/`len` (a PEM bundle of certificates, or one DER
/// certificate); the bytes are copied. `*count_out`, if `count_out` is not NULL, receives
/// how many were added. On failure nothing is added. Errors: `CLIAUTH_CERT_MALFORMED`,
/// `CLIAUTH_LIMIT`.
///
/// # Safety
///
/// `trust` must be a live trust not used by another thread during the call; `pem` must
/// point to `len` readable bytes; `count_out` must be NULL or valid for writing a
/// `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_trust_add_anchors_pem(
    trust: *mut cliauth_trust,
    pem: *const u8,
    len: usize,
    count_out: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        let (trust, pem) = unsafe { (borrow_mut(trust)?, bytes_arg(pem, len)?) };
        // Validate on a scratch store, so that a failure adds nothing.
        let n = TrustStore::new()
            .add_anchors(pem)
            .map_err(|e| from_error(&e))?;
        trust.anchors.push(pem.to_vec());
        if !count_out.is_null() {
            // SAFETY: non-NULL and valid for writes (caller's guarantee).
            unsafe { write_out(count_out, n) }?;
        }
        Ok(())
    })
}

/// Adds the CRLs in `pem`/`len` (PEM `X509 CRL` blocks, or one DER CRL); the bytes are
/// copied. Each CRL's signature is checked when a chain is validated against it.
/// `*count_out`, if `count_out` is not NULL, receives how many were added. On failure
/// nothing is added. Errors: `CLIAUTH_CERT_MALFORMED`, `CLIAUTH_LIMIT`.
///
/// Stores and verifiers created earlier keep the CRLs they were created with: give the new
/// trust to a running store with `cliauth_store_replace_trust`.
///
/// # Safety
///
/// As for `cliauth_trust_add_anchors_pem`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_trust_add_crls_pem(
    trust: *mut cliauth_trust,
    pem: *const u8,
    len: usize,
    count_out: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        let (trust, pem) = unsafe { (borrow_mut(trust)?, bytes_arg(pem, len)?) };
        let n = TrustStore::new()
            .add_crls(pem)
            .map_err(|e| from_error(&e))?;
        trust.crls.push(pem.to_vec());
        if !count_out.is_null() {
            // SAFETY: non-NULL and valid for writes (caller's guarantee).
            unsafe { write_out(count_out, n) }?;
        }
        Ok(())
    })
}

/// Sets what a CRL past its nextUpdate does to the chains it covers: `lenient` 0 (the
/// default) fails closed — such a chain is refused with `CLIAUTH_CERT_INVALID` (SIP 437,
/// reason "crl_expired"), since an expired CRL says nothing about revocations made since;
/// non-zero accepts it and reports `crl_expired` among the verdict's certificate faults.
/// Applies to the stores created from this trust (or given it by
/// `cliauth_store_replace_trust`) afterwards.
///
/// # Safety
///
/// `trust` must be a live trust not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_trust_set_crl_lenient(
    trust: *mut cliauth_trust,
    lenient: c_int,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees `trust` is live and unshared during the call.
        let trust = unsafe { borrow_mut(trust)? };
        trust.crl_lenient = lenient != 0;
        Ok(())
    })
}

/// Releases a trust. NULL is a no-op. Stores and verifiers created from it are not
/// affected.
///
/// # Safety
///
/// `trust` must be NULL or a trust from `cliauth_trust_new` not yet freed, and not in use
/// by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_trust_free(trust: *mut cliauth_trust) {
    guard(|| {
        // SAFETY: the caller hands back a live handle exactly once.
        unsafe { free_handle(trust) };
        Ok(())
    });
}

/// A certificate store: validated `x5u` chains by URL, each cached until its lifetime
/// or the first certificate of its path expires (bounded to 10 000 chains).
///
/// Thread-safe: inserts and lookups may happen from any number of threads at once. A
/// store is reference-counted: verifiers created from it share it and keep it alive, so
/// `cliauth_store_free` may be called while they are still in use.
pub struct cliauth_store {
    pub(crate) inner: Arc<CertStore>,
}

/// Creates an empty certificate store validating chains against `trust`.
///
/// The store takes a copy of `trust` (anchors and CRLs as they are now): `trust` stays
/// owned by the caller and may be freed right after. On success `*store_out` is a new
/// store to release with `cliauth_store_free`; on failure it is set to NULL.
///
/// # Safety
///
/// `trust` must be a live trust; `store_out` must be valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_store_new(
    trust: *const cliauth_trust,
    store_out: *mut *mut cliauth_store,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(store_out) };
        // SAFETY: as above.
        let trust = unsafe { borrow(trust)? };
        if store_out.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        let store = CertStore::new(trust.build().map_err(|e| from_error(&e))?);
        let store = cliauth_store {
            inner: Arc::new(store),
        };
        // SAFETY: `store_out` is valid for writes (caller's guarantee).
        unsafe { new_handle(store_out, store) }
    })
}

/// Validates the chain fetched from `url` (`pem`/`len`: a PEM bundle or DER, end-entity
/// first) at time `now` and stores it for `ttl` seconds (negative: the default, 24 hours;
/// never beyond the expiry of a certificate in the path). A chain that does not validate
/// is not stored, and an entry for `url` that was there before is removed; the result
/// then says why (`CLIAUTH_CERT_UNTRUSTED`, `CLIAUTH_CERT_EXPIRED`, …).
///
/// Thread-safe.
///
/// # Safety
///
/// `store` must be a live store; `url` a NUL-terminated string; `pem` must point to `len`
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_store_insert(
    store: *const cliauth_store,
    url: *const c_char,
    pem: *const u8,
    len: usize,
    now: i64,
    ttl: i64,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        let (store, url, pem) = unsafe { (borrow(store)?, str_arg(url)?, bytes_arg(pem, len)?) };
        let ttl = (ttl >= 0).then_some(ttl);
        store
            .inner
            .insert(url, pem, now, ttl)
            .map(drop)
            .map_err(|e| from_error(&e))
    })
}

/// Replaces the trust anchors and CRLs of `store` with a copy of `trust` at run time,
/// without stopping verification: for reloading a CA bundle or CRLs while verifiers keep
/// working (call it from any thread, while others verify).
///
/// Every cached chain is validated again against the new trust at `now` (one chain
/// validation per entry, done outside the store's lock while lookups go on being served
/// from the old state); the chains the new trust refuses — a removed anchor, a revoked
/// certificate, an expired CRL under the fail-closed default — are removed, and fetched
/// and validated again when a token names them. Then the new trust and the revalidated
/// entries are installed at once: a verification sees the old trust and its chains or the
/// new trust and its chains, never a mix. Concurrent replacements are serialised.
///
/// `*kept_out` and `*dropped_out`, when not NULL, receive how many cached chains stayed
/// and how many were removed. On failure (a NULL handle, or a trust that does not build)
/// nothing changes. Verifiers created from the store (`cliauth_verifier_new_store`) use the
/// new trust at once; a chain verifier (`cliauth_verifier_new_chain`) is pinned and does not
/// change: create a new one.
///
/// # Safety
///
/// `store` and `trust` must be live handles (`trust` not modified by another thread during
/// the call); `kept_out` and `dropped_out` NULL or valid for writing a `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_store_replace_trust(
    store: *const cliauth_store,
    trust: *const cliauth_trust,
    now: i64,
    kept_out: *mut usize,
    dropped_out: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the handles are live as documented.
        let (store, trust) = unsafe { (borrow(store)?, borrow(trust)?) };
        let built = trust.build().map_err(|e| from_error(&e))?;
        let swap = store.inner.replace_trust(built, now);
        if !kept_out.is_null() {
            // SAFETY: non-NULL and valid for writes (caller's guarantee).
            unsafe { write_out(kept_out, swap.kept) }?;
        }
        if !dropped_out.is_null() {
            // SAFETY: as above.
            unsafe { write_out(dropped_out, swap.dropped.len()) }?;
        }
        Ok(())
    })
}

/// Releases the caller's reference to a store. NULL is a no-op. Verifiers created from
/// the store keep their own reference and go on working.
///
/// # Safety
///
/// `store` must be NULL or a store from `cliauth_store_new` not yet freed, and not in use
/// by another thread through this handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_store_free(store: *mut cliauth_store) {
    guard(|| {
        // SAFETY: the caller hands back a live handle exactly once.
        unsafe { free_handle(store) };
        Ok(())
    });
}
