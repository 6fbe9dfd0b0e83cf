//! The ISUP compact token against two ASN.1 compilers we did not write: Python's
//! `asn1tools` and `pycrate` compile `asn/CliAuthToken.asn` as published
//! (tests/interop/asn1_peer.py). For every ppt and form — SHAKEN A/B/C, div, div-o (nested,
//! with the same and with two different URLs), rcd, a token signed by secsipidx, verbatim
//! header and claims, a 255-character `x5u` — both decode our unaligned PER, their value is
//! the one [`CompactToken::describe`] shows (what `cliauth isup decode` prints), and their
//! re-encoding is byte for byte ours; from the same values they build and encode tokens
//! that are again ours, which our decoder reads and rebuilds into the signed Identity
//! header. `vectors/isup.json` goes through the same check.
//!
//! The peers are installed by `scripts/install-test-deps.sh`; without them this test
//! fails (it never passes silently).

use std::io::Write;
use std::process::{Command, Stdio};

use cliauth::isup::token::{CompactToken, ConvertOptions};
use cliauth::{Attest, Call, Claims, Dest, Party, Ppt, Rcd, Signer, SigningKey, Verifier};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const X5U40: &str = "https://cert.example.org/sti/sp-0042.pem";
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const PEERS: [&str; 2] = ["asn1tools", "pycrate"];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn call() -> Call<'static> {
    Call::new("12155551212", "12155551213")
}

