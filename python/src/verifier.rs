//! Verification: `Verifier` (key in hand, pinned chain, or trust anchors + CRLs + the
//! certificate store, with the optional blocking fetcher or the sans-IO
//! `CertificateNeeded` → `add_chain` loop), `Verdict`, and `decode`.

use std::sync::Arc;
use std::time::Duration;

use cliauth::cert::{CertStore, Credential, TrustStore};
use cliauth::passport::Ppt;
use cliauth::verify::Authority;
use cliauth::{
    Call, Claims, Error, Header, IdentityHeader, Passport, Verdict, Verifier, VerifierConfig,
    VerifyingKey,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::{convert, errors, pem_or_der};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyVerifier>()?;
    m.add_class::<PyVerdict>()?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    Ok(())
}

/// `str | bytes` or a list of them, concatenated (PEM bundles) or one DER item each.
fn each_input(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
    if let Ok(list) = obj.cast::<PyList>() {
        return list.iter().map(|x| pem_or_der(&x)).collect();
    }
    Ok(vec![pem_or_der(obj)?])
}

/// The verification service. Three ways to get the signer's key:
///
/// * `key`: a public key (`PUBLIC KEY` PEM or SubjectPublicKeyInfo DER) or a certificate
///   (PEM or DER); every token is checked against it whatever its `x5u` says, and no
///   chain is validated.
/// * `trust_anchors` (+ optional `crls`) and `chain`: the PEM chain (end-entity first) is
///   validated once against the anchors at `now` and pinned; every token is checked
///   against it, with the certificate's TNAuthList and claim constraints.
/// * `trust_anchors` (+ optional `crls`) alone: a certificate store keyed by `x5u`. A
///   token whose `x5u` is not in the store raises `CertificateNeeded` (its `url`): fetch
///   the URL yourself, call `add_chain(url, pem)` and verify again. With `fetch=True` the
///   verifier fetches itself (https only, ATIS rules, `fetch_timeout` seconds) and caches
///   the chain for the lifetime its Cache-Control allows.
///
/// `trust_anchors` and `crls` are PEM (`str`/`bytes`, bundles allowed) or DER `bytes`, or
/// lists of them. Settings: `max_age` (oldest `iat` accepted, seconds, default 60),
/// `max_future` (clock skew, default 10), `allow_http_x5u` (default False),
/// `strict_profile` (reject certificates with ATIS-1000080 profile faults, default False).
///
/// A Verifier is thread-safe; verification releases the GIL.
#[pyclass(frozen, module = "cliauth", name = "Verifier")]
pub(crate) struct PyVerifier {
    inner: Verifier,
}

/// The call's numbers as the library takes them.
fn call<'a>(orig: &'a Option<String>, dest: &'a Option<String>) -> Call<'a> {
    Call {
        orig: orig.as_deref(),
        dest: dest.as_deref(),
        call_id: None,
    }
}

impl PyVerifier {
    fn store(&self) -> PyResult<&Arc<CertStore>> {
        self.inner.store().ok_or_else(|| {
            PyValueError::new_err(
                "this verifier has no certificate store (create it with trust_anchors and no chain)",
            )
        })
    }

    fn done(
        py: Python<'_>,
        r: Result<Verdict, Error>,
        call_id: Option<String>,
    ) -> PyResult<PyVerdict> {
        match r {
            Ok(v) => Ok(PyVerdict { v, call_id }),
            Err(e) => Err(errors::verification(py, &e, call_id.as_deref())),
        }
    }
}

