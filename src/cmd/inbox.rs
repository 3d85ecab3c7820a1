//! `cc2cc inbox`: pending messages, oldest first, claimed as they are printed (`--peek` leaves
//! them; `--all` shows read history first).
//!
//! The promise of a plain `inbox`: a message is marked read only after its write to standard
//! output succeeded, and one whose write failed (a closed pipe) is put back, unread. What a
//! consumer had already received but not processed when it died is not known to us: scripts
//! that must not miss anything use `inbox --peek` and then `cc2cc ack ID…`.

use std::io::IsTerminal;

use crate::bridge::{Filter, Flow};
use crate::cli::InboxArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output};

pub fn run(ctx: &Context, args: InboxArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
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
        let (read, unreadable) = ctx.bridge.history(&me);
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
    let mut failed = None;
    let mut taken = ctx
        .bridge
        .take_each(&me, &filter, args.peek, &|_| false, &mut |env| match out
            .message(&env.message)
            .and_then(|()| out.flush())
        {
            Ok(()) => Flow::Next,
            Err(e) => {
                failed = Some(e);
                Flow::PutBack
            }
        });
    problems.append(&mut taken.problems);
    let serious = super::report_problems(&problems, &taken.expired);
    if let Some(e) = failed {
        return Err(e.into());
    }
    if let Some(e) = taken.failed {
        return Err(e.into());
    }
    out.flush()?;
    if shown + taken.messages.len() == 0 && !ctx.json && std::io::stdout().is_terminal() {
        output::note(&format!("no pending messages for {me}"));
    }
    if serious {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}
