//! Unit tests of the compact token: sizes, the fast and general paths, foreign signers,
//! the quick JSON reader, UUID forms and a total decoder.

use super::fast::fast_convert;
use super::json::quick_object;
use super::wire::{OrigId, OrigIdText};
use super::*;
use crate::error::Part;
use crate::passport::json::parse_object;
use crate::{Attest, Claims, Dest, Party, Rcd, Signer, SigningKey, Verifier};
use serde_json::json;

const NOW: i64 = 1_700_000_000;
const X5U40: &str = "https://cert.example.org/sti/sp-0042.pem";

fn signer(x5u: &str) -> (Signer, Verifier) {
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    (Signer::new(k, x5u).unwrap(), v)
}

fn call() -> Call<'static> {
    Call::new("12155551212", "12155551213")
}

/// A token signed by hand from header and claims JSON text.
fn hand_token(key: &SigningKey, header: &str, claims: &str) -> String {
    let mut t = B64.encode(header);
    t.push('.');
    B64.encode_string(claims, &mut t);
    let sig = key.sign(t.as_bytes()).unwrap();
    t.push('.');
    B64.encode_string(sig, &mut t);
    t
}

#[test]
fn asn1_module_matches() {
    assert!(ASN1_MODULE.contains("CompactPassport ::= SEQUENCE"));
    assert_eq!(X5U40.len(), 40);
}

