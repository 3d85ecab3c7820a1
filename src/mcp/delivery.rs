//! Delivery: handing pending messages to the model inside a tool result. Only here are messages
//! claimed (moved to `done/` with a receipt); a channel push alone delivers nothing.
//!
//! A message is claimed only after the result that carries it was written to the client: a
//! pass peeks, the result is rendered, the server writes it and then claims what it held
//! ([`Agent::settle`]). A client gone mid-call, or a kill -9 before the claim, leaves the
//! message pending (at worst it is shown again by the next server), never read but unseen.

use std::fmt::Write;

use std::collections::HashSet;

use crate::bridge::{Envelope, Error, Filter, Message, Mode, Problem};
use crate::output::one_line;
use crate::present;

use super::{Agent, push};

/// At most this many messages, and this many bytes of rendered mail, go into one tool result.
/// Claude Code truncates long tool results (25,000 tokens by default), and a message cut off
/// would be marked read unseen: the rest waits for the next call, which the result asks for.
const MAX_MESSAGES: usize = 50;
pub const MAX_RESULT_BYTES: usize = 48 * 1024;
/// A message whose rendered text is longer is shown in parts of this size, fetched by id.
pub const PART_BYTES: usize = 40 * 1024;

/// Renders the oldest pending messages of the agent (a bounded batch) for the model and queues
/// them to be claimed once the result is written. None when there are none. Expired ones are
/// retired by the library (moved to `done/` unread, sender told) and never shown. Also returns
/// what could not be handed out.
pub fn deliver(agent: &mut Agent) -> (Option<String>, Vec<Problem>, Option<Error>) {
    let batch = Filter {
        limit: Some(MAX_MESSAGES),
        max_bytes: Some(PART_BYTES),
        retire_expired: true,
        ..Filter::default()
    };
    // Long messages being read part by part are not offered again; a reminder names them.
    let in_parts: HashSet<String> = agent.parts.values().map(|p| p.file.clone()).collect();
    let reminder = parts_reminder(agent);
    let mailbox = agent.bridge.mailbox(agent.name());
    let skip = |f: &str| in_parts.contains(f);
    if !in_parts.is_empty() {
        // The last listing did not leave these out.
        agent.list_inbox_again();
    }
    let mut pass = match mailbox.pass_recalling(&batch, Mode::Peek, &skip, Some(&mut agent.recall))
    {
        Ok(pass) => pass,
        Err(e) => return (reminder, Vec::new(), Some(e)),
    };
    let mut handed: Vec<Envelope> = pass.by_ref().collect();
    // Counted by the pass: no listing of its own.
    let mut more = pass.remaining();
    let report = pass.finish();
    agent.note(&report.problems, &report.expired);
    if handed.is_empty() {
        return (reminder, report.problems, None);
    }
    let rule = push::rule(&agent.bridge);
    let long = rendered_len(handed[0].message.text()) > PART_BYTES;
    let text = if long {
        let env = handed.swap_remove(0);
        more += handed.len();
        agent.start_parts(env.file, env.message.clone());
        present_part(agent, &env.message, 1, rule.as_deref())
    } else {
        // Drop messages from the end until the rendered batch fits; they stay pending.
        let messages: Vec<Message> = handed.iter().map(|e| e.message.clone()).collect();
        let mut n = messages.len();
        let mut text;
        loop {
            text = render(&messages[..n], rule.as_deref());
            if text.len() <= MAX_RESULT_BYTES || n == 1 {
                break;
            }
            n -= 1;
        }
        more += handed.len() - n;
        for env in handed.into_iter().take(n) {
            agent.claim_after_write(env.file, env.message);
        }
        text
    };
    let mut text = match more {
        0 => text,
        n => format!(
            "{text}\n{n} more message{} pending: call check_inbox to read the next batch.\n",
            if n == 1 { " is" } else { "s are" }
        ),
    };
    if let Some(r) = reminder {
        text.push_str(&r);
    }
    (Some(text), report.problems, None)
}

