//! The capture side of `cliauth pcap`: reading a pcap or pcapng file one frame at a time
//! (`pcap-file`), slicing frames (`etherparse`: Ethernet, Linux cooked capture, raw IP, BSD
//! loopback; IPv4 and IPv6; UDP and TCP), reassembling IP fragments (etherparse's
//! defragmenter) and TCP byte streams (per direction, here), and cutting the streams into
//! SIP messages by their `Content-Length` ([`crate::sip`]).
//!
//! Everything is bounded: pcap-file reads through a fixed 8 MB buffer (a larger packet or
//! block ends the capture as [`End::Truncated`]), and the reassembly holds at most
//! [`MAX_TCP_STREAMS`] streams of at most [`MAX_SIP_MESSAGE`] bytes plus
//! [`MAX_TCP_PENDING`] out-of-order bytes each, and the fragments of the last
//! [`FRAGMENT_WINDOW`] frames. A hostile capture costs a fixed amount of memory and never
//! panics.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
pub use pcap_file::DataLink;

pub use crate::sip::MAX_SIP_MESSAGE;
use crate::sip::{content_length, header_end, looks_like_sip};

/// TCP streams (one per direction) followed at once; the least recently seen is dropped
/// when a new one would exceed this.
pub const MAX_TCP_STREAMS: usize = 4096;
/// Bytes of out-of-order TCP segments held per stream (waiting for a missing segment);
/// past this the stream skips the gap.
pub const MAX_TCP_PENDING: usize = 64 * 1024;
/// Frames within which the fragments of one IP datagram must arrive (counted from its
/// first fragment); older incomplete datagrams are dropped.
pub const FRAGMENT_WINDOW: u64 = 256;
/// Interfaces of a pcapng section whose link types are remembered; packets of later
/// interfaces are read as Ethernet.
pub const MAX_INTERFACES: usize = 1024;

/// One captured frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Its number in the capture, from 1.
    pub number: u64,
    /// Its capture time since the epoch (zero for a pcapng Simple Packet Block).
    pub time: Duration,
    /// The link type of its interface.
    pub link: DataLink,
    /// The captured bytes.
    pub data: &'a [u8],
}

/// A capture that cannot be read at all.
#[derive(Debug)]
#[non_exhaustive]
pub enum CaptureError {
    /// The input could not be read.
    Io(std::io::Error),
    /// The input does not start with a pcap or pcapng header.
    NotACapture(pcap_file::PcapError),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io(e) => write!(f, "{e}"),
            CaptureError::NotACapture(e) => write!(f, "not a capture: {e}"),
        }
    }
}

impl std::error::Error for CaptureError {}

/// How reading a capture ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// At the end of the input.
    Complete,
    /// The callback asked to stop.
    Stopped,
    /// At a packet or block that could not be read (truncated, malformed, or larger than
    /// pcap-file's 8 MB buffer); the reason is given. Frames before it were delivered.
    Truncated(String),
}

/// Reads a pcap or pcapng capture (told apart by its first four bytes) and hands every
/// packet to `each`, in order, until the input ends, a packet cannot be read, or `each`
/// returns `Break`.
pub fn read_frames<R: Read>(
    input: R,
    mut each: impl FnMut(Frame<'_>) -> ControlFlow<()>,
) -> Result<End, CaptureError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let magic = {
        let b = input.fill_buf().map_err(CaptureError::Io)?;
        b.get(..4).map(|m| [m[0], m[1], m[2], m[3]])
    };
    let mut number = 0u64;
    if magic == Some([0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r =
            pcap_file::pcapng::PcapNgReader::new(input).map_err(CaptureError::NotACapture)?;
        // The link types of the section's interfaces, by interface number.
        let mut links: Vec<DataLink> = Vec::new();
        while let Some(block) = r.next_block() {
            let block = match block {
                Ok(b) => b,
                Err(e) => return Ok(End::Truncated(e.to_string())),
            };
            use pcap_file::pcapng::Block;
            let (link, time, data) = match &block {
                Block::SectionHeader(_) => {
                    links.clear();
                    continue;
                }
                Block::InterfaceDescription(i) => {
                    if links.len() < MAX_INTERFACES {
                        links.push(i.linktype);
                    }
                    continue;
                }
                Block::EnhancedPacket(p) => (
                    links
                        .get(p.interface_id as usize)
                        .copied()
                        .unwrap_or(DataLink::ETHERNET),
                    p.timestamp,
                    &p.data[..],
                ),
                Block::SimplePacket(p) => (
                    links.first().copied().unwrap_or(DataLink::ETHERNET),
                    Duration::ZERO,
                    &p.data[..],
                ),
                _ => continue,
            };
            number += 1;
            let frame = Frame {
                number,
                time,
                link,
                data,
            };
            if each(frame).is_break() {
                return Ok(End::Stopped);
            }
        }
    } else {
        let mut r = pcap_file::pcap::PcapReader::new(input).map_err(CaptureError::NotACapture)?;
        let link = r.header().datalink;
        while let Some(p) = r.next_packet() {
            let p = match p {
                Ok(p) => p,
                Err(e) => return Ok(End::Truncated(e.to_string())),
            };
            number += 1;
            let frame = Frame {
                number,
                time: p.timestamp,
                link,
                data: &p.data,
            };
            if each(frame).is_break() {
                return Ok(End::Stopped);
            }
        }
    }
    Ok(End::Complete)
}

/// One complete SIP message (a UDP payload, or cut from a TCP stream) and the frame that
/// completed it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The number of the frame that completed it.
    pub frame: u64,
    /// That frame's time.
    pub time: Duration,
    /// The message (header and body), at most [`MAX_SIP_MESSAGE`] bytes.
    pub bytes: &'a [u8],
}

