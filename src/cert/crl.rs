//! CRL upkeep: checking a CRL fetched from a certificate's CRL distribution point, and
//! [`CrlRefresher`], which keeps the CRLs of the certificates in use current and swaps them
//! into a [`CertStore`] at run time.
//!
//! **Where CRLs come from.** Every certificate of a cached chain (end entity and
//! intermediates) that has a cRLDistributionPoints extension names where its issuer
//! publishes its CRL. The refresher fetches those URLs through the core [`Fetch`] trait —
//! the same URL rules and deadline as `x5u` fetches (with the ureq
//! [`Fetcher`](crate::fetch::Fetcher): https only, ports 443/8443, public addresses only,
//! no redirect, status 200, `Content-Type: application/pkix-crl`, at most
//! [`MAX_CRL_BYTES`] bytes read, one deadline for the whole exchange).
//!
//! **What a fetched CRL must be** ([`check_crl`]): DER or PEM, at most [`MAX_CRL_BYTES`];
//! issued by the certificate's own issuer (indirect CRLs, whose issuer differs, are
//! refused with [`CertReason::CrlWrongIssuer`]); signed by that issuer's key, which must be
//! allowed to sign CRLs (keyUsage cRLSign when present); thisUpdate not after `now`;
//! nextUpdate not before `now`; and not older than the CRL of the same issuer already in
//! use (no rollback). A CRL that fails is not installed, the previous one stays, and the
//! failure is reported ([`CrlRefreshReport::failed`]).
//!
//! **Expired CRLs.** When a CRL cannot be refreshed before its nextUpdate, the store's
//! [`CrlExpiry`](super::CrlExpiry) policy decides what happens to the certificates it covers (default: fail
//! closed, see [`CrlExpiry`](super::CrlExpiry) for why).
//!
//! **How often to call [`CrlRefresher::refresh_due`].** It does nothing (no I/O) for a CRL
//! until that CRL is due: [`CrlPolicy::refresh_ahead`] before its nextUpdate, or
//! [`CrlPolicy::max_age`] after it was fetched, whichever is first, or
//! [`CrlPolicy::retry_after`] after a failed attempt. Calling it once a minute from a
//! housekeeping thread is cheap (one scan of the store's entries for new distribution
//! points) and means a CRL is refreshed within a minute of being due; calling it less often
//! than `refresh_ahead` risks running on an expired CRL. Fetches run one after the other
//! on the calling thread, each within [`CrlPolicy::fetch_timeout`]: never call it on a call
//! path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use x509_parser::certificate::X509Certificate;

use super::chain::{CrlInfo, TrustStore};
use super::fallback;
use super::sticert::parse_chain;
use super::store::{CertStore, TrustSwap};
use super::{Credential, StiCert};
use crate::error::{CertProblem, CertReason, Error, LimitKind};
use crate::fetch::Fetch;
use crate::limits::MAX_CRL_BYTES;

/// The media type a CRL distribution point serves (RFC 5280 §4.2.1.13, RFC 2585).
pub const PKIX_CRL_MEDIA_TYPE: &str = "application/pkix-crl";

fn malformed(detail: String) -> Error {
    Error::cert(
        CertProblem::Malformed,
        CertReason::Malformed {
            what: "CRL",
            detail,
        },
    )
}

fn parse_cert(der: &[u8]) -> Result<X509Certificate<'_>, Error> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c)
        .map_err(|e| {
            Error::cert(
                CertProblem::Malformed,
                CertReason::Malformed {
                    what: "CRL issuer certificate",
                    detail: super::sticert::x509_text(&e),
                },
            )
        })
}

/// The one CRL in `input` (PEM `X509 CRL` block or DER), as DER, within
/// [`MAX_CRL_BYTES`].
pub fn crl_der(input: &[u8]) -> Result<Vec<u8>, Error> {
    if input.len() > MAX_CRL_BYTES {
        return Err(Error::Limit {
            what: LimitKind::Crl,
            limit: MAX_CRL_BYTES,
        });
    }
    if crate::pemtext::is_pem(input) {
        let mut blocks: Vec<Vec<u8>> = crate::pemtext::blocks(input)
            .map_err(malformed)?
            .into_iter()
            .filter(|(label, _)| label == "X509 CRL")
            .map(|(_, der)| der)
            .collect();
        return match blocks.len() {
            0 => Err(Error::cert(CertProblem::Malformed, CertReason::NoCrl)),
            1 => Ok(blocks.remove(0)),
            n => Err(malformed(format!("{n} CRLs where one was expected"))),
        };
    }
    Ok(input.to_vec())
}

