//! The command-line interface: the one definition behind `--help`, the man pages and the shell
//! completions.

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

use crate::bridge::{Kind, Priority};

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
    after_long_help = TOP_HELP,
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

    /// No notes or warnings on stderr (errors still) [env: CC2CC_QUIET]
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

// Each subcommand is built only when it runs (`defer`), and so is its long help, which sits on
// its arguments' struct: a `cc2cc send` does not build the other twenty.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Write one message into an agent's inbox and print its id
    Send(SendArgs),
    /// Answer a message you received (a reply to a task is a response)
    Reply(ReplyArgs),
    /// Send one message to every online agent
    Broadcast(BroadcastArgs),
    /// List known agents, online or offline
    #[command(after_long_help = LIST_HELP)]
    List,
    /// Show your identity, the bridge directory and who is online
    #[command(after_long_help = WHOAMI_HELP)]
    Whoami,
    /// Claim a name and create its mailbox (a generated name when none is given)
    Register(RegisterArgs),
    /// Print pending messages oldest first and mark them read
    Inbox(InboxArgs),
    /// Mark exactly these pending messages read (after `inbox --peek` or `watch --peek`)
    Ack(AckArgs),
    /// Print each message as it arrives; holds presence while running
    Watch(WatchArgs),
    /// Remove an agent's mailbox (a mistyped or retired name)
    Forget(ForgetArgs),
    /// Run the MCP stdio server for Claude Code
    ServeMcp(ServeMcpArgs),
    /// Print each new message as one self-contained line, for a Claude Code plugin monitor
    Monitor(MonitorArgs),
    /// Say which delivery paths work for an agent and why a message would not arrive
    Doctor(DoctorArgs),
    /// Show where a message is: scheduled, queued, relayed, read, answered or expired
    Status(StatusArgs),
    /// Show the messages you sent and read, in time order
    History(HistoryArgs),
    /// Remove old history (read messages, sent copies, receipts); never pending mail
    Prune(PruneArgs),
    /// Add, list or remove recurring messages
    #[command(subcommand, after_long_help = SCHEDULE_HELP)]
    Schedule(ScheduleCommand),
    /// Deliver everything due on the bridge now (for cron or a systemd timer)
    #[command(after_long_help = TICK_HELP)]
    Tick,
    /// Join this bridge to bridges on other hosts through a NATS JetStream server
    Relay(RelayArgs),
}

/// `--type` and `--priority` take the library's values, spelled as on the wire: the bridge
/// holds the one list of names.
macro_rules! wire_value_enum {
    ($($t:ty),+) => {$(
        impl ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                <$t>::ALL
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.as_str()))
            }
        }
    )+};
}

wire_value_enum!(Kind, Priority);

#[derive(Debug, Args)]
pub struct Text {
    /// Message text; `-` or nothing reads standard input
    #[arg(value_name = "TEXT")]
    pub text: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_long_help = SEND_HELP)]
pub struct SendArgs {
    /// Recipient's name
    #[arg(
        long,
        short = 't',
        value_name = "NAME",
        required_unless_present = "batch"
    )]
    pub to: Option<String>,
    /// Send many: read NDJSON on stdin, one {"to", "text", "type"?, "priority"?, "ttl"?,
    /// "reply_to"?} per line, all made durable together; print one id per line. A bad line is
    /// named on stderr, the good ones are still sent, and the exit status is 1
    #[arg(long, conflicts_with_all = ["to", "text", "wait", "at", "delay", "require_online"])]
    pub batch: bool,
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
    /// Wait for the reply and print it; --wait=DURATION or --timeout limits the wait (exit 124)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, require_equals = true,
          default_missing_value = "forever", value_parser = parse_wait)]
    pub wait: Option<Wait>,
    /// With --wait: give up after DURATION with exit 124 (the reply still lands in the inbox)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "wait")]
    pub timeout: Option<Duration>,
    // Not `requires = "wait"`: without --wait, `send` says the text needs quotes, where clap
    // would say that --wait is missing.
    /// The old spelling `--wait DURATION TEXT`: with two arguments the first is the duration
    #[arg(value_name = "TEXT", hide = true)]
    pub old_wait_text: Option<String>,
    /// Deliver at TIME: RFC 3339 (2026-11-24T07:00:00Z) or HH:MM, the next such local time
    #[arg(long, value_name = "TIME", conflicts_with_all = ["delay", "require_online"])]
    pub at: Option<String>,
    /// Deliver after DURATION (90s, 2h)
    #[arg(long = "in", value_name = "DURATION", value_parser = parse_duration,
          conflicts_with = "require_online")]
    pub delay: Option<Duration>,
}

#[derive(Debug, Args)]
#[command(after_long_help = STATUS_HELP)]
pub struct StatusArgs {
    /// Id of the message
    #[arg(value_name = "MSG_ID")]
    pub msg_id: String,
}

