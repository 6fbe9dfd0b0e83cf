//! ISUP messages at the level the token needs (Q.763 §1, §2): the Initial Address Message
//! (IAM) and the Segmentation message (SGM) — parsing, walking and rebuilding their
//! optional parameters; finding, inserting, replacing and removing the compact token in
//! its container; splitting an over-long IAM into IAM + SGM (Q.764 §2.1.12 simple
//! segmentation).
//!
//! # Message layout
//!
//! ```text
//! IAM (type 0x01): nature of connection indicators (1) | forward call indicators (2) |
//!                  calling party's category (1) | transmission medium requirement (1) |
//!                  pointer to Called Party Number (1) | pointer to optional part (1) |
//!                  Called Party Number: length (1) + value | optional parameters | 0x00
//! SGM (type 0x38): pointer to optional part (1) | optional parameters | 0x00
//! optional parameter: code (1) | length (1) | value (length octets)
//! ```
//!
//! A pointer counts octets from the pointer octet itself to the length octet (mandatory
//! variable part) or code octet (optional part) it designates; a zero optional-part pointer
//! means "no optional part". The parser requires the mandatory variable part to start
//! where its pointer says and the optional part to start at or after its end, every
//! parameter to lie within the message and the optional part to end with 0x00 at the last
//! octet. Inputs longer than [`MAX_MESSAGE_LEN`] are refused unread. Spare and unknown
//! parameters are kept as they are.
//!
//! # The token container
//!
//! By default the token travels in the Application Transport parameter (APP, code 0x78,
//! Q.763 §3.82):
//!
//! ```text
//! octet 1   1 | application context identifier (7 bits)            default 0x40 (64)
//! octet 2   1 | spare (5) | SNI = 0 | RCI = 0                       "do not notify, do not release"
//! octet 3   ext | SI | APM segmentation indicator (6 bits)
//! octet 3a  1 | segmentation local reference (7 bits)             only when octet 3 ext = 0
//! octet 4+  encapsulated application information:
//!             originating address length = 0 | destination address length = 0 |
//!             APM-user information: the compact token, or one segment of it
//! ```
//!
//! The encapsulated application information follows Q.765 (APM'2000, §9.5), the layout
//! Wireshark and other APM'2000 implementations read for every application context: the
//! originating and destination address lengths, each followed by that many address
//! octets, then the APM-user information. Both addresses are empty (two zero octets):
//! they name APM-user entities for routing APM information between non-adjacent
//! exchanges, while the token always travels with the call's own messages, end to end.
//! Every APM segment is an APP parameter of its own with its own address fields (Q.765
//! routes each segment on its own; Wireshark reads the two octets in every segment and
//! reassembles the APM-user information alone), so segmentation cuts the token, not the
//! address fields. On input, a destination address is skipped; when the first segment's
//! information starts with a non-zero octet, the parameter is read in the earlier cliauth
//! layout (the token alone, without address fields): a version-2 token never starts with
//! 0x00, so the two cannot be confused.
//!
//! The default application context identifier is 64, the first value of the range Q.763
//! reserves for non-standardized applications (64–127): Q.3063's own value is not
//! available here, so both ends must agree ([`Container::App`]). An unsegmented token has
//! octet 3 = 0xC0 (new sequence, final segment, no SLR). A token longer than one parameter
//! can hold, or one that must straddle IAM and SGM, is cut into APM segments (Q.765
//! §8.2): the first has SI = 1 and "1 following segment", the second SI = 0 and "final",
//! both with the configured segmentation local reference. [`Container::Parameter`]
//! instead puts the bare token into a parameter of a configurable code (one parameter,
//! no APM segmentation, so at most 255 octets).
//!
//! # Size and segmentation
//!
//! One MTP message carries a Signalling Information Field of at most 272 octets
//! ([`MessageConfig::max_sif`]). It holds the routing label and CIC before the ISUP
//! message: 4 + 2 octets for ITU-T MTP3 and ISUP ([`MessageConfig::label_len`], 6; ANSI
//! would be 7 + 2), which leaves 266 octets for the message from its type code on. When
//! the IAM with the token exceeds that, [`Iam::encode`] sets the simple segmentation
//! indicator (bit C, 0x04) of the Optional Forward Call Indicators (adding the parameter
//! when absent) and moves the token — whole, or its second APM segment — into one SGM; the
//! other parameters stay in the IAM. When [`MessageConfig::segmentation`] is off, or IAM
//! plus one SGM cannot hold it, the result is [`MessageError::DoesNotFit`]. The receiver
//! merges the SGM back ([`Iam::parse_segmented`]) before looking for the token.
//!
//! A token longer than one APP parameter holds (250 octets; 249 a segment) always takes IAM + SGM, one
//! segment in each, whatever the size limit: Q.765 sends APM segments in separate messages.
//!
//! Measured with the default configuration (see the tests): a typical IAM (11-digit
//! international numbers, ST, Calling Party Number, no other optional parameters) is 28
//! octets; with a 125-octet SHAKEN token (40-character `x5u`) 160 octets in one message;
//! with a 314-octet token (255-character `x5u`) an IAM of 266 octets (the limit) plus an
//! SGM of 98 octets.

use super::number::{CalledPartyNumber, CallingPartyNumber, NumberError};
use super::token::MAX_COMPACT_LEN;

/// The IAM message type code.
pub const MSG_IAM: u8 = 0x01;
/// The Segmentation message type code.
pub const MSG_SGM: u8 = 0x38;
/// End of optional parameters.
pub const PARAM_END: u8 = 0x00;
/// Called Party Number parameter code.
pub const PARAM_CALLED: u8 = 0x04;
/// Optional Forward Call Indicators parameter code.
pub const PARAM_OFCI: u8 = 0x08;
/// Calling Party Number parameter code.
pub const PARAM_CALLING: u8 = 0x0a;
/// Application Transport parameter code.
pub const PARAM_APP: u8 = 0x78;
/// The simple segmentation indicator (bit C) of the Optional Forward Call Indicators.
pub const OFCI_SEGMENTATION: u8 = 0x04;
/// The default application context identifier for the token (first non-standardized value).
pub const DEFAULT_APP_CONTEXT: u8 = 0x40;
/// The largest message accepted by the parsers, in octets.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// The most APM segments a token may be reassembled from.
pub const MAX_SEGMENTS: usize = 10;

