//! `cliauth pcap`'s whole input path on arbitrary bytes: the capture reader
//! (`cliauth_cli::capture::read_frames`, pcap and pcapng through pcap-file), the frame
//! slicer, IP defragmentation and TCP reassembly (`Reassembly`), and the SIP reader
//! (`cliauth_cli::sip`) with the number extraction on every message.
//!
//! Invariants: nothing panics, hangs or allocates without bound; frames are numbered 1, 2,
//! … in order; each SIP message is handed out by the frame that completed it and is at
//! most `MAX_SIP_MESSAGE` bytes; the reassembly never follows more than `MAX_TCP_STREAMS`
//! streams nor holds more than `MAX_SIP_MESSAGE + MAX_TCP_PENDING` bytes per stream; a
//! capture that is not pcap or pcapng is refused before any frame.
#![no_main]

use std::ops::ControlFlow;

use cliauth_cli::capture::{
    self, CaptureError, End, MAX_SIP_MESSAGE, MAX_TCP_PENDING, MAX_TCP_STREAMS, Reassembly,
};
use cliauth_cli::sip::{self, DestFrom, OrigFrom};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut re = Reassembly::new();
    let mut frames = 0u64;
    let mut messages = 0u64;
    let end = capture::read_frames(data, |f| {
        frames += 1;
        assert_eq!(f.number, frames);
        assert!(f.data.len() <= data.len());
        re.frame::<()>(&f, &mut |m| {
            assert_eq!(m.frame, f.number);
            assert!(!m.bytes.is_empty() && m.bytes.len() <= MAX_SIP_MESSAGE);
            messages += 1;
            if let Ok(Some(r)) = sip::parse(m.bytes) {
                let _ = (r.orig(OrigFrom::Auto), r.dest(DestFrom::To));
                let _ = (r.orig(OrigFrom::From), r.dest(DestFrom::Ruri));
                let _ = r.all("identity").count();
            }
            Ok(())
        })
        .unwrap();
        assert!(re.streams() <= MAX_TCP_STREAMS);
        assert!(re.held_bytes() <= re.streams() * (MAX_SIP_MESSAGE + MAX_TCP_PENDING));
        ControlFlow::Continue(())
    });
    match end {
        Ok(End::Complete | End::Truncated(_)) => {}
        Ok(End::Stopped) => panic!("stopped without being asked"),
        Err(CaptureError::NotACapture(_)) => assert_eq!(frames, 0),
        Err(e) => panic!("reading from memory failed: {e}"),
    }
});
