//! Structure-aware: a JSON tree of integers, strings, booleans, null, arrays and objects
//! (nested up to two levels past the limit), wrapped in an object, written with
//! `json::to_canonical` and read back with `json::parse_object`.
//!
//! Invariants:
//! * within the depth limit, writing succeeds and reading gives the tree back;
//!   `canonical(parse(canonical(v))) == canonical(v)`;
//! * the canonical text is what serde_json itself writes for the tree (sorted keys, no
//!   white space, the same escapes): an independent oracle for key order and escaping;
//! * past the depth limit, reading fails with `Limit` and so does writing (the writer
//!   applies the reader's rule, empty containers included: tests/regressions.rs
//!   `writer_accepts_empty_container_one_level_too_deep`).
#![no_main]

use arbitrary::Unstructured;
use cliauth::Error;
use cliauth::error::{LimitKind, Part};
use cliauth::limits::MAX_JSON_DEPTH;
use cliauth::passport::json::{parse_object, to_canonical};
use cliauth_fuzz::{arb_value, container_depth};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(v) = arb_value(&mut u, MAX_JSON_DEPTH + 1) else {
        return;
    };
    let mut m = Map::new();
    m.insert("v".to_owned(), v);
    let wrapped = Value::Object(m);
    let depth = container_depth(&wrapped);
    let canonical = to_canonical(&wrapped);

    if depth <= MAX_JSON_DEPTH {
        let canonical = canonical.expect("integers-only JSON within the limits is writable");
        assert_eq!(
            canonical,
            serde_json::to_vec(&wrapped).expect("serde_json writes it"),
            "canonical form differs from sorted compact serde_json"
        );
        let back = parse_object(&canonical, Part::Claims).expect("canonical JSON parses");
        let back = Value::Object(back);
        assert_eq!(back, wrapped);
        assert_eq!(to_canonical(&back).expect("re-encode"), canonical);
        return;
    }

    // Past the limit: the reader refuses any container nested deeper than the limit, and
    // the writer refuses to write what the reader would refuse.
    let too_deep = Error::Limit {
        what: LimitKind::JsonDepth,
        limit: MAX_JSON_DEPTH,
    };
    let text = serde_json::to_vec(&wrapped).expect("serde_json writes it");
    assert_eq!(
        parse_object(&text, Part::Claims).err(),
        Some(too_deep.clone())
    );
    assert_eq!(
        canonical.err(),
        Some(too_deep),
        "writer accepted depth {depth}"
    );
});
