//! The exported functions called from Rust as C would call them: the edge cases that are
//! awkward to reach from the C examples (NULL and out-of-range arguments, invalid UTF-8,
//! fetch callback failures, handle lifetimes).

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr::{null, null_mut};

use cliauth_core::cert::testpki::{TestPki, TestPkiOptions};
use cliauth_core::key::pkcs8_pem;
use cliauth_core::{Attest, Signer, SigningKey};

use crate::enums::*;
use crate::identity::*;
use crate::isup::*;
use crate::result::*;
use crate::signer::*;
use crate::trust::*;
use crate::verdict::*;
use crate::verifier::*;

const NOW: i64 = 1_700_000_000;
const X5U: &CStr = c"https://cert.example.net/sp.pem";

fn text(p: *const c_char) -> Option<String> {
    // SAFETY: NULL or a string owned by a live handle (or static) in the calling test.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// A signer and a public-key verifier for a new key.
fn pair() -> (*mut cliauth_signer, *mut cliauth_verifier) {
    let (key, der) = SigningKey::generate().unwrap();
    let key_pem = pkcs8_pem(&der);
    let pub_pem = key.verifying_key().to_pem().unwrap();
    let mut signer = null_mut();
    let mut verifier = null_mut();
    // SAFETY: valid buffers and out pointers.
    unsafe {
        assert_eq!(
            cliauth_signer_new_pem(key_pem.as_ptr(), key_pem.len(), X5U.as_ptr(), &mut signer),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_new_pubkey(pub_pem.as_ptr(), pub_pem.len(), &mut verifier),
            CLIAUTH_OK
        );
    }
    (signer, verifier)
}

fn sign(signer: *const cliauth_signer, form: cliauth_form) -> String {
    let dest = [c"12155551213".as_ptr()];
    let mut buf = vec![0 as c_char; CLIAUTH_MAX_SIGNED_LEN];
    let mut len = 0;
    // SAFETY: valid handles, strings and buffers.
    let r = unsafe {
        cliauth_signer_sign_shaken(
            signer,
            c"12155551212".as_ptr(),
            dest.as_ptr(),
            1,
            CLIAUTH_ATTEST_A,
            null(),
            NOW,
            form,
            buf.as_mut_ptr(),
            buf.len(),
            &mut len,
        )
    };
    assert_eq!(r, CLIAUTH_OK);
    text(buf.as_ptr()).unwrap()
}

fn verify(
    verifier: *const cliauth_verifier,
    identity: &CStr,
    now: i64,
) -> (cliauth_result, *mut cliauth_verdict) {
    let mut verdict = null_mut();
    // SAFETY: valid handles and strings.
    let r = unsafe {
        cliauth_verifier_verify(
            verifier,
            identity.as_ptr(),
            c"12155551212".as_ptr(),
            null(),
            now,
            &mut verdict,
        )
    };
    (r, verdict)
}

#[test]
fn sign_verify_and_read_the_verdict() {
    let (signer, verifier) = pair();
    let identity = CString::new(sign(signer, CLIAUTH_FORM_IDENTITY)).unwrap();
    let (r, v) = verify(verifier, &identity, NOW + 1);
    assert_eq!(r, CLIAUTH_OK);
    // SAFETY: `v` is a live verdict until freed at the end.
    unsafe {
        assert_eq!(cliauth_verdict_result(v), CLIAUTH_OK);
        assert_eq!(cliauth_verdict_sip_code(v), 0);
        assert_eq!(text(cliauth_verdict_reason(v)).unwrap(), "");
        assert!(cliauth_verdict_reason_header(v).is_null());
        assert!(cliauth_verdict_error_text(v).is_null());
        assert_eq!(cliauth_verdict_attest(v), CLIAUTH_ATTEST_A);
        assert_eq!(cliauth_verdict_ppt(v), CLIAUTH_PPT_SHAKEN);
        assert_eq!(text(cliauth_verdict_orig(v)).unwrap(), "12155551212");
        assert_eq!(cliauth_verdict_dest_count(v), 1);
        assert_eq!(text(cliauth_verdict_dest(v, 0)).unwrap(), "12155551213");
        assert!(cliauth_verdict_dest(v, 1).is_null());
        assert_eq!(text(cliauth_verdict_origid(v)).unwrap().len(), 36);
        assert_eq!(text(cliauth_verdict_x5u(v)).unwrap(), X5U.to_str().unwrap());
        assert_eq!(cliauth_verdict_iat(v), NOW);
        assert!(cliauth_verdict_spc(v).is_null());
        assert!(cliauth_verdict_div(v).is_null());
        assert!(cliauth_verdict_rcd_name(v).is_null());
        cliauth_verdict_free(v);
    }
    // The other forms.
    let token = sign(signer, CLIAUTH_FORM_TOKEN);
    assert_eq!(token.split('.').count(), 3);
    let token = CString::new(token).unwrap();
    let (r, v) = verify(verifier, &token, NOW);
    assert_eq!(r, CLIAUTH_OK);
    // SAFETY: live verdict, freed once; valid handles freed once.
    unsafe {
        cliauth_verdict_free(v);
        assert!(sign(signer, CLIAUTH_FORM_COMPACT_IDENTITY).starts_with(".."));
        cliauth_signer_free(signer);
        cliauth_verifier_free(verifier);
    }
}

#[test]
fn general_signing_checks_its_arguments() {
    let (signer, verifier) = pair();
    let dest = [c"+1 (215) 555-1213".as_ptr()];
    let mut buf = [0 as c_char; CLIAUTH_MAX_SIGNED_LEN];
    let mut len = 0;
    let sign = |ppt, attest, div: *const c_char, rcd: *const c_char, form, buf: &mut [c_char]| {
        let mut len = 0;
        // SAFETY: valid handles, strings and buffers.
        let r = unsafe {
            cliauth_signer_sign(
                signer,
                ppt,
                c"+1 215 555 1212".as_ptr(),
                dest.as_ptr(),
                1,
                attest,
                null(),
                div,
                rcd,
                NOW,
                form,
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            )
        };
        (r, len)
    };
    let id = CLIAUTH_FORM_IDENTITY;
    let none = CLIAUTH_ATTEST_NONE;
    assert_eq!(
        sign(CLIAUTH_PPT_BASE, none, null(), null(), id, &mut buf).0,
        CLIAUTH_OK
    );
    assert!(text(buf.as_ptr()).unwrap().ends_with(";alg=ES256"));
    assert_eq!(
        sign(
            CLIAUTH_PPT_SHAKEN,
            CLIAUTH_ATTEST_C,
            null(),
            null(),
            id,
            &mut buf
        )
        .0,
        CLIAUTH_OK
    );
    let shaken = CString::new(text(buf.as_ptr()).unwrap()).unwrap();
    let (r, v) = verify(verifier, &shaken, NOW);
    assert_eq!(r, CLIAUTH_OK);
    // SAFETY: live verdict, freed once.
    unsafe {
        assert_eq!(cliauth_verdict_attest(v), CLIAUTH_ATTEST_C);
        assert!(!cliauth_verdict_origid(v).is_null());
        cliauth_verdict_free(v);
    }
    // Missing extension claims, bad enumeration values, a bad number.
    let sign_err = |ppt, attest, div, rcd, form| {
        let mut buf = [0 as c_char; 64];
        sign(ppt, attest, div, rcd, form, &mut buf).0
    };
    assert_eq!(
        sign_err(CLIAUTH_PPT_SHAKEN, none, null(), null(), id),
        CLIAUTH_SIGN
    );
    assert_eq!(
        sign_err(CLIAUTH_PPT_DIV, none, null(), null(), id),
        CLIAUTH_SIGN
    );
    assert_eq!(
        sign_err(CLIAUTH_PPT_RCD, none, null(), null(), id),
        CLIAUTH_SIGN
    );
    assert_eq!(
        sign_err(CLIAUTH_PPT_DIV_O, none, null(), null(), id),
        CLIAUTH_INVALID_PARAMETER
    );
    assert_eq!(
        sign_err(77, none, null(), null(), id),
        CLIAUTH_INVALID_PARAMETER
    );
    assert_eq!(
        sign_err(CLIAUTH_PPT_BASE, 9, null(), null(), id),
        CLIAUTH_INVALID_PARAMETER
    );
    assert_eq!(
        sign_err(CLIAUTH_PPT_BASE, none, null(), null(), 5),
        CLIAUTH_INVALID_PARAMETER
    );
    assert_eq!(
        sign_err(CLIAUTH_PPT_DIV, none, c"x".as_ptr(), null(), id),
        CLIAUTH_TN
    );
    // Too small a buffer: the length is reported, the buffer untouched.
    let mut small = [0x55 as c_char; 64];
    let (r, needed) = sign(
        CLIAUTH_PPT_RCD,
        none,
        null(),
        c"Bob".as_ptr(),
        id,
        &mut small,
    );
    assert_eq!(r, CLIAUTH_BUFFER_TOO_SMALL);
    assert!(needed > 64);
    assert_eq!(small[0], 0x55);
    // SAFETY: NULL arguments where the API checks them; valid handles freed once.
    unsafe {
        assert_eq!(
            cliauth_signer_sign_shaken(
                signer,
                c"1".as_ptr(),
                dest.as_ptr(),
                1,
                CLIAUTH_ATTEST_A,
                null(),
                NOW,
                id,
                buf.as_mut_ptr(),
                buf.len(),
                null_mut(),
            ),
            CLIAUTH_NULL_PARAMETER
        );
        assert_eq!(
            cliauth_signer_sign_shaken(
                null(),
                c"1".as_ptr(),
                dest.as_ptr(),
                1,
                CLIAUTH_ATTEST_A,
                null(),
                NOW,
                id,
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            ),
            CLIAUTH_NULL_PARAMETER
        );
        assert_eq!(
            cliauth_signer_sign_shaken(
                signer,
                c"1".as_ptr(),
                dest.as_ptr(),
                1,
                CLIAUTH_ATTEST_NONE,
                null(),
                NOW,
                id,
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            ),
            CLIAUTH_INVALID_PARAMETER
        );
        cliauth_signer_free(signer);
        cliauth_verifier_free(verifier);
    }
}

#[test]
fn constructors_report_and_clear() {
    let mut signer = std::ptr::dangling_mut::<cliauth_signer>();
    let mut verifier = std::ptr::dangling_mut::<cliauth_verifier>();
    // SAFETY: valid buffers; out pointers are written, never read through.
    unsafe {
        assert_eq!(
            cliauth_signer_new_pem(b"junk".as_ptr(), 4, X5U.as_ptr(), &mut signer),
            CLIAUTH_KEY
        );
        assert!(signer.is_null());
        assert_eq!(
            cliauth_verifier_new_pubkey(b"junk".as_ptr(), 4, &mut verifier),
            CLIAUTH_KEY
        );
        assert!(verifier.is_null());
        assert_eq!(
            cliauth_signer_new_pem(null(), 1, X5U.as_ptr(), &mut signer),
            CLIAUTH_NULL_PARAMETER
        );
        assert_eq!(cliauth_trust_new(null_mut()), CLIAUTH_NULL_PARAMETER);
        // Freeing NULL is a no-op.
        cliauth_signer_free(null_mut());
        cliauth_verifier_free(null_mut());
        cliauth_trust_free(null_mut());
        cliauth_store_free(null_mut());
        cliauth_verdict_free(null_mut());
        cliauth_identity_free(null_mut());
    }
}

#[test]
fn verification_failures_have_verdicts() {
    let (signer, verifier) = pair();
    let identity = CString::new(sign(signer, CLIAUTH_FORM_IDENTITY)).unwrap();
    let (r, v) = verify(verifier, &identity, NOW + 61);
    assert_eq!(r, CLIAUTH_STALE);
    // SAFETY: live verdicts, each freed once; NULL arguments where checked.
    unsafe {
        assert_eq!(cliauth_verdict_result(v), CLIAUTH_STALE);
        assert_eq!(cliauth_verdict_sip_code(v), 403);
        assert!(
            text(cliauth_verdict_error_text(v))
                .unwrap()
                .contains("61 s old")
        );
        assert!(cliauth_verdict_orig(v).is_null());
        assert_eq!(cliauth_verdict_attest(v), CLIAUTH_ATTEST_NONE);
        cliauth_verdict_free(v);

        // Invalid UTF-8 in the header: a verdict with 438.
        let (r, v) = verify(verifier, c"\xff\xfe", NOW);
        assert_eq!(r, CLIAUTH_INVALID_UTF8);
        assert_eq!(cliauth_verdict_sip_code(v), 438);
        assert_eq!(
            text(cliauth_verdict_verstat(v)).unwrap(),
            "TN-Validation-Failed"
        );
        cliauth_verdict_free(v);

        // An empty header: 428, No-TN-Validation.
        let (r, v) = verify(verifier, c"", NOW);
        assert_eq!(r, CLIAUTH_NO_IDENTITY);
        assert_eq!(cliauth_verdict_sip_code(v), 428);
        assert_eq!(
            text(cliauth_verdict_verstat(v)).unwrap(),
            "No-TN-Validation"
        );
        cliauth_verdict_free(v);

        // NULL arguments: no verdict.
        let mut out = std::ptr::dangling_mut::<cliauth_verdict>();
        assert_eq!(
            cliauth_verifier_verify(verifier, null(), null(), null(), NOW, &mut out),
            CLIAUTH_NULL_PARAMETER
        );
        assert!(out.is_null());
        assert_eq!(
            cliauth_verifier_verify(verifier, identity.as_ptr(), null(), null(), NOW, null_mut()),
            CLIAUTH_NULL_PARAMETER
        );

        // Settings.
        assert_eq!(
            cliauth_verifier_set_max_age(verifier, -1),
            CLIAUTH_INVALID_PARAMETER
        );
        assert_eq!(cliauth_verifier_set_max_age(verifier, 3600), CLIAUTH_OK);
        assert_eq!(cliauth_verifier_set_max_future(verifier, 0), CLIAUTH_OK);
        let (r, v) = verify(verifier, &identity, NOW + 61);
        assert_eq!(r, CLIAUTH_OK);
        cliauth_verdict_free(v);
        let (r, v) = verify(verifier, &identity, NOW - 1);
        assert_eq!(r, CLIAUTH_FUTURE);
        cliauth_verdict_free(v);
        assert_eq!(
            cliauth_verifier_set_allow_http_x5u(verifier, true),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_set_strict_profile(verifier, true),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_set_max_age(null_mut(), 1),
            CLIAUTH_NULL_PARAMETER
        );
        // Only a store verifier takes a fetch callback.
        assert_eq!(
            cliauth_verifier_set_fetch_callback(verifier, Some(serve), null_mut()),
            CLIAUTH_INVALID_PARAMETER
        );
        cliauth_signer_free(signer);
        cliauth_verifier_free(verifier);
    }
}

#[test]
fn identity_headers_parse() {
    let mut id = null_mut();
    // SAFETY: valid strings and out pointers; the handle is freed once.
    unsafe {
        assert_eq!(
            cliauth_identity_parse(
                c"Identity: ..c2ln;info=\"https://x/y\";PPT=shaken".as_ptr(),
                &mut id
            ),
            CLIAUTH_OK
        );
        assert_eq!(text(cliauth_identity_token(id)).unwrap(), "..c2ln");
        assert_eq!(text(cliauth_identity_info(id)).unwrap(), "https://x/y");
        assert_eq!(text(cliauth_identity_alg(id)).unwrap(), "ES256");
        assert_eq!(text(cliauth_identity_ppt(id)).unwrap(), "shaken");
        assert!(cliauth_identity_is_compact(id));
        cliauth_identity_free(id);
        let mut id = std::ptr::dangling_mut::<cliauth_identity>();
        assert_eq!(
            cliauth_identity_parse(c"a;;".as_ptr(), &mut id),
            CLIAUTH_IDENTITY_SYNTAX
        );
        assert!(id.is_null());
        assert_eq!(
            cliauth_identity_parse(c" ".as_ptr(), &mut id),
            CLIAUTH_NO_IDENTITY
        );
        assert!(cliauth_identity_token(null()).is_null());
        assert!(!cliauth_identity_is_compact(null()));
    }
}

/// What the test fetch callbacks serve, and how often they were called.
struct Served {
    body: Vec<u8>,
    calls: usize,
    fail: bool,
    oversize: bool,
}

unsafe extern "C" fn serve(
    userdata: *mut c_void,
    _url: *const c_char,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> c_int {
    // SAFETY: the tests register a live `Served` as userdata, used by one thread.
    let served = unsafe { &mut *userdata.cast::<Served>() };
    served.calls += 1;
    if served.fail {
        return -1;
    }
    if served.oversize {
        // SAFETY: `out_len` is valid for writes during the call.
        unsafe { out_len.write(buf_len + 1) };
        return 0;
    }
    assert!(served.body.len() <= buf_len);
    // SAFETY: `buf` has `buf_len` writable bytes; the body fits.
    unsafe {
        std::ptr::copy_nonoverlapping(served.body.as_ptr(), buf, served.body.len());
        out_len.write(served.body.len());
    }
    0
}

#[test]
fn store_fetch_callback_and_lifetimes() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let identity = Signer::from_pem(pki.ee_key_pem.as_bytes(), X5U.to_str().unwrap())
        .unwrap()
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap()
        .identity();
    let identity = CString::new(identity).unwrap();
    let mut trust = null_mut();
    let mut store = null_mut();
    let mut verifier = null_mut();
    let mut served = Served {
        body: pki.chain_pem.clone().into_bytes(),
        calls: 0,
        fail: true,
        oversize: false,
    };
    let userdata = (&raw mut served).cast::<c_void>();
    // SAFETY: valid buffers and handles; each handle freed once; `served` outlives the
    // verifier's use of it.
    unsafe {
        assert_eq!(cliauth_trust_new(&mut trust), CLIAUTH_OK);
        let mut n = 0;
        let root = pki.root_pem.as_bytes();
        assert_eq!(
            cliauth_trust_add_anchors_pem(trust, root.as_ptr(), root.len(), &mut n),
            CLIAUTH_OK
        );
        assert_eq!(n, 1);
        assert_eq!(
            cliauth_trust_add_anchors_pem(trust, b"junk".as_ptr(), 4, null_mut()),
            CLIAUTH_CERT_MALFORMED
        );
        let crl = pki.ee_crl(false, NOW - 10, NOW + 86_400).unwrap();
        assert_eq!(
            cliauth_trust_add_crls_pem(trust, crl.as_ptr(), crl.len(), &mut n),
            CLIAUTH_OK
        );
        assert_eq!(cliauth_store_new(trust, &mut store), CLIAUTH_OK);
        cliauth_trust_free(trust); // the store has its own copy
        assert_eq!(cliauth_verifier_new_store(store, &mut verifier), CLIAUTH_OK);
        cliauth_store_free(store); // the verifier keeps the store alive

        // A failing callback leaves the miss as it is.
        assert_eq!(
            cliauth_verifier_set_fetch_callback(verifier, Some(serve), userdata),
            CLIAUTH_OK
        );
        let (r, v) = verify(verifier, &identity, NOW);
        assert_eq!(r, CLIAUTH_CERTIFICATE_NEEDED);
        assert_eq!(
            text(cliauth_verdict_needed_url(v)).unwrap(),
            X5U.to_str().unwrap()
        );
        cliauth_verdict_free(v);
        // A body too large for the buffer is a limit error.
        served.fail = false;
        served.oversize = true;
        let (r, v) = verify(verifier, &identity, NOW);
        assert_eq!(r, CLIAUTH_LIMIT);
        cliauth_verdict_free(v);
        // A chain: fetched, validated, stored, verified; then cached.
        served.oversize = false;
        for _ in 0..2 {
            let (r, v) = verify(verifier, &identity, NOW);
            assert_eq!(r, CLIAUTH_OK);
            assert_eq!(text(cliauth_verdict_spc(v)).unwrap(), "1234");
            cliauth_verdict_free(v);
        }
        assert_eq!(served.calls, 3);
        // Without the callback, the cached chain still serves.
        assert_eq!(
            cliauth_verifier_set_fetch_callback(verifier, None, null_mut()),
            CLIAUTH_OK
        );
        let (r, v) = verify(verifier, &identity, NOW + 1);
        assert_eq!(r, CLIAUTH_OK);
        cliauth_verdict_free(v);
        cliauth_verifier_free(verifier);
    }
}

#[test]
fn store_inserts_and_pinned_chains() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let other = TestPki::generate(&TestPkiOptions {
        name: "another".into(),
        ..TestPkiOptions::default()
    })
    .unwrap();
    let identity = Signer::from_pem(pki.ee_key_pem.as_bytes(), X5U.to_str().unwrap())
        .unwrap()
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap()
        .identity();
    let identity = CString::new(identity).unwrap();
    let (mut trust, mut store, mut verifier, mut pinned) =
        (null_mut(), null_mut(), null_mut(), null_mut());
    let chain = pki.chain_pem.as_bytes();
    let wrong = other.chain_pem.as_bytes();
    // SAFETY: valid buffers and handles, each freed once.
    unsafe {
        assert_eq!(cliauth_trust_new(&mut trust), CLIAUTH_OK);
        let root = pki.root_pem.as_bytes();
        assert_eq!(
            cliauth_trust_add_anchors_pem(trust, root.as_ptr(), root.len(), null_mut()),
            CLIAUTH_OK
        );
        assert_eq!(cliauth_store_new(trust, &mut store), CLIAUTH_OK);
        assert_eq!(cliauth_verifier_new_store(store, &mut verifier), CLIAUTH_OK);
        let url = X5U.as_ptr();
        // A chain from another PKI is refused; the right one is stored.
        assert_eq!(
            cliauth_store_insert(store, url, wrong.as_ptr(), wrong.len(), NOW, -1),
            CLIAUTH_CERT_UNTRUSTED
        );
        assert_eq!(
            cliauth_store_insert(store, url, chain.as_ptr(), chain.len(), NOW, 60),
            CLIAUTH_OK
        );
        let (r, v) = verify(verifier, &identity, NOW + 1);
        assert_eq!(r, CLIAUTH_OK);
        cliauth_verdict_free(v);
        // The entry lives 60 s.
        assert_eq!(cliauth_verifier_set_max_age(verifier, 3600), CLIAUTH_OK);
        let (r, v) = verify(verifier, &identity, NOW + 61);
        assert_eq!(r, CLIAUTH_CERTIFICATE_NEEDED);
        cliauth_verdict_free(v);

        // A pinned chain: validated once, `x5u` not looked up.
        assert_eq!(
            cliauth_verifier_new_chain(trust, wrong.as_ptr(), wrong.len(), NOW, &mut pinned),
            CLIAUTH_CERT_UNTRUSTED
        );
        assert!(pinned.is_null());
        assert_eq!(
            cliauth_verifier_new_chain(trust, chain.as_ptr(), chain.len(), NOW, &mut pinned),
            CLIAUTH_OK
        );
        let (r, v) = verify(pinned, &identity, NOW);
        assert_eq!(r, CLIAUTH_OK);
        assert_eq!(text(cliauth_verdict_spc(v)).unwrap(), "1234");
        cliauth_verdict_free(v);
        cliauth_verifier_free(pinned);
        cliauth_verifier_free(verifier);
        cliauth_store_free(store);
        cliauth_trust_free(trust);
    }
}

