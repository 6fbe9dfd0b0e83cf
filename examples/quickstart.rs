//! Quickstart: make a test STI PKI (root → intermediate → end-entity certificate with a
//! TNAuthList), sign a SHAKEN PASSporT with the end-entity key, put it in a SIP Identity
//! header, and verify it the way a terminating carrier does — the chain behind `x5u`
//! validated against the root and cached in a certificate store — then show how spoofed,
//! stale, tampered or unauthorised calls are rejected with their SIP codes.
//!
//! Run with `cargo run --example quickstart`. The test PKI is written to
//! `target/quickstart/` so you can look at it with openssl or `cliauth cert inspect`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, TrustStore};
use cliauth::{Attest, Call, Error, Signer, Verifier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;

    // 1. A test PKI. The service provider's certificate authorises the numbers
    //    12155551200–12155551299 and carries its service provider code 1234.
    let pki = TestPki::generate(&TestPkiOptions {
        spc: Some("1234".into()),
        ranges: vec![("12155551200".into(), 100)],
        not_before: now - 3600,
        not_after: now + 86_400,
        ..TestPkiOptions::default()
    })?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/quickstart");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("root.pem"), &pki.root_pem)?;
    std::fs::write(dir.join("sp-chain.pem"), &pki.chain_pem)?;
    std::fs::write(dir.join("sp-key.pem"), &pki.ee_key_pem)?;
    println!("test PKI written to {}", dir.display());

    // 2. Authentication service (originating carrier): sign the call.
    let x5u = "https://cert.example.net/sp-chain.pem";
    let signer = Signer::from_pem(pki.ee_key_pem.as_bytes(), x5u)?;
    let identity = signer
        .sign_shaken("+1 215 555 1212", &["12155551213"], Attest::A, None, now)?
        .identity();
    println!("\nIdentity: {identity}\n");

    // 3. Verification service (terminating carrier): trust the STI-CA root; the store
    //    holds validated x5u chains. The first verification asks for the certificate…
    let mut trust = TrustStore::new();
    trust.add_anchors(pki.root_pem.as_bytes())?;
    let store = Arc::new(CertStore::new(trust));
    let verifier = Verifier::with_store(Arc::clone(&store));
    let call = Call::new("12155551212", "12155551213");
    match verifier.verify_identity(&identity, &call, now) {
        Err(Error::CertificateNeeded { url }) => {
            // …the host fetches it (here: we have it) and inserts it; it is validated once.
            println!("certificate needed: {url} (fetching and inserting)");
            store.insert(&url, pki.chain_pem.as_bytes(), now, None)?;
        }
        other => return Err(format!("expected a certificate request, got {other:?}").into()),
    }
    let verdict = verifier.verify_identity(&identity, &call, now)?;
    println!(
        "verified: attest={} orig={} dest={:?} spc={} authority={:?} verstat={}",
        verdict.attest().map_or("-", |a| a.as_str()),
        verdict.orig().as_str(),
        verdict.dest().tn,
        verdict.spc().unwrap_or("-"),
        verdict.authority(),
        verdict.verstat()
    );

    // 4. What a verifier sends back when things are wrong.
    let spoofed = Call::new("12155550000", "12155551213");
    let mut tampered = identity.clone().into_bytes();
    let pos = identity.find('.').unwrap_or(0) + 10;
    tampered[pos] = if tampered[pos] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    let outside = signer
        .sign_shaken("12155559999", &["12155551213"], Attest::A, None, now)?
        .identity();
    for (what, result) in [
        (
            "spoofed calling number",
            verifier.verify_identity(&identity, &spoofed, now),
        ),
        (
            "one minute later",
            verifier.verify_identity(&identity, &call, now + 61),
        ),
        (
            "tampered token",
            verifier.verify_identity(&tampered, &call, now),
        ),
        (
            "number not in the cert",
            verifier.verify_identity(&outside, &Call::default(), now),
        ),
    ] {
        match result {
            Ok(_) => return Err(format!("{what}: unexpectedly verified").into()),
            Err(e) => println!(
                "{what:<24} → {} {} [{}] {e}",
                e.sip_code(),
                e.reason(),
                e.kind()
            ),
        }
    }
    println!("\nquickstart OK");
    Ok(())
}
