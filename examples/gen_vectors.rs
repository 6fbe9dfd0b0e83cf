//! Regenerates the test vectors `vectors/passport.json` from the keys in `vectors/keys/`.
//!
//! ```text
//! cargo run --example gen_vectors              # re-sign every case with the existing keys
//! cargo run --example gen_vectors -- --new-keys # first make new signer and "wrong" keys
//! ```
//!
//! ES256 signatures from ring are randomised, so each run changes signature bytes; every
//! case's expected outcome is stated here by hand and checked against the library before
//! the file is written: the run fails (and writes nothing) if any case does not come out
//! as stated. Crafted invalid tokens are signed over `B64(header).B64(claims)` of exactly
//! the bytes given, so that the only defect of each is the intended one.

#[path = "../tests/vectors_support/mod.rs"]
mod vectors_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use base64::Engine;
use cliauth::passport::json::to_canonical;
use cliauth::passport::jws::B64;
use cliauth::passport::to_compact;
use cliauth::{Attest, Claims, Header, IdentityHeader, Passport, Ppt, SigningKey};
use serde_json::{Value, json};
use vectors_support::{
    CallSpec, Case, CompactSpec, ConfigSpec, Expect, Method, VectorFile, check, is_kebab,
};

/// The verification time of the vectors: 2025-06-15T15:06:40Z.
const NOW: i64 = 1_750_000_000;
/// The iat of ordinary cases: two seconds before `NOW`.
const IAT: i64 = NOW - 2;
const X5U: &str = "https://cert.example.net/sti/signer.pem";
const ORIG: &str = "12155551212";
const DEST: &str = "12155551213";
const DIV_TO: &str = "12155551214";
const OTHER: &str = "12155559999";
const ORIGID_A: &str = "5c1d9e0a-7f4b-4d2e-9a63-0b8e2f6c4d17";
const ORIGID_B: &str = "a2f0c7d4-3b9e-4c51-8e26-71d4b9f0e385";
const ORIGID_C: &str = "e9b3d2c1-0a4f-4f7e-b6d8-2c5a1e9f7b40";

