//! The PASSporT token (RFC 8225): header and claims, strict parsing of received tokens,
//! deterministic encoding and ES256 signing of new ones, and the compact form.
//!
//! Parsing never re-serialises: the signature is checked over the bytes received
//! ([`jws::RawToken::signing_input`]). Encoding is deterministic JSON (RFC 8225 §9), so a
//! token can be rebuilt bit for bit from its contents (the compact form, ISUP carriage).

pub mod claims;
pub mod header;
pub mod json;
pub mod jws;

use base64::Engine;
use serde_json::{Map, Value};

use crate::error::{Error, Part};
use crate::key::{SigningKey, VerifyingKey};
pub use claims::{Attest, Claims, Dest, Mky, Party, Rcd};
pub use header::{Header, Ppt};
use jws::{B64, RawToken};

/// A PASSporT: header and claims, checked to belong together (the claims the `ppt`
/// requires are present).
#[derive(Debug, Clone, PartialEq)]
pub struct Passport {
    /// The JOSE header.
    pub header: Header,
    /// The claims.
    pub claims: Claims,
}

impl Passport {
    /// Combines a header and claims, checking that the claims the header's `ppt` requires
    /// are present.
    pub fn new(header: Header, claims: Claims) -> Result<Passport, Error> {
        claims.check_for(header.ppt)?;
        Ok(Passport { header, claims })
    }

    /// Parses a full-form token strictly (see the crate documentation for the rules),
    /// without checking its signature. Returns the passport and the split token, whose
    /// [`RawToken::signing_input`] the signature must be checked over.
    pub fn parse(token: &str) -> Result<(Passport, RawToken<'_>), Error> {
        let raw = RawToken::split(token)?;
        if raw.is_compact() {
            return Err(Error::format(
                Part::Header,
                "compact form: header and claims must be rebuilt from the call",
            ));
        }
        let header = Header::from_json(json::parse_object(&raw.header_json()?, Part::Header)?)?;
        let claims = Claims::from_json(json::parse_object(&raw.claims_json()?, Part::Claims)?)?;
        Ok((Passport::new(header, claims)?, raw))
    }

    /// The deterministic JSON of the header (RFC 8225 §9).
    pub fn header_json(&self) -> Result<Vec<u8>, Error> {
        if self.header.extra.is_empty() {
            let mut out = Vec::with_capacity(128);
            self.header.write_simple(&mut out);
            return Ok(out);
        }
        json::to_canonical(&self.header.to_json())
    }

    /// The deterministic JSON of the claims (RFC 8225 §9).
    pub fn claims_json(&self) -> Result<Vec<u8>, Error> {
        if self.claims.is_simple() {
            let mut out = Vec::with_capacity(256);
            self.claims.write_simple(&mut out);
            return Ok(out);
        }
        json::to_canonical(&self.claims.to_json())
    }

    /// The signing input `BASE64URL(header) . BASE64URL(claims)` of the deterministic
    /// encoding.
    pub fn signing_input(&self) -> Result<String, Error> {
        let h = self.header_json()?;
        let c = self.claims_json()?;
        let mut out = String::with_capacity((h.len() + c.len()) * 4 / 3 + 100);
        B64.encode_string(&h, &mut out);
        out.push('.');
        B64.encode_string(&c, &mut out);
        Ok(out)
    }

    /// Encodes and signs the passport: the full-form compact JWS.
    ///
    /// The claims are first checked with the verifier's strict rules
    /// ([`Claims::from_json`]: types, empty and over-long strings, …), so that what is
    /// signed verifies.
    pub fn sign(&self, key: &SigningKey) -> Result<String, Error> {
        let mut token = String::with_capacity(TOKEN_CAPACITY);
        B64.encode_string(self.header_json()?, &mut token);
        sign_after_header(token, &self.claims, key)
    }

    /// Rebuilds the full token from this passport and the signature of a compact-form
    /// token (`..signature`), as a receiver does with the header and claims it
    /// reconstructed from the signalling (RFC 8224 §7). Only works when the signer used
    /// deterministic JSON.
    pub fn rebuild(&self, compact: &str) -> Result<String, Error> {
        let raw = RawToken::split(compact)?;
        let mut token = self.signing_input()?;
        token.push('.');
        B64.encode_string(raw.signature, &mut token);
        Ok(token)
    }

