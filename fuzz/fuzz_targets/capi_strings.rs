//! The C API (`capi/`, libcliauth) through its exported functions, with arbitrary
//! NUL-terminated strings and byte buffers: Identity parsing, verification with a key
//! (full and compact form), ISUP encode and rebuild, signing (typed and from claims JSON),
//! signer and verifier construction from key bytes,
//! trust anchors, CRLs, certificate stores, and the static lookup functions.
//!
//! Input: one octet choosing the operation (modulo 9), then the operation's
//! arguments separated by NUL octets; the last argument keeps its NULs when it is a byte
//! buffer (a C string stops at its first NUL, as in C). Signing takes a flags octet first.
//!
//! Invariants:
//! * no call panics (`CLIAUTH_PANIC`, or libFuzzer's abort on the panic), every returned
//!   string is a valid C string, and every handle is freed (LeakSanitizer is on);
//! * every result agrees with the Rust API on the same input: success exactly when the
//!   Rust function succeeds, with the same output, and otherwise the result whose kind is
//!   the Rust error's kind (`CLIAUTH_INVALID_UTF8` for non-UTF-8 text, `CLIAUTH_ISUP` for
//!   ISUP errors that are not PASSporT errors);
//! * output buffers: `CLIAUTH_BUFFER_TOO_SMALL` with the needed length and the buffer
//!   untouched when it is one byte short, success when it fits exactly;
//! * what the C API signs, its verifier (the same key; `http` x5u URLs allowed when the
//!   signer was given one — it accepts them, a verifier by default does not) accepts for
//!   the same call.
#![no_main]

use std::ffi::{CStr, CString, c_char};
use std::ptr;
use std::sync::OnceLock;

use cliauth::cert::{Credential, TrustStore};
use cliauth::error::Part;
use cliauth::isup::{CompactToken, ConvertOptions, TokenError};
use cliauth::passport::json::parse_object;
use cliauth::{
    Call, Claims, Error, IdentityHeader, Passport, Ppt, Signer, Verifier, VerifierConfig,
    VerifyingKey,
};
use cliauth_capi::enums::{
    CLIAUTH_FORM_COMPACT_IDENTITY, cliauth_attest_name, cliauth_ppt_name, cliauth_version,
};
use cliauth_capi::identity::{
    cliauth_identity, cliauth_identity_alg, cliauth_identity_free, cliauth_identity_info,
    cliauth_identity_is_compact, cliauth_identity_parse, cliauth_identity_ppt,
    cliauth_identity_token,
};
use cliauth_capi::isup::{CLIAUTH_MAX_ISUP_TOKEN_LEN, cliauth_isup_encode, cliauth_isup_rebuild};
use cliauth_capi::result::{
    CLIAUTH_BUFFER_TOO_SMALL, CLIAUTH_INVALID_PARAMETER, CLIAUTH_INVALID_UTF8, CLIAUTH_ISUP,
    CLIAUTH_OK, CLIAUTH_PANIC, cliauth_result, cliauth_result_kind, cliauth_result_reason,
    cliauth_result_sip_code, cliauth_result_text,
};
use cliauth_capi::signer::{
    CLIAUTH_MAX_SIGNED_LEN, cliauth_signer, cliauth_signer_free, cliauth_signer_new_pem,
    cliauth_signer_sign, cliauth_signer_sign_json, cliauth_signer_sign_shaken,
};
use cliauth_capi::trust::{
    cliauth_store, cliauth_store_free, cliauth_store_insert, cliauth_store_new, cliauth_trust,
    cliauth_trust_add_anchors_pem, cliauth_trust_add_crls_pem, cliauth_trust_free,
    cliauth_trust_new,
};
use cliauth_capi::verdict::*;
use cliauth_capi::verifier::{
    cliauth_verifier, cliauth_verifier_free, cliauth_verifier_new_chain,
    cliauth_verifier_new_pubkey, cliauth_verifier_new_store, cliauth_verifier_set_allow_http_x5u,
    cliauth_verifier_verify, cliauth_verifier_verify_compact,
};
use cliauth_fuzz::{ANCHOR_PEM, CERT_NOW, fields, key};
use libfuzzer_sys::fuzz_target;

const FIXED_KEY_PEM: &[u8] = include_bytes!("../fixed-key.pem");
const IAT: i64 = 1_700_000_000;

