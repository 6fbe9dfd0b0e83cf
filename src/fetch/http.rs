//! The blocking ureq fetcher (feature `fetch`): the ATIS `x5u` rules and a real deadline.
//!
//! [`Fetcher`] is the convenience for hosts without an HTTP stack of their own: give it to
//! [`Verifier::with_fetcher`] and a miss is fetched (through the acquisition policy of
//! `state`), validated, inserted into the store and used.
//!
//! What a fetch accepts (ATIS-1000074 / ATIS-1000080; every refusal is [`Error::BadInfo`],
//! SIP 436, with a detail naming the rule):
//!
//! * the URL: `https` only; port 443 or 8443 ([`allowed_ports`]); no userinfo, query or
//!   fragment; printable ASCII; at most [`MAX_URL_LEN`] bytes;
//! * the peer: the host is resolved once by the fetcher, *every* address must be a public
//!   unicast address (no private, loopback, link-local, unspecified, multicast, CGNAT,
//!   documentation, unique-local, IPv4-mapped or NAT64/6to4-embedded non-public address,
//!   …) and only those checked addresses are connected to: no second lookup can rebind;
//! * the exchange: no redirect (a 3xx is refused), status 200 only, `Content-Type:
//!   application/pem-certificate-chain` (parameters tolerated), a body of at most
//!   [`max_body`] bytes, counted while reading, and the whole exchange within [`timeout`];
//!   no proxy from the environment, no compression.
//!
//! The timeout is a deadline: the TCP connect gets the time that is left, and every read
//! and write on the socket — TLS handshake included — gets a socket timeout of the time
//! left *now*, not a fresh one per read, so a server trickling its handshake or its body
//! one byte at a time is cut off when the deadline passes.
//!
//! [`allow_http_loopback`] is for tests and local tools: it admits `http` and loopback
//! peers (127.0.0.0/8, `::1`), lifts the port rule for them, and requires a loopback peer
//! whenever one of those two exceptions is used. Nothing else private is ever admitted.
//!
//! [`http_any_host`] is for libsecsipid compatibility (its `x5u` URLs may be `http`, to
//! any host, lab networks included): it admits `http` URLs to any host and port with no
//! address rule. `https` URLs keep every rule, and the deadline, size limit and the rest
//! of the exchange rules apply to `http` as well.
//!
//! The DNS lookup is the system resolver's (`getaddrinfo`): its time counts against the
//! timeout but is bounded only by the resolver's own limits.
//!
//! [`Verifier`]: crate::Verifier
//! [`Verifier::with_fetcher`]: crate::Verifier::with_fetcher
//! [`Error::CertificateNeeded`]: crate::Error::CertificateNeeded
//! [`Error::BadInfo`]: crate::Error::BadInfo
//! [`Fetcher`]: crate::fetch::Fetcher
//! [`MAX_URL_LEN`]: crate::limits::MAX_URL_LEN
//! [`allowed_ports`]: crate::fetch::FetchConfig::allowed_ports
//! [`max_body`]: crate::fetch::FetchConfig::max_body
//! [`timeout`]: crate::fetch::FetchConfig::timeout
//! [`allow_http_loopback`]: crate::fetch::FetchConfig::allow_http_loopback
//! [`http_any_host`]: crate::fetch::FetchConfig::http_any_host

use std::fmt;
use std::io::{ErrorKind as IoErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Fetch, FetchError, FetchErrorKind, Fetched};
use crate::error::Error;
use crate::limits::{MAX_CHAIN_BYTES, MAX_URL_LEN};

/// The media type an `x5u` URL must serve (RFC 8555 §9.1, ATIS-1000080).
pub const PEM_CHAIN_MEDIA_TYPE: &str = "application/pem-certificate-chain";

