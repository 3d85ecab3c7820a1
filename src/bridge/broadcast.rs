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

    /// Writes `draft_for(to)` from `from` for each of `targets` in one batched commit (two
    /// filesystem syncs for the lot, not two per recipient): the one loop that writes a
    /// message to many. A `notice` keeps no sender's copy (see [`Bridge::send_notices`]).
    pub(super) fn send_each(
        &self,
        from: &Name,
        targets: Vec<Name>,
        draft_for: impl Fn(&Name) -> Draft,
        notice: bool,
    ) -> Vec<Recipient> {
        let drafts = targets.iter().map(draft_for).collect();
        let sent = if notice {
            self.send_notices(from, drafts)
        } else {
            self.send_many(from, drafts)
        };
        targets
            .into_iter()
            .zip(sent)
            .map(|(to, sent)| Recipient { to, sent })
            .collect()
    }
}
