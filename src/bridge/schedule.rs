//! Delivery later. A scheduled message waits in `to-<name>/scheduled/` until its time; a
//! recurring schedule lives in `<bridge>/schedules/<id>.json`. Any process may deliver what is
//! due (`tick`): a rename moves a due message into the inbox, and an `O_EXCL` marker in
//! `<bridge>/schedules/<id>.fired/` claims each occurrence, so racing processes deliver each
//! once.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::cron::Cron;
use super::error::{Error, Result};
use super::fsutil::{Dir, is_not_found};
use super::mailbox::{INBOX, SCHEDULED, is_message_file};
use super::message::{Draft, Message, default_priority, default_type};
use super::{Bridge, Name, Problem, clock, crypto, ids};

/// The folder of recurring schedules, below the bridge root.
const SCHEDULES: &str = "schedules";

/// How often a running `watch` or `serve-mcp` looks for due work (sooner when it knows the
/// next due time): a scheduled message arrives within this much of its time.
pub const TICK_EVERY: Duration = Duration::from_secs(1);

/// A recurring schedule as stored. `text` is in wire form (`ENC:…` when it was added with
/// encryption on), so firing it needs no key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schedule {
    pub id: String,
    pub from: String,
    pub to: String,
    #[serde(rename = "type", default = "default_type")]
    pub kind: String,
    #[serde(default = "default_priority")]
    pub priority: String,
    pub text: String,
    /// Seconds between occurrences, counted from `created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// The ttl of each message, in seconds; null never expires.
    #[serde(default)]
    pub ttl: Value,
    pub created: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How a schedule repeats.
#[derive(Debug, Clone)]
pub enum Repeat {
    Every(Duration),
    Cron(Cron),
}

/// A schedule with what its markers and its rule say about it.
#[derive(Debug, Clone)]
pub struct ScheduleInfo {
    pub schedule: Schedule,
    pub last_fired: Option<SystemTime>,
    pub next: Option<SystemTime>,
}

/// What one tick did.
#[derive(Debug, Default)]
pub struct Ticked {
    /// Scheduled messages moved into an inbox.
    pub released: Vec<String>,
    /// (schedule id, message) for each occurrence this tick fired.
    pub fired: Vec<(String, Message)>,
    pub problems: Vec<Problem>,
    /// The earliest known time something becomes due.
    pub next: Option<SystemTime>,
}

/// What releasing one mailbox's scheduled messages did.
#[derive(Debug, Default)]
pub struct Released {
    pub ids: Vec<String>,
    pub problems: Vec<Problem>,
    /// When the earliest message still waiting is due.
    pub next: Option<SystemTime>,
}

impl Schedule {
    pub fn repeat(&self) -> Result<Repeat, String> {
        match (&self.every, &self.cron) {
            (Some(secs), None) if *secs > 0 => Ok(Repeat::Every(Duration::from_secs(*secs))),
            (None, Some(expr)) => Cron::parse(expr).map(Repeat::Cron),
            _ => Err("a schedule needs exactly one of a positive `every` or a `cron`".into()),
        }
    }

    fn created_at(&self) -> Result<SystemTime, String> {
        clock::parse(&self.created)
            .ok_or_else(|| format!("`created` {:?} is not a time", self.created))
    }

    /// The latest occurrence in `(after, now]`.
    fn latest(&self, repeat: &Repeat, now: SystemTime, after: SystemTime) -> Option<SystemTime> {
        match repeat {
            Repeat::Cron(c) => c.latest(now, after),
            Repeat::Every(every) => {
                let start = self.created_at().ok()?;
                let every = every.as_millis();
                let elapsed = now.duration_since(start).ok()?.as_millis();
                let k = elapsed / every;
                let t = start + Duration::from_millis((k * every) as u64);
                (k >= 1 && t > after).then_some(t)
            }
        }
    }

    /// The first occurrence strictly after `t`.
    fn next_after(&self, repeat: &Repeat, t: SystemTime) -> Option<SystemTime> {
        match repeat {
            Repeat::Cron(c) => c.next_after(t),
            Repeat::Every(every) => {
                let start = self.created_at().ok()?;
                let every = every.as_millis();
                let k = match t.duration_since(start) {
                    Ok(d) => d.as_millis() / every + 1,
                    Err(_) => 1,
                };
                Some(start + Duration::from_millis((k * every) as u64))
            }
        }
    }
}

