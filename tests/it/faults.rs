//! Faults that used to lose mail or hide errors (issue 8, items 5, 7, 8, 9, 11, 12 and 15):
//! closed pipes, a client gone mid-call, failing --exec commands, long messages, unreadable
//! inboxes, two holders of one name, a recreated inbox folder.

use crate::support::env::*;
use crate::support::mcp::{McpClient, ids_in, is_error, spawn, text, wait_exit};
use crate::watch::Running;
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Duration;

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `cc2cc ARGS` with its standard output a pipe whose reader is already gone.
fn into_closed_pipe(env: &TestEnv, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = env.std_cmd(args);
    cmd.stdout(writer).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    drop(cmd);
    child.wait_with_output().unwrap()
}

#[test]
fn inbox_into_a_closed_pipe_puts_the_message_back() {
    let env = TestEnv::new();
    let ids: Vec<String> = (0..3)
        .map(|i| env.send("a", "bob", &format!("m{i}")))
        .collect();
    let out = into_closed_pipe(&env, &["--as", "bob", "inbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut want: Vec<String> = ids.iter().map(|i| format!("{i}.json")).collect();
    want.sort();
    assert_eq!(env.files("to-bob/inbox"), want, "nothing lost in done/");
    assert!(env.files("to-bob/done").is_empty());
    assert!(env.files("to-bob/receipts").is_empty());
    // And `watch` the same way.
    let out = into_closed_pipe(&env, &["--as", "bob", "watch", "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.files("to-bob/inbox"), want);
    assert!(env.files("to-bob/done").is_empty());
}

#[test]
fn peek_then_ack_claims_exactly_the_acknowledged_ids() {
    let env = TestEnv::new();
    let first = env.send("a", "bob", "one");
    let second = env.send("a", "bob", "two");
    let out = env
        .as_("bob", &["--json", "inbox", "--peek"])
        .output()
        .unwrap();
    let ids: Vec<String> = json_lines(&out)
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [first.clone(), second.clone()]);
    assert_eq!(env.files("to-bob/inbox").len(), 2, "peek claims nothing");
    let out = env.as_("bob", &["--json", "ack", &first]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out), [json!({"id": first, "acked": true})]);
    assert_eq!(env.files("to-bob/done"), [format!("{first}.json")]);
    let receipt = env.read_json(&format!("to-bob/receipts/{first}.receipt.json"));
    assert_eq!(receipt["msg_id"], first.as_str());
    assert_eq!(env.files("to-bob/inbox"), [format!("{second}.json")]);
    // Again: already read, not an error. An unknown id is.
    let out = env.as_("bob", &["ack", &first]).output().unwrap();
    assert!(out.status.success());
    assert!(stderr(&out).contains("already read"), "{}", stderr(&out));
    let out = env
        .as_("bob", &["ack", "msg-nope", &second])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no message msg-nope"),
        "{}",
        stderr(&out)
    );
    assert!(
        env.files("to-bob/inbox").is_empty(),
        "the good id was acked"
    );
    // watch --peek prints each once and claims nothing.
    let third = env.send("a", "bob", "three");
    let out = env
        .as_("bob", &["watch", "--peek", "--timeout", "500ms"])
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124));
    assert_eq!(stdout(&out).matches(&third).count(), 1, "{}", stdout(&out));
    assert_eq!(env.files("to-bob/inbox"), [format!("{third}.json")]);
}

#[test]
fn watch_exec_claims_only_after_the_command_succeeds() {
    let env = TestEnv::new();
    let id = env.send("a", "bob", "job");
    let log = env.dir.path().join("log");
    let marker = env.dir.path().join("tried");
    // Fails the first time, succeeds the second, logging what it was given.
    let cmd = format!(
        "if [ ! -e {m} ]; then touch {m}; exit 3; fi; echo \"$CC2CC_NAME $CC2CC_MSG_ID\" >> {l}",
        m = marker.display(),
        l = log.display()
    );
    let out = env
        .as_(
            "bob",
            &[
                "watch",
                "--exec",
                &cmd,
                "--retry-after",
                "100ms",
                "--count",
                "1",
            ],
        )
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("stays pending"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("bob {id}\n")
    );
    assert_eq!(env.files("to-bob/done"), [format!("{id}.json")]);
    assert!(env.files("to-bob/inbox").is_empty());
}

#[test]
fn watch_exec_gives_up_after_five_failures_into_bad() {
    let env = TestEnv::new();
    let id = env.send("a", "bob", "poison");
    let good = env.send("a", "bob", "fine");
    let tries = env.dir.path().join("tries");
    let cmd = format!(
        "echo x >> {t}; [ \"$CC2CC_MSG_ID\" != {id} ]",
        t = tries.display()
    );
    let out = env
        .as_(
            "bob",
            &[
                "watch",
                "--exec",
                &cmd,
                "--retry-after",
                "20ms",
                "--timeout",
                "3s",
            ],
        )
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    // Five runs for the poison message, one for the good one.
    assert_eq!(std::fs::read_to_string(&tries).unwrap().lines().count(), 6);
    assert_eq!(
        env.files("to-bob/bad"),
        [format!("{id}.json"), format!("{id}.json.reason")]
    );
    let reason =
        std::fs::read_to_string(env.path(&format!("to-bob/bad/{id}.json.reason"))).unwrap();
    assert!(reason.contains("--exec failed 5 times"), "{reason}");
    assert_eq!(env.files("to-bob/done"), [format!("{good}.json")]);
    assert!(stderr(&out).contains(&format!("moved {id} to bad/")));
}

