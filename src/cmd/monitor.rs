//! `cc2cc monitor`: the Claude Code plugin monitor. Each new message becomes one line on
//! stdout, which Claude Code hands to the model as an event; nothing else goes to stdout.

use std::collections::HashSet;
use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};

use crate::bridge::arrivals::{Arrivals, PassKind};
use crate::bridge::watch::{Change, InboxWatcher, Mode};
use crate::bridge::{Mode as PassMode, Name};
use crate::cli::MonitorArgs;
use crate::context::{self, Context};
use crate::error::CliError;
use crate::present::{self, New};
use crate::signals;

enum Wake {
    Inbox(Change),
    Signal(i32),
}

pub fn run(ctx: &Context, args: MonitorArgs) -> Result<(), CliError> {
    if matches!(std::env::var("CC2CC_MONITOR").as_deref(), Ok("off" | "0")) {
        // Exiting would be an event of its own ("monitor ended"), a wasted turn: idle instead
        // until Claude Code ends the session.
        eprintln!("cc2cc monitor: off (CC2CC_MONITOR); tool results and channel pushes present");
        loop {
            std::thread::park();
        }
    }
    let (name, chosen) = ctx.session_identity(true)?;
    let name = name.ok_or_else(|| {
        CliError::failed("the monitor has no identity").with_hint(
            "Claude Code gives it CLAUDE_CODE_SESSION_ID; elsewhere pass --as NAME or set CC2CC_NAME",
        )
    })?;
    let (tx, rx) = mpsc::channel::<Wake>();
    let signal_tx = tx.clone();
    let signals = signals::forward(move |sig| drop(signal_tx.send(Wake::Signal(sig))))?;
    let mut hold = ctx.bridge.hold_monitor(&name)?;
    eprintln!(
        "cc2cc monitor: presenting new messages for {name} ({chosen}) on {}",
        ctx.bridge.root().display()
    );
    let mut watcher = watch(ctx, &name, args.poll, &tx)?;
    let mut announced = HashSet::new();
    let mut reported = HashSet::new();
    let mut arrivals = Arrivals::default();
    let mut out = std::io::stdout().lock();
    let result = loop {
        let me = hold.name().clone();
        let mailbox = ctx.bridge.mailbox(&me);
        let skip = |f: &str| announced.contains(f);
        let due = match arrivals.pass(&mailbox, PassMode::Claim, &skip) {
            Ok(due) => due,
            Err(e) => break Err(e.into()),
        };
        if let Some((mut pass, kind)) = due {
            let rule = crate::mcp::rule(&ctx.bridge);
            let mut closed = false;
            present::present_new(&mut pass, &mut announced, &mut |new| {
                let ok = emit(
                    &mut out,
                    &match new {
                        New::Whole(m) => present::event(m, &me, rule.as_deref()),
                        New::TooLong(m) => present::waiting_line(m, &me),
                    },
                );
                closed |= !ok;
                ok
            });
            if kind == PassKind::First && !closed && pass.remaining() > 0 {
                closed = !emit(&mut out, &present::backlog_line(pass.remaining(), &me));
            }
            let report = pass.finish();
            let fresh: Vec<_> = report
                .problems
                .into_iter()
                .filter(|p| reported.insert(p.file().to_owned()))
                .collect();
            super::report_problems(&fresh, &report.expired);
            if closed {
                // Claude Code went away; what could not be written is back in the inbox.
                break Ok(());
            }
        }
        match rx.recv_timeout(watcher.interval()) {
            Ok(Wake::Signal(sig)) => break Err(CliError::Signalled(sig)),
            Ok(Wake::Inbox(change)) => arrivals.note(change),
            Err(RecvTimeoutError::Timeout) => arrivals.check(&mailbox),
            Err(RecvTimeoutError::Disconnected) => {
                break Err(CliError::failed("inbox watcher stopped"));
            }
        }
        while let Ok(w) = rx.try_recv() {
            match w {
                Wake::Inbox(change) => arrivals.note(change),
                Wake::Signal(sig) => {
                    signals.close();
                    return Err(CliError::Signalled(sig));
                }
            }
        }
        // The session's server may have renamed it (the register tool): follow the binding.
        if let Some(renamed) = rebound(ctx, &me) {
            match ctx.bridge.hold_monitor(&renamed) {
                Ok(h) => {
                    eprintln!("cc2cc monitor: {me} is now {renamed}; following");
                    hold = h;
                    watcher = watch(ctx, &renamed, args.poll, &tx)?;
                    arrivals.restart();
                }
                Err(e) => eprintln!("cc2cc: warning: cannot follow the rename to {renamed}: {e}"),
            }
        }
    };
    signals.close();
    drop(hold);
    result
}

/// Writes one event in one write, so Claude Code reads it as one piece. False once Claude
/// Code stopped reading.
fn emit(out: &mut impl Write, line: &str) -> bool {
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .is_ok()
}

/// The session's name when it differs from `me` (only when the name came from the session).
fn rebound(ctx: &Context, me: &Name) -> Option<Name> {
    if ctx.maybe_me().ok().flatten().is_some() {
        return None;
    }
    let id = context::session_id()?;
    ctx.bridge
        .session_name(&id)
        .ok()
        .flatten()
        .filter(|n| n != me)
}

fn watch(
    ctx: &Context,
    name: &Name,
    poll: Option<std::time::Duration>,
    tx: &mpsc::Sender<Wake>,
) -> Result<InboxWatcher, CliError> {
    ctx.bridge.mailbox(name).ensure()?;
    let tx = tx.clone();
    let watcher = InboxWatcher::start(&ctx.bridge.inbox_dir(name), poll, move |change| {
        let _ = tx.send(Wake::Inbox(change));
    })?;
    if let (Mode::Polling(every, why), None) = (&watcher.mode, poll) {
        eprintln!(
            "cc2cc monitor: polling every {}: {why}",
            humantime::format_duration(*every)
        );
    }
    Ok(watcher)
}
