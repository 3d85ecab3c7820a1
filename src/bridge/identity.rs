//! Choosing and changing a running agent's name: a fresh generated name, and the rename that
//! takes a new name, carries the pending mail across and tells the others.

use super::error::{Error, Result};
use super::fsutil::is_not_found;
use super::mailbox::{INBOX, Problem, SCHEDULED, is_message_file};
use super::{Bridge, Name, Presence, names, notices};

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
    /// Removes `name`'s mailbox (inbox, history, receipts, bad/) and its presence files, e.g. a
    /// mailbox a typo created. Refuses a live agent, and pending mail unless `force`. Returns
    /// how many pending messages went with it.
    pub fn forget(&self, name: &Name, force: bool) -> Result<usize> {
        let agent = self.agent(name);
        if agent.online || self.live_elsewhere(name).is_some() {
            return Err(Error::NameTaken {
                name: name.to_string(),
                detail: "stop it before forgetting its mailbox".into(),
            });
        }
        let pending = self.mailbox(name).pending_count()?;
        if pending > 0 && !force {
            return Err(Error::PendingMail {
                name: name.to_string(),
                count: pending,
            });
        }
        let mut found = false;
        match self.folder(name, "", false) {
            // Opened without following a link, so what is removed is the real folder in the
            // bridge; remove_dir_all never follows links inside it.
            Ok(dir) => {
                found = true;
                std::fs::remove_dir_all(dir.path())
                    .map_err(|e| Error::io("remove", dir.path(), e))?;
            }
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e),
        }
        if let Ok(status) = self.dir(&["status"], false) {
            for file in [format!("{name}-heartbeat.json"), format!("{name}.lock")] {
                found |= status.remove(&file).is_ok();
            }
        }
        if !found {
            return Err(Error::UnknownAgent(name.to_string()));
        }
        Ok(pending)
    }

    /// Whether anyone has used `name` on this bridge (a mailbox or a heartbeat).
    pub fn is_known(&self, name: &Name) -> bool {
        self.folder(name, "", false).is_ok() || self.heartbeat(name).is_some()
    }

    /// A note for a message about to be queued for a name nobody has used yet (often a typo),
    /// naming the closest known agents. None when the name is known.
    pub fn new_name_note(&self, to: &Name) -> Option<String> {
        if self.is_known(to) {
            return None;
        }
        let known: Vec<Name> = self.agents().into_iter().map(|a| a.name).collect();
        let close = names::closest(to.as_str(), known.iter().map(Name::as_str));
        let guess = match close.as_slice() {
            [] => String::new(),
            some => format!(" (did you mean {}?)", some.join(" or ")),
        };
        Some(format!(
            "nobody has used the name {to} on this bridge yet: the message waits in a new \
             mailbox until an agent takes that name{guess}"
        ))
    }

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
        self.mailbox(to).ensure()?;
        let (mut moved, mut left) = (0, Vec::new());
        // Scheduled messages are pending too: they would otherwise fall due under the old name.
        for sub in [INBOX, SCHEDULED] {
            let (n, stuck) = self.move_folder(from, to, sub)?;
            moved += n;
            left.extend(stuck);
        }
        Ok((moved, left))
    }

    /// Moves every message file of folder `sub` of `from`'s mailbox into `to`'s, each by one
    /// rename; a name that exists there already stays and is reported.
    fn move_folder(&self, from: &Name, to: &Name, sub: &str) -> Result<(usize, Vec<Problem>)> {
        let src = match self.folder(from, sub, false) {
            Err(e) if is_not_found(&e) => return Ok((0, Vec::new())),
            other => other?,
        };
        let dst = self.folder(to, sub, true)?;
        let entries = src
            .entries()
            .map_err(|e| Error::io("read", src.path(), e))?;
        let mut moved = 0;
        let mut left = Vec::new();
        for file in entries {
            let regular = src.stat(&file).is_ok_and(|st| {
                rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
            });
            if !is_message_file(&file) || !regular {
                continue;
            }
            let stuck = |reason: String| Problem::Stuck {
                file: format!("to-{from}/{sub}/{file}"),
                reason,
            };
            match src.rename(&file, &dst, &file, false) {
                Ok(()) => moved += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {} // claimed meanwhile
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    left.push(stuck(format!("to-{to}/{sub}/{file} already exists")))
                }
                Err(e) => left.push(stuck(e.to_string())),
            }
        }
        if moved > 0 {
            let _ = dst.sync();
            let _ = src.sync();
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
        let mut targets = self.broadcast_targets(new, false);
        targets.retain(|to| to != old.name());
        let notice_for = |to: &Name| notices::renamed(to, old.name(), new);
        let told = self
            .send_each(new, targets, notice_for, true)
            .into_iter()
            .filter(|r| r.sent.is_ok())
            .map(|r| r.to)
            .collect();
        Ok(Renamed {
            presence,
            moved,
            left,
            told,
        })
    }
}
