//! The bridge directory: the on-disk protocol shared with the original Node cc2cc. Nothing in
//! here knows about terminals, clap or JSON-RPC.

pub mod clock;
pub mod crypto;
mod error;
pub mod fsutil;
pub mod identity;
pub mod ids;
pub mod mailbox;
pub mod message;
pub mod names;
mod paths;
pub mod presence;
pub mod remote;
pub mod watch;

pub use error::{Error, Result};
pub use identity::Renamed;
pub use mailbox::{Envelope, Filter, Problem, Taken};
pub use message::{Draft, Message};
pub use presence::{AgentInfo, Presence};
pub use remote::{Finished, Receipt, RemoteAgent};

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
    key: Arc<OnceLock<Secret>>,
    /// The directory's owner when that is not us, as `open` found it.
    foreign_owner: Option<u32>,
}

impl Bridge {
    /// Opens `root`, creating it (mode 0700) when missing. Refuses a path that is not a directory
    /// and a directory that another user owns and anyone may write to.
    pub fn open(root: &Path) -> Result<Bridge> {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fsutil::create_dir_private(root)?;
                std::fs::metadata(root).map_err(|e| Error::io("open bridge", root, e))?
            }
            Err(e) => return Err(Error::io("open bridge", root, e)),
        };
        if !meta.is_dir() {
            return Err(Error::NotADirectory(root.to_path_buf()));
        }
        let owner = fsutil::owner(&meta);
        let foreign_owner = (owner != fsutil::euid()).then_some(owner);
        if foreign_owner.is_some() && meta.permissions().mode() & 0o002 != 0 {
            return Err(Error::InsecureBridge {
                path: root.to_path_buf(),
                owner,
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

    /// The key derived from `secret.key`, once per process (scrypt is deliberately slow).
    fn key(&self) -> Result<&crypto::Key> {
        let path = self.secret_path();
        let secret = self
            .key
            .get_or_init(|| match fsutil::read_regular(&path, 64 * 1024) {
                Ok(bytes) => Secret::Key(crypto::Key::derive(&String::from_utf8_lossy(&bytes))),
                Err(fsutil::Unreadable::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    Secret::Missing
                }
                Err(e) => Secret::Unreadable(e.to_string()),
            });
        match secret {
            Secret::Key(k) => Ok(k),
            Secret::Missing => Err(Error::NoSecret(path)),
            Secret::Unreadable(reason) => Err(Error::io(
                "read secret",
                &path,
                std::io::Error::other(reason.clone()),
            )),
        }
    }
}

#[derive(Debug)]
enum Secret {
    Key(crypto::Key),
    Missing,
    Unreadable(String),
}
