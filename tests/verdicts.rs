//! The verdict cache and replay detection (`cliauth::state::VerdictCache`): repeats for the
//! same call are answered without the store or a signature, the same token for another
//! call is a replay, the cheap checks still run on a repeat, a full cache never evicts a
//! live entry, and a shared ledger catches a replay to another verifier.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cliauth::cert::CertStore;
use cliauth::state::{
    Digest, LedgerError, MemoryLedger, OnReplay, ReplayLedger, Sighting, VerdictCache,
};
use cliauth::{Attest, Call, Error, ReplayStatus, Verifier, VerifierConfig};

#[path = "support/caller.rs"]
mod caller;

use caller::{DEST, ORIG, URL, World, call};

const NOW: i64 = 1_800_000_000;

/// A store holding the chain of `URL`.
fn store(w: &World) -> Arc<CertStore> {
    let store = w.empty_store();
    store
        .insert(URL, w.pki.chain_pem.as_bytes(), NOW, None)
        .unwrap();
    store
}

/// A verifier over `store(w)` with `cache`.
fn verifier(w: &World, cache: &Arc<VerdictCache>) -> Verifier {
    Verifier::with_store(store(w)).with_verdict_cache(Arc::clone(cache))
}

#[test]
fn a_repeat_for_the_same_call_is_answered_without_store_or_signature() {
    let w = World::new("cliauth verdict cache test");
    let cache = Arc::new(VerdictCache::default());
    let v = verifier(&w, &cache);
    let id = w.identity("o-1", NOW);
    let first = v.verify_identity(&id, &call("c1@host"), NOW).unwrap();
    assert_eq!(first.replay_status(), ReplayStatus::First);
    // Empty the store: a verification that needed the chain would now fail with 436.
    v.store().unwrap().clear();
    let again = v.verify_identity(&id, &call("c1@host"), NOW + 3).unwrap();
    assert_eq!(again.replay_status(), ReplayStatus::Repeat);
    assert_eq!(again.origid(), Some("o-1"));
    assert_eq!(again.spc(), first.spc());
    assert_eq!(cache.stats().hits, 1);
    assert_eq!(cache.stats().recorded, 1);
    // Without a Call-ID the cache is not used: the store miss shows.
    let no_id = v.verify_identity(&id, &Call::new(ORIG, DEST), NOW);
    assert_eq!(no_id.unwrap_err().kind(), "certificate_needed");
}

#[test]
fn a_repeat_still_gets_the_cheap_checks() {
    let w = World::new("cliauth verdict cache test");
    let cache = Arc::new(VerdictCache::default());
    let v = verifier(&w, &cache);
    let id = w.identity("o-2", NOW);
    v.verify_identity(&id, &call("c2"), NOW).unwrap();
    let kind =
        |value: &str, c: Call<'_>, now: i64| v.verify_identity(value, &c, now).unwrap_err().kind();
    assert_eq!(kind(&id, call("c2"), NOW + 61), "stale");
    assert_eq!(
        kind(&id, Call::new("12155559999", DEST).with_call_id("c2"), NOW),
        "orig_mismatch"
    );
    assert_eq!(
        kind(&id, Call::new(ORIG, "19995550100").with_call_id("c2"), NOW),
        "dest_mismatch"
    );
    // The Identity parameters are checked against the cached header too.
    let token = id.split(';').next().unwrap();
    assert_eq!(
        kind(
            &format!("{token};info=<https://other.example/x.pem>"),
            call("c2"),
            NOW
        ),
        "bad_info"
    );
    assert!(v.verify_identity(&id, &call("c2"), NOW + 60).is_ok());
}

#[test]
fn the_same_token_for_another_call_is_a_replay() {
    let w = World::new("cliauth verdict cache test");
    let cache = Arc::new(VerdictCache::default());
    let v = verifier(&w, &cache);
    let id = w.identity("o-3", NOW);
    v.verify_identity(&id, &call("genuine"), NOW).unwrap();
    let e = v
        .verify_identity(&id, &call("attacker"), NOW + 20)
        .unwrap_err();
    assert_eq!(e.kind(), "replay");
    assert_eq!(e.sip_code(), 438);
    assert_eq!(e.verstat().as_str(), "TN-Validation-Failed");
    assert!(matches!(e, Error::Replay { iat: NOW, .. }), "{e:?}");
    assert!(e.to_string().contains("another call"), "{e}");
    assert_eq!(cache.stats().replays, 1);
    // The genuine call's retransmission still verifies.
    assert!(v.verify_identity(&id, &call("genuine"), NOW + 21).is_ok());
    // Past the freshness window the token is stale, not a replay.
    let stale = v.verify_identity(&id, &call("attacker"), NOW + 61);
    assert_eq!(stale.unwrap_err().kind(), "stale");

    // Report instead of reject: the verdict says so.
    let cache = Arc::new(VerdictCache::default().with_on_replay(OnReplay::Report));
    let v = verifier(&w, &cache);
    v.verify_identity(&id, &call("genuine"), NOW).unwrap();
    let reported = v.verify_identity(&id, &call("attacker"), NOW).unwrap();
    assert_eq!(reported.replay_status(), ReplayStatus::Replayed);
}