impl Bridge {
    /// `schedules/`, None when there is none yet.
    fn schedules_folder(&self) -> Result<Option<Dir>> {
        match self.dir(&[SCHEDULES], false) {
            Err(e) if is_not_found(&e) => Ok(None),
            other => other.map(Some),
        }
    }

    /// Stores a recurring schedule of `draft` from `from`; returns it (text in plain form).
    pub fn add_schedule(&self, from: &Name, draft: Draft, repeat: &Repeat) -> Result<Schedule> {
        let to = Name::new(&draft.to)?;
        if draft.text.is_empty() {
            return Err(Error::EmptyText);
        }
        let text = if self.encrypt {
            crypto::encrypt(&self.key()?, &draft.text)
        } else {
            draft.text.clone()
        };
        let (every, cron) = match repeat {
            Repeat::Every(d) => (Some(d.as_secs().max(1)), None),
            Repeat::Cron(c) => (None, Some(c.to_string())),
        };
        let mut schedule = Schedule {
            id: format!("sch-{}", ids::uuid_v7(SystemTime::now())),
            from: from.to_string(),
            to: to.to_string(),
            kind: draft.kind.as_str().into(),
            priority: draft.priority.as_str().into(),
            text,
            every,
            cron,
            ttl: match draft.ttl {
                Some(d) if !d.is_zero() => Value::from(d.as_secs().max(1)),
                _ => Value::Null,
            },
            created: clock::now_string(),
            extra: Map::new(),
        };
        let json = serde_json::to_string_pretty(&schedule).unwrap_or_default();
        let dir = self.dir(&[SCHEDULES], true)?;
        dir.write_atomic(&format!("{}.json", schedule.id), json.as_bytes(), true)?;
        schedule.text = draft.text;
        Ok(schedule)
    }

    /// Every schedule on the bridge, oldest first, text decrypted where the key allows.
    pub fn schedules(&self, now: SystemTime) -> (Vec<ScheduleInfo>, Vec<Problem>) {
        let (found, mut problems) = self.read_schedules();
        let mut infos = Vec::with_capacity(found.len());
        for mut schedule in found {
            let last_fired = self.last_fired(&schedule.id);
            let next = schedule
                .repeat()
                .ok()
                .and_then(|r| schedule.next_after(&r, now));
            if crypto::is_encrypted(&schedule.text) {
                match self
                    .key()
                    .map_err(|e| e.to_string())
                    .and_then(|k| crypto::decrypt(&k, &schedule.text))
                {
                    Ok(plain) => schedule.text = plain,
                    Err(reason) => problems.push(Problem::Stuck {
                        file: format!("schedules/{}.json", schedule.id),
                        reason: format!("cannot decrypt its text: {reason}"),
                    }),
                }
            }
            infos.push(ScheduleInfo {
                schedule,
                last_fired,
                next,
            });
        }
        (infos, problems)
    }

