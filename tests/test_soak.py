"""Soak: runs and sends of one workspace from two processes at once, with random SIGKILLs,
against a real SMTP server on 127.0.0.1 — at the end the store passes its integrity check,
the outputs are the store's latest run, and no message reached a recipient twice.

Bounded: 25 rounds of two processes (50 commands), each process given at most TIMEOUT
seconds; the seed is fixed so a failure can be replayed."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from test_sending_faults import CONFIG, Server, _free_port

from pipeline.outputs import current_in, manifest_of
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "inputs"
PERIOD = "2022-06"
ROUNDS = 25
TIMEOUT = 120

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def test_two_clerks_with_random_kills_leave_everything_consistent(tmp_path: Path) -> None:
    """Each round starts two commands together (a run or a send, chosen at random), kills
    one of them after a random moment in half the rounds, and sometimes changes the month's
    files; the workspace lock serialises them. Afterwards one more writer recovers whatever
    a kill left, and then: integrity check ok, `outputs/` is the stored run, every
    (subject, recipient) arrived at most once, and the send log holds only sent or
    unconfirmed (sending) pairs."""
    rng = random.Random(19)
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES / PERIOD, ws / "inputs" / PERIOD)
    (ws / "minsheng.toml").write_text(CONFIG, encoding="utf-8")
    aside = tmp_path / "aside"
    aside.mkdir()
    handler = Server()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MINSHENG_LOCK_WAIT": str(TIMEOUT)}
    minsheng = [sys.executable, "-m", "pipeline"]
    commands = {
        "run": [*minsheng, "run", "-p", PERIOD, "-w", str(ws)],
        "send": [
            *minsheng,
            "email",
            "-p",
            PERIOD,
            "-w",
            str(ws),
            "--send",
            "--smtp-port",
            str(port),
        ],
    }
    kills = 0
    try:
        assert subprocess.run(commands["run"], env=env, timeout=TIMEOUT).returncode == 0
        for _ in range(ROUNDS):
            if rng.random() < 0.3:  # a department's file arrives or is withdrawn
                here, there = ws / "inputs" / PERIOD / "司法局6月.xlsx", aside / "司法局6月.xlsx"
                src, dst = (here, there) if here.exists() else (there, here)
                shutil.move(src, dst)
            procs = [
                subprocess.Popen(
                    commands[rng.choice(["run", "send"])],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for _ in range(2)
            ]
            if rng.random() < 0.5:
                victim = rng.choice(procs)
                try:
                    victim.wait(timeout=rng.uniform(0.05, 1.5))
                except subprocess.TimeoutExpired:
                    victim.kill()
                    kills += 1
            for proc in procs:
                proc.wait(timeout=TIMEOUT)
        final = subprocess.run(
            [*commands["send"]], env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        assert "Traceback" not in final.stderr, final.stderr
    finally:
        handler.released.set()
        controller.stop()
    assert kills > 0
    con = sqlite3.connect(ws / "minsheng.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
    with Store(ws / "minsheng.db") as store:
        assert current_in(store, PERIOD)(manifest_of(ws / "outputs" / PERIOD) or {})
        states = {v.state for v in store.send_states(PERIOD).values()}
    assert states <= {"sent", "sending"} and "sent" in states
    counts = handler.deliveries()
    assert counts and max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert sorted(p.name for p in (ws / "outputs").iterdir()) == [PERIOD]
