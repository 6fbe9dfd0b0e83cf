//! Signing (the authentication service): `cliauth_signer`.
//!
//! Signing functions write their output into a caller-provided buffer (`buf`, `buf_len`,
//! `out_len`). A buffer of `CLIAUTH_MAX_SIGNED_LEN` bytes always suffices. When the
//! buffer is too small the result is `CLIAUTH_BUFFER_TOO_SMALL`, nothing is written to
//! `buf`, and `*out_len` holds the length the output would have had; signing again with a
//! larger buffer produces a new signature (ECDSA signatures are randomised, and a missing
//! `origid` is generated anew), which is equally valid.

use std::ffi::c_char;

use cliauth_core::passport::claims::new_origid;
use cliauth_core::passport::{Claims, Dest, Party, Ppt, Rcd};
use cliauth_core::{Error, Signed, Signer, Tn};

use crate::enums::{
    CLIAUTH_FORM_COMPACT_IDENTITY, CLIAUTH_FORM_IDENTITY, CLIAUTH_FORM_TOKEN, CLIAUTH_PPT_BASE,
    CLIAUTH_PPT_DIV, CLIAUTH_PPT_RCD, CLIAUTH_PPT_SHAKEN, attest_from_c, cliauth_attest,
    cliauth_form, cliauth_ppt,
};
use crate::ffi::{
    borrow, bytes_arg, clear_handle, free_handle, guard, new_handle, opt_str_arg, str_arg,
    str_array_arg, write_string,
};
use crate::result::{
    CLIAUTH_INVALID_PARAMETER, CLIAUTH_NULL_PARAMETER, cliauth_result, from_error,
};

/// A buffer of this many bytes holds any output of the signing functions, terminating NUL
/// included (a token is at most 8 KiB, a certificate URL at most 2 KiB).
pub const CLIAUTH_MAX_SIGNED_LEN: usize = 12288;

/// Signs PASSporTs with one private key for one certificate URL (`x5u`).
///
/// Thread-safe: one signer may be used by any number of threads at once.
pub struct cliauth_signer {
    inner: Signer,
}

/// Creates a signer from a private key and the URL its certificate is published at.
///
/// `key`/`key_len`: the ECDSA P-256 private key, PEM (`PRIVATE KEY` PKCS#8 or
/// `EC PRIVATE KEY` SEC1) or DER; the bytes are copied. `x5u`: the certificate URL put in
/// every token (`https://…`). On success `*signer_out` is a new signer to release with
/// `cliauth_signer_free`; on failure it is set to NULL. Errors: `CLIAUTH_KEY` (unusable
/// key), `CLIAUTH_LIMIT` (input too large), `CLIAUTH_SIGN` (unusable URL).
///
/// # Safety
///
/// `key` must point to `key_len` readable bytes; `x5u` must be a NUL-terminated string;
/// `signer_out` must be valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_signer_new_pem(
    key: *const u8,
    key_len: usize,
    x5u: *const c_char,
    signer_out: *mut *mut cliauth_signer,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        unsafe { clear_handle(signer_out) };
        // SAFETY: as above.
        let (key, x5u) = unsafe { (bytes_arg(key, key_len)?, str_arg(x5u)?) };
        if signer_out.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        let inner = Signer::from_pem(key, x5u).map_err(|e| from_error(&e))?;
        // SAFETY: `signer_out` is valid for writes (caller's guarantee).
        unsafe { new_handle(signer_out, cliauth_signer { inner }) }
    })
}

/// Releases a signer. NULL is a no-op.
///
/// # Safety
///
/// `signer` must be NULL or a signer from `cliauth_signer_new_pem` not yet freed, and no
/// other thread may be using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_signer_free(signer: *mut cliauth_signer) {
    guard(|| {
        // SAFETY: the caller hands back a live handle exactly once.
        unsafe { free_handle(signer) };
        Ok(())
    });
}

fn render(signed: &Signed, form: cliauth_form) -> String {
    match form {
        CLIAUTH_FORM_TOKEN => signed.token().to_owned(),
        CLIAUTH_FORM_COMPACT_IDENTITY => signed.compact_identity(),
        _ => signed.identity(),
    }
}

fn check_form(form: cliauth_form) -> Result<(), cliauth_result> {
    match form {
        CLIAUTH_FORM_IDENTITY | CLIAUTH_FORM_TOKEN | CLIAUTH_FORM_COMPACT_IDENTITY => Ok(()),
        _ => Err(CLIAUTH_INVALID_PARAMETER),
    }
}

