"""The workspace lock: one writer at a time.

Every command that writes (``run``, ``templates``, ``email``, ``forget``, and the actions of
``minsheng serve``) holds the lock while it works; readers (``check``, ``history``,
``targets``) never take it. A second writer waits up to ``wait`` seconds, then is refused
with a message naming the holder (user, machine, command, process, since when).

The lock is an operating-system lock on a small file beside the history database
(``minsheng.db.lock``), not the file's existence: when the holding process dies — killed,
crashed, the machine switched off — the system releases it, so a lock left by a dead process
is taken over without anyone deleting a file. The file also holds a line saying who holds the
lock; it is emptied when the lock is released cleanly, so a taker that finds it filled knows
the previous holder ended without releasing it (and says so).

On POSIX the lock is ``fcntl.flock`` on the whole file. On Windows it would be
``msvcrt.locking`` on one byte far past the holder line (``_WIN_OFFSET``), so the line stays
readable while the byte is locked; Windows also releases it when the process ends. Nothing
here forks: the lock belongs to the process that opened the file. ``os.open`` makes the
descriptor non-inheritable, so the sandbox's reader processes (started anew) never get it;
a city run's forked county workers share it, and end with the run (``fanout``'s
``PR_SET_PDEATHSIG``), so a killed run's lock is free once its workers are gone.

Within one process the lock is re-entrant: ``run`` inside ``serve``, or ``email`` preparing
then sending, take it once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError

WAIT_SECONDS = 10.0  # how long a writer waits for another one by default
WAIT_ENV = "MINSHENG_LOCK_WAIT"  # seconds, for scripts (and tests) that want another bound
_POLL = 0.05
_WIN_OFFSET = 1 << 30


class LockedError(PipelineError):
    """Another command holds the workspace lock."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) the lock."""

    action: str
    pid: int
    host: str
    user: str
    since: str

    def describe(self) -> str:
        return (
            f"{self.user}@{self.host} 的“{self.action}”（进程 {self.pid}），"
            f"自 {self.since.replace('T', ' ')} 起"
        )


def lock_path(db: Path) -> Path:
    """The lock file of the workspace whose history database is ``db``."""
    return db.with_name(db.name + ".lock")


_local = threading.local()  # lock file → depth, for the thread holding it


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32" and os.name == "nt":  # pragma: no cover - Windows only
        import msvcrt

        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32" and os.name == "nt":  # pragma: no cover
        import msvcrt

        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _read_holder(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        data = json.loads(raw.decode("utf-8"))
        return Holder(
            str(data["action"]),
            int(data["pid"]),
            str(data["host"]),
            str(data["user"]),
            str(data["since"]),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _write_holder(fd: int, holder: Holder | None) -> None:
    text = b"" if holder is None else json.dumps(holder.__dict__, ensure_ascii=False).encode()
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text)
    os.fsync(fd)


def holder(db: Path) -> Holder | None:
    """Who holds the lock now, without taking it (None when nobody does)."""
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
        return _read_holder(fd)
    finally:
        os.close(fd)


def _wait_seconds(wait: float | None) -> float:
    if wait is not None:
        return wait
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, WAIT_SECONDS)))
    except ValueError:
        return WAIT_SECONDS


@contextlib.contextmanager
def workspace_lock(db: Path, action: str, *, wait: float | None = None) -> Iterator[Holder | None]:
    """Hold the workspace lock for the block; yields the holder a dead process left behind
    (its line still in the file), else None. Raises :class:`LockedError` after ``wait``
    seconds (default ``WAIT_SECONDS`` or ``$MINSHENG_LOCK_WAIT``) if another process — or
    another thread of this one — holds it, and an :class:`~pipeline.errors.OutputError` if
    the lock file cannot be made."""
    key = os.path.abspath(lock_path(db))
    depth: dict[str, int] = _local.__dict__.setdefault("depth", {})
    if key in depth:  # this thread holds it already
        depth[key] += 1
        try:
            yield None
        finally:
            depth[key] -= 1
        return
    fd, left = _acquire(key, action, _wait_seconds(wait))
    depth[key] = 1
    try:
        yield left
    finally:
        del depth[key]
        with contextlib.suppress(OSError):  # a full disk: the line stays, harmless
            _write_holder(fd, None)
        _unlock(fd)
        os.close(fd)


def _acquire(key: str, action: str, wait: float) -> tuple[int, Holder | None]:
    from pipeline.errors import OutputError, describe_os_error

    try:
        Path(key).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        try:  # a read-only disk: the lock still works on a read-only descriptor
            fd = os.open(key, os.O_RDONLY)
        except OSError:
            why = describe_os_error(exc)
            raise OutputError(f"无法创建工作区锁文件 {key}：{why}") from exc
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                other = _read_holder(fd)
                who = other.describe() if other else "另一个 minsheng 命令"
                raise LockedError(
                    f"工作区正在被使用：{who}正在写入 {Path(key).parent}。"
                    "请等它结束后再试（同一工作区同时只能运行一个写入的命令）"
                )
            time.sleep(_POLL)
        left = _read_holder(fd)
        me = Holder(
            action,
            os.getpid(),
            socket.gethostname(),
            _user(),
            dt.datetime.now().isoformat(timespec="seconds"),
        )
        # who holds it is for messages only: on a full or read-only disk the lock still holds
        with contextlib.suppress(OSError):
            _write_holder(fd, me)
    except BaseException:
        os.close(fd)
        raise
    return fd, left


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "?"
