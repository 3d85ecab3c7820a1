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
        let mut commit = Commit::new(self, drafts.len());
        let mut outcomes = Vec::with_capacity(drafts.len());
        let mut added = Vec::new();
        for draft in drafts {
            let staged = self.build(from, draft, None).and_then(|(to, wire, plain)| {
                commit.add(Outgoing {
                    to: &to,
                    place: INBOX,
                    message: &wire,
                    copy_for: keep_copy.then_some(from),
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
        self.post_wire(Some(from), &to, &wire, scheduled)?;
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
    /// copy (when `copy_for` is given) beside it: a [`Commit`] of one.
    pub(crate) fn post_wire(
        &self,
        copy_for: Option<&Name>,
        to: &Name,
        msg: &Message,
        scheduled: bool,
    ) -> Result<()> {
        let mut commit = Commit::new(self, 1);
        commit.add(Outgoing {
            to,
            place: if scheduled { SCHEDULED } else { INBOX },
            message: msg,
            copy_for,
        })?;
        commit.finish().pop().unwrap_or(Ok(()))
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
struct Outgoing<'a> {
    to: &'a Name,
    /// [`INBOX`], or [`SCHEDULED`] for a message that waits for its time.
    place: &'static str,
    message: &'a Message,
    /// Whose `sent/` keeps a copy (none for a message to oneself: it is in one's mailbox).
    copy_for: Option<&'a Name>,
}

/// A few messages are made durable file by file, so a `send` never waits for what other
/// programs wrote to the same filesystem; more than this, by two syncs of the whole filesystem.
const FILE_BY_FILE_MAX: usize = 4;

/// Many messages made durable together, the Maildir way at the scale of a batch: every temp
/// file is written, made durable, renamed into place, and the renames are made durable.
/// Small commits fsync each file and each folder; large ones (`send --batch`, `broadcast`,
/// the expiry notices of a pass) sync the filesystem once before the renames and once after:
/// two syncs in all instead of two per message.
///
/// The sender's copy is a second name for the delivered file (a hard link), so keeping it
/// costs no second write; only a filesystem without links between the two folders gets a
/// file of its own. Nothing ever writes a message file in place, so the two names cannot drift.
struct Commit<'b> {
    bridge: &'b Bridge,
    file_by_file: bool,
    folders: HashMap<Place, Dir>,
    staged: Vec<Staged>,
}

/// A folder of a mailbox: its owner and its name ([`INBOX`], [`SENT`], ...).
type Place = (Name, &'static str);

/// One message: its final file name, and the (folder, temp name) of each of its files, the
/// delivery first.
struct Staged {
    file: String,
    temps: Vec<(Place, String)>,
}

impl<'b> Commit<'b> {
    /// A commit of about `count` messages.
    fn new(bridge: &'b Bridge, count: usize) -> Commit<'b> {
        Commit {
            bridge,
            file_by_file: count <= FILE_BY_FILE_MAX,
            folders: HashMap::new(),
            staged: Vec::new(),
        }
    }

    /// Writes `out`'s temp files, durable already in a small commit, not visible yet. An error
    /// leaves nothing of it behind and is this message's alone.
    fn add(&mut self, out: Outgoing) -> Result<()> {
        let json = self.bridge.wire_json(out.message)?;
        let file = format!("{}.json", out.message.id);
        let delivery = (out.to.clone(), out.place);
        let (temp, written) = self.folder(&delivery)?.write_temp(json.as_bytes())?;
        let mut temps = vec![(delivery, temp)];
        let copy = out.copy_for.filter(|me| *me != out.to);
        let done = match copy {
            Some(me) => self
                .copy(&temps[0], me, json.as_bytes())
                .map(|t| temps.push(t)),
            None => Ok(()),
        }
        // After the link, so the count of names is on disk with the data.
        .and_then(|()| self.sync_file(&written, &temps[0]));
        drop(written);
        if let Err(e) = done {
            self.discard(&temps);
            return Err(e);
        }
        self.staged.push(Staged { file, temps });
        Ok(())
    }

    /// The sender's copy of the temp file `delivery`, under a temp name in `me`'s `sent/`.
    fn copy(
        &mut self,
        delivery: &(Place, String),
        me: &Name,
        json: &[u8],
    ) -> Result<(Place, String)> {
        let place = (me.clone(), SENT);
        self.folder(&place)?;
        let (from, sent) = (&self.folders[&delivery.0], &self.folders[&place]);
        let temp = ids::temp_name();
        if from.link_to(&delivery.1, sent, &temp).is_ok() {
            return Ok((place, temp));
        }
        let (temp, written) = sent.write_temp(json)?;
        let copy = (place, temp);
        self.sync_file(&written, &copy).map(|()| copy)
    }

    fn sync_file(&self, file: &std::fs::File, (place, temp): &(Place, String)) -> Result<()> {
        if !self.file_by_file {
            return Ok(());
        }
        file.sync_all()
            .map_err(|e| Error::io("write", &self.folders[place].path().join(temp), e))
    }

    fn folder(&mut self, place: &Place) -> Result<&Dir> {
        if !self.folders.contains_key(place) {
            let mailbox = self.bridge.mailbox(&place.0);
            let dir = match place.1 {
                INBOX => mailbox.inbox_for_writing()?,
                SCHEDULED => {
                    mailbox.ensure()?;
                    mailbox.folder(SCHEDULED, true)?
                }
                other => mailbox.folder(other, true)?,
            };
            self.folders.insert(place.clone(), dir);
        }
        Ok(&self.folders[place])
    }

    /// Makes every added message durable and visible; one result per [`Commit::add`] that
    /// succeeded, in order. A message whose delivery cannot be renamed into place is taken
    /// back whole (its copy too).
    fn finish(self) -> Vec<Result<()>> {
        if self.staged.is_empty() {
            return Vec::new();
        }
        if !self.file_by_file
            && let Err((path, e)) = self.sync_all()
        {
            self.staged.iter().for_each(|s| self.discard(&s.temps));
            return self
                .staged
                .iter()
                .map(|_| Err(Error::io("sync", path, clone_io(&e))))
                .collect();
        }
        let mut results: Vec<Result<()>> = self.staged.iter().map(|s| self.rename(s)).collect();
        if let Err((path, e)) = self.sync_all() {
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(Error::io("sync", path, clone_io(&e)));
            }
        }
        results
    }

    /// Renames one message's files into place: the delivery first, then the copy. A copy that
    /// cannot be renamed takes the delivery back, unless a reader claimed it in that instant:
    /// then it was sent, and only the copy is missing.
    fn rename(&self, staged: &Staged) -> Result<()> {
        for (i, (place, temp)) in staged.temps.iter().enumerate() {
            let dir = &self.folders[place];
            if let Err(e) = dir.rename(temp, dir, &staged.file, true) {
                self.discard(&staged.temps);
                if i > 0 {
                    let delivered = &self.folders[&staged.temps[0].0];
                    if let Err(gone) = delivered.remove(&staged.file)
                        && gone.kind() == std::io::ErrorKind::NotFound
                    {
                        return Ok(());
                    }
                }
                return Err(Error::io("write", &dir.path().join(&staged.file), e));
            }
        }
        Ok(())
    }

    /// Removes temp files (those already renamed are gone from their temp names).
    fn discard(&self, temps: &[(Place, String)]) {
        for (place, temp) in temps {
            let _ = self.folders[place].remove(temp);
        }
    }

    /// Makes what was written (before the renames) or renamed (after them) durable: each
    /// folder's fsync in a small commit, a `syncfs` per filesystem the folders live on (nearly
    /// always one) in a large one. On failure, the folder whose sync failed.
    fn sync_all(&self) -> std::result::Result<(), (&std::path::Path, std::io::Error)> {
        let mut devices = Vec::new();
        for dir in self.folders.values() {
            let synced = if self.file_by_file {
                dir.sync()
            } else {
                match rfs::fstat(dir.fd()) {
                    Ok(st) if devices.contains(&st.st_dev) => Ok(()),
                    Ok(st) => {
                        devices.push(st.st_dev);
                        rfs::syncfs(dir.fd()).map_err(Into::into)
                    }
                    Err(e) => Err(e.into()),
                }
            };
            synced.map_err(|e| (dir.path(), e))?;
        }
        Ok(())
    }
}

fn clone_io(e: &std::io::Error) -> std::io::Error {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(e.kind(), e.to_string()),
    }
}
