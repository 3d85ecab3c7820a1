//! cc2cc: parse the command line, run one subcommand, turn its outcome into an exit status.

use clap::Parser;

use cc2cc::cli::Cli;
use cc2cc::error::ExitCode;

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
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

fn exit(code: ExitCode) -> std::process::ExitCode {
    std::process::ExitCode::from(code as u8)
}
