//! The original Node implementation's own files (tests/fixtures/cc2cc-v3, copied verbatim), read and answered
//! by us. Each test works on a copy.

use crate::support::env::*;

const TASK: &str = "msg-b269a23f-59ad-42dd-82fd-477693a440e2";
const BROADCAST: &str = "msg-071f0c8a-7420-4535-ac2d-97cf16250945";
const ENCRYPTED: &str = "msg-505f72af-f9ca-493b-8908-dceff7401ec6";
/// Well after every fixture's ttl of one hour ran out.
const LATER: &str = "2026-11-25T09:00:00.000Z";

#[test]
fn list_shows_the_original_agents_offline() {
    let env = TestEnv::fixture("plain");
    let out = env.cmd(&["list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let agents = json_lines(&out);
    let names: Vec<&str> = agents.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["brave-fox", "calm-owl"]);
    assert!(agents.iter().all(|a| a["status"] == "offline"));
    assert_eq!(agents[0]["last_seen"], "2026-11-23T23:30:04.196Z");
}

#[test]
fn an_active_original_heartbeat_counts_as_online_for_15_seconds() {
    let mut env = TestEnv::fixture("encrypted");
    env.now = Some("2026-11-23T23:30:30.000Z".into()); // 11.7 s after its heartbeat
    let agents = json_lines(&env.cmd(&["list", "--json"]).output().unwrap());
    assert_eq!(agents[0]["name"], "brave-fox");
    assert_eq!(agents[0]["status"], "online");
    env.now = Some("2026-11-23T23:30:40.000Z".into()); // 21.7 s: gone
    let agents = json_lines(&env.cmd(&["list", "--json"]).output().unwrap());
    assert_eq!(agents[0]["status"], "offline");
}

#[test]
fn reply_to_the_original_task_addresses_its_sender() {
    let env = TestEnv::fixture("plain");
    let out = env
        .as_("brave-fox", &["reply", TASK, "--json", "tests are green"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let id = json_lines(&out)[0]["id"].as_str().unwrap().to_owned();
    let msg = env.read_json(&format!("to-calm-owl/inbox/{id}.json"));
    assert_eq!(msg["from"], "brave-fox");
    assert_eq!(msg["to"], "calm-owl");
    assert_eq!(msg["type"], "response");
    assert_eq!(msg["replyTo"], TASK);
    assert_eq!(msg["content"]["text"], "tests are green");
}

#[test]
fn the_expired_broadcast_is_retired_unread_and_its_sender_told() {
    let mut env = TestEnv::fixture("plain");
    env.now = Some(LATER.into());
    let out = env.as_("brave-fox", &["inbox", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "an expired message is not shown as new");
    assert!(stderr(&out).contains(BROADCAST), "{}", stderr(&out));
    assert!(env.files("to-brave-fox/inbox").is_empty());
    assert!(
        env.files("to-brave-fox/done")
            .contains(&format!("{BROADCAST}.json"))
    );
    assert!(
        !env.files("to-brave-fox/receipts")
            .contains(&format!("{BROADCAST}.receipt.json")),
        "expired is not delivered: no receipt"
    );
    let notices = json_lines(&env.as_("calm-owl", &["inbox", "--json"]).output().unwrap());
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["type"], "status");
    assert_eq!(notices[0]["from"], "brave-fox");
    assert_eq!(notices[0]["replyTo"], BROADCAST);
    assert!(
        notices[0]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("expired unread")
    );
}

#[test]
fn the_pending_broadcast_reads_normally_before_it_expires() {
    let mut env = TestEnv::fixture("plain");
    env.now = Some("2026-11-23T23:45:00.000Z".into());
    let msgs = json_lines(&env.as_("brave-fox", &["inbox", "--json"]).output().unwrap());
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["id"], BROADCAST);
    assert_eq!(msgs[0]["content"]["text"], "hello everyone");
    assert_eq!(msgs[0]["priority"], "low");
    // History holds the original's read task with its newline intact.
    let all = json_lines(
        &env.as_("brave-fox", &["inbox", "--json", "--all"])
            .output()
            .unwrap(),
    );
    assert_eq!(all[0]["id"], TASK);
    assert_eq!(
        all[0]["content"]["text"],
        "please run the tests\nand report back"
    );
}

#[test]
fn the_original_encrypted_task_decrypts() {
    let mut env = TestEnv::fixture("encrypted");
    env.now = Some("2026-11-23T23:31:00.000Z".into());
    let out = env
        .as_("brave-fox", &["inbox", "--json"])
        .env("CC2CC_ENCRYPT", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let msgs = json_lines(&out);
    assert_eq!(msgs[0]["id"], ENCRYPTED);
    assert_eq!(
        msgs[0]["content"]["text"],
        "encrypted hello from node — ünïcödé ✓"
    );
    assert_eq!(
        env.files("to-brave-fox/done"),
        [format!("{ENCRYPTED}.json")]
    );
}

#[test]
fn a_wrong_secret_fails_clearly_and_keeps_the_message() {
    let mut env = TestEnv::fixture("encrypted");
    env.now = Some("2026-11-23T23:31:00.000Z".into());
    std::fs::write(env.path("secret.key"), "not the right secret\n").unwrap();
    let before = std::fs::read(env.path(&format!("to-brave-fox/inbox/{ENCRYPTED}.json"))).unwrap();
    let out = env
        .as_("brave-fox", &["inbox"])
        .env("CC2CC_ENCRYPT", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "", "ciphertext is never shown as text");
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("cc2cc: error: cannot decrypt message {ENCRYPTED}")),
        "{err}"
    );
    let after = std::fs::read(env.path(&format!("to-brave-fox/inbox/{ENCRYPTED}.json"))).unwrap();
    assert_eq!(before, after, "the file stays in the inbox, untouched");
    // No secret at all: the same clear refusal.
    std::fs::remove_file(env.path("secret.key")).unwrap();
    let out = env.as_("brave-fox", &["inbox", "--peek"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no shared secret"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn we_encrypt_the_way_the_original_does() {
    let env = TestEnv::fixture("encrypted");
    let out = env
        .as_("calm-owl", &["send", "--to", "brave-fox", "secret plans ✓"])
        .env("CC2CC_ENCRYPT", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_owned();
    let msg = env.read_json(&format!("to-brave-fox/inbox/{id}.json"));
    let text = msg["content"]["text"].as_str().unwrap();
    let parts: Vec<&str> = text.split(':').collect();
    assert_eq!(parts[0], "ENC");
    assert_eq!(
        (parts[1].len(), parts[2].len()),
        (24, 32),
        "12-byte IV, 16-byte tag, in hex"
    );
    let out = env.as_("brave-fox", &["inbox", "--json"]).output().unwrap();
    let got: Vec<String> = json_lines(&out)
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(got.contains(&"secret plans ✓".to_owned()), "{got:?}");
    // Asked to encrypt with no secret: refuse rather than send plain text.
    let plain = TestEnv::new();
    let out = plain
        .as_("a", &["send", "--to", "b", "x"])
        .env("CC2CC_ENCRYPT", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(plain.files("to-b/inbox").is_empty());
}
