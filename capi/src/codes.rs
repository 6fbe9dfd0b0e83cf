//! The result code values (`cliauth_result` and its `CLIAUTH_*` constants): a leaf module
//! that both the FFI edge (`ffi.rs`) and the descriptions (`result.rs`) import, so that
//! neither imports the other for them. What the codes mean and how they are numbered is
//! documented in `result.rs`.

/// A result code. `CLIAUTH_OK` (0) is success; every other value is a failure.
pub type cliauth_result = u32;

/// Success.
pub const CLIAUTH_OK: cliauth_result = 0;
/// No Identity header, or an empty one (`no_identity`, SIP 428).
pub const CLIAUTH_NO_IDENTITY: cliauth_result = 1;
/// The Identity header does not follow the RFC 8224 grammar (`identity_syntax`, 438).
pub const CLIAUTH_IDENTITY_SYNTAX: cliauth_result = 2;
/// The `info` parameter or the token's `x5u` is missing, unusable or inconsistent
/// (`bad_info`, 436).
pub const CLIAUTH_BAD_INFO: cliauth_result = 3;
/// An input exceeded one of the library's size limits (`limit`, 438).
pub const CLIAUTH_LIMIT: cliauth_result = 4;
/// The token is not a well-formed compact JWS (`token_format`, 438).
pub const CLIAUTH_TOKEN_FORMAT: cliauth_result = 5;
/// A part of the token is not valid JSON (`json`, 438).
pub const CLIAUTH_JSON: cliauth_result = 6;
/// A JSON object in the token has a member twice (`duplicate_member`, 438).
pub const CLIAUTH_DUPLICATE_MEMBER: cliauth_result = 7;
/// The signature algorithm is not ES256 (`unsupported_alg`, 437).
pub const CLIAUTH_UNSUPPORTED_ALG: cliauth_result = 8;
/// The PASSporT header is invalid (`header`, 438).
pub const CLIAUTH_HEADER: cliauth_result = 9;
/// The `ppt` is unsupported, or header and parameter disagree (`unsupported_ppt`, 438).
pub const CLIAUTH_UNSUPPORTED_PPT: cliauth_result = 10;
/// The claims are missing, mistyped or malformed (`claims`, 438).
pub const CLIAUTH_CLAIMS: cliauth_result = 11;
/// The signature does not verify (`signature`, 438).
pub const CLIAUTH_SIGNATURE: cliauth_result = 12;
/// `iat` is older than the freshness window allows (`stale`, 403).
pub const CLIAUTH_STALE: cliauth_result = 13;
/// `iat` lies too far in the future (`future`, 403).
pub const CLIAUTH_FUTURE: cliauth_result = 14;
/// The token's `orig` does not match the calling number (`orig_mismatch`, 438).
pub const CLIAUTH_ORIG_MISMATCH: cliauth_result = 15;
/// The token's `dest` does not include the called number (`dest_mismatch`, 438).
pub const CLIAUTH_DEST_MISMATCH: cliauth_result = 16;
/// A telephone number given by the caller is invalid (`tn`, 438).
pub const CLIAUTH_TN: cliauth_result = 17;
/// A key or certificate cannot be read or is not ECDSA P-256 (`key`, 437).
pub const CLIAUTH_KEY: cliauth_result = 18;
/// The certificate of the token's `x5u` is not in the store: fetch it, insert it, verify
/// again (`certificate_needed`, 436). `cliauth_verdict_needed_url` gives the URL.
pub const CLIAUTH_CERTIFICATE_NEEDED: cliauth_result = 19;
/// The data to sign is incomplete or inconsistent (`sign`, signing only).
pub const CLIAUTH_SIGN: cliauth_result = 20;
/// The certificate's TNAuthList does not cover `orig` (`tn_not_authorized`, 438).
pub const CLIAUTH_TN_NOT_AUTHORIZED: cliauth_result = 21;
/// A claim violates the certificate's claim constraints (`claim_constraint`, 438).
pub const CLIAUTH_CLAIM_CONSTRAINT: cliauth_result = 22;
/// The `x5u` chain was not fetched within the verifier's fetch budget; the fetch goes on
/// in the background for the next call (`certificate_pending`, 436).
pub const CLIAUTH_CERTIFICATE_PENDING: cliauth_result = 23;
/// The token already verified for another call (another Call-ID) within its freshness
/// window: a replay caught by the verifier's verdict cache (`replay`, 438).
pub const CLIAUTH_REPLAY: cliauth_result = 24;
/// The chain does not lead to a configured trust anchor (`cert_untrusted`, 437).
pub const CLIAUTH_CERT_UNTRUSTED: cliauth_result = 30;
/// A certificate in the chain has expired (`cert_expired`, 437).
pub const CLIAUTH_CERT_EXPIRED: cliauth_result = 31;
/// A certificate in the chain is not yet valid (`cert_not_yet_valid`, 437).
pub const CLIAUTH_CERT_NOT_YET_VALID: cliauth_result = 32;
/// A certificate in the chain is revoked (`cert_revoked`, 437).
pub const CLIAUTH_CERT_REVOKED: cliauth_result = 33;
/// A signature in the chain does not verify or uses an unsupported algorithm
/// (`cert_signature`, 437).
pub const CLIAUTH_CERT_SIGNATURE: cliauth_result = 34;
/// The chain is structurally invalid (`cert_invalid`, 437).
pub const CLIAUTH_CERT_INVALID: cliauth_result = 35;
/// The certificate data cannot be parsed (`cert_malformed`, 437).
pub const CLIAUTH_CERT_MALFORMED: cliauth_result = 36;
/// The end-entity certificate violates the STI profile, strict mode (`cert_profile`, 437).
pub const CLIAUTH_CERT_PROFILE: cliauth_result = 37;
/// The end-entity certificate has no usable TNAuthList (`cert_no_tnauthlist`, 437).
pub const CLIAUTH_CERT_NO_TNAUTHLIST: cliauth_result = 38;
/// An ISUP compact token cannot be built losslessly, or cannot be decoded or rebuilt
/// (`isup`, 438).
pub const CLIAUTH_ISUP: cliauth_result = 40;
/// An error kind this build of the C API does not know (`unknown`, 438): the library is
/// newer than its C binding. The verdict's SIP code and reason are still exact.
pub const CLIAUTH_UNKNOWN_ERROR: cliauth_result = 99;
/// A required pointer argument was NULL (`null_parameter`).
pub const CLIAUTH_NULL_PARAMETER: cliauth_result = 100;
/// The library panicked; the operation did not complete (`panic`). A bug: please report.
pub const CLIAUTH_PANIC: cliauth_result = 101;
/// A string argument is not valid UTF-8 (`invalid_utf8`, 438 when verifying).
pub const CLIAUTH_INVALID_UTF8: cliauth_result = 102;
/// The caller's buffer is too small; the needed length was stored (`buffer_too_small`).
pub const CLIAUTH_BUFFER_TOO_SMALL: cliauth_result = 103;
/// An argument is out of range or does not fit the object (`invalid_parameter`).
pub const CLIAUTH_INVALID_PARAMETER: cliauth_result = 104;
