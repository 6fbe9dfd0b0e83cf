//! `SigningKey::from_pem_or_der` and `VerifyingKey::from_pem_or_der` on arbitrary bytes.
//!
//! Invariants: neither panics; a signing key that loads signs, and its own verifying key
//! accepts the signature; a verifying key is a 65-byte uncompressed point, and when it is on
//! the curve its PEM form loads back to the same key.
#![no_main]

use cliauth::{SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = SigningKey::from_pem_or_der(data) {
        let vk = k.verifying_key();
        let sig = k.sign(b"fuzz").expect("a loaded key signs");
        vk.verify(b"fuzz", &sig).expect("own signature verifies");
        let pem = vk
            .to_pem()
            .expect("a private key's public point is on the curve");
        assert_eq!(
            VerifyingKey::from_pem_or_der(pem.as_bytes()).as_ref(),
            Ok(&vk)
        );
    }
    if let Ok(vk) = VerifyingKey::from_pem_or_der(data) {
        assert_eq!(vk.point().len(), 65);
        assert_eq!(vk.point()[0], 4);
        if let Ok(pem) = vk.to_pem() {
            assert_eq!(
                VerifyingKey::from_pem_or_der(pem.as_bytes()).as_ref(),
                Ok(&vk)
            );
        }
        // Any signature against any key: an error, never a panic.
        let _ = vk.verify(data, &[0x5a; 64]);
    }
});
