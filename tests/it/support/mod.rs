//! What the tests share: the hermetic environment they run the binary in and the MCP client
//! that drives `serve-mcp`.

pub mod env;
pub mod mcp;
