//! `cliauth pcap` (issue #12 point 3). The tests build their captures: frames made with
//! etherparse's packet builder (IPv4 fragments by hand) written with pcap-file, and a
//! pcapng file written by Wireshark's `text2pcap`; tshark (an independent SIP dissector)
//! confirms that the captures hold the SIP requests the command finds. Hostile captures
//! (truncated, mutated, random) must give exit 0, 1 or 2, never a panic.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use serde_json::Value;

const X5U: &str = "https://cert.example.net/sp.pem";
const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];
const IP_A: [u8; 4] = [192, 0, 2, 1];
const IP_B: [u8; 4] = [192, 0, 2, 2];
/// Packet times: 5 s after the tokens' iat.
const T0: u64 = 1_700_000_005;

fn cliauth(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cliauth"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = cliauth(
        dir.path(),
        &["keygen", "--out", "key.pem", "--pub", "pub.pem"],
    );
    assert!(o.status.success());
    dir
}

/// A SHAKEN Identity value for orig → dest, iat 1700000000.
fn identity(dir: &Path, orig: &str, dest: &str) -> String {
    let o = cliauth(
        dir,
        &[
            "sign",
            "--key",
            "key.pem",
            "--x5u",
            X5U,
            "--orig",
            orig,
            "--dest",
            dest,
            "--attest",
            "A",
            "--iat",
            "1700000000",
        ],
    );
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

fn invite(call_id: &str, headers: &str, body_len: usize) -> Vec<u8> {
    let body = "v".repeat(body_len);
    format!(
        "INVITE sip:+12155551213@b.example;user=phone SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\n\
         {headers}\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(IP_A, IP_B, 64)
        .udp(5060, 5060);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn tcp_frame(seq: u32, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(IP_A, IP_B, 64)
        .tcp(40000, 5060, seq, 65535)
        .ack(1)
        .psh();
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn checksum(h: &[u8]) -> u16 {
    let mut sum = 0u32;
    for c in h.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The Ethernet frames of one UDP datagram cut into IPv4 fragments of at most `mtu`
/// payload bytes (a multiple of 8), last fragment first.
fn fragments(payload: &[u8], id: u16, mtu: usize) -> Vec<Vec<u8>> {
    let whole = udp_frame(payload);
    let udp = &whole[14 + 20..]; // the UDP header and payload
    let mut frames = Vec::new();
    for (i, part) in udp.chunks(mtu).enumerate() {
        let off = (i * mtu / 8) as u16;
        let more = (i + 1) * mtu < udp.len();
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + part.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&id.to_be_bytes());
        ip.extend_from_slice(&(off | if more { 0x2000 } else { 0 }).to_be_bytes());
        ip.extend_from_slice(&[64, 17, 0, 0]);
        ip.extend_from_slice(&IP_A);
        ip.extend_from_slice(&IP_B);
        let c = checksum(&ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let mut f = whole[..14].to_vec();
        f.extend_from_slice(&ip);
        f.extend_from_slice(part);
        frames.push(f);
    }
    frames.reverse();
    frames
}

fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::with_header(f, PcapHeader::default()).unwrap();
    for (i, fr) in frames.iter().enumerate() {
        let ts = Duration::new(T0, i as u32 * 1000);
        w.write_packet(&PcapPacket::new(ts, fr.len() as u32, fr))
            .unwrap();
    }
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The frames, per tshark, that carry a SIP request with an Identity header.
fn tshark_frames(path: &Path) -> Vec<u64> {
    let o = Command::new("tshark")
        .args(["-r"])
        .arg(path)
        .args([
            "-o",
            "ip.defragment:TRUE",
            "-o",
            "tcp.desegment_tcp_streams:TRUE",
        ])
        .args([
            "-Y",
            "sip.Request-Line and sip.Identity",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .output()
        .expect("tshark is needed (scripts/install-test-deps.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

#[test]
fn udp_folded_two_lines_compact_and_an_invalid_token() {
    let dir = setup();
    let d = dir.path();
    let v1 = identity(d, "12155551212", "12155551213");
    let v2 = identity(d, "12155551212", "12155551213");
    let v3 = identity(d, "12155551212", "12155551213");
    let v4 = identity(d, "12155550001", "12155551213");
    // A tampered signature: the last character of the token changed.
    let (tok, rest) = v1.split_once(';').unwrap();
    let last = if tok.ends_with('A') { 'B' } else { 'A' };
    let bad = format!("{}{last};{rest}", &tok[..tok.len() - 1]);
    let m1 = invite(
        "call-1",
        &format!(
            "From: <sip:+12155559999@a.example>;tag=1\r\n\
             To: <sip:+1-215-555-1213@b.example>\r\n\
             P-Asserted-Identity: \"A\" <sip:+12155551212@a.example;user=phone>, <tel:+12155551212>\r\n\
             Identity: {v1},\r\n  {v2}\r\n\
             Identity: {v3}\r\n"
        ),
        10,
    );
    let m2 = invite(
        "call-2",
        &format!(
            "f: <tel:+12155550001>;tag=2\r\n\
             t: <tel:+12155551213>\r\n\
             y: {v4}\r\n"
        ),
        0,
    );
    let m2 = String::from_utf8(m2)
        .unwrap()
        .replace("Call-ID:", "i:")
        .into_bytes();
    let m3 = invite(
        "call-3",
        &format!("From: <tel:+12155551212>\r\nTo: <tel:+12155551213>\r\nIdentity: {bad}\r\n"),
        0,
    );
    let ok200 = b"SIP/2.0 200 OK\r\nCall-ID: call-1\r\n\r\n".to_vec();
    let frames = vec![
        udp_frame(&m1),
        udp_frame(&ok200),
        udp_frame(&m2),
        udp_frame(&m3),
    ];
    write_pcap(&d.join("udp.pcap"), &frames);
    assert_eq!(tshark_frames(&d.join("udp.pcap")), [1, 3, 4]);

    let o = cliauth(d, &["pcap", "udp.pcap", "--pubkey", "pub.pem"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = lines(&o);
    assert_eq!(v.len(), 5, "{v:?}");
    for (i, x) in v[..3].iter().enumerate() {
        assert_eq!(x["valid"], true, "{x}");
        assert_eq!(x["frame"], 1);
        assert_eq!(x["index"], i);
        assert_eq!(x["call_id"], "call-1");
        // From P-Asserted-Identity, not From.
        assert_eq!(x["orig"], "12155551212");
        assert_eq!(x["dest"], serde_json::json!(["12155551213"]));
        assert_eq!(x["attest"], "A");
        assert_eq!(x["time"], T0 as f64);
    }
    assert_eq!(v[3]["valid"], true, "{}", v[3]);
    assert_eq!(v[3]["frame"], 3);
    assert_eq!(v[3]["call_id"], "call-2");
    assert_eq!(v[3]["orig"], "12155550001");
    assert_eq!(v[4]["valid"], false);
    assert_eq!(v[4]["frame"], 4);
    assert_eq!(v[4]["sip_code"], 438);
    assert!(v[4]["kind"].is_string() && v[4]["error"].is_string());

    // The numbers are checked against the token: --orig-from from takes +12155559999.
    let o = cliauth(
        d,
        &[
            "pcap",
            "udp.pcap",
            "--pubkey",
            "pub.pem",
            "--orig-from",
            "from",
        ],
    );
    let v = lines(&o);
    assert_eq!(v[0]["orig"], "12155559999");
    assert_eq!(v[0]["valid"], false);
    assert_eq!(v[0]["sip_code"], 438);
    assert!(v[0]["error"].as_str().unwrap().contains("orig"), "{}", v[0]);
    // The packet time is the verification time: a later --now makes the tokens stale.
    let o = cliauth(
        d,
        &[
            "pcap",
            "udp.pcap",
            "--pubkey",
            "pub.pem",
            "--now",
            "1800000000",
        ],
    );
    assert!(lines(&o).iter().all(|x| x["valid"] == false));
    // --dest-from ruri: the Request-URI's user part.
    let o = cliauth(
        d,
        &[
            "pcap",
            "udp.pcap",
            "--pubkey",
            "pub.pem",
            "--dest-from",
            "ruri",
        ],
    );
    assert_eq!(lines(&o)[0]["valid"], true);
    // No key source: exit 2 with a JSON error object.
    let o = cliauth(d, &["pcap", "udp.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(lines(&o)[0]["kind"], "usage");
}

#[test]
fn fragmented_udp_is_reassembled() {
    let dir = setup();
    let d = dir.path();
    let v = identity(d, "12155551212", "12155551213");
    let m = invite(
        "frag-1",
        &format!("From: <tel:+12155551212>\r\nTo: <tel:+12155551213>\r\nIdentity: {v}\r\n"),
        3000,
    );
    let mut frames = fragments(&m, 7, 1480);
    assert!(frames.len() >= 3);
    // Another datagram's lone fragment in between (never completed).
    let stray = fragments(&invite("x", "", 3000), 8, 1480);
    frames.insert(1, stray[0].clone());
    write_pcap(&d.join("frag.pcap"), &frames);
    let n = frames.len() as u64;
    assert_eq!(tshark_frames(&d.join("frag.pcap")), [n]);
    let o = cliauth(d, &["pcap", "frag.pcap", "--pubkey", "pub.pem"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = lines(&o);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["frame"], n);
    assert_eq!(v[0]["call_id"], "frag-1");
    assert_eq!(v[0]["valid"], true);
}

#[test]
fn tcp_split_across_segments_with_a_retransmission() {
    let dir = setup();
    let d = dir.path();
    let v1 = identity(d, "12155551212", "12155551213");
    let v2 = identity(d, "12155551212", "12155551213");
    let hdr = |v: &str| {
        format!("From: <tel:+12155551212>\r\nTo: <tel:+12155551213>\r\nIdentity: {v}\r\n")
    };
    let mut stream = invite("tcp-1", &hdr(&v1), 200);
    stream.extend_from_slice(b"\r\n\r\n"); // a keep-alive
    stream.extend_from_slice(&invite("tcp-2", &hdr(&v2), 0));
    let seq0 = 1000u32;
    // Cut into 5 segments; send the third before the second, and the first twice.
    let cuts = [0, 150, 400, 700, stream.len() - 30, stream.len()];
    let seg = |i: usize| tcp_frame(seq0 + cuts[i] as u32, &stream[cuts[i]..cuts[i + 1]]);
    let frames = vec![seg(0), seg(2), seg(1), seg(0), seg(3), seg(4)];
    write_pcap(&d.join("tcp.pcap"), &frames);
    let o = cliauth(d, &["pcap", "tcp.pcap", "--pubkey", "pub.pem"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = lines(&o);
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[0]["call_id"], "tcp-1");
    assert_eq!(v[1]["call_id"], "tcp-2");
    assert_eq!(v[1]["frame"], 6);
    assert!(v.iter().all(|x| x["valid"] == true));
}

#[test]
fn pcapng_written_by_text2pcap() {
    let dir = setup();
    let d = dir.path();
    let v = identity(d, "12155551212", "12155551213");
    let m = invite(
        "ng-1",
        &format!("From: <tel:+12155551212>\r\nTo: <tel:+12155551213>\r\nIdentity: {v}\r\n"),
        0,
    );
    // text2pcap's hex dump input: an offset, then bytes.
    let mut dump = String::new();
    for (i, chunk) in m.chunks(16).enumerate() {
        dump.push_str(&format!("{:06x}", i * 16));
        for b in chunk {
            dump.push_str(&format!(" {b:02x}"));
        }
        dump.push('\n');
    }
    std::fs::write(d.join("dump.txt"), dump).unwrap();
    let o = Command::new("text2pcap")
        .current_dir(d)
        .args([
            "-n",
            "-4",
            "192.0.2.1,192.0.2.2",
            "-u",
            "5060,5060",
            "dump.txt",
            "ng.pcapng",
        ])
        .output()
        .expect("text2pcap is needed (scripts/install-test-deps.sh installs wireshark-common)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        &std::fs::read(d.join("ng.pcapng")).unwrap()[..4],
        b"\x0a\x0d\x0d\x0a"
    );
    assert_eq!(tshark_frames(&d.join("ng.pcapng")), [1]);
    // text2pcap stamps the packets with the current time: verify at the token's time.
    let o = cliauth(
        d,
        &[
            "pcap",
            "ng.pcapng",
            "--pubkey",
            "pub.pem",
            "--now",
            "1700000005",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = lines(&o);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["call_id"], "ng-1");
    assert_eq!(v[0]["valid"], true);
}

#[test]
fn hostile_captures_never_panic() {
    let dir = setup();
    let d = dir.path();
    let v = identity(d, "12155551212", "12155551213");
    let m = invite(
        "h",
        &format!("From: <tel:+12155551212>\r\nTo: <tel:+12155551213>\r\nIdentity: {v}\r\n"),
        2000,
    );
    let mut frames = fragments(&m, 9, 1480);
    frames.push(udp_frame(&m[..500]));
    frames.push(tcp_frame(5, &m));
    frames.push(tcp_frame(
        5 + m.len() as u32,
        b"INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n",
    ));
    write_pcap(&d.join("good.pcap"), &frames);
    let good = std::fs::read(d.join("good.pcap")).unwrap();
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\xd4\xc3\xb2\xa1".to_vec(),
        good[..good.len() / 2].to_vec(),
        (0..5000).map(|_| rnd() as u8).collect(),
    ];
    for _ in 0..40 {
        let mut c = good.clone();
        for _ in 0..(1 + rnd() % 20) {
            let i = (rnd() as usize) % c.len();
            c[i] = rnd() as u8;
        }
        cases.push(c);
    }
    for (i, c) in cases.iter().enumerate() {
        let p = d.join(format!("h{i}.pcap"));
        std::fs::write(&p, c).unwrap();
        let o = cliauth(d, &["pcap", p.to_str().unwrap(), "--pubkey", "pub.pem"]);
        let code = o.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "case {i}: {code:?} {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("panicked"),
            "case {i}"
        );
    }
    // An empty file, a file that is not a capture: exit 2.
    let o = cliauth(d, &["pcap", "h0.pcap", "--pubkey", "pub.pem"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn ipv6_over_raw_ip_link_type() {
    let dir = setup();
    let d = dir.path();
    let v = identity(d, "12155551212", "12155551213");
    let m = invite(
        "v6-1",
        &format!(
            "From: <tel:+12155551212>\r\nTo: <sip:12155551213@b.example>\r\nIdentity: {v}\r\n"
        ),
        0,
    );
    let mut frame = Vec::new();
    PacketBuilder::ipv6(
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        64,
    )
    .udp(5060, 5060)
    .write(&mut frame, &m)
    .unwrap();
    let f = std::fs::File::create(d.join("v6.pcap")).unwrap();
    let header = PcapHeader {
        datalink: pcap_file::DataLink::RAW,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(f, header).unwrap();
    w.write_packet(&PcapPacket::new(
        Duration::new(T0, 0),
        frame.len() as u32,
        &frame,
    ))
    .unwrap();
    drop(w);
    assert_eq!(tshark_frames(&d.join("v6.pcap")), [1]);
    let o = cliauth(d, &["pcap", "v6.pcap", "--pubkey", "pub.pem"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = lines(&o);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["call_id"], "v6-1");
    assert_eq!(v[0]["dest"], serde_json::json!(["12155551213"]));
    assert_eq!(v[0]["valid"], true);
}

#[test]
fn many_unfinished_tcp_streams_are_evicted_and_later_calls_still_found() {
    let dir = setup();
    let d = dir.path();
    let v = identity(d, "12155551212", "12155551213");
    let mut frames = Vec::new();
    // 5000 connections (more than the 4096 followed) each leaving half a SIP header.
    for port in 0..5000u16 {
        let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4(IP_A, IP_B, 64)
            .tcp(10000 + port, 5060, 1, 65535);
        let mut f = Vec::new();
        b.write(
            &mut f,
            b"INVITE sip:+12155551213@b.example SIP/2.0\r\nVia: SIP/2.0/TCP x\r\n",
        )
        .unwrap();
        frames.push(f);
    }
    let m = invite(
        "after",
        &format!("From: <tel:+12155551212>\r\nTo: <tel:+12155551213>\r\nIdentity: {v}\r\n"),
        0,
    );
    frames.push(tcp_frame(1, &m));
    write_pcap(&d.join("many.pcap"), &frames);
    let o = cliauth(d, &["pcap", "many.pcap", "--pubkey", "pub.pem"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = lines(&o);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["call_id"], "after");
    assert_eq!(v[0]["frame"], 5001);
}
