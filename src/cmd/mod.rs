//! One module per subcommand: parse arguments → one library call → print.

mod ack;
mod batch;
mod broadcast;
mod doctor;
mod forget;
mod history;
mod inbox;
mod list;
mod monitor;
mod prune;
mod register;
mod relay;
mod reply;
mod schedule;
mod send;
mod status;
mod tick;
mod watch;
mod whoami;

use std::io::{IsTerminal, Read};

use clap::{CommandFactory, FromArgMatches};

use crate::bridge::{Message, Problem};
use crate::cli::{Cli, Command, Text};
use crate::context::Context;
use crate::error::{CliError, ExitCode};
use crate::output;

/// Parses the command line, runs it with `run`, and turns the outcome into an exit status: the
/// whole of `main` for both binaries.
pub fn main(run: fn(Cli) -> Result<(), CliError>) -> std::process::ExitCode {
    let code = match parse() {
        Ok(cli) => match run(cli) {
            Ok(()) => ExitCode::Success,
            Err(e) => {
                if let Some(report) = e.report() {
                    eprintln!("{report}");
                }
                e.exit_code()
            }
        },
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Success
            }
        }
    };
    std::process::ExitCode::from(code as u8)
}

/// `Cli::try_parse`, without freeing clap's command tree at the end: the process exits soon, and
/// the free is a tenth of `cc2cc send`'s instructions.
fn parse() -> Result<Cli, clap::Error> {
    let mut command = Cli::command();
    let parsed = command
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|mut matches| {
            Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut command))
        });
    std::mem::forget(command);
    parsed
}

/// Runs one subcommand; `relay` by replacing this process with `cc2cc-relay`.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let cli = match cli.command {
        // The doctor examines the bridge before opening it: what Context::new refuses is a
        // finding.
        Command::Doctor(args) => return doctor::run(&cli.global, args),
        // Before Context::new: cc2cc-relay opens the bridge itself, and a warning about it
        // would print twice.
        Command::Relay(_) => return Err(relay::exec_helper()),
        _ => cli,
    };
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Send(args) => send::run(&ctx, args),
        Command::Reply(args) => reply::run(&ctx, args),
        Command::Broadcast(args) => broadcast::run(&ctx, args),
        Command::List => list::run(&ctx),
        Command::Whoami => whoami::run(&ctx),
        // `cc2cc --as NAME register` claims NAME.
        Command::Register(mut args) => {
            args.name = args.name.or(cli.global.name);
            register::run(&ctx, args)
        }
        Command::Inbox(args) => inbox::run(&ctx, args),
        Command::Ack(args) => ack::run(&ctx, args),
        Command::Watch(args) => watch::run(&ctx, args),
        Command::Forget(args) => forget::run(&ctx, args),
        Command::ServeMcp(args) => crate::mcp::run(ctx, args),
        Command::Monitor(args) => monitor::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::History(args) => history::run(&ctx, args),
        Command::Prune(args) => prune::run(&ctx, args),
        Command::Schedule(command) => schedule::run(&ctx, command),
        Command::Tick => tick::run(&ctx),
        Command::Doctor(_) | Command::Relay(_) => unreachable!("handled above"),
    }
}

/// `run` for `cc2cc-relay`, which runs the relay itself.
#[cfg(feature = "relay")]
pub fn run_with_relay(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Relay(args) => relay::run(&Context::new(&cli.global)?, args),
        command => run(Cli {
            global: cli.global,
            command,
        }),
    }
}

/// The message text: the argument, or standard input for `-` or no argument when stdin is not
/// a terminal. Reads at most `limit + 1` bytes so a runaway pipe cannot exhaust memory.
pub fn read_text(text: &Text, limit: u64) -> Result<String, CliError> {
    let text = match text.text.as_deref() {
        Some("-") | None => {
            let stdin = std::io::stdin();
            if text.text.is_none() && stdin.is_terminal() {
                return Err(CliError::usage(
                    "no message text: give TEXT as an argument or pipe it on standard input",
                ));
            }
            let mut buf = Vec::new();
            stdin
                .lock()
                .take(limit + 1)
                .read_to_end(&mut buf)
                .map_err(|e| CliError::failed(format!("cannot read standard input: {e}")))?;
            if buf.len() as u64 > limit {
                return Err(crate::bridge::Error::TooLarge {
                    size: buf.len() as u64,
                    limit,
                }
                .into());
            }
            let mut s = String::from_utf8(buf)
                .map_err(|_| CliError::usage("standard input is not UTF-8 text"))?;
            // Like `$(…)` in a shell: the trailing newline of `echo` is not part of the message.
            while s.ends_with('\n') {
                s.pop();
                if s.ends_with('\r') {
                    s.pop();
                }
            }
            s
        }
        Some(s) => s.to_owned(),
    };
    if text.trim().is_empty() {
        return Err(CliError::usage("message text is empty; nothing sent"));
    }
    Ok(text)
}

/// Reports what a pass over the inbox met but did not hand out, one line each on stderr, all
/// through the sanitiser (file names and ids come from the bridge). Returns true when something
/// needs the user: a message that waits but cannot be shown, or a file that could not be moved.
pub fn report_problems(problems: &[Problem], expired: &[Message]) -> bool {
    let mut serious = false;
    for p in problems {
        if p.is_serious() {
            serious = true;
            let error = match p {
                Problem::Undecryptable { error, .. } => error.to_string(),
                other => other.to_string(),
            };
            output::error(&error, crate::error::problem_hint(p).as_deref());
        } else {
            output::warn(&p.to_string());
        }
    }
    for m in expired {
        output::note(&format!(
            "{} from {} expired unread; its sender was told",
            m.id, m.from
        ));
    }
    serious
}
