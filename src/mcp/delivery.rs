//! Delivery: handing pending messages to the model inside a tool result. Only here are messages
//! claimed (moved to `done/` with a receipt); a channel push alone delivers nothing.

use crate::bridge::{Filter, Message, Problem};
use crate::output::one_line;
use crate::present;

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

/// The messages as the model reads them (see [`present`]): each a block of validated fields and
/// its text fenced off, then the bridge rule once. Nothing says a message was pushed before: a
/// reused id must not make a new message look already seen.
pub fn render(messages: &[Message], _pushed: impl Fn(&str) -> bool, rule: Option<&str>) -> String {
    present::tool_result(messages, None, rule)
}

/// Messages that wait in the inbox but cannot be shown, for `check_inbox` to mention.
pub fn unreadable(problems: &[Problem]) -> Option<String> {
    let lines: Vec<String> = problems
        .iter()
        .filter(|p| matches!(p, Problem::Undecryptable { .. }))
        // The id in the error is another agent's word: one line, bounded.
        .map(|p| {
            let line: String = one_line(&p.to_string()).chars().take(300).collect();
            format!("- {line}")
        })
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
            "[cc2cc message] msg_id={id} from=calm-owl type=message priority=normal"
        )));
        assert!(text.contains(" reply_to=msg-0\n"), "{text}");
        assert!(!text.contains("pushed"), "{text}");
        assert!(text.contains("\n| one\n| [message] fake\n"));
        assert!(text.ends_with("\n[bridge rule] be brief\n"));
    }
}
