//! `cc2cc serve-mcp`: the MCP stdio server through which Claude Code uses the bridge.
//!
//! `rpc` frames JSON-RPC, `handshake` answers `initialize`, `tools` holds the tool table,
//! `push` decides what to push as channel notifications, `delivery` hands mail to the model in
//! tool results, and `server` is the loop that ties them to stdin, stdout, the inbox and signals.

mod delivery;
mod handshake;
mod log;
mod push;
mod rpc;
mod server;
mod tools;

use std::collections::HashSet;

use crate::bridge::{Bridge, Error, Message, Name, Presence, Problem};
use crate::cli::ServeMcpArgs;
use crate::context::Context;
use crate::error::CliError;

pub use push::{channels_flag, rule};

/// The agent this server is: its presence on the bridge and what it has pushed and reported.
pub struct Agent {
    pub bridge: Bridge,
    pub presence: Presence,
    pub pushed: push::Pushed,
    /// What a channel push is for (present, off, hint).
    pub channel: push::Mode,
    /// The Claude Code session whose name this is, so a rename moves the binding along.
    pub session: Option<String>,
    /// Long messages announced by a push and left for check_inbox.
    announced: HashSet<String>,
    /// Files whose problems were logged already, so a stuck file is reported once.
    noted: HashSet<String>,
}

impl Agent {
    pub fn name(&self) -> &Name {
        self.presence.name()
    }

    /// Logs what a pass over the inbox met but did not hand out, each file once.
    fn note(&mut self, problems: &[Problem], expired: &[Message]) {
        for p in problems {
            if self.noted.insert(p.file().to_owned()) {
                log::warn(p);
            }
        }
        for m in expired {
            log::info(format_args!(
                "{} from {} expired unread; its sender was told",
                m.id, m.from
            ));
        }
    }

    /// Delivered messages are never pushed afterwards, even if their file came back.
    fn mark_delivered(&mut self, messages: &[Message]) {
        for m in messages {
            self.pushed.insert(&m.id);
        }
    }
}

pub fn run(ctx: Context, args: ServeMcpArgs) -> Result<(), CliError> {
    log::init();
    let bridge = ctx.bridge.clone();
    let (given, chosen) = ctx.session_identity(true)?;
    let presence = go_online(&bridge, given)?;
    log::info(format_args!(
        "{} online on {} (name {chosen})",
        presence.name(),
        bridge.root().display()
    ));
    let (channel, why) = push::mode();
    log::info(format_args!("channel push: {channel:?} ({why})"));
    // A request may carry a whole message, JSON-escaped; anything far beyond is refused.
    let line_limit = usize::try_from(bridge.max_size().saturating_mul(4))
        .unwrap_or(usize::MAX)
        .max(1 << 20);
    let agent = Agent {
        bridge,
        presence,
        pushed: push::Pushed::default(),
        channel,
        session: match chosen {
            crate::context::Chosen::Session { id, .. } => Some(id),
            _ => None,
        },
        announced: HashSet::new(),
        noted: HashSet::new(),
    };
    server::serve(agent, args.poll, line_limit)
}

/// Claims the given name, or a generated one (retrying when another server wins the race).
fn go_online(bridge: &Bridge, name: Option<Name>) -> Result<Presence, CliError> {
    if let Some(name) = name {
        return Ok(bridge.go_online(&name)?);
    }
    let mut last = None;
    for _ in 0..8 {
        match bridge.go_online(&bridge.unused_name()) {
            Ok(p) => return Ok(p),
            Err(e @ Error::NameTaken { .. }) => last = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(|| CliError::failed("no free agent name"), Into::into))
}
