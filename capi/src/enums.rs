//! Small value types shared by signing and verification: attestation level, PASSporT
//! extension, output form; and the version.
//!
//! Like `cliauth_result`, each is a `uint32_t` with `#define`d values, so that values
//! passed in from C are checked (`CLIAUTH_INVALID_PARAMETER`) rather than trusted.

use std::ffi::{CStr, c_char};

use cliauth_core::{Attest, Ppt};

use crate::ffi::guard_or;

/// A SHAKEN attestation level (RFC 8588 `attest`).
pub type cliauth_attest = u32;
/// No attestation: the claim is absent (not allowed for SHAKEN signing).
pub const CLIAUTH_ATTEST_NONE: cliauth_attest = 0;
/// Full attestation ("A").
pub const CLIAUTH_ATTEST_A: cliauth_attest = 1;
/// Partial attestation ("B").
pub const CLIAUTH_ATTEST_B: cliauth_attest = 2;
/// Gateway attestation ("C").
pub const CLIAUTH_ATTEST_C: cliauth_attest = 3;

/// A PASSporT extension (`ppt`).
pub type cliauth_ppt = u32;
/// A base PASSporT (RFC 8225): no `ppt`.
pub const CLIAUTH_PPT_BASE: cliauth_ppt = 0;
/// SHAKEN (RFC 8588): `ppt=shaken`; needs attest and origid.
pub const CLIAUTH_PPT_SHAKEN: cliauth_ppt = 1;
/// Diversion (RFC 8946): `ppt=div`; needs the `div` number.
pub const CLIAUTH_PPT_DIV: cliauth_ppt = 2;
/// Rich Call Data (RFC 9795): `ppt=rcd`; needs the `rcd` claim (a display name here).
pub const CLIAUTH_PPT_RCD: cliauth_ppt = 3;
/// Diversion with the original PASSporT (RFC 8946 `div-o`): `ppt=div-o`; needs the `div`
/// number and the original PASSporT in `opt`. Signed with `cliauth_signer_sign_json`
/// (claims as JSON, `opt` included); `cliauth_signer_sign` has no `opt` argument and
/// refuses it with `CLIAUTH_INVALID_PARAMETER`. Reported by verification.
pub const CLIAUTH_PPT_DIV_O: cliauth_ppt = 4;

/// Which form of a signed PASSporT to return.
pub type cliauth_form = u32;
/// The full Identity header value: `token;info=<x5u>;alg=ES256;ppt=…`.
pub const CLIAUTH_FORM_IDENTITY: cliauth_form = 0;
/// The bare token (compact JWS serialisation, full form).
pub const CLIAUTH_FORM_TOKEN: cliauth_form = 1;
/// The Identity header value with the token in compact form (`..signature;info=…`,
/// RFC 8224 §7): the receiver rebuilds header and claims from the call.
pub const CLIAUTH_FORM_COMPACT_IDENTITY: cliauth_form = 2;

pub(crate) fn attest_from_c(a: cliauth_attest) -> Option<Option<Attest>> {
    match a {
        CLIAUTH_ATTEST_NONE => Some(None),
        CLIAUTH_ATTEST_A => Some(Some(Attest::A)),
        CLIAUTH_ATTEST_B => Some(Some(Attest::B)),
        CLIAUTH_ATTEST_C => Some(Some(Attest::C)),
        _ => None,
    }
}

pub(crate) fn attest_to_c(a: Option<Attest>) -> cliauth_attest {
    match a {
        None => CLIAUTH_ATTEST_NONE,
        Some(Attest::A) => CLIAUTH_ATTEST_A,
        Some(Attest::B) => CLIAUTH_ATTEST_B,
        Some(Attest::C) => CLIAUTH_ATTEST_C,
    }
}

/// The PASSporT extension of a `cliauth_ppt`; `None` for unknown values.
pub(crate) fn ppt_from_c(p: cliauth_ppt) -> Option<Option<Ppt>> {
    match p {
        CLIAUTH_PPT_BASE => Some(None),
        CLIAUTH_PPT_SHAKEN => Some(Some(Ppt::Shaken)),
        CLIAUTH_PPT_DIV => Some(Some(Ppt::Div)),
        CLIAUTH_PPT_RCD => Some(Some(Ppt::Rcd)),
        CLIAUTH_PPT_DIV_O => Some(Some(Ppt::DivO)),
        _ => None,
    }
}