/// Runs the Python peers on a request; panics with the install hint when they are missing.
fn peers(request: &Value) -> Value {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .arg(format!("{ROOT}/tests/interop/asn1_peer.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {python}: {e}; install the test peers with scripts/install-test-deps.sh"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the ASN.1 peers (asn1tools, pycrate) did not run ({}): {}\n\
         install them with scripts/install-test-deps.sh",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the peer prints JSON")
}

/// One token to check: its name, the Identity header value it came from and the call.
struct Case {
    name: String,
    identity: String,
    call: Call<'static>,
}

fn sign_cases(s: &Signer, suffix: &str) -> Vec<Case> {
    let case = |name: &str, identity: String| Case {
        name: format!("{name}{suffix}"),
        identity,
        call: call(),
    };
    let mut out = Vec::new();
    for (a, origid) in [
        (Attest::A, None),
        (Attest::B, Some("opaque-origid-1")),
        (Attest::C, Some("0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10")),
    ] {
        let t = s
            .sign_shaken("12155551212", &["12155551213"], a, origid, NOW)
            .unwrap();
        out.push(case(&format!("shaken {a:?}"), t.identity()));
    }
    let shaken = s
        .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
        .unwrap();
    let mut div = Claims::new(
        Party::Tn("12155551212".into()),
        Dest::tns(["12155551213"]),
        NOW,
    );
    div.div = Some(Party::Tn("12155559999".into()));
    out.push(case(
        "div",
        s.sign(Some(Ppt::Div), &div).unwrap().identity(),
    ));
    let mut div_o = div.clone();
    div_o.opt = Some(shaken.token().to_owned());
    out.push(case(
        "div-o nested",
        s.sign(Some(Ppt::DivO), &div_o).unwrap().identity(),
    ));
    let mut rcd = Claims::shaken("12155551212", &["12155551213"], Attest::A, "x", NOW);
    rcd.rcd = Some(Rcd::name("Alice Ä \"Q\""));
    rcd.crn = Some("Lunch".into());
    out.push(case(
        "rcd",
        s.sign(Some(Ppt::Rcd), &rcd).unwrap().identity(),
    ));
    let mut uri = Claims::new(
        Party::Uri("sip:alice@example.com".into()),
        Dest::tns(["12155551213"]),
        NOW,
    );
    uri.dest.uri.push("sip:bob@example.com".into());
    out.push(case(
        "base, uri orig and dest",
        s.sign(None, &uri).unwrap().identity(),
    ));
    out
}

fn all_cases() -> Vec<Case> {
    let (k, pkcs8) = SigningKey::generate().unwrap();
    let s = Signer::new(k, X5U40).unwrap();
    let mut cases = sign_cases(&s, "");
    let x5u255 = format!("https://cert.example.org/{}", "p".repeat(230));
    let s255 = Signer::new(SigningKey::from_der(&pkcs8).unwrap(), &x5u255).unwrap();
    cases.extend(
        sign_cases(&s255, ", x5u 255")
            .into_iter()
            .filter(|c| !c.name.starts_with("div-o")),
    );
    // div-o whose nested PASSporT names another URL (no inherited header).
    let other = Signer::new(
        SigningKey::from_der(&pkcs8).unwrap(),
        "https://other.example.net/cert/b.pem",
    )
    .unwrap();
    let inner = other
        .sign_shaken("12155551212", &["12155551213"], Attest::B, None, NOW)
        .unwrap();
    let mut div_o = Claims::new(
        Party::Tn("12155551212".into()),
        Dest::tns(["12155551213"]),
        NOW,
    );
    div_o.div = Some(Party::Tn("12155559999".into()));
    div_o.opt = Some(inner.into_token());
    cases.push(Case {
        name: "div-o, two URLs".into(),
        identity: s.sign(Some(Ppt::DivO), &div_o).unwrap().identity(),
        call: call(),
    });
    // Verbatim header and claims: unsorted JSON with whitespace.
    let key = SigningKey::from_der(&pkcs8).unwrap();
    let h = format!(r#"{{"typ":"passport","alg":"ES256","x5u":"{X5U40}","ppt":"shaken"}}"#);
    let c = r#"{"orig": {"tn": "12155551212"}, "dest": {"tn": ["12155551213"]}, "iat": 1700000000, "attest": "C", "origid": "gw-17"}"#;
    let b64 = |s: &str| {
        use base64::Engine;
        cliauth::passport::jws::B64.encode(s)
    };
    let mut t = format!("{}.{}", b64(&h), b64(c));
    let sig = key.sign(t.as_bytes()).unwrap();
    t = format!("{t}.{}", {
        use base64::Engine;
        cliauth::passport::jws::B64.encode(sig)
    });
    cases.push(Case {
        name: "verbatim header and claims".into(),
        identity: cliauth::format_identity(&t, X5U40, Some(Ppt::Shaken)),
        call: call(),
    });
    // A token signed by secsipidx (Debian package, Go).
    let dir = std::env::temp_dir().join(format!("cliauth-asn1-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = dir.join("key.pem");
    std::fs::write(
        &key_path,
        pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.clone())),
    )
    .unwrap();
    let out = Command::new("secsipidx")
        .args([
            "-sign-full",
            "-orig-tn",
            "12155551212",
            "-dest-tn",
            "12155551213",
            "-attest",
            "A",
            "-x5u",
            X5U40,
            "-k",
        ])
        .arg(&key_path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run secsipidx: {e}; install it with scripts/install-test-deps.sh")
        });
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "secsipidx failed: {out:?}");
    cases.push(Case {
        name: "secsipidx".into(),
        identity: String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        call: call(),
    });
    cases
}

