//! The verification service: [`Verifier`] checks an Identity header (or a bare token)
//! against the call it arrived with and returns a [`Verdict`] or an [`Error`] that maps to
//! the SIP response.
//!
//! Checks, cheapest first: size limits and syntax; the header (`alg` ES256, `typ`, `ppt`
//! supported and equal to the Identity `ppt` parameter, `x5u` a URL equal to `info`);
//! the claims (types, the extension's mandatory claims); the `x5u` policy (https unless
//! allowed otherwise); the freshness of `iat` against `now`; `orig` and `dest` against the
//! call's numbers — all of them before the key is looked up, so a token that fails them
//! never causes a store lookup or a fetch — then the signature over the received bytes.
//!
//! Keys come from one of three places: a key in hand ([`Verifier::with_key`]: a public key
//! or the key of a certificate, no chain checked), one chain validated beforehand
//! ([`Verifier::with_credential`]), or a certificate store keyed by `x5u`
//! ([`Verifier::with_store`]), where a miss yields [`Error::CertificateNeeded`] — or, with
//! a fetcher ([`Verifier::with_fetch`]), goes to the acquisition policy of
//! [`crate::state`], which waits at most [`VerifierConfig::fetch_budget`]. With a
//! chain, after the signature: the profile (strict mode), the number authority (the
//! TNAuthList must cover `orig`, or hold only an SPC) and the claim constraints.

use std::sync::Arc;
use std::time::Duration;

use crate::cert::store::Lookup;
use crate::cert::{CertStore, Coverage, Credential};
use crate::error::{CertProblem, CertReason, Error, Verstat};
use crate::fetch::Fetch;
use crate::identity::IdentityHeader;
use crate::key::VerifyingKey;
use crate::passport::header::strip_scheme;
use crate::passport::jws::RawToken;
use crate::passport::{Attest, Claims, Dest, Header, Party, Passport, Ppt};
use crate::state::verdicts::{Found, digest};
use crate::state::{AcquirePolicy, Acquired, Acquirer, VerdictCache};
use crate::tn::Tn;

/// Verification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// The oldest `iat` accepted, in seconds before `now` (ATIS-1000074 recommends 60).
    pub max_age: i64,
    /// How far `iat` may lie in the future, in seconds, to allow for clocks running ahead.
    pub max_future: i64,
    /// Accept `x5u` URLs with the `http` scheme (ATIS-1000074 requires `https`).
    pub allow_http_x5u: bool,
    /// Reject certificates with ATIS-1000080 profile faults (437) instead of reporting
    /// them in the verdict. Off by default: many real certificates carry faults.
    pub strict_profile: bool,
    /// The longest a call waits for a missing certificate chain to be fetched (verifiers
    /// with a fetcher only). When the chain is not there in time the call gets
    /// [`Error::CertificatePending`] and the fetch completes in the background for the
    /// next call. The wait ends up to 0.1 ms before the budget, so that the call is back
    /// on its thread within it despite the kernel's timer slack. Default 250 ms.
    pub fetch_budget: Duration,
    /// What a call whose chain is still pending gets. Default [`BudgetOutcome::Reject`].
    pub on_budget: BudgetOutcome,
}

/// What a call gets when its certificate chain was not fetched within the budget: always
/// [`Error::CertificatePending`] (kind `certificate_pending`, SIP 436), whose
/// [`Error::verstat`] says how to treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BudgetOutcome {
    /// Reject (436 Bad Identity Info), `verstat` `TN-Validation-Failed`.
    #[default]
    Reject,
    /// Let the call through unverified: `verstat` `No-TN-Validation`.
    NoTnValidation,
}

/// The default [`VerifierConfig::fetch_budget`].
pub const DEFAULT_FETCH_BUDGET: Duration = Duration::from_millis(250);

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            max_age: 60,
            max_future: 10,
            allow_http_x5u: false,
            strict_profile: false,
            fetch_budget: DEFAULT_FETCH_BUDGET,
            on_budget: BudgetOutcome::Reject,
        }
    }
}

