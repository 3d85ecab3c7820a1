//! The serving loop. A stdin reader thread, the inbox watcher's callback and a signal thread
//! feed one channel; one loop owns the only stdout writer, answers requests in order, pushes new
//! mail, keeps the heartbeat and rescans on a timer.

use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use crate::bridge::arrivals::{Arrivals, PassKind};
use crate::bridge::presence::HEARTBEAT_EVERY;
use crate::bridge::watch::{Change, DEFAULT_POLL, InboxWatcher, Mode};
use crate::bridge::{Mode as PassMode, Name, Ticker, notices};
use crate::error::{CliError, ExitCode};
use crate::signals;

use super::rpc::{self, Frame, Incoming, LineReader, RpcError};
use super::{Agent, handshake, log, push, tools};
use crate::present;

/// Frames waiting to be served; a client that writes faster than we answer blocks on its pipe
/// instead of growing our memory.
const QUEUE: usize = 16;
/// Events served in a row before the timers get a turn, so a busy client cannot starve the
/// heartbeat.
const BURST: usize = 64;
/// How long after a signal the loop may take to shut down cleanly. Past it (a write blocked on
/// a client that stopped reading), the process exits anyway; the kernel drops the presence lock,
/// so the agent still shows offline at once.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// Claude Code starts listening for a server's channel events a few milliseconds after the
/// handshake; a push before that is dropped. A push that presents (and claims) waits this long.
const CHANNEL_SETTLE: Duration = Duration::from_secs(1);

pub enum Event {
    Frame(Frame),
    StdinClosed,
    StdinFailed(io::Error),
    Inbox(Change),
    Signal(i32),
}

enum Stop {
    StdinClosed,
    StdinFailed,
    StdoutClosed,
    Signal(i32),
}

pub struct Server<W: Write> {
    agent: Agent,
    out: W,
    events: SyncSender<Event>,
    watcher: InboxWatcher,
    poll: Option<Duration>,
    line_limit: usize,
    initialized: bool,
    /// When `notifications/initialized` came.
    initialized_at: Option<Instant>,
    woken: bool,
    /// Which inbox files to push next.
    arrivals: Arrivals,
    /// Set by the watcher when the queue was full and an event was dropped: look again.
    lost_events: Arc<AtomicBool>,
    stdout_closed: bool,
    /// Delivers scheduled messages and recurring schedules as they fall due.
    ticker: Ticker,
}

/// Serves on stdin/stdout until stdin ends, stdout closes or a signal comes; then writes the
/// offline heartbeat.
pub fn serve(agent: Agent, poll: Option<Duration>, line_limit: usize) -> Result<(), CliError> {
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    let signals = forward_signals(tx.clone())?;
    read_stdin(tx.clone(), line_limit);
    let lost_events = Arc::new(AtomicBool::new(false));
    let watcher = start_watcher(&agent, poll, &tx, &lost_events);
    let mut server = Server {
        agent,
        out: io::stdout().lock(),
        events: tx,
        watcher,
        poll,
        line_limit,
        initialized: false,
        initialized_at: None,
        woken: false,
        arrivals: Arrivals::default(),
        lost_events,
        stdout_closed: false,
        ticker: Ticker::default(),
    };
    let stop = server.run(&rx);
    signals.close();
    let (why, outcome) = match stop {
        Stop::StdinClosed => ("shutdown via stdin EOF", Ok(())),
        Stop::StdoutClosed => ("shutdown: stdout closed", Ok(())),
        Stop::StdinFailed => (
            "shutdown: cannot read stdin",
            Err(CliError::failed("cannot read standard input")),
        ),
        Stop::Signal(sig) => (
            signals::shutdown_context(sig),
            Err(CliError::Signalled(sig)),
        ),
    };
    log::info(format_args!("{} {why}", server.agent.name()));
    if let Err(e) = server.agent.presence.leave(why) {
        log::warn(format_args!("cannot write the offline heartbeat: {e}"));
    }
    outcome
}

