//! The ISUP number parameters a PASSporT is bound to: Called Party Number (Q.763 §3.9) and
//! Calling Party Number (Q.763 §3.10), their codecs, and the mapping between their address
//! signals and the telephone numbers of a PASSporT ([`NumberMapping`]).
//!
//! # Wire format
//!
//! ```text
//!            8     7   6   5   4   3   2   1
//! octet 1   O/E  | nature of address indicator (7 bits)           |
//! octet 2   INN  | numbering plan | spare (4 bits)                 |  called party number
//! octet 2   NI   | numbering plan | presentation | screening       |  calling party number
//! octet 3+  2nd address signal    | 1st address signal            |  ... filler 0000 when odd
//! ```
//!
//! Address signals are BCD, low nibble first. Codes 0–9 are the digits, 0xB is "code 11",
//! 0xC is "code 12" and 0xF is ST (end of pulsing, Called Party Number only, and only as the
//! last signal). 0xA, 0xD and 0xE are spare and rejected. Here code 11 and code 12 are
//! written `B` and `C` ([`AddressDigits`]); ST is the `st` flag of [`CalledPartyNumber`].
//! Spare bits are written as 0 and ignored on receipt (Q.764 §2.10); a non-zero filler,
//! an odd/even indicator that does not match the octets, a spare code or an ST that is not
//! last is rejected with a typed [`NumberError`].
//!
//! Q.763 does not fix a maximum number of address signals (the parameter length octet
//! allows 253 octets). This module bounds both parameters at [`MAX_ADDRESS_SIGNALS`]
//! signals (E.164 numbers have at most 15 digits; the margin covers routing prefixes and
//! ST), so a decoder never reads more than [`MAX_NUMBER_PARAM_LEN`] octets.
//!
//! A Calling Party Number whose presentation indicator says "address not available"
//! carries no address signals (Q.763 §3.10 note); that is the only case in which an empty
//! number is accepted. A Called Party Number may consist of ST alone (overlap sending).
//!
//! # Mapping to PASSporT telephone numbers
//!
//! A PASSporT carries numbers in the RFC 8224 §8.3 canonical form: digits (and `*`, `#`)
//! of the full international number without `+`. [`NumberMapping`] converts both ways:
//!
//! | nature of address | ISUP digits → token `tn` | needs |
//! |---|---|---|
//! | international (4) | the digits as they are | — |
//! | national (3) | country code + digits, after removing a leading national (trunk) prefix when one is configured | `country_code` |
//! | subscriber (1) | country code + area code + digits | `country_code`, `area_code` |
//! | anything else (unknown, network-specific, routing numbers, spare) | not mapped | — |
//!
//! Only numbering plan ISDN/telephony (E.164, code 1) is mapped. Codes 11 and 12 map to
//! `*` and `#` when [`NumberMapping::star_hash`] is set (the common switch convention; Q.763
//! itself assigns them no characters), otherwise a number containing them is not mapped.
//! ST is ignored. The result must be a valid canonical telephone number of at most 15
//! characters ([`crate::tn::Tn`]). Anything that does not map is a typed
//! [`NumberError::NotMappable`]; the interworking layer then carries the number explicitly
//! in the token instead of rebuilding it (see `token.rs`).
//!
//! The reverse direction ([`NumberMapping::from_tn`]) yields an international number, or a
//! national one (country code removed, no trunk prefix) when
//! [`NumberMapping::prefer_national`] is set and the number starts with the configured
//! country code. `from_tn` followed by `to_tn` gives back the same `tn`.

use crate::tn::Tn;

/// The most address signals (digits, codes 11/12 and ST) accepted in one number parameter.
pub const MAX_ADDRESS_SIGNALS: usize = 32;

/// The largest number parameter value accepted, in octets: two indicator octets plus the
/// BCD octets of [`MAX_ADDRESS_SIGNALS`] signals.
pub const MAX_NUMBER_PARAM_LEN: usize = 2 + MAX_ADDRESS_SIGNALS / 2;

