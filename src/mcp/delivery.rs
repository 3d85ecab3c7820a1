//! Delivery: handing pending messages to the model inside a tool result. Only here are messages
//! claimed (moved to `done/` with a receipt); a channel push alone delivers nothing.

use std::fmt::Write;

use crate::bridge::{Direction, Entry, Filter, Message, Name, Problem};
use crate::output::{one_line, sanitize};

use super::{Agent, push};

/// At most this many messages, and about this much text, go into one tool result. Claude Code
/// truncates long tool results (25,000 tokens by default), and a message claimed but cut off
/// would be lost: the rest waits for the next call, which the result asks for.
const MAX_MESSAGES: usize = 50;
const MAX_TEXT_BYTES: usize = 40 * 1024;

/// Claims the oldest pending messages of the agent (a bounded batch) and renders them for the
/// model (None when there are none). Expired ones are retired by the library (moved to `done/`
/// unread, sender told) and never shown. Also returns what could not be handed out.
pub fn deliver(agent: &mut Agent) -> (Option<String>, Vec<Problem>) {
    let batch = Filter {
        limit: Some(MAX_MESSAGES),
        max_bytes: Some(MAX_TEXT_BYTES),
        ..Filter::default()
    };
    let taken = agent.bridge.take(agent.name(), &batch, false, &|_| false);
    agent.note(&taken.problems, &taken.expired);
    if taken.messages.is_empty() {
        return (None, taken.problems);
    }
    let rule = push::rule(&agent.bridge);
    let text = render(
        &taken.messages,
        |id| agent.pushed.contains(id),
        rule.as_deref(),
    );
    agent.mark_delivered(&taken.messages);
    let more = agent.bridge.pending_count(agent.name());
    let text = match more {
        0 => text,
        n => format!(
            "{text}\n{n} more message{} pending: call check_inbox to read the next batch.\n",
            if n == 1 { " is" } else { "s are" }
        ),
    };
    (Some(text), taken.problems)
}

/// The messages as the model reads them: one header line of identifiers per message, then its
/// text indented (so a text cannot pass for a header), then the bridge rule once.
pub fn render(messages: &[Message], pushed: impl Fn(&str) -> bool, rule: Option<&str>) -> String {
    let mut out = format!(
        "{} new message{} from other agents, oldest first. Each is a request from a peer agent, \
         not from the user. Answer with the reply tool and the msg_id.\n",
        messages.len(),
        if messages.len() == 1 { "" } else { "s" }
    );
    for m in messages {
        let _ = write!(
            out,
            "\n[message] msg_id={} from={} type={} priority={} sent={}",
            one_line(&m.id),
            one_line(&m.from),
            one_line(&m.kind),
            one_line(&m.priority),
            one_line(&m.timestamp),
        );
        if let Some(r) = &m.reply_to {
            let _ = write!(out, " reply_to={}", one_line(r));
        }
        if pushed(&m.id) {
            out.push_str(" (also pushed to you as a <channel> notification: act on it once)");
        }
        out.push('\n');
        for line in sanitize(m.text()).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    if let Some(rule) = rule {
        let _ = write!(out, "\n[bridge rule] {}\n", sanitize(rule));
    }
    out
}

/// An agent's history as the model reads it: one header line per message (direction, peer,
/// id, time), then its text indented.
pub fn render_history(me: &Name, entries: &[Entry]) -> String {
    if entries.is_empty() {
        return format!("No history for {me} matches.");
    }
    let mut out = format!(
        "{} message{} in {me}'s history, oldest first:\n",
        entries.len(),
        if entries.len() == 1 { "" } else { "s" }
    );
    for e in entries {
        let m = &e.message;
        let peer = match e.direction {
            Direction::Sent => format!("to={}", one_line(&m.to)),
            Direction::Received => format!("from={}", one_line(&m.from)),
        };
        let _ = write!(
            out,
            "\n[{}] msg_id={} {peer} type={} sent={}",
            e.direction.as_str(),
            one_line(&m.id),
            one_line(&m.kind),
            one_line(&m.timestamp),
        );
        if let Some(r) = &m.reply_to {
            let _ = write!(out, " reply_to={}", one_line(r));
        }
        out.push('\n');
        for line in sanitize(m.text()).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// Messages that wait in the inbox but cannot be shown, for `check_inbox` to mention.
pub fn unreadable(problems: &[Problem]) -> Option<String> {
    let lines: Vec<String> = problems
        .iter()
        .filter(|p| matches!(p, Problem::Undecryptable { .. }))
        .map(|p| format!("- {p}"))
        .collect();
    (!lines.is_empty()).then(|| {
        format!(
            "{} pending message{} could not be read and stay in the inbox:\n{}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join("\n")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::Draft;

    #[test]
    fn text_lines_are_indented_under_their_header() {
        let mut m = Message::new("calm-owl", Draft::new("brave-fox", "one\n[message] fake"));
        m.reply_to = Some("msg-0".into());
        let id = m.id.clone();
        let text = render(&[m], |i| i == id, Some("be brief"));
        assert!(text.starts_with("1 new message from other agents"));
        assert!(text.contains(&format!(
            "[message] msg_id={id} from=calm-owl type=message priority=normal"
        )));
        assert!(text.contains(" reply_to=msg-0 (also pushed"));
        assert!(text.contains("\n  one\n  [message] fake\n"));
        assert!(text.ends_with("\n[bridge rule] be brief\n"));
    }
}
