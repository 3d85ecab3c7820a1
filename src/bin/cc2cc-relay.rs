//! cc2cc-relay: cc2cc with the relay in it. `cc2cc relay` replaces itself with this program,
//! installed beside it, so that the relay's NATS, TLS and async stack is not loaded by every
//! other command.

fn main() -> std::process::ExitCode {
    cc2cc::cmd::main(cc2cc::cmd::run_with_relay)
}
