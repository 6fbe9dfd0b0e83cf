//! The gateway procedures of Q.3063 §8 as a small API over an IAM: the outgoing gateway
//! (SIP → ISUP: convert the received PASSporT, or sign one), the transit exchange (pass the
//! token through untouched, with a size check), the incoming gateway (ISUP → verify with a
//! [`crate::Verifier`] → verdict, screening indicator, `verstat`, Identity header) and the
//! destination exchange (what to present to the called user).
//!
//! # Verdict table
//!
//! The incoming gateway maps its verification outcome to the Calling Party Number's
//! screening indicator and to a `verstat` value with a [`VerdictTable`]. The default:
//!
//! | outcome | screening indicator | verstat |
//! |---|---|---|
//! | verified, attest A, B or C, or no attest (base, div) | 01 user provided, verified and passed | `TN-Validation-Passed` |
//! | token present, verification failed | 10 user provided, verified and failed | `TN-Validation-Failed` |
//! | no token | left as received | `No-TN-Validation` |
//!
//! Each row is configurable per attestation level (for example B and C → 00 "user
//! provided, not verified", when only full attestation should count as verified over
//! TDM). The destination exchange reads the indicator back with
//! [`VerdictTable::screening_verstat`] (default 00 → `No-TN-Validation`, 01 → `Passed`,
//! 10 → `Failed`, 11 → `No-TN-Validation`).
//!
//! Overloading the screening indicator this way changes what Q.763 defines it to mean
//! ("network provided" becomes "user provided, verified"), so it is only for
//! interconnects that agreed on the table.
//!
//! # Result-only mode (ATIS-1000095 style)
//!
//! With [`Carriage::ResultOnly`] no token crosses the TDM interconnect: the outgoing
//! gateway verifies the SIP Identity header itself
//! ([`Gateway::outgoing_result_only`]), writes the result into the screening indicator and
//! strips any token; the incoming gateway and the destination exchange take the indicator
//! as the result ([`Outcome::Asserted`]). This relies on trusting every network in between.
//!
//! # Sans-IO
//!
//! Verification needs the signer's certificate. When the verifier answers
//! [`crate::Error::CertificateNeeded`], [`Gateway::incoming`] returns it as
//! [`GatewayError::CertificateNeeded`] (not as a failed verdict) so the host can fetch the
//! certificate and call again.

use crate::{Attest, Call, Error, Signer, Verdict, Verifier, Verstat};

use super::message::{Encoded, Iam, MessageConfig, MessageError, PARAM_CALLING};
use super::number::{CallingPartyNumber, NumberError, NumberMapping, Screening};
use super::token::{CompactToken, ConvertOptions, TokenError};

/// Why a gateway procedure could not be carried out (as opposed to a verification that
/// failed, which is an [`Outcome::Failed`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The IAM or SGM is malformed or does not fit.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// A number parameter is malformed or does not map.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The SIP-side token cannot be carried.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(Error),
    /// The verifier needs the certificate at `url`: fetch it, add it, call again.
    #[error("certificate needed: {url}")]
    CertificateNeeded {
        /// The `x5u` to fetch.
        url: String,
    },
    /// A transit message exceeds the configured size.
    #[error("{which} of {len} octets exceeds {max}")]
    Oversize {
        /// Which message.
        which: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// How the outcome is carried across the TDM part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Carriage {
    /// The compact token travels in the IAM (Q.3063).
    #[default]
    Token,
    /// Only the result travels, in the screening indicator (ATIS-1000095 style).
    ResultOnly,
}

/// What an outcome marks the call with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The screening indicator to write, `None` to leave it as received.
    pub screening: Option<Screening>,
    /// The `verstat` value.
    pub verstat: Verstat,
}

/// The verdict → screening indicator / verstat table (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerdictTable {
    /// Verified, attest A.
    pub passed_a: Mark,
    /// Verified, attest B.
    pub passed_b: Mark,
    /// Verified, attest C.
    pub passed_c: Mark,
    /// Verified, no attest claim (base or div PASSporT).
    pub passed_other: Mark,
    /// A token was present and failed.
    pub failed: Mark,
    /// No token.
    pub no_token: Mark,
    /// The verstat a received screening indicator stands for, indexed by its code.
    pub screening_verstat: [Verstat; 4],
}

