//! `SecSIPIDGetIdentity`, `SecSIPIDGetIdentityPrvKey` and `SecSIPIDSignJSONHP` on
//! cliauth's [`Signer`] and [`SigningKey`].
//!
//! Output: the same Identity value as libsecsipid,
//! `token;info=<x5u>;alg=ES256;ppt=shaken`, whose token is deterministic JSON (sorted keys,
//! no whitespace). Where cliauth is stricter than libsecsipid (which signs whatever it is
//! given):
//!
//! * the numbers are put in canonical form (visual separators and a leading `+` dropped,
//!   RFC 8224 §8.3) and must be telephone numbers (digits, `#`, `*`): otherwise -1;
//! * the attestation must be `A`, `B` or `C`: otherwise -1;
//! * the x5u must be an http(s) URL: otherwise -1 (libsecsipid signs an empty x5u as
//!   `https://127.0.0.1/cert.pem`).
//!
//! `SecSIPIDSignJSONHP` signs the given header and payload text as is (trimmed), without
//! parsing it, as libsecsipid does; like libsecsipid it returns 0 (and an empty string)
//! when it cannot sign.

use std::sync::{Arc, LazyLock};

use base64::Engine;
use cliauth::passport::jws::B64;
use cliauth::{Attest, Signer, SigningKey};

use crate::codes;
use crate::keys::{self, Cache};

