//! Mailboxes: deliver (Maildir write), scan (tolerant reading, quarantine), claim (exactly-once
//! rename into `done/`), receipts, expiry, and look-up by id.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use super::error::{Error, Result};
use super::fsutil::{Dir, Unreadable, is_not_found};
use super::message::{Draft, Message};
use super::{Bridge, Name, clock, crypto, ids, notices};

pub const INBOX: &str = "inbox";
pub const DONE: &str = "done";
pub const RECEIPTS: &str = "receipts";
pub const BAD: &str = "bad";
pub const SENT: &str = "sent";
pub const SCHEDULED: &str = "scheduled";
pub const ANSWERS: &str = "answers";
pub const RELAYED: &str = "relayed";

/// Files over a reader's size limit but under this are read to tell a valid message (which
/// stays in the inbox, with an error naming the limit) from junk (moved to `bad/`).
const OVERSIZE_PROBE: u64 = 64 * 1024 * 1024;

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
    /// A valid message over this reader's size limit (a sender with a larger limit wrote it);
    /// it stays in the inbox.
    Oversized { file: String, size: u64, limit: u64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Quarantined { file, reason } => {
                write!(f, "moved unreadable {file} to bad/: {reason}")
            }
            Problem::Stuck { file, reason } => write!(f, "cannot read {file}: {reason}"),
            Problem::Undecryptable { error, .. } => write!(f, "{error}"),
            Problem::Oversized { file, size, limit } => write!(
                f,
                "message {file} is {size} bytes, over this reader's {limit}-byte limit; it stays in the inbox"
            ),
        }
    }
}

impl Problem {
    pub fn file(&self) -> &str {
        match self {
            Problem::Quarantined { file, .. }
            | Problem::Stuck { file, .. }
            | Problem::Undecryptable { file, .. }
            | Problem::Oversized { file, .. } => file,
        }
    }

    /// True when the problem needs the user: a message waits that this reader cannot show, or
    /// a file could not be moved (a read-only bridge). A quarantined file is only a warning.
    pub fn is_serious(&self) -> bool {
        !matches!(self, Problem::Quarantined { .. })
    }
}

/// What a reader's callback says after seeing a handed-out message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next message.
    Next,
    /// Stop here; the message stays handed out.
    Stop,
    /// The message could not be passed on (a closed pipe): put it back in the inbox, unread,
    /// and stop.
    PutBack,
    /// Not for this reader after all (too long for its path): put it back, unread, and go on.
    Leave,
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
    /// Retire expired messages even in a peeking pass (a reader that claims later).
    pub retire_expired: bool,
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
    /// The file name of each handed-out message, in the same order (for a later claim).
    pub files: Vec<String>,
    /// The inbox could not be read at all: no mail is not the truth, this error is.
    pub failed: Option<Error>,
    /// Expired unread: moved to `done/`, sender notified.
    pub expired: Vec<Message>,
    pub problems: Vec<Problem>,
}

/// A finished conversation keeps its files; temp files of writers that died are cleared later.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

impl Bridge {
    /// Creates `to-<name>/{inbox,done,receipts}`.
    pub fn ensure_mailbox(&self, name: &Name) -> Result<()> {
        let mailbox = self.mailbox(name, "", true)?;
        for sub in [INBOX, DONE, RECEIPTS] {
            mailbox.sub(sub, true)?;
        }
        Ok(())
    }

    /// Builds a message from `draft`, encrypting when asked, and delivers it, keeping the
    /// sender's copy in `to-<from>/sent/`. Returns the message with its text in plain form.
    pub fn send(&self, from: &Name, draft: Draft) -> Result<Message> {
        self.post(from, draft, None, true)
    }

    /// As [`Bridge::send`], but the message waits in the recipient's `scheduled/` until `due`.
    /// Its id and timestamp carry `due`, so it sorts, and its ttl counts, from delivery.
    pub fn send_at(&self, from: &Name, draft: Draft, due: SystemTime) -> Result<Message> {
        self.post(from, draft, Some(due), true)
    }

