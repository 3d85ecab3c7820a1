//! A message's life: `status` through every state, sent copies and `history` (encrypted on
//! disk, plain on screen), `prune`, scheduled delivery (`send --in/--at`, `tick`, `watch`,
//! `serve-mcp`) and recurring schedules with racing ticks.

use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use crate::support::env::*;
use crate::support::mcp::{McpClient, is_error, text, text_lines};

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn status(env: &TestEnv, who: Option<&str>, id: &str) -> Value {
    let mut c = match who {
        Some(n) => env.as_(n, &["status", "--json", id]),
        None => env.cmd(&["status", "--json", id]),
    };
    let out = c.output().unwrap();
    assert!(out.status.success(), "status {id}: {}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stdout(&out));
    lines[0].clone()
}

/// Runs a command that must fail with `code` and one `cc2cc: error:` line; returns its stderr.
fn fails(mut c: impl std::borrow::BorrowMut<assert_cmd::Command>, code: i32) -> String {
    let out = c.borrow_mut().output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("cc2cc: error: "),
        "{}",
        stderr(&out)
    );
    stderr(&out)
}

fn run_ok(mut c: impl std::borrow::BorrowMut<assert_cmd::Command>) -> std::process::Output {
    let out = c.borrow_mut().output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

#[test]
fn status_follows_a_message_from_queued_to_read_to_answered() {
    let env = TestEnv::new();
    let id = env.send("alice", "bob", "are you there?");
    // The sender's copy names the recipient.
    assert_eq!(env.files("to-alice/sent"), [format!("{id}.json")]);
    let s = status(&env, Some("alice"), &id);
    assert_eq!(s["state"], "queued");
    assert_eq!(s["to"], "bob");
    assert_eq!(s["from"], "alice");
    assert_eq!(s["place"], "inbox");
    assert_eq!(s["read_at"], Value::Null);
    let human = run_ok(env.as_("alice", &["status", &id]));
    assert!(
        stdout(&human).starts_with(&format!("{id}: queued in bob's inbox since ")),
        "{}",
        stdout(&human)
    );

    run_ok(env.as_("bob", &["inbox"]));
    let s = status(&env, Some("alice"), &id);
    assert_eq!(s["state"], "read");
    assert_eq!(s["read_by"], "bob");
    let receipt = env.read_json(&format!("to-bob/receipts/{id}.receipt.json"));
    assert_eq!(s["read_at"], receipt["delivered_at"]);
    // Anyone on the bridge may ask, with no identity at all: every mailbox is tried.
    assert_eq!(status(&env, None, &id)["state"], "read");

    let out = run_ok(env.as_("bob", &["reply", &id, "yes"]));
    let reply = stdout(&out).trim().to_owned();
    let marker = env.read_json(&format!("to-bob/answers/{id}.json"));
    assert_eq!(marker["reply_id"], reply.as_str());
    let s = status(&env, Some("alice"), &id);
    assert_eq!(s["state"], "answered");
    assert_eq!(s["reply_id"], reply.as_str());
    assert_eq!(s["read_by"], "bob", "an answered message was read too");
    let human = run_ok(env.as_("alice", &["status", &id]));
    assert!(
        stdout(&human).starts_with(&format!("{id}: answered by bob with {reply} at ")),
        "{}",
        stdout(&human)
    );
    // The reply itself is queued in alice's inbox.
    assert_eq!(status(&env, Some("bob"), &reply)["state"], "queued");
}

#[test]
fn status_of_scheduled_and_expired_messages_and_unknown_ids() {
    let env = TestEnv::new();
    let out = run_ok(env.as_("alice", &["send", "--to", "bob", "--in", "1h", "later"]));
    let later = stdout(&out).trim().to_owned();
    let s = status(&env, Some("alice"), &later);
    assert_eq!(s["state"], "scheduled");
    assert_eq!(s["place"], "scheduled");

    let sent = SystemTime::now();
    let out = run_ok(
        env.as_(
            "alice",
            &["send", "--to", "bob", "--ttl", "1m", "soon stale"],
        )
        .env("CC2CC_TEST_NOW", rfc3339(sent)),
    );
    let stale = stdout(&out).trim().to_owned();
    let after = rfc3339(sent + Duration::from_secs(120));
    // Past its ttl but not yet retired: no reader will be handed it.
    let s = status_at(&env, &stale, &after);
    assert_eq!(s["state"], "expired");
    assert_eq!(s["place"], "inbox");
    let out = run_ok(env.as_("bob", &["inbox"]).env("CC2CC_TEST_NOW", &after));
    assert_eq!(stdout(&out), "");
    let s = status_at(&env, &stale, &after);
    assert_eq!(s["state"], "expired");
    assert_eq!(s["place"], "done");
    assert_eq!(s["read_at"], Value::Null);
    assert!(
        !env.path(&format!("to-bob/receipts/{stale}.receipt.json"))
            .exists()
    );

    let err = fails(
        env.as_(
            "alice",
            &["status", "msg-00000000-0000-7000-8000-000000000000"],
        ),
        1,
    );
    assert_eq!(
        err.lines().next().unwrap(),
        "cc2cc: error: no message msg-00000000-0000-7000-8000-000000000000 on this bridge"
    );
    let err = fails(env.cmd(&["status", "../etc/passwd"]), 1);
    assert!(err.contains("invalid message id"), "{err}");
}

fn status_at(env: &TestEnv, id: &str, now: &str) -> Value {
    let out = run_ok(
        env.as_("alice", &["status", "--json", id])
            .env("CC2CC_TEST_NOW", now),
    );
    json_lines(&out)[0].clone()
}

#[test]
fn history_shows_both_directions_in_plain_text_while_files_stay_encrypted() {
    let env = TestEnv::new();
    std::fs::create_dir_all(&env.bridge).unwrap();
    std::fs::write(env.path("secret.key"), "correct horse battery staple\n").unwrap();
    let enc = |name: &str, args: &[&str]| {
        let mut c = env.as_(name, args);
        c.env("CC2CC_ENCRYPT", "1");
        run_ok(c)
    };
    let first = stdout(&enc("alice", &["send", "--to", "bob", "deploy at noon?"]))
        .trim()
        .to_owned();
    enc("bob", &["inbox"]);
    let answer = stdout(&enc("bob", &["reply", &first, "Noon works"]))
        .trim()
        .to_owned();
    enc("alice", &["inbox"]);
    let task = stdout(&enc(
        "alice",
        &["send", "--to", "carol", "--type", "task", "write notes"],
    ))
    .trim()
    .to_owned();
    for file in [
        format!("to-alice/sent/{first}.json"),
        format!("to-alice/sent/{task}.json"),
        format!("to-alice/done/{answer}.json"),
        format!("to-bob/sent/{answer}.json"),
    ] {
        let text = env.read_json(&file)["content"]["text"].clone();
        assert!(text.as_str().unwrap().starts_with("ENC:"), "{file}: {text}");
    }
    let out = run_ok(env.as_("alice", &["history", "--json"]));
    let h = json_lines(&out);
    let seen: Vec<(&str, &str, &str)> = h
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap(),
                m["id"].as_str().unwrap(),
                m["content"]["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("sent", first.as_str(), "deploy at noon?"),
            ("received", answer.as_str(), "Noon works"),
            ("sent", task.as_str(), "write notes"),
        ]
    );
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["history", "--json"];
        all.extend_from_slice(args);
        json_lines(&run_ok(env.as_("alice", &all)))
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&["--limit", "2"]), [answer.clone(), task.clone()]);
    assert_eq!(ids(&["--with", "bob"]), [first.clone(), answer.clone()]);
    assert_eq!(ids(&["--grep", "NOON"]), [first.clone(), answer.clone()]);
    assert_eq!(ids(&["--type", "task"]), std::slice::from_ref(&task));
    assert_eq!(ids(&["--since", "1h"]).len(), 3);
    let human = stdout(&run_ok(env.as_("alice", &["history", "--limit", "1"])));
    assert!(
        human.contains(&format!(" -> carol {task} [task]\n  write notes\n")),
        "{human}"
    );
    // bob's history is the mirror image.
    let out = run_ok(env.as_("bob", &["history", "--json"]));
    let dirs: Vec<Value> = json_lines(&out)
        .iter()
        .map(|m| m["direction"].clone())
        .collect();
    assert_eq!(dirs, ["received", "sent"]);
}

