//! RFC 8226 TNAuthList certificate extension (id-pe 26, OID 1.3.6.1.5.5.7.1.26):
//! DER decoding and encoding (via rasn), validation of the constraints rasn does
//! not enforce (TelephoneNumber alphabet and size, range count, non-empty list),
//! and the number-authority check [`TnAuthList::covers`].
//!
//! The ASN.1 (RFC 8226 Appendix A, module `TN-Module-2016`, `DEFINITIONS
//! EXPLICIT TAGS`):
//!
//! ```text
//! TNAuthorizationList ::= SEQUENCE SIZE (1..MAX) OF TNEntry
//! TNEntry ::= CHOICE {
//!   spc    [0] ServiceProviderCode,
//!   range  [1] TelephoneNumberRange,
//!   one    [2] TelephoneNumber }
//! ServiceProviderCode ::= IA5String
//! TelephoneNumberRange ::= SEQUENCE {
//!   start TelephoneNumber,
//!   count INTEGER (2..MAX),
//!   ... }
//! TelephoneNumber ::= IA5String (SIZE (1..15)) (FROM ("0123456789#*"))
//! ```
//!
//! Because the module uses EXPLICIT tags, each CHOICE alternative is a
//! constructed context tag wrapping the full universal encoding, e.g. SPC
//! "1234" = `30 08 a0 06 16 04 31 32 33 34`.

use rasn::prelude::{Ia5String, Integer};

use super::error::CertError;

/// Dotted OID of the TNAuthList extension (id-pe 26).
pub const OID_TN_AUTH_LIST: &str = "1.3.6.1.5.5.7.1.26";

/// Largest TNAuthList DER value accepted by [`TnAuthList::from_der`] (64 KiB).
pub const MAX_TN_AUTH_LIST_DER: usize = 64 * 1024;

/// Largest number of TNEntry elements accepted in one TNAuthList.
pub const MAX_TN_ENTRIES: usize = 4096;

/// Longest TelephoneNumber allowed by RFC 8226 (`SIZE (1..15)`).
pub const MAX_TELEPHONE_NUMBER_LEN: usize = 15;

/// Raw ASN.1 shapes, decoded and encoded by rasn. Kept private: the public
/// model is [`TnEntry`], which is validated.
mod asn {
    use rasn::prelude::*;

    /// `TNEntry ::= CHOICE { spc [0], range [1], one [2] }`, EXPLICIT tags, as
    /// decoded. The range is kept as the raw SEQUENCE: rasn 0.30's BER/DER
    /// decoder does not skip unknown extension additions of an extensible
    /// SEQUENCE, so the `...` of TelephoneNumberRange is honoured by decoding
    /// the SEQUENCE as `SEQUENCE OF ANY` (identical bytes) and reading the
    /// first two components (see [`super::range_from_any`]).
    #[derive(AsnType, Decode, Debug, Clone, PartialEq)]
    #[rasn(choice)]
    pub(super) enum TnEntryIn {
        #[rasn(tag(explicit(context, 0)))]
        Spc(Ia5String),
        #[rasn(tag(explicit(context, 1)))]
        Range(Any),
        #[rasn(tag(explicit(context, 2)))]
        One(Ia5String),
    }

    /// `TNEntry` as encoded.
    #[derive(AsnType, Encode, Debug, Clone, PartialEq)]
    #[rasn(choice)]
    pub(super) enum TnEntryOut {
        #[rasn(tag(explicit(context, 0)))]
        Spc(Ia5String),
        #[rasn(tag(explicit(context, 1)))]
        Range(TelephoneNumberRange),
        #[rasn(tag(explicit(context, 2)))]
        One(Ia5String),
    }

    /// `TelephoneNumberRange ::= SEQUENCE { start, count, ... }`.
    #[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
    pub(super) struct TelephoneNumberRange {
        pub(super) start: Ia5String,
        pub(super) count: Integer,
    }
}

/// Decode a `TelephoneNumberRange` from its full DER TLV, ignoring extension
/// additions after `count`.
fn range_from_any(raw: &rasn::types::Any) -> Result<(String, u64), CertError> {
    let what = "TelephoneNumberRange";
    let parts: Vec<rasn::types::Any> =
        rasn::der::decode(raw.as_bytes()).map_err(|e| CertError::decode(what, e))?;
    let (Some(start), Some(count)) = (parts.first(), parts.get(1)) else {
        return Err(CertError::decode(what, "missing start or count"));
    };
    let start: Ia5String =
        rasn::der::decode(start.as_bytes()).map_err(|e| CertError::decode(what, e))?;
    let count: Integer =
        rasn::der::decode(count.as_bytes()).map_err(|e| CertError::decode(what, e))?;
    let start = ia5_to_string("TelephoneNumber", &start)?;
    let count =
        u64::try_from(&count).map_err(|_| CertError::InvalidRangeCount(count.to_string()))?;
    Ok((start, count))
}

