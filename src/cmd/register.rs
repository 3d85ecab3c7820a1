//! `cc2cc register [NAME]`: claim a name (a durable identity for a script) and create its mailbox.

use crate::bridge::{Error, Name};
use crate::cli::RegisterArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output};

pub fn run(ctx: &Context, args: RegisterArgs) -> Result<(), CliError> {
    let bridge = &ctx.bridge;
    let name = match args.name {
        Some(n) => Name::new(&n)?,
        None => bridge.unused_name(),
    };
    if bridge.is_online(&name) {
        return Err(Error::NameTaken {
            name: name.to_string(),
            detail: "a live agent uses it".into(),
        }
        .into());
    }
    bridge.mailbox(&name).ensure()?;
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({
            "name": name.as_str(),
            "mailbox": bridge.mailbox_dir(&name),
        }))?;
    } else {
        out.line(name.as_str())?;
        // A name is an argument, not a state: say how to act as it.
        output::note(&format!(
            "act as it with --as {name} or CC2CC_NAME={name} (e.g. in a crontab line)"
        ));
    }
    Ok(out.flush()?)
}
