//! Presence: the original's heartbeat files, plus an exclusive lock held by every live agent so
//! a crashed agent shows offline at once (the kernel drops its lock).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::error::{Error, Result};
use super::{Bridge, Name, clock, fsutil};

/// The original rewrites its heartbeat every 5 s and calls an agent online for 15 s after.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
pub const ONLINE_WINDOW: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Heartbeat {
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub timestamp: String,
    #[serde(default)]
    pub heartbeat: String,
    #[serde(default)]
    pub session_id: Value,
    #[serde(default)]
    pub parent_pid: Value,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub context: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_since: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What `list` shows of one agent.
#[derive(Debug, Clone)]
pub struct AgentInfo {
    pub name: Name,
    pub online: bool,
    /// The heartbeat time, when there is a heartbeat.
    pub last_seen: Option<String>,
    pub heartbeat: Option<Heartbeat>,
}

/// A live agent's claim on its name. Dropping it without [`Presence::leave`] still releases
/// the lock (the kernel does that even on a crash).
#[derive(Debug)]
pub struct Presence {
    bridge: Bridge,
    name: Name,
    since: String,
    /// Held, never read: the exclusive lock is the liveness signal.
    _lock: File,
    /// Set by `leave`, so the heartbeat thread never writes `active` after `offline`.
    offline: AtomicBool,
}

impl Bridge {
    /// Claims `name`: takes its lock (failing if a live agent holds it), creates its mailbox and
    /// writes an active heartbeat.
    pub fn go_online(&self, name: &Name) -> Result<Presence> {
        fsutil::create_dir_private(&self.status_dir())?;
        let path = self.lock_path(name);
        let lock = fsutil::open_lock(&path).map_err(|e| Error::io("open lock", &path, e))?;
        if !fsutil::lock_patiently(&lock).map_err(|e| Error::io("lock", &path, e))? {
            let detail = match self.heartbeat(name).and_then(|h| h.pid) {
                Some(pid) => format!("pid {pid} holds {}", path.display()),
                None => format!("another process holds {}", path.display()),
            };
            return Err(Error::NameTaken {
                name: name.to_string(),
                detail,
            });
        }
        self.ensure_mailbox(name)?;
        let presence = Presence {
            bridge: self.clone(),
            name: name.clone(),
            since: clock::now_string(),
            _lock: lock,
            offline: AtomicBool::new(false),
        };
        presence.beat()?;
        Ok(presence)
    }

    pub fn heartbeat(&self, name: &Name) -> Option<Heartbeat> {
        let bytes = fsutil::read_regular(&self.heartbeat_path(name), 64 * 1024).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// True when a process holds `name`'s presence lock.
    fn lock_held(&self, name: &Name) -> bool {
        // O_NONBLOCK: a FIFO planted under the lock's name must not hang `list`.
        let Ok(f) = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(self.lock_path(name))
        else {
            return false;
        };
        matches!(f.try_lock_shared(), Err(TryLockError::WouldBlock))
    }

    pub fn agent(&self, name: &Name) -> AgentInfo {
        let heartbeat = self.heartbeat(name);
        let held = self.lock_held(name);
        let online = match &heartbeat {
            // Our own agents hold the lock while alive; the lock is the truth on this host.
            Some(h) if h.host.as_deref() == Some(local_host()) && !h.is_mirror() => {
                held && h.status == "active"
            }
            // The original's agents and other hosts' agents (mirrored by a relay, or on a shared
            // network filesystem): judged by heartbeat age.
            Some(h) => {
                held || (h.status == "active"
                    && clock::parse(&h.heartbeat)
                        .or_else(|| clock::parse(&h.timestamp))
                        .is_some_and(|t| {
                            clock::age(t, clock::now()) <= ONLINE_WINDOW
                                && t <= clock::now() + ONLINE_WINDOW
                        }))
            }
            None => held,
        };
        AgentInfo {
            name: name.clone(),
            online,
            last_seen: heartbeat
                .as_ref()
                .map(|h| h.heartbeat.clone())
                .filter(|s| !s.is_empty()),
            heartbeat,
        }
    }

    pub fn is_online(&self, name: &Name) -> bool {
        self.agent(name).online
    }

    /// Every known agent: those with a heartbeat, a lock or a mailbox, sorted by name.
    pub fn agents(&self) -> Vec<AgentInfo> {
        let mut names = self.mailboxes();
        if let Ok(entries) = fs::read_dir(self.status_dir()) {
            for e in entries.flatten() {
                let file = e.file_name();
                let Some(file) = file.to_str() else { continue };
                let stem = file
                    .strip_suffix("-heartbeat.json")
                    .or_else(|| file.strip_suffix(".lock"));
                if let Some(name) = stem.and_then(|s| Name::new(s).ok()) {
                    names.push(name);
                }
            }
        }
        names.sort();
        names.dedup();
        names.iter().map(|n| self.agent(n)).collect()
    }

    pub fn online_names(&self) -> Vec<Name> {
        self.agents()
            .into_iter()
            .filter(|a| a.online)
            .map(|a| a.name)
            .collect()
    }
}

fn local_host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(fsutil::hostname)
}

impl Presence {
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// When this agent came online (RFC 3339).
    pub fn since(&self) -> &str {
        &self.since
    }

    /// Rewrites the heartbeat as active.
    pub fn beat(&self) -> Result<()> {
        self.write("active", Value::from("heartbeat"))
    }

    /// Writes the offline heartbeat; the lock goes when `self` is dropped.
    pub fn leave(&self, context: &str) -> Result<()> {
        self.offline.store(true, Ordering::SeqCst);
        self.write("offline", Value::from(context))
    }

    fn write(&self, status: &str, context: Value) -> Result<()> {
        let now = clock::now_string();
        let hb = Heartbeat {
            agent: self.name.to_string(),
            name: self.name.to_string(),
            timestamp: now.clone(),
            heartbeat: now,
            session_id: Value::from(std::process::id().to_string()),
            parent_pid: Value::from(std::os::unix::process::parent_id().to_string()),
            status: status.into(),
            context,
            pid: Some(std::process::id()),
            host: Some(local_host().to_owned()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
            online_since: Some(self.since.clone()),
            extra: Map::new(),
        };
        let json = serde_json::to_string_pretty(&hb).unwrap_or_default();
        let name = format!("{}-heartbeat.json", self.name);
        fsutil::write_atomic(&self.bridge.status_dir(), &name, json.as_bytes(), false)?;
        Ok(())
    }

    /// Keeps the heartbeat fresh from a background thread until the returned handle is dropped.
    pub fn beat_in_background(self: &Arc<Self>) -> Beater {
        let (stop, stopped) = mpsc::channel::<()>();
        let me = Arc::clone(self);
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(HEARTBEAT_EVERY) {
                if me.offline.load(Ordering::SeqCst) {
                    break;
                }
                let _ = me.beat();
            }
        });
        Beater {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// Stops the heartbeat thread when dropped.
pub struct Beater {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Beater {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
