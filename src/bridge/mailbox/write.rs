//! Writing messages: one Maildir delivery (temp file O_EXCL 0600, fsync, rename, fsync folder),
//! the sender's copy beside it, and [`Commit`], many messages made durable together.

use std::collections::HashMap;
use std::time::SystemTime;

use rustix::fs as rfs;

use super::super::error::{Error, Result};
use super::super::fsutil::{Dir, is_not_found};
use super::super::message::{Draft, Message};
use super::super::{Bridge, Name, clock, crypto, ids};
use super::{INBOX, Mailbox, SCHEDULED, SENT};

impl Bridge {
    /// Builds a message from `draft`, encrypting when asked, and delivers it, keeping the
    /// sender's copy in `to-<from>/sent/`. Returns the message with its text in plain form.
    pub fn send(&self, from: &Name, draft: Draft) -> Result<Message> {
        self.post(from, draft, None)
    }

    /// As [`Bridge::send`], but the message waits in the recipient's `scheduled/` until `due`.
    /// Its id and timestamp carry `due`, so it sorts, and its ttl counts, from delivery.
    pub fn send_at(&self, from: &Name, draft: Draft, due: SystemTime) -> Result<Message> {
        self.post(from, draft, Some(due))
    }

    /// Many messages from `from` in one [`Commit`]: each is checked and built on its own (one
    /// bad draft fails alone), and all that pass are made durable together. Results come in
    /// the order of `drafts`, with each text in plain form.
    pub fn send_many(&self, from: &Name, drafts: Vec<Draft>) -> Vec<Result<Message>> {
        self.commit_drafts(from, drafts, true)
    }

    /// Notices the bridge writes on `from`'s behalf (expiry, rename), committed together, with
    /// no sender's copy, as they are not something the agent said.
    pub(crate) fn send_notices(&self, from: &Name, drafts: Vec<Draft>) -> Vec<Result<Message>> {
        self.commit_drafts(from, drafts, false)
    }

    fn commit_drafts(
        &self,
        from: &Name,
        drafts: Vec<Draft>,
        keep_copy: bool,
    ) -> Vec<Result<Message>> {
        let mut commit = Commit::new(self);
        let mut outcomes = Vec::with_capacity(drafts.len());
        let mut added = Vec::new();
        for draft in drafts {
            let staged = self.build(from, draft, None).and_then(|(to, wire, plain)| {
                commit.add(Outgoing {
                    copy_for: (keep_copy && from != &to).then(|| from.clone()),
                    to,
                    message: wire,
                })?;
                Ok(plain)
            });
            if staged.is_ok() {
                added.push(outcomes.len());
            }
            outcomes.push(staged);
        }
        for (i, written) in added.into_iter().zip(commit.finish()) {
            if let Err(e) = written {
                outcomes[i] = Err(e);
            }
        }
        outcomes
    }

    fn post(&self, from: &Name, draft: Draft, due: Option<SystemTime>) -> Result<Message> {
        let scheduled = due.is_some();
        let (to, wire, plain) = self.build(from, draft, due)?;
        // A message to oneself (the wake fallback) is already in one's own mailbox.
        let copy = from != &to;
        self.post_wire(copy.then_some(from), &to, &wire, scheduled)?;
        Ok(plain)
    }

