//! The JSON of the compact token's two parts: the writer that rebuilds deterministic
//! header and claims JSON (RFC 8225 §9) from a compact value, and a quick reader for the
//! JSON subset deterministic signers write (the strict parser decides everything else).

use rasn::types::Utf8String;
use serde_json::{Map, Value};

use super::wire::{
    ClaimsPart, OrigId, RebuiltClaims, RebuiltHeader, WireParty, WirePpt, ia5, uuid_string,
};
use super::{CompactToken, MAX_JSON_PART_LEN, TokenError};
use crate::Call;
use crate::error::Part;
use crate::passport::Ppt;
use crate::passport::json::{parse_object, to_canonical};

pub(super) const HEADER_KEYS: [&str; 4] = ["alg", "typ", "ppt", "x5u"];
pub(super) const CLAIM_KEYS: [&str; 5] = ["iat", "attest", "origid", "orig", "dest"];

/// A fast reader for the JSON subset deterministic signers write: no whitespace, strings
/// without escapes, non-negative integers, objects and arrays, nesting and size bounded.
/// It answers `None` whenever the input leaves that subset (or has a repeated member);
/// the strict parser then decides. What it accepts, it reads exactly as the strict parser
/// would.
pub(super) fn quick_object(b: &[u8]) -> Option<Map<String, Value>> {
    let mut q = Quick { b, i: 0 };
    let v = q.value(0)?;
    match v {
        Value::Object(m) if q.i == b.len() => Some(m),
        _ => None,
    }
}

pub(super) struct Quick<'a> {
    b: &'a [u8],
    i: usize,
}

impl Quick<'_> {
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth >= 4 {
            return None;
        }
        match *self.b.get(self.i)? {
            b'"' => self.string().map(Value::String),
            b'0'..=b'9' => self.number(),
            b'{' => {
                self.i += 1;
                let mut m = Map::new();
                if self.eat(b'}') {
                    return Some(Value::Object(m));
                }
                loop {
                    let k = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let v = self.value(depth + 1)?;
                    if m.insert(k, v).is_some() || m.len() > 64 {
                        return None;
                    }
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b'}') {
                        return Some(Value::Object(m));
                    }
                    return None;
                }
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                if self.eat(b']') {
                    return Some(Value::Array(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    if a.len() > 64 {
                        return None;
                    }
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b']') {
                        return Some(Value::Array(a));
                    }
                    return None;
                }
            }
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        let s = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        self.i += 1;
        Some(s.to_owned())
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if (digits.len() > 1 && digits[0] == b'0')
            || matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
        Some(Value::from(n))
    }
}

/// The canonical JSON of the remaining members, `Some(None)` when there are none, `None`
/// when they cannot be written canonically or are too long.
pub(super) fn other_json(m: Map<String, Value>) -> Option<Option<String>> {
    if m.is_empty() {
        return Some(None);
    }
    let bytes = to_canonical(&Value::Object(m)).ok()?;
    if bytes.len() > MAX_JSON_PART_LEN {
        return None;
    }
    String::from_utf8(bytes).ok().map(Some)
}

/// Parses an `other` object received in a compact token; it must not repeat a member the
/// token carries in its own fields.
pub(super) fn parse_other(
    other: &Option<Utf8String>,
    part: Part,
    own: &[&str],
) -> Result<Map<String, Value>, TokenError> {
    let Some(s) = other else {
        return Ok(Map::new());
    };
    let m = parse_object(s.as_bytes(), part)
        .map_err(|e| TokenError::Invalid(format!("other {part} members: {e}")))?;
    if let Some(k) = own.iter().find(|k| m.contains_key(**k)) {
        return Err(TokenError::Invalid(format!(
            "other {part} members repeat {k:?}"
        )));
    }
    Ok(m)
}

/// The deterministic header JSON of a rebuilt header.
pub(super) fn header_bytes(h: &RebuiltHeader) -> Result<Vec<u8>, TokenError> {
    header_json(h.ppt, h.typ_absent, ia5(&h.x5u), &h.other)
}

