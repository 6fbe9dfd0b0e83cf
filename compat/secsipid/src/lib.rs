//! # cliauth-secsipid — a drop-in `libsecsipid.so.1` on cliauth
//!
//! This crate builds a shared library with the C ABI of libsecsipid 1.2 (the library
//! behind Kamailio's `secsipid` module and the `secsipidx` tool) whose work is done by
//! cliauth: a program linked against `libsecsipid.so.1` (Kamailio's `secsipid_proc.so`)
//! uses it when it is found first by the dynamic loader — `LD_LIBRARY_PATH` pointing at a
//! directory holding this library under the name `libsecsipid.so.1` (the soname is set by
//! `build.rs`).
//!
//! The ABI was written from libsecsipid's public header (`secsipid.h`,
//! `libsecsipid.h`), its documentation, Kamailio's module documentation and the observed
//! behaviour of Debian's library and `secsipidx`; `tests/kamailio/abi_probe.c` runs the
//! same calls against both libraries and `tests/kamailio/run.sh` diffs the results.
//!
//! | function | returns |
//! |---|---|
//! | `SecSIPIDSignJSONHP(hdr, payload, keyPath, &out)` | length of `*out` (the token); 0 on failure (`*out` = "") |
//! | `SecSIPIDGetIdentity(orig, dest, attest, origID, x5u, keyPath, &out)` | length of `*out` (the Identity value), or a code < 0 (`*out` = "") |
//! | `SecSIPIDGetIdentityPrvKey(…, keyData, &out)` | same, the key given as PEM text |
//! | `SecSIPIDCheck(token, len, expire, keyPath, timeout)` | 0 valid, or a code < 0 |
//! | `SecSIPIDCheckFull(value, len, expire, keyPath, timeout)` | 0 valid, or a code < 0; `keyPath` "" fetches the key from `info` |
//! | `SecSIPIDCheckFullPubKey(value, len, expire, keyVal, keyLen)` | 0 valid, or a code < 0; a bare token is accepted too |
//! | `SecSIPIDSetFileCacheOptions(dir, expire)` | 0 |
//! | `SecSIPIDGetURLContent(url, timeout, &out, &outLen)` | 0 (`*out` = body), or -401…-404 (`*out` = NULL) |
//! | `SecSIPIDOptSetS(name, value)`, `SecSIPIDOptSetN(name, n)`, `SecSIPIDOptSetV("name=value")` | 0 set, -1 unknown option |
//!
//! The codes are listed in [`codes`]; the options in [`options`]. Strings returned through
//! `out` are allocated with C `malloc` and NUL-terminated: the caller releases them with
//! `free()`, exactly as Kamailio does with libsecsipid's.
//!
//! Differences from libsecsipid, on purpose: verification is cliauth's (strict token
//! parsing, the `info` parameter must equal `x5u`, `iat` at most `expire` seconds in the
//! future, SIP parameter names case-insensitive, PASSporT extensions other than `shaken`
//! accepted when consistent); signing refuses numbers that are not telephone numbers, an
//! attestation other than A/B/C and an empty x5u (-1); `https` downloads follow the ATIS
//! x5u rules; a NULL identity value is an empty one (-301, as in libsecsipid for length 0),
//! NULL key paths and values read as "", and where libsecsipid crashes (negative lengths,
//! NULL output pointers or option names) we return -1; options are set under a lock. See
//! the modules for details.
//!
//! **Security:** with no key path and `CertVerify` 0 (the default), the checks trust
//! whatever key the `info` URL serves; the first such check of a process writes a warning
//! to stderr and to the call log ([`check::UNVERIFIED_INFO_KEY_WARNING`]).
//!
//! Diagnostics: when the environment variable `CLIAUTH_SECSIPID_LOG` names a file, every
//! call appends one line `cliauth-secsipid pid=<pid> <function> ret=<code>` to it (how the
//! Kamailio test proves which library served the calls).

// The exported names and parameter names are libsecsipid's (C ABI, from its header).
#![allow(non_snake_case)]

use std::ffi::{CStr, c_char, c_int};
use std::panic::AssertUnwindSafe;

