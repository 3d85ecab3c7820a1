//! Cost that follows the work: many messages in one commit (`send --batch`, broadcast), a
//! derived key kept between processes, and readers that present a backlog as its oldest few
//! plus one line instead of one event per message.

use std::os::unix::fs::PermissionsExt;

use crate::support::env::*;

#[test]
fn send_batch_sends_every_good_line_and_names_each_bad_one() {
    let env = TestEnv::new();
    let input = [
        r#"{"to":"bob","text":"first"}"#,
        "not json",
        r#"{"to":"Bad Name","text":"x"}"#,
        "",
        r#"{"to":"bob"}"#,
        r#"{"to":"carol","text":"second","type":"task","priority":"high","ttl":"90m","reply_to":"msg-1"}"#,
        r#"{"to":"bob","text":"ENC:00:00:00"}"#,
        r#"{"to":"bob","text":"third","ttl":0}"#,
    ]
    .join("\n");
    let run = env.run_stdin(&["--as", "alice", "send", "--batch", "--json"], &input);
    assert_eq!(run.code, 1, "a bad line fails the run: {run:?}");
    let errors: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(errors.len(), 4, "{}", run.stderr);
    for (line, what) in [
        (2, "not JSON"),
        (3, "invalid agent name"),
        (5, "`text` is required"),
        (7, ""),
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("cc2cc: error: line {line}: {what}"))),
            "line {line}: {}",
            run.stderr
        );
    }
    let out = run.json_lines();
    let lines: Vec<u64> = out.iter().map(|o| o["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 6, 8]);
    assert_eq!(out[1]["to"], "carol");
    assert_eq!(out[1]["queued"], true);
    for o in &out {
        let (to, id) = (o["to"].as_str().unwrap(), o["id"].as_str().unwrap());
        let m = env.read_json(&format!("to-{to}/inbox/{id}.json"));
        assert_eq!(m["from"], "alice");
        env.read_json(&format!("to-alice/sent/{id}.json"));
    }
    let task = env.read_json(&format!(
        "to-carol/inbox/{}.json",
        out[1]["id"].as_str().unwrap()
    ));
    assert_eq!(task["type"], "task");
    assert_eq!(task["priority"], "high");
    assert_eq!(task["ttl"], 5400);
    assert_eq!(task["replyTo"], "msg-1");
    let third = env.read_json(&format!(
        "to-bob/inbox/{}.json",
        out[2]["id"].as_str().unwrap()
    ));
    assert_eq!(third["ttl"], serde_json::Value::Null);
    assert_eq!(
        env.files("to-bob/inbox").len(),
        2,
        "nothing else was written"
    );
    assert!(
        env.files("to-bob/inbox")
            .iter()
            .chain(&env.files("to-alice/sent"))
            .all(|f| !f.starts_with('.')),
        "no temp file left behind"
    );

    // Plain output: one id per line, in input order; all good lines: exit 0.
    let ok = env.run_stdin(
        &["--as", "alice", "send", "--batch"],
        "{\"to\":\"bob\",\"text\":\"a\"}\n{\"to\":\"bob\",\"text\":\"b\"}\n",
    );
    assert_eq!(ok.code, 0, "{ok:?}");
    let ids: Vec<&str> = ok.stdout.lines().collect();
    assert_eq!(ids.len(), 2);
    let peek = env.run(&["--as", "bob", "inbox", "--peek", "--json"]);
    let texts: Vec<String> = peek
        .json_lines()
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["first", "third", "a", "b"], "sending order kept");
}

#[test]
fn send_batch_refuses_what_it_cannot_combine_with() {
    let env = TestEnv::new();
    for args in [
        &["send", "--batch", "--to", "bob"][..],
        &["send", "--batch", "text"],
        &["send", "--batch", "--wait"],
        &["send", "--batch", "--in", "5m"],
    ] {
        let mut full = vec!["--as", "alice"];
        full.extend_from_slice(args);
        let run = env.run_stdin(&full, "");
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
    assert_eq!(
        env.run(&["--as", "alice", "send"]).code,
        2,
        "--to or --batch is required"
    );
}

#[test]
fn broadcast_to_many_writes_every_copy_in_one_commit() {
    let env = TestEnv::new();
    let names: Vec<String> = (0..40).map(|i| format!("agent-{i:02}")).collect();
    for n in &names {
        assert_eq!(env.run(&["register", n]).code, 0);
    }
    let run = env.run(&[
        "--as",
        "alice",
        "broadcast",
        "--include-offline",
        "--json",
        "to all",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let out = run.json_lines();
    assert_eq!(out.len(), 40);
    for (o, n) in out.iter().zip(&names) {
        assert_eq!(o["to"], n.as_str());
        let id = o["id"].as_str().unwrap();
        assert_eq!(
            env.read_json(&format!("to-{n}/inbox/{id}.json"))["content"]["text"],
            "to all"
        );
        env.read_json(&format!("to-alice/sent/{id}.json"));
    }
}

#[test]
fn an_encrypted_send_keeps_its_derived_key_in_a_private_cache_tied_to_the_secret() {
    let env = TestEnv::new();
    std::fs::create_dir_all(&env.bridge).unwrap();
    std::fs::set_permissions(&env.bridge, std::fs::Permissions::from_mode(0o700)).unwrap();
    let secret = env.path("secret.key");
    std::fs::write(&secret, "first secret\n").unwrap();
    let enc = [("CC2CC_ENCRYPT", "1")];
    let send = |text: &str| {
        let run = env.run_env(&["--as", "alice", "send", "--to", "bob", text], &enc);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout.trim().to_owned()
    };
    let first = send("one");
    let cache = env.path("secret.key.cache");
    let meta = std::fs::metadata(&cache).expect("the derived key is kept");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let kept = std::fs::read_to_string(&cache).unwrap();
    assert!(
        !kept.contains("first secret"),
        "the secret itself is not in the cache"
    );
    let text_of = |id: &str| {
        env.read_json(&format!("to-bob/inbox/{id}.json"))["content"]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(text_of(&first).starts_with("ENC:"));

    // A new secret: the old cache must not be used for it.
    std::fs::write(&secret, "second secret").unwrap();
    let second = send("two");
    assert_ne!(
        std::fs::read_to_string(&cache).unwrap(),
        kept,
        "cache made anew"
    );
    // A cache others could have written is not trusted.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&cache, &kept).unwrap();
    let third = send("three");

    let read = env.run_env(&["--as", "bob", "inbox", "--json"], &enc);
    // The first message was sealed with the first secret: it stays, named, unreadable.
    assert_eq!(read.code, 1, "{read:?}");
    let texts: Vec<String> = read
        .json_lines()
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["two", "three"], "{}", read.stderr);
    assert!(read.stderr.contains(&first), "{}", read.stderr);
    let _ = (second, third);
}
