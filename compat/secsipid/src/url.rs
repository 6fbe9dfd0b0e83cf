//! Downloads — `SecSIPIDGetURLContent`, keys at `http(s)://` key paths and at the Identity
//! header's `info` URL — all through cliauth's fetcher ([`Fetcher`]), the one fetch path
//! of the project: one deadline covering connect, TLS, headers and body, no redirects, no
//! proxy, a size limit counted while reading. (This library had its own small HTTP/1.0
//! client for `http://` before; it is gone, and with it its chunked-body decoder.)
//!
//! * `https://`: the ATIS x5u rules (port 443 or 8443, no userinfo, query or fragment,
//!   public peer addresses only, web PKI server authentication), except that any
//!   `Content-Type` is accepted, as libsecsipid does.
//! * `http://`: any host and port ([`FetchConfig::http_any_host`]), as with libsecsipid:
//!   http x5u URLs are a lab feature; point production at https. No userinfo, query or
//!   fragment (the x5u syntax rules).
//! * Anything else is -401.
//!
//! The timeout is libsecsipid's `timeoutVal` in seconds (0 or less: 5 s — never
//! unbounded), a deadline for the whole download; the body is at most [`MAX_BODY`] bytes.
//! Codes: a URL the rules refuse -401; no answer (name, connection, TLS, timeout) -402; an
//! HTTP status other than 200 (redirects included) -403; a bad or oversized body -404.
//!
//! The file cache (`CacheDirPath`, `CacheExpires`): when a directory is set, a download is
//! stored in it under the URL with `://` and every `/` replaced by `_`, and reused while
//! its modification time is less than `CacheExpires` seconds old.
//!
//! The fetch budget (`FetchBudget`, milliseconds; 0, the default, is off): a check waits
//! at most that long for a download. A download not done by then gives -402 and goes on
//! in the background; its body is then kept in memory and serves the next checks. In this
//! mode the core library's acquisition rules apply ([`cliauth::state`]): one download per
//! URL at a time (concurrent checks wait for the same one), a failed URL is backed off
//! (checks in the back-off window get -402 at once, without a request), and a body is kept
//! for its `Cache-Control` lifetime (default 24 h), never less than 60 s.
//!
//! The shared cache (`SharedCache`, a Redis URL; "" is off): every download goes through
//! the core library's shared fetch ([`RedisState::shared_fetch`]) on that server: before
//! downloading, a process looks for the body in Redis; one process downloads under a Redis
//! lock while the others (Kamailio's children, other servers) wait for its result and take
//! the body from Redis; a failure is shared for 30 s. So N processes download each URL
//! once per lifetime (the body's `Cache-Control` lifetime, at least 60 s) instead of once
//! each — or, without the file cache and the budget, once per check. A Redis that is down
//! or answers slower than 50 ms never fails a check: the download is then made directly
//! (and Redis is left alone for 1 s). What comes from Redis is handled exactly like what
//! comes from the network: a key or certificate is parsed and, with `CertVerify`, verified
//! against the trust anchors by each process; with `CertVerify` 0 whoever can write to the
//! Redis can put a key there, as whoever can serve the `info` URL can. A body from Redis
//! larger than [`MAX_BODY`] is -404. A failure another process saw is -403 when it was an
//! HTTP status and -402 otherwise. Each process opens its own connections: a process
//! forked after the first download (Kamailio forks its children after loading the
//! module) makes a new pool rather than share its parent's sockets.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Condvar, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use cliauth::fetch::{Fetch, FetchConfig, FetchError, FetchErrorKind, Fetcher};
use cliauth::state::redis::{RedisOptions, RedisState};
use cliauth::state::{AcquirePolicy, NegativeCache, host_of};

use crate::codes;
use crate::options;

/// The largest body accepted.
pub const MAX_BODY: usize = 1 << 20;

/// Default timeout when the caller gives none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

fn timeout_of(seconds: i32) -> Duration {
    if seconds <= 0 {
        DEFAULT_TIMEOUT
    } else {
        Duration::from_secs(seconds.unsigned_abs().into())
    }
}

