//! Times for scheduled delivery: five-field cron expressions (`m h dom mon dow` with `*`,
//! lists, ranges and steps, in local time) and `send --at` times (RFC 3339 or `HH:MM`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::clock;

/// A parsed cron expression. Each field is a bit set of the values it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    /// 0 = Sunday; 7 is folded into 0.
    dow: u64,
    /// Fields written as `*…`: as in Vixie cron, when both day fields are restricted a day
    /// matches either of them, otherwise both.
    dom_any: bool,
    dow_any: bool,
    /// The expression as written, fields separated by one space.
    expr: String,
}

impl std::fmt::Display for Cron {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.expr)
    }
}

/// Enough to find an occurrence of any expression that can match within about eight years
/// (minute steps inside matching hours, hour steps inside matching days, day steps otherwise).
const SEARCH_STEPS: usize = 200_000;

impl Cron {
    pub fn parse(s: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = s.split_whitespace().collect();
        let [minute, hour, dom, month, dow] = fields[..] else {
            return Err(format!(
                "{s:?} has {} fields; a cron expression has five: minute hour day-of-month month day-of-week",
                fields.len()
            ));
        };
        let mut dow_bits = field(dow, 0, 7, "day of week")?;
        if dow_bits & (1 << 7) != 0 {
            dow_bits = (dow_bits & !(1 << 7)) | 1;
        }
        Ok(Cron {
            minute: field(minute, 0, 59, "minute")?,
            hour: field(hour, 0, 23, "hour")?,
            dom: field(dom, 1, 31, "day of month")?,
            month: field(month, 1, 12, "month")?,
            dow: dow_bits,
            dom_any: dom.starts_with('*'),
            dow_any: dow.starts_with('*'),
            expr: fields.join(" "),
        })
    }

    /// An expression for one local time of day, every day.
    pub fn daily(hour: u32, minute: u32) -> Cron {
        Cron {
            minute: 1 << minute,
            hour: 1 << hour,
            dom: u64::MAX,
            month: u64::MAX,
            dow: u64::MAX,
            dom_any: true,
            dow_any: true,
            expr: format!("{minute} {hour} * * *"),
        }
    }

    fn day_matches(&self, tm: &Local) -> bool {
        let dom = self.dom & (1 << tm.mday) != 0;
        let dow = self.dow & (1 << tm.wday) != 0;
        let day = if self.dom_any || self.dow_any {
            dom && dow
        } else {
            dom || dow
        };
        day && self.month & (1 << tm.month) != 0
    }

    /// The latest matching minute in `(after, now]`, if any.
    pub fn latest(&self, now: SystemTime, after: SystemTime) -> Option<SystemTime> {
        let after = unix_secs(after);
        let mut t = floor_minute(unix_secs(now));
        for _ in 0..SEARCH_STEPS {
            if t <= after {
                return None;
            }
            let tm = Local::at(t);
            if !self.day_matches(&tm) {
                t = floor_minute(t - tm.secs_into_day() - 1);
            } else if self.hour & (1 << tm.hour) == 0 {
                t = floor_minute(t - tm.secs_into_hour() - 1);
            } else if self.minute & (1 << tm.minute) == 0 {
                t -= 60;
            } else {
                return Some(from_secs(t));
            }
        }
        None
    }

    /// The first matching minute strictly after `t`.
    pub fn next_after(&self, t: SystemTime) -> Option<SystemTime> {
        let mut t = floor_minute(unix_secs(t)) + 60;
        for _ in 0..SEARCH_STEPS {
            let tm = Local::at(t);
            if !self.day_matches(&tm) {
                t = floor_minute(t - tm.secs_into_day() + 86_400);
            } else if self.hour & (1 << tm.hour) == 0 {
                t = floor_minute(t - tm.secs_into_hour() + 3_600);
            } else if self.minute & (1 << tm.minute) == 0 {
                t += 60;
            } else {
                return Some(from_secs(t));
            }
        }
        None
    }
}

/// One field: comma-separated items, each `*`, `N` or `N-M`, optionally followed by `/STEP`
/// (`N/STEP` runs from N to the field's maximum).
fn field(spec: &str, min: u32, max: u32, what: &str) -> Result<u64, String> {
    let bad = |why: String| format!("cron {what} field {spec:?}: {why}");
    let number = |s: &str| -> Result<u32, String> {
        let n: u32 = s
            .parse()
            .map_err(|_| bad(format!("{s:?} is not a number")))?;
        if n < min || n > max {
            return Err(bad(format!("{n} is outside {min}-{max}")));
        }
        Ok(n)
    };
    let mut bits = 0u64;
    for item in spec.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| bad(format!("step {s:?} is not a positive number")))?;
                (r, Some(step))
            }
            None => (item, None),
        };
        let (lo, hi) = match range {
            "*" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None => {
                    let n = number(r)?;
                    (n, if step.is_some() { max } else { n })
                }
            },
        };
        if lo > hi {
            return Err(bad(format!("range {lo}-{hi} runs backwards")));
        }
        for v in (lo..=hi).step_by(step.unwrap_or(1) as usize) {
            bits |= 1 << v;
        }
    }
    Ok(bits)
}

/// Why a delivery time was refused. The front end adds the hint, since only it knows what
/// else its user may ask for instead.
#[derive(Debug, PartialEq, Eq)]
pub enum AtError {
    /// Neither an RFC 3339 time nor `HH:MM`, or no such local time.
    Unreadable(String),
    /// A time already gone.
    Past(String),
}

