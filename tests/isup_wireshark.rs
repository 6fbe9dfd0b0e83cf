//! ISUP messages carrying the token, dissected by Wireshark (`tshark`, installed by
//! `scripts/install-test-deps.sh`): IAMs the outgoing gateway builds — the token alone in
//! the IAM, IAM + SGM for a 255-character `x5u`, and international numbers of odd and even
//! length — are written to a pcap (MTP3 link type, ITU routing label) and dissected. Every
//! frame must dissect without a Malformed mark or an expert error; Calling and Called Party
//! Number digits and nature of address must be the ones given; the Application Transport
//! parameter's APM-user information must be exactly the token (the two segments in
//! order), and Wireshark must reassemble the segments into a message of the token's
//! length. Without tshark the test fails.
//!
//! The pcap file is written here (a 24-octet header and a 16-octet header per frame, 20
//! lines): the format is fixed and tiny, not worth a dependency.

use std::path::Path;
use std::process::Command;

use cliauth::isup::Iam;
use cliauth::isup::gateway::Gateway;
use cliauth::isup::number::{
    AddressDigits, CalledPartyNumber, CallingPartyNumber, NatureOfAddress,
};
use cliauth::isup::token::{CompactToken, ConvertOptions};
use cliauth::{Attest, Call, Signer, SigningKey};

