//! Presence across hosts: every 5 s each relay puts its host's agents into the presence bucket
//! (key = host), and mirrors every other host's record into its bridge as heartbeats carrying
//! `host`. A mirror of an online agent is dated when its host's record was stored, so when a
//! relay stops publishing, its agents age out (15 s) like any heartbeat; a relay that stops
//! cleanly says so at once.

use async_nats::jetstream::kv::{Entry, Operation};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

use super::wire::{AgentEntry, HostPresence};
use super::{Relay, off_thread, say, warn, wire};
use crate::bridge::presence::{HEARTBEAT_EVERY, ONLINE_WINDOW};
use crate::bridge::watch::InboxWatcher;
use crate::bridge::{Name, RemoteAgent, clock};
use crate::error::CliError;

pub async fn run(r: &Relay) -> Result<(), CliError> {
    tokio::join!(publish_loop(r), mirror_loop(r));
    Ok(())
}

/// Refuses to start as a host whose name a live relay of another bridge uses: the two would
/// share one consumer and split each other's messages. A relay of this same bridge (restarted
/// after a crash) has our id and is no obstacle.
pub async fn claim_host(r: &Relay) -> Result<(), CliError> {
    let Ok(Some(entry)) = r.presence.entry(&r.host).await else {
        return Ok(());
    };
    let Ok(record) = serde_json::from_slice::<HostPresence>(&entry.value) else {
        return Ok(());
    };
    let age = clock::age(stored_at(&entry), SystemTime::now());
    if entry.operation == Operation::Put
        && record.running
        && record.relay_id != r.relay_id
        && age <= ONLINE_WINDOW
    {
        return Err(CliError::failed(format!(
            "host {} already has a relay, on another bridge (it reported {} s ago)",
            r.host,
            age.as_secs()
        ))
        .with_hint(
            "give each host its own --host NAME; if that relay has died, start again in 15 s",
        ));
    }
    Ok(())
}

/// When the server stored `entry`, by its clock, never later than ours.
fn stored_at(entry: &Entry) -> SystemTime {
    let nanos = entry.created.unix_timestamp_nanos().max(0) as u64;
    (UNIX_EPOCH + Duration::from_nanos(nanos)).min(SystemTime::now())
}

async fn publish_loop(r: &Relay) {
    // A local agent that comes or goes rewrites its heartbeat: publish then, not only every
    // 5 s, so other hosts see it within milliseconds. Without events, the timer alone.
    let (tx, mut changed) = mpsc::unbounded_channel::<()>();
    let bridge = r.bridge.clone();
    let _watcher = off_thread(move || {
        let status = bridge.dir(&["status"], true).ok()?;
        InboxWatcher::start_presence(status.path(), None, move |_| {
            let _ = tx.send(());
        })
        .ok()
    })
    .await;
    let mut failing = false;
    // Woken by a file event, publish only if who is here changed: the relay's own mirror
    // writes land in the same folder and must not echo between hosts. Every 5 s, publish
    // whatever the events say: that record is what keeps our agents online elsewhere.
    let mut last: Option<Vec<(String, bool)>> = None;
    let mut due = tokio::time::Instant::now();
    loop {
        let unless_same = if tokio::time::Instant::now() < due {
            last.as_deref()
        } else {
            None
        };
        match publish(r, true, unless_same).await {
            Ok(Some(who)) => {
                last = Some(who);
                due = tokio::time::Instant::now() + HEARTBEAT_EVERY;
                if failing {
                    failing = false;
                    say("presence published again");
                }
            }
            Ok(None) => {}
            Err(e) => {
                if !failing {
                    warn(format_args!("cannot publish this host's agents: {e}"));
                }
                failing = true;
                due = tokio::time::Instant::now() + HEARTBEAT_EVERY;
                // A server that lost its store has no bucket: make it again.
                let _ = super::connect::bucket_of(&r.js).await;
            }
        }
        if let Ok(Some(())) = tokio::time::timeout_at(due, changed.recv()).await {
            // A burst of heartbeat writes makes one record.
            tokio::time::sleep(Duration::from_millis(100)).await;
            while changed.try_recv().is_ok() {}
        }
    }
}

/// The last record of a relay that stops: every agent of this host out of reach.
pub async fn goodbye(r: &Relay) {
    let _ = publish(r, false, None).await;
}

