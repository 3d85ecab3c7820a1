//! Private modes whatever the umask: every directory the binary creates is 0700 and every file
//! 0600, even when it runs under `umask 000`.

use crate::support::env::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// `cc2cc ARGS` run through `sh -c 'umask 000; exec …'` with the test environment's variables.
fn under_umask_000(env: &TestEnv, args: &[&str]) -> std::process::Output {
    std::process::Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("CC2CC_BRIDGE_DIR", &env.bridge)
        .arg("-c")
        .arg(r#"umask 000; exec "$0" "$@""#)
        .arg(BIN)
        .args(args)
        .output()
        .unwrap()
}

fn walk(dir: &Path, out: &mut Vec<(String, bool, u32)>, root: &Path) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        let rel = e.path().strip_prefix(root).unwrap().display().to_string();
        out.push((rel, meta.is_dir(), meta.permissions().mode() & 0o7777));
        if meta.is_dir() {
            walk(&e.path(), out, root);
        }
    }
}

#[test]
fn everything_created_is_private_even_under_umask_000() {
    let env = TestEnv::new();
    // The shell really runs with umask 000: what it creates itself is world-writable.
    let probe = env.dir.path().join("probe");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; : > "$0""#)
        .arg(&probe)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777,
        0o666
    );

    let sent = under_umask_000(&env, &["--as", "a", "send", "--to", "x", "hello"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let id = stdout(&sent).trim().to_owned();
    // Junk to make the reader create bad/; written by the test, so left out of the check.
    std::fs::write(env.path("to-x/inbox/junk.json"), "{not json").unwrap();
    let read = under_umask_000(&env, &["--as", "x", "inbox", "--json"]);
    assert!(read.status.success(), "{}", stderr(&read));
    let watched = under_umask_000(&env, &["--as", "x", "watch", "--timeout", "200ms"]);
    assert_eq!(watched.status.code(), Some(124), "{}", stderr(&watched));
    let replied = under_umask_000(&env, &["--as", "x", "reply", &id, "back"]);
    assert!(replied.status.success(), "{}", stderr(&replied));
    let registered = under_umask_000(&env, &["register", "y"]);
    assert!(registered.status.success(), "{}", stderr(&registered));

    let mut entries = vec![(String::new(), true, 0)];
    entries[0].2 = std::fs::metadata(&env.bridge).unwrap().permissions().mode() & 0o7777;
    walk(&env.bridge, &mut entries, &env.bridge);
    let names: Vec<&str> = entries.iter().map(|(p, _, _)| p.as_str()).collect();
    for expected in [
        "",
        "status",
        "status/x.lock",
        "status/x-heartbeat.json",
        "to-x",
        "to-x/inbox",
        "to-x/done",
        "to-x/receipts",
        "to-x/bad",
        &format!("to-x/done/{id}.json"),
        &format!("to-x/receipts/{id}.receipt.json"),
        "to-a/inbox",
        "to-y/inbox",
    ] {
        assert!(names.contains(&expected), "{expected:?} not in {names:?}");
    }
    let reply = env.files("to-a/inbox");
    assert_eq!(reply.len(), 1, "the reply was written: {reply:?}");
    let wrong: Vec<String> = entries
        .iter()
        .filter(|(path, _, _)| path != "to-x/bad/junk.json")
        .filter(|(_, is_dir, mode)| *mode != if *is_dir { 0o700 } else { 0o600 })
        .map(|(path, is_dir, mode)| {
            format!(
                "{path:?} ({}) is {mode:o}",
                if *is_dir { "dir" } else { "file" }
            )
        })
        .collect();
    assert!(wrong.is_empty(), "not private: {wrong:#?}");
}