/// The call a token arrived with: its numbers (a `None` number is not checked) and its
/// SIP Call-ID (what tells calls apart for the verdict cache and replay detection; without
/// one, neither is used).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Call<'a> {
    /// The calling number (From / P-Asserted-Identity user part), or a URI.
    pub orig: Option<&'a str>,
    /// The called number (Request-URI / To user part), or a URI.
    pub dest: Option<&'a str>,
    /// The SIP Call-ID (or any identifier of the call that all its hops and forks share,
    /// such as an ISUP gateway's own call reference).
    pub call_id: Option<&'a str>,
}

impl<'a> Call<'a> {
    /// A call from `orig` to `dest`.
    pub fn new(orig: &'a str, dest: &'a str) -> Call<'a> {
        Call {
            orig: Some(orig),
            dest: Some(dest),
            call_id: None,
        }
    }

    /// The same call with the Call-ID `call_id`.
    pub fn with_call_id(self, call_id: &'a str) -> Call<'a> {
        Call {
            call_id: Some(call_id),
            ..self
        }
    }
}

/// What the verdict cache knew of a verified token ([`Verdict::replay_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplayStatus {
    /// Not checked: the verifier has no verdict cache, or the call no Call-ID.
    #[default]
    Unchecked,
    /// First seen now, and recorded.
    First,
    /// Seen before for the same call: the cached verdict, no signature verified again.
    Repeat,
    /// Seen before for another call: a replay, reported because the cache's policy is
    /// [`OnReplay::Report`](crate::state::OnReplay::Report).
    Replayed,
    /// First seen now, but not recorded: the cache (or the shared ledger) is full. A later
    /// replay of this token will not be caught.
    Unrecorded,
    /// First seen in this process; the shared ledger could not be asked (unreachable), so
    /// a replay to another node will not be caught.
    LocalOnly,
}

impl ReplayStatus {
    /// The status as a lower-case word (`unchecked`, `first`, `repeat`, `replayed`,
    /// `unrecorded`, `local_only`), as the command's JSON prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayStatus::Unchecked => "unchecked",
            ReplayStatus::First => "first",
            ReplayStatus::Repeat => "repeat",
            ReplayStatus::Replayed => "replayed",
            ReplayStatus::Unrecorded => "unrecorded",
            ReplayStatus::LocalOnly => "local_only",
        }
    }
}

/// How the signer's certificate authorises the originating identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// The key was given directly (no certificate checked).
    KeyInHand,
    /// The TNAuthList lists the number (a `one` entry or a `range`).
    Tn,
    /// The TNAuthList holds only a service provider code: the signer is a known carrier,
    /// and the number's authorisation rests on the SHAKEN attestation.
    Spc(String),
}

/// The result of a successful verification. Only a [`Verifier`] makes one: the fields are
/// private, so a `Verdict` in hand always means a token that verified.
#[derive(Debug, Clone)]
pub struct Verdict {
    header: Header,
    claims: Claims,
    authority: Authority,
    credential: Option<Arc<Credential>>,
    replay: ReplayStatus,
}

impl Verdict {
    /// What the verdict cache knew of this token: first sighting, a repeat for the same
    /// call (served from the cache), a reported replay, or not checked.
    pub fn replay_status(&self) -> ReplayStatus {
        self.replay
    }
    /// The token's header.
    pub fn header(&self) -> &Header {
        &self.header
    }
    /// The token's claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
    /// How the certificate authorises `orig`.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }
    /// The validated certificate chain, when the key came from one.
    pub fn credential(&self) -> Option<&Arc<Credential>> {
        self.credential.as_ref()
    }
    /// The extension (`ppt`), `None` for a base PASSporT.
    pub fn ppt(&self) -> Option<Ppt> {
        self.header.ppt
    }
    /// The SHAKEN attestation level.
    pub fn attest(&self) -> Option<Attest> {
        self.claims.attest
    }
    /// The originating identity.
    pub fn orig(&self) -> &Party {
        &self.claims.orig
    }
    /// The destination identities.
    pub fn dest(&self) -> &Dest {
        &self.claims.dest
    }
    /// The SHAKEN origination identifier.
    pub fn origid(&self) -> Option<&str> {
        self.claims.origid.as_deref()
    }
    /// The certificate URL.
    pub fn x5u(&self) -> &str {
        &self.header.x5u
    }
    /// The issued-at time.
    pub fn iat(&self) -> i64 {
        self.claims.iat
    }
    /// The `verstat` value for a verified call.
    pub fn verstat(&self) -> Verstat {
        Verstat::TnValidationPassed
    }
    /// The service provider code of the signer's certificate.
    pub fn spc(&self) -> Option<&str> {
        self.credential.as_ref().and_then(|c| c.spc())
    }
    /// The profile fault identifiers of the signer's certificate (lenient mode).
    pub fn cert_faults(&self) -> Vec<&'static str> {
        self.credential
            .as_ref()
            .map(|c| c.fault_ids())
            .unwrap_or_default()
    }
}

