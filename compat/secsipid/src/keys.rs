//! Reading keys the way libsecsipid's callers hand them over — a file path, a `file://`
//! URL, an `http(s)://` URL, or the PEM text itself — and classifying failures with
//! libsecsipid's codes. Parsing itself is cliauth's ([`SigningKey::from_pem_or_der`],
//! [`VerifyingKey::from_pem_or_der`]).
//!
//! libsecsipid reads and parses the key file on every call. Here a parsed key is cached
//! per path together with the file's identity (device, inode, size, modification time),
//! checked with one `stat` per call: a replaced or rewritten file is read again, so the
//! behaviour is the same as reading every time, without the cost. Keys given as data are
//! cached by their bytes. Each cache holds at most [`CACHE_CAPACITY`] entries and is
//! emptied when full.

use std::collections::HashMap;
use std::hash::Hash;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, PoisonError, RwLock};

use cliauth::{Error, SigningKey, VerifyingKey};
use p256::pkcs8::PrivateKeyInfo;
use x509_parser::prelude::FromDer;

use crate::codes;

/// The largest number of entries a key cache keeps.
pub const CACHE_CAPACITY: usize = 256;

/// What identifies a file's contents without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

/// The stamp of the file at `path`; `FILE_READ` when it cannot be examined.
pub fn stamp(path: &str) -> Result<Stamp, i32> {
    let m = std::fs::metadata(path).map_err(|_| codes::FILE_READ)?;
    if !m.is_file() {
        return Err(codes::FILE_READ);
    }
    Ok(Stamp {
        dev: m.dev(),
        ino: m.ino(),
        len: m.len(),
        mtime: m.mtime(),
        mtime_nsec: m.mtime_nsec(),
    })
}

/// Reads a whole file (bounded: keys and certificate chains are small).
pub fn read_file(path: &str) -> Result<Vec<u8>, i32> {
    use std::io::Read;
    const MAX_FILE: u64 = 1 << 20;
    let f = std::fs::File::open(path).map_err(|_| codes::FILE_READ)?;
    let mut buf = Vec::new();
    f.take(MAX_FILE)
        .read_to_end(&mut buf)
        .map_err(|_| codes::FILE_READ)?;
    Ok(buf)
}

/// A cached value and the stamp of the file it was built from (`None`: not from a file).
type Entry<V> = (Option<Stamp>, Arc<V>);

/// A small concurrent map from `K` to a shared value and the stamp it was built from.
pub struct Cache<K, V> {
    map: RwLock<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V> Cache<K, V> {
    /// An empty cache.
    pub fn new() -> Self {
        Cache {
            map: RwLock::new(HashMap::new()),
        }
    }

    /// The value for `key` if it was built from a file with stamp `stamp`.
    pub fn get<Q>(&self, key: &Q, stamp: Option<Stamp>) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        match map.get(key) {
            Some((s, v)) if *s == stamp => Some(Arc::clone(v)),
            _ => None,
        }
    }

    /// Stores a value.
    pub fn put(&self, key: K, stamp: Option<Stamp>, value: Arc<V>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= CACHE_CAPACITY {
            map.clear();
        }
        map.insert(key, (stamp, value));
    }