/// Why a message could not be parsed, changed or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The input is larger than [`MAX_MESSAGE_LEN`].
    #[error("message of {len} octets exceeds the limit of {max}")]
    TooLong {
        /// The input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The message ends inside the named part.
    #[error("message truncated in the {0}")]
    Truncated(&'static str),
    /// The message type code is not the expected one.
    #[error("message type {found:#04x}, expected {expected:#04x}")]
    WrongType {
        /// The type found.
        found: u8,
        /// The type expected.
        expected: u8,
    },
    /// A pointer designates a position outside its allowed range.
    #[error("the {0} pointer is invalid")]
    BadPointer(&'static str),
    /// The optional part does not end with the end-of-optional-parameters octet.
    #[error("optional part without end-of-optional-parameters octet")]
    MissingEnd,
    /// Octets follow the end of the message.
    #[error("{0} octets after the end of the message")]
    TrailingData(usize),
    /// The IAM announces an SGM but none was given, or an SGM was given without the
    /// announcement.
    #[error("{0}")]
    Segmentation(&'static str),
    /// The token's APM segments are inconsistent (missing, out of order, wrong count).
    #[error("bad APM segments: {0}")]
    Segments(String),
    /// An APP parameter with our context identifier is malformed.
    #[error("malformed Application Transport parameter: {0}")]
    BadApp(&'static str),
    /// A token is already present (use replace).
    #[error("the message already carries a token")]
    TokenPresent,
    /// A token too long for the container.
    #[error("token of {len} octets cannot be carried (at most {max})")]
    TokenTooLong {
        /// The token length.
        len: usize,
        /// The container's capacity.
        max: usize,
    },
    /// A parameter value longer than 255 octets.
    #[error("parameter {code:#04x} value of {len} octets exceeds 255")]
    ParamTooLong {
        /// The parameter code.
        code: u8,
        /// Its length.
        len: usize,
    },
    /// The message does not fit in one message plus (when allowed) one SGM.
    #[error("message of {len} octets does not fit: {detail}")]
    DoesNotFit {
        /// The unsegmented length.
        len: usize,
        /// Why no segmentation helps.
        detail: String,
    },
    /// A number parameter is invalid.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The configuration is invalid.
    #[error("invalid message configuration: {0}")]
    Config(&'static str),
}

/// Where the token travels in the IAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// In Application Transport parameters with this application context identifier
    /// (0–127), APM-segmented when needed.
    App {
        /// The application context identifier.
        context: u8,
    },
    /// As the whole value of one parameter with this code (not 0x00, 0x04, 0x08 or 0x0A,
    /// which the IAM uses for its own parameters).
    Parameter {
        /// The parameter code.
        code: u8,
    },
}

/// Message-level settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageConfig {
    /// The token container.
    pub container: Container,
    /// The largest Signalling Information Field of one MTP message (272).
    pub max_sif: usize,
    /// The octets of the SIF before the ISUP message: routing label and CIC (6 for ITU-T).
    pub label_len: usize,
    /// Whether an over-long IAM may be split into IAM + one SGM.
    pub segmentation: bool,
    /// The segmentation local reference (0–127) for APM-segmented tokens.
    pub slr: u8,
}

impl Default for MessageConfig {
    fn default() -> Self {
        MessageConfig {
            container: Container::App {
                context: DEFAULT_APP_CONTEXT,
            },
            max_sif: 272,
            label_len: 6,
            segmentation: true,
            slr: 1,
        }
    }
}

impl MessageConfig {
    /// The largest ISUP message (from the type code on) that fits one MTP message.
    pub fn max_message(&self) -> usize {
        self.max_sif.saturating_sub(self.label_len)
    }

    fn check(&self) -> Result<(), MessageError> {
        match self.container {
            Container::App { context } if context > 0x7f => {
                return Err(MessageError::Config("application context identifier > 127"));
            }
            Container::Parameter {
                code: PARAM_END | PARAM_CALLED | PARAM_OFCI | PARAM_CALLING,
            } => {
                return Err(MessageError::Config("unusable container parameter code"));
            }
            _ => {}
        }
        if self.slr > 0x7f {
            return Err(MessageError::Config("segmentation local reference > 127"));
        }
        if self.max_message() < 32 {
            return Err(MessageError::Config("message size limit too small"));
        }
        Ok(())
    }
}

/// One optional parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The parameter code (never 0).
    pub code: u8,
    /// The value (at most 255 octets).
    pub value: Vec<u8>,
}

/// An Initial Address Message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iam {
    /// Nature of connection indicators.
    pub nature_of_connection: u8,
    /// Forward call indicators.
    pub forward_call: [u8; 2],
    /// Calling party's category.
    pub calling_category: u8,
    /// Transmission medium requirement.
    pub transmission_medium: u8,
    /// The Called Party Number value (mandatory variable part), as received.
    pub called: Vec<u8>,
    /// The optional parameters, in order.
    pub optional: Vec<Param>,
}

/// An encoded IAM, with its SGM when it had to be segmented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The IAM.
    pub iam: Vec<u8>,
    /// The Segmentation message carrying the overflow, if any.
    pub sgm: Option<Vec<u8>>,
}

impl Iam {
    /// An IAM with the usual indicators for a speech call (no satellite, ISUP all the
    /// way, ordinary subscriber, speech) to `called`, no optional parameters.
    pub fn new(called: &CalledPartyNumber) -> Result<Iam, MessageError> {
        Ok(Iam {
            nature_of_connection: 0x00,
            forward_call: [0x60, 0x01],
            calling_category: 0x0a,
            transmission_medium: 0x00,
            called: called.encode()?,
            optional: Vec::new(),
        })
    }

