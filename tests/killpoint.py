"""Run the command line with a SIGKILL at a chosen point: ``python tests/killpoint.py POINT
ARGS…`` runs ``minsheng ARGS…`` and kills its own process the moment the named function is
called (``module:function``, e.g. ``pipeline.outputs:_swap``), or just after it returns
(``module:function+``). Test code only: the product has no hooks for this."""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys


def _arm(point: str) -> None:
    after = point.endswith("+")
    module_name, name = point.rstrip("+").split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, name)

    @functools.wraps(original)
    def killing(*args: object, **kwargs: object) -> object:
        if not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, name, killing)


if __name__ == "__main__":
    _arm(sys.argv[1])
    from pipeline.cli import main

    sys.argv = ["minsheng", *sys.argv[2:]]
    main()
