//! The plugin monitor's hold on a name. The monitor shares its session's name with the MCP
//! server, so it cannot take the presence lock the server holds; it locks
//! `status/<name>.monitor.lock` instead. While that lock is held the monitor is the path that
//! presents new messages to the model, and the server leaves them to it.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use super::error::{Error, Result};
use super::{Bridge, Name, fsutil};

/// A live monitor's lock; the kernel releases it when the process dies.
#[derive(Debug)]
pub struct MonitorHold {
    name: Name,
    _lock: File,
}

impl MonitorHold {
    pub fn name(&self) -> &Name {
        &self.name
    }
}

impl Bridge {
    pub fn monitor_lock_path(&self, name: &Name) -> PathBuf {
        self.status_dir().join(format!("{name}.monitor.lock"))
    }

    /// Takes the monitor lock of `name`; fails when another monitor holds it.
    pub fn hold_monitor(&self, name: &Name) -> Result<MonitorHold> {
        fsutil::create_dir_private(&self.status_dir())?;
        let path = self.monitor_lock_path(name);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| Error::io("open lock", &path, e))?;
        if !lock.metadata().is_ok_and(|m| m.is_file()) {
            return Err(Error::io(
                "open lock",
                &path,
                std::io::Error::other("not a regular file"),
            ));
        }
        // A probe holds it shared for microseconds; retry briefly before giving up.
        for _ in 0..50 {
            match lock.try_lock() {
                Ok(()) => {
                    self.ensure_mailbox(name)?;
                    return Ok(MonitorHold {
                        name: name.clone(),
                        _lock: lock,
                    });
                }
                Err(TryLockError::WouldBlock) => {
                    std::thread::sleep(std::time::Duration::from_millis(4))
                }
                Err(TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
            }
        }
        Err(Error::NameTaken {
            name: name.to_string(),
            detail: format!("another monitor holds {}", path.display()),
        })
    }

    /// True while a monitor holds `name`'s monitor lock.
    pub fn monitor_live(&self, name: &Name) -> bool {
        let Ok(f) = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(self.monitor_lock_path(name))
        else {
            return false;
        };
        matches!(f.try_lock_shared(), Err(TryLockError::WouldBlock))
    }
}

impl Bridge {
    /// Undoes a claim whose message could not be presented (the reader's output went away, or
    /// the message is too long for the path that claimed it): the file goes back to the inbox
    /// and its receipt is removed. Only for ids that name their file (`<id>.json`).
    pub fn put_back(&self, name: &Name, id: &str) -> Result<()> {
        if !super::ids::is_safe_id(id) {
            return Err(Error::InvalidId(id.chars().take(80).collect()));
        }
        let file = format!("{id}.json");
        let from = self.done_dir(name).join(&file);
        std::fs::rename(&from, self.inbox_dir(name).join(&file))
            .map_err(|e| Error::io("put back", &from, e))?;
        let _ = std::fs::remove_file(self.receipts_dir(name).join(format!("{id}.receipt.json")));
        let _ = fsutil::sync_dir(&self.inbox_dir(name));
        Ok(())
    }
}
