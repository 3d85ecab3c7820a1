//! `cc2cc status MSG_ID`: where a message is in its life, from one stat per place.

use crate::cli::StatusArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{Output, one_line};

pub fn run(ctx: &Context, args: StatusArgs) -> Result<(), CliError> {
    let me = ctx.maybe_me()?;
    let status = ctx.bridge.status(&args.msg_id, me.as_ref())?;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&status.to_json())?;
    } else {
        out.line(&one_line(&status.describe()))?;
    }
    Ok(out.flush()?)
}
