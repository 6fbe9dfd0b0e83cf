//! The authentication service: [`Signer`] turns call data into a signed PASSporT and the
//! Identity header value that carries it.

use crate::error::Error;
use crate::identity::format_identity;
use crate::key::SigningKey;
use crate::passport::header::check_url;
use crate::passport::jws::B64;
use crate::passport::{Attest, Claims, Header, Party, Ppt, TOKEN_CAPACITY, to_compact};
use crate::tn::Tn;
use base64::Engine;

/// Signs PASSporTs with one key for one certificate URL (`x5u`).
///
/// `Signer` is `Send + Sync`: share one across threads.
#[derive(Debug)]
pub struct Signer {
    key: SigningKey,
    x5u: String,
    /// The base64url deterministic JSON header for each extension, indexed by
    /// [`header_index`]: it depends only on `x5u` and `ppt`, so it is encoded once here
    /// rather than on every call.
    headers: [String; 5],
}

/// The index of `ppt` in [`Signer::headers`].
fn header_index(ppt: Option<Ppt>) -> usize {
    match ppt {
        None => 0,
        Some(Ppt::Shaken) => 1,
        Some(Ppt::Div) => 2,
        Some(Ppt::DivO) => 3,
        Some(Ppt::Rcd) => 4,
    }
}

/// A signed PASSporT. Only a [`Signer`] makes one, so its token is always a well-formed
/// full-form token whose header carries `ppt` and `x5u`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    token: String,
    ppt: Option<Ppt>,
    x5u: String,
}

impl Signed {
    /// The full-form token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The full-form token, by value.
    pub fn into_token(self) -> String {
        self.token
    }

    /// The extension it was signed with.
    pub fn ppt(&self) -> Option<Ppt> {
        self.ppt
    }

    /// The certificate URL in its header.
    pub fn x5u(&self) -> &str {
        &self.x5u
    }

    /// The Identity header value: `token;info=<x5u>;alg=ES256;ppt=…`.
    pub fn identity(&self) -> String {
        format_identity(&self.token, &self.x5u, self.ppt)
    }

    /// The Identity header value with the token in compact form (`..signature`); the
    /// receiver must rebuild header and claims from the call (RFC 8224 §7).
    pub fn compact_identity(&self) -> String {
        // A token we produced always splits.
        let compact = to_compact(&self.token).unwrap_or_default();
        format_identity(&compact, &self.x5u, self.ppt)
    }
}

impl Signer {
    /// A signer for `key`, whose certificate is published at `x5u`.
    pub fn new(key: SigningKey, x5u: impl Into<String>) -> Result<Signer, Error> {
        let x5u = x5u.into();
        check_url(&x5u).map_err(Error::Sign)?;
        let header_b64 = |ppt: Option<Ppt>| {
            let mut json = Vec::with_capacity(128);
            Header::new(ppt, x5u.as_str()).write_simple(&mut json);
            B64.encode(json)
        };
        let headers = [
            header_b64(None),
            header_b64(Some(Ppt::Shaken)),
            header_b64(Some(Ppt::Div)),
            header_b64(Some(Ppt::DivO)),
            header_b64(Some(Ppt::Rcd)),
        ];
        Ok(Signer { key, x5u, headers })
    }

    /// A signer from a PEM or DER private key (PKCS#8 or SEC1).
    pub fn from_pem(key: &[u8], x5u: impl Into<String>) -> Result<Signer, Error> {
        Signer::new(SigningKey::from_pem_or_der(key)?, x5u)
    }