#[derive(Debug)]
enum Keys {
    Static(VerifyingKey),
    Pinned(Arc<Credential>),
    Store(Arc<CertStore>),
}

/// The key a token is checked with, and the chain it came from.
enum Resolved<'a> {
    Static(&'a VerifyingKey),
    Chain(Arc<Credential>),
}

impl Resolved<'_> {
    fn key(&self) -> &VerifyingKey {
        match self {
            Resolved::Static(k) => k,
            Resolved::Chain(c) => c.key(),
        }
    }
}

/// Verifies PASSporTs. `Verifier` is `Send + Sync`: share one across threads.
#[derive(Debug)]
pub struct Verifier {
    config: VerifierConfig,
    keys: Keys,
    acquirer: Option<Acquirer>,
    verdicts: Option<Arc<VerdictCache>>,
}

impl Verifier {
    /// A verifier that checks every token against one key (the signer's public key or the
    /// key of its certificate), whatever its `x5u` says.
    pub fn with_key(key: VerifyingKey) -> Verifier {
        Verifier {
            config: VerifierConfig::default(),
            keys: Keys::Static(key),
            acquirer: None,
            verdicts: None,
        }
    }

    /// A verifier that looks up the chain of each token's `x5u` in `store`; a miss is
    /// [`Error::CertificateNeeded`]: fetch the URL, [`CertStore::insert`] the body, retry.
    pub fn with_store(store: Arc<CertStore>) -> Verifier {
        Verifier {
            config: VerifierConfig::default(),
            keys: Keys::Store(store),
            acquirer: None,
            verdicts: None,
        }
    }

    /// A verifier that checks every token against one chain validated beforehand, whatever
    /// its `x5u` says (the chain was obtained out of band). The chain's validity period is
    /// checked again at each verification's `now`: a pinned credential expires like its
    /// certificates ([`Error::Cert`] `cert_expired` / `cert_not_yet_valid`, 437).
    pub fn with_credential(credential: Credential) -> Verifier {
        Verifier {
            config: VerifierConfig::default(),
            keys: Keys::Pinned(Arc::new(credential)),
            acquirer: None,
            verdicts: None,
        }
    }

    /// The certificate store, when the verifier has one.
    pub fn store(&self) -> Option<&Arc<CertStore>> {
        match &self.keys {
            Keys::Store(s) => Some(s),
            _ => None,
        }
    }

    /// Replaces the settings.
    pub fn with_config(mut self, config: VerifierConfig) -> Verifier {
        self.config = config;
        self
    }

    /// The settings.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Fetches on a store miss with `fetch` under the default [`AcquirePolicy`]: see
    /// [`with_fetch_policy`](Self::with_fetch_policy).
    pub fn with_fetch(self, fetch: Arc<dyn Fetch>) -> Verifier {
        self.with_fetch_policy(fetch, AcquirePolicy::default())
    }

    /// Fetches on a store miss with `fetch` under `policy` ([`crate::state`]): one fetch
    /// per URL at a time, failures remembered with back-off, a floor on the cache lifetime,
    /// stale entries served while they are refreshed, and a call waits at most
    /// [`VerifierConfig::fetch_budget`] ([`Error::CertificatePending`] after that, while the
    /// fetch completes in the background). A fetch or validation failure is the
    /// verification's error. Only verifiers with a store ([`Verifier::with_store`]) ever
    /// fetch; worker threads start on the first fetch.
    pub fn with_fetch_policy(self, fetch: Arc<dyn Fetch>, policy: AcquirePolicy) -> Verifier {
        let acquirer = match &self.keys {
            Keys::Store(s) => Some(Acquirer::new(fetch, Arc::clone(s), policy)),
            _ => None,
        };
        Verifier { acquirer, ..self }
    }

