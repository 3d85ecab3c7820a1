//! Messages and receipts for this host, from the stream: each message is committed into its
//! recipient's inbox (the Maildir write) unless the bridge already holds it, and acked only
//! after that: at-least-once on the wire, exactly-once on disk.

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::PullConsumer;
use futures_util::StreamExt;
use std::time::Duration;

use super::receipts::Awaiting;
use super::{Relay, off_thread, say, warn, wire};
use crate::bridge::{Bridge, Message, Receipt};
use crate::error::CliError;

pub async fn run(r: &Relay, mut consumer: PullConsumer) -> Result<(), CliError> {
    if let Ok(info) = consumer.info().await
        && info.num_pending > 0
    {
        say(format_args!(
            "{} waiting in the stream for host {}",
            info.num_pending, r.host
        ));
    }
    let (mut received, mut receipts) = (0usize, 0usize);
    loop {
        let messages = consumer
            .stream()
            .max_messages_per_batch(200)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await;
        let mut messages = match messages {
            Ok(m) => m,
            Err(_) => {
                // The server is away; the client reconnects by itself.
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(item) = messages.next().await {
            // Missed heartbeats and the like: the stream recovers by itself.
            let Ok(msg) = item else { continue };
            let kind = wire::Kind::of_subject(&msg.subject);
            let from_host = msg
                .headers
                .as_ref()
                .and_then(|h| h.get(wire::FROM_HOST_HEADER))
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default();
            let payload = msg.payload.clone();
            let bridge = r.bridge.clone();
            let outcome = off_thread(move || commit(&bridge, kind, &payload, &from_host)).await;
            let ack = match outcome {
                Outcome::Committed | Outcome::Repeat => msg.ack().await,
                Outcome::Refused(why) => {
                    warn(format_args!(
                        "dropping what arrived on {}: {why}",
                        msg.subject
                    ));
                    msg.ack_with(AckKind::Term).await
                }
                Outcome::Retry(why) => {
                    warn(format_args!(
                        "cannot commit what arrived on {}: {why}; will retry",
                        msg.subject
                    ));
                    msg.ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                        .await
                }
            };
            if ack.is_err() {
                // Not acked: the server sends it again and the bridge sees a repeat.
                continue;
            }
            match kind {
                Some(wire::Kind::Receipt) => receipts += 1,
                _ => received += 1,
            }
            if msg.info().is_ok_and(|i| i.pending == 0) {
                say(format_args!(
                    "{}; caught up",
                    received_line(received, receipts)
                ));
                (received, receipts) = (0, 0);
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

enum Outcome {
    Committed,
    /// Already in the bridge: acked without writing again.
    Repeat,
    /// Can never be committed (bad JSON, bad name): terminated, with a warning.
    Refused(String),
    /// The bridge failed (disk full, permissions): the server redelivers it later.
    Retry(String),
}

fn commit(bridge: &Bridge, kind: Option<wire::Kind>, payload: &[u8], from_host: &str) -> Outcome {
    match kind {
        Some(wire::Kind::Message) => commit_message(bridge, payload, from_host),
        Some(wire::Kind::Receipt) => match serde_json::from_slice::<Receipt>(payload) {
            Ok(receipt) => match bridge.record_receipt(&receipt) {
                Ok(_) => Outcome::Committed,
                Err(e) => Outcome::Retry(e.to_string()),
            },
            Err(e) => Outcome::Refused(format!("not a receipt ({e})")),
        },
        None => Outcome::Refused("unknown subject".into()),
    }
}

fn commit_message(bridge: &Bridge, payload: &[u8], from_host: &str) -> Outcome {
    let msg: Message = match serde_json::from_slice(payload) {
        Ok(m) => m,
        Err(e) => return Outcome::Refused(format!("not a cc2cc message ({e})")),
    };
    match bridge.commit_arrived(&msg) {
        Ok(written) => {
            if wire::valid_host(from_host) {
                if let Ok(sender) = crate::bridge::Name::new(&msg.from) {
                    let _ = bridge.learn_host(&sender, from_host);
                }
                // The reader's receipt goes back to the sender's host; without a note of where
                // it came from it would stay here.
                if let Err(e) = Awaiting::note(bridge, &msg, from_host) {
                    warn(format_args!(
                        "the receipt of {} will not travel back: {e}",
                        msg.id
                    ));
                }
            }
            if written {
                Outcome::Committed
            } else {
                Outcome::Repeat
            }
        }
        Err(
            e @ (crate::bridge::Error::InvalidName { .. } | crate::bridge::Error::InvalidId(_)),
        ) => Outcome::Refused(e.to_string()),
        Err(e @ crate::bridge::Error::TooLarge { .. }) => Outcome::Refused(format!(
            "{} for {}: {e}",
            msg.id.chars().take(80).collect::<String>(),
            msg.to.chars().take(40).collect::<String>()
        )),
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

fn received_line(messages: usize, receipts: usize) -> String {
    match (messages, receipts) {
        (m, 0) => format!("received {m} message(s) from other hosts"),
        (0, r) => format!("received {r} receipt(s) from other hosts"),
        (m, r) => format!("received {m} message(s) and {r} receipt(s) from other hosts"),
    }
}
