//! Signing cost in instructions, for callgrind: `sign_cost MODE N` signs N times, where
//! MODE is `ring` (bare ECDSA P-256 over the same signing input), `ours` (call data →
//! Identity header, `origid` given, as in `benches/passport.rs`) or `ours_origid` (with a
//! fresh random `origid`). Only the loop functions are measured:
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='sign_cost::run_*' \
//!     target/release/examples/sign_cost ours 1000
//! ```
//!
//! Instructions per call are the total divided by N; the ratio ours / ring is what the
//! `passport/sign` bench checks in time, without the noise of a loaded machine.

use std::hint::black_box;

use cliauth::{Attest, Signer, SigningKey};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair};

const NOW: i64 = 1_700_000_000;
const ORIGID: &str = "4437c7eb-8f92-4fd0-9a4a-3c9ad6d9c7a0";

#[inline(never)]
fn run_ring(pair: &EcdsaKeyPair, rng: &SystemRandom, input: &[u8], n: usize) {
    for _ in 0..n {
        black_box(pair.sign(rng, black_box(input)).unwrap());
    }
}

#[inline(never)]
fn run_ours(signer: &Signer, origid: Option<&str>, n: usize) {
    for _ in 0..n {
        black_box(
            signer
                .sign_shaken(
                    black_box("12155551212"),
                    &["12155551213"],
                    Attest::A,
                    origid,
                    NOW,
                )
                .unwrap()
                .identity(),
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ours".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.as_ref(),
        &rng,
    )
    .unwrap();
    let signer = Signer::new(
        SigningKey::from_der(pkcs8.as_ref()).unwrap(),
        "https://cert.example.org/passport.pem",
    )
    .unwrap();
    let identity = signer
        .sign_shaken(
            "12155551212",
            &["12155551213"],
            Attest::A,
            Some(ORIGID),
            NOW,
        )
        .unwrap()
        .identity();
    let token = identity.split(';').next().unwrap();
    let (input, _) = token.rsplit_once('.').unwrap();
    match mode.as_str() {
        "ring" => run_ring(&pair, &rng, input.as_bytes(), n),
        "ours" => run_ours(&signer, Some(ORIGID), n),
        "ours_origid" => run_ours(&signer, None, n),
        other => panic!("unknown mode {other:?}: ring, ours or ours_origid"),
    }
}
