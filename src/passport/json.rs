//! Strict JSON reading and deterministic JSON writing for PASSporT parts.
//!
//! Reading is strict where RFC 8225 and common sense require it: a member name may appear
//! only once per object (after unescaping), nesting is limited to
//! [`MAX_JSON_DEPTH`] levels and each object or array to
//! [`MAX_JSON_MEMBERS`] members. Syntax, UTF-8 and escape
//! handling are serde_json's.
//!
//! Writing follows RFC 8225 §9: no whitespace, member names sorted by code point at every
//! level, integers only. The writer sorts explicitly, so it does not depend on how
//! `serde_json::Map` orders its keys.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, LimitKind, Part};
use crate::limits::{MAX_JSON_DEPTH, MAX_JSON_MEMBERS};

/// The reason a strict parse failed, recorded beside serde's own error text.
#[derive(Clone)]
enum Fail {
    Duplicate(String),
    Depth,
    Members,
}

struct Ctx {
    fail: Cell<Option<Fail>>,
}

impl Ctx {
    fn set(&self, f: Fail) {
        self.fail.set(Some(f));
    }
}

#[derive(Clone, Copy)]
struct Seed<'a> {
    depth: usize,
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested::<A::Error>()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            if out.len() == MAX_JSON_MEMBERS {
                self.ctx.set(Fail::Members);
                return Err(de::Error::custom("too many members"));
            }
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested::<A::Error>()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                self.ctx.set(Fail::Duplicate(key));
                return Err(de::Error::custom("duplicate member"));
            }
            if out.len() == MAX_JSON_MEMBERS {
                self.ctx.set(Fail::Members);
                return Err(de::Error::custom("too many members"));
            }
            let v = map.next_value_seed(inner)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

impl<'a> Seed<'a> {
    /// The seed for the members of a container at this level, or an error when the
    /// container itself is one level too deep.
    fn nested<E: de::Error>(self) -> Result<Seed<'a>, E> {
        if self.depth >= MAX_JSON_DEPTH {
            self.ctx.set(Fail::Depth);
            return Err(E::custom("nesting too deep"));
        }
        Ok(Seed {
            depth: self.depth + 1,
            ctx: self.ctx,
        })
    }
}

/// Parses `bytes` as strict JSON (see the module documentation) and requires a top-level
/// object. `part` names the token part in errors.
pub fn parse_object(bytes: &[u8], part: Part) -> Result<Map<String, Value>, Error> {
    let ctx = Ctx {
        fail: Cell::new(None),
    };
    let seed = Seed {
        depth: 0,
        ctx: &ctx,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::Json {
            part,
            detail: "not a JSON object".into(),
        }),
        Err(e) => Err(match ctx.fail.take() {
            Some(Fail::Duplicate(name)) => Error::DuplicateMember { part, name },
            Some(Fail::Depth) => Error::Limit {
                what: LimitKind::JsonDepth,
                limit: MAX_JSON_DEPTH,
            },
            Some(Fail::Members) => Error::Limit {
                what: LimitKind::JsonMembers,
                limit: MAX_JSON_MEMBERS,
            },
            None => Error::Json {
                part,
                detail: e.to_string(),
            },
        }),
    }
}

/// Writes `value` as deterministic JSON (RFC 8225 §9) to `out`.
///
/// Fails with [`Error::Sign`] when the value holds a non-integer number, since such a value
/// has no single deterministic form.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
    write_value(value, out, 0)
}