#[test]
fn prune_removes_old_history_and_never_pending_mail() {
    let env = TestEnv::new();
    let read = env.send("alice", "bob", "read me");
    run_ok(env.as_("bob", &["inbox"]));
    run_ok(env.as_("bob", &["reply", &read, "done"]));
    let pending = env.send("alice", "bob", "still pending");
    let out = run_ok(env.as_(
        "alice",
        &["send", "--to", "bob", "--in", "30d", "much later"],
    ));
    let scheduled = stdout(&out).trim().to_owned();
    // Nothing is a day old yet.
    let out = run_ok(env.cmd(&["prune", "--older-than", "1d", "--json"]));
    assert_eq!(stdout(&out), "");
    // Two days on, everything old goes: read mail, sent copies, receipts, answer markers.
    let later = rfc3339(SystemTime::now() + Duration::from_secs(2 * 86_400));
    let out = run_ok(
        env.cmd(&["prune", "--older-than", "1d", "--json"])
            .env("CC2CC_TEST_NOW", &later),
    );
    let lines = json_lines(&out);
    assert_eq!(
        lines,
        [
            json!({"mailbox": "alice", "done": 0, "sent": 2, "receipts": 0, "answers": 0, "dry_run": false}),
            json!({"mailbox": "bob", "done": 1, "sent": 1, "receipts": 1, "answers": 1, "dry_run": false}),
        ],
        "the scheduled message's copy is dated at its due time, 30 days on"
    );
    assert_eq!(env.files("to-bob/inbox"), [format!("{pending}.json")]);
    assert_eq!(env.files("to-bob/scheduled"), [format!("{scheduled}.json")]);
    assert_eq!(env.files("to-alice/sent"), [format!("{scheduled}.json")]);
    for dir in [
        "to-bob/done",
        "to-bob/receipts",
        "to-bob/answers",
        "to-bob/sent",
    ] {
        assert!(env.files(dir).is_empty(), "{dir}: {:?}", env.files(dir));
    }
}