const SIGNER_KEY: &str = "vectors/keys/signer.key.pem";
const SIGNER_PUB: &str = "vectors/keys/signer.pub.pem";
const WRONG_KEY: &str = "vectors/keys/wrong.key.pem";
const WRONG_PUB: &str = "vectors/keys/wrong.pub.pem";
const RFC8225_PUB: &str = "vectors/keys/rfc8225-appendix-A.2-public-key.pem";
const RFC8225_TOKEN: &str = "vectors/keys/rfc8225-section-7.1-token.txt";
const LSS_CERT: &str = "vectors/keys/libstirshaken-sp.pem";
const LSS_PASSPORT: &str = "vectors/keys/libstirshaken-passport.txt";
const OUT: &str = "vectors/passport.json";
const README: &str = "vectors/README.md";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut new_keys = false;
    for a in &args {
        match a.as_str() {
            "--new-keys" => new_keys = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo run --example gen_vectors [-- --new-keys]\n\
                     Rewrites {OUT} from the keys in vectors/keys/; --new-keys first replaces\n\
                     the signer and wrong key pairs (the interop files are never touched)."
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if new_keys {
        write_key_pair(&root, SIGNER_KEY, SIGNER_PUB)?;
        write_key_pair(&root, WRONG_KEY, WRONG_PUB)?;
    }
    let g = Gen {
        signer: read_signing_key(&root, SIGNER_KEY)?,
        wrong: read_signing_key(&root, WRONG_KEY)?,
        root: root.clone(),
    };
    let mut cases = Vec::new();
    g.valid_cases(&mut cases)?;
    g.invalid_cases(&mut cases)?;
    let file = VectorFile {
        description: "cliauth PASSporT / SIP Identity verification vectors: each case is \
                      verified with Verifier::with_key(key) at `now` (the case's, else the \
                      file's) for `call`, through `method`; see vectors/README.md"
            .into(),
        now: NOW,
        cases,
    };
    validate(&root, &file)?;
    let mut text = serde_json::to_string_pretty(&file)?;
    text.push('\n');
    std::fs::write(root.join(OUT), text)?;
    update_readme(&root, &file)?;
    let invalid = file.cases.iter().filter(|c| !c.expect.is_valid()).count();
    println!(
        "wrote {OUT}: {} cases ({} valid, {invalid} invalid)",
        file.cases.len(),
        file.cases.len() - invalid
    );
    Ok(())
}

/// Rewrites the generated case tables of `vectors/README.md` (between the markers).
fn update_readme(root: &Path, file: &VectorFile) -> Res<()> {
    let path = root.join(README);
    let mut text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {README}: {e}"))?;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut valid = String::from("| case | method | ppt | what it tests |\n|---|---|---|---|\n");
    let mut invalid = String::from("| case | kind | SIP | what is wrong |\n|---|---|---|---|\n");
    for c in &file.cases {
        let method = serde_json::to_value(c.method)?;
        let method = method.as_str().unwrap_or("?");
        match &c.expect {
            Expect::Valid { ppt, .. } => valid.push_str(&format!(
                "| `{}` | {method} | {} | {} |\n",
                c.name,
                ppt.as_deref().unwrap_or("—"),
                cell(&c.description)
            )),
            Expect::Invalid { kind, sip_code } => invalid.push_str(&format!(
                "| `{}` | `{kind}` | {sip_code} | {} |\n",
                c.name,
                cell(&c.description)
            )),
        }
    }
    for (section, table) in [("VALID CASES", valid), ("INVALID CASES", invalid)] {
        let begin = format!("<!-- BEGIN {section}");
        let end = format!("<!-- END {section} -->");
        let b = text
            .find(&begin)
            .ok_or(format!("{README}: no {begin} marker"))?;
        let b = b + text[b..].find("-->").ok_or("unterminated marker")? + 3;
        let e = b + text[b..]
            .find(&end)
            .ok_or(format!("{README}: no {end} marker"))?;
        text.replace_range(b..e, &format!("\n{table}"));
    }
    std::fs::write(&path, text)?;
    Ok(())
}

fn write_key_pair(root: &Path, private: &str, public: &str) -> Res<()> {
    let (key, pkcs8) = SigningKey::generate()?;
    std::fs::write(root.join(private), cliauth::key::pkcs8_pem(&pkcs8))?;
    std::fs::write(root.join(public), key.verifying_key().to_pem()?)?;
    println!("new key pair {private}, {public}");
    Ok(())
}

fn read_signing_key(root: &Path, rel: &str) -> Res<SigningKey> {
    let bytes = std::fs::read(root.join(rel))
        .map_err(|e| format!("cannot read {rel}: {e} (run with --new-keys to create the keys)"))?;
    Ok(SigningKey::from_pem_or_der(&bytes)?)
}

/// Checks every case against the library and the file-wide rules.
fn validate(root: &Path, file: &VectorFile) -> Res<()> {
    let mut names = HashSet::new();
    let mut failures = Vec::new();
    for c in &file.cases {
        if !is_kebab(&c.name) {
            failures.push(format!("{}: name is not kebab-case", c.name));
        }
        if !names.insert(c.name.as_str()) {
            failures.push(format!("{}: duplicate name", c.name));
        }
        if let Err(e) = check(root, file.now, c) {
            failures.push(format!("{}: {e}", c.name));
        }
    }
    let invalid = file.cases.iter().filter(|c| !c.expect.is_valid()).count();
    if invalid < 40 {
        failures.push(format!(
            "only {invalid} invalid cases, at least 40 are required"
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("vectors not written:\n  {}", failures.join("\n  ")).into())
    }
}

struct Gen {
    root: PathBuf,
    signer: SigningKey,
    wrong: SigningKey,
}

/// A case with the defaults: `verify_identity`, the signer's public key, no call numbers.
fn case(name: &str, description: &str, identity: String, expect: Expect) -> Case {
    Case {
        name: name.into(),
        description: description.into(),
        method: Method::Identity,
        identity,
        key: SIGNER_PUB.into(),
        call: CallSpec::default(),
        now: None,
        config: None,
        compact: None,
        raw_signature_valid: None,
        expect,
        each: None,
    }
}

fn call(orig: &str, dest: &str) -> CallSpec {
    CallSpec {
        orig: Some(orig.into()),
        dest: Some(dest.into()),
    }
}

fn valid(attest: Option<&str>, ppt: Option<&str>, orig: &str, origid: Option<&str>) -> Expect {
    Expect::Valid {
        attest: attest.map(Into::into),
        ppt: ppt.map(Into::into),
        orig: orig.into(),
        origid: origid.map(Into::into),
        div: None,
        extra_claims: Vec::new(),
    }
}

fn shaken_ok(attest: &str, origid: &str) -> Expect {
    valid(Some(attest), Some("shaken"), ORIG, Some(origid))
}

fn inv(kind: &str, sip_code: u16) -> Expect {
    Expect::invalid(kind, sip_code)
}

/// The canonical Identity value `token;info=<X5U>;alg=ES256[;ppt=…]`.
fn ident(token: &str, ppt: Option<&str>) -> String {
    ident_at(token, X5U, ppt)
}

fn ident_at(token: &str, x5u: &str, ppt: Option<&str>) -> String {
    match ppt {
        Some(p) => format!("{token};info=<{x5u}>;alg=ES256;ppt={p}"),
        None => format!("{token};info=<{x5u}>;alg=ES256"),
    }
}

fn header(ppt: Option<&str>) -> Value {
    let mut h = json!({"alg": "ES256", "typ": "passport", "x5u": X5U});
    if let Some(p) = ppt {
        h["ppt"] = json!(p);
    }
    h
}

fn base_claims(iat: i64) -> Value {
    json!({"orig": {"tn": ORIG}, "dest": {"tn": [DEST]}, "iat": iat})
}

fn shaken_claims(attest: &str, origid: &str, iat: i64) -> Value {
    let mut c = base_claims(iat);
    c["attest"] = json!(attest);
    c["origid"] = json!(origid);
    c
}

fn canon(v: &Value) -> Vec<u8> {
    to_canonical(v).expect("vector JSON is integer-only")
}

fn remove(mut v: Value, key: &str) -> Value {
    v.as_object_mut().expect("an object").remove(key);
    v
}

fn with(mut v: Value, key: &str, x: Value) -> Value {
    v[key] = x;
    v
}

/// Splits a full-form token into its three base64url parts.
fn parts(token: &str) -> (&str, &str, &str) {
    let mut it = token.splitn(3, '.');
    let (Some(h), Some(c), Some(s)) = (it.next(), it.next(), it.next()) else {
        panic!("not a three-part token: {token}");
    };
    (h, c, s)
}

/// ECDSA `r‖s` as a DER `Ecdsa-Sig-Value` SEQUENCE of two INTEGERs.
fn der_signature(raw: &[u8; 64]) -> Vec<u8> {
    fn int(x: &[u8]) -> Vec<u8> {
        let mut i = 0;
        while i < x.len() - 1 && x[i] == 0 && x[i + 1] & 0x80 == 0 {
            i += 1;
        }
        let mut body = x[i..].to_vec();
        if body[0] & 0x80 != 0 {
            body.insert(0, 0);
        }
        let mut out = vec![0x02, body.len() as u8];
        out.extend(body);
        out
    }
    let mut seq = int(&raw[..32]);
    seq.extend(int(&raw[32..]));
    let mut out = vec![0x30, seq.len() as u8];
    out.extend(seq);
    out
}

impl Gen {
    /// `B64(header).B64(claims).B64(ES256 signature)` over exactly these bytes.
    fn jws_with(&self, key: &SigningKey, header: &[u8], claims: &[u8]) -> Res<String> {
        let mut t = B64.encode(header);
        t.push('.');
        B64.encode_string(claims, &mut t);
        let sig = key.sign(t.as_bytes())?;
        t.push('.');
        B64.encode_string(sig, &mut t);
        Ok(t)
    }

    fn jws(&self, header: &[u8], claims: &[u8]) -> Res<String> {
        self.jws_with(&self.signer, header, claims)
    }

    /// A token of deterministic JSON, signed with the signer key.
    fn token(&self, header: &Value, claims: &Value) -> Res<String> {
        self.jws(&canon(header), &canon(claims))
    }

    fn shaken(&self, attest: &str, origid: &str, iat: i64) -> Res<String> {
        self.token(&header(Some("shaken")), &shaken_claims(attest, origid, iat))
    }

    fn read(&self, rel: &str) -> Res<String> {
        Ok(std::fs::read_to_string(self.root.join(rel))
            .map_err(|e| format!("cannot read {rel}: {e}"))?)
    }

    fn valid_cases(&self, out: &mut Vec<Case>) -> Res<()> {
        let token_a = self.shaken("A", ORIGID_A, IAT)?;
        let shaken_ident = ident(&token_a, Some("shaken"));
        for (attest, origid, what) in [
            ("A", ORIGID_A, "full attestation"),
            ("B", ORIGID_B, "partial attestation"),
            ("C", ORIGID_C, "gateway attestation"),
        ] {
            let t = if attest == "A" {
                token_a.clone()
            } else {
                self.shaken(attest, origid, IAT)?
            };
            out.push(Case {
                call: call(ORIG, DEST),
                ..case(
                    &format!("shaken-attest-{}", attest.to_lowercase()),
                    &format!(
                        "SHAKEN PASSporT (RFC 8588), {what} ({attest}), canonical Identity header"
                    ),
                    ident(&t, Some("shaken")),
                    shaken_ok(attest, origid),
                )
            });
        }

        let div_claims = with(base_claims(IAT), "div", json!({"tn": DIV_TO}));
        let div_token = self.token(&header(Some("div")), &div_claims)?;
        let div_ident = ident(&div_token, Some("div"));
        let div_expect = Expect::Valid {
            attest: None,
            ppt: Some("div".into()),
            orig: ORIG.into(),
            origid: None,
            div: Some(DIV_TO.into()),
            extra_claims: Vec::new(),
        };
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "div",
                "div PASSporT (RFC 8946): the call to dest was diverted to div; dest keeps the \
                 original called number",
                div_ident.clone(),
                div_expect.clone(),
            )
        });

        let divo_claims = with(div_claims.clone(), "opt", json!(token_a));
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "div-o",
                "div-o PASSporT (RFC 8946 §8): div plus the original SHAKEN PASSporT in opt",
                ident(
                    &self.token(&header(Some("div-o")), &divo_claims)?,
                    Some("div-o"),
                ),
                Expect::Valid {
                    attest: None,
                    ppt: Some("div-o".into()),
                    orig: ORIG.into(),
                    origid: None,
                    div: Some(DIV_TO.into()),
                    extra_claims: Vec::new(),
                },
            )
        });

        let rcd_ok = valid(None, Some("rcd"), ORIG, None);
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "rcd-nam",
                "rcd PASSporT (RFC 9795) with a display name only",
                ident(
                    &self.token(
                        &header(Some("rcd")),
                        &with(base_claims(IAT), "rcd", json!({"nam": "Alice Example"})),
                    )?,
                    Some("rcd"),
                ),
                rcd_ok.clone(),
            )
        });
        let mut rich = with(
            base_claims(IAT),
            "rcd",
            json!({
                "nam": "Alice Example",
                "icn": "https://rcd.example.net/alice.png",
                "jcd": ["vcard", [
                    ["version", {}, "text", "4.0"],
                    ["fn", {}, "text", "Alice Example"],
                    ["tel", {"type": ["work", "voice"]}, "uri", "tel:+1-215-555-1212"]
                ]]
            }),
        );
        rich["crn"] = json!("Rendezvous for Little Nellie");
        rich["rcdi"] = json!({
            "/icn": "sha256-5bEHJ0lHTbL3ti+1kVxBsK5D1ZjkQyYMxr4wK8wAQ9I="
        });
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "rcd-jcd-crn-rcdi",
                "rcd PASSporT with name, icon, inline jCard, call reason (crn) and integrity \
                 digests (rcdi)",
                ident(&self.token(&header(Some("rcd")), &rich)?, Some("rcd")),
                rcd_ok,
            )
        });

        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "base-passport-without-ppt",
                "base PASSporT (RFC 8225): no ppt in the header nor in the Identity header",
                ident(&self.token(&header(None), &base_claims(IAT))?, None),
                valid(None, None, ORIG, None),
            )
        });

        let mut extra = shaken_claims("A", ORIGID_A, IAT);
        extra["foo"] = json!({"bar": [1, true, null, "x"]});
        extra["x-carrier-ref"] = json!("route-17");
        let extra_header = with(header(Some("shaken")), "kid", json!("signer-2025"));
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "extra-claims-kept",
                "unknown claims and an unknown header parameter (kid) are accepted and kept, \
                 and the signature covers them",
                ident(&self.token(&extra_header, &extra)?, Some("shaken")),
                Expect::Valid {
                    attest: Some("A".into()),
                    ppt: Some("shaken".into()),
                    orig: ORIG.into(),
                    origid: Some(ORIGID_A.into()),
                    div: None,
                    extra_claims: vec!["foo".into(), "x-carrier-ref".into()],
                },
            )
        });

        let h = format!(r#"{{"x5u":"{X5U}","typ":"passport","ppt":"shaken","alg":"ES256"}}"#);
        let c = format!(
            r#"{{"orig":{{"tn":"{ORIG}"}},"origid":"{ORIGID_A}","iat":{IAT},"dest":{{"tn":["{DEST}"]}},"attest":"A"}}"#
        );
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "foreign-key-order",
                "another signer's JSON: members not sorted; the signature is checked over the \
                 bytes received, never over a re-serialisation",
                ident(&self.jws(h.as_bytes(), c.as_bytes())?, Some("shaken")),
                shaken_ok("A", ORIGID_A),
            )
        });

        let h = format!(
            "{{\n  \"alg\" : \"ES256\",\n  \"ppt\" : \"shaken\",\n  \"typ\" : \"passport\",\n  \"x5u\" : \"{X5U}\"\n}}\n"
        );
        let c = format!(
            "{{ \"attest\": \"A\",\r\n\t\"dest\": {{ \"tn\": [ \"{DEST}\" ] }},\r\n\t\"iat\": {IAT},\r\n\t\"orig\": {{ \"tn\": \"{ORIG}\" }},\r\n\t\"origid\": \"{ORIGID_A}\" }}"
        );
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "json-whitespace",
                "pretty-printed JSON: spaces, tabs, CR LF and newlines inside header and claims",
                ident(&self.jws(h.as_bytes(), c.as_bytes())?, Some("shaken")),
                shaken_ok("A", ORIGID_A),
            )
        });

        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "header-without-typ",
                "typ is optional in RFC 8225: a header with alg, ppt and x5u only",
                ident(
                    &self.token(
                        &remove(header(Some("shaken")), "typ"),
                        &shaken_claims("A", ORIGID_A, IAT),
                    )?,
                    Some("shaken"),
                ),
                shaken_ok("A", ORIGID_A),
            )
        });

        let forms: [(&str, &str, String); 9] = [
            (
                "identity-ppt-quoted",
                "ppt parameter as a quoted string",
                format!("{token_a};info=<{X5U}>;alg=ES256;ppt=\"shaken\""),
            ),
            (
                "identity-params-reordered",
                "parameters in another order",
                format!("{token_a};ppt=shaken;alg=ES256;info=<{X5U}>"),
            ),
            (
                "identity-no-alg-param",
                "no alg parameter: ES256 is the default",
                format!("{token_a};info=<{X5U}>;ppt=shaken"),
            ),
            (
                "identity-unknown-params",
                "unknown generic parameters, with and without values, are ignored",
                format!("{token_a};info=<{X5U}>;alg=ES256;ppt=shaken;foo=bar;x-flag;note=\"a b\""),
            ),
            (
                "identity-header-name-prefix",
                "the value given with its header name `Identity:`",
                format!("Identity: {shaken_ident}"),
            ),
            (
                "identity-compact-header-name",
                "the value given with the compact header name `y:` (RFC 8224)",
                format!("y:{shaken_ident}"),
            ),
            (
                "identity-folded-lws",
                "linear white space and folded lines (CRLF + tab/space) around the separators",
                format!("{token_a}\r\n\t;info=<{X5U}>\r\n ;alg=ES256 ; ppt=shaken  "),
            ),
            (
                "identity-param-names-upper-case",
                "parameter names are case-insensitive",
                format!("{token_a};INFO=<{X5U}>;Alg=ES256;PPT=shaken"),
            ),
            (
                "identity-info-quoted",
                "info as a quoted string instead of `<URI>`",
                format!("{token_a};info=\"{X5U}\";alg=ES256;ppt=shaken"),
            ),
        ];
        for (name, desc, value) in forms {
            out.push(Case {
                call: call(ORIG, DEST),
                ..case(name, desc, value, shaken_ok("A", ORIGID_A))
            });
        }
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "bare-token",
                "a bare full-form token without any Identity parameter",
                token_a.clone(),
                shaken_ok("A", ORIGID_A),
            )
        });

        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "iat-exactly-60-seconds-old",
                "iat exactly max_age (60 s) before now: the oldest accepted",
                ident(&self.shaken("A", ORIGID_A, NOW - 60)?, Some("shaken")),
                shaken_ok("A", ORIGID_A),
            )
        });
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "iat-10-seconds-ahead",
                "iat exactly max_future (10 s) after now: a clock running ahead is allowed",
                ident(&self.shaken("A", ORIGID_A, NOW + 10)?, Some("shaken")),
                shaken_ok("A", ORIGID_A),
            )
        });

        // Compact form: deterministic JSON, so the receiver can rebuild header and claims.
        let passport = Passport::new(
            Header::new(Some(Ppt::Shaken), X5U),
            Claims::shaken(ORIG, &[DEST], Attest::B, ORIGID_B, IAT),
        )?;
        let full = passport.sign(&self.signer)?;
        let compact_spec = CompactSpec {
            header: object(passport.header.to_json()),
            claims: object(passport.claims.to_json()),
        };
        let compact_ident = ident(&to_compact(&full)?, Some("shaken"));
        out.push(Case {
            method: Method::Compact,
            call: call(ORIG, DEST),
            compact: Some(compact_spec.clone()),
            ..case(
                "compact-form",
                "compact form `..signature` (RFC 8224 §7): the receiver rebuilds header and \
                 claims (given in `compact`) and verifies the rebuilt token",
                compact_ident.clone(),
                shaken_ok("B", ORIGID_B),
            )
        });

        let several = with(
            shaken_claims("A", ORIGID_A, IAT),
            "dest",
            json!({"tn": [OTHER, DEST, "12155550000"]}),
        );
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "dest-several-numbers",
                "dest holds three numbers; the call's called number is the second",
                ident(
                    &self.token(&header(Some("shaken")), &several)?,
                    Some("shaken"),
                ),
                shaken_ok("A", ORIGID_A),
            )
        });
        out.push(Case {
            call: call("+1 (215) 555-1212", "+1-215-555.1213"),
            ..case(
                "call-numbers-with-separators",
                "the call's numbers carry a leading + and visual separators; they match once \
                 canonicalised (RFC 8224 §8.3)",
                shaken_ident.clone(),
                shaken_ok("A", ORIGID_A),
            )
        });
        out.push(Case {
            call: call("sip:alice@example.com", "sip:bob@example.net"),
            ..case(
                "orig-and-dest-uri",
                "base PASSporT whose orig and dest are URIs, matched against URI call parties",
                ident(
                    &self.token(
                        &header(None),
                        &json!({
                            "orig": {"uri": "sip:alice@example.com"},
                            "dest": {"uri": ["sip:bob@example.net"]},
                            "iat": IAT
                        }),
                    )?,
                    None,
                ),
                valid(None, None, "sip:alice@example.com", None),
            )
        });
        out.push(Case {
            call: call(ORIG, DEST),
            ..case(
                "mky-claim",
                "SHAKEN PASSporT with a media key fingerprint claim (mky, RFC 8225 §5.2.2)",
                ident(
                    &self.token(
                        &header(Some("shaken")),
                        &with(
                            shaken_claims("A", ORIGID_A, IAT),
                            "mky",
                            json!([{"alg": "sha-256", "dig": "02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2"}]),
                        ),
                    )?,
                    Some("shaken"),
                ),
                shaken_ok("A", ORIGID_A),
            )
        });
        let http_x5u = "http://cert.example.net/sti/signer.pem";
        out.push(Case {
            call: call(ORIG, DEST),
            config: Some(ConfigSpec {
                allow_http_x5u: Some(true),
                ..ConfigSpec::default()
            }),
            ..case(
                "http-x5u-allowed-by-config",
                "an http:// x5u is accepted when the verifier is configured with allow_http_x5u",
                ident_at(
                    &self.token(
                        &with(header(Some("shaken")), "x5u", json!(http_x5u)),
                        &shaken_claims("A", ORIGID_A, IAT),
                    )?,
                    http_x5u,
                    Some("shaken"),
                ),
                shaken_ok("A", ORIGID_A),
            )
        });
        out.push(Case {
            call: call(ORIG, DEST),
            config: Some(ConfigSpec {
                max_age: Some(3600),
                ..ConfigSpec::default()
            }),
            ..case(
                "max-age-configured",
                "a token 3000 s old is accepted by a verifier configured with max_age 3600",
                ident(&self.shaken("A", ORIGID_A, NOW - 3000)?, Some("shaken")),
                shaken_ok("A", ORIGID_A),
            )
        });
        out.push(Case {
            now: Some(IAT + 30),
            call: call(ORIG, DEST),
            ..case(
                "now-override",
                "a case with its own now (30 s after iat)",
                shaken_ident.clone(),
                shaken_ok("A", ORIGID_A),
            )
        });
        out.push(Case {
            method: Method::Identities,
            call: call(ORIG, DEST),
            each: Some(vec![shaken_ok("A", ORIGID_A), div_expect.clone()]),
            ..case(
                "folded-shaken-and-div",
                "one header field with two comma-separated values (SHAKEN and div), verified \
                 each on its own with verify_identities",
                format!("{shaken_ident},\r\n {div_ident}"),
                shaken_ok("A", ORIGID_A),
            )
        });
        Ok(())
    }

    fn invalid_cases(&self, out: &mut Vec<Case>) -> Res<()> {
        let token_a = self.shaken("A", ORIGID_A, IAT)?;
        let (h, c, s) = parts(&token_a);
        let shaken_ident = ident(&token_a, Some("shaken"));
        let mut push = |name: &str, desc: &str, identity: String, kind: &str, code: u16| {
            out.push(case(name, desc, identity, inv(kind, code)));
        };
        let sh = |t: &str| ident(t, Some("shaken"));
        let hdr_json = canon(&header(Some("shaken")));
        let claims_json = canon(&shaken_claims("A", ORIGID_A, IAT));
        // A token whose header is `hdr` (raw bytes) and claims the ordinary SHAKEN claims.
        let with_header = |hdr: &[u8]| self.jws(hdr, &claims_json);
        let with_claims = |cl: &[u8]| self.jws(&hdr_json, cl);

        // token_format
        push(
            "token-two-parts",
            "a token with only two parts",
            sh(&format!("{h}.{c}")),
            "token_format",
            438,
        );
        push(
            "token-four-parts",
            "a token with four parts",
            sh(&format!("{h}.{c}.{s}.{s}")),
            "token_format",
            438,
        );
        push(
            "token-header-part-empty",
            "an empty header part with claims present",
            sh(&format!(".{c}.{s}")),
            "token_format",
            438,
        );
        push(
            "compact-form-without-rebuild",
            "a compact-form value given to verify_identity: header and claims must be rebuilt",
            sh(&format!("..{s}")),
            "token_format",
            438,
        );
        let sig = |bytes: &[u8]| format!("{h}.{c}.{}", B64.encode(bytes));
        let raw_sig = B64.decode(s)?;
        let mut long = raw_sig.clone();
        long.push(0x5a);
        push(
            "signature-63-bytes",
            "the signature part decodes to 63 bytes (ES256 needs exactly 64)",
            sh(&sig(&raw_sig[..63])),
            "token_format",
            438,
        );
        push(
            "signature-65-bytes",
            "the signature part decodes to 65 bytes",
            sh(&sig(&long)),
            "token_format",
            438,
        );
        push(
            "signature-empty",
            "an empty signature part",
            sh(&format!("{h}.{c}.")),
            "token_format",
            438,
        );
        // A DER signature of 72 bytes needs both r and s with their top bit set.
        let der = loop {
            let mut t = format!("{h}.{c}");
            let raw = self.signer.sign(t.as_bytes())?;
            let d = der_signature(&raw);
            if d.len() == 72 {
                t.push('.');
                B64.encode_string(&d, &mut t);
                break t;
            }
        };
        push(
            "signature-der-encoded",
            "a valid signature in DER (72 bytes) instead of raw r‖s",
            sh(&der),
            "token_format",
            438,
        );
        // 64 bytes encode to 86 characters; the last one carries 4 unused bits.
        let mut bits = s.to_owned();
        let last = bits.pop().expect("non-empty");
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let v = ALPHABET.find(last).expect("base64url");
        bits.push(ALPHABET.as_bytes()[v | 1] as char);
        push(
            "signature-trailing-bits",
            "the last base64url character of the signature has non-zero unused bits (a second \
             spelling of the same bytes)",
            sh(&format!("{h}.{c}.{bits}")),
            "token_format",
            438,
        );
        let bare = |name: &str, desc: &str, token: String| Case {
            method: Method::Token,
            ..case(name, desc, token, inv("token_format", 438))
        };
        out.push(bare(
            "token-padding",
            "base64 padding `=` after the signature (verify_token on the bare token)",
            format!("{token_a}=="),
        ));
        out.push(bare(
            "token-whitespace",
            "a space inside the token (verify_token on the bare token)",
            format!("{h}.{} {}.{s}", &c[..20], &c[20..]),
        ));
        out.push(bare(
            "token-line-break",
            "CR LF inside the claims part (verify_token on the bare token)",
            format!("{h}.{}\r\n{}.{s}", &c[..20], &c[20..]),
        ));
        out.push(bare(
            "token-non-base64url-char",
            "a standard-base64 `+` in the claims part (verify_token on the bare token)",
            format!("{h}.+{}.{s}", &c[1..]),
        ));

        let mut push = |name: &str, desc: &str, identity: String, kind: &str, code: u16| {
            out.push(case(name, desc, identity, inv(kind, code)));
        };
        // json
        push(
            "json-header-invalid",
            "the header is not JSON (unterminated object)",
            sh(&with_header(
                format!(r#"{{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"{X5U}""#)
                    .as_bytes(),
            )?),
            "json",
            438,
        );
        push(
            "json-claims-not-object",
            "the claims are a JSON array, not an object",
            sh(&with_claims(br#"["orig","dest","iat"]"#)?),
            "json",
            438,
        );
        let mut garbage = claims_json.clone();
        garbage.extend_from_slice(b"{}");
        push(
            "json-trailing-garbage",
            "a second JSON value after the claims object",
            sh(&with_claims(&garbage)?),
            "json",
            438,
        );
        let mut bad_utf8 = claims_json.clone();
        bad_utf8.pop();
        bad_utf8.extend_from_slice(b",\"x\":\"caf\xe9\"}");
        push(
            "json-invalid-utf8",
            "a claims string holding the byte 0xE9 (Latin-1 é), not UTF-8",
            sh(&with_claims(&bad_utf8)?),
            "json",
            438,
        );
        let mut surrogate = claims_json.clone();
        surrogate.pop();
        surrogate.extend_from_slice(br#","x":"\ud800"}"#);
        push(
            "json-lone-surrogate",
            "a claims string with a lone UTF-16 surrogate escape \\ud800",
            sh(&with_claims(&surrogate)?),
            "json",
            438,
        );
        let mut comma = claims_json.clone();
        comma.pop();
        comma.extend_from_slice(b",}");
        push(
            "json-trailing-comma",
            "a trailing comma in the claims object",
            sh(&with_claims(&comma)?),
            "json",
            438,
        );

        // duplicate_member
        push(
            "duplicate-header-member",
            "alg twice in the header (\"none\" then \"ES256\")",
            sh(&with_header(
                format!(
                    r#"{{"alg":"none","ppt":"shaken","typ":"passport","x5u":"{X5U}","alg":"ES256"}}"#
                )
                .as_bytes(),
            )?),
            "duplicate_member",
            438,
        );
        push(
            "duplicate-claims-member",
            "orig twice in the claims, with different numbers",
            sh(&with_claims(
                format!(
                    r#"{{"attest":"A","dest":{{"tn":["{DEST}"]}},"iat":{IAT},"orig":{{"tn":"{ORIG}"}},"orig":{{"tn":"{OTHER}"}},"origid":"{ORIGID_A}"}}"#
                )
                .as_bytes(),
            )?),
            "duplicate_member",
            438,
        );
        push(
            "duplicate-nested-member",
            "tn twice inside orig",
            sh(&with_claims(
                format!(
                    r#"{{"attest":"A","dest":{{"tn":["{DEST}"]}},"iat":{IAT},"orig":{{"tn":"{OTHER}","tn":"{ORIG}"}},"origid":"{ORIGID_A}"}}"#
                )
                .as_bytes(),
            )?),
            "duplicate_member",
            438,
        );
        push(
            "duplicate-escaped-name",
            "iat and \\u0069at: the same name once unescaped",
            sh(&with_claims(
                format!(
                    r#"{{"attest":"A","dest":{{"tn":["{DEST}"]}},"iat":{IAT},"\u0069at":{NOW},"orig":{{"tn":"{ORIG}"}},"origid":"{ORIGID_A}"}}"#
                )
                .as_bytes(),
            )?),
            "duplicate_member",
            438,
        );

        // limit
        let big = with(
            shaken_claims("A", ORIGID_A, IAT),
            "padding",
            json!("x".repeat(6200)),
        );
        let big_token = self.token(&header(Some("shaken")), &big)?;
        assert!(big_token.len() > 8 * 1024);
        push(
            "limit-token-over-8-kib",
            "a token longer than 8 KiB (an unknown claim of 6200 bytes)",
            sh(&big_token),
            "limit",
            438,
        );
        // The canonical writer enforces the limits too: write these claims as bytes.
        let deep = format!(r#""x":{}{}"#, "[".repeat(20), "]".repeat(20));
        push(
            "limit-json-depth",
            "claims nested 21 levels deep (the limit is 16)",
            sh(&with_claims(&add_member(&claims_json, &deep))?),
            "limit",
            438,
        );
        let many = format!(r#""x":[{}0]"#, "0,".repeat(299));
        push(
            "limit-json-members",
            "an array of 300 members in the claims (the limit is 256)",
            sh(&with_claims(&add_member(&claims_json, &many))?),
            "limit",
            438,
        );
        push(
            "limit-identity-header-over-32-kib",
            "an Identity header value longer than 32 KiB (a valid token and a huge parameter)",
            format!("{shaken_ident};filler={}", "a".repeat(33 * 1024)),
            "limit",
            438,
        );
        out.push(Case {
            method: Method::Identities,
            ..case(
                "limit-identity-values",
                "nine comma-folded Identity values in one field (the limit is 8)",
                [shaken_ident.as_str(); 9].join(","),
                inv("limit", 438),
            )
        });

        let mut push = |name: &str, desc: &str, identity: String, kind: &str, code: u16| {
            out.push(case(name, desc, identity, inv(kind, code)));
        };
        // unsupported_alg
        for (name, alg) in [
            ("alg-none", "none"),
            ("alg-hs256", "HS256"),
            ("alg-rs256", "RS256"),
            ("alg-es384", "ES384"),
            ("alg-lower-case-es256", "es256"),
        ] {
            push(
                name,
                &format!("header alg {alg:?} (only ES256 is accepted; the token is ES256-signed)"),
                sh(&self.token(
                    &with(header(Some("shaken")), "alg", json!(alg)),
                    &shaken_claims("A", ORIGID_A, IAT),
                )?),
                "unsupported_alg",
                437,
            );
        }
        push(
            "alg-param-rs256",
            "a valid ES256 token whose Identity alg parameter says RS256",
            format!("{token_a};info=<{X5U}>;alg=RS256;ppt=shaken"),
            "unsupported_alg",
            437,
        );

        // header
        let hdr_case = |name: &str, desc: &str, hv: Value| -> Res<Case> {
            Ok(case(
                name,
                desc,
                sh(&self.token(&hv, &shaken_claims("A", ORIGID_A, IAT))?),
                inv("header", 438),
            ))
        };
        for (name, desc, hv) in [
            (
                "header-typ-jwt",
                "typ \"JWT\" instead of \"passport\"",
                with(header(Some("shaken")), "typ", json!("JWT")),
            ),
            (
                "header-x5u-missing",
                "no x5u in the header",
                remove(header(Some("shaken")), "x5u"),
            ),
            (
                "header-x5u-not-url",
                "x5u without a scheme",
                with(
                    header(Some("shaken")),
                    "x5u",
                    json!("cert.example.net/sti/signer.pem"),
                ),
            ),
            (
                "header-x5u-not-string",
                "x5u is a number",
                with(header(Some("shaken")), "x5u", json!(443)),
            ),
            (
                "header-crit-present",
                "a crit header parameter (no critical extensions are understood)",
                with(header(Some("shaken")), "crit", json!(["x-critical"])),
            ),
            (
                "header-x5u-too-long",
                "an x5u URL of more than 2048 bytes",
                with(
                    header(Some("shaken")),
                    "x5u",
                    json!(format!("https://cert.example.net/{}.pem", "a".repeat(2100))),
                ),
            ),
            (
                "header-alg-missing",
                "no alg in the header",
                remove(header(Some("shaken")), "alg"),
            ),
        ] {
            out.push(hdr_case(name, desc, hv)?);
        }

        let mut push = |name: &str, desc: &str, identity: String, kind: &str, code: u16| {
            out.push(case(name, desc, identity, inv(kind, code)));
        };
        // unsupported_ppt
        push(
            "ppt-unknown",
            "ppt \"foo\" in the token and the parameter",
            ident(
                &self.token(&header(Some("foo")), &shaken_claims("A", ORIGID_A, IAT))?,
                Some("foo"),
            ),
            "unsupported_ppt",
            438,
        );
        push(
            "ppt-param-mismatch",
            "a valid shaken token whose Identity ppt parameter says div",
            ident(&token_a, Some("div")),
            "unsupported_ppt",
            438,
        );
        push(
            "ppt-param-on-base-passport",
            "a base PASSporT (no ppt) with an Identity ppt parameter shaken",
            ident(
                &self.token(&header(None), &shaken_claims("A", ORIGID_A, IAT))?,
                Some("shaken"),
            ),
            "unsupported_ppt",
            438,
        );
        push(
            "ppt-not-string",
            "ppt given as an array in the header",
            ident(
                &self.token(
                    &with(header(None), "ppt", json!(["shaken"])),
                    &shaken_claims("A", ORIGID_A, IAT),
                )?,
                None,
            ),
            "unsupported_ppt",
            438,
        );

        // claims
        let sc = shaken_claims("A", ORIGID_A, IAT);
        let claims_cases: Vec<(&str, &str, Option<&str>, Value)> = vec![
            (
                "iat-string",
                "iat as a string",
                Some("shaken"),
                with(sc.clone(), "iat", json!(IAT.to_string())),
            ),
            (
                "iat-negative",
                "iat -1",
                Some("shaken"),
                with(sc.clone(), "iat", json!(-1)),
            ),
            (
                "iat-missing",
                "no iat claim",
                Some("shaken"),
                remove(sc.clone(), "iat"),
            ),
            (
                "orig-missing",
                "no orig claim",
                Some("shaken"),
                remove(sc.clone(), "orig"),
            ),
            (
                "dest-missing",
                "no dest claim",
                Some("shaken"),
                remove(sc.clone(), "dest"),
            ),
            (
                "orig-tn-and-uri",
                "orig holds both tn and uri",
                Some("shaken"),
                with(
                    sc.clone(),
                    "orig",
                    json!({"tn": ORIG, "uri": "sip:alice@example.com"}),
                ),
            ),
            (
                "orig-tn-not-a-number",
                "orig.tn holds letters",
                Some("shaken"),
                with(sc.clone(), "orig", json!({"tn": "1215CALLME"})),
            ),
            (
                "dest-tn-string",
                "dest.tn is a string, not an array",
                Some("shaken"),
                with(sc.clone(), "dest", json!({"tn": DEST})),
            ),
            (
                "dest-empty",
                "dest is an empty object",
                Some("shaken"),
                with(sc.clone(), "dest", json!({})),
            ),
            (
                "origid-too-long",
                "origid of 1100 bytes (interpreted claim strings are limited to 1024)",
                Some("shaken"),
                with(sc.clone(), "origid", json!("f".repeat(1100))),
            ),
            (
                "attest-d",
                "attest \"D\"",
                Some("shaken"),
                with(sc.clone(), "attest", json!("D")),
            ),
            (
                "shaken-without-origid",
                "ppt shaken without origid",
                Some("shaken"),
                remove(sc.clone(), "origid"),
            ),
            (
                "shaken-without-attest",
                "ppt shaken without attest",
                Some("shaken"),
                remove(sc.clone(), "attest"),
            ),
            (
                "div-without-div",
                "ppt div without a div claim",
                Some("div"),
                base_claims(IAT),
            ),
            (
                "div-o-without-opt",
                "ppt div-o with div but without opt",
                Some("div-o"),
                with(base_claims(IAT), "div", json!({"tn": DIV_TO})),
            ),
            (
                "rcd-without-rcd",
                "ppt rcd without an rcd claim",
                Some("rcd"),
                base_claims(IAT),
            ),
            (
                "rcd-empty",
                "ppt rcd with an empty rcd object",
                Some("rcd"),
                with(base_claims(IAT), "rcd", json!({})),
            ),
        ];
        for (name, desc, ppt, claims) in claims_cases {
            push(
                name,
                desc,
                ident(&self.token(&header(ppt), &claims)?, ppt),
                "claims",
                438,
            );
        }
        // A float cannot be written as deterministic JSON: give the bytes directly.
        push(
            "iat-float",
            "iat with a fraction (1749999998.5)",
            sh(&with_claims(
                format!(
                    r#"{{"attest":"A","dest":{{"tn":["{DEST}"]}},"iat":1749999998.5,"orig":{{"tn":"{ORIG}"}},"origid":"{ORIGID_A}"}}"#
                )
                .as_bytes(),
            )?),
            "claims",
            438,
        );
        push(
            "iat-exponent",
            "iat written with an exponent (1.75e9), a JSON number that is not an integer literal",
            sh(&with_claims(
                format!(
                    r#"{{"attest":"A","dest":{{"tn":["{DEST}"]}},"iat":1.75e9,"orig":{{"tn":"{ORIG}"}},"origid":"{ORIGID_A}"}}"#
                )
                .as_bytes(),
            )?),
            "claims",
            438,
        );
        let rfc = self.read(RFC8225_TOKEN)?.trim().to_owned();
        out.push(Case {
            key: RFC8225_PUB.into(),
            raw_signature_valid: Some(true),
            ..case(
                "rfc8225-section-7-1",
                "the example token of RFC 8225 §7.1 (bare), key of Appendix A.2: the signature \
                 verifies, but iat is the string \"1443208345\" (a known erratum), so the claims \
                 are invalid",
                rfc,
                inv("claims", 438),
            )
        });
        let lss = self.read(LSS_PASSPORT)?;
        let lss_ident = lss
            .lines()
            .skip_while(|l| !l.starts_with("SIP Identity Header with PASSporT is"))
            .nth(1)
            .ok_or("no Identity header in the libstirshaken passport.txt")?
            .trim()
            .to_owned();
        IdentityHeader::parse(&lss_ident)?;
        out.push(Case {
            key: LSS_CERT.into(),
            raw_signature_valid: Some(true),
            ..case(
                "libstirshaken-passport",
                "the Identity header of libstirshaken's test/ref/passport.txt, key of its sp.pem: \
                 the signature verifies, but orig and dest are JSON strings holding JSON \
                 (dest.tn not an array), so the claims are invalid (its x5u is also http://)",
                lss_ident,
                inv("claims", 438),
            )
        });

        let mut push = |name: &str, desc: &str, identity: String, kind: &str, code: u16| {
            out.push(case(name, desc, identity, inv(kind, code)));
        };
        // signature
        push(
            "signature-wrong-key",
            "signed with the wrong key, verified with the signer's",
            sh(&self.jws_with(&self.wrong, &hdr_json, &claims_json)?),
            "signature",
            438,
        );
        let mut flipped = claims_json.clone();
        let pos = flipped
            .windows(DEST.len())
            .position(|w| w == DEST.as_bytes())
            .expect("dest in claims")
            + DEST.len()
            - 1;
        flipped[pos] = b'4';
        push(
            "signature-claims-byte-flipped",
            "one claims byte changed after signing (dest 12155551213 → 12155551214) and \
             re-encoded; header and signature untouched",
            sh(&format!("{h}.{}.{s}", B64.encode(&flipped))),
            "signature",
            438,
        );
        let token_b = self.shaken("B", ORIGID_B, IAT)?;
        let (_, c_b, _) = parts(&token_b);
        push(
            "signature-claims-swapped",
            "header and signature of one valid token with the claims of another (same key)",
            sh(&format!("{h}.{c_b}.{s}")),
            "signature",
            438,
        );
        push(
            "signature-zero",
            "a signature of 64 zero bytes (r = s = 0)",
            sh(&sig(&[0u8; 64])),
            "signature",
            438,
        );

        // stale / future
        push(
            "iat-61-seconds-old",
            "iat 61 s before now (max_age 60)",
            sh(&self.shaken("A", ORIGID_A, NOW - 61)?),
            "stale",
            403,
        );
        push(
            "iat-11-seconds-ahead",
            "iat 11 s after now (max_future 10)",
            sh(&self.shaken("A", ORIGID_A, NOW + 11)?),
            "future",
            403,
        );

        // bad_info
        push(
            "info-differs-from-x5u",
            "the Identity info parameter names another URL than the token's x5u",
            ident_at(
                &token_a,
                "https://other.example.org/sti/signer.pem",
                Some("shaken"),
            ),
            "bad_info",
            436,
        );
        let http_x5u = "http://cert.example.net/sti/signer.pem";
        push(
            "x5u-http-default-config",
            "an http:// x5u (and info) under the default configuration (https only)",
            ident_at(
                &self.token(
                    &with(header(Some("shaken")), "x5u", json!(http_x5u)),
                    &shaken_claims("A", ORIGID_A, IAT),
                )?,
                http_x5u,
                Some("shaken"),
            ),
            "bad_info",
            436,
        );
        push(
            "identity-params-without-info",
            "Identity parameters but no info parameter (mandatory in RFC 8224)",
            format!("{token_a};alg=ES256;ppt=shaken"),
            "bad_info",
            436,
        );

        // identity_syntax
        for (name, desc, value) in [
            (
                "identity-duplicate-info",
                "the info parameter twice",
                format!("{shaken_ident};info=<{X5U}>"),
            ),
            (
                "identity-garbage-after-token",
                "a word after the token that is not a parameter",
                format!("{token_a} junk;info=<{X5U}>;alg=ES256;ppt=shaken"),
            ),
            (
                "identity-unterminated-quote",
                "a quoted ppt without its closing quote",
                format!("{token_a};info=<{X5U}>;alg=ES256;ppt=\"shaken"),
            ),
            (
                "identity-unterminated-angle",
                "info=<URI without the closing >",
                format!("{token_a};info=<{X5U};alg=ES256;ppt=shaken"),
            ),
            (
                "identity-empty-param",
                "an empty parameter (;;)",
                format!("{token_a};;info=<{X5U}>;alg=ES256;ppt=shaken"),
            ),
            (
                "identity-two-values-for-one",
                "two comma-folded values given to verify_identity, which takes exactly one",
                format!("{shaken_ident}, {shaken_ident}"),
            ),
        ] {
            push(name, desc, value, "identity_syntax", 438);
        }

        // no_identity
        push(
            "identity-empty",
            "an empty Identity value",
            String::new(),
            "no_identity",
            428,
        );
        push(
            "identity-header-name-only",
            "`Identity:` followed by white space only",
            "Identity:   ".into(),
            "no_identity",
            428,
        );

        // Call checks.
        let bad_call = |name: &str, desc: &str, c: CallSpec, kind: &str| Case {
            call: c,
            ..case(name, desc, shaken_ident.clone(), inv(kind, 438))
        };
        out.push(bad_call(
            "orig-mismatch",
            "the call's calling number is not the token's orig",
            call(OTHER, DEST),
            "orig_mismatch",
        ));
        out.push(bad_call(
            "dest-mismatch",
            "the call's called number is not among the token's dest",
            call(ORIG, OTHER),
            "dest_mismatch",
        ));
        out.push(bad_call(
            "call-orig-junk",
            "the calling number given by the caller is not a telephone number",
            call("not-a-number", DEST),
            "tn",
        ));

        // Compact form rebuilt wrongly, and a folded field whose second value fails.
        let passport = Passport::new(
            Header::new(Some(Ppt::Shaken), X5U),
            Claims::shaken(ORIG, &[DEST], Attest::B, ORIGID_B, IAT),
        )?;
        let full = passport.sign(&self.signer)?;
        let mut wrong_claims = object(passport.claims.to_json());
        wrong_claims.insert("attest".into(), json!("A"));
        out.push(Case {
            method: Method::Compact,
            call: call(ORIG, DEST),
            compact: Some(CompactSpec {
                header: object(passport.header.to_json()),
                claims: wrong_claims,
            }),
            ..case(
                "compact-rebuilt-wrong-attest",
                "compact form signed with attest B, rebuilt by the receiver with attest A",
                ident(&to_compact(&full)?, Some("shaken")),
                inv("signature", 438),
            )
        });
        let tampered_div = {
            let div_claims = with(base_claims(IAT), "div", json!({"tn": DIV_TO}));
            let t = self.jws_with(
                &self.wrong,
                &canon(&header(Some("div"))),
                &canon(&div_claims),
            )?;
            ident(&t, Some("div"))
        };
        out.push(Case {
            method: Method::Identities,
            call: call(ORIG, DEST),
            each: Some(vec![shaken_ok("A", ORIGID_A), inv("signature", 438)]),
            ..case(
                "folded-second-value-bad-signature",
                "SHAKEN and div values folded in one field; the div value is signed with the \
                 wrong key",
                format!("{shaken_ident}, {tampered_div}"),
                inv("signature", 438),
            )
        });
        Ok(())
    }
}

/// Appends a `"name":value` member to a JSON object given as bytes.
fn add_member(object: &[u8], member: &str) -> Vec<u8> {
    let mut out = object.to_vec();
    assert_eq!(out.pop(), Some(b'}'));
    out.push(b',');
    out.extend_from_slice(member.as_bytes());
    out.push(b'}');
    out
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}
