//! Agents on other hosts, as a relay (`cc2cc relay`) shows them to this bridge: heartbeats it
//! mirrors from their host, messages that arrive from there, the record of messages handed on,
//! and receipts that come back. Nothing here knows how the hosts are joined.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

use super::error::{Error, Result};
use super::fsutil::{Dir, is_not_found};
use super::mailbox::{DONE, INBOX, RECEIPTS, RELAYED};
use super::presence::Heartbeat;
use super::{AgentInfo, Bridge, Message, Name, clock, ids};

/// The heartbeat field that marks a mirror: written by a relay for an agent of another host.
const MIRROR_FIELD: &str = "mirror";

impl Heartbeat {
    /// True when a relay wrote this heartbeat for an agent that lives on another host: its
    /// liveness is the heartbeat's age, never a lock or a pid of this machine.
    pub fn is_mirror(&self) -> bool {
        self.extra.get(MIRROR_FIELD) == Some(&Value::Bool(true))
    }
}

/// One agent of another host, as its host's relay reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteAgent {
    pub name: Name,
    pub host: String,
    pub online: bool,
    /// RFC 3339; for an online agent, when its host last vouched for it.
    pub last_seen: String,
    pub online_since: Option<String>,
}

/// What the original writes as a receipt, and what travels back to the sender's host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub msg_id: String,
    pub delivered_at: String,
    pub delivered_to: String,
}

impl Bridge {
    pub fn relayed_dir(&self, name: &Name) -> std::path::PathBuf {
        self.mailbox_dir(name).join("relayed")
    }

    /// Agents that live on this host: a heartbeat of our own (not a mirror) or a held lock.
    pub fn local_agents(&self) -> Vec<AgentInfo> {
        self.agents()
            .into_iter()
            .filter(|a| match &a.heartbeat {
                Some(h) => !h.is_mirror(),
                None => a.online,
            })
            .collect()
    }

    /// Agents mirrored from other hosts, with their host, sorted by name.
    pub fn remote_agents(&self) -> Vec<(Name, String)> {
        self.agents()
            .into_iter()
            .filter_map(|a| {
                let h = a.heartbeat.filter(|h| h.is_mirror())?;
                Some((a.name, h.host?))
            })
            .collect()
    }

    /// Writes the heartbeat of an agent that lives on another host. An agent of this host that
    /// is online keeps its name: Ok(false), nothing written. Unchanged mirrors are not rewritten.
    pub fn mirror(&self, agent: &RemoteAgent) -> Result<bool> {
        let here = self.agent(&agent.name);
        let existing = here.heartbeat.as_ref();
        if here.online && !existing.is_some_and(Heartbeat::is_mirror) {
            return Ok(false);
        }
        let status = if agent.online { "active" } else { "offline" };
        if existing.is_some_and(|h| {
            h.is_mirror()
                && h.status == status
                && h.heartbeat == agent.last_seen
                && h.host.as_deref() == Some(agent.host.as_str())
        }) {
            return Ok(true);
        }
        let mut extra = Map::new();
        extra.insert(MIRROR_FIELD.into(), Value::Bool(true));
        let hb = Heartbeat {
            agent: agent.name.to_string(),
            name: agent.name.to_string(),
            timestamp: agent.last_seen.clone(),
            heartbeat: agent.last_seen.clone(),
            session_id: Value::Null,
            parent_pid: Value::Null,
            status: status.into(),
            context: Value::from(format!("on host {}, via cc2cc relay", agent.host)),
            pid: None,
            host: Some(agent.host.clone()),
            version: None,
            online_since: agent.online_since.clone(),
            extra,
        };
        let json = serde_json::to_string_pretty(&hb).unwrap_or_default();
        let file = format!("{}-heartbeat.json", agent.name);
        self.dir(&["status"], true)?
            .write_atomic(&file, json.as_bytes(), false)?;
        Ok(true)
    }

    /// Notes that `name` lives on `host` when nothing here says where it lives (no heartbeat):
    /// a message from it arrived from there, so a reply must go there.
    pub fn learn_host(&self, name: &Name, host: &str) -> Result<()> {
        if self.heartbeat(name).is_some() || self.agent(name).online {
            return Ok(());
        }
        self.mirror(&RemoteAgent {
            name: name.clone(),
            host: host.into(),
            online: false,
            last_seen: String::new(),
            online_since: None,
        })
        .map(drop)
    }

    /// Marks every agent mirrored from `host` offline (its relay said goodbye or vanished).
    pub fn mirror_host_offline(&self, host: &str) -> Result<()> {
        for a in self.agents() {
            let Some(h) = a.heartbeat.filter(|h| h.is_mirror()) else {
                continue;
            };
            if h.host.as_deref() == Some(host) && h.status != "offline" {
                self.mirror(&RemoteAgent {
                    name: a.name,
                    host: host.into(),
                    online: false,
                    last_seen: h.heartbeat,
                    online_since: h.online_since,
                })?;
            }
        }
        Ok(())
    }

