//! One Claude Code session, one agent name. Claude Code starts the MCP server and the plugin's
//! monitor as separate processes that share `CLAUDE_CODE_SESSION_ID`; the first of them to ask
//! binds a name to that id in `sessions/<id>.json`, and every later process of the session (and
//! a resumed session, which keeps its id) reads the same name back.

use serde_json::json;
use std::fs;
use std::io;

use super::error::{Error, Result};
use super::{Bridge, Name, clock, fsutil, ids};

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

impl Bridge {
    pub fn sessions_dir(&self) -> std::path::PathBuf {
        self.root().join("sessions")
    }

    /// The name bound to session `id`, if any (read only).
    pub fn session_name(&self, id: &str) -> Result<Option<Name>> {
        if !is_valid_session_id(id) {
            return Err(invalid_session(id));
        }
        let path = self.sessions_dir().join(format!("{id}.json"));
        let bytes = match fsutil::read_regular(&path, 64 * 1024) {
            Ok(b) => b,
            Err(fsutil::Unreadable::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(Error::io("read", &path, io::Error::other(e.to_string()))),
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
        let dir = self.sessions_dir();
        fsutil::create_dir_private(&dir)?;
        let name = self.unused_name();
        let body = json!({
            "session_id": id,
            "name": name.as_str(),
            "bound_at": clock::now_string(),
        });
        let tmp = fsutil::write_atomic(
            &dir,
            &ids::temp_name(),
            serde_json::to_string_pretty(&body)
                .unwrap_or_default()
                .as_bytes(),
            true,
        )?;
        let dest = dir.join(format!("{id}.json"));
        let linked = fs::hard_link(&tmp, &dest);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                let _ = fsutil::sync_dir(&dir);
                // The mailbox makes the name known at once, so another session generating a
                // name now does not pick it too.
                self.ensure_mailbox(&name)?;
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
        let dir = self.sessions_dir();
        fsutil::create_dir_private(&dir)?;
        let body = json!({
            "session_id": id,
            "name": name.as_str(),
            "bound_at": clock::now_string(),
        });
        fsutil::write_atomic(
            &dir,
            &format!("{id}.json"),
            serde_json::to_string_pretty(&body)
                .unwrap_or_default()
                .as_bytes(),
            true,
        )?;
        Ok(())
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
        let leftovers: Vec<_> = fs::read_dir(bridge.sessions_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
