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
//! | 255 characters | 313 octets | 347 octets | 375 octets |
//!
//! Only UPER meets the 140-octet target for a 40-character `x5u`: it packs the IA5String
//! `x5u` into 7 bits a character and spends no tag or length octets on fixed-size fields
//! (signature, UUID). Decoding is strict about size ([`MAX_COMPACT_LEN`]), trailing
//! octets, the version and the range of `iat` (an `i64`); unknown extension additions (the
//! `...` markers) are skipped, so later minor versions stay readable. A new `version` value
//! marks an incompatible change and is rejected.

use crate::error::Part;
use crate::passport::json::{parse_object, to_canonical};
use crate::passport::jws::{B64, RawToken};
use crate::passport::{Passport, Ppt};
use crate::{Call, IdentityHeader};
use base64::Engine;
use rasn::prelude::*;
use serde_json::{Map, Value};

/// The compact token format version this module writes and reads.
pub const TOKEN_VERSION: u8 = 1;

/// The largest encoded compact token accepted, in octets.
pub const MAX_COMPACT_LEN: usize = 2048;

/// The largest verbatim JSON part or `other` JSON object, in octets.
pub const MAX_JSON_PART_LEN: usize = 2048;

/// The ASN.1 module, as written to `asn/CliAuthToken.asn`.
pub const ASN1_MODULE: &str = include_str!("../../asn/CliAuthToken.asn");

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
// The ASN.1 types (see asn/CliAuthToken.asn).

/// `CompactPassport`: a PASSporT in compact ISUP/BICC form.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct CompactPassport {
    /// `version Version`: [`TOKEN_VERSION`].
    #[rasn(value("1..=15", extensible))]
    pub version: u8,
    /// `header HeaderPart`.
    pub header: HeaderPart,
    /// `claims ClaimsPart`.
    pub claims: ClaimsPart,
    /// `signature OCTET STRING (SIZE (64))`: the ES256 signature `r‖s`.
    pub signature: FixedOctetString<64>,
}

/// `HeaderPart`: the JOSE header, rebuilt or verbatim.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub enum HeaderPart {
    /// `rebuilt RebuiltHeader`: the far end writes deterministic JSON.
    Rebuilt(RebuiltHeader),
    /// `verbatim OCTET STRING (SIZE (1..2048))`: the header JSON exactly as signed.
    Verbatim(#[rasn(size("1..=2048"))] OctetString),
    /// `inherited InheritedHeader` (extension addition): only in the nested `opt` token of
    /// a `div-o` PASSporT, a rebuilt header whose `x5u` is the outer token's.
    #[rasn(extension_addition)]
    Inherited(InheritedHeader),
}

/// `InheritedHeader`: a [`RebuiltHeader`] without `x5u`, which is the outer token's.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct InheritedHeader {
    /// `ppt WirePpt OPTIONAL`: absent for a base PASSporT.
    pub ppt: Option<WirePpt>,
    /// `typAbsent BOOLEAN DEFAULT FALSE`: the header has no `typ` member.
    #[rasn(default)]
    pub typ_absent: bool,
    /// `other UTF8String (SIZE (1..2048)) OPTIONAL`: further header members, as a
    /// canonical JSON object.
    #[rasn(size("1..=2048"))]
    pub other: Option<Utf8String>,
}

/// `RebuiltHeader`: what the far end needs to write the header.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct RebuiltHeader {
    /// `ppt WirePpt OPTIONAL`: absent for a base PASSporT.
    pub ppt: Option<WirePpt>,
    /// `x5u IA5String (SIZE (1..2048))`.
    #[rasn(size("1..=2048"))]
    pub x5u: Ia5String,
    /// `typAbsent BOOLEAN DEFAULT FALSE`: the header has no `typ` member.
    #[rasn(default)]
    pub typ_absent: bool,
    /// `other UTF8String (SIZE (1..2048)) OPTIONAL`: further header members, as a
    /// canonical JSON object.
    #[rasn(size("1..=2048"))]
    pub other: Option<Utf8String>,
}

/// `WirePpt`: the PASSporT extension.
#[derive(AsnType, Encode, Decode, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[rasn(enumerated)]
#[non_exhaustive]
pub enum WirePpt {
    /// `shaken` (RFC 8588).
    Shaken,
    /// `div` (RFC 8946).
    Div,
    /// `div-o` (RFC 8946 §8).
    DivO,
    /// `rcd` (RFC 9795).
    Rcd,
}

/// `ClaimsPart`: the claims, rebuilt or verbatim.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub enum ClaimsPart {
    /// `rebuilt RebuiltClaims`: the far end writes deterministic JSON.
    Rebuilt(RebuiltClaims),
    /// `verbatim OCTET STRING (SIZE (1..2048))`: the claims JSON exactly as signed.
    Verbatim(#[rasn(size("1..=2048"))] OctetString),
}

