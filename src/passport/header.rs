//! The PASSporT JOSE header (RFC 8225 §4): `alg`, `typ`, `ppt`, `x5u`.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::limits::MAX_URL_LEN;

/// The only signature algorithm a PASSporT may use here (RFC 8588: ES256).
pub const ALG_ES256: &str = "ES256";

/// The `typ` value of a PASSporT.
pub const TYP_PASSPORT: &str = "passport";

/// A PASSporT extension (`ppt` header parameter) this library supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ppt {
    /// SHAKEN (RFC 8588): adds `attest` and `origid`.
    Shaken,
    /// Diversion (RFC 8946): adds `div`.
    Div,
    /// Diversion with the original PASSporT embedded (RFC 8946 §8): adds `div` and `opt`.
    DivO,
    /// Rich Call Data (RFC 9795): adds `rcd` (and optionally `crn`, `rcdi`).
    Rcd,
}

impl Ppt {
    /// All supported extensions.
    pub const ALL: [Ppt; 4] = [Ppt::Shaken, Ppt::Div, Ppt::DivO, Ppt::Rcd];

    /// The wire name (`shaken`, `div`, `div-o`, `rcd`).
    pub fn as_str(self) -> &'static str {
        match self {
            Ppt::Shaken => "shaken",
            Ppt::Div => "div",
            Ppt::DivO => "div-o",
            Ppt::Rcd => "rcd",
        }
    }

    /// Looks up a wire name; `None` for an unsupported extension.
    pub fn from_name(name: &str) -> Option<Ppt> {
        Ppt::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for Ppt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Ppt {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ppt::from_name(s).ok_or_else(|| Error::UnsupportedPpt(s.to_owned()))
    }
}

/// A PASSporT header. `alg` is always ES256 (anything else is rejected when parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Whether the header carried `"typ":"passport"` (it is optional in RFC 8225).
    pub typ: bool,
    /// The extension, or `None` for a base PASSporT.
    pub ppt: Option<Ppt>,
    /// The URL of the signer's certificate (chain).
    pub x5u: String,
    /// Any other header parameters, kept as received.
    pub extra: Map<String, Value>,
}

impl Header {
    /// A header for signing: `alg` ES256, `typ` passport, the given `ppt` and `x5u`.
    pub fn new(ppt: Option<Ppt>, x5u: impl Into<String>) -> Header {
        Header {
            typ: true,
            ppt,
            x5u: x5u.into(),
            extra: Map::new(),
        }
    }

    /// Interprets a parsed header object strictly: `alg` must be `ES256`, `typ` (when
    /// present) `passport`, `ppt` (when present) a supported extension, `x5u` a URL.
    pub fn from_json(mut obj: Map<String, Value>) -> Result<Header, Error> {
        match obj.remove("alg") {
            Some(Value::String(a)) if a == ALG_ES256 => {}
            Some(Value::String(a)) => return Err(Error::UnsupportedAlg(a)),
            Some(other) => return Err(Error::UnsupportedAlg(other.to_string())),
            None => return Err(Error::Header("missing alg".into())),
        }
        let typ = match obj.remove("typ") {
            None => false,
            Some(Value::String(t)) if t == TYP_PASSPORT => true,
            Some(other) => {
                return Err(Error::Header(format!(
                    "typ must be \"passport\", got {other}"
                )));
            }
        };
        let ppt = match obj.remove("ppt") {
            None => None,
            Some(Value::String(p)) => Some(Ppt::from_name(&p).ok_or(Error::UnsupportedPpt(p))?),
            Some(other) => return Err(Error::UnsupportedPpt(other.to_string())),
        };
        let x5u = match obj.remove("x5u") {
            Some(Value::String(u)) => u,
            Some(_) => return Err(Error::Header("x5u is not a string".into())),
            None => return Err(Error::Header("missing x5u".into())),
        };
        check_url(&x5u).map_err(Error::Header)?;
        if obj.contains_key("crit") {
            // RFC 7515 §4.1.11: a recipient must reject critical extensions it does not
            // understand; none are defined for PASSporT.
            return Err(Error::Header("unsupported crit header parameter".into()));
        }
        Ok(Header {
            typ,
            ppt,
            x5u,
            extra: obj,
        })
    }

    /// The header as a JSON object (for deterministic serialisation).
    pub fn to_json(&self) -> Value {
        let mut m = self.extra.clone();
        m.insert("alg".into(), Value::String(ALG_ES256.into()));
        if self.typ {
            m.insert("typ".into(), Value::String(TYP_PASSPORT.into()));
        }
        if let Some(p) = self.ppt {
            m.insert("ppt".into(), Value::String(p.as_str().into()));
        }
        m.insert("x5u".into(), Value::String(self.x5u.clone()));
        Value::Object(m)
    }
}