/// Issue 9 point 9: a chain pinned with `cliauth_verifier_new_chain` expires with its
/// end-entity certificate; each verification checks the validity period at its `now`.
#[test]
fn a_pinned_chain_expires() {
    let pki = TestPki::generate(&TestPkiOptions {
        ee_validity: Some((NOW - 100, NOW + 1000)),
        ..TestPkiOptions::default()
    })
    .unwrap();
    let signer = Signer::from_pem(pki.ee_key_pem.as_bytes(), X5U.to_str().unwrap()).unwrap();
    let at = |iat: i64| {
        let id = signer
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, iat)
            .unwrap()
            .identity();
        CString::new(id).unwrap()
    };
    let (mut trust, mut pinned) = (null_mut(), null_mut());
    let chain = pki.chain_pem.as_bytes();
    // SAFETY: valid buffers and handles, each freed once.
    unsafe {
        assert_eq!(cliauth_trust_new(&mut trust), CLIAUTH_OK);
        let root = pki.root_pem.as_bytes();
        assert_eq!(
            cliauth_trust_add_anchors_pem(trust, root.as_ptr(), root.len(), null_mut()),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_new_chain(trust, chain.as_ptr(), chain.len(), NOW, &mut pinned),
            CLIAUTH_OK
        );
        for (now, want) in [
            (NOW, CLIAUTH_OK),
            (NOW + 1000, CLIAUTH_OK),
            (NOW + 1001, CLIAUTH_CERT_EXPIRED),
            (NOW + 86_400 * 365, CLIAUTH_CERT_EXPIRED),
            (NOW - 101, CLIAUTH_CERT_NOT_YET_VALID),
        ] {
            let (r, v) = verify(pinned, &at(now), now);
            assert_eq!(r, want, "at {now}");
            if want != CLIAUTH_OK {
                assert_eq!(cliauth_verdict_sip_code(v), 437);
                let msg = text(cliauth_verdict_error_text(v)).unwrap();
                assert!(msg.contains("SHAKEN 1234"), "{msg}");
                assert!(!msg.contains('{'), "{msg}");
            }
            cliauth_verdict_free(v);
        }
        cliauth_verifier_free(pinned);
        cliauth_trust_free(trust);
    }
}

