//! Integration tests of ISUP/BICC carriage: the `vectors/isup.json` test vectors, SIP →
//! ISUP → SIP round trips for every ppt through the gateway API (byte-for-byte and verified
//! with `cliauth::Verifier`), tokens from other signers, robustness against every
//! truncation and corruption, and a timing comparison with one ECDSA verification.

use std::time::{Duration, Instant};

use base64::Engine;
use cliauth::isup::gateway::{Failure, Gateway, GatewayConfig, Outcome};
use cliauth::isup::message::{Iam, MessageConfig, PARAM_APP, parse_sgm};
use cliauth::isup::number::{
    AddressDigits, CalledPartyNumber, CallingPartyNumber, NatureOfAddress, NumberError,
    NumberMapping, NumberingPlan, Presentation, Screening,
};
use cliauth::isup::token::{CompactToken, ConvertOptions, TokenError};
use cliauth::passport::jws::B64;
use cliauth::{
    Attest, Call, Claims, Dest, Party, Ppt, Rcd, Signer, SigningKey, Verifier, VerifyingKey,
};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const X5U40: &str = "https://cert.example.org/sti/sp-0042.pem";
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/isup.json");

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn x5u(len: usize) -> String {
    let u = format!("https://cert.example.org/{}", "p".repeat(len - 25));
    assert_eq!(u.len(), len);
    u
}

fn keys(x5u: &str) -> (Signer, Verifier, VerifyingKey) {
    let (k, _) = SigningKey::generate().unwrap();
    let public = k.verifying_key();
    (
        Signer::new(k, x5u).unwrap(),
        Verifier::with_key(public.clone()),
        public,
    )
}

fn intl_iam(calling: &str, called: &str) -> Iam {
    let intl = NatureOfAddress::INTERNATIONAL;
    let cd = CalledPartyNumber {
        st: true,
        ..CalledPartyNumber::new(intl, AddressDigits::new(called).unwrap())
    };
    let mut m = Iam::new(&cd).unwrap();
    m.set_calling_number(&CallingPartyNumber::new(
        intl,
        AddressDigits::new(calling).unwrap(),
    ))
    .unwrap();
    m
}

/// One token per ppt (and a few shapes), all signed by `s`.
fn tokens_for_every_ppt(s: &Signer) -> Vec<(&'static str, cliauth::Signed)> {
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
    let mut rcd = Claims::shaken(
        "12155551212",
        &["12155551213"],
        Attest::B,
        "7f1c3c40-54a3-4a62-9e3a-0f6f0e0d9b11",
        NOW,
    );
    rcd.rcd = Some(Rcd::name("Alice"));
    let base = Claims::new(
        Party::Tn("12155551212".into()),
        Dest::tns(["12155551213"]),
        NOW,
    );
    vec![
        ("shaken", shaken.clone()),
        ("div", s.sign(Some(Ppt::Div), &div).unwrap()),
        ("div-o", s.sign(Some(Ppt::DivO), &div_o).unwrap()),
        ("rcd", s.sign(Some(Ppt::Rcd), &rcd).unwrap()),
        ("base", s.sign(None, &base).unwrap()),
    ]
}

/// A token signed over hand-written JSON (another signer's serialisation).
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
fn every_ppt_through_the_gateways() {
    let (s, v, _) = keys(X5U40);
    let gw = Gateway::default();
    for (name, signed) in tokens_for_every_ppt(&s) {
        let mut m = intl_iam("12155551212", "12155551213");
        let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
        let (iam, sgm) = (&out.encoded.iam, out.encoded.sgm.as_deref());
        assert!(iam.len() <= 266, "{name}");
        gw.transit(iam, sgm).unwrap();
        let inc = gw.incoming(iam, sgm, &v, NOW + 1).unwrap();
        assert!(
            matches!(inc.outcome, Outcome::Passed(_)),
            "{name}: {:?}",
            inc.outcome
        );
        // Byte for byte: the rebuilt Identity header is the one the signer produced.
        assert_eq!(
            inc.identity.as_deref(),
            Some(signed.identity().as_str()),
            "{name}"
        );
        println!(
            "{name}: token {} octets, IAM {} octets, SGM {:?}",
            out.token_len.unwrap(),
            iam.len(),
            sgm.map(<[u8]>::len)
        );
    }
}