/// Why a number parameter could not be decoded, encoded or mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The parameter is shorter than its two indicator octets.
    #[error("number parameter truncated: {len} octets, at least 2 needed")]
    Truncated {
        /// The length received.
        len: usize,
    },
    /// More address signals (or octets) than [`MAX_ADDRESS_SIGNALS`] allows.
    #[error("number has {signals} address signals, more than the {max} allowed")]
    TooLong {
        /// The number of signals found or requested.
        signals: usize,
        /// The limit.
        max: usize,
    },
    /// A spare or misplaced address signal code (0xA, 0xD, 0xE; 0xF outside a final ST).
    #[error("address signal {position} has the invalid code {code:#x}")]
    BadSignal {
        /// Zero-based index of the signal.
        position: usize,
        /// The 4-bit code.
        code: u8,
    },
    /// The filler nibble after an odd number of signals is not 0.
    #[error("non-zero filler {0:#x} after an odd number of address signals")]
    Filler(u8),
    /// The odd/even indicator says odd but the parameter has no address octets.
    #[error("odd/even indicator set but no address signals present")]
    OddEven,
    /// The number has no address signals where it needs some.
    #[error("number has no address signals")]
    Empty,
    /// A text digit string contains a character other than `0-9`, `B`, `C`.
    #[error("invalid address digit {0:?} (use 0-9, B for code 11, C for code 12)")]
    BadChar(char),
    /// A field value does not fit its bit width.
    #[error("{field} value {value} does not fit in {bits} bits")]
    FieldRange {
        /// The field.
        field: &'static str,
        /// The value given.
        value: u8,
        /// The field width.
        bits: u8,
    },
    /// The number cannot be mapped to or from a PASSporT telephone number.
    #[error("number not mappable: {0}")]
    NotMappable(String),
}

/// The nature of address indicator (7 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NatureOfAddress(u8);

impl NatureOfAddress {
    /// Subscriber number (national use), code 1.
    pub const SUBSCRIBER: NatureOfAddress = NatureOfAddress(1);
    /// Unknown (national use), code 2.
    pub const UNKNOWN: NatureOfAddress = NatureOfAddress(2);
    /// National (significant) number, code 3.
    pub const NATIONAL: NatureOfAddress = NatureOfAddress(3);
    /// International number, code 4.
    pub const INTERNATIONAL: NatureOfAddress = NatureOfAddress(4);
    /// Network-specific number (national use), code 5.
    pub const NETWORK_SPECIFIC: NatureOfAddress = NatureOfAddress(5);

    /// A nature of address code (0–127).
    pub fn new(code: u8) -> Result<NatureOfAddress, NumberError> {
        if code > 0x7f {
            return Err(NumberError::FieldRange {
                field: "nature of address",
                value: code,
                bits: 7,
            });
        }
        Ok(NatureOfAddress(code))
    }

    /// The 7-bit code.
    pub fn code(self) -> u8 {
        self.0
    }
}

/// The numbering plan indicator (3 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumberingPlan(u8);

impl NumberingPlan {
    /// ISDN (telephony) numbering plan, ITU-T E.164, code 1.
    pub const ISDN: NumberingPlan = NumberingPlan(1);
    /// Data numbering plan, ITU-T X.121 (national use), code 3.
    pub const DATA: NumberingPlan = NumberingPlan(3);
    /// Telex numbering plan, ITU-T F.69 (national use), code 4.
    pub const TELEX: NumberingPlan = NumberingPlan(4);

    /// A numbering plan code (0–7).
    pub fn new(code: u8) -> Result<NumberingPlan, NumberError> {
        if code > 7 {
            return Err(NumberError::FieldRange {
                field: "numbering plan",
                value: code,
                bits: 3,
            });
        }
        Ok(NumberingPlan(code))
    }

    /// The 3-bit code.
    pub fn code(self) -> u8 {
        self.0
    }
}

/// The address presentation restricted indicator of the Calling Party Number (2 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presentation {
    /// 00: presentation allowed.
    Allowed,
    /// 01: presentation restricted.
    Restricted,
    /// 10: address not available (national use); the parameter carries no digits.
    NotAvailable,
    /// 11: reserved for restriction by the network.
    NetworkRestricted,
}

impl Presentation {
    /// The 2-bit code.
    pub fn code(self) -> u8 {
        match self {
            Presentation::Allowed => 0,
            Presentation::Restricted => 1,
            Presentation::NotAvailable => 2,
            Presentation::NetworkRestricted => 3,
        }
    }

