//! A simulated world of STI certificate repositories, to compare the old certificate
//! policy (fetch on the caller's thread on every miss, no single-flight, no negative cache,
//! `no-store` honoured literally) with the new one (`cliauth::state`: call-path budget,
//! single-flight, back-off, lifetime floor, stale-while-revalidate).
//!
//! Run with `cargo run --release --example x5u_world`.
//!
//! The world: 2,000 `x5u` URLs with Zipf popularity (s = 1; the 10 most popular
//! repositories are healthy), download times log-normal with a mean of about 350 ms and a
//! long tail, 10 % of repositories timing out (at the 5 s fetch deadline), 5 % serving
//! chains that do not validate, 10 % of the healthy ones answering `Cache-Control:
//! no-store`. 100,000 calls on 8 threads, arriving evenly over 10 simulated minutes. Time
//! is scaled: one real millisecond is `SCALE` simulated ones (network waits are real sleeps
//! of the scaled length; the call-path wait is the time the verify call was blocked,
//! scaled, plus its CPU time as is — the time a simulated thread waited for a core of the
//! machine running the simulation is left out, see `wait_ms`).
//!
//! The last two lines are JSON objects, old policy then new.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cliauth::cert::store::ttl_from_cache_control;
use cliauth::cert::testpki::{TestPki, TestPkiOptions};
use cliauth::cert::{CertStore, TrustStore};
use cliauth::fetch::{Fetch, FetchError, FetchErrorKind, Fetched};
use cliauth::state::{AcquirePolicy, Acquirer};
use cliauth::{Attest, Call, Error, Signer, SigningKey, Verifier, VerifierConfig};

/// Simulated milliseconds per real millisecond.
const SCALE: f64 = 100.0;
const URLS: usize = 2_000;
const CALLS: usize = 100_000;
const THREADS: usize = 8;
/// The simulated span over which calls arrive.
const SPAN_S: f64 = 600.0;
const FETCH_TIMEOUT_MS: f64 = 5_000.0;
const BUDGET_MS: f64 = 250.0;
const T0: i64 = 1_800_000_000;