/// A C string of `b` up to its first NUL.
fn cstr(b: &[u8]) -> CString {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    CString::new(&b[..end]).expect("no NUL before `end`")
}

/// A C string of `b`, or NULL (`None`) when empty.
fn opt_cstr(b: &[u8]) -> Option<CString> {
    (!b.is_empty()).then(|| cstr(b))
}

fn as_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |c| c.as_ptr())
}

/// Reads a returned string (NULL allowed), checking it is a C string.
fn read(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the API returns NULL or a NUL-terminated string valid until the next call
    // on its handle (checked here, before any such call).
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn kind(r: cliauth_result) -> String {
    read(cliauth_result_kind(r)).expect("kinds are never NULL")
}

/// The result the C API must give for a Rust outcome on text that was valid UTF-8.
fn expect_result<T, E: std::fmt::Debug>(
    r: cliauth_result,
    rust: &Result<T, E>,
    rust_kind: impl Fn(&E) -> String,
) {
    assert_ne!(r, CLIAUTH_PANIC);
    match rust {
        Ok(_) => assert_eq!(r, CLIAUTH_OK, "C failed ({}) where Rust succeeds", kind(r)),
        Err(e) => assert_eq!(kind(r), rust_kind(e), "C {r} vs Rust {e:?}"),
    }
}

fn error_kind(e: &Error) -> String {
    e.kind().to_owned()
}

fn isup_kind(e: &TokenError) -> String {
    match e {
        TokenError::Passport(inner) => inner.kind().to_owned(),
        _ => kind(CLIAUTH_ISUP),
    }
}

/// A verifier of the fixed key, `http` x5u URLs allowed or not (process-wide handles,
/// never freed: still reachable), and the same in Rust. The signer accepts `http`; a
/// verifier's default is `https` only, as ATIS-1000074 requires.
fn verifier(allow_http: bool) -> (*const cliauth_verifier, &'static Verifier) {
    static V: [OnceLock<(usize, Verifier)>; 2] = [OnceLock::new(), OnceLock::new()];
    let (v, rust) = V[usize::from(allow_http)].get_or_init(|| {
        let public = key().verifying_key();
        let pem = public.to_pem().expect("fixed key is on the curve");
        let mut v = ptr::null_mut();
        // SAFETY: a local buffer and out pointer; `v` is live when configured.
        unsafe {
            let r = cliauth_verifier_new_pubkey(pem.as_ptr(), pem.len(), &mut v);
            assert_eq!(r, CLIAUTH_OK);
            let r = cliauth_verifier_set_allow_http_x5u(v, allow_http);
            assert_eq!(r, CLIAUTH_OK);
        }
        let config = VerifierConfig {
            allow_http_x5u: allow_http,
            ..VerifierConfig::default()
        };
        (v as usize, Verifier::with_key(public).with_config(config))
    });
    (*v as *const cliauth_verifier, rust)
}

/// Every accessor of a verdict; the claims when the result is OK.
///
/// # Safety
/// `v` must be a live verdict.
unsafe fn read_verdict(v: *const cliauth_verdict) -> (cliauth_result, Option<String>) {
    // SAFETY: `v` is live (caller's guarantee); strings are read before the next call.
    unsafe {
        let r = cliauth_verdict_result(v);
        let _ = cliauth_verdict_sip_code(v);
        for s in [cliauth_verdict_reason(v), cliauth_verdict_verstat(v)] {
            assert!(read(s).is_some());
        }
        let _ = read(cliauth_verdict_reason_header(v));
        let _ = read(cliauth_verdict_error_text(v));
        let _ = read(cliauth_verdict_needed_url(v));
        let _ = (
            cliauth_verdict_attest(v),
            cliauth_verdict_ppt(v),
            cliauth_verdict_iat(v),
        );
        let _ = read(cliauth_verdict_orig(v));
        let n = cliauth_verdict_dest_count(v);
        for i in 0..=n {
            let d = read(cliauth_verdict_dest(v, i));
            assert_eq!(d.is_some(), i < n);
        }
        let _ = read(cliauth_verdict_origid(v));
        let _ = read(cliauth_verdict_div(v));
        let _ = read(cliauth_verdict_rcd_name(v));
        let _ = read(cliauth_verdict_spc(v));
        (r, read(cliauth_verdict_x5u(v)))
    }
}

/// Verifies with the fixed-key verifier and checks the verdict against the Rust verifier.
fn verify(
    identity: &[u8],
    orig: &Option<CString>,
    dest: &Option<CString>,
    now: i64,
    allow_http: bool,
) -> cliauth_result {
    let (handle, rust_verifier) = verifier(allow_http);
    let id = cstr(identity);
    let mut verdict = ptr::null_mut();
    // SAFETY: live verifier, C strings, local out pointer.
    let r = unsafe {
        cliauth_verifier_verify(
            handle,
            id.as_ptr(),
            as_ptr(orig),
            as_ptr(dest),
            now,
            &mut verdict,
        )
    };
    assert!(!verdict.is_null());
    // SAFETY: a verdict just returned.
    let (vr, x5u) = unsafe { read_verdict(verdict) };
    // SAFETY: freed once.
    unsafe { cliauth_verdict_free(verdict) };
    assert_eq!(vr, r);
    let text = (
        id.to_str(),
        orig.as_ref().map(|c| c.to_str()).transpose(),
        dest.as_ref().map(|c| c.to_str()).transpose(),
    );
    let (Ok(id), Ok(orig), Ok(dest)) = text else {
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
        return r;
    };
    let rust = rust_verifier.verify_identity(
        id,
        &Call {
            orig,
            dest,
            call_id: None,
        },
        now,
    );
    expect_result(r, &rust, error_kind);
    if let Ok(v) = &rust {
        assert_eq!(
            x5u.as_deref(),
            Some(v.header().x5u.split('\0').next().unwrap_or_default())
        );
    }
    r
}

/// Op 0: `cliauth_identity_parse` and its accessors.
fn identity(args: &[u8]) {
    let value = cstr(args);
    let mut h: *mut cliauth_identity = ptr::null_mut();
    // SAFETY: a C string and a local out pointer.
    let r = unsafe { cliauth_identity_parse(value.as_ptr(), &mut h) };
    let Ok(text) = value.to_str() else {
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
        assert!(h.is_null());
        return;
    };
    let rust = IdentityHeader::parse(text);
    expect_result(r, &rust, error_kind);
    if let Ok(want) = rust {
        // SAFETY: `h` is the live handle just returned; strings read before freeing.
        unsafe {
            assert_eq!(read(cliauth_identity_token(h)), Some(want.token.clone()));
            assert_eq!(read(cliauth_identity_info(h)), want.info.clone());
            assert_eq!(read(cliauth_identity_alg(h)).as_deref(), Some(want.alg()));
            assert_eq!(read(cliauth_identity_ppt(h)), want.ppt.clone());
            assert_eq!(cliauth_identity_is_compact(h), want.is_compact());
        }
    } else {
        assert!(h.is_null());
    }
    // SAFETY: NULL or the handle from above, freed once; NULL handles are accepted.
    unsafe {
        assert!(cliauth_identity_token(ptr::null()).is_null());
        cliauth_identity_free(h);
        cliauth_identity_free(ptr::null_mut());
    }
}

/// Op 1: verification with orig, dest and `now` (empty: the token's own `iat`).
fn verify_op(args: &[u8]) {
    let f = fields(args, 4);
    let (orig, dest) = (opt_cstr(f[1]), opt_cstr(f[2]));
    let now = std::str::from_utf8(f[3])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::str::from_utf8(f[0])
                .ok()
                .and_then(|s| IdentityHeader::parse(s).ok())
                .and_then(|h| Passport::parse(&h.token).ok().map(|(p, _)| p.claims.iat))
                .unwrap_or(IAT)
        });
    verify(f[0], &orig, &dest, now, false);
}

