//! The signals that end a long-running command (`watch`, `send --wait`, `serve-mcp`) cleanly:
//! each is handed to the command's loop, which writes the offline heartbeat before exiting.
//! The exit status a signal ends with lives in `error` (`ExitCode::of_signal`), so that module
//! needs nothing from this one.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use crate::error::CliError;

/// Calls `on_signal` on a background thread for each SIGINT, SIGTERM or SIGHUP, until the
/// returned handle is closed. From then on these signals no longer kill the process.
pub fn forward(on_signal: impl Fn(i32) + Send + 'static) -> Result<Handle, CliError> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| CliError::failed(format!("cannot handle signals: {e}")))?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            on_signal(sig);
        }
    });
    Ok(handle)
}

/// The heartbeat's `context` when `sig` ends an agent, as the original writes it.
pub fn shutdown_context(sig: i32) -> &'static str {
    match sig {
        SIGINT => "shutdown via SIGINT",
        SIGHUP => "shutdown via SIGHUP",
        _ => "shutdown via SIGTERM",
    }
}
