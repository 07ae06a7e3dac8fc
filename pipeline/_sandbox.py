"""Read one workbook in a separate, memory-limited process: ``python -m pipeline._sandbox``.

For the files ``_precheck`` cannot bound (ods, xlsb, odd or big xls/xlsx). A native reader
that aborts, exhausts memory or hangs then ends only this worker, and the file becomes an
issue. The child limits its own address space and CPU time (``resource.setrlimit``, where the
platform has it), reads with the in-process reader, and writes the book to stdout as JSON —
plain data, so nothing the child produced is ever executed by the parent.

Starting the worker costs one interpreter start (tens of milliseconds), which is why the
common, provably small file is read in-process instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.read import Book

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for the worker
CPU_SECONDS = 60
WALL_SECONDS = 120

# exit codes of the worker
_OK, _NO_MEMORY = 0, 3
_CPU_SIGNAL = getattr(signal, "SIGXCPU", None)  # the CPU-time limit was reached
_KILL_SIGNAL = getattr(signal, "SIGKILL", None)  # hard limits, or the kernel's OOM killer


# --- the parent's side ----------------------------------------------------------------------


def read_isolated(path: Path, fmt: str) -> Book:
    """The :class:`pipeline.read.Book` of ``path``, read in the worker; never raises for a
    bad file (a crash, memory or time overrun becomes a file-level issue)."""
    from pipeline.read import failed

    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["RUST_BACKTRACE"] = "0"  # a panic's trace is noise to an office user
    cmd = [sys.executable, "-m", "pipeline._sandbox", str(os.getpid()), fmt, str(path)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, env=env, timeout=WALL_SECONDS, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return failed(path.name, "E-FILE-TOO-LARGE", f"读取超过 {WALL_SECONDS} 秒仍未完成")
    if proc.returncode == _OK:
        try:
            return decode_book(json.loads(proc.stdout))
        except (ValueError, KeyError, TypeError):
            return failed(path.name, "E-FILE-UNREADABLE", "读取结果无法解析")
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode == _NO_MEMORY or "memory allocation" in stderr:
        why = f"读取时所需内存超过上限 {MEMORY_LIMIT // 1024**3} GB"
        return failed(path.name, "E-FILE-TOO-LARGE", why)
    if -proc.returncode == _CPU_SIGNAL:
        return failed(path.name, "E-FILE-TOO-LARGE", f"读取时间超过上限 {CPU_SECONDS} 秒")
    if -proc.returncode == _KILL_SIGNAL:
        return failed(path.name, "E-FILE-TOO-LARGE", "读取时所需内存或时间超过上限")
    return failed(path.name, "E-FILE-UNREADABLE", "读取程序异常退出，文件可能已损坏")


# --- plain data both ways -------------------------------------------------------------------


def _encode(v: object) -> object:
    if isinstance(v, dt.datetime):
        return {"t": "datetime", "v": v.isoformat()}
    if isinstance(v, dt.date):
        return {"t": "date", "v": v.isoformat()}
    if isinstance(v, dt.time):
        return {"t": "time", "v": v.isoformat()}
    if isinstance(v, dt.timedelta):
        return {"t": "timedelta", "v": [v.days, v.seconds, v.microseconds]}
    return v


def _decode(v: object) -> object:
    if not isinstance(v, dict):
        return v
    kind, raw = v["t"], v["v"]
    if kind == "datetime":
        return dt.datetime.fromisoformat(raw)
    if kind == "date":
        return dt.date.fromisoformat(raw)
    if kind == "time":
        return dt.time.fromisoformat(raw)
    if kind == "timedelta":
        return dt.timedelta(days=raw[0], seconds=raw[1], microseconds=raw[2])
    raise ValueError(kind)


def encode_book(book: Book) -> dict[str, object]:
    return {
        "sheets": [
            {
                "name": s.name,
                "hidden": s.hidden,
                "rows": [[_encode(v) for v in row] for row in s.rows],
                "merged": [list(m) for m in s.merged],
            }
            for s in book.sheets
        ],
        "issues": [
            [i.severity, i.code, i.message, i.department, i.file, i.sheet, i.cell, i.indicator_id]
            for i in book.issues
        ],
    }


def decode_book(data: dict[str, Any]) -> Book:
    from pipeline.model import Issue
    from pipeline.read import Book, Sheet

    sheets = tuple(
        Sheet(
            str(s["name"]),
            bool(s["hidden"]),
            tuple(tuple(_decode(v) for v in row) for row in s["rows"]),
            tuple((int(a), int(b), int(c), int(d)) for a, b, c, d in s["merged"]),
        )
        for s in data["sheets"]
    )
    issues = tuple(Issue(*(str(x) for x in i)) for i in data["issues"])  # type: ignore[arg-type]
    return Book(sheets, issues)


# --- the worker's side ----------------------------------------------------------------------


def _die_with(parent: int) -> None:
    """On Linux, have the kernel end this worker when the run that started it is killed."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)


def _limit() -> None:
    try:
        import resource
    except ImportError:  # Windows: the separate process is the protection
        return
    for which, value in ((resource.RLIMIT_AS, MEMORY_LIMIT), (resource.RLIMIT_CPU, CPU_SECONDS)):
        _soft, hard = resource.getrlimit(which)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (cap, hard))


def main(argv: list[str]) -> int:
    parent, fmt, path = argv
    _die_with(int(parent))
    _limit()
    try:
        from pipeline.read import read_in_process

        book = read_in_process(Path(path), fmt)
        out = json.dumps(encode_book(book), ensure_ascii=False)
    except MemoryError:
        return _NO_MEMORY
    sys.stdout.write(out)
    sys.stdout.flush()
    return _OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
