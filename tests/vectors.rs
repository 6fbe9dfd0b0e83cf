//! Runs the test vectors of `vectors/passport.json` (see `vectors/README.md`) through the
//! `Verifier` and checks every expected outcome exactly. Regenerate the file with
//! `cargo run --example gen_vectors`.
//!
//! `cargo test --test vectors -- --nocapture` prints each case's actual result.

mod vectors_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cliauth::passport::jws::RawToken;
use cliauth::{IdentityHeader, Passport};
use vectors_support::{Case, Expect, Method, VectorFile, check, is_kebab, load_key, run};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load() -> VectorFile {
    let path = root().join("vectors/passport.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn find<'a>(file: &'a VectorFile, name: &str) -> &'a Case {
    file.cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name:?} in the vectors"))
}

#[test]
fn every_case_has_its_expected_outcome() {
    let file = load();
    let root = root();
    let mut failures = Vec::new();
    for case in &file.cases {
        match check(&root, file.now, case) {
            Ok(()) => {
                if let Ok(out) = run(&root, file.now, case) {
                    match &out.overall {
                        Ok(v) => println!("ok   {}: valid ({:?})", case.name, v.ppt()),
                        Err(e) => {
                            println!("ok   {}: {} {} — {e}", case.name, e.kind(), e.sip_code())
                        }
                    }
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n  {}",
        failures.len(),
        file.cases.len(),
        failures.join("\n  ")
    );
}

#[test]
fn the_file_is_well_formed() {
    let file = load();
    let mut names = HashSet::new();
    for case in &file.cases {
        assert!(is_kebab(&case.name), "{:?} is not kebab-case", case.name);
        assert!(
            names.insert(case.name.as_str()),
            "duplicate name {:?}",
            case.name
        );
        assert!(
            !case.description.is_empty(),
            "{}: no description",
            case.name
        );
        assert!(
            case.key.starts_with("vectors/keys/") && root().join(&case.key).is_file(),
            "{}: key {:?} is not a file under vectors/keys/",
            case.name,
            case.key
        );
        if let Some(each) = &case.each {
            assert_eq!(case.method, Method::Identities, "{}", case.name);
            assert!(each.len() >= 2, "{}: each needs several values", case.name);
        }
    }
    let invalid = file.cases.iter().filter(|c| !c.expect.is_valid()).count();
    let valid = file.cases.len() - invalid;
    assert!(invalid >= 40, "only {invalid} invalid cases");
    assert!(valid >= 20, "only {valid} valid cases");
    // Every SIP code a key-in-hand verifier can produce is covered.
    let codes: HashSet<u16> = file
        .cases
        .iter()
        .filter_map(|c| match &c.expect {
            Expect::Invalid { sip_code, .. } => Some(*sip_code),
            Expect::Valid { .. } => None,
        })
        .collect();
    for code in [403, 428, 436, 437, 438] {
        assert!(
            codes.contains(&code),
            "no invalid case with SIP code {code}"
        );
    }
    // Every error kind a key-in-hand verifier can report is covered.
    let kinds: HashSet<&str> = file
        .cases
        .iter()
        .filter_map(|c| match &c.expect {
            Expect::Invalid { kind, .. } => Some(kind.as_str()),
            Expect::Valid { .. } => None,
        })
        .collect();
    for kind in [
        "no_identity",
        "identity_syntax",
        "bad_info",
        "limit",
        "token_format",
        "json",
        "duplicate_member",
        "unsupported_alg",
        "header",
        "unsupported_ppt",
        "claims",
        "signature",
        "stale",
        "future",
        "orig_mismatch",
        "dest_mismatch",
        "tn",
    ] {
        assert!(kinds.contains(kind), "no invalid case of kind {kind}");
    }
}

#[test]
fn readme_lists_every_case() {
    let file = load();
    let readme = std::fs::read_to_string(root().join("vectors/README.md")).unwrap();
    for case in &file.cases {
        let row = match &case.expect {
            Expect::Valid { .. } => format!("| `{}` |", case.name),
            Expect::Invalid { kind, sip_code } => {
                format!("| `{}` | `{kind}` | {sip_code} |", case.name)
            }
        };
        assert!(
            readme.contains(&row),
            "vectors/README.md has no row {row:?}: run cargo run --example gen_vectors"
        );
    }
}

/// The token of an interop case, checked to be the copy kept in `vectors/keys/`.
fn interop_token(case: &Case, copy: &str, line_after: Option<&str>) -> String {
    let text = std::fs::read_to_string(root().join(copy)).unwrap();
    let expected = match line_after {
        None => text.trim().to_owned(),
        Some(marker) => text
            .lines()
            .skip_while(|l| !l.starts_with(marker))
            .nth(1)
            .unwrap()
            .trim()
            .to_owned(),
    };
    assert_eq!(case.identity, expected, "{} differs from {copy}", case.name);
    IdentityHeader::parse(&case.identity).unwrap().token
}

/// The signature of a token verifies over the bytes received, though the claims do not
/// parse (so `Passport::parse` fails and the full verifier stops before the signature).
fn assert_raw_signature_verifies(root: &Path, case: &Case, token: &str) {
    assert!(
        Passport::parse(token).is_err(),
        "{}: expected unparsable claims",
        case.name
    );
    let raw = RawToken::split(token).unwrap();
    let key = load_key(root, &case.key).unwrap();
    key.verify(raw.signing_input(), &raw.signature)
        .unwrap_or_else(|e| panic!("{}: the raw signature does not verify: {e}", case.name));
    Passport::verify_signature(&raw, &key).unwrap();
    // And one flipped signature byte makes it fail, so the check above means something.
    let mut sig = raw.signature;
    sig[10] ^= 1;
    assert!(key.verify(raw.signing_input(), &sig).is_err());
}

#[test]
fn rfc8225_section_7_1_signature_verifies() {
    let file = load();
    let case = find(&file, "rfc8225-section-7-1");
    assert_eq!(case.key, "vectors/keys/rfc8225-appendix-A.2-public-key.pem");
    assert_eq!(case.expect, Expect::invalid("claims", 438));
    let token = interop_token(case, "vectors/keys/rfc8225-section-7.1-token.txt", None);
    assert_raw_signature_verifies(&root(), case, &token);
}

#[test]
fn libstirshaken_passport_signature_verifies() {
    let file = load();
    let case = find(&file, "libstirshaken-passport");
    assert_eq!(case.key, "vectors/keys/libstirshaken-sp.pem");
    assert_eq!(case.expect, Expect::invalid("claims", 438));
    let token = interop_token(
        case,
        "vectors/keys/libstirshaken-passport.txt",
        Some("SIP Identity Header with PASSporT is"),
    );
    assert_raw_signature_verifies(&root(), case, &token);
}

#[test]
fn signer_keys_match() {
    use cliauth::SigningKey;
    let root = root();
    for (private, public) in [
        ("vectors/keys/signer.key.pem", "vectors/keys/signer.pub.pem"),
        ("vectors/keys/wrong.key.pem", "vectors/keys/wrong.pub.pem"),
    ] {
        let k = SigningKey::from_pem_or_der(&std::fs::read(root.join(private)).unwrap()).unwrap();
        assert_eq!(
            k.verifying_key(),
            load_key(&root, public).unwrap(),
            "{private}"
        );
    }
    assert_ne!(
        load_key(&root, "vectors/keys/signer.pub.pem").unwrap(),
        load_key(&root, "vectors/keys/wrong.pub.pem").unwrap()
    );
}

// Regression tests for library bugs found while writing the vectors (both fixed).

/// `Verifier::finish` computes `age = now.saturating_sub(iat)` and then `-age`: with a
/// negative `now` and a large `iat` the subtraction saturates to `i64::MIN` and the
/// negation overflows — a panic in debug builds, and in release builds the wrapped value
/// makes the token pass the freshness check. Expected: `Error::Future` (403).
#[test]
fn regression_freshness_negation_overflow() {
    use cliauth::{Attest, Call, Signer, SigningKey, Verifier};
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    let s = Signer::new(k, "https://cert.example.net/sp.pem").unwrap();
    let t = s
        .sign_shaken(
            "12155551212",
            &["12155551213"],
            Attest::A,
            Some("x"),
            i64::MAX,
        )
        .unwrap()
        .into_token();
    let err = v.verify_token(&t, &Call::default(), -2).unwrap_err();
    assert_eq!((err.kind(), err.sip_code()), ("future", 403));
}

/// `verify_parsed` rejects an Identity value that has parameters but no `info` (RFC 8224
/// §4.1, 436), but `verify_compact` accepts the same value in compact form.
#[test]
fn regression_compact_form_without_info() {
    use cliauth::{Attest, Call, Claims, Header, Passport, Ppt, Signer, SigningKey, Verifier};
    let x5u = "https://cert.example.net/sp.pem";
    let (k, _) = SigningKey::generate().unwrap();
    let v = Verifier::with_key(k.verifying_key());
    let s = Signer::new(k, x5u).unwrap();
    let signed = s
        .sign_shaken("1", &["2"], Attest::A, Some("x"), 100)
        .unwrap();
    let strip = |value: String| value.replace(&format!(";info=<{x5u}>"), "");
    let full = strip(signed.identity());
    assert_eq!(
        v.verify_identity(&full, &Call::default(), 100)
            .unwrap_err()
            .sip_code(),
        436
    );
    let compact = strip(signed.compact_identity());
    let p = Passport::new(
        Header::new(Some(Ppt::Shaken), x5u),
        Claims::shaken("1", &["2"], Attest::A, "x", 100),
    )
    .unwrap();
    let err = v
        .verify_compact(&compact, &p, &Call::default(), 100)
        .unwrap_err();
    assert_eq!((err.kind(), err.sip_code()), ("bad_info", 436));
}
