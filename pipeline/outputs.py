"""Write a period's outputs atomically: into a temporary folder, then one rename."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from pipeline.errors import InputError, OutputError
from pipeline.store import ISSUE_FIELDS

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


@contextlib.contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A fresh temporary folder to fill; swapped in for ``target`` when the block succeeds,
    removed (the previous outputs untouched) when it fails or the run is killed.

    Folders other commands made in ``target`` (``templates/``, ``outbox/``) are copied in
    again after the block, then only the renames remain. An ``OSError`` about the outputs
    folder becomes an :class:`OutputError`, one about anything else an :class:`InputError`.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        recover(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"无法写入输出目录 {target}：{exc}") from exc
    try:
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private (0700); outputs are for the office
        for name in CARRIED_OVER:  # made by other commands: a re-run must not lose them
            if (target / name).is_dir():
                shutil.copytree(target / name, tmp / name)
        yield tmp
        for name in CARRIED_OVER:  # and what they wrote while this run went on
            if (target / name).is_dir():
                _merge(target / name, tmp / name)
        old = target.parent / f".{target.name}.old"
        if old.exists():
            shutil.rmtree(old)
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if not _about(exc, target.parent):
            where = exc.filename or exc.filename2 or ""
            raise InputError(f"无法读取 {os.fsdecode(where)}：{exc.strerror or exc}") from exc
        raise OutputError(f"无法写入输出目录 {target}：{exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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


def recover(target: Path) -> None:
    """Undo a swap a killed run left half done: the previous outputs come back."""
    old = target.parent / f".{target.name}.old"
    if old.exists() and not target.exists():
        old.rename(target)
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
