//! Parsing a SIP Identity header value without verifying it: `cliauth_identity`.
//!
//! Strings returned by the accessors belong to the handle: valid until
//! `cliauth_identity_free`, never to be freed by the caller.

use std::ffi::{CString, c_char};

use cliauth_core::IdentityHeader;

use crate::ffi::{
    borrow, c_string, clear_handle, free_handle, guard, guard_or, new_handle, opt_ptr, str_arg,
};
use crate::result::{CLIAUTH_NULL_PARAMETER, cliauth_result, from_error};

/// One parsed Identity header value (RFC 8224 §4.1). May be read from several threads at
/// once; free it only when no thread uses it any more.
pub struct cliauth_identity {
    token: CString,
    info: Option<CString>,
    alg: CString,
    ppt: Option<CString>,
    compact: bool,
}

/// Parses one Identity header value, in any form seen in real traffic (optional
/// `Identity:`/`y:` header name, parameters in any order and case, quoted or not, `info`
/// with or without angle brackets). On success `*identity_out` is a new handle to release
/// with `cliauth_identity_free`; on failure it is set to NULL. Errors:
/// `CLIAUTH_NO_IDENTITY` (empty), `CLIAUTH_IDENTITY_SYNTAX` (also for several
/// comma-separated values), `CLIAUTH_LIMIT`, `CLIAUTH_INVALID_UTF8`.
///
/// # Safety
///
/// `value` must be a NUL-terminated string; `identity_out` must be valid for writing a
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_identity_parse(
    value: *const c_char,
    identity_out: *mut *mut cliauth_identity,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(identity_out) };
        // SAFETY: as above.
        let value = unsafe { str_arg(value)? };
        if identity_out.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        let h = IdentityHeader::parse(value).map_err(|e| from_error(&e))?;
        let identity = cliauth_identity {
            token: c_string(&h.token),
            info: h.info.as_deref().map(c_string),
            alg: c_string(h.alg()),
            ppt: h.ppt.as_deref().map(c_string),
            compact: h.is_compact(),
        };
        // SAFETY: `identity_out` is valid for writes (caller's guarantee).
        unsafe { new_handle(identity_out, identity) }
    })
}

/// Reads a field of a parsed identity: NULL for a NULL handle.
///
/// # Safety
///
/// `identity` must be NULL or a live handle.
unsafe fn read(
    identity: *const cliauth_identity,
    f: impl FnOnce(&cliauth_identity) -> *const c_char,
) -> *const c_char {
    guard_or(std::ptr::null(), || {
        // SAFETY: the caller guarantees `identity` is NULL or live.
        unsafe { borrow(identity) }.map_or(std::ptr::null(), f)
    })
}

/// The token: a full-form compact JWS, or the compact form `..signature`.
///
/// # Safety
///
/// `identity` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_identity_token(
    identity: *const cliauth_identity,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(identity, |i| i.token.as_ptr()) }
}

/// The `info` parameter (the certificate URL) without angle brackets; NULL when absent.
///
/// # Safety
///
/// `identity` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_identity_info(identity: *const cliauth_identity) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(identity, |i| opt_ptr(&i.info)) }
}

/// The `alg` parameter; "ES256" when absent (its default).
///
/// # Safety
///
/// `identity` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_identity_alg(identity: *const cliauth_identity) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(identity, |i| i.alg.as_ptr()) }
}

/// The `ppt` parameter, unquoted (e.g. "shaken"); NULL when absent.
///
/// # Safety
///
/// `identity` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_identity_ppt(identity: *const cliauth_identity) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(identity, |i| opt_ptr(&i.ppt)) }
}

/// Whether the token is in compact form (`..signature`). False for NULL.
///
/// # Safety
///
/// `identity` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_identity_is_compact(identity: *const cliauth_identity) -> bool {
    guard_or(false, || {
        // SAFETY: the caller guarantees `identity` is NULL or live.
        unsafe { borrow(identity) }.is_ok_and(|i| i.compact)
    })
}

/// Releases a parsed identity and its strings. NULL is a no-op.
///
/// # Safety
///
/// `identity` must be NULL or a handle not yet freed; its strings must not be used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_identity_free(identity: *mut cliauth_identity) {
    guard(|| {
        // SAFETY: the caller hands back a live handle exactly once.
        unsafe { free_handle(identity) };
        Ok(())
    });
}
