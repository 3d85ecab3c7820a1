"""Shared helpers for the cc2cc benchmarks (bench/core.py, bench/mcp.py, bench/backlog.py...).

Finds the binary, writes message files the way a sender does (DESIGN.md section 2: pretty JSON,
`msg-<uuidv7>` ids, `.tmp-<uuid>.json` then rename), summarises and prints timings, and drives a
`serve-mcp` over its pipes (the Server class).
Not a script: imported by the benchmarks, which run as `python3 bench/<name>.py`.
"""

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from subprocess import PIPE
from time import perf_counter_ns

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "notifications/claude/channel"
PUSH_TIMEOUT_S = 2.0


def find_binary(arg: str | None) -> str:
    """--bin, else $CC2CC_BIN, else target/release/cc2cc, else target/debug/cc2cc."""
    if arg or os.environ.get("CC2CC_BIN"):
        candidates = [Path(arg or os.environ["CC2CC_BIN"])]
    else:
        candidates = [ROOT / "target/release/cc2cc", ROOT / "target/debug/cc2cc"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path.resolve())
    sys.exit(f"{Path(sys.argv[0]).name}: error: no cc2cc binary at {', '.join(map(str, candidates))}; "
             "run `cargo build --release` or pass --bin PATH")


_last_v7 = 0
_v7_lock = threading.Lock()


def uuid7() -> str:
    """A UUIDv7 whose 12 rand_a bits hold the sub-millisecond clock (RFC 9562, method 3),
    bumped when needed so that ids from this process strictly increase, across threads too."""
    global _last_v7
    with _v7_lock:
        ms, sub_ms_ns = divmod(time.time_ns(), 1_000_000)
        _last_v7 = max((ms << 12) | (sub_ms_ns * 4096 // 1_000_000), _last_v7 + 1)
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (_last_v7 >> 12) << 80 | 0x7 << 76 | (_last_v7 & 0xFFF) << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def new_message(sender: str, recipient: str, text: str, ttl: int = 86400) -> dict:
    """A message object with every field the original writes, in its order."""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "id": f"msg-{uuid7()}",
        "timestamp": now,
        "from": sender,
        "to": recipient,
        "type": "message",
        "priority": "normal",
        "identity": {"agent": sender, "mode": "session"},
        "task": None,
        "content": {"text": text, "parts": []},
        "replyTo": None,
        "ttl": ttl,
    }


def stage_message(inbox: Path, message: dict) -> tuple[Path, Path]:
    """Write `message` to a hidden temp file in `inbox`; return (temp, final) for the caller's rename."""
    tmp = inbox / f".tmp-{uuid.uuid4()}.json"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(message, f, indent=2)
    return tmp, inbox / f"{message['id']}.json"


def write_messages(inbox: Path, sender: str, recipient: str, count: int, text: str = "pending message") -> list[str]:
    """Deliver `count` messages into `inbox` (temp file + rename each); return their ids in order."""
    inbox.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(count):
        message = new_message(sender, recipient, f"{text} {i}")
        os.rename(*stage_message(inbox, message))
        ids.append(message["id"])
    return ids


def stats(samples_ns: list[int], *percentiles: int) -> dict:
    """{"n", "median", "p<k>"...} in milliseconds; percentiles by nearest rank."""
    ordered = sorted(samples_ns)
    out = {"n": len(ordered), "median": statistics.median(ordered) / 1e6}
    for p in percentiles:
        out[f"p{p}"] = ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] / 1e6
    return out


def verdict(value: float | None, target: float, at_least: bool = False) -> str:
    """Says "ok" when value is at most target (with at_least: at least), "MISS" when not, "-" for none."""
    if value is None:
        return "-"
    return "ok" if (value >= target if at_least else value <= target) else "MISS"