impl<W: Write> Server<W> {
    fn run(&mut self, rx: &Receiver<Event>) -> Stop {
        let mut next_beat = Instant::now() + HEARTBEAT_EVERY;
        let mut next_scan = Instant::now() + self.watcher.interval();
        loop {
            let wait = next_beat
                .min(next_scan)
                .saturating_duration_since(Instant::now())
                .min(self.ticker.wait());
            let mut event = match rx.recv_timeout(wait) {
                Ok(e) => Some(e),
                Err(RecvTimeoutError::Timeout) => None,
                // Unreachable while we hold a sender; treat it like the end of input.
                Err(RecvTimeoutError::Disconnected) => return Stop::StdinClosed,
            };
            // Serve what is already queued before the (costlier) timers and scans.
            let mut served = 0;
            while let Some(e) = event {
                if let Some(stop) = self.handle(e) {
                    return stop;
                }
                if self.stdout_closed {
                    return Stop::StdoutClosed;
                }
                served += 1;
                event = if served < BURST {
                    rx.try_recv().ok()
                } else {
                    None
                };
            }
            let now = Instant::now();
            if now >= next_beat {
                if let Err(e) = self.agent.presence.beat() {
                    log::warn(format_args!("cannot write the heartbeat: {e}"));
                }
                next_beat = now + HEARTBEAT_EVERY;
            }
            if now >= next_scan {
                self.arrivals
                    .check(&self.agent.bridge.mailbox(self.agent.name()));
                if self.watcher.replaced() {
                    // Events follow the old folder's inode: without a new watch, delivery would
                    // quietly fall back to this timer.
                    log::warn(format_args!(
                        "{} was removed and made again; watching the new folder",
                        self.agent.bridge.inbox_dir(self.agent.name()).display()
                    ));
                    self.restart_watcher();
                }
                next_scan = now + self.watcher.interval();
            }
            if let Some(ticked) = self.ticker.run_if_due(&self.agent.bridge) {
                for (schedule, m) in &ticked.fired {
                    log::info(format_args!("fired {schedule}: {} to {}", m.id, m.to));
                }
                self.agent.note(&ticked.problems, &[]);
            }
            if self.lost_events.swap(false, Ordering::SeqCst) {
                self.arrivals.rescan();
            }
            if self.initialized && self.arrivals.due() {
                self.push_new_mail();
            }
            if self.stdout_closed {
                return Stop::StdoutClosed;
            }
        }
    }

    fn handle(&mut self, event: Event) -> Option<Stop> {
        match event {
            Event::Frame(Frame::Line(line)) => {
                if !line.iter().all(u8::is_ascii_whitespace) {
                    self.serve_line(&line);
                }
            }
            Event::Frame(Frame::TooLong) => {
                let error = RpcError::new(
                    rpc::INVALID_REQUEST,
                    format!(
                        "invalid request: line longer than {} bytes; skipped up to the next newline",
                        self.line_limit
                    ),
                );
                log::warn(&error.message);
                self.write(&rpc::error(Value::Null, &error));
            }
            Event::StdinClosed => return Some(Stop::StdinClosed),
            Event::StdinFailed(e) => {
                log::error(format_args!("cannot read standard input: {e}"));
                return Some(Stop::StdinFailed);
            }
            Event::Inbox(change) => self.arrivals.note(change),
            Event::Signal(sig) => return Some(Stop::Signal(sig)),
        }
        None
    }

    fn serve_line(&mut self, line: &[u8]) {
        match rpc::parse(line) {
            Err(rejected) => {
                log::debug(format_args!("rejected input: {}", rejected.error.message));
                self.write(&rpc::error(rejected.id, &rejected.error));
            }
            Ok(Incoming::Response) => log::debug("ignored a response: we send no requests"),
            Ok(Incoming::Notification { method, .. }) => self.notified(&method),
            Ok(Incoming::Request { id, method, params }) => {
                let (reply, carried) = match guarded(&method, || self.dispatch(&method, params)) {
                    Ok(result) => (rpc::result(id, result), true),
                    Err(error) => (rpc::error(id, &error), false),
                };
                // Messages in a result are marked read only once it reached the client.
                let written = self.write(&reply);
                self.agent.settle(written && carried);
            }
        }
    }

