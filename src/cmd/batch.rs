//! `cc2cc send --batch`: many messages from NDJSON on standard input, one commit for all.

use std::collections::HashMap;
use std::io::{BufRead, Read};

use serde_json::{Map, Value};

use crate::bridge::{Draft, Kind, Name, Priority};
use crate::cli::{SendArgs, Ttl, parse_ttl};
use crate::context::Context;
use crate::error::CliError;
use crate::output::{self, Output};

pub fn run(ctx: &Context, me: &Name, args: &SendArgs) -> Result<(), CliError> {
    // Room for a whole message, JSON-escaped, and its fields.
    let line_limit = ctx.bridge.max_size().saturating_mul(6).saturating_add(4096);
    let mut drafts = Vec::new();
    let mut lines = Vec::new();
    let mut bad = 0;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        let read = (&mut input)
            .take(line_limit + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| CliError::failed(format!("cannot read standard input: {e}")))?;
        if read == 0 {
            break;
        }
        if buf.len() as u64 > line_limit && !buf.ends_with(b"\n") {
            bad += 1;
            output::error(
                &format!("line {number}: longer than {line_limit} bytes"),
                None,
            );
            skip_rest_of_line(&mut input)?;
            continue;
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match draft(&buf, args) {
            Ok(d) => {
                drafts.push(d);
                lines.push(number);
            }
            Err(why) => {
                bad += 1;
                output::error(&format!("line {number}: {why}"), None);
            }
        }
    }
    let mut online = HashMap::new();
    let sent = ctx.bridge.send_many(me, drafts);
    let mut out = Output::new(ctx.json);
    for (number, sent) in lines.into_iter().zip(sent) {
        match sent {
            Ok(m) if ctx.json => {
                let queued = !*online
                    .entry(m.to.clone())
                    .or_insert_with(|| Name::new(&m.to).is_ok_and(|n| ctx.bridge.is_online(&n)));
                out.json_line(&serde_json::json!({
                    "line": number, "id": m.id, "to": m.to, "queued": queued,
                }))?;
            }
            Ok(m) => out.line(&m.id)?,
            Err(e) => {
                bad += 1;
                output::error(&format!("line {number}: {e}"), None);
            }
        }
    }
    out.flush()?;
    if bad > 0 {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}

/// One line as a draft; the defaults are those of `send` (its flags for type, priority, ttl).
fn draft(line: &[u8], args: &SendArgs) -> Result<Draft, String> {
    let fields: Map<String, Value> = match serde_json::from_slice(line) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err("not a JSON object".into()),
        Err(e) => return Err(format!("not JSON ({e})")),
    };
    let text_field = |key: &str| -> Result<Option<&str>, String> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("`{key}` must be a string")),
        }
    };
    let to = text_field("to")?.ok_or("`to` is required")?;
    let to = Name::new(to).map_err(|e| e.to_string())?;
    let text = text_field("text")?.ok_or("`text` is required")?;
    if text.trim().is_empty() {
        return Err("`text` is empty".into());
    }
    let mut draft = Draft::new(to.as_str(), text);
    draft.kind = match text_field("type")? {
        None => args.kind,
        Some(k) => Kind::parse(k)
            .ok_or_else(|| format!("`type` must be one of {}", Kind::NAMES.join(", ")))?,
    };
    draft.priority = match text_field("priority")? {
        None => args.priority,
        Some(p) => Priority::parse(p)
            .ok_or_else(|| format!("`priority` must be one of {}", Priority::NAMES.join(", ")))?,
    };
    let Ttl(ttl) = match fields.get("ttl") {
        None | Some(Value::Null) => Ttl(args.ttl.0),
        Some(Value::Number(n)) => {
            let secs = n
                .as_u64()
                .ok_or("`ttl` must be whole seconds or a duration")?;
            Ttl((secs > 0).then(|| std::time::Duration::from_secs(secs)))
        }
        Some(Value::String(s)) => parse_ttl(s).map_err(|e| format!("`ttl`: {e}"))?,
        Some(_) => return Err("`ttl` must be whole seconds or a duration like \"90m\"".into()),
    };
    draft.ttl = ttl;
    if let Some(id) = text_field("reply_to")? {
        if !crate::bridge::ids::is_safe_id(id) {
            return Err("`reply_to` is not a message id".into());
        }
        draft.reply_to = Some(id.to_owned());
    }
    Ok(draft)
}

fn skip_rest_of_line(input: &mut impl BufRead) -> Result<(), CliError> {
    loop {
        let buf = input
            .fill_buf()
            .map_err(|e| CliError::failed(format!("cannot read standard input: {e}")))?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}
