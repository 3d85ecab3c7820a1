//! The plugin monitor's hold on a name. The monitor shares its session's name with the MCP
//! server, so it cannot take the presence lock the server holds; it locks
//! `status/<name>.monitor.lock` instead. While that lock is held the monitor is the path that
//! presents new messages to the model, and the server leaves them to it.

use std::fs::File;
use std::path::PathBuf;

use super::error::{Error, Result};
use super::fsutil::lock_patiently;
use super::{Bridge, Name};

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
        let status = self.dir(&["status"], true)?;
        let lock = status.open_lock(&format!("{name}.monitor.lock"))?;
        let path = self.monitor_lock_path(name);
        if lock_patiently(&lock).map_err(|e| Error::io("lock", &path, e))? {
            self.mailbox(name).ensure()?;
            return Ok(MonitorHold {
                name: name.clone(),
                _lock: lock,
            });
        }
        Err(Error::NameTaken {
            name: name.to_string(),
            detail: format!("another monitor holds {}", path.display()),
        })
    }

    /// True while a monitor holds `name`'s monitor lock.
    pub fn monitor_live(&self, name: &Name) -> bool {
        self.status_lock_held(&format!("{name}.monitor.lock"))
    }
}