#[test]
fn serve_mcp_claims_nothing_when_the_result_cannot_be_written() {
    let env = TestEnv::new();
    let ids: Vec<String> = (0..3)
        .map(|i| env.send("a", "bob", &format!("m{i}")))
        .collect();
    let (mut child, stderr) = spawn(&env, Some("bob"), &[], &[]);
    drop(child.stdout.take()); // the client is gone before the answer
    let mut stdin = child.stdin.take().unwrap();
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "check_inbox", "arguments": {}}});
    writeln!(stdin, "{call}").unwrap();
    drop(stdin);
    wait_exit(&mut child, &stderr);
    assert!(
        env.files("to-bob/done").is_empty(),
        "marked read but never written"
    );
    assert_eq!(env.files("to-bob/inbox").len(), ids.len());
}

#[test]
fn a_message_too_long_for_one_result_comes_in_parts_and_is_read_only_when_whole() {
    let env = TestEnv::new();
    let big: String = (0..9000)
        .map(|i| format!("line {i:05} of the long report\n"))
        .collect();
    let out = env
        .as_("a", &["send", "--to", "bob", "-"])
        .write_stdin(big.clone())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_owned();
    let mut c = McpClient::start(&env, "bob");
    c.initialize();
    let r = c.call("check_inbox", json!({}));
    let first = text(&r);
    assert!(first.len() < 60 * 1024, "result of {} bytes", first.len());
    assert!(
        first.contains("[part 1 of "),
        "{}",
        &first[first.len() - 400..]
    );
    let total: usize = first
        .split("[part 1 of ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(total > 1);
    assert_eq!(ids_in(&first)[0], id);
    assert_eq!(
        env.files("to-bob/inbox"),
        [format!("{id}.json")],
        "not read yet"
    );
    // Another call meanwhile does not start it over: it names the parts still unread.
    let again = text(&c.call("check_inbox", json!({})));
    assert!(!again.contains("[part 1 of "), "{again}");
    assert!(again.contains("still has unread parts"), "{again}");
    let mut seen = first.clone();
    for part in 2..=total {
        let r = c.call("read_message", json!({"msg_id": id, "part": part}));
        assert!(!is_error(&r), "{r}");
        let t = text(&r);
        assert!(t.len() < 60 * 1024);
        seen.push_str(&t);
        if part < total {
            assert_eq!(env.files("to-bob/inbox"), [format!("{id}.json")]);
        }
    }
    for i in [0, 4500, 8999] {
        assert!(seen.contains(&format!("line {i:05} of")), "line {i} shown");
    }
    let done = vec![format!("{id}.json")];
    assert_eq!(settled(|| env.files("to-bob/done"), &done), done);
    let r = c.call("read_message", json!({"msg_id": id, "part": total + 1}));
    assert!(is_error(&r));
}

#[test]
fn an_inbox_that_cannot_be_listed_is_an_error_not_empty() {
    let env = TestEnv::new();
    env.send("a", "bob", "hello");
    std::fs::remove_dir_all(env.path("to-bob/inbox")).unwrap();
    std::fs::write(env.path("to-bob/inbox"), "not a folder").unwrap();
    let out = env.as_("bob", &["inbox"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("cc2cc: error: cannot open folder"),
        "{}",
        stderr(&out)
    );
    let out = env.cmd(&["list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let row = stdout(&out)
        .lines()
        .find(|l| l.starts_with("bob"))
        .unwrap()
        .to_owned();
    assert!(row.contains(" ? "), "not PENDING 0: {row}");
    let out = env.cmd(&["--json", "list"]).output().unwrap();
    let bob = json_lines(&out)
        .into_iter()
        .find(|a| a["name"] == "bob")
        .unwrap();
    assert_eq!(bob["pending"], serde_json::Value::Null);
    let mut c = McpClient::start(&env, "carol");
    c.initialize();
    std::fs::rename(env.path("to-carol/inbox"), env.path("to-carol/old")).unwrap();
    std::fs::write(env.path("to-carol/inbox"), "x").unwrap();
    let r = c.call("check_inbox", json!({}));
    assert!(is_error(&r), "{r}");
    assert!(!text(&r).contains("No pending"), "{r}");
}

#[test]
fn a_read_only_inbox_is_an_error_and_the_mail_stays() {
    if !is_root() {
        eprintln!("skipped: needs root to run as another user");
        return;
    }
    let env = TestEnv::new();
    let id = env.send("a", "bob", "hello");
    // As nobody, with bob's folders not writable: the claim cannot happen.
    for d in [
        "",
        "to-bob",
        "to-bob/inbox",
        "to-bob/done",
        "to-bob/receipts",
    ] {
        std::fs::set_permissions(env.path(d), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        env.path(&format!("to-bob/inbox/{id}.json")),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let as_nobody = |args: &[&str]| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", &bin()])
            .env_clear()
            .env("CC2CC_BRIDGE_DIR", &env.bridge)
            .env("CC2CC_ALLOW_SHARED_BRIDGE", "1")
            .args(args)
            .output()
            .unwrap()
    };
    let out = as_nobody(&["--as", "bob", "inbox"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).is_empty(),
        "not shown as read: {}",
        stdout(&out)
    );
    assert_eq!(env.files("to-bob/inbox"), [format!("{id}.json")]);
    // An inbox nobody may list: an error, never "no mail"; list says "?" and exits 1.
    std::fs::set_permissions(
        env.path("to-bob/inbox"),
        std::fs::Permissions::from_mode(0o311),
    )
    .unwrap();
    let out = as_nobody(&["--as", "bob", "inbox"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    let out = as_nobody(&["list"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let row = stdout(&out)
        .lines()
        .find(|l| l.starts_with("bob"))
        .unwrap()
        .to_owned();
    assert!(row.contains(" ? "), "not PENDING 0: {row}");
}

#[test]
fn a_reader_with_a_smaller_limit_keeps_valid_mail_in_the_inbox() {
    let env = TestEnv::new();
    let text = "x".repeat(3000);
    let id = env.send("a", "bob", &text);
    let out = env
        .as_("bob", &["--max-size", "1KiB", "inbox"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("over this reader's 1024-byte limit"), "{err}");
    assert!(
        err.contains("hint: read it with a larger limit: --max-size"),
        "{err}"
    );
    assert!(env.files("to-bob/bad").is_empty(), "valid mail is not junk");
    assert_eq!(env.files("to-bob/inbox"), [format!("{id}.json")]);
    let out = env.as_("bob", &["inbox"]).output().unwrap();
    assert!(stdout(&out).contains(&text));
}

#[test]
fn a_live_name_cannot_be_taken_after_its_status_folder_is_removed() {
    let env = TestEnv::new();
    let first = Running::start(&env, &["--as", "x", "watch"]);
    assert!(
        (0..500).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            env.path("status/x-heartbeat.json").exists()
        }),
        "first watch online"
    );
    std::fs::remove_dir_all(env.path("status")).unwrap();
    let out = env
        .as_("x", &["watch", "--timeout", "300ms"])
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("x is already online"),
        "{}",
        stderr(&out)
    );
    first.signal(libc::SIGTERM);
    assert_eq!(first.wait().0, Some(143));
}

#[test]
fn a_name_live_by_heartbeat_alone_is_refused_by_watch_and_serve_mcp() {
    let env = TestEnv::new();
    env.send("a", "node-agent", "make the bridge");
    // A Node agent: a fresh active heartbeat, no host, no lock.
    let now = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%S.000Z"])
        .output()
        .unwrap();
    let now = String::from_utf8(now.stdout).unwrap().trim().to_owned();
    std::fs::create_dir_all(env.path("status")).unwrap();
    std::fs::write(
        env.path("status/node-agent-heartbeat.json"),
        json!({"agent": "node-agent", "name": "node-agent", "timestamp": now, "heartbeat": now,
               "session_id": "1", "parent_pid": "1", "status": "active", "context": "heartbeat"})
        .to_string(),
    )
    .unwrap();
    for args in [
        vec!["--as", "node-agent", "watch", "--timeout", "200ms"],
        vec!["--as", "node-agent", "serve-mcp"],
    ] {
        let out = env
            .cmd(&args)
            .write_stdin("")
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("node-agent is already online"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_recreated_inbox_folder_is_watched_again_and_said_so() {
    let env = TestEnv::new();
    let w = Running::start(&env, &["--as", "bob", "--json", "watch"]);
    let first = env.send("a", "bob", "before");
    assert!(w.line().contains(&first));
    std::fs::remove_dir_all(env.path("to-bob/inbox")).unwrap();
    let second = env.send("a", "bob", "after"); // recreates the inbox
    assert!(w.line().contains(&second));
    let third = env.send("a", "bob", "later");
    assert!(w.line().contains(&third));
    w.signal(libc::SIGTERM);
    let (code, err) = w.wait();
    assert_eq!(code, Some(143));
    assert!(
        err.contains("was removed and made again; watching the new folder"),
        "{err}"
    );
}

#[test]
fn serve_mcp_watches_a_recreated_inbox_again_and_logs_it() {
    let env = TestEnv::new();
    let mut c = McpClient::start(&env, "bob");
    c.initialize();
    let first = env.send("a", "bob", "before");
    c.push_of(&first);
    std::fs::remove_dir_all(env.path("to-bob/inbox")).unwrap();
    let second = env.send("a", "bob", "after"); // recreates the inbox
    c.push_of(&second);
    let third = env.send("a", "bob", "later");
    c.push_of(&third);
    assert!(
        c.stderr()
            .contains("was removed and made again; watching the new folder"),
        "{}",
        c.stderr()
    );
}