pub mod certs;
pub mod check;
pub mod codes;
pub mod keys;
pub mod options;
pub mod sign;
pub mod url;

mod calllog;

use check::Form;
use keys::PubSource;
use sign::PrvSource;

/// Runs `f` behind a panic boundary: a panic becomes [`codes::ERR`]. Logs the call.
fn guard(name: &'static str, f: impl FnOnce() -> c_int) -> c_int {
    let r = std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or(codes::ERR);
    calllog::call(name, r);
    r
}

/// The bytes of a NUL-terminated C string; `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and unchanged for
/// `'a`.
unsafe fn c_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        return None;
    }
    // SAFETY: not NULL, and the caller guarantees a valid NUL-terminated string.
    Some(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// A C string as UTF-8 text; NULL reads as "" (as libsecsipid does); `Err` when it is not
/// UTF-8.
///
/// # Safety
/// As [`c_bytes`].
unsafe fn c_text<'a>(p: *const c_char) -> Result<&'a str, c_int> {
    // SAFETY: forwarded contract.
    let b = unsafe { c_bytes(p) }.unwrap_or(b"");
    std::str::from_utf8(b).map_err(|_| codes::ERR)
}

/// `len` bytes at `p`, or the NUL-terminated string at `p` when `len` is 0 (the
/// libsecsipid convention). `None` for NULL or a negative length.
///
/// # Safety
/// `p` is NULL, or points to `len` readable bytes (`len` > 0), or to a NUL-terminated
/// string (`len` = 0), valid for `'a`.
unsafe fn c_bytes_n<'a>(p: *const c_char, len: c_int) -> Option<&'a [u8]> {
    if p.is_null() || len < 0 {
        return None;
    }
    if len == 0 {
        // SAFETY: forwarded contract (NUL-terminated when len is 0).
        return unsafe { c_bytes(p) };
    }
    // SAFETY: the caller guarantees `len` readable bytes at `p`.
    Some(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len as usize) })
}

/// Copies `s` into a new `malloc`ed NUL-terminated string; NULL when out of memory.
fn c_string(s: &[u8]) -> *mut c_char {
    // SAFETY: malloc has no preconditions; the result is checked for NULL.
    let p = unsafe { libc::malloc(s.len() + 1) }.cast::<u8>();
    if p.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `p` has room for `s.len() + 1` bytes and does not overlap `s`.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
        *p.add(s.len()) = 0;
    }
    p.cast()
}

/// Stores a new C string holding `s` in `*out` (when `out` is not NULL); returns its
/// length as the ABI's `int`, or -1 if it cannot be allocated or is too long.
///
/// # Safety
/// `out` is NULL or valid for a pointer write.
unsafe fn put_out(out: *mut *mut c_char, s: &[u8]) -> c_int {
    let Ok(len) = c_int::try_from(s.len()) else {
        return codes::ERR;
    };
    let p = c_string(s);
    if !out.is_null() {
        // SAFETY: the caller guarantees `out` is writable.
        unsafe { *out = p };
    } else if !p.is_null() {
        // SAFETY: `p` came from malloc above and is not stored anywhere.
        unsafe { libc::free(p.cast()) };
    }
    if p.is_null() { codes::ERR } else { len }
}

/// Signs a JSON header and payload (each trimmed, signed as given) with the private key
/// in the file `prvkeyPath`, and stores the compact JWS in `*outPtr`.
///
/// Returns the length of `*outPtr`, or 0 on failure (`*outPtr` is then an empty string),
/// as libsecsipid 1.2 does; -1 when `outPtr` is NULL. `*outPtr` must be released with
/// `free()`.
///
/// # Safety
/// The string arguments are NULL (read as "") or NUL-terminated strings; `outPtr` is NULL
/// or valid for a pointer write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDSignJSONHP(
    headerJSON: *mut c_char,
    payloadJSON: *mut c_char,
    prvkeyPath: *mut c_char,
    outPtr: *mut *mut c_char,
) -> c_int {
    guard("SecSIPIDSignJSONHP", || {
        if outPtr.is_null() {
            return codes::ERR;
        }
        // SAFETY: the caller's contract covers each argument.
        let args = unsafe { (c_text(headerJSON), c_text(payloadJSON), c_text(prvkeyPath)) };
        let token = match args {
            (Ok(h), Ok(p), Ok(k)) => sign::sign_json(h, p, k).unwrap_or_default(),
            _ => String::new(),
        };
        // SAFETY: `outPtr` is not NULL and writable (caller's contract).
        let n = unsafe { put_out(outPtr, token.as_bytes()) };
        n.max(0)
    })
}