impl Header {
    /// Writes the deterministic JSON (RFC 8225 §9) of a header without other parameters
    /// (`extra` empty) straight from the fields: the same bytes as
    /// [`json::write_canonical`](super::json::write_canonical) of [`Header::to_json`].
    pub(crate) fn write_simple(&self, out: &mut Vec<u8>) {
        debug_assert!(self.extra.is_empty());
        // Member names in code-point order: alg, ppt, typ, x5u.
        out.extend_from_slice(br#"{"alg":"ES256""#);
        if let Some(p) = self.ppt {
            out.extend_from_slice(br#","ppt":"#);
            super::json::write_str(p.as_str(), out);
        }
        if self.typ {
            out.extend_from_slice(br#","typ":"passport""#);
        }
        out.extend_from_slice(br#","x5u":"#);
        super::json::write_str(&self.x5u, out);
        out.push(b'}');
    }
}

/// `url` after `<scheme>://`, when `url` has that scheme. Schemes compare
/// case-insensitively (RFC 3986 §3.1): `HTTPS://host/` is an https URL.
pub(crate) fn strip_scheme<'u>(url: &'u str, scheme: &str) -> Option<&'u str> {
    let n = scheme.len();
    let head = url.as_bytes().get(..n + 3)?;
    (head[..n].eq_ignore_ascii_case(scheme.as_bytes()) && &head[n..] == b"://")
        .then(|| &url[n + 3..])
}

/// Syntactic check of a certificate URL: an absolute `http` or `https` URL with a host,
/// no whitespace or control characters, at most [`MAX_URL_LEN`] bytes. Which schemes and
/// hosts are *acceptable* is a verification policy, checked by the verifier.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_URL_LEN {
        return Err(format!("URL longer than {MAX_URL_LEN} bytes"));
    }
    if url
        .bytes()
        .any(|b| b <= b' ' || b == 0x7f || b == b'<' || b == b'>' || b == b'"')
    {
        return Err("URL contains whitespace, control or delimiter characters".into());
    }
    let rest = strip_scheme(url, "https")
        .or_else(|| strip_scheme(url, "http"))
        .ok_or_else(|| format!("{url:?} is not an http(s) URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{url:?} has no host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Header, Error> {
        match v {
            Value::Object(m) => Header::from_json(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn accepts_valid_headers() {
        let h = parse(
            json!({"alg":"ES256","typ":"passport","ppt":"shaken","x5u":"https://a.example/c.pem"}),
        )
        .unwrap();
        assert_eq!(h.ppt, Some(Ppt::Shaken));
        assert!(h.typ);
        let h = parse(json!({"alg":"ES256","x5u":"https://a.example/c.pem","kid":"7"})).unwrap();
        assert_eq!(h.ppt, None);
        assert!(!h.typ);
        assert_eq!(h.extra["kid"], json!("7"));
    }

    #[test]
    fn rejects_bad_headers() {
        let x = "https://a.example/c.pem";
        assert_eq!(
            parse(json!({"alg":"none","x5u":x})),
            Err(Error::UnsupportedAlg("none".into()))
        );
        assert_eq!(
            parse(json!({"alg":"HS256","x5u":x})),
            Err(Error::UnsupportedAlg("HS256".into()))
        );
        assert_eq!(
            parse(json!({"alg":"es256","x5u":x})),
            Err(Error::UnsupportedAlg("es256".into()))
        );
        assert!(matches!(
            parse(json!({"alg":1,"x5u":x})),
            Err(Error::UnsupportedAlg(_))
        ));
        assert!(matches!(parse(json!({"x5u":x})), Err(Error::Header(_))));
        assert!(matches!(
            parse(json!({"alg":"ES256","typ":"JWT","x5u":x})),
            Err(Error::Header(_))
        ));
        assert!(matches!(
            parse(json!({"alg":"ES256","ppt":"foo","x5u":x})),
            Err(Error::UnsupportedPpt(_))
        ));
        assert!(matches!(
            parse(json!({"alg":"ES256","ppt":["shaken"],"x5u":x})),
            Err(Error::UnsupportedPpt(_))
        ));
        assert!(matches!(
            parse(json!({"alg":"ES256"})),
            Err(Error::Header(_))
        ));
        assert!(matches!(
            parse(json!({"alg":"ES256","x5u":"ftp://a/b"})),
            Err(Error::Header(_))
        ));
        assert!(matches!(
            parse(json!({"alg":"ES256","x5u":"https:///b"})),
            Err(Error::Header(_))
        ));
        assert!(matches!(
            parse(json!({"alg":"ES256","x5u":"https://a b/"})),
            Err(Error::Header(_))
        ));
        assert!(matches!(
            parse(json!({"alg":"ES256","x5u":x,"crit":["x"]})),
            Err(Error::Header(_))
        ));
    }

    #[test]
    fn ppt_names_round_trip() {
        for p in Ppt::ALL {
            assert_eq!(Ppt::from_name(p.as_str()), Some(p));
        }
        assert_eq!(Ppt::from_name("SHAKEN"), None);
    }
}
