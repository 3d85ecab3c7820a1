//! Command errors and the exit codes they map to.

use crate::bridge::{self, Problem};

/// Exit statuses, as documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    Failure = 1,
    Usage = 2,
    Timeout = 124,
    Interrupted = 130,
    Terminated = 143,
}

impl ExitCode {
    /// 130 after Ctrl-C, 143 for SIGTERM and SIGHUP (as documented).
    pub fn of_signal(sig: i32) -> ExitCode {
        if sig == signal_hook::consts::SIGINT {
            ExitCode::Interrupted
        } else {
            ExitCode::Terminated
        }
    }
}

#[derive(Debug)]
pub enum CliError {
    /// A runtime failure: one line, maybe a hint.
    Failed {
        message: String,
        hint: Option<String>,
    },
    /// Bad arguments or input: exit 2.
    Usage(String),
    /// A `--timeout` or `--wait` ran out: exit 124.
    Timeout(String),
    /// Ended by this signal: exit 130 (SIGINT) or 143 (SIGTERM, SIGHUP).
    Signalled(i32),
    /// Failures already reported one per line (a partial broadcast): exit 1, print nothing more.
    Reported,
    /// Standard output was closed (`cc2cc list | head -1`): stop quietly, exit 0.
    BrokenPipe,
}

impl CliError {
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError::Failed {
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }

    pub fn with_hint(self, hint: impl Into<String>) -> CliError {
        match self {
            CliError::Failed { message, .. } => CliError::Failed {
                message,
                hint: Some(hint.into()),
            },
            other => other,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Failed { .. } | CliError::Reported => ExitCode::Failure,
            CliError::Usage(_) => ExitCode::Usage,
            CliError::Timeout(_) => ExitCode::Timeout,
            CliError::Signalled(sig) => ExitCode::of_signal(*sig),
            CliError::BrokenPipe => ExitCode::Success,
        }
    }

    /// What goes on stderr: `cc2cc: error: …` and an optional `hint: …` line, each through the
    /// sanitiser (a message may name a file or id that came from the bridge).
    pub fn report(&self) -> Option<String> {
        use crate::output::one_line;
        match self {
            CliError::Failed { message, hint } => Some(match hint {
                Some(h) => format!("cc2cc: error: {}\nhint: {}", one_line(message), one_line(h)),
                None => format!("cc2cc: error: {}", one_line(message)),
            }),
            CliError::Usage(m) => Some(format!("cc2cc: error: {}", one_line(m))),
            CliError::Timeout(m) => Some(format!("cc2cc: {}", one_line(m))),
            CliError::Signalled(_) | CliError::Reported | CliError::BrokenPipe => None,
        }
    }
}

impl From<bridge::Error> for CliError {
    fn from(e: bridge::Error) -> CliError {
        let hint = hint(&e);
        match e.unshared() {
            bridge::Error::InvalidName { .. }
            | bridge::Error::EmptyText
            | bridge::Error::LooksEncrypted => CliError::Usage(e.to_string()),
            _ => CliError::Failed {
                message: e.to_string(),
                hint,
            },
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return CliError::BrokenPipe;
        }
        CliError::failed(format!("cannot write output: {e}"))
    }
}

/// What the user can do about a library error, in the command line's words (its flags and
/// commands); the MCP server words its own.
pub fn hint(e: &bridge::Error) -> Option<String> {
    use bridge::Error;
    match e.unshared() {
        Error::Io { source, path, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            Some(format!(
                "check the permissions of {} or pick another bridge with --bridge DIR",
                path.display()
            ))
        }
        Error::InvalidName { .. } => Some(
            "names are 1-31 characters of a-z, 0-9 and '-', starting with a letter or digit".into(),
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
        Error::NoSecret(_) => Some("create the shared secret file, or unset CC2CC_ENCRYPT".into()),
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
        Error::NoSuchMessage(_) => {
            Some("ids come from send's output or `cc2cc history`; pruned history is gone".into())
        }
        Error::UnknownSchedule(_) => Some("`cc2cc schedule list` shows the schedules".into()),
        Error::PendingMail { .. } => Some(
            "read it first (`cc2cc --as NAME inbox`), or pass --force to remove it unread".into(),
        ),
        Error::UnknownAgent(_) => Some("`cc2cc list` shows the known agents".into()),
        Error::RecipientOffline(_) => {
            Some("drop --require-online to queue the message until it comes online".into())
        }
        _ => None,
    }
}

/// What to do about a message a reader met but could not hand out, where we know.
pub fn problem_hint(p: &Problem) -> Option<String> {
    match p {
        Problem::Undecryptable { error, .. } => hint(error),
        Problem::Oversized { size, .. } => Some(format!(
            "read it with a larger limit: --max-size {} (or CC2CC_MAX_SIZE)",
            size.div_ceil(1024).max(1) * 1024
        )),
        _ => None,
    }
}

/// One library failure among others (a row, a message) on stderr, with its hint; the command
/// goes on and reports failure at the end.
pub fn print(e: &bridge::Error) {
    crate::output::error(&e.to_string(), hint(e).as_deref());
}
