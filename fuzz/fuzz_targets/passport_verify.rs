//! Sign arbitrary header and claims bytes with the fixed key, then verify.
//!
//! Input: header JSON bytes, a 0xFF separator (never part of valid JSON), claims JSON
//! bytes. The harness base64url-encodes both, signs `header.claims` with the fixed key and
//! verifies the token with `Verifier::with_key` at `now = iat`.
//!
//! Invariant: a token `Passport::parse` accepts verifies, or fails only for a policy,
//! freshness or claims reason — never `Signature` (the signature is over the bytes as
//! received, so no re-serialisation may change them). The token in its canonical Identity
//! header gets the same answer as the bare token. A token `Passport::parse` rejects is
//! rejected by the verifier with the same error. On success the verdict holds exactly the
//! parsed header and claims.
#![no_main]

use base64::Engine;
use cliauth::passport::jws::B64;
use cliauth::{Call, Error, Passport, format_identity};
use cliauth_fuzz::{key, verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (header, claims) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let mut token = B64.encode(header);
    token.push('.');
    token.push_str(&B64.encode(claims));
    let sig = key().sign(token.as_bytes()).expect("signing never fails");
    token.push('.');
    token.push_str(&B64.encode(sig));

    let parsed = Passport::parse(&token);
    let now = parsed.as_ref().map_or(0, |(p, _)| p.claims.iat);
    let result = verifier().verify_token(&token, &Call::default(), now);
    if let Ok((p, _)) = &parsed {
        // The same token in its canonical Identity header gets the same answer.
        let header = format_identity(&token, &p.header.x5u, p.header.ppt);
        let via_header = verifier().verify_identity(&header, &Call::default(), now);
        assert_eq!(
            via_header.as_ref().map(|v| (v.header(), v.claims())),
            result.as_ref().map(|v| (v.header(), v.claims())),
            "{header}"
        );
    }
    match (parsed, result) {
        (Ok((p, _)), Ok(verdict)) => {
            assert_eq!(verdict.header(), &p.header);
            assert_eq!(verdict.claims(), &p.claims);
        }
        (Ok(_), Err(e)) => assert!(
            matches!(
                e,
                Error::BadInfo(_) | Error::Stale { .. } | Error::Future { .. } | Error::Claims(_)
            ),
            "a parsed token failed verification with {e:?}"
        ),
        (Err(pe), Ok(_)) => panic!("verified a token Passport::parse rejects: {pe:?}"),
        (Err(pe), Err(e)) => assert_eq!(pe, e),
    }
});
