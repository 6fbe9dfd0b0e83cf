//! # cliauth
//!
//! Sign and verify caller-ID tokens: STIR/SHAKEN PASSporTs (RFC 8225, 8588, 8946, 9795)
//! carried in SIP `Identity` headers (RFC 8224) — the calling line identification
//! authentication of ITU-T Q.3057/Q.3063.
//!
//! * [`Signer`] is the authentication service: call data in, Identity header out.
//! * [`Verifier`] is the verification service: Identity header and the call's numbers in,
//!   a [`Verdict`] or an [`Error`] out. Every error maps to a SIP status code, reason text
//!   and `verstat` value ([`Error::sip_code`], [`Error::reason`], [`Error::verstat`]).
//!
//! The library does no I/O and reads no clock: the caller passes `now`. Tokens are
//! verified over the bytes received, never re-serialised; new tokens are deterministic
//! JSON, so the compact form can be rebuilt bit for bit.
//!
//! ```
//! use cliauth::{Attest, Call, Signer, SigningKey, Verifier};
//!
//! let (key, _pkcs8) = SigningKey::generate()?;
//! let public = key.verifying_key();
//! let signer = Signer::new(key, "https://cert.example.net/sp.pem")?;
//!
//! let now = 1_700_000_000;
//! let identity = signer
//!     .sign_shaken("+1 215 555 1212", &["12155551213"], Attest::A, None, now)?
//!     .identity();
//!
//! let verifier = Verifier::with_key(public);
//! let verdict = verifier.verify_identity(&identity, &Call::new("12155551212", "12155551213"), now + 2)?;
//! assert_eq!(verdict.attest(), Some(Attest::A));
//!
//! // A stale token maps to 403 Stale Date.
//! let err = verifier.verify_identity(&identity, &Call::default(), now + 3600).unwrap_err();
//! assert_eq!((err.sip_code(), err.reason()), (403, "Stale Date"));
//! # Ok::<(), cliauth::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cert;
pub mod error;
pub mod fetch;
pub mod identity;
pub mod isup;
pub mod key;
pub mod limits;
pub mod passport;
mod pemtext;
mod rfc3339;
pub mod sign;
pub mod state;
pub mod tn;
pub mod verify;

pub use error::{CertProblem, CertReason, Error, SipStatus, Verstat};
pub use identity::{IdentityHeader, format_identity};
pub use key::{SigningKey, VerifyingKey};
pub use passport::{Attest, Claims, Dest, Header, Party, Passport, Ppt, Rcd};
pub use sign::{Signed, Signer};
pub use tn::Tn;
pub use verify::{BudgetOutcome, Call, ReplayStatus, Verdict, Verifier, VerifierConfig};
