//! The scriptable commands end to end.

use crate::env::*;

#[test]
fn send_then_inbox_round_trip() {
    let env = TestEnv::new();
    let id = env.send("calm-owl", "brave-fox", "hello there");
    assert!(id.starts_with("msg-"), "{id}");
    assert_eq!(env.files("to-brave-fox/inbox"), [format!("{id}.json")]);
    let out = env.as_("brave-fox", &["inbox", "--json"]).output().unwrap();
    assert!(out.status.success());
    let msgs = json_lines(&out);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["content"]["text"], "hello there");
    assert_eq!(msgs[0]["from"], "calm-owl");
    assert!(env.files("to-brave-fox/inbox").is_empty());
    assert_eq!(env.files("to-brave-fox/done"), [format!("{id}.json")]);
    let receipt = env.read_json(&format!("to-brave-fox/receipts/{id}.receipt.json"));
    assert_eq!(receipt["msg_id"], id.as_str());
    assert_eq!(receipt["delivered_to"], "brave-fox");
}