/// `RebuiltClaims`: what the far end needs, besides the IAM, to write the claims.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct RebuiltClaims {
    /// `iat INTEGER (0..MAX)`.
    #[rasn(value("0.."))]
    pub iat: Integer,
    /// `attest WireAttest OPTIONAL`.
    pub attest: Option<WireAttest>,
    /// `origid OrigId OPTIONAL`.
    pub origid: Option<OrigId>,
    /// `orig WireParty OPTIONAL`: absent means `{"tn": <Calling Party Number>}`.
    pub orig: Option<WireParty>,
    /// `dest WireDest OPTIONAL`: absent means `{"tn": [<Called Party Number>]}`.
    pub dest: Option<WireDest>,
    /// `opt OCTET STRING (SIZE (1..1024)) (CONTAINING CompactPassport) OPTIONAL`: the
    /// `opt` claim of a `div-o` PASSporT (the original PASSporT) as a nested compact
    /// token whose `orig` and `dest` default to this token's.
    #[rasn(size("1..=1024"))]
    pub opt: Option<OctetString>,
    /// `other UTF8String (SIZE (1..2048)) OPTIONAL`: every further claim, as a canonical
    /// JSON object.
    #[rasn(size("1..=2048"))]
    pub other: Option<Utf8String>,
}

/// `WireAttest`: the SHAKEN attestation level.
#[derive(AsnType, Encode, Decode, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[rasn(enumerated)]
#[non_exhaustive]
pub enum WireAttest {
    /// `a`.
    A,
    /// `b`.
    B,
    /// `c`.
    C,
}

/// `OrigId`: the SHAKEN origination identifier.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub enum OrigId {
    /// `uuid OCTET STRING (SIZE (16))`: a canonical lower-case UUID string.
    Uuid(FixedOctetString<16>),
    /// `text UTF8String (SIZE (1..1024))`: any other string.
    Text(#[rasn(size("1..=1024"))] Utf8String),
}

/// `Tn ::= IA5String (SIZE (1..64))`: a telephone number exactly as in the token.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, size("1..=64"))]
pub struct WireTn(pub Ia5String);

/// `Uri ::= UTF8String (SIZE (1..2048))`: a URI exactly as in the token.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, size("1..=2048"))]
pub struct WireUri(pub Utf8String);

/// `WireParty`: an explicit `orig` identity.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub enum WireParty {
    /// `tn Tn`: `{"tn": …}`.
    Tn(WireTn),
    /// `uri Uri`: `{"uri": …}`.
    Uri(WireUri),
}

/// `WireDest`: an explicit `dest`; an empty list means the member is absent.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct WireDest {
    /// `tn SEQUENCE (SIZE (0..32)) OF Tn`.
    #[rasn(size("0..=32"))]
    pub tn: SequenceOf<WireTn>,
    /// `uri SEQUENCE (SIZE (0..32)) OF Uri`.
    #[rasn(size("0..=32"))]
    pub uri: SequenceOf<WireUri>,
}

impl From<Ppt> for WirePpt {
    fn from(p: Ppt) -> WirePpt {
        match p {
            Ppt::Shaken => WirePpt::Shaken,
            Ppt::Div => WirePpt::Div,
            Ppt::DivO => WirePpt::DivO,
            Ppt::Rcd => WirePpt::Rcd,
        }
    }
}

impl From<WirePpt> for Ppt {
    fn from(p: WirePpt) -> Ppt {
        match p {
            WirePpt::Shaken => Ppt::Shaken,
            WirePpt::Div => Ppt::Div,
            WirePpt::DivO => Ppt::DivO,
            WirePpt::Rcd => Ppt::Rcd,
        }
    }
}

impl WireAttest {
    fn as_str(self) -> &'static str {
        match self {
            WireAttest::A => "A",
            WireAttest::B => "B",
            WireAttest::C => "C",
        }
    }
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

