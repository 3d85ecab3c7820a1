//! The JSON-RPC side of the server: each request line parsed, dispatched and answered (a
//! panic in one handler becomes an error for that request alone), the notifications the client
//! sends, and the wake at `notifications/initialized`.

use serde_json::{Map, Value, json};
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use crate::bridge::notices;

use super::rpc::{self, Incoming, RpcError};
use super::server::Server;
use super::{handshake, log, push, tools};

impl<W: Write> Server<W> {
    pub(super) fn serve_line(&mut self, line: &[u8]) {
        match rpc::parse(line) {
            Err(rejected) => {
                log::debug(format_args!("rejected input: {}", rejected.error.message));
                self.write(&rpc::error(rejected.id, &rejected.error));
            }
            Ok(Incoming::Response) => log::debug("ignored a response: we send no requests"),
            Ok(Incoming::Notification { method, .. }) => self.notified(&method),
            Ok(Incoming::Request { id, method, params }) => {
                let (reply, carried) = match guarded(&method, || self.dispatch(&method, params)) {
                    Ok(result) => (rpc::result(id, result), true),
                    Err(error) => (rpc::error(id, &error), false),
                };
                // Messages in a result are marked read only once it reached the client.
                let written = self.write(&reply);
                self.agent.settle(written && carried);
            }
        }
    }

    fn dispatch(&mut self, method: &str, params: Option<Value>) -> Result<Value, RpcError> {
        match method {
            "initialize" => {
                let params = rpc::params_object(params)?;
                let result = handshake::initialize(&params, self.agent.name())?;
                log::info(format_args!(
                    "initialize from {} (protocol {}), serving as {}",
                    params
                        .get("clientInfo")
                        .and_then(|c| c.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("an unnamed client"),
                    result["protocolVersion"].as_str().unwrap_or_default(),
                    self.agent.name()
                ));
                Ok(result)
            }
            "ping" => Ok(json!({})),
            "tools/list" => Ok(tools::list()),
            "tools/call" => {
                let params = rpc::params_object(params)?;
                // Every tool result carries pending mail; its pass lists the inbox only when
                // a file may have arrived since the last one.
                if self.watcher.grew() {
                    self.agent.list_inbox_again();
                }
                let name = match params.get("name") {
                    Some(Value::String(n)) => n.as_str(),
                    Some(other) => {
                        return Err(RpcError::invalid_params(format!(
                            "tools/call: name must be a string, got {}",
                            rpc::type_name(other)
                        )));
                    }
                    None => return Err(RpcError::invalid_params("tools/call: name is required")),
                };
                let empty = Map::new();
                let arguments = match params.get("arguments") {
                    None | Some(Value::Null) => &empty,
                    Some(Value::Object(a)) => a,
                    Some(other) => {
                        return Err(RpcError::invalid_params(format!(
                            "tools/call: arguments must be an object, got {}",
                            rpc::type_name(other)
                        )));
                    }
                };
                let before = self.agent.name().clone();
                let result = tools::call(&mut self.agent, name, arguments);
                if *self.agent.name() != before {
                    self.renamed(&before);
                }
                Ok(result)
            }
            _ => Err(RpcError::new(
                rpc::METHOD_NOT_FOUND,
                format!(
                    "method not found: {}",
                    method.chars().take(100).collect::<String>()
                ),
            )),
        }
    }

    pub(super) fn notified(&mut self, method: &str) {
        match method {
            "notifications/initialized" => {
                self.initialized = true;
                self.initialized_at.get_or_insert_with(Instant::now);
                if !self.woken {
                    self.woken = true;
                    self.wake();
                }
            }
            // Every request is answered before the next is read, so there is nothing to cancel.
            "notifications/cancelled" => {}
            other => log::debug(format_args!("ignored notification {other}")),
        }
    }

    /// Tells the session its name, once. If the push cannot be written the same words go into
    /// our own inbox, where the next tool result or session finds them; never both.
    fn wake(&mut self) {
        let name = self.agent.name().clone();
        if self.write(&push::wake_notification(&name)) {
            return;
        }
        let notice = notices::status(&name, &push::wake_text(&name));
        match self.agent.bridge.send(&name, notice) {
            Ok(msg) => {
                self.agent.pushed.insert(format!("{}.json", msg.id));
                log::warn(format_args!(
                    "wake push failed; left it in the inbox as {}",
                    msg.id
                ));
            }
            Err(e) => log::error(format_args!("wake push failed and so did the inbox: {e}")),
        }
    }
}

/// Runs one request's handler so that a panic in it becomes an internal error for that request
/// alone.
fn guarded(
    method: &str,
    handler: impl FnOnce() -> Result<Value, RpcError>,
) -> Result<Value, RpcError> {
    catch_unwind(AssertUnwindSafe(handler)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        log::error(format_args!("bug: {method} panicked: {what}"));
        Err(RpcError::new(
            rpc::INTERNAL_ERROR,
            format!("internal error in {method} (a bug in cc2cc): {what}"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_handler_becomes_an_internal_error() {
        let err = guarded("tools/call", || panic!("boom")).unwrap_err();
        assert_eq!(err.code, rpc::INTERNAL_ERROR);
        assert!(err.message.contains("boom"), "{}", err.message);
        assert_eq!(guarded("ping", || Ok(json!({}))), Ok(json!({})));
    }
}
