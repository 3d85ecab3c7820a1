"""Benchmark `cc2cc serve-mcp`: startup, push latency, idle cost and a 10,000-message inbox.

On a temporary bridge in /tmp, speaking newline-delimited JSON-RPC over the server's pipes
(every stdout line is timestamped on arrival by a reader thread):
  - spawn -> `initialize` response, median of 20 fresh servers;
  - push latency to a server running `--as bench-recv`, p50/p99 over N messages each way:
    "CLI send -> push" (before spawning `cc2cc send` until the notifications/claude/channel
    whose meta.msg_id is the printed id) and "file rename -> push" (a message written by this
    script as .tmp-*.json, timed from its rename into inbox/);
  - VmRSS after 10 s idle (inbox emptied by check_inbox first) and CPU over those 10 s: all
    threads' schedstat run time, with utime+stime from /proc/PID/stat as a cross-check (its
    10 ms ticks are coarse: one tick over 10 s is already 0.1 %);
  - `check_inbox` with 10,000 pending messages written as files (its first bounded batch, and
    every call until the inbox is empty), the pushes they caused, and
    duplicate pushes by msg_id over the server's lifetime.
Each figure is printed beside its target and the original Node server's figure.

Run:  python3 bench/mcp.py [--bin PATH] [--messages N] [--quick] [--json]
--quick: 5 spawns, 20 messages, 2 s idle, 1,000 pending (a smoke run). With --json the table
goes to stderr and one JSON object to stdout. Exit 1 on a protocol failure (the work directory
with the servers' stderr logs is then kept); a missed target is reported, not an error.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from subprocess import PIPE
from time import perf_counter_ns

from common import (PUSH_TIMEOUT_S, BenchError, Server, cpu_seconds, find_binary, new_message, print_table,
                    proc_status_mb, push_latencies, stage_message, stats, verdict, write_messages)

TARGETS = {"initialize_ms": 10, "push_p99_ms": 10, "rss_mb": 5, "idle_cpu_pct": 0.05, "check_inbox_ms": 300}
NODE = {"initialize_ms": 446, "push_p50_ms": 1913, "push_p99_ms": 2981, "rss_mb": 60, "idle_cpu_pct": 0.7}


def settled_push_count(server: Server, ids: list[str]) -> int:
    """How many of `ids` were pushed, once all were or none came for 2 s (60 s at most)."""
    seen, last_change, deadline = 0, time.monotonic(), time.monotonic() + 60
    while seen < len(ids) and time.monotonic() - last_change < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        now_seen = sum(1 for msg_id in ids if msg_id in server.pushes)
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
    return seen


def bench(binary: str, work: Path, spawns: int, messages: int, idle_s: float, pending: int) -> dict:
    cc2cc = [binary, "--bridge", str(work / "bridge")]
    r: dict = {"spawns": spawns, "messages": messages, "idle_s": idle_s, "pending": pending}

    startups = []
    for _ in range(spawns):
        with Server(cc2cc, "bench-init", work / "serve-bench-init.log") as server:
            startups.append(server.initialize() - server.spawned_at)
    r["initialize_ms"] = stats(startups, 90)

    with Server(cc2cc, "bench-recv", work / "serve-bench-recv.log") as server:
        server.initialize()
        server.send({"method": "notifications/initialized"})
        r["wake_received"] = server.wait(lambda: server.wakes > 0, 5.0)
        inbox = work / "bridge" / "to-bench-recv" / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)

        def cli_send(i: int) -> tuple[int, str]:
            started = perf_counter_ns()
            done = subprocess.run([*cc2cc, "--as", "bench-send", "send", "--to", "bench-recv", f"cli push {i}"],
                                  stdout=PIPE, stderr=PIPE, text=True)
            if done.returncode != 0:
                raise BenchError(f"cc2cc send exited {done.returncode}: {done.stderr.strip()}")
            return started, done.stdout.strip()

        def file_rename(i: int) -> tuple[int, str]:
            message = new_message("bench-send", "bench-recv", f"file push {i}")
            tmp, final = stage_message(inbox, message)
            started = perf_counter_ns()
            os.rename(tmp, final)
            return started, message["id"]

        cli, missed_cli = push_latencies(server, cli_send, messages)
        files, missed_files = push_latencies(server, file_rename, messages)
        if not cli or not files:
            raise BenchError(f"none of {messages} messages was pushed within {PUSH_TIMEOUT_S:g} s")
        r["push_cli_ms"], r["push_file_ms"] = stats(cli, 99), stats(files, 99)
        r["missed_pushes"] = missed_cli + missed_files

        drain(server)  # hand out the messages pushed above: idle with an empty inbox
        pid = server.proc.pid
        ticks0, run0 = cpu_seconds(pid)
        wall0 = perf_counter_ns()
        time.sleep(idle_s)
        ticks1, run1 = cpu_seconds(pid)
        wall_s = (perf_counter_ns() - wall0) / 1e9
        r["rss_mb"] = proc_status_mb(pid, "VmRSS")
        r["idle_cpu_pct_ticks"] = (ticks1 - ticks0) / wall_s * 100
        r["idle_cpu_pct"] = r["idle_cpu_pct_ticks"] if run0 is None else (run1 - run0) / wall_s * 100

        ids = write_messages(inbox, "bench-send", "bench-recv", pending)
        r["pending_pushed"] = settled_push_count(server, ids)
        started = perf_counter_ns()
        first_ms, calls, returned = drain(server)
        r["check_inbox_ms"] = first_ms
        r["drain_ms"] = (perf_counter_ns() - started) / 1e6
        r["drain_calls"] = calls
        r["check_inbox_returned"] = len(returned & set(ids))
        time.sleep(0.5)  # a push repeated after the claim would arrive now
        with server.cond:
            r["duplicate_pushes"] = sum(len(times) - 1 for times in server.pushes.values())
    return r


def drain(server: "Server") -> tuple[float, int, set]:
    """Calls check_inbox until the inbox is empty (it hands out bounded batches): the first
    call's time in ms, the number of calls, and every message id returned."""
    ids: set = set()
    first_ms, calls = None, 0
    while True:
        started = perf_counter_ns()
        arrived, text = server.check_inbox(timeout=60)
        calls += 1
        if first_ms is None:
            first_ms = (arrived - started) / 1e6
        if "No pending messages" in text:
            return first_ms, calls, ids
        ids.update(re.findall(r"msg-[0-9a-f-]{36}", text))