impl Default for VerdictTable {
    fn default() -> Self {
        let passed = Mark {
            screening: Some(Screening::UserVerifiedPassed),
            verstat: Verstat::TnValidationPassed,
        };
        VerdictTable {
            passed_a: passed,
            passed_b: passed,
            passed_c: passed,
            passed_other: passed,
            failed: Mark {
                screening: Some(Screening::UserVerifiedFailed),
                verstat: Verstat::TnValidationFailed,
            },
            no_token: Mark {
                screening: None,
                verstat: Verstat::NoTnValidation,
            },
            screening_verstat: [
                Verstat::NoTnValidation,
                Verstat::TnValidationPassed,
                Verstat::TnValidationFailed,
                Verstat::NoTnValidation,
            ],
        }
    }
}

impl VerdictTable {
    /// The mark for an outcome.
    pub fn mark(&self, outcome: &Outcome) -> Mark {
        match outcome {
            Outcome::Passed(v) => match v.attest() {
                Some(Attest::A) => self.passed_a,
                Some(Attest::B) => self.passed_b,
                Some(Attest::C) => self.passed_c,
                None => self.passed_other,
            },
            Outcome::Failed(_) => self.failed,
            Outcome::NoToken => self.no_token,
            Outcome::Asserted(s) => Mark {
                screening: None,
                verstat: self.verstat_for(*s),
            },
        }
    }

    /// The verstat a received screening indicator stands for.
    pub fn verstat_for(&self, s: Screening) -> Verstat {
        self.screening_verstat[usize::from(s.code())]
    }
}

/// Why a present token did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The compact token is malformed or cannot be rebuilt.
    Token(TokenError),
    /// The rebuilt PASSporT does not verify.
    Verify(Error),
    /// The IAM has no calling number to check the token's `orig` against.
    NoCallingNumber,
}

impl Failure {
    /// The SIP status code to report (RFC 8224 / ATIS-1000074).
    pub fn sip_code(&self) -> u16 {
        match self {
            Failure::Verify(e) => e.sip_code(),
            _ => 438,
        }
    }

    /// A `Reason` header value reporting the failure.
    pub fn reason_header(&self) -> String {
        match self {
            Failure::Verify(e) => e.reason_header(),
            _ => "SIP;cause=438;text=\"Invalid Identity Header\"".into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Token(e) => write!(f, "{e}"),
            Failure::Verify(e) => write!(f, "{e}"),
            Failure::NoCallingNumber => f.write_str("the IAM has no calling number"),
        }
    }
}

/// The outcome of verification at the incoming gateway.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The token verified.
    Passed(Box<Verdict>),
    /// A token was present and failed.
    Failed(Failure),
    /// No token (token mode).
    NoToken,
    /// No token; the previous network asserted this screening indicator (result-only
    /// mode).
    Asserted(Screening),
}

/// Gateway settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GatewayConfig {
    /// ISUP number ↔ PASSporT telephone number mapping (must agree at both ends).
    pub mapping: NumberMapping,
    /// Container, size limit and segmentation.
    pub message: MessageConfig,
    /// SIP → ISUP conversion options.
    pub convert: ConvertOptions,
    /// Verdict → screening indicator / verstat.
    pub table: VerdictTable,
    /// Token or result-only carriage.
    pub carriage: Carriage,
    /// Remove the token from the IAM passed on by the incoming gateway (it stays by
    /// default, for a further verification downstream).
    pub strip_token: bool,
}

/// The result of an outgoing gateway procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The IAM (and SGM) to send.
    pub encoded: Encoded,
    /// The compact token's size, `None` in result-only mode.
    pub token_len: Option<usize>,
    /// Identity header parameters the compact form does not carry.
    pub dropped_params: Vec<String>,
    /// The mark written in result-only mode.
    pub mark: Option<Mark>,
}

/// What a transit exchange forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transit<'a> {
    /// The IAM, unchanged.
    pub iam: &'a [u8],
    /// The SGM, unchanged.
    pub sgm: Option<&'a [u8]>,
    /// The size of the token found, if any (not decoded, not verified).
    pub token_len: Option<usize>,
}

