//! The SIP side of `cliauth pcap`: recognising a SIP message, finding where its header
//! ends and how long its body is (to cut messages out of a TCP stream), parsing a request's
//! request line and header fields (folded lines joined, compact names expanded), and taking
//! the calling and called numbers from it (RFC 8224 §8: P-Asserted-Identity or From; To or
//! the Request-URI).
//!
//! This is a diagnostic reader for captures, not a SIP stack: it is lenient (bare LF line
//! ends are accepted, unknown header fields are kept as they are) and only as strict as it
//! needs to be to find the Identity header fields and the numbers. Every input is bounded by
//! [`MAX_SIP_MESSAGE`].

use std::fmt;

/// The largest SIP message (header and body) this module parses or frames; a UDP datagram
/// is at most 64 KiB anyway, and a TCP stream that announces a larger message is reset.
pub const MAX_SIP_MESSAGE: usize = 64 * 1024;

/// Why a message could not be parsed as a SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SipError {
    /// Longer than [`MAX_SIP_MESSAGE`] bytes (the length is given).
    TooLarge(usize),
    /// The header (up to the blank line) is not UTF-8.
    NotUtf8,
    /// The first line is neither `METHOD URI SIP/2.0` nor a status line.
    NotARequestLine,
    /// A folded continuation line comes before any header field.
    ContinuationFirst,
    /// A header line has no `:` (the line, shortened, is given).
    NoColon(String),
}

impl fmt::Display for SipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SipError::TooLarge(n) => {
                write!(f, "message of {n} bytes is longer than {MAX_SIP_MESSAGE}")
            }
            SipError::NotUtf8 => f.write_str("header is not UTF-8"),
            SipError::NotARequestLine => f.write_str("not a SIP request or status line"),
            SipError::ContinuationFirst => f.write_str("continuation line before any header"),
            SipError::NoColon(l) => write!(f, "header line without a colon: {l:?}"),
        }
    }
}

impl std::error::Error for SipError {}

/// A SIP request, as far as `cliauth pcap` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    ruri: String,
    /// (lower-case full name, value), folded lines joined, in order.
    headers: Vec<(String, String)>,
}

impl Request {
    /// The method (`INVITE`, …).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The Request-URI, as written.
    pub fn request_uri(&self) -> &str {
        &self.ruri
    }

    /// Every header field as (lower-case full name, value), in order; a compact name is
    /// given in full (`y` → `identity`), folded lines are joined with one space.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The values of every header field named `name` (lower-case full name), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first header field named `name` (lower-case full name).
    pub fn first<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.all(name).next()
    }

    /// The calling number, taken as `from` says.
    pub fn orig(&self, from: OrigFrom) -> Option<Number> {
        let pai = || {
            let all: Vec<_> = self
                .all("p-asserted-identity")
                .flat_map(split_list)
                .collect();
            // A tel URI or a sip URI with a telephone number, the first that is one.
            all.iter()
                .filter_map(|v| number(v))
                .find(|n| n.is_tn)
                .or_else(|| all.first().and_then(|v| number(v)))
        };
        let from_ = || self.first("from").and_then(number);
        match from {
            OrigFrom::Auto => pai().or_else(from_),
            OrigFrom::Pai => pai(),
            OrigFrom::From => from_(),
        }
    }

    /// The called number, taken as `from` says.
    pub fn dest(&self, from: DestFrom) -> Option<Number> {
        match from {
            DestFrom::To => self.first("to").and_then(number),
            DestFrom::Ruri => number(&self.ruri),
        }
    }
}

/// Where the calling number is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrigFrom {
    /// P-Asserted-Identity if the request has one, else From (RFC 8224 §8.1).
    Auto,
    /// P-Asserted-Identity only.
    Pai,
    /// From only.
    From,
}

/// Where the called number is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DestFrom {
    /// The To header field (RFC 8224 §8.1).
    To,
    /// The Request-URI (after retargeting, RFC 8224 §8.2).
    Ruri,
}

/// A number as the request carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// The canonical telephone number (`cliauth::Tn`) when `is_tn`, else the URI's user
    /// part as written.
    pub text: String,
    /// Whether the user part is a telephone number (only then is it checked against a
    /// token).
    pub is_tn: bool,
}

