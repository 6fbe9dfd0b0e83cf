//! `SecSIPIDCheck`, `SecSIPIDCheckFull` and `SecSIPIDCheckFullPubKey` on cliauth's
//! [`Verifier`] with a key in hand.
//!
//! The verification itself is cliauth's: strict parsing of the Identity value and of the
//! token, ES256 over the received bytes, `info` = `x5u`, `ppt` parameter = token `ppt`,
//! freshness. What this module adds is libsecsipid's interface: where the key comes from
//! (file, URL, value, or the `info` URL when the key path is empty), the `expire` window
//! and libsecsipid's return codes. A failed verification is classified after the fact
//! (the fast path is a single `verify_parsed` call).
//!
//! With no key path and `CertVerify` 0 (libsecsipid's default), the key is whatever the
//! `info` URL serves and nothing checks who published it: the first such check of a
//! process writes [`UNVERIFIED_INFO_KEY_WARNING`] to stderr and to the call log.
//!
//! A rejected token costs one ECDSA verification, like an accepted one: the failure path
//! reuses cliauth's verdict on the signature (see `signature_stage`).
//!
//! Freshness: `iat` may be up to `expire` seconds old (libsecsipid's meaning) and, unlike
//! libsecsipid, which accepts any `iat` in the future, at most `expire` seconds ahead
//! (-232 either way).
//!
//! Cheap checks before downloads: when the key must be downloaded (from the `info` URL,
//! or a key path that is an `http(s)://` URL), everything cliauth decides without the key
//! — the Identity parameters, the token's syntax, header and claims, `info` = `x5u`, the
//! `iat` window — is decided first (`precheck`), and a token that fails it never causes a
//! download. libsecsipid downloads first; so for a token that fails a cheap check *and*
//! whose download fails, the code is now the cheap check's (e.g. -232 rather than -402),
//! and a token with a bad signature and a bad parameter gets the parameter's code. With a
//! local key, libsecsipid's order of codes is kept.

use cliauth::cert::{CertStore, TrustStore};
use cliauth::error::Part;
use cliauth::identity::IdentityHeader;
use cliauth::passport::header::ALG_ES256;
use cliauth::passport::jws::RawToken;
use cliauth::{Call, Error, Ppt, Verifier, VerifierConfig, VerifyingKey};

use crate::codes;
use crate::keys::{self, PubSource};
use crate::options;

/// What kind of value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A bare token (`SecSIPIDCheck`).
    Token,
    /// An Identity header value with its parameters (`SecSIPIDCheckFull`).
    Full,
    /// An Identity header value with its parameters, or a bare token
    /// (`SecSIPIDCheckFullPubKey` accepts both).
    FullOrToken,
}

/// The current time, seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The key for a check: parsed directly, or validated as a certificate chain when the
/// `CertVerify` option asks for it.
fn key_for(src: PubSource<'_>, timeout: i32, now: i64) -> Result<VerifyingKey, i32> {
    if options::get().cert_verify == 0 {
        return keys::verifying_key(src, timeout);
    }
    let bytes = match src {
        PubSource::Data(d) => d.to_vec(),
        PubSource::Location(l) => keys::location_bytes(l, timeout)?,
        PubSource::Remote(u) => crate::url::get_url_content(u, timeout)?,
    };
    crate::certs::verified_key(&bytes, now)
}

/// Whether the key from `src` means a download.
fn is_download(src: PubSource<'_>) -> bool {
    match src {
        PubSource::Remote(_) => true,
        PubSource::Location(l) => l.starts_with("http://") || l.starts_with("https://"),
        PubSource::Data(_) => false,
    }
}

/// A verifier with an empty certificate store and no fetcher: cliauth decides every
/// check that needs no key before it looks the key up, so its answer is
/// [`Error::CertificateNeeded`] exactly when all of them pass.
fn keyless(config: &VerifierConfig) -> Verifier {
    static EMPTY: std::sync::LazyLock<std::sync::Arc<CertStore>> =
        std::sync::LazyLock::new(|| std::sync::Arc::new(CertStore::new(TrustStore::new())));
    Verifier::with_store(std::sync::Arc::clone(&EMPTY)).with_config(config.clone())
}

