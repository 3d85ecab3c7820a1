//! Which inbox files a reader that presents new mail (the plugin's monitor, the channel push)
//! looks at next, so that its cost follows the work and not the backlog.
//!
//! An event names the file that arrived, and only that file is read. Whole-inbox passes are
//! kept for the start, for lost events, and for a slow safety timer that skips an inbox whose
//! modification time has not changed. The first pass presents only the oldest few of a
//! backlog; the caller announces the rest in one line, and later passes leave that backlog to
//! `check_inbox` instead of presenting it one event at a time.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;

use super::Filter;
use super::error::Result;
use super::mailbox::{Mailbox, Mode, Newest, Pass};
use super::watch::Change;

/// Messages the first pass presents; the rest of a backlog is announced in one line. A later
/// whole-inbox pass has no such bound: what it finds arrived after the start (its events were
/// lost), and the events it stands in for would have brought every one.
pub const FIRST_PASS: usize = 20;

/// What kind of pass [`Arrivals::pass`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassKind {
    /// The first look at the inbox: what [`Pass::remaining`] counts waits as a backlog.
    First,
    /// The files events named.
    Named,
    /// A whole-inbox pass after lost events or an unnoticed change.
    Rescan,
}

#[derive(Debug, Default)]
pub struct Arrivals {
    /// Files events named since the last pass.
    named: BTreeSet<String>,
    rescan: bool,
    started: bool,
    /// The newest message of the first pass's listing: it and older ones are the announced
    /// backlog.
    backlog_end: Option<Newest>,
    /// The inbox's (mtime, mtime ns, inode) at the last whole pass.
    stamp: Option<(i64, i64, u64)>,
}

impl Arrivals {
    /// Takes in what an event said.
    pub fn note(&mut self, change: Change) {
        match change {
            Change::Arrived(file) => drop(self.named.insert(file)),
            Change::Rescan => self.rescan = true,
        }
    }

    /// Starts over, as for a new inbox (the agent was renamed).
    pub fn restart(&mut self) {
        *self = Arrivals::default();
    }

    /// The safety timer: a whole pass when the inbox changed since the last one. Costs one
    /// `stat` when nothing happened.
    pub fn check(&mut self, mailbox: &Mailbox) {
        if self.stamp != stamp_of(mailbox) {
            self.rescan = true;
        }
    }

    /// True when a pass is due.
    pub fn due(&self) -> bool {
        !self.started || self.rescan || !self.named.is_empty()
    }

    /// The pass due now, if any: the first pass (bounded), a whole-inbox pass, or the files
    /// events named. `skip` names files the caller has presented or announced already.
    pub fn pass(
        &mut self,
        mailbox: &Mailbox,
        mode: Mode,
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<Option<(Pass, PassKind)>> {
        if !self.started || self.rescan {
            let first = !self.started;
            // Taken before the listing: a change during it makes the next check look again.
            let stamp = stamp_of(mailbox);
            let filter = Filter {
                limit: first.then_some(FIRST_PASS),
                after: self.backlog_end.clone(),
                ..Filter::default()
            };
            let pass = mailbox.pass(&filter, mode, skip)?;
            self.started = true;
            self.rescan = false;
            self.named.clear(); // the whole pass saw them
            self.stamp = stamp;
            if first {
                self.backlog_end = pass.newest();
            }
            let kind = if first {
                PassKind::First
            } else {
                PassKind::Rescan
            };
            return Ok(Some((pass, kind)));
        }
        if self.named.is_empty() {
            return Ok(None);
        }
        let files: Vec<String> = std::mem::take(&mut self.named)
            .into_iter()
            .filter(|f| !skip(f))
            .collect();
        let pass = mailbox.pass_named(&files, &Filter::default(), mode)?;
        Ok(Some((pass, PassKind::Named)))
    }
}

fn stamp_of(mailbox: &Mailbox) -> Option<(i64, i64, u64)> {
    let meta = std::fs::symlink_metadata(mailbox.bridge().inbox_dir(mailbox.name())).ok()?;
    Some((meta.mtime(), meta.mtime_nsec(), meta.ino()))
}
