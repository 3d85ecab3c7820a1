//! `cc2cc watch`: print (or `--exec`) each message as it arrives, holding presence meanwhile.
//! Also the waiting half of `send --wait`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::bridge::mailbox::INBOX;
use crate::bridge::mailbox::Mode as PassMode;
use crate::bridge::watch::{InboxWatcher, Mode};
use crate::bridge::{Envelope, Filter, Name, Ticker};
use crate::cli::WatchArgs;
use crate::context::Context;
use crate::error::{self, CliError};
use crate::output::{self, Output};
use crate::signals;

/// Failed `--exec` runs after which a message is moved to `bad/`.
const EXEC_TRIES: u32 = 5;

pub fn run(ctx: &Context, args: WatchArgs) -> Result<(), CliError> {
    let me = ctx.me()?;
    // Signals first: once we are online, a SIGTERM must lead to an offline heartbeat.
    let listener = Listener::new()?;
    let presence = Arc::new(ctx.bridge.go_online(&me)?);
    let beater = presence.beat_in_background();
    let printer = Printer {
        out: Output::new(ctx.json),
        count: args.count,
        seen: 0,
        peek: args.peek,
        printed: HashSet::new(),
    };
    let result = match &args.exec {
        Some(cmd) => listener.listen(
            ctx,
            &me,
            args.poll,
            args.timeout,
            &mut Exec {
                cmd: cmd.clone(),
                first_retry: args.retry_after,
                failures: HashMap::new(),
                finished: HashSet::new(),
                printer,
            },
        ),
        None => listener.listen(ctx, &me, args.poll, args.timeout, &mut { printer }),
    };
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
    let mut waiter = ReplyWaiter { out, id };
    Listener::new()?
        .listen(ctx, me, None, limit, &mut waiter)
        .map_err(|e| match e {
            CliError::Timeout(_) => {
                CliError::Timeout(format!("no reply to {id} yet; it will wait in the inbox"))
            }
            e => e,
        })
}

/// What happened to one handed-out message.
enum Step {
    Next,
    /// Stop watching, successfully.
    Done,
    /// Stop with this error; `put_back` when the message was claimed but not passed on.
    Fail {
        error: CliError,
        put_back: bool,
    },
}

/// One way of consuming what arrives: printing, running a command, waiting for a reply.
trait Reader {
    fn filter(&self) -> Filter;
    /// True when passes leave messages pending (the reader claims them itself, or never).
    fn peek(&self) -> bool;
    /// Files not to offer in the next pass (already printed, or waiting for a retry).
    fn skipped(&self, now: Instant) -> HashSet<String>;
    fn handle(&mut self, ctx: &Context, me: &Name, env: &Envelope) -> Step;
    /// When the reader wants a pass even if nothing arrives (a retry).
    fn due(&self) -> Option<Instant> {
        None
    }
}

/// Prints each message (claimed unless `peek`; with `peek`, each once per run).
struct Printer {
    out: Output,
    count: Option<usize>,
    seen: usize,
    peek: bool,
    printed: HashSet<String>,
}

impl Printer {
    fn print(&mut self, env: &Envelope) -> Step {
        match self
            .out
            .message(&env.message)
            .and_then(|()| self.out.flush())
        {
            Ok(()) => {}
            Err(e) => {
                return Step::Fail {
                    error: e.into(),
                    put_back: true,
                };
            }
        }
        self.seen += 1;
        if self.count.is_some_and(|n| self.seen >= n) {
            Step::Done
        } else {
            Step::Next
        }
    }
}

impl Reader for Printer {
    fn filter(&self) -> Filter {
        Filter {
            limit: self.count.map(|n| n - self.seen),
            ..Filter::default()
        }
    }
    fn peek(&self) -> bool {
        self.peek
    }
    fn skipped(&self, _: Instant) -> HashSet<String> {
        self.printed.clone()
    }
    fn handle(&mut self, _: &Context, _: &Name, env: &Envelope) -> Step {
        if self.peek {
            self.printed.insert(env.file.clone());
        }
        self.print(env)
    }
}

