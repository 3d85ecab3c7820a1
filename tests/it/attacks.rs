//! Attacks on the bridge directory (issue 8, items 1, 3 and 6): symlinked folders, a shared
//! bridge, FIFOs and hard links under a receipt's name, escape sequences in names and ids.

use crate::support::env::*;
use crate::support::mcp::{McpClient, ids_in, text};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::Duration;

/// Everything inside `dir` (recursively), as relative paths.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            for sub in tree(&e.path()) {
                out.push(format!("{name}/{sub}"));
            }
        }
        out.push(name);
    }
    out.sort();
    out
}

/// A private folder of the user outside the bridge, which a planted link points at.
fn victim(env: &TestEnv) -> std::path::PathBuf {
    let v = env.dir.path().join("private");
    std::fs::create_dir_all(v.join("inbox")).unwrap();
    std::fs::write(v.join("secret.txt"), "my notes").unwrap();
    v
}

#[test]
fn a_symlinked_mailbox_folder_is_refused_and_nothing_is_planted_through_it() {
    let env = TestEnv::new();
    env.send("a", "b", "make the bridge");
    let v = victim(&env);
    symlink(&v, env.path("to-bob")).unwrap();
    let out = env
        .as_("a", &["send", "--to", "bob", "planted?"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("to-bob: it is a symbolic link, not a folder") && err.contains("hint:"),
        "{err}"
    );
    assert_eq!(
        tree(&v),
        ["inbox", "secret.txt"],
        "nothing written through the link"
    );
}

#[test]
fn a_symlinked_done_folder_moves_nothing_out_of_the_bridge() {
    let env = TestEnv::new();
    let id = env.send("a", "bob", "private mail");
    let v = victim(&env);
    std::fs::remove_dir(env.path("to-bob/done")).unwrap();
    symlink(&v, env.path("to-bob/done")).unwrap();
    let out = env.as_("bob", &["inbox"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("private mail"), "not handed out");
    assert_eq!(
        env.files("to-bob/inbox"),
        [format!("{id}.json")],
        "still pending"
    );
    assert_eq!(tree(&v), ["inbox", "secret.txt"]);
}

#[test]
fn a_symlinked_inbox_is_not_read_and_mail_for_it_is_refused() {
    let env = TestEnv::new();
    env.send("a", "bob", "first");
    let v = victim(&env);
    // Someone points bob's inbox at a folder of theirs holding a forged message.
    let forged = env.dir.path().join("forged");
    std::fs::create_dir(&forged).unwrap();
    std::fs::copy(
        env.path(&format!("to-bob/inbox/{}", env.files("to-bob/inbox")[0])),
        forged.join("msg-forged.json"),
    )
    .unwrap();
    std::fs::rename(env.path("to-bob/inbox"), v.join("real-inbox")).unwrap();
    symlink(&forged, env.path("to-bob/inbox")).unwrap();
    let out = env.as_("bob", &["inbox"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("inbox: it is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree(&forged), ["msg-forged.json"]);
    let out = env
        .as_("a", &["send", "--to", "bob", "more"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        tree(&forged),
        ["msg-forged.json"],
        "nothing written into it"
    );
}

#[test]
fn symlinked_receipts_bad_and_status_folders_receive_nothing() {
    let env = TestEnv::new();
    let id = env.send("a", "bob", "hello");
    let v = victim(&env);
    for sub in ["to-bob/receipts", "to-bob/bad"] {
        let _ = std::fs::remove_dir(env.path(sub));
        symlink(&v, env.path(sub)).unwrap();
    }
    std::fs::write(env.path("to-bob/inbox/junk.json"), "{not json").unwrap();
    let out = env.as_("bob", &["inbox"]).output().unwrap();
    assert!(stdout(&out).contains("hello"), "the message itself is read");
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("to-bob/receipts: no receipts written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.files("to-bob/done"), [format!("{id}.json")]);
    assert!(
        env.path("to-bob/inbox/junk.json").exists(),
        "junk stays: bad/ is a link"
    );
    assert_eq!(
        tree(&v),
        ["inbox", "secret.txt"],
        "no receipt, no junk in the victim"
    );
    // A symlinked status/ folder: no agent comes online through it.
    std::fs::remove_dir_all(env.path("status")).ok();
    symlink(&v, env.path("status")).unwrap();
    let out = env
        .as_("bob", &["watch", "--timeout", "100ms"])
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("status: it is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree(&v), ["inbox", "secret.txt"]);
}

#[test]
fn a_bridge_others_can_write_to_is_refused_unless_allowed() {
    let env = TestEnv::new();
    std::fs::create_dir(&env.bridge).unwrap();
    std::fs::set_permissions(&env.bridge, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = env.as_("a", &["send", "--to", "b", "hi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("refusing bridge") && err.contains("mode 777"),
        "{err}"
    );
    assert!(err.contains("CC2CC_ALLOW_SHARED_BRIDGE=1"), "{err}");
    assert!(env.files("").is_empty());
    let out = env
        .as_("a", &["send", "--to", "b", "hi"])
        .env("CC2CC_ALLOW_SHARED_BRIDGE", "yes")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.files("to-b/inbox").len(), 1);
}

/// Sends a message to bob and plants a FIFO where its receipt will go; returns its id.
fn fifo_at_next_receipt(env: &TestEnv, text: &str) -> String {
    let id = env.send("a", "bob", text);
    let fifo = env.path(&format!("to-bob/receipts/{id}.receipt.json"));
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    id
}

#[test]
fn a_fifo_at_a_receipt_hangs_no_reader() {
    let env = TestEnv::new();
    for (reader, text) in [
        (vec!["inbox"], "first"),
        (vec!["watch", "--count", "1"], "second"),
    ] {
        fifo_at_next_receipt(&env, text);
        let out = env
            .as_("bob", &reader)
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{reader:?}: {}", stderr(&out));
        assert!(stdout(&out).contains(text));
    }
    let id = fifo_at_next_receipt(&env, "third");
    let mut c = McpClient::start(&env, "bob");
    c.initialize();
    let r = c.call("check_inbox", serde_json::json!({}));
    assert_eq!(ids_in(&text(&r)), [id]);
    c.close_stdin();
    assert!(c.wait().success());
}

#[test]
fn a_hard_link_at_a_receipt_never_truncates_the_other_file() {
    let env = TestEnv::new();
    let id = env.send("a", "bob", "hello");
    let precious = env.dir.path().join("precious.txt");
    std::fs::write(&precious, "do not lose me").unwrap();
    std::fs::hard_link(
        &precious,
        env.path(&format!("to-bob/receipts/{id}.receipt.json")),
    )
    .unwrap();
    let out = env.as_("bob", &["inbox"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("hello"));
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "do not lose me"
    );
    assert_eq!(env.files("to-bob/done"), [format!("{id}.json")]);
}

#[test]
fn escape_sequences_from_the_bridge_never_reach_stderr() {
    let env = TestEnv::new();
    env.send("a", "bob", "make the mailbox");
    env.as_("bob", &["inbox"]).assert().success();
    // OSC 52 writes the clipboard; a file name and an id carrying one.
    let osc = "\x1b]52;c;aGVsbG8=\x07";
    std::fs::write(env.path(&format!("to-bob/inbox/{osc}.json")), "junk").unwrap();
    std::fs::write(env.path("secret.key"), "s3cret").unwrap();
    let forged = serde_json::json!({
        "id": format!("msg-{osc}"), "timestamp": "2026-01-01T00:00:00.000Z", "from": "a",
        "to": "bob", "type": "message", "priority": "normal",
        "content": {"text": "ENC:00112233445566778899aabb:00112233445566778899aabbccddeeff:00", "parts": []},
    });
    std::fs::write(env.path("to-bob/inbox/x.json"), forged.to_string()).unwrap();
    let out = env.as_("bob", &["inbox"]).output().unwrap();
    let err = stderr(&out);
    assert!(err.contains("moved unreadable"), "{err}");
    assert!(err.contains("cannot decrypt message"), "{err}");
    assert!(
        !err.contains('\x1b') && !err.contains('\x07'),
        "raw escape on stderr: {err:?}"
    );
}
