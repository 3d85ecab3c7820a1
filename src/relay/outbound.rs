//! Messages written here for agents of other hosts: each is published to the stream with its id
//! as `Nats-Msg-Id` (a re-publish after a crash is no second message), oldest first, and moves
//! from `to-<name>/inbox/` to `to-<name>/relayed/` only once the server has acked it.

use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc;

use super::{Relay, off_thread, say, warn, wire};
use crate::bridge::Name;
use crate::bridge::watch::{InboxWatcher, RESCAN_EVERY};
use crate::error::CliError;

/// Messages published before their acks are awaited: enough to fill the pipe, few enough that
/// a failure leaves most of a large inbox untouched.
const BATCH: usize = 256;

pub async fn run(r: &Relay) -> Result<(), CliError> {
    let (wake_tx, mut wake) = mpsc::unbounded_channel::<()>();
    let mut watchers: HashMap<Name, InboxWatcher> = HashMap::new();
    let mut stuck = HashSet::new();
    // Set while the server refuses what we publish; the warning is said once per spell.
    let mut failing = false;
    loop {
        let bridge = r.bridge.clone();
        let remote = off_thread(move || bridge.remote_agents()).await;
        for (name, _) in &remote {
            if !watchers.contains_key(name) {
                let tx = wake_tx.clone();
                let bridge = r.bridge.clone();
                let n = name.clone();
                let started = off_thread(move || {
                    bridge.mailbox(&n).ensure()?;
                    InboxWatcher::start(&bridge.inbox_dir(&n), None, move |_| {
                        let _ = tx.send(());
                    })
                })
                .await;
                match started {
                    Ok(w) => {
                        watchers.insert(name.clone(), w);
                    }
                    Err(e) => warn(format_args!("cannot watch {name}'s inbox: {e}")),
                }
            }
        }
        let connected = r.client.connection_state() == async_nats::connection::State::Connected;
        if connected {
            for (name, host) in remote.iter().filter(|(_, h)| *h != r.host) {
                let mut total = 0;
                loop {
                    match forward(r, name, host, &mut stuck).await {
                        Ok(Pass { sent, more }) => {
                            failing = false;
                            total += sent;
                            if !more {
                                break;
                            }
                        }
                        Err(e) => {
                            if !failing {
                                warn(format_args!(
                                    "cannot forward to host {host} ({e}); messages wait in to-{name}/inbox"
                                ));
                            }
                            failing = true;
                            // A server that lost its store has no stream: make it again.
                            let _ = super::connect::stream_of(&r.js).await;
                            break;
                        }
                    }
                }
                if total > 0 {
                    // The moves to relayed/ are made durable once per burst: a move lost to a
                    // power cut only means a re-publish, which the server and the receiving
                    // bridge both recognise.
                    let bridge = r.bridge.clone();
                    let n = name.clone();
                    if let Err(e) = off_thread(move || bridge.sync_relayed(&n)).await {
                        warn(e);
                    }
                    say(format_args!(
                        "forwarded {total} message(s) for {name} to host {host}"
                    ));
                }
            }
        }
        // Sleep until a message lands in a watched inbox, or the rescan that catches missed
        // events and new remote agents.
        // Where events cannot be had (a network filesystem), the watchers' polling pace.
        let pause = watchers
            .values()
            .map(InboxWatcher::interval)
            .chain([if failing || !connected {
                Duration::from_secs(1)
            } else {
                RESCAN_EVERY
            }])
            .min()
            .unwrap_or(RESCAN_EVERY);
        if let Ok(Some(())) = tokio::time::timeout(pause, wake.recv()).await {
            while wake.try_recv().is_ok() {}
        }
    }
}

struct Pass {
    sent: usize,
    /// More messages wait than one batch took.
    more: bool,
}

/// Publishes one batch of `name`'s pending messages to `host` and moves the acked ones to
/// `relayed/`. Err when the server did not take the first of them (it is down or refusing).
async fn forward(
    r: &Relay,
    name: &Name,
    host: &str,
    stuck: &mut HashSet<String>,
) -> Result<Pass, String> {
    let bridge = r.bridge.clone();
    let n = name.clone();
    let (pending, problems) = off_thread(move || bridge.mailbox(&n).pending_first(BATCH + 1)).await;
    for p in &problems {
        warn(p);
    }
    let more = pending.len() > BATCH;
    let subject = wire::subject(host, wire::Kind::Message);
    let mut acks = Vec::with_capacity(BATCH.min(pending.len()));
    for env in pending.into_iter().take(BATCH) {
        let mut headers = HeaderMap::new();
        headers.insert(wire::FROM_HOST_HEADER, r.host.as_str());
        headers.insert(wire::TO_HEADER, name.as_str());
        let publish = PublishMessage::build()
            .message_id(&env.message.id)
            .headers(headers)
            .payload(env.message.to_pretty_json().into());
        match r.js.send_publish(subject.clone(), publish).await {
            Ok(ack) => acks.push((env.file, ack)),
            Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                // Never accepted by this server: say so once and let the rest go on.
                if stuck.insert(env.file.clone()) {
                    warn(format_args!(
                        "to-{name}/inbox/{} is larger than the NATS server accepts; it stays there",
                        env.file
                    ));
                }
            }
            Err(e) => {
                if acks.is_empty() {
                    return Err(e.to_string());
                }
                break;
            }
        }
    }
    let mut accepted = Vec::with_capacity(acks.len());
    let mut failure = None;
    for (file, ack) in acks {
        // Await every ack: a later message the server took must not be published twice.
        match ack.await {
            Ok(_) => accepted.push(file),
            Err(e) => {
                failure.get_or_insert(e.to_string());
            }
        }
    }
    if accepted.is_empty()
        && let Some(e) = failure
    {
        return Err(e);
    }
    let sent = accepted.len();
    if sent == 0 {
        return Ok(Pass { sent, more: false });
    }
    let bridge = r.bridge.clone();
    let n = name.clone();
    off_thread(move || {
        for file in &accepted {
            if let Err(e) = bridge.mark_relayed(&n, file) {
                warn(e);
            }
        }
    })
    .await;
    Ok(Pass {
        sent,
        more: more && failure.is_none(),
    })
}
