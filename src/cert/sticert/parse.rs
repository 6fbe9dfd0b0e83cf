//! Chains as received: a PEM bundle or concatenated DER certificates, end-entity first,
//! with size and count limits; and x509-parser's errors in words.

use super::*;

/// Limits applied when parsing a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLimits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Largest number of certificates accepted.
    pub max_certs: usize,
}

impl Default for ChainLimits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_CHAIN_BYTES,
            max_certs: MAX_CHAIN_CERTS,
        }
    }
}

/// x509-parser's error in words (its `Display` shows `Debug` output of the DER layer).
pub(crate) fn x509_text(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> String {
    use x509_parser::der_parser::asn1_rs::Error as A;
    use x509_parser::error::X509Error as X;
    let e = match e {
        x509_parser::nom::Err::Incomplete(_) => return "truncated DER".into(),
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e,
    };
    match e {
        X::Der(d) => match d {
            A::UnexpectedTag { actual, .. } => {
                format!("invalid DER: unexpected tag {}", actual.0)
            }
            A::InvalidLength | A::Incomplete(_) => "invalid DER: bad or truncated length".into(),
            A::IndefiniteLengthUnexpected => "invalid DER: indefinite length".into(),
            A::BerMaxDepth => "invalid DER: nested too deep".into(),
            A::IntegerTooLarge => "invalid DER: integer too large".into(),
            A::InvalidDateTime => "invalid DER: bad time".into(),
            A::StringInvalidCharset => "invalid DER: bad string".into(),
            _ => "invalid DER".into(),
        },
        X::NomError(_) => "invalid DER".into(),
        other => other.to_string(),
    }
}

/// Parse a chain with the default [`ChainLimits`]: a PEM bundle or
/// concatenated DER certificates, end-entity first.
///
/// # Errors
/// As [`parse_chain_with_limits`].
pub fn parse_chain(input: &[u8]) -> Result<Vec<StiCert>, CertError> {
    parse_chain_with_limits(input, ChainLimits::default())
}

/// Parse a chain: PEM (any input whose first non-blank byte is not `0x30`) or
/// concatenated DER certificates. Order is preserved (end-entity first).
///
/// # Errors
/// [`CertError::TooLarge`] above `limits.max_bytes`,
/// [`CertError::TooManyCertificates`] above `limits.max_certs`,
/// [`CertError::NoCertificate`] for an input without a certificate,
/// [`CertError::Pem`] / [`CertError::UnexpectedPemLabel`] for bad PEM, and the
/// errors of [`StiCert::from_der`].
pub fn parse_chain_with_limits(
    input: &[u8],
    limits: ChainLimits,
) -> Result<Vec<StiCert>, CertError> {
    if input.len() > limits.max_bytes {
        return Err(CertError::TooLarge {
            what: "certificate chain",
            len: input.len(),
            limit: limits.max_bytes,
        });
    }
    let mut out = Vec::new();
    let push = |cert: StiCert, out: &mut Vec<StiCert>| {
        if out.len() >= limits.max_certs {
            return Err(CertError::TooManyCertificates {
                limit: limits.max_certs,
            });
        }
        out.push(cert);
        Ok(())
    };
    if input.first() == Some(&0x30) {
        let mut rest = input;
        while !rest.is_empty() {
            let (cert, r) = StiCert::parse_prefix(rest)?;
            push(cert, &mut out)?;
            rest = r;
        }
    } else {
        for pem in pem_blocks(input) {
            let (label, der) = pem?;
            if label != "CERTIFICATE" {
                return Err(CertError::UnexpectedPemLabel(label));
            }
            push(StiCert::from_der(&der)?, &mut out)?;
        }
    }
    if out.is_empty() {
        return Err(CertError::NoCertificate);
    }
    Ok(out)
}

/// Iterate over the PEM blocks of `input` as `(label, DER)`; text outside
/// blocks is ignored. Used for chains and for multi-certificate files. A malformed
/// block makes the whole input one [`CertError::Pem`] (the crate's one PEM reader).
pub fn pem_blocks(input: &[u8]) -> impl Iterator<Item = Result<(String, Vec<u8>), CertError>> + '_ {
    let (blocks, err) = match crate::pemtext::blocks(input) {
        Ok(v) => (v, None),
        Err(e) => (Vec::new(), Some(CertError::Pem(e))),
    };
    blocks.into_iter().map(Ok).chain(err.map(Err))
}
