"""Write a period's outputs atomically: into a temporary folder, then one rename."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pipeline.errors import InputError, OutputError, describe_os_error
from pipeline.store import ISSUE_FIELDS, Store

OBSERVATION_COLUMNS = [
    "period",
    "department",
    "task_id",
    "indicator_id",
    "value",
    "monthly_value",
    "target",
    "unit",
    "progress",
    "expected_progress",
    "status",
    "source_file",
    "source_sheet",
    "source_cell",
]
ISSUE_COLUMNS = list(ISSUE_FIELDS)
# ``status`` is the code scripts rely on; ``status_label`` the same in Chinese for people
SUBMISSION_COLUMNS = ["department", "status", "files", "received_at", "status_label"]
# Every CSV is UTF-8 with a BOM: Excel on Chinese Windows reads a file without one as GBK
CSV_ENCODING = "utf-8-sig"


# Sub-folders of outputs/P/ that `templates` and `email` write and `run` does not.
CARRIED_OVER = ("templates", "outbox")


def format_share(x: float | None) -> str:
    """A share (0.5182) with at most four decimals and no trailing zeros; "" for none."""
    return "" if x is None else f"{x:.4f}".rstrip("0").rstrip(".") or "0"


class CsvText:
    """CSV text, a header row first and ``\\n`` line ends, added to row by row; written
    with :data:`CSV_ENCODING` (the BOM is the file's, not the text's)."""

    def __init__(self, header: Sequence[str]) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\n")
        self._writer.writerow(header)

    def add(self, rows: Iterable[Sequence[object]]) -> None:
        self._writer.writerows(rows)

    def text(self) -> str:
        return self._buf.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole of a :class:`CsvText` at once."""
    out = CsvText(header)
    out.add(rows)
    return out.text()


Current = Callable[[dict[str, Any]], bool]
"""Whether a staged folder's manifest names the run the store holds for the period now."""


@contextlib.contextmanager
def staged(target: Path, current: Current | None = None) -> Iterator[Path]:
    """A fresh temporary folder to fill; swapped in for ``target`` when the block succeeds,
    removed (the previous outputs untouched) when it fails or the run is killed.

    The block fills the folder, calls :func:`seal` (everything on disk, fsynced), then
    commits the store; only then are the folders swapped. A kill between the commit and the
    swap leaves a sealed folder whose manifest names the stored run: the next writer's
    :func:`recover` (``current`` tells it which run the store holds) finishes the swap, so the
    store and ``target`` describe the same run again.

    Folders other commands made in ``target`` (``templates/``, ``outbox/``) are copied in
    again by :func:`seal` (no other writer runs meanwhile: the workspace lock). An ``OSError``
    about the outputs folder becomes an :class:`OutputError`, one about anything else an
    :class:`InputError`.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        recover(target, current)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"无法写入输出目录 {target}：{describe_os_error(exc)}") from exc
    try:
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private (0700); outputs are for the office
        for name in CARRIED_OVER:  # made by other commands: a re-run must not lose them
            if (target / name).is_dir():
                shutil.copytree(target / name, tmp / name)
        yield tmp
        _swap(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if not _about(exc, target.parent):
            where = exc.filename or exc.filename2 or ""
            raise InputError(f"无法读取 {os.fsdecode(where)}：{exc.strerror or exc}") from exc
        raise OutputError(f"无法写入输出目录 {target}：{describe_os_error(exc)}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def seal(tmp: Path, target: Path) -> None:
    """Make the staged folder final before the store commits: what other commands wrote
    into ``target`` copied in, every file and folder fsynced. Raises ``OSError``."""
    for name in CARRIED_OVER:
        if (target / name).is_dir():
            _merge(target / name, tmp / name)
    sync_tree(tmp)


def sync_tree(folder: Path) -> None:
    """fsync every file under ``folder``, then the folders themselves (their entries)."""
    dirs = [folder]
    for path in folder.rglob("*"):
        if path.is_dir():
            dirs.append(path)
        elif path.is_file():  # Windows flushes a file only through a handle that may write
            _fsync(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    for d in reversed(dirs):
        _fsync_dir(d)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder to fsync it; NTFS journals renames
        return
    _fsync(path, os.O_RDONLY)


def _swap(tmp: Path, target: Path) -> None:
    """Put ``tmp`` in place of ``target``: two renames, then the old folder removed."""
    old = target.parent / f".{target.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    _fsync_dir(target.parent)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def current_in(store: Store, period: str) -> Current:
    """Whether a manifest's ``run_ids`` (county → run id; "" for a county's own workspace)
    are the runs ``store`` holds for ``period`` now."""

    def current(manifest: dict[str, Any]) -> bool:
        ids = manifest.get("run_ids")
        if not isinstance(ids, dict) or not ids or manifest.get("period") != period:
            return False
        return all(store.scoped(str(c)).latest_run(period) == i for c, i in ids.items())

    return current


def manifest_of(folder: Path) -> dict[str, Any] | None:
    """The folder's ``manifest.json``, or None when it has none (or an unreadable one)."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _merge(src: Path, dst: Path) -> None:
    """Copy into ``dst`` the files of ``src`` it lacks or holds in another version."""
    for path in src.rglob("*"):
        if not path.is_file():
            continue
        there = dst / path.relative_to(src)
        mine = path.stat()
        if there.is_file():
            theirs = there.stat()
            if (theirs.st_size, theirs.st_mtime_ns) == (mine.st_size, mine.st_mtime_ns):
                continue
        there.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, there)


def _about(exc: OSError, folder: Path) -> bool:
    """Whether the error names a path in ``folder`` (or names none: assume it does)."""
    names = [os.path.abspath(os.fsdecode(n)) for n in (exc.filename, exc.filename2) if n]
    inside = os.path.join(os.path.abspath(folder), "")
    return not names or any(n.startswith(inside) for n in names)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def recover(target: Path, current: Current | None = None) -> None:
    """Finish or undo a swap a killed run left half done, so ``target`` and the store agree.

    A staged folder whose manifest ``current`` accepts (its run is the one the store holds:
    the run was killed after its commit) is swapped in; any other staged folder is removed.
    Without a committed folder, a previous outputs folder a kill left renamed aside comes
    back. Only a writer holding the workspace lock may call this.
    """
    old = target.parent / f".{target.name}.old"
    committed = None
    for stale in sorted(target.parent.glob(f".{target.name}.tmp-*")):
        manifest = manifest_of(stale)
        if committed is None and current is not None and manifest and current(manifest):
            committed = stale
        else:
            shutil.rmtree(stale, ignore_errors=True)
    if committed is not None:
        if target.exists() and current is not None and current(manifest_of(target) or {}):
            shutil.rmtree(committed, ignore_errors=True)  # swapped in already
        else:
            _swap(committed, target)
    elif old.exists() and not target.exists():
        old.rename(target)
    if old.exists() and target.exists():
        shutil.rmtree(old, ignore_errors=True)
