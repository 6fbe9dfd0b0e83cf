//! `Tn::parse` on arbitrary text.
//!
//! Invariants: the canonical form is 1..=15 characters of `0-9#*`, parses to itself (also
//! with a leading `+` and with separators around it), and `matches` agrees with `parse`.
#![no_main]

use cliauth::Tn;
use cliauth::tn::MAX_TN_DIGITS;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tn) = Tn::parse(text) else {
        return;
    };
    let c = tn.as_str();
    assert!((1..=MAX_TN_DIGITS).contains(&c.len()), "{c:?}");
    assert!(
        c.bytes()
            .all(|b| b.is_ascii_digit() || b == b'#' || b == b'*'),
        "{c:?}"
    );
    assert_eq!(Tn::parse(c).as_ref(), Ok(&tn));
    assert_eq!(Tn::parse(&format!("+{c}")).as_ref(), Ok(&tn));
    assert_eq!(Tn::parse(&format!("({c})-. ")).as_ref(), Ok(&tn));
    assert!(tn.matches(text));
    assert!(tn.matches(c));
    assert_eq!(c.parse::<Tn>().as_ref(), Ok(&tn));
    // Only separators and one leading `+` were dropped.
    let kept: String = text
        .strip_prefix('+')
        .unwrap_or(text)
        .chars()
        .filter(|ch| !matches!(ch, '-' | '.' | '(' | ')' | ' '))
        .collect();
    assert_eq!(kept, c);
});