    /// True when `name`'s inbox, history or relayed record holds message `id`: a message that
    /// arrives again must not be written twice.
    pub fn holds(&self, name: &Name, id: &str) -> bool {
        let file = format!("{id}.json");
        ids::is_safe_id(id)
            && [INBOX, DONE, RELAYED]
                .iter()
                .any(|sub| self.has_file(name, sub, &file))
    }

    /// True when folder `sub` of `name`'s mailbox has an entry `file` (a link is not followed).
    fn has_file(&self, name: &Name, sub: &str, file: &str) -> bool {
        self.folder(name, sub, false)
            .is_ok_and(|dir| dir.stat(file).is_ok())
    }

    /// Commits a message that arrived from another host into `to`'s inbox (the Maildir write),
    /// unless this bridge already holds it: Ok(false) for a repeat.
    pub fn commit_arrived(&self, to: &Name, msg: &Message) -> Result<bool> {
        self.commit_arrivals(&[(to.clone(), msg.clone())])
            .pop()
            .unwrap_or(Ok(false))
    }

    /// [`Bridge::commit_arrived`] for a batch: every file fsynced and renamed in, then one fsync
    /// per inbox, so each message is durable when this returns, at a fraction of the fsyncs.
    pub fn commit_arrivals(&self, arrivals: &[(Name, Message)]) -> Vec<Result<bool>> {
        let mut results: Vec<Result<bool>> = arrivals
            .iter()
            .map(|(to, msg)| {
                if !ids::is_safe_id(&msg.id) {
                    return Err(Error::InvalidId(msg.id.chars().take(80).collect()));
                }
                if self.holds(to, &msg.id) {
                    return Ok(false);
                }
                self.mailbox(to).write_inbox(msg, false).map(|_| true)
            })
            .collect();
        let mut synced: Vec<&Name> = Vec::new();
        for (i, (to, _)) in arrivals.iter().enumerate() {
            if !matches!(results[i], Ok(true)) || synced.contains(&to) {
                continue;
            }
            synced.push(to);
            let dir = self.inbox_dir(to);
            let sync = self
                .folder(to, INBOX, false)
                .and_then(|inbox| inbox.sync().map_err(|e| Error::io("sync", &dir, e)));
            if let Err(e) = sync {
                // Not durable: none of this inbox's new messages may be acked.
                let e = Arc::new(e);
                for (j, (other, _)) in arrivals.iter().enumerate() {
                    if other == to && matches!(results[j], Ok(true)) {
                        results[j] = Err(Error::Shared(Arc::clone(&e)));
                    }
                }
            }
        }
        results
    }

    /// Moves a message that another host has accepted from `name`'s inbox to `relayed/`, the
    /// sender's record that it left. False when it was no longer in the inbox.
    pub fn mark_relayed(&self, name: &Name, file: &str) -> Result<bool> {
        let relayed = self.folder(name, RELAYED, true)?;
        let inbox = match self.folder(name, INBOX, false) {
            Err(e) if is_not_found(&e) => return Ok(false),
            other => other?,
        };
        let from = inbox.path().join(file);
        match inbox.rename(file, &relayed, file, false) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("move to relayed/", &from, e)),
        }
    }

    /// Makes a batch of [`Bridge::mark_relayed`] moves durable: one fsync per directory.
    pub fn sync_relayed(&self, name: &Name) -> Result<()> {
        for sub in [RELAYED, INBOX] {
            let dir: Dir = self.folder(name, sub, false)?;
            dir.sync().map_err(|e| Error::io("sync", dir.path(), e))?;
        }
        Ok(())
    }

    /// The receipt `name` left for message `id`, if it has read it.
    pub fn receipt(&self, name: &Name, id: &str) -> Option<Receipt> {
        if !ids::is_safe_id(id) {
            return None;
        }
        let bytes = self
            .folder(name, RECEIPTS, false)
            .ok()?
            .read(&format!("{id}.receipt.json"), 64 * 1024)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes a receipt that came back from the recipient's host, for a message that left from
    /// here (it is in `relayed/`). Ok(false) for a receipt of a message we never sent.
    pub fn record_receipt(&self, receipt: &Receipt) -> Result<bool> {
        let name = Name::new(&receipt.delivered_to)?;
        let id = &receipt.msg_id;
        if !ids::is_safe_id(id) {
            return Err(Error::InvalidId(id.chars().take(80).collect()));
        }
        if !self.has_file(&name, RELAYED, &format!("{id}.json")) {
            return Ok(false);
        }
        let json = serde_json::to_string_pretty(receipt).unwrap_or_default();
        self.folder(&name, RECEIPTS, true)?.write_atomic(
            &format!("{id}.receipt.json"),
            json.as_bytes(),
            false,
        )?;
        Ok(true)
    }

    /// Whether `name` read message `id` or it expired unread: either way it is finished here.
    /// None while it waits in the inbox (or was claimed an instant ago, receipt to follow).
    pub fn finished(&self, name: &Name, id: &str) -> Option<Finished> {
        if let Some(r) = self.receipt(name, id) {
            return Some(Finished::Read(r));
        }
        if !ids::is_safe_id(id) {
            return Some(Finished::Gone);
        }
        let file = format!("{id}.json");
        if self.has_file(name, INBOX, &file) {
            return None;
        }
        let done = self
            .folder(name, DONE, false)
            .map_err(|_| ())
            .and_then(|d| d.read(&file, self.max_size()).map_err(|_| ()));
        match done.map(|b| serde_json::from_slice::<Message>(&b)) {
            Ok(Ok(m)) if m.is_expired(clock::now()) => Some(Finished::Expired),
            Ok(_) => None,
            Err(_) => Some(Finished::Gone),
        }
    }
}