#[test]
fn isup_encode_rebuild_round_trip() {
    let (signer, verifier) = pair();
    let identity = sign(signer, CLIAUTH_FORM_IDENTITY);
    let id = CString::new(identity.clone()).unwrap();
    let (calling, called) = (c"12155551212", c"12155551213");
    let mut token = vec![0u8; CLIAUTH_MAX_ISUP_TOKEN_LEN];
    let mut len = 0;
    // SAFETY: valid strings, buffers and out pointers throughout.
    unsafe {
        // Too small a buffer: the length is reported, nothing written.
        assert_eq!(
            cliauth_isup_encode(
                id.as_ptr(),
                calling.as_ptr(),
                called.as_ptr(),
                token.as_mut_ptr(),
                10,
                &mut len
            ),
            CLIAUTH_BUFFER_TOO_SMALL
        );
        assert!(len > 10 && len <= 140, "{len}");
        assert_eq!(
            cliauth_isup_encode(
                id.as_ptr(),
                calling.as_ptr(),
                called.as_ptr(),
                token.as_mut_ptr(),
                token.len(),
                &mut len
            ),
            CLIAUTH_OK
        );
        let mut out = vec![0 as c_char; CLIAUTH_MAX_SIGNED_LEN];
        let mut out_len = 0;
        assert_eq!(
            cliauth_isup_rebuild(
                token.as_ptr(),
                len,
                calling.as_ptr(),
                called.as_ptr(),
                out.as_mut_ptr(),
                out.len(),
                &mut out_len
            ),
            CLIAUTH_OK
        );
        assert_eq!(text(out.as_ptr()).as_deref(), Some(identity.as_str()));
        let (r, verdict) = verify(verifier, &CString::new(identity).unwrap(), NOW);
        assert_eq!(r, CLIAUTH_OK);
        cliauth_verdict_free(verdict);
        // A truncated token and a malformed Identity are typed errors.
        assert_eq!(
            cliauth_isup_rebuild(
                token.as_ptr(),
                len - 5,
                calling.as_ptr(),
                called.as_ptr(),
                out.as_mut_ptr(),
                out.len(),
                &mut out_len
            ),
            CLIAUTH_ISUP
        );
        assert_eq!(
            cliauth_isup_encode(
                c"x.y".as_ptr(),
                calling.as_ptr(),
                called.as_ptr(),
                token.as_mut_ptr(),
                token.len(),
                &mut len
            ),
            CLIAUTH_TOKEN_FORMAT
        );
        assert_eq!(
            cliauth_isup_encode(
                null(),
                calling.as_ptr(),
                called.as_ptr(),
                token.as_mut_ptr(),
                token.len(),
                &mut len
            ),
            CLIAUTH_NULL_PARAMETER
        );
        cliauth_signer_free(signer);
        cliauth_verifier_free(verifier);
    }
}