    /// Verifies the ES256 signature of `raw` under `key`.
    pub fn verify_signature(raw: &RawToken<'_>, key: &VerifyingKey) -> Result<(), Error> {
        key.verify(raw.signing_input(), &raw.signature)
    }
}

/// Room for a typical token and the Identity parameters after it, so that neither
/// signing nor [`crate::identity::format_identity`] grows a buffer.
pub(crate) const TOKEN_CAPACITY: usize = 512;

/// Completes a token whose base64url header is already in `token`: checks `claims` with
/// the verifier's strict rules ([`Claims::from_json`]), appends `.BASE64URL(claims)`, signs
/// and appends `.BASE64URL(signature)`.
///
/// Simple claims (SHAKEN, div, div-o, base; see [`Claims::is_simple`]) are checked and
/// written straight from the fields; the others through a JSON value, read back with
/// [`Claims::from_json`]. Both give the same bytes and accept the same claims (tested).
pub(crate) fn sign_after_header(
    mut token: String,
    claims: &Claims,
    key: &SigningKey,
) -> Result<String, Error> {
    let mut c = Vec::with_capacity(256);
    if claims.is_simple() {
        claims
            .check_simple()
            .map_err(|e| Error::Sign(e.to_string()))?;
        claims.write_simple(&mut c);
    } else {
        let value = claims.to_json();
        if let Value::Object(m) = value.clone() {
            Claims::from_json(m).map_err(|e| Error::Sign(e.to_string()))?;
        }
        json::write_canonical(&value, &mut c)?;
    }
    token.push('.');
    B64.encode_string(&c, &mut token);
    if token.len() + 87 > crate::limits::MAX_TOKEN_LEN {
        return Err(Error::Sign(format!(
            "the token would exceed {} bytes",
            crate::limits::MAX_TOKEN_LEN
        )));
    }
    let sig = key.sign(token.as_bytes())?;
    token.push('.');
    B64.encode_string(sig, &mut token);
    Ok(token)
}

/// Returns the compact form `..signature` of a full-form token.
pub fn to_compact(token: &str) -> Result<String, Error> {
    let raw = RawToken::split(token)?;
    let sig = &token[raw.signing_input().len() + 1..];
    Ok(format!("..{sig}"))
}

/// A token's header and claims as generic JSON, for display: decoded and parsed strictly
/// (no duplicates, limits) but not interpreted and not verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The header object.
    pub header: Map<String, Value>,
    /// The claims object.
    pub claims: Map<String, Value>,
    /// The signature, base64url.
    pub signature: String,
}

