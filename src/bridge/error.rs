//! The library's error type: one line that says what failed, keeping its cause. What to do
//! about it is for each front end to say in its own words (`crate::error::hint` for the command
//! line, `explain` in the MCP tools).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug)]
pub enum Error {
    /// A file operation failed; `action` says what we were doing ("write message", …).
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    InvalidName {
        name: String,
        reason: &'static str,
    },
    InvalidId(String),
    NotADirectory(PathBuf),
    InsecureBridge {
        path: PathBuf,
        why: String,
    },
    /// A folder inside the bridge is a symbolic link: refused, nothing moved through it.
    Symlinked(PathBuf),
    /// The bridge folder's parent does not exist (a mistyped path).
    MissingParent(PathBuf),
    UnknownMessage {
        id: String,
        agent: String,
    },
    /// The message to answer names a sender that is not a valid agent name.
    InvalidSender {
        id: String,
        source: Box<Error>,
    },
    TooLarge {
        size: u64,
        limit: u64,
    },
    EmptyText,
    Decrypt {
        id: String,
        reason: String,
    },
    NoSecret(PathBuf),
    /// `secret.key` holds nothing but whitespace: a key anyone could derive.
    EmptySecret(PathBuf),
    /// Plain text shaped like the original's ciphertext: readers could never show it.
    LooksEncrypted,
    NameTaken {
        name: String,
        detail: String,
    },
    RecipientOffline(String),
    /// `forget` of a mailbox that still holds pending mail.
    PendingMail {
        name: String,
        count: usize,
    },
    /// `forget` of a name the bridge does not know.
    UnknownAgent(String),
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    Watch(String),
    /// No trace of this message id in any mailbox of the bridge.
    NoSuchMessage(String),
    UnknownSchedule(String),
    /// One failure that ended several results (a failed inbox sync fails every message of the
    /// batch): each result holds the same error, whole.
    Shared(Arc<Error>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(action: &'static str, path: &Path, source: io::Error) -> Error {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The error itself, seen through any [`Error::Shared`].
    pub fn unshared(&self) -> &Error {
        match self {
            Error::Shared(e) => e.unshared(),
            e => e,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::InvalidName { name, reason } => {
                write!(f, "invalid agent name {name:?}: {reason}")
            }
            Error::InvalidId(id) => write!(f, "invalid message id {id:?}"),
            Error::NotADirectory(p) => write!(f, "bridge {} is not a directory", p.display()),
            Error::InsecureBridge { path, why } => {
                write!(f, "refusing bridge {}: {why}", path.display())
            }
            Error::Symlinked(p) => write!(
                f,
                "refusing {}: it is a symbolic link, not a folder",
                p.display()
            ),
            Error::MissingParent(p) => write!(
                f,
                "cannot create bridge {}: its parent folder does not exist",
                p.display()
            ),
            Error::UnknownMessage { id, agent } => {
                write!(f, "no message {id} in {agent}'s inbox or history")
            }
            Error::InvalidSender { id, source } => {
                write!(f, "cannot reply to {id}: its sender {source}")
            }
            Error::TooLarge { size, limit } => {
                write!(f, "message is {size} bytes, over the {limit}-byte limit")
            }
            Error::EmptyText => write!(f, "message text is empty; nothing sent"),
            Error::Decrypt { id, reason } => write!(f, "cannot decrypt message {id}: {reason}"),
            Error::NoSecret(p) => write!(
                f,
                "CC2CC_ENCRYPT=1 but there is no shared secret at {}",
                p.display()
            ),
            Error::NameTaken { name, detail } => write!(f, "{name} is already online ({detail})"),
            Error::RecipientOffline(n) => write!(f, "{n} is offline"),
            Error::PendingMail { name, count } => write!(
                f,
                "{count} message{} still wait{} for {name}; its mailbox was kept",
                if *count == 1 { "" } else { "s" },
                if *count == 1 { "s" } else { "" }
            ),
            Error::UnknownAgent(n) => write!(f, "no agent {n} on this bridge"),
            Error::EmptySecret(p) => write!(
                f,
                "refusing to encrypt: the shared secret {} is empty",
                p.display()
            ),
            Error::LooksEncrypted => write!(
                f,
                "message text starts like an encrypted message (ENC:<hex>:<hex>:<hex>) but \
                 encryption is off; nothing sent"
            ),
            Error::Json { path, source } => {
                write!(f, "cannot parse {}: {source}", path.display())
            }
            Error::Watch(msg) => write!(f, "cannot watch the inbox: {msg}"),
            Error::NoSuchMessage(id) => write!(f, "no message {id} on this bridge"),
            Error::UnknownSchedule(id) => write!(f, "no schedule {id} on this bridge"),
            Error::Shared(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Json { source, .. } => Some(source),
            Error::InvalidSender { source, .. } => Some(source),
            Error::Shared(e) => e.source(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::fsutil::Unreadable;

    #[test]
    fn causes_survive_the_conversions() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let kept: io::Error = Unreadable::Io(denied).into();
        assert_eq!(kept.kind(), io::ErrorKind::PermissionDenied);
        let link: io::Error = Unreadable::NotAFile("symbolic link").into();
        assert!(link.get_ref().is_some_and(|e| e.is::<Unreadable>()));

        let once = Arc::new(Error::io("sync", Path::new("/b/to-x/inbox"), kept));
        let shared = Error::Shared(Arc::clone(&once));
        assert_eq!(shared.to_string(), once.to_string());
        assert!(matches!(shared.unshared(), Error::Io { source, .. }
            if source.kind() == io::ErrorKind::PermissionDenied));
        let source = std::error::Error::source(&shared).map(ToString::to_string);
        assert_eq!(
            source,
            Some(io::Error::from(io::ErrorKind::PermissionDenied).to_string())
        );
    }
}
