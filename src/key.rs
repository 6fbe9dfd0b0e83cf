//! ECDSA P-256 keys: reading signing keys (PKCS#8 or SEC1 PEM/DER) and verification keys
//! (SubjectPublicKeyInfo or X.509 certificate, PEM/DER), and generating new key pairs.

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use x509_parser::prelude::FromDer;

use crate::error::{Error, LimitKind};
use crate::limits::MAX_KEY_INPUT_LEN;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// An ECDSA P-256 private key, ready to produce ES256 signatures.
pub struct SigningKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.verifying_key())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a key from PEM (`PRIVATE KEY` PKCS#8 or `EC PRIVATE KEY` SEC1) or DER
    /// (PKCS#8 or SEC1).
    pub fn from_pem_or_der(input: &[u8]) -> Result<SigningKey, Error> {
        check_size(input)?;
        if let Some(der) = pem_block(input, &["PRIVATE KEY", "EC PRIVATE KEY"])? {
            return SigningKey::from_der(&der);
        }
        SigningKey::from_der(input)
    }

    /// Reads a key from DER: PKCS#8 first, SEC1 `ECPrivateKey` second.
    pub fn from_der(der: &[u8]) -> Result<SigningKey, Error> {
        if let Ok(k) = SigningKey::from_pkcs8(der) {
            return Ok(k);
        }
        // SEC1, or PKCS#8 without the optional public key (which ring requires):
        // normalise through the p256 crate, which derives the public key.
        let secret = p256::SecretKey::from_sec1_der(der)
            .or_else(|_| p256::SecretKey::from_pkcs8_der(der))
            .map_err(|_| Error::Key("not a PKCS#8 or SEC1 ECDSA P-256 private key".into()))?;
        let pkcs8 = secret
            .to_pkcs8_der()
            .map_err(|e| Error::Key(format!("cannot re-encode key: {e}")))?;
        SigningKey::from_pkcs8(pkcs8.as_bytes())
    }

    fn from_pkcs8(der: &[u8]) -> Result<SigningKey, Error> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|e| Error::Key(format!("not an ECDSA P-256 PKCS#8 key: {e}")))?;
        Ok(SigningKey { pair, rng })
    }

    /// Generates a new key pair and returns it with its PKCS#8 DER encoding.
    pub fn generate() -> Result<(SigningKey, Vec<u8>), Error> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| Error::Key("key generation failed".into()))?;
        let der = doc.as_ref().to_vec();
        Ok((SigningKey::from_pkcs8(&der)?, der))
    }

    /// Signs `msg` with ES256: a raw 64-byte `r‖s` signature (RFC 7518 §3.4).
    pub fn sign(&self, msg: &[u8]) -> Result<[u8; 64], Error> {
        let sig = self
            .pair
            .sign(&self.rng, msg)
            .map_err(|_| Error::Sign("ECDSA signing failed".into()))?;
        let mut out = [0u8; 64];
        out.copy_from_slice(sig.as_ref());
        Ok(out)
    }

    /// The matching verification key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            point: self.pair.public_key().as_ref().to_vec(),
        }
    }
}

/// Encodes PKCS#8 DER as a `PRIVATE KEY` PEM document.
pub fn pkcs8_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()))
}

/// An ECDSA P-256 public key (an uncompressed SEC1 point), for ES256 verification.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerifyingKey {
    point: Vec<u8>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey(P-256, {} bytes)", self.point.len())
    }
}

