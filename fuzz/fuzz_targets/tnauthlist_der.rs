//! `TnAuthList::from_der` (the RFC 8226 TNAuthList extension value) on arbitrary bytes.
//!
//! Invariants, for an accepted list:
//! * 1..=`MAX_TN_ENTRIES` entries; every TelephoneNumber (`one`, range `start`) is 1..=15
//!   characters of `0-9#*`, every range count is at least 2, every SPC is ASCII;
//! * `to_der()` succeeds and parses back to an equal list, and encoding that again gives
//!   the same bytes; the re-encoding equals the input except for extension additions
//!   after a range's `count` (RFC 8226's `...`), which are read and dropped, and the
//!   non-DER forms the decoder wrongly accepts (see `canonical`);
//! * `spc()`/`spcs()`/`tn_entries()` partition the entries; `covers` is `Tn` for every
//!   `one` entry and for both ends of every all-digit range, `SpcOnly(first spc)` for any
//!   valid number when there are no TelephoneNumber entries, and `No` for invalid numbers.
#![no_main]

use cliauth::cert::tnauthlist::{MAX_TELEPHONE_NUMBER_LEN, MAX_TN_ENTRIES};
use cliauth::cert::{Coverage, TnAuthList, TnEntry};
use cliauth_fuzz::der_canonical;
use libfuzzer_sys::fuzz_target;

fn is_telephone_number(s: &str) -> bool {
    (1..=MAX_TELEPHONE_NUMBER_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'#' || b == b'*')
}

/// The last number of an all-digit range, written with the start's width, when it has
/// that width.
fn range_end(start: &str, count: u64) -> Option<String> {
    if !start.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let first: u64 = start.parse().ok()?;
    let last = first.checked_add(count - 1)?;
    let s = format!("{last:0width$}", width = start.len());
    (s.len() == start.len()).then_some(s)
}

/// The canonical DER of an accepted input, given the differences the decoder tolerates:
/// extension additions after a range's `count` (RFC 8226's `...`: read and dropped, as
/// they must be); and the BER forms DER forbids: lengths and INTEGERs not in their
/// shortest form, tags with the wrong primitive/constructed bit (an EXPLICIT `[1]` in
/// primitive form, a constructed INTEGER) or in the high-tag-number form — tolerated on
/// purpose: tests/regressions.rs `cert_extensions_accept_ber_only_encodings`.
fn canonical(data: &[u8]) -> Option<Vec<u8>> {
    der_canonical(data, &|path| (path == [0x30, 0xa1, 0x30]).then_some(2))
}

fuzz_target!(|data: &[u8]| {
    let Ok(list) = TnAuthList::from_der(data) else {
        return;
    };
    let entries = list.entries();
    assert!(!entries.is_empty() && entries.len() <= MAX_TN_ENTRIES);
    for e in entries {
        match e {
            TnEntry::Spc(s) => assert!(s.is_ascii(), "{s:?}"),
            TnEntry::Range { start, count } => {
                assert!(is_telephone_number(start), "{start:?}");
                assert!(*count >= 2);
            }
            TnEntry::One(tn) => assert!(is_telephone_number(tn), "{tn:?}"),
        }
    }

    // Re-encoding.
    let der = list.to_der().expect("an accepted list encodes");
    let back = TnAuthList::from_der(&der).expect("the re-encoding parses");
    assert_eq!(back, list);
    assert_eq!(back.to_der().as_ref(), Ok(&der));
    assert_eq!(TnAuthList::new(entries.to_vec()).as_ref(), Ok(&list));
    assert_eq!(
        Some(&der),
        canonical(data).as_ref(),
        "the re-encoding differs from the input in more than the tolerated ways"
    );

    // Accessors.
    let spcs: Vec<&str> = list.spcs().collect();
    assert_eq!(list.spc(), spcs.first().copied());
    let tns: Vec<&TnEntry> = list.tn_entries().collect();
    assert_eq!(spcs.len() + tns.len(), entries.len());
    assert!(tns.iter().all(|e| !matches!(e, TnEntry::Spc(_))));

    // Coverage.
    for e in &tns {
        match e {
            TnEntry::One(tn) => assert_eq!(list.covers(tn), Coverage::Tn, "{tn}"),
            TnEntry::Range { start, count } => {
                if let Some(end) = range_end(start, *count) {
                    assert_eq!(list.covers(start), Coverage::Tn, "{start}");
                    assert_eq!(list.covers(&end), Coverage::Tn, "{start}+{count}");
                }
            }
            TnEntry::Spc(_) => unreachable!(),
        }
    }
    for probe in [
        "12155551212",
        "0",
        "*67",
        "1234567890123456",
        "",
        "12a",
        "+1215",
    ] {
        let c = list.covers(probe);
        if !is_telephone_number(probe) {
            assert_eq!(c, Coverage::No, "{probe:?}");
        } else if tns.is_empty() {
            let want = match list.spc() {
                Some(spc) => Coverage::SpcOnly(spc.to_owned()),
                None => Coverage::No,
            };
            assert_eq!(c, want, "{probe:?}");
        } else {
            assert!(!matches!(c, Coverage::SpcOnly(_)), "{probe:?}");
        }
    }
});
