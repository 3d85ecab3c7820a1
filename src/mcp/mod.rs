//! `cc2cc serve-mcp`: the MCP stdio server for Claude Code.

use crate::cli::ServeMcpArgs;
use crate::context::Context;
use crate::error::CliError;

pub fn run(_ctx: Context, _args: ServeMcpArgs) -> Result<(), CliError> {
    Err(CliError::failed("serve-mcp is not built yet"))
}
