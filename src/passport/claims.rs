//! PASSporT claims: the base set (RFC 8225), SHAKEN (RFC 8588), diversion (RFC 8946) and
//! Rich Call Data (RFC 9795), read strictly from JSON and written as JSON for signing.
//!
//! Unknown claims are kept in [`Claims::extra`], readable and re-signable, never rejected.

use std::io::Write as _;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::limits::MAX_CLAIM_STRING_LEN;
use crate::passport::header::Ppt;
use crate::passport::json::write_str;
use crate::tn::Tn;

/// An originating or diversion identity: a telephone number or a URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Party {
    /// `{"tn": "…"}`: a telephone number, as carried in the token.
    Tn(String),
    /// `{"uri": "…"}`: a URI.
    Uri(String),
}

impl Party {
    /// The number or URI text.
    pub fn as_str(&self) -> &str {
        match self {
            Party::Tn(s) | Party::Uri(s) => s,
        }
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        match self {
            Party::Tn(t) => m.insert("tn".into(), Value::String(t.clone())),
            Party::Uri(u) => m.insert("uri".into(), Value::String(u.clone())),
        };
        Value::Object(m)
    }

    fn from_json(name: &str, v: Value) -> Result<Party, Error> {
        let Value::Object(mut m) = v else {
            return Err(Error::claims(format!("{name} is not an object")));
        };
        if m.len() != 1 {
            return Err(Error::claims(format!(
                "{name} must hold exactly one of tn or uri"
            )));
        }
        if let Some(v) = m.remove("tn") {
            let s = claim_string(format_args!("{name}.tn"), v)?;
            Tn::parse(&s).map_err(|e| Error::claims(format!("{name}.tn: {e}")))?;
            Ok(Party::Tn(s))
        } else if let Some(v) = m.remove("uri") {
            Ok(Party::Uri(claim_string(format_args!("{name}.uri"), v)?))
        } else {
            Err(Error::claims(format!("{name} must hold tn or uri")))
        }
    }
}

/// The `dest` claim: destination telephone numbers and/or URIs (at least one in all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Dest {
    /// Telephone numbers, as carried in the token.
    pub tn: Vec<String>,
    /// URIs.
    pub uri: Vec<String>,
}

impl Dest {
    /// A destination of telephone numbers.
    pub fn tns<I: IntoIterator<Item = S>, S: Into<String>>(tns: I) -> Dest {
        Dest {
            tn: tns.into_iter().map(Into::into).collect(),
            uri: Vec::new(),
        }
    }

    /// All destination identities (numbers first, then URIs).
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.tn.iter().chain(self.uri.iter()).map(String::as_str)
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        let arr = |v: &Vec<String>| Value::Array(v.iter().cloned().map(Value::String).collect());
        if !self.tn.is_empty() {
            m.insert("tn".into(), arr(&self.tn));
        }
        if !self.uri.is_empty() {
            m.insert("uri".into(), arr(&self.uri));
        }
        Value::Object(m)
    }

    fn from_json(v: Value) -> Result<Dest, Error> {
        let Value::Object(m) = v else {
            return Err(Error::claims("dest is not an object"));
        };
        let mut d = Dest::default();
        for (k, v) in m {
            let Value::Array(items) = v else {
                return Err(Error::claims(format!("dest.{k} is not an array")));
            };
            let strings = items
                .into_iter()
                .map(|i| claim_string(format_args!("dest.{k}[]"), i))
                .collect::<Result<Vec<_>, _>>()?;
            match k.as_str() {
                "tn" => {
                    for s in &strings {
                        Tn::parse(s).map_err(|e| Error::claims(format!("dest.tn: {e}")))?;
                    }
                    d.tn = strings;
                }
                "uri" => d.uri = strings,
                _ => return Err(Error::claims(format!("dest has an unknown member {k:?}"))),
            }
        }
        if d.tn.is_empty() && d.uri.is_empty() {
            return Err(Error::claims("dest is empty"));
        }
        Ok(d)
    }
}

