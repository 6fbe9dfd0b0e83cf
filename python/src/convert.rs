//! Conversions between Python objects and JSON values (`serde_json::Value`): claims dicts
//! in, claims and headers out. Python input is bounded (nesting depth, members), so a
//! hostile dict cannot exhaust the stack; the library applies its own limits afterwards.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// The deepest nesting accepted from Python (the library's own JSON limit is lower).
const MAX_DEPTH: usize = 32;
/// The most members of one dict or list accepted from Python.
const MAX_MEMBERS: usize = 4096;

/// A JSON value as a Python object (dict, list, str, int, float, bool or None).
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(to_py(py, x)?)?;
            }
            l.into_any()
        }
        Value::Object(m) => map_to_py(py, m)?.into_any(),
    })
}

/// A JSON object as a Python dict.
pub(crate) fn map_to_py<'py>(
    py: Python<'py>,
    m: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, x) in m {
        d.set_item(k, to_py(py, x)?)?;
    }
    Ok(d)
}

/// A Python dict (str keys) as a JSON object.
pub(crate) fn dict_from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Map<String, Value>> {
    match from_py(obj, 0)? {
        Value::Object(m) => Ok(m),
        _ => Err(PyTypeError::new_err(format!("{what} must be a dict"))),
    }
}

/// A Python value as JSON: dict (str keys), list/tuple, str, int, float, bool, None.
pub(crate) fn from_py(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "nested deeper than {MAX_DEPTH} levels"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: a Python bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyValueError::new_err("integer out of the 64-bit range"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err("NaN and infinity are not JSON numbers"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.extract::<String>()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        if d.len() > MAX_MEMBERS {
            return Err(PyValueError::new_err(format!(
                "a dict with more than {MAX_MEMBERS} members"
            )));
        }
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("dict keys must be str"))?
                .extract::<String>()?;
            m.insert(key, from_py(&v, depth + 1)?);
        }
        return Ok(Value::Object(m));
    }
    let items: Vec<Bound<'_, PyAny>> = if let Ok(l) = obj.cast::<PyList>() {
        l.iter().collect()
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        t.iter().collect()
    } else {
        return Err(PyTypeError::new_err(format!(
            "cannot put a {} into JSON",
            obj.get_type().name()?
        )));
    };
    if items.len() > MAX_MEMBERS {
        return Err(PyValueError::new_err(format!(
            "a list with more than {MAX_MEMBERS} items"
        )));
    }
    items
        .iter()
        .map(|x| from_py(x, depth + 1))
        .collect::<PyResult<Vec<_>>>()
        .map(Value::Array)
}
