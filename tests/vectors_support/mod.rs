//! The data model of `vectors/passport.json` and the runner that checks one case against
//! the library. Shared by `tests/vectors.rs` and `examples/gen_vectors.rs` (which checks
//! every case before it writes the file), so both apply exactly the same rules.
//!
//! Only the library's public API is used.

#![allow(dead_code)]

use std::path::Path;

use cliauth::passport::jws::RawToken;
use cliauth::{
    Call, Claims, Error, Header, IdentityHeader, Passport, Verdict, Verifier, VerifierConfig,
    VerifyingKey,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The whole vector file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// What the file is.
    pub description: String,
    /// The verification time of every case without its own `now` (Unix seconds).
    pub now: i64,
    /// The cases.
    pub cases: Vec<Case>,
}

/// Which verifier entry point a case goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// `Verifier::verify_identity`: one Identity header value (or a bare token).
    Identity,
    /// `Verifier::verify_identities`: a header field that may hold several values.
    Identities,
    /// `Verifier::verify_token`: a bare token, no Identity header parsing.
    Token,
    /// `Verifier::verify_compact`: a compact-form value plus the rebuilt PASSporT.
    Compact,
}

/// The call's numbers (`null`: not checked).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// Calling number or URI.
    pub orig: Option<String>,
    /// Called number or URI.
    pub dest: Option<String>,
}

/// Verifier settings that differ from `VerifierConfig::default()`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// `VerifierConfig::max_age`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
    /// `VerifierConfig::max_future`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_future: Option<i64>,
    /// `VerifierConfig::allow_http_x5u`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_http_x5u: Option<bool>,
}

/// The header and claims a receiver rebuilds from the signalling for a compact-form case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompactSpec {
    /// The PASSporT header as a JSON object.
    pub header: Map<String, Value>,
    /// The claims as a JSON object.
    pub claims: Map<String, Value>,
}

/// One named case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique kebab-case name.
    pub name: String,
    /// What the case tests.
    pub description: String,
    /// The verifier entry point.
    pub method: Method,
    /// The Identity header value, header field, or bare token.
    pub identity: String,
    /// The verification key (PEM public key or certificate), relative to the repository.
    pub key: String,
    /// The call the token arrived with.
    pub call: CallSpec,
    /// Overrides the file's `now`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    /// Verifier settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigSpec>,
    /// For `method: compact`: the rebuilt PASSporT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compact: Option<CompactSpec>,
    /// `true`: the token's signature verifies under `key` over the bytes received, even
    /// though the verifier rejects the token for another reason first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_signature_valid: Option<bool>,
    /// The outcome (for `identities`: the first failure, or the first value's verdict).
    pub expect: Expect,
    /// For `identities`: the outcome of each value, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<Vec<Expect>>,
}

/// An expected outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The token verifies.
    Valid {
        /// `attest` claim (`null` when absent).
        attest: Option<String>,
        /// `ppt` (`null` for a base PASSporT).
        ppt: Option<String>,
        /// `orig` number or URI, as carried in the token.
        orig: String,
        /// `origid` (`null` when absent).
        origid: Option<String>,
        /// `div` number or URI, only for diversion PASSporTs.
        div: Option<String>,
        /// Unknown claims the verdict must keep.
        extra_claims: Vec<String>,
    },
    /// The verifier reports an error.
    Invalid {
        /// `Error::kind()`.
        kind: String,
        /// `Error::sip_code()`.
        sip_code: u16,
    },
}

impl Expect {
    /// An invalid outcome.
    pub fn invalid(kind: &str, sip_code: u16) -> Expect {
        Expect::Invalid {
            kind: kind.into(),
            sip_code,
        }
    }

    /// Whether this is a valid outcome.
    pub fn is_valid(&self) -> bool {
        matches!(self, Expect::Valid { .. })
    }

