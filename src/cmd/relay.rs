//! `cc2cc relay`: join this bridge to the bridges of other hosts through NATS JetStream, until
//! SIGTERM or Ctrl-C.

use crate::cli::RelayArgs;
use crate::context::Context;
use crate::error::CliError;

pub fn run(ctx: &Context, args: RelayArgs) -> Result<(), CliError> {
    crate::relay::run(&ctx.bridge, args)
}
