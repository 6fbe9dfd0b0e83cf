//! The crate's one PEM reader (RFC 7468 text, through the `pem` crate): certificate chains,
//! trust anchors, CRLs and keys all go through [`blocks`].

/// Whether `input` looks like PEM: it holds a `-----BEGIN ` boundary.
pub(crate) fn is_pem(input: &[u8]) -> bool {
    input.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every PEM block of `input` as `(label, contents)`, in order; text outside the blocks
/// is ignored. A malformed block fails the whole input.
pub(crate) fn blocks(input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    pem::parse_many(input)
        .map(|v| {
            v.into_iter()
                .map(|p| (p.tag().to_owned(), p.into_contents()))
                .collect()
        })
        .map_err(|e| e.to_string())
}