    /// Parses one IAM (no SGM merged).
    pub fn parse(bytes: &[u8]) -> Result<Iam, MessageError> {
        check_len(bytes)?;
        let ty = *bytes
            .first()
            .ok_or(MessageError::Truncated("message type"))?;
        if ty != MSG_IAM {
            return Err(MessageError::WrongType {
                found: ty,
                expected: MSG_IAM,
            });
        }
        if bytes.len() < 8 {
            return Err(MessageError::Truncated("mandatory fixed part"));
        }
        let p_called = 6;
        let p_opt = 7;
        let called_at = p_called + usize::from(bytes[p_called]);
        if bytes[p_called] != 2 {
            // The only mandatory variable parameter follows the two pointers.
            return Err(MessageError::BadPointer("called party number"));
        }
        let called_len = usize::from(
            *bytes
                .get(called_at)
                .ok_or(MessageError::Truncated("called party number"))?,
        );
        let called_end = called_at + 1 + called_len;
        if called_end > bytes.len() {
            return Err(MessageError::Truncated("called party number"));
        }
        if called_len == 0 {
            return Err(MessageError::Number(NumberError::Truncated { len: 0 }));
        }
        let called = bytes[called_at + 1..called_end].to_vec();
        let optional = if bytes[p_opt] == 0 {
            if called_end != bytes.len() {
                return Err(MessageError::TrailingData(bytes.len() - called_end));
            }
            Vec::new()
        } else {
            let opt_at = p_opt + usize::from(bytes[p_opt]);
            if opt_at < called_end {
                return Err(MessageError::BadPointer("optional part"));
            }
            if opt_at >= bytes.len() {
                return Err(MessageError::Truncated("optional part"));
            }
            parse_optional(&bytes[opt_at..])?
        };
        Ok(Iam {
            nature_of_connection: bytes[1],
            forward_call: [bytes[2], bytes[3]],
            calling_category: bytes[4],
            transmission_medium: bytes[5],
            called,
            optional,
        })
    }

    /// Parses an IAM and, when it announces one, the SGM that completes it: the SGM's
    /// parameters are appended and the segmentation indicator cleared (the Optional
    /// Forward Call Indicators are dropped when nothing else remains set in them).
    pub fn parse_segmented(iam: &[u8], sgm: Option<&[u8]>) -> Result<Iam, MessageError> {
        let mut m = Iam::parse(iam)?;
        let announced = m
            .param(PARAM_OFCI)
            .and_then(|p| p.value.first())
            .is_some_and(|v| v & OFCI_SEGMENTATION != 0);
        match (announced, sgm) {
            (false, None) => Ok(m),
            (false, Some(_)) => Err(MessageError::Segmentation(
                "an SGM was given but the IAM does not announce one",
            )),
            (true, None) => Err(MessageError::Segmentation(
                "the IAM announces an SGM but none was given",
            )),
            (true, Some(sgm)) => {
                let extra = parse_sgm(sgm)?;
                let i = m
                    .optional
                    .iter()
                    .position(|p| p.code == PARAM_OFCI)
                    .unwrap_or_default();
                let ofci = &mut m.optional[i].value;
                ofci[0] &= !OFCI_SEGMENTATION;
                if ofci.len() == 1 && ofci[0] == 0 {
                    m.optional.remove(i);
                }
                m.optional.extend(extra);
                Ok(m)
            }
        }
    }

    /// The first optional parameter with this code.
    pub fn param(&self, code: u8) -> Option<&Param> {
        self.optional.iter().find(|p| p.code == code)
    }

    /// Sets the value of the first parameter with this code, appending it when absent.
    pub fn set_param(&mut self, code: u8, value: Vec<u8>) -> Result<(), MessageError> {
        if code == PARAM_END {
            return Err(MessageError::Config("parameter code 0"));
        }
        if value.len() > 255 {
            return Err(MessageError::ParamTooLong {
                code,
                len: value.len(),
            });
        }
        match self.optional.iter_mut().find(|p| p.code == code) {
            Some(p) => p.value = value,
            None => self.optional.push(Param { code, value }),
        }
        Ok(())
    }

    /// Removes every parameter with this code; returns how many there were.
    pub fn remove_param(&mut self, code: u8) -> usize {
        let before = self.optional.len();
        self.optional.retain(|p| p.code != code);
        before - self.optional.len()
    }

    /// The Called Party Number.
    pub fn called_number(&self) -> Result<CalledPartyNumber, NumberError> {
        CalledPartyNumber::decode(&self.called)
    }

    /// The Calling Party Number, `None` when the IAM has none.
    pub fn calling_number(&self) -> Option<Result<CallingPartyNumber, NumberError>> {
        self.param(PARAM_CALLING)
            .map(|p| CallingPartyNumber::decode(&p.value))
    }

    /// Sets (or adds) the Calling Party Number.
    pub fn set_calling_number(&mut self, n: &CallingPartyNumber) -> Result<(), MessageError> {
        self.set_param(PARAM_CALLING, n.encode()?)
    }

    /// The compact token carried in the container, reassembled from its APM segments;
    /// `None` when there is none.
    pub fn find_token(&self, cfg: &MessageConfig) -> Result<Option<Vec<u8>>, MessageError> {
        cfg.check()?;
        match cfg.container {
            Container::Parameter { code } => Ok(self.param(code).map(|p| p.value.clone())),
            Container::App { context } => {
                let mut segs = Vec::new();
                for p in &self.optional {
                    if p.code == PARAM_APP
                        && let Some(seg) = parse_app(&p.value, context)?
                    {
                        segs.push(seg);
                    }
                }
                reassemble(&segs)
            }
        }
    }

    /// Removes the token (every container parameter, also malformed or incomplete ones);
    /// returns it when there was a well-formed one.
    pub fn remove_token(&mut self, cfg: &MessageConfig) -> Result<Option<Vec<u8>>, MessageError> {
        cfg.check()?;
        let token = self.find_token(cfg).ok().flatten();
        match cfg.container {
            Container::Parameter { code } => {
                self.remove_param(code);
            }
            Container::App { context } => self
                .optional
                .retain(|p| !(p.code == PARAM_APP && app_context(&p.value) == Some(context))),
        }
        Ok(token)
    }