/// The fetcher: https under the ATIS rules, http to any host; the deadline is the
/// caller's timeout (`fetch_within`), capped by the largest `timeoutVal`.
static FETCHER: LazyLock<Arc<Fetcher>> = LazyLock::new(|| {
    Arc::new(Fetcher::new(FetchConfig {
        http_any_host: true,
        timeout: timeout_of(i32::MAX),
        max_body: MAX_BODY,
        require_content_type: false,
        ..FetchConfig::default()
    }))
});

/// Whether `url` is a usable `SharedCache` value: "" (off) or a URL the Redis client
/// accepts (checked without connecting).
pub fn shared_cache_url_ok(url: &str) -> bool {
    url.is_empty() || RedisState::open(url, RedisOptions::default()).is_ok()
}

/// The shared fetch of this process: the Redis URL it is for, the pid that made it, the
/// state (for its counters) and the fetch.
struct Shared {
    url: String,
    pid: u32,
    state: Arc<RedisState>,
    fetch: Arc<dyn Fetch>,
}

static SHARED: Mutex<Option<Shared>> = Mutex::new(None);

/// The shared fetch for the `SharedCache` option in force, `None` when it is off. Made on
/// first use, again when the option changes, and again in a forked child: a child must not
/// use the connections its parent opened.
fn shared_fetch() -> Option<(Arc<dyn Fetch>, Arc<RedisState>)> {
    let url = options::get().shared_cache.clone();
    if url.is_empty() {
        return None;
    }
    let pid = std::process::id();
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    match shared.as_ref() {
        Some(s) if s.url == url && s.pid == pid => {}
        _ => {
            let state = RedisState::open(&url, RedisOptions::default()).ok()?;
            let fetch = state.shared_fetch(Arc::clone(&*FETCHER) as Arc<dyn Fetch>);
            let old = shared.replace(Shared {
                url,
                pid,
                state,
                fetch,
            });
            if let Some(old) = old
                && old.pid != pid
            {
                // The parent's pool: its sockets are the parent's, never closed or used
                // from here.
                std::mem::forget(old);
            }
        }
    }
    shared
        .as_ref()
        .map(|s| (Arc::clone(&s.fetch), Arc::clone(&s.state)))
}

/// The counters of this process's shared cache (`None` when it is off or unused).
pub fn shared_stats() -> Option<cliauth::state::redis::RedisStats> {
    let shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    shared
        .as_ref()
        .filter(|s| s.pid == std::process::id())
        .map(|s| s.state.stats())
}

/// The wording of the shared fetch for a failure another process saw.
const SHARED_FAILURE: &str = "failed recently on another node";

/// libsecsipid's code for a failed fetch.
fn code_of(e: &FetchError) -> i32 {
    if e.detail.contains(SHARED_FAILURE) {
        // Shared through Redis: the other process's status failure stays -403.
        return if e.detail.contains("HTTP status") {
            codes::HTTP_STATUS_CODE
        } else {
            codes::HTTP_GET
        };
    }
    match e.kind {
        FetchErrorKind::Refused => codes::HTTP_INVALID_URL,
        FetchErrorKind::Unreachable | FetchErrorKind::TimedOut => codes::HTTP_GET,
        // The fetcher words a status (and a redirect, which is one) as "HTTP status N".
        FetchErrorKind::Response if e.detail.contains("HTTP status") => codes::HTTP_STATUS_CODE,
        FetchErrorKind::Response => codes::HTTP_READ_BODY,
    }
}

#[cfg(test)]
pub(crate) static DOWNLOADS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// One download, now — through the shared cache when `SharedCache` is set: the body and
/// its `Cache-Control`.
fn download(url: &str, timeout: Duration) -> Result<(Vec<u8>, Option<String>), FetchError> {
    #[cfg(test)]
    DOWNLOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let Some((fetch, state)) = shared_fetch() else {
        return FETCHER
            .fetch_within(url, timeout)
            .map(|f| (f.body, f.cache_control));
    };
    let got = fetch.fetch(url, timeout);
    let s = state.stats();
    crate::calllog::note(&format!(
        "SharedCache {url} {} fetches={} shared_hits={} errors={} skipped={}",
        if got.is_ok() { "ok" } else { "failed" },
        s.fetches,
        s.shared_hits,
        s.errors,
        s.skipped
    ));
    let f = got?;
    // What Redis holds is not trusted, its size included.
    if f.body.len() > MAX_BODY {
        return Err(FetchError::new(
            FetchErrorKind::Response,
            format!("fetch {url}: body over {MAX_BODY} bytes from the shared cache"),
        ));
    }
    Ok((f.body, f.cache_control))
}

