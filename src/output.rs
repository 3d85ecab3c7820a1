//! Rendering for people (sanitised, coloured only on a terminal) and for programs (NDJSON).

use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, BufWriter, IsTerminal, StdoutLock, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::bridge::{Direction, Entry, Message};

pub struct Output {
    out: BufWriter<StdoutLock<'static>>,
    pub json: bool,
    color: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        let stdout = io::stdout();
        let color = !json && stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Output {
            out: BufWriter::new(stdout.lock()),
            json,
            color,
        }
    }

    /// One JSON object on one line.
    pub fn json_line(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }

    pub fn line(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// A received message: the wire JSON with `--json`, else a header line and indented text.
    pub fn message(&mut self, m: &Message) -> io::Result<()> {
        if self.json {
            return self.json_line(m);
        }
        let mut head = format!(
            "{} from {} at {}",
            self.paint("1", &one_line(&m.id)),
            self.paint("1", &one_line(&m.from)),
            one_line(&m.timestamp)
        );
        let mut tags: Vec<Cow<str>> = Vec::new();
        if m.kind != "message" {
            tags.push(one_line(&m.kind));
        }
        if m.priority != "normal" {
            tags.push(one_line(&m.priority));
        }
        if !tags.is_empty() {
            head.push_str(&format!(" [{}]", tags.join(", ")));
        }
        if let Some(r) = &m.reply_to {
            head.push_str(&format!(" re {}", one_line(r)));
        }
        self.line(&head)?;
        for l in sanitize(m.text()).lines() {
            self.line(&format!("  {l}"))?;
        }
        Ok(())
    }

    /// A history entry: the wire JSON plus `direction` with `--json`, else a header line
    /// (time, arrow and peer, id) and indented text.
    pub fn history_entry(&mut self, e: &Entry) -> io::Result<()> {
        let m = &e.message;
        if self.json {
            let mut v = serde_json::to_value(m).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("direction".into(), e.direction.as_str().into());
            }
            return self.json_line(&v);
        }
        let peer = match e.direction {
            Direction::Sent => format!("-> {}", one_line(&m.to)),
            Direction::Received => format!("<- {}", one_line(&m.from)),
        };
        let mut head = format!(
            "{} {} {}",
            one_line(&m.timestamp),
            self.paint("1", &peer),
            one_line(&m.id)
        );
        if m.kind != "message" {
            head.push_str(&format!(" [{}]", one_line(&m.kind)));
        }
        if let Some(r) = &m.reply_to {
            head.push_str(&format!(" re {}", one_line(r)));
        }
        self.line(&head)?;
        for l in sanitize(m.text()).lines() {
            self.line(&format!("  {l}"))?;
        }
        Ok(())
    }

    /// A table row: left-aligned columns of the given widths.
    pub fn row(&mut self, cells: &[(&str, usize)]) -> io::Result<()> {
        let mut s = String::new();
        for (i, (cell, width)) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<width$}  "));
            }
        }
        self.line(s.trim_end())
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no notes or warnings on stderr from now on; errors still.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A `cc2cc: note: …` line on stderr (unless `--quiet`), sanitised: it may name files and ids
/// that came from the bridge.
pub fn note(msg: &str) {
    if !is_quiet() {
        eprintln!("cc2cc: note: {}", one_line(msg));
    }
}

/// A `cc2cc: warning: …` line on stderr (unless `--quiet`), sanitised.
pub fn warn(msg: &str) {
    if !is_quiet() {
        eprintln!("cc2cc: warning: {}", one_line(msg));
    }
}

/// A `cc2cc: error: …` line (and its hint) on stderr, sanitised; shown even with `--quiet`.
pub fn error(msg: &str, hint: Option<&str>) {
    eprintln!("cc2cc: error: {}", one_line(msg));
    if let Some(h) = hint {
        eprintln!("hint: {}", one_line(h));
    }
}

/// Text from other agents is untrusted: drop control characters (keeping newline and tab) and
/// the bidirectional overrides that can make a terminal show something other than what is there.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|&c| !is_unsafe(c)).collect())
}

/// As [`sanitize`], and on one line (for headers and table cells).
pub fn one_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) || c == '\n' || c == '\t') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter(|&c| !is_unsafe(c))
            .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
            .collect(),
    )
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes_but_keeps_lines() {
        assert_eq!(sanitize("a\x1b[31mb\r\nc\u{202e}d\u{7f}"), "a[31mb\ncd");
        assert_eq!(one_line("x\ny\tz\x07"), "x y z");
        assert!(matches!(sanitize("plain ünïcödé"), Cow::Borrowed(_)));
    }
}
