"""Benchmark the cost of one `cc2cc send` and of `inbox --peek` over a large inbox.

Measures, on a temporary bridge in /tmp:
  (a) spawning /bin/true and `sh -c true` (the process and shell floors),
  (b) a shell write `printf ... > tmp && mv tmp dest` through `sh -c`, and the same write made
      durable in-process (write, fsync, rename, fsync the directory: what send must do),
  (c) `cc2cc send` to an offline (registered, never started) mailbox, and send / true-floor,
  (d) `cc2cc inbox --peek --json` over 10,000 pending messages written directly as files
      (median of 5 runs; each run must print 10,000 lines, oldest first).
Targets: send median <= 3 ms; 10,000-message peek <= 200 ms.

Run:  python3 bench/core.py [--bin PATH] [--runs N] [--json]
The binary defaults to $CC2CC_BIN, else target/release/cc2cc, else target/debug/cc2cc.
With --json the table goes to stderr and one JSON object to stdout. Exit status 1 when a
command fails or peek prints the wrong messages; a missed target is reported, not an error.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from subprocess import DEVNULL, PIPE
from time import perf_counter_ns

from common import find_binary, new_message, print_table, run_in_temp, stats, verdict, write_messages

SEND_TARGET_MS = 3.0
PEEK_TARGET_MS = 200.0
PENDING = 10_000
PEEK_RUNS = 5


def fail(message: str) -> None:
    sys.exit(f"core.py: error: {message}")


def checked(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run once, untimed (also the warm-up); stop the benchmark with its stderr if it fails."""
    result = subprocess.run(argv, stdout=PIPE, stderr=PIPE, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"`{shlex.join(argv)}` exited {result.returncode}: {result.stderr.strip()}")
    return result


def time_runs(argv: list[str], runs: int) -> list[int]:
    """Wall time of `runs` spawns of argv in ns, after one warm-up run."""
    checked(argv)
    samples = []
    for _ in range(runs):
        t0 = perf_counter_ns()
        code = subprocess.run(argv, stdout=DEVNULL, stderr=DEVNULL).returncode
        samples.append(perf_counter_ns() - t0)
        if code != 0:
            fail(f"`{shlex.join(argv)}` exited {code}")
    return samples


def check_peek_output(stdout: str, ids: list[str]) -> None:
    lines = stdout.splitlines()
    if len(lines) != len(ids):
        fail(f"inbox --peek printed {len(lines)} lines, expected {len(ids)}")
    if [json.loads(line)["id"] for line in lines] != ids:
        fail("inbox --peek did not print the pending messages oldest first")


def durable_writes(directory: Path, payload: bytes, runs: int) -> list[int]:
    """Wall time in ns of the Maildir write that `send` performs, done in this process: the
    floor that fsync sets on this disk, without any process start."""
    samples = []
    for i in range(runs):
        t0 = perf_counter_ns()
        tmp, final = directory / f".tmp-{i}.json", directory / f"msg-{i}.json"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, payload)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, final)
        dfd = os.open(directory, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
        samples.append(perf_counter_ns() - t0)
    return samples


def bench(binary: str, runs: int, work: Path) -> dict:
    bridge = work / "bridge"
    cc2cc = [binary, "--bridge", str(bridge)]

    shell_dir = work / "shell"
    shell_dir.mkdir()
    payload = json.dumps(new_message("bench-send", "bench-offline", "benchmark message"), indent=2)
    shell_write = (f"printf '%s' {shlex.quote(payload)} > {shell_dir}/.tmp-x.json"
                   f" && mv {shell_dir}/.tmp-x.json {shell_dir}/msg-x.json")

    checked([*cc2cc, "register", "bench-offline"])
    send = [*cc2cc, "--as", "bench-send", "send", "--to", "bench-offline", "benchmark message"]
    if not checked(send).stdout.startswith("msg-"):
        fail("send did not print a message id")
    results = {
        "runs": runs,
        "true": stats(time_runs(["/bin/true"], runs), 90),
        "sh_true": stats(time_runs(["sh", "-c", "true"], runs), 90),
        "shell_write": stats(time_runs(["sh", "-c", shell_write], runs), 90),
        "durable_write": stats(durable_writes(shell_dir, payload.encode(), runs), 90),
        "send": stats(time_runs(send, runs), 90),
    }
    results["send_over_true"] = results["send"]["median"] / results["true"]["median"]
    # What no implementation can beat here: starting a process plus one durable write.
    floor = results["true"]["median"] + results["durable_write"]["median"]
    results["send_over_floor"] = results["send"]["median"] / floor
    queued = len(list((bridge / "to-bench-offline" / "inbox").glob("*.json")))
    if queued != runs + 2:  # the timed runs, the warm-up and the id check
        fail(f"expected {runs + 2} queued messages after the sends, found {queued}")

    checked([*cc2cc, "register", "bench-peek"])
    ids = write_messages(bridge / "to-bench-peek" / "inbox", "bench-send", "bench-peek", PENDING)
    peek = [*cc2cc, "--as", "bench-peek", "inbox", "--peek", "--json"]
    check_peek_output(checked(peek).stdout, ids)
    samples = []
    for _ in range(PEEK_RUNS):
        t0 = perf_counter_ns()
        lines = subprocess.run(peek, stdout=PIPE, stderr=DEVNULL).stdout.count(b"\n")
        samples.append(perf_counter_ns() - t0)
        if lines != PENDING:
            fail(f"inbox --peek printed {lines} lines, expected {PENDING}")
    results["peek"] = {"pending": PENDING, **stats(samples, 90)}
    results["targets"] = {"send_median_ms": SEND_TARGET_MS, "peek_median_ms": PEEK_TARGET_MS}
    results["pass"] = {"send": results["send"]["median"] <= SEND_TARGET_MS,
                       "peek": results["peek"]["median"] <= PEEK_TARGET_MS}
    return results


def report(r: dict, file) -> None:
    def row(label: str, s: dict, target: float | None = None) -> list[str]:
        return [label, f"{s['median']:.3f}", f"{s['p90']:.3f}",
                "" if target is None else f"<= {target:g}", "" if target is None else verdict(s["median"], target)]

    print(f"cc2cc core benchmark: {r['runs']} runs each, peek median of {PEEK_RUNS}", file=file)
    print_table(["measure (wall time, ms)", "median", "p90", "target", ""], [
        row("spawn /bin/true", r["true"]),
        row("sh -c true (shell floor)", r["sh_true"]),
        row("sh -c 'printf > tmp && mv'", r["shell_write"]),
        row("durable write in-process (2 fsyncs)", r["durable_write"]),
        row("cc2cc send (offline mailbox)", r["send"], SEND_TARGET_MS),
        [f"  send / true floor: {r['send_over_true']:.2f}x", "", "", "", ""],
        [f"  send / (true + durable write): {r['send_over_floor']:.2f}x", "", "", "", ""],
        row(f"inbox --peek --json, {r['peek']['pending']:,} msgs", r["peek"], PEEK_TARGET_MS),
    ], file=file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="cc2cc binary (default: $CC2CC_BIN, target/release, target/debug)")
    parser.add_argument("--runs", type=int, default=200, metavar="N", help="spawns per measure (default 200)")
    parser.add_argument("--json", action="store_true", help="JSON object on stdout, table on stderr")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    binary = find_binary(args.bin)
    run_in_temp("core", binary, lambda work: bench(binary, args.runs, work), report, args.json)


if __name__ == "__main__":
    main()
