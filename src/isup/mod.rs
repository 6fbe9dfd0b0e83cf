//! ISUP/BICC carriage of PASSporTs (ITU-T Q.3063): the calling line identification token
//! travels in the Initial Address Message in a compact ASN.1 form, and is rebuilt into the
//! exact SIP Identity header at the far end.
//!
//! * [`number`]: Called and Calling Party Number parameters (Q.763 §3.9, §3.10) and their
//!   mapping to PASSporT telephone numbers.
//! * [`token`]: the compact token (ASN.1 module `CliAuthToken`, unaligned PER) and the
//!   lossless SIP ⇄ ISUP conversion.
//! * [`message`]: IAM and SGM parsing and building, the token's container (Application
//!   Transport parameter), size limit and segmentation.
//! * [`gateway`]: the Q.3063 §8 procedures — outgoing gateway, transit, incoming gateway,
//!   destination exchange — and the verdict → screening indicator / verstat table.
//!
//! ```
//! # use cliauth::isup;
//! use cliauth::{Attest, Signer, SigningKey, Verifier};
//! use isup::gateway::{Gateway, Outcome};
//! use isup::message::Iam;
//! use isup::number::{AddressDigits, CalledPartyNumber, CallingPartyNumber, NatureOfAddress};
//!
//! let (key, _) = SigningKey::generate()?;
//! let verifier = Verifier::with_key(key.verifying_key());
//! let signer = Signer::new(key, "https://cert.example.org/sp.pem")?;
//! let now = 1_700_000_000;
//! let identity = signer
//!     .sign_shaken("12155551212", &["12155551213"], Attest::A, None, now)?
//!     .identity();
//!
//! // The IAM the outgoing gateway builds from the INVITE.
//! let intl = NatureOfAddress::INTERNATIONAL;
//! let mut iam = Iam::new(&CalledPartyNumber::new(intl, AddressDigits::new("12155551213")?))?;
//! iam.set_calling_number(&CallingPartyNumber::new(intl, AddressDigits::new("12155551212")?))?;
//!
//! let gateway = Gateway::default();
//! let sent = gateway.outgoing(&mut iam, &identity)?;
//! assert!(sent.encoded.sgm.is_none() && sent.encoded.iam.len() <= 266);
//!
//! // The incoming gateway rebuilds the Identity header byte for byte and verifies it.
//! let received = gateway.incoming(&sent.encoded.iam, None, &verifier, now + 1)?;
//! assert!(matches!(received.outcome, Outcome::Passed(_)));
//! assert_eq!(received.identity.as_deref(), Some(identity.as_str()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod gateway;
pub mod message;
pub mod number;
pub mod token;

pub use gateway::{Carriage, Gateway, GatewayConfig, GatewayError, Outcome, VerdictTable};
pub use message::{Container, Encoded, Iam, MessageConfig, MessageError};
pub use number::{
    AddressDigits, CalledPartyNumber, CallingPartyNumber, NatureOfAddress, NumberError,
    NumberMapping, NumberingPlan, Presentation, Screening,
};
pub use token::{CompactToken, ConvertOptions, SipForm, TokenError};