    fn dispatch(&mut self, method: &str, params: Option<Value>) -> Result<Value, RpcError> {
        match method {
            "initialize" => {
                let params = rpc::params_object(params)?;
                let result = handshake::initialize(&params, self.agent.name())?;
                log::info(format_args!(
                    "initialize from {} (protocol {}), serving as {}",
                    params
                        .get("clientInfo")
                        .and_then(|c| c.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("an unnamed client"),
                    result["protocolVersion"].as_str().unwrap_or_default(),
                    self.agent.name()
                ));
                Ok(result)
            }
            "ping" => Ok(json!({})),
            "tools/list" => Ok(tools::list()),
            "tools/call" => {
                let params = rpc::params_object(params)?;
                let name = match params.get("name") {
                    Some(Value::String(n)) => n.as_str(),
                    Some(other) => {
                        return Err(RpcError::invalid_params(format!(
                            "tools/call: name must be a string, got {}",
                            rpc::type_name(other)
                        )));
                    }
                    None => return Err(RpcError::invalid_params("tools/call: name is required")),
                };
                let empty = Map::new();
                let arguments = match params.get("arguments") {
                    None | Some(Value::Null) => &empty,
                    Some(Value::Object(a)) => a,
                    Some(other) => {
                        return Err(RpcError::invalid_params(format!(
                            "tools/call: arguments must be an object, got {}",
                            rpc::type_name(other)
                        )));
                    }
                };
                let before = self.agent.name().clone();
                let result = tools::call(&mut self.agent, name, arguments);
                if *self.agent.name() != before {
                    self.renamed(&before);
                }
                Ok(result)
            }
            _ => Err(RpcError::new(
                rpc::METHOD_NOT_FOUND,
                format!(
                    "method not found: {}",
                    method.chars().take(100).collect::<String>()
                ),
            )),
        }
    }

    fn notified(&mut self, method: &str) {
        match method {
            "notifications/initialized" => {
                self.initialized = true;
                self.initialized_at.get_or_insert_with(Instant::now);
                if !self.woken {
                    self.woken = true;
                    self.wake();
                }
            }
            // Every request is answered before the next is read, so there is nothing to cancel.
            "notifications/cancelled" => {}
            other => log::debug(format_args!("ignored notification {other}")),
        }
    }

    /// Tells the session its name, once. If the push cannot be written the same words go into
    /// our own inbox, where the next tool result or session finds them; never both.
    fn wake(&mut self) {
        let name = self.agent.name().clone();
        if self.write(&push::wake_notification(&name)) {
            return;
        }
        let notice = notices::status(&name, &push::wake_text(&name));
        match self.agent.bridge.send(&name, notice) {
            Ok(msg) => {
                self.agent.pushed.insert(format!("{}.json", msg.id));
                log::warn(format_args!(
                    "wake push failed; left it in the inbox as {}",
                    msg.id
                ));
            }
            Err(e) => log::error(format_args!("wake push failed and so did the inbox: {e}")),
        }
    }

    fn push_new_mail(&mut self) {
        let name = self.agent.name().clone();
        if self.agent.bridge.monitor_live(&name) {
            // The plugin's monitor presents new mail; a push would be a second copy. Should
            // the monitor go, the next push starts with a bounded first pass.
            self.arrivals.restart();
            return;
        }
        match self.agent.channel {
            push::Mode::Off => self.arrivals.restart(),
            // The timers come back after the settling time.
            push::Mode::Present
                if self
                    .initialized_at
                    .is_some_and(|t| t.elapsed() < CHANNEL_SETTLE) => {}
            push::Mode::Present => self.present_by_push(&name),
            push::Mode::Hint => self.hint_by_push(&name),
        }
    }

    /// Channel events reach the model: each push presents its message, so it claims it.
    fn present_by_push(&mut self, name: &Name) {
        let mailbox = self.agent.bridge.mailbox(name);
        let mut announced = std::mem::take(&mut self.agent.announced);
        let due = self
            .arrivals
            .pass(&mailbox, PassMode::Claim, &|f| announced.contains(f));
        let (mut pass, kind) = match due {
            Ok(Some(due)) => due,
            Ok(None) => return self.agent.announced = announced,
            Err(e) => {
                self.agent.announced = announced;
                return log::warn(format_args!("cannot read the inbox: {e}"));
            }
        };
        let rule = push::rule(&self.agent.bridge);
        present::present_new(&mut pass, &mut announced, &mut |new| {
            let note = match new {
                present::New::Whole(m) => push::message_notification(m, name, rule.as_deref()),
                present::New::TooLong(m) => push::notice(&present::waiting_line(m, name)),
            };
            self.write(&note)
        });
        self.agent.announced = announced;
        self.announce_backlog(&pass, kind, name);
        let report = pass.finish();
        self.agent.note(&report.problems, &report.expired);
    }

    /// An unknown client: push what is new as a hint; tool results present and claim it.
    fn hint_by_push(&mut self, name: &Name) {
        let mailbox = self.agent.bridge.mailbox(name);
        let pushed = &self.agent.pushed;
        let due = self
            .arrivals
            .pass(&mailbox, PassMode::Peek, &|f| pushed.contains(f));
        let (mut pass, kind) = match due {
            Ok(Some(due)) => due,
            Ok(None) => return,
            Err(e) => return log::warn(format_args!("cannot read the inbox: {e}")),
        };
        if kind == PassKind::Rescan {
            self.agent.pushed.prune(&mailbox);
        }
        let rule = push::rule(&self.agent.bridge);
        for env in pass.by_ref() {
            if !self.write(&push::message_notification(
                &env.message,
                name,
                rule.as_deref(),
            )) {
                break;
            }
            self.agent.pushed.insert(env.file);
        }
        self.announce_backlog(&pass, kind, name);
        let report = pass.finish();
        self.agent.note(&report.problems, &[]);
    }

    /// After the first pass: one notice for the backlog it left, never one push per message.
    fn announce_backlog(&mut self, pass: &crate::bridge::Pass, kind: PassKind, name: &Name) {
        let waiting = pass.remaining();
        if kind == PassKind::First && waiting > 0 {
            log::info(format_args!(
                "{waiting} older message(s) wait: announced, not pushed"
            ));
            self.write(&push::notice(&present::backlog_line(waiting, name)));
        }
    }

    fn renamed(&mut self, old: &Name) {
        log::info(format_args!("renamed {old} to {}", self.agent.name()));
        if let Some(id) = &self.agent.session
            && let Err(e) = self.agent.bridge.rebind_session(id, self.agent.name())
        {
            log::warn(format_args!("cannot move the session's name along: {e}"));
        }
        self.restart_watcher();
        self.arrivals.restart();
        self.agent.forget_listing();
    }

    fn restart_watcher(&mut self) {
        self.watcher = start_watcher(&self.agent, self.poll, &self.events, &self.lost_events);
    }

    /// Writes one JSON-RPC message as one line. False once stdout is gone (the client left).
    fn write(&mut self, message: &Value) -> bool {
        if self.stdout_closed {
            return false;
        }
        let mut line = serde_json::to_vec(message).unwrap_or_default();
        line.push(b'\n');
        match self.out.write_all(&line).and_then(|()| self.out.flush()) {
            Ok(()) => true,
            Err(e) => {
                log::info(format_args!("cannot write to stdout: {e}"));
                self.stdout_closed = true;
                false
            }
        }
    }
}

/// Runs one request's handler so that a panic in it becomes an internal error for that request
/// alone.
fn guarded(
    method: &str,
    handler: impl FnOnce() -> Result<Value, RpcError>,
) -> Result<Value, RpcError> {
    catch_unwind(AssertUnwindSafe(handler)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        log::error(format_args!("bug: {method} panicked: {what}"));
        Err(RpcError::new(
            rpc::INTERNAL_ERROR,
            format!("internal error in {method} (a bug in cc2cc): {what}"),
        ))
    })
}

