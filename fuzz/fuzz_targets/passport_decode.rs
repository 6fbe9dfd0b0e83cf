//! `passport::decode` and `Passport::parse` on arbitrary text.
//!
//! Invariants: neither panics; `Passport::parse` is at least as strict as `decode`; for an
//! accepted token the decoded signature is the token's third part, the generic and the
//! interpreted views agree on `x5u`/`iat`, and the deterministic re-encoding of the parsed
//! header and claims (when one exists: floats have none) parses back to the same values;
//! when the token already was deterministic JSON, rebuilding it from its compact form gives
//! the token back bit for bit.
#![no_main]

use cliauth::Passport;
use cliauth::error::Part;
use cliauth::passport::{Claims, Header, decode, json, to_compact};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let decoded = decode(text);
    let Ok((p, raw)) = Passport::parse(text) else {
        return;
    };
    let decoded = decoded.expect("Passport::parse accepted what decode rejects");
    assert_eq!(Some(decoded.signature.as_str()), text.rsplit('.').next());
    assert_eq!(
        decoded.header.get("x5u"),
        Some(&Value::String(p.header.x5u.clone()))
    );
    assert_eq!(decoded.claims.get("iat"), Some(&Value::from(p.claims.iat)));
    assert_eq!(
        raw.signing_input(),
        &text.as_bytes()[..text.rfind('.').unwrap()]
    );

    let (Ok(h), Ok(c)) = (p.header_json(), p.claims_json()) else {
        return;
    };
    let h2 = Header::from_json(json::parse_object(&h, Part::Header).expect("canonical header"))
        .expect("canonical header interprets");
    let c2 = Claims::from_json(json::parse_object(&c, Part::Claims).expect("canonical claims"))
        .expect("canonical claims interpret");
    assert_eq!(h2, p.header);
    assert_eq!(c2, p.claims);

    let compact = to_compact(text).expect("an accepted token has a compact form");
    let rebuilt = p.rebuild(&compact).expect("rebuild");
    if p.signing_input().expect("signing input").as_bytes() == raw.signing_input() {
        assert_eq!(rebuilt, text);
    } else {
        assert_ne!(rebuilt, text);
    }
});
