//! The return codes of the libsecsipid 1.2 C ABI.
//!
//! libsecsipid reports failures as negative integers grouped by hundreds (Kamailio's
//! `secsipid` module returns them unchanged from `secsipid_check_identity()` and friends,
//! so configurations test for them). The numbers are the library's public contract; the
//! names here are ours.
//!
//! | code | group | meaning |
//! |---:|---|---|
//! | 0 | | success (checks, options, URL fetch) |
//! | -1 | generic | any other failure (also: a NULL where a value is required, a caught panic) |
//! | -101 | public key / certificate | not a usable key or certificate (a PEM block that is neither, a corrupt one; chain verification failed) |
//! | -102 | | not in PEM form, or no certificate where certificate verification needs one |
//! | -103 | | certificate expired |
//! | -104 | | certificate not yet valid |
//! | -105 | | certificate processing failure |
//! | -106 / -107 | | CA file not set / unreadable (`CertCAFile`) |
//! | -108 / -109 | | intermediate CA file not set / unreadable (`CertCAInter`) |
//! | -110 / -111 | | CRL file not set / unreadable (`CertCRLFile`) |
//! | -112 | | certificate revoked |
//! | -114 | | the key is not an ECDSA (P-256) key |
//! | -151 | private key | a PEM block that is not a private key we can read |
//! | -152 | | not in PEM form, or not an EC private key |
//! | -201 | PASSporT header | header is not JSON |
//! | -202 | | `alg` is not `ES256` |
//! | -203 | | `ppt` not supported |
//! | -204 | | `typ` is not `passport` |
//! | -205 | | `x5u` missing, invalid, or different from the `info` parameter |
//! | -231 | PASSporT claims | claims are not JSON or are invalid |
//! | -232 | | `iat` outside the validity window (`expire`) |
//! | -251 | signature | signature does not verify |
//! | -252 | | hashing failure (never happens here) |
//! | -253 | | signature of the wrong size or encoding |
//! | -254 | | signing failure |
//! | -301 | SIP Identity header | cannot be parsed (empty, not a three-part token, no parameters where they are required) |
//! | -302 | | `alg` parameter is not `ES256` |
//! | -303 | | `ppt` parameter not supported, or `info` parameter missing/invalid |
//! | -304 | | empty header (reserved) |
//! | -401 | HTTP / file | invalid URL (not `http://` or `https://`, or refused by the x5u URL rules) |
//! | -402 | | the GET failed (name, connection, TLS, timeout), was not done within `FetchBudget`, or the URL is backed off after a failure (`FetchBudget` mode) |
//! | -403 | | HTTP status other than 200 (a redirect included) |
//! | -404 | | reading the body failed (or too large) |
//! | -451 | | cannot read the file |
//!
//! Two pairs share a number in libsecsipid itself: "private key invalid format" and
//! "private key not EC" are both -152; "ppt parameter" and "info parameter" are both -303.

/// Success.
pub const OK: i32 = 0;
/// Generic failure.
pub const ERR: i32 = -1;

/// The key or certificate is invalid (or the chain did not verify).
pub const CERT_INVALID: i32 = -101;
/// The key or certificate is not in PEM form (or is not a certificate when one is needed).
pub const CERT_INVALID_FORMAT: i32 = -102;
/// The certificate has expired.
pub const CERT_EXPIRED: i32 = -103;
/// The certificate is not valid yet.
pub const CERT_BEFORE_VALIDITY: i32 = -104;
/// Certificate processing failed.
pub const CERT_PROCESSING: i32 = -105;
/// Certificate verification needs `CertCAFile`, which is not set.
pub const CERT_NO_CA_FILE: i32 = -106;
/// `CertCAFile` cannot be read or parsed.
pub const CERT_READ_CA_FILE: i32 = -107;
/// Certificate verification needs `CertCAInter`, which is not set.
pub const CERT_NO_CA_INTER: i32 = -108;
/// `CertCAInter` cannot be read or parsed.
pub const CERT_READ_CA_INTER: i32 = -109;
/// Certificate verification needs `CertCRLFile`, which is not set.
pub const CERT_NO_CRL_FILE: i32 = -110;
/// `CertCRLFile` cannot be read or parsed.
pub const CERT_READ_CRL_FILE: i32 = -111;
/// The certificate is revoked.
pub const CERT_REVOKED: i32 = -112;
/// The public key is not an ECDSA P-256 key.
pub const CERT_INVALID_EC: i32 = -114;
/// The private key is invalid.
pub const PRVKEY_INVALID: i32 = -151;
/// The private key is not in PEM form, or not an EC key (libsecsipid uses -152 for both).
pub const PRVKEY_INVALID_FORMAT: i32 = -152;
/// The PASSporT header is not JSON.
pub const JSON_HDR_PARSE: i32 = -201;
/// The PASSporT header's `alg` is not ES256.
pub const JSON_HDR_ALG: i32 = -202;
/// The PASSporT header's `ppt` is not supported.
pub const JSON_HDR_PPT: i32 = -203;
/// The PASSporT header's `typ` is not `passport`.
pub const JSON_HDR_TYP: i32 = -204;
/// The PASSporT header's `x5u` is missing or differs from `info`.
pub const JSON_HDR_X5U: i32 = -205;
/// The claims are not (valid) JSON.
pub const JSON_PAYLOAD_PARSE: i32 = -231;
/// `iat` is outside the validity window.
pub const JSON_PAYLOAD_IAT_EXPIRED: i32 = -232;
/// The signature does not verify.
pub const JSON_SIGNATURE_INVALID: i32 = -251;
/// The signature has the wrong size or encoding.
pub const JSON_SIGNATURE_SIZE: i32 = -253;
/// Signing failed.
pub const JSON_SIGNATURE_FAILURE: i32 = -254;
/// The Identity header cannot be parsed.
pub const SIP_HDR_PARSE: i32 = -301;
/// The Identity header's `alg` parameter is not ES256.
pub const SIP_HDR_ALG: i32 = -302;
/// The Identity header's `ppt` parameter is not supported, or `info` is missing/invalid.
pub const SIP_HDR_PPT: i32 = -303;
/// Same number as [`SIP_HDR_PPT`] in libsecsipid.
pub const SIP_HDR_INFO: i32 = -303;
/// The URL is invalid.
pub const HTTP_INVALID_URL: i32 = -401;
/// The HTTP GET failed.
pub const HTTP_GET: i32 = -402;
/// The HTTP status is not 200.
pub const HTTP_STATUS_CODE: i32 = -403;
/// Reading the HTTP body failed.
pub const HTTP_READ_BODY: i32 = -404;
/// The file cannot be read.
pub const FILE_READ: i32 = -451;