/// The shared body of the two `GetIdentity` functions.
///
/// # Safety
/// As [`SecSIPIDGetIdentity`].
unsafe fn get_identity(
    args: [*mut c_char; 5],
    key: impl FnOnce() -> Result<Vec<u8>, c_int>,
    by_path: bool,
    out: *mut *mut c_char,
) -> c_int {
    if out.is_null() {
        return codes::ERR;
    }
    let result = (|| {
        // SAFETY: the caller's contract covers each argument.
        let [orig, dest, attest, origid, x5u] = args.map(|p| unsafe { c_text(p) });
        let key = key()?;
        let key_src = if by_path {
            PrvSource::Path(std::str::from_utf8(&key).map_err(|_| codes::ERR)?)
        } else {
            PrvSource::Data(&key)
        };
        sign::get_identity(orig?, dest?, attest?, origid?, x5u?, key_src, check::now())
    })();
    match result {
        // SAFETY: `out` is not NULL and writable (caller's contract).
        Ok(v) => unsafe { put_out(out, v.as_bytes()) },
        Err(code) => {
            // SAFETY: as above; libsecsipid leaves an empty string on failure.
            unsafe { put_out(out, b"") };
            code
        }
    }
}

/// Builds the SHAKEN Identity header value for a call from `origTN` to `destTN` with
/// attestation `attestVal`, origination id `origID` ("" or NULL: a new UUID), certificate
/// URL `x5uVal`, signed with the private key in the file `prvkeyPath`.
///
/// Returns the length of `*outPtr`, or a negative code (`*outPtr` is then ""); -1 when
/// `outPtr` is NULL. `*outPtr` must be released with `free()`.
///
/// # Safety
/// The string arguments are NULL (read as "") or NUL-terminated strings; `outPtr` is NULL
/// or valid for a pointer write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDGetIdentity(
    origTN: *mut c_char,
    destTN: *mut c_char,
    attestVal: *mut c_char,
    origID: *mut c_char,
    x5uVal: *mut c_char,
    prvkeyPath: *mut c_char,
    outPtr: *mut *mut c_char,
) -> c_int {
    guard("SecSIPIDGetIdentity", || {
        let key = || {
            // SAFETY: the caller's contract covers `prvkeyPath`.
            unsafe { c_bytes(prvkeyPath) }
                .map(<[u8]>::to_vec)
                .ok_or(codes::FILE_READ)
        };
        // SAFETY: forwarded contract.
        unsafe {
            get_identity(
                [origTN, destTN, attestVal, origID, x5uVal],
                key,
                true,
                outPtr,
            )
        }
    })
}

/// As [`SecSIPIDGetIdentity`], with the private key given as PEM text in `prvkeyData`.
///
/// # Safety
/// As [`SecSIPIDGetIdentity`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDGetIdentityPrvKey(
    origTN: *mut c_char,
    destTN: *mut c_char,
    attestVal: *mut c_char,
    origID: *mut c_char,
    x5uVal: *mut c_char,
    prvkeyData: *mut c_char,
    outPtr: *mut *mut c_char,
) -> c_int {
    guard("SecSIPIDGetIdentityPrvKey", || {
        let key = || {
            // SAFETY: the caller's contract covers `prvkeyData`.
            Ok(unsafe { c_bytes(prvkeyData) }.unwrap_or(b"").to_vec())
        };
        // SAFETY: forwarded contract.
        unsafe {
            get_identity(
                [origTN, destTN, attestVal, origID, x5uVal],
                key,
                false,
                outPtr,
            )
        }
    })
}

/// Where the key of a check comes from, given a key path argument.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
unsafe fn key_location<'a>(p: *const c_char) -> Result<&'a str, c_int> {
    // SAFETY: forwarded contract.
    unsafe { c_text(p) }
}

