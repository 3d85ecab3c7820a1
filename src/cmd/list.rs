//! `cc2cc list`: every known agent, online or offline.

use crate::context::Context;
use crate::error::{self, CliError};
use crate::output::{Output, one_line};

pub fn run(ctx: &Context) -> Result<(), CliError> {
    let me = ctx.maybe_me()?;
    let rows = ctx.bridge.roster(me.as_ref());
    let mut out = Output::new(ctx.json);
    if !ctx.json && !rows.is_empty() {
        out.row(&[
            ("NAME", 31),
            ("STATUS", 7),
            ("PENDING", 7),
            ("HOST", 15),
            ("LAST SEEN", 0),
        ])?;
    }
    let mut uncounted = false;
    for a in rows {
        // An inbox that cannot be listed is not an empty one: "?" (null in JSON), and exit 1.
        let pending = match &a.pending {
            Ok(n) => Some(*n),
            Err(e) => {
                uncounted = true;
                error::print(e);
                None
            }
        };
        if ctx.json {
            out.json_line(&serde_json::json!({
                "name": a.name.as_str(),
                "status": a.status(),
                "last_seen": a.last_seen,
                "is_self": a.is_self,
                "pending": pending,
                "host": a.host,
                "pid": a.pid,
            }))?;
        } else {
            let seen = a.last_seen.as_deref().map(one_line).unwrap_or("-".into());
            let name = if a.is_self {
                format!("{} (you)", a.name)
            } else {
                a.name.to_string()
            };
            let host = a.host.as_deref().map(one_line).unwrap_or("-".into());
            out.row(&[
                (&name, 31),
                (a.status(), 7),
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
