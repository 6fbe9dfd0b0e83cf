//! TNAuthList (RFC 8226) known-answer, negative and coverage tests.

use cliauth::cert::tnauthlist::{MAX_TN_AUTH_LIST_DER, MAX_TN_ENTRIES, validate_telephone_number};
use cliauth::cert::{CertError, Coverage, TnAuthList, TnEntry};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ascii_hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn list(entries: Vec<TnEntry>) -> TnAuthList {
    TnAuthList::new(entries).unwrap()
}

fn one(s: &str) -> TnEntry {
    TnEntry::One(s.into())
}

fn range(s: &str, count: u64) -> TnEntry {
    TnEntry::Range {
        start: s.into(),
        count,
    }
}

fn spc(s: &str) -> TnEntry {
    TnEntry::Spc(s.into())
}

/// Encode, compare with the expected DER, decode back.
fn known_answer(entries: Vec<TnEntry>, expected: &str) {
    let l = list(entries);
    let der = l.to_der().unwrap();
    assert_eq!(der, hex(expected), "encoding of {l:?}");
    assert_eq!(TnAuthList::from_der(&der).unwrap(), l);
}

#[test]
fn known_answer_spc() {
    // The value given in STANDARDS.md / RFC 8226 style.
    known_answer(vec![spc("1234")], "30 08 a0 06 16 04 31 32 33 34");
    let l = TnAuthList::from_der(&hex("30 08 a0 06 16 04 31 32 33 34")).unwrap();
    assert_eq!(l.entries(), &[spc("1234")]);
    assert_eq!(l.spc(), Some("1234"));
    assert_eq!(l.tn_entries().count(), 0);
}

#[test]
fn known_answer_one() {
    let tn = "12025551000";
    known_answer(
        vec![one(tn)],
        &format!("30 0f a2 0d 16 0b {}", ascii_hex(tn)),
    );
}

#[test]
fn known_answer_range() {
    let start = "12025550000";
    // count 100 = 02 01 64
    known_answer(
        vec![range(start, 100)],
        &format!("30 14 a1 12 30 10 16 0b {} 02 01 64", ascii_hex(start)),
    );
    // count 128 needs a leading zero octet: 02 02 00 80
    known_answer(
        vec![range(start, 128)],
        &format!("30 15 a1 13 30 11 16 0b {} 02 02 00 80", ascii_hex(start)),
    );
    // the largest count
    let l = list(vec![range(start, u64::MAX)]);
    let der = l.to_der().unwrap();
    assert!(der.ends_with(&hex("02 09 00 ff ff ff ff ff ff ff ff")));
    assert_eq!(TnAuthList::from_der(&der).unwrap(), l);
}

#[test]
fn known_answer_several_entries() {
    known_answer(
        vec![spc("1234"), one("5")],
        "30 0d a0 06 16 04 31 32 33 34 a2 03 16 01 35",
    );
    let l = list(vec![spc("567J"), range("1555", 10), one("*67"), one("#1")]);
    let der = l.to_der().unwrap();
    let back = TnAuthList::from_der(&der).unwrap();
    assert_eq!(back, l);
    assert_eq!(back.spcs().collect::<Vec<_>>(), ["567J"]);
    assert_eq!(back.tn_entries().count(), 3);
}

#[test]
fn range_extension_additions_are_ignored() {
    // TelephoneNumberRange is extensible (`...`): an unknown trailing component
    // (here a BOOLEAN) must be skipped.
    let start = "12025550000";
    let der = hex(&format!(
        "30 17 a1 15 30 13 16 0b {} 02 01 64 01 01 ff",
        ascii_hex(start)
    ));
    let l = TnAuthList::from_der(&der).unwrap();
    assert_eq!(l.entries(), &[range(start, 100)]);
}

fn decode_err(der_hex: &str) -> CertError {
    TnAuthList::from_der(&hex(der_hex)).unwrap_err()
}

#[test]
fn rejects_bad_alphabet() {
    // one "12a"
    let e = decode_err("30 07 a2 05 16 03 31 32 61");
    assert!(matches!(e, CertError::InvalidTelephoneNumber { .. }), "{e}");
    // one "+1202"
    let e = decode_err("30 09 a2 07 16 05 2b 31 32 30 32");
    assert!(matches!(e, CertError::InvalidTelephoneNumber { .. }), "{e}");
    // range start "12-3"
    let e = decode_err("30 0d a1 0b 30 09 16 04 31 32 2d 33 02 01 05");
    assert!(matches!(e, CertError::InvalidTelephoneNumber { .. }), "{e}");
    // a space
    assert!(validate_telephone_number("1202 555").is_err());
    assert!(validate_telephone_number("#*0123456789").is_ok());
    // constructor validates too
    assert!(TnAuthList::new(vec![one("12x")]).is_err());
    assert!(TnAuthList::new(vec![spc("é")]).is_err());
}

