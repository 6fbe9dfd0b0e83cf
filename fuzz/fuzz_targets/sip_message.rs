//! The SIP message reader of `cliauth pcap` (`cliauth_cli::sip`) and the TCP stream framer
//! of `cliauth_cli::capture::Reassembly`.
//!
//! Input: one octet that chooses how the stream is cut (segment size, an initial sequence
//! number near the 32-bit wrap or not, retransmissions, two segments swapped), then the
//! bytes: a SIP message, or a stream of them.
//!
//! Invariants:
//! * `sip::parse` returns (never panics) and refuses more than `MAX_SIP_MESSAGE` bytes; a
//!   request it accepts has a method token and a Request-URI without spaces, header names
//!   in lower case with compact names expanded, values without surrounding white space; a
//!   number taken from it that is a telephone number is canonical (`Tn::parse` gives it
//!   back unchanged);
//! * `looks_like_sip` accepts every prefix of an input it accepts up to the first line end;
//! * the bytes sent as one TCP segment and sent cut into segments (in order, with
//!   retransmissions, or with two segments swapped) give the same SIP messages, byte for
//!   byte, whenever the one-segment run did not have to reset the stream; no message is
//!   longer than `MAX_SIP_MESSAGE`.
#![no_main]

use std::time::Duration;

use cliauth_cli::capture::{DataLink, Frame, MAX_SIP_MESSAGE, Reassembly};
use cliauth_cli::sip::{self, DestFrom, OrigFrom};
use etherparse::PacketBuilder;
use libfuzzer_sys::fuzz_target;

/// An Ethernet/IPv4/TCP frame from 192.0.2.1:5060 to 192.0.2.2:5060.
fn tcp_frame(seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .tcp(5060, 5060, seq, 65535);
    if syn {
        b = b.syn();
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("frame");
    out
}

/// Feeds the frames and returns the messages framed, and whether the stream was reset.
fn run(frames: &[Vec<u8>]) -> (Vec<Vec<u8>>, bool) {
    let mut re = Reassembly::new();
    let mut msgs = Vec::new();
    for (i, data) in frames.iter().enumerate() {
        let f = Frame {
            number: i as u64 + 1,
            time: Duration::ZERO,
            link: DataLink::ETHERNET,
            data,
        };
        re.frame::<()>(&f, &mut |m| {
            assert!(m.bytes.len() <= MAX_SIP_MESSAGE);
            assert!(!m.bytes.is_empty());
            msgs.push(m.bytes.to_vec());
            Ok(())
        })
        .unwrap();
        assert!(re.held_bytes() <= MAX_SIP_MESSAGE + cliauth_cli::capture::MAX_TCP_PENDING);
    }
    let c = re.counters();
    (msgs, c.tcp_resets > 0 || c.malformed_sip > 0)
}

fn check_parse(data: &[u8]) {
    let r = match sip::parse(data) {
        Err(sip::SipError::TooLarge(n)) => {
            assert_eq!(n, data.len());
            assert!(n > MAX_SIP_MESSAGE);
            return;
        }
        Err(_) => return,
        Ok(None) => return,
        Ok(Some(r)) => r,
    };
    assert!(data.len() <= MAX_SIP_MESSAGE);
    assert!(!r.method().is_empty() && !r.method().contains(' '));
    assert!(!r.request_uri().is_empty() && !r.request_uri().contains(' '));
    for (name, value) in r.headers() {
        assert_eq!(name, &name.to_ascii_lowercase());
        assert!(
            !["i", "f", "t", "l", "y"].contains(&name.as_str()),
            "{name}"
        );
        assert_eq!(value, value.trim(), "{name}");
        assert!(!value.contains('\n'));
    }
    let numbers = [
        r.orig(OrigFrom::Auto),
        r.orig(OrigFrom::Pai),
        r.orig(OrigFrom::From),
        r.dest(DestFrom::To),
        r.dest(DestFrom::Ruri),
    ];
    for n in numbers.into_iter().flatten() {
        if n.is_tn {
            let t = cliauth::Tn::parse(&n.text).expect("a canonical number parses");
            assert_eq!(t.as_str(), n.text);
        }
    }
    // Auto is PAI when there is one, else From.
    let auto = r.orig(OrigFrom::Auto);
    assert!(auto == r.orig(OrigFrom::Pai) || auto == r.orig(OrigFrom::From));
}

fuzz_target!(|input: &[u8]| {
    let Some((&how, data)) = input.split_first() else {
        return;
    };
    check_parse(data);

    // Every prefix of an accepted first line is accepted.
    if sip::looks_like_sip(data) {
        let line = data.iter().position(|&c| c == b'\n').unwrap_or(data.len());
        for i in 0..line.min(300) {
            assert!(sip::looks_like_sip(&data[..i]), "prefix {i}");
        }
    }

    if data.len() > 60_000 {
        return;
    }
    let isn: u32 = if how & 0x80 != 0 { 0xffff_fff0 } else { 1000 };
    let cut = 1 + usize::from(how & 0x0f) * 7;
    let mode = (how >> 4) & 7;

    let whole = vec![
        tcp_frame(isn, true, &[]),
        tcp_frame(isn.wrapping_add(1), false, data),
    ];
    let (want, reset) = run(&whole);

    let mut segs: Vec<(u32, &[u8])> = Vec::new();
    let mut seq = isn.wrapping_add(1);
    for chunk in data.chunks(cut) {
        segs.push((seq, chunk));
        seq = seq.wrapping_add(chunk.len() as u32);
    }
    let mut frames = vec![tcp_frame(isn, true, &[])];
    match mode {
        // Every other segment sent twice (a retransmission).
        1 => {
            for (i, (s, c)) in segs.iter().enumerate() {
                frames.push(tcp_frame(*s, false, c));
                if i % 2 == 0 {
                    frames.push(tcp_frame(*s, false, c));
                }
            }
        }
        // The second and third segments swapped (out of order).
        2 if segs.len() >= 3 => {
            segs.swap(1, 2);
            frames.extend(segs.iter().map(|(s, c)| tcp_frame(*s, false, c)));
        }
        // A retransmission that overlaps two segments.
        3 if segs.len() >= 2 => {
            for (i, (s, c)) in segs.iter().enumerate() {
                frames.push(tcp_frame(*s, false, c));
                if i == 1 {
                    let (s0, c0) = segs[0];
                    let both = [c0, *c].concat();
                    frames.push(tcp_frame(s0, false, &both));
                }
            }
        }
        _ => frames.extend(segs.iter().map(|(s, c)| tcp_frame(*s, false, c))),
    }
    let (got, _) = run(&frames);
    if !reset {
        assert_eq!(got, want, "cut {cut}, mode {mode}");
    }
    for m in &want {
        check_parse(m);
    }
});