#[test]
fn a_scheduled_message_is_invisible_until_due_then_a_running_watch_delivers_it() {
    let env = TestEnv::new();
    run_ok(env.cmd(&["register", "bob"]));
    let out = run_ok(env.as_("alice", &["send", "--to", "bob", "--in", "2s", "wake up"]));
    let sent = Instant::now();
    let id = stdout(&out).trim().to_owned();
    assert!(
        stderr(&out).starts_with("cc2cc: note: scheduled for "),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.files("to-bob/scheduled"), [format!("{id}.json")]);
    assert!(env.files("to-bob/inbox").is_empty());
    let out = run_ok(env.as_("bob", &["inbox", "--peek", "--json"]));
    assert_eq!(stdout(&out), "", "not visible to readers before its time");
    assert_eq!(env.files("to-bob/scheduled"), [format!("{id}.json")]);
    assert_eq!(status(&env, Some("alice"), &id)["state"], "scheduled");

    let mut watch = env.std_cmd(&["--as", "bob", "watch", "--json", "--count", "1"]);
    let mut child = watch
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout_pipe = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout_pipe).lines().map_while(Result::ok) {
            let _ = tx.send((line, Instant::now()));
        }
    });
    let got = rx.recv_timeout(Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    let (line, at) = got.expect("watch printed the scheduled message");
    let m: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["content"]["text"], "wake up");
    let waited = at - sent;
    assert!(waited >= Duration::from_millis(1900), "early: {waited:?}");
    // Due after 2 s, delivered within 1 s of that; 2 s more of slack for a loaded machine.
    assert!(waited < Duration::from_secs(5), "late: {waited:?}");
    assert!(env.files("to-bob/scheduled").is_empty());
    assert_eq!(env.files("to-bob/done"), [format!("{id}.json")]);
    let s = status(&env, Some("alice"), &id);
    assert_eq!(
        (&s["state"], &s["read_by"]),
        (&json!("read"), &json!("bob"))
    );
}

#[test]
fn tick_moves_a_due_scheduled_message_into_the_inbox_once() {
    let env = TestEnv::new();
    let t0 = SystemTime::now();
    let out = run_ok(
        env.as_("alice", &["send", "--to", "bob", "--in", "10m", "at ten"])
            .env("CC2CC_TEST_NOW", rfc3339(t0)),
    );
    let id = stdout(&out).trim().to_owned();
    let tick = |secs: u64| {
        json_lines(&run_ok(
            env.cmd(&["tick", "--json"])
                .env("CC2CC_TEST_NOW", rfc3339(t0 + Duration::from_secs(secs))),
        ))
    };
    assert!(tick(599).is_empty());
    assert_eq!(status(&env, None, &id)["state"], "scheduled");
    assert_eq!(tick(601), [json!({"released": id})]);
    assert!(tick(602).is_empty(), "moved once");
    assert_eq!(env.files("to-bob/inbox"), [format!("{id}.json")]);
    let s = status(&env, None, &id);
    assert_eq!(
        (&s["state"], &s["place"]),
        (&json!("queued"), &json!("inbox"))
    );
    // Its ttl counts from delivery: a day after it was due, not after it was sent.
    let m = env.read_json(&format!("to-bob/inbox/{id}.json"));
    assert_eq!(
        m["timestamp"],
        rfc3339(t0 + Duration::from_secs(600)).as_str()
    );
}

