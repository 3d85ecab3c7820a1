//! A message's life, looked up by id: scheduled → queued → read → answered, or expired. Each
//! step leaves a file named by the id, so the state costs one `stat` per place, never a scan.
//!
//! Where the recipient is found: the sender's copy `to-<me>/sent/<id>.json` names it; for an
//! id that is not ours every known mailbox is tried (still one stat per place per mailbox).
//! A reply records `to-<replier>/answers/<id>.json` naming the reply, so "answered" is one
//! stat in the original recipient's mailbox too.

use serde_json::{Value, json};

use super::error::{Error, Result};
use super::fsutil::{Unreadable, is_not_found};
use super::mailbox::{ANSWERS, DONE, INBOX, RECEIPTS, RELAYED, SCHEDULED, SENT};
use super::message::Message;
use super::{Bridge, Name, clock, ids};

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting in the recipient's `scheduled/` for its time.
    Scheduled,
    /// In the recipient's inbox.
    Queued,
    /// Handed to another host, where the recipient lives (`cc2cc relay`), and not read yet.
    Relayed,
    /// Claimed by the recipient (in `done/`, with a receipt).
    Read,
    /// The recipient replied to it.
    Answered,
    /// Its ttl ran out before anyone read it.
    Expired,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Scheduled => "scheduled",
            State::Queued => "queued",
            State::Relayed => "relayed",
            State::Read => "read",
            State::Answered => "answered",
            State::Expired => "expired",
        }
    }
}

/// What `status` reports. Times are RFC 3339 strings as the files hold them.
#[derive(Debug, Clone)]
pub struct Status {
    pub id: String,
    pub state: State,
    /// The recipient (the mailbox it was found in).
    pub to: Name,
    /// Which folder of that mailbox holds the message: inbox, done, scheduled.
    pub place: &'static str,
    pub from: Option<String>,
    /// The message's timestamp (for a scheduled message: when it is due).
    pub sent_at: Option<String>,
    pub expires_at: Option<String>,
    pub read_at: Option<String>,
    pub read_by: Option<String>,
    pub reply_id: Option<String>,
    pub answered_at: Option<String>,
}

impl Status {
    /// The stable JSON shape of `status --json` and the `message_status` tool.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "state": self.state.as_str(),
            "to": self.to.as_str(),
            "from": self.from,
            "place": self.place,
            "sent_at": self.sent_at,
            "expires_at": self.expires_at,
            "read_at": self.read_at,
            "read_by": self.read_by,
            "reply_id": self.reply_id,
            "answered_at": self.answered_at,
        })
    }

    /// One sentence for people. Fields come from files other agents wrote: the caller
    /// sanitises before a terminal sees them.
    pub fn describe(&self) -> String {
        let unknown = || "an unknown time".to_owned();
        let (id, to) = (&self.id, &self.to);
        match self.state {
            State::Scheduled => format!(
                "{id}: scheduled for {to}, due {}",
                self.sent_at.clone().unwrap_or_else(unknown)
            ),
            State::Queued => format!(
                "{id}: queued in {to}'s inbox since {}",
                self.sent_at.clone().unwrap_or_else(unknown)
            ),
            State::Relayed => format!(
                "{id}: relayed to {to}'s host, not read yet (sent {})",
                self.sent_at.clone().unwrap_or_else(unknown)
            ),
            State::Read => format!(
                "{id}: read by {} at {}",
                self.read_by.as_deref().unwrap_or(to.as_str()),
                self.read_at.clone().unwrap_or_else(unknown)
            ),
            State::Answered => format!(
                "{id}: answered by {to} with {} at {}",
                self.reply_id.as_deref().unwrap_or("a reply"),
                self.answered_at.clone().unwrap_or_else(unknown)
            ),
            State::Expired => format!(
                "{id}: expired unread in {to}'s {} at {}",
                if self.place == "done" {
                    "mailbox"
                } else {
                    "inbox"
                },
                self.expires_at.clone().unwrap_or_else(unknown)
            ),
        }
    }
}