#[test]
fn rejects_non_ascii_ia5() {
    let e = decode_err("30 05 a0 03 16 01 ff");
    assert!(
        matches!(
            e,
            CertError::Asn1Decode { .. } | CertError::InvalidString { .. }
        ),
        "{e}"
    );
}

#[test]
fn rejects_bad_lengths_of_numbers() {
    // 16 characters
    let tn = "1234567890123456";
    let e = decode_err(&format!("30 14 a2 12 16 10 {}", ascii_hex(tn)));
    assert!(matches!(e, CertError::InvalidTelephoneNumber { .. }), "{e}");
    // 15 is fine
    let tn15 = &tn[..15];
    assert!(TnAuthList::from_der(&hex(&format!("30 13 a2 11 16 0f {}", ascii_hex(tn15)))).is_ok());
    // empty TelephoneNumber
    let e = decode_err("30 04 a2 02 16 00");
    assert!(matches!(e, CertError::InvalidTelephoneNumber { .. }), "{e}");
}

#[test]
fn rejects_bad_counts() {
    for count in [
        "02 01 01",
        "02 01 00",
        "02 01 ff",
        "02 09 01 00 00 00 00 00 00 00 00",
    ] {
        let inner = format!("16 04 31 32 33 34 {count}");
        let inner_len = hex(&inner).len();
        let der = format!(
            "30 {:02x} a1 {:02x} 30 {:02x} {inner}",
            inner_len + 4,
            inner_len + 2,
            inner_len
        );
        let e = decode_err(&der);
        assert!(matches!(e, CertError::InvalidRangeCount(_)), "{count}: {e}");
    }
    assert!(matches!(
        TnAuthList::new(vec![range("1234", 1)]),
        Err(CertError::InvalidRangeCount(_))
    ));
}

#[test]
fn rejects_empty_sequence() {
    assert!(matches!(
        decode_err("30 00"),
        CertError::EmptySequence { .. }
    ));
    assert!(matches!(
        TnAuthList::new(vec![]),
        Err(CertError::EmptySequence { .. })
    ));
    // empty input
    assert!(matches!(
        TnAuthList::from_der(&[]),
        Err(CertError::Asn1Decode { .. })
    ));
}

#[test]
fn rejects_truncated_and_trailing() {
    let good = hex("30 08 a0 06 16 04 31 32 33 34");
    for cut in 0..good.len() {
        let e = TnAuthList::from_der(&good[..cut]).unwrap_err();
        assert!(matches!(e, CertError::Asn1Decode { .. }), "cut {cut}: {e}");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(
        TnAuthList::from_der(&trailing),
        Err(CertError::TrailingData { count: 1, .. })
    ));
    // inner length shorter than its content: bytes left inside the [0]
    let e = decode_err("30 09 a0 07 16 04 31 32 33 34 00");
    assert!(matches!(e, CertError::Asn1Decode { .. }), "{e}");
}

#[test]
fn rejects_wrong_tags() {
    for der in [
        "30 08 a3 06 16 04 31 32 33 34", // [3] is not a TNEntry alternative
        "30 06 80 04 31 32 33 34",       // IMPLICIT encoding of spc
        "31 08 a0 06 16 04 31 32 33 34", // SET instead of SEQUENCE
        "30 08 a0 06 0c 04 31 32 33 34", // UTF8String instead of IA5String
        "30 08 a0 06 13 04 31 32 33 34", // PrintableString
        "16 04 31 32 33 34",             // bare IA5String (libstirshaken style)
        "30 06 a2 04 16 02 31 32 00",    // garbage
        "30 0a a1 08 16 04 31 32 33 34 02 01 05", // range without SEQUENCE... lengths off
        "30 09 a1 07 30 05 02 01 05 16 00", // range fields swapped
    ] {
        let e = TnAuthList::from_der(&hex(der)).unwrap_err();
        assert!(
            matches!(
                e,
                CertError::Asn1Decode { .. }
                    | CertError::TrailingData { .. }
                    | CertError::InvalidTelephoneNumber { .. }
            ),
            "{der}: {e}"
        );
    }
}

