//! cc2cc: parse the command line, run one subcommand, turn its outcome into an exit status.

use clap::{CommandFactory, FromArgMatches};

use cc2cc::cli::Cli;
use cc2cc::error::ExitCode;

fn main() -> std::process::ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return exit(if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Success
            });
        }
    };
    match cc2cc::cmd::run(cli) {
        Ok(()) => exit(ExitCode::Success),
        Err(e) => {
            if let Some(report) = e.report() {
                eprintln!("{report}");
            }
            exit(e.exit_code())
        }
    }
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

fn exit(code: ExitCode) -> std::process::ExitCode {
    std::process::ExitCode::from(code as u8)
}