impl Bridge {
    /// The state of message `id`, looked up for `me` (whose sent copy names the recipient)
    /// or, failing that, in every mailbox.
    pub fn status(&self, id: &str, me: Option<&Name>) -> Result<Status> {
        if !ids::is_safe_id(id) {
            return Err(Error::InvalidId(id.chars().take(80).collect()));
        }
        let file = format!("{id}.json");
        let mut tried = Vec::new();
        if let Some(me) = me
            && let Some(copy) = self.read_json(me, SENT, &file)?
            && let Some(to) = copy["to"].as_str().and_then(|t| Name::new(t).ok())
        {
            if let Some(s) = self.status_in(&to, id)? {
                return Ok(s);
            }
            tried.push(to);
        }
        // Not ours, or no longer where we sent it (a renamed agent takes its pending mail):
        // our own mailbox first (a message we received), then every other.
        let mut names = self.mailboxes();
        if let Some(me) = me
            && let Some(i) = names.iter().position(|n| n == me)
        {
            names[..=i].rotate_right(1);
        }
        for name in names.iter().filter(|n| !tried.contains(n)) {
            if let Some(s) = self.status_in(name, id)? {
                return Ok(s);
            }
        }
        Err(Error::NoSuchMessage(id.into()))
    }

    /// The state of `id` in `to`'s mailbox, None when it is not there. The places are tried
    /// from the end of a message's life back to its start.
    fn status_in(&self, to: &Name, id: &str) -> Result<Option<Status>> {
        let file = format!("{id}.json");
        let answer = self.read_json(to, ANSWERS, &file)?;
        let receipt = self.read_json(to, RECEIPTS, &format!("{id}.receipt.json"))?;
        let at = |sub: &str| self.read_json(to, sub, &file);
        let (place, found) = if answer.is_some() || receipt.is_some() {
            ("done", at(DONE)?)
        } else if let Some(v) = at(DONE)? {
            ("done", Some(v))
        } else if let Some(v) = at(INBOX)? {
            ("inbox", Some(v))
        } else if let Some(v) = at(SCHEDULED)? {
            ("scheduled", Some(v))
        } else if let Some(v) = at(RELAYED)? {
            // Left for another host; its receipt comes back here when it is read there.
            ("relayed", Some(v))
        } else {
            return Ok(None);
        };
        let message: Option<Message> = found.and_then(|v| serde_json::from_value(v).ok());
        let now = clock::now();
        let expired = message.as_ref().is_some_and(|m| m.is_expired(now));
        let state = match place {
            _ if answer.is_some() => State::Answered,
            _ if receipt.is_some() => State::Read,
            "scheduled" => State::Scheduled,
            "relayed" => State::Relayed,
            // In done/ without a receipt: retired unread once its ttl ran out. (A claim writes
            // the receipt just after its rename; in that instant the message counts as read.)
            "done" if expired => State::Expired,
            "done" => State::Read,
            // Past its ttl but not yet retired: no reader will ever be handed it.
            _ if expired => State::Expired,
            _ => State::Queued,
        };
        let field =
            |v: &Option<Value>, k: &str| v.as_ref().and_then(|v| v[k].as_str()).map(str::to_owned);
        Ok(Some(Status {
            id: id.to_owned(),
            state,
            to: to.clone(),
            place,
            from: message.as_ref().map(|m| m.from.clone()),
            sent_at: message.as_ref().map(|m| m.timestamp.clone()),
            expires_at: message
                .as_ref()
                .and_then(Message::expires_at)
                .map(clock::format),
            read_at: field(&receipt, "delivered_at"),
            read_by: field(&receipt, "delivered_to"),
            reply_id: field(&answer, "reply_id"),
            answered_at: field(&answer, "answered_at"),
        }))
    }

    /// Records in `to-<me>/answers/<id>.json` that `me` answered message `id` with `reply`,
    /// for `status`.
    pub(super) fn record_answer(&self, me: &Name, id: &str, reply: &Message) {
        if ids::is_safe_id(id) {
            let marker = json!({
                "msg_id": id,
                "reply_id": reply.id,
                "answered_at": reply.timestamp,
                "answered_by": me.as_str(),
            });
            let json = serde_json::to_string_pretty(&marker).unwrap_or_default();
            // Advisory, like a receipt: the reply is sent whatever happens here.
            let _ = self
                .folder(me, ANSWERS, true)
                .and_then(|dir| dir.write_atomic(&format!("{id}.json"), json.as_bytes(), false));
        }
    }
}

impl Bridge {
    /// The JSON file `file` in folder `sub` of `name`'s mailbox: None when it (or the folder)
    /// does not exist, `Null` when it exists but is not JSON; an error when it cannot be read
    /// (never "nothing" when the truth is "could not read"), a symlinked folder included.
    fn read_json(&self, name: &Name, sub: &str, file: &str) -> Result<Option<Value>> {
        let dir = match self.folder(name, sub, false) {
            Err(e) if is_not_found(&e) => return Ok(None),
            other => other?,
        };
        match dir.read(file, 4 * 1024 * 1024) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).unwrap_or(Value::Null))),
            Err(Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", &dir.path().join(file), e.into())),
        }
    }
}
