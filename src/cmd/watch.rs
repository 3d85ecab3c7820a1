//! `cc2cc watch`: print (or `--exec`) each message as it arrives, holding presence meanwhile.
//! Also the waiting half of `send --wait`.

use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::bridge::watch::{InboxWatcher, Mode};
use crate::bridge::{Filter, Message, Name, Ticker};
use crate::cli::WatchArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;
use crate::signals;

pub fn run(ctx: &Context, args: WatchArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    // Signals first: once we are online, a SIGTERM must lead to an offline heartbeat.
    let listener = Listener::new()?;
    let presence = Arc::new(ctx.bridge.go_online(&me)?);
    let beater = presence.beat_in_background();
    let mut out = Output::new(ctx.json);
    let mut seen = 0;
    let result = listener.listen(
        ctx,
        &me,
        args.poll,
        args.timeout,
        |m| {
            out.message(m)?;
            out.flush()?;
            if let Some(cmd) = &args.exec {
                exec(cmd, m);
            }
            seen += 1;
            Ok(args.count.is_some_and(|n| seen >= n))
        },
        |seen_so_far| Filter {
            limit: args.count.map(|n| n - seen_so_far),
            ..Filter::default()
        },
    );
    drop(beater);
    let why = match &result {
        Ok(()) => "watch finished",
        Err(CliError::Signalled(sig)) => signals::shutdown_context(*sig),
        Err(_) => "watch stopped",
    };
    let _ = presence.leave(why);
    result
}

/// Blocks until the reply to `id` lands in `me`'s inbox, claims it and prints it.
pub fn wait_for_reply(
    ctx: &Context,
    me: &Name,
    id: &str,
    limit: Option<Duration>,
    out: &mut Output,
) -> Result<(), CliError> {
    Listener::new()?
        .listen(
            ctx,
            me,
            None,
            limit,
            |m| {
                out.message(m)?;
                out.flush()?;
                Ok(true)
            },
            |_| Filter {
                reply_to: Some(id.to_owned()),
                limit: Some(1),
                ..Filter::default()
            },
        )
        .map_err(|e| match e {
            CliError::Timeout(_) => {
                CliError::Timeout(format!("no reply to {id} yet; it will wait in the inbox"))
            }
            e => e,
        })
}

/// The reading loop shared by `watch` and `send --wait`, with the signals it answers to.
struct Listener {
    tx: mpsc::Sender<Wake>,
    rx: Receiver<Wake>,
    signals: signal_hook::iterator::Handle,
}

impl Listener {
    fn new() -> Result<Listener, CliError> {
        let (tx, rx) = mpsc::channel::<Wake>();
        let signal_tx = tx.clone();
        let signals = signals::forward(move |sig| drop(signal_tx.send(Wake::Signal(sig))))?;
        Ok(Listener { tx, rx, signals })
    }

    /// Takes what the filter wants, handing each message to `deliver` as soon as it is claimed
    /// (it returns true to stop), then sleeps until an event, a rescan tick, the deadline or a
    /// signal.
    fn listen(
        self,
        ctx: &Context,
        me: &Name,
        poll: Option<Duration>,
        timeout: Option<Duration>,
        mut deliver: impl FnMut(&Message) -> Result<bool, CliError>,
        filter: impl Fn(usize) -> Filter,
    ) -> Result<(), CliError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        ctx.bridge.ensure_mailbox(me)?;
        let tx = self.tx.clone();
        let watcher = InboxWatcher::start(&ctx.bridge.inbox_dir(me), poll, move || {
            let _ = tx.send(Wake::Changed);
        })?;
        if let (Mode::Polling(every, why), None) = (&watcher.mode, poll) {
            eprintln!(
                "cc2cc: polling every {}: {why}",
                humantime::format_duration(*every)
            );
        }
        let mut reported = HashSet::new();
        let mut handed_out = 0;
        // Scheduled messages and recurring schedules fall due while we run: deliver them.
        let mut ticker = Ticker::default();
        let result =
            loop {
                if let Some(ticked) = ticker.run_if_due(&ctx.bridge) {
                    let fresh: Vec<_> = ticked
                        .problems
                        .into_iter()
                        .filter(|p| reported.insert(p.file().to_owned()))
                        .collect();
                    super::report_problems(&fresh, &[]);
                }
                let wanted = filter(handed_out);
                let mut stop = None;
                let taken =
                    ctx.bridge
                        .take_each(me, &wanted, false, &|f| reported.contains(f), &mut |m| {
                            match deliver(m) {
                                Ok(false) => true,
                                Ok(true) => {
                                    stop = Some(Ok(()));
                                    false
                                }
                                Err(e) => {
                                    stop = Some(Err(e));
                                    false
                                }
                            }
                        });
                super::report_problems(&taken.problems, &taken.expired);
                reported.extend(taken.problems.iter().map(|p| p.file().to_owned()));
                handed_out += taken.messages.len();
                if let Some(result) = stop {
                    break result;
                }
                let interval = watcher.interval().min(ticker.wait());
                if let Err(e) = sleep(&self.rx, interval, deadline) {
                    break Err(e);
                }
            };
        self.signals.close();
        result
    }
}

enum Wake {
    Changed,
    Signal(i32),
}

/// Waits for something to happen; drains the burst of events one delivery causes.
fn sleep(
    rx: &Receiver<Wake>,
    interval: Duration,
    deadline: Option<Instant>,
) -> Result<(), CliError> {
    let wait = match deadline {
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CliError::Timeout("timed out".into()));
            }
            left.min(interval)
        }
        None => interval,
    };
    let mut wake = match rx.recv_timeout(wait) {
        Ok(w) => Some(w),
        Err(RecvTimeoutError::Timeout) => None,
        Err(RecvTimeoutError::Disconnected) => {
            return Err(CliError::failed("inbox watcher stopped"));
        }
    };
    while let Some(w) = wake {
        if let Wake::Signal(sig) = w {
            return Err(CliError::Signalled(sig));
        }
        wake = rx.try_recv().ok();
    }
    Ok(())
}

/// Runs `cmd` through `sh -c` with the message JSON on its stdin. A failing command is reported
/// and watching goes on: the message was already claimed and printed.
fn exec(cmd: &str, m: &Message) {
    let child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("CC2CC_MSG_ID", &m.id)
        .env("CC2CC_FROM", &m.from)
        .env("CC2CC_TYPE", &m.kind)
        .stdin(Stdio::piped())
        .spawn();
    let status = child.and_then(|mut c| {
        if let Some(mut stdin) = c.stdin.take() {
            let mut json = serde_json::to_vec(m).unwrap_or_default();
            json.push(b'\n');
            let _ = stdin.write_all(&json); // a command that ignores its input is fine
        }
        c.wait()
    });
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => eprintln!("cc2cc: warning: --exec command {s} for {}", m.id),
        Err(e) => eprintln!("cc2cc: warning: cannot run --exec command: {e}"),
    }
}