    /// Fetches on a store miss through `acquirer` (which may be shared by several
    /// verifiers over the same store). Ignored unless the verifier has a store.
    pub fn with_acquirer(mut self, acquirer: Acquirer) -> Verifier {
        if matches!(self.keys, Keys::Store(_)) {
            self.acquirer = Some(acquirer);
        }
        self
    }

    /// Fetches on a store miss with the blocking ureq fetcher (feature `fetch`), under the
    /// default [`AcquirePolicy`] with the fetcher's timeout as the fetch deadline.
    #[cfg(feature = "fetch")]
    pub fn with_fetcher(self, f: crate::fetch::Fetcher) -> Verifier {
        let policy = AcquirePolicy {
            fetch_timeout: f.config().timeout,
            ..AcquirePolicy::default()
        };
        self.with_fetch_policy(Arc::new(f), policy)
    }

    /// Remembers verdicts in `cache` (which may be shared by several verifiers): the same
    /// token again for the same call ([`Call::call_id`]) is answered from the cache after
    /// the cheap checks, and the same token for another call is a replay
    /// ([`Error::Replay`], or [`ReplayStatus::Replayed`]). See [`VerdictCache`].
    ///
    /// A cached verdict is served without the key, chain and profile checks that made
    /// it: share one cache only among verifiers with the same keys, trust and settings
    /// (give verifiers with different trust their own caches; one [`ReplayLedger`] may
    /// still join them for replay detection), and [`VerdictCache::clear`] it when the
    /// trust changes if repeats within the freshness window must see the new trust.
    ///
    /// [`ReplayLedger`]: crate::state::ReplayLedger
    pub fn with_verdict_cache(mut self, cache: Arc<VerdictCache>) -> Verifier {
        self.verdicts = Some(cache);
        self
    }

    /// Sets (or, with `None`, removes) the verdict cache of a verifier in place; see
    /// [`with_verdict_cache`](Self::with_verdict_cache).
    pub fn set_verdict_cache(&mut self, cache: Option<Arc<VerdictCache>>) {
        self.verdicts = cache;
    }

    /// The verdict cache, when one is set.
    pub fn verdict_cache(&self) -> Option<&Arc<VerdictCache>> {
        self.verdicts.as_ref()
    }

    /// Whether a fetcher is set.
    pub fn has_fetcher(&self) -> bool {
        self.acquirer.is_some()
    }

    /// The acquisition policy in use, when a fetcher is set.
    pub fn acquirer(&self) -> Option<&Acquirer> {
        self.acquirer.as_ref()
    }