    /// The indicator for a 2-bit code (higher bits ignored).
    pub fn from_code(code: u8) -> Presentation {
        match code & 3 {
            0 => Presentation::Allowed,
            1 => Presentation::Restricted,
            2 => Presentation::NotAvailable,
            _ => Presentation::NetworkRestricted,
        }
    }
}

/// The screening indicator of the Calling Party Number (2 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screening {
    /// 00: user provided, not verified.
    UserNotVerified,
    /// 01: user provided, verified and passed.
    UserVerifiedPassed,
    /// 10: user provided, verified and failed.
    UserVerifiedFailed,
    /// 11: network provided.
    NetworkProvided,
}

impl Screening {
    /// The 2-bit code.
    pub fn code(self) -> u8 {
        match self {
            Screening::UserNotVerified => 0,
            Screening::UserVerifiedPassed => 1,
            Screening::UserVerifiedFailed => 2,
            Screening::NetworkProvided => 3,
        }
    }

    /// The indicator for a 2-bit code (higher bits ignored).
    pub fn from_code(code: u8) -> Screening {
        match code & 3 {
            0 => Screening::UserNotVerified,
            1 => Screening::UserVerifiedPassed,
            2 => Screening::UserVerifiedFailed,
            _ => Screening::NetworkProvided,
        }
    }
}

/// Address signals as text: `0`–`9`, `B` (code 11) and `C` (code 12), at most
/// [`MAX_ADDRESS_SIGNALS`] of them. ST is not part of the digits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AddressDigits(String);

impl AddressDigits {
    /// Checks and wraps a digit string (may be empty).
    pub fn new(text: &str) -> Result<AddressDigits, NumberError> {
        if text.len() > MAX_ADDRESS_SIGNALS {
            return Err(NumberError::TooLong {
                signals: text.len(),
                max: MAX_ADDRESS_SIGNALS,
            });
        }
        if let Some(c) = text.chars().find(|c| !matches!(c, '0'..='9' | 'B' | 'C')) {
            return Err(NumberError::BadChar(c));
        }
        Ok(AddressDigits(text.to_owned()))
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number of signals.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no digits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for AddressDigits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Called Party Number parameter (Q.763 §3.9, parameter code 0x04).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CalledPartyNumber {
    /// Nature of address indicator.
    pub nature: NatureOfAddress,
    /// Internal network number indicator: `true` = routing to an internal network number
    /// not allowed.
    pub inn: bool,
    /// Numbering plan indicator.
    pub plan: NumberingPlan,
    /// The address signals before any ST.
    pub digits: AddressDigits,
    /// Whether the number ends with ST (end of pulsing).
    pub st: bool,
}

/// The Calling Party Number parameter (Q.763 §3.10, parameter code 0x0A).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallingPartyNumber {
    /// Nature of address indicator.
    pub nature: NatureOfAddress,
    /// Number incomplete indicator: `true` = incomplete.
    pub incomplete: bool,
    /// Numbering plan indicator.
    pub plan: NumberingPlan,
    /// Address presentation restricted indicator.
    pub presentation: Presentation,
    /// Screening indicator.
    pub screening: Screening,
    /// The address signals (empty only when `presentation` is
    /// [`Presentation::NotAvailable`]).
    pub digits: AddressDigits,
}

impl CalledPartyNumber {
    /// An E.164 number of the given nature, INN 0, no ST.
    pub fn new(nature: NatureOfAddress, digits: AddressDigits) -> CalledPartyNumber {
        CalledPartyNumber {
            nature,
            inn: false,
            plan: NumberingPlan::ISDN,
            digits,
            st: false,
        }
    }

    /// Decodes the parameter value (without parameter code and length octet).
    pub fn decode(value: &[u8]) -> Result<CalledPartyNumber, NumberError> {
        let (o1, o2, signals) = decode_common(value)?;
        let mut st = false;
        let mut digits = String::with_capacity(signals.len());
        for (i, &code) in signals.iter().enumerate() {
            match code {
                0xf if i + 1 == signals.len() => st = true,
                _ => digits
                    .push(signal_char(code).ok_or(NumberError::BadSignal { position: i, code })?),
            }
        }
        if digits.is_empty() && !st {
            return Err(NumberError::Empty);
        }
        Ok(CalledPartyNumber {
            nature: NatureOfAddress(o1 & 0x7f),
            inn: o2 & 0x80 != 0,
            plan: NumberingPlan((o2 >> 4) & 7),
            digits: AddressDigits(digits),
            st,
        })
    }