#[test]
fn every_ppt_with_national_numbers() {
    // The IAM carries national numbers; both gateways map them with the same country code.
    let (s, v, _) = keys(X5U40);
    let gw = Gateway::new(GatewayConfig {
        mapping: NumberMapping {
            national_prefix: Some("0".into()),
            ..NumberMapping::for_country("1")
        },
        ..GatewayConfig::default()
    });
    let nat = NatureOfAddress::NATIONAL;
    for (name, signed) in tokens_for_every_ppt(&s) {
        let mut m = Iam::new(&CalledPartyNumber::new(
            nat,
            AddressDigits::new("2155551213").unwrap(),
        ))
        .unwrap();
        m.set_calling_number(&CallingPartyNumber::new(
            nat,
            AddressDigits::new("2155551212").unwrap(),
        ))
        .unwrap();
        let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
        let inc = gw
            .incoming(&out.encoded.iam, out.encoded.sgm.as_deref(), &v, NOW)
            .unwrap();
        assert!(matches!(inc.outcome, Outcome::Passed(_)), "{name}");
        assert_eq!(inc.identity.unwrap(), signed.identity(), "{name}");
        // A far end without the country code cannot rebuild orig: a failed token, not a
        // panic and not a pass.
        let blind = Gateway::default();
        let inc = blind
            .incoming(&out.encoded.iam, out.encoded.sgm.as_deref(), &v, NOW)
            .unwrap();
        assert!(
            matches!(
                inc.outcome,
                Outcome::Failed(Failure::Token(TokenError::NumberNeeded(_)))
            ),
            "{name}"
        );
    }
}

#[test]
fn x5u_up_to_255_fits_one_message_plus_one_sgm() {
    for len in [40, 100, 150, 200, 255] {
        let (s, v, _) = keys(&x5u(len));
        let gw = Gateway::default();
        // div-o carries a whole second PASSporT; signed by the same signer, its nested
        // token inherits the outer x5u (see div_o_nests_… for other signers).
        for (name, signed) in tokens_for_every_ppt(&s) {
            let mut m = intl_iam("12155551212", "12155551213");
            let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
            let (iam, sgm) = (&out.encoded.iam, out.encoded.sgm.as_deref());
            assert!(iam.len() <= 266 && sgm.is_none_or(|s| s.len() <= 266));
            let inc = gw.incoming(iam, sgm, &v, NOW).unwrap();
            assert!(matches!(inc.outcome, Outcome::Passed(_)), "{len} {name}");
            assert_eq!(inc.identity.unwrap(), signed.identity());
        }
    }
}