#[test]
fn a_replay_is_caught_whatever_the_form_of_the_token() {
    let w = World::new("cliauth verdict cache test");
    let cache = Arc::new(VerdictCache::default());
    let v = verifier(&w, &cache);
    let signed = w
        .signer
        .sign_shaken(ORIG, &[DEST], Attest::A, Some("o-4"), NOW)
        .unwrap();
    v.verify_identity(&signed.identity(), &call("one"), NOW)
        .unwrap();
    // The bare token, for another call.
    let e = v
        .verify_token(signed.token(), &call("two"), NOW)
        .unwrap_err();
    assert_eq!(e.kind(), "replay");
}

#[test]
fn a_full_cache_keeps_its_live_entries_and_reports_the_rest() {
    let w = World::new("cliauth verdict cache test");
    let cache = Arc::new(VerdictCache::new(16));
    let v = verifier(&w, &cache);
    let mut recorded = Vec::new();
    let mut unrecorded = 0;
    for i in 0..200 {
        let id = w.identity(&format!("flood-{i}"), NOW);
        let verdict = v
            .verify_identity(&id, &call(&format!("call-{i}")), NOW)
            .unwrap();
        match verdict.replay_status() {
            ReplayStatus::First => recorded.push(id),
            ReplayStatus::Unrecorded => unrecorded += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        recorded.len() <= 16 && !recorded.is_empty(),
        "{}",
        recorded.len()
    );
    assert_eq!(recorded.len() + unrecorded, 200);
    assert_eq!(cache.stats().unrecorded, unrecorded as u64);
    assert!(cache.len() <= 16);
    // The flood evicted nothing: every recorded token's replay is still caught.
    for id in &recorded {
        let e = v
            .verify_identity(id, &call("replayed"), NOW + 1)
            .unwrap_err();
        assert_eq!(e.kind(), "replay");
    }
    // Once their window closed, the entries make room again.
    let later = NOW + 61;
    let id = w.identity("after", later);
    let verdict = v.verify_identity(&id, &call("fresh"), later).unwrap();
    assert_eq!(verdict.replay_status(), ReplayStatus::First);
}

#[test]
fn concurrent_calls_with_one_token_admit_exactly_one() {
    let w = World::new("cliauth verdict cache test");
    let cache = Arc::new(VerdictCache::default());
    let v = Arc::new(verifier(&w, &cache));
    let id = Arc::new(w.identity("o-5", NOW));
    let ok = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (v, id, ok) = (Arc::clone(&v), Arc::clone(&id), Arc::clone(&ok));
            std::thread::spawn(move || {
                let call_id = format!("race-{i}");
                match v.verify_identity(&id, &call(&call_id), NOW) {
                    Ok(_) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => assert_eq!(e.kind(), "replay"),
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(ok.load(Ordering::SeqCst), 1);
}

#[test]
fn a_shared_ledger_catches_a_replay_to_another_verifier() {
    let w = World::new("cliauth verdict cache test");
    let ledger: Arc<dyn ReplayLedger> = Arc::new(MemoryLedger::new(1000));
    let node_a = verifier(
        &w,
        &Arc::new(VerdictCache::default().with_ledger(Arc::clone(&ledger))),
    );
    let node_b = verifier(
        &w,
        &Arc::new(VerdictCache::default().with_ledger(Arc::clone(&ledger))),
    );
    let id = w.identity("o-6", NOW);
    node_a.verify_identity(&id, &call("first"), NOW).unwrap();
    // The same call reaching the other node (a second hop): fine.
    let hop = node_b.verify_identity(&id, &call("first"), NOW).unwrap();
    assert_eq!(hop.replay_status(), ReplayStatus::First);
    // Another call on the other node: a replay, found in the ledger.
    let id2 = w.identity("o-7", NOW);
    node_a.verify_identity(&id2, &call("x"), NOW).unwrap();
    let e = node_b.verify_identity(&id2, &call("y"), NOW).unwrap_err();
    assert_eq!(e.kind(), "replay");
    assert!(e.to_string().contains("shared ledger"), "{e}");
}

/// A ledger whose backend is down.
#[derive(Debug)]
struct Down;

impl ReplayLedger for Down {
    fn record(&self, _: &Digest, _: &Digest, _: i64, _: i64) -> Result<Sighting, LedgerError> {
        Err(LedgerError("connection refused".into()))
    }
}

#[test]
fn an_unreachable_ledger_leaves_local_detection_and_says_so() {
    let w = World::new("cliauth verdict cache test");
    let cache = Arc::new(VerdictCache::default().with_ledger(Arc::new(Down)));
    let v = verifier(&w, &cache);
    let id = w.identity("o-8", NOW);
    let verdict = v.verify_identity(&id, &call("a"), NOW).unwrap();
    assert_eq!(verdict.replay_status(), ReplayStatus::LocalOnly);
    assert_eq!(cache.stats().ledger_errors, 1);
    assert_eq!(
        v.verify_identity(&id, &call("b"), NOW).unwrap_err().kind(),
        "replay"
    );
}

#[test]
fn verifiers_without_a_cache_do_not_check() {
    let w = World::new("cliauth verdict cache test");
    let v = Verifier::with_store(store(&w)).with_config(VerifierConfig::default());
    let id = w.identity("o-9", NOW);
    let a = v.verify_identity(&id, &call("a"), NOW).unwrap();
    let b = v.verify_identity(&id, &call("b"), NOW).unwrap();
    assert_eq!(a.replay_status(), ReplayStatus::Unchecked);
    assert_eq!(b.replay_status(), ReplayStatus::Unchecked);
}
