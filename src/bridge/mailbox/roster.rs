//! The mailboxes on a bridge and what waits in each.

use super::super::error::{Error, Result};
use super::super::{Bridge, Name};
use super::{INBOX, Mailbox, is_message_file};

impl Mailbox {
    /// Whether `file` still waits in the inbox: one `stat`.
    pub fn is_pending(&self, file: &str) -> bool {
        super::is_message_file(file)
            && self
                .existing(INBOX)
                .ok()
                .flatten()
                .is_some_and(|inbox| inbox.stat(file).is_ok())
    }

    /// How many messages wait in the inbox: a directory listing, nothing parsed. An inbox that
    /// cannot be listed is an error, never 0.
    pub fn pending_count(&self) -> Result<usize> {
        let Some(inbox) = self.existing(INBOX)? else {
            return Ok(0);
        };
        let mut n = 0;
        inbox
            .each_entry(|f| n += usize::from(is_message_file(f)))
            .map_err(|e| Error::io("list", inbox.path(), e))?;
        Ok(n)
    }
}

impl Bridge {
    /// Names of all known mailboxes (`to-<name>` directories with valid names).
    pub fn mailboxes(&self) -> Vec<Name> {
        let mut names: Vec<Name> = std::fs::read_dir(self.root())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let n = e.file_name();
                Name::new(n.to_str()?.strip_prefix("to-")?).ok()
            })
            .collect();
        names.sort();
        names
    }

    /// Recipients of a broadcast from `from`: every online agent, or every known one (then
    /// without probing anyone's presence).
    pub fn broadcast_targets(&self, from: &Name, include_offline: bool) -> Vec<Name> {
        let mut names = self.known_names();
        names.retain(|n| n != from);
        if !include_offline {
            names.retain(|n| self.is_online(n));
        }
        names
    }
}
