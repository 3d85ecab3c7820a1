#!/usr/bin/env python3
"""The cc2cc plugin in a real Claude Code, run interactively under tmux against a loopback
stand-in for the Anthropic API (fake_api.py). Nothing leaves 127.0.0.1: ANTHROPIC_BASE_URL points
at the stand-in and every other request goes through a proxy on the stand-in, which refuses it.

Scenarios (each in a fresh temporary HOME, default bridge ~/.cc2cc, no name given):
  monitor   --plugin-dir <checkout>, no channels flag: the monitor presents.
  channels  installed with `claude plugin marketplace add` + `claude plugin install`, started
            with the development-channels flag: the monitor still presents, no push repeats it.
  channel-only  as channels, with the monitor switched off (CC2CC_MONITOR=off): the channel
            push presents.
  tools     --plugin-dir, monitor off, no channels flag: nothing presents until the model calls a
            cc2cc tool, whose result presents it.
In each: the session's serve-mcp and monitor share one name bound to the session id; a message
sent with `cc2cc send` reaches the model's next request within 1 s (in `tools`, the request after
the tool call); after a further user turn it appears exactly once in what the model is sent, and
it is marked read with a receipt; `cc2cc doctor`, run with the session's id, names the agent and
says whether a monitor presents (exit 0) or not (exit 1). In `monitor`, the session is resumed (`--resume ID`) and
gets its name back.
"""

