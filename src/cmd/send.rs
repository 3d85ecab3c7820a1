//! `cc2cc send --to NAME [TEXT|-]`

use crate::bridge::{Draft, Error, Name};
use crate::cli::{SendArgs, wire_name};
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context, args: SendArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let to = Name::new(&args.to)?;
    let text = super::read_text(&args.text, ctx.bridge.max_size())?;
    let online = ctx.bridge.is_online(&to);
    if args.require_online && !online {
        return Err(Error::RecipientOffline(to.to_string()).into());
    }
    let msg = ctx.bridge.send(
        &me,
        Draft {
            to: to.to_string(),
            text,
            kind: wire_name(&args.kind),
            priority: wire_name(&args.priority),
            reply_to: None,
            ttl: args.ttl.0,
        },
    )?;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({"id": msg.id, "to": msg.to, "queued": !online}))?;
    } else {
        out.line(&msg.id)?;
        if !online {
            eprintln!("cc2cc: {to} is offline; the message waits in its inbox");
        }
    }
    out.flush()?;
    match args.wait {
        Some(wait) => super::watch::wait_for_reply(ctx, &me, &msg.id, wait.0, &mut out),
        None => Ok(()),
    }
}