/// The SHAKEN attestation level (RFC 8588, ATIS-1000074 §5.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attest {
    /// Full attestation: the signer knows the customer and that it may use the number.
    A,
    /// Partial attestation: the signer knows the customer, not the number's authorisation.
    B,
    /// Gateway attestation: the signer only knows where the call entered its network.
    C,
}

impl Attest {
    /// `"A"`, `"B"` or `"C"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Attest::A => "A",
            Attest::B => "B",
            Attest::C => "C",
        }
    }
}

impl std::fmt::Display for Attest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Attest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "A" => Ok(Attest::A),
            "B" => Ok(Attest::B),
            "C" => Ok(Attest::C),
            _ => Err(Error::claims(format!(
                "attest must be A, B or C, got {s:?}"
            ))),
        }
    }
}

/// One entry of the `mky` claim (RFC 8225 §5.2.2): a media key fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mky {
    /// The hash function name, e.g. `sha-256`.
    pub alg: String,
    /// The fingerprint, e.g. `DE:AD:…`.
    pub dig: String,
}

/// The `rcd` claim (RFC 9795): Rich Call Data about the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rcd {
    /// `nam`: the display name.
    pub nam: Option<String>,
    /// `apn`: an alternate presentation number.
    pub apn: Option<String>,
    /// `icn`: a URL of an icon.
    pub icn: Option<String>,
    /// `jcd`: a jCard, inline.
    pub jcd: Option<Value>,
    /// `jcl`: a URL of a jCard.
    pub jcl: Option<String>,
    /// Other members, kept as received.
    pub extra: Map<String, Value>,
}

impl Rcd {
    /// Rich call data with only a display name.
    pub fn name(nam: impl Into<String>) -> Rcd {
        Rcd {
            nam: Some(nam.into()),
            ..Rcd::default()
        }
    }

    fn to_json(&self) -> Value {
        let mut m = self.extra.clone();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(s) = v {
                m.insert(k.into(), Value::String(s.clone()));
            }
        };
        put("nam", &self.nam);
        put("apn", &self.apn);
        put("icn", &self.icn);
        put("jcl", &self.jcl);
        if let Some(j) = &self.jcd {
            m.insert("jcd".into(), j.clone());
        }
        Value::Object(m)
    }

    fn from_json(v: Value) -> Result<Rcd, Error> {
        let Value::Object(mut m) = v else {
            return Err(Error::claims("rcd is not an object"));
        };
        let mut take = |k: &str| -> Result<Option<String>, Error> {
            m.remove(k)
                .map(|v| claim_string(format_args!("rcd.{k}"), v))
                .transpose()
        };
        let nam = take("nam")?;
        let apn = take("apn")?;
        let icn = take("icn")?;
        let jcl = take("jcl")?;
        let jcd = m.remove("jcd");
        if let Some(j) = &jcd
            && !j.is_array()
            && !j.is_object()
        {
            return Err(Error::claims("rcd.jcd must be a jCard (array or object)"));
        }
        if nam.is_none()
            && jcd.is_none()
            && jcl.is_none()
            && m.is_empty()
            && apn.is_none()
            && icn.is_none()
        {
            return Err(Error::claims("rcd is empty"));
        }
        Ok(Rcd {
            nam,
            apn,
            icn,
            jcd,
            jcl,
            extra: m,
        })
    }
}

