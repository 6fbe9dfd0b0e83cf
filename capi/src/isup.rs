//! ISUP/BICC carriage from C: the compact CLI-authentication token (ITU-T Q.3063) built from
//! an Identity header value and the IAM's numbers, and the Identity header rebuilt from it.
//!
//! Numbers are given as telephone numbers in PASSporT form (E.164 digits, e.g.
//! `12155551212`): mapping the IAM's Calling/Called Party Number parameters (nature of
//! address, country code) is the caller's, with the same rules at both ends.

use std::ffi::c_char;

use cliauth_core::Call;
use cliauth_core::isup::{CompactToken, ConvertOptions, TokenError};

use crate::ffi::{bytes_arg, guard, str_arg, write_out, write_string};
use crate::result::{CLIAUTH_BUFFER_TOO_SMALL, CLIAUTH_ISUP, cliauth_result, from_error};

/// The largest compact token the library produces or accepts, in bytes: a buffer of this
/// size always suffices for `cliauth_isup_encode`.
pub const CLIAUTH_MAX_ISUP_TOKEN_LEN: usize = 2048;

#[cfg(test)]
#[test]
fn max_token_len_is_the_library_limit() {
    assert_eq!(
        CLIAUTH_MAX_ISUP_TOKEN_LEN,
        cliauth_core::isup::token::MAX_COMPACT_LEN
    );
}

fn isup_error(e: &TokenError) -> cliauth_result {
    match e {
        TokenError::Passport(inner) => from_error(inner),
        _ => CLIAUTH_ISUP,
    }
}

/// Converts an Identity header value into the compact token for an IAM whose calling and
/// called numbers are `calling` and `called`. The token is written to `buf` (`buf_len`
/// bytes) and its length to `*out_len`; when `buf` is too small nothing is written,
/// `*out_len` still receives the length, and `CLIAUTH_BUFFER_TOO_SMALL` is returned. The
/// conversion is checked to be lossless: rebuilding the token at the far end reproduces the
/// signed PASSporT byte for byte, or `CLIAUTH_ISUP` is returned. Token errors
/// (`CLIAUTH_TOKEN_FORMAT`, `CLIAUTH_JSON`, …) are reported as such.
///
/// # Safety
///
/// `identity`, `calling` and `called` must be NUL-terminated strings; `buf` must be NULL or
/// valid for writing `buf_len` bytes; `out_len` must be valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_isup_encode(
    identity: *const c_char,
    calling: *const c_char,
    called: *const c_char,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees NUL-terminated strings.
        let (identity, calling, called) =
            unsafe { (str_arg(identity)?, str_arg(calling)?, str_arg(called)?) };
        if out_len.is_null() {
            return Err(crate::result::CLIAUTH_NULL_PARAMETER);
        }
        let c = CompactToken::from_identity(
            identity,
            &Call::new(calling, called),
            &ConvertOptions::default(),
        )
        .map_err(|e| isup_error(&e))?;
        let bytes = c.token.as_bytes();
        // SAFETY: `out_len` is non-NULL and valid for writes (caller's guarantee).
        unsafe { write_out(out_len, bytes.len()) }?;
        if buf.is_null() || buf_len < bytes.len() {
            return Err(CLIAUTH_BUFFER_TOO_SMALL);
        }
        // SAFETY: `buf` is valid for `buf_len >= bytes.len()` bytes (caller's guarantee) and
        // cannot overlap the token, which this function allocated.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len()) };
        Ok(())
    })
}

/// Rebuilds the Identity header value from a compact token (`token`, `token_len` bytes)
/// received in an IAM whose calling and called numbers are `calling` and `called`. The
/// value (NUL-terminated) goes to `buf` as with the signing functions: its length without
/// the NUL to `*out_len`, `CLIAUTH_BUFFER_TOO_SMALL` when `buf` is too small. Verify the
/// result with `cliauth_verifier_verify`. A malformed token is `CLIAUTH_ISUP`.
///
/// # Safety
///
/// `token` must point to `token_len` readable bytes; `calling` and `called` must be
/// NUL-terminated strings; `buf` must be NULL or valid for writing `buf_len` bytes;
/// `out_len` must be NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_isup_rebuild(
    token: *const u8,
    token_len: usize,
    calling: *const c_char,
    called: *const c_char,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers as documented.
        let (token, calling, called) = unsafe {
            (
                bytes_arg(token, token_len)?,
                str_arg(calling)?,
                str_arg(called)?,
            )
        };
        let sip = CompactToken::decode(token)
            .and_then(|t| t.rebuild(&Call::new(calling, called)))
            .map_err(|e| isup_error(&e))?;
        // SAFETY: forwarded from the caller.
        unsafe { write_string(&sip.identity, buf, buf_len, out_len) }
    })
}
