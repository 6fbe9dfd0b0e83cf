//! The ASN.1 types of module `CliAuthToken` (`asn/CliAuthToken.asn`) as rasn types, their
//! unaligned PER encoding and decoding, and their neutral JSON form
//! ([`super::CompactToken::describe`]). Crate-private: rasn is not part of the public API.
//!
//! # X.691 conformance notes
//!
//! rasn 0.30 (the newest release) intersects a field's constraint with the constraint of
//! its Rust type and keeps the extension marker only when both are extensible, so an
//! extensible `value("1..=15", extensible)` on a `u8` field loses its extension bit; and a
//! `size(..)` attribute on the field of a tuple variant of a CHOICE is not applied. Both
//! are avoided here: `version` is an [`Integer`] (a type without a constraint of its own)
//! and the verbatim alternatives are a delegate newtype ([`VerbatimJson`]) carrying the
//! size constraint, as `Tn` and `Uri` do. A type whose ASN.1 definition has an extension
//! marker (`...`) is `#[non_exhaustive]`: that is how rasn marks it extensible. The
//! encodings are checked against two
//! independent ASN.1 compilers in `tests/isup_asn1_interop.rs`.

use rasn::prelude::*;
use serde_json::{Value, json};

use super::TokenError;
use crate::passport::Ppt;

/// `CompactPassport`: a PASSporT in compact ISUP/BICC form.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub(crate) struct CompactPassport {
    /// `version INTEGER { v1(1), v2(2) } (1..15, ...)`.
    #[rasn(value("1..=15", extensible))]
    pub version: Integer,
    /// `header HeaderPart`.
    pub header: HeaderPart,
    /// `claims ClaimsPart`.
    pub claims: ClaimsPart,
    /// `signature OCTET STRING (SIZE (64))`: the ES256 signature `r‖s`.
    pub signature: FixedOctetString<64>,
}

/// `OCTET STRING (SIZE (1..2048))`: a JSON part exactly as signed.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, size("1..=2048"))]
pub(crate) struct VerbatimJson(pub OctetString);

/// `HeaderPart`: the JOSE header, rebuilt or verbatim.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub(crate) enum HeaderPart {
    /// `rebuilt RebuiltHeader`: the far end writes deterministic JSON.
    Rebuilt(RebuiltHeader),
    /// `verbatim OCTET STRING (SIZE (1..2048))`: the header JSON exactly as signed.
    Verbatim(VerbatimJson),
    /// `inherited InheritedHeader` (extension addition): only in the nested `opt` token of
    /// a `div-o` PASSporT, a rebuilt header whose `x5u` is the outer token's.
    #[rasn(extension_addition)]
    Inherited(InheritedHeader),
}

/// `InheritedHeader`: a [`RebuiltHeader`] without `x5u`, which is the outer token's.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub(crate) struct InheritedHeader {
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
pub(crate) struct RebuiltHeader {
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
pub(crate) enum WirePpt {
    /// `shaken` (RFC 8588).
    Shaken,
    /// `div` (RFC 8946).
    Div,
    /// `divO`: `div-o` (RFC 8946 §8).
    DivO,
    /// `rcd` (RFC 9795).
    Rcd,
}

/// `ClaimsPart`: the claims, rebuilt or verbatim.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub(crate) enum ClaimsPart {
    /// `rebuilt RebuiltClaims`: the far end writes deterministic JSON.
    Rebuilt(RebuiltClaims),
    /// `verbatim OCTET STRING (SIZE (1..2048))`: the claims JSON exactly as signed.
    Verbatim(VerbatimJson),
}

