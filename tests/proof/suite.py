#!/usr/bin/env python3
"""cc2cc proof suite: load, faults and bad input against the real binary.

The promise: a message is never lost, never read twice, never half-written, and no input from
another agent or from a damaged bridge directory crashes a reader or the MCP server. Each check
below prints one line, `ok` or `FAIL`, with its counts; the last line is `N passed, M failed`, and
the exit status is 1 when a check failed. Sizes are for CI (default) / --full.

  load           8 sender processes x 250 / 1,000 messages into one inbox (and as many again from
                 one fast writer renaming files in back to back) while an `inbox` loop and a
                 `watch` race to read it: every message read exactly once, none lost, each
                 sender's order kept within each reader, every line a whole message.
  mcp-burst      meanwhile a serve-mcp agent on another inbox receives 2,000 / 10,000 messages:
                 no message pushed twice, each handed out by check_inbox exactly once, in order.
  sender-kills   200 / 500 `send` processes killed with SIGKILL at random points while an `inbox`
                 loop and a `watch` read: no partial or unparseable message is ever read, nothing
                 lands in bad/, every send that finished is read exactly once.
  tmp-cleanup    the temp files those senders left are ignored, and removed by a reader once
                 older than a day (a fresh one stays).
  reader-kills   50 / 200 `inbox` readers killed with SIGKILL at random points mid-read: every
                 message is afterwards in exactly one of inbox/ and done/, none was printed twice,
                 and a later reader hands out the rest.
  mcp-kill       serve-mcp killed with SIGKILL 5 / 20 times: `list` shows it offline within 1 s.
  mcp-bad-input  JSON-RPC lines that are not JSON, have the wrong version, missing or odd ids,
                 deep nesting, 10 MB, batches, wrong parameter types, unknown methods and tools:
                 each answered with a JSON-RPC error (or a tool error), and `ping` still answered.
  mcp-bad-files  truncated, binary, wrongly typed, 10 MB, symlinked (/etc/passwd), directory and
                 FIFO inbox files under a running serve-mcp: moved to bad/, never printed, and a
                 good message still pushed and handed out; a message sealed with another secret
                 is never shown as text, stays in the inbox and is named in the tool result.
  mcp-bad-bridge serve-mcp on a bridge that is a file, or (as root) belongs to another user:
                 one clear error line, exit 1; another user's bridge with
                 CC2CC_ALLOW_SHARED_BRIDGE=1: a warning naming the owner, and it serves.
  attacks        symlinked to-X/, inbox/, done/, receipts/, bad/ and status/ folders pointing at a
                 private folder, FIFOs and hard links at receipts/<id>.receipt.json and at a
                 heartbeat, under send, inbox, watch, list and serve-mcp: nothing written into or
                 moved out to the link's target, no reader hangs, no linked file changes.
  mcp-kill-calls serve-mcp killed with SIGKILL 10 / 40 times in the middle of tool calls, and
                 clients that close their end before the answer: no message is marked read
                 (done/) that was not written to the client; every message is finally read.
  closed-pipe    `inbox` and `watch` writing into a pipe whose reader is gone: the message whose
                 write failed goes back to the inbox (lost 0); `inbox --peek | head -1` then
                 `ack` marks exactly what was seen.

Run:   python3 tests/proof/suite.py [--full] [--skip-mcp] [--bin PATH] [--json PATH] [--seed N]
       [--only CHECK,...] [--keep]
The binary is --bin, else $CC2CC_BIN, else target/release/cc2cc, else target/debug/cc2cc.
--json PATH writes the counts per check (sent, read, lost, duplicated, crashes, ...) for
bench/report.py. The work directory (a temporary bridge per check) is removed unless a check
failed or --keep is given. Python 3.11 standard library only.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import DEVNULL, PIPE

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from common import find_binary, new_message, stage_message  # noqa: E402  (shared with the benches)
CHANNEL = "notifications/claude/channel"
MSG_ID = re.compile(r"msg-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
META_KEY = re.compile(r"^[A-Za-z0-9_]+$")
PASSWD_LEAK = b"root:x:0:0"
MCP_CHECKS = ("mcp-burst", "mcp-kill", "mcp-bad-input", "mcp-bad-files", "mcp-bad-bridge", "mcp-kill-calls")
CHECKS = ("load", *MCP_CHECKS[:1], "sender-kills", "tmp-cleanup", "reader-kills", *MCP_CHECKS[1:],
          "attacks", "closed-pipe")


@dataclass
class Sizes:
    senders: int
    per_sender: int
    burst: int
    sender_kills: int
    reader_kills: int
    batch: int  # messages added before each round of reader kills
    mcp_kills: int
    call_kills: int  # serve-mcp kills during tool calls
    pipe_rounds: int  # closed-pipe rounds per reader


CI = Sizes(senders=8, per_sender=250, burst=2_000, sender_kills=200, reader_kills=50, batch=200, mcp_kills=5,
           call_kills=10, pipe_rounds=10)
FULL = Sizes(senders=8, per_sender=1_000, burst=10_000, sender_kills=500, reader_kills=200, batch=200, mcp_kills=20,
             call_kills=40, pipe_rounds=40)


@dataclass
class Result:
    name: str
    counts: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, problem: str) -> None:
        self.problems.append(" | ".join(l.strip() for l in problem.splitlines() if l.strip()))

    def expect(self, count_name: str, want) -> None:
        """A failure when counts[count_name] is not `want`."""
        if self.counts.get(count_name) != want:
            self.fail(f"{count_name} is {self.counts.get(count_name)}, expected {want}")


class CheckError(Exception):
    """A check could not go on (a server that never started, a command that hung)."""


# ---- the binary and its processes ----

class Runner:
    """Builds and runs cc2cc commands on one bridge with a clean environment, and remembers every
    child it started so that none outlives the suite."""

    children: set = set()

    def __init__(self, binary: str, work: Path, bridge: Path):
        self.binary, self.work, self.bridge = binary, work, bridge
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LC_ALL": "C.UTF-8"}

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--bridge", str(self.bridge), *args]

    def run(self, *args: str, timeout: float = 60, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(self.argv(*args), input=stdin, stdout=PIPE, stderr=PIPE, env=self.env,
                                  timeout=timeout, stdin=None if stdin is not None else DEVNULL)
        except subprocess.TimeoutExpired:
            raise CheckError(f"`cc2cc {' '.join(args)[:80]}` did not finish within {timeout:g} s") from None

    def popen(self, *args: str, **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdin", DEVNULL)
        proc = subprocess.Popen(self.argv(*args), env=self.env, **kwargs)
        Runner.children.add(proc)
        return proc

    def agents(self) -> dict[str, dict]:
        r = self.run("list", "--json", timeout=10)
        if r.returncode != 0:
            raise CheckError(f"list exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
        return {a["name"]: a for a in map(json.loads, r.stdout.decode().splitlines())}

    @classmethod
    def reap_all(cls) -> None:
        for proc in cls.children:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def panicked(stderr: bytes | str) -> bool:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    return "panicked at" in text or "RUST_BACKTRACE" in text


def kill9(proc: subprocess.Popen) -> bool:
    """SIGKILL `proc` if it still runs; True when the signal hit a live process."""
    if proc.poll() is not None:
        return False
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    proc.wait()
    return proc.returncode == -signal.SIGKILL


# ---- messages ----

def write_message(inbox: Path, sender: str, recipient: str, text: str) -> str:
    """Deliver one message the way a sender does (hidden temp file, then rename); return its id."""
    message = new_message(sender, recipient, text)
    os.rename(*stage_message(inbox, message))
    return message["id"]


def parse_message(line: bytes | str) -> dict | None:
    """The message on one output line of `inbox --json` / `watch --json`, or None when the line is
    not a whole message with the fields every reader relies on."""
    try:
        m = json.loads(line)
    except ValueError:
        return None
    if not isinstance(m, dict) or not isinstance(m.get("content"), dict):
        return None
    if not all(isinstance(m.get(k), str) for k in ("id", "timestamp", "from", "to", "type", "priority")):
        return None
    if not isinstance(m["content"].get("text"), str) or not m["id"].startswith("msg-"):
        return None
    return m


def message_files(directory: Path) -> set[str]:
    """Ids of the message files in a directory (dot files are temp files, not messages)."""
    try:
        return {p.name[:-5] for p in directory.iterdir() if p.name.endswith(".json") and not p.name.startswith(".")}
    except FileNotFoundError:
        return set()


def complete_lines(data: bytes) -> list[bytes]:
    """The newline-terminated lines of a stream; a last fragment cut by a kill is not a line."""
    return data.split(b"\n")[:-1]


def order_breaks(sequence: list[int]) -> int:
    """How many times a sequence of message numbers went backwards or repeated."""
    return sum(1 for a, b in zip(sequence, sequence[1:]) if b <= a)


class KillWindow:
    """When to kill: uniformly within a window that follows the victims' real lifetime. It
    starts from a measured duration and widens after each kill, narrows after each miss, so
    about half the kills land in a live process, anywhere from its start to its end, however
    busy the machine is."""

    def __init__(self, rng: random.Random, start: float):
        self.rng, self.width = rng, max(start, 0.001)

    def draw(self) -> float:
        return self.rng.uniform(0, self.width)

    def update(self, killed: bool) -> None:
        self.width = min(self.width * 1.1, 10.0) if killed else max(self.width * 0.9, 0.0005)


def wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


# ---- readers ----

class InboxLoop(threading.Thread):
    """Runs `cc2cc inbox --json` again and again until stopped (then once more), keeping every
    output line in order: one reader, as a shell loop would be."""

    def __init__(self, cc: Runner, name: str):
        super().__init__(daemon=True)
        self.cc, self.name = cc, name
        self.lines: list[bytes] = []
        self.stderr: list[str] = []
        self.crashes = 0
        self.passes = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            last = self.stopping.is_set()
            try:
                r = self.cc.run("--as", self.name, "inbox", "--json", timeout=60)
            except CheckError as e:
                self.stderr.append(str(e))
                self.crashes += 1
                return
            self.passes += 1
            self.lines += complete_lines(r.stdout)
            self.stderr += r.stderr.decode(errors="replace").splitlines()
            if r.returncode != 0 or panicked(r.stderr):
                self.crashes += 1
            if last:
                return
            if not r.stdout:
                time.sleep(0.005)

    def finish(self) -> None:
        self.stopping.set()
        self.join(120)


class Watch:
    """A `cc2cc watch --json` reader whose lines are collected as they come."""

    def __init__(self, cc: Runner, name: str, log: Path):
        self.log = log
        self.proc = cc.popen("--as", name, "watch", "--json", stdout=PIPE, stderr=open(log, "wb"))
        self.lines: list[bytes] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.endswith(b"\n"):
                self.lines.append(line[:-1])

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as a user's Ctrl-C or a service manager would; (exit code, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(10)
        return self.proc.returncode, self.log.read_text(errors="replace")


def reader_problems(result: Result, label: str, stderr_lines: list[str]) -> None:
    """Readers say nothing on stderr in these checks: a warning means a message was seen as bad,
    unreadable or vanished, which a racing or killed writer must never cause."""
    lines = [l for l in stderr_lines if l.strip() and not l.startswith("cc2cc: polling every")]
    if lines:
        result.counts[f"{label}_warnings"] = len(lines)
        result.fail(f"{label} wrote to stderr: {lines[0][:200]}" + (f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""))


# ---- the MCP server over its pipes ----

class McpError(Exception):
    pass


class McpServer:
    """One `serve-mcp` child speaking newline-delimited JSON-RPC. A reader thread files responses
    by id and channel pushes by msg_id, and counts stdout lines that are not JSON."""

    def __init__(self, cc: Runner, name: str, log: Path):
        self.log = log
        self.proc = cc.popen("--as", name, "serve-mcp", stdin=PIPE, stdout=PIPE, stderr=open(log, "ab"))
        self.cond = threading.Condition()
        self.responses: list[dict | list] = []  # every response, in arrival order
        self.pushes: dict[str, list[dict]] = defaultdict(list)  # msg_id -> params of each push
        self.push_order: list[str] = []
        self.wakes: list[dict] = []
        self.other_notifications = 0
        self.non_json = 0
        self.leaks = 0
        self.eof = False
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def __enter__(self) -> "McpServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if PASSWD_LEAK in line:
                self.leaks += 1
            try:
                msg = json.loads(line)
            except ValueError:
                with self.cond:
                    self.non_json += 1
                continue
            with self.cond:
                if isinstance(msg, list) or (isinstance(msg, dict) and "method" not in msg):
                    self.responses.append(msg)
                elif isinstance(msg, dict) and msg.get("method") == CHANNEL:
                    params = msg.get("params") or {}
                    msg_id = (params.get("meta") or {}).get("msg_id")
                    if msg_id:
                        self.pushes[msg_id].append(params)
                        self.push_order.append(msg_id)
                    else:
                        self.wakes.append(params)
                else:
                    self.other_notifications += 1
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def died(self) -> str:
        """Why the server is gone: its exit status and the last line it logged."""
        try:
            code = self.proc.wait(2)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        lines = [l for l in self.log.read_text(errors="replace").splitlines() if l.strip()]
        return f"serve-mcp exited {code}" + (f": {lines[-1].strip()}" if lines else "")

    def wait(self, predicate, timeout: float) -> bool:
        with self.cond:
            self.cond.wait_for(lambda: predicate() or self.eof, timeout)
            return predicate()

    def write(self, data: bytes, timeout: float = 30) -> None:
        """Write raw bytes to the server's stdin; a server that stops reading is a failure, not a hang."""
        error: list[BaseException] = []

        def writer() -> None:
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as e:
                error.append(e)

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            raise McpError(f"the server stopped reading its input ({len(data):,} bytes not taken in {timeout:g} s)")
        if error:
            raise McpError(self.died())

    def send(self, message: dict) -> None:
        self.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")

    def response_to(self, rid) -> dict | None:
        for r in self.responses:
            if isinstance(r, dict) and r.get("id") == rid and type(r.get("id")) is type(rid):
                return r
        return None

    def request(self, method: str, params: dict | None = None, timeout: float = 15) -> dict:
        """Send a request and return its result; an error response raises McpError."""
        self.next_id += 1
        rid = f"proof-{self.next_id}"  # never one of the ids the bad-input lines use
        self.send({"id": rid, "method": method, **({} if params is None else {"params": params})})
        if not self.wait(lambda: self.response_to(rid) is not None, timeout):
            raise McpError(f"{method}: " + (self.died() if self.eof else f"no response within {timeout:g} s"))
        r = self.response_to(rid)
        if "error" in r:
            raise McpError(f"{method} failed: {r['error']}")
        return r.get("result")

    def handshake(self) -> None:
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "cc2cc-proof", "version": "1"}})
        self.send({"method": "notifications/initialized"})
        if not self.wait(lambda: bool(self.wakes), 5):
            raise McpError("no wake notification within 5 s of notifications/initialized"
                           + (f" ({self.died()})" if self.eof else ""))

    def tool(self, name: str, arguments: dict, timeout: float = 60) -> tuple[str, bool]:
        result = self.request("tools/call", {"name": name, "arguments": arguments}, timeout)
        text = "\n".join(c.get("text", "") for c in result.get("content", []) if isinstance(c, dict))
        return text, bool(result.get("isError"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> int | None:
        """Close stdin (the server must exit promptly on EOF); kill it if it does not."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


# ---- checks ----

class Suite:
    def __init__(self, binary: str, work: Path, sizes: Sizes, rng: random.Random, skip_mcp: bool):
        self.binary, self.work, self.sizes, self.rng, self.skip_mcp = binary, work, sizes, rng, skip_mcp

    def runner(self, label: str) -> Runner:
        """A fresh bridge for one check, in work/LABEL/ beside the check's logs."""
        (self.work / label).mkdir(exist_ok=True)
        return Runner(self.binary, self.work, self.work / label / "bridge")

    # 1. load, with the MCP burst running meanwhile on another inbox

    def load(self) -> list[Result]:
        cc = self.runner("load")
        burst: list[Result] = []
        burst_thread = None
        if not self.skip_mcp:
            burst_thread = threading.Thread(target=lambda: burst.append(timed(self.mcp_burst, cc)), daemon=True)
            burst_thread.start()
        started = time.monotonic()
        result = Result("load")
        try:
            self._load(cc, result)
        except CheckError as e:
            result.fail(str(e))
        result.seconds = time.monotonic() - started
        results = [result]
        if burst_thread:
            burst_thread.join(600)
            results.append(burst[0] if burst else Result("mcp-burst", problems=["did not finish within 600 s"]))
        return results

    def _load(self, cc: Runner, result: Result) -> None:
        n, per = self.sizes.senders, self.sizes.per_sender
        rx = "load-rx"
        cc.run("register", rx)
        watch = Watch(cc, rx, self.work / "load" / "watch.log")
        loop = InboxLoop(cc, rx)
        if not wait_until(lambda: cc.agents().get(rx, {}).get("status") == "online", 10, 0.05):
            raise CheckError("watch did not come online within 10 s")
        loop.start()

        sent: dict[str, tuple[int, int]] = {}  # id -> (sender, number)
        failures: list[str] = []
        lock = threading.Lock()

        def sender(k: int) -> None:
            for i in range(per):
                try:
                    r = cc.run("--as", f"load-s{k}", "send", "--to", rx, f"s{k}:{i:06d}", timeout=60)
                except CheckError as e:
                    with lock:
                        failures.append(str(e))
                    continue
                with lock:
                    if r.returncode == 0 and MSG_ID.fullmatch(r.stdout.decode().strip()):
                        sent[r.stdout.decode().strip()] = (k, i)
                    else:
                        failures.append(f"send exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")

        def fast_writer() -> None:
            """One more sender: a long-lived process renaming messages in back to back (as a
            script or serve-mcp's send tool does), the hardest case for each sender's order."""
            inbox = cc.bridge / f"to-{rx}" / "inbox"
            for i in range(per):
                msg_id = write_message(inbox, f"load-s{n}", rx, f"s{n}:{i:06d}")
                with lock:
                    sent[msg_id] = (n, i)

        senders = [threading.Thread(target=sender, args=(k,), daemon=True) for k in range(n)]
        senders.append(threading.Thread(target=fast_writer, daemon=True))
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        inbox = cc.bridge / f"to-{rx}" / "inbox"
        drained = wait_until(lambda: not message_files(inbox), 60, 0.05)
        time.sleep(0.3)  # the last claims are printed right after they are made
        loop.finish()
        code, watch_err = watch.stop()

        readers = {"inbox": loop.lines, "watch": watch.lines}
        read = Counter()
        malformed = out_of_order = wrong = 0
        for label, lines in readers.items():
            numbers: dict[int, list[int]] = defaultdict(list)
            for line in lines:
                m = parse_message(line)
                if m is None:
                    malformed += 1
                    continue
                read[m["id"]] += 1
                origin = sent.get(m["id"])
                if origin is None or m["content"]["text"] != f"s{origin[0]}:{origin[1]:06d}" \
                        or m["from"] != f"load-s{origin[0]}":
                    wrong += 1
                    continue
                numbers[origin[0]].append(origin[1])
            out_of_order += sum(order_breaks(seq) for seq in numbers.values())
            result.counts[f"read_by_{label}"] = len(lines)
        crashes = loop.crashes + (0 if code == 128 + signal.SIGTERM and not panicked(watch_err) else 1)
        result.counts.update(
            sent=len(sent), read=len(read), lost=len(set(sent) - set(read)),
            duplicated=sum(c - 1 for c in read.values()), out_of_order=out_of_order,
            malformed=malformed, crashes=crashes)
        if failures:
            result.counts["send_failures"] = len(failures)
            result.fail(f"{len(failures)} sends failed: {failures[0][:200]}")
        for key in ("lost", "duplicated", "out_of_order", "malformed", "crashes"):
            result.expect(key, 0)
        if len(sent) != (n + 1) * per:
            result.fail(f"{len(sent) - per} of {n * per} sends printed an id")
        if wrong:
            result.fail(f"{wrong} messages read with a text or sender other than the one sent under their id")
        if not drained or message_files(inbox):
            result.fail(f"{len(message_files(inbox))} messages still pending after the readers stopped")
        if code != 128 + signal.SIGTERM:
            result.fail(f"watch exited {code} on SIGTERM, expected 143")
        reader_problems(result, "inbox", loop.stderr)
        reader_problems(result, "watch", watch_err.splitlines())

    def mcp_burst(self, cc: Runner) -> Result:
        result = Result("mcp-burst")
        n, rx = self.sizes.burst, "burst-rx"
        result.counts.update(sent=0, pushed=0, read=0, lost=n, duplicated=0, crashes=0)
        try:
            with McpServer(cc, rx, self.work / "load" / "serve-burst.log") as server:
                server.handshake()
                inbox = cc.bridge / f"to-{rx}" / "inbox"
                inbox.mkdir(parents=True, exist_ok=True)
                ids = [write_message(inbox, "burst-tx", rx, f"b:{i:06d}") for i in range(n)]
                number = {msg_id: i for i, msg_id in enumerate(ids)}
                result.counts["sent"] = n
                # Let the pushes settle: all of them, or none new for 3 s.
                last, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + 180
                while time.monotonic() < deadline and time.monotonic() - quiet_since < 3:
                    count = sum(1 for i in ids if i in server.pushes)
                    if count == n:
                        break
                    if count != last:
                        last, quiet_since = count, time.monotonic()
                    time.sleep(0.05)
                handed = Counter()
                handed_numbers: list[int] = []
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:  # results may be capped in size: call until empty
                    text, is_error = server.tool("check_inbox", {})
                    if is_error:
                        result.fail(f"check_inbox returned an error: {text[:200]}")
                        break
                    in_call = list(dict.fromkeys(i for i in MSG_ID.findall(text) if i in number))
                    handed.update(in_call)
                    handed_numbers += [number[i] for i in in_call]
                    if not in_call and not message_files(inbox):
                        break
                time.sleep(0.5)  # a push repeated after the hand-out would arrive now
                with server.cond:
                    pushes = {k: list(v) for k, v in server.pushes.items()}
                    push_order = [number[i] for i in server.push_order if i in number]
                bad_meta = sum(1 for plist in pushes.values() for p in plist
                               if not isinstance(p.get("content"), str)
                               or not all(META_KEY.match(k) for k in p.get("meta", {}))
                               or p["meta"].get("from") not in ("burst-tx", None)
                               or not p["meta"].get("type") or not p["meta"].get("priority"))
                alive = server.alive()
                code = server.close()
            done = message_files(cc.bridge / f"to-{rx}" / "done")
            result.counts.update(
                pushed=sum(1 for i in ids if i in pushes), read=len(handed),
                lost=sum(1 for i in ids if i not in handed),  # claimed but never shown to the model is lost
                not_in_done=sum(1 for i in ids if i not in done),
                duplicated=sum(len(v) - 1 for v in pushes.values()) + sum(c - 1 for c in handed.values()),
                out_of_order=order_breaks(push_order) + order_breaks(handed_numbers),
                crashes=0 if alive and code == 0 and not panicked(server.log.read_bytes()) else 1)
            for key in ("lost", "not_in_done", "duplicated", "out_of_order", "crashes"):
                result.expect(key, 0)
            if bad_meta:
                result.fail(f"{bad_meta} pushes without string content or with meta keys that are not identifiers")
            if len(server.wakes) != 1:
                result.fail(f"{len(server.wakes)} wake notifications, expected 1")
            if message_files(inbox):
                result.fail(f"{len(message_files(inbox))} messages still pending after check_inbox")
            if not alive or code != 0:
                result.fail(f"serve-mcp {'died during the burst' if not alive else f'exited {code} on stdin EOF'}")
        except (McpError, CheckError) as e:
            result.fail(str(e))
        return result

    # 2. faults

    def sender_kills(self) -> list[Result]:
        started = time.monotonic()
        cc = self.runner("kills")
        result = Result("sender-kills")
        try:
            self._sender_kills(cc, result)
        except CheckError as e:
            result.fail(str(e))
        result.seconds = time.monotonic() - started
        cleanup = timed(self.tmp_cleanup, cc, result.counts.get("tmp_left", 0))
        return [result, cleanup]

    def _sender_kills(self, cc: Runner, result: Result) -> None:
        rx = "kill-rx"
        cc.run("register", rx)
        # How long a send takes here, so the kills land anywhere in its life.
        durations = []
        for i in range(20):
            t0 = time.monotonic()
            r = cc.run("--as", "kill-tx", "send", "--to", "kill-cal", "x" * 60_000)
            durations.append(time.monotonic() - t0)
            if r.returncode != 0:
                raise CheckError(f"send exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
        window = KillWindow(self.rng, sorted(durations)[len(durations) // 2])

        watch = Watch(cc, rx, self.work / "kills" / "watch.log")
        loop = InboxLoop(cc, rx)
        loop.start()
        texts: dict[str, int] = {}  # text -> number
        finished: dict[str, int] = {}  # id -> number, for sends that completed
        kills = crashes = attempts = 0
        while kills < self.sizes.sender_kills and attempts < self.sizes.sender_kills * 20:
            i, attempts = attempts, attempts + 1
            text = f"k:{i:06d}:" + "x" * self.rng.choice((0, 1_000, 60_000))
            texts[text] = i
            proc = cc.popen("--as", "kill-tx", "send", "--to", rx, text, stdout=PIPE, stderr=PIPE)
            time.sleep(window.draw())
            killed = kill9(proc)
            window.update(killed)
            if killed:
                kills += 1
                proc.communicate()
                continue
            out, err = proc.communicate()
            if proc.returncode == 0 and MSG_ID.fullmatch(out.decode().strip()):
                finished[out.decode().strip()] = i
            elif proc.returncode != 0 or panicked(err):
                crashes += 1
                result.fail(f"send exited {proc.returncode}: {err.decode(errors='replace').strip()[:200]}")
        inbox = cc.bridge / f"to-{rx}" / "inbox"
        wait_until(lambda: not message_files(inbox), 30, 0.05)
        time.sleep(0.3)
        loop.finish()
        code, watch_err = watch.stop()

        read = Counter()
        partial = 0
        for line in loop.lines + watch.lines:
            m = parse_message(line)
            if m is None or m["content"]["text"] not in texts or m["from"] != "kill-tx":
                partial += 1
                continue
            read[m["id"]] += 1
        bad = list((cc.bridge / f"to-{rx}" / "bad").glob("*"))
        tmp_left = len(list(inbox.glob(".tmp-*")))
        crashes += loop.crashes + (0 if code == 128 + signal.SIGTERM and not panicked(watch_err) else 1)
        result.counts.update(
            attempts=attempts, kills=kills, sent=len(finished), read=len(read),
            lost=sum(1 for i in finished if i not in read), duplicated=sum(c - 1 for c in read.values()),
            partial=partial, bad_files=len(bad), tmp_left=tmp_left, crashes=crashes)
        result.counts["killed_but_delivered"] = len(read) - sum(1 for i in read if i in finished)
        for key in ("lost", "duplicated", "partial", "bad_files", "crashes"):
            result.expect(key, 0)
        if kills < self.sizes.sender_kills:
            result.fail(f"only {kills} of {attempts} sends were still running when killed")
        if message_files(inbox):
            result.fail(f"{len(message_files(inbox))} messages still pending after the readers stopped")
        reader_problems(result, "inbox", loop.stderr)
        reader_problems(result, "watch", watch_err.splitlines())

    def tmp_cleanup(self, cc: Runner, left_by_kills: int) -> Result:
        result = Result("tmp-cleanup")
        inbox = cc.bridge / "to-kill-rx" / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        stale = list(inbox.glob(".tmp-*"))
        if not stale:  # no kill landed inside a write this time: leave one as a killed sender would
            path = inbox / f".tmp-{uuid.uuid4()}.json"
            path.write_text('{"id": "msg-half", "from": "kill-tx", "content": {"te')
            stale.append(path)
        two_days_ago = time.time() - 2 * 86400
        for path in stale:
            os.utime(path, (two_days_ago, two_days_ago))
        fresh = inbox / f".tmp-{uuid.uuid4()}.json"
        fresh.write_text('{"id": "msg-in-flight"')
        r = cc.run("--as", "kill-rx", "inbox", "--json")
        remaining = [p for p in stale if p.exists()]
        result.counts.update(left_by_kills=left_by_kills, stale=len(stale), removed=len(stale) - len(remaining),
                             fresh_kept=int(fresh.exists()), printed=len(complete_lines(r.stdout)),
                             crashes=int(r.returncode != 0 or panicked(r.stderr)))
        result.expect("removed", len(stale))
        result.expect("fresh_kept", 1)
        result.expect("printed", 0)
        result.expect("crashes", 0)
        reader_problems(result, "inbox", r.stderr.decode(errors="replace").splitlines())
        fresh.unlink(missing_ok=True)
        return result

    def reader_kills(self) -> list[Result]:
        result = Result("reader-kills")
        try:
            self._reader_kills(self.runner("readers"), result)
        except CheckError as e:
            result.fail(str(e))
        return [result]

    def _reader_kills(self, cc: Runner, result: Result) -> None:
        rx, batch = "rk-rx", self.sizes.batch
        cc.run("register", rx)
        cc.run("register", "rk-cal")
        write_all = lambda inbox: [write_message(inbox, "rk-tx", inbox.parent.name[3:], f"r:{uuid.uuid4()}")
                                   for _ in range(batch)]
        # How long one reader takes over a batch, so the kills land anywhere in its pass.
        write_all(cc.bridge / "to-rk-cal" / "inbox")
        t0 = time.monotonic()
        r = cc.run("--as", "rk-cal", "inbox", "--json")
        window = KillWindow(self.rng, time.monotonic() - t0)
        if len(complete_lines(r.stdout)) != batch:
            raise CheckError(f"calibration read printed {len(complete_lines(r.stdout))} of {batch} messages")

        inbox = cc.bridge / f"to-{rx}" / "inbox"
        done = cc.bridge / f"to-{rx}" / "done"
        written: list[str] = []
        printed = Counter()
        partial = kills = crashes = passes = 0
        outputs = self.work / "readers" / "out"
        outputs.mkdir(parents=True)
        while kills < self.sizes.reader_kills and passes < self.sizes.reader_kills * 4:
            written += write_all(inbox)
            procs = []
            for j in range(2):  # two readers race, each killed at its own moment
                out = outputs / f"{passes}-{j}.out"
                procs.append((out, cc.popen("--as", rx, "inbox", "--json", stdout=open(out, "wb"), stderr=PIPE)))
            passes += 1
            t0 = time.monotonic()
            for when, (out, proc) in sorted(((window.draw(), p) for p in procs), key=lambda x: x[0]):
                time.sleep(max(0.0, t0 + when - time.monotonic()))
                killed = kill9(proc)
                window.update(killed)
                kills += killed
                err = proc.communicate()[1]
                if not killed and (proc.returncode != 0 or panicked(err)):
                    crashes += 1
                    result.fail(f"a reader exited {proc.returncode}: {err.decode(errors='replace').strip()[:200]}")
                elif not killed and err.strip():
                    result.fail(f"a reader wrote to stderr: {err.decode(errors='replace').strip()[:200]}")
                for line in complete_lines(out.read_bytes()):
                    m = parse_message(line)
                    if m is None:
                        partial += 1
                    else:
                        printed[m["id"]] += 1

        # Now, before anyone drains the rest: each message in exactly one of inbox/ and done/.
        pending, read = message_files(inbox), message_files(done)
        bad = list((cc.bridge / f"to-{rx}" / "bad").glob("*"))
        lost = [i for i in written if i not in pending and i not in read]
        both = [i for i in written if i in pending and i in read]
        printed_pending = [i for i in printed if i in pending]
        claimed_unprinted = sum(1 for i in written if i in read and i not in printed)
        # A later reader hands out the rest, none of it again.
        r = cc.run("--as", rx, "inbox", "--json")
        rest = Counter(m["id"] for m in map(parse_message, complete_lines(r.stdout)) if m)
        again = sum(1 for i in rest if i in printed)
        printed.update(rest)
        crashes += int(r.returncode != 0 or panicked(r.stderr))
        result.counts.update(
            sent=len(written), kills=kills, read=len(printed), lost=len(lost),
            duplicated=sum(c - 1 for c in printed.values()) + len(both), partial=partial,
            claimed_unprinted=claimed_unprinted, crashes=crashes)
        for key in ("lost", "duplicated", "partial", "crashes"):
            result.expect(key, 0)
        if kills < self.sizes.reader_kills:
            result.fail(f"only {kills} readers were still running when killed, in {passes} rounds")
        if printed_pending:
            result.fail(f"{len(printed_pending)} messages printed but still pending (handed out unclaimed)")
        if again:
            result.fail(f"{again} messages handed out again by the last reader")
        if bad:
            result.fail(f"{len(bad)} files in bad/: {bad[0].name}")
        if message_files(inbox):
            result.fail(f"{len(message_files(inbox))} messages still pending after the last reader")
        if len(rest) + sum(1 for i in written if i in read) != len(written):
            result.fail("the last reader did not hand out exactly what was pending")
        reader_problems(result, "last inbox", r.stderr.decode(errors="replace").splitlines())

    def mcp_kill(self) -> list[Result]:
        result = Result("mcp-kill")
        cc = self.runner("mcp-kill")
        name = "kill-mcp"
        delays = []
        crashes = 0
        try:
            for j in range(self.sizes.mcp_kills):
                server = McpServer(cc, name, self.work / "mcp-kill" / "serve.log")
                server.handshake()
                if not wait_until(lambda: cc.agents().get(name, {}).get("status") == "online", 5, 0.02):
                    raise CheckError(f"serve-mcp not online in list within 5 s of starting (round {j + 1})")
                if not server.alive():
                    crashes += 1
                os.kill(server.proc.pid, signal.SIGKILL)
                t0 = time.monotonic()
                server.proc.wait()
                offline = wait_until(lambda: cc.agents().get(name, {}).get("status") == "offline", 5, 0.01)
                delays.append(time.monotonic() - t0 if offline else float("inf"))
        except (McpError, CheckError) as e:
            result.fail(str(e))
        slow = [d for d in delays if d > 1.0]
        worst = max(delays, default=None)
        result.counts.update(kills=len(delays), offline_within_1s=len(delays) - len(slow),
                             max_ms=None if worst in (None, float("inf")) else round(worst * 1000, 1),
                             crashes=crashes)
        if slow:
            result.fail(f"{len(slow)} of {len(delays)} kills still online after 1 s")
        result.expect("crashes", 0)
        return [result]

    # 3. bad input to the MCP server

    def mcp_bad_input(self) -> list[Result]:
        result = Result("mcp-bad-input")
        cc = self.runner("mcp-input")
        cases = rpc_cases()
        answered = wrong = 0
        try:
            with McpServer(cc, "bad-rpc", self.work / "mcp-input" / "serve.log") as server:
                server.handshake()
                for n, (label, line, want, rid) in enumerate(cases):
                    before = len(server.responses)
                    server.write(line + b"\n", timeout=60)
                    probe = f"probe-{n}"
                    server.send({"id": probe, "method": "ping"})
                    if not server.wait(lambda: server.response_to(probe) is not None, 30):
                        raise McpError(f"no answer to ping after {label}: " + (server.died() if server.eof else "hung"))
                    others = lambda: [r for r in server.responses[before:] if not (isinstance(r, dict) and r.get("id") == probe)]
                    if want != "silent":
                        server.wait(lambda: bool(others()), 3)
                    else:
                        time.sleep(0.05)
                    problem = judge(want, rid, others())
                    if problem:
                        wrong += 1
                        result.fail(f"{label}: {problem}")
                    elif want != "silent":
                        answered += 1
                tools = server.request("tools/list", {})
                if not isinstance(tools, dict) or not tools.get("tools"):
                    result.fail("tools/list gave no tools after the bad input")
                leaks, non_json = server.leaks, server.non_json
                alive = server.alive()
                code = server.close()
            stray = [p.name for p in (cc.bridge).iterdir() if p.name.startswith("to-") and p.name != "to-bad-rpc"]
            outside = [p.name for p in cc.bridge.parent.iterdir() if p.name not in ("bridge", "serve.log")]
            result.counts.update(lines=len(cases), answered=answered, wrong=wrong, non_json_output=non_json,
                                 leaks=leaks, crashes=0 if alive and code == 0 and not panicked(server.log.read_bytes()) else 1)
            for key in ("non_json_output", "leaks", "crashes"):
                result.expect(key, 0)
            if stray or outside:
                result.fail(f"bad tool calls wrote outside the server's mailbox: {(stray + outside)[:5]}")
        except (McpError, CheckError) as e:
            result.counts.update(lines=len(cases), answered=answered, crashes=1)
            result.fail(str(e))
        return [result]

    def mcp_bad_files(self) -> list[Result]:
        result = Result("mcp-bad-files")
        cc = self.runner("mcp-files")
        rx = "badf-rx"
        try:
            with McpServer(cc, rx, self.work / "mcp-files" / "serve.log") as server:
                server.handshake()
                inbox = cc.bridge / f"to-{rx}" / "inbox"
                inbox.mkdir(parents=True, exist_ok=True)
                junk = plant_junk(inbox)
                # A message encrypted with another secret (random IV, tag and ciphertext fail the
                # same way): never shown as plain text, never moved, named in the tool result.
                (cc.bridge / "secret.key").write_text("the bridge's secret\n")
                (cc.bridge / "secret.key").chmod(0o600)
                sealed = "ENC:" + ":".join(os.urandom(k).hex() for k in (12, 16, 40))
                locked = write_message(inbox, "badf-tx", rx, sealed)
                r = cc.run("--as", "badf-tx", "send", "--to", rx, "good after junk")
                good = r.stdout.decode().strip()
                if r.returncode != 0:
                    raise CheckError(f"send exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
                pushed = server.wait(lambda: good in server.pushes, 10)
                server.request("ping", {})
                text, is_error = server.tool("check_inbox", {})
                bad_dir = cc.bridge / f"to-{rx}" / "bad"
                moved = wait_until(lambda: all((bad_dir / j).exists() or (bad_dir / j).is_symlink() for j in junk), 5)
                with server.cond:
                    sealed_shown = locked in server.pushes or any(
                        sealed in json.dumps(r) for r in server.responses)
                alive = server.alive()
                leaks = server.leaks
                code = server.close()
            in_bad = sorted(p.name for p in bad_dir.iterdir()) if bad_dir.exists() else []
            result.counts.update(undecryptable_kept=int((inbox / f"{locked}.json").exists()),
                                 undecryptable_named=int(locked in text), undecryptable_shown=int(sealed_shown))
            result.counts.update(junk_files=len(junk), moved_to_bad=sum(1 for j in junk if j in in_bad),
                                 good_pushed=int(pushed), good_handed_out=int(good in text and not is_error),
                                 leaks=leaks, crashes=0 if alive and code == 0 and not panicked(server.log.read_bytes()) else 1)
            result.expect("undecryptable_kept", 1)
            result.expect("undecryptable_named", 1)
            result.expect("undecryptable_shown", 0)
            result.expect("moved_to_bad", len(junk))
            result.expect("good_pushed", 1)
            result.expect("good_handed_out", 1)
            result.expect("leaks", 0)
            result.expect("crashes", 0)
            if not moved:
                result.fail(f"not moved to bad/: {sorted(set(junk) - set(in_bad))}")
        except (McpError, CheckError) as e:
            result.counts.setdefault("crashes", 1)
            result.fail(str(e))
        return [result]


    def mcp_bad_bridge(self) -> list[Result]:
        """serve-mcp on a bridge it must not use: it says so on one line and exits 1, never
        panics, never hangs; on a bridge another user owns but cannot be written by others it
        warns, naming the owner, and serves."""
        result = Result("mcp-bad-bridge")
        base = self.work / "mcp-bridge"
        base.mkdir()
        cases = []
        as_file = base / "file"
        as_file.write_text("not a directory")
        cases.append(("a file", as_file, "refuse", "is not a directory"))
        if os.geteuid() == 0:  # only root can give a directory to another user
            for label, mode, want, says, allow in (
                    ("another user's, world-writable", 0o777, "refuse", "refusing bridge", False),
                    ("another user's, not writable by others", 0o755, "refuse", "uid 65534", False),
                    ("another user's, allowed by CC2CC_ALLOW_SHARED_BRIDGE", 0o755, "warn", "uid 65534", True)):
                d = base / f"other-{mode:o}-{int(allow)}"
                d.mkdir()
                d.chmod(mode)
                os.chown(d, 65534, 65534)
                cases.append((label, d, want, says, allow))
        cases = [c if len(c) == 5 else (*c, False) for c in cases]
        crashes = wrong = 0
        for label, bridge, want, says, allow in cases:
            cc = Runner(self.binary, self.work, bridge)
            if allow:
                cc.env["CC2CC_ALLOW_SHARED_BRIDGE"] = "1"
            log = base / f"{bridge.name}.log"
            server = McpServer(cc, "bridge-mcp", log)
            try:
                if want == "refuse":
                    try:
                        code = server.proc.wait(10)
                    except subprocess.TimeoutExpired:
                        wrong += 1
                        result.fail(f"{label}: serve-mcp still running after 10 s")
                        continue
                    err = log.read_text(errors="replace")
                    errors = [l for l in err.splitlines() if l.startswith("cc2cc: error:")]
                    if code != 1 or len(errors) != 1 or says not in errors[0]:
                        wrong += 1
                        result.fail(f"{label}: exit {code}, stderr {err.strip()[:200]!r}; expected 1 and "
                                    f"one 'cc2cc: error:' line saying {says!r}")
                else:
                    server.handshake()
                    server.request("ping", {})
                    err = log.read_text(errors="replace")
                    if not any("warning" in l and says in l for l in err.splitlines()):
                        wrong += 1
                        result.fail(f"{label}: no warning naming {says!r} in {err.strip()[:200]!r}")
                crashes += panicked(log.read_bytes())
            except McpError as e:
                wrong += 1
                result.fail(f"{label}: {e}")
            finally:
                server.close()
        result.counts.update(bridges=len(cases), handled=len(cases) - wrong, crashes=crashes)
        result.expect("crashes", 0)
        return [result]


    # 8. attacks: symlinked folders, FIFOs and hard links

    def attacks(self) -> list[Result]:
        result = Result("attacks")
        base = self.work / "attacks"
        base.mkdir(exist_ok=True)
        tried = held = hangs = 0

        def attack(label: str, run) -> None:
            nonlocal tried, held, hangs
            tried += 1
            n = tried
            cc = Runner(self.binary, self.work, base / f"b{n}")
            victim = base / f"victim{n}"
            (victim / "inbox").mkdir(parents=True)
            (victim / "notes.txt").write_text("private")
            before = sorted(str(p.relative_to(victim)) for p in victim.rglob("*"))
            try:
                problem = run(cc, victim)
            except CheckError as e:
                hangs += 1
                problem = str(e)
            after = sorted(str(p.relative_to(victim)) for p in victim.rglob("*"))
            if not problem and after != before:
                problem = f"the link's target changed: {sorted(set(after) - set(before))}"
            if not problem and (victim / "notes.txt").read_text() != "private":
                problem = "a file behind a link was overwritten"
            if problem:
                result.fail(f"{label}: {problem}")
            else:
                held += 1

        def send(cc: Runner, to: str, text: str = "hello") -> subprocess.CompletedProcess:
            return cc.run("--as", "mallory", "send", "--to", to, text, timeout=10)

        def linked_mailbox(cc: Runner, victim: Path):
            send(cc, "x")
            (cc.bridge / "to-bob").symlink_to(victim)
            r = send(cc, "bob", "planted")
            return None if r.returncode == 1 else f"send exited {r.returncode}"

        def linked_sub(sub: str, reader: tuple):
            def run(cc: Runner, victim: Path):
                sent = send(cc, "bob", "private mail").stdout.decode().strip()
                (cc.bridge / "to-bob" / "inbox" / "junk.json").write_text("{not json")
                d = cc.bridge / "to-bob" / sub
                if d.exists():
                    shutil.rmtree(d)
                d.symlink_to(victim)
                r = cc.run("--as", "bob", *reader, timeout=10)
                if panicked(r.stderr):
                    return "panicked"
                if sub == "inbox" and b"private mail" in r.stdout:
                    return "read through a linked inbox"
                moved_out = (victim / f"{sent}.json").exists()
                return "a message left the bridge through the link" if moved_out else None
            return run

        def linked_status(cc: Runner, victim: Path):
            send(cc, "bob")
            shutil.rmtree(cc.bridge / "status", ignore_errors=True)
            (cc.bridge / "status").symlink_to(victim)
            r = cc.run("--as", "bob", "watch", "--timeout", "200ms", timeout=10)
            cc.run("list", timeout=10)
            return None if r.returncode == 1 else f"watch exited {r.returncode}"

        def fifo_receipt(reader: tuple):
            def run(cc: Runner, victim: Path):
                sent = send(cc, "bob").stdout.decode().strip()
                os.mkfifo(cc.bridge / "to-bob" / "receipts" / f"{sent}.receipt.json", 0o600)
                if reader == ("serve-mcp",):
                    with McpServer(cc, "bob", base / "fifo-serve.log") as server:
                        server.handshake()
                        text, _ = server.tool("check_inbox", {}, timeout=10)
                        return None if sent in text else "check_inbox did not hand it out"
                r = cc.run("--as", "bob", *reader, timeout=10)
                return None if sent.encode() in r.stdout else f"{reader[0]} exited {r.returncode} without it"
            return run

        def hard_link_receipt(cc: Runner, victim: Path):
            sent = send(cc, "bob").stdout.decode().strip()
            os.link(victim / "notes.txt", cc.bridge / "to-bob" / "receipts" / f"{sent}.receipt.json")
            cc.run("--as", "bob", "inbox", timeout=10)
            return None

        def fifo_heartbeat(cc: Runner, victim: Path):
            send(cc, "bob")
            (cc.bridge / "status").mkdir(exist_ok=True)
            os.mkfifo(cc.bridge / "status" / "bob-heartbeat.json", 0o600)
            r = cc.run("list", "--json", timeout=10)
            return None if r.returncode == 0 else f"list exited {r.returncode}"

        try:
            attack("symlinked to-bob/ under send", linked_mailbox)
            for sub in ("inbox", "done", "receipts", "bad"):
                attack(f"symlinked to-bob/{sub}/ under inbox", linked_sub(sub, ("inbox",)))
                attack(f"symlinked to-bob/{sub}/ under watch", linked_sub(sub, ("watch", "--timeout", "300ms")))
            attack("symlinked status/ under watch and list", linked_status)
            for reader in (("inbox",), ("watch", "--count", "1")) + (() if self.skip_mcp else (("serve-mcp",),)):
                attack(f"FIFO at a receipt under {reader[0]}", fifo_receipt(reader))
            attack("hard link at a receipt", hard_link_receipt)
            attack("FIFO at a heartbeat under list", fifo_heartbeat)
        finally:
            Runner.reap_all()
        result.counts.update(attacks=tried, held=held, hangs=hangs, lost=0)
        result.expect("held", tried)
        return [result]

    # 9. serve-mcp killed during tool calls

    def mcp_kill_calls(self) -> list[Result]:
        result = Result("mcp-kill-calls")
        cc = self.runner("mcp-kill-calls")
        rx, n_msgs = "calls-rx", 60 * self.sizes.call_kills
        inbox = cc.bridge / f"to-{rx}" / "inbox"
        done = cc.bridge / f"to-{rx}" / "done"
        cc.run("register", rx)
        sent = {write_message(inbox, "calls-tx", rx, f"call {i} " + "x" * self.rng.randrange(0, 400))
                for i in range(n_msgs)}
        shown: Counter = Counter()
        kills = closed_clients = 0
        log = self.work / "mcp-kill-calls" / "serve.log"

        def read_all(server: McpServer) -> None:
            with server.cond:
                for r in server.responses:
                    if isinstance(r, dict) and isinstance(r.get("result"), dict):
                        # A rendered message names its id twice (header, how to answer): count
                        # each id once per result.
                        ids = {mid for c in r["result"].get("content", []) if isinstance(c, dict)
                               for mid in MSG_ID.findall(c.get("text", ""))}
                        for mid in ids & sent:
                            shown[mid] += 1

        try:
            for j in range(self.sizes.call_kills):
                server = McpServer(cc, rx, log)
                server.handshake()
                # A burst of tool calls, written without waiting; the kill lands among them.
                calls = b"".join(json.dumps({"jsonrpc": "2.0", "id": f"c{j}-{k}", "method": "tools/call",
                                             "params": {"name": ("check_inbox", "whoami", "list_agents")[k % 3],
                                                        "arguments": {}}}).encode() + b"\n"
                                 for k in range(12))
                server.write(calls)
                time.sleep(self.rng.uniform(0, 0.05))
                if kill9(server.proc):
                    kills += 1
                server.wait(lambda: server.eof, 5)  # what was written before the kill is still read
                read_all(server)
            # Clients that go away before the answer: stdout closed on their side.
            for j in range(max(2, self.sizes.call_kills // 5)):
                r, w = os.pipe()
                os.close(r)
                proc = subprocess.Popen(cc.argv("--as", rx, "serve-mcp"), stdin=PIPE, stdout=w,
                                        stderr=open(log, "ab"), env=cc.env)
                os.close(w)
                Runner.children.add(proc)
                before = message_files(done)
                proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                             "params": {"name": "check_inbox", "arguments": {}}}).encode() + b"\n")
                proc.stdin.close()
                proc.wait(10)
                closed_clients += 1
                if message_files(done) - before:
                    result.fail(f"{len(message_files(done) - before)} messages marked read for a client that was gone")
            # Then one server reads the rest to the end.
            with McpServer(cc, rx, log) as server:
                server.handshake()
                for _ in range(n_msgs):
                    text, _ = server.tool("check_inbox", {}, timeout=30)
                    if "No pending messages" in text:
                        break
                read_all(server)
                server.close()
        except (McpError, CheckError) as e:
            result.fail(str(e))
        read = message_files(done) & sent
        lost = read - set(shown)  # marked read, never written to a client
        result.counts.update(sent=n_msgs, faults=kills + closed_clients, kills=kills, closed_clients=closed_clients,
                             read=len(read), shown=len(shown), lost=len(lost),
                             shown_again_after_a_kill=sum(1 for c in shown.values() if c > 1),
                             left_pending=len(message_files(inbox) & sent))
        result.expect("lost", 0)
        result.expect("left_pending", 0)
        return [result]

    # 10. closed pipes under inbox and watch

    def closed_pipe(self) -> list[Result]:
        result = Result("closed-pipe")
        cc = self.runner("closed-pipe")
        rx = "pipe-rx"
        inbox = cc.bridge / f"to-{rx}" / "inbox"
        done = cc.bridge / f"to-{rx}" / "done"
        cc.run("register", rx)
        faults = 0
        sent: set[str] = set()
        printed: set[str] = set()
        try:
            for reader in (("inbox",), ("watch", "--timeout", "2s")):
                for _ in range(self.sizes.pipe_rounds):
                    sent |= {write_message(inbox, "pipe-tx", rx, f"m{i}") for i in range(3)}
                    r, w = os.pipe()
                    os.close(r)
                    proc = subprocess.Popen(cc.argv("--as", rx, *reader), stdout=w, stderr=PIPE, stdin=DEVNULL,
                                            env=cc.env)
                    os.close(w)
                    _, err = proc.communicate(timeout=10)
                    faults += 1
                    if proc.returncode != 0 or panicked(err):
                        result.fail(f"{reader[0]} into a closed pipe exited {proc.returncode}: {err.decode()[:200]}")
            # The two-phase read: peek what head shows, ack exactly that.
            for _ in range(self.sizes.pipe_rounds):
                shell = (f"'{self.binary}' --bridge '{cc.bridge}' --as {rx} inbox --peek --json | head -n 1")
                out = subprocess.run(["sh", "-c", shell], stdout=PIPE, stderr=PIPE, env=cc.env, timeout=10)
                faults += 1
                m = parse_message(out.stdout.split(b"\n")[0]) if out.stdout else None
                if not m:
                    break
                cc.run("--as", rx, "ack", m["id"], timeout=10)
                printed.add(m["id"])
        except (subprocess.TimeoutExpired, CheckError) as e:
            result.fail(f"hung: {e}")
        read = message_files(done) & sent
        lost = read - printed
        result.counts.update(sent=len(sent), faults=faults, acked=len(printed), read=len(read), lost=len(lost),
                             pending=len(message_files(inbox) & sent))
        result.expect("lost", 0)
        if len(read) + len(message_files(inbox) & sent) != len(sent):
            result.fail("messages neither pending nor read")
        return [result]


def plant_junk(inbox: Path) -> list[str]:
    """Every kind of file that is not a message, as a damaged bridge or another agent leaves them."""
    (inbox / "truncated.json").write_text('{"id": "msg-x", "from": "a", "content": {"te')
    (inbox / "binary.json").write_bytes(bytes([0, 159, 146, 150, 255, 0, 1]))
    (inbox / "types.json").write_text('{"id": 5, "from": [], "content": "x"}')
    with open(inbox / "huge.json", "wb") as f:
        f.truncate(10 * 1024 * 1024)
    os.symlink("/etc/passwd", inbox / "passwd.json")
    (inbox / "dir.json").mkdir()
    os.mkfifo(inbox / "fifo.json", 0o600)
    return ["truncated.json", "binary.json", "types.json", "huge.json", "passwd.json", "dir.json", "fifo.json"]


def rpc_cases() -> list[tuple[str, bytes, str, object]]:
    """(label, line, expectation, request id) for each bad JSON-RPC line. Expectations:
    error: a JSON-RPC error whose id is the request's (when it had a valid one) or null;
    tool-error: a JSON-RPC error or a tool result with isError true;
    answered: any response (an odd but valid id must be echoed exactly);
    silent: no response (notifications and stray responses are not answered)."""
    def req(rid, method, params=None, **extra) -> bytes:
        body = {"jsonrpc": "2.0", "id": rid, "method": method, **extra}
        if params is not None:
            body["params"] = params
        return json.dumps(body).encode()

    ten_mb = 10 * 1024 * 1024
    return [
        ("not JSON", b"this is not json", "error", None),
        ("truncated JSON", b'{"jsonrpc": "2.0", "id": 1, "method": "ping"', "error", None),
        ("binary", bytes([0xFF, 0xFE, 0x00, 0x01, 0x80]) + b"garbage", "error", None),
        ("wrong jsonrpc version", req(2, "ping", jsonrpc="1.0"), "error", 2),
        ("no jsonrpc member", b'{"id": 3, "method": "ping"}', "error", 3),
        ("id is an object", req({"a": 1}, "ping"), "error", None),
        ("id is an array", req([1], "ping"), "error", None),
        ("id is a boolean", req(True, "ping"), "error", None),
        ("id is null", req(None, "ping"), "answered", None),
        ("id is a float", req(1.5, "ping"), "answered", 1.5),
        ("id is negative", req(-7, "ping"), "result", -7),
        ("id is a unicode string", req("ïd-\u202e-\u0000-☃", "ping"), "result", "ïd-\u202e-\u0000-☃"),
        ("id is 100 KB long", req("i" * 100_000, "ping"), "answered", "i" * 100_000),
        ("id out of range", b'{"jsonrpc": "2.0", "id": 1e400, "method": "ping"}', "answered", None),
        ("deeply nested params", b'{"jsonrpc": "2.0", "id": 15, "method": "ping", "params": {"a": '
         + b"[" * 100_000 + b"]" * 100_000 + b"}}", "answered", 15),
        ("deeply nested line", b"[" * 1_000_000, "error", None),
        ("10 MB request", req(16, "ping", {"pad": "x" * ten_mb}), "answered", 16),
        ("10 MB of garbage", b"x" * ten_mb, "error", None),
        ("batch", b"[" + req(18, "ping") + b"]", "error-or-batch", None),
        ("empty batch", b"[]", "error", None),
        ("params is a string", req(20, "tools/call", "x"), "error", 20),
        ("tool name is a number", req(21, "tools/call", {"name": 5}), "tool-error", 21),
        ("tool arguments of wrong types", req(22, "tools/call", {"name": "send", "arguments": {"to": 5, "text": []}}),
         "tool-error", 22),
        ("tool arguments not an object", req(23, "tools/call", {"name": "send", "arguments": "to=x"}), "tool-error", 23),
        ("send to a path", req(24, "tools/call", {"name": "send", "arguments": {"to": "../../etc", "text": "x"}}),
         "tool-error", 24),
        ("reply to a path", req(25, "tools/call", {"name": "reply", "arguments": {"msg_id": "../../../etc/passwd",
                                                                                    "text": "x"}}), "tool-error", 25),
        ("register a path", req(26, "tools/call", {"name": "register", "arguments": {"name": "../x"}}), "tool-error", 26),
        ("unknown tool", req(27, "tools/call", {"name": "rm_rf", "arguments": {}}), "tool-error", 27),
        ("unknown method", req(28, "no/such/method"), "method-not-found", 28),
        ("server/discover", req(29, "server/discover"), "method-not-found", 29),
        ("method is a number", b'{"jsonrpc": "2.0", "id": 30, "method": 42}', "error", 30),
        ("no method", b'{"jsonrpc": "2.0", "id": 31}', "error", 31),
        ("null", b"null", "error", None),
        ("a number", b"42", "error", None),
        ("a string", b'"ping"', "error", None),
        ("empty object", b"{}", "error", None),
        ("initialize with wrong types", req(32, "initialize", {"protocolVersion": 7, "capabilities": "none"}),
         "answered", 32),
        ("unknown notification", b'{"jsonrpc": "2.0", "method": "no/such/notification"}', "silent", None),
        ("a stray response", b'{"jsonrpc": "2.0", "id": 33, "result": {}}', "silent", None),
    ]


def judge(want: str, rid, responses: list) -> str | None:
    """None when `responses` (what came back for one bad line) meets the expectation."""
    if want == "silent":
        return f"answered a line that needs no answer: {str(responses[0])[:120]}" if responses else None
    if not responses:
        return "no response"
    if len(responses) > 1:
        return f"{len(responses)} responses to one line"
    r = responses[0]
    if isinstance(r, list):
        return None if want == "error-or-batch" else f"a batch response: {str(r)[:120]}"
    if r.get("jsonrpc") != "2.0":
        return f"the response is not JSON-RPC 2.0: {str(r)[:120]}"
    error = r.get("error")
    if error is not None and (not isinstance(error, dict) or not isinstance(error.get("code"), int)
                              or not isinstance(error.get("message"), str)):
        return f"a malformed error object: {str(error)[:120]}"
    if rid is not None and r.get("id") != rid and not (error is not None and r.get("id") is None and want == "answered"):
        # A line too deep or too long to parse cannot have its id read: null is then right.
        return f"answered with id {str(r.get('id'))[:40]}, not {str(rid)[:40]}"
    if want in ("error", "error-or-batch"):
        if error is None:
            return f"a result instead of an error: {str(r)[:120]}"
        if rid is None and r.get("id") is not None:
            return f"an error for an unreadable id should carry id null, got {str(r.get('id'))[:40]}"
    elif want == "method-not-found":
        if error is None or error.get("code") != -32601:
            return f"expected error -32601, got {str(r)[:120]}"
    elif want == "tool-error":
        if error is None and not (isinstance(r.get("result"), dict) and r["result"].get("isError") is True):
            return f"neither an error nor an isError result: {str(r)[:120]}"
    elif want == "result":
        if error is not None:
            return f"an error for a valid request: {str(error)[:120]}"
    return None


def timed(check, *args) -> Result:
    started = time.monotonic()
    result = check(*args)
    result.seconds = time.monotonic() - started
    return result


def print_result(r: Result) -> None:
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r.counts.items())
    print(f"{'ok  ' if r.ok else 'FAIL'} {r.name}: {counts} ({r.seconds:.1f} s)", flush=True)
    for p in r.problems[:10]:
        print(f"       - {p}", flush=True)
    if len(r.problems) > 10:
        print(f"       - ... and {len(r.problems) - 10} more", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="cc2cc binary (default: $CC2CC_BIN, target/release, target/debug)")
    parser.add_argument("--full", action="store_true", help="the issue's sizes (8 x 1,000, 500 kills, 10,000 burst)")
    parser.add_argument("--skip-mcp", action="store_true", help="leave out the serve-mcp checks")
    parser.add_argument("--only", help="comma-separated checks to run: " + ", ".join(CHECKS))
    parser.add_argument("--json", metavar="PATH", help="write the counts per check to PATH")
    parser.add_argument("--seed", type=int, help="random seed for kill timings (default: random, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else set(CHECKS)
    if only - set(CHECKS):
        parser.error(f"unknown check(s): {', '.join(sorted(only - set(CHECKS)))}")
    binary = find_binary(args.bin)
    sizes = FULL if args.full else CI
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    skip = set(MCP_CHECKS) if args.skip_mcp else set()
    work = Path(tempfile.mkdtemp(prefix="cc2cc-proof-"))
    print(f"cc2cc proof suite ({'full' if args.full else 'CI'} size, seed {seed}): {binary}", flush=True)
    suite = Suite(binary, work, sizes, random.Random(seed), skip_mcp=args.skip_mcp or "mcp-burst" not in only)
    started = time.monotonic()
    results: list[Result] = []
    plan = [("load", suite.load), ("sender-kills", suite.sender_kills), ("reader-kills", suite.reader_kills),
            ("mcp-kill", suite.mcp_kill), ("mcp-bad-input", suite.mcp_bad_input), ("mcp-bad-files", suite.mcp_bad_files),
            ("mcp-bad-bridge", suite.mcp_bad_bridge), ("mcp-kill-calls", suite.mcp_kill_calls),
            ("attacks", suite.attacks), ("closed-pipe", suite.closed_pipe)]
    covers = {"load": {"load", "mcp-burst"}, "sender-kills": {"sender-kills", "tmp-cleanup"}}
    try:
        for name, check in plan:
            wanted = (covers.get(name, {name}) & only) - skip
            if not wanted:
                continue
            t0 = time.monotonic()
            for r in check():
                if r.name in wanted:
                    if not r.seconds:
                        r.seconds = time.monotonic() - t0
                    results.append(r)
                    print_result(r)
    finally:
        Runner.reap_all()
    for name in sorted(skip & only, key=CHECKS.index):
        print(f"skip {name}: --skip-mcp", flush=True)
    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    figures = {k: sum(r.counts.get(k) or 0 for r in results) for k in ("attacks", "faults", "kills", "lost")}
    print(f"attacks tried {figures['attacks']}, faults injected {figures['faults'] + figures['kills']}, "
          f"messages lost {figures['lost']}", flush=True)
    elapsed = time.monotonic() - started
    if args.json:
        totals = {k: sum(r.counts.get(k) or 0 for r in results)
                  for k in ("sent", "read", "lost", "duplicated", "crashes", "attacks", "faults", "kills")}
        Path(args.json).write_text(json.dumps({
            "size": "full" if args.full else "ci", "sizes": sizes.__dict__, "seed": seed, "binary": binary,
            "seconds": round(elapsed, 1), "passed": passed, "failed": failed, "skipped": sorted(skip & only),
            "totals": totals,
            "checks": [{"name": r.name, "ok": r.ok, "seconds": round(r.seconds, 1), "counts": r.counts,
                        "problems": r.problems} for r in results],
        }, indent=2) + "\n")
    if failed or args.keep:
        print(f"work directory kept: {work}", flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