/// What the reassembly could not use, for a summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Frames that are not IP over a known link type, or whose headers do not slice.
    pub undecoded: u64,
    /// SIP messages in a TCP stream that were too large or announced a bad length.
    pub malformed_sip: u64,
    /// TCP streams dropped (too many at once), reset past a message that was too large,
    /// or made to skip a gap that did not fill.
    pub tcp_resets: u64,
}

/// A TCP direction: (source, source port, destination, destination port).
type FlowKey = (IpAddr, u16, IpAddr, u16);

/// One direction of a TCP connection.
struct Stream {
    /// The next sequence number expected, once known.
    next: Option<u32>,
    /// Bytes received in order, not yet a complete SIP message.
    buf: Vec<u8>,
    /// How much of `buf` is known to hold no end of header (so a stream fed one byte at a
    /// time is not searched again from its start each time).
    scanned: usize,
    /// The length of the message at the front of `buf` once its header is complete (0:
    /// not known yet).
    need: usize,
    /// Segments received ahead of `next`, by sequence number.
    pending: BTreeMap<u32, Vec<u8>>,
    pending_len: usize,
    /// The frame it was last seen in (for eviction).
    seen: u64,
    /// Not SIP: its data is ignored.
    ignored: bool,
}

/// The reassembly state of a capture: feed it every frame with [`Reassembly::frame`].
pub struct Reassembly {
    streams: HashMap<FlowKey, Stream>,
    defrag: etherparse::defrag::IpDefragPool<u64, ()>,
    counters: Counters,
}

impl Default for Reassembly {
    fn default() -> Self {
        Self::new()
    }
}

impl Reassembly {
    /// An empty state.
    pub fn new() -> Self {
        Reassembly {
            streams: HashMap::new(),
            defrag: etherparse::defrag::IpDefragPool::new(),
            counters: Counters::default(),
        }
    }

    /// What could not be used so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// TCP streams followed now (at most [`MAX_TCP_STREAMS`]).
    pub fn streams(&self) -> usize {
        self.streams.len()
    }

    /// Bytes held for TCP streams now (in-order bytes not yet a message, and out-of-order
    /// segments).
    pub fn held_bytes(&self) -> usize {
        self.streams
            .values()
            .map(|s| s.buf.len() + s.pending_len)
            .sum()
    }

