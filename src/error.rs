//! Command errors and the exit codes they map to.

use crate::bridge;

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
        if sig == libc::SIGINT {
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
        let hint = e.hint();
        match e {
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
