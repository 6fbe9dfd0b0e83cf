//! Certificate verification (`CertVerify` option), on cliauth's [`TrustStore`].
//!
//! When `CertVerify` is not 0, the key given to a check must be a certificate (PEM; the
//! end-entity first, then any intermediates), and it must chain to a trusted root:
//!
//! | bit | libsecsipid meaning | here |
//! |---:|---|---|
//! | 1 | check the validity period | the end entity's period is checked first (-103 / -104); the chain validation checks every period as well |
//! | 2 | trust the system's root CAs | the PEM bundle at `/etc/ssl/certs/ca-certificates.crt` |
//! | 4 | trust the roots in `CertCAFile` | -106 when unset, -107 when unreadable |
//! | 8 | use the intermediates in `CertCAInter` | -108 when unset, -109 when unreadable |
//! | 16 | check the CRL in `CertCRLFile` | -110 when unset, -111 when unreadable, -112 revoked |
//!
//! Any non-zero value validates the chain; with no trusted root configured nothing
//! validates (-101), as with libsecsipid. The trust store built from the options is
//! cached until an option changes.

use std::sync::{Arc, Mutex, PoisonError};

use cliauth::VerifyingKey;
use cliauth::cert::{TrustStore, parse_chain};
use cliauth::error::{CertProblem, Error};

use crate::codes;
use crate::keys::read_file;
use crate::options::{self, Options};

/// Where Debian keeps the system's trusted roots as one PEM bundle.
pub const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

struct Trust {
    store: TrustStore,
    intermediates: Vec<Vec<u8>>,
}

type Built = (u64, Result<Arc<Trust>, i32>);

static TRUST: Mutex<Option<Built>> = Mutex::new(None);

fn build(o: &Options) -> Result<Trust, i32> {
    let mut store = TrustStore::new();
    let mut intermediates = Vec::new();
    if o.cert_verify & options::VERIFY_SYSTEM_CA != 0
        && let Ok(bundle) = std::fs::read(SYSTEM_CA_BUNDLE)
        && let Ok(blocks) = pem::parse_many(&bundle)
    {
        // One by one: a root webpki cannot use is skipped, not fatal.
        for b in blocks.iter().filter(|b| b.tag() == "CERTIFICATE") {
            let _ = store.add_anchors(b.contents());
        }
    }
    if o.cert_verify & options::VERIFY_CA_FILE != 0 {
        if o.ca_file.is_empty() {
            return Err(codes::CERT_NO_CA_FILE);
        }
        let pem = read_file(&o.ca_file).map_err(|_| codes::CERT_READ_CA_FILE)?;
        store
            .add_anchors(&pem)
            .map_err(|_| codes::CERT_READ_CA_FILE)?;
    }
    if o.cert_verify & options::VERIFY_CA_INTER != 0 {
        if o.ca_inter.is_empty() {
            return Err(codes::CERT_NO_CA_INTER);
        }
        let pem = read_file(&o.ca_inter).map_err(|_| codes::CERT_READ_CA_INTER)?;
        let certs = parse_chain(&pem).map_err(|_| codes::CERT_READ_CA_INTER)?;
        intermediates.extend(certs.iter().map(|c| c.der().to_vec()));
    }
    if o.cert_verify & options::VERIFY_CRL != 0 {
        if o.crl_file.is_empty() {
            return Err(codes::CERT_NO_CRL_FILE);
        }
        let crl = read_file(&o.crl_file).map_err(|_| codes::CERT_READ_CRL_FILE)?;
        store
            .add_crls(&crl)
            .map_err(|_| codes::CERT_READ_CRL_FILE)?;
    }
    Ok(Trust {
        store,
        intermediates,
    })
}

fn trust() -> Result<Arc<Trust>, i32> {
    let o = options::get().clone();
    let mut slot = TRUST.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((generation, built)) = slot.as_ref()
        && *generation == o.generation
    {
        return built.clone();
    }
    let built = build(&o).map(Arc::new);
    *slot = Some((o.generation, built.clone()));
    built
}

/// The end-entity key of the certificate chain `pem`, validated as `CertVerify` asks, at
/// `now`.
pub fn verified_key(pem: &[u8], now: i64) -> Result<VerifyingKey, i32> {
    let chain = parse_chain(pem).map_err(|_| codes::CERT_INVALID_FORMAT)?;
    let ee = chain.first().ok_or(codes::CERT_INVALID_FORMAT)?;
    if options::get().cert_verify & options::VERIFY_TIME != 0 {
        if now > ee.not_after() {
            return Err(codes::CERT_EXPIRED);
        }
        if now < ee.not_before() {
            return Err(codes::CERT_BEFORE_VALIDITY);
        }
    }
    let t = trust()?;
    let mut ders: Vec<&[u8]> = chain.iter().map(|c| c.der()).collect();
    ders.extend(t.intermediates.iter().map(Vec::as_slice));
    match t.store.validate(&ders, now) {
        Ok(path) => Ok(path.key().clone()),
        Err(Error::Cert { problem, .. }) => Err(match problem {
            CertProblem::Expired => codes::CERT_EXPIRED,
            CertProblem::NotYetValid => codes::CERT_BEFORE_VALIDITY,
            CertProblem::Revoked => codes::CERT_REVOKED,
            CertProblem::Malformed => codes::CERT_INVALID_FORMAT,
            _ => codes::CERT_INVALID,
        }),
        Err(Error::Key(_)) => Err(codes::CERT_INVALID_EC),
        Err(_) => Err(codes::CERT_INVALID),
    }
}