fn canonical(tn: &str) -> Result<String, cliauth_result> {
    Tn::parse(tn)
        .map(Tn::into_string)
        .map_err(|e| from_error(&Error::from(e)))
}

/// Signs a SHAKEN PASSporT (RFC 8588) for a call from `orig` to the `dest_count` numbers
/// in `dest`, and writes it in `form` into `buf`.
///
/// Numbers may be in any usual form ("+1 215-555-1212" becomes "12155551212").
/// `attest`: `CLIAUTH_ATTEST_A`, `_B` or `_C`. `origid`: the origination identifier, or
/// NULL for a new random UUID. `iat`: the issued-at time, seconds since the Unix epoch.
///
/// Output: the text and a terminating NUL are written into `buf` (`buf_len` bytes) and
/// `*out_len` receives the text's length (without the NUL). If it does not fit, nothing
/// is written into `buf`, `*out_len` still receives the length, and the result is
/// `CLIAUTH_BUFFER_TOO_SMALL`; signing again with a larger buffer gives a new, equally
/// valid signature. A buffer of `CLIAUTH_MAX_SIGNED_LEN` bytes always suffices.
///
/// Errors: `CLIAUTH_TN` (a number is invalid), `CLIAUTH_SIGN` (e.g. no destination),
/// `CLIAUTH_INVALID_PARAMETER` (bad `attest` or `form`), `CLIAUTH_BUFFER_TOO_SMALL`.
///
/// # Safety
///
/// `signer` must be a live signer; `orig` and `origid` (if not NULL) NUL-terminated
/// strings; `dest` an array of `dest_count` NUL-terminated strings; `buf` valid for
/// writing `buf_len` bytes (or NULL with `buf_len` 0, to ask for the length); `out_len`
/// valid for writing a `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_signer_sign_shaken(
    signer: *const cliauth_signer,
    orig: *const c_char,
    dest: *const *const c_char,
    dest_count: usize,
    attest: cliauth_attest,
    origid: *const c_char,
    iat: i64,
    form: cliauth_form,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        let (signer, orig, dest, origid) = unsafe {
            (
                borrow(signer)?,
                str_arg(orig)?,
                str_array_arg(dest, dest_count)?,
                opt_str_arg(origid)?,
            )
        };
        if out_len.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        check_form(form)?;
        let attest = attest_from_c(attest)
            .flatten()
            .ok_or(CLIAUTH_INVALID_PARAMETER)?;
        let signed = signer
            .inner
            .sign_shaken(orig, &dest, attest, origid, iat)
            .map_err(|e| from_error(&e))?;
        // SAFETY: `buf`/`buf_len` and `out_len` are valid as documented.
        unsafe { write_string(&render(&signed, form), buf, buf_len, out_len) }
    })
}

/// Signs a PASSporT of any supported extension and writes it in `form` into `buf`.
///
/// `ppt`: `CLIAUTH_PPT_BASE`, `_SHAKEN`, `_DIV` or `_RCD` (`CLIAUTH_PPT_DIV_O` needs the
/// original PASSporT in `opt`: sign it with `cliauth_signer_sign_json`; here it gives
/// `CLIAUTH_INVALID_PARAMETER`). `orig`, `dest`/`dest_count`:
/// telephone numbers in any usual form. `attest`: `CLIAUTH_ATTEST_NONE` to leave the claim
/// out, required for SHAKEN. `origid`: NULL to leave it out (for SHAKEN: a new random
/// UUID). `div`: the number the call was diverted to (required for `CLIAUTH_PPT_DIV`),
/// or NULL. `rcd_name`: a caller display name for the `rcd` claim (required for
/// `CLIAUTH_PPT_RCD`), or NULL. `iat`: seconds since the Unix epoch. Output and errors as
/// for `cliauth_signer_sign_shaken`; `CLIAUTH_SIGN` also when a claim the extension
/// requires is missing.
///
/// # Safety
///
/// As for `cliauth_signer_sign_shaken`; `div` and `rcd_name` must be NULL or
/// NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_signer_sign(
    signer: *const cliauth_signer,
    ppt: cliauth_ppt,
    orig: *const c_char,
    dest: *const *const c_char,
    dest_count: usize,
    attest: cliauth_attest,
    origid: *const c_char,
    div: *const c_char,
    rcd_name: *const c_char,
    iat: i64,
    form: cliauth_form,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        let (signer, orig, dest, origid, div, rcd_name) = unsafe {
            (
                borrow(signer)?,
                str_arg(orig)?,
                str_array_arg(dest, dest_count)?,
                opt_str_arg(origid)?,
                opt_str_arg(div)?,
                opt_str_arg(rcd_name)?,
            )
        };
        if out_len.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        check_form(form)?;
        let ppt = match ppt {
            CLIAUTH_PPT_BASE => None,
            CLIAUTH_PPT_SHAKEN => Some(Ppt::Shaken),
            CLIAUTH_PPT_DIV => Some(Ppt::Div),
            CLIAUTH_PPT_RCD => Some(Ppt::Rcd),
            _ => return Err(CLIAUTH_INVALID_PARAMETER),
        };
        let attest = attest_from_c(attest).ok_or(CLIAUTH_INVALID_PARAMETER)?;
        let dest = dest
            .iter()
            .map(|d| canonical(d))
            .collect::<Result<Vec<_>, _>>()?;
        let mut claims = Claims::new(
            Party::Tn(canonical(orig)?),
            Dest {
                tn: dest,
                uri: Vec::new(),
            },
            iat,
        );
        claims.attest = attest;
        claims.origid = match (origid, ppt) {
            (Some(o), _) => Some(o.to_owned()),
            (None, Some(Ppt::Shaken)) => Some(new_origid()),
            (None, _) => None,
        };
        claims.div = div.map(canonical).transpose()?.map(Party::Tn);
        claims.rcd = rcd_name.map(Rcd::name);
        let signed = signer
            .inner
            .sign(ppt, &claims)
            .map_err(|e| from_error(&e))?;
        // SAFETY: `buf`/`buf_len` and `out_len` are valid as documented.
        unsafe { write_string(&render(&signed, form), buf, buf_len, out_len) }
    })
}

