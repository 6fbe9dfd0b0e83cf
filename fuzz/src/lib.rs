//! Helpers shared by the fuzz targets: a fixed signing key, the matching verifier, a
//! fixed certificate hierarchy with its trust stores, and a structure-aware generator of
//! JSON values.
//!
//! The key in `fixed-key.pem` is a throw-away P-256 key made for fuzzing only; a fixed key
//! keeps the targets deterministic apart from ECDSA's random nonce. `certs/` holds a
//! throw-away test PKI made with `cert::testpki` (root = the trust anchor, an end-entity +
//! intermediate chain, and CRLs of both CAs that revoke the end entity); it is written,
//! together with the seeds that depend on it, by `regenerate_fuzz_seeds` in
//! `tests/properties.rs`.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use cliauth::cert::TrustStore;
use cliauth::{Signer, SigningKey, Verifier};
use serde_json::{Map, Number, Value};

/// The trust anchor (root certificate, PEM) of the fixed test PKI.
pub const ANCHOR_PEM: &[u8] = include_bytes!("../certs/anchor.pem");

/// A chain that validates to [`ANCHOR_PEM`] at [`CERT_NOW`]: end entity, intermediate (PEM).
pub const CHAIN_PEM: &[u8] = include_bytes!("../certs/chain.pem");

/// CRLs of the fixed test PKI (PEM): the intermediate's, revoking the end entity of
/// [`CHAIN_PEM`], and the root's, revoking nothing.
pub const CRLS_PEM: &[u8] = include_bytes!("../certs/crls.pem");

/// The time the fixed test PKI and its CRLs are valid at (Unix seconds).
pub const CERT_NOW: i64 = 1_700_000_000;

/// A trust store holding [`ANCHOR_PEM`] and no CRL.
pub fn trust() -> &'static TrustStore {
    static TRUST: OnceLock<TrustStore> = OnceLock::new();
    TRUST.get_or_init(|| {
        let mut t = TrustStore::new();
        t.add_anchors(ANCHOR_PEM).expect("fixed anchor loads");
        t
    })
}

/// A trust store holding [`ANCHOR_PEM`] and [`CRLS_PEM`].
pub fn trust_with_crls() -> &'static TrustStore {
    static TRUST: OnceLock<TrustStore> = OnceLock::new();
    TRUST.get_or_init(|| {
        let mut t = TrustStore::new();
        t.add_anchors(ANCHOR_PEM).expect("fixed anchor loads");
        t.add_crls(CRLS_PEM).expect("fixed CRLs load");
        t
    })
}

/// Splits `data` at NUL bytes into at most `n` fields (the last takes the rest, NULs
/// included); missing fields are empty.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n.max(1), |&b| b == 0).collect();
    out.resize(n, &[]);
    out
}

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

/// One BER identifier and length.
struct BerHeader<'a> {
    /// The class bits (0x00 universal, 0x40 application, 0x80 context, 0xc0 private).
    class: u8,
    /// The tag number.
    number: u32,
    /// The length; `None`: indefinite.
    len: Option<usize>,
    /// The octets after the identifier and length.
    rest: &'a [u8],
}

/// Reads one BER identifier and length (the constructed bit is not kept: DER fixes it by
/// the type).
fn ber_header(b: &[u8]) -> Option<BerHeader<'_>> {
    let (&t, mut rest) = b.split_first()?;
    let mut number = u32::from(t & 0x1f);
    if number == 0x1f {
        // High-tag-number form: base-128 octets, the last without bit 8.
        number = 0;
        loop {
            let (&o, r) = rest.split_first()?;
            rest = r;
            number = number.checked_mul(128)? | u32::from(o & 0x7f);
            if o & 0x80 == 0 {
                break;
            }
        }
    }
    let (&l, rest) = rest.split_first()?;
    let (len, rest) = match l {
        0..=0x7f => (Some(usize::from(l)), rest),
        0x80 => (None, rest),
        0xff => return None,
        _ => {
            let n = usize::from(l & 0x7f);
            let octets = rest.get(..n)?;
            let len = octets.iter().try_fold(0usize, |a, &x| {
                a.checked_mul(256).map(|a| a | usize::from(x))
            })?;
            (Some(len), &rest[n..])
        }
    };
    Some(BerHeader {
        class: t & 0xc0,
        number,
        len,
        rest,
    })
}

