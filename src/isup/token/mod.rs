//! The compact ISUP/BICC form of a PASSporT (ASN.1 module `CliAuthToken`, file
//! `asn/CliAuthToken.asn`) and the lossless conversion between it and the SIP form.
//!
//! # What the compact token carries
//!
//! Only what the far end cannot rebuild from the IAM: the format version, the `ppt`, the
//! `x5u`, `iat`, `attest`, `origid` (16 octets when it is a canonical lower-case UUID, the
//! UTF-8 text otherwise) and the 64-octet ES256 signature. `orig` and `dest` are left out
//! when the IAM's Calling and Called Party Numbers map ([`super::number::NumberMapping`])
//! to exactly the token's `{"tn":"…"}` and `{"tn":["…"]}`; otherwise they are carried
//! explicitly. The `opt` claim of a `div-o` PASSporT (a whole second PASSporT) travels as
//! a nested compact token whose `orig` and `dest` default to the outer token's, and whose
//! header, when it names the same `x5u`, inherits the outer one (`InheritedHeader`). Every
//! further claim (`div`, `rcd`, `crn`, `rcdi`, `mky`, unknown extras, and an `opt` that
//! does not compact) travels as one canonical JSON object
//! ([`crate::passport::json::to_canonical`]); so do unknown JOSE header members. A header
//! without `typ` is flagged (`typAbsent`).
//!
//! The far end rebuilds header and claims as deterministic JSON (RFC 8225 §9). That
//! reproduces the original bytes only when the signer wrote deterministic JSON. When it
//! did not (another key order, whitespace, escapes), the header or the claims are carried
//! verbatim (`verbatim` alternatives: the JSON exactly as signed), which costs size but is
//! always lossless; [`ConvertOptions::allow_verbatim`] turns that into a typed error
//! instead. Before [`CompactToken::from_identity`] returns, it rebuilds the token from
//! the compact value and the same numbers and compares byte for byte (the general path
//! also decodes its own encoding first): a compact token that would not rebuild the
//! signed bytes is never returned.
//!
//! # Cost
//!
//! The common case — an Identity value as [`crate::format_identity`] writes it, holding
//! a SHAKEN or base PASSporT in deterministic JSON — takes a fast path: a scanner for
//! exactly that JSON layout instead of a general JSON parser, the same checks as
//! [`Passport::parse`], then the rebuild comparison. Everything else takes the general
//! path (strict JSON parsing, any members, verbatim parts, nested `opt`). Measured in a
//! release build against one `cliauth::VerifyingKey::verify` (ring, ≈ 52–63 µs here;
//! fastest of 20 batches on a shared 2-core machine, `tests/isup.rs` timing test):
//!
//! | operation | time | share of one ECDSA verify |
//! |---|---|---|
//! | SIP → compact, SHAKEN (fast path, incl. rebuild check) | ≈ 2.4 µs | ≈ 4–5 % |
//! | compact → SIP (decode + rebuild), SHAKEN | ≈ 2.0 µs | ≈ 3–4 % |
//! | UPER encode alone | ≈ 0.9 µs | ≈ 1.5–2 % |
//! | SIP → compact, rcd (general path) | ≈ 11 µs | ≈ 18–20 % |
//! | compact → SIP, rcd | ≈ 2.3 µs | ≈ 4 % |
//!
//! Both gateways must use the same [`super::number::NumberMapping`] (an international-only
//! mapping needs no configuration), or set [`ConvertOptions::explicit_numbers`].
//!
//! # Encoding: unaligned PER
//!
//! The module is encoded with unaligned PER (X.691 UPER), chosen over DER by measurement
//! (rasn 0.30, SHAKEN PASSporT, canonical UUID `origid`, orig/dest rebuilt from the IAM):
//!
//! | x5u length | UPER | APER | DER |
//! |---|---|---|---|
//! | 40 characters | 125 octets | 132 octets | 154 octets |
//! | 255 characters | 314 octets | 347 octets | 375 octets |
//!
//! Only UPER meets the 140-octet target for a 40-character `x5u`: it packs the IA5String
//! `x5u` into 7 bits a character and spends no tag or length octets on fixed-size fields
//! (signature, UUID). Decoding is strict about size ([`MAX_COMPACT_LEN`]), trailing
//! octets, the version and the range of `iat` (an `i64`); unknown extension additions (the
//! `...` markers) are skipped, so later minor versions stay readable. A new `version` value
//! marks an incompatible change and is rejected.
//!
//! The encoding is X.691-conformant for the module as published: `tests/isup_asn1_interop.rs`
//! has two independent ASN.1 compilers (Python's asn1tools and pycrate) decode and
//! re-encode every form byte for byte. Version 2 is the first conformant one; version 1
//! (without the extension bit of `version`, with unconstrained verbatim lengths; the notes
//! in `wire.rs` say why) is refused: no deployment used it.
//!
//! # Layout of this module
//!
//! `wire` (crate-private): the rasn types of the ASN.1 module, their encoding and neutral
//! JSON form; `general`: the general SIP → ISUP path; `fast`: the fast path and its
//! fixed-layout scanners; `json`: the deterministic JSON writer (ISUP → SIP) and the quick
//! JSON reader; `tests`: unit tests.

