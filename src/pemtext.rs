//! The crate's one PEM reader (RFC 7468 text, through the `pem` crate): certificate chains,
//! trust anchors, CRLs and keys all go through [`blocks`].

/// Whether `input` looks like PEM: it holds a `-----BEGIN ` boundary.
pub(crate) fn is_pem(input: &[u8]) -> bool {
    input.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every PEM block of `input` as `(label, contents)`, in order; text outside the blocks
/// is ignored. A malformed block fails the whole input.
pub(crate) fn blocks(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let parsed = pem::parse_many(input).map_err(|e| e.to_string())?;
    // The reader skips a block it cannot frame (no END line): count the BEGIN lines so
    // that a truncated block is an error, not a silently shorter input.
    let begins = input.windows(11).filter(|w| *w == b"-----BEGIN ").count();
    if begins != parsed.len() {
        return Err(format!(
            "{} PEM block(s) without a matching END line",
            begins.saturating_sub(parsed.len()).max(1)
        ));
    }
    Ok(parsed
        .into_iter()
        .map(|p| (p.tag().to_owned(), p.into_contents()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_in_order_and_truncation_is_an_error() {
        let two = b"junk\n-----BEGIN A-----\nAQID\n-----END A-----\ntext\n-----BEGIN B-----\nBA==\n-----END B-----\n";
        let got = blocks(two).unwrap();
        assert_eq!(
            got,
            vec![("A".to_owned(), vec![1, 2, 3]), ("B".to_owned(), vec![4])]
        );
        assert!(is_pem(two));
        assert!(blocks(b"-----BEGIN A-----\nAQID\n").is_err());
        assert!(blocks(b"-----BEGIN A-----\nAQID\n-----END A-----\n-----BEGIN B-----\n").is_err());
        assert!(blocks(b"-----BEGIN A-----\n!!!!\n-----END A-----\n").is_err());
        assert_eq!(blocks(b"no pem here").unwrap(), vec![]);
    }
}
