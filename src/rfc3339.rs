//! RFC 3339 timestamps (UTC, whole seconds) from Unix seconds, for error messages.

/// Formats `secs` (seconds since the Unix epoch) as `YYYY-MM-DDTHH:MM:SSZ`. Times outside
/// the years 0000–9999 are written as `@<secs>` (Unix seconds).
pub(crate) fn format(secs: i64) -> String {
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, public domain).
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if !(0..=9999).contains(&y) {
        return format!("@{secs}");
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        tod / 3600,
        tod % 3600 / 60,
        tod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn known_instants() {
        assert_eq!(format(0), "1970-01-01T00:00:00Z");
        assert_eq!(format(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(format(253_402_300_800), "@253402300800");
        assert_eq!(format(i64::MAX), format!("@{}", i64::MAX));
        assert_eq!(format(i64::MIN), format!("@{}", i64::MIN));
    }
}
