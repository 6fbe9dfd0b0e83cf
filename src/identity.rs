//! The SIP Identity header (RFC 8224 §4.1): parsing every form seen in real traffic, and
//! formatting the canonical form `token;info=<x5u>;alg=ES256;ppt=shaken`.
//!
//! Accepted: an optional `Identity:` or compact `y:` header name; linear white space
//! (including folded lines) around separators; parameters in any order and any letter case;
//! `ppt`, `alg` and `info` quoted or not; `info` with or without angle brackets; unknown
//! parameters (kept, otherwise ignored); several values folded into one field with commas;
//! the compact token form `..signature`. Rejected with [`Error::IdentitySyntax`]: an empty
//! value, a token with characters outside base64url and `.`, a repeated `info`, `alg` or
//! `ppt` parameter, unbalanced quotes or brackets, anything after a value that is not a
//! parameter. Inputs longer than [`MAX_IDENTITY_HEADER_LEN`] or with more than
//! [`MAX_IDENTITY_HEADERS`] values are rejected before parsing.

use crate::error::{Error, LimitKind};
use crate::limits::{MAX_IDENTITY_HEADER_LEN, MAX_IDENTITY_HEADERS};
use crate::passport::header::{ALG_ES256, Ppt};

/// One parsed Identity header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityHeader {
    /// The token: a full-form compact JWS, or the compact form `..signature`.
    pub token: String,
    /// The `info` parameter (the certificate URL), without angle brackets or quotes.
    pub info: Option<String>,
    /// The `alg` parameter (absent means ES256).
    pub alg: Option<String>,
    /// The `ppt` parameter, unquoted.
    pub ppt: Option<String>,
    /// Other parameters, names in lower case, values unquoted, in order of appearance.
    pub params: Vec<(String, Option<String>)>,
}

impl IdentityHeader {
    /// Parses a header field value that must hold exactly one Identity value.
    pub fn parse(value: &str) -> Result<IdentityHeader, Error> {
        let mut all = IdentityHeader::parse_all(value)?;
        if all.len() != 1 {
            return Err(Error::IdentitySyntax(format!(
                "expected one Identity value, found {}",
                all.len()
            )));
        }
        Ok(all.remove(0))
    }

