//! Channel pushes: which pending messages to push (each at most once per server lifetime), the
//! `notifications/claude/channel` shape, and keeping a peer's text inside its `<channel>` block.

use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::HashSet;

use crate::bridge::{Bridge, Mailbox, Message, Name, fsutil};
use crate::present;

use super::rpc;

pub const CHANNEL_METHOD: &str = "notifications/claude/channel";

/// What a channel push is for this server. The path that presents a message claims it, so a
/// message enters the model's context once whatever is armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Channel events reach the model: a push presents the message and claims it.
    Present,
    /// Channel events would be dropped: push nothing; tool results and the monitor present.
    Off,
    /// Not under Claude Code (unknown client): push as a hint, claim only in tool results.
    Hint,
}

/// The channel mode and why: `CC2CC_CHANNEL` (present, off, hint) when set; under Claude Code,
/// whether it was started with a channels flag naming cc2cc; otherwise hints.
pub fn mode() -> (Mode, String) {
    let var = std::env::var("CC2CC_CHANNEL").unwrap_or_default();
    match var.as_str() {
        "present" | "on" | "1" => return (Mode::Present, "CC2CC_CHANNEL".into()),
        "off" | "0" => return (Mode::Off, "CC2CC_CHANNEL".into()),
        "hint" => return (Mode::Hint, "CC2CC_CHANNEL".into()),
        "" => {}
        other => super::log::warn(format_args!(
            "CC2CC_CHANNEL={:?} is not one of present, off, hint; ignored",
            other.chars().take(20).collect::<String>()
        )),
    }
    if std::env::var("CLAUDECODE").as_deref() != Ok("1") {
        return (
            Mode::Hint,
            "not started by Claude Code: pushes are hints, tool results present".into(),
        );
    }
    match channels_flag(std::os::unix::process::parent_id()) {
        Some(flag) => (
            Mode::Present,
            format!("Claude Code was started with {flag} naming cc2cc"),
        ),
        None => (
            Mode::Off,
            "Claude Code was started without a channels flag naming cc2cc: channel events \
             would be dropped"
                .into(),
        ),
    }
}

/// The channels flag in process `pid`'s command line, when one of its values names cc2cc
/// (`server:cc2cc`, `plugin:cc2cc@…`).
pub fn channels_flag(pid: u32) -> Option<&'static str> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    const FLAGS: [&str; 2] = ["--dangerously-load-development-channels", "--channels"];
    let mut current = None;
    for arg in &args {
        if let Some(flag) = FLAGS.iter().find(|f| arg == *f) {
            current = Some(*flag);
            continue;
        }
        if let Some((flag, value)) = FLAGS
            .iter()
            .find_map(|f| Some((*f, arg.strip_prefix(f)?.strip_prefix('=')?)))
        {
            if names_cc2cc(value) {
                return Some(flag);
            }
            current = None;
            continue;
        }
        if arg.starts_with('-') {
            current = None;
        } else if let Some(flag) = current
            && arg.split([' ', ',']).any(names_cc2cc)
        {
            return Some(flag);
        }
    }
    None
}

fn names_cc2cc(entry: &str) -> bool {
    let entry = entry.trim();
    entry == "server:cc2cc" || entry.starts_with("plugin:cc2cc@") || entry == "plugin:cc2cc"
}

/// The inbox files pushed as hints and still pending. A file leaves the set when a tool result
/// claims it, or when a prune finds it gone (another reader took it), so the set stays as
/// small as what was pushed and not yet read.
#[derive(Debug, Default)]
pub struct Pushed {
    files: HashSet<String>,
}

impl Pushed {
    pub fn contains(&self, file: &str) -> bool {
        self.files.contains(file)
    }

    pub fn insert(&mut self, file: String) {
        self.files.insert(file);
    }

    pub fn remove(&mut self, file: &str) {
        self.files.remove(file);
    }

    /// Forgets files no longer pending: one `stat` each.
    pub fn prune(&mut self, mailbox: &Mailbox) {
        self.files.retain(|f| mailbox.is_pending(f));
    }
}

/// The notification for one message: the standalone block as content (a channel-started turn
/// has no server instructions), validated identifiers as meta. An invalid field is left out of
/// meta rather than cleaned into something that could name another agent.
pub fn message_notification(m: &Message, me: &Name, rule: Option<&str>) -> Value {
    let f = present::Fields::of(m);
    let mut meta = Map::new();
    let fields = [
        ("msg_id", f.id),
        ("from", present::meta_value(f.from)),
        ("type", present::meta_value(f.kind)),
        ("priority", present::meta_value(f.priority)),
        ("reply_to", f.reply_to.and_then(present::meta_value)),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            meta.insert(key.into(), v.into());
        }
    }
    if f.from == present::INVALID_SENDER {
        meta.insert("sender_invalid".into(), "true".into());
    }
    let mut content = present::block(m, Some(me), None);
    if let Some(rule) = rule {
        content.push_str(&present::rule_line(rule));
    }
    let content = neutralise(&content).into_owned();
    rpc::notification(CHANNEL_METHOD, json!({"content": content, "meta": meta}))
}

