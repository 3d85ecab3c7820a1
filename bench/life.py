"""Benchmark `cc2cc status` and `cc2cc history --limit 20` over 100,000 messages of history.

Builds, on a temporary bridge in /tmp, one agent (`bench-me`) with 100,000 messages of history
written directly as files: 50,000 it sent (`to-bench-me/sent/`) and 50,000 it read
(`to-bench-me/done/`, each with its receipt), interleaved in time, plus one message still
queued in a peer's inbox. Then measures, each the median of --runs spawns after one warm-up:
  (a) the floors: spawning `cc2cc --version` (process start, no bridge work), and `ls -f` of
      the two history folders (listing 100,000 names, which no history of them can avoid);
  (b) `status --json` of a read message and of a queued one, as their sender (the sent copy
      names the recipient: one stat per place);
  (c) `status --json` of a read message with no identity (every mailbox is tried);
  (d) `history --limit 20 --json` (the newest 20 of 100,000; target <= 100 ms), with
      `--with PEER`, and with `--grep` for a text only the oldest message holds (which reads
      every file: the worst case, reported without a target).
Every run's output is checked (the state, the 20 newest ids in order).

Run:  python3 bench/life.py [--bin PATH] [--runs N] [--messages N] [--json]
The binary defaults to $CC2CC_BIN, else target/release/cc2cc, else target/debug/cc2cc.
With --json the table goes to stderr and one JSON object to stdout. Exit status 1 when a
command fails or prints the wrong answer; a missed target is reported, not an error.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from subprocess import DEVNULL, PIPE
from time import perf_counter_ns

from common import find_binary, new_message, print_table, stage_message, stats, verdict

HISTORY = 100_000
PEERS = ["bench-peer-a", "bench-peer-b", "bench-peer-c", "bench-peer-d"]
HISTORY_TARGET_MS = 100.0
NEEDLE = "needle-in-the-oldest-message"


def fail(message: str) -> None:
    sys.exit(f"life.py: error: {message}")


def run(argv: list[str]) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, stdout=PIPE, stderr=PIPE, text=True)
    if result.returncode != 0:
        fail(f"`{shlex.join(argv)}` exited {result.returncode}: {result.stderr.strip()}")
    return result


def timed(argv: list[str], runs: int, check) -> list[int]:
    """Wall time in ns of `runs` spawns of argv after one warm-up; `check` validates stdout."""
    check(run(argv).stdout)
    samples = []
    for _ in range(runs):
        t0 = perf_counter_ns()
        result = subprocess.run(argv, stdout=PIPE, stderr=DEVNULL, text=True)
        samples.append(perf_counter_ns() - t0)
        if result.returncode != 0:
            fail(f"`{shlex.join(argv)}` exited {result.returncode}")
        check(result.stdout)
    return samples


def write_history(bridge: Path, count: int) -> dict:
    """`count` messages of bench-me's history as files; returns the ids the checks need."""
    me = "bench-me"
    sent, done, receipts = (bridge / f"to-{me}" / d for d in ("sent", "done", "receipts"))
    for d in (sent, done, receipts, *(bridge / f"to-{p}" / "inbox" for p in PEERS),
              *(bridge / f"to-{p}" / "done" for p in PEERS)):
        d.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(count):
        peer = PEERS[i % len(PEERS)]
        text = NEEDLE if i == 0 else f"history message {i}"
        if i % 2 == 0:
            m = new_message(me, peer, text)
            # The peer read it: in its done/ with a receipt, and in our sent/.
            os.rename(*stage_message(sent, m))
            os.rename(*stage_message(bridge / f"to-{peer}" / "done", m))
            (bridge / f"to-{peer}" / "receipts").mkdir(exist_ok=True)
            (bridge / f"to-{peer}" / "receipts" / f"{m['id']}.receipt.json").write_text(json.dumps(
                {"msg_id": m["id"], "delivered_at": m["timestamp"], "delivered_to": peer}))
        else:
            m = new_message(peer, me, text)
            os.rename(*stage_message(done, m))
            (receipts / f"{m['id']}.receipt.json").write_text(json.dumps(
                {"msg_id": m["id"], "delivered_at": m["timestamp"], "delivered_to": me}))
        ids.append((m["id"], peer))
    queued = new_message(me, PEERS[0], "still queued")
    os.rename(*stage_message(sent, queued))
    os.rename(*stage_message(bridge / f"to-{PEERS[0]}" / "inbox", queued))
    ids.append((queued["id"], PEERS[0]))
    middle = (count // 2) & ~1  # an even index: a message bench-me sent and its peer read
    return {"all": ids, "read": ids[middle][0], "queued": queued["id"]}


def expect_state(state: str):
    def check(stdout: str) -> None:
        got = json.loads(stdout)["state"]
        if got != state:
            fail(f"status says {got!r}, expected {state!r}")
    return check


def expect_ids(ids: list[str]):
    def check(stdout: str) -> None:
        got = [json.loads(line)["id"] for line in stdout.splitlines()]
        if got != ids:
            fail(f"history printed {len(got)} messages, not the expected {len(ids)} newest in order")
    return check


def bench(binary: str, runs: int, count: int, work: Path) -> dict:
    bridge = work / "bridge"
    written = write_history(bridge, count)
    cc2cc = [binary, "--bridge", str(bridge)]
    me = [*cc2cc, "--as", "bench-me"]
    all_ids = [i for i, _ in written["all"]]
    newest = all_ids[-20:]
    with_peer = [i for i, p in written["all"] if p == PEERS[1]][-20:]
    results = {
        "runs": runs,
        "messages": count,
        "version": stats(timed([binary, "--version"], runs, lambda _: None), 90),
        "listing": stats(timed(["ls", "-f", str(bridge / "to-bench-me" / "sent"), str(bridge / "to-bench-me" / "done")],
                               runs, lambda _: None), 90),
        "status_read": stats(timed([*me, "status", "--json", written["read"]], runs, expect_state("read")), 90),
        "status_queued": stats(timed([*me, "status", "--json", written["queued"]], runs,
                                     expect_state("queued")), 90),
        "status_anyone": stats(timed([*cc2cc, "status", "--json", written["read"]], runs,
                                     expect_state("read")), 90),
        "history": stats(timed([*me, "history", "--limit", "20", "--json"], runs, expect_ids(newest)), 90),
        "history_with": stats(timed([*me, "history", "--limit", "20", "--with", PEERS[1], "--json"], runs,
                                    expect_ids(with_peer)), 90),
        "history_grep": stats(timed([*me, "history", "--limit", "20", "--grep", NEEDLE, "--json"],
                                    max(3, runs // 10), expect_ids([all_ids[0]])), 90),
    }
    floor = results["version"]["median"]
    results["status_over_floor"] = results["status_read"]["median"] / floor
    results["history_over_floor"] = results["history"]["median"] / floor
    results["history_over_listing"] = results["history"]["median"] / results["listing"]["median"]
    results["targets"] = {"history_median_ms": HISTORY_TARGET_MS}
    results["pass"] = {"history": results["history"]["median"] <= HISTORY_TARGET_MS}
    return results


def report(r: dict, file) -> None:
    def row(label: str, s: dict, target: float | None = None) -> list[str]:
        return [label, f"{s['median']:.3f}", f"{s['p90']:.3f}", str(s["n"]),
                "" if target is None else f"<= {target:g}", "" if target is None else verdict(s["median"], target)]

    print(f"cc2cc life benchmark: {r['messages']:,} messages of history", file=file)
    print_table(["measure (wall time, ms)", "median", "p90", "runs", "target", ""], [
        row("cc2cc --version (floor)", r["version"]),
        row("status, read message, as its sender", r["status_read"]),
        row("status, queued message, as its sender", r["status_queued"]),
        row("status, read message, no identity", r["status_anyone"]),
        [f"  status / floor: {r['status_over_floor']:.2f}x", "", "", "", "", ""],
        row(f"ls -f sent/ done/ ({r['messages']:,} names)", r["listing"]),
        row("history --limit 20", r["history"], HISTORY_TARGET_MS),
        row("history --limit 20 --with PEER", r["history_with"]),
        row("history --limit 20 --grep (reads all)", r["history_grep"]),
        [f"  history / --version: {r['history_over_floor']:.2f}x", "", "", "", "", ""],
        [f"  history / ls -f: {r['history_over_listing']:.2f}x", "", "", "", "", ""],
    ], file=file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="cc2cc binary (default: $CC2CC_BIN, target/release, target/debug)")
    parser.add_argument("--runs", type=int, default=30, metavar="N", help="spawns per measure (default 30)")
    parser.add_argument("--messages", type=int, default=HISTORY, metavar="N",
                        help=f"messages of history (default {HISTORY:,}; smaller for a smoke run)")
    parser.add_argument("--json", action="store_true", help="JSON object on stdout, table on stderr")
    args = parser.parse_args()
    if args.messages < 100:
        parser.error("--messages must be at least 100")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    binary = find_binary(args.bin)
    work = Path(tempfile.mkdtemp(prefix="cc2cc-bench-life-", dir="/tmp"))
    try:
        results = bench(binary, args.runs, args.messages, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps({"binary": binary, **results}))


if __name__ == "__main__":
    main()