#[test]
fn div_o_nests_the_original_passport() {
    // div-o embeds a whole PASSporT (~400 base64 characters); it travels as a nested
    // compact token. When the original was signed under the same x5u, the nested header
    // inherits it; under another x5u both URLs travel, and two 255-character URLs cannot
    // fit IAM + SGM: a typed error, never a truncated token.
    let call = Call::new("12155551212", "12155551213");
    let mut fits = Vec::new();
    for (outer_len, inner_len) in [
        (40, 40),
        (160, 160),
        (255, 255),
        (40, 60),
        (80, 80),
        (120, 120),
        (200, 200),
        (100, 101),
        (150, 151),
        (200, 201),
        (255, 254),
    ] {
        let (s, v, _) = keys(&x5u(outer_len));
        let (original, _, _) = keys(&x5u(inner_len));
        let shaken = original
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let mut claims = Claims::new(
            Party::Tn("12155551212".into()),
            Dest::tns(["12155551213"]),
            NOW,
        );
        claims.div = Some(Party::Tn("12155559999".into()));
        claims.opt = Some(shaken.token().to_owned());
        let div_o = s.sign(Some(Ppt::DivO), &claims).unwrap();
        let compact =
            CompactToken::from_identity(&div_o.identity(), &call, &ConvertOptions::default())
                .unwrap();
        assert_eq!(
            compact.token.rebuild(&call).unwrap().identity,
            div_o.identity()
        );
        // The nested token's header: inherited exactly when the URLs are equal.
        let described = compact.token.describe();
        let opt = described["claims"]["rebuilt"]["opt"]
            .as_str()
            .expect("opt nested");
        let inner = CompactToken::decode(&unhex(opt)).unwrap();
        assert_eq!(
            inner.describe()["header"].get("inherited").is_some(),
            outer_len == inner_len,
            "{outer_len}/{inner_len}"
        );
        // Alone, an inherited header cannot be rebuilt (no outer x5u).
        if outer_len == inner_len {
            assert!(inner.rebuild(&call).is_err());
        }
        let gw = Gateway::default();
        let mut m = intl_iam("12155551212", "12155551213");
        match gw.outgoing(&mut m, &div_o.identity()) {
            Ok(out) => {
                let inc = gw
                    .incoming(&out.encoded.iam, out.encoded.sgm.as_deref(), &v, NOW)
                    .unwrap();
                assert!(matches!(inc.outcome, Outcome::Passed(_)));
                assert_eq!(inc.identity.unwrap(), div_o.identity());
                fits.push((outer_len, inner_len));
            }
            Err(e) => assert!(
                matches!(
                    e,
                    cliauth::isup::GatewayError::Message(
                        cliauth::isup::MessageError::DoesNotFit { .. }
                    )
                ),
                "{e}"
            ),
        }
        println!(
            "div-o, x5u {outer_len}/{inner_len}: compact token {} octets",
            compact.token.len()
        );
    }
    assert_eq!(
        fits,
        [
            (40, 40),
            (160, 160),
            (255, 255),
            (40, 60),
            (80, 80),
            (120, 120),
            (200, 200),
            (100, 101),
            (150, 151)
        ]
    );
}