/// One entry of a TNAuthList.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TnEntry {
    /// `spc [0]`: a Service Provider Code (in SHAKEN, the OCN of the provider).
    Spc(String),
    /// `range [1]`: `count` consecutive numbers starting at `start`
    /// (`start`, `start+1`, …, `start+count-1`).
    Range {
        /// First TelephoneNumber of the range.
        start: String,
        /// Number of TelephoneNumbers in the range (at least 2).
        count: u64,
    },
    /// `one [2]`: a single TelephoneNumber.
    One(String),
}

/// Result of [`TnAuthList::covers`]: does the certificate give authority over a
/// telephone number?
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// A `one` entry equals the number, or a `range` entry contains it.
    Tn,
    /// The list holds no TelephoneNumber entries but names this Service Provider
    /// Code (the first one listed): the number authority must be established by
    /// other means (in SHAKEN, the SPC-based certificate covers the provider's
    /// numbers).
    SpcOnly(String),
    /// Not covered: the list has TelephoneNumber entries and none matches, or
    /// the number is not a valid TelephoneNumber.
    No,
}

/// A parsed and validated TNAuthList (`TNAuthorizationList`).
///
/// Invariants: at least one entry, at most [`MAX_TN_ENTRIES`], every
/// TelephoneNumber is 1–15 characters of `0-9 # *`, every range count ≥ 2, every
/// SPC is IA5 (ASCII).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TnAuthList {
    entries: Vec<TnEntry>,
}

