//! `IdentityHeader::parse_all` on arbitrary text.
//!
//! Invariants, for every value a field parses into:
//! * the parsed fields are well formed (token of base64url and `.`, non-empty `info`,
//!   `alg`, `ppt`, lower-case token-character parameter names);
//! * `format()` is canonical: re-parsing it gives the same value with `alg` made explicit
//!   (`format()` always writes `alg`, ES256 when it was absent), and formatting that again
//!   gives the same text — for every value, including `info`, `alg` and `ppt` that came
//!   from a quoted parameter with characters the bare form cannot hold (`format()` quotes
//!   those; tests/regressions.rs `identity_format_round_trips_quoted_values`);
//! * the formatted values joined with `,` parse back to the same list.
#![no_main]

use cliauth::IdentityHeader;
use cliauth::limits::MAX_IDENTITY_HEADERS;
use libfuzzer_sys::fuzz_target;

/// RFC 3261 token characters (the parameter-name alphabet of the parser).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// The value `parse(format(h))` must give: `alg` explicit.
fn canonical(h: &IdentityHeader) -> IdentityHeader {
    IdentityHeader {
        alg: Some(h.alg().to_owned()),
        ..h.clone()
    }
}

fn check_fields(h: &IdentityHeader) {
    assert!(!h.token.is_empty());
    assert!(
        h.token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
        "token {:?}",
        h.token
    );
    for v in [&h.info, &h.alg, &h.ppt].into_iter().flatten() {
        assert!(!v.is_empty());
    }
    for (name, _) in &h.params {
        assert!(!name.is_empty());
        assert!(name.bytes().all(is_token_char), "param name {name:?}");
        assert_eq!(*name, name.to_ascii_lowercase());
        assert!(!matches!(name.as_str(), "info" | "alg" | "ppt"));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(all) = IdentityHeader::parse_all(text) else {
        return;
    };
    assert!(!all.is_empty() && all.len() <= MAX_IDENTITY_HEADERS);
    if all.len() == 1 {
        assert_eq!(IdentityHeader::parse(text).as_ref(), Ok(&all[0]));
    } else {
        assert!(IdentityHeader::parse(text).is_err());
    }
    for h in &all {
        check_fields(h);
        let formatted = h.format();
        let canon = canonical(h);
        assert_eq!(canon.format(), formatted);
        let back = IdentityHeader::parse(&formatted)
            .unwrap_or_else(|e| panic!("format() output {formatted:?} does not parse: {e}"));
        assert_eq!(back, canon, "format() = {formatted:?}");
        assert_eq!(back.format(), formatted);
    }
    let joined = all
        .iter()
        .map(IdentityHeader::format)
        .collect::<Vec<_>>()
        .join(", ");
    let back = IdentityHeader::parse_all(&joined).expect("joined canonical values parse");
    let want: Vec<_> = all.iter().map(canonical).collect();
    assert_eq!(back, want);
});