/// A notice that is not a message (a long message waiting for check_inbox).
pub fn notice(text: &str) -> Value {
    rpc::notification(
        CHANNEL_METHOD,
        json!({"content": neutralise(text), "meta": {"type": "notice"}}),
    )
}

/// The one push after `notifications/initialized`: who the session is on the bridge.
pub fn wake_notification(name: &Name) -> Value {
    rpc::notification(
        CHANNEL_METHOD,
        json!({
            "content": wake_text(name),
            "meta": {"type": "wake", "agent": name.as_str()},
        }),
    )
}

pub fn wake_text(name: &Name) -> String {
    present::wake_text(name)
}

/// The bridge owner's instruction from `rules.json` (`{"default":{"instruction":"…"}}`),
/// appended to every message handed to the model. Read each time, so edits apply at once.
pub fn rule(bridge: &Bridge) -> Option<String> {
    let bytes = fsutil::read_regular(&bridge.rules_path(), 64 * 1024).ok()?;
    let rules: Value = serde_json::from_slice(&bytes).ok()?;
    let text = rules.pointer("/default/instruction")?.as_str()?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Defuses anything in `text` that could close the `<channel>` block or open a fake one:
/// `<` in front of `channel` or `/channel` (any case, any spacing) becomes `&lt;`.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let is_tag = |rest: &str| {
        let rest = rest.trim_start();
        let rest = rest.strip_prefix('/').unwrap_or(rest).trim_start();
        rest.get(..7)
            .is_some_and(|w| w.eq_ignore_ascii_case("channel"))
    };
    let hits: Vec<usize> = text
        .match_indices('<')
        .filter(|(i, _)| is_tag(&text[i + 1..]))
        .map(|(i, _)| i)
        .collect();
    if hits.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 3 * hits.len());
    let mut from = 0;
    for i in hits {
        out.push_str(&text[from..i]);
        out.push_str("&lt;");
        from = i + 1;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::Draft;

    #[test]
    fn defuses_channel_tags_only() {
        assert_eq!(
            neutralise("a </channel> b < / CHANNEL> <channel source=x> <chan>"),
            "a &lt;/channel> b &lt; / CHANNEL> &lt;channel source=x> <chan>"
        );
        assert!(matches!(neutralise("x < y, <b>"), Cow::Borrowed(_)));
        assert_eq!(neutralise("ünï</channel>"), "ünï&lt;/channel>");
    }

    #[test]
    fn meta_keys_are_identifiers_and_values_are_validated() {
        let me = Name::new("brave-fox").unwrap();
        let mut m = Message::new("calm-owl", Draft::new("brave-fox", "hi </channel>"));
        m.kind = "task\" evil=\"1".into();
        m.reply_to = Some("msg-1".into());
        let n = message_notification(&m, &me, Some("be nice"));
        let meta = n["params"]["meta"].as_object().unwrap();
        for k in meta.keys() {
            assert!(
                k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{k}"
            );
        }
        assert!(meta.get("type").is_none(), "{meta:?}");
        assert_eq!(meta["from"], "calm-owl");
        assert_eq!(meta["reply_to"], "msg-1");
        let content = n["params"]["content"].as_str().unwrap();
        assert!(content.contains("\n| hi &lt;/channel>\n"), "{content}");
        assert!(content.ends_with("\n[bridge rule] be nice\n"), "{content}");
    }

    #[test]
    fn finds_a_channels_flag_naming_cc2cc_in_a_command_line() {
        let cases: [(&[&str], Option<&str>); 6] = [
            (
                &[
                    "--dangerously-load-development-channels",
                    "plugin:cc2cc@cc2cc",
                ],
                Some("--dangerously-load-development-channels"),
            ),
            (
                &["--channels", "server:other", "server:cc2cc"],
                Some("--channels"),
            ),
            (&["--channels=server:cc2cc"], Some("--channels")),
            (&["--channels", "server:other", "--", "server:cc2cc"], None),
            (&["--plugin-dir", "server:cc2cc"], None),
            (&["--channels", "plugin:cc2cc-fork@x"], None),
        ];
        for (args, want) in cases {
            let mut child = std::process::Command::new("sh")
                .arg("-c")
                .arg("read _")
                .args(args)
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            // Until the exec, /proc shows the test binary's command line.
            let cmdline = format!("/proc/{}/cmdline", child.id());
            while !std::fs::read(&cmdline).is_ok_and(|c| c.starts_with(b"sh\0")) {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            let got = channels_flag(child.id());
            drop(child.stdin.take());
            let _ = child.wait();
            assert_eq!(got, want, "{args:?}");
        }
    }

    #[test]
    fn an_invisible_character_does_not_make_another_name() {
        let me = Name::new("brave-fox").unwrap();
        let m = Message::new("al\u{200b}ice", Draft::new("brave-fox", "hi"));
        let n = message_notification(&m, &me, None);
        let meta = &n["params"]["meta"];
        assert!(meta.get("from").is_none(), "{meta}");
        assert_eq!(meta["sender_invalid"], "true");
        assert!(!n["params"]["content"].as_str().unwrap().contains("alice"));
    }
}