    /// Inserts a token; fails with [`MessageError::TokenPresent`] when there is one.
    pub fn insert_token(&mut self, token: &[u8], cfg: &MessageConfig) -> Result<(), MessageError> {
        if self.find_token(cfg)?.is_some() {
            return Err(MessageError::TokenPresent);
        }
        self.put_token(token, cfg)
    }

    /// Inserts a token, replacing any present; returns the previous one.
    pub fn replace_token(
        &mut self,
        token: &[u8],
        cfg: &MessageConfig,
    ) -> Result<Option<Vec<u8>>, MessageError> {
        let old = self.remove_token(cfg)?;
        self.put_token(token, cfg)?;
        Ok(old)
    }

    fn put_token(&mut self, token: &[u8], cfg: &MessageConfig) -> Result<(), MessageError> {
        cfg.check()?;
        if token.is_empty() || token.len() > MAX_COMPACT_LEN {
            return Err(MessageError::TokenTooLong {
                len: token.len(),
                max: MAX_COMPACT_LEN,
            });
        }
        match cfg.container {
            Container::Parameter { code } => {
                if token.len() > 255 {
                    return Err(MessageError::TokenTooLong {
                        len: token.len(),
                        max: 255,
                    });
                }
                self.optional.push(Param {
                    code,
                    value: token.to_vec(),
                });
            }
            Container::App { context } => {
                // Logical form: as few parameters as the 255-octet limit allows. `encode`
                // re-cuts the segments to the message boundaries.
                let chunks = split_even(token, SEGMENT_CAPACITY);
                self.optional.extend(app_params(context, cfg.slr, &chunks)?);
            }
        }
        Ok(())
    }

    /// Encodes the IAM without segmentation and without size check.
    pub fn to_bytes(&self) -> Result<Vec<u8>, MessageError> {
        encode_iam(self, &self.optional)
    }

    /// Encodes the IAM for sending: one message when it fits
    /// [`MessageConfig::max_message`], otherwise (when allowed) an IAM plus one SGM
    /// carrying the token or its second APM segment (see the module documentation).
    pub fn encode(&self, cfg: &MessageConfig) -> Result<Encoded, MessageError> {
        cfg.check()?;
        let max = cfg.max_message();
        let token = self.find_token(cfg)?;
        let mut others = self.clone();
        others.remove_token(cfg)?;
        let Some(token) = token else {
            let iam = others.to_bytes()?;
            if iam.len() > max {
                return Err(MessageError::DoesNotFit {
                    len: iam.len(),
                    detail: format!("the IAM without a token exceeds {max} octets"),
                });
            }
            return Ok(Encoded { iam, sgm: None });
        };
        // One message?
        let fits_one_param = token.len() <= single_capacity(cfg);
        let len = if fits_one_param {
            let mut whole = others.clone();
            whole.optional.push(single_param(&token, cfg.container));
            let single = whole.to_bytes()?;
            if single.len() <= max {
                return Ok(Encoded {
                    iam: single,
                    sgm: None,
                });
            }
            single.len()
        } else {
            self.to_bytes()?.len()
        };
        if !cfg.segmentation {
            return Err(MessageError::DoesNotFit {
                len,
                detail: format!("more than {max} octets and segmentation is off"),
            });
        }
        // IAM + SGM: the IAM keeps every other parameter and announces the SGM.
        let mut head = others;
        let mut ofci = head
            .param(PARAM_OFCI)
            .map(|p| p.value.clone())
            .unwrap_or_else(|| vec![0]);
        if ofci.is_empty() {
            ofci.push(0);
        }
        ofci[0] |= OFCI_SEGMENTATION;
        head.set_param(PARAM_OFCI, ofci)?;
        let head_len = head.to_bytes()?.len();
        if head_len > max {
            return Err(MessageError::DoesNotFit {
                len,
                detail: format!("the IAM without the token is {head_len} octets, over {max}"),
            });
        }
        let (iam_part, sgm_part): (Vec<Param>, Vec<Param>) = if fits_one_param {
            (Vec::new(), vec![single_param(&token, cfg.container)])
        } else {
            let Container::App { context } = cfg.container else {
                return Err(MessageError::TokenTooLong {
                    len: token.len(),
                    max: 255,
                });
            };
            // Fill the IAM, put the rest in the SGM; each segment has a 4-octet APP header
            // and a 2-octet parameter header.
            let room = (max - head_len)
                .saturating_sub(2 + 4 + APM_ADDRESS_FIELDS.len())
                .min(SEGMENT_CAPACITY);
            if room == 0 || token.len() - room > SEGMENT_CAPACITY {
                return Err(MessageError::DoesNotFit {
                    len,
                    detail: format!(
                        "a {}-octet token needs more than one IAM and one SGM",
                        token.len()
                    ),
                });
            }
            let mut p = app_params(context, cfg.slr, &[&token[..room], &token[room..]])?;
            let second = p.pop().unwrap_or(Param {
                code: PARAM_APP,
                value: Vec::new(),
            });
            (p, vec![second])
        };
        head.optional.extend(iam_part);
        let iam = head.to_bytes()?;
        let sgm = encode_sgm(&sgm_part)?;
        if iam.len() > max || sgm.len() > max {
            return Err(MessageError::DoesNotFit {
                len,
                detail: format!(
                    "IAM {} and SGM {} octets, limit {max}",
                    iam.len(),
                    sgm.len()
                ),
            });
        }
        Ok(Encoded {
            iam,
            sgm: Some(sgm),
        })
    }
}

/// The longest token one container parameter holds.
fn single_capacity(cfg: &MessageConfig) -> usize {
    match cfg.container {
        Container::App { .. } => 255 - 3 - APM_ADDRESS_FIELDS.len(),
        Container::Parameter { .. } => 255,
    }
}

/// The token as one unsegmented container parameter (the callers check
/// [`single_capacity`]).
fn single_param(token: &[u8], container: Container) -> Param {
    match container {
        Container::App { context } => unsegmented_app(context, token),
        Container::Parameter { code } => Param {
            code,
            value: token.to_vec(),
        },
    }
}