/// Checks a bare token (no Identity parameters): `identityLen` bytes at `identityVal`
/// (0: NUL-terminated), valid for `expireVal` seconds, with the public key or certificate
/// at `pubkeyPath` (a file, `file://`, `http://` or `https://` URL; `timeoutVal` seconds
/// for a download).
///
/// Returns 0 when valid, else a negative code.
///
/// # Safety
/// `identityVal` is NULL or holds `identityLen` readable bytes (NUL-terminated when 0);
/// `pubkeyPath` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDCheck(
    identityVal: *mut c_char,
    identityLen: c_int,
    expireVal: c_int,
    pubkeyPath: *mut c_char,
    timeoutVal: c_int,
) -> c_int {
    guard("SecSIPIDCheck", || {
        if identityLen < 0 {
            return codes::ERR;
        }
        // SAFETY: the caller's contract covers both pointers.
        let (value, loc) = unsafe {
            (
                c_bytes_n(identityVal, identityLen),
                key_location(pubkeyPath),
            )
        };
        let Some(value) = value else {
            return codes::SIP_HDR_PARSE;
        };
        let loc = match loc {
            Ok(l) => l,
            Err(c) => return c,
        };
        check::check(
            value,
            Form::Token,
            expireVal,
            Some(PubSource::Location(loc)),
            timeoutVal,
        )
    })
}

/// Checks an Identity header value with its parameters (`token;info=<…>;alg=…;ppt=…`):
/// `identityLen` bytes at `identityVal` (0: NUL-terminated), valid for `expireVal`
/// seconds, with the key at `pubkeyPath` (file or URL; NULL or "": downloaded from the
/// `info` parameter), `timeoutVal` seconds for a download.
///
/// Returns 0 when valid, else a negative code.
///
/// # Safety
/// As [`SecSIPIDCheck`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDCheckFull(
    identityVal: *mut c_char,
    identityLen: c_int,
    expireVal: c_int,
    pubkeyPath: *mut c_char,
    timeoutVal: c_int,
) -> c_int {
    guard("SecSIPIDCheckFull", || {
        if identityLen < 0 {
            return codes::ERR;
        }
        // SAFETY: the caller's contract covers both pointers.
        let (value, loc) = unsafe {
            (
                c_bytes_n(identityVal, identityLen),
                key_location(pubkeyPath),
            )
        };
        let Some(value) = value else {
            return codes::SIP_HDR_PARSE;
        };
        let src = match loc {
            Ok("") => None,
            Ok(l) => Some(PubSource::Location(l)),
            Err(c) => return c,
        };
        check::check(value, Form::Full, expireVal, src, timeoutVal)
    })
}

/// Checks an Identity header value with its parameters (or, as libsecsipid allows here, a
/// bare token) against the public key (or certificate) given as PEM text: `pubkeyLen`
/// bytes at `pubkeyVal` (0: NUL-terminated).
///
/// Returns 0 when valid, else a negative code.
///
/// # Safety
/// `identityVal` and `pubkeyVal` are NULL or hold the given number of readable bytes
/// (NUL-terminated when the length is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDCheckFullPubKey(
    identityVal: *mut c_char,
    identityLen: c_int,
    expireVal: c_int,
    pubkeyVal: *mut c_char,
    pubkeyLen: c_int,
) -> c_int {
    guard("SecSIPIDCheckFullPubKey", || {
        if identityLen < 0 || pubkeyLen < 0 {
            return codes::ERR;
        }
        // SAFETY: the caller's contract covers both pointers and lengths.
        let (value, key) = unsafe {
            (
                c_bytes_n(identityVal, identityLen),
                c_bytes_n(pubkeyVal, pubkeyLen),
            )
        };
        let Some(value) = value else {
            return codes::SIP_HDR_PARSE;
        };
        let key = key.unwrap_or(b"");
        check::check(
            value,
            Form::FullOrToken,
            expireVal,
            Some(PubSource::Data(key)),
            5,
        )
    })
}

