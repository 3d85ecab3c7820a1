//! The tool table: names, descriptions and input schemas as the original server had them, each
//! tool a thin call into the bridge library. Failures become results with `isError: true` and a
//! message the model can act on; every result carries the pending mail.

use serde_json::{Map, Value, json};

use crate::bridge::{Draft, Error, HistoryQuery, Kind, Name, Priority, SendOptions, Sent, clock};

use super::{Agent, delivery};

struct Tool {
    name: &'static str,
    description: &'static str,
    schema: fn() -> Value,
    run: fn(&mut Agent, &Args) -> Result<String, String>,
}

const CHECK_INBOX: &str = "check_inbox";
const READ_MESSAGE: &str = "read_message";

const TOOLS: &[Tool] = &[
    Tool {
        name: "whoami",
        description: "Your agent name on the cc2cc bridge, since when you are online, the bridge \
                      directory and which agents are online (JSON).",
        schema: no_arguments,
        run: whoami,
    },
    Tool {
        name: "list_agents",
        description: "Every known agent with status online/offline, last heartbeat, whether it is \
                      you, and how many messages wait for it (JSON array).",
        schema: no_arguments,
        run: list_agents,
    },
    Tool {
        name: "send",
        description: "Send a message to one agent. An offline agent gets it when it comes online. \
                      Returns the new message's id.",
        schema: send_schema,
        run: send,
    },
    Tool {
        name: "broadcast",
        description: "Send one message to every other online agent. Returns the id of each \
                      message written.",
        schema: broadcast_schema,
        run: broadcast,
    },
    Tool {
        name: "reply",
        description: "Answer a message you received: it goes to that message's sender, linked by \
                      msg_id (a reply to a task is a response). Returns the new message's id.",
        schema: reply_schema,
        run: reply,
    },
    Tool {
        name: CHECK_INBOX,
        description: "Return the messages waiting for you, oldest first, and mark them read.",
        schema: no_arguments,
        run: check_inbox,
    },
    Tool {
        name: "message_status",
        description: "Where a message is in its life: scheduled, queued (waiting in the \
                      recipient's inbox), read (when and by whom), answered (with the reply's \
                      id) or expired (JSON object with `state`).",
        schema: message_status_schema,
        run: message_status,
    },
    Tool {
        name: "history",
        description: "Your own message history on the bridge: what you sent and what you read, \
                      oldest first (the newest `limit`, default 20). Use it to recover context \
                      in a fresh session.",
        schema: history_schema,
        run: history,
    },
    Tool {
        name: READ_MESSAGE,
        description: "Read one part of a long message (check_inbox shows the first part and says \
                      how many there are). The message is marked read once every part was shown.",
        schema: read_message_schema,
        run: read_message,
    },
    Tool {
        name: "register",
        description: "Change your agent name. Pending messages move to the new name and online \
                      agents are told.",
        schema: register_schema,
        run: register,
    },
];

/// The `tools/list` result.
pub fn list() -> Value {
    let tools: Vec<Value> = TOOLS
        .iter()
        .map(|t| json!({"name": t.name, "description": t.description, "inputSchema": (t.schema)()}))
        .collect();
    json!({ "tools": tools })
}

/// Runs one tool and builds its `tools/call` result, with any pending mail appended (claimed,
/// so it is handed out exactly once). `check_inbox` returns the mail as its own text instead.
pub fn call(agent: &mut Agent, name: &str, arguments: &Map<String, Value>) -> Value {
    let outcome = match TOOLS.iter().find(|t| t.name == name) {
        Some(tool) => (tool.run)(
            agent,
            &Args {
                tool: tool.name,
                map: arguments,
            },
        ),
        None => Err(format!(
            "unknown tool {:?}; the cc2cc tools are {}",
            name.chars().take(64).collect::<String>(),
            TOOLS.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
        )),
    };
    let (text, is_error) = match outcome {
        Ok(text) => (text, false),
        Err(text) => (text, true),
    };
    let mut content = vec![json!({"type": "text", "text": text})];
    if name != CHECK_INBOX
        && name != READ_MESSAGE
        && let (Some(mail), _, _) = delivery::deliver(agent)
    {
        content.push(json!({"type": "text", "text": mail}));
    }
    json!({"content": content, "isError": is_error})
}

/// A tool's arguments, with errors that name the tool and the argument.
struct Args<'a> {
    tool: &'static str,
    map: &'a Map<String, Value>,
}

