#!/usr/bin/env python3
"""A loopback stand-in for the Anthropic API, enough for Claude Code to run a session.

Every POST /v1/messages body is appended (one JSON object per line) to the log file given with
--log, so a test can read exactly what the model was sent. Streaming requests get a short
assistant text as server-sent events in the Messages API format; non-streaming ones the same
text as one JSON message. Anything else Claude Code asks at start-up gets an empty JSON object.
The reply text is "ok" unless a file named by --reply exists (its content is used). When the
newest message is the user's and asks "please call the cc2cc tool NAME", the answer is a call of
the plugin's MCP tool NAME instead, so a test can watch a tool result reach the model.
"""

import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True, help="where to write the chosen port")
    p.add_argument("--log", required=True, help="NDJSON file of every /v1/messages request")
    p.add_argument("--reply", default=None, help="file whose text is the model's answer")
    return p.parse_args()


ARGS = None


def reply_text():
    if ARGS.reply:
        try:
            with open(ARGS.reply, encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            pass
    return "ok"


TOOL_ASK = re.compile(r"please call the cc2cc tool (\w+)")
TOOL_PREFIX = "mcp__plugin_cc2cc_cc2cc__"


def tool_asked(req):
    """The cc2cc tool the newest user text asks for, unless that turn already has a result."""
    # Claude Code may end the list with system-role context; the turn is the last other one.
    messages = [m for m in req.get("messages") or [] if m.get("role") != "system"]
    if not messages or messages[-1].get("role") != "user":
        return None
    content = messages[-1].get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
    if any(b.get("type") == "tool_result" for b in blocks):
        return None
    for b in blocks:
        found = TOOL_ASK.search(b.get("text") or "") if b.get("type") == "text" else None
        if found:
            return TOOL_PREFIX + found.group(1)
    return None


def sse(event, data):
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-api: " + (fmt % args) + "\n")

    def body(self):
        n = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {}

    def send_json(self, obj, status=200):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_json({})

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        path = self.path.split("?")[0]
        req = self.body()
        if path == "/v1/messages/count_tokens":
            return self.send_json({"input_tokens": 10})
        if path != "/v1/messages":
            return self.send_json({})
        with LOCK:
            with open(ARGS.log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"at": time.time(), "body": req}) + "\n")
        text = reply_text()
        tool = tool_asked(req)
        model = req.get("model", "claude-sonnet-4-5")
        usage = {"input_tokens": 10, "output_tokens": 1,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        message = {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                   "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}
        if tool and req.get("stream"):
            return self.stream(message, [
                sse("content_block_start", {"type": "content_block_start", "index": 0,
                                            "content_block": {"type": "tool_use", "id": "toolu_cc2cc",
                                                              "name": tool, "input": {}}}),
                sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "input_json_delta",
                                                      "partial_json": "{}"}}),
                sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ], "tool_use")
        if not req.get("stream"):
            message["content"] = [{"type": "text", "text": text}]
            message["stop_reason"] = "end_turn"
            return self.send_json(message)
        self.stream(message, [
            sse("content_block_start", {"type": "content_block_start", "index": 0,
                                        "content_block": {"type": "text", "text": ""}}),
            sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                        "delta": {"type": "text_delta", "text": text}}),
            sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ], "end_turn")

    def stream(self, message, blocks, stop_reason):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        out = [sse("message_start", {"type": "message_start", "message": message}), *blocks,
               sse("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                     "usage": {"output_tokens": 1}}),
               sse("message_stop", {"type": "message_stop"})]
        self.wfile.write(b"".join(out))
        self.wfile.flush()


def main():
    global ARGS
    ARGS = parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
