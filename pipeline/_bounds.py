"""The limits a file must stay within before any native reader touches it, and what the
pre-checks (``_precheck``, ``_zipcheck``, ``_biff``) answer."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ROWS = 10_000
MAX_COLS = 500
MAX_BOOK_CELLS = MAX_ROWS * MAX_COLS  # grid cells over all the sheets read from one file
MAX_FILE_BYTES = 100 * 1024 * 1024  # a progress report is kilobytes; photos make megabytes
MAX_ZIP_ENTRIES = 10_000
MAX_CENTRAL_DIRECTORY = 4 * 1024 * 1024  # bytes of zip directory zipfile would parse
MAX_UNZIPPED = 1024 * 1024 * 1024  # all members together, as the zip directory declares
MAX_RATIO = 500  # uncompressed / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_SHEET_XML = 256 * 1024 * 1024  # one xlsx sheet part, uncompressed
MAX_COPIED = 64 * 1024 * 1024  # bytes a reader may copy out of shared strings or re-parse
IN_PROCESS_XML = 32 * 1024 * 1024  # XML inflated and checked here; more goes to the sandbox
IN_PROCESS_XLS = 8 * 1024 * 1024  # xls walked record by record here; bigger goes to the sandbox

TOO_LARGE = "E-FILE-TOO-LARGE"
UNREADABLE = "E-FILE-UNREADABLE"
ENCRYPTED = "E-FILE-ENCRYPTED"


class Refused(Exception):
    """The file is not to be read; ``code`` and ``why`` make its file-level issue."""

    def __init__(self, code: str, why: str) -> None:
        super().__init__(why)
        self.code = code
        self.why = why


@dataclass(frozen=True)
class Scan:
    """One xlsx sheet part: grid size from A1 to the last cell holding something."""

    rows: int
    cols: int
    errors: dict[tuple[int, int], str]
    too_large: bool = False


@dataclass(frozen=True)
class Plan:
    isolate: bool
    reason: str = ""
    scans: dict[str, Scan] = field(default_factory=dict)  # xlsx sheet name → scan
    largest: int = 0  # bytes of the largest part (each sheet entry makes the reader parse one)


class NeedsIsolation(Exception):
    """Found while reading in-process: the file must be read in the isolated worker."""


def size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