/// How a [`Fetcher`] fetches.
#[derive(Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Admit `http` URLs and loopback peers (127.0.0.0/8, `::1`), on any port — for tests
    /// and local tools only. Any `http` fetch, or one on a port outside
    /// [`allowed_ports`](Self::allowed_ports), must then reach a loopback address. Other
    /// private addresses stay refused. Default `false`.
    pub allow_http_loopback: bool,
    /// Admit `http` URLs to any host and port, private and loopback addresses included,
    /// with no address rule — libsecsipid compatibility (the `cliauth-secsipid` library),
    /// never for production: an `http` chain can be swapped on the way, and a token can
    /// then make the verifier connect anywhere. `https` URLs are not affected. Default
    /// `false`.
    pub http_any_host: bool,
    /// The ports an `x5u` URL may name (the scheme's default when absent). Default
    /// `[443, 8443]` (ATIS).
    pub allowed_ports: Vec<u16>,
    /// The time the whole fetch may take: resolving, connecting, TLS, request and body.
    /// Default 5 s.
    pub timeout: Duration,
    /// The largest body accepted, in bytes; reading stops as soon as it is exceeded.
    /// Default 64 KiB ([`MAX_CHAIN_BYTES`]).
    pub max_body: usize,
    /// Require `Content-Type: application/pem-certificate-chain`. Default `true`.
    pub require_content_type: bool,
    /// DER CA certificates trusted for TLS server authentication in addition to the public
    /// web roots (`webpki-roots`); for tests and private deployments. Default empty.
    pub extra_roots: Vec<Vec<u8>>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow_http_loopback: false,
            http_any_host: false,
            allowed_ports: vec![443, 8443],
            timeout: Duration::from_secs(5),
            max_body: MAX_CHAIN_BYTES,
            require_content_type: true,
            extra_roots: Vec::new(),
        }
    }
}

impl fmt::Debug for FetchConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchConfig")
            .field("allow_http_loopback", &self.allow_http_loopback)
            .field("http_any_host", &self.http_any_host)
            .field("allowed_ports", &self.allowed_ports)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("require_content_type", &self.require_content_type)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

/// A blocking `x5u` fetcher. `Send + Sync`; it keeps no connection between fetches.
pub struct Fetcher {
    config: FetchConfig,
    /// The TLS client configuration, or why it could not be built (an unusable
    /// `extra_roots` certificate), reported by every fetch.
    tls: Result<Arc<rustls::ClientConfig>, String>,
}

// A fetcher holds no state a panic could leave half-updated: its settings and TLS
// configuration never change after `new` (rustls keeps its session cache behind a mutex).
// So a `Verifier` holding one stays usable across a `catch_unwind` boundary, as the C API
// needs.
impl std::panic::UnwindSafe for Fetcher {}
impl std::panic::RefUnwindSafe for Fetcher {}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("config", &self.config)
            .field("tls_ready", &self.tls.is_ok())
            .finish()
    }
}

/// A URL that passed the syntactic rules.
struct Target {
    url: url::Url,
    host: url::Host<String>,
    port: u16,
    /// The peer must be a loopback address (an `http` URL, or a port outside the list,
    /// admitted by `allow_http_loopback`).
    needs_loopback: bool,
    /// An `http` URL admitted by `http_any_host`: no address rule.
    any_host: bool,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::BadInfo(detail.into())
}

impl Fetcher {
    /// A fetcher with `config`. An unusable [`FetchConfig::extra_roots`] certificate is
    /// reported by every [`fetch`](Self::fetch).
    pub fn new(config: FetchConfig) -> Fetcher {
        let tls = tls_config(&config.extra_roots).map(Arc::new);
        Fetcher { config, tls }
    }

    /// The settings.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Checks the syntactic rules on `url` (scheme, port, userinfo, query, fragment,
    /// length, and a literal address's class) without any I/O.
    pub fn check_url(&self, url: &str) -> Result<(), Error> {
        self.parse(url).map(|_| ())
    }

    /// Fetches `url` under the rules of this module, within [`FetchConfig::timeout`].
    pub fn fetch(&self, url: &str) -> Result<Fetched, Error> {
        self.fetch_within(url, self.config.timeout)
            .map_err(Error::from)
    }

    /// Fetches `url` under the rules of this module within `timeout` (capped at
    /// [`FetchConfig::timeout`]): the failure says which kind it is, for the retry policy.
    pub fn fetch_within(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        self.get(url, timeout, PEM_CHAIN_MEDIA_TYPE, self.config.max_body)
    }

