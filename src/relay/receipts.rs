//! Read receipts of messages that arrived from another host travel back to it, so the sender's
//! bridge holds the receipt beside its `relayed/` record. Each arrived message leaves a note in
//! `relay/awaiting/`; when its reader writes the receipt, the receipt is published to the
//! sender's host and the note removed. Expiry notices need nothing here: they are messages.

use async_nats::jetstream::message::PublishMessage;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

use super::{Relay, off_thread, state_dir, warn, wire};
use crate::bridge::{Bridge, Finished, Message, Name, Receipt, fsutil};
use crate::error::CliError;

const EVERY: Duration = Duration::from_secs(1);

/// The note left for one arrived message.
#[derive(Debug, Serialize, Deserialize)]
pub struct Awaiting {
    pub msg_id: String,
    pub to: String,
    pub host: String,
}

impl Awaiting {
    fn dir(bridge: &Bridge) -> PathBuf {
        state_dir(bridge).join("awaiting")
    }

    pub fn note(bridge: &Bridge, msg: &Message, host: &str) -> crate::bridge::Result<()> {
        let dir = Self::dir(bridge);
        fsutil::create_dir_private(&dir)?;
        let note = Awaiting {
            msg_id: msg.id.clone(),
            to: msg.to.clone(),
            host: host.into(),
        };
        let json = serde_json::to_vec(&note).unwrap_or_default();
        fsutil::write_atomic(&dir, &format!("{}.json", msg.id), &json, false)?;
        Ok(())
    }

    /// Every note with what became of its message; unreadable notes are dropped.
    fn scan(bridge: &Bridge) -> Vec<(PathBuf, Awaiting, Option<Finished>)> {
        let Ok(entries) = std::fs::read_dir(Self::dir(bridge)) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for e in entries.flatten() {
            let path = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let note = fsutil::read_regular(&path, 4096)
                .ok()
                .and_then(|b| serde_json::from_slice::<Awaiting>(&b).ok());
            let Some((note, name)) = note.and_then(|n| {
                let name = Name::new(&n.to).ok()?;
                wire::valid_host(&n.host).then_some((n, name))
            }) else {
                let _ = std::fs::remove_file(&path);
                continue;
            };
            let finished = bridge.finished(&name, &note.msg_id);
            found.push((path, note, finished));
        }
        found
    }
}

pub async fn run(r: &Relay) -> Result<(), CliError> {
    loop {
        let bridge = r.bridge.clone();
        let notes = off_thread(move || Awaiting::scan(&bridge)).await;
        for (path, note, finished) in notes {
            let done = match finished {
                None => false,
                Some(Finished::Expired | Finished::Gone) => true,
                Some(Finished::Read(receipt)) => send_back(r, &note, &receipt).await,
            };
            if done {
                let _ = std::fs::remove_file(&path);
            }
        }
        tokio::time::sleep(EVERY).await;
    }
}

async fn send_back(r: &Relay, note: &Awaiting, receipt: &Receipt) -> bool {
    let Ok(json) = serde_json::to_vec_pretty(receipt) else {
        return true;
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(wire::FROM_HOST_HEADER, r.host.as_str());
    let publish = PublishMessage::build()
        .message_id(wire::receipt_msg_id(&note.msg_id))
        .headers(headers)
        .payload(json.into());
    let subject = wire::subject(&note.host, wire::Kind::Receipt);
    match r.js.send_publish(subject, publish).await {
        Ok(ack) => ack.await.is_ok(),
        Err(e) => {
            warn(format_args!(
                "cannot send the receipt of {} back: {e}",
                note.msg_id
            ));
            false
        }
    }
}
