//! Library options (`SecSIPIDOptSetS/N/V`, `SecSIPIDSetFileCacheOptions`).
//!
//! libsecsipid keeps them in process-wide variables without locking; here they sit behind
//! one `RwLock`, so setting an option while other threads check identities is safe.
//!
//! | name | kind | meaning |
//! |---|---|---|
//! | `CacheDirPath` | string | directory where downloaded keys/certificates are cached ("" = no cache) |
//! | `CacheExpires` | number | seconds a cached download stays valid (default 3600) |
//! | `CertVerify` | number | certificate verification bit mask (0 = none, the default) |
//! | `CertCAFile` | string | PEM file with the trusted root CA certificates |
//! | `CertCAInter` | string | PEM file with intermediate CA certificates |
//! | `CertCRLFile` | string | PEM or DER file with a CRL |
//! | `FetchBudget` | number | milliseconds a check waits for a download (0, the default: until the download's own timeout); see below |
//! | `SharedCache` | string | `redis://HOST:PORT[/DB]` of a Redis server through which the processes share their downloads ("" = off, the default); see below |
//!
//! `CertVerify` bits: 1 validity period, 2 system root CAs, 4 `CertCAFile` roots,
//! 8 `CertCAInter` intermediates, 16 `CertCRLFile`.
//!
//! `FetchBudget` (not in libsecsipid): with a positive value, a check whose key must be
//! downloaded waits at most that many milliseconds; a download not done by then gives
//! -402 and completes in the background, and its body serves the next checks from
//! memory (one download per URL at a time, failed URLs backed off). See [`crate::url`].
//!
//! `SharedCache` (not in libsecsipid): with a Redis URL, every download (keys and
//! certificates at `info` URLs and `http(s)://` key paths, `SecSIPIDGetURLContent`) goes
//! through the core library's shared fetch ([`cliauth::state::redis::RedisState`]): the
//! processes using the same Redis — Kamailio's children, several servers — download each
//! URL once, the others take the body from Redis. A URL Redis cannot use (bad syntax,
//! unknown scheme, longer than 1024 bytes) is refused by the setter (-1, the option
//! unchanged); only the syntax is checked there, no connection is made. A Redis that is
//! down or slow never fails a check: the downloads are then made directly. See
//! [`crate::url`].

use std::sync::{PoisonError, RwLock, RwLockReadGuard};

/// `CertVerify` bit: check the validity period.
pub const VERIFY_TIME: i64 = 1;
/// `CertVerify` bit: trust the system's root CAs.
pub const VERIFY_SYSTEM_CA: i64 = 2;
/// `CertVerify` bit: trust the roots in `CertCAFile`.
pub const VERIFY_CA_FILE: i64 = 4;
/// `CertVerify` bit: use the intermediates in `CertCAInter`.
pub const VERIFY_CA_INTER: i64 = 8;
/// `CertVerify` bit: check `CertCRLFile`.
pub const VERIFY_CRL: i64 = 16;

/// The options in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `CacheDirPath`.
    pub cache_dir: String,
    /// `CacheExpires`, seconds.
    pub cache_expires: i64,
    /// `CertVerify` bit mask.
    pub cert_verify: i64,
    /// `CertCAFile`.
    pub ca_file: String,
    /// `CertCAInter`.
    pub ca_inter: String,
    /// `CertCRLFile`.
    pub crl_file: String,
    /// `FetchBudget`, milliseconds (0 or less: no budget).
    pub fetch_budget: i64,
    /// `SharedCache`: the Redis URL ("" = off).
    pub shared_cache: String,
    /// Bumped on every change, so caches derived from the options can tell they are stale.
    pub generation: u64,
}

impl Options {
    const fn initial() -> Options {
        Options {
            cache_dir: String::new(),
            cache_expires: 3600,
            cert_verify: 0,
            ca_file: String::new(),
            ca_inter: String::new(),
            crl_file: String::new(),
            fetch_budget: 0,
            shared_cache: String::new(),
            generation: 0,
        }
    }
}

static OPTIONS: RwLock<Options> = RwLock::new(Options::initial());

/// The options (a read guard: keep it short).
pub fn get() -> RwLockReadGuard<'static, Options> {
    OPTIONS.read().unwrap_or_else(PoisonError::into_inner)
}

