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
        let bridge = Bridge::open(&root)?
            .with_max_size(max_size)
            .with_encryption(env("CC2CC_ENCRYPT").as_deref() == Some("1"));
        if let Some(w) = bridge.ownership_warning() {
            eprintln!("cc2cc: warning: {w}");
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
                    "pass --as NAME, set CC2CC_NAME, or claim one with `cc2cc register`",
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