    /// Fetches the CRL at `url` under the rules of this module within `timeout` (capped
    /// at [`FetchConfig::timeout`]), except that the media type must be
    /// `application/pkix-crl` and the body may be up to
    /// [`MAX_CRL_BYTES`](crate::limits::MAX_CRL_BYTES).
    pub fn fetch_crl_within(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        self.get(
            url,
            timeout,
            crate::cert::crl::PKIX_CRL_MEDIA_TYPE,
            crate::limits::MAX_CRL_BYTES,
        )
    }

    fn get(
        &self,
        url: &str,
        timeout: Duration,
        media_type: &str,
        max: usize,
    ) -> Result<Fetched, FetchError> {
        let budget = timeout.min(self.config.timeout);
        let deadline = Instant::now() + budget;
        let fail = |kind, detail: String| FetchError::new(kind, detail);
        let refused = |e: Error| match e {
            Error::BadInfo(d) => fail(FetchErrorKind::Refused, d),
            other => fail(FetchErrorKind::Refused, other.to_string()),
        };
        let timed_out = || {
            fail(
                FetchErrorKind::TimedOut,
                format!(
                    "fetch {url}: timed out after {} ms (deadline for connect, TLS, headers \
                     and body)",
                    budget.as_millis()
                ),
            )
        };
        let response_err = |d: String| fail(FetchErrorKind::Response, format!("fetch {url}: {d}"));
        let target = self.parse(url).map_err(refused)?;
        let tls = self
            .tls
            .as_ref()
            .map_err(|e| fail(FetchErrorKind::Refused, format!("fetch {url}: {e}")))?;
        let addrs = self.resolve(&target)?;
        let remaining = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(timed_out)?;
        let checked = addrs.clone();
        let agent = ureq::AgentBuilder::new()
            .tls_connector(Arc::new(DeadlineTls {
                config: Arc::clone(tls),
                deadline,
            }))
            .https_only(target.url.scheme() == "https")
            .redirects(0)
            .timeout(remaining)
            .timeout_connect(remaining)
            .max_idle_connections(0)
            .user_agent(concat!("cliauth/", env!("CARGO_PKG_VERSION")))
            // Connect only to the addresses checked above: no second lookup.
            .resolver(move |_: &str| Ok(checked.clone()))
            .build();
        let response = match agent
            .request_url("GET", &target.url)
            .set("Accept", media_type)
            .call()
        {
            Ok(r) => r,
            Err(ureq::Error::Status(code, _)) => {
                return Err(response_err(format!("HTTP status {code}, expected 200")));
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(if is_timeout(&t) || Instant::now() >= deadline {
                    timed_out()
                } else {
                    fail(
                        FetchErrorKind::Unreachable,
                        format!("fetch {url}: {}", transport_detail(&t)),
                    )
                });
            }
        };
        let status = response.status();
        if (300..400).contains(&status) {
            let to = response.header("location").unwrap_or("(no Location)");
            return Err(response_err(format!(
                "redirect (HTTP status {status}) to {to} refused"
            )));
        }
        if status != 200 {
            return Err(response_err(format!("HTTP status {status}, expected 200")));
        }
        if self.config.require_content_type {
            let ct = response.header("content-type");
            let media = ct.map(|c| c.split(';').next().unwrap_or("").trim());
            if !media.is_some_and(|m| m.eq_ignore_ascii_case(media_type)) {
                return Err(response_err(format!(
                    "Content-Type {}, expected {media_type}",
                    ct.map_or_else(|| "absent".to_owned(), |c| format!("{c:?}"))
                )));
            }
        }
        let too_large =
            |what: &str| response_err(format!("{what} exceeds the limit of {max} bytes"));
        if let Some(len) = response.header("content-length") {
            match len.trim().parse::<u64>() {
                Ok(n) if n > max as u64 => {
                    return Err(too_large(&format!("Content-Length {n}")));
                }
                Ok(_) => {}
                Err(_) => {
                    return Err(response_err(format!("malformed Content-Length {len:?}")));
                }
            }
        }
        let cache_control = {
            let all = response.all("cache-control");
            (!all.is_empty()).then(|| all.join(", "))
        };
        let mut body = Vec::new();
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        if let Err(e) = response.into_reader().take(limit).read_to_end(&mut body) {
            return Err(
                if matches!(e.kind(), IoErrorKind::TimedOut | IoErrorKind::WouldBlock)
                    || Instant::now() >= deadline
                {
                    timed_out()
                } else {
                    response_err(format!("reading the body: {e}"))
                },
            );
        }
        if body.len() > max {
            return Err(too_large("the body"));
        }
        Ok(Fetched {
            body,
            cache_control,
        })
    }