/// The result of the incoming gateway procedure.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The verification outcome.
    pub outcome: Outcome,
    /// The mark applied (screening indicator written, verstat to signal in SIP).
    pub mark: Mark,
    /// The rebuilt Identity header value for the SIP side, when a token rebuilt.
    pub identity: Option<String>,
    /// The IAM to pass on in ISUP, screening indicator updated (segments merged).
    pub iam: Iam,
}

/// What the destination exchange presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    /// The calling number to display (E.164 where it maps, the raw digits otherwise),
    /// `None` when there is none or its presentation is restricted.
    pub number: Option<String>,
    /// Whether the presentation is restricted (or the number unavailable).
    pub restricted: bool,
    /// The verification status to show.
    pub verstat: Verstat,
}

/// The Q.3063 §8 gateway procedures under one configuration. Shareable across threads.
#[derive(Debug, Clone, Default)]
pub struct Gateway {
    /// The settings.
    pub config: GatewayConfig,
}

impl Gateway {
    /// A gateway with these settings.
    pub fn new(config: GatewayConfig) -> Gateway {
        Gateway { config }
    }

    /// The IAM's numbers as telephone numbers; `None` where absent or unmappable.
    pub fn call_numbers(&self, iam: &Iam) -> (Option<String>, Option<String>) {
        let m = &self.config.mapping;
        let calling = iam
            .calling_number()
            .and_then(Result::ok)
            .and_then(|n| m.calling_to_tn(&n).ok());
        let called = iam
            .called_number()
            .ok()
            .and_then(|n| m.called_to_tn(&n).ok());
        (calling, called)
    }

    /// Outgoing gateway, SIP → ISUP, token mode: converts the INVITE's Identity header
    /// value into a compact token in `iam` (replacing any) and encodes the IAM (+ SGM).
    pub fn outgoing(&self, iam: &mut Iam, identity: &str) -> Result<Outgoing, GatewayError> {
        let (calling, called) = self.call_numbers(iam);
        let call = Call {
            orig: calling.as_deref(),
            dest: called.as_deref(),
            call_id: None,
        };
        let c = CompactToken::from_identity(identity, &call, &self.config.convert)?;
        iam.replace_token(c.token.as_bytes(), &self.config.message)?;
        Ok(Outgoing {
            encoded: iam.encode(&self.config.message)?,
            token_len: Some(c.token.len()),
            dropped_params: c.dropped_params,
            mark: None,
        })
    }

    /// Outgoing gateway acting as authentication service: signs a SHAKEN PASSporT for
    /// the IAM's numbers (which must map) and carries it in compact form.
    pub fn outgoing_sign(
        &self,
        iam: &mut Iam,
        signer: &Signer,
        attest: Attest,
        origid: Option<&str>,
        now: i64,
    ) -> Result<Outgoing, GatewayError> {
        let m = &self.config.mapping;
        let calling = iam.calling_number().ok_or(NumberError::NotMappable(
            "the IAM has no calling number".into(),
        ))??;
        let orig = m.calling_to_tn(&calling)?;
        let dest = m.called_to_tn(&iam.called_number()?)?;
        let signed = signer
            .sign_shaken(&orig, &[&dest], attest, origid, now)
            .map_err(GatewayError::Sign)?;
        self.outgoing(iam, &signed.identity())
    }

    /// Outgoing gateway, result-only mode: verifies the Identity header (if any) against
    /// the IAM's numbers, writes the result into the screening indicator, removes any
    /// token and encodes the IAM.
    pub fn outgoing_result_only(
        &self,
        iam: &mut Iam,
        identity: Option<&str>,
        verifier: &Verifier,
        now: i64,
    ) -> Result<Outgoing, GatewayError> {
        let outcome = match identity {
            None => Outcome::NoToken,
            Some(id) => self.verify_identity(iam, id, verifier, now)?,
        };
        let mark = self.config.table.mark(&outcome);
        iam.remove_token(&self.config.message)?;
        apply_mark(iam, &mark)?;
        Ok(Outgoing {
            encoded: iam.encode(&self.config.message)?,
            token_len: None,
            dropped_params: Vec::new(),
            mark: Some(mark),
        })
    }

