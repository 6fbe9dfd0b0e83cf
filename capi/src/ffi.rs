//! The edge between C and Rust: the panic boundary, null-pointer checks, borrowing C
//! strings and byte buffers, handing out and taking back boxed handles, and writing
//! strings into caller-provided buffers.
//!
//! Every exported function runs its body through [`guard`] (or [`guard_or`]), so that a
//! panic never unwinds into C: it becomes [`CLIAUTH_PANIC`] (or a documented default
//! value). Every pointer goes through one of the checked conversions here before use.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::codes::{
    CLIAUTH_BUFFER_TOO_SMALL, CLIAUTH_INVALID_UTF8, CLIAUTH_NULL_PARAMETER, CLIAUTH_OK,
    CLIAUTH_PANIC, cliauth_result,
};

/// What an exported function's body returns: `Ok(())` for [`CLIAUTH_OK`], or the code to
/// return.
pub(crate) type Outcome = Result<(), cliauth_result>;

/// Runs `body` behind a panic boundary: its result, or [`CLIAUTH_PANIC`] if it panicked.
pub(crate) fn guard(body: impl FnOnce() -> Outcome) -> cliauth_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => CLIAUTH_OK,
        Ok(Err(code)) => code,
        Err(_) => CLIAUTH_PANIC,
    }
}

/// Runs `body` behind a panic boundary, returning `on_panic` if it panicked.
pub(crate) fn guard_or<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// Borrows the object behind a handle pointer.
///
/// # Safety
///
/// `ptr` must be NULL or point to a live `T` that nobody mutates for `'a`.
pub(crate) unsafe fn borrow<'a, T>(ptr: *const T) -> Result<&'a T, cliauth_result> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` points to a live `T` not
    // mutated for 'a; `as_ref` handles NULL.
    unsafe { ptr.as_ref() }.ok_or(CLIAUTH_NULL_PARAMETER)
}

/// Borrows the object behind a handle pointer mutably.
///
/// # Safety
///
/// `ptr` must be NULL or point to a live `T` that nobody else uses for `'a`.
pub(crate) unsafe fn borrow_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, cliauth_result> {
    // SAFETY: the caller guarantees exclusive access to a live `T` behind a non-NULL
    // `ptr` for 'a; `as_mut` handles NULL.
    unsafe { ptr.as_mut() }.ok_or(CLIAUTH_NULL_PARAMETER)
}

/// Borrows a NUL-terminated C string as UTF-8.
///
/// # Safety
///
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid and unchanged
/// for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char) -> Result<&'a str, cliauth_result> {
    if ptr.is_null() {
        return Err(CLIAUTH_NULL_PARAMETER);
    }
    // SAFETY: non-NULL, and the caller guarantees a NUL-terminated string valid for 'a.
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str().map_err(|_| CLIAUTH_INVALID_UTF8)
}

/// Like [`str_arg`], but NULL means "absent".
///
/// # Safety
///
/// As for [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
) -> Result<Option<&'a str>, cliauth_result> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { str_arg(ptr) }.map(Some)
}

/// Borrows `len` bytes at `ptr`. NULL is accepted only with `len == 0`.
///
/// # Safety
///
/// A non-NULL `ptr` must point to `len` readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], cliauth_result> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(CLIAUTH_NULL_PARAMETER)
        };
    }
    if len > isize::MAX as usize {
        return Err(crate::codes::CLIAUTH_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL, at most isize::MAX bytes, and the caller guarantees `len` readable
    // bytes valid for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows an array of `count` C strings. NULL is accepted only with `count == 0`.
///
/// # Safety
///
/// A non-NULL `ptr` must point to `count` pointers, each valid for [`str_arg`].
pub(crate) unsafe fn str_array_arg<'a>(
    ptr: *const *const c_char,
    count: usize,
) -> Result<Vec<&'a str>, cliauth_result> {
    if ptr.is_null() {
        return if count == 0 {
            Ok(Vec::new())
        } else {
            Err(CLIAUTH_NULL_PARAMETER)
        };
    }
    if count > isize::MAX as usize / std::mem::size_of::<*const c_char>() {
        return Err(crate::codes::CLIAUTH_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL, size in bounds, and the caller guarantees `count` readable
    // pointers.
    let ptrs = unsafe { std::slice::from_raw_parts(ptr, count) };
    ptrs.iter()
        // SAFETY: the caller guarantees each element is valid for `str_arg`.
        .map(|&p| unsafe { str_arg(p) })
        .collect()
}

/// Stores `value` through an out pointer.
///
/// # Safety
///
/// `out` must be NULL or valid for writing a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> Outcome {
    if out.is_null() {
        return Err(CLIAUTH_NULL_PARAMETER);
    }
    // SAFETY: non-NULL, and the caller guarantees it is valid for writes of `T`. `write`
    // does not drop the (possibly uninitialised) old value.
    unsafe { out.write(value) };
    Ok(())
}

/// Moves `value` to the heap and stores the pointer through `out` (a new handle the C side
/// owns and frees with the matching `_free`).
///
/// # Safety
///
/// `out` must be valid for writing a pointer (checked for NULL).
pub(crate) unsafe fn new_handle<T>(out: *mut *mut T, value: T) -> Outcome {
    if out.is_null() {
        return Err(CLIAUTH_NULL_PARAMETER);
    }
    let ptr = Box::into_raw(Box::new(value));
    // SAFETY: forwarded from the caller; `out` is not NULL.
    unsafe { write_out(out, ptr) }
}

/// Sets an out pointer to NULL, if the out pointer itself is not NULL: done first by
/// constructors, so the caller never reads an uninitialised handle after a failure.
///
/// # Safety
///
/// `out` must be NULL or valid for writing a pointer.
pub(crate) unsafe fn clear_handle<T>(out: *mut *mut T) {
    if !out.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is valid for writes.
        unsafe { out.write(std::ptr::null_mut()) };
    }
}