    fn resolve(&self, x5u: &str, now: i64) -> Result<Resolved<'_>, Error> {
        match &self.keys {
            Keys::Static(k) => Ok(Resolved::Static(k)),
            Keys::Pinned(c) => Ok(Resolved::Chain(Arc::clone(c))),
            Keys::Store(s) => match (s.lookup(x5u, now), &self.acquirer) {
                (Lookup::Fresh(c), _) => Ok(Resolved::Chain(c)),
                (Lookup::Stale(c), Some(a)) => {
                    a.refresh(x5u, now);
                    Ok(Resolved::Chain(c))
                }
                (_, None) => Err(Error::CertificateNeeded {
                    url: x5u.to_owned(),
                }),
                (Lookup::Miss, Some(a)) => match a.acquire(x5u, now, self.config.fetch_budget) {
                    Acquired::Ready(c) => Ok(Resolved::Chain(c)),
                    Acquired::Failed(e) => Err(e),
                    Acquired::Pending => Err(Error::CertificatePending {
                        url: x5u.to_owned(),
                        budget_ms: u64::try_from(self.config.fetch_budget.as_millis())
                            .unwrap_or(u64::MAX),
                        no_tn_validation: self.config.on_budget == BudgetOutcome::NoTnValidation,
                    }),
                },
            },
        }
    }

    /// Verifies one Identity header value (`token;info=<…>;alg=…;ppt=…`, or a bare token)
    /// for `call` at time `now` (seconds since the Unix epoch).
    pub fn verify_identity(
        &self,
        value: &str,
        call: &Call<'_>,
        now: i64,
    ) -> Result<Verdict, Error> {
        let h = IdentityHeader::parse(value)?;
        self.verify_parsed(&h, call, now)
    }

    /// Verifies every value of a (possibly comma-folded) Identity header field, each on
    /// its own: one result per value, in order.
    pub fn verify_identities(
        &self,
        field: &str,
        call: &Call<'_>,
        now: i64,
    ) -> Result<Vec<Result<Verdict, Error>>, Error> {
        let all = IdentityHeader::parse_all(field)?;
        Ok(all
            .iter()
            .map(|h| self.verify_parsed(h, call, now))
            .collect())
    }

    /// Verifies a parsed Identity header value.
    pub fn verify_parsed(
        &self,
        h: &IdentityHeader,
        call: &Call<'_>,
        now: i64,
    ) -> Result<Verdict, Error> {
        if h.alg() != crate::passport::header::ALG_ES256 {
            return Err(Error::UnsupportedAlg(h.alg().to_owned()));
        }
        if h.is_compact() {
            return Err(Error::format(
                crate::error::Part::Header,
                "compact form: rebuild the PASSporT from the call and use verify_compact",
            ));
        }
        require_info(h)?;
        self.verify_str(&h.token, Some(h), None, call, now)
    }

    /// Verifies a bare full-form token.
    pub fn verify_token(&self, token: &str, call: &Call<'_>, now: i64) -> Result<Verdict, Error> {
        self.verify_str(token, None, None, call, now)
    }

    /// Verifies the full-form `token` (received in `h`, or bare; for the compact form,
    /// rebuilt from `rebuilt`): through the verdict cache when the call has a Call-ID.
    fn verify_str(
        &self,
        token: &str,
        h: Option<&IdentityHeader>,
        rebuilt: Option<&Passport>,
        call: &Call<'_>,
        now: i64,
    ) -> Result<Verdict, Error> {
        let cache = match (&self.verdicts, call.call_id) {
            (Some(cache), Some(call_id)) => {
                Some((cache, digest(token.as_bytes()), digest(call_id.as_bytes())))
            }
            _ => None,
        };
        if let Some((cache, key, call_key)) = &cache {
            // Same token seen before: the cheap checks again, then the cached verdict (same
            // call) or the replay rule (another call). No parse, no signature.
            let (cached, same) = match cache.find(key, call_key, now) {
                Found::Nothing => (None, false),
                Found::Same(v) => (Some(v), true),
                Found::Other(v) => (Some(v), false),
            };
            if let Some(v) = cached {
                if let Some(h) = h {
                    check_params(h, &v.header)?;
                }
                self.cheap_checks(&v.header, &v.claims, call, now)?;
                if let Some(c) = &v.credential {
                    c.check_time(now)?;
                }
                let replay = if same {
                    ReplayStatus::Repeat
                } else {
                    cache.replay(&v, "this process")?
                };
                let mut verdict = Verdict::clone(&v);
                verdict.replay = replay;
                return Ok(verdict);
            }
        }
        let mut verdict = match rebuilt {
            Some(p) => {
                let raw = RawToken::split(token)?;
                self.finish(p.clone(), &raw, call, now)?
            }
            None => {
                let (p, raw) = Passport::parse(token)?;
                if let Some(h) = h {
                    check_params(h, &p.header)?;
                }
                self.finish(p, &raw, call, now)?
            }
        };
        if let Some((cache, key, call_key)) = &cache {
            let expires = verdict.claims.iat.saturating_add(self.config.max_age);
            verdict.replay = cache.record(key, call_key, &verdict, expires, now)?;
        }
        Ok(verdict)
    }

    /// Verifies a compact-form Identity value (`..signature;info=<…>;…`, or a bare
    /// `..signature`) whose header and claims the receiver rebuilt from the signalling
    /// as `passport` (RFC 8224 §7). Works only when the signer used deterministic JSON.
    pub fn verify_compact(
        &self,
        value: &str,
        passport: &Passport,
        call: &Call<'_>,
        now: i64,
    ) -> Result<Verdict, Error> {
        let h = IdentityHeader::parse(value)?;
        if !h.is_compact() {
            return self.verify_parsed(&h, call, now);
        }
        if h.alg() != crate::passport::header::ALG_ES256 {
            return Err(Error::UnsupportedAlg(h.alg().to_owned()));
        }
        require_info(&h)?;
        check_params(&h, &passport.header)?;
        let token = passport.rebuild(&h.token)?;
        self.verify_str(&token, None, Some(passport), call, now)
    }

    fn finish(
        &self,
        p: Passport,
        raw: &RawToken<'_>,
        call: &Call<'_>,
        now: i64,
    ) -> Result<Verdict, Error> {
        self.cheap_checks(&p.header, &p.claims, call, now)?;
        let resolved = self.resolve(&p.header.x5u, now)?;
        if let Resolved::Chain(c) = &resolved {
            // Two integer comparisons: a pinned (or long-cached) chain expires too.
            c.check_time(now)?;
        }
        Passport::verify_signature(raw, resolved.key())?;
        let (authority, credential) = match resolved {
            Resolved::Static(_) => (Authority::KeyInHand, None),
            Resolved::Chain(c) => (self.check_credential(&c, &p.claims)?, Some(c)),
        };
        Ok(Verdict {
            header: p.header,
            claims: p.claims,
            authority,
            credential,
            replay: ReplayStatus::Unchecked,
        })
    }

    /// The checks that need neither a key nor a certificate: the `x5u` scheme, the `iat`
    /// window at `now`, `orig` and `dest` against the call.
    fn cheap_checks(
        &self,
        header: &Header,
        claims: &Claims,
        call: &Call<'_>,
        now: i64,
    ) -> Result<(), Error> {
        if !self.config.allow_http_x5u && strip_scheme(&header.x5u, "https").is_none() {
            return Err(Error::BadInfo(format!(
                "x5u {:?} is not an https URL",
                header.x5u
            )));
        }
        let iat = claims.iat;
        // i128: no overflow whatever the caller's clock and the token's iat are.
        let age = i128::from(now) - i128::from(iat);
        let clamp = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
        if age > i128::from(self.config.max_age) {
            return Err(Error::Stale {
                iat,
                age: clamp(age),
                max_age: self.config.max_age,
            });
        }
        if -age > i128::from(self.config.max_future) {
            return Err(Error::Future {
                iat,
                ahead: clamp(-age),
                max_skew: self.config.max_future,
            });
        }
        check_orig(&claims.orig, call.orig)?;
        check_dest(&claims.dest, call.dest)
    }

    /// What the certificate says about the token: profile (strict mode), number authority
    /// (TNAuthList) and claim constraints.
    fn check_credential(&self, cred: &Credential, claims: &Claims) -> Result<Authority, Error> {
        if self.config.strict_profile && !cred.faults().is_empty() {
            return Err(Error::Cert {
                problem: CertProblem::Profile,
                reason: CertReason::ProfileFaults(cred.fault_ids()),
            });
        }
        let ee = cred.end_entity();
        let list = match ee.tn_auth_list() {
            Some(Ok(list)) => list,
            Some(Err(e)) => {
                return Err(Error::Cert {
                    problem: CertProblem::NoTnAuthList,
                    reason: CertReason::TnAuthListMalformed(e.to_string()),
                });
            }
            None => {
                return Err(Error::Cert {
                    problem: CertProblem::NoTnAuthList,
                    reason: CertReason::NoTnAuthList,
                });
            }
        };
        let coverage = match &claims.orig {
            Party::Tn(t) => {
                let tn = Tn::parse(t)?;
                list.covers(tn.as_str())
            }
            Party::Uri(_) => match list.spc() {
                Some(spc) if list.tn_entries().next().is_none() => {
                    Coverage::SpcOnly(spc.to_owned())
                }
                _ => Coverage::No,
            },
        };
        let authority = match coverage {
            Coverage::Tn => Authority::Tn,
            Coverage::SpcOnly(spc) => Authority::Spc(spc),
            Coverage::No => {
                return Err(Error::TnNotAuthorized {
                    tn: claims.orig.as_str().to_owned(),
                });
            }
        };
        if ee.jwt_claim_constraints().is_some() || ee.enhanced_jwt_claim_constraints().is_some() {
            ee.check_claims(&claims.to_json())?;
        }
        Ok(authority)
    }
}