    /// Parses a header field value that may hold several comma-separated Identity values
    /// (for example a SHAKEN PASSporT and a div PASSporT).
    pub fn parse_all(value: &str) -> Result<Vec<IdentityHeader>, Error> {
        if value.len() > MAX_IDENTITY_HEADER_LEN {
            return Err(Error::Limit {
                what: LimitKind::IdentityHeader,
                limit: MAX_IDENTITY_HEADER_LEN,
            });
        }
        let body = strip_header_name(value);
        if body.trim_matches(is_lws).is_empty() {
            return Err(Error::NoIdentity);
        }
        let mut out = Vec::new();
        let mut p = Parser {
            src: body,
            s: body.as_bytes(),
            i: 0,
        };
        loop {
            if out.len() == MAX_IDENTITY_HEADERS {
                return Err(Error::Limit {
                    what: LimitKind::IdentityCount,
                    limit: MAX_IDENTITY_HEADERS,
                });
            }
            out.push(p.value()?);
            p.skip_lws();
            match p.peek() {
                None => break,
                Some(b',') => p.i += 1,
                Some(c) => {
                    return Err(Error::IdentitySyntax(format!(
                        "unexpected {:?} after Identity value",
                        c as char
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The `alg` parameter, defaulting to ES256 when absent.
    pub fn alg(&self) -> &str {
        self.alg.as_deref().unwrap_or(ALG_ES256)
    }

    /// Whether the token is in compact form (`..signature`).
    pub fn is_compact(&self) -> bool {
        self.token.starts_with("..")
    }

    /// Formats this value canonically: `token;info=<…>;alg=…;ppt=…` followed by the other
    /// parameters.
    pub fn format(&self) -> String {
        let mut s = self.token.clone();
        if let Some(i) = &self.info {
            s.push_str(";info=");
            if !i.is_empty()
                && !i
                    .bytes()
                    .any(|b| matches!(b, b'<' | b'>' | b'"') || b.is_ascii_whitespace())
            {
                s.push('<');
                s.push_str(i);
                s.push('>');
            } else {
                push_quoted(&mut s, i);
            }
        }
        s.push_str(";alg=");
        push_value(&mut s, self.alg());
        if let Some(p) = &self.ppt {
            s.push_str(";ppt=");
            push_value(&mut s, p);
        }
        for (k, v) in &self.params {
            s.push(';');
            s.push_str(k);
            if let Some(v) = v {
                s.push('=');
                push_value(&mut s, v);
            }
        }
        s
    }
}

/// A parameter value: as is when it is an RFC 3261 token, else a quoted string.
fn push_value(s: &mut String, v: &str) {
    if !v.is_empty() && v.bytes().all(is_token_char) {
        s.push_str(v);
    } else {
        push_quoted(s, v);
    }
}

fn push_quoted(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
}

/// Formats the canonical Identity header value for a token (RFC 8224 §4.1, ATIS-1000074):
/// `token;info=<x5u>;alg=ES256;ppt=<ppt>` (no `ppt` for a base PASSporT).
pub fn format_identity(token: &str, x5u: &str, ppt: Option<Ppt>) -> String {
    let mut s = String::with_capacity(token.len() + x5u.len() + 32);
    s.push_str(token);
    s.push_str(";info=<");
    s.push_str(x5u);
    s.push_str(">;alg=ES256");
    if let Some(p) = ppt {
        s.push_str(";ppt=");
        s.push_str(p.as_str());
    }
    s
}

fn is_lws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Drops a leading `Identity:` or `y:` header name, if any.
fn strip_header_name(value: &str) -> &str {
    let t = value.trim_start_matches(is_lws);
    if let Some(colon) = t.find(':') {
        let name = t[..colon].trim_end_matches(is_lws);
        if name.eq_ignore_ascii_case("identity") || name.eq_ignore_ascii_case("y") {
            return &t[colon + 1..];
        }
    }
    t
}

/// RFC 3261 `token` characters.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

fn is_token_body(b: u8) -> bool {
    crate::passport::jws::is_b64url_or_dot(b)
}

struct Parser<'a> {
    /// The input, as text: positions the parser stops at are always ASCII delimiters, so
    /// slices between them are on character boundaries.
    src: &'a str,
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_lws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn text(&self, from: usize) -> String {
        self.src.get(from..self.i).unwrap_or_default().to_owned()
    }

    fn value(&mut self) -> Result<IdentityHeader, Error> {
        self.skip_lws();
        let start = self.i;
        while self.peek().is_some_and(is_token_body) {
            self.i += 1;
        }
        if self.i == start {
            return Err(match self.peek() {
                None => Error::IdentitySyntax("empty Identity value".into()),
                Some(c) => Error::IdentitySyntax(format!(
                    "Identity value must start with a token, found {:?}",
                    c as char
                )),
            });
        }
        let token = self.text(start);
        let mut h = IdentityHeader {
            token,
            info: None,
            alg: None,
            ppt: None,
            params: Vec::new(),
        };
        loop {
            self.skip_lws();
            match self.peek() {
                Some(b';') => self.i += 1,
                None | Some(b',') => return Ok(h),
                Some(c) => {
                    return Err(Error::IdentitySyntax(format!(
                        "unexpected {:?} in Identity value",
                        c as char
                    )));
                }
            }
            self.skip_lws();
            let name_start = self.i;
            while self.peek().is_some_and(is_token_char) {
                self.i += 1;
            }
            if self.i == name_start {
                return Err(Error::IdentitySyntax("empty parameter name".into()));
            }
            let name = self.text(name_start).to_ascii_lowercase();
            self.skip_lws();
            let val = if self.peek() == Some(b'=') {
                self.i += 1;
                self.skip_lws();
                Some(self.param_value()?)
            } else {
                None
            };
            let slot = match name.as_str() {
                "info" => &mut h.info,
                "alg" => &mut h.alg,
                "ppt" => &mut h.ppt,
                _ => {
                    h.params.push((name, val));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(Error::IdentitySyntax(format!("repeated {name} parameter")));
            }
            match val {
                Some(v) if !v.is_empty() => *slot = Some(v),
                _ => {
                    return Err(Error::IdentitySyntax(format!(
                        "{name} parameter without a value"
                    )));
                }
            }
        }
    }

    /// `<uri>`, `"quoted string"` or a run of characters up to `;`, `,` or LWS.
    fn param_value(&mut self) -> Result<String, Error> {
        match self.peek() {
            Some(b'<') => {
                self.i += 1;
                let start = self.i;
                while let Some(c) = self.peek() {
                    match c {
                        b'>' => {
                            let v = self.text(start);
                            self.i += 1;
                            return Ok(v);
                        }
                        b'<' | b'"' | b' ' | b'\t' | b'\r' | b'\n' => break,
                        _ => self.i += 1,
                    }
                }
                Err(Error::IdentitySyntax(
                    "unterminated <URI> in parameter".into(),
                ))
            }
            Some(b'"') => {
                self.i += 1;
                let mut v = Vec::new();
                while let Some(c) = self.peek() {
                    self.i += 1;
                    match c {
                        b'"' => {
                            return String::from_utf8(v).map_err(|_| {
                                Error::IdentitySyntax("parameter is not UTF-8".into())
                            });
                        }
                        b'\\' => match self.peek() {
                            Some(e) => {
                                v.push(e);
                                self.i += 1;
                            }
                            None => break,
                        },
                        _ => v.push(c),
                    }
                }
                Err(Error::IdentitySyntax(
                    "unterminated quoted string in parameter".into(),
                ))
            }
            _ => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if matches!(
                        c,
                        b';' | b',' | b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'<' | b'>'
                    ) {
                        break;
                    }
                    self.i += 1;
                }
                Ok(self.text(start))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "eyJh.eyJi.c2ln";

    #[test]
    fn canonical_form() {
        let v = format!("{T};info=<https://x.example/c.pem>;alg=ES256;ppt=shaken");
        let h = IdentityHeader::parse(&v).unwrap();
        assert_eq!(h.token, T);
        assert_eq!(h.info.as_deref(), Some("https://x.example/c.pem"));
        assert_eq!(h.alg(), "ES256");
        assert_eq!(h.ppt.as_deref(), Some("shaken"));
        assert_eq!(h.format(), v);
        assert_eq!(
            format_identity(T, "https://x.example/c.pem", Some(Ppt::Shaken)),
            v
        );
    }

    #[test]
    fn real_world_forms() {
        for v in [
            format!("{T};ppt=\"shaken\";alg=ES256;info=<https://x.example/c.pem>"),
            format!("Identity: {T} ; info = <https://x.example/c.pem> ; ALG=ES256;PPT=shaken"),
            format!("y:{T};info=\"https://x.example/c.pem\";ppt=shaken"),
            format!("{T};info=https://x.example/c.pem;ppt=shaken;foo;bar=\"a b\""),
            format!("  {T}\r\n\t;info=<https://x.example/c.pem>;ppt=shaken  "),
        ] {
            let h = IdentityHeader::parse(&v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(h.token, T, "{v}");
            assert_eq!(h.info.as_deref(), Some("https://x.example/c.pem"), "{v}");
            assert_eq!(h.ppt.as_deref(), Some("shaken"), "{v}");
            assert_eq!(h.alg(), "ES256");
        }
        let h = IdentityHeader::parse(&format!("{T};info=<u>;foo;bar=\"a b\"")).unwrap();
        assert_eq!(
            h.params,
            vec![("foo".into(), None), ("bar".into(), Some("a b".into()))]
        );
        assert_eq!(
            h.format(),
            format!("{T};info=<u>;alg=ES256;foo;bar=\"a b\"")
        );
        // Bare token and compact form.
        assert_eq!(IdentityHeader::parse(T).unwrap().info, None);
        assert!(
            IdentityHeader::parse("..c2ln;info=<u>")
                .unwrap()
                .is_compact()
        );
    }

    #[test]
    fn folded_values() {
        let v = format!("{T};info=<https://a/1>;ppt=shaken, {T};info=<https://a/2>;ppt=div");
        let all = IdentityHeader::parse_all(&v).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].info.as_deref(), Some("https://a/2"));
        assert_eq!(all[1].ppt.as_deref(), Some("div"));
        assert!(IdentityHeader::parse(&v).is_err());
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(IdentityHeader::parse(""), Err(Error::NoIdentity));
        assert_eq!(IdentityHeader::parse("Identity:  "), Err(Error::NoIdentity));
        for bad in [
            ";info=<u>".to_string(),
            format!("{T} x"),
            format!("{T};"),
            format!("{T};;ppt=shaken"),
            format!("{T};info=<u"),
            format!("{T};info=<u>;info=<v>"),
            format!("{T};ppt=shaken;ppt=div"),
            format!("{T};ppt"),
            format!("{T};ppt="),
            format!("{T};ppt=\"shaken"),
            format!("{T};=x"),
            format!("{T},"),
            format!("{T}=;info=<u>"),
            format!("{T}+/;info=<u>"),
            format!("{T};info=<u>junk"),
        ] {
            assert!(
                matches!(
                    IdentityHeader::parse_all(&bad),
                    Err(Error::IdentitySyntax(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn limits() {
        let long = "a".repeat(MAX_IDENTITY_HEADER_LEN + 1);
        assert!(matches!(
            IdentityHeader::parse_all(&long),
            Err(Error::Limit { .. })
        ));
        let many = [T; MAX_IDENTITY_HEADERS + 1].join(",");
        assert!(matches!(
            IdentityHeader::parse_all(&many),
            Err(Error::Limit { .. })
        ));
        let ok = [T; MAX_IDENTITY_HEADERS].join(",");
        assert_eq!(
            IdentityHeader::parse_all(&ok).unwrap().len(),
            MAX_IDENTITY_HEADERS
        );
    }
}
