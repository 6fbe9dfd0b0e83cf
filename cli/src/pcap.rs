//! `cliauth pcap FILE`: verifies every Identity header value of every SIP request in a
//! packet capture (pcap or pcapng), one JSON line per value.
//!
//! The capture is read one frame at a time with `pcap-file`; frames are sliced with
//! `etherparse` (Ethernet, Linux cooked capture, raw IP, BSD loopback; IPv4 and IPv6; UDP
//! and TCP). IPv4/IPv6 fragments are reassembled with etherparse's defragmenter; TCP byte
//! streams are reassembled per direction here and cut into SIP messages by their
//! `Content-Length`. Everything is bounded (see the `MAX_…`/`…_WINDOW` constants and the
//! README's limits): a hostile capture costs at most a fixed amount of memory and never
//! panics the command.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, IsTerminal, Read};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use serde_json::{Value, json};

use crate::{CallData, KeyArgs, Out, Setup, UsageError, result_json, verifier, verify_all, warn};

/// The largest SIP message taken from a TCP stream (header and body); a larger one resets
/// that stream's buffer. A UDP datagram is at most 64 KiB anyway.
pub(crate) const MAX_SIP_MESSAGE: usize = 64 * 1024;
/// TCP streams (one per direction) followed at once; the least recently seen is dropped
/// when a new one would exceed this.
pub(crate) const MAX_TCP_STREAMS: usize = 4096;
/// Bytes of out-of-order TCP segments held per stream (waiting for a missing segment);
/// past this the stream skips the gap.
pub(crate) const MAX_TCP_PENDING: usize = 64 * 1024;
/// Frames within which the fragments of one IP datagram must arrive (counted from its
/// first fragment); older incomplete datagrams are dropped.
pub(crate) const FRAGMENT_WINDOW: u64 = 256;

/// Where the originating number is taken from.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OrigFrom {
    /// P-Asserted-Identity if the request has one, else From (RFC 8224 §8.1).
    Auto,
    /// P-Asserted-Identity only.
    Pai,
    /// From only.
    From,
}

/// Where the destination number is taken from.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DestFrom {
    /// The To header field (RFC 8224 §8.1).
    To,
    /// The Request-URI (after retargeting, RFC 8224 §8.2).
    Ruri,
}

/// `cliauth pcap` options.
#[derive(clap::Args)]
pub(crate) struct PcapArgs {
    /// The capture file (pcap or pcapng); `-` reads standard input.
    file: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
    /// The time to verify at, seconds since the epoch (default: each packet's own time).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::non_negative)]
    now: Option<i64>,
    /// Where the calling number comes from.
    #[arg(long, value_enum, default_value = "auto")]
    orig_from: OrigFrom,
    /// Where the called number comes from.
    #[arg(long, value_enum, default_value = "to")]
    dest_from: DestFrom,
}

/// What was seen, for the summary.
#[derive(Default)]
struct Stats {
    frames: u64,
    undecoded: u64,
    sip_requests: u64,
    with_identity: u64,
    malformed_sip: u64,
    tcp_resets: u64,
    values: u64,
    valid: u64,
    invalid: BTreeMap<String, u64>,
}

/// One reassembled SIP message and where it was completed.
struct Message<'a> {
    frame: u64,
    time: f64,
    bytes: &'a [u8],
}

/// A TCP direction: (source, source port, destination, destination port).
type FlowKey = (IpAddr, u16, IpAddr, u16);

/// One direction of a TCP connection.
struct Stream {
    /// The next sequence number expected, once known.
    next: Option<u32>,
    /// Bytes received in order, not yet a complete SIP message.
    buf: Vec<u8>,
    /// Segments received ahead of `next`, by sequence number.
    pending: BTreeMap<u32, Vec<u8>>,
    pending_len: usize,
    /// The frame it was last seen in (for eviction).
    seen: u64,
    /// Not SIP: its data is ignored.
    ignored: bool,
}

