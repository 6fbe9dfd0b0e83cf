//! `cliauth isup`: SIP → ISUP → SIP through the command, directly and inside an IAM.

use std::process::Command;

fn cliauth(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cliauth"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

fn signed(dir: &std::path::Path) -> String {
    let key = dir.join("k.pem");
    let key = key.to_str().unwrap();
    assert_eq!(cliauth(&["keygen", "--out", key]).0, 0);
    let x5u = "https://cert.example.org/passport/sp.pem"; // 40 characters
    let (code, id) = cliauth(&[
        "sign",
        "--key",
        key,
        "--x5u",
        x5u,
        "--orig",
        "12155551212",
        "--dest",
        "12155551213",
        "--attest",
        "B",
    ]);
    assert_eq!(code, 0);
    id
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cliauth-isup-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn encode_decode_rebuild() {
    let dir = tempdir("enc");
    let id = signed(&dir);
    let (code, hex) = cliauth(&[
        "isup",
        "encode",
        "--identity",
        &id,
        "--calling",
        "12155551212",
        "--called",
        "12155551213",
    ]);
    assert_eq!(code, 0);
    assert!(hex.len() / 2 <= 140, "{} octets", hex.len() / 2);
    let (code, json) = cliauth(&["isup", "decode", &hex, "--json"]);
    assert_eq!(code, 0);
    assert!(json.contains("\"attest\":\"b\""), "{json}");
    let (code, back) = cliauth(&[
        "isup",
        "to-identity",
        &hex,
        "--calling",
        "12155551212",
        "--called",
        "12155551213",
    ]);
    assert_eq!((code, back.as_str()), (0, id.as_str()));
    // Rebuilt with another calling number: a different token, not the signed one.
    let (code, other) = cliauth(&[
        "isup",
        "to-identity",
        &hex,
        "--calling",
        "12155550000",
        "--called",
        "12155551213",
    ]);
    assert_eq!(code, 0);
    assert_ne!(other, id);
    // Corrupt input: exit 1, truncated; junk hex: exit 2.
    assert_eq!(cliauth(&["isup", "decode", &hex[..hex.len() - 20]]).0, 1);
    assert_eq!(cliauth(&["isup", "decode", "zz"]).0, 2);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn iam_add_take_national_numbers() {
    let dir = tempdir("iam");
    let id = signed(&dir);
    let num = [
        "--calling",
        "2155551212",
        "--called",
        "2155551213",
        "--noa",
        "national",
        "--country-code",
        "1",
    ];
    let (code, iam) = cliauth(&[&["isup", "iam", "new"][..], &num[..]].concat());
    assert_eq!(code, 0);
    let (code, take) = cliauth(&["isup", "iam", "take", "--iam", &iam, "--country-code", "1"]);
    assert_eq!(code, 1, "{take}");
    let (code, with) = cliauth(&[
        "isup",
        "iam",
        "add",
        "--iam",
        &iam,
        "--identity",
        &id,
        "--country-code",
        "1",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = with.lines().collect();
    assert_eq!(lines.len(), 1, "fits in one message");
    assert!(lines[0].len() / 2 <= 266);
    let (code, back) = cliauth(&[
        "isup",
        "iam",
        "take",
        "--iam",
        lines[0],
        "--country-code",
        "1",
    ]);
    assert_eq!((code, back.as_str()), (0, id.as_str()));
    // Without the country code the national numbers cannot be mapped.
    assert_eq!(cliauth(&["isup", "iam", "take", "--iam", lines[0]]).0, 1);
    std::fs::remove_dir_all(dir).ok();
}
