"""Shared helpers for the cc2cc benchmarks (bench/core.py, bench/mcp.py).

Finds the binary, writes message files the way a sender does (DESIGN.md section 2: pretty JSON,
`msg-<uuidv7>` ids, `.tmp-<uuid>.json` then rename), and summarises and prints timings.
Not a script: imported by the benchmarks, which run as `python3 bench/<name>.py`.
"""

import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def verdict(value: float | None, target: float) -> str:
    return "-" if value is None else "ok" if value <= target else "MISS"


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
