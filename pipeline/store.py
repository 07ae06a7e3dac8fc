"""The history store: one SQLite file the office can back up.

Schema changes are named migrations recorded in ``migrations``; a period re-run replaces that
period's files, observations and issues in one transaction and leaves other periods alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError
from pipeline.model import Issue, Observation

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, period TEXT NOT NULL, started_at TEXT NOT NULL,
            version TEXT NOT NULL
        );
        CREATE TABLE seen_files (
            sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL,
            first_seen TEXT NOT NULL
        );
        CREATE TABLE files (
            run_id INTEGER NOT NULL REFERENCES runs(id), period TEXT NOT NULL,
            name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            department TEXT NOT NULL, status TEXT NOT NULL, received_at TEXT
        );
        CREATE TABLE observations (
            run_id INTEGER NOT NULL REFERENCES runs(id), period TEXT NOT NULL,
            department TEXT NOT NULL, indicator_id TEXT NOT NULL, value REAL,
            monthly_value REAL, state TEXT NOT NULL, progress_text TEXT NOT NULL,
            problem_text TEXT NOT NULL, reason_text TEXT NOT NULL, source_file TEXT NOT NULL,
            source_sheet TEXT NOT NULL, source_cell TEXT NOT NULL,
            PRIMARY KEY (period, indicator_id)
        );
        CREATE TABLE issues (
            run_id INTEGER NOT NULL REFERENCES runs(id), period TEXT NOT NULL,
            severity TEXT NOT NULL, code TEXT NOT NULL, department TEXT NOT NULL,
            file TEXT NOT NULL, sheet TEXT NOT NULL, cell TEXT NOT NULL,
            indicator_id TEXT NOT NULL, message TEXT NOT NULL
        );
        CREATE INDEX files_period ON files(period);
        CREATE INDEX issues_period ON issues(period);
    """,
    ),
    (
        "0002_send_log",
        """
        CREATE TABLE send_log (
            period TEXT NOT NULL, message_key TEXT NOT NULL, recipient TEXT NOT NULL,
            subject TEXT NOT NULL, sent_at TEXT NOT NULL,
            PRIMARY KEY (period, message_key, recipient)
        );
    """,
    ),
    (
        "0003_county",
        """
        ALTER TABLE runs ADD COLUMN county TEXT NOT NULL DEFAULT '';
        ALTER TABLE files ADD COLUMN county TEXT NOT NULL DEFAULT '';
        ALTER TABLE issues ADD COLUMN county TEXT NOT NULL DEFAULT '';
        CREATE TABLE observations_v3 (
            county TEXT NOT NULL DEFAULT '',
            run_id INTEGER NOT NULL REFERENCES runs(id), period TEXT NOT NULL,
            department TEXT NOT NULL, indicator_id TEXT NOT NULL, value REAL,
            monthly_value REAL, state TEXT NOT NULL, progress_text TEXT NOT NULL,
            problem_text TEXT NOT NULL, reason_text TEXT NOT NULL, source_file TEXT NOT NULL,
            source_sheet TEXT NOT NULL, source_cell TEXT NOT NULL,
            PRIMARY KEY (county, period, indicator_id)
        );
        INSERT INTO observations_v3 (run_id, period, department, indicator_id, value,
            monthly_value, state, progress_text, problem_text, reason_text, source_file,
            source_sheet, source_cell)
            SELECT run_id, period, department, indicator_id, value, monthly_value, state,
            progress_text, problem_text, reason_text, source_file, source_sheet, source_cell
            FROM observations;
        DROP TABLE observations;
        ALTER TABLE observations_v3 RENAME TO observations;
        CREATE TABLE send_log_v3 (
            county TEXT NOT NULL DEFAULT '',
            period TEXT NOT NULL, message_key TEXT NOT NULL, recipient TEXT NOT NULL,
            subject TEXT NOT NULL, sent_at TEXT NOT NULL,
            PRIMARY KEY (county, period, message_key, recipient)
        );
        INSERT INTO send_log_v3 (period, message_key, recipient, subject, sent_at)
            SELECT period, message_key, recipient, subject, sent_at FROM send_log;
        DROP TABLE send_log;
        ALTER TABLE send_log_v3 RENAME TO send_log;
        CREATE INDEX files_county_period ON files(county, period);
        CREATE INDEX issues_county_period ON issues(county, period)
    """,
    ),
    (
        # every run adds a row (the log of runs): a city's runs table grows by its counties
        # each run, and each county's report asks for its periods
        "0004_runs_index",
        "CREATE INDEX IF NOT EXISTS runs_county_period ON runs(county, period)",
    ),
    (
        # a message is claimed (``sending``, with its Message-ID) before the server is
        # contacted and marked ``sent`` when the server accepts its DATA: a run killed in
        # between leaves ``sending``, which the next run reports instead of resending
        "0005_send_states",
        """
        ALTER TABLE send_log ADD COLUMN state TEXT NOT NULL DEFAULT 'sent';
        ALTER TABLE send_log ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE send_log ADD COLUMN claimed_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE send_log ADD COLUMN claim TEXT NOT NULL DEFAULT ''
    """,
    ),
]

