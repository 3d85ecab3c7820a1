//! The bridge directory: the on-disk protocol shared with the original Node cc2cc. Nothing in
//! here knows about terminals, clap or JSON-RPC.

pub mod arrivals;
pub mod broadcast;
pub mod clock;
pub mod cron;
pub mod crypto;
mod error;
pub mod fsutil;
pub mod history;
pub mod identity;
pub mod ids;
pub mod life;
pub mod mailbox;
pub mod message;
pub mod monitor;
pub mod names;
pub mod notices;
mod paths;
pub mod presence;
pub mod remote;
pub mod roster;
pub mod schedule;
pub mod sending;
pub mod sessions;
pub mod watch;

pub use broadcast::Recipient;
pub use error::{Error, Result};
pub use history::{Direction, Entry, HistoryQuery, Pruned};
pub use identity::Renamed;
pub use life::{State, Status};
pub use mailbox::{Envelope, Filter, Mailbox, Mode, Pass, Problem, Recall, Report};
pub use message::{Draft, Kind, Message, Priority};
pub use presence::{AgentInfo, Presence};
pub use remote::{Finished, Receipt, RemoteAgent};
pub use roster::{AgentRow, Whoami};
pub use schedule::{Repeat, Schedule, ScheduleInfo, Ticked, Ticker};
pub use sending::{SendOptions, Sent};

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Default limit on a message file, for writers and readers alike.
pub const DEFAULT_MAX_SIZE: u64 = 1024 * 1024;

/// A validated agent name: the only kind of name the path functions accept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

