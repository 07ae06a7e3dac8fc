"""Run the command line with a city run's county worker that stops itself: ``python
tests/stuckworker.py INDEX SECONDS ARGS…`` runs ``minsheng ARGS…`` with the county limit set
to SECONDS, and the worker reading county INDEX sends itself SIGSTOP (a hung reader that
no longer uses the CPU). Test code only: the product has no hooks for this."""

from __future__ import annotations

import os
import signal
import sys

from pipeline import fanout

_INDEX = [-1]  # the county whose worker stops (inherited by the forked workers)
_ORIGINAL = fanout._read


def stuck(index: int) -> object:
    if index == _INDEX[0]:
        os.kill(os.getpid(), signal.SIGSTOP)
    return _ORIGINAL(index)


def main() -> None:
    _INDEX[0] = int(sys.argv[1])
    fanout._read = stuck
    fanout.COUNTY_SECONDS = float(sys.argv[2])
    from pipeline.cli import main as cli

    sys.argv = ["minsheng", *sys.argv[3:]]
    cli()


if __name__ == "__main__":
    main()
