//! ISUP/BICC carriage (ITU-T Q.3063): the compact token (`isup_encode`, `isup_decode`,
//! `isup_to_identity`) and the IAM (`isup_iam_new`, `isup_iam_add`, `isup_iam_take`).
//! Only the public API of `cliauth::isup` is used. The Python module `cliauth.isup`
//! re-exports these under short names.

use cliauth::Call;
use cliauth::isup::{
    AddressDigits, CalledPartyNumber, CallingPartyNumber, CompactToken, ConvertOptions, Gateway,
    GatewayConfig, Iam, NatureOfAddress, NumberMapping,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCompactToken>()?;
    m.add_function(wrap_pyfunction!(isup_encode, m)?)?;
    m.add_function(wrap_pyfunction!(isup_decode, m)?)?;
    m.add_function(wrap_pyfunction!(isup_to_identity, m)?)?;
    m.add_function(wrap_pyfunction!(isup_iam_new, m)?)?;
    m.add_function(wrap_pyfunction!(isup_iam_add, m)?)?;
    m.add_function(wrap_pyfunction!(isup_iam_take, m)?)?;
    Ok(())
}

fn mapping(country_code: Option<&str>) -> NumberMapping {
    match country_code {
        Some(cc) => NumberMapping::for_country(cc),
        None => NumberMapping::international(),
    }
}

fn gateway(country_code: Option<&str>) -> Gateway {
    Gateway::new(GatewayConfig {
        mapping: mapping(country_code),
        ..GatewayConfig::default()
    })
}

/// Converts an Identity header value into the compact ISUP token (UPER octets).
/// `orig`/`dest` are the IAM's numbers as telephone numbers: where they rebuild the
/// token's `orig`/`dest` exactly, the token leaves them out. The result is guaranteed to
/// rebuild the Identity value byte for byte from the same numbers. Raises `IsupError`.
#[pyfunction]
#[pyo3(signature = (identity, orig = None, dest = None, *, explicit_numbers = false, allow_verbatim = true))]
fn isup_encode<'py>(
    py: Python<'py>,
    identity: String,
    orig: Option<String>,
    dest: Option<String>,
    explicit_numbers: bool,
    allow_verbatim: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = ConvertOptions {
        allow_verbatim,
        explicit_numbers,
    };
    let call = Call {
        orig: orig.as_deref(),
        dest: dest.as_deref(),
        call_id: None,
    };
    let c = py
        .detach(|| CompactToken::from_identity(identity.trim(), &call, &opts))
        .map_err(errors::isup)?;
    Ok(PyBytes::new(py, c.token.as_bytes()))
}

/// A decoded compact ISUP token. `bytes(token)` / `token.data` are its octets,
/// `len(token)` their number; `to_identity(orig, dest)` rebuilds the Identity header value.
#[pyclass(frozen, module = "cliauth.isup", name = "CompactToken")]
pub(crate) struct PyCompactToken {
    inner: CompactToken,
}

#[pymethods]
impl PyCompactToken {
    /// The encoded token (UPER octets).
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }

    /// Rebuilds the Identity header value, taking `orig`/`dest` (the IAM's numbers as
    /// telephone numbers) where the token leaves them out. Raises `IsupError`.
    #[pyo3(signature = (orig = None, dest = None))]
    fn to_identity(&self, orig: Option<String>, dest: Option<String>) -> PyResult<String> {
        let call = Call {
            orig: orig.as_deref(),
            dest: dest.as_deref(),
            call_id: None,
        };
        self.inner
            .rebuild(&call)
            .map(|s| s.identity)
            .map_err(errors::isup)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.data(py)
    }

    fn __repr__(&self) -> String {
        format!("CompactToken({} octets)", self.inner.len())
    }
}

/// Decodes a compact ISUP token (size limit, trailing octets, version checked). Raises
/// `IsupError`.
#[pyfunction]
fn isup_decode(data: Vec<u8>) -> PyResult<PyCompactToken> {
    CompactToken::decode(&data)
        .map(|inner| PyCompactToken { inner })
        .map_err(errors::isup)
}

/// Decodes a compact ISUP token and rebuilds the Identity header value, byte for byte as
/// signed. Raises `IsupError`.
#[pyfunction]
#[pyo3(signature = (data, orig = None, dest = None))]
fn isup_to_identity(data: Vec<u8>, orig: Option<String>, dest: Option<String>) -> PyResult<String> {
    isup_decode(data)?.to_identity(orig, dest)
}

/// A minimal Initial Address Message (speech call) with these calling and called party
/// numbers (digits as in the IAM; international numbers unless `national`).
#[pyfunction]
#[pyo3(signature = (calling, called, national = false))]
fn isup_iam_new<'py>(
    py: Python<'py>,
    calling: String,
    called: String,
    national: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let nature = if national {
        NatureOfAddress::NATIONAL
    } else {
        NatureOfAddress::INTERNATIONAL
    };
    let digits =
        |d: &str| AddressDigits::new(d).map_err(|e| PyValueError::new_err(format!("{d:?}: {e}")));
    let mut iam =
        Iam::new(&CalledPartyNumber::new(nature, digits(&called)?)).map_err(errors::isup)?;
    iam.set_calling_number(&CallingPartyNumber::new(nature, digits(&calling)?))
        .map_err(errors::isup)?;
    let bytes = iam.to_bytes().map_err(errors::isup)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Outgoing gateway: puts the compact token of `identity` into the IAM (replacing any),
/// its numbers mapped to telephone numbers (national numbers with `country_code`).
/// Returns `(iam, sgm)`, `sgm` the Segmentation message when the IAM had to be split, else
/// None. Raises `IsupError`.
#[pyfunction]
#[pyo3(signature = (iam, identity, country_code = None))]
fn isup_iam_add<'py>(
    py: Python<'py>,
    iam: Vec<u8>,
    identity: String,
    country_code: Option<String>,
) -> PyResult<(Bound<'py, PyBytes>, Option<Bound<'py, PyBytes>>)> {
    let mut parsed = Iam::parse(&iam).map_err(errors::isup)?;
    let out = gateway(country_code.as_deref())
        .outgoing(&mut parsed, identity.trim())
        .map_err(errors::isup)?;
    let sgm = out.encoded.sgm.as_deref().map(|s| PyBytes::new(py, s));
    Ok((PyBytes::new(py, &out.encoded.iam), sgm))
}

/// Incoming gateway: takes the compact token out of the IAM (and its SGM) and rebuilds the
/// Identity header value from it and the IAM's numbers. Raises `IsupError` (also when the
/// IAM carries no token).
#[pyfunction]
#[pyo3(signature = (iam, sgm = None, country_code = None))]
fn isup_iam_take(
    iam: Vec<u8>,
    sgm: Option<Vec<u8>>,
    country_code: Option<String>,
) -> PyResult<String> {
    let gw = gateway(country_code.as_deref());
    let parsed = Iam::parse_segmented(&iam, sgm.as_deref()).map_err(errors::isup)?;
    let bytes = parsed
        .find_token(&gw.config.message)
        .map_err(errors::isup)?
        .ok_or_else(|| errors::isup("the IAM carries no token"))?;
    let (calling, called) = gw.call_numbers(&parsed);
    let call = Call {
        orig: calling.as_deref(),
        dest: called.as_deref(),
        call_id: None,
    };
    CompactToken::decode(&bytes)
        .and_then(|t| t.rebuild(&call))
        .map(|s| s.identity)
        .map_err(errors::isup)
}