/// The sizes quoted in the module documentation.
#[test]
fn per_versus_der_sizes() {
    for (n, uper, aper, der) in [(40, 125, 132, 154), (255, 314, 347, 375)] {
        let x5u = format!("https://cert.example.org/{}", "p".repeat(n - 25));
        assert_eq!(x5u.len(), n);
        let signed = signer(&x5u)
            .0
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let t = CompactToken::from_identity(signed.token(), &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        let sizes = (
            t.len(),
            rasn::aper::encode(&t.value).unwrap().len(),
            rasn::der::encode(&t.value).unwrap().len(),
        );
        println!("x5u {n}: UPER {} APER {} DER {}", sizes.0, sizes.1, sizes.2);
        assert_eq!(sizes, (uper, aper, der), "x5u {n}");
        assert_eq!(
            rasn::der::decode::<CompactPassport>(&rasn::der::encode(&t.value).unwrap()).unwrap(),
            t.value
        );
    }
}

#[test]
fn quick_reader_agrees_with_the_strict_one() {
    for ok in [
        r#"{}"#,
        r#"{"a":"b","c":[1,"x",{"d":[]}],"e":0,"f":18446744073709551615}"#,
        r#"{"attest":"A","dest":{"tn":["1"]},"iat":1700000000,"orig":{"tn":"2"}}"#,
        r#"{"nam":"Ä ö 😀"}"#,
    ] {
        assert_eq!(
            quick_object(ok.as_bytes()),
            Some(parse_object(ok.as_bytes(), Part::Claims).unwrap()),
            "{ok}"
        );
    }
    for other in [
        r#"{"a": 1}"#,
        r#"{"a":"\u0041"}"#,
        r#"{"a":-1}"#,
        r#"{"a":1.5}"#,
        r#"{"a":1e3}"#,
        r#"{"a":01}"#,
        r#"{"a":true}"#,
        r#"{"a":null}"#,
        r#"{"a":1,"a":2}"#,
        r#"{"a":[[[[1]]]]}"#,
        r#"{"a":1}x"#,
        r#"["a"]"#,
        r#"{"a":"b"#,
        r#"{"a":"b",}"#,
        "{\"a\":\"\u{1}\"}",
        "",
    ] {
        assert_eq!(quick_object(other.as_bytes()), None, "{other}");
    }
    assert_eq!(quick_object(b"{\"a\":\"\xff\"}"), None);
}

#[test]
fn uuid_forms() {
    let u = "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10";
    let Some(OrigId::Uuid(b)) = OrigId::from_claim(u) else {
        panic!("{u} is a canonical UUID")
    };
    assert_eq!(wire::uuid_string(&b), u);
    for bad in [
        "0D4B8F8A-8B8E-4F1E-9B1E-5D2B6C9B2A10",
        "0d4b8f8a8b8e4f1e9b1e5d2b6c9b2a10",
        "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a1",
        "0d4b8f8a-8b8e-4f1e-9b1e_5d2b6c9b2a10",
        "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a1g",
    ] {
        assert!(
            matches!(OrigId::from_claim(bad), Some(OrigId::Text(_))),
            "{bad}"
        );
    }
}

#[test]
fn shaken_round_trip_and_size() {
    let (s, v) = signer(X5U40);
    let signed = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap();
    let c = CompactToken::from_identity(&signed.identity(), &call(), &ConvertOptions::default())
        .unwrap();
    assert!(c.dropped_params.is_empty());
    let t = c.token;
    // The fast path takes it and agrees with the general one.
    let fast = fast_convert(&signed.identity(), &call(), &ConvertOptions::default());
    assert_eq!(fast.as_ref(), Some(&t));
    let general = CompactToken::from_identity(
        &format!("{};ppt=shaken;info=<{X5U40}>", signed.token()),
        &call(),
        &ConvertOptions::default(),
    )
    .unwrap();
    assert_eq!(general.token, t);
    assert!(t.len() <= 140, "{} octets", t.len());
    assert!(matches!(t.value.header, HeaderPart::Rebuilt(_)));
    let ClaimsPart::Rebuilt(rc) = &t.value.claims else {
        panic!("claims not rebuilt")
    };
    assert!(rc.orig.is_none() && rc.dest.is_none());
    assert!(matches!(rc.origid, Some(OrigId::Uuid(_))));
    let back = CompactToken::decode(&t.bytes)
        .unwrap()
        .rebuild(&call())
        .unwrap();
    assert_eq!(back.token, signed.token());
    assert_eq!(back.identity, signed.identity());
    v.verify_identity(&back.identity, &call(), NOW).unwrap();
    // Without the numbers the far end cannot rebuild.
    assert_eq!(
        t.rebuild(&Call::default()),
        Err(TokenError::NumberNeeded("calling"))
    );
}

#[test]
fn numbers_that_differ_are_carried() {
    let (s, v) = signer(X5U40);
    let signed = s
        .sign_shaken(
            "12155551212",
            &["12155551213", "12155551214"],
            Attest::B,
            Some("opaque-1"),
            NOW,
        )
        .unwrap();
    // The IAM's calling number differs from orig (e.g. not mappable): carried.
    let iam = Call {
        orig: None,
        dest: Some("12155551213"),
        call_id: None,
    };
    let t = CompactToken::from_identity(signed.token(), &iam, &ConvertOptions::default())
        .unwrap()
        .token;
    let ClaimsPart::Rebuilt(rc) = &t.value.claims else {
        panic!()
    };
    assert!(rc.orig.is_some() && rc.dest.is_some());
    assert_eq!(rc.origid, Some(OrigId::Text(OrigIdText("opaque-1".into()))));
    let back = t.rebuild(&iam).unwrap();
    assert_eq!(back.token, signed.token());
    v.verify_identity(&back.identity, &call(), NOW).unwrap();
    // Explicit numbers on request.
    let opts = ConvertOptions {
        explicit_numbers: true,
        ..ConvertOptions::default()
    };
    let t2 = CompactToken::from_identity(signed.token(), &call(), &opts)
        .unwrap()
        .token;
    assert_eq!(t2.rebuild(&Call::default()).unwrap().token, signed.token());
}

#[test]
fn every_ppt_round_trips() {
    let (s, v) = signer(X5U40);
    let shaken = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap();
    let mut div = Claims::new(
        Party::Tn("12155551212".into()),
        Dest::tns(["12155551213"]),
        NOW,
    );
    div.div = Some(Party::Tn("12155559999".into()));
    let mut div_o = div.clone();
    div_o.opt = Some(shaken.token().to_owned());
    let mut rcd = Claims::shaken("12155551212", &["12155551213"], Attest::A, "x", NOW);
    rcd.rcd = Some(Rcd::name("Alice Ä \"Q\""));
    rcd.crn = Some("Lunch".into());
    rcd.extra
        .insert("zzz".into(), json!({"b": [1, 2], "a": null}));
    let base = Claims::new(
        Party::Tn("12155551212".into()),
        Dest::tns(["12155551213"]),
        NOW,
    );
    let mut uri = base.clone();
    uri.orig = Party::Uri("sip:alice@example.com".into());
    uri.dest.uri.push("sip:bob@example.com".into());
    for (ppt, claims, max) in [
        (
            Some(Ppt::Shaken),
            Claims::shaken(
                "12155551212",
                &["12155551213"],
                Attest::C,
                "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10",
                NOW,
            ),
            140,
        ),
        (Some(Ppt::Div), div, 2048),
        (Some(Ppt::DivO), div_o, 2048),
        (Some(Ppt::Rcd), rcd, 2048),
        (None, base, 140),
        (None, uri, 2048),
    ] {
        let signed = s.sign(ppt, &claims).unwrap();
        let t =
            CompactToken::from_identity(&signed.identity(), &call(), &ConvertOptions::default())
                .unwrap()
                .token;
        assert!(t.len() <= max, "{ppt:?}: {}", t.len());
        assert!(matches!(t.value.claims, ClaimsPart::Rebuilt(_)), "{ppt:?}");
        let back = CompactToken::decode(&t.bytes)
            .unwrap()
            .rebuild(&call())
            .unwrap();
        assert_eq!(back.token, signed.token(), "{ppt:?}");
        assert_eq!(back.identity, signed.identity(), "{ppt:?}");
        let c = if matches!(claims.orig, Party::Uri(_)) {
            Call::default()
        } else {
            call()
        };
        v.verify_identity(&back.identity, &c, NOW).unwrap();
    }
}

#[test]
fn foreign_signers() {
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    let sorted_h = format!(r#"{{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"{X5U40}"}}"#);
    let sorted_c = r#"{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"12155551212"},"origid":"123e4567-e89b-12d3-a456-426614174000"}"#;
    // Compact sorted JSON (secsipidx style): fully rebuilt.
    let t = hand_token(&k, &sorted_h, sorted_c);
    let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    assert!(matches!(c.value.header, HeaderPart::Rebuilt(_)));
    assert!(matches!(c.value.claims, ClaimsPart::Rebuilt(_)));
    assert!(c.len() <= 140);
    assert_eq!(c.rebuild(&call()).unwrap().token, t);
    // No typ, an extra header member: still rebuilt, flagged.
    let h = format!(r#"{{"alg":"ES256","kid":"k1","ppt":"shaken","x5u":"{X5U40}"}}"#);
    let t = hand_token(&k, &h, sorted_c);
    let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    let HeaderPart::Rebuilt(rh) = &c.value.header else {
        panic!()
    };
    assert!(rh.typ_absent);
    assert_eq!(rh.other.as_deref(), Some(r#"{"kid":"k1"}"#));
    assert_eq!(c.rebuild(&call()).unwrap().token, t);
    v.verify_token(&c.rebuild(&call()).unwrap().token, &call(), NOW)
        .unwrap();
    // Unsorted keys and whitespace: verbatim, or an error when that is not allowed.
    let unsorted_h =
        format!(r#"{{"alg":"ES256","typ":"passport","ppt":"shaken","x5u":"{X5U40}"}}"#);
    let spaced_c = r#"{"attest": "A", "dest": {"tn": ["12155551213"]}, "iat": 1700000000, "orig": {"tn": "12155551212"}, "origid": "x"}"#;
    let t = hand_token(&k, &unsorted_h, spaced_c);
    let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    assert!(matches!(c.value.header, HeaderPart::Verbatim(_)));
    assert!(matches!(c.value.claims, ClaimsPart::Verbatim(_)));
    let back = c.rebuild(&Call::default()).unwrap();
    assert_eq!(back.token, t);
    assert_eq!(back.x5u, X5U40);
    assert_eq!(back.ppt, Some(Ppt::Shaken));
    v.verify_identity(&back.identity, &call(), NOW).unwrap();
    let strict = ConvertOptions {
        allow_verbatim: false,
        ..ConvertOptions::default()
    };
    assert!(matches!(
        CompactToken::from_identity(&t, &call(), &strict),
        Err(TokenError::NotLossless(_))
    ));
    // A "+" in orig is not what the IAM rebuilds: explicit orig.
    let c2 = r#"{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"+12155551212"},"origid":"x"}"#;
    let t = hand_token(&k, &sorted_h, c2);
    let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    let ClaimsPart::Rebuilt(rc) = &c.value.claims else {
        panic!()
    };
    assert!(rc.orig.is_some() && rc.dest.is_none());
    assert_eq!(c.rebuild(&call()).unwrap().token, t);
    // Escaped "/" in a URL is not deterministic output: verbatim header.
    let esc_h = r#"{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https:\/\/cert.example.org\/sp.pem"}"#;
    let t = hand_token(&k, esc_h, sorted_c);
    let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    assert!(matches!(c.value.header, HeaderPart::Verbatim(_)));
    assert_eq!(c.rebuild(&call()).unwrap().token, t);
}

#[test]
fn identity_header_checks() {
    let (s, _) = signer(X5U40);
    let signed = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap();
    let o = ConvertOptions::default();
    let with_params = format!(
        "{};ppt=\"shaken\";info=<{X5U40}>;foo=bar;baz",
        signed.token()
    );
    let c = CompactToken::from_identity(&with_params, &call(), &o).unwrap();
    assert_eq!(c.dropped_params, ["foo", "baz"]);
    assert_eq!(
        c.token.rebuild(&call()).unwrap().identity,
        signed.identity()
    );
    for bad in [
        format!("{};info=<https://other.example/x.pem>", signed.token()),
        format!("{};info=<{X5U40}>;ppt=div", signed.token()),
        format!("{};info=<{X5U40}>;alg=RS256", signed.token()),
        signed.compact_identity(),
        "not a token".to_string(),
        String::new(),
    ] {
        assert!(
            CompactToken::from_identity(&bad, &call(), &o).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn decoder_is_total() {
    let (s, _) = signer(X5U40);
    let mut rcd = Claims::shaken("12155551212", &["12155551299"], Attest::A, "x", NOW);
    rcd.rcd = Some(Rcd::name("Alice"));
    let signed = s.sign(Some(Ppt::Rcd), &rcd).unwrap();
    let t = CompactToken::from_identity(signed.token(), &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    for n in 0..t.bytes.len() {
        assert!(
            CompactToken::decode(&t.bytes[..n]).is_err(),
            "truncated at {n}"
        );
    }
    let mut extended = t.bytes.clone();
    extended.push(0);
    assert_eq!(
        CompactToken::decode(&extended),
        Err(TokenError::TrailingData(1))
    );
    for i in 0..t.bytes.len() {
        for bit in 0..8 {
            let mut b = t.bytes.clone();
            b[i] ^= 1 << bit;
            // Must not panic; when it decodes, rebuilding must not panic either.
            if let Ok(d) = CompactToken::decode(&b) {
                let _ = d.rebuild(&call());
            }
        }
    }
    assert!(matches!(
        CompactToken::decode(&vec![0; MAX_COMPACT_LEN + 1]),
        Err(TokenError::TooLong { .. })
    ));
}

#[test]
fn rejects_conflicting_other_members() {
    let (s, _) = signer(X5U40);
    let signed = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap();
    let t = CompactToken::from_identity(signed.token(), &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    let mut v = t.value.clone();
    if let ClaimsPart::Rebuilt(c) = &mut v.claims {
        c.other = Some(r#"{"iat":1}"#.into());
    }
    let bytes = wire::encode(&v).unwrap();
    assert!(matches!(
        CompactToken::decode(&bytes).unwrap().rebuild(&call()),
        Err(TokenError::Invalid(_))
    ));
    let mut v = t.value.clone();
    v.version = 3.into();
    let bytes = wire::encode(&v).unwrap();
    assert_eq!(CompactToken::decode(&bytes), Err(TokenError::Version(3)));
}

#[test]
fn decode_errors_name_no_decoder_internals() {
    let (s, _) = signer(X5U40);
    let signed = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap();
    let t = CompactToken::from_identity(signed.token(), &call(), &ConvertOptions::default())
        .unwrap()
        .token;
    let e = CompactToken::decode(&t.as_bytes()[..20]).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, TokenError::Malformed(_)), "{e:?}");
    assert!(
        text.starts_with("malformed compact token: truncated (in "),
        "{text}"
    );
    assert!(!text.contains("Codec"), "{text}");
    // A version 1 token (the encoding before the extension bit of `version`): refused.
    let mut v1 = t.as_bytes().to_vec();
    v1[0] = 0x00;
    assert!(CompactToken::decode(&v1).is_err());
}

// Found by the capi_strings fuzz target (cliauth_isup_rebuild), fixed: a compact token's
// rebuilt header carries `x5u` as an IA5String, which may hold any ASCII character, and
// `CompactToken::rebuild` wrote it into the Identity header's `info=<…>` unchecked (a
// verbatim header's x5u was checked). A peer on the ISUP side could thus put CR LF (or a
// `>`, or NUL) into the Identity header value the incoming gateway hands to SIP: header
// injection, even though the token then fails verification. Rebuild now applies the
// header's URL check and fails with `Error::Header`.
#[test]
fn regression_isup_rebuild_writes_control_characters_into_the_identity_header() {
    let (s, _) = signer(X5U40);
    let identity = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap()
        .identity();
    let call = Call::new("12155551212", "12155551213");
    let good = CompactToken::from_identity(&identity, &call, &ConvertOptions::default())
        .unwrap()
        .token;
    for x5u in [
        "https://cert.example.net/sp.pem\r\nX-Injected: 1",
        "https://cert.example.net/sp.pem>;x=<",
        "https://cert.example.net/\0sp.pem",
    ] {
        let mut t = good.clone();
        let HeaderPart::Rebuilt(h) = &mut t.value.header else {
            panic!("a SHAKEN token from this signer has a rebuilt header");
        };
        h.x5u = wire::to_ia5(x5u).unwrap();
        // As received: the UPER encoding of that value.
        let bytes = wire::encode(&t.value).unwrap();
        let rebuilt = CompactToken::decode(&bytes).and_then(|t| t.rebuild(&call));
        assert!(
            matches!(rebuilt, Err(TokenError::Passport(crate::Error::Header(_)))),
            "{x5u:?}: {rebuilt:?}"
        );
    }
}

// Found by the isup_token fuzz target, fixed: `CompactToken::decode` accepted any
// non-negative `iat` (`INTEGER (0..MAX)`), though only an `i64` can be rebuilt. One past
// `i128` could not even be re-encoded (rasn: "Value too large for i128 type"), so a decoded
// token did not re-encode to the octets received. Decoding now refuses an `iat` beyond
// `i64` (`TokenError::Invalid`). The fuzzer's input had an `iat` of 151 octets.
#[test]
fn regression_isup_token_decode_accepts_iat_beyond_i64() {
    let (s, _) = signer(X5U40);
    let identity = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap()
        .identity();
    let call = Call::new("12155551212", "12155551213");
    let mut t = CompactToken::from_identity(&identity, &call, &ConvertOptions::default())
        .unwrap()
        .token;
    let ClaimsPart::Rebuilt(c) = &mut t.value.claims else {
        panic!("a SHAKEN token from this signer has rebuilt claims");
    };
    c.iat = rasn::types::Integer::from(i128::from(i64::MAX) + 1);
    let bytes = wire::encode(&t.value).unwrap();
    assert!(matches!(
        CompactToken::decode(&bytes),
        Err(TokenError::Invalid(_))
    ));
    // The fuzzer's input: an iat past i128.
    let huge = "00009f474e9c39ba5ebf1e5e5d1765f1876f0d99576fe52f9d7f3e9ab583068c9770cbb40008caa7\
                e200eceb2731afe89609669a3b6176372100000000000000217045743ea977ffffff5db466d5e8f7\
                be5b13723720ffb5e97c67366575d03a4e31ea000000000000000000000000002000000000000000\
                00000000000000000000000000000000000000000000000000000000000000000000000000000000\
                00000000000000000000000070260d868ae42cb913754981165d30ca55fdd0";
    let huge: Vec<u8> = (0..huge.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&huge[i..i + 2], 16).unwrap())
        .collect();
    if let Ok(t) = CompactToken::decode(&huge) {
        t.reencode().expect("a decoded token re-encodes");
    }
}
