//! `SecSIPIDGetURLContent` and key downloads: a small blocking HTTP/1.0 GET for `http://`
//! URLs (std only), cliauth's [`Fetcher`] for `https://`, and libsecsipid's optional file
//! cache.
//!
//! * `http://host[:port]/path`: one GET, `Connection: close`, no redirects, no proxy; the
//!   whole exchange is bounded by the timeout (libsecsipid's `timeoutVal`, seconds; 0 or
//!   less means 5 s here — never unbounded) and the body by [`MAX_BODY`]. Any host is
//!   reached, as with libsecsipid: http x5u URLs are a lab feature, point production at
//!   https.
//! * `https://`: cliauth's fetcher with the ATIS x5u rules (port 443 or 8443, no userinfo,
//!   query or fragment, public peer addresses only, web PKI server authentication), except
//!   that any `Content-Type` is accepted, as libsecsipid does. A URL the rules refuse is
//!   -401; any other failure (connection, TLS, status, size) is -402, since the fetcher
//!   does not tell them apart.
//! * Anything else is -401.
//!
//! The file cache (`CacheDirPath`, `CacheExpires`): when a directory is set, a download is
//! stored in it under the URL with `://` and every `/` replaced by `_`, and reused while
//! its modification time is less than `CacheExpires` seconds old.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime};

use cliauth::fetch::{FetchConfig, Fetcher};

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
        Duration::from_secs(seconds as u64)
    }
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

/// The content of `url` (through the file cache when one is configured).
pub fn get_url_content(url: &str, timeout: i32) -> Result<Vec<u8>, i32> {
    let fetch: fn(&str, Duration) -> Result<Vec<u8>, i32> = if url.starts_with("http://") {
        http_get
    } else if url.starts_with("https://") {
        https_get
    } else {
        return Err(codes::HTTP_INVALID_URL);
    };
    if let Some(body) = cached(url) {
        return Ok(body);
    }
    let body = fetch(url, timeout_of(timeout))?;
    store(url, &body);
    Ok(body)
}

fn https_get(url: &str, timeout: Duration) -> Result<Vec<u8>, i32> {
    let f = Fetcher::new(FetchConfig {
        timeout,
        max_body: MAX_BODY,
        require_content_type: false,
        ..FetchConfig::default()
    });
    f.check_url(url).map_err(|_| codes::HTTP_INVALID_URL)?;
    f.fetch(url).map(|r| r.body).map_err(|_| codes::HTTP_GET)
}

/// Splits `http://authority/path` into (host, port, path).
fn split_http(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split('#').next().unwrap_or("/");
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 80,
            None => return None,
        };
        (h.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().ok()?),
            None => (authority.to_owned(), 80),
        }
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || ".-_:".contains(c);
    if host.is_empty() || !host.chars().all(ok) || path.bytes().any(|b| b <= b' ' || b >= 0x7f) {
        return None;
    }
    Some((host, port, path))
}

fn http_get(url: &str, timeout: Duration) -> Result<Vec<u8>, i32> {
    let (host, port, path) = split_http(url).ok_or(codes::HTTP_INVALID_URL)?;
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(codes::HTTP_GET)
    };
    let addrs: Vec<_> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|_| codes::HTTP_GET)?
        .collect();
    let mut stream = None;
    for a in &addrs {
        if let Ok(s) = TcpStream::connect_timeout(a, left()?) {
            stream = Some(s);
            break;
        }
    }
    let mut s = stream.ok_or(codes::HTTP_GET)?;
    let host_header = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let host_header = if port == 80 {
        host_header
    } else {
        format!("{host_header}:{port}")
    };
    let req = format!(
        "GET {path} HTTP/1.0\r\nHost: {host_header}\r\nUser-Agent: cliauth-secsipid\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    s.set_write_timeout(Some(left()?))
        .map_err(|_| codes::HTTP_GET)?;
    s.write_all(req.as_bytes()).map_err(|_| codes::HTTP_GET)?;

    // Read the head, then the body, each read bounded by what is left of the timeout.
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err(codes::HTTP_GET);
        }
        s.set_read_timeout(Some(left()?))
            .map_err(|_| codes::HTTP_GET)?;
        match s.read(&mut chunk) {
            Ok(0) => return Err(codes::HTTP_GET),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return Err(codes::HTTP_GET),
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| codes::HTTP_GET)?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    let version = parts.next().unwrap_or("");
    let status: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or(codes::HTTP_GET)?;
    if !version.starts_with("HTTP/") {
        return Err(codes::HTTP_GET);
    }
    if status != 200 {
        return Err(codes::HTTP_STATUS_CODE);
    }
    let mut content_length = None;
    let mut chunked = false;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let k = k.trim();
            if k.eq_ignore_ascii_case("content-length") {
                content_length = Some(
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| codes::HTTP_READ_BODY)?,
                );
            } else if k.eq_ignore_ascii_case("transfer-encoding")
                && v.trim().eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }
    if content_length.is_some_and(|n| n > MAX_BODY) {
        return Err(codes::HTTP_READ_BODY);
    }
    let mut body = buf[head_end..].to_vec();
    loop {
        if content_length.is_some_and(|n| body.len() >= n) {
            break;
        }
        if body.len() > MAX_BODY + 64 * 1024 {
            return Err(codes::HTTP_READ_BODY);
        }
        s.set_read_timeout(Some(left().map_err(|_| codes::HTTP_READ_BODY)?))
            .map_err(|_| codes::HTTP_READ_BODY)?;
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(_) => return Err(codes::HTTP_READ_BODY),
        }
    }
    if let Some(n) = content_length {
        if body.len() < n {
            return Err(codes::HTTP_READ_BODY);
        }
        body.truncate(n);
    }
    if chunked {
        body = dechunk(&body).ok_or(codes::HTTP_READ_BODY)?;
    }
    if body.len() > MAX_BODY {
        return Err(codes::HTTP_READ_BODY);
    }
    Ok(body)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body (a server may send one even to an HTTP/1.0 request).
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = find(b, b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if b.len() < size + 2 || out.len() + size > MAX_BODY {
            return None;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Serves `responses` (one per connection) on a loopback port; returns the base URL.
    pub(crate) fn serve(responses: Vec<Vec<u8>>) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for r in responses {
                let Ok((mut s, _)) = l.accept() else { return };
                let mut req = [0u8; 2048];
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.read(&mut req);
                let _ = s.write_all(&r);
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn splits_urls() {
        assert_eq!(
            split_http("http://a.example/x/y.pem"),
            Some(("a.example".into(), 80, "/x/y.pem".into()))
        );
        assert_eq!(
            split_http("http://127.0.0.1:8080"),
            Some(("127.0.0.1".into(), 8080, "/".into()))
        );
        assert_eq!(
            split_http("http://[::1]:81/k?x=1#f"),
            Some(("::1".into(), 81, "/k?x=1".into()))
        );
        assert_eq!(split_http("http://u@h/x"), None);
        assert_eq!(split_http("http:///x"), None);
        assert_eq!(split_http("http://h:port/x"), None);
        assert_eq!(split_http("http://h/a b"), None);
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
        let base = serve(vec![ok, chunked, nf, short, garbage]);
        let u = format!("{base}/k.pem");
        assert_eq!(get_url_content(&u, 2).unwrap(), b"hello");
        assert_eq!(get_url_content(&u, 2).unwrap(), b"hello");
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_STATUS_CODE));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_READ_BODY));
        assert_eq!(get_url_content(&u, 2), Err(codes::HTTP_GET));
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