    /// A notice the bridge writes on an agent's behalf (expiry, rename): no sender's copy, as
    /// it is not something the agent said.
    pub(crate) fn send_notice(&self, from: &Name, draft: Draft) -> Result<Message> {
        self.post(from, draft, None, false)
    }

    fn post(
        &self,
        from: &Name,
        draft: Draft,
        due: Option<SystemTime>,
        keep_copy: bool,
    ) -> Result<Message> {
        let to = Name::new(&draft.to)?;
        if draft.text.is_empty() {
            return Err(Error::EmptyText);
        }
        let mut msg = Message::new(from.as_str(), draft);
        if let Some(due) = due {
            msg.id = format!("msg-{}", ids::uuid_v7(due));
            msg.timestamp = clock::format(due);
        }
        let plain = msg.content.text.clone();
        if self.encrypt {
            msg.content.text = crypto::encrypt(&self.key()?, &plain);
        } else if crypto::is_encrypted(&plain) {
            // Readers would take it for ciphertext and never show it.
            return Err(Error::LooksEncrypted);
        }
        // A message to oneself (the wake fallback) is already in one's own mailbox.
        let copy = keep_copy && from != &to;
        self.post_wire(copy.then_some(from), &to, &msg, due.is_some())?;
        msg.content.text = plain;
        Ok(msg)
    }

    /// Writes a message in its wire form into `to`'s inbox or `scheduled/`, and the sender's
    /// copy (when `copy_for` is given) beside it. The two durable writes run at once, so their
    /// fsyncs overlap. Either both stand or neither: a failed delivery takes the copy back, and
    /// a failed copy takes the delivery back (unless a reader claimed it in that instant: then
    /// it was sent, and only the copy is missing).
    pub(crate) fn post_wire(
        &self,
        copy_for: Option<&Name>,
        to: &Name,
        msg: &Message,
        scheduled: bool,
    ) -> Result<()> {
        let json = self.wire_json(msg)?;
        let file = format!("{}.json", msg.id);
        let deliver = || {
            if scheduled {
                self.ensure_mailbox(to)?;
                let dir = self.mailbox(to, SCHEDULED, true)?;
                dir.write_atomic(&file, json.as_bytes(), true).map(|()| dir)
            } else {
                self.deliver_json(to, &file, &json, true)
            }
        };
        let Some(me) = copy_for else {
            return deliver().map(drop);
        };
        let copy = || {
            let dir = self.mailbox(me, SENT, true)?;
            dir.write_atomic(&file, json.as_bytes(), true).map(|()| dir)
        };
        let (copied, delivered) = std::thread::scope(|s| {
            let copier = s.spawn(copy);
            let delivered = deliver();
            let copied = copier.join().unwrap_or_else(|_| {
                let why = std::io::Error::other("the writing thread panicked");
                Err(Error::io("write", &self.sent_dir(me), why))
            });
            (copied, delivered)
        });
        match (copied, delivered) {
            (Ok(_), Ok(_)) => Ok(()),
            (copied, Err(e)) => {
                if let Ok(dir) = copied {
                    let _ = dir.remove(&file);
                }
                Err(e)
            }
            (Err(e), Ok(dir)) => match dir.remove(&file) {
                Err(gone) if gone.kind() == std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            },
        }
    }

    /// Writes `msg` into `to`'s inbox: temp file (O_EXCL, 0600), fsync, rename, fsync directory.
    pub fn deliver(&self, to: &Name, msg: &Message) -> Result<()> {
        let json = self.wire_json(msg)?;
        self.deliver_json(to, &format!("{}.json", msg.id), &json, true)
            .map(drop)
    }

    /// [`Bridge::deliver`]; without `sync_dir` the caller fsyncs the returned inbox, once for a
    /// batch.
    pub(super) fn write_inbox(&self, to: &Name, msg: &Message, sync_dir: bool) -> Result<Dir> {
        let json = self.wire_json(msg)?;
        self.deliver_json(to, &format!("{}.json", msg.id), &json, sync_dir)
    }

    fn wire_json(&self, msg: &Message) -> Result<String> {
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
        Ok(json)
    }