/// Where a signing key comes from.
#[derive(Debug, Clone, Copy)]
pub enum PrvSource<'a> {
    /// A file path.
    Path(&'a str),
    /// The PEM text.
    Data(&'a [u8]),
}

/// Signers per (key file, x5u) and per (key data, x5u).
static SIGNERS_BY_PATH: LazyLock<Cache<(String, String), Signer>> = LazyLock::new(Cache::new);
static SIGNERS_BY_DATA: LazyLock<Cache<(Vec<u8>, String), Signer>> = LazyLock::new(Cache::new);
/// Keys per file, for `SignJSONHP`.
static KEYS_BY_PATH: LazyLock<Cache<String, SigningKey>> = LazyLock::new(Cache::new);

fn signer(src: PrvSource<'_>, x5u: &str) -> Result<Arc<Signer>, i32> {
    let make = |pem: &[u8]| -> Result<Arc<Signer>, i32> {
        let key = keys::parse_private(pem)?;
        Signer::new(key, x5u).map(Arc::new).map_err(|_| codes::ERR)
    };
    match src {
        PrvSource::Path(path) => {
            let st = keys::stamp(path)?;
            let k = (path.to_owned(), x5u.to_owned());
            if let Some(s) = SIGNERS_BY_PATH.get(&k, Some(st)) {
                return Ok(s);
            }
            let s = make(&keys::read_file(path)?)?;
            SIGNERS_BY_PATH.put(k, Some(st), Arc::clone(&s));
            Ok(s)
        }
        PrvSource::Data(pem) => {
            let k = (pem.to_vec(), x5u.to_owned());
            if let Some(s) = SIGNERS_BY_DATA.get(&k, None) {
                return Ok(s);
            }
            let s = make(pem)?;
            SIGNERS_BY_DATA.put(k, None, Arc::clone(&s));
            Ok(s)
        }
    }
}

/// The SHAKEN Identity value for a call, or a libsecsipid code.
pub fn get_identity(
    orig: &str,
    dest: &str,
    attest: &str,
    origid: &str,
    x5u: &str,
    key: PrvSource<'_>,
    now: i64,
) -> Result<String, i32> {
    let s = signer(key, x5u)?;
    let attest: Attest = attest.parse().map_err(|_| codes::ERR)?;
    let origid = (!origid.is_empty()).then_some(origid);
    s.sign_shaken(orig, &[dest], attest, origid, now)
        .map(|signed| signed.identity())
        .map_err(|_| codes::ERR)
}

/// Signs `header` and `payload` (JSON text, signed as given after trimming white space at
/// both ends) with the key in the file `key_path`: the compact JWS, or a libsecsipid code.
pub fn sign_json(header: &str, payload: &str, key_path: &str) -> Result<String, i32> {
    let st = keys::stamp(key_path)?;
    let key = match KEYS_BY_PATH.get(key_path, Some(st)) {
        Some(k) => k,
        None => {
            let k = Arc::new(keys::parse_private(&keys::read_file(key_path)?)?);
            KEYS_BY_PATH.put(key_path.to_owned(), Some(st), Arc::clone(&k));
            k
        }
    };
    let (h, p) = (header.trim(), payload.trim());
    let mut out = String::with_capacity((h.len() + p.len()) * 4 / 3 + 96);
    B64.encode_string(h, &mut out);
    out.push('.');
    B64.encode_string(p, &mut out);
    let sig = key
        .sign(out.as_bytes())
        .map_err(|_| codes::JSON_SIGNATURE_FAILURE)?;
    out.push('.');
    B64.encode_string(sig, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Form, check_at};
    use crate::keys::PubSource;
    use crate::test_support::{Fixture, lock};

    const NOW: i64 = 1_700_000_000;
    const X5U: &str = "https://cert.example.org/sp.pem";

    #[test]
    fn identities_verify() {
        let _g = lock();
        let f = Fixture::new();
        for src in [
            PrvSource::Path(f.prv_path()),
            PrvSource::Data(f.prv_pem.as_bytes()),
        ] {
            let id =
                get_identity("+1 215-555-1212", "12155551213", "B", "", X5U, src, NOW).unwrap();
            assert!(
                id.ends_with(";info=<https://cert.example.org/sp.pem>;alg=ES256;ppt=shaken"),
                "{id}"
            );
            let pass = cliauth::passport::decode(&id[..id.find(';').unwrap()]).unwrap();
            assert_eq!(pass.claims["orig"]["tn"], "12155551212");
            assert_eq!(pass.claims["attest"], "B");
            assert_eq!(pass.claims["origid"].as_str().unwrap().len(), 36);
            assert_eq!(
                check_at(
                    id.as_bytes(),
                    Form::Full,
                    60,
                    Some(PubSource::Location(f.pub_path())),
                    1,
                    NOW
                ),
                0
            );
        }
        let id = get_identity(
            "1",
            "2",
            "A",
            "my-id",
            X5U,
            PrvSource::Path(f.prv_path()),
            NOW,
        )
        .unwrap();
        let pass = cliauth::passport::decode(&id[..id.find(';').unwrap()]).unwrap();
        assert_eq!(pass.claims["origid"], "my-id");
    }

    #[test]
    fn signing_codes() {
        let _g = lock();
        let f = Fixture::new();
        let p = PrvSource::Path(f.prv_path());
        let g = |o: &str, d: &str, a: &str, x: &str, k: PrvSource<'_>| {
            get_identity(o, d, a, "", x, k, NOW)
        };
        assert_eq!(g("1", "2", "X", X5U, p), Err(-1));
        assert_eq!(g("", "2", "A", X5U, p), Err(-1));
        assert_eq!(g("alice", "2", "A", X5U, p), Err(-1));
        assert_eq!(g("1", "2", "A", "", p), Err(-1));
        assert_eq!(
            g("1", "2", "A", X5U, PrvSource::Path("/nonexistent/k.pem")),
            Err(-451)
        );
        assert_eq!(g("1", "2", "A", X5U, PrvSource::Data(b"junk")), Err(-152));
        assert_eq!(g("1", "2", "A", X5U, PrvSource::Data(b"")), Err(-152));
        assert_eq!(
            g("1", "2", "A", X5U, PrvSource::Data(f.pub_pem.as_bytes())),
            Err(-151)
        );
        let rsa = include_bytes!("../tests/data/rsa.pem");
        assert_eq!(g("1", "2", "A", X5U, PrvSource::Data(rsa)), Err(-152));
    }

    #[test]
    fn sign_json_as_given() {
        let _g = lock();
        let f = Fixture::new();
        let t = sign_json("  {\"b\":1, \"a\":2}\n", "{\"z\": 1}", f.prv_path()).unwrap();
        let (input, sig) = t.rsplit_once('.').unwrap();
        let (h, p) = input.split_once('.').unwrap();
        assert_eq!(B64.decode(h).unwrap(), b"{\"b\":1, \"a\":2}");
        assert_eq!(B64.decode(p).unwrap(), b"{\"z\": 1}");
        let sig = B64.decode(sig).unwrap();
        f.key()
            .verifying_key()
            .verify(input.as_bytes(), &sig)
            .unwrap();
        assert_eq!(sign_json("{}", "{}", "/nonexistent"), Err(-451));
        assert_eq!(sign_json("{}", "{}", f.pub_path()), Err(-151));
    }
}