fn sign_json(
    signer: *const cliauth_signer,
    ppt: cliauth_ppt,
    json: &str,
) -> Result<String, cliauth_result> {
    let json = CString::new(json).unwrap();
    let mut buf = vec![0 as c_char; CLIAUTH_MAX_SIGNED_LEN];
    let mut len = 0;
    // SAFETY: valid handle, string and buffers.
    let r = unsafe {
        cliauth_signer_sign_json(
            signer,
            ppt,
            json.as_ptr(),
            CLIAUTH_FORM_IDENTITY,
            buf.as_mut_ptr(),
            buf.len(),
            &mut len,
        )
    };
    if r == CLIAUTH_OK {
        Ok(text(buf.as_ptr()).unwrap())
    } else {
        Err(r)
    }
}

#[test]
fn json_claims_sign_every_extension() {
    let (signer, verifier) = pair();
    // div-o: the original PASSporT in `opt`.
    let original = sign(signer, CLIAUTH_FORM_TOKEN);
    let div_o = format!(
        r#"{{"dest":{{"tn":["12155551213"]}},"div":{{"tn":"12155559999"}},"iat":{NOW},"opt":"{original}","orig":{{"tn":"12155551212"}}}}"#
    );
    let id = CString::new(sign_json(signer, CLIAUTH_PPT_DIV_O, &div_o).unwrap()).unwrap();
    assert!(id.to_str().unwrap().ends_with(";ppt=div-o"));
    let (r, v) = verify(verifier, &id, NOW);
    assert_eq!(r, CLIAUTH_OK);
    // SAFETY: live verdict, freed once.
    unsafe {
        assert_eq!(cliauth_verdict_ppt(v), CLIAUTH_PPT_DIV_O);
        assert_eq!(text(cliauth_verdict_div(v)).unwrap(), "12155559999");
        cliauth_verdict_free(v);
    }
    // rcd with the whole object, crn and an extra claim.
    let rcd = format!(
        r#"{{"attest":"B","crn":"Invoice 42","dest":{{"tn":["12155551213"]}},"iat":{NOW},"orig":{{"tn":"12155551212"}},"origid":"7f1c3c40-54a3-4a62-9e3a-0f6f0e0d9b11","rcd":{{"apn":"Alice","icn":"https://example.net/a.png","nam":"Alice Example"}},"x-extra":1}}"#
    );
    let id = CString::new(sign_json(signer, CLIAUTH_PPT_RCD, &rcd).unwrap()).unwrap();
    let (r, v) = verify(verifier, &id, NOW);
    assert_eq!(r, CLIAUTH_OK);
    // SAFETY: live verdict, freed once.
    unsafe {
        assert_eq!(cliauth_verdict_attest(v), CLIAUTH_ATTEST_B);
        assert_eq!(text(cliauth_verdict_rcd_name(v)).unwrap(), "Alice Example");
        cliauth_verdict_free(v);
    }
    // Bad input: typed results, nothing written.
    let base =
        format!(r#""dest":{{"tn":["12155551213"]}},"iat":{NOW},"orig":{{"tn":"12155551212"}}"#);
    for (ppt, json, want) in [
        (CLIAUTH_PPT_BASE, "{".to_owned(), CLIAUTH_JSON),
        (
            CLIAUTH_PPT_BASE,
            format!(r#"{{{base},"iat":1}}"#),
            CLIAUTH_DUPLICATE_MEMBER,
        ),
        (
            CLIAUTH_PPT_BASE,
            format!(r#"{{{base},"x":{}}}"#, "[".repeat(40) + &"]".repeat(40)),
            CLIAUTH_LIMIT,
        ),
        (CLIAUTH_PPT_DIV, format!("{{{base}}}"), CLIAUTH_SIGN),
        (
            CLIAUTH_PPT_DIV_O,
            format!(r#"{{{base},"div":{{"tn":"1"}}}}"#),
            CLIAUTH_SIGN,
        ),
        (CLIAUTH_PPT_SHAKEN, format!("{{{base}}}"), CLIAUTH_SIGN),
        (77, format!("{{{base}}}"), CLIAUTH_INVALID_PARAMETER),
    ] {
        let got = sign_json(signer, ppt, &json);
        assert_eq!(got, Err(want), "{json}");
    }
    // SAFETY: NULL arguments are reported, not dereferenced.
    unsafe {
        let mut len = 0;
        assert_eq!(
            cliauth_signer_sign_json(signer, CLIAUTH_PPT_BASE, null(), 0, null_mut(), 0, &mut len),
            CLIAUTH_NULL_PARAMETER
        );
        cliauth_signer_free(signer);
        cliauth_verifier_free(verifier);
    }
}

#[test]
fn compact_form_verifies_with_rebuilt_claims() {
    let (signer, verifier) = pair();
    let token = sign(signer, CLIAUTH_FORM_TOKEN);
    let claims_b64 = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims_b64)
        .unwrap();
    let claims = String::from_utf8(claims).unwrap();
    let sig = token.split('.').nth(2).unwrap();
    let compact = CString::new(format!(
        "..{sig};info=<{}>;alg=ES256;ppt=shaken",
        X5U.to_str().unwrap()
    ))
    .unwrap();
    let run = |claims: &str, ppt: cliauth_ppt, identity: &CStr| -> (cliauth_result, u16) {
        let claims = CString::new(claims).unwrap();
        let mut v = null_mut();
        // SAFETY: valid handles and strings; the verdict is freed here.
        unsafe {
            let r = cliauth_verifier_verify_compact(
                verifier,
                identity.as_ptr(),
                ppt,
                claims.as_ptr(),
                c"12155551212".as_ptr(),
                c"12155551213".as_ptr(),
                NOW,
                &mut v,
            );
            let code = cliauth_verdict_sip_code(v);
            cliauth_verdict_free(v);
            (r, code)
        }
    };
    assert_eq!(run(&claims, CLIAUTH_PPT_SHAKEN, &compact), (CLIAUTH_OK, 0));
    // Other claims than those signed: the signature fails.
    let other = claims.replace("\"attest\":\"A\"", "\"attest\":\"B\"");
    assert_ne!(other, claims);
    assert_eq!(
        run(&other, CLIAUTH_PPT_SHAKEN, &compact),
        (CLIAUTH_SIGNATURE, 438)
    );
    // Another ppt than the value's parameter says.
    assert_eq!(run(&claims, CLIAUTH_PPT_DIV, &compact).1, 438);
    // Bad JSON.
    assert_eq!(run("{", CLIAUTH_PPT_SHAKEN, &compact), (CLIAUTH_JSON, 438));
    // A full-form value is verified as it is.
    let full = CString::new(sign(signer, CLIAUTH_FORM_IDENTITY)).unwrap();
    assert_eq!(run("{}", CLIAUTH_PPT_SHAKEN, &full), (CLIAUTH_OK, 0));
    // No info parameter.
    let bare = CString::new(format!("..{sig}")).unwrap();
    assert_eq!(run(&claims, CLIAUTH_PPT_SHAKEN, &bare).0, CLIAUTH_BAD_INFO);
    // SAFETY: valid handles freed once.
    unsafe {
        cliauth_signer_free(signer);
        cliauth_verifier_free(verifier);
    }
}

/// What the thread-safe test fetch callback serves: it may be held (it then waits until
/// released), fail, and counts its calls; used from the library's worker threads.
#[derive(Default)]
struct Gate {
    state: std::sync::Mutex<GateState>,
    cv: std::sync::Condvar,
}

#[derive(Default)]
struct GateState {
    body: Vec<u8>,
    calls: usize,
    running: usize,
    hold: bool,
    fail: bool,
    /// The name of the thread of each call.
    threads: Vec<String>,
}

impl Gate {
    fn set(&self, f: impl FnOnce(&mut GateState)) {
        f(&mut self.state.lock().unwrap());
        self.cv.notify_all();
    }
    fn get<T>(&self, f: impl FnOnce(&GateState) -> T) -> T {
        f(&self.state.lock().unwrap())
    }
    /// Waits until `f` holds (at most 10 s).
    fn wait_for(&self, f: impl Fn(&GateState) -> bool) {
        let g = self.state.lock().unwrap();
        let (_g, t) = self
            .cv
            .wait_timeout_while(g, std::time::Duration::from_secs(10), |s| !f(s))
            .unwrap();
        assert!(!t.timed_out(), "condition not reached in 10 s");
    }
}

unsafe extern "C" fn gated(
    userdata: *mut c_void,
    _url: *const c_char,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> c_int {
    // SAFETY: the tests register a live `Gate` as userdata; it is Sync.
    let gate = unsafe { &*userdata.cast::<Gate>() };
    let mut s = gate.state.lock().unwrap();
    s.calls += 1;
    s.running += 1;
    let name = std::thread::current().name().unwrap_or("").to_owned();
    s.threads.push(name);
    gate.cv.notify_all();
    while s.hold {
        s = gate.cv.wait(s).unwrap();
    }
    s.running -= 1;
    gate.cv.notify_all();
    if s.fail {
        return -1;
    }
    assert!(s.body.len() <= buf_len);
    // SAFETY: `buf` has `buf_len` writable bytes; the body fits.
    unsafe {
        std::ptr::copy_nonoverlapping(s.body.as_ptr(), buf, s.body.len());
        out_len.write(s.body.len());
    }
    0
}

/// A store verifier over a fresh test PKI, and an Identity signed by its end entity.
fn store_verifier(pki: &TestPki) -> (*mut cliauth_verifier, CString) {
    let identity = Signer::from_pem(pki.ee_key_pem.as_bytes(), X5U.to_str().unwrap())
        .unwrap()
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap()
        .identity();
    let (mut trust, mut store, mut verifier) = (null_mut(), null_mut(), null_mut());
    let root = pki.root_pem.as_bytes();
    // SAFETY: valid buffers and handles, each freed once.
    unsafe {
        assert_eq!(cliauth_trust_new(&mut trust), CLIAUTH_OK);
        assert_eq!(
            cliauth_trust_add_anchors_pem(trust, root.as_ptr(), root.len(), null_mut()),
            CLIAUTH_OK
        );
        assert_eq!(cliauth_store_new(trust, &mut store), CLIAUTH_OK);
        cliauth_trust_free(trust);
        assert_eq!(cliauth_verifier_new_store(store, &mut verifier), CLIAUTH_OK);
        cliauth_store_free(store);
    }
    (verifier, CString::new(identity).unwrap())
}

/// Verifies and returns the result and the verdict's verstat.
fn verify_verstat(verifier: *const cliauth_verifier, identity: &CStr) -> (cliauth_result, String) {
    let (r, v) = verify(verifier, identity, NOW);
    // SAFETY: a verdict from `verify`, freed once.
    unsafe {
        let verstat = text(cliauth_verdict_verstat(v)).unwrap();
        cliauth_verdict_free(v);
        (r, verstat)
    }
}

/// With a fetch budget the callback is the core acquisition policy's fetcher: calls wait
/// at most the budget (CERTIFICATE_PENDING, verstat as configured), concurrent misses
/// share one callback call, the fetch completes in the background and serves the next
/// call, failures are backed off, and freeing the verifier waits for a callback in
/// progress and stops later ones.
#[test]
fn fetch_budget_runs_the_callback_in_the_background() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let (verifier, identity) = store_verifier(&pki);
    let gate = Gate::default();
    gate.set(|s| {
        s.body = pki.chain_pem.clone().into_bytes();
        s.hold = true;
    });
    let userdata = (&raw const gate).cast_mut().cast::<c_void>();
    // SAFETY: live handles; `gate` outlives the verifier (freed below, which waits for the
    // callback). Configuration happens before any sharing.
    unsafe {
        // Argument checks: an unknown outcome; a verifier without a store.
        assert_eq!(
            cliauth_verifier_set_fetch_budget(verifier, 50, 7),
            CLIAUTH_INVALID_PARAMETER
        );
        let (signer, keyed) = pair();
        assert_eq!(
            cliauth_verifier_set_fetch_budget(keyed, 50, CLIAUTH_BUDGET_REJECT),
            CLIAUTH_INVALID_PARAMETER
        );
        assert_eq!(
            cliauth_verifier_set_fetch_budget(null_mut(), 50, CLIAUTH_BUDGET_REJECT),
            CLIAUTH_NULL_PARAMETER
        );
        cliauth_verifier_free(keyed);
        cliauth_signer_free(signer);

        assert_eq!(
            cliauth_verifier_set_fetch_budget(verifier, 50, CLIAUTH_BUDGET_REJECT),
            CLIAUTH_OK
        );
        // A budget without a callback: still the sans-IO miss.
        assert_eq!(
            verify_verstat(verifier, &identity).0,
            CLIAUTH_CERTIFICATE_NEEDED
        );
        assert_eq!(
            cliauth_verifier_set_fetch_callback(verifier, Some(gated), userdata),
            CLIAUTH_OK
        );
    }
    // Eight threads miss at once while the callback is held: each gets PENDING within
    // about the budget, and the callback runs once, on a worker thread.
    let v = verifier as usize;
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let identity = &identity;
            s.spawn(move || {
                let (r, verstat) = verify_verstat(v as *const cliauth_verifier, identity);
                assert_eq!(r, CLIAUTH_CERTIFICATE_PENDING);
                assert_eq!(verstat, "TN-Validation-Failed");
            });
        }
    });
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    gate.wait_for(|s| s.running == 1);
    assert_eq!(gate.get(|s| s.calls), 1);
    let thread = gate.get(|s| s.threads[0].clone());
    assert!(thread.starts_with("cliauth-fetch-"), "{thread}");
    // SAFETY: as above; no other thread uses the verifier now.
    unsafe {
        assert_eq!(
            cliauth_verifier_set_fetch_budget(verifier, 0, CLIAUTH_BUDGET_NO_TN_VALIDATION),
            CLIAUTH_OK
        );
    }
    assert_eq!(
        verify_verstat(verifier, &identity),
        (CLIAUTH_CERTIFICATE_PENDING, "No-TN-Validation".to_owned())
    );
    assert_eq!(
        result_sip(CLIAUTH_CERTIFICATE_PENDING),
        436,
        "certificate_pending is a 436"
    );
    // Released: the fetch completes in the background and serves the next calls.
    gate.set(|s| s.hold = false);
    gate.wait_for(|s| s.running == 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (r, _) = verify_verstat(verifier, &identity);
        if r == CLIAUTH_OK {
            break;
        }
        assert_eq!(r, CLIAUTH_CERTIFICATE_PENDING);
        assert!(std::time::Instant::now() < deadline, "never verified");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(verify_verstat(verifier, &identity).0, CLIAUTH_OK);
    assert_eq!(gate.get(|s| s.calls), 1);
    // SAFETY: live handle, freed once.
    unsafe { cliauth_verifier_free(verifier) };

    // A failing callback: BAD_INFO, then backed off (no second call).
    let (verifier, identity) = store_verifier(&pki);
    gate.set(|s| {
        s.fail = true;
        s.calls = 0;
    });
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            cliauth_verifier_set_fetch_callback(verifier, Some(gated), userdata),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_set_fetch_budget(verifier, 5_000, CLIAUTH_BUDGET_REJECT),
            CLIAUTH_OK
        );
    }
    for _ in 0..3 {
        assert_eq!(verify_verstat(verifier, &identity).0, CLIAUTH_BAD_INFO);
    }
    assert_eq!(gate.get(|s| s.calls), 1);

    // Freeing the verifier while the callback runs waits for it; it is not called again.
    let (verifier2, identity2) = store_verifier(&pki);
    gate.set(|s| {
        s.fail = false;
        s.hold = true;
        s.calls = 0;
    });
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            cliauth_verifier_set_fetch_callback(verifier2, Some(gated), userdata),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_set_fetch_budget(verifier2, 0, CLIAUTH_BUDGET_REJECT),
            CLIAUTH_OK
        );
    }
    assert_eq!(
        verify_verstat(verifier2, &identity2).0,
        CLIAUTH_CERTIFICATE_PENDING
    );
    gate.wait_for(|s| s.running == 1);
    let v2 = verifier2 as usize;
    let freed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let freed = &freed;
        s.spawn(move || {
            // SAFETY: the handle is live and used by no other thread now.
            unsafe { cliauth_verifier_free(v2 as *mut cliauth_verifier) };
            freed.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            !freed.load(std::sync::atomic::Ordering::SeqCst),
            "free returned while the callback was running"
        );
        gate.set(|s| s.hold = false);
    });
    assert!(freed.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(gate.get(|s| (s.calls, s.running)), (1, 0));
    // SAFETY: live handle, freed once.
    unsafe { cliauth_verifier_free(verifier) };
}