/// The full name of a compact-form header name (RFC 3261 §7.3.3, RFC 8224 §4), lower-case.
pub fn full_name(n: &str) -> String {
    let n = n.to_ascii_lowercase();
    match n.as_str() {
        "i" => "call-id".into(),
        "f" => "from".into(),
        "t" => "to".into(),
        "l" => "content-length".into(),
        "y" => "identity".into(),
        _ => n,
    }
}

/// Where a SIP message's header ends: the index after the blank line (CRLF CRLF, or LF LF
/// from a lenient sender), if it has one.
pub fn header_end(b: &[u8]) -> Option<usize> {
    let crlf = b.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = b.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The body length a header announces (`Content-Length`, or `l`): 0 without one,
/// `usize::MAX` for a value that is not a number (the caller's limit refuses it). The last
/// one counts when there are several.
pub fn content_length(head: &[u8]) -> usize {
    let mut len = 0usize;
    for line in head.split(|&c| c == b'\n') {
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let name = String::from_utf8_lossy(&line[..colon]);
        if full_name(name.trim()) == "content-length" {
            let value = String::from_utf8_lossy(&line[colon + 1..]);
            len = value.trim().parse::<usize>().unwrap_or(usize::MAX);
        }
    }
    len
}

/// The longest first line (request line or status line) of a SIP message this module
/// recognises in a stream; a longer one makes [`looks_like_sip`] false.
pub const MAX_FIRST_LINE: usize = 8 * 1024;

/// Whether `b` starts like a SIP message (a request line `METHOD … SIP/2.0` or a status
/// line `SIP/2.0 …`), or could still become one when more bytes arrive (no line end yet).
///
/// Consistent across segment boundaries: when a complete first line is accepted, so is
/// every prefix of it, so a stream gives the same answer whichever way it is cut.
pub fn looks_like_sip(b: &[u8]) -> bool {
    // Only the first MAX_FIRST_LINE + 2 bytes are looked at (`\r\n` included).
    let b = &b[..b.len().min(MAX_FIRST_LINE + 2)];
    let line_end = b.iter().position(|&c| c == b'\n');
    let line = &b[..line_end.unwrap_or(b.len())];
    if line.len() > MAX_FIRST_LINE + 1 {
        return false;
    }
    const STATUS: &[u8] = b"SIP/2.0 ";
    if line.starts_with(STATUS) || (line_end.is_none() && STATUS.starts_with(line)) {
        return true;
    }
    // The method: a token of letters and digits starting with a capital letter.
    let method_ok = line.first().is_none_or(u8::is_ascii_uppercase)
        && line
            .iter()
            .take_while(|c| **c != b' ')
            .all(u8::is_ascii_alphanumeric);
    match line_end {
        // No full line yet.
        None => method_ok,
        Some(_) => {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            !line.is_empty() && method_ok && line.ends_with(b" SIP/2.0")
        }
    }
}

/// Parses a SIP message (its header; the body is not looked at): `Ok(None)` for a
/// response.
pub fn parse(b: &[u8]) -> Result<Option<Request>, SipError> {
    if b.len() > MAX_SIP_MESSAGE {
        return Err(SipError::TooLarge(b.len()));
    }
    let end = header_end(b).unwrap_or(b.len());
    let head = std::str::from_utf8(&b[..end]).map_err(|_| SipError::NotUtf8)?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    if first.starts_with("SIP/2.0 ") {
        return Ok(None);
    }
    let mut parts = first.split(' ');
    let (Some(method), Some(ruri), Some("SIP/2.0"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SipError::NotARequestLine);
    };
    if method.is_empty() || ruri.is_empty() {
        return Err(SipError::NotARequestLine);
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // A folded continuation line (RFC 3261 §7.3.1).
            let Some(last) = headers.last_mut() else {
                return Err(SipError::ContinuationFirst);
            };
            let more = line.trim();
            if !more.is_empty() {
                if !last.1.is_empty() {
                    last.1.push(' ');
                }
                last.1.push_str(more);
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            let short: String = line.chars().take(80).collect();
            return Err(SipError::NoColon(short));
        };
        headers.push((full_name(name.trim()), value.trim().to_owned()));
    }
    Ok(Some(Request {
        method: method.to_owned(),
        ruri: ruri.to_owned(),
        headers,
    }))
}

/// The header fields of a list-valued header split at commas outside `<…>` and quotes.
pub fn split_list(v: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut angle, mut quote, mut start) = (false, false, 0);
    for (i, c) in v.char_indices() {
        match c {
            '"' if !angle => quote = !quote,
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            ',' if !angle && !quote => {
                out.push(v[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(v[start..].trim());
    out
}

/// The user part of a sip:/sips:/tel: URI in a name-addr or addr-spec (`"Bob"
/// <sip:+1215…@host;user=phone>;tag=…`), without its parameters.
pub fn user_part(v: &str) -> Option<&str> {
    let uri = match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v.split(';').next().unwrap_or(v).trim(),
    };
    let lower = uri.get(..5).unwrap_or("").to_ascii_lowercase();
    let user = if lower.starts_with("tel:") {
        &uri[4..]
    } else if lower.starts_with("sips:") {
        uri[5..].split('@').next().filter(|_| uri.contains('@'))?
    } else if lower.starts_with("sip:") {
        uri[4..].split('@').next().filter(|_| uri.contains('@'))?
    } else {
        return None;
    };
    Some(user.split(';').next().unwrap_or(user))
}

/// A number as the call carries it: canonical if it is a telephone number, else the user
/// part as is (then not checked against the token).
pub fn number(v: &str) -> Option<Number> {
    let user = user_part(v)?;
    Some(match cliauth::Tn::parse(user) {
        Ok(t) => Number {
            text: t.into_string(),
            is_tn: true,
        },
        Err(_) => Number {
            text: user.to_owned(),
            is_tn: false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_from_uris() {
        assert_eq!(
            user_part("\"Bob\" <sip:+12155551212@h;user=phone>;tag=1"),
            Some("+12155551212")
        );
        assert_eq!(user_part("<tel:+12155551212;npdi>"), Some("+12155551212"));
        assert_eq!(user_part("sip:alice@example.com"), Some("alice"));
        assert_eq!(user_part("sip:example.com"), None);
        assert_eq!(user_part("<mailto:x>"), None);
        assert_eq!(user_part("<"), None);
        assert_eq!(
            split_list("<sip:1@h>, \"a,b\" <tel:+2>"),
            ["<sip:1@h>", "\"a,b\" <tel:+2>"]
        );
    }

    #[test]
    fn sip_parser_limits() {
        assert_eq!(parse(b"GARBAGE\r\n\r\n"), Err(SipError::NotARequestLine));
        assert_eq!(parse(b" x\r\n"), Err(SipError::NotARequestLine));
        assert_eq!(parse(b"SIP/2.0 200 OK\r\n\r\n"), Ok(None));
        assert_eq!(
            parse(b"INVITE sip:1@h SIP/2.0\r\n x\r\n\r\n"),
            Err(SipError::ContinuationFirst)
        );
        assert_eq!(
            parse(b"INVITE sip:1@h SIP/2.0\r\nnocolon\r\n\r\n"),
            Err(SipError::NoColon("nocolon".into()))
        );
        assert_eq!(
            parse(b"INVITE sip:1@h SIP/2.0\r\nTo: \xff\r\n\r\n"),
            Err(SipError::NotUtf8)
        );
        let big = vec![b'a'; MAX_SIP_MESSAGE + 1];
        assert_eq!(parse(&big), Err(SipError::TooLarge(MAX_SIP_MESSAGE + 1)));
        let r = parse(b"INVITE sip:1@h SIP/2.0\r\ny: a,\r\n b\r\ni: c\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(r.first("identity"), Some("a, b"));
        assert_eq!(r.first("call-id"), Some("c"));
        assert!(looks_like_sip(b"INV"));
        assert!(!looks_like_sip(b"\x16\x03\x01"));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
        assert_eq!(content_length(b"X: 1\r\nl: 12\r\n\r\n"), 12);
        assert_eq!(content_length(b"Content-Length: -1\r\n"), usize::MAX);
        assert_eq!(content_length(b"Via: x\r\n"), 0);
    }
}