/// Takes back and drops a handle created by [`new_handle`]. NULL is a no-op.
///
/// # Safety
///
/// `ptr` must be NULL or a pointer obtained from [`new_handle`] for the same `T`, not
/// freed before, and not used afterwards.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller guarantees `ptr` came from `Box::into_raw` (via `new_handle`)
        // and is given back exactly once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Copies `s` and a terminating NUL into the caller's buffer `buf` of `len` bytes and
/// stores the length of `s` (without the NUL) in `*out_len`. When the buffer is too small
/// (or NULL), nothing is written to it, `*out_len` still receives the length of `s`, and
/// the result is [`CLIAUTH_BUFFER_TOO_SMALL`].
///
/// # Safety
///
/// `buf` must be NULL or valid for writing `len` bytes; `out_len` must be NULL or valid
/// for writing a `usize`.
pub(crate) unsafe fn write_string(
    s: &str,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> Outcome {
    // SAFETY: forwarded from the caller.
    unsafe { write_out(out_len, s.len()) }?;
    if buf.is_null() || len <= s.len() {
        return Err(CLIAUTH_BUFFER_TOO_SMALL);
    }
    // SAFETY: `buf` is valid for `len > s.len()` bytes (caller's guarantee), so `s.len()`
    // bytes and the NUL fit; a Rust `&str` never overlaps a buffer the C side handed us.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        buf.add(s.len()).write(0);
    }
    Ok(())
}

/// A C string for text taken from a token or a certificate. Such text may contain U+0000
/// (JSON allows `\u0000`); C strings cannot, so the text is cut at the first NUL.
pub(crate) fn c_string(s: &str) -> CString {
    let cut = s.split('\0').next().unwrap_or_default();
    CString::new(cut).unwrap_or_default()
}

/// The pointer to hand out for an optional C string owned by a handle: NULL when absent.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_a_result() {
        assert_eq!(guard(|| panic!("boom")), CLIAUTH_PANIC);
        assert_eq!(guard(|| Ok(())), CLIAUTH_OK);
        assert_eq!(
            guard(|| Err(CLIAUTH_NULL_PARAMETER)),
            CLIAUTH_NULL_PARAMETER
        );
        assert_eq!(guard_or(7u16, || panic!("boom")), 7);
    }

    #[test]
    fn strings_into_buffers() {
        let mut buf = [0x55 as c_char; 6];
        let mut n = 0usize;
        // SAFETY: buffers are local and sized as passed.
        unsafe {
            assert_eq!(
                write_string("hello!", buf.as_mut_ptr(), buf.len(), &mut n),
                Err(CLIAUTH_BUFFER_TOO_SMALL)
            );
            assert_eq!(n, 6);
            assert_eq!(buf[0], 0x55);
            assert_eq!(
                write_string("hello", buf.as_mut_ptr(), buf.len(), &mut n),
                Ok(())
            );
            assert_eq!(n, 5);
            assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str(), Ok("hello"));
            assert_eq!(
                write_string("x", std::ptr::null_mut(), 0, &mut n),
                Err(CLIAUTH_BUFFER_TOO_SMALL)
            );
            assert_eq!(n, 1);
            assert_eq!(
                write_string("x", buf.as_mut_ptr(), 6, std::ptr::null_mut()),
                Err(CLIAUTH_NULL_PARAMETER)
            );
        }
    }

    #[test]
    fn text_with_nul_is_cut() {
        assert_eq!(c_string("ab\0cd").as_bytes(), b"ab");
        assert_eq!(c_string("abc").as_bytes(), b"abc");
    }

    #[test]
    fn argument_checks() {
        // SAFETY: NULL pointers and valid local data only.
        unsafe {
            assert_eq!(
                str_arg(std::ptr::null()).unwrap_err(),
                CLIAUTH_NULL_PARAMETER
            );
            assert_eq!(str_arg(c"\xff".as_ptr()).unwrap_err(), CLIAUTH_INVALID_UTF8);
            assert_eq!(opt_str_arg(std::ptr::null()), Ok(None));
            assert_eq!(bytes_arg(std::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(
                bytes_arg(std::ptr::null(), 1).unwrap_err(),
                CLIAUTH_NULL_PARAMETER
            );
            let items = [c"a".as_ptr(), c"b".as_ptr()];
            assert_eq!(str_array_arg(items.as_ptr(), 2), Ok(vec!["a", "b"]));
            assert_eq!(
                str_array_arg(std::ptr::null(), 1).unwrap_err(),
                CLIAUTH_NULL_PARAMETER
            );
        }
    }
}
