//! Wall-clock time as the wire format writes it, with a test-only override.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Tests set this to an RFC 3339 time to pin "now" for timestamps and TTL decisions. Message ids
/// always use the real clock, so their order stays the order of sending.
pub const TEST_NOW_VAR: &str = "CC2CC_TEST_NOW";

pub fn now() -> SystemTime {
    std::env::var(TEST_NOW_VAR)
        .ok()
        .and_then(|s| parse(&s))
        .unwrap_or_else(SystemTime::now)
}

/// What JavaScript's `Date.prototype.toISOString()` writes: `2026-11-23T23:07:40.123Z`.
pub fn format(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

pub fn now_string() -> String {
    format(now())
}

/// Parses an RFC 3339 timestamp (`Z`, no zone, or a numeric offset such as `+02:00`).
pub fn parse(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let Some((local, sign, off)) = split_offset(s) else {
        return humantime::parse_rfc3339_weak(s).ok();
    };
    let t = humantime::parse_rfc3339_weak(local).ok()?;
    let off = Duration::from_secs(off);
    if sign > 0 {
        t.checked_sub(off)
    } else {
        t.checked_add(off)
    }
}

fn split_offset(s: &str) -> Option<(&str, i8, u64)> {
    if s.len() < 25 || !s.is_char_boundary(s.len() - 6) {
        return None;
    }
    let (local, off) = s.split_at(s.len() - 6);
    let b = off.as_bytes();
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if b[3] != b':' {
        return None;
    }
    let h: u64 = std::str::from_utf8(&b[1..3]).ok()?.parse().ok()?;
    let m: u64 = std::str::from_utf8(&b[4..6]).ok()?.parse().ok()?;
    Some((local, sign, h * 3600 + m * 60))
}

pub fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seconds from `then` to `now`, zero when `then` is in the future.
pub fn age(then: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_javascript_iso_strings() {
        let s = "2026-11-23T23:30:03.549Z";
        assert_eq!(format(parse(s).unwrap()), s);
        assert_eq!(
            format(parse("2026-11-24T01:30:03.549+02:00").unwrap()),
            s,
            "offsets are honoured"
        );
        assert!(parse("yesterday").is_none());
        assert!(parse("").is_none());
    }
}
