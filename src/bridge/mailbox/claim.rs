//! Claiming: a message is read when the rename of its file from `inbox/` to `done/` succeeds,
//! and only the reader whose rename succeeds hands it out. Receipts, put-backs, expiry and
//! quarantine moves live here too.

use super::super::error::{Error, Result};
use super::super::fsutil::Dir;
use super::super::message::Message;
use super::super::{Name, clock};
use super::{BAD, DONE, INBOX, Mailbox, RECEIPTS, file_of, receipt_name};

/// The folders of one mailbox a pass works in: the inbox opened once, `done/` and `receipts/`
/// when the first claim needs them (created if missing).
pub(super) struct Boxes {
    name: Name,
    mailbox: Dir,
    pub(super) inbox: Dir,
    done: Option<Dir>,
    receipts: Option<Dir>,
    pub(super) receipts_failed: Option<String>,
}

impl Boxes {
    /// None when the mailbox or its inbox does not exist yet.
    pub(super) fn open(mailbox: &Mailbox) -> Result<Option<Boxes>> {
        let Some(top) = mailbox.existing("")? else {
            return Ok(None);
        };
        let inbox = match top.sub(INBOX, false) {
            Err(e) if super::is_not_found(&e) => return Ok(None),
            other => other?,
        };
        Ok(Some(Boxes {
            name: mailbox.name.clone(),
            mailbox: top,
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
    pub(super) fn move_to_done(&mut self, file: &str) -> Result<bool> {
        let (inbox, done) = self.both()?;
        match inbox.rename(file, done, file, true) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("move to done/", &inbox.path().join(file), e)),
        }
    }

    /// Undoes a claim: back into the inbox, receipt removed.
    pub(super) fn unclaim(&mut self, file: &str) -> Result<()> {
        let (inbox, done) = self.both()?;
        done.rename(file, inbox, file, false)
            .map_err(|e| Error::io("put back", &done.path().join(file), e))?;
        if let Ok(receipts) = self.receipts() {
            let _ = receipts.remove(&receipt_name(file));
        }
        Ok(())
    }

    /// One directory fsync per pass, not per message: the renames are durable together.
    pub(super) fn sync(&self) {
        if let Some(done) = &self.done {
            let _ = done.sync();
        }
        let _ = self.inbox.sync();
    }
}

impl Mailbox {
    /// Claims the message file `file` that a peeking pass handed out (after the caller passed
    /// it on): moved to `done/` with a receipt. False when it is no longer in the inbox.
    pub fn claim_file(&self, file: &str, message: &Message) -> Result<bool> {
        let claimed = self.claim_files(&[(file, message.id.as_str())]);
        claimed.into_iter().next().unwrap_or(Ok(false))
    }

    /// As [`Mailbox::claim_file`] for several `(file, id)` pairs, with one directory sync.
    pub fn claim_files(&self, files: &[(&str, &str)]) -> Vec<Result<bool>> {
        let mut boxes = match Boxes::open(self) {
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
    pub fn ack(&self, id: &str) -> Result<bool> {
        let file = file_of(id)?;
        let Some(mut boxes) = Boxes::open(self)? else {
            return Err(self.unknown(id));
        };
        if self.claim_in(&mut boxes, &file, id)? {
            boxes.sync();
            return Ok(true);
        }
        if boxes.done()?.stat(&file).is_ok() {
            Ok(false)
        } else {
            Err(self.unknown(id))
        }
    }

    /// Moves a message from inbox to done and writes its receipt. Only the reader whose rename
    /// succeeds gets `true`, so two readers never hand out the same message.
    pub(super) fn claim_in(&self, boxes: &mut Boxes, file: &str, id: &str) -> Result<bool> {
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

    /// Moves `file` from the folder `from` of this mailbox into `bad/`, never over another file
    /// there, and writes `reason` beside it when given (`<file>.reason`; readers ignore that
    /// name).
    pub fn move_to_bad(&self, from: &str, file: &str, reason: Option<&str>) -> Result<()> {
        let src = self.folder(from, false)?;
        let bad = self.folder(BAD, true)?;
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
}
