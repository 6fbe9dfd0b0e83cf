//! Size limits applied to every untrusted input before any work is done on it.
//!
//! Each limit is checked at the entry of the parser it protects and reported as
//! [`Error::Limit`](crate::Error::Limit). The values are generous for real traffic (a SHAKEN
//! PASSporT is about 400 bytes, a full Identity header with `div` about 1 KiB) and small
//! enough that a hostile peer cannot make the verifier allocate or loop without bound.

/// Maximum length of one Identity header field value in bytes (several comma-folded
/// values included).
pub const MAX_IDENTITY_HEADER_LEN: usize = 32 * 1024;

/// Maximum number of Identity values in one (comma-folded) header field.
pub const MAX_IDENTITY_HEADERS: usize = 8;

/// Maximum length of a compact JWS token in bytes.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Maximum nesting depth of PASSporT JSON (the top-level object is depth 1).
pub const MAX_JSON_DEPTH: usize = 16;

/// Maximum number of members of one JSON object or array.
pub const MAX_JSON_MEMBERS: usize = 256;

/// Maximum length of a URL (`x5u`, `info`) in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Maximum size of a key or certificate input (PEM or DER) in bytes.
pub const MAX_KEY_INPUT_LEN: usize = 64 * 1024;

/// Maximum length of a string claim that the library interprets (`origid`, `attest`, `nam`,
/// …) in bytes; unknown claims are bounded only by [`MAX_TOKEN_LEN`].
pub const MAX_CLAIM_STRING_LEN: usize = 1024;

/// Maximum number of certificates in an `x5u` chain or trust-anchor bundle.
pub const MAX_CHAIN_CERTS: usize = 10;

/// Maximum size of a certificate chain (PEM or DER) in bytes.
pub const MAX_CHAIN_BYTES: usize = 64 * 1024;

/// Maximum size of one CRL (PEM or DER) in bytes.
pub const MAX_CRL_BYTES: usize = 1024 * 1024;