#[pymethods]
impl PyVerifier {
    #[new]
    #[pyo3(signature = (
        key = None,
        *,
        trust_anchors = None,
        crls = None,
        chain = None,
        fetch = false,
        fetch_timeout = 5.0,
        fetch_allow_http_loopback = false,
        fetch_extra_roots = None,
        max_age = 60,
        max_future = 10,
        allow_http_x5u = false,
        strict_profile = false,
        now = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        key: Option<&Bound<'_, PyAny>>,
        trust_anchors: Option<&Bound<'_, PyAny>>,
        crls: Option<&Bound<'_, PyAny>>,
        chain: Option<&Bound<'_, PyAny>>,
        fetch: bool,
        fetch_timeout: f64,
        fetch_allow_http_loopback: bool,
        fetch_extra_roots: Option<Vec<Vec<u8>>>,
        max_age: i64,
        max_future: i64,
        allow_http_x5u: bool,
        strict_profile: bool,
        now: Option<i64>,
    ) -> PyResult<Self> {
        let config = VerifierConfig {
            max_age,
            max_future,
            allow_http_x5u,
            strict_profile,
            // A test script waits for its fetch: the call-path budget is the fetch deadline
            // plus a margin, so a failed fetch reports its own cause (a softswitch keeps the
            // short default budget instead).
            fetch_budget: if fetch && fetch_timeout.is_finite() && fetch_timeout > 0.0 {
                Duration::from_secs_f64(fetch_timeout.min(3600.0) + 0.25)
            } else {
                cliauth::verify::DEFAULT_FETCH_BUDGET
            },
            ..VerifierConfig::default()
        };
        let inner = match (key, trust_anchors) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give either key or trust_anchors, not both",
                ));
            }
            (None, None) => {
                return Err(PyValueError::new_err(
                    "give a key (public key or certificate) or trust_anchors",
                ));
            }
            (Some(k), None) => {
                if chain.is_some() || crls.is_some() || fetch {
                    return Err(PyValueError::new_err(
                        "chain, crls and fetch need trust_anchors, not key",
                    ));
                }
                let k = VerifyingKey::from_pem_or_der(&pem_or_der(k)?)
                    .map_err(|e| errors::key(py, &e))?;
                Verifier::with_key(k)
            }
            (None, Some(anchors)) => {
                let mut trust = TrustStore::new();
                for a in each_input(anchors)? {
                    trust.add_anchors(&a).map_err(|e| errors::key(py, &e))?;
                }
                if let Some(c) = crls {
                    for c in each_input(c)? {
                        trust.add_crls(&c).map_err(|e| errors::key(py, &e))?;
                    }
                }
                match chain {
                    Some(chain) => {
                        if fetch {
                            return Err(PyValueError::new_err(
                                "a pinned chain is never fetched: give chain or fetch",
                            ));
                        }
                        let chain = pem_or_der(chain)?;
                        let now = now.unwrap_or_else(crate::unix_now);
                        let cred = py
                            .detach(|| Credential::validate(&trust, &chain, now))
                            .map_err(|e| errors::verification(py, &e, None))?;
                        Verifier::with_credential(cred)
                    }
                    None => {
                        let v = Verifier::with_store(Arc::new(CertStore::new(trust)));
                        if fetch {
                            if !(fetch_timeout.is_finite() && fetch_timeout > 0.0) {
                                return Err(PyValueError::new_err(
                                    "fetch_timeout must be a positive number of seconds",
                                ));
                            }
                            let fc = cliauth::fetch::FetchConfig {
                                allow_http_loopback: fetch_allow_http_loopback,
                                timeout: Duration::from_secs_f64(fetch_timeout.min(3600.0)),
                                extra_roots: fetch_extra_roots.unwrap_or_default(),
                                ..cliauth::fetch::FetchConfig::default()
                            };
                            v.with_fetcher(cliauth::fetch::Fetcher::new(fc))
                        } else {
                            v
                        }
                    }
                }
            }
        };
        Ok(PyVerifier {
            inner: inner.with_config(config),
        })
    }

    /// Verifies one Identity header value (`token;info=<...>;alg=ES256;ppt=...`, with or
    /// without the `Identity:` name, or a bare token) for a call from `orig` to `dest`
    /// (numbers or URIs; `None`: not checked) at `now` (Unix seconds; default: the
    /// current time). Returns a `Verdict`; raises a `VerificationError` subclass, which
    /// carries `kind`, `sip_code`, `reason`, `verstat`, `reason_header` (and `call_id`).
    /// `call_id` is not checked: it is copied into the verdict or the error, for logs.
    #[pyo3(signature = (identity, orig = None, dest = None, now = None, call_id = None))]
    fn verify(
        &self,
        py: Python<'_>,
        identity: String,
        orig: Option<String>,
        dest: Option<String>,
        now: Option<i64>,
        call_id: Option<String>,
    ) -> PyResult<PyVerdict> {
        let now = now.unwrap_or_else(crate::unix_now);
        let v = &self.inner;
        let r = py.detach(|| v.verify_identity(&identity, &call(&orig, &dest), now));
        Self::done(py, r, call_id)
    }

    /// Verifies every value of an Identity header field that may hold several
    /// comma-folded values (e.g. a shaken and a div PASSporT), each on its own. Returns a
    /// list with, per value in order, a `Verdict` or the `VerificationError` instance (not
    /// raised). Raises only when the field itself is unusable (empty, too long, syntax).
    #[pyo3(signature = (field, orig = None, dest = None, now = None, call_id = None))]
    fn verify_all(
        &self,
        py: Python<'_>,
        field: String,
        orig: Option<String>,
        dest: Option<String>,
        now: Option<i64>,
        call_id: Option<String>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let now = now.unwrap_or_else(crate::unix_now);
        let v = &self.inner;
        let all = py
            .detach(|| v.verify_identities(&field, &call(&orig, &dest), now))
            .map_err(|e| errors::verification(py, &e, call_id.as_deref()))?;
        all.into_iter()
            .map(|r| match Self::done(py, r, call_id.clone()) {
                Ok(verdict) => Ok(Py::new(py, verdict)?.into_any()),
                Err(e) => Ok(e.into_value(py).into_any()),
            })
            .collect()
    }

    /// Verifies a bare full-form token (no Identity header parameters).
    #[pyo3(signature = (token, orig = None, dest = None, now = None, call_id = None))]
    fn verify_token(
        &self,
        py: Python<'_>,
        token: String,
        orig: Option<String>,
        dest: Option<String>,
        now: Option<i64>,
        call_id: Option<String>,
    ) -> PyResult<PyVerdict> {
        let now = now.unwrap_or_else(crate::unix_now);
        let v = &self.inner;
        let r = py.detach(|| v.verify_token(&token, &call(&orig, &dest), now));
        Self::done(py, r, call_id)
    }

    /// Verifies a compact-form Identity value (`..signature;info=<...>;...`) whose header
    /// and claims the receiver rebuilt from the signalling, given as dicts (RFC 8224 §7).
    /// The token is rebuilt as deterministic JSON, so this works for signers that use it
    /// (cliauth does). A full-form value is verified as by `verify`.
    #[pyo3(signature = (identity, header, claims, orig = None, dest = None, now = None, call_id = None))]
    #[allow(clippy::too_many_arguments)]
    fn verify_compact(
        &self,
        py: Python<'_>,
        identity: String,
        header: &Bound<'_, PyAny>,
        claims: &Bound<'_, PyAny>,
        orig: Option<String>,
        dest: Option<String>,
        now: Option<i64>,
        call_id: Option<String>,
    ) -> PyResult<PyVerdict> {
        let header = convert::dict_from_py(header, "header")?;
        let claims = convert::dict_from_py(claims, "claims")?;
        let now = now.unwrap_or_else(crate::unix_now);
        let v = &self.inner;
        let r = py.detach(|| {
            let p = Passport::new(Header::from_json(header)?, Claims::from_json(claims)?)?;
            v.verify_compact(&identity, &p, &call(&orig, &dest), now)
        });
        Self::done(py, r, call_id)
    }

    /// Validates the chain fetched from `url` (PEM, end-entity first) against the trust
    /// anchors at `now` and stores it for `ttl` seconds (default 24 h, never beyond the
    /// certificates' expiry). Answers a `CertificateNeeded`. Returns a dict describing the
    /// end-entity certificate (`subject`, `spc`, `not_after`, `faults`). Raises a
    /// `VerificationError` (`CredentialError` for an untrusted, expired or malformed
    /// chain); a rejected chain removes any entry `url` had.
    #[pyo3(signature = (url, pem, now = None, ttl = None))]
    fn add_chain<'py>(
        &self,
        py: Python<'py>,
        url: String,
        pem: &Bound<'_, PyAny>,
        now: Option<i64>,
        ttl: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let store = self.store()?;
        let pem = pem_or_der(pem)?;
        let now = now.unwrap_or_else(crate::unix_now);
        let cred = py
            .detach(|| store.insert(&url, &pem, now, ttl))
            .map_err(|e| errors::verification(py, &e, None))?;
        credential_to_py(py, &cred)
    }

    /// Benchmark helper: times `n` verifications of `identity` run in one Rust loop (no
    /// Python call between them, GIL released) and returns the seconds taken: the
    /// reference that `python/bench/bench_verify.py` compares one Python call with, in the
    /// same process and under the same machine load. Raises on the first failure.
    #[pyo3(signature = (identity, orig, dest, now, n))]
    #[allow(clippy::too_many_arguments)]
    fn _time_rust_loop(
        &self,
        py: Python<'_>,
        identity: String,
        orig: Option<String>,
        dest: Option<String>,
        now: i64,
        n: u64,
    ) -> PyResult<f64> {
        let v = &self.inner;
        py.detach(|| {
            let call = call(&orig, &dest);
            let start = std::time::Instant::now();
            for _ in 0..n {
                let verdict = v.verify_identity(std::hint::black_box(&identity), &call, now)?;
                drop(std::hint::black_box(verdict));
            }
            Ok(start.elapsed().as_secs_f64())
        })
        .map_err(|e| errors::verification(py, &e, None))
    }

    /// Removes the chain stored for `url` (no error if there is none).
    fn remove_chain(&self, url: String) -> PyResult<()> {
        self.store()?.remove(&url);
        Ok(())
    }

    /// The number of chains in the certificate store (0 without a store).
    #[getter]
    fn chains(&self) -> usize {
        self.inner.store().map_or(0, |s| s.len())
    }

    /// Whether the verifier fetches certificates itself (`fetch=True`).
    #[getter]
    fn fetches(&self) -> bool {
        self.inner.has_fetcher()
    }

    /// The settings: `max_age`, `max_future`, `allow_http_x5u`, `strict_profile`.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.config();
        let d = PyDict::new(py);
        d.set_item("max_age", c.max_age)?;
        d.set_item("max_future", c.max_future)?;
        d.set_item("allow_http_x5u", c.allow_http_x5u)?;
        d.set_item("strict_profile", c.strict_profile)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let kind = match (self.inner.store(), self.inner.has_fetcher()) {
            (None, _) => "key or pinned chain",
            (Some(_), false) => "certificate store",
            (Some(_), true) => "certificate store, fetching",
        };
        format!("Verifier({kind})")
    }
}