impl Args<'_> {
    fn optional(&self, key: &str) -> Result<Option<&str>, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!(
                "{}: `{key}` must be a string, got {}",
                self.tool,
                super::rpc::type_name(other)
            )),
        }
    }

    /// An optional boolean, false when absent.
    fn flag(&self, key: &str) -> Result<bool, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(format!(
                "{}: `{key}` must be true or false, got {}",
                self.tool,
                super::rpc::type_name(other)
            )),
        }
    }

    fn required(&self, key: &str, what: &str) -> Result<&str, String> {
        self.optional(key)?
            .ok_or_else(|| format!("{}: `{key}` is required ({what})", self.tool))
    }

    fn text(&self) -> Result<&str, String> {
        let text = self.required("text", "the message text")?;
        if text.trim().is_empty() {
            return Err(format!("{}: `text` is empty; nothing was sent", self.tool));
        }
        Ok(text)
    }

    fn name(&self, key: &str, what: &str) -> Result<Name, String> {
        Name::new(self.required(key, what)?).map_err(|e| format!("{}: {}", self.tool, explain(&e)))
    }

    /// One of a field's wire names (`parse` reads one, `names` lists them); the default when
    /// absent.
    fn choice<T: Default>(
        &self,
        key: &str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Result<T, String> {
        match self.optional(key)? {
            None => Ok(T::default()),
            Some(v) => parse(v).ok_or_else(|| {
                format!(
                    "{}: `{key}` is {:?}; use one of {}",
                    self.tool,
                    v.chars().take(32).collect::<String>(),
                    names.join(", ")
                )
            }),
        }
    }

    fn priority(&self) -> Result<Priority, String> {
        self.choice("priority", Priority::parse, Priority::NAMES)
    }
}

/// A library error as the model should read it: what failed and what to do instead.
fn explain(e: &Error) -> String {
    let hint = match e.unshared() {
        Error::InvalidName { .. } => Some(
            "agent names are 1-31 characters of a-z, 0-9 and '-'; list_agents shows the known ones",
        ),
        Error::NoSuchMessage(_) => {
            Some("use an id that send, reply or history gave you; pruned messages are gone")
        }
        Error::InvalidSender { id, source } => {
            return format!("cannot answer {id}: its sender {}", explain(source));
        }
        Error::RecipientOffline(_) => {
            Some("leave out require_online to queue it until the agent comes online")
        }
        Error::UnknownMessage { .. } | Error::InvalidId(_) => {
            Some("use the msg_id of a message you received (from a <channel> tag or check_inbox)")
        }
        Error::TooLarge { .. } => Some("send a shorter text, or split it into several messages"),
        Error::NameTaken { .. } => Some("a live agent uses that name; pick another"),
        Error::LooksEncrypted => Some("reword the start of the text"),
        _ => None,
    };
    match hint {
        Some(h) => format!("{e}. Hint: {h}."),
        None => e.to_string(),
    }
}

fn no_arguments() -> Value {
    json!({"type": "object", "properties": {}})
}

fn priority_schema() -> Value {
    json!({
        "type": "string",
        "enum": Priority::NAMES,
        "description": format!("Default: {}", Priority::default()),
    })
}

fn text_schema() -> Value {
    json!({"type": "string", "description": "The message text"})
}

fn send_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "to": {"type": "string", "description": "Recipient's agent name (see list_agents)"},
            "text": text_schema(),
            "type": {
                "type": "string",
                "enum": Kind::NAMES,
                "description": "message (default), task (asks for work and a response), response or status",
            },
            "priority": priority_schema(),
            "require_online": {
                "type": "boolean",
                "description": "Refuse instead of queueing when the recipient is offline (default false)",
            },
        },
        "required": ["to", "text"],
    })
}

fn broadcast_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"text": text_schema(), "priority": priority_schema()},
        "required": ["text"],
    })
}

fn reply_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "msg_id": {"type": "string", "description": "The id of the message you answer (the msg_id attribute)"},
            "text": text_schema(),
            "priority": priority_schema(),
        },
        "required": ["msg_id", "text"],
    })
}

fn message_status_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "msg_id": {"type": "string", "description": "The id of a message (as send or reply returned it)"},
        },
        "required": ["msg_id"],
    })
}

fn read_message_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "msg_id": {"type": "string", "description": "The id of the long message"},
            "part": {"type": "integer", "minimum": 1, "description": "Which part (default 1)"},
        },
        "required": ["msg_id"],
    })
}

