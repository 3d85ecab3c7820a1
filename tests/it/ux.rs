//! Encryption settings, interop details and what a Unix user expects (issue 8, items 2, 10, 13,
//! 14, 17, 18 and 19).

use crate::support::env::*;
use crate::support::mcp::{McpClient, is_error, text};
use serde_json::json;
use std::time::Duration;

const ENCRYPT: &[(&str, &str)] = &[("CC2CC_ENCRYPT", "1")];

fn stored_text(env: &TestEnv, to: &str) -> String {
    let files = env.files(&format!("to-{to}/inbox"));
    assert_eq!(files.len(), 1, "{files:?}");
    let m = env.read_json(&format!("to-{to}/inbox/{}", files[0]));
    m["content"]["text"].as_str().unwrap().to_owned()
}

#[test]
fn an_empty_secret_is_refused_and_encrypt_takes_yes_no_words_only() {
    let env = TestEnv::new();
    env.send("a", "b", "make the bridge");
    let r = env.run(&["--as", "b", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for empty in ["", "  \n\t", "\u{feff}\n"] {
        std::fs::write(env.path("secret.key"), empty).unwrap();
        let r = env.run_env(&["--as", "a", "send", "--to", "b", "top secret"], ENCRYPT);
        assert_eq!(r.code, 1, "{empty:?}");
        assert!(
            r.stderr.contains("refusing to encrypt: the shared secret"),
            "{}",
            r.stderr
        );
        assert!(env.files("to-b/inbox").is_empty(), "never plain text");
    }
    std::fs::write(env.path("secret.key"), "s3cret\n").unwrap();
    let r = env.run_env(
        &["--as", "a", "send", "--to", "b", "typo"],
        &[("CC2CC_ENCRYPT", "ture")],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("CC2CC_ENCRYPT=\"ture\" is not a yes/no value"),
        "{}",
        r.stderr
    );
    assert!(env.files("to-b/inbox").is_empty());
    for yes in ["true", "YES", "on"] {
        let r = env.run_env(
            &["--as", "a", "send", "--to", "b", "hidden"],
            &[("CC2CC_ENCRYPT", yes)],
        );
        assert_eq!(r.code, 0, "{yes}: {}", r.stderr);
        assert!(stored_text(&env, "b").starts_with("ENC:"), "{yes}");
        let r = env.run(&["--as", "b", "inbox"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = env.run_env(
        &["--as", "a", "send", "--to", "b", "open"],
        &[("CC2CC_ENCRYPT", "off")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(stored_text(&env, "b"), "open");
}

#[test]
fn the_secret_is_trimmed_as_javascript_trims_it() {
    let env = TestEnv::new();
    // A BOM is trimmed by JavaScript (Rust's trim keeps it); U+0085 is not (Rust's trims it).
    env.send("a", "b", "make the bridge");
    let r = env.run(&["--as", "b", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(env.path("secret.key"), "\u{feff}s3cret\n").unwrap();
    let r = env.run_env(&["--as", "a", "send", "--to", "b", "bom"], ENCRYPT);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(env.path("secret.key"), "s3cret").unwrap();
    let r = env.run(&["--as", "b", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("bom"), "{}", r.stdout);
    std::fs::write(env.path("secret.key"), "s3cret\u{85}").unwrap();
    let r = env.run_env(&["--as", "a", "send", "--to", "b", "nel"], ENCRYPT);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(env.path("secret.key"), "s3cret").unwrap();
    let r = env.run(&["--as", "b", "inbox"]);
    assert_eq!(r.code, 1, "U+0085 is part of the secret");
    assert!(r.stderr.contains("cannot decrypt"), "{}", r.stderr);
}

#[test]
fn a_lone_surrogate_from_node_is_replaced_not_quarantined() {
    let env = TestEnv::new();
    env.send("a", "b", "make the bridge");
    let r = env.run(&["--as", "b", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let raw = r#"{"id":"msg-node-1","timestamp":"2026-01-01T00:00:00.000Z","from":"node","to":"b","type":"message","priority":"normal","identity":{},"task":null,"content":{"text":"half \ud83d of an emoji","parts":[]},"replyTo":null,"ttl":null}"#;
    std::fs::write(env.path("to-b/inbox/msg-node-1.json"), raw).unwrap();
    let r = env.run(&["--as", "b", "--json", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = &r.json_lines()[0];
    assert_eq!(m["content"]["text"], "half \u{fffd} of an emoji");
    assert!(env.files("to-b/bad").is_empty());
}

#[test]
fn serve_mcp_picks_up_a_secret_created_after_it_started() {
    let env = TestEnv::new();
    let mut c = McpClient::start(&env, "bob");
    c.initialize();
    assert!(text(&c.call("check_inbox", json!({}))).contains("No pending"));
    std::fs::write(env.path("secret.key"), "made later").unwrap();
    let r = env.run_env(
        &["--as", "a", "send", "--to", "bob", "sealed words"],
        ENCRYPT,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = c.call("check_inbox", json!({}));
    assert!(text(&r).contains("sealed words"), "{r}");
    // And a changed one.
    std::fs::write(env.path("secret.key"), "changed again").unwrap();
    let r = env.run_env(&["--as", "a", "send", "--to", "bob", "resealed"], ENCRYPT);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = c.call("check_inbox", json!({}));
    assert!(text(&r).contains("resealed"), "{r}");
}

#[test]
fn plain_text_that_looks_encrypted_is_refused_and_enc_prose_is_readable() {
    let env = TestEnv::new();
    let r = env.run(&["--as", "a", "send", "--to", "b", "ENC:00aa:11bb:22cc"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("starts like an encrypted message"),
        "{}",
        r.stderr
    );
    assert!(env.files("to-b/inbox").is_empty());
    // Text that merely starts with ENC: is not a poison message.
    env.send("a", "b", "ENC: the encoder notes");
    env.send("a", "b", "next");
    let r = env.run(&["--as", "b", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("ENC: the encoder notes") && r.stdout.contains("next"),
        "{}",
        r.stdout
    );
    assert!(env.files("to-b/inbox").is_empty());
}

#[test]
fn a_mistyped_bridge_path_is_not_created() {
    let env = TestEnv::new();
    let typo = env.dir.path().join("no-such-dir/bridge");
    let typo = typo.to_str().unwrap();
    let r = env.run(&["--bridge", typo, "--as", "a", "send", "--to", "b", "x"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("its parent folder does not exist"),
        "{}",
        r.stderr
    );
    assert!(!env.dir.path().join("no-such-dir").exists());
    // The bridge folder itself is still created.
    env.send("a", "b", "x");
    assert!(env.bridge.is_dir());
}

#[test]
fn register_and_forget_take_the_global_options_like_every_command() {
    let env = TestEnv::new();
    // `register --as NAME` was once a usage error, the one place a global option was refused.
    let r = env.run(&["register", "--as", "nightly"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "nightly\n"),
        "{}",
        r.stderr
    );
    let r = env.run(&["--as", "hourly", "register"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "hourly\n"), "{}", r.stderr);
    // A NAME argument wins over --as.
    let r = env.run(&["--as", "hourly", "register", "weekly"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "weekly\n"), "{}", r.stderr);
    assert!(env.bridge.join("to-weekly").is_dir());
    let r = env.run(&["forget", "--as", "hourly", "weekly"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(!env.bridge.join("to-weekly").exists());
    assert!(env.bridge.join("to-nightly").is_dir() && env.bridge.join("to-hourly").is_dir());
}

#[test]
fn a_new_name_is_queued_with_a_did_you_mean_and_can_be_forgotten() {
    let env = TestEnv::new();
    let r = env.run(&["--as", "bob", "register", "bob"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run(&["--as", "a", "send", "--to", "bbo", "hi"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("nobody has used the name bbo") && r.stderr.contains("did you mean bob?"),
        "{}",
        r.stderr
    );
    assert_eq!(env.files("to-bbo/inbox").len(), 1, "still queued");
    let mut c = McpClient::start(&env, "carol");
    c.initialize();
    let r = c.call("send", json!({"to": "bop", "text": "hi"}));
    assert!(!is_error(&r));
    assert!(text(&r).contains("did you mean bob"), "{r}");
    // forget: pending mail needs --force; a live agent is refused; an unknown name is an error.
    let r = env.run(&["forget", "bbo"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("1 message still waits for bbo"),
        "{}",
        r.stderr
    );
    assert!(env.path("to-bbo").exists());
    let r = env.run(&["forget", "bbo", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!env.path("to-bbo").exists());
    let r = env.run(&["forget", "carol"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("carol is already online"), "{}", r.stderr);
    let r = env.run(&["forget", "nobody"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no agent nobody"), "{}", r.stderr);
}

#[test]
fn wait_never_takes_the_text_for_a_duration() {
    let env = TestEnv::new();
    // The timeouts only keep a broken binary from hanging the test.
    let r = env
        .as_(
            "a",
            &["send", "--to", "b", "--wait", "5m", "--timeout", "200ms"],
        )
        .timeout(Duration::from_secs(10))
        .run();
    assert_eq!(r.code, 124, "{}", r.stderr);
    assert_eq!(stored_text(&env, "b"), "5m", "the one argument is the text");
    let r = env.run(&["--as", "b", "inbox"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env
        .as_("a", &["send", "--to", "b", "--wait=200ms", "question"])
        .timeout(Duration::from_secs(10))
        .run();
    assert_eq!(r.code, 124, "{}", r.stderr);
    assert_eq!(stored_text(&env, "b"), "question");
}

/// Two texts without --wait: the text needs quotes. clap used to say `--wait` was required.
#[test]
fn two_texts_without_wait_say_to_quote_the_message() {
    let env = TestEnv::new();
    let r = env.as_("a", &["send", "--to", "b", "deploy", "now"]).run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "cc2cc: error: two texts given; quote the message as one argument: \
         cc2cc send --to NAME \"TEXT\"\n"
    );
    assert!(!env.path("to-b").exists(), "nothing is sent");
}

/// The README's ask-and-wait lines, run as documented: a timeout must reach the caller.
#[test]
fn the_documented_ask_and_wait_pattern_keeps_the_timeout_status() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let ask = readme
        .lines()
        .find(|l| l.starts_with("reply=$(cc2cc"))
        .expect("the ask-and-wait line");
    let answer = readme
        .lines()
        .find(|l| l.starts_with("answer=$("))
        .expect("the answer line");
    let script = format!(
        "set -e\n{}\n{answer}\necho \"answer=$answer\"\n",
        ask.replace("--timeout 5m", "--timeout 300ms")
    );
    let env = TestEnv::new();
    let mut cmd = env_cmd(&env, &script);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
}

fn env_cmd(env: &TestEnv, script: &str) -> std::process::Command {
    let dir = env.dir.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(bin(), dir.join("cc2cc")).unwrap();
    let mut c = std::process::Command::new("bash");
    c.arg("-c")
        .arg(script)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("CC2CC_BRIDGE_DIR", &env.bridge);
    c
}

#[test]
fn quiet_silences_notes_but_not_errors() {
    let env = TestEnv::new();
    for args in [
        vec!["-q", "--as", "a", "send", "--to", "newcomer", "hi"],
        vec!["--as", "a", "send", "--to", "newcomer", "hi", "--quiet"],
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr, "", "{args:?}");
    }
    let r = env.run_env(
        &["--as", "a", "send", "--to", "newcomer", "hi"],
        &[("CC2CC_QUIET", "1")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let r = env.run(&["-q", "--as", "a", "send", "--to", "Bad", "x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("cc2cc: error: invalid agent name"),
        "{}",
        r.stderr
    );
}

#[test]
fn register_says_how_to_use_the_name() {
    let env = TestEnv::new();
    let r = env.run(&["register", "nightly"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "nightly\n");
    assert!(
        r.stderr.contains("--as nightly or CC2CC_NAME=nightly"),
        "{}",
        r.stderr
    );
    let r = env.run(&["whoami"]);
    assert!(
        r.stderr.contains("pass --as NAME or set CC2CC_NAME=NAME"),
        "{}",
        r.stderr
    );
}

#[test]
fn man_pages_carry_exit_codes_environment_examples_and_json_fields() {
    let root = env!("CARGO_MANIFEST_DIR");
    let pages: Vec<String> = std::fs::read_dir(format!("{root}/man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| Some(f.strip_prefix("cc2cc-")?.strip_suffix(".1")?.to_owned()))
        .filter(|page| page != "help")
        .collect();
    assert!(pages.len() >= 19, "{pages:?}");
    for page in pages {
        let man = std::fs::read_to_string(format!("{root}/man/cc2cc-{page}.1")).unwrap();
        for section in [
            "Examples:",
            "JSON (\\-\\-json)",
            "Exit status:",
            "Environment:",
        ] {
            assert!(man.contains(section), "cc2cc-{page}.1 lacks {section}");
        }
    }
    // The documented set-up makes `man cc2cc-send` work.
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let setup = readme
        .lines()
        .find(|l| l.starts_with("mkdir -p ~/.local/share/man/man1"))
        .expect("man page set-up in the README");
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped the man run: no man here");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "cd {root} && {setup} && export MANPATH=\"$HOME/.local/share/man:\" && man -w cc2cc-send"
        ))
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(".local/share/man/man1/cc2cc-send.1"));
}
