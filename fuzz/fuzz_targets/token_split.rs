//! `passport::jws::RawToken::split` on arbitrary text.
//!
//! Invariant: an accepted token is exactly `signing_input() "." base64url(signature)`
//! (the base64url decoding is canonical), `signing_input()` is `header "." claims` as
//! received, and the compact form is recognised by its empty header and claims.
#![no_main]

use base64::Engine;
use cliauth::passport::jws::{B64, RawToken};
use cliauth::passport::to_compact;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(raw) = RawToken::split(text) else {
        return;
    };
    let mut again = String::from_utf8(raw.signing_input().to_vec()).expect("ASCII");
    again.push('.');
    B64.encode_string(raw.signature, &mut again);
    assert_eq!(again, text);
    assert_eq!(
        raw.signing_input(),
        format!("{}.{}", raw.header_b64(), raw.claims_b64()).as_bytes()
    );
    assert_eq!(raw.is_compact(), text.starts_with(".."));
    assert_eq!(raw.header_b64().is_empty(), raw.claims_b64().is_empty());
    if !raw.is_compact() {
        // Both parts decode or fail without panicking.
        let _ = (raw.header_json(), raw.claims_json());
    }
    let compact = to_compact(text).expect("an accepted token has a compact form");
    let c = RawToken::split(&compact).expect("the compact form splits");
    assert!(c.is_compact());
    assert_eq!(c.signature, raw.signature);
});