    /// Transit exchange: checks that the IAM (and SGM) parse, stay within the size limit
    /// and carry a well-formed container, and forwards them unchanged.
    pub fn transit<'a>(
        &self,
        iam: &'a [u8],
        sgm: Option<&'a [u8]>,
    ) -> Result<Transit<'a>, GatewayError> {
        let max = self.config.message.max_message();
        if iam.len() > max {
            return Err(GatewayError::Oversize {
                which: "IAM",
                len: iam.len(),
                max,
            });
        }
        if let Some(s) = sgm
            && s.len() > max
        {
            return Err(GatewayError::Oversize {
                which: "SGM",
                len: s.len(),
                max,
            });
        }
        let m = Iam::parse_segmented(iam, sgm)?;
        let token_len = m.find_token(&self.config.message)?.map(|t| t.len());
        Ok(Transit {
            iam,
            sgm,
            token_len,
        })
    }

    /// Incoming gateway, ISUP → SIP: merges the SGM, finds and rebuilds the token,
    /// verifies it against the IAM's numbers at `now`, and marks the call.
    pub fn incoming(
        &self,
        iam: &[u8],
        sgm: Option<&[u8]>,
        verifier: &Verifier,
        now: i64,
    ) -> Result<Incoming, GatewayError> {
        let mut m = Iam::parse_segmented(iam, sgm)?;
        let token = m.find_token(&self.config.message);
        let (outcome, identity) = match token {
            Err(e) => (
                Outcome::Failed(Failure::Token(TokenError::Malformed(e.to_string()))),
                None,
            ),
            Ok(None) => match self.config.carriage {
                Carriage::Token => (Outcome::NoToken, None),
                Carriage::ResultOnly => {
                    let s = m
                        .calling_number()
                        .and_then(Result::ok)
                        .map_or(Screening::UserNotVerified, |n| n.screening);
                    (Outcome::Asserted(s), None)
                }
            },
            Ok(Some(bytes)) => self.verify_compact(&m, &bytes, verifier, now)?,
        };
        let mark = self.config.table.mark(&outcome);
        apply_mark(&mut m, &mark)?;
        if self.config.strip_token {
            m.remove_token(&self.config.message)?;
        }
        Ok(Incoming {
            outcome,
            mark,
            identity,
            iam: m,
        })
    }

    /// Destination exchange: what to present to the called user, from the Calling Party
    /// Number and its screening indicator (as the incoming gateway marked it).
    pub fn destination(&self, iam: &Iam) -> Presentation {
        let table = &self.config.table;
        match iam.calling_number() {
            None | Some(Err(_)) => Presentation {
                number: None,
                restricted: true,
                verstat: Verstat::NoTnValidation,
            },
            Some(Ok(n)) => {
                let restricted = n.presentation != super::number::Presentation::Allowed;
                let number = (!restricted && !n.digits.is_empty()).then(|| {
                    self.config
                        .mapping
                        .calling_to_tn(&n)
                        .unwrap_or_else(|_| n.digits.to_string())
                });
                Presentation {
                    number,
                    restricted,
                    verstat: table.verstat_for(n.screening),
                }
            }
        }
    }

    /// Rebuilds and verifies a compact token found in `m`.
    fn verify_compact(
        &self,
        m: &Iam,
        bytes: &[u8],
        verifier: &Verifier,
        now: i64,
    ) -> Result<(Outcome, Option<String>), GatewayError> {
        let (calling, called) = self.call_numbers(m);
        let call = Call {
            orig: calling.as_deref(),
            dest: called.as_deref(),
            call_id: None,
        };
        let sip = match CompactToken::decode(bytes).and_then(|t| t.rebuild(&call)) {
            Ok(s) => s,
            Err(e) => return Ok((Outcome::Failed(Failure::Token(e)), None)),
        };
        let outcome = self.verify_identity(m, &sip.identity, verifier, now)?;
        Ok((outcome, Some(sip.identity)))
    }

    /// Verifies an Identity header value against the IAM's numbers. The numbers are
    /// passed as mapped telephone numbers, or as raw digits when they do not map (so that
    /// a token can never verify against a number nobody checked).
    fn verify_identity(
        &self,
        m: &Iam,
        identity: &str,
        verifier: &Verifier,
        now: i64,
    ) -> Result<Outcome, GatewayError> {
        let (calling, called) = self.call_numbers(m);
        let raw_calling = match (&calling, m.calling_number()) {
            (Some(_), _) => None,
            (None, Some(Ok(n))) if !n.digits.is_empty() => Some(n.digits.to_string()),
            _ => return Ok(Outcome::Failed(Failure::NoCallingNumber)),
        };
        let raw_called = match (&called, m.called_number()) {
            (Some(_), _) => None,
            (None, Ok(n)) => Some(n.digits.to_string()),
            (None, Err(e)) => return Err(e.into()),
        };
        let call = Call {
            orig: calling.as_deref().or(raw_calling.as_deref()),
            dest: called.as_deref().or(raw_called.as_deref()),
            call_id: None,
        };
        match verifier.verify_identity(identity, &call, now) {
            Ok(v) => Ok(Outcome::Passed(Box::new(v))),
            Err(Error::CertificateNeeded { url }) => Err(GatewayError::CertificateNeeded { url }),
            Err(e) => Ok(Outcome::Failed(Failure::Verify(e))),
        }
    }
}