/// Puts this host's record, unless `unless_same` holds the same agents in the same state
/// (a heartbeat file changed, but not who is here): then Ok(None). Returns who was published.
async fn publish(
    r: &Relay,
    running: bool,
    unless_same: Option<&[(String, bool)]>,
) -> Result<Option<Vec<(String, bool)>>, String> {
    let bridge = r.bridge.clone();
    let agents = off_thread(move || bridge.local_agents()).await;
    let who: Vec<(String, bool)> = agents
        .iter()
        .map(|a| (a.name.to_string(), running && a.online))
        .collect();
    if unless_same == Some(&who[..]) {
        return Ok(None);
    }
    let record = HostPresence {
        host: r.host.clone(),
        running,
        relay_id: r.relay_id.clone(),
        agents: agents
            .into_iter()
            .map(|a| AgentEntry {
                name: a.name.to_string(),
                online: running && a.online,
                last_seen: a.last_seen,
                online_since: a.heartbeat.and_then(|h| h.online_since),
            })
            .collect(),
    };
    let json = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
    r.presence
        .put(&r.host, json.into())
        .await
        .map(|_| Some(who))
        .map_err(|e| e.to_string())
}

/// Follows the bucket (each host's latest record first, then every change); a watch that ends
/// (the server went away) is started again.
async fn mirror_loop(r: &Relay) {
    let mut seen = Seen::default();
    loop {
        if let Ok(mut entries) = r.presence.watch_with_history(">").await {
            // An error means the watch lost its place, and silence means it follows a bucket
            // the server lost (our own record comes every 5 s): start a new one. It replays
            // each host's latest record, which is harmless.
            while let Ok(Some(Ok(entry))) =
                tokio::time::timeout(HEARTBEAT_EVERY * 3, entries.next()).await
            {
                apply(r, entry, &mut seen).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// What has been said already, so the log shows changes, not every 5 s record.
#[derive(Default)]
struct Seen {
    online: HashMap<String, usize>,
    clashes: HashSet<String>,
}

async fn apply(r: &Relay, entry: Entry, seen: &mut Seen) {
    let host = entry.key.clone();
    if !wire::valid_host(&host) {
        return;
    }
    let record = match entry.operation {
        Operation::Put => match serde_json::from_slice::<HostPresence>(&entry.value) {
            Ok(rec) => Some(rec),
            Err(e) => {
                warn(format_args!(
                    "ignoring a bad presence record of host {host}: {e}"
                ));
                return;
            }
        },
        Operation::Delete | Operation::Purge => None,
    };
    if host == r.host {
        if record.is_some_and(|rec| rec.running && rec.relay_id != r.relay_id)
            && seen.clashes.insert(host.clone())
        {
            warn(format_args!(
                "another relay also calls itself host {host}: give each host its own --host NAME"
            ));
        }
        return;
    }
    let Some(record) = record else {
        let bridge = r.bridge.clone();
        let gone = host.clone();
        let _ = off_thread(move || bridge.mirror_host_offline(&gone)).await;
        note_online(seen, &host, 0);
        return;
    };
    // Dated by the server's clock, never later than ours: a record replayed from a relay that
    // died long ago is old at once.
    let vouched = clock::format(stored_at(&entry));
    let agents: Vec<RemoteAgent> = record
        .agents
        .iter()
        .filter_map(|a| {
            let online = record.running && a.online;
            Some(RemoteAgent {
                name: Name::new(&a.name).ok()?,
                host: host.clone(),
                online,
                last_seen: if online {
                    vouched.clone()
                } else {
                    a.last_seen.clone().unwrap_or_default()
                },
                online_since: a.online_since.clone(),
            })
        })
        .collect();
    let online = agents.iter().filter(|a| a.online).count();
    let bridge = r.bridge.clone();
    let refused = off_thread(move || {
        let mut refused = Vec::new();
        for a in &agents {
            match bridge.mirror(a) {
                Ok(true) => {}
                Ok(false) => refused.push(a.name.to_string()),
                Err(e) => warn(format_args!("cannot mirror {}: {e}", a.name)),
            }
        }
        refused
    })
    .await;
    for name in refused {
        if seen.clashes.insert(format!("{name}@{host}")) {
            warn(format_args!(
                "{name} is online here and on host {host}; messages to {name} written here stay here"
            ));
        }
    }
    note_online(seen, &host, online);
}

fn note_online(seen: &mut Seen, host: &str, online: usize) {
    if seen.online.insert(host.to_owned(), online) != Some(online) {
        say(format_args!("host {host}: {online} agent(s) online"));
    }
}