/// A compact token together with its encoding. Made only by [`CompactToken::decode`] and
/// [`CompactToken::from_identity`], so `bytes` is always the UPER encoding of `value`,
/// within the size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactToken {
    value: CompactPassport,
    bytes: Vec<u8>,
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
        if let Some(token) = fast_convert(identity, call, opts) {
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
            (HeaderPart::Verbatim(b), _) => verbatim_header_info(b).ok().map(|(x5u, _)| x5u),
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
            version: TOKEN_VERSION,
            header,
            claims,
            signature: FixedOctetString::new(signature),
        };
        let bytes = rasn::uper::encode(&value)
            .map_err(|e| TokenError::Invalid(format!("cannot encode: {e}")))?;
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
        let (value, rest) = rasn::uper::decode_with_remainder::<CompactPassport>(bytes)
            .map_err(|e| TokenError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(TokenError::TrailingData(rest.len()));
        }
        if value.version != TOKEN_VERSION {
            return Err(TokenError::Version(i64::from(value.version)));
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

    /// The ASN.1 value.
    pub fn value(&self) -> &CompactPassport {
        &self.value
    }

    /// Its UPER encoding.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its UPER encoding, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
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
                let (x5u, ppt) = verbatim_header_info(b)?;
                (b.to_vec(), x5u, ppt)
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
            ClaimsPart::Verbatim(b) => b.to_vec(),
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
fn verbatim(json: &[u8], part: &str, opts: &ConvertOptions) -> Result<OctetString, TokenError> {
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
    Ok(OctetString::from(json.to_vec()))
}

const HEADER_KEYS: [&str; 4] = ["alg", "typ", "ppt", "x5u"];
const CLAIM_KEYS: [&str; 5] = ["iat", "attest", "origid", "orig", "dest"];

/// The rebuilt form of a parsed header, `None` when it has no such form.
fn rebuilt_header(mut m: Map<String, Value>) -> Option<RebuiltHeader> {
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
    let x5u = Ia5String::from_iso646_bytes(x5u.as_bytes()).ok()?;
    let other = other_json(m)?;
    Some(RebuiltHeader {
        ppt,
        x5u,
        typ_absent,
        other,
    })
}

/// The rebuilt form of parsed claims, `None` when they have no such form.
fn rebuilt_claims(
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
        Some(Value::String(a)) => Some(match a.as_str() {
            "A" => WireAttest::A,
            "B" => WireAttest::B,
            "C" => WireAttest::C,
            _ => return None,
        }),
        Some(_) => return None,
    };
    let origid = match m.remove("origid") {
        None => None,
        Some(Value::String(o)) => Some(match uuid_bytes(&o) {
            Some(b) => OrigId::Uuid(FixedOctetString::new(b)),
            None if !o.is_empty() && o.len() <= 1024 => OrigId::Text(o),
            None => return None,
        }),
        Some(_) => return None,
    };
    let orig = match m.remove("orig")? {
        Value::Object(o) if o.len() == 1 => match o.into_iter().next()? {
            (k, Value::String(tn)) if k == "tn" && call.orig == Some(tn.as_str()) => None,
            (k, Value::String(tn)) if k == "tn" && !tn.is_empty() && tn.len() <= 64 => Some(
                WireParty::Tn(WireTn(Ia5String::from_iso646_bytes(tn.as_bytes()).ok()?)),
            ),
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
                            "tn" if s.len() <= 64 => {
                                d.tn.push(WireTn(Ia5String::from_iso646_bytes(s.as_bytes()).ok()?))
                            }
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
enum Nesting<'a> {
    /// A token of its own (it may carry a nested `opt` token).
    Outer,
    /// The `opt` token inside a `div-o` token whose `x5u` is `outer_x5u`.
    Inner { outer_x5u: &'a str },
}

/// The numbers a nested `opt` token is rebuilt with: the outer token's `orig` telephone
/// number and its `dest` when that is a single telephone number.
fn inner_call(orig: Option<&Value>, dest: Option<&Value>) -> (Option<String>, Option<String>) {
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
fn compact_opt(
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
    };
    let inner = CompactToken::from_parsed(token, parsed, &call, opts, nesting).ok()?;
    (inner.bytes.len() <= 1024).then(|| OctetString::from(inner.bytes))
}

/// The fast path of [`CompactToken::from_identity`] for the common case: an Identity
/// value in the canonical form of [`crate::format_identity`] (or a bare token) holding a
/// SHAKEN or base PASSporT in deterministic JSON with no further members. It reads the
/// two JSON parts with a scanner for exactly that layout, applies the checks
/// [`Passport::parse`] would, rebuilds both parts from the compact value and compares them
/// byte for byte with the received ones. `None` sends the token down the general path,
/// which also produces every error.
fn fast_convert(identity: &str, call: &Call<'_>, opts: &ConvertOptions) -> Option<CompactToken> {
    let token = identity.split(';').next()?;
    if token.len() > crate::limits::MAX_TOKEN_LEN {
        return None;
    }
    // Three non-empty base64url parts (the strict decoder rejects anything else).
    let mut parts = token.split('.');
    let (h, c, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.is_empty() || c.is_empty() {
        return None;
    }
    let header_json = B64.decode(h).ok()?;
    let claims_json = B64.decode(c).ok()?;
    let mut signature = [0u8; 64];
    if B64.decode_slice(sig, &mut signature).ok()? != 64 {
        return None;
    }
    let (ppt, typ_absent, x5u) = scan_header(&header_json)?;
    if let Some(params) = identity.get(token.len()..).filter(|p| !p.is_empty()) {
        // Exactly `;info=<x5u>;alg=ES256[;ppt=…]`, as format_identity writes it.
        let rest = params.strip_prefix(";info=<")?.strip_prefix(x5u)?;
        let rest = rest.strip_prefix(">;alg=ES256")?;
        let ok = match ppt {
            None => rest.is_empty(),
            Some(p) => rest.strip_prefix(";ppt=") == Some(p.as_str()),
        };
        if !ok {
            return None;
        }
    }
    crate::passport::header::check_url(x5u).ok()?;
    let c = scan_claims(&claims_json)?;
    match ppt {
        None => {}
        Some(Ppt::Shaken) if c.attest.is_some() && c.origid.is_some() => {}
        _ => return None,
    }
    for tn in std::iter::once(c.orig).chain(c.dest.iter().copied()) {
        crate::tn::Tn::parse(tn).ok()?;
    }
    let numbers = if opts.explicit_numbers {
        Call::default()
    } else {
        *call
    };
    let ia5 = |s: &str| Ia5String::from_iso646_bytes(s.as_bytes()).ok();
    let header = RebuiltHeader {
        ppt: ppt.map(WirePpt::from),
        x5u: ia5(x5u)?,
        typ_absent,
        other: None,
    };
    let orig = if numbers.orig == Some(c.orig) {
        None
    } else {
        Some(WireParty::Tn(WireTn(ia5(c.orig)?)))
    };
    let dest = if c.dest.len() == 1 && numbers.dest == Some(c.dest[0]) {
        None
    } else {
        let tn = c
            .dest
            .iter()
            .map(|t| ia5(t).map(WireTn))
            .collect::<Option<Vec<_>>>()?;
        Some(WireDest {
            tn,
            uri: Vec::new(),
        })
    };
    let origid = c.origid.map(|o| match uuid_bytes(o) {
        Some(b) => OrigId::Uuid(FixedOctetString::new(b)),
        None => OrigId::Text(o.to_owned()),
    });
    let attest = match c.attest {
        None => None,
        Some("A") => Some(WireAttest::A),
        Some("B") => Some(WireAttest::B),
        Some("C") => Some(WireAttest::C),
        Some(_) => return None,
    };
    let claims = RebuiltClaims {
        iat: Integer::from(c.iat),
        attest,
        origid,
        orig,
        dest,
        opt: None,
        other: None,
    };
    // The rebuild check: both parts, byte for byte (the signature is copied as is).
    if header_bytes(&header).ok()? != header_json
        || claims_bytes(&claims, &numbers, None).ok()? != claims_json
    {
        return None;
    }
    let value = CompactPassport {
        version: TOKEN_VERSION,
        header: HeaderPart::Rebuilt(header),
        claims: ClaimsPart::Rebuilt(claims),
        signature: FixedOctetString::new(signature),
    };
    let bytes = rasn::uper::encode(&value).ok()?;
    // That the encoding reads back as the same value is rasn's round-trip property (the
    // general path checks it explicitly; the tests check it for every shape).
    debug_assert_eq!(
        CompactToken::decode(&bytes).map(|t| t.value),
        Ok(value.clone())
    );
    Some(CompactToken { value, bytes })
}

/// Reads a deterministic header `{"alg":"ES256"[,"ppt":…][,"typ":"passport"],"x5u":…}`.
fn scan_header(b: &[u8]) -> Option<(Option<Ppt>, bool, &str)> {
    let mut s = Scan { b, i: 0 };
    s.lit(br#"{"alg":"ES256""#)?;
    let ppt = if s.lit(br#","ppt":"#).is_some() {
        Some(Ppt::from_name(s.str()?)?)
    } else {
        None
    };
    let typ_absent = s.lit(br#","typ":"passport""#).is_none();
    s.lit(br#","x5u":"#)?;
    let x5u = s.str()?;
    s.lit(b"}")?;
    s.end()?;
    Some((ppt, typ_absent, x5u))
}

/// The claims [`scan_claims`] reads.
struct ScannedClaims<'a> {
    attest: Option<&'a str>,
    dest: Vec<&'a str>,
    iat: i64,
    orig: &'a str,
    origid: Option<&'a str>,
}

/// Reads deterministic claims `{["attest":…,]"dest":{"tn":[…]},"iat":…,"orig":{"tn":…}
/// [,"origid":…]}`.
fn scan_claims(b: &[u8]) -> Option<ScannedClaims<'_>> {
    let mut s = Scan { b, i: 0 };
    s.lit(b"{")?;
    let attest = if s.lit(br#""attest":"#).is_some() {
        let a = s.str()?;
        s.lit(b",")?;
        Some(a)
    } else {
        None
    };
    s.lit(br#""dest":{"tn":["#)?;
    let mut dest = vec![s.str()?];
    while s.lit(b",").is_some() {
        if dest.len() == 32 {
            return None;
        }
        dest.push(s.str()?);
    }
    s.lit(br#"]},"iat":"#)?;
    let iat = s.int()?;
    s.lit(br#","orig":{"tn":"#)?;
    let orig = s.str()?;
    s.lit(b"}")?;
    let origid = if s.lit(br#","origid":"#).is_some() {
        Some(s.str()?)
    } else {
        None
    };
    s.lit(b"}")?;
    s.end()?;
    if [orig]
        .iter()
        .chain(&dest)
        .chain(&origid)
        .any(|v| v.is_empty())
        || origid.is_some_and(|o| o.len() > crate::limits::MAX_CLAIM_STRING_LEN)
    {
        return None;
    }
    Some(ScannedClaims {
        attest,
        dest,
        iat,
        orig,
        origid,
    })
}

/// A cursor over JSON in one fixed layout.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    fn lit(&mut self, l: &[u8]) -> Option<()> {
        if self.b[self.i..].starts_with(l) {
            self.i += l.len();
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes or control characters.
    fn str(&mut self) -> Option<&'a str> {
        self.lit(b"\"")?;
        let start = self.i;
        let len = self.b[start..].iter().position(|&c| c == b'"')?;
        let body = &self.b[start..start + len];
        if body.iter().any(|&c| c == b'\\' || c < 0x20) {
            return None;
        }
        self.i = start + len + 1;
        std::str::from_utf8(body).ok()
    }

    /// A non-negative integer without leading zeros that fits an `i64`.
    fn int(&mut self) -> Option<i64> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let d = &self.b[start..self.i];
        if d.is_empty() || (d.len() > 1 && d[0] == b'0') {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    }

    fn end(&self) -> Option<()> {
        (self.i == self.b.len()).then_some(())
    }
}

/// A full-form token split, decoded, parsed strictly and checked as a PASSporT (the
/// checks of [`Passport::parse`]), keeping the JSON as received.
struct ParsedToken {
    signature: [u8; 64],
    header_json: Vec<u8>,
    claims_json: Vec<u8>,
    header_map: Map<String, Value>,
    claims_map: Map<String, Value>,
    passport: Passport,
}

impl ParsedToken {
    fn parse(token: &str) -> Result<ParsedToken, TokenError> {
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

/// A fast reader for the JSON subset deterministic signers write: no whitespace, strings
/// without escapes, non-negative integers, objects and arrays, nesting and size bounded.
/// It answers `None` whenever the input leaves that subset (or has a repeated member);
/// the strict parser then decides. What it accepts, it reads exactly as the strict parser
/// would.
fn quick_object(b: &[u8]) -> Option<Map<String, Value>> {
    let mut q = Quick { b, i: 0 };
    let v = q.value(0)?;
    match v {
        Value::Object(m) if q.i == b.len() => Some(m),
        _ => None,
    }
}

struct Quick<'a> {
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
fn other_json(m: Map<String, Value>) -> Option<Option<String>> {
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
fn parse_other(
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
fn header_bytes(h: &RebuiltHeader) -> Result<Vec<u8>, TokenError> {
    header_json(h.ppt, h.typ_absent, ia5(&h.x5u), &h.other)
}

/// The deterministic header JSON from its parts.
fn header_json(
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
fn claims_bytes(
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
                OrigId::Text(t) => Frag::Str(t),
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
        };
        opt = inner.rebuild_in(&call, x5u)?.token;
        members.push(("opt", Frag::Str(&opt)));
    }
    push_other(&mut members, &other)?;
    Ok(write_object(members))
}

/// A member value of a deterministic JSON object.
enum Frag<'a> {
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

/// The text of an IA5String (always ASCII).
fn ia5(s: &Ia5String) -> &str {
    std::str::from_utf8(s.as_iso646_bytes()).unwrap_or_default()
}

/// Writes a JSON string literal as the library's deterministic writer spells it.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
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
fn json_array<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
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
fn push_other<'a>(
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
fn write_object(mut members: Vec<(&str, Frag<'_>)>) -> Vec<u8> {
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
fn verbatim_header_info(json: &[u8]) -> Result<(String, Option<Ppt>), TokenError> {
    let m = parse_object(json, Part::Header)?;
    let h = crate::Header::from_json(m)?;
    Ok((h.x5u, h.ppt))
}

/// The 16 octets of a canonical lower-case UUID string (8-4-4-4-12 hex digits).
pub fn uuid_bytes(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut n = 0;
    let mut i = 0;
    while i < 36 {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b[i] != b'-' {
                return None;
            }
            i += 1;
            continue;
        }
        let hi = lower_hex(b[i])?;
        let lo = lower_hex(b[i + 1])?;
        out[n] = (hi << 4) | lo;
        n += 1;
        i += 2;
    }
    Some(out)
}

fn lower_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The canonical lower-case string of a UUID's 16 octets.
pub fn uuid_string(b: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(HEX[usize::from(byte >> 4)] as char);
        s.push(HEX[usize::from(byte & 0xf)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attest, Claims, Dest, Party, Rcd, Signer, SigningKey, Verifier};
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;
    const X5U40: &str = "https://cert.example.org/sti/sp-0042.pem";

    fn signer(x5u: &str) -> (Signer, Verifier) {
        let (k, _) = SigningKey::generate().unwrap();
        let v = Verifier::with_key(k.verifying_key());
        (Signer::new(k, x5u).unwrap(), v)
    }

    fn call() -> Call<'static> {
        Call::new("12155551212", "12155551213")
    }

    /// A token signed by hand from header and claims JSON text.
    fn hand_token(key: &SigningKey, header: &str, claims: &str) -> String {
        let mut t = B64.encode(header);
        t.push('.');
        B64.encode_string(claims, &mut t);
        let sig = key.sign(t.as_bytes()).unwrap();
        t.push('.');
        B64.encode_string(sig, &mut t);
        t
    }

    #[test]
    fn asn1_module_matches() {
        assert!(ASN1_MODULE.contains("CompactPassport ::= SEQUENCE"));
        assert_eq!(X5U40.len(), 40);
    }

    /// The sizes quoted in the module documentation.
    #[test]
    fn per_versus_der_sizes() {
        for (n, uper, aper, der) in [(40, 125, 132, 154), (255, 313, 347, 375)] {
            let x5u = format!("https://cert.example.org/{}", "p".repeat(n - 25));
            assert_eq!(x5u.len(), n);
            let signed = signer(&x5u)
                .0
                .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
                .unwrap();
            let t =
                CompactToken::from_identity(signed.token(), &call(), &ConvertOptions::default())
                    .unwrap()
                    .token;
            let sizes = (
                t.len(),
                rasn::aper::encode(&t.value).unwrap().len(),
                rasn::der::encode(&t.value).unwrap().len(),
            );
            println!("x5u {n}: UPER {} APER {} DER {}", sizes.0, sizes.1, sizes.2);
            assert_eq!(sizes, (uper, aper, der), "x5u {n}");
            assert_eq!(
                rasn::der::decode::<CompactPassport>(&rasn::der::encode(&t.value).unwrap())
                    .unwrap(),
                t.value
            );
        }
    }

    #[test]
    fn quick_reader_agrees_with_the_strict_one() {
        for ok in [
            r#"{}"#,
            r#"{"a":"b","c":[1,"x",{"d":[]}],"e":0,"f":18446744073709551615}"#,
            r#"{"attest":"A","dest":{"tn":["1"]},"iat":1700000000,"orig":{"tn":"2"}}"#,
            r#"{"nam":"Ä ö 😀"}"#,
        ] {
            assert_eq!(
                quick_object(ok.as_bytes()),
                Some(parse_object(ok.as_bytes(), Part::Claims).unwrap()),
                "{ok}"
            );
        }
        for other in [
            r#"{"a": 1}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":-1}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":01}"#,
            r#"{"a":true}"#,
            r#"{"a":null}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":[[[[1]]]]}"#,
            r#"{"a":1}x"#,
            r#"["a"]"#,
            r#"{"a":"b"#,
            r#"{"a":"b",}"#,
            "{\"a\":\"\u{1}\"}",
            "",
        ] {
            assert_eq!(quick_object(other.as_bytes()), None, "{other}");
        }
        assert_eq!(quick_object(b"{\"a\":\"\xff\"}"), None);
    }

    #[test]
    fn uuid_forms() {
        let u = "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10";
        let b = uuid_bytes(u).unwrap();
        assert_eq!(uuid_string(&b), u);
        for bad in [
            "0D4B8F8A-8B8E-4F1E-9B1E-5D2B6C9B2A10",
            "0d4b8f8a8b8e4f1e9b1e5d2b6c9b2a10",
            "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a1",
            "0d4b8f8a-8b8e-4f1e-9b1e_5d2b6c9b2a10",
            "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a1g",
        ] {
            assert_eq!(uuid_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn shaken_round_trip_and_size() {
        let (s, v) = signer(X5U40);
        let signed = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let c =
            CompactToken::from_identity(&signed.identity(), &call(), &ConvertOptions::default())
                .unwrap();
        assert!(c.dropped_params.is_empty());
        let t = c.token;
        // The fast path takes it and agrees with the general one.
        let fast = fast_convert(&signed.identity(), &call(), &ConvertOptions::default());
        assert_eq!(fast.as_ref(), Some(&t));
        let general = CompactToken::from_identity(
            &format!("{};ppt=shaken;info=<{X5U40}>", signed.token()),
            &call(),
            &ConvertOptions::default(),
        )
        .unwrap();
        assert_eq!(general.token, t);
        assert!(t.len() <= 140, "{} octets", t.len());
        assert!(matches!(t.value.header, HeaderPart::Rebuilt(_)));
        let ClaimsPart::Rebuilt(rc) = &t.value.claims else {
            panic!("claims not rebuilt")
        };
        assert!(rc.orig.is_none() && rc.dest.is_none());
        assert!(matches!(rc.origid, Some(OrigId::Uuid(_))));
        let back = CompactToken::decode(&t.bytes)
            .unwrap()
            .rebuild(&call())
            .unwrap();
        assert_eq!(back.token, signed.token());
        assert_eq!(back.identity, signed.identity());
        v.verify_identity(&back.identity, &call(), NOW).unwrap();
        // Without the numbers the far end cannot rebuild.
        assert_eq!(
            t.rebuild(&Call::default()),
            Err(TokenError::NumberNeeded("calling"))
        );
    }

    #[test]
    fn numbers_that_differ_are_carried() {
        let (s, v) = signer(X5U40);
        let signed = s
            .sign_shaken(
                "12155551212",
                &["12155551213", "12155551214"],
                Attest::B,
                Some("opaque-1"),
                NOW,
            )
            .unwrap();
        // The IAM's calling number differs from orig (e.g. not mappable): carried.
        let iam = Call {
            orig: None,
            dest: Some("12155551213"),
        };
        let t = CompactToken::from_identity(signed.token(), &iam, &ConvertOptions::default())
            .unwrap()
            .token;
        let ClaimsPart::Rebuilt(rc) = &t.value.claims else {
            panic!()
        };
        assert!(rc.orig.is_some() && rc.dest.is_some());
        assert_eq!(rc.origid, Some(OrigId::Text("opaque-1".into())));
        let back = t.rebuild(&iam).unwrap();
        assert_eq!(back.token, signed.token());
        v.verify_identity(&back.identity, &call(), NOW).unwrap();
        // Explicit numbers on request.
        let opts = ConvertOptions {
            explicit_numbers: true,
            ..ConvertOptions::default()
        };
        let t2 = CompactToken::from_identity(signed.token(), &call(), &opts)
            .unwrap()
            .token;
        assert_eq!(t2.rebuild(&Call::default()).unwrap().token, signed.token());
    }

    #[test]
    fn every_ppt_round_trips() {
        let (s, v) = signer(X5U40);
        let shaken = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let mut div = Claims::new(
            Party::Tn("12155551212".into()),
            Dest::tns(["12155551213"]),
            NOW,
        );
        div.div = Some(Party::Tn("12155559999".into()));
        let mut div_o = div.clone();
        div_o.opt = Some(shaken.token().to_owned());
        let mut rcd = Claims::shaken("12155551212", &["12155551213"], Attest::A, "x", NOW);
        rcd.rcd = Some(Rcd::name("Alice Ä \"Q\""));
        rcd.crn = Some("Lunch".into());
        rcd.extra
            .insert("zzz".into(), json!({"b": [1, 2], "a": null}));
        let base = Claims::new(
            Party::Tn("12155551212".into()),
            Dest::tns(["12155551213"]),
            NOW,
        );
        let mut uri = base.clone();
        uri.orig = Party::Uri("sip:alice@example.com".into());
        uri.dest.uri.push("sip:bob@example.com".into());
        for (ppt, claims, max) in [
            (
                Some(Ppt::Shaken),
                Claims::shaken(
                    "12155551212",
                    &["12155551213"],
                    Attest::C,
                    "0d4b8f8a-8b8e-4f1e-9b1e-5d2b6c9b2a10",
                    NOW,
                ),
                140,
            ),
            (Some(Ppt::Div), div, 2048),
            (Some(Ppt::DivO), div_o, 2048),
            (Some(Ppt::Rcd), rcd, 2048),
            (None, base, 140),
            (None, uri, 2048),
        ] {
            let signed = s.sign(ppt, &claims).unwrap();
            let t = CompactToken::from_identity(
                &signed.identity(),
                &call(),
                &ConvertOptions::default(),
            )
            .unwrap()
            .token;
            assert!(t.len() <= max, "{ppt:?}: {}", t.len());
            assert!(matches!(t.value.claims, ClaimsPart::Rebuilt(_)), "{ppt:?}");
            let back = CompactToken::decode(&t.bytes)
                .unwrap()
                .rebuild(&call())
                .unwrap();
            assert_eq!(back.token, signed.token(), "{ppt:?}");
            assert_eq!(back.identity, signed.identity(), "{ppt:?}");
            let c = if matches!(claims.orig, Party::Uri(_)) {
                Call::default()
            } else {
                call()
            };
            v.verify_identity(&back.identity, &c, NOW).unwrap();
        }
    }

    #[test]
    fn foreign_signers() {
        let (k, _) = SigningKey::generate().unwrap();
        let v = Verifier::with_key(k.verifying_key());
        let sorted_h =
            format!(r#"{{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"{X5U40}"}}"#);
        let sorted_c = r#"{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"12155551212"},"origid":"123e4567-e89b-12d3-a456-426614174000"}"#;
        // Compact sorted JSON (secsipidx style): fully rebuilt.
        let t = hand_token(&k, &sorted_h, sorted_c);
        let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        assert!(matches!(c.value.header, HeaderPart::Rebuilt(_)));
        assert!(matches!(c.value.claims, ClaimsPart::Rebuilt(_)));
        assert!(c.len() <= 140);
        assert_eq!(c.rebuild(&call()).unwrap().token, t);
        // No typ, an extra header member: still rebuilt, flagged.
        let h = format!(r#"{{"alg":"ES256","kid":"k1","ppt":"shaken","x5u":"{X5U40}"}}"#);
        let t = hand_token(&k, &h, sorted_c);
        let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        let HeaderPart::Rebuilt(rh) = &c.value.header else {
            panic!()
        };
        assert!(rh.typ_absent);
        assert_eq!(rh.other.as_deref(), Some(r#"{"kid":"k1"}"#));
        assert_eq!(c.rebuild(&call()).unwrap().token, t);
        v.verify_token(&c.rebuild(&call()).unwrap().token, &call(), NOW)
            .unwrap();
        // Unsorted keys and whitespace: verbatim, or an error when that is not allowed.
        let unsorted_h =
            format!(r#"{{"alg":"ES256","typ":"passport","ppt":"shaken","x5u":"{X5U40}"}}"#);
        let spaced_c = r#"{"attest": "A", "dest": {"tn": ["12155551213"]}, "iat": 1700000000, "orig": {"tn": "12155551212"}, "origid": "x"}"#;
        let t = hand_token(&k, &unsorted_h, spaced_c);
        let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        assert!(matches!(c.value.header, HeaderPart::Verbatim(_)));
        assert!(matches!(c.value.claims, ClaimsPart::Verbatim(_)));
        let back = c.rebuild(&Call::default()).unwrap();
        assert_eq!(back.token, t);
        assert_eq!(back.x5u, X5U40);
        assert_eq!(back.ppt, Some(Ppt::Shaken));
        v.verify_identity(&back.identity, &call(), NOW).unwrap();
        let strict = ConvertOptions {
            allow_verbatim: false,
            ..ConvertOptions::default()
        };
        assert!(matches!(
            CompactToken::from_identity(&t, &call(), &strict),
            Err(TokenError::NotLossless(_))
        ));
        // A "+" in orig is not what the IAM rebuilds: explicit orig.
        let c2 = r#"{"attest":"A","dest":{"tn":["12155551213"]},"iat":1700000000,"orig":{"tn":"+12155551212"},"origid":"x"}"#;
        let t = hand_token(&k, &sorted_h, c2);
        let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        let ClaimsPart::Rebuilt(rc) = &c.value.claims else {
            panic!()
        };
        assert!(rc.orig.is_some() && rc.dest.is_none());
        assert_eq!(c.rebuild(&call()).unwrap().token, t);
        // Escaped "/" in a URL is not deterministic output: verbatim header.
        let esc_h = r#"{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https:\/\/cert.example.org\/sp.pem"}"#;
        let t = hand_token(&k, esc_h, sorted_c);
        let c = CompactToken::from_identity(&t, &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        assert!(matches!(c.value.header, HeaderPart::Verbatim(_)));
        assert_eq!(c.rebuild(&call()).unwrap().token, t);
    }

    #[test]
    fn identity_header_checks() {
        let (s, _) = signer(X5U40);
        let signed = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let o = ConvertOptions::default();
        let with_params = format!(
            "{};ppt=\"shaken\";info=<{X5U40}>;foo=bar;baz",
            signed.token()
        );
        let c = CompactToken::from_identity(&with_params, &call(), &o).unwrap();
        assert_eq!(c.dropped_params, ["foo", "baz"]);
        assert_eq!(
            c.token.rebuild(&call()).unwrap().identity,
            signed.identity()
        );
        for bad in [
            format!("{};info=<https://other.example/x.pem>", signed.token()),
            format!("{};info=<{X5U40}>;ppt=div", signed.token()),
            format!("{};info=<{X5U40}>;alg=RS256", signed.token()),
            signed.compact_identity(),
            "not a token".to_string(),
            String::new(),
        ] {
            assert!(
                CompactToken::from_identity(&bad, &call(), &o).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn decoder_is_total() {
        let (s, _) = signer(X5U40);
        let mut rcd = Claims::shaken("12155551212", &["12155551299"], Attest::A, "x", NOW);
        rcd.rcd = Some(Rcd::name("Alice"));
        let signed = s.sign(Some(Ppt::Rcd), &rcd).unwrap();
        let t = CompactToken::from_identity(signed.token(), &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        for n in 0..t.bytes.len() {
            assert!(
                CompactToken::decode(&t.bytes[..n]).is_err(),
                "truncated at {n}"
            );
        }
        let mut extended = t.bytes.clone();
        extended.push(0);
        assert_eq!(
            CompactToken::decode(&extended),
            Err(TokenError::TrailingData(1))
        );
        for i in 0..t.bytes.len() {
            for bit in 0..8 {
                let mut b = t.bytes.clone();
                b[i] ^= 1 << bit;
                // Must not panic; when it decodes, rebuilding must not panic either.
                if let Ok(d) = CompactToken::decode(&b) {
                    let _ = d.rebuild(&call());
                }
            }
        }
        assert!(matches!(
            CompactToken::decode(&vec![0; MAX_COMPACT_LEN + 1]),
            Err(TokenError::TooLong { .. })
        ));
    }

    #[test]
    fn rejects_conflicting_other_members() {
        let (s, _) = signer(X5U40);
        let signed = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let t = CompactToken::from_identity(signed.token(), &call(), &ConvertOptions::default())
            .unwrap()
            .token;
        let mut v = t.value.clone();
        if let ClaimsPart::Rebuilt(c) = &mut v.claims {
            c.other = Some(r#"{"iat":1}"#.into());
        }
        let bytes = rasn::uper::encode(&v).unwrap();
        assert!(matches!(
            CompactToken::decode(&bytes).unwrap().rebuild(&call()),
            Err(TokenError::Invalid(_))
        ));
        let mut v = t.value.clone();
        v.version = 2;
        let bytes = rasn::uper::encode(&v).unwrap();
        assert_eq!(CompactToken::decode(&bytes), Err(TokenError::Version(2)));
    }
}
