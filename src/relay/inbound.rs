//! Messages and receipts for this host, from the stream: each message is committed into its
//! recipient's inbox (the Maildir write) unless the bridge already holds it, and acked only
//! after that: at-least-once on the wire, exactly-once on disk. What is ready is committed in
//! one batch: every file fsynced, one fsync per inbox, then the acks.

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::{AckKind, Message as Delivery};
use futures_util::{FutureExt, StreamExt};
use std::collections::HashSet;
use std::time::Duration;

use super::receipts::Awaiting;
use super::{Relay, off_thread, say, warn, wire};
use crate::bridge::{Bridge, Error, Message, Name, Receipt};
use crate::error::CliError;

/// At most this many ready messages share one batch of fsyncs.
const BATCH: usize = 64;
/// How long without a delivery before the consumer is looked up.
const QUIET_CHECK: Duration = Duration::from_secs(10);

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
    let mut again = false;
    loop {
        if again {
            // The last pull ended or failed: the server is away (the client reconnects by
            // itself), or it lost the stream or the consumer. Make sure they exist first.
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Ok(stream) = super::connect::stream_of(&r.js).await
                && let Ok(c) = super::connect::consumer_of(&stream, &r.host).await
            {
                consumer = c;
            }
        }
        again = true;
        let messages = consumer
            .stream()
            .max_messages_per_batch(200)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await;
        let Ok(mut messages) = messages else {
            continue;
        };
        loop {
            // The client follows a server that restarts, but not one that lost its store: after
            // a quiet spell, check that our consumer still exists.
            let first = match tokio::time::timeout(QUIET_CHECK, messages.next()).await {
                Ok(Some(first)) => first,
                Ok(None) => break,
                Err(_) if consumer.info().await.is_ok() => continue,
                Err(_) => break,
            };
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match messages.next().now_or_never() {
                    Some(Some(item)) => batch.push(item),
                    _ => break,
                }
            }
            // Missed heartbeats and the like: the stream recovers by itself.
            let batch: Vec<Delivery> = batch.into_iter().filter_map(Result::ok).collect();
            let Some(last) = batch.last() else { continue };
            let caught_up = last.info().is_ok_and(|i| i.pending == 0);
            let payloads: Vec<Payload> = batch.iter().map(Payload::of).collect();
            let bridge = r.bridge.clone();
            let outcomes = off_thread(move || commit(&bridge, payloads)).await;
            for (msg, outcome) in batch.iter().zip(outcomes) {
                let acked = match outcome {
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
                            "cannot commit what arrived on {}: {why}; it will come again",
                            msg.subject
                        ));
                        msg.ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                            .await
                    }
                };
                // Not acked: the server sends it again and the bridge sees a repeat.
                if acked.is_ok() {
                    match wire::Kind::of_subject(&msg.subject) {
                        Some(wire::Kind::Receipt) => receipts += 1,
                        _ => received += 1,
                    }
                }
            }
            if caught_up && received + receipts > 0 {
                say(format_args!(
                    "{}; caught up",
                    received_line(received, receipts)
                ));
                (received, receipts) = (0, 0);
            }
        }
    }
}

/// What the commit needs of one delivery, owned, for the blocking pool.
struct Payload {
    kind: Option<wire::Kind>,
    to: Option<String>,
    from_host: String,
    bytes: Vec<u8>,
}

impl Payload {
    fn of(m: &Delivery) -> Payload {
        let header = |name: &str| {
            m.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        Payload {
            kind: wire::Kind::of_subject(&m.subject),
            to: header(wire::TO_HEADER),
            from_host: header(wire::FROM_HOST_HEADER).unwrap_or_default(),
            bytes: m.payload.to_vec(),
        }
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

/// Commits one batch, in order; one outcome per delivery.
fn commit(bridge: &Bridge, batch: Vec<Payload>) -> Vec<Outcome> {
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(batch.len());
    let mut arrivals: Vec<(Name, Message)> = Vec::new();
    let mut arrived_at = Vec::new();
    for p in &batch {
        outcomes.push(match p.kind {
            Some(wire::Kind::Message) => match parse_message(p) {
                Ok(arrival) => {
                    arrived_at.push(outcomes.len());
                    arrivals.push(arrival);
                    None
                }
                Err(why) => Some(Outcome::Refused(why)),
            },
            Some(wire::Kind::Receipt) => Some(match serde_json::from_slice::<Receipt>(&p.bytes) {
                Ok(receipt) => match bridge.record_receipt(&receipt) {
                    Ok(_) => Outcome::Committed,
                    Err(e @ (Error::InvalidName { .. } | Error::InvalidId(_))) => {
                        Outcome::Refused(e.to_string())
                    }
                    Err(e) => Outcome::Retry(e.to_string()),
                },
                Err(e) => Outcome::Refused(format!("not a receipt ({e})")),
            }),
            None => Some(Outcome::Refused("unknown subject".into())),
        });
    }
    let results = bridge.commit_arrivals(&arrivals);
    let mut notes = Vec::new();
    let mut senders = HashSet::new();
    for ((i, (to, msg)), result) in arrived_at.into_iter().zip(&arrivals).zip(results) {
        outcomes[i] = Some(match result {
            Ok(written) => {
                let host = &batch[i].from_host;
                if wire::valid_host(host) {
                    // Where the sender lives (for the reply) and where its receipt goes.
                    if let Ok(sender) = Name::new(&msg.from)
                        && senders.insert(sender.clone())
                    {
                        let _ = bridge.learn_host(&sender, host);
                    }
                    notes.push(Awaiting::new(to, &msg.id, host));
                }
                if written {
                    Outcome::Committed
                } else {
                    Outcome::Repeat
                }
            }
            Err(e @ (Error::InvalidId(_) | Error::TooLarge { .. })) => {
                Outcome::Refused(format!("{} for {to}: {e}", one_line(&msg.id)))
            }
            Err(e) => Outcome::Retry(e.to_string()),
        });
    }
    if let Err(e) = Awaiting::note(bridge, &notes) {
        warn(format_args!(
            "the receipts of {} message(s) will not travel back: {e}",
            notes.len()
        ));
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Retry("not committed".into())))
        .collect()
}

/// The recipient: the mailbox the sender's host took it from, else the message's `to`.
fn parse_message(p: &Payload) -> Result<(Name, Message), String> {
    let msg: Message =
        serde_json::from_slice(&p.bytes).map_err(|e| format!("not a cc2cc message ({e})"))?;
    let to = p.to.as_deref().unwrap_or(&msg.to);
    let to = Name::new(to).map_err(|e| e.to_string())?;
    Ok((to, msg))
}

fn one_line(s: &str) -> String {
    crate::output::one_line(&s.chars().take(80).collect::<String>()).into_owned()
}

fn received_line(messages: usize, receipts: usize) -> String {
    match (messages, receipts) {
        (m, 0) => format!("received {m} message(s) from other hosts"),
        (0, r) => format!("received {r} receipt(s) from other hosts"),
        (m, r) => format!("received {m} message(s) and {r} receipt(s) from other hosts"),
    }
}