def print_table(headers: list[str], rows: list[list[str]], file=sys.stdout) -> None:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:  # first column left-aligned, figures right-aligned
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(line(headers), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for row in rows:
        print(line(row), file=file)


def run_in_temp(name: str, binary: str, bench, report, as_json: bool) -> None:
    """Run `bench(work)` in a fresh folder under /tmp (removed afterwards), then print its
    results: the table on stdout, or with `as_json` the table on stderr and one JSON object
    (with the binary) on stdout, for bench/report.py."""
    work = Path(tempfile.mkdtemp(prefix=f"cc2cc-bench-{name}-", dir="/tmp"))
    try:
        results = bench(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, sys.stderr if as_json else sys.stdout)
    if as_json:
        print(json.dumps({"binary": binary, **results}))


# ---- serve-mcp: an MCP client over the server's pipes (bench/mcp.py, bench/backlog.py) ----

class BenchError(Exception):
    pass


class NoResponse(BenchError):
    """A request the server did not answer in time (it may still be working on it)."""


class Server:
    """One `serve-mcp` child. A reader thread files responses by id and channel pushes by msg_id."""

    def __init__(self, cc2cc: list[str], name: str, log: Path, env: dict | None = None):
        with open(log, "ab") as stderr:
            self.spawned_at = perf_counter_ns()
            self.proc = subprocess.Popen([*cc2cc, "--as", name, "serve-mcp"], stdin=PIPE, stdout=PIPE, stderr=stderr,
                                         env=env)
        self.cond = threading.Condition()
        self.responses: dict[int, tuple[int, dict]] = {}
        self.pushes: dict[str, list[int]] = defaultdict(list)  # msg_id -> arrival times
        self.wakes = 0
        self.channel_times: list[int] = []  # arrival of every channel notification, wakes included
        self.eof = False
        self.last_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _read(self) -> None:
        for line in self.proc.stdout:
            arrived = perf_counter_ns()
            try:
                msg = json.loads(line)
            except ValueError:
                print(f"{Path(sys.argv[0]).name}: warning: non-JSON line on the server's stdout: {line[:80]!r}", file=sys.stderr)
                continue
            with self.cond:
                if "id" in msg and "method" not in msg:
                    self.responses[msg["id"]] = (arrived, msg)
                elif msg.get("method") == CHANNEL:
                    self.channel_times.append(arrived)
                    msg_id = msg.get("params", {}).get("meta", {}).get("msg_id")
                    if msg_id:
                        self.pushes[msg_id].append(arrived)
                    else:
                        self.wakes += 1
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait(self, predicate, timeout: float) -> bool:
        with self.cond:
            self.cond.wait_for(lambda: predicate() or self.eof, timeout)
            return predicate()

    def send(self, message: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise BenchError(f"the server is gone ({self.exit_status()})") from None

    def exit_status(self) -> str:
        try:
            return f"exit code {self.proc.wait(1)}"
        except subprocess.TimeoutExpired:
            return "still running"

    def request(self, method: str, params: dict, timeout: float = 10.0) -> tuple[int, dict]:
        """Send a request; return (arrival time of the response, its result)."""
        self.last_id += 1
        rid = self.last_id
        self.send({"id": rid, "method": method, "params": params})
        if not self.wait(lambda: rid in self.responses, timeout):
            if self.eof:
                raise BenchError(f"{method}: the server closed its stdout ({self.exit_status()})")
            raise NoResponse(f"{method}: no response within {timeout:g} s")
        arrived, msg = self.responses.pop(rid)
        if "error" in msg:
            raise BenchError(f"{method} failed: {msg['error']}")
        return arrived, msg["result"]

    def initialize(self, timeout: float = 10.0) -> int:
        arrived, _ = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                                 "clientInfo": {"name": "cc2cc-bench", "version": "1"}}, timeout)
        return arrived

    def first_push(self, msg_id: str, timeout: float = PUSH_TIMEOUT_S) -> int | None:
        return self.pushes[msg_id][0] if self.wait(lambda: msg_id in self.pushes, timeout) else None

    def check_inbox(self, timeout: float) -> tuple[int, str]:
        """(arrival time, all text content) of one check_inbox call."""
        arrived, result = self.request("tools/call", {"name": "check_inbox", "arguments": {}}, timeout)
        return arrived, "\n".join(c.get("text", "") for c in result.get("content", []))


def cpu_seconds(pid: int) -> tuple[float, float | None]:
    """(utime+stime from /proc/PID/stat, summed schedstat run time of all threads or None)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # fields from 3 (state) on
    ticks = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    try:
        run_ns = sum(int((task / "schedstat").read_text().split()[0]) for task in Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return ticks, None
    return ticks, run_ns / 1e9


def proc_status_mb(pid: int, field: str) -> float:
    """A memory figure of /proc/PID/status (VmRSS, VmHWM...) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no {field} in /proc/PID/status")


def push_latencies(server: Server, start_and_deliver, count: int, budget_s: float | None = None,
                   timeout: float = PUSH_TIMEOUT_S) -> tuple[list[int], int]:
    """Latencies (ns) of up to `count` sequential pushes, and how many never came within
    `timeout`; with `budget_s`, no message is started once that many seconds have passed.
    start_and_deliver(i) delivers message i and returns (start time, its id)."""
    samples, missed = [], 0
    deadline = None if budget_s is None else time.monotonic() + budget_s
    for i in range(count):
        if deadline is not None and time.monotonic() > deadline:
            break
        started, msg_id = start_and_deliver(i)
        arrived = server.first_push(msg_id, timeout)
        if arrived is None:
            missed += 1
        else:
            samples.append(arrived - started)
    return samples, missed
