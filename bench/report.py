#!/usr/bin/env python3
"""Regenerate BENCHMARKS.md: build, benchmark, run the proof suite, and write every figure down.

Steps, all in one run on this machine:
  1. `./install.sh --root target/bench-install` (the README's set-up: on Linux a static cc2cc;
     the default, dynamic build it makes first stays in target/release, for one comparison);
  2. bench/core.py --json        (send cost, 10,000-message peek);
  3. bench/mcp.py --json         (serve-mcp startup, push latency, idle cost, 10,000-message inbox);
  4. bench/life.py --json        (status, history --limit 20 over 100,000 messages);
  5. bench/relay.py --json       (cross-host latency and throughput through nats-server, against
                                  bare JetStream with the same durability);
  6. bench/backlog.py --json     (100,000 messages pending in one inbox: peek, serve-mcp, send,
                                  send --batch, broadcast, each beside a floor from the same run);
  7. tests/proof/suite.py --json (load, kill -9 faults, bad input; the issue's sizes unless --ci-size).
Then BENCHMARKS.md gets the machine (CPU, cores, memory, kernel, filesystem of the temp dir), the
date, the git commit, how to reproduce, one table per benchmark with each figure beside its
target and whether it met it, and the suite's counts. Nothing in it is typed by hand: every
figure comes from this run's JSON (the original Node server's figures are the constants quoted
by bench/mcp.py, and labelled so). A step that fails is reported in the file, not hidden.

Run:  python3 bench/report.py [--ci-size] [--quick-mcp] [--output PATH] [--no-build]
Exit status 1 when a step failed or the suite found a failure (the report is written anyway).
"""

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Seconds of quiet before bench/backlog.py (why: at its call below).
SETTLE_S = 90
# Where install.sh installs the programs measured: the README's set-up, into a folder of its own.
INSTALL_ROOT = ROOT / "target/bench-install"


