//! What crosses the wire: the stream, bucket and subject names, the headers, and the presence
//! record each relay publishes. Messages and receipts travel as the JSON files they are on disk.

use serde::{Deserialize, Serialize};

/// The stream that carries messages and receipts between hosts: a work queue, so a message
/// stays until the receiving relay has committed it and acked.
pub const STREAM: &str = "CC2CC";
/// Everything the relays publish into [`STREAM`].
pub const STREAM_SUBJECTS: &str = "cc2cc.host.>";
/// The key-value bucket of presence: one key per host, its latest list of agents.
pub const PRESENCE_BUCKET: &str = "cc2cc-presence";
/// The host that published a message or receipt.
pub const FROM_HOST_HEADER: &str = "Cc2cc-From-Host";
/// The mailbox a message was taken from on the sender's host: its recipient, whatever the
/// file's `to` says.
pub const TO_HEADER: &str = "Cc2cc-To";

/// What a subject carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Message,
    Receipt,
}

impl Kind {
    fn token(self) -> &'static str {
        match self {
            Kind::Message => "msg",
            Kind::Receipt => "receipt",
        }
    }

    pub fn of_subject(subject: &str) -> Option<Kind> {
        match subject.rsplit('.').next()? {
            "msg" => Some(Kind::Message),
            "receipt" => Some(Kind::Receipt),
            _ => None,
        }
    }
}

/// Where `kind` for the agents of `host` is published.
pub fn subject(host: &str, kind: Kind) -> String {
    format!("cc2cc.host.{host}.{}", kind.token())
}

/// The durable consumer of one host, and what it takes from the stream.
pub fn consumer(host: &str) -> (String, String) {
    (format!("host-{host}"), format!("cc2cc.host.{host}.>"))
}

/// `Nats-Msg-Id` of a receipt: distinct from the message's own id.
pub fn receipt_msg_id(id: &str) -> String {
    format!("receipt-{id}")
}

/// A host name on the wire: one subject token, one consumer name, one bucket key.
pub fn valid_host(host: &str) -> bool {
    let b = host.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// The presence record of one host: its agents, as judged there (by locks and heartbeats).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostPresence {
    pub host: String,
    /// False in the last record of a relay that stops: its agents are out of reach.
    pub running: bool,
    /// Random per bridge, to notice two relays using one host name.
    #[serde(default)]
    pub relay_id: String,
    pub agents: Vec<AgentEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentEntry {
    pub name: String,
    pub online: bool,
    #[serde(default)]
    pub last_seen: Option<String>,
    #[serde(default)]
    pub online_since: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_single_subject_tokens() {
        for ok in ["a", "web-1", "Build_Box", "x9"] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in ["", "a.b", "*", ">", "a b", "-a", &"x".repeat(64)] {
            assert!(!valid_host(bad), "{bad}");
        }
        assert_eq!(subject("b", Kind::Message), "cc2cc.host.b.msg");
        assert_eq!(
            Kind::of_subject("cc2cc.host.b.receipt"),
            Some(Kind::Receipt)
        );
        assert_eq!(Kind::of_subject("cc2cc.host.b.other"), None);
    }
}