pub(crate) fn ppt_to_c(p: Option<Ppt>) -> cliauth_ppt {
    match p {
        None => CLIAUTH_PPT_BASE,
        Some(Ppt::Shaken) => CLIAUTH_PPT_SHAKEN,
        Some(Ppt::Div) => CLIAUTH_PPT_DIV,
        Some(Ppt::Rcd) => CLIAUTH_PPT_RCD,
        Some(Ppt::DivO) => CLIAUTH_PPT_DIV_O,
    }
}

/// The `attest` claim value of `attest`: "A", "B" or "C"; NULL for
/// `CLIAUTH_ATTEST_NONE` and unknown values.
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn cliauth_attest_name(attest: cliauth_attest) -> *const c_char {
    guard_or(std::ptr::null(), || {
        let name: Option<&CStr> = match attest {
            CLIAUTH_ATTEST_A => Some(c"A"),
            CLIAUTH_ATTEST_B => Some(c"B"),
            CLIAUTH_ATTEST_C => Some(c"C"),
            _ => None,
        };
        name.map_or(std::ptr::null(), CStr::as_ptr)
    })
}

/// The `ppt` value of `ppt`: "shaken", "div", "rcd" or "div-o"; NULL for
/// `CLIAUTH_PPT_BASE` and unknown values.
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn cliauth_ppt_name(ppt: cliauth_ppt) -> *const c_char {
    guard_or(std::ptr::null(), || {
        let name: Option<&CStr> = match ppt {
            CLIAUTH_PPT_SHAKEN => Some(c"shaken"),
            CLIAUTH_PPT_DIV => Some(c"div"),
            CLIAUTH_PPT_RCD => Some(c"rcd"),
            CLIAUTH_PPT_DIV_O => Some(c"div-o"),
            _ => None,
        };
        name.map_or(std::ptr::null(), CStr::as_ptr)
    })
}

/// The major version of the header: the `N` of the shared library's soname
/// `libcliauth.so.N`. The header also defines `CLIAUTH_VERSION_STRING`
/// ("MAJOR.MINOR.PATCH", from these three; `capi/cbindgen.toml`), which
/// `cliauth_version()` returns at run time for the library built from the same sources.
pub const CLIAUTH_VERSION_MAJOR: u32 = 0;
/// The minor version of the header.
pub const CLIAUTH_VERSION_MINOR: u32 = 1;
/// The patch version of the header.
pub const CLIAUTH_VERSION_PATCH: u32 = 0;

/// The version of libcliauth, e.g. "0.1.0": equal to the `CLIAUTH_VERSION_STRING` of the
/// header it was built with.
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn cliauth_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    guard_or(c"unknown".as_ptr(), || VERSION.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_library() {
        for a in [Attest::A, Attest::B, Attest::C] {
            let c = attest_to_c(Some(a));
            assert_eq!(attest_from_c(c), Some(Some(a)));
            // SAFETY: static C string.
            let name = unsafe { CStr::from_ptr(cliauth_attest_name(c)) };
            assert_eq!(name.to_str(), Ok(a.as_str()));
        }
        assert!(cliauth_attest_name(CLIAUTH_ATTEST_NONE).is_null());
        assert_eq!(attest_from_c(9), None);
        for p in Ppt::ALL {
            // SAFETY: static C string.
            let name = unsafe { CStr::from_ptr(cliauth_ppt_name(ppt_to_c(Some(p)))) };
            assert_eq!(name.to_str(), Ok(p.as_str()));
        }
        assert!(cliauth_ppt_name(CLIAUTH_PPT_BASE).is_null());
        // SAFETY: static C string.
        let v = unsafe { CStr::from_ptr(cliauth_version()) };
        assert_eq!(v.to_str(), Ok(env!("CARGO_PKG_VERSION")));
    }

    /// The header's version macros are literals (cbindgen copies them); they must follow
    /// the crate version in capi/Cargo.toml (`CLIAUTH_VERSION_STRING` is made from them).
    #[test]
    fn version_constants_follow_the_crate_version() {
        assert_eq!(
            CLIAUTH_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            CLIAUTH_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            CLIAUTH_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        assert_eq!(
            format!("{CLIAUTH_VERSION_MAJOR}.{CLIAUTH_VERSION_MINOR}.{CLIAUTH_VERSION_PATCH}"),
            env!("CARGO_PKG_VERSION")
        );
    }
}