fn history_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Only messages whose text contains this (ignoring case)"},
            "with": {"type": "string", "description": "Only messages to or from this agent"},
            "since": {"type": "string", "description": "Only messages newer than this duration, e.g. 90m or 2d"},
            "limit": {"type": "integer", "minimum": 1, "maximum": HISTORY_MAX, "description": "The newest N (default 20)"},
        },
    })
}

fn register_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "New agent name: 1-31 characters of a-z, 0-9 and '-'"},
        },
        "required": ["name"],
    })
}

fn whoami(agent: &mut Agent, _: &Args) -> Result<String, String> {
    let who = agent.bridge.whoami_holding(&agent.presence);
    let online: Vec<&str> = who.online_agents.iter().map(Name::as_str).collect();
    Ok(pretty(&json!({
        "name": who.name.as_str(),
        "online_since": who.online_since,
        "bridge_dir": who.bridge_dir,
        "online_agents": online,
    })))
}

fn list_agents(agent: &mut Agent, _: &Args) -> Result<String, String> {
    let agents: Vec<Value> = agent
        .bridge
        .roster(Some(agent.name()))
        .into_iter()
        .map(|a| {
            json!({
                "name": a.name.as_str(),
                "status": a.status(),
                "last_seen": a.last_seen,
                "is_self": a.is_self,
                "pending": a.pending.ok(),
                "host": a.host,
            })
        })
        .collect();
    Ok(pretty(&Value::Array(agents)))
}

fn send(agent: &mut Agent, args: &Args) -> Result<String, String> {
    let to = args.name("to", "the recipient's agent name")?;
    let mut draft = Draft::new(to.as_str(), args.text()?);
    draft.kind = args.choice("type", Kind::parse, Kind::NAMES)?;
    draft.priority = args.priority()?;
    let options = SendOptions {
        require_online: args.flag("require_online")?,
        at: None,
    };
    let sent = agent
        .bridge
        .send_with(agent.name(), draft, options)
        .map_err(|e| format!("send: {}", explain(&e)))?;
    let msg = &sent.message;
    let mut text = format!("Sent {} to {}.{}", msg.id, msg.to, queued_note(&sent));
    if let Some(note) = &sent.new_name {
        text.push_str(&format!(" Note: {note}."));
    }
    Ok(text)
}

fn broadcast(agent: &mut Agent, args: &Args) -> Result<String, String> {
    let text = args.text()?;
    let priority = args.priority()?;
    let recipients = agent.bridge.broadcast(agent.name(), text, priority, false);
    if recipients.is_empty() {
        return Ok("No other agent is online; nothing was sent. \
                   Use send to queue a message for an offline agent."
            .into());
    }
    let mut lines = Vec::new();
    let mut failed = 0;
    for r in &recipients {
        match &r.sent {
            Ok(msg) => lines.push(format!("- {} to {}", msg.id, msg.to)),
            Err(e) => {
                failed += 1;
                lines.push(format!("- failed for {}: {}", r.to, explain(e)));
            }
        }
    }
    let head = format!(
        "Broadcast to {} of {} online agents:",
        recipients.len() - failed,
        recipients.len()
    );
    let text = format!("{head}\n{}", lines.join("\n"));
    if failed > 0 { Err(text) } else { Ok(text) }
}

fn reply(agent: &mut Agent, args: &Args) -> Result<String, String> {
    let id = args.required("msg_id", "the id of the message you answer")?;
    let text = args.text()?;
    let priority = args.priority()?;
    let sent = agent
        .bridge
        .reply(agent.name(), id, text, priority)
        .map_err(|e| format!("reply: {}", explain(&e)))?;
    Ok(format!(
        "Sent {} to {} in reply to {id}.{}",
        sent.message.id,
        sent.message.to,
        queued_note(&sent)
    ))
}

fn message_status(agent: &mut Agent, args: &Args) -> Result<String, String> {
    let id = args.required("msg_id", "the id of the message")?;
    let status = agent
        .bridge
        .status(id, Some(agent.name()))
        .map_err(|e| format!("message_status: {}", explain(&e)))?;
    Ok(pretty(&status.to_json()))
}

/// The most history one result holds: Claude Code cuts long tool results short.
const HISTORY_MAX: usize = 200;