/// Check that `value` is a valid RFC 8226 TelephoneNumber.
///
/// # Errors
/// [`CertError::InvalidTelephoneNumber`] when it is empty, longer than 15
/// characters, or contains a character other than `0-9`, `#`, `*`.
pub fn validate_telephone_number(value: &str) -> Result<(), CertError> {
    let invalid = |reason| CertError::InvalidTelephoneNumber {
        value: value.chars().take(64).collect(),
        reason,
    };
    if value.is_empty() {
        return Err(invalid("empty"));
    }
    if value.len() > MAX_TELEPHONE_NUMBER_LEN {
        return Err(invalid("longer than 15 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'#' || b == b'*')
    {
        return Err(invalid("character outside 0-9 # *"));
    }
    Ok(())
}

fn ia5_to_string(what: &'static str, s: &Ia5String) -> Result<String, CertError> {
    let bytes = s.as_iso646_bytes();
    // rasn already guarantees 7-bit characters; keep the check local so a
    // future decoder change cannot let non-ASCII through.
    if !bytes.is_ascii() {
        return Err(CertError::InvalidString {
            what,
            value: String::from_utf8_lossy(bytes).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn string_to_ia5(what: &'static str, s: &str) -> Result<Ia5String, CertError> {
    Ia5String::from_iso646_bytes(s.as_bytes()).map_err(|_| CertError::InvalidString {
        what,
        value: s.chars().take(64).collect(),
    })
}

fn validate_entry(entry: &TnEntry) -> Result<(), CertError> {
    match entry {
        TnEntry::Spc(spc) => {
            if !spc.is_ascii() {
                return Err(CertError::InvalidString {
                    what: "ServiceProviderCode",
                    value: spc.chars().take(64).collect(),
                });
            }
            Ok(())
        }
        TnEntry::Range { start, count } => {
            validate_telephone_number(start)?;
            if *count < 2 {
                return Err(CertError::InvalidRangeCount(count.to_string()));
            }
            Ok(())
        }
        TnEntry::One(tn) => validate_telephone_number(tn),
    }
}

fn from_asn(entry: &asn::TnEntryIn) -> Result<TnEntry, CertError> {
    let out = match entry {
        asn::TnEntryIn::Spc(s) => TnEntry::Spc(ia5_to_string("ServiceProviderCode", s)?),
        asn::TnEntryIn::One(s) => TnEntry::One(ia5_to_string("TelephoneNumber", s)?),
        asn::TnEntryIn::Range(raw) => {
            let (start, count) = range_from_any(raw)?;
            TnEntry::Range { start, count }
        }
    };
    validate_entry(&out)?;
    Ok(out)
}

fn to_asn(entry: &TnEntry) -> Result<asn::TnEntryOut, CertError> {
    Ok(match entry {
        TnEntry::Spc(s) => asn::TnEntryOut::Spc(string_to_ia5("ServiceProviderCode", s)?),
        TnEntry::One(s) => asn::TnEntryOut::One(string_to_ia5("TelephoneNumber", s)?),
        TnEntry::Range { start, count } => asn::TnEntryOut::Range(asn::TelephoneNumberRange {
            start: string_to_ia5("TelephoneNumber", start)?,
            count: Integer::from(*count),
        }),
    })
}

/// Numeric value of an all-digit TelephoneNumber (at most 15 digits, so it
/// always fits in a `u64`). `None` when it holds `#` or `*`.
fn digits_value(tn: &str) -> Option<u64> {
    if tn.is_empty() || tn.len() > MAX_TELEPHONE_NUMBER_LEN {
        return None;
    }
    tn.bytes().try_fold(0u64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

impl TnAuthList {
    /// Build a TNAuthList from entries, validating them.
    ///
    /// # Errors
    /// [`CertError::EmptySequence`] for no entries, [`CertError::TooManyEntries`]
    /// above [`MAX_TN_ENTRIES`], or the validation error of the first bad entry.
    pub fn new(entries: Vec<TnEntry>) -> Result<Self, CertError> {
        if entries.is_empty() {
            return Err(CertError::EmptySequence {
                what: "TNAuthorizationList",
            });
        }
        if entries.len() > MAX_TN_ENTRIES {
            return Err(CertError::TooManyEntries {
                what: "TNAuthorizationList",
                count: entries.len(),
                limit: MAX_TN_ENTRIES,
            });
        }
        entries.iter().try_for_each(validate_entry)?;
        Ok(Self { entries })
    }

    /// Decode the DER value of a TNAuthList extension (the content of the
    /// extension's `extnValue` OCTET STRING).
    ///
    /// # Errors
    /// [`CertError::TooLarge`] above [`MAX_TN_AUTH_LIST_DER`],
    /// [`CertError::Asn1Decode`] for malformed DER (wrong tags, bad or huge
    /// lengths, truncation), [`CertError::TrailingData`] for bytes after the
    /// value, and the validation errors of [`TnAuthList::new`].
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        if der.len() > MAX_TN_AUTH_LIST_DER {
            return Err(CertError::TooLarge {
                what: "TNAuthList",
                len: der.len(),
                limit: MAX_TN_AUTH_LIST_DER,
            });
        }
        let (raw, rest): (Vec<asn::TnEntryIn>, &[u8]) = rasn::der::decode_with_remainder(der)
            .map_err(|e| CertError::decode("TNAuthList", e))?;
        if !rest.is_empty() {
            return Err(CertError::TrailingData {
                what: "TNAuthList",
                count: rest.len(),
            });
        }
        if raw.len() > MAX_TN_ENTRIES {
            return Err(CertError::TooManyEntries {
                what: "TNAuthorizationList",
                count: raw.len(),
                limit: MAX_TN_ENTRIES,
            });
        }
        let entries = raw.iter().map(from_asn).collect::<Result<Vec<_>, _>>()?;
        Self::new(entries)
    }

    /// Encode as DER (the value to put in the extension's `extnValue`).
    ///
    /// # Errors
    /// [`CertError::Asn1Encode`] if rasn fails, or a validation error if the
    /// entries were changed to something invalid (not possible through the
    /// public API).
    pub fn to_der(&self) -> Result<Vec<u8>, CertError> {
        let raw = self
            .entries
            .iter()
            .map(to_asn)
            .collect::<Result<Vec<_>, _>>()?;
        rasn::der::encode(&raw).map_err(|e| CertError::encode("TNAuthList", e))
    }

    /// All entries, in certificate order.
    pub fn entries(&self) -> &[TnEntry] {
        &self.entries
    }

    /// The Service Provider Codes, in certificate order.
    pub fn spcs(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|e| match e {
            TnEntry::Spc(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The first Service Provider Code, if any (ATIS-1000080 allows exactly one).
    pub fn spc(&self) -> Option<&str> {
        self.spcs().next()
    }

    /// The TelephoneNumber entries (`range` and `one`), in certificate order.
    pub fn tn_entries(&self) -> impl Iterator<Item = &TnEntry> {
        self.entries
            .iter()
            .filter(|e| !matches!(e, TnEntry::Spc(_)))
    }

    /// Does this list give authority over `canonical_tn` (a number in the
    /// RFC 8224 §8.3 canonical form: digits, optionally `#`/`*`, no `+`)?
    ///
    /// * [`Coverage::Tn`] when a `one` entry equals it, or a `range` entry
    ///   contains it: same length as the range start, all digits, and
    ///   `start <= tn <= start + count - 1` numerically (ranges whose start
    ///   holds `#` or `*` match no number);
    /// * [`Coverage::SpcOnly`] when the list has no TelephoneNumber entry but
    ///   an SPC (the first SPC is returned);
    /// * [`Coverage::No`] otherwise, including when `canonical_tn` is not a
    ///   valid TelephoneNumber.
    pub fn covers(&self, canonical_tn: &str) -> Coverage {
        if validate_telephone_number(canonical_tn).is_err() {
            return Coverage::No;
        }
        let mut has_tn_entries = false;
        let tn_value = digits_value(canonical_tn);
        for entry in &self.entries {
            match entry {
                TnEntry::Spc(_) => {}
                TnEntry::One(one) => {
                    has_tn_entries = true;
                    if one == canonical_tn {
                        return Coverage::Tn;
                    }
                }
                TnEntry::Range { start, count } => {
                    has_tn_entries = true;
                    if start.len() != canonical_tn.len() {
                        continue;
                    }
                    if let (Some(first), Some(tn)) = (digits_value(start), tn_value)
                        && tn >= first
                        && tn - first < *count
                    {
                        return Coverage::Tn;
                    }
                }
            }
        }
        match (has_tn_entries, self.spc()) {
            (false, Some(spc)) => Coverage::SpcOnly(spc.to_owned()),
            _ => Coverage::No,
        }
    }
}
