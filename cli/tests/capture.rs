//! The capture and SIP parsers behind `cliauth pcap` (`cliauth_cli::capture`,
//! `cliauth_cli::sip`) on bad input: a wrong magic number, captures cut at every byte,
//! packets and blocks that claim gigabytes, SIP messages over the size limit, absurd TCP
//! sequence gaps — each gives a typed answer, bounded memory, and the good data around it
//! is still found. Also the regression tests of what fuzzing found, and the generator of
//! the fuzz seeds (`regenerate_fuzz_seeds`, ignored).

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use cliauth_cli::capture::{
    self, CaptureError, End, MAX_SIP_MESSAGE, MAX_TCP_PENDING, Reassembly, read_frames,
};
use cliauth_cli::sip::{self, DestFrom, OrigFrom, SipError};
use etherparse::PacketBuilder;
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;

const A: [u8; 4] = [192, 0, 2, 1];
const B: [u8; 4] = [192, 0, 2, 2];

fn invite(n: u32, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "INVITE sip:+1303555{n:04}@b.example;user=phone SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK{n}\r\n\
         From: <sip:+1215555{n:04}@a.example>;tag={n}\r\n\
         To: <sip:+1303555{n:04}@b.example>\r\n\
         Call-ID: call-{n}\r\nCSeq: 1 INVITE\r\n\
         Identity: tok{n};info=<https://cert.example.net/sp.pem>;alg=ES256;ppt=shaken\r\n\
         {extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn udp(payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(A, B, 64)
        .udp(5060, 5060);
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn tcp(port: u16, seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(A, B, 64)
        .tcp(port, 5060, seq, 65535);
    if syn {
        b = b.syn();
    }
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut w = PcapWriter::with_header(
        Vec::new(),
        PcapHeader {
            datalink: DataLink::ETHERNET,
            ..PcapHeader::default()
        },
    )
    .unwrap();
    for (i, f) in frames.iter().enumerate() {
        let t = Duration::from_secs(1_700_000_005 + i as u64);
        w.write_packet(&PcapPacket::new(t, f.len() as u32, f))
            .unwrap();
    }
    w.into_writer()
}

fn pcapng(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 65535,
        options: vec![],
    })
    .unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_secs(1_700_000_005 + i as u64),
            original_len: f.len() as u32,
            data: Cow::Borrowed(f),
            options: vec![],
        })
        .unwrap();
    }
    w.into_inner()
}

/// Reads a capture: how it ended, the frames seen, the SIP messages, the counters.
struct Read {
    end: Result<End, CaptureError>,
    frames: u64,
    messages: Vec<Vec<u8>>,
    counters: capture::Counters,
    max_held: usize,
}

fn read(bytes: &[u8]) -> Read {
    let mut re = Reassembly::new();
    let mut frames = 0;
    let mut messages = Vec::new();
    let mut max_held = 0;
    let end = read_frames(bytes, |f| {
        frames += 1;
        re.frame::<()>(&f, &mut |m| {
            messages.push(m.bytes.to_vec());
            Ok(())
        })
        .unwrap();
        max_held = max_held.max(re.held_bytes());
        ControlFlow::Continue(())
    });
    Read {
        end,
        frames,
        messages,
        counters: re.counters(),
        max_held,
    }
}

fn call_ids(r: &Read) -> Vec<String> {
    r.messages
        .iter()
        .filter_map(|m| sip::parse(m).ok().flatten())
        .filter_map(|r| r.first("call-id").map(str::to_owned))
        .collect()
}

#[test]
fn bad_magic_is_not_a_capture() {
    for bytes in [
        &b""[..],
        b"\xd4\xc3",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        &[0u8; 64],
        // pcapng's block type, then a section header with a wrong byte-order magic.
        b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00",
    ] {
        let r = read(bytes);
        assert!(
            matches!(r.end, Err(CaptureError::NotACapture(_))),
            "{bytes:?}: {:?}",
            r.end
        );
        assert_eq!(r.frames, 0);
    }
}

