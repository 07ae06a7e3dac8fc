"""Read many counties' folders on both cores: two forked worker processes read and normalise
whole counties while the parent stores the ones already read, in the counties' order. The
workers are watched: one stuck past the time limit or killed is replaced, and its county
retried or reported.

It pays only for many files (``benchmarks/bench_counties.py``: a 2,000-file run spends most of
its time reading and normalising, which the two workers split; for one county of 16 files,
starting workers costs more than it saves). Forking shares the loaded modules and targets with
the workers at no cost; where there is no ``fork`` (Windows, macOS's default) the counties are
read one after the other in this process, with the same results (there only the sandbox's
per-file limit applies: a process cannot stop its own stuck read).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.model import TargetTable
from pipeline.run import PeriodData, read_period

MIN_FILES = 200  # below this a run is over before two workers have started
# a county not delivered this many seconds after it became the next one due is stuck: its
# worker is killed (the parent holds the store's write lock meanwhile). Files the parent
# cannot bound are read in the sandbox with their own limit (``_sandbox.WALL_SECONDS``).
COUNTY_SECONDS = 600.0


@dataclass(frozen=True)
class CountyRead:
    """What one worker needs to read a county's folder (the arguments of ``read_period``)."""

    folder: Path
    period: str
    targets: TargetTable
    config: Config
    exclude: str


_JOBS: Sequence[CountyRead] = ()
_FIRST_SEEN: dict[str, dt.datetime] = {}


def _read_job(job: CountyRead, first_seen: dict[str, dt.datetime]) -> PeriodData:
    return read_period(
        job.folder, job.period, job.targets, job.config, first_seen, exclude=job.exclude
    )


def read_period_of(index: int) -> PeriodData:
    """The county ``index`` of the jobs handed to the workers (what a worker runs)."""
    return _read_job(_JOBS[index], _FIRST_SEEN)


_read = read_period_of  # what the pool runs (a test swaps it for one that dies)


def _die_with_parent(parent: int) -> None:
    """Run in each worker first: if the run is killed, its workers go too (otherwise they
    would wait on their task queue for ever, holding their memory)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux's libc: nothing to ask
        pass
    if os.getppid() != parent:  # the run died before the request took effect
        os._exit(1)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def workers_for(files: int, asked: int | None = None) -> int:
    """How many worker processes to read ``files`` files with; 0 means read in this process.
    ``asked`` (``minsheng run --workers``) caps it; by default two from MIN_FILES files up."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if asked is not None:  # never more than the cores: more processes only take turns
        return max(0, min(asked, os.cpu_count() or 1))
    if files < MIN_FILES:
        return 0
    return 2 if (os.cpu_count() or 1) > 1 else 0


@dataclass(frozen=True)
class Unread:
    """A county its worker could not read: stuck past the time limit, or its worker killed
    twice. The run goes on without it and says why."""

    county: str
    reason: str


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes at once (a stuck one included: SIGKILL also ends a
    stopped process). ``kill_workers`` from Python 3.14; before it, the pool's processes."""
    kill = getattr(pool, "kill_workers", None)
    if kill is not None:
        kill()
        return
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            proc.kill()


def read_counties(
    jobs: Sequence[CountyRead],
    first_seen: dict[str, dt.datetime],
    workers: int,
    on_files: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
    on_notice: Callable[[str, str], None] | None = None,
    limit: float | None = None,
) -> Generator[PeriodData | Unread, None, None]:
    """Each job's :class:`PeriodData` (or :class:`Unread`), in the order of ``jobs``;
    ``on_files(n)`` after each county with the number of files it held (for a progress
    bar). ``meanwhile()`` runs here once the workers have their tasks (work the parent would
    otherwise do at the end, such as importing the renderers, is then off the run's critical
    path).

    The workers are watched: a county not delivered ``limit`` seconds (default
    ``COUNTY_SECONDS``) after it became the next one due has its worker killed and is
    reported ``Unread``; the counties the other worker had in hand are read again by fresh
    workers. A worker that dies (out of memory?) costs a retry: the counties not yet
    delivered are read again one worker at a time, and one whose worker dies again is
    ``Unread``. ``on_notice(county, message)`` hears of a retry (an ``Unread`` carries its
    own reason)."""
    global _JOBS, _FIRST_SEEN
    if workers < 1 or not jobs:
        if meanwhile:
            meanwhile()
        for job in jobs:
            data = _read_job(job, first_seen)
            if on_files:
                on_files(len(data.files))
            yield data
        return
    limit = COUNTY_SECONDS if limit is None else limit
    notice = on_notice or (lambda county, message: None)
    _JOBS, _FIRST_SEEN = jobs, first_seen  # inherited by the forked workers
    done, single = 0, False  # single: after a worker died, one worker at a time
    try:
        context = multiprocessing.get_context("fork")
        while done < len(jobs):
            pool = ProcessPoolExecutor(
                max_workers=1 if single else min(workers, len(jobs) - done),
                mp_context=context,
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
            try:
                futures = [pool.submit(_read, i) for i in range(done, len(jobs))]
                if meanwhile:
                    meanwhile()
                    meanwhile = None
                for future in futures:
                    county = jobs[done].config.county
                    try:
                        data = future.result(timeout=limit)
                    except TimeoutError:
                        _kill_workers(pool)
                        why = f"读取超过 {limit:g} 秒仍未完成，已停止读取该县区"
                        done += 1
                        yield Unread(county, why)
                        break
                    except BrokenProcessPool:  # a worker was killed (out of memory?)
                        if single:  # alone in its pool: this county's worker died
                            why = "读取该县区的进程两次意外终止（可能内存不足）"
                            done += 1
                            yield Unread(county, why)
                        else:
                            notice(county, "读取进程意外终止，已换新的进程重新读取")
                            single = True
                        break
                    if on_files:
                        on_files(len(data.files))
                    done += 1
                    yield data
            finally:  # all read: the workers exit while the outputs are written (joined at exit)
                if done < len(jobs):
                    _kill_workers(pool)
                pool.shutdown(wait=False, cancel_futures=True)
    finally:
        _JOBS, _FIRST_SEEN = (), {}
