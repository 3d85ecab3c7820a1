//! `cc2cc doctor`: which delivery paths work for an agent now, and why a message sent to it
//! would not reach the model, with the fix. Exit 1 when it would not.

use serde::Serialize;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::bridge::{Filter, Mode, Name, Problem, fsutil};
use crate::cli::{DoctorArgs, Global};
use crate::context::{self, Chosen, Context};
use crate::error::CliError;
use crate::output::{Output, one_line};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
struct Finding {
    check: &'static str,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

#[derive(Default)]
struct Report {
    findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, check: &'static str, status: Status, detail: String, fix: Option<String>) {
        self.findings.push(Finding {
            check,
            status,
            detail,
            fix,
        });
    }
    fn ok(&mut self, check: &'static str, detail: String) {
        self.add(check, Status::Ok, detail, None);
    }
    fn warn(&mut self, check: &'static str, detail: String, fix: impl Into<String>) {
        self.add(check, Status::Warn, detail, Some(fix.into()));
    }
    fn fail(&mut self, check: &'static str, detail: String, fix: impl Into<String>) {
        self.add(check, Status::Fail, detail, Some(fix.into()));
    }
    fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.status == Status::Fail)
    }
}

pub fn run(global: &Global, args: DoctorArgs) -> Result<(), CliError> {
    let mut report = Report::default();
    let mut name = None;
    binary(&mut report);
    let root = context::bridge_root(global)?;
    if bridge_dir(&mut report, &root) {
        match Context::new(global) {
            Err(e) => report.fail(
                "bridge",
                format!(
                    "cannot open {}: {}",
                    root.display(),
                    e.report().unwrap_or_default()
                ),
                "fix the bridge directory as the error says",
            ),
            Ok(ctx) => name = agent(&mut report, &ctx, &args),
        }
    }
    plugin(&mut report);
    let failed = report.failed();
    let verdict = match (&name, failed) {
        (Some(n), false) => format!("a message sent to {n} now reaches the model"),
        (Some(n), true) => format!("a message sent to {n} now would not reach the model"),
        (None, _) => "no agent to check: see the failures above".into(),
    };
    let mut out = Output::new(global.json);
    let written = if out.json {
        report
            .findings
            .iter()
            .try_for_each(|f| out.json_line(f))
            .and_then(|()| {
                out.json_line(&serde_json::json!({
                    "check": "verdict",
                    "status": if failed { Status::Fail } else { Status::Ok },
                    "agent": name.as_ref().map(Name::as_str),
                    "reaches_model": name.is_some() && !failed,
                    "detail": verdict,
                }))
            })
    } else {
        report
            .findings
            .iter()
            .try_for_each(|f| {
                let tag = match f.status {
                    Status::Ok => "ok  ",
                    Status::Warn => "warn",
                    Status::Fail => "FAIL",
                };
                out.line(&format!("{tag}  {:<10} {}", f.check, f.detail))?;
                match &f.fix {
                    Some(fix) => out.line(&format!("      {:<10} fix: {fix}", "")),
                    None => Ok(()),
                }
            })
            .and_then(|()| out.line(&format!("\n{verdict}")))
    };
    written.and_then(|()| out.flush()).map_err(CliError::from)?;
    if failed {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}

/// This binary, and whether `cc2cc` on PATH (what the plugin runs) is one.
fn binary(report: &mut Report) {
    let me = std::env::current_exe().ok();
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("cc2cc"))
            .find(|p| {
                p.metadata()
                    .is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
            })
    });
    let version = env!("CARGO_PKG_VERSION");
    match on_path {
        Some(p) => report.ok(
            "binary",
            format!(
                "cc2cc {version} at {}; `cc2cc` on PATH is {}",
                show(me.as_deref()),
                p.display()
            ),
        ),
        None => report.warn(
            "binary",
            format!(
                "cc2cc {version} at {}, but `cc2cc` is not on PATH: the plugin cannot start it",
                show(me.as_deref())
            ),
            "cargo install --locked --path <cc2cc checkout>, or add its folder to PATH",
        ),
    }
}

fn show(p: Option<&Path>) -> String {
    p.map_or_else(|| "an unknown path".into(), |p| p.display().to_string())
}