import argparse
import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LATENCY_LIMIT = 1.0


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_for(what, fn, timeout=30.0, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def lock_held(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


class Session:
    """One Claude Code session in tmux with its own HOME, API stand-in and bridge."""

    def __init__(self, args, name, plugin_dir=None, channels=None, installed=False,
                 extra_env=None):
        self.args = args
        self.label = name
        self.tmp = tempfile.mkdtemp(prefix=f"cc2cc-claude-{name}-")
        self.home = os.path.join(self.tmp, "home")
        self.project = os.path.join(self.tmp, "project")
        self.bin = os.path.join(self.tmp, "bin")
        for d in (self.home, self.project, self.bin):
            os.makedirs(d)
        os.symlink(os.path.abspath(args.bin), os.path.join(self.bin, "cc2cc"))
        self.log = os.path.join(self.tmp, "requests.ndjson")
        open(self.log, "w").close()
        port_file = os.path.join(self.tmp, "port")
        self.api = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_api.py"), "--port-file", port_file,
             "--log", self.log],
            stderr=open(os.path.join(self.tmp, "api.log"), "w"))
        self.port = int(wait_for("the API stand-in", lambda: os.path.exists(port_file)
                                 and open(port_file).read(), timeout=10))
        self.channels = channels
        self.write_claude_json(channels is not None)
        self.socket = f"cc2cc-test-{os.getpid()}-{name}"
        self.env = {
            "PATH": f"{self.bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": self.home,
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "ANTHROPIC_API_KEY": "sk-ant-cc2cc-test-key",
            "DISABLE_AUTOUPDATER": "1",
            "HTTPS_PROXY": f"http://127.0.0.1:{self.port}",
            "HTTP_PROXY": f"http://127.0.0.1:{self.port}",
            "NO_PROXY": "127.0.0.1,localhost",
            "CC2CC_LOG": "debug",
        }
        if installed or plugin_dir:
            # The stand-in model calls a cc2cc tool by name: no tool search, no permission prompt.
            self.env["ENABLE_TOOL_SEARCH"] = "false"
            settings = os.path.join(self.home, ".claude", "settings.json")
            os.makedirs(os.path.dirname(settings), exist_ok=True)
            with open(settings, "w") as f:
                json.dump({"permissions": {"allow": ["mcp__plugin_cc2cc_cc2cc"]}}, f)
        if channels is None:
            # Without channels nothing needs the feature flags Claude Code caches.
            self.env["DISABLE_TELEMETRY"] = "1"
            self.env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1"
        self.env.update(extra_env or {})
        if installed:
            self.install_plugin()
        self.cmd = [args.claude]
        if plugin_dir:
            self.cmd += ["--plugin-dir", plugin_dir]
        if channels:
            self.cmd += ["--dangerously-load-development-channels", channels]
        self.start(self.cmd)

    def write_claude_json(self, channels):
        config = {
            "hasCompletedOnboarding": True,
            "lastOnboardingVersion": "2.1.331",
            "customApiKeyResponses": {"approved": ["sk-ant-cc2cc-test-key"[-20:]],
                                      "rejected": []},
            "projects": {self.project: {"hasTrustDialogAccepted": True,
                                        "hasCompletedProjectOnboarding": True}},
        }
        if channels:
            # Channels are behind a feature flag Claude Code fetches and caches; the fetch
            # cannot leave loopback here, so the cached value is what it reads.
            config["cachedGrowthBookFeatures"] = {"tengu_harbor": True}
        with open(os.path.join(self.home, ".claude.json"), "w") as f:
            json.dump(config, f)

    def claude_cli(self, *argv):
        r = subprocess.run([self.args.claude, *argv], env=self.env, cwd=self.project,
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"claude {' '.join(argv)} failed: {r.stdout}{r.stderr}")
        return r.stdout

    def install_plugin(self):
        self.claude_cli("plugin", "marketplace", "add", ROOT)
        self.claude_cli("plugin", "install", "cc2cc@cc2cc")
        listed = self.claude_cli("plugin", "list")
        check("cc2cc@cc2cc" in listed, f"claude plugin list does not show cc2cc: {listed}")

    def start(self, cmd):
        env_args = [f"{k}={v}" for k, v in self.env.items()]
        script = (" ".join(["env", "-i", *map(shq, env_args), *map(shq, cmd)])
                  + f" 2>{shq(os.path.join(self.tmp, 'claude.stderr'))}")
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-s", "cc", "-x", "200", "-y", "50", "-c", self.project, script],
                       check=True)
        r = subprocess.run(["tmux", "-L", self.socket, "list-panes", "-F", "#{pane_pid}"],
                           capture_output=True, text=True, check=True)
        self.pane_pids = [int(p) for p in r.stdout.split()]

    def screen(self):
        r = subprocess.run(["tmux", "-L", self.socket, "capture-pane", "-p", "-t", "cc"],
                           capture_output=True, text=True)
        return r.stdout

    def keys(self, *keys):
        subprocess.run(["tmux", "-L", self.socket, "send-keys", "-t", "cc", *keys], check=True)

    def type_line(self, text):
        self.keys("-l", text)
        time.sleep(0.3)
        self.keys("Enter")

    def requests(self):
        out = []
        with open(self.log) as f:
            for line in f:
                # The stand-in may be mid-write: a line counts once its newline is there.
                if line.endswith("\n") and line.strip():
                    out.append(json.loads(line))
        return out

    def cc2cc(self, *argv, check_rc=True, env=None):
        r = subprocess.run([self.args.bin, *argv],
                           env={"HOME": self.home, "PATH": self.env["PATH"], **(env or {})},
                           capture_output=True, text=True, timeout=30)
        if check_rc:
            check(r.returncode == 0, f"cc2cc {' '.join(argv)}: {r.returncode} {r.stderr}")
        return r

    @property
    def bridge(self):
        return os.path.join(self.home, ".cc2cc")

    def stop_claude(self):
        """Ends the tmux session and waits until Claude Code (and what it started) is gone."""
        pids = self.pane_pids + [p for pid in self.pane_pids for p in descendants(pid)]
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            time.sleep(0.05)

    def close(self):
        self.stop_claude()
        self.api.terminate()
        self.api.wait()

    def diagnostics(self):
        out = [f"--- screen ({self.label})", self.screen()]
        for name in ("claude.stderr", "api.log"):
            p = os.path.join(self.tmp, name)
            if os.path.exists(p):
                out += [f"--- {name}", open(p, errors="replace").read()[-3000:]]
        for p in glob.glob(os.path.join(self.home, ".claude", "debug", "*"))[:1]:
            out += [f"--- {p}", open(p, errors="replace").read()[-3000:]]
        return "\n".join(out)