#[test]
fn rejects_huge_lengths() {
    for der in [
        "30 84 ff ff ff ff a0 06 16 04 31 32 33 34",
        "30 88 ff ff ff ff ff ff ff ff a0",
        "30 89 01 00 00 00 00 00 00 00 00 a0",
        "30 08 a0 84 7f ff ff ff 16 04 31 32",
        "30 08 a0 06 16 84 7f ff ff ff 31",
        "30 80 a0 06 16 04 31 32 33 34 00 00", // indefinite length is not DER
    ] {
        let e = TnAuthList::from_der(&hex(der)).unwrap_err();
        assert!(
            matches!(
                e,
                CertError::Asn1Decode { .. } | CertError::TrailingData { .. }
            ),
            "{der}: {e}"
        );
    }
}

#[test]
fn non_minimal_length_is_tolerated() {
    // rasn 0.30's DER decoder accepts a non-minimal length form. The extension
    // bytes are covered by the certificate signature, so this leniency has no
    // security effect; it is pinned here so a change in rasn is noticed.
    let l = TnAuthList::from_der(&hex("30 81 08 a0 06 16 04 31 32 33 34")).unwrap();
    assert_eq!(l.entries(), &[spc("1234")]);
}

#[test]
fn size_and_count_limits() {
    let big = vec![0u8; MAX_TN_AUTH_LIST_DER + 1];
    assert!(matches!(
        TnAuthList::from_der(&big),
        Err(CertError::TooLarge { .. })
    ));
    let entries: Vec<TnEntry> = (0..=MAX_TN_ENTRIES).map(|_| one("1")).collect();
    assert!(matches!(
        TnAuthList::new(entries),
        Err(CertError::TooManyEntries { .. })
    ));
    // Same through the decoder: 4097 × `a2 03 16 01 31` = 20485 bytes.
    let mut body = Vec::new();
    for _ in 0..=MAX_TN_ENTRIES {
        body.extend_from_slice(&hex("a2 03 16 01 31"));
    }
    let mut der = vec![0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8];
    der.extend_from_slice(&body);
    assert!(matches!(
        TnAuthList::from_der(&der),
        Err(CertError::TooManyEntries { .. })
    ));
}

#[test]
fn fuzz_like_inputs_never_panic() {
    // Every prefix and single-byte mutation of a valid multi-entry encoding.
    let l = list(vec![
        spc("1234"),
        range("12025550000", 300),
        one("18005551212"),
    ]);
    let der = l.to_der().unwrap();
    for cut in 0..der.len() {
        let _ = TnAuthList::from_der(&der[..cut]);
    }
    for i in 0..der.len() {
        for v in [0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, 0x30, 0xa0, 0x16] {
            let mut m = der.clone();
            m[i] = v;
            let _ = TnAuthList::from_der(&m);
        }
    }
}

#[test]
fn coverage_one_and_range() {
    let l = list(vec![
        spc("1234"),
        one("12025551000"),
        range("12025550000", 100),
    ]);
    assert_eq!(l.covers("12025551000"), Coverage::Tn);
    assert_eq!(l.covers("12025550000"), Coverage::Tn); // first of range
    assert_eq!(l.covers("12025550099"), Coverage::Tn); // last of range
    assert_eq!(l.covers("12025550100"), Coverage::No); // start + count
    assert_eq!(l.covers("12025549999"), Coverage::No); // below start
    assert_eq!(l.covers("2025550050"), Coverage::No); // other length
    assert_eq!(l.covers("012025550050"), Coverage::No); // other length
    // TN entries exist: an unmatched number is not covered even with an SPC.
    assert_eq!(l.covers("19995551234"), Coverage::No);
    // invalid input
    assert_eq!(l.covers("+12025551000"), Coverage::No);
    assert_eq!(l.covers(""), Coverage::No);
    assert_eq!(l.covers("1234567890123456"), Coverage::No);
}

#[test]
fn coverage_spc_only_and_specials() {
    let l = list(vec![spc("1234"), spc("5678")]);
    assert_eq!(l.covers("12025551000"), Coverage::SpcOnly("1234".into()));
    assert_eq!(l.covers("abc"), Coverage::No);

    // '#'/'*' numbers match `one` exactly; a range with a non-digit start
    // matches nothing.
    let l = list(vec![one("*67"), range("#100", 5)]);
    assert_eq!(l.covers("*67"), Coverage::Tn);
    assert_eq!(l.covers("#100"), Coverage::No);
    assert_eq!(l.covers("#101"), Coverage::No);

    // Range that would run past the digit length: numbers of the same length
    // are still compared numerically.
    let l = list(vec![range("999999999999990", u64::MAX)]);
    assert_eq!(l.covers("999999999999999"), Coverage::Tn);
    assert_eq!(l.covers("999999999999989"), Coverage::No);

    // Leading zeros count as digits of the same-length string.
    let l = list(vec![range("0009", 2)]);
    assert_eq!(l.covers("0010"), Coverage::Tn);
    assert_eq!(l.covers("0011"), Coverage::No);
}