#[derive(Debug, Args)]
#[command(after_long_help = HISTORY_HELP)]
pub struct HistoryArgs {
    /// Only messages to or from this agent
    #[arg(long, value_name = "NAME")]
    pub with: Option<String>,
    /// Only messages whose text contains TEXT (ignoring case)
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only messages newer than DURATION (90m, 2d)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// Only messages of this type
    #[arg(long = "type", value_enum)]
    pub kind: Option<Kind>,
    /// The newest N messages
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
#[command(after_long_help = PRUNE_HELP)]
pub struct PruneArgs {
    /// Remove history older than DURATION (30d)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Duration,
    /// Only count what would be removed
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ScheduleCommand {
    /// Send TEXT to NAME on a recurring schedule; prints the schedule's id
    Add(ScheduleAddArgs),
    /// List the schedules on the bridge
    List,
    /// Remove a schedule
    Rm(ScheduleRmArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("repeat").required(true).args(["every", "cron"])))]
pub struct ScheduleAddArgs {
    /// Recipient's name
    #[arg(long, short = 't', value_name = "NAME")]
    pub to: String,
    /// Every DURATION from now (30s, 1h, 1d)
    #[arg(long, value_name = "DURATION", value_parser = parse_every)]
    pub every: Option<Duration>,
    /// A cron expression in local time: "minute hour day-of-month month day-of-week"
    #[arg(long, value_name = "EXPR", value_parser = parse_cron)]
    pub cron: Option<crate::bridge::cron::Cron>,
    #[command(flatten)]
    pub text: Text,
    /// Message type
    #[arg(long = "type", value_enum, default_value_t = Kind::Message)]
    pub kind: Kind,
    /// Message priority
    #[arg(long, short = 'p', value_enum, default_value_t = Priority::Normal)]
    pub priority: Priority,
    /// Each message expires unread after this long; 0 means never
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_ttl)]
    pub ttl: Ttl,
}

#[derive(Debug, Args)]
pub struct ScheduleRmArgs {
    /// Id of the schedule (sch-…)
    #[arg(value_name = "ID")]
    pub id: String,
}

#[derive(Debug, Args)]
#[command(after_long_help = REPLY_HELP)]
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
#[command(after_long_help = BROADCAST_HELP)]
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
#[command(after_long_help = REGISTER_HELP)]
pub struct RegisterArgs {
    /// Name to claim; generated when omitted
    // Not the id `name`: that is the global --as, which every subcommand takes.
    #[arg(id = "agent", value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_long_help = ACK_HELP)]
pub struct AckArgs {
    /// Ids of the messages to mark read (as printed by `inbox --peek`)
    #[arg(value_name = "MSG_ID", required = true)]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
#[command(after_long_help = FORGET_HELP)]
pub struct ForgetArgs {
    /// The agent whose mailbox to remove
    #[arg(id = "agent", value_name = "NAME")]
    pub name: String,
    /// Remove it even when messages are pending in it
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(after_long_help = INBOX_HELP)]
pub struct InboxArgs {
    /// Leave the messages pending (acknowledge them later with `cc2cc ack ID…`)
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
#[command(after_long_help = WATCH_HELP)]
pub struct WatchArgs {
    /// Exit after N messages
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<usize>,
    /// Exit with status 124 after this long
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Run CMD (via sh -c) for each message, with the message JSON on its standard input; the
    /// message is marked read only when CMD exits 0
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// First wait before running a failed --exec again (doubles each time; 5 failures move the
    /// message to bad/)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1s",
          requires = "exec")]
    pub retry_after: Duration,
    /// Print each message once but leave it pending (acknowledge with `cc2cc ack ID…`)
    #[arg(long, conflicts_with = "exec")]
    pub peek: bool,
    /// Poll every DURATION instead of using filesystem events
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll: Option<Duration>,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Print each new message as one self-contained line, for a Claude Code plugin \
        monitor.\n\nClaude Code runs this for the whole session (the cc2cc plugin declares \
        it) and hands each line to the model as an event, waking an idle session: no \
        channels flag is needed. Each line names the sender, type, priority and msg_id, \
        carries the text as a JSON string and says how to answer. A message is claimed \
        (marked read) when its line is printed; one longer than 8 KiB is announced and left \
        for the check_inbox tool. While the monitor runs, serve-mcp pushes nothing itself. \
        Logs go to standard error; standard output carries events only.\n\nThe name is \
        --as or CC2CC_NAME when given, else the one bound to the Claude Code session \
        (CLAUDE_CODE_SESSION_ID) in <bridge>/sessions/, shared with the session's serve-mcp.",
    after_long_help = MONITOR_HELP
)]
pub struct MonitorArgs {
    /// Poll every DURATION instead of using filesystem events
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll: Option<Duration>,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Say which delivery paths work for an agent and why a message would not \
        arrive.\n\nChecks, one line each (ok, warn or FAIL, with a fix): the binary and \
        whether `cc2cc` is on PATH (the plugin runs it from there); the bridge directory's \
        owner and modes; the identity and how it was chosen (NAME, --as, CC2CC_NAME, or the \
        Claude Code session's binding); whether a server (serve-mcp or watch) and a monitor \
        hold the name now; whether the Claude Code plugin is installed and enabled; the \
        encryption set-up; and how many messages wait, the oldest for how long. With --json, \
        one {check, status, detail, fix} object per line and a final {check: \"verdict\", \
        agent, reaches_model}.",
    after_help = "Exit status: 0 when a message sent now reaches the model, 1 when it would \
        not (the FAIL lines say why).",
    after_long_help = DOCTOR_HELP
)]
pub struct DoctorArgs {
    /// The agent to check (default: --as, CC2CC_NAME, or the Claude Code session's name)
    #[arg(value_name = "NAME")]
    pub agent: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    long_about = "Run the MCP stdio server for Claude Code.\n\nThe name is --as or \
        CC2CC_NAME when given; else, under Claude Code, the name bound to the session \
        (CLAUDE_CODE_SESSION_ID) in <bridge>/sessions/, shared with the plugin's monitor and \
        kept when the session is resumed; else a generated one.\n\nEach message is \
        presented to the model once: by the plugin's monitor while one runs for this name, \
        else by a channel push when Claude Code was started with a channels flag naming \
        cc2cc (CC2CC_CHANNEL=present|off|hint overrides the guess), else in the next tool \
        result. Logs go to standard error (CC2CC_LOG).",
    after_long_help = SERVE_MCP_HELP
)]
pub struct ServeMcpArgs {
    /// Poll every DURATION instead of using filesystem events
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll: Option<Duration>,
}

