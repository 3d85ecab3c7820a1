//! The library's error type: one line that says what failed, plus an optional hint.

use std::io;
use std::path::{Path, PathBuf};

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
        owner: u32,
    },
    UnknownMessage {
        id: String,
        agent: String,
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
    NameTaken {
        name: String,
        detail: String,
    },
    RecipientOffline(String),
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    Watch(String),
    /// No trace of this message id in any mailbox of the bridge.
    NoSuchMessage(String),
    UnknownSchedule(String),
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

    /// What the user can do about it, where we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Io { source, path, .. } if source.kind() == io::ErrorKind::PermissionDenied => {
                Some(format!(
                    "check the permissions of {} or pick another bridge with --bridge DIR",
                    path.display()
                ))
            }
            Error::InvalidName { .. } => Some(
                "names are 1-31 characters of a-z, 0-9 and '-', starting with a letter or digit"
                    .into(),
            ),
            Error::NotADirectory(_) => {
                Some("pass --bridge DIR or set CC2CC_BRIDGE_DIR to a directory".into())
            }
            Error::InsecureBridge { .. } => {
                Some("use a bridge directory you own (chmod 700), e.g. the default ~/.cc2cc".into())
            }
            Error::UnknownMessage { .. } => {
                Some("`cc2cc inbox --all --peek` lists the ids you have received".into())
            }
            Error::TooLarge { .. } => {
                Some("send less, or raise the limit with --max-size / CC2CC_MAX_SIZE".into())
            }
            Error::NoSecret(_) => {
                Some("create the shared secret file, or unset CC2CC_ENCRYPT".into())
            }
            Error::Decrypt { .. } => Some(
                "the bridge's secret.key differs from the sender's; the message was left in place"
                    .into(),
            ),
            Error::NameTaken { .. } => Some("pick another name with --as NAME".into()),
            Error::NoSuchMessage(_) => Some(
                "ids come from send's output or `cc2cc history`; pruned history is gone".into(),
            ),
            Error::UnknownSchedule(_) => Some("`cc2cc schedule list` shows the schedules".into()),
            Error::RecipientOffline(_) => {
                Some("drop --require-online to queue the message until it comes online".into())
            }
            _ => None,
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
            Error::InsecureBridge { path, owner } => write!(
                f,
                "refusing bridge {}: it belongs to uid {owner} and others may write to it",
                path.display()
            ),
            Error::UnknownMessage { id, agent } => {
                write!(f, "no message {id} in {agent}'s inbox or history")
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
            Error::Json { path, source } => {
                write!(f, "cannot parse {}: {source}", path.display())
            }
            Error::Watch(msg) => write!(f, "cannot watch the inbox: {msg}"),
            Error::NoSuchMessage(id) => write!(f, "no message {id} on this bridge"),
            Error::UnknownSchedule(id) => write!(f, "no schedule {id} on this bridge"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}