/// A delivery time: an RFC 3339 time, or `HH:MM`, the next such local time after `now`.
pub fn parse_at(s: &str, now: SystemTime) -> Result<SystemTime, AtError> {
    let s = s.trim();
    if let Some((h, m)) = s.split_once(':')
        && h.len() <= 2
        && m.len() == 2
    {
        let (Ok(h), Ok(m)) = (h.parse::<u32>(), m.parse::<u32>()) else {
            return Err(AtError::Unreadable(format!(
                "{s:?} is not a time (HH:MM or RFC 3339)"
            )));
        };
        if h > 23 || m > 59 {
            return Err(AtError::Unreadable(format!("{s:?} is not a time of day")));
        }
        return Cron::daily(h, m)
            .next_after(now)
            .ok_or_else(|| AtError::Unreadable(format!("cannot find the next {s} in local time")));
    }
    let t = clock::parse(s).ok_or_else(|| {
        AtError::Unreadable(format!(
            "{s:?} is not a time: use RFC 3339 (2026-11-24T07:00:00Z) or HH:MM"
        ))
    })?;
    if t <= now {
        return Err(AtError::Past(format!(
            "{s} is in the past (now is {})",
            clock::format(now)
        )));
    }
    Ok(t)
}

/// Broken-down local time, from the C library (it knows the zone rules of `TZ` and
/// /etc/localtime; std does not).
struct Local {
    minute: u32,
    hour: u32,
    mday: u32,
    month: u32,
    wday: u32,
    sec: u32,
}

impl Local {
    fn at(t: i64) -> Local {
        // Typed by localtime_r below: naming `libc::time_t` warns on musl, where the libc crate
        // marks it as changing.
        let tt = t as _;
        // The one call left in libc: rustix has no time-zone conversion, and the C library's
        // reads the system's zone data as every other program on the machine does.
        // SAFETY: `tm` is plain data and a valid out-pointer; localtime_r is thread-safe.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let ok = !unsafe { libc::localtime_r(&tt, &mut tm) }.is_null();
        if !ok {
            // Out of the C library's range: treat as UTC midnight, which no search relies on.
            return Local {
                minute: 0,
                hour: 0,
                mday: 1,
                month: 1,
                wday: 0,
                sec: 0,
            };
        }
        Local {
            minute: tm.tm_min as u32,
            hour: tm.tm_hour as u32,
            mday: tm.tm_mday as u32,
            month: tm.tm_mon as u32 + 1,
            wday: tm.tm_wday as u32,
            sec: (tm.tm_sec as u32).min(59),
        }
    }

    fn secs_into_hour(&self) -> i64 {
        i64::from(self.minute * 60 + self.sec)
    }

    fn secs_into_day(&self) -> i64 {
        i64::from(self.hour * 3600) + self.secs_into_hour()
    }
}

fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

fn from_secs(s: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s.max(0) as u64)
}

fn floor_minute(t: i64) -> i64 {
    t - t.rem_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        clock::parse(s).unwrap()
    }

    // The zone: these tests run with whatever TZ the machine has, so they use expressions
    // whose answers do not depend on it (minute fields, and day fields only relative to each
    // other) or compare with the local clock's own view.
    #[test]
    fn parses_fields_lists_ranges_and_steps() {
        let c = Cron::parse("*/15 9-17 * * 1-5").unwrap();
        assert_eq!(c.minute, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(c.hour.count_ones(), 9);
        assert_eq!(c.dow, 0b11_1110);
        assert_eq!(Cron::parse("0 0 * * 7").unwrap().dow, 1, "7 is Sunday");
        assert_eq!(Cron::parse("5,10-12,50/5 * * * *").unwrap().minute, {
            1 << 5 | 1 << 10 | 1 << 11 | 1 << 12 | 1 << 50 | 1 << 55
        });
        for bad in [
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "5-1 * * * *",
            "*/0 * * * *",
            "a * * * *",
            "* * * * * *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn finds_the_latest_and_next_minute() {
        let every5 = Cron::parse("*/5 * * * *").unwrap();
        let now = at("2026-11-24T10:07:30Z");
        assert_eq!(
            every5.latest(now, at("2026-11-24T09:00:00Z")),
            Some(at("2026-11-24T10:05:00Z"))
        );
        assert_eq!(every5.latest(now, at("2026-11-24T10:05:00Z")), None);
        assert_eq!(every5.next_after(now), Some(at("2026-11-24T10:10:00Z")));
        assert_eq!(
            every5.next_after(at("2026-11-24T10:10:00Z")),
            Some(at("2026-11-24T10:15:00Z"))
        );
        let never = Cron::parse("0 0 30 2 *").unwrap();
        assert_eq!(never.next_after(now), None, "February 30th never comes");
        assert_eq!(never.latest(now, at("2020-01-01T00:00:00Z")), None);
    }

    #[test]
    fn hh_mm_is_the_next_such_local_time() {
        let now = at("2026-11-24T10:07:30Z");
        let t = parse_at("23:59", now).unwrap();
        assert!(t > now && t <= now + Duration::from_secs(86_400));
        let tm = Local::at(unix_secs(t));
        assert_eq!((tm.hour, tm.minute, tm.sec), (23, 59, 0));
        assert_eq!(
            parse_at("2026-11-24T11:00:00Z", now),
            Ok(at("2026-11-24T11:00:00Z"))
        );
        assert!(
            matches!(parse_at("2026-11-24T10:00:00Z", now), Err(AtError::Past(_))),
            "past"
        );
        assert!(parse_at("25:00", now).is_err());
        assert!(parse_at("tomorrow", now).is_err());
    }
}