/// RFC 8224 §4.1: `info` is mandatory in an Identity header. A bare token (no parameters
/// at all) is still accepted, as a token on its own.
fn require_info(h: &IdentityHeader) -> Result<(), Error> {
    if h.info.is_none() && (h.alg.is_some() || h.ppt.is_some() || !h.params.is_empty()) {
        return Err(Error::BadInfo(
            "Identity header without an info parameter".into(),
        ));
    }
    Ok(())
}

/// The Identity header's parameters must agree with the token's header.
fn check_params(h: &IdentityHeader, header: &Header) -> Result<(), Error> {
    if let Some(ppt) = &h.ppt {
        let token_ppt = header.ppt.map(Ppt::as_str);
        if token_ppt != Some(ppt.as_str()) {
            return Err(Error::UnsupportedPpt(format!(
                "ppt parameter {ppt:?} differs from the token's {}",
                token_ppt.unwrap_or("(none)")
            )));
        }
    }
    if let Some(info) = &h.info
        && *info != header.x5u
    {
        return Err(Error::BadInfo(format!(
            "info {info:?} differs from x5u {:?}",
            header.x5u
        )));
    }
    Ok(())
}

fn check_orig(orig: &Party, call: Option<&str>) -> Result<(), Error> {
    let Some(call) = call else { return Ok(()) };
    let ok = match orig {
        Party::Tn(t) => Tn::parse(call)?.matches(t),
        Party::Uri(u) => u == call,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::OrigMismatch {
            token: orig.as_str().to_owned(),
            call: Tn::parse(call)
                .map(Tn::into_string)
                .unwrap_or_else(|_| call.to_owned()),
        })
    }
}