/// `RebuiltClaims`: what the far end needs, besides the IAM, to write the claims.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub(crate) struct RebuiltClaims {
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
pub(crate) enum WireAttest {
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
pub(crate) enum OrigId {
    /// `uuid OCTET STRING (SIZE (16))`: a canonical lower-case UUID string.
    Uuid(FixedOctetString<16>),
    /// `text UTF8String (SIZE (1..1024))`: any other string.
    Text(OrigIdText),
}

/// `UTF8String (SIZE (1..1024))`: an `origid` that is not a canonical UUID.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, size("1..=1024"))]
pub(crate) struct OrigIdText(pub Utf8String);

/// `Tn ::= IA5String (SIZE (1..64))`: a telephone number exactly as in the token.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, size("1..=64"))]
pub(crate) struct WireTn(pub Ia5String);

/// `Uri ::= UTF8String (SIZE (1..2048))`: a URI exactly as in the token.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, size("1..=2048"))]
pub(crate) struct WireUri(pub Utf8String);

/// `WireParty`: an explicit `orig` identity.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub(crate) enum WireParty {
    /// `tn Tn`: `{"tn": …}`.
    Tn(WireTn),
    /// `uri Uri`: `{"uri": …}`.
    Uri(WireUri),
}

/// `WireDest`: an explicit `dest`; an empty list means the member is absent.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub(crate) struct WireDest {
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

impl WirePpt {
    /// The ASN.1 identifier of the value.
    fn identifier(self) -> &'static str {
        match self {
            WirePpt::Shaken => "shaken",
            WirePpt::Div => "div",
            WirePpt::DivO => "divO",
            WirePpt::Rcd => "rcd",
        }
    }
}

impl WireAttest {
    /// The claim value (`"A"`, `"B"`, `"C"`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WireAttest::A => "A",
            WireAttest::B => "B",
            WireAttest::C => "C",
        }
    }

    /// The attestation of a claim value.
    pub(crate) fn from_claim(a: &str) -> Option<WireAttest> {
        match a {
            "A" => Some(WireAttest::A),
            "B" => Some(WireAttest::B),
            "C" => Some(WireAttest::C),
            _ => None,
        }
    }
}

impl OrigId {
    /// The compact form of an `origid`: 16 octets for a canonical lower-case UUID string
    /// (8-4-4-4-12 hex digits), the text otherwise; `None` when empty or too long.
    pub(crate) fn from_claim(s: &str) -> Option<OrigId> {
        if let Ok(u) = uuid::Uuid::try_parse(s) {
            let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
            // Only the canonical spelling rebuilds to the same text.
            if u.hyphenated().encode_lower(&mut buf).as_bytes() == s.as_bytes() {
                return Some(OrigId::Uuid(FixedOctetString::new(*u.as_bytes())));
            }
        }
        (!s.is_empty() && s.len() <= 1024).then(|| OrigId::Text(OrigIdText(s.to_owned())))
    }
}

/// The canonical lower-case string of a UUID's 16 octets.
pub(crate) fn uuid_string(b: &[u8; 16]) -> String {
    uuid::Uuid::from_bytes(*b).hyphenated().to_string()
}

/// The text of an IA5String (always ASCII).
pub(crate) fn ia5(s: &Ia5String) -> &str {
    std::str::from_utf8(s.as_iso646_bytes()).unwrap_or_default()
}

/// An IA5String from text, `None` when it is not ASCII.
pub(crate) fn to_ia5(s: &str) -> Option<Ia5String> {
    Ia5String::from_iso646_bytes(s.as_bytes()).ok()
}

/// The unaligned PER encoding of a value.
pub(crate) fn encode(v: &CompactPassport) -> Result<Vec<u8>, TokenError> {
    rasn::uper::encode(v).map_err(|e| TokenError::Invalid(format!("cannot encode: {}", e.kind)))
}

/// Decodes one value from unaligned PER, returning the octets that follow it.
pub(crate) fn decode(b: &[u8]) -> Result<(CompactPassport, &[u8]), TokenError> {
    rasn::uper::decode_with_remainder::<CompactPassport>(b)
        .map_err(|e| TokenError::Malformed(plain_decode_error(&e.kind.to_string())))
}