#[test]
fn send_at_accepts_rfc3339_and_hh_mm_and_refuses_the_past() {
    let env = TestEnv::new();
    let at = rfc3339(SystemTime::now() + Duration::from_secs(3600));
    let out = run_ok(env.as_(
        "alice",
        &["--json", "send", "--to", "bob", "--at", &at, "x"],
    ));
    let line = &json_lines(&out)[0];
    assert_eq!(line["scheduled"], at.as_str());
    assert_eq!(
        env.read_json(&format!(
            "to-bob/scheduled/{}.json",
            line["id"].as_str().unwrap()
        ))["timestamp"],
        at.as_str()
    );
    let out = run_ok(env.as_(
        "alice",
        &["--json", "send", "--to", "bob", "--at", "07:30", "y"],
    ));
    let due = humantime::parse_rfc3339(json_lines(&out)[0]["scheduled"].as_str().unwrap()).unwrap();
    assert!(due > SystemTime::now() && due <= SystemTime::now() + Duration::from_secs(86_400));
    let past = fails(
        env.as_(
            "alice",
            &["send", "--to", "bob", "--at", "2020-01-01T00:00:00Z", "z"],
        ),
        2,
    );
    // What is wrong, then what to do instead, in the flags of the command that was run.
    assert!(
        past.starts_with("cc2cc: error: 2020-01-01T00:00:00Z is in the past (now is ")
            && past.ends_with("); use --in DURATION or a later time\n"),
        "{past}"
    );
    for (bad, why) in [
        ("25:00", "\"25:00\" is not a time of day"),
        ("soon", "\"soon\" is not a time: use RFC 3339"),
    ] {
        let err = fails(
            env.as_("alice", &["send", "--to", "bob", "--at", bad, "z"]),
            2,
        );
        assert!(err.starts_with(&format!("cc2cc: error: {why}")), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert_eq!(env.files("to-bob/scheduled").len(), 2);
}

/// The occurrence each message in `name`'s inbox was fired for.
fn occurrences(env: &TestEnv, name: &str) -> Vec<String> {
    let out = run_ok(env.as_(name, &["inbox", "--peek", "--json"]));
    json_lines(&out)
        .iter()
        .map(|m| m["occurrence"].as_str().expect("an occurrence").to_owned())
        .collect()
}

#[test]
fn three_racing_tick_loops_deliver_each_occurrence_once() {
    let env = TestEnv::new();
    let out = run_ok(env.as_(
        "cron-job",
        &["schedule", "add", "--to", "bob", "--every", "1s", "beat"],
    ));
    let schedule = stdout(&out).trim().to_owned();
    assert!(schedule.starts_with("sch-"), "{schedule}");
    let stop = Instant::now() + Duration::from_millis(4500);
    let loops: Vec<_> = (0..3)
        .map(|_| {
            let mut tick = env.std_cmd(&["tick"]);
            std::thread::spawn(move || {
                let mut runs = 0;
                while Instant::now() < stop {
                    let out = tick.output().unwrap();
                    assert!(out.status.success(), "{}", stderr(&out));
                    runs += 1;
                }
                runs
            })
        })
        .collect();
    let runs: usize = loops.into_iter().map(|t| t.join().unwrap()).sum();
    run_ok(env.cmd(&["schedule", "rm", &schedule]));
    let seen = occurrences(&env, "bob");
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "an occurrence came twice: {seen:?}"
    );
    assert!(
        (2..=5).contains(&seen.len()),
        "{} occurrences in 4.5 s from {runs} ticks: {seen:?}",
        seen.len()
    );
    // Each one-second occurrence, in order (the loops tick many times a second).
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    // The sender keeps a copy of each.
    assert_eq!(env.files("to-cron-job/sent").len(), seen.len());
}

#[test]
fn missed_occurrences_fire_once_and_schedule_rm_stops_it() {
    let env = TestEnv::new();
    let t0 = SystemTime::now();
    let at = |secs: u64| rfc3339(t0 + Duration::from_secs(secs));
    let out = run_ok(
        env.as_(
            "cron-job",
            &[
                "schedule", "add", "--to", "bob", "--every", "1m", "--type", "status", "-",
            ],
        )
        .env("CC2CC_TEST_NOW", at(0))
        .write_stdin("hourly report\n"),
    );
    let id = stdout(&out).trim().to_owned();
    let tick = |secs: u64| -> Vec<Value> {
        json_lines(&run_ok(
            env.cmd(&["tick", "--json"]).env("CC2CC_TEST_NOW", at(secs)),
        ))
    };
    assert!(tick(30).is_empty(), "not due yet");
    // Ten minutes with nothing running: one message, for the latest occurrence.
    let fired = tick(600 + 5);
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["fired"], id.as_str());
    assert!(tick(600 + 30).is_empty(), "that occurrence is done");
    assert_eq!(tick(660 + 1).len(), 1, "the next one fires");
    let seen = occurrences(&env, "bob");
    assert_eq!(seen, [at(600), at(660)]);
    let inbox = json_lines(&run_ok(env.as_("bob", &["inbox", "--json"])));
    assert_eq!(inbox[0]["type"], "status");
    assert_eq!(inbox[0]["content"]["text"], "hourly report");
    assert_eq!(inbox[0]["schedule"], id.as_str());

    let list = json_lines(&run_ok(
        env.cmd(&["schedule", "list", "--json"])
            .env("CC2CC_TEST_NOW", at(700)),
    ));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["every"], 60);
    assert_eq!(list[0]["last_fired"], at(660).as_str());
    assert_eq!(list[0]["next"], at(720).as_str());

    run_ok(env.cmd(&["schedule", "rm", &id]));
    assert!(tick(3600).is_empty(), "a removed schedule never fires");
    assert!(
        env.files("schedules").is_empty(),
        "{:?}",
        env.files("schedules")
    );
    // Markers left by a tick that raced the removal are cleared by the next tick.
    std::fs::create_dir_all(env.path(&format!("schedules/{id}.fired"))).unwrap();
    std::fs::write(env.path(&format!("schedules/{id}.fired/1")), "").unwrap();
    assert!(tick(3700).is_empty());
    assert!(
        env.files("schedules").is_empty(),
        "{:?}",
        env.files("schedules")
    );
    let err = fails(env.cmd(&["schedule", "rm", &id]), 1);
    assert_eq!(
        err.lines().next().unwrap(),
        format!("cc2cc: error: no schedule {id} on this bridge")
    );
}