fn check_dest(dest: &Dest, call: Option<&str>) -> Result<(), Error> {
    let Some(call) = call else { return Ok(()) };
    let ok = match Tn::parse(call) {
        Ok(tn) => dest.tn.iter().any(|t| tn.matches(t)),
        Err(_) => dest.uri.iter().any(|u| u == call),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::DestMismatch {
            token: dest.all().map(str::to_owned).collect(),
            call: Tn::parse(call)
                .map(Tn::into_string)
                .unwrap_or_else(|_| call.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;
    use crate::sign::Signer;

    const NOW: i64 = 1_700_000_000;

    fn pair() -> (Signer, Verifier) {
        let (k, _) = SigningKey::generate().unwrap();
        let v = Verifier::with_key(k.verifying_key());
        (Signer::new(k, "https://cert.example/sp.pem").unwrap(), v)
    }

    #[test]
    fn verifies_and_checks_the_call() {
        let (s, v) = pair();
        let id = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, Some("o"), NOW)
            .unwrap()
            .identity();
        let call = Call::new("+1-215-555-1212", "12155551213");
        let verdict = v.verify_identity(&id, &call, NOW + 5).unwrap();
        assert_eq!(verdict.attest(), Some(Attest::A));
        assert_eq!(verdict.origid(), Some("o"));
        assert_eq!(verdict.verstat(), Verstat::TnValidationPassed);
        assert!(v.verify_identity(&id, &Call::default(), NOW).is_ok());
        assert!(matches!(
            v.verify_identity(&id, &Call::new("12155551299", "12155551213"), NOW),
            Err(Error::OrigMismatch { .. })
        ));
        assert!(matches!(
            v.verify_identity(&id, &Call::new("12155551212", "1"), NOW),
            Err(Error::DestMismatch { .. })
        ));
        assert!(matches!(
            v.verify_identity(&id, &Call::new("junk", "1"), NOW),
            Err(Error::Tn(_))
        ));
    }

    #[test]
    fn freshness_window() {
        let (s, v) = pair();
        let id = s
            .sign_shaken("1", &["2"], Attest::A, None, NOW)
            .unwrap()
            .identity();
        let c = Call::default();
        assert!(v.verify_identity(&id, &c, NOW + 60).is_ok());
        assert_eq!(
            v.verify_identity(&id, &c, NOW + 61).unwrap_err().sip_code(),
            403
        );
        assert!(v.verify_identity(&id, &c, NOW - 10).is_ok());
        assert!(matches!(
            v.verify_identity(&id, &c, NOW - 11),
            Err(Error::Future { .. })
        ));
        let lenient = pair().1.with_config(VerifierConfig {
            max_age: 3600,
            ..VerifierConfig::default()
        });
        assert!(matches!(
            lenient.verify_identity(&id, &c, NOW + 100),
            Err(Error::Signature)
        ));
    }

    #[test]
    fn parameters_must_agree() {
        let (s, v) = pair();
        let t = s
            .sign_shaken("1", &["2"], Attest::A, None, NOW)
            .unwrap()
            .into_token();
        let c = Call::default();
        assert!(
            v.verify_identity(
                &format!("{t};info=<https://cert.example/sp.pem>;ppt=shaken"),
                &c,
                NOW
            )
            .is_ok()
        );
        assert!(v.verify_identity(&t, &c, NOW).is_ok());
        let info = ";info=<https://cert.example/sp.pem>";
        let err = |value: String| v.verify_identity(&value, &c, NOW).unwrap_err();
        assert_eq!(err(format!("{t}{info};ppt=div")).kind(), "unsupported_ppt");
        assert_eq!(err(format!("{t};ppt=shaken")).sip_code(), 436);
        assert_eq!(err(format!("{t};info=<https://other/x>")).sip_code(), 436);
        assert_eq!(err(format!("{t}{info};alg=RS256")).sip_code(), 437);
    }

    #[test]
    fn compact_form() {
        let (s, v) = pair();
        let signed = s
            .sign_shaken("1", &["2"], Attest::B, Some("x"), NOW)
            .unwrap();
        let compact = signed.compact_identity();
        let rebuilt = Passport::new(
            Header::new(Some(Ppt::Shaken), "https://cert.example/sp.pem"),
            Claims::shaken("1", &["2"], Attest::B, "x", NOW),
        )
        .unwrap();
        let verdict = v
            .verify_compact(&compact, &rebuilt, &Call::new("1", "2"), NOW)
            .unwrap();
        assert_eq!(verdict.attest(), Some(Attest::B));
        let wrong = Passport::new(
            rebuilt.header.clone(),
            Claims::shaken("1", &["2"], Attest::A, "x", NOW),
        )
        .unwrap();
        assert_eq!(
            v.verify_compact(&compact, &wrong, &Call::default(), NOW)
                .unwrap_err(),
            Error::Signature
        );
        assert!(v.verify_identity(&compact, &Call::default(), NOW).is_err());
    }

    #[test]
    fn folded_headers() {
        let (s, v) = pair();
        let a = s
            .sign_shaken("1", &["2"], Attest::A, None, NOW)
            .unwrap()
            .identity();
        let mut div = Claims::new(Party::Tn("1".into()), Dest::tns(["2"]), NOW);
        div.div = Some(Party::Tn("3".into()));
        let b = s.sign(Some(Ppt::Div), &div).unwrap().identity();
        let res = v
            .verify_identities(&format!("{a}, {b}"), &Call::new("1", "2"), NOW)
            .unwrap();
        assert_eq!(res.len(), 2);
        assert_eq!(res[1].as_ref().unwrap().ppt(), Some(Ppt::Div));
        assert_eq!(
            res[1].as_ref().unwrap().claims().div,
            Some(Party::Tn("3".into()))
        );
    }

    #[test]
    fn http_x5u_policy() {
        let (k, _) = SigningKey::generate().unwrap();
        let vk = k.verifying_key();
        let s = Signer::new(k, "http://cert.example/sp.pem").unwrap();
        let id = s
            .sign_shaken("1", &["2"], Attest::A, None, NOW)
            .unwrap()
            .identity();
        let v = Verifier::with_key(vk);
        assert_eq!(
            v.verify_identity(&id, &Call::default(), NOW)
                .unwrap_err()
                .sip_code(),
            436
        );
        let v = v.with_config(VerifierConfig {
            allow_http_x5u: true,
            ..VerifierConfig::default()
        });
        assert!(v.verify_identity(&id, &Call::default(), NOW).is_ok());
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Verifier>();
        check::<Signer>();
    }
}
