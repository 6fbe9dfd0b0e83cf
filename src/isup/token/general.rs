//! The general SIP → ISUP path: any PASSporT the strict parser accepts, with any further
//! members (carried as canonical JSON in `other`), verbatim parts and a nested `opt` token.

use serde_json::{Map, Value};

use super::json::{other_json, quick_object};
use super::wire::{
    OrigId, RebuiltClaims, RebuiltHeader, WireAttest, WireDest, WireParty, WirePpt, WireTn,
    WireUri, to_ia5,
};
use super::{CompactToken, ConvertOptions, TokenError};
use crate::Call;
use crate::error::Part;
use crate::passport::json::parse_object;
use crate::passport::jws::RawToken;
use crate::passport::{Passport, Ppt};
use rasn::types::{Integer, OctetString};

/// The rebuilt form of a parsed header, `None` when it has no such form.
pub(super) fn rebuilt_header(mut m: Map<String, Value>) -> Option<RebuiltHeader> {
    let Some(Value::String(_)) = m.remove("alg") else {
        return None;
    };
    let typ_absent = match m.remove("typ") {
        None => true,
        Some(Value::String(t)) if t == crate::passport::header::TYP_PASSPORT => false,
        Some(_) => return None,
    };
    let ppt = match m.remove("ppt") {
        None => None,
        Some(Value::String(p)) => Some(WirePpt::from(Ppt::from_name(&p)?)),
        Some(_) => return None,
    };
    let Some(Value::String(x5u)) = m.remove("x5u") else {
        return None;
    };
    if x5u.is_empty() || x5u.len() > 2048 {
        return None;
    }
    let x5u = to_ia5(&x5u)?;
    let other = other_json(m)?;
    Some(RebuiltHeader {
        ppt,
        x5u,
        typ_absent,
        other,
    })
}

/// The rebuilt form of parsed claims, `None` when they have no such form.
pub(super) fn rebuilt_claims(
    mut m: Map<String, Value>,
    call: &Call<'_>,
    opts: &ConvertOptions,
    nest: Option<Nesting<'_>>,
) -> Option<RebuiltClaims> {
    let opt = match (nest, m.get("opt")) {
        (Some(nesting), Some(Value::String(t))) => {
            let inner = inner_call(m.get("orig"), m.get("dest"));
            compact_opt(t, &inner.0, &inner.1, opts, nesting)
        }
        _ => None,
    };
    if opt.is_some() {
        m.remove("opt");
    }
    let iat = match m.remove("iat")? {
        Value::Number(n) => Integer::from(n.as_i64().filter(|i| *i >= 0)?),
        _ => return None,
    };
    let attest = match m.remove("attest") {
        None => None,
        Some(Value::String(a)) => Some(WireAttest::from_claim(&a)?),
        Some(_) => return None,
    };
    let origid = match m.remove("origid") {
        None => None,
        Some(Value::String(o)) => Some(OrigId::from_claim(&o)?),
        Some(_) => return None,
    };
    let orig = match m.remove("orig")? {
        Value::Object(o) if o.len() == 1 => match o.into_iter().next()? {
            (k, Value::String(tn)) if k == "tn" && call.orig == Some(tn.as_str()) => None,
            (k, Value::String(tn)) if k == "tn" && !tn.is_empty() && tn.len() <= 64 => {
                Some(WireParty::Tn(WireTn(to_ia5(&tn)?)))
            }
            (k, Value::String(uri)) if k == "uri" && !uri.is_empty() && uri.len() <= 2048 => {
                Some(WireParty::Uri(WireUri(uri)))
            }
            _ => return None,
        },
        _ => return None,
    };
    let dest = match m.remove("dest")? {
        Value::Object(o) => {
            let single = match (o.len(), o.get("tn")) {
                (1, Some(Value::Array(a))) if a.len() == 1 => a[0].as_str(),
                _ => None,
            };
            if single.is_some() && single == call.dest {
                None
            } else {
                let mut d = WireDest {
                    tn: Vec::new(),
                    uri: Vec::new(),
                };
                for (k, v) in o {
                    let Value::Array(items) = v else { return None };
                    if items.is_empty() || items.len() > 32 {
                        return None;
                    }
                    for i in items {
                        let Value::String(s) = i else { return None };
                        if s.is_empty() {
                            return None;
                        }
                        match k.as_str() {
                            "tn" if s.len() <= 64 => d.tn.push(WireTn(to_ia5(&s)?)),
                            "uri" if s.len() <= 2048 => d.uri.push(WireUri(s)),
                            _ => return None,
                        }
                    }
                }
                Some(d)
            }
        }
        _ => return None,
    };
    let other = other_json(m)?;
    Some(RebuiltClaims {
        iat,
        attest,
        origid,
        orig,
        dest,
        opt,
        other,
    })
}

