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
            Error::InsecureBridge { .. } => Some(
                "use a bridge directory you own with chmod 700 (e.g. the default ~/.cc2cc), or \
                 set CC2CC_ALLOW_SHARED_BRIDGE=1 if you trust everyone who can write to it"
                    .into(),
            ),
            Error::Symlinked(_) => Some(
                "cc2cc never follows links inside the bridge: remove the link (someone may be \
                 redirecting your mail) and run again"
                    .into(),
            ),
            Error::MissingParent(p) => Some(format!(
                "check the path for a typo; cc2cc creates the bridge folder itself but not {}",
                p.parent().unwrap_or(p).display()
            )),
            Error::UnknownMessage { .. } => {
                Some("`cc2cc inbox --all --peek` lists the ids you have received".into())
            }
            Error::TooLarge { .. } => {
                Some("send less, or raise the limit with --max-size / CC2CC_MAX_SIZE".into())
            }
            Error::NoSecret(_) => {
                Some("create the shared secret file, or unset CC2CC_ENCRYPT".into())
            }
            Error::EmptySecret(_) => Some(
                "write a long random secret into it, e.g. `head -c 32 /dev/urandom | base64 > \
                 secret.key`, or unset CC2CC_ENCRYPT"
                    .into(),
            ),
            Error::LooksEncrypted => Some(
                "readers would take it for an encrypted message; reword the start, or set \
                 CC2CC_ENCRYPT=1 with a shared secret.key to send encrypted"
                    .into(),
            ),
            Error::Decrypt { .. } => Some(
                "the bridge's secret.key differs from the sender's; the message was left in place"
                    .into(),
            ),
            Error::NameTaken { .. } => Some("pick another name with --as NAME".into()),
            Error::NoSuchMessage(_) => Some(
                "ids come from send's output or `cc2cc history`; pruned history is gone".into(),
            ),
            Error::UnknownSchedule(_) => Some("`cc2cc schedule list` shows the schedules".into()),
            Error::PendingMail { .. } => Some(
                "read it first (`cc2cc --as NAME inbox`), or pass --force to remove it unread"
                    .into(),
            ),
            Error::UnknownAgent(_) => Some("`cc2cc list` shows the known agents".into()),
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
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Json { source, .. } => Some(source),
            Error::InvalidSender { source, .. } => Some(source),
            _ => None,
        }
    }
}
