//! An agent's own history: what it sent (`to-<me>/sent/`) and what it read (`to-<me>/done/`),
//! in time order, and pruning old history. v7 ids carry their time in the file name, so the
//! newest N are found by listing two folders and reading N files, not all of them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::fsutil::{Dir, is_not_found};
use super::mailbox::{ANSWERS, DONE, RECEIPTS, SCHEDULED, SENT, is_message_file, remove_if_stale};
use super::{Bridge, Envelope, Kind, Message, Name, Problem, clock, ids};

/// Which messages `history` wants. Every filter is optional.
#[derive(Debug, Default, Clone)]
pub struct HistoryQuery {
    /// Only messages to or from this agent.
    pub with: Option<String>,
    /// Only messages whose text contains this, ignoring case.
    pub grep: Option<String>,
    /// Only messages from this time on.
    pub since: Option<SystemTime>,
    pub kind: Option<Kind>,
    /// The newest N (printed oldest first).
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub direction: Direction,
    /// Text decrypted.
    pub message: Message,
}

/// What `prune` removed (or would remove) from one mailbox.
#[derive(Debug, Default, Clone)]
pub struct Pruned {
    pub done: usize,
    pub sent: usize,
    pub receipts: usize,
    pub answers: usize,
}

impl Pruned {
    pub fn total(&self) -> usize {
        self.done + self.sent + self.receipts + self.answers
    }
}

/// One history file found by a listing: its sort key, name, folder, and the message when
/// ordering it needed a read.
type Listed = ((u64, u128), String, Direction, Option<Box<Message>>);

impl HistoryQuery {
    fn accepts(&self, e: &Entry) -> bool {
        let m = &e.message;
        let peer = match e.direction {
            Direction::Sent => &m.to,
            Direction::Received => &m.from,
        };
        self.with.as_ref().is_none_or(|w| w == peer)
            && self.kind.is_none_or(|k| k.as_str() == m.kind)
            && self
                .grep
                .as_ref()
                .is_none_or(|g| m.text().to_lowercase().contains(&g.to_lowercase()))
    }
}

