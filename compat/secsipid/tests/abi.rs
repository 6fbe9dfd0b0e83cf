//! The C ABI itself, called as C would call it: NUL-terminated strings, lengths, output
//! pointers released with `free()`, NULL pointers. One test per exported function (and
//! the certificate verification modes), asserting libsecsipid's return codes.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr::null_mut;
use std::sync::{Mutex, MutexGuard, PoisonError};

use cliauth::SigningKey;
use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth_secsipid::*;

static LOCK: Mutex<()> = Mutex::new(());

/// Serialises the tests (they share the library's options) and resets the options.
fn lock() -> MutexGuard<'static, ()> {
    let g = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    for (n, v) in [("CertVerify", 0), ("CacheExpires", 3600)] {
        let n = CString::new(n).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { SecSIPIDOptSetN(n.as_ptr().cast_mut(), v) }, 0);
    }
    // SAFETY: a valid C string.
    unsafe { SecSIPIDSetFileCacheOptions(c("").as_ptr().cast_mut(), 3600) };
    g
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A mutable `char*` for a CString (the ABI's pointers are not const).
fn p(s: &CString) -> *mut c_char {
    s.as_ptr().cast_mut()
}

/// Takes a returned string: copies it and frees it with `free()`, as a C caller does.
fn take(out: *mut c_char) -> Option<String> {
    if out.is_null() {
        return None;
    }
    // SAFETY: the library returned a NUL-terminated malloc'ed string.
    let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    // SAFETY: allocated with malloc by the library, freed once.
    unsafe { libc::free(out.cast()) };
    Some(s)
}

const X5U: &str = "https://cert.example.org/sp.pem";

struct Files {
    dir: std::path::PathBuf,
    pki: TestPki,
}

impl Files {
    fn new(opts: &TestPkiOptions) -> Files {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cliauth-secsipid-abi-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let pki = TestPki::generate(opts).unwrap();
        let key = SigningKey::from_pem_or_der(pki.ee_key_pem.as_bytes()).unwrap();
        let (other, _) = SigningKey::generate().unwrap();
        for (name, text) in [
            ("prv.pem", pki.ee_key_pem.clone()),
            ("pub.pem", key.verifying_key().to_pem().unwrap()),
            ("chain.pem", pki.chain_pem.clone()),
            ("ee.pem", pki.ee_pem.clone()),
            ("root.pem", pki.root_pem.clone()),
            ("inter.pem", pki.intermediate_pem.clone()),
            ("other-pub.pem", other.verifying_key().to_pem().unwrap()),
            ("junk.pem", "junk\n".into()),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Files { dir, pki }
    }
    fn path(&self, name: &str) -> CString {
        c(self.dir.join(name).to_str().unwrap())
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// SecSIPIDGetIdentity with a key file: the Identity value and its length.
fn get_identity(
    f: &Files,
    orig: &str,
    attest: &str,
    x5u: &str,
    key: &str,
) -> (c_int, Option<String>) {
    let (o, d, a, id, x, k) = (
        c(orig),
        c("12155551213"),
        c(attest),
        c(""),
        c(x5u),
        f.path(key),
    );
    let mut out: *mut c_char = null_mut();
    // SAFETY: valid C strings and a writable output pointer.
    let n = unsafe { SecSIPIDGetIdentity(p(&o), p(&d), p(&a), p(&id), p(&x), p(&k), &mut out) };
    (n, take(out))
}

fn identity(f: &Files) -> String {
    let (n, v) = get_identity(f, "12155551212", "A", X5U, "prv.pem");
    let v = v.unwrap();
    assert_eq!(n as usize, v.len());
    v
}

fn check_full(value: &str, expire: c_int, key: &CString) -> c_int {
    let v = c(value);
    // SAFETY: valid C strings.
    unsafe { SecSIPIDCheckFull(p(&v), 0, expire, p(key), 2) }
}

#[test]
fn get_identity_codes() {
    let _g = lock();
    let f = Files::new(&TestPkiOptions::default());
    let v = identity(&f);
    assert!(v.ends_with(";info=<https://cert.example.org/sp.pem>;alg=ES256;ppt=shaken"));
    assert_eq!(
        get_identity(&f, "12155551212", "A", X5U, "missing.pem"),
        (-451, Some(String::new()))
    );
    assert_eq!(
        get_identity(&f, "12155551212", "A", X5U, "junk.pem"),
        (-152, Some(String::new()))
    );
    assert_eq!(
        get_identity(&f, "12155551212", "A", X5U, "pub.pem"),
        (-151, Some(String::new()))
    );
    assert_eq!(get_identity(&f, "12155551212", "Z", X5U, "prv.pem").0, -1);
    assert_eq!(get_identity(&f, "alice", "A", X5U, "prv.pem").0, -1);
    assert_eq!(get_identity(&f, "12155551212", "A", "", "prv.pem").0, -1);
    // NULL output pointer: refused, nothing leaks.
    let (o, a, x, k) = (c("1"), c("A"), c(X5U), f.path("prv.pem"));
    // SAFETY: NULL is allowed for the strings and refused for the output.
    let n =
        unsafe { SecSIPIDGetIdentity(p(&o), p(&o), p(&a), null_mut(), p(&x), p(&k), null_mut()) };
    assert_eq!(n, -1);
    // NULL strings read as "" (so: not a telephone number).
    let mut out = null_mut();
    // SAFETY: as above, with a writable output.
    let n = unsafe {
        SecSIPIDGetIdentity(
            null_mut(),
            null_mut(),
            null_mut(),
            null_mut(),
            p(&x),
            p(&k),
            &mut out,
        )
    };
    assert_eq!((n, take(out)), (-1, Some(String::new())));
}

#[test]
fn get_identity_prvkey_codes() {
    let _g = lock();
    let f = Files::new(&TestPkiOptions::default());
    let run = |key: &str| {
        let (o, d, a, id, x, k) = (
            c("12155551212"),
            c("12155551213"),
            c("B"),
            c("my-id"),
            c(X5U),
            c(key),
        );
        let mut out = null_mut();
        // SAFETY: valid C strings and a writable output pointer.
        let n = unsafe {
            SecSIPIDGetIdentityPrvKey(p(&o), p(&d), p(&a), p(&id), p(&x), p(&k), &mut out)
        };
        (n, take(out).unwrap())
    };
    let (n, v) = run(&f.pki.ee_key_pem);
    assert_eq!(n as usize, v.len());
    let pubkey = f.path("pub.pem");
    assert_eq!(check_full(&v, 60, &pubkey), 0);
    assert_eq!(run("junk"), (-152, String::new()));
    assert_eq!(run(""), (-152, String::new()));
    let public = std::fs::read_to_string(f.dir.join("pub.pem")).unwrap();
    assert_eq!(run(&public), (-151, String::new()));
}

#[test]
fn sign_json_hp_codes() {
    let _g = lock();
    let f = Files::new(&TestPkiOptions::default());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let h = c(&format!(
        r#"{{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"{X5U}"}}"#
    ));
    let pl = c(&format!(
        r#"{{"attest":"A","dest":{{"tn":["2"]}},"iat":{now},"orig":{{"tn":"1"}},"origid":"x"}}"#
    ));
    let k = f.path("prv.pem");
    let mut out = null_mut();
    // SAFETY: valid C strings and a writable output pointer.
    let n = unsafe { SecSIPIDSignJSONHP(p(&h), p(&pl), p(&k), &mut out) };
    let token = take(out).unwrap();
    assert_eq!(n as usize, token.len());
    assert_eq!(
        check_full(
            &format!("{token};info=<{X5U}>;alg=ES256;ppt=shaken"),
            60,
            &f.path("pub.pem")
        ),
        0
    );
    // Failure: 0 and an empty string, as libsecsipid 1.2.
    let missing = f.path("missing.pem");
    let mut out = null_mut();
    // SAFETY: as above.
    let n = unsafe { SecSIPIDSignJSONHP(p(&h), p(&pl), p(&missing), &mut out) };
    assert_eq!((n, take(out)), (0, Some(String::new())));
    // SAFETY: NULL output refused.
    assert_eq!(
        unsafe { SecSIPIDSignJSONHP(p(&h), p(&pl), p(&k), null_mut()) },
        -1
    );
}

#[test]
fn check_codes() {
    let _g = lock();
    let f = Files::new(&TestPkiOptions::default());
    let v = identity(&f);
    let token = v[..v.find(';').unwrap()].to_owned();
    let key = f.path("pub.pem");
    let check = |value: &[u8], len: c_int, key: &CString| {
        // SAFETY: `value` holds at least `len` bytes (and a NUL when len is 0).
        unsafe { SecSIPIDCheck(value.as_ptr().cast_mut().cast(), len, 60, p(key), 2) }
    };
    let t = c(&token);
    assert_eq!(check(t.as_bytes_with_nul(), 0, &key), 0);
    // With a length: bytes after it are ignored (a SIP message buffer is not terminated).
    let padded = format!("{token}\r\nVia: SIP/2.0/UDP x");
    assert_eq!(check(padded.as_bytes(), token.len() as c_int, &key), 0);
    assert_eq!(check(c(&v).as_bytes_with_nul(), 0, &key), -301);
    assert_eq!(check(b"a.b\0", 0, &key), -301);
    assert_eq!(
        check(t.as_bytes_with_nul(), 0, &f.path("other-pub.pem")),
        -251
    );
    assert_eq!(
        check(t.as_bytes_with_nul(), 0, &f.path("missing.pem")),
        -451
    );
    assert_eq!(check(t.as_bytes_with_nul(), 0, &f.path("junk.pem")), -102);
    assert_eq!(check(t.as_bytes_with_nul(), 0, &f.path("prv.pem")), -101);
    assert_eq!(check(t.as_bytes_with_nul(), 0, &f.path("ee.pem")), 0);
    assert_eq!(check(t.as_bytes_with_nul(), -1, &key), -1);
    // SAFETY: NULL identity.
    assert_eq!(
        unsafe { SecSIPIDCheck(null_mut(), 0, 60, p(&key), 2) },
        -301
    );
    // SAFETY: NULL key path reads as "", a file that does not exist.
    assert_eq!(unsafe { SecSIPIDCheck(p(&t), 0, 60, null_mut(), 2) }, -451);
    // Expired: -232.
    // SAFETY: valid strings.
    assert_eq!(unsafe { SecSIPIDCheck(p(&t), 0, -1, p(&key), 2) }, -232);
}

#[test]
fn check_full_codes() {
    let _g = lock();
    let f = Files::new(&TestPkiOptions::default());
    let v = identity(&f);
    let tok = &v[..v.find(';').unwrap()];
    let key = f.path("pub.pem");
    assert_eq!(check_full(&v, 60, &key), 0);
    assert_eq!(check_full(&v, 60, &f.path("chain.pem")), 0);
    assert_eq!(check_full(tok, 60, &key), -301);
    assert_eq!(check_full("", 60, &key), -301);
    assert_eq!(
        check_full(&v.replace("alg=ES256", "alg=RS256"), 60, &key),
        -302
    );
    assert_eq!(
        check_full(&v.replace("ppt=shaken", "ppt=foo"), 60, &key),
        -303
    );
    assert_eq!(
        check_full(&format!("{tok};alg=ES256;ppt=shaken"), 60, &key),
        -303
    );
    assert_eq!(
        check_full(&v.replace(X5U, "https://other.example/x.pem"), 60, &key),
        -205
    );
    assert_eq!(check_full(&v, -1, &key), -232);
    assert_eq!(check_full(&v, 60, &f.path("other-pub.pem")), -251);
    // Empty (or NULL) key path: the key is downloaded from info (no name lookups here:
    // loopback literals only) — after the cheap checks: an info that differs from the
    // token's x5u never causes a download (-205, where libsecsipid tries the download
    // first).
    assert_eq!(
        check_full(&v.replace(X5U, "http://127.0.0.1:9/sp.pem"), 60, &c("")),
        -205
    );
    // Tokens signed for the URL: https to a loopback peer is refused by the x5u rules;
    // nothing listens on port 9.
    let signed_for = |x5u: &str| {
        let (_, v) = get_identity(&f, "12155551212", "A", x5u, "prv.pem");
        v.unwrap()
    };
    let https_local = signed_for("https://127.0.0.1/sp.pem");
    assert_eq!(check_full(&https_local, 60, &c("")), -401);
    let http_local = c(&signed_for("http://127.0.0.1:9/sp.pem"));
    assert_eq!(check_full(http_local.to_str().unwrap(), 60, &c("")), -402);
    // SAFETY: valid identity, NULL key path.
    assert_eq!(
        unsafe { SecSIPIDCheckFull(p(&http_local), 0, 60, null_mut(), 1) },
        -402
    );
    // The same token, stale: no download, -232.
    assert_eq!(check_full(http_local.to_str().unwrap(), -1, &c("")), -232);
}

#[test]
fn check_full_pubkey_codes() {
    let _g = lock();
    let f = Files::new(&TestPkiOptions::default());
    let v = identity(&f);
    let tok = &v[..v.find(';').unwrap()];
    let public = std::fs::read_to_string(f.dir.join("pub.pem")).unwrap();
    let run = |value: &str, key: &str, key_len: c_int| {
        let (v, k) = (c(value), c(key));
        // SAFETY: valid C strings; key_len is 0 or the key's length.
        unsafe { SecSIPIDCheckFullPubKey(p(&v), 0, 60, p(&k), key_len) }
    };
    assert_eq!(run(&v, &public, 0), 0);
    assert_eq!(run(&v, &public, public.len() as c_int), 0);
    assert_eq!(run(tok, &public, 0), 0);
    assert_eq!(run(&v, &f.pki.chain_pem, 0), 0);
    assert_eq!(run(&v, "junk", 0), -102);
    assert_eq!(run(&v, "", 0), -102);
    assert_eq!(run(&v, &f.pki.ee_key_pem, 0), -101);
    assert_eq!(run(&v, &public, -3), -1);
    let vv = c(&v);
    // SAFETY: NULL key: read as empty.
    assert_eq!(
        unsafe { SecSIPIDCheckFullPubKey(p(&vv), 0, 60, null_mut(), 0) },
        -102
    );
}

/// A NULL identity value is an empty one: -301, as Debian's libsecsipid answers for a NULL
/// value of length 0 (with a length > 0 it crashes; we still answer -301). Negative
/// lengths are -1 (README: "NULL and bad lengths").
#[test]
fn null_identity_is_an_empty_value() {
    let _g = lock();
    let f = Files::new(&TestPkiOptions::default());
    let public = c(&std::fs::read_to_string(f.dir.join("pub.pem")).unwrap());
    let key = f.path("pub.pem");
    // SAFETY: NULL identity values (read as empty), valid key strings.
    unsafe {
        assert_eq!(
            SecSIPIDCheckFullPubKey(null_mut(), 0, 60, p(&public), 0),
            -301
        );
        assert_eq!(
            SecSIPIDCheckFullPubKey(null_mut(), 40, 60, p(&public), 0),
            -301
        );
        assert_eq!(
            SecSIPIDCheckFullPubKey(null_mut(), 0, 60, null_mut(), 0),
            -301
        );
        assert_eq!(SecSIPIDCheckFull(null_mut(), 0, 60, p(&key), 1), -301);
        assert_eq!(SecSIPIDCheckFull(null_mut(), 40, 60, p(&key), 1), -301);
        assert_eq!(SecSIPIDCheck(null_mut(), 0, 60, p(&key), 1), -301);
        assert_eq!(
            SecSIPIDCheckFullPubKey(null_mut(), -1, 60, p(&public), 0),
            -1
        );
        assert_eq!(SecSIPIDCheckFull(null_mut(), -1, 60, p(&key), 1), -1);
    }
    // The same as an empty string.
    let empty = c("");
    // SAFETY: valid C strings.
    unsafe {
        assert_eq!(
            SecSIPIDCheckFullPubKey(p(&empty), 0, 60, p(&public), 0),
            -301
        );
        assert_eq!(SecSIPIDCheckFull(p(&empty), 0, 60, p(&key), 1), -301);
    }
}

#[test]
fn options_and_cache() {
    let _g = lock();
    let opt_s = |n: &str, v: &str| {
        let (n, v) = (c(n), c(v));
        // SAFETY: valid C strings.
        unsafe { SecSIPIDOptSetS(p(&n), p(&v)) }
    };
    let opt_n = |n: &str, v: c_int| {
        let n = c(n);
        // SAFETY: a valid C string.
        unsafe { SecSIPIDOptSetN(p(&n), v) }
    };
    let opt_v = |s: &str| {
        let s = c(s);
        // SAFETY: a valid C string.
        unsafe { SecSIPIDOptSetV(p(&s)) }
    };
    assert_eq!(opt_s("CacheDirPath", ""), 0);
    assert_eq!(opt_s("CertCAFile", "/x"), 0);
    assert_eq!(opt_s("CertCAInter", "/x"), 0);
    assert_eq!(opt_s("CertCRLFile", "/x"), 0);
    assert_eq!(opt_s("CacheExpires", "10"), -1);
    assert_eq!(opt_s("NoSuchOption", "x"), -1);
    assert_eq!(opt_n("CacheExpires", 10), 0);
    assert_eq!(opt_n("CertVerify", 0), 0);
    assert_eq!(opt_n("CacheDirPath", 1), -1);
    assert_eq!(opt_n("cacheexpires", 1), -1);
    assert_eq!(opt_v("CacheExpires=20"), 0);
    assert_eq!(opt_v("CertVerify=0"), 0);
    assert_eq!(opt_v("CacheDirPath="), 0);
    assert_eq!(opt_v("CacheExpires=abc"), 0);
    assert_eq!(opt_v("CacheExpires"), -1);
    assert_eq!(opt_v(""), -1);
    assert_eq!(opt_v("NoSuchOption=1"), -1);
    // SharedCache: a Redis URL (syntax only: nothing listens there), refused otherwise.
    assert_eq!(opt_s("SharedCache", "redis://127.0.0.1:9"), 0);
    assert_eq!(opt_v("SharedCache=redis://127.0.0.1:9/1"), 0);
    assert_eq!(opt_s("SharedCache", "http://127.0.0.1:9"), -1);
    assert_eq!(opt_v("SharedCache=not a url"), -1);
    assert_eq!(opt_n("SharedCache", 1), -1);
    assert_eq!(opt_s("SharedCache", ""), 0);
    // SAFETY: NULL pointers are refused.
    unsafe {
        assert_eq!(SecSIPIDOptSetV(null_mut()), -1);
        assert_eq!(SecSIPIDOptSetS(null_mut(), null_mut()), -1);
        assert_eq!(SecSIPIDOptSetN(null_mut(), 1), -1);
        assert_eq!(SecSIPIDSetFileCacheOptions(null_mut(), 1), 0);
    }
    let d = c("/tmp");
    // SAFETY: a valid C string.
    assert_eq!(unsafe { SecSIPIDSetFileCacheOptions(p(&d), 100) }, 0);
}

#[test]
fn get_url_content_codes() {
    let _g = lock();
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for body in [
            &b"HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\nhello world"[..],
            b"HTTP/1.0 500 Oops\r\n\r\n",
        ] {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            s.write_all(body).unwrap();
        }
    });
    let get = |url: &str| {
        let u = c(url);
        let mut out = null_mut();
        let mut len: c_int = -7;
        // SAFETY: a valid C string and writable outputs.
        let r = unsafe { SecSIPIDGetURLContent(p(&u), 2, &mut out, &mut len) };
        (r, take(out), len)
    };
    assert_eq!(
        get(&format!("http://{addr}/k.pem")),
        (0, Some("hello world".into()), 11)
    );
    assert_eq!(get(&format!("http://{addr}/k.pem")), (-403, None, -7));
    server.join().unwrap();
    assert_eq!(get(&format!("http://{addr}/k.pem")), (-402, None, -7));
    assert_eq!(get("ftp://x/y"), (-401, None, -7));
    assert_eq!(get("https://127.0.0.1/k.pem"), (-401, None, -7));
    let mut out = null_mut();
    // SAFETY: NULL URL; a NULL output pointer is refused.
    unsafe {
        assert_eq!(
            SecSIPIDGetURLContent(null_mut(), 1, &mut out, null_mut()),
            -401
        );
        assert!(out.is_null());
        let u = c("http://127.0.0.1:9/");
        assert_eq!(SecSIPIDGetURLContent(p(&u), 1, null_mut(), null_mut()), -1);
    }
}

#[test]
fn certificate_verification() {
    let _g = lock();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let f = Files::new(&TestPkiOptions::default());
    let v = identity(&f);
    let set_n = |v: c_int| {
        let n = c("CertVerify");
        // SAFETY: a valid C string.
        assert_eq!(unsafe { SecSIPIDOptSetN(p(&n), v) }, 0);
    };
    let set_s = |name: &str, val: &CString| {
        let n = c(name);
        // SAFETY: valid C strings.
        assert_eq!(unsafe { SecSIPIDOptSetS(p(&n), p(val)) }, 0);
    };
    let chain = f.path("chain.pem");
    set_n(1);
    assert_eq!(check_full(&v, 60, &f.path("pub.pem")), -102);
    assert_eq!(check_full(&v, 60, &chain), -101, "no trusted root");
    set_n(4);
    assert_eq!(check_full(&v, 60, &chain), -106);
    set_s("CertCAFile", &f.path("missing.pem"));
    assert_eq!(check_full(&v, 60, &chain), -107);
    set_s("CertCAFile", &f.path("root.pem"));
    assert_eq!(check_full(&v, 60, &chain), 0);
    assert_eq!(
        check_full(&v, 60, &f.path("ee.pem")),
        -101,
        "intermediate missing"
    );
    set_n(4 | 8);
    assert_eq!(check_full(&v, 60, &f.path("ee.pem")), -108);
    set_s("CertCAInter", &f.path("inter.pem"));
    assert_eq!(check_full(&v, 60, &f.path("ee.pem")), 0);
    set_n(4 | 16);
    assert_eq!(check_full(&v, 60, &chain), -110);
    let crl = f.dir.join("crl.pem");
    std::fs::write(&crl, f.pki.ee_crl(true, now - 10, now + 3600).unwrap()).unwrap();
    set_s("CertCRLFile", &c(crl.to_str().unwrap()));
    assert_eq!(check_full(&v, 60, &chain), -112);
    std::fs::write(&crl, f.pki.ee_crl(false, now - 10, now + 3600).unwrap()).unwrap();
    set_n(4 | 16); // an option change reloads the trust store
    assert_eq!(check_full(&v, 60, &chain), 0);
    // An expired end entity.
    let old = Files::new(&TestPkiOptions {
        ee_validity: Some((now - 7200, now - 3600)),
        ..TestPkiOptions::default()
    });
    let ov = identity(&old);
    set_s("CertCAFile", &old.path("root.pem"));
    set_n(1 | 4);
    assert_eq!(check_full(&ov, 60, &old.path("chain.pem")), -103);
    set_n(4);
    assert_eq!(check_full(&ov, 60, &old.path("chain.pem")), -103);
    set_n(0);
    assert_eq!(
        check_full(&ov, 60, &old.path("chain.pem")),
        0,
        "no verification asked"
    );
}

/// Reloading `CertCAFile` / `CertCRLFile` without a restart: setting the option again —
/// to the same path, after the file changed — makes the next check use the new contents.
#[test]
fn setting_a_trust_file_again_reloads_it() {
    let _g = lock();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let f = Files::new(&TestPkiOptions::default());
    let v = identity(&f);
    let chain = f.path("chain.pem");
    let set = |name: &str, val: &CString| {
        let n = c(name);
        // SAFETY: valid C strings.
        assert_eq!(unsafe { SecSIPIDOptSetS(p(&n), p(val)) }, 0);
    };
    let n = c("CertVerify");
    // SAFETY: a valid C string.
    assert_eq!(unsafe { SecSIPIDOptSetN(p(&n), 4 | 16) }, 0);

    // The CA file: the right root, then another PKI's root in the same file.
    let roots = f.dir.join("roots.pem");
    std::fs::write(&roots, &f.pki.root_pem).unwrap();
    let crl = f.dir.join("crl.pem");
    std::fs::write(&crl, f.pki.ee_crl(false, now - 10, now + 3600).unwrap()).unwrap();
    let (roots_c, crl_c) = (c(roots.to_str().unwrap()), c(crl.to_str().unwrap()));
    set("CertCAFile", &roots_c);
    set("CertCRLFile", &crl_c);
    assert_eq!(check_full(&v, 60, &chain), 0);
    let other = TestPki::generate(&TestPkiOptions {
        name: "another CA".into(),
        ..TestPkiOptions::default()
    })
    .unwrap();
    std::fs::write(&roots, &other.root_pem).unwrap();
    assert_eq!(
        check_full(&v, 60, &chain),
        0,
        "not reloaded until the option is set"
    );
    set("CertCAFile", &roots_c);
    assert_eq!(
        check_full(&v, 60, &chain),
        -101,
        "the new CA file is in force"
    );
    std::fs::write(&roots, &f.pki.root_pem).unwrap();
    set("CertCAFile", &roots_c);
    assert_eq!(check_full(&v, 60, &chain), 0);

    // The CRL file: a new CRL revoking the end entity.
    std::fs::write(&crl, f.pki.ee_crl(true, now - 5, now + 3600).unwrap()).unwrap();
    set("CertCRLFile", &crl_c);
    assert_eq!(check_full(&v, 60, &chain), -112, "the new CRL is in force");
    std::fs::write(&crl, f.pki.ee_crl(false, now - 1, now + 3600).unwrap()).unwrap();
    set("CertCRLFile", &crl_c);
    assert_eq!(check_full(&v, 60, &chain), 0);
    // SAFETY: a valid C string.
    assert_eq!(unsafe { SecSIPIDOptSetN(p(&n), 0) }, 0);
}

#[test]
fn outputs_are_malloc_strings_across_threads() {
    let _g = lock();
    let f = std::sync::Arc::new(Files::new(&TestPkiOptions::default()));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let f = std::sync::Arc::clone(&f);
            std::thread::spawn(move || {
                let key = f.path("pub.pem");
                for _ in 0..50 {
                    let v = identity(&f);
                    assert_eq!(check_full(&v, 60, &key), 0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
