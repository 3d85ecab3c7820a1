//! Integration tests: the real binary on a temporary bridge directory, with a cleared
//! environment. One test binary, so it links once.

mod env;

mod badinput;
mod cli;
mod compat;
mod generated;
mod mcp;
mod perms;
mod props;
mod relay;
mod watch;
