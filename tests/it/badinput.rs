//! Bad input of every kind named in the issue: a clear error, and nothing lost.

use crate::support::env::*;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::Duration;

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn invalid_names_are_refused_before_any_path_is_built() {
    let env = TestEnv::new();
    let long = "a".repeat(32);
    for bad in ["../x", "a/b", "UPPER", long.as_str(), "", "x\u{0430}", ".."] {
        for args in [
            vec!["--as", "ok", "send", "--to", bad, "hi"],
            vec!["--as", bad, "send", "--to", "ok", "hi"],
            vec!["register", bad],
            vec!["--as", bad, "inbox"],
        ] {
            let r = env.run(&args);
            assert_eq!(r.code, 2, "{args:?}");
            let err = r.stderr;
            assert!(
                err.starts_with("cc2cc: error: invalid agent name"),
                "{args:?}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        }
    }
    let entries: Vec<String> = env.files("");
    assert!(entries.is_empty(), "nothing created: {entries:?}");
    assert!(!env.dir.path().join("x").exists());
}

#[test]
fn empty_text_is_refused() {
    let env = TestEnv::new();
    for (args, stdin) in [
        (vec!["--as", "a", "send", "--to", "b", ""], ""),
        (vec!["--as", "a", "send", "--to", "b", "  \n"], ""),
        (vec!["--as", "a", "send", "--to", "b"], ""),
        (vec!["--as", "a", "send", "--to", "b", "-"], "\n\n"),
    ] {
        let r = env.run_stdin(&args, stdin);
        assert_eq!(r.code, 2, "{args:?}");
        assert_eq!(
            r.stderr,
            "cc2cc: error: message text is empty; nothing sent\n"
        );
    }
    assert!(env.files("to-b/inbox").is_empty());
}

#[test]
fn text_over_the_size_limit_is_refused() {
    let env = TestEnv::new();
    let big = "x".repeat(2000);
    let r = env.run(&["--as", "a", "send", "--to", "b", "--max-size", "1KiB", &big]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("over the 1024-byte limit"),
        "{}",
        r.stderr
    );
    let huge = "y".repeat(1024 * 1024 + 10);
    let r = env.run_stdin(&["--as", "a", "send", "--to", "b"], &huge);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("over the 1048576-byte limit"),
        "{}",
        r.stderr
    );
    // The limit is configurable from the environment too.
    let r = env.run_env(
        &["--as", "a", "send", "--to", "b", &big],
        &[("CC2CC_MAX_SIZE", "4KiB")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        env.files("to-b/inbox").len(),
        1,
        "only the message within the limit"
    );
}

#[test]
fn a_bridge_that_is_a_file_is_refused() {
    let env = TestEnv::new();
    std::fs::write(&env.bridge, "not a dir").unwrap();
    let r = env.run(&["--as", "a", "send", "--to", "b", "hi"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let err = r.stderr;
    assert!(
        err.starts_with("cc2cc: error: bridge ") && err.contains("is not a directory"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&env.bridge).unwrap(), "not a dir");
}

#[test]
fn an_unwritable_bridge_fails_clearly() {
    let env = TestEnv::new();
    env.cmd(&["register", "b"]).assert().success();
    let mut cmd = if is_root() {
        // Root writes anywhere; run as nobody to see what a user sees.
        std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&env.bridge, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        std::fs::set_permissions(&env.bridge, std::fs::Permissions::from_mode(0o500)).unwrap();
        std::process::Command::new(BIN)
    };
    let out = cmd
        .env_clear()
        .env("CC2CC_BRIDGE_DIR", &env.bridge)
        // As nobody the bridge is another user's: accepted only when asked for.
        .env("CC2CC_ALLOW_SHARED_BRIDGE", "1")
        .args(["--as", "a", "send", "--to", "c", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cc2cc: error: cannot create directory") && err.contains("Permission denied"),
        "{err}"
    );
    assert!(err.contains("hint: check the permissions"), "{err}");
    assert!(!env.path("to-c").exists());
}

#[test]
fn a_world_writable_bridge_of_another_user_is_refused() {
    if !is_root() {
        eprintln!("skipped: needs root to give the bridge to another user");
        return;
    }
    let env = TestEnv::new();
    std::fs::create_dir(&env.bridge).unwrap();
    std::fs::set_permissions(&env.bridge, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::os::unix::fs::chown(&env.bridge, Some(65534), Some(65534)).unwrap();
    let r = env.run(&["--as", "a", "send", "--to", "b", "hi"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("refusing bridge"), "{}", r.stderr);
    assert!(!env.path("to-b").exists());
    // Owned by someone else but not writable by others: refused too (its owner could read and
    // forge every message), unless the user opts in; then a warning names the owner.
    std::fs::set_permissions(&env.bridge, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = env.run(&["list"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("refusing bridge") && r.stderr.contains("uid 65534"),
        "{}",
        r.stderr
    );
    let r = env.run_env(&["list"], &[("CC2CC_ALLOW_SHARED_BRIDGE", "1")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: bridge") && r.stderr.contains("uid 65534"),
        "{}",
        r.stderr
    );
}

#[test]
fn junk_in_an_inbox_is_moved_aside_and_good_messages_still_come_out() {
    let env = TestEnv::new();
    let first = env.send("a", "me", "first");
    let inbox = env.path("to-me/inbox");
    let secret = env.dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP SECRET CONTENT").unwrap();
    std::fs::write(inbox.join("truncated.json"), r#"{"id": "msg-x", "from": "#).unwrap();
    std::fs::write(inbox.join("binary.json"), [0u8, 159, 146, 150, 255, 0, 1]).unwrap();
    std::fs::write(
        inbox.join("types.json"),
        r#"{"id": 5, "from": [], "content": "x"}"#,
    )
    .unwrap();
    std::fs::write(inbox.join("huge.json"), vec![b' '; 10 * 1024 * 1024]).unwrap();
    symlink(&secret, inbox.join("link.json")).unwrap();
    symlink("/etc/passwd", inbox.join("passwd.json")).unwrap();
    std::fs::create_dir(inbox.join("dir.json")).unwrap();
    let fifo = std::ffi::CString::new(inbox.join("fifo.json").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    std::fs::write(inbox.join("notes.txt"), "not a message name").unwrap();
    let last = env.send("a", "me", "last");

    let r = env
        .as_("me", &["inbox", "--json"])
        .timeout(Duration::from_secs(20))
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ids: Vec<String> = r
        .json_lines()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [first, last]);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        !all.contains("TOP SECRET") && !all.contains("root:"),
        "links are never followed"
    );
    let warnings: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(warnings.len(), 8, "one warning per bad file: {warnings:?}");
    assert!(
        warnings
            .iter()
            .all(|w| w.starts_with("cc2cc: warning: moved unreadable to-me/inbox/"))
    );
    let mut bad = env.files("to-me/bad");
    bad.sort();
    assert_eq!(
        bad,
        [
            "binary.json",
            "dir.json",
            "fifo.json",
            "huge.json",
            "link.json",
            "passwd.json",
            "truncated.json",
            "types.json"
        ]
    );
    assert_eq!(
        env.files("to-me/inbox"),
        ["notes.txt"],
        "unrelated names are left alone"
    );
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "TOP SECRET CONTENT"
    );
    assert!(
        std::fs::symlink_metadata(env.path("to-me/bad/link.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn stale_temp_files_are_ignored_then_cleaned() {
    let env = TestEnv::new();
    env.send("a", "me", "real");
    let inbox = env.path("to-me/inbox");
    std::fs::write(inbox.join(".tmp-fresh.json"), "{half").unwrap();
    let old = inbox.join(".tmp-old.json");
    std::fs::write(&old, "{half").unwrap();
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86400);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    let r = env.run(&["--as", "me", "inbox", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json_lines().len(), 1);
    assert_eq!(r.stderr, "");
    assert_eq!(env.files("to-me/inbox"), [".tmp-fresh.json"]);
}

#[test]
fn reply_to_an_unknown_or_unsafe_id() {
    let env = TestEnv::new();
    let r = env.run(&["register", "me"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run(&["--as", "me", "reply", "msg-nope", "hi"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "cc2cc: error: no message msg-nope in me's inbox or history\nhint: `cc2cc inbox --all --peek` lists the ids you have received\n"
    );
    let r = env.run(&["--as", "me", "reply", "../../status/x", "hi"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("invalid message id"), "{}", r.stderr);
}

#[test]
fn no_identity_says_how_to_give_one() {
    let env = TestEnv::new();
    for args in [
        vec!["send", "--to", "b", "hi"],
        vec!["inbox"],
        vec!["whoami"],
        vec!["watch"],
        vec!["broadcast", "x"],
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 1, "{args:?}");
        assert_eq!(
            r.stderr,
            "cc2cc: error: no identity: this command acts as an agent\nhint: pass --as NAME or set CC2CC_NAME=NAME (`cc2cc register NAME` creates the mailbox of a name for a script)\n"
        );
    }
    // The original's SELF works as a fallback identity.
    let r = env.run_env(&["send", "--to", "b", "hi"], &[("SELF", "old-style")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        env.read_json(&format!("to-b/inbox/{}", env.files("to-b/inbox")[0]))["from"],
        "old-style"
    );
}

#[test]
fn require_online_refuses_and_writes_nothing() {
    let env = TestEnv::new();
    let r = env.run(&["--as", "a", "send", "--to", "b", "--require-online", "hi"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("cc2cc: error: b is offline"),
        "{}",
        r.stderr
    );
    assert!(env.files("to-b/inbox").is_empty());
}

#[test]
fn wait_timeout_exits_124_and_the_message_stays_queued() {
    let env = TestEnv::new();
    let r = env
        .as_("a", &["send", "--to", "b", "--wait", "300ms", "anyone?"])
        .timeout(Duration::from_secs(10))
        .run();
    assert_eq!(r.code, 124, "{}", r.stderr);
    let id = r.stdout.trim().to_owned();
    assert!(
        r.stderr.contains(&format!("no reply to {id}")),
        "{}",
        r.stderr
    );
    assert_eq!(env.files("to-b/inbox"), [format!("{id}.json")]);
}

#[test]
fn a_damaged_status_directory_never_blocks_or_leaks() {
    let env = TestEnv::new();
    let r = env.run(&["register", "ok"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let status = env.path("status");
    std::fs::create_dir(&status).unwrap();
    let mkfifo = |name: &str| {
        let path = std::ffi::CString::new(status.join(name).to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    };
    mkfifo("fifo.lock");
    mkfifo("pipe-heartbeat.json");
    symlink("/etc/passwd", status.join("link-heartbeat.json")).unwrap();
    symlink("/etc/passwd", status.join("link.lock")).unwrap();
    std::fs::create_dir(status.join("dir.lock")).unwrap();
    std::fs::create_dir(status.join("dir-heartbeat.json")).unwrap();
    std::fs::write(status.join("bin-heartbeat.json"), [0u8, 255, 1, 2]).unwrap();
    std::fs::write(
        status.join("huge-heartbeat.json"),
        vec![b' '; 10 * 1024 * 1024],
    )
    .unwrap();
    std::fs::write(
        status.join("types-heartbeat.json"),
        r#"{"status": 5, "heartbeat": [], "pid": "x", "host": {}}"#,
    )
    .unwrap();

    for args in [
        vec!["list", "--json"],
        vec!["--as", "ok", "whoami"],
        vec!["--as", "ok", "broadcast", "--include-offline", "hi"],
    ] {
        let r = env.cmd(&args).timeout(Duration::from_secs(10)).run();
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(!all.contains("root:"), "{args:?}: links are never followed");
    }
    let agents = env.run(&["list", "--json"]).json_lines();
    let names: Vec<&str> = agents.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["bin", "dir", "fifo", "huge", "link", "ok", "pipe", "types"]
    );
    assert!(
        agents.iter().all(|a| a["status"] == "offline"),
        "{agents:?}"
    );
    // The name behind a FIFO lock can still come online and go.
    let r = env
        .as_("fifo", &["watch", "--timeout", "200ms"])
        .timeout(Duration::from_secs(10))
        .run();
    assert_eq!(r.code, 124, "{}", r.stderr);
}
