//! `cc2cc ack MSG_ID…`: the second half of a two-phase read. Marks exactly the named pending
//! messages read (moved to `done/`, with receipts), after a script has dealt with them.

use crate::cli::AckArgs;
use crate::context::Context;
use crate::error::{self, CliError};
use crate::output::{self, Output};

pub fn run(ctx: &Context, args: AckArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let mut out = Output::new(ctx.json);
    let mut failed = false;
    for id in &args.ids {
        match ctx.bridge.mailbox(&me).ack(id) {
            Ok(acked) if ctx.json => {
                out.json_line(&serde_json::json!({"id": id, "acked": acked}))?
            }
            Ok(true) => {}
            Ok(false) => output::note(&format!("{id} was already read")),
            Err(e) => {
                failed = true;
                error::print(&e);
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