#[test]
fn other_signers_deterministic_json() {
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    let gw = Gateway::default();
    // secsipidx-style: compact, sorted keys.
    let h = format!(r#"{{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"{X5U40}"}}"#);
    let c = r#"{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"12155551212"},"origid":"3f1c1d5e-9f0a-4c6e-8a53-0b1c2d3e4f50"}"#;
    let cases = [
        ("sorted", h.clone(), c.to_string(), true),
        (
            "no typ",
            format!(r#"{{"alg":"ES256","ppt":"shaken","x5u":"{X5U40}"}}"#),
            c.to_string(),
            true,
        ),
        (
            "extra header",
            format!(
                r#"{{"alg":"ES256","kid":"key-7","ppt":"shaken","typ":"passport","x5u":"{X5U40}"}}"#
            ),
            c.to_string(),
            true,
        ),
        (
            "extra claim",
            h.clone(),
            c.replace(r#""attest":"A","#, r#""attest":"A","cnf":{"k":[1,2]},"#),
            true,
        ),
        (
            "unsorted",
            format!(r#"{{"typ":"passport","alg":"ES256","x5u":"{X5U40}","ppt":"shaken"}}"#),
            c.to_string(),
            false,
        ),
        (
            "whitespace",
            h.clone(),
            c.replace(',', ", ").replace(':', ": "),
            false,
        ),
        (
            "uppercase origid",
            h.clone(),
            c.replace(
                "3f1c1d5e-9f0a-4c6e-8a53-0b1c2d3e4f50",
                "3F1C1D5E-9F0A-4C6E-8A53-0B1C2D3E4F50",
            ),
            true,
        ),
    ];
    for (name, h, c, rebuilt) in cases {
        let token = hand_token(&k, &h, &c);
        let identity = cliauth::format_identity(&token, X5U40, Some(Ppt::Shaken));
        let mut m = intl_iam("12155551212", "12155551213");
        let out = gw.outgoing(&mut m, &identity).unwrap();
        let inc = gw
            .incoming(&out.encoded.iam, out.encoded.sgm.as_deref(), &v, NOW)
            .unwrap();
        assert!(matches!(inc.outcome, Outcome::Passed(_)), "{name}");
        assert_eq!(inc.identity.unwrap(), identity, "{name}");
        if rebuilt {
            assert!(out.token_len.unwrap() <= 150, "{name}: {:?}", out.token_len);
        }
        // Without verbatim carriage the non-deterministic ones are a typed error.
        let strict = Gateway::new(GatewayConfig {
            convert: ConvertOptions {
                allow_verbatim: false,
                ..ConvertOptions::default()
            },
            ..GatewayConfig::default()
        });
        let mut m = intl_iam("12155551212", "12155551213");
        let r = strict.outgoing(&mut m, &identity);
        assert_eq!(r.is_ok(), rebuilt, "{name}");
    }
}

#[test]
fn every_truncation_and_flip_of_a_token_and_an_iam() {
    let (s, v, _) = keys(&x5u(255));
    let gw = Gateway::default();
    let cfg = MessageConfig::default();
    let call = Call::new("12155551212", "12155551213");
    for (name, signed) in tokens_for_every_ppt(&s) {
        if name == "div-o" {
            continue;
        }
        let c = CompactToken::from_identity(&signed.identity(), &call, &ConvertOptions::default())
            .unwrap()
            .token;
        // Token: every truncation is an error; every byte replaced by each of a few values
        // and every bit flipped: no panic.
        for n in 0..c.as_bytes().len() {
            assert!(
                CompactToken::decode(&c.as_bytes()[..n]).is_err(),
                "{name} {n}"
            );
        }
        for i in 0..c.as_bytes().len() {
            for x in [
                0x00u8,
                0xff,
                c.as_bytes()[i] ^ 0xff,
                c.as_bytes()[i].wrapping_add(1),
            ] {
                let mut b = c.as_bytes().to_vec();
                b[i] = x;
                if let Ok(t) = CompactToken::decode(&b) {
                    let _ = t.rebuild(&call);
                }
            }
        }
        // IAM + SGM: every truncation of either is a typed error, every bit flip is handled.
        let mut m = intl_iam("12155551212", "12155551213");
        let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
        let iam = out.encoded.iam.clone();
        let sgm = out.encoded.sgm.clone().unwrap();
        for n in 0..iam.len() {
            assert!(
                gw.incoming(&iam[..n], Some(&sgm), &v, NOW).is_err(),
                "{name} iam {n}"
            );
        }
        for n in 0..sgm.len() {
            assert!(
                gw.incoming(&iam, Some(&sgm[..n]), &v, NOW).is_err(),
                "{name} sgm {n}"
            );
        }
        let mut passed = 0;
        for (which, msg) in [("iam", &iam), ("sgm", &sgm)] {
            for i in 0..msg.len() {
                for bit in 0..8 {
                    let mut b = msg.clone();
                    b[i] ^= 1 << bit;
                    let r = if which == "iam" {
                        gw.incoming(&b, Some(&sgm), &v, NOW)
                    } else {
                        gw.incoming(&iam, Some(&b), &v, NOW)
                    };
                    if let Ok(inc) = r
                        && matches!(inc.outcome, Outcome::Passed(_))
                    {
                        passed += 1;
                        // Whatever passes rebuilt exactly the signed token.
                        assert_eq!(inc.identity.as_deref(), Some(signed.identity().as_str()));
                    }
                }
            }
        }
        // Only bits the token does not depend on (indicators, spare bits, padding).
        assert!(passed < 120, "{name}: {passed}");
        let merged = Iam::parse_segmented(&iam, Some(&sgm)).unwrap();
        assert!(merged.find_token(&cfg).unwrap().is_some());
        assert_eq!(parse_sgm(&sgm).unwrap()[0].code, PARAM_APP);
    }
}

// ---------------------------------------------------------------------------------------
// Test vectors.

fn number_fields_called(n: &CalledPartyNumber) -> Value {
    json!({
        "nature": n.nature.code(), "inn": n.inn, "plan": n.plan.code(),
        "digits": n.digits.as_str(), "st": n.st,
    })
}

fn number_fields_calling(n: &CallingPartyNumber) -> Value {
    json!({
        "nature": n.nature.code(), "incomplete": n.incomplete, "plan": n.plan.code(),
        "presentation": n.presentation.code(), "screening": n.screening.code(),
        "digits": n.digits.as_str(),
    })
}

fn number_error_kind(e: &NumberError) -> &'static str {
    match e {
        NumberError::Truncated { .. } => "truncated",
        NumberError::TooLong { .. } => "too_long",
        NumberError::BadSignal { .. } => "bad_signal",
        NumberError::Filler(_) => "filler",
        NumberError::OddEven => "odd_even",
        NumberError::Empty => "empty",
        _ => "other",
    }
}

fn build_vectors() -> Value {
    let (k, pkcs8) = SigningKey::generate().unwrap();
    let public = k.verifying_key();
    let intl = NatureOfAddress::INTERNATIONAL;
    let d = |s: &str| AddressDigits::new(s).unwrap();

    let mut numbers = Vec::new();
    let called = [
        (
            "called international with ST",
            CalledPartyNumber {
                st: true,
                ..CalledPartyNumber::new(intl, d("12155551213"))
            },
        ),
        (
            "called national odd, INN",
            CalledPartyNumber {
                inn: true,
                ..CalledPartyNumber::new(NatureOfAddress::NATIONAL, d("2079460000"))
            },
        ),
        (
            "called codes 11 and 12",
            CalledPartyNumber::new(NatureOfAddress::UNKNOWN, d("B31C")),
        ),
    ];
    for (name, n) in called {
        numbers.push(json!({"name": name, "param": "called", "hex": hex(&n.encode().unwrap()), "fields": number_fields_called(&n)}));
    }
    let calling = [
        (
            "calling international network provided",
            CallingPartyNumber::new(intl, d("12155551212")),
        ),
        (
            "calling national restricted, verified and passed",
            CallingPartyNumber {
                presentation: Presentation::Restricted,
                screening: Screening::UserVerifiedPassed,
                ..CallingPartyNumber::new(NatureOfAddress::NATIONAL, d("2155551212"))
            },
        ),
        (
            "calling incomplete, verified and failed",
            CallingPartyNumber {
                incomplete: true,
                screening: Screening::UserVerifiedFailed,
                ..CallingPartyNumber::new(intl, d("121555"))
            },
        ),
        (
            "calling address not available",
            CallingPartyNumber {
                presentation: Presentation::NotAvailable,
                plan: NumberingPlan::new(0).unwrap(),
                ..CallingPartyNumber::new(NatureOfAddress::new(0).unwrap(), d(""))
            },
        ),
    ];
    for (name, n) in calling {
        numbers.push(json!({"name": name, "param": "calling", "hex": hex(&n.encode().unwrap()), "fields": number_fields_calling(&n)}));
    }
    let number_errors = [
        ("called", "04", "truncated"),
        ("called", "0410", "empty"),
        ("called", "8410", "odd_even"),
        ("called", "84102153", "filler"),
        ("called", "04102a", "bad_signal"),
        ("called", "04101f", "bad_signal"),
        ("calling", "8413210f", "bad_signal"),
        ("calling", "0413", "empty"),
        (
            "called",
            "0410111111111111111111111111111111111111",
            "too_long",
        ),
    ]
    .map(|(p, h, e)| json!({"param": p, "hex": h, "error": e}));

    let call = Call::new("12155551212", "12155551213");
    let gw = Gateway::default();
    let mut tokens = Vec::new();
    let mut iams = Vec::new();
    for len in [40usize, 255] {
        let url = if len == 40 {
            X5U40.to_string()
        } else {
            x5u(len)
        };
        let s = Signer::new(SigningKey::from_der(&pkcs8).unwrap(), &url).unwrap();
        for (name, signed) in tokens_for_every_ppt(&s) {
            if name == "div-o" && len == 255 {
                continue; // 640 octets: does not fit IAM + SGM
            }
            let c =
                CompactToken::from_identity(&signed.identity(), &call, &ConvertOptions::default())
                    .unwrap()
                    .token;
            tokens.push(json!({
                "name": format!("{name}, x5u {len}"),
                "identity": signed.identity(),
                "calling_tn": "12155551212", "called_tn": "12155551213",
                "compact_hex": hex(c.as_bytes()), "compact_len": c.len(),
            }));
            if name == "shaken" || name == "div-o" {
                let mut m = intl_iam("12155551212", "12155551213");
                let plain = m.to_bytes().unwrap();
                if len == 40 && name == "shaken" {
                    iams.push(json!({"name": "IAM without token", "iam_hex": hex(&plain), "sgm_hex": null, "token_hex": null, "identity": null}));
                }
                let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
                iams.push(json!({
                    "name": format!("IAM with {name} token, x5u {len}"),
                    "iam_hex": hex(&out.encoded.iam),
                    "sgm_hex": out.encoded.sgm.as_deref().map(hex),
                    "token_hex": hex(c.as_bytes()),
                    "identity": signed.identity(),
                }));
            }
        }
    }
    // A foreign signer's non-deterministic JSON, carried verbatim.
    let token = hand_token(
        &k,
        &format!(r#"{{"typ":"passport","alg":"ES256","x5u":"{X5U40}","ppt":"shaken"}}"#),
        r#"{"orig": {"tn": "12155551212"}, "dest": {"tn": ["12155551213"]}, "iat": 1700000000, "attest": "C", "origid": "gw-17"}"#,
    );
    let identity = cliauth::format_identity(&token, X5U40, Some(Ppt::Shaken));
    let c = CompactToken::from_identity(&identity, &call, &ConvertOptions::default())
        .unwrap()
        .token;
    tokens.push(json!({
        "name": "unsorted JSON with whitespace (verbatim), x5u 40",
        "identity": identity,
        "calling_tn": "12155551212", "called_tn": "12155551213",
        "compact_hex": hex(c.as_bytes()), "compact_len": c.len(),
    }));
    json!({
        "description": "cliauth ISUP/BICC carriage (ITU-T Q.3063) test vectors: Q.763 number parameters, compact tokens (ASN.1 CliAuthToken version 2, X.691 unaligned PER, checked against asn1tools and pycrate by tests/isup_asn1_interop.rs), IAMs with the token as APM-user information in an Application Transport parameter (context 64, Q.765 APM'2000 layout with empty originating and destination addresses), segmented into IAM + SGM when over 266 octets. Every token verifies with public_key_pem at time `now`. Regenerate with `cargo test --test isup -- --ignored regenerate_vectors`.",
        "public_key_pem": public.to_pem().unwrap(),
        "now": NOW,
        "numbers": numbers,
        "number_errors": number_errors,
        "tokens": tokens,
        "iams": iams,
    })
}

#[test]
#[ignore = "rewrites vectors/isup.json"]
fn regenerate_vectors() {
    let v = build_vectors();
    std::fs::write(VECTORS, serde_json::to_string_pretty(&v).unwrap() + "\n").unwrap();
}

#[test]
fn vectors() {
    let text = std::fs::read_to_string(VECTORS).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let public =
        VerifyingKey::from_pem_or_der(v["public_key_pem"].as_str().unwrap().as_bytes()).unwrap();
    let verifier = Verifier::with_key(public);
    let now = v["now"].as_i64().unwrap();
    let mut count = 0;
    for n in v["numbers"].as_array().unwrap() {
        let bytes = unhex(n["hex"].as_str().unwrap());
        let fields = if n["param"] == "called" {
            let p = CalledPartyNumber::decode(&bytes).unwrap();
            assert_eq!(p.encode().unwrap(), bytes);
            number_fields_called(&p)
        } else {
            let p = CallingPartyNumber::decode(&bytes).unwrap();
            assert_eq!(p.encode().unwrap(), bytes);
            number_fields_calling(&p)
        };
        assert_eq!(fields, n["fields"], "{}", n["name"]);
        count += 1;
    }
    for n in v["number_errors"].as_array().unwrap() {
        let bytes = unhex(n["hex"].as_str().unwrap());
        let e = if n["param"] == "called" {
            CalledPartyNumber::decode(&bytes).unwrap_err()
        } else {
            CallingPartyNumber::decode(&bytes).unwrap_err()
        };
        assert_eq!(number_error_kind(&e), n["error"], "{n}");
        count += 1;
    }
    for t in v["tokens"].as_array().unwrap() {
        let call = Call::new(
            t["calling_tn"].as_str().unwrap(),
            t["called_tn"].as_str().unwrap(),
        );
        let identity = t["identity"].as_str().unwrap();
        let bytes = unhex(t["compact_hex"].as_str().unwrap());
        assert_eq!(bytes.len() as u64, t["compact_len"].as_u64().unwrap());
        // SIP → ISUP gives exactly the vector; ISUP → SIP gives exactly the identity.
        let c = CompactToken::from_identity(identity, &call, &ConvertOptions::default()).unwrap();
        assert_eq!(hex(c.token.as_bytes()), t["compact_hex"], "{}", t["name"]);
        let sip = CompactToken::decode(&bytes)
            .unwrap()
            .rebuild(&call)
            .unwrap();
        assert_eq!(sip.identity, identity, "{}", t["name"]);
        verifier.verify_identity(&sip.identity, &call, now).unwrap();
        count += 1;
    }
    let gw = Gateway::default();
    let cfg = MessageConfig::default();
    for m in v["iams"].as_array().unwrap() {
        let iam = unhex(m["iam_hex"].as_str().unwrap());
        let sgm = m["sgm_hex"].as_str().map(unhex);
        assert!(iam.len() <= 266 && sgm.as_ref().is_none_or(|s| s.len() <= 266));
        let parsed = Iam::parse_segmented(&iam, sgm.as_deref()).unwrap();
        let token = parsed.find_token(&cfg).unwrap();
        assert_eq!(
            token.as_deref().map(hex),
            m["token_hex"].as_str().map(String::from)
        );
        let inc = gw.incoming(&iam, sgm.as_deref(), &verifier, now).unwrap();
        match m["identity"].as_str() {
            None => assert!(matches!(inc.outcome, Outcome::NoToken)),
            Some(id) => {
                assert!(matches!(inc.outcome, Outcome::Passed(_)), "{}", m["name"]);
                assert_eq!(inc.identity.as_deref(), Some(id));
                // The outgoing gateway reproduces the vector exactly.
                let mut fresh = intl_iam("12155551212", "12155551213");
                let out = gw.outgoing(&mut fresh, id).unwrap();
                assert_eq!(hex(&out.encoded.iam), m["iam_hex"]);
                assert_eq!(
                    out.encoded.sgm.as_deref().map(hex),
                    m["sgm_hex"].as_str().map(String::from)
                );
            }
        }
        count += 1;
    }
    assert!(count >= 25, "{count} vectors");
}

// ---------------------------------------------------------------------------------------
// Timing.

/// The cost of one call: the fastest of 20 batches (the machine is shared, so the
/// minimum is the least disturbed measurement).
fn per_op(n: u32, mut f: impl FnMut()) -> Duration {
    f();
    let batch = (n / 20).max(1);
    (0..20)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                f();
            }
            start.elapsed() / batch
        })
        .min()
        .unwrap_or_default()
}

#[test]
#[ignore = "timing; run with --release"]
fn timing_against_one_ecdsa_verify() {
    let (s, _, public) = keys(X5U40);
    let signed = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap();
    let identity = signed.identity();
    let call = Call::new("12155551212", "12155551213");
    let opts = ConvertOptions::default();
    let raw = cliauth::passport::jws::RawToken::split(signed.token()).unwrap();
    let n = 2000;
    let verify = per_op(n, || {
        public.verify(raw.signing_input(), &raw.signature).unwrap();
    });
    let encode = per_op(n, || {
        CompactToken::from_identity(&identity, &call, &opts).unwrap();
    });
    let bytes = CompactToken::from_identity(&identity, &call, &opts)
        .unwrap()
        .token
        .into_bytes();
    let decode = per_op(n, || {
        CompactToken::decode(&bytes)
            .unwrap()
            .rebuild(&call)
            .unwrap();
    });
    let gw = Gateway::default();
    let mut m = intl_iam("12155551212", "12155551213");
    let out = gw.outgoing(&mut m, &identity).unwrap();
    let cfg = MessageConfig::default();
    let iam_walk = per_op(n, || {
        let m = Iam::parse_segmented(&out.encoded.iam, None).unwrap();
        m.find_token(&cfg).unwrap().unwrap();
    });
    // The general path: a token the fast path does not take (rcd, other members).
    let mut rcd = Claims::shaken("12155551212", &["12155551213"], Attest::A, "x", NOW);
    rcd.rcd = Some(Rcd::name("Alice"));
    let rcd_identity = s.sign(Some(Ppt::Rcd), &rcd).unwrap().identity();
    let general = per_op(n, || {
        CompactToken::from_identity(&rcd_identity, &call, &opts).unwrap();
    });
    let rcd_bytes = CompactToken::from_identity(&rcd_identity, &call, &opts)
        .unwrap()
        .token
        .into_bytes();
    let general_back = per_op(n, || {
        CompactToken::decode(&rcd_bytes)
            .unwrap()
            .rebuild(&call)
            .unwrap();
    });
    let value = CompactToken::decode(&bytes).unwrap();
    let uper = per_op(n, || {
        value.reencode().unwrap();
    });
    let pct = |d: Duration| 100.0 * d.as_secs_f64() / verify.as_secs_f64();
    if std::env::var_os("ISUP_TIMING_DETAIL").is_some() {
        let t = per_op(n, || {
            cliauth::IdentityHeader::parse(&identity).unwrap();
        });
        println!("  identity parse {t:?}");
        let t = per_op(n, || {
            cliauth::Passport::parse(signed.token()).unwrap();
        });
        println!("  passport parse {t:?}");
        let t = per_op(n, || {
            let r = cliauth::passport::jws::RawToken::split(signed.token()).unwrap();
            let h = r.header_json().unwrap();
            let c = r.claims_json().unwrap();
            cliauth::passport::json::parse_object(&h, cliauth::error::Part::Header).unwrap();
            cliauth::passport::json::parse_object(&c, cliauth::error::Part::Claims).unwrap();
        });
        println!("  split+b64+json {t:?}");
        let tok = CompactToken::decode(&bytes).unwrap();
        let t = per_op(n, || {
            tok.reencode().unwrap();
        });
        println!("  uper encode {t:?}");
        let t = per_op(n, || {
            CompactToken::decode(&bytes).unwrap();
        });
        println!("  uper decode {t:?}");
        let t = per_op(n, || {
            tok.rebuild(&call).unwrap();
        });
        println!("  rebuild {t:?}");
    }
    println!("ECDSA P-256 verify:          {verify:?}");
    println!(
        "encode (SIP -> compact, incl. self-check): {encode:?} = {:.1} %",
        pct(encode)
    );
    println!(
        "decode + rebuild:            {decode:?} = {:.1} %",
        pct(decode)
    );
    println!(
        "IAM parse + find token:      {iam_walk:?} = {:.1} %",
        pct(iam_walk)
    );
    println!("UPER encode alone:           {uper:?} = {:.1} %", pct(uper));
    println!(
        "rcd (general path) encode:   {general:?} = {:.1} %",
        pct(general)
    );
    println!(
        "rcd decode + rebuild:        {general_back:?} = {:.1} %",
        pct(general_back)
    );
}

#[test]
fn unmappable_numbers_are_typed() {
    let m = NumberMapping::international();
    let n = CallingPartyNumber::new(
        NatureOfAddress::NATIONAL,
        AddressDigits::new("2155551212").unwrap(),
    );
    assert!(matches!(
        m.calling_to_tn(&n),
        Err(NumberError::NotMappable(_))
    ));
}
