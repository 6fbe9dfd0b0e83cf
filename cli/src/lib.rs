//! The parsing behind `cliauth pcap`, as a library: reading a capture, reassembling IP
//! fragments and TCP streams into SIP messages ([`capture`]), and parsing SIP requests and
//! taking the numbers from them ([`sip`]). The `cliauth` binary verifies and prints; the
//! fuzz targets (`fuzz/fuzz_targets/pcap_capture.rs`, `sip_message.rs`) and the tests link
//! this library.
//!
//! It is not a stable API: it exists so that the parsers can be fuzzed and tested on their
//! own, and it changes with the command.

#![warn(missing_docs)]

pub mod capture;
pub mod sip;