# issues.csv's contract columns, which are also Issue's field names
ISSUE_FIELDS = (
    "severity",
    "code",
    "department",
    "file",
    "sheet",
    "cell",
    "indicator_id",
    "message",
)
OBS_FIELDS = (
    "period",
    "department",
    "indicator_id",
    "value",
    "monthly_value",
    "state",
    "progress_text",
    "problem_text",
    "reason_text",
    "source_file",
    "source_sheet",
    "source_cell",
)


PERIOD_TABLES = ("files", "observations", "issues")  # what a run of a period replaces

# how long a command waits for another one's write (a city's run holds the store while it
# reads every county) before it gives up with "database is locked"
BUSY_SECONDS = 120.0


@dataclass(frozen=True)
class SendState:
    """A (message, recipient) pair's line in the send log."""

    state: str  # sending (claimed, not known to have arrived), sent
    message_id: str
    claimed_at: str
    sent_at: str  # when the server last accepted it ("" never)


class StoreError(OutputError):
    """The history database could not be read or written; nothing was changed."""


def store_error(exc: sqlite3.Error | OSError, path: Path, writing: bool = True) -> StoreError:
    """An error from SQLite (or the file system under it) as an office reader can act on it."""
    why = sqlite_cause(exc, path)
    if writing:
        return StoreError(f"无法写入历史数据库 {path}：{why}。本次的修改未保存，历史数据保持原样")
    return StoreError(f"无法读取历史数据库 {path}：{why}")


