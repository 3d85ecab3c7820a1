//! An MCP client for `cc2cc serve-mcp`, driving it over pipes as Claude Code does, and helpers
//! to read its tool results and channel pushes.

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::env::{TestEnv, collect};

/// Only to keep a broken test from hanging; nothing here measures speed.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const CHANNEL: &str = "notifications/claude/channel";
/// The handshake as raw lines, for tests that drive the pipes by hand.
pub(crate) const INITIALIZE: &[u8] =
    b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}\n";
pub(crate) const INITIALIZED: &[u8] =
    b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";

/// A running `serve-mcp` with its stdout parsed line by line on a reader thread.
pub(crate) struct McpClient {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    /// Received but not yet taken by a wait.
    backlog: VecDeque<Value>,
    next_id: i64,
    stderr: Arc<Mutex<String>>,
}

/// Starts `cc2cc serve-mcp ARGS` as NAME (or unnamed), with VARS added to its environment and
/// every pipe captured.
pub(crate) fn spawn(
    env: &TestEnv,
    name: Option<&str>,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (Child, Arc<Mutex<String>>) {
    let mut cmd = env.std_cmd(&["serve-mcp"]);
    cmd.args(args)
        .envs(vars.iter().copied())
        .env("CC2CC_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(n) = name {
        cmd.env("CC2CC_NAME", n);
    }
    let mut child = cmd.spawn().expect("spawn serve-mcp");
    let stderr = collect(child.stderr.take().unwrap());
    (child, stderr)
}

impl McpClient {
    pub(crate) fn start(env: &TestEnv, name: &str) -> McpClient {
        McpClient::start_with(env, Some(name), &[])
    }

    pub(crate) fn start_with(env: &TestEnv, name: Option<&str>, args: &[&str]) -> McpClient {
        McpClient::start_env(env, name, args, &[])
    }

    pub(crate) fn start_env(
        env: &TestEnv,
        name: Option<&str>,
        args: &[&str],
        vars: &[(&str, &str)],
    ) -> McpClient {
        let (mut child, stderr) = spawn(env, name, args, vars);
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v = serde_json::from_str(&line).unwrap_or_else(|_| json!({"NOT JSON": line}));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        McpClient {
            stdin: child.stdin.take(),
            child,
            rx,
            backlog: VecDeque::new(),
            next_id: 1,
            stderr,
        }
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub(crate) fn send_line(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    pub(crate) fn send(&mut self, v: &Value) {
        self.send_line(v.to_string().as_bytes());
    }

    pub(crate) fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The full response (result or error) to a new request.
    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.expect(&format!("response to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
    }

    pub(crate) fn initialize(&mut self) -> Value {
        let r = self.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "cc2cc-tests", "version": "0"}}),
        );
        self.notify("notifications/initialized", json!({}));
        r["result"].clone()
    }

    /// The `tools/call` result (which may itself be an `isError` result).
    pub(crate) fn call(&mut self, tool: &str, args: Value) -> Value {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        assert!(r.get("error").is_none(), "{tool}: protocol error {r}");
        r["result"].clone()
    }

    /// The first message (from the backlog, then as it arrives) that `pred` accepts; the others
    /// stay in the backlog.
    pub(crate) fn recv_until(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) => {
                    assert!(
                        m.get("NOT JSON").is_none(),
                        "stdout had a non-JSON line: {m}"
                    );
                    if pred(&m) {
                        return Some(m);
                    }
                    self.backlog.push_back(m);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    pub(crate) fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.recv_until(TIMEOUT, pred).unwrap_or_else(|| {
            panic!(
                "no {what} within {TIMEOUT:?}; backlog {:?}\nserver stderr:\n{}",
                self.backlog,
                self.stderr()
            )
        })
    }

    /// Sends a ping and returns everything the server wrote before answering it: since one
    /// loop writes stdout in order, that is everything it had decided to write until then.
    pub(crate) fn barrier(&mut self) -> Vec<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}));
        self.expect("ping response", |m| {
            m["id"] == id && m.get("result").is_some()
        });
        self.backlog.drain(..).collect()
    }

    /// The channel push for message `id`.
    pub(crate) fn push_of(&mut self, id: &str) -> Value {
        self.expect(&format!("push of {id}"), |m| {
            m["method"] == CHANNEL && m["params"]["meta"]["msg_id"] == id
        })
    }

    /// The channel push whose text is `text`.
    pub(crate) fn push_of_content(&mut self, text: &str) -> Value {
        self.expect(&format!("push of {text:?}"), |m| {
            m["method"] == CHANNEL
                && m["params"]["content"]
                    .as_str()
                    .is_some_and(|c| text_lines(c) == [text])
        })
    }

    /// The msg_ids of message pushes in arrival order, up to and including `last`.
    pub(crate) fn pushes_until(&mut self, last: &str) -> Vec<String> {
        let mut ids = Vec::new();
        while ids.last().map(String::as_str) != Some(last) {
            let m = self.expect(&format!("pushes up to {last}"), |m| {
                m["method"] == CHANNEL && !is_wake(m)
            });
            ids.push(m["params"]["meta"]["msg_id"].as_str().unwrap().to_owned());
        }
        ids
    }

    pub(crate) fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// The server's process id, for signals.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn wait(&mut self) -> ExitStatus {
        wait_exit(&mut self.child, &self.stderr)
    }
}

impl Drop for McpClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn wait_exit(child: &mut Child, stderr: &Mutex<String>) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "serve-mcp did not exit; stderr:\n{}",
                stderr.lock().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// All text content of a tool result.
pub(crate) fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .unwrap_or_else(|| panic!("no content in {result}"))
        .iter()
        .map(|c| c["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn is_error(result: &Value) -> bool {
    result["isError"] == true
}

/// The distinct message ids in a text, in order of first mention (a rendered message names its
/// id twice: in its header and in how to answer it).
pub(crate) fn ids_in(s: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for w in s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if w.starts_with("msg-") && !ids.iter().any(|i| i == w) {
            ids.push(w.to_owned());
        }
    }
    ids
}

/// The text lines of a rendered message (each behind "| ").
pub(crate) fn text_lines(rendered: &str) -> Vec<&str> {
    rendered
        .lines()
        .filter_map(|l| l.strip_prefix("| ").or(l.strip_prefix('|')))
        .collect()
}

pub(crate) fn is_wake(m: &Value) -> bool {
    m["method"] == CHANNEL && m["params"]["meta"]["type"] == "wake"
}