/// The long help of a subcommand: examples, its JSON fields, then what every command shares
/// (exit status, environment). Man pages are generated from it.
macro_rules! help {
    ($name:ident, $examples:expr, $json:expr) => {
        const $name: &str = concat!(
            "Examples:\n",
            $examples,
            "\n\nJSON (--json), one object per line: ",
            $json,
            "\n\n",
            "Exit status: 0 success, 1 failure (one line `cc2cc: error: …` on stderr, maybe a \
             `hint:` line), 2 usage error, 124 timeout, 130 Ctrl-C, 143 SIGTERM. A closed \
             standard output ends the command quietly with 0.",
            "\n\n",
            "Environment: CC2CC_BRIDGE_DIR (or BRIDGE_DIR) the bridge directory, default \
             ~/.cc2cc; CC2CC_NAME (or SELF) the identity; CC2CC_MAX_SIZE the size limit; \
             CC2CC_ENCRYPT=1 (or true/yes/on; 0/false/no/off) encrypts outgoing text with the \
             bridge's secret.key; CC2CC_ALLOW_SHARED_BRIDGE=1 accepts a bridge others can write \
             to or own; CC2CC_QUIET=1 as --quiet; NO_COLOR turns colour off."
        );
    };
}

help!(
    TOP_HELP,
    "  cc2cc --as alice send --to bob \"hello\"\n  cc2cc --as bob inbox\n  \
     claude mcp add cc2cc -- cc2cc serve-mcp",
    "see each command (`man cc2cc-COMMAND`)."
);
help!(
    SEND_HELP,
    "  cc2cc --as alice send --to bob \"build is green\"\n  \
     make 2>&1 | cc2cc send --to bob -\n  \
     cc2cc send --to bob --wait --timeout 5m \"deploy?\"   # prints the reply; 124 if none\n  \
     jq -c '{to: .owner, text: .summary}' jobs.json | cc2cc send --batch",
    "{id, to, queued} (queued: the recipient was offline); with --batch, {line, id, to, queued} \
     per input line sent; with --wait, the reply as for inbox."
);
help!(
    REPLY_HELP,
    "  cc2cc reply msg-0193… \"done\"",
    "{id, to, replyTo}."
);
help!(
    BROADCAST_HELP,
    "  cc2cc broadcast \"rebasing main, hold pushes\"",
    "{id, to} per recipient."
);
help!(
    LIST_HELP,
    "  cc2cc list\n  cc2cc list --json | jq -r 'select(.status==\"online\") | .name'",
    "{name, status (online|offline), last_seen, is_self, pending (null when the inbox cannot \
     be counted), host, pid}."
);
help!(
    WHOAMI_HELP,
    "  cc2cc --as alice whoami",
    "{name, online, online_since, bridge_dir, online_agents}."
);
help!(
    REGISTER_HELP,
    "  cc2cc register nightly && cc2cc --as nightly inbox\n  \
     CC2CC_NAME=nightly cc2cc inbox   # in a crontab line",
    "{name, mailbox}."
);
help!(
    INBOX_HELP,
    "  cc2cc inbox                      # print and mark read\n  \
     cc2cc inbox --peek --json > batch && process batch && \\\n    \
     cc2cc ack $(jq -r .id batch)       # mark read only what was processed",
    "the message file as written: {id, timestamp, from, to, type, priority, identity, task, \
     content: {text, parts}, replyTo, ttl} plus any field the sender added."
);
help!(
    ACK_HELP,
    "  cc2cc ack msg-0193… msg-0194…",
    "{id, acked (true: marked read now; false: it was already read)}."
);
help!(
    WATCH_HELP,
    "  cc2cc watch --json | jq -r .content.text\n  \
     cc2cc watch --exec 'notify-send \"cc2cc\" \"$(jq -r .content.text)\"'",
    "each message as for inbox. --exec runs CMD with CC2CC_NAME, CC2CC_MSG_ID, CC2CC_FROM and \
     CC2CC_TYPE set."
);
help!(
    FORGET_HELP,
    "  cc2cc forget bbo            # a mistyped name\n  cc2cc forget old-bot --force",
    "{name, removed_pending}."
);
help!(
    STATUS_HELP,
    "  cc2cc --as alice status msg-0193…\n  cc2cc status --json msg-0193… | jq -r .state",
    "{id, state (scheduled|queued|relayed|read|answered|expired), to, from, place (inbox, done, \
     scheduled, relayed), sent_at, expires_at, read_at, read_by, reply_id, answered_at}; fields \
     that do not apply are null."
);
help!(
    HISTORY_HELP,
    "  cc2cc --as alice history --limit 20\n  \
     cc2cc --as alice history --with bob --since 2d --grep deploy --json",
    "the message file as for inbox, text decrypted, plus direction (sent|received)."
);
help!(
    PRUNE_HELP,
    "  cc2cc prune --older-than 30d\n  cc2cc prune --older-than 30d --dry-run --json",
    "{mailbox, done, sent, receipts, answers, dry_run} per mailbox that had something to remove."
);
help!(
    SCHEDULE_HELP,
    "  cc2cc --as ci schedule add --to lead --every 1h \"hourly: all green\"\n  \
     cc2cc --as ci schedule add --to reviewer --cron \"0 9 * * 1-5\" \"triage\"\n  \
     cc2cc schedule list\n  cc2cc schedule rm sch-0193…",
    "add: {id, to}; list: {id, from, to, every, cron, type, priority, ttl, created, last_fired, \
     next, text}."
);
help!(
    TICK_HELP,
    "  * * * * *  cc2cc tick    # crontab: deliver what is due every minute",
    "{released} per scheduled message moved into an inbox; {fired, id, to} per schedule \
     occurrence sent."
);
help!(
    MONITOR_HELP,
    "  cc2cc monitor    # run by the cc2cc Claude Code plugin, not by hand",
    "none (stdout carries one event per message for Claude Code; logs go to stderr)."
);
help!(
    DOCTOR_HELP,
    "  cc2cc doctor\n  cc2cc doctor reviewer --json | jq -r 'select(.status==\"FAIL\") | .fix'",
    "{check, status (ok|warn|FAIL), detail, fix} per check, then {check: \"verdict\", agent, \
     reaches_model}."
);
help!(
    RELAY_HELP,
    "  cc2cc relay --nats nats://nats.internal:4222\n  \
     cc2cc relay --nats tls://nats.internal:4222 --creds ~/.config/nats/cc2cc.creds --host build1",
    "none (it runs until SIGTERM or Ctrl-C; what it does goes to stderr). NATS_URL and \
     NATS_CREDS stand for --nats and --creds."
);
help!(
    SERVE_MCP_HELP,
    "  claude mcp add cc2cc -- cc2cc serve-mcp",
    "none (stdout is JSON-RPC; logs go to stderr, CC2CC_LOG=error|warn|info|debug)."
);

#[derive(Debug, Args)]
#[command(after_long_help = RELAY_HELP)]
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

fn parse_every(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_secs(1) || d.subsec_nanos() != 0 {
        return Err("use whole seconds, at least 1s".into());
    }
    Ok(d)
}

fn parse_cron(s: &str) -> Result<crate::bridge::cron::Cron, String> {
    crate::bridge::cron::Cron::parse(s)
}

/// A message lifetime; `None` never expires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ttl(pub Option<Duration>);

/// How long `--wait` waits; `None` waits until the reply comes or Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wait(pub Option<Duration>);

pub fn parse_ttl(s: &str) -> Result<Ttl, String> {
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
