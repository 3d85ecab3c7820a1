//! Where everything lives inside the bridge directory. Only validated names reach these.

use std::path::PathBuf;

use super::{Bridge, Name};

impl Bridge {
    pub fn status_dir(&self) -> PathBuf {
        self.root.join("status")
    }
    pub fn heartbeat_path(&self, name: &Name) -> PathBuf {
        self.status_dir().join(format!("{name}-heartbeat.json"))
    }
    pub fn lock_path(&self, name: &Name) -> PathBuf {
        self.status_dir().join(format!("{name}.lock"))
    }
    pub fn mailbox_dir(&self, name: &Name) -> PathBuf {
        self.root.join(format!("to-{name}"))
    }
    pub fn inbox_dir(&self, name: &Name) -> PathBuf {
        self.mailbox_dir(name).join("inbox")
    }
    pub fn done_dir(&self, name: &Name) -> PathBuf {
        self.mailbox_dir(name).join("done")
    }
    pub fn receipts_dir(&self, name: &Name) -> PathBuf {
        self.mailbox_dir(name).join("receipts")
    }
    pub fn bad_dir(&self, name: &Name) -> PathBuf {
        self.mailbox_dir(name).join("bad")
    }
    /// Messages for `name` that wait for their delivery time.
    pub fn scheduled_dir(&self, name: &Name) -> PathBuf {
        self.mailbox_dir(name).join("scheduled")
    }
    /// Markers `<id>.json` naming the reply `name` wrote to message `<id>`.
    pub fn answers_dir(&self, name: &Name) -> PathBuf {
        self.mailbox_dir(name).join("answers")
    }
    /// Recurring schedules, `<id>.json`, and their claimed occurrences, `<id>.fired/`.
    pub fn schedules_dir(&self) -> PathBuf {
        self.root.join("schedules")
    }
    pub fn rules_path(&self) -> PathBuf {
        self.root.join("rules.json")
    }
    pub fn secret_path(&self) -> PathBuf {
        self.root.join("secret.key")
    }
}
