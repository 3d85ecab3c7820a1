//! The scriptable commands end to end.

use crate::support::env::*;
use serde_json::Value;

#[test]
fn send_then_inbox_round_trip() {
    let env = TestEnv::new();
    let id = env.send("calm-owl", "brave-fox", "hello there");
    assert!(id.starts_with("msg-"), "{id}");
    assert_eq!(env.files("to-brave-fox/inbox"), [format!("{id}.json")]);
    let r = env.run(&["--as", "brave-fox", "inbox", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let msgs = r.json_lines();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["content"]["text"], "hello there");
    assert_eq!(msgs[0]["from"], "calm-owl");
    assert!(env.files("to-brave-fox/inbox").is_empty());
    assert_eq!(env.files("to-brave-fox/done"), [format!("{id}.json")]);
    let receipt = env.read_json(&format!("to-brave-fox/receipts/{id}.receipt.json"));
    assert_eq!(receipt["msg_id"], id.as_str());
    assert_eq!(receipt["delivered_to"], "brave-fox");
    // Read once: a second reader gets nothing.
    let again = env.run(&["--as", "brave-fox", "inbox", "--json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, "");
}

#[test]
fn written_file_has_the_original_shape() {
    let mut env = TestEnv::new();
    env.now = Some("2026-11-23T23:07:40.123Z".into());
    let r = env.run(&[
        "--as",
        "calm-owl",
        "send",
        "--to",
        "brave-fox",
        "--type",
        "task",
        "-p",
        "high",
        "--ttl",
        "90m",
        "do it",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = r.stdout.trim().to_owned();
    let path = env.path(&format!("to-brave-fox/inbox/{id}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let expected = format!(
        r#"{{
  "id": "{id}",
  "timestamp": "2026-11-23T23:07:40.123Z",
  "from": "calm-owl",
  "to": "brave-fox",
  "type": "task",
  "priority": "high",
  "identity": {{
    "agent": "calm-owl",
    "mode": "session"
  }},
  "task": null,
  "content": {{
    "text": "do it",
    "parts": []
  }},
  "replyTo": null,
  "ttl": 5400
}}"#
    );
    assert_eq!(text, expected);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&env.bridge).unwrap().permissions(),
    );
    assert_eq!(dir_mode & 0o777, 0o700);
    // ttl 0 means never expires: written as null, like the original's absent ttl.
    let r = env.run(&[
        "--as",
        "calm-owl",
        "send",
        "--to",
        "brave-fox",
        "--ttl",
        "0",
        "forever",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = r.stdout.trim().to_owned();
    let msg = env.read_json(&format!("to-brave-fox/inbox/{id}.json"));
    assert_eq!(msg["ttl"], Value::Null);
}

#[test]
fn text_from_stdin_and_dash() {
    let env = TestEnv::new();
    let r = env.run_stdin(&["--as", "a", "send", "--to", "b"], "line one\nline two\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run_stdin(&["--as", "a", "send", "--to", "b", "-"], "dash\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let msgs = env.run(&["--as", "b", "inbox", "--json"]).json_lines();
    let texts: Vec<&str> = msgs
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["line one\nline two", "dash"]);
}

#[test]
fn many_quick_sends_come_out_in_order() {
    let env = TestEnv::new();
    let ids: Vec<String> = (0..25)
        .map(|i| env.send("a", "b", &format!("n{i}")))
        .collect();
    let msgs = env.run(&["--as", "b", "inbox", "--json"]).json_lines();
    let got: Vec<&str> = msgs.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(got, ids);
    let texts: Vec<String> = msgs
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, (0..25).map(|i| format!("n{i}")).collect::<Vec<_>>());
}

#[test]
fn inbox_filters_peek_limit_and_history() {
    let env = TestEnv::new();
    env.send("alice", "me", "a1");
    let r = env.run(&["--as", "bob", "send", "--to", "me", "--type", "task", "b1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env.send("alice", "me", "a2");
    let texts = |args: &[&str]| -> Vec<String> {
        let r = env.as_("me", args).run();
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.json_lines()
            .iter()
            .map(|m| m["content"]["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(texts(&["inbox", "--json", "--peek"]), ["a1", "b1", "a2"]);
    assert_eq!(
        texts(&["inbox", "--json", "--peek", "--from", "alice"]),
        ["a1", "a2"]
    );
    assert_eq!(
        texts(&["inbox", "--json", "--peek", "--type", "task"]),
        ["b1"]
    );
    assert_eq!(env.files("to-me/inbox").len(), 3, "peek leaves everything");
    assert_eq!(texts(&["inbox", "--json", "--limit", "1"]), ["a1"]);
    assert_eq!(env.files("to-me/inbox").len(), 2);
    assert_eq!(texts(&["inbox", "--json", "--from", "bob"]), ["b1"]);
    assert_eq!(texts(&["inbox", "--json", "--all"]), ["a1", "b1", "a2"]);
    assert_eq!(
        texts(&["inbox", "--json", "--all"]),
        ["a1", "b1", "a2"],
        "history stays"
    );
    assert!(env.files("to-me/inbox").is_empty());
}

#[test]
fn human_output_strips_terminal_escapes() {
    let env = TestEnv::new();
    env.send("evil", "me", "hi\x1b]0;pwned\x07 there\x1b[2J\nsecond line");
    let r = env.run(&["--as", "me", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = &r.stdout;
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(
        text.contains("  hi]0;pwned there[2J\n  second line\n"),
        "{text:?}"
    );
}

#[test]
fn reply_addresses_the_sender_and_links_the_id() {
    let env = TestEnv::new();
    let r = env.run(&[
        "--as", "boss", "send", "--to", "worker", "--type", "task", "run it",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let task = r.stdout.trim().to_owned();
    // Replying works on a pending message and on a read one.
    let reply = |text: &str| {
        let r = env.run(&["--as", "worker", "reply", &task, text]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout.trim().to_owned()
    };
    let r1 = reply("on it");
    let r = env.run(&["--as", "worker", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r2 = reply("done");
    let msgs = env.run(&["--as", "boss", "inbox", "--json"]).json_lines();
    let ids: Vec<&str> = msgs.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [r1.as_str(), r2.as_str()]);
    for m in &msgs {
        assert_eq!(m["type"], "response");
        assert_eq!(m["replyTo"], task.as_str());
        assert_eq!(m["to"], "boss");
    }
}

#[test]
fn register_list_whoami_broadcast() {
    let env = TestEnv::new();
    let r = env.run(&["register", "nightly-job"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "nightly-job\n");
    assert!(env.path("to-nightly-job/inbox").is_dir());
    let generated = env.run(&["register"]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    let name = generated.stdout.trim().to_owned();
    assert!(
        cc2cc::bridge::names::is_valid(&name) && name.contains('-'),
        "{name}"
    );

    let agents = env.run(&["--as", &name, "list", "--json"]).json_lines();
    let rows: Vec<(String, String, bool)> = agents
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
                a["is_self"].as_bool().unwrap(),
            )
        })
        .collect();
    let mut want = vec![
        ("nightly-job".to_owned(), "offline".to_owned(), false),
        (name.clone(), "offline".to_owned(), true),
    ];
    want.sort();
    assert_eq!(rows, want);

    let me = env
        .run(&["--as", "nightly-job", "whoami", "--json"])
        .json_lines();
    assert_eq!(me[0]["name"], "nightly-job");
    assert_eq!(me[0]["bridge_dir"], env.bridge.to_str().unwrap());
    assert_eq!(me[0]["online_agents"], serde_json::json!([]));

    // Nobody is online: a broadcast sends nothing unless asked to queue for everyone.
    let r = env.run(&["--as", "nightly-job", "broadcast", "hi all"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("nothing sent"), "{}", r.stderr);
    assert!(env.files(&format!("to-{name}/inbox")).is_empty());
    let r = env.run(&[
        "--as",
        "nightly-job",
        "broadcast",
        "--include-offline",
        "--json",
        "hi all",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sent = r.json_lines();
    assert_eq!(sent.len(), 1, "not to itself");
    assert_eq!(sent[0]["to"], name.as_str());
    assert_eq!(env.files(&format!("to-{name}/inbox")).len(), 1);
}

#[test]
fn closed_stdout_exits_quietly() {
    let env = TestEnv::new();
    // More output than a pipe buffer holds, so `head` really closes the pipe on a writer.
    for i in 0..3000 {
        std::fs::create_dir_all(env.path(&format!("to-agent-{i}"))).unwrap();
    }
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{BIN}' list | head -1; echo \"status=${{PIPESTATUS[0]}}\""
        ))
        .env_clear()
        .env("CC2CC_BRIDGE_DIR", &env.bridge)
        .output()
        .unwrap();
    assert_eq!(stderr(&out), "", "no broken-pipe noise");
    assert_eq!(
        stdout(&out),
        "NAME                             STATUS   PENDING  HOST             LAST SEEN\nstatus=0\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    for args in [
        &["send"][..],
        &["frobnicate"],
        &["--as", "a", "send", "--to", "b", "--ttl", "soon", "x"],
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
    let r = env.run(&[
        "--as",
        "a",
        "send",
        "--to",
        "b",
        "--priority",
        "urgent",
        "x",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(env.run(&["--help"]).code, 0);
    assert!(!env.bridge.exists(), "usage errors touch nothing");
}

/// build.rs links the unwinder in from libgcc_eh.a: loading libgcc_s.so.1 would run its CPU
/// detection, trapped `cpuid` instructions that slow every start-up on a virtual machine.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn the_binary_needs_libc_and_not_libgcc_s() {
    let out = std::process::Command::new("readelf")
        .args(["-d", &bin()])
        .output()
        .expect("readelf (binutils, beside the linker) runs");
    assert!(out.status.success(), "{out:?}");
    let dynamic = String::from_utf8_lossy(&out.stdout);
    let needed: Vec<&str> = dynamic.lines().filter(|l| l.contains("(NEEDED)")).collect();
    assert!(
        needed.iter().any(|l| l.contains("[libc.so.6]")),
        "{dynamic}"
    );
    assert!(!needed.iter().any(|l| l.contains("libgcc_s")), "{dynamic}");
}
