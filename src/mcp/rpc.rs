//! JSON-RPC 2.0 over newline-delimited stdio: bounded line reading, parsing incoming messages
//! into requests and notifications, and the shapes of what we write back.

use serde_json::{Map, Value, json};
use std::io::{self, BufRead, BufReader, Read};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_params(message: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_PARAMS, message)
    }
}

/// One well-formed message from the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request {
        id: Value,
        method: String,
        params: Option<Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
    },
    /// A response to a request of ours. We send none, so these are ignored.
    Response,
}

/// Why an incoming line is not a message we can serve, and the id to answer with (null when
/// the id itself could not be found, as JSON-RPC requires).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub id: Value,
    pub error: RpcError,
}

fn reject(id: &Value, code: i64, message: impl Into<String>) -> Rejected {
    Rejected {
        id: id.clone(),
        error: RpcError::new(code, message),
    }
}

/// Parses one line. Batches are refused: MCP dropped JSON-RPC batching in 2025-06-18.
pub fn parse(line: &[u8]) -> Result<Incoming, Rejected> {
    let null = Value::Null;
    let text = std::str::from_utf8(line)
        .map_err(|e| reject(&null, PARSE_ERROR, format!("parse error: not UTF-8 ({e})")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| reject(&null, PARSE_ERROR, format!("parse error: {e}")))?;
    let obj = match value {
        Value::Object(obj) => obj,
        Value::Array(_) => {
            return Err(reject(
                &null,
                INVALID_REQUEST,
                "invalid request: batches (JSON arrays) are not supported; send one object per line",
            ));
        }
        other => {
            return Err(reject(
                &null,
                INVALID_REQUEST,
                format!(
                    "invalid request: expected a JSON object, got {}",
                    type_name(&other)
                ),
            ));
        }
    };
    let id = match obj.get("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
        Some(other) => {
            return Err(reject(
                &null,
                INVALID_REQUEST,
                format!(
                    "invalid request: id must be a string or a number, got {}",
                    type_name(other)
                ),
            ));
        }
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(reject(
            &answer_id,
            INVALID_REQUEST,
            "invalid request: \"jsonrpc\" must be \"2.0\"",
        ));
    }
    let method = match obj.get("method") {
        Some(Value::String(m)) => m.clone(),
        Some(other) => {
            return Err(reject(
                &answer_id,
                INVALID_REQUEST,
                format!(
                    "invalid request: method must be a string, got {}",
                    type_name(other)
                ),
            ));
        }
        None if id.is_some() && (obj.contains_key("result") || obj.contains_key("error")) => {
            return Ok(Incoming::Response);
        }
        None => {
            return Err(reject(
                &answer_id,
                INVALID_REQUEST,
                "invalid request: no method",
            ));
        }
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => None,
        Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p.clone()),
        Some(other) => {
            return Err(reject(
                &answer_id,
                INVALID_REQUEST,
                format!(
                    "invalid request: params must be an object, got {}",
                    type_name(other)
                ),
            ));
        }
    };
    Ok(match id {
        Some(id) => Incoming::Request { id, method, params },
        None => Incoming::Notification { method, params },
    })
}

/// The params of a request as an object: absent means empty, anything else is invalid.
pub fn params_object(params: Option<Value>) -> Result<Map<String, Value>, RpcError> {
    match params {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(other) => Err(RpcError::invalid_params(format!(
            "params must be an object, got {}",
            type_name(&other)
        ))),
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

pub fn error(id: Value, error: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": error.code, "message": error.message}})
}

pub fn notification(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": method, "params": params})
}

/// What the line reader hands out.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// One line without its terminator (`\n` or `\r\n`).
    Line(Vec<u8>),
    /// A line longer than the limit; it is skipped up to the next newline.
    TooLong,
}

/// Splits a byte stream into lines of at most `limit` bytes, reading in bounded chunks so a
/// runaway line costs at most `limit` bytes of memory; after one, reading resumes at the next
/// newline.
pub struct LineReader<R> {
    inner: BufReader<R>,
    limit: usize,
    line: Vec<u8>,
    skipping: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R, limit: usize) -> LineReader<R> {
        LineReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            limit,
            line: Vec::new(),
            skipping: false,
        }
    }

    /// The next frame, or None at end of input.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                // End of input: a last line without a newline still counts.
                self.skipping = false;
                if self.line.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.finish()));
            }
            let (part, used, ends) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            let mut frame = None;
            if !self.skipping {
                if self.line.len() + part.len() > self.limit {
                    self.line = Vec::new();
                    self.skipping = !ends;
                    frame = Some(Frame::TooLong);
                } else {
                    self.line.extend_from_slice(part);
                    if ends {
                        frame = Some(self.finish());
                    }
                }
            } else if ends {
                self.skipping = false;
            }
            self.inner.consume(used);
            if frame.is_some() {
                return Ok(frame);
            }
        }
    }

    fn finish(&mut self) -> Frame {
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Frame::Line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], limit: usize) -> Vec<Frame> {
        let mut r = LineReader::new(input, limit);
        let mut out = Vec::new();
        while let Some(f) = r.next_frame().unwrap() {
            out.push(f);
        }
        out
    }

    fn line(s: &str) -> Frame {
        Frame::Line(s.as_bytes().to_vec())
    }

    #[test]
    fn splits_lines_and_keeps_a_last_unterminated_one() {
        assert_eq!(
            frames(b"a\r\n\nbc\nd", 10),
            [line("a"), line(""), line("bc"), line("d")]
        );
        assert!(frames(b"", 10).is_empty());
    }

    #[test]
    fn skips_an_oversized_line_and_resumes_after_it() {
        let mut input = vec![b'x'; 100];
        input.extend_from_slice(b"\nok\n");
        input.extend(vec![b'y'; 11]);
        input.extend_from_slice(b"\n0123456789\n");
        assert_eq!(
            frames(&input, 10),
            [
                Frame::TooLong,
                line("ok"),
                Frame::TooLong,
                line("0123456789")
            ]
        );
    }

    #[test]
    fn an_oversized_line_spanning_many_reads_is_reported_once() {
        let mut input = vec![b'x'; 300_000];
        input.extend_from_slice(b"\nnext\n");
        assert_eq!(frames(&input, 1000), [Frame::TooLong, line("next")]);
    }

    #[test]
    fn classifies_messages() {
        let p = |s: &str| parse(s.as_bytes());
        assert_eq!(
            p(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#),
            Ok(Incoming::Request {
                id: json!(7),
                method: "ping".into(),
                params: None
            })
        );
        assert!(matches!(
            p(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Ok(Incoming::Notification { .. })
        ));
        assert_eq!(
            p(r#"{"jsonrpc":"2.0","id":"x","result":{}}"#),
            Ok(Incoming::Response)
        );
        let code = |s: &str| p(s).unwrap_err().error.code;
        assert_eq!(code("{"), PARSE_ERROR);
        assert_eq!(code("[]"), INVALID_REQUEST);
        assert_eq!(code("3"), INVALID_REQUEST);
        assert_eq!(code(r#"{"id":1,"method":"ping"}"#), INVALID_REQUEST);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#),
            INVALID_REQUEST
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#),
            INVALID_REQUEST
        );
        assert_eq!(parse(b"\xff").unwrap_err().error.code, PARSE_ERROR);
        let bad_version = p(r#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#).unwrap_err();
        assert_eq!(bad_version.id, json!("a"), "a valid id is echoed");
    }
}
