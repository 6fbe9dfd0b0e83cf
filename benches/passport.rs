//! PASSporT benchmarks. The `ring/*` entries are the bare ECDSA P-256 primitive on the same
//! bytes as `passport/*`, so the ratios in one run show what parsing, JSON, base64 and the
//! claim checks cost on top of the cryptography.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};

use std::sync::Arc;

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, TrustStore};
use cliauth::isup::{CompactToken, ConvertOptions};
use cliauth::{Attest, Call, IdentityHeader, Signer, SigningKey, Verifier};

const NOW: i64 = 1_700_000_000;
const ORIGID: &str = "4437c7eb-8f92-4fd0-9a4a-3c9ad6d9c7a0";

fn bench(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        pkcs8.as_ref(),
        &rng,
    )
    .unwrap();
    let public = pair.public_key().as_ref().to_vec();

    let key = SigningKey::from_der(pkcs8.as_ref()).unwrap();
    let verifier = Verifier::with_key(key.verifying_key());
    let signer = Signer::new(key, "https://cert.example.org/passport.pem").unwrap();
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
    let (input, sig_b64) = token.rsplit_once('.').unwrap();
    let raw_sig = pair.sign(&rng, input.as_bytes()).unwrap();
    let _ = sig_b64;
    let call = Call::new("12155551212", "12155551213");

    c.bench_function("ring/sign_raw", |b| {
        b.iter(|| pair.sign(&rng, black_box(input.as_bytes())).unwrap())
    });
    c.bench_function("ring/verify_raw", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, black_box(&public))
                .verify(black_box(input.as_bytes()), raw_sig.as_ref())
                .unwrap()
        })
    });
    c.bench_function("passport/sign", |b| {
        b.iter(|| {
            signer
                .sign_shaken(
                    black_box("12155551212"),
                    &["12155551213"],
                    Attest::A,
                    Some(ORIGID),
                    NOW,
                )
                .unwrap()
                .identity()
        })
    });
    c.bench_function("passport/verify", |b| {
        b.iter(|| {
            verifier
                .verify_identity(black_box(&identity), &call, NOW)
                .unwrap()
        })
    });
    c.bench_function("identity/parse", |b| {
        b.iter(|| IdentityHeader::parse(black_box(&identity)).unwrap())
    });

    // With a certificate chain: a test PKI, the chain validated once and cached in the
    // store; each verification looks it up, checks the signature and the TNAuthList.
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let mut trust = TrustStore::new();
    trust.add_anchors(pki.root_pem.as_bytes()).unwrap();
    let store = Arc::new(CertStore::new(trust));
    let x5u = "https://cert.example.org/sp-chain.pem";
    store
        .insert(x5u, pki.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    let chain_signer = Signer::from_pem(pki.ee_key_pem.as_bytes(), x5u).unwrap();
    let chain_identity = chain_signer
        .sign_shaken(
            "12155551212",
            &["12155551213"],
            Attest::A,
            Some(ORIGID),
            NOW,
        )
        .unwrap()
        .identity();
    let chain_verifier = Verifier::with_store(Arc::clone(&store));
    chain_verifier
        .verify_identity(&chain_identity, &call, NOW)
        .unwrap();
    c.bench_function("passport/verify_chain_cached", |b| {
        b.iter(|| {
            chain_verifier
                .verify_identity(black_box(&chain_identity), &call, NOW)
                .unwrap()
        })
    });
    // The verdict cache: the same token again for the same call (a retransmission, a
    // forked INVITE) is answered after the cheap checks, without a signature.
    let repeat_verifier = Verifier::with_store(Arc::clone(&store))
        .with_verdict_cache(Arc::new(cliauth::state::VerdictCache::default()));
    let repeat_call = call.with_call_id("a84b4c76e66710@pc33.example.com");
    repeat_verifier
        .verify_identity(&chain_identity, &repeat_call, NOW)
        .unwrap();
    c.bench_function("passport/verify_repeat", |b| {
        b.iter(|| {
            repeat_verifier
                .verify_identity(black_box(&chain_identity), &repeat_call, NOW)
                .unwrap()
        })
    });
    // ISUP carriage: Identity header → compact token (with its lossless self-check), and
    // compact token → rebuilt Identity header.
    let opts = ConvertOptions::default();
    let compact = CompactToken::from_identity(&identity, &call, &opts)
        .unwrap()
        .token
        .into_bytes();
    c.bench_function("isup/encode", |b| {
        b.iter(|| CompactToken::from_identity(black_box(&identity), &call, &opts).unwrap())
    });
    c.bench_function("isup/decode_rebuild", |b| {
        b.iter(|| {
            CompactToken::decode(black_box(&compact))
                .unwrap()
                .rebuild(&call)
                .unwrap()
        })
    });
    // The general (non-fast) path: an rcd PASSporT (strict JSON parsing, `other` claims).
    let mut rcd = cliauth::Claims::shaken("12155551212", &["12155551213"], Attest::A, ORIGID, NOW);
    rcd.rcd = Some(cliauth::Rcd::name("Alice Example"));
    let rcd_identity = signer
        .sign(Some(cliauth::Ppt::Rcd), &rcd)
        .unwrap()
        .identity();
    let rcd_compact = CompactToken::from_identity(&rcd_identity, &call, &opts)
        .unwrap()
        .token
        .into_bytes();
    c.bench_function("isup/encode_general_rcd", |b| {
        b.iter(|| CompactToken::from_identity(black_box(&rcd_identity), &call, &opts).unwrap())
    });
    c.bench_function("isup/decode_rebuild_general_rcd", |b| {
        b.iter(|| {
            CompactToken::decode(black_box(&rcd_compact))
                .unwrap()
                .rebuild(&call)
                .unwrap()
        })
    });
    c.bench_function("cert/validate_chain", |b| {
        b.iter(|| {
            store
                .validate(black_box(pki.chain_pem.as_bytes()), NOW)
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
