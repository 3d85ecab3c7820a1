//! The original Node implementation's own files, read and answered by us.

use crate::env::*;

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