/// `watch --exec CMD`: runs CMD on each pending message and claims it only when CMD exits 0.
/// A failure leaves it pending and retries after a back-off that doubles; after
/// [`EXEC_TRIES`] failures the message goes to `bad/` with the reason.
struct Exec {
    cmd: String,
    first_retry: Duration,
    /// Per file: failed runs so far and when to try again.
    failures: HashMap<String, (u32, Instant)>,
    /// Files claimed, taken by another reader or given up: never offered again.
    finished: HashSet<String>,
    printer: Printer,
}

impl Reader for Exec {
    fn filter(&self) -> Filter {
        // It claims what it handles itself, so expired mail is retired as by any claiming reader.
        Filter {
            retire_expired: true,
            ..self.printer.filter()
        }
    }
    fn peek(&self) -> bool {
        true
    }
    fn skipped(&self, now: Instant) -> HashSet<String> {
        let waiting = self
            .failures
            .iter()
            .filter(|(_, (_, next))| *next > now)
            .map(|(f, _)| f.clone());
        self.finished.iter().cloned().chain(waiting).collect()
    }
    fn due(&self) -> Option<Instant> {
        self.failures.values().map(|(_, next)| *next).min()
    }
    fn handle(&mut self, ctx: &Context, me: &Name, env: &Envelope) -> Step {
        let id = &env.message.id;
        match run_exec(&self.cmd, me, env) {
            Ok(()) => {
                self.failures.remove(&env.file);
                self.finished.insert(env.file.clone());
                match ctx.bridge.mailbox(me).claim_file(&env.file, &env.message) {
                    Ok(true) => self.printer.print(env),
                    Ok(false) => Step::Next, // another reader had it meanwhile
                    Err(e) => {
                        error::print(&e);
                        Step::Next
                    }
                }
            }
            Err(reason) => {
                let tries = self.failures.get(&env.file).map_or(0, |(n, _)| *n) + 1;
                if tries >= EXEC_TRIES {
                    self.failures.remove(&env.file);
                    self.finished.insert(env.file.clone());
                    let why = format!("--exec failed {tries} times, last: {reason}");
                    match ctx
                        .bridge
                        .mailbox(me)
                        .move_to_bad(INBOX, &env.file, Some(&why))
                    {
                        Ok(()) => output::warn(&format!("moved {id} to bad/: {why}")),
                        Err(e) => output::error(&format!("{why}; {e}"), None),
                    }
                } else {
                    let wait = self.first_retry * 2u32.pow(tries - 1);
                    output::warn(&format!(
                        "--exec {reason} for {id}; it stays pending, next try in {}",
                        humantime::format_duration(wait)
                    ));
                    self.failures
                        .insert(env.file.clone(), (tries, Instant::now() + wait));
                }
                Step::Next
            }
        }
    }
}

/// `send --wait`: the one reply to a message.
struct ReplyWaiter<'a> {
    out: &'a mut Output,
    id: &'a str,
}

