//! Compact JWS serialisation (RFC 7515 §7.1) as PASSporT uses it: exactly three
//! base64url parts without padding or whitespace, an ES256 signature of exactly 64 bytes.

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{Error, LimitKind, Part};
use crate::limits::MAX_TOKEN_LEN;

/// base64url without padding; decoding rejects padding and non-zero trailing bits, so each
/// byte string has exactly one accepted encoding.
pub const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// A compact JWS split into its parts, the signature decoded. Header and claims stay in
/// their received base64url form; [`RawToken::signing_input`] is what the signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawToken<'a> {
    token: &'a str,
    /// Byte offset of the first `.`.
    dot1: usize,
    /// Byte offset of the second `.`.
    dot2: usize,
    /// The decoded signature.
    pub signature: [u8; 64],
}

impl<'a> RawToken<'a> {
    /// Splits and checks a token's form. An empty header and claims part (the compact form
    /// `..signature` of RFC 8224 §7) is allowed here; see [`RawToken::is_compact`].
    pub fn split(token: &'a str) -> Result<RawToken<'a>, Error> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Error::Limit {
                what: LimitKind::Token,
                limit: MAX_TOKEN_LEN,
            });
        }
        if let Some(b) = token.bytes().find(|b| !is_b64url_or_dot(*b)) {
            return Err(Error::format(
                Part::Header,
                if b.is_ascii_whitespace() {
                    "whitespace in token".to_string()
                } else if b == b'=' {
                    "padding in token".to_string()
                } else {
                    format!("character {:?} is not base64url", b as char)
                },
            ));
        }
        let mut dots = token.match_indices('.').map(|(i, _)| i);
        let (Some(dot1), Some(dot2), None) = (dots.next(), dots.next(), dots.next()) else {
            return Err(Error::format(
                Part::Header,
                "a token has exactly three parts",
            ));
        };
        let sig_b64 = &token[dot2 + 1..];
        let sig = B64
            .decode(sig_b64)
            .map_err(|e| Error::format(Part::Signature, format!("bad base64url: {e}")))?;
        let signature: [u8; 64] = sig.as_slice().try_into().map_err(|_| {
            // A token of another algorithm (ES384: 96 bytes) is an unsupported algorithm
            // (437), not a malformed ES256 token.
            if let Some(alg) = header_alg(&token[..dot1])
                && alg != super::header::ALG_ES256
            {
                return Error::UnsupportedAlg(alg);
            }
            Error::format(
                Part::Signature,
                format!("ES256 signature must be 64 bytes, got {}", sig.len()),
            )
        })?;
        let raw = RawToken {
            token,
            dot1,
            dot2,
            signature,
        };
        if raw.header_b64().is_empty() != raw.claims_b64().is_empty() {
            return Err(Error::format(
                Part::Header,
                "header and claims must both be present or both be empty",
            ));
        }
        Ok(raw)
    }

    /// Whether this is the compact form (`..signature`): header and claims omitted.
    pub fn is_compact(&self) -> bool {
        self.dot1 == 0 && self.dot2 == 1
    }

    /// The base64url header part as received.
    pub fn header_b64(&self) -> &'a str {
        &self.token[..self.dot1]
    }

    /// The base64url claims part as received.
    pub fn claims_b64(&self) -> &'a str {
        &self.token[self.dot1 + 1..self.dot2]
    }

    /// The bytes the signature covers: `header.claims` as received.
    pub fn signing_input(&self) -> &'a [u8] {
        &self.token.as_bytes()[..self.dot2]
    }

    /// Decodes the header part.
    pub fn header_json(&self) -> Result<Vec<u8>, Error> {
        decode_part(self.header_b64(), Part::Header)
    }

    /// Decodes the claims part.
    pub fn claims_json(&self) -> Result<Vec<u8>, Error> {
        decode_part(self.claims_b64(), Part::Claims)
    }
}