    /// Takes one frame: hands each SIP message it completes to `on_message`, and stops at
    /// the first error `on_message` returns.
    pub fn frame<E>(
        &mut self,
        f: &Frame<'_>,
        on_message: &mut dyn FnMut(Message<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let data = f.data;
        let sliced = match f.link {
            DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
            DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
            DataLink::NULL | DataLink::LOOP => match data.get(4..) {
                Some(d) => SlicedPacket::from_ip(d),
                None => {
                    self.counters.undecoded += 1;
                    return Ok(());
                }
            },
            _ => {
                self.counters.undecoded += 1;
                return Ok(());
            }
        };
        let Ok(p) = sliced else {
            self.counters.undecoded += 1;
            return Ok(());
        };
        let (src, dst, fragmented) = match &p.net {
            Some(NetSlice::Ipv4(ip)) => (
                IpAddr::from(ip.header().source_addr()),
                IpAddr::from(ip.header().destination_addr()),
                ip.payload().fragmented,
            ),
            Some(NetSlice::Ipv6(ip)) => (
                IpAddr::from(ip.header().source_addr()),
                IpAddr::from(ip.header().destination_addr()),
                ip.payload().fragmented,
            ),
            _ => {
                self.counters.undecoded += 1;
                return Ok(());
            }
        };
        let (frame, time) = (f.number, f.time);
        if fragmented {
            if frame.is_multiple_of(64) {
                self.defrag.retain(|first| first + FRAGMENT_WINDOW >= frame);
            }
            match self.defrag.process_sliced_packet(&p, frame, ()) {
                Ok(Some(whole)) if whole.ip_number == etherparse::IpNumber::UDP => {
                    if let Ok(udp) = etherparse::UdpSlice::from_slice(&whole.payload) {
                        Self::udp(frame, time, udp.payload(), on_message)?;
                    } else {
                        self.counters.undecoded += 1;
                    }
                }
                // TCP over IP fragments: not followed (TCP segments fit the path MTU).
                Ok(_) => {}
                Err(_) => self.counters.undecoded += 1,
            }
            return Ok(());
        }
        match &p.transport {
            Some(TransportSlice::Udp(u)) => Self::udp(frame, time, u.payload(), on_message),
            Some(TransportSlice::Tcp(t)) => {
                let key = (src, t.source_port(), dst, t.destination_port());
                self.tcp(frame, time, key, t, on_message)
            }
            _ => Ok(()),
        }
    }

    fn udp<E>(
        frame: u64,
        time: Duration,
        payload: &[u8],
        on_message: &mut dyn FnMut(Message<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let payload = payload.trim_ascii_start();
        if payload.is_empty() || payload.len() > MAX_SIP_MESSAGE || !looks_like_sip(payload) {
            return Ok(());
        }
        on_message(Message {
            frame,
            time,
            bytes: payload,
        })
    }

    fn tcp<E>(
        &mut self,
        frame: u64,
        time: Duration,
        key: FlowKey,
        t: &etherparse::TcpSlice<'_>,
        on_message: &mut dyn FnMut(Message<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
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
                    self.counters.tcp_resets += 1;
                }
            }
            self.streams.insert(
                key,
                Stream {
                    next: None,
                    buf: Vec::new(),
                    scanned: 0,
                    need: 0,
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
            s.scanned = 0;
            s.need = 0;
            s.pending.clear();
            s.pending_len = 0;
            s.ignored = false;
        }
        let data = t.payload();
        let mut result = Ok(());
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
                if let Some(old) = s.pending.insert(seq, data.to_vec()) {
                    s.pending_len -= old.len();
                }
            } else {
                // A gap that does not fill: skip it, start again at this segment.
                s.buf.clear();
                s.scanned = 0;
                s.need = 0;
                s.pending.clear();
                s.pending_len = 0;
                s.buf.extend_from_slice(data);
                s.next = Some(seq.wrapping_add(data.len() as u32));
                self.counters.tcp_resets += 1;
            }
            result = Self::messages(&mut self.counters, frame, time, s, on_message);
        }
        if closing {
            self.streams.remove(&key);
        }
        result
    }

    /// Takes the complete SIP messages off the front of a stream's buffer.
    fn messages<E>(
        counters: &mut Counters,
        frame: u64,
        time: Duration,
        s: &mut Stream,
        on_message: &mut dyn FnMut(Message<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        loop {
            // Keep-alives (RFC 5626: CRLF) between messages.
            let lead = s.buf.iter().take_while(|c| c.is_ascii_whitespace()).count();
            if lead > 0 {
                s.buf.drain(..lead);
                s.scanned = 0;
            }
            if s.buf.is_empty() {
                return Ok(());
            }
            if !looks_like_sip(&s.buf) {
                s.ignored = true;
                s.buf = Vec::new();
                s.scanned = 0;
                s.need = 0;
                return Ok(());
            }
            if s.need == 0 {
                let window = s.buf.len().min(MAX_SIP_MESSAGE);
                // Resume the search a few bytes before where the last one stopped (the
                // blank line may straddle the old end).
                let from = s.scanned.saturating_sub(3).min(window);
                let Some(end) = header_end(&s.buf[from..window]).map(|e| e + from) else {
                    if s.buf.len() > MAX_SIP_MESSAGE {
                        counters.tcp_resets += 1;
                        counters.malformed_sip += 1;
                        s.buf = Vec::new();
                        s.scanned = 0;
                    } else {
                        s.scanned = window;
                    }
                    return Ok(());
                };
                let len = content_length(&s.buf[..end]);
                if len > MAX_SIP_MESSAGE || end + len > MAX_SIP_MESSAGE {
                    counters.malformed_sip += 1;
                    counters.tcp_resets += 1;
                    s.buf = Vec::new();
                    s.scanned = 0;
                    return Ok(());
                }
                s.need = end + len;
            }
            if s.buf.len() < s.need {
                // The header is complete, the body is not yet.
                return Ok(());
            }
            let msg: Vec<u8> = s.buf.drain(..s.need).collect();
            s.scanned = 0;
            s.need = 0;
            on_message(Message {
                frame,
                time,
                bytes: &msg,
            })?;
        }
    }
}
