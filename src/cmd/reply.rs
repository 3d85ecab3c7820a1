//! `cc2cc reply MSG_ID [TEXT|-]`: the recipient is the sender of MSG_ID.

use crate::bridge::Name;
use crate::cli::ReplyArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context, args: ReplyArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let original = ctx.bridge.find(&me, &args.msg_id)?;
    Name::new(&original.from).map_err(|e| {
        CliError::failed(format!("cannot reply to {}: its sender {e}", args.msg_id))
    })?;
    let text = super::read_text(&args.text, ctx.bridge.max_size())?;
    let msg = ctx
        .bridge
        .reply(&me, &args.msg_id, &original, &text, args.priority)?;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({"id": msg.id, "to": msg.to, "replyTo": msg.reply_to}))?;
    } else {
        out.line(&msg.id)?;
    }
    Ok(out.flush()?)
}
