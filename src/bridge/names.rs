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

/// The names among `known` closest to `name` by edit distance (at most 2, and less than half
/// the name), nearest first, at most three.
pub fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = 2.min(name.len().saturating_sub(1) / 2 + 1);
    let mut close: Vec<(usize, &str)> = known
        .filter(|k| *k != name)
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    close.sort();
    close.into_iter().take(3).map(|(_, k)| k).collect()
}

/// Levenshtein distance with transpositions counted as one edit (`bbo` → `bob`).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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