/// What `add_chain` reports about a validated chain.
fn credential_to_py<'py>(py: Python<'py>, cred: &Credential) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("subject", cred.end_entity().subject())?;
    d.set_item("spc", cred.spc())?;
    d.set_item("not_after", cred.end_entity().not_after())?;
    d.set_item("faults", cred.fault_ids())?;
    Ok(d)
}

/// The result of a successful verification. Attributes: `attest` (`"A"`, `"B"`, `"C"` or
/// None), `orig` (number or URI as in the token), `dest` (list), `iat`, `ppt`, `origid`,
/// `x5u`, `verstat` (`"TN-Validation-Passed"`), `spc` (the signer certificate's service
/// provider code, None with a key in hand), `div`, `rcd` (dict or None), `claims` (all
/// claims, dict), `header` (dict), `authority` (`"key"`, `"tn"` or `"spc"`),
/// `cert_faults`, `call_id`. `to_dict()` gives them all as one dict.
#[pyclass(frozen, module = "cliauth", name = "Verdict")]
pub(crate) struct PyVerdict {
    v: Verdict,
    call_id: Option<String>,
}

/// The header, claims and authority of a verdict: the only place its fields are read.
fn verdict_parts(v: &Verdict) -> (&Header, &Claims, &Authority) {
    (v.header(), v.claims(), v.authority())
}