/// Op 2: ISUP encode of an Identity value, then rebuild of the compact token.
fn isup_encode(args: &[u8]) {
    let f = fields(args, 3);
    let (id, calling, called) = (cstr(f[0]), cstr(f[1]), cstr(f[2]));
    let mut buf = vec![0u8; CLIAUTH_MAX_ISUP_TOKEN_LEN];
    let mut len = 0usize;
    // SAFETY: C strings, a buffer of the length given, a local out pointer.
    let r = unsafe {
        cliauth_isup_encode(
            id.as_ptr(),
            calling.as_ptr(),
            called.as_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut len,
        )
    };
    let (Ok(id_s), Ok(calling_s), Ok(called_s)) = (id.to_str(), calling.to_str(), called.to_str())
    else {
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
        return;
    };
    let call = Call::new(calling_s, called_s);
    let rust = CompactToken::from_identity(id_s, &call, &ConvertOptions::default());
    expect_result(r, &rust, isup_kind);
    let Ok(want) = rust else {
        return;
    };
    assert_eq!(&buf[..len], want.token.as_bytes());

    // One byte short: the length, and the buffer untouched.
    let mut short = vec![0xa5u8; len - 1];
    let mut len2 = 0usize;
    // SAFETY: as above.
    let r = unsafe {
        cliauth_isup_encode(
            id.as_ptr(),
            calling.as_ptr(),
            called.as_ptr(),
            short.as_mut_ptr(),
            short.len(),
            &mut len2,
        )
    };
    assert_eq!((r, len2), (CLIAUTH_BUFFER_TOO_SMALL, len));
    assert!(short.iter().all(|&b| b == 0xa5));

    // The far end.
    let mut out = vec![0 as c_char; CLIAUTH_MAX_SIGNED_LEN];
    let mut n = 0usize;
    // SAFETY: the token bytes, C strings, an output buffer of the length given.
    let r = unsafe {
        cliauth_isup_rebuild(
            buf.as_ptr(),
            len,
            calling.as_ptr(),
            called.as_ptr(),
            out.as_mut_ptr(),
            out.len(),
            &mut n,
        )
    };
    assert_eq!(r, CLIAUTH_OK, "{}", kind(r));
    let rebuilt = read(out.as_ptr()).expect("a C string");
    assert_eq!(rebuilt.len(), n);
    let token = IdentityHeader::parse(id_s).expect("it converted").token;
    assert_eq!(IdentityHeader::parse(&rebuilt).map(|h| h.token), Ok(token));
}

