//! `cc2cc prune --older-than DURATION`: remove old history from every mailbox, never pending mail.

use crate::bridge::clock;
use crate::cli::PruneArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context, args: PruneArgs) -> Result<(), CliError> {
    let (pruned, problems) = ctx
        .bridge
        .prune(args.older_than, clock::now(), args.dry_run);
    let mut out = Output::new(ctx.json);
    for (name, p) in &pruned {
        if ctx.json {
            out.json_line(&serde_json::json!({
                "mailbox": name.as_str(),
                "done": p.done,
                "sent": p.sent,
                "receipts": p.receipts,
                "answers": p.answers,
                "dry_run": args.dry_run,
            }))?;
        } else {
            out.line(&format!(
                "{name}: {} {} read, {} sent, {} receipts, {} answer markers",
                if args.dry_run {
                    "would remove"
                } else {
                    "removed"
                },
                p.done,
                p.sent,
                p.receipts,
                p.answers
            ))?;
        }
    }
    out.flush()?;
    super::report_problems(&problems, &[]);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Reported)
    }
}
