//! The `status` notices the bridge writes on an agent's behalf: an expiry told to the sender, a
//! rename told to the online agents, the wake a server leaves in its own inbox. Each is built
//! here, so every notice is a `status` message and readers can tell them from what agents said.

use std::time::SystemTime;

use super::message::{Draft, Kind, Message};
use super::{Name, clock};

/// A `status` notice to `to` saying `text`.
pub fn status(to: &Name, text: &str) -> Draft {
    let mut notice = Draft::new(to.as_str(), text);
    notice.kind = Kind::Status;
    notice
}

/// The notice to the sender of `m`, which expired unread in `reader`'s inbox, linked to it by
/// `replyTo`. None when `m` was itself a notice (two agents must never bounce notices forever)
/// or its sender's name is not valid.
pub fn expired(reader: &Name, m: &Message, now: SystemTime) -> Option<Draft> {
    if m.kind == Kind::Status.as_str() {
        return None;
    }
    let sender = Name::new(&m.from).ok()?;
    let ttl = m.ttl().map(|d| humantime::format_duration(d).to_string());
    let text = format!(
        "Your message {} to {reader} expired unread (sent {}, ttl {}, now {}).",
        m.id,
        m.timestamp,
        ttl.unwrap_or_default(),
        clock::format(now),
    );
    let mut notice = status(&sender, &text);
    notice.reply_to = Some(m.id.clone());
    Some(notice)
}

/// The notice telling `to` that the agent `old` is now called `new`.
pub fn renamed(to: &Name, old: &Name, new: &Name) -> Draft {
    status(
        to,
        &format!("{old} is now called {new}; send to {new} from now on."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_never_answered_by_another_notice() {
        let (a, b) = (Name::new("a").unwrap(), Name::new("b").unwrap());
        let m = Message::new("a", Draft::new("b", "hi"));
        let notice = expired(&b, &m, clock::now()).unwrap();
        assert_eq!((notice.kind, notice.to.as_str()), (Kind::Status, "a"));
        assert_eq!(notice.reply_to.as_deref(), Some(m.id.as_str()));
        let bounced = Message::new("b", notice);
        assert!(expired(&a, &bounced, clock::now()).is_none());
    }
}
