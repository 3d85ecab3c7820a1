//! Mailboxes: deliver (Maildir write), scan (tolerant reading, quarantine), claim (exactly-once
//! rename into `done/`), receipts, expiry, and look-up by id.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::error::{Error, Result};
use super::message::{Draft, Message};
use super::{Bridge, Name, clock, crypto, fsutil, ids};

/// A message as found on disk: the parsed message (text decrypted) and its file name, which is
/// what moves use: the id inside a file is another agent's word and is never joined to a path.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub message: Message,
    pub file: String,
}

/// Something a reader met and did not hand out. Readers report these; nothing is deleted.
#[derive(Debug)]
pub enum Problem {
    /// A file that is not a readable message, moved to `bad/`.
    Quarantined { file: String, reason: String },
    /// A file that could not even be moved aside.
    Stuck { file: String, reason: String },
    /// An encrypted message we cannot decrypt; it stays where it is.
    Undecryptable { file: String, error: Error },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Quarantined { file, reason } => {
                write!(f, "moved unreadable {file} to bad/: {reason}")
            }
            Problem::Stuck { file, reason } => write!(f, "cannot read {file}: {reason}"),
            Problem::Undecryptable { error, .. } => write!(f, "{error}"),
        }
    }
}

impl Problem {
    pub fn file(&self) -> &str {
        match self {
            Problem::Quarantined { file, .. }
            | Problem::Stuck { file, .. }
            | Problem::Undecryptable { file, .. } => file,
        }
    }
}

/// A message file found by a listing: its sort key, and the message when reading it was needed
/// to order it.
struct Listed {
    key: (u64, String),
    file: String,
    message: Option<Message>,
}

/// Which pending messages a reader wants.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub from: Option<String>,
    pub kind: Option<String>,
    pub limit: Option<usize>,
    /// Stop before the text handed out passes this many bytes (at least one message is always
    /// handed out), so one tool result stays readable.
    pub max_bytes: Option<usize>,
    /// Only the reply to this message id (`send --wait`).
    pub reply_to: Option<String>,
}

impl Filter {
    pub fn accepts(&self, m: &Message) -> bool {
        self.from.as_ref().is_none_or(|f| *f == m.from)
            && self.kind.as_ref().is_none_or(|k| *k == m.kind)
            && self
                .reply_to
                .as_ref()
                .is_none_or(|r| m.reply_to.as_deref() == Some(r.as_str()))
    }
}

/// The outcome of one pass over an inbox.
#[derive(Debug, Default)]
pub struct Taken {
    /// Handed out, oldest first (claimed unless peeking).
    pub messages: Vec<Message>,
    /// Expired unread: moved to `done/`, sender notified.
    pub expired: Vec<Message>,
    pub problems: Vec<Problem>,
}

/// A finished conversation keeps its files; temp files of writers that died are cleared later.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

impl Bridge {
    /// Creates `to-<name>/{inbox,done,receipts}`.
    pub fn ensure_mailbox(&self, name: &Name) -> Result<()> {
        for dir in [
            self.inbox_dir(name),
            self.done_dir(name),
            self.receipts_dir(name),
        ] {
            fsutil::create_dir_private(&dir)?;
        }
        Ok(())
    }

    /// Builds a message from `draft`, encrypting when asked, and delivers it. Returns the
    /// message with its text in plain form.
    pub fn send(&self, from: &Name, draft: Draft) -> Result<Message> {
        let to = Name::new(&draft.to)?;
        if draft.text.is_empty() {
            return Err(Error::EmptyText);
        }
        let mut msg = Message::new(from.as_str(), draft);
        let plain = msg.content.text.clone();
        if self.encrypt {
            msg.content.text = crypto::encrypt(self.key()?, &plain);
        }
        self.deliver(&to, &msg)?;
        msg.content.text = plain;
        Ok(msg)
    }

    /// Writes `msg` into `to`'s inbox: temp file (O_EXCL, 0600), fsync, rename, fsync directory.
    pub fn deliver(&self, to: &Name, msg: &Message) -> Result<()> {
        self.write_inbox(to, msg, true)
    }