mod fast;
mod general;
mod json;
#[cfg(test)]
mod tests;
mod wire;

use base64::Engine;
use rasn::types::{FixedOctetString, Integer, OctetString};

use self::general::{Nesting, ParsedToken, rebuilt_claims, rebuilt_header};
use self::json::{claims_bytes, header_bytes, header_json, verbatim_header_info};
use self::wire::{ClaimsPart, CompactPassport, HeaderPart, InheritedHeader, VerbatimJson, ia5};
#[cfg(doc)]
use crate::passport::Passport;
use crate::passport::Ppt;
use crate::passport::jws::B64;
use crate::{Call, IdentityHeader};

/// The compact token format version this module writes and reads.
pub const TOKEN_VERSION: u8 = 2;

/// The largest encoded compact token accepted, in octets.
pub const MAX_COMPACT_LEN: usize = 2048;

/// The largest verbatim JSON part or `other` JSON object, in octets.
pub const MAX_JSON_PART_LEN: usize = 2048;

/// The ASN.1 module, as written to `asn/CliAuthToken.asn`.
pub const ASN1_MODULE: &str = include_str!("../../../asn/CliAuthToken.asn");

/// Why a compact token could not be built, decoded or rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The input is larger than the limit.
    #[error("compact token of {len} octets exceeds the limit of {max}")]
    TooLong {
        /// The input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The octets are not a valid UPER encoding of `CompactPassport` (truncated, corrupt).
    #[error("malformed compact token: {0}")]
    Malformed(String),
    /// Octets follow the encoded value.
    #[error("{0} octets after the compact token")]
    TrailingData(usize),
    /// The token's version is not one this implementation reads.
    #[error("unsupported compact token version {0}")]
    Version(i64),
    /// A field decodes but its content is invalid (bad JSON in `other` or `verbatim`, a
    /// claim given twice, …).
    #[error("invalid compact token: {0}")]
    Invalid(String),
    /// `orig` or `dest` was left out of the token but the IAM has no usable number.
    #[error("the token relies on the IAM's {0} number, which is absent or not mappable")]
    NumberNeeded(&'static str),
    /// The SIP-side token or Identity header is not acceptable (parse error, compact
    /// form, `info` different from `x5u`, …).
    #[error("PASSporT not convertible: {0}")]
    Passport(#[from] crate::Error),
    /// The token cannot be carried losslessly under the options given.
    #[error("not losslessly convertible: {0}")]
    NotLossless(String),
}

// ---------------------------------------------------------------------------------------
// The public conversion API.

/// How [`CompactToken::from_identity`] handles what it cannot rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Carry a non-deterministic header or claims part verbatim (default `true`); when
    /// `false` such a token is a [`TokenError::NotLossless`] error.
    pub allow_verbatim: bool,
    /// Always carry `orig` and `dest` explicitly, even when the IAM numbers rebuild them
    /// (default `false`). Use it when the far end's number mapping is not known to agree.
    pub explicit_numbers: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            allow_verbatim: true,
            explicit_numbers: false,
        }
    }
}