    /// Empties the cache.
    #[cfg(test)]
    pub fn clear(&self) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl<K: Eq + Hash, V> Default for Cache<K, V> {
    fn default() -> Self {
        Cache::new()
    }
}

fn is_pem(input: &[u8]) -> bool {
    input.windows(11).any(|w| w == b"-----BEGIN ")
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// Parses a public key or certificate (PEM) for ES256 verification, with libsecsipid's
/// codes: `-102` not PEM, `-114` not an EC P-256 key, `-101` anything else unusable.
pub fn parse_public(input: &[u8]) -> Result<VerifyingKey, i32> {
    if !is_pem(input) {
        return Err(codes::CERT_INVALID_FORMAT);
    }
    match VerifyingKey::from_pem_or_der(input) {
        Ok(k) => Ok(k),
        Err(Error::Limit { .. }) => Err(codes::CERT_INVALID_FORMAT),
        Err(_) => Err(classify_public(input)),
    }
}

/// Why a PEM input holds no usable public key.
fn classify_public(input: &[u8]) -> i32 {
    let Ok(blocks) = pem::parse_many(input) else {
        return codes::CERT_INVALID_FORMAT;
    };
    let Some(block) = blocks
        .iter()
        .find(|b| matches!(b.tag(), "PUBLIC KEY" | "CERTIFICATE"))
    else {
        return codes::CERT_INVALID;
    };
    let spki_alg = |spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>| {
        let alg = spki.algorithm.algorithm.to_id_string();
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        if alg != OID_EC_PUBLIC_KEY || curve.as_deref() != Some(OID_P256) {
            codes::CERT_INVALID_EC
        } else {
            codes::CERT_INVALID
        }
    };
    if block.tag() == "PUBLIC KEY" {
        match x509_parser::x509::SubjectPublicKeyInfo::from_der(block.contents()) {
            Ok((_, spki)) => spki_alg(&spki),
            Err(_) => codes::CERT_INVALID,
        }
    } else {
        match x509_parser::parse_x509_certificate(block.contents()) {
            Ok((_, cert)) => spki_alg(cert.public_key()),
            Err(_) => codes::CERT_INVALID,
        }
    }
}

/// Parses a private key (PEM, SEC1 or PKCS#8) with libsecsipid's codes: `-152` not PEM
/// or not an EC key, `-151` a PEM block that is not a readable private key.
pub fn parse_private(input: &[u8]) -> Result<SigningKey, i32> {
    if !is_pem(input) {
        return Err(codes::PRVKEY_INVALID_FORMAT);
    }
    match SigningKey::from_pem_or_der(input) {
        Ok(k) => Ok(k),
        Err(Error::Limit { .. }) => Err(codes::PRVKEY_INVALID_FORMAT),
        Err(_) => Err(classify_private(input)),
    }
}

fn classify_private(input: &[u8]) -> i32 {
    let Ok(blocks) = pem::parse_many(input) else {
        return codes::PRVKEY_INVALID_FORMAT;
    };
    for b in &blocks {
        if b.tag() == "PRIVATE KEY"
            && let Ok(info) = PrivateKeyInfo::try_from(b.contents())
            && info.algorithm.oid.to_string() != OID_EC_PUBLIC_KEY
        {
            // A readable PKCS#8 key of another algorithm (RSA, Ed25519): "not EC".
            return codes::PRVKEY_INVALID_FORMAT;
        }
    }
    codes::PRVKEY_INVALID
}

/// Where a verification key comes from.
#[derive(Debug, Clone, Copy)]
pub enum PubSource<'a> {
    /// A file path, a `file://` URL, or an `http://` / `https://` URL.
    Location(&'a str),
    /// The key (or certificate) itself.
    Data(&'a [u8]),
    /// A URL taken from the Identity header (`info`): downloaded if `http://` or
    /// `https://`, never read as a local file (-401).
    Remote(&'a str),
}

static PUB_BY_PATH: std::sync::LazyLock<Cache<String, VerifyingKey>> =
    std::sync::LazyLock::new(Cache::new);
static PUB_BY_DATA: std::sync::LazyLock<Cache<Vec<u8>, VerifyingKey>> =
    std::sync::LazyLock::new(Cache::new);

/// The bytes behind a key location: a file, a `file://` URL, or a download.
pub fn location_bytes(loc: &str, timeout: i32) -> Result<Vec<u8>, i32> {
    if loc.starts_with("http://") || loc.starts_with("https://") {
        crate::url::get_url_content(loc, timeout)
    } else if let Some(path) = loc.strip_prefix("file://") {
        read_file(path)
    } else {
        read_file(loc)
    }
}

/// The verification key from `src`, when no certificate verification is configured.
/// Downloads are not cached here (the optional file cache of `CacheDirPath` applies).
pub fn verifying_key(src: PubSource<'_>, timeout: i32) -> Result<VerifyingKey, i32> {
    match src {
        PubSource::Data(d) => {
            if let Some(k) = PUB_BY_DATA.get(d, None) {
                return Ok((*k).clone());
            }
            let k = parse_public(d)?;
            PUB_BY_DATA.put(d.to_vec(), None, Arc::new(k.clone()));
            Ok(k)
        }
        PubSource::Remote(url) => parse_public(&crate::url::get_url_content(url, timeout)?),
        PubSource::Location(loc) if loc.starts_with("http://") || loc.starts_with("https://") => {
            parse_public(&location_bytes(loc, timeout)?)
        }
        PubSource::Location(loc) => {
            let path = loc.strip_prefix("file://").unwrap_or(loc);
            let st = stamp(path)?;
            if let Some(k) = PUB_BY_PATH.get(path, Some(st)) {
                return Ok((*k).clone());
            }
            let k = parse_public(&read_file(path)?)?;
            PUB_BY_PATH.put(path.to_owned(), Some(st), Arc::new(k.clone()));
            Ok(k)
        }
    }
}

/// Empties the public-key caches (tests).
#[cfg(test)]
pub fn clear_caches() {
    PUB_BY_PATH.clear();
    PUB_BY_DATA.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkcs8_pem() -> (String, VerifyingKey) {
        let (k, der) = SigningKey::generate().unwrap();
        (cliauth::key::pkcs8_pem(&der), k.verifying_key())
    }

    #[test]
    fn public_key_codes() {
        let (_, vk) = pkcs8_pem();
        let pem = vk.to_pem().unwrap();
        assert_eq!(parse_public(pem.as_bytes()).unwrap(), vk);
        assert_eq!(parse_public(b"junk"), Err(codes::CERT_INVALID_FORMAT));
        assert_eq!(parse_public(b""), Err(codes::CERT_INVALID_FORMAT));
        // A private key where a public one is expected: PEM, but no public key block.
        let (prv, _) = pkcs8_pem();
        assert_eq!(parse_public(prv.as_bytes()), Err(codes::CERT_INVALID));
        // A corrupt public key block.
        let bad = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert_eq!(parse_public(bad.as_bytes()), Err(codes::CERT_INVALID));
        // An RSA public key.
        let rsa = include_str!("../tests/data/rsa-pub.pem");
        assert_eq!(parse_public(rsa.as_bytes()), Err(codes::CERT_INVALID_EC));
    }

    #[test]
    fn private_key_codes() {
        let (prv, vk) = pkcs8_pem();
        assert_eq!(parse_private(prv.as_bytes()).unwrap().verifying_key(), vk);
        assert_eq!(
            parse_private(b"junk").err(),
            Some(codes::PRVKEY_INVALID_FORMAT)
        );
        assert_eq!(parse_private(b"").err(), Some(codes::PRVKEY_INVALID_FORMAT));
        let public = vk.to_pem().unwrap();
        assert_eq!(
            parse_private(public.as_bytes()).err(),
            Some(codes::PRVKEY_INVALID)
        );
        let rsa = include_str!("../tests/data/rsa.pem");
        assert_eq!(
            parse_private(rsa.as_bytes()).err(),
            Some(codes::PRVKEY_INVALID_FORMAT)
        );
    }

    #[test]
    fn cache_follows_the_file() {
        let dir = crate::test_support::tempdir("keys");
        let path = dir.join("k.pem");
        let (_, vk1) = pkcs8_pem();
        std::fs::write(&path, vk1.to_pem().unwrap()).unwrap();
        let p = path.to_str().unwrap();
        assert_eq!(verifying_key(PubSource::Location(p), 1).unwrap(), vk1);
        assert_eq!(verifying_key(PubSource::Location(p), 1).unwrap(), vk1);
        // Replace the file (new inode): the new key is used.
        let (_, vk2) = pkcs8_pem();
        let tmp = dir.join("k.tmp");
        std::fs::write(&tmp, vk2.to_pem().unwrap()).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_eq!(verifying_key(PubSource::Location(p), 1).unwrap(), vk2);
        let url = format!("file://{p}");
        assert_eq!(verifying_key(PubSource::Location(&url), 1).unwrap(), vk2);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            verifying_key(PubSource::Location(p), 1),
            Err(codes::FILE_READ)
        );
        assert_eq!(
            verifying_key(PubSource::Location(dir.to_str().unwrap()), 1),
            Err(codes::FILE_READ)
        );
    }
}
