//! `cc2cc inbox`: pending messages, oldest first, claimed as they are printed (`--peek` leaves
//! them; `--all` shows read history first).

use std::io::IsTerminal;

use crate::bridge::Filter;
use crate::cli::{InboxArgs, wire_name};
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context, args: InboxArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    let mut filter = Filter {
        from: args.from,
        kind: args.kind.as_ref().map(wire_name),
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
    // Each claimed message is printed (and flushed) at once: Ctrl-C or a closed pipe leaves at
    // most one message claimed but unseen.
    let mut failed = None;
    let mut taken = ctx
        .bridge
        .take_each(&me, &filter, args.peek, &|_| false, &mut |m| match out
            .message(m)
            .and_then(|()| if args.peek { Ok(()) } else { out.flush() })
        {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        });
    if let Some(e) = failed {
        return Err(e.into());
    }
    out.flush()?;
    problems.append(&mut taken.problems);
    let serious = super::report_problems(&problems, &taken.expired);
    if shown + taken.messages.len() == 0 && !ctx.json && std::io::stdout().is_terminal() {
        eprintln!("cc2cc: no pending messages for {me}");
    }
    if serious {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}
