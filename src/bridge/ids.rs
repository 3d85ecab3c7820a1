//! Message ids: `msg-` + UUIDv7 with the sub-millisecond bits taken from the clock.

use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// A new id. RFC 9562 method 3: the 12 `rand_a` bits hold the fraction of the millisecond, so
/// ids from successive processes of one sender sort in sending order even within a millisecond.
pub fn new_message_id() -> String {
    format!("msg-{}", uuid_v7(SystemTime::now()))
}

pub fn uuid_v7(t: SystemTime) -> Uuid {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let ms = d.as_millis() as u64;
    let sub_ms = u64::from(d.subsec_nanos() % 1_000_000) * 4096 / 1_000_000;
    let mut b = Uuid::new_v4().into_bytes(); // the random tail comes from the OS
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = 0x70 | ((sub_ms >> 8) as u8 & 0x0f);
    b[7] = sub_ms as u8;
    b[8] = 0x80 | (b[8] & 0x3f);
    Uuid::from_bytes(b)
}

/// The creation time of a `msg-<uuidv7>` id in Unix milliseconds; None for any other id.
pub fn v7_millis(id: &str) -> Option<u64> {
    let u = Uuid::parse_str(id.strip_prefix("msg-")?).ok()?;
    if u.get_version_num() != 7 {
        return None;
    }
    let b = u.as_bytes();
    Some(
        b[..6]
            .iter()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

/// Ids come from other agents' files and from the command line; only these are ever joined to a
/// path: no separators, no leading dot, bounded length.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A fresh temporary file name in the form the original uses.
pub fn temp_name() -> String {
    format!(".tmp-{}.json", Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn v7_ids_sort_by_time_within_a_millisecond() {
        let t0 = UNIX_EPOCH + Duration::from_nanos(1_763_940_000_123_000_000);
        let ids: Vec<String> = (0..50)
            .map(|i| format!("msg-{}", uuid_v7(t0 + Duration::from_micros(i * 20))))
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(v7_millis(&ids[0]), Some(1_763_940_000_123));
        assert_eq!(Uuid::parse_str(&ids[0][4..]).unwrap().get_version_num(), 7);
        assert_eq!(v7_millis("msg-505f72af-f9ca-493b-8908-dceff7401ec6"), None);
    }

    #[test]
    fn safe_ids() {
        assert!(is_safe_id("msg-505f72af-f9ca-493b-8908-dceff7401ec6"));
        for bad in ["", "../x", "a/b", ".hidden", "x\0", "a b"] {
            assert!(!is_safe_id(bad), "{bad:?}");
        }
    }
}