    fn from_value(v: Value) -> Result<Expect, String> {
        let Value::Object(mut m) = v else {
            return Err("expect is not an object".into());
        };
        let opt_str = |m: &mut Map<String, Value>, k: &str| -> Result<Option<String>, String> {
            match m.remove(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(format!("expect.{k} must be a string or null, got {other}")),
            }
        };
        let e = match m.remove("valid") {
            Some(Value::Bool(true)) => {
                for k in ["attest", "ppt", "orig", "origid"] {
                    if !m.contains_key(k) {
                        return Err(format!("a valid expect needs {k} (null when absent)"));
                    }
                }
                let extra_claims = match m.remove("extra_claims") {
                    None => Vec::new(),
                    Some(Value::Array(a)) => a
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) => Ok(s),
                            other => Err(format!("extra_claims entry {other} is not a string")),
                        })
                        .collect::<Result<_, _>>()?,
                    Some(other) => return Err(format!("extra_claims {other} is not an array")),
                };
                Expect::Valid {
                    attest: opt_str(&mut m, "attest")?,
                    ppt: opt_str(&mut m, "ppt")?,
                    orig: opt_str(&mut m, "orig")?.ok_or("expect.orig must be a string")?,
                    origid: opt_str(&mut m, "origid")?,
                    div: opt_str(&mut m, "div")?,
                    extra_claims,
                }
            }
            Some(Value::Bool(false)) => {
                let kind = opt_str(&mut m, "kind")?.ok_or("an invalid expect needs kind")?;
                let sip_code = m
                    .remove("sip_code")
                    .and_then(|v| v.as_u64())
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or("an invalid expect needs a numeric sip_code")?;
                Expect::Invalid { kind, sip_code }
            }
            _ => return Err("expect.valid must be true or false".into()),
        };
        if let Some(k) = m.keys().next() {
            return Err(format!("unknown member expect.{k}"));
        }
        Ok(e)
    }

    /// Compares an actual result with this expectation; `Err` describes the difference.
    pub fn check(&self, actual: &Result<Verdict, Error>) -> Result<(), String> {
        match (self, actual) {
            (
                Expect::Valid {
                    attest,
                    ppt,
                    orig,
                    origid,
                    div,
                    extra_claims,
                },
                Ok(v),
            ) => {
                let got_attest = v.attest().map(|a| a.as_str().to_owned());
                let got_ppt = v.ppt().map(|p| p.as_str().to_owned());
                let got_origid = v.origid().map(str::to_owned);
                let got_div = v.claims().div.as_ref().map(|d| d.as_str().to_owned());
                let mut diffs = Vec::new();
                if *attest != got_attest {
                    diffs.push(format!("attest {got_attest:?}, expected {attest:?}"));
                }
                if *ppt != got_ppt {
                    diffs.push(format!("ppt {got_ppt:?}, expected {ppt:?}"));
                }
                if orig != v.orig().as_str() {
                    diffs.push(format!("orig {:?}, expected {orig:?}", v.orig().as_str()));
                }
                if *origid != got_origid {
                    diffs.push(format!("origid {got_origid:?}, expected {origid:?}"));
                }
                if div.is_some() && *div != got_div {
                    diffs.push(format!("div {got_div:?}, expected {div:?}"));
                }
                for k in extra_claims {
                    if !v.claims().extra.contains_key(k) {
                        diffs.push(format!("unknown claim {k:?} was not kept"));
                    }
                }
                if diffs.is_empty() {
                    Ok(())
                } else {
                    Err(diffs.join("; "))
                }
            }
            (Expect::Valid { .. }, Err(e)) => Err(format!(
                "expected a valid token, got error {} ({}): {e}",
                e.kind(),
                e.sip_code()
            )),
            (Expect::Invalid { kind, sip_code }, Err(e)) => {
                if e.kind() == kind && e.sip_code() == *sip_code {
                    Ok(())
                } else {
                    Err(format!(
                        "expected {kind} ({sip_code}), got {} ({}): {e}",
                        e.kind(),
                        e.sip_code()
                    ))
                }
            }
            (Expect::Invalid { kind, sip_code }, Ok(v)) => Err(format!(
                "expected {kind} ({sip_code}), but the token verified (ppt {:?}, orig {:?})",
                v.ppt(),
                v.orig()
            )),
        }
    }
}

