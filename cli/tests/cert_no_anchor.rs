//! `cliauth verify --cert` without `--trust-anchor` (issue 9, point 5): the chain is not
//! validated, but the certificate's validity period and its TNAuthList number authority
//! are enforced, and stderr says that the chain was not checked.

use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cliauth(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_cliauth"))
        .args(args)
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn cert_without_anchor_enforces_validity_and_number_authority() {
    let dir = std::env::temp_dir().join(format!("cliauth-noanchor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let issued = cliauth(&[
        "cert",
        "issue",
        "--out-dir",
        d,
        "--no-spc",
        "--range",
        "12155551200:100",
        "--days",
        "1",
    ]);
    assert_eq!(issued.code, 0, "{}", issued.stderr);
    let key = dir.join("sp-key.pem");
    let chain = dir.join("sp-chain.pem");
    let (key, chain) = (key.to_str().unwrap(), chain.to_str().unwrap());
    let t = now();
    let sign = |orig: &str, iat: i64| {
        let o = cliauth(&[
            "sign",
            "--key",
            key,
            "--x5u",
            "https://cert.example.net/sp.pem",
            "--orig",
            orig,
            "--dest",
            "12155550100",
            "--attest",
            "A",
            "--iat",
            &iat.to_string(),
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        o.stdout
    };
    let verify = |id: &str, at: i64| {
        cliauth(&[
            "verify",
            "--identity",
            id,
            "--cert",
            chain,
            "--now",
            &at.to_string(),
            "--json",
        ])
    };

    // Inside the validity period, a number of the range: valid, with a warning.
    let ok = verify(&sign("12155551212", t), t);
    assert_eq!(ok.code, 0, "{} {}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains(r#""valid":true"#), "{}", ok.stdout);
    assert!(
        ok.stderr.contains("chain was not checked"),
        "stderr: {}",
        ok.stderr
    );

    // Two days later the end entity has expired: 437 cert_expired, readable.
    let later = t + 2 * 86_400;
    let expired = verify(&sign("12155551212", later), later);
    assert_eq!(expired.code, 1, "{}", expired.stdout);
    assert!(
        expired.stdout.contains(r#""kind":"cert_expired""#),
        "{}",
        expired.stdout
    );
    assert!(
        expired.stdout.contains(r#""sip_code":437"#),
        "{}",
        expired.stdout
    );
    assert!(expired.stdout.contains("expired at "), "{}", expired.stdout);

    // Before the validity period.
    let before = t - 2 * 86_400;
    let early = verify(&sign("12155551212", before), before);
    assert!(
        early.stdout.contains(r#""kind":"cert_not_yet_valid""#),
        "{}",
        early.stdout
    );

    // A number outside the certificate's TNAuthList.
    let foreign = verify(&sign("12155559999", t), t);
    assert_eq!(foreign.code, 1);
    assert!(
        foreign.stdout.contains(r#""kind":"tn_not_authorized""#),
        "{}",
        foreign.stdout
    );

    // With the trust anchor: no warning.
    let anchor = dir.join("root.pem");
    let checked = cliauth(&[
        "verify",
        "--identity",
        &sign("12155551212", t),
        "--cert",
        chain,
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--now",
        &t.to_string(),
    ]);
    assert_eq!(checked.code, 0, "{} {}", checked.stdout, checked.stderr);
    assert!(
        !checked.stderr.contains("not checked"),
        "{}",
        checked.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
