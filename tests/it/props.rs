//! Properties of the library over generated input: message JSON round-trips and keeps what it
//! does not know, encryption round-trips and its `ENC:` parser never panics, and no name or id
//! that passes validation can make a path leave the bridge.

use cc2cc::bridge::{Bridge, Draft, Error, Message, Name, crypto, ids, names};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::path::{Component, Path};
use std::sync::OnceLock;

/// Modest case counts: the suite must stay fast on two cores.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---- message JSON ----

const KNOWN: [&str; 11] = [
    "id",
    "timestamp",
    "from",
    "to",
    "type",
    "priority",
    "identity",
    "task",
    "content",
    "replyTo",
    "ttl",
];

/// Any JSON value a newer writer might put in a field, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z_$.-]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Field names a newer writer might add: anything but the ones we know.
fn extra_fields(known: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(("[a-zA-Z_][a-zA-Z0-9_-]{0,10}", json_value()), 0..4).prop_map(
        move |kv| {
            kv.into_iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .collect()
        },
    )
}

/// A complete message object as any writer (the original, us, or a newer version) may write it.
fn message_json() -> impl Strategy<Value = Value> {
    let text = prop_oneof![any::<String>(), "ENC:[0-9a-f:]{0,40}", "[ -~\n\t]{0,200}"];
    let content =
        (text, json_value(), extra_fields(&["text", "parts"])).prop_map(|(text, parts, extra)| {
            let mut c = Map::new();
            c.insert("text".into(), Value::from(text));
            c.insert("parts".into(), parts);
            c.extend(extra);
            Value::Object(c)
        });
    (
        (any::<String>(), any::<String>(), any::<String>()),
        (any::<String>(), any::<String>(), any::<String>()),
        (json_value(), json_value(), json_value()),
        (content, proptest::option::of(any::<String>())),
        extra_fields(&KNOWN),
    )
        .prop_map(
            |(
                (id, timestamp, from),
                (to, kind, priority),
                (identity, task, ttl),
                (content, reply),
                extra,
            )| {
                let mut m = Map::new();
                m.insert("id".into(), id.into());
                m.insert("timestamp".into(), timestamp.into());
                m.insert("from".into(), from.into());
                m.insert("to".into(), to.into());
                m.insert("type".into(), kind.into());
                m.insert("priority".into(), priority.into());
                m.insert("identity".into(), identity);
                m.insert("task".into(), task);
                m.insert("content".into(), content);
                m.insert("replyTo".into(), reply.map_or(Value::Null, Value::from));
                m.insert("ttl".into(), ttl);
                m.extend(extra);
                Value::Object(m)
            },
        )
}

proptest! {
    #![proptest_config(config(256))]

    /// Whatever a writer put in the file comes back out, unknown fields included, in the
    /// compact and in the pretty form.
    #[test]
    fn message_json_round_trips_and_keeps_unknown_fields(src in message_json()) {
        let compact = serde_json::to_string(&src).unwrap();
        let m: Message = serde_json::from_str(&compact).unwrap();
        prop_assert_eq!(&serde_json::to_value(&m).unwrap(), &src);
        let again: Message = serde_json::from_str(&m.to_pretty_json()).unwrap();
        prop_assert_eq!(&again, &m);
        let pretty = serde_json::to_string_pretty(&src).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Message>(&pretty).unwrap(), &m);
    }

    /// The original's minimal messages (only id, from, content.text) read with the defaults
    /// filled in, and extra fields survive a write.
    #[test]
    fn minimal_messages_get_defaults_and_keep_extras(
        id in any::<String>(),
        from in any::<String>(),
        text in any::<String>(),
        extra in extra_fields(&KNOWN),
    ) {
        let mut src = Map::new();
        src.insert("id".into(), id.clone().into());
        src.insert("from".into(), from.into());
        src.insert("content".into(), json!({ "text": text }));
        src.extend(extra.clone());
        let m: Message = serde_json::from_value(Value::Object(src)).unwrap();
        prop_assert_eq!(&m.id, &id);
        prop_assert_eq!(m.kind.as_str(), "message");
        prop_assert_eq!(m.priority.as_str(), "normal");
        prop_assert_eq!(&m.extra, &extra);
        let written: Value = serde_json::from_str(&m.to_pretty_json()).unwrap();
        for (k, v) in &extra {
            prop_assert_eq!(&written[k], v);
        }
    }

    /// Damaged files are errors, never panics, and never half a message.
    #[test]
    fn damaged_message_files_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = serde_json::from_slice::<Message>(&bytes);
    }

    #[test]
    fn a_truncated_message_is_an_error(src in message_json(), cut in any::<prop::sample::Index>()) {
        let full = serde_json::to_vec_pretty(&src).unwrap();
        let at = cut.index(full.len()); // strictly shorter than the whole file
        prop_assert!(serde_json::from_slice::<Message>(&full[..at]).is_err());
    }

    #[test]
    fn wrongly_typed_fields_are_errors_not_panics(v in json_value(), field in prop::sample::select(KNOWN.to_vec())) {
        let mut m = serde_json::to_value(Message::new("a", Draft::new("b", "hi"))).unwrap();
        m[field] = v;
        let _ = serde_json::from_value::<Message>(m);
    }
}

