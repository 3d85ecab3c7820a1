//! Reading a mailbox: the message files of a folder in sending order, and [`Pass`], the reading
//! pass a caller drives one message at a time.
//!
//! Cost follows what is read, not what waits: a listing keeps 16 bytes per message named by a
//! UUIDv7 id (the name carries its time, so the sorted keys are the order), and only the files
//! handed out are opened.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::time::SystemTime;

use super::super::error::{Error, Result};
use super::super::fsutil::{Dir, Unreadable};
use super::super::message::{self, Draft, Message};
use super::super::{Bridge, Name, clock, crypto, notices};
use super::claim::Boxes;
use super::{
    DONE, Envelope, Filter, INBOX, Mailbox, Problem, file_of, is_message_file, remove_if_stale,
};

/// Files over a reader's size limit but under this are read to tell a valid message (which
/// stays in the inbox, with an error naming the limit) from junk (moved to `bad/`).
const OVERSIZE_PROBE: u64 = 64 * 1024 * 1024;

/// Whether a pass claims what it hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Leave messages pending (`--peek`, or a reader that claims once it passed them on).
    Peek,
    /// Move each message to `done/`, with a receipt, before handing it out.
    Claim,
}

/// Where a message file stands in sending order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// `msg-<uuidv7>.json` in canonical form: the id as a number sorts as its name does.
    V7(u128),
    /// Any other name: the time and id read from the file.
    Other { ms: u64, id: Box<str> },
}

impl Key {
    fn ms(&self) -> u64 {
        match self {
            Key::V7(u) => (u >> 80) as u64,
            Key::Other { ms, .. } => *ms,
        }
    }