    /// Encodes the parameter value (without parameter code and length octet).
    pub fn encode(&self) -> Result<Vec<u8>, NumberError> {
        if self.digits.is_empty() && !self.st {
            return Err(NumberError::Empty);
        }
        let o2 = (u8::from(self.inn) << 7) | (self.plan.0 << 4);
        encode_common(self.nature, o2, &self.digits, self.st)
    }
}

impl CallingPartyNumber {
    /// A complete E.164 number of the given nature, presentation allowed, network provided.
    pub fn new(nature: NatureOfAddress, digits: AddressDigits) -> CallingPartyNumber {
        CallingPartyNumber {
            nature,
            incomplete: false,
            plan: NumberingPlan::ISDN,
            presentation: Presentation::Allowed,
            screening: Screening::NetworkProvided,
            digits,
        }
    }

    /// Decodes the parameter value (without parameter code and length octet).
    pub fn decode(value: &[u8]) -> Result<CallingPartyNumber, NumberError> {
        let (o1, o2, signals) = decode_common(value)?;
        let mut digits = String::with_capacity(signals.len());
        for (i, &code) in signals.iter().enumerate() {
            digits.push(signal_char(code).ok_or(NumberError::BadSignal { position: i, code })?);
        }
        let presentation = Presentation::from_code(o2 >> 2);
        if digits.is_empty() && presentation != Presentation::NotAvailable {
            return Err(NumberError::Empty);
        }
        Ok(CallingPartyNumber {
            nature: NatureOfAddress(o1 & 0x7f),
            incomplete: o2 & 0x80 != 0,
            plan: NumberingPlan((o2 >> 4) & 7),
            presentation,
            screening: Screening::from_code(o2),
            digits: AddressDigits(digits),
        })
    }

    /// Encodes the parameter value (without parameter code and length octet).
    pub fn encode(&self) -> Result<Vec<u8>, NumberError> {
        if self.digits.is_empty() && self.presentation != Presentation::NotAvailable {
            return Err(NumberError::Empty);
        }
        let o2 = (u8::from(self.incomplete) << 7)
            | (self.plan.0 << 4)
            | (self.presentation.code() << 2)
            | self.screening.code();
        encode_common(self.nature, o2, &self.digits, false)
    }