/// A compact token: its ASN.1 value (`CompactPassport`) together with its unaligned PER
/// encoding ([`as_bytes`](Self::as_bytes)). [`describe`](Self::describe) shows the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactToken {
    /// The ASN.1 value.
    pub(crate) value: CompactPassport,
    /// Its UPER encoding.
    pub(crate) bytes: Vec<u8>,
}

/// The SIP form rebuilt from a compact token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipForm {
    /// The full-form PASSporT, byte for byte as signed.
    pub token: String,
    /// The certificate URL (`x5u`).
    pub x5u: String,
    /// The extension, `None` for a base PASSporT.
    pub ppt: Option<Ppt>,
    /// The Identity header value, [`crate::format_identity`] of the above.
    pub identity: String,
}

/// The result of a SIP → ISUP conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The compact token.
    pub token: CompactToken,
    /// Identity header parameters other than `info`, `alg` and `ppt`, which the compact
    /// form does not carry (RFC 8224 §4.1: a verifier ignores them).
    pub dropped_params: Vec<String>,
}

impl CompactToken {
    /// Converts an Identity header value (or a bare full-form token) into a compact token,
    /// using `call` — the IAM's numbers mapped to telephone numbers (`None` where absent or
    /// unmappable) — to leave out `orig` and `dest` when they rebuild exactly.
    ///
    /// The token is parsed strictly but its signature is not checked. The result is
    /// guaranteed to rebuild the token byte for byte from the same numbers.
    pub fn from_identity(
        identity: &str,
        call: &Call<'_>,
        opts: &ConvertOptions,
    ) -> Result<Converted, TokenError> {
        if let Some(token) = fast::fast_convert(identity, call, opts) {
            return Ok(Converted {
                token,
                dropped_params: Vec::new(),
            });
        }
        let h = IdentityHeader::parse(identity)?;
        if h.alg() != crate::passport::header::ALG_ES256 {
            return Err(crate::Error::UnsupportedAlg(h.alg().to_owned()).into());
        }
        if h.is_compact() {
            return Err(TokenError::NotLossless(
                "compact-form token: header and claims are unknown".into(),
            ));
        }
        let parsed = ParsedToken::parse(&h.token)?;
        let x5u = &parsed.passport.header.x5u;
        if let Some(info) = &h.info
            && info != x5u
        {
            return Err(
                crate::Error::BadInfo(format!("info {info:?} differs from x5u {x5u:?}")).into(),
            );
        }
        if let Some(ppt) = &h.ppt
            && Some(ppt.as_str()) != parsed.passport.header.ppt.map(Ppt::as_str)
        {
            return Err(crate::Error::UnsupportedPpt(format!(
                "ppt parameter {ppt:?} differs from the token's"
            ))
            .into());
        }
        let dropped_params = h.params.iter().map(|(k, _)| k.clone()).collect();
        let token = Self::from_parsed(&h.token, parsed, call, opts, Nesting::Outer)?;
        Ok(Converted {
            token,
            dropped_params,
        })
    }