/// The cache file name of `url` inside `dir`.
pub fn cache_path(dir: &str, url: &str) -> std::path::PathBuf {
    let name = url.replacen("://", "_", 1).replace('/', "_");
    std::path::Path::new(dir).join(name)
}

fn cached(url: &str) -> Option<Vec<u8>> {
    let (dir, expires) = {
        let o = options::get();
        (o.cache_dir.clone(), o.cache_expires)
    };
    if dir.is_empty() {
        return None;
    }
    let path = cache_path(&dir, url);
    let meta = std::fs::metadata(&path).ok()?;
    let age = SystemTime::now()
        .duration_since(meta.modified().ok()?)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if age > expires {
        let _ = std::fs::remove_file(&path);
        return None;
    }
    std::fs::read(&path).ok()
}

fn store(url: &str, body: &[u8]) {
    let dir = options::get().cache_dir.clone();
    if dir.is_empty() {
        return;
    }
    use std::os::unix::fs::OpenOptionsExt;
    let path = cache_path(&dir, url);
    // Write a temporary file and rename it, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o640)
        .open(&tmp)
        .and_then(|mut f| f.write_all(body));
    if written.is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    } else {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// The content of `url` (through the file cache when one is configured, and within the
/// fetch budget when one is set).
pub fn get_url_content(url: &str, timeout: i32) -> Result<Vec<u8>, i32> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(codes::HTTP_INVALID_URL);
    }
    FETCHER
        .check_url(url)
        .map_err(|_| codes::HTTP_INVALID_URL)?;
    if let Some(body) = cached(url) {
        return Ok(body);
    }
    let timeout = timeout_of(timeout);
    let budget = options::get().fetch_budget;
    if budget > 0 {
        let budget = Duration::from_millis(budget.unsigned_abs());
        return BACKGROUND.get(url, timeout, budget);
    }
    let (body, _) = download(url, timeout).map_err(|e| code_of(&e))?;
    store(url, &body);
    Ok(body)
}

/// The most bodies kept in memory in budget mode.
const MAX_KEPT: usize = 1024;
/// The most downloads running in the background at once.
const MAX_RUNNING: usize = 64;

type Outcome = Result<Arc<Vec<u8>>, i32>;

/// A download in progress, waited on by every check that wants its URL.
#[derive(Default)]
struct Flight {
    done: Mutex<Option<Outcome>>,
    cv: Condvar,
}

