//! The fast SIP → ISUP path for the common case (a SHAKEN or base PASSporT in
//! deterministic JSON, as [`crate::format_identity`] writes it): fixed-layout scanners
//! instead of a JSON parser, the checks of [`crate::Passport::parse`], and the rebuild
//! comparison.

use base64::Engine;
use rasn::types::{FixedOctetString, Integer};

use super::json::{claims_bytes, header_bytes};
use super::wire::{
    self, ClaimsPart, CompactPassport, HeaderPart, OrigId, RebuiltClaims, RebuiltHeader,
    WireAttest, WireDest, WireParty, WirePpt, WireTn, to_ia5,
};
use super::{CompactToken, ConvertOptions, TOKEN_VERSION};
use crate::Call;
use crate::passport::Ppt;
use crate::passport::jws::B64;

/// The fast path of [`CompactToken::from_identity`] for the common case: an Identity
/// value in the canonical form of [`crate::format_identity`] (or a bare token) holding a
/// SHAKEN or base PASSporT in deterministic JSON with no further members. It reads the
/// two JSON parts with a scanner for exactly that layout, applies the checks
/// [`Passport::parse`] would, rebuilds both parts from the compact value and compares them
/// byte for byte with the received ones. `None` sends the token down the general path,
/// which also produces every error.
pub(super) fn fast_convert(
    identity: &str,
    call: &Call<'_>,
    opts: &ConvertOptions,
) -> Option<CompactToken> {
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
    let ia5 = to_ia5;
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
    let origid = match c.origid {
        None => None,
        Some(o) => Some(OrigId::from_claim(o)?),
    };
    let attest = match c.attest {
        None => None,
        Some(a) => Some(WireAttest::from_claim(a)?),
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
        version: TOKEN_VERSION.into(),
        header: HeaderPart::Rebuilt(header),
        claims: ClaimsPart::Rebuilt(claims),
        signature: FixedOctetString::new(signature),
    };
    let bytes = wire::encode(&value).ok()?;
    // That the encoding reads back as the same value is rasn's round-trip property (the
    // general path checks it explicitly; the tests check it for every shape).
    debug_assert_eq!(
        CompactToken::decode(&bytes).map(|t| t.value),
        Ok(value.clone())
    );
    Some(CompactToken { value, bytes })
}

/// Reads a deterministic header `{"alg":"ES256"[,"ppt":…][,"typ":"passport"],"x5u":…}`.
pub(super) fn scan_header(b: &[u8]) -> Option<(Option<Ppt>, bool, &str)> {
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
pub(super) struct ScannedClaims<'a> {
    attest: Option<&'a str>,
    dest: Vec<&'a str>,
    iat: i64,
    orig: &'a str,
    origid: Option<&'a str>,
}

/// Reads deterministic claims `{["attest":…,]"dest":{"tn":[…]},"iat":…,"orig":{"tn":…}
/// [,"origid":…]}`.
pub(super) fn scan_claims(b: &[u8]) -> Option<ScannedClaims<'_>> {
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
pub(super) struct Scan<'a> {
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