    /// [`Bridge::deliver`]; without `sync_dir` the caller fsyncs the inbox, once for a batch.
    pub(super) fn write_inbox(&self, to: &Name, msg: &Message, sync_dir: bool) -> Result<()> {
        if !ids::is_safe_id(&msg.id) {
            return Err(Error::InvalidId(msg.id.clone()));
        }
        let json = msg.to_pretty_json();
        if json.len() as u64 > self.max_size {
            return Err(Error::TooLarge {
                size: json.len() as u64,
                limit: self.max_size,
            });
        }
        // One stat on the common path; the three mkdirs only for a new mailbox.
        if !self.inbox_dir(to).is_dir() {
            self.ensure_mailbox(to)?;
        }
        let (dir, file) = (self.inbox_dir(to), format!("{}.json", msg.id));
        if sync_dir {
            fsutil::write_atomic(&dir, &file, json.as_bytes(), true)?;
        } else {
            fsutil::write_renamed(&dir, &file, json.as_bytes(), true)?;
        }
        Ok(())
    }

    /// Pending messages, oldest first, without claiming or expiring anything.
    pub fn pending(&self, name: &Name) -> (Vec<Envelope>, Vec<Problem>) {
        self.pending_first(name, usize::MAX)
    }

    /// The oldest `limit` pending messages, as [`Bridge::pending`]; only those are read.
    pub fn pending_first(&self, name: &Name, limit: usize) -> (Vec<Envelope>, Vec<Problem>) {
        self.scan_first(name, &self.inbox_dir(name), true, &|_| false, limit)
    }

    /// Read history (`done/`), oldest first, decrypted.
    pub fn history(&self, name: &Name) -> (Vec<Envelope>, Vec<Problem>) {
        let (envelopes, mut problems) = self.scan(name, &self.done_dir(name), false, &|_| false);
        let mut read = Vec::with_capacity(envelopes.len());
        for env in envelopes {
            match self.decrypt(env) {
                Ok(env) => read.push(env),
                Err(p) => problems.push(p),
            }
        }
        (read, problems)
    }

    /// One pass over `name`'s inbox: expire what has expired, decrypt, filter, and hand out
    /// (claiming each message unless `peek`). `skip` names files the caller has already seen.
    pub fn take(
        &self,
        name: &Name,
        filter: &Filter,
        peek: bool,
        skip: &dyn Fn(&str) -> bool,
    ) -> Taken {
        self.take_each(name, filter, peek, skip, &mut |_| true)
    }