/// Op 3: ISUP rebuild of arbitrary token bytes, with every kind of output buffer.
fn isup_rebuild(args: &[u8]) {
    let f = fields(args, 3);
    let (calling, called, token) = (cstr(f[0]), cstr(f[1]), f[2]);
    let rebuild = |buf: *mut c_char, len: usize, n: &mut usize| {
        // SAFETY: `token` is readable, C strings, `buf` NULL or valid for `len` bytes.
        unsafe {
            cliauth_isup_rebuild(
                token.as_ptr(),
                token.len(),
                calling.as_ptr(),
                called.as_ptr(),
                buf,
                len,
                n,
            )
        }
    };
    let mut n = 0usize;
    let r = rebuild(ptr::null_mut(), 0, &mut n);
    let (Ok(calling_s), Ok(called_s)) = (calling.to_str(), called.to_str()) else {
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
        return;
    };
    let rust = CompactToken::decode(token).and_then(|t| t.rebuild(&Call::new(calling_s, called_s)));
    let Ok(sip) = rust else {
        expect_result(r, &rust, isup_kind);
        return;
    };
    assert_eq!((r, n), (CLIAUTH_BUFFER_TOO_SMALL, sip.identity.len()));
    let mut exact = vec![0x5a as c_char; n + 1];
    let mut m = 0usize;
    assert_eq!(
        rebuild(exact.as_mut_ptr(), n, &mut m),
        CLIAUTH_BUFFER_TOO_SMALL
    );
    assert!(exact.iter().all(|&b| b == 0x5a));
    assert_eq!(rebuild(exact.as_mut_ptr(), n + 1, &mut m), CLIAUTH_OK);
    assert_eq!(m, n);
    assert_eq!(read(exact.as_ptr()), Some(sip.identity));
}

