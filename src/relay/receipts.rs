//! Read receipts of messages that arrived from another host travel back to it, so the sender's
//! bridge holds the receipt beside its `relayed/` record. Each arrived message leaves a note,
//! `relay/awaiting/<recipient>/<id>` holding the sender's host; when the recipient's receipt
//! appears it is published to that host and the note removed. Expiry notices need nothing
//! here: they are messages.

use async_nats::jetstream::message::PublishMessage;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Relay, off_thread, state_dir, warn, wire};
use crate::bridge::{Bridge, Finished, Name, Receipt, fsutil, ids};
use crate::error::CliError;

const EVERY: Duration = Duration::from_secs(1);

/// A note that a message came from another host and its receipt should go back.
pub struct Awaiting {
    path: PathBuf,
    msg_id: String,
    host: String,
}

impl Awaiting {
    fn dir(bridge: &Bridge) -> PathBuf {
        state_dir(bridge).join("awaiting")
    }

    pub fn note(bridge: &Bridge, to: &Name, id: &str, host: &str) -> crate::bridge::Result<()> {
        let dir = Self::dir(bridge).join(to.as_str());
        if !dir.is_dir() {
            fsutil::create_dir_private(&dir)?;
        }
        fsutil::write_atomic(&dir, id, host.as_bytes(), false)?;
        Ok(())
    }

    /// The notes whose message is finished (read, expired or gone), with what became of it.
    /// A note is read only then: a pending message costs two failed stats per pass.
    fn finished(bridge: &Bridge) -> Vec<(Awaiting, Finished)> {
        let mut found = Vec::new();
        for (to, dir) in subdirs(&Self::dir(bridge)) {
            for (id, path) in message_notes(&dir) {
                let Some(finished) = bridge.finished(&to, &id) else {
                    continue;
                };
                let host = fsutil::read_regular(&path, 256)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|h| wire::valid_host(h));
                match host {
                    Some(host) => found.push((
                        Awaiting {
                            path,
                            msg_id: id,
                            host,
                        },
                        finished,
                    )),
                    None => drop(std::fs::remove_file(&path)),
                }
            }
        }
        found
    }
}

/// Subdirectories named by a valid agent name.
fn subdirs(dir: &Path) -> Vec<(Name, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| Some((Name::new(e.file_name().to_str()?).ok()?, e.path())))
        .collect()
}

/// Entries named by a safe message id (temp files start with a dot and are not).
fn message_notes(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let id = e.file_name().to_str()?.to_owned();
            ids::is_safe_id(&id).then(|| (id, e.path()))
        })
        .collect()
}

pub async fn run(r: &Relay) -> Result<(), CliError> {
    loop {
        let bridge = r.bridge.clone();
        let notes = off_thread(move || Awaiting::finished(&bridge)).await;
        for (note, finished) in notes {
            let done = match finished {
                Finished::Expired | Finished::Gone => true,
                Finished::Read(receipt) => send_back(r, &note, &receipt).await,
            };
            if done {
                let _ = std::fs::remove_file(&note.path);
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
