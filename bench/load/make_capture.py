#!/usr/bin/env python3
"""Writes a pcap of SIP INVITEs over UDP/IPv4/Ethernet, one per Identity value read from
standard input (one per line, as `cliauth sign --batch` writes them), to the file named
by the first argument. Packet times start at 1700000005 (5 s after iat 1700000000), 10 µs
apart. For the `cliauth pcap` scale measurement (bench/load/run.sh)."""
import struct
import sys


def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def main():
    out = open(sys.argv[1], "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    src, dst = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    for i, line in enumerate(sys.stdin):
        ident = line.strip()
        sip = (
            "INVITE sip:+12155551213@b.example;user=phone SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%d\r\n"
            "Max-Forwards: 70\r\nCall-ID: load-%d\r\nCSeq: 1 INVITE\r\n"
            "From: <sip:+12155551212@a.example;user=phone>;tag=%d\r\n"
            "To: <sip:+12155551213@b.example;user=phone>\r\n"
            "Identity: %s\r\nContent-Length: 0\r\n\r\n" % (i, i, i, ident)
        ).encode()
        udp = struct.pack("!HHHH", 5060, 5060, 8 + len(sip), 0) + sip
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp
        t = 1700000005 * 1000000 + i * 10
        out.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)))
        out.write(frame)
    out.close()


main()
