//! Property tests on stable Rust: the round trips the fuzz targets check (canonical JSON,
//! sign → verify, telephone numbers), "no panic" on arbitrary text for the parsers, the
//! single-byte mutation property of signed Identity headers (exhaustive over positions),
//! and the size limits' guard against slow inputs.
//!
//! `regenerate_fuzz_seeds` (ignored) rewrites the seed corpora under `fuzz/seeds/`:
//! `cargo test --test properties regenerate_fuzz_seeds -- --ignored`.

use std::time::{Duration, Instant};

use base64::Engine;
use cliauth::error::{LimitKind, Part};
use cliauth::passport::json::{parse_object, to_canonical};
use cliauth::passport::jws::{B64, RawToken};
use cliauth::passport::{Dest, decode};
use cliauth::{
    Attest, Call, Claims, Error, IdentityHeader, Party, Passport, Ppt, Rcd, Signer, SigningKey, Tn,
    Verifier, VerifyingKey,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const NOW: i64 = 1_700_000_000;
const X5U: &str = "https://cert.example.net/sp.pem";

fn pair() -> (Signer, Verifier) {
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    (Signer::new(k, X5U).unwrap(), v)
}

fn base_claims() -> Claims {
    Claims::new(
        Party::Tn("12155551212".into()),
        Dest::tns(["12155551213"]),
        NOW,
    )
}

/// One signed Identity header per kind of PASSporT: base, shaken, div, div-o, rcd.
fn signed_headers(s: &Signer) -> Vec<(Option<Ppt>, String)> {
    let shaken = Claims::shaken(
        "12155551212",
        &["12155551213"],
        Attest::A,
        "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10",
        NOW,
    );
    let shaken_token = s.sign(Some(Ppt::Shaken), &shaken).unwrap().into_token();
    let mut div = base_claims();
    div.div = Some(Party::Tn("12155551214".into()));
    let mut div_o = div.clone();
    div_o.opt = Some(shaken_token);
    let mut rcd = shaken.clone();
    rcd.rcd = Some(Rcd::name("Alice Example"));
    rcd.crn = Some("Lunch".into());
    [
        (None, base_claims()),
        (Some(Ppt::Shaken), shaken),
        (Some(Ppt::Div), div),
        (Some(Ppt::DivO), div_o),
        (Some(Ppt::Rcd), rcd),
    ]
    .into_iter()
    .map(|(ppt, claims)| (ppt, s.sign(ppt, &claims).unwrap().identity()))
    .collect()
}

// ---------------------------------------------------------------------------------------
// Canonical JSON

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        // Escapes, control characters, non-ASCII and code-point order corner cases.
        "[a-zA-Z\"\\\\/\u{0}-\u{1f}\u{7f}é\u{e000}\u{ffff}\u{10000}😀]{0,6}"
            .prop_map(Value::String),
    ];
    // At most 15 container levels below the wrapping object: within MAX_JSON_DEPTH.
    leaf.prop_recursive(15, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z\u{e9}\u{10000}\"\\\\]{0,4}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// canonical → parse gives the value back; canonical(parse(canonical(v))) ==
    /// canonical(v); the canonical text is what serde_json writes for a sorted map.
    #[test]
    fn canonical_json_round_trips(v in json_value()) {
        let mut m = Map::new();
        m.insert("v".into(), v);
        let wrapped = Value::Object(m);
        let canonical = to_canonical(&wrapped).unwrap();
        prop_assert_eq!(&canonical, &serde_json::to_vec(&wrapped).unwrap());
        let back = Value::Object(parse_object(&canonical, Part::Claims).unwrap());
        prop_assert_eq!(&back, &wrapped);
        prop_assert_eq!(to_canonical(&back).unwrap(), canonical);
    }

    /// Arbitrary text never panics the JSON reader, and what it accepts re-encodes to
    /// something it accepts again (floats aside, which have no canonical form).
    #[test]
    fn json_reader_total(text in "\\PC{0,64}|[\\[\\]{}\":,0-9a-z\\\\ .-]{0,64}") {
        if let Ok(m) = parse_object(text.as_bytes(), Part::Claims)
            && let Ok(c) = to_canonical(&Value::Object(m.clone()))
        {
            prop_assert_eq!(parse_object(&c, Part::Claims).unwrap(), m);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sign → verify

#[derive(Debug, Clone)]
struct CallData {
    orig: String,
    dest: Vec<String>,
    dest_uri: Vec<String>,
    iat: i64,
    attest: Attest,
    origid: String,
    div: Option<String>,
    rcd_name: Option<String>,
    ppt: Option<Ppt>,
}

fn call_data() -> impl Strategy<Value = CallData> {
    (
        "[0-9#*]{1,15}",
        prop::collection::vec("[0-9#*]{1,15}", 1..4),
        prop::collection::vec("sip:[a-z0-9.]{1,12}@example\\.com", 0..3),
        prop_oneof![0i64..4_000_000_000, 0i64..=i64::MAX],
        prop::sample::select(vec![Attest::A, Attest::B, Attest::C]),
        "[a-zA-Z0-9-]{1,64}|\\PC{1,40}",
        prop::option::of("[0-9]{1,15}"),
        prop::option::of("\\PC{1,40}"),
        prop::sample::select(vec![
            None,
            Some(Ppt::Shaken),
            Some(Ppt::Div),
            Some(Ppt::Rcd),
        ]),
    )
        .prop_map(
            |(orig, dest, dest_uri, iat, attest, origid, div, rcd_name, ppt)| CallData {
                orig,
                dest,
                dest_uri,
                iat,
                attest,
                origid,
                div,
                rcd_name,
                ppt,
            },
        )
}

fn shared_pair() -> &'static (Signer, Verifier) {
    static PAIR: std::sync::OnceLock<(Signer, Verifier)> = std::sync::OnceLock::new();
    PAIR.get_or_init(pair)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// What we sign, we verify: the token, the Identity header and its compact form all
    /// verify at `now = iat`, giving back exactly the claims signed.
    #[test]
    fn what_we_sign_we_verify(d in call_data()) {
        let (s, v) = shared_pair();
        let mut c = Claims::new(
            Party::Tn(d.orig.clone()),
            Dest { tn: d.dest.clone(), uri: d.dest_uri.clone() },
            d.iat,
        );
        c.attest = Some(d.attest);
        c.origid = Some(d.origid.clone());
        c.div = d.div.clone().map(Party::Tn).or_else(|| {
            (d.ppt == Some(Ppt::Div)).then(|| Party::Tn("1".into()))
        });
        c.rcd = d.rcd_name.clone().map(Rcd::name).or_else(|| {
            (d.ppt == Some(Ppt::Rcd)).then(|| Rcd::name("n"))
        });
        let signed = s.sign(d.ppt, &c).unwrap();
        let verdict = v.verify_token(signed.token(), &Call::default(), d.iat).unwrap();
        prop_assert_eq!(verdict.claims(), &c);
        prop_assert_eq!(verdict.header().ppt, d.ppt);
        let call = Call::new(&d.orig, &d.dest[0]);
        let verdict = v.verify_identity(&signed.identity(), &call, d.iat).unwrap();
        prop_assert_eq!(verdict.claims(), &c);
        let rebuilt = Passport::new(cliauth::Header::new(d.ppt, X5U), c.clone()).unwrap();
        v.verify_compact(&signed.compact_identity(), &rebuilt, &call, d.iat).unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Telephone numbers and "no panic" on arbitrary text

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// The canonical form is 1..=15 of [0-9#*] and parses to itself.
    #[test]
    fn tn_canonical_form(text in "[+]?[0-9#*() .-]{0,24}|\\PC{0,20}|.{0,70}") {
        if let Ok(tn) = Tn::parse(&text) {
            let c = tn.as_str();
            prop_assert!((1..=15).contains(&c.len()));
            prop_assert!(c.bytes().all(|b| b.is_ascii_digit() || b == b'#' || b == b'*'));
            prop_assert_eq!(Tn::parse(c), Ok(tn.clone()));
            prop_assert_eq!(Tn::parse(&format!("+{c}")), Ok(tn.clone()));
            prop_assert!(tn.matches(&text));
        }
    }

    /// Identity header, token and key parsers return, never panic, on arbitrary input.
    #[test]
    fn parsers_are_total(text in "\\PC{0,80}|[a-zA-Z0-9_.;=<>\", -]{0,120}") {
        let _ = IdentityHeader::parse_all(&text);
        let _ = RawToken::split(&text);
        let _ = Passport::parse(&text);
        let _ = decode(&text);
        let _ = SigningKey::from_pem_or_der(text.as_bytes());
        let _ = VerifyingKey::from_pem_or_der(text.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------
// Single-byte mutations of signed Identity headers

/// Replacement bytes tried at every position (besides flipping bits 0 and 5 of the
/// original byte): separators, quotes, white space, base64url and non-base64url
/// characters, controls.
const REPLACEMENTS: &[u8] = b" \t\r\n\";,<>=.:Az0-_+/\\\x00\x7f";

/// Whether a mutated header that verifies is *legitimately equivalent* to the original.
///
/// Two classes of single-byte mutation leave the meaning of a header unchanged, and both
/// are confined to the parameter names after the token and `info`:
/// * changing the letter case of a parameter name (`INFO=`, `Alg=`, `pPt=`): RFC 3261
///   parameter names are case-insensitive;
/// * turning the `alg` or `ppt` parameter into some other, unknown parameter (`alx=ES256`,
///   `al g=…`, `alg.ES256`, `pp=shaken`, …): RFC 8224 requires unknown parameters to be
///   ignored; an absent `alg` means ES256 (RFC 8224 §4.1), and an absent `ppt` loses
///   nothing, since the extension is named in the signed PASSporT header, which is what
///   the verifier uses.
///
/// Exactly this is accepted: the mutated header parses into the same token and the same
/// `info`, `alg` and `ppt` are either unchanged or gone (never different), and only unknown
/// parameters were added. Any other mutation that verifies fails the test.
fn equivalent(original: &IdentityHeader, mutated: &str) -> bool {
    let Ok(m) = IdentityHeader::parse(mutated) else {
        return false;
    };
    m.token == original.token
        && m.info == original.info
        && (m.alg == original.alg || m.alg.is_none())
        && (m.ppt == original.ppt || m.ppt.is_none())
        && original.params.iter().all(|p| m.params.contains(p))
}

/// Mutating any single byte of a valid Identity header never panics and never verifies
/// (but for the equivalent mutations above). Every position, every replacement.
#[test]
fn single_byte_mutations_never_verify() {
    let (s, v) = pair();
    let call = Call::new("12155551212", "12155551213");
    let (mut tried, mut equivalent_count) = (0usize, 0usize);
    let mut headers = signed_headers(&s);
    // The same with a header name and white space around the parameters.
    let (ppt, h) = headers[1].clone();
    headers.push((ppt, format!("Identity: {}", h.replace(';', " ; "))));
    for (ppt, header) in &headers {
        v.verify_identity(header, &call, NOW)
            .unwrap_or_else(|e| panic!("{ppt:?}: unmutated header must verify: {e}"));
        let original = IdentityHeader::parse(header).unwrap();
        let bytes = header.as_bytes();
        for i in 0..bytes.len() {
            let o = bytes[i];
            let mut reps = vec![o ^ 0x01, o ^ 0x20];
            reps.extend_from_slice(REPLACEMENTS);
            reps.sort_unstable();
            reps.dedup();
            for r in reps.into_iter().filter(|&r| r != o) {
                let mut m = bytes.to_vec();
                m[i] = r;
                let m = String::from_utf8(m).expect("ASCII stays UTF-8");
                tried += 1;
                if v.verify_identity(&m, &call, NOW).is_ok() {
                    assert!(
                        equivalent(&original, &m),
                        "{ppt:?}: byte {i} {:?} -> {:?} still verifies: {m:?}",
                        o as char,
                        r as char
                    );
                    equivalent_count += 1;
                }
            }
            // A non-ASCII character in place of the byte.
            let m = format!("{}é{}", &header[..i], &header[i + 1..]);
            tried += 1;
            assert!(v.verify_identity(&m, &call, NOW).is_err(), "{m:?}");
        }
    }
    // Sanity: the equivalent class exists (case changes of `info` at least) and is small.
    assert!(equivalent_count > 0 && equivalent_count * 20 < tried);
    println!("{tried} mutations, {equivalent_count} equivalent (parameter-name) mutations");
}

// ---------------------------------------------------------------------------------------
// Size limits: rejected with Error::Limit, quickly

const MIB: usize = 1 << 20;

fn assert_fast_limit(what: &str, expect: LimitKind, f: impl FnOnce() -> Result<(), Error>) {
    let start = Instant::now();
    let res = f();
    let took = start.elapsed();
    match res {
        Err(Error::Limit { what: w, .. }) if w == expect => {}
        other => panic!("{what}: expected Limit {expect:?}, got {other:?}"),
    }
    assert!(
        took < Duration::from_millis(100),
        "{what}: took {took:?} to reject"
    );
}

#[test]
fn huge_inputs_are_rejected_quickly() {
    let (_, v) = pair();
    let token = format!("eyJ{}.eyJ.{}", "A".repeat(MIB), B64.encode([0u8; 64]));
    let header = format!("{token};info=<{X5U}>;alg=ES256;ppt=shaken");
    assert_fast_limit("1 MiB Identity header", LimitKind::IdentityHeader, || {
        v.verify_identity(&header, &Call::default(), NOW).map(drop)
    });
    assert_fast_limit(
        "1 MiB Identity header (parse_all)",
        LimitKind::IdentityHeader,
        || IdentityHeader::parse_all(&header).map(drop),
    );
    assert_fast_limit("1 MiB token", LimitKind::Token, || {
        v.verify_token(&token, &Call::default(), NOW).map(drop)
    });
    assert_fast_limit("1 MiB token (split)", LimitKind::Token, || {
        RawToken::split(&token).map(drop)
    });

    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_fast_limit("JSON nested 100,000 deep", LimitKind::JsonDepth, || {
        parse_object(deep.as_bytes(), Part::Claims).map(drop)
    });
    let unclosed = format!("{{\"a\":{}", "{\"a\":".repeat(100_000));
    assert_fast_limit(
        "unclosed JSON nested 100,000 deep",
        LimitKind::JsonDepth,
        || parse_object(unclosed.as_bytes(), Part::Header).map(drop),
    );

    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    while pem.len() < MIB {
        pem.push_str(&"QUFB".repeat(16));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    assert_fast_limit("1 MiB PEM private key", LimitKind::KeyInput, || {
        SigningKey::from_pem_or_der(pem.as_bytes()).map(drop)
    });
    let public = pem.replace("PRIVATE", "PUBLIC");
    assert_fast_limit("1 MiB PEM public key", LimitKind::KeyInput, || {
        VerifyingKey::from_pem_or_der(public.as_bytes()).map(drop)
    });
    assert_fast_limit("1 MiB PEM signer key", LimitKind::KeyInput, || {
        Signer::from_pem(pem.as_bytes(), X5U).map(drop)
    });
}

// ---------------------------------------------------------------------------------------
// Fuzz seed corpora

/// Every fuzz target with a seed corpus.
const FUZZ_TARGETS: [&str; 16] = [
    "identity_parse",
    "passport_decode",
    "passport_verify",
    "json_roundtrip",
    "sign_verify_roundtrip",
    "tn_canonical",
    "key_parse",
    "token_split",
    "tnauthlist_der",
    "claim_constraints_der",
    "cert_chain",
    "crl_parse",
    "isup_number",
    "isup_token",
    "isup_iam",
    "capi_strings",
];

/// Rewrites `fuzz/seeds/<target>/` from tokens and headers this library signs, the public
/// interop data in `tests/data/interop/`, `vectors/`, the rest of `tests/data/` and
/// hand-written corner cases; and `fuzz/certs/` (a new test PKI) with the seeds that
/// depend on it. `FUZZ_SEEDS=target,target,…` limits it to those targets (the seeds of
/// the others stay as they are; `fuzz/certs/` is renewed only with `cert_chain` or
/// `crl_parse`, and `capi_strings` must then be regenerated too: its seeds hold copies).
#[test]
#[ignore = "writes fuzz/seeds/; run by hand after changing the token format"]
fn regenerate_fuzz_seeds() {
    use p256::pkcs8::DecodePrivateKey;
    use std::fs;
    use std::path::Path;

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = root.join("fuzz/seeds");
    let only: Option<Vec<String>> = std::env::var("FUZZ_SEEDS")
        .ok()
        .map(|v| v.split(',').map(|t| t.trim().to_owned()).collect());
    let selected = |target: &str| only.as_ref().is_none_or(|o| o.iter().any(|t| t == target));
    if let Some(o) = &only {
        for t in o {
            assert!(FUZZ_TARGETS.contains(&t.as_str()), "unknown target {t}");
        }
    }
    let write = |target: &str, name: &str, data: &[u8]| {
        if !selected(target) {
            return;
        }
        let dir = seeds.join(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(name), data).unwrap();
    };
    for t in FUZZ_TARGETS {
        if selected(t) {
            let _ = fs::remove_dir_all(seeds.join(t));
        }
    }

    // The fuzz crate's fixed key signs the seeds, so they verify there too.
    let key_pem = fs::read(root.join("fuzz/fixed-key.pem")).unwrap();
    let signer = Signer::from_pem(&key_pem, "https://cert.example.net/fuzz.pem").unwrap();
    let mut headers: Vec<(String, String)> = signed_headers(&signer)
        .into_iter()
        .map(|(ppt, h)| (ppt.map_or("base", Ppt::as_str).to_owned(), h))
        .collect();
    let interop = root.join("tests/data/interop");
    let mut tokens: Vec<(String, String)> = Vec::new();
    if let Ok(t) = fs::read_to_string(interop.join("rfc8225/section-7.1-token.txt")) {
        tokens.push(("rfc8225-7.1".into(), t.trim().to_owned()));
    }
    if let Ok(t) = fs::read_to_string(interop.join("libstirshaken/passport.txt")) {
        let lines: Vec<&str> = t.lines().filter(|l| l.starts_with("eyJ")).collect();
        if let Some(signed) = lines.first() {
            tokens.push(("libstirshaken".into(), signed.trim().to_owned()));
        }
        if let Some(header) = lines.get(1) {
            headers.push(("libstirshaken".into(), header.trim().to_owned()));
        }
    }
    for (name, h) in &headers {
        let token = IdentityHeader::parse(h).unwrap().token;
        tokens.push((name.clone(), token));
    }

    // identity_parse: real headers and the forms seen in the wild.
    let shaken = headers[1].1.clone();
    let t = IdentityHeader::parse(&shaken).unwrap().token;
    let compact = cliauth::passport::to_compact(&t).unwrap();
    let variants = [
        ("prefixed", format!("Identity: {shaken}")),
        ("compact-name", format!("y:{shaken}")),
        (
            "reordered-quoted",
            format!("{t};ppt=\"shaken\";alg=ES256;info=<https://cert.example.net/fuzz.pem>"),
        ),
        (
            "spaced-folded",
            format!(
                "{t}\r\n\t; info = \"https://cert.example.net/fuzz.pem\" ;PPT=shaken;foo;bar=\"a \\\"b\\\"\""
            ),
        ),
        (
            "bare-info",
            format!("{t};info=https://cert.example.net/fuzz.pem"),
        ),
        ("folded-two", format!("{shaken}, {}", headers[2].1)),
        (
            "compact",
            format!("{compact};info=<https://cert.example.net/fuzz.pem>;ppt=shaken"),
        ),
        ("bare-token", t.clone()),
    ];
    for (name, h) in &headers {
        write("identity_parse", &format!("{name}.txt"), h.as_bytes());
    }
    for (name, h) in &variants {
        write("identity_parse", &format!("{name}.txt"), h.as_bytes());
    }

    // passport_decode and token_split: tokens, compact forms.
    for (name, t) in &tokens {
        write("passport_decode", &format!("{name}.txt"), t.as_bytes());
        write("token_split", &format!("{name}.txt"), t.as_bytes());
    }
    write("token_split", "compact.txt", compact.as_bytes());

    // passport_verify: header JSON, 0xFF, claims JSON.
    for (name, t) in &tokens {
        let raw = RawToken::split(t).unwrap();
        let mut seed = raw.header_json().unwrap();
        seed.push(0xff);
        seed.extend(raw.claims_json().unwrap());
        write("passport_verify", &format!("{name}.bin"), &seed);
    }

    // The structure-aware targets read their input as a byte stream: claims JSON and
    // header JSON bytes are as good a start as any.
    for (name, t) in tokens.iter().take(6) {
        let raw = RawToken::split(t).unwrap();
        write(
            "json_roundtrip",
            &format!("{name}.bin"),
            &raw.claims_json().unwrap(),
        );
        write(
            "sign_verify_roundtrip",
            &format!("{name}.bin"),
            &raw.claims_json().unwrap(),
        );
        write(
            "sign_verify_roundtrip",
            &format!("{name}-header.bin"),
            &raw.header_json().unwrap(),
        );
    }

    // tn_canonical.
    for (i, tn) in [
        "12155551212",
        "+1 (215) 555-1212",
        "+1-215-555.1212",
        "*67",
        "#31#1234",
        "123456789012345",
        "1234567890123456",
        "+",
        "++1",
        "1+2",
        "１２３",
        "sip:+12155551212@example.com",
    ]
    .iter()
    .enumerate()
    {
        write("tn_canonical", &format!("tn{i}.txt"), tn.as_bytes());
    }

    // key_parse: the fixed key in every encoding, interop keys and certificates.
    let (k, pkcs8) = SigningKey::generate().unwrap();
    write("key_parse", "fixed-pkcs8.pem", &key_pem);
    write("key_parse", "pkcs8.der", &pkcs8);
    write(
        "key_parse",
        "pkcs8.pem",
        cliauth::key::pkcs8_pem(&pkcs8).as_bytes(),
    );
    let public = k.verifying_key().to_pem().unwrap();
    write("key_parse", "public.pem", public.as_bytes());
    write(
        "key_parse",
        "public.der",
        pem::parse(&public).unwrap().contents(),
    );
    let secret = p256::SecretKey::from_pkcs8_der(&pkcs8).unwrap();
    let sec1 = secret.to_sec1_der().unwrap();
    write("key_parse", "sec1.der", &sec1);
    write(
        "key_parse",
        "sec1.pem",
        pem::encode(&pem::Pem::new("EC PRIVATE KEY", sec1.to_vec())).as_bytes(),
    );
    for f in [
        "rfc8225/appendix-A.2-public-key.pem",
        "libstirshaken/sp.pub",
        "libstirshaken/sp.pem",
        "libstirshaken/ca.pem",
        "libstirshaken/wrongsp.pem",
    ] {
        if let Ok(data) = fs::read(interop.join(f)) {
            write("key_parse", &f.replace('/', "-"), &data);
        }
    }

    if ["cert_chain", "crl_parse"].iter().any(|t| selected(t)) {
        seed_sets::certs(root, &interop, &write);
    }
    seed_sets::der_extensions(root, &interop, &write);
    seed_sets::isup(root, &write);
    let identities: Vec<String> = headers.iter().map(|(_, h)| h.clone()).collect();
    seed_sets::capi(root, &identities, &write);
}

/// The seeds of the certificate, ISUP and C API fuzz targets.
mod seed_sets {
    use std::fs;
    use std::io::Read;
    use std::path::Path;

    use cliauth::cert::constraints::{ClaimConstraints, ConstraintsKind, PermittedValues};
    use cliauth::cert::testpki::{TestPki, TestPkiOptions};
    use cliauth::cert::tnauthlist::{OID_TN_AUTH_LIST, TnAuthList, TnEntry};
    use cliauth::cert::{StiCert, parse_chain};
    use serde_json::Value;

    /// The time `fuzz/certs/` is valid at (`cliauth_fuzz::CERT_NOW`).
    const CERT_NOW: i64 = 1_700_000_000;

    type Write<'a> = &'a dyn Fn(&str, &str, &[u8]);

    fn der_of_pem(pem: &str) -> Vec<u8> {
        pem::parse_many(pem)
            .unwrap()
            .into_iter()
            .flat_map(pem::Pem::into_contents)
            .collect()
    }

    /// Up to `max` certificates of the sti-certs corpus: the first of each distinct
    /// combination of role, algorithms and extension shapes, then the first of each
    /// further set of profile faults.
    fn corpus_selection(interop: &Path, max: usize) -> Vec<StiCert> {
        let Ok(f) = fs::File::open(interop.join("sti-certs/certs.pem.gz")) else {
            return Vec::new();
        };
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(f)
            .read_to_end(&mut text)
            .unwrap();
        let mut coarse = std::collections::BTreeMap::new();
        let mut fine = std::collections::BTreeMap::new();
        for (i, block) in cliauth::cert::sticert::pem_blocks(&text).enumerate() {
            let Ok((_, der)) = block else { continue };
            let Ok(c) = StiCert::from_der(&der) else {
                continue;
            };
            let shape = format!(
                "{:?} {:?} {:?} {} {} {} {}",
                c.role(),
                c.public_key().algorithm,
                c.signature_algorithm(),
                match c.tn_auth_list() {
                    None => "no-tnal",
                    Some(Ok(l)) if l.tn_entries().next().is_some() => "tns",
                    Some(Ok(_)) => "spc",
                    Some(Err(_)) => "bad-tnal",
                },
                c.jwt_claim_constraints().is_some() || c.enhanced_jwt_claim_constraints().is_some(),
                !c.malformed_extensions().is_empty(),
                !c.duplicate_extensions().is_empty(),
            );
            let mut faults: Vec<&str> = c.check_profile().iter().map(|f| f.id()).collect();
            faults.sort_unstable();
            faults.dedup();
            let faults = faults.join(",");
            coarse.entry(shape).or_insert(i);
            fine.entry(faults).or_insert((i, c));
        }
        let mut picks: Vec<usize> = coarse.into_values().collect();
        picks.sort_unstable();
        picks.truncate(max);
        for (i, _) in fine.values() {
            if picks.len() < max && !picks.contains(i) {
                picks.push(*i);
            }
        }
        picks.sort_unstable();
        // Parse the picks again (the fine map holds only one certificate per fault set).
        cliauth::cert::sticert::pem_blocks(&text)
            .enumerate()
            .filter(|(i, _)| picks.contains(i))
            .filter_map(|(_, b)| StiCert::from_der(&b.ok()?.1).ok())
            .collect()
    }

    /// `fuzz/certs/` (a new test PKI) and the seeds of `cert_chain` and `crl_parse`.
    pub(super) fn certs(root: &Path, interop: &Path, write: Write<'_>) {
        let constraints = ClaimConstraints::new(
            ConstraintsKind::Enhanced,
            vec!["attest".into()],
            vec![PermittedValues {
                claim: "attest".into(),
                values: vec!["A".into(), "B".into()],
            }],
            vec!["rcd".into()],
        )
        .unwrap();
        let pki = TestPki::generate(&TestPkiOptions {
            tns: vec!["12155551212".into()],
            ranges: vec![("12155550000".into(), 100)],
            claim_constraints: Some(constraints),
            name: "cliauth fuzz".into(),
            ..TestPkiOptions::default()
        })
        .unwrap();
        let ee_crl = pki.ee_crl(true, CERT_NOW - 1000, 2_400_000_000).unwrap();
        let root_crl = pki.root_crl(false, CERT_NOW - 1000, 2_400_000_000).unwrap();
        let crls = format!("{ee_crl}{root_crl}");
        let dir = root.join("fuzz/certs");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("anchor.pem"), &pki.root_pem).unwrap();
        fs::write(dir.join("chain.pem"), &pki.chain_pem).unwrap();
        fs::write(dir.join("crls.pem"), &crls).unwrap();

        // cert_chain: the fixed PKI in PEM and DER, tests/data/cert, libstirshaken's
        // certificates, and a selection of real certificates (two as chains).
        let t = "cert_chain";
        write(t, "pki-chain.pem", pki.chain_pem.as_bytes());
        write(t, "pki-chain.der", &der_of_pem(&pki.chain_pem));
        write(t, "pki-ee.pem", pki.ee_pem.as_bytes());
        write(t, "pki-ee.der", &der_of_pem(&pki.ee_pem));
        write(t, "pki-intermediate.pem", pki.intermediate_pem.as_bytes());
        write(t, "pki-root.pem", pki.root_pem.as_bytes());
        for f in ["chain.pem", "ee-constrained.pem", "ee-faulty.pem"] {
            write(
                t,
                &format!("data-{f}"),
                &fs::read(root.join("tests/data/cert").join(f)).unwrap(),
            );
        }
        for f in ["sp.pem", "ca.pem", "pa.pem"] {
            if let Ok(data) = fs::read(interop.join("libstirshaken").join(f)) {
                write(t, &format!("libstirshaken-{f}"), &data);
            }
        }
        let corpus = corpus_selection(interop, 16);
        for (i, c) in corpus.iter().enumerate() {
            write(t, &format!("sti-{i:02}.der"), c.der());
        }
        let mut chains = 0;
        for ee in corpus.iter().filter(|c| !c.is_ca()) {
            if let Some(ca) = corpus
                .iter()
                .find(|c| c.is_ca() && c.subject() == ee.issuer())
            {
                let mut der = ee.der().to_vec();
                der.extend_from_slice(ca.der());
                write(t, &format!("sti-chain-{chains}.der"), &der);
                chains += 1;
                if chains == 2 {
                    break;
                }
            }
        }

        // crl_parse: CRLs of the fixed PKI in PEM and DER, revoking and not, expired,
        // bundled, and a PEM file without a CRL.
        let t = "crl_parse";
        write(t, "crls.pem", crls.as_bytes());
        write(t, "ee-revoking.pem", ee_crl.as_bytes());
        write(t, "ee-revoking.der", &der_of_pem(&ee_crl));
        let ee_clean = pki.ee_crl(false, CERT_NOW - 1000, 2_400_000_000).unwrap();
        write(t, "ee-clean.pem", ee_clean.as_bytes());
        let root_revoking = pki.root_crl(true, CERT_NOW - 1000, 2_400_000_000).unwrap();
        write(t, "root-revoking.der", &der_of_pem(&root_revoking));
        write(t, "root-clean.pem", root_crl.as_bytes());
        let expired = pki.ee_crl(true, CERT_NOW - 2000, CERT_NOW - 1000).unwrap();
        write(t, "ee-expired.pem", expired.as_bytes());
        write(t, "certificate.pem", pki.root_pem.as_bytes());
        assert_eq!(parse_chain(pki.chain_pem.as_bytes()).unwrap().len(), 2);
    }

    /// The seeds of `tnauthlist_der` and `claim_constraints_der`: values this library
    /// encodes, hand-written DER corner cases, and the extensions of real certificates.
    pub(super) fn der_extensions(root: &Path, interop: &Path, write: Write<'_>) {
        let t = "tnauthlist_der";
        let lists: Vec<Vec<TnEntry>> = vec![
            vec![TnEntry::Spc("1234".into())],
            vec![TnEntry::Spc("567J".into()), TnEntry::Spc("0042".into())],
            vec![TnEntry::One("12155551212".into())],
            vec![TnEntry::Range {
                start: "12155550000".into(),
                count: 10_000,
            }],
            vec![
                TnEntry::Spc("1234".into()),
                TnEntry::One("*67".into()),
                TnEntry::One("#31#".into()),
                TnEntry::Range {
                    start: "999999999999999".into(),
                    count: 2,
                },
            ],
        ];
        for (i, entries) in lists.into_iter().enumerate() {
            let der = TnAuthList::new(entries).unwrap().to_der().unwrap();
            write(t, &format!("list-{i}.der"), &der);
        }
        // A range with an extension addition after `count` (RFC 8226's `...`).
        write(
            t,
            "range-extension.der",
            b"\x30\x16\xa1\x14\x30\x12\x16\x0b12155550000\x02\x01\x0a\x05\x00",
        );
        // The RFC 8226 example shape: SPC "1234".
        write(t, "spc-1234.der", b"\x30\x08\xa0\x06\x16\x041234");
        let mut certs = corpus_selection(interop, 40);
        for f in ["ee.pem", "ee-constrained.pem", "ee-faulty.pem"] {
            let pem = fs::read(root.join("tests/data/cert").join(f)).unwrap();
            certs.extend(parse_chain(&pem).unwrap());
        }
        if let Ok(pem) = fs::read(interop.join("libstirshaken/sp.pem")) {
            certs.extend(parse_chain(&pem).unwrap_or_default());
        }
        let mut n = 0;
        let mut seen = std::collections::BTreeSet::new();
        for c in &certs {
            if let Some(e) = c.extension(OID_TN_AUTH_LIST)
                && seen.insert(e.value.clone())
                && n < 16
            {
                write(t, &format!("cert-{n:02}.der"), &e.value);
                n += 1;
            }
        }

        let t = "claim_constraints_der";
        let pv = |claim: &str, values: &[&str]| PermittedValues {
            claim: claim.into(),
            values: values.iter().map(|v| (*v).into()).collect(),
        };
        let values = [
            (
                ConstraintsKind::JwtClaimConstraints,
                vec!["attest".to_owned(), "origid".to_owned()],
                vec![],
                vec![],
            ),
            (
                ConstraintsKind::JwtClaimConstraints,
                vec![],
                vec![pv("attest", &["A", "B"])],
                vec![],
            ),
            (
                ConstraintsKind::Enhanced,
                vec!["rcd".to_owned()],
                vec![pv("attest", &["A"]), pv("crn", &["Lunch", "Dinner ☕"])],
                vec!["div".to_owned()],
            ),
            (
                ConstraintsKind::Enhanced,
                vec![],
                vec![],
                vec!["rcd".to_owned(), "rcdi".to_owned()],
            ),
        ];
        for (i, (kind, must, permitted, exclude)) in values.into_iter().enumerate() {
            let der = ClaimConstraints::new(kind, must, permitted, exclude)
                .unwrap()
                .to_der()
                .unwrap();
            write(t, &format!("constraints-{i}.der"), &der);
        }
        let mut n = 0;
        for c in &certs {
            for oid in [
                cliauth::cert::constraints::OID_JWT_CLAIM_CONSTRAINTS,
                cliauth::cert::constraints::OID_ENHANCED_JWT_CLAIM_CONSTRAINTS,
            ] {
                if let Some(e) = c.extension(oid) {
                    write(t, &format!("cert-{n:02}.der"), &e.value);
                    n += 1;
                }
            }
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn isup_vectors(root: &Path) -> Value {
        serde_json::from_slice(&fs::read(root.join("vectors/isup.json")).unwrap()).unwrap()
    }

    /// `isup_iam` input: configuration, IAM, SGM (empty: none), token to insert.
    fn iam_input(cfg: u8, iam: &[u8], sgm: &[u8], token: &[u8]) -> Vec<u8> {
        let mut v = vec![cfg];
        v.extend_from_slice(&u16::try_from(iam.len()).unwrap().to_be_bytes());
        v.extend_from_slice(iam);
        v.extend_from_slice(&u16::try_from(sgm.len()).unwrap().to_be_bytes());
        v.extend_from_slice(sgm);
        v.extend_from_slice(token);
        v
    }

    /// The seeds of `isup_number`, `isup_token` and `isup_iam`, from `vectors/isup.json`.
    pub(super) fn isup(root: &Path, write: Write<'_>) {
        let v = isup_vectors(root);
        let hex_of = |x: &Value, k: &str| x[k].as_str().map(unhex);

        // isup_number: mapping selector octet + parameter value (or text).
        let t = "isup_number";
        let selectors = [0x00u8, 0x01, 0x05, 0x31, 0x45];
        let numbers = v["numbers"].as_array().unwrap().iter();
        for (i, n) in numbers
            .chain(v["number_errors"].as_array().unwrap())
            .enumerate()
        {
            let mut seed = vec![selectors[i % selectors.len()]];
            seed.extend(hex_of(n, "hex").unwrap());
            write(t, &format!("number-{i:02}.bin"), &seed);
        }
        for (j, (sel, text)) in [
            (0x01u8, "+1 215 555 1212"),
            (0x45, "12155551212"),
            (0x26, "+44 20 7946 0000"),
            (0x20, "*31#"),
            (0x11, "1215"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut seed = vec![sel];
            seed.extend_from_slice(text.as_bytes());
            write(t, &format!("text-{j}.bin"), &seed);
        }

        // isup_token: the compact tokens.
        let t = "isup_token";
        for (i, tok) in v["tokens"].as_array().unwrap().iter().enumerate() {
            write(
                t,
                &format!("token-{i:02}.uper"),
                &hex_of(tok, "compact_hex").unwrap(),
            );
        }

        // isup_iam: the IAMs (+ SGM) under several configurations, and the token-less IAM
        // with each kind of token to insert.
        let t = "isup_iam";
        let iams = v["iams"].as_array().unwrap();
        for (i, m) in iams.iter().enumerate() {
            let iam = hex_of(m, "iam_hex").unwrap();
            let sgm = hex_of(m, "sgm_hex").unwrap_or_default();
            for cfg in [0x00u8, 0x08, 0x04] {
                write(
                    t,
                    &format!("iam-{i}-cfg{cfg:02x}.bin"),
                    &iam_input(cfg, &iam, &sgm, b""),
                );
            }
        }
        let bare = hex_of(&iams[0], "iam_hex").unwrap();
        for (i, tok) in v["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .step_by(2)
        {
            let token = hex_of(tok, "compact_hex").unwrap();
            write(
                t,
                &format!("insert-{i:02}.bin"),
                &iam_input(0x00, &bare, b"", &token),
            );
        }
        let short = hex_of(&v["tokens"][0], "compact_hex").unwrap();
        write(t, "insert-param.bin", &iam_input(0x03, &bare, b"", &short));
        write(t, "insert-small.bin", &iam_input(0x18, &bare, b"", &short));
    }

    /// The seeds of `capi_strings`: one or more per operation (see the target).
    pub(super) fn capi(root: &Path, identities: &[String], write: Write<'_>) {
        let t = "capi_strings";
        let join = |op: u8, parts: &[&[u8]]| {
            let mut v = vec![op];
            v.extend(parts.join(&0u8));
            v
        };
        let v = isup_vectors(root);
        let (orig, dest) = (b"12155551212".as_slice(), b"12155551213".as_slice());
        for (i, id) in identities.iter().enumerate() {
            write(
                t,
                &format!("0-identity-{i}.bin"),
                &join(0, &[id.as_bytes()]),
            );
            if i < 3 {
                write(
                    t,
                    &format!("1-verify-{i}.bin"),
                    &join(1, &[id.as_bytes(), orig, dest, b""]),
                );
            }
        }
        write(
            t,
            "1-verify-stale.bin",
            &join(1, &[identities[1].as_bytes(), b"", b"", b"1800000000"]),
        );
        for (i, tok) in v["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .step_by(4)
        {
            let id = tok["identity"].as_str().unwrap().as_bytes();
            let calling = tok["calling_tn"].as_str().unwrap().as_bytes();
            let called = tok["called_tn"].as_str().unwrap().as_bytes();
            write(
                t,
                &format!("2-isup-encode-{i}.bin"),
                &join(2, &[id, calling, called]),
            );
            let compact = unhex(tok["compact_hex"].as_str().unwrap());
            write(
                t,
                &format!("3-isup-rebuild-{i}.bin"),
                &join(3, &[calling, called, &compact]),
            );
        }
        let x5u = b"https://cert.example.net/fuzz.pem".as_slice();
        // A flags octet: attest (3 bits), ppt (3), form (2).
        for (i, flags) in [0x01u8, 0x0a, 0x13, 0x59, 0x98].into_iter().enumerate() {
            write(
                t,
                &format!("4-sign-{i}.bin"),
                &join(
                    4,
                    &[
                        &[&[flags][..], x5u].concat(),
                        b"+1 215 555 1212",
                        dest,
                        b"12155551214",
                        b"",
                        b"12155551215",
                        "Alice Example".as_bytes(),
                    ],
                ),
            );
        }
        let key = fs::read(root.join("fuzz/fixed-key.pem")).unwrap();
        write(t, "5-keys-private.bin", &join(5, &[x5u, &key]));
        let public = fs::read(root.join("tests/data/cert/ee.pem")).unwrap();
        write(t, "5-keys-certificate.bin", &join(5, &[x5u, &public]));
        let certs = root.join("fuzz/certs");
        for f in ["chain.pem", "crls.pem", "anchor.pem"] {
            let data = fs::read(certs.join(f)).unwrap();
            write(t, &format!("6-trust-{f}.bin"), &join(6, &[x5u, b"", &data]));
        }
        write(t, "7-statics.bin", &join(7, &[&[13, 0, 0, 0]]));
        // Op 8: a flags octet (ppt: 3 bits, form: 2) and claims JSON.
        let claims = r#"{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"12155551212"},"origid":"0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10"}"#;
        for (i, flags) in [0x01u8, 0x11, 0x08].into_iter().enumerate() {
            let mut seed = vec![8, flags];
            seed.extend_from_slice(claims.as_bytes());
            write(t, &format!("8-sign-json-{i}.bin"), &seed);
        }
        let div = r#"{"dest":{"tn":["12155551213"]},"div":{"tn":"12155559999"},"iat":1700000000,"orig":{"tn":"12155551212"}}"#;
        let mut seed = vec![8, 0x02];
        seed.extend_from_slice(div.as_bytes());
        write(t, "8-sign-json-div.bin", &seed);
    }
}
