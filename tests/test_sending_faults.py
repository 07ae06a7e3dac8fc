"""Every message exactly once, within what SMTP allows, under faults: a real aiosmtpd server
on 127.0.0.1 that delays its replies to DATA or QUIT, refuses for a while, or is slow enough
for the client's timeout, and `minsheng email --send` run as real processes, SIGKILLed while
waiting for a chosen reply, or started twice at once."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pipeline.job import run_job
from pipeline.mailjob import prepare_emails, smtp_settings
from pipeline.sending import deliver
from pipeline.store import Store
from pipeline.workspace import open_workspace

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "inputs"
PERIOD = "2022-06"
TIMEOUT = 60  # seconds any one process or wait may take before the test gives up
DATE = dt.datetime(2022, 7, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

CONFIG = """\
county = "黟县"
office_contact = "黟县民生办"
[recipients]
leaders = ["leader1@yx.gov.cn", "leader2@yx.gov.cn"]
[recipients.departments]
"县交通运输局" = "jtj@yx.gov.cn"
"县住房和城乡建设局" = "zjj@yx.gov.cn"
"县科技商务经信局" = "ksj@yx.gov.cn"
"县司法局" = "sfj@yx.gov.cn"
[smtp]
host = "127.0.0.1"
sender = "msb@yx.gov.cn"
"""
PAIRS = 6  # (message, recipient) pairs the configuration above gives


class Server:
    """An aiosmtpd handler that keeps what arrives; ``hold_data`` / ``hold_quit`` make it
    wait before answering DATA / QUIT (until ``release`` or a bound), ``busy`` answers 451
    to that many MAIL commands first."""

    def __init__(self) -> None:
        self.arrived: list[tuple[list[str], email.message.EmailMessage]] = []
        self.hold_data = self.hold_quit = 0.0
        self.busy = 0
        self.waiting = threading.Event()  # a reply is being held back
        self.released = threading.Event()

    async def _hold(self, seconds: float) -> None:
        self.waiting.set()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.released.is_set():
            await asyncio.sleep(0.02)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.busy > 0:
            self.busy -= 1
            return "451 4.3.0 try again later"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.arrived.append((list(envelope.rcpt_tos), msg))
        if self.hold_data:
            await self._hold(self.hold_data)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):
        if self.hold_quit:
            await self._hold(self.hold_quit)
        return "221 Bye"

    def deliveries(self) -> collections.Counter[tuple[str, str]]:
        """How often each (subject, recipient) pair arrived."""
        return collections.Counter(
            (str(msg["Subject"]), r) for rcpts, msg in self.arrived for r in rcpts
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server():
    handler = Server()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.released.set()
        controller.stop()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / PERIOD, tmp_path / "inputs" / PERIOD)
    (tmp_path / "minsheng.toml").write_text(CONFIG, encoding="utf-8")
    run_job(open_workspace(tmp_path), PERIOD)
    return tmp_path


def _send_cmd(ws: Path, port: int, *more: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pipeline",
        "email",
        "-p",
        PERIOD,
        "-w",
        str(ws),
        "--send",
        "--smtp-port",
        str(port),
        *more,
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "MINSHENG_LOCK_WAIT": str(TIMEOUT)}


def _send(ws: Path, port: int, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _send_cmd(ws, port, *more), env=_env(), capture_output=True, text=True, timeout=TIMEOUT
    )


def _kill_while_held(ws: Path, port: int, handler: Server) -> None:
    """Start a send, SIGKILL it while the server holds back a reply, then let the server
    go on."""
    proc = subprocess.Popen(
        _send_cmd(ws, port), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert handler.waiting.wait(timeout=TIMEOUT), "the send never reached the held reply"
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT)
    handler.hold_data = handler.hold_quit = 0
    handler.released.set()


def _states(ws: Path) -> dict[tuple[str, str], str]:
    with Store(ws / "minsheng.db") as store:
        return {k: v.state for k, v in store.send_states(PERIOD).items()}


def test_a_kill_while_waiting_for_quit_sends_nothing_twice(ws: Path, server) -> None:
    """Issue #19.2: the server accepted the leaders' message and the sender was killed while
    waiting for the reply to QUIT: the message is already logged as sent, so the next run
    sends the rest and every pair arrives exactly once."""
    handler, port = server
    handler.hold_quit = TIMEOUT
    _kill_while_held(ws, port, handler)
    assert _states(ws) == {
        ("leaders", "leader1@yx.gov.cn"): "sent",
        ("leaders", "leader2@yx.gov.cn"): "sent",
    }
    result = _send(ws, port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已跳过 leader1@yx.gov.cn（leaders）此前已发送" in result.stdout
    counts = handler.deliveries()
    assert len(counts) == PAIRS and set(counts.values()) == {1}, counts
    assert set(_states(ws).values()) == {"sent"}


def test_a_kill_while_waiting_for_the_data_reply_is_reported_not_resent(ws: Path, server):
    """The server received the message but the sender was killed before the reply to DATA:
    whether it arrived is unknown. The next run does not send it blindly — it lists it as
    未确认 with its Message-ID and exits 1 — and `--resend-unconfirmed` sends that one
    message again (no other), keeping the Message-ID the recipients may already have."""
    handler, port = server
    handler.hold_data = TIMEOUT
    _kill_while_held(ws, port, handler)
    assert set(_states(ws).values()) == {"sending"}
    (first,) = [msg for _, msg in handler.arrived]
    result = _send(ws, port)
    assert result.returncode == 1
    assert "未确认 leader1@yx.gov.cn（leaders）上次发送时服务器未确认是否收到" in result.stdout
    assert str(first["Message-ID"]) in result.stdout
    assert "未确认 2 个（未重发，请向收件人确认）" in result.stdout
    counts = handler.deliveries()
    assert counts[(str(first["Subject"]), "leader1@yx.gov.cn")] == 1
    assert len(counts) == PAIRS and set(counts.values()) == {1}
    resent = _send(ws, port, "--resend-unconfirmed")
    assert resent.returncode == 0, resent.stdout
    again = [msg for _, msg in handler.arrived if msg["Subject"] == first["Subject"]]
    assert len(again) == 2 and again[1]["Message-ID"] == first["Message-ID"]
    counts = handler.deliveries()  # the unconfirmed message alone went again
    assert counts[(str(first["Subject"]), "leader1@yx.gov.cn")] == 2
    assert sum(counts.values()) == PAIRS + 2
    assert set(_states(ws).values()) == {"sent"}


def test_no_reply_to_data_within_the_timeout_is_unconfirmed(ws: Path, server) -> None:
    """The connection times out after the message was handed over: the pair stays claimed
    (`sending`), reported unconfirmed, and is not retried in the same run."""
    handler, port = server
    handler.hold_data = 5
    workspace = open_workspace(ws)
    prepared = prepare_emails(workspace, PERIOD, date=DATE)
    cfg = smtp_settings(workspace, "127.0.0.1", port)
    with Store(workspace.db) as store:
        results = deliver(
            prepared.messages[:1],
            cfg=cfg,
            password=None,
            store=store,
            period=PERIOD,
            delay=0,
            timeout=0.5,
        )
    assert [r.status for r in results] == ["unconfirmed", "unconfirmed"]
    assert len(handler.arrived) == 1
    assert set(_states(ws).values()) == {"sending"}


def test_a_busy_server_is_retried_and_the_claim_released_when_it_never_accepts(ws, server):
    """451 to MAIL is transient: retried, and delivered once when the server recovers; when
    it never does, the claim is released (the message certainly did not go) so the next
    run sends it."""
    handler, port = server
    workspace = open_workspace(ws)
    cfg = smtp_settings(workspace, "127.0.0.1", port)
    prepared = prepare_emails(workspace, PERIOD, date=DATE)
    handler.busy = 10
    with Store(workspace.db) as store:
        failed = deliver(
            prepared.messages[:1], cfg=cfg, password=None, store=store, period=PERIOD, delay=0
        )
        assert [r.status for r in failed] == ["failed", "failed"]
        assert store.send_states(PERIOD) == {}
        handler.busy = 1
        sent = deliver(
            prepared.messages[:1], cfg=cfg, password=None, store=store, period=PERIOD, delay=0
        )
    assert [r.status for r in sent] == ["sent", "sent"] and len(handler.arrived) == 1


def test_two_sends_at_once_deliver_each_message_once(ws: Path, server) -> None:
    """Issue #19.1: two `email --send` started together — every pair arrives exactly once
    (before: twice), and the send log holds each pair as sent."""
    handler, port = server
    procs = [
        subprocess.Popen(
            _send_cmd(ws, port),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=TIMEOUT) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    counts = handler.deliveries()
    assert len(counts) == PAIRS and set(counts.values()) == {1}, counts
    assert len(_states(ws)) == PAIRS and set(_states(ws).values()) == {"sent"}


def test_two_senders_can_never_claim_one_pair(tmp_path: Path) -> None:
    """The store's claim is one conditional insert: of two connections claiming the same
    pairs, the second gets none of them, and only the claimant can mark them sent."""
    db = tmp_path / "minsheng.db"
    now = dt.datetime(2022, 7, 10, 9, 0)
    with Store(db) as one, Store(db) as two:
        args = {"subject": "s", "message_id": "<m@x>", "when": now}
        assert one.claim(PERIOD, "leaders", ["a@x.cn", "b@x.cn"], token="1", **args) == [
            "a@x.cn",
            "b@x.cn",
        ]
        assert two.claim(PERIOD, "leaders", ["a@x.cn", "b@x.cn"], token="2", **args) == []
        two.mark_sent(PERIOD, "leaders", ["a@x.cn"], "2", now)
        assert {v.state for v in one.send_states(PERIOD).values()} == {"sending"}
        one.mark_sent(PERIOD, "leaders", ["a@x.cn"], "1", now)
        one.release(PERIOD, "leaders", ["b@x.cn"], "1")
        assert {k[1]: v.state for k, v in two.send_states(PERIOD).items()} == {"a@x.cn": "sent"}