fn history(agent: &mut Agent, args: &Args) -> Result<String, String> {
    let since = match args.optional("since")? {
        Some(s) => {
            let d = humantime::parse_duration(s.trim())
                .map_err(|e| format!("history: `since` {s:?}: {e} (examples: 90m, 2d)"))?;
            Some(clock::now().checked_sub(d).unwrap_or(std::time::UNIX_EPOCH))
        }
        None => None,
    };
    let limit = match args.map.get("limit") {
        None | Some(Value::Null) => 20,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=HISTORY_MAX as u64).contains(n))
            .ok_or_else(|| {
                format!("history: `limit` must be a whole number from 1 to {HISTORY_MAX}")
            })? as usize,
    };
    let query = HistoryQuery {
        with: args.optional("with")?.map(str::to_owned),
        grep: args.optional("query")?.map(str::to_owned),
        since,
        kind: None,
        limit: Some(limit),
    };
    let (entries, problems) = agent.bridge.query_history(agent.name(), &query);
    agent.note(&problems, &[]);
    Ok(crate::present::history(agent.name(), &entries))
}

fn check_inbox(agent: &mut Agent, _: &Args) -> Result<String, String> {
    let (mail, problems, failed) = delivery::deliver(agent);
    if let Some(e) = failed {
        // Never "no pending messages" when the truth is that the inbox could not be read.
        return Err(format!("check_inbox: {e}"));
    }
    let mut text = mail.unwrap_or_else(|| format!("No pending messages for {}.", agent.name()));
    if let Some(note) = delivery::unreadable(&problems) {
        text.push_str("\n\n");
        text.push_str(&note);
    }
    Ok(text)
}

fn read_message(agent: &mut Agent, args: &Args) -> Result<String, String> {
    let id = args.required("msg_id", "the id of the long message")?;
    let part = match args.map.get("part") {
        None | Some(Value::Null) => 1,
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(other) => {
            return Err(format!(
                "read_message: `part` must be a number, got {}",
                super::rpc::type_name(other)
            ));
        }
    };
    let message = match agent.parts.get(id) {
        Some(p) => p.message.clone(),
        None => {
            let env = agent
                .bridge
                .mailbox(agent.name())
                .pending_message(id)
                .map_err(|e| format!("read_message: {}", explain(&e)))?;
            agent.start_parts(env.file, env.message.clone());
            env.message
        }
    };
    let total = delivery::split(message.text(), delivery::PART_BYTES).len();
    if part == 0 || part > total {
        return Err(format!(
            "read_message: message {id} has parts 1 to {total}; `part` was {part}"
        ));
    }
    let rule = super::push::rule(&agent.bridge);
    Ok(delivery::present_part(
        agent,
        &message,
        part,
        rule.as_deref(),
    ))
}

fn register(agent: &mut Agent, args: &Args) -> Result<String, String> {
    let new = args.name("name", "the new agent name")?;
    let old = agent.name().clone();
    if new == old {
        return Ok(format!("You are already {new}."));
    }
    let renamed = agent
        .bridge
        .rename(&agent.presence, &new)
        .map_err(|e| format!("register: {}", explain(&e)))?;
    agent.presence = renamed.presence; // drops the old presence: its lock goes
    let mut text = format!(
        "You are now {new} (was {old}). Moved {} pending message{} to the new name.",
        renamed.moved,
        if renamed.moved == 1 { "" } else { "s" }
    );
    if !renamed.told.is_empty() {
        let told: Vec<&str> = renamed.told.iter().map(Name::as_str).collect();
        text.push_str(&format!(" Told the online agents: {}.", told.join(", ")));
    }
    for p in &renamed.left {
        text.push_str(&format!("\nNot moved: {p}"));
    }
    Ok(text)
}

fn queued_note(sent: &Sent) -> String {
    let to = &sent.message.to;
    if sent.online {
        format!(" {to} is online: the message is in its inbox now.")
    } else {
        format!(
            " Queued: {to} is offline, so the message waits in its inbox and will be delivered \
             when {to} comes online. message_status shows where it is."
        )
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_naming_real_properties() {
        for t in TOOLS {
            let s = (t.schema)();
            assert_eq!(s["type"], "object", "{}", t.name);
            for r in s["required"].as_array().into_iter().flatten() {
                assert!(
                    s["properties"].get(r.as_str().unwrap()).is_some(),
                    "{}",
                    t.name
                );
            }
        }
    }
}
