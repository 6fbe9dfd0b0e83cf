//! Minimal reproductions of bugs found by fuzzing and property testing, kept as guards
//! against their return. A newly found bug gets a test here marked
//! `#[ignore = "bug: …"]` until it is fixed; then the mark goes and the test stays.

use cliauth::error::Part;
use cliauth::limits::{MAX_CLAIM_STRING_LEN, MAX_JSON_DEPTH};
use cliauth::passport::json::{parse_object, to_canonical};
use cliauth::passport::{Dest, Mky};
use cliauth::{
    Attest, Call, Claims, IdentityHeader, Party, Ppt, Rcd, Signer, SigningKey, Verifier,
};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;

fn pair() -> (Signer, Verifier) {
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    (
        Signer::new(k, "https://cert.example.net/sp.pem").unwrap(),
        v,
    )
}

fn base() -> Claims {
    Claims::new(
        Party::Tn("12155551212".into()),
        Dest::tns(["12155551213"]),
        NOW,
    )
}

/// "What we sign, we verify": asserts that none of `cases` is signed by `Signer::sign`
/// and then rejected by the verifier (refusing to sign is a correct outcome).
fn assert_signed_verifies(cases: Vec<(&str, Option<Ppt>, Claims)>) {
    let (s, v) = pair();
    let failures: Vec<String> = cases
        .into_iter()
        .filter_map(|(name, ppt, c)| {
            let signed = s.sign(ppt, &c).ok()?;
            let e = v.verify_token(&signed.token, &Call::default(), NOW).err()?;
            Some(format!("{name}: {e:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "Signer::sign produced tokens the Verifier rejects: {failures:#?}"
    );
}

/// `{"x":[[…[]…]]}`: `levels` containers in all, the top-level object included.
fn nested(levels: usize) -> Value {
    let mut v = json!([]);
    for _ in 0..levels - 2 {
        v = json!([v]);
    }
    json!({ "x": v })
}

// Found by the json_roundtrip fuzz target (and by reading json.rs after it). The
// deterministic JSON writer checks the depth of a value before looking at it, so an
// *empty* container one level past MAX_JSON_DEPTH (17 levels with the top object) is
// written, while the strict reader rejects any container at that level. Through the public
// API: claims the signer emits, the verifier refuses with Error::Limit JsonDepth.
// Input: {"x":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]} (16 arrays under "x").
#[test]

fn writer_accepts_empty_container_one_level_too_deep() {
    let v = nested(MAX_JSON_DEPTH + 1);
    let written = to_canonical(&v);
    let read = parse_object(&serde_json::to_vec(&v).unwrap(), Part::Claims);
    assert_eq!(
        written.is_ok(),
        read.is_ok(),
        "writer: {written:?}, reader: {read:?}"
    );
    let mut c = base();
    c.extra
        .insert("x".into(), nested(MAX_JSON_DEPTH + 1)["x"].clone());
    assert_signed_verifies(vec![("extra claim 17 levels deep", None, c)]);
}

// Found by the sign_verify_roundtrip fuzz target. Signer::sign checks telephone numbers
// and that origid is not empty, but not the length limit the verifier's strict reader
// applies to every interpreted string claim (MAX_CLAIM_STRING_LEN = 1024 bytes): e.g. a
// 1025-byte origid is signed, then rejected as "origid is longer than 1024 bytes".
#[test]

fn signer_accepts_overlong_string_claims() {
    let long = "a".repeat(MAX_CLAIM_STRING_LEN + 1);
    let shaken = Claims::shaken("12155551212", &["12155551213"], Attest::A, &long, NOW);
    let mut rcd = base();
    rcd.rcd = Some(Rcd::name(long.clone()));
    let mut uri = base();
    uri.dest.uri.push(format!("sip:{long}@example.com"));
    let mut crn = base();
    crn.crn = Some(long.clone());
    assert_signed_verifies(vec![
        ("origid", Some(Ppt::Shaken), shaken),
        ("rcd.nam", Some(Ppt::Rcd), rcd),
        ("dest.uri", None, uri),
        ("crn", None, crn),
    ]);
}

// Found by the sign_verify_roundtrip fuzz target. Signer::sign checks only that origid is
// not empty; every other interpreted string claim may be empty, and the verifier then
// rejects the token ("rcd.nam is empty", "dest.uri[] is empty", "crn is empty", "opt must
// be a non-empty string", "mky.alg is empty", "orig.uri is empty", "div.uri is empty").
#[test]

fn signer_accepts_empty_string_claims() {
    let mut rcd = base();
    rcd.rcd = Some(Rcd::name(""));
    let mut uri = base();
    uri.dest.uri.push(String::new());
    let mut crn = base();
    crn.crn = Some(String::new());
    let mut opt = base();
    opt.div = Some(Party::Tn("12155551214".into()));
    opt.opt = Some(String::new());
    let mut mky = base();
    mky.mky.push(Mky {
        alg: String::new(),
        dig: "AB:CD".into(),
    });
    let mut orig = base();
    orig.orig = Party::Uri(String::new());
    let mut div = base();
    div.div = Some(Party::Uri(String::new()));
    assert_signed_verifies(vec![
        ("rcd.nam", Some(Ppt::Rcd), rcd),
        ("dest.uri", None, uri),
        ("crn", None, crn),
        ("opt", Some(Ppt::DivO), opt),
        ("mky.alg", None, mky),
        ("orig.uri", None, orig),
        ("div.uri", Some(Ppt::Div), div),
    ]);
}

// Found while writing the sign_verify_roundtrip target. An rcd PASSporT whose rcd claim
// has no member at all (Rcd::default()) is signed as "rcd":{} and rejected by the
// verifier ("rcd is empty"); so is an rcdi map with a non-string value ("rcdi values must
// be strings").
#[test]

fn signer_accepts_rcd_the_verifier_rejects() {
    let mut empty = base();
    empty.rcd = Some(Rcd::default());
    let mut rcdi = base();
    rcdi.rcd = Some(Rcd::name("Alice"));
    rcdi.rcdi = Some(json!({"/nam": 1}).as_object().unwrap().clone());
    assert_signed_verifies(vec![
        ("empty rcd", Some(Ppt::Rcd), empty),
        ("rcdi number", Some(Ppt::Rcd), rcdi),
    ]);
}

// Found by the identity_parse fuzz target. IdentityHeader::format writes `info` inside
// <…> and `alg`/`ppt` bare without quoting, so a value the parser accepted from a quoted
// parameter formats into a header that does not parse, or parses differently:
//   `a;ppt="x y"`   → format() `a;alg=ES256;ppt=x y`    (does not parse)
//   `a;info="u>v"`  → format() `a;info=<u>v>;alg=ES256` (does not parse)
//   `a;ppt="s;o=1"` → format() `a;alg=ES256;ppt=s;o=1`  (ppt "s" and a new parameter o)
// (The fuzzer's first find: `A;ppt="shak;o=o\u{7f}\\\\o\0\0en"`.)
#[test]

fn identity_format_round_trips_quoted_values() {
    let failures: Vec<String> = ["a;ppt=\"x y\"", "a;info=\"u>v\"", "a;ppt=\"s;o=1\""]
        .into_iter()
        .filter_map(|input| {
            let h = IdentityHeader::parse(input).unwrap();
            let formatted = h.format();
            let want = IdentityHeader {
                alg: Some(h.alg().to_owned()),
                ..h
            };
            match IdentityHeader::parse(&formatted) {
                Ok(back) if back == want => None,
                other => Some(format!("{input:?} → {formatted:?} → {other:?}")),
            }
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

// Found by review while writing the passport_verify target (fixed in the working tree
// meanwhile: the check now computes in i128). The freshness check computed
// `age = now.saturating_sub(iat)` and then negated it: with an attacker-chosen
// iat = i64::MAX (a valid claim: any non-negative integer) and a negative `now`, age
// saturated to i64::MIN and `-age` overflowed — a panic in debug builds, and in release
// builds the wrapped value let the token pass the "too far in the future" check.
// Input: a token signed with iat 9223372036854775807, verified at now = -2.
#[test]
fn freshness_check_overflows() {
    let (s, v) = pair();
    let mut c = base();
    c.iat = i64::MAX;
    let token = s.sign(None, &c).unwrap().token;
    let result = std::panic::catch_unwind(|| v.verify_token(&token, &Call::default(), -2));
    match result {
        Ok(Err(cliauth::Error::Future { .. })) => {}
        Ok(other) => panic!("expected Error::Future, got {other:?}"),
        Err(_) => panic!("verify_token panicked"),
    }
}