/// Part `part` (1-based) of a long message, rendered like any message, with how to get the
/// rest. The message is queued for its claim when this completes the set of parts shown.
pub fn present_part(agent: &mut Agent, m: &Message, part: usize, rule: Option<&str>) -> String {
    let chunks = split(m.text(), PART_BYTES);
    let total = chunks.len();
    let mut piece = m.clone();
    piece.content.text = chunks[part - 1].to_owned();
    let mut text = render(&[piece], rule);
    let _ = write!(
        text,
        "\n[part {part} of {total} of message {}] This message is too long for one result. ",
        one_line(&m.id)
    );
    agent.part_shown(&m.id, part);
    match agent.parts_missing(&m.id) {
        Some(missing) if !missing.is_empty() => {
            let list: Vec<String> = missing.iter().map(usize::to_string).collect();
            let _ = writeln!(
                text,
                "Call read_message with msg_id={} and part={} (parts still unread: {}); it is \
                 marked read once every part was shown.",
                one_line(&m.id),
                missing[0],
                list.join(", ")
            );
        }
        _ => text.push_str("All its parts have now been shown; it is marked read.\n"),
    }
    text
}

/// A line naming long messages with parts not shown yet.
fn parts_reminder(agent: &Agent) -> Option<String> {
    let lines: Vec<String> = agent
        .parts
        .values()
        .filter_map(|p| {
            let missing = agent.parts_missing(&p.message.id)?;
            (!missing.is_empty()).then(|| {
                format!(
                    "Message {} from {} still has unread parts {:?}: call read_message.",
                    one_line(&p.message.id),
                    one_line(&p.message.from),
                    missing
                )
            })
        })
        .collect();
    (!lines.is_empty()).then(|| format!("\n{}\n", lines.join("\n")))
}

/// How long a text is once rendered: each line is indented by two spaces.
fn rendered_len(text: &str) -> usize {
    text.len() + 2 * text.matches('\n').count() + 2
}

/// Splits `text` into pieces of at most `max` rendered bytes, at character boundaries and, where
/// one is near, at a line end.
pub fn split(text: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rendered_len(rest) > max {
        let mut end = 0;
        let mut used = 2;
        let mut last_newline = None;
        for (i, c) in rest.char_indices() {
            let cost = c.len_utf8() + if c == '\n' { 2 } else { 0 };
            if used + cost > max {
                break;
            }
            used += cost;
            end = i + c.len_utf8();
            if c == '\n' {
                last_newline = Some(end);
            }
        }
        let cut = match last_newline {
            Some(n) if n > end / 2 => n,
            _ => end.max(rest.chars().next().map_or(1, char::len_utf8)),
        };
        parts.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    parts.push(rest);
    parts
}

/// The messages as the model reads them (see [`present`]): each a block of validated fields and
/// its text fenced off, then the bridge rule once. Nothing says a message was pushed before: a
/// reused id must not make a new message look already seen.
pub fn render(messages: &[Message], rule: Option<&str>) -> String {
    present::tool_result(messages, None, rule)
}

/// Messages that wait in the inbox but cannot be shown, for `check_inbox` to mention.
pub fn unreadable(problems: &[Problem]) -> Option<String> {
    let lines: Vec<String> = problems
        .iter()
        .filter(|p| p.is_serious())
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
    fn long_texts_split_within_the_budget_and_lose_nothing() {
        for text in ["a".repeat(100_000), "é\n".repeat(40_000), "x".repeat(10)] {
            let parts = split(&text, 4096);
            assert_eq!(parts.concat(), text);
            assert!(parts.iter().all(|p| rendered_len(p) <= 4096));
        }
    }

    #[test]
    fn text_lines_are_indented_under_their_header() {
        let mut m = Message::new("calm-owl", Draft::new("brave-fox", "one\n[message] fake"));
        m.reply_to = Some("msg-0".into());
        let id = m.id.clone();
        let text = render(&[m], Some("be brief"));
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