    /// Rewrites the screening indicator inside an encoded parameter value, leaving every
    /// other bit as received (used by the incoming gateway so that spare bits survive).
    pub fn set_screening_in(value: &mut [u8], screening: Screening) -> Result<(), NumberError> {
        if value.len() < 2 {
            return Err(NumberError::Truncated { len: value.len() });
        }
        value[1] = (value[1] & !3) | screening.code();
        Ok(())
    }
}

/// Splits a number parameter into its two indicator octets and the address signal codes.
fn decode_common(value: &[u8]) -> Result<(u8, u8, Vec<u8>), NumberError> {
    if value.len() < 2 {
        return Err(NumberError::Truncated { len: value.len() });
    }
    if value.len() > MAX_NUMBER_PARAM_LEN {
        return Err(NumberError::TooLong {
            signals: (value.len() - 2) * 2,
            max: MAX_ADDRESS_SIGNALS,
        });
    }
    let (o1, o2, bcd) = (value[0], value[1], &value[2..]);
    let odd = o1 & 0x80 != 0;
    if odd && bcd.is_empty() {
        return Err(NumberError::OddEven);
    }
    let count = bcd.len() * 2 - usize::from(odd);
    let mut signals = Vec::with_capacity(count);
    for &b in bcd {
        signals.push(b & 0x0f);
        signals.push(b >> 4);
    }
    if odd {
        let filler = signals.pop().unwrap_or(0);
        if filler != 0 {
            return Err(NumberError::Filler(filler));
        }
    }
    Ok((o1, o2, signals))
}

fn encode_common(
    nature: NatureOfAddress,
    o2: u8,
    digits: &AddressDigits,
    st: bool,
) -> Result<Vec<u8>, NumberError> {
    let count = digits.len() + usize::from(st);
    if count > MAX_ADDRESS_SIGNALS {
        return Err(NumberError::TooLong {
            signals: count,
            max: MAX_ADDRESS_SIGNALS,
        });
    }
    let odd = count % 2 == 1;
    let mut out = Vec::with_capacity(2 + count.div_ceil(2));
    out.push((u8::from(odd) << 7) | nature.0);
    out.push(o2);
    let mut codes = digits.0.bytes().map(char_signal);
    let mut pending: Option<u8> = None;
    let mut push = |code: u8| match pending.take() {
        None => pending = Some(code),
        Some(low) => out.push(low | (code << 4)),
    };
    for c in codes.by_ref() {
        push(c);
    }
    if st {
        push(0xf);
    }
    if let Some(low) = pending {
        out.push(low);
    }
    Ok(out)
}

/// The text character of an address signal code, for codes other than ST.
fn signal_char(code: u8) -> Option<char> {
    match code {
        0..=9 => Some((b'0' + code) as char),
        0xb => Some('B'),
        0xc => Some('C'),
        _ => None,
    }
}

/// The code of a checked digit character.
fn char_signal(c: u8) -> u8 {
    match c {
        b'B' => 0xb,
        b'C' => 0xc,
        _ => c - b'0',
    }
}

/// How ISUP numbers map to PASSporT telephone numbers and back (see the module
/// documentation for the rules).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NumberMapping {
    /// The country code (E.164 CC, 1–3 digits) of national and subscriber numbers, e.g.
    /// `"1"` or `"44"`. Without it only international numbers map.
    pub country_code: Option<String>,
    /// The national (trunk) prefix, e.g. `"0"`, removed from the front of a national
    /// number that (wrongly but commonly) still carries it.
    pub national_prefix: Option<String>,
    /// The area code (national destination code) prepended to subscriber numbers.
    pub area_code: Option<String>,
    /// Map code 11 to `*` and code 12 to `#` (and back).
    pub star_hash: bool,
    /// [`NumberMapping::from_tn`] yields national numbers for numbers of the own country.
    pub prefer_national: bool,
}

impl NumberMapping {
    /// A mapping for international numbers only.
    pub fn international() -> NumberMapping {
        NumberMapping::default()
    }

    /// A mapping for a country: national numbers get `country_code` prepended.
    pub fn for_country(country_code: &str) -> NumberMapping {
        NumberMapping {
            country_code: Some(country_code.to_owned()),
            ..NumberMapping::default()
        }
    }

    /// The canonical telephone number for ISUP address signals of the given nature and
    /// numbering plan.
    pub fn to_tn(
        &self,
        nature: NatureOfAddress,
        plan: NumberingPlan,
        digits: &AddressDigits,
    ) -> Result<String, NumberError> {
        if plan != NumberingPlan::ISDN {
            return Err(NumberError::NotMappable(format!(
                "numbering plan {} is not E.164",
                plan.0
            )));
        }
        if digits.is_empty() {
            return Err(NumberError::Empty);
        }
        let mut body = String::with_capacity(digits.len());
        for c in digits.as_str().chars() {
            match c {
                'B' | 'C' if !self.star_hash => {
                    return Err(NumberError::NotMappable(
                        "code 11/12 in the number and star_hash is off".into(),
                    ));
                }
                'B' => body.push('*'),
                'C' => body.push('#'),
                _ => body.push(c),
            }
        }
        let full = match nature {
            NatureOfAddress::INTERNATIONAL => body,
            NatureOfAddress::NATIONAL => {
                let cc = self.cc("national")?;
                let nsn = match &self.national_prefix {
                    Some(p) if !p.is_empty() && body.starts_with(p.as_str()) => &body[p.len()..],
                    _ => &body,
                };
                format!("{cc}{nsn}")
            }
            NatureOfAddress::SUBSCRIBER => {
                let cc = self.cc("subscriber")?;
                let ac = self.area_code.as_deref().ok_or_else(|| {
                    NumberError::NotMappable("subscriber number and no area code".into())
                })?;
                format!("{cc}{ac}{body}")
            }
            other => {
                return Err(NumberError::NotMappable(format!(
                    "nature of address {} has no E.164 meaning",
                    other.0
                )));
            }
        };
        let tn = Tn::parse(&full).map_err(|e| NumberError::NotMappable(e.to_string()))?;
        if tn.as_str() != full {
            return Err(NumberError::NotMappable(format!(
                "{full:?} is not canonical"
            )));
        }
        Ok(tn.into_string())
    }

