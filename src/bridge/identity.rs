//! Choosing and changing a running agent's name: a fresh generated name, and the rename that
//! takes a new name, carries the pending mail across and tells the others.

use std::fs;

use super::error::{Error, Result};
use super::mailbox::{Problem, is_message_file};
use super::{Bridge, Draft, Name, Presence, names};

/// What a rename did besides taking the new name.
#[derive(Debug)]
pub struct Renamed {
    pub presence: Presence,
    /// Pending messages moved from the old inbox to the new one.
    pub moved: usize,
    /// Pending messages that could not be moved and still wait under the old name.
    pub left: Vec<Problem>,
    /// Online agents that were sent a `status` message about the new name.
    pub told: Vec<Name>,
}

impl Bridge {
    /// A generated adjective-animal name that no known agent (heartbeat, lock or mailbox) uses.
    pub fn unused_name(&self) -> Name {
        let known = self.agents();
        let name = names::generate(|n| known.iter().any(|a| a.name.as_str() == n));
        Name::new(&name).unwrap_or_else(|_| unreachable!("generated names are valid: {name}"))
    }

    /// Moves every pending message file of `from` into `to`'s inbox, each by one rename, so a
    /// message is always in exactly one inbox. A file whose name already exists in `to`'s inbox
    /// stays where it is and is reported, never overwritten.
    pub fn move_pending(&self, from: &Name, to: &Name) -> Result<(usize, Vec<Problem>)> {
        self.ensure_mailbox(to)?;
        let src = self.inbox_dir(from);
        let dst = self.inbox_dir(to);
        let entries = match fs::read_dir(&src) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, Vec::new())),
            Err(e) => return Err(Error::io("read inbox", &src, e)),
        };
        let mut moved = 0;
        let mut left = Vec::new();
        for entry in entries.flatten() {
            let os_name = entry.file_name();
            let Some(file) = os_name.to_str() else {
                continue;
            };
            if !is_message_file(file) || !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let stuck = |reason: String| Problem::Stuck {
                file: format!("to-{from}/inbox/{file}"),
                reason,
            };
            if fs::symlink_metadata(dst.join(file)).is_ok() {
                left.push(stuck(format!("to-{to}/inbox/{file} already exists")));
                continue;
            }
            match fs::rename(entry.path(), dst.join(file)) {
                Ok(()) => moved += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {} // claimed meanwhile
                Err(e) => left.push(stuck(e.to_string())),
            }
        }
        if moved > 0 {
            let _ = super::fsutil::sync_dir(&dst);
            let _ = super::fsutil::sync_dir(&src);
        }
        Ok((moved, left))
    }

    /// The running agent `old` becomes `new`: takes `new`'s presence (failing if a live agent
    /// holds it), writes `old`'s offline heartbeat, moves `old`'s pending mail to `new`, and
    /// sends every online agent a `status` message naming the change. The caller drops `old`
    /// afterwards, which releases its lock.
    pub fn rename(&self, old: &Presence, new: &Name) -> Result<Renamed> {
        let presence = self.go_online(new)?;
        let _ = old.leave(&format!("renamed to {new}"));
        let (moved, left) = self.move_pending(old.name(), new)?;
        let text = format!(
            "{} is now called {new}; send to {new} from now on.",
            old.name()
        );
        let mut told = Vec::new();
        for to in self.broadcast_targets(new, false) {
            if to == *old.name() {
                continue;
            }
            let mut notice = Draft::new(to.as_str(), &text);
            notice.kind = "status".into();
            if self.send_notice(new, notice).is_ok() {
                told.push(to);
            }
        }
        Ok(Renamed {
            presence,
            moved,
            left,
            told,
        })
    }
}