impl Flight {
    fn wait(&self, budget: Duration) -> Option<Outcome> {
        let until = cliauth::state::deadline_in(budget);
        let mut g = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(r) = g.as_ref() {
                return Some(r.clone());
            }
            let left = until.checked_duration_since(Instant::now())?;
            g = self
                .cv
                .wait_timeout(g, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

enum Slot {
    Running(Arc<Flight>),
    Kept { body: Arc<Vec<u8>>, until: i64 },
}

/// Budget mode: downloads on background threads, bodies kept in memory, failures backed
/// off with the core's [`NegativeCache`].
struct Background {
    slots: Mutex<HashMap<String, Slot>>,
    negative: NegativeCache,
    policy: AcquirePolicy,
}

static BACKGROUND: LazyLock<Background> = LazyLock::new(|| {
    let policy = AcquirePolicy::default();
    Background {
        slots: Mutex::new(HashMap::new()),
        negative: NegativeCache::new(policy.backoff),
        policy,
    }
});

impl Background {
    fn get(&'static self, url: &str, timeout: Duration, budget: Duration) -> Result<Vec<u8>, i32> {
        let now = crate::check::now();
        let flight = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            match slots.get(url) {
                Some(Slot::Kept { body, until }) if *until > now => {
                    return Ok(body.as_ref().clone());
                }
                Some(Slot::Running(f)) => Arc::clone(f),
                _ => {
                    let host = host_of(url);
                    if self.negative.check(url, &host, now).is_some() {
                        return Err(codes::HTTP_GET);
                    }
                    let running = slots
                        .values()
                        .filter(|s| matches!(s, Slot::Running(_)))
                        .count();
                    if running >= MAX_RUNNING {
                        return Err(codes::HTTP_GET);
                    }
                    if slots.len() >= MAX_KEPT {
                        slots.retain(|_, s| match s {
                            Slot::Running(_) => true,
                            Slot::Kept { until, .. } => *until > now,
                        });
                    }
                    if slots.len() >= MAX_KEPT {
                        slots.retain(|_, s| matches!(s, Slot::Running(_)));
                    }
                    let f = Arc::new(Flight::default());
                    let (u, f2) = (url.to_owned(), Arc::clone(&f));
                    let spawned = std::thread::Builder::new()
                        .name("secsipid-fetch".into())
                        .spawn(move || self.run(&u, &host, timeout, &f2));
                    if spawned.is_err() {
                        return Err(codes::HTTP_GET);
                    }
                    slots.insert(url.to_owned(), Slot::Running(Arc::clone(&f)));
                    f
                }
            }
        };
        match flight.wait(budget) {
            Some(r) => r.map(|b| b.as_ref().clone()),
            None => Err(codes::HTTP_GET),
        }
    }

    /// One download, on its own thread: keeps the body or remembers the failure, then
    /// wakes the waiting checks.
    fn run(&self, url: &str, host: &str, timeout: Duration, flight: &Flight) {
        let got = download(url, timeout);
        if let Ok((body, _)) = &got {
            store(url, body);
        }
        let now = crate::check::now();
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let outcome = match got {
            Ok((body, cache_control)) => {
                self.negative.succeeded(url, host);
                let body = Arc::new(body);
                let until = now.saturating_add(self.policy.ttl(cache_control.as_deref()));
                slots.insert(
                    url.to_owned(),
                    Slot::Kept {
                        body: Arc::clone(&body),
                        until,
                    },
                );
                Ok(body)
            }
            Err(e) => {
                let code = code_of(&e);
                let host_level = e.kind.is_host_level();
                self.negative.failed(url, host, e.into(), host_level, now);
                slots.remove(url);
                Err(code)
            }
        };
        drop(slots);
        *flight.done.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        flight.cv.notify_all();
    }
}

/// Forgets the bodies kept and the failures remembered in budget mode (tests).
#[cfg(test)]
pub(crate) fn reset_background() {
    let b = &*BACKGROUND;
    b.slots
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|_, s| matches!(s, Slot::Running(_)));
    // The negative cache has no clear: failures are forgotten on success only, so tests
    // use fresh URLs (the loopback port differs per server).
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::net::TcpListener;

    use std::io::Read;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Serves `responses` (one per connection) on a loopback port; returns the base URL.
    pub(crate) fn serve(responses: Vec<Vec<u8>>) -> String {
        serve_counted(responses, Duration::ZERO).0
    }

    /// Serves `responses` (one per connection, each after `delay`) on a loopback port;
    /// returns the base URL and the count of connections accepted.
    pub(crate) fn serve_counted(
        responses: Vec<Vec<u8>>,
        delay: Duration,
    ) -> (String, Arc<AtomicUsize>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&count);
        std::thread::spawn(move || {
            for r in responses {
                let Ok((mut s, _)) = l.accept() else { return };
                c.fetch_add(1, Ordering::SeqCst);
                let mut req = [0u8; 2048];
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.read(&mut req);
                std::thread::sleep(delay);
                let _ = s.write_all(&r);
            }
        });
        (format!("http://{addr}"), count)
    }