    /// The telephone number of a Calling Party Number.
    pub fn calling_to_tn(&self, n: &CallingPartyNumber) -> Result<String, NumberError> {
        if n.incomplete {
            return Err(NumberError::NotMappable("calling number incomplete".into()));
        }
        self.to_tn(n.nature, n.plan, &n.digits)
    }

    /// The telephone number of a Called Party Number (ST ignored).
    pub fn called_to_tn(&self, n: &CalledPartyNumber) -> Result<String, NumberError> {
        self.to_tn(n.nature, n.plan, &n.digits)
    }

    /// The nature of address and address signals for a telephone number (any form
    /// [`Tn::parse`] accepts); the numbering plan is E.164.
    pub fn from_tn(&self, tn: &str) -> Result<(NatureOfAddress, AddressDigits), NumberError> {
        let tn = Tn::parse(tn).map_err(|e| NumberError::NotMappable(e.to_string()))?;
        let mut body = String::with_capacity(tn.as_str().len());
        for c in tn.as_str().chars() {
            match c {
                '*' | '#' if !self.star_hash => {
                    return Err(NumberError::NotMappable(format!(
                        "{c:?} in the number and star_hash is off"
                    )));
                }
                '*' => body.push('B'),
                '#' => body.push('C'),
                _ => body.push(c),
            }
        }
        if self.prefer_national
            && let Some(cc) = &self.country_code
            && !cc.is_empty()
            && body.len() > cc.len()
            && body.starts_with(cc.as_str())
        {
            let nsn = &body[cc.len()..];
            // A national number must not look as if it carried the trunk prefix, or the
            // far end would strip it.
            let ambiguous = matches!(&self.national_prefix,
                Some(p) if !p.is_empty() && nsn.starts_with(p.as_str()));
            if !ambiguous {
                return Ok((NatureOfAddress::NATIONAL, AddressDigits::new(nsn)?));
            }
        }
        Ok((NatureOfAddress::INTERNATIONAL, AddressDigits::new(&body)?))
    }

