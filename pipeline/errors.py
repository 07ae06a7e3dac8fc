"""Exceptions for when a run itself cannot continue.

Bad *data* is never an exception: it becomes an :class:`pipeline.model.Issue`.
"""

from __future__ import annotations

import errno


class PipelineError(Exception):
    """Base class: the command cannot do its job."""


class InputError(PipelineError):
    """Input the run needs is missing or unusable (e.g. no inputs folder)."""


class ConfigError(PipelineError):
    """The workspace configuration or the target table is malformed."""


class TargetTableError(ConfigError):
    """The target table workbook is malformed; the message names sheet, row and column."""


class OutputError(PipelineError):
    """Outputs could not be written."""


def describe_os_error(exc: BaseException) -> str:
    """An OS error (or one a library made of it, such as XlsxWriter's) as an office reader
    can act on it."""
    while not isinstance(exc, OSError) and exc.__context__ is not None:
        exc = exc.__context__
    code = exc.errno if isinstance(exc, OSError) else None
    return {
        errno.ENOSPC: "磁盘空间已满",
        errno.EDQUOT: "磁盘配额已用完",
        errno.EROFS: "磁盘为只读",
        errno.EACCES: "没有写入权限",
        errno.EPERM: "没有写入权限",
    }.get(code or 0, str(exc))
