//! The server's log: one line per event on stderr (stdout belongs to JSON-RPC), filtered by the
//! level in `CC2CC_LOG` (error, warn, info or debug; default warn).

use std::fmt::Display;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" | "trace" => Some(Level::Debug),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

static LEVEL: OnceLock<Level> = OnceLock::new();

/// Reads `CC2CC_LOG` once; an unknown value is reported and the default kept.
pub fn init() {
    let raw = std::env::var("CC2CC_LOG").unwrap_or_default();
    let level = match Level::parse(&raw) {
        Some(l) => l,
        None if raw.trim().is_empty() => Level::Warn,
        None => {
            eprintln!(
                "cc2cc: warning: CC2CC_LOG={raw:?} is not error, warn, info or debug; using warn"
            );
            Level::Warn
        }
    };
    let _ = LEVEL.set(level);
}

pub fn enabled(level: Level) -> bool {
    // --quiet keeps errors only, as for the other commands.
    let max = if crate::output::is_quiet() {
        Level::Error
    } else {
        *LEVEL.get_or_init(|| Level::Warn)
    };
    level <= max
}

/// Every line goes through the one sanitiser: file names and ids in it come from the bridge.
fn write(level: Level, msg: impl Display) {
    if enabled(level) {
        let msg = msg.to_string();
        eprintln!(
            "cc2cc: {}: {}",
            level.label(),
            crate::output::one_line(&msg)
        );
    }
}

pub fn error(msg: impl Display) {
    write(Level::Error, msg)
}

pub fn warn(msg: impl Display) {
    write(Level::Warn, msg)
}

pub fn info(msg: impl Display) {
    write(Level::Info, msg)
}

pub fn debug(msg: impl Display) {
    write(Level::Debug, msg)
}
