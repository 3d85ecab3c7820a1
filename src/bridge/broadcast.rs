//! One message to many: a broadcast to every other online agent (or every known one), and the
//! notices the bridge sends to many. Each recipient gets its own copy, and one that cannot be
//! written to does not stop the others.

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
        let targets = self.broadcast_targets(from, include_offline);
        let draft_for = |to: &Name| {
            let mut draft = Draft::new(to.as_str(), text);
            draft.priority = priority;
            draft
        };
        self.send_each(from, targets, draft_for, false)
    }

    /// Writes `draft_for(to)` from `from` for each of `targets`: the one loop that writes a
    /// message to many. A `notice` keeps no sender's copy (see [`Bridge::send_notice`]).
    pub(super) fn send_each(
        &self,
        from: &Name,
        targets: Vec<Name>,
        draft_for: impl Fn(&Name) -> Draft,
        notice: bool,
    ) -> Vec<Recipient> {
        targets
            .into_iter()
            .map(|to| {
                let draft = draft_for(&to);
                let sent = if notice {
                    self.send_notice(from, draft)
                } else {
                    self.send(from, draft)
                };
                Recipient { to, sent }
            })
            .collect()
    }
}