impl Bridge {
    /// `me`'s sent and read messages matching `query`, oldest first (the newest `limit`).
    pub fn query_history(&self, me: &Name, query: &HistoryQuery) -> (Vec<Entry>, Vec<Problem>) {
        let mut problems = Vec::new();
        // Kept small (the rare message read for its timestamp is boxed): sorting 100,000 of
        // these moves every one of them many times.
        let mut files: Vec<Listed> = Vec::new();
        let sent = self.history_dir(me, SENT, &mut problems);
        let done = self.history_dir(me, DONE, &mut problems);
        for (direction, dir) in [(Direction::Sent, &sent), (Direction::Received, &done)] {
            let Some(dir) = dir else { continue };
            for file in message_files(dir, &mut problems) {
                let (key, message) = match file.strip_suffix(".json").and_then(v7_key) {
                    Some(key) => (key, None),
                    // An id of the original: its timestamp orders it, so read it now.
                    None => match self.read(me, dir, &file, false, &mut problems) {
                        Some(m) => ((m.sort_key().0, 0), Some(Box::new(m))),
                        None => continue,
                    },
                };
                files.push((key, file, direction, message));
            }
        }
        files.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let since = query.since.map(clock::millis);
        let mut found = Vec::new();
        for ((ms, _), file, direction, message) in files.into_iter().rev() {
            if query.limit.is_some_and(|n| found.len() >= n) || since.is_some_and(|s| ms < s) {
                break;
            }
            let dir = match direction {
                Direction::Sent => &sent,
                Direction::Received => &done,
            };
            let Some(dir) = dir else { continue };
            let message = match message {
                Some(m) => *m,
                None => match self.read(me, dir, &file, false, &mut problems) {
                    Some(m) => m,
                    None => continue,
                },
            };
            let entry = match self.decrypt(Envelope { message, file }) {
                Ok(env) => Entry {
                    direction,
                    message: env.message,
                },
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            if query.accepts(&entry) {
                found.push(entry);
            }
        }
        found.reverse();
        (found, problems)
    }

    /// Removes history older than `older_than` from every mailbox: read messages (`done/`),
    /// sent copies, receipts and answer markers, and temp files a day old in `sent/` and
    /// `scheduled/`. Pending mail (`inbox/`, `scheduled/`) is never touched. With `dry_run`,
    /// only counts.
    pub fn prune(
        &self,
        older_than: Duration,
        now: SystemTime,
        dry_run: bool,
    ) -> (Vec<(Name, Pruned)>, Vec<Problem>) {
        let cutoff = clock::millis(now.checked_sub(older_than).unwrap_or(UNIX_EPOCH));
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for name in self.mailboxes() {
            let mut pruned = Pruned::default();
            for (sub, count) in [
                (DONE, &mut pruned.done),
                (SENT, &mut pruned.sent),
                (RECEIPTS, &mut pruned.receipts),
                (ANSWERS, &mut pruned.answers),
            ] {
                let Some(dir) = self.history_dir(&name, sub, &mut problems) else {
                    continue;
                };
                for file in message_files(&dir, &mut problems) {
                    if age_key(&dir, &file).is_none_or(|ms| ms >= cutoff) {
                        continue;
                    }
                    if dry_run {
                        *count += 1;
                        continue;
                    }
                    match dir.remove(&file) {
                        Ok(()) => *count += 1,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => problems.push(Problem::Stuck {
                            file: format!("{}/{file}", dir.path().display()),
                            reason: format!("cannot remove it: {e}"),
                        }),
                    }
                }
            }
            // Temp files of writers that died mid-write, where no inbox reader clears them.
            if !dry_run {
                for sub in [SENT, SCHEDULED] {
                    let Some(dir) = self.history_dir(&name, sub, &mut problems) else {
                        continue;
                    };
                    for file in dir.entries().unwrap_or_default() {
                        if file.starts_with(".tmp-") {
                            remove_if_stale(&dir, &file);
                        }
                    }
                }
            }
            if pruned.total() > 0 {
                out.push((name, pruned));
            }
        }
        (out, problems)
    }
}

/// The sort key of a `msg-<uuidv7>` file stem: its millisecond, then the whole UUID (which
/// orders messages within a millisecond as their sender wrote them).
fn v7_key(stem: &str) -> Option<(u64, u128)> {
    let uuid = uuid::Uuid::parse_str(stem.strip_prefix("msg-")?).ok()?;
    (uuid.get_version_num() == 7).then(|| {
        let u = uuid.as_u128();
        ((u >> 80) as u64, u)
    })
}

impl Bridge {
    /// Folder `sub` of `name`'s mailbox; None when it does not exist yet, and a problem when
    /// it cannot be opened (a symlinked folder is refused, never followed).
    fn history_dir(&self, name: &Name, sub: &str, problems: &mut Vec<Problem>) -> Option<Dir> {
        match self.folder(name, sub, false) {
            Ok(dir) => Some(dir),
            Err(e) if is_not_found(&e) => None,
            Err(e) => {
                problems.push(Problem::Stuck {
                    file: format!("to-{name}/{sub}/"),
                    reason: e.to_string(),
                });
                None
            }
        }
    }
}

/// Names of the message files (and receipts, `*.receipt.json`) in `dir`.
fn message_files(dir: &Dir, problems: &mut Vec<Problem>) -> Vec<String> {
    match dir.entries() {
        Ok(files) => files.into_iter().filter(|f| is_message_file(f)).collect(),
        Err(e) => {
            problems.push(Problem::Stuck {
                file: format!("{}/", dir.path().display()),
                reason: format!("cannot list it: {e}"),
            });
            Vec::new()
        }
    }
}

/// When a history file was made, in Unix ms: the time in its v7 id, else the time its JSON
/// records (`timestamp`, `delivered_at`, `answered_at`), else its modification time.
fn age_key(dir: &Dir, file: &str) -> Option<u64> {
    let stem = file
        .strip_suffix(".receipt.json")
        .or_else(|| file.strip_suffix(".json"))?;
    if let Some(ms) = ids::v7_millis(stem) {
        return Some(ms);
    }
    let recorded = dir
        .read(file, 4 * 1024 * 1024)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            ["timestamp", "delivered_at", "answered_at"]
                .iter()
                .find_map(|k| v[*k].as_str().and_then(clock::parse))
        });
    recorded.map(clock::millis).or_else(|| {
        let st = dir.stat(file).ok()?;
        Some(u64::try_from(st.st_mtime).ok()? * 1000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v7_keys_carry_the_millisecond_and_order_within_it() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_763_940_000_123_456_789);
        let a = format!("msg-{}", ids::uuid_v7(t));
        let b = format!("msg-{}", ids::uuid_v7(t + Duration::from_micros(300)));
        let (ka, kb) = (v7_key(&a).unwrap(), v7_key(&b).unwrap());
        assert_eq!(ka.0, ids::v7_millis(&a).unwrap());
        assert!(ka < kb);
        assert_eq!(
            v7_key("msg-505f72af-f9ca-493b-8908-dceff7401ec6"),
            None,
            "v4"
        );
        assert_eq!(v7_key("note"), None);
    }
}