    /// The syntactic rules.
    fn parse(&self, raw: &str) -> Result<Target, Error> {
        let allow = self.config.allow_http_loopback;
        if raw.len() > MAX_URL_LEN {
            return Err(bad(format!(
                "x5u is {} bytes long, more than the {MAX_URL_LEN} allowed",
                raw.len()
            )));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(format!(
                "x5u {raw:?} contains a space, control or non-ASCII character"
            )));
        }
        if raw.contains('\\') {
            // The URL standard reads a backslash as `/` in http(s) URLs; RFC 3986 does not.
            return Err(bad(format!("x5u {raw:?} contains a backslash")));
        }
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err(bad(format!("x5u {raw:?} is not an absolute URL")));
        };
        let scheme = scheme.to_ascii_lowercase();
        let http = match scheme.as_str() {
            "https" => false,
            "http" if allow || self.config.http_any_host => true,
            "http" => {
                return Err(bad(format!(
                    "x5u {raw:?}: scheme http is not allowed (https only)"
                )));
            }
            other => {
                return Err(bad(format!(
                    "x5u {raw:?}: scheme {other:?} is not allowed (https only)"
                )));
            }
        };
        if raw.contains('#') {
            return Err(bad(format!("x5u {raw:?} has a fragment")));
        }
        if raw.contains('?') {
            return Err(bad(format!("x5u {raw:?} has a query")));
        }
        let authority = rest.split('/').next().unwrap_or("");
        if authority.contains('@') {
            return Err(bad(format!("x5u {raw:?} has userinfo")));
        }
        if authority.is_empty() {
            return Err(bad(format!("x5u {raw:?} has no host")));
        }
        let url = url::Url::parse(raw).map_err(|e| bad(format!("x5u {raw:?}: {e}")))?;
        let host = url
            .host()
            .map(|h| h.to_owned())
            .ok_or_else(|| bad(format!("x5u {raw:?} has no host")))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| bad(format!("x5u {raw:?} has no port")))?;
        let literal = match &host {
            url::Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            url::Host::Ipv6(a) => Some(IpAddr::V6(*a)),
            url::Host::Domain(_) => None,
        };
        let port_listed = self.config.allowed_ports.contains(&port);
        let any_host = http && self.config.http_any_host;
        // Without allow_http_loopback both exceptions were refused above or are refused
        // here; with it, a literal address is known now, a name only once resolved.
        let needs_loopback = !any_host && (http || !port_listed);
        if needs_loopback {
            let refuse = |what: String| Err(bad(format!("x5u {raw:?}: {what}")));
            match literal {
                _ if !allow => {
                    return refuse(format!(
                        "port {port} is not allowed (allowed: {})",
                        self.ports()
                    ));
                }
                Some(ip) if !is_loopback(ip) && http => {
                    return refuse(format!("http is allowed only to a loopback host, not {ip}"));
                }
                Some(ip) if !is_loopback(ip) => {
                    return refuse(format!(
                        "port {port} is not allowed (allowed: {}; any port only for a \
                         loopback host, not {ip})",
                        self.ports()
                    ));
                }
                _ => {}
            }
        }
        if let Some(ip) = literal
            && !any_host
        {
            check_addr(ip, allow).map_err(|why| bad(format!("x5u {raw:?}: {why}")))?;
        }
        Ok(Target {
            url,
            host,
            port,
            needs_loopback,
            any_host,
        })
    }

    fn ports(&self) -> String {
        let p: Vec<String> = self
            .config
            .allowed_ports
            .iter()
            .map(u16::to_string)
            .collect();
        if p.is_empty() {
            "none".to_owned()
        } else {
            p.join(", ")
        }
    }

    /// Resolves the host once and checks every address.
    fn resolve(&self, t: &Target) -> Result<Vec<SocketAddr>, FetchError> {
        let url = t.url.as_str();
        let refused = |d: String| FetchError::new(FetchErrorKind::Refused, d);
        let mut addrs: Vec<SocketAddr> = match &t.host {
            url::Host::Ipv4(a) => vec![SocketAddr::new(IpAddr::V4(*a), t.port)],
            url::Host::Ipv6(a) => vec![SocketAddr::new(IpAddr::V6(*a), t.port)],
            url::Host::Domain(d) => (d.as_str(), t.port)
                .to_socket_addrs()
                .map_err(|e| {
                    FetchError::new(
                        FetchErrorKind::Unreachable,
                        format!("fetch {url}: cannot resolve {d}: {e}"),
                    )
                })?
                .collect(),
        };
        addrs.sort();
        addrs.dedup();
        if addrs.is_empty() {
            return Err(FetchError::new(
                FetchErrorKind::Unreachable,
                format!("fetch {url}: {} has no address", t.host),
            ));
        }
        for a in addrs.iter().filter(|_| !t.any_host) {
            let ip = a.ip();
            check_addr(ip, self.config.allow_http_loopback)
                .map_err(|why| refused(format!("fetch {url}: {} resolves to {why}", t.host)))?;
            if t.needs_loopback && !is_loopback(ip) {
                return Err(refused(format!(
                    "fetch {url}: {} resolves to {ip}, not a loopback address (http or a port \
                     outside {} needs one)",
                    t.host,
                    self.ports()
                )));
            }
        }
        Ok(addrs)
    }
}