    /// As [`Bridge::take`], calling `each` on every message as soon as it is handed out, so a
    /// reader killed mid-pass has shown all it claimed but one. `each` returns false to stop.
    pub fn take_each(
        &self,
        name: &Name,
        filter: &Filter,
        peek: bool,
        skip: &dyn Fn(&str) -> bool,
        each: &mut dyn FnMut(&Message) -> bool,
    ) -> Taken {
        // Skipped files are not even read: a server rescanning 10,000 pushed messages stays
        // cheap. The others are read one by one, as far as the filter's limits go.
        let inbox = self.inbox_dir(name);
        let mut problems = Vec::new();
        let listed = self.list(name, &inbox, true, skip, &mut problems);
        let now = clock::now();
        let mut taken = Taken::default();
        let mut claimed_any = false;
        let mut bytes = 0;
        for listed in listed {
            if filter.limit.is_some_and(|n| taken.messages.len() >= n) {
                break;
            }
            let Some(env) = self.load(name, &inbox, listed, true, &mut problems) else {
                continue;
            };
            if env.message.is_expired(now) {
                if !peek && self.expire(name, &env, now) {
                    claimed_any = true;
                    taken.expired.push(env.message);
                }
                continue;
            }
            if !filter.accepts(&env.message) {
                continue;
            }
            let env = match self.decrypt(env) {
                Ok(env) => env,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let size = env.message.text().len();
            if !taken.messages.is_empty() && filter.max_bytes.is_some_and(|max| bytes + size > max)
            {
                break;
            }
            let handed = if peek {
                true
            } else {
                match self.claim(name, &env) {
                    Ok(true) => {
                        claimed_any = true;
                        true
                    }
                    Ok(false) => false, // another reader won the rename: it is theirs
                    Err(e) => {
                        problems.push(Problem::Stuck {
                            file: env.file,
                            reason: e.to_string(),
                        });
                        false
                    }
                }
            };
            if handed {
                bytes += size;
                let more = each(&env.message);
                taken.messages.push(env.message);
                if !more {
                    break;
                }
            }
        }
        if claimed_any {
            // One directory fsync per pass, not per message: the renames are durable together.
            let _ = fsutil::sync_dir(&self.done_dir(name));
            let _ = fsutil::sync_dir(&self.inbox_dir(name));
        }
        taken.problems = problems;
        taken
    }

    /// Moves a message from inbox to done and writes its receipt. Only the reader whose rename
    /// succeeds gets `true`, so two readers never hand out the same message.
    pub fn claim(&self, name: &Name, env: &Envelope) -> Result<bool> {
        if !self.move_to_done(name, &env.file)? {
            return Ok(false);
        }
        let receipt = serde_json::json!({
            "msg_id": env.message.id,
            "delivered_at": clock::now_string(),
            "delivered_to": name.as_str(),
        });
        let stem = env.file.trim_end_matches(".json");
        let path = self.receipts_dir(name).join(format!("{stem}.receipt.json"));
        let json = serde_json::to_string_pretty(&receipt).unwrap_or_default();
        // The message is already handed out; a missing receipt must not undo that.
        let _ = with_dir(&self.receipts_dir(name), || {
            fsutil::write_new(&path, json.as_bytes())
        });
        Ok(true)
    }

    fn move_to_done(&self, name: &Name, file: &str) -> Result<bool> {
        let from = self.inbox_dir(name).join(file);
        let to = self.done_dir(name).join(file);
        match with_dir(&self.done_dir(name), || fs::rename(&from, &to)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("move to done/", &from, e)),
        }
    }

    /// Retires an expired message unread and tells its sender, unless the message was itself a
    /// status notice (two agents must never bounce notices forever).
    fn expire(&self, name: &Name, env: &Envelope, now: SystemTime) -> bool {
        if !matches!(self.move_to_done(name, &env.file), Ok(true)) {
            return false;
        }
        let m = &env.message;
        if m.kind != "status"
            && let Ok(sender) = Name::new(&m.from)
        {
            {
                let ttl = m.ttl().map(|d| humantime::format_duration(d).to_string());
                let text = format!(
                    "Your message {} to {} expired unread (sent {}, ttl {}, now {}).",
                    m.id,
                    name,
                    m.timestamp,
                    ttl.unwrap_or_default(),
                    clock::format(now),
                );
                let mut notice = Draft::new(sender.as_str(), &text);
                notice.kind = "status".into();
                notice.reply_to = Some(m.id.clone());
                let _ = self.send(name, notice);
            }
        }
        true
    }

    fn decrypt(&self, mut env: Envelope) -> Result<Envelope, Problem> {
        if !crypto::is_encrypted(env.message.text()) {
            return Ok(env);
        }
        let id = env.message.id.clone();
        let plain = self
            .key()
            .map_err(|e| Error::Decrypt {
                id: id.clone(),
                reason: e.to_string(),
            })
            .and_then(|key| {
                crypto::decrypt(key, env.message.text())
                    .map_err(|reason| Error::Decrypt { id, reason })
            });
        match plain {
            Ok(text) => {
                env.message.content.text = text;
                Ok(env)
            }
            Err(error) => Err(Problem::Undecryptable {
                file: env.file,
                error,
            }),
        }
    }

