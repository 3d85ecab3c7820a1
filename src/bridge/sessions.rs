//! One Claude Code session, one agent name. Claude Code starts the MCP server and the plugin's
//! monitor as separate processes that share `CLAUDE_CODE_SESSION_ID`; the first of them to ask
//! binds a name to that id in `sessions/<id>.json`, and every later process of the session (and
//! a resumed session, which keeps its id) reads the same name back.

use serde_json::json;
use std::io;

use super::error::{Error, Result};
use super::fsutil::{Unreadable, is_not_found};
use super::{Bridge, Name, clock, ids};

/// How a session's name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// This call bound a fresh name to the session.
    New,
    /// Another process of the session (or an earlier run of it) had bound it.
    Existing,
}

/// Session ids come from the environment; only safe ids are joined to a path.
pub fn is_valid_session_id(id: &str) -> bool {
    ids::is_safe_id(id)
}

const SESSIONS: &str = "sessions";

/// The body of `sessions/<id>.json`.
fn binding(id: &str, name: &Name) -> Vec<u8> {
    let body = json!({
        "session_id": id,
        "name": name.as_str(),
        "bound_at": clock::now_string(),
    });
    serde_json::to_vec_pretty(&body).unwrap_or_default()
}

impl Bridge {
    pub fn sessions_dir(&self) -> std::path::PathBuf {
        self.root().join("sessions")
    }

    /// The name bound to session `id`, if any (read only).
    pub fn session_name(&self, id: &str) -> Result<Option<Name>> {
        if !is_valid_session_id(id) {
            return Err(invalid_session(id));
        }
        let file = format!("{id}.json");
        let path = self.sessions_dir().join(&file);
        let dir = match self.dir(&[SESSIONS], false) {
            Err(e) if is_not_found(&e) => return Ok(None),
            other => other?,
        };
        let bytes = match dir.read(&file, 64 * 1024) {
            Ok(b) => b,
            Err(Unreadable::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(Error::io("read", &path, e.into())),
        };
        let name = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("name")?.as_str().map(str::to_owned))
            .and_then(|n| Name::new(&n).ok());
        match name {
            Some(n) => Ok(Some(n)),
            None => Err(Error::io(
                "read session binding",
                &path,
                io::Error::other("not a {\"name\": …} object with a valid agent name; remove it"),
            )),
        }
    }

    /// The name of session `id`, binding an unused generated one when the session has none.
    /// Race-free: the binding file appears whole by a hard link, which fails when another
    /// process of the session linked first; that process's name is then read back.
    pub fn bind_session(&self, id: &str) -> Result<(Name, Binding)> {
        if let Some(name) = self.session_name(id)? {
            return Ok((name, Binding::Existing));
        }
        let dir = self.dir(&[SESSIONS], true)?;
        let name = self.unused_name();
        let tmp = ids::temp_name();
        dir.write_atomic(&tmp, &binding(id, &name), true)?;
        let file = format!("{id}.json");
        let dest = dir.path().join(&file);
        let linked = dir.link(&tmp, &file);
        let _ = dir.remove(&tmp);
        match linked {
            Ok(()) => {
                let _ = dir.sync();
                // The mailbox makes the name known at once, so another session generating a
                // name now does not pick it too.
                self.mailbox(&name).ensure()?;
                Ok((name, Binding::New))
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let theirs = self.session_name(id)?.ok_or_else(|| {
                    Error::io("read session binding", &dest, io::Error::other("vanished"))
                })?;
                Ok((theirs, Binding::Existing))
            }
            Err(e) => Err(Error::io("bind session", &dest, e)),
        }
    }

    /// Points session `id` at `name` (after a rename), replacing the binding atomically.
    pub fn rebind_session(&self, id: &str, name: &Name) -> Result<()> {
        if !is_valid_session_id(id) {
            return Err(invalid_session(id));
        }
        let dir = self.dir(&[SESSIONS], true)?;
        dir.write_atomic(&format!("{id}.json"), &binding(id, name), true)
    }
}

fn invalid_session(id: &str) -> Error {
    Error::io(
        "use session id",
        std::path::Path::new(&id.chars().take(80).collect::<String>()),
        io::Error::other("a session id is up to 200 characters of A-Z, a-z, 0-9, '-', '_' and '.'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids() {
        assert!(is_valid_session_id("64658530-c066-4ba9-80e4-634d3e6cf708"));
        for bad in ["", "../x", "a/b", ".x", "a b", &"x".repeat(201)] {
            assert!(!is_valid_session_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn one_name_per_session_whoever_binds_first() {
        let dir = tempfile::tempdir().unwrap();
        let bridge = Bridge::open(dir.path()).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let b = bridge.clone();
                std::thread::spawn(move || b.bind_session("s-1").unwrap())
            })
            .collect();
        let got: Vec<(Name, Binding)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(got.iter().all(|(n, _)| *n == got[0].0), "{got:?}");
        assert_eq!(got.iter().filter(|(_, b)| *b == Binding::New).count(), 1);
        let (other, _) = bridge.bind_session("s-2").unwrap();
        assert_ne!(other, got[0].0);
        assert_eq!(bridge.bind_session("s-1").unwrap().0, got[0].0);
        let leftovers: Vec<_> = std::fs::read_dir(bridge.sessions_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
