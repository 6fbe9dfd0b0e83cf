//! Getting an `x5u` chain off the network: the [`Fetch`] trait every fetcher implements,
//! and (feature `fetch`) the blocking ureq fetcher [`Fetcher`] that applies the ATIS URL
//! rules with a deadline that covers connect, TLS handshake, headers and body.
//!
//! The library core stays sans-IO: [`Fetch`] is only an interface. A verifier without a
//! fetcher reports a store miss as [`Error::CertificateNeeded`] and the host fetches
//! itself. A verifier given a fetcher ([`Verifier::with_fetch`]) hands its misses to the
//! certificate acquisition policy of [`crate::state`] (single-flight, negative cache,
//! call-path budget), which calls [`Fetch::fetch`]: one retry and deadline policy whatever
//! does the HTTP — the ureq fetcher here, a C callback, or the compat library.
//!
//! [`Verifier::with_fetch`]: crate::Verifier::with_fetch
//! [`Error::CertificateNeeded`]: crate::Error::CertificateNeeded

use std::fmt;
use std::time::Duration;

use crate::error::Error;

#[cfg(feature = "fetch")]
mod http;
#[cfg(feature = "fetch")]
pub use http::{FetchConfig, Fetcher, PEM_CHAIN_MEDIA_TYPE};

/// What a successful fetch returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The response body: the PEM chain, end-entity first.
    pub body: Vec<u8>,
    /// The `Cache-Control` header (several fields joined with `", "`), if any; give it to
    /// [`ttl_from_cache_control`](crate::cert::store::ttl_from_cache_control).
    pub cache_control: Option<String>,
}

/// Why a fetch failed, as far as the retry policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchErrorKind {
    /// The URL or the peer address breaks a rule (scheme, port, private address, …): no
    /// request was sent, and asking again will not help.
    Refused,
    /// The repository could not be reached: name resolution, connection or TLS failed.
    /// Counts against the host (per-host back-off).
    Unreachable,
    /// The deadline passed (connect, TLS, headers or body). Counts against the host.
    TimedOut,
    /// The repository answered, but not acceptably (status, media type, size, body).
    Response,
}

impl FetchErrorKind {
    /// Whether the failure says something about the host rather than the URL: the host's
    /// other URLs are then backed off too.
    pub fn is_host_level(self) -> bool {
        matches!(self, FetchErrorKind::Unreachable | FetchErrorKind::TimedOut)
    }
}

/// A failed fetch: the class of failure and a detail naming the URL and the rule. Becomes
/// [`Error::BadInfo`] (SIP 436) for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The class of failure.
    pub kind: FetchErrorKind,
    /// What happened, for logs and the `Reason` text.
    pub detail: String,
}

impl FetchError {
    /// A failure of `kind` described by `detail`.
    pub fn new(kind: FetchErrorKind, detail: impl Into<String>) -> FetchError {
        FetchError {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for FetchError {}

impl From<FetchError> for Error {
    fn from(e: FetchError) -> Error {
        Error::BadInfo(e.detail)
    }
}

/// Something that can fetch an `x5u` URL: the ureq [`Fetcher`] (feature `fetch`), a C
/// callback, a test double. Implementations are called from the worker threads of the
/// acquisition policy ([`crate::state`]), never twice at once for the same URL by one
/// verifier.
///
/// `timeout` is the time the whole fetch may take — resolving, connecting, TLS, request
/// and body — and an implementation must return by then (a [`FetchErrorKind::TimedOut`]
/// failure). It applies its own URL rules and size limits; the body is validated as a
/// certificate chain by the caller.
pub trait Fetch: Send + Sync + fmt::Debug {
    /// Fetches `url` within `timeout`.
    fn fetch(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError>;

    /// Checks `url` against the fetcher's URL rules without any I/O; called before the
    /// negative cache and any fetch. The default accepts every URL.
    fn check_url(&self, url: &str) -> Result<(), FetchError> {
        let _ = url;
        Ok(())
    }

    /// Fetches the CRL at `url` (a certificate's CRL distribution point) within
    /// `timeout`, for [`CrlRefresher`](crate::cert::CrlRefresher): the same URL rules and
    /// deadline as [`Fetch::fetch`], but a DER CRL (`application/pkix-crl`) of up to
    /// [`MAX_CRL_BYTES`](crate::limits::MAX_CRL_BYTES) bytes. The default calls
    /// [`Fetch::fetch`] (whose size limit may then be smaller); the body is checked as a
    /// CRL by the caller.
    fn fetch_crl(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        self.fetch(url, timeout)
    }
}

impl<F: Fetch + ?Sized> Fetch for std::sync::Arc<F> {
    fn fetch(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        (**self).fetch(url, timeout)
    }
    fn check_url(&self, url: &str) -> Result<(), FetchError> {
        (**self).check_url(url)
    }
    fn fetch_crl(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        (**self).fetch_crl(url, timeout)
    }
}
