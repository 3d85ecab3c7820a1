//! The command-line interface: the one definition behind `--help`, the man pages and the shell
//! completions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "cc2cc",
    version,
    about = "Message other AI coding sessions and scripts through a shared directory",
    long_about = "Message other AI coding sessions and scripts through a shared directory.\n\n\
        Each agent has a mailbox in the bridge directory; `send` writes a JSON file into the \
        recipient's inbox, and the recipient's `serve-mcp` (started by Claude Code) or `watch` \
        picks it up within milliseconds.",
    after_help = "Exit status: 0 success, 1 failure, 2 usage error, 124 timeout, 130 interrupted.",
    max_term_width = 100,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Bridge directory [env: CC2CC_BRIDGE_DIR, BRIDGE_DIR; default: ~/.cc2cc]
    #[arg(long, global = true, value_name = "DIR")]
    pub bridge: Option<PathBuf>,

    /// Act as this agent [env: CC2CC_NAME, SELF]
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub name: Option<String>,

    /// Machine output: one JSON object per line
    #[arg(long, global = true)]
    pub json: bool,

    /// Largest message file to write or read, e.g. 64KiB or 2MiB [env: CC2CC_MAX_SIZE; default: 1MiB]
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write one message into an agent's inbox and print its id
    Send(SendArgs),
    /// Answer a message you received (a reply to a task is a response)
    Reply(ReplyArgs),
    /// Send one message to every online agent
    Broadcast(BroadcastArgs),
    /// List known agents, online or offline
    List,
    /// Show your identity, the bridge directory and who is online
    Whoami,
    /// Claim a name and create its mailbox (a generated name when none is given)
    Register(RegisterArgs),
    /// Print pending messages oldest first and mark them read
    Inbox(InboxArgs),
    /// Print each message as it arrives; holds presence while running
    Watch(WatchArgs),
    /// Run the MCP stdio server for Claude Code
    ServeMcp(ServeMcpArgs),
    /// Join this bridge to bridges on other hosts through a NATS JetStream server
    Relay(RelayArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Message,
    Task,
    Response,
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Priority {
    Low,
    Normal,
    High,
    Critical,
}

/// Spelled as on the wire.
pub fn wire_name(v: &impl ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_owned())
        .unwrap_or_default()
}

#[derive(Debug, Args)]
pub struct Text {
    /// Message text; `-` or nothing reads standard input
    #[arg(value_name = "TEXT")]
    pub text: Option<String>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Recipient's name
    #[arg(long, short = 't', value_name = "NAME")]
    pub to: String,
    #[command(flatten)]
    pub text: Text,
    /// Message type
    #[arg(long = "type", value_enum, default_value_t = Kind::Message)]
    pub kind: Kind,
    /// Message priority
    #[arg(long, short = 'p', value_enum, default_value_t = Priority::Normal)]
    pub priority: Priority,
    /// Expire unread after this long (90m, 2d); 0 means never
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_ttl)]
    pub ttl: Ttl,
    /// Refuse unless the recipient is online, instead of queueing
    #[arg(long)]
    pub require_online: bool,
    /// Wait for the reply and print it (exit 124 when DURATION runs out; no value waits forever)
    #[arg(long, value_name = "DURATION", num_args = 0..=1,
          default_missing_value = "forever", value_parser = parse_wait)]
    pub wait: Option<Wait>,
}

#[derive(Debug, Args)]
pub struct ReplyArgs {
    /// Id of the message to answer
    #[arg(value_name = "MSG_ID")]
    pub msg_id: String,
    #[command(flatten)]
    pub text: Text,
    /// Message priority
    #[arg(long, short = 'p', value_enum, default_value_t = Priority::Normal)]
    pub priority: Priority,
}

#[derive(Debug, Args)]
pub struct BroadcastArgs {
    #[command(flatten)]
    pub text: Text,
    /// Message priority
    #[arg(long, short = 'p', value_enum, default_value_t = Priority::Normal)]
    pub priority: Priority,
    /// Also queue for every known agent that is offline
    #[arg(long)]
    pub include_offline: bool,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Name to claim; generated when omitted
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct InboxArgs {
    /// Leave the messages pending
    #[arg(long)]
    pub peek: bool,
    /// Include read history (oldest first)
    #[arg(long)]
    pub all: bool,
    /// Only messages from this agent
    #[arg(long, value_name = "NAME")]
    pub from: Option<String>,
    /// Only messages of this type
    #[arg(long = "type", value_enum)]
    pub kind: Option<Kind>,
    /// At most N messages (the oldest)
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Exit after N messages
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<usize>,
    /// Exit with status 124 after this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Run CMD (via sh -c) for each message, with the message JSON on its standard input
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// Poll every DURATION instead of using filesystem events
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ServeMcpArgs {
    /// Poll every DURATION instead of using filesystem events
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct RelayArgs {
    /// NATS server URL(s), comma-separated: nats://, tls://, with user:pass@ or token@ if needed
    #[arg(long, value_name = "URL", env = "NATS_URL", hide_env_values = true)]
    pub nats: String,
    /// This host's name on the wire [default: the host name up to its first dot]
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// NATS credentials file (JWT and NKey seed)
    #[arg(long, value_name = "FILE", env = "NATS_CREDS", hide_env_values = true)]
    pub creds: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust for tls:// servers
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Client certificate (PEM) for servers that verify clients; needs --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| format!("{e} (examples: 500ms, 30s, 90m, 2d)"))
}

/// A message lifetime; `None` never expires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ttl(pub Option<Duration>);

/// How long `--wait` waits; `None` waits until the reply comes or Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wait(pub Option<Duration>);

fn parse_ttl(s: &str) -> Result<Ttl, String> {
    match s.trim() {
        "0" | "never" => Ok(Ttl(None)),
        s => parse_duration(s).map(|d| Ttl((!d.is_zero()).then_some(d))),
    }
}

fn parse_wait(s: &str) -> Result<Wait, String> {
    match s.trim() {
        "forever" => Ok(Wait(None)),
        s => parse_duration(s).map(|d| Wait(Some(d))),
    }
}

/// `1048576`, `64K`, `64KiB`, `2M`, `2MiB` (K and M are binary, as for file sizes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (examples: 65536, 64KiB, 2MiB)"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB or GiB)")),
    };
    n.checked_mul(mult)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert_eq!(parse_size("2M"), Ok(2 << 20));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_ttl("0"), Ok(Ttl(None)));
        assert_eq!(parse_ttl("90m"), Ok(Ttl(Some(Duration::from_secs(5400)))));
        assert_eq!(parse_wait("forever"), Ok(Wait(None)));
    }
}
