//! Integration tests: the real binary on a temporary bridge directory, with a cleared
//! environment. One test binary, so it links once.

mod support;

mod attacks;
mod backlog;
mod badinput;
mod cli;
mod compat;
mod doctor;
mod faults;
mod generated;
mod life;
mod mcp;
mod perms;
mod plugin;
mod props;
mod relay;
mod ux;
mod watch;
