//! `cliauth._cliauth`: the Python extension module of cliauth (PyO3, abi3 for CPython ≥ 3.9).
//!
//! The Python package `cliauth` (python/cliauth/) re-exports what this module defines:
//! `signer` (keys, `Signer`, `Signed`), `verifier` (`Verifier`, `Verdict`, `decode`),
//! `isup` (the ISUP/BICC compact token and IAM carriage) and `errors` (the exception
//! classes and the one function that turns a library [`cliauth::Error`] into one).
//!
//! Signing and verification run with the GIL released (`Python::detach`), so a Python
//! thread pool scales across cores. All conversions between Python and JSON go through
//! `convert`, which bounds nesting depth and size.

use pyo3::prelude::*;

mod convert;
mod errors;
mod isup;
mod signer;
mod verifier;

/// The current time in Unix seconds (the default `now` / `iat`).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Turns a `str | bytes` argument into bytes (PEM text or DER).
pub(crate) fn pem_or_der(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s.into_bytes());
    }
    match obj.cast::<pyo3::types::PyBytes>() {
        Ok(b) => Ok(b.as_bytes().to_vec()),
        Err(_) => Err(pyo3::exceptions::PyTypeError::new_err(
            "expected str (PEM) or bytes (PEM or DER)",
        )),
    }
}

#[pymodule]
fn _cliauth(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    signer::register(m)?;
    verifier::register(m)?;
    isup::register(m)?;
    Ok(())
}
