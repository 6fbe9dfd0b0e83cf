//! Telephone numbers: the canonical form of RFC 8224 §8.3 and comparison.
//!
//! A PASSporT carries telephone numbers as strings (`"orig":{"tn":"12155551212"}`). Before
//! two numbers are compared they are canonicalised: visual separators (`-`, `.`, `(`, `)`,
//! space) and a leading `+` are dropped; digits are kept, and so are `#` and `*` (which
//! STI certificates allow in TNAuthList entries). Anything else is an error, as is a
//! number that is empty after canonicalisation or longer than [`MAX_TN_DIGITS`]
//! characters. (A number of only `#`/`*`, such as a service code, is accepted.)

use std::fmt;

/// The longest canonical telephone number accepted, in characters (E.164 allows 15 digits;
/// RFC 8226 TNAuthList entries are at most 15 characters too).
pub const MAX_TN_DIGITS: usize = 15;

/// The longest raw (uncanonicalised) number text accepted, in bytes.
pub const MAX_TN_INPUT: usize = 64;

/// Why a telephone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TnError {
    /// The text is empty or only separators.
    #[error("telephone number is empty")]
    Empty,
    /// The text is longer than [`MAX_TN_INPUT`] bytes or the canonical form is longer than
    /// [`MAX_TN_DIGITS`] characters.
    #[error("telephone number is too long ({0} characters)")]
    TooLong(usize),
    /// The text contains a character that is neither a digit, `#`, `*`, a visual separator
    /// nor a leading `+`.
    #[error("telephone number contains an invalid character {0:?}")]
    InvalidChar(char),
}

/// A telephone number in canonical form: ASCII digits, `#` and `*` only, 1 to 15 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tn(String);

impl Tn {
    /// Canonicalises a telephone number (RFC 8224 §8.3).
    ///
    /// ```
    /// use cliauth::tn::Tn;
    /// assert_eq!(Tn::parse("+1 (215) 555-1212").unwrap().as_str(), "12155551212");
    /// assert!(Tn::parse("1215555x1212").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Tn, TnError> {
        if text.len() > MAX_TN_INPUT {
            return Err(TnError::TooLong(text.len()));
        }
        let body = text.strip_prefix('+').unwrap_or(text);
        let mut out = String::with_capacity(body.len());
        for c in body.chars() {
            match c {
                '0'..='9' | '#' | '*' => out.push(c),
                '-' | '.' | '(' | ')' | ' ' => {}
                other => return Err(TnError::InvalidChar(other)),
            }
        }
        if out.is_empty() {
            return Err(TnError::Empty);
        }
        if out.len() > MAX_TN_DIGITS {
            return Err(TnError::TooLong(out.len()));
        }
        Ok(Tn(out))
    }

    /// The canonical form as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the number, returning the canonical text.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether this number equals `text` once `text` is canonicalised. An invalid `text`
    /// never matches.
    pub fn matches(&self, text: &str) -> bool {
        // Fast path: already canonical and equal.
        if text == self.0 {
            return true;
        }
        Tn::parse(text).is_ok_and(|t| t == *self)
    }
}

impl fmt::Display for Tn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Tn {
    type Err = TnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tn::parse(s)
    }
}

impl AsRef<str> for Tn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(Tn::parse("12155551212").unwrap().as_str(), "12155551212");
        assert_eq!(Tn::parse("+12155551212").unwrap().as_str(), "12155551212");
        assert_eq!(
            Tn::parse("+1-215-555.1212").unwrap().as_str(),
            "12155551212"
        );
        assert_eq!(Tn::parse("(215) 555 1212").unwrap().as_str(), "2155551212");
        assert_eq!(Tn::parse("*67").unwrap().as_str(), "*67");
        assert_eq!(Tn::parse("#31#1234").unwrap().as_str(), "#31#1234");
        assert_eq!(Tn::parse("123456789012345").unwrap().as_str().len(), 15);
    }

    #[test]
    fn rejects_junk() {
        assert_eq!(Tn::parse(""), Err(TnError::Empty));
        assert_eq!(Tn::parse("+"), Err(TnError::Empty));
        assert_eq!(Tn::parse("--"), Err(TnError::Empty));
        assert_eq!(Tn::parse("1234567890123456"), Err(TnError::TooLong(16)));
        assert_eq!(Tn::parse("12a4"), Err(TnError::InvalidChar('a')));
        assert_eq!(Tn::parse("++1"), Err(TnError::InvalidChar('+')));
        assert_eq!(Tn::parse("1+2"), Err(TnError::InvalidChar('+')));
        assert_eq!(Tn::parse("１２３"), Err(TnError::InvalidChar('１')));
        assert!(matches!(
            Tn::parse(&"1".repeat(65)),
            Err(TnError::TooLong(65))
        ));
        assert_eq!(Tn::parse("sip:1@x"), Err(TnError::InvalidChar('s')));
    }

    #[test]
    fn comparison() {
        let a = Tn::parse("+1 215 555 1212").unwrap();
        assert!(a.matches("12155551212"));
        assert!(a.matches("+1-215-555-1212"));
        assert!(!a.matches("2155551212"));
        assert!(!a.matches("junk"));
        assert_eq!(a, Tn::parse("1.215.555.1212").unwrap());
    }
}