/// Checks a CRL fetched from a distribution point of a certificate issued by `issuer_der`
/// (the issuing CA's certificate, DER) at `now`; returns its DER and what it says of itself.
///
/// Refused (each an [`Error::Cert`] or [`Error::Limit`]): more than [`MAX_CRL_BYTES`];
/// not a CRL, or trailing data; an issuer other than `issuer_der`'s subject
/// ([`CertReason::CrlWrongIssuer`]); an issuer without cRLSign
/// ([`CertReason::IssuerNotCrlSigner`]); a signature that does not verify with the
/// issuer's key ([`CertReason::CrlBadSignature`]); a thisUpdate after `now`
/// ([`CertReason::CrlNotYetValid`]); a nextUpdate before `now`
/// ([`CertReason::CrlExpired`]).
pub fn check_crl(input: &[u8], issuer_der: &[u8], now: i64) -> Result<(Vec<u8>, CrlInfo), Error> {
    let der = crl_der(input)?;
    let (rest, crl) =
        x509_parser::parse_x509_crl(&der).map_err(|e| malformed(super::sticert::x509_text(&e)))?;
    if !rest.is_empty() {
        return Err(malformed("trailing data after the CRL".into()));
    }
    let issuer = parse_cert(issuer_der)?;
    if crl.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(Error::cert(
            CertProblem::Untrusted,
            CertReason::CrlWrongIssuer {
                expected: issuer.subject().to_string(),
                found: crl.issuer().to_string(),
            },
        ));
    }
    // Signature, cRLSign and nextUpdate.
    fallback::check_crl(&crl, &issuer, now, false)?;
    let this_update = crl.last_update().timestamp();
    if this_update > now {
        return Err(Error::cert(
            CertProblem::Invalid,
            CertReason::CrlNotYetValid {
                issuer: Some(issuer.subject().to_string()),
                this_update,
                now,
            },
        ));
    }
    // webpki must accept it too, or installing it would fail.
    webpki::OwnedCertRevocationList::from_der(&der)
        .map_err(|e| malformed(format!("refused by the path validator: {e:?}")))?;
    let info = CrlInfo::of(&der)?;
    drop(crl);
    Ok((der, info))
}

/// The CA certificate (DER) that issued `cert`: among `candidates`, one whose subject is
/// `cert`'s issuer and whose key verifies `cert`'s signature.
fn issuer_of<'a>(cert: &StiCert, candidates: &[&'a [u8]]) -> Option<&'a [u8]> {
    let (_, x) = x509_parser::parse_x509_certificate(cert.der()).ok()?;
    candidates.iter().copied().find(|der| {
        let Ok((_, ca)) = x509_parser::parse_x509_certificate(der) else {
            return false;
        };
        ca.subject().as_raw() == x.issuer().as_raw()
            && fallback::verify_signature(
                ca.public_key(),
                &x.signature_algorithm,
                x.tbs_certificate.as_ref(),
                &x.signature_value.data,
            )
            .is_ok()
    })
}

/// How a [`CrlRefresher`] refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlPolicy {
    /// The time one CRL fetch may take (connect, TLS, headers, body). Default 5 s, as for
    /// `x5u` fetches.
    pub fetch_timeout: Duration,
    /// Refresh a CRL this many seconds before its nextUpdate. Default 3600 (1 h): CAs
    /// usually publish the next CRL well before the current one expires.
    pub refresh_ahead: i64,
    /// Refresh a CRL at least this often, whatever its nextUpdate, in seconds: a CA may
    /// publish a new CRL (an urgent revocation) before the old one is due. Default 86 400.
    pub max_age: i64,
    /// After a failed fetch or a CRL that does not check, try that distribution point
    /// again after this many seconds. Default 300.
    pub retry_after: i64,
    /// Never fetch one distribution point more often than this, in seconds (a CRL whose
    /// nextUpdate is already near). Default 60.
    pub min_interval: i64,
    /// The most distribution points tracked; beyond, new ones are ignored. Default 1000.
    pub max_sources: usize,
}

impl Default for CrlPolicy {
    fn default() -> Self {
        CrlPolicy {
            fetch_timeout: Duration::from_secs(5),
            refresh_ahead: 3600,
            max_age: 86_400,
            retry_after: 300,
            min_interval: 60,
            max_sources: 1000,
        }
    }
}

