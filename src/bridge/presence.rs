//! Presence: the original's heartbeat files, plus an exclusive lock held by every live agent so
//! a crashed agent shows offline at once (the kernel drops its lock).

use rustix::fs::{FlockOperation, Mode, OFlags};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fs::{File, TryLockError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::error::{Error, Result};
use super::fsutil::Dir;
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
    /// Held, never read: the exclusive lock on `status/<name>.lock` is the liveness signal the
    /// original's successors look at.
    _lock: File,
    /// Held, never read: an exclusive `flock` on the `to-<name>/` folder. Unlike the lock file it
    /// cannot be deleted from under a live holder (`rm -rf status/`), so a second agent can
    /// never take a live name.
    _mailbox_lock: Dir,
    /// Set by `leave`, so the heartbeat thread never writes `active` after `offline`.
    offline: AtomicBool,
}

impl Bridge {
    /// Claims `name`: takes its locks (failing if a live agent holds either, or if the name is
    /// live by any other sign: see [`Bridge::live_elsewhere`]), creates its mailbox and writes
    /// an active heartbeat.
    pub fn go_online(&self, name: &Name) -> Result<Presence> {
        let status = self.dir(&["status"], true)?;
        self.mailbox(name).ensure()?;
        let mailbox = self.folder(name, "", false)?;
        let file = format!("{name}.lock");
        let path = status.path().join(&file);
        let lock = status.open_lock(&file)?;
        // A `list` probing the locks holds them shared for microseconds; retry briefly before
        // deciding that a live agent owns the name.
        let mut tries = 0;
        loop {
            match try_lock_both(&mailbox, &lock) {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if tries < 50 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(4));
                }
                Err(TryLockError::WouldBlock) => {
                    let detail = match self.heartbeat(name).and_then(|h| h.pid) {
                        Some(pid) => format!("pid {pid} holds its lock"),
                        None => "another process holds its lock".into(),
                    };
                    return Err(Error::NameTaken {
                        name: name.to_string(),
                        detail,
                    });
                }
                Err(TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
            }
        }
        if let Some(detail) = self.live_elsewhere(name) {
            return Err(Error::NameTaken {
                name: name.to_string(),
                detail,
            });
        }
        let presence = Presence {
            bridge: self.clone(),
            name: name.clone(),
            since: clock::now_string(),
            _lock: lock,
            _mailbox_lock: mailbox,
            offline: AtomicBool::new(false),
        };
        presence.beat()?;
        Ok(presence)
    }

    /// Why `name` counts as live although no lock on this host says so: a fresh `active`
    /// heartbeat written by the original (no host), by another host, or by a process of this
    /// host that still runs. None when no sign says it is live. Callers that hold the name's
    /// locks use this to refuse a name that an agent they cannot see by lock is using.
    pub fn live_elsewhere(&self, name: &Name) -> Option<String> {
        let h = self.heartbeat(name)?;
        if !fresh_active(&h) {
            return None;
        }
        match h.host.as_deref() {
            None | Some("") => Some("a fresh heartbeat from an agent without a lock".into()),
            Some(host) if host != local_host() => {
                Some(format!("a fresh heartbeat from host {host}"))
            }
            Some(_) => {
                let pid = h.pid.filter(|&p| p != std::process::id())?;
                // EPERM: it runs, as another user.
                let alive = rustix::process::Pid::from_raw(pid as i32).is_some_and(|p| {
                    !matches!(
                        rustix::process::test_kill_process(p),
                        Err(rustix::io::Errno::SRCH)
                    )
                });
                alive.then(|| format!("pid {pid} keeps its heartbeat fresh"))
            }
        }
    }

    pub fn heartbeat(&self, name: &Name) -> Option<Heartbeat> {
        let status = self.dir(&["status"], false).ok()?;
        let bytes = status
            .read(&format!("{name}-heartbeat.json"), 64 * 1024)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// True when a process holds `name`'s presence lock (the lock file or the mailbox folder).
    fn lock_held(&self, name: &Name) -> bool {
        if self.status_lock_held(&format!("{name}.lock")) {
            return true;
        }
        self.folder(name, "", false).is_ok_and(|mailbox| {
            rustix::fs::flock(mailbox.fd(), FlockOperation::NonBlockingLockShared)
                == Err(rustix::io::Errno::WOULDBLOCK)
        })
    }

    pub fn agent(&self, name: &Name) -> AgentInfo {
        let heartbeat = self.heartbeat(name);
        let held = self.lock_held(name);
        let online = match &heartbeat {
            // Our own agents hold the lock while alive; the lock is the truth on this host.
            Some(h) if h.host.as_deref() == Some(local_host()) && !h.is_mirror() => {
                held && h.status == "active"
            }
            // The original's agents and other hosts' agents: judged by heartbeat age.
            Some(h) => held || fresh_active(h),
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
        self.known_names().iter().map(|n| self.agent(n)).collect()
    }

    /// Every name the bridge knows: a mailbox, a heartbeat or a lock. Nothing is probed.
    pub fn known_names(&self) -> Vec<Name> {
        let mut names = self.mailboxes();
        let status = self.dir(&["status"], false).and_then(|d| {
            d.entries()
                .map_err(|e| super::Error::io("list", d.path(), e))
        });
        if let Ok(entries) = status {
            for file in &entries {
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
        names
    }

    pub fn online_names(&self) -> Vec<Name> {
        self.agents()
            .into_iter()
            .filter(|a| a.online)
            .map(|a| a.name)
            .collect()
    }
}

/// Takes the exclusive lock on the mailbox folder and on the lock file, or neither.
impl Bridge {
    /// True when a process holds an exclusive lock on `status/<file>`.
    pub(super) fn status_lock_held(&self, file: &str) -> bool {
        let Ok(status) = self.dir(&["status"], false) else {
            return false;
        };
        // O_NONBLOCK: a FIFO planted under the lock's name must not hang `list`.
        let Ok(fd) = rustix::fs::openat(
            status.fd(),
            file,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return false;
        };
        matches!(
            File::from(fd).try_lock_shared(),
            Err(TryLockError::WouldBlock)
        )
    }
}

fn try_lock_both(mailbox: &Dir, lock: &File) -> Result<(), TryLockError> {
    match rustix::fs::flock(mailbox.fd(), FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => return Err(TryLockError::WouldBlock),
        Err(e) => return Err(TryLockError::Error(e.into())),
    }
    let taken = lock.try_lock();
    if taken.is_err() {
        let _ = rustix::fs::flock(mailbox.fd(), FlockOperation::Unlock);
    }
    taken
}

/// An `active` heartbeat at most [`ONLINE_WINDOW`] old (and not from the future).
fn fresh_active(h: &Heartbeat) -> bool {
    h.status == "active"
        && clock::parse(&h.heartbeat)
            .or_else(|| clock::parse(&h.timestamp))
            .is_some_and(|t| {
                clock::age(t, clock::now()) <= ONLINE_WINDOW && t <= clock::now() + ONLINE_WINDOW
            })
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
        self.bridge
            .dir(&["status"], true)?
            .write_atomic(&name, json.as_bytes(), false)
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