/// How a message that arrived from another host ended here.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished {
    Read(Receipt),
    /// Moved to `done/` unread; its sender got a notice, which travels as a message.
    Expired,
    /// Neither pending nor read: removed by hand.
    Gone,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::Draft;

    fn bridge() -> (tempfile::TempDir, Bridge) {
        let dir = tempfile::tempdir().unwrap();
        let b = Bridge::open(&dir.path().join("b")).unwrap();
        (dir, b)
    }

    fn remote(name: &str, online: bool) -> RemoteAgent {
        RemoteAgent {
            name: Name::new(name).unwrap(),
            host: "far".into(),
            online,
            last_seen: clock::now_string(),
            online_since: None,
        }
    }

    #[test]
    fn mirrors_are_remote_and_judged_by_age() {
        let (_d, b) = bridge();
        assert!(b.mirror(&remote("bob", true)).unwrap());
        let bob = Name::new("bob").unwrap();
        assert!(
            b.is_online(&bob),
            "a fresh mirror of an online agent is online"
        );
        assert_eq!(b.remote_agents(), vec![(bob.clone(), "far".to_owned())]);
        assert!(b.local_agents().is_empty());
        b.mirror_host_offline("far").unwrap();
        assert!(!b.is_online(&bob));
        assert_eq!(b.remote_agents().len(), 1, "an offline mirror still routes");
    }

    #[test]
    fn an_online_local_agent_keeps_its_name() {
        let (_d, b) = bridge();
        let me = Name::new("alice").unwrap();
        let presence = b.go_online(&me).unwrap();
        assert!(!b.mirror(&remote("alice", true)).unwrap());
        assert!(!b.heartbeat(&me).unwrap().is_mirror());
        assert_eq!(b.local_agents().len(), 1);
        presence.leave("test").unwrap();
        drop(presence);
        // Gone offline here, the name may now be mirrored from where it lives.
        assert!(b.mirror(&remote("alice", true)).unwrap());
        b.learn_host(&me, "other").unwrap();
        assert_eq!(
            b.heartbeat(&me).unwrap().host.as_deref(),
            Some("far"),
            "learning never overrides"
        );
    }

    #[test]
    fn arrivals_are_written_once_and_relayed_messages_leave_the_inbox() {
        let (_d, b) = bridge();
        let m = crate::bridge::Message::new("alice", Draft::new("bob", "hi"));
        let bob = Name::new("bob").unwrap();
        assert!(b.commit_arrived(&bob, &m).unwrap());
        assert!(!b.commit_arrived(&bob, &m).unwrap(), "a repeat is skipped");
        assert_eq!(b.mailbox(&bob).pending_count().unwrap(), 1);
        let file = format!("{}.json", m.id);
        assert!(b.mark_relayed(&bob, &file).unwrap());
        b.sync_relayed(&bob).unwrap();
        assert!(!b.mark_relayed(&bob, &file).unwrap());
        assert_eq!(b.mailbox(&bob).pending_count().unwrap(), 0);
        assert!(
            !b.commit_arrived(&bob, &m).unwrap(),
            "a message that left from here is no arrival"
        );
        let mut bad = m.clone();
        bad.id = "../../x".into();
        assert!(b.commit_arrived(&bob, &bad).is_err());
        let batch: Vec<(Name, Message)> = (0..3)
            .map(|i| {
                let text = i.to_string();
                (bob.clone(), Message::new("alice", Draft::new("bob", &text)))
            })
            .collect();
        let results = b.commit_arrivals(&batch);
        assert!(results.iter().all(|r| matches!(r, Ok(true))), "{results:?}");
        assert_eq!(b.mailbox(&bob).pending_count().unwrap(), 3);
    }

    #[test]
    fn receipts_come_back_only_for_messages_sent_from_here() {
        let (_d, b) = bridge();
        let receipt = Receipt {
            msg_id: "msg-1".into(),
            delivered_at: clock::now_string(),
            delivered_to: "bob".into(),
        };
        assert!(!b.record_receipt(&receipt).unwrap());
        let bob = Name::new("bob").unwrap();
        std::fs::create_dir_all(b.relayed_dir(&bob)).unwrap();
        std::fs::write(b.relayed_dir(&bob).join("msg-1.json"), "{}").unwrap();
        assert!(b.record_receipt(&receipt).unwrap());
        assert_eq!(b.finished(&bob, "msg-1"), Some(Finished::Read(receipt)));
        assert_eq!(b.finished(&bob, "msg-2"), Some(Finished::Gone));
    }
}