/// The APM'2000 address fields (Q.765): originating and destination address length,
/// both 0, in every APP parameter before its part of the token — the token travels end to
/// end with the call's own messages.
const APM_ADDRESS_FIELDS: [u8; 2] = [0, 0];

/// The part of the token one APM segment holds: 255 octets less the context, instruction,
/// segmentation indicator, local reference and address fields.
const SEGMENT_CAPACITY: usize = 255 - 4 - APM_ADDRESS_FIELDS.len();

/// The APM-user information in one segment of the Q.765 layout: the originating address
/// length, which must be 0 here (an address would name an APM-user entity elsewhere), then
/// the destination address length and address, which are skipped.
fn strip_address_fields(data: &[u8]) -> Result<&[u8], MessageError> {
    match data {
        [0, dest_len, rest @ ..] => rest
            .get(usize::from(*dest_len)..)
            .filter(|t| !t.is_empty())
            .ok_or(MessageError::BadApp(
                "APM address fields but no APM-user information",
            )),
        _ => Err(MessageError::BadApp("truncated APM address fields")),
    }
}

/// One unsegmented APP parameter holding the whole token.
fn unsegmented_app(context: u8, token: &[u8]) -> Param {
    let mut value = Vec::with_capacity(5 + token.len());
    value.extend_from_slice(&[0x80 | context, 0x80, 0xc0]);
    value.extend_from_slice(&APM_ADDRESS_FIELDS);
    value.extend_from_slice(token);
    Param {
        code: PARAM_APP,
        value,
    }
}

/// Splits `data` into as few chunks of at most `max` octets as possible, of near-equal size.
fn split_even(data: &[u8], max: usize) -> Vec<&[u8]> {
    let n = data.len().div_ceil(max).max(1);
    let size = data.len().div_ceil(n);
    data.chunks(size.max(1)).collect()
}

/// APP parameters for the chunks of a token: one unsegmented parameter, or APM segments.
fn app_params(context: u8, slr: u8, chunks: &[&[u8]]) -> Result<Vec<Param>, MessageError> {
    if chunks.len() > MAX_SEGMENTS {
        return Err(MessageError::TokenTooLong {
            len: chunks.iter().map(|c| c.len()).sum(),
            max: MAX_SEGMENTS * SEGMENT_CAPACITY,
        });
    }
    if let [only] = chunks {
        return Ok(vec![unsegmented_app(context, only)]);
    }
    let n = chunks.len();
    Ok(chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let following = (n - 1 - i) as u8;
            let si = if i == 0 { 0x40 } else { 0x00 };
            let mut value = Vec::with_capacity(6 + c.len());
            value.extend_from_slice(&[0x80 | context, 0x80, si | following, 0x80 | slr]);
            value.extend_from_slice(&APM_ADDRESS_FIELDS);
            value.extend_from_slice(c);
            Param {
                code: PARAM_APP,
                value,
            }
        })
        .collect())
}

/// The application context identifier of an APP parameter value (one-octet form only).
fn app_context(value: &[u8]) -> Option<u8> {
    match value.first() {
        Some(&b) if b & 0x80 != 0 => Some(b & 0x7f),
        _ => None,
    }
}

/// One APM segment of our token.
#[derive(Debug)]
struct Segment<'a> {
    new_sequence: bool,
    following: u8,
    slr: Option<u8>,
    data: &'a [u8],
}

/// Parses an APP parameter value; `None` when it belongs to another application context.
fn parse_app(value: &[u8], context: u8) -> Result<Option<Segment<'_>>, MessageError> {
    let first = *value.first().ok_or(MessageError::BadApp("empty"))?;
    if first & 0x80 == 0 {
        // Two-octet context identifier: never ours (we use the one-octet form).
        return Ok(None);
    }
    if first & 0x7f != context {
        return Ok(None);
    }
    let mut i = 1;
    // Application transport instruction indicators, with extension octets.
    loop {
        let b = *value
            .get(i)
            .ok_or(MessageError::BadApp("no instruction indicators"))?;
        i += 1;
        if b & 0x80 != 0 {
            break;
        }
    }
    let seg = *value
        .get(i)
        .ok_or(MessageError::BadApp("no segmentation indicator"))?;
    i += 1;
    let slr = if seg & 0x80 == 0 {
        let s = *value
            .get(i)
            .ok_or(MessageError::BadApp("no segmentation local reference"))?;
        i += 1;
        Some(s & 0x7f)
    } else {
        None
    };
    let following = seg & 0x3f;
    if following > 9 {
        return Err(MessageError::BadApp("spare APM segmentation indicator"));
    }
    let data = &value[i..];
    if data.is_empty() {
        return Err(MessageError::BadApp("no application information"));
    }
    Ok(Some(Segment {
        new_sequence: seg & 0x40 != 0,
        following,
        slr,
        data,
    }))
}

/// Joins the segments of one token.
fn reassemble(segs: &[Segment<'_>]) -> Result<Option<Vec<u8>>, MessageError> {
    let Some(first) = segs.first() else {
        return Ok(None);
    };
    if !first.new_sequence {
        return Err(MessageError::Segments(
            "the first segment is not a new sequence".into(),
        ));
    }
    let total = usize::from(first.following) + 1;
    if segs.len() != total {
        return Err(MessageError::Segments(format!(
            "{} segments announced, {} present",
            total,
            segs.len()
        )));
    }
    // The layout, from the first segment: the Q.765 address fields in every segment, or
    // the earlier cliauth layout (the token alone), which a version-2 token (its first
    // octet is never 0) cannot be mistaken for.
    let q765 = first.data.first() == Some(&0);
    let mut out = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        if i > 0 && (s.new_sequence || s.slr != first.slr) {
            return Err(MessageError::Segments(format!(
                "segment {i} out of sequence"
            )));
        }
        if usize::from(s.following) != total - 1 - i {
            return Err(MessageError::Segments(format!(
                "segment {i} has the wrong count"
            )));
        }
        if total > 1 && s.slr.is_none() {
            return Err(MessageError::Segments(
                "segment without local reference".into(),
            ));
        }
        out.extend_from_slice(if q765 {
            strip_address_fields(s.data)?
        } else {
            s.data
        });
        if out.len() > MAX_COMPACT_LEN {
            return Err(MessageError::TokenTooLong {
                len: out.len(),
                max: MAX_COMPACT_LEN,
            });
        }
    }
    Ok(Some(out))
}

