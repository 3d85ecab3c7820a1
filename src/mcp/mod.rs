//! `cc2cc serve-mcp`: the MCP stdio server through which Claude Code uses the bridge.
//!
//! `rpc` frames JSON-RPC, `requests` answers each request (`handshake` for `initialize`,
//! `tools` for the tool table), `push` shapes channel notifications and `new_mail` decides what
//! to push, `delivery` hands mail to the model in tool results, and `server` is the event loop
//! that ties them to stdin, stdout, the inbox, the timers and signals.

mod delivery;
mod handshake;
mod log;
mod new_mail;
mod push;
mod requests;
mod rpc;
mod server;
mod tools;

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::bridge::{Bridge, Error, Message, Name, Presence, Problem, Recall};
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
    /// Messages in the result being built, to claim once it is written: (file, message).
    unclaimed: Vec<(String, Message)>,
    /// Long messages being shown in parts, by id.
    pub parts: HashMap<String, Parts>,
    /// The inbox listing of the last tool result's pass, for the next one.
    recall: Recall,
}

/// A long message shown part by part; claimed when every part was shown.
pub struct Parts {
    file: String,
    pub message: Message,
    total: usize,
    shown: BTreeSet<usize>,
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

    /// Queues `message` (from `file`) to be claimed once the result that carries it is written.
    fn claim_after_write(&mut self, file: String, message: Message) {
        self.unclaimed.push((file, message));
    }

    /// After a response was written (or could not be): claims what it carried, or leaves it
    /// all pending. Delivered messages are never pushed afterwards, even if their file came back.
    pub fn settle(&mut self, written: bool) {
        let unclaimed = std::mem::take(&mut self.unclaimed);
        if !written {
            if !unclaimed.is_empty() {
                log::info(format_args!(
                    "{} message(s) stay pending: the result carrying them was not written",
                    unclaimed.len()
                ));
            }
            return;
        }
        let files: Vec<(&str, &str)> = unclaimed
            .iter()
            .map(|(file, m)| (file.as_str(), m.id.as_str()))
            .collect();
        let claimed = self.bridge.mailbox(self.name()).claim_files(&files);
        for ((file, m), claimed) in unclaimed.iter().zip(claimed) {
            self.pushed.remove(file);
            match claimed {
                Ok(true) => {}
                Ok(false) => log::warn(format_args!(
                    "{} was shown to the model but another reader had already taken it",
                    m.id
                )),
                Err(e) => log::warn(format_args!("cannot mark {} read: {e}", m.id)),
            }
        }
    }

    /// A file may have arrived since the last listing: the next pass lists again.
    pub fn list_inbox_again(&mut self) {
        self.recall.outdated();
    }

    /// Another inbox now (a rename): the last listing says nothing of it.
    pub fn forget_listing(&mut self) {
        self.recall = Recall::default();
    }

    fn start_parts(&mut self, file: String, message: Message) {
        let total = delivery::split(message.text(), delivery::PART_BYTES).len();
        self.parts.insert(
            message.id.clone(),
            Parts {
                file,
                message,
                total,
                shown: BTreeSet::new(),
            },
        );
    }

    /// Records that part `part` of `id` goes out; with the last one the message is queued for
    /// its claim.
    fn part_shown(&mut self, id: &str, part: usize) {
        let Some(p) = self.parts.get_mut(id) else {
            return;
        };
        p.shown.insert(part);
        if p.shown.len() == p.total
            && let Some(p) = self.parts.remove(id)
        {
            self.claim_after_write(p.file, p.message);
        }
    }

    /// The parts of `id` not shown yet; None when `id` is not being shown in parts.
    fn parts_missing(&self, id: &str) -> Option<Vec<usize>> {
        let p = self.parts.get(id)?;
        Some((1..=p.total).filter(|n| !p.shown.contains(n)).collect())
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
        unclaimed: Vec::new(),
        parts: HashMap::new(),
        recall: Recall::default(),
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