/// Writes the mark's screening indicator into the IAM's Calling Party Number (every other
/// bit as received).
fn apply_mark(m: &mut Iam, mark: &Mark) -> Result<(), GatewayError> {
    let Some(s) = mark.screening else {
        return Ok(());
    };
    if let Some(p) = m.optional.iter_mut().find(|p| p.code == PARAM_CALLING) {
        CallingPartyNumber::set_screening_in(&mut p.value, s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::number::{
        AddressDigits, CalledPartyNumber, NatureOfAddress, Presentation as Pres,
    };
    use super::*;
    use crate::SigningKey;

    const NOW: i64 = 1_700_000_000;
    const X5U: &str = "https://cert.example.org/sti/sp-0042.pem";

    fn iam(calling: &str, called: &str) -> Iam {
        let cd = CalledPartyNumber::new(
            NatureOfAddress::INTERNATIONAL,
            AddressDigits::new(called).unwrap(),
        );
        let mut m = Iam::new(&cd).unwrap();
        m.set_calling_number(&CallingPartyNumber::new(
            NatureOfAddress::INTERNATIONAL,
            AddressDigits::new(calling).unwrap(),
        ))
        .unwrap();
        m
    }

    fn keys() -> (Signer, Verifier) {
        let (k, _) = SigningKey::generate().unwrap();
        let v = Verifier::with_key(k.verifying_key());
        (Signer::new(k, X5U).unwrap(), v)
    }

    fn screening(m: &Iam) -> Screening {
        m.calling_number().unwrap().unwrap().screening
    }

    #[test]
    fn sip_to_isup_to_sip() {
        let (s, v) = keys();
        let gw = Gateway::default();
        let signed = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let mut m = iam("12155551212", "12155551213");
        let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
        assert!(out.encoded.sgm.is_none());
        assert_eq!(out.token_len, Some(125));
        let t = gw.transit(&out.encoded.iam, None).unwrap();
        assert_eq!(t.token_len, Some(125));
        assert_eq!(t.iam, out.encoded.iam.as_slice());
        let inc = gw.incoming(&out.encoded.iam, None, &v, NOW + 2).unwrap();
        assert!(matches!(inc.outcome, Outcome::Passed(_)));
        assert_eq!(inc.identity.as_deref(), Some(signed.identity().as_str()));
        assert_eq!(inc.mark.verstat, Verstat::TnValidationPassed);
        assert_eq!(screening(&inc.iam), Screening::UserVerifiedPassed);
        let p = gw.destination(&inc.iam);
        assert_eq!(p.number.as_deref(), Some("12155551212"));
        assert_eq!(p.verstat, Verstat::TnValidationPassed);
        // Stale at the far end: failed, marked 10, 403 reported.
        let late = gw.incoming(&out.encoded.iam, None, &v, NOW + 3600).unwrap();
        let Outcome::Failed(f) = &late.outcome else {
            panic!()
        };
        assert_eq!(f.sip_code(), 403);
        assert_eq!(screening(&late.iam), Screening::UserVerifiedFailed);
        assert_eq!(
            gw.destination(&late.iam).verstat,
            Verstat::TnValidationFailed
        );
    }

    #[test]
    fn spoofed_calling_number_fails() {
        let (s, v) = keys();
        let gw = Gateway::default();
        let signed = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let mut m = iam("12155551212", "12155551213");
        let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
        // A transit network rewrites the calling number: the token no longer rebuilds to
        // something that verifies.
        let mut spoofed = Iam::parse(&out.encoded.iam).unwrap();
        spoofed
            .set_calling_number(&CallingPartyNumber::new(
                NatureOfAddress::INTERNATIONAL,
                AddressDigits::new("12155550000").unwrap(),
            ))
            .unwrap();
        let bytes = spoofed.to_bytes().unwrap();
        let inc = gw.incoming(&bytes, None, &v, NOW).unwrap();
        assert!(matches!(
            inc.outcome,
            Outcome::Failed(Failure::Verify(Error::Signature))
        ));
        // When the sender carried orig explicitly, the check is against the number.
        let explicit = Gateway::new(GatewayConfig {
            convert: ConvertOptions {
                explicit_numbers: true,
                ..ConvertOptions::default()
            },
            ..GatewayConfig::default()
        });
        let mut m = iam("12155551212", "12155551213");
        let out = explicit.outgoing(&mut m, &signed.identity()).unwrap();
        let mut spoofed = Iam::parse(&out.encoded.iam).unwrap();
        spoofed
            .set_calling_number(&CallingPartyNumber::new(
                NatureOfAddress::NATIONAL,
                AddressDigits::new("2155550000").unwrap(),
            ))
            .unwrap();
        let inc = explicit
            .incoming(&spoofed.to_bytes().unwrap(), None, &v, NOW)
            .unwrap();
        assert!(matches!(
            inc.outcome,
            Outcome::Failed(Failure::Verify(Error::OrigMismatch { .. }))
        ));
        // No calling number at all.
        let mut none = Iam::parse(&out.encoded.iam).unwrap();
        none.remove_param(PARAM_CALLING);
        let inc = explicit
            .incoming(&none.to_bytes().unwrap(), None, &v, NOW)
            .unwrap();
        assert!(matches!(
            inc.outcome,
            Outcome::Failed(Failure::NoCallingNumber)
        ));
    }

    #[test]
    fn sign_at_the_gateway_and_segment() {
        let (k, _) = SigningKey::generate().unwrap();
        let v = Verifier::with_key(k.verifying_key());
        let long = format!("https://cert.example.org/{}", "p".repeat(230));
        assert_eq!(long.len(), 255);
        let s = Signer::new(k, &long).unwrap();
        let gw = Gateway::new(GatewayConfig {
            mapping: NumberMapping::for_country("1"),
            ..GatewayConfig::default()
        });
        let cd = CalledPartyNumber::new(
            NatureOfAddress::NATIONAL,
            AddressDigits::new("2155551213").unwrap(),
        );
        let mut m = Iam::new(&cd).unwrap();
        m.set_calling_number(&CallingPartyNumber::new(
            NatureOfAddress::NATIONAL,
            AddressDigits::new("2155551212").unwrap(),
        ))
        .unwrap();
        let out = gw.outgoing_sign(&mut m, &s, Attest::B, None, NOW).unwrap();
        let sgm = out.encoded.sgm.clone().expect("segmented");
        assert!(out.encoded.iam.len() <= 266 && sgm.len() <= 266);
        assert!(gw.transit(&out.encoded.iam, None).is_err());
        gw.transit(&out.encoded.iam, Some(&sgm)).unwrap();
        let inc = gw.incoming(&out.encoded.iam, Some(&sgm), &v, NOW).unwrap();
        assert!(matches!(inc.outcome, Outcome::Passed(ref v) if v.attest() == Some(Attest::B)));
        // Without segmentation it does not fit.
        let strict = Gateway::new(GatewayConfig {
            mapping: NumberMapping::for_country("1"),
            message: MessageConfig {
                segmentation: false,
                ..MessageConfig::default()
            },
            ..GatewayConfig::default()
        });
        let mut m2 = Iam::parse(&out.encoded.iam).unwrap();
        m2.remove_param(super::super::message::PARAM_OFCI);
        assert!(matches!(
            strict.outgoing_sign(&mut m2, &s, Attest::B, None, NOW),
            Err(GatewayError::Message(MessageError::DoesNotFit { .. }))
        ));
    }

    #[test]
    fn result_only_mode() {
        let (s, v) = keys();
        let gw = Gateway::new(GatewayConfig {
            carriage: Carriage::ResultOnly,
            table: VerdictTable {
                passed_c: Mark {
                    screening: Some(Screening::UserNotVerified),
                    verstat: Verstat::TnValidationPassed,
                },
                ..VerdictTable::default()
            },
            ..GatewayConfig::default()
        });
        for (attest, expect) in [
            (Attest::A, Screening::UserVerifiedPassed),
            (Attest::C, Screening::UserNotVerified),
        ] {
            let signed = s
                .sign_shaken("12155551212", &["12155551213"], attest, None, NOW)
                .unwrap();
            let mut m = iam("12155551212", "12155551213");
            let out = gw
                .outgoing_result_only(&mut m, Some(&signed.identity()), &v, NOW)
                .unwrap();
            assert_eq!(out.token_len, None);
            let sent = Iam::parse(&out.encoded.iam).unwrap();
            assert_eq!(sent.find_token(&gw.config.message).unwrap(), None);
            assert_eq!(screening(&sent), expect);
            let inc = gw.incoming(&out.encoded.iam, None, &v, NOW).unwrap();
            assert!(matches!(inc.outcome, Outcome::Asserted(s) if s == expect));
            assert_eq!(inc.identity, None);
        }
        // A bad token: failed, 10.
        let signed = s
            .sign_shaken("12155551299", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let mut m = iam("12155551212", "12155551213");
        let out = gw
            .outgoing_result_only(&mut m, Some(&signed.identity()), &v, NOW)
            .unwrap();
        assert_eq!(
            screening(&Iam::parse(&out.encoded.iam).unwrap()),
            Screening::UserVerifiedFailed
        );
        assert_eq!(
            gw.destination(&Iam::parse(&out.encoded.iam).unwrap())
                .verstat,
            Verstat::TnValidationFailed
        );
        // No Identity: indicator untouched, no validation.
        let mut m = iam("12155551212", "12155551213");
        let out = gw.outgoing_result_only(&mut m, None, &v, NOW).unwrap();
        assert_eq!(
            screening(&Iam::parse(&out.encoded.iam).unwrap()),
            Screening::NetworkProvided
        );
        assert_eq!(out.mark.unwrap().verstat, Verstat::NoTnValidation);
    }

    #[test]
    fn no_token_and_corrupt_token() {
        let (s, v) = keys();
        let gw = Gateway::default();
        let plain = iam("12155551212", "12155551213");
        let inc = gw
            .incoming(&plain.to_bytes().unwrap(), None, &v, NOW)
            .unwrap();
        assert!(matches!(inc.outcome, Outcome::NoToken));
        assert_eq!(inc.mark.verstat, Verstat::NoTnValidation);
        assert_eq!(screening(&inc.iam), Screening::NetworkProvided);
        let signed = s
            .sign_shaken("12155551212", &["12155551213"], Attest::A, None, NOW)
            .unwrap();
        let mut m = iam("12155551212", "12155551213");
        let out = gw.outgoing(&mut m, &signed.identity()).unwrap();
        // Flip every bit of the IAM: never a panic, never a pass unless the bit is one
        // the verification does not depend on.
        let mut passes = 0;
        for i in 0..out.encoded.iam.len() {
            for bit in 0..8 {
                let mut b = out.encoded.iam.clone();
                b[i] ^= 1 << bit;
                if let Ok(inc) = gw.incoming(&b, None, &v, NOW)
                    && matches!(inc.outcome, Outcome::Passed(_))
                {
                    passes += 1;
                }
            }
        }
        // Bits outside the token and the numbers (indicators, spare bits) may flip.
        assert!(passes > 0 && passes < 200, "{passes}");
        // Presentation restricted: no number shown.
        let mut r = plain.clone();
        let mut n = r.calling_number().unwrap().unwrap();
        n.presentation = Pres::Restricted;
        r.set_calling_number(&n).unwrap();
        let p = gw.destination(&r);
        assert!(p.restricted && p.number.is_none());
    }
}