    fn cc(&self, what: &str) -> Result<&str, NumberError> {
        match self.country_code.as_deref() {
            Some(cc) if !cc.is_empty() => Ok(cc),
            _ => Err(NumberError::NotMappable(format!(
                "{what} number and no country code configured"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> AddressDigits {
        AddressDigits::new(s).unwrap()
    }

    #[test]
    fn called_party_codec() {
        // 11 digits + ST = 12 signals, even.
        let n = CalledPartyNumber {
            st: true,
            ..CalledPartyNumber::new(NatureOfAddress::INTERNATIONAL, digits("12155551213"))
        };
        let v = n.encode().unwrap();
        assert_eq!(v, [0x04, 0x10, 0x21, 0x51, 0x55, 0x15, 0x12, 0xf3]);
        assert_eq!(CalledPartyNumber::decode(&v).unwrap(), n);
        // Odd: filler 0, INN set, national.
        let n = CalledPartyNumber {
            inn: true,
            ..CalledPartyNumber::new(NatureOfAddress::NATIONAL, digits("123"))
        };
        let v = n.encode().unwrap();
        assert_eq!(v, [0x83, 0x90, 0x21, 0x03]);
        assert_eq!(CalledPartyNumber::decode(&v).unwrap(), n);
        // Spare bits are ignored on receipt.
        assert_eq!(
            CalledPartyNumber::decode(&[0x83, 0x9f, 0x21, 0x03]).unwrap(),
            n
        );
        // ST alone.
        let st = CalledPartyNumber::decode(&[0x84, 0x10, 0x0f]).unwrap();
        assert!(st.st && st.digits.is_empty());
        // Codes 11 and 12.
        let n = CalledPartyNumber::decode(&[0x04, 0x10, 0xcb]).unwrap();
        assert_eq!(n.digits.as_str(), "BC");
        assert_eq!(n.encode().unwrap(), [0x04, 0x10, 0xcb]);
    }

    #[test]
    fn calling_party_codec() {
        let n = CallingPartyNumber {
            incomplete: false,
            presentation: Presentation::Restricted,
            screening: Screening::UserVerifiedPassed,
            ..CallingPartyNumber::new(NatureOfAddress::INTERNATIONAL, digits("12155551212"))
        };
        let v = n.encode().unwrap();
        assert_eq!(v, [0x84, 0x15, 0x21, 0x51, 0x55, 0x15, 0x12, 0x02]);
        assert_eq!(CallingPartyNumber::decode(&v).unwrap(), n);
        for code in 0..4 {
            let s = Screening::from_code(code);
            assert_eq!(s.code(), code);
            let p = Presentation::from_code(code);
            assert_eq!(p.code(), code);
            let m = CallingPartyNumber {
                screening: s,
                presentation: p,
                incomplete: true,
                ..n.clone()
            };
            let v = m.encode().unwrap();
            assert_eq!(CallingPartyNumber::decode(&v).unwrap(), m);
        }
        let mut v = n.encode().unwrap();
        CallingPartyNumber::set_screening_in(&mut v, Screening::UserVerifiedFailed).unwrap();
        assert_eq!(
            CallingPartyNumber::decode(&v).unwrap().screening,
            Screening::UserVerifiedFailed
        );
        // Address not available: no digits.
        let na = CallingPartyNumber {
            presentation: Presentation::NotAvailable,
            ..CallingPartyNumber::new(NatureOfAddress::new(0).unwrap(), AddressDigits::default())
        };
        let v = na.encode().unwrap();
        assert_eq!(v, [0x00, 0x1b]);
        assert_eq!(CallingPartyNumber::decode(&v).unwrap(), na);
    }

    #[test]
    fn rejects_malformed() {
        use NumberError as E;
        assert_eq!(CalledPartyNumber::decode(&[]), Err(E::Truncated { len: 0 }));
        assert_eq!(
            CalledPartyNumber::decode(&[4]),
            Err(E::Truncated { len: 1 })
        );
        assert_eq!(CalledPartyNumber::decode(&[4, 0x10]), Err(E::Empty));
        assert_eq!(CalledPartyNumber::decode(&[0x84, 0x10]), Err(E::OddEven));
        assert_eq!(
            CalledPartyNumber::decode(&[0x84, 0x10, 0x21, 0x53]),
            Err(E::Filler(5))
        );
        assert_eq!(
            CalledPartyNumber::decode(&[0x04, 0x10, 0x2a]),
            Err(E::BadSignal {
                position: 0,
                code: 0xa
            })
        );
        // ST not last.
        assert_eq!(
            CalledPartyNumber::decode(&[0x04, 0x10, 0x1f]),
            Err(E::BadSignal {
                position: 0,
                code: 0xf
            })
        );
        // No ST in a calling party number.
        assert!(matches!(
            CallingPartyNumber::decode(&[0x84, 0x10, 0x21, 0x0f]),
            Err(E::BadSignal { code: 0xf, .. })
        ));
        assert_eq!(CallingPartyNumber::decode(&[0x04, 0x10]), Err(E::Empty));
        let long = [[0x04u8, 0x10].as_slice(), &[0x11; 17]].concat();
        assert!(matches!(
            CalledPartyNumber::decode(&long),
            Err(E::TooLong { .. })
        ));
        assert!(matches!(
            AddressDigits::new(&"1".repeat(33)),
            Err(E::TooLong { .. })
        ));
        assert_eq!(AddressDigits::new("12*"), Err(E::BadChar('*')));
        assert!(NatureOfAddress::new(128).is_err());
        assert!(NumberingPlan::new(8).is_err());
        let max = CalledPartyNumber::new(NatureOfAddress::UNKNOWN, digits(&"9".repeat(32)));
        assert_eq!(max.encode().unwrap().len(), MAX_NUMBER_PARAM_LEN);
        let over = CalledPartyNumber { st: true, ..max };
        assert!(matches!(over.encode(), Err(E::TooLong { .. })));
    }

    #[test]
    fn every_input_is_handled() {
        // Exhaustive over short inputs: decoding never panics and what decodes re-encodes
        // to something that decodes to the same value.
        for a in 0..=255u8 {
            for b in [0x00u8, 0x10, 0x13, 0xff] {
                for c in [
                    None,
                    Some(0x00u8),
                    Some(0x21),
                    Some(0xf1),
                    Some(0x1f),
                    Some(0xcb),
                ] {
                    let mut v = vec![a, b];
                    v.extend(c);
                    if let Ok(n) = CalledPartyNumber::decode(&v) {
                        let again = CalledPartyNumber::decode(&n.encode().unwrap()).unwrap();
                        assert_eq!(again, n);
                    }
                    if let Ok(n) = CallingPartyNumber::decode(&v) {
                        let again = CallingPartyNumber::decode(&n.encode().unwrap()).unwrap();
                        assert_eq!(again, n);
                    }
                }
            }
        }
    }

    #[test]
    fn mapping_rules() {
        let intl = NumberMapping::international();
        let isdn = NumberingPlan::ISDN;
        assert_eq!(
            intl.to_tn(NatureOfAddress::INTERNATIONAL, isdn, &digits("12155551212")),
            Ok("12155551212".into())
        );
        assert!(matches!(
            intl.to_tn(NatureOfAddress::NATIONAL, isdn, &digits("2155551212")),
            Err(NumberError::NotMappable(_))
        ));
        let us = NumberMapping {
            area_code: Some("215".into()),
            ..NumberMapping::for_country("1")
        };
        assert_eq!(
            us.to_tn(NatureOfAddress::NATIONAL, isdn, &digits("2155551212")),
            Ok("12155551212".into())
        );
        assert_eq!(
            us.to_tn(NatureOfAddress::SUBSCRIBER, isdn, &digits("5551212")),
            Ok("12155551212".into())
        );
        let uk = NumberMapping {
            national_prefix: Some("0".into()),
            prefer_national: true,
            ..NumberMapping::for_country("44")
        };
        assert_eq!(
            uk.to_tn(NatureOfAddress::NATIONAL, isdn, &digits("02079460000")),
            Ok("442079460000".into())
        );
        assert_eq!(
            uk.to_tn(NatureOfAddress::NATIONAL, isdn, &digits("2079460000")),
            Ok("442079460000".into())
        );
        for bad in [
            (NatureOfAddress::UNKNOWN, isdn, "123"),
            (NatureOfAddress::NETWORK_SPECIFIC, isdn, "123"),
            (NatureOfAddress::INTERNATIONAL, NumberingPlan::DATA, "123"),
            (NatureOfAddress::INTERNATIONAL, isdn, "1234567890123456"),
            (NatureOfAddress::INTERNATIONAL, isdn, "12B"),
        ] {
            assert!(
                matches!(
                    us.to_tn(bad.0, bad.1, &digits(bad.2)),
                    Err(NumberError::NotMappable(_))
                ),
                "{bad:?}"
            );
        }
        let sh = NumberMapping {
            star_hash: true,
            ..NumberMapping::default()
        };
        assert_eq!(
            sh.to_tn(NatureOfAddress::INTERNATIONAL, isdn, &digits("B31C")),
            Ok("*31#".into())
        );
        assert_eq!(
            sh.from_tn("*31#").unwrap(),
            (NatureOfAddress::INTERNATIONAL, digits("B31C"))
        );
        // Reverse mapping and round trip.
        assert_eq!(
            uk.from_tn("+44 20 7946 0000").unwrap(),
            (NatureOfAddress::NATIONAL, digits("2079460000"))
        );
        // A national number starting with the trunk prefix would be mangled: international.
        assert_eq!(
            uk.from_tn("4402079460000").unwrap().0,
            NatureOfAddress::INTERNATIONAL
        );
        assert_eq!(
            uk.from_tn("12155551212").unwrap(),
            (NatureOfAddress::INTERNATIONAL, digits("12155551212"))
        );
        for tn in ["442079460000", "4402079460000", "12155551212", "44"] {
            let (noa, d) = uk.from_tn(tn).unwrap();
            assert_eq!(uk.to_tn(noa, isdn, &d).unwrap(), tn);
        }
        let incomplete = CallingPartyNumber {
            incomplete: true,
            ..CallingPartyNumber::new(NatureOfAddress::INTERNATIONAL, digits("1215"))
        };
        assert!(us.calling_to_tn(&incomplete).is_err());
    }
}