def run_step(argv: list[str], timeout: float, env: dict | None = None) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, seconds) of one step; a hung step counts as failed."""
    print(f"report.py: $ {shlex.join(argv)}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, env=env)
        code, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        code, out, err = -1, e.stdout or "", (e.stderr or "") + f"\ntimed out after {timeout:g} s"
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
    sys.stderr.write(err)
    return code, out, err, time.monotonic() - t0


def json_step(argv: list[str], timeout: float) -> tuple[dict | None, str, float]:
    """The JSON object a benchmark prints with --json, or None and why not."""
    code, out, err, secs = run_step(argv, timeout)
    if code != 0:
        tail = [l for l in err.strip().splitlines() if l.strip()][-3:]
        return None, f"`{shlex.join(argv[1:])}` exited {code}: " + " / ".join(tail), secs
    try:
        return json.loads(out.strip().splitlines()[-1]), "", secs
    except (ValueError, IndexError):
        return None, f"`{shlex.join(argv[1:])}` printed no JSON object", secs


# ---- the machine ----

def read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory() -> str:
    for line in read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def os_name() -> str:
    for line in read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.system()


def filesystem(path: str) -> str:
    """Type and device of the filesystem holding `path` (the longest mount point above it)."""
    best = ("", "unknown", "unknown")
    real = os.path.realpath(path)
    for line in read("/proc/mounts").splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        device, mount, fstype = fields[0], fields[1].replace("\\040", " "), fields[2]
        if (real == mount or real.startswith(mount.rstrip("/") + "/")) and len(mount) > len(best[0]):
            best = (mount, fstype, device)
    return f"{best[1]} ({best[2]} on {best[0]})"


def command_output(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def linkage(binary: str) -> str:
    """Whether `binary` is linked statically (no program interpreter) or dynamically."""
    headers = command_output(["readelf", "-l", binary])
    if not headers:
        return "unknown linkage"
    return "dynamically linked" if "INTERP" in headers else "statically linked"


def machine() -> dict:
    commit = command_output(["git", "rev-parse", "HEAD"]) or "unknown"
    dirty = bool(command_output(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {
        "cpu": cpu_model(), "cores": os.cpu_count(), "memory": memory(), "os": os_name(),
        "kernel": platform.release(), "tmp": f"{tempfile.gettempdir()}: {filesystem(tempfile.gettempdir())}",
        "rustc": command_output(["rustc", "--version"]) or "unknown",
        "python": platform.python_version(),
        "commit": commit + (" with uncommitted changes" if dirty else ""),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---- rendering ----

def met(value, target, at_most: bool = True) -> str:
    if value is None:
        return "-"
    return "yes" if (value <= target if at_most else value >= target) else "**no**"


def table(headers: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)) -> list[str]:
    """A Markdown table; figures right-aligned, the columns in `left` left-aligned."""
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if i in left else "---:" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def core_section(r: dict | None, error: str) -> list[str]:
    out = ["## Core: `cc2cc send` and `inbox --peek` (bench/core.py)", ""]
    if r is None:
        return out + [f"**Not measured**: {error}", ""]
    t = r["targets"]
    ms = lambda s: f"{s:.3f} ms"
    out += [f"Wall time of {r['runs']} spawns per measure (after one warm-up); peek is the median of "
            f"{r['peek']['n']} runs over {r['peek']['pending']:,} pending messages written as files.", ""]
    out += table(["measure", "median", "p90", "target", "met"], [
        ["spawn `/bin/true` (process floor)", ms(r["true"]["median"]), ms(r["true"]["p90"]), "", ""],
        ["`sh -c true` (shell floor)", ms(r["sh_true"]["median"]), ms(r["sh_true"]["p90"]), "", ""],
        ["`sh -c 'printf > tmp && mv tmp dest'`", ms(r["shell_write"]["median"]), ms(r["shell_write"]["p90"]), "", ""],
        ["durable write in-process (write, fsync, rename, fsync dir)", ms(r["durable_write"]["median"]),
         ms(r["durable_write"]["p90"]), "", ""],
        ["`cc2cc send` to an offline mailbox (fsynced)", ms(r["send"]["median"]), ms(r["send"]["p90"]),
         f"≤ {t['send_median_ms']:g} ms", met(r["send"]["median"], t["send_median_ms"])],
        ["`send` / `/bin/true` (medians, same run)", f"{r['send_over_true']:.2f}×", "", "", ""],
        ["`send` / (`/bin/true` + durable write): the floor fsync sets", f"{r['send_over_floor']:.2f}×", "", "", ""],
        [f"`inbox --peek --json`, {r['peek']['pending']:,} pending", ms(r["peek"]["median"]), ms(r["peek"]["p90"]),
         f"≤ {t['peek_median_ms']:g} ms", met(r["peek"]["median"], t["peek_median_ms"])],
    ])
    return out + [""]


def mcp_section(r: dict | None, error: str) -> list[str]:
    out = ["## serve-mcp (bench/mcp.py)", ""]
    if r is None:
        return out + [f"**Not measured**: {error}", ""]
    t, node = r["targets"], r["node_v3"]
    cli, files = r["push_cli_ms"], r["push_file_ms"]
    every = lambda n: "yes" if n == r["pending"] else "**no**"
    out += [f"{'Quick sizes (--quick): ' if r.get('quick') else ''}{r['spawns']} fresh servers for startup; "
            f"{r['messages']} pushes timed each way; {r['idle_s']:g} s idle; {r['pending']:,} pending for "
            "check_inbox. The last column is the original Node server's figure as quoted in bench/mcp.py "
            "(not measured here).", ""]
    out += table(["measure", "value", "target", "met", "node v3 (quoted)"], [
        ["spawn → `initialize` response, median", f"{r['initialize_ms']['median']:.2f} ms",
         f"≤ {t['initialize_ms']} ms", met(r["initialize_ms"]["median"], t["initialize_ms"]), f"{node['initialize_ms']} ms"],
        [f"CLI `send` → push, p50 (n={cli['n']})", f"{cli['median']:.2f} ms", "", "", f"{node['push_p50_ms']:,} ms"],
        [f"CLI `send` → push, p99 (n={cli['n']})", f"{cli['p99']:.2f} ms", f"≤ {t['push_p99_ms']} ms",
         met(cli["p99"], t["push_p99_ms"]), f"{node['push_p99_ms']:,} ms"],
        [f"file rename → push, p50 (n={files['n']})", f"{files['median']:.2f} ms", "", "", ""],
        [f"file rename → push, p99 (n={files['n']})", f"{files['p99']:.2f} ms", f"≤ {t['push_p99_ms']} ms",
         met(files["p99"], t["push_p99_ms"]), ""],
        ["pushes missed", str(r["missed_pushes"]), "0", met(r["missed_pushes"], 0), ""],
        [f"RSS after {r['idle_s']:g} s idle", f"{r['rss_mb']:.2f} MB", f"≤ {t['rss_mb']} MB",
         met(r["rss_mb"], t["rss_mb"]), f"{node['rss_mb']} MB"],
        [f"CPU over {r['idle_s']:g} s idle (% of a core)", f"{r['idle_cpu_pct']:.3f} %", f"≤ {t['idle_cpu_pct']} %",
         met(r["idle_cpu_pct"], t["idle_cpu_pct"]), f"{node['idle_cpu_pct']} %"],
        [f"`check_inbox` with {r['pending']:,} pending (first batch of at most 50)", f"{r['check_inbox_ms']:.1f} ms",
         f"≤ {t['check_inbox_ms']} ms", met(r["check_inbox_ms"], t["check_inbox_ms"]), ""],
        [f"all {r['pending']:,} handed out, {r['drain_calls']} `check_inbox` calls", f"{r['drain_ms']:.0f} ms", "", "", ""],
        ["messages `check_inbox` returned, all calls", f"{r['check_inbox_returned']:,}", f"{r['pending']:,}",
         every(r["check_inbox_returned"]), ""],
        [f"pushes for the {r['pending']:,} pending", f"{r['pending_pushed']:,}", f"{r['pending']:,}",
         every(r["pending_pushed"]), ""],
        ["duplicate pushes", str(r["duplicate_pushes"]), "0", met(r["duplicate_pushes"], 0), ""],
        ["wake notification after `initialized`", "yes" if r["wake_received"] else "no", "yes",
         "yes" if r["wake_received"] else "**no**", ""],
    ])
    return out + [""]


def life_section(r: dict | None, error: str) -> list[str]:
    out = ["## A message's life: `status` and `history` (bench/life.py)", ""]
    if r is None:
        return out + [f"**Not measured**: {error}", ""]
    t = r["targets"]
    ms = lambda s: f"{s:.3f} ms"
    row = lambda label, s, target="", ok="": [label, ms(s["median"]), ms(s["p90"]), str(s["n"]), target, ok]
    out += [f"One agent with {r['messages']:,} messages of history (half sent, half read, each read one "
            "with its receipt), written as files. Wall time of each spawn after one warm-up; every run's "
            "output is checked.", ""]
    out += table(["measure", "median", "p90", "runs", "target", "met"], [
        row("`cc2cc --version` (floor: process start)", r["version"]),
        row("`status --json`, a read message, as its sender", r["status_read"]),
        row("`status --json`, a queued message, as its sender", r["status_queued"]),
        row("`status --json`, a read message, no identity (every mailbox tried)", r["status_anyone"]),
        ["`status` / floor (medians, same run)", f"{r['status_over_floor']:.2f}×", "", "", "", ""],
        row(f"`ls -f` of the two history folders ({r['messages']:,} names: the listing floor)", r["listing"]),
        row(f"`history --limit 20 --json` over {r['messages']:,}", r["history"],
            f"≤ {t['history_median_ms']:g} ms", met(r["history"]["median"], t["history_median_ms"])),
        row("`history --limit 20 --with PEER --json`", r["history_with"]),
        row("`history --limit 20 --grep TEXT` matching only the oldest (reads every file)", r["history_grep"]),
        ["`history --limit 20` / `--version` floor", f"{r['history_over_floor']:.2f}×", "", "", "", ""],
        ["`history --limit 20` / `ls -f` floor", f"{r['history_over_listing']:.2f}×", "", "", "", ""],
    ])
    return out + [""]


def backlog_section(r: dict | None, error: str) -> list[str]:
    out = ["## A backlog: messages waiting in one inbox (bench/backlog.py)", ""]
    if r is None:
        return out + [f"**Not measured**: {error}", ""]
    size = r["sizes"]
    out += [f"{'Quick sizes (--quick): ' if r.get('quick') else ''}{size['pending']:,} messages written as files "
            "into one agent's inbox, then every measure with them waiting. serve-mcp runs with "
            "`CC2CC_CHANNEL=hint` (pushes do not claim, so the backlog stays) beside a second server "
            f"whose inbox is empty, at the same time; idle CPU is taken over {size['idle_s']} s once the server "
            "wrote nothing for 1 s. Each floor is measured in the same run: the C floors are bench/floor.c (a "
            "durable write is temp file, fsync, rename, fsync of the folder), and every command is spawned "
            "by its launcher, which reads its wall time and peak RSS. A push or call that did not come in "
            "time counts as slower than all others (\"> N ms\"). It starts after a sync and a "
            f"{SETTLE_S} s pause: on ext4 without a journal, inodes freed in the last 60 s are skipped "
            "when a file is made, so the files the steps before it deleted would slow every file "
            "creation here, the C floors' as much as cc2cc's. The cc2cc measured is install.sh's, "
            "static on Linux; the C floors are built by `cc -O2`, linked dynamically to glibc as C "
            "programs usually are, and so pay the dynamic loader and glibc's CPU detection at start, "
            "which the static cc2cc does not. The row for the dynamic build shows the same `send` "
            "from cc2cc built as `cargo install` builds it, which pays them too.", ""]
    met_cell = {"ok": "yes", "MISS": "**no**"}
    symbols = lambda cell: re.sub(r"(\d)x\b", "\\1×", cell.replace("<= ", "≤ ").replace(">= ", "≥ ").replace("->", "→"))
    out += table(["measure", "value", "floor (same run)", "target", "met"],
                 [[*map(symbols, row[:4]), met_cell.get(row[4], row[4])] for row in r["rows"]])
    return out + [""]


def relay_section(r: dict | None, error: str) -> list[str]:
    out = ["## Relay: two hosts through NATS JetStream (bench/relay.py)", ""]
    if r is None:
        return out + [f"**Not measured**: {error}", ""]
    lat, tp, t = r["latency"], r["throughput"], r["targets"]
    ms = lambda v: f"{v:.2f} ms"
    out += [f"Two bridges on this machine stand for two hosts, each with its `cc2cc relay`, joined through "
            f"a real nats-server (file store) on 127.0.0.1. Latency: {lat['n']} messages one at a time. "
            f"Throughput: {tp['count']:,} messages renamed into host a's outbox, timed until all are committed "
            "in host b's inbox. The floor is examples/jetstream_floor.rs: the same stream configuration, "
            "publishes with `Nats-Msg-Id` and a pull consumer that writes each message durably (fsync, "
            "rename, one fsync of the directory per batch) before acking: the relay's durability without the "
            f"relay. Throughput is the median of {tp.get('rounds', 5)} rounds, relay and floor alternating.", ""]
    out += table(["measure", "p50", "p99", "target", "met"], [
        ["`send` on host a → `watch` on host b prints it", ms(lat["cross_host_p50_ms"]), ms(lat["cross_host_p99_ms"]),
         f"p50 ≤ {t['cross_host_p50_ms']:g} ms", met(lat["cross_host_p50_ms"], t["cross_host_p50_ms"])],
        ["`send` → `watch` on one bridge, no relay", ms(lat["same_host_p50_ms"]), ms(lat["same_host_p99_ms"]), "", ""],
        ["floor: JetStream publish → consumer's durable write", ms(lat["floor_p50_ms"]), ms(lat["floor_p99_ms"]),
         "", ""],
    ])
    out += [""]
    out += table(["throughput", "messages/s", "floor / relay", "target", "met"], [
        ["relay: host a's outbox → committed in host b's inbox", f"{tp['relay_per_s']:,.0f}", f"{tp['ratio']:.2f}×",
         f"≤ {t['ratio']:g}×", met(tp["ratio"], t["ratio"])],
        ["floor: JetStream publish/consume, durable write before ack", f"{tp['floor_durable_per_s']:,.0f}", "1.00×",
         "", ""],
        ["bare JetStream publish/consume, no disk writes (scale)", f"{tp['floor_memory_per_s']:,.0f}", "", "", ""],
    ])
    return out + [""]


SUITE_COLUMNS = ("sent", "read", "lost", "duplicated", "crashes")


def suite_section(r: dict | None, error: str, output: str) -> list[str]:
    out = ["## Proof suite (tests/proof/suite.py)", ""]
    if r is None:
        out += [f"**Did not complete**: {error}", ""]
        if output.strip():
            out += ["```", *output.strip().splitlines()[-20:], "```", ""]
        return out
    sizes = r["sizes"]
    out += [f"{r['size'].upper()} size: {sizes['senders']} sender processes × {sizes['per_sender']:,} messages "
            f"(plus {sizes['per_sender']:,} from one fast writer), a serve-mcp burst of {sizes['burst']:,}, "
            f"{sizes['sender_kills']} senders and {sizes['reader_kills']} readers killed with SIGKILL, "
            f"{sizes['mcp_kills']} serve-mcp kills; seed {r['seed']}, {r['seconds']:.0f} s. "
            f"**{r['passed']} passed, {r['failed']} failed**"
            + (f" ({', '.join(r['skipped'])} skipped)" if r["skipped"] else "") + ".", ""]
    out += ["Target for every check: lost 0, duplicated 0, crashes 0. \"read\" counts messages a reader "
            "printed or handed to the model; in `reader-kills` the difference from \"sent\" is \"claimed "
            "unprinted\": messages a killed `inbox` had already moved to done/ (where `cc2cc inbox --all` "
            "shows them) but not yet printed, which the check accepts; none is lost. In `sender-kills`, "
            "\"sent\" counts the sends that finished, and \"killed but delivered\" the ones killed after "
            "their rename.", ""]
    rows = []
    for c in r["checks"]:
        counts = c["counts"]
        cells = [f"{counts[k]:,}" if counts.get(k) is not None else "" for k in SUITE_COLUMNS]
        others = ", ".join(f"{k.replace('_', ' ')} {v:,}" if isinstance(v, int) else f"{k.replace('_', ' ')} {v}"
                           for k, v in counts.items() if k not in SUITE_COLUMNS)
        rows.append([f"`{c['name']}`", "yes" if c["ok"] else "**no**", *cells, others, f"{c['seconds']:.1f} s"])
    t = r["totals"]
    rows.append(["**total**", "yes" if not r["failed"] else "**no**", *(f"**{t[k]:,}**" for k in SUITE_COLUMNS), "", ""])
    out += table(["check", "passed", *SUITE_COLUMNS, "other counts", "time"], rows, left=(0, 7))
    problems = [(c["name"], p) for c in r["checks"] for p in c["problems"]]
    if problems:
        out += ["", "Failures:", ""] + [f"- `{name}`: {p}" for name, p in problems[:30]]
    out += ["", "What each check does is described at the top of tests/proof/suite.py.", ""]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ci-size", action="store_true", help="run the proof suite at CI size, not the issue's sizes")
    parser.add_argument("--quick-mcp", action="store_true", help="bench/mcp.py --quick (a smoke run)")
    parser.add_argument("--no-build", action="store_true", help="use the programs in target/bench-install as they are")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"), help="where to write (default BENCHMARKS.md)")
    args = parser.parse_args()

    failed_steps = []
    if not args.no_build:
        code, _, err, _ = run_step(["./install.sh", "--root", str(INSTALL_ROOT)], 1800,
                                   {**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target")})
        if code != 0:
            sys.exit(f"report.py: error: install.sh failed:\n{err.strip()}")
    binary = str(INSTALL_ROOT / "bin/cc2cc")
    dynamic = str(ROOT / "target/release/cc2cc")  # the default build, which install.sh made first
    for path in (binary, dynamic):
        if not os.access(path, os.X_OK):
            sys.exit(f"report.py: error: no program at {path}; run without --no-build")
    py = sys.executable

    core, core_error, _ = json_step([py, "bench/core.py", "--bin", binary, "--json"], 900)
    mcp, mcp_error, _ = json_step([py, "bench/mcp.py", "--bin", binary, "--json",
                                   *(["--quick"] if args.quick_mcp else [])], 900)
    life, life_error, _ = json_step([py, "bench/life.py", "--bin", binary, "--json"], 900)
    relay, relay_error, _ = json_step([py, "bench/relay.py", "--bin", binary, "--json"], 900)
    # The steps above made and deleted some 300,000 files. On ext4 without a journal (this
    # machine's disk), inodes freed in the last 60 s are skipped when a file is made, so every
    # creation right after such a step is slower, the C floors' as much as cc2cc's (measured:
    # broadcast 306 ms beside a floor of 850 ms just after bench/life.py; 125 ms beside 379 ms
    # after a pause). backlog.py times file creation, so it starts on a settled filesystem.
    os.sync()
    time.sleep(SETTLE_S)
    backlog, backlog_error, _ = json_step([py, "bench/backlog.py", "--bin", binary, "--dynamic-bin", dynamic,
                                           "--json"], 900)
    with tempfile.TemporaryDirectory(prefix="cc2cc-report-") as tmp:
        counts = Path(tmp) / "suite.json"
        suite_argv = [py, "tests/proof/suite.py", "--bin", binary, "--json", str(counts),
                      *([] if args.ci_size else ["--full"])]
        code, suite_out, suite_err, _ = run_step(suite_argv, 3600)
        sys.stderr.write(suite_out)
        suite = json.loads(counts.read_text()) if counts.exists() else None
    suite_error = "" if suite else f"`{shlex.join(suite_argv[1:])}` exited {code} without writing its counts"
    for name, result, error in (("bench/core.py", core, core_error), ("bench/mcp.py", mcp, mcp_error),
                                ("bench/life.py", life, life_error),
                                ("bench/relay.py", relay, relay_error),
                                ("bench/backlog.py", backlog, backlog_error)):
        if result is None:
            failed_steps.append(f"{name}: {error}")
    if suite is None or suite["failed"]:
        failed_steps.append("tests/proof/suite.py: " + (suite_error or f"{suite['failed']} checks failed"))

    m = machine()
    suite_flag = "" if args.ci_size else " --full"
    lines = [
        "# cc2cc benchmarks",
        "",
        "<!-- Generated by bench/report.py; do not edit by hand: every figure below comes from one run. -->",
        "",
        f"Measured {m['date']} at commit `{m['commit']}`.",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {m['cpu']} |",
        f"| cores | {m['cores']} |",
        f"| memory | {m['memory']} |",
        f"| OS, kernel | {m['os']}, Linux {m['kernel']} |",
        f"| temp dir (where the bridges live) | {m['tmp']} |",
        f"| toolchain | {m['rustc']}; Python {m['python']} |",
        f"| cc2cc measured | {linkage(binary)}, installed by install.sh |",
        "",
        "Reproduce (the same steps, one command):",
        "",
        "```sh",
        "python3 bench/report.py" + (" --ci-size" if args.ci_size else "") + (" --quick-mcp" if args.quick_mcp else ""),
        "# which runs: ./install.sh --root target/bench-install",
        "#             python3 bench/core.py --json",
        "#             python3 bench/mcp.py --json" + (" --quick" if args.quick_mcp else ""),
        "#             python3 bench/life.py --json",
        "#             python3 bench/relay.py --json",
        "#             python3 bench/backlog.py --json",
        f"#             python3 tests/proof/suite.py --json PATH{suite_flag}",
        "```",
        "",
    ]
    if failed_steps:
        lines += ["**Steps that failed in this run:**", ""] + [f"- {s}" for s in failed_steps] + [""]
    lines += core_section(core, core_error)
    lines += mcp_section(mcp, mcp_error)
    lines += life_section(life, life_error)
    lines += relay_section(relay, relay_error)
    lines += backlog_section(backlog, backlog_error)
    lines += suite_section(suite, suite_error, suite_out + suite_err)
    Path(args.output).write_text("\n".join(lines).rstrip() + "\n")
    print(f"report.py: wrote {args.output}" + (f"; {len(failed_steps)} step(s) failed" if failed_steps else ""),
          file=sys.stderr)
    sys.exit(1 if failed_steps else 0)


if __name__ == "__main__":
    main()