/// The claims of a PASSporT.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `orig`: the originating identity.
    pub orig: Party,
    /// `dest`: the destination identities.
    pub dest: Dest,
    /// `iat`: issued-at time, seconds since the Unix epoch.
    pub iat: i64,
    /// `mky`: media key fingerprints (empty when absent).
    pub mky: Vec<Mky>,
    /// `attest` (SHAKEN).
    pub attest: Option<Attest>,
    /// `origid` (SHAKEN): the opaque origination identifier, normally a UUID.
    pub origid: Option<String>,
    /// `div` (RFC 8946): the identity the call was diverted to.
    pub div: Option<Party>,
    /// `opt` (RFC 8946 `div-o`): the original PASSporT, in full form.
    pub opt: Option<String>,
    /// `rcd` (RFC 9795): rich call data.
    pub rcd: Option<Rcd>,
    /// `crn` (RFC 9795): call reason.
    pub crn: Option<String>,
    /// `rcdi` (RFC 9795): integrity digests of referenced content, by JSON pointer.
    pub rcdi: Option<Map<String, Value>>,
    /// Any other claims, kept as received.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// Base claims with nothing else set.
    pub fn new(orig: Party, dest: Dest, iat: i64) -> Claims {
        Claims {
            orig,
            dest,
            iat,
            mky: Vec::new(),
            attest: None,
            origid: None,
            div: None,
            opt: None,
            rcd: None,
            crn: None,
            rcdi: None,
            extra: Map::new(),
        }
    }

    /// SHAKEN claims (RFC 8588) for a call from telephone number `orig` to `dest`.
    pub fn shaken(orig: &str, dest: &[&str], attest: Attest, origid: &str, iat: i64) -> Claims {
        let mut c = Claims::new(Party::Tn(orig.into()), Dest::tns(dest.iter().copied()), iat);
        c.attest = Some(attest);
        c.origid = Some(origid.into());
        c
    }

    /// Checks that the claims an extension requires are present (RFC 8588 §6 for
    /// SHAKEN, RFC 8946 §4 for div, RFC 9795 for rcd).
    pub fn check_for(&self, ppt: Option<Ppt>) -> Result<(), Error> {
        match ppt {
            None => Ok(()),
            Some(Ppt::Shaken) => {
                if self.attest.is_none() {
                    return Err(Error::claims("shaken PASSporT without attest"));
                }
                if self.origid.is_none() {
                    return Err(Error::claims("shaken PASSporT without origid"));
                }
                Ok(())
            }
            Some(Ppt::Div) => {
                if self.div.is_none() {
                    return Err(Error::claims("div PASSporT without div"));
                }
                Ok(())
            }
            Some(Ppt::DivO) => {
                if self.div.is_none() {
                    return Err(Error::claims("div-o PASSporT without div"));
                }
                if self.opt.is_none() {
                    return Err(Error::claims("div-o PASSporT without opt"));
                }
                Ok(())
            }
            Some(Ppt::Rcd) => {
                if self.rcd.is_none() {
                    return Err(Error::claims("rcd PASSporT without rcd"));
                }
                Ok(())
            }
        }
    }

    /// Reads claims strictly from a parsed JSON object: known claims must have their
    /// types, `iat` must be a non-negative integer, telephone numbers must canonicalise.
    pub fn from_json(mut m: Map<String, Value>) -> Result<Claims, Error> {
        let orig = Party::from_json(
            "orig",
            m.remove("orig")
                .ok_or_else(|| Error::claims("missing orig"))?,
        )?;
        let dest = Dest::from_json(
            m.remove("dest")
                .ok_or_else(|| Error::claims("missing dest"))?,
        )?;
        let iat = match m.remove("iat") {
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|&i| i >= 0)
                .ok_or_else(|| Error::claims(format!("iat {n} is not a non-negative integer")))?,
            Some(other) => {
                return Err(Error::claims(format!(
                    "iat must be an integer, got {other}"
                )));
            }
            None => return Err(Error::claims("missing iat")),
        };
        let mky = match m.remove("mky") {
            None => Vec::new(),
            Some(Value::Array(items)) if !items.is_empty() => items
                .into_iter()
                .map(|i| {
                    let Value::Object(mut o) = i else {
                        return Err(Error::claims("mky entry is not an object"));
                    };
                    let alg = claim_string("mky.alg", o.remove("alg").unwrap_or(Value::Null))?;
                    let dig = claim_string("mky.dig", o.remove("dig").unwrap_or(Value::Null))?;
                    if !o.is_empty() {
                        return Err(Error::claims("mky entry has unknown members"));
                    }
                    Ok(Mky { alg, dig })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(Error::claims("mky must be a non-empty array")),
        };
        let attest = m
            .remove("attest")
            .map(|v| claim_string("attest", v)?.parse())
            .transpose()?;
        let origid = m
            .remove("origid")
            .map(|v| claim_string("origid", v))
            .transpose()?;
        let div = m
            .remove("div")
            .map(|v| Party::from_json("div", v))
            .transpose()?;
        let opt = m.remove("opt").map(|v| match v {
            Value::String(s) if !s.is_empty() => Ok(s),
            _ => Err(Error::claims("opt must be a non-empty string")),
        });
        let opt = opt.transpose()?;
        let rcd = m.remove("rcd").map(Rcd::from_json).transpose()?;
        let crn = m
            .remove("crn")
            .map(|v| claim_string("crn", v))
            .transpose()?;
        let rcdi = match m.remove("rcdi") {
            None => None,
            Some(Value::Object(o)) => {
                if o.values().any(|v| !v.is_string()) {
                    return Err(Error::claims("rcdi values must be strings"));
                }
                Some(o)
            }
            Some(_) => return Err(Error::claims("rcdi must be an object")),
        };
        Ok(Claims {
            orig,
            dest,
            iat,
            mky,
            attest,
            origid,
            div,
            opt,
            rcd,
            crn,
            rcdi,
            extra: m,
        })
    }

    /// The claims as a JSON object (for deterministic serialisation).
    pub fn to_json(&self) -> Value {
        let mut m = self.extra.clone();
        m.insert("orig".into(), self.orig.to_json());
        m.insert("dest".into(), self.dest.to_json());
        m.insert("iat".into(), Value::from(self.iat));
        if !self.mky.is_empty() {
            let arr = self
                .mky
                .iter()
                .map(|k| {
                    let mut o = Map::new();
                    o.insert("alg".into(), Value::String(k.alg.clone()));
                    o.insert("dig".into(), Value::String(k.dig.clone()));
                    Value::Object(o)
                })
                .collect();
            m.insert("mky".into(), Value::Array(arr));
        }
        if let Some(a) = self.attest {
            m.insert("attest".into(), Value::String(a.as_str().into()));
        }
        if let Some(o) = &self.origid {
            m.insert("origid".into(), Value::String(o.clone()));
        }
        if let Some(d) = &self.div {
            m.insert("div".into(), d.to_json());
        }
        if let Some(o) = &self.opt {
            m.insert("opt".into(), Value::String(o.clone()));
        }
        if let Some(r) = &self.rcd {
            m.insert("rcd".into(), r.to_json());
        }
        if let Some(c) = &self.crn {
            m.insert("crn".into(), Value::String(c.clone()));
        }
        if let Some(r) = &self.rcdi {
            m.insert("rcdi".into(), Value::Object(r.clone()));
        }
        Value::Object(m)
    }
}

