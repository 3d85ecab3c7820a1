//! Sending as the front ends offer it: one message with what its sender should learn about the
//! recipient (online or queued, a name nobody used yet), and a reply to a message received.

use std::time::SystemTime;

use super::error::{Error, Result};
use super::message::{Draft, Kind, Message, Priority};
use super::{Bridge, Name};

/// How a send goes, beyond the draft.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendOptions {
    /// Refuse, instead of queueing, when the recipient is not online (the original's way).
    pub require_online: bool,
    /// Deliver at this time instead of now.
    pub at: Option<SystemTime>,
}

/// A message sent, and what its sender should know about the recipient.
#[derive(Debug)]
pub struct Sent {
    /// Text in plain form.
    pub message: Message,
    /// The recipient was online when the message was written; otherwise it is queued, waiting
    /// in the inbox until the recipient comes online.
    pub online: bool,
    /// For a name nobody has used on this bridge yet (often a typo): a note naming the closest
    /// known agents.
    pub new_name: Option<String>,
}

impl Bridge {
    /// Sends `draft` from `from`, now or at `options.at`, keeping the sender's copy.
    pub fn send_with(&self, from: &Name, draft: Draft, options: SendOptions) -> Result<Sent> {
        let to = Name::new(&draft.to)?;
        if options.require_online && !self.is_online(&to) {
            return Err(Error::RecipientOffline(to.to_string()));
        }
        // Asked before writing: afterwards the recipient has a mailbox, so its name is known.
        let new_name = self.new_name_note(&to);
        let message = match options.at {
            Some(due) => self.send_at(from, draft, due)?,
            None => self.send(from, draft)?,
        };
        // Asked after the write, off the path to a durable message (it reads the recipient's
        // lock and heartbeat); the answer is the same unless the recipient came or went.
        let online = options.require_online || self.is_online(&to);
        Ok(Sent {
            message,
            online,
            new_name,
        })
    }

    /// Answers message `id`, which `me` received: the reply goes to its sender with `replyTo`
    /// set (a reply to a task is a response), and is recorded for `status`.
    pub fn reply(&self, me: &Name, id: &str, text: &str, priority: Priority) -> Result<Sent> {
        let original = self.mailbox(me).find(id)?;
        let to = Name::new(&original.from).map_err(|e| Error::InvalidSender {
            id: id.into(),
            source: Box::new(e),
        })?;
        let mut draft = Draft::new(to.as_str(), text);
        draft.kind = match Kind::parse(&original.kind) {
            Some(Kind::Task) => Kind::Response,
            _ => Kind::Message,
        };
        draft.priority = priority;
        draft.reply_to = Some(original.id);
        let sent = self.send_with(me, draft, SendOptions::default())?;
        self.record_answer(me, id, &sent.message);
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> (tempfile::TempDir, Bridge, Name, Name) {
        let dir = tempfile::tempdir().unwrap();
        let b = Bridge::open(&dir.path().join("b")).unwrap();
        (dir, b, Name::new("ann").unwrap(), Name::new("bob").unwrap())
    }

    #[test]
    fn a_new_name_is_noted_and_require_online_refuses_before_writing() {
        let (_d, b, ann, bob) = names();
        let sent = b
            .send_with(&ann, Draft::new("bob", "hi"), SendOptions::default())
            .unwrap();
        assert!(!sent.online);
        assert!(sent.new_name.is_some_and(|n| n.contains("nobody has used")));
        let again = b.send_with(&ann, Draft::new("bob", "hi"), SendOptions::default());
        assert!(again.unwrap().new_name.is_none(), "bob has a mailbox now");
        let strict = SendOptions {
            require_online: true,
            at: None,
        };
        let refused = b.send_with(&ann, Draft::new("bob", "hi"), strict);
        assert!(matches!(refused, Err(Error::RecipientOffline(n)) if n == "bob"));
        assert_eq!(b.mailbox(&bob).pending_count().unwrap(), 2);
    }

    #[test]
    fn a_reply_to_a_task_is_a_response_and_a_bad_sender_keeps_its_cause() {
        let (_d, b, ann, bob) = names();
        let mut task = Draft::new("bob", "do it");
        task.kind = Kind::Task;
        let task = b.send(&ann, task).unwrap();
        let sent = b.reply(&bob, &task.id, "done", Priority::High).unwrap();
        let m = &sent.message;
        assert_eq!((m.to.as_str(), m.kind.as_str()), ("ann", "response"));
        assert_eq!(
            (m.priority.as_str(), m.reply_to.as_deref()),
            ("high", Some(task.id.as_str()))
        );

        let mut forged = Message::new("Not A Name", Draft::new("bob", "hi"));
        forged.id = "msg-forged".into();
        b.mailbox(&bob).deliver(&forged).unwrap();
        let e = b
            .reply(&bob, "msg-forged", "who?", Priority::Normal)
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidSender { id, .. } if id == "msg-forged"),
            "{e}"
        );
        let cause = std::error::Error::source(&e).map(|c| c.to_string());
        assert!(
            cause.is_some_and(|c| c.starts_with("invalid agent name")),
            "{e}"
        );
    }
}
