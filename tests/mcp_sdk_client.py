"""Interop test: the official MCP Python SDK (2.x) drives two `cc2cc serve-mcp` servers.

Starts `sdk-alice` and `sdk-bob` on one temporary bridge (CC2CC_BRIDGE_DIR, CC2CC_NAME), initializes
both, checks the nine tools, `whoami`, a `send` from alice to bob, the
`notifications/claude/channel` push bob receives (through the SDK's NotificationBinding: SDK 2.x
drops server notifications it does not know unless a binding names them, and never hands them to
message_handler), that `check_inbox` on bob returns the message once and only once, that
`message_status` follows it from queued to read, and that `history` shows it on both sides.
Prints `1 passed, 0 failed` and exits 0, or the failure and `0 passed, 1 failed` and exits 1.
Bounded: 20 s for the test, then at most ~5 s for the SDK to stop the servers.

Setup:  python3 -m venv /tmp/mcpvenv && /tmp/mcpvenv/bin/pip install mcp
Run:    /tmp/mcpvenv/bin/python tests/mcp_sdk_client.py [--bin PATH]
The binary is --bin, else $CC2CC_BIN, else target/release/cc2cc, else target/debug/cc2cc.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client import NotificationBinding
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict

TOOLS = {"whoami", "list_agents", "send", "broadcast", "reply", "check_inbox", "register",
         "message_status", "history"}
TEXT = "hello from the sdk"
TEST_TIMEOUT_S = 20
REQUEST_TIMEOUT_S = 5


class ChannelParams(BaseModel):
    """params of notifications/claude/channel; the wake push has no meta.msg_id."""

    model_config = ConfigDict(extra="allow")
    content: str
    meta: dict[str, Any] = {}


class TestFailure(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise TestFailure(message)


def text_of(result: CallToolResult, tool: str) -> str:
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    expect(not result.is_error, f"{tool} returned isError: {text}")
    return text


async def run(binary: str, bridge: Path, log) -> None:
    pushes: dict[str, ChannelParams] = {}

    async def on_channel(params: ChannelParams) -> None:
        if params.meta.get("msg_id"):
            pushes[params.meta["msg_id"]] = params

    async with AsyncExitStack() as stack:
        async def start(name: str, **session_options) -> ClientSession:
            server = StdioServerParameters(command=binary, args=["serve-mcp"],
                                           env={"CC2CC_BRIDGE_DIR": str(bridge), "CC2CC_NAME": name})
            read, write = await stack.enter_async_context(stdio_client(server, errlog=log))
            session = await stack.enter_async_context(
                ClientSession(read, write, read_timeout_seconds=REQUEST_TIMEOUT_S, **session_options))
            result = await session.initialize()
            expect(result.capabilities.tools is not None, f"{name}: initialize result lacks capabilities.tools")
            return session

        alice = await start("sdk-alice")
        bob = await start("sdk-bob", notification_bindings=[
            NotificationBinding(method="notifications/claude/channel", params_type=ChannelParams, handler=on_channel)])

        names = {tool.name for tool in (await alice.list_tools()).tools}
        expect(TOOLS <= names, f"tools/list lacks {sorted(TOOLS - names)}; it has {sorted(names)}")

        whoami_text = text_of(await alice.call_tool("whoami", {}), "whoami")
        try:
            whoami, _ = json.JSONDecoder().raw_decode(whoami_text.lstrip())
        except ValueError:
            raise TestFailure(f"whoami text is not a JSON object: {whoami_text!r}") from None
        missing = {"name", "online_since", "bridge_dir", "online_agents"} - set(whoami)
        expect(not missing, f"whoami lacks {sorted(missing)}: {whoami}")
        expect(whoami["name"] == "sdk-alice", f"whoami name is {whoami['name']!r}, expected 'sdk-alice'")

        sent = text_of(await alice.call_tool("send", {"to": "sdk-bob", "text": TEXT}), "send")
        found = re.search(r"msg-[0-9A-Za-z-]+", sent)
        expect(found is not None, f"send result names no message id: {sent!r}")
        msg_id = found.group()

        with anyio.move_on_after(5):
            while msg_id not in pushes:
                await anyio.sleep(0.01)
        expect(msg_id in pushes, f"bob got no notifications/claude/channel for {msg_id} within 5 s "
                                 f"(pushes seen for {sorted(pushes)})")
        push = pushes[msg_id]
        expect(f"\n| {TEXT}\n" in push.content and msg_id in push.content,
               f"push content {push.content!r} does not carry the text {TEXT!r} and its msg_id")
        expect(push.meta.get("from") == "sdk-alice", f"push meta.from is {push.meta.get('from')!r}")
        missing = {"msg_id", "from", "type", "priority"} - set(push.meta)
        expect(not missing, f"push meta lacks {sorted(missing)}: {push.meta}")

        async def state() -> str:
            answer = text_of(await alice.call_tool("message_status", {"msg_id": msg_id}), "message_status")
            try:
                status, _ = json.JSONDecoder().raw_decode(answer.lstrip())
            except ValueError:
                raise TestFailure(f"message_status text is not a JSON object: {answer!r}") from None
            expect(status.get("id") == msg_id, f"message_status names {status.get('id')!r}, expected {msg_id}")
            return status.get("state")

        before = await state()
        expect(before == "queued", f"message_status before bob read it is {before!r}, expected 'queued'")

        first = text_of(await bob.call_tool("check_inbox", {}), "check_inbox")
        expect(TEXT in first, f"first check_inbox does not return the message: {first!r}")
        second = text_of(await bob.call_tool("check_inbox", {}), "check_inbox")
        expect(TEXT not in second and msg_id not in second, f"second check_inbox returned it again: {second!r}")

        after = await state()
        expect(after == "read", f"message_status after bob read it is {after!r}, expected 'read'")
        for session, name, line in ((alice, "alice", f"[sent] msg_id={msg_id} to=sdk-bob"),
                                    (bob, "bob", f"[received] msg_id={msg_id} from=sdk-alice")):
            history = text_of(await session.call_tool("history", {"query": "SDK", "limit": 5}), "history")
            expect(line in history and TEXT in history, f"{name}'s history lacks {line!r}: {history!r}")


def find_binary(arg: str | None) -> str:
    root = Path(__file__).resolve().parent.parent
    given = arg or os.environ.get("CC2CC_BIN")
    candidates = [Path(given)] if given else [root / "target/release/cc2cc", root / "target/debug/cc2cc"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path.resolve())
    sys.exit(f"mcp_sdk_client.py: error: no cc2cc binary at {', '.join(map(str, candidates))}; pass --bin PATH")


def leaves(exc: BaseException):
    """The exceptions inside (possibly nested) exception groups raised by anyio task groups."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaves(inner)
    else:
        yield exc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="cc2cc binary (default: $CC2CC_BIN, target/release, target/debug)")
    binary = find_binary(parser.parse_args().bin)
    work = Path(tempfile.mkdtemp(prefix="cc2cc-sdk-test-", dir="/tmp"))
    log_path = work / "servers.log"
    try:
        with open(log_path, "w") as log:
            async def bounded() -> None:
                with anyio.fail_after(TEST_TIMEOUT_S):
                    await run(binary, work / "bridge", log)
            anyio.run(bounded)
    except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
        for leaf in leaves(exc):
            reason = f"timed out after {TEST_TIMEOUT_S} s" if isinstance(leaf, TimeoutError) else str(leaf)
            print(f"FAIL sdk interop: {type(leaf).__name__}: {reason}")
        print(f"servers' stderr ({log_path}):\n" + "".join(log_path.read_text().splitlines(True)[-20:]))
        print("0 passed, 1 failed")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