impl Party {
    /// Checks the party with the reader's rules ([`Party::from_json`]).
    fn check(&self, name: &str) -> Result<(), Error> {
        match self {
            Party::Tn(t) => {
                check_claim_str(format_args!("{name}.tn"), t)?;
                Tn::parse(t).map_err(|e| Error::claims(format!("{name}.tn: {e}")))?;
            }
            Party::Uri(u) => check_claim_str(format_args!("{name}.uri"), u)?,
        }
        Ok(())
    }

    /// Writes `{"tn":…}` or `{"uri":…}`.
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self {
            Party::Tn(_) => br#"{"tn":"#,
            Party::Uri(_) => br#"{"uri":"#,
        });
        write_str(self.as_str(), out);
        out.push(b'}');
    }
}

/// Starts the member `name` of the object being written: a `,` unless it is the first.
fn member(out: &mut Vec<u8>, name: &str) {
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    write_str(name, out);
    out.push(b':');
}

fn write_str_array(items: &[String], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(s, out);
    }
    out.push(b']');
}

impl Claims {
    /// Whether the claims have only members that [`Claims::write_simple`] writes: no
    /// `rcd`, `rcdi` or other claims (those take the general path through a JSON value).
    pub(crate) fn is_simple(&self) -> bool {
        self.rcd.is_none() && self.rcdi.is_none() && self.extra.is_empty()
    }