    /// Builds the compact form of a parsed token: an outer token may compact its `opt`
    /// claim (one level only); a nested one may inherit the outer token's `x5u`.
    fn from_parsed(
        token: &str,
        parsed: ParsedToken,
        call: &Call<'_>,
        opts: &ConvertOptions,
        nesting: Nesting<'_>,
    ) -> Result<CompactToken, TokenError> {
        let ParsedToken {
            signature,
            header_json,
            claims_json,
            header_map,
            claims_map,
            ..
        } = parsed;
        let outer_x5u = match nesting {
            Nesting::Inner { outer_x5u } => Some(outer_x5u),
            Nesting::Outer => None,
        };
        let header = match rebuilt_header(header_map) {
            Some(h) if header_bytes(&h)? == header_json => match outer_x5u {
                Some(x5u) if ia5(&h.x5u) == x5u => HeaderPart::Inherited(InheritedHeader {
                    ppt: h.ppt,
                    typ_absent: h.typ_absent,
                    other: h.other,
                }),
                _ => HeaderPart::Rebuilt(h),
            },
            _ => HeaderPart::Verbatim(verbatim(&header_json, "header", opts)?),
        };
        // This token's x5u: what a nested opt token may inherit.
        // Needed only when an `opt` token may be nested: no work for other tokens.
        let own_x5u = match (&header, outer_x5u) {
            _ if !claims_map.contains_key("opt") => None,
            (HeaderPart::Rebuilt(h), _) => Some(h.x5u.to_string()),
            (HeaderPart::Verbatim(b), _) => verbatim_header_info(&b.0).ok().map(|(x5u, _)| x5u),
            (_, outer) => outer.map(str::to_owned),
        };
        let nest = match nesting {
            Nesting::Outer => own_x5u
                .as_deref()
                .map(|x5u| Nesting::Inner { outer_x5u: x5u }),
            Nesting::Inner { .. } => None,
        };
        let numbers = if opts.explicit_numbers {
            Call::default()
        } else {
            *call
        };
        let claims = match rebuilt_claims(claims_map, &numbers, opts, nest) {
            Some(c) if claims_bytes(&c, &numbers, own_x5u.as_deref())? == claims_json => {
                ClaimsPart::Rebuilt(c)
            }
            _ => ClaimsPart::Verbatim(verbatim(&claims_json, "claims", opts)?),
        };
        let value = CompactPassport {
            version: Integer::from(TOKEN_VERSION),
            header,
            claims,
            signature: FixedOctetString::new(signature),
        };
        let bytes = wire::encode(&value)?;
        if bytes.len() > MAX_COMPACT_LEN {
            return Err(TokenError::TooLong {
                len: bytes.len(),
                max: MAX_COMPACT_LEN,
            });
        }
        // The guarantee: what we hand out decodes and rebuilds the received token exactly.
        let back = CompactToken::decode(&bytes)?;
        let rebuilt = back.rebuild_in(call, outer_x5u)?;
        if rebuilt.token != token {
            return Err(TokenError::NotLossless(
                "the compact token does not rebuild the original".into(),
            ));
        }
        Ok(CompactToken { value, bytes })
    }

    /// Decodes a compact token (UPER), checking the size limit, trailing octets, the
    /// version and that `iat` fits an `i64`. The rest of the content is checked when it
    /// is rebuilt.
    pub fn decode(bytes: &[u8]) -> Result<CompactToken, TokenError> {
        if bytes.len() > MAX_COMPACT_LEN {
            return Err(TokenError::TooLong {
                len: bytes.len(),
                max: MAX_COMPACT_LEN,
            });
        }
        let (value, rest) = wire::decode(bytes)?;
        if !rest.is_empty() {
            return Err(TokenError::TrailingData(rest.len()));
        }
        if value.version != Integer::from(TOKEN_VERSION) {
            return Err(TokenError::Version(
                i64::try_from(&value.version).unwrap_or(i64::MAX),
            ));
        }
        // `iat` is an `i64` in the SIP form. A larger one could never be rebuilt, and rasn
        // could not even re-encode one beyond `i128`: refused here, so that every decoded
        // token re-encodes to the octets received.
        if let ClaimsPart::Rebuilt(c) = &value.claims
            && i64::try_from(&c.iat).is_err()
        {
            return Err(TokenError::Invalid("iat out of range".into()));
        }
        Ok(CompactToken {
            value,
            bytes: bytes.to_vec(),
        })
    }

