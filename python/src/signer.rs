//! Keys and signing: `keygen()`, `Signer` (the authentication service) and `Signed` (a
//! signed PASSporT with its Identity header value, full or compact form).

use cliauth::passport::Ppt;
use cliauth::{Attest, Claims, Signed, Signer, SigningKey};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use serde_json::Value;

use crate::{convert, errors};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(keygen, m)?)?;
    m.add_class::<PySigner>()?;
    m.add_class::<PySigned>()?;
    Ok(())
}

/// Generates a new ECDSA P-256 key pair: `(private_key_pem, public_key_pem)`, the private
/// key as PKCS#8 `PRIVATE KEY` PEM, the public key as SubjectPublicKeyInfo `PUBLIC KEY` PEM.
#[pyfunction]
fn keygen(py: Python<'_>) -> PyResult<(String, String)> {
    let (key, der) = SigningKey::generate().map_err(|e| errors::key(py, &e))?;
    let public = key
        .verifying_key()
        .to_pem()
        .map_err(|e| errors::key(py, &e))?;
    Ok((cliauth::key::pkcs8_pem(&der), public))
}

/// Parses a `ppt` name (`None` for a base PASSporT).
pub(crate) fn parse_ppt(ppt: Option<&str>) -> PyResult<Option<Ppt>> {
    ppt.map(|p| {
        Ppt::from_name(p).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unsupported ppt {p:?} (use shaken, div, div-o or rcd, or None)"
            ))
        })
    })
    .transpose()
}

/// `str` or a sequence of `str`.
pub(crate) fn one_or_many(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(vec![s]);
    }
    obj.extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a str or a list of str")))
}

/// The authentication service: signs PASSporTs with one ECDSA P-256 private key for the
/// certificate published at `x5u` (an https URL).
///
/// `key` is the private key as PEM text (`str` or `bytes`: PKCS#8 `PRIVATE KEY` or SEC1
/// `EC PRIVATE KEY`) or DER `bytes`. A Signer is immutable and thread-safe; signing
/// releases the GIL.
#[pyclass(frozen, module = "cliauth", name = "Signer")]
pub(crate) struct PySigner {
    inner: Signer,
}

#[pymethods]
impl PySigner {
    #[new]
    fn new(py: Python<'_>, key: &Bound<'_, PyAny>, x5u: String) -> PyResult<Self> {
        let key = crate::pem_or_der(key)?;
        let inner = Signer::from_pem(&key, x5u).map_err(|e| errors::key(py, &e))?;
        Ok(PySigner { inner })
    }

    /// The certificate URL this signer puts in `x5u` (and in the Identity `info`).
    #[getter]
    fn x5u(&self) -> String {
        self.inner.x5u().to_owned()
    }

    /// The public key as SubjectPublicKeyInfo `PUBLIC KEY` PEM.
    fn public_key_pem(&self, py: Python<'_>) -> PyResult<String> {
        self.inner
            .key()
            .verifying_key()
            .to_pem()
            .map_err(|e| errors::key(py, &e))
    }