/// A small deterministic PRNG (xorshift64*).
#[derive(Debug)]
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repo {
    Good(Option<&'static str>),
    TimesOut,
    Invalid,
}

/// The world's repositories, reached through `Fetch`; counts what the policies do.
#[derive(Debug)]
struct World {
    repos: Vec<Repo>,
    chain: Vec<u8>,
    start: Instant,
    rng: Mutex<Rng>,
    in_flight: Mutex<HashMap<usize, usize>>,
    fetches: AtomicU64,
    duplicates: AtomicU64,
    failing_fetches: AtomicU64,
    /// Simulated start times (s) of fetches, per failing repository.
    failing_times: Mutex<HashMap<usize, Vec<f64>>>,
}

fn url(i: usize) -> String {
    format!("https://sti{i}.example.net/sp.pem")
}

fn index(url: &str) -> usize {
    url["https://sti".len()..]
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

impl World {
    fn sim_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * SCALE
    }
    fn now(&self) -> i64 {
        T0 + self.sim_s() as i64
    }
    fn sleep_sim_ms(ms: f64) {
        std::thread::sleep(Duration::from_secs_f64(ms / SCALE / 1000.0));
    }
    /// Log-normal download time, mean about 350 ms, long tail.
    fn download_ms(&self) -> f64 {
        let sigma: f64 = 0.8;
        let mu = 350f64.ln() - sigma * sigma / 2.0;
        (mu + sigma * self.rng.lock().unwrap().normal()).exp()
    }
}

impl Fetch for World {
    fn fetch(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        let i = index(url);
        self.fetches.fetch_add(1, Ordering::Relaxed);
        {
            let mut f = self.in_flight.lock().unwrap();
            let n = f.entry(i).or_insert(0);
            if *n > 0 {
                self.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            *n += 1;
        }
        let repo = self.repos[i];
        if repo != Repo::Good(None) && !matches!(repo, Repo::Good(_)) {
            self.failing_fetches.fetch_add(1, Ordering::Relaxed);
            let t = self.sim_s();
            self.failing_times
                .lock()
                .unwrap()
                .entry(i)
                .or_default()
                .push(t);
        }
        let limit_ms = timeout.as_secs_f64() * 1000.0 * SCALE;
        let r = match repo {
            Repo::TimesOut => {
                World::sleep_sim_ms(limit_ms);
                Err(FetchError::new(
                    FetchErrorKind::TimedOut,
                    format!("fetch {url}: timed out"),
                ))
            }
            _ => {
                let d = self.download_ms();
                if d >= limit_ms {
                    World::sleep_sim_ms(limit_ms);
                    Err(FetchError::new(
                        FetchErrorKind::TimedOut,
                        format!("fetch {url}: timed out"),
                    ))
                } else {
                    World::sleep_sim_ms(d);
                    Ok(Fetched {
                        body: if repo == Repo::Invalid {
                            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
                                .to_vec()
                        } else {
                            self.chain.clone()
                        },
                        cache_control: match repo {
                            Repo::Good(cc) => cc.map(str::to_owned),
                            _ => None,
                        },
                    })
                }
            }
        };
        *self.in_flight.lock().unwrap().get_mut(&i).unwrap() -= 1;
        r
    }
}

/// This thread's time on a CPU and waiting for one, in ns (Linux schedstat), if known.
fn schedstat() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut f = s.split_whitespace().map(|x| x.parse::<u64>().ok());
    Some((f.next()??, f.next()??))
}

/// The simulated call-path wait of a call that took `wall`: the time it was blocked
/// (waiting for the network or a fetch) scaled, plus its CPU time as is. The time it spent
/// waiting for a CPU of the machine running the simulation is left out: it is an artefact
/// of 8 simulated threads (plus fetch workers) sharing the few cores of a test machine,
/// and scaled by `SCALE` it would dwarf everything else.
fn wait_ms(wall: Duration, before: Option<(u64, u64)>, after: Option<(u64, u64)>) -> f64 {
    let wall = wall.as_nanos() as f64;
    let (cpu, runq) = match (before, after) {
        (Some(b), Some(a)) => (
            a.0.saturating_sub(b.0) as f64,
            a.1.saturating_sub(b.1) as f64,
        ),
        _ => (0.0, 0.0),
    };
    let blocked = (wall - cpu - runq).max(0.0);
    (cpu + blocked * SCALE) / 1e6
}

struct Report {
    policy: &'static str,
    waits_ms: Vec<f64>,
    verified: usize,
    calls: usize,
    fetches: u64,
    duplicates: u64,
    failing_fetches: u64,
    minutes: f64,
    min_failing_gap_s: f64,
    late_failures: usize,
}

impl Report {
    fn pct(&self, p: f64) -> f64 {
        let i = ((self.waits_ms.len() as f64 * p).ceil() as usize).clamp(1, self.waits_ms.len());
        self.waits_ms[i - 1]
    }
    fn json(&self) -> String {
        format!(
            "{{\"policy\":\"{}\",\"p50_wait_ms\":{:.1},\"p99_wait_ms\":{:.1},\"p999_wait_ms\":{:.1},\
             \"fetches\":{},\"duplicate_fetches\":{},\"failing_fetches_per_min\":{:.2},\
             \"verified_share\":{:.4},\"fetches_per_url\":{:.3},\"min_failing_refetch_s\":{:.1},\
             \"unverified_after_first_fetch\":{},\"sim_minutes\":{:.1}}}",
            self.policy,
            self.pct(0.5),
            self.pct(0.99),
            self.pct(0.999),
            self.fetches,
            self.duplicates,
            self.failing_fetches as f64 / self.minutes,
            self.verified as f64 / self.calls as f64,
            self.fetches as f64 / URLS as f64,
            self.min_failing_gap_s,
            self.late_failures,
            self.minutes,
        )
    }
}

struct Setup {
    pki: TestPki,
    repos: Vec<Repo>,
    /// Cumulative Zipf weights.
    cdf: Vec<f64>,
    tokens: Vec<String>,
}

fn setup() -> Setup {
    let pki = TestPki::generate(&TestPkiOptions {
        name: "x5u world".into(),
        spc: Some("1234".into()),
        not_before: T0 - 86_400,
        not_after: T0 + 30 * 86_400,
        ..TestPkiOptions::default()
    })
    .expect("test PKI");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let repos = (0..URLS)
        .map(|i| {
            let r = rng.unit();
            if i < 10 {
                Repo::Good(None)
            } else if r < 0.10 {
                Repo::TimesOut
            } else if r < 0.15 {
                Repo::Invalid
            } else {
                let c = rng.unit();
                Repo::Good(if c < 0.10 {
                    Some("no-store")
                } else if c < 0.30 {
                    Some("max-age=120")
                } else {
                    None
                })
            }
        })
        .collect();
    let mut acc = 0.0;
    let cdf = (1..=URLS)
        .map(|k| {
            acc += 1.0 / k as f64;
            acc
        })
        .collect();
    let tokens = (0..URLS)
        .map(|i| {
            let key = SigningKey::from_pem_or_der(pki.ee_key_pem.as_bytes()).expect("key");
            Signer::new(key, url(i))
                .expect("signer")
                .sign_shaken("12155551212", &["12155550100"], Attest::A, None, T0)
                .expect("sign")
                .identity()
        })
        .collect();
    Setup {
        pki,
        repos,
        cdf,
        tokens,
    }
}

fn run(s: &Setup, new: bool) -> Report {
    let world = Arc::new(World {
        repos: s.repos.clone(),
        chain: s.pki.chain_pem.as_bytes().to_vec(),
        start: Instant::now(),
        rng: Mutex::new(Rng(0x0dd_ba11)),
        in_flight: Mutex::new(HashMap::new()),
        fetches: AtomicU64::new(0),
        duplicates: AtomicU64::new(0),
        failing_fetches: AtomicU64::new(0),
        failing_times: Mutex::new(HashMap::new()),
    });
    let mut trust = TrustStore::new();
    trust
        .add_anchors(s.pki.root_pem.as_bytes())
        .expect("anchor");
    let store = CertStore::new(trust);
    let config = VerifierConfig {
        max_age: 1_000_000,
        fetch_budget: Duration::from_secs_f64(BUDGET_MS / SCALE / 1000.0),
        ..VerifierConfig::default()
    };
    let fetch_timeout = Duration::from_secs_f64(FETCH_TIMEOUT_MS / SCALE / 1000.0);
    let verifier = if new {
        let store = Arc::new(store);
        let clock = {
            let world = world.clone();
            Arc::new(move || world.now())
        };
        let acquirer = Acquirer::new(
            world.clone(),
            Arc::clone(&store),
            AcquirePolicy {
                fetch_timeout,
                ..AcquirePolicy::default()
            },
        )
        .with_clock(clock);
        Verifier::with_store(store).with_acquirer(acquirer)
    } else {
        Verifier::with_store(Arc::new(store.with_stale_grace(0)))
    }
    .with_config(config);
    let call = Call::new("12155551212", "12155550100");
    let total = *s.cdf.last().unwrap();
    let verified_once: Vec<AtomicU64> = (0..URLS).map(|_| AtomicU64::new(0)).collect();
    let results: Vec<(Vec<f64>, usize, usize)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..THREADS)
            .map(|t| {
                let (world, verifier, verified_once) = (&world, &verifier, &verified_once);
                sc.spawn(move || {
                    let mut rng = Rng(0x1234_5678 + t as u64);
                    let per = CALLS / THREADS;
                    let mut waits = Vec::with_capacity(per);
                    let (mut ok, mut late) = (0, 0);
                    for k in 0..per {
                        // Calls arrive evenly over SPAN_S simulated seconds.
                        let due = (k * THREADS + t) as f64 * SPAN_S / CALLS as f64;
                        let ahead = due - world.sim_s();
                        if ahead > 0.0 {
                            World::sleep_sim_ms(ahead * 1000.0);
                        }
                        let x = rng.unit() * total;
                        let i = s.cdf.partition_point(|c| *c < x).min(URLS - 1);
                        let was_verified = verified_once[i].load(Ordering::Relaxed) == 1;
                        let begin = Instant::now();
                        let sched = schedstat();
                        let now = world.now();
                        let mut r = verifier.verify_identity(&s.tokens[i], &call, now);
                        if !new && let Err(Error::CertificateNeeded { url }) = &r {
                            // The old policy: the caller fetches, inserts, verifies again.
                            r = match world.fetch(url, fetch_timeout) {
                                Ok(got) => verifier
                                    .store()
                                    .unwrap()
                                    .insert(
                                        url,
                                        &got.body,
                                        now,
                                        Some(ttl_from_cache_control(got.cache_control.as_deref())),
                                    )
                                    .and_then(|_| {
                                        verifier.verify_identity(&s.tokens[i], &call, now)
                                    }),
                                Err(e) => Err(e.into()),
                            };
                        }
                        waits.push(wait_ms(begin.elapsed(), sched, schedstat()));
                        if r.is_ok() {
                            ok += 1;
                            verified_once[i].store(1, Ordering::Relaxed);
                        } else if was_verified {
                            late += 1;
                        }
                    }
                    (waits, ok, late)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let minutes = world.sim_s() / 60.0;
    let mut waits: Vec<f64> = results.iter().flat_map(|r| r.0.iter().copied()).collect();
    waits.sort_by(f64::total_cmp);
    let verified = results.iter().map(|r| r.1).sum();
    let late_failures = results.iter().map(|r| r.2).sum();
    let min_gap = world
        .failing_times
        .lock()
        .unwrap()
        .values_mut()
        .filter_map(|v| {
            v.sort_by(f64::total_cmp);
            v.windows(2).map(|w| w[1] - w[0]).min_by(f64::total_cmp)
        })
        .min_by(f64::total_cmp)
        .unwrap_or(f64::INFINITY);
    Report {
        policy: if new { "new" } else { "old" },
        calls: waits.len(),
        waits_ms: waits,
        verified,
        fetches: world.fetches.load(Ordering::Relaxed),
        duplicates: world.duplicates.load(Ordering::Relaxed),
        failing_fetches: world.failing_fetches.load(Ordering::Relaxed),
        minutes,
        min_failing_gap_s: if min_gap.is_finite() { min_gap } else { -1.0 },
        late_failures,
    }
}

fn main() {
    let s = setup();
    let count = |f: &dyn Fn(&Repo) -> bool| s.repos.iter().filter(|r| f(r)).count();
    println!(
        "x5u world: {URLS} repositories ({} timing out, {} invalid, {} no-store), {CALLS} calls \
         on {THREADS} threads over {SPAN_S} simulated s, time scaled x{SCALE}, budget \
         {BUDGET_MS} ms, fetch deadline {FETCH_TIMEOUT_MS} ms",
        count(&|r| *r == Repo::TimesOut),
        count(&|r| *r == Repo::Invalid),
        count(&|r| *r == Repo::Good(Some("no-store"))),
    );
    let reports = [run(&s, false), run(&s, true)];
    println!(
        "{:<6} {:>9} {:>9} {:>10} {:>8} {:>10} {:>10} {:>9} {:>12} {:>9}",
        "policy",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "fetches",
        "fetch/URL",
        "duplicate",
        "fail/min",
        "min refetch",
        "verified"
    );
    for r in &reports {
        println!(
            "{:<6} {:>9.1} {:>9.1} {:>10.1} {:>8} {:>10.3} {:>10} {:>9.1} {:>11.1}s {:>8.2}%",
            r.policy,
            r.pct(0.5),
            r.pct(0.99),
            r.pct(0.999),
            r.fetches,
            r.fetches as f64 / URLS as f64,
            r.duplicates,
            r.failing_fetches as f64 / r.minutes,
            r.min_failing_gap_s,
            100.0 * r.verified as f64 / r.calls as f64
        );
    }
    for r in &reports {
        println!("{}", r.json());
    }
}