impl Serialize for Expect {
    /// `valid` first, then the other members in a fixed order.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        match self {
            Expect::Valid {
                attest,
                ppt,
                orig,
                origid,
                div,
                extra_claims,
            } => {
                m.serialize_entry("valid", &true)?;
                m.serialize_entry("attest", attest)?;
                m.serialize_entry("ppt", ppt)?;
                m.serialize_entry("orig", orig)?;
                m.serialize_entry("origid", origid)?;
                if let Some(d) = div {
                    m.serialize_entry("div", d)?;
                }
                if !extra_claims.is_empty() {
                    m.serialize_entry("extra_claims", extra_claims)?;
                }
            }
            Expect::Invalid { kind, sip_code } => {
                m.serialize_entry("valid", &false)?;
                m.serialize_entry("kind", kind)?;
                m.serialize_entry("sip_code", sip_code)?;
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Expect, D::Error> {
        Expect::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Reads a verification key file named relative to the repository root.
pub fn load_key(root: &Path, rel: &str) -> Result<VerifyingKey, String> {
    let bytes = std::fs::read(root.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))?;
    VerifyingKey::from_pem_or_der(&bytes).map_err(|e| format!("cannot load key {rel}: {e}"))
}

/// The verifier a case runs with.
pub fn verifier(root: &Path, case: &Case) -> Result<Verifier, String> {
    let key = load_key(root, &case.key)?;
    let mut config = VerifierConfig::default();
    if let Some(c) = &case.config {
        if let Some(v) = c.max_age {
            config.max_age = v;
        }
        if let Some(v) = c.max_future {
            config.max_future = v;
        }
        if let Some(v) = c.allow_http_x5u {
            config.allow_http_x5u = v;
        }
    }
    Ok(Verifier::with_key(key).with_config(config))
}

/// Rebuilds the PASSporT of a compact-form case.
pub fn rebuild(spec: &CompactSpec) -> Result<Passport, Error> {
    let header = Header::from_json(spec.header.clone())?;
    let claims = Claims::from_json(spec.claims.clone())?;
    Passport::new(header, claims)
}

/// The results of running a case: the overall result and, for `identities`, one per value.
pub struct Outcome {
    /// The overall result.
    pub overall: Result<Verdict, Error>,
    /// One result per value (`identities` only, when the field itself parsed).
    pub each: Option<Vec<Result<Verdict, Error>>>,
}

/// Runs a case through the verifier. `Err` only for a broken case (unreadable key,
/// compact data that does not rebuild).
pub fn run(root: &Path, file_now: i64, case: &Case) -> Result<Outcome, String> {
    let v = verifier(root, case)?;
    let call = Call {
        orig: case.call.orig.as_deref(),
        dest: case.call.dest.as_deref(),
        call_id: None,
    };
    let now = case.now.unwrap_or(file_now);
    let single = |r| Outcome {
        overall: r,
        each: None,
    };
    Ok(match case.method {
        Method::Identity => single(v.verify_identity(&case.identity, &call, now)),
        Method::Token => single(v.verify_token(&case.identity, &call, now)),
        Method::Compact => {
            let spec = case
                .compact
                .as_ref()
                .ok_or("method compact without compact data")?;
            let passport = rebuild(spec).map_err(|e| format!("compact data: {e}"))?;
            single(v.verify_compact(&case.identity, &passport, &call, now))
        }
        Method::Identities => match v.verify_identities(&case.identity, &call, now) {
            Err(e) => single(Err(e)),
            Ok(all) => {
                let overall = match all.iter().find(|r| r.is_err()).or(all.first()) {
                    Some(r) => r.clone(),
                    None => return Err("verify_identities returned no result".into()),
                };
                Outcome {
                    overall,
                    each: Some(all),
                }
            }
        },
    })
}

/// Whether the signature of the case's token verifies under its key over the bytes
/// received (whatever else is wrong with the token).
pub fn raw_signature_verifies(root: &Path, case: &Case) -> Result<bool, String> {
    let key = load_key(root, &case.key)?;
    let token = match case.method {
        Method::Token => case.identity.clone(),
        _ => {
            IdentityHeader::parse(&case.identity)
                .map_err(|e| format!("Identity value does not parse: {e}"))?
                .token
        }
    };
    let raw = RawToken::split(&token).map_err(|e| format!("token does not split: {e}"))?;
    Ok(key.verify(raw.signing_input(), &raw.signature).is_ok())
}

/// Runs a case and compares every result with its expectations.
pub fn check(root: &Path, file_now: i64, case: &Case) -> Result<(), String> {
    if case.method == Method::Compact && case.compact.is_none() {
        return Err("method compact needs compact data".into());
    }
    if case.method != Method::Compact && case.compact.is_some() {
        return Err("compact data on a case whose method is not compact".into());
    }
    if case.method != Method::Identities && case.each.is_some() {
        return Err("each is only for method identities".into());
    }
    let out = run(root, file_now, case)?;
    case.expect.check(&out.overall)?;
    match (&case.each, &out.each) {
        (None, _) => {}
        (Some(_), None) => {
            return Err("expected one result per value, but the header field was rejected".into());
        }
        (Some(exp), Some(got)) => {
            if exp.len() != got.len() {
                return Err(format!("expected {} values, got {}", exp.len(), got.len()));
            }
            for (i, (e, g)) in exp.iter().zip(got).enumerate() {
                e.check(g).map_err(|d| format!("value {i}: {d}"))?;
            }
        }
    }
    if let Some(want) = case.raw_signature_valid {
        let got = raw_signature_verifies(root, case)?;
        if got != want {
            return Err(format!("raw signature verifies: {got}, expected {want}"));
        }
    }
    Ok(())
}

/// Whether a name is kebab-case: lower-case ASCII letters and digits in words joined by
/// single hyphens.
pub fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}
