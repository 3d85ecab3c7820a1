//! The serving loop. A stdin reader thread, the inbox watcher's callback and a signal thread
//! feed one channel; one loop owns the only stdout writer, answers requests in order, pushes new
//! mail, keeps the heartbeat and rescans on a timer.

use serde_json::Value;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bridge::arrivals::Arrivals;
use crate::bridge::presence::HEARTBEAT_EVERY;
use crate::bridge::watch::{Change, DEFAULT_POLL, InboxWatcher, Mode};
use crate::bridge::{Name, Ticker};
use crate::error::{CliError, ExitCode};
use crate::signals;

use super::rpc::{self, Frame, LineReader, RpcError};
use super::{Agent, log};

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
pub(super) const CHANNEL_SETTLE: Duration = Duration::from_secs(1);

pub enum Event {
    Frame(Frame),
    StdinClosed,
    StdinFailed(io::Error),
    InboxChanged,
    Signal(i32),
}

pub(super) enum Stop {
    StdinClosed,
    StdinFailed,
    StdoutClosed,
    Signal(i32),
}

pub struct Server<W: Write> {
    pub(super) agent: Agent,
    pub(super) out: W,
    pub(super) events: SyncSender<Event>,
    pub(super) watcher: InboxWatcher,
    pub(super) poll: Option<Duration>,
    pub(super) line_limit: usize,
    pub(super) initialized: bool,
    /// When `notifications/initialized` came.
    pub(super) initialized_at: Option<Instant>,
    pub(super) woken: bool,
    /// Which inbox files to push next.
    pub(super) arrivals: Arrivals,
    /// What the watcher saw, kept here rather than in the bounded event queue, so a burst of
    /// arrivals loses no name (the queue only carries a wake-up).
    pub(super) changes: Arc<Mutex<Vec<Change>>>,
    pub(super) stdout_closed: bool,
    /// Delivers scheduled messages and recurring schedules as they fall due.
    pub(super) ticker: Ticker,
}

/// Serves on stdin/stdout until stdin ends, stdout closes or a signal comes; then writes the
/// offline heartbeat.
pub fn serve(agent: Agent, poll: Option<Duration>, line_limit: usize) -> Result<(), CliError> {
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    let signals = forward_signals(tx.clone())?;
    read_stdin(tx.clone(), line_limit);
    let changes = Arc::default();
    let watcher = start_watcher(&agent, poll, &tx, &changes);
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
        changes,
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
            self.take_changes();
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
            Event::InboxChanged => self.take_changes(),
            Event::Signal(sig) => return Some(Stop::Signal(sig)),
        }
        None
    }

    pub(super) fn renamed(&mut self, old: &Name) {
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

    /// Hands what the watcher saw to [`Arrivals`].
    fn take_changes(&mut self) {
        let changes = std::mem::take(&mut *self.changes.lock().unwrap_or_else(|p| p.into_inner()));
        for change in changes {
            self.arrivals.note(change);
        }
    }

    pub(super) fn restart_watcher(&mut self) {
        self.watcher = start_watcher(&self.agent, self.poll, &self.events, &self.changes);
    }

    /// Writes one JSON-RPC message as one line. False once stdout is gone (the client left).
    pub(super) fn write(&mut self, message: &Value) -> bool {
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

/// Watches the agent's inbox, falling back to polling when events cannot be had.
fn start_watcher(
    agent: &Agent,
    poll: Option<Duration>,
    tx: &SyncSender<Event>,
    changes: &Arc<Mutex<Vec<Change>>>,
) -> InboxWatcher {
    let dir = agent.bridge.inbox_dir(agent.name());
    // A full queue means the loop is busy and has a wake-up coming: it finds the change then.
    let on_change = |tx: SyncSender<Event>| {
        let changes = Arc::clone(changes);
        move |change| {
            changes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(change);
            let _ = tx.try_send(Event::InboxChanged);
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