#[pymethods]
impl PyVerdict {
    /// The SHAKEN attestation level, or None.
    #[getter]
    fn attest(&self) -> Option<&'static str> {
        self.v.attest().map(|a| a.as_str())
    }

    /// The originating identity: a telephone number as in the token, or a URI.
    #[getter]
    fn orig(&self) -> &str {
        self.v.orig().as_str()
    }

    /// The destination identities (numbers, then URIs).
    #[getter]
    fn dest(&self) -> Vec<&str> {
        self.v.dest().all().collect()
    }

    /// The issued-at time (Unix seconds).
    #[getter]
    fn iat(&self) -> i64 {
        self.v.iat()
    }

    /// The extension: `"shaken"`, `"div"`, `"div-o"`, `"rcd"`, or None.
    #[getter]
    fn ppt(&self) -> Option<&'static str> {
        self.v.ppt().map(Ppt::as_str)
    }

    /// The SHAKEN origination identifier.
    #[getter]
    fn origid(&self) -> Option<&str> {
        self.v.origid()
    }

    /// The certificate URL.
    #[getter]
    fn x5u(&self) -> &str {
        self.v.x5u()
    }

    /// The verstat value to put on the P-Asserted-Identity: `"TN-Validation-Passed"`.
    #[getter]
    fn verstat(&self) -> &'static str {
        self.v.verstat().as_str()
    }

    /// The service provider code of the signer's certificate (None with a key in hand).
    #[getter]
    fn spc(&self) -> Option<&str> {
        self.v.spc()
    }

    /// The diversion target (`div` claim), or None.
    #[getter]
    fn div(&self) -> Option<&str> {
        verdict_parts(&self.v).1.div.as_ref().map(|d| d.as_str())
    }

    /// The Rich Call Data (`rcd` claim) as a dict, or None.
    #[getter]
    fn rcd<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let claims = verdict_parts(&self.v).1;
        if claims.rcd.is_none() {
            return Ok(None);
        }
        match claims.to_json().get("rcd") {
            Some(r) => convert::to_py(py, r).map(Some),
            None => Ok(None),
        }
    }

    /// All the claims, as a dict (unknown claims included).
    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &verdict_parts(&self.v).1.to_json())
    }

    /// The token's header, as a dict.
    #[getter]
    fn header<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &verdict_parts(&self.v).0.to_json())
    }

    /// How the key was trusted: `"key"` (key in hand, no certificate), `"tn"` (the
    /// certificate's TNAuthList lists `orig`) or `"spc"` (it holds only an SPC).
    #[getter]
    fn authority(&self) -> &'static str {
        match verdict_parts(&self.v).2 {
            Authority::KeyInHand => "key",
            Authority::Tn => "tn",
            Authority::Spc(_) => "spc",
        }
    }

    /// The ATIS-1000080 profile fault identifiers of the signer's certificate.
    #[getter]
    fn cert_faults(&self) -> Vec<&'static str> {
        self.v.cert_faults()
    }

    /// The `call_id` given to `verify`.
    #[getter]
    fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    /// Everything as one dict (JSON-ready).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("valid", true)?;
        d.set_item("attest", self.attest())?;
        d.set_item("orig", self.orig())?;
        d.set_item("dest", self.dest())?;
        d.set_item("iat", self.iat())?;
        d.set_item("ppt", self.ppt())?;
        d.set_item("origid", self.origid())?;
        d.set_item("x5u", self.x5u())?;
        d.set_item("verstat", self.verstat())?;
        d.set_item("spc", self.spc())?;
        d.set_item("div", self.div())?;
        d.set_item("rcd", self.rcd(py)?)?;
        d.set_item("authority", self.authority())?;
        d.set_item("cert_faults", self.cert_faults())?;
        d.set_item("call_id", self.call_id())?;
        d.set_item("header", self.header(py)?)?;
        d.set_item("claims", self.claims(py)?)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Verdict(ppt={:?}, attest={:?}, orig={:?}, dest={:?}, iat={})",
            self.ppt(),
            self.attest(),
            self.orig(),
            self.dest(),
            self.iat()
        )
    }
}