    /// Signs a SHAKEN PASSporT (RFC 8588) for a call from `orig` to `dest`.
    ///
    /// `orig` and `dest` are telephone numbers in any common form (`+1 215-555-1212`,
    /// `12155551212`); `dest` may be a list. `attest` is `"A"`, `"B"` or `"C"`; `origid`
    /// defaults to a new random UUID and `iat` to the current time (Unix seconds).
    /// Raises `SigningError` for numbers that are not telephone numbers.
    #[pyo3(
        signature = (orig, dest, attest = "A".to_owned(), origid = None, iat = None),
        text_signature = "($self, orig, dest, attest='A', origid=None, iat=None)"
    )]
    fn sign_shaken(
        &self,
        py: Python<'_>,
        orig: String,
        dest: &Bound<'_, PyAny>,
        attest: String,
        origid: Option<String>,
        iat: Option<i64>,
    ) -> PyResult<PySigned> {
        let dest = one_or_many(dest, "dest")?;
        let attest: Attest = attest.parse().map_err(|_| {
            PyValueError::new_err(format!("attest must be A, B or C, not {attest:?}"))
        })?;
        let iat = iat.unwrap_or_else(crate::unix_now);
        let signer = &self.inner;
        let signed = py.detach(|| {
            let dest: Vec<&str> = dest.iter().map(String::as_str).collect();
            signer.sign_shaken(&orig, &dest, attest, origid.as_deref(), iat)
        });
        signed
            .map(PySigned::from)
            .map_err(|e| errors::signing(py, &e))
    }

    /// Signs any PASSporT: `claims` is a dict of claims as in the token
    /// (`{"orig": {"tn": "12155551212"}, "dest": {"tn": ["12155551213"]}, ...}`) and `ppt`
    /// the extension: `"shaken"`, `"div"`, `"div-o"`, `"rcd"`, or `None` for a base
    /// PASSporT.
    ///
    /// `iat` defaults to the current time and, for `shaken`, `origid` to a new UUID. The
    /// claims are checked first (what `ppt` requires must be present: `attest` and
    /// `origid` for shaken, `div` for div, `div` and `opt` for div-o, `rcd` for rcd;
    /// telephone numbers in canonical form); `SigningError` says what is wrong.
    #[pyo3(signature = (claims, ppt = None))]
    fn sign(
        &self,
        py: Python<'_>,
        claims: &Bound<'_, PyAny>,
        ppt: Option<String>,
    ) -> PyResult<PySigned> {
        let ppt = parse_ppt(ppt.as_deref())?;
        let mut map = convert::dict_from_py(claims, "claims")?;
        if !map.contains_key("iat") {
            map.insert("iat".into(), Value::from(crate::unix_now()));
        }
        if ppt == Some(Ppt::Shaken) && !map.contains_key("origid") {
            map.insert(
                "origid".into(),
                Value::String(cliauth::passport::claims::new_origid()),
            );
        }
        let signer = &self.inner;
        let signed = py.detach(|| {
            let claims = Claims::from_json(map).map_err(|e| cliauth::Error::Sign(e.to_string()))?;
            signer.sign(ppt, &claims)
        });
        signed
            .map(PySigned::from)
            .map_err(|e| errors::signing(py, &e))
    }

    fn __repr__(&self) -> String {
        format!("Signer(x5u={:?})", self.inner.x5u())
    }
}

/// A signed PASSporT: `token` (full form), `identity` (the Identity header value
/// `token;info=<x5u>;alg=ES256;ppt=...`), `compact_identity` (the same with the compact
/// form `..signature`, RFC 8224 §7), `ppt` and `x5u`. `str(signed)` is `identity`.
#[pyclass(frozen, module = "cliauth", name = "Signed")]
pub(crate) struct PySigned {
    inner: Signed,
}

impl From<Signed> for PySigned {
    fn from(inner: Signed) -> Self {
        PySigned { inner }
    }
}

/// The parts of a `Signed`: token, ppt, x5u (the only place its fields are read).
fn signed_parts(s: &Signed) -> (&str, Option<Ppt>, &str) {
    (s.token(), s.ppt(), s.x5u())
}

#[pymethods]
impl PySigned {
    /// The full-form token (`header.claims.signature`, base64url).
    #[getter]
    fn token(&self) -> &str {
        signed_parts(&self.inner).0
    }

    /// The Identity header value: `token;info=<x5u>;alg=ES256;ppt=...`.
    #[getter]
    fn identity(&self) -> String {
        self.inner.identity()
    }

    /// The Identity header value with the token in compact form (`..signature;info=...`);
    /// the receiver rebuilds header and claims from the call.
    #[getter]
    fn compact_identity(&self) -> String {
        self.inner.compact_identity()
    }

    /// The extension (`"shaken"`, `"div"`, `"div-o"`, `"rcd"`) or `None`.
    #[getter]
    fn ppt(&self) -> Option<&'static str> {
        signed_parts(&self.inner).1.map(Ppt::as_str)
    }

    /// The certificate URL in the token's header.
    #[getter]
    fn x5u(&self) -> &str {
        signed_parts(&self.inner).2
    }

    fn __str__(&self) -> String {
        self.inner.identity()
    }

    fn __repr__(&self) -> String {
        let (_, ppt, x5u) = signed_parts(&self.inner);
        format!("Signed(ppt={:?}, x5u={x5u:?})", ppt.map(Ppt::as_str))
    }
}
