//! Who is on the bridge, as both front ends show it: one row per known agent (`list`,
//! `list_agents`) and an agent's view of itself (`whoami`).

use std::path::PathBuf;

use super::error::Result;
use super::{Bridge, Name, Presence};

/// One known agent, as a row of the agent list.
#[derive(Debug)]
pub struct AgentRow {
    pub name: Name,
    pub online: bool,
    /// The time of its last heartbeat, when it has one.
    pub last_seen: Option<String>,
    /// The agent asking is this one.
    pub is_self: bool,
    /// How many messages wait in its inbox; the error when the inbox could not be listed (an
    /// inbox that cannot be listed is not an empty one).
    pub pending: Result<usize>,
    /// The host and process its heartbeat names, when it says.
    pub host: Option<String>,
    pub pid: Option<u32>,
}

impl AgentRow {
    /// `online` or `offline`, as lists and their JSON say it.
    pub fn status(&self) -> &'static str {
        if self.online { "online" } else { "offline" }
    }
}

/// What an agent learns about itself and the bridge.
#[derive(Debug)]
pub struct Whoami {
    pub name: Name,
    pub online: bool,
    /// Since when it is online (RFC 3339), while it is.
    pub online_since: Option<String>,
    pub bridge_dir: PathBuf,
    pub online_agents: Vec<Name>,
}

impl Bridge {
    /// Every known agent, sorted by name; `me` (when known) is marked as self.
    pub fn roster(&self, me: Option<&Name>) -> Vec<AgentRow> {
        self.agents()
            .into_iter()
            .map(|a| {
                let heartbeat = a.heartbeat.as_ref();
                AgentRow {
                    pending: self.mailbox(&a.name).pending_count(),
                    is_self: me == Some(&a.name),
                    host: heartbeat.and_then(|h| h.host.clone()),
                    pid: heartbeat.and_then(|h| h.pid),
                    online: a.online,
                    last_seen: a.last_seen,
                    name: a.name,
                }
            })
            .collect()
    }

    /// `me` as its presence files show it.
    pub fn whoami(&self, me: &Name) -> Whoami {
        let info = self.agent(me);
        let since = info
            .heartbeat
            .filter(|_| info.online)
            .and_then(|h| h.online_since);
        self.whoami_as(me.clone(), info.online, since)
    }

    /// The agent this process runs, which holds `presence`: online since it took the name, by
    /// its own record (its heartbeat file may lag behind).
    pub fn whoami_holding(&self, presence: &Presence) -> Whoami {
        let since = presence.since().to_owned();
        self.whoami_as(presence.name().clone(), true, Some(since))
    }

    fn whoami_as(&self, name: Name, online: bool, online_since: Option<String>) -> Whoami {
        Whoami {
            name,
            online,
            online_since,
            bridge_dir: self.root().to_path_buf(),
            online_agents: self.online_names(),
        }
    }
}