fn result_sip(r: cliauth_result) -> u16 {
    cliauth_result_sip_code(r)
}

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;

/// Verifies `identity` for the call `call_id`; returns the result and the replay word.
fn verify_call(
    verifier: *const cliauth_verifier,
    identity: &CStr,
    call_id: Option<&CStr>,
) -> (cliauth_result, Option<String>) {
    let mut verdict = null_mut();
    // SAFETY: valid handles and strings; the verdict is freed here.
    unsafe {
        let r = cliauth_verifier_verify_call(
            verifier,
            identity.as_ptr(),
            c"12155551212".as_ptr(),
            c"12155551213".as_ptr(),
            call_id.map_or(null(), CStr::as_ptr),
            NOW + 1,
            &mut verdict,
        );
        assert_eq!(cliauth_verdict_result(verdict), r);
        if r == CLIAUTH_REPLAY {
            assert_eq!(cliauth_verdict_sip_code(verdict), 438);
            assert_eq!(text(cliauth_result_kind(r)).unwrap(), "replay");
        }
        let replay = text(cliauth_verdict_replay(verdict));
        cliauth_verdict_free(verdict);
        (r, replay)
    }
}

#[test]
fn verdict_cache_answers_repeats_and_catches_replays() {
    let (signer, verifier) = pair();
    let identity = CString::new(sign(signer, CLIAUTH_FORM_IDENTITY)).unwrap();
    let word = |s: &str| Some(s.to_owned());
    // No cache yet: unchecked.
    assert_eq!(
        verify_call(verifier, &identity, Some(c"a")),
        (CLIAUTH_OK, word("unchecked"))
    );
    // SAFETY: live verifier, exclusive here.
    let set = unsafe { cliauth_verifier_set_verdict_cache(verifier, 1000, 0) };
    assert_eq!(set, CLIAUTH_OK);
    assert_eq!(
        verify_call(verifier, &identity, Some(c"a")),
        (CLIAUTH_OK, word("first"))
    );
    assert_eq!(
        verify_call(verifier, &identity, Some(c"a")),
        (CLIAUTH_OK, word("repeat"))
    );
    assert_eq!(
        verify_call(verifier, &identity, Some(c"b")),
        (CLIAUTH_REPLAY, word(""))
    );
    assert_eq!(
        verify_call(verifier, &identity, None),
        (CLIAUTH_OK, word("unchecked"))
    );
    // Report instead of reject; capacity 0 removes the cache.
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            cliauth_verifier_set_verdict_cache(verifier, 1000, 1),
            CLIAUTH_OK
        );
    }
    verify_call(verifier, &identity, Some(c"a"));
    assert_eq!(
        verify_call(verifier, &identity, Some(c"b")),
        (CLIAUTH_OK, word("replayed"))
    );
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            cliauth_verifier_set_verdict_cache(verifier, 0, 0),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_set_shared_state(verifier, c"postgres://db".as_ptr()),
            CLIAUTH_INVALID_PARAMETER
        );
        assert_eq!(
            cliauth_verifier_set_shared_state(verifier, null()),
            CLIAUTH_OK
        );
        assert_eq!(
            cliauth_verifier_set_shared_state(null_mut(), c"redis://127.0.0.1".as_ptr()),
            CLIAUTH_NULL_PARAMETER
        );
        assert!(cliauth_verdict_replay(null()).is_null());
    }
    assert_eq!(
        verify_call(verifier, &identity, Some(c"b")),
        (CLIAUTH_OK, word("unchecked"))
    );
    // SAFETY: live handles, freed once.
    unsafe {
        cliauth_signer_free(signer);
        cliauth_verifier_free(verifier);
    }
}