// ---- encryption ----

fn key() -> &'static crypto::Key {
    static KEY: OnceLock<crypto::Key> = OnceLock::new();
    KEY.get_or_init(|| crypto::Key::derive("  the shared secret\n"))
}

fn other_key() -> &'static crypto::Key {
    static KEY: OnceLock<crypto::Key> = OnceLock::new();
    KEY.get_or_init(|| crypto::Key::derive("a different secret"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Strings shaped like `ENC:` text: the right prefix and separators, hex or not, any lengths.
fn enc_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| hex(&b)),
        "[0-9a-fA-F]{0,41}",
        any::<String>(),
    ];
    prop::collection::vec(part, 0..6).prop_map(|parts| format!("ENC:{}", parts.join(":")))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn encryption_round_trips(text in any::<String>()) {
        let enc = crypto::encrypt(key(), &text);
        prop_assert!(crypto::is_encrypted(&enc));
        prop_assert_eq!(crypto::decrypt(key(), &enc), Ok(text.clone()));
        prop_assert!(crypto::decrypt(other_key(), &enc).is_err(), "a wrong key never decrypts");
    }

    #[test]
    fn the_enc_parser_never_panics(text in prop_oneof![any::<String>(), enc_like()]) {
        let _ = crypto::decrypt(key(), &text);
    }

    /// A damaged IV, tag or ciphertext is refused: never shown as some other plaintext.
    #[test]
    fn tampering_is_always_detected(
        text in any::<String>(),
        part in 0..3usize,
        pos in any::<prop::sample::Index>(),
        bit in 0..8u8,
    ) {
        let enc = crypto::encrypt(key(), &text);
        let mut parts: Vec<Vec<u8>> = enc["ENC:".len()..].split(':').map(unhex).collect();
        prop_assume!(!parts[part].is_empty()); // empty text has empty ciphertext
        let i = pos.index(parts[part].len());
        parts[part][i] ^= 1 << bit;
        let damaged = format!(
            "ENC:{}",
            parts.iter().map(|p| hex(p)).collect::<Vec<_>>().join(":")
        );
        prop_assert!(crypto::decrypt(key(), &damaged).is_err());
    }
}

// ---- names and ids ----

/// Characters that attack paths or look like allowed ones: separators, dots, NUL, and unicode
/// look-alikes (Cyrillic a, fullwidth a, slashes and dots from other blocks, the Kelvin sign
/// whose lowercase is `k`, a zero-width space).
const TRICKY: &[char] = &[
    'a', 'k', 'z', '0', '9', '-', '.', '/', '\\', '\0', ' ', '\n', 'A', '_', '~', '\u{430}',
    '\u{ff41}', '\u{2215}', '\u{2044}', '\u{ff0f}', '\u{2024}', '\u{212a}', '\u{200b}', '\u{ff0e}',
];

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(TRICKY), 0..40)
            .prop_map(|c| c.into_iter().collect()),
        any::<String>(),
        "[a-z0-9][a-z0-9-]{0,30}",
        "(\\.\\./)*[a-z]{1,5}",
    ]
}

fn bridge() -> &'static (tempfile::TempDir, Bridge) {
    static BRIDGE: OnceLock<(tempfile::TempDir, Bridge)> = OnceLock::new();
    BRIDGE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let bridge = Bridge::open(&dir.path().join("bridge")).unwrap();
        (dir, bridge)
    })
}