/// The cheap checks, without the key: `Err` with cliauth's error when one fails.
fn precheck(r: Result<cliauth::verify::Verdict, Error>) -> Result<(), Error> {
    match r {
        Ok(_) | Err(Error::CertificateNeeded { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Checks `value` of form `form` with the key from `src` (`None`: download it from the
/// `info` parameter), `expire` seconds of validity, `timeout` seconds for downloads.
/// Returns 0 or a libsecsipid code.
pub fn check(
    value: &[u8],
    form: Form,
    expire: i32,
    src: Option<PubSource<'_>>,
    timeout: i32,
) -> i32 {
    check_at(value, form, expire, src, timeout, now())
}

/// [`check`] at time `now`.
pub fn check_at(
    value: &[u8],
    form: Form,
    expire: i32,
    src: Option<PubSource<'_>>,
    timeout: i32,
    now: i64,
) -> i32 {
    let Ok(value) = std::str::from_utf8(value) else {
        return codes::SIP_HDR_PARSE;
    };
    let value = value.trim();
    if value.is_empty() {
        return codes::SIP_HDR_PARSE;
    }
    let w = Window::new(expire, now);
    let config = VerifierConfig {
        max_age: w.max_age,
        max_future: w.max_future,
        allow_http_x5u: true,
        strict_profile: false,
        ..VerifierConfig::default()
    };
    let form = match form {
        Form::FullOrToken if !value.contains(';') => Form::Token,
        Form::FullOrToken => Form::Full,
        f => f,
    };
    match form {
        Form::Token => {
            // A bare token: the key must be given (libsecsipid reads "" as a file name).
            let src = src.unwrap_or(PubSource::Location(""));
            if is_download(src)
                && let Err(e) =
                    precheck(keyless(&config).verify_token(value, &Call::default(), now))
            {
                return token_stage(value, &w).unwrap_or_else(|| classify(&e, None, value));
            }
            let key = match key_for(src, timeout, now) {
                Ok(k) => k,
                Err(code) => return token_stage(value, &w).unwrap_or(code),
            };
            let v = Verifier::with_key(key.clone()).with_config(config);
            match v.verify_token(value, &Call::default(), now) {
                Ok(_) => codes::OK,
                Err(e) => token_stage(value, &w)
                    .or_else(|| signature_stage(value, &key, &e))
                    .unwrap_or_else(|| classify(&e, None, value)),
            }
        }
        Form::Full | Form::FullOrToken => {
            // libsecsipid tolerates a trailing separator.
            let value = value.trim_end_matches(|c: char| c == ';' || c.is_whitespace());
            let Ok(h) = IdentityHeader::parse(value) else {
                // A token followed by parameters we cannot parse: the parameters are bad.
                return match value.split_once(';') {
                    Some((t, _)) if t.trim().split('.').count() == 3 => codes::SIP_HDR_INFO,
                    _ => codes::SIP_HDR_PARSE,
                };
            };
            if h.info.is_none() && h.alg.is_none() && h.ppt.is_none() && h.params.is_empty() {
                // libsecsipid: a "full" value must carry its parameters.
                return codes::SIP_HDR_PARSE;
            }
            let (src, remote) = match src {
                Some(s) => (s, false),
                None => match &h.info {
                    // Not a URL to download from (libsecsipid: the URL comes first).
                    Some(info)
                        if !(info.starts_with("http://") || info.starts_with("https://")) =>
                    {
                        return codes::HTTP_INVALID_URL;
                    }
                    Some(info) => {
                        if options::get().cert_verify == 0 {
                            warn_unverified_info_key();
                        }
                        (PubSource::Remote(info), true)
                    }
                    None => return codes::SIP_HDR_INFO,
                },
            };
            if is_download(src)
                && let Err(e) = precheck(keyless(&config).verify_parsed(&h, &Call::default(), now))
            {
                return token_stage(&h.token, &w)
                    .or_else(|| params_stage(&h))
                    .or_else(|| header_stage(&h))
                    .unwrap_or_else(|| classify(&e, Some(&h), &h.token));
            }
            let key = match key_for(src, timeout, now) {
                Ok(k) => k,
                // A failed download: the cheap checks passed above.
                Err(code) if remote => return code,
                Err(code) => return token_stage(&h.token, &w).unwrap_or(code),
            };
            let v = Verifier::with_key(key.clone()).with_config(config);
            match v.verify_parsed(&h, &Call::default(), now) {
                Ok(_) => codes::OK,
                Err(e) => token_stage(&h.token, &w)
                    .or_else(|| signature_stage(&h.token, &key, &e))
                    .or_else(|| params_stage(&h))
                    .or_else(|| header_stage(&h))
                    .unwrap_or_else(|| classify(&e, Some(&h), &h.token)),
            }
        }
    }
}

/// What a check says (stderr and the call log, once per process) when it takes the key
/// from the `info` URL with `CertVerify` 0.
pub const UNVERIFIED_INFO_KEY_WARNING: &str = "WARNING: CertVerify=0 and no key path: the \
    public key is whatever the Identity header's info URL serves, used without any \
    certificate check, so ANY signer who can publish a key at a URL passes verification. \
    Set CertVerify (e.g. SecSIPIDOptSetN(\"CertVerify\", 5) with CertCAFile) or give a key path.";

/// Says loudly (stderr and the call log, once per process) that a check is about to trust
/// whatever key the `info` URL serves: `CertVerify` is 0 and no key path was given.
fn warn_unverified_info_key() {
    #[cfg(test)]
    tests::INSECURE_CHECKS.with(|n| n.set(n.get() + 1));
    crate::calllog::warn_once("unverified-info-key", UNVERIFIED_INFO_KEY_WARNING);
}

/// The accepted `iat` window at a given time.
struct Window {
    now: i64,
    max_age: i64,
    max_future: i64,
}

impl Window {
    fn new(expire: i32, now: i64) -> Window {
        Window {
            now,
            max_age: i64::from(expire),
            max_future: i64::from(expire).max(0),
        }
    }
}

// When cliauth rejects a token, the code reported follows libsecsipid's order of checks,
// so that a token with several faults gets the code libsecsipid would give: the token's
// shape, its claims and `iat` (before the key is even read), the signature, the SIP
// parameters, the PASSporT header. Only what none of these explain is mapped from
// cliauth's error by `classify`. This runs on the failure path only.

/// Shape, claims JSON and `iat` of a token: -301, -231, -232.
fn token_stage(token: &str, w: &Window) -> Option<i32> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (Some(_), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Some(codes::SIP_HDR_PARSE);
    };
    let Ok(json) = cliauth::passport::jws::B64.decode(claims) else {
        return Some(codes::JSON_PAYLOAD_PARSE);
    };
    let Ok(m) = cliauth::passport::json::parse_object(&json, Part::Claims) else {
        return Some(codes::JSON_PAYLOAD_PARSE);
    };
    let iat = match m.get("iat") {
        None | Some(serde_json::Value::Null) => 0,
        Some(v) => match v.as_i64() {
            Some(n) => n,
            None => return Some(codes::JSON_PAYLOAD_PARSE),
        },
    };
    // libsecsipid treats a missing (zero) iat as expired.
    let age = w.now.saturating_sub(iat);
    if iat == 0 || age > w.max_age || -age > w.max_future {
        return Some(codes::JSON_PAYLOAD_IAT_EXPIRED);
    }
    None
}

/// The signature's encoding, size and validity: -253, -251. `e` is why cliauth rejected
/// the token: when it is [`Error::Signature`], cliauth has already verified the signature
/// and found it bad, and it is not verified again — a rejected token costs one ECDSA
/// verification, not two. Otherwise cliauth stopped before the signature (a malformed or
/// inconsistent token: with a key in hand and no call numbers, every failure cliauth can
/// report after a good signature is an `iat` one, which [`token_stage`] has already
/// answered), and the signature is verified here, once, to give libsecsipid's code.
fn signature_stage(token: &str, key: &VerifyingKey, e: &Error) -> Option<i32> {
    use base64::Engine;
    let (input, sig) = token.rsplit_once('.')?;
    let Ok(sig) = cliauth::passport::jws::B64.decode(sig) else {
        // libsecsipid reports an undecodable signature as a generic error.
        return Some(codes::ERR);
    };
    if sig.len() != 64 {
        return Some(codes::JSON_SIGNATURE_SIZE);
    }
    if matches!(e, Error::Signature) {
        return Some(codes::JSON_SIGNATURE_INVALID);
    }
    #[cfg(test)]
    tests::VERIFICATIONS.with(|n| n.set(n.get() + 1));
    key.verify(input.as_bytes(), &sig)
        .err()
        .map(|_| codes::JSON_SIGNATURE_INVALID)
}

/// The Identity parameters: `alg` (-302), `ppt` and `info` (-303).
fn params_stage(h: &IdentityHeader) -> Option<i32> {
    if h.alg() != ALG_ES256 {
        return Some(codes::SIP_HDR_ALG);
    }
    if h.ppt
        .as_deref()
        .is_some_and(|p| Ppt::from_name(p).is_none())
    {
        return Some(codes::SIP_HDR_PPT);
    }
    if h.info.is_none() {
        return Some(codes::SIP_HDR_INFO);
    }
    None
}

/// The PASSporT header against the parameters: -201 … -205.
fn header_stage(h: &IdentityHeader) -> Option<i32> {
    use base64::Engine;
    use serde_json::Value;
    let head = h.token.split('.').next()?;
    let Ok(json) = cliauth::passport::jws::B64.decode(head) else {
        return Some(codes::JSON_HDR_PARSE);
    };
    let Ok(m) = cliauth::passport::json::parse_object(&json, Part::Header) else {
        return Some(codes::JSON_HDR_PARSE);
    };
    let is = |k: &str, ok: &dyn Fn(&str) -> bool| match m.get(k) {
        None => None,
        Some(Value::String(s)) => Some(ok(s)),
        Some(_) => Some(false),
    };
    if is("alg", &|a| a == ALG_ES256) != Some(true) {
        return Some(codes::JSON_HDR_ALG);
    }
    if is("ppt", &|p| Ppt::from_name(p).is_some()) == Some(false) {
        return Some(codes::JSON_HDR_PPT);
    }
    if is("typ", &|t| t == "passport") == Some(false) {
        return Some(codes::JSON_HDR_TYP);
    }
    let info = h.info.as_deref().unwrap_or("");
    if is("x5u", &|x| x == info) != Some(true) {
        return Some(codes::JSON_HDR_X5U);
    }
    None
}

/// The header object of `token`, if it decodes.
fn header_of(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    cliauth::passport::decode(token).ok().map(|d| d.header)
}

/// The libsecsipid code for a verification failure.
pub fn classify(e: &Error, h: Option<&IdentityHeader>, token: &str) -> i32 {
    use cliauth::error::LimitKind;
    match e {
        Error::NoIdentity | Error::IdentitySyntax(_) => codes::SIP_HDR_PARSE,
        Error::Limit { what, .. } => match what {
            LimitKind::JsonDepth | LimitKind::JsonMembers => codes::JSON_PAYLOAD_PARSE,
            _ => codes::SIP_HDR_PARSE,
        },
        Error::TokenFormat { part, .. } => match part {
            Part::Signature => codes::JSON_SIGNATURE_SIZE,
            Part::Claims => codes::JSON_PAYLOAD_PARSE,
            // The shape of the token (parts, characters), or the header's base64.
            Part::Header if RawToken::split(token).is_ok() => codes::JSON_HDR_PARSE,
            Part::Header => codes::SIP_HDR_PARSE,
        },
        Error::Json { part, .. } | Error::DuplicateMember { part, .. } => match part {
            Part::Header => codes::JSON_HDR_PARSE,
            _ => codes::JSON_PAYLOAD_PARSE,
        },
        Error::UnsupportedAlg(_) => match h {
            Some(h) if h.alg() != ALG_ES256 => codes::SIP_HDR_ALG,
            _ => codes::JSON_HDR_ALG,
        },
        Error::UnsupportedPpt(_) => {
            let header_ppt_unsupported = header_of(token)
                .and_then(|m| m.get("ppt").cloned())
                .is_some_and(|p| p.as_str().and_then(Ppt::from_name).is_none());
            if header_ppt_unsupported {
                codes::JSON_HDR_PPT
            } else {
                codes::SIP_HDR_PPT
            }
        }
        Error::Header(_) => match header_of(token) {
            Some(m) if m.get("typ").is_some_and(|t| t != "passport") => codes::JSON_HDR_TYP,
            Some(m) if !m.contains_key("alg") => codes::JSON_HDR_ALG,
            _ => codes::JSON_HDR_X5U,
        },
        Error::BadInfo(_) => match h {
            Some(h) if h.info.is_none() => codes::SIP_HDR_INFO,
            _ => codes::JSON_HDR_X5U,
        },
        Error::Claims(_) | Error::Tn(_) => codes::JSON_PAYLOAD_PARSE,
        Error::Signature => codes::JSON_SIGNATURE_INVALID,
        Error::Stale { .. } | Error::Future { .. } => codes::JSON_PAYLOAD_IAT_EXPIRED,
        Error::Key(_) | Error::Cert { .. } | Error::CertificateNeeded { .. } => codes::CERT_INVALID,
        _ => codes::ERR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Fixture, lock};
    use cliauth::passport::jws::B64;
    use cliauth::{Attest, Signer};
    use std::cell::Cell;

    thread_local! {
        /// Signature verifications done by this module (not by cliauth) on this thread.
        pub(super) static VERIFICATIONS: Cell<usize> = const { Cell::new(0) };
        /// Checks on this thread that took the key from `info` with `CertVerify` 0.
        pub(super) static INSECURE_CHECKS: Cell<usize> = const { Cell::new(0) };
    }

    fn verifications() -> usize {
        VERIFICATIONS.with(Cell::get)
    }

    fn insecure_checks() -> usize {
        INSECURE_CHECKS.with(Cell::get)
    }

    /// A rejected token costs one ECDSA verification: when cliauth has verified the
    /// signature and found it bad, this module does not verify it again; it verifies only
    /// when cliauth stopped before the signature (and then cliauth did not verify).
    #[test]
    fn a_bad_signature_is_verified_once() {
        let _g = lock();
        let f = Fixture::new();
        let tok = shaken(&f).into_token();
        let mut bad = tok.clone();
        let i = bad.rfind('.').unwrap() + 3;
        let c = if &bad[i..=i] == "A" { "B" } else { "A" };
        bad.replace_range(i..=i, c);
        let key = PubSource::Location(f.pub_path());
        let run = |v: &str, form: Form| {
            let before = verifications();
            let code = check_at(v.as_bytes(), form, 60, Some(key), 1, NOW);
            (code, verifications() - before)
        };
        // cliauth verified (and rejected) the signature: no second verification here.
        assert_eq!(run(&bad, Form::Token), (-251, 0));
        assert_eq!(run(&format!("{bad};info=<{X5U}>"), Form::Full), (-251, 0));
        let other = |v: &str| {
            let before = verifications();
            let code = check_at(
                v.as_bytes(),
                Form::Full,
                60,
                Some(PubSource::Location(f.other_pub_path())),
                1,
                NOW,
            );
            (code, verifications() - before)
        };
        assert_eq!(other(&format!("{tok};info=<{X5U}>")), (-251, 0));
        // Accepted: nothing verified here (cliauth's one verification).
        assert_eq!(run(&format!("{tok};info=<{X5U}>"), Form::Full), (0, 0));
        // cliauth stops at the alg parameter, before the signature: verified once here,
        // so that a bad signature is reported first, as libsecsipid does.
        assert!(matches!(
            Verifier::with_key(f.key().verifying_key()).verify_parsed(
                &IdentityHeader::parse(&format!("{bad};info=<{X5U}>;alg=RS256")).unwrap(),
                &Call::default(),
                NOW
            ),
            Err(Error::UnsupportedAlg(_))
        ));
        assert_eq!(
            run(&format!("{bad};info=<{X5U}>;alg=RS256"), Form::Full),
            (-251, 1)
        );
        assert_eq!(
            run(&format!("{tok};info=<{X5U}>;alg=RS256"), Form::Full),
            (-302, 1)
        );
        // Stale: answered by the iat stage, no verification here.
        let stale = |v: &str| {
            let before = verifications();
            let code = check_at(v.as_bytes(), Form::Token, 60, Some(key), 1, NOW + 3600);
            (code, verifications() - before)
        };
        assert_eq!(stale(&bad), (-232, 0));
        assert_eq!(stale(&tok), (-232, 0));
    }

    /// No key path and CertVerify=0: the key is whatever `info` serves; the check warns
    /// (stderr and the call log, once per process). Not with a key path or CertVerify set.
    #[test]
    fn a_key_from_info_without_cert_verify_is_warned_about() {
        let _g = lock();
        let f = Fixture::new();
        let tok = shaken(&f).into_token();
        let v = format!("{tok};info=<http://127.0.0.1:9/k.pem>");
        let count = |src: Option<PubSource<'_>>| {
            let before = insecure_checks();
            check_at(v.as_bytes(), Form::Full, 60, src, 1, NOW);
            insecure_checks() - before
        };
        assert_eq!(count(None), 1);
        assert_eq!(count(Some(PubSource::Location(f.pub_path()))), 0);
        assert!(crate::options::set_num("CertVerify", 1));
        assert_eq!(count(None), 0);
        assert!(UNVERIFIED_INFO_KEY_WARNING.contains("CertVerify=0"));
        // Once per process: a second warning with the same id writes nothing.
        crate::calllog::warn_once("test-once", "test warning");
        assert!(!crate::calllog::warn_once("test-once", "test warning"));
    }

    const NOW: i64 = 1_700_000_000;
    const X5U: &str = "https://cert.example.org/sp.pem";

    /// The fixture's key signs the SHAKEN call every test here uses (A attestation, at NOW).
    fn shaken(f: &Fixture) -> cliauth::Signed {
        Signer::from_pem(f.prv_pem.as_bytes(), X5U)
            .unwrap()
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap()
    }

    fn full(f: &Fixture, value: &str, expire: i32) -> i32 {
        check_at(
            value.as_bytes(),
            Form::Full,
            expire,
            Some(PubSource::Location(f.pub_path())),
            1,
            NOW,
        )
    }

    /// A token with the given header and claims JSON, signed with the fixture's key.
    fn custom(f: &Fixture, header: &str, claims: &str) -> String {
        use base64::Engine;
        let input = format!("{}.{}", B64.encode(header), B64.encode(claims));
        let sig = f.key().sign(input.as_bytes()).unwrap();
        format!("{input}.{}", B64.encode(sig))
    }

    fn claims(iat: i64) -> String {
        format!(
            r#"{{"attest":"A","dest":{{"tn":["12155551213"]}},"iat":{iat},"orig":{{"tn":"12155551212"}},"origid":"x"}}"#
        )
    }

    const HDR: &str = r#"{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://cert.example.org/sp.pem"}"#;

    #[test]
    fn codes_of_full_checks() {
        let _g = lock();
        let f = Fixture::new();
        let signed = shaken(&f);
        let id = signed.identity();
        let tok = signed.token().to_owned();
        assert_eq!(full(&f, &id, 60), 0);
        assert_eq!(full(&f, &format!("{tok};info=<{X5U}>"), 60), 0);
        assert_eq!(
            full(&f, &format!("{tok} ; ppt=\"shaken\" ; info=<{X5U}>"), 60),
            0
        );
        assert_eq!(full(&f, &format!("{tok};info=<{X5U}>;foo=bar"), 60), 0);
        // Parse-level failures.
        assert_eq!(full(&f, "", 60), -301);
        assert_eq!(full(&f, ";", 60), -301);
        assert_eq!(full(&f, &tok, 60), -301);
        assert_eq!(full(&f, "a.b.c.d;info=<https://x/y>", 60), -301);
        // Parameters.
        assert_eq!(full(&f, &format!("{tok};info=<{X5U}>;alg=RS256"), 60), -302);
        assert_eq!(full(&f, &format!("{tok};info=<{X5U}>;ppt=div"), 60), -303);
        assert_eq!(full(&f, &format!("{tok};info=<{X5U}>;ppt=nope"), 60), -303);
        assert_eq!(full(&f, &format!("{tok};alg=ES256;ppt=shaken"), 60), -303);
        assert_eq!(
            full(&f, &format!("{tok};info=<https://other.example/x.pem>"), 60),
            -205
        );
        // Freshness.
        assert_eq!(full(&f, &id, 0), 0);
        let old = |s: i64| {
            check_at(
                id.as_bytes(),
                Form::Full,
                60,
                Some(PubSource::Location(f.pub_path())),
                1,
                NOW + s,
            )
        };
        assert_eq!(old(60), 0);
        assert_eq!(old(61), -232);
        assert_eq!(old(-60), 0);
        assert_eq!(old(-61), -232);
        // Signature.
        let mut bad = tok.clone();
        let i = bad.rfind('.').unwrap() + 3;
        let c = if &bad[i..=i] == "A" { "B" } else { "A" };
        bad.replace_range(i..=i, c);
        assert_eq!(full(&f, &format!("{bad};info=<{X5U}>"), 60), -251);
        let short = format!("{}.AAAA", &tok[..tok.rfind('.').unwrap()]);
        assert_eq!(full(&f, &format!("{short};info=<{X5U}>"), 60), -253);
        // Header problems.
        let info = format!(";info=<{X5U}>");
        let c = claims(NOW);
        let h = |hdr: &str| full(&f, &format!("{}{info}", custom(&f, hdr, &c)), 60);
        assert_eq!(h(HDR), 0);
        assert_eq!(h(&HDR.replace("ES256", "RS256")), -202);
        assert_eq!(
            h(r#"{"ppt":"shaken","typ":"passport","x5u":"https://cert.example.org/sp.pem"}"#),
            -202
        );
        assert_eq!(h(&HDR.replace("\"shaken\"", "\"nope\"")), -203);
        assert_eq!(h(&HDR.replace("passport", "JWT")), -204);
        assert_eq!(
            h(&HDR.replace("cert.example.org", "elsewhere.example")),
            -205
        );
        assert_eq!(h(r#"{"alg":"ES256","typ":"passport"}"#), -205);
        assert_eq!(h("not json"), -201);
        assert_eq!(h(r#"{"alg":"ES256","alg":"ES256"}"#), -201);
        // Claims problems.
        let cl = |claims: &str| full(&f, &format!("{}{info}", custom(&f, HDR, claims)), 60);
        assert_eq!(cl("not json"), -231);
        assert_eq!(cl(&claims(NOW).replace(&NOW.to_string(), "\"x\"")), -231);
        assert_eq!(cl(&claims(NOW - 3600)), -232);
        // No iat: expired, as libsecsipid has it.
        assert_eq!(cl(r#"{"attest":"A"}"#), -232);
        assert_eq!(cl(r#"{"attest":"A","iat":1.5}"#), -231);
        // Keys.
        let with_key =
            |src: PubSource<'_>| check_at(id.as_bytes(), Form::Full, 60, Some(src), 1, NOW);
        assert_eq!(with_key(PubSource::Location(f.cert_path())), 0);
        assert_eq!(with_key(PubSource::Location(f.other_pub_path())), -251);
        assert_eq!(with_key(PubSource::Location("/nonexistent/k.pem")), -451);
        assert_eq!(with_key(PubSource::Data(f.pub_pem.as_bytes())), 0);
        assert_eq!(with_key(PubSource::Data(b"junk")), -102);
        assert_eq!(with_key(PubSource::Data(b"")), -102);
        assert_eq!(with_key(PubSource::Data(f.prv_pem.as_bytes())), -101);
        // No key path: the key comes from info, which must be a URL we can fetch.
        let none = |v: &str| check_at(v.as_bytes(), Form::Full, 60, None, 1, NOW);
        assert_eq!(none(&format!("{tok};alg=ES256")), -303);
        // An info that is no URL to download from: -401 at once, as in libsecsipid.
        assert_eq!(none(&format!("{tok};info=<ftp://x/y>")), -401);
        // An info URL other than the token's x5u: decided before any download.
        assert_eq!(
            none(&format!("{tok};info=<http://127.0.0.1:9/k.pem>")),
            -205
        );
        // A token whose x5u is the info URL: the URL decides.
        let at = |u: &str| {
            let t = custom(&f, &HDR.replace(X5U, u), &claims(NOW));
            none(&format!("{t};info=<{u}>"))
        };
        assert_eq!(at("ftp://x/y"), -401);
        assert_eq!(at(&format!("file://{}", f.pub_path())), -401);
        assert_eq!(at(f.pub_path()), -401);
        assert_eq!(at("http://127.0.0.1:9/k.pem"), -402);
    }

    #[test]
    fn codes_of_token_checks() {
        let _g = lock();
        let f = Fixture::new();
        let signed = shaken(&f);
        let t = |v: &str| {
            check_at(
                v.as_bytes(),
                Form::Token,
                60,
                Some(PubSource::Location(f.pub_path())),
                1,
                NOW,
            )
        };
        assert_eq!(t(signed.token()), 0);
        assert_eq!(t(&format!("  {}\r\n", signed.token())), 0);
        assert_eq!(t(&signed.identity()), -301);
        assert_eq!(t(""), -301);
        assert_eq!(t("abc.def"), -301);
        assert_eq!(t("a.b.c.d"), -301);
        assert_eq!(t("eyJhIjoxfQ.!!!.AAAA"), -231);
        let c = claims(NOW);
        assert_eq!(t(&custom(&f, HDR, &c)), 0);
        assert_eq!(t(&custom(&f, HDR, &claims(NOW - 61))), -232);
        assert_eq!(t(&custom(&f, HDR, "[]")), -231);
        // Not UTF-8.
        assert_eq!(
            check_at(
                b"\xff.\xfe.\xfd",
                Form::Token,
                60,
                Some(PubSource::Location(f.pub_path())),
                1,
                NOW
            ),
            -301
        );
        // As in libsecsipid, the token's shape and claims are judged before the key file
        // is read; an empty key path is a file name.
        assert_eq!(
            check_at(b"x", Form::Token, 60, Some(PubSource::Location("")), 1, NOW),
            -301
        );
        assert_eq!(
            check_at(
                signed.token().as_bytes(),
                Form::Token,
                60,
                Some(PubSource::Location("")),
                1,
                NOW
            ),
            -451
        );
        assert_eq!(
            check_at(signed.token().as_bytes(), Form::Token, 60, None, 1, NOW),
            -451
        );
    }

    /// A token that fails the cheap checks never causes a download: the key server (on
    /// loopback, counting its connections) is contacted only for a token that passes them.
    #[test]
    fn cheap_checks_come_before_any_download() {
        use std::sync::atomic::Ordering;
        let _g = lock();
        let f = Fixture::new();
        let reply = format!(
            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{}",
            f.pub_pem.len(),
            f.pub_pem
        );
        let (base, conns) =
            crate::url::tests::serve_counted(vec![reply.into_bytes()], std::time::Duration::ZERO);
        let url = format!("{base}/sp.pem");
        let signer = Signer::from_pem(f.prv_pem.as_bytes(), &url).unwrap();
        let id = |iat: i64| {
            signer
                .sign_shaken("12155551212", &["12155551213"], Attest::A, None, iat)
                .unwrap()
                .identity()
        };
        let good = id(NOW);
        let tok = &good[..good.find(';').unwrap()];
        let downloads = || crate::url::DOWNLOADS.load(Ordering::SeqCst);
        let before = downloads();
        let none = |v: &str| check_at(v.as_bytes(), Form::Full, 60, None, 1, NOW);
        let keyed = |v: &str| {
            check_at(
                v.as_bytes(),
                Form::Full,
                60,
                Some(PubSource::Location(&url)),
                1,
                NOW,
            )
        };
        // Stale, future, bad parameters, info ≠ x5u, a bad token: no download, key from
        // info or from an http key path alike.
        for check in [&none as &dyn Fn(&str) -> i32, &keyed] {
            assert_eq!(check(&id(NOW - 3600)), -232);
            assert_eq!(check(&id(NOW + 3600)), -232);
            assert_eq!(check(&good.replace("alg=ES256", "alg=RS256")), -302);
            assert_eq!(check(&good.replace("ppt=shaken", "ppt=div")), -303);
            assert_eq!(check(&format!("{tok};info=<{base}/other.pem>")), -205);
            assert_eq!(check(&format!("x.y.z;info=<{url}>")), -231);
        }
        let stale = id(NOW - 3600);
        assert_eq!(
            check_at(
                &stale.as_bytes()[..stale.find(';').unwrap()],
                Form::Token,
                60,
                Some(PubSource::Location(&url)),
                1,
                NOW
            ),
            -232
        );
        assert_eq!(conns.load(Ordering::SeqCst), 0);
        assert_eq!(downloads(), before);
        // A token that passes them: one download, verified with the key served.
        assert_eq!(none(&good), 0);
        assert_eq!(conns.load(Ordering::SeqCst), 1);
        assert_eq!(downloads(), before + 1);
    }

    #[test]
    fn header_messages_are_classified() {
        // classify() looks at the decoded header for Error::Header; pin the cases.
        let e = Error::Header("whatever".into());
        let tok = |h: &str| {
            use base64::Engine;
            format!(
                "{}.{}.{}",
                B64.encode(h),
                B64.encode("{}"),
                B64.encode([0u8; 64])
            )
        };
        assert_eq!(
            classify(&e, None, &tok(r#"{"typ":"x","alg":"ES256"}"#)),
            -204
        );
        assert_eq!(classify(&e, None, &tok(r#"{"typ":"passport"}"#)), -202);
        assert_eq!(classify(&e, None, &tok(r#"{"alg":"ES256"}"#)), -205);
        assert_eq!(classify(&Error::Signature, None, ""), -251);
        assert_eq!(classify(&Error::Sign("x".into()), None, ""), -1);
    }
}
