//! `cc2cc list`: every known agent, online or offline.

use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output, one_line};

pub fn run(ctx: &Context) -> Result<(), CliError> {
    let me = ctx.maybe_me()?;
    let agents = ctx.bridge.agents();
    let mut out = Output::new(ctx.json);
    if !ctx.json && !agents.is_empty() {
        out.row(&[
            ("NAME", 31),
            ("STATUS", 7),
            ("PENDING", 7),
            ("HOST", 15),
            ("LAST SEEN", 0),
        ])?;
    }
    let mut uncounted = false;
    for a in agents {
        let status = if a.online { "online" } else { "offline" };
        // An inbox that cannot be listed is not an empty one: "?" (null in JSON), and exit 1.
        let pending = match ctx.bridge.mailbox(&a.name).pending_count() {
            Ok(n) => Some(n),
            Err(e) => {
                uncounted = true;
                output::error(&e.to_string(), e.hint().as_deref());
                None
            }
        };
        let is_self = me.as_ref() == Some(&a.name);
        if ctx.json {
            let hb = a.heartbeat.as_ref();
            out.json_line(&serde_json::json!({
                "name": a.name.as_str(),
                "status": status,
                "last_seen": a.last_seen,
                "is_self": is_self,
                "pending": pending,
                "host": hb.and_then(|h| h.host.clone()),
                "pid": hb.and_then(|h| h.pid),
            }))?;
        } else {
            let seen = a.last_seen.as_deref().map(one_line).unwrap_or("-".into());
            let name = if is_self {
                format!("{} (you)", a.name)
            } else {
                a.name.to_string()
            };
            let host = a
                .heartbeat
                .as_ref()
                .and_then(|h| h.host.as_deref())
                .map(one_line)
                .unwrap_or("-".into());
            out.row(&[
                (&name, 31),
                (status, 7),
                (&pending.map_or("?".into(), |n| n.to_string()), 7),
                (&host, 15),
                (&seen, 0),
            ])?;
        }
    }
    out.flush()?;
    if uncounted {
        return Err(CliError::Reported);
    }
    Ok(())
}