    /// FetchBudget: a slow download is not waited for past the budget (-402) and goes on
    /// in the background; concurrent checks share it; its body then serves from memory.
    /// A failure is backed off: no second request within the back-off.
    #[test]
    fn fetch_budget() {
        let _g = crate::test_support::lock();
        assert!(options::set_num("FetchBudget", 100));
        let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nbody".to_vec();
        let (base, conns) = serve_counted(vec![ok], Duration::from_millis(600));
        let u = format!("{base}/slow.pem");
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| assert_eq!(get_url_content(&u, 5), Err(codes::HTTP_GET)));
            }
        });
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "{:?}",
            start.elapsed()
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        let body = loop {
            match get_url_content(&u, 5) {
                Ok(b) => break b,
                Err(c) => assert_eq!(c, codes::HTTP_GET),
            }
            assert!(
                Instant::now() < deadline,
                "the background download never served"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(body, b"body");
        // From memory now: the server (which served one connection) is not asked again.
        assert_eq!(get_url_content(&u, 5).unwrap(), b"body");
        assert_eq!(conns.load(Ordering::SeqCst), 1);

        let fail = b"HTTP/1.0 500 Oops\r\n\r\n".to_vec();
        let (base, conns) = serve_counted(vec![fail.clone(), fail], Duration::ZERO);
        let u = format!("{base}/fail.pem");
        assert!(options::set_num("FetchBudget", 2000));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_STATUS_CODE));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_GET));
        assert_eq!(conns.load(Ordering::SeqCst), 1);
        reset_background();
        options::reset();
    }

    /// Forgets this process's shared fetch, as if a new process started (its own pool, no
    /// memory of the first one).
    fn new_process() {
        *SHARED.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// SharedCache: a URL downloaded by one "process" (a fresh Redis state) is served to
    /// the next from Redis, with no second request; a status failure is shared with its
    /// code; with Redis killed, downloads go on directly.
    #[test]
    fn shared_cache() {
        let _g = crate::test_support::lock();
        let mut redis = crate::test_support::redis_server::RedisServer::start();
        assert!(options::set_str("SharedCache", &redis.url()));
        let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nbody".to_vec();
        let nf = b"HTTP/1.0 404 Not Found\r\n\r\nno".to_vec();
        let (base, conns) = serve_counted(vec![ok.clone(), nf, ok], Duration::ZERO);
        let u = format!("{base}/shared.pem");
        new_process();
        assert_eq!(get_url_content(&u, 2).unwrap(), b"body");
        assert_eq!(shared_stats().unwrap().fetches, 1);
        for _ in 0..3 {
            new_process();
            assert_eq!(get_url_content(&u, 2).unwrap(), b"body");
            let s = shared_stats().unwrap();
            assert_eq!((s.fetches, s.shared_hits, s.errors), (0, 1, 0), "{s:?}");
        }
        assert_eq!(conns.load(Ordering::SeqCst), 1);

        // A 404 seen by one process is -403 for the next too, without a request.
        let missing = format!("{base}/missing.pem");
        new_process();
        assert_eq!(get_url_content(&missing, 2), Err(codes::HTTP_STATUS_CODE));
        new_process();
        assert_eq!(get_url_content(&missing, 2), Err(codes::HTTP_STATUS_CODE));
        assert_eq!(shared_stats().unwrap().fetches, 0);
        assert_eq!(conns.load(Ordering::SeqCst), 2);

        // Redis gone: the download is made directly, and the check does not fail.
        redis.kill();
        new_process();
        assert_eq!(get_url_content(&u, 2).unwrap(), b"body");
        let s = shared_stats().unwrap();
        assert_eq!(s.fetches, 1, "{s:?}");
        assert!(s.errors >= 1, "{s:?}");
        assert_eq!(conns.load(Ordering::SeqCst), 3);
        new_process();
        options::reset();
    }

    /// A SharedCache pointing at no server at all (nothing listens on the port): every
    /// download is direct, and none fails because of Redis.
    #[test]
    fn shared_cache_down_from_the_start() {
        let _g = crate::test_support::lock();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(options::set_str(
            "SharedCache",
            &format!("redis://127.0.0.1:{port}")
        ));
        let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
        let (base, conns) = serve_counted(vec![ok.clone(), ok], Duration::ZERO);
        new_process();
        let start = Instant::now();
        for _ in 0..2 {
            assert_eq!(get_url_content(&format!("{base}/k.pem"), 2).unwrap(), b"ok");
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(conns.load(Ordering::SeqCst), 2);
        let s = shared_stats().unwrap();
        assert_eq!(s.fetches, 2, "{s:?}");
        assert!(s.errors + s.skipped >= 2, "{s:?}");
        new_process();
        options::reset();
    }

    #[test]
    fn http_codes() {
        let _g = crate::test_support::lock();
        let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
                .to_vec();
        let nf = b"HTTP/1.0 404 Not Found\r\n\r\nno".to_vec();
        let short = b"HTTP/1.0 200 OK\r\nContent-Length: 50\r\n\r\nhello".to_vec();
        let garbage = b"SSH-2.0-x\r\n\r\n".to_vec();
        // A hostile chunk size (the old hand-written decoder overflowed on it), a body
        // over the limit, and a redirect.
        let hostile = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n0\r\n\r\n"
            .to_vec();
        let huge = format!(
            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        )
        .into_bytes();
        let mut endless = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
        endless.resize(endless.len() + MAX_BODY + 10, b'x');
        let redirect = b"HTTP/1.0 302 Found\r\nLocation: http://127.0.0.1:9/\r\n\r\n".to_vec();
        let base = serve(vec![
            ok, chunked, nf, short, garbage, hostile, huge, endless, redirect,
        ]);
        let u = format!("{base}/k.pem");
        assert_eq!(get_url_content(&u, 2).unwrap(), b"hello");
        assert_eq!(get_url_content(&u, 2).unwrap(), b"hello");
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_STATUS_CODE));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_READ_BODY));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_GET));
        // The hostile chunk size: no overflow, no huge allocation — what arrived (ureq
        // ends a chunked body at the connection's end) or an error.
        match get_url_content(&u, 2) {
            Ok(b) => assert!(b.len() <= 16, "{}", b.len()),
            Err(c) => assert_eq!(c, codes::HTTP_READ_BODY),
        }
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_READ_BODY));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_READ_BODY));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_STATUS_CODE));
        // The x5u syntax rules hold for http too.
        assert_eq!(
            get_url_content(&format!("{base}/k.pem?x=1"), 1),
            Err(codes::HTTP_INVALID_URL)
        );
        assert_eq!(
            get_url_content("http://127.0.0.1:9/x", 1),
            Err(codes::HTTP_GET)
        );
        assert_eq!(
            get_url_content("ftp://127.0.0.1/x", 1),
            Err(codes::HTTP_INVALID_URL)
        );
        assert_eq!(
            get_url_content("not a url", 1),
            Err(codes::HTTP_INVALID_URL)
        );
        // https: the ATIS URL rules refuse a loopback peer or an odd port before any I/O.
        assert_eq!(
            get_url_content("https://127.0.0.1/x.pem", 1),
            Err(codes::HTTP_INVALID_URL)
        );
        assert_eq!(
            get_url_content("https://cert.example.org:9443/x.pem", 1),
            Err(codes::HTTP_INVALID_URL)
        );
    }

    #[test]
    fn times_out() {
        let _g = crate::test_support::lock();
        // A server that accepts and never answers.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let c = l.accept();
            std::thread::sleep(Duration::from_millis(1500));
            drop(c);
        });
        let start = Instant::now();
        assert_eq!(
            get_url_content(&format!("http://{addr}/x"), 1),
            Err(codes::HTTP_GET)
        );
        assert!(start.elapsed() < Duration::from_millis(1400));
        t.join().unwrap();
    }

    #[test]
    fn file_cache() {
        let _g = crate::test_support::lock();
        let dir = crate::test_support::tempdir("urlcache");
        options::set_file_cache(dir.to_str().unwrap(), 3600);
        let base = serve(vec![b"HTTP/1.0 200 OK\r\n\r\ncached body".to_vec()]);
        let u = format!("{base}/a/b.pem");
        assert_eq!(get_url_content(&u, 2).unwrap(), b"cached body");
        // The server is gone now: the second read comes from the file.
        assert_eq!(get_url_content(&u, 2).unwrap(), b"cached body");
        let file = cache_path(dir.to_str().unwrap(), &u);
        assert!(file.exists(), "{file:?}");
        assert!(
            file.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("http_127.0.0.1")
        );
        // Expired: removed and fetched again (and the server is gone).
        options::set_file_cache(dir.to_str().unwrap(), -1);
        assert_eq!(get_url_content(&u, 1), Err(codes::HTTP_GET));
        assert!(!file.exists());
        options::reset();
    }
}