fn update(f: impl FnOnce(&mut Options)) {
    let mut o = OPTIONS.write().unwrap_or_else(PoisonError::into_inner);
    f(&mut o);
    o.generation = o.generation.wrapping_add(1);
}

/// Sets a string option; `false` when `name` is not a string option, or for
/// `SharedCache`, when the value is not a Redis URL (the option is then unchanged).
pub fn set_str(name: &str, value: &str) -> bool {
    let value = value.to_owned();
    match name {
        "SharedCache" => {
            if !crate::url::shared_cache_url_ok(&value) {
                return false;
            }
            update(|o| o.shared_cache = value);
        }
        "CacheDirPath" => update(|o| o.cache_dir = value),
        "CertCAFile" => update(|o| o.ca_file = value),
        "CertCAInter" => update(|o| o.ca_inter = value),
        "CertCRLFile" => update(|o| o.crl_file = value),
        _ => return false,
    }
    true
}

/// Sets a number option; `false` when `name` is not a number option.
pub fn set_num(name: &str, value: i64) -> bool {
    match name {
        "CacheExpires" => update(|o| o.cache_expires = value),
        "CertVerify" => update(|o| o.cert_verify = value),
        "FetchBudget" => update(|o| o.fetch_budget = value),
        _ => return false,
    }
    true
}

/// Whether `name` is a number option.
pub fn is_num(name: &str) -> bool {
    matches!(name, "CacheExpires" | "CertVerify" | "FetchBudget")
}

/// `name=value`: a string option takes the value as is; a number option takes it as a
/// decimal integer (a value that is not one leaves the option unchanged but is not an
/// error, as in libsecsipid, which also answers 0). `false`: no `=`, or an unknown name.
pub fn set_name_value(spec: &str) -> bool {
    let Some((name, value)) = spec.split_once('=') else {
        return false;
    };
    if is_num(name) {
        if let Ok(n) = value.trim().parse::<i64>() {
            set_num(name, n);
        }
        true
    } else {
        set_str(name, value)
    }
}

/// `SecSIPIDSetFileCacheOptions`: both cache settings at once.
pub fn set_file_cache(dir: &str, expires: i64) {
    let dir = dir.to_owned();
    update(|o| {
        o.cache_dir = dir;
        o.cache_expires = expires;
    });
}

#[cfg(test)]
pub(crate) fn reset() {
    update(|o| {
        let g = o.generation;
        *o = Options::initial();
        o.generation = g;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `FetchBudget` is a number option, by name or as `name=value` (Kamailio's `libopt`).
    #[test]
    fn fetch_budget_option() {
        let _g = crate::test_support::lock();
        assert!(is_num("FetchBudget"));
        assert!(set_name_value("FetchBudget=250"));
        assert_eq!(get().fetch_budget, 250);
        assert!(set_num("FetchBudget", 0));
        assert_eq!(get().fetch_budget, 0);
        assert!(!set_str("FetchBudget", "250"));
        reset();
    }

    /// `SharedCache` is a string option holding a Redis URL: a value that is not one is
    /// refused and leaves the option as it was; "" turns it off.
    #[test]
    fn shared_cache_option() {
        let _g = crate::test_support::lock();
        assert!(!is_num("SharedCache"));
        assert!(set_str("SharedCache", "redis://127.0.0.1:6379"));
        assert_eq!(get().shared_cache, "redis://127.0.0.1:6379");
        assert!(set_name_value("SharedCache=redis://127.0.0.1:6380/2"));
        assert_eq!(get().shared_cache, "redis://127.0.0.1:6380/2");
        let long = format!("redis://{}:6379", "a".repeat(2000));
        for bad in [
            "http://127.0.0.1:6379",
            "127.0.0.1:6379",
            "redis://",
            "redis://[::1",
            "not a url",
            long.as_str(),
        ] {
            assert!(!set_str("SharedCache", bad), "{bad:?} accepted");
            assert!(!set_name_value(&format!("SharedCache={bad}")), "{bad:?}");
            assert_eq!(get().shared_cache, "redis://127.0.0.1:6380/2", "{bad:?}");
        }
        assert!(!set_num("SharedCache", 1));
        assert!(set_str("SharedCache", ""));
        assert_eq!(get().shared_cache, "");
        reset();
    }
}