/// [`write_canonical`] into a new buffer.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), Error> {
    // The same rule as the reader: a container may open at depths 0..MAX_JSON_DEPTH.
    if depth >= MAX_JSON_DEPTH && (value.is_array() || value.is_object()) {
        return Err(Error::Limit {
            what: LimitKind::JsonDepth,
            limit: MAX_JSON_DEPTH,
        });
    }
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(Error::Sign(format!(
                    "number {n} is not an integer; PASSporT claims must use integers"
                )));
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write_value(&map[k], out, depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Writes a JSON string literal: `"` and `\` escaped, control characters as the short
/// escapes `\b \f \n \r \t` or `\u00xx`, everything else (including `/` and non-ASCII)
/// as is — the same choices as RFC 8785.
pub(crate) fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    // The usual case on the signing path (numbers, URLs, UUIDs): nothing to escape.
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(s: &str) -> Error {
        parse_object(s.as_bytes(), Part::Claims).unwrap_err()
    }

    #[test]
    fn parses_objects() {
        let m = parse_object(br#"{"a":1,"b":[true,null,"x"],"c":{"d":-2}}"#, Part::Claims).unwrap();
        assert_eq!(m["a"], json!(1));
        assert_eq!(m["c"]["d"], json!(-2));
    }

    #[test]
    fn rejects_duplicates_at_any_level() {
        assert_eq!(
            err(r#"{"a":1,"a":2}"#),
            Error::DuplicateMember {
                part: Part::Claims,
                name: "a".into()
            }
        );
        assert!(
            matches!(err(r#"{"x":{"a":1,"b":2,"a":1}}"#), Error::DuplicateMember { name, .. } if name == "a")
        );
        // The same name spelled with an escape is still the same name.
        assert!(matches!(
            err(r#"{"a":1,"\u0061":2}"#),
            Error::DuplicateMember { .. }
        ));
    }

    #[test]
    fn limits_depth_and_members() {
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH - 1),
            "]".repeat(MAX_JSON_DEPTH - 1)
        );
        parse_object(format!(r#"{{"a":{ok}}}"#).as_bytes(), Part::Claims).unwrap();
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        assert!(matches!(
            err(&format!(r#"{{"a":{deep}}}"#)),
            Error::Limit {
                what: LimitKind::JsonDepth,
                ..
            }
        ));
        let very_deep = "[".repeat(100_000);
        assert!(matches!(
            err(&format!(r#"{{"a":{very_deep}"#)),
            Error::Limit {
                what: LimitKind::JsonDepth,
                ..
            }
        ));
        let many = format!("[{}0]", "0,".repeat(MAX_JSON_MEMBERS));
        assert!(matches!(
            err(&format!(r#"{{"a":{many}}}"#)),
            Error::Limit {
                what: LimitKind::JsonMembers,
                ..
            }
        ));
    }

    #[test]
    fn rejects_non_objects_and_junk() {
        assert!(matches!(err("[1]"), Error::Json { .. }));
        assert!(matches!(err(r#"{"a":1} x"#), Error::Json { .. }));
        assert!(matches!(err(r#"{"a":1,}"#), Error::Json { .. }));
        assert!(matches!(err(r#"{"a":"\ud800"}"#), Error::Json { .. }));
        assert!(matches!(
            parse_object(b"{\"a\":\"\xff\"}", Part::Header).unwrap_err(),
            Error::Json {
                part: Part::Header,
                ..
            }
        ));
        assert!(matches!(err(""), Error::Json { .. }));
    }

    #[test]
    fn canonical_output() {
        let v = json!({"orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":3,"attest":"A","z":[{"b":1,"a":"q\"\\\n\u{1}/é"}]});
        let s = String::from_utf8(to_canonical(&v).unwrap()).unwrap();
        assert_eq!(
            s,
            r#"{"attest":"A","dest":{"tn":["2"]},"iat":3,"orig":{"tn":"1"},"z":[{"a":"q\"\\\n\u0001/é","b":1}]}"#
        );
        // Code-point order, not "natural" order: upper case before lower case.
        let v = json!({"b":1,"B":2,"a":3,"é":4});
        assert_eq!(
            to_canonical(&v).unwrap(),
            r#"{"B":2,"a":3,"b":1,"é":4}"#.as_bytes()
        );
        assert!(matches!(
            to_canonical(&json!({"a":1.5})),
            Err(Error::Sign(_))
        ));
    }

    #[test]
    fn canonical_round_trip() {
        let v = json!({"k":["x",{"y":null,"w":false}],"n":-17,"u":18446744073709551615u64});
        let bytes = to_canonical(&v).unwrap();
        let back = parse_object(&bytes, Part::Claims).unwrap();
        assert_eq!(Value::Object(back), v);
    }
}