fn der_put(out: &mut Vec<u8>, class: u8, constructed: bool, number: u32, content: &[u8]) {
    let first = class | if constructed { 0x20 } else { 0 };
    if number < 0x1f {
        out.push(first | number as u8);
    } else {
        out.push(first | 0x1f);
        let mut octets = vec![(number & 0x7f) as u8];
        let mut n = number >> 7;
        while n > 0 {
            octets.push(0x80 | (n & 0x7f) as u8);
            n >>= 7;
        }
        out.extend(octets.iter().rev());
    }
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let octets: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | octets.len() as u8);
        out.extend_from_slice(&octets);
    }
    out.extend_from_slice(content);
}

/// What a DER encoder writes for `data`, a BER encoding of a structure in which every
/// context-specific tag is an EXPLICIT tag, SEQUENCE and SET are the only constructed
/// universal types, and all tag numbers are below 31: the same values with identifiers in
/// the one-octet form and with the primitive/constructed bit DER requires (constructed for
/// context-specific tags, SEQUENCE and SET; primitive for the other universal types),
/// definite lengths in their shortest form, INTEGERs without redundant leading octets,
/// and at most `keep(path)` (the identifier octets from the outermost) children in each
/// constructed value (the rest are extension additions an encoder drops: skipped, not
/// interpreted). `None` when `data` is not such an encoding (or has trailing octets).
pub fn der_canonical(data: &[u8], keep: &dyn Fn(&[u8]) -> Option<usize>) -> Option<Vec<u8>> {
    /// Reads one value from `b` into `out`; returns the octets after it.
    fn value<'a>(
        b: &'a [u8],
        path: &mut Vec<u8>,
        keep: &dyn Fn(&[u8]) -> Option<usize>,
        out: &mut Vec<u8>,
    ) -> Option<&'a [u8]> {
        let BerHeader {
            class,
            number,
            len,
            rest,
        } = ber_header(b)?;
        if number >= 0x1f {
            return None;
        }
        let constructed = class == 0x80 || (class == 0 && matches!(number, 0x10 | 0x11));
        if !constructed {
            let len = len?;
            let mut content = rest.get(..len)?;
            if class == 0 && number == 2 {
                // INTEGER: no redundant leading 0x00 or 0xff octet.
                while let [first, second, ..] = content
                    && ((*first == 0 && second & 0x80 == 0)
                        || (*first == 0xff && second & 0x80 != 0))
                {
                    content = &content[1..];
                }
            }
            der_put(out, class, false, number, content);
            return Some(&rest[len..]);
        }
        let id = class | 0x20 | number as u8;
        path.push(id);
        let max = keep(path).unwrap_or(usize::MAX);
        let mut body = Vec::new();
        let mut n = 0;
        let after = match len {
            Some(len) => {
                let mut content = rest.get(..len)?;
                while !content.is_empty() {
                    content = if n < max {
                        value(content, path, keep, &mut body)?
                    } else {
                        skip(content)?
                    };
                    n += 1;
                }
                &rest[len..]
            }
            None => {
                // Indefinite length: values up to the end-of-contents octets 00 00.
                let mut content = rest;
                loop {
                    if let Some(r) = content.strip_prefix(&[0, 0]) {
                        break r;
                    }
                    content = if n < max {
                        value(content, path, keep, &mut body)?
                    } else {
                        skip(content)?
                    };
                    n += 1;
                }
            }
        };
        path.pop();
        der_put(out, class, true, number, &body);
        Some(after)
    }
    /// Skips one value (a dropped extension addition: read, not interpreted).
    fn skip(b: &[u8]) -> Option<&[u8]> {
        let h = ber_header(b)?;
        match h.len {
            Some(len) => h.rest.get(len..),
            None => {
                let mut content = h.rest;
                loop {
                    if let Some(r) = content.strip_prefix(&[0, 0]) {
                        break Some(r);
                    }
                    content = skip(content)?;
                }
            }
        }
    }
    let mut out = Vec::new();
    let rest = value(data, &mut Vec::new(), keep, &mut out)?;
    rest.is_empty().then_some(out)
}
