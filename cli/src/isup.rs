//! `cliauth isup`: the compact CLI-authentication token for ISUP/BICC (hex), its
//! conversion from and to the SIP Identity header, and carriage in an IAM.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use cliauth::Call;
use cliauth::isup::{
    AddressDigits, CalledPartyNumber, CallingPartyNumber, CompactToken, ConvertOptions, Gateway,
    GatewayConfig, Iam, NatureOfAddress, NumberMapping, NumberingPlan,
};

use crate::{Out, UsageError};

#[derive(Subcommand)]
pub(crate) enum IsupCmd {
    /// Convert an Identity header value into the compact token (printed as hex).
    Encode {
        /// The Identity header value.
        #[arg(long)]
        identity: String,
        #[command(flatten)]
        numbers: Numbers,
        /// Carry orig and dest in the token instead of rebuilding them from the IAM.
        #[arg(long)]
        explicit_numbers: bool,
        /// Refuse tokens whose JSON is not deterministic instead of carrying it verbatim.
        #[arg(long)]
        no_verbatim: bool,
    },
    /// Decode a compact token (hex) and show what it carries.
    Decode {
        /// The compact token, hex.
        hex: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the Identity header value from a compact token (hex) and the IAM numbers.
    ToIdentity {
        /// The compact token, hex.
        hex: String,
        #[command(flatten)]
        numbers: Numbers,
    },
    /// Initial Address Messages: build one, add the token to one, take it out of one.
    #[command(subcommand)]
    Iam(IamCmd),
}

#[derive(Subcommand)]
pub(crate) enum IamCmd {
    /// Build a minimal IAM (hex) with the given calling and called numbers.
    New {
        #[command(flatten)]
        numbers: Numbers,
    },
    /// Add the token of an Identity header to an IAM (hex); prints the IAM, and an SGM on
    /// a second line when the message had to be segmented.
    Add {
        /// The IAM, hex.
        #[arg(long)]
        iam: String,
        /// The Identity header value.
        #[arg(long)]
        identity: String,
        #[command(flatten)]
        mapping: Mapping,
    },
    /// Take the token out of an IAM (and SGM) and print the rebuilt Identity header value.
    Take {
        /// The IAM, hex.
        #[arg(long)]
        iam: String,
        /// The Segmentation message that followed it, hex.
        #[arg(long)]
        sgm: Option<String>,
        #[command(flatten)]
        mapping: Mapping,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Noa {
    International,
    National,
}

/// How ISUP numbers map to PASSporT telephone numbers.
#[derive(Args)]
pub(crate) struct Mapping {
    /// The country code of national numbers (nature of address "national" in the IAM).
    #[arg(long)]
    country_code: Option<String>,
}

/// The IAM's calling and called numbers.
#[derive(Args)]
pub(crate) struct Numbers {
    /// Calling party number, as in the IAM (digits).
    #[arg(long)]
    calling: String,
    /// Called party number, as in the IAM (digits).
    #[arg(long)]
    called: String,
    /// Nature of address of both numbers.
    #[arg(long, value_enum, default_value = "international")]
    noa: Noa,
    #[command(flatten)]
    mapping: Mapping,
}

impl Mapping {
    fn get(&self) -> NumberMapping {
        match &self.country_code {
            Some(cc) => NumberMapping::for_country(cc),
            None => NumberMapping::international(),
        }
    }
}

impl Numbers {
    fn nature(&self) -> NatureOfAddress {
        match self.noa {
            Noa::International => NatureOfAddress::INTERNATIONAL,
            Noa::National => NatureOfAddress::NATIONAL,
        }
    }

    /// The numbers as PASSporT telephone numbers.
    fn tns(&self) -> Result<(String, String), UsageError> {
        let m = self.mapping.get();
        let tn = |digits: &str| -> Result<String, UsageError> {
            let d = AddressDigits::new(digits)
                .map_err(|e| UsageError(format!("{}: {e}", crate::out::quoted(digits))))?;
            m.to_tn(self.nature(), NumberingPlan::ISDN, &d)
                .map_err(|e| UsageError(format!("{}: {e}", crate::out::quoted(digits))))
        };
        Ok((tn(&self.calling)?, tn(&self.called)?))
    }
}

fn unhex(s: &str) -> Result<Vec<u8>, UsageError> {
    let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    hex::decode(clean).map_err(|e| UsageError(format!("bad hex: {e}")))
}

fn gateway(mapping: &Mapping) -> Gateway {
    Gateway::new(GatewayConfig {
        mapping: mapping.get(),
        ..GatewayConfig::default()
    })
}

/// A failure of the token or message itself: exit 1 with the reason.
fn invalid(out: &mut Out, e: impl std::fmt::Display) -> Result<ExitCode, UsageError> {
    out.line(format_args!("invalid: {e}"))?;
    Ok(ExitCode::from(1))
}

pub(crate) fn run(cmd: IsupCmd, out: &mut Out) -> Result<ExitCode, UsageError> {
    match cmd {
        IsupCmd::Encode {
            identity,
            numbers,
            explicit_numbers,
            no_verbatim,
        } => {
            let (orig, dest) = numbers.tns()?;
            let opts = ConvertOptions {
                allow_verbatim: !no_verbatim,
                explicit_numbers,
            };
            match CompactToken::from_identity(identity.trim(), &Call::new(&orig, &dest), &opts) {
                Ok(c) => {
                    out.line(hex::encode(c.token.as_bytes()))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(out, e),
            }
        }
        IsupCmd::Decode { hex, json } => {
            let token = match CompactToken::decode(&unhex(&hex)?) {
                Ok(t) => t,
                Err(e) => return invalid(out, e),
            };
            let mut v = token.describe();
            v["len"] = token.len().into();
            if json {
                out.line(v)?;
            } else {
                out.line(serde_json::to_string_pretty(&v).unwrap_or_default())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        IsupCmd::ToIdentity { hex, numbers } => {
            let (orig, dest) = numbers.tns()?;
            match CompactToken::decode(&unhex(&hex)?)
                .and_then(|t| t.rebuild(&Call::new(&orig, &dest)))
            {
                Ok(sip) => {
                    out.line(&sip.identity)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(out, e),
            }
        }
        IsupCmd::Iam(IamCmd::New { numbers }) => {
            let nature = numbers.nature();
            let digits = |d: &str| {
                AddressDigits::new(d)
                    .map_err(|e| UsageError(format!("{}: {e}", crate::out::quoted(d))))
            };
            let mut iam = Iam::new(&CalledPartyNumber::new(nature, digits(&numbers.called)?))
                .map_err(|e| UsageError(e.to_string()))?;
            iam.set_calling_number(&CallingPartyNumber::new(nature, digits(&numbers.calling)?))
                .map_err(|e| UsageError(e.to_string()))?;
            out.line(hex::encode(
                iam.to_bytes().map_err(|e| UsageError(e.to_string()))?,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        IsupCmd::Iam(IamCmd::Add {
            iam,
            identity,
            mapping,
        }) => {
            let mut parsed = match Iam::parse(&unhex(&iam)?) {
                Ok(i) => i,
                Err(e) => return invalid(out, e),
            };
            match gateway(&mapping).outgoing(&mut parsed, identity.trim()) {
                Ok(added) => {
                    out.line(hex::encode(&added.encoded.iam))?;
                    if let Some(sgm) = &added.encoded.sgm {
                        out.line(hex::encode(sgm))?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(out, e),
            }
        }
        IsupCmd::Iam(IamCmd::Take { iam, sgm, mapping }) => {
            let sgm = sgm.as_deref().map(unhex).transpose()?;
            let gw = gateway(&mapping);
            let parsed = match Iam::parse_segmented(&unhex(&iam)?, sgm.as_deref()) {
                Ok(i) => i,
                Err(e) => return invalid(out, e),
            };
            let cfg = GatewayConfig::default().message;
            let bytes = match parsed.find_token(&cfg) {
                Ok(Some(b)) => b,
                Ok(None) => return invalid(out, "the IAM carries no token"),
                Err(e) => return invalid(out, e),
            };
            let (calling, called) = gw.call_numbers(&parsed);
            let call = Call {
                orig: calling.as_deref(),
                dest: called.as_deref(),
                call_id: None,
            };
            match CompactToken::decode(&bytes).and_then(|t| t.rebuild(&call)) {
                Ok(sip) => {
                    out.line(&sip.identity)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(out, e),
            }
        }
    }
}
