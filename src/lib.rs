//! cc2cc: messaging between AI coding sessions and scripts through a shared directory.
//!
//! `bridge` is the on-disk protocol; `cli` and `cmd` are the command line; `mcp` is the Claude
//! Code channel server; `relay` joins bridges on several hosts through NATS. Commands and MCP
//! tools are thin callers of the same bridge functions.

pub mod bridge;
pub mod cli;
pub mod cmd;
pub mod context;
pub mod error;
pub mod mcp;
pub mod output;
pub mod present;
#[cfg(feature = "relay")]
pub mod relay;
pub mod signals;
