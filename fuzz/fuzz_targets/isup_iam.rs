//! The IAM/SGM walker and the token container (`isup::message`): parsing (with the SGM
//! merged), re-encoding, finding, inserting, replacing and removing the token, and
//! encoding for sending with segmentation.
//!
//! Input: one configuration octet (container, segmentation on/off, message size limit,
//! segmentation local reference, label length), a 16-bit big-endian length and the IAM,
//! a 16-bit length and the SGM (length 0: none), and the rest: a token to insert.
//!
//! Invariants, for an IAM (+ SGM) that parses:
//! * `to_bytes()` parses back to the same message and is canonical (encoding that again
//!   gives the same bytes); the SGM's parameters survive `encode_sgm` → `parse_sgm`;
//! * what `encode` sends fits the size limit (IAM and SGM each) and, parsed back with its
//!   SGM, carries the same token and the same other parameters in the same order — when
//!   segmented, but for the first Optional Forward Call Indicators, which announce the SGM
//!   and are dropped on receipt when they were empty or 0 (`after_segmentation`);
//! * when the IAM carries no token: inserting one and finding it gives it back; sending
//!   that IAM and receiving it gives it back too; removing it gives back the token and
//!   exactly the original optional parameters; replacing it returns it; a refused insert
//!   changes nothing.
#![no_main]

use cliauth::isup::message::{
    Container, Iam, MessageConfig, MessageError, OFCI_SEGMENTATION, PARAM_OFCI, Param, encode_sgm,
    parse_sgm,
};
use libfuzzer_sys::fuzz_target;

fn config(b: u8) -> MessageConfig {
    MessageConfig {
        container: match b & 3 {
            0 | 1 => Container::App { context: 0x40 },
            2 => Container::App { context: 0x41 },
            _ => Container::Parameter { code: 0xfd },
        },
        segmentation: b & 4 == 0,
        max_sif: [272, 120, 64, 38][usize::from((b >> 3) & 3)],
        slr: [1, 0, 0x7f, 0x80][usize::from((b >> 5) & 3)],
        label_len: if b & 0x80 == 0 { 6 } else { 9 },
    }
}

/// A 16-bit big-endian length and that many octets; the rest.
fn take(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?]));
    let b = &b[2..];
    (b.len() >= n).then(|| b.split_at(n))
}

/// One input, split.
struct Input<'a> {
    cfg: MessageConfig,
    iam: &'a [u8],
    sgm: Option<&'a [u8]>,
    token: &'a [u8],
}

/// Splits the input into configuration, IAM, optional SGM and token.
fn split(data: &[u8]) -> Option<Input<'_>> {
    let (&cfg, rest) = data.split_first()?;
    let (iam, rest) = take(rest)?;
    let (sgm, token) = take(rest)?;
    Some(Input {
        cfg: config(cfg),
        iam,
        sgm: (!sgm.is_empty()).then_some(sgm),
        token,
    })
}

/// The optional parameters other than the token.
fn others(m: &Iam, cfg: &MessageConfig) -> Vec<Param> {
    let mut c = m.clone();
    c.remove_token(cfg).expect("a valid configuration");
    c.optional
}

/// What the receiver of a segmented IAM gets of its first Optional Forward Call
/// Indicators: the sender set the segmentation bit in them (adding them when absent), the
/// receiver clears it and drops them when that leaves a single 0 octet — so indicators
/// that were empty or 0 are gone.
fn after_segmentation(mut params: Vec<Param>) -> Vec<Param> {
    if let Some(i) = params.iter().position(|p| p.code == PARAM_OFCI) {
        let v = &mut params[i].value;
        if let Some(b) = v.first_mut() {
            *b &= !OFCI_SEGMENTATION;
        }
        if v.is_empty() || v[..] == [0] {
            params.remove(i);
        }
    }
    params
}

/// Sends `m` with `encode`; when that succeeds, checks the limits and returns what the
/// receiver gets.
fn send_receive(m: &Iam, cfg: &MessageConfig) -> Option<Iam> {
    let enc = match m.encode(cfg) {
        Ok(enc) => enc,
        Err(e) => {
            assert!(
                matches!(
                    e,
                    MessageError::DoesNotFit { .. }
                        | MessageError::TokenTooLong { .. }
                        | MessageError::Config(_)
                ),
                "{e:?}"
            );
            return None;
        }
    };
    let max = cfg.max_message();
    assert!(enc.iam.len() <= max, "IAM of {} > {max}", enc.iam.len());
    if let Some(s) = &enc.sgm {
        assert!(s.len() <= max, "SGM of {} > {max}", s.len());
    }
    let got = Iam::parse_segmented(&enc.iam, enc.sgm.as_deref())
        .unwrap_or_else(|e| panic!("what encode sends does not parse: {e:?}\n{enc:02x?}"));
    assert_eq!(got.called, m.called);
    assert_eq!(
        (
            got.nature_of_connection,
            got.forward_call,
            got.calling_category,
            got.transmission_medium
        ),
        (
            m.nature_of_connection,
            m.forward_call,
            m.calling_category,
            m.transmission_medium
        )
    );
    let want = if enc.sgm.is_some() {
        after_segmentation(others(m, cfg))
    } else {
        others(m, cfg)
    };
    assert_eq!(others(&got, cfg), want);
    Some(got)
}

fuzz_target!(|data: &[u8]| {
    let Some(Input {
        cfg,
        iam,
        sgm,
        token,
    }) = split(data)
    else {
        return;
    };
    if let Some(s) = sgm
        && let Ok(params) = parse_sgm(s)
    {
        let again = encode_sgm(&params).expect("parsed SGM parameters encode");
        assert_eq!(parse_sgm(&again).as_ref(), Ok(&params));
    }
    let Ok(m) = Iam::parse_segmented(iam, sgm) else {
        let _ = Iam::parse(iam);
        return;
    };
    let bytes = m.to_bytes().expect("a parsed IAM encodes");
    let back = Iam::parse(&bytes).expect("to_bytes output parses");
    assert_eq!(back, m);
    assert_eq!(back.to_bytes().as_ref(), Ok(&bytes));
    let _ = (m.called_number(), m.calling_number());

    let found = m.find_token(&cfg);
    if found.is_ok()
        && let Some(got) = send_receive(&m, &cfg)
    {
        assert_eq!(got.find_token(&cfg), found);
    }

    if !matches!(found, Ok(None)) || token.is_empty() {
        return;
    }
    let mut with = m.clone();
    if let Err(e) = with.insert_token(token, &cfg) {
        assert!(
            matches!(
                e,
                MessageError::TokenTooLong { .. } | MessageError::Config(_)
            ),
            "{e:?}"
        );
        assert_eq!(with, m, "a refused insert changed the IAM");
        return;
    }
    let want = Ok(Some(token.to_vec()));
    assert_eq!(with.find_token(&cfg), want);
    if let Some(got) = send_receive(&with, &cfg) {
        assert_eq!(
            got.find_token(&cfg),
            want,
            "the token did not survive sending"
        );
    }
    let mut removed = with.clone();
    assert_eq!(removed.remove_token(&cfg), want);
    assert_eq!(removed.optional, m.optional);
    let other: Vec<u8> = token.iter().rev().map(|b| b ^ 0x5a).collect();
    let mut replaced = with.clone();
    assert_eq!(replaced.replace_token(&other, &cfg), want);
    assert_eq!(replaced.find_token(&cfg), Ok(Some(other)));
});