impl Fetch for Fetcher {
    fn fetch(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        self.fetch_within(url, timeout)
    }
    fn fetch_crl(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        self.fetch_crl_within(url, timeout)
    }
    fn check_url(&self, url: &str) -> Result<(), FetchError> {
        self.parse(url).map(|_| ()).map_err(|e| match e {
            Error::BadInfo(d) => FetchError::new(FetchErrorKind::Refused, d),
            other => FetchError::new(FetchErrorKind::Refused, other.to_string()),
        })
    }
}

/// The TLS connector given to ureq: rustls over a socket whose every read and write gets
/// the time left before `deadline` (ureq sets one read timeout before the handshake, so a
/// server sending its handshake a byte at a time would otherwise never time out).
struct DeadlineTls {
    config: Arc<rustls::ClientConfig>,
    deadline: Instant,
}

/// A socket whose reads and writes end at a deadline.
#[derive(Debug)]
struct DeadlineIo {
    inner: Box<dyn ureq::ReadWrite>,
    deadline: Instant,
}

impl DeadlineIo {
    fn arm(&self, write: bool) -> std::io::Result<()> {
        let left = self
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| std::io::Error::new(IoErrorKind::TimedOut, "deadline passed"))?;
        if let Some(s) = self.inner.socket() {
            if write {
                s.set_write_timeout(Some(left))?;
            } else {
                s.set_read_timeout(Some(left))?;
            }
        }
        Ok(())
    }
}

fn as_timeout(e: std::io::Error) -> std::io::Error {
    if e.kind() == IoErrorKind::WouldBlock {
        std::io::Error::new(IoErrorKind::TimedOut, "deadline passed")
    } else {
        e
    }
}

impl Read for DeadlineIo {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.arm(false)?;
        self.inner.read(buf).map_err(as_timeout)
    }
}

impl std::io::Write for DeadlineIo {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.arm(true)?;
        self.inner.write(buf).map_err(as_timeout)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The TLS stream handed back to ureq.
struct TlsStream(rustls::StreamOwned<rustls::ClientConnection, DeadlineIo>);

impl fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsStream")
    }
}

