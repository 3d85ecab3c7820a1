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

/// Calls `on_change` whenever the directory may have changed. The caller rescans on every
/// call (so an event-queue overflow costs nothing extra) and on a timer of [`InboxWatcher::interval`].
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
}

impl InboxWatcher {
    pub fn start(
        dir: &Path,
        poll: Option<Duration>,
        on_change: impl Fn() + Send + 'static,
    ) -> Result<InboxWatcher> {
        let identity = identity(dir);
        if let Some(every) = poll {
            return Ok(Self::polling(dir, every, "asked for with --poll".into()));
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
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if folder_went_away(&event, &watched) {
                gone_flag.store(true, Ordering::SeqCst);
            }
            if may_bring_mail(&event, &watched) {
                on_change()
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

/// Whether an event can mean a new message. Our own scans open and read the directory, and
/// claims rename files out of it: reacting to those would make every scan cause the next.
/// A message arrives by a rename into the inbox (or, from a careless writer, a closed write);
/// an overflow or an error means "look again".
fn may_bring_mail(event: &notify::Result<notify::Event>, dir: &Path) -> bool {
    let Ok(event) = event else { return true };
    match event.kind {
        // The inbox folder itself went away: look again (and re-arm once it is back).
        EventKind::Remove(_) => event.paths.iter().any(|p| p == dir),
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => false,
        EventKind::Modify(ModifyKind::Name(_)) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Any | EventKind::Other => true,
        _ => false,
    }
}