/// Op 4: signing with the fixed key (a flags octet for attest, ppt and form, then x5u,
/// numbers, origid, div, rcd name), then verification of what was signed.
fn sign(args: &[u8]) {
    let Some((&flags, args)) = args.split_first() else {
        return;
    };
    let f = fields(args, 7);
    let x5u = cstr(f[0]);
    let mut signer: *mut cliauth_signer = ptr::null_mut();
    // SAFETY: the key bytes, a C string, a local out pointer.
    let r = unsafe {
        cliauth_signer_new_pem(
            FIXED_KEY_PEM.as_ptr(),
            FIXED_KEY_PEM.len(),
            x5u.as_ptr(),
            &mut signer,
        )
    };
    let Ok(x5u_s) = x5u.to_str() else {
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
        return;
    };
    let rust = Signer::from_pem(FIXED_KEY_PEM, x5u_s);
    expect_result(r, &rust, error_kind);
    if r != CLIAUTH_OK {
        return;
    }
    let orig = cstr(f[1]);
    let dests: Vec<CString> = [f[2], f[3]]
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| cstr(d))
        .collect();
    let dest_ptrs: Vec<*const c_char> = dests.iter().map(|d| d.as_ptr()).collect();
    let (origid, div, rcd) = (opt_cstr(f[4]), opt_cstr(f[5]), opt_cstr(f[6]));
    // Each in its range, or (rarely) one past it: an invalid value.
    let attest = u32::from(flags & 7) % 5;
    let ppt = u32::from(flags >> 3 & 7) % 5;
    let form = u32::from(flags >> 6);
    let mut out = vec![0 as c_char; CLIAUTH_MAX_SIGNED_LEN];
    let mut n = 0usize;
    for which in 0..2 {
        // SAFETY: a live signer, C strings and an array of `dest_ptrs.len()` of them, an
        // output buffer of the length given.
        let r = unsafe {
            if which == 0 {
                cliauth_signer_sign_shaken(
                    signer,
                    orig.as_ptr(),
                    dest_ptrs.as_ptr(),
                    dest_ptrs.len(),
                    attest,
                    as_ptr(&origid),
                    IAT,
                    form,
                    out.as_mut_ptr(),
                    out.len(),
                    &mut n,
                )
            } else {
                cliauth_signer_sign(
                    signer,
                    ppt,
                    orig.as_ptr(),
                    dest_ptrs.as_ptr(),
                    dest_ptrs.len(),
                    attest,
                    as_ptr(&origid),
                    as_ptr(&div),
                    as_ptr(&rcd),
                    IAT,
                    form,
                    out.as_mut_ptr(),
                    out.len(),
                    &mut n,
                )
            }
        };
        assert_ne!(r, CLIAUTH_PANIC);
        assert_ne!(
            r, CLIAUTH_BUFFER_TOO_SMALL,
            "CLIAUTH_MAX_SIGNED_LEN is too small: {n}"
        );
        if r != CLIAUTH_OK || form == CLIAUTH_FORM_COMPACT_IDENTITY {
            continue;
        }
        let signed = read(out.as_ptr()).expect("a C string");
        assert_eq!(signed.len(), n);
        let dest = dests.first().cloned();
        let http = x5u_s.starts_with("http://");
        let v = verify(signed.as_bytes(), &Some(orig.clone()), &dest, IAT, http);
        assert_eq!(
            v,
            CLIAUTH_OK,
            "signed {signed:?} fails verification: {}",
            kind(v)
        );
    }
    // SAFETY: freed once.
    unsafe { cliauth_signer_free(signer) };
}

/// Op 5: a signer and a key verifier from arbitrary key bytes.
fn keys(args: &[u8]) {
    let f = fields(args, 2);
    let (x5u, key) = (cstr(f[0]), f[1]);
    let mut signer: *mut cliauth_signer = ptr::null_mut();
    // SAFETY: readable key bytes, a C string, a local out pointer.
    let r = unsafe { cliauth_signer_new_pem(key.as_ptr(), key.len(), x5u.as_ptr(), &mut signer) };
    if let Ok(x5u_s) = x5u.to_str() {
        expect_result(r, &Signer::from_pem(key, x5u_s), error_kind);
    } else {
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
    }
    assert_eq!(signer.is_null(), r != CLIAUTH_OK);
    // SAFETY: NULL or the live signer, freed once.
    unsafe { cliauth_signer_free(signer) };

    let mut v: *mut cliauth_verifier = ptr::null_mut();
    // SAFETY: readable key bytes, a local out pointer.
    let r = unsafe { cliauth_verifier_new_pubkey(key.as_ptr(), key.len(), &mut v) };
    expect_result(r, &VerifyingKey::from_pem_or_der(key), error_kind);
    // SAFETY: NULL or the live verifier, freed once.
    unsafe { cliauth_verifier_free(v) };
}

