//! Helpers shared by the fuzz targets: a fixed signing key, the matching verifier, and a
//! structure-aware generator of JSON values.
//!
//! The key in `fixed-key.pem` is a throw-away P-256 key made for fuzzing only; a fixed key
//! keeps the targets deterministic apart from ECDSA's random nonce.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use cliauth::{Signer, SigningKey, Verifier};
use serde_json::{Map, Number, Value};

/// The certificate URL the fixed signer puts in `x5u`.
pub const X5U: &str = "https://cert.example.net/fuzz.pem";

const FIXED_KEY_PEM: &str = include_str!("../fixed-key.pem");

/// The fixed signing key.
pub fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_pem_or_der(FIXED_KEY_PEM.as_bytes()).expect("fixed fuzz key parses")
    })
}

/// A signer with the fixed key and [`X5U`].
pub fn signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let key =
            SigningKey::from_pem_or_der(FIXED_KEY_PEM.as_bytes()).expect("fixed fuzz key parses");
        Signer::new(key, X5U).expect("fixed x5u is valid")
    })
}

/// A verifier holding the fixed key's public half (default settings).
pub fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| Verifier::with_key(key().verifying_key()))
}

/// Builds a JSON value from fuzz data: integers, strings, booleans, null, arrays and
/// objects, containers nested at most `depth` levels.
pub fn arb_value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Value> {
    let kinds = if depth == 0 { 6 } else { 8 };
    Ok(match u.choose_index(kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(Number::from(i64::arbitrary(u)?)),
        3 => Value::Number(Number::from(u64::arbitrary(u)?)),
        4 | 5 => Value::String(String::arbitrary(u)?),
        6 => {
            let n = u.int_in_range(0..=8)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(arb_value(u, depth - 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let n = u.int_in_range(0..=8)?;
            let mut m = Map::new();
            for _ in 0..n {
                let k = String::arbitrary(u)?;
                m.insert(k, arb_value(u, depth - 1)?);
            }
            Value::Object(m)
        }
    })
}

/// The deepest container nesting of `v` (a scalar is 0, `[]` is 1).
pub fn container_depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(container_depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(container_depth).max().unwrap_or(0),
        _ => 0,
    }
}
