//! One message to every other online agent (or every known one): one copy per recipient, and
//! a recipient that cannot be written to does not stop the others.

use super::error::Result;
use super::message::{Draft, Message, Priority};
use super::{Bridge, Name};

/// One recipient of a broadcast and what became of its copy.
#[derive(Debug)]
pub struct Recipient {
    pub to: Name,
    /// The message written for it (text in plain form), or why it could not be.
    pub sent: Result<Message>,
}

impl Bridge {
    /// Sends `text` from `from` to every other online agent, or every known one with
    /// `include_offline`. Empty when there is nobody to send to.
    pub fn broadcast(
        &self,
        from: &Name,
        text: &str,
        priority: Priority,
        include_offline: bool,
    ) -> Vec<Recipient> {
        self.broadcast_targets(from, include_offline)
            .into_iter()
            .map(|to| {
                let mut draft = Draft::new(to.as_str(), text);
                draft.priority = priority;
                let sent = self.send(from, draft);
                Recipient { to, sent }
            })
            .collect()
    }
}