impl ureq::ReadWrite for TlsStream {
    fn socket(&self) -> Option<&std::net::TcpStream> {
        self.0.get_ref().inner.socket()
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl std::io::Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl ureq::TlsConnector for DeadlineTls {
    fn connect(
        &self,
        dns_name: &str,
        io: Box<dyn ureq::ReadWrite>,
    ) -> Result<Box<dyn ureq::ReadWrite>, ureq::Error> {
        let name = dns_name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(dns_name);
        let sni = rustls::pki_types::ServerName::try_from(name)
            .map_err(|e| {
                ureq::Error::from(std::io::Error::new(
                    IoErrorKind::InvalidInput,
                    format!("server name {name:?}: {e}"),
                ))
            })?
            .to_owned();
        let io_err = ureq::Error::from;
        let mut conn = rustls::ClientConnection::new(Arc::clone(&self.config), sni)
            .map_err(|e| io_err(std::io::Error::other(e)))?;
        let mut io = DeadlineIo {
            inner: io,
            deadline: self.deadline,
        };
        while conn.is_handshaking() {
            conn.complete_io(&mut io).map_err(io_err)?;
        }
        Ok(Box::new(TlsStream(rustls::StreamOwned::new(conn, io))))
    }
}

/// The TLS client configuration: rustls on ring, web roots plus `extra`.
fn tls_config(extra: &[Vec<u8>]) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (i, der) in extra.iter().enumerate() {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.as_slice()).into_owned())
            .map_err(|e| format!("extra TLS root #{i} is not usable: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

fn is_timeout(t: &ureq::Transport) -> bool {
    let mut source = std::error::Error::source(t);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), IoErrorKind::TimedOut | IoErrorKind::WouldBlock)
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// A transport error without the URL ureq repeats in front of it.
fn transport_detail(t: &ureq::Transport) -> String {
    let mut s = t.kind().to_string();
    if let Some(m) = t.message() {
        s.push_str(": ");
        s.push_str(m);
    }
    if let Some(src) = std::error::Error::source(t) {
        s.push_str(": ");
        s.push_str(&src.to_string());
    }
    s
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Whether a peer may be connected to: `Ok` for a public unicast address (and a loopback
/// one when `allow_loopback`), else the address and why it is refused.
fn check_addr(ip: IpAddr, allow_loopback: bool) -> Result<(), String> {
    match refusal(ip) {
        None => Ok(()),
        Some(_) if allow_loopback && is_loopback(ip) => Ok(()),
        Some(why) => Err(format!(
            "{ip}, a {why} address, which is never fetched from"
        )),
    }
}

/// Why an address is not a public unicast one, if it is not.
fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(a) => refusal_v4(a),
        IpAddr::V6(a) => refusal_v6(a),
    }
}

fn refusal_v4(a: Ipv4Addr) -> Option<&'static str> {
    let o = a.octets();
    Some(match o {
        [0, ..] => "unspecified or this-network (0.0.0.0/8)",
        [10, ..] => "private (10.0.0.0/8)",
        [100, b, ..] if (64..128).contains(&b) => "shared CGNAT (100.64.0.0/10)",
        [127, ..] => "loopback (127.0.0.0/8)",
        [169, 254, ..] => "link-local (169.254.0.0/16)",
        [172, b, ..] if (16..32).contains(&b) => "private (172.16.0.0/12)",
        [192, 0, 0, _] => "IETF protocol assignment (192.0.0.0/24)",
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => "documentation",
        [192, 88, 99, _] => "6to4 relay anycast (192.88.99.0/24)",
        [192, 168, ..] => "private (192.168.0.0/16)",
        [198, 18 | 19, ..] => "benchmarking (198.18.0.0/15)",
        [224..=239, ..] => "multicast (224.0.0.0/4)",
        [240..=255, ..] => "reserved or broadcast (240.0.0.0/4)",
        _ => return None,
    })
}

fn refusal_v6(a: Ipv6Addr) -> Option<&'static str> {
    let s = a.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if a.is_unspecified() {
        return Some("unspecified (::)");
    }
    if a.is_loopback() {
        return Some("loopback (::1)");
    }
    if let Some(v4) = a.to_ipv4_mapped() {
        return refusal_v4(v4).map(|_| "IPv4-mapped non-public");
    }
    Some(match s {
        [0, 0, 0, 0, 0, 0, _, _] => "IPv4-compatible (::/96)",
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            return refusal_v4(embedded(hi, lo)).map(|_| "NAT64 (64:ff9b::/96) non-public");
        }
        [0x64, 0xff9b, 1, ..] => "local-use NAT64 (64:ff9b:1::/48)",
        [0x100, 0, 0, 0, ..] => "discard-only (100::/64)",
        [0x2001, 0, ..] => "Teredo (2001::/32)",
        [0x2001, 0xdb8, ..] => "documentation (2001:db8::/32)",
        [0x2002, hi, lo, ..] => {
            return refusal_v4(embedded(hi, lo)).map(|_| "6to4 (2002::/16) non-public");
        }
        [0x3fff, b, ..] if b < 0x1000 => "documentation (3fff::/20)",
        [0x5f00, ..] => "SRv6 SID (5f00::/16)",
        [a0, ..] if a0 & 0xfe00 == 0xfc00 => "unique-local (fc00::/7)",
        [a0, ..] if a0 & 0xffc0 == 0xfe80 => "link-local (fe80::/10)",
        [a0, ..] if a0 & 0xffc0 == 0xfec0 => "site-local (fec0::/10)",
        [a0, ..] if a0 & 0xff00 == 0xff00 => "multicast (ff00::/8)",
        [a0, ..] if a0 & 0xe000 != 0x2000 => "non-global-unicast (outside 2000::/3)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        refusal(s.parse().unwrap()).is_some()
    }