#[test]
fn truncated_captures_stop_at_the_cut_with_what_came_before() {
    let frames: Vec<Vec<u8>> = (0..3).map(|n| udp(&invite(n, "", ""))).collect();
    for (kind, whole) in [("pcap", pcap(&frames)), ("pcapng", pcapng(&frames))] {
        let full = read(&whole);
        assert_eq!(full.end.as_ref().unwrap(), &End::Complete, "{kind}");
        assert_eq!(call_ids(&full), ["call-0", "call-1", "call-2"], "{kind}");
        // Where the file header and each frame's record end in the file.
        let mut ends = vec![
            if kind == "pcap" {
                pcap(&[])
            } else {
                pcapng(&[])
            }
            .len(),
        ];
        for n in 1..=3 {
            let f = read(&if kind == "pcap" {
                pcap(&frames[..n])
            } else {
                pcapng(&frames[..n])
            });
            assert_eq!(f.frames, n as u64);
            ends.push(
                if kind == "pcap" {
                    pcap(&frames[..n])
                } else {
                    pcapng(&frames[..n])
                }
                .len(),
            );
        }
        for cut in 0..whole.len() {
            let r = read(&whole[..cut]);
            let complete = ends[1..].iter().filter(|&&e| e <= cut).count();
            match &r.end {
                Err(CaptureError::NotACapture(_)) => {
                    assert!(cut < 32, "{kind} cut {cut}: {:?}", r.end)
                }
                Ok(End::Complete) => {
                    // At a record's end (pcapng: also after the 28-byte section header).
                    assert!(
                        ends.contains(&cut) || (kind == "pcapng" && cut == 28),
                        "{kind} cut {cut}"
                    )
                }
                Ok(End::Truncated(_)) => assert!(!ends.contains(&cut), "{kind} cut {cut}"),
                other => panic!("{kind} cut {cut}: {other:?}"),
            }
            assert_eq!(r.frames, complete as u64, "{kind} cut {cut}");
            assert_eq!(call_ids(&r).len(), complete, "{kind} cut {cut}");
        }
    }
}

