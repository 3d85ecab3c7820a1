//! The message file: field names, order and pretty-printing exactly as the original writes them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime};

use super::{clock, ids};

/// An enum of the values a message field may take, each spelled as on the wire: the one list
/// the command line, the MCP schemas and the readers all take their names from.
macro_rules! wire_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $($(#[$attr:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$attr])* $variant),+
        }

        impl $name {
            /// Every value, in the order help texts list them.
            pub const ALL: &[$name] = &[$($name::$variant),+];
            /// The wire names, in the same order.
            pub const NAMES: &[&str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// The value spelled `s` on the wire; None for a name outside the list.
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// A message's `type`.
    Kind {
        #[default]
        Message = "message",
        Task = "task",
        Response = "response",
        Status = "status",
    }
}

wire_enum! {
    /// A message's `priority`.
    Priority {
        Low = "low",
        #[default]
        Normal = "normal",
        High = "high",
        Critical = "critical",
    }
}

/// One message. Unknown fields are kept in `extra` and written back, so a message that passes
/// through us loses nothing a newer writer added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    #[serde(default)]
    pub timestamp: String,
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// As written: another agent may use a value outside [`Kind`], which readers keep.
    #[serde(rename = "type", default = "default_type")]
    pub kind: String,
    /// As written; see [`Priority`] for the values we write.
    #[serde(default = "default_priority")]
    pub priority: String,
    #[serde(default)]
    pub identity: Value,
    #[serde(default)]
    pub task: Value,
    pub content: Content,
    #[serde(rename = "replyTo", default)]
    pub reply_to: Option<String>,
    /// Seconds from `timestamp`; any non-positive or non-number value means no expiry.
    #[serde(default)]
    pub ttl: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    pub text: String,
    #[serde(default = "empty_array")]
    pub parts: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn default_type() -> String {
    Kind::default().as_str().into()
}
pub(crate) fn default_priority() -> String {
    Priority::default().as_str().into()
}
fn empty_array() -> Value {
    Value::Array(Vec::new())
}

/// What a sender chooses; everything else is filled in by [`Message::new`].
#[derive(Debug, Clone)]
pub struct Draft {
    pub to: String,
    pub text: String,
    pub kind: Kind,
    pub priority: Priority,
    pub reply_to: Option<String>,
    /// None: never expires.
    pub ttl: Option<Duration>,
}

impl Draft {
    pub fn new(to: &str, text: &str) -> Draft {
        Draft {
            to: to.into(),
            text: text.into(),
            kind: Kind::default(),
            priority: Priority::default(),
            reply_to: None,
            ttl: Some(DEFAULT_TTL),
        }
    }
}

/// Long enough for a message queued in the evening to reach an agent that starts next morning.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

impl Message {
    pub fn new(from: &str, draft: Draft) -> Message {
        Message {
            id: ids::new_message_id(),
            timestamp: clock::now_string(),
            from: from.into(),
            to: draft.to,
            kind: draft.kind.as_str().into(),
            priority: draft.priority.as_str().into(),
            identity: serde_json::json!({ "agent": from, "mode": "session" }),
            task: Value::Null,
            content: Content {
                text: draft.text,
                parts: empty_array(),
                extra: Map::new(),
            },
            reply_to: draft.reply_to,
            ttl: match draft.ttl {
                Some(d) if !d.is_zero() => Value::from(d.as_secs().max(1)),
                _ => Value::Null,
            },
            extra: Map::new(),
        }
    }

    /// `JSON.stringify(message, null, 2)`: two-space indentation, no trailing newline.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn ttl(&self) -> Option<Duration> {
        let secs = self.ttl.as_f64()?;
        (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs.min(1e12)))
    }

    pub fn sent_at(&self) -> Option<SystemTime> {
        clock::parse(&self.timestamp)
    }

    pub fn expires_at(&self) -> Option<SystemTime> {
        self.sent_at()?.checked_add(self.ttl()?)
    }

    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at().is_some_and(|t| t <= now)
    }

    /// Oldest first: by the time inside a UUIDv7 id, else by timestamp; ties by id.
    pub fn sort_key(&self) -> (u64, &str) {
        let ms = ids::v7_millis(&self.id)
            .or_else(|| self.sent_at().map(clock::millis))
            .unwrap_or(u64::MAX);
        (ms, &self.id)
    }

    pub fn text(&self) -> &str {
        &self.content.text
    }
}