/// The deterministic header JSON from its parts.
pub(super) fn header_json(
    ppt: Option<WirePpt>,
    typ_absent: bool,
    x5u: &str,
    other: &Option<Utf8String>,
) -> Result<Vec<u8>, TokenError> {
    let other = parse_other(other, Part::Header, &HEADER_KEYS)?;
    let mut members: Vec<(&str, Frag<'_>)> = Vec::with_capacity(4 + other.len());
    members.push(("alg", Frag::Str(crate::passport::header::ALG_ES256)));
    if !typ_absent {
        members.push(("typ", Frag::Str(crate::passport::header::TYP_PASSPORT)));
    }
    if let Some(p) = ppt {
        members.push(("ppt", Frag::Str(Ppt::from(p).as_str())));
    }
    members.push(("x5u", Frag::Str(x5u)));
    push_other(&mut members, &other)?;
    Ok(write_object(members))
}

/// The deterministic claims JSON of rebuilt claims, with the call's numbers; `x5u` is
/// the token's own, which a nested `opt` token may inherit.
pub(super) fn claims_bytes(
    c: &RebuiltClaims,
    call: &Call<'_>,
    x5u: Option<&str>,
) -> Result<Vec<u8>, TokenError> {
    let other = parse_other(&c.other, Part::Claims, &CLAIM_KEYS)?;
    let mut members: Vec<(&str, Frag<'_>)> = Vec::with_capacity(7 + other.len());
    let iat = i64::try_from(&c.iat)
        .ok()
        .filter(|i| *i >= 0)
        .ok_or_else(|| TokenError::Invalid("iat out of range".into()))?;
    members.push(("iat", Frag::Int(iat)));
    if let Some(a) = c.attest {
        members.push(("attest", Frag::Str(a.as_str())));
    }
    if let Some(o) = &c.origid {
        members.push((
            "origid",
            match o {
                OrigId::Uuid(b) => Frag::Uuid(b),
                OrigId::Text(t) => Frag::Str(&t.0),
            },
        ));
    }
    let orig_tn = match &c.orig {
        Some(WireParty::Tn(t)) => Some(ia5(&t.0)),
        Some(WireParty::Uri(_)) => None,
        None => Some(call.orig.ok_or(TokenError::NumberNeeded("calling"))?),
    };
    members.push((
        "orig",
        match (&c.orig, orig_tn) {
            (Some(WireParty::Uri(u)), _) => Frag::One("uri", &u.0),
            (_, tn) => Frag::One("tn", tn.unwrap_or_default()),
        },
    ));
    let dest_tn = match &c.dest {
        Some(d) => {
            if d.tn.is_empty() && d.uri.is_empty() {
                return Err(TokenError::Invalid("explicit dest is empty".into()));
            }
            let mut o = Vec::with_capacity(2);
            if !d.tn.is_empty() {
                o.push(("tn", Frag::Json(json_array(d.tn.iter().map(|t| ia5(&t.0))))));
            }
            if !d.uri.is_empty() {
                o.push((
                    "uri",
                    Frag::Json(json_array(d.uri.iter().map(|u| u.0.as_str()))),
                ));
            }
            members.push(("dest", Frag::Json(write_object(o))));
            match (&d.tn[..], d.uri.is_empty()) {
                ([one], true) => Some(ia5(&one.0)),
                _ => None,
            }
        }
        None => {
            let tn = call.dest.ok_or(TokenError::NumberNeeded("called"))?;
            members.push(("dest", Frag::OneList("tn", tn)));
            Some(tn)
        }
    };
    let opt;
    if let Some(bytes) = &c.opt {
        if other.contains_key("opt") {
            return Err(TokenError::Invalid("opt given twice".into()));
        }
        let inner = CompactToken::decode(bytes)?;
        if matches!(&inner.value.claims, ClaimsPart::Rebuilt(ic) if ic.opt.is_some()) {
            return Err(TokenError::Invalid("nested opt inside opt".into()));
        }
        let call = Call {
            orig: orig_tn,
            dest: dest_tn,
            call_id: None,
        };
        opt = inner.rebuild_in(&call, x5u)?.token;
        members.push(("opt", Frag::Str(&opt)));
    }
    push_other(&mut members, &other)?;
    Ok(write_object(members))
}

/// A member value of a deterministic JSON object.
pub(super) enum Frag<'a> {
    /// A string.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// A UUID, written in canonical lower-case form.
    Uuid(&'a [u8; 16]),
    /// `{"key":"value"}`.
    One(&'static str, &'a str),
    /// `{"key":["value"]}`.
    OneList(&'static str, &'a str),
    /// Deterministic JSON already written.
    Json(Vec<u8>),
}

impl Frag<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Frag::Str(s) => push_json_str(out, s),
            Frag::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Frag::Uuid(b) => push_json_str(out, &uuid_string(b)),
            Frag::One(k, v) => {
                out.push(b'{');
                push_json_str(out, k);
                out.push(b':');
                push_json_str(out, v);
                out.push(b'}');
            }
            Frag::OneList(k, v) => {
                out.push(b'{');
                push_json_str(out, k);
                out.extend_from_slice(b":[");
                push_json_str(out, v);
                out.extend_from_slice(b"]}");
            }
            Frag::Json(j) => out.extend_from_slice(j),
        }
    }
}

/// Writes a JSON string literal as the library's deterministic writer spells it.
pub(super) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Escapes: exactly the library's deterministic writer.
        out.extend_from_slice(&to_canonical(&Value::String(s.to_owned())).unwrap_or_default());
    }
}

/// A JSON array of strings.
pub(super) fn json_array<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut out = vec![b'['];
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(&mut out, s);
    }
    out.push(b']');
    out
}

/// Adds the `other` members, rendered deterministically.
pub(super) fn push_other<'a>(
    members: &mut Vec<(&'a str, Frag<'a>)>,
    other: &'a Map<String, Value>,
) -> Result<(), TokenError> {
    for (k, v) in other {
        members.push((
            k.as_str(),
            Frag::Json(to_canonical(v).map_err(|e| TokenError::Invalid(e.to_string()))?),
        ));
    }
    Ok(())
}

/// A JSON object from its members: keys sorted by code point (the byte order of UTF-8),
/// no whitespace — RFC 8225 §9.
pub(super) fn write_object(mut members: Vec<(&str, Frag<'_>)>) -> Vec<u8> {
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(&mut out, k);
        out.push(b':');
        v.write(&mut out);
    }
    out.push(b'}');
    out
}

/// The `x5u` and `ppt` of a verbatim header.
pub(super) fn verbatim_header_info(json: &[u8]) -> Result<(String, Option<Ppt>), TokenError> {
    let m = parse_object(json, Part::Header)?;
    let h = crate::Header::from_json(m)?;
    Ok((h.x5u, h.ppt))
}