/// What one [`CrlRefresher`] run did.
#[derive(Debug, Default)]
pub struct CrlRefreshReport {
    /// The distribution points whose CRL was fetched, checked and installed.
    pub installed: Vec<String>,
    /// The distribution points that failed (fetch or check), with the reason; their
    /// previous CRL, if any, stays in use.
    pub failed: Vec<(String, Error)>,
    /// The trust swap that installed the new CRLs (absent when none was installed), with
    /// the cached chains it dropped (now revoked, for example).
    pub swap: Option<TrustSwap>,
    /// When the next distribution point is due (Unix seconds), if any is tracked.
    pub next_due: Option<i64>,
}

/// One distribution point, for one issuer.
#[derive(Debug, Clone)]
struct Source {
    /// The issuing CA's certificate (DER): the CRL must be its, signed with its key.
    issuer_der: Vec<u8>,
    /// When to fetch next (Unix seconds).
    due: i64,
}

/// Keeps the CRLs of the certificates in a [`CertStore`] current: finds the CRL
/// distribution points of the cached chains, fetches each CRL when it is due, checks it
/// ([`check_crl`]) and installs the good ones with one [`CertStore::update_trust`] (which
/// revalidates the cached chains: a newly revoked chain is dropped). `Send + Sync`.
///
/// See the module documentation for how often to call [`CrlRefresher::refresh_due`].
pub struct CrlRefresher {
    store: Arc<CertStore>,
    fetch: Arc<dyn Fetch>,
    policy: CrlPolicy,
    /// (URL, issuer subject DER) → source.
    sources: Mutex<HashMap<(String, Vec<u8>), Source>>,
    /// Serialises runs (two runs would fetch the same CRLs twice).
    run: Mutex<()>,
}

impl std::fmt::Debug for CrlRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrlRefresher")
            .field("policy", &self.policy)
            .field("sources", &self.lock().len())
            .finish()
    }
}

impl CrlRefresher {
    /// A refresher for the CRLs of `store`'s chains, fetching with `fetch` under the
    /// default [`CrlPolicy`].
    pub fn new(store: Arc<CertStore>, fetch: Arc<dyn Fetch>) -> CrlRefresher {
        CrlRefresher {
            store,
            fetch,
            policy: CrlPolicy::default(),
            sources: Mutex::new(HashMap::new()),
            run: Mutex::new(()),
        }
    }