impl Name {
    pub fn new(s: &str) -> Result<Name> {
        names::validate(s).map(|s| Name(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An open bridge directory. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Bridge {
    root: PathBuf,
    max_size: u64,
    encrypt: bool,
    key: Arc<Mutex<Option<(Stamp, Secret)>>>,
    /// The directory's owner when that is not us, as `open` found it.
    foreign_owner: Option<u32>,
}

impl Bridge {
    /// Opens `root`, creating it (mode 0700, never its parents) when missing. Refuses a path
    /// that is not a directory, and a directory that others could write to or that belongs to
    /// someone else: they could read, forge or redirect every message in it.
    pub fn open(root: &Path) -> Result<Bridge> {
        Bridge::open_with(root, false)
    }

    /// As [`Bridge::open`]; `allow_shared` accepts a bridge others can write to or own (the
    /// user's explicit choice, e.g. a team folder), keeping the warning.
    pub fn open_with(root: &Path, allow_shared: bool) -> Result<Bridge> {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fsutil::create_root(root)?;
                std::fs::metadata(root).map_err(|e| Error::io("open bridge", root, e))?
            }
            Err(e) => return Err(Error::io("open bridge", root, e)),
        };
        if !meta.is_dir() {
            return Err(Error::NotADirectory(root.to_path_buf()));
        }
        let owner = fsutil::owner(&meta);
        let foreign_owner = (owner != fsutil::euid()).then_some(owner);
        let mode = meta.permissions().mode();
        let why = if let Some(owner) = foreign_owner {
            Some(format!("it belongs to uid {owner}, not to you"))
        } else if mode & 0o022 != 0 {
            Some(format!(
                "others may write to it (mode {:03o})",
                mode & 0o777
            ))
        } else {
            None
        };
        if let (Some(why), false) = (why, allow_shared) {
            return Err(Error::InsecureBridge {
                path: root.to_path_buf(),
                why,
            });
        }
        Ok(Bridge {
            root: root.to_path_buf(),
            max_size: DEFAULT_MAX_SIZE,
            encrypt: false,
            key: Arc::default(),
            foreign_owner,
        })
    }

    /// The folder `parts` below the root, opened without following any link below the root.
    pub fn dir(&self, parts: &[&str], create: bool) -> Result<fsutil::Dir> {
        fsutil::Dir::root(&self.root)?.walk(parts, create)
    }

    /// One folder of `name`'s mailbox (`inbox`, `done`, `receipts`, `bad`, or "" for the
    /// mailbox itself).
    pub fn folder(&self, name: &Name, sub: &str, create: bool) -> Result<fsutil::Dir> {
        let top = format!("to-{name}");
        if sub.is_empty() {
            self.dir(&[&top], create)
        } else {
            self.dir(&[&top, sub], create)
        }
    }

    pub fn with_max_size(mut self, bytes: u64) -> Bridge {
        self.max_size = bytes;
        self
    }

    /// Encrypt outgoing text (the original's `CC2CC_ENCRYPT=1`). Incoming `ENC:` text is
    /// decrypted whenever the bridge has a secret, whatever this says.
    pub fn with_encryption(mut self, on: bool) -> Bridge {
        self.encrypt = on;
        self
    }

    /// Whether outgoing text is encrypted (`CC2CC_ENCRYPT`).
    pub fn encrypts(&self) -> bool {
        self.encrypt
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    /// A warning worth showing when the directory belongs to someone else: they can read and
    /// forge every message in it.
    pub fn ownership_warning(&self) -> Option<String> {
        self.foreign_owner.map(|owner| {
            format!(
                "bridge {} belongs to uid {owner}, not to you: that user can read and forge messages",
                self.root.display()
            )
        })
    }

    /// The key derived from `secret.key`. Derived once and kept while the file stays the same
    /// (scrypt is deliberately slow); a secret created or changed later is picked up by the
    /// next call, so a long-running server never goes on with a stale key.
    fn key(&self) -> Result<crypto::Key> {
        let path = self.secret_path();
        let stamp = std::fs::symlink_metadata(&path).ok().map(|m| {
            use std::os::unix::fs::MetadataExt;
            (
                m.dev(),
                m.ino(),
                m.len(),
                m.mtime(),
                m.mtime_nsec(),
                m.ctime_nsec(),
            )
        });
        let mut cache = self.key.lock().unwrap_or_else(|p| p.into_inner());
        let secret = match &*cache {
            Some((s, secret)) if *s == stamp => secret,
            _ => {
                let secret = match fsutil::read_regular(&path, 64 * 1024) {
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        if crypto::js_trim(&text).is_empty() {
                            Secret::Empty
                        } else {
                            Secret::Key(self.derive_key(&text))
                        }
                    }
                    Err(fsutil::Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                        Secret::Missing
                    }
                    Err(e) => {
                        Secret::Unreadable(Arc::new(Error::io("read secret", &path, e.into())))
                    }
                };
                &cache.insert((stamp, secret)).1
            }
        };
        match secret {
            Secret::Key(k) => Ok(k.clone()),
            Secret::Missing => Err(Error::NoSecret(path)),
            Secret::Empty => Err(Error::EmptySecret(path)),
            Secret::Unreadable(e) => Err(Error::Shared(Arc::clone(e))),
        }
    }
}

impl Bridge {
    /// scrypt costs tens of milliseconds by design: every CLI send would pay it. The derived
    /// key is kept in `secret.key.cache` (0600, as private as the secret itself), named by a
    /// hash of the secret it came from. A cache that is not ours, not private, or made from
    /// another secret is ignored and written anew.
    fn derive_key(&self, secret: &str) -> crypto::Key {
        const CACHE: &str = "secret.key.cache";
        let Ok(root) = fsutil::Dir::root(&self.root) else {
            return crypto::Key::derive(secret);
        };
        let trusted = root
            .stat(CACHE)
            .is_ok_and(|st| st.st_uid == fsutil::euid() && st.st_mode & 0o077 == 0);
        if trusted
            && let Ok(bytes) = root.read(CACHE, 4096)
            && let Some(key) = crypto::Key::from_cache(&String::from_utf8_lossy(&bytes), secret)
        {
            return key;
        }
        let key = crypto::Key::derive(secret);
        // Only a speed-up: a bridge we cannot write to still works.
        let _ = root.write_atomic(CACHE, key.cache_text(secret).as_bytes(), false);
        key
    }
}

/// What identifies one version of `secret.key` (device, inode, size, times), None when absent.
type Stamp = Option<(u64, u64, u64, i64, i64, i64)>;

#[derive(Debug)]
enum Secret {
    Key(crypto::Key),
    Missing,
    Empty,
    /// Kept whole for each caller while the file stays the same.
    Unreadable(Arc<Error>),
}