    #[test]
    fn address_classes() {
        for a in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:a00:1::1",
            "2002:7f00:1::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "4000::1",
        ] {
            assert!(refused(a), "{a} should be refused");
        }
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "192.169.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!refused(a), "{a} should be allowed");
        }
    }

    #[test]
    fn loopback_exception_is_loopback_only() {
        for a in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            let ip = a.parse().unwrap();
            assert!(check_addr(ip, true).is_ok(), "{a}");
            assert!(check_addr(ip, false).is_err(), "{a}");
        }
        for a in [
            "10.0.0.1",
            "169.254.1.1",
            "fd00::1",
            "0.0.0.0",
            "::",
            "2002:7f00:1::1",
        ] {
            assert!(check_addr(a.parse().unwrap(), true).is_err(), "{a}");
        }
    }

    #[test]
    fn syntactic_rules() {
        let f = Fetcher::new(FetchConfig::default());
        let ok = |u: &str| f.check_url(u);
        assert!(ok("https://cert.example.net/sp.pem").is_ok());
        assert!(ok("https://cert.example.net:8443/sp.pem").is_ok());
        assert!(ok("https://cert.example.net:443/sp.pem").is_ok());
        assert!(ok("HTTPS://cert.example.net/sp.pem").is_ok());
        assert!(ok("https://[2606:4700::1111]/sp.pem").is_ok());
        let detail = |u: &str| match f.check_url(u) {
            Err(Error::BadInfo(d)) => d,
            other => panic!("{u}: {other:?}"),
        };
        assert!(detail("http://cert.example.net/sp.pem").contains("https only"));
        assert!(detail("ftp://cert.example.net/sp.pem").contains("https only"));
        assert!(detail("https://cert.example.net:444/sp.pem").contains("port 444"));
        assert!(detail("https://u:p@cert.example.net/sp.pem").contains("userinfo"));
        assert!(detail("https://@cert.example.net/sp.pem").contains("userinfo"));
        assert!(detail("https://cert.example.net/sp.pem?a=1").contains("query"));
        assert!(detail("https://cert.example.net/sp.pem?").contains("query"));
        assert!(detail("https://cert.example.net/sp.pem#x").contains("fragment"));
        assert!(detail("https:///sp.pem").contains("no host"));
        assert!(detail("https://cert.exa mple.net/").contains("space"));
        assert!(detail("https://cert.example.net/\u{e9}").contains("non-ASCII"));
        assert!(detail("cert.example.net/sp.pem").contains("absolute"));
        assert!(detail("https://evil.example\\@cert.example.net/").contains("backslash"));
        assert!(detail("https://cert.example.net\\sp.pem").contains("backslash"));
        let long = format!("https://cert.example.net/{}", "a".repeat(MAX_URL_LEN));
        assert!(detail(&long).contains("bytes long"));
        assert!(detail("https://10.0.0.1/sp.pem").contains("private"));
        assert!(detail("https://127.0.0.1/sp.pem").contains("loopback"));
        assert!(detail("https://0x7f.1/sp.pem").contains("loopback"));
        assert!(detail("https://[::ffff:192.168.0.1]/sp.pem").contains("IPv4-mapped"));
        assert!(detail("https://[fe80::1]/sp.pem").contains("link-local"));

        let lo = Fetcher::new(FetchConfig {
            allow_http_loopback: true,
            ..FetchConfig::default()
        });
        let lo_detail = |u: &str| match lo.check_url(u) {
            Err(Error::BadInfo(d)) => d,
            other => panic!("{u}: {other:?}"),
        };
        assert!(lo.check_url("http://127.0.0.1:8080/sp.pem").is_ok());
        assert!(lo.check_url("https://127.0.0.1:9999/sp.pem").is_ok());
        assert!(lo.check_url("http://[::1]:8080/sp.pem").is_ok());
        // A name is checked once resolved.
        assert!(lo.check_url("http://localhost:8080/sp.pem").is_ok());
        assert!(lo_detail("http://1.1.1.1/sp.pem").contains("loopback host"));
        assert!(lo_detail("https://1.1.1.1:9999/sp.pem").contains("port 9999"));
        assert!(lo_detail("http://10.0.0.1/sp.pem").contains("loopback host"));
        assert!(lo_detail("https://10.0.0.1/sp.pem").contains("private"));
        assert!(lo_detail("ftp://127.0.0.1/sp.pem").contains("https only"));
    }

    #[test]
    fn http_any_host_admits_http_only() {
        let f = Fetcher::new(FetchConfig {
            http_any_host: true,
            ..FetchConfig::default()
        });
        let detail = |u: &str| match f.check_url(u) {
            Err(Error::BadInfo(d)) => d,
            other => panic!("{u}: {other:?}"),
        };
        for ok in [
            "http://10.0.0.1/sp.pem",
            "http://127.0.0.1:8080/sp.pem",
            "http://[::1]:9/sp.pem",
            "http://cert.example.net/sp.pem",
        ] {
            assert!(f.check_url(ok).is_ok(), "{ok}");
        }
        // https keeps every rule; the syntax rules hold for http too.
        assert!(detail("https://127.0.0.1/sp.pem").contains("loopback"));
        assert!(detail("https://10.0.0.1/sp.pem").contains("private"));
        assert!(detail("https://cert.example.net:9443/sp.pem").contains("port 9443"));
        assert!(detail("http://u@10.0.0.1/sp.pem").contains("userinfo"));
        assert!(detail("http://10.0.0.1/sp.pem?x").contains("query"));
        assert!(detail("ftp://10.0.0.1/sp.pem").contains("https only"));
        // Without it, http stays refused.
        assert!(
            Fetcher::new(FetchConfig::default())
                .check_url("http://cert.example.net/sp.pem")
                .is_err()
        );
    }

    #[test]
    fn bad_extra_root_is_reported_by_fetch() {
        let f = Fetcher::new(FetchConfig {
            extra_roots: vec![b"not a certificate".to_vec()],
            allow_http_loopback: true,
            ..FetchConfig::default()
        });
        // Reported before any lookup or connection (and a loopback URL all the same).
        match f.fetch("https://127.0.0.1:9/sp.pem") {
            Err(Error::BadInfo(d)) => assert!(d.contains("extra TLS root #0"), "{d}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn is_send_sync_and_unwind_safe() {
        fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
        check::<Fetcher>();
        check::<crate::Verifier>();
    }
}