/// Decodes an Identity header value or a bare full-form token for display, without
/// verifying anything: `{"token": "...", "header": {...}, "claims": {...}, "signature": "...",
/// "info": ..., "alg": ..., "ppt": ..., "params": {...}}` (the last four from the
/// Identity parameters; None for a bare token). JSON is parsed strictly (no duplicate
/// members, size limits); raises a `VerificationError` subclass when it does not parse.
#[pyfunction]
fn decode<'py>(py: Python<'py>, value: String) -> PyResult<Bound<'py, PyDict>> {
    let h = IdentityHeader::parse(&value).map_err(|e| errors::verification(py, &e, None))?;
    let d = cliauth::passport::decode(&h.token).map_err(|e| errors::verification(py, &e, None))?;
    let out = PyDict::new(py);
    out.set_item("token", &h.token)?;
    out.set_item("header", convert::map_to_py(py, &d.header)?)?;
    out.set_item("claims", convert::map_to_py(py, &d.claims)?)?;
    out.set_item("signature", d.signature)?;
    out.set_item("info", h.info)?;
    out.set_item("alg", h.alg)?;
    out.set_item("ppt", h.ppt)?;
    let params = PyDict::new(py);
    for (k, v) in h.params {
        params.set_item(k, v)?;
    }
    out.set_item("params", params)?;
    Ok(out)
}
