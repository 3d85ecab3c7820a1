//! Noticing new files in an inbox: filesystem events as hints, or polling where events cannot
//! be trusted (network filesystems) or are not wanted.

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::error::{Error, Result};
use super::fsutil;

/// How often to rescan even when events are on: a cheap safety net for missed events.
pub const RESCAN_EVERY: Duration = Duration::from_secs(2);
/// Poll interval when events are unavailable and the caller did not choose one.
pub const DEFAULT_POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Events,
    /// Polling every interval, with the reason (for the log).
    Polling(Duration, String),
}

/// What an inbox event tells its reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A file was renamed into the inbox under this name: read that one file.
    Arrived(String),
    /// Events were lost or the folder itself changed: look at the whole inbox again.
    Rescan,
}

/// Calls `on_change` for each inbox event that can bring mail. The caller also rescans on a
/// timer of [`InboxWatcher::interval`], a safety net for events that never come.
pub struct InboxWatcher {
    _events: Option<RecommendedWatcher>,
    pub mode: Mode,
    dir: PathBuf,
    /// The folder's (device, inode) when the watch was set up: events follow that inode, so a
    /// folder removed and made again under the same name needs a new watch.
    identity: Option<(u64, u64)>,
    /// Set when an event says the watched folder itself went away (its inode may be reused by
    /// the new folder, so the identity alone cannot tell).
    gone: Arc<AtomicBool>,
    /// Set by any event that can add a file (a rename in, a creation, a closed write, lost
    /// events), whatever `on_change` makes of it: see [`InboxWatcher::grew`].
    grew: Arc<AtomicBool>,
}

impl InboxWatcher {
    pub fn start(
        dir: &Path,
        poll: Option<Duration>,
        on_change: impl Fn(Change) + Send + 'static,
    ) -> Result<InboxWatcher> {
        Self::start_with(dir, poll, false, on_change)
    }

    /// As [`InboxWatcher::start`] for the presence folder: a closed write there counts too,
    /// since a crashed agent's only trace is the kernel closing its lock file.
    pub fn start_presence(
        dir: &Path,
        poll: Option<Duration>,
        on_change: impl Fn(Change) + Send + 'static,
    ) -> Result<InboxWatcher> {
        Self::start_with(dir, poll, true, on_change)
    }

    fn start_with(
        dir: &Path,
        poll: Option<Duration>,
        closes: bool,
        on_change: impl Fn(Change) + Send + 'static,
    ) -> Result<InboxWatcher> {
        let identity = identity(dir);
        if let Some(every) = poll {
            return Ok(Self::polling(dir, every, "asked for".into()));
        }
        if let Some(fs) = fsutil::network_filesystem(dir) {
            return Ok(Self::polling(
                dir,
                DEFAULT_POLL,
                format!("{fs} is a network filesystem: events from other hosts never arrive"),
            ));
        }
        let watched = dir.to_path_buf();
        let gone = Arc::new(AtomicBool::new(false));
        let gone_flag = Arc::clone(&gone);
        let grew = Arc::new(AtomicBool::new(true));
        let grew_flag = Arc::clone(&grew);
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if folder_went_away(&event, &watched) {
                gone_flag.store(true, Ordering::SeqCst);
            }
            if may_add_a_file(&event) {
                grew_flag.store(true, Ordering::SeqCst);
            }
            if let Some(change) = change(&event, &watched, closes) {
                on_change(change)
            }
        })
        .and_then(|mut w| w.watch(dir, RecursiveMode::NonRecursive).map(|()| w));
        match watcher {
            Ok(w) => Ok(InboxWatcher {
                _events: Some(w),
                mode: Mode::Events,
                dir: dir.to_path_buf(),
                identity,
                gone,
                grew,
            }),
            Err(e) if dir.is_dir() => Ok(Self::polling(
                dir,
                DEFAULT_POLL,
                format!("filesystem events unavailable ({e})"),
            )),
            Err(e) => Err(Error::Watch(format!("{}: {e}", dir.display()))),
        }
    }

    fn polling(dir: &Path, every: Duration, why: String) -> InboxWatcher {
        InboxWatcher {
            _events: None,
            mode: Mode::Polling(every, why),
            dir: dir.to_path_buf(),
            identity: identity(dir),
            gone: Arc::default(),
            grew: Arc::new(AtomicBool::new(true)),
        }
    }

    /// True when a file may have appeared in the folder since the last call: an event said
    /// so, or there are no events to say otherwise (polling). False means a listing taken
    /// before the last call still holds every file there is, less those removed since.
    pub fn grew(&self) -> bool {
        match self.mode {
            Mode::Events => self.grew.swap(false, Ordering::SeqCst),
            Mode::Polling(..) => true,
        }
    }

    /// True when the watched folder was removed and another now stands under its name: the
    /// caller starts a new watcher (events on the old one never come).
    pub fn replaced(&self) -> bool {
        matches!(self.mode, Mode::Events)
            && identity(&self.dir)
                .is_some_and(|now| self.gone.load(Ordering::SeqCst) || Some(now) != self.identity)
    }

    /// The longest the caller should wait between scans.
    pub fn interval(&self) -> Duration {
        match &self.mode {
            Mode::Events => RESCAN_EVERY,
            Mode::Polling(every, _) => *every,
        }
    }
}

/// Whether an event can mean a file was added to the folder. Removals and reads cannot.
fn may_add_a_file(event: &notify::Result<notify::Event>) -> bool {
    let Ok(event) = event else { return true };
    !matches!(
        event.kind,
        EventKind::Remove(_)
            | EventKind::Access(AccessKind::Open(_) | AccessKind::Read)
            | EventKind::Access(AccessKind::Close(AccessMode::Read))
            | EventKind::Modify(ModifyKind::Name(RenameMode::From))
    )
}

/// Whether an event says the watched folder itself was removed or renamed away.
fn folder_went_away(event: &notify::Result<notify::Event>, dir: &Path) -> bool {
    let Ok(event) = event else { return false };
    matches!(
        event.kind,
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
    ) && event.paths.iter().any(|p| p == dir)
}

fn identity(dir: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(dir)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| (m.dev(), m.ino()))
}

/// What an event means for a reader. Our own scans open and read the directory, and claims
/// rename files out of it: reacting to those would make every scan cause the next. A message
/// arrives by a rename into the inbox, named by the event; temp files (dot files) are not
/// messages yet, and a close is never an arrival (writers close before they rename). An
/// overflow, an error or the folder itself going away means "look again".
fn change(event: &notify::Result<notify::Event>, dir: &Path, closes: bool) -> Option<Change> {
    let Ok(event) = event else {
        return Some(Change::Rescan);
    };
    match event.kind {
        EventKind::Remove(_) => event
            .paths
            .iter()
            .any(|p| p == dir)
            .then_some(Change::Rescan),
        // A rename within the inbox also comes as `To`, which names the new file.
        EventKind::Modify(ModifyKind::Name(RenameMode::From | RenameMode::Both)) => None,
        EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Any)) => {
            let path = event.paths.last()?;
            if path.parent() != Some(dir) {
                return None;
            }
            let name = path.file_name()?.to_str()?;
            (!name.starts_with('.')).then(|| Change::Arrived(name.to_owned()))
        }
        EventKind::Access(AccessKind::Close(AccessMode::Write)) if closes => Some(Change::Rescan),
        EventKind::Any | EventKind::Other | EventKind::Modify(ModifyKind::Name(_)) => {
            Some(Change::Rescan)
        }
        _ => None,
    }
}
