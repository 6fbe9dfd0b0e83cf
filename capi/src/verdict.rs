//! The outcome of one verification: `cliauth_verdict`, for success and failure alike.
//!
//! Strings returned by the accessors belong to the verdict: valid until
//! `cliauth_verdict_free`, never to be freed by the caller. Claims are available only
//! when the result is `CLIAUTH_OK`; otherwise their accessors return NULL, 0 or
//! `CLIAUTH_ATTEST_NONE`. Text taken from a token that contains a NUL character (JSON
//! `\u0000`) is cut at it. A verdict is not thread-safe: use it from one thread at a time.

use std::ffi::{CStr, CString, c_char};

use cliauth_core::error::Verstat;
use cliauth_core::verify::Verdict;
use cliauth_core::{Error, Party};

use crate::enums::{
    CLIAUTH_ATTEST_NONE, CLIAUTH_PPT_BASE, attest_to_c, cliauth_attest, cliauth_ppt, ppt_to_c,
};
use crate::ffi::{borrow, c_string, free_handle, guard, guard_or, opt_ptr};
use crate::result::{
    CLIAUTH_INVALID_UTF8, CLIAUTH_NULL_PARAMETER, CLIAUTH_OK, cliauth_result,
    cliauth_result_sip_code, from_error, reason_of,
};

/// The claims of a verified token, as C strings.
struct Claims {
    attest: cliauth_attest,
    ppt: cliauth_ppt,
    orig: CString,
    dest: Vec<CString>,
    origid: Option<CString>,
    div: Option<CString>,
    rcd_name: Option<CString>,
    x5u: CString,
    iat: i64,
    spc: Option<CString>,
}

/// The outcome of `cliauth_verifier_verify`: the result and its SIP mapping, and on
/// success the verified token's claims. Free with `cliauth_verdict_free`.
pub struct cliauth_verdict {
    result: cliauth_result,
    sip_code: u16,
    reason: &'static CStr,
    verstat: &'static CStr,
    error_text: Option<CString>,
    reason_header: Option<CString>,
    needed_url: Option<CString>,
    claims: Option<Claims>,
    /// The replay status word (`ReplayStatus::as_str`), empty for a failure.
    replay: CString,
}

fn verstat(v: Verstat) -> &'static CStr {
    match v {
        Verstat::TnValidationPassed => c"TN-Validation-Passed",
        Verstat::TnValidationFailed => c"TN-Validation-Failed",
        Verstat::NoTnValidation => c"No-TN-Validation",
    }
}

fn reason_header(sip: u16, reason: &CStr) -> CString {
    c_string(&format!(
        "SIP;cause={sip};text=\"{}\"",
        reason.to_str().unwrap_or_default()
    ))
}

impl cliauth_verdict {
    pub(crate) fn new(outcome: Result<Verdict, Error>) -> cliauth_verdict {
        match outcome {
            Ok(v) => cliauth_verdict {
                result: CLIAUTH_OK,
                sip_code: 0,
                reason: c"",
                verstat: verstat(v.verstat()),
                error_text: None,
                reason_header: None,
                needed_url: None,
                replay: c_string(v.replay_status().as_str()),
                claims: Some(Claims {
                    attest: attest_to_c(v.attest()),
                    ppt: ppt_to_c(v.ppt()),
                    orig: c_string(v.orig().as_str()),
                    dest: v.dest().all().map(c_string).collect(),
                    origid: v.origid().map(c_string),
                    div: v.claims().div.as_ref().map(Party::as_str).map(c_string),
                    rcd_name: v
                        .claims()
                        .rcd
                        .as_ref()
                        .and_then(|r| r.nam.as_deref())
                        .map(c_string),
                    x5u: c_string(v.x5u()),
                    iat: v.iat(),
                    spc: v.spc().map(c_string),
                }),
            },
            Err(e) => {
                let sip = e.sip_code();
                let reason = reason_of(sip);
                cliauth_verdict {
                    result: from_error(&e),
                    sip_code: sip,
                    reason,
                    verstat: verstat(e.verstat()),
                    error_text: Some(c_string(&e.to_string())),
                    reason_header: Some(reason_header(sip, reason)),
                    needed_url: match &e {
                        Error::CertificateNeeded { url } => Some(c_string(url)),
                        _ => None,
                    },
                    claims: None,
                    replay: CString::default(),
                }
            }
        }
    }

    /// The verdict for an Identity header or call number that is not UTF-8.
    pub(crate) fn invalid_utf8() -> cliauth_verdict {
        let sip = cliauth_result_sip_code(CLIAUTH_INVALID_UTF8);
        let reason = reason_of(sip);
        cliauth_verdict {
            result: CLIAUTH_INVALID_UTF8,
            sip_code: sip,
            reason,
            verstat: verstat(Verstat::TnValidationFailed),
            error_text: Some(c"the Identity header or a number is not valid UTF-8".into()),
            reason_header: Some(reason_header(sip, reason)),
            needed_url: None,
            claims: None,
            replay: CString::default(),
        }
    }