    /// The encoding (unaligned PER), as carried in the IAM.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The encoding, consuming the token.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The token's ASN.1 value in a neutral JSON form, for display and for comparison
    /// with other ASN.1 tools: a SEQUENCE is an object of its present components (named
    /// as in `asn/CliAuthToken.asn`; `typAbsent` only when `TRUE`), a CHOICE is
    /// `{"<alternative>": value}`, an OCTET STRING lower-case hex (`opt` too, which holds
    /// an encoded nested token), an ENUMERATED value its identifier; strings, integers
    /// and booleans are themselves.
    ///
    /// ```
    /// # use cliauth::isup::{CompactToken, ConvertOptions};
    /// # use cliauth::{Attest, Call, Signer, SigningKey};
    /// let (key, _) = SigningKey::generate()?;
    /// let signer = Signer::new(key, "https://cert.example.org/sp.pem")?;
    /// let id = signer.sign_shaken("12155551212", &["12155551213"], Attest::B, None, 1)?;
    /// let call = Call::new("12155551212", "12155551213");
    /// let t = CompactToken::from_identity(&id.identity(), &call, &ConvertOptions::default())?;
    /// let v = t.token.describe();
    /// assert_eq!(v["version"], 2);
    /// assert_eq!(v["header"]["rebuilt"]["ppt"], "shaken");
    /// assert_eq!(v["claims"]["rebuilt"]["attest"], "b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe(&self) -> serde_json::Value {
        self.value.to_json()
    }

    /// Encodes the token's value again: the canonical unaligned PER encoding, which is
    /// [`as_bytes`](Self::as_bytes) for every token this library builds, and for a
    /// decoded one unless the sender set padding bits, sent a DEFAULT value or extension
    /// additions this version does not know.
    pub fn reencode(&self) -> Result<Vec<u8>, TokenError> {
        wire::encode(&self.value)
    }

    /// The encoded size in octets.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the encoding is empty (never, for a decoded or built token).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Rebuilds the full-form PASSporT and its Identity header value, taking `orig` and
    /// `dest` from `call` (the IAM's numbers mapped to telephone numbers) where the compact
    /// token leaves them out.
    pub fn rebuild(&self, call: &Call<'_>) -> Result<SipForm, TokenError> {
        self.rebuild_in(call, None)
    }

    /// [`rebuild`](Self::rebuild) for a token nested in one whose `x5u` is `outer_x5u`.
    fn rebuild_in(&self, call: &Call<'_>, outer_x5u: Option<&str>) -> Result<SipForm, TokenError> {
        let v = &self.value;
        let (header_json, x5u, ppt) = match &v.header {
            HeaderPart::Rebuilt(h) => {
                // The same check as for a verbatim header (`Header::from_json`): the x5u
                // goes into the Identity header's `info` as it is, so a control character
                // (CR LF) or a `>` must never reach the SIP side.
                crate::passport::header::check_url(ia5(&h.x5u)).map_err(crate::Error::Header)?;
                (header_bytes(h)?, h.x5u.to_string(), h.ppt.map(Ppt::from))
            }
            HeaderPart::Verbatim(b) => {
                let (x5u, ppt) = verbatim_header_info(&b.0)?;
                (b.0.to_vec(), x5u, ppt)
            }
            HeaderPart::Inherited(h) => {
                let x5u = outer_x5u.ok_or_else(|| {
                    TokenError::Invalid("an inherited header outside a nested opt token".into())
                })?;
                let json = header_json(h.ppt, h.typ_absent, x5u, &h.other)?;
                (json, x5u.to_owned(), h.ppt.map(Ppt::from))
            }
        };
        let claims_json = match &v.claims {
            ClaimsPart::Rebuilt(c) => claims_bytes(c, call, Some(&x5u))?,
            ClaimsPart::Verbatim(b) => b.0.to_vec(),
        };
        let mut token =
            String::with_capacity((header_json.len() + claims_json.len() + 64) * 4 / 3 + 8);
        B64.encode_string(&header_json, &mut token);
        token.push('.');
        B64.encode_string(&claims_json, &mut token);
        token.push('.');
        B64.encode_string(*v.signature, &mut token);
        let identity = crate::format_identity(&token, &x5u, ppt);
        Ok(SipForm {
            token,
            x5u,
            ppt,
            identity,
        })
    }
}

/// The verbatim form of a part that has no rebuilt form.
fn verbatim(json: &[u8], part: &str, opts: &ConvertOptions) -> Result<VerbatimJson, TokenError> {
    if !opts.allow_verbatim {
        return Err(TokenError::NotLossless(format!(
            "the {part} is not deterministic JSON and verbatim carriage is off"
        )));
    }
    if json.len() > MAX_JSON_PART_LEN {
        return Err(TokenError::TooLong {
            len: json.len(),
            max: MAX_JSON_PART_LEN,
        });
    }
    Ok(VerbatimJson(OctetString::from(json.to_vec())))
}