/// The bridge directory's owner and modes. False when it cannot be used at all.
fn bridge_dir(report: &mut Report, root: &Path) -> bool {
    let meta = match std::fs::symlink_metadata(root) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report.fail(
                "bridge",
                format!("{} does not exist: no agent has used it yet", root.display()),
                "start Claude Code with the cc2cc plugin, or run any cc2cc command with this bridge",
            );
            return false;
        }
        Err(e) => {
            report.fail(
                "bridge",
                format!("cannot examine {}: {e}", root.display()),
                "check the path and its permissions",
            );
            return false;
        }
    };
    let mode = meta.permissions().mode() & 0o7777;
    let owner = fsutil::owner(&meta);
    let detail = format!("{}: owner uid {owner}, mode {mode:04o}", root.display());
    if meta.file_type().is_symlink() {
        report.warn(
            "bridge",
            format!("{detail}; it is a symbolic link"),
            "point --bridge or CC2CC_BRIDGE_DIR at the real directory",
        );
    } else if !meta.is_dir() {
        report.fail(
            "bridge",
            format!("{detail}; not a directory"),
            "use a directory",
        );
        return false;
    } else if owner != fsutil::euid() {
        report.fail(
            "bridge",
            format!(
                "{detail}; owned by another user (you are uid {}), who can read and forge every message",
                fsutil::euid()
            ),
            format!(
                "use a bridge of your own (the default ~/.cc2cc), or have its owner run chown {} {}",
                fsutil::euid(),
                root.display()
            ),
        );
    } else if mode & 0o022 != 0 {
        report.fail(
            "bridge",
            format!("{detail}; others can write to it and plant or remove messages"),
            format!("chmod 700 {}", root.display()),
        );
    } else {
        report.ok("bridge", detail);
    }
    true
}

/// Identity, who presents its messages now, encryption and what waits.
fn agent(report: &mut Report, ctx: &Context, args: &DoctorArgs) -> Option<Name> {
    let (name, how) = match &args.agent {
        Some(n) => match Name::new(n) {
            Ok(n) => (n, "named on the command line".to_owned()),
            Err(e) => {
                report.fail("identity", e.to_string(), "give a valid agent name");
                return None;
            }
        },
        None => match ctx.session_identity(false) {
            Ok((Some(n), chosen)) => (n, chosen.to_string()),
            Ok((None, Chosen::Nothing)) | Ok((None, _)) => {
                report.fail(
                    "identity",
                    "no agent to check: no NAME, --as, CC2CC_NAME, or Claude Code session with a name".into(),
                    "cc2cc doctor NAME (cc2cc list shows the names)",
                );
                return None;
            }
            Err(e) => {
                report.fail(
                    "identity",
                    e.report().unwrap_or_default(),
                    "remove the bad session binding",
                );
                return None;
            }
        },
    };
    report.ok("identity", format!("{name} ({how})"));
    let bridge = &ctx.bridge;
    let info = bridge.agent(&name);
    let monitor = bridge.monitor_live(&name);
    let pid = info
        .heartbeat
        .as_ref()
        .and_then(|h| h.pid)
        .map(|p| format!(" (pid {p})"))
        .unwrap_or_default();
    if info.online {
        report.ok(
            "server",
            format!(
                "an agent{pid} holds {name}: serve-mcp, watch or a peer with a fresh heartbeat"
            ),
        );
    } else {
        report.fail(
            "server",
            format!("nothing holds {name}: no serve-mcp or watch runs as it"),
            "start Claude Code with the cc2cc plugin (or `claude mcp add cc2cc -- cc2cc serve-mcp`)",
        );
    }
    // The server's Claude Code: its command line says whether channel pushes reach the model.
    let local = fsutil::hostname();
    let channel = info
        .heartbeat
        .as_ref()
        .filter(|h| info.online && h.host.as_deref() == Some(local.as_str()))
        .and_then(|h| h.pid)
        .and_then(parent_of)
        .and_then(crate::mcp::channels_flag);
    if monitor {
        report.ok(
            "monitor",
            format!("a cc2cc monitor presents new messages for {name} at once"),
        );
    } else if let Some(flag) = channel {
        report.warn(
            "monitor",
            format!(
                "no monitor holds {name}; its Claude Code was started with {flag} naming cc2cc, \
                 so channel pushes present new messages (if channels are available to it)"
            ),
            "claude plugin install cc2cc@cc2cc for a path that needs no flag",
        );
    } else {
        report.fail(
            "monitor",
            format!(
                "no monitor holds {name}: new messages wait until the model calls a cc2cc tool \
                 (or a channel push, if Claude Code was started with the channels flag)"
            ),
            "claude plugin install cc2cc@cc2cc (see the README), then restart the session",
        );
    }
    encryption(report, ctx, &name);
    pending(report, ctx, &name);
    Some(name)
}