fn check_len(bytes: &[u8]) -> Result<(), MessageError> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(MessageError::TooLong {
            len: bytes.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    Ok(())
}

/// Parses an optional part that starts at `part[0]` and must end at its last octet.
fn parse_optional(part: &[u8]) -> Result<Vec<Param>, MessageError> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let code = *part.get(i).ok_or(MessageError::MissingEnd)?;
        if code == PARAM_END {
            i += 1;
            break;
        }
        let len = usize::from(
            *part
                .get(i + 1)
                .ok_or(MessageError::Truncated("optional parameter length"))?,
        );
        let start = i + 2;
        let value = part
            .get(start..start + len)
            .ok_or(MessageError::Truncated("optional parameter value"))?;
        out.push(Param {
            code,
            value: value.to_vec(),
        });
        i = start + len;
    }
    if i != part.len() {
        return Err(MessageError::TrailingData(part.len() - i));
    }
    Ok(out)
}

/// Parses a Segmentation message into its optional parameters.
pub fn parse_sgm(bytes: &[u8]) -> Result<Vec<Param>, MessageError> {
    check_len(bytes)?;
    let ty = *bytes
        .first()
        .ok_or(MessageError::Truncated("message type"))?;
    if ty != MSG_SGM {
        return Err(MessageError::WrongType {
            found: ty,
            expected: MSG_SGM,
        });
    }
    let ptr = *bytes
        .get(1)
        .ok_or(MessageError::Truncated("optional part pointer"))?;
    if ptr == 0 {
        if bytes.len() != 2 {
            return Err(MessageError::TrailingData(bytes.len() - 2));
        }
        return Ok(Vec::new());
    }
    let at = 1 + usize::from(ptr);
    if at >= bytes.len() {
        return Err(MessageError::Truncated("optional part"));
    }
    parse_optional(&bytes[at..])
}

fn push_params(out: &mut Vec<u8>, params: &[Param]) -> Result<(), MessageError> {
    for p in params {
        if p.code == PARAM_END {
            return Err(MessageError::Config("parameter code 0"));
        }
        let len = u8::try_from(p.value.len()).map_err(|_| MessageError::ParamTooLong {
            code: p.code,
            len: p.value.len(),
        })?;
        out.push(p.code);
        out.push(len);
        out.extend_from_slice(&p.value);
    }
    out.push(PARAM_END);
    Ok(())
}

fn encode_iam(m: &Iam, params: &[Param]) -> Result<Vec<u8>, MessageError> {
    let called_len = u8::try_from(m.called.len()).map_err(|_| MessageError::ParamTooLong {
        code: PARAM_CALLED,
        len: m.called.len(),
    })?;
    let mut out = Vec::with_capacity(16 + m.called.len() + params.len() * 8);
    out.extend_from_slice(&[
        MSG_IAM,
        m.nature_of_connection,
        m.forward_call[0],
        m.forward_call[1],
        m.calling_category,
        m.transmission_medium,
        2,
    ]);
    if params.is_empty() {
        out.push(0);
    } else {
        // From the optional-part pointer (index 7) to the first parameter code.
        out.push(2 + called_len);
    }
    out.push(called_len);
    out.extend_from_slice(&m.called);
    if !params.is_empty() {
        push_params(&mut out, params)?;
    }
    Ok(out)
}

