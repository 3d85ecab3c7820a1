//! `cc2cc relay`: join this bridge to the bridges of other hosts through NATS JetStream, until
//! SIGTERM or Ctrl-C.
//!
//! The relay runs in its own binary, `cc2cc-relay`, installed beside `cc2cc`: its NATS, TLS and
//! async stack more than doubles the binary, which every command would otherwise load (start-up
//! time, and memory in each long-running serve-mcp). `cc2cc relay` replaces itself with it,
//! keeping its pid and arguments, so a systemd unit or a script sees no difference.

use std::os::unix::process::CommandExt;

#[cfg(feature = "relay")]
use crate::cli::RelayArgs;
#[cfg(feature = "relay")]
use crate::context::Context;
use crate::error::CliError;

const HELPER: &str = "cc2cc-relay";

/// Replaces this process with `cc2cc-relay`, given the same arguments. Returns only the error
/// of a failure to start it.
pub fn exec_helper() -> CliError {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            return CliError::failed(format!(
                "cannot run the relay: cannot find this program's path to find {HELPER} beside \
                 it: {e}"
            ));
        }
    };
    let helper = exe.with_file_name(HELPER);
    let mut args = std::env::args_os();
    // The same argv[0], so that messages still name `cc2cc`.
    let arg0 = args.next().unwrap_or_else(|| "cc2cc".into());
    let e = std::process::Command::new(&helper)
        .arg0(arg0)
        .args(args)
        .exec();
    CliError::failed(format!("cannot run the relay ({}): {e}", helper.display())).with_hint(
        format!(
            "the relay is the program {HELPER}, installed beside cc2cc (install.sh, or `cargo \
             install --path .`, installs both)"
        ),
    )
}

/// Runs the relay in this process: what `cc2cc-relay` does.
#[cfg(feature = "relay")]
pub fn run(ctx: &Context, args: RelayArgs) -> Result<(), CliError> {
    crate::relay::run(&ctx.bridge, args)
}