/// The `alg` of a base64url header part, when it decodes to a JSON object with a string
/// `alg` (error path only: the token's size is already bounded).
fn header_alg(b64: &str) -> Option<String> {
    let json = B64.decode(b64).ok()?;
    match serde_json::from_slice::<serde_json::Value>(&json).ok()? {
        serde_json::Value::Object(mut m) => match m.remove("alg")? {
            serde_json::Value::String(a) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

fn decode_part(b64: &str, part: Part) -> Result<Vec<u8>, Error> {
    if b64.is_empty() {
        return Err(Error::format(part, "empty part"));
    }
    B64.decode(b64)
        .map_err(|e| Error::format(part, format!("bad base64url: {e}")))
}

/// base64url characters and `.`, as a table: the scans over a ~450-byte token are on the
/// verification hot path.
static B64URL_OR_DOT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.';
        b += 1;
    }
    t
};

/// Whether `b` may appear in a compact JWS: a base64url character or `.`.
pub(crate) fn is_b64url_or_dot(b: u8) -> bool {
    B64URL_OR_DOT[usize::from(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig() -> String {
        B64.encode([1u8; 64])
    }

    #[test]
    fn splits_tokens() {
        let t = format!("eyJ.eyK.{}", sig());
        let r = RawToken::split(&t).unwrap();
        assert_eq!(r.header_b64(), "eyJ");
        assert_eq!(r.claims_b64(), "eyK");
        assert_eq!(r.signing_input(), b"eyJ.eyK");
        assert_eq!(r.signature, [1u8; 64]);
        assert!(!r.is_compact());
        let c = format!("..{}", sig());
        assert!(RawToken::split(&c).unwrap().is_compact());
    }

    #[test]
    fn another_alg_is_unsupported_whatever_the_signature_length() {
        let h = B64.encode(br#"{"alg":"ES384","typ":"passport","x5u":"https://a/b"}"#);
        for len in [48, 64, 96, 132] {
            let t = format!("{h}.eyK.{}", B64.encode(vec![1u8; len]));
            match RawToken::split(&t) {
                // 64 bytes splits; the header parser then refuses the alg.
                Ok(_) => assert_eq!(len, 64),
                Err(e) => {
                    assert_eq!(e, Error::UnsupportedAlg("ES384".into()), "{len}");
                    assert_eq!(e.sip_code(), 437);
                }
            }
        }
        let es256 = B64.encode(br#"{"alg":"ES256"}"#);
        let t = format!("{es256}.eyK.{}", B64.encode([1u8; 96]));
        assert_eq!(RawToken::split(&t).unwrap_err().kind(), "token_format");
    }

    #[test]
    fn rejects_malformed_tokens() {
        let s = sig();
        for bad in [
            format!("a.b.c.{s}"),
            format!("a.{s}"),
            s.clone(),
            format!("a.b.{s}="),
            format!("a.b.{s}A"),
            format!("a.b.{}", &s[..s.len() - 1]),
            format!("a .b.{s}"),
            format!("a.b\n.{s}"),
            format!("a+.b.{s}"),
            format!("a/.b.{s}"),
            format!(".b.{s}"),
            format!("a..{s}"),
            format!("a.b.{}", B64.encode([0u8; 65])),
            format!("a.b.{}", B64.encode([0u8; 72])),
            "a.b.".to_string(),
            String::new(),
        ] {
            assert!(
                matches!(RawToken::split(&bad), Err(Error::TokenFormat { .. })),
                "{bad:?}"
            );
        }
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert!(matches!(RawToken::split(&long), Err(Error::Limit { .. })));
    }

    #[test]
    fn decoding_is_canonical() {
        // "QQ" decodes to "A"; "QR" has non-zero trailing bits and must be rejected.
        assert_eq!(decode_part("QQ", Part::Header).unwrap(), b"A");
        assert!(decode_part("QR", Part::Header).is_err());
        assert!(decode_part("QQ==", Part::Header).is_err());
    }
}