/// Watches the agent's inbox, falling back to polling when events cannot be had.
fn start_watcher(
    agent: &Agent,
    poll: Option<Duration>,
    tx: &SyncSender<Event>,
    lost: &Arc<AtomicBool>,
) -> InboxWatcher {
    let dir = agent.bridge.inbox_dir(agent.name());
    // A full queue means the loop is busy: the event is dropped, and the flag makes the loop
    // look at the whole inbox once it gets there.
    let on_change = |tx: SyncSender<Event>| {
        let lost = Arc::clone(lost);
        move |change| {
            if tx.try_send(Event::Inbox(change)).is_err() {
                lost.store(true, Ordering::SeqCst);
            }
        }
    };
    let watcher = InboxWatcher::start(&dir, poll, on_change(tx.clone())).unwrap_or_else(|e| {
        log::warn(format_args!("{e}; polling instead"));
        InboxWatcher::start(&dir, Some(DEFAULT_POLL), on_change(tx.clone()))
            .unwrap_or_else(|_| unreachable!("polling needs no setup"))
    });
    match &watcher.mode {
        Mode::Events => log::info(format_args!("watching {} for events", dir.display())),
        Mode::Polling(every, why) => {
            let msg = format!(
                "polling {} every {}: {why}",
                dir.display(),
                humantime::format_duration(*every)
            );
            if poll.is_some() {
                log::info(msg)
            } else {
                log::warn(msg)
            }
        }
    }
    watcher
}

fn read_stdin(tx: SyncSender<Event>, limit: usize) {
    std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut reader = LineReader::new(stdin.lock(), limit);
        loop {
            let event = match reader.next_frame() {
                Ok(Some(frame)) => Event::Frame(frame),
                Ok(None) => Event::StdinClosed,
                Err(e) => Event::StdinFailed(e),
            };
            let last = !matches!(event, Event::Frame(_));
            if tx.send(event).is_err() || last {
                return;
            }
        }
    });
}

/// Signals go to the loop; if the loop has not finished SHUTDOWN_GRACE later (a write blocked
/// on a client that stopped reading), the process exits anyway.
fn forward_signals(tx: SyncSender<Event>) -> Result<signal_hook::iterator::Handle, CliError> {
    signals::forward(move |sig| {
        std::thread::spawn(move || {
            std::thread::sleep(SHUTDOWN_GRACE);
            log::error(format_args!(
                "still running {SHUTDOWN_GRACE:?} after signal {sig}; exiting without the offline heartbeat"
            ));
            std::process::exit(ExitCode::of_signal(sig) as i32);
        });
        let _ = tx.send(Event::Signal(sig));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_handler_becomes_an_internal_error() {
        let err = guarded("tools/call", || panic!("boom")).unwrap_err();
        assert_eq!(err.code, rpc::INTERNAL_ERROR);
        assert!(err.message.contains("boom"), "{}", err.message);
        assert_eq!(guarded("ping", || Ok(json!({}))), Ok(json!({})));
    }
}