def sqlite_cause(exc: sqlite3.Error | OSError, path: Path) -> str:
    """What went wrong, in Chinese, judged by SQLite's error and the state of the disk."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) and _disk_is(path, "ro"):
        name = "SQLITE_READONLY"  # the WAL's shared-memory file cannot be made
    elif name.startswith("SQLITE_IOERR") and _disk_is(path, "full"):  # ENOSPC on the WAL
        name = "SQLITE_FULL"
    if name == "SQLITE_FULL" or "full" in text or getattr(exc, "errno", 0) == 28:
        why = "磁盘空间已满，请清理磁盘后重试"
    elif name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        why = "文件或所在目录只读，请检查权限"
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        why = "数据库正被其他程序占用，请稍后重试"
    elif name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        why = "无法打开文件（目录不存在或没有权限）"
    elif name in ("SQLITE_PERM", "SQLITE_AUTH") or getattr(exc, "errno", 0) in (1, 13):
        why = "没有读写权限"
    elif (
        name in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
        or "malformed" in text
        or "not a database" in text
    ):
        why = "文件已损坏或不是 minsheng 的历史数据库，请用备份恢复"
    elif name.startswith("SQLITE_IOERR") or "I/O" in text:
        why = "读写磁盘出错（磁盘可能已满、已拔出或损坏）"
    else:
        why = text
    return why


def _disk_is(path: Path, what: str) -> bool:
    """Whether the disk holding ``path`` is read-only (``ro``) or has next to no room left
    (``full``): SQLite reports both as a plain I/O error or an unopenable file."""
    try:
        st = os.statvfs(path.parent)
    except (OSError, AttributeError):  # Windows has no statvfs: say what SQLite said
        return False
    if what == "ro":
        return bool(st.f_flag & os.ST_RDONLY)
    return st.f_bavail * st.f_frsize < 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int
    department: str
    status: str
    received_at: dt.datetime | None


class Store:
    """History of every run, period by period, of one county (``county`` "" for a county
    office's own single-county workspace); ``scoped`` gives another county's view of the
    same file."""

    def __init__(self, path: str | Path, county: str = "") -> None:
        self.path = Path(path)
        self.county = county
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_SECONDS)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"无法打开历史数据库 {self.path}：{exc}") from exc
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.migrate()
        except sqlite3.Error as exc:
            self.db.close()
            raise store_error(exc, self.path) from exc

    def scoped(self, county: str) -> Store:
        """The same database, seen as ``county``'s history (shares the connection)."""
        view = object.__new__(Store)
        view.path, view.county, view.db = self.path, county, self.db
        return view

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {r[0] for r in self.db.execute("SELECT name FROM migrations")}
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # another process opening the same database may have applied it meanwhile
                if self.db.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                    self.db.execute("COMMIT")
                    continue
                for statement in filter(str.strip, sql.split(";")):
                    self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO migrations VALUES (?, ?)",
                    (name, dt.datetime.now().isoformat(timespec="seconds")),
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            applied.append(name)
        return applied

    def migrations(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM migrations ORDER BY name")]

    # --- reading ------------------------------------------------------------------------

    def first_seen(self) -> dict[str, dt.datetime]:
        """sha256 → when a file with those bytes was first seen."""
        return {
            sha: dt.datetime.fromisoformat(t)
            for sha, t in self.db.execute("SELECT sha256, first_seen FROM seen_files")
        }

    def observations(self, period: str) -> list[Observation]:
        rows = self.db.execute(
            f"SELECT {', '.join(OBS_FIELDS)} FROM observations WHERE county = ? AND period = ? "
            "ORDER BY indicator_id",
            (self.county, period),
        )
        return [Observation(*r) for r in rows]

    def history(
        self, before: str | None = None, indicator_id: str | None = None, year: str | None = None
    ) -> list[Observation]:
        """Stored observations ordered by period (optionally before a period, one indicator,
        one year)."""
        sql = f"SELECT {', '.join(OBS_FIELDS)} FROM observations WHERE county = ?"
        args: list[str] = [self.county]
        if before:
            sql += " AND period < ?"
            args.append(before)
        if indicator_id:
            sql += " AND indicator_id = ?"
            args.append(indicator_id)
        if year:
            sql += " AND substr(period, 1, 4) = ?"
            args.append(year)
        return [Observation(*r) for r in self.db.execute(sql + " ORDER BY period", args)]

    def periods(self) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT period FROM runs WHERE county = ? ORDER BY period", (self.county,)
        )
        return [r[0] for r in rows]

    def counties(self) -> list[str]:
        """The counties a city's multi-county runs have stored (none for a county's own)."""
        rows = self.db.execute("SELECT DISTINCT county FROM runs WHERE county != '' ORDER BY 1")
        return [r[0] for r in rows]

    def files(self, period: str) -> list[StoredFile]:
        rows = self.db.execute(
            "SELECT name, sha256, size, department, status, received_at "
            "FROM files WHERE county = ? AND period = ? ORDER BY name",
            (self.county, period),
        )
        return [
            StoredFile(
                r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5]) if r[5] else None
            )
            for r in rows
        ]

    def issues(self, period: str) -> list[Issue]:
        rows = self.db.execute(
            "SELECT severity, code, message, department, file, sheet, cell, "
            "indicator_id FROM issues WHERE county = ? AND period = ? ORDER BY rowid",
            (self.county, period),
        )
        return [Issue(*r) for r in rows]

    # --- writing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All the writes inside, or none of them; inside another transaction, part of it
        (a multi-county run stores every county at once)."""
        if self.db.in_transaction:
            yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise store_error(exc, self.path) from exc
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise store_error(exc, self.path) from exc
            raise

    def save_period(
        self,
        period: str,
        started_at: dt.datetime,
        version: str,
        files: Sequence[StoredFile],
        observations: Iterable[Observation],
        issues: Iterable[Issue],
    ) -> int:
        """Replace the period's records with this run's, all or nothing."""
        db = self.db
        with self.transaction():
            run_id = db.execute(
                "INSERT INTO runs (county, period, started_at, version) VALUES (?, ?, ?, ?)",
                (self.county, period, started_at.isoformat(timespec="seconds"), version),
            ).lastrowid
            self._delete(period, PERIOD_TABLES)
            received = {
                f.name: f.received_at.isoformat(timespec="seconds") if f.received_at else None
                for f in files
            }
            db.executemany(  # "" for a file that could not be opened: its bytes are unknown
                "INSERT OR IGNORE INTO seen_files VALUES (?, ?, ?, ?)",
                [
                    (f.sha256, f.name, f.size, received[f.name] or started_at.isoformat())
                    for f in files
                    if f.sha256
                ],
            )
            db.executemany(
                "INSERT INTO files (run_id, period, name, sha256, size, department, status, "
                "received_at, county) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        period,
                        f.name,
                        f.sha256,
                        f.size,
                        f.department,
                        f.status,
                        received[f.name],
                        self.county,
                    )
                    for f in files
                ],
            )
            db.executemany(
                f"INSERT INTO observations (county, run_id, {', '.join(OBS_FIELDS)}) "
                f"VALUES (?, ?, {', '.join('?' * len(OBS_FIELDS))})",
                [(self.county, run_id, *(getattr(o, k) for k in OBS_FIELDS)) for o in observations],
            )
            db.executemany(
                "INSERT INTO issues (run_id, period, severity, code, department, file, sheet, "
                "cell, indicator_id, message, county) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (run_id, period, *(getattr(i, c) for c in ISSUE_FIELDS), self.county)
                    for i in issues
                ],
            )
        assert run_id is not None
        return run_id

    def latest_run(self, period: str) -> int | None:
        """The id of the run whose records the store holds for the period (None: none)."""
        row = self.db.execute(
            "SELECT max(id) FROM runs WHERE county = ? AND period = ?", (self.county, period)
        ).fetchone()
        return row[0] if row else None

    def forget_everywhere(self, period: str) -> int:
        """Remove the period from every county's history (a period stored by mistake);
        the send log stays (it records what was delivered). Returns the runs removed."""
        with self.transaction():
            runs = self.db.execute("DELETE FROM runs WHERE period = ?", (period,)).rowcount
            for table in PERIOD_TABLES:
                self.db.execute(f"DELETE FROM {table} WHERE period = ?", (period,))
        return runs

    def forget_period(self, period: str) -> None:
        """Remove the period's records (a county a city's run could not summarise: its old
        figures must not stand beside everyone else's new ones)."""
        with self.transaction():
            self._delete(period, (*PERIOD_TABLES, "runs"))

    def _delete(self, period: str, tables: Sequence[str]) -> None:
        for table in tables:
            self.db.execute(
                f"DELETE FROM {table} WHERE county = ? AND period = ?", (self.county, period)
            )

    # --- e-mail send log ----------------------------------------------------------------

    def sent(self, period: str) -> set[tuple[str, str]]:
        """(message key, recipient) pairs the server accepted for the period."""
        return {k for k, v in self.send_states(period).items() if v.state == "sent"}

    def send_states(self, period: str) -> dict[tuple[str, str], SendState]:
        """Every (message key, recipient) pair of the period's send log."""
        rows = self.db.execute(
            "SELECT message_key, recipient, state, message_id, claimed_at, sent_at "
            "FROM send_log WHERE county = ? AND period = ?",
            (self.county, period),
        )
        return {(k, r): SendState(*rest) for k, r, *rest in rows}

    def claim(
        self,
        period: str,
        key: str,
        recipients: Sequence[str],
        *,
        subject: str,
        message_id: str,
        token: str,
        when: dt.datetime,
        takeover: bool = False,
        unconfirmed_only: bool = False,
    ) -> list[str]:
        """Claim the message for those recipients nobody has claimed (all of them with
        ``takeover``: ``--resend``; also those left ``sending`` with ``unconfirmed_only``:
        ``--resend-unconfirmed``) before contacting the server; return the claimed ones.
        One statement per pair decides it, so two senders never both claim one pair."""
        claimed = []
        stamp = when.isoformat(timespec="seconds")
        with self.transaction():
            for r in recipients:
                new = self.db.execute(
                    "INSERT INTO send_log (county, period, message_key, recipient, subject, "
                    "sent_at, state, message_id, claimed_at, claim) "
                    "VALUES (?, ?, ?, ?, ?, '', 'sending', ?, ?, ?) "
                    "ON CONFLICT (county, period, message_key, recipient) DO NOTHING",
                    (self.county, period, key, r, subject, message_id, stamp, token),
                ).rowcount
                if not new and takeover:
                    new = self.db.execute(
                        "UPDATE send_log SET state = 'sending', subject = ?, message_id = ?, "
                        "claimed_at = ?, claim = ? WHERE county = ? AND period = ? "
                        "AND message_key = ? AND recipient = ? AND claim != ?"
                        + (" AND state = 'sending'" if unconfirmed_only else ""),
                        (subject, message_id, stamp, token, self.county, period, key, r, token),
                    ).rowcount
                if new:
                    claimed.append(r)
        return claimed

    def mark_sent(
        self, period: str, key: str, recipients: Sequence[str], token: str, when: dt.datetime
    ) -> None:
        """The server accepted the message for these recipients (its reply to DATA)."""
        with self.transaction():
            self.db.executemany(
                "UPDATE send_log SET state = 'sent', sent_at = ? WHERE county = ? "
                "AND period = ? AND message_key = ? AND recipient = ? AND claim = ?",
                [
                    (when.isoformat(timespec="seconds"), self.county, period, key, r, token)
                    for r in recipients
                ],
            )

    def release(self, period: str, key: str, recipients: Sequence[str], token: str) -> None:
        """The message certainly did not reach these recipients: drop this sender's claim
        (a pair delivered before, taken over by ``--resend``, is ``sent`` again)."""
        with self.transaction():
            for r in recipients:
                where = (self.county, period, key, r, token)
                self.db.execute(
                    "UPDATE send_log SET state = 'sent' WHERE county = ? AND period = ? "
                    "AND message_key = ? AND recipient = ? AND claim = ? AND sent_at != ''",
                    where,
                )
                self.db.execute(
                    "DELETE FROM send_log WHERE county = ? AND period = ? AND message_key = ? "
                    "AND recipient = ? AND claim = ? AND state = 'sending'",
                    where,
                )