    /// The write into `to`'s inbox, the file fsynced before its rename and the inbox after it
    /// unless the caller does that for a batch (`sync_dir`); returns the inbox.
    fn deliver_json(&self, to: &Name, file: &str, json: &str, sync_dir: bool) -> Result<Dir> {
        // Three opens on the common path; the mkdirs only for a new mailbox.
        let inbox = match self.mailbox(to, INBOX, false) {
            Err(e) if is_not_found(&e) => {
                self.ensure_mailbox(to)?;
                self.mailbox(to, INBOX, false)?
            }
            other => other?,
        };
        inbox.write_renamed(file, json.as_bytes(), true)?;
        if sync_dir {
            inbox
                .sync()
                .map_err(|e| Error::io("write", &inbox.path().join(file), e))?;
        }
        Ok(inbox)
    }

    /// Pending messages, oldest first, without claiming or expiring anything.
    pub fn pending(&self, name: &Name) -> (Vec<Envelope>, Vec<Problem>) {
        self.pending_first(name, usize::MAX)
    }

    /// The oldest `limit` pending messages, as [`Bridge::pending`]; only those are read.
    pub fn pending_first(&self, name: &Name, limit: usize) -> (Vec<Envelope>, Vec<Problem>) {
        self.scan_first(name, INBOX, true, &|_| false, limit)
    }

    /// Read history (`done/`), oldest first, decrypted.
    pub fn history(&self, name: &Name) -> (Vec<Envelope>, Vec<Problem>) {
        let (envelopes, mut problems) = self.scan(name, DONE, false, &|_| false);
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
        self.take_each(name, filter, peek, skip, &mut |_| Flow::Next)
    }

