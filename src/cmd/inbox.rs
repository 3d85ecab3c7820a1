//! `cc2cc inbox`: pending messages, oldest first, claimed as they are printed (`--peek` leaves
//! them; `--all` shows read history first).
//!
//! The promise of a plain `inbox`: a message is marked read only after its write to standard
//! output succeeded, and one whose write failed (a closed pipe) is put back, unread. What a
//! consumer had already received but not processed when it died is not known to us: scripts
//! that must not miss anything use `inbox --peek` and then `cc2cc ack ID…`.

use std::io::IsTerminal;

use crate::bridge::{Filter, Mode};
use crate::cli::InboxArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output};

pub fn run(ctx: &Context, args: InboxArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let mailbox = ctx.bridge.mailbox(&me);
    let mut filter = Filter {
        from: args.from,
        kind: args.kind.map(|k| k.as_str().into()),
        limit: args.limit,
        ..Filter::default()
    };
    let mut out = Output::new(ctx.json);
    let mut shown = 0;
    let mut problems = Vec::new();
    if args.all {
        let (read, unreadable) = mailbox.history();
        problems = unreadable;
        for env in read.iter().filter(|e| filter.accepts(&e.message)) {
            if filter.limit.is_some_and(|n| shown >= n) {
                break;
            }
            out.message(&env.message)?;
            shown += 1;
        }
        filter.limit = filter.limit.map(|n| n - shown);
    }
    // Each claimed message is printed and flushed at once; one whose write fails goes back.
    let mode = if args.peek { Mode::Peek } else { Mode::Claim };
    let mut pass = mailbox.pass(&filter, mode, &|_| false)?;
    let mut failed = None;
    while let Some(env) = pass.next() {
        if let Err(e) = out.message(&env.message).and_then(|()| out.flush()) {
            failed = Some(e);
            pass.put_back(&env);
            break;
        }
        shown += 1;
    }
    let mut report = pass.finish();
    problems.append(&mut report.problems);
    let serious = super::report_problems(&problems, &report.expired);
    if let Some(e) = failed {
        return Err(e.into());
    }
    out.flush()?;
    if shown == 0 && !ctx.json && std::io::stdout().is_terminal() {
        output::note(&format!("no pending messages for {me}"));
    }
    if serious {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}