/// Decodes a full-form token for display, without verification.
pub fn decode(token: &str) -> Result<Decoded, Error> {
    let raw = RawToken::split(token)?;
    Ok(Decoded {
        header: json::parse_object(&raw.header_json()?, Part::Header)?,
        claims: json::parse_object(&raw.claims_json()?, Part::Claims)?,
        signature: B64.encode(raw.signature),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Passport {
        Passport::new(
            Header::new(Some(Ppt::Shaken), "https://cert.example.org/sp.pem"),
            Claims::shaken(
                "12155551212",
                &["12155551213"],
                Attest::A,
                "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10",
                1_700_000_000,
            ),
        )
        .unwrap()
    }

    #[test]
    fn sign_parse_verify() {
        let (key, _) = SigningKey::generate().unwrap();
        let p = sample();
        let token = p.sign(&key).unwrap();
        let (back, raw) = Passport::parse(&token).unwrap();
        assert_eq!(back, p);
        Passport::verify_signature(&raw, &key.verifying_key()).unwrap();
        let (other, _) = SigningKey::generate().unwrap();
        assert_eq!(
            Passport::verify_signature(&raw, &other.verifying_key()),
            Err(Error::Signature)
        );
    }

    #[test]
    fn deterministic_encoding() {
        let p = sample();
        let input = p.signing_input().unwrap();
        let (h, c) = input.split_once('.').unwrap();
        assert_eq!(
            B64.decode(h).unwrap(),
            br#"{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://cert.example.org/sp.pem"}"#
        );
        assert_eq!(
            B64.decode(c).unwrap(),
            br#"{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"12155551212"},"origid":"0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10"}"#.as_slice()
        );
    }

    #[test]
    fn compact_round_trip() {
        let (key, _) = SigningKey::generate().unwrap();
        let p = sample();
        let token = p.sign(&key).unwrap();
        let compact = to_compact(&token).unwrap();
        assert!(compact.starts_with(".."));
        assert_eq!(p.rebuild(&compact).unwrap(), token);
        assert!(Passport::parse(&compact).is_err());
    }

    use proptest::prelude::*;

    /// Strings that hit every rule: empty, over-long, escapes, non-ASCII, numbers that
    /// are and are not telephone numbers.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,16}",
            "[+]?[0-9#*() .-]{0,20}",
            "\\PC{0,12}",
            "[\"\\\\/\u{0}-\u{1f}a-z]{0,8}",
            Just(String::new()),
            (1020usize..1030).prop_map(|n| "x".repeat(n)),
        ]
    }

    fn party() -> impl Strategy<Value = Party> {
        prop_oneof![text().prop_map(Party::Tn), text().prop_map(Party::Uri)]
    }

    fn simple_claims() -> impl Strategy<Value = Claims> {
        let attest = prop_oneof![
            Just(None),
            Just(Some(Attest::A)),
            Just(Some(Attest::B)),
            Just(Some(Attest::C))
        ];
        let mky = prop::collection::vec((text(), text()), 0..3)
            .prop_map(|v| v.into_iter().map(|(alg, dig)| Mky { alg, dig }).collect());
        (
            party(),
            prop::collection::vec(text(), 0..3),
            prop::collection::vec(text(), 0..2),
            prop_oneof![any::<i64>(), 0i64..2_000_000_000],
            mky,
            attest,
            prop::option::of(text()),
            prop::option::of(party()),
            prop::option::of(text()),
            prop::option::of(text()),
        )
            .prop_map(
                |(orig, tn, uri, iat, mky, attest, origid, div, opt, crn)| Claims {
                    mky,
                    attest,
                    origid,
                    div,
                    opt,
                    crn,
                    ..Claims::new(orig, Dest { tn, uri }, iat)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The direct writer and checker of the signing hot path give the same bytes and
        /// the same verdict (and error) as the general path through a JSON value.
        #[test]
        fn simple_claims_match_the_general_path(c in simple_claims()) {
            prop_assert!(c.is_simple());
            let value = c.to_json();
            let mut direct = Vec::new();
            c.write_simple(&mut direct);
            prop_assert_eq!(&direct, &json::to_canonical(&value).unwrap());
            let Value::Object(m) = value else { unreachable!() };
            prop_assert_eq!(c.check_simple(), Claims::from_json(m).map(|_| ()));
        }

        #[test]
        fn simple_header_matches_the_general_path(
            ppt in prop::option::of(prop::sample::select(Ppt::ALL.to_vec())),
            typ in any::<bool>(),
            x5u in "https://[a-z.]{1,12}/\\PC{0,12}",
        ) {
            let header = Header { typ, ..Header::new(ppt, x5u) };
            let mut direct = Vec::new();
            header.write_simple(&mut direct);
            prop_assert_eq!(direct, json::to_canonical(&header.to_json()).unwrap());
        }
    }

    #[test]
    fn signing_checks_like_the_reader() {
        let (key, _) = SigningKey::generate().unwrap();
        let mut p = sample();
        p.claims.origid = Some(String::new());
        assert_eq!(
            p.sign(&key),
            Err(Error::Sign(Error::claims("origid is empty").to_string()))
        );
        // The general path (an rcd claim) keeps the same rule.
        p.claims.rcd = Some(Rcd::name("Alice"));
        assert_eq!(
            p.sign(&key),
            Err(Error::Sign(Error::claims("origid is empty").to_string()))
        );
        p.claims.origid = Some("x".into());
        let token = p.sign(&key).unwrap();
        assert_eq!(Passport::parse(&token).unwrap().0, p);
    }

    #[test]
    fn ppt_requires_its_claims() {
        let c = Claims::new(Party::Tn("1".into()), Dest::tns(["2"]), 1);
        assert!(Passport::new(Header::new(Some(Ppt::Shaken), "https://a/b"), c.clone()).is_err());
        assert!(Passport::new(Header::new(None, "https://a/b"), c).is_ok());
    }
}