const NOW: i64 = 1_700_000_000;
/// pcap link type 141: MTP3 (SIO, routing label, user part).
const LINKTYPE_MTP3: u32 = 141;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A classic pcap file (microsecond timestamps, little endian) of the given frames.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // GMT offset
    out.extend_from_slice(&0u32.to_le_bytes()); // timestamp accuracy
    out.extend_from_slice(&65_535u32.to_le_bytes()); // snapshot length
    out.extend_from_slice(&LINKTYPE_MTP3.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        let len = u32::try_from(f.len()).unwrap();
        out.extend_from_slice(&(1_700_000_000 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// An ITU MTP3 MSU for an ISUP message: SIO (international network, ISUP), the 4-octet
/// routing label (DPC 1, OPC 2, SLS 0) and the CIC (1) before the message type code —
/// the 6 octets `MessageConfig::label_len` counts, so the SIF is at most 272 octets.
fn mtp3(isup: &[u8]) -> Vec<u8> {
    let label: u32 = 1 | (2 << 14);
    let mut f = vec![0x05];
    f.extend_from_slice(&label.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(isup);
    assert!(f.len() - 1 <= 272, "SIF of {} octets", f.len() - 1);
    f
}

/// One call to put on the wire.
struct Case {
    name: &'static str,
    calling: &'static str,
    called: &'static str,
    x5u_len: usize,
    segmented: bool,
}

/// What tshark says about one frame.
#[derive(Debug)]
struct Dissected {
    message_type: String,
    calling: String,
    called: String,
    calling_noa: String,
    called_noa: String,
    apm_user_info: String,
    reassembled_len: String,
    fragments: String,
}

fn tshark(pcap_path: &Path) -> (Vec<Dissected>, String) {
    let run = |args: &[&str]| {
        let out = Command::new("tshark")
            .args(["-n", "-o", "isup.defragment_apm:TRUE", "-r"])
            .arg(pcap_path)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run tshark: {e}; install it with scripts/install-test-deps.sh")
            });
        assert!(
            out.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let fields = [
        "isup.message_type",
        "isup.calling",
        "isup.called",
        "isup.calling_party_nature_of_address_indicator",
        "isup.called_party_nature_of_address_indicator",
        "isup.apm_user_info_field",
        "isup.apm.msg.reassembled.length",
        "isup.apm.msg.fragment.count",
    ];
    let mut args = vec!["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"];
    for f in &fields {
        args.extend(["-e", f]);
    }
    let table = run(&args);
    let rows = table
        .lines()
        .map(|l| {
            let c: Vec<String> = l.split('|').map(str::to_owned).collect();
            assert_eq!(c.len(), fields.len(), "{l}");
            Dissected {
                message_type: c[0].clone(),
                calling: c[1].clone(),
                called: c[2].clone(),
                calling_noa: c[3].clone(),
                called_noa: c[4].clone(),
                apm_user_info: c[5].replace(':', ""),
                reassembled_len: c[6].clone(),
                fragments: c[7].clone(),
            }
        })
        .collect();
    (rows, run(&["-V"]))
}

#[test]
fn tshark_dissects_iam_and_sgm_with_the_token() {
    let cases = [
        Case {
            name: "IAM alone, x5u 40",
            calling: "12155551212",
            called: "12155551213",
            x5u_len: 40,
            segmented: false,
        },
        Case {
            name: "IAM + SGM, x5u 255",
            calling: "12155551212",
            called: "12155551213",
            x5u_len: 255,
            segmented: true,
        },
        Case {
            name: "international odd-length calling, even-length called",
            calling: "4930123456789",
            called: "442079460000",
            x5u_len: 40,
            segmented: false,
        },
    ];
    let (_, pkcs8) = SigningKey::generate().unwrap();
    let gw = Gateway::default();
    let intl = NatureOfAddress::INTERNATIONAL;
    let mut frames = Vec::new();
    // Per frame: the case and which part of the token it should carry.
    let mut expect = Vec::new();
    for c in &cases {
        let x5u = format!(
            "https://cert.example.org/{}",
            "p".repeat(c.x5u_len - "https://cert.example.org/".len())
        );
        let s = Signer::new(SigningKey::from_der(&pkcs8).unwrap(), &x5u).unwrap();
        let identity = s
            .sign_shaken(c.calling, &[c.called], Attest::A, None, NOW)
            .unwrap()
            .identity();
        let token = CompactToken::from_identity(
            &identity,
            &Call::new(c.calling, c.called),
            &ConvertOptions::default(),
        )
        .unwrap()
        .token
        .into_bytes();
        let mut iam = Iam::new(&CalledPartyNumber::new(
            intl,
            AddressDigits::new(c.called).unwrap(),
        ))
        .unwrap();
        iam.set_calling_number(&CallingPartyNumber::new(
            intl,
            AddressDigits::new(c.calling).unwrap(),
        ))
        .unwrap();
        let out = gw.outgoing(&mut iam, &identity).unwrap();
        assert_eq!(out.encoded.sgm.is_some(), c.segmented, "{}", c.name);
        frames.push(mtp3(&out.encoded.iam));
        expect.push((c, token.clone(), 0));
        if let Some(sgm) = &out.encoded.sgm {
            frames.push(mtp3(sgm));
            expect.push((c, token, 1));
        }
    }
    let dir = std::env::temp_dir().join(format!("cliauth-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("isup.pcap");
    std::fs::write(&path, pcap(&frames)).unwrap();
    let (rows, verbose) = tshark(&path);
    std::fs::remove_dir_all(&dir).ok();

    // No frame is malformed, no expert info above "warning" (the APM-user information
    // is ours, so Wireshark notes that it does not dissect it further: a warning).
    assert!(!verbose.contains("Malformed"), "{verbose}");
    assert!(!verbose.contains("Expert Info (Error"), "{verbose}");
    assert_eq!(rows.len(), frames.len());
    let mut first_segment = String::new();
    for (row, (c, token, part)) in rows.iter().zip(&expect) {
        let name = c.name;
        if *part == 0 {
            assert_eq!(row.message_type, "1", "{name}: IAM");
            assert_eq!(row.calling, c.calling, "{name}");
            assert_eq!(row.called, c.called, "{name}");
            assert_eq!(
                (row.calling_noa.as_str(), row.called_noa.as_str()),
                ("4", "4")
            );
        } else {
            assert_eq!(row.message_type, "56", "{name}: SGM");
        }
        if !c.segmented {
            assert_eq!(
                row.apm_user_info,
                hex(token),
                "{name}: the parameter is the token"
            );
        } else if *part == 0 {
            first_segment = row.apm_user_info.clone();
            assert!(!first_segment.is_empty() && hex(token).starts_with(&first_segment));
        } else {
            assert_eq!(
                format!("{first_segment}{}", row.apm_user_info),
                hex(token),
                "{name}: the two segments are the token"
            );
            assert_eq!(
                row.reassembled_len,
                token.len().to_string(),
                "{name}: reassembled"
            );
            assert_eq!(row.fragments, "2", "{name}");
        }
    }
    assert!(verbose.contains(&format!("Reassembled ISUP length: {}", expect[2].1.len())));
}