    /// Sets the policy.
    pub fn with_policy(mut self, policy: CrlPolicy) -> CrlRefresher {
        self.policy = policy;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &CrlPolicy {
        &self.policy
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Vec<u8>), Source>> {
        self.sources.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The distribution points tracked (URL, issuer name), in no particular order.
    pub fn tracked(&self) -> Vec<(String, String)> {
        self.lock()
            .iter()
            .map(|((url, _), s)| {
                let issuer = parse_cert(&s.issuer_der)
                    .map(|c| c.subject().to_string())
                    .unwrap_or_default();
                (url.clone(), issuer)
            })
            .collect()
    }

    /// Tracks the distribution points of every certificate of `chain` (end entity first)
    /// whose issuer is in the chain or among `trust`'s anchors; new ones are due now.
    /// Returns how many were new.
    fn track(&self, chain: &[StiCert], trust: &TrustStore, now: i64) -> usize {
        let mut candidates: Vec<&[u8]> = chain.iter().map(StiCert::der).collect();
        candidates.extend(trust.anchor_ders().iter().map(Vec::as_slice));
        let mut sources = self.lock();
        let mut new = 0;
        for cert in chain {
            let urls = cert.crl_urls();
            if urls.is_empty() {
                continue;
            }
            let Some(issuer) = issuer_of(cert, &candidates) else {
                continue;
            };
            let Ok(issuer_x) = parse_cert(issuer) else {
                continue;
            };
            let name = issuer_x.subject().as_raw().to_vec();
            for url in urls {
                let key = (url.to_owned(), name.clone());
                if sources.contains_key(&key) {
                    continue;
                }
                if sources.len() >= self.policy.max_sources {
                    return new;
                }
                sources.insert(
                    key,
                    Source {
                        issuer_der: issuer.to_vec(),
                        due: now,
                    },
                );
                new += 1;
            }
        }
        new
    }

    /// Tracks the distribution points of a credential's chain (the store's chains are
    /// tracked by [`refresh_due`](Self::refresh_due) itself).
    pub fn track_credential(&self, cred: &Credential, now: i64) -> usize {
        self.track(cred.chain(), &self.store.trust(), now)
    }

    /// Fetches the CRLs that are due at `now` — of the chains in the store and of those
    /// tracked — checks them and installs the good ones in one trust swap. Blocking: at
    /// most one [`CrlPolicy::fetch_timeout`] per due distribution point.
    pub fn refresh_due(&self, now: i64) -> CrlRefreshReport {
        let _one = self.run.lock().unwrap_or_else(|p| p.into_inner());
        let trust = self.store.trust();
        for cred in self.store.credentials() {
            self.track(cred.chain(), &trust, now);
        }
        let due: Vec<(String, Vec<u8>, Vec<u8>)> = self
            .lock()
            .iter()
            .filter(|(_, s)| s.due <= now)
            .map(|((url, name), s)| (url.clone(), name.clone(), s.issuer_der.clone()))
            .collect();
        self.fetch_and_install(due, now)
    }

    /// Validates `chain` (PEM or DER, end entity first) against the store's trust
    /// anchors — without CRLs, so that an expired CRL does not stop its own refresh —
    /// tracks its distribution points and fetches all of them now, due or not, then installs
    /// the good CRLs. For a one-shot check (`cliauth verify --crl-fetch`): the chain is then
    /// validated with current CRLs by the caller. Only CAs of a validated path vouch for a
    /// CRL: a chain that does not validate fetches nothing (its error is returned).
    pub fn refresh_for_chain(&self, chain: &[u8], now: i64) -> Result<CrlRefreshReport, Error> {
        let _one = self.run.lock().unwrap_or_else(|p| p.into_inner());
        let trust = self.store.trust();
        let mut anchors_only = TrustStore::new();
        for der in trust.anchor_ders() {
            anchors_only.add_anchors(der)?;
        }
        Credential::validate(&anchors_only, chain, now)?;
        let certs = parse_chain(chain)?;
        self.track(&certs, &trust, now);
        let mut candidates: Vec<&[u8]> = certs.iter().map(StiCert::der).collect();
        candidates.extend(trust.anchor_ders().iter().map(Vec::as_slice));
        let mut wanted = Vec::new();
        for cert in &certs {
            let Some(issuer) = issuer_of(cert, &candidates) else {
                continue;
            };
            let name = parse_cert(issuer)?.subject().as_raw().to_vec();
            for url in cert.crl_urls() {
                let item = (url.to_owned(), name.clone(), issuer.to_vec());
                if !wanted.contains(&item) {
                    wanted.push(item);
                }
            }
        }
        Ok(self.fetch_and_install(wanted, now))
    }

    fn fetch_and_install(
        &self,
        wanted: Vec<(String, Vec<u8>, Vec<u8>)>,
        now: i64,
    ) -> CrlRefreshReport {
        let mut report = CrlRefreshReport::default();
        let mut good: Vec<(String, Vec<u8>, CrlInfo)> = Vec::new();
        let in_use = self.store.trust();
        for (url, name, issuer_der) in wanted {
            let result = self
                .fetch
                .check_url(&url)
                .and_then(|()| self.fetch.fetch_crl(&url, self.policy.fetch_timeout))
                .map_err(Error::from)
                .and_then(|got| check_crl(&got.body, &issuer_der, now))
                .and_then(|(der, info)| {
                    let newest = in_use
                        .crls()
                        .iter()
                        .filter(|i| i.issuer_raw == info.issuer_raw)
                        .map(|i| i.this_update)
                        .max();
                    match newest {
                        Some(t) if t > info.this_update => Err(Error::cert(
                            CertProblem::Invalid,
                            CertReason::CrlOlder {
                                issuer: Some(info.issuer.clone()),
                                this_update: info.this_update,
                                in_use: t,
                            },
                        )),
                        _ => Ok((der, info)),
                    }
                });
            let due = match &result {
                Ok((_, info)) => {
                    let by_next = info
                        .next_update
                        .map_or(i64::MAX, |n| n.saturating_sub(self.policy.refresh_ahead));
                    by_next
                        .min(now.saturating_add(self.policy.max_age))
                        .max(now.saturating_add(self.policy.min_interval))
                }
                Err(_) => now.saturating_add(self.policy.retry_after),
            };
            if let Some(s) = self.lock().get_mut(&(url.clone(), name)) {
                s.due = due;
            }
            match result {
                Ok((der, info)) => good.push((url, der, info)),
                Err(e) => report.failed.push((url, e)),
            }
        }
        if !good.is_empty() {
            let swap = self.store.update_trust(now, |t| {
                for (_, der, _) in &good {
                    t.replace_crls(der)?;
                }
                Ok(())
            });
            match swap {
                Ok(s) => {
                    report.installed = good.into_iter().map(|(u, _, _)| u).collect();
                    report.swap = Some(s);
                }
                Err(e) => {
                    for (url, _, _) in good {
                        report.failed.push((url, e.clone()));
                    }
                }
            }
        }
        report.next_due = self.lock().values().map(|s| s.due).min();
        report
    }
}