    /// The recipient of `draft`, and its message as it goes on the wire (text encrypted when
    /// asked) and as the sender sees it (plain text).
    fn build(
        &self,
        from: &Name,
        draft: Draft,
        due: Option<SystemTime>,
    ) -> Result<(Name, Message, Message)> {
        let to = Name::new(&draft.to)?;
        if draft.text.is_empty() {
            return Err(Error::EmptyText);
        }
        let mut msg = Message::new(from.as_str(), draft);
        if let Some(due) = due {
            msg.id = format!("msg-{}", ids::uuid_v7(due));
            msg.timestamp = clock::format(due);
        }
        let plain = msg.clone();
        if self.encrypts() {
            msg.content.text = crypto::encrypt(&self.key()?, &plain.content.text);
        } else if crypto::is_encrypted(&plain.content.text) {
            // Readers would take it for ciphertext and never show it.
            return Err(Error::LooksEncrypted);
        }
        Ok((to, msg, plain))
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
        let mailbox = self.mailbox(to);
        let deliver = || {
            if scheduled {
                mailbox.ensure()?;
                let dir = mailbox.folder(SCHEDULED, true)?;
                dir.write_atomic(&file, json.as_bytes(), true).map(|()| dir)
            } else {
                mailbox.deliver_json(&file, &json, true)
            }
        };
        let Some(me) = copy_for else {
            return deliver().map(drop);
        };
        let copy = || {
            let dir = self.folder(me, SENT, true)?;
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

    fn wire_json(&self, msg: &Message) -> Result<String> {
        if !ids::is_safe_id(&msg.id) {
            return Err(Error::InvalidId(msg.id.clone()));
        }
        let json = msg.to_pretty_json();
        if json.len() as u64 > self.max_size() {
            return Err(Error::TooLarge {
                size: json.len() as u64,
                limit: self.max_size(),
            });
        }
        Ok(json)
    }
}

impl Mailbox {
    /// Writes `msg` into this inbox: temp file (O_EXCL, 0600), fsync, rename, fsync directory.
    pub fn deliver(&self, msg: &Message) -> Result<()> {
        self.write_inbox(msg, true).map(drop)
    }

    /// [`Mailbox::deliver`]; without `sync_dir` the caller fsyncs the returned inbox, once for
    /// a batch.
    pub(crate) fn write_inbox(&self, msg: &Message, sync_dir: bool) -> Result<Dir> {
        let json = self.bridge.wire_json(msg)?;
        self.deliver_json(&format!("{}.json", msg.id), &json, sync_dir)
    }

    /// The inbox, made with the rest of the mailbox when it is new.
    fn inbox_for_writing(&self) -> Result<Dir> {
        // Three opens on the common path; the mkdirs only for a new mailbox.
        match self.folder(INBOX, false) {
            Err(e) if is_not_found(&e) => {
                self.ensure()?;
                self.folder(INBOX, false)
            }
            other => other,
        }
    }

    /// The write into this inbox, the file fsynced before its rename and the inbox after it
    /// unless the caller does that for a batch (`sync_dir`); returns the inbox.
    fn deliver_json(&self, file: &str, json: &str, sync_dir: bool) -> Result<Dir> {
        let inbox = self.inbox_for_writing()?;
        inbox.write_renamed(file, json.as_bytes(), true)?;
        if sync_dir {
            inbox
                .sync()
                .map_err(|e| Error::io("write", &inbox.path().join(file), e))?;
        }
        Ok(inbox)
    }
}

/// One message of a [`Commit`], in its wire form.
#[derive(Debug)]
struct Outgoing {
    to: Name,
    message: Message,
    /// Whose `sent/` keeps a copy.
    copy_for: Option<Name>,
}

/// Many messages made durable together, the Maildir way at the scale of a batch: every temp
/// file is written, one filesystem sync makes them all durable, every one is renamed into
/// place, and one more sync makes the renames durable. Two syncs in all instead of two per
/// message: `send --batch`, `broadcast` and the expiry notices of a pass use it.
struct Commit<'b> {
    bridge: &'b Bridge,
    folders: HashMap<(Name, &'static str), Dir>,
    /// Per message: its final file name, and the (folder key, temp name) of each of its files.
    staged: Vec<Staged>,
}

struct Staged {
    file: String,
    temps: Vec<((Name, &'static str), String)>,
}

impl<'b> Commit<'b> {
    fn new(bridge: &'b Bridge) -> Commit<'b> {
        Commit {
            bridge,
            folders: HashMap::new(),
            staged: Vec::new(),
        }
    }

    /// Writes `out`'s temp files (not durable yet). An error leaves nothing of it behind and
    /// is this message's alone.
    fn add(&mut self, out: Outgoing) -> Result<()> {
        let json = self.bridge.wire_json(&out.message)?;
        let file = format!("{}.json", out.message.id);
        let mut places = vec![(out.to.clone(), INBOX)];
        if let Some(me) = out.copy_for {
            places.push((me, SENT));
        }
        let mut temps = Vec::new();
        for place in places {
            let written = self
                .folder(&place)
                .and_then(|dir| dir.write_temp(json.as_bytes()));
            match written {
                Ok(temp) => temps.push((place, temp)),
                Err(e) => {
                    for (place, temp) in &temps {
                        let _ = self.folders[place].remove(temp);
                    }
                    return Err(e);
                }
            }
        }
        self.staged.push(Staged { file, temps });
        Ok(())
    }

    fn folder(&mut self, (name, sub): &(Name, &'static str)) -> Result<&Dir> {
        let key = (name.clone(), *sub);
        if !self.folders.contains_key(&key) {
            let mailbox = self.bridge.mailbox(name);
            let dir = match *sub {
                INBOX => mailbox.inbox_for_writing()?,
                other => mailbox.folder(other, true)?,
            };
            self.folders.insert(key.clone(), dir);
        }
        Ok(&self.folders[&key])
    }

    /// Makes every added message durable and visible; one result per [`Commit::add`] that
    /// succeeded, in order. A message whose delivery cannot be renamed into place is taken
    /// back whole (its copy too).
    fn finish(self) -> Vec<Result<()>> {
        if self.staged.is_empty() {
            return Vec::new();
        }
        if let Err(e) = self.sync_all() {
            self.staged.iter().for_each(|s| self.discard(s));
            return self
                .staged
                .iter()
                .map(|_| Err(self.sync_error(&e)))
                .collect();
        }
        let mut results: Vec<Result<()>> = self.staged.iter().map(|s| self.rename(s)).collect();
        if let Err(e) = self.sync_all() {
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(self.sync_error(&e));
            }
        }
        results
    }

    /// Renames one message's files into place: the delivery first, then the copy.
    fn rename(&self, staged: &Staged) -> Result<()> {
        let mut done: Vec<&(Name, &'static str)> = Vec::new();
        for (place, temp) in &staged.temps {
            let dir = &self.folders[place];
            if let Err(e) = dir.rename(temp, dir, &staged.file, true) {
                for place in done {
                    let _ = self.folders[place].remove(&staged.file);
                }
                self.discard(staged);
                return Err(Error::io("write", &dir.path().join(&staged.file), e));
            }
            done.push(place);
        }
        Ok(())
    }

    fn discard(&self, staged: &Staged) {
        for (place, temp) in &staged.temps {
            let _ = self.folders[place].remove(temp);
        }
    }

    /// One `syncfs` per filesystem the folders live on (nearly always one).
    fn sync_all(&self) -> std::io::Result<()> {
        let mut devices = Vec::new();
        for dir in self.folders.values() {
            let dev = rfs::fstat(dir.fd())?.st_dev;
            if !devices.contains(&dev) {
                devices.push(dev);
                rfs::syncfs(dir.fd())?;
            }
        }
        Ok(())
    }

    fn sync_error(&self, e: &std::io::Error) -> Error {
        Error::io("sync", self.bridge.root(), clone_io(e))
    }
}

fn clone_io(e: &std::io::Error) -> std::io::Error {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(e.kind(), e.to_string()),
    }
}