#[test]
fn shared_state_catches_a_replay_to_another_verifier() {
    let mut redis = redis_server::RedisServer::start();
    let url = CString::new(redis.url()).unwrap();
    let (key, der) = SigningKey::generate().unwrap();
    let key_pem = pkcs8_pem(&der);
    let pub_pem = key.verifying_key().to_pem().unwrap();
    let mut signer = null_mut();
    let mut nodes = [null_mut(), null_mut()];
    // SAFETY: valid buffers, strings and out pointers.
    unsafe {
        assert_eq!(
            cliauth_signer_new_pem(key_pem.as_ptr(), key_pem.len(), X5U.as_ptr(), &mut signer),
            CLIAUTH_OK
        );
        for n in &mut nodes {
            assert_eq!(
                cliauth_verifier_new_pubkey(pub_pem.as_ptr(), pub_pem.len(), n),
                CLIAUTH_OK
            );
            // Shared state before and after the cache: both orders work.
            assert_eq!(
                cliauth_verifier_set_shared_state(*n, url.as_ptr()),
                CLIAUTH_OK
            );
            assert_eq!(cliauth_verifier_set_verdict_cache(*n, 1000, 0), CLIAUTH_OK);
        }
        assert_eq!(
            cliauth_verifier_set_shared_state(nodes[1], url.as_ptr()),
            CLIAUTH_OK
        );
    }
    let identity = CString::new(sign(signer, CLIAUTH_FORM_IDENTITY)).unwrap();
    let word = |s: &str| Some(s.to_owned());
    assert_eq!(
        verify_call(nodes[0], &identity, Some(c"call-1")),
        (CLIAUTH_OK, word("first"))
    );
    // The same call through the other node (a second hop): fine; another call: a replay.
    assert_eq!(
        verify_call(nodes[1], &identity, Some(c"call-1")),
        (CLIAUTH_OK, word("first"))
    );
    assert_eq!(
        verify_call(nodes[1], &identity, Some(c"call-2")).0,
        CLIAUTH_REPLAY
    );
    // Redis gone: verification goes on, with local state only.
    redis.kill();
    let mut other = null_mut();
    // SAFETY: valid buffers and out pointers.
    unsafe {
        assert_eq!(
            cliauth_signer_new_pem(key_pem.as_ptr(), key_pem.len(), X5U.as_ptr(), &mut other),
            CLIAUTH_OK
        );
    }
    let fresh = CString::new(sign(other, CLIAUTH_FORM_IDENTITY)).unwrap();
    assert_eq!(
        verify_call(nodes[0], &fresh, Some(c"call-3")),
        (CLIAUTH_OK, word("local_only"))
    );
    // SAFETY: live handles, freed once.
    unsafe {
        cliauth_signer_free(signer);
        cliauth_signer_free(other);
        for n in nodes {
            cliauth_verifier_free(n);
        }
    }
}