/// The reassembly state of a capture.
struct Reassembly {
    streams: HashMap<FlowKey, Stream>,
    defrag: etherparse::defrag::IpDefragPool<u64, ()>,
}

/// A SIP request, as far as this command needs it.
struct Request {
    method: String,
    ruri: String,
    /// (lower-case full name, value), folded lines joined, in order.
    headers: Vec<(String, String)>,
}

impl Request {
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn first<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.all(name).next()
    }
}

/// The full name of a compact-form header name (RFC 3261 §7.3.3, RFC 8224 §4).
fn full_name(n: &str) -> String {
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

/// Where a SIP message's header ends: the index after the blank line.
fn header_end(b: &[u8]) -> Option<usize> {
    let crlf = b.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = b.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether `b` starts like a SIP message (a request line or a status line).
fn looks_like_sip(b: &[u8]) -> bool {
    let line_end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    let line = b[..line_end].strip_suffix(b"\r").unwrap_or(&b[..line_end]);
    if line.starts_with(b"SIP/2.0 ") {
        return true;
    }
    if line_end == b.len() {
        // No full line yet: a method token so far (or nothing) may still be SIP.
        return line.len() < 256
            && line.iter().all(|c| c.is_ascii_graphic() || *c == b' ')
            && line.first().is_none_or(u8::is_ascii_uppercase);
    }
    line.ends_with(b" SIP/2.0")
        && line.first().is_some_and(u8::is_ascii_uppercase)
        && line
            .iter()
            .take_while(|c| **c != b' ')
            .all(u8::is_ascii_alphanumeric)
}

/// Parses a SIP message: `Ok(None)` for a response.
fn parse_sip(b: &[u8]) -> Result<Option<Request>, String> {
    let end = header_end(b).unwrap_or(b.len());
    let head = std::str::from_utf8(&b[..end]).map_err(|_| "header is not UTF-8".to_owned())?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("");
    if first.starts_with("SIP/2.0 ") {
        return Ok(None);
    }
    let mut parts = first.split(' ');
    let (Some(method), Some(ruri), Some("SIP/2.0"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a SIP request line".into());
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // A folded continuation line (RFC 3261 §7.3.1).
            let Some(last) = headers.last_mut() else {
                return Err("continuation line before any header".into());
            };
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!(
                "header line without a colon: {}",
                crate::out::quoted(line)
            ));
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
fn split_list(v: &str) -> Vec<&str> {
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
fn user_part(v: &str) -> Option<&str> {
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
fn number(v: &str) -> Option<(String, bool)> {
    let user = user_part(v)?;
    Some(match cliauth::Tn::parse(user) {
        Ok(t) => (t.into_string(), true),
        Err(_) => (user.to_owned(), false),
    })
}

fn orig_of(r: &Request, from: OrigFrom) -> Option<(String, bool)> {
    let pai = || {
        let all: Vec<_> = r.all("p-asserted-identity").flat_map(split_list).collect();
        // A tel URI or a sip URI with a telephone number, the first that is one.
        all.iter()
            .filter_map(|v| number(v))
            .find(|(_, tn)| *tn)
            .or_else(|| all.first().and_then(|v| number(v)))
    };
    let from_ = || r.first("from").and_then(number);
    match from {
        OrigFrom::Auto => pai().or_else(from_),
        OrigFrom::Pai => pai(),
        OrigFrom::From => from_(),
    }
}

fn dest_of(r: &Request, from: DestFrom) -> Option<(String, bool)> {
    match from {
        DestFrom::To => r.first("to").and_then(number),
        DestFrom::Ruri => number(&r.ruri),
    }
}

/// Runs `cliauth pcap`.
pub(crate) fn run(a: PcapArgs, out: &mut Out) -> Result<ExitCode, UsageError> {
    let name = a.file.display().to_string();
    let input: Box<dyn Read> = if a.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&a.file).map_err(|e| UsageError::input(format!("{name}: {e}")))?,
        )
    };
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let magic = {
        use std::io::BufRead;
        let b = input
            .fill_buf()
            .map_err(|e| UsageError::input(format!("{name}: {e}")))?;
        b.get(..4).map(|m| [m[0], m[1], m[2], m[3]])
    };
    let bad = |e: pcap_file::PcapError| UsageError::input(format!("{name}: not a capture: {e}"));
    // Set up now: a missing key or an unreadable key file is an error before any packet.
    // A --cert chain validated with --trust-anchor is validated again at the first
    // Identity value's packet time (unless --now is given).
    let mut setup = Some(verifier(&a.keys, a.now.unwrap_or_else(crate::now))?);
    if a.now.is_none() && a.keys.cert.is_some() && !a.keys.trust_anchor.is_empty() {
        setup = None;
    }
    let mut v = Verify {
        a: &a,
        setup,
        stats: Stats::default(),
        status: 0,
    };
    let mut re = Reassembly {
        streams: HashMap::new(),
        defrag: etherparse::defrag::IpDefragPool::new(),
    };
    let mut frame = 0u64;
    let mut each = |v: &mut Verify<'_>,
                    out: &mut Out,
                    link: DataLink,
                    ts: std::time::Duration,
                    data: &[u8]|
     -> Result<(), UsageError> {
        frame += 1;
        v.stats.frames += 1;
        let time = ts.as_secs() as f64 + f64::from(ts.subsec_micros()) / 1e6;
        re.frame(v, out, frame, time, link, data)
    };
    if magic == Some([0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r = pcap_file::pcapng::PcapNgReader::new(input).map_err(bad)?;
        // The link types of the section's interfaces, by interface number.
        let mut links: Vec<DataLink> = Vec::new();
        while let Some(block) = r.next_block() {
            if out.closed() {
                break;
            }
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    warn(format_args!(
                        "{name}: capture ends with an unreadable block: {e}"
                    ));
                    break;
                }
            };
            use pcap_file::pcapng::Block;
            match &block {
                Block::SectionHeader(_) => links.clear(),
                Block::InterfaceDescription(i) if links.len() < 1024 => links.push(i.linktype),
                Block::EnhancedPacket(p) => {
                    let link = links
                        .get(p.interface_id as usize)
                        .copied()
                        .unwrap_or(DataLink::ETHERNET);
                    each(&mut v, out, link, p.timestamp, &p.data)?;
                }
                Block::SimplePacket(p) => {
                    let link = links.first().copied().unwrap_or(DataLink::ETHERNET);
                    each(&mut v, out, link, std::time::Duration::ZERO, &p.data)?;
                }
                _ => {}
            }
        }
    } else {
        let mut r = pcap_file::pcap::PcapReader::new(input).map_err(bad)?;
        let link = r.header().datalink;
        while let Some(p) = r.next_packet() {
            if out.closed() {
                break;
            }
            let p = match p {
                Ok(p) => p,
                Err(e) => {
                    warn(format_args!(
                        "{name}: capture ends with an unreadable packet: {e}"
                    ));
                    break;
                }
            };
            each(&mut v, out, link, p.timestamp, &p.data)?;
        }
    }
    if std::io::stdout().is_terminal() {
        v.summary();
    }
    Ok(ExitCode::from(v.status))
}

impl Reassembly {
    fn frame(
        &mut self,
        v: &mut Verify<'_>,
        out: &mut Out,
        frame: u64,
        time: f64,
        link: DataLink,
        data: &[u8],
    ) -> Result<(), UsageError> {
        let sliced = match link {
            DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
            DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
            DataLink::NULL | DataLink::LOOP => match data.get(4..) {
                Some(d) => SlicedPacket::from_ip(d),
                None => {
                    v.stats.undecoded += 1;
                    return Ok(());
                }
            },
            _ => {
                v.stats.undecoded += 1;
                return Ok(());
            }
        };
        let Ok(p) = sliced else {
            v.stats.undecoded += 1;
            return Ok(());
        };
        let (src, dst) = match &p.net {
            Some(NetSlice::Ipv4(ip)) => (
                IpAddr::from(ip.header().source_addr()),
                IpAddr::from(ip.header().destination_addr()),
            ),
            Some(NetSlice::Ipv6(ip)) => (
                IpAddr::from(ip.header().source_addr()),
                IpAddr::from(ip.header().destination_addr()),
            ),
            _ => {
                v.stats.undecoded += 1;
                return Ok(());
            }
        };
        let fragmented = match &p.net {
            Some(NetSlice::Ipv4(ip)) => ip.payload().fragmented,
            Some(NetSlice::Ipv6(ip)) => ip.payload().fragmented,
            _ => false,
        };
        if fragmented {
            if frame.is_multiple_of(64) {
                self.defrag.retain(|first| first + FRAGMENT_WINDOW >= frame);
            }
            match self.defrag.process_sliced_packet(&p, frame, ()) {
                Ok(Some(whole)) if whole.ip_number == etherparse::IpNumber::UDP => {
                    if let Ok(udp) = etherparse::UdpSlice::from_slice(&whole.payload) {
                        self.udp(v, out, frame, time, udp.payload())?;
                    } else {
                        v.stats.undecoded += 1;
                    }
                }
                // TCP over IP fragments: not followed (TCP segments fit the path MTU).
                Ok(_) => {}
                Err(_) => v.stats.undecoded += 1,
            }
            return Ok(());
        }
        match &p.transport {
            Some(TransportSlice::Udp(u)) => self.udp(v, out, frame, time, u.payload()),
            Some(TransportSlice::Tcp(t)) => {
                let key = (src, t.source_port(), dst, t.destination_port());
                self.tcp(v, out, frame, time, key, t)
            }
            _ => Ok(()),
        }
    }

    fn udp(
        &mut self,
        v: &mut Verify<'_>,
        out: &mut Out,
        frame: u64,
        time: f64,
        payload: &[u8],
    ) -> Result<(), UsageError> {
        let payload = payload.trim_ascii_start();
        if payload.is_empty() || !looks_like_sip(payload) {
            return Ok(());
        }
        v.message(
            out,
            Message {
                frame,
                time,
                bytes: payload,
            },
        )
    }

    fn tcp(
        &mut self,
        v: &mut Verify<'_>,
        out: &mut Out,
        frame: u64,
        time: f64,
        key: FlowKey,
        t: &etherparse::TcpSlice<'_>,
    ) -> Result<(), UsageError> {
        let closing = t.fin() || t.rst();
        if !self.streams.contains_key(&key) {
            if t.payload().is_empty() && !t.syn() {
                return Ok(());
            }
            if self.streams.len() >= MAX_TCP_STREAMS {
                // Drop the least recently seen direction.
                if let Some(old) = self
                    .streams
                    .iter()
                    .min_by_key(|(_, s)| s.seen)
                    .map(|(k, _)| *k)
                {
                    self.streams.remove(&old);
                    v.stats.tcp_resets += 1;
                }
            }
            self.streams.insert(
                key,
                Stream {
                    next: None,
                    buf: Vec::new(),
                    pending: BTreeMap::new(),
                    pending_len: 0,
                    seen: frame,
                    ignored: false,
                },
            );
        }
        let Some(s) = self.streams.get_mut(&key) else {
            return Ok(());
        };
        s.seen = frame;
        let seq = t.sequence_number();
        if t.syn() {
            s.next = Some(seq.wrapping_add(1));
            s.buf.clear();
            s.pending.clear();
            s.pending_len = 0;
            s.ignored = false;
        }
        let data = t.payload();
        if !data.is_empty() && !s.ignored {
            let next = *s.next.get_or_insert(seq);
            let ahead = seq.wrapping_sub(next) as i32;
            if ahead <= 0 {
                // In order, or a retransmission overlapping what was received.
                let skip = ahead.unsigned_abs() as usize;
                if skip < data.len() {
                    s.buf.extend_from_slice(&data[skip..]);
                    s.next = Some(seq.wrapping_add(data.len() as u32));
                }
                // Segments that were waiting for this one.
                while let Some((&pseq, _)) = s.pending.first_key_value() {
                    let next = s.next.unwrap_or(pseq);
                    let ahead = pseq.wrapping_sub(next) as i32;
                    if ahead > 0 {
                        break;
                    }
                    let Some(seg) = s.pending.remove(&pseq) else {
                        break;
                    };
                    s.pending_len -= seg.len();
                    let skip = ahead.unsigned_abs() as usize;
                    if skip < seg.len() {
                        s.buf.extend_from_slice(&seg[skip..]);
                        s.next = Some(pseq.wrapping_add(seg.len() as u32));
                    }
                }
            } else if s.pending_len + data.len() <= MAX_TCP_PENDING {
                s.pending_len += data.len();
                s.pending.insert(seq, data.to_vec());
            } else {
                // A gap that does not fill: skip it, start again at this segment.
                s.buf.clear();
                s.pending.clear();
                s.pending_len = 0;
                s.buf.extend_from_slice(data);
                s.next = Some(seq.wrapping_add(data.len() as u32));
                v.stats.tcp_resets += 1;
            }
            let mut s_taken = std::mem::take(&mut s.buf);
            let r = Self::messages(v, out, frame, time, &mut s_taken, &mut s.ignored);
            if let Some(s) = self.streams.get_mut(&key) {
                s.buf = s_taken;
            }
            r?;
        }
        if closing {
            self.streams.remove(&key);
        }
        Ok(())
    }

    /// Takes the complete SIP messages off the front of a stream's buffer.
    fn messages(
        v: &mut Verify<'_>,
        out: &mut Out,
        frame: u64,
        time: f64,
        buf: &mut Vec<u8>,
        ignored: &mut bool,
    ) -> Result<(), UsageError> {
        loop {
            // Keep-alives (RFC 5626: CRLF) between messages.
            let lead = buf.iter().take_while(|c| c.is_ascii_whitespace()).count();
            buf.drain(..lead);
            if buf.is_empty() {
                return Ok(());
            }
            if !looks_like_sip(buf) {
                *ignored = true;
                buf.clear();
                return Ok(());
            }
            let Some(end) = header_end(&buf[..buf.len().min(MAX_SIP_MESSAGE)]) else {
                if buf.len() > MAX_SIP_MESSAGE {
                    v.stats.tcp_resets += 1;
                    v.stats.malformed_sip += 1;
                    buf.clear();
                }
                return Ok(());
            };
            let head = String::from_utf8_lossy(&buf[..end]);
            let mut len = 0usize;
            for line in head.split('\n') {
                if let Some((n, val)) = line.split_once(':')
                    && full_name(n.trim()) == "content-length"
                {
                    len = match val.trim().parse::<usize>() {
                        Ok(l) => l,
                        Err(_) => usize::MAX,
                    };
                }
            }
            if len > MAX_SIP_MESSAGE || end + len > MAX_SIP_MESSAGE {
                v.stats.malformed_sip += 1;
                v.stats.tcp_resets += 1;
                buf.clear();
                return Ok(());
            }
            if buf.len() < end + len {
                return Ok(());
            }
            let msg: Vec<u8> = buf.drain(..end + len).collect();
            v.message(
                out,
                Message {
                    frame,
                    time,
                    bytes: &msg,
                },
            )?;
        }
    }
}

/// The verification side: the verifier (set up at the first Identity value) and the
/// results so far.
struct Verify<'a> {
    a: &'a PcapArgs,
    setup: Option<Setup>,
    stats: Stats,
    status: u8,
}

impl Verify<'_> {
    fn message(&mut self, out: &mut Out, m: Message<'_>) -> Result<(), UsageError> {
        let req = match parse_sip(m.bytes) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(_) => {
                self.stats.malformed_sip += 1;
                return Ok(());
            }
        };
        self.stats.sip_requests += 1;
        if req.first("identity").is_none() {
            return Ok(());
        }
        self.stats.with_identity += 1;
        let now = self.a.now.unwrap_or(m.time as i64);
        if self.setup.is_none() {
            self.setup = Some(verifier(&self.a.keys, now)?);
        }
        let Some(setup) = &self.setup else {
            return Ok(());
        };
        let orig = orig_of(&req, self.a.orig_from);
        let dest = dest_of(&req, self.a.dest_from);
        let call = CallData {
            orig: orig.as_ref().filter(|(_, tn)| *tn).map(|(n, _)| n.as_str()),
            dest: dest.as_ref().filter(|(_, tn)| *tn).map(|(n, _)| n.as_str()),
            iat: None,
            attest: None,
            origid: None,
            call_id: None,
            batch: true,
        };
        let call_id = req.first("call-id").map(str::to_owned);
        let mut index = 0u64;
        for value in req.all("identity") {
            let results = match verify_all(setup, value, &call, now) {
                Ok(r) => r.iter().map(result_json).collect::<Vec<_>>(),
                // A compact-form value: the request does not carry what rebuilds it.
                Err(e) => vec![json!({
                    "valid": false,
                    "sip_code": 438,
                    "reason": "Invalid Identity Header",
                    "error": e.msg,
                    "kind": "compact",
                    "verstat": "No-TN-Validation",
                })],
            };
            for mut r in results {
                self.stats.values += 1;
                if r["valid"] == Value::Bool(true) {
                    self.stats.valid += 1;
                } else {
                    self.status = 1;
                    let k = format!("{} {}", r["sip_code"], r["kind"].as_str().unwrap_or(""));
                    *self.stats.invalid.entry(k).or_default() += 1;
                }
                r["frame"] = json!(m.frame);
                r["time"] = json!(m.time);
                r["call_id"] = json!(call_id);
                r["method"] = json!(req.method);
                r["index"] = json!(index);
                r["orig"] = json!(orig.as_ref().map(|(n, _)| n));
                r["dest"] = json!(dest.as_ref().map(|(n, _)| vec![n]).unwrap_or_default());
                index += 1;
                out.line(r)?;
            }
        }
        Ok(())
    }

    fn summary(&self) {
        let s = &self.stats;
        let mut t = String::new();
        let mut row = |k: &str, n: u64| t.push_str(&format!("  {k:<32} {n:>10}\n"));
        row("frames", s.frames);
        row("frames not decoded", s.undecoded);
        row("SIP requests", s.sip_requests);
        row("  with Identity", s.with_identity);
        row("malformed SIP messages", s.malformed_sip);
        row("TCP streams reset or dropped", s.tcp_resets);
        row("Identity values", s.values);
        row("  valid", s.valid);
        for (k, n) in &s.invalid {
            row(&format!("  invalid {k}"), *n);
        }
        warn(format_args!("summary\n{}", t.trim_end()));
    }
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
        assert!(parse_sip(b"GARBAGE\r\n\r\n").is_err());
        assert!(parse_sip(b" x\r\n").is_err());
        assert!(parse_sip(b"SIP/2.0 200 OK\r\n\r\n").unwrap().is_none());
        let r = parse_sip(b"INVITE sip:1@h SIP/2.0\r\ny: a,\r\n b\r\ni: c\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(r.first("identity"), Some("a, b"));
        assert_eq!(r.first("call-id"), Some("c"));
        assert!(looks_like_sip(b"INV"));
        assert!(!looks_like_sip(b"\x16\x03\x01"));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
    }
}