def report(r: dict, file) -> None:
    t, n = TARGETS, NODE
    cli, files = r["push_cli_ms"], r["push_file_ms"]

    def all_of(count: int) -> str:
        return "ok" if count == r["pending"] else "MISS"

    rows = [
        [f"spawn -> initialize response (median of {r['spawns']})", f"{r['initialize_ms']['median']:.2f} ms",
         f"<= {t['initialize_ms']} ms", verdict(r["initialize_ms"]["median"], t["initialize_ms"]), f"{n['initialize_ms']} ms"],
        [f"CLI send -> push p50 (n={cli['n']})", f"{cli['median']:.2f} ms", "", "", f"{n['push_p50_ms']:,} ms"],
        [f"CLI send -> push p99 (n={cli['n']})", f"{cli['p99']:.2f} ms", f"<= {t['push_p99_ms']} ms",
         verdict(cli["p99"], t["push_p99_ms"]), f"{n['push_p99_ms']:,} ms"],
        [f"file rename -> push p50 (n={files['n']})", f"{files['median']:.2f} ms", "", "", ""],
        [f"file rename -> push p99 (n={files['n']})", f"{files['p99']:.2f} ms", f"<= {t['push_p99_ms']} ms",
         verdict(files["p99"], t["push_p99_ms"]), ""],
        [f"pushes missed (none within {PUSH_TIMEOUT_S:g} s)", str(r["missed_pushes"]), "0", verdict(r["missed_pushes"], 0), ""],
        [f"RSS after {r['idle_s']:g} s idle", f"{r['rss_mb']:.2f} MB", f"<= {t['rss_mb']} MB",
         verdict(r["rss_mb"], t["rss_mb"]), f"{n['rss_mb']} MB"],
        [f"CPU over {r['idle_s']:g} s idle, % of a core", f"{r['idle_cpu_pct']:.3f} %", f"<= {t['idle_cpu_pct']} %",
         verdict(r["idle_cpu_pct"], t["idle_cpu_pct"]), f"{n['idle_cpu_pct']} %"],
        ["  (utime+stime, 10 ms ticks)", f"{r['idle_cpu_pct_ticks']:.3f} %", "", "", ""],
        [f"check_inbox, {r['pending']:,} pending (first batch)", f"{r['check_inbox_ms']:.1f} ms",
         f"<= {t['check_inbox_ms']} ms", verdict(r["check_inbox_ms"], t["check_inbox_ms"]), ""],
        [f"  all {r['pending']:,} handed out in {r['drain_calls']} calls", f"{r['drain_ms']:.0f} ms", "", "", ""],
        ["  messages returned, all calls", f"{r['check_inbox_returned']:,}", f"{r['pending']:,}",
         all_of(r["check_inbox_returned"]), ""],
        [f"pushes for the {r['pending']:,} pending", f"{r['pending_pushed']:,}", f"{r['pending']:,}", all_of(r["pending_pushed"]), ""],
        ["duplicate pushes (by msg_id)", str(r["duplicate_pushes"]), "0", verdict(r["duplicate_pushes"], 0), ""],
        ["wake notification after initialized", "yes" if r["wake_received"] else "no", "yes", "", ""],
    ]
    print("cc2cc serve-mcp benchmark", file=file)
    print_table(["measure", "value", "target", "", "node v3"], rows, file=file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="cc2cc binary (default: $CC2CC_BIN, target/release, target/debug)")
    parser.add_argument("--messages", type=int, metavar="N", help="pushes timed each way (default 100; 20 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--json", action="store_true", help="JSON object on stdout, table on stderr")
    args = parser.parse_args()
    messages = args.messages or (20 if args.quick else 100)
    if messages < 1:
        parser.error("--messages must be at least 1")
    binary = find_binary(args.bin)
    work = Path(tempfile.mkdtemp(prefix="cc2cc-bench-mcp-", dir="/tmp"))
    try:
        results = bench(binary, work, spawns=5 if args.quick else 20, messages=messages,
                        idle_s=2.0 if args.quick else 10.0, pending=1_000 if args.quick else 10_000)
    except (BenchError, OSError) as e:
        sys.exit(f"mcp.py: error: {e}\nmcp.py: server logs kept in {work}")
    shutil.rmtree(work, ignore_errors=True)
    report(results, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps({"binary": binary, "quick": args.quick, "targets": TARGETS, "node_v3": NODE, **results}))


if __name__ == "__main__":
    main()