    pub(crate) fn result(&self) -> cliauth_result {
        self.result
    }
}

/// Reads a field of a verdict behind the panic boundary: `default` for NULL (or if the
/// accessor panicked, which it cannot).
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
unsafe fn read<T: Copy>(
    verdict: *const cliauth_verdict,
    default: T,
    f: impl FnOnce(&cliauth_verdict) -> T,
) -> T {
    guard_or(default, || {
        // SAFETY: the caller guarantees `verdict` is NULL or live.
        match unsafe { borrow(verdict) } {
            Ok(v) => f(v),
            Err(_) => default,
        }
    })
}

/// What the verifier's verdict cache knew of a valid token (see
/// `cliauth_verifier_set_verdict_cache`): `"unchecked"` (no cache, or no Call-ID),
/// `"first"`, `"repeat"` (the same token again for the same Call-ID: answered from the
/// cache without verifying the signature again), `"replayed"` (another Call-ID, reported
/// rather than rejected), `"unrecorded"` (the cache was full) or `"local_only"` (the
/// shared state could not be reached). `""` for a failed verification; NULL for NULL.
/// Owned by the verdict: valid until `cliauth_verdict_free`.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_replay(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, std::ptr::null(), |v| v.replay.as_ptr()) }
}

/// The result of the verification: `CLIAUTH_OK`, or why it failed. NULL gives
/// `CLIAUTH_NULL_PARAMETER`.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_result(verdict: *const cliauth_verdict) -> cliauth_result {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, CLIAUTH_NULL_PARAMETER, |v| v.result) }
}

/// The SIP status code to reject the call with (403, 428, 436, 437 or 438), or 0 when the
/// verification succeeded (or `verdict` is NULL). The same as
/// `cliauth_result_sip_code(cliauth_verdict_result(verdict))`, except that it is exact
/// even for `CLIAUTH_UNKNOWN_ERROR`.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_sip_code(verdict: *const cliauth_verdict) -> u16 {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, 0, |v| v.sip_code) }
}

/// The SIP reason phrase for `cliauth_verdict_sip_code`, e.g. "Invalid Identity Header";
/// "" on success. Static string. NULL for a NULL verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_reason(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, std::ptr::null(), |v| v.reason.as_ptr()) }
}

/// A `Reason` header value reporting the failure (RFC 8224 §6.2.2), e.g.
/// `SIP;cause=438;text="Invalid Identity Header"`; NULL on success. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_reason_header(
    verdict: *const cliauth_verdict,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, std::ptr::null(), |v| opt_ptr(&v.reason_header)) }
}

/// The `verstat` value (ATIS-1000074) to put on the P-Asserted-Identity or From header
/// when the call goes on: "TN-Validation-Passed", "TN-Validation-Failed" or
/// "No-TN-Validation" (no Identity header). Static string. NULL for a NULL verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_verstat(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, std::ptr::null(), |v| v.verstat.as_ptr()) }
}

/// A description of the failure for logs, e.g. "iat 1700000000 is 3600 s old, more than
/// the 60 s allowed"; NULL on success. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_error_text(
    verdict: *const cliauth_verdict,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, std::ptr::null(), |v| opt_ptr(&v.error_text)) }
}

/// For `CLIAUTH_CERTIFICATE_NEEDED`: the `x5u` URL to fetch, then insert with
/// `cliauth_store_insert` and verify again. NULL for every other result. Owned by the
/// verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_needed_url(
    verdict: *const cliauth_verdict,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, std::ptr::null(), |v| opt_ptr(&v.needed_url)) }
}

/// The SHAKEN attestation level of the verified token; `CLIAUTH_ATTEST_NONE` when it has
/// none or verification failed.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_attest(verdict: *const cliauth_verdict) -> cliauth_attest {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, CLIAUTH_ATTEST_NONE, |v| {
            v.claims.as_ref().map_or(CLIAUTH_ATTEST_NONE, |c| c.attest)
        })
    }
}

/// The extension of the verified token (`CLIAUTH_PPT_SHAKEN`, …); `CLIAUTH_PPT_BASE` for
/// a base PASSporT or when verification failed.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_ppt(verdict: *const cliauth_verdict) -> cliauth_ppt {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, CLIAUTH_PPT_BASE, |v| {
            v.claims.as_ref().map_or(CLIAUTH_PPT_BASE, |c| c.ppt)
        })
    }
}

/// The originating identity of the verified token (`orig`: a number as carried in the
/// token, or a URI); NULL when verification failed. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_orig(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, std::ptr::null(), |v| {
            v.claims
                .as_ref()
                .map_or(std::ptr::null(), |c| c.orig.as_ptr())
        })
    }
}

/// How many destination identities (`dest`: numbers, then URIs) the verified token has;
/// 0 when verification failed.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_dest_count(verdict: *const cliauth_verdict) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, 0, |v| {
            v.claims.as_ref().map_or(0, |c| c.dest.len())
        })
    }
}