/// Op 6: a trust with the fixed anchor plus the input as CRLs and as anchors; a store
/// inserting the input as the chain of a URL; a store verifier; a chain verifier, whose
/// result must be `Credential::validate`'s with the same anchors and CRLs.
fn trust(args: &[u8]) {
    let f = fields(args, 3);
    let (url, now, data) = (cstr(f[0]), f[1], f[2]);
    let now = std::str::from_utf8(now)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CERT_NOW);
    // The same trust in Rust: what the C API accepted, in the same order.
    let mut rust = TrustStore::new();
    rust.add_anchors(ANCHOR_PEM).expect("fixed anchor");
    let mut t: *mut cliauth_trust = ptr::null_mut();
    let mut count = 0usize;
    // SAFETY: local out pointers, readable buffers, live handles freed once at the end.
    unsafe {
        assert_eq!(cliauth_trust_new(&mut t), CLIAUTH_OK);
        let r = cliauth_trust_add_anchors_pem(t, ANCHOR_PEM.as_ptr(), ANCHOR_PEM.len(), &mut count);
        assert_eq!((r, count), (CLIAUTH_OK, 1));
        let crls = TrustStore::new().add_crls(data);
        let r = cliauth_trust_add_crls_pem(t, data.as_ptr(), data.len(), &mut count);
        expect_result(r, &crls, error_kind);
        let anchors = TrustStore::new().add_anchors(data);
        let r = cliauth_trust_add_anchors_pem(t, data.as_ptr(), data.len(), ptr::null_mut());
        expect_result(r, &anchors, error_kind);
        if anchors.is_ok() {
            rust.add_anchors(data).expect("accepted above");
        }
        if crls.is_ok() {
            rust.add_crls(data).expect("accepted above");
        }

        let mut store: *mut cliauth_store = ptr::null_mut();
        let r = cliauth_store_new(t, &mut store);
        assert_eq!(r, CLIAUTH_OK, "{}", kind(r));
        let r = cliauth_store_insert(store, url.as_ptr(), data.as_ptr(), data.len(), now, -1);
        assert_ne!(r, CLIAUTH_PANIC);
        let mut v: *mut cliauth_verifier = ptr::null_mut();
        assert_eq!(cliauth_verifier_new_store(store, &mut v), CLIAUTH_OK);
        cliauth_store_free(store);
        let mut verdict = ptr::null_mut();
        let r =
            cliauth_verifier_verify(v, url.as_ptr(), ptr::null(), ptr::null(), now, &mut verdict);
        assert_ne!(r, CLIAUTH_PANIC);
        let _ = read_verdict(verdict);
        cliauth_verdict_free(verdict);
        cliauth_verifier_free(v);

        let mut v: *mut cliauth_verifier = ptr::null_mut();
        let r = cliauth_verifier_new_chain(t, data.as_ptr(), data.len(), now, &mut v);
        expect_result(r, &Credential::validate(&rust, data, now), error_kind);
        assert_eq!(v.is_null(), r != CLIAUTH_OK);
        cliauth_verifier_free(v);
        cliauth_trust_free(t);
    }
}

/// Op 8: signing claims given as JSON (`cliauth_signer_sign_json`: a flags octet for ppt
/// and form, then the JSON), compared with the Rust signer; what it signs verifies —
/// full form with `cliauth_verifier_verify`, compact form with
/// `cliauth_verifier_verify_compact` and the same JSON; and the JSON as the claims of a
/// fixed compact Identity value (`cliauth_verifier_verify_compact`): a verdict, no panic.
fn sign_json(args: &[u8]) {
    let Some((&flags, json)) = args.split_first() else {
        return;
    };
    let json = cstr(json);
    let ppt = u32::from(flags & 7) % 6;
    let form = u32::from(flags >> 3 & 3);
    let mut signer: *mut cliauth_signer = ptr::null_mut();
    let x5u = c"https://cert.example.net/fuzz.pem";
    let mut out = vec![0 as c_char; CLIAUTH_MAX_SIGNED_LEN];
    let mut n = 0usize;
    // SAFETY: the key bytes, C strings, a local out pointer, a live signer, an output
    // buffer of the length given; the signer is freed once.
    let r = unsafe {
        let r = cliauth_signer_new_pem(
            FIXED_KEY_PEM.as_ptr(),
            FIXED_KEY_PEM.len(),
            x5u.as_ptr(),
            &mut signer,
        );
        assert_eq!(r, CLIAUTH_OK);
        let r = cliauth_signer_sign_json(
            signer,
            ppt,
            json.as_ptr(),
            form,
            out.as_mut_ptr(),
            out.len(),
            &mut n,
        );
        cliauth_signer_free(signer);
        r
    };
    assert_ne!(r, CLIAUTH_PANIC);
    assert_ne!(
        r, CLIAUTH_BUFFER_TOO_SMALL,
        "CLIAUTH_MAX_SIGNED_LEN is too small: {n}"
    );
    let Ok(text) = json.to_str() else {
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
        return;
    };
    let ppt_rust = match ppt {
        0 => Some(None),
        1 => Some(Some(Ppt::Shaken)),
        2 => Some(Some(Ppt::Div)),
        3 => Some(Some(Ppt::Rcd)),
        4 => Some(Some(Ppt::DivO)),
        _ => None,
    };
    let claims = parse_object(text.as_bytes(), Part::Claims).and_then(Claims::from_json);
    if let (Some(p), Ok(c), true) = (ppt_rust, &claims, form < 3) {
        let rust = cliauth_fuzz::signer().sign(p, c);
        expect_result(r, &rust, error_kind);
    }
    if r != CLIAUTH_OK {
        return;
    }
    let signed = read(out.as_ptr()).expect("a C string");
    assert_eq!(signed.len(), n);
    let iat = claims.as_ref().map_or(IAT, |c| c.iat);
    let (handle, _) = verifier(false);
    let id = CString::new(signed.clone()).expect("no NUL in a signed value");
    let mut verdict = ptr::null_mut();
    // SAFETY: a live verifier, C strings, a local out pointer; the verdict is freed once.
    let v = unsafe {
        let v = if form == CLIAUTH_FORM_COMPACT_IDENTITY {
            cliauth_verifier_verify_compact(
                handle,
                id.as_ptr(),
                ppt,
                json.as_ptr(),
                ptr::null(),
                ptr::null(),
                iat,
                &mut verdict,
            )
        } else {
            cliauth_verifier_verify(
                handle,
                id.as_ptr(),
                ptr::null(),
                ptr::null(),
                iat,
                &mut verdict,
            )
        };
        let _ = read_verdict(verdict);
        cliauth_verdict_free(verdict);
        v
    };
    assert_eq!(
        v,
        CLIAUTH_OK,
        "signed {signed:?} fails verification: {}",
        kind(v)
    );
}