    /// The certificate URL this signer puts in `x5u`.
    pub fn x5u(&self) -> &str {
        &self.x5u
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs `claims` as a PASSporT of extension `ppt` (`None` for a base PASSporT).
    ///
    /// The claims are checked first: everything `ppt` requires must be present and the
    /// telephone numbers must be in canonical form (see [`Tn`]), so that what is signed
    /// verifies.
    pub fn sign(&self, ppt: Option<Ppt>, claims: &Claims) -> Result<Signed, Error> {
        check_canonical(&claims.orig)?;
        if let Some(d) = &claims.div {
            check_canonical(d)?;
        }
        for t in &claims.dest.tn {
            check_canonical_tn(t)?;
        }
        if claims.dest.tn.is_empty() && claims.dest.uri.is_empty() {
            return Err(Error::Sign("dest is empty".into()));
        }
        if claims.iat < 0 {
            return Err(Error::Sign("iat is negative".into()));
        }
        if claims.origid.as_deref() == Some("") {
            return Err(Error::Sign("origid is empty".into()));
        }
        claims
            .check_for(ppt)
            .map_err(|e| Error::Sign(e.to_string()))?;
        let mut token = String::with_capacity(TOKEN_CAPACITY);
        token.push_str(&self.headers[header_index(ppt)]);
        let token = crate::passport::sign_after_header(token, claims, &self.key)?;
        Ok(Signed {
            token,
            ppt,
            x5u: self.x5u.clone(),
        })
    }

    /// Signs a SHAKEN PASSporT (RFC 8588) for a call from `orig` to `dest` (numbers in any
    /// form [`Tn::parse`] accepts). `origid` defaults to a new random UUID.
    pub fn sign_shaken(
        &self,
        orig: &str,
        dest: &[&str],
        attest: Attest,
        origid: Option<&str>,
        iat: i64,
    ) -> Result<Signed, Error> {
        let orig = Tn::parse(orig)?;
        let dest = dest
            .iter()
            .map(|d| Tn::parse(d).map(Tn::into_string))
            .collect::<Result<Vec<_>, _>>()?;
        let origid = match origid {
            Some(o) => o.to_owned(),
            None => crate::passport::claims::new_origid(),
        };
        let mut claims = Claims::new(
            Party::Tn(orig.into_string()),
            crate::passport::Dest {
                tn: dest,
                uri: Vec::new(),
            },
            iat,
        );
        claims.attest = Some(attest);
        claims.origid = Some(origid);
        self.sign(Some(Ppt::Shaken), &claims)
    }
}

fn check_canonical(p: &Party) -> Result<(), Error> {
    match p {
        Party::Tn(t) => check_canonical_tn(t),
        Party::Uri(_) => Ok(()),
    }
}

fn check_canonical_tn(t: &str) -> Result<(), Error> {
    let c = Tn::parse(t)?;
    if c.as_str() != t {
        return Err(Error::Sign(format!(
            "telephone number {t:?} is not canonical (use {c:?})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passport::Passport;

    #[test]
    fn cached_headers_are_the_deterministic_headers() {
        let (k, _) = SigningKey::generate().unwrap();
        let x5u = "https://cert.example/sp.pem?a=\"b\"";
        let s = Signer::new(k, "https://cert.example/sp.pem").unwrap();
        for ppt in [None].into_iter().chain(Ppt::ALL.map(Some)) {
            let header = Header::new(ppt, "https://cert.example/sp.pem");
            let json = crate::passport::json::to_canonical(&header.to_json()).unwrap();
            assert_eq!(s.headers[header_index(ppt)], B64.encode(json), "{ppt:?}");
        }
        assert!(Signer::new(SigningKey::generate().unwrap().0, x5u).is_err());
    }

    #[test]
    fn signs_and_checks() {
        let (k, _) = SigningKey::generate().unwrap();
        let s = Signer::new(k, "https://cert.example/sp.pem").unwrap();
        let signed = s
            .sign_shaken(
                "+1 215 555 1212",
                &["12155551213"],
                Attest::B,
                Some("abc"),
                10,
            )
            .unwrap();
        let (p, _) = Passport::parse(&signed.token).unwrap();
        assert_eq!(p.claims.orig, Party::Tn("12155551212".into()));
        assert!(
            signed
                .identity()
                .ends_with(";info=<https://cert.example/sp.pem>;alg=ES256;ppt=shaken")
        );
        assert!(signed.compact_identity().starts_with(".."));
        // Uncanonical numbers and missing extension claims are refused.
        let c = Claims::shaken("+1", &["2"], Attest::A, "x", 1);
        assert!(matches!(s.sign(Some(Ppt::Shaken), &c), Err(Error::Sign(_))));
        let c = Claims::shaken("1", &["2"], Attest::A, "x", 1);
        assert!(matches!(s.sign(Some(Ppt::Div), &c), Err(Error::Sign(_))));
        assert!(matches!(
            s.sign_shaken("x", &["2"], Attest::A, None, 1),
            Err(Error::Tn(_))
        ));
        let (k, _) = SigningKey::generate().unwrap();
        assert!(Signer::new(k, "ftp://x/y").is_err());
    }
}
