//! Read receipts of messages that arrived from another host travel back to it, so the sender's
//! bridge holds the receipt beside its `relayed/` record. Each batch of arrivals leaves one
//! note in `relay/awaiting/` listing its messages and their senders' hosts (one file per batch,
//! not per message: file creations are what a busy disk makes slow). When a recipient's
//! receipt appears it is published to that host; a note goes when all its messages are
//! finished. Expiry notices need nothing here: they are messages.

use async_nats::jetstream::message::PublishMessage;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::{Relay, STATE, off_thread, warn, wire};
use crate::bridge::fsutil::Dir;
use crate::bridge::{Bridge, Finished, Name, Receipt, ids};
use crate::error::CliError;

const EVERY: Duration = Duration::from_secs(1);

/// One message whose receipt should go back to `host`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Awaiting {
    to: String,
    id: String,
    host: String,
}

impl Awaiting {
    pub fn new(to: &Name, id: &str, host: &str) -> Awaiting {
        Awaiting {
            to: to.to_string(),
            id: id.into(),
            host: host.into(),
        }
    }

    fn dir(bridge: &Bridge, create: bool) -> crate::bridge::Result<Dir> {
        bridge.dir(&[STATE, "awaiting"], create)
    }

    /// Writes one note for a batch of arrivals.
    pub fn note(bridge: &Bridge, batch: &[Awaiting]) -> crate::bridge::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let dir = Self::dir(bridge, true)?;
        write(&dir, &format!("{}.json", ids::new_message_id()), batch)
    }

    /// What became of this message here; None while it waits to be read. Unusable entries
    /// (a bad name or host in a damaged note) count as gone.
    fn finished(&self, bridge: &Bridge) -> Option<Finished> {
        match Name::new(&self.to) {
            Ok(to) if wire::valid_host(&self.host) => bridge.finished(&to, &self.id),
            _ => Some(Finished::Gone),
        }
    }
}

fn write(dir: &Dir, file: &str, batch: &[Awaiting]) -> crate::bridge::Result<()> {
    let json = serde_json::to_vec(batch).unwrap_or_default();
    dir.write_atomic(file, &json, false)
}

/// One note file and, for each of its messages, what became of it.
struct Note {
    file: String,
    entries: Vec<(Awaiting, Option<Finished>)>,
}

fn scan(bridge: &Bridge) -> Vec<Note> {
    let Ok(dir) = Awaiting::dir(bridge, false) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for file in dir.entries().unwrap_or_default() {
        if file.starts_with('.') {
            continue; // a note being written
        }
        let batch = dir
            .read(&file, 1 << 20)
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<Awaiting>>(&b).ok());
        let Some(batch) = batch else {
            let _ = dir.remove(&file);
            continue;
        };
        let entries = batch
            .into_iter()
            .map(|a| {
                let f = a.finished(bridge);
                (a, f)
            })
            .collect();
        notes.push(Note { file, entries });
    }
    notes
}

pub async fn run(r: &Relay) -> Result<(), CliError> {
    loop {
        let bridge = r.bridge.clone();
        let notes = off_thread(move || scan(&bridge)).await;
        for note in notes {
            let mut left = Vec::new();
            let mut changed = false;
            for (a, finished) in note.entries {
                let done = match &finished {
                    None => false,
                    Some(Finished::Expired | Finished::Gone) => true,
                    Some(Finished::Read(receipt)) => send_back(r, &a, receipt).await,
                };
                if done {
                    changed = true;
                } else {
                    left.push(a);
                }
            }
            if !changed {
                continue;
            }
            // The note keeps its name and loses what is finished.
            let bridge = r.bridge.clone();
            off_thread(move || {
                let Ok(dir) = Awaiting::dir(&bridge, false) else {
                    return;
                };
                if left.is_empty() {
                    let _ = dir.remove(&note.file);
                } else {
                    let _ = write(&dir, &note.file, &left);
                }
            })
            .await;
        }
        tokio::time::sleep(EVERY).await;
    }
}

async fn send_back(r: &Relay, a: &Awaiting, receipt: &Receipt) -> bool {
    let Ok(json) = serde_json::to_vec_pretty(receipt) else {
        return true;
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(wire::FROM_HOST_HEADER, r.host.as_str());
    let publish = PublishMessage::build()
        .message_id(wire::receipt_msg_id(&a.id))
        .headers(headers)
        .payload(json.into());
    let subject = wire::subject(&a.host, wire::Kind::Receipt);
    match r.js.send_publish(subject, publish).await {
        Ok(ack) => ack.await.is_ok(),
        Err(e) => {
            warn(format_args!(
                "cannot send the receipt of {} back: {e}",
                a.id
            ));
            false
        }
    }
}