/// A compact Identity value for `sign_json`'s second check.
const COMPACT: &CStr = c"..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;info=<https://cert.example.net/fuzz.pem>;alg=ES256;ppt=shaken";

/// Op 8, second part: arbitrary claims JSON for a fixed compact value.
fn verify_compact_claims(args: &[u8]) {
    let Some((&flags, json)) = args.split_first() else {
        return;
    };
    let json = cstr(json);
    let (handle, _) = verifier(false);
    let mut verdict = ptr::null_mut();
    // SAFETY: a live verifier, C strings, a local out pointer; the verdict is freed once.
    unsafe {
        let r = cliauth_verifier_verify_compact(
            handle,
            COMPACT.as_ptr(),
            u32::from(flags & 7),
            json.as_ptr(),
            ptr::null(),
            ptr::null(),
            IAT,
            &mut verdict,
        );
        assert_ne!(r, CLIAUTH_PANIC);
        // An all-zero signature never verifies.
        assert_ne!(r, CLIAUTH_OK);
        // A verdict for every result but an unknown ppt (documented: no verdict then).
        assert_eq!(
            verdict.is_null(),
            r == CLIAUTH_INVALID_PARAMETER,
            "{}",
            kind(r)
        );
        if !verdict.is_null() {
            let (vr, _) = read_verdict(verdict);
            assert_eq!(vr, r);
        }
        cliauth_verdict_free(verdict);
    }
}

/// Op 7: the static lookups, with a code from the input.
fn statics(args: &[u8]) {
    let mut b = [0u8; 4];
    for (d, s) in b.iter_mut().zip(args) {
        *d = *s;
    }
    let code = u32::from_le_bytes(b) % 512;
    assert!(read(cliauth_result_text(code)).is_some());
    assert!(read(cliauth_result_kind(code)).is_some());
    assert!(read(cliauth_result_reason(code)).is_some());
    let _ = cliauth_result_sip_code(code);
    let _ = read(cliauth_attest_name(code));
    let _ = read(cliauth_ppt_name(code));
    assert!(read(cliauth_version()).is_some());
}

fuzz_target!(|data: &[u8]| {
    let Some((&op, args)) = data.split_first() else {
        return;
    };
    match op % 9 {
        0 => identity(args),
        1 => verify_op(args),
        2 => isup_encode(args),
        3 => isup_rebuild(args),
        4 => sign(args),
        5 => keys(args),
        6 => trust(args),
        7 => statics(args),
        _ => {
            sign_json(args);
            verify_compact_claims(args);
        }
    }
});
