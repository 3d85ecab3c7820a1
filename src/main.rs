//! cc2cc: parse the command line, run one subcommand, turn its outcome into an exit status.

fn main() -> std::process::ExitCode {
    cc2cc::cmd::main(cc2cc::cmd::run)
}
