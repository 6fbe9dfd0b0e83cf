//! Quickstart: make a test STI PKI (root → intermediate → end-entity certificate with a
//! TNAuthList), sign a SHAKEN PASSporT with the end-entity key, put it in a SIP Identity
//! header, and verify it against the end-entity certificate — then show how a tampered or
//! stale header is rejected with its SIP code.
//!
//! Run with `cargo run --example quickstart`. Everything happens in memory; the test PKI
//! is written to `target/quickstart/` so you can inspect it with openssl or the `cliauth`
//! command.

use std::time::{SystemTime, UNIX_EPOCH};

use cliauth::{Attest, Call, Signer, SigningKey, Verifier, VerifyingKey};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};

/// OID of the TNAuthList extension (RFC 8226).
const TN_AUTH_LIST: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 26];

fn ca_params(cn: &str) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(p)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A test PKI: STI-CA root, intermediate, and the service provider's certificate,
    //    whose TNAuthList names service provider code 1234.
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let root = ca_params("Quickstart STI Root")?.self_signed(&root_key)?;
    let int_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let int = ca_params("Quickstart STI Intermediate")?.signed_by(&int_key, &root, &root_key)?;
    let sp_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut sp = CertificateParams::new(Vec::<String>::new())?;
    sp.distinguished_name
        .push(DnType::CommonName, "SHAKEN 1234");
    sp.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // TNAuthList ::= SEQUENCE OF TNEntry; TNEntry spc [0] EXPLICIT IA5String "1234".
    sp.custom_extensions = vec![CustomExtension::from_oid_content(
        TN_AUTH_LIST,
        vec![0x30, 0x08, 0xa0, 0x06, 0x16, 0x04, b'1', b'2', b'3', b'4'],
    )];
    let sp_cert = sp.signed_by(&sp_key, &int, &int_key)?;

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/quickstart");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("root.pem"), root.pem())?;
    std::fs::write(
        dir.join("sp-chain.pem"),
        format!("{}{}", sp_cert.pem(), int.pem()),
    )?;
    std::fs::write(dir.join("sp-key.pem"), sp_key.serialize_pem())?;
    println!("test PKI written to {}", dir.display());

    // 2. Authentication service: sign the call 12155551212 → 12155551213.
    let x5u = "https://cert.example.net/sp-chain.pem";
    let signer = Signer::new(
        SigningKey::from_pem_or_der(sp_key.serialize_pem().as_bytes())?,
        x5u,
    )?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let signed = signer.sign_shaken("+1 215 555 1212", &["12155551213"], Attest::A, None, now)?;
    let identity = signed.identity();
    println!("\nIdentity: {identity}\n");

    // 3. Verification service: the certificate's key, the call's numbers, the clock.
    let verifier = Verifier::with_key(VerifyingKey::from_pem_or_der(sp_cert.pem().as_bytes())?);
    let call = Call::new("12155551212", "12155551213");
    let verdict = verifier.verify_identity(&identity, &call, now)?;
    println!(
        "verified: attest={} orig={} dest={:?} origid={} verstat={}",
        verdict.attest().map_or("-", |a| a.as_str()),
        verdict.orig().as_str(),
        verdict.dest().tn,
        verdict.origid().unwrap_or("-"),
        verdict.verstat()
    );

    // 4. What a verifier sends back when things are wrong.
    let spoofed = Call::new("12155550000", "12155551213");
    let stale_now = now + 3600;
    let mut tampered = identity.clone().into_bytes();
    let pos = identity.find('.').unwrap_or(0) + 10;
    tampered[pos] = if tampered[pos] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    for (what, result) in [
        (
            "spoofed calling number",
            verifier.verify_identity(&identity, &spoofed, now),
        ),
        (
            "one hour later",
            verifier.verify_identity(&identity, &call, stale_now),
        ),
        (
            "tampered token",
            verifier.verify_identity(&tampered, &call, now),
        ),
    ] {
        match result {
            Ok(_) => return Err(format!("{what}: unexpectedly verified").into()),
            Err(e) => println!(
                "{what:<24} → {} {} ({e}); verstat={}",
                e.sip_code(),
                e.reason(),
                e.verstat()
            ),
        }
    }
    println!("\nquickstart OK");
    Ok(())
}
