//! `cc2cc forget NAME`: remove an agent's mailbox, e.g. one a mistyped `send --to` created.

use crate::bridge::Name;
use crate::cli::ForgetArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output};

pub fn run(ctx: &Context, args: ForgetArgs) -> Result<(), CliError> {
    let name = Name::new(&args.name)?;
    let pending = ctx.bridge.forget(&name, args.force)?;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({"name": name.as_str(), "removed_pending": pending}))?;
    } else if pending > 0 {
        output::note(&format!(
            "removed {name} with {pending} unread message{}",
            if pending == 1 { "" } else { "s" }
        ));
    }
    Ok(out.flush()?)
}