    /// Checks simple claims (see [`Claims::is_simple`]) with exactly the rules and in the
    /// order of [`Claims::from_json`], without building a JSON value: what passes reads
    /// back.
    pub(crate) fn check_simple(&self) -> Result<(), Error> {
        self.orig.check("orig")?;
        for t in &self.dest.tn {
            check_claim_str("dest.tn[]", t)?;
        }
        for t in &self.dest.tn {
            Tn::parse(t).map_err(|e| Error::claims(format!("dest.tn: {e}")))?;
        }
        for u in &self.dest.uri {
            check_claim_str("dest.uri[]", u)?;
        }
        if self.dest.tn.is_empty() && self.dest.uri.is_empty() {
            return Err(Error::claims("dest is empty"));
        }
        if self.iat < 0 {
            return Err(Error::claims(format!(
                "iat {} is not a non-negative integer",
                self.iat
            )));
        }
        for k in &self.mky {
            check_claim_str("mky.alg", &k.alg)?;
            check_claim_str("mky.dig", &k.dig)?;
        }
        if let Some(o) = &self.origid {
            check_claim_str("origid", o)?;
        }
        if let Some(d) = &self.div {
            d.check("div")?;
        }
        if self.opt.as_deref() == Some("") {
            return Err(Error::claims("opt must be a non-empty string"));
        }
        if let Some(c) = &self.crn {
            check_claim_str("crn", c)?;
        }
        Ok(())
    }

