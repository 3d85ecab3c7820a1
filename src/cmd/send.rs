//! `cc2cc send --to NAME [TEXT|-]`, now or later (`--at`, `--in`).

use crate::bridge::{Draft, Name, SendOptions, clock, cron};
use crate::cli::SendArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output};

pub fn run(ctx: &Context, mut args: SendArgs) -> Result<(), CliError> {
    // `--wait 5m TEXT` (the old spelling): two arguments after --wait, so the first is the
    // duration. With one argument it is always the text (`--wait=5m` or --timeout for a limit).
    if let Some(text) = args.old_wait_text.take() {
        if args.wait.is_none() {
            return Err(CliError::usage(
                "two texts given; quote the message as one argument: cc2cc send --to NAME \"TEXT\"",
            ));
        }
        let first = args.text.text.take().unwrap_or_default();
        let wait = crate::cli::parse_duration(&first).map_err(|e| {
            CliError::usage(format!(
                "two texts given; with --wait the first would be a duration, but {e}"
            ))
        })?;
        args.timeout = args.timeout.or(Some(wait));
        args.text.text = Some(text);
    }
    let me = ctx.me()?;
    if args.batch {
        return super::batch::run(ctx, &me, &args);
    }
    let to = Name::new(args.to.as_deref().unwrap_or_default())?;
    let now = clock::now();
    let due = match (&args.at, args.delay) {
        (Some(at), _) => Some(cron::parse_at(at, now).map_err(|e| match e {
            cron::AtError::Past(why) => {
                CliError::usage(format!("{why}; use --in DURATION or a later time"))
            }
            cron::AtError::Unreadable(why) => CliError::usage(why),
        })?),
        (None, Some(delay)) => Some(now + delay),
        (None, None) => None,
    };
    let text = super::read_text(&args.text, ctx.bridge.max_size())?;
    let draft = Draft {
        to: to.to_string(),
        text,
        kind: args.kind,
        priority: args.priority,
        reply_to: None,
        ttl: args.ttl.0,
    };
    let options = SendOptions {
        require_online: args.require_online,
        at: due,
    };
    let sent = ctx.bridge.send_with(&me, draft, options)?;
    let msg = &sent.message;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        let mut line = serde_json::json!({"id": msg.id, "to": msg.to, "queued": !sent.online});
        if due.is_some() {
            line["scheduled"] = msg.timestamp.clone().into();
        }
        out.json_line(&line)?;
    } else {
        out.line(&msg.id)?;
    }
    // Said in --json mode too: stdout stays machine output, and a typo must not pass silently.
    match &sent.new_name {
        Some(note) => output::note(note),
        None if due.is_some() => output::note(&format!("scheduled for {}", msg.timestamp)),
        None if !sent.online => {
            output::note(&format!("{to} is offline; the message waits in its inbox"))
        }
        None => {}
    }
    out.flush()?;
    match args.wait {
        Some(wait) => {
            let limit = args.timeout.or(wait.0);
            super::watch::wait_for_reply(ctx, &me, &msg.id, limit, &mut out)
        }
        None => Ok(()),
    }
}