#[test]
fn cron_schedules_fire_the_latest_matching_minute_once() {
    let env = TestEnv::new();
    // On a minute boundary, so the expected occurrences are exact whatever the zone.
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(now - now % 60);
    let at = |secs: u64| rfc3339(t0 + Duration::from_secs(secs));
    run_ok(
        env.as_(
            "cron-job",
            &[
                "schedule",
                "add",
                "--to",
                "bob",
                "--cron",
                "* * * * *",
                "tick",
            ],
        )
        .env("CC2CC_TEST_NOW", at(1)),
    );
    let tick = |secs: u64| {
        json_lines(&run_ok(
            env.cmd(&["tick", "--json"]).env("CC2CC_TEST_NOW", at(secs)),
        ))
        .len()
    };
    assert_eq!(tick(59), 0);
    assert_eq!(tick(60 * 45 + 10), 1, "45 missed minutes fire once");
    assert_eq!(tick(60 * 45 + 50), 0);
    assert_eq!(occurrences(&env, "bob"), [at(60 * 45)]);
    for bad in ["* * * *", "61 * * * *", "*/0 * * * *"] {
        let out = env
            .as_(
                "cron-job",
                &["schedule", "add", "--to", "bob", "--cron", bad, "x"],
            )
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let out = env
        .as_("cron-job", &["schedule", "add", "--to", "bob", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--every or --cron is required");
}

#[test]
fn mcp_tools_message_status_and_history_and_a_scheduled_push() {
    let env = TestEnv::new();
    let mut c = McpClient::start(&env, "brave-fox");
    c.initialize();
    let r = c.call("send", json!({"to": "calm-owl", "text": "status check"}));
    assert!(!is_error(&r), "{r}");
    let t = text(&r);
    assert!(t.contains("Queued: calm-owl is offline"), "{t}");
    let id = t.split_whitespace().nth(1).unwrap().to_owned();
    let r = c.call("message_status", json!({"msg_id": id}));
    let s: Value = serde_json::from_str(&text(&r)).unwrap();
    assert_eq!(s["state"], "queued");
    assert_eq!(
        s,
        status(&env, Some("brave-fox"), &id),
        "the same library answer"
    );
    let r = c.call("message_status", json!({"msg_id": "msg-nope"}));
    assert!(is_error(&r));
    assert!(
        text(&r).contains("no message msg-nope on this bridge"),
        "{}",
        text(&r)
    );

    let r = c.call("history", json!({"query": "STATUS", "limit": 5}));
    let h = text(&r);
    assert!(
        h.contains(&format!("[sent] msg_id={id} to=calm-owl type=message")),
        "{h}"
    );
    assert_eq!(text_lines(&h), ["status check"], "{h}");
    let r = c.call("history", json!({"with": "nobody"}));
    assert!(
        text(&r).starts_with("No history for brave-fox matches."),
        "{}",
        text(&r)
    );
    let r = c.call("history", json!({"limit": 0}));
    assert!(is_error(&r));

    // A message scheduled for the session is neither shown nor pushed before its time, then
    // the server's own timer delivers it.
    let out = run_ok(env.as_(
        "calm-owl",
        &["send", "--to", "brave-fox", "--in", "2s", "later"],
    ));
    let later = stdout(&out).trim().to_owned();
    let r = c.call("check_inbox", json!({}));
    assert!(!text(&r).contains(&later), "{}", text(&r));
    let push = c.push_of(&later);
    let content = push["params"]["content"].as_str().unwrap();
    assert_eq!(text_lines(content), ["later"], "{content}");
}

#[test]
fn a_running_watch_fires_recurring_schedules_on_its_own() {
    let env = TestEnv::new();
    run_ok(env.as_(
        "cron-job",
        &[
            "schedule",
            "add",
            "--to",
            "bob",
            "--every",
            "1s",
            "heartbeat",
        ],
    ));
    let out = run_ok(
        env.as_(
            "bob",
            &["watch", "--json", "--count", "2", "--timeout", "20s"],
        )
        .timeout(Duration::from_secs(30)),
    );
    let got = json_lines(&out);
    assert_eq!(got.len(), 2, "{}", stdout(&out));
    for m in &got {
        assert_eq!(m["content"]["text"], "heartbeat");
        assert_eq!(m["from"], "cron-job");
        assert!(m["schedule"].as_str().unwrap().starts_with("sch-"));
    }
    assert_ne!(got[0]["occurrence"], got[1]["occurrence"]);
}

#[test]
fn encrypted_schedules_stay_encrypted_on_disk_and_notices_keep_no_copy() {
    let mut env = TestEnv::new();
    std::fs::create_dir_all(&env.bridge).unwrap();
    std::fs::write(env.path("secret.key"), "s3cret").unwrap();
    let t0 = SystemTime::now();
    env.now = Some(rfc3339(t0));
    let out = run_ok(
        env.as_(
            "cron-job",
            &[
                "schedule",
                "add",
                "--to",
                "bob",
                "--every",
                "1h",
                "--ttl",
                "1m",
                "secret plan",
            ],
        )
        .env("CC2CC_ENCRYPT", "1"),
    );
    let id = stdout(&out).trim().to_owned();
    let stored = env.read_json(&format!("schedules/{id}.json"));
    assert!(
        stored["text"].as_str().unwrap().starts_with("ENC:"),
        "{stored}"
    );
    let list = json_lines(&run_ok(env.cmd(&["schedule", "list", "--json"])));
    assert_eq!(list[0]["text"], "secret plan");
    // Fired by a tick without CC2CC_ENCRYPT: the text stays as it was stored.
    env.now = Some(rfc3339(t0 + Duration::from_secs(3601)));
    let fired = json_lines(&run_ok(env.cmd(&["tick", "--json"])));
    let msg = fired[0]["id"].as_str().unwrap().to_owned();
    let on_disk = env.read_json(&format!("to-bob/inbox/{msg}.json"));
    assert!(
        on_disk["content"]["text"]
            .as_str()
            .unwrap()
            .starts_with("ENC:")
    );
    let copy = env.read_json(&format!("to-cron-job/sent/{msg}.json"));
    assert_eq!(copy["content"]["text"], on_disk["content"]["text"]);
    // It expires unread: bob's reader tells cron-job, and that notice is no sent copy of bob's.
    env.now = Some(rfc3339(t0 + Duration::from_secs(3601 + 120)));
    run_ok(env.as_("bob", &["inbox"]));
    assert_eq!(status(&env, Some("cron-job"), &msg)["state"], "expired");
    assert_eq!(env.files("to-cron-job/inbox").len(), 1, "the expiry notice");
    assert!(
        env.files("to-bob/sent").is_empty(),
        "{:?}",
        env.files("to-bob/sent")
    );
}

#[test]
fn broadcast_keeps_a_sent_copy_per_recipient() {
    let env = TestEnv::new();
    for n in ["bob", "carol"] {
        run_ok(env.cmd(&["register", n]));
    }
    let out = run_ok(env.as_(
        "alice",
        &["--json", "broadcast", "--include-offline", "all hands"],
    ));
    let ids: Vec<String> = json_lines(&out)
        .iter()
        .map(|m| format!("{}.json", m["id"].as_str().unwrap()))
        .collect();
    assert_eq!(ids.len(), 2);
    let mut copies = env.files("to-alice/sent");
    copies.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(copies, want);
}

#[test]
fn the_sent_copy_is_the_delivered_file_and_outlives_it() {
    use std::os::unix::fs::MetadataExt;
    let env = TestEnv::new();
    run_ok(env.cmd(&["register", "bob"]));
    let id = stdout(&run_ok(
        env.as_("alice", &["send", "--to", "bob", "kept twice"]),
    ))
    .trim()
    .to_owned();
    let (copy, delivered) = (
        env.path(&format!("to-alice/sent/{id}.json")),
        env.path(&format!("to-bob/inbox/{id}.json")),
    );
    // One file under two names: the copy cost no second write.
    let (a, b) = (copy.metadata().unwrap(), delivered.metadata().unwrap());
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
    assert_eq!(a.mode() & 0o777, 0o600);
    // bob reads it and his done/ is emptied: alice's copy stays whole.
    run_ok(env.as_("bob", &["inbox"]));
    std::fs::remove_file(env.path(&format!("to-bob/done/{id}.json"))).unwrap();
    assert_eq!(
        env.read_json(&format!("to-alice/sent/{id}.json"))["content"]["text"],
        "kept twice"
    );
    assert_eq!(copy.metadata().unwrap().nlink(), 1);
    let h = json_lines(&run_ok(env.as_("alice", &["history", "--json"])));
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["id"], id.as_str());
}

#[test]
fn a_failed_delivery_leaves_no_sent_copy_and_a_failed_copy_no_delivery() {
    let env = TestEnv::new();
    for name in ["alice", "bob", "carol"] {
        run_ok(env.cmd(&["register", name]));
    }
    // A plain file where a folder should be makes that write fail.
    let block = |dir: &str| {
        std::fs::remove_dir_all(env.path(dir)).ok();
        std::fs::write(env.path(dir), "not a directory").unwrap();
    };
    let send_fails = |to: &str| fails(env.as_("alice", &["send", "--to", to, "x"]), 1);
    block("to-bob/inbox");
    send_fails("bob");
    assert!(
        env.files("to-alice/sent").is_empty(),
        "{:?}",
        env.files("to-alice/sent")
    );
    block("to-alice/sent");
    assert!(send_fails("carol").contains("to-alice/sent"));
    assert!(
        env.files("to-carol/inbox").is_empty(),
        "{:?}",
        env.files("to-carol/inbox")
    );
}

#[test]
fn a_rename_takes_scheduled_messages_along() {
    let env = TestEnv::new();
    let mut c = McpClient::start(&env, "brave-fox");
    c.initialize();
    let out = run_ok(env.as_(
        "calm-owl",
        &["send", "--to", "brave-fox", "--in", "1h", "for later"],
    ));
    let id = stdout(&out).trim().to_owned();
    assert_eq!(env.files("to-brave-fox/scheduled"), [format!("{id}.json")]);
    let r = c.call("register", json!({"name": "swift-fox"}));
    assert!(!is_error(&r), "{r}");
    assert!(env.files("to-brave-fox/scheduled").is_empty());
    assert_eq!(env.files("to-swift-fox/scheduled"), [format!("{id}.json")]);
}