#[test]
fn packets_and_blocks_that_claim_gigabytes_end_the_capture_quickly() {
    let good = pcap(&[udp(&invite(1, "", ""))]);
    // A second packet record claiming 2 GiB (snaplen 4 GiB - 1), followed by 100 bytes.
    let mut header = good[..24].to_vec();
    header[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    for incl in [0x7fff_ffffu32, u32::MAX, 9_000_000] {
        let mut bytes = header.clone();
        bytes.extend_from_slice(&good[24..]);
        bytes.extend_from_slice(&1_700_000_006u32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&incl.to_le_bytes());
        bytes.extend_from_slice(&incl.to_le_bytes());
        bytes.extend_from_slice(&[0x55; 100]);
        let t = Instant::now();
        let r = read(&bytes);
        assert!(
            matches!(r.end, Ok(End::Truncated(_))),
            "incl_len {incl}: {:?}",
            r.end
        );
        assert_eq!(call_ids(&r), ["call-1"]);
        assert!(t.elapsed() < Duration::from_secs(2));
    }
    // A packet longer than the header's snaplen is read all the same (pcap-file does not
    // hold a packet to the snaplen; its 8 MB buffer is the limit that counts).
    let mut bytes = good.clone();
    bytes[16..20].copy_from_slice(&100u32.to_le_bytes());
    let r = read(&bytes);
    assert_eq!(r.end.as_ref().unwrap(), &End::Complete);
    assert_eq!(call_ids(&r), ["call-1"]);
    // A pcapng block claiming 4 GiB.
    let good = pcapng(&[udp(&invite(2, "", ""))]);
    let mut bytes = good.clone();
    bytes.extend_from_slice(&6u32.to_le_bytes());
    bytes.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    bytes.extend_from_slice(&[0x55; 100]);
    let r = read(&bytes);
    assert!(matches!(r.end, Ok(End::Truncated(_))), "{:?}", r.end);
    assert_eq!(call_ids(&r), ["call-2"]);
}

#[test]
fn oversize_sip_messages_are_refused_and_the_next_call_is_found() {
    assert_eq!(
        sip::parse(&vec![b'I'; MAX_SIP_MESSAGE + 1]),
        Err(SipError::TooLarge(MAX_SIP_MESSAGE + 1))
    );
    // Over TCP: a Content-Length beyond the limit, a non-number, and a header without an
    // end longer than the limit (in 1000-byte segments); each resets its stream, and a
    // call on a new connection afterwards is still found.
    let mut frames = Vec::new();
    let bad_len = String::from_utf8(invite(1, "", ""))
        .unwrap()
        .replace("Content-Length: 0", "Content-Length: 70000")
        .into_bytes();
    frames.push(tcp(40001, 1, true, &[]));
    frames.push(tcp(40001, 2, false, &bad_len));
    let nan = String::from_utf8(invite(2, "", ""))
        .unwrap()
        .replace("Content-Length: 0", "Content-Length: 1e9")
        .into_bytes();
    frames.push(tcp(40002, 1, true, &[]));
    frames.push(tcp(40002, 2, false, &nan));
    let mut endless = b"INVITE sip:x@y SIP/2.0\r\n".to_vec();
    while endless.len() < MAX_SIP_MESSAGE + 5000 {
        endless.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    frames.push(tcp(40003, 1, true, &[]));
    let mut seq = 2u32;
    for chunk in endless.chunks(1000) {
        frames.push(tcp(40003, seq, false, chunk));
        seq += chunk.len() as u32;
    }
    frames.push(tcp(40004, 1, true, &[]));
    frames.push(tcp(40004, 2, false, &invite(4, "", "")));
    let r = read(&pcap(&frames));
    assert_eq!(call_ids(&r), ["call-4"]);
    assert_eq!(r.counters.malformed_sip, 3, "{:?}", r.counters);
    assert!(r.counters.tcp_resets >= 3, "{:?}", r.counters);
    assert!(r.max_held <= MAX_SIP_MESSAGE + 1000, "{}", r.max_held);
}

#[test]
fn absurd_tcp_sequence_gaps_stay_bounded() {
    let msg = invite(7, "", "");
    let (head, tail) = msg.split_at(100);
    let isn = 0xffff_ff00u32;
    let mut frames = vec![
        tcp(40010, isn, true, &[]),
        tcp(40010, isn.wrapping_add(1), false, head),
    ];
    let next = isn.wrapping_add(1 + head.len() as u32);
    // Half the sequence space ahead and behind, and just behind (a stale retransmission).
    frames.push(tcp(40010, next.wrapping_add(0x7fff_ffff), false, b"AHEAD"));
    frames.push(tcp(40010, next.wrapping_add(0x8000_0000), false, b"BEHIND"));
    frames.push(tcp(40010, next.wrapping_sub(50), false, &[b'Z'; 50]));
    frames.push(tcp(40010, next, false, tail));
    // A gap that never fills: 100 segments of 1000 bytes far ahead (more than
    // MAX_TCP_PENDING): the stream skips the gap and starts again at a segment.
    let far = next.wrapping_add(tail.len() as u32).wrapping_add(1_000_000);
    for i in 0..100u32 {
        frames.push(tcp(40010, far.wrapping_add(i * 1000), false, &[b' '; 1000]));
    }
    // After the skip the stream goes on from the segment it restarted at.
    let r = read(&pcap(&frames));
    assert_eq!(call_ids(&r), ["call-7"]);
    assert!(r.counters.tcp_resets >= 1, "{:?}", r.counters);
    assert!(
        r.max_held <= MAX_TCP_PENDING + MAX_SIP_MESSAGE,
        "{}",
        r.max_held
    );
    // The whole INVITE arrived intact despite the junk around it.
    assert_eq!(r.messages, std::slice::from_ref(&msg));

    // Restarting after the skip: a call that follows the gap is found.
    let mut frames = vec![tcp(40011, 10, true, &[])];
    let far = 1_000_000u32;
    let mut seq = far;
    for _ in 0..70 {
        frames.push(tcp(40011, seq, false, &[b'\r'; 1000]));
        seq += 1000;
    }
    let next_call = invite(8, "", "");
    frames.push(tcp(40011, seq, false, &next_call));
    let r = read(&pcap(&frames));
    assert!(r.counters.tcp_resets >= 1);
    assert_eq!(call_ids(&r), ["call-8"]);
}

#[test]
fn a_request_line_split_after_256_bytes_is_still_sip() {
    // Found while writing the sip_message fuzz target: the first-line check refused an
    // incomplete line of 256 bytes or more, so a long Request-URI split across TCP
    // segments made the stream "not SIP", while the same bytes in one segment were read.
    let long_user = "1".repeat(300);
    let msg = format!(
        "INVITE sip:{long_user}@b.example SIP/2.0\r\nCall-ID: long\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes();
    assert!(sip::looks_like_sip(&msg));
    for i in 0..msg.len() {
        assert!(sip::looks_like_sip(&msg[..i]), "prefix {i}");
    }
    let frames = vec![
        tcp(40020, 1, true, &[]),
        tcp(40020, 2, false, &msg[..280]),
        tcp(40020, 282, false, &msg[280..]),
    ];
    let r = read(&pcap(&frames));
    assert_eq!(call_ids(&r), ["long"]);
    // A partial status line is SIP too, and a first line over the limit is not.
    assert!(sip::looks_like_sip(b"SIP/"));
    let huge = format!(
        "INVITE sip:{}@b SIP/2.0\r\n",
        "1".repeat(sip::MAX_FIRST_LINE)
    );
    assert!(!sip::looks_like_sip(huge.as_bytes()));
}

#[test]
fn numbers_follow_the_rfc_8224_rules() {
    let msg = invite(
        3,
        "P-Asserted-Identity: <sip:alice@a.example>, <tel:+1-215-555-7777>\r\n",
        "",
    );
    let r = sip::parse(&msg).unwrap().unwrap();
    assert_eq!(r.orig(OrigFrom::Auto).unwrap().text, "12155557777");
    assert_eq!(r.orig(OrigFrom::Pai).unwrap().text, "12155557777");
    assert_eq!(r.orig(OrigFrom::From).unwrap().text, "12155550003");
    assert_eq!(r.dest(DestFrom::To).unwrap().text, "13035550003");
    assert_eq!(r.dest(DestFrom::Ruri).unwrap().text, "13035550003");
    let alice = sip::parse(&invite(
        3,
        "P-Asserted-Identity: <sip:alice@a.example>\r\n",
        "",
    ))
    .unwrap()
    .unwrap();
    let n = alice.orig(OrigFrom::Pai).unwrap();
    assert_eq!((n.text.as_str(), n.is_tn), ("alice", false));
}

/// Writes the seeds of the `pcap_capture` and `sip_message` fuzz targets
/// (`fuzz/seeds/<target>/`): small captures of each kind the reader handles, and SIP
/// messages (with the cutting octet `sip_message` reads first).
#[test]
#[ignore = "writes fuzz/seeds/pcap_capture and fuzz/seeds/sip_message"]
fn regenerate_fuzz_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    let folded = invite(
        1,
        "Identity: tokB;info=<https://c.example/b.pem>;alg=ES256;\r\n ppt=shaken\r\ny: compact\r\n",
        "",
    );
    let pai = invite(
        2,
        "P-Asserted-Identity: \"A\" <sip:+12155550002@a;user=phone>, <tel:+12155550002>\r\n",
        "v=0\r\n",
    );
    write("pcap_capture", "udp.pcap", &pcap(&[udp(&folded)]));
    write("pcap_capture", "udp.pcapng", &pcapng(&[udp(&pai)]));
    let msg = invite(3, "", "");
    let (a, b) = msg.split_at(120);
    write(
        "pcap_capture",
        "tcp_split.pcap",
        &pcap(&[
            tcp(40000, 1, true, &[]),
            tcp(40000, 2 + a.len() as u32, false, b),
            tcp(40000, 2, false, a),
        ]),
    );
    // Two IPv4 fragments of one UDP datagram.
    let big = invite(4, "", &"v".repeat(300));
    let whole = udp(&big);
    let ip = &whole[14..];
    let (ihl, payload) = (20, &whole[14 + 20..]);
    let mut frags = Vec::new();
    for (off, chunk) in [(0usize, &payload[..256]), (256, &payload[256..])] {
        let mut h = ip[..ihl].to_vec();
        let more = if off == 0 { 0x2000u16 } else { 0 };
        let total = (ihl + chunk.len()) as u16;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[6..8].copy_from_slice(&(more | (off / 8) as u16).to_be_bytes());
        h[10..12].copy_from_slice(&[0, 0]);
        let mut sum = 0u32;
        for w in h.chunks(2) {
            sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        h[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        let mut f = whole[..14].to_vec();
        f.extend_from_slice(&h);
        f.extend_from_slice(chunk);
        frags.push(f);
    }
    write("pcap_capture", "fragments.pcap", &pcap(&frags));
    write("pcap_capture", "empty.pcap", &pcap(&[]));

    for (name, how, bytes) in [
        ("folded", 0u8, folded.as_slice()),
        ("pai_body", 0x13, pai.as_slice()),
        ("plain_retrans", 0x25, msg.as_slice()),
        ("wrap_swap", 0xa4, msg.as_slice()),
        (
            "response",
            0x31,
            b"SIP/2.0 200 OK\r\nCall-ID: x\r\nl: 2\r\n\r\nab".as_slice(),
        ),
        (
            "two_lf",
            0x02,
            b"\r\n\r\nOPTIONS sip:h SIP/2.0\nl: 0\n\nBYE tel:+1 SIP/2.0\nt: <tel:+12>\n\n"
                .as_slice(),
        ),
    ] {
        let mut seed = vec![how];
        seed.extend_from_slice(bytes);
        write("sip_message", name, &seed);
    }
}