/// Encodes a Segmentation message holding `params`.
pub fn encode_sgm(params: &[Param]) -> Result<Vec<u8>, MessageError> {
    let mut out = vec![MSG_SGM];
    if params.is_empty() {
        out.push(0);
        return Ok(out);
    }
    out.push(1);
    push_params(&mut out, params)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::number::{AddressDigits, NatureOfAddress};
    use super::*;

    fn iam() -> Iam {
        let called = CalledPartyNumber {
            st: true,
            ..CalledPartyNumber::new(
                NatureOfAddress::INTERNATIONAL,
                AddressDigits::new("12155551213").unwrap(),
            )
        };
        let mut m = Iam::new(&called).unwrap();
        m.set_calling_number(&CallingPartyNumber::new(
            NatureOfAddress::INTERNATIONAL,
            AddressDigits::new("12155551212").unwrap(),
        ))
        .unwrap();
        m
    }

    const IAM_BYTES: [u8; 28] = [
        0x01, 0x00, 0x60, 0x01, 0x0a, 0x00, 0x02, 0x0a, 0x08, 0x04, 0x10, 0x21, 0x51, 0x55, 0x15,
        0x12, 0xf3, 0x0a, 0x08, 0x84, 0x13, 0x21, 0x51, 0x55, 0x15, 0x12, 0x02, 0x00,
    ];

    fn token(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + 3) as u8).collect()
    }

    #[test]
    fn iam_layout() {
        let m = iam();
        let b = m.to_bytes().unwrap();
        assert_eq!(b, IAM_BYTES);
        let back = Iam::parse(&b).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.called_number().unwrap().digits.as_str(), "12155551213");
        assert!(back.called_number().unwrap().st);
        assert_eq!(
            back.calling_number().unwrap().unwrap().digits.as_str(),
            "12155551212"
        );
        // No optional part at all.
        let mut bare = m.clone();
        bare.optional.clear();
        let b = bare.to_bytes().unwrap();
        assert_eq!(b[7], 0);
        assert_eq!(Iam::parse(&b).unwrap(), bare);
        assert!(bare.calling_number().is_none());
        // A gap before the optional part is tolerated.
        let mut gap = IAM_BYTES.to_vec();
        gap[7] += 1;
        gap.insert(17, 0xee);
        assert_eq!(Iam::parse(&gap).unwrap(), m);
    }

    #[test]
    fn iam_parse_errors() {
        use MessageError as E;
        for n in 0..IAM_BYTES.len() {
            assert!(Iam::parse(&IAM_BYTES[..n]).is_err(), "truncated at {n}");
        }
        let with = |i: usize, v: u8| {
            let mut b = IAM_BYTES.to_vec();
            b[i] = v;
            Iam::parse(&b)
        };
        assert_eq!(
            with(0, 0x38),
            Err(E::WrongType {
                found: 0x38,
                expected: 1
            })
        );
        assert_eq!(with(6, 3), Err(E::BadPointer("called party number")));
        assert_eq!(with(7, 1), Err(E::BadPointer("optional part")));
        assert_eq!(with(7, 0), Err(E::TrailingData(11)));
        assert_eq!(with(7, 40), Err(E::Truncated("optional part")));
        assert_eq!(with(8, 40), Err(E::Truncated("called party number")));
        assert_eq!(with(18, 40), Err(E::Truncated("optional parameter value")));
        assert_eq!(
            with(27, 0x11),
            Err(E::Truncated("optional parameter length"))
        );
        assert_eq!(Iam::parse(&IAM_BYTES[..27]), Err(E::MissingEnd));
        let mut long = IAM_BYTES.to_vec();
        long.push(0);
        assert_eq!(Iam::parse(&long), Err(E::TrailingData(1)));
        assert!(matches!(
            Iam::parse(&vec![1; MAX_MESSAGE_LEN + 1]),
            Err(E::TooLong { .. })
        ));
        for i in 0..IAM_BYTES.len() {
            for bit in 0..8 {
                let mut b = IAM_BYTES.to_vec();
                b[i] ^= 1 << bit;
                if let Ok(m) = Iam::parse(&b) {
                    let _ = m.called_number();
                    let _ = m.calling_number();
                    let _ = m.find_token(&MessageConfig::default());
                    let _ = m.encode(&MessageConfig::default());
                }
            }
        }
    }

    #[test]
    fn token_find_insert_replace_remove() {
        for cfg in [
            MessageConfig::default(),
            MessageConfig {
                container: Container::Parameter { code: 0xf0 },
                ..MessageConfig::default()
            },
        ] {
            let mut m = iam();
            assert_eq!(m.find_token(&cfg).unwrap(), None);
            m.insert_token(&token(125), &cfg).unwrap();
            assert_eq!(m.find_token(&cfg).unwrap(), Some(token(125)));
            assert_eq!(
                m.insert_token(&token(5), &cfg),
                Err(MessageError::TokenPresent)
            );
            assert_eq!(m.replace_token(&token(7), &cfg).unwrap(), Some(token(125)));
            let enc = m.encode(&cfg).unwrap();
            assert!(enc.sgm.is_none());
            let back = Iam::parse(&enc.iam).unwrap();
            assert_eq!(back.find_token(&cfg).unwrap(), Some(token(7)));
            let mut back = back;
            assert_eq!(back.remove_token(&cfg).unwrap(), Some(token(7)));
            assert_eq!(back.find_token(&cfg).unwrap(), None);
            assert_eq!(back.to_bytes().unwrap(), IAM_BYTES);
        }
        // Another application's APP parameter is left alone.
        let cfg = MessageConfig::default();
        let mut m = iam();
        m.set_param(PARAM_APP, vec![0x85, 0x80, 0xc0, 1, 2, 3])
            .unwrap();
        assert_eq!(m.find_token(&cfg).unwrap(), None);
        m.insert_token(&token(10), &cfg).unwrap();
        m.remove_token(&cfg).unwrap();
        assert_eq!(m.param(PARAM_APP).unwrap().value[0], 0x85);
        // Encoding of an unsegmented APP container.
        let mut m = iam();
        m.insert_token(&[0xaa, 0xbb], &cfg).unwrap();
        assert_eq!(
            m.param(PARAM_APP).unwrap().value,
            [0xc0, 0x80, 0xc0, 0x00, 0x00, 0xaa, 0xbb]
        );
        // On input: the earlier layout without address fields, a destination address
        // (skipped), and truncated address fields.
        for (app, want) in [
            (
                &[0xc0, 0x80, 0xc0, 0x0a, 0xbb][..],
                Ok(Some(vec![0x0a, 0xbb])),
            ),
            (&[0xc0, 0x80, 0xc0, 0, 2, 9, 9, 0xaa], Ok(Some(vec![0xaa]))),
            (&[0xc0, 0x80, 0xc0, 0, 2, 9, 9], Err(())),
            (&[0xc0, 0x80, 0xc0, 0, 3, 9], Err(())),
            (&[0xc0, 0x80, 0xc0, 0], Err(())),
            // Segments: address fields in each; the first decides the layout.
            (&[0xc0, 0x80, 0x41, 0x85, 0, 0, 0xaa], Err(())),
        ] {
            let mut m = iam();
            m.set_param(PARAM_APP, app.to_vec()).unwrap();
            let got = m.find_token(&cfg);
            match want {
                Ok(t) => assert_eq!(got.unwrap(), t, "{app:02x?}"),
                Err(()) => assert!(got.is_err(), "{app:02x?}"),
            }
        }
    }

    #[test]
    fn segmentation() {
        let cfg = MessageConfig::default();
        // 125 octets (x5u 40): one message.
        let mut m = iam();
        m.insert_token(&token(125), &cfg).unwrap();
        let enc = m.encode(&cfg).unwrap();
        assert_eq!((enc.iam.len(), enc.sgm.is_none()), (160, true));
        // 314 octets (x5u 255): IAM full to the limit plus one SGM.
        let mut m = iam();
        m.insert_token(&token(314), &cfg).unwrap();
        assert_eq!(m.optional.iter().filter(|p| p.code == PARAM_APP).count(), 2);
        assert_eq!(m.find_token(&cfg).unwrap(), Some(token(314)));
        let enc = m.encode(&cfg).unwrap();
        let sgm = enc.sgm.clone().unwrap();
        assert_eq!((enc.iam.len(), sgm.len()), (266, 98));
        assert_eq!(sgm[0], MSG_SGM);
        let head = Iam::parse(&enc.iam).unwrap();
        assert_eq!(head.param(PARAM_OFCI).unwrap().value, [OFCI_SEGMENTATION]);
        assert!(matches!(
            head.find_token(&cfg),
            Err(MessageError::Segments(_))
        ));
        let full = Iam::parse_segmented(&enc.iam, Some(&sgm)).unwrap();
        assert_eq!(full.find_token(&cfg).unwrap(), Some(token(314)));
        assert_eq!(full.param(PARAM_OFCI), None);
        assert!(matches!(
            Iam::parse_segmented(&enc.iam, None),
            Err(MessageError::Segmentation(_))
        ));
        assert!(matches!(
            Iam::parse_segmented(&IAM_BYTES, Some(&sgm)),
            Err(MessageError::Segmentation(_))
        ));
        // A token that fits one parameter but not the IAM goes whole into the SGM, and an
        // existing OFCI keeps its other bits.
        let mut m = iam();
        m.set_param(PARAM_OFCI, vec![0x80]).unwrap();
        m.set_param(0x20, vec![0x55; 60]).unwrap();
        m.insert_token(&token(200), &cfg).unwrap();
        let enc = m.encode(&cfg).unwrap();
        let sgm = enc.sgm.unwrap();
        assert_eq!(sgm.len(), 2 + 2 + 3 + 2 + 200 + 1);
        let head = Iam::parse(&enc.iam).unwrap();
        assert_eq!(head.param(PARAM_OFCI).unwrap().value, [0x84]);
        let full = Iam::parse_segmented(&enc.iam, Some(&sgm)).unwrap();
        assert_eq!(full.find_token(&cfg).unwrap(), Some(token(200)));
        assert_eq!(full.param(PARAM_OFCI).unwrap().value, [0x80]);
        // Segmentation off: a typed error.
        let off = MessageConfig {
            segmentation: false,
            ..cfg
        };
        let mut m = iam();
        m.insert_token(&token(313), &off).unwrap();
        assert!(matches!(
            m.encode(&off),
            Err(MessageError::DoesNotFit { .. })
        ));
        // Too long for IAM + SGM.
        let mut m = iam();
        m.insert_token(&token(600), &cfg).unwrap();
        assert!(matches!(
            m.encode(&cfg),
            Err(MessageError::DoesNotFit { .. })
        ));
        // A raw parameter container cannot hold more than 255 octets.
        let raw = MessageConfig {
            container: Container::Parameter { code: 0xf0 },
            ..cfg
        };
        assert!(matches!(
            iam().insert_token(&token(256), &raw),
            Err(MessageError::TokenTooLong { .. })
        ));
        // With a larger limit (e.g. BICC) a token that fits one parameter stays in the IAM;
        // a longer one still takes its second segment to an SGM (one APP per message).
        let big = MessageConfig {
            max_sif: 1000,
            ..cfg
        };
        let mut m = iam();
        m.insert_token(&token(250), &big).unwrap();
        assert!(m.encode(&big).unwrap().sgm.is_none());
        let mut m = iam();
        m.insert_token(&token(313), &big).unwrap();
        let enc = m.encode(&big).unwrap();
        let sgm = enc.sgm.unwrap();
        assert_eq!(sgm.len(), 1 + 1 + 2 + 4 + 2 + (313 - 249) + 1);
        let full = Iam::parse_segmented(&enc.iam, Some(&sgm)).unwrap();
        assert_eq!(full.find_token(&big).unwrap(), Some(token(313)));
    }

    #[test]
    fn app_segment_errors() {
        let cfg = MessageConfig::default();
        let bad = |values: &[&[u8]]| {
            let mut m = iam();
            for v in values {
                m.optional.push(Param {
                    code: PARAM_APP,
                    value: v.to_vec(),
                });
            }
            m.find_token(&cfg)
        };
        assert!(matches!(bad(&[&[0xc0]]), Err(MessageError::BadApp(_))));
        assert!(matches!(
            bad(&[&[0xc0, 0x80]]),
            Err(MessageError::BadApp(_))
        ));
        assert!(matches!(
            bad(&[&[0xc0, 0x80, 0xc0]]),
            Err(MessageError::BadApp(_))
        ));
        assert!(matches!(
            bad(&[&[0xc0, 0x80, 0x41]]),
            Err(MessageError::BadApp(_))
        ));
        assert!(matches!(
            bad(&[&[0xc0, 0x80, 0xca, 1]]),
            Err(MessageError::BadApp(_))
        ));
        // First segment announces one more that never comes.
        assert!(matches!(
            bad(&[&[0xc0, 0x80, 0x41, 0x81, 1]]),
            Err(MessageError::Segments(_))
        ));
        // Second segment without a first.
        assert!(matches!(
            bad(&[&[0xc0, 0x80, 0x00, 0x81, 1]]),
            Err(MessageError::Segments(_))
        ));
        // Different local references.
        assert!(matches!(
            bad(&[&[0xc0, 0x80, 0x41, 0x81, 1], &[0xc0, 0x80, 0x00, 0x82, 2]]),
            Err(MessageError::Segments(_))
        ));
        assert_eq!(
            bad(&[&[0xc0, 0x80, 0x41, 0x81, 1], &[0xc0, 0x80, 0x00, 0x81, 2]]),
            Ok(Some(vec![1, 2]))
        );
        // SGM errors.
        assert!(parse_sgm(&[]).is_err());
        assert!(parse_sgm(&[0x38]).is_err());
        assert!(parse_sgm(&[0x01, 0x01, 0x00]).is_err());
        assert!(parse_sgm(&[0x38, 0x01, 0x20, 0x05, 0]).is_err());
        assert!(parse_sgm(&[0x38, 0x00, 0x00]).is_err());
        assert_eq!(parse_sgm(&[0x38, 0x00]), Ok(Vec::new()));
        assert_eq!(parse_sgm(&encode_sgm(&[]).unwrap()), Ok(Vec::new()));
    }
}