impl VerifyingKey {
    /// Reads a key from PEM (`PUBLIC KEY` or `CERTIFICATE`; the first block that is one of
    /// them) or DER (SubjectPublicKeyInfo or certificate).
    pub fn from_pem_or_der(input: &[u8]) -> Result<VerifyingKey, Error> {
        check_size(input)?;
        if let Some(der) = pem_block(input, &["PUBLIC KEY"])? {
            return VerifyingKey::from_spki_der(&der);
        }
        if let Some(der) = pem_block(input, &["CERTIFICATE"])? {
            return VerifyingKey::from_cert_der(&der);
        }
        VerifyingKey::from_spki_der(input).or_else(|_| VerifyingKey::from_cert_der(input))
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<VerifyingKey, Error> {
        let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| Error::Key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        if !rest.is_empty() {
            return Err(Error::Key(
                "trailing data after SubjectPublicKeyInfo".into(),
            ));
        }
        VerifyingKey::from_spki(&spki)
    }

    /// Reads the public key of a DER X.509 certificate.
    pub fn from_cert_der(der: &[u8]) -> Result<VerifyingKey, Error> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| Error::Key(format!("not an X.509 certificate: {e}")))?;
        VerifyingKey::from_spki(cert.public_key())
    }

    /// Takes the key from a parsed SubjectPublicKeyInfo; it must be an uncompressed
    /// ECDSA P-256 point.
    pub fn from_spki(
        spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>,
    ) -> Result<VerifyingKey, Error> {
        let alg = &spki.algorithm;
        if alg.algorithm.to_id_string() != OID_EC_PUBLIC_KEY {
            return Err(Error::Key(format!(
                "public key algorithm {} is not id-ecPublicKey",
                alg.algorithm.to_id_string()
            )));
        }
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        if curve.as_deref() != Some(OID_P256) {
            return Err(Error::Key("public key is not on curve P-256".into()));
        }
        VerifyingKey::from_point(&spki.subject_public_key.data)
    }

    /// Takes an uncompressed SEC1 point (65 bytes, `04‖x‖y`). The point is checked to be
    /// on the curve when it is first used.
    pub fn from_point(point: &[u8]) -> Result<VerifyingKey, Error> {
        if point.len() != 65 || point[0] != 4 {
            return Err(Error::Key(
                "P-256 public key must be an uncompressed 65-byte point".into(),
            ));
        }
        Ok(VerifyingKey {
            point: point.to_vec(),
        })
    }

    /// The uncompressed SEC1 point.
    pub fn point(&self) -> &[u8] {
        &self.point
    }

    /// The key as a `PUBLIC KEY` (SubjectPublicKeyInfo) PEM document.
    pub fn to_pem(&self) -> Result<String, Error> {
        let pk = p256::PublicKey::from_sec1_bytes(&self.point)
            .map_err(|_| Error::Key("point is not on curve P-256".into()))?;
        pk.to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .map_err(|e| Error::Key(format!("cannot encode public key: {e}")))
    }

    /// Verifies an ES256 signature (raw 64-byte `r‖s`) over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &self.point)
            .verify(msg, sig)
            .map_err(|_| Error::Signature)
    }
}

fn check_size(input: &[u8]) -> Result<(), Error> {
    if input.len() > MAX_KEY_INPUT_LEN {
        return Err(Error::Limit {
            what: LimitKind::KeyInput,
            limit: MAX_KEY_INPUT_LEN,
        });
    }
    Ok(())
}

/// The contents of the first PEM block with one of `labels`; `None` when the input is not
/// PEM at all (so it may be DER); an error when it is PEM without such a block.
fn pem_block(input: &[u8], labels: &[&str]) -> Result<Option<Vec<u8>>, Error> {
    if !input.starts_with(b"-----") && !crate::pemtext::is_pem(input) {
        return Ok(None);
    }
    let blocks = crate::pemtext::blocks(input).map_err(|e| Error::Key(format!("bad PEM: {e}")))?;
    Ok(blocks
        .into_iter()
        .find(|(label, _)| labels.contains(&label.as_str()))
        .map(|(_, der)| der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_sign_verify() {
        let (k, der) = SigningKey::generate().unwrap();
        let vk = k.verifying_key();
        let sig = k.sign(b"hello").unwrap();
        vk.verify(b"hello", &sig).unwrap();
        assert_eq!(vk.verify(b"hellO", &sig), Err(Error::Signature));
        let again = SigningKey::from_pem_or_der(pkcs8_pem(&der).as_bytes()).unwrap();
        assert_eq!(again.verifying_key(), vk);
        let pem = vk.to_pem().unwrap();
        assert_eq!(VerifyingKey::from_pem_or_der(pem.as_bytes()).unwrap(), vk);
    }

    #[test]
    fn reads_sec1() {
        let secret = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let sec1 = secret.to_sec1_der().unwrap();
        let k = SigningKey::from_der(&sec1).unwrap();
        let pem = pem::encode(&pem::Pem::new("EC PRIVATE KEY", sec1.to_vec()));
        let k2 = SigningKey::from_pem_or_der(pem.as_bytes()).unwrap();
        assert_eq!(k.verifying_key(), k2.verifying_key());
    }

    #[test]
    fn rejects_junk_keys() {
        assert!(matches!(
            SigningKey::from_pem_or_der(b"junk"),
            Err(Error::Key(_))
        ));
        assert!(matches!(
            SigningKey::from_pem_or_der(
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            Err(Error::Key(_))
        ));
        assert!(matches!(
            VerifyingKey::from_pem_or_der(b""),
            Err(Error::Key(_))
        ));
        assert!(matches!(
            VerifyingKey::from_pem_or_der(&vec![b'a'; MAX_KEY_INPUT_LEN + 1]),
            Err(Error::Limit { .. })
        ));
        assert!(matches!(
            VerifyingKey::from_point(&[4; 64]),
            Err(Error::Key(_))
        ));
        // A point not on the curve fails at verification, as a signature failure.
        let vk = VerifyingKey::from_point(&[4; 65]).unwrap();
        assert_eq!(vk.verify(b"x", &[1; 64]), Err(Error::Signature));
    }
}
