//! `cc2cc broadcast [TEXT|-]`: one message per online agent (every known one with
//! `--include-offline`). A failed recipient does not stop the others.

use crate::cli::BroadcastArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output};

pub fn run(ctx: &Context, args: BroadcastArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let text = super::read_text(&args.text, ctx.bridge.max_size())?;
    let recipients = ctx
        .bridge
        .broadcast(&me, &text, args.priority, args.include_offline);
    if recipients.is_empty() {
        output::note(
            "no other agent is online; nothing sent (--include-offline queues for known agents)",
        );
        return Ok(());
    }
    let mut out = Output::new(ctx.json);
    let mut failed = false;
    for r in recipients {
        match r.sent {
            Ok(msg) if ctx.json => {
                out.json_line(&serde_json::json!({"id": msg.id, "to": msg.to}))?
            }
            Ok(msg) => out.line(&format!("{}\t{}", msg.id, msg.to))?,
            Err(e) => {
                failed = true;
                output::error(&format!("to {}: {e}", r.to), None);
            }
        }
    }
    out.flush()?;
    if failed {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}