/// Checks that both peers decode `tokens` (name, encoding, our description) to our value
/// and re-encode them to our octets, and that from our values they encode our octets.
fn check_against_peers(tokens: &[(String, Vec<u8>, Value)]) -> Value {
    let request = json!({
        "module": format!("{ROOT}/asn/CliAuthToken.asn"),
        "decode": tokens.iter().map(|(n, b, _)| json!({"name": n, "hex": hex(b)})).collect::<Vec<_>>(),
        "encode": tokens.iter().map(|(n, _, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
    });
    let answer = peers(&request);
    for peer in PEERS {
        let a = &answer[peer];
        for (i, (name, bytes, ours)) in tokens.iter().enumerate() {
            let d = &a["decode"][i];
            assert_eq!(d["name"], name.as_str());
            assert!(d.get("error").is_none(), "{peer} cannot decode {name}: {d}");
            assert_eq!(&d["value"], ours, "{peer} reads {name} differently");
            assert_eq!(d["hex"], hex(bytes), "{peer} re-encodes {name} differently");
            let e = &a["encode"][i];
            assert!(e.get("error").is_none(), "{peer} cannot encode {name}: {e}");
            assert_eq!(e["hex"], hex(bytes), "{peer} encodes {name} differently");
        }
    }
    answer
}

/// Our description of a token plus the nested `opt` token, if any.
fn with_nested(name: &str, t: &CompactToken) -> Vec<(String, Vec<u8>, Value)> {
    let v = t.describe();
    let mut out = vec![(name.to_owned(), t.as_bytes().to_vec(), v.clone())];
    if let Some(opt) = v["claims"]["rebuilt"]["opt"].as_str() {
        let inner = CompactToken::decode(&unhex(opt)).unwrap();
        out.push((format!("{name} (nested opt)"), unhex(opt), inner.describe()));
    }
    out
}

#[test]
fn every_form_against_asn1tools_and_pycrate() {
    let cases = all_cases();
    let mut tokens = Vec::new();
    let mut nested = 0;
    for c in &cases {
        let t = CompactToken::from_identity(&c.identity, &c.call, &ConvertOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", c.name))
            .token;
        let forms = with_nested(&c.name, &t);
        nested += forms.len() - 1;
        tokens.extend(forms);
    }
    assert_eq!(nested, 2, "both div-o tokens nest their opt");
    let kinds: Vec<String> = tokens
        .iter()
        .map(|(_, _, v)| {
            format!(
                "{}/{}",
                v["header"].as_object().unwrap().keys().next().unwrap(),
                v["claims"].as_object().unwrap().keys().next().unwrap()
            )
        })
        .collect();
    for k in ["rebuilt/rebuilt", "verbatim/verbatim", "inherited/rebuilt"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} case");
    }
    let answer = check_against_peers(&tokens);
    // Our decoder reads what the peers encoded, and rebuilds the signed Identity header.
    for peer in PEERS {
        let mut i = 0;
        for c in &cases {
            let (name, _, _) = &tokens[i];
            assert_eq!(name, &c.name);
            let theirs = unhex(answer[peer]["encode"][i]["hex"].as_str().unwrap());
            let sip = CompactToken::decode(&theirs)
                .and_then(|t| t.rebuild(&c.call))
                .unwrap_or_else(|e| panic!("{peer} {}: {e}", c.name));
            assert_eq!(sip.identity, c.identity, "{peer} {}", c.name);
            i += 1;
            while i < tokens.len() && tokens[i].0.ends_with("(nested opt)") {
                i += 1;
            }
        }
    }
}

#[test]
fn the_rebuilt_tokens_verify() {
    // The peers' bytes are ours (checked above); here: ours rebuild and verify.
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    let s = Signer::new(k, X5U40).unwrap();
    for c in sign_cases(&s, "") {
        let t = CompactToken::from_identity(&c.identity, &c.call, &ConvertOptions::default())
            .unwrap()
            .token;
        let back = CompactToken::decode(t.as_bytes())
            .unwrap()
            .rebuild(&c.call)
            .unwrap();
        assert_eq!(back.identity, c.identity, "{}", c.name);
        let for_verify = if c.name.starts_with("base, uri") {
            Call::default()
        } else {
            c.call
        };
        v.verify_identity(&back.identity, &for_verify, NOW).unwrap();
    }
}

#[test]
fn vectors_against_asn1tools_and_pycrate() {
    let text = std::fs::read_to_string(format!("{ROOT}/vectors/isup.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut tokens = Vec::new();
    for t in v["tokens"].as_array().unwrap() {
        let bytes = unhex(t["compact_hex"].as_str().unwrap());
        let decoded = CompactToken::decode(&bytes).unwrap();
        tokens.extend(with_nested(t["name"].as_str().unwrap(), &decoded));
    }
    for m in v["iams"].as_array().unwrap() {
        if let Some(h) = m["token_hex"].as_str() {
            let decoded = CompactToken::decode(&unhex(h)).unwrap();
            tokens.extend(with_nested(m["name"].as_str().unwrap(), &decoded));
        }
    }
    assert!(tokens.len() >= 15, "{} tokens", tokens.len());
    check_against_peers(&tokens);
}