impl Reader for ReplyWaiter<'_> {
    fn filter(&self) -> Filter {
        Filter {
            reply_to: Some(self.id.to_owned()),
            limit: Some(1),
            ..Filter::default()
        }
    }
    fn peek(&self) -> bool {
        false
    }
    fn skipped(&self, _: Instant) -> HashSet<String> {
        HashSet::new()
    }
    fn handle(&mut self, _: &Context, _: &Name, env: &Envelope) -> Step {
        match self
            .out
            .message(&env.message)
            .and_then(|()| self.out.flush())
        {
            Ok(()) => Step::Done,
            Err(e) => Step::Fail {
                error: e.into(),
                put_back: true,
            },
        }
    }
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

    fn watch(
        &self,
        ctx: &Context,
        me: &Name,
        poll: Option<Duration>,
    ) -> Result<InboxWatcher, CliError> {
        let tx = self.tx.clone();
        let watcher = InboxWatcher::start(&ctx.bridge.inbox_dir(me), poll, move |_| {
            let _ = tx.send(Wake::Changed);
        })?;
        if let (Mode::Polling(every, why), None) = (&watcher.mode, poll) {
            output::note(&format!(
                "polling every {}: {why}",
                humantime::format_duration(*every)
            ));
        }
        Ok(watcher)
    }

    /// Takes what the reader wants, handing each message to it as soon as it is handed out,
    /// then sleeps until an event, a rescan tick, a retry, the deadline or a signal.
    fn listen(
        self,
        ctx: &Context,
        me: &Name,
        poll: Option<Duration>,
        timeout: Option<Duration>,
        reader: &mut dyn Reader,
    ) -> Result<(), CliError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        ctx.bridge.mailbox(me).ensure()?;
        let mut watcher = self.watch(ctx, me, poll)?;
        let mut reported = HashSet::new();
        // Scheduled messages and recurring schedules fall due while we run: deliver them.
        let mut ticker = Ticker::default();
        let result = loop {
            if let Some(ticked) = ticker.run_if_due(&ctx.bridge) {
                let fresh: Vec<_> = ticked
                    .problems
                    .into_iter()
                    .filter(|p| reported.insert(p.file().to_owned()))
                    .collect();
                super::report_problems(&fresh, &[]);
            }
            if watcher.replaced() {
                output::note(&format!(
                    "{} was removed and made again; watching the new folder",
                    ctx.bridge.inbox_dir(me).display()
                ));
                watcher = match self.watch(ctx, me, poll) {
                    Ok(w) => w,
                    Err(e) => break Err(e),
                };
            }
            let wanted = reader.filter();
            let skipped = reader.skipped(Instant::now());
            let mode = if reader.peek() {
                PassMode::Peek
            } else {
                PassMode::Claim
            };
            let skip = |f: &str| reported.contains(f) || skipped.contains(f);
            let mut pass = match ctx.bridge.mailbox(me).pass(&wanted, mode, &skip) {
                Ok(pass) => pass,
                Err(e) => break Err(e.into()),
            };
            let mut stop = None;
            while let Some(env) = pass.next() {
                match reader.handle(ctx, me, &env) {
                    Step::Next => {}
                    Step::Done => {
                        stop = Some(Ok(()));
                        break;
                    }
                    Step::Fail { error, put_back } => {
                        if put_back {
                            pass.put_back(&env);
                        }
                        stop = Some(Err(error));
                        break;
                    }
                }
            }
            let report = pass.finish();
            super::report_problems(&report.problems, &report.expired);
            reported.extend(report.problems.iter().map(|p| p.file().to_owned()));
            if let Some(result) = stop {
                break result;
            }
            let interval = watcher.interval().min(ticker.wait());
            let interval = match reader.due() {
                Some(due) => interval.min(due.saturating_duration_since(Instant::now())),
                None => interval,
            };
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

/// Runs `cmd` through `sh -c` with the message JSON on its stdin and the agent's name and the
/// message's id, sender and type in its environment. Err says why it failed.
fn run_exec(cmd: &str, me: &Name, env: &Envelope) -> Result<(), String> {
    let m = &env.message;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("CC2CC_NAME", me.as_str())
        .env("CC2CC_MSG_ID", &m.id)
        .env("CC2CC_FROM", &m.from)
        .env("CC2CC_TYPE", &m.kind)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let mut json = serde_json::to_vec(m).unwrap_or_default();
        json.push(b'\n');
        let _ = stdin.write_all(&json); // a command that ignores its input is fine
    }
    match child.wait() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("command {s}")),
        Err(e) => Err(format!("command could not be waited for: {e}")),
    }
}