/// Parses a message file. JavaScript strings may hold a lone UTF-16 surrogate, which Node's
/// `JSON.stringify` writes as an escape (`\ud800`) that strict JSON parsers refuse; such a unit
/// is replaced by U+FFFD instead of the whole message being lost.
pub fn parse(bytes: &[u8]) -> serde_json::Result<Message> {
    match serde_json::from_slice(bytes) {
        Err(e) if e.is_syntax() || e.is_data() => match replace_lone_surrogates(bytes) {
            Some(fixed) => serde_json::from_slice(&fixed).map_err(|_| e),
            None => Err(e),
        },
        other => other,
    }
}

/// The JSON text with each `\uXXXX` escape of an unpaired surrogate replaced by `\ufffd`; None
/// when there is none.
fn replace_lone_surrogates(bytes: &[u8]) -> Option<Vec<u8>> {
    let unit = |at: usize| -> Option<u16> {
        let esc = bytes.get(at..at + 6)?;
        if esc[0] != b'\\' || esc[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&esc[2..]).ok()?, 16).ok()
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match unit(i) {
            Some(0xd800..=0xdbff) if matches!(unit(i + 6), Some(0xdc00..=0xdfff)) => {
                out.extend_from_slice(&bytes[i..i + 12]);
                i += 12;
            }
            Some(0xd800..=0xdfff) => {
                out.extend_from_slice(b"\\ufffd");
                changed = true;
                i += 6;
            }
            _ => {
                // Any other escape (including an escaped backslash) is copied whole.
                let end = (i + 2).min(bytes.len());
                out.extend_from_slice(&bytes[i..end]);
                i = end;
            }
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_surrogate_from_node_becomes_a_replacement_character() {
        let src =
            br#"{"id":"m1","from":"a","content":{"text":"x\ud800y \ud83d\ude00 \\ud800 \udc00"}}"#;
        let m = parse(src).unwrap();
        assert_eq!(m.text(), "x\u{fffd}y \u{1f600} \\ud800 \u{fffd}");
        assert!(parse(br#"{"id":"m1"}"#).is_err());
    }

    #[test]
    fn keeps_unknown_fields_and_field_order() {
        let src = r#"{"id":"m1","timestamp":"2026-11-23T23:07:40.123Z","from":"a","to":"b","type":"poem","priority":"urgent","identity":{"agent":"a","mode":"session"},"task":null,"content":{"text":"hi","parts":[],"lang":"en"},"replyTo":null,"ttl":3600,"x-new":[1,2]}"#;
        let m: Message = serde_json::from_str(src).unwrap();
        assert_eq!(m.kind, "poem");
        assert_eq!(serde_json::to_string(&m).unwrap(), src);
    }

    #[test]
    fn new_message_shape_matches_the_original() {
        let m = Message::new("calm-owl", Draft::new("brave-fox", "hello"));
        let v: Value = serde_json::from_str(&m.to_pretty_json()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "id",
                "timestamp",
                "from",
                "to",
                "type",
                "priority",
                "identity",
                "task",
                "content",
                "replyTo",
                "ttl"
            ]
        );
        assert_eq!(v["ttl"], 86400);
        assert!(m.to_pretty_json().starts_with("{\n  \"id\": \"msg-"));
    }

    #[test]
    fn wire_names_round_trip() {
        assert_eq!(Kind::NAMES, ["message", "task", "response", "status"]);
        assert_eq!(Priority::NAMES, ["low", "normal", "high", "critical"]);
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(&p.to_string()), Some(*p));
        }
        assert_eq!(Kind::parse("poem"), None);
        assert_eq!(Kind::default().as_str(), default_type());
        assert_eq!(Priority::default().as_str(), default_priority());
    }

    #[test]
    fn ttl_is_lenient() {
        let mut m = Message::new("a", Draft::new("b", "x"));
        for (v, want) in [
            (Value::Null, None),
            (Value::from(0), None),
            (Value::from(-5), None),
            (Value::from("3600"), None),
            (Value::from(90), Some(Duration::from_secs(90))),
        ] {
            m.ttl = v;
            assert_eq!(m.ttl(), want);
        }
    }
}