/// rasn's decode error text without the decoder's internals: the codec name it appends
/// at every level, and the chain of "Error when decoding field" prefixes, of which the
/// innermost field is kept.
fn plain_decode_error(text: &str) -> String {
    let mut rest = text;
    let mut field = None;
    while let Some(r) = rest.strip_prefix("Error when decoding field `") {
        let Some((f, r)) = r.split_once("`: ") else {
            break;
        };
        field = Some(f);
        rest = r;
    }
    let mut what = rest.replace(" (Codec: UPER)", "");
    if what.starts_with("Need more data") {
        what = "truncated".into();
    }
    match field {
        Some(f) => format!("{what} (in {f})"),
        None => what,
    }
}

// ---------------------------------------------------------------------------------------
// The neutral JSON form (see `CompactToken::describe`).

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter()
        .fold(String::with_capacity(2 * b.len()), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

fn put<T>(m: &mut serde_json::Map<String, Value>, k: &str, v: Option<T>, f: impl Fn(T) -> Value) {
    if let Some(v) = v {
        m.insert(k.to_owned(), f(v));
    }
}

fn header_fields(ppt: Option<WirePpt>, typ_absent: bool, other: &Option<Utf8String>) -> Value {
    let mut m = serde_json::Map::new();
    put(&mut m, "ppt", ppt, |p| json!(p.identifier()));
    put(&mut m, "typAbsent", typ_absent.then_some(true), |b| {
        json!(b)
    });
    put(&mut m, "other", other.as_ref(), |o| json!(o));
    Value::Object(m)
}

impl CompactPassport {
    /// The value in the neutral JSON form of [`super::CompactToken::describe`].
    pub(crate) fn to_json(&self) -> Value {
        let header = match &self.header {
            HeaderPart::Rebuilt(h) => {
                let mut v = header_fields(h.ppt, h.typ_absent, &h.other);
                v["x5u"] = json!(ia5(&h.x5u));
                json!({ "rebuilt": v })
            }
            HeaderPart::Verbatim(b) => json!({ "verbatim": hex(&b.0) }),
            HeaderPart::Inherited(h) => {
                json!({ "inherited": header_fields(h.ppt, h.typ_absent, &h.other) })
            }
        };
        let claims = match &self.claims {
            ClaimsPart::Rebuilt(c) => {
                let mut m = serde_json::Map::new();
                m.insert(
                    "iat".into(),
                    i64::try_from(&c.iat).map_or_else(|_| json!(c.iat.to_string()), |i| json!(i)),
                );
                put(&mut m, "attest", c.attest, |a| {
                    json!(a.as_str().to_ascii_lowercase())
                });
                put(&mut m, "origid", c.origid.as_ref(), |o| match o {
                    OrigId::Uuid(b) => json!({ "uuid": hex(b.as_ref()) }),
                    OrigId::Text(t) => json!({ "text": t.0 }),
                });
                put(&mut m, "orig", c.orig.as_ref(), |p| match p {
                    WireParty::Tn(t) => json!({ "tn": ia5(&t.0) }),
                    WireParty::Uri(u) => json!({ "uri": u.0 }),
                });
                put(&mut m, "dest", c.dest.as_ref(), |d| {
                    json!({
                        "tn": d.tn.iter().map(|t| ia5(&t.0)).collect::<Vec<_>>(),
                        "uri": d.uri.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(),
                    })
                });
                put(&mut m, "opt", c.opt.as_ref(), |o| json!(hex(o)));
                put(&mut m, "other", c.other.as_ref(), |o| json!(o));
                json!({ "rebuilt": m })
            }
            ClaimsPart::Verbatim(b) => json!({ "verbatim": hex(&b.0) }),
        };
        json!({
            "version": i64::try_from(&self.version).unwrap_or(-1),
            "header": header,
            "claims": claims,
            "signature": hex(self.signature.as_ref()),
        })
    }
}