/// Signs a PASSporT whose claims the caller gives as one JSON object, and writes it in
/// `form` into `buf`: the way to every claim the typed functions do not cover — `div-o`
/// with its `opt` (the original PASSporT), the whole `rcd` object (`nam`, `apn`, `icn`,
/// `jcd`, `jcl`), `crn`, `rcdi`, `mky`, URIs in `orig`/`dest`, and extra claims, e.g.
/// `{"dest":{"tn":["12155551213"]},"div":{"tn":"12155559999"},"iat":1700000000,"opt":"<token>","orig":{"tn":"12155551212"}}`.
///
/// `ppt`: `CLIAUTH_PPT_BASE`, `_SHAKEN`, `_DIV`, `_DIV_O` or `_RCD`. The JSON is read with
/// the same strict rules and limits as a received token (no duplicate members, integer
/// `iat`, depth ≤ 16); the signed token carries it as deterministic JSON. Output and errors
/// as for `cliauth_signer_sign_shaken`; `CLIAUTH_JSON`, `CLIAUTH_DUPLICATE_MEMBER`,
/// `CLIAUTH_CLAIMS`, `CLIAUTH_TN` or `CLIAUTH_LIMIT` for bad JSON or claims, `CLIAUTH_SIGN` when a claim the extension
/// requires is missing.
///
/// # Safety
///
/// As for `cliauth_signer_sign_shaken`; `claims_json` must be a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_signer_sign_json(
    signer: *const cliauth_signer,
    ppt: cliauth_ppt,
    claims_json: *const c_char,
    form: cliauth_form,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> cliauth_result {
    guard(|| {
        // SAFETY: the caller guarantees the pointers are valid as documented.
        let (signer, claims_json) = unsafe { (borrow(signer)?, str_arg(claims_json)?) };
        if out_len.is_null() {
            return Err(CLIAUTH_NULL_PARAMETER);
        }
        check_form(form)?;
        let ppt = crate::enums::ppt_from_c(ppt).ok_or(CLIAUTH_INVALID_PARAMETER)?;
        let map = cliauth_core::passport::json::parse_object(
            claims_json.as_bytes(),
            cliauth_core::error::Part::Claims,
        )
        .map_err(|e| from_error(&e))?;
        let claims = Claims::from_json(map).map_err(|e| from_error(&e))?;
        let signed = signer
            .inner
            .sign(ppt, &claims)
            .map_err(|e| from_error(&e))?;
        // SAFETY: `buf`/`buf_len` and `out_len` are valid as documented.
        unsafe { write_string(&render(&signed, form), buf, buf_len, out_len) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cliauth_core::limits::{MAX_TOKEN_LEN, MAX_URL_LEN};

    #[test]
    fn max_signed_len_covers_the_limits() {
        // token ; info=< url > ;alg=ES256 ;ppt=shaken NUL
        let longest = MAX_TOKEN_LEN + ";info=<".len() + MAX_URL_LEN + ">;alg=ES256".len();
        assert!(longest + ";ppt=shaken".len() < CLIAUTH_MAX_SIGNED_LEN);
    }
}