    fn id(&self) -> String {
        match self {
            Key::V7(u) => format!("msg-{}", uuid::Uuid::from_u128(*u).hyphenated()),
            Key::Other { id, .. } => id.to_string(),
        }
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::V7(a), Key::V7(b)) => a.cmp(b),
            _ => (self.ms(), self.id()).cmp(&(other.ms(), other.id())),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A listed message file: its key, and for a file that had to be read to be ordered, its name
/// and message.
#[derive(Debug)]
struct Slot {
    key: Key,
    read: Option<Box<(String, Message)>>,
}

impl Slot {
    /// The file of a slot whose name was its key.
    fn file(&self) -> String {
        format!("{}.json", self.key.id())
    }
}

impl PartialEq for Slot {
    fn eq(&self, other: &Slot) -> bool {
        self.key == other.key
    }
}
impl Eq for Slot {}
impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Slot) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Slot {
    fn cmp(&self, other: &Slot) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// The id of a canonical `msg-<uuidv7>.json` name (lowercase, hyphenated) as a number; None
/// for any other name. Parsed by hand: it runs once per file of every listing.
fn v7_key(file: &str) -> Option<u128> {
    let b = file.as_bytes();
    if b.len() != 45 || !file.starts_with("msg-") || !file.ends_with(".json") || b[18] != b'7' {
        return None;
    }
    let mut key = 0u128;
    for (i, &c) in b[4..40].iter().enumerate() {
        let digit = match (i, c) {
            (8 | 13 | 18 | 23, b'-') => continue,
            (8 | 13 | 18 | 23, _) => return None,
            (_, b'0'..=b'9') => c - b'0',
            (_, b'a'..=b'f') => c - b'a' + 10,
            _ => return None,
        };
        key = key << 4 | u128::from(digit);
    }
    Some(key)
}

/// What changes when a rename touches a folder: its modification and change times.
fn stamp(dir: &Dir) -> Option<(i64, i64, i64, i64)> {
    let st = rustix::fs::fstat(dir.fd()).ok()?;
    Some((
        st.st_mtime,
        st.st_mtime_nsec as i64,
        st.st_ctime,
        st.st_ctime_nsec as i64,
    ))
}

/// How long ago a folder's last change must be for its times to tell every later change:
/// the kernel stamps with a coarse clock, so a change within one tick of the last one could
/// leave the times as they were.
const SETTLED: std::time::Duration = std::time::Duration::from_millis(50);

/// The folder's [`stamp`] when its last change is older than [`SETTLED`].
fn settled_stamp(dir: &Dir) -> Option<(i64, i64, i64, i64)> {
    let stamp = stamp(dir)?;
    let changed = SystemTime::UNIX_EPOCH
        + std::time::Duration::new(stamp.0.max(0) as u64, stamp.1.clamp(0, 999_999_999) as u32);
    (SystemTime::now().duration_since(changed).ok()? > SETTLED).then_some(stamp)
}

/// The listing of an inbox's last pass, kept by a long-running reader for its next pass: a
/// listing that ended before the next one starts is all a first listing has to be.
#[derive(Debug, Default)]
pub struct Recall {
    listing: Option<Listing>,
    /// Nothing can have been added to the folder since the listing (the reader's watcher
    /// says so): the listing serves as the next pass's only one.
    current: bool,
}

impl Recall {
    /// A file may have been added since the listing: the next pass lists again.
    pub fn outdated(&mut self) {
        self.current = false;
    }
}

/// The message files of one listing: UUIDv7 keys (16 bytes each), sorted, and the other names.
#[derive(Debug, Default)]
struct Listing {
    v7: Vec<u128>,
    other: HashSet<String>,
}

impl Listing {
    /// Lists `dir`; with `clean`, temp files of writers that died are removed on the way.
    fn of(dir: &Dir, skip: &dyn Fn(&str) -> bool, clean: bool) -> std::io::Result<Listing> {
        let mut listing = Listing::default();
        dir.each_entry(|file| {
            if clean && file.starts_with(".tmp-") {
                remove_if_stale(dir, file);
            }
            if !skip(file) {
                listing.add(file);
            }
        })?;
        listing.v7.sort_unstable();
        Ok(listing)
    }

    /// The message files among `files` (named by events), as a listing would hold them.
    fn named(files: &[String]) -> Listing {
        let mut listing = Listing::default();
        files.iter().for_each(|f| listing.add(f));
        listing.v7.sort_unstable();
        listing
    }

    fn add(&mut self, file: &str) {
        if is_message_file(file) {
            match v7_key(file) {
                Some(k) => self.v7.push(k),
                None => drop(self.other.insert(file.to_owned())),
            }
        }
    }

    /// True when every file listed here was in `earlier` too (one walk of two sorted lists).
    fn within(&self, earlier: &Listing) -> bool {
        let mut theirs = earlier.v7.iter().peekable();
        let v7 = self.v7.iter().all(|k| {
            while theirs.next_if(|e| *e < k).is_some() {}
            theirs.next_if_eq(&k).is_some()
        });
        v7 && self.other.iter().all(|f| earlier.other.contains(f))
    }
}

/// A place in sending order: the newest message a pass listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newest(Key);

/// The message files of a folder, oldest first, handed out lazily: the UUIDv7-named ones from
/// their sorted keys (nothing more is built for them), merged with the few read for their time.
#[derive(Debug, Default)]
struct Order {
    v7: Vec<u128>,
    next_v7: usize,
    /// Sorted newest first, so the oldest pops off the end.
    other: Vec<Slot>,
    /// Listed past the horizon: they wait for the next pass.
    later: usize,
    /// The newest message listed within the horizon.
    newest: Option<Key>,
}

impl Order {
    fn new(v7: Vec<u128>, mut other: Vec<Slot>) -> Order {
        other.sort_unstable_by(|a, b| b.cmp(a));
        Order {
            v7,
            other,
            ..Order::default()
        }
    }

    fn pop(&mut self) -> Option<Slot> {
        let v7 = self.v7.get(self.next_v7).map(|k| Key::V7(*k));
        match (v7, self.other.last()) {
            (Some(k), Some(o)) if o.key < k => self.other.pop(),
            (Some(key), _) => {
                self.next_v7 += 1;
                Some(Slot { key, read: None })
            }
            (None, _) => self.other.pop(),
        }
    }

    fn len(&self) -> usize {
        self.v7.len() - self.next_v7 + self.other.len()
    }
}

impl Mailbox {
    /// Lists `dir` in sending order. A directory listing is not a snapshot: one taken while a
    /// sender renames messages in can show a message yet miss an older one of the same sender,
    /// renamed in just before it. Every message renamed in before a first listing ended is in
    /// a second one, so the second is used and nothing newer than the newest message of the
    /// first is handed out; later arrivals wait for the next pass. Each sender's order is kept.
    /// A folder no rename touched while it was listed needs no second listing. A long-running
    /// reader's previous listing ([`Recall`]) serves as the first while nothing new arrived.
    fn order(
        &self,
        dir: &Dir,
        quarantine: bool,
        skip: &dyn Fn(&str) -> bool,
        after: Option<&Newest>,
        mut recall: Option<&mut Recall>,
        problems: &mut Vec<Problem>,
    ) -> Result<Order> {
        let list_error = |e| Error::io("list", dir.path(), e);
        let current = recall.as_ref().is_some_and(|r| r.current);
        let remembered = recall.as_deref_mut().and_then(|r| r.listing.take());
        let (mut first, mut recalled, snapshot) = match remembered {
            // Nothing added since: what is gone from the listing is passed over when read.
            Some(listing) if current => (listing, true, true),
            Some(listing) => (listing, true, false),
            None => {
                let settled = settled_stamp(dir);
                let listing = Listing::of(dir, skip, true).map_err(list_error)?;
                // A folder no rename touched while it was listed was listed whole (the
                // common case of a backlog nobody writes to right now).
                let snapshot = settled.is_some() && settled == stamp(dir);
                (listing, false, snapshot)
            }
        };
        // The listing handed out from, and the earlier one its horizon comes from (none when
        // one listing is all there is: then everything in it is within the horizon).
        let (listing, earlier) = if snapshot {
            (first, None)
        } else {
            loop {
                // The second listing failing is no worse than the first being all there is.
                let Ok(second) = Listing::of(dir, skip, false) else {
                    break (first, None);
                };
                if recalled && !second.within(&first) {
                    // Something arrived since the recalled listing: it needs a horizon of its
                    // own.
                    (first, recalled) = (second, false);
                    continue;
                }
                break (second, Some(first));
            }
        };
        let mut horizon: Option<Key> = listing
            .v7
            .iter()
            .rev()
            .find(|k| {
                earlier
                    .as_ref()
                    .is_none_or(|e| e.v7.binary_search(k).is_ok())
            })
            .map(|k| Key::V7(*k));
        let mut other = self.read_for_time(dir, &listing.other, quarantine, problems);
        let seen = |file: &str| earlier.as_ref().is_none_or(|e| e.other.contains(file));
        for slot in &other {
            let file = slot.read.as_ref().map_or("", |r| r.0.as_str());
            if seen(file) && horizon.as_ref().is_none_or(|h| slot.key > *h) {
                horizon = Some(slot.key.clone());
            }
        }
        let mut v7 = match recall {
            Some(recall) => {
                let v7 = listing.v7.clone();
                recall.listing = Some(listing);
                recall.current = true;
                v7
            }
            None => listing.v7,
        };
        // Within the horizon, and after `after`: both cuts of a sorted list.
        let listed = v7.len() + other.len();
        let within = |k: &Key| horizon.as_ref().is_some_and(|h| k <= h);
        v7.truncate(v7.partition_point(|k| within(&Key::V7(*k))));
        other.retain(|s| within(&s.key));
        let later = listed - v7.len() - other.len();
        if let Some(Newest(after)) = after {
            v7.drain(..v7.partition_point(|k| Key::V7(*k) <= *after));
            other.retain(|s| s.key > *after);
        }
        Ok(Order {
            later,
            newest: horizon,
            ..Order::new(v7, other)
        })
    }

    /// A reading pass over the inbox: expired messages are retired (claiming passes, or with
    /// `retire_expired`), the rest filtered, decrypted and handed out oldest first, each
    /// claimed first in [`Mode::Claim`]. `skip` names files the caller has already seen; they
    /// are not even read. Scheduled messages that fell due are delivered first, so they arrive
    /// even when no timer runs. An inbox that cannot be listed is an error, never "no mail".
    pub fn pass(&self, filter: &Filter, mode: Mode, skip: &dyn Fn(&str) -> bool) -> Result<Pass> {
        self.pass_recalling(filter, mode, skip, None)
    }

    /// [`Mailbox::pass`] for a reader that passes over the same inbox again and again
    /// (`check_inbox`): the listing of one pass serves as the first listing of the next, so
    /// each pass lists the inbox once.
    pub fn pass_recalling(
        &self,
        filter: &Filter,
        mode: Mode,
        skip: &dyn Fn(&str) -> bool,
        recall: Option<&mut Recall>,
    ) -> Result<Pass> {
        let mut pass = self.pass_over(filter, mode)?;
        if let Some(boxes) = &pass.boxes {
            let now = pass.now;
            pass.report.problems = self.bridge.release_due(&self.name, now).problems;
            pass.order = self.order(
                &boxes.inbox,
                true,
                skip,
                filter.after.as_ref(),
                recall,
                &mut pass.report.problems,
            )?;
        }
        Ok(pass)
    }

    /// A pass with nothing listed yet.
    fn pass_over(&self, filter: &Filter, mode: Mode) -> Result<Pass> {
        let now = clock::now();
        let mut pass = Pass {
            mailbox: self.clone(),
            filter: filter.clone(),
            mode,
            now,
            boxes: None,
            order: Order::default(),
            passed_over: 0,
            handed: 0,
            bytes: 0,
            stopped: false,
            claimed_any: false,
            closed: false,
            report: Report::default(),
            notices: Vec::new(),
        };
        // No mailbox yet: nothing pending.
        pass.boxes = Boxes::open(self)?;
        Ok(pass)
    }

    /// A reading pass over just these inbox files (named by events), as [`Mailbox::pass`] does
    /// it for the whole inbox: nothing is listed. A file that is gone is passed over.
    pub fn pass_named(&self, files: &[String], filter: &Filter, mode: Mode) -> Result<Pass> {
        let mut pass = self.pass_over(filter, mode)?;
        let Some(boxes) = &pass.boxes else {
            return Ok(pass);
        };
        let listing = Listing::named(files);
        let other = self.read_for_time(
            &boxes.inbox,
            &listing.other,
            true,
            &mut pass.report.problems,
        );
        pass.order = Order::new(listing.v7, other);
        Ok(pass)
    }

    /// The message files whose names do not tell their place in sending order, read for it.
    fn read_for_time(
        &self,
        dir: &Dir,
        files: &HashSet<String>,
        quarantine: bool,
        problems: &mut Vec<Problem>,
    ) -> Vec<Slot> {
        let mut slots = Vec::with_capacity(files.len());
        for file in files {
            let Some(m) = self.read(dir, file, quarantine, problems) else {
                continue;
            };
            let (ms, id) = m.sort_key();
            slots.push(Slot {
                key: Key::Other { ms, id: id.into() },
                read: Some(Box::new((file.clone(), m))),
            });
        }
        slots
    }

    /// Pending messages, oldest first, as stored (text not decrypted), without claiming or
    /// expiring anything.
    pub fn pending(&self) -> (Vec<Envelope>, Vec<Problem>) {
        self.pending_first(usize::MAX)
    }

    /// The oldest `limit` pending messages, as [`Mailbox::pending`]; only those are read.
    pub fn pending_first(&self, limit: usize) -> (Vec<Envelope>, Vec<Problem>) {
        self.scan(INBOX, true, limit)
    }

    /// Read history (`done/`), oldest first, decrypted.
    pub fn history(&self) -> (Vec<Envelope>, Vec<Problem>) {
        let (envelopes, mut problems) = self.scan(DONE, false, usize::MAX);
        let mut read = Vec::with_capacity(envelopes.len());
        for env in envelopes {
            match self.bridge.decrypt(env) {
                Ok(env) => read.push(env),
                Err(p) => problems.push(p),
            }
        }
        (read, problems)
    }

    /// The oldest `limit` message files of folder `sub`. Bad files in the inbox are moved to
    /// `bad/`; elsewhere they are only reported.
    fn scan(&self, sub: &str, quarantine: bool, limit: usize) -> (Vec<Envelope>, Vec<Problem>) {
        let mut problems = Vec::new();
        let stuck = |e: Error| Problem::Stuck {
            file: format!("to-{}/{sub}", self.name),
            reason: e.to_string(),
        };
        let dir = match self.existing(sub) {
            Ok(Some(d)) => d,
            Ok(None) => return (Vec::new(), problems),
            Err(e) => return (Vec::new(), vec![stuck(e)]),
        };
        let mut order = match self.order(&dir, quarantine, &|_| false, None, None, &mut problems) {
            Ok(o) => o,
            Err(e) => {
                problems.push(stuck(e));
                return (Vec::new(), problems);
            }
        };
        let mut found = Vec::new();
        while found.len() < limit
            && let Some(slot) = order.pop()
        {
            if let Some(env) = self.load(&dir, slot, quarantine, &mut problems) {
                found.push(env);
            }
        }
        (found, problems)
    }

    /// The listed message, read now if the listing did not read it.
    fn load(
        &self,
        dir: &Dir,
        slot: Slot,
        quarantine: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<Envelope> {
        let (file, message) = match slot.read {
            Some(read) => *read,
            None => {
                let file = slot.file();
                let message = self.read(dir, &file, quarantine, problems)?;
                (file, message)
            }
        };
        Some(Envelope { message, file })
    }

    /// Reads and parses one message file; a bad one is moved aside (or reported) and None.
    pub(crate) fn read(
        &self,
        dir: &Dir,
        file: &str,
        quarantine: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<Message> {
        let max_size = self.bridge.max_size();
        let parsed = match dir.read(file, max_size) {
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
                        .is_ok_and(|b| message::parse(&b).is_ok()) =>
            {
                problems.push(Problem::Oversized {
                    file: file.to_owned(),
                    size,
                    limit: max_size,
                });
                return None;
            }
            read => read.map_err(|e| e.to_string()),
        }
        .and_then(|bytes| message::parse(&bytes).map_err(|e| format!("not a cc2cc message ({e})")));
        match parsed {
            Ok(message) => Some(message),
            Err(reason) => {
                problems.push(if quarantine {
                    self.quarantine(file, reason)
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

    fn quarantine(&self, file: &str, reason: String) -> Problem {
        let moved = self
            .move_to_bad(INBOX, file, None)
            .map_err(|e| e.to_string());
        let file = format!("to-{}/inbox/{file}", self.name);
        match moved {
            Ok(()) => Problem::Quarantined { file, reason },
            Err(e) => Problem::Stuck {
                file,
                reason: format!("{reason}; moving it to bad/ failed: {e}"),
            },
        }
    }

    /// The pending message `id`, decrypted: one read, no scan.
    pub fn pending_message(&self, id: &str) -> Result<Envelope> {
        let file = file_of(id)?;
        let Some(inbox) = self.existing(INBOX)? else {
            return Err(self.unknown(id));
        };
        let message = self
            .parse_file(&inbox, &file)?
            .ok_or_else(|| self.unknown(id))?;
        self.bridge
            .decrypt(Envelope { message, file })
            .map_err(|p| match p {
                Problem::Undecryptable { error, .. } => error,
                other => Error::Decrypt {
                    id: id.into(),
                    reason: other.to_string(),
                },
            })
    }

    /// Finds a message this agent received, by id: one `stat` in `done/`, one in `inbox/`.
    pub fn find(&self, id: &str) -> Result<Message> {
        let file = file_of(id)?;
        for sub in [DONE, INBOX] {
            if let Some(dir) = self.existing(sub)?
                && let Some(message) = self.parse_file(&dir, &file)?
            {
                return Ok(message);
            }
        }
        Err(self.unknown(id))
    }

    /// The message in `file` of `dir`; None when there is no such file.
    fn parse_file(&self, dir: &Dir, file: &str) -> Result<Option<Message>> {
        let path = dir.path().join(file);
        match dir.read(file, self.bridge.max_size()) {
            Ok(bytes) => message::parse(&bytes)
                .map(Some)
                .map_err(|source| Error::Json { path, source }),
            Err(Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(Unreadable::Io(e)) => Err(Error::io("read", &path, e)),
            Err(e) => Err(Error::io(
                "read",
                &path,
                std::io::Error::other(e.to_string()),
            )),
        }
    }
}

impl Bridge {
    /// [`Mailbox::read`] for code that walks other folders of `name`'s mailbox (history).
    pub(crate) fn read(
        &self,
        name: &Name,
        dir: &Dir,
        file: &str,
        quarantine: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<Message> {
        self.mailbox(name).read(dir, file, quarantine, problems)
    }

    pub(crate) fn decrypt(&self, mut env: Envelope) -> std::result::Result<Envelope, Problem> {
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
}

/// What a pass met besides the messages it handed out.
#[derive(Debug, Default)]
pub struct Report {
    /// Expired unread: moved to `done/`, sender notified.
    pub expired: Vec<Message>,
    pub problems: Vec<Problem>,
}

/// One reading pass over an inbox, driven by its caller: each [`Iterator::next`] hands out the
/// next message (claimed first in [`Mode::Claim`]); [`Pass::put_back`] returns one that could
/// not be passed on; [`Pass::finish`] makes the claims durable (one folder sync for the pass)
/// and says what the pass met. Dropping a pass finishes it too.
pub struct Pass {
    mailbox: Mailbox,
    filter: Filter,
    mode: Mode,
    now: SystemTime,
    boxes: Option<Boxes>,
    order: Order,
    /// Looked at and left in the inbox (filtered out, unreadable for us, over the byte budget).
    passed_over: usize,
    handed: usize,
    bytes: usize,
    stopped: bool,
    claimed_any: bool,
    closed: bool,
    report: Report,
    /// Expiry notices, committed together when the pass ends.
    notices: Vec<Draft>,
}

impl Iterator for Pass {
    type Item = Envelope;

    fn next(&mut self) -> Option<Envelope> {
        while !self.stopped && self.filter.limit.is_none_or(|n| self.handed < n) {
            let slot = self.order.pop()?;
            let boxes = self.boxes.as_ref()?;
            let mailbox = &self.mailbox;
            let Some(env) = mailbox.load(&boxes.inbox, slot, true, &mut self.report.problems)
            else {
                continue;
            };
            if env.message.is_expired(self.now) {
                if self.mode == Mode::Claim || self.filter.retire_expired {
                    self.expire(env);
                } else {
                    self.passed_over += 1;
                }
                continue;
            }
            if !self.filter.accepts(&env.message) {
                self.passed_over += 1;
                continue;
            }
            let env = match mailbox.bridge.decrypt(env) {
                Ok(env) => env,
                Err(p) => {
                    self.report.problems.push(p);
                    self.passed_over += 1;
                    continue;
                }
            };
            let size = env.message.text().len();
            if self.handed > 0
                && self
                    .filter
                    .max_bytes
                    .is_some_and(|max| self.bytes + size > max)
            {
                self.passed_over += 1;
                self.stopped = true;
                return None;
            }
            if self.mode == Mode::Claim {
                let boxes = self.boxes.as_mut()?;
                match self.mailbox.claim_in(boxes, &env.file, &env.message.id) {
                    Ok(true) => self.claimed_any = true,
                    Ok(false) => continue, // another reader won the rename: it is theirs
                    Err(e) => {
                        // done/ is unusable (read-only, a link): every other claim would fail
                        // the same way, so the rest waits and is reported once.
                        self.report.problems.push(Problem::Stuck {
                            file: env.file.clone(),
                            reason: e.to_string(),
                        });
                        self.stopped = true;
                        return None;
                    }
                }
            }
            self.handed += 1;
            self.bytes += size;
            return Some(env);
        }
        None
    }
}

impl Pass {
    /// Returns a handed-out message that could not be passed on (a closed pipe, too long for
    /// this path) to the inbox, unread. The pass goes on unless the caller stops.
    pub fn put_back(&mut self, env: &Envelope) {
        self.handed = self.handed.saturating_sub(1);
        self.passed_over += 1;
        if self.mode == Mode::Peek {
            return;
        }
        let Some(boxes) = self.boxes.as_mut() else {
            return;
        };
        if let Err(e) = boxes.unclaim(&env.file) {
            self.report.problems.push(Problem::Stuck {
                file: format!("to-{}/done/{}", self.mailbox.name, env.file),
                reason: format!("could not be passed on nor put back: {e}"),
            });
        }
    }

    /// How many messages wait in the inbox besides those handed out so far: not reached yet,
    /// passed over, or arrived during the listing. Counted, never listed again.
    pub fn remaining(&self) -> usize {
        self.order.len() + self.order.later + self.passed_over
    }

    /// The newest message the listing found (within its horizon): a later pass can start
    /// after it ([`Filter::after`]).
    pub fn newest(&self) -> Option<Newest> {
        self.order.newest.clone().map(Newest)
    }

    /// Ends the pass: claims made durable together, expiry notices sent, and what it met.
    pub fn finish(mut self) -> Report {
        self.close();
        std::mem::take(&mut self.report)
    }

    fn expire(&mut self, env: Envelope) {
        let Some(boxes) = self.boxes.as_mut() else {
            return;
        };
        if !matches!(boxes.move_to_done(&env.file), Ok(true)) {
            return;
        }
        self.claimed_any = true;
        if let Some(notice) = notices::expired(&self.mailbox.name, &env.message, self.now) {
            self.notices.push(notice);
        }
        self.report.expired.push(env.message);
    }

    fn close(&mut self) {
        if std::mem::replace(&mut self.closed, true) {
            return;
        }
        if let Some(boxes) = self.boxes.as_mut() {
            if self.claimed_any {
                boxes.sync();
            }
            if let Some(reason) = boxes.receipts_failed.take() {
                self.report.problems.push(Problem::Stuck {
                    file: format!("to-{}/receipts", self.mailbox.name),
                    reason: format!("no receipts written: {reason}"),
                });
            }
        }
        let notices = std::mem::take(&mut self.notices);
        if !notices.is_empty() {
            let bridge = self.mailbox.bridge.clone();
            // A notice is a courtesy to the sender: one that cannot be written loses nothing.
            let _ = bridge.send_notices(&self.mailbox.name, notices);
        }
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v7_keys_sort_as_their_names_and_only_canonical_names_count() {
        let t0 = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_763_940_000_123);
        let mut names: Vec<String> = (0..200)
            .map(|i| {
                let t = t0 + std::time::Duration::from_micros(i * 37);
                format!("msg-{}.json", super::super::super::ids::uuid_v7(t))
            })
            .collect();
        names.reverse();
        let mut keys: Vec<Key> = names.iter().map(|n| Key::V7(v7_key(n).unwrap())).collect();
        keys.sort();
        names.sort();
        let back: Vec<String> = keys.iter().map(|k| format!("{}.json", k.id())).collect();
        assert_eq!(back, names);
        assert_eq!(keys[0].ms(), 1_763_940_000_123);
        let upper = names[0]
            .to_uppercase()
            .replace("MSG-", "msg-")
            .replace(".JSON", ".json");
        assert_eq!(v7_key(&upper), None);
        assert_eq!(
            v7_key("msg-505f72af-f9ca-493b-8908-dceff7401ec6.json"),
            None
        );
        let mixed = Key::Other {
            ms: keys[0].ms(),
            id: "msg-0".into(),
        };
        assert!(mixed < keys[0]);
    }

    #[test]
    fn an_order_merges_named_keys_with_files_read_for_their_time() {
        let v7 = |ms: u128, tail: u128| (ms << 80) | (7 << 76) | tail;
        let other = |ms: u64, id: &str| Slot {
            key: Key::Other { ms, id: id.into() },
            read: None,
        };
        let mut order = Order::new(
            vec![v7(10, 1), v7(20, 1), v7(30, 1)],
            vec![other(25, "msg-b"), other(5, "msg-a"), other(40, "msg-c")],
        );
        assert_eq!(order.len(), 6);
        let ms: Vec<u64> = std::iter::from_fn(|| order.pop())
            .map(|s| s.key.ms())
            .collect();
        assert_eq!(ms, [5, 10, 20, 25, 30, 40]);
        assert_eq!(order.len(), 0);
    }

    #[test]
    fn a_listing_is_within_an_earlier_one_only_when_it_adds_nothing() {
        let listing = |v7: &[u128], other: &[&str]| Listing {
            v7: v7.to_vec(),
            other: other.iter().map(|s| s.to_string()).collect(),
        };
        let earlier = listing(&[1, 3, 5, 7], &["a.json"]);
        assert!(listing(&[3, 7], &[]).within(&earlier));
        assert!(listing(&[], &["a.json"]).within(&earlier));
        assert!(!listing(&[3, 4], &[]).within(&earlier));
        assert!(!listing(&[9], &[]).within(&earlier));
        assert!(!listing(&[1], &["b.json"]).within(&earlier));
    }
}
