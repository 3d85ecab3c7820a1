//! `cc2cc relay` without a server (bad arguments, an unreachable server) and what the rest of
//! cc2cc makes of the heartbeats a relay mirrors. The relay against a real nats-server is proven
//! by tests/relay/test_relay.py.

use crate::support::env::{TestEnv, json_lines, stderr, stdout};
use crate::support::mcp::McpClient;
use serde_json::json;

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

/// A heartbeat as a relay writes it for an agent of another host.
fn mirror(env: &TestEnv, name: &str, host: &str, at: &str) {
    let dir = env.path("status");
    std::fs::create_dir_all(&dir).unwrap();
    let hb = json!({"agent": name, "name": name, "timestamp": at, "heartbeat": at,
                    "session_id": null, "parent_pid": null, "status": "active",
                    "context": "via relay", "host": host, "mirror": true});
    std::fs::write(dir.join(format!("{name}-heartbeat.json")), hb.to_string()).unwrap();
}

#[test]
fn list_shows_the_host_of_mirrored_agents() {
    let mut env = TestEnv::new();
    env.now = Some("2026-11-23T23:08:00.000Z".into());
    mirror(&env, "bob", "far", "2026-11-23T23:07:55.000Z");
    mirror(&env, "carol", "far", "2026-11-23T23:07:00.000Z");
    let out = env.cmd(&["list", "--json"]).output().unwrap();
    let agents = json_lines(&out);
    assert_eq!(agents[0]["name"], "bob");
    assert_eq!(agents[0]["host"], "far");
    assert_eq!(agents[0]["status"], "online");
    assert_eq!(agents[1]["status"], "offline", "60 s old: out of reach");
    let table = stdout(&env.cmd(&["list"]).output().unwrap());
    assert!(table.starts_with("NAME "), "{table}");
    assert!(table.lines().next().unwrap().contains(" HOST "), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("bob ") && l.contains(" far ")),
        "{table}"
    );
}

#[test]
fn a_mirror_is_judged_by_age_even_under_this_machines_name() {
    // Two machines may share a host name; a mirror never has a lock here to prove it alive.
    let mut env = TestEnv::new();
    env.now = Some("2026-11-23T23:08:00.000Z".into());
    mirror(&env, "bob", &hostname(), "2026-11-23T23:07:58.000Z");
    let agents = json_lines(&env.cmd(&["list", "--json"]).output().unwrap());
    assert_eq!(agents[0]["status"], "online");
    // The same heartbeat without the mirror mark is one of ours: no lock, so offline.
    let path = env.path("status/bob-heartbeat.json");
    let mut hb: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    hb.as_object_mut().unwrap().remove("mirror");
    std::fs::write(&path, hb.to_string()).unwrap();
    let agents = json_lines(&env.cmd(&["list", "--json"]).output().unwrap());
    assert_eq!(agents[0]["status"], "offline");
}

#[test]
fn relay_refuses_bad_arguments_and_unreachable_servers() {
    let env = TestEnv::new();
    let out = env
        .cmd(&["relay", "--nats", "nats://127.0.0.1:1", "--host", "a.b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--host \"a.b\""), "{}", stderr(&out));

    let out = env.cmd(&["relay", "--host", "a"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no --nats: {}", stderr(&out));

    let out = env
        .cmd(&["relay", "--nats", "ftp://127.0.0.1:1", "--host", "a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let out = env
        .cmd(&[
            "relay",
            "--nats",
            "nats://secret-token@127.0.0.1:1",
            "--host",
            "a",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("cc2cc: error: cannot connect to NATS at nats://127.0.0.1:1: "),
        "{err}"
    );
    assert!(
        !err.contains("secret-token"),
        "credentials never printed: {err}"
    );
    assert_eq!(err.lines().count(), 2, "one error line and a hint: {err}");
}

#[test]
fn relay_without_its_program_beside_cc2cc_says_what_is_missing() {
    let env = TestEnv::new();
    let lone = env.dir.path().join("lone");
    std::fs::create_dir(&lone).unwrap();
    let bin = lone.join("cc2cc");
    std::fs::copy(crate::support::env::bin(), &bin).unwrap();
    let out = env
        .std_cmd_of(
            &bin,
            &["relay", "--nats", "nats://127.0.0.1:1", "--host", "a"],
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "cc2cc: error: cannot run the relay ({}): No such file or directory (os error 2)\n\
             hint: the relay is the program cc2cc-relay, installed beside cc2cc (install.sh, or \
             `cargo install --path .`, installs both)\n",
            lone.join("cc2cc-relay").display()
        )
    );
}

#[test]
fn serve_mcp_lists_and_reaches_agents_of_other_hosts() {
    let env = TestEnv::new();
    let now = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    mirror(&env, "bob", "far", &now);
    let mut c = McpClient::start(&env, "calm-owl");
    c.initialize();
    let listed = c.call("list_agents", json!({}));
    let text = listed["content"][0]["text"].as_str().unwrap();
    let agents: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    let bob = agents
        .iter()
        .find(|a| a["name"] == "bob")
        .expect("bob listed");
    assert_eq!(bob["status"], "online");
    assert_eq!(bob["host"], "far");
    let sent = c.call("send", json!({"to": "bob", "text": "hi"}));
    assert_eq!(sent["isError"], json!(false), "{sent}");
    // Queued in bob's mailbox here, where the relay picks it up for host far.
    assert_eq!(env.files("to-bob/inbox").len(), 1);
    c.close_stdin();
    c.wait();
}
