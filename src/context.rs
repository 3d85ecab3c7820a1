//! Resolving the bridge directory and the identity from flags and environment, shared by the
//! commands and the MCP server so both find the same bridge and the same name.

use std::path::PathBuf;

use crate::bridge::sessions::Binding;
use crate::bridge::{self, Bridge, Name};
use crate::cli::{Global, parse_size};
use crate::error::CliError;

pub struct Context {
    pub bridge: Bridge,
    name: Option<String>,
    /// Where `name` came from: `--as`, `CC2CC_NAME` or `SELF`.
    name_from: &'static str,
    pub json: bool,
}

/// How a long-running agent (serve-mcp, the monitor) found its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// `--as`, `CC2CC_NAME` or `SELF`.
    Given(&'static str),
    /// Bound to the Claude Code session (`CLAUDE_CODE_SESSION_ID`).
    Session { id: String, bound: Binding },
    /// Nothing given and no session: the caller picks (serve-mcp generates one).
    Nothing,
}

impl std::fmt::Display for Chosen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Chosen::Given(from) => write!(f, "given by {from}"),
            Chosen::Session { id, bound } => write!(
                f,
                "bound to Claude Code session {id}{}",
                if *bound == Binding::New {
                    " just now"
                } else {
                    ""
                }
            ),
            Chosen::Nothing => f.write_str("none given and no Claude Code session"),
        }
    }
}

/// The Claude Code session this process belongs to, when Claude Code started it.
pub fn session_id() -> Option<String> {
    env("CLAUDE_CODE_SESSION_ID")
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// The bridge directory the options and environment name: `--bridge`, `CC2CC_BRIDGE_DIR`,
/// `BRIDGE_DIR`, else `~/.cc2cc`.
pub fn bridge_root(global: &Global) -> Result<PathBuf, CliError> {
    global
        .bridge
        .clone()
        .or_else(|| env("CC2CC_BRIDGE_DIR").map(PathBuf::from))
        .or_else(|| env("BRIDGE_DIR").map(PathBuf::from))
        .or_else(|| std::env::home_dir().map(|h| h.join(".cc2cc")))
        .ok_or_else(|| {
            CliError::failed("cannot find a bridge directory: HOME is not set")
                .with_hint("pass --bridge DIR or set CC2CC_BRIDGE_DIR")
        })
}

/// A yes/no variable: 1/true/yes/on or 0/false/no/off (any case; unset or empty is no).
/// Anything else fails loudly: `CC2CC_ENCRYPT=ture` must not quietly send plain text.
pub fn flag(var: &str) -> Result<bool, CliError> {
    let Some(raw) = env(var) else {
        return Ok(false);
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(CliError::usage(format!(
            "{var}={:?} is not a yes/no value: use 1, true, yes or on (0, false, no or off)",
            crate::output::one_line(&raw)
        ))),
    }
}

impl Context {
    pub fn new(global: &Global) -> Result<Context, CliError> {
        let root = bridge_root(global)?;
        let max_size = match (global.max_size, env("CC2CC_MAX_SIZE")) {
            (Some(n), _) => n,
            (None, Some(s)) => {
                parse_size(&s).map_err(|e| CliError::usage(format!("CC2CC_MAX_SIZE: {e}")))?
            }
            (None, None) => bridge::DEFAULT_MAX_SIZE,
        };
        crate::output::set_quiet(global.quiet || flag("CC2CC_QUIET")?);
        let bridge = Bridge::open_with(&root, flag("CC2CC_ALLOW_SHARED_BRIDGE")?)?
            .with_max_size(max_size)
            .with_encryption(flag("CC2CC_ENCRYPT")?);
        if let Some(w) = bridge.ownership_warning() {
            crate::output::warn(&w);
        }
        let (name, name_from) = match (global.name.clone(), env("CC2CC_NAME"), env("SELF")) {
            (Some(n), _, _) => (Some(n), "--as"),
            (None, Some(n), _) => (Some(n), "CC2CC_NAME"),
            (None, None, Some(n)) => (Some(n), "SELF"),
            (None, None, None) => (None, ""),
        };
        Ok(Context {
            bridge,
            name,
            name_from,
            json: global.json,
        })
    }

    /// The identity, for commands that act as someone.
    pub fn me(&self) -> Result<Name, CliError> {
        // Run by a Claude Code session (its Bash tool): act as the session's agent.
        if let (None, Ok((Some(name), _))) = (&self.name, self.session_identity(false)) {
            return Ok(name);
        }
        match &self.name {
            Some(n) => Ok(Name::new(n)?),
            None => Err(
                CliError::failed("no identity: this command acts as an agent").with_hint(
                    "pass --as NAME or set CC2CC_NAME=NAME (`cc2cc register NAME` creates the \
                     mailbox of a name for a script)",
                ),
            ),
        }
    }

    /// The identity if one was given (validated), for commands that work without one.
    pub fn maybe_me(&self) -> Result<Option<Name>, CliError> {
        self.name
            .as_deref()
            .map(Name::new)
            .transpose()
            .map_err(Into::into)
    }

    /// The identity of a process that serves a Claude Code session: a given name wins; else
    /// the name bound to the session (binding one when `bind`, else only looking it up).
    pub fn session_identity(&self, bind: bool) -> Result<(Option<Name>, Chosen), CliError> {
        if let Some(name) = self.maybe_me()? {
            return Ok((Some(name), Chosen::Given(self.name_from)));
        }
        let Some(id) = session_id() else {
            return Ok((None, Chosen::Nothing));
        };
        let found = if bind {
            Some(self.bridge.bind_session(&id)?)
        } else {
            self.bridge
                .session_name(&id)?
                .map(|n| (n, Binding::Existing))
        };
        Ok(match found {
            Some((name, bound)) => (Some(name), Chosen::Session { id, bound }),
            None => (None, Chosen::Nothing),
        })
    }
}
