//! The README's command sections are a contract: every `$` line of their `console` blocks
//! runs, in order, in one empty directory, and must print exactly the lines that follow it
//! (`…` matches any text) and exit with the status of its `# exit N` comment (0 if none).
//! The exit-status table must list exactly the statuses the examples show, and the JSON
//! member table exactly the members the examples print.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn readme_sections() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("## The `cliauth` command")
        .expect("command section");
    let end = text[start..].find("\n## Limits").expect("Limits section") + start;
    text[start..end].to_owned()
}

/// The `console` blocks: (command, expected status, expected output lines).
fn examples(section: &str) -> Vec<(String, i32, Vec<String>)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```console") {
            in_block = true;
            continue;
        }
        if line.starts_with("```") {
            in_block = false;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            let (cmd, status) = match cmd.rsplit_once("   # exit ") {
                Some((c, n)) => (c.to_owned(), n.trim().parse().unwrap()),
                None => (cmd.to_owned(), 0),
            };
            out.push((cmd, status, Vec::new()));
        } else {
            out.last_mut()
                .expect("output before the first command")
                .2
                .push(line.to_owned());
        }
    }
    out
}

/// Whether `actual` matches `pattern`, where `…` matches any text.
fn matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let mut rest = match actual.strip_prefix(parts[0]) {
        Some(r) => r,
        None => return false,
    };
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            return rest.len() >= p.len() && rest.ends_with(p);
        }
        match rest.find(p) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    true
}

/// The rows of the table whose header row starts with `| {first} |`.
fn table(section: &str, first: &str) -> Vec<Vec<String>> {
    let head = format!("| {first} |");
    let start = section
        .find(&head)
        .unwrap_or_else(|| panic!("table {head}"));
    section[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn readme_examples_run_as_documented() {
    let section = readme_sections();
    let examples = examples(&section);
    assert!(examples.len() >= 20, "{} examples", examples.len());
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_cliauth")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut statuses = BTreeSet::new();
    let mut valid_keys = BTreeSet::new();
    let mut invalid_keys = BTreeSet::new();
    let mut batch_keys = BTreeSet::new();
    let mut pcap_keys = BTreeSet::new();
    let mut verdict_errors = Vec::new();
    for (cmd, status, expected) in &examples {
        let o = Command::new("sh")
            .args(["-c", cmd])
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            o.status.code(),
            Some(*status),
            "{cmd}\nstdout: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(lines.len(), expected.len(), "{cmd}\nstdout: {stdout}");
        for (want, got) in expected.iter().zip(&lines) {
            assert!(matches(want, got), "{cmd}\nwant {want}\ngot  {got}");
        }
        statuses.insert(*status);
        for l in &lines {
            if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(l) {
                let keys: BTreeSet<String> = m.keys().cloned().collect();
                let batch = m.contains_key("line");
                let pcap_invalid = m.contains_key("frame")
                    && m.get("valid") == Some(&serde_json::Value::Bool(false));
                for k in &keys {
                    // `pcap` shows the request's numbers on invalid verdicts too.
                    if pcap_invalid && (k == "orig" || k == "dest") {
                        continue;
                    }
                    if k == "line" || k == "call_id" {
                        batch_keys.insert(k.clone());
                    } else if ["frame", "time", "index", "method"].contains(&k.as_str()) {
                        pcap_keys.insert(k.clone());
                    } else if m.get("valid") == Some(&serde_json::Value::Bool(true)) {
                        valid_keys.insert(k.clone());
                    } else if m.contains_key("valid") {
                        invalid_keys.insert(k.clone());
                    }
                }
                let _ = batch;
                if m.get("valid") == Some(&serde_json::Value::Bool(false)) {
                    verdict_errors.push((
                        m["kind"].as_str().unwrap().to_owned(),
                        m["sip_code"].as_u64().unwrap(),
                        m["reason"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
    }
    // The exit-status table lists exactly the statuses shown.
    let documented: BTreeSet<i32> = table(&section, "status")
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    assert_eq!(documented, statuses);
    // The member table lists exactly the members printed.
    let rows = table(&section, "member");
    let names = |which: &[&str]| -> BTreeSet<String> {
        rows.iter()
            .filter(|r| which.contains(&r[1].as_str()))
            .map(|r| r[0].trim_matches('`').to_owned())
            .collect()
    };
    assert_eq!(valid_keys, names(&["valid", "all"]));
    assert_eq!(invalid_keys, names(&["invalid", "all"]));
    assert_eq!(batch_keys, names(&["batch"]));
    assert_eq!(pcap_keys, names(&["pcap"]));
    // The invalid verdicts shown agree with the error table.
    let errors = error_table(&section);
    assert!(!verdict_errors.is_empty());
    for (kind, sip, reason) in &verdict_errors {
        assert_eq!(
            errors.get(kind),
            Some(&(*sip, reason.clone())),
            "README error table vs. output for {kind}"
        );
    }
}

/// The "Errors and SIP codes" table: kind → (SIP code, reason).
fn error_table(section: &str) -> std::collections::BTreeMap<String, (u64, String)> {
    let mut out = std::collections::BTreeMap::new();
    for row in table(section, "`kind` | meaning") {
        let sip: u64 = row[2].parse().unwrap();
        for kind in row[0].split(", ") {
            out.insert(kind.trim_matches('`').to_owned(), (sip, row[3].clone()));
        }
    }
    out
}

/// Every invalid case of the test vectors (checked against the library by
/// `tests/vectors.rs`) has the SIP code the README's error table gives its kind.
#[test]
fn readme_error_table_matches_the_vectors() {
    let errors = error_table(&readme_sections());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/passport.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut seen = 0;
    for case in file["cases"].as_array().unwrap() {
        let e = &case["expect"];
        if let (Some(kind), Some(sip)) = (e["kind"].as_str(), e["sip_code"].as_u64()) {
            let row = errors
                .get(kind)
                .unwrap_or_else(|| panic!("kind {kind} is not in the README's error table"));
            assert_eq!(row.0, sip, "{}: {kind}", case["name"]);
            seen += 1;
        }
    }
    assert!(seen > 50, "{seen} invalid cases");
    // One reason text per SIP code.
    for (kind, (sip, reason)) in &errors {
        let want = match sip {
            403 => "Stale Date",
            428 => "Use Identity Header",
            436 => "Bad Identity Info",
            437 => "Unsupported Credential",
            438 => "Invalid Identity Header",
            _ => panic!("{kind}: SIP {sip}"),
        };
        assert_eq!(reason, want, "{kind}");
    }
}

#[test]
fn pattern_matching() {
    assert!(matches("a…c", "abbbc"));
    assert!(matches("…", "x"));
    assert!(matches(
        "{\"error\":\"…\",\"k\":1}",
        "{\"error\":\"x\",\"k\":1}"
    ));
    assert!(!matches("a…c", "abd"));
    assert!(!matches("abc", "abcd"));
}