def descendants(pid):
    """Every process below `pid`, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def request_text(req):
    """Everything the model is sent in one request, as text (system, messages, tools)."""
    return json.dumps(req["body"], ensure_ascii=False)


def messages_text(req):
    return json.dumps(req["body"].get("messages", []), ensure_ascii=False)


def conversation(reqs, marker):
    """The newest request that carries the whole conversation up to `marker`. Claude Code also
    sends side requests (the session's title, say) that quote only the newest user text and
    may arrive after the turn's own request; the conversation is the one with the most
    messages."""
    found = [r for r in reqs if marker in messages_text(r)]
    if not found:
        return None
    return max(reversed(found), key=lambda r: len(r["body"].get("messages") or []))


def session_binding(s):
    files = wait_for("the session's name binding",
                     lambda: glob.glob(os.path.join(s.bridge, "sessions", "*.json")), timeout=60)
    check(len(files) == 1, f"one session, one binding: {files}")
    binding = json.load(open(files[0]))
    return binding["session_id"], binding["name"]


def run_scenario(args, label, expect_monitor, via, resume=False, **kw):
    s = Session(args, label, **kw)
    try:
        if kw.get("channels"):
            # The development-channels warning asks for consent once per launch.
            wait_for("the development channels prompt",
                     lambda: "I am using this for local development" in s.screen(), timeout=60)
            s.keys("Enter")
        wait_for("the prompt", lambda: "❯" in s.screen() and "Enter to confirm" not in s.screen(),
                 timeout=60)
        sid, name = session_binding(s)
        print(f"  session {sid} is agent {name}", flush=True)
        status = os.path.join(s.bridge, "status")
        wait_for("serve-mcp holding the name", lambda: lock_held(os.path.join(status, f"{name}.lock")))
        if expect_monitor:
            wait_for("the monitor holding the name",
                     lambda: lock_held(os.path.join(status, f"{name}.monitor.lock")))
        else:
            time.sleep(1.0)
            check(not lock_held(os.path.join(status, f"{name}.monitor.lock")),
                  "the monitor was switched off but holds the name")
        check(len(os.listdir(os.path.join(s.bridge, "sessions"))) == 1, "one binding")
        heartbeat = json.load(open(os.path.join(status, f"{name}-heartbeat.json")))
        check(heartbeat["status"] == "active", f"heartbeat {heartbeat}")

        # Let start-up turns (the channel wake) finish before measuring.
        time.sleep(2.0)
        before = len(s.requests())
        token = f"cc2cc-probe-{os.getpid()}-{label}"
        sent_at = time.monotonic()
        msg_id = s.cc2cc("--as", "tester", "send", "--to", name, f"please look at {token}").stdout.strip()
        if via == "tool":
            # Nothing presents it until the model calls a tool.
            time.sleep(1.5)
            check(not any(token in messages_text(r) for r in s.requests()),
                  "presented although no path was armed")
            check(os.path.exists(os.path.join(s.bridge, f"to-{name}", "inbox", f"{msg_id}.json")),
                  "still pending")
            s.type_line("please call the cc2cc tool whoami")
            sent_at = time.monotonic()
        hit = wait_for("the message in a model request", lambda: next(
            (r for r in s.requests()[before:] if token in messages_text(r)), None), timeout=20,
            every=0.01)
        latency = hit["at"] - (time.time() - (time.monotonic() - sent_at))
        print(f"  {label}: message reached the model's request after {latency * 1000:.0f} ms "
              f"({via})", flush=True)
        if via != "tool":  # a tool call waits for a user turn; no latency promise there
            check(latency <= LATENCY_LIMIT,
                  f"{label}: took {latency:.2f}s, more than {LATENCY_LIMIT}s")
        text = messages_text(hit)
        check(msg_id in text, "the event names the msg_id")
        check("from=tester" in text, "the event names the sender")
        check("reply tool" in text, "the event says how to answer")
        if via == "monitor":
            check("<task-notification>" in text, "presented by the monitor")
        elif via == "channel":
            check("<channel" in text, "presented by the channel push")
        else:
            check('"tool_result"' in text, "presented in a tool result")

        # A further user turn: the whole conversation is sent again; the message once.
        wait_for("the turn to end", lambda: "esc to interrupt" not in s.screen(), timeout=30)
        n = len(s.requests())
        s.type_line("what is new?")
        wait_for("the next user turn's request",
                 lambda: conversation(s.requests()[n:], "what is new?"), timeout=30)
        time.sleep(1.0)
        final = conversation(s.requests(), "what is new?")
        count = messages_text(final).count(token)
        check(count == 1, f"{label}: the message appears {count} times in what the model is sent")
        done = os.path.join(s.bridge, f"to-{name}", "done", f"{msg_id}.json")
        check(os.path.exists(done), "the presented message is marked read")
        check(os.path.exists(os.path.join(s.bridge, f"to-{name}", "receipts",
                                          f"{msg_id}.receipt.json")), "with a receipt")
        # The doctor, run as the session's own shell would, sees what is live.
        r = s.cc2cc("--json", "doctor", check_rc=False, env={"CLAUDE_CODE_SESSION_ID": sid})
        report = {f["check"]: f for f in map(json.loads, r.stdout.splitlines())}
        check(report["identity"]["status"] == "ok" and name in report["identity"]["detail"],
              f"doctor identity: {report.get('identity')}")
        check(report["server"]["status"] == "ok", f"doctor server: {report.get('server')}")
        # No monitor: a failure, unless Claude Code runs with the channels flag (then a warning).
        want = "ok" if expect_monitor else "warn" if kw.get("channels") else "fail"
        check(report["monitor"]["status"] == want, f"doctor monitor: {report.get('monitor')}")
        check(r.returncode == (1 if want == "fail" else 0), f"doctor exit {r.returncode}: {r.stdout}")
        if kw.get("installed"):
            check(report["plugin"]["status"] == "ok", f"doctor plugin: {report.get('plugin')}")

        if resume:
            # The same session resumed: the same id, so the same name.
            s.stop_claude()
            wait_for("the name to be free",
                     lambda: not lock_held(os.path.join(status, f"{name}.lock")), timeout=15)
            s.start([*s.cmd, "--resume", sid])
            wait_for("serve-mcp of the resumed session holding the same name",
                     lambda: lock_held(os.path.join(status, f"{name}.lock")), timeout=60)
            if expect_monitor:
                wait_for("the resumed session's monitor holding it",
                         lambda: lock_held(os.path.join(status, f"{name}.monitor.lock")))
            check(os.listdir(os.path.join(s.bridge, "sessions")) == [f"{sid}.json"],
                  "the resumed session binds no new name")
            print(f"  {label}: resumed session {sid} is {name} again", flush=True)
        return sid, name
    except Failure:
        print(s.diagnostics(), file=sys.stderr)
        raise
    finally:
        s.close()
        if not args.keep:
            shutil.rmtree(s.tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True, help="the cc2cc binary")
    p.add_argument("--claude", required=True, help="the claude binary (2.1.331)")
    p.add_argument("--only", default=None, help="run one scenario")
    p.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = p.parse_args()
    if shutil.which("tmux") is None:
        print("tests/claude: tmux is required", file=sys.stderr)
        return 1
    scenarios = {
        "monitor": dict(expect_monitor=True, via="monitor", plugin_dir=ROOT, resume=True),
        "channels": dict(expect_monitor=True, via="monitor", installed=True,
                         channels="plugin:cc2cc@cc2cc"),
        "channel-only": dict(expect_monitor=False, via="channel", installed=True,
                             channels="plugin:cc2cc@cc2cc", extra_env={"CC2CC_MONITOR": "off"}),
        "tools": dict(expect_monitor=False, via="tool", plugin_dir=ROOT,
                      extra_env={"CC2CC_MONITOR": "off"}),
    }
    failed = 0
    for label, kw in scenarios.items():
        if args.only and args.only != label:
            continue
        print(f"claude code: {label}", flush=True)
        try:
            run_scenario(args, label, **kw)
            print(f"  ok", flush=True)
        except Failure as e:
            failed += 1
            print(f"  FAILED: {e}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
