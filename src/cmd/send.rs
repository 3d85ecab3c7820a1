//! `cc2cc send --to NAME [TEXT|-]`, now or later (`--at`, `--in`).

use crate::bridge::{Draft, Error, Name, clock, cron};
use crate::cli::{SendArgs, wire_name};
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context, args: SendArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let to = Name::new(&args.to)?;
    let now = clock::now();
    let due = match (&args.at, args.delay) {
        (Some(at), _) => Some(cron::parse_at(at, now).map_err(CliError::usage)?),
        (None, Some(delay)) => Some(now + delay),
        (None, None) => None,
    };
    let text = super::read_text(&args.text, ctx.bridge.max_size())?;
    let online = ctx.bridge.is_online(&to);
    if args.require_online && !online {
        return Err(Error::RecipientOffline(to.to_string()).into());
    }
    let draft = Draft {
        to: to.to_string(),
        text,
        kind: wire_name(&args.kind),
        priority: wire_name(&args.priority),
        reply_to: None,
        ttl: args.ttl.0,
    };
    let msg = match due {
        Some(due) => ctx.bridge.send_at(&me, draft, due)?,
        None => ctx.bridge.send(&me, draft)?,
    };
    let mut out = Output::new(ctx.json);
    if ctx.json {
        let mut line = serde_json::json!({"id": msg.id, "to": msg.to, "queued": !online});
        if due.is_some() {
            line["scheduled"] = msg.timestamp.clone().into();
        }
        out.json_line(&line)?;
    } else {
        out.line(&msg.id)?;
        if due.is_some() {
            eprintln!("cc2cc: scheduled for {}", msg.timestamp);
        } else if !online {
            eprintln!("cc2cc: {to} is offline; the message waits in its inbox");
        }
    }
    out.flush()?;
    match args.wait {
        Some(wait) => super::watch::wait_for_reply(ctx, &me, &msg.id, wait.0, &mut out),
        None => Ok(()),
    }
}
