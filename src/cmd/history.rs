//! `cc2cc history`: what you sent and read, oldest first (the newest N with `--limit`).

use crate::bridge::{HistoryQuery, clock};
use crate::cli::HistoryArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context, args: HistoryArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let query = HistoryQuery {
        with: args.with,
        grep: args.grep,
        since: args
            .since
            .map(|d| clock::now().checked_sub(d).unwrap_or(std::time::UNIX_EPOCH)),
        kind: args.kind,
        limit: args.limit,
    };
    let (entries, problems) = ctx.bridge.query_history(&me, &query);
    let mut out = Output::new(ctx.json);
    for e in &entries {
        out.history_entry(e)?;
    }
    out.flush()?;
    if super::report_problems(&problems, &[]) {
        return Err(CliError::Reported);
    }
    Ok(())
}
