//! `cc2cc doctor`: which delivery paths work for an agent, and why a message would not arrive.

use crate::cli::DoctorArgs;
use crate::context::Context;
use crate::error::CliError;

pub fn run(_ctx: &Context, _args: DoctorArgs) -> Result<(), CliError> {
    Err(CliError::failed("doctor: not yet"))
}