/// Sets the file cache of downloaded keys: the directory (`dirPath`, "" or NULL: no
/// cache) and how long a cached file is used (`expireVal` seconds). Returns 0.
///
/// # Safety
/// `dirPath` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDSetFileCacheOptions(
    dirPath: *mut c_char,
    expireVal: c_int,
) -> c_int {
    guard("SecSIPIDSetFileCacheOptions", || {
        // SAFETY: the caller's contract covers `dirPath`.
        let dir = unsafe { c_text(dirPath) }.unwrap_or("");
        options::set_file_cache(dir, i64::from(expireVal));
        codes::OK
    })
}

/// Downloads `urlVal` (`http://` or `https://`) within `timeoutVal` seconds: on success
/// returns 0 and stores the body (NUL-terminated, released with `free()`) in `*outPtr`
/// and its length in `*outLen`; on failure returns -401 (bad URL), -402 (GET failed),
/// -403 (status not 200) or -404 (body) and sets `*outPtr` to NULL; -1 when `outPtr` is
/// NULL.
///
/// # Safety
/// `urlVal` is NULL or a NUL-terminated string; `outPtr` and `outLen` are NULL or valid
/// for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDGetURLContent(
    urlVal: *mut c_char,
    timeoutVal: c_int,
    outPtr: *mut *mut c_char,
    outLen: *mut c_int,
) -> c_int {
    guard("SecSIPIDGetURLContent", || {
        if outPtr.is_null() {
            return codes::ERR;
        }
        // SAFETY: `outPtr` is not NULL and writable (caller's contract).
        unsafe { *outPtr = std::ptr::null_mut() };
        // SAFETY: the caller's contract covers `urlVal`.
        let url = match unsafe { c_bytes(urlVal) }.map(std::str::from_utf8) {
            Some(Ok(u)) => u,
            _ => return codes::HTTP_INVALID_URL,
        };
        let body = match url::get_url_content(url, timeoutVal) {
            Ok(b) => b,
            Err(c) => return c,
        };
        // SAFETY: `outPtr` is writable (caller's contract).
        let len = unsafe { put_out(outPtr, &body) };
        if len < 0 {
            return codes::HTTP_READ_BODY;
        }
        if !outLen.is_null() {
            // SAFETY: not NULL, writable (caller's contract).
            unsafe { *outLen = len };
        }
        codes::OK
    })
}

/// Sets a string option (`CacheDirPath`, `CertCAFile`, `CertCAInter`, `CertCRLFile`).
/// Returns 0, or -1 for an unknown name.
///
/// # Safety
/// `optName` and `optVal` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDOptSetS(optName: *mut c_char, optVal: *mut c_char) -> c_int {
    guard("SecSIPIDOptSetS", || {
        // SAFETY: the caller's contract covers both pointers.
        let (name, val) = unsafe { (c_bytes(optName), c_text(optVal)) };
        match (name.map(std::str::from_utf8), val) {
            (Some(Ok(n)), Ok(v)) if options::set_str(n, v) => codes::OK,
            _ => codes::ERR,
        }
    })
}

/// Sets a number option (`CacheExpires`, `CertVerify`). Returns 0, or -1 for an unknown
/// name.
///
/// # Safety
/// `optName` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDOptSetN(optName: *mut c_char, optVal: c_int) -> c_int {
    guard("SecSIPIDOptSetN", || {
        // SAFETY: the caller's contract covers `optName`.
        match unsafe { c_bytes(optName) }.map(std::str::from_utf8) {
            Some(Ok(n)) if options::set_num(n, i64::from(optVal)) => codes::OK,
            _ => codes::ERR,
        }
    })
}

/// Sets an option from `name=value` text. Returns 0, or -1 (no `=`, unknown name, NULL).
///
/// # Safety
/// `optNameVal` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SecSIPIDOptSetV(optNameVal: *mut c_char) -> c_int {
    guard("SecSIPIDOptSetV", || {
        // SAFETY: the caller's contract covers `optNameVal`.
        match unsafe { c_bytes(optNameVal) }.map(std::str::from_utf8) {
            Some(Ok(spec)) if options::set_name_value(spec) => codes::OK,
            _ => codes::ERR,
        }
    })
}

#[cfg(test)]
pub(crate) mod test_support;
