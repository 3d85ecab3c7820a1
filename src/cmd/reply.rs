//! `cc2cc reply MSG_ID [TEXT|-]`: the recipient is the sender of MSG_ID.

use crate::cli::ReplyArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context, args: ReplyArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let text = super::read_text(&args.text, ctx.bridge.max_size())?;
    let msg = ctx
        .bridge
        .reply(&me, &args.msg_id, &text, args.priority)?
        .message;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({"id": msg.id, "to": msg.to, "replyTo": msg.reply_to}))?;
    } else {
        out.line(&msg.id)?;
    }
    Ok(out.flush()?)
}
