//! `cc2cc tick`: deliver everything due on the bridge now. Safe to run from any number of
//! processes at once (cron, a systemd timer, next to running agents).

use crate::bridge::clock;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context) -> Result<(), CliError> {
    let ticked = ctx.bridge.tick(clock::now());
    let mut out = Output::new(ctx.json);
    for id in &ticked.released {
        if ctx.json {
            out.json_line(&serde_json::json!({"released": id}))?;
        } else {
            out.line(&format!("released {id}"))?;
        }
    }
    for (schedule, m) in &ticked.fired {
        if ctx.json {
            out.json_line(&serde_json::json!({"fired": schedule, "id": m.id, "to": m.to}))?;
        } else {
            out.line(&format!("fired {schedule}: {} to {}", m.id, m.to))?;
        }
    }
    out.flush()?;
    super::report_problems(&ticked.problems, &[]);
    if ticked.problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Reported)
    }
}
