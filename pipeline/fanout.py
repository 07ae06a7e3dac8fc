"""Read many counties' folders on both cores: two forked worker processes read and normalise
whole counties while the parent stores the ones already read, in the counties' order.

It pays only for many files (``benchmarks/bench_counties.py``: a 2,000-file run spends most of
its time reading and normalising, which the two workers split; for one county of 16 files,
starting workers costs more than it saves). Forking shares the loaded modules and targets with
the workers at no cost; where there is no ``fork`` (Windows, macOS's default) the counties are
read one after the other in this process, with the same results.
"""

from __future__ import annotations

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


def read_counties(
    jobs: Sequence[CountyRead],
    first_seen: dict[str, dt.datetime],
    workers: int,
    on_files: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Generator[PeriodData, None, None]:
    """Each job's :class:`PeriodData`, in the order of ``jobs``; ``on_files(n)`` after each
    county with the number of files it held (for a progress bar). ``meanwhile()`` runs here
    once the workers have their tasks (work the parent would otherwise do at the end, such
    as importing the renderers, is then off the run's critical path)."""
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
    _JOBS, _FIRST_SEEN = jobs, first_seen  # inherited by the forked workers
    done = 0
    try:
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)),
            mp_context=context,
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            results = pool.map(_read, range(len(jobs)))
            if meanwhile:
                meanwhile()
            for data in results:
                if on_files:
                    on_files(len(data.files))
                done += 1
                yield data
        except BrokenProcessPool:  # a worker was killed (out of memory?): go on without them
            pass
        finally:  # all read: the workers exit while the outputs are written (joined at exit)
            pool.shutdown(wait=done < len(jobs), cancel_futures=True)
    finally:
        _JOBS, _FIRST_SEEN = (), {}
    yield from read_counties(jobs[done:], first_seen, 0, on_files)