    /// As [`Bridge::take`], calling `each` on every message as soon as it is handed out, so a
    /// reader killed mid-pass has shown all it claimed but one. `each` says whether to go on,
    /// stop, or put the message back because it could not be passed on.
    pub fn take_each(
        &self,
        name: &Name,
        filter: &Filter,
        peek: bool,
        skip: &dyn Fn(&str) -> bool,
        each: &mut dyn FnMut(&Envelope) -> Flow,
    ) -> Taken {
        let mut taken = Taken::default();
        let mut boxes = match Boxes::open(self, name) {
            Ok(Some(b)) => b,
            Ok(None) => return taken, // no mailbox yet: nothing pending
            Err(e) => {
                taken.failed = Some(e);
                return taken;
            }
        };
        // Skipped files are not even read: a server rescanning 10,000 pushed messages stays
        // cheap. The others are read one by one, as far as the filter's limits go.
        let now = clock::now();
        // Every reader also delivers what is due, so a scheduled message arrives even when no
        // timer runs.
        let mut problems = self.release_due(name, now).problems;
        let listed = match self.list(name, &boxes.inbox, true, skip, &mut problems) {
            Ok(l) => l,
            Err(e) => {
                taken.failed = Some(e);
                return taken;
            }
        };
        let mut claimed_any = false;
        let mut bytes = 0;
        for listed in listed {
            if filter.limit.is_some_and(|n| taken.messages.len() >= n) {
                break;
            }
            let Some(env) = self.load(name, &boxes.inbox, listed, true, &mut problems) else {
                continue;
            };
            if env.message.is_expired(now) {
                if (!peek || filter.retire_expired) && self.expire(name, &mut boxes, &env, now) {
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
                match self.claim_in(&mut boxes, &env.file, &env.message.id) {
                    Ok(true) => {
                        claimed_any = true;
                        true
                    }
                    Ok(false) => false, // another reader won the rename: it is theirs
                    Err(e) => {
                        // done/ is unusable (read-only, a link): every other claim would fail
                        // the same way, so the rest waits and is reported once.
                        problems.push(Problem::Stuck {
                            file: env.file.clone(),
                            reason: e.to_string(),
                        });
                        break;
                    }
                }
            };
            if handed {
                bytes += size;
                match each(&env) {
                    Flow::Next => {}
                    Flow::Stop => {
                        taken.files.push(env.file);
                        taken.messages.push(env.message);
                        break;
                    }
                    Flow::PutBack => {
                        if !peek && let Err(e) = boxes.unclaim(&env.file) {
                            problems.push(Problem::Stuck {
                                file: format!("to-{name}/done/{}", env.file),
                                reason: format!("could not be passed on nor put back: {e}"),
                            });
                        }
                        break;
                    }
                    Flow::Leave => {
                        if !peek && let Err(e) = boxes.unclaim(&env.file) {
                            problems.push(Problem::Stuck {
                                file: format!("to-{name}/done/{}", env.file),
                                reason: format!("could not be put back: {e}"),
                            });
                        }
                        continue;
                    }
                }
                taken.files.push(env.file);
                taken.messages.push(env.message);
            }
        }
        if claimed_any {
            boxes.sync();
        }
        if let Some(reason) = boxes.receipts_failed.take() {
            problems.push(Problem::Stuck {
                file: format!("to-{name}/receipts"),
                reason: format!("no receipts written: {reason}"),
            });
        }
        taken.problems = problems;
        taken
    }

    /// Claims the message file `file` that a peeking pass handed out (after the caller passed
    /// it on): moved to `done/` with a receipt. False when it is no longer in the inbox.
    pub fn claim_file(&self, name: &Name, file: &str, message: &Message) -> Result<bool> {
        let claimed = self.claim_files(name, &[(file, message.id.as_str())]);
        claimed.into_iter().next().unwrap_or(Ok(false))
    }

    /// As [`Bridge::claim_file`] for several `(file, id)` pairs, with one directory sync.
    pub fn claim_files(&self, name: &Name, files: &[(&str, &str)]) -> Vec<Result<bool>> {
        let mut boxes = match Boxes::open(self, name) {
            Ok(Some(b)) => b,
            Ok(None) => return files.iter().map(|_| Ok(false)).collect(),
            Err(e) => {
                let e = std::sync::Arc::new(e);
                return files
                    .iter()
                    .map(|_| Err(Error::Shared(e.clone())))
                    .collect();
            }
        };
        let claimed: Vec<Result<bool>> = files
            .iter()
            .map(|(file, id)| self.claim_in(&mut boxes, file, id))
            .collect();
        if claimed.iter().any(|c| matches!(c, Ok(true))) {
            boxes.sync();
        }
        claimed
    }

    /// `cc2cc ack ID`: claims exactly the pending message with this id, with a receipt (the
    /// second half of a two-phase read). `Ok(false)` when it was already read.
    pub fn ack(&self, name: &Name, id: &str) -> Result<bool> {
        let file = file_of(id)?;
        let unknown = || unknown_message(name, id);
        let Some(mut boxes) = Boxes::open(self, name)? else {
            return Err(unknown());
        };
        if self.claim_in(&mut boxes, &file, id)? {
            boxes.sync();
            return Ok(true);
        }
        if boxes.done()?.stat(&file).is_ok() {
            Ok(false)
        } else {
            Err(unknown())
        }
    }

    /// Moves a message from inbox to done and writes its receipt. Only the reader whose rename
    /// succeeds gets `true`, so two readers never hand out the same message.
    pub fn claim(&self, name: &Name, env: &Envelope) -> Result<bool> {
        match Boxes::open(self, name)? {
            Some(mut boxes) => self.claim_in(&mut boxes, &env.file, &env.message.id),
            None => Ok(false),
        }
    }

    fn claim_in(&self, boxes: &mut Boxes, file: &str, id: &str) -> Result<bool> {
        if !boxes.move_to_done(file)? {
            return Ok(false);
        }
        let receipt = serde_json::json!({
            "msg_id": id,
            "delivered_at": clock::now_string(),
            "delivered_to": boxes.name.as_str(),
        });
        let json = serde_json::to_string_pretty(&receipt).unwrap_or_default();
        // The message is already handed out; a missing receipt must not undo that. A receipts
        // folder that cannot be used at all (a link) is reported once per pass.
        match boxes.receipts() {
            Ok(receipts) => {
                let _ = receipts.write_in_place(&receipt_name(file), json.as_bytes());
            }
            Err(e) => {
                boxes.receipts_failed.get_or_insert(e.to_string());
            }
        }
        Ok(true)
    }

    /// Retires an expired message unread and tells its sender, unless the message was itself a
    /// status notice (two agents must never bounce notices forever).
    fn expire(&self, name: &Name, boxes: &mut Boxes, env: &Envelope, now: SystemTime) -> bool {
        if !matches!(boxes.move_to_done(&env.file), Ok(true)) {
            return false;
        }
        if let Some(notice) = notices::expired(name, &env.message, now) {
            let _ = self.send_notice(name, notice);
        }
        true
    }

    pub(super) fn decrypt(&self, mut env: Envelope) -> Result<Envelope, Problem> {
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
                crypto::decrypt(&key, env.message.text())
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

    /// The pending message `id` of `name`, decrypted: one read, no scan.
    pub fn pending_message(&self, name: &Name, id: &str) -> Result<Envelope> {
        let file = file_of(id)?;
        let unknown = || unknown_message(name, id);
        let inbox = match self.mailbox(name, INBOX, false) {
            Err(e) if is_not_found(&e) => return Err(unknown()),
            other => other?,
        };
        let path = inbox.path().join(&file);
        let bytes = match inbox.read(&file, self.max_size) {
            Ok(b) => b,
            Err(Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(unknown());
            }
            Err(e) => return Err(Error::io("read", &path, e.into())),
        };
        let message =
            super::message::parse(&bytes).map_err(|source| Error::Json { path, source })?;
        self.decrypt(Envelope { message, file })
            .map_err(|p| match p {
                Problem::Undecryptable { error, .. } => error,
                other => Error::Decrypt {
                    id: id.into(),
                    reason: other.to_string(),
                },
            })
    }

    /// Finds a message `name` received, by id: one `stat` in `done/`, one in `inbox/`.
    pub fn find(&self, name: &Name, id: &str) -> Result<Message> {
        let file = file_of(id)?;
        for sub in [DONE, INBOX] {
            let dir = match self.mailbox(name, sub, false) {
                Err(e) if is_not_found(&e) => continue,
                other => other?,
            };
            let path = dir.path().join(&file);
            match dir.read(&file, self.max_size) {
                Ok(bytes) => {
                    return super::message::parse(&bytes)
                        .map_err(|source| Error::Json { path, source });
                }
                Err(Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("read", &path, e.into())),
            }
        }
        Err(unknown_message(name, id))
    }

    /// Reads every message file in `dir` that `skip` does not name, oldest first. Bad files in
    /// an inbox are moved to `bad/`; in history they are only reported.
    fn scan(
        &self,
        name: &Name,
        sub: &str,
        quarantine: bool,
        skip: &dyn Fn(&str) -> bool,
    ) -> (Vec<Envelope>, Vec<Problem>) {
        self.scan_first(name, sub, quarantine, skip, usize::MAX)
    }

    /// [`Bridge::scan`], reading no more than the oldest `limit` files.
    fn scan_first(
        &self,
        name: &Name,
        sub: &str,
        quarantine: bool,
        skip: &dyn Fn(&str) -> bool,
        limit: usize,
    ) -> (Vec<Envelope>, Vec<Problem>) {
        let mut problems = Vec::new();
        let dir = match self.mailbox(name, sub, false) {
            Ok(d) => d,
            Err(e) if is_not_found(&e) => return (Vec::new(), problems),
            Err(e) => {
                problems.push(Problem::Stuck {
                    file: format!("to-{name}/{sub}"),
                    reason: e.to_string(),
                });
                return (Vec::new(), problems);
            }
        };
        let listed = match self.list(name, &dir, quarantine, skip, &mut problems) {
            Ok(l) => l,
            Err(e) => {
                problems.push(Problem::Stuck {
                    file: format!("to-{name}/{sub}"),
                    reason: e.to_string(),
                });
                return (Vec::new(), problems);
            }
        };
        let found = listed
            .into_iter()
            .take(limit)
            .filter_map(|l| self.load(name, &dir, l, quarantine, &mut problems))
            .collect();
        (found, problems)
    }

    /// The message files of `dir` in sending order. Files named by a UUIDv7 id carry their time
    /// in the name: they are ordered without being read, so a reader that wants the oldest 50
    /// of 10,000 reads 50. Others are read now, for their timestamp.
    fn list(
        &self,
        name: &Name,
        dir: &Dir,
        quarantine: bool,
        skip: &dyn Fn(&str) -> bool,
        problems: &mut Vec<Problem>,
    ) -> Result<Vec<Listed>> {
        let first = list_messages(dir, skip, true).map_err(|e| Error::io("list", dir.path(), e))?;
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
        Ok(listed)
    }

    /// The listed message, read now if the listing did not read it.
    fn load(
        &self,
        name: &Name,
        dir: &Dir,
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
    pub(super) fn read(
        &self,
        name: &Name,
        dir: &Dir,
        file: &str,
        quarantine: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<Message> {
        let parsed = match dir.read(file, self.max_size) {
            // Claimed by another reader between the listing and the read: theirs, not bad.
            Err(Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return None;
            }
            // Over our limit: a sender with a larger limit may have written a valid message.
            // That one stays in the inbox with an error; junk still goes to bad/.
            Err(Unreadable::TooLarge(size))
                if size <= OVERSIZE_PROBE
                    && dir
                        .read(file, OVERSIZE_PROBE)
                        .is_ok_and(|b| super::message::parse(&b).is_ok()) =>
            {
                problems.push(Problem::Oversized {
                    file: file.to_owned(),
                    size,
                    limit: self.max_size,
                });
                return None;
            }
            read => read.map_err(|e| e.to_string()),
        }
        .and_then(|bytes| {
            super::message::parse(&bytes).map_err(|e| format!("not a cc2cc message ({e})"))
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
        let moved = self
            .move_to_bad(name, INBOX, file, None)
            .map_err(|e| e.to_string());
        let file = format!("to-{name}/inbox/{file}");
        match moved {
            Ok(()) => Problem::Quarantined { file, reason },
            Err(e) => Problem::Stuck {
                file,
                reason: format!("{reason}; moving it to bad/ failed: {e}"),
            },
        }
    }

    /// Moves `file` from the mailbox folder `from` into `bad/`, never over another file there,
    /// and writes `reason` beside it when given (`<file>.reason`; readers ignore that name).
    pub fn move_to_bad(
        &self,
        name: &Name,
        from: &str,
        file: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        let src = self.mailbox(name, from, false)?;
        let bad = self.mailbox(name, BAD, true)?;
        let io = |e| Error::io("move to bad/", &src.path().join(file), e);
        let mut dest = file.to_owned();
        match src.rename(file, &bad, &dest, false) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                dest = format!("{file}.{}", uuid::Uuid::new_v4());
                src.rename(file, &bad, &dest, false).map_err(io)?
            }
            other => other.map_err(io)?,
        }
        if let Some(reason) = reason {
            let why = format!("{reason}\n");
            let _ = bad.write_atomic(&format!("{dest}.reason"), why.as_bytes(), false);
        }
        Ok(())
    }

    /// How many messages wait in `name`'s inbox: a directory listing, nothing parsed. An
    /// inbox that cannot be listed is an error, never 0.
    pub fn pending_count(&self, name: &Name) -> Result<usize> {
        let inbox = match self.mailbox(name, INBOX, false) {
            Err(e) if is_not_found(&e) => return Ok(0),
            other => other?,
        };
        let entries = inbox
            .entries()
            .map_err(|e| Error::io("list", inbox.path(), e))?;
        Ok(entries.iter().filter(|f| is_message_file(f)).count())
    }

    /// Names of all known mailboxes (`to-<name>` directories with valid names).
    pub fn mailboxes(&self) -> Vec<Name> {
        let mut names: Vec<Name> = std::fs::read_dir(&self.root)
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

/// Names of the message files in `dir` that `skip` does not exclude. With `clean`, stale temp
/// files of writers that died are removed on the way.
fn list_messages(
    dir: &Dir,
    skip: &dyn Fn(&str) -> bool,
    clean: bool,
) -> std::io::Result<Vec<String>> {
    let mut files = Vec::new();
    for file in dir.entries()? {
        if clean && file.starts_with(".tmp-") {
            remove_if_stale(dir, &file);
        }
        if is_message_file(&file) && !skip(&file) {
            files.push(file);
        }
    }
    Ok(files)
}

pub(super) fn remove_if_stale(dir: &Dir, file: &str) {
    let stale = dir.stat(file).is_ok_and(|st| {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(st.st_mtime.max(0) as u64);
        clock::age(t, SystemTime::now()) > STALE_TEMP
    });
    if stale {
        let _ = dir.remove(file);
    }
}

/// The file name of message `id`, once the id is known to be safe in a path.
fn file_of(id: &str) -> Result<String> {
    if !ids::is_safe_id(id) {
        return Err(Error::InvalidId(id.chars().take(80).collect()));
    }
    Ok(format!("{id}.json"))
}

fn unknown_message(name: &Name, id: &str) -> Error {
    Error::UnknownMessage {
        id: id.into(),
        agent: name.to_string(),
    }
}

fn receipt_name(file: &str) -> String {
    format!("{}.receipt.json", file.trim_end_matches(".json"))
}

/// The folders of one mailbox a reading pass works in: the inbox opened once, `done/` and
/// `receipts/` when the first claim needs them (created if missing).
struct Boxes {
    name: Name,
    mailbox: Dir,
    inbox: Dir,
    done: Option<Dir>,
    receipts: Option<Dir>,
    receipts_failed: Option<String>,
}

impl Boxes {
    /// None when the mailbox or its inbox does not exist yet.
    fn open(bridge: &Bridge, name: &Name) -> Result<Option<Boxes>> {
        let mailbox = match bridge.mailbox(name, "", false) {
            Err(e) if is_not_found(&e) => return Ok(None),
            other => other?,
        };
        let inbox = match mailbox.sub(INBOX, false) {
            Err(e) if is_not_found(&e) => return Ok(None),
            other => other?,
        };
        Ok(Some(Boxes {
            name: name.clone(),
            mailbox,
            inbox,
            done: None,
            receipts: None,
            receipts_failed: None,
        }))
    }

    fn done(&mut self) -> Result<&Dir> {
        if self.done.is_none() {
            self.done = Some(self.mailbox.sub(DONE, true)?);
        }
        Ok(self.done.as_ref().unwrap_or_else(|| unreachable!()))
    }

    /// The inbox and `done/` together.
    fn both(&mut self) -> Result<(&Dir, &Dir)> {
        self.done()?;
        let done = self.done.as_ref().unwrap_or_else(|| unreachable!());
        Ok((&self.inbox, done))
    }

    fn receipts(&mut self) -> Result<&Dir> {
        if self.receipts.is_none() {
            self.receipts = Some(self.mailbox.sub(RECEIPTS, true)?);
        }
        Ok(self.receipts.as_ref().unwrap_or_else(|| unreachable!()))
    }

    /// True when this rename moved it; false when another reader got there first.
    fn move_to_done(&mut self, file: &str) -> Result<bool> {
        let (inbox, done) = self.both()?;
        match inbox.rename(file, done, file, true) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("move to done/", &inbox.path().join(file), e)),
        }
    }

    /// Undoes a claim: back into the inbox, receipt removed.
    fn unclaim(&mut self, file: &str) -> Result<()> {
        let (inbox, done) = self.both()?;
        done.rename(file, inbox, file, false)
            .map_err(|e| Error::io("put back", &done.path().join(file), e))?;
        if let Ok(receipts) = self.receipts() {
            let _ = receipts.remove(&receipt_name(file));
        }
        Ok(())
    }

    /// One directory fsync per pass, not per message: the renames are durable together.
    fn sync(&self) {
        if let Some(done) = &self.done {
            let _ = done.sync();
        }
        let _ = self.inbox.sync();
    }
}

/// Readers ignore dot files (temp files in flight) and anything not named `*.json`.
pub(crate) fn is_message_file(file: &str) -> bool {
    !file.starts_with('.') && file.ends_with(".json")
}