    /// Writes the deterministic JSON (RFC 8225 §9) of simple claims (see
    /// [`Claims::is_simple`]) straight from the fields, members in code-point order: the
    /// same bytes as [`json::write_canonical`](super::json::write_canonical) of
    /// [`Claims::to_json`], without the JSON value. Does not check the claims.
    pub(crate) fn write_simple(&self, out: &mut Vec<u8>) {
        debug_assert!(self.is_simple());
        // Member names in code-point order: attest, crn, dest, div, iat, mky, opt, orig,
        // origid.
        out.push(b'{');
        if let Some(a) = self.attest {
            member(out, "attest");
            write_str(a.as_str(), out);
        }
        if let Some(c) = &self.crn {
            member(out, "crn");
            write_str(c, out);
        }
        member(out, "dest");
        out.push(b'{');
        if !self.dest.tn.is_empty() {
            member(out, "tn");
            write_str_array(&self.dest.tn, out);
        }
        if !self.dest.uri.is_empty() {
            member(out, "uri");
            write_str_array(&self.dest.uri, out);
        }
        out.push(b'}');
        if let Some(d) = &self.div {
            member(out, "div");
            d.write_json(out);
        }
        member(out, "iat");
        // Formatting an integer into a Vec cannot fail.
        let _ = write!(out, "{}", self.iat);
        if !self.mky.is_empty() {
            member(out, "mky");
            out.push(b'[');
            for (i, k) in self.mky.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(br#"{"alg":"#);
                write_str(&k.alg, out);
                out.extend_from_slice(br#","dig":"#);
                write_str(&k.dig, out);
                out.push(b'}');
            }
            out.push(b']');
        }
        if let Some(o) = &self.opt {
            member(out, "opt");
            write_str(o, out);
        }
        member(out, "orig");
        self.orig.write_json(out);
        if let Some(o) = &self.origid {
            member(out, "origid");
            write_str(o, out);
        }
        out.push(b'}');
    }
}

/// A new random origination identifier for `origid`: a version 4 UUID in lower case.
pub fn new_origid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A claim that must be a non-empty string of bounded length.
/// `name` is formatted only when there is an error to report.
fn claim_string(name: impl std::fmt::Display, v: Value) -> Result<String, Error> {
    match v {
        Value::String(s) => check_claim_str(name, &s).map(|()| s),
        Value::Null => Err(Error::claims(format!("missing {name}"))),
        other => Err(Error::claims(format!(
            "{name} must be a string, got {other}"
        ))),
    }
}

/// The rule of [`claim_string`] for a string: non-empty, at most
/// [`MAX_CLAIM_STRING_LEN`] bytes.
fn check_claim_str(name: impl std::fmt::Display, s: &str) -> Result<(), Error> {
    if s.is_empty() {
        Err(Error::claims(format!("{name} is empty")))
    } else if s.len() > MAX_CLAIM_STRING_LEN {
        Err(Error::claims(format!(
            "{name} is longer than {MAX_CLAIM_STRING_LEN} bytes"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Claims, Error> {
        match v {
            Value::Object(m) => Claims::from_json(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn shaken_round_trip() {
        let c = Claims::shaken(
            "12155551212",
            &["12155551213"],
            Attest::A,
            "id-1",
            1_700_000_000,
        );
        let back = parse(c.to_json()).unwrap();
        assert_eq!(back, c);
        back.check_for(Some(Ppt::Shaken)).unwrap();
        assert!(back.check_for(Some(Ppt::Div)).is_err());
    }

    #[test]
    fn all_extensions_round_trip() {
        let mut c = Claims::shaken("1", &["2", "3"], Attest::C, "x", 5);
        c.dest.uri.push("sip:b@example.com".into());
        c.mky.push(Mky {
            alg: "sha-256".into(),
            dig: "AB:CD".into(),
        });
        c.div = Some(Party::Tn("4".into()));
        c.opt = Some("a.b.c".into());
        c.rcd = Some(Rcd {
            jcd: Some(json!(["vcard", []])),
            ..Rcd::name("Alice")
        });
        c.crn = Some("Rendezvous".into());
        c.rcdi = Some(json!({"/jcd": "sha256-xyz"}).as_object().unwrap().clone());
        c.extra.insert("foo".into(), json!({"bar": [1, 2]}));
        let back = parse(c.to_json()).unwrap();
        assert_eq!(back, c);
        for p in Ppt::ALL {
            back.check_for(Some(p)).unwrap();
        }
    }

    #[test]
    fn rejects_bad_claims() {
        let ok = json!({"orig":{"tn":"1"},"dest":{"tn":["2"]},"iat":1});
        parse(ok.clone()).unwrap();
        let bad = |patch: Value| {
            let mut v = ok.clone();
            for (k, x) in patch.as_object().unwrap() {
                if x.is_null() {
                    v.as_object_mut().unwrap().remove(k);
                } else {
                    v[k] = x.clone();
                }
            }
            parse(v).unwrap_err()
        };
        for patch in [
            json!({"iat": "1"}),
            json!({"iat": 1.5}),
            json!({"iat": -1}),
            json!({"iat": null}),
            json!({"orig": null}),
            json!({"dest": null}),
            json!({"orig": "{\"tn\":\"1\"}"}),
            json!({"orig": {"tn": "1", "uri": "sip:a@b"}}),
            json!({"orig": {}}),
            json!({"orig": {"tn": 1}}),
            json!({"orig": {"tn": ""}}),
            json!({"orig": {"tn": "12ab"}}),
            json!({"dest": {"tn": "2"}}),
            json!({"dest": {}}),
            json!({"dest": {"tn": []}}),
            json!({"dest": {"tn": [2]}}),
            json!({"dest": {"xx": ["2"]}}),
            json!({"attest": "D"}),
            json!({"attest": 1}),
            json!({"origid": ""}),
            json!({"origid": 5}),
            json!({"mky": []}),
            json!({"mky": [{"alg": "sha-256"}]}),
            json!({"div": "5"}),
            json!({"rcd": "Alice"}),
            json!({"rcd": {}}),
            json!({"rcd": {"nam": 1}}),
            json!({"rcdi": {"/nam": 1}}),
            json!({"origid": "x".repeat(MAX_CLAIM_STRING_LEN + 1)}),
        ] {
            assert!(matches!(bad(patch.clone()), Error::Claims(_)), "{patch}");
        }
    }
}