/// The parent of process `pid`, from /proc (this host only).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn encryption(report: &mut Report, ctx: &Context, name: &Name) {
    let bridge = &ctx.bridge;
    let key = bridge.secret_path();
    let has_key = std::fs::symlink_metadata(&key).is_ok_and(|m| m.is_file());
    // Pending messages that cannot be decrypted never reach the model.
    let problems = match bridge
        .mailbox(name)
        .pass(&Filter::default(), Mode::Peek, &|_| false)
    {
        Ok(mut pass) => {
            pass.by_ref().for_each(drop);
            pass.finish().problems
        }
        Err(_) => Vec::new(), // the pending check reports an inbox it cannot read
    };
    let stuck = problems
        .iter()
        .filter(|p| matches!(p, Problem::Undecryptable { .. }))
        .count();
    match (bridge.encrypts(), has_key, stuck) {
        (_, _, n) if n > 0 => report.fail(
            "encryption",
            format!(
                "{n} pending message{} cannot be decrypted ({})",
                if n == 1 { "" } else { "s" },
                if has_key {
                    "secret.key differs from the sender's"
                } else {
                    "secret.key is missing"
                }
            ),
            format!(
                "put the sender's shared secret in {} (mode 0600)",
                key.display()
            ),
        ),
        (true, false, _) => report.fail(
            "encryption",
            format!(
                "CC2CC_ENCRYPT=1 but {} is missing: sending fails",
                key.display()
            ),
            format!(
                "create {} with the shared secret (mode 0600), or unset CC2CC_ENCRYPT",
                key.display()
            ),
        ),
        (true, true, _) => report.ok(
            "encryption",
            format!("on: text is encrypted with {}", key.display()),
        ),
        (false, true, _) => report.ok(
            "encryption",
            "off for sending (CC2CC_ENCRYPT unset); secret.key decrypts what arrives".into(),
        ),
        (false, false, _) => report.ok("encryption", "off (no secret.key)".into()),
    }
}

fn pending(report: &mut Report, ctx: &Context, name: &Name) {
    let (envelopes, _) = ctx.bridge.mailbox(name).pending();
    let oldest = envelopes
        .iter()
        .filter_map(|e| e.message.sent_at())
        .min()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    let detail = match (envelopes.len(), oldest) {
        (0, _) => "no messages waiting".to_owned(),
        (n, Some(age)) => format!(
            "{n} message{} waiting, the oldest for {}",
            if n == 1 { "" } else { "s" },
            humantime::format_duration(std::time::Duration::from_secs(age.as_secs()))
        ),
        (n, None) => format!("{n} message{} waiting", if n == 1 { "" } else { "s" }),
    };
    report.ok("pending", one_line(&detail).into_owned());
}

/// Whether Claude Code has the plugin installed and enabled (or cc2cc as a plain MCP server).
fn plugin(report: &mut Report) {
    let Some(config) = claude_dir() else {
        report.warn("plugin", "cannot tell: HOME is not set".into(), "set HOME");
        return;
    };
    let read = |p: PathBuf| -> Option<serde_json::Value> {
        let bytes = fsutil::read_regular(&p, 4 << 20).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let installed: Vec<String> = read(config.join("plugins/installed_plugins.json"))
        .and_then(|v| v.get("plugins")?.as_object().cloned())
        .map(|m| {
            m.keys()
                .filter(|k| k.starts_with("cc2cc@"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let enabled = |id: &str| {
        read(config.join("settings.json"))
            .and_then(|s| s.get("enabledPlugins")?.get(id)?.as_bool())
            .unwrap_or(false)
    };
    let mcp_only = std::env::home_dir()
        .and_then(|h| read(h.join(".claude.json")))
        .is_some_and(|c| c.pointer("/mcpServers/cc2cc").is_some());
    match installed.first() {
        Some(id) if enabled(id) => report.ok(
            "plugin",
            format!("{id} is installed and enabled in {}", config.display()),
        ),
        Some(id) => report.warn(
            "plugin",
            format!("{id} is installed but not enabled"),
            format!("claude plugin enable {id}"),
        ),
        None if mcp_only => report.warn(
            "plugin",
            "cc2cc is a plain MCP server (claude mcp add): tools only, no monitor".into(),
            "claude plugin marketplace add <cc2cc checkout or repo> && claude plugin install cc2cc@cc2cc",
        ),
        None => report.warn(
            "plugin",
            format!("the cc2cc plugin is not installed in {}", config.display()),
            "claude plugin marketplace add <cc2cc checkout or repo> && claude plugin install cc2cc@cc2cc",
        ),
    }
}

/// Claude Code's configuration folder: CLAUDE_CONFIG_DIR, else ~/.claude.
fn claude_dir() -> Option<PathBuf> {
    std::env::var_os("CLAUDE_CONFIG_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|h| h.join(".claude")))
}
