//! `CompactToken::decode` (the ISUP compact token, UPER) on arbitrary bytes, then
//! `rebuild` into the SIP form with the IAM's numbers (a typical call, and no numbers).
//!
//! Invariants, for a decoded token:
//! * re-encoding the decoded value (UPER) decodes to the same value, is canonical (it
//!   re-encodes to itself) and gives back exactly the input bytes, with three exceptions,
//!   all inputs that are not the canonical encoding of their value (never what this
//!   library encodes) and whose re-encoding is never longer: padding bits after the last
//!   encoded bit that are not 0 (the decoder ignores them, the encoder writes 0:
//!   `same_but_padding`); a DEFAULT component sent with its default value (`typAbsent`
//!   FALSE); and extension additions this version does not know (after a `...` in
//!   `asn/CliAuthToken.asn`), which the decoder skips by design; `iat` fits an `i64`
//!   (tests/regressions.rs `isup_token_decode_accepts_iat_beyond_i64`);
//! * `rebuild` either succeeds or returns a typed `TokenError`; on success the Identity
//!   value is `format_identity(token, x5u, ppt)`, the token splits into three parts whose
//!   signature is the compact token's, and — when the rebuilt PASSporT parses and its
//!   Identity value reads back with `info` = `x5u` — converting that Identity value to a
//!   compact token again (`from_identity` with the same numbers) succeeds and rebuilds the
//!   same PASSporT byte for byte (SIP → ISUP → SIP is lossless).
#![no_main]

use cliauth::isup::{CompactToken, ConvertOptions};
use cliauth::passport::jws::RawToken;
use cliauth::{Call, IdentityHeader, Passport, format_identity};
use libfuzzer_sys::fuzz_target;

/// Whether `enc`, the re-encoding of what `data` decoded to, is `data` but for the
/// padding bits after the last encoded bit (UPER pads the last octet with zeros; the
/// decoder ignores their values): the octets before the last are equal, and the last
/// octets differ only in low bits that are 0 in `enc`.
fn same_but_padding(enc: &[u8], data: &[u8]) -> bool {
    let (Some((a, enc_head)), Some((b, data_head))) = (enc.split_last(), data.split_last()) else {
        return enc == data;
    };
    let diff = a ^ b;
    let low = if diff == 0 {
        0
    } else {
        u8::MAX >> diff.leading_zeros()
    };
    enc_head == data_head && a & low == 0
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn check_rebuild(t: &CompactToken, call: &Call<'_>) {
    let sip = match t.rebuild(call) {
        Ok(sip) => sip,
        Err(e) => {
            // Typed by construction; its text is what a gateway logs.
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert_eq!(sip.identity, format_identity(&sip.token, &sip.x5u, sip.ppt));
    let raw = RawToken::split(&sip.token).expect("a rebuilt token splits");
    let v = t.describe();
    assert_eq!(v["signature"], hex(&raw.signature));
    if let Some(x5u) = v["header"]["rebuilt"]["x5u"].as_str() {
        assert_eq!(sip.x5u, x5u);
    }

    // SIP → ISUP → SIP.
    if Passport::parse(&sip.token).is_err() {
        return;
    }
    let Ok(h) = IdentityHeader::parse(&sip.identity) else {
        return;
    };
    if h.info.as_deref() != Some(sip.x5u.as_str()) {
        return;
    }
    let again = CompactToken::from_identity(&sip.identity, call, &ConvertOptions::default())
        .unwrap_or_else(|e| {
            panic!(
                "rebuilt Identity does not convert back: {e:?}\n{}",
                sip.identity
            )
        });
    let sip2 = again
        .token
        .rebuild(call)
        .expect("a converted token rebuilds");
    assert_eq!(sip2.token, sip.token);
}

fuzz_target!(|data: &[u8]| {
    let Ok(t) = CompactToken::decode(data) else {
        return;
    };
    assert_eq!(t.as_bytes(), data);
    let iat = &t.describe()["claims"]["rebuilt"]["iat"];
    assert!(iat.is_null() || iat.is_i64(), "iat {iat} decoded");
    let enc = t.reencode().expect("a decoded value encodes");
    let back = CompactToken::decode(&enc).expect("the re-encoding decodes");
    assert_eq!(back.describe(), t.describe());
    // The re-encoding is canonical: encoding what it decodes to gives it back.
    assert_eq!(back.reencode().ok().as_ref(), Some(&enc));
    // It is the input but for the padding bits, or, when the input was not the canonical
    // encoding of its value, never longer: a DEFAULT component sent with its default value
    // (`typAbsent` FALSE: one presence bit and one value bit the canonical form leaves
    // out), or extension additions unknown to this version (after a `...` of the ASN.1
    // module), which the decoder skips by design.
    assert!(
        same_but_padding(&enc, data) || enc.len() <= data.len(),
        "the re-encoding differs from the input:\n{enc:02x?}\n{data:02x?}"
    );

    check_rebuild(&t, &Call::new("12155551212", "12155551213"));
    check_rebuild(&t, &Call::default());
});
