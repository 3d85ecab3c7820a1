#!/usr/bin/env python3
"""Benchmark `cc2cc relay`: cross-host latency and throughput against bare JetStream.

Two bridges stand for two hosts, each with its relay, joined through a real nats-server (file
store, 127.0.0.1, random port). Measured in one run:
  (a) latency: `cc2cc send` on host a → the message printed by `cc2cc watch --json` on host b,
      one message at a time (p50, p99); beside it the same send → watch on one bridge without a
      relay (what the relay adds), and the floor: bare JetStream publish → the consumer's durable
      write, one message at a time (examples/jetstream_floor.rs);
  (b) throughput (median of 5 rounds, relay and floor alternating): N messages written into
      host a's outbox (to-bob/inbox) as fast as a writer can rename them in, timed until all N
      are committed in host b's inbox; against the floor, the same N published to a stream
      configured like the relay's (file storage, work queue, Nats-Msg-Id) and consumed by a
      pull consumer that writes each one durably (temp file, fsync, rename; one fsync of the
      directory per batch, as the relay does) before acking: the same durability; and bare
      JetStream without the disk writes, for scale.
Targets: cross-host p50 <= 20 ms; relay throughput within 2x of the floor with the same
durability (floor / relay <= 2).

Run:  python3 bench/relay.py [--bin PATH] [--nats-server PATH] [--latency N] [--count N] [--json]
The binary defaults to $CC2CC_BIN, else target/release/cc2cc, else target/debug/cc2cc; the floor
example is built with `cargo build --release --example jetstream_floor` when missing. With --json
the table goes to stderr and one JSON object to stdout.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from subprocess import DEVNULL, PIPE

from common import ROOT, find_binary, new_message, print_table, run_in_temp, stage_message, stats, verdict
from natsserver import NatsServer, find_server

LATENCY_TARGET_MS = 20.0
THROUGHPUT_RATIO_TARGET = 2.0
SIZE = 420  # bytes of a typical message file, for the floor's payload
ROUNDS = 5  # throughput rounds of each, alternating; medians


def fail(message: str) -> None:
    sys.exit(f"relay.py: error: {message}")


class Bridge:
    def __init__(self, binary: str, path: Path, work: Path):
        self.binary, self.path = binary, path
        path.mkdir(mode=0o700)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LC_ALL": "C.UTF-8"}

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--bridge", str(self.path), *args]

    def popen(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), stdin=DEVNULL, env=self.env, **kwargs)

    def agents(self) -> dict:
        out = subprocess.run(self.argv("list", "--json"), stdout=PIPE, env=self.env, check=True).stdout
        return {a["name"]: a for a in map(json.loads, out.decode().splitlines())}


class Watch:
    """`watch --json` for one agent; arrival times of each id, by perf_counter_ns."""

    def __init__(self, bridge: Bridge, name: str):
        self.arrived: dict[str, int] = {}
        self.cond = threading.Condition()
        self.proc = bridge.popen("--as", name, "--json", "watch", stdout=PIPE, stderr=DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            now = time.perf_counter_ns()
            with self.cond:
                self.arrived[json.loads(line)["id"]] = now
                self.cond.notify_all()

    def wait(self, mid: str, timeout: float = 10) -> int:
        with self.cond:
            if not self.cond.wait_for(lambda: mid in self.arrived, timeout):
                fail(f"{mid} never arrived")
            return self.arrived[mid]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def send_latency(sender: Bridge, watch: Watch, to: str, n: int) -> list[int]:
    """send → printed by the watch, one message at a time (after 5 warm-up sends)."""
    samples = []
    for i in range(n + 5):
        t0 = time.perf_counter_ns()
        r = subprocess.run(sender.argv("--as", "alice", "send", "--to", to, f"ping {i}"),
                           stdout=PIPE, stderr=PIPE, env=sender.env)
        if r.returncode != 0:
            fail(f"send exited {r.returncode}: {r.stderr.decode().strip()}")
        arrived = watch.wait(r.stdout.decode().strip())
        if i >= 5:
            samples.append(arrived - t0)
        time.sleep(0.01)
    return samples


def relay_throughput(a: Bridge, b: Bridge, n: int, tag: str) -> float:
    """N messages renamed into a's outbox for bob → all N committed in b's inbox, messages/s."""
    outbox = a.path / "to-bob" / "inbox"
    inbox = b.path / "to-bob" / "inbox"
    before = sum(1 for p in os.scandir(inbox) if p.name.endswith(".json")) if inbox.is_dir() else 0
    n_total = before + n
    staged = [stage_message(outbox, new_message("alice", "bob", f"{tag} {i} " + "x" * 200)) for i in range(n)]
    t0 = time.perf_counter()
    for tmp, final in staged:
        os.rename(tmp, final)
    deadline = t0 + 120
    while sum(1 for p in os.scandir(inbox) if p.name.endswith(".json") and not p.name.startswith(".")) < n_total:
        if time.perf_counter() > deadline:
            fail(f"only part of {n} messages reached host b within 120 s")
        time.sleep(0.005)
    return n / (time.perf_counter() - t0)


def floor(example: Path, url: str, store: Path, count: int, latency: int, disk: bool) -> dict:
    argv = [str(example), url, str(store), str(count), str(SIZE), str(latency), *([] if disk else ["--no-disk"])]
    r = subprocess.run(argv, stdout=PIPE, stderr=PIPE, text=True, timeout=300)
    if r.returncode != 0:
        fail(f"jetstream_floor exited {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def floor_example() -> Path:
    path = ROOT / "target/release/examples/jetstream_floor"
    if not path.is_file():
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--example", "jetstream_floor"],
                       cwd=ROOT, check=True)
    return path


def wait_until(what: str, cond, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def bench(binary: str, server_bin: str, work: Path, latency_n: int, count: int) -> dict:
    example = floor_example()
    server = NatsServer(server_bin, work / "store")
    server.start()
    procs = []
    try:
        a, b = Bridge(binary, work / "a", work), Bridge(binary, work / "b", work)
        for bridge, host in ((a, "a"), (b, "b")):
            procs.append(bridge.popen("relay", "--nats", server.url, "--host", host, stderr=DEVNULL))
        bob = Watch(b, "bob")
        local = Watch(a, "carol")
        wait_until("bob online on host a", lambda: a.agents().get("bob", {}).get("status") == "online")
        cross = send_latency(a, bob, "bob", latency_n)
        same = send_latency(a, local, "carol", latency_n)
        bob.stop()  # throughput counts commits into b's inbox, not a reader's pace
        local.stop()
        # Alternate relay and floor rounds and keep medians: on a shared machine the disk's pace
        # drifts, and both sides of the ratio should see the same drift.
        relay_runs, durable_runs = [], []
        for i in range(ROUNDS):
            relay_runs.append(relay_throughput(a, b, count, f"round{i}"))
            durable_runs.append(floor(example, server.url, work / f"floor{i}", count, latency_n if i == 0 else 0,
                                      disk=True))
        relay_tp = statistics.median(relay_runs)
        durable = dict(durable_runs[0], throughput_per_s=statistics.median(d["throughput_per_s"] for d in durable_runs))
        memory = floor(example, server.url, work / "floor-mem", count, 0, disk=False)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        server.stop()
    cross_s, same_s = stats(cross, 99), stats(same, 99)
    return {
        "latency": {"n": latency_n, "cross_host_p50_ms": cross_s["median"], "cross_host_p99_ms": cross_s["p99"],
                    "same_host_p50_ms": same_s["median"], "same_host_p99_ms": same_s["p99"],
                    "floor_p50_ms": durable["latency_p50_ms"], "floor_p99_ms": durable["latency_p99_ms"]},
        "throughput": {"count": count, "rounds": ROUNDS, "relay_per_s": relay_tp, "floor_durable_per_s": durable["throughput_per_s"],
                       "floor_memory_per_s": memory["throughput_per_s"],
                       "ratio": durable["throughput_per_s"] / relay_tp},
        "targets": {"cross_host_p50_ms": LATENCY_TARGET_MS, "ratio": THROUGHPUT_RATIO_TARGET},
    }


def report(r: dict, out) -> None:
    lat, tp = r["latency"], r["throughput"]
    print(f"cross-host latency, {lat['n']} messages one at a time (ms)", file=out)
    print_table(["path", "p50", "p99", "target", "verdict"], [
        ["send -> watch, host a -> relay -> NATS -> relay -> host b", f"{lat['cross_host_p50_ms']:.2f}",
         f"{lat['cross_host_p99_ms']:.2f}", f"p50 <= {LATENCY_TARGET_MS:g}",
         verdict(lat["cross_host_p50_ms"], LATENCY_TARGET_MS)],
        ["send -> watch, one bridge, no relay", f"{lat['same_host_p50_ms']:.2f}", f"{lat['same_host_p99_ms']:.2f}",
         "-", "-"],
        ["floor: JetStream publish -> durable write by the consumer", f"{lat['floor_p50_ms']:.2f}",
         f"{lat['floor_p99_ms']:.2f}", "-", "-"],
    ], file=out)
    print(file=out)
    print(f"throughput, {tp['count']} messages, median of {ROUNDS} alternating rounds (messages/s)", file=out)
    print_table(["path", "msgs/s", "floor/relay", "target", "verdict"], [
        ["relay: host a outbox -> committed in host b's inbox", f"{tp['relay_per_s']:.0f}", f"{tp['ratio']:.2f}",
         f"<= {THROUGHPUT_RATIO_TARGET:g}", verdict(tp["ratio"], THROUGHPUT_RATIO_TARGET)],
        ["floor: JetStream publish/consume, durable write before ack", f"{tp['floor_durable_per_s']:.0f}", "1.00",
         "-", "-"],
        ["bare JetStream publish/consume, no disk writes", f"{tp['floor_memory_per_s']:.0f}", "-", "-", "-"],
    ], file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="cc2cc binary (default: $CC2CC_BIN, target/release, target/debug)")
    parser.add_argument("--nats-server", help="nats-server binary (default: .venv/bin/nats-server, PATH)")
    parser.add_argument("--latency", type=int, default=200, metavar="N", help="latency samples (default 200)")
    parser.add_argument("--count", type=int, default=2000, metavar="N", help="throughput messages (default 2000)")
    parser.add_argument("--json", action="store_true", help="JSON object on stdout, table on stderr")
    args = parser.parse_args()
    if args.latency < 1 or args.count < 1:
        parser.error("--latency and --count must be at least 1")
    binary = find_binary(args.bin)
    server_bin = find_server(args.nats_server)
    run_in_temp("relay", binary, lambda work: bench(binary, server_bin, work, args.latency, args.count), report,
                args.json)


if __name__ == "__main__":
    main()
