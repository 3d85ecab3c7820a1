//! Agent names: validation (before any name becomes part of a path) and the adjective-animal
//! generator.

use super::error::{Error, Result};

pub const MAX_LEN: usize = 31;

/// Checks `^[a-z0-9][a-z0-9-]{0,30}$`. Every name from a flag, a message or a file name passes
/// through here before it is joined to a path, so `..`, `/` and NUL can never escape the bridge.
pub fn validate(name: &str) -> Result<&str> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_LEN {
        Some("it is longer than 31 characters")
    } else if name.starts_with('-') {
        Some("it starts with '-'")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("only a-z, 0-9 and '-' are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidName {
            name: name.chars().take(64).collect(),
            reason,
        }),
        None => Ok(name),
    }
}

pub fn is_valid(name: &str) -> bool {
    validate(name).is_ok()
}

const ADJECTIVES: [&str; 50] = [
    "amber", "bold", "brave", "bright", "brisk", "calm", "clever", "cosmic", "crisp", "curious",
    "daring", "deft", "eager", "fair", "fleet", "gentle", "glad", "golden", "grand", "happy",
    "hardy", "honest", "jolly", "keen", "kind", "lively", "lucid", "lucky", "merry", "mighty",
    "misty", "noble", "patient", "plucky", "polite", "proud", "quick", "quiet", "rapid", "ready",
    "silent", "sleek", "snowy", "steady", "sunny", "swift", "tidy", "vivid", "wise", "witty",
];

const ANIMALS: [&str; 50] = [
    "badger", "bat", "bear", "beaver", "bison", "crane", "crow", "deer", "dolphin", "eagle",
    "falcon", "ferret", "finch", "fox", "gecko", "goose", "hare", "hawk", "heron", "ibis", "jay",
    "koala", "lark", "lemur", "lion", "lynx", "marten", "mole", "moose", "newt", "otter", "owl",
    "panda", "pike", "puffin", "quail", "raven", "robin", "seal", "shrew", "sloth", "stoat",
    "swan", "tapir", "tiger", "toad", "viper", "walrus", "wolf", "wren",
];

/// Number of distinct names the generator can produce before it adds a numeric suffix.
pub const COMBINATIONS: usize = ADJECTIVES.len() * ANIMALS.len();
const _: () = assert!(COMBINATIONS >= 2000);

/// An adjective-animal name for which `taken` is false. Falls back to a numbered name when the
/// random draws keep colliding, so it always returns.
pub fn generate(taken: impl Fn(&str) -> bool) -> String {
    let mut draws = random_u64s();
    for _ in 0..64 {
        let r = draws.next().unwrap_or_default();
        let name = format!(
            "{}-{}",
            ADJECTIVES[(r % 50) as usize],
            ANIMALS[((r / 50) % 50) as usize]
        );
        if !taken(&name) {
            return name;
        }
    }
    (2..)
        .map(|n| format!("agent-{n}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| "agent".into())
}

fn random_u64s() -> impl Iterator<Item = u64> {
    std::iter::repeat_with(|| {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_paths_and_odd_names() {
        for bad in [
            "", "../x", "a/b", "UPPER", "-lead", "a b", "x\0y", "é", "a.b",
        ] {
            assert!(validate(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate(&"a".repeat(32)).is_err());
        assert!(validate(&"a".repeat(31)).is_ok());
        assert!(validate("0-calm-owl-").is_ok());
    }

    #[test]
    fn generated_names_are_valid_and_avoid_taken() {
        let all: std::collections::HashSet<String> = ADJECTIVES
            .iter()
            .flat_map(|a| ANIMALS.iter().map(move |b| format!("{a}-{b}")))
            .collect();
        assert_eq!(all.len(), COMBINATIONS, "duplicate words in the lists");
        for _ in 0..200 {
            let n = generate(|n| n.starts_with('b'));
            assert!(is_valid(&n), "{n}");
            assert!(!n.starts_with('b'));
        }
        assert_eq!(generate(|n| n != "agent-3"), "agent-3");
    }
}