    /// Finds a message `name` received, by id: one `stat` in `done/`, one in `inbox/`.
    pub fn find(&self, name: &Name, id: &str) -> Result<Message> {
        if !ids::is_safe_id(id) {
            return Err(Error::InvalidId(id.chars().take(80).collect()));
        }
        let file = format!("{id}.json");
        for dir in [self.done_dir(name), self.inbox_dir(name)] {
            let path = dir.join(&file);
            match fsutil::read_regular(&path, self.max_size) {
                Ok(bytes) => {
                    return serde_json::from_slice(&bytes)
                        .map_err(|source| Error::Json { path, source });
                }
                Err(fsutil::Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::io(
                        "read",
                        &path,
                        std::io::Error::other(e.to_string()),
                    ));
                }
            }
        }
        Err(Error::UnknownMessage {
            id: id.into(),
            agent: name.to_string(),
        })
    }

    /// Reads every message file in `dir` that `skip` does not name, oldest first. Bad files in
    /// an inbox are moved to `bad/`; in history they are only reported.
    fn scan(
        &self,
        name: &Name,
        dir: &Path,
        quarantine: bool,
        skip: &dyn Fn(&str) -> bool,
    ) -> (Vec<Envelope>, Vec<Problem>) {
        self.scan_first(name, dir, quarantine, skip, usize::MAX)
    }

    /// [`Bridge::scan`], reading no more than the oldest `limit` files.
    fn scan_first(
        &self,
        name: &Name,
        dir: &Path,
        quarantine: bool,
        skip: &dyn Fn(&str) -> bool,
        limit: usize,
    ) -> (Vec<Envelope>, Vec<Problem>) {
        let mut problems = Vec::new();
        let found = self
            .list(name, dir, quarantine, skip, &mut problems)
            .into_iter()
            .take(limit)
            .filter_map(|l| self.load(name, dir, l, quarantine, &mut problems))
            .collect();
        (found, problems)
    }

    /// The message files of `dir` in sending order. Files named by a UUIDv7 id carry their time
    /// in the name: they are ordered without being read, so a reader that wants the oldest 50
    /// of 10,000 reads 50. Others are read now, for their timestamp.
    fn list(
        &self,
        name: &Name,
        dir: &Path,
        quarantine: bool,
        skip: &dyn Fn(&str) -> bool,
        problems: &mut Vec<Problem>,
    ) -> Vec<Listed> {
        let Some(first) = list_messages(dir, skip, true) else {
            return Vec::new(); // no mailbox yet: nothing pending
        };
        // A directory listing is not a snapshot: one taken while a sender renames messages in
        // can show a message yet miss an older one of the same sender, renamed in just before
        // it. Every message renamed in before the first listing ended is in a second one, so
        // read the second and hand out nothing newer than the newest message of the first;
        // later arrivals wait for the next pass. Each sender's order is then kept.
        let second = list_messages(dir, skip, false).unwrap_or_default();
        let first: HashSet<String> = first.into_iter().collect();
        let mut horizon = None;
        let mut listed = Vec::with_capacity(second.len());
        for file in second {
            let v7 = file
                .strip_suffix(".json")
                .and_then(|stem| Some((ids::v7_millis(stem)?, stem.to_owned())));
            let (key, message) = match v7 {
                Some(key) => (key, None),
                None => match self.read(name, dir, &file, quarantine, problems) {
                    Some(m) => {
                        let (ms, id) = m.sort_key();
                        ((ms, id.to_owned()), Some(m))
                    }
                    None => continue,
                },
            };
            if first.contains(&file) && horizon.as_ref().is_none_or(|h| key > *h) {
                horizon = Some(key.clone());
            }
            listed.push(Listed { key, file, message });
        }
        listed.retain(|l| horizon.as_ref().is_some_and(|h| l.key <= *h));
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        listed
    }

    /// The listed message, read now if the listing did not read it.
    fn load(
        &self,
        name: &Name,
        dir: &Path,
        listed: Listed,
        quarantine: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<Envelope> {
        let message = match listed.message {
            Some(m) => m,
            None => self.read(name, dir, &listed.file, quarantine, problems)?,
        };
        Some(Envelope {
            message,
            file: listed.file,
        })
    }

    /// Reads and parses one message file; a bad one is moved aside (or reported) and None.
    fn read(
        &self,
        name: &Name,
        dir: &Path,
        file: &str,
        quarantine: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<Message> {
        let parsed = match fsutil::read_regular(&dir.join(file), self.max_size) {
            // Claimed by another reader between the listing and the read: theirs, not bad.
            Err(fsutil::Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return None;
            }
            read => read.map_err(|e| e.to_string()),
        }
        .and_then(|bytes| {
            serde_json::from_slice::<Message>(&bytes)
                .map_err(|e| format!("not a cc2cc message ({e})"))
        });
        match parsed {
            Ok(message) => Some(message),
            Err(reason) => {
                problems.push(if quarantine {
                    self.quarantine(name, file, reason)
                } else {
                    Problem::Stuck {
                        file: file.to_owned(),
                        reason,
                    }
                });
                None
            }
        }
    }

    fn quarantine(&self, name: &Name, file: &str, reason: String) -> Problem {
        let bad = self.bad_dir(name);
        let moved = fsutil::create_dir_private(&bad)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                let mut dest = bad.join(file);
                if fs::symlink_metadata(&dest).is_ok() {
                    dest = bad.join(format!("{file}.{}", uuid::Uuid::new_v4()));
                }
                fs::rename(self.inbox_dir(name).join(file), dest).map_err(|e| e.to_string())
            });
        let file = format!("to-{name}/inbox/{file}");
        match moved {
            Ok(()) => Problem::Quarantined { file, reason },
            Err(e) => Problem::Stuck {
                file,
                reason: format!("{reason}; moving it to bad/ failed: {e}"),
            },
        }
    }

    /// How many messages wait in `name`'s inbox: a directory listing, nothing parsed.
    pub fn pending_count(&self, name: &Name) -> usize {
        fs::read_dir(self.inbox_dir(name))
            .map(|d| {
                d.flatten()
                    .filter(|e| is_message_file(&e.file_name().to_string_lossy()))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Names of all known mailboxes (`to-<name>` directories with valid names).
    pub fn mailboxes(&self) -> Vec<Name> {
        let mut names: Vec<Name> = fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let n = e.file_name();
                Name::new(n.to_str()?.strip_prefix("to-")?).ok()
            })
            .collect();
        names.sort();
        names
    }

    /// Recipients of a broadcast from `from`: every online agent, or every known one.
    pub fn broadcast_targets(&self, from: &Name, include_offline: bool) -> Vec<Name> {
        self.agents()
            .into_iter()
            .filter(|a| a.name != *from && (include_offline || a.online))
            .map(|a| a.name)
            .collect()
    }
}