/// Where a token being compacted sits.
#[derive(Clone, Copy, Debug)]
pub(super) enum Nesting<'a> {
    /// A token of its own (it may carry a nested `opt` token).
    Outer,
    /// The `opt` token inside a `div-o` token whose `x5u` is `outer_x5u`.
    Inner { outer_x5u: &'a str },
}

/// The numbers a nested `opt` token is rebuilt with: the outer token's `orig` telephone
/// number and its `dest` when that is a single telephone number.
pub(super) fn inner_call(
    orig: Option<&Value>,
    dest: Option<&Value>,
) -> (Option<String>, Option<String>) {
    let orig = orig
        .and_then(|o| o.get("tn"))
        .and_then(Value::as_str)
        .map(String::from);
    let dest = dest.and_then(|d| match (d.as_object().map(Map::len), d.get("tn")) {
        (Some(1), Some(Value::Array(a))) if a.len() == 1 => a[0].as_str().map(String::from),
        _ => None,
    });
    (orig, dest)
}

/// The nested compact form of an `opt` token, `None` when it has none (then the claim
/// travels in `other`).
pub(super) fn compact_opt(
    token: &str,
    orig: &Option<String>,
    dest: &Option<String>,
    opts: &ConvertOptions,
    nesting: Nesting<'_>,
) -> Option<OctetString> {
    let parsed = ParsedToken::parse(token).ok()?;
    let call = Call {
        orig: orig.as_deref(),
        dest: dest.as_deref(),
        call_id: None,
    };
    let inner = CompactToken::from_parsed(token, parsed, &call, opts, nesting).ok()?;
    (inner.bytes.len() <= 1024).then(|| OctetString::from(inner.bytes))
}

/// A full-form token split, decoded, parsed strictly and checked as a PASSporT (the
/// checks of [`Passport::parse`]), keeping the JSON as received.
pub(super) struct ParsedToken {
    pub(super) signature: [u8; 64],
    pub(super) header_json: Vec<u8>,
    pub(super) claims_json: Vec<u8>,
    pub(super) header_map: Map<String, Value>,
    pub(super) claims_map: Map<String, Value>,
    pub(super) passport: Passport,
}

impl ParsedToken {
    pub(super) fn parse(token: &str) -> Result<ParsedToken, TokenError> {
        let raw = RawToken::split(token)?;
        if raw.is_compact() {
            return Err(TokenError::NotLossless(
                "compact-form token: header and claims are unknown".into(),
            ));
        }
        let header_json = raw.header_json()?;
        let claims_json = raw.claims_json()?;
        let header_map = match quick_object(&header_json) {
            Some(m) => m,
            None => parse_object(&header_json, Part::Header)?,
        };
        let claims_map = match quick_object(&claims_json) {
            Some(m) => m,
            None => parse_object(&claims_json, Part::Claims)?,
        };
        let passport = Passport::new(
            crate::Header::from_json(header_map.clone())?,
            crate::Claims::from_json(claims_map.clone())?,
        )?;
        Ok(ParsedToken {
            signature: raw.signature,
            header_json,
            claims_json,
            header_map,
            claims_map,
            passport,
        })
    }
}
