//! Resolving the bridge directory and the identity from flags and environment, shared by the
//! commands and the MCP server so both find the same bridge and the same name.

use std::path::PathBuf;

use crate::bridge::{self, Bridge, Name};
use crate::cli::{Global, parse_size};
use crate::error::CliError;

pub struct Context {
    pub bridge: Bridge,
    name: Option<String>,
    pub json: bool,
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
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
        let root = global
            .bridge
            .clone()
            .or_else(|| env("CC2CC_BRIDGE_DIR").map(PathBuf::from))
            .or_else(|| env("BRIDGE_DIR").map(PathBuf::from))
            .or_else(|| std::env::home_dir().map(|h| h.join(".cc2cc")))
            .ok_or_else(|| {
                CliError::failed("cannot find a bridge directory: HOME is not set")
                    .with_hint("pass --bridge DIR or set CC2CC_BRIDGE_DIR")
            })?;
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
        Ok(Context {
            bridge,
            name: global
                .name
                .clone()
                .or_else(|| env("CC2CC_NAME"))
                .or_else(|| env("SELF")),
            json: global.json,
        })
    }

    /// The identity, for commands that act as someone.
    pub fn me(&self) -> Result<Name, CliError> {
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
}