/// Destination identity number `index` (from 0) of the verified token; NULL when `index`
/// is out of range or verification failed. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_dest(
    verdict: *const cliauth_verdict,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, std::ptr::null(), |v| {
            v.claims
                .as_ref()
                .and_then(|c| c.dest.get(index))
                .map_or(std::ptr::null(), |d| d.as_ptr())
        })
    }
}

/// The origination identifier (`origid`) of the verified token; NULL when absent or
/// verification failed. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_origid(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, std::ptr::null(), |v| {
            v.claims
                .as_ref()
                .map_or(std::ptr::null(), |c| opt_ptr(&c.origid))
        })
    }
}

/// The diversion target (`div`) of a verified div PASSporT; NULL when absent or
/// verification failed. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_div(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, std::ptr::null(), |v| {
            v.claims
                .as_ref()
                .map_or(std::ptr::null(), |c| opt_ptr(&c.div))
        })
    }
}

/// The caller display name (`rcd.nam`) of the verified token; NULL when absent or
/// verification failed. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_rcd_name(
    verdict: *const cliauth_verdict,
) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, std::ptr::null(), |v| {
            v.claims
                .as_ref()
                .map_or(std::ptr::null(), |c| opt_ptr(&c.rcd_name))
        })
    }
}

/// The certificate URL (`x5u`) of the verified token; NULL when verification failed.
/// Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_x5u(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, std::ptr::null(), |v| {
            v.claims
                .as_ref()
                .map_or(std::ptr::null(), |c| c.x5u.as_ptr())
        })
    }
}

/// The issued-at time (`iat`) of the verified token, seconds since the Unix epoch; 0 when
/// verification failed.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_iat(verdict: *const cliauth_verdict) -> i64 {
    // SAFETY: forwarded from the caller.
    unsafe { read(verdict, 0, |v| v.claims.as_ref().map_or(0, |c| c.iat)) }
}

/// The service provider code of the signer's certificate (its TNAuthList SPC); NULL when
/// the key came without a certificate (`cliauth_verifier_new_pubkey`), the certificate has
/// no SPC, or verification failed. Owned by the verdict.
///
/// # Safety
///
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_spc(verdict: *const cliauth_verdict) -> *const c_char {
    // SAFETY: forwarded from the caller.
    unsafe {
        read(verdict, std::ptr::null(), |v| {
            v.claims
                .as_ref()
                .map_or(std::ptr::null(), |c| opt_ptr(&c.spc))
        })
    }
}

/// Releases a verdict and every string it returned. NULL is a no-op.
///
/// # Safety
///
/// `verdict` must be NULL or a verdict not yet freed; its strings must not be used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cliauth_verdict_free(verdict: *mut cliauth_verdict) {
    guard(|| {
        // SAFETY: the caller hands back a live handle exactly once.
        unsafe { free_handle(verdict) };
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: NULL or a string owned by a verdict alive in the calling test.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    #[test]
    fn failures_carry_their_mapping() {
        let v = cliauth_verdict::new(Err(Error::CertificateNeeded {
            url: "https://x/y.pem".into(),
        }));
        let p: *const cliauth_verdict = &v;
        // SAFETY: `p` points to a live verdict.
        unsafe {
            assert_eq!(
                cliauth_verdict_result(p),
                crate::result::CLIAUTH_CERTIFICATE_NEEDED
            );
            assert_eq!(cliauth_verdict_sip_code(p), 436);
            assert_eq!(
                text(cliauth_verdict_reason(p)).unwrap(),
                "Bad Identity Info"
            );
            assert_eq!(
                text(cliauth_verdict_needed_url(p)).unwrap(),
                "https://x/y.pem"
            );
            assert_eq!(
                text(cliauth_verdict_reason_header(p)).unwrap(),
                "SIP;cause=436;text=\"Bad Identity Info\""
            );
            assert_eq!(
                text(cliauth_verdict_verstat(p)).unwrap(),
                "TN-Validation-Failed"
            );
            assert!(cliauth_verdict_orig(p).is_null());
            assert_eq!(cliauth_verdict_dest_count(p), 0);
            assert!(cliauth_verdict_dest(p, 0).is_null());
            assert_eq!(cliauth_verdict_iat(p), 0);
        }
        let n = std::ptr::null();
        // SAFETY: NULL verdicts are allowed.
        unsafe {
            assert_eq!(cliauth_verdict_result(n), CLIAUTH_NULL_PARAMETER);
            assert_eq!(cliauth_verdict_sip_code(n), 0);
            assert!(cliauth_verdict_verstat(n).is_null());
        }
        let v = cliauth_verdict::new(Err(Error::NoIdentity));
        // SAFETY: live verdict.
        unsafe {
            assert_eq!(
                text(cliauth_verdict_verstat(&v)).unwrap(),
                "No-TN-Validation"
            );
            assert!(cliauth_verdict_needed_url(&v).is_null());
        }
        assert_ne!(v.result(), crate::result::CLIAUTH_PANIC);
    }
}