/// Names of the message files in `dir` that `skip` does not exclude; None when `dir` cannot be
/// listed. With `clean`, stale temp files of writers that died are removed on the way.
fn list_messages(dir: &Path, skip: &dyn Fn(&str) -> bool, clean: bool) -> Option<Vec<String>> {
    let entries = fs::read_dir(dir).ok()?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let os_name = entry.file_name();
        let Some(file) = os_name.to_str() else {
            continue;
        };
        if clean && file.starts_with(".tmp-") {
            remove_if_stale(&entry.path());
        }
        if is_message_file(file) && !skip(file) {
            files.push(file.to_owned());
        }
    }
    Some(files)
}

fn remove_if_stale(path: &Path) {
    let stale = fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| clock::age(t, SystemTime::now()) > STALE_TEMP);
    if stale {
        let _ = fs::remove_file(path);
    }
}

/// Runs `op`, and once more after creating `dir` when `op` failed because `dir` is missing: a
/// `mkdir` per message would cost more than the claim itself.
fn with_dir<T>(dir: &Path, op: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
    match op() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !dir.is_dir() => {
            fsutil::create_dir_private(dir).map_err(|e| std::io::Error::other(e.to_string()))?;
            op()
        }
        other => other,
    }
}

/// Readers ignore dot files (temp files in flight) and anything not named `*.json`.
pub(crate) fn is_message_file(file: &str) -> bool {
    !file.starts_with('.') && file.ends_with(".json")
}