    /// Removes a schedule and its markers. Unknown ids are an error.
    pub fn remove_schedule(&self, id: &str) -> Result<()> {
        if !ids::is_safe_id(id) {
            return Err(Error::InvalidId(id.chars().take(80).collect()));
        }
        let Some(dir) = self.schedules_folder()? else {
            return Err(Error::UnknownSchedule(id.into()));
        };
        let file = format!("{id}.json");
        match dir.remove(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::UnknownSchedule(id.into()));
            }
            Err(e) => return Err(Error::io("remove", &dir.path().join(file), e)),
        }
        let _ = dir.sync();
        let _ = dir.remove_folder(&format!("{id}.fired"));
        Ok(())
    }

    fn read_schedules(&self) -> (Vec<Schedule>, Vec<Problem>) {
        let mut problems = Vec::new();
        let stuck = |reason: String| Problem::Stuck {
            file: "schedules/".into(),
            reason,
        };
        let dir = match self.schedules_folder() {
            Ok(Some(dir)) => dir,
            Ok(None) => return (Vec::new(), problems),
            Err(e) => {
                problems.push(stuck(e.to_string()));
                return (Vec::new(), problems);
            }
        };
        let mut files = match dir.entries() {
            Ok(files) => files,
            Err(e) => {
                problems.push(stuck(format!("cannot list it: {e}")));
                Vec::new()
            }
        };
        files.sort();
        // Markers of a schedule removed while a tick was firing it: nothing will read them.
        for orphan in files.iter().filter_map(|f| f.strip_suffix(".fired")) {
            if !files.contains(&format!("{orphan}.json")) && ids::is_safe_id(orphan) {
                let _ = dir.remove_folder(&format!("{orphan}.fired"));
            }
        }
        files.retain(|f| is_message_file(f));
        let mut found = Vec::with_capacity(files.len());
        for file in files {
            let parsed = dir
                .read(&file, self.max_size)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    serde_json::from_slice::<Schedule>(&b)
                        .map_err(|e| format!("not a cc2cc schedule ({e})"))
                })
                .and_then(|s| {
                    // The id names the marker folder: it must be the file's own name.
                    if file.strip_suffix(".json") == Some(s.id.as_str()) {
                        Ok(s)
                    } else {
                        Err(format!("its id {:?} is not its file name", s.id))
                    }
                });
            match parsed {
                Ok(s) => found.push(s),
                Err(reason) => problems.push(Problem::Stuck {
                    file: format!("schedules/{file}"),
                    reason,
                }),
            }
        }
        (found, problems)
    }

    /// The newest claimed occurrence of a schedule (markers are named by Unix milliseconds).
    fn last_fired(&self, id: &str) -> Option<SystemTime> {
        let fired = self.dir(&[SCHEDULES, &format!("{id}.fired")], false).ok()?;
        fired_markers(&fired)
            .into_iter()
            .max()
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
    }

    /// Fires the latest due occurrence of `schedule` if nobody has: missed occurrences before
    /// it are skipped, so a bridge that nothing ticked for a day gets one message, not a storm.
    fn fire(&self, schedule: &Schedule, now: SystemTime) -> Result<Option<Message>, String> {
        let repeat = schedule.repeat()?;
        let from = Name::new(&schedule.from).map_err(|e| e.to_string())?;
        let to = Name::new(&schedule.to).map_err(|e| e.to_string())?;
        let after = self
            .last_fired(&schedule.id)
            .into_iter()
            .chain(schedule.created_at().ok())
            .max()
            .unwrap_or(UNIX_EPOCH);
        let Some(occurrence) = schedule.latest(&repeat, now, after) else {
            return Ok(None);
        };
        let ms = clock::millis(occurrence);
        let schedules = self.dir(&[SCHEDULES], false).map_err(|e| e.to_string())?;
        let dir = schedules
            .sub(&format!("{}.fired", schedule.id), true)
            .map_err(|e| e.to_string())?;
        match dir.create_exclusive(&ms.to_string()) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(None),
            Err(e) => return Err(format!("cannot claim occurrence {ms}: {e}")),
        }
        // Only a process that has claimed a newer occurrence removes older markers. So if one
        // exists now, we computed ours before it was fired and its marker was pruned: a late
        // claim that must not fire.
        let markers = fired_markers(&dir);
        if markers.iter().any(|&m| m > ms) {
            return Ok(None);
        }
        // `schedule rm` between our read and our claim: stop here.
        if schedules.stat(&format!("{}.json", schedule.id)).is_err() {
            return Ok(None);
        }
        let mut msg = Message::new(from.as_str(), Draft::new(to.as_str(), &schedule.text));
        // The schedule file's own words, like its ttl: a hand-edited type goes out as written.
        msg.kind = schedule.kind.clone();
        msg.priority = schedule.priority.clone();
        msg.ttl = schedule.ttl.clone();
        msg.extra
            .insert("schedule".into(), Value::from(schedule.id.clone()));
        msg.extra
            .insert("occurrence".into(), Value::from(clock::format(occurrence)));
        let copy = (from != to).then_some(&from);
        self.post_wire(copy, &to, &msg, false)
            .map_err(|e| e.to_string())?;
        for old in markers.into_iter().filter(|&m| m < ms) {
            let _ = dir.remove(&old.to_string());
        }
        if crypto::is_encrypted(msg.text())
            && let Ok(key) = self.key()
            && let Ok(plain) = crypto::decrypt(&key, msg.text())
        {
            msg.content.text = plain;
        }
        Ok(Some(msg))
    }

    /// Moves `name`'s scheduled messages whose time has come into its inbox. Each moves by one
    /// rename, so when several processes release at once each message arrives once.
    pub fn release_due(&self, name: &Name, now: SystemTime) -> Released {
        let mut out = Released::default();
        let stuck = |reason: String| Problem::Stuck {
            file: format!("to-{name}/scheduled/"),
            reason,
        };
        let (dir, entries) = match self.folder(name, SCHEDULED, false) {
            Err(e) if is_not_found(&e) => return out,
            Err(e) => {
                out.problems.push(stuck(e.to_string()));
                return out;
            }
            Ok(dir) => match dir.entries() {
                Ok(entries) => (dir, entries),
                Err(e) => {
                    out.problems.push(stuck(format!("cannot list it: {e}")));
                    return out;
                }
            },
        };
        let mut inbox = None;
        let now_ms = clock::millis(now);
        for file in entries {
            if !is_message_file(&file) {
                continue;
            }
            let due = match file.strip_suffix(".json").and_then(ids::v7_millis) {
                Some(ms) => ms,
                // Not named by one of our ids: its timestamp says when; unreadable means now.
                None => dir
                    .read(&file, self.max_size)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Message>(&b).ok())
                    .and_then(|m| m.sent_at())
                    .map_or(0, clock::millis),
            };
            if due > now_ms {
                let due = UNIX_EPOCH + Duration::from_millis(due);
                out.next = Some(out.next.map_or(due, |n: SystemTime| n.min(due)));
                continue;
            }
            if inbox.is_none() {
                match self.folder(name, INBOX, true) {
                    Ok(d) => inbox = Some(d),
                    Err(e) => {
                        out.problems
                            .push(stuck(format!("cannot open the inbox: {e}")));
                        return out;
                    }
                }
            }
            let Some(to) = &inbox else { continue };
            match dir.rename(&file, to, &file, false) {
                Ok(()) => out.ids.push(file.trim_end_matches(".json").to_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {} // another mover won
                Err(e) => out.problems.push(Problem::Stuck {
                    file: format!("to-{name}/scheduled/{file}"),
                    reason: format!("cannot move it into the inbox: {e}"),
                }),
            }
        }
        if let Some(inbox) = inbox.filter(|_| !out.ids.is_empty()) {
            let _ = inbox.sync();
            let _ = dir.sync();
        }
        out
    }

    /// Delivers everything due on the bridge at `now`: scheduled messages in every mailbox and
    /// the latest due occurrence of every schedule. Safe to run from any number of processes
    /// at once; `cc2cc tick`, `watch`, `serve-mcp` (and a relay) call it.
    pub fn tick(&self, now: SystemTime) -> Ticked {
        let mut ticked = Ticked::default();
        let mut soonest = |t: Option<SystemTime>| {
            if let Some(t) = t {
                ticked.next = Some(ticked.next.map_or(t, |n| n.min(t)));
            }
        };
        let mut released = Vec::new();
        let mut problems = Vec::new();
        for name in self.mailboxes() {
            let r = self.release_due(&name, now);
            soonest(r.next);
            released.extend(r.ids);
            problems.extend(r.problems);
        }
        let (schedules, read_problems) = self.read_schedules();
        problems.extend(read_problems);
        let mut fired = Vec::new();
        for s in schedules {
            match self.fire(&s, now) {
                Ok(Some(m)) => fired.push((s.id.clone(), m)),
                Ok(None) => {}
                Err(reason) => problems.push(Problem::Stuck {
                    file: format!("schedules/{}.json", s.id),
                    reason,
                }),
            }
            soonest(s.repeat().ok().and_then(|r| s.next_after(&r, now)));
        }
        ticked.released = released;
        ticked.fired = fired;
        ticked.problems = problems;
        ticked
    }
}

/// Claimed occurrences of one schedule, as Unix milliseconds.
fn fired_markers(dir: &Dir) -> Vec<u64> {
    dir.entries()
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.parse().ok())
        .collect()
}

/// Runs [`Bridge::tick`] for a long-running process: every [`TICK_EVERY`], or sooner when the
/// last tick knew that something becomes due earlier.
#[derive(Debug)]
pub struct Ticker {
    next: Instant,
}

impl Default for Ticker {
    fn default() -> Self {
        Ticker {
            next: Instant::now(),
        }
    }
}

impl Ticker {
    /// How long until the next tick is due.
    pub fn wait(&self) -> Duration {
        self.next.saturating_duration_since(Instant::now())
    }

    /// Ticks if it is time; None otherwise.
    pub fn run_if_due(&mut self, bridge: &Bridge) -> Option<Ticked> {
        if Instant::now() < self.next {
            return None;
        }
        let now = clock::now();
        let ticked = bridge.tick(now);
        let until_next = ticked
            .next
            .and_then(|t| t.duration_since(now).ok())
            .map_or(TICK_EVERY, |d| d.min(TICK_EVERY));
        self.next = Instant::now() + until_next.max(Duration::from_millis(5));
        Some(ticked)
    }
}
