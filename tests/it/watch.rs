//! `watch`, `send --wait`, presence and concurrent readers: long-running processes.

use crate::support::env::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `cc2cc` whose stdout lines arrive on a channel.
pub(crate) struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    pub(crate) fn start(env: &TestEnv, args: &[&str]) -> Running {
        let mut child = Command::new(bin())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CC2CC_BRIDGE_DIR", &env.bridge)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Running { child, lines }
    }

    pub(crate) fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a line within 10 s")
    }

    pub(crate) fn signal(&self, sig: i32) {
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    pub(crate) fn wait(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut err)
                    .unwrap();
                return (status.code(), err);
            }
            assert!(Instant::now() < deadline, "process did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_of(env: &TestEnv, name: &str) -> String {
    let agents = json_lines(&env.cmd(&["list", "--json"]).output().unwrap());
    agents
        .iter()
        .find(|a| a["name"] == name)
        .map(|a| a["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn watch_prints_arrivals_and_holds_presence() {
    let env = TestEnv::new();
    let early = env.send("a", "w", "queued before");
    let w = Running::start(&env, &["--as", "w", "watch", "--json", "--count", "3"]);
    let first: serde_json::Value = serde_json::from_str(&w.line()).unwrap();
    assert_eq!(first["id"], early.as_str());
    assert_eq!(status_of(&env, "w"), "online");
    let hb = env.read_json("status/w-heartbeat.json");
    assert_eq!(hb["status"], "active");
    assert_eq!(hb["pid"], w.child.id());
    let second = env.send("a", "w", "live one");
    let got: serde_json::Value = serde_json::from_str(&w.line()).unwrap();
    assert_eq!(got["id"], second.as_str());
    assert_eq!(got["content"]["text"], "live one");
    env.send("a", "w", "third");
    w.line();
    let (code, err) = w.wait();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(status_of(&env, "w"), "offline");
    assert_eq!(
        env.read_json("status/w-heartbeat.json")["status"],
        "offline"
    );
    assert!(env.files("to-w/inbox").is_empty());
}

#[test]
fn watch_by_polling_with_exec() {
    let env = TestEnv::new();
    let log = env.dir.path().join("exec.log");
    let cmd = format!(
        "cat >> '{}'; echo \"$CC2CC_MSG_ID $CC2CC_FROM\" >> '{}'",
        log.display(),
        log.display()
    );
    let w = Running::start(
        &env,
        &[
            "--as", "w", "watch", "--poll", "50ms", "--count", "2", "--exec", &cmd,
        ],
    );
    wait_until("watch online", || status_of(&env, "w") == "online");
    let a = env.send("x", "w", "one");
    let b = env.send("y", "w", "two");
    let (code, err) = w.wait();
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let m: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(m["content"]["text"], "one");
    assert_eq!(lines[1], format!("{a} x"));
    assert_eq!(lines[3], format!("{b} y"));
}

#[test]
fn watch_timeout_is_124_and_ctrl_c_is_130() {
    let env = TestEnv::new();
    let out = env
        .as_("w", &["watch", "--timeout", "200ms"])
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124));
    let w = Running::start(&env, &["--as", "w", "watch"]);
    wait_until("watch online", || status_of(&env, "w") == "online");
    w.signal(libc::SIGINT);
    let (code, _) = w.wait();
    assert_eq!(code, Some(130));
    let hb = env.read_json("status/w-heartbeat.json");
    assert_eq!(hb["status"], "offline");
    assert_eq!(hb["context"], "shutdown via SIGINT");
    let w = Running::start(&env, &["--as", "w", "watch"]);
    wait_until("watch online", || status_of(&env, "w") == "online");
    w.signal(libc::SIGTERM);
    let (code, _) = w.wait();
    assert_eq!(code, Some(143));
    assert_eq!(
        env.read_json("status/w-heartbeat.json")["context"],
        "shutdown via SIGTERM"
    );
}

#[test]
fn a_killed_agent_is_offline_at_once_and_its_name_is_free() {
    let env = TestEnv::new();
    let w = Running::start(&env, &["--as", "w", "watch"]);
    wait_until("watch online", || status_of(&env, "w") == "online");
    // A second agent cannot take the live name.
    let out = env
        .as_("w", &["watch", "--timeout", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("w is already online"),
        "{}",
        stderr(&out)
    );
    w.signal(libc::SIGKILL);
    let _ = w.wait();
    // The heartbeat still says active and is fresh; the released lock says otherwise.
    assert_eq!(env.read_json("status/w-heartbeat.json")["status"], "active");
    assert_eq!(status_of(&env, "w"), "offline");
    let out = env
        .as_("w", &["watch", "--timeout", "100ms"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
}

#[test]
fn send_wait_prints_the_reply() {
    let env = TestEnv::new();
    let w = Running::start(
        &env,
        &[
            "--as", "asker", "--json", "send", "--to", "helper", "--wait", "10s", "2+2?",
        ],
    );
    let sent: serde_json::Value = serde_json::from_str(&w.line()).unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();
    // Unrelated mail arriving meanwhile is left for a normal read.
    env.send("someone", "asker", "unrelated");
    env.as_("helper", &["reply", &id, "4"]).assert().success();
    let reply: serde_json::Value = serde_json::from_str(&w.line()).unwrap();
    assert_eq!(reply["content"]["text"], "4");
    assert_eq!(reply["replyTo"], id.as_str());
    let (code, err) = w.wait();
    assert_eq!(code, Some(0), "{err}");
    let left = json_lines(&env.as_("asker", &["inbox", "--json"]).output().unwrap());
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["content"]["text"], "unrelated");
}

#[test]
fn two_readers_never_both_get_a_message() {
    let env = TestEnv::new();
    env.cmd(&["register", "r"]).assert().success();
    let n = 300;
    let inbox = env.path("to-r/inbox");
    for i in 0..n {
        let m = serde_json::json!({
            "id": format!("msg-{i:05}"), "timestamp": "2026-11-23T23:07:40.123Z", "from": "s",
            "to": "r", "type": "message", "priority": "normal", "content": {"text": i.to_string()},
        });
        std::fs::write(inbox.join(format!("msg-{i:05}.json")), m.to_string()).unwrap();
    }
    let readers: Vec<_> = (0..4)
        .map(|_| {
            Command::new(BIN)
                .env_clear()
                .env("CC2CC_BRIDGE_DIR", &env.bridge)
                .args(["--as", "r", "inbox", "--json"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut seen: Vec<String> = Vec::new();
    for r in readers {
        let out = r.wait_with_output().unwrap();
        assert!(out.status.success());
        seen.extend(
            json_lines(&out)
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned()),
        );
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "a message was handed out twice");
    assert_eq!(total, n, "every message was handed out");
    assert_eq!(env.files("to-r/done").len(), n);
}