/// `path` is `root` plus exactly `depth` plain components.
fn is_inside(root: &Path, path: &Path, depth: usize) -> bool {
    let Ok(rest) = path.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<Component> = rest.components().collect();
    parts.len() == depth && parts.iter().all(|c| matches!(c, Component::Normal(_)))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn a_valid_name_is_the_documented_pattern(s in tricky_string()) {
        let ok = names::is_valid(&s);
        let pattern = !s.is_empty()
            && s.len() <= 31
            && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        prop_assert_eq!(ok, pattern, "{:?}", s);
        prop_assert_eq!(Name::new(&s).is_ok(), ok);
    }

    /// Every path built from a valid name is one or two plain components below the root.
    #[test]
    fn valid_names_never_leave_the_bridge(s in tricky_string()) {
        let Ok(name) = Name::new(&s) else { return Ok(()) };
        let (_, b) = bridge();
        let root = b.root();
        prop_assert!(is_inside(root, &b.mailbox_dir(&name), 1));
        for p in [b.inbox_dir(&name), b.done_dir(&name), b.receipts_dir(&name), b.bad_dir(&name),
                  b.heartbeat_path(&name), b.lock_path(&name)] {
            prop_assert!(is_inside(root, &p, 2), "{}", p.display());
        }
    }

    /// Sending to an invalid name fails before anything touches the disk.
    #[test]
    fn invalid_recipients_are_refused_before_any_write(s in tricky_string()) {
        prop_assume!(!names::is_valid(&s));
        let (_, b) = bridge();
        let from = Name::new("prop-sender").unwrap();
        let before = tree(b.root());
        let sent = b.send(&from, Draft::new(&s, "hello"));
        prop_assert!(matches!(sent, Err(Error::InvalidName { .. })), "{:?}", sent);
        prop_assert_eq!(tree(b.root()), before);
    }

    /// Only safe ids are joined to a path, and then as one plain file name.
    #[test]
    fn safe_ids_are_one_plain_file_name(id in prop_oneof![tricky_string(), "msg-[0-9a-f-]{36}"]) {
        let (_, b) = bridge();
        let me = Name::new("prop-reader").unwrap();
        if ids::is_safe_id(&id) {
            let file = format!("{id}.json");
            prop_assert!(is_inside(Path::new("/r"), &Path::new("/r").join(&file), 1));
            prop_assert!(!file.starts_with('.'));
        }
        match b.mailbox(&me).find(&id) {
            Err(Error::InvalidId(_)) => prop_assert!(!ids::is_safe_id(&id)),
            Err(Error::UnknownMessage { .. }) => prop_assert!(ids::is_safe_id(&id)),
            other => prop_assert!(false, "find({:?}) = {:?}", id, other),
        }
    }
}

/// Every path under `root`, sorted.
fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            out.push(e.path().display().to_string());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// NUL cannot pass through argv, so the command-line tests never see it: check it here.
#[test]
fn nul_in_names_and_ids_is_refused() {
    let (_, b) = bridge();
    let from = Name::new("nul-sender").unwrap();
    for bad in [
        "\0",
        "a\0",
        "\0a",
        "calm\0owl",
        "x\0/../../etc",
        "ok\0.json",
    ] {
        assert!(
            matches!(Name::new(bad), Err(Error::InvalidName { .. })),
            "{bad:?}"
        );
        assert!(
            matches!(
                b.send(&from, Draft::new(bad, "hi")),
                Err(Error::InvalidName { .. })
            ),
            "{bad:?}"
        );
        assert!(!ids::is_safe_id(bad), "{bad:?}");
        assert!(matches!(
            b.mailbox(&from).find(bad),
            Err(Error::InvalidId(_))
        ));
    }
    // The error names the bad input without the NUL reaching a terminal unescaped.
    let e = Name::new("calm\0owl").unwrap_err().to_string();
    assert!(e.contains(r"calm\0owl"), "{e}");
    // A message whose id carries a NUL is refused before its file name is built.
    let mut m = Message::new("nul-sender", Draft::new("nul-reader", "hi"));
    m.id = "msg-\0x".into();
    assert!(matches!(
        b.mailbox(&Name::new("nul-reader").unwrap()).deliver(&m),
        Err(Error::InvalidId(_))
    ));
    assert!(!b.root().join("to-nul-reader").exists());
}
