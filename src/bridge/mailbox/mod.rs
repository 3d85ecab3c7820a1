//! One agent's mailbox (`to-<name>/`): [`Mailbox`] is the handle, and its jobs live apart:
//! `write` (Maildir delivery, batched commits), `read` (listing in sending order and the
//! reading pass), `claim` (exactly-once renames into `done/`, receipts, expiry) and `roster`
//! (the mailboxes on the bridge and what waits in each).

mod claim;
mod read;
mod roster;
mod write;

use std::time::{Duration, SystemTime};

use super::error::{Error, Result};
use super::fsutil::{Dir, is_not_found};
use super::message::Message;
use super::{Bridge, Name, clock, ids};

pub use read::{Mode, Newest, Pass, Recall, Report};

pub const INBOX: &str = "inbox";
pub const DONE: &str = "done";
pub const RECEIPTS: &str = "receipts";
pub const BAD: &str = "bad";
pub const SENT: &str = "sent";
pub const SCHEDULED: &str = "scheduled";
pub const ANSWERS: &str = "answers";
pub const RELAYED: &str = "relayed";

/// One agent's mailbox on a bridge. Cheap to clone: a bridge handle and a validated name.
#[derive(Debug, Clone)]
pub struct Mailbox {
    bridge: Bridge,
    name: Name,
}

impl Bridge {
    /// The mailbox of `name` (nothing is opened or created until an operation needs it).
    pub fn mailbox(&self, name: &Name) -> Mailbox {
        Mailbox {
            bridge: self.clone(),
            name: name.clone(),
        }
    }
}

impl Mailbox {
    pub fn name(&self) -> &Name {
        &self.name
    }

    pub fn bridge(&self) -> &Bridge {
        &self.bridge
    }

    /// One folder of this mailbox (`inbox`, `done`, …), never through a link.
    fn folder(&self, sub: &str, create: bool) -> Result<Dir> {
        self.bridge.folder(&self.name, sub, create)
    }

    /// The folder, or None when it does not exist yet.
    fn existing(&self, sub: &str) -> Result<Option<Dir>> {
        match self.folder(sub, false) {
            Err(e) if is_not_found(&e) => Ok(None),
            other => other.map(Some),
        }
    }

    /// Creates `to-<name>/{inbox,done,receipts}`.
    pub fn ensure(&self) -> Result<()> {
        let mailbox = self.folder("", true)?;
        for sub in [INBOX, DONE, RECEIPTS] {
            mailbox.sub(sub, true)?;
        }
        Ok(())
    }

    fn unknown(&self, id: &str) -> Error {
        Error::UnknownMessage {
            id: id.into(),
            agent: self.name.to_string(),
        }
    }
}

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
    /// Only messages after this place in sending order (what [`Pass::newest`] gave an earlier
    /// pass): a backlog already announced is left alone.
    pub after: Option<Newest>,
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

/// A finished conversation keeps its files; temp files of writers that died are cleared later.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

pub(crate) fn remove_if_stale(dir: &Dir, file: &str) {
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

fn receipt_name(file: &str) -> String {
    format!("{}.receipt.json", file.trim_end_matches(".json"))
}

/// Readers ignore dot files (temp files in flight) and anything not named `*.json`.
pub(crate) fn is_message_file(file: &str) -> bool {
    !file.starts_with('.') && file.ends_with(".json")
}
