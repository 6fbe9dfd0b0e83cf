//! Structure-aware "what we sign, we verify": arbitrary claims (originating number,
//! destination numbers and URIs, iat, attest, origid, diversion target, rcd display name,
//! crn, ppt) signed with `Signer::sign` must, whenever signing succeeds, verify with
//! `Verifier::verify_token` at `now = iat`, giving back exactly the claims signed; and the
//! Identity header and its compact form must verify too. No input is filtered: the signer
//! refuses what the verifier would reject (empty or over-long string claims, an empty
//! `rcd`: tests/regressions.rs `signer_accepts_*`).
#![no_main]

use arbitrary::Arbitrary;
use cliauth::passport::{Dest, Header};
use cliauth::{Attest, Call, Claims, Party, Passport, Ppt, Rcd};
use cliauth_fuzz::{X5U, signer, verifier};
use libfuzzer_sys::fuzz_target;

/// A telephone number: mostly valid digit strings, sometimes raw text.
#[derive(Arbitrary, Debug)]
enum Number {
    Digits(Vec<u8>),
    Raw(String),
}

impl Number {
    fn text(&self) -> String {
        match self {
            Number::Digits(d) => d
                .iter()
                .map(|b| b"0123456789#*"[*b as usize % 12] as char)
                .collect(),
            Number::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    orig: Number,
    dest: Vec<Number>,
    dest_uri: Vec<String>,
    iat: i64,
    attest: Option<u8>,
    origid: Option<String>,
    div: Option<Number>,
    div_uri: Option<String>,
    rcd_name: Option<String>,
    crn: Option<String>,
    opt: Option<String>,
    ppt: u8,
}

fuzz_target!(|input: Input| {
    let orig = input.orig.text();
    let mut claims = Claims::new(
        Party::Tn(orig.clone()),
        Dest {
            tn: input.dest.iter().map(Number::text).collect(),
            uri: input.dest_uri,
        },
        input.iat,
    );
    claims.attest = input
        .attest
        .map(|a| [Attest::A, Attest::B, Attest::C][a as usize % 3]);
    claims.origid = input.origid;
    claims.div = match (input.div, input.div_uri) {
        (Some(n), _) => Some(Party::Tn(n.text())),
        (None, Some(u)) => Some(Party::Uri(u)),
        (None, None) => None,
    };
    claims.rcd = input.rcd_name.map(Rcd::name);
    claims.crn = input.crn;
    claims.opt = input.opt;
    let ppt = match input.ppt % 6 {
        0 => None,
        1 | 5 => Some(Ppt::Shaken),
        2 => Some(Ppt::Div),
        3 => Some(Ppt::DivO),
        _ => Some(Ppt::Rcd),
    };
    let Ok(signed) = signer().sign(ppt, &claims) else {
        return;
    };
    let verdict = verifier()
        .verify_token(signed.token(), &Call::default(), claims.iat)
        .unwrap_or_else(|e| panic!("signed token does not verify: {e:?}\n{}", signed.token()));
    assert_eq!(verdict.claims(), &claims);
    assert_eq!(verdict.header().ppt, ppt);
    assert_eq!(verdict.header().x5u, X5U);

    // The call's called number: the first dest number, else the first dest URI — unless
    // that URI also reads as a telephone number, which the verifier (rightly) compares
    // with dest.tn only.
    let called = claims.dest.tn.first().or_else(|| {
        claims
            .dest
            .uri
            .first()
            .filter(|u| cliauth::Tn::parse(u).is_err())
    });
    let call = Call {
        orig: Some(&orig),
        dest: called.map(String::as_str),
        call_id: None,
    };
    verifier()
        .verify_identity(&signed.identity(), &call, claims.iat)
        .unwrap_or_else(|e| panic!("signed Identity header does not verify: {e:?}"));
    let rebuilt = Passport::new(Header::new(ppt, X5U), claims.clone()).expect("ppt claims present");
    verifier()
        .verify_compact(&signed.compact_identity(), &rebuilt, &call, claims.iat)
        .unwrap_or_else(|e| panic!("compact form does not verify: {e:?}"));
});
